/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_TX_DP_H
#define MANA_TX_DP_H

/*
 * The Tx data path: the burst body, and the guarded burst mana_tx.c
 * installs. bench/ compiles the very same code, and wraps the body in
 * other guards, to measure what the guard costs.
 */

#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "mana.h"
#include "mana_guard.h"
#include "mana_rxtx.h"

/* Completed mbufs are given back in batches of this many. */
#define MANA_TX_FREE_BATCH	64

/*
 * A WQE asks for a completion at least this often, so that a long burst
 * frees its first mbufs before its last WQE is done; the last WQE a burst
 * posts asks too (mana_tx_burst_body).
 */
#define MANA_TX_CQE_SPAN	64

/*
 * Give completed mbufs back. With RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE the
 * application promised one pool per queue, reference count 1 and direct
 * mbufs (rte_ethdev.h): they go straight back to that pool. Out of line:
 * called about once per burst, and inlined it would triple the burst's code.
 */
static __rte_noinline void
mana_tx_free(const struct mana_txq *txq, struct rte_mbuf **mbufs, unsigned int n)
{
	if (txq->fast_free)
		rte_mempool_put_bulk(mbufs[0]->pool, (void **)mbufs, n);
	else
		rte_pktmbuf_free_bulk(mbufs, n);
}

/*
 * Add @pkt to the batch to give back. A chain under FAST_FREE goes in
 * segment by segment, each reset as rte_pktmbuf_prefree_seg would leave it.
 */
static __rte_always_inline void
mana_tx_free_add(const struct mana_txq *txq, struct rte_mbuf **batch, unsigned int *n,
		 struct rte_mbuf *pkt)
{
	struct rte_mbuf *next;

	if (likely(!txq->fast_free || pkt->nb_segs == 1)) {
		batch[(*n)++] = pkt;
		if (unlikely(*n == MANA_TX_FREE_BATCH)) {
			mana_tx_free(txq, batch, *n);
			*n = 0;
		}
		return;
	}
	for (; pkt != NULL; pkt = next) {
		next = pkt->next;
		pkt->next = NULL;
		pkt->nb_segs = 1;
		batch[(*n)++] = pkt;
		if (*n == MANA_TX_FREE_BATCH) {
			mana_tx_free(txq, batch, *n);
			*n = 0;
		}
	}
}

/* Retire the oldest outstanding WQE; returns whether it asked for a CQE. */
static __rte_always_inline bool
mana_tx_retire_one(struct mana_txq *txq, struct rte_mbuf **batch, unsigned int *n)
{
	struct mana_desc *desc = &txq->desc[txq->desc_tail & txq->desc_mask];

	mana_tx_free_add(txq, batch, n, desc->mbuf);
	desc->mbuf = NULL;
	txq->sq.tail += desc->wqe_units;
	txq->desc_tail++;
	return desc->cqe;
}

/*
 * How many outstanding WQEs an error CQE retires: the failing WQE, which it
 * names by offset in the ring (tx_wqe_offset, in basic units: the 32-bit
 * word is the WQE's byte offset, its low 5 bits the SGE's, rdma-core
 * providers/mana/gdma.h), and every WQE before it. It is found no further
 * than the first WQE that asked for a completion, whose CQE would have come
 * first. An offset that names none of these (not as the device writes it)
 * retires the oldest WQE alone, as upstream does. Out of line: rare.
 */
static __rte_noinline uint32_t
mana_tx_error_span(struct mana_txq *txq, uint32_t wqe_offset)
{
	uint32_t span = (wqe_offset - txq->sq.tail) & txq->wqe_mask;
	uint32_t start = 0, k;

	for (k = 0; txq->desc_tail + k != txq->desc_head; k++) {
		const struct mana_desc *d = &txq->desc[(txq->desc_tail + k) & txq->desc_mask];

		if (start == span)
			return k + 1;
		if (d->cqe)
			break;
		start += d->wqe_units;
	}
	DP_LOG(ERR, "port %u txq %u: error completion for WQE %u, not one outstanding",
	       txq->port_id, txq->queue_id, wqe_offset);
	txq->cqe_mismatches++;
	return 1;
}

/*
 * Retire completed sends: their mbufs go back to their pools, in bulk.
 *
 * A WQE may ask for no CQE (suppress_cqe), and the device completes a send
 * queue's WQEs in order, so a CQE of success completes every outstanding
 * WQE up to the first one that asked for a completion (as upstream's tx.c
 * walks them); its tx_wqe_offset must name that WQE (else counted in
 * cqe_mismatches). Error CQEs come for every failing WQE, whether it asked
 * for a completion or not (upstream DPDK cce2c9df44, 823dbf2860): each
 * retires its WQE and those before it (mana_tx_error_span()) and counts
 * one error.
 */
static __rte_always_inline void
mana_tx_complete(struct mana_txq *txq)
{
	struct rte_mbuf *batch[MANA_TX_FREE_BATCH];
	unsigned int nb_batch = 0;
	bool overflow = false;

	for (;;) {
		const struct gdma_cqe *cqe = mana_cq_next(&txq->cq, &overflow);
		const struct mana_tx_comp_oob *oob;
		uint32_t n, start;

		if (cqe == NULL)
			break;
		oob = (const struct mana_tx_comp_oob *)cqe->client_data;
		if (unlikely(txq->desc_tail == txq->desc_head)) {
			DP_LOG(ERR, "port %u txq %u: completion for WQE %u, none outstanding",
			       txq->port_id, txq->queue_id, oob->tx_wqe_offset);
			txq->cqe_mismatches++;
			continue;
		}
		if (unlikely(oob->hdr.cqe_type != CQE_TX_OKAY)) {
			DP_LOG(DEBUG, "port %u txq %u: completion type %u vendor error %u",
			       txq->port_id, txq->queue_id, oob->hdr.cqe_type,
			       oob->hdr.vendor_err);
			txq->stats.errors++;
			for (n = mana_tx_error_span(txq, oob->tx_wqe_offset); n > 0; n--)
				mana_tx_retire_one(txq, batch, &nb_batch);
			continue;
		}
		for (;;) {
			start = txq->sq.tail;
			if (mana_tx_retire_one(txq, batch, &nb_batch)) {
				if (unlikely(((oob->tx_wqe_offset - start) & txq->wqe_mask) != 0))
					txq->cqe_mismatches++;
				break;
			}
			/* None asked: the device completes no WQE it was not told of. */
			if (unlikely(txq->desc_tail == txq->desc_head)) {
				txq->cqe_mismatches++;
				break;
			}
		}
	}
	if (nb_batch != 0)
		mana_tx_free(txq, batch, nb_batch);
	if (unlikely(overflow)) {
		DP_LOG(ERR, "port %u txq %u: completion queue overflow", txq->port_id,
		       txq->queue_id);
		txq->stats.errors++;
	}
}

/*
 * Checksum offload: the device wants the pseudo-header checksum in the L4
 * checksum field (as the hardware does). Returns the short OOB's checksum
 * bits (MANA_TX_OOB_*).
 */
static __rte_always_inline uint64_t
mana_tx_csum(struct rte_mbuf *m)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	bool ipv4 = (m->ol_flags & RTE_MBUF_F_TX_IPV4) != 0;
	bool ipv6 = (m->ol_flags & RTE_MBUF_F_TX_IPV6) != 0;
	void *l3 = rte_pktmbuf_mtod_offset(m, void *, m->l2_len);
	uint64_t bits = 0;
	uint16_t phdr = 0;

	if (ipv4)
		bits |= MANA_TX_OOB_OUTER_IPV4;
	if (ipv6)
		bits |= MANA_TX_OOB_OUTER_IPV6;
	if (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM)
		bits |= MANA_TX_OOB_IP_CSUM;
	if (l4 != RTE_MBUF_F_TX_TCP_CKSUM && l4 != RTE_MBUF_F_TX_UDP_CKSUM)
		return bits;
	if (ipv4)
		phdr = rte_ipv4_phdr_cksum(l3, m->ol_flags);
	else if (ipv6)
		phdr = rte_ipv6_phdr_cksum(l3, m->ol_flags);
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM) {
		rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *,
					m->l2_len + m->l3_len)->cksum = phdr;
		bits |= MANA_TX_OOB_TCP_CSUM;
	} else {
		rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *,
					m->l2_len + m->l3_len)->dgram_cksum = phdr;
		bits |= MANA_TX_OOB_UDP_CSUM;
	}
	return bits | MANA_TX_OOB_TRANSPORT_OFF(m->l2_len + m->l3_len);
}

/*
 * The long part of the Tx OOB, @l: VLAN tag insertion (RTE_MBUF_F_TX_VLAN)
 * and vport offsets that do not fit the short OOB (as Linux mana_start_xmit
 * and upstream DPDK tx.c fill it; the short OOB then carries offset 0,
 * mana_txq_create()).
 */
static __rte_always_inline void
mana_tx_long_oob(const struct mana_txq *txq, const struct rte_mbuf *m,
		 struct mana_tx_long_oob *l)
{
	memset(l, 0, sizeof(*l));
	if (m->ol_flags & RTE_MBUF_F_TX_VLAN) {
		l->inject_vlan_pri_tag = 1;
		l->pcp = RTE_VLAN_TCI_PRI(m->vlan_tci);
		l->dei = RTE_VLAN_TCI_DEI(m->vlan_tci);
		l->vlan_id = RTE_VLAN_TCI_ID(m->vlan_tci);
	}
	if (txq->long_oob)
		l->long_vport_offset = txq->vport_offset;
}

/*
 * The short OOB (MANA_TX_OOB_* word) in one aligned 8-byte store, after
 * the rest of the WQE (release order): whatever reads a WQE before the
 * doorbell announces it - the software VF recovering a doorbell another
 * queue overwrote on its page of memory - finds the OOB whole or not
 * written. It follows the 8-byte WQE header: aligned.
 */
static __rte_always_inline void
mana_tx_oob_store(uint8_t *wqe, uint64_t word)
{
	rte_atomic_store_explicit((RTE_ATOMIC(uint64_t) *)(wqe + sizeof(struct gdma_wqe_hdr)),
				  word, rte_memory_order_release);
}

/*
 * Post one packet; @last: the burst's last, which asks for a completion.
 * Returns 0, -ENOSPC (ring full: stop, the caller keeps the packet),
 * -EAGAIN (no key now: the same) or -EINVAL/-EFAULT/-ENOBUFS (packet cannot
 * be sent: dropped and counted).
 */
static __rte_always_inline int
mana_tx_post(struct mana_txq *txq, struct rte_mbuf *pkt, bool last)
{
	struct mana_gdma_queue *sq = &txq->sq;
	uint32_t nb_segs = pkt->nb_segs;
	bool long_fmt = txq->long_oob || (pkt->ol_flags & RTE_MBUF_F_TX_VLAN) != 0;
	uint32_t oob_bytes = long_fmt ? GDMA_INLINE_OOB_LARGE : GDMA_INLINE_OOB_SMALL;
	uint32_t units = gdma_wqe_size(nb_segs, oob_bytes) / GDMA_WQE_BU;
	size_t start = ((size_t)sq->head * GDMA_WQE_BU) & (sq->size - 1);
	uint8_t *wqe = sq->buf + start;
	struct gdma_wqe_hdr *hdr = (struct gdma_wqe_hdr *)wqe;
	struct rte_mbuf *seg = pkt;
	uint64_t oob;
	bool suppress;
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

	/*
	 * No CQE but for the burst's last WQE, one due (MANA_TX_CQE_SPAN), or
	 * one after which the next WQE may not fit: a full ring always ends
	 * with a WQE that asked for its completion when it was posted.
	 */
	suppress = !last && ++txq->unsignalled < MANA_TX_CQE_SPAN &&
		   sq->count - (sq->head + units - sq->tail) >= txq->max_wqe_units &&
		   txq->desc_head + 1 - txq->desc_tail < txq->nb_desc;
	if (!suppress)
		txq->unsignalled = 0;

	*(uint64_t *)wqe = 0;
	hdr->num_sge = nb_segs;
	hdr->inline_oob_dwords = oob_bytes / 4;
	oob = txq->tx_oob;
	if (suppress)
		oob |= MANA_TX_OOB_SUPPRESS_CQE;
	if (unlikely(long_fmt)) {
		oob |= MANA_TX_OOB_LONG_FMT;
		mana_tx_long_oob(txq, pkt, (struct mana_tx_long_oob *)(wqe + sizeof(*hdr) +
								   GDMA_INLINE_OOB_SMALL));
	}
	if (pkt->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK))
		oob |= mana_tx_csum(pkt);
	mana_tx_oob_store(wqe, oob);

	sq->head += units;
	txq->desc[txq->desc_head & txq->desc_mask] =
		(struct mana_desc){ .mbuf = pkt, .wqe_units = units, .cqe = !suppress };
	txq->desc_head++;
	return 0;
}

/*
 * A burst that ended before its last packet (a packet kept for lack of a
 * key, or dropped) may have posted no WQE asking for a completion at the
 * end: its last WQE now asks, so that one CQE completes all it posted and
 * nothing waits for a later burst. The device reads WQEs only once the
 * doorbell announces them (the software VF may read a finished one before:
 * then a later completion retires it, NIC guide "Doorbells on a page of
 * memory").
 */
static __rte_always_inline void
mana_tx_signal_last(struct mana_txq *txq)
{
	struct mana_desc *last = &txq->desc[(txq->desc_head - 1) & txq->desc_mask];
	size_t start = ((size_t)(txq->sq.head - last->wqe_units) * GDMA_WQE_BU) &
		       (txq->sq.size - 1);
	RTE_ATOMIC(uint64_t) *oob = (RTE_ATOMIC(uint64_t) *)(txq->sq.buf + start +
							     sizeof(struct gdma_wqe_hdr));
	uint64_t word = rte_atomic_load_explicit(oob, rte_memory_order_relaxed);

	/*
	 * Only if the WQE is still there as posted: one the software VF has
	 * taken and cleared meanwhile must stay clear (a stale OOB in a free
	 * slot would make the next WQE there look finished before its OOB is).
	 */
	if (rte_atomic_compare_exchange_strong_explicit(oob, &word,
							word & ~MANA_TX_OOB_SUPPRESS_CQE,
							rte_memory_order_release,
							rte_memory_order_relaxed)) {
		last->cqe = true;
		txq->unsignalled = 0;
	}
}

/*
 * The Tx burst without its guard: retire completions, post what fits, ring
 * the doorbell once. The caller owns the queue (guard held).
 */
static __rte_always_inline uint16_t
mana_tx_burst_body(struct mana_txq *txq, const struct mana_fast *fast, struct rte_mbuf **pkts,
		   uint16_t n)
{
	uint32_t posted = 0;
	uint64_t bytes = 0;
	uint16_t i;

	mana_tx_complete(txq);
	mana_mr_cache_sync(txq->priv, &txq->mr_cache);
	for (i = 0; i < n; i++) {
		int ret = mana_tx_post(txq, pkts[i], i == n - 1);

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
	if (posted != 0) {
		if (unlikely(txq->unsignalled != 0))
			mana_tx_signal_last(txq);
		mana_ring_doorbell(fast, GDMA_DB_OFFSET_SQ,
				   gdma_db_value(txq->sq.id, txq->sq.head * GDMA_WQE_BU, 0));
	}
	txq->stats.packets += posted;
	txq->stats.bytes += bytes;
	return i;
}

/*
 * The Tx burst as ethdev calls it: the body inside the burst guard. Not
 * running here: the packets stay with the caller.
 */
static __rte_always_inline uint16_t
mana_tx_burst_guarded(void *dpdk_txq, struct rte_mbuf **pkts, uint16_t n, const bool fenced)
{
	struct mana_txq *txq = dpdk_txq;
	const struct mana_fast *fast = &mana_fast[txq->port_id];
	uint16_t nb_tx;

	if (!mana_burst_enter(&txq->busy, txq->priv, fast, fenced))
		return 0;
	nb_tx = mana_tx_burst_body(txq, fast, pkts, n);
	mana_burst_exit(&txq->busy);
	return nb_tx;
}

#endif /* MANA_TX_DP_H */
