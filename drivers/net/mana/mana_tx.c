/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/* Transmit: queue setup, completions and the Tx burst. */

#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "mana.h"
#include "mana_tx_dp.h"

uint16_t
mana_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t n)
{
	return mana_tx_burst_guarded(txq, pkts, n, false);
}

uint16_t
mana_tx_burst_fenced(void *txq, struct rte_mbuf **pkts, uint16_t n)
{
	return mana_tx_burst_guarded(txq, pkts, n, true);
}

uint16_t
mana_tx_burst_stopped(void *txq __rte_unused, struct rte_mbuf **pkts __rte_unused,
		      uint16_t n __rte_unused)
{
	return 0;
}

/* Can every segment of @m go back to its pool (mana_pool_check_put)? */
static bool
mana_tx_pkt_freeable(struct mana_pool_check *chk, struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next) {
		if (!mana_pool_check_put(chk, m->pool))
			return false;
		if (RTE_MBUF_CLONED(m) && !mana_pool_check_put(chk, rte_mbuf_from_indirect(m)->pool))
			return false;
	}
	return true;
}

/*
 * Give back every mbuf still waiting for a completion (queue quiescent).
 * With @chk, a packet with a segment of a pool a dead process left wedged
 * is left out instead. Returns the number of mbufs left out.
 */
unsigned int
mana_txq_drain(struct mana_txq *txq, struct mana_pool_check *chk)
{
	unsigned int leaked = 0;

	while (txq->desc_tail != txq->desc_head) {
		struct mana_desc *desc = &txq->desc[txq->desc_tail & txq->desc_mask];

		if (desc->mbuf != NULL && chk != NULL && !mana_tx_pkt_freeable(chk, desc->mbuf))
			leaked += desc->mbuf->nb_segs;
		else if (desc->mbuf != NULL)
			rte_pktmbuf_free(desc->mbuf);
		desc->mbuf = NULL;
		txq->desc_tail++;
	}
	txq->desc_head = 0;
	txq->desc_tail = 0;
	return leaked;
}

/* Zeroed software state of a queue of @count descriptors (control path: the heap). */
static struct mana_txq *
mana_txq_alloc(uint32_t count, int socket)
{
	struct mana_txq *txq;

	txq = rte_zmalloc_socket("mana_txq", sizeof(*txq), RTE_CACHE_LINE_SIZE, socket);
	if (txq == NULL)
		return NULL;
	txq->desc = rte_zmalloc_socket("mana_txq_desc", sizeof(*txq->desc) * count,
				       RTE_CACHE_LINE_SIZE, socket);
	if (txq->desc == NULL) {
		rte_free(txq);
		return NULL;
	}
	return txq;
}

int
mana_tx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_idx, uint16_t nb_desc,
		    unsigned int socket_id, const struct rte_eth_txconf *conf)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_txq *txq;
	uint32_t count;

	if (nb_desc == 0)
		nb_desc = (uint16_t)RTE_MIN((uint32_t)MANA_DEFAULT_DESC, priv->caps.max_tx_desc);
	count = rte_align32pow2(RTE_MAX((uint32_t)nb_desc, (uint32_t)MANA_MIN_DESC));
	if (count > priv->caps.max_tx_desc) {
		DRV_LOG(ERR, "port %u txq %u: %u descriptors exceed the maximum %u",
			dev->data->port_id, queue_idx, nb_desc, priv->caps.max_tx_desc);
		return -EINVAL;
	}

	mana_tx_queue_release(dev, queue_idx);
	txq = mana_txq_alloc(count, (int)socket_id);
	if (txq == NULL)
		return -ENOMEM;
	txq->port_id = dev->data->port_id;
	txq->queue_id = queue_idx;
	txq->nb_desc = count;
	txq->desc_mask = count - 1;
	txq->max_sge = RTE_MIN(priv->caps.max_send_sge, (uint32_t)GDMA_MAX_SGE);
	txq->max_wqe_units = gdma_wqe_size(txq->max_sge, GDMA_INLINE_OOB_LARGE) / GDMA_WQE_BU;
	/* The port's offloads (ethdev passes a queue only those of its own). */
	txq->fast_free = ((dev->data->dev_conf.txmode.offloads | conf->offloads) &
			  RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) != 0;
	txq->priv = priv;
	txq->socket = (int)socket_id;
	dev->data->tx_queues[queue_idx] = txq;
	return 0;
}

/* Give back the mbufs awaiting completion and free the queue. */
void
mana_txq_free(struct mana_txq *txq)
{
	mana_txq_drain(txq, NULL);
	rte_free(txq->desc);
	rte_free(txq);
}

/* What a quarantine of @old needs (mana_txq_clone), set aside on the control path. */
struct mana_txq *
mana_txq_alloc_like(const struct mana_txq *old)
{
	struct mana_txq *txq = mana_txq_alloc(old->nb_desc, old->socket);

	/* What mana_queues_spares_fill() matches a spare to its queue by. */
	if (txq != NULL) {
		txq->nb_desc = old->nb_desc;
		txq->socket = old->socket;
	}
	return txq;
}

/*
 * @txq, unused (from mana_txq_alloc_like(@old)), becomes an
 * empty queue with @old's configuration: no allocation, for a quarantine
 * (mana_queue_quarantine) on the reset path.
 */
void
mana_txq_clone(struct mana_txq *txq, const struct mana_txq *old)
{
	txq->port_id = old->port_id;
	txq->queue_id = old->queue_id;
	txq->nb_desc = old->nb_desc;
	txq->desc_mask = old->desc_mask;
	txq->max_sge = old->max_sge;
	txq->max_wqe_units = old->max_wqe_units;
	txq->fast_free = old->fast_free;
	txq->priv = old->priv;
	txq->socket = old->socket;
	txq->stats = old->stats;
	txq->mr_drops = old->mr_drops;
	txq->cqe_mismatches = old->cqe_mismatches;
}

void
mana_tx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct mana_txq *txq = dev->data->tx_queues[qid];

	if (txq == NULL)
		return;
	dev->data->tx_queues[qid] = NULL;
	/* Quarantined in place (no spare): freed only once its poller has left. */
	if (txq->quarantined)
		mana_quarantine_end(dev, txq, true);
	else
		mana_txq_free(txq);
}
