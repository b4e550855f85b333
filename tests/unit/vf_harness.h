/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef VF_HARNESS_H
#define VF_HARNESS_H

/*
 * What the device tests (test_vf.c) and the contract tests
 * (test_vf_contract.c) of the software MANA VF share: the VF's fault and
 * counter functions looked up with dlsym(), the ibv devices of a PCI
 * function, verbs objects, a port brought up as the PMD brings it up
 * (drivers/net/mana/mana_verbs.c, mana_queue.c), WQEs, doorbells and CQEs
 * built and parsed with the driver's GDMA definitions (mana_gdma.h), test
 * frames, and this binary re-executed as a child with its own MANA_SIM.
 *
 * The binaries link only libibverbs and libmana; the VF is preloaded.
 *
 * Conventions, unless a function says otherwise:
 *  - a function returning a pointer returns NULL with errno set on failure;
 *  - a function returning bool returns false on failure, and prints why on
 *    stdout, indented by four spaces, when the caller could not know;
 *  - sizes are in bytes, times in milliseconds (t_now_ns: nanoseconds),
 *    ports are 1-based ibv port numbers, queue numbers are 0-based;
 *  - waits poll their condition against a deadline (T_WAIT_MS).
 * Nothing here is thread-safe except the allocators (called by the VF) and
 * the port's data path functions on distinct queues.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <infiniband/manadv.h>
#include <infiniband/verbs.h>

#include <rte_common.h>

#include "sim/mana_sim.h"
#include "drivers/net/mana/mana_gdma.h"

#define T_PAGE		4096u	/* queue buffers are page-aligned */
#define T_DB_PAGE	4096u	/* rdma-core providers/mana: one doorbell page per context */
#define T_WAIT_MS	5000u	/* the deadline of a wait */
#define T_MAX_Q		8	/* queues of each direction of a t_port */
#define T_BUF_SIZE	2048u	/* a packet buffer */
#define T_SLOTS		512u	/* buffers per queue: one is reused T_SLOTS WQEs later */

/* vendor_part_id: the GDMA device type (Linux include/net/mana/gdma.h). */
#define T_PART_RAW	2	/* GDMA_DEVICE_MANA: the Ethernet device, manae_N */
#define T_PART_RC	3	/* GDMA_DEVICE_MANA_IB: the RC device, mana_N */

/* Rx hash types: the class masks the hardware reports (DPDK net/mana mana.h). */
#define T_HASH_L3	0x049u
#define T_HASH_L4	0x1b6u	/* MANA_HASH_L4 */

/* Every IPv4/IPv6 and TCP/UDP field an RSS QP can ask for. */
#define T_ALL_FIELDS (IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4 | IBV_RX_HASH_SRC_IPV6 | \
		      IBV_RX_HASH_DST_IPV6 | IBV_RX_HASH_SRC_PORT_TCP | \
		      IBV_RX_HASH_DST_PORT_TCP | IBV_RX_HASH_SRC_PORT_UDP | \
		      IBV_RX_HASH_DST_PORT_UDP)

/* Offset of the sequence number in a UDP/IPv4 frame of t_frame() without a VLAN tag. */
#define T_UDP4_SEQ_OFF	(14 + 20 + 8)

/* A check that ends the test: prints the place and the message, then goto out. */
#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		printf("    %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		goto out; \
	} \
} while (0)

/* The well-known default Toeplitz key (40 bytes, rdma-core and mana_ib take no other). */
extern const uint8_t t_rss_key[40];

/* The functions of sim/mana_sim.h, from the preloaded library (t_harness_init). */
extern mana_sim_inject_t t_inject;
extern mana_sim_get_stats_t t_get_stats;
extern mana_sim_set_netdev_t t_set_netdev;

/*
 * Look up the functions of sim/mana_sim.h in the preloaded VF and remember
 * how children are made: @prog is their argv[0], @instance the start of
 * their MANA_SIM instance name. False if the VF is not loaded.
 */
bool t_harness_init(const char *prog, const char *instance);

/* ------------------------------------------------------------------ */
/* Time and text                                                       */
/* ------------------------------------------------------------------ */

uint64_t t_now_ns(void);		/* CLOCK_MONOTONIC */
uint64_t t_now_ms(void);

/* Let other threads (the device's engine) run between two polls of a condition. */
void t_poll_pause(void);

/* Copy @src into @dst of @len bytes (> 0), truncated and always terminated. */
void t_strlcpy(char *dst, const char *src, size_t len);

/* The first line of file @path, without its newline, in @buf of @len bytes. */
bool t_read_line(const char *path, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Queue buffers (manadv_set_context_attr allocators)                  */
/* ------------------------------------------------------------------ */

/*
 * The allocators, of the type of struct manadv_ctx_allocators; @data is
 * unused. Each one records the size asked for (t_bufs_last) and counts the
 * buffers it hands out and takes back (t_bufs_outstanding).
 */
void *t_buf_alloc(size_t size, void *data);	/* page-aligned and zeroed, as rte_zmalloc */
void t_buf_free(void *ptr, void *data);
void *t_buf_alloc_none(size_t size, void *data);	/* always NULL: out of memory */
void *t_buf_alloc_misaligned(size_t size, void *data);	/* 64 bytes past a page start */
void t_buf_free_misaligned(void *ptr, void *data);

/* Buffers handed out and not taken back, over every context. */
int64_t t_bufs_outstanding(void);
/* The size of the last buffer asked for since t_bufs_last_reset() (0: none). */
size_t t_bufs_last(void);
void t_bufs_last_reset(void);

/* Set the allocators of @ctx (NULL, NULL: none); the manadv_set_context_attr() result. */
int t_set_alloc(struct ibv_context *ctx, void *(*alloc)(size_t, void *),
		void (*free_fn)(void *, void *));
/* t_buf_alloc and t_buf_free. */
int t_set_allocators(struct ibv_context *ctx);

/* ------------------------------------------------------------------ */
/* ibv devices of a PCI function                                       */
/* ------------------------------------------------------------------ */

/* The PCI function of @dev: PCI_SLOT_NAME in <ibdev_path>/device/uevent (d25 mana.c:988-1018). */
bool t_dev_bdf(const struct ibv_device *dev, char *bdf, size_t len);

/*
 * Which ibv devices of PCI function @bdf one fresh device list has, by the
 * name prefixes of mana_ib: the RAW one (manae_N) in *@raw, its name in
 * @raw_name; the RC one (mana_N) in *@rc, its name in @rc_name. The names
 * (either may be NULL) are @len bytes each. Both false if there is no list.
 */
void t_listed(const char *bdf, bool *raw, bool *rc, char *raw_name, char *rc_name, size_t len);

/*
 * Open the ibv device of PCI function @bdf whose vendor_part_id is @part
 * (T_PART_RAW, also with raw packet capabilities, or T_PART_RC), as DPDK
 * does: every device of the function found by PCI_SLOT_NAME is opened and
 * queried, the right one kept (d25 mana.c:1475-1506). Its ibv_device in
 * *@devp if @devp is not NULL. NULL with errno set (ENODEV: none) on failure.
 */
struct ibv_context *t_open(const char *bdf, int part, struct ibv_device **devp);

/* The RAW device of @bdf (t_open) with the allocators of t_set_allocators(). */
struct ibv_context *t_open_raw(const char *bdf);

/* Wait up to @timeout_ms for an async event on @ctx (made non-blocking); its type or -1. */
int t_wait_event(struct ibv_context *ctx, int timeout_ms);

/* The kernel netdev of ibv port @port: <ibdev_path>/device/net/<if>/dev_port == port - 1. */
bool t_port_ifname(struct ibv_context *ctx, uint8_t port, char *ifname, size_t len);

/* ------------------------------------------------------------------ */
/* Verbs objects                                                       */
/* ------------------------------------------------------------------ */

/* A parent domain of @pd whose pd_context is @port (IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT). */
struct ibv_pd *t_parent(struct ibv_context *ctx, struct ibv_pd *pd, uint32_t port);

/* A CQ of @cqe entries, no channel, vector 0. */
struct ibv_cq *t_cq(struct ibv_context *ctx, int cqe);

/* A RAW packet QP on @pd sending into @cq, of @wr WQEs of @sge SGEs (t_raw_qp: 64 x 1). */
struct ibv_qp *t_raw_qp_sz(struct ibv_pd *pd, struct ibv_cq *cq, uint32_t wr, uint32_t sge);
struct ibv_qp *t_raw_qp(struct ibv_pd *pd, struct ibv_cq *cq);

/* A receive WQ on @pd completing into @cq, of @wr WQEs of @sge SGEs (t_wq: 64 x 1). */
struct ibv_wq *t_wq_sz(struct ibv_context *ctx, struct ibv_pd *pd, struct ibv_cq *cq,
		       uint32_t wr, uint32_t sge);
struct ibv_wq *t_wq(struct ibv_context *ctx, struct ibv_pd *pd, struct ibv_cq *cq);

/* An indirection table of 2^@log entries over @wqs. */
struct ibv_rwq_ind_table *t_ind(struct ibv_context *ctx, struct ibv_wq **wqs, uint32_t log);

/* An RSS QP on @pd over @ind: Toeplitz with t_rss_key, hash fields @fields (IBV_RX_HASH_*). */
struct ibv_qp *t_rss_qp_mask(struct ibv_context *ctx, struct ibv_pd *pd,
			     struct ibv_rwq_ind_table *ind, uint64_t fields);

/* ------------------------------------------------------------------ */
/* A port as the PMD sets it up                                        */
/* ------------------------------------------------------------------ */

struct t_ring {			/* send queue or receive WQ as the driver sees it */
	uint8_t *buf;
	uint32_t size;			/* bytes, a power of two */
	uint32_t id;
	uint32_t head;			/* basic units posted, free-running */
	uint8_t *db;			/* its doorbell slot in the mapped page */
};

struct t_cq {
	uint8_t *buf;
	uint32_t count;			/* the cqe asked for */
	uint32_t id;
	uint32_t head;			/* starts at count */
};

struct t_rxq {
	struct ibv_cq *cq_obj;
	struct ibv_wq *wq_obj;
	struct t_cq cq;
	struct t_ring rq;
	uint32_t depth;			/* max_wr */
	uint64_t posted;		/* receive WQEs posted */
	uint64_t done;			/* receive WQEs completed */
	uint32_t bu[T_SLOTS];		/* BU offset of each posted WQE */
	uint8_t *bufs;			/* T_SLOTS buffers of T_BUF_SIZE */
};

struct t_txq {
	struct ibv_cq *cq_obj;
	struct ibv_qp *qp;
	struct t_cq cq;
	struct t_ring sq;
	uint32_t tx_vp_offset;
	uint32_t max_sge;
	uint64_t posted;
	uint8_t *bufs;			/* T_SLOTS buffers of T_BUF_SIZE */
};

struct t_port {
	const char *bdf;
	uint8_t port;
	struct ibv_context *ctx;
	struct ibv_device_attr_ex attr;
	uint8_t *db_map;		/* mmap of cmd_fd, as a secondary process maps it */
	void *db_page;			/* what manadv_init_obj reports */
	struct ibv_pd *pd;		/* memory registrations */
	struct ibv_pd *pdom;		/* parent domain: queues, carries the port */
	struct ibv_mr *mr;		/* of the whole pool */
	uint32_t lkey;
	uint8_t *pool;			/* the buffers of every queue */
	size_t pool_size;
	unsigned int n_rxq, n_txq;
	struct t_rxq rxq[T_MAX_Q];
	struct t_txq txq[T_MAX_Q];
	struct ibv_rwq_ind_table *ind;
	struct ibv_qp *rss;
	uint32_t reta_n;
	unsigned int reta[64];		/* receive queue of each table entry */
};

struct t_port_conf {
	const char *bdf;
	uint8_t port;			/* 0: 1 */
	unsigned int n_rxq, n_txq;	/* up to T_MAX_Q each; n_rxq a power of two */
	uint32_t rx_desc, tx_desc;	/* WQEs (and CQEs) of each queue */
	uint32_t tx_sge;		/* 0: 1 */
	bool rss;			/* indirection table and RSS QP over the Rx queues */
	bool reta_reversed;		/* table entry i -> queue n - 1 - i */
	uint64_t hash_fields;		/* of the RSS QP */
};

/*
 * Device, context, doorbell mapping, PD and parent domain, allocators, MR
 * over a pool of T_SLOTS buffers per queue, Tx queues (CQ, RAW QP,
 * manadv_init_obj), Rx CQs and WQs, then with @c->rss the table, the RSS QP
 * and manadv_init_obj of the Rx queues (DPDK mana.c dev_start, tx.c, rx.c
 * order). What manadv_init_obj reports is checked. NULL (printed) on failure.
 */
struct t_port *t_port_open(const struct t_port_conf *c);

/* Destroy in the PMD's order (QPs, table, WQs and CQs, MR, PDs), close, unmap; NULL is fine. */
void t_port_close(struct t_port *p);

/* Buffer @seq (modulo T_SLOTS) of receive or send queue @q. */
uint8_t *t_rx_buf(struct t_port *p, unsigned int q, uint64_t seq);
uint8_t *t_tx_buf(struct t_port *p, unsigned int q, uint64_t seq);

/*
 * Write a WQE the way the driver does: @oob of @oob_len bytes (8 or 24 with
 * padding) and @n_sge SGEs (0: one dummy SGE), header last. Returns its
 * offset in the ring in basic units (GDMA_WQE_BU); no doorbell.
 */
uint32_t t_post_wqe(struct t_ring *q, const void *oob, uint32_t oob_len,
		    const struct gdma_sge *sges, uint32_t n_sge);

/* Announce everything posted: one 64-bit store after a write barrier (DPDK gdma.c). */
void t_ring(struct t_ring *q);

/* Poll up to @max CQEs into @out with the owner-bit rule (DPDK gdma.c); -1 on overflow. */
int t_poll_cq(struct t_cq *cq, struct gdma_cqe *out, int max);

/* The short Tx OOB of send queue @q as the PMD fills it (DPDK tx.c). */
void t_tx_oob(const struct t_port *p, unsigned int q, struct mana_tx_short_oob *oob);

/* Post up to @n receive WQEs of @buf_len bytes, key @lkey (one SGE each, as room permits); ring. */
void t_rx_post(struct t_port *p, unsigned int q, unsigned int n, uint32_t buf_len, uint32_t lkey);

/* Fill every receive queue of @p with buffers of T_BUF_SIZE. */
void t_rx_fill(struct t_port *p);

/*
 * Copy @frame of @len bytes into the next send buffer of SQ @q and post it
 * (one SGE) with @oob_in of @oob_len bytes (NULL: t_tx_oob()); no doorbell.
 * Returns the WQE's offset in basic units.
 */
uint32_t t_tx_post(struct t_port *p, unsigned int q, const uint8_t *frame, uint32_t len,
		   const void *oob_in, uint32_t oob_len);

/* Wait for @want Tx completions on SQ @q, all of type @type; their WQE offsets in @bu. */
bool t_tx_wait(struct t_port *p, unsigned int q, unsigned int want, uint32_t type,
	       uint32_t *bu);

/* One received packet: one WQE, completed alone or with others in one CQE. */
struct t_rx_pkt {
	unsigned int queue;
	uint32_t cqe_type;
	uint32_t cqe_pkts;		/* packets its CQE completed */
	uint32_t index;			/* its place in that CQE */
	uint32_t wq_num;
	struct mana_rx_comp_oob oob;
	uint32_t len;
	uint32_t hash;
	const uint8_t *buf;		/* the receive buffer of its WQE */
	uint32_t wqe_bu;
};

/*
 * Take the completions of receive queue @q: a CQE of type RX_OKAY completes
 * one packet, RX_COALESCED_4 up to four (packet_info until a zero length),
 * each in the next posted WQE; any other type consumes one WQE (DPDK
 * rx.c). Returns the packets taken (at most @max), -1 on a malformed CQE.
 */
int t_rx_poll(struct t_port *p, unsigned int q, struct t_rx_pkt *out, unsigned int max);

/* Collect exactly @want received packets over all receive queues of @p. */
bool t_rx_collect(struct t_port *p, struct t_rx_pkt *out, unsigned int want);

/*
 * Nothing more arrives on any CQ of @p. Absence cannot be polled for: give
 * the engine 20 ms (hundreds of passes) to misbehave, then look once.
 */
bool t_cqs_quiet(struct t_port *p);

/* ------------------------------------------------------------------ */
/* Frames                                                              */
/* ------------------------------------------------------------------ */

struct t_flow {
	bool v6;
	uint8_t proto;			/* IPPROTO_UDP (0 too), IPPROTO_TCP or another */
	bool frag;			/* IPv4: a first fragment (MF set) */
	uint32_t src4, dst4;		/* host order */
	uint8_t src6[16], dst6[16];
	uint16_t sport, dport;		/* host order */
	uint16_t vlan_tci;		/* with vlan: an 802.1Q tag in the frame */
	bool vlan;
};

/* Whether the hardware hashes @fl by its L4 ports too (TCP or UDP, not a fragment). */
bool t_flow_l4(const struct t_flow *fl);

/*
 * Build an Ethernet[/802.1Q]/IPv4-or-IPv6/UDP-or-TCP-or-other frame of @fl
 * in @f with valid checksums and @payload_len bytes of payload; the sequence
 * number @seq is the first 4 bytes after the L4 header (after the L3 header
 * for another protocol). Returns its length.
 */
uint32_t t_frame(uint8_t *f, const struct t_flow *fl, uint32_t payload_len, uint32_t seq);

/* The sequence number at offset @off of frame @f. */
uint32_t t_frame_seq(const uint8_t *f, uint32_t off);

/* UDP/IPv4 flow @i: 10.0.i/16 -> 192.168.1.1, port 1000 + 13 i -> 4791. */
struct t_flow t_udp4_flow(unsigned int i);

/* What rte_softrss() gives for @fl with t_rss_key, the way DPDK applications predict it. */
uint32_t t_softrss(const struct t_flow *fl);

/* ------------------------------------------------------------------ */
/* Processes                                                           */
/* ------------------------------------------------------------------ */

/* Reap @pid within @timeout_ms (killed after it, printed); false on timeout. */
bool t_wait_child(pid_t pid, unsigned int timeout_ms, int *status);

/*
 * Another process image: this binary, re-executed as "--child @name [@arg]"
 * with MANA_SIM="instance=<instance>_<name>_<pid>;<items>" (and this
 * process's root=, if any), or with this process's MANA_SIM when @items is
 * NULL (a second process of this instance). Its pid, or -1.
 */
pid_t t_spawn_child(const char *name, const char *items, const char *arg);

/* Wait for a child of t_spawn_child() (-1: false): passes if it exits with 0. */
bool t_child_ok(pid_t pid, const char *name, unsigned int timeout_ms);

/*
 * t_spawn_child() without @arg, then t_child_ok(); a child given @items (an
 * instance of its own) has that instance's directory removed afterwards.
 */
bool t_run_child(const char *name, const char *items, unsigned int timeout_ms);

/* Remove @dir and everything below it (nftw, depth first). */
void t_rm_tree(const char *dir);

/*
 * A forked child that writes @value into the SQ doorbell slot of @map when
 * the parent says so (t_db_child_go). It touches nothing but that page: no
 * lock of the VF is taken in a child of a multi-threaded process. Its pid
 * and the write end of its pipe in *@go_fd, or -1.
 */
pid_t t_db_child_start(uint8_t *map, uint64_t value, int *go_fd);

/* Tell the child to write, close @go_fd and take its exit status within T_WAIT_MS. */
bool t_db_child_go(pid_t pid, int go_fd, int *status);

/* One case of a test binary: passes when @fn returns true. */
struct t_case {
	const char *name;
	bool (*fn)(void);
};

/*
 * Run the @n @cases whose names start with one of the command-line
 * arguments (all without any), each as "PASS|FAIL <name> (<ms> ms)", then
 * "<passed> of <run> <what> passed". Calls @before (if any) before each.
 * The exit status: 0 when at least one ran and none failed, else 1.
 */
int t_run_cases(const struct t_case *cases, unsigned int n, int argc, char **argv,
		const char *what, void (*before)(void));

#endif /* VF_HARNESS_H */
