/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The engine of the software MANA VF: one control thread ("mana-sim-eng")
 * in the process running the device. Each pass, under vf_lock:
 *   - fire due lifecycle timers (vf_advance), retire the contexts of a dead
 *     device instance (their doorbell page is revoked, vf_ctx_kill) and post
 *     their DEVICE_FATAL when it is due;
 *   - resolve, per port, its receive side (the RSS QP of a live context on
 *     that port) and where its Tx goes: itself, or the port at the other
 *     end of its wire (MANA_SIM wire=);
 *   - for every live context: read its doorbell page, execute posted send
 *     WQEs, deliver each packet into a posted receive WQE of the target
 *     port, and write the completions.
 *
 * Doorbells. A context has one doorbell page, shared by all its queues and
 * by every process mapping the context's command fd (rdma-core v44
 * providers/mana: one page per context); a queue rings by writing its id and
 * producer tail into the slot of its type (SQ 0x000, RQ 0x400, CQ 0x800).
 * On hardware these are MMIO writes and none is lost; on a page of memory
 * two rings of the same type between two reads of the engine overwrite each
 * other. The engine therefore treats a posted WQE beyond a queue's last
 * announced tail as a ring that was overwritten - but only when a ring of
 * that type was seen since the queue had nothing unannounced (nothing is
 * served before the driver rings at all), only while the slot names another
 * queue (a queue whose own doorbell is still there announced what it
 * meant to: a short tail stays short), only for WQEs that are complete and
 * were already there VF_DB_GRACE_NS earlier (a driver still writing its
 * burst rings within microseconds; a packet finding its receive queue empty
 * does not wait), and it counts each such recovery (doorbells_recovered).
 * To tell a posted WQE from a consumed one, and a complete one from one
 * being written, the engine clears every WQE it consumes: a WQE the driver
 * has not finished has a field that must not be zero still zero (an SGE's
 * address, key or length; a send OOB's CQ number, SQ frame or vport
 * offset). Time alone cannot tell: a writer descheduled between two stores
 * of one WQE leaves it half written for as long as it is off the CPU.
 * Fields the device does not require (checksum and VLAN requests) cannot
 * tell either: a driver that writes them after the required ones can have
 * its WQE taken without them. Drivers do not read back posted WQEs.
 *
 * Completions. Send WQEs asking for no CQE (suppress_txcqe_gen) get none
 * unless they fail: error CQEs are written for every WQE. Receive
 * completions are coalesced as mana_ib enables it (cqe_coalescing_enable,
 * Linux drivers/infiniband/hw/mana/qp.c): one CQE of type RX_COALESCED_4
 * completes up to four packets of one WQ that share their completion flags,
 * packet_info[0..3]. The hardware strips a VLAN tag into the completion
 * (vlan_tag_present, vlan_id) and inserts one on Tx from the long OOB.
 *
 * CQ overrun: the device does not read the consumer, so, like the hardware,
 * it relies on the driver sizing each CQ for every WQE that can complete on
 * it.
 *
 * Idle policy: after a pass without work the engine keeps polling for
 * VF_SPIN_NS, then sleeps, starting at VF_SLEEP_MIN_NS and doubling up to
 * VF_SLEEP_MAX_NS, never past the next timer. A queue pair made ready (in
 * any process: the sleep is a futex wait on a word of the shared state)
 * restarts that back-off, cutting short a sleep of VF_KICK_SLEEP_NS or more:
 * hardware serves a new queue's first doorbell at once, and after a reset
 * the first one comes within milliseconds, which a sleep grown to
 * VF_SLEEP_MAX_NS over the device's absence would have delayed by up to
 * that much. Shorter sleeps are left alone, so that a rebuild creating
 * queue after queue does not have the engine preempt it each time. Control
 * paths announce themselves in vf_lock_waiters; the engine yields between
 * passes while someone waits, so a busy engine cannot starve them of the
 * mutex.
 */

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_pause.h>

#include "vf.h"

#define VF_TX_BATCH		64u	/* send WQEs per SQ per pass */
#define VF_SPIN_NS		30000ull
#define VF_SLEEP_MIN_NS		10000ull
#define VF_SLEEP_MAX_NS		1000000ull
#define VF_KICK_SLEEP_NS	100000ull	/* a kick cuts short sleeps this long or longer */
#define VF_DB_GRACE_NS		100000ull
#define VF_WQE_MAX_BYTES	512u	/* a send WQE (Linux gdma.h MAX_TX_WQE_SIZE) */
#define VF_ENGINE_NICE		(-10)
#define VF_WQE_MAX_SGE		30u
#define VF_RX_COALESCE		4u

/* WQE header dword 1. */
#define VF_WQE_NUM_SGE(h)	((h) & 0xffu)
#define VF_WQE_OOB_DWORDS(h)	(((h) >> 8) & 0x7u)
#define VF_WQE_OOB_IN_SGL	(1u << 11)
#define VF_WQE_SGL_DIRECT	(1u << 31)

/* Tx short OOB, dword 0 and dword 1; long OOB dword 0 (Linux mana.h). */
#define VF_TXOOB_FORMAT(d)	((d) & 0x3u)
#define VF_TXOOB_IS_IPV4	(1u << 2)
#define VF_TXOOB_IP_CSUM	(1u << 4)
#define VF_TXOOB_TCP_CSUM	(1u << 5)
#define VF_TXOOB_UDP_CSUM	(1u << 6)
#define VF_TXOOB_SUPPRESS_CQE	(1u << 7)
#define VF_TXOOB_VCQ(d)		((d) >> 8)
#define VF_TXOOB_L4_OFF(d)	((d) & 0x3ffu)
#define VF_TXOOB_FRAME(d)	(((d) >> 10) & 0x3fffu)
#define VF_TXOOB_VPORT(d)	((d) >> 24)
#define VF_TXLONG_VLAN_INJECT	(1u << 3)
#define VF_TXLONG_PCP(d)	(((d) >> 16) & 0x7u)
#define VF_TXLONG_DEI(d)	(((d) >> 19) & 0x1u)
#define VF_TXLONG_VLAN_ID(d)	((d) >> 20)

/* Rx completion OOB dword 1. */
#define VF_RXOOB_VLAN_PRESENT	(1u << 12)

enum vf_db_type { VF_DB_TYPE_SQ = 0, VF_DB_TYPE_RQ = 1 };

struct vf_seg {
	const uint8_t *addr;
	uint32_t len;
};

struct vf_wqe {
	uint32_t off;			/* ring byte offset of the WQE */
	uint32_t num_sge;
	uint32_t oob_bytes;
	uint32_t bytes;
	bool unsupported;
};

/* Receive completions of one WQ waiting to be coalesced. */
struct vf_rx_batch {
	struct vf_wq *wq;
	uint32_t flags;			/* dword 1, shared by the packets of one CQE */
	uint32_t n;
	uint32_t len[VF_RX_COALESCE];
	uint32_t hash[VF_RX_COALESCE];
	uint32_t first_wqe;
};

struct vf_engine {
	pthread_t thread;
	bool running;
	uint8_t *scratch;		/* the frame being sent */
	uint8_t wqe_copy[VF_WQE_MAX_BYTES];	/* the send WQE being executed */
	uint8_t *rx_scratch;		/* the frame being received, VLAN stripped */
	struct vf_seg segs[VF_WQE_MAX_SGE];
	uint32_t n_segs;
	struct vf_qp *rx_side[VF_MAX_FNS][VF_MAX_PORTS];	/* this pass */
	struct vf_rx_batch batch[VF_MAX_FNS * VF_MAX_PORTS * 64];
	uint32_t n_batch;
	uint64_t now;
};

static struct vf_engine vf_engine;
static uint32_t vf_engine_suspects;	/* rings waiting for their grace, this pass */
static pthread_mutex_t vf_engine_ctl = PTHREAD_MUTEX_INITIALIZER;
static RTE_ATOMIC(bool) vf_engine_stop_req;

static inline uint32_t
vf_ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_le_to_cpu_32(v);
}

static inline uint64_t
vf_ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return rte_le_to_cpu_64(v);
}

static inline uint64_t
vf_db_load(const uint8_t *page, uint32_t slot)
{
	return rte_le_to_cpu_64(rte_atomic_load_explicit(
		(const RTE_ATOMIC(uint64_t) *)(page + slot), rte_memory_order_acquire));
}

static struct mana_sim_stats *
vf_stats(uint32_t fn)
{
	return &vf_sh->fn[fn].stats;
}

/* ---- work queues ---- */

/* Decode the WQE at @pos; -1 if its size cannot be trusted. */
static int
vf_wqe_decode(const struct vf_ring *ring, uint32_t pos, uint32_t limit, struct vf_wqe *wqe)
{
	uint32_t hdr1, oob_dwords;

	wqe->off = pos & (ring->size - 1);
	hdr1 = vf_ld32(ring->buf + wqe->off + 4);
	oob_dwords = VF_WQE_OOB_DWORDS(hdr1);
	if (oob_dwords != 2 && oob_dwords != 6)
		return -1;
	wqe->num_sge = VF_WQE_NUM_SGE(hdr1);
	wqe->oob_bytes = oob_dwords * 4;
	/* An empty SGL is written as one dummy entry. */
	wqe->bytes = RTE_ALIGN(8 + wqe->oob_bytes + RTE_MAX(1u, wqe->num_sge) * VF_SGE_SIZE,
			       VF_WQE_BU);
	if (wqe->bytes > limit)
		return -1;
	wqe->unsupported = (hdr1 & (VF_WQE_OOB_IN_SGL | VF_WQE_SGL_DIRECT)) != 0;
	return 0;
}

/* Consume the WQE at the consumer: clear all of it (see above). */
static void
vf_wqe_consume(struct vf_ring *ring, const struct vf_wqe *wqe)
{
	uint32_t n = wqe->bytes, first;

	first = RTE_MIN(n, ring->size - wqe->off);
	memset(ring->buf + wqe->off, 0, first);
	if (n > first)
		memset(ring->buf, 0, n - first);	/* the SGL wrapped */
	ring->consumer += wqe->bytes;
}

static bool
vf_ring_apply_doorbell(uint32_t fn, struct vf_ring *ring, uint64_t v)
{
	uint32_t tail = (uint32_t)(v >> 32);

	if ((tail & (VF_WQE_BU - 1)) != 0 || tail - ring->consumer > ring->size) {
		vf_stats(fn)->bad_doorbell++;
		VF_LOG(DEBUG, "queue %u: doorbell tail %u ignored (consumer %u, size %u)",
		       ring->id, tail, ring->consumer, ring->size);
		return false;
	}
	ring->tail = tail;
	ring->suspect_ns = 0;
	return true;
}

static void
vf_ring_break(struct vf_ring *ring, const char *what)
{
	ring->broken = true;
	VF_LOG(ERR, "%s queue %u: malformed WQE at consumer %u (tail %u), queue stopped", what,
	       ring->id, ring->consumer, ring->tail);
}

/* The SQ frame a send OOB must carry (upstream DPDK tx.c get_vsq_frame_num). */
static inline uint32_t
vf_sq_frame(const struct vf_qp *sq)
{
	return (sq->ring.id >> 10) & 0x3fffu;
}

/*
 * A WQE whose every field the driver must write is there (non-zero): the
 * SGEs' address, key and length, and for a send WQE (@sq) every field of
 * the OOB the device checks (vf_sq_execute): CQ number, SQ frame and vport
 * offset, each where this queue's value is not zero. Drivers write a WQE
 * in several stores (the PMD: header, OOB dword 0, then dword 1): a WQE
 * with any of them still zero is one being written, however long ago it
 * was first seen - its writer may be descheduled between two stores.
 */
static bool
vf_wqe_complete(const struct vf_ring *ring, const struct vf_wqe *wqe, const struct vf_qp *sq)
{
	uint32_t sgl = wqe->off + 8 + wqe->oob_bytes;
	uint32_t i;

	if (wqe->num_sge == 0 || wqe->unsupported)
		return false;
	if (sq != NULL) {
		/* The OOB fills the WQE's first basic unit: it never wraps. */
		uint32_t oob0 = vf_ld32(ring->buf + wqe->off + 8);
		uint32_t oob1 = vf_ld32(ring->buf + wqe->off + 12);

		if (VF_TXOOB_VCQ(oob0) == 0 ||
		    (VF_TXOOB_FRAME(oob1) == 0 && vf_sq_frame(sq) != 0) ||
		    (VF_TXOOB_VPORT(oob1) == 0 && sq->tx_vp_offset != 0))
			return false;
	}
	for (i = 0; i < wqe->num_sge; i++) {
		const uint8_t *sge = ring->buf + ((sgl + i * VF_SGE_SIZE) & (ring->size - 1));

		if (vf_ld64(sge) == 0 || vf_ld32(sge + 8) == 0 || vf_ld32(sge + 12) == 0)
			return false;
	}
	return true;
}

/*
 * End of the run of complete posted WQEs starting at the announced tail;
 * @sq: the send queue the ring is of, NULL for a receive queue.
 */
static uint32_t
vf_ring_posted_end(const struct vf_ring *ring, const struct vf_qp *sq)
{
	uint32_t pos = ring->tail;
	struct vf_wqe wqe;

	while (pos - ring->consumer < ring->size &&
	       vf_ld64(ring->buf + (pos & (ring->size - 1))) != 0) {
		if (vf_wqe_decode(ring, pos, ring->size - (pos - ring->consumer), &wqe) != 0 ||
		    !vf_wqe_complete(ring, &wqe, sq))
			break;
		pos += wqe.bytes;
	}
	return pos;
}

/*
 * A ring of this queue's type was overwritten on the shared page? See the
 * top of the file. Returns true when WQEs were recovered.
 */
static bool
vf_ring_recover(uint32_t fn, struct vf_ring *ring, const struct vf_qp *sq, uint64_t changes,
		uint64_t slot, uint64_t now)
{
	uint32_t end;

	if (ring->broken || ring->tail - ring->consumer >= ring->size ||
	    vf_ld64(ring->buf + (ring->tail & (ring->size - 1))) == 0) {
		ring->clean_changes = changes;
		ring->suspect_ns = 0;
		return false;
	}
	/*
	 * The slot still names this queue: its last doorbell was not
	 * overwritten, and its tail is what the driver announced. WQEs past it
	 * are not announced (hardware would not run them either).
	 */
	if (((uint32_t)slot & VF_QUEUE_ID_MASK) == ring->id) {
		ring->suspect_ns = 0;
		return false;
	}
	if (changes == ring->clean_changes)
		return false;	/* no ring of this type since: the driver has not rung */
	if (ring->suspect_ns == 0) {
		ring->suspect_ns = now;
		ring->suspect_end = vf_ring_posted_end(ring, sq);
		vf_engine_suspects++;
		return false;
	}
	if (now - ring->suspect_ns < VF_DB_GRACE_NS) {
		vf_engine_suspects++;
		return false;
	}
	end = vf_ring_posted_end(ring, sq);
	if (end - ring->consumer > ring->suspect_end - ring->consumer)
		end = ring->suspect_end;
	ring->suspect_ns = 0;
	if (end == ring->tail)
		return false;
	VF_LOG(DEBUG, "queue %u: doorbell overwritten, tail %u -> %u", ring->id, ring->tail, end);
	ring->tail = end;
	vf_stats(fn)->doorbells_recovered++;
	return true;
}

/*
 * A packet finds no announced receive WQE, but the queue has WQEs posted
 * beyond its tail and an RQ doorbell was rung since it had none: its own
 * ring was overwritten on the shared page. Rather than drop the packet
 * while the grace of vf_ring_recover() runs (hardware loses no doorbell),
 * take the WQEs that are complete: consumed receive WQEs are cleared whole,
 * so one the driver is still writing has a zero field. Returns true when
 * the tail moved.
 */
static bool
vf_rq_recover_now(uint32_t fn, struct vf_ring *ring, uint64_t changes, uint64_t slot)
{
	uint32_t pos = ring->tail;
	struct vf_wqe wqe;

	/* As vf_ring_recover(): a queue whose doorbell is still in the slot is not. */
	if (ring->broken || changes == ring->clean_changes ||
	    ((uint32_t)slot & VF_QUEUE_ID_MASK) == ring->id)
		return false;
	while (pos - ring->consumer < ring->size &&
	       vf_ld64(ring->buf + (pos & (ring->size - 1))) != 0 &&
	       vf_wqe_decode(ring, pos, ring->size - (pos - ring->consumer), &wqe) == 0 &&
	       vf_wqe_complete(ring, &wqe, NULL))
		pos += wqe.bytes;
	if (pos == ring->tail)
		return false;
	ring->tail = pos;
	ring->suspect_ns = 0;
	vf_stats(fn)->doorbells_recovered++;
	return true;
}

/*
 * Load and check the SGL of a WQE into eng->segs (empty entries skipped):
 * each key must name an MR of the queue's protection domain and the range
 * must lie inside it. The SGL may wrap to the start of the ring. Returns the
 * byte total, -1 on a bad SGE.
 */
static int64_t
vf_sgl_load(struct vf_engine *eng, const struct vf_ctx *ctx, const struct vf_pd *pd,
	    const struct vf_ring *ring, const struct vf_wqe *wqe)
{
	uint32_t sgl = wqe->off + 8 + wqe->oob_bytes;
	int64_t total = 0;
	uint32_t i;

	eng->n_segs = 0;
	for (i = 0; i < wqe->num_sge; i++) {
		const uint8_t *sge = ring->buf + ((sgl + i * VF_SGE_SIZE) & (ring->size - 1));
		uint64_t addr = vf_ld64(sge);
		uint32_t key = vf_ld32(sge + 8);
		uint32_t size = vf_ld32(sge + 12);
		const struct vf_mr *mr;
		uintptr_t base;

		if (size == 0)
			continue;
		mr = vf_mr_lookup(ctx, key);
		base = mr != NULL ? (uintptr_t)mr->ibv.addr : 0;
		if (mr == NULL || mr->pd != pd || addr < base || addr - base > mr->ibv.length ||
		    size > mr->ibv.length - (addr - base)) {
			vf_stats(ctx->fn)->bad_lkey++;
			VF_LOG(DEBUG, "queue %u: SGE %u key 0x%x [0x%" PRIx64 ", +%u) refused",
			       ring->id, i, key, addr, size);
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
 * bits sees the whole entry. The producer index started at count, so the
 * n-th CQE carries owner bits ((n / count) + 1) & 7.
 */
static void
vf_cq_post(struct vf_cq *cq, const uint32_t data[VF_CQE_DATA_DWORDS], uint32_t queue_id,
	   bool is_sq)
{
	uint8_t *cqe = cq->buf + (size_t)(cq->producer % cq->count) * VF_CQE_SIZE;
	uint32_t owner = (cq->producer / cq->count) & 0x7u;
	uint32_t last = (queue_id & VF_QUEUE_ID_MASK) | ((is_sq ? 1u : 0u) << 24) |
			(owner << 29);
	uint32_t i;

	for (i = 0; i < VF_CQE_DATA_DWORDS; i++) {
		uint32_t le = rte_cpu_to_le_32(data[i]);

		memcpy(cqe + 4 * i, &le, sizeof(le));
	}
	rte_atomic_store_explicit((RTE_ATOMIC(uint32_t) *)(cqe + 60), rte_cpu_to_le_32(last),
				  rte_memory_order_release);
	cq->producer++;
}

static void
vf_tx_complete(uint32_t fn, struct vf_qp *sq, const struct vf_wqe *wqe, uint32_t type,
	       uint32_t vendor_err, bool suppress)
{
	uint32_t data[VF_CQE_DATA_DWORDS] = { 0 };

	/* Errors are reported even when completions are suppressed. */
	if (type != VF_CQE_TX_OKAY)
		vf_stats(fn)->tx_errors++;
	else if (suppress)
		return;
	data[0] = (type & 0x3fu) | (vendor_err << 8);
	data[2] = (wqe->off / VF_WQE_BU) << 5;	/* tx_wqe_offset; tx_sgl_offset 0 */
	vf_cq_post(sq->cq, data, sq->ring.id, true);
	vf_stats(fn)->tx_cqes++;
}

/* ---- receive ---- */

static unsigned int vf_ctx_doorbells(struct vf_ctx *ctx);

static void
vf_rx_flush(struct vf_rx_batch *b)
{
	uint32_t data[VF_CQE_DATA_DWORDS] = { 0 };
	uint32_t fn, i;

	if (b->n == 0)
		return;
	fn = b->wq->obj.ctx->fn;
	data[0] = b->n > 1 ? VF_CQE_RX_COALESCED_4 : VF_CQE_RX_OKAY;
	data[1] = b->flags;
	for (i = 0; i < b->n; i++) {
		data[2 + 3 * i] = b->len[i] & 0xffffu;	/* packet_info[i].packet_length */
		data[4 + 3 * i] = b->hash[i];		/* packet_info[i].packet_hash */
	}
	data[14] = b->first_wqe;			/* rx_wqe_offset (ignored by DPDK) */
	vf_cq_post(b->wq->cq, data, b->wq->ring.id, false);
	vf_stats(fn)->rx_cqes++;
	if (b->n > 1)
		vf_stats(fn)->rx_coalesced++;
	b->n = 0;
}

static void
vf_rx_error(uint32_t fn, struct vf_wq *wq, const struct vf_wqe *wqe, uint32_t type,
	    uint32_t vendor_err, uint32_t len)
{
	uint32_t data[VF_CQE_DATA_DWORDS] = { 0 };

	data[0] = (type & 0x3fu) | (vendor_err << 8);
	data[2] = len & 0xffffu;
	data[14] = wqe->off / VF_WQE_BU;
	vf_cq_post(wq->cq, data, wq->ring.id, false);
	vf_stats(fn)->rx_cqes++;
}

static struct vf_rx_batch *
vf_rx_batch_of(struct vf_engine *eng, struct vf_wq *wq)
{
	uint32_t i;

	for (i = 0; i < eng->n_batch; i++)
		if (eng->batch[i].wq == wq)
			return &eng->batch[i];
	if (eng->n_batch == RTE_DIM(eng->batch)) {
		/* Full: complete everything pending first (order per WQ is kept). */
		for (i = 0; i < eng->n_batch; i++)
			vf_rx_flush(&eng->batch[i]);
		eng->n_batch = 0;
	}
	memset(&eng->batch[eng->n_batch], 0, sizeof(eng->batch[0]));
	eng->batch[eng->n_batch].wq = wq;
	return &eng->batch[eng->n_batch++];
}

static void
vf_rx_flush_all(struct vf_engine *eng)
{
	uint32_t i;

	for (i = 0; i < eng->n_batch; i++)
		vf_rx_flush(&eng->batch[i]);
	eng->n_batch = 0;
}

/*
 * Hand a frame to port (@fn, @port): RSS picks the WQ; the VLAN tag, if any,
 * is stripped into the completion; the frame fills the WQ's next posted WQE.
 */
static void
vf_deliver(struct vf_engine *eng, uint32_t fn, uint32_t port, const uint8_t *frame,
	   uint32_t len)
{
	struct vf_qp *rss = eng->rx_side[fn][port - 1];
	struct mana_sim_stats *st = vf_stats(fn);
	uint32_t hash, hash_type, copied, i, flags = 0;
	struct vf_pkt_info pi;
	struct vf_rx_batch *b;
	struct vf_ring *ring;
	struct vf_wqe wqe;
	struct vf_wq *wq;
	bool bad_wqe;
	int64_t room;

	if (rss == NULL) {
		st->rx_drop_no_rss++;
		return;
	}
	if (len >= RTE_ETHER_HDR_LEN + 4 &&
	    ((frame[12] << 8) | frame[13]) == RTE_ETHER_TYPE_VLAN) {
		uint32_t tci = (frame[14] << 8) | frame[15];

		memcpy(eng->rx_scratch, frame, 2 * RTE_ETHER_ADDR_LEN);
		memcpy(eng->rx_scratch + 2 * RTE_ETHER_ADDR_LEN,
		       frame + 2 * RTE_ETHER_ADDR_LEN + 4, len - 2 * RTE_ETHER_ADDR_LEN - 4);
		frame = eng->rx_scratch;
		len -= 4;
		flags |= VF_RXOOB_VLAN_PRESENT | (tci & 0xfffu);
		st->rx_vlan_stripped++;
	}
	vf_pkt_parse(frame, len, &pi);
	hash = vf_rss_hash(rss, frame, &pi, &hash_type);
	/* The device's 64-entry table: entry j is the ind table's entry j % n. */
	wq = rss->ind->wq[(hash & (VF_RETA_MAX - 1)) & ((1u << rss->reta_log) - 1)];
	ring = &wq->ring;
	/*
	 * The receiving context's page may hold a doorbell this pass has not
	 * read yet (a wire to another context): hardware sees a doorbell
	 * before any packet that follows it.
	 */
	if (!ring->broken && ring->consumer == ring->tail)
		vf_ctx_doorbells(wq->obj.ctx);
	if (ring->broken || (ring->consumer == ring->tail &&
			     !vf_rq_recover_now(fn, ring, wq->obj.ctx->db_changes[VF_DB_TYPE_RQ],
						wq->obj.ctx->db_seen[VF_DB_TYPE_RQ]))) {
		st->rx_drop_no_wqe++;
		return;
	}
	if (vf_wqe_decode(ring, ring->consumer, ring->tail - ring->consumer, &wqe) != 0) {
		vf_ring_break(ring, "receive");
		st->rx_drop_no_wqe++;
		return;
	}
	b = vf_rx_batch_of(eng, wq);
	bad_wqe = wqe.unsupported || wqe.num_sge > VF_WQE_MAX_SGE;
	room = bad_wqe ? -1 : vf_sgl_load(eng, wq->obj.ctx, wq->pd, ring, &wqe);
	vf_wqe_consume(ring, &wqe);	/* the SGL is in eng->segs now */
	if (bad_wqe) {
		vf_rx_flush(b);
		vf_rx_error(fn, wq, &wqe, VF_CQE_RX_TRUNCATED, VF_VERR_BAD_WQE, len);
		return;
	}
	if (room < 0 || room < len) {
		if (room >= 0)
			st->rx_truncated++;
		vf_rx_flush(b);
		vf_rx_error(fn, wq, &wqe, VF_CQE_RX_TRUNCATED, room < 0 ? VF_VERR_BAD_SGE : 0,
			    len);
		return;
	}
	for (i = 0, copied = 0; copied < len; i++) {
		uint32_t n = RTE_MIN(eng->segs[i].len, len - copied);

		memcpy((void *)(uintptr_t)eng->segs[i].addr, frame + copied, n);
		copied += n;
	}
	st->rx_packets++;
	st->rx_bytes += len;
	flags |= vf_pkt_rx_csum_verdict(frame, &pi) | ((hash_type & 0x1ffu) << 16);
	if (b->n > 0 && (b->flags != flags || b->n == VF_RX_COALESCE))
		vf_rx_flush(b);
	if (b->n == 0) {
		b->flags = flags;
		b->first_wqe = wqe.off / VF_WQE_BU;
	}
	b->len[b->n] = len;
	b->hash[b->n] = hash;
	b->n++;
}

/* ---- send ---- */

/* Insert an 802.1Q tag after the MAC addresses; returns the new length. */
static uint32_t
vf_vlan_insert(uint8_t *frame, uint32_t len, uint32_t tci)
{
	memmove(frame + 2 * RTE_ETHER_ADDR_LEN + 4, frame + 2 * RTE_ETHER_ADDR_LEN,
		len - 2 * RTE_ETHER_ADDR_LEN);
	frame[12] = (uint8_t)(RTE_ETHER_TYPE_VLAN >> 8);
	frame[13] = (uint8_t)RTE_ETHER_TYPE_VLAN;
	frame[14] = (uint8_t)(tci >> 8);
	frame[15] = (uint8_t)tci;
	return len + 4;
}

static void
vf_sq_execute(struct vf_engine *eng, struct vf_ctx *ctx, struct vf_qp *sq)
{
	struct mana_sim_stats *st = vf_stats(ctx->fn);
	struct vf_ring *ring = &sq->ring;
	uint32_t oob0, oob1, long0 = 0, len, i, copied, tci = 0;
	struct vf_wire_end to;
	uint32_t csum, first;
	struct vf_ring copy = { 0 };
	bool suppress, vlan;
	struct vf_wqe wqe, wqe_at;
	uint8_t *frame;
	int64_t total;

	if (vf_wqe_decode(ring, ring->consumer, ring->tail - ring->consumer, &wqe) != 0) {
		vf_ring_break(ring, "send");
		return;
	}
	if (wqe.bytes > VF_WQE_MAX_BYTES) {
		vf_wqe_consume(ring, &wqe);
		vf_tx_complete(ctx->fn, sq, &wqe, VF_CQE_TX_HDR_PROCESSING_ERROR, VF_VERR_BAD_WQE,
			       false);
		return;
	}
	/* Work on a copy: the WQE is cleared in the ring at once (see the top). */
	first = RTE_MIN(wqe.bytes, ring->size - wqe.off);
	memcpy(eng->wqe_copy, ring->buf + wqe.off, first);
	memcpy(eng->wqe_copy + first, ring->buf, wqe.bytes - first);
	vf_wqe_consume(ring, &wqe);
	copy.buf = eng->wqe_copy;
	copy.size = VF_WQE_MAX_BYTES;
	wqe_at = wqe;
	wqe_at.off = 0;
	oob0 = vf_ld32(copy.buf + 8);
	oob1 = vf_ld32(copy.buf + 12);
	if (wqe.oob_bytes == 24)
		long0 = vf_ld32(copy.buf + 16);
	suppress = (oob0 & VF_TXOOB_SUPPRESS_CQE) != 0;

	if (wqe.unsupported || wqe.num_sge > sq->max_send_sge) {
		vf_tx_complete(ctx->fn, sq, &wqe, VF_CQE_TX_HDR_PROCESSING_ERROR, VF_VERR_BAD_WQE,
			       suppress);
		return;
	}
	if (VF_TXOOB_FORMAT(oob0) > 1 || (VF_TXOOB_FORMAT(oob0) == 1 && wqe.oob_bytes != 24)) {
		vf_tx_complete(ctx->fn, sq, &wqe, VF_CQE_TX_INVALID_OOB, VF_VERR_BAD_FORMAT,
			       suppress);
		return;
	}
	if (VF_TXOOB_VCQ(oob0) != sq->cq->id || VF_TXOOB_FRAME(oob1) != vf_sq_frame(sq) ||
	    VF_TXOOB_VPORT(oob1) != sq->tx_vp_offset) {
		VF_LOG(DEBUG, "SQ %u: OOB vcq %u frame %u vport %u, expected %u %u %u", ring->id,
		       VF_TXOOB_VCQ(oob0), VF_TXOOB_FRAME(oob1), VF_TXOOB_VPORT(oob1),
		       sq->cq->id, vf_sq_frame(sq), sq->tx_vp_offset);
		vf_tx_complete(ctx->fn, sq, &wqe, VF_CQE_TX_INVALID_OOB, 0, suppress);
		return;
	}
	total = vf_sgl_load(eng, ctx, vf_qp_base_pd(sq), &copy, &wqe_at);
	if (total < 0) {
		vf_tx_complete(ctx->fn, sq, &wqe, VF_CQE_TX_HDR_PROCESSING_ERROR, VF_VERR_BAD_SGE,
			       suppress);
		return;
	}
	if (total < RTE_ETHER_HDR_LEN) {
		vf_tx_complete(ctx->fn, sq, &wqe, VF_CQE_TX_HDR_PROCESSING_ERROR,
			       VF_VERR_SHORT_FRAME, suppress);
		return;
	}
	vlan = VF_TXOOB_FORMAT(oob0) == 1 && (long0 & VF_TXLONG_VLAN_INJECT) != 0;
	if (total + (vlan ? 4 : 0) > VF_MAX_FRAME) {
		vf_tx_complete(ctx->fn, sq, &wqe, VF_CQE_TX_MTU_DROP, 0, suppress);
		return;
	}
	len = (uint32_t)total;
	csum = ((oob0 & VF_TXOOB_IP_CSUM) ? VF_TXCS_IP : 0) |
	       ((oob0 & VF_TXOOB_IS_IPV4) ? VF_TXCS_IPV4 : 0) |
	       ((oob0 & VF_TXOOB_TCP_CSUM) ? VF_TXCS_TCP : 0) |
	       ((oob0 & VF_TXOOB_UDP_CSUM) ? VF_TXCS_UDP : 0);
	/* The sender's buffer is never written: the frame is copied. */
	for (i = 0, copied = 0; i < eng->n_segs; i++) {
		memcpy(eng->scratch + copied, eng->segs[i].addr, eng->segs[i].len);
		copied += eng->segs[i].len;
	}
	frame = eng->scratch;
	if ((csum & (VF_TXCS_IP | VF_TXCS_TCP | VF_TXCS_UDP)) != 0 &&
	    vf_pkt_tx_offload(frame, len, csum, VF_TXOOB_L4_OFF(oob1)) != 0) {
		vf_tx_complete(ctx->fn, sq, &wqe, VF_CQE_TX_HDR_PROCESSING_ERROR,
			       VF_VERR_BAD_L4_OFFSET, suppress);
		return;
	}
	if (vlan) {
		tci = (VF_TXLONG_PCP(long0) << 13) | (VF_TXLONG_DEI(long0) << 12) |
		      (VF_TXLONG_VLAN_ID(long0) & 0xfffu);
		len = vf_vlan_insert(frame, len, tci);
	}
	st->tx_packets++;
	st->tx_bytes += len;
	to = vf_config_peer(&vf_conf, ctx->fn, sq->port);
	if (vf_sh->fn[to.fn].state != VF_FN_UP)
		st->tx_wire_drop++;
	else
		vf_deliver(eng, to.fn, to.port, frame, len);
	vf_tx_complete(ctx->fn, sq, &wqe, VF_CQE_TX_OKAY, 0, suppress);
}

/* ---- contexts ---- */

static struct vf_qp *
vf_sq_by_id(struct vf_ctx *ctx, uint32_t id)
{
	struct vf_qp *qp;

	TAILQ_FOREACH(qp, &ctx->qps, link_qp)
		if (!qp->rss && qp->ring.id == id)
			return qp;
	return NULL;
}

static struct vf_wq *
vf_rq_by_id(struct vf_ctx *ctx, uint32_t id)
{
	struct vf_qp *qp;
	uint32_t i;

	TAILQ_FOREACH(qp, &ctx->qps, link_qp) {
		if (!qp->rss)
			continue;
		for (i = 0; i < (1u << qp->ind->log_size); i++)
			if (qp->ind->wq[i]->ring.id == id && qp->ind->wq[i]->live)
				return qp->ind->wq[i];
	}
	return NULL;
}

/* Notice doorbell writes on the context's page; returns the work found. */
static unsigned int
vf_ctx_doorbells(struct vf_ctx *ctx)
{
	static const uint32_t slots[2] = { VF_DB_SQ, VF_DB_RQ };
	struct mana_sim_stats *st = vf_stats(ctx->fn);
	unsigned int work = 0;
	uint32_t t, id;
	uint64_t v;

	for (t = 0; t < 2; t++) {
		struct vf_ring *ring = NULL;

		v = vf_db_load(ctx->db_page, slots[t]);
		if (v == ctx->db_seen[t])
			continue;
		ctx->db_seen[t] = v;
		st->doorbells++;
		id = (uint32_t)v & VF_QUEUE_ID_MASK;
		if (t == VF_DB_TYPE_SQ) {
			struct vf_qp *sq = vf_sq_by_id(ctx, id);

			ring = sq != NULL ? &sq->ring : NULL;
		} else {
			struct vf_wq *wq = vf_rq_by_id(ctx, id);

			ring = wq != NULL ? &wq->ring : NULL;
		}
		if (ring == NULL) {
			st->bad_doorbell++;
			VF_LOG(DEBUG, "doorbell 0x%" PRIx64 " names no %s of the context", v,
			       t == VF_DB_TYPE_SQ ? "send queue" : "receive queue");
			continue;
		}
		/* Only a queue's doorbell can have overwritten another's (recovery). */
		ctx->db_changes[t]++;
		work += vf_ring_apply_doorbell(ctx->fn, ring, v);
	}
	return work;
}

/* A dead context's page is the kernel's dummy page: count what is written to it. */
static void
vf_ctx_dead_page(struct vf_ctx *ctx)
{
	static const uint32_t slots[3] = { VF_DB_SQ, VF_DB_RQ, VF_DB_CQ };
	uint32_t i;

	if (ctx->db_page == NULL)
		return;
	for (i = 0; i < RTE_DIM(slots); i++) {
		if (vf_db_load(ctx->db_page, slots[i]) == 0)
			continue;
		vf_stats(ctx->fn)->doorbells_after_revoke++;
		memset(ctx->db_page + slots[i], 0, 8);
	}
}

static unsigned int
vf_ctx_serve(struct vf_engine *eng, struct vf_ctx *ctx)
{
	unsigned int work = vf_ctx_doorbells(ctx);
	struct vf_qp *qp;
	unsigned int n;
	uint32_t i;

	TAILQ_FOREACH(qp, &ctx->qps, link_qp) {
		if (qp->rss) {
			for (i = 0; i < (1u << qp->ind->log_size); i++)
				if (qp->ind->wq[i]->live)
					work += vf_ring_recover(ctx->fn, &qp->ind->wq[i]->ring,
								NULL,
								ctx->db_changes[VF_DB_TYPE_RQ],
								ctx->db_seen[VF_DB_TYPE_RQ],
								eng->now);
			continue;
		}
		work += vf_ring_recover(ctx->fn, &qp->ring, qp, ctx->db_changes[VF_DB_TYPE_SQ],
					ctx->db_seen[VF_DB_TYPE_SQ], eng->now);
		for (n = 0; n < VF_TX_BATCH && qp->ring.consumer != qp->ring.tail &&
		     !qp->ring.broken; n++)
			vf_sq_execute(eng, ctx, qp);
		work += n;
	}
	return work;
}

/*
 * Shared lock held. Retire the contexts of a dead instance (revoking their
 * doorbell pages) and post DEVICE_FATAL to them once it is due.
 */
static void
vf_engine_lifecycle(uint64_t now)
{
	struct vf_fn_shared *f;
	struct vf_ctx *ctx;
	uint32_t fn;

	TAILQ_FOREACH(ctx, &vf_ctxs, link) {
		if (!ctx->dead && !vf_ctx_instance_alive(ctx))
			ctx->dead = true;
		if (ctx->dead && !ctx->revoked)
			vf_ctx_kill(ctx);
		else if (ctx->dead)
			vf_ctx_dead_page(ctx);
	}
	for (fn = 0; fn < vf_conf.nb_fns; fn++) {
		f = &vf_sh->fn[fn];
		if (f->event_due_ns > now)
			continue;
		TAILQ_FOREACH(ctx, &vf_ctxs, link) {
			if (ctx->fn != fn || ctx->fatal_posted || !ctx->dead ||
			    ctx->instance > f->dead_instance)
				continue;
			ctx->fatal_posted = true;
			vf_ctx_post_event(ctx, IBV_EVENT_DEVICE_FATAL);
		}
		f->event_due_ns = VF_TIME_NEVER;
	}
}

static void
vf_engine_resolve(struct vf_engine *eng)
{
	struct vf_ctx *ctx;
	struct vf_qp *qp;

	memset(eng->rx_side, 0, sizeof(eng->rx_side));
	TAILQ_FOREACH(ctx, &vf_ctxs, link) {
		if (ctx->dead || ctx->rc || !ctx->owner)
			continue;
		TAILQ_FOREACH(qp, &ctx->qps, link_qp)
			if (qp->rss)
				eng->rx_side[ctx->fn][qp->port - 1] = qp;
	}
}

static unsigned int
vf_engine_pass(struct vf_engine *eng, uint64_t now, uint64_t *deadline)
{
	struct vf_ctx *ctx;
	unsigned int work = 0;

	eng->now = now;
	vf_engine_suspects = 0;
	vf_shared_lock();
	vf_advance(now);
	vf_engine_lifecycle(now);
	*deadline = vf_next_deadline();
	vf_shared_unlock();
	vf_engine_resolve(eng);
	TAILQ_FOREACH(ctx, &vf_ctxs, link) {
		if (!ctx->dead && !ctx->rc && ctx->owner && ctx->db_page != NULL)
			work += vf_ctx_serve(eng, ctx);
	}
	vf_rx_flush_all(eng);
	return work;
}

/* A queue pair became ready: wake the owner's engine, wherever it runs. */
void
vf_engine_kick(void)
{
	/* Sequentially consistent with the engine's dozing/wait (no kick is missed). */
	rte_atomic_fetch_add_explicit(&vf_sh->engine_kicks, 1, rte_memory_order_seq_cst);
	/* Not FUTEX_PRIVATE: the word is in memory every process maps. */
	if (rte_atomic_load_explicit(&vf_sh->engine_dozing, rte_memory_order_seq_cst) != 0)
		syscall(SYS_futex, &vf_sh->engine_kicks, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/*
 * Sleep per the idle policy; a kick that ends it (or came since @kicks was
 * read) restarts the back-off, *@kicks updated.
 */
static void
vf_engine_sleep(uint64_t *sleep_ns, uint64_t now, uint64_t deadline, uint32_t *kicks)
{
	uint64_t ns = *sleep_ns;
	struct timespec ts;
	uint32_t seen;

	if (deadline != VF_TIME_NEVER) {
		if (deadline <= now)
			return;
		ns = RTE_MIN(ns, deadline - now);
	}
	ts.tv_sec = 0;
	ts.tv_nsec = (long)ns;
	if (ns >= VF_KICK_SLEEP_NS)
		rte_atomic_store_explicit(&vf_sh->engine_dozing, 1, rte_memory_order_seq_cst);
	/* EAGAIN if the word moved since it was read: no kick is missed. */
	if (syscall(SYS_futex, &vf_sh->engine_kicks, FUTEX_WAIT, *kicks, &ts, NULL, 0) == 0 ||
	    errno != EAGAIN)
		rte_atomic_fetch_add_explicit(&vf_sh->engine_sleeps, 1, rte_memory_order_relaxed);
	rte_atomic_store_explicit(&vf_sh->engine_dozing, 0, rte_memory_order_relaxed);
	seen = rte_atomic_load_explicit(&vf_sh->engine_kicks, rte_memory_order_acquire);
	if (seen != *kicks) {
		*kicks = seen;
		*sleep_ns = VF_SLEEP_MIN_NS;
		return;
	}
	*sleep_ns = RTE_MIN(*sleep_ns * 2, VF_SLEEP_MAX_NS);
}

static void *
vf_engine_main(void *arg)
{
	struct vf_engine *eng = arg;
	uint64_t sleep_ns = VF_SLEEP_MIN_NS;
	uint64_t idle_since = vf_now_ns();
	uint32_t kicks = rte_atomic_load_explicit(&vf_sh->engine_kicks, rte_memory_order_acquire);
	uint64_t now, deadline;
	unsigned int work;

	/*
	 * Hardware does not wait for a CPU: when the engine wakes from an idle
	 * sleep it should not queue behind the application's pollers for a
	 * scheduler slice. Best effort (needs CAP_SYS_NICE).
	 */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), VF_ENGINE_NICE) != 0)
		VF_LOG(DEBUG, "engine runs at normal priority: %s", strerror(errno));
	VF_LOG(INFO, "engine started");
	while (!rte_atomic_load_explicit(&vf_engine_stop_req, rte_memory_order_acquire)) {
		pthread_mutex_lock(&vf_lock);
		now = vf_now_ns();
		work = vf_engine_pass(eng, now, &deadline);
		pthread_mutex_unlock(&vf_lock);

		while (rte_atomic_load_explicit(&vf_lock_waiters, rte_memory_order_relaxed) != 0)
			sched_yield();

		if (work > 0) {
			idle_since = now;
			sleep_ns = VF_SLEEP_MIN_NS;
			continue;
		}
		now = vf_now_ns();
		if (now - idle_since < VF_SPIN_NS) {
			rte_pause();
			continue;
		}
		/* A suspected overwritten doorbell is looked at again after its grace. */
		if (vf_engine_suspects > 0)
			deadline = RTE_MIN(deadline, now + VF_DB_GRACE_NS);
		vf_engine_sleep(&sleep_ns, now, deadline, &kicks);
	}
	VF_LOG(INFO, "engine stopped");
	return NULL;
}

/*
 * The engine is the NIC: it runs beside the application, not on its lcores.
 * Created from a thread EAL has pinned (the main lcore, during probe), it
 * would inherit that one CPU and take turns with the poller; it may run on
 * every online CPU instead (the kernel keeps it within the process's cpuset).
 */
static void
vf_engine_unpin(pthread_t thread)
{
	long i, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t all;
	int ret;

	CPU_ZERO(&all);
	for (i = 0; i < ncpu && i < CPU_SETSIZE; i++)
		CPU_SET((size_t)i, &all);
	ret = pthread_setaffinity_np(thread, sizeof(all), &all);
	if (ret != 0)
		VF_LOG(WARNING, "engine thread keeps its CPU affinity: %s", strerror(ret));
}

int
vf_engine_start(void)
{
	int ret = 0;

	pthread_mutex_lock(&vf_engine_ctl);
	if (vf_engine.running)
		goto out;
	vf_engine.scratch = aligned_alloc(64, RTE_ALIGN(VF_MAX_FRAME + 64, 64));
	vf_engine.rx_scratch = aligned_alloc(64, RTE_ALIGN(VF_MAX_FRAME + 64, 64));
	if (vf_engine.scratch == NULL || vf_engine.rx_scratch == NULL) {
		free(vf_engine.scratch);
		free(vf_engine.rx_scratch);
		ret = -ENOMEM;
		goto out;
	}
	rte_atomic_store_explicit(&vf_engine_stop_req, false, rte_memory_order_release);
	/*
	 * A plain thread, not an EAL control thread: the device does not depend
	 * on the state of the application's EAL (contract tests run without one).
	 */
	ret = pthread_create(&vf_engine.thread, NULL, vf_engine_main, &vf_engine);
	if (ret != 0) {
		ret = -ret;
		VF_LOG(ERR, "cannot start the engine thread: %s", strerror(-ret));
		free(vf_engine.scratch);
		free(vf_engine.rx_scratch);
		vf_engine.scratch = NULL;
		vf_engine.rx_scratch = NULL;
		goto out;
	}
	pthread_setname_np(vf_engine.thread, "mana-sim-eng");
	vf_engine_unpin(vf_engine.thread);
	vf_engine.running = true;
out:
	pthread_mutex_unlock(&vf_engine_ctl);
	return ret;
}

void
vf_engine_stop(void)
{
	pthread_mutex_lock(&vf_engine_ctl);
	if (vf_engine.running) {
		rte_atomic_store_explicit(&vf_engine_stop_req, true, rte_memory_order_release);
		pthread_join(vf_engine.thread, NULL);
		vf_engine.running = false;
		free(vf_engine.scratch);
		free(vf_engine.rx_scratch);
		vf_engine.scratch = NULL;
		vf_engine.rx_scratch = NULL;
	}
	pthread_mutex_unlock(&vf_engine_ctl);
}
