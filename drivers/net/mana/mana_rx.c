/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/* Receive: queue setup, buffer posting and the Rx burst. */

#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "mana.h"
#include "mana_guard.h"
#include "mana_rxtx.h"

#define MANA_RX_REFILL_BATCH	64

/* Post one receive WQE for @mbuf at the producer position. */
static __rte_always_inline int
mana_rx_post(struct mana_rxq *rxq, struct rte_mbuf *mbuf)
{
	struct mana_gdma_queue *rq = &rxq->rq;
	uintptr_t addr = (uintptr_t)mbuf->buf_addr + RTE_PKTMBUF_HEADROOM;
	uint8_t *wqe = rq->buf + (((size_t)rq->head * GDMA_WQE_BU) & (rq->size - 1));
	struct gdma_wqe_hdr *hdr = (struct gdma_wqe_hdr *)wqe;
	struct gdma_sge *sge = (struct gdma_sge *)(wqe + sizeof(*hdr) + GDMA_INLINE_OOB_SMALL);
	uint32_t lkey;

	lkey = mana_mr_lookup(rxq->priv, &rxq->mr_cache, mbuf, addr, rxq->buf_len);
	if (unlikely(lkey == MANA_LKEY_INVALID))
		return -EFAULT;

	/* One 32-byte unit: header, 8 bytes of (empty) inline OOB, one SGE. */
	*(uint64_t *)wqe = 0;
	hdr->num_sge = 1;
	hdr->inline_oob_dwords = GDMA_INLINE_OOB_SMALL / 4;
	*(uint64_t *)(wqe + sizeof(*hdr)) = 0;
	sge->address = addr;
	sge->mem_key = lkey;
	sge->size = rxq->buf_len;
	rq->head += 1;

	rxq->desc[rxq->desc_head & rxq->desc_mask] = (struct mana_desc){ mbuf, 1 };
	rxq->desc_head++;
	return 0;
}

static __rte_always_inline void
mana_rx_ring(struct mana_rxq *rxq, const struct mana_fast *fast)
{
	mana_ring_doorbell(fast, &rxq->rq, GDMA_DB_OFFSET_RQ,
			   gdma_db_value(rxq->rq.id, rxq->rq.head * GDMA_WQE_BU, 0));
}

/* Fill the free part of the ring; returns the number of WQEs posted. */
static uint32_t
mana_rx_refill(struct mana_rxq *rxq)
{
	struct rte_mbuf *mbufs[MANA_RX_REFILL_BATCH];
	uint32_t posted = 0;

	for (;;) {
		uint32_t room = rxq->nb_desc - (rxq->desc_head - rxq->desc_tail);
		uint32_t n = RTE_MIN(room, (uint32_t)MANA_RX_REFILL_BATCH);
		uint32_t i;

		if (n == 0)
			break;
		if (unlikely(rte_mempool_get_bulk(rxq->mp, (void **)mbufs, n) != 0)) {
			rxq->stats.nombuf += n;
			break;
		}
		for (i = 0; i < n; i++) {
			if (unlikely(mana_rx_post(rxq, mbufs[i]) != 0)) {
				rte_mempool_put_bulk(rxq->mp, (void **)&mbufs[i], n - i);
				rxq->stats.errors++;
				return posted;
			}
			posted++;
		}
	}
	return posted;
}

static __rte_always_inline void
mana_rx_fill_mbuf(struct mana_rxq *rxq, struct rte_mbuf *m, const struct mana_rx_comp_oob *oob)
{
	uint32_t len = oob->pkt_info[0].packet_length;
	uint64_t flags = 0;

	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->port = rxq->port_id;
	m->pkt_len = len;
	m->data_len = (uint16_t)len;
	m->packet_type = 0;
	m->vlan_tci = 0;
	if (oob->ip_csum_ok)
		flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	else if (oob->ip_csum_bad)
		flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	if (oob->tcp_csum_ok || oob->udp_csum_ok)
		flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	else if (oob->tcp_csum_bad || oob->udp_csum_bad)
		flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	if (oob->outer_ip_csum_bad)
		flags |= RTE_MBUF_F_RX_OUTER_IP_CKSUM_BAD;
	if (oob->hash_type != 0) {
		flags |= RTE_MBUF_F_RX_RSS_HASH;
		m->hash.rss = oob->pkt_info[0].packet_hash;
	}
	m->ol_flags = flags;
}

static __rte_always_inline uint16_t
mana_rx_burst_common(void *dpdk_rxq, struct rte_mbuf **pkts, uint16_t n, const bool fenced)
{
	struct mana_rxq *rxq = dpdk_rxq;
	const struct mana_fast *fast = &mana_fast[rxq->port_id];
	bool overflow = false;
	uint16_t nb_rx = 0;
	uint64_t bytes = 0;
	uint32_t done = 0;

	if (!mana_burst_enter(&rxq->busy, rxq->priv, fast, fenced))
		return 0;

	while (done < n) {
		const struct gdma_cqe *cqe = mana_cq_next(&rxq->cq, &overflow);
		const struct mana_rx_comp_oob *oob;
		struct mana_desc *desc;
		struct rte_mbuf *m;

		if (cqe == NULL)
			break;
		done++;
		oob = (const struct mana_rx_comp_oob *)cqe->client_data;
		desc = &rxq->desc[rxq->desc_tail & rxq->desc_mask];
		m = desc->mbuf;
		rxq->rq.tail += desc->wqe_units;
		rxq->desc_tail++;

		if (unlikely(oob->hdr.cqe_type != CQE_RX_OKAY)) {
			DP_LOG(DEBUG, "port %u rxq %u: completion type %u", rxq->port_id,
			       rxq->queue_id, oob->hdr.cqe_type);
			rxq->stats.errors++;
			rte_mbuf_raw_free(m);
			continue;
		}
		mana_rx_fill_mbuf(rxq, m, oob);
		bytes += m->pkt_len;
		pkts[nb_rx++] = m;
	}
	if (unlikely(overflow)) {
		DP_LOG(ERR, "port %u rxq %u: completion queue overflow", rxq->port_id,
		       rxq->queue_id);
		rxq->stats.errors++;
	}
	rxq->stats.packets += nb_rx;
	rxq->stats.bytes += bytes;

	if (done != 0 && mana_rx_refill(rxq) != 0)
		mana_rx_ring(rxq, fast);

	mana_burst_exit(&rxq->busy);
	return nb_rx;
}

uint16_t
mana_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	return mana_rx_burst_common(rxq, pkts, n, false);
}

uint16_t
mana_rx_burst_fenced(void *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	return mana_rx_burst_common(rxq, pkts, n, true);
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

/* Give every posted buffer back to its pool (queue quiescent). */
void
mana_rxq_drain(struct mana_rxq *rxq)
{
	while (rxq->desc_tail != rxq->desc_head) {
		struct mana_desc *desc = &rxq->desc[rxq->desc_tail & rxq->desc_mask];

		if (desc->mbuf != NULL)
			rte_mbuf_raw_free(desc->mbuf);
		desc->mbuf = NULL;
		rxq->desc_tail++;
	}
	rxq->desc_head = 0;
	rxq->desc_tail = 0;
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
		nb_desc = MANA_DEFAULT_DESC;
	count = rte_align32pow2(RTE_MAX((uint32_t)nb_desc, (uint32_t)MANA_MIN_DESC));
	if (count > priv->caps.max_rx_desc) {
		DRV_LOG(ERR, "port %u rxq %u: %u descriptors exceed the maximum %u",
			dev->data->port_id, queue_idx, nb_desc, priv->caps.max_rx_desc);
		return -EINVAL;
	}

	mana_rx_queue_release(dev, queue_idx);
	rxq = rte_zmalloc_socket("mana_rxq", sizeof(*rxq), RTE_CACHE_LINE_SIZE, socket_id);
	if (rxq == NULL)
		return -ENOMEM;
	rxq->desc = rte_zmalloc_socket("mana_rxq_desc", sizeof(*rxq->desc) * count,
				       RTE_CACHE_LINE_SIZE, socket_id);
	if (rxq->desc == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
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

void
mana_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct mana_rxq *rxq = dev->data->rx_queues[qid];

	if (rxq == NULL)
		return;
	mana_rxq_drain(rxq);
	rte_free(rxq->desc);
	rte_free(rxq);
	dev->data->rx_queues[qid] = NULL;
}
