/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_MP_RESET_DEMO_H
#define MANA_MP_RESET_DEMO_H

/*
 * mana-mp-reset: one primary and N worker secondaries keep traffic running
 * through MANA service resets. State shared by every process lives in one
 * memzone (struct demo_shared), created by the primary; each process writes
 * only its own slot, the primary reads them all.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "mana_dpdk_compat.h"
#include "mana_traffic.h"

#define DEMO_MZ_NAME		"mana_mp_reset_shared"
#define DEMO_MAGIC		0x5250504du	/* "MPPR" */
#define DEMO_MAX_WORKERS	15
#define DEMO_MAX_PROCS		(DEMO_MAX_WORKERS + 1)	/* slot 0: the primary */
#define DEMO_MAX_RESETS		32
#define DEMO_MAX_WINDOWS	(DEMO_MAX_RESETS + 1)	/* + the final hot-remove */
#define DEMO_MAX_EVENTS		256
#define DEMO_FLOWS		2	/* flows per process, all steered to its queue */
#define DEMO_BURST		32
#define DEMO_DEFAULT_DESC	256
#define DEMO_IDLE_US		100	/* sleep when a poll finds nothing to do */
#define DEMO_FRAME		128
#define DEMO_DRAIN_QUIET_MS	100	/* drain: nothing arrived for this long */

/* The four events every process registers for, in slot order. */
enum demo_ev {
	DEMO_EV_ERR_RECOVERING = 0,
	DEMO_EV_RECOVERY_SUCCESS,
	DEMO_EV_RECOVERY_FAILED,
	DEMO_EV_INTR_RMV,
	DEMO_EV_MAX,
};

enum demo_proc_state {
	DEMO_PROC_FREE = 0,
	DEMO_PROC_STARTING,	/* attached, setting up */
	DEMO_PROC_RUNNING,	/* sending and receiving */
	DEMO_PROC_DRAINING,	/* told to stop: receiving what is in flight */
	DEMO_PROC_DONE,		/* final numbers published, about to exit */
	DEMO_PROC_FAILED,	/* gave up; error[] says why */
};

enum demo_window_kind {
	DEMO_WIN_RESET = 1,	/* service reset: the device comes back */
	DEMO_WIN_REMOVE,	/* hot-remove: it does not */
};

struct demo_event {
	uint64_t ns;		/* CLOCK_MONOTONIC */
	uint32_t ev;		/* enum demo_ev */
	uint32_t window;	/* demo_shared.cur_window when it was delivered */
};

/* One reset window as one process saw it; written by that process only. */
struct demo_window {
	RTE_ATOMIC(uint64_t) start_ns;	/* reset noticed: port left ACTIVE, or ERR_RECOVERING */
	RTE_ATOMIC(uint64_t) resumed_ns;	/* first packet received afterwards (0: never) */
	RTE_ATOMIC(uint64_t) unmapped_ns;	/* this process saw its doorbell mapping dropped */
	RTE_ATOMIC(uint64_t) ev_ns[DEMO_EV_MAX]; /* first delivery of each event, 0: not seen */
	uint64_t rx_at_start;	/* cumulative counters at the two boundaries */
	uint64_t tx_at_start;
	uint64_t rx_at_resume;	/* at the first packet received afterwards */
	uint64_t tx_at_resume;	/* at the first Tx burst accepted afterwards */
	uint64_t dup_at_resume;
	/* Published when the process finishes. */
	uint64_t lost;		/* sent in this window's span, never received */
	uint64_t lost_after_start;	/* of which sent after the reset was noticed */
	uint64_t lost_oldest;	/* oldest lost packet: sent this many packets before the start */
};

struct demo_slot {
	RTE_ATOMIC(uint32_t) state;		/* enum demo_proc_state */
	int32_t pid;
	uint32_t lcore;
	int32_t reg_slot;	/* slot in the PMD's process registry */
	uint16_t queue;
	uint16_t traffic;	/* this process sends and receives */
	char error[160];
	/* Live counters, written by the owner with relaxed atomic stores. */
	RTE_ATOMIC(uint64_t) tx;
	RTE_ATOMIC(uint64_t) rx;
	uint64_t tx_refused;
	uint64_t tx_nombuf;
	uint64_t bad;		/* not ours, corrupt, or an impossible sequence number */
	uint64_t dup;
	/* enum rte_pmd_mana_mpr_dev_state as this process sees it */
	RTE_ATOMIC(uint32_t) port_state;
	RTE_ATOMIC(uint32_t) window_resumed;	/* last window after which it received again */
	RTE_ATOMIC(uint32_t) removed;	/* INTR_RMV seen */
	/* Events, appended by the process's event callback (one writer). */
	RTE_ATOMIC(uint32_t) nb_events;
	struct demo_event events[DEMO_MAX_EVENTS];
	struct demo_window w[DEMO_MAX_WINDOWS + 1];	/* index: window, 1-based */
	/* Final numbers. */
	uint64_t sent;
	uint64_t unique;
	uint64_t lost;
	uint64_t lost_outside;	/* lost after the last resume (steady state) */
	RTE_ATOMIC(uint32_t) drained;	/* every packet sent came back (none lost) */
	uint32_t closed;	/* the process closed its port */
	int32_t close_ret;
};

struct demo_shared {
	RTE_ATOMIC(uint32_t) magic;
	uint32_t nb_workers;
	uint16_t nb_queues;
	uint16_t pad;
	uint32_t rate;		/* packets per second per process */
	uint32_t drain_ms;
	RTE_ATOMIC(uint32_t) stop;		/* primary -> workers: stop sending, drain, exit */
	RTE_ATOMIC(uint32_t) cur_window;	/* reset window in progress or last one, 1-based */
	struct demo_slot slot[DEMO_MAX_PROCS];
};

/* Process-local traffic state of one process (one queue). */
struct demo_flow {
	struct mtrf_flow f;
	uint64_t next_seq;	/* == packets sent */
	uint64_t *seen;		/* bitmap of received sequence numbers */
	uint64_t seen_words;
	uint64_t unique;
	uint64_t seq_start[DEMO_MAX_WINDOWS + 1];	/* next_seq when window w started */
	uint64_t seq_resume[DEMO_MAX_WINDOWS + 1];	/* next_seq when it resumed */
};

struct demo_traffic {
	uint16_t port;
	uint16_t queue;
	uint16_t proc_id;
	bool sending;
	struct rte_mempool *pool;
	struct demo_shared *sh;
	struct demo_slot *slot;
	struct demo_flow flows[DEMO_FLOWS];
	uint16_t next_flow;
	uint64_t rate;
	double tokens;
	uint64_t last_ns;
	uint32_t win;		/* last window whose start was recorded */
	bool awaiting_resume;
	bool tx_restarted;	/* a Tx burst was accepted since the window started */
	uint32_t last_gen;
	uint64_t tx, rx;
};

/* Common helpers (common.c). */
uint64_t demo_now_ns(void);
const char *demo_ev_name(unsigned int ev);
const char *demo_proc_state_name(uint32_t state);
const char *demo_msg_name(uint32_t type);
void demo_log(const char *fmt, ...) __rte_format_printf(1, 2);
void demo_slot_error(struct demo_slot *slot, const char *fmt, ...) __rte_format_printf(2, 3);
int demo_register_events(uint16_t port, struct demo_shared *sh, struct demo_slot *slot);
void demo_unregister_events(uint16_t port);
bool demo_pid_alive(int pid);
struct rte_mempool *demo_pool_create(const char *name, uint32_t n);

/* Traffic (traffic.c). */
int demo_traffic_init(struct demo_traffic *t, struct demo_shared *sh, struct demo_slot *slot,
		      uint16_t port, uint16_t queue, uint16_t proc_id, struct rte_mempool *pool,
		      uint64_t rate);
/* One poll: state, Rx, Tx. Returns the packets handled (0: idle). */
unsigned int demo_traffic_poll(struct demo_traffic *t);
/* Read the port state, notice reset windows (done by every poll). */
void demo_track(struct demo_traffic *t, uint64_t now);
/* Stop sending; receive until every packet is back or @timeout_ms. */
void demo_traffic_drain(struct demo_traffic *t, uint32_t timeout_ms);
/* Attribute every lost sequence number to its window; publish. */
void demo_traffic_finish(struct demo_traffic *t);
void demo_traffic_free(struct demo_traffic *t);

/* Roles. */
struct demo_opts {
	int worker;		/* -1: primary */
	uint32_t workers;
	uint32_t resets;
	uint32_t interval_ms;
	uint32_t down_ms;
	bool remove_at_end;
	bool primary_traffic;
	uint32_t rate;
	uint32_t duration_ms;	/* minimum traffic time */
	uint32_t attach_timeout_ms;
	uint32_t resume_timeout_ms;	/* 0: the port's recovery_timeout_ms + 5000 */
	uint32_t status_ms;
	uint32_t sample_ms;
	uint32_t drain_ms;
	uint32_t recovery_timeout_ms;	/* the port's devarg, read by the primary */
	const char *report_path;
	const char *timeline_path;
	const char *prog;
	char prefix[64];
};

int demo_primary(const struct demo_opts *o);
int demo_worker(const struct demo_opts *o);

#endif /* MANA_MP_RESET_DEMO_H */
