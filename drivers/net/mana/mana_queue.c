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
	q->db_offset = info->db_offset;
	q->tail = 0;
	/* Completion queues are read from index count (owner bits start at 1). */
	q->head = is_cq ? info->count : 0;
	q->log_count = is_cq ? rte_log2_u32(info->count) : 0;
}

static bool
mana_queue_info_ok(const struct rte_eth_dev *dev, const struct mana_hw_queue_info *info,
		   uint32_t min_count, bool is_cq)
{
	const struct mana_priv *priv = mana_priv(dev);

	if (info->buf == NULL || info->count < min_count || !rte_is_power_of_2(info->count) ||
	    !rte_is_power_of_2(info->size) ||
	    info->db_offset + 4096 > priv->db_region_size ||
	    (is_cq && info->size != info->count * 64)) {
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

/* (Re)create the receive side: indirection table over the Rx queues. */
int
mana_rss_create(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = mana_priv(dev);
	struct mana_hw_wq *reta[MANA_RETA_SIZE];
	struct mana_hw_rss *rss = NULL;
	uint64_t rss_hf = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < MANA_RETA_SIZE; i++) {
		uint16_t q = priv->reta[i];

		if (q >= dev->data->nb_rx_queues || lp->rx_wq[q] == NULL)
			return -EINVAL;
		reta[i] = lp->rx_wq[q];
	}
	if (dev->data->dev_conf.rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG)
		rss_hf = priv->rss_hf;
	ret = lp->ops->create_rss(lp->pd, reta, MANA_HW_RETA_LOG_MAX, priv->rss_key,
				  mana_rss_fields(rss_hf), &rss);
	if (ret != 0) {
		DRV_LOG(ERR, "port %u: creating the RSS object failed: %s", dev->data->port_id,
			strerror(-ret));
		return ret;
	}
	if (lp->rss != NULL)
		lp->ops->destroy_rss(lp->rss);
	lp->rss = rss;
	return 0;
}

static int
mana_rxq_create(struct rte_eth_dev *dev, uint16_t i)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_rxq *rxq = dev->data->rx_queues[i];
	struct mana_hw_queue_info info;
	int ret;

	if (rxq == NULL) {
		DRV_LOG(ERR, "port %u: Rx queue %u is not set up", dev->data->port_id, i);
		return -EINVAL;
	}
	ret = lp->ops->create_cq(lp->ctx, rxq->nb_desc, rxq->socket, &lp->rx_cq[i], &info);
	if (ret != 0)
		return ret;
	if (!mana_queue_info_ok(dev, &info, rxq->nb_desc, true))
		return -EIO;
	mana_gdma_queue_init(&rxq->cq, &info, true);

	ret = lp->ops->create_wq(lp->pd, lp->rx_cq[i], rxq->nb_desc, rxq->socket,
				 &lp->rx_wq[i], &info);
	if (ret != 0)
		return ret;
	if (!mana_queue_info_ok(dev, &info, rxq->nb_desc, false))
		return -EIO;
	mana_gdma_queue_init(&rxq->rq, &info, false);
	rxq->desc_head = 0;
	rxq->desc_tail = 0;
	mana_mr_cache_flush(&rxq->mr_cache);
	return 0;
}

static int
mana_txq_create(struct rte_eth_dev *dev, uint16_t i)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_txq *txq = dev->data->tx_queues[i];
	struct mana_hw_queue_info info;
	int ret;

	if (txq == NULL) {
		DRV_LOG(ERR, "port %u: Tx queue %u is not set up", dev->data->port_id, i);
		return -EINVAL;
	}
	ret = lp->ops->create_cq(lp->ctx, txq->nb_desc, txq->socket, &lp->tx_cq[i], &info);
	if (ret != 0)
		return ret;
	if (!mana_queue_info_ok(dev, &info, txq->nb_desc, true))
		return -EIO;
	mana_gdma_queue_init(&txq->cq, &info, true);

	ret = lp->ops->create_sq(lp->pd, lp->tx_cq[i], txq->nb_desc, txq->max_sge, txq->socket,
				 &lp->tx_sq[i], &info);
	if (ret != 0)
		return ret;
	if (!mana_queue_info_ok(dev, &info, txq->nb_desc, false))
		return -EIO;
	mana_gdma_queue_init(&txq->sq, &info, false);
	txq->vport_offset = info.tx_vp_offset;
	txq->desc_head = 0;
	txq->desc_tail = 0;
	mana_mr_cache_flush(&txq->mr_cache);
	return 0;
}

/* Create every queue in the device and post the receive buffers. */
int
mana_queues_create(struct rte_eth_dev *dev)
{
	uint16_t i;
	int ret;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		ret = mana_rxq_create(dev, i);
		if (ret != 0)
			goto fail;
	}
	ret = mana_rss_create(dev);
	if (ret != 0)
		goto fail;
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		ret = mana_txq_create(dev, i);
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

/* Destroy the device side of every queue. Queues must be quiescent. */
void
mana_queues_destroy(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	const struct mana_hw_ops *ops = lp->ops;
	unsigned int i;

	if (lp->rss != NULL)
		ops->destroy_rss(lp->rss);
	lp->rss = NULL;
	for (i = 0; i < MANA_MAX_QUEUES; i++) {
		if (lp->rx_wq[i] != NULL)
			ops->destroy_wq(lp->rx_wq[i]);
		if (lp->rx_cq[i] != NULL)
			ops->destroy_cq(lp->rx_cq[i]);
		if (lp->tx_sq[i] != NULL)
			ops->destroy_sq(lp->tx_sq[i]);
		if (lp->tx_cq[i] != NULL)
			ops->destroy_cq(lp->tx_cq[i]);
		lp->rx_wq[i] = NULL;
		lp->rx_cq[i] = NULL;
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
