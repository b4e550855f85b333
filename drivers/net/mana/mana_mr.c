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
 * Ranges come and go with mempools: every process that has a port open
 * registers a mbuf pool's chunks when the pool is populated
 * (RTE_MEMPOOL_EVENT_READY) and drops them when the pool is freed
 * (RTE_MEMPOOL_EVENT_DESTROY, invoked before its memory goes back); a
 * secondary asks the primary for both. The data path registers on a miss
 * only memory it has never seen (pools made before the port was opened,
 * external buffers); with the table full it drops the packet, counted, and
 * asks no one. Dropping a range bumps mr_gen, which makes every queue forget
 * its cached keys.
 *
 * After a reset the same ranges are registered again in the new device
 * instance (mana_mr_rebuild): only those of memory still in use, since freed
 * pools have left the table. Rebuilding a queue clears its cache.
 */

#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_eal_memconfig.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include "mana.h"
#include "mana_defer.h"
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

/*
 * A registration refused for want of room: counted every time, logged once
 * (by the first process to refuse) until a range is dropped: a burst may ask
 * for every packet.
 */
static void
mana_mr_refuse(struct mana_priv *priv)
{
	rte_atomic_fetch_add_explicit(&priv->mr.refused, 1, rte_memory_order_relaxed);
	if (rte_atomic_exchange_explicit(&priv->mr.full_reported, 1,
					 rte_memory_order_relaxed) != 0)
		return;
	DRV_LOG(ERR, "port %u: all %u memory registrations in use: packets in new memory "
		"are dropped (xstat mr_refused) until a mempool is freed",
		priv->port_id, MANA_MR_MAX);
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
		mana_mr_refuse(priv);
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

/*
 * Drop entry @i: its key is deregistered and the last entry takes its place.
 * Caller holds mr_lock.
 */
static void
mana_mr_drop_entry(struct mana_local *lp, struct mana_mr_table *t, uint32_t i, uint32_t count)
{
	uint32_t last = count - 1;
	struct mana_mr_entry e;

	if (lp->mr[i] != NULL)
		mana_hw_dereg_mr(lp->mr[i]);
	mana_mr_entry_load(&t->entries[last], &e);
	mana_mr_write_begin(t);
	rte_atomic_store_explicit(&t->entries[i].start, e.start, rte_memory_order_relaxed);
	rte_atomic_store_explicit(&t->entries[i].end, e.end, rte_memory_order_relaxed);
	rte_atomic_store_explicit(&t->entries[i].lkey, e.lkey, rte_memory_order_relaxed);
	rte_atomic_store_explicit(&t->count, last, rte_memory_order_relaxed);
	mana_mr_write_end(t);
	lp->mr[i] = lp->mr[last];
	lp->mr[last] = NULL;
}

/*
 * Drop the registrations of exactly [addr, addr + len), a mempool chunk
 * whose pool is being freed. Queues forget their cached keys before the
 * memory can be reused. Returns the number of entries dropped. Primary only.
 */
unsigned int
mana_mr_drop_range(struct rte_eth_dev *dev, uintptr_t addr, size_t len)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = mana_priv(dev);
	struct mana_mr_table *t = &priv->mr;
	unsigned int dropped = 0;
	uint32_t i, count;

	mana_mutex_lock(&lp->mr_lock);
	count = mana_mr_count(t);
	for (i = 0; i < count; ) {
		struct mana_mr_entry e;

		mana_mr_entry_load(&t->entries[i], &e);
		if (e.start != addr || e.end != addr + len) {
			i++;
			continue;
		}
		DRV_LOG(DEBUG, "port %u: MR %u %#" PRIxPTR "+%zu dropped (memory freed)",
			priv->port_id, i, addr, len);
		mana_mr_drop_entry(lp, t, i, count);
		count--;
		dropped++;
	}
	if (dropped != 0) {
		rte_atomic_fetch_add_explicit(&t->reclaimed, dropped, rte_memory_order_relaxed);
		rte_atomic_store_explicit(&t->full_reported, 0, rte_memory_order_relaxed);
		rte_atomic_fetch_add_explicit(&priv->state.mr_gen, 1, rte_memory_order_release);
	}
	mana_mutex_unlock(&lp->mr_lock);
	return dropped;
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

/*
 * Secondary: ranges a burst met that are not registered yet. A burst never
 * waits for the primary: it leaves the packet with the caller (EAGAIN) and
 * queues the range here; deferred work on the EAL interrupt thread asks the
 * primary (REG_MR), and a later burst finds the range registered.
 */
#define MANA_MR_PENDING_N	16

/* A REG_MR/DEREG_MR a secondary sends outside the burst and any lock. */
struct mana_mr_request {
	uint16_t port_id;
	uint32_t timeout_ms;
	uintptr_t addr;
	size_t len;
};

static struct mana_mutex mana_mr_pending_lock;
static struct mana_mr_request mana_mr_pending[MANA_MR_PENDING_N];
static unsigned int mana_mr_nb_pending;
/* Written under mana_mr_pending_lock, but for a failed mana_defer() (a burst never blocks). */
static RTE_ATOMIC(bool) mana_mr_pending_armed;
/*
 * Held while the deferred run sends its REG_MRs and while a freed pool's ranges are
 * taken off the list and given back (DEREG_MR): a range queued before its
 * pool was freed is then either registered before the DEREG_MR, which drops
 * it, or forgotten - never registered after its memory went back. Never
 * taken by the rte_mp thread that delivers the replies.
 */
static struct mana_mutex mana_mr_request_lock;

RTE_INIT(mana_mr_pending_lock_init)
{
	mana_mutex_init(&mana_mr_pending_lock);
	mana_mutex_init(&mana_mr_request_lock);
}

static void
mana_mr_pending_run(void *arg __rte_unused)
{
	struct mana_mr_request todo[MANA_MR_PENDING_N];
	unsigned int n, i;
	int ret;

	mana_mutex_lock(&mana_mr_request_lock);
	mana_mutex_lock(&mana_mr_pending_lock);
	n = mana_mr_nb_pending;
	memcpy(todo, mana_mr_pending, n * sizeof(todo[0]));
	mana_mr_nb_pending = 0;
	rte_atomic_store_explicit(&mana_mr_pending_armed, false, rte_memory_order_relaxed);
	mana_mutex_unlock(&mana_mr_pending_lock);
	/* Not under the pending lock: bursts only try it. */
	for (i = 0; i < n; i++) {
		ret = mana_mp_request_mr(todo[i].port_id, todo[i].timeout_ms, true, todo[i].addr,
					 todo[i].len);
		if (ret != 0 && ret != -ENOSPC)
			DRV_LOG(WARNING, "port %u: registering %#" PRIxPTR "+%zu: %s",
				todo[i].port_id, todo[i].addr, todo[i].len, strerror(-ret));
		/*
		 * A failure is asked again at the next burst that meets the range.
		 * A primary that does not answer would hold this (interrupt)
		 * thread for every further request's whole timeout: stop here.
		 */
		if (ret == -ETIMEDOUT) {
			if (i + 1 < n)
				DRV_LOG(WARNING, "port %u: %u more registrations left to later bursts",
					todo[i].port_id, n - i - 1);
			break;
		}
	}
	mana_mutex_unlock(&mana_mr_request_lock);
}

/* Secondary: take the ranges inside [addr, addr + len) off the pending list. */
static void
mana_mr_pending_forget(uintptr_t addr, size_t len)
{
	unsigned int i = 0;

	mana_mutex_lock(&mana_mr_pending_lock);
	while (i < mana_mr_nb_pending) {
		const struct mana_mr_request *r = &mana_mr_pending[i];

		if (r->addr >= addr && r->addr + r->len <= addr + len)
			mana_mr_pending[i] = mana_mr_pending[--mana_mr_nb_pending];
		else
			i++;
	}
	mana_mutex_unlock(&mana_mr_pending_lock);
}

/* From a burst: queue @start/@len for deferred registration. Never blocks. */
static void
mana_mr_pending_add(const struct mana_priv *priv, uintptr_t start, size_t len)
{
	unsigned int i;
	bool arm;

	if (!mana_mutex_trylock(&mana_mr_pending_lock))
		return;		/* the next burst queues it */
	for (i = 0; i < mana_mr_nb_pending; i++)
		if (mana_mr_pending[i].port_id == priv->port_id &&
		    mana_mr_pending[i].addr == start)
			break;
	if (i == mana_mr_nb_pending && i < MANA_MR_PENDING_N) {
		mana_mr_pending[i] = (struct mana_mr_request){
			.port_id = priv->port_id,
			.timeout_ms = priv->args.request_timeout_ms,
			.addr = start,
			.len = len,
		};
		mana_mr_nb_pending++;
	}
	arm = !rte_atomic_load_explicit(&mana_mr_pending_armed, rte_memory_order_relaxed) &&
	      mana_mr_nb_pending > 0;
	if (arm)
		rte_atomic_store_explicit(&mana_mr_pending_armed, true, rte_memory_order_relaxed);
	mana_mutex_unlock(&mana_mr_pending_lock);
	if (arm && mana_defer(mana_mr_pending_run, NULL) != 0)
		rte_atomic_store_explicit(&mana_mr_pending_armed, false, rte_memory_order_relaxed);
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
		if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
			ret = mana_mr_register_range(dev, start, size);
		} else if (mana_mr_count(&priv->mr) == MANA_MR_MAX) {
			/* No request that cannot succeed, from a burst. */
			mana_mr_refuse(priv);
			ret = -ENOSPC;
		} else {
			mana_mr_pending_add(priv, start, size);
			ret = -EAGAIN;
		}
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

		/* Registered in this instance already (by a request since REMAP). */
		if (lp->mr[i] != NULL)
			continue;
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
 * Deregister everything in the device and deallocate the protection domain,
 * under one hold of mr_lock: a registration (a mempool event, a first
 * sight in a burst) then either finishes before, and is deregistered here,
 * or finds no PD; none can land on the old instance's PD and survive into
 * the rebuild with its key. @forget also empties the table (port close);
 * otherwise the ranges are kept for mana_mr_rebuild. Primary only.
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
	if (lp->pd != NULL)
		mana_hw_dealloc_pd(lp->pd);
	lp->pd = NULL;
	if (forget) {
		mana_mr_write_begin(t);
		rte_atomic_store_explicit(&t->count, 0, rte_memory_order_relaxed);
		mana_mr_write_end(t);
		rte_atomic_store_explicit(&t->full_reported, 0, rte_memory_order_relaxed);
	}
	mana_mutex_unlock(&lp->mr_lock);
}

/* The new instance's protection domain, set under mr_lock (see above). */
void
mana_mr_set_pd(struct rte_eth_dev *dev, struct mana_hw_pd *pd)
{
	struct mana_local *lp = mana_local(dev);

	mana_mutex_lock(&lp->mr_lock);
	lp->pd = pd;
	mana_mutex_unlock(&lp->mr_lock);
}

/* ------------------------------------------------------------------ */
/* Mempool life cycle: registrations follow the pools of this process. */

/*
 * Ports open in this process, for the mempool event callback. The callback
 * is registered once per process and never unregistered: DPDK reads the
 * callback's entry after dropping its list lock (lib/mempool/rte_mempool.c,
 * mempool_event_callback_invoke), so unregistering it while another thread
 * frees a pool could free what that thread is about to read.
 */
/*
 * Secondary: ports this process closed while the primary kept them open,
 * with their request timeout (0: none). DPDK tells only the process that
 * frees a pool (lib/mempool/rte_mempool.c), so a worker that closes its port
 * before it frees its pool still gives the pool's ranges back from here.
 */
static uint32_t mana_mr_left_timeout_ms[RTE_MAX_ETHPORTS];
static struct mana_mutex mana_mr_ports_lock;
static struct rte_eth_dev *mana_mr_ports[RTE_MAX_ETHPORTS];
static bool mana_mr_cb_registered;

RTE_INIT(mana_mr_ports_lock_init)
{
	mana_mutex_init(&mana_mr_ports_lock);
}

/* Pools whose objects can be mbufs (rte_pktmbuf_pool_create's layout). */
static bool
mana_mr_pool_holds_mbufs(const struct rte_mempool *mp)
{
	return mp->elt_size >= sizeof(struct rte_mbuf) &&
	       mp->private_data_size >= sizeof(struct rte_pktmbuf_pool_private);
}

#define MANA_MR_EVENT_REQUESTS	64

/* Does the shared table hold exactly [addr, addr + len) (@exact) or cover it? */
static bool
mana_mr_table_has(const struct mana_mr_table *t, uintptr_t addr, size_t len, bool exact)
{
	struct mana_mr_entry e;

	if (!mana_mr_table_find(t, addr, len, &e))
		return false;
	return !exact || (e.start == addr && e.end == addr + len);
}

/* Register (@ready) or drop the ranges of @mp for every port open here. */
static void
mana_mr_follow_pool(bool ready, struct rte_mempool *mp)
{
	bool primary = rte_eal_process_type() == RTE_PROC_PRIMARY;
	struct mana_mr_request req[MANA_MR_EVENT_REQUESTS];
	struct rte_mempool_memhdr *hdr;
	unsigned int nb_req = 0, i;
	uint16_t port_id;
	int ret;

	mana_mutex_lock(&mana_mr_ports_lock);
	for (port_id = 0; port_id < RTE_MAX_ETHPORTS; port_id++) {
		struct rte_eth_dev *dev = mana_mr_ports[port_id];
		struct mana_priv *priv;

		if (dev == NULL)
			continue;
		/*
		 * Not mana_priv(dev): a late secondary's dev->data may have been
		 * released by the primary; the private data stays for it.
		 */
		priv = mana_local(dev)->priv;
		if (mana_word_state(mana_state_load(priv)) == MANA_DEV_CLOSED)
			continue;
		STAILQ_FOREACH(hdr, &mp->mem_list, next) {
			uintptr_t addr = (uintptr_t)hdr->addr;

			if (primary && ready) {
				/* Mid-reset: the data path registers at first sight. */
				if (mana_reset_doorbell_available(dev))
					(void)mana_mr_register_range(dev, addr, hdr->len);
			} else if (primary) {
				mana_mr_drop_range(dev, addr, hdr->len);
			} else {
				/* Ask only for a change: covered when new, held when freed. */
				bool known = mana_mr_table_has(&priv->mr, addr, hdr->len, !ready);

				/* A full table refuses anyway: the data path counts. */
				if (known == ready || nb_req == RTE_DIM(req) ||
				    (ready && mana_mr_count(&priv->mr) == MANA_MR_MAX))
					continue;
				req[nb_req++] = (struct mana_mr_request){
					.port_id = port_id,
					.timeout_ms = priv->args.request_timeout_ms,
					.addr = addr,
					.len = hdr->len,
				};
			}
		}
	}
	for (port_id = 0; !primary && !ready && port_id < RTE_MAX_ETHPORTS; port_id++) {
		if (mana_mr_left_timeout_ms[port_id] == 0 || mana_mr_ports[port_id] != NULL)
			continue;
		/* Closed here: no table to look at; the primary drops exact matches. */
		STAILQ_FOREACH(hdr, &mp->mem_list, next) {
			if (nb_req == RTE_DIM(req))
				break;
			req[nb_req++] = (struct mana_mr_request){
				.port_id = port_id,
				.timeout_ms = mana_mr_left_timeout_ms[port_id],
				.addr = (uintptr_t)hdr->addr,
				.len = hdr->len,
			};
		}
	}
	mana_mutex_unlock(&mana_mr_ports_lock);

	/*
	 * Not under the lock: the reply comes through the rte_mp thread, which
	 * must never wait for the deferred registration. A port closed meanwhile gets an
	 * -ENODEV answer.
	 */
	for (i = 0; i < nb_req; i++) {
		ret = mana_mp_request_mr(req[i].port_id, req[i].timeout_ms, ready, req[i].addr,
					 req[i].len);
		if (ret != 0 && ret != -ENOSPC)
			DRV_LOG(WARNING, "port %u: mempool %s: %s %#" PRIxPTR "+%zu: %s",
				req[i].port_id, mp->name,
				ready ? "registering" : "dropping the registration of",
				req[i].addr, req[i].len, strerror(-ret));
		/*
		 * A primary that does not answer would hold this thread (and the
		 * deferred registration, behind mana_mr_request_lock) for every
		 * further request's whole timeout. A range left registered stays
		 * until the port closes; one not registered is asked again by the
		 * data path.
		 */
		if (ret == -ETIMEDOUT) {
			if (i + 1 < nb_req)
				DRV_LOG(WARNING, "mempool %s: %u more requests not sent",
					mp->name, nb_req - i - 1);
			break;
		}
	}
}

static void
mana_mr_mempool_event(enum rte_mempool_event event, struct rte_mempool *mp,
		      void *arg __rte_unused)
{
	struct rte_mempool_memhdr *hdr;

	if (event == RTE_MEMPOOL_EVENT_READY) {
		if (mana_mr_pool_holds_mbufs(mp))
			mana_mr_follow_pool(true, mp);
		return;
	}
	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		mana_mr_follow_pool(false, mp);
		return;
	}
	/* A secondary forgets the pool's queued ranges, then gives the rest back. */
	mana_mutex_lock(&mana_mr_request_lock);
	STAILQ_FOREACH(hdr, &mp->mem_list, next)
		mana_mr_pending_forget((uintptr_t)hdr->addr, hdr->len);
	mana_mr_follow_pool(false, mp);
	mana_mutex_unlock(&mana_mr_request_lock);
}

/* Follow this process's mempools for @dev from now on (probe). */
int
mana_mr_track_port(struct rte_eth_dev *dev)
{
	int ret = 0;

	mana_mutex_lock(&mana_mr_ports_lock);
	if (!mana_mr_cb_registered) {
		ret = rte_mempool_event_callback_register(mana_mr_mempool_event, NULL);
		if (ret == 0 || ret == -EEXIST) {
			mana_mr_cb_registered = true;
			ret = 0;
		}
	}
	if (ret == 0) {
		mana_mr_ports[dev->data->port_id] = dev;
		mana_mr_left_timeout_ms[dev->data->port_id] = 0;
	}
	mana_mutex_unlock(&mana_mr_ports_lock);
	if (ret != 0)
		DRV_LOG(ERR, "port %u: cannot follow mempool events: %s", dev->data->port_id,
			strerror(-ret));
	return ret;
}

/* Stop following mempools for @dev; waits for a running event callback. */
void
mana_mr_untrack_port(struct rte_eth_dev *dev)
{
	const struct mana_priv *priv = mana_local(dev)->priv;
	/* The primary keeps the port: this process's pools may still be in its table. */
	bool left = rte_eal_process_type() != RTE_PROC_PRIMARY &&
		    mana_word_state(mana_state_load(priv)) != MANA_DEV_CLOSED;
	uint16_t i;

	/* By pointer: a late secondary's dev->data may no longer name the port. */
	mana_mutex_lock(&mana_mr_ports_lock);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
		if (mana_mr_ports[i] != dev)
			continue;
		mana_mr_ports[i] = NULL;
		mana_mr_left_timeout_ms[i] = left ? priv->args.request_timeout_ms : 0;
	}
	mana_mutex_unlock(&mana_mr_ports_lock);
}
