/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef RTE_PMD_MANA_MPR_H
#define RTE_PMD_MANA_MPR_H

/**
 * @file
 * net_mana_mpr private API: the reset state of a port as this process sees it,
 * and fault-injection hooks for testing the multi-process protocol.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_compat.h>

#ifdef __cplusplus
extern "C" {
#endif

enum rte_pmd_mana_mpr_dev_state {
	RTE_PMD_MANA_MPR_STOPPED = 1,
	RTE_PMD_MANA_MPR_ACTIVE,
	RTE_PMD_MANA_MPR_RESETTING,
	RTE_PMD_MANA_MPR_FAILED,
	RTE_PMD_MANA_MPR_CLOSED,
};

/** Name of a state ("active"...), "unknown" if it is none of the above. */
__rte_experimental
const char *rte_pmd_mana_mpr_state_name(uint32_t state);

/** Phases of a reset are numbered 1 .. RTE_PMD_MANA_MPR_PHASE_MAX - 1. */
#define RTE_PMD_MANA_MPR_PHASE_MAX	9

struct rte_pmd_mana_mpr_state {
	uint32_t state;			/**< enum rte_pmd_mana_mpr_dev_state */
	uint32_t generation;		/**< doorbell generation of the device */
	uint32_t phase;			/**< reset phase, 0 when none */
	uint32_t mapped_generation;	/**< this process's doorbell mapping, 0: none */
	int32_t slot;			/**< this process's registry slot (0: primary) */
	uint32_t processes;		/**< processes in the registry */
	uint64_t resets_succeeded;
	uint64_t resets_failed;
};

/**
 * Read the reset state of a net_mana_mpr port.
 * @return 0, -ENODEV (not a net_mana_mpr port) or -EINVAL.
 */
__rte_experimental
int rte_pmd_mana_mpr_get_state(uint16_t port_id, struct rte_pmd_mana_mpr_state *state);

/**
 * Reset history of a port (what xstats also show). started, restarts and
 * retries count as the recovery goes, and last_phase_us and last_hw_down_us
 * start again from 0 with it; its outcome - succeeded, last_total_us, or
 * failed, last_error and removals - is its last step: written after the
 * port is ACTIVE (or STOPPED) again, when traffic may already flow, or with
 * the port FAILED, and before RTE_ETH_EVENT_RECOVERY_SUCCESS or
 * RECOVERY_FAILED is delivered.
 */
struct rte_pmd_mana_mpr_reset_info {
	uint64_t started;
	uint64_t succeeded;
	uint64_t failed;
	uint64_t restarts;		/**< fatal events during a recovery */
	uint64_t evictions;
	uint64_t last_total_us;		/**< fatal event to traffic allowed again */
	uint64_t last_hw_down_us;	/**< of which waiting for the device */
	/** Indexed by phase: 1 quiesce, 2 unmap, 3 teardown, 4 wait_hw, 5 reopen,
	 *  6 remap, 7 rebuild, 8 resume (see rte_pmd_mana_mpr_phase_name()).
	 */
	uint64_t last_phase_us[RTE_PMD_MANA_MPR_PHASE_MAX];
	uint64_t last_event_ns;		/**< CLOCK_MONOTONIC of the last fatal event */
	int32_t last_error;
	/** Evictions by any broadcast round, by reason (doc/protocol.rst "Deadlines"). */
	uint64_t evictions_cannot_run;	/**< stopped or traced when waited for */
	uint64_t evictions_deadline;	/**< running, but silent at the round's deadline */
	uint64_t ack_srtt_us;		/**< smoothed UNMAP_DB/REMAP_DB answer latency */
	uint64_t ack_rttvar_us;		/**< ... and its variation */
	uint32_t ack_deadline_ms;	/**< what the next UNMAP_DB/REMAP_DB round gets */
	uint64_t last_unmap_round_us;	/**< last UNMAP_DB round: sent to every answer in */
	uint64_t last_remap_round_us;	/**< last REMAP_DB round */
};

/** Phase names for rte_pmd_mana_mpr_reset_info.last_phase_us and state.phase. */
__rte_experimental
const char *rte_pmd_mana_mpr_phase_name(uint32_t phase);

__rte_experimental
int rte_pmd_mana_mpr_get_reset_info(uint16_t port_id, struct rte_pmd_mana_mpr_reset_info *info);

/** Multi-process messages a process answers (rte_pmd_mana_mpr_proc.last_msg). */
enum rte_pmd_mana_mpr_msg {
	RTE_PMD_MANA_MPR_MSG_START_RXTX = 4,
	RTE_PMD_MANA_MPR_MSG_STOP_RXTX = 5,
	RTE_PMD_MANA_MPR_MSG_UNMAP_DB = 6,
	RTE_PMD_MANA_MPR_MSG_REMAP_DB = 7,
	RTE_PMD_MANA_MPR_MSG_PORT_CLOSED = 8,
};

/** Name of a message type ("UNMAP_DB"...), "INVALID" if unknown. */
__rte_experimental
const char *rte_pmd_mana_mpr_msg_name(uint32_t type);

/** One process of the port's registry. */
struct rte_pmd_mana_mpr_proc {
	int32_t slot;			/**< 0 is the primary */
	int32_t pid;
	uint32_t state;			/**< 1 attached, 2 evicted */
	uint32_t db_generation;		/**< doorbell generation it has mapped */
	uint32_t last_msg;		/**< enum rte_pmd_mana_mpr_msg it answered last */
	int32_t last_result;
	uint64_t last_latency_us;	/**< broadcast to its answer */
	uint32_t missed_acks;
	/* Its last answers to UNMAP_DB and REMAP_DB (generation 0: none yet). */
	int32_t unmap_result;
	uint32_t unmap_generation;
	uint64_t unmap_latency_us;
	int32_t remap_result;
	uint32_t remap_generation;
	uint64_t remap_latency_us;
	/* The primary's messages to it: sent, and not delivered (queue full, socket gone). */
	uint32_t msgs_sent;
	uint32_t msgs_dropped;
};

/**
 * Copy up to @n registry entries into @procs.
 * @return the number of processes in the registry (may exceed @n), or
 * -ENODEV.
 */
__rte_experimental
int rte_pmd_mana_mpr_get_procs(uint16_t port_id, struct rte_pmd_mana_mpr_proc *procs,
			       unsigned int n);

/**
 * Fault injection for tests: make this process ignore UNMAP_DB, keeping its
 * doorbell mapping when the primary revokes it (a protocol violation).
 */
__rte_experimental
int rte_pmd_mana_mpr_test_keep_doorbell(uint16_t port_id, bool keep);

/**
 * Fault injection for tests (secondary): the next rte_eth_dev_close() of
 * @port_id in this process first waits, at most @timeout_ms, until the
 * primary's PORT_CLOSED has released the port here - an application's close
 * caught by that release (0: no wait). -ENOTSUP in the primary.
 */
__rte_experimental
int rte_pmd_mana_mpr_test_close_wait_release(uint16_t port_id, uint32_t timeout_ms);

/**
 * Fault injection for tests, secondary: the next multi-process message this
 * process handles for @port_id (on EAL's interrupt thread) waits @ms first, as
 * if the application kept that thread busy. 0 cancels.
 * @return 0 or -ENODEV.
 */
__rte_experimental
int rte_pmd_mana_mpr_test_stall_mp(uint16_t port_id, uint32_t ms);

/**
 * Fault injection for tests: write Tx queue @queue_id's doorbell (queue id 0
 * if the queue no longer exists) to this process's mapping of the doorbell
 * page regardless of the port state. On a revoked mapping this faults
 * (SIGBUS), which is the point.
 * @return 0, -ENODEV, or -ENXIO when this process has nothing mapped.
 */
__rte_experimental
int rte_pmd_mana_mpr_test_ring_doorbell(uint16_t port_id, uint16_t queue_id);

/**
 * Fault injection for tests, primary only: broadcast a message of @type to
 * every secondary with a well-formed header but the given parameter length,
 * number of attached descriptors (fresh memfds of the doorbell page's
 * size) and doorbell generation - to check that secondaries reject what
 * does not match the message catalogue and close what they were sent.
 * @return 0, -ENODEV, -E_RTE_SECONDARY or -EINVAL.
 */
__rte_experimental
int rte_pmd_mana_mpr_test_send_raw(uint16_t port_id, uint16_t type, int len_param, int num_fds,
			       uint32_t generation);

#ifdef __cplusplus
}
#endif

#endif /* RTE_PMD_MANA_MPR_H */
