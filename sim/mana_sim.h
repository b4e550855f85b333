/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_SIM_H
#define MANA_SIM_H

/*
 * The software MANA device ("device model"). It is a device, not part of the
 * PMD: the PMD reaches it only through the struct mana_hw_ops table returned
 * by mana_sim_hw_ops(), exactly as it reaches rdma-core on real hardware.
 *
 * The device lives in the process that opens it (the DPDK primary). Its
 * engine thread executes posted WQEs: it reads packet data through SGE
 * addresses (hugepage memory has the same address in every process), hands
 * the packet to the receiving port (loopback, or the peer sim port), picks
 * the receive queue by Toeplitz RSS, writes the packet into the posted
 * receive buffer and writes CQEs. Doorbells live in a memfd that other
 * processes map; closing a context truncates the memfd, so any later
 * doorbell access in any process faults with SIGBUS.
 *
 * Fault injection (service reset, hot-remove, open failures, a fatal event
 * during recovery, a delayed fatal event) is available from C, from
 * rte_telemetry commands (primary only) and from a devargs schedule.
 */

#include <stdint.h>
#include <stdbool.h>

#include "drivers/net/mana/mana_hw.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The operations table of the software device. */
const struct mana_hw_ops *mana_sim_hw_ops(void);

/* Device-level argument keys accepted by get_device() (see doc/). */
#define MANA_SIM_ARG_MAC	"mac"		/* xx:xx:xx:xx:xx:xx */
/* name of the sim port at the other end of the wire */
#define MANA_SIM_ARG_PEER	"peer"
#define MANA_SIM_ARG_MAX_QUEUES	"max_queues"	/* 1..64, default 16 */
/* default down time of a service reset, default 200 */
#define MANA_SIM_ARG_DOWN_MS	"down_ms"
#define MANA_SIM_ARG_FAULTS	"faults"	/* schedule, see below */
#define MANA_SIM_ARG_LINK_MBPS	"link_mbps"	/* advertised speed, default 100000 */

enum mana_sim_fault_kind {
	/* Device dies (DEVICE_FATAL posted), absent for down_ms, then a new instance. */
	MANA_SIM_FAULT_RESET = 1,
	/* Device dies and never comes back: open() returns -ENODEV. */
	MANA_SIM_FAULT_REMOVE,
	/* The next @count opens fail with -EIO (count < 0: every open fails). */
	MANA_SIM_FAULT_FAIL_OPEN,
	/*
	 * Armed for the next new instance: @delay_ms after it is opened, it
	 * dies again (DEVICE_FATAL on the new context, down for down_ms).
	 */
	MANA_SIM_FAULT_FATAL_IN_RECOVERY,
	/* Armed: the next DEVICE_FATAL is posted @delay_ms after the device dies. */
	MANA_SIM_FAULT_EVENT_DELAY,
};

struct mana_sim_fault {
	enum mana_sim_fault_kind kind;
	uint32_t down_ms;	/* RESET, FATAL_IN_RECOVERY; 0 = device default */
	uint32_t delay_ms;	/* FATAL_IN_RECOVERY, EVENT_DELAY */
	int32_t count;		/* FAIL_OPEN */
};

/* Inject a fault now into the device named @name. 0 or negative errno. */
int mana_sim_inject(const char *name, const struct mana_sim_fault *fault);

enum mana_sim_dev_state {
	MANA_SIM_DEV_UP = 0,	/* present; contexts may be open */
	MANA_SIM_DEV_DOWN,	/* in a service reset, absent until it returns */
	MANA_SIM_DEV_REMOVED,	/* gone for good */
};

struct mana_sim_stats {
	uint32_t instance;		/* bumps every time the device comes back */
	enum mana_sim_dev_state state;
	uint32_t open_contexts;
	uint64_t resets;		/* service resets so far */
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_errors;		/* error CQEs written on send queues */
	uint64_t tx_wire_drop;		/* sent towards a peer port that is absent or down */
	uint64_t rx_packets;		/* delivered into posted receive buffers */
	uint64_t rx_bytes;
	uint64_t rx_drop_no_wqe;	/* no posted receive buffer */
	uint64_t rx_drop_no_rss;	/* no receive side configured (no RSS object) */
	uint64_t rx_truncated;
	uint64_t bad_lkey;		/* SGE with an unknown key or outside its MR */
	uint64_t bad_doorbell;		/* doorbell naming a queue id that is not on its page */
	uint64_t doorbells;		/* doorbell updates noticed by the engine */
	uint64_t engine_sleeps;
	uint64_t last_down_ns;		/* CLOCK_MONOTONIC: the last time the device died */
	uint64_t last_up_ns;		/* CLOCK_MONOTONIC: the last time it came back */
};

int mana_sim_get_stats(const char *name, struct mana_sim_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* MANA_SIM_H */
