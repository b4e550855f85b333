/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_H
#define MANA_H

/*
 * Data layout of net_mana_mpr.
 *
 * Shared by every process (hugepage memory, same address everywhere):
 *   struct mana_priv    dev->data->dev_private: state word, saved
 *                       configuration, process registry, MR table, stats.
 *   struct mana_rxq/txq dev->data->rx_queues[] / tx_queues[]: rings, descriptor
 *                       state and the per-queue burst guard.
 * Private to one process:
 *   struct mana_fast    mana_fast[port]: the three words a burst needs (the
 *                       state word value that allows bursts here, this
 *                       process's doorbell mapping, its guard tag).
 *   struct mana_local   dev->process_private: locks, doorbell mapping
 *                       bookkeeping and, in the primary, every hardware
 *                       handle (pointers to rdma-core objects, mana_hw.h).
 */

#include <stdbool.h>
#include <stdint.h>

#include <ethdev_driver.h>
#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "mana_dpdk_compat.h"
#include "mana_gdma.h"
#include "mana_hw.h"
#include "mana_lock.h"
#include "mana_log.h"

#define PCI_VENDOR_ID_MICROSOFT		0x1414
#define PCI_DEVICE_ID_MICROSOFT_MANA	0x00ba	/* VF */
#define PCI_DEVICE_ID_MICROSOFT_MANA_PF	0x00b9

#define MANA_MAX_QUEUES		64
#define MANA_MAX_PROCS		64	/* registry slots; slot 0 is the primary */
#define MANA_MR_MAX		256
#define MANA_MR_CACHE_N		8
#define MANA_RETA_SIZE		(1u << MANA_HW_RETA_LOG_MAX)
#define MANA_MIN_DESC		64
#define MANA_DEFAULT_DESC	256	/* upstream's default ring size */
#define MANA_MIN_RX_BUF_SIZE	1024
#define MANA_MAX_MTU		9000	/* as upstream reports it */
#define MANA_MAX_RX_PKTLEN	(MANA_MAX_MTU + RTE_ETHER_HDR_LEN)
#define MANA_MAX_MAC_ARGS	8	/* mac= devargs, as upstream */

/* Coarse state of a port, as every process sees it. */
enum mana_dev_state {
	MANA_DEV_INIT = 0,	/* never matches a burst word */
	MANA_DEV_STOPPED,	/* device open, data path stopped */
	MANA_DEV_ACTIVE,	/* started: bursts allowed */
	MANA_DEV_RESETTING,	/* a reset is in progress (see mana_priv.reset.phase) */
	MANA_DEV_FAILED,	/* recovery failed or device removed */
	MANA_DEV_CLOSED,
};

/*
 * The state word: state in the low 8 bits, doorbell generation above.
 * A process may run a burst only while the shared word equals its own
 * mana_fast.burst_word = (generation of its mapping, ACTIVE), so one load
 * and one compare cover "started", "not resetting" and "my doorbell
 * mapping is current".
 */
#define MANA_STATE_BITS	8

static inline uint64_t
mana_state_word(uint32_t generation, enum mana_dev_state state)
{
	return ((uint64_t)generation << MANA_STATE_BITS) | (uint64_t)state;
}

static inline enum mana_dev_state
mana_word_state(uint64_t word)
{
	return (enum mana_dev_state)(word & ((1u << MANA_STATE_BITS) - 1));
}

static inline uint32_t
mana_word_generation(uint64_t word)
{
	return (uint32_t)(word >> MANA_STATE_BITS);
}

const char *mana_state_name(enum mana_dev_state state);

/* Phases of a reset (mana_reset.c has the table). */
enum mana_reset_phase {
	MANA_PHASE_NONE = 0,
	MANA_PHASE_QUIESCE,
	MANA_PHASE_UNMAP,
	MANA_PHASE_TEARDOWN,
	MANA_PHASE_WAIT_HW,
	MANA_PHASE_REOPEN,
	MANA_PHASE_REMAP,
	MANA_PHASE_REBUILD,
	MANA_PHASE_RESUME,
	MANA_PHASE_MAX,
};

const char *mana_phase_name(enum mana_reset_phase phase);

/* Timeouts and bounds (devargs). */
struct mana_devargs {
	uint32_t ack_timeout_ms;	/* per broadcast round */
	uint32_t quiesce_timeout_ms;	/* waiting for queues to leave their bursts */
	uint32_t recovery_timeout_ms;	/* waiting for the device to come back */
	uint32_t recovery_poll_ms;	/* cap of the backoff between looks for it */
	uint32_t request_timeout_ms;	/* secondary -> primary requests */
	uint32_t max_reset_restarts;	/* fatal events during one recovery */
	uint32_t max_reset_retries;	/* failed reopens/rebuilds retried in one recovery */
	/* mac=: the ports to probe (none: every port). */
	uint32_t nb_macs;
	struct rte_ether_addr macs[MANA_MAX_MAC_ARGS];
};

/* One process in the registry (written by the primary unless noted). */
enum mana_proc_state {
	MANA_PROC_FREE = 0,
	MANA_PROC_ATTACHED,
	MANA_PROC_EVICTED,	/* stopped answering; not waited for */
};

struct mana_proc_slot {
	int32_t pid;
	uint32_t state;			/* enum mana_proc_state */
	uint64_t start_time;		/* /proc/<pid>/stat starttime: detects pid reuse */
	uint64_t attached_ns;
	RTE_ATOMIC(uint32_t) db_generation;	/* doorbell mapped; written by the process itself */
	uint32_t last_msg;		/* type of the last message it answered */
	int32_t last_result;
	uint32_t missed_acks;
	/* The primary's messages to it (mana_mp_send_slots()). */
	RTE_ATOMIC(uint32_t) msgs_sent;
	RTE_ATOMIC(uint32_t) msgs_dropped;	/* its queue was full, or its socket gone */
	uint64_t last_answer_ns;
	uint64_t last_latency_ns;	/* broadcast to answer, last round */
	/* The last answers to the reset's two broadcasts. */
	int32_t unmap_result;
	uint32_t unmap_generation;
	uint64_t unmap_latency_ns;
	int32_t remap_result;
	uint32_t remap_generation;
	uint64_t remap_latency_ns;
};

/* A memory registration: [start, end) and its key. */
struct mana_mr_entry {
	uintptr_t start;
	uintptr_t end;
	uint32_t lkey;
};

/* The same, in the shared table (read by every process under a seqlock). */
struct mana_mr_shared_entry {
	RTE_ATOMIC(uintptr_t) start;
	RTE_ATOMIC(uintptr_t) end;
	RTE_ATOMIC(uint32_t) lkey;
};

/*
 * Memory registrations, shared so every process can look up keys. Entries
 * are unordered: a dropped one takes the last one's place.
 */
struct mana_mr_table {
	RTE_ATOMIC(uint32_t) seq;	/* seqlock: odd while the primary writes */
	RTE_ATOMIC(uint32_t) count;
	struct mana_mr_shared_entry entries[MANA_MR_MAX];
	/* "table full" logged since the last drop: by whichever process saw it. */
	RTE_ATOMIC(uint32_t) full_reported;
	RTE_ATOMIC(uint64_t) reclaimed;	/* ranges dropped (primary, under mr_lock) */
	RTE_ATOMIC(uint64_t) refused;	/* registrations refused: table full */
};

/*
 * Per-queue cache of recent translations (owned by the queue's poller).
 * Valid while @gen equals the port's mr_gen (see struct mana_state_line).
 */
struct mana_mr_cache {
	uint32_t next;
	uint32_t gen;
	struct mana_mr_entry entries[MANA_MR_CACHE_N];
};

struct mana_reset_stats {
	/* The present, kept by an xstats reset: the reset's logic reads it. */
	RTE_ATOMIC(uint32_t) phase;	/* enum mana_reset_phase, current */
	/* History and counters, from last_error to the end: cleared by an xstats reset. */
	int32_t last_error;
	uint64_t started;
	uint64_t succeeded;
	uint64_t failed;
	uint64_t restarts;		/* fatal event during recovery */
	uint64_t retries;		/* reopen/rebuild failed, retried */
	uint64_t removals;
	uint64_t evictions;
	uint64_t dead_procs;
	/* Evictions by any broadcast round, by reason. */
	uint64_t evictions_cannot_run;	/* stopped or traced */
	uint64_t evictions_deadline;	/* running but silent at the round's deadline */
	/* Answer latency of UNMAP_DB/REMAP_DB rounds (RFC 6298 estimator). */
	uint64_t ack_srtt_ns;
	uint64_t ack_rttvar_ns;
	uint64_t ack_samples;		/* rounds measured */
	uint64_t last_unmap_round_us;	/* UNMAP_DB sent to every answer in */
	uint64_t last_remap_round_us;
	uint64_t quiesce_waits;		/* queues found inside a burst */
	uint64_t quiesce_timeouts;
	uint64_t quiesce_stopped_owners;	/* queues whose burst owner could not run */
	uint64_t mbufs_leaked;		/* kept out of a mempool a dead process wedged */
	uint64_t ring_shortfalls;	/* rebuilds refused: no ring buffer kept for them */
	uint64_t quarantine_shortfalls;	/* stuck queues left in place: no spare kept */
	uint64_t last_phase_us[MANA_PHASE_MAX];
	uint64_t last_total_us;		/* fatal event to resume */
	uint64_t last_hw_down_us;	/* time spent waiting for the device */
	RTE_ATOMIC(uint64_t) last_event_ns;	/* CLOCK_MONOTONIC of the last fatal event */
};

struct mana_queue_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors;
	uint64_t nombuf;
};

struct mana_gdma_queue {
	uint8_t *buf;
	uint32_t count;		/* WQ/SQ: 32-byte units; CQ: entries */
	uint32_t size;		/* bytes */
	uint32_t id;
	uint32_t head;		/* WQ/SQ: units posted; CQ: next entry (starts at count) */
	uint32_t tail;		/* WQ/SQ: units completed */
	uint32_t log_count;	/* CQ: log2(count) */
};

struct mana_desc {
	struct rte_mbuf *mbuf;
	uint32_t wqe_units;
	bool cqe;		/* Tx: the WQE asked for a completion */
};

/*
 * The burst guard. The poller stores its process tag in @busy when it
 * enters a burst and clears it on exit; plain stores, no fence (see
 * mana_guard.h for why that is enough).
 */
struct mana_rxq {
	RTE_ATOMIC(uint32_t) busy;
	uint16_t port_id;
	uint16_t queue_id;
	struct mana_gdma_queue rq;
	struct mana_gdma_queue cq;
	struct mana_desc *desc;
	uint32_t nb_desc;
	uint32_t desc_mask;
	uint32_t desc_head;	/* posted */
	uint32_t desc_tail;	/* completed */
	uint32_t buf_len;
	bool vlan_strip;	/* RTE_ETH_RX_OFFLOAD_VLAN_STRIP, at start */
	/*
	 * A completion whose packets did not all fit into the caller's burst:
	 * packet_info[backlog_next..] go first to the next burst (0: none).
	 */
	uint8_t backlog_next;
	struct mana_rx_comp_oob backlog;
	struct rte_mempool *mp;
	struct mana_priv *priv;
	struct mana_mr_cache mr_cache;
	struct mana_queue_stats stats;
	int socket;
	bool quarantined;	/* stuck poller, no spare: out of use in its slot */
};

struct mana_txq {
	RTE_ATOMIC(uint32_t) busy;
	uint16_t port_id;
	uint16_t queue_id;
	struct mana_gdma_queue sq;
	struct mana_gdma_queue cq;
	struct mana_desc *desc;
	uint32_t nb_desc;
	uint32_t desc_mask;
	uint32_t desc_head;
	uint32_t desc_tail;
	uint32_t vport_offset;
	uint32_t max_sge;
	/*
	 * Tx CQE suppression: WQEs posted since the last one that asked for a
	 * completion; a CQE names its WQE by offset in the ring, in basic
	 * units (tx_wqe_offset), @wqe_mask wraps it.
	 */
	uint32_t unsignalled;
	uint32_t wqe_mask;
	uint32_t max_wqe_units;	/* of a WQE of max_sge SGEs and the long OOB */
	uint64_t tx_oob;	/* the queue's short OOB fields: CQ, SQ frame, vport offset */
	bool long_oob;		/* vport offset too big for the short Tx OOB */
	bool fast_free;		/* RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE */
	struct mana_priv *priv;
	struct mana_mr_cache mr_cache;
	struct mana_queue_stats stats;
	uint64_t mr_drops;	/* dropped: no memory registration left for the buffer */
	uint64_t cqe_mismatches;	/* CQEs naming no WQE expected (never on hardware) */
	int socket;
	bool quarantined;	/* stuck poller, no spare: out of use in its slot */
};

/*
 * @mr_gen changes whenever a memory registration is dropped: every queue's
 * cache of keys is then stale. It shares the state word's line, which every
 * burst reads anyway, and is written only when a range goes.
 */
struct __rte_cache_aligned mana_state_line {
	RTE_ATOMIC(uint64_t) word;
	RTE_ATOMIC(uint32_t) mr_gen;
};

/* dev->data->dev_private: shared hugepage memory. */
struct mana_priv {
	struct mana_state_line state;	/* own cache line: read by every burst */

	uint16_t port_id;
	uint16_t nb_queues;		/* Rx == Tx */
	/*
	 * ethdev's queue arrays as of the last start or close (primary): what
	 * secondaries poll and quiesce without reading dev->data, which ethdev
	 * zeroes (and since 23.07 frees) when the primary releases the port.
	 */
	void **rx_queues;
	void **tx_queues;
	uint16_t nb_rx_queues;
	uint16_t nb_tx_queues;
	bool started;			/* the application started the port */
	RTE_ATOMIC(uint32_t) db_generation;	/* of the current doorbell page */
	uint32_t db_region_size;	/* one page: the context's doorbell page */
	int32_t barrier_cmd;		/* primary's membarrier command, -1: none */
	char hw_name[RTE_DEV_NAME_MAX_LEN];
	struct mana_devargs args;
	struct mana_hw_caps caps;

	/*
	 * Saved configuration: what a rebuild after reset needs. reta[] has a
	 * period of nb_queues (what the device can express, see
	 * mana_reta_update()): reta[0..nb_queues - 1] is the indirection table.
	 */
	uint8_t rss_key[MANA_HW_RSS_KEY_LEN];
	uint64_t rss_hf;
	uint16_t reta[MANA_RETA_SIZE];

	struct mana_proc_slot procs[MANA_MAX_PROCS];
	uint64_t registry_deaths;	/* slots of dead processes reclaimed */
	struct mana_mr_table mr;
	struct mana_reset_stats reset;
};

/* What a burst reads from its own process. */
struct __rte_cache_aligned mana_fast {
	RTE_ATOMIC(uint64_t) burst_word;	/* mana_state_word(mapped generation, ACTIVE) */
	uint8_t *db_base;	/* this process's doorbell mapping */
	uint32_t busy_tag;	/* registry slot + 1 */
};

extern struct mana_fast mana_fast[RTE_MAX_ETHPORTS];

struct mana_mp_round;
struct mana_reset_ctl;

/*
 * Ring buffers of the device queues (the provider's allocator, primary
 * only), kept across resets: a reset takes the rings it rebuilds from here,
 * never from the DPDK heap, whose lock a dead process may hold. Filled on
 * the control path (dev_start): one spare per ring in use, for a queue
 * quarantined in a reset, whose rings are retired (never handed out again:
 * the stuck poller may still write them). Caller holds ctl_lock.
 */
#define MANA_RING_BUFS		(MANA_MAX_QUEUES * 8)

enum mana_ring_state {
	MANA_RING_EMPTY,
	MANA_RING_FREE,		/* kept, available */
	MANA_RING_USED,		/* a queue of the device has it */
	MANA_RING_USED_RETIRE,	/* used; retired when the device gives it back */
	MANA_RING_RETIRED,	/* a quarantined queue's: until the quarantine ends */
};

struct mana_ring_pool {
	struct {
		void *buf;
		size_t size;
		int socket;
		enum mana_ring_state state;
	} bufs[MANA_RING_BUFS];
	bool may_grow;		/* control path: the heap may be used */
};

/* dev->process_private. */
struct mana_local {
	struct rte_eth_dev *dev;
	/*
	 * Process-local copies of what dev->data holds: the primary's release
	 * of the port zeroes or frees dev->data under a late secondary, so
	 * secondary-side paths use these. priv stays valid for as long as this
	 * process is attached (mana_close_primary leaves it to secondaries
	 * that have not let go of the port).
	 */
	struct mana_priv *priv;
	uint16_t port_id;
	uint32_t request_timeout_ms;	/* secondary: for requests once priv may be gone */
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_ether_addr mac;
	int slot;			/* registry slot of this process */

	/* This process's doorbell mapping. */
	struct mana_mutex map_lock;
	uint32_t db_generation;		/* 0: nothing mapped */
	size_t db_len;

	uint32_t db_revoked;		/* highest generation told to unmap */
	/*
	 * Secondary, under mana_mp_lock: told ERR_RECOVERING and not yet the
	 * outcome. An evicted process is sent no outcome: it finds it itself.
	 */
	bool recovering;
	bool outcome_found;		/* it found the last outcome itself */
	bool recovery_watched;		/* mana_mp_recovery_watch() is armed */
	RTE_ATOMIC(bool) test_keep_doorbell;	/* fault injection: ignore UNMAP_DB */

	/* Primary only below. */
	RTE_ATOMIC(uint32_t) *published;	/* the port's entry for secondaries */
	struct mana_hw_dev *hw_dev;
	struct mana_hw_ctx *ctx;
	struct mana_hw_pd *pd;
	struct mana_hw_rss *rss;
	struct mana_hw_cq *rx_cq[MANA_MAX_QUEUES];
	struct mana_hw_wq *rx_wq[MANA_MAX_QUEUES];
	struct mana_hw_cq *tx_cq[MANA_MAX_QUEUES];
	struct mana_hw_sq *tx_sq[MANA_MAX_QUEUES];
	struct mana_hw_mr *mr[MANA_MR_MAX];
	struct rte_intr_handle *intr;

	/*
	 * Software state of queues whose poller was stuck inside a burst when
	 * the data path was torn down: replaced, kept until their poller has
	 * left (looked at by dev_start and close).
	 */
	struct {
		void *queue;
		bool is_tx;
	} quarantine[MANA_MAX_QUEUES];
	unsigned int nb_quarantined;
	/*
	 * The replacement of each queue for a quarantine, allocated on the
	 * control path (dev_start): a quarantine happens in a stop or a reset,
	 * where the DPDK heap lock may be held by a dead process.
	 */
	struct mana_rxq *spare_rxq[MANA_MAX_QUEUES];
	struct mana_txq *spare_txq[MANA_MAX_QUEUES];

	struct mana_ring_pool rings;
	uint64_t deaths_seen;		/* registry_deaths at the end of the last reset */

	/* Serialises control operations and reset phases. */
	struct mana_mutex ctl_lock;
	/* Serialises writers of the shared MR table. */
	struct mana_mutex mr_lock;
	/* Serialises writers of the registry. */
	struct mana_mutex registry_lock;

	struct mana_mp_round *round;	/* broadcast bookkeeping (mp/) */
	struct mana_reset_ctl *reset;	/* reset thread (mana_reset.c) */
};

static inline struct mana_local *
mana_local(const struct rte_eth_dev *dev)
{
	return dev->process_private;
}

static inline struct mana_priv *
mana_priv(const struct rte_eth_dev *dev)
{
	return dev->data->dev_private;
}

static inline uint64_t
mana_state_load(const struct mana_priv *priv)
{
	return rte_atomic_load_explicit(&priv->state.word, rte_memory_order_acquire);
}

/* mana_ethdev.c */
bool mana_dev_is_mana(const struct rte_eth_dev *dev);
int mana_state_set(struct mana_priv *priv, uint32_t generation, enum mana_dev_state state);
void mana_set_burst_functions(struct rte_eth_dev *dev, bool running);
void mana_dev_gone_secondary(struct mana_local *lp);
void mana_test_close_wait_set(uint16_t port_id, uint32_t timeout_ms);
void mana_link_set(struct rte_eth_dev *dev, bool up);

/* mana_devargs.c */
int mana_devargs_parse(const char *args, struct mana_devargs *out);
void mana_devargs_default(struct mana_devargs *out);
int mana_parse_dec_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* mana_doorbell.c: this process's mapping of the doorbell page. */
int mana_db_map(struct rte_eth_dev *dev, int fd, uint32_t generation, size_t len);
int mana_db_unmap(struct rte_eth_dev *dev, uint32_t generation);

/* mana_reset.c (see mana_reset.h) */
bool mana_reset_doorbell_available(struct rte_eth_dev *dev);

/* mana_queue.c: building and tearing down the data path in the device. */
int mana_queues_create(struct rte_eth_dev *dev, bool at_start);
void mana_ring_pool_fini(struct mana_ring_pool *pool);
int mana_port_mtu_set(struct rte_eth_dev *dev, uint16_t mtu);
int mana_port_mtu_apply(struct rte_eth_dev *dev);
void mana_queues_destroy(struct rte_eth_dev *dev);
void mana_queues_release_mbufs(struct rte_eth_dev *dev);
struct mana_quiesce_result;
int mana_queues_quiesce(struct rte_eth_dev *dev, struct mana_quiesce_result *q);
int mana_queues_spares_fill(struct rte_eth_dev *dev);
void mana_queues_spares_free(struct rte_eth_dev *dev);
void mana_queues_reap_quarantine(struct rte_eth_dev *dev);
bool mana_quarantine_end(struct rte_eth_dev *dev, void *queue, bool is_tx);

/* mana_rx.c / mana_tx.c */
int mana_rx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_idx, uint16_t nb_desc,
			unsigned int socket_id, const struct rte_eth_rxconf *conf,
			struct rte_mempool *mp);
void mana_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid);
int mana_tx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_idx, uint16_t nb_desc,
			unsigned int socket_id, const struct rte_eth_txconf *conf);
void mana_tx_queue_release(struct rte_eth_dev *dev, uint16_t qid);
int mana_rxq_post_all(struct mana_rxq *rxq);
struct mana_pool_check;
unsigned int mana_rxq_drain(struct mana_rxq *rxq, struct mana_pool_check *chk);
unsigned int mana_txq_drain(struct mana_txq *txq, struct mana_pool_check *chk);
bool mana_pool_check_put(struct mana_pool_check *chk, struct rte_mempool *mp);
void mana_pool_deaths_seen(struct rte_eth_dev *dev);
void mana_rxq_free(struct mana_rxq *rxq);
void mana_txq_free(struct mana_txq *txq);
struct mana_rxq *mana_rxq_alloc_like(const struct mana_rxq *old);
struct mana_txq *mana_txq_alloc_like(const struct mana_txq *old);
void mana_rxq_clone(struct mana_rxq *rxq, const struct mana_rxq *old);
void mana_txq_clone(struct mana_txq *txq, const struct mana_txq *old);
uint16_t mana_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n);
uint16_t mana_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t n);
uint16_t mana_rx_burst_fenced(void *rxq, struct rte_mbuf **pkts, uint16_t n);
uint16_t mana_tx_burst_fenced(void *txq, struct rte_mbuf **pkts, uint16_t n);
uint16_t mana_rx_burst_stopped(void *rxq, struct rte_mbuf **pkts, uint16_t n);
uint16_t mana_tx_burst_stopped(void *txq, struct rte_mbuf **pkts, uint16_t n);

/* mana_mr.c */
int mana_mr_register_mempool(struct rte_eth_dev *dev, struct rte_mempool *mp);
int mana_mr_register_range(struct rte_eth_dev *dev, uintptr_t addr, size_t len);
unsigned int mana_mr_drop_range(struct rte_eth_dev *dev, uintptr_t addr, size_t len);
int mana_mr_track_port(struct rte_eth_dev *dev);
void mana_mr_untrack_port(struct rte_eth_dev *dev);
int mana_mr_rebuild(struct rte_eth_dev *dev);
void mana_mr_release_all(struct rte_eth_dev *dev, bool forget);
void mana_mr_set_pd(struct rte_eth_dev *dev, struct mana_hw_pd *pd);
/* MANA_LKEY_INVALID with rte_errno: EFAULT not DPDK memory, else why registering failed. */
uint32_t mana_mr_lookup_slow(struct mana_priv *priv, struct mana_mr_cache *cache,
			     const struct rte_mbuf *mbuf, uintptr_t addr, uint32_t len);
void mana_mr_cache_flush(struct mana_mr_cache *cache);

/* mana_telemetry.c / mana_xstats.c */
int mana_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
			  unsigned int size);
int mana_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n);
int mana_xstats_reset(struct rte_eth_dev *dev);

#endif /* MANA_H */
