/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Device tests of the software MANA VF (libmana_sim.so), driven the way the
 * PMD drives a MANA function: through libibverbs and libmana only, on the
 * preloaded VF. A port is brought up as drivers/net/mana/mana_verbs.c and
 * mana_queue.c do (RAW device chosen by PCI_SLOT_NAME, PD, parent domain
 * carrying the port, ring allocators, Tx CQ -> RAW QP -> manadv_init_obj,
 * then Rx CQs, WQs, indirection table, RSS QP, manadv_init_obj for the ids).
 * WQEs, doorbells and CQEs are built and parsed with the driver's GDMA
 * definitions (mana_gdma.h); the device decodes them with its own code, so a
 * disagreement between the two shows up here.
 *
 * The fault and counter functions of sim/mana_sim.h are looked up with
 * dlsym(), so this binary links only libibverbs and libmana, like the PMD.
 *
 * Environment (tests/unit/meson.build sets it; the library reads MANA_SIM
 * before main()): LD_PRELOAD=libmana_sim.so and a MANA_SIM with the PCI
 * functions below, all with the netdev of port 1 down (up1=0), and the wire
 * T_FN_WIRE_A/1-T_FN_WIRE_B/1. Cases that need another MANA_SIM (the fault
 * schedule, realistic doorbells, rename=1, fork and exit) run in a child:
 * this binary re-executed with --child and its own instance; "secondary" is
 * a second process of this instance. EAL is initialised (--no-huge,
 * --no-pci, a --file-prefix of its own, removed at exit) for the telemetry
 * socket; T_VF_DEBUG=1 in the environment logs the VF at debug level.
 *
 * Every wait polls a condition against a deadline. One line per case;
 * the exit status is non-zero if any case fails.
 *
 * Usage: test_vf [case...]   (default: every case)
 */

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/netlink.h>

#include <infiniband/manadv.h>
#include <infiniband/verbs.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_io.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_tcp.h>
#include <rte_thash.h>
#include <rte_udp.h>

#include "mana_dpdk_compat.h"
#include "vf_harness.h"

/* The PCI functions of the instance (MANA_SIM fn=...), one per group of cases. */
#define T_FN_DATA	"7870:00:00.0"	/* data path */
#define T_FN_FAULTS	"7870:00:01.0"	/* reset, fail_open, event delay, remove */
#define VF_T_UEVENT_LISTENERS	64u	/* the VF's table (sim/vf/vf.h), not a kernel limit */
#define T_FN_WIRE_A	"7870:00:02.0"	/* wired to T_FN_WIRE_B, port 1 */
#define T_FN_WIRE_B	"7870:00:03.0"
#define T_FN_TEL	"7870:00:04.0"	/* telemetry */
#define T_FN_REVOKE	"7870:00:05.0"	/* doorbell revocation */
#define T_FN_API	"7870:00:06.0"	/* misuse */

/* vendor_err of error CQEs: the VF's own convention (sim/vf/vf.h VF_VERR_*). */
#define T_VERR_BAD_SGE		1u
#define T_VERR_SHORT_FRAME	2u
#define T_VERR_BAD_WQE		3u
#define T_VERR_BAD_L4_OFFSET	4u
#define T_VERR_BAD_FORMAT	5u

static bool
t_stats(const char *bdf, struct mana_sim_stats *st)
{
	int ret = t_get_stats(bdf, st);

	if (ret != 0)
		printf("    mana_sim_get_stats(%s): %d\n", bdf, ret);
	return ret == 0;
}

/* The counter @field of struct mana_sim_stats, for t_stats_wait(). */
#define T_STAT(field)	offsetof(struct mana_sim_stats, field)

/* Wait until the uint64_t counter at offset @off of the function's stats reaches @want. */
static bool
t_stats_wait(const char *bdf, size_t off, uint64_t want)
{
	uint64_t deadline = t_now_ms() + T_WAIT_MS;
	struct mana_sim_stats st;
	uint64_t v;

	for (;;) {
		if (!t_stats(bdf, &st))
			return false;
		memcpy(&v, (const uint8_t *)&st + off, sizeof(v));
		if (v >= want)
			return true;
		if (t_now_ms() > deadline) {
			printf("    counter at %" PRIu64 ", want %" PRIu64 "\n", v, want);
			return false;
		}
		t_poll_pause();
	}
}

/* Open the RAW device of @bdf, retrying while it is absent, until @timeout_ms. */
static struct ibv_context *
t_open_raw_wait(const char *bdf, unsigned int timeout_ms)
{
	uint64_t deadline = t_now_ms() + timeout_ms;
	struct ibv_context *ctx;

	for (;;) {
		ctx = t_open_raw(bdf);
		if (ctx != NULL || t_now_ms() > deadline)
			return ctx;
		usleep(1000);
	}
}

/* Whether a fresh device list has the RAW (manae_N) or RC (mana_N) device of @bdf; its name. */
static bool
t_dev_listed(const char *bdf, bool rc, char *name, size_t name_len)
{
	bool raw_found, rc_found;

	t_listed(bdf, &raw_found, &rc_found, rc ? NULL : name, rc ? name : NULL, name_len);
	return rc ? rc_found : raw_found;
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */
/* ------------------------------------------------------------------ */

/* Offset of the sequence number in a frame of @fl (t_frame), VLAN tag stripped. */
static uint32_t
t_seq_off(const struct t_flow *fl)
{
	uint8_t proto = fl->proto == 0 ? IPPROTO_UDP : fl->proto;

	return RTE_ETHER_HDR_LEN + (fl->v6 ? 40 : 20) +
	       (proto == IPPROTO_TCP ? 20 : proto == IPPROTO_UDP ? 8 : 0);
}

/* The receive queue the device must pick for @hash: table entry hash % n (mana_ib qp.c). */
static unsigned int
t_rss_queue(const struct t_port *p, uint32_t hash)
{
	return p->reta[(hash % 64) % p->reta_n];
}

/* ------------------------------------------------------------------ */
/* Data path                                                           */
/* ------------------------------------------------------------------ */

/* Loopback through RSS: every packet intact, once, on the predicted queue. */
static bool
test_loopback(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 4, .n_txq = 1, .rx_desc = 256, .tx_desc = 256,
		.rss = true, .hash_fields = T_ALL_FIELDS,
	};
	enum { N = 200 };
	static struct t_rx_pkt rx[N];
	static uint8_t frame[T_BUF_SIZE];
	static uint32_t tx_bu[N], cqe_bu[N];
	bool seen[N] = { false };
	struct mana_sim_stats st0, st;
	unsigned int i, cqes = 0, coalesced = 0;
	struct t_port *p = NULL;
	bool ok = false;

	CHECK(t_stats(T_FN_DATA, &st0), "stats");
	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	/* Queue 0 rings through the page manadv_init_obj reports, the others through cmd_fd. */
	CHECK(p->db_page != NULL, "no db_page");
	p->rxq[0].rq.db = (uint8_t *)p->db_page + GDMA_DB_OFFSET_RQ;
	t_rx_fill(p);
	for (i = 0; i < N; i++) {
		struct t_flow fl = t_udp4_flow(i);
		uint32_t len = t_frame(frame, &fl, 18 + (i * 37) % 1400, i);

		tx_bu[i] = t_tx_post(p, 0, frame, len, NULL, 0);
		if (i % 16 == 15)
			t_ring(&p->txq[0].sq);
	}
	t_ring(&p->txq[0].sq);

	/* Send completions in order, each naming its WQE. */
	CHECK(t_tx_wait(p, 0, N, CQE_TX_OKAY, cqe_bu), "send completions");
	for (i = 0; i < N; i++)
		CHECK(cqe_bu[i] == tx_bu[i], "completion %u names WQE %u, want %u", i, cqe_bu[i],
		      tx_bu[i]);

	CHECK(t_rx_collect(p, rx, N), "receive");
	for (i = 0; i < N; i++) {
		const struct t_rx_pkt *r = &rx[i];
		uint32_t seq = t_frame_seq(r->buf, T_UDP4_SEQ_OFF);
		struct t_flow fl;
		uint32_t len, hash;

		CHECK(seq < N && !seen[seq], "rx %u: seq %u duplicate or unknown", i, seq);
		seen[seq] = true;
		fl = t_udp4_flow(seq);
		len = t_frame(frame, &fl, 18 + (seq * 37) % 1400, seq);
		hash = t_softrss(&fl);
		CHECK(r->cqe_type == CQE_RX_OKAY || r->cqe_type == CQE_RX_COALESCED_4,
		      "seq %u: CQE type %u", seq, r->cqe_type);
		CHECK(r->len == len, "seq %u: length %u, want %u", seq, r->len, len);
		CHECK(memcmp(r->buf, frame, len) == 0, "seq %u: bytes differ", seq);
		CHECK(r->hash == hash, "seq %u: hash %#x, want %#x", seq, r->hash, hash);
		CHECK(r->queue == t_rss_queue(p, hash), "seq %u: on queue %u, want %u", seq,
		      r->queue, t_rss_queue(p, hash));
		CHECK(r->oob.hash_type == T_HASH_L4, "seq %u: hash type %#x, want %#x", seq,
		      r->oob.hash_type, T_HASH_L4);
		CHECK(r->oob.ip_csum_ok && !r->oob.ip_csum_bad && r->oob.udp_csum_ok &&
		      !r->oob.udp_csum_bad && !r->oob.tcp_csum_ok && !r->oob.tcp_csum_bad &&
		      !r->oob.vlan_tag_present, "seq %u: flags of the completion", seq);
		cqes += r->index == 0;
		coalesced += r->index == 0 && r->cqe_pkts > 1;
	}
	printf("    %u packets in %u receive CQEs (%u coalesced)\n", N, cqes, coalesced);
	CHECK(t_cqs_quiet(p), "extra completions");
	CHECK(t_stats(T_FN_DATA, &st), "stats");
	CHECK(st.tx_packets - st0.tx_packets == N && st.rx_packets - st0.rx_packets == N &&
	      st.tx_cqes - st0.tx_cqes == N && st.rx_cqes - st0.rx_cqes == cqes &&
	      st.rx_coalesced - st0.rx_coalesced == coalesced && st.tx_errors == st0.tx_errors &&
	      st.rx_drop_no_wqe == st0.rx_drop_no_wqe && st.rx_drop_no_rss == st0.rx_drop_no_rss &&
	      st.bad_lkey == st0.bad_lkey && st.bad_doorbell == st0.bad_doorbell,
	      "counters: tx %" PRIu64 " rx %" PRIu64 " tx_cqes %" PRIu64 " rx_cqes %" PRIu64
	      " errors %" PRIu64 " bad_db %" PRIu64, st.tx_packets - st0.tx_packets,
	      st.rx_packets - st0.rx_packets, st.tx_cqes - st0.tx_cqes, st.rx_cqes - st0.rx_cqes,
	      st.tx_errors - st0.tx_errors, st.bad_doorbell - st0.bad_doorbell);
	CHECK(st.open_contexts == st0.open_contexts + 1 && st.state == MANA_SIM_DEV_UP,
	      "open contexts %u, state %d", st.open_contexts, (int)st.state);
	ok = true;
out:
	t_port_close(p);
	return ok;
}

/* A 3-SGE send WQE whose SGL wraps the ring end, and a 30-SGE one. */
static bool
test_multiseg(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 1, .n_txq = 1, .rx_desc = 256, .tx_desc = 16,
		.tx_sge = 30, .rss = true, .hash_fields = T_ALL_FIELDS,
	};
	struct t_flow fl = t_udp4_flow(7);
	static uint8_t frame[T_BUF_SIZE];
	struct t_rx_pkt rx[16];
	struct gdma_sge sge[30];
	struct mana_tx_short_oob oob;
	uint32_t len, bu, off, i, n, filler_len;
	struct t_port *p = NULL;
	struct t_ring *sq;
	uint8_t *seg;
	bool ok = false;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	sq = &p->txq[0].sq;
	t_rx_fill(p);
	/* One-BU fillers until the next WQE starts in the last BU of the ring. */
	filler_len = t_frame(frame, &fl, 20, 0);
	while (((sq->head + 1) * GDMA_WQE_BU) % sq->size != 0) {
		for (n = 0; n < 16 && ((sq->head + 1) * GDMA_WQE_BU) % sq->size != 0; n++)
			t_tx_post(p, 0, frame, filler_len, NULL, 0);
		t_ring(sq);
		CHECK(t_tx_wait(p, 0, n, CQE_TX_OKAY, NULL), "fillers");
		CHECK(t_rx_collect(p, rx, n), "filler receive");
		t_rx_post(p, 0, n, T_BUF_SIZE, p->lkey);
	}

	len = t_frame(frame, &fl, 300, 4242);
	seg = t_tx_buf(p, 0, 100);
	memcpy(seg, frame, 14);
	memcpy(seg + 512, frame + 14, 28);
	memcpy(seg + 1024, frame + 42, len - 42);
	sge[0] = (struct gdma_sge){ (uintptr_t)seg, p->lkey, 14 };
	sge[1] = (struct gdma_sge){ (uintptr_t)seg + 512, p->lkey, 28 };
	sge[2] = (struct gdma_sge){ (uintptr_t)seg + 1024, p->lkey, len - 42 };
	t_tx_oob(p, 0, &oob);
	bu = t_post_wqe(sq, &oob, sizeof(oob), sge, 3);
	off = bu * GDMA_WQE_BU;
	CHECK(off + 8 + 8 + 3 * 16 > sq->size, "SGL does not wrap (offset %u)", off);
	t_ring(sq);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, NULL), "3-SGE send");
	CHECK(t_rx_collect(p, rx, 1), "3-SGE receive");
	CHECK(rx[0].len == len && memcmp(rx[0].buf, frame, len) == 0, "3-SGE frame differs");

	/* 30 SGEs: 14-byte header, 28 pieces of 11 bytes, the rest in another buffer. */
	len = t_frame(frame, &fl, 1000, 4343);
	seg = t_tx_buf(p, 0, 200);
	for (i = 0, off = 0; i < 30; i++) {
		uint8_t *at = i < 29 ? seg + i * 64 + (i % 5) : t_tx_buf(p, 0, 300);
		uint32_t k = i == 0 ? 14 : i < 29 ? 11 : len - off;

		memcpy(at, frame + off, k);
		sge[i] = (struct gdma_sge){ (uintptr_t)at, p->lkey, k };
		off += k;
	}
	t_post_wqe(sq, &oob, sizeof(oob), sge, 30);
	t_ring(sq);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, NULL), "30-SGE send");
	CHECK(t_rx_collect(p, rx, 1), "30-SGE receive");
	CHECK(rx[0].len == len && memcmp(rx[0].buf, frame, len) == 0, "30-SGE frame differs");
	CHECK(rx[0].oob.ip_csum_ok && rx[0].oob.udp_csum_ok, "30-SGE checksums");
	ok = true;
out:
	t_port_close(p);
	return ok;
}

/*
 * Several threads ring different send queues of one context, one WQE per
 * doorbell: all queues share the context's one doorbell page, so rings
 * overwrite each other; the device must still lose none.
 */
#define T_DB_THREADS	4
#define T_DB_PER_THREAD	5000u
#define T_DB_WINDOW	32u

struct t_db_worker {
	struct t_port *p;
	unsigned int q;
	uint8_t *frame;
	uint32_t len;
	unsigned int completed;
	unsigned int errors;
	bool timeout;
};

static void *
t_db_worker_main(void *arg)
{
	struct t_db_worker *w = arg;
	struct t_port *p = w->p;
	struct gdma_sge sge = { (uintptr_t)w->frame, p->lkey, w->len };
	uint64_t deadline = t_now_ms() + 20000;
	struct mana_tx_short_oob oob;
	struct gdma_cqe cqe[T_DB_WINDOW];
	unsigned int posted = 0;
	int n, i;

	t_tx_oob(p, w->q, &oob);
	while (w->completed < T_DB_PER_THREAD) {
		if (posted < T_DB_PER_THREAD && posted - w->completed < T_DB_WINDOW) {
			t_post_wqe(&p->txq[w->q].sq, &oob, sizeof(oob), &sge, 1);
			t_ring(&p->txq[w->q].sq);
			posted++;
		}
		n = t_poll_cq(&p->txq[w->q].cq, cqe, T_DB_WINDOW);
		if (n < 0) {
			w->errors++;
			return NULL;
		}
		for (i = 0; i < n; i++) {
			struct mana_tx_comp_oob c;

			memcpy(&c, cqe[i].client_data, sizeof(c));
			if (c.hdr.cqe_type != CQE_TX_OKAY)
				w->errors++;
		}
		w->completed += n;
		if (t_now_ms() > deadline) {
			w->timeout = true;
			return NULL;
		}
		if (n == 0 && posted - w->completed >= T_DB_WINDOW)
			sched_yield();
	}
	return NULL;
}

static bool
test_no_lost_doorbells(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 0, .n_txq = T_DB_THREADS, .tx_desc = 64,
	};
	struct t_db_worker w[T_DB_THREADS];
	pthread_t tid[T_DB_THREADS];
	struct t_flow fl = t_udp4_flow(1);
	struct mana_sim_stats st0, st;
	unsigned int i, started = 0;
	struct t_port *p = NULL;
	uint64_t t0;
	bool ok = false;

	CHECK(t_stats(T_FN_DATA, &st0), "stats");
	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	for (i = 1; i < T_DB_THREADS; i++)
		CHECK(p->txq[i].sq.db == p->txq[0].sq.db, "send queues on different pages");
	memset(w, 0, sizeof(w));
	t0 = t_now_ns();
	for (i = 0; i < T_DB_THREADS; i++) {
		w[i].p = p;
		w[i].q = i;
		w[i].frame = t_tx_buf(p, i, 0);
		w[i].len = t_frame(w[i].frame, &fl, 22, i);
		if (pthread_create(&tid[i], NULL, t_db_worker_main, &w[i]) != 0)
			break;
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	CHECK(started == T_DB_THREADS, "threads");
	for (i = 0; i < T_DB_THREADS; i++)
		CHECK(w[i].completed == T_DB_PER_THREAD && w[i].errors == 0 && !w[i].timeout,
		      "SQ %u: %u of %u completed, %u errors%s", i, w[i].completed,
		      T_DB_PER_THREAD, w[i].errors, w[i].timeout ? ", timed out" : "");
	CHECK(t_cqs_quiet(p), "extra completions");
	CHECK(t_stats(T_FN_DATA, &st), "stats");
	printf("    %u WQEs, one doorbell each, %u threads, one page: %.1f ms, %" PRIu64
	       " overwritten rings recovered\n", T_DB_THREADS * T_DB_PER_THREAD, T_DB_THREADS,
	       (t_now_ns() - t0) / 1e6, st.doorbells_recovered - st0.doorbells_recovered);
	CHECK(st.tx_packets - st0.tx_packets == T_DB_THREADS * T_DB_PER_THREAD &&
	      st.tx_errors == st0.tx_errors && st.bad_doorbell == st0.bad_doorbell &&
	      st.rx_drop_no_rss - st0.rx_drop_no_rss == st.tx_packets - st0.tx_packets,
	      "tx %" PRIu64 " errors %" PRIu64 " bad_db %" PRIu64 " no_rss %" PRIu64,
	      st.tx_packets - st0.tx_packets, st.tx_errors - st0.tx_errors,
	      st.bad_doorbell - st0.bad_doorbell, st.rx_drop_no_rss - st0.rx_drop_no_rss);
	ok = true;
out:
	t_port_close(p);
	return ok;
}

/*
 * An overwritten SQ doorbell is recovered only for WQEs the driver has
 * finished. SQ 0 holds a WQE as a driver leaves it when it is descheduled
 * between two stores of its OOB (CQ number written, SQ frame and vport
 * offset not yet: the PMD writes dword 0, then dword 1); SQ 2 holds a
 * finished WQE; neither is announced, and SQ 1 rings over both. SQ 2's is
 * taken once its grace is over; SQ 0's must wait, however long, until its
 * driver has finished it and rung (hardware reads no WQE before its
 * doorbell). Taken early it fails as an invalid OOB: the packet is lost.
 */
static bool
test_recovery_waits_for_writer(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 0, .n_txq = 3, .tx_desc = 64,
	};
	struct t_flow fl = t_udp4_flow(7);
	struct mana_sim_stats st0, st;
	struct mana_tx_short_oob oob;
	struct gdma_cqe cqe;
	static uint8_t frame[256];
	uint32_t len, half, done, want, oob1;
	struct t_port *p = NULL;
	unsigned int q;
	bool ok = false;
	int n;

	CHECK(t_stats(T_FN_DATA, &st0), "stats");
	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	len = t_frame(frame, &fl, 40, 1);
	/* Each queue served once: the engine has seen it with nothing unannounced. */
	for (q = 0; q < 3; q++) {
		t_tx_post(p, q, frame, len, NULL, 0);
		t_ring(&p->txq[q].sq);
		CHECK(t_tx_wait(p, q, 1, CQE_TX_OKAY, NULL), "SQ %u: first send", q);
	}

	t_tx_oob(p, 0, &oob);
	memcpy(&oob1, (const uint8_t *)&oob + 4, sizeof(oob1));
	memset((uint8_t *)&oob + 4, 0, 4);	/* dword 1 not written yet */
	half = t_tx_post(p, 0, frame, len, &oob, sizeof(oob));
	want = t_tx_post(p, 2, frame, len, NULL, 0);
	t_tx_post(p, 1, frame, len, NULL, 0);
	t_ring(&p->txq[1].sq);
	CHECK(t_tx_wait(p, 1, 1, CQE_TX_OKAY, NULL), "SQ 1: its send");
	/* Proof that the engine took up what SQ 1's ring overwrote. */
	CHECK(t_tx_wait(p, 2, 1, CQE_TX_OKAY, &done) && done == want,
	      "SQ 2: its finished WQE recovered");
	CHECK(t_cqs_quiet(p), "SQ 0: a completion for the WQE its driver is still writing");

	/* The driver resumes: dword 1, then its doorbell. */
	rte_write32_relaxed(oob1, p->txq[0].sq.buf + half * GDMA_WQE_BU + 12);
	t_ring(&p->txq[0].sq);
	done = UINT32_MAX;
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, &done) && done == half,
	      "SQ 0: its WQE (%u) completed once announced (%u)", half, done);
	n = t_poll_cq(&p->txq[0].cq, &cqe, 1);
	CHECK(n == 0, "SQ 0: %d more completions", n);
	CHECK(t_stats(T_FN_DATA, &st), "stats");
	CHECK(st.tx_errors == st0.tx_errors && st.tx_packets - st0.tx_packets == 6 &&
	      st.doorbells_recovered > st0.doorbells_recovered,
	      "tx_errors %" PRIu64 " tx_packets %" PRIu64 " doorbells_recovered %" PRIu64,
	      st.tx_errors - st0.tx_errors, st.tx_packets - st0.tx_packets,
	      st.doorbells_recovered - st0.doorbells_recovered);
	ok = true;
out:
	t_port_close(p);
	return ok;
}

/* Send one frame per flow, check queue, hash and hash type of each; refill. */
static bool
t_rss_round(struct t_port *p, const struct t_flow *flows, unsigned int n,
	    unsigned int *per_queue, const char *what)
{
	static struct t_rx_pkt rx[128];
	static uint8_t frame[T_BUF_SIZE];
	uint32_t off = t_seq_off(&flows[0]);
	bool seen[128] = { false };
	unsigned int i;

	for (i = 0; i < n; i++)
		t_tx_post(p, 0, frame, t_frame(frame, &flows[i], 40, i), NULL, 0);
	t_ring(&p->txq[0].sq);
	if (!t_tx_wait(p, 0, n, CQE_TX_OKAY, NULL) || !t_rx_collect(p, rx, n)) {
		printf("    %s: traffic\n", what);
		return false;
	}
	for (i = 0; i < n; i++) {
		uint32_t seq = t_frame_seq(rx[i].buf, off);
		uint32_t hash, type;

		if (seq >= n || seen[seq]) {
			printf("    %s: bad seq %u\n", what, seq);
			return false;
		}
		seen[seq] = true;
		hash = t_softrss(&flows[seq]);
		type = t_flow_l4(&flows[seq]) ? T_HASH_L4 : T_HASH_L3;
		if (rx[i].hash != hash || rx[i].queue != t_rss_queue(p, hash) ||
		    rx[i].oob.hash_type != type) {
			printf("    %s flow %u: queue %u hash %#x type %#x, want %u %#x %#x\n",
			       what, seq, rx[i].queue, rx[i].hash, rx[i].oob.hash_type,
			       t_rss_queue(p, hash), hash, type);
			return false;
		}
		per_queue[rx[i].queue]++;
	}
	t_rx_fill(p);
	return true;
}

/* One port with @n receive queues: RSS as rte_softrss() predicts, whatever the mask. */
static bool
t_rss_spread(unsigned int n, uint64_t hash_fields, bool reversed)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = n, .n_txq = 1, .rx_desc = 128, .tx_desc = 128,
		.rss = true, .hash_fields = hash_fields, .reta_reversed = reversed,
	};
	static struct t_flow flows[64];
	unsigned int per_queue[T_MAX_Q] = { 0 };
	static uint8_t frame[64];
	struct t_rx_pkt rx;
	struct t_port *p = NULL;
	unsigned int i, q;
	bool ok = false;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port with %u queues", n);
	t_rx_fill(p);
	for (i = 0; i < 64; i++)
		flows[i] = t_udp4_flow(i);
	CHECK(t_rss_round(p, flows, 64, per_queue, "UDP/IPv4"), "UDP/IPv4");
	for (i = 0; i < 32; i++)
		flows[i].proto = IPPROTO_TCP;
	CHECK(t_rss_round(p, flows, 32, per_queue, "TCP/IPv4"), "TCP/IPv4");
	/* Not TCP or UDP: the L3 2-tuple; a first fragment too. */
	for (i = 0; i < 16; i++)
		flows[i].proto = 47;
	CHECK(t_rss_round(p, flows, 16, per_queue, "GRE/IPv4"), "GRE/IPv4");
	for (i = 0; i < 16; i++) {
		flows[i] = t_udp4_flow(100 + i);
		flows[i].frag = true;
	}
	CHECK(t_rss_round(p, flows, 16, per_queue, "UDP/IPv4 fragment"), "fragments");
	for (i = 0; i < 32; i++) {
		memset(&flows[i], 0, sizeof(flows[i]));
		flows[i].v6 = true;
		flows[i].src6[0] = 0x20;
		flows[i].src6[1] = 0x01;
		flows[i].src6[15] = (uint8_t)i;
		flows[i].src6[9] = (uint8_t)(i * 3);
		flows[i].dst6[0] = 0xfd;
		flows[i].dst6[15] = 1;
		flows[i].sport = (uint16_t)(5000 + i);
		flows[i].dport = 53;
	}
	CHECK(t_rss_round(p, flows, 32, per_queue, "UDP/IPv6"), "UDP/IPv6");
	for (i = 0; i < 16; i++)
		flows[i].proto = IPPROTO_TCP;
	CHECK(t_rss_round(p, flows, 16, per_queue, "TCP/IPv6"), "TCP/IPv6");
	for (i = 0; i < 16; i++)
		flows[i].proto = IPPROTO_ICMPV6;
	CHECK(t_rss_round(p, flows, 16, per_queue, "ICMPv6"), "ICMPv6");

	/* A non-IP frame: hash 0, no hash type, the queue of table entry 0. */
	memset(frame, 0, sizeof(frame));
	frame[12] = 0x88;
	frame[13] = 0xb5;
	t_tx_post(p, 0, frame, sizeof(frame), NULL, 0);
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, NULL), "non-IP send");
	CHECK(t_rx_collect(p, &rx, 1), "non-IP receive");
	CHECK(rx.queue == p->reta[0] && rx.hash == 0 && rx.oob.hash_type == 0 &&
	      !rx.oob.ip_csum_ok && !rx.oob.ip_csum_bad,
	      "non-IP: queue %u hash %#x type %#x", rx.queue, rx.hash, rx.oob.hash_type);
	printf("    %u queue(s), hash fields %#" PRIx64 "%s:", n, hash_fields,
	       reversed ? ", reversed table" : "");
	for (q = 0; q < n; q++)
		printf(" %u", per_queue[q]);
	printf("\n");
	for (q = 0; q < n; q++)
		CHECK(per_queue[q] > 0, "queue %u of %u got nothing", q, n);
	ok = true;
out:
	t_port_close(p);
	return ok;
}

/* RSS over 1, 2, 4 and 8 queues; the kernel ignores rx_hash_fields_mask (mana_ib qp.c). */
static bool
test_rss_spread(void)
{
	bool ok = false;

	CHECK(t_rss_spread(1, T_ALL_FIELDS, false), "1 queue");
	CHECK(t_rss_spread(2, IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4, false), "2 queues");
	CHECK(t_rss_spread(4, 0, true), "4 queues");
	CHECK(t_rss_spread(8, IBV_RX_HASH_SRC_IPV6 | IBV_RX_HASH_DST_IPV6, true), "8 queues");
	ok = true;
out:
	return ok;
}

/* Post one WQE (@n_sge SGEs) with @oob and header flags set by @hdr_bits, ring, wait. */
static bool
t_tx_expect(struct t_port *p, const void *oob, uint32_t oob_len, const struct gdma_sge *sge,
	    uint32_t n_sge, uint32_t hdr_bits, uint32_t type, uint32_t verr, const char *what)
{
	uint64_t deadline = t_now_ms() + T_WAIT_MS;
	struct t_ring *sq = &p->txq[0].sq;
	struct mana_tx_comp_oob tx;
	struct gdma_cqe cqe;
	uint32_t bu, hdr[2];
	int n;

	bu = t_post_wqe(sq, oob, oob_len, sge, n_sge);
	memcpy(hdr, sq->buf + bu * GDMA_WQE_BU, sizeof(hdr));
	hdr[1] |= hdr_bits;
	memcpy(sq->buf + bu * GDMA_WQE_BU, hdr, sizeof(hdr));
	t_ring(sq);
	while ((n = t_poll_cq(&p->txq[0].cq, &cqe, 1)) == 0 && t_now_ms() < deadline)
		t_poll_pause();
	if (n != 1) {
		printf("    %s: no completion\n", what);
		return false;
	}
	memcpy(&tx, cqe.client_data, sizeof(tx));
	if (tx.hdr.cqe_type != type || tx.hdr.vendor_err != verr || tx.tx_wqe_offset != bu) {
		printf("    %s: type %u vendor_err %u WQE %u, want %u %u %u\n", what,
		       tx.hdr.cqe_type, tx.hdr.vendor_err, tx.tx_wqe_offset, type, verr, bu);
		return false;
	}
	return true;
}

/* Bad keys, SGEs outside their MR, bad OOBs and WQEs, bad doorbells. */
static bool
test_errors(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 1, .n_txq = 1, .rx_desc = 64, .tx_desc = 64,
		.tx_sge = 2, .rss = true, .hash_fields = T_ALL_FIELDS,
	};
	struct t_flow fl = t_udp4_flow(3);
	struct mana_tx_short_oob oob, oob_ok;
	struct mana_sim_stats st0, st;
	static uint8_t frame[256];
	struct gdma_sge sge[3];
	struct t_rx_pkt rx;
	struct t_port *p = NULL;
	struct ibv_pd *pd_other = NULL;
	struct ibv_mr *mr_other = NULL, *mr_dead;
	uint32_t len, i, tx_err = 0, bad_key = 0, dead_lkey;
	uint8_t *buf;
	bool ok = false;
	static const struct {
		const char *what;
		int kind;
		uint32_t type;
		uint32_t verr;
	} cases[] = {
		{ "unknown key", 0, CQE_TX_HDR_PROCESSING_ERROR, T_VERR_BAD_SGE },
		{ "past the MR end", 1, CQE_TX_HDR_PROCESSING_ERROR, T_VERR_BAD_SGE },
		{ "before the MR", 2, CQE_TX_HDR_PROCESSING_ERROR, T_VERR_BAD_SGE },
		{ "wrong VCQ", 3, CQE_TX_INVALID_OOB, 0 },
		{ "wrong VSQ frame", 4, CQE_TX_INVALID_OOB, 0 },
		{ "wrong vport", 5, CQE_TX_INVALID_OOB, 0 },
		{ "short frame", 6, CQE_TX_HDR_PROCESSING_ERROR, T_VERR_SHORT_FRAME },
		{ "empty SGL", 7, CQE_TX_HDR_PROCESSING_ERROR, T_VERR_SHORT_FRAME },
		{ "more SGEs than max_send_sge", 8, CQE_TX_HDR_PROCESSING_ERROR, T_VERR_BAD_WQE },
		{ "SGL direct", 9, CQE_TX_HDR_PROCESSING_ERROR, T_VERR_BAD_WQE },
		{ "client OOB in SGL", 10, CQE_TX_HDR_PROCESSING_ERROR, T_VERR_BAD_WQE },
		{ "packet format 2", 11, CQE_TX_INVALID_OOB, T_VERR_BAD_FORMAT },
		{ "long format in 8 bytes", 12, CQE_TX_INVALID_OOB, T_VERR_BAD_FORMAT },
		{ "frame above 9216 bytes", 13, CQE_TX_MTU_DROP, 0 },
		{ "key of another PD", 14, CQE_TX_HDR_PROCESSING_ERROR, T_VERR_BAD_SGE },
		{ "key of a deregistered MR", 15, CQE_TX_HDR_PROCESSING_ERROR, T_VERR_BAD_SGE },
	};

	CHECK(t_stats(T_FN_DATA, &st0), "stats");
	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	/* The same memory registered on another PD, and a key that is gone. */
	pd_other = ibv_alloc_pd(p->ctx);
	CHECK(pd_other != NULL, "PD");
	mr_other = ibv_reg_mr(pd_other, p->pool, p->pool_size, IBV_ACCESS_LOCAL_WRITE);
	mr_dead = ibv_reg_mr(p->pd, p->pool, p->pool_size, IBV_ACCESS_LOCAL_WRITE);
	CHECK(mr_other != NULL && mr_dead != NULL, "MRs");
	dead_lkey = mr_dead->lkey;
	CHECK(ibv_dereg_mr(mr_dead) == 0, "dereg");
	len = t_frame(frame, &fl, 30, 1);
	buf = t_tx_buf(p, 0, 0);
	memcpy(buf, frame, len);
	t_tx_oob(p, 0, &oob_ok);
	for (i = 0; i < RTE_DIM(cases); i++) {
		uint32_t n_sge = 1, bits = 0;

		sge[0] = (struct gdma_sge){ (uintptr_t)buf, p->lkey, len };
		oob = oob_ok;
		switch (cases[i].kind) {
		case 0:
			sge[0].mem_key = p->lkey ^ 0x100000;
			bad_key++;
			break;
		case 1:
			sge[0].address = (uintptr_t)p->pool + p->pool_size - 10;
			bad_key++;
			break;
		case 2:
			sge[0].address = (uintptr_t)p->pool - 16;
			bad_key++;
			break;
		case 3:
			oob.vcq_num = p->rxq[0].cq.id;
			break;
		case 4:
			oob.vsq_frame ^= 1;
			break;
		case 5:
			oob.vport_offset += 1;
			break;
		case 6:
			sge[0].size = 10;
			break;
		case 7:
			n_sge = 0;
			break;
		case 8:
			sge[1] = sge[0];
			sge[2] = sge[0];
			sge[0].size = 14;
			sge[1].size = 0;
			sge[2].address += 14;
			sge[2].size = len - 14;
			n_sge = 3;
			break;
		case 9:
			bits = 1u << 31;	/* sgl_direct */
			break;
		case 10:
			bits = 1u << 11;	/* client_oob_in_sgl */
			break;
		case 11:
			oob.packet_format = 2;
			break;
		case 12:
			oob.packet_format = MANA_TX_LONG_PKT_FMT;
			break;
		case 13:
			sge[0].size = 4700;
			sge[1] = sge[0];
			sge[1].address += 4700;
			n_sge = 2;
			break;
		case 14:
			sge[0].mem_key = mr_other->lkey;
			bad_key++;
			break;
		case 15:
			sge[0].mem_key = dead_lkey;
			bad_key++;
			break;
		}
		tx_err++;
		CHECK(t_tx_expect(p, &oob, sizeof(oob), sge, n_sge, bits, cases[i].type,
				  cases[i].verr, cases[i].what), "%s", cases[i].what);
	}
	/* The queue still works; a receive WQE with a bad key fails alone. */
	t_rx_post(p, 0, 1, T_BUF_SIZE, p->lkey ^ 0x100000);
	bad_key++;
	t_rx_post(p, 0, 1, T_BUF_SIZE, p->lkey);
	t_tx_post(p, 0, frame, len, NULL, 0);
	t_tx_post(p, 0, frame, len, NULL, 0);
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, 2, CQE_TX_OKAY, NULL), "good sends after errors");
	CHECK(t_rx_collect(p, &rx, 1), "bad receive key");
	CHECK(rx.cqe_type == CQE_RX_TRUNCATED && rx.oob.hdr.vendor_err == T_VERR_BAD_SGE,
	      "bad receive key: type %u vendor_err %u", rx.cqe_type, rx.oob.hdr.vendor_err);
	CHECK(t_rx_collect(p, &rx, 1), "receive after error");
	CHECK(rx.cqe_type == CQE_RX_OKAY && memcmp(rx.buf, frame, len) == 0,
	      "receive after error: type %u", rx.cqe_type);

	/* Doorbells: wrong id, tail beyond the ring, wrong slot; then a good one. */
	t_rx_post(p, 0, 1, T_BUF_SIZE, p->lkey);
	t_tx_post(p, 0, frame, len, NULL, 0);
	rte_write64(gdma_db_value(p->txq[0].sq.id + 1, p->txq[0].sq.head * GDMA_WQE_BU, 0),
		    p->txq[0].sq.db);
	CHECK(t_stats_wait(T_FN_DATA, T_STAT(bad_doorbell), st0.bad_doorbell + 1), "wrong id");
	/*
	 * Beyond the ring even if the engine took the WQE posted above while
	 * the slot named another queue (doorbell recovery, after 100 us).
	 */
	rte_write64(gdma_db_value(p->txq[0].sq.id, p->txq[0].sq.head * GDMA_WQE_BU +
				  p->txq[0].sq.size + GDMA_WQE_BU, 0),
		    p->txq[0].sq.db);
	CHECK(t_stats_wait(T_FN_DATA, T_STAT(bad_doorbell), st0.bad_doorbell + 2), "bad tail");
	rte_write64(gdma_db_value(p->txq[0].sq.id, p->txq[0].sq.head * GDMA_WQE_BU, 0),
		    p->db_map + GDMA_DB_OFFSET_RQ);
	CHECK(t_stats_wait(T_FN_DATA, T_STAT(bad_doorbell), st0.bad_doorbell + 3), "wrong slot");
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, NULL), "good doorbell after bad ones");
	CHECK(t_rx_collect(p, &rx, 1) && rx.cqe_type == CQE_RX_OKAY, "receive");
	CHECK(t_cqs_quiet(p), "a WQE completed twice");

	CHECK(t_stats(T_FN_DATA, &st), "stats");
	CHECK(st.bad_lkey - st0.bad_lkey == bad_key && st.tx_errors - st0.tx_errors == tx_err &&
	      st.bad_doorbell - st0.bad_doorbell == 3,
	      "bad_lkey %" PRIu64 " (want %u) tx_errors %" PRIu64 " (want %u) bad_doorbell %"
	      PRIu64, st.bad_lkey - st0.bad_lkey, bad_key, st.tx_errors - st0.tx_errors, tx_err,
	      st.bad_doorbell - st0.bad_doorbell);
	ok = true;
out:
	if (mr_other != NULL)
		ibv_dereg_mr(mr_other);
	if (pd_other != NULL)
		ibv_dealloc_pd(pd_other);
	t_port_close(p);
	return ok;
}

/*
 * Receive without a posted WQE, into a too small buffer, into a WQE whose
 * inline OOB holds stale bytes (DPDK never writes it, rx.c), and without an
 * RSS QP.
 */
static bool
test_rx_drops(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 1, .n_txq = 1, .rx_desc = 64, .tx_desc = 64,
		.rss = true, .hash_fields = T_ALL_FIELDS,
	};
	static const uint8_t stale[GDMA_INLINE_OOB_SMALL] = {
		0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
	};
	struct gdma_sge sge;
	struct t_flow fl = t_udp4_flow(9);
	struct mana_sim_stats st0, st;
	static uint8_t frame[256];
	struct t_rx_pkt rx;
	struct t_port *p = NULL;
	uint32_t len;
	bool ok = false;

	CHECK(t_stats(T_FN_DATA, &st0), "stats");
	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	len = t_frame(frame, &fl, 100, 1);
	t_tx_post(p, 0, frame, len, NULL, 0);
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, NULL), "send");
	CHECK(t_stats_wait(T_FN_DATA, T_STAT(rx_drop_no_wqe), st0.rx_drop_no_wqe + 1),
	      "rx_drop_no_wqe");

	t_rx_post(p, 0, 1, 32, p->lkey);
	t_tx_post(p, 0, frame, len, NULL, 0);
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, NULL), "send");
	CHECK(t_rx_collect(p, &rx, 1), "truncated");
	CHECK(rx.cqe_type == CQE_RX_TRUNCATED, "type %u", rx.cqe_type);

	/* DPDK never writes the 8-byte inline OOB of its receive WQEs: stale bytes. */
	sge.address = (uintptr_t)t_rx_buf(p, 0, p->rxq[0].posted);
	sge.mem_key = p->lkey;
	sge.size = T_BUF_SIZE;
	p->rxq[0].bu[p->rxq[0].posted++ % T_SLOTS] =
		t_post_wqe(&p->rxq[0].rq, stale, sizeof(stale), &sge, 1);
	t_ring(&p->rxq[0].rq);
	t_tx_post(p, 0, frame, len, NULL, 0);
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, NULL), "send");
	CHECK(t_rx_collect(p, &rx, 1), "receive into a WQE with a stale inline OOB");
	CHECK(rx.cqe_type == CQE_RX_OKAY && rx.len == len && memcmp(rx.buf, frame, len) == 0,
	      "stale inline OOB: type %u length %u", rx.cqe_type, rx.len);

	CHECK(ibv_destroy_qp(p->rss) == 0, "destroy the RSS QP");
	p->rss = NULL;
	t_tx_post(p, 0, frame, len, NULL, 0);
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, NULL), "send");
	CHECK(t_stats_wait(T_FN_DATA, T_STAT(rx_drop_no_rss), st0.rx_drop_no_rss + 1),
	      "rx_drop_no_rss");
	CHECK(t_stats(T_FN_DATA, &st), "stats");
	CHECK(st.rx_truncated - st0.rx_truncated == 1 &&
	      st.rx_drop_no_wqe - st0.rx_drop_no_wqe == 1 && st.rx_packets == st0.rx_packets + 1,
	      "truncated %" PRIu64 " no_wqe %" PRIu64 " rx %" PRIu64,
	      st.rx_truncated - st0.rx_truncated, st.rx_drop_no_wqe - st0.rx_drop_no_wqe,
	      st.rx_packets - st0.rx_packets);
	ok = true;
out:
	t_port_close(p);
	return ok;
}

/*
 * Rx CQE coalescing (mana_ib enables it, qp.c cqe_coalescing_enable): a
 * burst of one flow completes in CQEs of type RX_COALESCED_4, up to four
 * packets each, every packet in the next WQE, in order (DPDK rx.c).
 */
static bool
test_coalescing(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 1, .n_txq = 1, .rx_desc = 64, .tx_desc = 64,
		.rss = true, .hash_fields = T_ALL_FIELDS,
	};
	enum { N = 10 };
	struct t_flow fl = t_udp4_flow(21), fl2;
	struct mana_sim_stats st0, st;
	static uint8_t frame[T_BUF_SIZE];
	struct t_rx_pkt rx[N];
	unsigned int i, cqes = 0, multi = 0;
	uint32_t len[N];
	struct t_port *p = NULL;
	bool ok = false;

	CHECK(t_stats(T_FN_DATA, &st0), "stats");
	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	t_rx_fill(p);
	for (i = 0; i < N; i++) {
		len[i] = t_frame(frame, &fl, 60 + i * 17, i);
		t_tx_post(p, 0, frame, len[i], NULL, 0);
	}
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, N, CQE_TX_OKAY, NULL), "send");
	CHECK(t_rx_collect(p, rx, N), "receive");
	for (i = 0; i < N; i++) {
		CHECK(t_frame_seq(rx[i].buf, T_UDP4_SEQ_OFF) == i,
		      "packet %u in WQE %u: not in order", t_frame_seq(rx[i].buf, T_UDP4_SEQ_OFF),
		      i);
		CHECK(rx[i].len == len[i] && rx[i].hash == t_softrss(&fl),
		      "packet %u: length %u hash %#x", i, rx[i].len, rx[i].hash);
		CHECK(rx[i].cqe_pkts <= MANA_RX_PKTS_PER_CQE &&
		      (rx[i].cqe_pkts == 1 || rx[i].cqe_type == CQE_RX_COALESCED_4),
		      "packet %u: CQE type %u with %u packets", i, rx[i].cqe_type,
		      rx[i].cqe_pkts);
		cqes += rx[i].index == 0;
		multi += rx[i].index == 0 && rx[i].cqe_pkts > 1;
	}
	printf("    %u packets of one flow in %u CQEs (%u coalesced)\n", N, cqes, multi);
	CHECK(multi > 0, "no CQE completed more than one packet");

	/* Packets of different flows and classes in one burst: still in WQE order. */
	for (i = 0; i < N; i++) {
		fl2 = t_udp4_flow(i % 3);
		fl2.proto = i % 2 != 0 ? IPPROTO_TCP : IPPROTO_UDP;
		len[i] = t_frame(frame, &fl2, 40, i);
		t_tx_post(p, 0, frame, len[i], NULL, 0);
	}
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, N, CQE_TX_OKAY, NULL), "send");
	CHECK(t_rx_collect(p, rx, N), "receive");
	for (i = 0; i < N; i++) {
		fl2 = t_udp4_flow(i % 3);
		fl2.proto = i % 2 != 0 ? IPPROTO_TCP : IPPROTO_UDP;
		CHECK(t_frame_seq(rx[i].buf, t_seq_off(&fl2)) == i && rx[i].len == len[i] &&
		      rx[i].hash == t_softrss(&fl2) &&
		      (fl2.proto == IPPROTO_TCP ? rx[i].oob.tcp_csum_ok : rx[i].oob.udp_csum_ok),
		      "mixed burst, packet %u: length %u hash %#x", i, rx[i].len, rx[i].hash);
		cqes += rx[i].index == 0;
		multi += rx[i].index == 0 && rx[i].cqe_pkts > 1;
	}
	CHECK(t_cqs_quiet(p), "extra completions");
	CHECK(t_stats(T_FN_DATA, &st), "stats");
	CHECK(st.rx_cqes - st0.rx_cqes == cqes && st.rx_coalesced - st0.rx_coalesced == multi,
	      "rx_cqes %" PRIu64 " (want %u) rx_coalesced %" PRIu64 " (want %u)",
	      st.rx_cqes - st0.rx_cqes, cqes, st.rx_coalesced - st0.rx_coalesced, multi);
	ok = true;
out:
	t_port_close(p);
	return ok;
}

/*
 * VLAN: the hardware strips a received tag into the completion (12-bit id,
 * vlan_tag_present; DPDK rx.c) and inserts one on send from the long OOB
 * (inject_vlan_pri_tag, Linux mana.h struct mana_tx_long_oob).
 */
static bool
test_vlan(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 1, .n_txq = 1, .rx_desc = 64, .tx_desc = 64,
		.rss = true, .hash_fields = T_ALL_FIELDS,
	};
	struct t_flow fl = t_udp4_flow(31), tagged;
	struct mana_sim_stats st0, st;
	static uint8_t frame[256], plain[256];
	uint8_t oob[GDMA_INLINE_OOB_LARGE];
	struct mana_tx_short_oob s;
	struct mana_tx_long_oob l;
	uint32_t len, plen;
	struct t_rx_pkt rx;
	struct t_port *p = NULL;
	bool ok = false;

	CHECK(t_stats(T_FN_DATA, &st0), "stats");
	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	t_rx_fill(p);
	plen = t_frame(plain, &fl, 64, 5);

	/* A tagged frame on the wire: PCP 5, VLAN 0x123. */
	tagged = fl;
	tagged.vlan = true;
	tagged.vlan_tci = (5u << 13) | 0x123;
	len = t_frame(frame, &tagged, 64, 5);
	CHECK(len == plen + 4, "tagged frame length");
	t_tx_post(p, 0, frame, len, NULL, 0);
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, NULL), "send");
	CHECK(t_rx_collect(p, &rx, 1), "receive");
	CHECK(rx.oob.vlan_tag_present && rx.oob.vlan_id == 0x123, "tag %u id %#x",
	      rx.oob.vlan_tag_present, rx.oob.vlan_id);
	CHECK(rx.len == plen && memcmp(rx.buf, plain, plen) == 0, "not stripped: length %u",
	      rx.len);
	CHECK(rx.hash == t_softrss(&fl) && rx.oob.hash_type == T_HASH_L4 &&
	      rx.oob.udp_csum_ok, "inner headers: hash %#x type %#x", rx.hash,
	      rx.oob.hash_type);

	/* Insertion from the long OOB: PCP 3, DEI 1, VLAN 0xabc. */
	t_tx_oob(p, 0, &s);
	s.packet_format = MANA_TX_LONG_PKT_FMT;
	memset(&l, 0, sizeof(l));
	l.inject_vlan_pri_tag = 1;
	l.pcp = 3;
	l.dei = 1;
	l.vlan_id = 0xabc;
	memcpy(oob, &s, sizeof(s));
	memcpy(oob + sizeof(s), &l, sizeof(l));
	t_tx_post(p, 0, plain, plen, oob, sizeof(oob));
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, NULL), "send with insertion");
	CHECK(t_rx_collect(p, &rx, 1), "receive");
	CHECK(rx.oob.vlan_tag_present && rx.oob.vlan_id == 0xabc, "tag %u id %#x",
	      rx.oob.vlan_tag_present, rx.oob.vlan_id);
	CHECK(rx.len == plen && memcmp(rx.buf, plain, plen) == 0, "inserted tag: length %u",
	      rx.len);

	/* The long format without insertion sends the frame as it is. */
	l.inject_vlan_pri_tag = 0;
	memcpy(oob + sizeof(s), &l, sizeof(l));
	t_tx_post(p, 0, plain, plen, oob, sizeof(oob));
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY, NULL), "long OOB send");
	CHECK(t_rx_collect(p, &rx, 1), "receive");
	CHECK(!rx.oob.vlan_tag_present && rx.oob.vlan_id == 0 && rx.len == plen &&
	      memcmp(rx.buf, plain, plen) == 0, "untagged: tag %u", rx.oob.vlan_tag_present);
	CHECK(t_stats(T_FN_DATA, &st), "stats");
	CHECK(st.rx_vlan_stripped - st0.rx_vlan_stripped == 2, "rx_vlan_stripped %" PRIu64,
	      st.rx_vlan_stripped - st0.rx_vlan_stripped);
	ok = true;
out:
	t_port_close(p);
	return ok;
}

/*
 * The short Tx OOB as one word (MANA_TX_OOB_*, what the PMD's data path
 * stores) puts each field where struct mana_tx_short_oob (what these tests
 * and the layout's sources use) has it. No device involved.
 */
static uint64_t
t_oob_word(const struct mana_tx_short_oob *oob)
{
	uint64_t w;

	memcpy(&w, oob, sizeof(w));
	return w;
}

static bool
test_short_oob_word(void)
{
	struct mana_tx_short_oob oob;
	bool ok = false;

#define T_OOB_FIELD(field, val, word) do { \
		memset(&oob, 0, sizeof(oob)); \
		oob.field = (val); \
		CHECK(t_oob_word(&oob) == (word), #field " %#" PRIx64 " != %#" PRIx64, \
		      t_oob_word(&oob), (uint64_t)(word)); \
	} while (0)
	T_OOB_FIELD(packet_format, MANA_TX_LONG_PKT_FMT, MANA_TX_OOB_LONG_FMT);
	T_OOB_FIELD(is_outer_ipv4, 1, MANA_TX_OOB_OUTER_IPV4);
	T_OOB_FIELD(is_outer_ipv6, 1, MANA_TX_OOB_OUTER_IPV6);
	T_OOB_FIELD(compute_ip_csum, 1, MANA_TX_OOB_IP_CSUM);
	T_OOB_FIELD(compute_tcp_csum, 1, MANA_TX_OOB_TCP_CSUM);
	T_OOB_FIELD(compute_udp_csum, 1, MANA_TX_OOB_UDP_CSUM);
	T_OOB_FIELD(suppress_cqe, 1, MANA_TX_OOB_SUPPRESS_CQE);
	T_OOB_FIELD(vcq_num, 0xabcdef, MANA_TX_OOB_VCQ_NUM(0xabcdef));
	T_OOB_FIELD(transport_hdr_offset, 0x3a5, MANA_TX_OOB_TRANSPORT_OFF(0x3a5));
	T_OOB_FIELD(vsq_frame, 0x2bcd, MANA_TX_OOB_VSQ_FRAME(0x2bcd));
	T_OOB_FIELD(vport_offset, 0xa7, MANA_TX_OOB_VPORT_OFFSET(0xa7));
#undef T_OOB_FIELD
	/* The field macros keep to their fields. */
	CHECK(MANA_TX_OOB_VCQ_NUM(~0u) == UINT64_C(0xffffff) << 8, "VCQ mask");
	CHECK(MANA_TX_OOB_VSQ_FRAME(~0u) == UINT64_C(0x3fff) << 42, "VSQ frame mask");
	ok = true;
out:
	return ok;
}

/*
 * Tx CQE suppression (suppress_txcqe_gen): no CQE for a suppressed WQE that
 * succeeds, an error CQE for every WQE that fails, suppressed or not (DPDK
 * commit 823dbf2860).
 */
static bool
test_suppression(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 1, .n_txq = 1, .rx_desc = 64, .tx_desc = 64,
		.rss = true, .hash_fields = T_ALL_FIELDS,
	};
	struct t_flow fl = t_udp4_flow(41);
	struct mana_sim_stats st0, st;
	struct mana_tx_short_oob oob;
	static uint8_t frame[256];
	struct t_rx_pkt rx[3];
	struct gdma_sge sge;
	uint32_t len, bu[5], got[3];
	struct gdma_cqe cqe[3];
	uint64_t deadline;
	struct t_port *p = NULL;
	unsigned int i, n = 0;
	bool ok = false;
	int k;

	CHECK(t_stats(T_FN_DATA, &st0), "stats");
	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	t_rx_fill(p);
	len = t_frame(frame, &fl, 50, 4);
	t_tx_oob(p, 0, &oob);
	oob.suppress_cqe = 1;
	/* OK (suppressed), bad key (suppressed), OK (suppressed), OK, bad key (suppressed). */
	bu[0] = t_tx_post(p, 0, frame, len, &oob, sizeof(oob));
	sge = (struct gdma_sge){ (uintptr_t)t_tx_buf(p, 0, 0), p->lkey ^ 0x100000, len };
	bu[1] = t_post_wqe(&p->txq[0].sq, &oob, sizeof(oob), &sge, 1);
	bu[2] = t_tx_post(p, 0, frame, len, &oob, sizeof(oob));
	bu[3] = t_tx_post(p, 0, frame, len, NULL, 0);
	bu[4] = t_post_wqe(&p->txq[0].sq, &oob, sizeof(oob), &sge, 1);
	t_ring(&p->txq[0].sq);
	CHECK(t_rx_collect(p, rx, 3), "three packets delivered");
	deadline = t_now_ms() + T_WAIT_MS;
	while (n < 3 && t_now_ms() < deadline) {
		k = t_poll_cq(&p->txq[0].cq, cqe + n, (int)(3 - n));
		CHECK(k >= 0, "tx CQ");
		n += (unsigned int)k;
		if (k == 0)
			t_poll_pause();
	}
	CHECK(n == 3, "%u send completions, want 3", n);
	for (i = 0; i < 3; i++) {
		struct mana_tx_comp_oob tx;

		memcpy(&tx, cqe[i].client_data, sizeof(tx));
		got[i] = tx.tx_wqe_offset;
		CHECK(tx.hdr.cqe_type == (i == 1 ? CQE_TX_OKAY : CQE_TX_HDR_PROCESSING_ERROR),
		      "completion %u: type %u", i, tx.hdr.cqe_type);
	}
	CHECK(got[0] == bu[1] && got[1] == bu[3] && got[2] == bu[4],
	      "completions name WQEs %u %u %u, want %u %u %u", got[0], got[1], got[2], bu[1],
	      bu[3], bu[4]);
	CHECK(t_cqs_quiet(p), "a completion for a suppressed WQE");
	CHECK(t_stats(T_FN_DATA, &st), "stats");
	CHECK(st.tx_cqes - st0.tx_cqes == 3 && st.tx_errors - st0.tx_errors == 2 &&
	      st.tx_packets - st0.tx_packets == 3, "tx_cqes %" PRIu64 " errors %" PRIu64
	      " packets %" PRIu64, st.tx_cqes - st0.tx_cqes, st.tx_errors - st0.tx_errors,
	      st.tx_packets - st0.tx_packets);
	ok = true;
out:
	t_port_close(p);
	return ok;
}

/* Send one frame with @oob (NULL: default) and collect its Rx completion. */
static bool
t_send_one(struct t_port *p, const uint8_t *frame, uint32_t len,
	   const struct mana_tx_short_oob *oob, uint32_t tx_type, struct t_rx_pkt *rx)
{
	t_tx_post(p, 0, frame, len, oob, oob != NULL ? sizeof(*oob) : 0);
	t_ring(&p->txq[0].sq);
	if (!t_tx_wait(p, 0, 1, tx_type, NULL))
		return false;
	return rx == NULL || t_rx_collect(p, rx, 1);
}

/* Tx checksum offload (raw_packet_caps IP_CSUM) and Rx checksum verdicts. */
static bool
test_checksums(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 1, .n_txq = 1, .rx_desc = 64, .tx_desc = 64,
		.rss = true, .hash_fields = T_ALL_FIELDS,
	};
	struct t_flow fl = t_udp4_flow(11);
	struct mana_tx_short_oob oob;
	static uint8_t good[256], frame[256];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + 14);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(frame + 14);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(frame + 34);
	struct rte_udp_hdr *udp;
	struct gdma_sge sge;
	struct t_rx_pkt rx;
	struct t_port *p = NULL;
	uint32_t len;
	bool ok = false;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	CHECK(p->attr.raw_packet_caps & IBV_RAW_PACKET_CAP_IP_CSUM, "no IP_CSUM capability");
	t_rx_fill(p);

	/* TCP/IPv4, both checksums offloaded, pseudo-header sum seeded (DPDK tx.c). */
	fl.proto = IPPROTO_TCP;
	len = t_frame(good, &fl, 100, 1);
	memcpy(frame, good, len);
	ip->hdr_checksum = 0;
	tcp->cksum = rte_ipv4_phdr_cksum(ip, 0);
	t_tx_oob(p, 0, &oob);
	oob.compute_ip_csum = 1;
	oob.compute_tcp_csum = 1;
	oob.transport_hdr_offset = 34;
	CHECK(t_send_one(p, frame, len, &oob, CQE_TX_OKAY, &rx), "TCP offload");
	CHECK(rx.oob.ip_csum_ok && rx.oob.tcp_csum_ok && !rx.oob.tcp_csum_bad &&
	      memcmp(rx.buf, good, len) == 0, "TCP offload result");
	CHECK(memcmp(t_tx_buf(p, 0, p->txq[0].posted - 1), frame, len) == 0,
	      "the device wrote into the send buffer");

	/* Not seeded: the device completes a partial sum, so the result is wrong. */
	memcpy(frame, good, len);
	tcp->cksum = 0;
	CHECK(t_send_one(p, frame, len, &oob, CQE_TX_OKAY, &rx), "unseeded TCP");
	CHECK(rx.oob.tcp_csum_bad && !rx.oob.tcp_csum_ok, "unseeded TCP should be bad");

	/*
	 * The hardware takes the OOB's word, not the packet's (Linux mana_en.c
	 * mana_start_xmit fills it): a wrong transport offset is honoured and
	 * corrupts the frame; one beyond the frame, TCP and UDP at once, or an
	 * IPv4 checksum without is_outer_ipv4 cannot be, an error completion.
	 */
	memcpy(frame, good, len);
	tcp->cksum = rte_ipv4_phdr_cksum(ip, 0);
	oob.transport_hdr_offset = 30;
	CHECK(t_send_one(p, frame, len, &oob, CQE_TX_OKAY, &rx), "offset 30");
	CHECK(memcmp(rx.buf, good, len) != 0 && !rx.oob.tcp_csum_ok,
	      "offset 30: the checksum went where the frame says");
	sge = (struct gdma_sge){ (uintptr_t)t_tx_buf(p, 0, p->txq[0].posted - 1), p->lkey, len };
	oob.transport_hdr_offset = len;
	CHECK(t_tx_expect(p, &oob, sizeof(oob), &sge, 1, 0, CQE_TX_HDR_PROCESSING_ERROR,
			  T_VERR_BAD_L4_OFFSET, "offset beyond the frame"), "offset");
	oob.transport_hdr_offset = 34;
	oob.compute_udp_csum = 1;
	CHECK(t_tx_expect(p, &oob, sizeof(oob), &sge, 1, 0, CQE_TX_HDR_PROCESSING_ERROR,
			  T_VERR_BAD_L4_OFFSET, "TCP and UDP"), "TCP and UDP checksums");
	oob.compute_udp_csum = 0;
	oob.is_outer_ipv4 = 0;
	CHECK(t_tx_expect(p, &oob, sizeof(oob), &sge, 1, 0, CQE_TX_HDR_PROCESSING_ERROR,
			  T_VERR_BAD_L4_OFFSET, "IPv4 checksum, not IPv4"), "not IPv4");

	/* UDP/IPv6 offloaded. */
	memset(&fl, 0, sizeof(fl));
	fl.v6 = true;
	fl.src6[0] = 0xfe;
	fl.dst6[15] = 2;
	fl.sport = 1;
	fl.dport = 2;
	len = t_frame(good, &fl, 77, 2);
	memcpy(frame, good, len);
	udp = (struct rte_udp_hdr *)(frame + 54);
	udp->dgram_cksum = rte_ipv6_phdr_cksum(ip6, 0);
	t_tx_oob(p, 0, &oob);
	oob.is_outer_ipv4 = 0;
	oob.is_outer_ipv6 = 1;
	oob.compute_udp_csum = 1;
	oob.transport_hdr_offset = 54;
	CHECK(t_send_one(p, frame, len, &oob, CQE_TX_OKAY, &rx), "UDP/IPv6 offload");
	CHECK(rx.oob.udp_csum_ok && !rx.oob.ip_csum_ok && !rx.oob.ip_csum_bad &&
	      memcmp(rx.buf, good, len) == 0, "UDP/IPv6 offload result");

	/* Bad checksums, no offload: reported bad. */
	fl = t_udp4_flow(12);
	len = t_frame(frame, &fl, 50, 3);
	udp = (struct rte_udp_hdr *)(frame + 34);
	udp->dgram_cksum ^= 0x0101;
	ip->hdr_checksum ^= 0x0101;
	CHECK(t_send_one(p, frame, len, NULL, CQE_TX_OKAY, &rx), "bad checksums");
	CHECK(rx.oob.ip_csum_bad && !rx.oob.ip_csum_ok && rx.oob.udp_csum_bad &&
	      !rx.oob.udp_csum_ok, "bad checksum bits");

	/* IPv4 UDP without a checksum (0) is fine. */
	len = t_frame(frame, &fl, 50, 4);
	udp->dgram_cksum = 0;
	CHECK(t_send_one(p, frame, len, NULL, CQE_TX_OKAY, &rx), "UDP without checksum");
	CHECK(rx.oob.ip_csum_ok && rx.oob.udp_csum_ok && !rx.oob.udp_csum_bad,
	      "UDP without checksum: bits");
	ok = true;
out:
	t_port_close(p);
	return ok;
}

/*
 * Two ports of one function, one context each as the PMD opens them: a
 * port's traffic reaches only its own receive queues; each port has its
 * own vport offset, and a WQE naming the other port's is refused.
 */
static bool
test_two_ports(void)
{
	struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 2, .n_txq = 1, .rx_desc = 64, .tx_desc = 64,
		.rss = true, .hash_fields = T_ALL_FIELDS,
	};
	struct t_port *pp[2] = { NULL, NULL };
	static uint8_t frame[256];
	struct mana_tx_short_oob oob;
	struct t_rx_pkt rx[16];
	unsigned int i, k, from;
	bool ok = false;

	for (k = 0; k < 2; k++) {
		conf.port = (uint8_t)(k + 1);
		pp[k] = t_port_open(&conf);
		CHECK(pp[k] != NULL, "port %u", k + 1);
		t_rx_fill(pp[k]);
	}
	CHECK(pp[0]->ctx != pp[1]->ctx && pp[0]->db_map != pp[1]->db_map, "one context per port");
	CHECK(pp[0]->txq[0].tx_vp_offset != pp[1]->txq[0].tx_vp_offset,
	      "both ports have vport offset %u", pp[0]->txq[0].tx_vp_offset);
	for (from = 0; from < 2; from++) {
		struct t_port *s = pp[from], *o = pp[1 - from];

		for (i = 0; i < 16; i++) {
			struct t_flow fl = t_udp4_flow(i + from * 100);

			t_tx_post(s, 0, frame, t_frame(frame, &fl, 30, i), NULL, 0);
		}
		t_ring(&s->txq[0].sq);
		CHECK(t_tx_wait(s, 0, 16, CQE_TX_OKAY, NULL), "port %u send", from + 1);
		CHECK(t_rx_collect(s, rx, 16), "port %u receives its own traffic", from + 1);
		CHECK(t_cqs_quiet(o), "port %u's traffic reached port %u", from + 1, 2 - from);
		t_rx_fill(s);
	}
	/* Port 1's vport offset on a send queue of port 2. */
	t_tx_oob(pp[1], 0, &oob);
	oob.vport_offset = pp[0]->txq[0].tx_vp_offset;
	CHECK(t_send_one(pp[1], frame, 60, &oob, CQE_TX_INVALID_OOB, NULL),
	      "another port's vport offset");
	ok = true;
out:
	t_port_close(pp[0]);
	t_port_close(pp[1]);
	return ok;
}

/* Engine throughput: 64-byte frames, one SQ into one WQ. Reported, not checked. */
static bool
test_throughput(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 1, .n_txq = 1, .rx_desc = 256, .tx_desc = 256,
		.rss = true, .hash_fields = T_ALL_FIELDS,
	};
	struct t_flow fl = t_udp4_flow(1);
	struct t_rx_pkt rx[64];
	struct mana_tx_short_oob oob;
	struct gdma_cqe cqe[64];
	struct gdma_sge sge;
	uint64_t t0, t1, tx_posted = 0, tx_done = 0, rx_done = 0;
	uint8_t *frame;
	struct t_port *p = NULL;
	bool ok = false;
	int n, i;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	frame = t_tx_buf(p, 0, 0);
	sge = (struct gdma_sge){ (uintptr_t)frame, p->lkey, t_frame(frame, &fl, 18, 0) };
	CHECK(sge.size == 60, "frame of %u bytes", sge.size);
	t_tx_oob(p, 0, &oob);
	t_rx_fill(p);
	t0 = t_now_ns();
	do {
		for (i = 0; i < 64 && tx_posted - tx_done < 192; i++, tx_posted++)
			t_post_wqe(&p->txq[0].sq, &oob, sizeof(oob), &sge, 1);
		t_ring(&p->txq[0].sq);
		n = t_poll_cq(&p->txq[0].cq, cqe, 64);
		CHECK(n >= 0, "tx CQ");
		tx_done += (uint64_t)n;
		n = t_rx_poll(p, 0, rx, RTE_DIM(rx));
		CHECK(n >= 0, "rx CQ");
		for (i = 0; i < n; i++)
			CHECK(rx[i].cqe_type == CQE_RX_OKAY || rx[i].cqe_type == CQE_RX_COALESCED_4,
			      "rx type %u", rx[i].cqe_type);
		rx_done += (uint64_t)n;
		if (n > 0)
			t_rx_post(p, 0, (unsigned int)n, T_BUF_SIZE, p->lkey);
		t1 = t_now_ns();
	} while (t1 - t0 < 500000000ull);
	printf("    engine: %.2f Mpps (64-byte frames, 1 SQ -> 1 WQ, loopback; %" PRIu64
	       " sent, %" PRIu64 " received)\n", rx_done * 1e3 / (t1 - t0), tx_done, rx_done);
	CHECK(rx_done > 0, "nothing received");
	ok = true;
out:
	t_port_close(p);
	return ok;
}

static uint64_t
t_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* With nothing posted, the device's engine sleeps: the process uses little CPU. */
static bool
test_idle_engine(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 1, .n_txq = 1, .rx_desc = 128, .tx_desc = 128,
		.rss = true, .hash_fields = T_ALL_FIELDS,
	};
	static struct t_rx_pkt rx[100];
	struct mana_sim_stats st0, st1;
	uint64_t cpu0, cpu1, wall0, wall1;
	struct t_flow fl = t_udp4_flow(5);
	static uint8_t frame[256];
	struct t_port *p = NULL;
	unsigned int i;
	bool ok = false;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	t_rx_fill(p);
	for (i = 0; i < 100; i++)
		t_tx_post(p, 0, frame, t_frame(frame, &fl, 64, i), NULL, 0);
	t_ring(&p->txq[0].sq);
	CHECK(t_tx_wait(p, 0, 100, CQE_TX_OKAY, NULL) && t_rx_collect(p, rx, 100), "traffic");

	CHECK(t_stats(T_FN_DATA, &st0), "stats");
	wall0 = t_now_ns();
	cpu0 = t_cpu_ns();
	while (t_now_ns() - wall0 < 300000000ull)
		usleep(50000);	/* the measurement window, not a synchronisation */
	cpu1 = t_cpu_ns();
	wall1 = t_now_ns();
	CHECK(t_stats(T_FN_DATA, &st1), "stats");
	printf("    idle: %.2f%% of one CPU, %" PRIu64 " engine sleeps in %.0f ms\n",
	       100.0 * (cpu1 - cpu0) / (wall1 - wall0), st1.engine_sleeps - st0.engine_sleeps,
	       (wall1 - wall0) / 1e6);
	CHECK((cpu1 - cpu0) * 10 < wall1 - wall0, "idle CPU %" PRIu64 " ns in %" PRIu64 " ns",
	      cpu1 - cpu0, wall1 - wall0);
	CHECK(st1.engine_sleeps > st0.engine_sleeps, "engine did not sleep");
	ok = true;
out:
	t_port_close(p);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Life of the device                                                  */
/* ------------------------------------------------------------------ */

/*
 * Doorbell revocation. A mapping of the doorbell page keeps a live context
 * alive after a close (ib core rdma_core.c: every VMA holds the uverbs
 * file). When the device dies the mappings are zapped: a write lands on a
 * dummy page (uverbs_main.c), counted in doorbells_after_revoke. With
 * MANA_SIM doorbell=strict (this instance) a write after the owner closed
 * the dead context is SIGBUS; with doorbell=realistic it never faults
 * (child "realistic"). sim/vf/vf_config.h describes both.
 */
static bool
test_revocation(void)
{
	const struct t_port_conf conf = { .bdf = T_FN_REVOKE, .n_txq = 1, .tx_desc = 64 };
	struct mana_sim_fault f = { .kind = MANA_SIM_FAULT_RESET, .down_ms = 100 };
	struct ibv_context *ctx2 = NULL;
	struct mana_sim_stats st0;
	struct t_port *p = NULL;
	uint8_t *map2 = NULL;
	uint64_t db;
	int go, status = 0;
	bool ok = false;
	pid_t pid;

	CHECK(t_stats(T_FN_REVOKE, &st0), "stats");
	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	db = gdma_db_value(p->txq[0].sq.id, p->txq[0].sq.head * GDMA_WQE_BU, 0);

	pid = t_db_child_start(p->db_map, db, &go);
	CHECK(pid > 0, "fork");
	CHECK(t_db_child_go(pid, go, &status), "child");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "write to a live context: %#x",
	      status);

	/* A context closed while alive: its mapping still works. */
	ctx2 = t_open_raw(T_FN_REVOKE);
	CHECK(ctx2 != NULL, "second context");
	map2 = mmap(NULL, T_DB_PAGE, PROT_WRITE, MAP_SHARED, ctx2->cmd_fd, 0);
	CHECK(map2 != MAP_FAILED, "mmap");
	pid = t_db_child_start(map2, 0, &go);
	CHECK(pid > 0, "fork");
	CHECK(ibv_close_device(ctx2) == 0, "close");
	ctx2 = NULL;
	CHECK(t_db_child_go(pid, go, &status), "child");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "write to a closed live context: %#x", status);

	/* The device dies: a write lands on the dummy page and is counted. */
	CHECK(t_inject(T_FN_REVOKE, &f) == 0, "reset");
	CHECK(t_wait_event(p->ctx, T_WAIT_MS) == IBV_EVENT_DEVICE_FATAL, "fatal event");
	pid = t_db_child_start(p->db_map, db, &go);
	CHECK(pid > 0, "fork");
	CHECK(t_db_child_go(pid, go, &status), "child");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "write to a dead context: status %#x, want a dummy page", status);
	CHECK(t_stats_wait(T_FN_REVOKE, T_STAT(doorbells_after_revoke),
			   st0.doorbells_after_revoke + 1), "doorbells_after_revoke");

	/* Strict: once the owner closed the dead context, SIGBUS. */
	pid = t_db_child_start(p->db_map, db, &go);
	CHECK(pid > 0, "fork");
	t_port_close(p);
	p = NULL;
	CHECK(t_db_child_go(pid, go, &status), "child");
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS,
	      "write after the dead context was closed: status %#x, want SIGBUS", status);

	CHECK(t_run_child("realistic", "doorbell=realistic;down_ms=50;fn=" T_FN_DATA ",up1=0",
			  10000), "doorbell=realistic");
	ok = true;
out:
	if (ctx2 != NULL)
		ibv_close_device(ctx2);
	if (map2 != NULL && map2 != MAP_FAILED)
		munmap(map2, T_DB_PAGE);
	t_port_close(p);
	return ok;
}

/* Child "realistic": writes to a dead context's page are counted, never faulted. */
static int
t_child_realistic(void)
{
	const struct t_port_conf conf = { .bdf = T_FN_DATA, .n_txq = 1, .tx_desc = 64 };
	struct mana_sim_fault f = { .kind = MANA_SIM_FAULT_RESET };
	struct mana_sim_stats st;
	struct t_port *p;
	uint8_t *map = MAP_FAILED;
	bool ok = false;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	map = mmap(NULL, T_DB_PAGE, PROT_WRITE, MAP_SHARED, p->ctx->cmd_fd, 0);
	CHECK(map != MAP_FAILED, "mmap");
	CHECK(t_inject(T_FN_DATA, &f) == 0, "reset");
	CHECK(t_wait_event(p->ctx, T_WAIT_MS) == IBV_EVENT_DEVICE_FATAL, "fatal event");
	t_ring(&p->txq[0].sq);
	CHECK(t_stats_wait(T_FN_DATA, T_STAT(doorbells_after_revoke), 1), "doorbells_after_revoke");
	rte_write64(gdma_db_value(1, 32, 0), p->db_map + GDMA_DB_OFFSET_RQ);
	CHECK(t_stats_wait(T_FN_DATA, T_STAT(doorbells_after_revoke), 2), "doorbells_after_revoke");
	CHECK(t_stats(T_FN_DATA, &st) && st.tx_packets == 0, "served after death");
	t_port_close(p);
	p = NULL;
	/* After the close too: no fault (this process would die of it). */
	rte_write64(gdma_db_value(1, 32, 0), map + GDMA_DB_OFFSET_SQ);
	ok = true;
out:
	if (map != MAP_FAILED)
		munmap(map, T_DB_PAGE);
	t_port_close(p);
	return ok ? 0 : 1;
}

static int
t_sysfs_fn_present(const char *bdf)
{
	const char *dir = getenv("SYSFS_PCI_DEVICES");
	char path[PATH_MAX];
	struct stat st;

	if (dir == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, bdf);
	return stat(path, &st) == 0 ? 1 : 0;
}

/* Objects a dead context still holds: every destroy returns 0 (ib core rdma_core.c). */
struct t_objs {
	struct ibv_pd *pd, *pdom;
	struct ibv_mr *mr;
	struct ibv_cq *cq, *cq2;
	struct ibv_qp *qp, *rss;
	struct ibv_wq *wq;
	struct ibv_rwq_ind_table *ind;
};

static bool
t_objs_create(struct ibv_context *ctx, uint8_t port, void *mem, size_t mem_len,
	      struct t_objs *o)
{
	memset(o, 0, sizeof(*o));
	if (t_set_allocators(ctx) != 0)
		return false;
	o->pd = ibv_alloc_pd(ctx);
	if (o->pd == NULL)
		return false;
	o->pdom = t_parent(ctx, o->pd, port);
	o->mr = ibv_reg_mr(o->pd, mem, mem_len, IBV_ACCESS_LOCAL_WRITE);
	o->cq = t_cq(ctx, 64);
	o->cq2 = t_cq(ctx, 64);
	if (o->pdom == NULL || o->mr == NULL || o->cq == NULL || o->cq2 == NULL)
		return false;
	o->qp = t_raw_qp(o->pdom, o->cq);
	o->wq = t_wq(ctx, o->pdom, o->cq2);
	if (o->qp == NULL || o->wq == NULL)
		return false;
	o->ind = t_ind(ctx, &o->wq, 0);
	if (o->ind == NULL)
		return false;
	o->rss = t_rss_qp_mask(ctx, o->pdom, o->ind, T_ALL_FIELDS);
	return o->rss != NULL;
}

/* Destroy in the PMD's order; the number of destroys that did not return 0. */
static int
t_objs_destroy(struct t_objs *o)
{
	int bad = 0;

	if (o->rss != NULL)
		bad += ibv_destroy_qp(o->rss) != 0;
	if (o->ind != NULL)
		bad += ibv_destroy_rwq_ind_table(o->ind) != 0;
	if (o->wq != NULL)
		bad += ibv_destroy_wq(o->wq) != 0;
	if (o->qp != NULL)
		bad += ibv_destroy_qp(o->qp) != 0;
	if (o->cq != NULL)
		bad += ibv_destroy_cq(o->cq) != 0;
	if (o->cq2 != NULL)
		bad += ibv_destroy_cq(o->cq2) != 0;
	if (o->mr != NULL)
		bad += ibv_dereg_mr(o->mr) != 0;
	if (o->pdom != NULL)
		bad += ibv_dealloc_pd(o->pdom) != 0;
	if (o->pd != NULL)
		bad += ibv_dealloc_pd(o->pd) != 0;
	memset(o, 0, sizeof(*o));
	return bad;
}

/*
 * Faults: service reset (DEVICE_FATAL on every context, dead contexts give
 * EIO except destroys, the RAW device comes back as a new ibv device with
 * its old name), open failures, a delayed fatal event, a fatal event during
 * recovery, commands the hardware refuses, and hot-remove (the PCI function
 * leaves sysfs).
 */
static bool
test_faults(void)
{
	static uint8_t mem[4096] __rte_aligned(4096);
	struct ibv_context *ctx = NULL, *ctx_p2 = NULL, *ctx2 = NULL, *tmp;
	struct ibv_device_attr_ex attr;
	struct ibv_port_attr pa;
	struct ibv_async_event ev;
	struct ibv_device *dev = NULL;
	struct mana_sim_fault f;
	struct mana_sim_stats st0, st;
	struct pollfd pfd;
	struct t_objs o = { 0 };
	char name[64], name2[64];
	int64_t bufs0 = t_bufs_outstanding();
	uint64_t t0;
	bool ok = false;
	int i;

	CHECK(t_stats(T_FN_FAULTS, &st0), "stats");
	CHECK(t_dev_listed(T_FN_FAULTS, false, name, sizeof(name)), "no RAW device");
	ctx = t_open(T_FN_FAULTS, T_PART_RAW, &dev);
	ctx_p2 = t_open_raw(T_FN_FAULTS);
	CHECK(ctx != NULL && ctx_p2 != NULL, "open");
	CHECK(t_objs_create(ctx, 1, mem, sizeof(mem), &o), "objects: %s", strerror(errno));

	/* Service reset. */
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_RESET, .down_ms = 300 };
	t0 = t_now_ms();
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "reset");
	CHECK(t_wait_event(ctx, 2000) == IBV_EVENT_DEVICE_FATAL, "fatal event");
	CHECK(t_wait_event(ctx_p2, 2000) == IBV_EVENT_DEVICE_FATAL, "fatal event, 2nd context");
	CHECK(ibv_get_async_event(ctx, &ev) != 0 && errno == EAGAIN, "a second event");
	pfd = (struct pollfd){ .fd = ctx->async_fd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 0, "async fd still readable after draining");
	CHECK(!t_dev_listed(T_FN_FAULTS, false, NULL, 0), "RAW device listed while down");
	errno = 0;
	CHECK(ibv_open_device(dev) == NULL && errno == ENODEV, "open while down: %s",
	      strerror(errno));
	/* Disassociated: everything but destroys is EIO (ib core rdma_core.c, uverbs_cmd.c). */
	CHECK(ibv_alloc_pd(ctx) == NULL && errno == EIO, "alloc_pd: %s", strerror(errno));
	CHECK(ibv_query_device_ex(ctx, NULL, &attr) == EIO, "query_device_ex");
	CHECK(ibv_query_port(ctx, 1, &pa) == EIO, "query_port");
	CHECK(ibv_create_cq(ctx, 64, NULL, NULL, 0) == NULL && errno == EIO, "create_cq: %s",
	      strerror(errno));
	CHECK(ibv_reg_mr(o.pd, mem, 64, IBV_ACCESS_LOCAL_WRITE) == NULL && errno == EIO,
	      "reg_mr: %s", strerror(errno));
	CHECK(t_parent(ctx, o.pd, 1) == NULL && errno == EIO, "alloc_parent_domain: %s",
	      strerror(errno));
	CHECK(t_wq(ctx, o.pdom, o.cq2) == NULL && errno == EIO, "create_wq: %s", strerror(errno));
	CHECK(t_objs_destroy(&o) == 0, "destroys on a dead context");
	CHECK(t_bufs_outstanding() == bufs0, "%" PRId64 " queue buffers not freed",
	      t_bufs_outstanding() - bufs0);
	CHECK(t_stats(T_FN_FAULTS, &st) && st.objects == st0.objects, "objects %u, were %u",
	      st.objects, st0.objects);

	/* Back as a new ibv device, found in a fresh list, with its old name. */
	t0 = t_now_ms() - t0;
	ctx2 = t_open_raw_wait(T_FN_FAULTS, 3000);
	CHECK(ctx2 != NULL, "reopen: %s", strerror(errno));
	CHECK(t_dev_listed(T_FN_FAULTS, false, name2, sizeof(name2)) && strcmp(name, name2) == 0,
	      "back as %s, was %s", name2, name);
	CHECK(ctx2->device != dev, "the same ibv_device came back");
	CHECK(ibv_open_device(dev) == NULL, "the old ibv_device opens");
	CHECK(t_stats(T_FN_FAULTS, &st) && st.instance == st0.instance + 1 &&
	      st.resets == st0.resets + 1 && st.last_up_ns - st.last_down_ns == 300000000ull,
	      "instance %u resets %" PRIu64 " down %" PRIu64 " ns", st.instance, st.resets,
	      st.last_up_ns - st.last_down_ns);
	CHECK(ibv_query_device_ex(ctx2, NULL, &attr) == 0, "query the new context");
	CHECK(ibv_close_device(ctx) == 0 && ibv_close_device(ctx_p2) == 0, "close dead");
	ctx = ctx_p2 = NULL;

	/* Two failing opens, then success; failing for good until cleared. */
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_FAIL_OPEN, .count = 2 };
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "fail_open 2");
	for (i = 0; i < 2; i++)
		CHECK(t_open_raw(T_FN_FAULTS) == NULL && errno == EIO, "open %d: %s", i,
		      strerror(errno));
	tmp = t_open_raw(T_FN_FAULTS);
	CHECK(tmp != NULL && ibv_close_device(tmp) == 0, "third open");
	f.count = -1;
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "fail_open -1");
	for (i = 0; i < 5; i++)
		CHECK(t_open_raw(T_FN_FAULTS) == NULL && errno == EIO, "open %d", i);
	f.count = 0;
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "fail_open 0");
	tmp = t_open_raw(T_FN_FAULTS);
	CHECK(tmp != NULL && ibv_close_device(tmp) == 0, "open after clearing");

	/* Delayed event: the context is dead at once, its event comes later. */
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_EVENT_DELAY, .delay_ms = 300 };
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "event_delay");
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_RESET, .down_ms = 50 };
	t0 = t_now_ms();
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "reset");
	pfd = (struct pollfd){ .fd = ctx2->async_fd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 100) == 0, "event before its delay");
	CHECK(ibv_alloc_pd(ctx2) == NULL && errno == EIO, "context alive before its event");
	CHECK(t_wait_event(ctx2, 2000) == IBV_EVENT_DEVICE_FATAL, "delayed fatal event");
	CHECK(t_now_ms() - t0 >= 290, "delayed event after %" PRIu64 " ms", t_now_ms() - t0);
	CHECK(ibv_close_device(ctx2) == 0, "close");
	ctx2 = NULL;

	/* Fatal during recovery: the next instance dies again @delay_ms after its open. */
	ctx = t_open_raw_wait(T_FN_FAULTS, 3000);
	CHECK(ctx != NULL, "open");
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_FATAL_IN_RECOVERY, .delay_ms = 80,
				     .down_ms = 50 };
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "fatal_in_recovery");
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_RESET, .down_ms = 50 };
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "reset");
	CHECK(t_wait_event(ctx, 2000) == IBV_EVENT_DEVICE_FATAL, "fatal");
	ctx2 = t_open_raw_wait(T_FN_FAULTS, 3000);
	CHECK(ctx2 != NULL, "reopen");
	t0 = t_now_ms();
	CHECK(t_wait_event(ctx2, 2000) == IBV_EVENT_DEVICE_FATAL, "fatal in recovery");
	CHECK(t_now_ms() - t0 >= 70, "fatal in recovery after %" PRIu64 " ms", t_now_ms() - t0);
	CHECK(ibv_close_device(ctx) == 0 && ibv_close_device(ctx2) == 0, "close");
	ctx = ctx2 = NULL;
	ctx = t_open_raw_wait(T_FN_FAULTS, 3000);
	CHECK(ctx != NULL, "open after the second reset");
	CHECK(t_stats(T_FN_FAULTS, &st) && st.resets == st0.resets + 4, "resets %" PRIu64,
	      st.resets - st0.resets);

	/* Commands the hardware refuses (MANA_SIM_FAULT_FAIL_VERB), as the kernel fails them. */
	CHECK(t_set_allocators(ctx) == 0, "allocators");
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_FAIL_VERB, .count = 1,
				     .verb = MANA_SIM_VERB_CREATE_CQ };
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "fail_verb create_cq");
	errno = 0;
	CHECK(ibv_create_cq(ctx, 64, NULL, NULL, 0) == NULL && errno == EPROTO,
	      "create_cq refused by the hardware: %s", strerror(errno));
	o.cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	CHECK(o.cq != NULL, "create_cq after: %s", strerror(errno));
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_FAIL_VERB, .count = 2,
				     .verb = MANA_SIM_VERB_ALLOC_PD, .err = ENOMEM };
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "fail_verb alloc_pd");
	for (i = 0; i < 2; i++)
		CHECK(ibv_alloc_pd(ctx) == NULL && errno == ENOMEM, "alloc_pd %d: %s", i,
		      strerror(errno));
	o.pd = ibv_alloc_pd(ctx);
	CHECK(o.pd != NULL, "alloc_pd after: %s", strerror(errno));
	CHECK(t_stats(T_FN_FAULTS, &st) && st.verbs_failed == st0.verbs_failed + 3,
	      "verbs_failed %" PRIu64, st.verbs_failed - st0.verbs_failed);
	CHECK(t_objs_destroy(&o) == 0, "destroy");

	/* Hot-remove: fatal, then gone for good, PCI function included. */
	CHECK(t_sysfs_fn_present(T_FN_FAULTS) == 1, "PCI function not in sysfs");
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_REMOVE };
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "remove");
	CHECK(t_wait_event(ctx, 2000) == IBV_EVENT_DEVICE_FATAL, "fatal");
	CHECK(t_open_raw(T_FN_FAULTS) == NULL, "open after remove");
	CHECK(!t_dev_listed(T_FN_FAULTS, false, NULL, 0) &&
	      !t_dev_listed(T_FN_FAULTS, true, NULL, 0), "devices listed after remove");
	CHECK(t_sysfs_fn_present(T_FN_FAULTS) == 0, "PCI function still in sysfs");
	CHECK(t_stats(T_FN_FAULTS, &st) && st.state == MANA_SIM_DEV_REMOVED, "state %d",
	      (int)st.state);
	f.kind = MANA_SIM_FAULT_RESET;
	CHECK(t_inject(T_FN_FAULTS, &f) == -ENODEV, "reset after remove");
	CHECK(ibv_close_device(ctx) == 0, "close");
	ctx = NULL;

	/* Hot-add: back at once, PCI function, devices and a new instance. */
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_ADD };
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "add");
	CHECK(t_sysfs_fn_present(T_FN_FAULTS) == 1, "PCI function not back in sysfs");
	CHECK(t_dev_listed(T_FN_FAULTS, false, NULL, 0), "RAW device not listed after add");
	CHECK(t_stats(T_FN_FAULTS, &st) && st.state == MANA_SIM_DEV_UP &&
	      st.instance > st0.instance, "state %d instance %u", (int)st.state, st.instance);
	CHECK(t_inject(T_FN_FAULTS, &f) == -EEXIST, "add of a present function");
	ctx = t_open_raw(T_FN_FAULTS);
	CHECK(ctx != NULL, "open after add");
	if (ctx != NULL)
		ibv_close_device(ctx);
	ctx = NULL;

	CHECK(t_inject("7870:00:1f.7", &f) == -ENODEV, "unknown function");
	f.kind = (enum mana_sim_fault_kind)99;
	CHECK(t_inject(T_FN_DATA, &f) == -EINVAL, "bad kind");
	CHECK(t_inject(T_FN_DATA, NULL) == -EINVAL, "NULL fault");
	ok = true;
out:
	t_objs_destroy(&o);
	if (ctx != NULL)
		ibv_close_device(ctx);
	if (ctx_p2 != NULL)
		ibv_close_device(ctx_p2);
	if (ctx2 != NULL)
		ibv_close_device(ctx2);
	return ok;
}

/* A uevent socket as EAL's device event monitor opens it (lib/eal/linux/eal_dev.c). */
static int
t_uevent_socket(uint32_t groups)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_groups = groups };
	int fd;

	fd = socket(PF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&nl, sizeof(nl)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Value of @key ("KEY=") in uevent @msg of @len bytes, or NULL. */
static const char *
t_uevent_var(const char *msg, size_t len, const char *key)
{
	size_t off = strnlen(msg, len) + 1;	/* past "ACTION@DEVPATH" */

	while (off < len) {
		const char *v = msg + off;

		if (strncmp(v, key, strlen(key)) == 0)
			return v + strlen(key);
		off += strnlen(v, len - off) + 1;
	}
	return NULL;
}

/*
 * The next uevent on @fd within @ms: "@action@/devices/...", ACTION=@action,
 * SUBSYSTEM=@subsystem, of a device of PCI function @bdf (the function
 * itself: PCI_SLOT_NAME=@bdf; a device under it: DEVPATH has "/@bdf/"); its
 * SEQNUM in @seq, and for an ibv device the value of @key in @val.
 */
static bool
t_uevent_of(int fd, const char *action, const char *subsystem, const char *bdf, uint32_t ms,
	    uint64_t *seq, const char *key, char *val, size_t val_len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char msg[4097] = { 0 }, head[64], under[32];
	const char *a, *sub, *path, *slot, *num, *v = NULL;
	bool pci = strcmp(subsystem, "pci") == 0;
	ssize_t n;

	if (poll(&pfd, 1, (int)ms) != 1) {
		printf("    no uevent %s of %s within %u ms\n", action, subsystem, ms);
		return false;
	}
	n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	if (n <= 0) {
		printf("    recv: %zd (%s)\n", n, strerror(errno));
		return false;
	}
	snprintf(head, sizeof(head), "%s@/devices/", action);
	snprintf(under, sizeof(under), "/%s/", bdf);
	a = t_uevent_var(msg, (size_t)n, "ACTION=");
	sub = t_uevent_var(msg, (size_t)n, "SUBSYSTEM=");
	path = t_uevent_var(msg, (size_t)n, "DEVPATH=");
	slot = t_uevent_var(msg, (size_t)n, "PCI_SLOT_NAME=");
	num = t_uevent_var(msg, (size_t)n, "SEQNUM=");
	if (key != NULL)
		v = t_uevent_var(msg, (size_t)n, key);
	if (strncmp(msg, head, strlen(head)) != 0 || msg[n - 1] != '\0' || a == NULL ||
	    strcmp(a, action) != 0 || sub == NULL || strcmp(sub, subsystem) != 0 ||
	    path == NULL || strcmp(path, msg + strlen(action) + 1) != 0 || num == NULL ||
	    (pci && (slot == NULL || strcmp(slot, bdf) != 0)) ||
	    (!pci && strstr(path, under) == NULL) || (key != NULL && v == NULL)) {
		printf("    uevent '%s' (%zd bytes) is not %s of %s of %s\n", msg, n, action,
		       subsystem, bdf);
		return false;
	}
	*seq = strtoull(num, NULL, 10);
	if (key != NULL)
		snprintf(val, val_len, "%s", v);
	return true;
}

static bool
t_uevent_next(int fd, const char *action, const char *bdf, uint32_t ms, uint64_t *seq)
{
	return t_uevent_of(fd, action, "pci", bdf, ms, seq, NULL, NULL, 0);
}

/*
 * An ibv device of @bdf registered or unregistered: its uverbs node, then
 * its infiniband class device, either way (ib core device.c holds the class
 * device's add back until the clients - uverbs_main.c - are added; removal
 * takes the clients first), numbered in sequence after @seq (updated; 0:
 * any). Its name in @name.
 */
static bool
t_uevent_ibdev(int fd, const char *action, const char *bdf, uint32_t ms, uint64_t *seq,
	       char *name, size_t name_len)
{
	char devname[32];
	uint64_t s1, s2;

	if (!t_uevent_of(fd, action, "infiniband_verbs", bdf, ms, &s1, "DEVNAME=", devname,
			 sizeof(devname)) ||
	    !t_uevent_of(fd, action, "infiniband", bdf, ms, &s2, "NAME=", name, name_len))
		return false;
	if ((*seq != 0 && s1 != *seq + 1) || s2 != s1 + 1 ||
	    strncmp(devname, "infiniband/uverbs", 17) != 0) {
		printf("    %s of %s: seqnum %" PRIu64 ", %" PRIu64 " after %" PRIu64
		       ", node %s\n", action, name, s1, s2, *seq, devname);
		return false;
	}
	*seq = s2;
	return true;
}

/*
 * The uevents of a hot-remove: each ibv device unregistered (RAW, then RC
 * when there is one), then unbind and remove of the function, numbered in
 * sequence. @seq: the number before the first (0: any).
 */
static bool
t_uevents_removed(int fd, const char *bdf, bool rc, uint32_t ms, uint64_t *seq)
{
	char name[32];
	uint64_t s1, s2;

	if (!t_uevent_ibdev(fd, "remove", bdf, ms, seq, name, sizeof(name)) ||
	    strncmp(name, "manae_", 6) != 0 ||
	    (rc && (!t_uevent_ibdev(fd, "remove", bdf, ms, seq, name, sizeof(name)) ||
		    strncmp(name, "mana_", 5) != 0)) ||
	    !t_uevent_next(fd, "unbind", bdf, ms, &s1) ||
	    !t_uevent_next(fd, "remove", bdf, ms, &s2))
		return false;
	if (s1 != *seq + 1 || s2 != s1 + 1) {
		printf("    unbind %" PRIu64 ", remove %" PRIu64 " after %" PRIu64 "\n", s1, s2,
		       *seq);
		return false;
	}
	*seq = s2;
	return true;
}

/*
 * Hot-remove and hot-add are told, as the kernel tells them, to every
 * NETLINK_KOBJECT_UEVENT socket bound to group 1 in every process of the
 * instance: each ibv device unregistered, unbind, remove; add, bind
 * (DRIVER=mana), each ibv device registered - numbered in sequence; nothing
 * for a socket in no group; EAGAIN when there is nothing.
 */
static bool
test_uevents(void)
{
	struct mana_sim_fault f;
	int fd = -1, fd_none = -1, ready[2] = { -1, -1 }, status;
	uint64_t seq = 0, s3, s4;
	char buf[64], name[32], c;
	pid_t child = -1;
	bool ok = false, rc;

	rc = t_dev_listed(T_FN_FAULTS, true, name, sizeof(name));
	fd = t_uevent_socket(UINT32_MAX);
	fd_none = t_uevent_socket(0);
	CHECK(fd >= 0 && fd_none >= 0, "uevent socket: %s", strerror(errno));
	errno = 0;
	CHECK(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN, "recv: %s",
	      strerror(errno));
	errno = 0;
	CHECK(socket(AF_NETLINK, SOCK_STREAM, NETLINK_KOBJECT_UEVENT) < 0 &&
	      errno == ESOCKTNOSUPPORT, "stream socket: %s", strerror(errno));
	CHECK(pipe(ready) == 0, "pipe");

	/* Another process of the instance listens too. */
	child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		int cfd = t_uevent_socket(1);
		uint64_t cseq = 0;

		close(ready[0]);
		if (cfd < 0 || write(ready[1], "r", 1) != 1)
			_exit(2);
		_exit(t_uevents_removed(cfd, T_FN_FAULTS, rc, T_WAIT_MS, &cseq) ? 0 : 1);
	}
	close(ready[1]);
	ready[1] = -1;
	CHECK(read(ready[0], &c, 1) == 1, "child not ready");

	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_REMOVE };
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "remove");
	CHECK(t_uevents_removed(fd, T_FN_FAULTS, rc, T_WAIT_MS, &seq), "the removal's uevents");
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "the other process: status 0x%x", status);
	child = -1;
	errno = 0;
	CHECK(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN,
	      "a uevent after the removal's");

	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_ADD };
	CHECK(t_inject(T_FN_FAULTS, &f) == 0, "add");
	CHECK(t_uevent_next(fd, "add", T_FN_FAULTS, T_WAIT_MS, &s3), "add");
	CHECK(t_uevent_next(fd, "bind", T_FN_FAULTS, T_WAIT_MS, &s4), "bind");
	CHECK(s3 == seq + 1 && s4 == s3 + 1, "seqnum %" PRIu64 ", %" PRIu64, s3, s4);
	seq = s4;
	/* The RC device registers at the latest with the RAW one (rc_lead_ms). */
	CHECK(!rc || (t_uevent_ibdev(fd, "add", T_FN_FAULTS, T_WAIT_MS, &seq, name, sizeof(name)) &&
		      strncmp(name, "mana_", 5) == 0), "the RC device registered");
	CHECK(t_uevent_ibdev(fd, "add", T_FN_FAULTS, T_WAIT_MS, &seq, name, sizeof(name)) &&
	      strncmp(name, "manae_", 6) == 0, "the RAW device registered");
	errno = 0;
	CHECK(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN,
	      "a uevent after the addition's");
	errno = 0;
	CHECK(recv(fd_none, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN,
	      "a socket in no group heard something");
	ok = true;
out:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (ready[0] >= 0)
		close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	if (fd >= 0)
		close(fd);
	if (fd_none >= 0)
		close(fd_none);
	return ok;
}

/*
 * A process that opens and closes uevent sockets again and again (a port
 * probed and closed: the PMD listens per port) never runs out of them: the
 * kernel has no such limit, and the VF reuses a closed socket's place.
 */
static bool
test_uevent_sockets_reused(void)
{
	unsigned int i;
	bool ok = false;
	int fd;

	for (i = 0; i < 3 * VF_T_UEVENT_LISTENERS; i++) {
		fd = t_uevent_socket(1);
		CHECK(fd >= 0, "socket %u: %s", i, strerror(errno));
		close(fd);
	}
	ok = true;
out:
	return ok;
}

/* The fault schedule of MANA_SIM (fn=...,faults=), in a child with its own instance. */
static bool
test_schedule(void)
{
	return t_run_child("schedule", "down_ms=1000;fn=" T_FN_DATA ",up1=0,faults=reset@300:100"
			   "/failopen@1200:1/remove@1600", 15000);
}

/* Child "schedule": times are counted from the instance's creation (before main). */
static int
t_child_schedule(void)
{
	struct ibv_context *ctx, *ctx2 = NULL, *tmp;
	struct mana_sim_stats st;
	uint64_t deadline;
	bool ok = false;

	ctx = t_open_raw(T_FN_DATA);
	CHECK(ctx != NULL, "open: %s", strerror(errno));
	CHECK(t_wait_event(ctx, 3000) == IBV_EVENT_DEVICE_FATAL, "reset@300");
	ctx2 = t_open_raw_wait(T_FN_DATA, 3000);
	CHECK(ctx2 != NULL, "back after the reset");
	CHECK(t_stats(T_FN_DATA, &st) && st.instance == 2 && st.resets == 1 &&
	      st.last_up_ns - st.last_down_ns == 100000000ull,
	      "instance %u resets %" PRIu64 " down for %" PRIu64 " ns", st.instance, st.resets,
	      st.last_up_ns - st.last_down_ns);
	/* failopen@1200:1: one open fails with EIO, the next works. */
	deadline = t_now_ms() + 5000;
	for (;;) {
		tmp = t_open_raw(T_FN_DATA);
		if (tmp == NULL)
			break;
		ibv_close_device(tmp);
		CHECK(t_now_ms() < deadline, "no open failed");
		usleep(2000);
	}
	CHECK(errno == EIO, "failed open: %s", strerror(errno));
	tmp = t_open_raw(T_FN_DATA);
	CHECK(tmp != NULL && ibv_close_device(tmp) == 0, "open after the failed one");
	CHECK(t_wait_event(ctx2, 3000) == IBV_EVENT_DEVICE_FATAL, "remove@1600");
	CHECK(t_open_raw(T_FN_DATA) == NULL, "open after remove");
	CHECK(t_sysfs_fn_present(T_FN_DATA) == 0, "PCI function still in sysfs");
	CHECK(t_stats(T_FN_DATA, &st) && st.state == MANA_SIM_DEV_REMOVED && st.resets == 1,
	      "state %d resets %" PRIu64, (int)st.state, st.resets);
	ok = true;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	if (ctx2 != NULL)
		ibv_close_device(ctx2);
	return ok ? 0 : 1;
}

/*
 * A process running the device forks and the child exits normally (exit(),
 * so the library's destructors run in it): the parent's device must be
 * untouched - its instance registered, its sysfs tree and ibv devices
 * present. Runs in a child with its own instance, so a failure cannot take
 * this process's instance with it.
 */
static bool
test_fork_exit(void)
{
	return t_run_child("fork_exit", "fn=" T_FN_DATA ",up1=0", 10000);
}

static int
t_child_fork_exit(void)
{
	struct ibv_context *ctx;
	int status = 0;
	bool ok = false;
	pid_t pid;

	ctx = t_open_raw(T_FN_DATA);
	CHECK(ctx != NULL, "open: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		exit(0);
	CHECK(pid > 0, "fork");
	CHECK(t_wait_child(pid, T_WAIT_MS, &status), "the child's exit() hangs");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	CHECK(t_sysfs_fn_present(T_FN_DATA) == 1, "the PCI function left sysfs");
	CHECK(t_dev_listed(T_FN_DATA, false, NULL, 0), "the RAW device is no longer listed");
	ok = true;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok ? 0 : 1;
}

/*
 * A second process of the instance rings a doorbell of the first's queue:
 * it gets the context's command fd over a UNIX socket, maps the page and
 * closes the fd, as a DPDK secondary does (d25 mp.c:106-108,
 * mana.c:1145-1164). The WQEs posted by the first process are sent on that
 * ring alone (a queue that never rang is never served).
 */
static bool
test_secondary(void)
{
	const struct t_port_conf conf = {
		.bdf = T_FN_DATA, .n_rxq = 1, .n_txq = 1, .rx_desc = 64, .tx_desc = 64,
		.rss = true, .hash_fields = T_ALL_FIELDS,
	};
	char cbuf[CMSG_SPACE(sizeof(int))], arg[64];
	struct t_flow fl = t_udp4_flow(51);
	static struct t_rx_pkt rx[16];
	static uint8_t frame[256];
	struct mana_sim_stats st0, st;
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	struct t_port *p = NULL;
	int sv[2] = { -1, -1 };
	unsigned int i;
	bool ok = false;
	pid_t pid;
	char c = 'f';

	CHECK(t_stats(T_FN_DATA, &st0), "stats");
	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	t_rx_fill(p);
	for (i = 0; i < 16; i++)
		t_tx_post(p, 0, frame, t_frame(frame, &fl, 40, i), NULL, 0);
	CHECK(t_cqs_quiet(p), "WQEs sent without a doorbell");
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	memset(&msg, 0, sizeof(msg));
	memset(cbuf, 0, sizeof(cbuf));
	iov.iov_base = &c;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p->ctx->cmd_fd, sizeof(int));
	CHECK(sendmsg(sv[0], &msg, 0) == 1, "sendmsg: %s", strerror(errno));
	snprintf(arg, sizeof(arg), "%d:%" PRIx64, sv[1],
		 gdma_db_value(p->txq[0].sq.id, p->txq[0].sq.head * GDMA_WQE_BU, 0));
	pid = t_spawn_child("secondary", NULL, arg);
	close(sv[1]);
	sv[1] = -1;
	CHECK(t_child_ok(pid, "secondary", T_WAIT_MS), "secondary process");
	CHECK(t_tx_wait(p, 0, 16, CQE_TX_OKAY, NULL), "sends rung by the secondary");
	CHECK(t_rx_collect(p, rx, 16), "receive");
	CHECK(t_stats(T_FN_DATA, &st) && st.open_contexts == st0.open_contexts + 1 &&
	      st.bad_doorbell == st0.bad_doorbell, "contexts %u bad_doorbell %" PRIu64,
	      st.open_contexts, st.bad_doorbell - st0.bad_doorbell);
	ok = true;
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	t_port_close(p);
	return ok;
}

/* Child "secondary": "<socket>:<doorbell value>": receive cmd_fd, map, ring, go. */
static int
t_child_secondary(const char *arg)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	uint64_t value;
	uint8_t *map;
	int sock, fd = -1;
	char c;

	if (arg == NULL || sscanf(arg, "%d:%" SCNx64, &sock, &value) != 2)
		return 2;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &c;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	if (recvmsg(sock, &msg, 0) != 1)
		return 3;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
		return 4;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	map = mmap(NULL, T_DB_PAGE, PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 5;
	rte_write64(value, map + GDMA_DB_OFFSET_SQ);
	munmap(map, T_DB_PAGE);
	return 0;
}

/* MANA_SIM rename=1: a device that comes back takes a new index (manae_0 -> manae_1). */
static bool
test_rename(void)
{
	return t_run_child("rename", "rename=1;down_ms=50;fn=" T_FN_DATA ",up1=0", 10000);
}

static int
t_child_rename(void)
{
	struct mana_sim_fault f = { .kind = MANA_SIM_FAULT_RESET };
	char raw0[64], rc0[64], raw1[64] = "", rc1[64] = "";
	struct ibv_context *ctx = NULL, *ctx2 = NULL;
	bool ok = false;

	CHECK(t_dev_listed(T_FN_DATA, false, raw0, sizeof(raw0)) &&
	      t_dev_listed(T_FN_DATA, true, rc0, sizeof(rc0)), "devices");
	ctx = t_open_raw(T_FN_DATA);
	CHECK(ctx != NULL, "open");
	CHECK(t_inject(T_FN_DATA, &f) == 0, "reset");
	CHECK(t_wait_event(ctx, T_WAIT_MS) == IBV_EVENT_DEVICE_FATAL, "fatal event");
	ctx2 = t_open_raw_wait(T_FN_DATA, 3000);
	CHECK(ctx2 != NULL, "back");
	CHECK(t_dev_listed(T_FN_DATA, false, raw1, sizeof(raw1)) &&
	      t_dev_listed(T_FN_DATA, true, rc1, sizeof(rc1)), "devices");
	CHECK(strcmp(raw0, raw1) != 0 && strcmp(rc0, rc1) != 0 &&
	      strcmp(ibv_get_device_name(ctx2->device), raw1) == 0,
	      "names %s %s, were %s %s", raw1, rc1, raw0, rc0);
	ok = true;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	if (ctx2 != NULL)
		ibv_close_device(ctx2);
	return ok ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* Wire                                                                */
/* ------------------------------------------------------------------ */

/* Send @n frames from @a and check they all arrive, intact and once, on @b. */
static bool
t_wire_round(struct t_port *a, struct t_port *b, unsigned int n)
{
	static struct t_rx_pkt rx[64];
	static uint8_t frame[T_BUF_SIZE];
	bool seen[64] = { false };
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct t_flow fl = t_udp4_flow(i);

		t_tx_post(a, 0, frame, t_frame(frame, &fl, 64, i), NULL, 0);
	}
	t_ring(&a->txq[0].sq);
	if (!t_tx_wait(a, 0, n, CQE_TX_OKAY, NULL) || !t_rx_collect(b, rx, n))
		return false;
	for (i = 0; i < n; i++) {
		uint32_t seq = t_frame_seq(rx[i].buf, T_UDP4_SEQ_OFF);
		struct t_flow fl;
		uint32_t len;

		if (seq >= n || seen[seq])
			return false;
		seen[seq] = true;
		fl = t_udp4_flow(seq);
		len = t_frame(frame, &fl, 64, seq);
		if (rx[i].len != len || memcmp(rx[i].buf, frame, len) != 0)
			return false;
	}
	t_rx_fill(b);
	return true;
}

static void
t_stats_dump(const char *bdf)
{
	struct mana_sim_stats st;

	if (t_get_stats(bdf, &st) != 0)
		return;
	printf("    %s: tx %" PRIu64 " wire_drop %" PRIu64 " errors %" PRIu64 " rx %" PRIu64
	       " no_wqe %" PRIu64 " no_rss %" PRIu64 " bad_db %" PRIu64 "\n", bdf, st.tx_packets,
	       st.tx_wire_drop, st.tx_errors, st.rx_packets, st.rx_drop_no_wqe, st.rx_drop_no_rss,
	       st.bad_doorbell);
}

/* MANA_SIM wire=A/1-B/1: port 1 of two functions wired; unwired ports loop back. */
static bool
test_wire(void)
{
	struct t_port_conf conf = {
		.bdf = T_FN_WIRE_A, .n_rxq = 2, .n_txq = 1, .rx_desc = 64, .tx_desc = 64,
		.rss = true, .hash_fields = T_ALL_FIELDS,
	};
	struct t_port *a = NULL, *b = NULL, *c = NULL;
	struct mana_sim_stats sa0, sb0, sa, sb;
	bool ok = false;

	CHECK(t_stats(T_FN_WIRE_A, &sa0) && t_stats(T_FN_WIRE_B, &sb0), "stats");
	a = t_port_open(&conf);
	conf.bdf = T_FN_WIRE_B;
	b = t_port_open(&conf);
	conf.bdf = T_FN_WIRE_A;
	conf.port = 2;
	c = t_port_open(&conf);
	CHECK(a != NULL && b != NULL && c != NULL, "ports");
	t_rx_fill(a);
	t_rx_fill(b);
	t_rx_fill(c);
	CHECK(t_wire_round(a, b, 32), "A/1 to B/1");
	CHECK(t_cqs_quiet(a) && t_cqs_quiet(c), "A/1's traffic looped back");
	CHECK(t_wire_round(b, a, 32), "B/1 to A/1");
	CHECK(t_cqs_quiet(b) && t_cqs_quiet(c), "B/1's traffic looped back");
	CHECK(t_wire_round(c, c, 16), "A/2 loops back");
	CHECK(t_cqs_quiet(a) && t_cqs_quiet(b), "A/2's traffic went on the wire");
	CHECK(t_stats(T_FN_WIRE_A, &sa) && t_stats(T_FN_WIRE_B, &sb), "stats");
	CHECK(sa.tx_packets - sa0.tx_packets == 48 && sa.rx_packets - sa0.rx_packets == 48 &&
	      sb.tx_packets - sb0.tx_packets == 32 && sb.rx_packets - sb0.rx_packets == 32,
	      "A tx %" PRIu64 " rx %" PRIu64 ", B tx %" PRIu64 " rx %" PRIu64,
	      sa.tx_packets - sa0.tx_packets, sa.rx_packets - sa0.rx_packets,
	      sb.tx_packets - sb0.tx_packets, sb.rx_packets - sb0.rx_packets);
	ok = true;
out:
	if (!ok) {
		t_stats_dump(T_FN_WIRE_A);
		t_stats_dump(T_FN_WIRE_B);
	}
	t_port_close(a);
	t_port_close(b);
	t_port_close(c);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Telemetry                                                           */
/* ------------------------------------------------------------------ */

static bool t_eal_up;

static int
t_tel_connect(void)
{
	struct sockaddr_un addr;
	char greeting[1024];
	int fd;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/dpdk_telemetry.v2",
		 rte_eal_get_runtime_dir());
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    recv(fd, greeting, sizeof(greeting), 0) <= 0) {
		printf("    telemetry socket %s: %s\n", addr.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Send one command; the reply's "result" in *result, the text in @reply. */
static bool
t_tel_cmd(int fd, const char *cmd, int *result, char *reply, size_t size)
{
	const char *r;
	ssize_t n;

	if (send(fd, cmd, strlen(cmd), 0) < 0)
		return false;
	n = recv(fd, reply, size - 1, 0);
	if (n <= 0)
		return false;
	reply[n] = '\0';
	r = strstr(reply, "\"result\":");
	if (r == NULL) {
		printf("    %s: no result in %s\n", cmd, reply);
		return false;
	}
	*result = (int)strtol(r + strlen("\"result\":"), NULL, 10);
	return true;
}

/* The /mana_sim/ commands over the primary's telemetry socket, good and garbage. */
static bool
test_telemetry(void)
{
	static const struct {
		const char *cmd;
		int result;
	} cmds[] = {
		{ "/mana_sim/list,x", -EINVAL },
		{ "/mana_sim/info", -EINVAL },
		{ "/mana_sim/info,", -EINVAL },
		{ "/mana_sim/info,7870:00:1f.7", -ENODEV },
		{ "/mana_sim/info," T_FN_TEL ",1", -EINVAL },
		{ "/mana_sim/reset", -EINVAL },
		{ "/mana_sim/reset," T_FN_TEL ",abc", -EINVAL },
		{ "/mana_sim/reset," T_FN_TEL ",1,2", -EINVAL },
		{ "/mana_sim/reset," T_FN_TEL ",-1", -EINVAL },
		{ "/mana_sim/reset," T_FN_TEL ",99999999999999999999", -EINVAL },
		{ "/mana_sim/reset,,10", -EINVAL },
		{ "/mana_sim/reset,,,,,,,,", -EINVAL },
		{ "/mana_sim/reset,7870:00:1f.7", -ENODEV },
		{ "/mana_sim/remove," T_FN_TEL ",1", -EINVAL },
		{ "/mana_sim/fail_open," T_FN_TEL, -EINVAL },
		{ "/mana_sim/fail_open," T_FN_TEL ",-", -EINVAL },
		{ "/mana_sim/fail_open," T_FN_TEL ",3x", -EINVAL },
		{ "/mana_sim/fail_open," T_FN_TEL ",4294967296", -EINVAL },
		{ "/mana_sim/fatal_in_recovery," T_FN_TEL, -EINVAL },
		{ "/mana_sim/fatal_in_recovery," T_FN_TEL ",1,2,3", -EINVAL },
		{ "/mana_sim/event_delay," T_FN_TEL, -EINVAL },
		{ "/mana_sim/event_delay," T_FN_TEL ",1e3", -EINVAL },
		{ "/mana_sim/netdev", -EINVAL },
		{ "/mana_sim/netdev,nosuchif0,up", -ENODEV },
		{ "/mana_sim/event_delay," T_FN_TEL ",10", 0 },
		{ "/mana_sim/fatal_in_recovery," T_FN_TEL ",10", 0 },
		{ "/mana_sim/fatal_in_recovery," T_FN_TEL ",10,20", 0 },
		{ "/mana_sim/fail_open," T_FN_TEL ",1", 0 },
	};
	const struct t_port_conf conf = { .bdf = T_FN_TEL, .n_txq = 1, .tx_desc = 64 };
	static char reply[16384];
	char cmd[600], ifname[IF_NAMESIZE];
	struct ibv_context *ctx = NULL;
	struct mana_sim_stats st;
	struct t_port *p = NULL;
	unsigned int i;
	int fd = -1, result;
	bool ok = false;

	CHECK(t_eal_up, "EAL is not initialised");
	fd = t_tel_connect();
	CHECK(fd >= 0, "telemetry socket");
	CHECK(t_tel_cmd(fd, "/mana_sim/list", &result, reply, sizeof(reply)) && result == 0 &&
	      strstr(reply, T_FN_TEL) != NULL, "list: %s", reply);
	CHECK(t_tel_cmd(fd, "/mana_sim/info," T_FN_TEL, &result, reply, sizeof(reply)) &&
	      result == 0 && strstr(reply, "\"state\":\"up\"") != NULL &&
	      strstr(reply, "\"engine_sleeps\"") != NULL, "info: %s", reply);

	/* The kernel netdev of port 1: up and down, EBUSY while a PD holds its vport. */
	ctx = t_open_raw(T_FN_TEL);
	CHECK(ctx != NULL && t_port_ifname(ctx, 1, ifname, sizeof(ifname)), "netdev of port 1");
	snprintf(cmd, sizeof(cmd), "/mana_sim/netdev,%s,sideways", ifname);
	CHECK(t_tel_cmd(fd, cmd, &result, reply, sizeof(reply)) && result == -EINVAL,
	      "%s: %s", cmd, reply);
	snprintf(cmd, sizeof(cmd), "/mana_sim/netdev,%s,up", ifname);
	CHECK(t_tel_cmd(fd, cmd, &result, reply, sizeof(reply)) && result == 0, "%s: %s", cmd,
	      reply);
	snprintf(cmd, sizeof(cmd), "/mana_sim/netdev,%s,down", ifname);
	CHECK(t_tel_cmd(fd, cmd, &result, reply, sizeof(reply)) && result == 0, "%s: %s", cmd,
	      reply);
	p = t_port_open(&conf);
	CHECK(p != NULL, "port holding the vport");
	snprintf(cmd, sizeof(cmd), "/mana_sim/netdev,%s,up", ifname);
	CHECK(t_tel_cmd(fd, cmd, &result, reply, sizeof(reply)) && result == -EBUSY &&
	      strstr(reply, "\"error\"") != NULL, "%s while held: %s", cmd, reply);
	t_port_close(p);
	p = NULL;
	CHECK(t_tel_cmd(fd, cmd, &result, reply, sizeof(reply)) && result == 0,
	      "%s after release: %s", cmd, reply);
	snprintf(cmd, sizeof(cmd), "/mana_sim/netdev,%s,down", ifname);
	CHECK(t_tel_cmd(fd, cmd, &result, reply, sizeof(reply)) && result == 0, "%s: %s", cmd,
	      reply);
	CHECK(ibv_close_device(ctx) == 0, "close");
	ctx = NULL;

	for (i = 0; i < RTE_DIM(cmds); i++) {
		CHECK(t_tel_cmd(fd, cmds[i].cmd, &result, reply, sizeof(reply)), "%s", cmds[i].cmd);
		CHECK(result == cmds[i].result, "%s: %s", cmds[i].cmd, reply);
		CHECK(result == 0 || strstr(reply, "\"error\"") != NULL, "%s: no error text: %s",
		      cmds[i].cmd, reply);
	}
	snprintf(cmd, sizeof(cmd), "/mana_sim/reset,%0500d", 7);
	CHECK(t_tel_cmd(fd, cmd, &result, reply, sizeof(reply)) && result == -EINVAL,
	      "long parameters: %s", reply);

	/* The injected fail_open takes effect. */
	CHECK(t_open_raw(T_FN_TEL) == NULL && errno == EIO, "open after fail_open");
	ctx = t_open_raw(T_FN_TEL);
	CHECK(ctx != NULL, "second open");
	CHECK(t_tel_cmd(fd, "/mana_sim/reset," T_FN_TEL ",5000", &result, reply, sizeof(reply)) &&
	      result == 0, "reset: %s", reply);
	CHECK(t_tel_cmd(fd, "/mana_sim/info," T_FN_TEL, &result, reply, sizeof(reply)) &&
	      result == 0 && strstr(reply, "\"state\":\"down\"") != NULL &&
	      strstr(reply, "\"resets\":1") != NULL, "info after reset: %s", reply);
	CHECK(t_tel_cmd(fd, "/mana_sim/remove," T_FN_TEL, &result, reply, sizeof(reply)) &&
	      result == 0, "remove: %s", reply);
	CHECK(t_tel_cmd(fd, "/mana_sim/remove," T_FN_TEL, &result, reply, sizeof(reply)) &&
	      result == -ENODEV, "second remove: %s", reply);
	CHECK(t_stats(T_FN_TEL, &st) && st.state == MANA_SIM_DEV_REMOVED, "state %d",
	      (int)st.state);
	ok = true;
out:
	t_port_close(p);
	if (fd >= 0)
		close(fd);
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Misuse                                                              */
/* ------------------------------------------------------------------ */

/* NULL, stale, foreign and wrongly typed handles: EINVAL, never a crash. */
static bool
test_api(void)
{
	static uint8_t mem[8192] __rte_aligned(4096);
	struct ibv_context *ctx = NULL, *ctx2 = NULL, *ctx3 = NULL;
	struct ibv_pd *pd = NULL, *pd2 = NULL, *pdom = NULL, *pdom2 = NULL, *pd3;
	struct ibv_cq *cq = NULL, *cq2 = NULL, *cq3 = NULL, *cqx = NULL;
	struct ibv_wq *wq = NULL, *wq2 = NULL, *table[1];
	struct ibv_qp *qp = NULL;
	struct ibv_mr *mr;
	struct ibv_rwq_ind_table *ind2 = NULL;
	struct ibv_rwq_ind_table_init_attr ta;
	struct ibv_qp_init_attr_ex xa;
	struct manadv_ctx_allocators al = { t_buf_alloc, t_buf_free, NULL };
	struct ibv_device_attr da;
	struct ibv_async_event ev;
	struct manadv_obj obj;
	struct manadv_cq dv_cq;
	struct manadv_rwq dv_wq;
	struct manadv_qp dv_qp;
	struct t_objs o3 = { 0 };
	struct mana_sim_stats st0, st;
	int64_t bufs0 = t_bufs_outstanding(), bufs1;
	bool ok = false;

	/* NULL. */
	errno = 0;
	CHECK(ibv_open_device(NULL) == NULL && errno == EINVAL, "open_device(NULL)");
	CHECK(ibv_alloc_pd(NULL) == NULL && errno == EINVAL, "alloc_pd(NULL)");
	CHECK(ibv_create_cq(NULL, 64, NULL, NULL, 0) == NULL && errno == EINVAL,
	      "create_cq(NULL)");
	CHECK(ibv_reg_mr(NULL, mem, 16, IBV_ACCESS_LOCAL_WRITE) == NULL && errno == EINVAL,
	      "reg_mr(NULL)");
	CHECK(ibv_dealloc_pd(NULL) == EINVAL && ibv_destroy_cq(NULL) == EINVAL &&
	      ibv_destroy_qp(NULL) == EINVAL && ibv_dereg_mr(NULL) == EINVAL, "destroy(NULL)");
	CHECK(manadv_set_context_attr(NULL, MANADV_CTX_ATTR_BUF_ALLOCATORS, &al) == EINVAL,
	      "set_context_attr(NULL)");
	memset(&obj, 0, sizeof(obj));
	obj.cq.out = &dv_cq;
	CHECK(manadv_init_obj(&obj, MANADV_OBJ_CQ) == EINVAL, "init_obj(NULL CQ)");
	CHECK(ibv_get_async_event(NULL, &ev) == -1 && errno == EINVAL, "get_async_event(NULL)");
	CHECK(ibv_query_device(NULL, &da) == EINVAL, "query_device(NULL)");

	ctx = t_open_raw(T_FN_API);
	ctx2 = t_open_raw(T_FN_API);
	CHECK(ctx != NULL && ctx2 != NULL, "open");
	CHECK(t_set_allocators(ctx) == 0 && t_set_allocators(ctx2) == 0, "allocators");
	pd = ibv_alloc_pd(ctx);
	pd2 = ibv_alloc_pd(ctx2);
	CHECK(pd != NULL && pd2 != NULL, "PDs");
	pdom = t_parent(ctx, pd, 1);
	pdom2 = t_parent(ctx2, pd2, 2);
	cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	cq2 = ibv_create_cq(ctx2, 64, NULL, NULL, 0);
	cqx = ibv_create_cq(ctx2, 64, NULL, NULL, 0);
	CHECK(pdom != NULL && pdom2 != NULL && cq != NULL && cq2 != NULL && cqx != NULL,
	      "objects");

	/* Wrongly typed handles. */
	CHECK(ibv_reg_mr((struct ibv_pd *)ctx, mem, 16, IBV_ACCESS_LOCAL_WRITE) == NULL &&
	      errno == EINVAL, "a context as a PD");
	CHECK(ibv_dealloc_pd((struct ibv_pd *)cq) == EINVAL, "a CQ as a PD");
	CHECK(ibv_destroy_cq((struct ibv_cq *)pd) == EINVAL, "a PD as a CQ");
	CHECK(ibv_destroy_qp((struct ibv_qp *)cq) == EINVAL, "a CQ as a QP");
	CHECK(ibv_dereg_mr((struct ibv_mr *)pd) == EINVAL, "a PD as an MR");
	/* Inline verbs dispatch through ->context, the first member of each object. */
	CHECK(ibv_destroy_wq((struct ibv_wq *)cq) == EINVAL, "a CQ as a WQ");
	CHECK(ibv_destroy_rwq_ind_table((struct ibv_rwq_ind_table *)cq) == EINVAL,
	      "a CQ as an indirection table");
	CHECK(t_wq(ctx, pdom, (struct ibv_cq *)pd) == NULL && errno == EINVAL, "a PD as a CQ");
	obj.cq.in = (struct ibv_cq *)pd;
	CHECK(manadv_init_obj(&obj, MANADV_OBJ_CQ) == EINVAL, "init_obj(a PD as a CQ)");
	memset(&obj, 0, sizeof(obj));
	obj.qp.in = (struct ibv_qp *)cq;
	obj.qp.out = &dv_qp;
	CHECK(manadv_init_obj(&obj, MANADV_OBJ_QP) == EINVAL, "init_obj(a CQ as a QP)");
	memset(&obj, 0, sizeof(obj));
	obj.rwq.in = (struct ibv_wq *)cq;
	obj.rwq.out = &dv_wq;
	CHECK(manadv_init_obj(&obj, MANADV_OBJ_RWQ) == EINVAL, "init_obj(a CQ as a WQ)");

	/* Objects of another context. */
	CHECK(t_wq(ctx, pdom, cq2) == NULL && errno == EINVAL, "WQ with a CQ of another context");
	CHECK(t_raw_qp(pdom, cq2) == NULL && errno == EINVAL, "QP with a CQ of another context");
	memset(&xa, 0, sizeof(xa));
	xa.qp_type = IBV_QPT_RAW_PACKET;
	xa.comp_mask = IBV_QP_INIT_ATTR_PD;
	xa.pd = pdom2;
	xa.send_cq = cq;
	xa.recv_cq = cq;
	xa.cap.max_send_wr = 64;
	xa.cap.max_send_sge = 1;
	CHECK(ibv_create_qp_ex(ctx, &xa) == NULL && errno == EINVAL,
	      "QP with a PD of another context");
	wq = t_wq(ctx, pdom, cq);
	wq2 = t_wq(ctx2, pdom2, cq2);
	CHECK(wq != NULL && wq2 != NULL, "WQs");
	memset(&ta, 0, sizeof(ta));
	ta.ind_tbl = table;
	table[0] = wq2;
	CHECK(ibv_create_rwq_ind_table(ctx, &ta) == NULL && errno == EINVAL,
	      "table with a WQ of another context");
	table[0] = (struct ibv_wq *)cq;
	CHECK(ibv_create_rwq_ind_table(ctx, &ta) == NULL && errno == EINVAL,
	      "table with a CQ as a WQ");
	table[0] = wq2;
	ind2 = ibv_create_rwq_ind_table(ctx2, &ta);
	CHECK(ind2 != NULL, "table on ctx2");
	CHECK(t_rss_qp_mask(ctx, pdom, ind2, 0) == NULL && errno == EINVAL,
	      "RSS QP with a table of another context");

	/* Stale handles: a second destroy, use after destroy. */
	mr = ibv_reg_mr(pd, mem, 100, IBV_ACCESS_LOCAL_WRITE);
	CHECK(mr != NULL && ibv_dereg_mr(mr) == 0 && ibv_dereg_mr(mr) == EINVAL, "dereg twice");
	cq3 = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	CHECK(cq3 != NULL && ibv_destroy_cq(cq3) == 0 && ibv_destroy_cq(cq3) == EINVAL,
	      "destroy a CQ twice");
	memset(&obj, 0, sizeof(obj));
	obj.cq.in = cq3;
	obj.cq.out = &dv_cq;
	CHECK(manadv_init_obj(&obj, MANADV_OBJ_CQ) == EINVAL, "init_obj(destroyed CQ)");
	CHECK(t_raw_qp(pdom, cq3) == NULL && errno == EINVAL, "QP on a destroyed CQ");
	cq3 = NULL;
	qp = t_raw_qp(pdom, cq);
	CHECK(qp != NULL && ibv_destroy_qp(qp) == 0 && ibv_destroy_qp(qp) == EINVAL,
	      "destroy a QP twice");
	qp = NULL;
	pd3 = ibv_alloc_pd(ctx);
	CHECK(pd3 != NULL && ibv_dealloc_pd(pd3) == 0 && ibv_dealloc_pd(pd3) == EINVAL,
	      "dealloc a PD twice");
	CHECK(ibv_reg_mr(pd3, mem, 16, IBV_ACCESS_LOCAL_WRITE) == NULL && errno == EINVAL,
	      "reg_mr on a deallocated PD");

	/* Closing a context with everything in it frees everything. */
	bufs1 = t_bufs_outstanding();
	CHECK(t_stats(T_FN_API, &st0), "stats");
	ctx3 = t_open_raw(T_FN_API);
	CHECK(ctx3 != NULL, "third context");
	CHECK(t_objs_create(ctx3, 1, mem, sizeof(mem), &o3), "objects on ctx3: %s",
	      strerror(errno));
	CHECK(ibv_close_device(ctx3) == 0, "close with objects");
	CHECK(t_bufs_outstanding() == bufs1, "%" PRId64 " queue buffers of ctx3 not freed",
	      t_bufs_outstanding() - bufs1);
	CHECK(t_stats(T_FN_API, &st) && st.objects == st0.objects &&
	      st.open_contexts == st0.open_contexts, "objects %u, were %u; contexts %u, were %u",
	      st.objects, st0.objects, st.open_contexts, st0.open_contexts);
	CHECK(ibv_destroy_qp(o3.rss) == EINVAL && ibv_destroy_qp(o3.qp) == EINVAL &&
	      ibv_destroy_cq(o3.cq) == EINVAL && ibv_dereg_mr(o3.mr) == EINVAL &&
	      ibv_dealloc_pd(o3.pdom) == EINVAL && ibv_dealloc_pd(o3.pd) == EINVAL,
	      "objects of a closed context");
	memset(&o3, 0, sizeof(o3));
	CHECK(ibv_alloc_pd(ctx3) == NULL && errno == EINVAL, "alloc_pd on a closed context");
	CHECK(ibv_query_device(ctx3, &da) == EINVAL, "query_device on a closed context");
	CHECK(ibv_get_async_event(ctx3, &ev) == -1 && errno == EINVAL,
	      "get_async_event on a closed context");
	CHECK(ibv_close_device(ctx3) == 0, "close twice");
	ctx3 = NULL;
	/* Its vport went with it (a new CQ: the first QP consumed cq's region). */
	cq3 = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	CHECK(cq3 != NULL, "CQ");
	qp = t_raw_qp(pdom, cq3);
	CHECK(qp != NULL, "RAW QP on port 1 after ctx3 closed: %s", strerror(errno));
	ok = true;
out:
	if (ctx3 != NULL)
		ibv_close_device(ctx3);
	if (qp != NULL)
		ibv_destroy_qp(qp);
	if (ind2 != NULL)
		ibv_destroy_rwq_ind_table(ind2);
	if (wq != NULL)
		ibv_destroy_wq(wq);
	if (wq2 != NULL)
		ibv_destroy_wq(wq2);
	if (ctx != NULL)
		ibv_close_device(ctx);
	if (ctx2 != NULL)
		ibv_close_device(ctx2);
	if (ok && t_bufs_outstanding() != bufs0) {
		printf("    %" PRId64 " queue buffers not freed\n", t_bufs_outstanding() - bufs0);
		ok = false;
	}
	return ok;
}

/* ------------------------------------------------------------------ */
/* Main                                                                */
/* ------------------------------------------------------------------ */

static const struct t_case t_cases[] = {
	{ "loopback", test_loopback },
	{ "multiseg", test_multiseg },
	{ "no_lost_doorbells", test_no_lost_doorbells },
	{ "recovery_waits_for_writer", test_recovery_waits_for_writer },
	{ "rss_spread", test_rss_spread },
	{ "errors", test_errors },
	{ "rx_drops", test_rx_drops },
	{ "coalescing", test_coalescing },
	{ "vlan", test_vlan },
	{ "short_oob_word", test_short_oob_word },
	{ "suppression", test_suppression },
	{ "checksums", test_checksums },
	{ "two_ports", test_two_ports },
	{ "revocation", test_revocation },
	{ "faults", test_faults },
	{ "uevents", test_uevents },
	{ "uevent_sockets_reused", test_uevent_sockets_reused },
	{ "schedule", test_schedule },
	{ "fork_exit", test_fork_exit },
	{ "secondary", test_secondary },
	{ "rename", test_rename },
	{ "wire", test_wire },
	{ "idle_engine", test_idle_engine },
	{ "telemetry", test_telemetry },
	{ "api", test_api },
	{ "throughput", test_throughput },
};

struct t_child_case {
	const char *name;
	int (*fn)(void);
};

static const struct t_child_case t_child_cases[] = {
	{ "schedule", t_child_schedule },
	{ "realistic", t_child_realistic },
	{ "fork_exit", t_child_fork_exit },
	{ "rename", t_child_rename },
};

static int
t_child_main(const char *name, const char *arg)
{
	unsigned int i;

	if (strcmp(name, "secondary") == 0)
		return t_child_secondary(arg);
	for (i = 0; i < RTE_DIM(t_child_cases); i++)
		if (strcmp(t_child_cases[i].name, name) == 0)
			return t_child_cases[i].fn();
	printf("    unknown child case %s\n", name);
	return 2;
}

/* EAL for the telemetry socket; the main thread then runs on every CPU again. */
static char *
t_eal_init(const char *argv0)
{
	char prefix[64];
	char *eal_argv[] = {
		(char *)argv0, (char *)"--no-huge", (char *)"-m", (char *)"64",
		(char *)"--no-pci", (char *)"-l", (char *)"0", prefix, NULL,
	};
	cpu_set_t all;
	long i, ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	snprintf(prefix, sizeof(prefix), "--file-prefix=test_vf_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal_argv) - 1, eal_argv) < 0) {
		printf("EAL init failed\n");
		return NULL;
	}
	t_eal_up = true;
	if (getenv("T_VF_DEBUG") != NULL)
		rte_log_set_level_pattern("mana_sim*", RTE_LOG_DEBUG);
	CPU_ZERO(&all);
	for (i = 0; i < ncpu && i < CPU_SETSIZE; i++)
		CPU_SET((size_t)i, &all);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	return strdup(rte_eal_get_runtime_dir());
}

int
main(int argc, char **argv)
{
	static const char *const fns[] = {
		T_FN_DATA, T_FN_FAULTS, T_FN_WIRE_A, T_FN_WIRE_B, T_FN_TEL, T_FN_REVOKE, T_FN_API,
	};
	struct mana_sim_stats st;
	char *runtime_dir;
	unsigned int i;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!t_harness_init(argv[0], "ut_vf")) {
		printf("the software MANA VF is not loaded (LD_PRELOAD=libmana_sim.so)\n");
		return 1;
	}
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "--child") == 0)
		return t_child_main(argv[2], argc == 4 ? argv[3] : NULL);
	for (i = 0; i < RTE_DIM(fns); i++) {
		if (t_get_stats(fns[i], &st) != 0) {
			printf("MANA_SIM has no PCI function %s: see tests/unit/meson.build\n",
			       fns[i]);
			return 1;
		}
	}
	runtime_dir = t_eal_init(argv[0]);
	ret = t_run_cases(t_cases, RTE_DIM(t_cases), argc, argv, "cases", NULL);
	if (t_eal_up)
		rte_eal_cleanup();
	if (runtime_dir != NULL) {
		t_rm_tree(runtime_dir);
		free(runtime_dir);
	}
	return ret;
}
