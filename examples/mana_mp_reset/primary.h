/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_MP_RESET_PRIMARY_H
#define MANA_MP_RESET_PRIMARY_H

/* The primary's process-local state, shared by primary.c and report.c. */

#include <rte_memzone.h>

#include <rte_pmd_mana_mpr.h>

#include "demo.h"

#define DEMO_REG_MAX	64	/* registry slots of the PMD */
#define DEMO_MAX_FAILS	32
#define DEMO_MAX_POOLS	32

/* A process's answer to UNMAP_DB or REMAP_DB, as the registry kept it. */
struct demo_ack {
	bool have;
	int32_t result;
	uint64_t latency_us;	/* broadcast to answer */
	uint32_t generation;	/* doorbell generation mapped afterwards (0: unmapped) */
};

/* One reset (or the final hot-remove) as the primary saw it. */
struct demo_reset_rec {
	uint32_t kind;			/* enum demo_window_kind */
	uint32_t down_ms;
	uint64_t inject_ns;
	int inject_ret;
	uint64_t done_ns;		/* the primary stopped waiting */
	uint64_t primary_success_ns;	/* RECOVERY_SUCCESS delivered in the primary */
	uint64_t primary_failed_ns;
	bool recovered;
	bool timed_out;
	uint32_t gen_before;
	uint32_t gen_after;
	uint32_t state_after;
	bool expected[DEMO_MAX_PROCS];	/* processes that had to come through it */
	struct rte_pmd_mana_mpr_reset_info info_before;
	struct rte_pmd_mana_mpr_reset_info info;
	struct rte_pmd_mana_mpr_proc before[DEMO_REG_MAX];
	int nb_before;
	struct rte_pmd_mana_mpr_proc after[DEMO_REG_MAX];
	int nb_after;
	struct demo_ack unmap[DEMO_REG_MAX];	/* indexed by registry slot */
	struct demo_ack remap[DEMO_REG_MAX];
};

struct demo_sample {
	double t;
	uint32_t state;		/* port state, primary's view */
	uint32_t phase;
	float rx_pps[DEMO_MAX_PROCS];
	float tx_pps[DEMO_MAX_PROCS];
	uint32_t proc_state[DEMO_MAX_PROCS];
	uint32_t port_state[DEMO_MAX_PROCS];
};

/* Counters of every process at the previous rate computation. */
struct demo_rate {
	uint64_t prev_ns;
	uint64_t prev_rx[DEMO_MAX_PROCS];
	uint64_t prev_tx[DEMO_MAX_PROCS];
};

struct demo_pool {
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t size;
	uint32_t avail;
};

struct demo_primary {
	const struct demo_opts *o;	/* &opts */
	struct demo_opts opts;		/* the options, with the port's timeouts filled in */
	const struct rte_memzone *mz;
	struct demo_shared *sh;
	uint16_t port;
	char port_name[RTE_ETH_NAME_MAX_LEN];
	char device_name[RTE_DEV_NAME_MAX_LEN];	/* the PCI function (BDF) */
	bool port_started;
	bool port_closed;
	struct rte_mempool *rx_pool;
	struct rte_mempool *tx_pool;
	struct demo_traffic t;
	bool traffic_on;

	/* Output. */
	bool tty;
	int cols;
	bool status_shown;
	char last_status[1536];
	uint64_t t0;
	uint64_t next_status;
	uint64_t next_sample;
	uint64_t next_alive;
	struct demo_rate status_rate;
	struct demo_rate sample_rate;
	uint32_t printed_events[DEMO_MAX_PROCS];
	struct demo_sample *samples;
	size_t nb_samples;
	size_t cap_samples;

	/* Progress. */
	bool waiting_workers;
	uint64_t wait_start_ns;
	uint64_t traffic_start_ns;
	uint64_t end_ns;
	bool died[DEMO_MAX_PROCS];
	uint32_t cur;			/* window in progress, 0: none */
	uint32_t nb_windows;
	struct demo_reset_rec rec[DEMO_MAX_WINDOWS + 1];

	/* End. */
	uint32_t final_state;
	int stop_ret;
	int close_ret;
	struct rte_pmd_mana_mpr_reset_info info_final;
	struct demo_pool pools[DEMO_MAX_POOLS];
	unsigned int nb_pools;
	char fails[DEMO_MAX_FAILS][200];
	unsigned int nb_fails;
};

double demo_rel_s(const struct demo_primary *p, uint64_t ns);
void demo_say(struct demo_primary *p, const char *fmt, ...) __rte_format_printf(2, 3);
void demo_fail(struct demo_primary *p, const char *fmt, ...) __rte_format_printf(2, 3);
const char *demo_proc_name(const struct demo_primary *p, unsigned int k, char *buf, size_t len);
int demo_slot_by_pid(const struct demo_primary *p, int pid);
void demo_tick(struct demo_primary *p);

/* report.c */
void demo_window_summary(struct demo_primary *p, uint32_t w);
int demo_report(struct demo_primary *p);

#endif /* MANA_MP_RESET_PRIMARY_H */
