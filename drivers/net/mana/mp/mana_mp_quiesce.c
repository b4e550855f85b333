/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Per-queue quiescence. Each queue's guard word (mana_rxq/txq.busy, shared
 * memory) holds the registry tag of the process inside its burst, or 0.
 * After changing the state word, the primary makes every in-flight burst's
 * guard store visible with one asymmetric barrier (membarrier), then waits
 * until every guard is clear. The wait is bounded, a guard held by a
 * process that has died is cleared on its behalf (a dead process is not in
 * a burst), and one held by a process that cannot run (stopped, traced) is
 * stuck at once. See mana_guard.h for the burst side.
 */

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>

#include <rte_pause.h>

#include "mana_mp.h"

#define MANA_LIVENESS_PERIOD_NS	1000000ull	/* look at /proc at most every 1 ms */
#define MANA_QUIESCE_SPIN	64

/* The barrier command this process uses: -1 means none (fenced bursts). */
static int mana_membarrier_cmd = -1;
static bool mana_membarrier_probed;

static long
mana_membarrier(int cmd, unsigned int flags)
{
	return syscall(__NR_membarrier, cmd, flags, 0);
}

/*
 * Every process registers for expedited global barriers before it runs a
 * burst, so the primary's barrier reaches its CPUs. Idempotent.
 */
int
mana_membarrier_init(void)
{
	long supported;

	if (mana_membarrier_probed)
		return mana_membarrier_cmd >= 0 ? 0 : -ENOTSUP;
	mana_membarrier_probed = true;

	supported = mana_membarrier(MEMBARRIER_CMD_QUERY, 0);
	if (supported > 0 && (supported & MEMBARRIER_CMD_GLOBAL_EXPEDITED) &&
	    mana_membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0) == 0) {
		mana_membarrier_cmd = MEMBARRIER_CMD_GLOBAL_EXPEDITED;
	} else if (supported > 0 && (supported & MEMBARRIER_CMD_GLOBAL)) {
		mana_membarrier_cmd = MEMBARRIER_CMD_GLOBAL;
	} else {
		MP_LOG(WARNING, "membarrier unavailable: bursts fall back to a fence each");
		return -ENOTSUP;
	}
	MP_LOG(DEBUG, "membarrier command %d", mana_membarrier_cmd);
	return 0;
}

int
mana_membarrier_command(void)
{
	return mana_membarrier_cmd;
}

/*
 * The primary's barrier must reach this process's CPUs: with the global
 * (slow) command it reaches everyone; the expedited one reaches only
 * processes registered for it.
 */
bool
mana_bursts_need_fence(const struct mana_priv *priv)
{
	if (priv->barrier_cmd == MEMBARRIER_CMD_GLOBAL)
		return false;
	if (priv->barrier_cmd == MEMBARRIER_CMD_GLOBAL_EXPEDITED)
		return mana_membarrier_cmd != MEMBARRIER_CMD_GLOBAL_EXPEDITED;
	return true;
}

/* The expensive half of the guard: a full barrier on every relevant CPU. */
void
mana_quiesce_barrier(void)
{
	if (mana_membarrier_cmd >= 0 && mana_membarrier(mana_membarrier_cmd, 0) == 0)
		return;
	/* Every process then uses fenced bursts: a local fence pairs with theirs. */
	rte_atomic_thread_fence(rte_memory_order_seq_cst);
}

struct mana_quiesce_walk {
	struct rte_eth_dev *dev;
	uint32_t tag;
	uint64_t deadline_ns;
	struct mana_quiesce_result *res;
};

/* Wait for one guard word; true if it is clear (or was cleared for a dead owner). */
static bool
mana_quiesce_one(struct mana_quiesce_walk *w, RTE_ATOMIC(uint32_t) *busy)
{
	uint64_t next_liveness = 0;
	unsigned int spins = 0;
	uint32_t tag;

	tag = rte_atomic_load_explicit(busy, rte_memory_order_acquire);
	if (tag == 0 || (w->tag != 0 && tag != w->tag))
		return true;
	w->res->waited++;

	for (;;) {
		uint64_t now;

		tag = rte_atomic_load_explicit(busy, rte_memory_order_acquire);
		if (tag == 0)
			return true;
		now = mana_now_ns();
		if (w->tag == 0 && now >= next_liveness) {
			int slot = (int)tag - 1;
			enum mana_proc_run run = mana_registry_slot_runnable(w->dev, slot);

			if (run == MANA_PROC_GONE) {
				/* Only a dead owner could have left it set: clear it. */
				rte_atomic_compare_exchange_strong_explicit(busy, &tag, 0,
							    rte_memory_order_release,
							    rte_memory_order_relaxed);
				w->res->dead_owner++;
				return true;
			}
			/*
			 * Stopped or traced: it leaves the burst only once
			 * continued, which nobody here can wait for. Stuck now,
			 * not at the deadline (the same rule as a round's
			 * answer, mana_mp_cannot_run()).
			 */
			if (run == MANA_PROC_STOPPED) {
				w->res->stopped_owner++;
				break;
			}
			next_liveness = now + MANA_LIVENESS_PERIOD_NS;
		}
		if (now >= w->deadline_ns)
			break;
		if (++spins < MANA_QUIESCE_SPIN)
			rte_pause();
		else
			sched_yield();
	}
	w->res->stuck++;
	if (tag - 1 < MANA_MAX_PROCS)
		w->res->stuck_slots |= UINT64_C(1) << (tag - 1);
	return false;
}

int
mana_quiesce_wait(struct rte_eth_dev *dev, uint32_t tag, uint32_t timeout_ms,
		  struct mana_quiesce_result *res)
{
	uint64_t start = mana_now_ns();
	struct mana_quiesce_walk w = {
		.dev = dev,
		.tag = tag,
		.deadline_ns = start + (uint64_t)timeout_ms * 1000000ull,
		.res = res,
	};
	bool primary = rte_eal_process_type() == RTE_PROC_PRIMARY;
	const struct mana_priv *priv = mana_local(dev)->priv;
	/*
	 * A secondary reads the queue arrays the primary recorded in the
	 * private data, not dev->data: it may handle UNMAP_DB late, after the
	 * primary released the port (zeroed, or freed since 23.07).
	 */
	void **rxqs = primary ? dev->data->rx_queues : priv->rx_queues;
	void **txqs = primary ? dev->data->tx_queues : priv->tx_queues;
	uint16_t nb_rxq = primary ? dev->data->nb_rx_queues : priv->nb_rx_queues;
	uint16_t nb_txq = primary ? dev->data->nb_tx_queues : priv->nb_tx_queues;
	bool all = true;
	uint16_t i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < nb_rxq && rxqs != NULL; i++) {
		struct mana_rxq *rxq = rxqs[i];

		if (rxq != NULL && !mana_quiesce_one(&w, &rxq->busy)) {
			res->stuck_rxq |= UINT64_C(1) << (i % 64);
			all = false;
		}
	}
	for (i = 0; i < nb_txq && txqs != NULL; i++) {
		struct mana_txq *txq = txqs[i];

		if (txq != NULL && !mana_quiesce_one(&w, &txq->busy)) {
			res->stuck_txq |= UINT64_C(1) << (i % 64);
			all = false;
		}
	}
	res->elapsed_ns = mana_now_ns() - start;
	return all ? 0 : -ETIMEDOUT;
}
