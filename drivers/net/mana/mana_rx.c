/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/* Receive: queue setup, buffer posting and the Rx burst. */

#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "mana.h"
#include "mana_rx_dp.h"

uint16_t
mana_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	return mana_rx_burst_guarded(rxq, pkts, n, false);
}

uint16_t
mana_rx_burst_fenced(void *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	return mana_rx_burst_guarded(rxq, pkts, n, true);
}

uint16_t
mana_rx_burst_stopped(void *rxq __rte_unused, struct rte_mbuf **pkts __rte_unused,
		      uint16_t n __rte_unused)
{
	return 0;
}

/* Fill the whole ring and ring the doorbell (queue start, after a reset). */
int
mana_rxq_post_all(struct mana_rxq *rxq)
{
	const struct mana_fast *fast = &mana_fast[rxq->port_id];

	mana_rx_refill(rxq);
	if (rxq->desc_head == rxq->desc_tail) {
		DRV_LOG(ERR, "port %u rxq %u: no buffer could be posted", rxq->port_id,
			rxq->queue_id);
		return -ENOMEM;
	}
	mana_rx_ring(rxq, fast);
	return 0;
}

/*
 * Give every posted buffer back to its pool (queue quiescent). With @chk,
 * not into a pool a dead process left wedged (mana_pool_check_put): those
 * buffers are left out of it. Returns the number left out.
 */
unsigned int
mana_rxq_drain(struct mana_rxq *rxq, struct mana_pool_check *chk)
{
	bool leak = chk != NULL && rxq->desc_tail != rxq->desc_head &&
		    !mana_pool_check_put(chk, rxq->mp);
	unsigned int leaked = 0;

	while (rxq->desc_tail != rxq->desc_head) {
		struct mana_desc *desc = &rxq->desc[rxq->desc_tail & rxq->desc_mask];

		if (desc->mbuf != NULL && leak)
			leaked++;
		else if (desc->mbuf != NULL)
			rte_mbuf_raw_free(desc->mbuf);
		desc->mbuf = NULL;
		rxq->desc_tail++;
	}
	rxq->desc_head = 0;
	rxq->desc_tail = 0;
	rxq->backlog_next = 0;
	return leaked;
}

/* Zeroed software state of a queue of @count descriptors (control path: the heap). */
static struct mana_rxq *
mana_rxq_alloc(uint32_t count, int socket)
{
	struct mana_rxq *rxq;

	rxq = rte_zmalloc_socket("mana_rxq", sizeof(*rxq), RTE_CACHE_LINE_SIZE, socket);
	if (rxq == NULL)
		return NULL;
	rxq->desc = rte_zmalloc_socket("mana_rxq_desc", sizeof(*rxq->desc) * count,
				       RTE_CACHE_LINE_SIZE, socket);
	if (rxq->desc == NULL) {
		rte_free(rxq);
		return NULL;
	}
	return rxq;
}

int
mana_rx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_idx, uint16_t nb_desc,
		    unsigned int socket_id, const struct rte_eth_rxconf *conf __rte_unused,
		    struct rte_mempool *mp)
{
	struct mana_priv *priv = mana_priv(dev);
	uint32_t room = rte_pktmbuf_data_room_size(mp);
	struct mana_rxq *rxq;
	uint32_t count;
	int ret;

	if (room < RTE_PKTMBUF_HEADROOM + MANA_MIN_RX_BUF_SIZE) {
		DRV_LOG(ERR, "port %u rxq %u: mbuf data room %u below %u + headroom",
			dev->data->port_id, queue_idx, room, MANA_MIN_RX_BUF_SIZE);
		return -EINVAL;
	}
	if (nb_desc == 0)
		nb_desc = (uint16_t)RTE_MIN((uint32_t)MANA_DEFAULT_DESC, priv->caps.max_rx_desc);
	count = rte_align32pow2(RTE_MAX((uint32_t)nb_desc, (uint32_t)MANA_MIN_DESC));
	if (count > priv->caps.max_rx_desc) {
		DRV_LOG(ERR, "port %u rxq %u: %u descriptors exceed the maximum %u",
			dev->data->port_id, queue_idx, nb_desc, priv->caps.max_rx_desc);
		return -EINVAL;
	}

	mana_rx_queue_release(dev, queue_idx);
	rxq = mana_rxq_alloc(count, (int)socket_id);
	if (rxq == NULL)
		return -ENOMEM;
	rxq->port_id = dev->data->port_id;
	rxq->queue_id = queue_idx;
	rxq->nb_desc = count;
	rxq->desc_mask = count - 1;
	rxq->buf_len = room - RTE_PKTMBUF_HEADROOM;
	rxq->mp = mp;
	rxq->priv = priv;
	rxq->socket = (int)socket_id;

	/* The device must be able to write into every buffer of the pool. */
	ret = mana_mr_register_mempool(dev, mp);
	if (ret != 0) {
		DRV_LOG(ERR, "port %u rxq %u: registering mempool %s failed",
			dev->data->port_id, queue_idx, mp->name);
		goto fail;
	}
	dev->data->rx_queues[queue_idx] = rxq;
	return 0;
fail:
	rte_free(rxq->desc);
	rte_free(rxq);
	return ret;
}

/* Give back the queue's buffers and free it. */
void
mana_rxq_free(struct mana_rxq *rxq)
{
	mana_rxq_drain(rxq, NULL);
	rte_free(rxq->desc);
	rte_free(rxq);
}

/* What a quarantine of @old needs (mana_rxq_clone), set aside on the control path. */
struct mana_rxq *
mana_rxq_alloc_like(const struct mana_rxq *old)
{
	struct mana_rxq *rxq = mana_rxq_alloc(old->nb_desc, old->socket);

	/* What mana_queues_spares_fill() matches a spare to its queue by. */
	if (rxq != NULL) {
		rxq->nb_desc = old->nb_desc;
		rxq->socket = old->socket;
	}
	return rxq;
}

/*
 * @rxq, unused (from mana_rxq_alloc_like(@old)), becomes an
 * empty queue with @old's configuration: no allocation, for a quarantine
 * (mana_queue_quarantine) on the reset path.
 */
void
mana_rxq_clone(struct mana_rxq *rxq, const struct mana_rxq *old)
{
	rxq->port_id = old->port_id;
	rxq->queue_id = old->queue_id;
	rxq->nb_desc = old->nb_desc;
	rxq->desc_mask = old->desc_mask;
	rxq->buf_len = old->buf_len;
	rxq->mp = old->mp;
	rxq->priv = old->priv;
	rxq->socket = old->socket;
	rxq->stats = old->stats;
}

void
mana_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct mana_rxq *rxq = dev->data->rx_queues[qid];

	if (rxq == NULL)
		return;
	dev->data->rx_queues[qid] = NULL;
	/* Quarantined in place (no spare): freed only once its poller has left. */
	if (rxq->quarantined)
		mana_quarantine_end(dev, rxq, false);
	else
		mana_rxq_free(rxq);
}
