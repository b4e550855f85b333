/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_HW_H
#define MANA_HW_H

/*
 * The narrow table of verbs/manadv-shaped operations through which the PMD
 * reaches a MANA device. Two providers implement it:
 *   - rdma-core (libibverbs + libmana) for the real PCI device, and
 *   - the software MANA device (sim/), a separate library.
 * Everything above this table (queues, doorbells, CQE polling, reset, IPC) is
 * common code. All operations are control-path and called from the primary
 * process only; secondaries reach the device solely through queue memory in
 * hugepages and their own mapping of the doorbell region.
 *
 * Return convention: 0 or a positive value on success, a negative errno on
 * failure. Providers never call back into the PMD.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <rte_ether.h>

/* Provider-owned opaque objects (verbs objects on real hardware). */
struct mana_hw_dev;	/* a device identity that survives resets (PCI function) */
struct mana_hw_ctx;	/* an open device context (ibv_context) */
struct mana_hw_pd;	/* protection domain */
struct mana_hw_mr;	/* memory registration */
struct mana_hw_cq;	/* completion queue */
struct mana_hw_wq;	/* receive work queue (ibv_wq) */
struct mana_hw_rss;	/* RSS indirection table + receive QP */
struct mana_hw_sq;	/* send QP */

/* Asynchronous events read from the context's async fd. */
enum mana_hw_event {
	MANA_HW_EVENT_NONE = 0,
	MANA_HW_EVENT_DEVICE_FATAL,	/* IBV_EVENT_DEVICE_FATAL */
	MANA_HW_EVENT_PORT_ACTIVE,	/* link up */
	MANA_HW_EVENT_PORT_ERR,		/* link down */
	MANA_HW_EVENT_OTHER,
};

/* RSS hash field selection (mapped to IBV_RX_HASH_* by rdma-core). */
#define MANA_HW_RSS_IPV4	(1u << 0)
#define MANA_HW_RSS_IPV6	(1u << 1)
#define MANA_HW_RSS_TCP		(1u << 2)
#define MANA_HW_RSS_UDP		(1u << 3)

#define MANA_HW_RSS_KEY_LEN	40
#define MANA_HW_RETA_LOG_MAX	6	/* indirection table of at most 64 entries */

struct mana_hw_caps {
	struct rte_ether_addr mac;
	uint32_t max_queues;		/* per direction */
	uint32_t max_rx_desc;
	uint32_t max_tx_desc;
	uint32_t max_send_sge;
	uint32_t max_recv_sge;
	uint32_t max_mr;
	uint64_t max_mr_size;
	uint32_t link_speed_mbps;
	bool link_up;
	/*
	 * Bytes every process maps from doorbell_fd at offset 0. The real
	 * device has one doorbell page per context; a provider may give each
	 * queue its own page inside a larger region (see db_offset).
	 */
	uint32_t db_region_size;
};

/*
 * What manadv_init_obj returns for a queue, plus where its doorbell lives:
 * the queue's doorbell page is at db_offset inside the doorbell region.
 */
struct mana_hw_queue_info {
	void *buf;		/* ring memory, in hugepages (visible to all processes) */
	uint32_t count;		/* CQ: entries; WQ/SQ: 32-byte basic units */
	uint32_t size;		/* ring size in bytes */
	uint32_t id;		/* GDMA queue id used in doorbells and CQEs */
	uint32_t tx_vp_offset;	/* SQ only: vport offset for the Tx OOB */
	uint32_t db_offset;	/* this queue's doorbell page within the region */
};

struct mana_hw_ops {
	const char *name;

	/*
	 * Device identity. get_device binds a name (PCI address for rdma-core,
	 * vdev name for the device model) and device-level arguments (the
	 * devargs the PMD does not own; NULL or "" for none) to a handle that
	 * stays valid across resets. Unknown arguments: -EINVAL with a log line
	 * naming the key. put_device releases it.
	 */
	int (*get_device)(const char *name, const char *args, struct mana_hw_dev **dev);
	void (*put_device)(struct mana_hw_dev *dev);

	/*
	 * Open the device's current instance. After a reset the device comes
	 * back as a new instance with a new doorbell region. Returns -EAGAIN
	 * while the device is absent (it may come back), -ENODEV when it is
	 * gone for good, another negative errno when it is present but
	 * failing.
	 */
	int (*open)(struct mana_hw_dev *dev, struct mana_hw_ctx **ctx);
	/* Closing revokes the context's doorbell region in every process. */
	int (*close)(struct mana_hw_ctx *ctx);
	int (*query)(struct mana_hw_ctx *ctx, struct mana_hw_caps *caps);

	/* The fd other processes mmap for doorbells (ibv_context::cmd_fd). */
	int (*doorbell_fd)(struct mana_hw_ctx *ctx);
	/* Non-blocking fd that becomes readable when events are pending. */
	int (*async_fd)(struct mana_hw_ctx *ctx);
	/* Take and acknowledge one event; -EAGAIN when none is pending. */
	int (*get_async_event)(struct mana_hw_ctx *ctx, enum mana_hw_event *event);

	int (*alloc_pd)(struct mana_hw_ctx *ctx, struct mana_hw_pd **pd);
	int (*dealloc_pd)(struct mana_hw_pd *pd);

	int (*reg_mr)(struct mana_hw_pd *pd, void *addr, size_t len,
		      struct mana_hw_mr **mr, uint32_t *lkey);
	int (*dereg_mr)(struct mana_hw_mr *mr);

	/* Queue rings are allocated on NUMA socket @socket in hugepage memory. */
	int (*create_cq)(struct mana_hw_ctx *ctx, uint32_t count, int socket,
			 struct mana_hw_cq **cq, struct mana_hw_queue_info *info);
	int (*destroy_cq)(struct mana_hw_cq *cq);

	int (*create_wq)(struct mana_hw_pd *pd, struct mana_hw_cq *cq, uint32_t count,
			 int socket, struct mana_hw_wq **wq, struct mana_hw_queue_info *info);
	int (*destroy_wq)(struct mana_hw_wq *wq);

	/*
	 * Receive-side scaling over @reta (2^log_size entries, entries may
	 * repeat) with a Toeplitz key and MANA_HW_RSS_* fields.
	 */
	int (*create_rss)(struct mana_hw_pd *pd, struct mana_hw_wq *const *reta,
			  uint32_t log_size, const uint8_t key[MANA_HW_RSS_KEY_LEN],
			  uint32_t hash_fields, struct mana_hw_rss **rss);
	int (*destroy_rss)(struct mana_hw_rss *rss);

	int (*create_sq)(struct mana_hw_pd *pd, struct mana_hw_cq *cq, uint32_t count,
			 uint32_t max_sge, int socket, struct mana_hw_sq **sq,
			 struct mana_hw_queue_info *info);
	int (*destroy_sq)(struct mana_hw_sq *sq);
};

/* rdma-core provider (mana_hw_verbs.c). */
extern const struct mana_hw_ops mana_hw_verbs_ops;

#endif /* MANA_HW_H */
