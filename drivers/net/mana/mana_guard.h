/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_GUARD_H
#define MANA_GUARD_H

/*
 * The burst guard: how a burst keeps the reset (or stop) out of its queue
 * without a locked instruction or a fence.
 *
 * Burst (any process):            Quiescing side (primary):
 *   q->busy = tag;                  state = RESETTING;
 *   compiler barrier                membarrier(GLOBAL_EXPEDITED);
 *   if (state != burst_word)        for each queue: wait while q->busy,
 *       { q->busy = 0; return 0; }      unless its owner process is dead
 *   ... rings, doorbell ...
 *   q->busy = 0;  (release)
 *
 * This is Dekker's pattern with the expensive half moved to the rare side:
 * the membarrier runs a full barrier on every CPU running a thread of a
 * registered process, so a burst that still read the old state has its
 * busy store visible once membarrier returns, and a burst that starts
 * later reads the new state. Where membarrier is unavailable the PMD
 * installs the *_fenced burst variants, which put the fence here instead.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_atomic.h>
#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "mana.h"

/*
 * A burst of this process was refused by the guard (below): the port's
 * state word is not its burst word (@fast). A secondary that finds the
 * port settled on a doorbell generation newer than the one it has mapped
 * (it was evicted, and is sent nothing of a reset) attaches again, from
 * the interrupt thread (mana_defer()). Cheap and lock-free when there is
 * nothing to do; it reads both words again, so the burst keeps nothing
 * live for it.
 */
void mana_mp_burst_refused(const struct mana_priv *priv, const struct mana_fast *fast) __rte_cold;

static __rte_always_inline bool
mana_burst_enter(RTE_ATOMIC(uint32_t) *busy, const struct mana_priv *priv,
		 const struct mana_fast *fast, const bool fenced)
{
	rte_atomic_store_explicit(busy, fast->busy_tag, rte_memory_order_relaxed);
	if (fenced)
		rte_atomic_thread_fence(rte_memory_order_seq_cst);
	else
		rte_compiler_barrier();
	if (unlikely(mana_state_load(priv) !=
		     rte_atomic_load_explicit(&fast->burst_word, rte_memory_order_relaxed))) {
		rte_atomic_store_explicit(busy, 0, rte_memory_order_release);
		mana_mp_burst_refused(priv, fast);
		return false;
	}
	return true;
}

static __rte_always_inline void
mana_burst_exit(RTE_ATOMIC(uint32_t) *busy)
{
	rte_atomic_store_explicit(busy, 0, rte_memory_order_release);
}

/* No process has this tag: burst words of unmapped processes use it. */
#define MANA_BURST_WORD_NONE	UINT64_MAX

#endif /* MANA_GUARD_H */
