/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The contract of a MANA function behind libibverbs and libmana, one test
 * per rule, run against the software MANA VF (libmana_sim.so, preloaded).
 * Each rule is what rdma-core's providers/mana, the Linux ib core and
 * mana_ib, or DPDK net/mana do, with the errno userspace sees there; the
 * comment above each test cites its sources (file:line where a release was
 * read, file:function otherwise):
 *   rc44: rdma-core v44.0 providers/mana (Debian 12)
 *   rcM:  rdma-core main (691953d8d) providers/mana
 *   k61:  Linux 6.1 (Debian linux-source-6.1), drivers/infiniband/core and
 *         drivers/net/ethernet/microsoft/mana
 *   KU:   upstream Linux drivers/infiniband/hw/mana
 *   d25:  DPDK 25.11 drivers/net/mana
 *   KP:   a mailing-list patch (search index id)
 * A test that fails shows where the VF departs from those sources.
 *
 * Environment (tests/unit/meson.build): LD_PRELOAD=libmana_sim.so and
 *   MANA_SIM="instance=...;down_ms=300;
 *             fn=7870:00:00.0,ports=4,up1=1,up2=0,up3=0,up4=0;
 *             fn=7870:00:01.0,ports=2,up1=0,up2=0,rc_lead_ms=150"
 * Rules that need another rdma_core= (or a process without CAP_NET_RAW)
 * run in a child: this binary re-executed with --child and its own
 * instance. T_RDMA_CORE is the rdma-core the VF emulates by default (the
 * installed one, from meson).
 *
 * Usage: test_vf_contract [rule...]   (default: every rule)
 */

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <infiniband/manadv.h>
#include <infiniband/verbs.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_io.h>
#include <rte_ip.h>
#include <rte_thash.h>
#include <rte_udp.h>

#include "mana_dpdk_compat.h"
#include "vf_harness.h"

#ifndef T_RDMA_CORE
#define T_RDMA_CORE	44
#endif

#define T_FN		"7870:00:00.0"	/* 4 ports, the netdev of port 1 up */
#define T_FN_RESET	"7870:00:01.0"	/* 2 ports, rc_lead_ms=150 */
#define T_FN_PORTS	4u
#define T_CHILD_MS	30000u	/* a rule run in a child */

/* A check that does not stop the rule: the rest still runs, the rule fails. */
#define EXPECT(cond, ...) do { \
	if (!(cond)) { \
		printf("    %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		t_expect_failed = true; \
	} \
} while (0)

static bool t_expect_failed;

static const char *
t_err(int e)
{
	return e == 0 ? "success" : strerror(e);
}

/* ------------------------------------------------------------------ */
/* Objects                                                             */
/* ------------------------------------------------------------------ */

static struct ibv_qp *
t_rss_qp(struct ibv_context *ctx, struct ibv_pd *pd, struct ibv_rwq_ind_table *ind)
{
	return t_rss_qp_mask(ctx, pd, ind, IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4 |
			     IBV_RX_HASH_SRC_PORT_UDP | IBV_RX_HASH_DST_PORT_UDP);
}

static uint32_t
t_cq_id(struct ibv_cq *cq)
{
	struct manadv_obj o;
	struct manadv_cq dv;

	memset(&o, 0, sizeof(o));
	o.cq.in = cq;
	o.cq.out = &dv;
	dv.cq_id = 0x5a5a5a5a;
	return manadv_init_obj(&o, MANADV_OBJ_CQ) == 0 ? dv.cq_id : 0x5a5a5a5a;
}

/* A RAW QP on the parent domain of @pd for @port, and its CQ; 0 or the errno. */
struct t_tx {
	struct ibv_pd *pdom;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
};

static int
t_tx_create(struct ibv_context *ctx, struct ibv_pd *pd, uint32_t port, struct t_tx *t)
{
	memset(t, 0, sizeof(*t));
	t->pdom = t_parent(ctx, pd, port);
	if (t->pdom == NULL)
		return errno;
	t->cq = t_cq(ctx, 64);
	if (t->cq == NULL)
		return errno;
	t->qp = t_raw_qp(t->pdom, t->cq);
	return t->qp != NULL ? 0 : errno;
}

static void
t_tx_destroy(struct t_tx *t)
{
	if (t->qp != NULL)
		ibv_destroy_qp(t->qp);
	if (t->cq != NULL)
		ibv_destroy_cq(t->cq);
	if (t->pdom != NULL)
		ibv_dealloc_pd(t->pdom);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ */
/* A port with traffic (rules 6 and 15)                                */
/* ------------------------------------------------------------------ */

/* The PMD's bring-up (d25 mana.c, tx.c, rx.c) of port 2, @n_rxq queues of 64, RSS mask @fields. */
static struct t_port *
t_traffic_port(unsigned int n_rxq, uint64_t fields)
{
	const struct t_port_conf c = {
		.bdf = T_FN, .port = 2, .n_rxq = n_rxq, .n_txq = 1, .rx_desc = 64, .tx_desc = 64,
		.rss = true, .hash_fields = fields,
	};

	return t_port_open(&c);
}

/* UDP/IPv4 flow @i of rules 6 and 15: 10.0.0.i -> 192.168.0.1, port 1000 + 13 i -> 4791. */
static struct t_flow
t_flow_of(uint32_t i)
{
	struct t_flow fl = t_udp4_flow(i);

	fl.dst4 = (192u << 24) | (168u << 16) | 1u;
	return fl;
}

/*
 * Send UDP/IPv4 flows @first..@first+@n-1 (with @same: flow @first @n times)
 * in one burst, the place in the burst as the sequence number; wait for the
 * send completions.
 */
static bool
t_send(struct t_port *p, uint32_t first, uint32_t n, bool same)
{
	static uint8_t frame[T_BUF_SIZE];
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct t_flow fl = t_flow_of(same ? first : first + i);

		t_tx_post(p, 0, frame, t_frame(frame, &fl, 22, i), NULL, 0);
	}
	t_ring(&p->txq[0].sq);
	return t_tx_wait(p, 0, n, CQE_TX_OKAY, NULL);
}

/* Collect @n packets (one WQE each, up to 4 per CQE) from every receive queue. */
static bool
t_recv(struct t_port *p, struct t_rx_pkt *out, uint32_t n)
{
	uint32_t i;

	if (!t_rx_collect(p, out, n))
		return false;
	for (i = 0; i < n; i++)
		if (out[i].cqe_type != CQE_RX_OKAY && out[i].cqe_type != CQE_RX_COALESCED_4)
			return false;
	return true;
}

/* The place in its burst of a packet of t_send(). */
static uint32_t
t_burst_pos(const struct t_rx_pkt *rx)
{
	return t_frame_seq(rx->buf, T_UDP4_SEQ_OFF);
}

/* ------------------------------------------------------------------ */
/* Rules                                                               */
/* ------------------------------------------------------------------ */

/*
 * 1. RAW and RSS QPs live on a parent domain whose pd_context is the port.
 * A plain PD: EINVAL (rc44 qp.c:46-52 raw, 191-197 RSS). The port is
 * (uint32_t)pd_context (rc44 qp.c:54-55, 207-208); the kernel refuses one
 * outside 1..num_ports with EINVAL (KU qp.c:mana_ib_create_qp_raw and
 * mana_ib_create_qp_rss via KU mana_ib.h:mana_ib_get_netdev). A parent
 * domain without PD_CONTEXT carries port 0.
 */
static bool
rule01_parent_domain_port(void)
{
	struct ibv_parent_domain_init_attr pa;
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd = NULL, *pdom[4] = { NULL };
	struct ibv_cq *cq[8] = { NULL };
	struct ibv_wq *wq = NULL;
	struct ibv_rwq_ind_table *ind = NULL;
	struct ibv_qp *qp = NULL, *rss = NULL;
	static const uint32_t bad_ports[] = { 0, T_FN_PORTS + 1, 0x10002 };
	unsigned int i;
	bool ok = false;

	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open: %s", t_err(errno));
	pd = ibv_alloc_pd(ctx);
	CHECK(pd != NULL, "PD");
	for (i = 0; i < RTE_DIM(cq); i++) {
		cq[i] = t_cq(ctx, 64);
		CHECK(cq[i] != NULL, "CQ");
	}
	wq = t_wq(ctx, pd, cq[7]);
	CHECK(wq != NULL, "WQ");
	ind = t_ind(ctx, &wq, 0);
	CHECK(ind != NULL, "table");
	errno = 0;
	CHECK(t_raw_qp(pd, cq[0]) == NULL && errno == EINVAL, "RAW QP on a plain PD: %s",
	      t_err(errno));
	errno = 0;
	CHECK(t_rss_qp(ctx, pd, ind) == NULL && errno == EINVAL, "RSS QP on a plain PD: %s",
	      t_err(errno));
	memset(&pa, 0, sizeof(pa));
	pa.pd = pd;
	pdom[0] = ibv_alloc_parent_domain(ctx, &pa);
	CHECK(pdom[0] != NULL, "parent domain without PD_CONTEXT: %s", t_err(errno));
	errno = 0;
	CHECK(t_raw_qp(pdom[0], cq[0]) == NULL && errno == EINVAL,
	      "RAW QP, parent domain without pd_context: %s", t_err(errno));
	for (i = 0; i < RTE_DIM(bad_ports); i++) {
		pdom[1] = t_parent(ctx, pd, bad_ports[i]);
		CHECK(pdom[1] != NULL, "parent domain");
		errno = 0;
		CHECK(t_raw_qp(pdom[1], cq[1 + i]) == NULL && errno == EINVAL,
		      "RAW QP on port %#x: %s", bad_ports[i], t_err(errno));
		errno = 0;
		CHECK(t_rss_qp(ctx, pdom[1], ind) == NULL && errno == EINVAL,
		      "RSS QP on port %#x: %s", bad_ports[i], t_err(errno));
		ibv_dealloc_pd(pdom[1]);
		pdom[1] = NULL;
	}
	pdom[2] = t_parent(ctx, pd, T_FN_PORTS);
	CHECK(pdom[2] != NULL, "parent domain");
	qp = t_raw_qp(pdom[2], cq[4]);
	CHECK(qp != NULL, "RAW QP on port %u: %s", T_FN_PORTS, t_err(errno));
	rss = t_rss_qp(ctx, pdom[2], ind);
	CHECK(rss != NULL, "RSS QP on port %u: %s", T_FN_PORTS, t_err(errno));
	ok = true;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/*
 * 2. CQ and WQ ids exist only once a QP created the hardware queues:
 * Ethernet CQs get no id at creation (KU cq.c:mana_ib_create_user_cq; rc44
 * mana.c:234 leaves cqid 0), a WQ's id comes from the RSS QP's response
 * (rc44 qp.c:232-244), a CQ's from its QP's (rc44 qp.c:114-118).
 * manadv_init_obj only copies (rc44 manadv.c:43-88): before the QP, cq_id is
 * 0 up to rdma-core 61 and UINT32_MAX since v62 (rcM cq.c:169,181,
 * a09db86ec); wq_id is 0. Both QP and RWQ report the context's one doorbell
 * page (rc44 manadv.c; rc44 mana.c:388-394).
 */
static bool
t_rule02(uint32_t rdma_core)
{
	uint32_t unassigned = rdma_core >= 62 ? UINT32_MAX : 0;
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd, *pdom;
	struct ibv_cq *cq_tx, *cq_rx[2];
	struct ibv_wq *wq[2];
	struct ibv_rwq_ind_table *ind;
	struct ibv_qp *qp, *rss;
	struct manadv_obj o;
	struct manadv_qp dq;
	struct manadv_cq dc;
	struct manadv_rwq dw;
	void *db_page;
	unsigned int i;
	bool ok = false;

	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	pd = ibv_alloc_pd(ctx);
	CHECK(pd != NULL, "PD");
	pdom = t_parent(ctx, pd, 2);
	cq_tx = t_cq(ctx, 64);
	cq_rx[0] = t_cq(ctx, 64);
	cq_rx[1] = t_cq(ctx, 64);
	CHECK(pdom != NULL && cq_tx != NULL && cq_rx[0] != NULL && cq_rx[1] != NULL, "objects");
	wq[0] = t_wq(ctx, pdom, cq_rx[0]);
	wq[1] = t_wq(ctx, pdom, cq_rx[1]);
	CHECK(wq[0] != NULL && wq[1] != NULL, "WQs");
	EXPECT(t_cq_id(cq_tx) == unassigned, "rdma-core %u: CQ id %#x before its QP, want %#x",
	       rdma_core, t_cq_id(cq_tx), unassigned);
	memset(&o, 0, sizeof(o));
	o.rwq.in = wq[0];
	o.rwq.out = &dw;
	CHECK(manadv_init_obj(&o, MANADV_OBJ_RWQ) == 0, "init_obj RWQ");
	EXPECT(dw.wq_id == 0, "WQ id %#x before the RSS QP", dw.wq_id);

	qp = t_raw_qp(pdom, cq_tx);
	CHECK(qp != NULL, "RAW QP: %s", t_err(errno));
	memset(&o, 0, sizeof(o));
	o.qp.in = qp;
	o.qp.out = &dq;
	o.cq.in = cq_tx;
	o.cq.out = &dc;
	CHECK(manadv_init_obj(&o, MANADV_OBJ_QP | MANADV_OBJ_CQ) == 0, "init_obj QP|CQ");
	EXPECT(dq.sq_id != 0 && dq.sq_id <= 0xffffff && dc.cq_id != 0 && dc.cq_id <= 0xffffff,
	       "ids after the QP: sq %#x cq %#x", dq.sq_id, dc.cq_id);
	EXPECT(dq.db_page != NULL, "no doorbell page");
	db_page = dq.db_page;
	EXPECT(t_cq_id(cq_rx[0]) == unassigned, "Rx CQ id %#x before the RSS QP",
	       t_cq_id(cq_rx[0]));

	ind = t_ind(ctx, wq, 1);
	CHECK(ind != NULL, "table");
	rss = t_rss_qp(ctx, pdom, ind);
	CHECK(rss != NULL, "RSS QP: %s", t_err(errno));
	for (i = 0; i < 2; i++) {
		memset(&o, 0, sizeof(o));
		o.rwq.in = wq[i];
		o.rwq.out = &dw;
		o.cq.in = cq_rx[i];
		o.cq.out = &dc;
		CHECK(manadv_init_obj(&o, MANADV_OBJ_RWQ | MANADV_OBJ_CQ) == 0, "init_obj");
		EXPECT(dw.wq_id != 0 && dw.wq_id <= 0xffffff && dc.cq_id != 0 &&
		       dc.cq_id <= 0xffffff && dc.cq_id != dq.sq_id && dw.wq_id != dq.sq_id,
		       "queue %u: wq %#x cq %#x", i, dw.wq_id, dc.cq_id);
		EXPECT(dw.db_page == db_page, "WQ %u on page %p, the QP on %p", i, dw.db_page,
		       db_page);
	}
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

static bool
rule02_ids_after_qp(void)
{
	bool ok = t_rule02(T_RDMA_CORE);

	ok &= t_run_child("rule02", "rdma_core=44;fn=" T_FN ",ports=4,up1=0", T_CHILD_MS);
	ok &= t_run_child("rule02_62", "rdma_core=62;fn=" T_FN ",ports=4,up1=0", T_CHILD_MS);
	return ok;
}

/*
 * 3. A WQ and its CQ back one hardware queue: mana_ib hands their DMA
 * regions to the hardware object and marks them consumed ("The GDMA regions
 * are now owned by the WQ object", KU qp.c:mana_ib_create_qp_rss and
 * mana_ib_create_qp_raw). There is no explicit duplicate check: a WQ listed
 * twice, a WQ or CQ reused after its QP was destroyed, left over from a
 * failed RSS create, or a CQ of another queue reaches the hardware with
 * GDMA_INVALID_DMA_REGION and is refused, EPROTO (k61 mana_en.c:740-746,
 * the driver's mapping of any hardware status; the verdict itself is the
 * hardware's).
 */
static bool
rule03_each_queue_once(void)
{
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd, *pdom;
	struct ibv_cq *cq[10];
	struct ibv_wq *w[8], *tbl[2];
	struct ibv_rwq_ind_table *ind;
	struct ibv_qp *rss, *qp;
	unsigned int i;
	bool ok = false;

	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	pd = ibv_alloc_pd(ctx);
	pdom = t_parent(ctx, pd, 2);
	CHECK(pd != NULL && pdom != NULL, "PD");
	for (i = 0; i < RTE_DIM(cq); i++) {
		cq[i] = t_cq(ctx, 64);
		CHECK(cq[i] != NULL, "CQ");
	}
	for (i = 0; i < 6; i++) {
		w[i] = t_wq(ctx, pdom, cq[i]);
		CHECK(w[i] != NULL, "WQ");
	}

	/* A WQ listed twice in one table. */
	tbl[0] = tbl[1] = w[0];
	ind = t_ind(ctx, tbl, 1);
	CHECK(ind != NULL, "table with a WQ twice: %s (the ib core accepts it)", t_err(errno));
	errno = 0;
	EXPECT(t_rss_qp(ctx, pdom, ind) == NULL && errno == EPROTO,
	       "RSS QP over a WQ listed twice: %s", t_err(errno));
	/* Its region was consumed by the failed create: not usable again. */
	ind = t_ind(ctx, &w[0], 0);
	CHECK(ind != NULL, "table");
	errno = 0;
	EXPECT(t_rss_qp(ctx, pdom, ind) == NULL && errno == EPROTO,
	       "RSS QP over a WQ left by a failed create: %s", t_err(errno));

	/* Reused after its RSS QP was destroyed: WQ, and CQ under a new WQ. */
	ind = t_ind(ctx, &w[1], 0);
	CHECK(ind != NULL, "table");
	rss = t_rss_qp(ctx, pdom, ind);
	CHECK(rss != NULL, "RSS QP: %s", t_err(errno));
	CHECK(ibv_destroy_qp(rss) == 0, "destroy");
	errno = 0;
	EXPECT(t_rss_qp(ctx, pdom, ind) == NULL && errno == EPROTO,
	       "a second RSS QP over the same WQ: %s", t_err(errno));
	w[6] = t_wq(ctx, pdom, cq[1]);
	CHECK(w[6] != NULL, "WQ on a consumed CQ (created: only the QP uses the region)");
	ind = t_ind(ctx, &w[6], 0);
	CHECK(ind != NULL, "table");
	errno = 0;
	EXPECT(t_rss_qp(ctx, pdom, ind) == NULL && errno == EPROTO,
	       "RSS QP over a WQ whose CQ was consumed: %s", t_err(errno));

	/* Two WQs of one table on one CQ. */
	w[7] = t_wq(ctx, pdom, cq[2]);
	CHECK(w[7] != NULL, "WQ");
	tbl[0] = w[2];
	tbl[1] = w[7];
	ind = t_ind(ctx, tbl, 1);
	CHECK(ind != NULL, "table");
	errno = 0;
	EXPECT(t_rss_qp(ctx, pdom, ind) == NULL && errno == EPROTO,
	       "RSS QP, two WQs on one CQ: %s", t_err(errno));

	/* RAW QPs: a CQ of a destroyed RAW QP, of an RSS QP; an RSS WQ on a RAW QP's CQ. */
	qp = t_raw_qp(pdom, cq[8]);
	CHECK(qp != NULL, "RAW QP: %s", t_err(errno));
	CHECK(ibv_destroy_qp(qp) == 0, "destroy");
	errno = 0;
	EXPECT(t_raw_qp(pdom, cq[8]) == NULL && errno == EPROTO,
	       "RAW QP on the CQ of a destroyed RAW QP: %s", t_err(errno));
	ind = t_ind(ctx, &w[3], 0);
	CHECK(ind != NULL && t_rss_qp(ctx, pdom, ind) != NULL, "RSS QP: %s", t_err(errno));
	errno = 0;
	EXPECT(t_raw_qp(pdom, cq[3]) == NULL && errno == EPROTO,
	       "RAW QP on the CQ of an RSS WQ: %s", t_err(errno));
	qp = t_raw_qp(pdom, cq[9]);
	CHECK(qp != NULL, "RAW QP: %s", t_err(errno));
	w[4] = t_wq(ctx, pdom, cq[9]);
	CHECK(w[4] != NULL, "WQ on a RAW QP's CQ");
	ind = t_ind(ctx, &w[4], 0);
	CHECK(ind != NULL, "table");
	errno = 0;
	EXPECT(t_rss_qp(ctx, pdom, ind) == NULL && errno == EPROTO,
	       "RSS QP over a WQ on a RAW QP's CQ: %s", t_err(errno));
	/* A fresh WQ and CQ work. */
	ind = t_ind(ctx, &w[5], 0);
	CHECK(ind != NULL && t_rss_qp(ctx, pdom, ind) != NULL, "RSS QP: %s", t_err(errno));
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/*
 * 4. The vport of a port is configured per PD by its first RAW QP
 * (KU main.c:mana_ib_cfg_vport: later RAW QPs of the PD skip the claim,
 * whatever their port, and get the PD's tx_vp_offset, KU qp.c
 * "resp.tx_vp_offset = pd->tx_vp_offset"), refused while the port's kernel
 * netdev is up or another PD holds it (k61 mana_en.c:986-1017, EBUSY),
 * which mana_ib returns as ENODEV (KU qp.c:mana_ib_create_qp_raw; every
 * version). Bringing the netdev up while a PD holds the vport: EBUSY
 * (KP 54994709880). The last RAW QP of the PD releases it
 * (KU main.c:mana_ib_uncfg_vport). RSS QPs claim nothing (KU qp.c).
 */
static bool
rule04_vport_per_pd(void)
{
	struct ibv_context *ca = NULL, *cb = NULL;
	struct ibv_pd *pd_a, *pd_b, *pd_c;
	struct t_tx a2, a3, a1, b2, c2, b2b;
	struct ibv_cq *rcq;
	struct ibv_wq *wq;
	struct ibv_rwq_ind_table *ind;
	struct ibv_pd *pdom1;
	struct manadv_obj o;
	struct manadv_qp dq2, dq3;
	char if1[IF_NAMESIZE], if2[IF_NAMESIZE];
	int err;
	bool ok = false;

	memset(&a2, 0, sizeof(a2));
	a3 = a1 = b2 = c2 = b2b = a2;
	ca = t_open_raw(T_FN);
	cb = t_open_raw(T_FN);
	CHECK(ca != NULL && cb != NULL, "open");
	CHECK(t_port_ifname(ca, 1, if1, sizeof(if1)) && t_port_ifname(ca, 2, if2, sizeof(if2)),
	      "netdevs");
	pd_a = ibv_alloc_pd(ca);
	pd_b = ibv_alloc_pd(cb);
	pd_c = ibv_alloc_pd(ca);
	CHECK(pd_a != NULL && pd_b != NULL && pd_c != NULL, "PDs");

	/* Port 1's netdev is up (MANA_SIM up1=1): its vport is the kernel's. */
	err = t_tx_create(ca, pd_a, 1, &a1);
	EXPECT(err == ENODEV, "RAW QP on a port whose netdev is up: %s", t_err(err));
	t_tx_destroy(&a1);
	/* An RSS QP there is fine: it configures steering, not the vport. */
	pdom1 = t_parent(ca, pd_a, 1);
	rcq = t_cq(ca, 64);
	CHECK(pdom1 != NULL && rcq != NULL, "objects");
	wq = t_wq(ca, pdom1, rcq);
	ind = wq != NULL ? t_ind(ca, &wq, 0) : NULL;
	CHECK(ind != NULL, "table");
	EXPECT(t_rss_qp(ca, pdom1, ind) != NULL, "RSS QP on port 1 (netdev up): %s",
	       t_err(errno));

	err = t_tx_create(ca, pd_a, 2, &a2);
	CHECK(err == 0, "PD A claims port 2: %s", t_err(err));
	/* A second RAW QP of PD A, on port 3, skips the claim; and on port 1 too. */
	err = t_tx_create(ca, pd_a, 3, &a3);
	EXPECT(err == 0, "PD A, second RAW QP on port 3: %s", t_err(err));
	err = t_tx_create(ca, pd_a, 1, &a1);
	EXPECT(err == 0, "PD A, RAW QP on port 1 (netdev up) once the PD holds a vport: %s",
	       t_err(err));
	if (a3.qp != NULL) {
		memset(&o, 0, sizeof(o));
		o.qp.in = a2.qp;
		o.qp.out = &dq2;
		CHECK(manadv_init_obj(&o, MANADV_OBJ_QP) == 0, "init_obj");
		o.qp.in = a3.qp;
		o.qp.out = &dq3;
		CHECK(manadv_init_obj(&o, MANADV_OBJ_QP) == 0, "init_obj");
		EXPECT(dq3.tx_vp_offset == dq2.tx_vp_offset,
		       "the PD's second RAW QP (port 3) has tx_vp_offset %u, the PD's is %u",
		       dq3.tx_vp_offset, dq2.tx_vp_offset);
	}
	/* Another PD, in another context or the same one: ENODEV. */
	err = t_tx_create(cb, pd_b, 2, &b2);
	EXPECT(err == ENODEV, "PD B (other context) on port 2: %s", t_err(err));
	t_tx_destroy(&b2);
	err = t_tx_create(ca, pd_c, 2, &c2);
	EXPECT(err == ENODEV, "PD C (same context) on port 2: %s", t_err(err));
	t_tx_destroy(&c2);
	/* The netdev cannot come up meanwhile. */
	EXPECT(t_set_netdev(if2, true) == -EBUSY, "netdev of a held vport up: %d",
	       t_set_netdev(if2, true));
	/* Released with the PD's last RAW QP. */
	t_tx_destroy(&a1);
	t_tx_destroy(&a3);
	err = t_tx_create(cb, pd_b, 2, &b2);
	EXPECT(err == ENODEV, "port 2 released while PD A has a RAW QP: %s", t_err(err));
	t_tx_destroy(&b2);
	t_tx_destroy(&a2);
	err = t_tx_create(cb, pd_b, 2, &b2b);
	EXPECT(err == 0, "port 2 after PD A's last RAW QP: %s", t_err(err));
	t_tx_destroy(&b2b);
	/* Nobody holds it: the netdev comes up, and then owns the vport. */
	CHECK(t_set_netdev(if2, true) == 0, "netdev up");
	err = t_tx_create(cb, pd_b, 2, &b2);
	EXPECT(err == ENODEV, "RAW QP after the netdev came up: %s", t_err(err));
	t_tx_destroy(&b2);
	CHECK(t_set_netdev(if2, false) == 0, "netdev down");
	EXPECT(t_set_netdev("nosuchif0", true) == -ENODEV, "unknown netdev");
	ok = !t_expect_failed;
out:
	t_tx_destroy(&a1);
	t_tx_destroy(&a2);
	t_tx_destroy(&a3);
	if (ca != NULL)
		ibv_close_device(ca);
	if (cb != NULL)
		ibv_close_device(cb);
	return ok;
}

/*
 * 5. Queue sizes. rdma-core before v49 refuses CQs, WQs and send queues of
 * more than 256 entries (rc44 mana.c:203-208, wq.c:44-50, qp.c:59-65), a WQ
 * WQE above 256 bytes (max_sge > 15, wq.c:52-58) and a send WQE above 512
 * bytes (rc44 qp.c:67-73): EINVAL; v49 dropped all four (3bbc4f757,
 * cde5d9cf1; rcM wq.c, qp.c). The kernel refuses a CQ or send queue above
 * max_qp_wr (2048 on the Ethernet device,
 * KU main.c:mana_eth_query_adapter_caps; KU cq.c,
 * KU qp.c:mana_ib_create_qp_raw) and send SGEs above 30 (KU qp.c), EINVAL;
 * it checks neither max_wr nor max_sge of a WQ (KU wq.c:mana_ib_create_wq).
 */
static bool
t_rule05(uint32_t rdma_core)
{
	bool v44 = rdma_core < 49;
	struct ibv_context *ctx = NULL;
	struct ibv_device_attr_ex attr;
	struct ibv_pd *pd, *pdom;
	struct ibv_cq *cq;
	struct ibv_wq *wq;
	struct ibv_qp *qp;
	bool ok = false;

	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	CHECK(ibv_query_device_ex(ctx, NULL, &attr) == 0, "query");
	EXPECT(attr.orig_attr.max_qp_wr == 2048 && attr.orig_attr.max_cqe == 2048,
	       "max_qp_wr %d max_cqe %d", attr.orig_attr.max_qp_wr, attr.orig_attr.max_cqe);
	pd = ibv_alloc_pd(ctx);
	pdom = t_parent(ctx, pd, 2);
	CHECK(pd != NULL && pdom != NULL, "PD");

	/* CQ */
	EXPECT(t_cq(ctx, 256) != NULL, "CQ of 256: %s", t_err(errno));
	errno = 0;
	cq = t_cq(ctx, v44 ? 257 : 2049);
	EXPECT(cq == NULL && errno == EINVAL, "rdma-core %u: CQ of %d: %s", rdma_core,
	       v44 ? 257 : 2049, t_err(errno));
	if (!v44)
		EXPECT(t_cq(ctx, 2048) != NULL, "rdma-core %u: CQ of 2048: %s", rdma_core,
		       t_err(errno));

	/* WQ */
	cq = t_cq(ctx, 64);
	CHECK(cq != NULL, "CQ");
	EXPECT(t_wq_sz(ctx, pdom, cq, 256, 15) != NULL, "WQ 256 x 15 SGEs: %s", t_err(errno));
	errno = 0;
	wq = t_wq_sz(ctx, pdom, cq, 257, 1);
	if (v44)
		EXPECT(wq == NULL && errno == EINVAL, "rdma-core %u: WQ of 257: %s", rdma_core,
		       t_err(errno));
	else
		EXPECT(wq != NULL, "rdma-core %u: WQ of 257: %s", rdma_core, t_err(errno));
	errno = 0;
	wq = t_wq_sz(ctx, pdom, cq, 64, 16);
	if (v44)
		EXPECT(wq == NULL && errno == EINVAL, "rdma-core %u: WQ with 16 SGEs: %s",
		       rdma_core, t_err(errno));
	else
		EXPECT(wq != NULL, "rdma-core %u: WQ with 16 SGEs (nobody checks): %s",
		       rdma_core, t_err(errno));
	if (!v44) {
		EXPECT(t_wq_sz(ctx, pdom, cq, 2048, 1) != NULL, "WQ of 2048: %s", t_err(errno));
		EXPECT(t_wq_sz(ctx, pdom, cq, 4096, 1) != NULL,
		       "WQ of 4096 (the kernel does not check): %s", t_err(errno));
	}

	/* Send queue */
	qp = t_raw_qp_sz(pdom, t_cq(ctx, 64), 256, 30);
	EXPECT(qp != NULL, "send queue 256 x 30 SGEs: %s", t_err(errno));
	errno = 0;
	EXPECT(t_raw_qp_sz(pdom, t_cq(ctx, 64), v44 ? 257 : 2049, 1) == NULL && errno == EINVAL,
	       "rdma-core %u: send queue of %u: %s", rdma_core, v44 ? 257 : 2049, t_err(errno));
	errno = 0;
	EXPECT(t_raw_qp_sz(pdom, t_cq(ctx, 64), 64, 31) == NULL && errno == EINVAL,
	       "send queue with 31 SGEs: %s", t_err(errno));
	if (!v44)
		EXPECT(t_raw_qp_sz(pdom, t_cq(ctx, 64), 2048, 1) != NULL,
		       "rdma-core %u: send queue of 2048: %s", rdma_core, t_err(errno));
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

static bool
rule05_queue_limits(void)
{
	bool ok = t_rule05(T_RDMA_CORE);

	ok &= t_run_child("rule05", "rdma_core=44;fn=" T_FN ",ports=4,up1=0", T_CHILD_MS);
	ok &= t_run_child("rule05_49", "rdma_core=49;fn=" T_FN ",ports=4,up1=0", T_CHILD_MS);
	return ok;
}

/*
 * 6. The kernel never passes rx_hash_fields_mask to the hardware (KU
 * qp.c:mana_ib_cfg_vport_steering programs function, key and table only):
 * a QP asking for the IPv4 addresses alone still spreads UDP flows by their
 * 4-tuple, and the completions report the L4 hash class (DPDK mana.h
 * MANA_HASH_L4 0x1b6).
 */
static bool
rule06_hash_mask_ignored(void)
{
	struct t_rx_pkt rx[32];
	struct t_port *p;
	unsigned int per_queue[4] = { 0 }, i;
	bool ok = false;

	p = t_traffic_port(4, IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4);
	CHECK(p != NULL, "port");
	t_rx_fill(p);
	CHECK(t_send(p, 0, 32, false), "send");
	CHECK(t_recv(p, rx, 32), "receive");
	for (i = 0; i < 32; i++) {
		uint32_t flow = t_burst_pos(&rx[i]);
		struct t_flow fl = t_flow_of(flow);
		uint32_t hash = t_softrss(&fl);

		EXPECT(rx[i].oob.hash_type == T_HASH_L4 && rx[i].hash == hash &&
		       rx[i].queue == (hash % 64) % 4,
		       "flow %u: type %#x hash %#x queue %u, want %#x %#x %u", flow,
		       rx[i].oob.hash_type, rx[i].hash, rx[i].queue, T_HASH_L4, hash,
		       (hash % 64) % 4);
		per_queue[rx[i].queue]++;
	}
	printf("    32 UDP flows, mask IPv4 addresses only: %u %u %u %u\n", per_queue[0],
	       per_queue[1], per_queue[2], per_queue[3]);
	ok = !t_expect_failed;
out:
	t_port_close(p);
	return ok;
}

/*
 * 7. Two ibv devices per PCI function (E4, KU device.c:mana_ib_probe): the
 * Ethernet one "manae_N" (vendor_part_id 2 = GDMA_DEVICE_MANA,
 * raw_packet_caps IB_RAW_PACKET_CAP_IP_CSUM only, every vPort) and the RC
 * one "mana_N" (part 3, no raw caps, 1 port) (KU main.c:mana_ib_query_device,
 * KU device.c:mana_ib_probe). Both are children of the PCI function
 * (dev.parent = gc->dev). DPDK 25.11 skips the RC device (d25
 * mana.c:1494-1506). On the RC device a user CQ is an RNIC CQ
 * (KU cq.c:mana_ib_create_user_cq: is_rnic_cq = mana_ib_is_rnic); a RAW QP
 * there must fail (no source fixes the errno: it is printed).
 */
static bool
rule07_rc_and_raw_devices(void)
{
	struct ibv_context *raw = NULL, *rc = NULL;
	struct ibv_device_attr_ex ar, ac;
	struct ibv_pd *pd, *pdom;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	char p1[PATH_MAX], p2[PATH_MAX], path[PATH_MAX + 16];
	bool ok = false, cq_ok;

	raw = t_open(T_FN, T_PART_RAW, NULL);
	rc = t_open(T_FN, T_PART_RC, NULL);
	CHECK(raw != NULL && rc != NULL, "both devices of the function");
	EXPECT(strncmp(raw->device->name, "manae_", 6) == 0 &&
	       strncmp(rc->device->name, "mana_", 5) == 0, "names %s and %s",
	       raw->device->name, rc->device->name);
	CHECK(ibv_query_device_ex(raw, NULL, &ar) == 0 && ibv_query_device_ex(rc, NULL, &ac) == 0,
	      "query");
	EXPECT(ar.orig_attr.vendor_id == 0x1414 && ac.orig_attr.vendor_id == 0x1414, "vendor");
	EXPECT(ar.raw_packet_caps == IBV_RAW_PACKET_CAP_IP_CSUM, "RAW caps %#x",
	       ar.raw_packet_caps);
	EXPECT(ac.raw_packet_caps == 0, "RC caps %#x", ac.raw_packet_caps);
	EXPECT(ar.orig_attr.phys_port_cnt == T_FN_PORTS, "RAW ports %u",
	       ar.orig_attr.phys_port_cnt);
	EXPECT(ac.orig_attr.phys_port_cnt == 1, "RC ports %u", ac.orig_attr.phys_port_cnt);
	/* max_sge = min(30 send, 15 receive) (k61 uverbs_cmd.c:342). */
	EXPECT(ar.orig_attr.max_sge == 15, "max_sge %d", ar.orig_attr.max_sge);
	snprintf(path, sizeof(path), "%s/device", raw->device->ibdev_path);
	CHECK(realpath(path, p1) != NULL, "%s", path);
	snprintf(path, sizeof(path), "%s/device", rc->device->ibdev_path);
	CHECK(realpath(path, p2) != NULL, "%s", path);
	EXPECT(strcmp(p1, p2) == 0, "parents %s and %s", p1, p2);

	CHECK(t_set_allocators(rc) == 0, "allocators");
	pd = ibv_alloc_pd(rc);
	pdom = pd != NULL ? t_parent(rc, pd, 1) : NULL;
	CHECK(pdom != NULL, "PD on the RC device");
	cq = t_cq(rc, 64);
	cq_ok = cq != NULL;
	EXPECT(cq_ok, "CQ on the RC device: %s (mana_ib creates an RNIC CQ)", t_err(errno));
	errno = 0;
	qp = t_raw_qp(pdom, cq);
	printf("    RAW QP on the RC device: %s\n", qp == NULL ? t_err(errno) : "created");
	EXPECT(qp == NULL, "the RC device created a RAW QP");
	ok = !t_expect_failed;
out:
	if (raw != NULL)
		ibv_close_device(raw);
	if (rc != NULL)
		ibv_close_device(rc);
	return ok;
}

static bool
t_has_cap_net_raw(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	return (data[CAP_NET_RAW / 32].effective & (1u << (CAP_NET_RAW % 32))) != 0;
}

static int
t_drop_cap_net_raw(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) != 0)
		return -errno;
	data[CAP_NET_RAW / 32].effective &= ~(1u << (CAP_NET_RAW % 32));
	data[CAP_NET_RAW / 32].permitted &= ~(1u << (CAP_NET_RAW % 32));
	if (syscall(SYS_capset, &hdr, data) != 0)
		return -errno;
	return t_has_cap_net_raw() ? -EPERM : 0;
}

/*
 * 8. RAW packet QPs need CAP_NET_RAW: the ib core refuses them with EPERM
 * before the driver looks at anything (k61 uverbs_cmd.c:1302-1305), so even
 * a bad port gives EPERM. Runs in a child that dropped the capability.
 */
static bool
rule08_cap_net_raw(void)
{
	if (!t_has_cap_net_raw()) {
		printf("    skipped: this process has no CAP_NET_RAW to drop\n");
		return true;
	}
	return t_run_child("rule08", "fn=" T_FN ",ports=4,up1=0", T_CHILD_MS);
}

static bool
t_rule08(void)
{
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd, *pdom, *bad;
	struct ibv_cq *cq;
	struct ibv_wq *wq;
	struct ibv_rwq_ind_table *ind;
	int ret;
	bool ok = false;

	ret = t_drop_cap_net_raw();
	CHECK(ret == 0, "dropping CAP_NET_RAW: %s", t_err(-ret));
	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	pd = ibv_alloc_pd(ctx);
	pdom = t_parent(ctx, pd, 2);
	bad = t_parent(ctx, pd, 9);
	cq = t_cq(ctx, 64);
	CHECK(pd != NULL && pdom != NULL && bad != NULL && cq != NULL, "PD, CQ: no capability");
	wq = t_wq(ctx, pdom, cq);
	ind = wq != NULL ? t_ind(ctx, &wq, 0) : NULL;
	CHECK(ind != NULL, "WQ and table need no capability");
	errno = 0;
	EXPECT(t_raw_qp(pdom, t_cq(ctx, 64)) == NULL && errno == EPERM, "RAW QP: %s",
	       t_err(errno));
	errno = 0;
	EXPECT(t_rss_qp(ctx, pdom, ind) == NULL && errno == EPERM, "RSS QP: %s", t_err(errno));
	errno = 0;
	EXPECT(t_raw_qp(bad, t_cq(ctx, 64)) == NULL && errno == EPERM,
	       "RAW QP on port 9 (the core checks first): %s", t_err(errno));
	errno = 0;
	EXPECT(t_rss_qp(ctx, bad, ind) == NULL && errno == EPERM,
	       "RSS QP on port 9 (the core checks first): %s", t_err(errno));
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/*
 * 9. Destroy order, enforced by the ib core with EBUSY (k61
 * uverbs_std_types.c:121-128 PD, verbs.c:2119-2120 CQ, verbs.c:2511-2512 WQ,
 * uverbs_std_types.c:87-88 table): a PD with MRs, WQs or QPs; a CQ used by a
 * QP or WQ; a WQ in a table; a table used by a QP. A parent domain is
 * userspace only: freed without a check (rc44 mana.c:132-138), its QPs live
 * on (the kernel knows only the PD). Child "rule09": a parent domain
 * freed under a QP, and a PD freed under a parent domain.
 */
static bool
rule09_destroy_order(void)
{
	static uint8_t mem[4096] __rte_aligned(4096);
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd_mr, *pd_q, *pdom;
	struct ibv_cq *cq_qp, *cq_wq;
	struct ibv_mr *mr;
	struct ibv_wq *wq;
	struct ibv_rwq_ind_table *ind;
	struct ibv_qp *qp, *rss;
	bool ok = false;

	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	pd_mr = ibv_alloc_pd(ctx);
	pd_q = ibv_alloc_pd(ctx);
	CHECK(pd_mr != NULL && pd_q != NULL, "PDs");
	mr = ibv_reg_mr(pd_mr, mem, sizeof(mem), IBV_ACCESS_LOCAL_WRITE);
	CHECK(mr != NULL, "MR");
	EXPECT(ibv_dealloc_pd(pd_mr) == EBUSY, "PD with an MR");
	pdom = t_parent(ctx, pd_q, 2);
	cq_qp = t_cq(ctx, 64);
	cq_wq = t_cq(ctx, 64);
	CHECK(pdom != NULL && cq_qp != NULL && cq_wq != NULL, "objects");
	wq = t_wq(ctx, pdom, cq_wq);
	CHECK(wq != NULL, "WQ");
	EXPECT(ibv_dealloc_pd(pd_q) == EBUSY, "PD with a WQ");
	EXPECT(ibv_destroy_cq(cq_wq) == EBUSY, "CQ of a WQ");
	ind = t_ind(ctx, &wq, 0);
	CHECK(ind != NULL, "table");
	EXPECT(ibv_destroy_wq(wq) == EBUSY, "WQ in a table");
	rss = t_rss_qp(ctx, pdom, ind);
	CHECK(rss != NULL, "RSS QP");
	EXPECT(ibv_destroy_rwq_ind_table(ind) == EBUSY, "table of a QP");
	qp = t_raw_qp(pdom, cq_qp);
	CHECK(qp != NULL, "RAW QP");
	EXPECT(ibv_destroy_cq(cq_qp) == EBUSY, "CQ of a QP");
	/* The right order. */
	EXPECT(ibv_destroy_qp(rss) == 0 && ibv_destroy_rwq_ind_table(ind) == 0 &&
	       ibv_destroy_wq(wq) == 0 && ibv_destroy_cq(cq_wq) == 0, "Rx teardown");
	EXPECT(ibv_dealloc_pd(pd_q) == EBUSY, "PD with a QP");
	EXPECT(ibv_destroy_qp(qp) == 0 && ibv_destroy_cq(cq_qp) == 0, "Tx teardown");
	EXPECT(ibv_dealloc_pd(pdom) == 0 && ibv_dealloc_pd(pd_q) == 0, "PDs");
	EXPECT(ibv_dereg_mr(mr) == 0 && ibv_dealloc_pd(pd_mr) == 0, "MR, PD");
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	ok &= t_run_child("rule09", "fn=" T_FN ",ports=4,up1=0", T_CHILD_MS);
	return ok;
}

static bool
t_rule09(void)
{
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd1, *pd2, *pd3, *pdom1, *pdom2, *pdom3;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct t_tx t;
	int err;
	bool ok = false;

	memset(&t, 0, sizeof(t));
	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	pd1 = ibv_alloc_pd(ctx);
	pd2 = ibv_alloc_pd(ctx);
	pd3 = ibv_alloc_pd(ctx);
	CHECK(pd1 != NULL && pd2 != NULL && pd3 != NULL, "PDs");
	pdom1 = t_parent(ctx, pd1, 2);
	cq = t_cq(ctx, 64);
	CHECK(pdom1 != NULL && cq != NULL, "objects");
	qp = t_raw_qp(pdom1, cq);
	CHECK(qp != NULL, "RAW QP on port 2");
	/* The parent domain goes first (a free); the QP belongs to the PD. */
	EXPECT(ibv_dealloc_pd(pdom1) == 0, "parent domain of a live QP");
	pdom2 = t_parent(ctx, pd2, 3);	/* may take the freed parent domain's memory */
	CHECK(pdom2 != NULL, "parent domain");
	EXPECT(ibv_destroy_qp(qp) == 0, "QP after its parent domain");
	EXPECT(ibv_destroy_cq(cq) == 0, "CQ");
	err = ibv_dealloc_pd(pd1);
	EXPECT(err == 0, "PD 1 after its last QP: %s", t_err(err));
	err = t_tx_create(ctx, pd3, 2, &t);
	EXPECT(err == 0, "port 2 released with PD 1's QP: %s", t_err(err));
	t_tx_destroy(&t);
	EXPECT(ibv_dealloc_pd(pdom2) == 0, "parent domain 2");
	/* A PD freed under its parent domain (no objects: allowed); the domain is stale. */
	pdom3 = t_parent(ctx, pd2, 3);
	CHECK(pdom3 != NULL, "parent domain");
	EXPECT(ibv_dealloc_pd(pd2) == 0, "PD under a parent domain");
	cq = t_cq(ctx, 64);
	CHECK(cq != NULL, "CQ");
	errno = 0;
	qp = t_raw_qp(pdom3, cq);
	EXPECT(qp == NULL && errno == EINVAL,
	       "RAW QP on a parent domain whose PD was deallocated: %s",
	       qp != NULL ? "created" : t_err(errno));
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/*
 * 10. Nothing to modify, nothing to post or poll through verbs: modify_qp
 * and modify_wq are EOPNOTSUPP (rc44 qp.c:142-145, wq.c:29-32; KU
 * wq.c:mana_ib_modify_wq); v44 poll_cq, post_send, post_recv return
 * EOPNOTSUPP, positive (rc44 mana.c:286-310).
 */
static bool
rule10_eopnotsupp(void)
{
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd, *pdom;
	struct ibv_cq *cq, *cq2;
	struct ibv_wq *wq;
	struct ibv_qp *qp;
	struct ibv_qp_attr qa;
	struct ibv_wq_attr wa;
	struct ibv_wc wc;
	struct ibv_send_wr swr, *sbad = NULL;
	struct ibv_recv_wr rwr, *rbad = NULL;
	int ret;
	bool ok = false;

	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	pd = ibv_alloc_pd(ctx);
	pdom = t_parent(ctx, pd, 2);
	cq = t_cq(ctx, 64);
	cq2 = t_cq(ctx, 64);
	CHECK(pdom != NULL && cq != NULL && cq2 != NULL, "objects");
	qp = t_raw_qp(pdom, cq);
	wq = t_wq(ctx, pdom, cq2);
	CHECK(qp != NULL && wq != NULL, "QP, WQ");
	memset(&qa, 0, sizeof(qa));
	qa.qp_state = IBV_QPS_RTS;
	ret = ibv_modify_qp(qp, &qa, IBV_QP_STATE);
	EXPECT(ret == EOPNOTSUPP, "modify_qp: %d", ret);
	memset(&wa, 0, sizeof(wa));
	wa.attr_mask = IBV_WQ_ATTR_STATE;
	wa.wq_state = IBV_WQS_RDY;
	ret = ibv_modify_wq(wq, &wa);
	EXPECT(ret == EOPNOTSUPP, "modify_wq: %d", ret);
	ret = ibv_poll_cq(cq, 1, &wc);
	EXPECT(ret == EOPNOTSUPP, "poll_cq: %d, want %d", ret, EOPNOTSUPP);
	memset(&swr, 0, sizeof(swr));
	ret = ibv_post_send(qp, &swr, &sbad);
	EXPECT(ret == EOPNOTSUPP, "post_send: %d", ret);
	memset(&rwr, 0, sizeof(rwr));
	ret = ibv_post_recv(qp, &rwr, &rbad);
	EXPECT(ret == EOPNOTSUPP, "post_recv: %d", ret);
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/*
 * 11. libmana's own calls. manadv_set_context_attr: only
 * MANADV_CTX_ATTR_BUF_ALLOCATORS, others EOPNOTSUPP (rc44 manadv.c:23-41);
 * manadv_init_obj: unknown type bits EINVAL (rc44 manadv.c:45-46). v44
 * needs the application's allocators for CQs, WQs and RAW QPs: EINVAL
 * without (rc44 mana.c:210-219, wq.c:60-65, qp.c:75-80), ENOMEM when the
 * allocator gives nothing (rc44 mana.c:229-233). A buffer that is not
 * page-aligned cannot be pinned at offset 0: EINVAL
 * (KU main.c:mana_ib_create_zero_offset_dma_region).
 */
static bool
rule11_manadv(void)
{
	struct manadv_ctx_allocators al = { t_buf_alloc, t_buf_free, NULL };
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd, *pdom;
	struct ibv_cq *cq, *cq_ok;
	struct manadv_obj o;
	struct manadv_cq dc;
	int64_t live;
	int ret;
	bool ok = false;

	ctx = t_open(T_FN, T_PART_RAW, NULL);
	CHECK(ctx != NULL, "open");
	pd = ibv_alloc_pd(ctx);
	pdom = t_parent(ctx, pd, 2);
	CHECK(pdom != NULL, "PD");
	ret = manadv_set_context_attr(ctx, (enum manadv_set_ctx_attr_type)7, &al);
	EXPECT(ret == EOPNOTSUPP, "set_context_attr type 7: %d", ret);

	/* No allocator yet. */
	errno = 0;
	EXPECT(t_cq(ctx, 64) == NULL && errno == EINVAL, "CQ without allocators: %s",
	       t_err(errno));
	CHECK(t_set_allocators(ctx) == 0, "allocators");
	cq_ok = t_cq(ctx, 64);
	CHECK(cq_ok != NULL, "CQ");
	memset(&o, 0, sizeof(o));
	o.cq.in = cq_ok;
	o.cq.out = &dc;
	EXPECT(manadv_init_obj(&o, 1u << 3) == EINVAL, "init_obj bit 3");
	EXPECT(manadv_init_obj(&o, MANADV_OBJ_CQ | (1ull << 40)) == EINVAL,
	       "init_obj CQ and bit 40");
	CHECK(t_set_alloc(ctx, NULL, NULL) == 0, "no allocators");
	errno = 0;
	EXPECT(t_wq(ctx, pdom, cq_ok) == NULL && errno == EINVAL, "WQ without allocators: %s",
	       t_err(errno));
	errno = 0;
	EXPECT(t_raw_qp(pdom, cq_ok) == NULL && errno == EINVAL,
	       "RAW QP without allocators: %s", t_err(errno));

	CHECK(t_set_alloc(ctx, t_buf_alloc_none, t_buf_free) == 0, "NULL allocator");
	errno = 0;
	EXPECT(t_cq(ctx, 64) == NULL && errno == ENOMEM, "CQ, allocator out of memory: %s",
	       t_err(errno));
	errno = 0;
	EXPECT(t_wq(ctx, pdom, cq_ok) == NULL && errno == ENOMEM,
	       "WQ, allocator out of memory: %s", t_err(errno));
	errno = 0;
	EXPECT(t_raw_qp(pdom, cq_ok) == NULL && errno == ENOMEM,
	       "RAW QP, allocator out of memory: %s", t_err(errno));

	live = t_bufs_outstanding();
	CHECK(t_set_alloc(ctx, t_buf_alloc_misaligned, t_buf_free_misaligned) == 0, "allocator");
	errno = 0;
	cq = t_cq(ctx, 64);
	EXPECT(cq == NULL && errno == EINVAL, "CQ in a buffer at page offset 64: %s",
	       t_err(errno));
	EXPECT(t_bufs_outstanding() == live, "the refused buffer was not freed");
	CHECK(t_set_allocators(ctx) == 0, "allocators");
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/*
 * 12. Parent domain and QP type. A parent domain needs a PD (libibverbs
 * ibv_check_alloc_parent_domain) and takes only PD_CONTEXT: another
 * comp_mask bit is EINVAL in v44 (rc44 mana.c:97-109), EOPNOTSUPP since v57
 * (rcM mana.c:151-158, 3d17a18b7). A QP type other than RAW_PACKET: EINVAL
 * in v44 (rc44 qp.c:127-140), EOPNOTSUPP since v57 except RC (rcM
 * qp.c:342-357, 3c72ef988).
 */
static bool
t_rule12(uint32_t rdma_core)
{
	int want = rdma_core >= 57 ? EOPNOTSUPP : EINVAL;
	struct ibv_parent_domain_init_attr pa;
	struct ibv_qp_init_attr qa;
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd, *pdom;
	struct ibv_cq *cq;
	bool ok = false;

	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	pd = ibv_alloc_pd(ctx);
	cq = t_cq(ctx, 64);
	CHECK(pd != NULL && cq != NULL, "PD");
	memset(&pa, 0, sizeof(pa));
	pa.pd = pd;
	pa.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT |
		       IBV_PARENT_DOMAIN_INIT_ATTR_ALLOCATORS;
	pa.pd_context = (void *)(uintptr_t)2;
	errno = 0;
	EXPECT(ibv_alloc_parent_domain(ctx, &pa) == NULL && errno == want,
	       "rdma-core %u: parent domain with comp_mask %#x: %s, want %s", rdma_core,
	       pa.comp_mask, t_err(errno), t_err(want));
	pa.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT;
	pa.pd = NULL;
	errno = 0;
	EXPECT(ibv_alloc_parent_domain(ctx, &pa) == NULL && errno == EINVAL,
	       "parent domain without a PD: %s", t_err(errno));
	pdom = t_parent(ctx, pd, 2);
	CHECK(pdom != NULL, "parent domain");
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = cq;
	qa.recv_cq = cq;
	qa.cap.max_send_wr = 64;
	qa.cap.max_send_sge = 1;
	qa.qp_type = IBV_QPT_UD;
	errno = 0;
	EXPECT(ibv_create_qp(pdom, &qa) == NULL && errno == want,
	       "rdma-core %u: UD QP: %s, want %s", rdma_core, t_err(errno), t_err(want));
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

static bool
rule12_parent_domain_qp_type(void)
{
	bool ok = t_rule12(T_RDMA_CORE);

	ok &= t_run_child("rule12_62", "rdma_core=62;fn=" T_FN ",ports=4,up1=0", T_CHILD_MS);
	return ok;
}

/*
 * 13. ibv_query_port: a port outside 1..phys_port_cnt is EINVAL (ib core
 * rdma_is_port_valid; KU mana_ib.h:mana_ib_get_netdev); ACTIVE/LinkUp iff
 * the port's netdev has carrier and runs, else DOWN/Disabled; active_mtu
 * from the netdev MTU, max_mtu 4096, Ethernet link layer, no GIDs on the
 * Ethernet device, 16 on the RC device (KU main.c:mana_ib_query_port,
 * KP 47509688045).
 */
static bool
rule13_query_port(void)
{
	struct ibv_context *ctx = NULL, *rc = NULL;
	struct ibv_port_attr pa;
	char ifname[IF_NAMESIZE];
	struct ifreq ifr;
	uint8_t port;
	int sock = -1, ret;
	bool ok = false;

	ctx = t_open(T_FN, T_PART_RAW, NULL);
	rc = t_open(T_FN, T_PART_RC, NULL);
	CHECK(ctx != NULL && rc != NULL, "open");
	EXPECT(ibv_query_port(ctx, 0, &pa) == EINVAL, "port 0");
	EXPECT(ibv_query_port(ctx, T_FN_PORTS + 1, &pa) == EINVAL, "port %u", T_FN_PORTS + 1);
	EXPECT(ibv_query_port(rc, 2, &pa) == EINVAL, "RC device, port 2");
	for (port = 1; port <= T_FN_PORTS; port++) {
		memset(&pa, 0xff, sizeof(pa));
		CHECK(ibv_query_port(ctx, port, &pa) == 0, "port %u", port);
		EXPECT(pa.state == (port == 1 ? IBV_PORT_ACTIVE : IBV_PORT_DOWN) &&
		       pa.phys_state == (port == 1 ? 5 : 3), "port %u: state %d phys %u", port,
		       (int)pa.state, pa.phys_state);
		EXPECT(pa.max_mtu == IBV_MTU_4096 && pa.active_mtu == IBV_MTU_1024 &&
		       pa.link_layer == IBV_LINK_LAYER_ETHERNET && pa.gid_tbl_len == 0 &&
		       pa.pkey_tbl_len == 1, "port %u: mtu %d/%d link %u gids %d", port,
		       (int)pa.max_mtu, (int)pa.active_mtu, pa.link_layer, pa.gid_tbl_len);
	}
	CHECK(ibv_query_port(rc, 1, &pa) == 0, "RC port 1");
	EXPECT(pa.gid_tbl_len == 16, "RC device: %d GIDs", pa.gid_tbl_len);

	/* Port 3: netdev up and down, MTU changes. */
	CHECK(t_port_ifname(ctx, 3, ifname, sizeof(ifname)), "netdev of port 3");
	CHECK(t_set_netdev(ifname, true) == 0, "up");
	CHECK(ibv_query_port(ctx, 3, &pa) == 0, "query");
	EXPECT(pa.state == IBV_PORT_ACTIVE, "port 3 up: state %d", (int)pa.state);
	CHECK(t_set_netdev(ifname, false) == 0, "down");
	CHECK(ibv_query_port(ctx, 3, &pa) == 0, "query");
	EXPECT(pa.state == IBV_PORT_DOWN, "port 3 down: state %d", (int)pa.state);
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(sock >= 0, "socket");
	memset(&ifr, 0, sizeof(ifr));
	t_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_mtu = 4096;
	CHECK(ioctl(sock, SIOCSIFMTU, &ifr) == 0, "MTU 4096: %s", t_err(errno));
	CHECK(ibv_query_port(ctx, 3, &pa) == 0, "query");
	EXPECT(pa.active_mtu == IBV_MTU_4096, "MTU 4096: active_mtu %d", (int)pa.active_mtu);
	ifr.ifr_mtu = 2100;
	CHECK(ioctl(sock, SIOCSIFMTU, &ifr) == 0, "MTU 2100");
	CHECK(ibv_query_port(ctx, 3, &pa) == 0, "query");
	EXPECT(pa.active_mtu == IBV_MTU_2048, "MTU 2100: active_mtu %d", (int)pa.active_mtu);
	ifr.ifr_mtu = 600;
	CHECK(ioctl(sock, SIOCSIFMTU, &ifr) == 0, "MTU 600");
	CHECK(ibv_query_port(ctx, 3, &pa) == 0, "query");
	EXPECT(pa.active_mtu == IBV_MTU_512, "MTU 600: active_mtu %d", (int)pa.active_mtu);
	ifr.ifr_mtu = 1500;
	ret = ioctl(sock, SIOCSIFMTU, &ifr);
	CHECK(ret == 0, "MTU back to 1500");
	ok = !t_expect_failed;
out:
	if (sock >= 0)
		close(sock);
	if (ctx != NULL)
		ibv_close_device(ctx);
	if (rc != NULL)
		ibv_close_device(rc);
	return ok;
}

/*
 * 14. The kernel netdev as DPDK drives it: the netdev whose sysfs address is
 * the port's MAC, SIOCSIFMTU on an AF_INET datagram socket, -errno (d25
 * mana.c:721-807). dev_ioctl: MTU in [68, max_mtu] else EINVAL (Linux
 * net/core/dev.c dev_validate_mtu); ndo_open of a port whose vport a PD
 * holds: EBUSY (k61 mana_en.c:986-1017; KP 54994709880). Ioctls are
 * answered on sockets only (ENOTTY otherwise).
 */
static bool
rule14_netdev_ioctl(void)
{
	char ifname[IF_NAMESIZE], path[PATH_MAX + 64], buf[64], addr[64];
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd;
	struct t_tx t;
	struct ifreq ifr;
	int sock = -1, pfd[2] = { -1, -1 }, ret;
	bool ok = false;

	memset(&t, 0, sizeof(t));
	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	CHECK(t_port_ifname(ctx, 4, ifname, sizeof(ifname)), "netdev of port 4");
	snprintf(path, sizeof(path), "%s/device/net/%s/address", ctx->device->ibdev_path, ifname);
	CHECK(t_read_line(path, addr, sizeof(addr)), "%s", path);
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(sock >= 0, "socket");
	memset(&ifr, 0, sizeof(ifr));
	t_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	CHECK(ioctl(sock, SIOCGIFHWADDR, &ifr) == 0, "SIOCGIFHWADDR: %s", t_err(errno));
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
		 (uint8_t)ifr.ifr_hwaddr.sa_data[0], (uint8_t)ifr.ifr_hwaddr.sa_data[1],
		 (uint8_t)ifr.ifr_hwaddr.sa_data[2], (uint8_t)ifr.ifr_hwaddr.sa_data[3],
		 (uint8_t)ifr.ifr_hwaddr.sa_data[4], (uint8_t)ifr.ifr_hwaddr.sa_data[5]);
	EXPECT(strcmp(buf, addr) == 0, "hardware address %s, sysfs %s", buf, addr);
	CHECK(ioctl(sock, SIOCGIFMTU, &ifr) == 0, "SIOCGIFMTU: %s", t_err(errno));
	EXPECT(ifr.ifr_mtu == 1500, "MTU %d", ifr.ifr_mtu);
	ifr.ifr_mtu = 9000;
	CHECK(ioctl(sock, SIOCSIFMTU, &ifr) == 0, "SIOCSIFMTU 9000: %s", t_err(errno));
	snprintf(path, sizeof(path), "%s/device/net/%s/mtu", ctx->device->ibdev_path, ifname);
	EXPECT(t_read_line(path, buf, sizeof(buf)) && strcmp(buf, "9000") == 0, "sysfs mtu %s",
	       buf);
	ifr.ifr_mtu = 0;
	CHECK(ioctl(sock, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu == 9000, "SIOCGIFMTU %d",
	      ifr.ifr_mtu);
	ifr.ifr_mtu = 67;
	errno = 0;
	EXPECT(ioctl(sock, SIOCSIFMTU, &ifr) == -1 && errno == EINVAL, "MTU 67: %s",
	       t_err(errno));
	ifr.ifr_mtu = 9001;
	errno = 0;
	EXPECT(ioctl(sock, SIOCSIFMTU, &ifr) == -1 && errno == EINVAL, "MTU 9001: %s",
	       t_err(errno));
	ifr.ifr_mtu = 1500;
	CHECK(ioctl(sock, SIOCSIFMTU, &ifr) == 0, "MTU back to 1500");
	EXPECT(t_read_line(path, buf, sizeof(buf)) && strcmp(buf, "1500") == 0, "sysfs mtu %s",
	       buf);

	/* IFF_UP while a PD holds the vport. */
	pd = ibv_alloc_pd(ctx);
	CHECK(pd != NULL && t_tx_create(ctx, pd, 4, &t) == 0, "RAW QP on port 4");
	CHECK(ioctl(sock, SIOCGIFFLAGS, &ifr) == 0, "SIOCGIFFLAGS");
	EXPECT(!(ifr.ifr_flags & IFF_UP), "flags %#x", ifr.ifr_flags);
	ifr.ifr_flags |= IFF_UP;
	errno = 0;
	EXPECT(ioctl(sock, SIOCSIFFLAGS, &ifr) == -1 && errno == EBUSY,
	       "IFF_UP on a held vport: %s", t_err(errno));
	t_tx_destroy(&t);
	ret = ioctl(sock, SIOCSIFFLAGS, &ifr);
	EXPECT(ret == 0, "IFF_UP after release: %s", t_err(errno));
	snprintf(path, sizeof(path), "%s/device/net/%s/operstate", ctx->device->ibdev_path,
		 ifname);
	EXPECT(t_read_line(path, buf, sizeof(buf)) && strcmp(buf, "up") == 0, "operstate %s",
	       buf);
	ifr.ifr_flags &= ~IFF_UP;
	CHECK(ioctl(sock, SIOCSIFFLAGS, &ifr) == 0, "down");

	/* Not a socket. */
	CHECK(pipe(pfd) == 0, "pipe");
	errno = 0;
	EXPECT(ioctl(pfd[0], SIOCGIFMTU, &ifr) == -1 && errno == ENOTTY,
	       "SIOCGIFMTU on a pipe: %s", t_err(errno));
	ok = !t_expect_failed;
out:
	t_tx_destroy(&t);
	if (pfd[0] >= 0) {
		close(pfd[0]);
		close(pfd[1]);
	}
	if (sock >= 0)
		close(sock);
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/*
 * 15. Rx CQE coalescing is on, as mana_ib programs it since Linux 6.5
 * (cqe_coalescing_enable = 1, KU qp.c:mana_ib_cfg_vport_steering; KP
 * 65860874605): a burst of one flow completes in CQEs of type
 * RX_COALESCED_4, up to four packets each, every packet in the next WQE
 * (d25 rx.c:472-537).
 */
static bool
rule15_rx_coalescing(void)
{
	struct t_rx_pkt rx[8];
	struct t_port *p;
	uint32_t i, multi = 0;
	bool ok = false;

	p = t_traffic_port(1, 0);
	CHECK(p != NULL, "port");
	t_rx_fill(p);
	CHECK(t_send(p, 5, 8, true), "send");
	CHECK(t_recv(p, rx, 8), "receive");
	for (i = 0; i < 8; i++) {
		EXPECT(t_burst_pos(&rx[i]) == i, "WQE %u holds packet %u", i, t_burst_pos(&rx[i]));
		EXPECT(rx[i].cqe_pkts <= 4, "%u packets in one CQE", rx[i].cqe_pkts);
		multi += rx[i].cqe_pkts > 1;
	}
	EXPECT(multi > 0, "no CQE completed more than one packet");
	ok = !t_expect_failed;
out:
	t_port_close(p);
	return ok;
}

/*
 * 16. Service reset (Linux gdma_main.c mana_serv_reset, KP 70291046807;
 * KU device.c:mana_ib_remove): every ibv device of the function is
 * unregistered; each open context, one per port as DPDK opens them, gets
 * IBV_EVENT_DEVICE_FATAL (k61 uverbs_std_types_async_fd.c:23-31); its
 * destroys return 0 (k61 rdma_core.c:133-157), everything else EIO
 * (k61 rdma_core.c:399-408, uverbs_cmd.c:213-216); its doorbell mappings are
 * zapped (k61 rdma_core.c:857-866): a write to the writable mapping lands on
 * a zeroed dummy page, no fault, and never reaches the device (k61
 * uverbs_main.c:763-800; the VF counts it in doorbells_after_revoke). The
 * devices register again, usually under their old
 * names (k61 core/device.c:454-484), the RC one possibly first
 * (MANA_SIM rc_lead_ms): a device list in the gap has mana_N, not manae_N.
 */
static bool
rule16_reset(void)
{
	struct mana_sim_fault f = { .kind = MANA_SIM_FAULT_RESET, .down_ms = 400 };
	struct ibv_context *c1 = NULL, *c2 = NULL, *rc = NULL, *n1 = NULL;
	struct mana_sim_stats st0, st;
	char raw0[64] = "", rc0[64] = "", raw1[64] = "", rc1[64] = "";
	struct ibv_device_attr_ex attr;
	struct ibv_pd *pd1, *pd2, *pdr;
	struct t_tx t1, t2;
	uint8_t *map = MAP_FAILED;
	uint64_t deadline, t0, rc_at = 0, raw_at = 0;
	bool raw, rcl, went, gap = false;
	int go = -1, status = 0;
	pid_t pid = -1;
	bool ok = false;

	memset(&t1, 0, sizeof(t1));
	t2 = t1;
	t_listed(T_FN_RESET, &raw, &rcl, raw0, rc0, sizeof(raw0));
	CHECK(raw && rcl, "both devices listed");
	c1 = t_open_raw(T_FN_RESET);
	c2 = t_open_raw(T_FN_RESET);
	rc = t_open(T_FN_RESET, T_PART_RC, NULL);
	CHECK(c1 != NULL && c2 != NULL && rc != NULL, "open");
	pd1 = ibv_alloc_pd(c1);
	pd2 = ibv_alloc_pd(c2);
	pdr = ibv_alloc_pd(rc);
	CHECK(pd1 != NULL && pd2 != NULL && pdr != NULL, "PDs");
	CHECK(t_tx_create(c1, pd1, 1, &t1) == 0 && t_tx_create(c2, pd2, 2, &t2) == 0,
	      "RAW QPs on ports 1 and 2");
	map = mmap(NULL, T_PAGE, PROT_WRITE, MAP_SHARED, c1->cmd_fd, 0);
	CHECK(map != MAP_FAILED, "mmap");
	pid = t_db_child_start(map, gdma_db_value(1, 32, 0), &go);
	CHECK(pid > 0, "fork");

	t0 = t_now_ms();
	CHECK(t_inject(T_FN_RESET, &f) == 0, "reset");
	EXPECT(t_wait_event(c1, 2000) == IBV_EVENT_DEVICE_FATAL, "port 1 context: no fatal");
	EXPECT(t_wait_event(c2, 2000) == IBV_EVENT_DEVICE_FATAL, "port 2 context: no fatal");
	EXPECT(t_wait_event(rc, 2000) == IBV_EVENT_DEVICE_FATAL, "RC context: no fatal");
	errno = 0;
	EXPECT(ibv_alloc_pd(c1) == NULL && errno == EIO, "alloc_pd: %s", t_err(errno));
	errno = 0;
	EXPECT(t_cq(c2, 64) == NULL && errno == EIO, "create_cq: %s", t_err(errno));
	EXPECT(ibv_query_device_ex(c1, NULL, &attr) == EIO, "query_device_ex");
	EXPECT(ibv_destroy_qp(t1.qp) == 0 && ibv_destroy_cq(t1.cq) == 0 &&
	       ibv_dealloc_pd(t1.pdom) == 0 && ibv_dealloc_pd(pd1) == 0, "destroys, port 1");
	memset(&t1, 0, sizeof(t1));
	EXPECT(ibv_destroy_qp(t2.qp) == 0 && ibv_destroy_cq(t2.cq) == 0 &&
	       ibv_dealloc_pd(t2.pdom) == 0 && ibv_dealloc_pd(pd2) == 0, "destroys, port 2");
	memset(&t2, 0, sizeof(t2));
	EXPECT(ibv_dealloc_pd(pdr) == 0, "destroy, RC");
	CHECK(t_get_stats(T_FN_RESET, &st0) == 0, "stats");
	went = t_db_child_go(pid, go, &status);
	pid = -1;
	CHECK(went, "child");
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "doorbell write after the reset: status %#x, want a dummy page", status);
	deadline = t_now_ms() + T_WAIT_MS;
	while (t_get_stats(T_FN_RESET, &st) == 0 &&
	       st.doorbells_after_revoke == st0.doorbells_after_revoke && t_now_ms() < deadline)
		usleep(100);
	EXPECT(st.doorbells_after_revoke == st0.doorbells_after_revoke + 1,
	       "the write reached the device (doorbells_after_revoke %" PRIu64 ")",
	       st.doorbells_after_revoke - st0.doorbells_after_revoke);

	/* Both come back; the RC device first (rc_lead_ms=150). */
	deadline = t_now_ms() + 3000;
	while ((rc_at == 0 || raw_at == 0) && t_now_ms() < deadline) {
		t_listed(T_FN_RESET, &raw, &rcl, raw1, rc1, sizeof(raw1));
		if (rcl && rc_at == 0)
			rc_at = t_now_ms();
		if (raw && raw_at == 0)
			raw_at = t_now_ms();
		gap |= rcl && !raw;
		usleep(2000);
	}
	printf("    RC device back after %" PRIu64 " ms, RAW after %" PRIu64 " ms\n",
	       rc_at - t0, raw_at - t0);
	EXPECT(rc_at != 0 && raw_at != 0, "not back");
	EXPECT(gap && rc_at < raw_at, "no list with mana_N and without manae_N");
	EXPECT(raw_at - t0 >= 390, "RAW device back after %" PRIu64 " ms of 400",
	       raw_at - t0);
	EXPECT(strcmp(raw0, raw1) == 0 && strcmp(rc0, rc1) == 0, "names %s %s, were %s %s",
	       raw1, rc1, raw0, rc0);
	n1 = t_open_raw(T_FN_RESET);
	EXPECT(n1 != NULL && n1->device != c1->device, "the new device");
	ok = !t_expect_failed;
out:
	if (pid > 0) {
		close(go);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (map != MAP_FAILED)
		munmap(map, T_PAGE);
	t_tx_destroy(&t1);
	t_tx_destroy(&t2);
	if (n1 != NULL)
		ibv_close_device(n1);
	if (c1 != NULL)
		ibv_close_device(c1);
	if (c2 != NULL)
		ibv_close_device(c2);
	if (rc != NULL)
		ibv_close_device(rc);
	return ok;
}

/*
 * 17. sysfs as DPDK reads it: the PCI bus scans $SYSFS_PCI_DEVICES
 * (d25 drivers/bus/pci/pci_common.c:34-44) for vendor, device, a driver
 * link (a device without one is skipped) and resource; an ibv device's
 * <ibdev_path>/device is the PCI function, whose uevent names it
 * (PCI_SLOT_NAME, d25 mana.c:988-1018), and whose net/<if>/{address,
 * dev_port} give each port's MAC (dev_port = port - 1, d25 mana.c:923-986;
 * k61 mana_en.c:2786-2790).
 */
static bool
rule17_sysfs(void)
{
	const char *root = getenv("SYSFS_PCI_DEVICES");
	char path[PATH_MAX + 64], fn_dir[PATH_MAX], real_fn[PATH_MAX], real_ib[PATH_MAX];
	char buf[256], link[PATH_MAX];
	struct ibv_context *ctx = NULL;
	unsigned int port, lines = 0;
	ssize_t n;
	FILE *f;
	bool ok = false;

	CHECK(root != NULL, "SYSFS_PCI_DEVICES not set");
	snprintf(fn_dir, sizeof(fn_dir), "%s/%s", root, T_FN);
	snprintf(path, sizeof(path), "%s/vendor", fn_dir);
	EXPECT(t_read_line(path, buf, sizeof(buf)) && strcmp(buf, "0x1414") == 0, "vendor %s",
	       buf);
	snprintf(path, sizeof(path), "%s/device", fn_dir);
	EXPECT(t_read_line(path, buf, sizeof(buf)) && strcmp(buf, "0x00ba") == 0, "device %s",
	       buf);
	snprintf(path, sizeof(path), "%s/driver", fn_dir);
	n = readlink(path, link, sizeof(link) - 1);
	EXPECT(n > 0, "no driver link");
	if (n > 0) {
		link[n] = '\0';
		EXPECT(strcmp(strrchr(link, '/') != NULL ? strrchr(link, '/') + 1 : link,
			      "mana") == 0, "driver %s", link);
	}
	snprintf(path, sizeof(path), "%s/resource", fn_dir);
	f = fopen(path, "r");
	EXPECT(f != NULL, "no resource file");
	if (f != NULL) {
		unsigned long long a, b, c;

		while (fgets(buf, sizeof(buf), f) != NULL)
			lines += sscanf(buf, "%llx %llx %llx", &a, &b, &c) == 3;
		fclose(f);
		EXPECT(lines >= 6, "resource: %u lines", lines);
	}
	ctx = t_open(T_FN, T_PART_RAW, NULL);
	CHECK(ctx != NULL, "open");
	snprintf(path, sizeof(path), "%s/device", ctx->device->ibdev_path);
	CHECK(realpath(path, real_ib) != NULL && realpath(fn_dir, real_fn) != NULL, "realpath");
	EXPECT(strcmp(real_ib, real_fn) == 0, "ibdev_path/device is %s, not %s", real_ib,
	       real_fn);
	snprintf(path, sizeof(path), "%s/uevent", fn_dir);
	f = fopen(path, "r");
	CHECK(f != NULL, "uevent");
	lines = 0;
	while (fgets(buf, sizeof(buf), f) != NULL)
		lines += strcmp(buf, "PCI_SLOT_NAME=" T_FN "\n") == 0;
	fclose(f);
	EXPECT(lines == 1, "no PCI_SLOT_NAME=" T_FN " in uevent");
	for (port = 1; port <= T_FN_PORTS; port++) {
		char ifname[IF_NAMESIZE];
		unsigned int m[6];

		EXPECT(t_port_ifname(ctx, (uint8_t)port, ifname, sizeof(ifname)),
		       "no netdev with dev_port %u", port - 1);
		if (t_expect_failed)
			break;
		snprintf(path, sizeof(path), "%s/net/%s/address", fn_dir, ifname);
		EXPECT(t_read_line(path, buf, sizeof(buf)) &&
		       sscanf(buf, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
			      &m[5]) == 6 && (m[0] & 1) == 0, "port %u address %s", port, buf);
	}
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/*
 * 18. Queue buffers and what manadv_init_obj reports (d25 tx.c:94,104-105,
 * rx.c:279; rc44
 * mana.c:225-227 CQ: roundup_pow_of_two(cqe * 64), page-aligned; rc44
 * wq.c:71-73 and qp.c:86-88: max_wr * get_wqe_size(sge), page-aligned, next
 * power of two; get_wqe_size = align(16 * sge + 16, 32), rc44 mana.h). The
 * counts are what was asked for: CQ count = cqe, RWQ count = max_wr, QP
 * sq_count = max_send_wr (rc44 manadv.c).
 */
static bool
rule18_buffer_sizes(void)
{
	static const struct {
		int kind;	/* 0 CQ, 1 WQ, 2 SQ */
		uint32_t n, sge;
		size_t size;
	} v[] = {
		{ 0, 100, 0, 8192 }, { 0, 1, 0, 4096 }, { 0, 256, 0, 16384 },
		{ 1, 100, 1, 4096 }, { 1, 256, 1, 8192 }, { 1, 64, 15, 16384 },
		{ 2, 100, 15, 32768 }, { 2, 64, 1, 4096 }, { 2, 256, 30, 131072 },
	};
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd, *pdom;
	struct ibv_cq *cq, *cq2;
	struct ibv_wq *wq;
	struct ibv_qp *qp;
	struct manadv_obj o;
	struct manadv_cq dc;
	struct manadv_rwq dw;
	struct manadv_qp dq;
	unsigned int i;
	bool ok = false;

	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	pd = ibv_alloc_pd(ctx);
	pdom = t_parent(ctx, pd, 2);
	CHECK(pdom != NULL, "PD");
	for (i = 0; i < RTE_DIM(v); i++) {
		memset(&o, 0, sizeof(o));
		t_bufs_last_reset();
		switch (v[i].kind) {
		case 0:
			cq = t_cq(ctx, (int)v[i].n);
			CHECK(cq != NULL, "CQ %u", v[i].n);
			o.cq.in = cq;
			o.cq.out = &dc;
			CHECK(manadv_init_obj(&o, MANADV_OBJ_CQ) == 0, "init_obj");
			EXPECT(t_bufs_last() == v[i].size && dc.count == v[i].n &&
			       ((uintptr_t)dc.buf & (T_PAGE - 1)) == 0,
			       "CQ %u: buffer of %zu, count %u", v[i].n, t_bufs_last(), dc.count);
			break;
		case 1:
			cq = t_cq(ctx, 64);
			CHECK(cq != NULL, "CQ");
			t_bufs_last_reset();
			wq = t_wq_sz(ctx, pdom, cq, v[i].n, v[i].sge);
			CHECK(wq != NULL, "WQ %u x %u", v[i].n, v[i].sge);
			o.rwq.in = wq;
			o.rwq.out = &dw;
			CHECK(manadv_init_obj(&o, MANADV_OBJ_RWQ) == 0, "init_obj");
			EXPECT(t_bufs_last() == v[i].size && dw.size == v[i].size &&
			       dw.count == v[i].n, "WQ %u x %u: buffer of %zu, size %u, count %u",
			       v[i].n, v[i].sge, t_bufs_last(), dw.size, dw.count);
			break;
		case 2:
			cq2 = t_cq(ctx, 64);
			CHECK(cq2 != NULL, "CQ");
			t_bufs_last_reset();
			qp = t_raw_qp_sz(pdom, cq2, v[i].n, v[i].sge);
			CHECK(qp != NULL, "SQ %u x %u: %s", v[i].n, v[i].sge, t_err(errno));
			o.qp.in = qp;
			o.qp.out = &dq;
			CHECK(manadv_init_obj(&o, MANADV_OBJ_QP) == 0, "init_obj");
			EXPECT(t_bufs_last() == v[i].size && dq.sq_size == v[i].size &&
			       dq.sq_count == v[i].n,
			       "SQ %u x %u: buffer of %zu, size %u, count %u", v[i].n, v[i].sge,
			       t_bufs_last(), dq.sq_size, dq.sq_count);
			break;
		}
	}
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/*
 * 19. Indirection tables and RSS QPs. The ib core refuses
 * log_ind_tbl_size > 13 (EINVAL) and comp_mask != 0 (EOPNOTSUPP) at table
 * creation (k61 uverbs_cmd.c:3086-3124; mana's create_rwq_ind_table is a
 * no-op, KU wq.c); a table above 64 entries fails when the RSS QP is
 * created (KU qp.c:mana_ib_create_qp_rss, EINVAL). RSS QP: receive
 * capabilities with a table EINVAL (k61 uverbs_cmd.c:1338-1341), key length
 * other than 40 EINVAL (rc44 qp.c:199-205; a QP without IBV_QP_INIT_ATTR_RX_HASH
 * has key length 0), a hash function other than Toeplitz EINVAL (KU qp.c).
 */
static bool
rule19_rss_qp(void)
{
	static struct ibv_wq *tbl[128];
	struct ibv_rwq_ind_table_init_attr ta;
	struct ibv_qp_init_attr_ex xa;
	struct ibv_context *ctx = NULL;
	struct ibv_rwq_ind_table *ind, *big;
	struct ibv_pd *pd, *pdom;
	struct ibv_cq *cq;
	struct ibv_wq *wq;
	unsigned int i;
	bool ok = false;

	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	pd = ibv_alloc_pd(ctx);
	pdom = t_parent(ctx, pd, 2);
	cq = t_cq(ctx, 64);
	CHECK(pdom != NULL && cq != NULL, "objects");
	wq = t_wq(ctx, pdom, cq);
	CHECK(wq != NULL, "WQ");
	for (i = 0; i < RTE_DIM(tbl); i++)
		tbl[i] = wq;
	memset(&ta, 0, sizeof(ta));
	ta.ind_tbl = tbl;
	ta.log_ind_tbl_size = 14;
	errno = 0;
	EXPECT(ibv_create_rwq_ind_table(ctx, &ta) == NULL && errno == EINVAL, "log 14: %s",
	       t_err(errno));
	ta.log_ind_tbl_size = 0;
	ta.comp_mask = 1;
	errno = 0;
	EXPECT(ibv_create_rwq_ind_table(ctx, &ta) == NULL && errno == EOPNOTSUPP,
	       "comp_mask 1: %s", t_err(errno));
	ta.comp_mask = 0;
	ta.log_ind_tbl_size = 7;
	big = ibv_create_rwq_ind_table(ctx, &ta);
	EXPECT(big != NULL, "table of 128 entries (the ib core takes up to 2^13): %s",
	       t_err(errno));
	if (big != NULL) {
		errno = 0;
		EXPECT(t_rss_qp(ctx, pdom, big) == NULL && errno == EINVAL,
		       "RSS QP over 128 entries: %s", t_err(errno));
		ibv_destroy_rwq_ind_table(big);
	}
	ind = t_ind(ctx, &wq, 0);
	CHECK(ind != NULL, "table");
	memset(&xa, 0, sizeof(xa));
	xa.qp_type = IBV_QPT_RAW_PACKET;
	xa.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_IND_TABLE |
		       IBV_QP_INIT_ATTR_RX_HASH;
	xa.pd = pdom;
	xa.rwq_ind_tbl = ind;
	xa.rx_hash_conf.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ;
	xa.rx_hash_conf.rx_hash_key_len = 39;
	xa.rx_hash_conf.rx_hash_key = (uint8_t *)(uintptr_t)t_rss_key;
	errno = 0;
	EXPECT(ibv_create_qp_ex(ctx, &xa) == NULL && errno == EINVAL, "key of 39 bytes: %s",
	       t_err(errno));
	xa.rx_hash_conf.rx_hash_key_len = 40;
	xa.rx_hash_conf.rx_hash_function = 1u << 1;
	errno = 0;
	EXPECT(ibv_create_qp_ex(ctx, &xa) == NULL && errno == EINVAL, "hash function 2: %s",
	       t_err(errno));
	xa.rx_hash_conf.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ;
	xa.cap.max_recv_wr = 16;
	errno = 0;
	EXPECT(ibv_create_qp_ex(ctx, &xa) == NULL && errno == EINVAL, "max_recv_wr 16: %s",
	       t_err(errno));
	xa.cap.max_recv_wr = 0;
	xa.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_IND_TABLE;
	memset(&xa.rx_hash_conf, 0, sizeof(xa.rx_hash_conf));
	errno = 0;
	EXPECT(ibv_create_qp_ex(ctx, &xa) == NULL && errno == EINVAL,
	       "table without RX_HASH (key length 0): %s", t_err(errno));
	EXPECT(t_rss_qp(ctx, pdom, ind) != NULL, "a good RSS QP: %s", t_err(errno));
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/* errno of registering [addr, addr + len) (0: registered, and deregistered again). */
static int
t_reg_errno(struct ibv_pd *pd, void *addr, size_t len, int access)
{
	struct ibv_mr *mr;

	errno = 0;
	mr = ibv_reg_mr(pd, addr, len, access);
	if (mr == NULL)
		return errno != 0 ? errno : -1;
	return ibv_dereg_mr(mr) == 0 ? 0 : -1;
}

/*
 * 20. The doorbell page: the provider maps 4096 bytes at offset 0 of
 * cmd_fd (rc44 mana.c:388-394); mana_ib refuses any other offset with
 * EINVAL (KU main.c:mana_ib_mmap, vm_pgoff != 0) and maps exactly one page
 * (rdma_user_mmap_io). Memory registrations: remote write needs local
 * write (k61 include/rdma/ib_verbs.h:4289-4301, EINVAL); every page of the
 * range must be mapped, writable with local write (FOLL_WRITE) and readable
 * without, or ib_umem_get's pinning fails with EFAULT (mm/gup.c
 * check_vma_flags) - a PROT_NONE reservation, as DPDK leaves unbacked
 * memory, is not memory; a range that wraps is EINVAL. The part without
 * local write is upstream umem.c's from Linux 6.2 on; k61 umem.c pins such
 * a registration with FOLL_WRITE | FOLL_FORCE, which any private mapping
 * passes (the PMD always asks for local write). The VF reads the mappings
 * with PROCMAP_QUERY where the kernel has it (6.11) and from the text of
 * /proc/self/maps otherwise: the rule is checked both ways, the text in a
 * child with maps=text.
 */

/* Descriptors of this process open on its own maps file, or -1. */
static int
t_maps_fds(void)
{
	char want[96], path[300], link[64];
	struct dirent *de;
	ssize_t len;
	int n = 0;
	DIR *d;

	/* /proc's own name of this process (its pid namespace may not be ours). */
	len = readlink("/proc/self", link, sizeof(link) - 1);
	if (len <= 0)
		return -1;
	link[len] = '\0';
	snprintf(want, sizeof(want), "/proc/%s/maps", link);
	d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		n += strcmp(link, want) == 0;
	}
	closedir(d);
	return n;
}

/*
 * ib_umem_get() pins the calling process's memory (current->mm): a forked
 * child registering through the context it inherited is checked against
 * its own mappings, not its parent's, so the VF must not query the maps
 * file its parent opened. The child registers a page only it has mapped,
 * then one its parent still has and it has unmapped. (rdma-core sends
 * REG_MR through the ioctl path, UVERBS_METHOD_INVOKE_WRITE, which makes
 * no check of the caller's credentials; the legacy write() path's
 * ib_safe_file_access() would refuse the child.)
 */
static bool
t_forked_child_mr(struct ibv_pd *pd)
{
	uint8_t *page;
	pid_t pid;
	bool ok;

	page = mmap(NULL, T_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return false;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		uint8_t *own = mmap(NULL, T_PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int code = 0;

		if (own == MAP_FAILED || munmap(page, T_PAGE) != 0)
			_exit(4);
		if (t_reg_errno(pd, own, T_PAGE, IBV_ACCESS_LOCAL_WRITE) != 0)
			code |= 1;
		if (t_reg_errno(pd, page, T_PAGE, IBV_ACCESS_LOCAL_WRITE) != EFAULT)
			code |= 2;
		_exit(code);
	}
	/* Status 1: its own page refused; 2: its parent's page registered. */
	ok = t_child_ok(pid, "forked_child_mr", T_CHILD_MS);
	munmap(page, T_PAGE);	/* after the child: its second case needs it mapped here */
	return ok;
}

#define T_MAPS_DIRS	4
#define T_MAPS_READ	511	/* read of a line at once by the VF (a 512-byte buffer) */
#define T_MAPS_FILLER	200	/* characters of a filler directory's name */

/* Undo t_long_maps_line(): the file's mapping, the file, each directory of @dir. */
static void
t_long_maps_line_undo(uint8_t *area, char *dir, const size_t *ends, int nb_dirs)
{
	size_t len;

	if (area != MAP_FAILED)
		munmap(area, 2 * T_PAGE);
	while (nb_dirs > 0) {
		len = ends[--nb_dirs];
		snprintf(dir + len, PATH_MAX - len, "/f");	/* wherever it was left */
		unlink(dir);
		dir[len] = '\0';
		rmdir(dir);
	}
}

/* Append "/<@name>" to @dir and make that directory. */
static int
t_mkdir_in(char *dir, size_t *ends, int *nb_dirs, const char *name)
{
	size_t len = strlen(dir);

	if (*nb_dirs >= T_MAPS_DIRS)
		return -EMLINK;		/* more directories than planned */
	if (len + 1 + strlen(name) >= PATH_MAX)
		return -ENAMETOOLONG;
	dir[len] = '/';
	strcpy(dir + len + 1, name);
	if (mkdir(dir, 0700) != 0) {
		int err = errno;

		dir[len] = '\0';
		return -err;
	}
	ends[(*nb_dirs)++] = strlen(dir);
	return 0;
}

/* The maps line of the mapping that starts at @start (to free), or NULL. */
static char *
t_maps_line_of(const void *start)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (f == NULL)
		return NULL;
	while (getline(&line, &cap, f) > 0)
		if (strtoul(line, NULL, 16) == (uintptr_t)start)
			break;
	if (ferror(f) || feof(f)) {
		free(line);
		line = NULL;
	}
	fclose(f);
	return line;
}

/*
 * A maps line longer than the text walk's line buffer (512 bytes): a page
 * of a file mapped under a long path, the next page PROT_NONE (kept
 * reserved, so that no other mapping can take it). The path is made so that
 * the line's byte 511 (where a 511-character read stops) starts "<next
 * page>-<end> rw-p": read as a line of its own, that would be a writable
 * mapping of the reserved page. Registering that page must be EFAULT all
 * the same.
 */
static bool
t_long_maps_line(struct ibv_pd *pd)
{
	char dir[PATH_MAX], tmpl[PATH_MAX], file[PATH_MAX + 2], moved[PATH_MAX + 2];
	char name[256], forged[64];
	size_t ends[T_MAPS_DIRS], prefix = 0, used;
	char *line = NULL, *at;
	uint8_t *area = MAP_FAILED;
	int fd = -1, nb_dirs = 0, ret;
	bool ok = false;

	/* Its real path (/tmp may be a link): that is what the maps text shows. */
	snprintf(tmpl, sizeof(tmpl), "%s/ut_contract_maps.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	CHECK(mkdtemp(tmpl) != NULL, "mkdtemp %s: %s", tmpl, t_err(errno));
	if (realpath(tmpl, dir) == NULL) {
		printf("    realpath %s: %s\n", tmpl, t_err(errno));
		rmdir(tmpl);
		goto out;
	}
	ends[nb_dirs++] = strlen(dir);
	snprintf(file, sizeof(file), "%s/f", dir);
	fd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, T_PAGE) == 0, "%s: %s", file, t_err(errno));
	area = mmap(NULL, 2 * T_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(area != MAP_FAILED, "mmap: %s", t_err(errno));
	CHECK(mmap(area, T_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == area,
	      "file page: %s", t_err(errno));

	/* Where the path starts in the file's line: the rest is fixed by the mapping. */
	line = t_maps_line_of(area);
	at = line != NULL ? strstr(line, dir) : NULL;
	CHECK(at != NULL, "the file's maps line");
	prefix = (size_t)(at - line);
	used = prefix + strlen(dir) + 1;
	CHECK(used + 2 <= T_MAPS_READ, "a maps line prefix of %zu bytes", prefix);

	/* <dir>/<filler>[/<filler>]/<forged>/f, <forged> where a read stops. */
	while (T_MAPS_READ - used > 255) {
		snprintf(name, sizeof(name), "%0*d", T_MAPS_FILLER, 0);
		ret = t_mkdir_in(dir, ends, &nb_dirs, name);
		CHECK(ret == 0, "mkdir: %s", t_err(-ret));
		used += T_MAPS_FILLER + 1;
	}
	snprintf(name, sizeof(name), "%0*d", (int)(T_MAPS_READ - used - 1), 0);
	ret = t_mkdir_in(dir, ends, &nb_dirs, name);
	CHECK(ret == 0, "mkdir: %s", t_err(-ret));
	snprintf(forged, sizeof(forged), "%" PRIxPTR "-%" PRIxPTR " rw-p 0",
		 (uintptr_t)(area + T_PAGE), (uintptr_t)(area + 2 * T_PAGE));
	ret = t_mkdir_in(dir, ends, &nb_dirs, forged);
	CHECK(ret == 0, "mkdir: %s", t_err(-ret));
	snprintf(moved, sizeof(moved), "%s/f", dir);
	CHECK(rename(file, moved) == 0, "rename: %s", t_err(errno));

	/* The test is what it says: the forged text starts where a read stops. */
	free(line);
	line = t_maps_line_of(area);
	CHECK(line != NULL && strlen(line) > T_MAPS_READ + strlen(forged) &&
	      strncmp(line + T_MAPS_READ, forged, strlen(forged)) == 0,
	      "the forged text is not at byte 511 of the line");

	EXPECT(t_reg_errno(pd, area + 8, 16, IBV_ACCESS_LOCAL_WRITE) == 0, "the file's page");
	EXPECT(t_reg_errno(pd, area + T_PAGE, 16, IBV_ACCESS_LOCAL_WRITE) == EFAULT,
	       "the reserved page after a long maps line");
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	free(line);
	t_long_maps_line_undo(area, dir, ends, nb_dirs);
	return ok;
}

static bool
t_rule20(bool text)
{
	static uint8_t mem[8192] __rte_aligned(4096);
	struct ibv_context *ctx = NULL;
	struct mana_sim_stats st0, st;
	struct ibv_mr *mr;
	struct ibv_pd *pd;
	uint8_t *area;
	int maps_fds;
	void *m;
	bool ok = false;

	maps_fds = t_maps_fds();
	CHECK(maps_fds >= 0, "listing /proc/self/fd: %s", t_err(errno));
	CHECK(t_get_stats(T_FN, &st0) == 0, "stats");
	ctx = t_open(T_FN, T_PART_RAW, NULL);
	CHECK(ctx != NULL, "open");
	/* The way the VF reads the mappings: a maps file kept open to query. */
	maps_fds = t_maps_fds() - maps_fds;
	EXPECT(maps_fds == (text ? 0 : 1), "maps=%s: %d maps file(s) opened",
	       text ? "text" : "query", maps_fds);
	m = mmap(NULL, T_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ctx->cmd_fd, 0);
	EXPECT(m != MAP_FAILED, "page at offset 0: %s", t_err(errno));
	if (m != MAP_FAILED)
		munmap(m, T_PAGE);
	errno = 0;
	m = mmap(NULL, T_PAGE, PROT_WRITE, MAP_SHARED, ctx->cmd_fd, T_PAGE);
	EXPECT(m == MAP_FAILED && errno == EINVAL, "page at offset 4096: %s",
	       m == MAP_FAILED ? t_err(errno) : "mapped");
	if (m != MAP_FAILED)
		munmap(m, T_PAGE);
	errno = 0;
	m = mmap(NULL, 2 * T_PAGE, PROT_WRITE, MAP_SHARED, ctx->cmd_fd, 0);
	EXPECT(m == MAP_FAILED && errno == EINVAL, "two pages: %s",
	       m == MAP_FAILED ? t_err(errno) : "mapped");
	if (m != MAP_FAILED)
		munmap(m, 2 * T_PAGE);

	pd = ibv_alloc_pd(ctx);
	CHECK(pd != NULL, "PD");
	errno = 0;
	EXPECT(ibv_reg_mr(pd, mem, sizeof(mem), IBV_ACCESS_REMOTE_WRITE) == NULL &&
	       errno == EINVAL, "remote write without local write: %s", t_err(errno));
	mr = ibv_reg_mr(pd, mem, sizeof(mem), IBV_ACCESS_LOCAL_WRITE);
	EXPECT(mr != NULL && mr->lkey != 0 && mr->addr == mem && mr->length == sizeof(mem),
	       "local write: %s", t_err(errno));

	/* Pages: 0 read-write, 1 read-only, 2 unmapped, 3 PROT_NONE, 4 write-only. */
	area = mmap(NULL, 5 * T_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(area != MAP_FAILED, "mmap: %s", t_err(errno));
	CHECK(mprotect(area + T_PAGE, T_PAGE, PROT_READ) == 0 &&
	      munmap(area + 2 * T_PAGE, T_PAGE) == 0 &&
	      mprotect(area + 3 * T_PAGE, T_PAGE, PROT_NONE) == 0 &&
	      mprotect(area + 4 * T_PAGE, T_PAGE, PROT_WRITE) == 0, "page rights: %s",
	      t_err(errno));
	EXPECT(t_reg_errno(pd, area + 100, T_PAGE - 200, IBV_ACCESS_LOCAL_WRITE) == 0,
	       "read-write page");
	EXPECT(t_reg_errno(pd, area + 100, T_PAGE, IBV_ACCESS_LOCAL_WRITE) == EFAULT,
	       "local write reaching a read-only page");
	EXPECT(t_reg_errno(pd, area, 2 * T_PAGE, 0) == 0, "read-only pages, no local write");
	EXPECT(t_reg_errno(pd, area + 2 * T_PAGE - 8, 16, 0) == EFAULT, "into an unmapped page");
	EXPECT(t_reg_errno(pd, area + 2 * T_PAGE, 16, 0) == EFAULT, "unmapped page");
	EXPECT(t_reg_errno(pd, area + 3 * T_PAGE, 16, 0) == EFAULT, "PROT_NONE page");
	/* FOLL_WRITE needs VM_WRITE only (mm/gup.c check_vma_flags). */
	EXPECT(t_reg_errno(pd, area + 4 * T_PAGE, 16, IBV_ACCESS_LOCAL_WRITE) == 0,
	       "write-only page, local write");
	EXPECT(t_reg_errno(pd, area + 4 * T_PAGE, 16, 0) == EFAULT, "write-only page, read");
	EXPECT(t_reg_errno(pd, (void *)(UINTPTR_MAX - 64), 128, 0) == EINVAL, "a wrapping range");
#ifdef RTE_ARCH_X86_64
	/* Listed in the maps text (r-xp with vsyscall=emulate), but no user memory. */
	EXPECT(t_reg_errno(pd, (void *)UINT64_C(0xffffffffff600000), 16, 0) == EFAULT,
	       "the vsyscall page");
#endif
	munmap(area, 2 * T_PAGE);
	munmap(area + 3 * T_PAGE, 2 * T_PAGE);
	EXPECT(t_forked_child_mr(pd), "a forked child's registrations: its own mappings");
	CHECK(t_long_maps_line(pd), "a long maps line");
	/* With maps=text, every check read the text (with the query, only a kernel before 6.11). */
	CHECK(t_get_stats(T_FN, &st) == 0, "stats");
	if (text)
		EXPECT(st.maps_text_reads >= st0.maps_text_reads + 10,
		       "%" PRIu64 " range checks on the maps text",
		       st.maps_text_reads - st0.maps_text_reads);
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

static bool
rule20_mappings_and_mrs(void)
{
	bool ok = t_rule20(false);

	return t_run_child("rule20_text", "maps=text;fn=" T_FN ",ports=4,up1=0", T_CHILD_MS) &&
	       ok;
}

/*
 * 21. Completion vectors: mana_ib sets num_comp_vectors to
 * gc->max_num_queues (KU device.c:mana_ib_probe), one per online CPU up to
 * 64 and the hardware's queue limits (Linux gdma_main.c
 * mana_gd_query_max_resources); the ib core refuses comp_vector >=
 * num_comp_vectors, EINVAL (k61 uverbs_cmd.c:1021). DPDK gives Rx queue i
 * comp_vector i when Rx interrupts are on (d25 rx.c:252-302).
 */
static bool
rule21_comp_vectors(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct ibv_device_attr_ex attr;
	struct ibv_context *ctx = NULL;
	struct ibv_cq *cq;
	int want;
	bool ok = false;

	ctx = t_open_raw(T_FN);
	CHECK(ctx != NULL, "open");
	CHECK(ibv_query_device_ex(ctx, NULL, &attr) == 0, "query");
	want = (int)RTE_MIN(ncpu, 64L);
	want = RTE_MIN(want, attr.orig_attr.max_qp);
	EXPECT(ctx->num_comp_vectors >= want, "num_comp_vectors %d, want min(%ld CPUs, 64, "
	       "max_qp %d) = %d", ctx->num_comp_vectors, ncpu, attr.orig_attr.max_qp, want);
	cq = ibv_create_cq(ctx, 64, NULL, NULL, ctx->num_comp_vectors - 1);
	EXPECT(cq != NULL, "comp_vector %d: %s", ctx->num_comp_vectors - 1, t_err(errno));
	errno = 0;
	cq = ibv_create_cq(ctx, 64, NULL, NULL, ctx->num_comp_vectors);
	EXPECT(cq == NULL && errno == EINVAL, "comp_vector %d: %s", ctx->num_comp_vectors,
	       t_err(errno));
	errno = 0;
	cq = ibv_create_cq(ctx, 64, NULL, NULL, -1);
	EXPECT(cq == NULL && errno == EINVAL, "comp_vector -1: %s", t_err(errno));
	ok = !t_expect_failed;
out:
	if (ctx != NULL)
		ibv_close_device(ctx);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Main                                                                */
/* ------------------------------------------------------------------ */

static const struct t_case t_rules[] = {
	{ "rule01_parent_domain_port", rule01_parent_domain_port },
	{ "rule02_ids_after_qp", rule02_ids_after_qp },
	{ "rule03_each_queue_once", rule03_each_queue_once },
	{ "rule04_vport_per_pd", rule04_vport_per_pd },
	{ "rule05_queue_limits", rule05_queue_limits },
	{ "rule06_hash_mask_ignored", rule06_hash_mask_ignored },
	{ "rule07_rc_and_raw_devices", rule07_rc_and_raw_devices },
	{ "rule08_cap_net_raw", rule08_cap_net_raw },
	{ "rule09_destroy_order", rule09_destroy_order },
	{ "rule10_eopnotsupp", rule10_eopnotsupp },
	{ "rule11_manadv", rule11_manadv },
	{ "rule12_parent_domain_qp_type", rule12_parent_domain_qp_type },
	{ "rule13_query_port", rule13_query_port },
	{ "rule14_netdev_ioctl", rule14_netdev_ioctl },
	{ "rule15_rx_coalescing", rule15_rx_coalescing },
	{ "rule16_reset", rule16_reset },
	{ "rule17_sysfs", rule17_sysfs },
	{ "rule18_buffer_sizes", rule18_buffer_sizes },
	{ "rule19_rss_qp", rule19_rss_qp },
	{ "rule20_mappings_and_mrs", rule20_mappings_and_mrs },
	{ "rule21_comp_vectors", rule21_comp_vectors },
};

/* Children: the rule under another MANA_SIM (see t_run_child). */
static int
t_child_main(const char *name)
{
	bool ok;

	if (strcmp(name, "rule02") == 0)
		ok = t_rule02(44);
	else if (strcmp(name, "rule02_62") == 0)
		ok = t_rule02(62);
	else if (strcmp(name, "rule05") == 0)
		ok = t_rule05(44);
	else if (strcmp(name, "rule05_49") == 0)
		ok = t_rule05(49);
	else if (strcmp(name, "rule08") == 0)
		ok = t_rule08();
	else if (strcmp(name, "rule09") == 0)
		ok = t_rule09();
	else if (strcmp(name, "rule12_62") == 0)
		ok = t_rule12(62);
	else if (strcmp(name, "rule20_text") == 0)
		ok = t_rule20(true);
	else
		ok = false;
	return ok ? 0 : 1;
}

static void
t_rule_begin(void)
{
	t_expect_failed = false;
}

int
main(int argc, char **argv)
{
	struct mana_sim_stats st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!t_harness_init(argv[0], "ut_contract")) {
		printf("the software MANA VF is not loaded (LD_PRELOAD=libmana_sim.so)\n");
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "--child") == 0)
		return t_child_main(argv[2]);
	if (t_get_stats(T_FN, &st) != 0 || t_get_stats(T_FN_RESET, &st) != 0) {
		printf("MANA_SIM lacks " T_FN " or " T_FN_RESET ": see tests/unit/meson.build\n");
		return 1;
	}
	printf("emulated rdma-core: %u (rdma_core= default)\n", (unsigned int)T_RDMA_CORE);
	return t_run_cases(t_rules, RTE_DIM(t_rules), argc, argv, "rules", t_rule_begin);
}
