/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_HW_H
#define MANA_HW_H

/*
 * How the PMD reaches a MANA PCI function: plain functions with one
 * implementation, the rdma-core glue in mana_verbs.c (libibverbs + libmana,
 * as on Azure). There is no table of operations: the only reason for one
 * would be glue to several rdma-core versions at run time, which we do not
 * need (the few differences between rdma-core versions that matter are
 * decided when the PMD is built, see meson.build).
 *
 * The handles below wrap verbs objects; everything above them (queues,
 * doorbells, CQE polling, reset, IPC) is the PMD's. All functions are
 * control-path and called from the primary process only: secondaries reach
 * the device solely through queue memory in hugepages and their own mapping
 * of the doorbell page (the verbs command fd the primary hands over), so
 * they never touch rdma-core.
 *
 * Return convention: 0 on success, a negative errno on failure.
 */

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <rte_ether.h>
#include <rte_pci.h>

struct mana_hw_dev;	/* one port of a PCI function: survives resets */
struct mana_hw_ctx;	/* an open RAW ibv device (ibv_context) */
struct mana_hw_pd;	/* protection domain and its parent domain */
struct mana_hw_mr;	/* memory registration */
struct mana_hw_cq;	/* completion queue */
struct mana_hw_wq;	/* receive work queue (ibv_wq) */
struct mana_hw_rss;	/* indirection table + RSS QP */
struct mana_hw_sq;	/* RAW send QP */

/* Asynchronous events read from the context's async fd. */
enum mana_hw_event {
	MANA_HW_EVENT_NONE = 0,
	MANA_HW_EVENT_DEVICE_FATAL,	/* IBV_EVENT_DEVICE_FATAL */
	MANA_HW_EVENT_PORT_ACTIVE,
	MANA_HW_EVENT_PORT_ERR,
	MANA_HW_EVENT_OTHER,
};

/* RSS hash field selection (mapped to IBV_RX_HASH_*). */
#define MANA_HW_RSS_IPV4	(1u << 0)
#define MANA_HW_RSS_IPV6	(1u << 1)
#define MANA_HW_RSS_TCP		(1u << 2)
#define MANA_HW_RSS_UDP		(1u << 3)

#define MANA_HW_RSS_KEY_LEN	40	/* Toeplitz; rdma-core providers/mana/qp.c wants 40 */
#define MANA_HW_RETA_LOG_MAX	6	/* the device spreads the table to 64 entries */

/* Ports of one PCI function the PMD can make (ibv ports 1..phys_port_cnt). */
#define MANA_HW_MAX_PORTS	16

struct mana_hw_caps {
	struct rte_ether_addr mac;	/* of the port's kernel netdev */
	uint32_t max_queues;		/* per direction */
	uint32_t max_rx_desc;
	uint32_t max_tx_desc;
	uint32_t max_send_sge;
	uint32_t max_recv_sge;
	uint32_t max_mr;
	uint64_t max_mr_size;
	uint32_t link_speed_mbps;
};

/*
 * What manadv_init_obj returns for a queue. All queues ring the one
 * doorbell page of their context (at their GDMA offset, queue id in the
 * value), so there is no per-queue doorbell address.
 */
struct mana_hw_queue_info {
	void *buf;		/* ring memory, in hugepages (visible to all processes) */
	uint32_t count;		/* CQ: entries; WQ/SQ: 32-byte basic units */
	uint32_t size;		/* ring size in bytes */
	uint32_t id;		/* GDMA queue id used in doorbells and CQEs */
	uint32_t tx_vp_offset;	/* SQ only: vport offset for the Tx OOB */
};

/* A port found at probe: an ibv port of the RAW device with a kernel netdev. */
struct mana_hw_port_info {
	uint8_t port;			/* ibv port number, from 1 */
	struct rte_ether_addr mac;
	char ifname[IF_NAMESIZE];
};

/*
 * Discovery: the ports of the RAW ibv device of PCI function @pci that have
 * a kernel netdev, in port order. Returns how many (up to @max), or
 * -ENODEV when the function has no RAW ibv device.
 */
int mana_hw_discover(const struct rte_pci_addr *pci, struct mana_hw_port_info *ports,
		     unsigned int max);

/* Identity of port @port of PCI function @pci (no device access). */
int mana_hw_dev_get(const struct rte_pci_addr *pci, uint8_t port, struct mana_hw_dev **dev);
void mana_hw_dev_put(struct mana_hw_dev *dev);
/*
 * Is the PCI function still in sysfs (rte_pci_get_sysfs_path())? A
 * hot-removed function leaves it; one in a service reset stays.
 */
bool mana_hw_dev_present(const struct mana_hw_dev *dev);

/*
 * Open the RAW ibv device of the port's PCI function as it is now: after a
 * service reset it comes back as a new ibv device. Returns -EAGAIN while it
 * is absent (it may come back; also while only the RC device or not yet the
 * port's netdev is there), -ENODEV when the PCI function has left sysfs
 * (removed), another negative errno when it is present but failing.
 */
int mana_hw_open(struct mana_hw_dev *dev, struct mana_hw_ctx **ctx);
/* Closing revokes the context's doorbell page in every process. */
int mana_hw_close(struct mana_hw_ctx *ctx);
int mana_hw_query(struct mana_hw_ctx *ctx, struct mana_hw_caps *caps);
/* MAC of the port's kernel netdev, read when @ctx was opened. */
const struct rte_ether_addr *mana_hw_ctx_mac(const struct mana_hw_ctx *ctx);

/* The fd other processes mmap for the doorbell page (ibv_context::cmd_fd). */
int mana_hw_doorbell_fd(struct mana_hw_ctx *ctx);
/* Non-blocking fd that becomes readable when events are pending. */
int mana_hw_async_fd(struct mana_hw_ctx *ctx);
/* Take and acknowledge one event; -EAGAIN when none is pending. */
int mana_hw_get_async_event(struct mana_hw_ctx *ctx, enum mana_hw_event *event);

/* PD for memory registrations, parent domain (carrying the port) for queues. */
int mana_hw_alloc_pd(struct mana_hw_ctx *ctx, struct mana_hw_pd **pd);
int mana_hw_dealloc_pd(struct mana_hw_pd *pd);

int mana_hw_reg_mr(struct mana_hw_pd *pd, void *addr, size_t len, struct mana_hw_mr **mr,
		   uint32_t *lkey);
int mana_hw_dereg_mr(struct mana_hw_mr *mr);

/*
 * Queue rings are allocated on NUMA socket @socket in hugepage memory, from
 * @pool once one is set (mana_queue.c: mana_ring_alloc/mana_ring_free),
 * else from the DPDK heap.
 */
struct mana_ring_pool;
void mana_hw_set_ring_pool(struct mana_hw_ctx *ctx, struct mana_ring_pool *pool);
void *mana_ring_alloc(struct mana_ring_pool *pool, size_t size, int socket);
void mana_ring_free(struct mana_ring_pool *pool, void *buf);
int mana_hw_create_cq(struct mana_hw_ctx *ctx, uint32_t count, int socket,
		      struct mana_hw_cq **cq);
int mana_hw_destroy_cq(struct mana_hw_cq *cq);

/*
 * Tx queue: a RAW QP whose send and receive CQ is @cq. Its ids are known
 * once the QP exists: @sq_info and @cq_info are filled then.
 */
int mana_hw_create_sq(struct mana_hw_pd *pd, struct mana_hw_cq *cq, uint32_t count,
		      uint32_t max_sge, int socket, struct mana_hw_sq **sq,
		      struct mana_hw_queue_info *sq_info, struct mana_hw_queue_info *cq_info);
int mana_hw_destroy_sq(struct mana_hw_sq *sq);

/* Rx queue: a WQ completing to @cq. Its ids exist only after the RSS QP. */
int mana_hw_create_wq(struct mana_hw_pd *pd, struct mana_hw_cq *cq, uint32_t count,
		      int socket, struct mana_hw_wq **wq);
int mana_hw_destroy_wq(struct mana_hw_wq *wq);

/*
 * Receive-side scaling over @nb WQs (a power of two, at most 64, each WQ
 * once), in the order the device spreads them: entry j of its 64-entry
 * table is wqs[j % nb]. Toeplitz with @key; @hash_fields (MANA_HW_RSS_*)
 * are passed on, but the kernel ignores them.
 */
int mana_hw_create_rss(struct mana_hw_pd *pd, struct mana_hw_wq *const *wqs, uint32_t nb,
		       const uint8_t key[MANA_HW_RSS_KEY_LEN], uint32_t hash_fields,
		       struct mana_hw_rss **rss);
int mana_hw_destroy_rss(struct mana_hw_rss *rss);
/* An Rx queue's ring and ids, once the RSS QP over its WQ exists. */
int mana_hw_rxq_info(struct mana_hw_wq *wq, struct mana_hw_queue_info *wq_info,
		     struct mana_hw_queue_info *cq_info);

/*
 * The kernel netdev of the port: its name and whether it is up (a netdev
 * that is up holds the vport). -ENOENT if the port has none.
 */
int mana_hw_port_netdev(struct mana_hw_ctx *ctx, char ifname[IF_NAMESIZE], bool *up);
/* Set the MTU of the kernel netdev with the port's MAC (SIOCSIFMTU). */
int mana_hw_set_mtu(struct mana_hw_ctx *ctx, uint16_t mtu);

#endif /* MANA_HW_H */
