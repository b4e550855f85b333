/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Unit tests of the software MANA device, driven the way the PMD drives it:
 * through struct mana_hw_ops only, with WQEs, doorbells and CQEs built and
 * parsed with the driver's own GDMA definitions (mana_gdma.h). The device
 * decodes those formats with its own code, so a disagreement between the two
 * shows up here.
 *
 * Runs in one process (--no-huge). Every wait polls a condition against a
 * deadline. Exit status is non-zero if any case fails.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ftw.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_io.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_tcp.h>
#include <rte_thash.h>
#include <rte_udp.h>

#include "mana_dpdk_compat.h"
#include "sim/mana_sim.h"
#include "drivers/net/mana/mana_hw.h"
#include "drivers/net/mana/mana_gdma.h"

#define T_MAX_Q		8
#define T_BUF_SIZE	2048u
#define T_RX_SLOTS	1024u	/* receive buffers per queue */
#define T_TX_SLOTS	1024u	/* send buffers per queue */
#define T_WAIT_MS	5000u

static const struct mana_hw_ops *ops;

/* The well-known default Toeplitz key. */
static const uint8_t t_rss_key[MANA_HW_RSS_KEY_LEN] __rte_aligned(8) = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		printf("    %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		goto out; \
	} \
} while (0)

static uint64_t
t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
t_now_ms(void)
{
	return t_now_ns() / 1000000ull;
}

/* Let other threads run between two polls of a condition. */
static void
t_poll_pause(void)
{
	usleep(20);
}

/* ------------------------------------------------------------------ */
/* A port as the driver sees it                                        */
/* ------------------------------------------------------------------ */

struct t_queue {		/* send queue or receive WQ */
	struct mana_hw_queue_info info;
	uint32_t head;			/* basic units posted */
	uint8_t *db;			/* this queue's doorbell slot in our mapping */
};

struct t_cq {
	struct mana_hw_queue_info info;
	uint32_t head;			/* starts at count */
};

struct t_port {
	const char *name;
	struct mana_hw_dev *dev;
	struct mana_hw_ctx *ctx;
	struct mana_hw_caps caps;
	uint8_t *db_map;
	struct mana_hw_pd *pd;
	struct mana_hw_mr *mr;
	uint32_t lkey;
	uint8_t *pool;
	size_t pool_size;
	unsigned int n_rxq, n_txq;
	struct mana_hw_cq *rx_cq_obj[T_MAX_Q];
	struct t_cq rx_cq[T_MAX_Q];
	struct mana_hw_wq *wq_obj[T_MAX_Q];
	struct t_queue rq[T_MAX_Q];
	uint64_t rx_posted[T_MAX_Q];	/* receive WQEs posted */
	uint64_t rx_done[T_MAX_Q];	/* receive completions consumed */
	uint32_t rx_bu[T_MAX_Q][T_RX_SLOTS];	/* BU offset of each posted WQE */
	uint32_t rx_len[T_MAX_Q][T_RX_SLOTS];	/* buffer size of each posted WQE */
	struct mana_hw_cq *tx_cq_obj[T_MAX_Q];
	struct t_cq tx_cq[T_MAX_Q];
	struct mana_hw_sq *sq_obj[T_MAX_Q];
	struct t_queue sq[T_MAX_Q];
	uint64_t tx_posted[T_MAX_Q];
	struct mana_hw_rss *rss;
	struct mana_hw_wq *reta[64];
	uint32_t reta_log;
};

struct t_port_conf {
	const char *name;
	const char *args;
	unsigned int n_rxq, n_txq;
	uint32_t rx_desc, tx_desc;
	uint32_t tx_max_sge;
	bool rss;
	uint32_t hash_fields;
};

static uint8_t *
t_rx_buf(struct t_port *p, unsigned int q, uint64_t seq)
{
	return p->pool + ((size_t)q * T_RX_SLOTS + seq % T_RX_SLOTS) * T_BUF_SIZE;
}

static uint8_t *
t_tx_buf(struct t_port *p, unsigned int q, uint64_t seq)
{
	return p->pool + ((size_t)T_MAX_Q * T_RX_SLOTS + (size_t)q * T_TX_SLOTS +
			  seq % T_TX_SLOTS) * T_BUF_SIZE;
}

/* Write a WQE the way the driver does; returns its BU offset in the ring. */
static uint32_t
t_post_wqe(struct t_queue *q, const void *oob, uint32_t oob_len, const struct gdma_sge *sges,
	   uint32_t n_sge)
{
	const struct gdma_sge dummy = { .address = 1, .mem_key = 0, .size = 0 };
	uint32_t oob_size = oob_len > GDMA_INLINE_OOB_SMALL ?
		GDMA_INLINE_OOB_LARGE : GDMA_INLINE_OOB_SMALL;
	uint32_t size = q->info.size;
	uint32_t off = (q->head * GDMA_WQE_BU) & (size - 1);
	uint8_t *ring = q->info.buf;
	struct gdma_wqe_hdr hdr;
	uint32_t sgl, i;

	memset(&hdr, 0, sizeof(hdr));
	hdr.num_sge = n_sge;
	hdr.inline_oob_dwords = oob_size / 4;
	memcpy(ring + off, &hdr, sizeof(hdr));
	memset(ring + off + sizeof(hdr), 0, oob_size);
	if (oob_len > 0)
		memcpy(ring + off + sizeof(hdr), oob, oob_len);
	sgl = off + sizeof(hdr) + oob_size;
	for (i = 0; i < RTE_MAX(1u, n_sge); i++)
		memcpy(ring + ((sgl + i * sizeof(struct gdma_sge)) & (size - 1)),
		       n_sge > 0 ? &sges[i] : &dummy, sizeof(struct gdma_sge));
	q->head += gdma_wqe_size(n_sge, oob_len) / GDMA_WQE_BU;
	return off / GDMA_WQE_BU;
}

static void
t_ring(struct t_queue *q)
{
	rte_write64(gdma_db_value(q->info.id, q->head * GDMA_WQE_BU, 0), q->db);
}

/* Poll up to @max CQEs with the owner-bit rule; -1 on overflow. */
static int
t_poll_cq(struct t_cq *cq, struct gdma_cqe *out, int max)
{
	struct gdma_cqe *ring = cq->info.buf;
	int n = 0;

	while (n < max) {
		const struct gdma_cqe *e = &ring[cq->head % cq->info.count];
		uint32_t new_owner = (cq->head / cq->info.count) & GDMA_CQE_OWNER_MASK;
		uint32_t old_owner = (cq->head / cq->info.count - 1) & GDMA_CQE_OWNER_MASK;
		uint32_t last = rte_atomic_load_explicit(
			(const RTE_ATOMIC(uint32_t) *)((const uint8_t *)e + 60),
			rte_memory_order_acquire);
		struct gdma_cqe copy;

		if ((last >> 29) == old_owner)
			break;
		memcpy(&copy, e, sizeof(copy));
		if (copy.owner_bits != new_owner) {
			printf("    CQ %u overflow: owner %u, expected %u\n", cq->info.id,
			       copy.owner_bits, new_owner);
			return -1;
		}
		out[n++] = copy;
		cq->head++;
	}
	return n;
}

static void
t_tx_oob(const struct t_port *p, unsigned int q, struct mana_tx_short_oob *oob)
{
	memset(oob, 0, sizeof(*oob));
	oob->packet_format = 0;
	oob->is_outer_ipv4 = 1;
	oob->vcq_num = p->tx_cq[q].info.id;
	oob->vsq_frame = (p->sq[q].info.id >> 10) & 0x3fff;
	oob->vport_offset = p->sq[q].info.tx_vp_offset;
}

/* Post receive WQEs of @buf_len bytes (one SGE each) and ring. */
static void
t_rx_post(struct t_port *p, unsigned int q, unsigned int n, uint32_t buf_len, uint32_t lkey)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t seq = p->rx_posted[q]++;
		struct gdma_sge sge = {
			.address = (uintptr_t)t_rx_buf(p, q, seq),
			.mem_key = lkey,
			.size = buf_len,
		};

		p->rx_bu[q][seq % T_RX_SLOTS] = t_post_wqe(&p->rq[q], NULL, 0, &sge, 1);
		p->rx_len[q][seq % T_RX_SLOTS] = buf_len;
	}
	t_ring(&p->rq[q]);
}

/* Copy a frame into the next send buffer of SQ @q and post it (1 SGE); no ring. */
static uint32_t
t_tx_post(struct t_port *p, unsigned int q, const uint8_t *frame, uint32_t len,
	  const struct mana_tx_short_oob *oob_in)
{
	struct mana_tx_short_oob oob;
	uint8_t *buf = t_tx_buf(p, q, p->tx_posted[q]++);
	struct gdma_sge sge = { .address = (uintptr_t)buf, .mem_key = p->lkey, .size = len };

	memcpy(buf, frame, len);
	if (oob_in != NULL)
		oob = *oob_in;
	else
		t_tx_oob(p, q, &oob);
	return t_post_wqe(&p->sq[q], &oob, sizeof(oob), &sge, 1);
}

static void
t_port_close(struct t_port *p)
{
	unsigned int q;

	if (p->rss != NULL)
		ops->destroy_rss(p->rss);
	for (q = 0; q < T_MAX_Q; q++) {
		if (p->sq_obj[q] != NULL)
			ops->destroy_sq(p->sq_obj[q]);
		if (p->wq_obj[q] != NULL)
			ops->destroy_wq(p->wq_obj[q]);
		if (p->tx_cq_obj[q] != NULL)
			ops->destroy_cq(p->tx_cq_obj[q]);
		if (p->rx_cq_obj[q] != NULL)
			ops->destroy_cq(p->rx_cq_obj[q]);
	}
	if (p->mr != NULL)
		ops->dereg_mr(p->mr);
	if (p->pd != NULL)
		ops->dealloc_pd(p->pd);
	if (p->db_map != NULL)
		munmap(p->db_map, p->caps.db_region_size);
	if (p->ctx != NULL)
		ops->close(p->ctx);
	if (p->dev != NULL)
		ops->put_device(p->dev);
	rte_free(p->pool);
	free(p);
}

static int
t_port_rss(struct t_port *p, uint32_t log_size, uint32_t hash_fields, bool reversed)
{
	uint32_t i, n = 1u << log_size;

	for (i = 0; i < n; i++) {
		unsigned int q = reversed ? p->n_rxq - 1 - i % p->n_rxq : i % p->n_rxq;

		p->reta[i] = p->wq_obj[q];
	}
	p->reta_log = log_size;
	return ops->create_rss(p->pd, p->reta, log_size, t_rss_key, hash_fields, &p->rss);
}

/* Device, context, PD, one MR over the buffer pool, queues, optional RSS. */
static struct t_port *
t_port_open(const struct t_port_conf *c)
{
	struct t_port *p = calloc(1, sizeof(*p));
	unsigned int q;
	int fd, ret;
	void *map;

	if (p == NULL)
		return NULL;
	p->name = c->name;
	p->n_rxq = c->n_rxq;
	p->n_txq = c->n_txq;
	ret = ops->get_device(c->name, c->args, &p->dev);
	if (ret != 0) {
		printf("    get_device(%s): %d\n", c->name, ret);
		goto fail;
	}
	ret = ops->open(p->dev, &p->ctx);
	if (ret != 0) {
		printf("    open(%s): %d\n", c->name, ret);
		goto fail;
	}
	if (ops->query(p->ctx, &p->caps) != 0)
		goto fail;
	fd = ops->doorbell_fd(p->ctx);
	map = mmap(NULL, p->caps.db_region_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		goto fail;
	p->db_map = map;
	if (ops->alloc_pd(p->ctx, &p->pd) != 0)
		goto fail;
	p->pool_size = (size_t)T_MAX_Q * (T_RX_SLOTS + T_TX_SLOTS) * T_BUF_SIZE;
	p->pool = rte_zmalloc("t_pool", p->pool_size, 4096);
	if (p->pool == NULL)
		goto fail;
	if (ops->reg_mr(p->pd, p->pool, p->pool_size, &p->mr, &p->lkey) != 0)
		goto fail;
	for (q = 0; q < c->n_rxq; q++) {
		if (ops->create_cq(p->ctx, c->rx_desc, SOCKET_ID_ANY, &p->rx_cq_obj[q],
				   &p->rx_cq[q].info) != 0)
			goto fail;
		p->rx_cq[q].head = p->rx_cq[q].info.count;
		if (ops->create_wq(p->pd, p->rx_cq_obj[q], c->rx_desc, SOCKET_ID_ANY,
				   &p->wq_obj[q], &p->rq[q].info) != 0)
			goto fail;
		p->rq[q].db = p->db_map + p->rq[q].info.db_offset + GDMA_DB_OFFSET_RQ;
	}
	for (q = 0; q < c->n_txq; q++) {
		if (ops->create_cq(p->ctx, c->tx_desc, SOCKET_ID_ANY, &p->tx_cq_obj[q],
				   &p->tx_cq[q].info) != 0)
			goto fail;
		p->tx_cq[q].head = p->tx_cq[q].info.count;
		if (ops->create_sq(p->pd, p->tx_cq_obj[q], c->tx_desc,
				   c->tx_max_sge != 0 ? c->tx_max_sge : 1, SOCKET_ID_ANY,
				   &p->sq_obj[q], &p->sq[q].info) != 0)
			goto fail;
		p->sq[q].db = p->db_map + p->sq[q].info.db_offset + GDMA_DB_OFFSET_SQ;
	}
	if (c->rss && t_port_rss(p, rte_log2_u32(RTE_MAX(c->n_rxq, 1u)), c->hash_fields,
				 false) != 0)
		goto fail;
	return p;
fail:
	printf("    cannot set up port %s\n", c->name);
	t_port_close(p);
	return NULL;
}

/* Wait for @want Tx completions on SQ @q, all of type @type. */
static bool
t_tx_wait(struct t_port *p, unsigned int q, unsigned int want, uint32_t type)
{
	uint64_t deadline = t_now_ms() + T_WAIT_MS;
	struct gdma_cqe cqe[64];
	unsigned int got = 0;
	int n, i;

	while (got < want) {
		n = t_poll_cq(&p->tx_cq[q], cqe, RTE_MIN(64, (int)(want - got)));
		if (n < 0)
			return false;
		for (i = 0; i < n; i++) {
			struct mana_tx_comp_oob oob;

			memcpy(&oob, cqe[i].client_data, sizeof(oob));
			if (oob.hdr.cqe_type != type || cqe[i].wq_num != p->sq[q].info.id ||
			    !cqe[i].is_sq) {
				printf("    tx CQE type %u (want %u) wq %u is_sq %u\n",
				       oob.hdr.cqe_type, type, cqe[i].wq_num, cqe[i].is_sq);
				return false;
			}
		}
		got += n;
		if (n == 0) {
			if (t_now_ms() > deadline) {
				printf("    only %u of %u tx completions\n", got, want);
				return false;
			}
			t_poll_pause();
		}
	}
	return true;
}

struct t_rx_pkt {
	unsigned int queue;
	struct gdma_cqe cqe;
	struct mana_rx_comp_oob oob;
	const uint8_t *buf;
	uint32_t wqe_bu;
};

/* Collect @want Rx completions over all receive queues of @p. */
static bool
t_rx_collect(struct t_port *p, struct t_rx_pkt *out, unsigned int want)
{
	uint64_t deadline = t_now_ms() + T_WAIT_MS;
	unsigned int got = 0, q;
	struct gdma_cqe cqe;
	int n;

	while (got < want) {
		bool any = false;

		for (q = 0; q < p->n_rxq && got < want; q++) {
			n = t_poll_cq(&p->rx_cq[q], &cqe, 1);
			if (n < 0)
				return false;
			if (n == 0)
				continue;
			any = true;
			out[got].queue = q;
			out[got].cqe = cqe;
			memcpy(&out[got].oob, cqe.client_data, sizeof(out[got].oob));
			out[got].buf = t_rx_buf(p, q, p->rx_done[q]);
			out[got].wqe_bu = p->rx_bu[q][p->rx_done[q] % T_RX_SLOTS];
			p->rx_done[q]++;
			got++;
		}
		if (!any) {
			if (t_now_ms() > deadline) {
				printf("    only %u of %u rx completions\n", got, want);
				return false;
			}
			t_poll_pause();
		}
	}
	return true;
}

/*
 * Nothing more arrives on any CQ of @p. Absence cannot be polled for: give
 * the engine 20 ms (hundreds of passes) to misbehave, then look once.
 */
static bool
t_cqs_quiet(struct t_port *p)
{
	struct gdma_cqe cqe;
	unsigned int q;

	usleep(20000);
	for (q = 0; q < p->n_rxq; q++)
		if (t_poll_cq(&p->rx_cq[q], &cqe, 1) != 0)
			return false;
	for (q = 0; q < p->n_txq; q++)
		if (t_poll_cq(&p->tx_cq[q], &cqe, 1) != 0)
			return false;
	return true;
}

static bool
t_stats(const char *name, struct mana_sim_stats *st)
{
	int ret = mana_sim_get_stats(name, st);

	if (ret != 0)
		printf("    mana_sim_get_stats(%s): %d\n", name, ret);
	return ret == 0;
}

/* Wait until a stats counter selected by @get reaches @want. */
static bool
t_stats_wait(const char *name, uint64_t (*get)(const struct mana_sim_stats *), uint64_t want)
{
	uint64_t deadline = t_now_ms() + T_WAIT_MS;
	struct mana_sim_stats st;

	for (;;) {
		if (!t_stats(name, &st))
			return false;
		if (get(&st) >= want)
			return true;
		if (t_now_ms() > deadline) {
			printf("    counter at %" PRIu64 ", want %" PRIu64 "\n", get(&st), want);
			return false;
		}
		t_poll_pause();
	}
}

static uint64_t
t_get_rx_drop_no_wqe(const struct mana_sim_stats *s)
{
	return s->rx_drop_no_wqe;
}

static uint64_t
t_get_rx_drop_no_rss(const struct mana_sim_stats *s)
{
	return s->rx_drop_no_rss;
}

static uint64_t
t_get_bad_doorbell(const struct mana_sim_stats *s)
{
	return s->bad_doorbell;
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */
/* ------------------------------------------------------------------ */

struct t_flow {
	bool v6;
	bool tcp;
	uint32_t src4, dst4;		/* host order */
	uint8_t src6[16], dst6[16];
	uint16_t sport, dport;		/* host order */
};

static void
t_payload(uint8_t *p, uint32_t len, uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 7 + i);
	if (len >= 4)
		memcpy(p, &seq, 4);
}

/*
 * Build an Ethernet/IPv4-or-IPv6/UDP-or-TCP frame with valid checksums.
 * Returns the frame length.
 */
static uint32_t
t_frame(uint8_t *f, const struct t_flow *fl, uint32_t payload_len, uint32_t seq)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	uint32_t l4_hlen = fl->tcp ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr);
	uint32_t l3_hlen = fl->v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	uint8_t *l3 = f + sizeof(*eth);
	uint8_t *l4 = l3 + l3_hlen;
	uint32_t len = sizeof(*eth) + l3_hlen + l4_hlen + payload_len;

	memset(f, 0, len);
	memset(eth->dst_addr.addr_bytes, 0x02, RTE_ETHER_ADDR_LEN);
	memset(eth->src_addr.addr_bytes, 0x04, RTE_ETHER_ADDR_LEN);
	eth->ether_type = rte_cpu_to_be_16(fl->v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (fl->v6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;

		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(l4_hlen + payload_len));
		ip6->proto = fl->tcp ? IPPROTO_TCP : IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(&ip6->src_addr, fl->src6, 16);
		memcpy(&ip6->dst_addr, fl->dst6, 16);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3_hlen + l4_hlen + payload_len));
		ip->time_to_live = 64;
		ip->next_proto_id = fl->tcp ? IPPROTO_TCP : IPPROTO_UDP;
		ip->src_addr = rte_cpu_to_be_32(fl->src4);
		ip->dst_addr = rte_cpu_to_be_32(fl->dst4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	t_payload(l4 + l4_hlen, payload_len, seq);
	if (fl->tcp) {
		struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)l4;

		tcp->src_port = rte_cpu_to_be_16(fl->sport);
		tcp->dst_port = rte_cpu_to_be_16(fl->dport);
		tcp->data_off = 5 << 4;
		tcp->tcp_flags = RTE_TCP_ACK_FLAG;
		tcp->rx_win = rte_cpu_to_be_16(1024);
		tcp->cksum = fl->v6 ? rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)l3, l4) :
			rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)l3, l4);
	} else {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)l4;

		udp->src_port = rte_cpu_to_be_16(fl->sport);
		udp->dst_port = rte_cpu_to_be_16(fl->dport);
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(l4_hlen + payload_len));
		udp->dgram_cksum = fl->v6 ? rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)l3, l4) :
			rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)l3, l4);
	}
	return len;
}

static uint32_t
t_frame_seq(const uint8_t *f, uint32_t l4_payload_off)
{
	uint32_t seq;

	memcpy(&seq, f + l4_payload_off, 4);
	return seq;
}

#define T_UDP4_PAYLOAD_OFF	(14 + 20 + 8)

static struct t_flow
t_udp4_flow(unsigned int i)
{
	struct t_flow fl = {
		.src4 = (10u << 24) | (((i >> 8) & 0xffu) << 8) | (i & 0xffu),
		.dst4 = (192u << 24) | (168u << 16) | (1u << 8) | 1u,
		.sport = (uint16_t)(1000 + i * 13),
		.dport = 4791,
	};

	return fl;
}

/* What rte_softrss() gives for @fl, the way DPDK applications predict it. */
static uint32_t
t_softrss(const struct t_flow *fl, bool l4)
{
	union rte_thash_tuple t;
	uint32_t i, w;

	memset(&t, 0, sizeof(t));
	if (fl->v6) {
		for (i = 0; i < 4; i++) {
			memcpy(&w, fl->src6 + 4 * i, 4);
			w = rte_be_to_cpu_32(w);
			memcpy((uint8_t *)&t.v6.src_addr + 4 * i, &w, 4);
			memcpy(&w, fl->dst6 + 4 * i, 4);
			w = rte_be_to_cpu_32(w);
			memcpy((uint8_t *)&t.v6.dst_addr + 4 * i, &w, 4);
		}
		t.v6.sport = fl->sport;
		t.v6.dport = fl->dport;
		return rte_softrss((uint32_t *)&t, l4 ? RTE_THASH_V6_L4_LEN : RTE_THASH_V6_L3_LEN,
				   t_rss_key);
	}
	t.v4.src_addr = fl->src4;
	t.v4.dst_addr = fl->dst4;
	t.v4.sport = fl->sport;
	t.v4.dport = fl->dport;
	return rte_softrss((uint32_t *)&t, l4 ? RTE_THASH_V4_L4_LEN : RTE_THASH_V4_L3_LEN,
			   t_rss_key);
}

/* Receive queue @p's RSS table gives @hash. */
static unsigned int
t_rss_queue(const struct t_port *p, uint32_t hash)
{
	struct mana_hw_wq *wq = p->reta[hash & ((1u << p->reta_log) - 1)];
	unsigned int q;

	for (q = 0; q < p->n_rxq; q++)
		if (p->wq_obj[q] == wq)
			return q;
	return UINT32_MAX;
}

#define ALL_FIELDS (MANA_HW_RSS_IPV4 | MANA_HW_RSS_IPV6 | MANA_HW_RSS_TCP | MANA_HW_RSS_UDP)

/* ------------------------------------------------------------------ */
/* Cases                                                               */
/* ------------------------------------------------------------------ */

/* 1. Loopback through RSS: every packet intact, once, on the predicted queue. */
static bool
test_loopback(void)
{
	const struct t_port_conf conf = {
		.name = "net_mana_sim1", .n_rxq = 4, .n_txq = 1, .rx_desc = 256,
		.tx_desc = 256, .rss = true, .hash_fields = ALL_FIELDS,
	};
	enum { N = 200 };
	static struct t_rx_pkt rx[N];
	uint8_t frame[T_BUF_SIZE];
	bool seen[N] = { false };
	struct mana_sim_stats st;
	struct gdma_cqe cqe[N];
	uint32_t tx_bu[N];
	uint64_t deadline;
	struct t_port *p;
	bool ok = false;
	int got = 0, n;
	unsigned int i, q;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	for (q = 0; q < 4; q++)
		t_rx_post(p, q, 256, T_BUF_SIZE, p->lkey);
	for (i = 0; i < N; i++) {
		struct t_flow fl = t_udp4_flow(i);
		uint32_t len = t_frame(frame, &fl, 18 + (i * 37) % 1400, i);

		tx_bu[i] = t_tx_post(p, 0, frame, len, NULL);
		if (i % 16 == 15)
			t_ring(&p->sq[0]);
	}
	t_ring(&p->sq[0]);

	/* Send completions, in order, each naming its WQE. */
	deadline = t_now_ms() + T_WAIT_MS;
	while (got < N) {
		n = t_poll_cq(&p->tx_cq[0], cqe + got, N - got);
		CHECK(n >= 0, "tx CQ overflow");
		if (n == 0) {
			CHECK(t_now_ms() < deadline, "tx completions: %d of %d", got, N);
			t_poll_pause();
		}
		got += n;
	}
	for (i = 0; i < N; i++) {
		struct mana_tx_comp_oob oob;

		memcpy(&oob, cqe[i].client_data, sizeof(oob));
		CHECK(oob.hdr.cqe_type == CQE_TX_OKAY, "tx %u type %u", i, oob.hdr.cqe_type);
		CHECK(cqe[i].is_sq && cqe[i].wq_num == p->sq[0].info.id, "tx %u queue", i);
		CHECK(oob.tx_wqe_offset == tx_bu[i], "tx %u wqe offset %u, want %u", i,
		      oob.tx_wqe_offset, tx_bu[i]);
	}

	CHECK(t_rx_collect(p, rx, N), "rx");
	for (i = 0; i < N; i++) {
		const struct t_rx_pkt *r = &rx[i];
		uint32_t seq = t_frame_seq(r->buf, T_UDP4_PAYLOAD_OFF);
		struct t_flow fl;
		uint32_t len, hash;

		CHECK(seq < N && !seen[seq], "rx %u: seq %u duplicate or unknown", i, seq);
		seen[seq] = true;
		fl = t_udp4_flow(seq);
		len = t_frame(frame, &fl, 18 + (seq * 37) % 1400, seq);
		hash = t_softrss(&fl, true);
		CHECK(r->oob.hdr.cqe_type == CQE_RX_OKAY, "seq %u type %u", seq,
		      r->oob.hdr.cqe_type);
		CHECK(!r->cqe.is_sq && r->cqe.wq_num == p->rq[r->queue].info.id, "seq %u wq", seq);
		CHECK(r->oob.pkt_info[0].packet_length == len, "seq %u len %u want %u", seq,
		      r->oob.pkt_info[0].packet_length, len);
		CHECK(memcmp(r->buf, frame, len) == 0, "seq %u bytes differ", seq);
		CHECK(r->oob.pkt_info[0].packet_hash == hash, "seq %u hash %#x want %#x", seq,
		      r->oob.pkt_info[0].packet_hash, hash);
		CHECK(r->queue == t_rss_queue(p, hash), "seq %u on queue %u, want %u", seq,
		      r->queue, t_rss_queue(p, hash));
		CHECK(r->oob.hash_type == MANA_HASH_UDP_IPV4, "seq %u hash type %#x", seq,
		      r->oob.hash_type);
		CHECK(r->oob.ip_csum_ok && !r->oob.ip_csum_bad && r->oob.udp_csum_ok &&
		      !r->oob.udp_csum_bad && !r->oob.tcp_csum_ok && !r->oob.tcp_csum_bad,
		      "seq %u checksum bits", seq);
		CHECK(r->oob.received_wqe_offset == r->wqe_bu, "seq %u wqe offset %u want %u",
		      seq, r->oob.received_wqe_offset, r->wqe_bu);
	}
	CHECK(t_cqs_quiet(p), "extra completions");
	CHECK(t_stats(conf.name, &st), "stats");
	CHECK(st.tx_packets == N && st.rx_packets == N && st.tx_errors == 0 &&
	      st.rx_drop_no_wqe == 0 && st.rx_drop_no_rss == 0 && st.bad_lkey == 0 &&
	      st.bad_doorbell == 0 && st.open_contexts == 1 && st.state == MANA_SIM_DEV_UP,
	      "stats tx %" PRIu64 " rx %" PRIu64 " err %" PRIu64 " bad_db %" PRIu64,
	      st.tx_packets, st.rx_packets, st.tx_errors, st.bad_doorbell);
	ok = true;
out:
	if (p != NULL)
		t_port_close(p);
	return ok;
}

/* 2. A 3-SGE send WQE whose SGL wraps the ring end, and a 30-SGE one. */
static bool
test_multiseg(void)
{
	const struct t_port_conf conf = {
		.name = "net_mana_sim2", .n_rxq = 1, .n_txq = 1, .rx_desc = 1024,
		.tx_desc = 16, .tx_max_sge = 30, .rss = true, .hash_fields = ALL_FIELDS,
	};
	struct t_flow fl = t_udp4_flow(7);
	uint8_t frame[T_BUF_SIZE];
	struct gdma_sge sge[30];
	struct mana_tx_short_oob oob;
	struct t_rx_pkt rx;
	uint32_t len, bu, off, i, filler_len;
	struct t_port *p;
	uint8_t *seg;
	bool ok = false;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	t_rx_post(p, 0, 1000, T_BUF_SIZE, p->lkey);
	/* One-BU fillers until the next WQE starts in the last BU of the ring. */
	filler_len = t_frame(frame, &fl, 20, 0);
	while (((p->sq[0].head + 1) * GDMA_WQE_BU) % p->sq[0].info.size != 0) {
		t_tx_post(p, 0, frame, filler_len, NULL);
		if (p->tx_posted[0] % 32 == 0) {
			t_ring(&p->sq[0]);
			CHECK(t_tx_wait(p, 0, 32, CQE_TX_OKAY), "fillers");
		}
	}
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, p->tx_posted[0] % 32, CQE_TX_OKAY), "fillers");
	for (i = 0; i < p->tx_posted[0]; i++)
		CHECK(t_rx_collect(p, &rx, 1), "filler rx");

	len = t_frame(frame, &fl, 300, 4242);
	seg = t_tx_buf(p, 0, 100);
	memcpy(seg, frame, 14);
	memcpy(seg + 512, frame + 14, 28);
	memcpy(seg + 1024, frame + 42, len - 42);
	sge[0] = (struct gdma_sge){ (uintptr_t)seg, p->lkey, 14 };
	sge[1] = (struct gdma_sge){ (uintptr_t)seg + 512, p->lkey, 28 };
	sge[2] = (struct gdma_sge){ (uintptr_t)seg + 1024, p->lkey, len - 42 };
	t_tx_oob(p, 0, &oob);
	bu = t_post_wqe(&p->sq[0], &oob, sizeof(oob), sge, 3);
	off = bu * GDMA_WQE_BU;
	CHECK(off + 8 + 8 + 3 * 16 > p->sq[0].info.size, "SGL does not wrap (offset %u)", off);
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY), "3-SGE send");
	CHECK(t_rx_collect(p, &rx, 1), "3-SGE receive");
	CHECK(rx.oob.hdr.cqe_type == CQE_RX_OKAY && rx.oob.pkt_info[0].packet_length == len,
	      "type %u len %u", rx.oob.hdr.cqe_type, rx.oob.pkt_info[0].packet_length);
	CHECK(memcmp(rx.buf, frame, len) == 0, "3-SGE frame differs");

	/* 30 SGEs: 14-byte header, then pieces of 11 bytes and the rest. */
	len = t_frame(frame, &fl, 1000, 4343);
	seg = t_tx_buf(p, 0, 200);
	for (i = 0, off = 0; i < 30; i++) {
		uint32_t n = i == 0 ? 14 : i < 29 ? 11 : len - off;

		memcpy(seg + i * 64 + (i % 5), frame + off, n);
		sge[i] = (struct gdma_sge){ (uintptr_t)(seg + i * 64 + (i % 5)), p->lkey, n };
		if (i == 29)
			sge[i].address = (uintptr_t)t_tx_buf(p, 0, 300);
		off += n;
	}
	memcpy(t_tx_buf(p, 0, 300), frame + len - sge[29].size, sge[29].size);
	t_post_wqe(&p->sq[0], &oob, sizeof(oob), sge, 30);
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY), "30-SGE send");
	CHECK(t_rx_collect(p, &rx, 1), "30-SGE receive");
	CHECK(rx.oob.pkt_info[0].packet_length == len && memcmp(rx.buf, frame, len) == 0,
	      "30-SGE frame differs");
	CHECK(rx.oob.ip_csum_ok && rx.oob.udp_csum_ok, "30-SGE checksums");
	ok = true;
out:
	if (p != NULL)
		t_port_close(p);
	return ok;
}

/* 3. Eight SQs rung concurrently by eight threads, one WQE per doorbell. */
#define T_DB_THREADS	8
#define T_DB_PER_THREAD	10000u
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
	uint64_t deadline = t_now_ms() + 30000;
	struct mana_tx_short_oob oob;
	struct gdma_cqe cqe[T_DB_WINDOW];
	unsigned int posted = 0;
	int n, i;

	t_tx_oob(p, w->q, &oob);
	while (w->completed < T_DB_PER_THREAD) {
		if (posted < T_DB_PER_THREAD && posted - w->completed < T_DB_WINDOW) {
			t_post_wqe(&p->sq[w->q], &oob, sizeof(oob), &sge, 1);
			t_ring(&p->sq[w->q]);
			posted++;
		}
		n = t_poll_cq(&p->tx_cq[w->q], cqe, T_DB_WINDOW);
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
		.name = "net_mana_sim3", .n_rxq = 0, .n_txq = T_DB_THREADS, .tx_desc = 64,
	};
	struct t_db_worker w[T_DB_THREADS];
	pthread_t tid[T_DB_THREADS];
	pthread_attr_t attr;
	cpu_set_t all;
	struct t_flow fl = t_udp4_flow(1);
	struct mana_sim_stats st;
	unsigned int i, started = 0;
	uint64_t t0;
	struct t_port *p;
	bool ok = false;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	memset(w, 0, sizeof(w));
	/* Free to run on every CPU (the main lcore is pinned), truly concurrent. */
	CPU_ZERO(&all);
	for (i = 0; i < (unsigned int)sysconf(_SC_NPROCESSORS_ONLN) && i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(all), &all);
	t0 = t_now_ns();
	for (i = 0; i < T_DB_THREADS; i++) {
		w[i].p = p;
		w[i].q = i;
		w[i].frame = t_tx_buf(p, i, 0);
		w[i].len = t_frame(w[i].frame, &fl, 22, i);
		if (pthread_create(&tid[i], &attr, t_db_worker_main, &w[i]) != 0)
			break;
		started++;
	}
	pthread_attr_destroy(&attr);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	CHECK(started == T_DB_THREADS, "threads");
	for (i = 0; i < T_DB_THREADS; i++)
		CHECK(w[i].completed == T_DB_PER_THREAD && w[i].errors == 0 && !w[i].timeout,
		      "SQ %u: %u of %u completed, %u errors%s", i, w[i].completed,
		      T_DB_PER_THREAD, w[i].errors, w[i].timeout ? ", timed out" : "");
	printf("    %u WQEs, one doorbell each, from %u threads in %.1f ms\n",
	       T_DB_THREADS * T_DB_PER_THREAD, T_DB_THREADS, (t_now_ns() - t0) / 1e6);
	CHECK(t_cqs_quiet(p), "extra completions");
	CHECK(t_stats(conf.name, &st), "stats");
	CHECK(st.tx_packets == T_DB_THREADS * T_DB_PER_THREAD && st.tx_errors == 0 &&
	      st.bad_doorbell == 0 && st.rx_drop_no_rss == st.tx_packets,
	      "tx %" PRIu64 " bad_db %" PRIu64 " no_rss %" PRIu64, st.tx_packets,
	      st.bad_doorbell, st.rx_drop_no_rss);
	ok = true;
out:
	if (p != NULL)
		t_port_close(p);
	return ok;
}

/* Send one frame per flow and check queue, hash and hash type of each. */
static bool
t_rss_round(struct t_port *p, const struct t_flow *flows, unsigned int n, bool l4,
	    uint32_t want_type_v4, unsigned int *per_queue)
{
	static struct t_rx_pkt rx[128];
	uint8_t frame[T_BUF_SIZE];
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint32_t len = t_frame(frame, &flows[i], 40, i);

		t_tx_post(p, 0, frame, len, NULL);
	}
	t_ring(&p->sq[0]);
	if (!t_tx_wait(p, 0, n, CQE_TX_OKAY) || !t_rx_collect(p, rx, n))
		return false;
	for (i = 0; i < n; i++) {
		uint32_t off = 14 + (flows[0].v6 ? 40 : 20) + (flows[0].tcp ? 20 : 8);
		uint32_t seq = t_frame_seq(rx[i].buf, off);
		uint32_t hash, want_type;

		if (seq >= n) {
			printf("    bad seq %u\n", seq);
			return false;
		}
		hash = t_softrss(&flows[seq], l4);
		want_type = flows[seq].v6 ? (l4 ? MANA_HASH_UDP_IPV6 : MANA_HASH_IPV6) :
			want_type_v4;
		if (rx[i].oob.pkt_info[0].packet_hash != hash ||
		    rx[i].queue != t_rss_queue(p, hash) || rx[i].oob.hash_type != want_type) {
			printf("    flow %u: queue %u hash %#x type %#x, want %u %#x %#x\n", seq,
			       rx[i].queue, rx[i].oob.pkt_info[0].packet_hash, rx[i].oob.hash_type,
			       t_rss_queue(p, hash), hash, want_type);
			return false;
		}
		per_queue[rx[i].queue]++;
	}
	return true;
}

/* 4. RSS spreads 64 flows over 4 queues exactly as rte_softrss() predicts. */
static bool
test_rss_spread(void)
{
	const struct t_port_conf conf = {
		.name = "net_mana_sim4", .n_rxq = 4, .n_txq = 1, .rx_desc = 512,
		.tx_desc = 512, .rss = true, .hash_fields = ALL_FIELDS,
	};
	struct t_flow flows[64];
	unsigned int per_queue[4] = { 0 };
	struct rte_ether_hdr *eth;
	uint8_t frame[64];
	struct t_rx_pkt rx;
	struct t_port *p;
	unsigned int i, q;
	bool ok = false;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	for (q = 0; q < 4; q++)
		t_rx_post(p, q, 500, T_BUF_SIZE, p->lkey);

	for (i = 0; i < 64; i++)
		flows[i] = t_udp4_flow(i);
	CHECK(t_rss_round(p, flows, 64, true, MANA_HASH_UDP_IPV4, per_queue), "UDP/IPv4");
	for (q = 0; q < 4; q++)
		CHECK(per_queue[q] > 0, "queue %u got none of 64 flows", q);
	printf("    64 flows over 4 queues: %u %u %u %u\n", per_queue[0], per_queue[1],
	       per_queue[2], per_queue[3]);

	/* TCP/IPv4 and UDP/IPv6. */
	for (i = 0; i < 32; i++)
		flows[i].tcp = true;
	CHECK(t_rss_round(p, flows, 32, true, MANA_HASH_TCP_IPV4, per_queue), "TCP/IPv4");
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
	CHECK(t_rss_round(p, flows, 32, true, 0, per_queue), "UDP/IPv6");

	/* A non-IP frame goes to reta[0] with hash 0 and no hash type. */
	memset(frame, 0, sizeof(frame));
	eth = (struct rte_ether_hdr *)frame;
	eth->ether_type = rte_cpu_to_be_16(0x88b5);
	t_tx_post(p, 0, frame, sizeof(frame), NULL);
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY), "non-IP send");
	CHECK(t_rx_collect(p, &rx, 1), "non-IP receive");
	CHECK(rx.queue == t_rss_queue(p, 0) && rx.oob.pkt_info[0].packet_hash == 0 &&
	      rx.oob.hash_type == 0 && !rx.oob.ip_csum_ok && !rx.oob.ip_csum_bad,
	      "non-IP: queue %u hash %#x type %#x", rx.queue, rx.oob.pkt_info[0].packet_hash,
	      rx.oob.hash_type);

	/* Replace the receive side: IPv4 addresses only, reversed table. */
	CHECK(ops->destroy_rss(p->rss) == 0, "destroy_rss");
	p->rss = NULL;
	CHECK(t_port_rss(p, 3, MANA_HW_RSS_IPV4, true) == 0, "create_rss");
	for (i = 0; i < 32; i++)
		flows[i] = t_udp4_flow(i * 5);
	CHECK(t_rss_round(p, flows, 32, false, MANA_HASH_IPV4, per_queue), "IPv4 L3 only");
	ok = true;
out:
	if (p != NULL)
		t_port_close(p);
	return ok;
}

/* 5. Bad keys, SGEs outside their MR, bad OOBs, bad doorbells. */
static bool
test_errors(void)
{
	const struct t_port_conf conf = {
		.name = "net_mana_sim5", .n_rxq = 1, .n_txq = 1, .rx_desc = 64,
		.tx_desc = 64, .rss = true, .hash_fields = ALL_FIELDS,
	};
	struct t_flow fl = t_udp4_flow(3);
	struct mana_tx_short_oob oob;
	struct mana_sim_stats st0, st;
	uint8_t frame[256];
	struct gdma_sge sge;
	struct gdma_cqe cqe;
	struct mana_tx_comp_oob tx;
	struct t_rx_pkt rx;
	struct t_port *p;
	uint64_t deadline;
	uint32_t len;
	bool ok = false;
	int i, n;
	static const struct {
		const char *what;
		int kind;	/* 0 key, 1 past MR end, 2 before MR, 3 VCQ, 4 frame, 5 vport */
		uint32_t type;
		uint32_t verr;
	} cases[] = {
		{ "unknown key", 0, CQE_TX_HDR_PROCESSING_ERROR, 1 },
		{ "past the MR end", 1, CQE_TX_HDR_PROCESSING_ERROR, 1 },
		{ "before the MR", 2, CQE_TX_HDR_PROCESSING_ERROR, 1 },
		{ "wrong VCQ", 3, CQE_TX_INVALID_OOB, 0 },
		{ "wrong VSQ frame", 4, CQE_TX_INVALID_OOB, 0 },
		{ "wrong vport", 5, CQE_TX_INVALID_OOB, 0 },
	};

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	CHECK(t_stats(conf.name, &st0), "stats");
	len = t_frame(frame, &fl, 30, 1);
	memcpy(t_tx_buf(p, 0, 0), frame, len);
	for (i = 0; i < (int)RTE_DIM(cases); i++) {
		sge = (struct gdma_sge){ (uintptr_t)t_tx_buf(p, 0, 0), p->lkey, len };
		t_tx_oob(p, 0, &oob);
		switch (cases[i].kind) {
		case 0:
			sge.mem_key = p->lkey + 0x100000;
			break;
		case 1:
			sge.address = (uintptr_t)p->pool + p->pool_size - 10;
			break;
		case 2:
			sge.address = (uintptr_t)p->pool - 16;
			break;
		case 3:
			oob.vcq_num = p->rx_cq[0].info.id;
			break;
		case 4:
			oob.vsq_frame ^= 1;
			break;
		case 5:
			oob.vport_offset += 1;
			break;
		}
		t_post_wqe(&p->sq[0], &oob, sizeof(oob), &sge, 1);
		t_ring(&p->sq[0]);
		deadline = t_now_ms() + T_WAIT_MS;
		while ((n = t_poll_cq(&p->tx_cq[0], &cqe, 1)) == 0 && t_now_ms() < deadline)
			t_poll_pause();
		CHECK(n == 1, "%s: no completion", cases[i].what);
		memcpy(&tx, cqe.client_data, sizeof(tx));
		CHECK(tx.hdr.cqe_type == cases[i].type && tx.hdr.vendor_err == cases[i].verr,
		      "%s: type %u vendor_err %u", cases[i].what, tx.hdr.cqe_type,
		      tx.hdr.vendor_err);
	}
	/* The queue still works. */
	t_rx_post(p, 0, 1, T_BUF_SIZE, p->lkey + 0x100000);	/* a bad receive key */
	t_rx_post(p, 0, 1, T_BUF_SIZE, p->lkey);
	t_tx_post(p, 0, frame, len, NULL);
	t_tx_post(p, 0, frame, len, NULL);
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, 2, CQE_TX_OKAY), "good sends after errors");
	CHECK(t_rx_collect(p, &rx, 1), "bad receive key");
	CHECK(rx.oob.hdr.cqe_type == CQE_RX_TRUNCATED && rx.oob.hdr.vendor_err == 1,
	      "bad receive key: type %u vendor_err %u", rx.oob.hdr.cqe_type,
	      rx.oob.hdr.vendor_err);
	CHECK(t_rx_collect(p, &rx, 1), "receive after error");
	CHECK(rx.oob.hdr.cqe_type == CQE_RX_OKAY && memcmp(rx.buf, frame, len) == 0,
	      "receive after error");

	/* Doorbells: wrong id, tail beyond the ring, wrong slot; then a good one. */
	t_tx_post(p, 0, frame, len, NULL);
	rte_write64(gdma_db_value(p->sq[0].info.id + 1, p->sq[0].head * GDMA_WQE_BU, 0),
		    p->sq[0].db);
	CHECK(t_stats_wait(conf.name, t_get_bad_doorbell, st0.bad_doorbell + 1), "wrong id");
	rte_write64(gdma_db_value(p->sq[0].info.id,
				  p->sq[0].head * GDMA_WQE_BU + p->sq[0].info.size, 0),
		    p->sq[0].db);
	CHECK(t_stats_wait(conf.name, t_get_bad_doorbell, st0.bad_doorbell + 2), "bad tail");
	rte_write64(gdma_db_value(p->sq[0].info.id, p->sq[0].head * GDMA_WQE_BU, 0),
		    p->db_map + p->sq[0].info.db_offset + GDMA_DB_OFFSET_RQ);
	CHECK(t_stats_wait(conf.name, t_get_bad_doorbell, st0.bad_doorbell + 3), "wrong slot");
	t_rx_post(p, 0, 1, T_BUF_SIZE, p->lkey);
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY), "good doorbell after bad ones");
	CHECK(t_rx_collect(p, &rx, 1) && rx.oob.hdr.cqe_type == CQE_RX_OKAY, "receive");

	CHECK(t_stats(conf.name, &st), "stats");
	CHECK(st.bad_lkey - st0.bad_lkey == 4 && st.tx_errors - st0.tx_errors == 6 &&
	      st.bad_doorbell - st0.bad_doorbell == 3,
	      "bad_lkey %" PRIu64 " tx_errors %" PRIu64 " bad_doorbell %" PRIu64,
	      st.bad_lkey - st0.bad_lkey, st.tx_errors - st0.tx_errors,
	      st.bad_doorbell - st0.bad_doorbell);
	ok = true;
out:
	if (p != NULL)
		t_port_close(p);
	return ok;
}

/* 6. Receive without a posted WQE, into a too-small buffer, and without RSS. */
static bool
test_rx_drops(void)
{
	const struct t_port_conf conf = {
		.name = "net_mana_sim6", .n_rxq = 1, .n_txq = 1, .rx_desc = 64,
		.tx_desc = 64, .rss = true, .hash_fields = ALL_FIELDS,
	};
	struct t_flow fl = t_udp4_flow(9);
	struct mana_sim_stats st;
	uint8_t frame[256];
	struct t_rx_pkt rx;
	struct t_port *p;
	uint32_t len;
	bool ok = false;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	len = t_frame(frame, &fl, 100, 1);
	t_tx_post(p, 0, frame, len, NULL);
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY), "send");
	CHECK(t_stats_wait(conf.name, t_get_rx_drop_no_wqe, 1), "rx_drop_no_wqe");

	t_rx_post(p, 0, 1, 32, p->lkey);
	t_tx_post(p, 0, frame, len, NULL);
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY), "send");
	CHECK(t_rx_collect(p, &rx, 1), "truncated");
	CHECK(rx.oob.hdr.cqe_type == CQE_RX_TRUNCATED, "type %u", rx.oob.hdr.cqe_type);

	CHECK(ops->destroy_rss(p->rss) == 0, "destroy_rss");
	p->rss = NULL;
	t_tx_post(p, 0, frame, len, NULL);
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY), "send");
	CHECK(t_stats_wait(conf.name, t_get_rx_drop_no_rss, 1), "rx_drop_no_rss");
	CHECK(t_stats(conf.name, &st), "stats");
	CHECK(st.rx_truncated == 1 && st.rx_drop_no_wqe == 1 && st.rx_packets == 0,
	      "truncated %" PRIu64 " no_wqe %" PRIu64, st.rx_truncated, st.rx_drop_no_wqe);
	ok = true;
out:
	if (p != NULL)
		t_port_close(p);
	return ok;
}

/* Child of test 7: wait for the go byte, then ring a doorbell. */
static void __rte_noreturn
t_revoke_child(uint8_t *map, int go_fd)
{
	char c;

	/* Die of the signal itself, not through a sanitizer's handler. */
	signal(SIGBUS, SIG_DFL);
	if (read(go_fd, &c, 1) != 1)
		_exit(3);
	rte_write64(1, map);
	_exit(0);
}

static int
t_revoke_run(bool close_first, int *status)
{
	const struct t_port_conf conf = { .name = "net_mana_sim7" };
	struct t_port *p;
	int go[2] = { -1, -1 };
	uint8_t *map;
	pid_t pid;
	int ret = -1;

	p = t_port_open(&conf);
	if (p == NULL)
		return -1;
	map = p->db_map;
	if (pipe(go) != 0)
		goto out;
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0)
		t_revoke_child(map, go[0]);
	if (close_first) {
		ops->close(p->ctx);
		p->ctx = NULL;
	}
	if (write(go[1], "g", 1) != 1 || waitpid(pid, status, 0) != pid)
		goto out;
	ret = 0;
out:
	if (go[0] >= 0) {
		close(go[0]);
		close(go[1]);
	}
	t_port_close(p);
	return ret;
}

/* 7. After close, a doorbell write in another process is SIGBUS. */
static bool
test_revocation(void)
{
	int status = 0;
	bool ok = false;

	CHECK(t_revoke_run(false, &status) == 0, "control run");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "doorbell write before close: status %#x", status);
	CHECK(t_revoke_run(true, &status) == 0, "revoked run");
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS,
	      "doorbell write after close: status %#x (want SIGBUS)", status);
	ok = true;
out:
	return ok;
}

/* Wait up to @timeout_ms for @ctx's async fd, then take one event. */
static int
t_wait_event(struct mana_hw_ctx *ctx, int timeout_ms, enum mana_hw_event *ev)
{
	struct pollfd pfd = { .fd = ops->async_fd(ctx), .events = POLLIN };
	int ret = poll(&pfd, 1, timeout_ms);

	if (ret <= 0)
		return ret == 0 ? -ETIMEDOUT : -errno;
	return ops->get_async_event(ctx, ev);
}

/* Open @dev, retrying -EAGAIN until @timeout_ms. */
static int
t_open_retry(struct mana_hw_dev *dev, struct mana_hw_ctx **ctx, unsigned int timeout_ms)
{
	uint64_t deadline = t_now_ms() + timeout_ms;
	int ret;

	for (;;) {
		ret = ops->open(dev, ctx);
		if (ret != -EAGAIN || t_now_ms() > deadline)
			return ret;
		usleep(1000);
	}
}

static ino_t
t_fd_inode(int fd)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 ? sb.st_ino : 0;
}

/* 8. Reset, remove, open failures, delayed events, fatal during recovery. */
static bool
test_faults(void)
{
	const char *name = "net_mana_sim8";
	struct mana_hw_ctx *ctx = NULL, *ctx2 = NULL, *tmp = NULL;
	struct mana_hw_dev *dev = NULL;
	struct mana_hw_queue_info info;
	struct mana_hw_caps caps;
	struct mana_hw_pd *pd = NULL, *pd2 = NULL, *tmp_pd;
	struct mana_hw_cq *cq = NULL;
	struct mana_hw_mr *mr;
	struct mana_sim_fault f;
	struct mana_sim_stats st;
	enum mana_hw_event ev;
	struct pollfd pfd;
	uint64_t t0;
	uint32_t lkey, inst;
	ino_t ino;
	bool ok = false;
	int i, ret;
	static uint8_t mem[256];

	CHECK(ops->get_device(name, "down_ms=60", &dev) == 0, "get_device");
	CHECK(ops->open(dev, &ctx) == 0, "open");
	CHECK(ops->alloc_pd(ctx, &pd) == 0 && ops->alloc_pd(ctx, &pd2) == 0, "pd");
	CHECK(ops->create_cq(ctx, 64, SOCKET_ID_ANY, &cq, &info) == 0, "cq");
	CHECK(t_stats(name, &st), "stats");
	inst = st.instance;
	ino = t_fd_inode(ops->doorbell_fd(ctx));

	/* Reset: fatal event, dead context, down, then a new instance. */
	memset(&f, 0, sizeof(f));
	f.kind = MANA_SIM_FAULT_RESET;
	t0 = t_now_ms();
	CHECK(mana_sim_inject(name, &f) == 0, "reset");
	CHECK(t_wait_event(ctx, 2000, &ev) == 0 && ev == MANA_HW_EVENT_DEVICE_FATAL,
	      "fatal event");
	CHECK(ops->get_async_event(ctx, &ev) == -EAGAIN, "second event");
	pfd = (struct pollfd){ .fd = ops->async_fd(ctx), .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 0, "async fd still readable after draining");
	CHECK(ops->open(dev, &tmp) == -EAGAIN, "open while down");
	CHECK(ops->alloc_pd(ctx, &tmp_pd) == -EIO, "alloc_pd on dead ctx");
	CHECK(ops->query(ctx, &caps) == -EIO, "query on dead ctx");
	CHECK(ops->create_cq(ctx, 64, SOCKET_ID_ANY, &cq, &info) == -EIO, "create_cq dead");
	CHECK(ops->reg_mr(pd2, mem, sizeof(mem), &mr, &lkey) == -EIO, "reg_mr dead");
	CHECK(ops->doorbell_fd(ctx) >= 0 && ops->async_fd(ctx) >= 0, "fds of a dead ctx");
	CHECK(ops->destroy_cq(cq) == 0 && ops->dealloc_pd(pd) == 0 &&
	      ops->dealloc_pd(pd2) == 0, "destroy on dead ctx");
	cq = NULL;
	pd = pd2 = NULL;
	ret = t_open_retry(dev, &ctx2, 2000);
	CHECK(ret == 0, "reopen: %d", ret);
	CHECK(t_now_ms() - t0 >= 50, "back after %" PRIu64 " ms, down_ms is 60",
	      t_now_ms() - t0);
	CHECK(t_stats(name, &st) && st.instance == inst + 1 && st.resets == 1 &&
	      st.open_contexts == 2, "instance %u resets %" PRIu64, st.instance, st.resets);
	CHECK(t_fd_inode(ops->doorbell_fd(ctx2)) != ino, "same doorbell memfd after reset");
	CHECK(ops->query(ctx2, &caps) == 0 && caps.link_up, "query new ctx");
	CHECK(ops->close(ctx) == 0, "close dead ctx");
	ctx = NULL;

	/* Two failing opens, then success. */
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_FAIL_OPEN, .count = 2 };
	CHECK(mana_sim_inject(name, &f) == 0, "fail_open 2");
	CHECK(ops->open(dev, &tmp) == -EIO && ops->open(dev, &tmp) == -EIO, "two -EIO");
	CHECK(ops->open(dev, &tmp) == 0 && ops->close(tmp) == 0, "third open");
	/* Failing for good until cleared. */
	f.count = -1;
	CHECK(mana_sim_inject(name, &f) == 0, "fail_open -1");
	for (i = 0; i < 5; i++)
		CHECK(ops->open(dev, &tmp) == -EIO, "open %d should fail", i);
	f.count = 0;
	CHECK(mana_sim_inject(name, &f) == 0, "fail_open 0");
	CHECK(ops->open(dev, &tmp) == 0 && ops->close(tmp) == 0, "open after clearing");

	/* Delayed event: nothing for a while, then the event. */
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_EVENT_DELAY, .delay_ms = 300 };
	CHECK(mana_sim_inject(name, &f) == 0, "event_delay");
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_RESET, .down_ms = 20 };
	t0 = t_now_ms();
	CHECK(mana_sim_inject(name, &f) == 0, "reset");
	pfd = (struct pollfd){ .fd = ops->async_fd(ctx2), .events = POLLIN };
	CHECK(poll(&pfd, 1, 100) == 0, "event before the delay");
	CHECK(ops->get_async_event(ctx2, &ev) == -EAGAIN, "event queued before the delay");
	CHECK(ops->query(ctx2, &caps) == -EIO, "ctx dead before its event");
	CHECK(t_wait_event(ctx2, 2000, &ev) == 0 && ev == MANA_HW_EVENT_DEVICE_FATAL,
	      "delayed fatal");
	CHECK(t_now_ms() - t0 >= 290, "delayed event after %" PRIu64 " ms", t_now_ms() - t0);
	CHECK(ops->close(ctx2) == 0, "close");
	ctx2 = NULL;

	/* Fatal during recovery: the next new instance dies again. */
	ret = t_open_retry(dev, &ctx, 2000);
	CHECK(ret == 0, "open: %d", ret);
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_FATAL_IN_RECOVERY, .delay_ms = 50,
				     .down_ms = 30 };
	CHECK(mana_sim_inject(name, &f) == 0, "fatal_in_recovery");
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_RESET, .down_ms = 30 };
	CHECK(mana_sim_inject(name, &f) == 0, "reset");
	CHECK(t_wait_event(ctx, 2000, &ev) == 0 && ev == MANA_HW_EVENT_DEVICE_FATAL, "fatal");
	ret = t_open_retry(dev, &ctx2, 2000);
	CHECK(ret == 0, "reopen: %d", ret);
	t0 = t_now_ms();
	CHECK(t_wait_event(ctx2, 2000, &ev) == 0 && ev == MANA_HW_EVENT_DEVICE_FATAL,
	      "fatal in recovery");
	CHECK(t_now_ms() - t0 >= 40, "fatal in recovery after %" PRIu64 " ms", t_now_ms() - t0);
	CHECK(ops->close(ctx) == 0 && ops->close(ctx2) == 0, "close");
	ctx = ctx2 = NULL;
	ret = t_open_retry(dev, &ctx, 2000);
	CHECK(ret == 0, "open after the second reset: %d", ret);
	CHECK(t_stats(name, &st) && st.resets == 4, "resets %" PRIu64, st.resets);

	/* Hot-remove: fatal, then gone for good. */
	f = (struct mana_sim_fault){ .kind = MANA_SIM_FAULT_REMOVE };
	CHECK(mana_sim_inject(name, &f) == 0, "remove");
	CHECK(t_wait_event(ctx, 2000, &ev) == 0 && ev == MANA_HW_EVENT_DEVICE_FATAL, "fatal");
	CHECK(ops->open(dev, &tmp) == -ENODEV, "open after remove");
	CHECK(t_stats(name, &st) && st.state == MANA_SIM_DEV_REMOVED, "state %d", st.state);
	f.kind = MANA_SIM_FAULT_RESET;
	CHECK(mana_sim_inject(name, &f) == -ENODEV, "reset after remove");
	CHECK(ops->close(ctx) == 0, "close");
	ctx = NULL;

	f.kind = MANA_SIM_FAULT_RESET;
	CHECK(mana_sim_inject("net_mana_sim_nope", &f) == -ENODEV, "unknown device");
	f.kind = (enum mana_sim_fault_kind)99;
	CHECK(mana_sim_inject(name, &f) == -EINVAL, "bad kind");
	CHECK(mana_sim_inject(name, NULL) == -EINVAL, "NULL fault");
	ok = true;
out:
	if (cq != NULL)
		ops->destroy_cq(cq);
	if (pd != NULL)
		ops->dealloc_pd(pd);
	if (pd2 != NULL)
		ops->dealloc_pd(pd2);
	if (ctx != NULL)
		ops->close(ctx);
	if (ctx2 != NULL)
		ops->close(ctx2);
	if (dev != NULL)
		ops->put_device(dev);
	return ok;
}

/* 9. The "faults" devarg schedule, and argument checking. */
static bool
test_schedule(void)
{
	const char *name = "net_mana_sim9";
	static const char *const bad[] = {
		"faults=reset", "faults=reset@", "faults=reset@x", "faults=reset@10:",
		"faults=reset@10:5:5", "faults=remove@10:5", "faults=failopen@10",
		"faults=failopen@10:-1", "faults=failopen@10:infinite", "faults=fatalrec@10",
		"faults=fatalrec@10:1:2:3", "faults=evdelay@10", "faults=bogus@10",
		"faults=reset@10//remove@20", "faults=/reset@10", "faults=reset@10/",
		"faults=reset@-5", "faults=reset@99999999999", "faults=reset@+5", "faults=",
		"foo=1", "max_queues=0", "max_queues=65", "max_queues=abc", "max_queues= 4",
		"mac=zz", "mac=01:00:00:00:00:01", "mac=00:00:00:00:00:00", "down_ms=-1",
		"link_mbps=0", "peer=", "mac", "max_queues=4,max_queues=4", ",,,", "=5",
	};
	struct mana_hw_ctx *ctx = NULL, *ctx2 = NULL, *tmp;
	struct mana_hw_dev *dev = NULL, *dev2;
	struct mana_sim_stats st;
	enum mana_hw_event ev;
	uint64_t t0, t;
	unsigned int i;
	bool ok = false;
	int ret;

	for (i = 0; i < RTE_DIM(bad); i++) {
		ret = ops->get_device(name, bad[i], &dev2);
		CHECK(ret == -EINVAL, "args '%s' gave %d", bad[i], ret);
	}
	CHECK(mana_sim_get_stats(name, &st) == -ENODEV, "a device was left behind");
	CHECK(ops->get_device(NULL, NULL, &dev2) == -EINVAL && ops->get_device("", "", &dev2) ==
	      -EINVAL, "bad names");

	CHECK(ops->get_device(name, "faults=reset@50:30/remove@400,down_ms=500", &dev) == 0,
	      "get_device");
	t0 = t_now_ms();
	CHECK(ops->open(dev, &ctx) == 0, "open");
	CHECK(ops->get_device(name, "", &dev2) == -EEXIST, "same name, other args");
	CHECK(ops->get_device(name, "faults=reset@50:30/remove@400,down_ms=500", &dev2) == 0,
	      "same name, same args");
	ops->put_device(dev2);

	CHECK(t_wait_event(ctx, 2000, &ev) == 0 && ev == MANA_HW_EVENT_DEVICE_FATAL, "reset@50");
	t = t_now_ms() - t0;
	CHECK(t >= 45, "reset after %" PRIu64 " ms", t);
	ret = t_open_retry(dev, &ctx2, 2000);
	t = t_now_ms() - t0;
	CHECK(ret == 0 && t >= 75 && t < 400, "reopen: %d after %" PRIu64 " ms", ret, t);
	CHECK(t_stats(name, &st) && st.instance == 2 && st.resets == 1, "instance %u",
	      st.instance);
	CHECK(t_wait_event(ctx2, 2000, &ev) == 0 && ev == MANA_HW_EVENT_DEVICE_FATAL,
	      "remove@400");
	t = t_now_ms() - t0;
	CHECK(t >= 395, "remove after %" PRIu64 " ms", t);
	CHECK(ops->open(dev, &tmp) == -ENODEV, "open after remove");
	CHECK(t_stats(name, &st) && st.state == MANA_SIM_DEV_REMOVED && st.resets == 1,
	      "state %d resets %" PRIu64, st.state, st.resets);
	ok = true;
out:
	if (ctx != NULL)
		ops->close(ctx);
	if (ctx2 != NULL)
		ops->close(ctx2);
	if (dev != NULL)
		ops->put_device(dev);
	return ok;
}

/* Send @n frames from @a and check they all arrive on @b. */
static bool
t_wire_round(struct t_port *a, struct t_port *b, unsigned int n)
{
	static struct t_rx_pkt rx[64];
	uint8_t frame[T_BUF_SIZE];
	bool seen[64] = { false };
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct t_flow fl = t_udp4_flow(i);
		uint32_t len = t_frame(frame, &fl, 64, i);

		t_tx_post(a, 0, frame, len, NULL);
	}
	t_ring(&a->sq[0]);
	if (!t_tx_wait(a, 0, n, CQE_TX_OKAY) || !t_rx_collect(b, rx, n))
		return false;
	for (i = 0; i < n; i++) {
		uint32_t seq = t_frame_seq(rx[i].buf, T_UDP4_PAYLOAD_OFF);
		struct t_flow fl;
		uint32_t len;

		if (seq >= n || seen[seq])
			return false;
		seen[seq] = true;
		fl = t_udp4_flow(seq);
		len = t_frame(frame, &fl, 64, seq);
		if (rx[i].oob.pkt_info[0].packet_length != len || memcmp(rx[i].buf, frame, len))
			return false;
	}
	return t_cqs_quiet(a) && t_cqs_quiet(b);
}

/* 10. Two ports wired to each other. */
static bool
test_peer_wire(void)
{
	const struct t_port_conf ca = {
		.name = "net_mana_sim20", .args = "peer=net_mana_sim21", .n_rxq = 2, .n_txq = 1,
		.rx_desc = 128, .tx_desc = 128, .rss = true, .hash_fields = ALL_FIELDS,
	};
	const struct t_port_conf cb = {
		.name = "net_mana_sim21", .args = "peer=net_mana_sim20", .n_rxq = 2, .n_txq = 1,
		.rx_desc = 128, .tx_desc = 128, .rss = true, .hash_fields = ALL_FIELDS,
	};
	struct mana_sim_stats sa, sb;
	struct t_port *a = NULL, *b = NULL;
	unsigned int q;
	bool ok = false;

	a = t_port_open(&ca);
	b = t_port_open(&cb);
	CHECK(a != NULL && b != NULL, "ports");
	CHECK(a->caps.mac.addr_bytes[0] == 0x02 && a->caps.mac.addr_bytes[5] == 20 &&
	      b->caps.mac.addr_bytes[5] == 21, "default MACs");
	for (q = 0; q < 2; q++) {
		t_rx_post(a, q, 64, T_BUF_SIZE, a->lkey);
		t_rx_post(b, q, 64, T_BUF_SIZE, b->lkey);
	}
	CHECK(t_wire_round(a, b, 32), "A to B");
	CHECK(t_wire_round(b, a, 32), "B to A");
	CHECK(t_stats(ca.name, &sa) && t_stats(cb.name, &sb), "stats");
	CHECK(sa.tx_packets == 32 && sa.rx_packets == 32 && sb.tx_packets == 32 &&
	      sb.rx_packets == 32, "A tx %" PRIu64 " rx %" PRIu64 ", B tx %" PRIu64 " rx %"
	      PRIu64, sa.tx_packets, sa.rx_packets, sb.tx_packets, sb.rx_packets);
	ok = true;
out:
	if (a != NULL)
		t_port_close(a);
	if (b != NULL)
		t_port_close(b);
	return ok;
}

static uint64_t
t_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* 11. An idle engine sleeps. */
static bool
test_idle_engine(void)
{
	const struct t_port_conf conf = {
		.name = "net_mana_sim11", .n_rxq = 1, .n_txq = 1, .rx_desc = 256,
		.tx_desc = 256, .rss = true, .hash_fields = ALL_FIELDS,
	};
	static struct t_rx_pkt rx[100];
	struct mana_sim_stats st0, st1;
	uint64_t cpu0, cpu1, wall0, wall1;
	struct t_flow fl = t_udp4_flow(5);
	uint8_t frame[256];
	struct t_port *p;
	unsigned int i;
	bool ok = false;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	t_rx_post(p, 0, 100, T_BUF_SIZE, p->lkey);
	for (i = 0; i < 100; i++)
		t_tx_post(p, 0, frame, t_frame(frame, &fl, 64, i), NULL);
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, 100, CQE_TX_OKAY) && t_rx_collect(p, rx, 100), "traffic");

	CHECK(t_stats(conf.name, &st0), "stats");
	wall0 = t_now_ns();
	cpu0 = t_cpu_ns();
	while (t_now_ns() - wall0 < 300000000ull)
		usleep(50000);	/* the measurement window, not a synchronisation */
	cpu1 = t_cpu_ns();
	wall1 = t_now_ns();
	CHECK(t_stats(conf.name, &st1), "stats");
	printf("    idle: %.2f%% of one CPU, %" PRIu64 " engine sleeps in %.0f ms\n",
	       100.0 * (cpu1 - cpu0) / (wall1 - wall0), st1.engine_sleeps - st0.engine_sleeps,
	       (wall1 - wall0) / 1e6);
	CHECK((cpu1 - cpu0) * 10 < wall1 - wall0, "idle CPU %" PRIu64 " ns in %" PRIu64 " ns",
	      cpu1 - cpu0, wall1 - wall0);
	CHECK(st1.engine_sleeps > st0.engine_sleeps, "engine did not sleep");
	ok = true;
out:
	if (p != NULL)
		t_port_close(p);
	return ok;
}

/* ---- telemetry client ---- */

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

/* 12. Telemetry commands, good and garbage. */
static bool
test_telemetry(void)
{
	const char *name = "net_mana_sim12";
	static const struct {
		const char *cmd;
		int result;
	} cmds[] = {
		{ "/mana_sim/list,x", -EINVAL },
		{ "/mana_sim/info", -EINVAL },
		{ "/mana_sim/info,", -EINVAL },
		{ "/mana_sim/info,net_mana_sim_none", -ENODEV },
		{ "/mana_sim/info,net_mana_sim12,1", -EINVAL },
		{ "/mana_sim/reset", -EINVAL },
		{ "/mana_sim/reset,net_mana_sim12,abc", -EINVAL },
		{ "/mana_sim/reset,net_mana_sim12,1,2", -EINVAL },
		{ "/mana_sim/reset,net_mana_sim12,-1", -EINVAL },
		{ "/mana_sim/reset,net_mana_sim12,99999999999999999999", -EINVAL },
		{ "/mana_sim/reset,,10", -EINVAL },
		{ "/mana_sim/reset,,,,,,,,", -EINVAL },
		{ "/mana_sim/reset,net_mana_sim_none", -ENODEV },
		{ "/mana_sim/remove,net_mana_sim12,1", -EINVAL },
		{ "/mana_sim/fail_open,net_mana_sim12", -EINVAL },
		{ "/mana_sim/fail_open,net_mana_sim12,-", -EINVAL },
		{ "/mana_sim/fail_open,net_mana_sim12,3x", -EINVAL },
		{ "/mana_sim/fail_open,net_mana_sim12,4294967296", -EINVAL },
		{ "/mana_sim/fatal_in_recovery,net_mana_sim12", -EINVAL },
		{ "/mana_sim/fatal_in_recovery,net_mana_sim12,1,2,3", -EINVAL },
		{ "/mana_sim/event_delay,net_mana_sim12", -EINVAL },
		{ "/mana_sim/event_delay,net_mana_sim12,1e3", -EINVAL },
		{ "/mana_sim/event_delay,net_mana_sim12,10", 0 },
		{ "/mana_sim/fatal_in_recovery,net_mana_sim12,10", 0 },
		{ "/mana_sim/fatal_in_recovery,net_mana_sim12,10,20", 0 },
		{ "/mana_sim/fail_open,net_mana_sim12,1", 0 },
	};
	struct mana_hw_dev *dev = NULL;
	struct mana_hw_ctx *ctx = NULL;
	struct mana_sim_stats st;
	static char reply[16384];
	char longcmd[600];
	unsigned int i;
	int fd, result;
	bool ok = false;

	fd = t_tel_connect();
	CHECK(fd >= 0, "telemetry socket");
	CHECK(ops->get_device(name, NULL, &dev) == 0, "get_device");
	CHECK(t_tel_cmd(fd, "/mana_sim/list", &result, reply, sizeof(reply)) && result == 0 &&
	      strstr(reply, name) != NULL, "list: %s", reply);
	CHECK(t_tel_cmd(fd, "/mana_sim/info,net_mana_sim12", &result, reply, sizeof(reply)) &&
	      result == 0 && strstr(reply, "\"state\":\"up\"") != NULL &&
	      strstr(reply, "\"engine_sleeps\"") != NULL, "info: %s", reply);
	for (i = 0; i < RTE_DIM(cmds); i++) {
		CHECK(t_tel_cmd(fd, cmds[i].cmd, &result, reply, sizeof(reply)), "%s", cmds[i].cmd);
		CHECK(result == cmds[i].result, "%s: %s", cmds[i].cmd, reply);
		CHECK(result == 0 || strstr(reply, "\"error\"") != NULL, "%s: no error text: %s",
		      cmds[i].cmd, reply);
	}
	snprintf(longcmd, sizeof(longcmd), "/mana_sim/reset,%0500d", 7);
	CHECK(t_tel_cmd(fd, longcmd, &result, reply, sizeof(reply)) && result == -EINVAL,
	      "long params: %s", reply);

	/* The injected fail_open takes effect. */
	CHECK(ops->open(dev, &ctx) == -EIO, "open after /mana_sim/fail_open");
	CHECK(ops->open(dev, &ctx) == 0, "second open");
	CHECK(t_tel_cmd(fd, "/mana_sim/reset,net_mana_sim12,5000", &result, reply,
			sizeof(reply)) && result == 0, "reset: %s", reply);
	CHECK(t_tel_cmd(fd, "/mana_sim/info,net_mana_sim12", &result, reply, sizeof(reply)) &&
	      result == 0 && strstr(reply, "\"state\":\"down\"") != NULL &&
	      strstr(reply, "\"resets\":1") != NULL, "info after reset: %s", reply);
	CHECK(t_tel_cmd(fd, "/mana_sim/remove,net_mana_sim12", &result, reply, sizeof(reply)) &&
	      result == 0, "remove: %s", reply);
	CHECK(t_tel_cmd(fd, "/mana_sim/remove,net_mana_sim12", &result, reply, sizeof(reply)) &&
	      result == -ENODEV, "second remove: %s", reply);
	CHECK(t_stats(name, &st) && st.state == MANA_SIM_DEV_REMOVED, "state %d", st.state);
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	if (ctx != NULL)
		ops->close(ctx);
	if (dev != NULL)
		ops->put_device(dev);
	return ok;
}

/* Send one frame with @oob (NULL: default) and collect its Rx completion. */
static bool
t_send_one(struct t_port *p, const uint8_t *frame, uint32_t len,
	   const struct mana_tx_short_oob *oob, uint32_t tx_type, struct t_rx_pkt *rx)
{
	t_tx_post(p, 0, frame, len, oob);
	t_ring(&p->sq[0]);
	if (!t_tx_wait(p, 0, 1, tx_type))
		return false;
	return rx == NULL || t_rx_collect(p, rx, 1);
}

/* 13. Checksum offload and verdicts, short frames, suppressed completions. */
static bool
test_checksums(void)
{
	const struct t_port_conf conf = {
		.name = "net_mana_sim13", .n_rxq = 1, .n_txq = 1, .rx_desc = 256,
		.tx_desc = 256, .tx_max_sge = 2, .rss = true, .hash_fields = ALL_FIELDS,
	};
	struct t_flow fl = t_udp4_flow(11);
	struct mana_tx_short_oob oob;
	uint8_t good[256], frame[256];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + 14);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(frame + 14);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(frame + 34);
	struct rte_udp_hdr *udp;
	struct mana_tx_comp_oob tx;
	struct gdma_sge two[2];
	uint8_t long_oob[24];
	struct gdma_cqe cqe[2];
	struct t_rx_pkt rx;
	struct t_port *p;
	uint32_t len, bu;
	uint64_t deadline;
	bool ok = false;
	int n;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	t_rx_post(p, 0, 200, T_BUF_SIZE, p->lkey);

	/* TCP/IPv4, both checksums offloaded, pseudo-header sum seeded. */
	fl.tcp = true;
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
	CHECK(memcmp(t_tx_buf(p, 0, p->tx_posted[0] - 1), frame, len) == 0,
	      "the device wrote into the send buffer");

	/* Not seeded: the device completes a partial sum, so the result is wrong. */
	memcpy(frame, good, len);
	tcp->cksum = 0;
	CHECK(t_send_one(p, frame, len, &oob, CQE_TX_OKAY, &rx), "unseeded TCP");
	CHECK(rx.oob.tcp_csum_bad && !rx.oob.tcp_csum_ok, "unseeded TCP should be bad");

	/* Wrong transport header offset. */
	oob.transport_hdr_offset = 30;
	CHECK(t_send_one(p, good, len, &oob, CQE_TX_HDR_PROCESSING_ERROR, NULL), "bad offset");

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
	CHECK(t_send_one(p, frame, len, &oob, CQE_TX_OKAY, &rx), "UDP/IPv6 offload");
	CHECK(rx.oob.udp_csum_ok && !rx.oob.ip_csum_ok && memcmp(rx.buf, good, len) == 0,
	      "UDP/IPv6 offload result");

	/* Bad checksums, no offload: reported bad. */
	fl = t_udp4_flow(12);
	len = t_frame(frame, &fl, 50, 3);
	udp = (struct rte_udp_hdr *)(frame + 34);
	udp->dgram_cksum ^= 0x0101;
	ip->hdr_checksum ^= 0x0101;
	CHECK(t_send_one(p, frame, len, NULL, CQE_TX_OKAY, &rx), "bad checksums");
	CHECK(rx.oob.ip_csum_bad && !rx.oob.ip_csum_ok && rx.oob.udp_csum_bad &&
	      !rx.oob.udp_csum_ok, "bad checksum bits");

	/* Frames shorter than an Ethernet header, and an empty SGL. */
	CHECK(t_send_one(p, frame, 10, NULL, CQE_TX_HDR_PROCESSING_ERROR, NULL), "short");
	t_tx_oob(p, 0, &oob);
	t_post_wqe(&p->sq[0], &oob, sizeof(oob), NULL, 0);
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_HDR_PROCESSING_ERROR), "empty SGL");

	/* A suppressed completion, then a normal one: one CQE, for the second. */
	len = t_frame(frame, &fl, 50, 4);
	t_tx_oob(p, 0, &oob);
	oob.suppress_cqe = 1;
	t_tx_post(p, 0, frame, len, &oob);
	bu = t_tx_post(p, 0, frame, len, NULL);
	t_ring(&p->sq[0]);
	CHECK(t_rx_collect(p, &rx, 1) && t_rx_collect(p, &rx, 1), "both delivered");
	deadline = t_now_ms() + T_WAIT_MS;
	while ((n = t_poll_cq(&p->tx_cq[0], cqe, 1)) == 0 && t_now_ms() < deadline)
		t_poll_pause();
	CHECK(n == 1, "no completion for a normal send after a suppressed one");
	CHECK(t_cqs_quiet(p), "a completion for the suppressed send");
	memcpy(&tx, cqe[0].client_data, sizeof(tx));
	CHECK(tx.hdr.cqe_type == CQE_TX_OKAY && tx.tx_wqe_offset == bu,
	      "completion of WQE %u, want %u", tx.tx_wqe_offset, bu);

	/* 24-byte OOB (long format) and a 2-SGE WQE. */
	t_tx_oob(p, 0, &oob);
	oob.packet_format = 1;
	memset(long_oob, 0, sizeof(long_oob));
	memcpy(long_oob, &oob, sizeof(oob));
	memcpy(t_tx_buf(p, 0, 500), frame, 20);
	memcpy(t_tx_buf(p, 0, 501), frame + 20, len - 20);
	two[0] = (struct gdma_sge){ (uintptr_t)t_tx_buf(p, 0, 500), p->lkey, 20 };
	two[1] = (struct gdma_sge){ (uintptr_t)t_tx_buf(p, 0, 501), p->lkey, len - 20 };
	t_post_wqe(&p->sq[0], long_oob, sizeof(long_oob), two, 2);
	t_ring(&p->sq[0]);
	CHECK(t_tx_wait(p, 0, 1, CQE_TX_OKAY), "long OOB");
	CHECK(t_rx_collect(p, &rx, 1) && memcmp(rx.buf, frame, len) == 0, "long OOB rx");
	/* The long format in a short OOB is invalid. */
	CHECK(t_send_one(p, frame, len, &oob, CQE_TX_INVALID_OOB, NULL), "format 1 in 8 bytes");
	ok = true;
out:
	if (p != NULL)
		t_port_close(p);
	return ok;
}

/* 14. Argument checking and object rules of the ops table. */
static bool
test_api(void)
{
	const char *name = "net_mana_sim14";
	struct mana_hw_dev *dev = NULL;
	struct mana_hw_ctx *ctx = NULL, *ctx2 = NULL, *ctx3 = NULL;
	struct mana_hw_pd *pd = NULL, *pd2 = NULL, *pd3;
	struct mana_hw_cq *cq[5] = { NULL }, *cq2 = NULL, *cq3;
	struct mana_hw_wq *wq[3] = { NULL }, *wq3, *reta[2];
	struct mana_hw_sq *sq[3] = { NULL }, *sq3;
	struct mana_hw_rss *rss = NULL, *rss2, *rss3;
	struct mana_hw_mr *mr[10] = { NULL }, *mr3;
	struct mana_hw_queue_info info, qi[12];
	struct mana_hw_caps caps;
	enum mana_hw_event ev;
	uint32_t lkey[10], lk, i, j, n_qi = 0;
	static uint8_t mem[65536];
	bool ok = false;

	CHECK(ops->get_device(name, "max_queues=2,mac=02:11:22:33:44:55,link_mbps=25000",
			      &dev) == 0, "get_device");
	CHECK(ops->open(NULL, &ctx) == -EINVAL, "open(NULL)");
	CHECK(ops->open(dev, &ctx) == 0 && ops->open(dev, &ctx2) == 0, "open");
	CHECK(ops->query(ctx, &caps) == 0, "query");
	CHECK(caps.max_queues == 2 && caps.max_rx_desc == 4096 && caps.max_tx_desc == 4096 &&
	      caps.max_send_sge == 30 && caps.max_recv_sge == 1 && caps.max_mr == 4096 &&
	      caps.max_mr_size == (1ull << 40) && caps.link_speed_mbps == 25000 &&
	      caps.link_up && caps.db_region_size == 4 * 2 * 4096 &&
	      caps.mac.addr_bytes[1] == 0x11 && caps.mac.addr_bytes[5] == 0x55, "caps");
	CHECK(ops->query(NULL, &caps) == -EINVAL && ops->query(ctx, NULL) == -EINVAL, "query");
	CHECK(ops->get_async_event(ctx, &ev) == -EAGAIN, "no event");
	CHECK(ops->doorbell_fd(NULL) == -EINVAL && ops->async_fd(NULL) == -EINVAL, "fds");
	CHECK(ops->alloc_pd(ctx, &pd) == 0 && ops->alloc_pd(ctx2, &pd2) == 0, "pd");

	/* Memory registrations. */
	CHECK(ops->reg_mr(pd, mem, 0, &mr[0], &lk) == -EINVAL, "len 0");
	CHECK(ops->reg_mr(pd, NULL, 16, &mr[0], &lk) == -EINVAL, "NULL addr");
	CHECK(ops->reg_mr(NULL, mem, 16, &mr[0], &lk) == -EINVAL, "NULL pd");
	CHECK(ops->reg_mr((struct mana_hw_pd *)ctx, mem, 16, &mr[0], &lk) == -EINVAL,
	      "a context as a PD");
	for (i = 0; i < 10; i++) {
		CHECK(ops->reg_mr(pd, mem + i * 1000, 1000, &mr[i], &lkey[i]) == 0, "reg_mr");
		CHECK(lkey[i] != 0, "zero lkey");
		for (j = 0; j < i; j++)
			CHECK(lkey[j] != lkey[i], "duplicate lkey");
	}
	CHECK(ops->dereg_mr(mr[3]) == 0 && ops->dereg_mr(mr[3]) == -EINVAL, "dereg twice");
	CHECK(ops->reg_mr(pd, mem, 10, &mr[3], &lk) == 0 && lk != lkey[3], "lkey reuse");
	CHECK(ops->dealloc_pd(pd) == -EBUSY, "dealloc_pd with MRs");

	/* Queues: sizes, doorbell pages, ids, limits. */
	CHECK(ops->create_cq(ctx, 0, SOCKET_ID_ANY, &cq[0], &info) == -EINVAL, "cq count 0");
	CHECK(ops->create_cq(ctx, 65537, SOCKET_ID_ANY, &cq[0], &info) == -EINVAL, "cq big");
	CHECK(ops->create_cq(ctx, 64, SOCKET_ID_ANY, NULL, &info) == -EINVAL, "cq NULL");
	CHECK(ops->create_cq(ctx, 100, SOCKET_ID_ANY, &cq[0], &qi[n_qi]) == 0 &&
	      qi[n_qi].count == 128 && qi[n_qi].size == 128 * 64, "cq 100");
	n_qi++;
	CHECK(ops->create_cq(ctx, 1, SOCKET_ID_ANY, &cq[1], &qi[n_qi]) == 0 &&
	      qi[n_qi].count == 64, "cq 1");
	n_qi++;
	CHECK(ops->create_cq(ctx, 64, SOCKET_ID_ANY, &cq[2], &qi[n_qi++]) == 0, "cq");
	CHECK(ops->create_cq(ctx, 64, SOCKET_ID_ANY, &cq[3], &qi[n_qi++]) == 0, "cq");
	CHECK(ops->create_cq(ctx, 64, SOCKET_ID_ANY, &cq[4], &info) == -ENOSPC, "5th cq");
	CHECK(ops->create_cq(ctx2, 64, SOCKET_ID_ANY, &cq2, &info) == 0, "cq on ctx2");

	CHECK(ops->create_wq(pd, cq[0], 0, SOCKET_ID_ANY, &wq[0], &info) == -EINVAL, "wq 0");
	CHECK(ops->create_wq(pd, cq[0], 4097, SOCKET_ID_ANY, &wq[0], &info) == -EINVAL, "big");
	CHECK(ops->create_wq(pd, cq2, 64, SOCKET_ID_ANY, &wq[0], &info) == -EINVAL,
	      "CQ of another context");
	CHECK(ops->create_wq(pd, (struct mana_hw_cq *)pd2, 64, SOCKET_ID_ANY, &wq[0], &info) ==
	      -EINVAL, "a PD as a CQ");
	CHECK(ops->create_wq(pd, cq[0], 100, SOCKET_ID_ANY, &wq[0], &qi[n_qi]) == 0 &&
	      qi[n_qi].size == 4096 && qi[n_qi].count == 128, "wq 100");
	n_qi++;
	CHECK(ops->create_wq(pd, cq[0], 1000, SOCKET_ID_ANY, &wq[1], &qi[n_qi]) == 0 &&
	      qi[n_qi].size == 32768 && qi[n_qi].count == 1024, "wq 1000");
	n_qi++;
	CHECK(ops->create_wq(pd, cq[0], 64, SOCKET_ID_ANY, &wq[2], &info) == -ENOSPC, "3rd wq");

	CHECK(ops->create_sq(pd, cq[1], 64, 0, SOCKET_ID_ANY, &sq[0], &info) == -EINVAL, "sge 0");
	CHECK(ops->create_sq(pd, cq[1], 64, 31, SOCKET_ID_ANY, &sq[0], &info) == -EINVAL, "31");
	CHECK(ops->create_sq(pd, cq[1], 64, 4, SOCKET_ID_ANY, &sq[0], &qi[n_qi]) == 0 &&
	      qi[n_qi].size == 8192 && qi[n_qi].count == 256 && qi[n_qi].tx_vp_offset != 0,
	      "sq 64x4: size %u", qi[n_qi].size);
	n_qi++;
	CHECK(ops->create_sq(pd, cq[2], 256, 30, SOCKET_ID_ANY, &sq[1], &qi[n_qi]) == 0 &&
	      qi[n_qi].size == 131072, "sq 256x30: size %u", qi[n_qi].size);
	n_qi++;
	CHECK(ops->create_sq(pd, cq[3], 64, 1, SOCKET_ID_ANY, &sq[2], &info) == -ENOSPC, "3rd sq");
	for (i = 0; i < n_qi; i++) {
		CHECK(qi[i].buf != NULL && ((uintptr_t)qi[i].buf & 4095) == 0, "ring alignment");
		CHECK(qi[i].id != 0 && qi[i].id <= 0xffffff, "queue id %u", qi[i].id);
		CHECK(qi[i].db_offset % 4096 == 0 &&
		      qi[i].db_offset + 4096 <= caps.db_region_size, "db_offset %u",
		      qi[i].db_offset);
		for (j = 0; j < i; j++)
			CHECK(qi[j].id != qi[i].id && qi[j].db_offset != qi[i].db_offset,
			      "queues %u and %u share an id or a doorbell page", i, j);
	}
	CHECK(ops->destroy_cq(cq[0]) == -EBUSY, "destroy a CQ in use");

	/* RSS. */
	reta[0] = wq[0];
	reta[1] = wq[1];
	CHECK(ops->create_rss(pd, NULL, 1, t_rss_key, 0, &rss) == -EINVAL, "NULL reta");
	CHECK(ops->create_rss(pd, reta, 7, t_rss_key, 0, &rss) == -EINVAL, "log 7");
	CHECK(ops->create_rss(pd, reta, 1, NULL, 0, &rss) == -EINVAL, "NULL key");
	CHECK(ops->create_rss(pd, reta, 1, t_rss_key, 1u << 7, &rss) == -EINVAL, "bad fields");
	CHECK(ops->create_rss(pd2, reta, 1, t_rss_key, 0, &rss) == -EINVAL, "WQs of another ctx");
	CHECK(ops->create_rss(pd, reta, 1, t_rss_key, ALL_FIELDS, &rss) == 0, "create_rss");
	CHECK(ops->create_rss(pd, reta, 1, t_rss_key, ALL_FIELDS, &rss2) == -EBUSY, "2nd rss");
	CHECK(ops->destroy_wq(wq[0]) == -EBUSY, "destroy a WQ in the RSS table");
	CHECK(ops->destroy_rss(rss) == 0 && ops->destroy_rss(rss) == -EINVAL, "destroy_rss");
	rss = NULL;
	CHECK(ops->destroy_wq(wq[0]) == 0 && ops->destroy_wq(wq[0]) == -EINVAL, "destroy_wq");
	wq[0] = NULL;
	CHECK(ops->destroy_sq(sq[0]) == 0 && ops->destroy_sq(sq[0]) == -EINVAL, "destroy_sq");
	sq[0] = NULL;

	/* Closing a context with everything still in it frees everything. */
	CHECK(ops->open(dev, &ctx3) == 0, "open ctx3");
	CHECK(ops->alloc_pd(ctx3, &pd3) == 0 && ops->reg_mr(pd3, mem, 100, &mr3, &lk) == 0 &&
	      ops->create_cq(ctx3, 64, SOCKET_ID_ANY, &cq3, &info) == 0 &&
	      ops->create_wq(pd3, cq3, 64, SOCKET_ID_ANY, &wq3, &info) == 0 &&
	      ops->create_sq(pd3, cq3, 64, 1, SOCKET_ID_ANY, &sq3, &info) == 0 &&
	      ops->create_rss(pd3, &wq3, 0, t_rss_key, 0, &rss3) == 0, "ctx3 objects");
	CHECK(ops->close(ctx3) == 0, "close ctx3");
	CHECK(ops->close(ctx3) == -EINVAL && ops->query(ctx3, &caps) == -EINVAL &&
	      ops->destroy_cq(cq3) == -EINVAL && ops->dereg_mr(mr3) == -EINVAL,
	      "closed context and its objects are gone");
	ctx3 = NULL;
	ops->put_device(NULL);	/* must not crash */
	ok = true;
out:
	if (rss != NULL)
		ops->destroy_rss(rss);
	if (ctx != NULL)
		ops->close(ctx);
	if (ctx2 != NULL)
		ops->close(ctx2);
	if (ctx3 != NULL)
		ops->close(ctx3);
	if (dev != NULL)
		ops->put_device(dev);
	return ok;
}

/* 15. Engine throughput: 64-byte frames, one SQ into one WQ. Reported, not checked. */
static bool
test_throughput(void)
{
	const struct t_port_conf conf = {
		.name = "net_mana_sim15", .n_rxq = 1, .n_txq = 1, .rx_desc = 1024,
		.tx_desc = 1024, .rss = true, .hash_fields = ALL_FIELDS,
	};
	struct t_flow fl = t_udp4_flow(1);
	struct mana_tx_short_oob oob;
	struct gdma_cqe cqe[256];
	struct gdma_sge sge;
	uint64_t t0, t1, tx_posted = 0, tx_done = 0, rx_done = 0;
	uint8_t *frame;
	struct t_port *p;
	bool ok = false;
	int n, i;

	p = t_port_open(&conf);
	CHECK(p != NULL, "port");
	frame = t_tx_buf(p, 0, 0);
	sge = (struct gdma_sge){ (uintptr_t)frame, p->lkey, t_frame(frame, &fl, 18, 0) };
	CHECK(sge.size == 60, "frame of %u bytes", sge.size);
	t_tx_oob(p, 0, &oob);
	t_rx_post(p, 0, 1024, T_BUF_SIZE, p->lkey);
	t0 = t_now_ns();
	do {
		for (i = 0; i < 64 && tx_posted - tx_done < 512; i++, tx_posted++)
			t_post_wqe(&p->sq[0], &oob, sizeof(oob), &sge, 1);
		t_ring(&p->sq[0]);
		n = t_poll_cq(&p->tx_cq[0], cqe, 256);
		CHECK(n >= 0, "tx CQ");
		tx_done += n;
		n = t_poll_cq(&p->rx_cq[0], cqe, 256);
		CHECK(n >= 0, "rx CQ");
		for (i = 0; i < n; i++) {
			struct mana_rx_comp_oob r;

			memcpy(&r, cqe[i].client_data, sizeof(r));
			CHECK(r.hdr.cqe_type == CQE_RX_OKAY, "rx type %u", r.hdr.cqe_type);
		}
		rx_done += n;
		p->rx_done[0] += n;
		if (n > 0)
			t_rx_post(p, 0, n, T_BUF_SIZE, p->lkey);
		t1 = t_now_ns();
	} while (t1 - t0 < 500000000ull);
	printf("    engine: %.2f Mpps (64-byte frames, 1 SQ -> 1 WQ, loopback; %" PRIu64
	       " sent, %" PRIu64 " received)\n", rx_done * 1e3 / (t1 - t0), tx_done, rx_done);
	CHECK(rx_done > 0, "nothing received");
	ok = true;
out:
	if (p != NULL)
		t_port_close(p);
	return ok;
}

struct t_case {
	const char *name;
	bool (*fn)(void);
};

static const struct t_case t_cases[] = {
	{ "loopback", test_loopback },
	{ "multiseg", test_multiseg },
	{ "no_lost_doorbells", test_no_lost_doorbells },
	{ "rss_spread", test_rss_spread },
	{ "errors", test_errors },
	{ "rx_drops", test_rx_drops },
	{ "revocation", test_revocation },
	{ "faults", test_faults },
	{ "schedule", test_schedule },
	{ "peer_wire", test_peer_wire },
	{ "idle_engine", test_idle_engine },
	{ "telemetry", test_telemetry },
	{ "checksums", test_checksums },
	{ "api", test_api },
	{ "throughput", test_throughput },
};

static int
t_rm_entry(const char *path, const struct stat *sb __rte_unused, int flag __rte_unused,
	   struct FTW *ftw __rte_unused)
{
	return remove(path);
}

static bool
t_selected(int argc, char **argv, const char *name)
{
	int i;

	if (argc <= 1)
		return true;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

/* Usage: test_sim [case...] (default: all cases). */
int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal_argv[] = {
		argv[0], (char *)"--no-huge", (char *)"-m", (char *)"512", (char *)"--no-pci",
		(char *)"-l", (char *)"0", prefix,
		(char *)"--log-level=mana_sim:info", NULL,
	};
	char *runtime_dir;
	unsigned int i, failed = 0, run = 0;
	uint64_t t0;
	bool ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(prefix, sizeof(prefix), "--file-prefix=test_sim_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal_argv) - 1, eal_argv) < 0) {
		printf("EAL init failed\n");
		return 1;
	}
	runtime_dir = strdup(rte_eal_get_runtime_dir());
	ops = mana_sim_hw_ops();
	for (i = 0; i < RTE_DIM(t_cases); i++) {
		if (!t_selected(argc, argv, t_cases[i].name))
			continue;
		printf("---- %s\n", t_cases[i].name);
		t0 = t_now_ns();
		ok = t_cases[i].fn();
		printf("%s %s (%.0f ms)\n", ok ? "PASS" : "FAIL", t_cases[i].name,
		       (t_now_ns() - t0) / 1e6);
		failed += !ok;
		run++;
	}
	printf("%u of %u cases passed\n", run - failed, run);
	rte_eal_cleanup();
	if (runtime_dir != NULL) {
		nftw(runtime_dir, t_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
		free(runtime_dir);
	}
	return failed == 0 && run > 0 ? 0 : 1;
}
