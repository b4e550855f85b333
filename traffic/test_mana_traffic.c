/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/* Unit tests of the traffic library (meson test --suite unit). */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "mana_traffic.h"

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
	if (_a != _b) { \
		fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", __FILE__, __LINE__, \
			#a, #b, _a, _b); \
		failures++; \
	} \
} while (0)

/* The Microsoft RSS verification key (also net_mana_mpr's default key). */
static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static void
test_flow(struct mtrf_flow *f, uint16_t flow_id)
{
	memset(f, 0, sizeof(*f));
	f->src_ip = RTE_IPV4(10, 1, 2, 3);
	f->dst_ip = RTE_IPV4(10, 255, 0, 1);
	f->sport = 4000;
	f->dport = 5000;
	f->proc_id = 7;
	f->flow_id = flow_id;
	f->src_mac.addr_bytes[0] = 0x02;
	f->src_mac.addr_bytes[5] = 0x01;
	f->dst_mac.addr_bytes[0] = 0x02;
	f->dst_mac.addr_bytes[5] = 0x02;
}

static void
test_frame(void)
{
	static const uint32_t sizes[] = { 0, 64, 66, 67, 128, 1000, 1514, 4000 };
	uint8_t buf[MTRF_MAX_FRAME];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(buf + 34);
	struct mtrf_flow f;
	struct mtrf_stamp st;
	unsigned int i;

	test_flow(&f, 3);
	CHECK_EQ(MTRF_MIN_FRAME, 66);
	for (i = 0; i < RTE_DIM(sizes); i++) {
		uint32_t len = mtrf_frame_len(sizes[i]);

		CHECK(len >= 64 && len >= sizes[i]);
		memset(buf, 0xee, sizeof(buf));
		mtrf_fill(buf, len, &f, 1000 + i, 42);
		CHECK_EQ(rte_be_to_cpu_16(ip->total_length), len - 14);
		CHECK_EQ(rte_be_to_cpu_16(udp->dgram_len), len - 34);
		CHECK_EQ(udp->dgram_cksum, 0);
		CHECK_EQ(rte_be_to_cpu_32(ip->src_addr), f.src_ip);
		CHECK_EQ(rte_be_to_cpu_16(udp->src_port), f.sport);
		/* A correct header sums to 0xffff (ones' complement). */
		CHECK_EQ(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
		memcpy(&st, buf + MTRF_STAMP_OFF, sizeof(st));
		CHECK(memcmp(buf + MTRF_STAMP_OFF, "MTRF", 4) == 0);
		CHECK_EQ(st.proc_id, 7);
		CHECK_EQ(st.flow_id, 3);
		CHECK_EQ(st.seq, 1000 + i);
		CHECK_EQ(st.tx_tsc, 42);
		CHECK_EQ(buf[len], 0xee);	/* nothing written past the frame */
	}
}

static void
test_build_parse(struct rte_mempool *mp)
{
	struct mtrf_flow f, seen;
	struct mtrf_stamp st;
	uint8_t ref[MTRF_MAX_FRAME], copy[MTRF_MAX_FRAME];
	struct rte_mbuf *m, *s;
	uint16_t segs;
	unsigned int avail = rte_mempool_avail_count(mp);

	test_flow(&f, 9);
	for (segs = 1; segs <= 5; segs++) {
		uint32_t size = 300 + segs;
		const uint8_t *p;

		m = mtrf_build(mp, &f, 77 + segs, 5, size, segs);
		CHECK(m != NULL);
		if (m == NULL)
			continue;
		CHECK_EQ(m->nb_segs, segs);
		CHECK_EQ(m->pkt_len, size);
		for (s = m; s != NULL; s = s->next)
			CHECK(s->data_len >= size / segs && s->data_len <= size / segs + 1);
		mtrf_fill(ref, size, &f, 77 + segs, 5);
		p = rte_pktmbuf_read(m, 0, size, copy);
		CHECK(p != NULL && memcmp(p, ref, size) == 0);
		CHECK_EQ(mtrf_parse(m, &st, &seen, true), MTRF_PARSE_OK);
		CHECK_EQ(st.seq, 77 + segs);
		CHECK_EQ(st.flow_id, 9);
		CHECK_EQ(seen.sport, f.sport);
		CHECK_EQ(seen.dst_ip, f.dst_ip);
		/* Corrupt the last padding byte (in the last segment). */
		s = rte_pktmbuf_lastseg(m);
		rte_pktmbuf_mtod(s, uint8_t *)[s->data_len - 1] ^= 1;
		CHECK_EQ(mtrf_parse(m, &st, NULL, true), MTRF_PARSE_CORRUPT);
		CHECK_EQ(mtrf_parse(m, &st, NULL, false), MTRF_PARSE_OK);
		rte_pktmbuf_free(m);
	}

	/* Bad magic, not IP, truncated. */
	m = mtrf_build(mp, &f, 1, 0, 128, 1);
	CHECK(m != NULL);
	if (m != NULL) {
		rte_pktmbuf_mtod_offset(m, uint8_t *, MTRF_STAMP_OFF)[0] = 'X';
		CHECK_EQ(mtrf_parse(m, &st, NULL, false), MTRF_PARSE_BAD_MAGIC);
		rte_pktmbuf_mtod_offset(m, uint8_t *, 12)[0] = 0x86;	/* ethertype */
		CHECK_EQ(mtrf_parse(m, &st, NULL, false), MTRF_PARSE_NOT_IP);
		rte_pktmbuf_trim(m, 128 - 60);
		CHECK_EQ(mtrf_parse(m, &st, NULL, false), MTRF_PARSE_NOT_IP);
		rte_pktmbuf_free(m);
	}
	/* Impossible requests. */
	CHECK(mtrf_build(mp, &f, 1, 0, 100, 0) == NULL);
	CHECK(mtrf_build(mp, &f, 1, 0, MTRF_MAX_FRAME + 1, 1) == NULL);
	CHECK(mtrf_build(mp, &f, 1, 0, 3000, 1) == NULL);	/* larger than one mbuf */
	CHECK_EQ(rte_mempool_avail_count(mp), avail);		/* nothing leaked */
}

static void
test_rss(void)
{
	struct mtrf_rss rss;
	struct mtrf_flow f;
	uint16_t q, nq;

	/* Microsoft's verification vector: 66.9.149.187:2794 -> 161.142.100.80:1766. */
	memset(&f, 0, sizeof(f));
	f.src_ip = RTE_IPV4(66, 9, 149, 187);
	f.dst_ip = RTE_IPV4(161, 142, 100, 80);
	f.sport = 2794;
	f.dport = 1766;
	mtrf_rss_init(&rss, ms_key, sizeof(ms_key), RTE_ETH_RSS_IPV4, 64, 4);
	CHECK_EQ(mtrf_rss_hash(&rss, &f), 0x323e8fc2);
	mtrf_rss_init(&rss, ms_key, sizeof(ms_key),
		      RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP, 64, 4);
	CHECK_EQ(mtrf_rss_hash(&rss, &f), 0x51ccc178);
	CHECK_EQ(mtrf_rss_queue(&rss, &f), rss.reta[0x51ccc178 % 64]);
	mtrf_rss_init(&rss, ms_key, sizeof(ms_key), 0, 64, 4);
	CHECK_EQ(mtrf_rss_hash(&rss, &f), 0);

	/* Steering reaches every queue. */
	for (nq = 1; nq <= 16; nq *= 2) {
		mtrf_rss_init(&rss, ms_key, sizeof(ms_key),
			      RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP, 64, nq);
		for (q = 0; q < nq; q++) {
			test_flow(&f, q);
			CHECK_EQ(mtrf_flow_steer(&rss, &f, q, 65530), 0);
			CHECK(f.sport >= 1024);
			CHECK_EQ(mtrf_rss_queue(&rss, &f), q);
		}
		test_flow(&f, 0);
		CHECK(mtrf_flow_steer(&rss, &f, nq, 1024) == -ENOENT);
	}
	/* L3-only hashing: the source port cannot steer. */
	mtrf_rss_init(&rss, ms_key, sizeof(ms_key), RTE_ETH_RSS_IPV4, 64, 4);
	test_flow(&f, 0);
	q = mtrf_rss_queue(&rss, &f);
	CHECK_EQ(mtrf_flow_steer(&rss, &f, q, 1024), 0);
	CHECK(mtrf_flow_steer(&rss, &f, (q + 1) % 4, 1024) == -ENOENT);
}

static void
test_sink_basic(void)
{
	struct mtrf_sink *sink = mtrf_sink_create(4, 1024, false);
	const struct mtrf_flow_counts *c;
	struct mtrf_sink_totals t;
	uint64_t s;
	int a, b;

	CHECK(sink != NULL);
	if (sink == NULL)
		return;
	CHECK(mtrf_sink_create(4, 1000, false) == NULL);	/* not a power of two */
	a = mtrf_sink_add_flow(sink, 1, 0, 0);
	b = mtrf_sink_add_flow(sink, 1, 1, 1);
	CHECK_EQ(a, 0);
	CHECK_EQ(b, 1);
	CHECK_EQ(mtrf_sink_add_flow(sink, 1, 1, 1), -EEXIST);
	CHECK_EQ(mtrf_sink_find(sink, 1, 1), 1);
	CHECK_EQ(mtrf_sink_find(sink, 2, 1), -ENOENT);

	/* Flow a: 0..99 in order, except 50 lost, 60 twice, 70 after 75. */
	for (s = 0; s < 100; s++) {
		if (s == 50 || s == 70)
			continue;
		CHECK_EQ(mtrf_sink_account(sink, 1, 0, s, 0, 10), 0);
		if (s == 60)
			mtrf_sink_account(sink, 1, 0, s, 0, 10);
		if (s == 75)
			mtrf_sink_account(sink, 1, 0, 70, 0, 30);
	}
	c = mtrf_sink_counts(sink, a);
	CHECK_EQ(c->received, 100);
	CHECK_EQ(c->unique, 99);
	CHECK_EQ(c->dup, 1);
	CHECK_EQ(c->reordered, 1);
	CHECK_EQ(c->highest, 99);
	CHECK_EQ(c->wrong_queue, 0);
	CHECK_EQ(c->lat_max, 30);
	CHECK_EQ(c->lat_sum, 98 * 10 + 30);
	/* Flow b arrives on the wrong queue. */
	mtrf_sink_account(sink, 1, 1, 0, 0, 0);
	CHECK_EQ(mtrf_sink_counts(sink, b)->wrong_queue, 1);
	/* Unknown flow. */
	CHECK_EQ(mtrf_sink_account(sink, 9, 9, 0, 0, 0), -ENOENT);
	mtrf_sink_totals(sink, &t);
	CHECK_EQ(t.unknown_flow, 1);
	CHECK_EQ(t.bad, 1);
	mtrf_sink_free(sink);
}

static void
test_sink_window(void)
{
	const uint32_t w = 256;
	struct mtrf_sink *sink = mtrf_sink_create(2, w, false);
	const struct mtrf_flow_counts *c;
	uint64_t s;

	CHECK(sink != NULL);
	if (sink == NULL)
		return;
	mtrf_sink_add_flow(sink, 0, 0, UINT16_MAX);
	c = mtrf_sink_counts(sink, 0);
	/* Many windows worth of traffic: every ring slot is reused. */
	for (s = 0; s < 10 * w; s++)
		mtrf_sink_account(sink, 0, 0, s, 3, 0);
	CHECK_EQ(c->unique, 10 * w);
	CHECK_EQ(c->dup, 0);
	CHECK_EQ(c->wrong_queue, 0);
	/* Inside the window: a duplicate. */
	mtrf_sink_account(sink, 0, 0, 10 * w - w, 0, 0);
	CHECK_EQ(c->dup, 1);
	/* Below the window: too old. */
	mtrf_sink_account(sink, 0, 0, 10 * w - w - 1, 0, 0);
	CHECK_EQ(c->too_old, 1);
	CHECK_EQ(c->dup, 1);
	/* A jump of more than a window forgets everything below it. */
	mtrf_sink_account(sink, 0, 0, 100 * w, 0, 0);
	CHECK_EQ(c->unique, 10 * w + 1);
	mtrf_sink_account(sink, 0, 0, 100 * w - 5, 0, 0);	/* late, unique, reordered */
	CHECK_EQ(c->unique, 10 * w + 2);
	CHECK_EQ(c->reordered, 2);
	mtrf_sink_account(sink, 0, 0, 100 * w - 5, 0, 0);
	CHECK_EQ(c->dup, 2);
	/* Partial slide: half a window up; the upper half is still remembered. */
	mtrf_sink_account(sink, 0, 0, 100 * w + w / 2, 0, 0);
	mtrf_sink_account(sink, 0, 0, 100 * w, 0, 0);
	CHECK_EQ(c->dup, 3);
	mtrf_sink_account(sink, 0, 0, 100 * w + 1, 0, 0);
	CHECK_EQ(c->dup, 3);
	mtrf_sink_free(sink);
}

static void
test_sink_rx(struct rte_mempool *mp)
{
	struct mtrf_sink *sink = mtrf_sink_create(8, 0, true);
	struct mtrf_sink_totals t;
	struct mtrf_flow f;
	struct rte_mbuf *m;
	uint64_t s;

	CHECK(sink != NULL);
	if (sink == NULL)
		return;
	test_flow(&f, 2);
	mtrf_sink_add_flow(sink, f.proc_id, f.flow_id, 1);
	for (s = 0; s < 20; s++) {
		m = mtrf_build(mp, &f, s, 100, 200, (uint16_t)(1 + s % 3));
		CHECK(m != NULL);
		if (m == NULL)
			continue;
		if (s == 7)
			rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 8)[0] ^= 0x40; /* IP ttl */
		CHECK_EQ(mtrf_sink_rx(sink, m, 1, 150), s == 7 ? MTRF_PARSE_CORRUPT :
			 MTRF_PARSE_OK);
		rte_pktmbuf_free(m);
	}
	CHECK_EQ(mtrf_sink_counts(sink, 0)->unique, 19);
	CHECK_EQ(mtrf_sink_counts(sink, 0)->received, 20);
	CHECK_EQ(mtrf_sink_counts(sink, 0)->corrupt, 1);
	CHECK_EQ(mtrf_sink_counts(sink, 0)->lat_max, 50);
	f.flow_id = 3;	/* not declared */
	m = mtrf_build(mp, &f, 0, 0, 64, 1);
	CHECK(m != NULL);
	if (m != NULL) {
		mtrf_sink_rx(sink, m, 1, 0);
		rte_pktmbuf_free(m);
	}
	mtrf_sink_totals(sink, &t);
	CHECK_EQ(t.corrupt, 1);
	CHECK_EQ(t.unknown_flow, 1);
	CHECK_EQ(t.bad, 1);
	mtrf_sink_free(sink);
}

int
main(int argc, char **argv)
{
	char prefix[64], rundir[PATH_MAX];
	char *eal_args[] = {
		argv[0], "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "64",
		"-l", "0", "--log-level=lib.*:error", prefix, NULL,
	};
	struct rte_mempool *mp;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=test_traffic_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal_args) - 1, eal_args) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 2;
	}
	/* Removed after rte_eal_cleanup(), which forgets it. */
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	mp = rte_pktmbuf_pool_create("test_traffic", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "no mempool\n");
		return 2;
	}
	test_frame();
	test_build_parse(mp);
	test_rss();
	test_sink_basic();
	test_sink_window();
	test_sink_rx(mp);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	rmdir(rundir);	/* empty with --no-shconf; best effort */
	if (failures != 0) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test_traffic: all checks passed\n");
	return 0;
}
