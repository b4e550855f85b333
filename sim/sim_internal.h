/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

/*
 * Internal state of the software MANA device, shared by the files of the
 * sim library and nothing else.
 *
 * Locking: one process-wide mutex, sim_lock, protects every device, context
 * and object below, including the engine's per-queue state. Control
 * operations take it for the whole operation; the engine takes it for one
 * pass at a time. sim_engine_ctl_lock (sim_dev.c) only serialises starting
 * and joining the engine thread and is always taken before sim_lock.
 */

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/queue.h>
#include <time.h>

#include <rte_ether.h>
#include <rte_log.h>

#include "mana_dpdk_compat.h"
#include "mana_sim.h"

extern int mana_sim_logtype;

#define SIM_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, mana_sim_logtype, "mana_sim: %s(): " fmt "\n", \
		__func__, ##__VA_ARGS__)

#define SIM_NAME_MAX		64	/* RTE_DEV_NAME_MAX_LEN */
#define SIM_PAGE_SIZE		4096u
#define SIM_MAX_QUEUES		64u
#define SIM_DEF_QUEUES		16u
#define SIM_DB_PAGES_MAX	(4u * SIM_MAX_QUEUES)
#define SIM_DEF_DOWN_MS		200u
#define SIM_DEF_LINK_MBPS	100000u
#define SIM_MAX_DESC		4096u
#define SIM_MAX_SEND_SGE	30u
#define SIM_MAX_RECV_SGE	1u	/* advertised; receive WQEs with more are accepted */
#define SIM_WQE_MAX_SGE		30u	/* most SGEs the engine reads from one WQE */
#define SIM_MAX_MR		4096u
#define SIM_MAX_MR_SIZE		(1ull << 40)
#define SIM_CQ_MIN		64u
#define SIM_CQ_MAX		65536u
#define SIM_RING_MIN		4096u
#define SIM_MAX_FRAME		9728u	/* largest frame the wire carries */
#define SIM_EVENTS_MAX		16u
#define SIM_SCHED_MAX		32u
#define SIM_RETA_MAX		64u	/* 1 << MANA_HW_RETA_LOG_MAX */

#define SIM_NS_PER_MS		1000000ull
#define SIM_MAX_MS		86400000u	/* one day: bounds every time argument */
#define SIM_TIME_NEVER		UINT64_MAX

/* GDMA encodings, decoded by the device with its own code (little-endian). */
#define SIM_WQE_BU		32u
#define SIM_SGE_SIZE		16u
#define SIM_CQE_SIZE		64u
#define SIM_CQE_DATA_DWORDS	15u	/* bytes 0-59 of a CQE */
#define SIM_DB_SLOT_SQ		0x000u
#define SIM_DB_SLOT_RQ		0x400u
#define SIM_DB_SLOT_CQ		0x800u
#define SIM_QUEUE_ID_MASK	0xffffffu

/* CQE types (completion OOB dword 0 bits 0-5). */
#define SIM_CQE_RX_OKAY			1u
#define SIM_CQE_RX_TRUNCATED		4u
#define SIM_CQE_TX_OKAY			32u
#define SIM_CQE_TX_MTU_DROP		34u
#define SIM_CQE_TX_INVALID_OOB		35u
#define SIM_CQE_TX_HDR_PROCESSING_ERROR	37u

/* vendor_err values the device puts in error CQEs (its own convention). */
#define SIM_VERR_BAD_SGE	1u	/* unknown memory key or range outside the MR */
#define SIM_VERR_SHORT_FRAME	2u	/* shorter than an Ethernet header */
#define SIM_VERR_BAD_WQE	3u	/* SGE count or header flags not supported */
#define SIM_VERR_BAD_L4_OFFSET	4u	/* transport header offset is not the packet's */
#define SIM_VERR_BAD_FORMAT	5u	/* Tx packet format not valid for the OOB size */

/* NDIS hash types of Rx completions. */
#define SIM_HASH_IPV4		(1u << 0)
#define SIM_HASH_TCP_IPV4	(1u << 1)
#define SIM_HASH_UDP_IPV4	(1u << 2)
#define SIM_HASH_IPV6		(1u << 3)
#define SIM_HASH_TCP_IPV6	(1u << 4)
#define SIM_HASH_UDP_IPV6	(1u << 5)

/* Every control-path object is on sim_objects so that a handle can be validated without
 * dereferencing it (a stale or foreign pointer is simply not found).
 */
enum sim_obj_type {
	SIM_OBJ_CTX = 1,
	SIM_OBJ_PD,
	SIM_OBJ_MR,
	SIM_OBJ_CQ,
	SIM_OBJ_WQ,
	SIM_OBJ_RSS,
	SIM_OBJ_SQ,
};

struct sim_obj {
	TAILQ_ENTRY(sim_obj) link;
	enum sim_obj_type type;
	struct mana_hw_ctx *ctx;	/* owning context (the context itself for SIM_OBJ_CTX) */
};
TAILQ_HEAD(sim_obj_list, sim_obj);

/* A scheduled fault from the "faults" devarg. */
struct sim_sched_event {
	uint32_t at_ms;			/* since the device was created */
	struct mana_sim_fault fault;
};

/* Parsed device arguments. */
struct sim_dev_conf {
	struct rte_ether_addr mac;
	char peer[SIM_NAME_MAX];	/* "" = loopback */
	uint32_t max_queues;
	uint32_t down_ms;
	uint32_t link_mbps;
	uint32_t n_sched;
	struct sim_sched_event sched[SIM_SCHED_MAX];
};

/* The engine's view of one queue's doorbell page. */
struct sim_db_watch {
	const uint8_t *page;		/* in the device's own mapping of the region */
	uint32_t page_idx;
	uint32_t own_slot;		/* SIM_DB_SLOT_* of the owning queue */
	uint64_t seen[3];		/* last value noticed in each slot of the page */
};

/* Producer/consumer state of a work queue (receive WQ or SQ). */
struct sim_ring {
	uint8_t *buf;
	uint32_t size;			/* bytes, power of two */
	uint32_t id;
	uint32_t tail;			/* producer byte offset of the last valid doorbell */
	uint32_t consumer;		/* engine's consumer byte offset */
	bool broken;			/* malformed WQE seen: the queue is no longer served */
	struct sim_db_watch db;
};

struct mana_hw_pd {
	struct sim_obj obj;
	TAILQ_ENTRY(mana_hw_pd) link;
	uint32_t users;			/* MRs and queues created on it */
};

struct mana_hw_mr {
	struct sim_obj obj;
	struct mana_hw_pd *pd;
	uintptr_t addr;
	uint64_t len;
	uint32_t lkey;
};

struct mana_hw_cq {
	struct sim_obj obj;
	TAILQ_ENTRY(mana_hw_cq) link;
	uint8_t *buf;
	uint32_t count;			/* entries, power of two */
	uint32_t id;
	uint32_t producer;		/* starts at count; entry producer % count */
	uint32_t users;			/* WQs and SQs completing here */
	uint32_t ci;			/* consumer index from the last CQ doorbell */
	bool armed;
	struct sim_db_watch db;
};

struct mana_hw_wq {
	struct sim_obj obj;
	TAILQ_ENTRY(mana_hw_wq) link;
	struct mana_hw_pd *pd;
	struct mana_hw_cq *cq;
	uint32_t rss_refs;		/* RSS indirection entries naming this WQ */
	struct sim_ring ring;
};

struct mana_hw_sq {
	struct sim_obj obj;
	TAILQ_ENTRY(mana_hw_sq) link;
	struct mana_hw_pd *pd;
	struct mana_hw_cq *cq;
	uint32_t max_sge;
	uint32_t vport;
	uint32_t frame;			/* VSQ frame the Tx OOB must carry */
	struct sim_ring ring;
};

struct mana_hw_rss {
	struct sim_obj obj;
	struct mana_hw_pd *pd;
	uint32_t log_size;
	uint32_t hash_fields;
	uint8_t key[MANA_HW_RSS_KEY_LEN] __attribute__((aligned(8)));
	struct mana_hw_wq *reta[SIM_RETA_MAX];
};

TAILQ_HEAD(sim_pd_list, mana_hw_pd);
TAILQ_HEAD(sim_cq_list, mana_hw_cq);
TAILQ_HEAD(sim_wq_list, mana_hw_wq);
TAILQ_HEAD(sim_sq_list, mana_hw_sq);

struct mana_hw_ctx {
	struct sim_obj obj;
	TAILQ_ENTRY(mana_hw_ctx) dev_link;
	struct mana_hw_dev *dev;
	uint32_t instance;		/* device instance the context is bound to */
	bool dead;			/* that instance died: nothing is served any more */
	int db_fd;			/* memfd of the doorbell region */
	int ev_fd;			/* eventfd: readable while events are queued */
	uint8_t *db_map;		/* the device's own mapping of the region */
	uint32_t db_size;
	uint32_t db_pages;
	uint64_t db_page_used[SIM_DB_PAGES_MAX / 64];
	uint32_t vport;
	uint32_t n_cq, n_wq, n_sq, n_mr;
	struct sim_pd_list pds;
	struct sim_cq_list cqs;
	struct sim_wq_list wqs;
	struct sim_sq_list sqs;
	struct mana_hw_rss *rss;
	struct mana_hw_mr **mr_table;	/* SIM_MAX_MR slots, indexed by lkey low bits */
	uint32_t mr_seq;
	enum mana_hw_event events[SIM_EVENTS_MAX];
	uint32_t ev_head, ev_count;
	uint64_t fatal_due_ns;		/* delayed DEVICE_FATAL, SIM_TIME_NEVER if none */
};
TAILQ_HEAD(sim_ctx_list, mana_hw_ctx);

struct mana_hw_dev {
	TAILQ_ENTRY(mana_hw_dev) link;
	char name[SIM_NAME_MAX];
	char *args;			/* as given to the first get_device ("" for none) */
	struct sim_dev_conf conf;
	uint32_t handles;		/* get_device references */
	uint32_t n_ctx;			/* contexts not closed yet (each holds the device) */
	struct sim_ctx_list ctxs;

	enum mana_sim_dev_state state;
	uint32_t instance;
	uint64_t created_ns;
	uint64_t up_at_ns;		/* DOWN: when the next instance appears */
	uint32_t next_sched;		/* first schedule entry not executed yet */
	int32_t fail_open;
	bool evdelay_armed;
	uint32_t evdelay_ms;
	bool fir_armed;			/* FATAL_IN_RECOVERY waiting for a newer instance */
	uint32_t fir_after_instance;
	uint32_t fir_delay_ms;
	uint32_t fir_down_ms;
	uint64_t fir_due_ns;		/* triggered: when that instance dies */
	uint32_t fir_instance;

	struct mana_sim_stats stats;	/* counters; state fields are filled on read */

	/* Resolved by the engine at the start of each pass. */
	struct mana_hw_rss *pass_rss;	/* receive side of the live context, if any */
	bool pass_live;			/* UP with a live context */
	struct mana_hw_dev *pass_target; /* where this port's Tx goes */
};
TAILQ_HEAD(sim_dev_list, mana_hw_dev);

/* sim_dev.c */
extern pthread_mutex_t sim_lock;
extern RTE_ATOMIC(uint32_t) sim_lock_waiters;
extern struct sim_dev_list sim_devices;
extern struct sim_obj_list sim_objects;

int sim_get_device(const char *name, const char *args, struct mana_hw_dev **dev);
void sim_put_device(struct mana_hw_dev *dev);
bool sim_dev_valid(const struct mana_hw_dev *dev);
struct mana_hw_dev *sim_dev_lookup(const char *name);
int sim_dev_admit_open(struct mana_hw_dev *dev, uint64_t now);
void sim_dev_ctx_opened(struct mana_hw_dev *dev, struct mana_hw_ctx *ctx, uint64_t now);
void sim_dev_ctx_closed(struct mana_hw_dev *dev);
void sim_dev_advance(struct mana_hw_dev *dev, uint64_t now);
uint64_t sim_dev_next_deadline(const struct mana_hw_dev *dev);
int sim_dev_names(char (*names)[SIM_NAME_MAX], unsigned int max);
const char *sim_dev_state_name(enum mana_sim_dev_state state);

/* sim_args.c */
int sim_args_parse(const char *name, const char *args, struct sim_dev_conf *conf);
int sim_parse_u32(const char *s, uint32_t max, uint32_t *val);
int sim_parse_i32(const char *s, int32_t *val);

/* sim_ctx.c */
struct sim_obj *sim_obj_find(const void *handle, enum sim_obj_type type);
void sim_ctx_post_event(struct mana_hw_ctx *ctx, enum mana_hw_event event);
struct mana_hw_mr *sim_mr_lookup(const struct mana_hw_ctx *ctx, uint32_t lkey,
				 const struct mana_hw_pd *pd);

/* sim_engine.c */
int sim_engine_start(void);
void sim_engine_stop(void);
uint64_t sim_engine_sleep_count(void);

/* sim_pkt.c */
enum sim_l3 { SIM_L3_NONE = 0, SIM_L3_IPV4, SIM_L3_IPV6 };
enum sim_l4 { SIM_L4_NONE = 0, SIM_L4_TCP, SIM_L4_UDP };

struct sim_pkt_info {
	enum sim_l3 l3;
	enum sim_l4 l4;			/* TCP/UDP header present (not a fragment) */
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t l4_len;		/* L4 bytes according to the IP header */
	bool l4_complete;		/* the whole L4 segment is inside the frame */
};

/* Rx checksum verdict bits, positioned as in Rx completion OOB dword 1. */
#define SIM_RX_IP_CSUM_OK	(1u << 25)
#define SIM_RX_IP_CSUM_BAD	(1u << 26)
#define SIM_RX_TCP_CSUM_OK	(1u << 27)
#define SIM_RX_TCP_CSUM_BAD	(1u << 28)
#define SIM_RX_UDP_CSUM_OK	(1u << 29)
#define SIM_RX_UDP_CSUM_BAD	(1u << 30)

void sim_pkt_parse(const uint8_t *pkt, uint32_t len, struct sim_pkt_info *pi);
int sim_pkt_tx_offload(uint8_t *pkt, const struct sim_pkt_info *pi, bool ip_csum,
		       bool l4_csum, uint32_t l4_off_hint);
uint32_t sim_pkt_rx_csum_verdict(const uint8_t *pkt, const struct sim_pkt_info *pi);

/* sim_rss.c */
uint32_t sim_rss_hash(const struct mana_hw_rss *rss, const uint8_t *pkt,
		      const struct sim_pkt_info *pi, uint32_t *hash_type);

static inline uint64_t
sim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Taking sim_lock from a control path: announce the wait so the engine,
 * which otherwise re-takes the lock right after each pass, lets us in.
 */
static inline void
sim_lock_wait_announce(void)
{
	rte_atomic_fetch_add_explicit(&sim_lock_waiters, 1, rte_memory_order_relaxed);
}

static inline void
sim_lock_wait_done(void)
{
	rte_atomic_fetch_sub_explicit(&sim_lock_waiters, 1, rte_memory_order_relaxed);
}

#endif /* SIM_INTERNAL_H */
