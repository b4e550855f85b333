/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef BENCH_TX_LEGACY_H
#define BENCH_TX_LEGACY_H

/*
 * The Tx path before CQE suppression (main at df4b60f, drivers/net/mana/
 * mana_tx_dp.h), kept unchanged so that mana-bench-guard measures it side
 * by side with today's: every WQE asks for a CQE, each CQE retires one WQE
 * and its mbuf is freed on its own (rte_pktmbuf_free). Only the names
 * differ. Used on a queue whose WQEs were all posted by it (the benchmark
 * drains the queue between variants).
 */

#include "mana_tx_dp.h"

/*
 * Checksum offload: the device wants the pseudo-header checksum in the L4
 * checksum field (as the hardware does).
 */
static __rte_always_inline void
legacy_tx_csum(struct rte_mbuf *m, struct mana_tx_short_oob *oob)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	bool ipv4 = (m->ol_flags & RTE_MBUF_F_TX_IPV4) != 0;
	bool ipv6 = (m->ol_flags & RTE_MBUF_F_TX_IPV6) != 0;
	void *l3 = rte_pktmbuf_mtod_offset(m, void *, m->l2_len);
	uint16_t phdr = 0;

	oob->is_outer_ipv4 = ipv4;
	oob->is_outer_ipv6 = ipv6;
	oob->compute_ip_csum = (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) != 0;
	if (l4 != RTE_MBUF_F_TX_TCP_CKSUM && l4 != RTE_MBUF_F_TX_UDP_CKSUM)
		return;
	if (ipv4)
		phdr = rte_ipv4_phdr_cksum(l3, m->ol_flags);
	else if (ipv6)
		phdr = rte_ipv6_phdr_cksum(l3, m->ol_flags);
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM) {
		rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *,
					m->l2_len + m->l3_len)->cksum = phdr;
		oob->compute_tcp_csum = 1;
	} else {
		rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *,
					m->l2_len + m->l3_len)->dgram_cksum = phdr;
		oob->compute_udp_csum = 1;
	}
	oob->transport_hdr_offset = m->l2_len + m->l3_len;
}

/*
 * The long part of the Tx OOB: VLAN tag insertion (RTE_MBUF_F_TX_VLAN) and
 * vport offsets that do not fit the short OOB (as Linux mana_start_xmit and
 * upstream DPDK tx.c fill it).
 */
static __rte_always_inline void
legacy_tx_long_oob(const struct mana_txq *txq, const struct rte_mbuf *m,
		   struct mana_tx_short_oob *oob)
{
	struct mana_tx_long_oob *l = (struct mana_tx_long_oob *)(oob + 1);

	memset(l, 0, sizeof(*l));
	oob->packet_format = MANA_TX_LONG_PKT_FMT;
	if (m->ol_flags & RTE_MBUF_F_TX_VLAN) {
		l->inject_vlan_pri_tag = 1;
		l->pcp = RTE_VLAN_TCI_PRI(m->vlan_tci);
		l->dei = RTE_VLAN_TCI_DEI(m->vlan_tci);
		l->vlan_id = RTE_VLAN_TCI_ID(m->vlan_tci);
	}
	if (txq->long_oob) {
		oob->vport_offset = 0;
		l->long_vport_offset = txq->vport_offset;
	}
}

static __rte_always_inline void
legacy_tx_complete(struct mana_txq *txq)
{
	bool overflow = false;

	for (;;) {
		const struct gdma_cqe *cqe = mana_cq_next(&txq->cq, &overflow);
		const struct mana_tx_comp_oob *oob;
		struct mana_desc *desc;

		if (cqe == NULL)
			break;
		oob = (const struct mana_tx_comp_oob *)cqe->client_data;
		desc = &txq->desc[txq->desc_tail & txq->desc_mask];
		if (unlikely(oob->hdr.cqe_type != CQE_TX_OKAY)) {
			DP_LOG(DEBUG, "port %u txq %u: completion type %u vendor error %u",
			       txq->port_id, txq->queue_id, oob->hdr.cqe_type,
			       oob->hdr.vendor_err);
			txq->stats.errors++;
		}
		rte_pktmbuf_free(desc->mbuf);
		desc->mbuf = NULL;
		txq->sq.tail += desc->wqe_units;
		txq->desc_tail++;
	}
	if (unlikely(overflow)) {
		DP_LOG(ERR, "port %u txq %u: completion queue overflow", txq->port_id,
		       txq->queue_id);
		txq->stats.errors++;
	}
}

static __rte_always_inline int
legacy_tx_post(struct mana_txq *txq, struct rte_mbuf *pkt)
{
	struct mana_gdma_queue *sq = &txq->sq;
	uint32_t nb_segs = pkt->nb_segs;
	bool long_fmt = txq->long_oob || (pkt->ol_flags & RTE_MBUF_F_TX_VLAN) != 0;
	uint32_t oob_bytes = long_fmt ? GDMA_INLINE_OOB_LARGE : GDMA_INLINE_OOB_SMALL;
	uint32_t units = gdma_wqe_size(nb_segs, oob_bytes) / GDMA_WQE_BU;
	size_t start = ((size_t)sq->head * GDMA_WQE_BU) & (sq->size - 1);
	uint8_t *wqe = sq->buf + start;
	struct gdma_wqe_hdr *hdr = (struct gdma_wqe_hdr *)wqe;
	struct mana_tx_short_oob *oob = (struct mana_tx_short_oob *)(wqe + sizeof(*hdr));
	struct rte_mbuf *seg = pkt;
	size_t off;
	uint32_t i;

	if (unlikely(nb_segs > txq->max_sge || pkt->pkt_len == 0))
		return -EINVAL;
	if (unlikely(sq->count - (sq->head - sq->tail) < units ||
		     txq->desc_head - txq->desc_tail == txq->nb_desc))
		return -ENOSPC;

	/*
	 * SGEs first (their keys may be unknown); the header last. Header and
	 * OOB (at most 32 bytes) fill the first basic unit: they never wrap.
	 */
	off = start + sizeof(*hdr) + oob_bytes;
	for (i = 0; i < nb_segs; i++, seg = seg->next) {
		struct gdma_sge *sge = (struct gdma_sge *)(sq->buf + (off & (sq->size - 1)));
		uintptr_t addr = rte_pktmbuf_mtod(seg, uintptr_t);
		uint32_t lkey = mana_mr_lookup(txq->priv, &txq->mr_cache, seg, addr,
					       seg->data_len);

		/*
		 * A device that cannot register now (dead before its fatal event
		 * arrives: EIO; a primary busy with a reset) may later: -EAGAIN
		 * leaves the packet with the caller. Memory that is not DPDK's
		 * never will be; nor will a range while every registration is in
		 * use (-ENOBUFS): holding that packet would block the queue.
		 */
		if (unlikely(lkey == MANA_LKEY_INVALID))
			return rte_errno == EFAULT ? -EFAULT :
			       rte_errno == ENOSPC ? -ENOBUFS : -EAGAIN;
		sge->address = addr;
		sge->mem_key = lkey;
		sge->size = seg->data_len;
		off += sizeof(*sge);
	}

	*(uint64_t *)wqe = 0;
	hdr->num_sge = nb_segs;
	hdr->inline_oob_dwords = oob_bytes / 4;
	*(uint64_t *)oob = 0;
	oob->vcq_num = txq->cq.id;
	oob->vsq_frame = (sq->id >> 10) & 0x3fff;
	oob->vport_offset = txq->vport_offset;
	if (unlikely(long_fmt))
		legacy_tx_long_oob(txq, pkt, oob);
	if (pkt->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK))
		legacy_tx_csum(pkt, oob);

	sq->head += units;
	txq->desc[txq->desc_head & txq->desc_mask] = (struct mana_desc){ pkt, units };
	txq->desc_head++;
	return 0;
}

static __rte_always_inline uint16_t
legacy_tx_burst_body(struct mana_txq *txq, const struct mana_fast *fast, struct rte_mbuf **pkts,
		     uint16_t n)
{
	uint32_t posted = 0;
	uint64_t bytes = 0;
	uint16_t i;

	legacy_tx_complete(txq);
	mana_mr_cache_sync(txq->priv, &txq->mr_cache);
	for (i = 0; i < n; i++) {
		int ret = legacy_tx_post(txq, pkts[i]);

		if (likely(ret == 0)) {
			bytes += pkts[i]->pkt_len;
			posted++;
		} else if (ret == -ENOSPC || ret == -EAGAIN) {
			break;
		} else {
			/*
			 * Unsendable (too many segments, not DPDK memory, no
			 * registration left): dropped, counted in oerrors.
			 */
			DP_LOG(DEBUG, "port %u txq %u: dropping packet: %d", txq->port_id,
			       txq->queue_id, ret);
			txq->stats.errors++;
			if (ret == -ENOBUFS)
				txq->mr_drops++;
			rte_pktmbuf_free(pkts[i]);
		}
	}
	if (posted != 0)
		mana_ring_doorbell(fast, GDMA_DB_OFFSET_SQ,
				   gdma_db_value(txq->sq.id, txq->sq.head * GDMA_WQE_BU, 0));
	txq->stats.packets += posted;
	txq->stats.bytes += bytes;
	return i;
}

#endif /* BENCH_TX_LEGACY_H */
