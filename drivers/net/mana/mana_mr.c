/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Memory registrations. The device needs a key (lkey) for every buffer it
 * reads or writes. Only the primary can register (it owns the protection
 * domain); the table of registered ranges lives in shared memory so every
 * process can translate addresses. Writers are serialised by the primary's
 * mr_lock and publish through a sequence counter; readers (any process,
 * data path miss only) retry while a write is in progress. Each queue keeps
 * a small cache of recent hits, so the table is read only on a miss.
 *
 * After a reset the same ranges are registered again in the new device
 * instance (mana_mr_rebuild); rebuilding a queue clears its cache.
 */

#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_eal_memconfig.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include "mana.h"
#include "mana_rxtx.h"
#include "mp/mana_mp.h"

/* Writers (the primary, under mr_lock) read the table with relaxed loads. */
static uint32_t
mana_mr_count(const struct mana_mr_table *t)
{
	return RTE_MIN(rte_atomic_load_explicit(&t->count, rte_memory_order_relaxed),
		       (uint32_t)MANA_MR_MAX);
}

static void
mana_mr_entry_load(const struct mana_mr_shared_entry *shared, struct mana_mr_entry *e)
{
	e->start = rte_atomic_load_explicit(&shared->start, rte_memory_order_relaxed);
	e->end = rte_atomic_load_explicit(&shared->end, rte_memory_order_relaxed);
	e->lkey = rte_atomic_load_explicit(&shared->lkey, rte_memory_order_relaxed);
}

static void
mana_mr_write_begin(struct mana_mr_table *t)
{
	uint32_t seq = rte_atomic_load_explicit(&t->seq, rte_memory_order_relaxed);

	rte_atomic_store_explicit(&t->seq, seq + 1, rte_memory_order_relaxed);
	/* The odd sequence must be visible before any entry changes. */
	rte_atomic_thread_fence(rte_memory_order_release);
}

static void
mana_mr_write_end(struct mana_mr_table *t)
{
	uint32_t seq = rte_atomic_load_explicit(&t->seq, rte_memory_order_relaxed);

	rte_atomic_store_explicit(&t->seq, seq + 1, rte_memory_order_release);
}

static bool
mana_mr_covers(const struct mana_mr_entry *e, uintptr_t addr, size_t len)
{
	return addr >= e->start && addr + len <= e->end;
}

/* Seqlock read: find a registration covering [addr, addr + len). */
static bool
mana_mr_table_find(const struct mana_mr_table *t, uintptr_t addr, size_t len,
		   struct mana_mr_entry *out)
{
	uint32_t seq, count, i;
	bool found;

	for (;;) {
		seq = rte_atomic_load_explicit(&t->seq, rte_memory_order_acquire);
		if (seq & 1) {
			rte_pause();
			continue;
		}
		found = false;
		count = mana_mr_count(t);
		for (i = 0; i < count; i++) {
			struct mana_mr_entry e;

			mana_mr_entry_load(&t->entries[i], &e);
			if (mana_mr_covers(&e, addr, len)) {
				*out = e;
				found = true;
				break;
			}
		}
		/* The entries read above must not be newer than the check below. */
		rte_atomic_thread_fence(rte_memory_order_acquire);
		if (rte_atomic_load_explicit(&t->seq, rte_memory_order_relaxed) == seq)
			return found;
	}
}

void
mana_mr_cache_flush(struct mana_mr_cache *cache)
{
	memset(cache, 0, sizeof(*cache));
}

/* Register [addr, addr + len) unless already covered. Primary only. */
int
mana_mr_register_range(struct rte_eth_dev *dev, uintptr_t addr, size_t len)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = mana_priv(dev);
	struct mana_mr_table *t = &priv->mr;
	struct mana_hw_mr *hw_mr = NULL;
	struct mana_mr_entry e;
	uint32_t lkey, i, count;
	int ret = 0;

	if (len == 0)
		return -EINVAL;

	mana_mutex_lock(&lp->mr_lock);
	count = mana_mr_count(t);
	for (i = 0; i < count; i++) {
		mana_mr_entry_load(&t->entries[i], &e);
		if (mana_mr_covers(&e, addr, len))
			goto out;
	}

	if (count == MANA_MR_MAX) {
		DRV_LOG(ERR, "port %u: all %u memory registrations in use",
			priv->port_id, MANA_MR_MAX);
		ret = -ENOSPC;
		goto out;
	}
	if (lp->pd == NULL) {
		ret = -ENODEV;
		goto out;
	}
	ret = mana_hw_reg_mr(lp->pd, (void *)addr, len, &hw_mr, &lkey);
	if (ret != 0) {
		DRV_LOG(ERR, "port %u: registering %#" PRIxPTR "+%zu failed: %s",
			priv->port_id, addr, len, strerror(-ret));
		goto out;
	}

	mana_mr_write_begin(t);
	i = count;
	rte_atomic_store_explicit(&t->entries[i].start, addr, rte_memory_order_relaxed);
	rte_atomic_store_explicit(&t->entries[i].end, addr + len, rte_memory_order_relaxed);
	rte_atomic_store_explicit(&t->entries[i].lkey, lkey, rte_memory_order_relaxed);
	rte_atomic_store_explicit(&t->count, i + 1, rte_memory_order_relaxed);
	mana_mr_write_end(t);
	lp->mr[i] = hw_mr;
	DRV_LOG(DEBUG, "port %u: MR %u %#" PRIxPTR "+%zu lkey %#x",
		priv->port_id, i, addr, len, lkey);
out:
	mana_mutex_unlock(&lp->mr_lock);
	return ret;
}

struct mana_mr_pool_walk {
	struct rte_eth_dev *dev;
	int ret;
};

static void
mana_mr_chunk_cb(struct rte_mempool *mp __rte_unused, void *opaque,
		 struct rte_mempool_memhdr *memhdr, unsigned int idx __rte_unused)
{
	struct mana_mr_pool_walk *walk = opaque;
	int ret;

	ret = mana_mr_register_range(walk->dev, (uintptr_t)memhdr->addr, memhdr->len);
	if (ret != 0 && walk->ret == 0)
		walk->ret = ret;
}

/* Register every memory chunk of @mp. Primary only. */
int
mana_mr_register_mempool(struct rte_eth_dev *dev, struct rte_mempool *mp)
{
	struct mana_mr_pool_walk walk = { .dev = dev, .ret = 0 };

	rte_mempool_mem_iter(mp, mana_mr_chunk_cb, &walk);
	return walk.ret;
}

/*
 * The range to register for an unknown buffer: the mempool chunk that holds
 * it, else the DPDK memory segment it lives in.
 */
static int
mana_mr_range_of(const struct rte_mbuf *mbuf, uintptr_t addr, size_t len,
		 uintptr_t *start, size_t *size)
{
	const struct rte_mempool *mp = NULL;
	const struct rte_mempool_memhdr *hdr;
	const struct rte_memseg *ms;

	if (mbuf != NULL)
		mp = RTE_MBUF_CLONED(mbuf) ? rte_mbuf_from_indirect((struct rte_mbuf *)
				(uintptr_t)mbuf)->pool : mbuf->pool;
	if (mp != NULL) {
		STAILQ_FOREACH(hdr, &mp->mem_list, next) {
			uintptr_t base = (uintptr_t)hdr->addr;

			if (addr >= base && addr + len <= base + hdr->len) {
				*start = base;
				*size = hdr->len;
				return 0;
			}
		}
	}
	ms = rte_mem_virt2memseg((void *)addr, NULL);
	if (ms == NULL || addr + len > (uintptr_t)ms->addr + ms->len)
		return -EFAULT;
	*start = (uintptr_t)ms->addr;
	*size = ms->len;
	return 0;
}

/* Cache miss: look in the shared table, register the range if it is new. */
uint32_t
mana_mr_lookup_slow(struct mana_priv *priv, struct mana_mr_cache *cache,
		    const struct rte_mbuf *mbuf, uintptr_t addr, uint32_t len)
{
	struct rte_eth_dev *dev = &rte_eth_devices[priv->port_id];
	struct mana_mr_entry e;
	uintptr_t start;
	size_t size;
	int ret;

	if (!mana_mr_table_find(&priv->mr, addr, len, &e)) {
		ret = mana_mr_range_of(mbuf, addr, len, &start, &size);
		if (ret != 0) {
			DP_LOG(ERR, "port %u: buffer %#" PRIxPTR " is not DPDK memory",
			       priv->port_id, addr);
			rte_errno = EFAULT;
			return MANA_LKEY_INVALID;
		}
		if (rte_eal_process_type() == RTE_PROC_PRIMARY)
			ret = mana_mr_register_range(dev, start, size);
		else
			ret = mana_mp_request_reg_mr(dev, start, size);
		if (ret == 0 && !mana_mr_table_find(&priv->mr, addr, len, &e))
			ret = -EFAULT;
		if (ret != 0) {
			rte_errno = -ret;
			return MANA_LKEY_INVALID;
		}
	}
	cache->entries[cache->next] = e;
	cache->next = (cache->next + 1) % MANA_MR_CACHE_N;
	return e.lkey;
}

/*
 * Register every known range again in the current protection domain (after
 * a reset). Queues are rebuilt afterwards, which clears their caches of the
 * old keys. Primary only.
 */
int
mana_mr_rebuild(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = mana_priv(dev);
	struct mana_mr_table *t = &priv->mr;
	uint32_t i, lkey, count;
	int ret = 0;

	mana_mutex_lock(&lp->mr_lock);
	mana_mr_write_begin(t);
	count = mana_mr_count(t);
	for (i = 0; i < count; i++) {
		struct mana_mr_entry e;

		mana_mr_entry_load(&t->entries[i], &e);
		ret = mana_hw_reg_mr(lp->pd, (void *)e.start, e.end - e.start, &lp->mr[i], &lkey);
		if (ret != 0) {
			DRV_LOG(ERR, "port %u: re-registering MR %u failed: %s",
				priv->port_id, i, strerror(-ret));
			lp->mr[i] = NULL;
			break;
		}
		rte_atomic_store_explicit(&t->entries[i].lkey, lkey, rte_memory_order_relaxed);
	}
	mana_mr_write_end(t);
	mana_mutex_unlock(&lp->mr_lock);
	return ret;
}

/*
 * Deregister everything in the device. @forget also empties the table (port
 * close); otherwise the ranges are kept for mana_mr_rebuild. Primary only.
 */
void
mana_mr_release_all(struct rte_eth_dev *dev, bool forget)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = mana_priv(dev);
	struct mana_mr_table *t = &priv->mr;
	uint32_t i, count;

	mana_mutex_lock(&lp->mr_lock);
	count = mana_mr_count(t);
	for (i = 0; i < count; i++) {
		if (lp->mr[i] != NULL)
			mana_hw_dereg_mr(lp->mr[i]);
		lp->mr[i] = NULL;
	}
	if (forget) {
		mana_mr_write_begin(t);
		rte_atomic_store_explicit(&t->count, 0, rte_memory_order_relaxed);
		mana_mr_write_end(t);
	}
	mana_mutex_unlock(&lp->mr_lock);
}
