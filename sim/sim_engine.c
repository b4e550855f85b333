/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The engine of the software MANA device: one control thread per process
 * ("mana-sim-eng") serving every sim device. Each pass, under sim_lock:
 *   - fire due device timers (faults, returns from reset, delayed events);
 *   - resolve, per device, its receive side (RSS of a live context) and
 *     where its Tx goes: itself (loopback) or, with a peer, the peer if it
 *     is up with a live context - otherwise the wire is dead and the
 *     packet is lost, as on a real link;
 *   - for every live context: notice doorbell writes on each queue's page
 *     (CQ arm/consumer index, WQ and SQ producer tails) and execute up to
 *     SIM_TX_BATCH posted send WQEs per SQ, delivering each packet into a
 *     posted receive WQE of the target port and writing the CQEs.
 * Dead contexts (their instance died) are skipped entirely: their WQEs are
 * never completed, like on hardware, and their doorbell pages are not read.
 *
 * Doorbells cannot be lost: every queue has its own page and a doorbell
 * carries the absolute producer offset, so whatever the interleaving of
 * writers the engine always converges to the latest tail.
 *
 * CQ overrun: the device cannot see the consumer (only the optional CQ
 * doorbell), so, like the hardware, it relies on the driver sizing each CQ
 * for every WQE that can complete on it and never checks for lapping.
 *
 * Idle policy: after a pass without work the engine keeps polling for
 * SIM_SPIN_NS, then sleeps, starting at SIM_SLEEP_MIN_NS and doubling up to
 * SIM_SLEEP_MAX_NS, never past the next device timer. Under load it never
 * sleeps. Control paths announce themselves in sim_lock_waiters; the engine
 * yields between passes while someone waits, so a busy engine cannot starve
 * them of the (unfair) mutex.
 */

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "sim_internal.h"

#define SIM_TX_BATCH		64u	/* send WQEs per SQ per pass */
#define SIM_SPIN_NS		30000ull
#define SIM_SLEEP_MIN_NS	10000ull
#define SIM_SLEEP_MAX_NS	1000000ull
#define SIM_ENGINE_NICE		(-10)

/* WQE header dword 1. */
#define SIM_WQE_NUM_SGE(h)	((h) & 0xffu)
#define SIM_WQE_OOB_DWORDS(h)	(((h) >> 8) & 0x7u)
#define SIM_WQE_OOB_IN_SGL	(1u << 11)
#define SIM_WQE_SGL_DIRECT	(1u << 31)

/* Tx short OOB, dword 0 and dword 1. */
#define SIM_TXOOB_FORMAT(d)	((d) & 0x3u)
#define SIM_TXOOB_IP_CSUM	(1u << 4)
#define SIM_TXOOB_TCP_CSUM	(1u << 5)
#define SIM_TXOOB_UDP_CSUM	(1u << 6)
#define SIM_TXOOB_SUPPRESS_CQE	(1u << 7)
#define SIM_TXOOB_VCQ(d)	((d) >> 8)
#define SIM_TXOOB_L4_OFF(d)	((d) & 0x3ffu)
#define SIM_TXOOB_FRAME(d)	(((d) >> 10) & 0x3fffu)
#define SIM_TXOOB_VPORT(d)	((d) >> 24)

struct sim_seg {
	const uint8_t *addr;
	uint32_t len;
};

/* A decoded WQE header. */
struct sim_wqe {
	uint32_t off;			/* ring byte offset of the WQE */
	uint32_t num_sge;
	uint32_t oob_bytes;
	uint32_t bytes;			/* size of the whole WQE */
	bool unsupported;		/* SGL flags the device does not implement */
};

struct sim_engine {
	rte_thread_t thread;
	uint8_t *scratch;		/* gather buffer of one frame, reused every packet */
	struct sim_seg segs[SIM_WQE_MAX_SGE];
	uint32_t n_segs;
};

static struct sim_engine sim_engine;	/* guarded by sim_engine_ctl_lock (start/stop) */
static RTE_ATOMIC(bool) sim_engine_stop_req;
static RTE_ATOMIC(uint64_t) sim_engine_sleeps;

static const uint32_t sim_db_slots[3] = { SIM_DB_SLOT_SQ, SIM_DB_SLOT_RQ, SIM_DB_SLOT_CQ };

static inline uint32_t
sim_ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_le_to_cpu_32(v);
}

static inline uint64_t
sim_ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return rte_le_to_cpu_64(v);
}

/*
 * Notice writes to the page of one queue. A change in the queue's own slot is
 * returned in *value; a write to one of the page's other slots cannot be for
 * this queue and is counted as a bad doorbell.
 */
static bool
sim_db_poll(struct mana_hw_dev *dev, struct sim_db_watch *db, uint64_t *value)
{
	bool changed = false;
	uint64_t v;
	unsigned int i;

	for (i = 0; i < RTE_DIM(sim_db_slots); i++) {
		v = rte_atomic_load_explicit(
			(const RTE_ATOMIC(uint64_t) *)(db->page + sim_db_slots[i]),
			rte_memory_order_acquire);
		if (v == db->seen[i])
			continue;
		db->seen[i] = v;
		dev->stats.doorbells++;
		if (sim_db_slots[i] != db->own_slot) {
			dev->stats.bad_doorbell++;
			SIM_LOG(DEBUG, "%s: doorbell 0x%" PRIx64 " at slot 0x%x of page %u "
				"(a 0x%x queue's page)", dev->name, v, sim_db_slots[i],
				db->page_idx, db->own_slot);
			continue;
		}
		*value = rte_le_to_cpu_64(v);
		changed = true;
	}
	return changed;
}

/* Take a new producer tail from a WQ/SQ doorbell; true when one was taken. */
static bool
sim_ring_doorbell(struct mana_hw_dev *dev, struct sim_ring *ring)
{
	uint64_t v;
	uint32_t id, tail;

	if (ring->broken || !sim_db_poll(dev, &ring->db, &v))
		return false;
	id = (uint32_t)v & SIM_QUEUE_ID_MASK;
	tail = (uint32_t)(v >> 32);
	if (id != ring->id || (tail & (SIM_WQE_BU - 1)) != 0 ||
	    tail - ring->consumer > ring->size) {
		dev->stats.bad_doorbell++;
		SIM_LOG(DEBUG, "%s: queue %u: doorbell id %u tail %u ignored (consumer %u, "
			"size %u)", dev->name, ring->id, id, tail, ring->consumer, ring->size);
		return false;
	}
	ring->tail = tail;
	return true;
}

static bool
sim_cq_doorbell(struct mana_hw_dev *dev, struct mana_hw_cq *cq)
{
	uint64_t v;

	if (!sim_db_poll(dev, &cq->db, &v))
		return false;
	if (((uint32_t)v & SIM_QUEUE_ID_MASK) != cq->id) {
		dev->stats.bad_doorbell++;
		return false;
	}
	cq->ci = (uint32_t)(v >> 32) & 0x7fffffffu;
	cq->armed = (v >> 63) != 0;	/* recorded only: the device raises no interrupts */
	return true;
}

static void
sim_ring_break(struct mana_hw_dev *dev, struct sim_ring *ring, const char *what)
{
	ring->broken = true;
	SIM_LOG(ERR, "%s: %s queue %u: malformed WQE at consumer %u (tail %u), queue stopped",
		dev->name, what, ring->id, ring->consumer, ring->tail);
}

/* Decode the WQE at the consumer; -1 if its size cannot be trusted. */
static int
sim_wqe_decode(const struct sim_ring *ring, struct sim_wqe *wqe)
{
	uint32_t hdr1, oob_dwords;

	wqe->off = ring->consumer & (ring->size - 1);
	hdr1 = sim_ld32(ring->buf + wqe->off + 4);
	oob_dwords = SIM_WQE_OOB_DWORDS(hdr1);
	if (oob_dwords != 2 && oob_dwords != 6)
		return -1;
	wqe->num_sge = SIM_WQE_NUM_SGE(hdr1);
	wqe->oob_bytes = oob_dwords * 4;
	/* An empty SGL is written as one dummy entry. */
	wqe->bytes = RTE_ALIGN(8 + wqe->oob_bytes + RTE_MAX(1u, wqe->num_sge) * SIM_SGE_SIZE,
			       SIM_WQE_BU);
	if (wqe->bytes > ring->tail - ring->consumer)
		return -1;
	wqe->unsupported = (hdr1 & (SIM_WQE_OOB_IN_SGL | SIM_WQE_SGL_DIRECT)) != 0;
	return 0;
}

/*
 * Load and check the SGL of a WQE into eng->segs (empty entries skipped):
 * each key must name an MR of @pd and the range must lie inside it. The SGL
 * may wrap to the start of the ring. Returns the byte total, -1 on a bad SGE.
 */
static int64_t
sim_sgl_load(struct sim_engine *eng, struct mana_hw_dev *dev, const struct mana_hw_pd *pd,
	     const struct sim_ring *ring, const struct sim_wqe *wqe)
{
	const struct mana_hw_ctx *ctx = pd->obj.ctx;
	uint32_t sgl = wqe->off + 8 + wqe->oob_bytes;
	int64_t total = 0;
	uint32_t i;

	eng->n_segs = 0;
	for (i = 0; i < wqe->num_sge; i++) {
		const uint8_t *sge = ring->buf + ((sgl + i * SIM_SGE_SIZE) & (ring->size - 1));
		uint64_t addr = sim_ld64(sge);
		uint32_t key = sim_ld32(sge + 8);
		uint32_t size = sim_ld32(sge + 12);
		const struct mana_hw_mr *mr;

		if (size == 0)
			continue;
		mr = sim_mr_lookup(ctx, key, pd);
		if (mr == NULL || addr < mr->addr || addr - mr->addr > mr->len ||
		    size > mr->len - (addr - mr->addr)) {
			dev->stats.bad_lkey++;
			SIM_LOG(DEBUG, "%s: queue %u: SGE %u key 0x%x [0x%" PRIx64 ", +%u) refused",
				dev->name, ring->id, i, key, addr, size);
			return -1;
		}
		eng->segs[eng->n_segs].addr = (const uint8_t *)(uintptr_t)addr;
		eng->segs[eng->n_segs].len = size;
		eng->n_segs++;
		total += size;
	}
	return total;
}

/*
 * Write one CQE: the 60 data bytes first, then the last dword (queue, is_sq,
 * owner bits) with a release store, so a consumer that sees the new owner
 * bits sees the whole entry. The producer index started at count.
 */
static void
sim_cq_post(struct mana_hw_cq *cq, const uint32_t data[SIM_CQE_DATA_DWORDS], uint32_t queue_id,
	    bool is_sq)
{
	uint8_t *cqe = cq->buf + (size_t)(cq->producer & (cq->count - 1)) * SIM_CQE_SIZE;
	uint32_t owner = (cq->producer / cq->count) & 0x7u;
	uint32_t last = (queue_id & SIM_QUEUE_ID_MASK) | ((is_sq ? 1u : 0u) << 24) |
			(owner << 29);
	uint32_t i;

	for (i = 0; i < SIM_CQE_DATA_DWORDS; i++) {
		uint32_t le = rte_cpu_to_le_32(data[i]);

		memcpy(cqe + 4 * i, &le, sizeof(le));
	}
	rte_atomic_store_explicit((RTE_ATOMIC(uint32_t) *)(cqe + 60), rte_cpu_to_le_32(last),
				  rte_memory_order_release);
	cq->producer++;
}

static void
sim_tx_complete(struct mana_hw_dev *dev, struct mana_hw_sq *sq, const struct sim_wqe *wqe,
		uint32_t type, uint32_t vendor_err, bool suppress)
{
	uint32_t data[SIM_CQE_DATA_DWORDS] = { 0 };

	/* Errors are reported even when completions are suppressed. */
	if (type != SIM_CQE_TX_OKAY)
		dev->stats.tx_errors++;
	else if (suppress)
		return;
	data[0] = (type & 0x3fu) | (vendor_err << 8);
	data[2] = (wqe->off / SIM_WQE_BU) << 5;	/* tx_wqe_offset; tx_sgl_offset 0 */
	sim_cq_post(sq->cq, data, sq->ring.id, true);
}

static void
sim_rx_complete(struct mana_hw_wq *wq, const struct sim_wqe *wqe, uint32_t type,
		uint32_t vendor_err, uint32_t len, uint32_t hash, uint32_t hash_type,
		uint32_t csum_bits)
{
	uint32_t data[SIM_CQE_DATA_DWORDS] = { 0 };

	data[0] = (type & 0x3fu) | (vendor_err << 8);
	data[1] = csum_bits | ((hash_type & 0x1ffu) << 16);
	data[2] = len & 0xffffu;		/* pkt_info[0].packet_length */
	data[4] = hash;				/* pkt_info[0].packet_hash */
	data[14] = wqe->off / SIM_WQE_BU;	/* received_wqe_offset */
	sim_cq_post(wq->cq, data, wq->ring.id, false);
}

/* Hand a frame to a port: RSS picks the WQ, the frame fills its next posted WQE. */
static void
sim_deliver(struct sim_engine *eng, struct mana_hw_dev *dev, const uint8_t *frame, uint32_t len,
	    const struct sim_pkt_info *pi)
{
	struct mana_hw_rss *rss = dev->pass_rss;
	uint32_t hash, hash_type, copied, i;
	struct mana_hw_wq *wq;
	struct sim_ring *ring;
	struct sim_wqe wqe;
	int64_t room;

	if (rss == NULL) {
		dev->stats.rx_drop_no_rss++;
		return;
	}
	hash = sim_rss_hash(rss, frame, pi, &hash_type);
	wq = rss->reta[hash & ((1u << rss->log_size) - 1)];
	ring = &wq->ring;
	/* The driver may have posted since the doorbell scan of this pass. */
	if (ring->consumer == ring->tail)
		sim_ring_doorbell(dev, ring);
	if (ring->broken || ring->consumer == ring->tail) {
		dev->stats.rx_drop_no_wqe++;
		return;
	}
	if (sim_wqe_decode(ring, &wqe) != 0) {
		sim_ring_break(dev, ring, "receive");
		dev->stats.rx_drop_no_wqe++;
		return;
	}
	ring->consumer += wqe.bytes;
	if (wqe.unsupported || wqe.num_sge > SIM_WQE_MAX_SGE) {
		sim_rx_complete(wq, &wqe, SIM_CQE_RX_TRUNCATED, SIM_VERR_BAD_WQE, len, 0, 0, 0);
		return;
	}
	room = sim_sgl_load(eng, dev, wq->pd, ring, &wqe);
	if (room < 0) {
		sim_rx_complete(wq, &wqe, SIM_CQE_RX_TRUNCATED, SIM_VERR_BAD_SGE, len, 0, 0, 0);
		return;
	}
	if (room < len) {
		dev->stats.rx_truncated++;
		sim_rx_complete(wq, &wqe, SIM_CQE_RX_TRUNCATED, 0, len, 0, 0, 0);
		return;
	}
	for (i = 0, copied = 0; copied < len; i++) {
		uint32_t n = RTE_MIN(eng->segs[i].len, len - copied);

		memcpy((void *)(uintptr_t)eng->segs[i].addr, frame + copied, n);
		copied += n;
	}
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += len;
	sim_rx_complete(wq, &wqe, SIM_CQE_RX_OKAY, 0, len, hash, hash_type,
			sim_pkt_rx_csum_verdict(frame, pi));
}

/* Execute the send WQE at the consumer of @sq. */
static void
sim_sq_execute(struct sim_engine *eng, struct mana_hw_dev *dev, struct mana_hw_sq *sq)
{
	struct sim_ring *ring = &sq->ring;
	struct sim_pkt_info pi;
	struct sim_wqe wqe;
	const uint8_t *frame;
	uint32_t oob0, oob1, len, i, copied;
	bool suppress, ip_csum, l4_csum;
	int64_t total;

	if (sim_wqe_decode(ring, &wqe) != 0) {
		sim_ring_break(dev, ring, "send");
		return;
	}
	ring->consumer += wqe.bytes;
	oob0 = sim_ld32(ring->buf + wqe.off + 8);
	oob1 = sim_ld32(ring->buf + wqe.off + 12);
	suppress = (oob0 & SIM_TXOOB_SUPPRESS_CQE) != 0;

	if (wqe.unsupported || wqe.num_sge > sq->max_sge) {
		sim_tx_complete(dev, sq, &wqe, SIM_CQE_TX_HDR_PROCESSING_ERROR, SIM_VERR_BAD_WQE,
				suppress);
		return;
	}
	if (SIM_TXOOB_FORMAT(oob0) > 1 ||
	    (SIM_TXOOB_FORMAT(oob0) == 1 && wqe.oob_bytes != 24)) {
		sim_tx_complete(dev, sq, &wqe, SIM_CQE_TX_INVALID_OOB, SIM_VERR_BAD_FORMAT,
				suppress);
		return;
	}
	if (SIM_TXOOB_VCQ(oob0) != sq->cq->id || SIM_TXOOB_FRAME(oob1) != sq->frame ||
	    SIM_TXOOB_VPORT(oob1) != sq->vport) {
		SIM_LOG(DEBUG, "%s: SQ %u: OOB vcq %u frame %u vport %u, expected %u %u %u",
			dev->name, ring->id, SIM_TXOOB_VCQ(oob0), SIM_TXOOB_FRAME(oob1),
			SIM_TXOOB_VPORT(oob1), sq->cq->id, sq->frame, sq->vport);
		sim_tx_complete(dev, sq, &wqe, SIM_CQE_TX_INVALID_OOB, 0, suppress);
		return;
	}
	total = sim_sgl_load(eng, dev, sq->pd, ring, &wqe);
	if (total < 0) {
		sim_tx_complete(dev, sq, &wqe, SIM_CQE_TX_HDR_PROCESSING_ERROR, SIM_VERR_BAD_SGE,
				suppress);
		return;
	}
	if (total < RTE_ETHER_HDR_LEN) {
		sim_tx_complete(dev, sq, &wqe, SIM_CQE_TX_HDR_PROCESSING_ERROR,
				SIM_VERR_SHORT_FRAME, suppress);
		return;
	}
	if (total > SIM_MAX_FRAME) {
		sim_tx_complete(dev, sq, &wqe, SIM_CQE_TX_MTU_DROP, 0, suppress);
		return;
	}
	len = (uint32_t)total;
	ip_csum = (oob0 & SIM_TXOOB_IP_CSUM) != 0;
	l4_csum = (oob0 & (SIM_TXOOB_TCP_CSUM | SIM_TXOOB_UDP_CSUM)) != 0;

	/* The sender's buffer is never written: offloads work on a copy. */
	if (eng->n_segs == 1 && !ip_csum && !l4_csum) {
		frame = eng->segs[0].addr;
	} else {
		for (i = 0, copied = 0; i < eng->n_segs; i++) {
			memcpy(eng->scratch + copied, eng->segs[i].addr, eng->segs[i].len);
			copied += eng->segs[i].len;
		}
		frame = eng->scratch;
	}
	sim_pkt_parse(frame, len, &pi);
	if ((ip_csum || l4_csum) &&
	    sim_pkt_tx_offload(eng->scratch, &pi, ip_csum, l4_csum, SIM_TXOOB_L4_OFF(oob1)) != 0) {
		sim_tx_complete(dev, sq, &wqe, SIM_CQE_TX_HDR_PROCESSING_ERROR,
				SIM_VERR_BAD_L4_OFFSET, suppress);
		return;
	}
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += len;
	if (dev->pass_target != NULL)
		sim_deliver(eng, dev->pass_target, frame, len, &pi);
	else
		dev->stats.tx_wire_drop++;
	sim_tx_complete(dev, sq, &wqe, SIM_CQE_TX_OKAY, 0, suppress);
}

/* Per device: its receive side and the port its Tx reaches this pass. */
static void
sim_engine_resolve(void)
{
	struct mana_hw_dev *dev, *peer;
	struct mana_hw_ctx *ctx;

	TAILQ_FOREACH(dev, &sim_devices, link) {
		dev->pass_rss = NULL;
		dev->pass_live = false;
		if (dev->state != MANA_SIM_DEV_UP)
			continue;
		TAILQ_FOREACH(ctx, &dev->ctxs, dev_link) {
			if (ctx->dead)
				continue;
			dev->pass_live = true;
			if (ctx->rss != NULL)
				dev->pass_rss = ctx->rss;
		}
	}
	TAILQ_FOREACH(dev, &sim_devices, link) {
		if (dev->conf.peer[0] == '\0') {
			dev->pass_target = dev;
			continue;
		}
		peer = sim_dev_lookup(dev->conf.peer);
		dev->pass_target = peer != NULL && peer->pass_live ? peer : NULL;
	}
}

static unsigned int
sim_engine_serve_ctx(struct sim_engine *eng, struct mana_hw_ctx *ctx)
{
	struct mana_hw_dev *dev = ctx->dev;
	struct mana_hw_cq *cq;
	struct mana_hw_wq *wq;
	struct mana_hw_sq *sq;
	unsigned int work = 0;
	unsigned int n;

	TAILQ_FOREACH(cq, &ctx->cqs, link)
		work += sim_cq_doorbell(dev, cq);
	TAILQ_FOREACH(wq, &ctx->wqs, link)
		work += sim_ring_doorbell(dev, &wq->ring);
	TAILQ_FOREACH(sq, &ctx->sqs, link) {
		work += sim_ring_doorbell(dev, &sq->ring);
		for (n = 0; n < SIM_TX_BATCH && sq->ring.consumer != sq->ring.tail &&
		     !sq->ring.broken; n++)
			sim_sq_execute(eng, dev, sq);
		work += n;
	}
	return work;
}

/* One pass over every device; returns the amount of work done. */
static unsigned int
sim_engine_pass(struct sim_engine *eng, uint64_t now, uint64_t *deadline)
{
	struct mana_hw_dev *dev;
	struct mana_hw_ctx *ctx;
	unsigned int work = 0;

	*deadline = SIM_TIME_NEVER;
	TAILQ_FOREACH(dev, &sim_devices, link) {
		sim_dev_advance(dev, now);
		*deadline = RTE_MIN(*deadline, sim_dev_next_deadline(dev));
	}
	sim_engine_resolve();
	TAILQ_FOREACH(dev, &sim_devices, link) {
		if (!dev->pass_live)
			continue;
		TAILQ_FOREACH(ctx, &dev->ctxs, dev_link) {
			if (!ctx->dead)
				work += sim_engine_serve_ctx(eng, ctx);
		}
	}
	return work;
}

static void
sim_engine_sleep(uint64_t *sleep_ns, uint64_t now, uint64_t deadline)
{
	uint64_t ns = *sleep_ns;
	struct timespec ts;

	if (deadline != SIM_TIME_NEVER) {
		if (deadline <= now)
			return;
		ns = RTE_MIN(ns, deadline - now);
	}
	ts.tv_sec = 0;
	ts.tv_nsec = (long)ns;
	nanosleep(&ts, NULL);
	rte_atomic_fetch_add_explicit(&sim_engine_sleeps, 1, rte_memory_order_relaxed);
	*sleep_ns = RTE_MIN(*sleep_ns * 2, SIM_SLEEP_MAX_NS);
}

static uint32_t
sim_engine_main(void *arg)
{
	struct sim_engine *eng = arg;
	uint64_t sleep_ns = SIM_SLEEP_MIN_NS;
	uint64_t idle_since = sim_now_ns();
	uint64_t now, deadline;
	unsigned int work;

	/*
	 * Hardware does not wait for a CPU: when the engine wakes from an idle
	 * sleep it should not queue behind the application's pollers for a
	 * scheduler slice. Best effort (needs CAP_SYS_NICE).
	 */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), SIM_ENGINE_NICE) != 0)
		SIM_LOG(DEBUG, "engine runs at normal priority: %s", strerror(errno));
	SIM_LOG(INFO, "engine started");
	while (!rte_atomic_load_explicit(&sim_engine_stop_req, rte_memory_order_acquire)) {
		pthread_mutex_lock(&sim_lock);
		now = sim_now_ns();
		work = sim_engine_pass(eng, now, &deadline);
		pthread_mutex_unlock(&sim_lock);

		while (rte_atomic_load_explicit(&sim_lock_waiters, rte_memory_order_relaxed) != 0)
			sched_yield();

		if (work > 0) {
			idle_since = now;
			sleep_ns = SIM_SLEEP_MIN_NS;
			continue;
		}
		now = sim_now_ns();
		if (now - idle_since < SIM_SPIN_NS) {
			rte_pause();
			continue;
		}
		sim_engine_sleep(&sleep_ns, now, deadline);
	}
	SIM_LOG(INFO, "engine stopped");
	return 0;
}

int
sim_engine_start(void)
{
	int ret;

	sim_engine.scratch = aligned_alloc(RTE_CACHE_LINE_SIZE,
					   RTE_ALIGN(SIM_MAX_FRAME, RTE_CACHE_LINE_SIZE));
	if (sim_engine.scratch == NULL)
		return -ENOMEM;
	rte_atomic_store_explicit(&sim_engine_stop_req, false, rte_memory_order_release);
	ret = rte_thread_create_control(&sim_engine.thread, "mana-sim-eng", sim_engine_main,
					&sim_engine);
	if (ret != 0) {
		ret = ret < 0 ? ret : -ret;
		SIM_LOG(ERR, "cannot start the engine thread: %s", strerror(-ret));
		free(sim_engine.scratch);
		sim_engine.scratch = NULL;
		return ret;
	}
	return 0;
}

void
sim_engine_stop(void)
{
	rte_atomic_store_explicit(&sim_engine_stop_req, true, rte_memory_order_release);
	rte_thread_join(sim_engine.thread, NULL);
	free(sim_engine.scratch);
	sim_engine.scratch = NULL;
}

uint64_t
sim_engine_sleep_count(void)
{
	return rte_atomic_load_explicit(&sim_engine_sleeps, rte_memory_order_relaxed);
}
