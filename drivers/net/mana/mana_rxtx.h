/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_RXTX_H
#define MANA_RXTX_H

/* Data-path helpers shared by mana_rx.c and mana_tx.c. */

#include <string.h>

#include <rte_io.h>

#include "mana.h"
#include "mana_gdma.h"

/*
 * Write a 64-bit doorbell through this process's mapping of the context's
 * doorbell page: every queue rings the same page, at the offset of its
 * queue type, its id in the value (upstream gdma.c mana_ring_doorbell).
 */
static __rte_always_inline void
mana_ring_doorbell(const struct mana_fast *fast, uint32_t page_offset, uint64_t value)
{
	/* WQEs must be visible before the device sees the new tail (WC page). */
	rte_wmb();
	rte_write64_relaxed(value, fast->db_base + page_offset);
}

/*
 * Next completion of @cq, or NULL. The device writes entry p % count with
 * owner bits (p / count) & 7, consumer and producer both starting at count,
 * so zeroed memory and entries of the previous lap read as "old".
 */
static __rte_always_inline const struct gdma_cqe *
mana_cq_next(struct mana_gdma_queue *cq, bool *overflow)
{
	const struct gdma_cqe *cqe = (const struct gdma_cqe *)
		(cq->buf + (size_t)(cq->head & (cq->count - 1)) * GDMA_CQE_SIZE);
	uint32_t lap = cq->head >> cq->log_count;
	uint32_t last = rte_atomic_load_explicit(
		(const RTE_ATOMIC(uint32_t) *)((const uint8_t *)cqe + 60),
		rte_memory_order_acquire);
	uint32_t owner = last >> 29;

	if (owner == ((lap - 1) & GDMA_CQE_OWNER_MASK))
		return NULL;
	if (unlikely(owner != (lap & GDMA_CQE_OWNER_MASK))) {
		*overflow = true;
		return NULL;
	}
	cq->head++;
	return cqe;
}

/*
 * Once per burst: forget the cached keys if a registration was dropped since
 * they were cached (the range may now hold another pool, under another key).
 * The line is the state word's, which the burst guard has just read.
 */
static __rte_always_inline void
mana_mr_cache_sync(const struct mana_priv *priv, struct mana_mr_cache *cache)
{
	uint32_t gen = rte_atomic_load_explicit(&priv->state.mr_gen, rte_memory_order_acquire);

	if (unlikely(gen != cache->gen)) {
		memset(cache->entries, 0, sizeof(cache->entries));
		cache->next = 0;
		cache->gen = gen;
	}
}

/* Memory key for [addr, addr + len): the queue's cache, then the shared table. */
static __rte_always_inline uint32_t
mana_mr_lookup(struct mana_priv *priv, struct mana_mr_cache *cache,
	       const struct rte_mbuf *mbuf, uintptr_t addr, uint32_t len)
{
	unsigned int i;

	for (i = 0; i < MANA_MR_CACHE_N; i++) {
		const struct mana_mr_entry *e = &cache->entries[i];

		if (addr >= e->start && addr + len <= e->end)
			return e->lkey;
	}
	return mana_mr_lookup_slow(priv, cache, mbuf, addr, len);
}

/* lkey returned when no registration covers an address. */
#define MANA_LKEY_INVALID	UINT32_MAX

#endif /* MANA_RXTX_H */
