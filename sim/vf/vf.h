/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef VF_H
#define VF_H

/*
 * Internals of the software MANA VF (libmana_sim.so), shared by its files
 * and nothing else.
 *
 * What it is: a library LD_PRELOADed into DPDK processes that provides the
 * libibverbs and libmana entry points a MANA PMD calls (vf_verbs.c) and a
 * sysfs tree DPDK's PCI bus and the ibv devices' ibdev_path point into
 * (vf_sysfs.c), and behind them a device: contexts, queues in the
 * application's memory, and an engine executing work requests (vf_engine.c).
 *
 * Processes. Every process of an application loads the library with the same
 * MANA_SIM and attaches to one instance: a directory <root>/<instance>
 * holding the sysfs tree and a shared state file (struct vf_shared) with the
 * life of each PCI function (up, down in a service reset, removed), its ibv
 * device names, netdev states, fault schedule progress and counters. The
 * process that opens the first ibv context runs the device ("owner"): its
 * engine thread serves the queues, which only contexts of the owner can
 * create. Lifecycle changes (faults, returns from reset) are applied to the
 * shared state by whichever process looks first, under the shared lock, at
 * the time they were due; the owner's engine then kills or revives its
 * contexts accordingly.
 *
 * Locks. vf_lock (process-local) guards the objects of this process and the
 * engine; the shared lock (robust, process-shared, in struct vf_shared)
 * guards struct vf_shared and the sysfs tree. Order: vf_lock, then the
 * shared lock. A process that dies holding the shared lock leaves it to the
 * next taker (EOWNERDEAD: the state is taken as it is).
 *
 * Sources of every rule the VF enforces are cited where it is enforced;
 * doc/guides/nics/mana.rst ("The software MANA VF") lists them.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <infiniband/verbs.h>
#include <infiniband/manadv.h>

#include <rte_log.h>

#include "mana_dpdk_compat.h"
#include "mana_sim.h"
#include "vf_config.h"

extern int vf_logtype;

#define VF_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, vf_logtype, "mana_sim: %s(): " fmt "\n", __func__, \
		##__VA_ARGS__)

/* What the library exports (it is built with hidden visibility). */
#define VF_EXPORT		__attribute__((visibility("default")))

#define VF_PAGE_SIZE		4096u
#define VF_NS_PER_MS		1000000ull
#define VF_TIME_NEVER		UINT64_MAX
#define VF_PROCS_MAX		128
#define VF_IBDEV_NAME_MAX	16
#define VF_EVENTS_MAX		16u
#define VF_RETA_MAX		64u	/* mana_ib: at most 64 indirection entries */
#define VF_QUEUE_ID_MASK	0xffffffu
#define VF_INVALID_QUEUE_ID	UINT32_MAX

/* What the emulated kernel and hardware report (notes: mana-contract.md, 1.2). */
#define VF_MAX_QP_WR		2048u	/* ETH device, current mana_ib */
#define VF_MAX_SEND_SGE		30u
#define VF_MAX_RECV_SGE		15u
#define VF_MAX_MR		4096u
#define VF_MAX_CQ		512u
#define VF_MAX_PD		0x6000u
#define VF_RDMA_CORE_LIMIT	256u	/* rdma-core < 49: providers/mana/mana.h */
#define VF_MAX_FRAME		9216u	/* largest frame the wire carries */
#define VF_MTU_MAX		9000u

/* GDMA encodings, decoded by the device with its own code (little-endian). */
#define VF_WQE_BU		32u
#define VF_SGE_SIZE		16u
#define VF_CQE_SIZE		64u
#define VF_CQE_DATA_DWORDS	15u
#define VF_DB_SQ		0x000u
#define VF_DB_RQ		0x400u
#define VF_DB_CQ		0x800u

/* CQE types (completion OOB dword 0 bits 0-5): Linux include/net/mana/mana.h. */
#define VF_CQE_RX_OKAY			1u
#define VF_CQE_RX_COALESCED_4		2u
#define VF_CQE_RX_TRUNCATED		4u
#define VF_CQE_TX_OKAY			32u
#define VF_CQE_TX_MTU_DROP		34u
#define VF_CQE_TX_INVALID_OOB		35u
#define VF_CQE_TX_HDR_PROCESSING_ERROR	37u
#define VF_CQE_TX_VPORT_DISABLED	40u

/* vendor_err values the device puts in error CQEs (its own convention). */
#define VF_VERR_BAD_SGE		1u
#define VF_VERR_SHORT_FRAME	2u
#define VF_VERR_BAD_WQE		3u
#define VF_VERR_BAD_L4_OFFSET	4u
#define VF_VERR_BAD_FORMAT	5u

/* Rx hash types: the class masks the hardware reports (DPDK net/mana mana.h). */
#define VF_HASH_L3		0x049u
#define VF_HASH_L4		0x1b6u

enum vf_fn_state {
	VF_FN_UP = 0,		/* present; the RAW device may be listed */
	VF_FN_DOWN,		/* in a service reset */
	VF_FN_REMOVED,		/* gone for good (hot-remove) */
};

/* ---- shared state (one file per instance, mapped by every process) ---- */

struct vf_proc_entry {
	int32_t pid;
	uint64_t start_time;		/* /proc/<pid>/stat starttime: pid reuse */
};

struct vf_fn_shared {
	uint32_t state;			/* enum vf_fn_state */
	uint32_t instance;		/* bumps every time the device comes back */
	uint32_t dead_instance;		/* the last instance that died (0: none) */
	uint64_t event_due_ns;		/* DEVICE_FATAL for dead_instance, VF_TIME_NEVER: none */
	uint32_t raw_index;		/* manae_<raw_index> */
	uint32_t rc_index;		/* mana_<rc_index> */
	bool raw_listed;		/* the RAW device is registered */
	bool rc_listed;
	uint64_t raw_up_at_ns;		/* DOWN: when each device comes back */
	uint64_t rc_up_at_ns;
	uint32_t next_sched;		/* first schedule entry not fired yet */
	int32_t fail_open;		/* opens still to fail, -1: every one */
	bool evdelay_armed;
	uint32_t evdelay_ms;
	bool fir_armed;			/* fatal in recovery: armed for a newer instance */
	uint32_t fir_after_instance;
	uint32_t fir_delay_ms;
	uint32_t fir_down_ms;
	uint64_t fir_due_ns;
	uint32_t fir_instance;
	int32_t fail_verb[MANA_SIM_VERB_MAX];	/* calls still to fail, -1: all */
	int32_t fail_verb_err[MANA_SIM_VERB_MAX];
	RTE_ATOMIC(uint32_t) objects;	/* verbs objects alive (stats) */
	bool port_up[VF_MAX_PORTS];	/* kernel netdev up (holds the vport) */
	uint32_t port_mtu[VF_MAX_PORTS];
	uint64_t vport_pd[VF_MAX_PORTS]; /* PD that claimed the vport (vf_pd.uid), 0: none */
	struct mana_sim_stats stats;
};

/* A context's doorbell file (cmd_fd), as every process's mmap() must know it. */
struct vf_db_file {
	uint64_t dev;
	uint64_t ino;
	uint32_t fn;
	uint32_t instance;		/* 0: free */
};
#define VF_DB_FILES		256u	/* most recent contexts; older entries are reused */

/*
 * A NETLINK_KOBJECT_UEVENT socket of some process, bound to group 1 (where
 * the kernel broadcasts uevents): vf_uevent.c.
 */
struct vf_uevent_listener {
	uint32_t id;			/* its address; 0: free slot */
};
#define VF_UEVENT_LISTENERS	64u

struct vf_shared {
	uint32_t magic;
	uint32_t version;
	pthread_mutex_t lock;
	char config[VF_CONFIG_TEXT_MAX];	/* MANA_SIM the instance was set up with */
	uint64_t created_ns;
	int32_t owner_pid;
	uint64_t owner_start;
	uint32_t next_uid;		/* unique object ids across processes */
	uint32_t next_raw_index;	/* rename=1: the next index handed out */
	uint32_t next_rc_index;
	RTE_ATOMIC(uint64_t) engine_sleeps;	/* idle sleeps of the owner's engine */
	RTE_ATOMIC(uint32_t) engine_kicks;	/* futex: a queue became ready (vf_engine_kick) */
	RTE_ATOMIC(uint32_t) engine_dozing;	/* in a sleep a kick should cut short */
	RTE_ATOMIC(uint64_t) device_lists;	/* ibv_get_device_list calls */
	RTE_ATOMIC(uint64_t) maps_text_reads;	/* range checks on the maps text */
	uint32_t next_db_file;
	struct vf_db_file db_files[VF_DB_FILES];
	struct vf_proc_entry procs[VF_PROCS_MAX];
	struct vf_fn_shared fn[VF_MAX_FNS];
	uint64_t uevent_seqnum;		/* the kernel's uevent_seqnum */
	uint64_t uevents_dropped;	/* a listener's queue was full */
	struct vf_uevent_listener uevent[VF_UEVENT_LISTENERS];
};

/* ---- process-local objects ---- */

enum vf_obj_type {
	VF_OBJ_CTX = 1,
	VF_OBJ_PD,
	VF_OBJ_MR,
	VF_OBJ_CQ,
	VF_OBJ_WQ,
	VF_OBJ_IND,
	VF_OBJ_QP,
};

struct vf_ctx;

/*
 * Every object handed to the application is on vf_objects, so a handle is
 * looked up before it is used: a stale, foreign or wrongly typed pointer gets
 * EINVAL instead of a crash.
 */
struct vf_obj {
	TAILQ_ENTRY(vf_obj) link;
	enum vf_obj_type type;
	struct vf_ctx *ctx;
	void *handle;			/* the verbs object given to the application */
};
TAILQ_HEAD(vf_obj_list, vf_obj);

/* The ibv devices of this process (never freed: ctx->device stays valid). */
struct vf_device {
	struct ibv_device dev;		/* what the application sees; must stay first */
	TAILQ_ENTRY(vf_device) link;
	uint32_t fn;
	bool rc;			/* the RC (RDMA) device, not the RAW one */
	uint32_t index;
	uint32_t instance;		/* the instance it was listed for */
	int num_comp_vectors;		/* fixed when the device is registered */
};
TAILQ_HEAD(vf_device_list, vf_device);

/* The doorbell page the engine watches, and where each queue stands on it. */
struct vf_ring {
	uint8_t *buf;
	uint32_t size;			/* bytes, power of two */
	uint32_t id;			/* GDMA queue id; VF_INVALID_QUEUE_ID before a QP */
	uint32_t tail;			/* producer byte offset from the last doorbell */
	uint32_t consumer;		/* engine's consumer byte offset */
	uint64_t clean_changes;		/* slot changes seen when nothing was unannounced */
	uint64_t suspect_ns;		/* unannounced WQEs since (0: none) */
	uint32_t suspect_end;		/* where they ended then */
	bool broken;			/* malformed WQE: no longer served */
};

struct vf_pd {
	struct ibv_pd ibv;		/* must stay first: handed out */
	struct vf_obj obj;
	struct vf_pd *parent;		/* parent domain: its protection domain */
	void *pd_context;
	uint64_t uid;
	uint32_t users;			/* objects created on it (EBUSY on dealloc) */
	uint32_t raw_qps;		/* vport claim: per PD (mana_ib main.c) */
	uint32_t port;			/* port of the claimed vport */
	uint32_t children;		/* parent domains over this PD */
	bool deallocated;		/* freed while parent domains still point here */
};

struct vf_mr {
	struct ibv_mr ibv;
	struct vf_obj obj;
	struct vf_pd *pd;
};

struct vf_cq {
	struct ibv_cq ibv;
	struct vf_obj obj;
	uint8_t *buf;
	uint32_t size;			/* bytes */
	uint32_t count;			/* requested cqe: the hardware's ring size */
	uint32_t id;
	uint32_t producer;		/* starts at count: owner bits of the first lap are 1 */
	uint32_t users;			/* QPs/WQs on it (EBUSY on destroy) */
	bool consumed;			/* handed to a hardware queue object */
	void *alloc_data;		/* allocator data at creation (for free) */
};

struct vf_wq {
	struct ibv_wq ibv;
	struct vf_obj obj;
	struct vf_pd *pd;
	struct vf_cq *cq;
	uint32_t max_wr;
	uint32_t ind_refs;		/* indirection tables naming it */
	bool consumed;			/* its region went to an RSS QP's hardware object */
	bool live;			/* served: its RSS QP exists */
	struct vf_ring ring;
	void *alloc_data;
};

struct vf_ind {
	struct ibv_rwq_ind_table ibv;
	struct vf_obj obj;
	uint32_t log_size;
	uint32_t qp_refs;
	struct vf_wq **wq;		/* as given: 1 << log_size entries (<= 8192) */
};

struct vf_qp {
	struct ibv_qp ibv;
	struct vf_obj obj;
	TAILQ_ENTRY(vf_qp) link_qp;	/* on its context's qps: served by the engine */
	struct vf_pd *pd;		/* the kernel's PD (a parent domain may go first) */
	uint32_t port;
	bool rss;
	/* RAW (send) QP */
	struct vf_cq *cq;
	uint32_t max_send_wr;
	uint32_t max_send_sge;
	uint32_t tx_vp_offset;
	struct vf_ring ring;
	void *alloc_data;
	/* RSS QP */
	struct vf_ind *ind;
	uint8_t key[40] __attribute__((aligned(8)));
	uint32_t reta_log;		/* the device's 64-entry table: ind entry j % n */
	uint64_t hash_fields;		/* kept, ignored by the device (mana_ib qp.c) */
};
TAILQ_HEAD(vf_qp_list, vf_qp);

struct vf_event {
	enum ibv_event_type type;
};

struct vf_ctx {
	struct verbs_context vctx;	/* vctx.context is the ibv_context handed out */
	struct vf_obj obj;
	TAILQ_ENTRY(vf_ctx) link;
	struct vf_device *device;
	uint32_t fn;
	bool rc;
	uint32_t instance;		/* device instance it is bound to */
	bool dead;			/* that instance died: nothing is served any more */
	bool revoked;			/* its doorbell page was zapped */
	bool fatal_posted;
	bool owner;			/* opened in the process running the device */
	struct manadv_ctx_allocators alloc;
	int db_fd;			/* memfd of the doorbell page (cmd_fd) */
	uint8_t *db_page;		/* the provider's own mapping of it */
	uint64_t db_seen[2];		/* last SQ and RQ slot values noticed */
	uint64_t db_changes[2];		/* slot changes noticed (recovery, see engine) */
	uint64_t db_after_death;	/* realistic mode: writes after revocation */
	int ev_pipe[2];			/* async_fd = ev_pipe[0] */
	int maps_fd;			/* /proc/self/maps for ib_umem_get's check, or -1 */
	pid_t maps_pid;			/* the process that opened maps_fd */
	struct vf_event events[VF_EVENTS_MAX];
	uint32_t ev_head, ev_count;
	struct vf_qp_list qps;		/* RAW and RSS QPs, served by the engine */
	uint32_t nb_mr;
};
TAILQ_HEAD(vf_ctx_list, vf_ctx);

/* vf_state.c */
extern struct vf_config vf_conf;
extern struct vf_shared *vf_sh;
extern pthread_mutex_t vf_lock;
extern RTE_ATOMIC(uint32_t) vf_lock_waiters;
extern struct vf_obj_list vf_objects;
extern struct vf_ctx_list vf_ctxs;
extern int vf_attach_error;		/* nonzero: the instance could not be used */

void vf_shared_lock(void);
void vf_shared_unlock(void);
uint64_t vf_now_ns(void);
uint32_t vf_uid(void);			/* shared lock held */
void vf_advance(uint64_t now);		/* shared lock held: fire due timers */
uint64_t vf_next_deadline(void);	/* shared lock held */
int vf_inject(uint32_t fn, const struct vf_fault *fault, uint64_t now); /* shared held */
int vf_claim_owner(void);		/* shared lock held: 0 if this process runs the VF */
bool vf_is_owner(void);
pid_t vf_self_pid(void);
int vf_verb_fault(uint32_t fn, enum mana_sim_verb verb);	/* shared held: errno or 0 */
int vf_set_netdev(uint32_t fn, uint32_t port, bool up, uint32_t mtu); /* shared held */
const char *vf_fn_state_name(uint32_t state);
void vf_ibdev_name(uint32_t fn, bool rc, uint32_t index, char *buf, size_t len);


/* vf_uevent.c: broadcast @action of function @fn to every listener. Shared lock held. */
void vf_uevent_emit(uint32_t fn, const char *action);
/* The uverbs node number of function @fn's RAW or RC ibv device. */
#define VF_UVERBS_INDEX(fn, rc)	((uint32_t)(fn) * 2u + ((rc) ? 1u : 0u))

/*
 * vf_uevent.c: broadcast @action ("add", "remove") of ibv device @ibdev of
 * function @fn - its infiniband class device, or with @verbs its uverbs
 * character device uverbs@uverbs. Shared lock held.
 */
void vf_uevent_emit_ibdev(uint32_t fn, const char *ibdev, uint32_t uverbs, bool verbs,
			  const char *action);

/* vf_verbs.c */
void vf_lock_take(void);		/* vf_lock for a control call (the engine yields) */
void vf_lock_release(void);
struct vf_obj *vf_obj_find(const void *handle, enum vf_obj_type type);
bool vf_ctx_instance_alive(const struct vf_ctx *ctx);	/* shared lock held */
void vf_ctx_post_event(struct vf_ctx *ctx, enum ibv_event_type type);
void vf_ctx_kill(struct vf_ctx *ctx);	/* vf_lock held */
struct vf_mr *vf_mr_lookup(const struct vf_ctx *ctx, uint32_t lkey);

/* vf_netdev.c */
bool vf_netdev_find(const char *ifname, uint32_t *fn, uint32_t *port);

/* vf_mmap.c */
void vf_db_file_register(int fd, uint32_t fn, uint32_t instance);

/* vf_engine.c */
int vf_engine_start(void);
void vf_engine_stop(void);
void vf_engine_kick(void);

/* vf_pkt.c */
enum vf_l3 { VF_L3_NONE = 0, VF_L3_IPV4, VF_L3_IPV6 };
enum vf_l4 { VF_L4_NONE = 0, VF_L4_TCP, VF_L4_UDP };

struct vf_pkt_info {
	enum vf_l3 l3;
	enum vf_l4 l4;
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t l4_len;
	bool l4_complete;
};

#define VF_RX_IP_CSUM_OK	(1u << 25)
#define VF_RX_IP_CSUM_BAD	(1u << 26)
#define VF_RX_TCP_CSUM_OK	(1u << 27)
#define VF_RX_TCP_CSUM_BAD	(1u << 28)
#define VF_RX_UDP_CSUM_OK	(1u << 29)
#define VF_RX_UDP_CSUM_BAD	(1u << 30)

void vf_pkt_parse(const uint8_t *pkt, uint32_t len, struct vf_pkt_info *pi);
/* Tx offload requests of the short OOB (vf_pkt_tx_offload). */
#define VF_TXCS_IP		(1u << 0)	/* comp_iphdr_csum */
#define VF_TXCS_IPV4		(1u << 1)	/* is_outer_ipv4 */
#define VF_TXCS_TCP		(1u << 2)	/* comp_tcp_csum */
#define VF_TXCS_UDP		(1u << 3)	/* comp_udp_csum */
int vf_pkt_tx_offload(uint8_t *pkt, uint32_t len, uint32_t flags, uint32_t trans_off);
uint32_t vf_pkt_rx_csum_verdict(const uint8_t *pkt, const struct vf_pkt_info *pi);

/* vf_rss.c: Toeplitz hash over the fields the packet has (the kernel ignores the mask). */
uint32_t vf_rss_hash(const struct vf_qp *rss, const uint8_t *pkt, const struct vf_pkt_info *pi,
		     uint32_t *hash_type);

/* The protection domain a QP's memory keys belong to (a parent domain's PD). */
static inline struct vf_pd *
vf_qp_base_pd(const struct vf_qp *qp)
{
	return qp->pd->parent != NULL ? qp->pd->parent : qp->pd;
}

static inline uint64_t
vf_ms_after(uint64_t at, uint32_t ms)
{
	return at + (uint64_t)ms * VF_NS_PER_MS;
}

#endif /* VF_H */
