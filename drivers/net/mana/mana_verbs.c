/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The rdma-core glue (mana_hw.h): a MANA PCI function through libibverbs
 * and libmana, as on Azure. Sources of the rules followed here, cited next
 * to the code: rdma-core providers/mana/ (v44.0, Debian 12, and main), Linux
 * drivers/infiniband/hw/mana/ and upstream DPDK drivers/net/mana/.
 *
 * Queue rings are allocated by rdma-core through the PMD's allocator
 * (manadv_set_context_attr), in hugepage memory, so secondaries see them.
 * All queues ring the context's single doorbell page, which every process
 * maps from the verbs command fd (one page at offset 0).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <infiniband/manadv.h>
#include <infiniband/verbs.h>
#include <bus_pci_driver.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_pci.h>

#include "mana.h"
#include "mana_gdma.h"

/* vendor_part_id of ibv_query_device: the GDMA device type (Linux gdma.h). */
#define GDMA_DEVICE_MANA	2	/* Ethernet: RAW packet QPs */
#define GDMA_DEVICE_MANA_IB	3	/* RDMA: RC QPs */

/*
 * The most entries rdma-core lets a CQ, WQ or send queue have: 256 before
 * rdma-core 49 (providers/mana/mana.c mana_create_cq, wq.c mana_create_wq,
 * qp.c mana_create_qp_raw: MAX_SEND_BUFFERS_PER_QUEUE; the limit went in
 * commit 3bbc4f7575). meson.build decides it from the rdma-core we are built
 * against; 0: no limit but the device's.
 */
#ifndef MANA_RDMA_CORE_MAX_DESC
#define MANA_RDMA_CORE_MAX_DESC	256
#endif

struct mana_hw_dev {
	struct rte_pci_addr pci;
	char pci_name[PCI_PRI_STR_SIZE];
	uint8_t port;		/* ibv port number, from 1 */
	char raw_name[IBV_SYSFS_NAME_MAX];	/* RAW device at the last open, or "" */
};

/* What the provider's allocator is called with (mana_verbs_set_allocator). */
struct mana_verbs_alloc_arg {
	struct mana_ring_pool *pool;	/* NULL: the DPDK heap */
	int socket;
};

struct mana_hw_ctx {
	struct ibv_context *ctx;
	struct mana_verbs_alloc_arg alloc;
	uint8_t port;
	struct rte_ether_addr mac;	/* of the port's kernel netdev at open */
	char ifname[IF_NAMESIZE];	/* that netdev's name then */
	void *db_page;		/* as manadv_init_obj reports it, first queue's */
	char ibdev_path[IBV_SYSFS_PATH_MAX];
};

struct mana_hw_pd {
	struct mana_hw_ctx *hctx;
	struct ibv_pd *pd;	/* memory registrations */
	struct ibv_pd *parent;	/* queues: the parent domain carries the port */
};

struct mana_hw_mr {
	struct ibv_mr *mr;
};

struct mana_hw_cq {
	struct ibv_cq *cq;
};

struct mana_hw_wq {
	struct mana_hw_ctx *hctx;
	struct ibv_wq *wq;
	struct mana_hw_cq *cq;
};

struct mana_hw_rss {
	struct ibv_rwq_ind_table *table;
	struct ibv_qp *qp;
};

struct mana_hw_sq {
	struct ibv_qp *qp;
};

/* A kernel netdev of the PCI function. */
struct mana_verbs_netdev {
	char ifname[IF_NAMESIZE];
	struct rte_ether_addr mac;
	bool up;
};

/*
 * After a service reset the contexts are disassociated and the kernel
 * answers destroy commands with EIO; libibverbs turns that into success (so
 * the provider frees the rings it took from our allocator) only with this
 * variable set, read once by the first ibv_get_device_list() (rdma-core
 * libibverbs/init.c ibverbs_init). A value the user set is kept.
 */
RTE_INIT(mana_verbs_init)
{
	setenv("RDMAV_ALLOW_DISASSOC_DESTROY", "1", 0);
}

/* Destroy verbs return a positive errno; v44 mana sometimes a negative one. */
static int
mana_verbs_err(int ret)
{
	return ret > 0 ? -ret : ret;
}

/*
 * The result of a destroy, logged when it failed: the object then stays in
 * the context until it is closed (its queue buffer until the process
 * exits). After a reset destroys succeed (RDMAV_ALLOW_DISASSOC_DESTROY): a
 * failure is an order the kernel refused (EBUSY) or an interrupted command.
 */
static int
mana_verbs_destroyed(const char *what, int ret)
{
	ret = mana_verbs_err(ret);
	if (ret != 0)
		DRV_LOG(ERR, "destroying a %s failed: %s; it stays until the context is closed",
			what, strerror(-ret));
	return ret;
}

/*
 * Queue buffers: DPDK memory (hugepages, shared with secondaries), page
 * aligned; rdma-core passes the address to the kernel, which pins it. The
 * provider asks for page-multiple, power-of-two sizes (providers/mana/mana.h
 * align_hw_size).
 */
static void *
mana_verbs_alloc(size_t size, void *data)
{
	struct mana_verbs_alloc_arg *arg = data;

	if (arg->pool != NULL)
		return mana_ring_alloc(arg->pool, size, arg->socket);
	return rte_zmalloc_socket("mana_verbs_buf", size, (size_t)sysconf(_SC_PAGESIZE),
				  arg->socket);
}

static void
mana_verbs_free(void *ptr, void *data)
{
	struct mana_verbs_alloc_arg *arg = data;

	if (arg->pool != NULL)
		mana_ring_free(arg->pool, ptr);
	else
		rte_free(ptr);
}

/*
 * Ring buffers of the next object come from hugepages on @socket. The
 * provider keeps one allocator per context and uses the current one for the
 * next object it creates, and to free an object's rings when it is
 * destroyed (providers/mana/manadv.c): the argument lives in the context.
 */
static int
mana_verbs_set_allocator(struct mana_hw_ctx *hctx, int socket)
{
	struct manadv_ctx_allocators alloc = {
		.alloc = mana_verbs_alloc,
		.free = mana_verbs_free,
		.data = &hctx->alloc,
	};

	hctx->alloc.socket = socket < 0 ? SOCKET_ID_ANY : socket;
	return -manadv_set_context_attr(hctx->ctx, MANADV_CTX_ATTR_BUF_ALLOCATORS, &alloc);
}

void
mana_hw_set_ring_pool(struct mana_hw_ctx *hctx, struct mana_ring_pool *pool)
{
	hctx->alloc.pool = pool;
}

/*
 * Sysfs file @path (relative to directory @dir_fd, or absolute with
 * AT_FDCWD) into @buf, NUL-terminated; its length, or -errno (-EIO if
 * empty). Plain read(): sysfs attributes are a page at most, and the reset
 * path reads several.
 */
static ssize_t
mana_verbs_read_file(int dir_fd, const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	if (n == 0)
		return -EIO;
	buf[n] = '\0';
	return n;
}

/* First line of a sysfs file (as mana_verbs_read_file()), without its newline. */
static int
mana_verbs_read_line(int dir_fd, const char *path, char *buf, size_t len)
{
	ssize_t n = mana_verbs_read_file(dir_fd, path, buf, len);

	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* The PCI function of an ibv device: PCI_SLOT_NAME in <ibdev_path>/device/uevent. */
static int
mana_verbs_pci_addr(const char *ibdev_path, struct rte_pci_addr *addr)
{
	char path[PATH_MAX], text[1024], *line, *next;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/device/uevent", ibdev_path) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	n = mana_verbs_read_file(AT_FDCWD, path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "PCI_SLOT_NAME=", 14) == 0)
			return rte_pci_addr_parse(line + 14, addr) == 0 ? 0 : -EINVAL;
	}
	return -ENOENT;
}

/*
 * The kernel netdevs of the PCI function are <ibdev_path>/device/net/<if>/.
 * Find the one whose dev_port is @port - 1 (Ethernet ports count from 0,
 * ibv ports from 1; upstream DPDK mana.c get_port_mac), or, with @by_mac,
 * the one with that address (upstream mana_get_ifname).
 */
static int
mana_verbs_find_netdev(const char *ibdev_path, uint8_t port, const struct rte_ether_addr *by_mac,
		       struct mana_verbs_netdev *out)
{
	char dir_path[PATH_MAX], path[IF_NAMESIZE + 16], buf[64];
	struct dirent *ent;
	int ret = -ENOENT;
	DIR *dir;

	if (snprintf(dir_path, sizeof(dir_path), "%s/device/net", ibdev_path) >=
	    (int)sizeof(dir_path))
		return -ENAMETOOLONG;
	dir = opendir(dir_path);
	if (dir == NULL)
		return -ENOENT;
	/* Attributes are opened relative to the directory: one path walk, not one each. */
	while (ret != 0 && (ent = readdir(dir)) != NULL) {
		unsigned long flags;
		char *end;

		if (ent->d_name[0] == '.' || strlen(ent->d_name) >= IF_NAMESIZE)
			continue;
		if (by_mac == NULL) {
			snprintf(path, sizeof(path), "%s/dev_port", ent->d_name);
			if (mana_verbs_read_line(dirfd(dir), path, buf, sizeof(buf)) != 0)
				continue;
			errno = 0;
			if (strtoul(buf, &end, 0) != (unsigned long)port - 1 || errno != 0 ||
			    end == buf)
				continue;
		}
		snprintf(path, sizeof(path), "%s/address", ent->d_name);
		if (mana_verbs_read_line(dirfd(dir), path, buf, sizeof(buf)) != 0 ||
		    rte_ether_unformat_addr(buf, &out->mac) != 0)
			continue;
		if (by_mac != NULL && !rte_is_same_ether_addr(by_mac, &out->mac))
			continue;
		strlcpy(out->ifname, ent->d_name, sizeof(out->ifname));
		out->up = false;
		snprintf(path, sizeof(path), "%s/flags", ent->d_name);
		if (mana_verbs_read_line(dirfd(dir), path, buf, sizeof(buf)) == 0) {
			flags = strtoul(buf, &end, 16);
			out->up = end != buf && (flags & IFF_UP) != 0;
		}
		ret = 0;
	}
	closedir(dir);
	return ret;
}

/* Is <ibdev_path>/device/net/@ifname the netdev with address @mac? */
static bool
mana_verbs_netdev_has_mac(const char *ibdev_path, const char *ifname,
			  const struct rte_ether_addr *mac)
{
	char path[PATH_MAX], buf[64];
	struct rte_ether_addr addr;

	if (ifname[0] == '\0' || strchr(ifname, '/') != NULL ||
	    snprintf(path, sizeof(path), "%s/device/net/%s/address", ibdev_path, ifname) >=
	    (int)sizeof(path))
		return false;
	return mana_verbs_read_line(AT_FDCWD, path, buf, sizeof(buf)) == 0 &&
	       rte_ether_unformat_addr(buf, &addr) == 0 && rte_is_same_ether_addr(&addr, mac);
}

/*
 * Newer kernels give a MANA function two ibv devices: the Ethernet one
 * (vendor_part_id GDMA_DEVICE_MANA, with RAW packet capabilities) and an RC
 * one (GDMA_DEVICE_MANA_IB). Older kernels have a single device reporting
 * part id 0. Only the first kind carries RAW QPs (upstream DPDK be4ed96378,
 * mana_pci_probe_mac; Linux drivers/infiniband/hw/mana/main.c
 * mana_ib_query_device).
 */
static bool
mana_verbs_is_raw(const struct ibv_device_attr_ex *attr)
{
	uint32_t part = attr->orig_attr.vendor_part_id;

	if (part == 0)
		return true;
	return part == GDMA_DEVICE_MANA && attr->raw_packet_caps != 0;
}

/*
 * Open the RAW ibv device of PCI function @pci: every ibv device whose
 * uevent names the function is opened and queried, the first RAW one kept,
 * its name written to @raw_name (if not NULL), which is also tried first.
 * Returns -EAGAIN when there is none (the RC device alone does not count),
 * or the error of a matching device that failed to open or answer.
 */
static int
mana_verbs_open_raw(const struct rte_pci_addr *pci, struct ibv_context **out,
		    struct ibv_device_attr_ex *attr, char ibdev_path[IBV_SYSFS_PATH_MAX],
		    char raw_name[IBV_SYSFS_NAME_MAX])
{
	struct ibv_device **list;
	int i, k, n = 0, first = -1, ret = -EAGAIN;

	*out = NULL;
	list = ibv_get_device_list(&n);
	if (list == NULL) {
		DRV_LOG(DEBUG, "ibv_get_device_list: %s", strerror(errno));
		return -EAGAIN;
	}
	/*
	 * The device that was the RAW one last time first (@raw_name): it
	 * usually is again, and opening the RC device only to close it cost a
	 * reset about 100 us on the software VF. Then the others, in list order.
	 */
	for (i = 0; raw_name != NULL && raw_name[0] != '\0' && i < n; i++)
		if (strcmp(list[i]->name, raw_name) == 0)
			first = i;
	for (k = first >= 0 ? -1 : 0; k < n && *out == NULL; k++) {
		struct rte_pci_addr addr;
		struct ibv_context *ctx;
		int err;

		i = k < 0 ? first : k;
		if (k == first)		/* tried first */
			continue;
		if (mana_verbs_pci_addr(list[i]->ibdev_path, &addr) != 0 ||
		    rte_pci_addr_cmp(&addr, pci) != 0)
			continue;
		ctx = ibv_open_device(list[i]);
		if (ctx == NULL) {
			/*
			 * A provider may fail without setting errno: never 0 here,
			 * nor -ENODEV, which the reset reads as removed.
			 */
			ret = errno > 0 ? -errno : -EIO;
			DRV_LOG(DEBUG, "%s: cannot open: %s", list[i]->name, strerror(-ret));
			continue;
		}
		err = ibv_query_device_ex(ctx, NULL, attr);
		if (err != 0) {
			ret = err > 0 ? -err : -EIO;
			DRV_LOG(DEBUG, "%s: cannot query: %s", list[i]->name, strerror(err));
			ibv_close_device(ctx);
			continue;
		}
		if (!mana_verbs_is_raw(attr)) {
			DRV_LOG(DEBUG, "%s: skipped: part id %u, RAW caps %#x (not the Ethernet"
				" device)", list[i]->name, attr->orig_attr.vendor_part_id,
				attr->raw_packet_caps);
			ibv_close_device(ctx);
			continue;
		}
		strlcpy(ibdev_path, list[i]->ibdev_path, IBV_SYSFS_PATH_MAX);
		if (raw_name != NULL)
			strlcpy(raw_name, list[i]->name, IBV_SYSFS_NAME_MAX);
		DRV_LOG(DEBUG, "%s: RAW device of the PCI function, %u port(s)", list[i]->name,
			attr->orig_attr.phys_port_cnt);
		*out = ctx;
		ret = 0;
	}
	ibv_free_device_list(list);
	return *out != NULL ? 0 : ret;
}

int
mana_hw_discover(const struct rte_pci_addr *pci, struct mana_hw_port_info *ports,
		 unsigned int max)
{
	char ibdev_path[IBV_SYSFS_PATH_MAX];
	struct ibv_device_attr_ex attr;
	struct ibv_context *ctx;
	unsigned int n = 0;
	uint32_t port;
	int ret;

	if (max == 0)
		return -EINVAL;
	ret = mana_verbs_open_raw(pci, &ctx, &attr, ibdev_path, NULL);
	if (ret == -EAGAIN)
		return -ENODEV;
	if (ret != 0)
		return ret;
	/* One ethdev per ibv port that has a kernel netdev, as upstream. */
	for (port = 1; port <= attr.orig_attr.phys_port_cnt; port++) {
		struct mana_verbs_netdev nd;

		if (mana_verbs_find_netdev(ibdev_path, (uint8_t)port, NULL, &nd) != 0) {
			PMD_INIT_LOG(INFO, "%s: ibv port %u has no kernel netdev: skipped",
				     ibdev_path, port);
			continue;
		}
		if (n == max) {
			PMD_INIT_LOG(WARNING, "%s: ports above %u are not probed", ibdev_path,
				     ports[n - 1].port);
			break;
		}
		ports[n].port = (uint8_t)port;
		ports[n].mac = nd.mac;
		strlcpy(ports[n].ifname, nd.ifname, sizeof(ports[n].ifname));
		n++;
	}
	ibv_close_device(ctx);
	return (int)n;
}

int
mana_hw_dev_get(const struct rte_pci_addr *pci, uint8_t port, struct mana_hw_dev **out)
{
	struct mana_hw_dev *dev = calloc(1, sizeof(*dev));

	if (dev == NULL)
		return -ENOMEM;
	dev->pci = *pci;
	dev->port = port;
	rte_pci_device_name(pci, dev->pci_name, sizeof(dev->pci_name));
	*out = dev;
	return 0;
}

void
mana_hw_dev_put(struct mana_hw_dev *dev)
{
	free(dev);
}

/* Is the PCI function still in sysfs (DPDK's view: $SYSFS_PCI_DEVICES)? */
bool
mana_hw_dev_present(const struct mana_hw_dev *dev)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", rte_pci_get_sysfs_path(), dev->pci_name) >=
	    (int)sizeof(path))
		return true;
	return stat(path, &st) == 0 || errno != ENOENT;
}

/*
 * Look the device up by PCI address every time: after a service reset the
 * function comes back as a new ibv device, possibly with a new name, and its
 * RC device may be back before the RAW one.
 */
int
mana_hw_open(struct mana_hw_dev *dev, struct mana_hw_ctx **out)
{
	struct ibv_device_attr_ex attr;
	struct mana_verbs_netdev nd;
	struct mana_hw_ctx *hctx;
	int flags, ret;

	if (!mana_hw_dev_present(dev))
		return -ENODEV;
	hctx = calloc(1, sizeof(*hctx));
	if (hctx == NULL)
		return -ENOMEM;
	hctx->port = dev->port;
	ret = mana_verbs_open_raw(&dev->pci, &hctx->ctx, &attr, hctx->ibdev_path,
				  dev->raw_name);
	if (ret != 0)
		goto fail;
	/* The port and its netdev may come back a little after the device. */
	ret = -EAGAIN;
	if (dev->port > attr.orig_attr.phys_port_cnt) {
		DRV_LOG(DEBUG, "%s: no ibv port %u yet", dev->pci_name, dev->port);
		goto fail;
	}
	if (mana_verbs_find_netdev(hctx->ibdev_path, dev->port, NULL, &nd) != 0) {
		DRV_LOG(DEBUG, "%s: no kernel netdev for ibv port %u yet", dev->pci_name,
			dev->port);
		goto fail;
	}
	hctx->mac = nd.mac;
	strlcpy(hctx->ifname, nd.ifname, sizeof(hctx->ifname));
	/* EAL does not read an EXT interrupt fd: the handler drains it (upstream mana.c). */
	flags = fcntl(hctx->ctx->async_fd, F_GETFL);
	if (flags < 0 || fcntl(hctx->ctx->async_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		ret = -errno;
		goto fail;
	}
	*out = hctx;
	return 0;
fail:
	if (hctx->ctx != NULL)
		ibv_close_device(hctx->ctx);
	free(hctx);
	return ret;
}

int
mana_hw_close(struct mana_hw_ctx *hctx)
{
	int ret = ibv_close_device(hctx->ctx);

	free(hctx);
	return ret != 0 ? -errno : 0;
}

const struct rte_ether_addr *
mana_hw_ctx_mac(const struct mana_hw_ctx *hctx)
{
	return &hctx->mac;
}

int
mana_hw_query(struct mana_hw_ctx *hctx, struct mana_hw_caps *caps)
{
	struct ibv_device_attr_ex attr;
	uint32_t desc;
	int ret;

	ret = ibv_query_device_ex(hctx->ctx, NULL, &attr);
	if (ret != 0)
		return -ret;
	memset(caps, 0, sizeof(*caps));
	caps->mac = hctx->mac;
	caps->max_queues = (uint32_t)attr.orig_attr.max_qp;
	if (attr.orig_attr.max_cq > 0)
		caps->max_queues = RTE_MIN(caps->max_queues, (uint32_t)attr.orig_attr.max_cq);
	/* A queue is a WQ (or send queue) and a CQ of as many entries (upstream mana.c). */
	desc = RTE_MIN((uint32_t)attr.orig_attr.max_qp_wr, (uint32_t)attr.orig_attr.max_cqe);
	if (desc == 0)
		desc = RTE_MAX((uint32_t)attr.orig_attr.max_qp_wr,
			       (uint32_t)attr.orig_attr.max_cqe);
	if (MANA_RDMA_CORE_MAX_DESC != 0 && (desc == 0 || desc > MANA_RDMA_CORE_MAX_DESC))
		desc = MANA_RDMA_CORE_MAX_DESC;
	caps->max_rx_desc = desc;
	caps->max_tx_desc = desc;
	caps->max_send_sge = (uint32_t)attr.orig_attr.max_sge;
	caps->max_recv_sge = 1;		/* one buffer per receive WQE */
	caps->max_mr = (uint32_t)attr.orig_attr.max_mr;
	caps->max_mr_size = attr.orig_attr.max_mr_size;
	/* Verbs report no Ethernet speed for MANA; upstream reports 100G. */
	caps->link_speed_mbps = RTE_ETH_SPEED_NUM_100G;
	return 0;
}

int
mana_hw_doorbell_fd(struct mana_hw_ctx *hctx)
{
	return hctx->ctx->cmd_fd;
}

int
mana_hw_async_fd(struct mana_hw_ctx *hctx)
{
	return hctx->ctx->async_fd;
}

int
mana_hw_get_async_event(struct mana_hw_ctx *hctx, enum mana_hw_event *event)
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

/*
 * rdma-core providers/mana/qp.c: a RAW or RSS QP must be created in a
 * parent domain, and the port comes from its pd_context; the kernel refuses
 * a port outside 1..num_ports. Memory registrations use the plain PD
 * (upstream DPDK mana.c and mr.c).
 */
int
mana_hw_alloc_pd(struct mana_hw_ctx *hctx, struct mana_hw_pd **out)
{
	struct ibv_parent_domain_init_attr attr = {
		.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT,
		.pd_context = (void *)(uintptr_t)hctx->port,
	};
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

int
mana_hw_dealloc_pd(struct mana_hw_pd *pd)
{
	int ret;

	/* The parent domain first: it refers to the PD (providers/mana/mana.c). */
	ret = mana_verbs_destroyed("parent domain", ibv_dealloc_pd(pd->parent));
	if (ret == 0)
		ret = mana_verbs_destroyed("PD", ibv_dealloc_pd(pd->pd));
	free(pd);
	return ret;
}

int
mana_hw_reg_mr(struct mana_hw_pd *pd, void *addr, size_t len, struct mana_hw_mr **out,
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

int
mana_hw_dereg_mr(struct mana_hw_mr *mr)
{
	int ret = mana_verbs_destroyed("memory region", ibv_dereg_mr(mr->mr));

	free(mr);
	return ret;
}

/*
 * No id yet: an Ethernet CQ gets its GDMA id when the QP over it is created
 * (providers/mana/qp.c; v44 reports 0 before, main UINT32_MAX).
 */
int
mana_hw_create_cq(struct mana_hw_ctx *hctx, uint32_t count, int socket,
		  struct mana_hw_cq **out)
{
	struct mana_hw_cq *cq = calloc(1, sizeof(*cq));
	int ret;

	if (cq == NULL)
		return -ENOMEM;
	ret = mana_verbs_set_allocator(hctx, socket);
	if (ret != 0) {
		free(cq);
		return ret;
	}
	cq->cq = ibv_create_cq(hctx->ctx, (int)count, NULL, NULL, 0);
	if (cq->cq == NULL) {
		ret = errno > 0 ? -errno : -EINVAL;
		/* The ring limit is decided when the PMD is built (meson.build). */
		if (ret == -EINVAL && count > 256)
			DRV_LOG(ERR, "a CQ of %u entries was refused: rdma-core before v49 takes "
				"at most 256 (this PMD was built for a later one); use rings "
				"of 256 descriptors or fewer", count);
		free(cq);
		return ret;
	}
	*out = cq;
	return 0;
}

int
mana_hw_destroy_cq(struct mana_hw_cq *cq)
{
	int ret = mana_verbs_destroyed("CQ", ibv_destroy_cq(cq->cq));

	free(cq);
	return ret;
}

static void
mana_verbs_cq_info(const struct manadv_cq *dv, struct mana_hw_queue_info *info)
{
	memset(info, 0, sizeof(*info));
	info->buf = dv->buf;
	/* count is the cqe asked for (providers/mana/mana.c); entries are 64 bytes. */
	info->count = dv->count;
	info->size = dv->count * GDMA_CQE_SIZE;
	info->id = dv->cq_id;
}

/*
 * Every queue of a context rings the context's one doorbell page: the page
 * rdma-core maps from the command fd at offset 0 and reports as db_page
 * (providers/mana/mana.c, manadv.c); other processes map the same page from
 * the same fd. A provider reporting another page for some queue would break
 * that: refuse it.
 */
static int
mana_verbs_check_db_page(struct mana_hw_ctx *hctx, void *db_page)
{
	if (hctx->db_page == NULL)
		hctx->db_page = db_page;
	if (db_page == NULL || db_page != hctx->db_page) {
		DRV_LOG(ERR, "ibv port %u: a queue reports doorbell page %p, not the context's"
			" page %p", hctx->port, db_page, hctx->db_page);
		return -EPROTO;
	}
	return 0;
}

int
mana_hw_create_sq(struct mana_hw_pd *pd, struct mana_hw_cq *cq, uint32_t count,
		  uint32_t max_sge, int socket, struct mana_hw_sq **out,
		  struct mana_hw_queue_info *sq_info, struct mana_hw_queue_info *cq_info)
{
	struct ibv_qp_init_attr attr = {
		.send_cq = cq->cq,
		.recv_cq = cq->cq,
		.cap = { .max_send_wr = count, .max_send_sge = max_sge },
		.qp_type = IBV_QPT_RAW_PACKET,
	};
	struct mana_hw_sq *sq = calloc(1, sizeof(*sq));
	struct manadv_obj obj = { 0 };
	struct manadv_qp dv_qp;
	struct manadv_cq dv_cq;
	int ret;

	if (sq == NULL)
		return -ENOMEM;
	ret = mana_verbs_set_allocator(pd->hctx, socket);
	if (ret != 0) {
		free(sq);
		return ret;
	}
	/*
	 * The first RAW QP of a port claims its vport in the kernel
	 * (mana_ib_create_qp_raw -> mana_ib_cfg_vport): refused while the
	 * port's netdev holds it (EBUSY, returned as ENODEV by recent kernels).
	 */
	sq->qp = ibv_create_qp(pd->parent, &attr);
	if (sq->qp == NULL) {
		ret = -errno;
		free(sq);
		return ret;
	}
	/* The QP's response carries the SQ id, the vport offset and its CQ's id. */
	obj.qp.in = sq->qp;
	obj.qp.out = &dv_qp;
	obj.cq.in = cq->cq;
	obj.cq.out = &dv_cq;
	ret = -manadv_init_obj(&obj, MANADV_OBJ_QP | MANADV_OBJ_CQ);
	if (ret == 0)
		ret = mana_verbs_check_db_page(pd->hctx, dv_qp.db_page);
	if (ret != 0) {
		ibv_destroy_qp(sq->qp);
		free(sq);
		return ret;
	}
	memset(sq_info, 0, sizeof(*sq_info));
	sq_info->buf = dv_qp.sq_buf;
	sq_info->size = dv_qp.sq_size;
	sq_info->count = dv_qp.sq_size / GDMA_WQE_BU;
	sq_info->id = dv_qp.sq_id;
	sq_info->tx_vp_offset = dv_qp.tx_vp_offset;
	mana_verbs_cq_info(&dv_cq, cq_info);
	*out = sq;
	return 0;
}

int
mana_hw_destroy_sq(struct mana_hw_sq *sq)
{
	int ret = mana_verbs_destroyed("send QP", ibv_destroy_qp(sq->qp));

	free(sq);
	return ret;
}

int
mana_hw_create_wq(struct mana_hw_pd *pd, struct mana_hw_cq *cq, uint32_t count, int socket,
		  struct mana_hw_wq **out)
{
	/* One SGE per receive WQE, as upstream (rx.c). */
	struct ibv_wq_init_attr attr = {
		.wq_type = IBV_WQT_RQ,
		.max_wr = count,
		.max_sge = 1,
		.pd = pd->parent,
		.cq = cq->cq,
	};
	struct mana_hw_wq *wq = calloc(1, sizeof(*wq));
	int ret;

	if (wq == NULL)
		return -ENOMEM;
	ret = mana_verbs_set_allocator(pd->hctx, socket);
	if (ret != 0) {
		free(wq);
		return ret;
	}
	wq->wq = ibv_create_wq(pd->hctx->ctx, &attr);
	if (wq->wq == NULL) {
		ret = -errno;
		free(wq);
		return ret;
	}
	wq->hctx = pd->hctx;
	wq->cq = cq;
	*out = wq;
	return 0;
}

int
mana_hw_destroy_wq(struct mana_hw_wq *wq)
{
	int ret = mana_verbs_destroyed("WQ", ibv_destroy_wq(wq->wq));

	free(wq);
	return ret;
}

/*
 * The kernel ignores the hash field mask (only the function, the key and
 * its length reach the hardware: Linux drivers/infiniband/hw/mana/qp.c
 * mana_ib_create_qp_rss); it is passed on as the application chose it.
 */
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

/*
 * The kernel hands each WQ of the table to one receive object and marks its
 * ring consumed: a WQ listed twice fails, and so does a table above 64
 * entries (Linux mana_ib_create_qp_rss). It spreads the table to the 64
 * entries of the vport itself.
 */
int
mana_hw_create_rss(struct mana_hw_pd *pd, struct mana_hw_wq *const *wqs, uint32_t nb,
		   const uint8_t key[MANA_HW_RSS_KEY_LEN], uint32_t hash_fields,
		   struct mana_hw_rss **out)
{
	struct ibv_wq *table[1u << MANA_HW_RETA_LOG_MAX];
	struct ibv_rwq_ind_table_init_attr table_attr = {
		.ind_tbl = table,
		.comp_mask = 0,
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

	if (nb == 0 || nb > RTE_DIM(table) || !rte_is_power_of_2(nb))
		return -EINVAL;
	table_attr.log_ind_tbl_size = rte_log2_u32(nb);
	for (i = 0; i < nb; i++)
		table[i] = wqs[i]->wq;
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

/* The QP before the table it uses (destroying a table in use is EBUSY). */
int
mana_hw_destroy_rss(struct mana_hw_rss *rss)
{
	int ret = mana_verbs_destroyed("RSS QP", ibv_destroy_qp(rss->qp));
	int ret2 = mana_verbs_destroyed("indirection table",
					ibv_destroy_rwq_ind_table(rss->table));

	free(rss);
	return ret != 0 ? ret : ret2;
}

/*
 * manadv_init_obj only copies what the provider knows: WQ and CQ ids come
 * from the RSS QP's response (providers/mana/qp.c mana_create_qp_ex), so
 * this is called after the RSS QP exists. The doorbell page it reports is
 * the context's, the one every process maps.
 */
int
mana_hw_rxq_info(struct mana_hw_wq *wq, struct mana_hw_queue_info *wq_info,
		 struct mana_hw_queue_info *cq_info)
{
	struct manadv_obj obj = { 0 };
	struct manadv_rwq dv_wq;
	struct manadv_cq dv_cq;
	int ret;

	obj.rwq.in = wq->wq;
	obj.rwq.out = &dv_wq;
	obj.cq.in = wq->cq->cq;
	obj.cq.out = &dv_cq;
	ret = -manadv_init_obj(&obj, MANADV_OBJ_RWQ | MANADV_OBJ_CQ);
	if (ret == 0)
		ret = mana_verbs_check_db_page(wq->hctx, dv_wq.db_page);
	if (ret != 0)
		return ret;
	memset(wq_info, 0, sizeof(*wq_info));
	wq_info->buf = dv_wq.buf;
	wq_info->size = dv_wq.size;
	wq_info->count = dv_wq.size / GDMA_WQE_BU;
	wq_info->id = dv_wq.wq_id;
	mana_verbs_cq_info(&dv_cq, cq_info);
	return 0;
}

int
mana_hw_port_netdev(struct mana_hw_ctx *hctx, char ifname[IF_NAMESIZE], bool *up)
{
	struct mana_verbs_netdev nd;
	int ret;

	ret = mana_verbs_find_netdev(hctx->ibdev_path, hctx->port, NULL, &nd);
	if (ret != 0)
		return ret;
	strlcpy(ifname, nd.ifname, IF_NAMESIZE);
	*up = nd.up;
	return 0;
}

/*
 * As upstream mana.c mana_mtu_set: the netdev whose address is the port's
 * MAC, SIOCSIFMTU on an AF_INET datagram socket; -errno of the ioctl. A
 * netdev already at @mtu is left alone (SIOCGIFMTU): setting needs
 * CAP_NET_ADMIN, which a start that changes nothing must not.
 */
int
mana_hw_set_mtu(struct mana_hw_ctx *hctx, uint16_t mtu)
{
	struct mana_verbs_netdev nd;
	const char *ifname;
	struct ifreq ifr;
	int sock, ret;

	/*
	 * The netdev found at open, if it still has the MAC (not renamed away):
	 * one read instead of the directory's walk, which a reset's rebuild
	 * pays for every port.
	 */
	if (mana_verbs_netdev_has_mac(hctx->ibdev_path, hctx->ifname, &hctx->mac))
		ifname = hctx->ifname;
	else if (mana_verbs_find_netdev(hctx->ibdev_path, 0, &hctx->mac, &nd) == 0)
		ifname = nd.ifname;
	else
		return -ENODEV;
	if (ifname == nd.ifname)	/* renamed since: remember the new name */
		strlcpy(hctx->ifname, nd.ifname, sizeof(hctx->ifname));
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (sock < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	if (ioctl(sock, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu == mtu) {
		close(sock);
		return 0;
	}
	ifr.ifr_mtu = mtu;
	ret = ioctl(sock, SIOCSIFMTU, &ifr) == 0 ? 0 : -errno;
	close(sock);
	return ret;
}
