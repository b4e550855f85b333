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

#include <rte_ether.h>
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
	mana_ring_doorbell(fast, GDMA_DB_OFFSET_RQ,
			   gdma_db_value(rxq->rq.id, rxq->rq.head * GDMA_WQE_BU, 0));
}

/*
 * Fill the free part of the ring; returns the number of WQEs posted. When
 * the pool cannot give a whole batch, smaller ones are tried down to a
 * single mbuf: a short pool still refills what it can. A failure to get even
 * one counts once in nombuf.
 */
static __rte_always_inline uint32_t
mana_rx_refill(struct mana_rxq *rxq)
{
	struct rte_mbuf *mbufs[MANA_RX_REFILL_BATCH];
	uint32_t posted = 0;
	uint32_t n = MANA_RX_REFILL_BATCH;

	for (;;) {
		uint32_t room = rxq->nb_desc - (rxq->desc_head - rxq->desc_tail);
		uint32_t i;

		n = RTE_MIN(room, n);
		if (n == 0)
			break;
		if (unlikely(rte_mempool_get_bulk(rxq->mp, (void **)mbufs, n) != 0)) {
			if (n > 1) {
				n >>= 1;
				continue;
			}
			rxq->stats.nombuf++;
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

/* The mbuf of the oldest posted WQE, which the device has now consumed. */
static __rte_always_inline struct rte_mbuf *
mana_rx_take(struct mana_rxq *rxq)
{
	struct mana_desc *desc = &rxq->desc[rxq->desc_tail & rxq->desc_mask];

	rxq->rq.tail += desc->wqe_units;
	rxq->desc_tail++;
	return desc->mbuf;
}

/*
 * Packet @i of completion @oob into @m. The device always strips the VLAN
 * tag into the OOB; unless the application asked for stripping, the tag
 * goes back into the packet (as upstream rx.c). Returns 0, or an error of
 * the re-insertion (the packet is then dropped).
 */
static __rte_always_inline int
mana_rx_fill_mbuf(struct mana_rxq *rxq, struct rte_mbuf *m, const struct mana_rx_comp_oob *oob,
		  uint32_t i)
{
	uint32_t len = oob->pkt_info[i].packet_length;
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
		m->hash.rss = oob->pkt_info[i].packet_hash;
	}
	if (oob->vlan_tag_present) {
		flags |= RTE_MBUF_F_RX_VLAN;
		m->vlan_tci = (uint16_t)oob->vlan_id;
		if (rxq->vlan_strip)
			flags |= RTE_MBUF_F_RX_VLAN_STRIPPED;
	}
	m->ol_flags = flags;
	if (oob->vlan_tag_present && !rxq->vlan_strip)
		return rte_vlan_insert(&m);
	return 0;
}

/*
 * Hand over the packets of completion @oob from packet_info[@i] on, one
 * posted WQE each in order, while the burst has room; a zero length ends
 * the list. Returns the index of the first packet left for a later burst,
 * MANA_RX_PKTS_PER_CQE if none is.
 */
static __rte_always_inline uint32_t
mana_rx_cqe_packets(struct mana_rxq *rxq, const struct mana_rx_comp_oob *oob, uint32_t i,
		    struct rte_mbuf **pkts, uint16_t n, uint16_t *nb_rx, uint64_t *bytes)
{
	for (; i < MANA_RX_PKTS_PER_CQE; i++) {
		struct rte_mbuf *m;

		if (oob->pkt_info[i].packet_length == 0)
			break;
		if (*nb_rx == n)
			return i;
		if (unlikely(rxq->desc_tail == rxq->desc_head)) {
			/* More packets than posted buffers: not a completion of ours. */
			rxq->stats.errors++;
			break;
		}
		m = mana_rx_take(rxq);
		if (unlikely(mana_rx_fill_mbuf(rxq, m, oob, i) != 0)) {
			DP_LOG(DEBUG, "port %u rxq %u: VLAN tag re-insertion failed",
			       rxq->port_id, rxq->queue_id);
			rxq->stats.errors++;
			rte_mbuf_raw_free(m);
			continue;
		}
		*bytes += m->pkt_len;
		pkts[(*nb_rx)++] = m;
	}
	return MANA_RX_PKTS_PER_CQE;
}

/*
 * The Rx burst without its guard: harvest completions, hand the packets
 * over, refill the ring. The caller owns the queue (guard held).
 *
 * mana_ib always programs the vport with Rx CQE coalescing (Linux
 * drivers/infiniband/hw/mana/qp.c, cqe_coalescing_enable): a CQE of type
 * CQE_RX_COALESCED_4 completes up to four packets, packet_info[0..3] up to
 * the first zero length, each in the next posted WQE (upstream DPDK
 * 3409e0f172); CQE_RX_OKAY is read the same way. Any other type (truncated
 * or unknown) is one WQE in error. A CQE whose packets do not all fit into
 * this burst leaves the rest in the queue's backlog, which the next burst
 * delivers first. Plain loads and stores only: no locked instruction, no
 * fence (see mana_guard.h).
 */
static __rte_always_inline uint16_t
mana_rx_burst_body(struct mana_rxq *rxq, const struct mana_fast *fast, struct rte_mbuf **pkts,
		   uint16_t n)
{
	bool overflow = false;
	uint16_t nb_rx = 0;
	uint64_t bytes = 0;
	uint32_t next;

	mana_mr_cache_sync(rxq->priv, &rxq->mr_cache);
	if (unlikely(rxq->backlog_next != 0)) {
		next = mana_rx_cqe_packets(rxq, &rxq->backlog, rxq->backlog_next, pkts, n,
					   &nb_rx, &bytes);
		rxq->backlog_next = next < MANA_RX_PKTS_PER_CQE ? (uint8_t)next : 0;
	}
	while (nb_rx < n) {
		const struct gdma_cqe *cqe = mana_cq_next(&rxq->cq, &overflow);
		const struct mana_rx_comp_oob *oob;
		uint32_t type;

		if (cqe == NULL)
			break;
		oob = (const struct mana_rx_comp_oob *)cqe->client_data;
		type = oob->hdr.cqe_type;
		if (likely((type == CQE_RX_COALESCED_4 || type == CQE_RX_OKAY) &&
			   oob->pkt_info[0].packet_length != 0)) {
			next = mana_rx_cqe_packets(rxq, oob, 0, pkts, n, &nb_rx, &bytes);
			if (unlikely(next < MANA_RX_PKTS_PER_CQE)) {
				rxq->backlog = *oob;
				rxq->backlog_next = (uint8_t)next;
			}
			continue;
		}
		DP_LOG(DEBUG, "port %u rxq %u: completion type %u", rxq->port_id,
		       rxq->queue_id, type);
		rxq->stats.errors++;
		if (rxq->desc_tail != rxq->desc_head)
			rte_mbuf_raw_free(mana_rx_take(rxq));
	}
	if (unlikely(overflow)) {
		DP_LOG(ERR, "port %u rxq %u: completion queue overflow", rxq->port_id,
		       rxq->queue_id);
		rxq->stats.errors++;
	}
	rxq->stats.packets += nb_rx;
	rxq->stats.bytes += bytes;

	/*
	 * Whenever the ring is not full, not only after completions: a ring a
	 * short pool let drain completes nothing more, and would stay empty.
	 */
	if (rxq->desc_head - rxq->desc_tail != rxq->nb_desc && mana_rx_refill(rxq) != 0)
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
