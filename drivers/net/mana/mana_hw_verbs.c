/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The hardware operations on a real MANA PCI function, through rdma-core
 * (libibverbs + libmana). This provider is built and linked everywhere but
 * can only run on Azure with the mana_ib kernel driver; the project's tests
 * exercise the same PMD code through the software device instead.
 *
 * Queue rings are allocated by rdma-core through the PMD's allocator
 * (manadv_set_context_attr), in hugepage memory, so secondaries see them.
 * All queues share the context's single doorbell page (db_offset 0), which
 * every process maps from the verbs command fd.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/manadv.h>
#include <infiniband/verbs.h>
#include <rte_malloc.h>
#include <rte_pci.h>

#include "mana.h"
#include "mana_gdma.h"

#define MANA_VERBS_PORT		1	/* the Ethernet port of the PCI function */

struct mana_hw_dev {
	struct rte_pci_addr addr;
};

struct mana_hw_ctx {
	struct ibv_context *ctx;
	char ibdev_path[IBV_SYSFS_PATH_MAX];
};

struct mana_hw_pd {
	struct mana_hw_ctx *hctx;
	struct ibv_pd *pd;
	struct ibv_pd *parent;	/* queues are created in a parent domain */
};

struct mana_hw_mr {
	struct ibv_mr *mr;
};

struct mana_hw_cq {
	struct ibv_cq *cq;
};

struct mana_hw_wq {
	struct ibv_wq *wq;
};

struct mana_hw_rss {
	struct ibv_rwq_ind_table *table;
	struct ibv_qp *qp;
};

struct mana_hw_sq {
	struct ibv_qp *qp;
};

static void *
mana_verbs_alloc(size_t size, void *data)
{
	int socket = (int)(uintptr_t)data;

	return rte_zmalloc_socket("mana_verbs_buf", size, (size_t)sysconf(_SC_PAGESIZE), socket);
}

static void
mana_verbs_free(void *ptr, void *data __rte_unused)
{
	rte_free(ptr);
}

/* Ring buffers of the next object come from hugepages on @socket. */
static void
mana_verbs_set_allocator(struct ibv_context *ctx, int socket)
{
	struct manadv_ctx_allocators alloc = {
		.alloc = mana_verbs_alloc,
		.free = mana_verbs_free,
		.data = (void *)(uintptr_t)(socket < 0 ? SOCKET_ID_ANY : socket),
	};

	manadv_set_context_attr(ctx, MANADV_CTX_ATTR_BUF_ALLOCATORS, &alloc);
}

static int
mana_verbs_pci_addr(const struct ibv_device *device, struct rte_pci_addr *addr)
{
	char path[IBV_SYSFS_PATH_MAX + 32], line[256];
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/device/uevent", device->ibdev_path);
	f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "PCI_SLOT_NAME=", 14) == 0) {
			line[strcspn(line, "\n")] = '\0';
			ret = rte_pci_addr_parse(line + 14, addr) == 0 ? 0 : -EINVAL;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int
mana_verbs_get_device(const char *name, const char *args, struct mana_hw_dev **out)
{
	struct mana_hw_dev *dev;

	if (args != NULL && *args != '\0') {
		DRV_LOG(ERR, "%s: unknown devargs '%s' (device arguments exist only for the"
			" software device)", name, args);
		return -EINVAL;
	}
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return -ENOMEM;
	if (rte_pci_addr_parse(name, &dev->addr) != 0) {
		free(dev);
		return -EINVAL;
	}
	*out = dev;
	return 0;
}

static void
mana_verbs_put_device(struct mana_hw_dev *dev)
{
	free(dev);
}

/*
 * After a service reset the function comes back as a new verbs device:
 * look it up by PCI address every time.
 */
static int
mana_verbs_open(struct mana_hw_dev *dev, struct mana_hw_ctx **out)
{
	struct ibv_device **list;
	struct mana_hw_ctx *hctx;
	int i, n = 0, flags, ret = -EAGAIN;

	hctx = calloc(1, sizeof(*hctx));
	if (hctx == NULL)
		return -ENOMEM;
	list = ibv_get_device_list(&n);
	for (i = 0; list != NULL && i < n; i++) {
		struct rte_pci_addr addr;

		if (mana_verbs_pci_addr(list[i], &addr) != 0 || rte_pci_addr_cmp(&addr, &dev->addr))
			continue;
		hctx->ctx = ibv_open_device(list[i]);
		ret = hctx->ctx != NULL ? 0 : -errno;
		if (ret == 0)
			strlcpy(hctx->ibdev_path, list[i]->ibdev_path, sizeof(hctx->ibdev_path));
		break;
	}
	if (list != NULL)
		ibv_free_device_list(list);
	if (ret != 0) {
		free(hctx);
		return ret;
	}
	flags = fcntl(hctx->ctx->async_fd, F_GETFL);
	if (flags < 0 || fcntl(hctx->ctx->async_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		ret = -errno;
		ibv_close_device(hctx->ctx);
		free(hctx);
		return ret;
	}
	*out = hctx;
	return 0;
}

static int
mana_verbs_close(struct mana_hw_ctx *hctx)
{
	int ret = ibv_close_device(hctx->ctx);

	free(hctx);
	return ret != 0 ? -errno : 0;
}

/* The MAC of the netdev on our port, from sysfs (what mana_ib exposes). */
static int
mana_verbs_mac(const struct mana_hw_ctx *hctx, struct rte_ether_addr *mac)
{
	char path[IBV_SYSFS_PATH_MAX + 300], buf[64];
	struct dirent *ent;
	int ret = -ENOENT;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/device/net", hctx->ibdev_path);
	dir = opendir(path);
	if (dir == NULL)
		return -errno;
	while ((ent = readdir(dir)) != NULL && ret != 0) {
		unsigned int dev_port;
		FILE *f;

		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/device/net/%s/dev_port", hctx->ibdev_path,
			 ent->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fscanf(f, "%u", &dev_port) != 1 || dev_port != MANA_VERBS_PORT - 1) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "%s/device/net/%s/address", hctx->ibdev_path,
			 ent->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL) {
			buf[strcspn(buf, "\n")] = '\0';
			ret = rte_ether_unformat_addr(buf, mac) == 0 ? 0 : -EINVAL;
		}
		fclose(f);
	}
	closedir(dir);
	return ret;
}

static int
mana_verbs_query(struct mana_hw_ctx *hctx, struct mana_hw_caps *caps)
{
	struct ibv_device_attr_ex attr;
	struct ibv_port_attr port;
	int ret;

	ret = ibv_query_device_ex(hctx->ctx, NULL, &attr);
	if (ret != 0)
		return -ret;
	ret = ibv_query_port(hctx->ctx, MANA_VERBS_PORT, &port);
	if (ret != 0)
		return -ret;
	memset(caps, 0, sizeof(*caps));
	ret = mana_verbs_mac(hctx, &caps->mac);
	if (ret != 0)
		return ret;
	caps->max_queues = RTE_MIN((uint32_t)attr.orig_attr.max_qp,
				   (uint32_t)attr.orig_attr.max_cq);
	caps->max_rx_desc = (uint32_t)attr.orig_attr.max_qp_wr;
	caps->max_tx_desc = (uint32_t)attr.orig_attr.max_qp_wr;
	caps->max_send_sge = (uint32_t)attr.orig_attr.max_sge;
	caps->max_recv_sge = 1;
	caps->max_mr = (uint32_t)attr.orig_attr.max_mr;
	caps->max_mr_size = attr.orig_attr.max_mr_size;
	caps->link_up = port.state == IBV_PORT_ACTIVE;
	caps->link_speed_mbps = 100000;
	caps->db_region_size = (uint32_t)sysconf(_SC_PAGESIZE);
	return 0;
}

static int
mana_verbs_doorbell_fd(struct mana_hw_ctx *hctx)
{
	return hctx->ctx->cmd_fd;
}

static int
mana_verbs_async_fd(struct mana_hw_ctx *hctx)
{
	return hctx->ctx->async_fd;
}

static int
mana_verbs_get_async_event(struct mana_hw_ctx *hctx, enum mana_hw_event *event)
{
	struct ibv_async_event ev;

	if (ibv_get_async_event(hctx->ctx, &ev) != 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	switch (ev.event_type) {
	case IBV_EVENT_DEVICE_FATAL:
		*event = MANA_HW_EVENT_DEVICE_FATAL;
		break;
	case IBV_EVENT_PORT_ACTIVE:
		*event = MANA_HW_EVENT_PORT_ACTIVE;
		break;
	case IBV_EVENT_PORT_ERR:
		*event = MANA_HW_EVENT_PORT_ERR;
		break;
	default:
		*event = MANA_HW_EVENT_OTHER;
		break;
	}
	ibv_ack_async_event(&ev);
	return 0;
}

static int
mana_verbs_alloc_pd(struct mana_hw_ctx *hctx, struct mana_hw_pd **out)
{
	struct ibv_parent_domain_init_attr attr = { 0 };
	struct mana_hw_pd *pd = calloc(1, sizeof(*pd));
	int ret;

	if (pd == NULL)
		return -ENOMEM;
	pd->hctx = hctx;
	pd->pd = ibv_alloc_pd(hctx->ctx);
	if (pd->pd == NULL) {
		ret = -errno;
		goto fail;
	}
	attr.pd = pd->pd;
	pd->parent = ibv_alloc_parent_domain(hctx->ctx, &attr);
	if (pd->parent == NULL) {
		ret = -errno;
		goto fail;
	}
	*out = pd;
	return 0;
fail:
	if (pd->pd != NULL)
		ibv_dealloc_pd(pd->pd);
	free(pd);
	return ret;
}

static int
mana_verbs_dealloc_pd(struct mana_hw_pd *pd)
{
	ibv_dealloc_pd(pd->parent);
	ibv_dealloc_pd(pd->pd);
	free(pd);
	return 0;
}

static int
mana_verbs_reg_mr(struct mana_hw_pd *pd, void *addr, size_t len, struct mana_hw_mr **out,
		  uint32_t *lkey)
{
	struct mana_hw_mr *mr = calloc(1, sizeof(*mr));

	if (mr == NULL)
		return -ENOMEM;
	mr->mr = ibv_reg_mr(pd->pd, addr, len, IBV_ACCESS_LOCAL_WRITE);
	if (mr->mr == NULL) {
		int ret = -errno;

		free(mr);
		return ret;
	}
	*lkey = mr->mr->lkey;
	*out = mr;
	return 0;
}

static int
mana_verbs_dereg_mr(struct mana_hw_mr *mr)
{
	int ret = ibv_dereg_mr(mr->mr);

	free(mr);
	return -ret;
}

static int
mana_verbs_create_cq(struct mana_hw_ctx *hctx, uint32_t count, int socket,
		     struct mana_hw_cq **out, struct mana_hw_queue_info *info)
{
	struct mana_hw_cq *cq = calloc(1, sizeof(*cq));
	struct manadv_obj obj = { 0 };
	struct manadv_cq dv;
	int ret;

	if (cq == NULL)
		return -ENOMEM;
	mana_verbs_set_allocator(hctx->ctx, socket);
	cq->cq = ibv_create_cq(hctx->ctx, (int)count, NULL, NULL, 0);
	if (cq->cq == NULL) {
		ret = -errno;
		free(cq);
		return ret;
	}
	obj.cq.in = cq->cq;
	obj.cq.out = &dv;
	ret = manadv_init_obj(&obj, MANADV_OBJ_CQ);
	if (ret != 0) {
		ibv_destroy_cq(cq->cq);
		free(cq);
		return -ret;
	}
	memset(info, 0, sizeof(*info));
	info->buf = dv.buf;
	info->count = dv.count;
	info->size = dv.count * GDMA_CQE_SIZE;
	info->id = dv.cq_id;
	*out = cq;
	return 0;
}

static int
mana_verbs_destroy_cq(struct mana_hw_cq *cq)
{
	int ret = ibv_destroy_cq(cq->cq);

	free(cq);
	return -ret;
}

static int
mana_verbs_create_wq(struct mana_hw_pd *pd, struct mana_hw_cq *cq, uint32_t count, int socket,
		     struct mana_hw_wq **out, struct mana_hw_queue_info *info)
{
	struct ibv_wq_init_attr attr = {
		.wq_type = IBV_WQT_RQ,
		.max_wr = count,
		.max_sge = 1,
		.pd = pd->parent,
		.cq = cq->cq,
	};
	struct mana_hw_wq *wq = calloc(1, sizeof(*wq));
	struct manadv_obj obj = { 0 };
	struct manadv_rwq dv;
	int ret;

	if (wq == NULL)
		return -ENOMEM;
	mana_verbs_set_allocator(pd->hctx->ctx, socket);
	wq->wq = ibv_create_wq(pd->hctx->ctx, &attr);
	if (wq->wq == NULL) {
		ret = -errno;
		free(wq);
		return ret;
	}
	obj.rwq.in = wq->wq;
	obj.rwq.out = &dv;
	ret = manadv_init_obj(&obj, MANADV_OBJ_RWQ);
	if (ret != 0) {
		ibv_destroy_wq(wq->wq);
		free(wq);
		return -ret;
	}
	memset(info, 0, sizeof(*info));
	info->buf = dv.buf;
	info->size = dv.size;
	info->count = dv.size / GDMA_WQE_BU;
	info->id = dv.wq_id;
	*out = wq;
	return 0;
}

static int
mana_verbs_destroy_wq(struct mana_hw_wq *wq)
{
	int ret = ibv_destroy_wq(wq->wq);

	free(wq);
	return -ret;
}

static uint64_t
mana_verbs_hash_fields(uint32_t fields)
{
	uint64_t mask = 0;

	if (fields & MANA_HW_RSS_IPV4)
		mask |= IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4;
	if (fields & MANA_HW_RSS_IPV6)
		mask |= IBV_RX_HASH_SRC_IPV6 | IBV_RX_HASH_DST_IPV6;
	if (fields & MANA_HW_RSS_TCP)
		mask |= IBV_RX_HASH_SRC_PORT_TCP | IBV_RX_HASH_DST_PORT_TCP;
	if (fields & MANA_HW_RSS_UDP)
		mask |= IBV_RX_HASH_SRC_PORT_UDP | IBV_RX_HASH_DST_PORT_UDP;
	return mask;
}

static int
mana_verbs_create_rss(struct mana_hw_pd *pd, struct mana_hw_wq *const *reta, uint32_t log_size,
		      const uint8_t key[MANA_HW_RSS_KEY_LEN], uint32_t hash_fields,
		      struct mana_hw_rss **out)
{
	struct ibv_wq *wqs[MANA_RETA_SIZE];
	struct ibv_rwq_ind_table_init_attr table_attr = {
		.log_ind_tbl_size = log_size,
		.ind_tbl = wqs,
	};
	uint8_t rss_key[MANA_HW_RSS_KEY_LEN];
	struct ibv_qp_init_attr_ex qp_attr = {
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_RX_HASH |
			     IBV_QP_INIT_ATTR_IND_TABLE,
		.qp_type = IBV_QPT_RAW_PACKET,
		.pd = pd->parent,
		.rx_hash_conf = {
			.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ,
			.rx_hash_key_len = MANA_HW_RSS_KEY_LEN,
			.rx_hash_key = rss_key,
			.rx_hash_fields_mask = mana_verbs_hash_fields(hash_fields),
		},
	};
	struct mana_hw_rss *rss;
	uint32_t i;
	int ret;

	if (log_size > MANA_HW_RETA_LOG_MAX)
		return -EINVAL;
	for (i = 0; i < (1u << log_size); i++)
		wqs[i] = reta[i]->wq;
	memcpy(rss_key, key, sizeof(rss_key));
	rss = calloc(1, sizeof(*rss));
	if (rss == NULL)
		return -ENOMEM;
	rss->table = ibv_create_rwq_ind_table(pd->hctx->ctx, &table_attr);
	if (rss->table == NULL) {
		ret = -errno;
		free(rss);
		return ret;
	}
	qp_attr.rwq_ind_tbl = rss->table;
	rss->qp = ibv_create_qp_ex(pd->hctx->ctx, &qp_attr);
	if (rss->qp == NULL) {
		ret = -errno;
		ibv_destroy_rwq_ind_table(rss->table);
		free(rss);
		return ret;
	}
	*out = rss;
	return 0;
}

static int
mana_verbs_destroy_rss(struct mana_hw_rss *rss)
{
	ibv_destroy_qp(rss->qp);
	ibv_destroy_rwq_ind_table(rss->table);
	free(rss);
	return 0;
}

static int
mana_verbs_create_sq(struct mana_hw_pd *pd, struct mana_hw_cq *cq, uint32_t count,
		     uint32_t max_sge, int socket, struct mana_hw_sq **out,
		     struct mana_hw_queue_info *info)
{
	struct ibv_qp_init_attr attr = {
		.send_cq = cq->cq,
		.recv_cq = cq->cq,
		.cap = { .max_send_wr = count, .max_send_sge = max_sge },
		.qp_type = IBV_QPT_RAW_PACKET,
	};
	struct mana_hw_sq *sq = calloc(1, sizeof(*sq));
	struct manadv_obj obj = { 0 };
	struct manadv_qp dv;
	int ret;

	if (sq == NULL)
		return -ENOMEM;
	mana_verbs_set_allocator(pd->hctx->ctx, socket);
	sq->qp = ibv_create_qp(pd->parent, &attr);
	if (sq->qp == NULL) {
		ret = -errno;
		free(sq);
		return ret;
	}
	obj.qp.in = sq->qp;
	obj.qp.out = &dv;
	ret = manadv_init_obj(&obj, MANADV_OBJ_QP);
	if (ret != 0) {
		ibv_destroy_qp(sq->qp);
		free(sq);
		return -ret;
	}
	memset(info, 0, sizeof(*info));
	info->buf = dv.sq_buf;
	info->size = dv.sq_size;
	info->count = dv.sq_size / GDMA_WQE_BU;
	info->id = dv.sq_id;
	info->tx_vp_offset = dv.tx_vp_offset;
	*out = sq;
	return 0;
}

static int
mana_verbs_destroy_sq(struct mana_hw_sq *sq)
{
	int ret = ibv_destroy_qp(sq->qp);

	free(sq);
	return -ret;
}

const struct mana_hw_ops mana_hw_verbs_ops = {
	.name = "rdma-core",
	.get_device = mana_verbs_get_device,
	.put_device = mana_verbs_put_device,
	.open = mana_verbs_open,
	.close = mana_verbs_close,
	.query = mana_verbs_query,
	.doorbell_fd = mana_verbs_doorbell_fd,
	.async_fd = mana_verbs_async_fd,
	.get_async_event = mana_verbs_get_async_event,
	.alloc_pd = mana_verbs_alloc_pd,
	.dealloc_pd = mana_verbs_dealloc_pd,
	.reg_mr = mana_verbs_reg_mr,
	.dereg_mr = mana_verbs_dereg_mr,
	.create_cq = mana_verbs_create_cq,
	.destroy_cq = mana_verbs_destroy_cq,
	.create_wq = mana_verbs_create_wq,
	.destroy_wq = mana_verbs_destroy_wq,
	.create_rss = mana_verbs_create_rss,
	.destroy_rss = mana_verbs_destroy_rss,
	.create_sq = mana_verbs_create_sq,
	.destroy_sq = mana_verbs_destroy_sq,
};
