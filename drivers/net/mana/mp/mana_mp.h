/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_MP_H
#define MANA_MP_H

/*
 * The multi-process coordinator: protocol (mana_mp.c), the registry of
 * processes (mana_mp_registry.c) and per-queue quiescence
 * (mana_mp_quiesce.c).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include <rte_ethdev.h>

#include "../mana.h"
#include "mana_mp_msg.h"

/*
 * Serve @dev over rte_mp in this process (the action is registered with the
 * first port; the primary's stays registered after its last).
 */
int mana_mp_attach_port(struct rte_eth_dev *dev);
int mana_mp_with_port(uint16_t port_id, int (*fn)(struct mana_local *lp, void *arg),
		      void *arg);
struct mana_local *mana_mp_detach_port(uint16_t port_id);
void mana_mp_cancel_port_gone(uint16_t port_id);
void mana_mp_test_wait_port_gone(uint16_t port_id, uint32_t timeout_ms);
void mana_mp_ack_port_closed(uint16_t port_id, int slot, int32_t result);
/* Primary: the slots among @slots whose process is gone. */
uint64_t mana_mp_dead_slots(struct rte_eth_dev *dev, uint64_t slots);

/* Secondary -> primary. */
struct mana_mp_attach_result {
	int slot;
	uint32_t generation;	/* doorbell handed over; 0: none yet (mid-reset) */
	int map_result;		/* of mapping it (mana_db_map) */
};

/*
 * Attach to the primary's port (again, to re-synchronise): take the
 * registry slot it gives and map the doorbell it hands over, if any.
 * Returns the request's result; @res->map_result the mapping's.
 */
int mana_mp_request_attach(struct rte_eth_dev *dev, struct mana_mp_attach_result *res);
int mana_mp_request_detach(struct mana_local *lp);
int mana_mp_request_reg_mr(struct rte_eth_dev *dev, uintptr_t addr, size_t len);
int mana_mp_request_mr(uint16_t port_id, uint32_t timeout_ms, bool reg, uintptr_t addr,
		       size_t len);

/* Primary: one broadcast and the answers it got. */
struct mana_mp_round_result {
	uint64_t expected;	/* slots asked to answer */
	uint64_t answered;	/* slots that answered (any result) */
	uint64_t failed;	/* answered with an error */
	uint64_t dead;		/* died during the round: released */
	uint64_t evicted;	/* could not run, or silent at the deadline: evicted */
	uint64_t stopped;	/* ... of which could not run (stopped, traced) */
	uint64_t unreachable;	/* not sent: the rte_mp channel is closed */
	uint64_t elapsed_ns;
	uint64_t max_latency_ns;	/* slowest healthy answer (0: none) */
	/* Round bookkeeping (mana_mp_broadcast_begin/end). */
	uint64_t start_ns;
	uint32_t timeout_ms;
	uint32_t seq;
	uint16_t type;
	bool pending;
};

int mana_mp_round_create(struct mana_local *lp);
void mana_mp_round_destroy(struct mana_local *lp);

/*
 * Send @type to every secondary and wait until every attached one has
 * answered, cannot answer, or the round's deadline passed: @timeout_ms, or
 * for UNMAP_DB and REMAP_DB less once answer latencies have been measured
 * (mana_mp_round_timeout()). A process that is gone is released from the
 * registry; one that cannot run (stopped, traced: seen every liveness
 * slice from the send on, or at once if the send failed) is evicted
 * without waiting for the deadline; one that runs but is silent at the
 * deadline is evicted (no longer waited for; re-admitted if it answers a
 * later REMAP_DB or attaches again). Once
 * rte_eal_cleanup() has closed the rte_mp channel (DPDK 24.11.0 does so
 * before it removes devices) nothing can be sent: the round ends at once
 * with every attached process, evicted ones included, unreachable and none
 * evicted.
 * Returns 0 when every expected process answered with success, else the
 * number of processes that failed, died, were evicted or were unreachable.
 */
int mana_mp_broadcast(struct rte_eth_dev *dev, enum mana_mp_type type, uint32_t generation,
		      int fd, uint32_t timeout_ms, struct mana_mp_round_result *res);
/* The same in two halves, so the caller can work while secondaries answer. */
void mana_mp_broadcast_begin(struct rte_eth_dev *dev, enum mana_mp_type type,
			     uint32_t generation, int fd, uint32_t timeout_ms,
			     struct mana_mp_round_result *res);
int mana_mp_broadcast_end(struct rte_eth_dev *dev, struct mana_mp_round_result *res);

/* The deadline the next UNMAP_DB or REMAP_DB round gets (ms). */
uint32_t mana_mp_next_deadline_ms(const struct mana_priv *priv);
/* Test hook: the next message this secondary handles for @port_id waits @ms first. */
void mana_mp_test_stall_set(uint16_t port_id, uint32_t ms);

/*
 * The primary's rte_mp action, and a secondary's handler of a message from
 * its socket (mana_mp_channel.c) sent by process @sender (the kernel's
 * SCM_CREDENTIALS). Exposed for the fuzz targets in tests/fuzz.
 */
int mana_mp_primary_handler(const struct rte_mp_msg *msg, const void *peer);
int mana_mp_secondary_receive(const struct rte_mp_msg *msg, int32_t sender);

/*
 * Per-process delivery (mana_mp_channel.c). A secondary receives on
 * <runtime dir>/mana_mpr_<pid> (mana_mp_channel_path(); -ENAMETOOLONG),
 * opened once for the process's lifetime (0 or negative errno). The
 * primary sends @msg's parameters and descriptors to process @pid: 0, or
 * -EAGAIN (its queue is full; with @may_wait after MANA_MP_SEND_TIMEOUT_MS),
 * -ECONNREFUSED or -ENOENT (no socket: gone, or not a secondary of ours),
 * -EINVAL (a malformed @msg).
 */
#define MANA_MP_SEND_TIMEOUT_MS		20
int mana_mp_channel_path(struct sockaddr_un *addr, int32_t pid);
int mana_mp_channel_open(void);
int mana_mp_channel_send(int32_t pid, const struct rte_mp_msg *msg, bool may_wait);
/* Remove process @pid's socket file if nobody is bound to it (a dead process's). */
void mana_mp_channel_forget(int32_t pid);
/* Test hook: @msg to every member of @dev's registry, evicted ones included. */
int mana_mp_send_raw(struct rte_eth_dev *dev, const struct rte_mp_msg *msg);

/* Forward an ethdev event to every secondary (one-way). */
void mana_mp_send_event(struct rte_eth_dev *dev, enum rte_eth_event_type event);

/* Registry. */
void mana_registry_init(struct rte_eth_dev *dev);
int mana_registry_attach(struct rte_eth_dev *dev, int32_t pid, uint64_t start_time);
void mana_registry_detach(struct rte_eth_dev *dev, int slot, int32_t pid);
int mana_registry_find(struct rte_eth_dev *dev, int32_t pid);
uint64_t mana_registry_members(struct rte_eth_dev *dev, bool with_evicted);
void mana_registry_release_dead(struct rte_eth_dev *dev, uint64_t slots);
void mana_registry_evict(struct rte_eth_dev *dev, uint64_t slots);
bool mana_registry_slot_alive(struct rte_eth_dev *dev, int slot);

/* What the kernel says of a registered process. */
enum mana_proc_run {
	MANA_PROC_RUNS,		/* running or runnable (or sleeping: it can be woken) */
	MANA_PROC_STOPPED,	/* stopped or traced: cannot answer until continued */
	MANA_PROC_GONE,		/* exited, a zombie, or its pid is another process now */
};

enum mana_proc_run mana_proc_runnable(int32_t pid, uint64_t start_time);
enum mana_proc_run mana_registry_slot_runnable(struct rte_eth_dev *dev, int slot);
void mana_registry_note_answer(struct rte_eth_dev *dev, int slot, uint16_t type,
			       int32_t result, uint32_t generation, uint64_t latency_ns);
unsigned int mana_registry_count(struct rte_eth_dev *dev);
uint64_t mana_proc_start_time(int32_t pid);
bool mana_proc_alive(int32_t pid, uint64_t start_time);

/* Quiescence. */
int mana_membarrier_init(void);
int mana_membarrier_command(void);
/* Must this process's bursts carry their own fence (no usable membarrier)? */
bool mana_bursts_need_fence(const struct mana_priv *priv);
void mana_quiesce_barrier(void);

struct mana_quiesce_result {
	uint32_t waited;	/* queues that were inside a burst */
	uint32_t dead_owner;	/* ... whose owner had died (treated as quiescent) */
	uint32_t stuck;		/* ... still inside at the deadline, or whose owner cannot run */
	uint32_t stopped_owner;	/* ... of those, owned by a stopped or traced process */
	uint64_t stuck_slots;	/* registry slots owning the stuck queues */
	uint64_t stuck_rxq;	/* the stuck queues, bit per queue id */
	uint64_t stuck_txq;
	uint32_t unquarantined;	/* stuck queues without a spare: left in place */
	uint64_t elapsed_ns;
};

/*
 * Wait until no queue of @dev is inside a burst (the caller has already
 * changed the state word and called mana_quiesce_barrier()). With @tag != 0
 * only queues held by that tag are considered (a secondary checking its
 * own). Returns 0, or -ETIMEDOUT with the stuck queues in @res.
 */
int mana_quiesce_wait(struct rte_eth_dev *dev, uint32_t tag, uint32_t timeout_ms,
		      struct mana_quiesce_result *res);

#endif /* MANA_MP_H */
