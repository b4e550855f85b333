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

#include <rte_ethdev.h>

#include "mana.h"
#include "mp/mana_mp.h"

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
 * the ids), then post the receive buffers and ring.
 */
int
mana_queues_create(struct rte_eth_dev *dev)
{
	uint16_t i;
	int ret;

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
		ret = mana_rxq_post_all(dev->data->rx_queues[i]);
		if (ret != 0)
			goto fail;
	}
	return 0;
fail:
	DRV_LOG(ERR, "port %u: building queues failed: %s", dev->data->port_id,
		strerror(-ret));
	mana_queues_destroy(dev);
	mana_queues_release_mbufs(dev);
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

/* Every mbuf a queue holds goes back to its pool. Queues must be quiescent. */
void
mana_queues_release_mbufs(struct rte_eth_dev *dev)
{
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++)
		if (dev->data->rx_queues[i] != NULL)
			mana_rxq_drain(dev->data->rx_queues[i]);
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		if (dev->data->tx_queues[i] != NULL)
			mana_txq_drain(dev->data->tx_queues[i]);
}

/*
 * A poller stuck inside a burst past the quiesce deadline still holds a
 * pointer to its queue. Rather than rebuild the queue under it, give the
 * port a fresh, empty copy and keep the old one - with whatever buffers it
 * holds - away from everyone until the port closes. A straggler that wakes
 * up then writes only into memory nobody else uses, before it faults on its
 * revoked doorbell.
 */
static void
mana_queue_quarantine(struct rte_eth_dev *dev, uint16_t qid, bool is_tx)
{
	struct mana_local *lp = mana_local(dev);
	void **slot = is_tx ? &dev->data->tx_queues[qid] : &dev->data->rx_queues[qid];
	void *fresh;

	if (*slot == NULL || lp->nb_quarantined == RTE_DIM(lp->quarantine))
		return;
	fresh = is_tx ? (void *)mana_txq_clone(*slot) : (void *)mana_rxq_clone(*slot);
	if (fresh == NULL)
		return;
	lp->quarantine[lp->nb_quarantined].queue = *slot;
	lp->quarantine[lp->nb_quarantined++].is_tx = is_tx;
	*slot = fresh;
	DRV_LOG(WARNING, "port %u: %s queue %u quarantined (poller stuck in a burst)",
		dev->data->port_id, is_tx ? "Tx" : "Rx", qid);
}

/*
 * Wait, bounded by quiesce_timeout_ms, until no burst is inside a queue
 * (the caller has changed the state word). At the deadline, the processes
 * still inside are evicted and their queues quarantined. Returns 0 or
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
	DRV_LOG(ERR, "port %u: %u queue(s) still inside a burst after %u ms; evicting their"
		" processes (slots %#" PRIx64 ")", dev->data->port_id, q->stuck, timeout_ms,
		stuck_slots);
	mana_registry_evict(dev, stuck_slots);
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		if (q->stuck_rxq & (UINT64_C(1) << i))
			mana_queue_quarantine(dev, i, false);
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		if (q->stuck_txq & (UINT64_C(1) << i))
			mana_queue_quarantine(dev, i, true);
	return -ETIMEDOUT;
}

/*
 * Port close: free quarantined queues whose poller has left or died, with
 * their buffers; a poller still inside keeps its queue (leaked, logged).
 */
void
mana_queues_reap_quarantine(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	unsigned int i;

	for (i = 0; i < lp->nb_quarantined; i++) {
		void *queue = lp->quarantine[i].queue;
		bool is_tx = lp->quarantine[i].is_tx;
		RTE_ATOMIC(uint32_t) *busy = is_tx ? &((struct mana_txq *)queue)->busy :
			&((struct mana_rxq *)queue)->busy;
		uint32_t tag = rte_atomic_load_explicit(busy, rte_memory_order_acquire);

		if (tag != 0 && mana_registry_slot_alive(dev, (int)tag - 1)) {
			DRV_LOG(ERR, "port %u: a quarantined queue is still in use; leaked",
				dev->data->port_id);
			continue;
		}
		if (is_tx)
			mana_txq_free(queue);
		else
			mana_rxq_free(queue);
	}
	lp->nb_quarantined = 0;
}
