/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The shared part of test_vf.c and test_vf_contract.c: see vf_harness.h.
 */

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_io.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_thash.h>
#include <rte_udp.h>

#include "mana_dpdk_compat.h"
#include "vf_harness.h"

const uint8_t t_rss_key[40] __rte_aligned(8) = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

mana_sim_inject_t t_inject;
mana_sim_get_stats_t t_get_stats;
mana_sim_set_netdev_t t_set_netdev;

static const char *t_child_prog = "test";	/* argv[0] of children */
static const char *t_child_instance = "ut";	/* their MANA_SIM instance prefix */

bool
t_harness_init(const char *prog, const char *instance)
{
	t_child_prog = prog;
	t_child_instance = instance;
	t_inject = (mana_sim_inject_t)(uintptr_t)dlsym(RTLD_DEFAULT, MANA_SIM_INJECT_SYMBOL);
	t_get_stats = (mana_sim_get_stats_t)(uintptr_t)dlsym(RTLD_DEFAULT,
							      MANA_SIM_GET_STATS_SYMBOL);
	t_set_netdev = (mana_sim_set_netdev_t)(uintptr_t)dlsym(RTLD_DEFAULT,
								MANA_SIM_SET_NETDEV_SYMBOL);
	return t_inject != NULL && t_get_stats != NULL && t_set_netdev != NULL;
}

/* ------------------------------------------------------------------ */
/* Time and text                                                       */
/* ------------------------------------------------------------------ */

uint64_t
t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t
t_now_ms(void)
{
	return t_now_ns() / 1000000ull;
}

void
t_poll_pause(void)
{
	usleep(20);
}

void
t_strlcpy(char *dst, const char *src, size_t len)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

bool
t_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (f == NULL)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* ------------------------------------------------------------------ */
/* Queue buffers                                                       */
/* ------------------------------------------------------------------ */

static RTE_ATOMIC(int64_t) t_bufs_live;
static RTE_ATOMIC(size_t) t_bufs_last_size;

/* A page-aligned buffer of @size bytes and @extra more, counted; its start. */
static uint8_t *
t_buf_get(size_t size, size_t extra)
{
	uint8_t *p;

	rte_atomic_store_explicit(&t_bufs_last_size, size, rte_memory_order_relaxed);
	p = aligned_alloc(T_PAGE, RTE_ALIGN_CEIL(size, (size_t)T_PAGE) + extra);
	if (p != NULL)
		rte_atomic_fetch_add_explicit(&t_bufs_live, 1, rte_memory_order_relaxed);
	return p;
}

static void
t_buf_put(void *start)
{
	free(start);
	rte_atomic_fetch_sub_explicit(&t_bufs_live, 1, rte_memory_order_relaxed);
}

void *
t_buf_alloc(size_t size, void *data)
{
	uint8_t *p = t_buf_get(size, 0);

	RTE_SET_USED(data);
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
t_buf_free(void *ptr, void *data)
{
	RTE_SET_USED(data);
	if (ptr != NULL)
		t_buf_put(ptr);
}

void *
t_buf_alloc_none(size_t size, void *data)
{
	RTE_SET_USED(data);
	rte_atomic_store_explicit(&t_bufs_last_size, size, rte_memory_order_relaxed);
	return NULL;
}

/* A buffer that is not page-aligned: the kernel cannot pin it at offset 0. */
void *
t_buf_alloc_misaligned(size_t size, void *data)
{
	uint8_t *p = t_buf_get(size, T_PAGE);

	RTE_SET_USED(data);
	return p != NULL ? p + 64 : NULL;
}

void
t_buf_free_misaligned(void *ptr, void *data)
{
	RTE_SET_USED(data);
	if (ptr != NULL)
		t_buf_put((uint8_t *)ptr - 64);
}

int64_t
t_bufs_outstanding(void)
{
	return rte_atomic_load_explicit(&t_bufs_live, rte_memory_order_relaxed);
}

size_t
t_bufs_last(void)
{
	return rte_atomic_load_explicit(&t_bufs_last_size, rte_memory_order_relaxed);
}

void
t_bufs_last_reset(void)
{
	rte_atomic_store_explicit(&t_bufs_last_size, 0, rte_memory_order_relaxed);
}

int
t_set_alloc(struct ibv_context *ctx, void *(*alloc)(size_t, void *),
	    void (*free_fn)(void *, void *))
{
	struct manadv_ctx_allocators a = { .alloc = alloc, .free = free_fn, .data = NULL };

	return manadv_set_context_attr(ctx, MANADV_CTX_ATTR_BUF_ALLOCATORS, &a);
}

int
t_set_allocators(struct ibv_context *ctx)
{
	return t_set_alloc(ctx, t_buf_alloc, t_buf_free);
}

/* ------------------------------------------------------------------ */
/* ibv devices of a PCI function                                       */
/* ------------------------------------------------------------------ */

bool
t_dev_bdf(const struct ibv_device *dev, char *bdf, size_t len)
{
	char path[PATH_MAX], line[256];
	bool found = false;
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/device/uevent", dev->ibdev_path) >=
	    sizeof(path))
		return false;
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "PCI_SLOT_NAME=", 14) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		t_strlcpy(bdf, line + 14, len);
		found = true;
	}
	fclose(f);
	return found;
}

void
t_listed(const char *bdf, bool *raw, bool *rc, char *raw_name, char *rc_name, size_t len)
{
	struct ibv_device **list;
	char b[64];
	int i, n = 0;

	*raw = *rc = false;
	list = ibv_get_device_list(&n);
	if (list == NULL)
		return;
	for (i = 0; i < n; i++) {
		const char *nm = ibv_get_device_name(list[i]);

		if (!t_dev_bdf(list[i], b, sizeof(b)) || strcmp(b, bdf) != 0)
			continue;
		if (strncmp(nm, "manae_", 6) == 0) {
			*raw = true;
			if (raw_name != NULL)
				t_strlcpy(raw_name, nm, len);
		} else if (strncmp(nm, "mana_", 5) == 0) {
			*rc = true;
			if (rc_name != NULL)
				t_strlcpy(rc_name, nm, len);
		}
	}
	ibv_free_device_list(list);
}

struct ibv_context *
t_open(const char *bdf, int part, struct ibv_device **devp)
{
	struct ibv_context *found = NULL;
	struct ibv_device **list;
	int i, n = 0, err = ENODEV;
	char b[64];

	list = ibv_get_device_list(&n);
	if (list == NULL)
		return NULL;
	for (i = 0; i < n && found == NULL; i++) {
		struct ibv_device_attr_ex attr;
		struct ibv_context *ctx;

		if (!t_dev_bdf(list[i], b, sizeof(b)) || strcmp(b, bdf) != 0)
			continue;
		ctx = ibv_open_device(list[i]);
		if (ctx == NULL) {
			err = errno;
			continue;
		}
		memset(&attr, 0, sizeof(attr));
		if (ibv_query_device_ex(ctx, NULL, &attr) == 0 &&
		    (int)attr.orig_attr.vendor_part_id == part &&
		    (part != T_PART_RAW || attr.raw_packet_caps != 0)) {
			found = ctx;
			if (devp != NULL)
				*devp = list[i];
		} else {
			ibv_close_device(ctx);
		}
	}
	ibv_free_device_list(list);
	if (found == NULL)
		errno = err;
	return found;
}

struct ibv_context *
t_open_raw(const char *bdf)
{
	struct ibv_context *ctx = t_open(bdf, T_PART_RAW, NULL);
	int ret;

	if (ctx == NULL)
		return NULL;
	ret = t_set_allocators(ctx);
	if (ret != 0) {
		ibv_close_device(ctx);
		errno = ret;
		return NULL;
	}
	return ctx;
}

int
t_wait_event(struct ibv_context *ctx, int timeout_ms)
{
	struct pollfd pfd = { .fd = ctx->async_fd, .events = POLLIN };
	struct ibv_async_event ev;
	int flags;

	flags = fcntl(ctx->async_fd, F_GETFL);
	if (flags < 0 || fcntl(ctx->async_fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return -1;
	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	if (ibv_get_async_event(ctx, &ev) != 0)
		return -1;
	ibv_ack_async_event(&ev);
	return (int)ev.event_type;
}

bool
t_port_ifname(struct ibv_context *ctx, uint8_t port, char *ifname, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], buf[32];
	struct dirent *ent;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/device/net", ctx->device->ibdev_path);
	d = opendir(dir);
	if (d == NULL)
		return false;
	while (!found && (ent = readdir(d)) != NULL) {
		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/dev_port", dir, ent->d_name);
		if (t_read_line(path, buf, sizeof(buf)) && strtoul(buf, NULL, 10) == port - 1u) {
			t_strlcpy(ifname, ent->d_name, len);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* ------------------------------------------------------------------ */
/* Verbs objects                                                       */
/* ------------------------------------------------------------------ */

struct ibv_pd *
t_parent(struct ibv_context *ctx, struct ibv_pd *pd, uint32_t port)
{
	struct ibv_parent_domain_init_attr a = {
		.pd = pd,
		.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT,
		.pd_context = (void *)(uintptr_t)port,
	};

	return ibv_alloc_parent_domain(ctx, &a);
}

struct ibv_cq *
t_cq(struct ibv_context *ctx, int cqe)
{
	return ibv_create_cq(ctx, cqe, NULL, NULL, 0);
}

struct ibv_qp *
t_raw_qp_sz(struct ibv_pd *pd, struct ibv_cq *cq, uint32_t wr, uint32_t sge)
{
	struct ibv_qp_init_attr a = {
		.send_cq = cq,
		.recv_cq = cq,
		.cap = { .max_send_wr = wr, .max_send_sge = sge },
		.qp_type = IBV_QPT_RAW_PACKET,
	};

	return ibv_create_qp(pd, &a);
}

struct ibv_qp *
t_raw_qp(struct ibv_pd *pd, struct ibv_cq *cq)
{
	return t_raw_qp_sz(pd, cq, 64, 1);
}

struct ibv_wq *
t_wq_sz(struct ibv_context *ctx, struct ibv_pd *pd, struct ibv_cq *cq, uint32_t wr,
	uint32_t sge)
{
	struct ibv_wq_init_attr a = {
		.wq_type = IBV_WQT_RQ,
		.max_wr = wr,
		.max_sge = sge,
		.pd = pd,
		.cq = cq,
	};

	return ibv_create_wq(ctx, &a);
}

struct ibv_wq *
t_wq(struct ibv_context *ctx, struct ibv_pd *pd, struct ibv_cq *cq)
{
	return t_wq_sz(ctx, pd, cq, 64, 1);
}

struct ibv_rwq_ind_table *
t_ind(struct ibv_context *ctx, struct ibv_wq **wqs, uint32_t log)
{
	struct ibv_rwq_ind_table_init_attr a = { .log_ind_tbl_size = log, .ind_tbl = wqs };

	return ibv_create_rwq_ind_table(ctx, &a);
}

struct ibv_qp *
t_rss_qp_mask(struct ibv_context *ctx, struct ibv_pd *pd, struct ibv_rwq_ind_table *ind,
	      uint64_t fields)
{
	struct ibv_qp_init_attr_ex a = {
		.qp_type = IBV_QPT_RAW_PACKET,
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_IND_TABLE |
			     IBV_QP_INIT_ATTR_RX_HASH,
		.pd = pd,
		.rwq_ind_tbl = ind,
		.rx_hash_conf = {
			.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ,
			.rx_hash_key_len = sizeof(t_rss_key),
			.rx_hash_key = (uint8_t *)(uintptr_t)t_rss_key,
			.rx_hash_fields_mask = fields,
		},
	};

	return ibv_create_qp_ex(ctx, &a);
}

/* ------------------------------------------------------------------ */
/* A port as the PMD sets it up                                        */
/* ------------------------------------------------------------------ */

uint8_t *
t_rx_buf(struct t_port *p, unsigned int q, uint64_t seq)
{
	return p->rxq[q].bufs + (size_t)(seq % T_SLOTS) * T_BUF_SIZE;
}

uint8_t *
t_tx_buf(struct t_port *p, unsigned int q, uint64_t seq)
{
	return p->txq[q].bufs + (size_t)(seq % T_SLOTS) * T_BUF_SIZE;
}

uint32_t
t_post_wqe(struct t_ring *q, const void *oob, uint32_t oob_len, const struct gdma_sge *sges,
	   uint32_t n_sge)
{
	const struct gdma_sge dummy = { .address = 1, .mem_key = 0, .size = 0 };
	uint32_t oob_size = oob_len > GDMA_INLINE_OOB_SMALL ?
		GDMA_INLINE_OOB_LARGE : GDMA_INLINE_OOB_SMALL;
	uint32_t off = (q->head * GDMA_WQE_BU) & (q->size - 1);
	struct gdma_wqe_hdr hdr;
	uint32_t sgl, i;

	memset(&hdr, 0, sizeof(hdr));
	hdr.num_sge = n_sge;
	hdr.inline_oob_dwords = oob_size / 4;
	memset(q->buf + off + sizeof(hdr), 0, oob_size);
	if (oob_len > 0)
		memcpy(q->buf + off + sizeof(hdr), oob, oob_len);
	sgl = off + sizeof(hdr) + oob_size;
	for (i = 0; i < RTE_MAX(1u, n_sge); i++)
		memcpy(q->buf + ((sgl + i * sizeof(struct gdma_sge)) & (q->size - 1)),
		       n_sge > 0 ? &sges[i] : &dummy, sizeof(struct gdma_sge));
	/* The header last: the device treats a WQE with a header as posted. */
	rte_compiler_barrier();
	memcpy(q->buf + off, &hdr, sizeof(hdr));
	q->head += gdma_wqe_size(n_sge, oob_len) / GDMA_WQE_BU;
	return off / GDMA_WQE_BU;
}

void
t_ring(struct t_ring *q)
{
	rte_write64(gdma_db_value(q->id, q->head * GDMA_WQE_BU, 0), q->db);
}

int
t_poll_cq(struct t_cq *cq, struct gdma_cqe *out, int max)
{
	int n = 0;

	while (n < max) {
		const uint8_t *e = cq->buf + (size_t)(cq->head % cq->count) * GDMA_CQE_SIZE;
		uint32_t new_owner = (cq->head / cq->count) & GDMA_CQE_OWNER_MASK;
		uint32_t old_owner = (cq->head / cq->count - 1) & GDMA_CQE_OWNER_MASK;
		uint32_t last = rte_atomic_load_explicit((const RTE_ATOMIC(uint32_t) *)(e + 60),
							 rte_memory_order_acquire);
		struct gdma_cqe copy;

		if ((last >> 29) == old_owner)
			break;
		memcpy(&copy, e, sizeof(copy));
		if (copy.owner_bits != new_owner) {
			printf("    CQ %u overflow: owner %u, expected %u\n", cq->id,
			       copy.owner_bits, new_owner);
			return -1;
		}
		out[n++] = copy;
		cq->head++;
	}
	return n;
}

void
t_tx_oob(const struct t_port *p, unsigned int q, struct mana_tx_short_oob *oob)
{
	memset(oob, 0, sizeof(*oob));
	oob->packet_format = MANA_TX_SHORT_PKT_FMT;
	oob->is_outer_ipv4 = 1;
	oob->vcq_num = p->txq[q].cq.id;
	oob->vsq_frame = (p->txq[q].sq.id >> 10) & 0x3fff;
	oob->vport_offset = p->txq[q].tx_vp_offset;
}

void
t_rx_post(struct t_port *p, unsigned int q, unsigned int n, uint32_t buf_len, uint32_t lkey)
{
	struct t_rxq *r = &p->rxq[q];
	unsigned int i;

	for (i = 0; i < n && r->posted - r->done < r->depth; i++) {
		uint64_t seq = r->posted++;
		struct gdma_sge sge = {
			.address = (uintptr_t)t_rx_buf(p, q, seq),
			.mem_key = lkey,
			.size = buf_len,
		};

		/* An 8-byte inline OOB the driver never writes (DPDK rx.c). */
		r->bu[seq % T_SLOTS] = t_post_wqe(&r->rq, NULL, 0, &sge, 1);
	}
	t_ring(&r->rq);
}

void
t_rx_fill(struct t_port *p)
{
	unsigned int q;

	for (q = 0; q < p->n_rxq; q++)
		t_rx_post(p, q, p->rxq[q].depth, T_BUF_SIZE, p->lkey);
}

uint32_t
t_tx_post(struct t_port *p, unsigned int q, const uint8_t *frame, uint32_t len,
	  const void *oob_in, uint32_t oob_len)
{
	struct mana_tx_short_oob oob;
	uint8_t *buf = t_tx_buf(p, q, p->txq[q].posted++);
	struct gdma_sge sge = { .address = (uintptr_t)buf, .mem_key = p->lkey, .size = len };

	memcpy(buf, frame, len);
	if (oob_in == NULL) {
		t_tx_oob(p, q, &oob);
		oob_in = &oob;
		oob_len = sizeof(oob);
	}
	return t_post_wqe(&p->txq[q].sq, oob_in, oob_len, &sge, 1);
}

void
t_port_close(struct t_port *p)
{
	unsigned int q;

	if (p == NULL)
		return;
	if (p->ctx != NULL) {
		/* The PMD's order: QPs, then the table, WQs and CQs, then PD (rx.c, tx.c). */
		if (p->rss != NULL)
			ibv_destroy_qp(p->rss);
		if (p->ind != NULL)
			ibv_destroy_rwq_ind_table(p->ind);
		for (q = 0; q < T_MAX_Q; q++) {
			if (p->txq[q].qp != NULL)
				ibv_destroy_qp(p->txq[q].qp);
			if (p->txq[q].cq_obj != NULL)
				ibv_destroy_cq(p->txq[q].cq_obj);
			if (p->rxq[q].wq_obj != NULL)
				ibv_destroy_wq(p->rxq[q].wq_obj);
			if (p->rxq[q].cq_obj != NULL)
				ibv_destroy_cq(p->rxq[q].cq_obj);
		}
		if (p->mr != NULL)
			ibv_dereg_mr(p->mr);
		if (p->pdom != NULL)
			ibv_dealloc_pd(p->pdom);
		if (p->pd != NULL)
			ibv_dealloc_pd(p->pd);
		ibv_close_device(p->ctx);
	}
	if (p->db_map != NULL)
		munmap(p->db_map, T_DB_PAGE);
	free(p->pool);
	free(p);
}

static bool
t_cq_info_ok(const struct manadv_cq *dv, uint32_t cqe)
{
	return dv->buf != NULL && ((uintptr_t)dv->buf & (T_PAGE - 1)) == 0 && dv->count == cqe &&
	       dv->cq_id != 0 && dv->cq_id <= 0xffffff;
}

static void
t_cq_set(struct t_cq *cq, const struct manadv_cq *dv)
{
	cq->buf = dv->buf;
	cq->count = dv->count;
	cq->id = dv->cq_id;
	cq->head = dv->count;
}

static int
t_port_txq(struct t_port *p, unsigned int q, const struct t_port_conf *c)
{
	struct t_txq *t = &p->txq[q];
	struct manadv_obj obj;
	struct manadv_qp dv_qp;
	struct manadv_cq dv_cq;

	t->max_sge = c->tx_sge != 0 ? c->tx_sge : 1;
	t->cq_obj = t_cq(p->ctx, (int)c->tx_desc);
	if (t->cq_obj == NULL)
		return -errno;
	t->qp = t_raw_qp_sz(p->pdom, t->cq_obj, c->tx_desc, t->max_sge);
	if (t->qp == NULL)
		return -errno;
	memset(&obj, 0, sizeof(obj));
	obj.qp.in = t->qp;
	obj.qp.out = &dv_qp;
	obj.cq.in = t->cq_obj;
	obj.cq.out = &dv_cq;
	if (manadv_init_obj(&obj, MANADV_OBJ_QP | MANADV_OBJ_CQ) != 0)
		return -EPROTO;
	if (dv_qp.sq_buf == NULL || dv_qp.sq_count != c->tx_desc || dv_qp.db_page == NULL ||
	    dv_qp.sq_id == 0 || !t_cq_info_ok(&dv_cq, c->tx_desc)) {
		printf("    Tx queue %u: manadv_init_obj gave sq %p count %u id %u, cq count %u "
		       "id %u\n", q, dv_qp.sq_buf, dv_qp.sq_count, dv_qp.sq_id, dv_cq.count,
		       dv_cq.cq_id);
		return -EPROTO;
	}
	p->db_page = dv_qp.db_page;
	t->sq.buf = dv_qp.sq_buf;
	t->sq.size = dv_qp.sq_size;
	t->sq.id = dv_qp.sq_id;
	t->sq.db = p->db_map + GDMA_DB_OFFSET_SQ;
	t->tx_vp_offset = dv_qp.tx_vp_offset;
	t_cq_set(&t->cq, &dv_cq);
	return 0;
}

/* Indirection table of n entries, RSS QP, then the ids (DPDK rx.c order). */
static int
t_port_rss(struct t_port *p, const struct t_port_conf *c)
{
	struct ibv_wq *table[T_MAX_Q];
	unsigned int i, n = c->n_rxq;

	for (i = 0; i < n; i++) {
		p->reta[i] = c->reta_reversed ? n - 1 - i : i;
		table[i] = p->rxq[p->reta[i]].wq_obj;
	}
	p->reta_n = n;
	p->ind = t_ind(p->ctx, table, rte_log2_u32(n));
	if (p->ind == NULL)
		return -errno;
	p->rss = t_rss_qp_mask(p->ctx, p->pdom, p->ind, c->hash_fields);
	if (p->rss == NULL)
		return -errno;
	return 0;
}

static int
t_port_rxq_ids(struct t_port *p, unsigned int q, const struct t_port_conf *c)
{
	struct t_rxq *r = &p->rxq[q];
	struct manadv_obj obj;
	struct manadv_rwq dv_wq;
	struct manadv_cq dv_cq;

	memset(&obj, 0, sizeof(obj));
	obj.rwq.in = r->wq_obj;
	obj.rwq.out = &dv_wq;
	obj.cq.in = r->cq_obj;
	obj.cq.out = &dv_cq;
	if (manadv_init_obj(&obj, MANADV_OBJ_RWQ | MANADV_OBJ_CQ) != 0)
		return -EPROTO;
	if (dv_wq.buf == NULL || dv_wq.count != c->rx_desc || dv_wq.wq_id == 0 ||
	    dv_wq.db_page == NULL || !t_cq_info_ok(&dv_cq, c->rx_desc)) {
		printf("    Rx queue %u: manadv_init_obj gave wq %p count %u id %u, cq count %u "
		       "id %u\n", q, dv_wq.buf, dv_wq.count, dv_wq.wq_id, dv_cq.count,
		       dv_cq.cq_id);
		return -EPROTO;
	}
	r->rq.buf = dv_wq.buf;
	r->rq.size = dv_wq.size;
	r->rq.id = dv_wq.wq_id;
	r->rq.db = p->db_map + GDMA_DB_OFFSET_RQ;
	r->depth = RTE_MIN(c->rx_desc, dv_wq.size / GDMA_WQE_BU);
	t_cq_set(&r->cq, &dv_cq);
	return 0;
}

struct t_port *
t_port_open(const struct t_port_conf *c)
{
	struct t_port *p = calloc(1, sizeof(*p));
	unsigned int q;
	void *map;
	int ret = 0;

	if (p == NULL)
		return NULL;
	p->bdf = c->bdf;
	p->port = c->port != 0 ? c->port : 1;
	p->n_rxq = c->n_rxq;
	p->n_txq = c->n_txq;
	p->ctx = t_open(c->bdf, T_PART_RAW, NULL);
	if (p->ctx == NULL) {
		printf("    %s: no RAW ibv device: %s\n", c->bdf, strerror(errno));
		goto fail;
	}
	if (ibv_query_device_ex(p->ctx, NULL, &p->attr) != 0 ||
	    p->port > p->attr.orig_attr.phys_port_cnt)
		goto fail;
	/* One page at offset 0 of the command fd (rdma-core providers/mana mana.c). */
	map = mmap(NULL, T_DB_PAGE, PROT_WRITE, MAP_SHARED, p->ctx->cmd_fd, 0);
	if (map == MAP_FAILED)
		goto fail;
	p->db_map = map;
	p->pd = ibv_alloc_pd(p->ctx);
	if (p->pd == NULL)
		goto fail;
	p->pdom = t_parent(p->ctx, p->pd, p->port);
	if (p->pdom == NULL || t_set_allocators(p->ctx) != 0)
		goto fail;
	p->pool_size = (size_t)(c->n_rxq + c->n_txq) * T_SLOTS * T_BUF_SIZE;
	if (p->pool_size > 0) {
		p->pool = aligned_alloc(T_PAGE, p->pool_size);
		if (p->pool == NULL)
			goto fail;
		memset(p->pool, 0, p->pool_size);
		/* Memory registrations are on the plain PD (DPDK mr.c). */
		p->mr = ibv_reg_mr(p->pd, p->pool, p->pool_size, IBV_ACCESS_LOCAL_WRITE);
		if (p->mr == NULL)
			goto fail;
		p->lkey = p->mr->lkey;
	}
	for (q = 0; q < c->n_rxq; q++)
		p->rxq[q].bufs = p->pool + (size_t)q * T_SLOTS * T_BUF_SIZE;
	for (q = 0; q < c->n_txq; q++)
		p->txq[q].bufs = p->pool + (size_t)(c->n_rxq + q) * T_SLOTS * T_BUF_SIZE;

	/* Tx first (DPDK mana.c dev_start). */
	for (q = 0; q < c->n_txq && ret == 0; q++)
		ret = t_port_txq(p, q, c);
	if (ret != 0) {
		printf("    %s port %u: Tx queue: %s\n", c->bdf, p->port, strerror(-ret));
		goto fail;
	}
	for (q = 0; q < c->n_rxq; q++) {
		p->rxq[q].cq_obj = t_cq(p->ctx, (int)c->rx_desc);
		if (p->rxq[q].cq_obj == NULL)
			goto fail;
		p->rxq[q].wq_obj = t_wq_sz(p->ctx, p->pdom, p->rxq[q].cq_obj, c->rx_desc, 1);
		if (p->rxq[q].wq_obj == NULL)
			goto fail;
	}
	if (c->rss) {
		ret = t_port_rss(p, c);
		for (q = 0; q < c->n_rxq && ret == 0; q++)
			ret = t_port_rxq_ids(p, q, c);
		if (ret != 0) {
			printf("    %s port %u: RSS: %s\n", c->bdf, p->port, strerror(-ret));
			goto fail;
		}
	}
	return p;
fail:
	printf("    cannot set up %s port %u: %s\n", c->bdf, c->port != 0 ? c->port : 1,
	       strerror(errno));
	t_port_close(p);
	return NULL;
}

bool
t_tx_wait(struct t_port *p, unsigned int q, unsigned int want, uint32_t type, uint32_t *bu)
{
	uint64_t deadline = t_now_ms() + T_WAIT_MS;
	struct gdma_cqe cqe[64];
	unsigned int got = 0;
	int n, i;

	while (got < want) {
		n = t_poll_cq(&p->txq[q].cq, cqe, RTE_MIN(64, (int)(want - got)));
		if (n < 0)
			return false;
		for (i = 0; i < n; i++) {
			struct mana_tx_comp_oob oob;

			memcpy(&oob, cqe[i].client_data, sizeof(oob));
			if (oob.hdr.cqe_type != type || cqe[i].wq_num != p->txq[q].sq.id ||
			    !cqe[i].is_sq) {
				printf("    tx CQE type %u (want %u) vendor_err %u wq %u "
				       "is_sq %u\n", oob.hdr.cqe_type, type, oob.hdr.vendor_err,
				       cqe[i].wq_num, cqe[i].is_sq);
				return false;
			}
			if (bu != NULL)
				bu[got + i] = oob.tx_wqe_offset;
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

int
t_rx_poll(struct t_port *p, unsigned int q, struct t_rx_pkt *out, unsigned int max)
{
	struct t_rxq *r = &p->rxq[q];
	unsigned int n = 0;
	struct gdma_cqe cqe;
	uint32_t i, k;

	while (n + MANA_RX_PKTS_PER_CQE <= max) {
		struct mana_rx_comp_oob oob;
		int ret = t_poll_cq(&r->cq, &cqe, 1);

		if (ret <= 0)
			return ret < 0 ? -1 : (int)n;
		memcpy(&oob, cqe.client_data, sizeof(oob));
		if (cqe.is_sq || cqe.wq_num != r->rq.id) {
			printf("    rx CQE of queue %u names wq %u is_sq %u\n", r->rq.id,
			       cqe.wq_num, cqe.is_sq);
			return -1;
		}
		k = 1;
		if (oob.hdr.cqe_type == CQE_RX_COALESCED_4)
			for (k = 0; k < MANA_RX_PKTS_PER_CQE && oob.pkt_info[k].packet_length != 0;
			     k++)
				;
		if (k == 0 || (oob.hdr.cqe_type == CQE_RX_OKAY &&
			       oob.pkt_info[1].packet_length != 0)) {
			printf("    rx CQE type %u with %u packets\n", oob.hdr.cqe_type, k);
			return -1;
		}
		for (i = 0; i < k; i++, n++) {
			out[n].queue = q;
			out[n].cqe_type = oob.hdr.cqe_type;
			out[n].cqe_pkts = k;
			out[n].index = i;
			out[n].wq_num = cqe.wq_num;
			out[n].oob = oob;
			out[n].len = oob.pkt_info[i].packet_length;
			out[n].hash = oob.pkt_info[i].packet_hash;
			out[n].buf = t_rx_buf(p, q, r->done);
			out[n].wqe_bu = r->bu[r->done % T_SLOTS];
			if (r->done == r->posted) {
				printf("    rx queue %u: a completion without a posted WQE\n", q);
				return -1;
			}
			r->done++;
		}
	}
	return (int)n;
}

bool
t_rx_collect(struct t_port *p, struct t_rx_pkt *out, unsigned int want)
{
	uint64_t deadline = t_now_ms() + T_WAIT_MS;
	struct t_rx_pkt tmp[MANA_RX_PKTS_PER_CQE];
	unsigned int got = 0, q;
	int n, i;

	while (got < want) {
		bool any = false;

		for (q = 0; q < p->n_rxq && got < want; q++) {
			n = t_rx_poll(p, q, tmp, MANA_RX_PKTS_PER_CQE);
			if (n < 0)
				return false;
			for (i = 0; i < n; i++) {
				if (got == want) {
					printf("    more packets than the %u expected\n", want);
					return false;
				}
				out[got++] = tmp[i];
			}
			any |= n > 0;
		}
		if (!any) {
			if (t_now_ms() > deadline) {
				printf("    only %u of %u packets received\n", got, want);
				return false;
			}
			t_poll_pause();
		}
	}
	return true;
}

bool
t_cqs_quiet(struct t_port *p)
{
	struct gdma_cqe cqe;
	unsigned int q;

	usleep(20000);
	for (q = 0; q < p->n_rxq; q++)
		if (t_poll_cq(&p->rxq[q].cq, &cqe, 1) != 0)
			return false;
	for (q = 0; q < p->n_txq; q++)
		if (t_poll_cq(&p->txq[q].cq, &cqe, 1) != 0)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */
/* ------------------------------------------------------------------ */

bool
t_flow_l4(const struct t_flow *fl)
{
	return (fl->proto == 0 || fl->proto == IPPROTO_UDP || fl->proto == IPPROTO_TCP) &&
	       !fl->frag;
}

static void
t_payload(uint8_t *p, uint32_t len, uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 7 + i);
	if (len >= 4)
		memcpy(p, &seq, 4);
}

uint32_t
t_frame(uint8_t *f, const struct t_flow *fl, uint32_t payload_len, uint32_t seq)
{
	uint8_t proto = fl->proto == 0 ? IPPROTO_UDP : fl->proto;
	uint32_t l2 = RTE_ETHER_HDR_LEN + (fl->vlan ? 4 : 0);
	uint32_t l4_hlen = proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) :
			   proto == IPPROTO_UDP ? sizeof(struct rte_udp_hdr) : 0;
	uint32_t l3_hlen = fl->v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	uint8_t *l3 = f + l2;
	uint8_t *l4 = l3 + l3_hlen;
	uint32_t len = l2 + l3_hlen + l4_hlen + payload_len;
	uint16_t type = fl->v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4;

	memset(f, 0, len);
	memset(f, 0x02, RTE_ETHER_ADDR_LEN);
	memset(f + RTE_ETHER_ADDR_LEN, 0x04, RTE_ETHER_ADDR_LEN);
	if (fl->vlan) {
		f[12] = (uint8_t)(RTE_ETHER_TYPE_VLAN >> 8);
		f[13] = (uint8_t)RTE_ETHER_TYPE_VLAN;
		f[14] = (uint8_t)(fl->vlan_tci >> 8);
		f[15] = (uint8_t)fl->vlan_tci;
	}
	f[l2 - 2] = (uint8_t)(type >> 8);
	f[l2 - 1] = (uint8_t)type;
	if (fl->v6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;

		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(l4_hlen + payload_len));
		ip6->proto = proto;
		ip6->hop_limits = 64;
		memcpy(&ip6->src_addr, fl->src6, 16);
		memcpy(&ip6->dst_addr, fl->dst6, 16);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3_hlen + l4_hlen + payload_len));
		ip->time_to_live = 64;
		ip->next_proto_id = proto;
		if (fl->frag)
			ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
		ip->src_addr = rte_cpu_to_be_32(fl->src4);
		ip->dst_addr = rte_cpu_to_be_32(fl->dst4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	t_payload(l4 + l4_hlen, payload_len, seq);
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)l4;

		tcp->src_port = rte_cpu_to_be_16(fl->sport);
		tcp->dst_port = rte_cpu_to_be_16(fl->dport);
		tcp->data_off = 5 << 4;
		tcp->tcp_flags = RTE_TCP_ACK_FLAG;
		tcp->rx_win = rte_cpu_to_be_16(1024);
		tcp->cksum = fl->v6 ? rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)l3, l4) :
			rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)l3, l4);
	} else if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)l4;

		udp->src_port = rte_cpu_to_be_16(fl->sport);
		udp->dst_port = rte_cpu_to_be_16(fl->dport);
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(l4_hlen + payload_len));
		udp->dgram_cksum = fl->v6 ? rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)l3, l4) :
			rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)l3, l4);
	}
	return len;
}

uint32_t
t_frame_seq(const uint8_t *f, uint32_t off)
{
	uint32_t seq;

	memcpy(&seq, f + off, 4);
	return seq;
}

struct t_flow
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

uint32_t
t_softrss(const struct t_flow *fl)
{
	bool l4 = t_flow_l4(fl);
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

/* ------------------------------------------------------------------ */
/* Processes                                                           */
/* ------------------------------------------------------------------ */

bool
t_wait_child(pid_t pid, unsigned int timeout_ms, int *status)
{
	uint64_t deadline = t_now_ms() + timeout_ms;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
		if (t_now_ms() > deadline) {
			printf("    child %d still running after %u ms: killed\n", (int)pid,
			       timeout_ms);
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return false;
		}
		usleep(1000);
	}
}

pid_t
t_spawn_child(const char *name, const char *items, const char *arg)
{
	extern char **environ;
	char *argv[] = {
		(char *)(uintptr_t)t_child_prog, (char *)"--child", (char *)(uintptr_t)name,
		(char *)(uintptr_t)arg, NULL,
	};
	const char *env = getenv("MANA_SIM"), *root = NULL;
	char sim[1024], root_item[300] = "";
	size_t n, i, k = 0;
	char **envp;
	pid_t pid;

	if (env != NULL) {
		root = strstr(env, "root=");
		if (root != NULL && (root == env || root[-1] == ';'))
			snprintf(root_item, sizeof(root_item), "%.*s;",
				 (int)strcspn(root, ";"), root);
	}
	snprintf(sim, sizeof(sim), "MANA_SIM=instance=%s_%s_%d;%s%s", t_child_instance, name,
		 (int)getpid(), root_item, items != NULL ? items : "");
	for (n = 0; environ[n] != NULL; n++)
		;
	envp = calloc(n + 2, sizeof(*envp));
	if (envp == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (items == NULL || strncmp(environ[i], "MANA_SIM=", 9) != 0)
			envp[k++] = environ[i];
	if (items != NULL)
		envp[k++] = sim;
	envp[k] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	free(envp);
	return pid;
}

bool
t_child_ok(pid_t pid, const char *name, unsigned int timeout_ms)
{
	int status = 0;
	bool ok;

	if (pid < 0)
		return false;
	ok = t_wait_child(pid, timeout_ms, &status);
	if (ok && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		printf("    child %s: status %#x\n", name, status);
		ok = false;
	}
	return ok;
}

static int
t_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	RTE_SET_USED(sb);
	RTE_SET_USED(flag);
	RTE_SET_USED(ftw);
	return remove(path);
}

void
t_rm_tree(const char *dir)
{
	nftw(dir, t_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/*
 * Remove what a child's own instance left: its last process removes it on a
 * clean exit, a child that crashed or was killed leaves it behind.
 */
static void
t_child_instance_remove(const char *name)
{
	const char *env = getenv("MANA_SIM"), *root;
	char dir[512];
	const char *base = "/run/mana-sim";
	int len = (int)strlen(base);

	root = env != NULL ? strstr(env, "root=") : NULL;
	if (root != NULL && (root == env || root[-1] == ';')) {
		base = root + 5;
		len = (int)strcspn(base, ";");
	}
	snprintf(dir, sizeof(dir), "%.*s/%s_%s_%d", len, base, t_child_instance, name,
		 (int)getpid());
	if (access(dir, F_OK) == 0)
		t_rm_tree(dir);
}

bool
t_run_child(const char *name, const char *items, unsigned int timeout_ms)
{
	bool ok = t_child_ok(t_spawn_child(name, items, NULL), name, timeout_ms);

	if (items != NULL)
		t_child_instance_remove(name);
	return ok;
}

pid_t
t_db_child_start(uint8_t *map, uint64_t value, int *go_fd)
{
	int go[2];
	pid_t pid;
	char c;

	if (pipe(go) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Die of the signal itself, not through a sanitizer's handler. */
		signal(SIGBUS, SIG_DFL);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		rte_write64(value, map + GDMA_DB_OFFSET_SQ);
		_exit(0);
	}
	close(go[0]);
	if (pid < 0) {
		close(go[1]);
		return -1;
	}
	*go_fd = go[1];
	return pid;
}

bool
t_db_child_go(pid_t pid, int go_fd, int *status)
{
	bool ok = write(go_fd, "g", 1) == 1;

	close(go_fd);
	if (!ok)
		kill(pid, SIGKILL);
	return t_wait_child(pid, T_WAIT_MS, status) && ok;
}

static bool
t_selected(int argc, char **argv, const char *name)
{
	int i;

	if (argc <= 1)
		return true;
	for (i = 1; i < argc; i++)
		if (strncmp(name, argv[i], strlen(argv[i])) == 0)
			return true;
	return false;
}

int
t_run_cases(const struct t_case *cases, unsigned int n, int argc, char **argv,
	    const char *what, void (*before)(void))
{
	unsigned int i, failed = 0, run = 0;
	uint64_t t0;
	bool ok;

	for (i = 0; i < n; i++) {
		if (!t_selected(argc, argv, cases[i].name))
			continue;
		if (before != NULL)
			before();
		t0 = t_now_ns();
		ok = cases[i].fn();
		printf("%s %s (%.0f ms)\n", ok ? "PASS" : "FAIL", cases[i].name,
		       (double)(t_now_ns() - t0) / 1e6);
		failed += !ok;
		run++;
	}
	printf("%u of %u %s passed\n", run - failed, run, what);
	return failed == 0 && run > 0 ? 0 : 1;
}
