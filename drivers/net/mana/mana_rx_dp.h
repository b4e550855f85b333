/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_RX_DP_H
#define MANA_RX_DP_H

/*
 * The Rx data path: the burst body, and the guarded burst mana_rx.c
 * installs. bench/ compiles the very same code, and wraps the body in
 * other guards, to measure what the guard costs.
 */

#include <errno.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

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
static __rte_always_inline uint32_t
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

/*
 * The Rx burst without its guard: harvest completions, hand the packets
 * over, refill the ring. The caller owns the queue (guard held).
 */
static __rte_always_inline uint16_t
mana_rx_burst_body(struct mana_rxq *rxq, const struct mana_fast *fast, struct rte_mbuf **pkts,
		   uint16_t n)
{
	bool overflow = false;
	uint16_t nb_rx = 0;
	uint64_t bytes = 0;
	uint32_t done = 0;

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
	return nb_rx;
}

/* The Rx burst as ethdev calls it: the body inside the burst guard. */
static __rte_always_inline uint16_t
mana_rx_burst_guarded(void *dpdk_rxq, struct rte_mbuf **pkts, uint16_t n, const bool fenced)
{
	struct mana_rxq *rxq = dpdk_rxq;
	const struct mana_fast *fast = &mana_fast[rxq->port_id];
	uint16_t nb_rx;

	if (!mana_burst_enter(&rxq->busy, rxq->priv, fast, fenced))
		return 0;
	nb_rx = mana_rx_burst_body(rxq, fast, pkts, n);
	mana_burst_exit(&rxq->busy);
	return nb_rx;
}

#endif /* MANA_RX_DP_H */
