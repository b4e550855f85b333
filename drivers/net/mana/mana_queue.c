/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Building the data path in the device from the saved configuration, and
 * tearing it down. Used by dev_start/dev_stop and by the reset's teardown
 * and rebuild phases. Primary only; the caller holds ctl_lock.
 */

#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_stack.h>

#include "mana.h"
#include "mp/mana_mp.h"

/* ------------------------------------------------------------------ */
/* Ring buffers (struct mana_ring_pool).                               */

static unsigned int
mana_ring_find(const struct mana_ring_pool *pool, const void *buf)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(pool->bufs); i++)
		if (pool->bufs[i].state != MANA_RING_EMPTY && pool->bufs[i].buf == buf)
			return i;
	return RTE_DIM(pool->bufs);
}

static bool
mana_ring_socket_ok(int have, int want)
{
	return want == SOCKET_ID_ANY || have == want;
}

/* The provider's allocator (mana_verbs.c): a kept buffer, the heap only at start. */
void *
mana_ring_alloc(struct mana_ring_pool *pool, size_t size, int socket)
{
	unsigned int i, empty = RTE_DIM(pool->bufs);
	void *buf;

	for (i = 0; i < RTE_DIM(pool->bufs); i++) {
		if (pool->bufs[i].state == MANA_RING_EMPTY && empty == RTE_DIM(pool->bufs))
			empty = i;
		if (pool->bufs[i].state != MANA_RING_FREE || pool->bufs[i].size != size ||
		    !mana_ring_socket_ok(pool->bufs[i].socket, socket))
			continue;
		pool->bufs[i].state = MANA_RING_USED;
		memset(pool->bufs[i].buf, 0, size);
		return pool->bufs[i].buf;
	}
	/* In a reset: never the heap, whose lock a dead process may hold. */
	if (!pool->may_grow || empty == RTE_DIM(pool->bufs)) {
		DRV_LOG(ERR, "no ring buffer of %zu bytes kept for this queue%s", size,
			pool->may_grow ? "" : " (a reset does not allocate from the DPDK heap)");
		return NULL;
	}
	buf = rte_zmalloc_socket("mana_ring", size, (size_t)sysconf(_SC_PAGESIZE), socket);
	if (buf == NULL)
		return NULL;
	pool->bufs[empty].buf = buf;
	pool->bufs[empty].size = size;
	pool->bufs[empty].socket = socket;
	pool->bufs[empty].state = MANA_RING_USED;
	return buf;
}

/* The provider gives a ring back (queue destroyed): kept, or retired. */
void
mana_ring_free(struct mana_ring_pool *pool, void *buf)
{
	unsigned int i = mana_ring_find(pool, buf);

	if (i == RTE_DIM(pool->bufs)) {
		/* Not ours: the heap only where it may be used. */
		if (pool->may_grow)
			rte_free(buf);
		else
			DRV_LOG(ERR, "ring buffer %p unknown: left allocated", buf);
		return;
	}
	if (pool->bufs[i].state == MANA_RING_USED_RETIRE)
		pool->bufs[i].state = MANA_RING_RETIRED;
	else if (pool->bufs[i].state == MANA_RING_USED)
		pool->bufs[i].state = MANA_RING_FREE;
}

/* @buf belongs to a quarantined queue: never hand it out again. */
static void
mana_ring_retire(struct mana_ring_pool *pool, const void *buf)
{
	unsigned int i = mana_ring_find(pool, buf);

	if (i == RTE_DIM(pool->bufs))
		return;
	if (pool->bufs[i].state == MANA_RING_USED)
		pool->bufs[i].state = MANA_RING_USED_RETIRE;
	else if (pool->bufs[i].state == MANA_RING_FREE)
		pool->bufs[i].state = MANA_RING_RETIRED;
}

/* The quarantine of @buf's queue is over (its queue freed): back to the heap. */
static void
mana_ring_unretire(struct mana_ring_pool *pool, const void *buf)
{
	unsigned int i = mana_ring_find(pool, buf);

	if (i == RTE_DIM(pool->bufs) || pool->bufs[i].state != MANA_RING_RETIRED)
		return;
	rte_free(pool->bufs[i].buf);
	pool->bufs[i].state = MANA_RING_EMPTY;
	pool->bufs[i].buf = NULL;
}

/*
 * Control path (dev_start, queues created): for every size and socket, keep
 * as many free buffers as are in use - a reset rebuilds every queue from
 * them even when each one was quarantined - and give the rest back.
 */
static int
mana_ring_pool_balance(struct mana_ring_pool *pool)
{
	unsigned int i, j;

	for (i = 0; i < RTE_DIM(pool->bufs); i++) {
		unsigned int used = 0, kept = 0;
		size_t size = pool->bufs[i].size;
		int socket = pool->bufs[i].socket;

		if (pool->bufs[i].state == MANA_RING_EMPTY ||
		    pool->bufs[i].state == MANA_RING_RETIRED)
			continue;
		/* Each size and socket once: at its first entry. */
		for (j = 0; j < i; j++)
			if ((pool->bufs[j].state == MANA_RING_USED ||
			     pool->bufs[j].state == MANA_RING_USED_RETIRE ||
			     pool->bufs[j].state == MANA_RING_FREE) &&
			    pool->bufs[j].size == size && pool->bufs[j].socket == socket)
				break;
		if (j < i)
			continue;
		for (j = i; j < RTE_DIM(pool->bufs); j++) {
			if (pool->bufs[j].size != size || pool->bufs[j].socket != socket)
				continue;
			if (pool->bufs[j].state == MANA_RING_USED ||
			    pool->bufs[j].state == MANA_RING_USED_RETIRE)
				used++;
		}
		for (j = i; j < RTE_DIM(pool->bufs); j++) {
			if (pool->bufs[j].state != MANA_RING_FREE || pool->bufs[j].size != size ||
			    pool->bufs[j].socket != socket)
				continue;
			if (kept < used) {
				kept++;
				continue;
			}
			rte_free(pool->bufs[j].buf);
			pool->bufs[j].buf = NULL;
			pool->bufs[j].state = MANA_RING_EMPTY;
		}
		for (; kept < used; kept++) {
			for (j = 0; j < RTE_DIM(pool->bufs); j++)
				if (pool->bufs[j].state == MANA_RING_EMPTY)
					break;
			if (j == RTE_DIM(pool->bufs))
				return -ENOSPC;
			pool->bufs[j].buf = rte_zmalloc_socket("mana_ring", size,
							       (size_t)sysconf(_SC_PAGESIZE),
							       socket);
			if (pool->bufs[j].buf == NULL)
				return -ENOMEM;
			pool->bufs[j].size = size;
			pool->bufs[j].socket = socket;
			pool->bufs[j].state = MANA_RING_FREE;
		}
	}
	return 0;
}

/* Port close: free what is kept; a retired buffer may still be written: left. */
void
mana_ring_pool_fini(struct mana_ring_pool *pool)
{
	unsigned int i, retired = 0;

	for (i = 0; i < RTE_DIM(pool->bufs); i++) {
		if (pool->bufs[i].state == MANA_RING_RETIRED) {
			retired++;
			continue;
		}
		if (pool->bufs[i].state != MANA_RING_EMPTY)
			rte_free(pool->bufs[i].buf);
		pool->bufs[i].buf = NULL;
		pool->bufs[i].state = MANA_RING_EMPTY;
	}
	if (retired != 0)
		DRV_LOG(WARNING, "%u ring buffer(s) of quarantined queues left allocated", retired);
}

/* ------------------------------------------------------------------ */
/* Mempools a dead process left wedged.                                */

/*
 * How long a gap between a ring's head and tail may stand still before the
 * process that opened it is taken for dead (or frozen): a live one closes
 * it within a few instructions, unless it is descheduled meanwhile.
 */
#define MANA_POOL_WEDGE_MS	50

struct mana_pool_check {
	struct rte_eth_dev *dev;
	int deaths;		/* mana_pool_deaths(), -1 until a pool needs it */
	unsigned int n;
	struct {
		struct rte_mempool *mp;
		bool ok;
	} pools[32];
};

/* The head and tail of @r's producer (@prod) or consumer side, by sync type. */
static bool
mana_ring_positions(const struct rte_ring *r, bool prod, uint32_t *head, uint32_t *tail)
{
	const struct rte_ring_headtail *ht = prod ? &r->prod : &r->cons;

	switch (ht->sync_type) {
	case RTE_RING_SYNC_MT:
		*head = ht->head;
		*tail = ht->tail;
		return true;
	case RTE_RING_SYNC_MT_RTS:
		*head = (prod ? &r->rts_prod : &r->rts_cons)->head.val.pos;
		*tail = (prod ? &r->rts_prod : &r->rts_cons)->tail.val.pos;
		return true;
	case RTE_RING_SYNC_MT_HTS:
		*head = (prod ? &r->hts_prod : &r->hts_cons)->ht.pos.head;
		*tail = (prod ? &r->hts_prod : &r->hts_cons)->ht.pos.tail;
		return true;
	default:
		/* A single producer or consumer waits for no one. */
		return false;
	}
}

/*
 * A multi-producer (or -consumer) rte_ring is wedged when a process died
 * between moving its head and its tail: every later enqueue (dequeue) waits
 * for that tail forever (lib/ring/rte_ring_generic_pvt.h,
 * __rte_ring_update_tail; rte_ring_rts/hts likewise). DPDK cannot repair
 * it. A gap whose tail does not move for MANA_POOL_WEDGE_MS is taken for
 * that (pool_data is the ring mempool drivers' rte_ring,
 * drivers/mempool/ring).
 */
static bool
mana_pool_ring_wedged(const struct rte_mempool *mp, bool put)
{
	const struct rte_ring *r = mp->pool_data;
	uint64_t deadline;
	uint32_t head, tail, tail0;

	if (r == NULL || !mana_ring_positions(r, put, &head, &tail0) || head == tail0)
		return false;
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * MANA_POOL_WEDGE_MS / 1000;
	do {
		rte_delay_us_sleep(100);
		if (!mana_ring_positions(r, put, &head, &tail) || head == tail || tail != tail0)
			return false;
	} while (rte_get_timer_cycles() < deadline);
	DRV_LOG(ERR, "mempool %s: a process died inside a %s (ring %s head %u tail %u); "
		"its buffers are no longer %s", mp->name, put ? "put" : "get",
		put ? "producer" : "consumer", head, tail, put ? "given back" : "taken");
	return true;
}

/*
 * The "stack" driver's rte_stack (pool_data, drivers/mempool/stack) takes a
 * spinlock for every push and pop (lib/stack/rte_stack_std.h): a process
 * that died holding it leaves it taken for good. Held without a break for
 * MANA_POOL_WEDGE_MS is taken for that. ("lf_stack" is lock-free: a process
 * dead inside a push or pop leaves nothing that a later one waits for,
 * lib/stack/rte_stack_lf_c11.h.)
 */
static bool
mana_pool_stack_wedged(struct rte_mempool *mp, bool put)
{
	struct rte_stack *s = mp->pool_data;
	uint64_t deadline;

	if (s == NULL || (s->flags & RTE_STACK_F_LF) != 0)
		return false;
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * MANA_POOL_WEDGE_MS / 1000;
	do {
		if (rte_atomic_load_explicit(&s->stack_std.lock.locked,
					     rte_memory_order_relaxed) == 0)
			return false;
		rte_delay_us_sleep(100);
	} while (rte_get_timer_cycles() < deadline);
	DRV_LOG(ERR, "mempool %s: its stack lock is held by a process that died (or is "
		"frozen); its buffers are no longer %s", mp->name, put ? "given back" : "taken");
	return true;
}

/*
 * Did a process attached to @dev die since the last reset (or is one dead
 * now)? The registry counts the slots of dead processes it reclaims.
 */
static bool
mana_pool_deaths(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);

	return lp->priv->registry_deaths != lp->deaths_seen ||
	       mana_mp_dead_slots(dev, mana_registry_members(dev, true)) != 0;
}

/*
 * May the reset path put buffers into @mp (@put) or take some from it,
 * without waiting on what a dead process may hold? Drivers whose shared
 * state is readable are looked at (ring_*, stack), lock-free ones need not
 * be (lf_stack). Any other driver (bucket, hardware pools, one of the
 * application's own) cannot be checked: it is not used when a process
 * attached to the port died since the last reset, else it is (*@deaths:
 * mana_pool_deaths(), -1 until looked at - only such a pool needs it, and
 * it reads /proc of every secondary).
 * bucket indexes per-lcore state by rte_lcore_id() (drivers/mempool/bucket)
 * and so is never used from a thread that is not an lcore, as the reset
 * thread. A process that dies between this look and the driver's own
 * operation is not covered.
 */
static bool
mana_pool_wedged(struct rte_eth_dev *dev, struct rte_mempool *mp, bool put, int *deaths)
{
	const struct rte_mempool_ops *ops = rte_mempool_get_ops(mp->ops_index);
	const char *name = ops != NULL ? ops->name : "?";

	if (strncmp(name, "ring_", 5) == 0)
		return mana_pool_ring_wedged(mp, put);
	if (strcmp(name, "stack") == 0)
		return mana_pool_stack_wedged(mp, put);
	if (strcmp(name, "lf_stack") == 0)
		return false;
	if (strcmp(name, "bucket") == 0 && rte_lcore_id() == LCORE_ID_ANY) {
		DRV_LOG(ERR, "mempool %s (driver bucket) cannot be used from a thread that is"
			" not an lcore; its buffers are no longer %s", mp->name,
			put ? "given back" : "taken");
		return true;
	}
	if (*deaths < 0)
		*deaths = mana_pool_deaths(dev);
	if (*deaths == 0)
		return false;
	DRV_LOG(ERR, "mempool %s: driver %s cannot be checked for what a process that died"
		" left held; its buffers are no longer %s", mp->name, name,
		put ? "given back" : "taken");
	return true;
}

/* The reset is over: later deaths count for the next one. */
void
mana_pool_deaths_seen(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);

	lp->deaths_seen = lp->priv->registry_deaths;
}

/* May buffers go back to @mp (looked at once per drain)? */
bool
mana_pool_check_put(struct mana_pool_check *chk, struct rte_mempool *mp)
{
	unsigned int i;
	bool ok;

	if (mp == NULL)
		return true;
	for (i = 0; i < chk->n; i++)
		if (chk->pools[i].mp == mp)
			return chk->pools[i].ok;
	ok = !mana_pool_wedged(chk->dev, mp, true, &chk->deaths);
	if (chk->n < RTE_DIM(chk->pools)) {
		chk->pools[chk->n].mp = mp;
		chk->pools[chk->n++].ok = ok;
	}
	return ok;
}

static void
mana_gdma_queue_init(struct mana_gdma_queue *q, const struct mana_hw_queue_info *info,
		     bool is_cq)
{
	q->buf = info->buf;
	q->count = info->count;
	q->size = info->size;
	q->id = info->id;
	q->tail = 0;
	/* Completion queues are read from index count (owner bits start at 1). */
	q->head = is_cq ? info->count : 0;
	q->log_count = is_cq ? rte_log2_u32(info->count) : 0;
}

static bool
mana_queue_info_ok(const struct rte_eth_dev *dev, const struct mana_hw_queue_info *info,
		   uint32_t min_count, bool is_cq)
{
	if (info->buf == NULL || info->count < min_count || !rte_is_power_of_2(info->count) ||
	    !rte_is_power_of_2(info->size) ||
	    (is_cq && info->size != info->count * GDMA_CQE_SIZE) ||
	    (!is_cq && info->size < info->count * GDMA_WQE_BU)) {
		DRV_LOG(ERR, "port %u: device returned an unusable queue (count %u size %u)",
			dev->data->port_id, info->count, info->size);
		return false;
	}
	return true;
}

static uint32_t
mana_rss_fields(uint64_t rss_hf)
{
	uint32_t fields = 0;

	if (rss_hf & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP |
		      RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV4_OTHER))
		fields |= MANA_HW_RSS_IPV4;
	if (rss_hf & (RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP |
		      RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_NONFRAG_IPV6_OTHER))
		fields |= MANA_HW_RSS_IPV6;
	if (rss_hf & (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP))
		fields |= MANA_HW_RSS_TCP;
	if (rss_hf & (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP))
		fields |= MANA_HW_RSS_UDP;
	return fields;
}

/*
 * The port's netdev holds the vport: the kernel refuses the RAW QP that
 * would claim it (Linux mana_ib_cfg_vport -> mana_cfg_vport: EBUSY, which
 * recent kernels return as ENODEV). Tell the user what to do.
 */
static void
mana_txq_explain(struct rte_eth_dev *dev, uint16_t i, int error)
{
	struct mana_local *lp = mana_local(dev);
	char ifname[IF_NAMESIZE];
	bool up = false;

	if ((error == -ENODEV || error == -EBUSY) &&
	    mana_hw_port_netdev(lp->ctx, ifname, &up) == 0 && up) {
		DRV_LOG(ERR, "port %u: the vport is held by kernel interface %s (it is up);"
			" bring it down (ip link set %s down) to use this port with DPDK",
			dev->data->port_id, ifname, ifname);
		return;
	}
	DRV_LOG(ERR, "port %u: creating the send queue of Tx queue %u failed: %s",
		dev->data->port_id, i, strerror(-error));
}

/*
 * Tx queue @i: CQ, then the RAW QP over it (its send and receive CQ), whose
 * creation gives the SQ id, the vport offset and the CQ id (rdma-core
 * providers/mana/qp.c mana_create_qp_raw; upstream tx.c).
 */
static int
mana_txq_create(struct rte_eth_dev *dev, uint16_t i)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_txq *txq = dev->data->tx_queues[i];
	struct mana_hw_queue_info sq_info, cq_info;
	int ret;

	if (txq == NULL) {
		DRV_LOG(ERR, "port %u: Tx queue %u is not set up", dev->data->port_id, i);
		return -EINVAL;
	}
	ret = mana_hw_create_cq(lp->ctx, txq->nb_desc, txq->socket, &lp->tx_cq[i]);
	if (ret != 0)
		return ret;
	ret = mana_hw_create_sq(lp->pd, lp->tx_cq[i], txq->nb_desc, txq->max_sge, txq->socket,
				&lp->tx_sq[i], &sq_info, &cq_info);
	if (ret != 0) {
		mana_txq_explain(dev, i, ret);
		return ret;
	}
	if (!mana_queue_info_ok(dev, &cq_info, txq->nb_desc, true) ||
	    !mana_queue_info_ok(dev, &sq_info, txq->nb_desc, false))
		return -EIO;
	mana_gdma_queue_init(&txq->cq, &cq_info, true);
	mana_gdma_queue_init(&txq->sq, &sq_info, false);
	txq->vport_offset = sq_info.tx_vp_offset;
	txq->long_oob = sq_info.tx_vp_offset > MANA_TX_SHORT_VPORT_OFFSET_MAX;
	/* A vport offset the short OOB cannot hold goes in the long part. */
	txq->tx_oob = MANA_TX_OOB_VCQ_NUM(txq->cq.id) | MANA_TX_OOB_VSQ_FRAME(txq->sq.id >> 10) |
		      (txq->long_oob ? 0 : MANA_TX_OOB_VPORT_OFFSET(txq->vport_offset));
	txq->wqe_mask = sq_info.size / GDMA_WQE_BU - 1;
	txq->unsignalled = 0;
	txq->desc_head = 0;
	txq->desc_tail = 0;
	mana_mr_cache_flush(&txq->mr_cache);
	return 0;
}

/* Rx queue @i: CQ, then a WQ completing to it. No ids before the RSS QP. */
static int
mana_rxq_create(struct rte_eth_dev *dev, uint16_t i)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_rxq *rxq = dev->data->rx_queues[i];
	int ret;

	if (rxq == NULL) {
		DRV_LOG(ERR, "port %u: Rx queue %u is not set up", dev->data->port_id, i);
		return -EINVAL;
	}
	ret = mana_hw_create_cq(lp->ctx, rxq->nb_desc, rxq->socket, &lp->rx_cq[i]);
	if (ret != 0)
		return ret;
	return mana_hw_create_wq(lp->pd, lp->rx_cq[i], rxq->nb_desc, rxq->socket, &lp->rx_wq[i]);
}

/*
 * The RSS QP over every Rx WQ. The indirection table has exactly one entry
 * per Rx queue, each WQ once, in the order of the saved RETA's period: the
 * kernel hands each WQ to one receive object (a WQ listed twice fails) and
 * spreads the table to 64 entries as entry j = table[j % n] (Linux
 * drivers/infiniband/hw/mana/qp.c mana_ib_create_qp_rss; upstream rx.c).
 */
static int
mana_rss_create(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = mana_priv(dev);
	struct mana_hw_wq *wqs[MANA_RETA_SIZE];
	uint16_t n = dev->data->nb_rx_queues;
	uint64_t seen = 0, rss_hf = 0;
	unsigned int j;
	int ret;

	if (n == 0 || n > MANA_RETA_SIZE || !rte_is_power_of_2(n))
		return -EINVAL;
	for (j = 0; j < n; j++) {
		uint16_t q = priv->reta[j];

		if (q >= n || (seen & (UINT64_C(1) << q)) || lp->rx_wq[q] == NULL) {
			DRV_LOG(ERR, "port %u: the saved RETA does not list each of the %u Rx"
				" queues once", dev->data->port_id, n);
			return -EINVAL;
		}
		seen |= UINT64_C(1) << q;
		wqs[j] = lp->rx_wq[q];
	}
	if (dev->data->dev_conf.rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG)
		rss_hf = priv->rss_hf;
	ret = mana_hw_create_rss(lp->pd, wqs, n, priv->rss_key, mana_rss_fields(rss_hf),
				 &lp->rss);
	if (ret != 0)
		DRV_LOG(ERR, "port %u: creating the RSS QP failed: %s", dev->data->port_id,
			strerror(-ret));
	return ret;
}

/* Rx queue @i once the RSS QP exists: its rings and ids. */
static int
mana_rxq_attach(struct rte_eth_dev *dev, uint16_t i)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_rxq *rxq = dev->data->rx_queues[i];
	struct mana_hw_queue_info wq_info, cq_info;
	int ret;

	ret = mana_hw_rxq_info(lp->rx_wq[i], &wq_info, &cq_info);
	if (ret != 0)
		return ret;
	if (!mana_queue_info_ok(dev, &cq_info, rxq->nb_desc, true) ||
	    !mana_queue_info_ok(dev, &wq_info, rxq->nb_desc, false))
		return -EIO;
	mana_gdma_queue_init(&rxq->cq, &cq_info, true);
	mana_gdma_queue_init(&rxq->rq, &wq_info, false);
	rxq->vlan_strip = (dev->data->dev_conf.rxmode.offloads &
			   RTE_ETH_RX_OFFLOAD_VLAN_STRIP) != 0;
	rxq->backlog_next = 0;
	rxq->desc_head = 0;
	rxq->desc_tail = 0;
	mana_mr_cache_flush(&rxq->mr_cache);
	return 0;
}

/*
 * @mtu on the kernel netdev of the port, which the vPort's MTU follows (as
 * upstream's mtu_set). -EINVAL when its frames do not fit an Rx queue's
 * buffers (one buffer per packet); -ENODEV when the netdev is not found
 * (not logged: the callers judge it); else -errno of the ioctl (EPERM
 * without CAP_NET_ADMIN when the MTU differs). Caller holds ctl_lock.
 */
int
mana_port_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct mana_local *lp = mana_local(dev);
	uint32_t frame = (uint32_t)mtu + RTE_ETHER_HDR_LEN;
	uint16_t i;
	int ret;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq != NULL && frame > rxq->buf_len) {
			DRV_LOG(ERR, "port %u: MTU %u does not fit the %u-byte buffers of Rx queue %u",
				dev->data->port_id, mtu, rxq->buf_len, i);
			return -EINVAL;
		}
	}
	ret = lp->ctx != NULL ? mana_hw_set_mtu(lp->ctx, mtu) : -EIO;
	if (ret != 0 && ret != -ENODEV)
		DRV_LOG(ERR, "port %u: setting MTU %u on the kernel netdev failed: %s",
			dev->data->port_id, mtu, strerror(-ret));
	return ret;
}

/*
 * The port's MTU (dev->data->mtu: rte_eth_dev_configure's rxmode.mtu or the
 * last mtu_set) at each start, and after a reset, whose new device instance
 * comes back with netdevs at their default. A netdev that cannot be found
 * is not an error here: the application may run in another network
 * namespace, where upstream net/mana cannot set the MTU either. Caller
 * holds ctl_lock.
 */
int
mana_port_mtu_apply(struct rte_eth_dev *dev)
{
	int ret = mana_port_mtu_set(dev, dev->data->mtu);

	if (ret == -ENODEV) {
		DRV_LOG(WARNING, "port %u: no kernel netdev of the port in sight; MTU %u not "
			"applied", dev->data->port_id, dev->data->mtu);
		return 0;
	}
	return ret;
}

/*
 * Create every queue in the device, in upstream's order: Tx first (the
 * first RAW QP claims the vport), then Rx (CQs and WQs, the RSS QP, then
 * the ids), then post the receive buffers and ring. @at_start: dev_start,
 * where the rings may come from the DPDK heap and the spares a reset needs
 * are set aside; otherwise (a reset) the rings come from those kept, and no
 * buffer is taken from a mempool a dead process left wedged.
 */
int
mana_queues_create(struct rte_eth_dev *dev, bool at_start)
{
	struct mana_local *lp = mana_local(dev);
	int deaths = -1;
	uint16_t i;
	int ret;

	mana_hw_set_ring_pool(lp->ctx, &lp->rings);
	lp->rings.may_grow = at_start;
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		ret = mana_txq_create(dev, i);
		if (ret != 0)
			goto fail;
	}
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		ret = mana_rxq_create(dev, i);
		if (ret != 0)
			goto fail;
	}
	ret = mana_rss_create(dev);
	if (ret != 0)
		goto fail;
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		ret = mana_rxq_attach(dev, i);
		if (ret != 0)
			goto fail;
	}
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (!at_start && mana_pool_wedged(dev, rxq->mp, false, &deaths)) {
			DRV_LOG(ERR, "port %u: Rx queue %u cannot be refilled from mempool %s",
				dev->data->port_id, i, rxq->mp->name);
			ret = -ENOBUFS;
			goto fail;
		}
		ret = mana_rxq_post_all(rxq);
		if (ret != 0)
			goto fail;
	}
	if (at_start) {
		ret = mana_ring_pool_balance(&lp->rings);
		if (ret != 0) {
			DRV_LOG(ERR, "port %u: keeping spare rings for a reset failed: %s",
				dev->data->port_id, strerror(-ret));
			goto fail;
		}
	}
	lp->rings.may_grow = false;
	return 0;
fail:
	DRV_LOG(ERR, "port %u: building queues failed: %s", dev->data->port_id,
		strerror(-ret));
	if (ret == -ENOMEM && !at_start)
		mana_priv(dev)->reset.ring_shortfalls++;
	mana_queues_destroy(dev);
	mana_queues_release_mbufs(dev);
	lp->rings.may_grow = false;
	return ret;
}

/*
 * Destroy the device side of every queue, in the reverse order: the RSS QP,
 * its indirection table, the WQs and their CQs, then the send QPs and their
 * CQs (an object still used by another is EBUSY). Queues must be quiescent.
 */
void
mana_queues_destroy(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	unsigned int i;

	if (lp->rss != NULL)
		mana_hw_destroy_rss(lp->rss);
	lp->rss = NULL;
	for (i = MANA_MAX_QUEUES; i-- > 0;) {
		if (lp->rx_wq[i] != NULL)
			mana_hw_destroy_wq(lp->rx_wq[i]);
		lp->rx_wq[i] = NULL;
	}
	for (i = MANA_MAX_QUEUES; i-- > 0;) {
		if (lp->rx_cq[i] != NULL)
			mana_hw_destroy_cq(lp->rx_cq[i]);
		lp->rx_cq[i] = NULL;
	}
	for (i = MANA_MAX_QUEUES; i-- > 0;) {
		if (lp->tx_sq[i] != NULL)
			mana_hw_destroy_sq(lp->tx_sq[i]);
		if (lp->tx_cq[i] != NULL)
			mana_hw_destroy_cq(lp->tx_cq[i]);
		lp->tx_sq[i] = NULL;
		lp->tx_cq[i] = NULL;
	}
}

/*
 * Every mbuf a queue holds goes back to its pool, except into a pool a dead
 * process left wedged (mana_pool_wedged): those are left out of it rather
 * than wait forever, counted (xstat reset_mbufs_leaked) and logged. Queues
 * must be quiescent.
 */
void
mana_queues_release_mbufs(struct rte_eth_dev *dev)
{
	struct mana_pool_check chk = { .dev = dev, .deaths = -1, .n = 0 };
	unsigned int leaked = 0;
	uint16_t i;

	/* A queue quarantined in place is its stuck poller's: not touched. */
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq != NULL && !rxq->quarantined)
			leaked += mana_rxq_drain(rxq, &chk);
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		struct mana_txq *txq = dev->data->tx_queues[i];

		if (txq != NULL && !txq->quarantined)
			leaked += mana_txq_drain(txq, &chk);
	}
	if (leaked == 0)
		return;
	mana_priv(dev)->reset.mbufs_leaked += leaked;
	DRV_LOG(ERR, "port %u: %u mbuf(s) left out of mempools wedged by a dead process",
		dev->data->port_id, leaked);
}

/*
 * A poller stuck inside a burst past the quiesce deadline still holds a
 * pointer to its queue. Rather than rebuild the queue under it, give the
 * port a fresh, empty copy - the queue's spare, set aside by dev_start, for
 * the DPDK heap is not used here (a dead process may hold its lock) - and
 * keep the old one, with whatever buffers it holds, away from everyone
 * until its poller has left. A straggler that wakes up then writes only
 * into memory nobody else uses, before it faults on its revoked doorbell.
 * Without a spare (a second quarantine of the queue before the next
 * dev_start) or room in the list, the queue stays in its slot, out of use:
 * its rings retired, its buffers not drained, never rebuilt or freed while
 * its poller is inside; the caller fails a reset (@q->unquarantined).
 */
static void
mana_queue_quarantine(struct rte_eth_dev *dev, uint16_t qid, bool is_tx,
		      struct mana_quiesce_result *q)
{
	struct mana_local *lp = mana_local(dev);
	void **slot = is_tx ? &dev->data->tx_queues[qid] : &dev->data->rx_queues[qid];
	void *old = *slot;
	void *fresh = is_tx ? (void *)lp->spare_txq[qid] : (void *)lp->spare_rxq[qid];
	bool *in_place;

	if (old == NULL)
		return;
	in_place = is_tx ? &((struct mana_txq *)old)->quarantined :
		&((struct mana_rxq *)old)->quarantined;
	if (*in_place) {
		q->unquarantined++;	/* already out of use (a stop after a failed reset) */
		return;
	}
	/* Its rings stay the stuck poller's: a rebuild takes spares. */
	if (is_tx) {
		mana_ring_retire(&lp->rings, ((struct mana_txq *)old)->sq.buf);
		mana_ring_retire(&lp->rings, ((struct mana_txq *)old)->cq.buf);
	} else {
		mana_ring_retire(&lp->rings, ((struct mana_rxq *)old)->rq.buf);
		mana_ring_retire(&lp->rings, ((struct mana_rxq *)old)->cq.buf);
	}
	if (fresh == NULL || lp->nb_quarantined == RTE_DIM(lp->quarantine)) {
		*in_place = true;
		q->unquarantined++;
		mana_priv(dev)->reset.quarantine_shortfalls++;
		DRV_LOG(ERR, "port %u: %s queue %u: poller stuck in a burst and no spare queue"
			" kept for it (quarantined since the last start): left out of use",
			dev->data->port_id, is_tx ? "Tx" : "Rx", qid);
		return;
	}
	if (is_tx) {
		mana_txq_clone(fresh, old);
		lp->spare_txq[qid] = NULL;
	} else {
		mana_rxq_clone(fresh, old);
		lp->spare_rxq[qid] = NULL;
	}
	lp->quarantine[lp->nb_quarantined].queue = old;
	lp->quarantine[lp->nb_quarantined++].is_tx = is_tx;
	*slot = fresh;
	DRV_LOG(WARNING, "port %u: %s queue %u quarantined (poller stuck in a burst)",
		dev->data->port_id, is_tx ? "Tx" : "Rx", qid);
}

/*
 * Wait, bounded by quiesce_timeout_ms, until no burst is inside a queue
 * (the caller has changed the state word). At the deadline, the processes
 * still inside are evicted and their queues quarantined; a process that
 * cannot run (stopped, traced) is not waited for. Returns 0 or
 * -ETIMEDOUT, with the details in @q.
 */
int
mana_queues_quiesce(struct rte_eth_dev *dev, struct mana_quiesce_result *q)
{
	uint32_t timeout_ms = mana_priv(dev)->args.quiesce_timeout_ms;
	uint64_t stuck_slots;
	uint16_t i;

	mana_quiesce_barrier();
	if (mana_quiesce_wait(dev, 0, timeout_ms, q) == 0)
		return 0;
	/* Slot 0 is this process: the primary is not evicted from its own port. */
	stuck_slots = q->stuck_slots & ~UINT64_C(1);
	DRV_LOG(ERR, "port %u: %u queue(s) still inside a burst (%u held by stopped or traced"
		" processes, not waited for; the others after %u ms); evicting their processes"
		" (slots %#" PRIx64 ")", dev->data->port_id, q->stuck, q->stopped_owner,
		timeout_ms, stuck_slots);
	mana_registry_evict(dev, stuck_slots);
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		if (q->stuck_rxq & (UINT64_C(1) << i))
			mana_queue_quarantine(dev, i, false, q);
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		if (q->stuck_txq & (UINT64_C(1) << i))
			mana_queue_quarantine(dev, i, true, q);
	return -ETIMEDOUT;
}

/*
 * A quarantined @queue (in the list, or left in its slot) whose poller has
 * left or died is freed with its buffers and retired rings; one still in
 * use is left as it is (false). Control path: the heap is used. Its mbufs
 * go back as a reset's do (mana_queues_release_mbufs): a poller that died
 * inside its burst may have died inside a put into their pool too.
 */
bool
mana_quarantine_end(struct rte_eth_dev *dev, void *queue, bool is_tx)
{
	struct mana_local *lp = mana_local(dev);
	RTE_ATOMIC(uint32_t) *busy = is_tx ? &((struct mana_txq *)queue)->busy :
		&((struct mana_rxq *)queue)->busy;
	uint32_t tag = rte_atomic_load_explicit(busy, rte_memory_order_acquire);
	struct mana_pool_check chk = { .dev = dev, .deaths = -1, .n = 0 };
	unsigned int leaked;

	if (tag != 0 && mana_registry_slot_alive(dev, (int)tag - 1)) {
		DRV_LOG(ERR, "port %u: a quarantined %s queue is still in use; left allocated",
			dev->data->port_id, is_tx ? "Tx" : "Rx");
		return false;
	}
	leaked = is_tx ? mana_txq_drain(queue, &chk) : mana_rxq_drain(queue, &chk);
	if (leaked != 0) {
		mana_priv(dev)->reset.mbufs_leaked += leaked;
		DRV_LOG(ERR, "port %u: %u mbuf(s) of a quarantined queue left out of mempools"
			" wedged by a dead process", dev->data->port_id, leaked);
	}
	if (is_tx) {
		mana_ring_unretire(&lp->rings, ((struct mana_txq *)queue)->sq.buf);
		mana_ring_unretire(&lp->rings, ((struct mana_txq *)queue)->cq.buf);
		mana_txq_free(queue);
	} else {
		mana_ring_unretire(&lp->rings, ((struct mana_rxq *)queue)->rq.buf);
		mana_ring_unretire(&lp->rings, ((struct mana_rxq *)queue)->cq.buf);
		mana_rxq_free(queue);
	}
	return true;
}

/*
 * dev_start and close: free the quarantined queues whose poller has left
 * or died; those still in use stay listed.
 */
void
mana_queues_reap_quarantine(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	unsigned int i, kept = 0;

	for (i = 0; i < lp->nb_quarantined; i++) {
		if (mana_quarantine_end(dev, lp->quarantine[i].queue, lp->quarantine[i].is_tx))
			continue;
		lp->quarantine[kept++] = lp->quarantine[i];
	}
	lp->nb_quarantined = kept;
}

/*
 * Control path (dev_start, ctl_lock held): the spare each queue's
 * quarantine takes (see mana_queue_quarantine), of the queue's size and
 * socket; a queue left in its slot by a quarantine without a spare gets its
 * fresh copy now and joins the list. Spares of queues that no longer exist
 * go back to the heap.
 */
int
mana_queues_spares_fill(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	uint16_t i;

	for (i = 0; i < MANA_MAX_QUEUES; i++) {
		struct mana_rxq *rxq = i < dev->data->nb_rx_queues ? dev->data->rx_queues[i] : NULL;
		struct mana_txq *txq = i < dev->data->nb_tx_queues ? dev->data->tx_queues[i] : NULL;
		struct mana_rxq *rs = lp->spare_rxq[i];
		struct mana_txq *ts = lp->spare_txq[i];

		if (rs != NULL && (rxq == NULL || rs->nb_desc != rxq->nb_desc ||
				   rs->socket != rxq->socket)) {
			mana_rxq_free(rs);
			lp->spare_rxq[i] = NULL;
		}
		if (ts != NULL && (txq == NULL || ts->nb_desc != txq->nb_desc ||
				   ts->socket != txq->socket)) {
			mana_txq_free(ts);
			lp->spare_txq[i] = NULL;
		}
		if (rxq != NULL && rxq->quarantined) {
			if (lp->nb_quarantined == RTE_DIM(lp->quarantine))
				return -ENOSPC;
			rs = mana_rxq_alloc_like(rxq);
			if (rs == NULL)
				return -ENOMEM;
			mana_rxq_clone(rs, rxq);
			lp->quarantine[lp->nb_quarantined].queue = rxq;
			lp->quarantine[lp->nb_quarantined++].is_tx = false;
			dev->data->rx_queues[i] = rs;
			rxq = rs;
		}
		if (txq != NULL && txq->quarantined) {
			if (lp->nb_quarantined == RTE_DIM(lp->quarantine))
				return -ENOSPC;
			ts = mana_txq_alloc_like(txq);
			if (ts == NULL)
				return -ENOMEM;
			mana_txq_clone(ts, txq);
			lp->quarantine[lp->nb_quarantined].queue = txq;
			lp->quarantine[lp->nb_quarantined++].is_tx = true;
			dev->data->tx_queues[i] = ts;
			txq = ts;
		}
		if (rxq != NULL && lp->spare_rxq[i] == NULL) {
			lp->spare_rxq[i] = mana_rxq_alloc_like(rxq);
			if (lp->spare_rxq[i] == NULL)
				return -ENOMEM;
		}
		if (txq != NULL && lp->spare_txq[i] == NULL) {
			lp->spare_txq[i] = mana_txq_alloc_like(txq);
			if (lp->spare_txq[i] == NULL)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Port close: the spares go back to the heap. */
void
mana_queues_spares_free(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	unsigned int i;

	for (i = 0; i < MANA_MAX_QUEUES; i++) {
		if (lp->spare_rxq[i] != NULL)
			mana_rxq_free(lp->spare_rxq[i]);
		if (lp->spare_txq[i] != NULL)
			mana_txq_free(lp->spare_txq[i]);
		lp->spare_rxq[i] = NULL;
		lp->spare_txq[i] = NULL;
	}
}
