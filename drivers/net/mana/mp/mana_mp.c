/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The multi-process protocol of net_mana_mpr (message catalogue in
 * mana_mp_msg.h). This file owns both ends: the primary's request handlers
 * and broadcast rounds, and the secondaries' broadcast handlers and
 * requests. Every handler validates the message against the catalogue, then
 * the port, then the process, and answers a bad message with an error.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <rte_alarm.h>
#include <rte_cycles.h>

#include <rte_eal.h>
#include <rte_memory.h>

#include "mana_mp.h"
#include "../mana_defer.h"
#include "../mana_event.h"
#include "../mana_guard.h"
#include "../mana_reset.h"

#define MANA_MP_LIVENESS_SLICE_NS	2000000ull	/* look for peers that cannot run every 2 ms */
/*
 * The adaptive deadline of UNMAP_DB and REMAP_DB (see
 * mana_mp_round_timeout()): never below this floor. A healthy secondary's
 * interrupt thread may have to wait for a CPU: on 2 vCPUs with 16 polling
 * secondaries, EEVDF's base slice (kernel/sched/fair.c: 0.75 ms scaled by
 * 1 + ilog2(ncpus), 1.5 ms here) times 8 runnable tasks per CPU is 12 ms,
 * plus a 4 ms tick (HZ=250) for the wake-up to be seen: 16 ms. 25 ms keeps
 * a margin above that, and is CFS's sched_latency (12 ms on 2 CPUs) twice.
 */
#define MANA_MP_RTO_FLOOR_MS		25
/* Answer rounds measured before the deadline adapts (until then: ack_timeout_ms). */
#define MANA_MP_RTO_MIN_SAMPLES		4
#define MANA_MP_MAX_REGION		(16u << 20)
#define MANA_MP_RESYNC_DELAY_US		1000
#define MANA_MP_RESYNC_BACKOFF_MAX_US	1000000	/* a failed one is retried up to 1 s apart */
#define MANA_MP_RECOVERY_WATCH_US	20000	/* see mana_mp_recovery_watch() */

const struct mana_mp_spec mana_mp_specs[MANA_MP_TYPE_MAX] = {
	[MANA_MP_ATTACH] = { "ATTACH", sizeof(struct mana_mp_attach_req),
			     sizeof(struct mana_mp_attach_rep), 0, 1 },
	[MANA_MP_DETACH] = { "DETACH", sizeof(struct mana_mp_detach_req),
			     sizeof(struct mana_mp_status), 0, 1 },
	[MANA_MP_REG_MR] = { "REG_MR", sizeof(struct mana_mp_reg_mr_req),
			     sizeof(struct mana_mp_status), 0, 1 },
	[MANA_MP_START_RXTX] = { "START_RXTX", sizeof(struct mana_mp_bcast), 0, 0, 0 },
	[MANA_MP_STOP_RXTX] = { "STOP_RXTX", sizeof(struct mana_mp_bcast), 0, 0, 0 },
	[MANA_MP_UNMAP_DB] = { "UNMAP_DB", sizeof(struct mana_mp_bcast), 0, 0, 0 },
	[MANA_MP_REMAP_DB] = { "REMAP_DB", sizeof(struct mana_mp_bcast), 0, 1, 0 },
	[MANA_MP_PORT_CLOSED] = { "PORT_CLOSED", sizeof(struct mana_mp_bcast), 0, 0, 0 },
	[MANA_MP_EVENT] = { "EVENT", sizeof(struct mana_mp_event), 0, 0, 0 },
	[MANA_MP_ACK] = { "ACK", sizeof(struct mana_mp_ack), 0, 0, 1 },
	[MANA_MP_DEREG_MR] = { "DEREG_MR", sizeof(struct mana_mp_reg_mr_req),
			       sizeof(struct mana_mp_status), 0, 1 },
};

/* State of the current broadcast of one port (primary). */
struct mana_mp_round {
	struct mana_mutex lock;
	struct mana_cond cond;
	uint32_t seq;
	uint16_t type;
	bool open;
	uint64_t sent_ns;
	uint64_t expected;
	uint64_t answered;
	uint64_t failed;
	uint64_t max_latency_ns;	/* slowest successful answer of an expected process */
};

/* Test hook: the next message this secondary handles waits this long. */
static RTE_ATOMIC(uint32_t) mana_mp_test_stall_ms[RTE_MAX_ETHPORTS];

/*
 * Ports this process serves over rte_mp. Handlers look a port up here and
 * keep mana_mp_lock while they use it, so closing a port (which removes it)
 * cannot free its state under a running handler.
 */
static struct mana_mutex mana_mp_lock;
static struct mana_local *mana_mp_ports[RTE_MAX_ETHPORTS];
static unsigned int mana_mp_nb_ports;
/*
 * Primary: its action stays registered once registered. A secondary that
 * closes its port after the primary closed its last one (it kept the port,
 * or was frozen meanwhile) must get its DETACH answered (-ENODEV) at once:
 * without an action EAL answers nothing and the request times out.
 */
static bool mana_mp_primary_registered;
/* Primary: EAL's rte_mp socket (mana_mp_bound_sends()), -1: not found. */
static int mana_mp_eal_fd = -1;
/* Secondary: EAL keys pending requests by peer and name, so one at a time. */
static struct mana_mutex mana_mp_request_lock;
/* Secondary: a re-synchronisation with the primary is scheduled. */
static bool mana_mp_resync_armed[RTE_MAX_ETHPORTS];
/* A refused burst asked for mana_mp_behind_check() (see mana_mp_burst_refused()). */
static RTE_ATOMIC(bool) mana_mp_behind_hint[RTE_MAX_ETHPORTS];
/* Secondary: wait before the next try of a failed re-synchronisation, armed. */
static uint32_t mana_mp_resync_backoff_us[RTE_MAX_ETHPORTS];
static bool mana_mp_resync_retry[RTE_MAX_ETHPORTS];
/* Secondary: a PORT_CLOSED not answered yet (answered once released). */
static bool mana_mp_port_gone_pending[RTE_MAX_ETHPORTS];
static struct mana_mp_hdr mana_mp_port_gone_req[RTE_MAX_ETHPORTS];

RTE_INIT(mana_mp_locks_init)
{
	mana_mutex_init(&mana_mp_lock);
	mana_mutex_init(&mana_mp_request_lock);
}

static void mana_mp_test_stall(const struct mana_mp_hdr *hdr);

static const char *
mana_mp_type_name(unsigned int type)
{
	if (type == 0 || type >= MANA_MP_TYPE_MAX)
		return "INVALID";
	return mana_mp_specs[type].name;
}

int
mana_mp_validate(const struct rte_mp_msg *msg, int at_primary, const char **why)
{
	const struct mana_mp_hdr *hdr = (const struct mana_mp_hdr *)msg->param;
	const struct mana_mp_spec *spec;

	if (msg->len_param < (int)sizeof(*hdr) || msg->len_param > RTE_MP_MAX_PARAM_LEN) {
		*why = "length is not that of any message";
		return -EINVAL;
	}
	if (hdr->magic != MANA_MP_MAGIC || hdr->version != MANA_MP_VERSION) {
		*why = "bad magic or version";
		return -EPROTO;
	}
	if (hdr->type == MANA_MP_INVALID || hdr->type >= MANA_MP_TYPE_MAX) {
		*why = "unknown message type";
		return -EINVAL;
	}
	spec = &mana_mp_specs[hdr->type];
	if (!!spec->to_primary != !!at_primary) {
		*why = "message type not accepted by this process type";
		return -EINVAL;
	}
	if (msg->len_param != spec->len) {
		*why = "wrong length for its type";
		return -EINVAL;
	}
	if (msg->num_fds != spec->fds) {
		*why = "wrong number of file descriptors for its type";
		return -EINVAL;
	}
	if (hdr->port_id >= RTE_MAX_ETHPORTS) {
		*why = "port id out of range";
		return -EINVAL;
	}
	if (hdr->pid <= 0) {
		*why = "bad sender pid";
		return -EINVAL;
	}
	return 0;
}

/* Close the descriptors a message carried (the receiver owns them). */
static void
mana_mp_close_fds(const struct rte_mp_msg *msg)
{
	int i;

	for (i = 0; i < msg->num_fds && i < RTE_MP_MAX_FD_NUM; i++)
		if (msg->fds[i] >= 0)
			close(msg->fds[i]);
}

static void
mana_mp_hdr_init(struct rte_mp_msg *msg, const char *action, enum mana_mp_type type,
		 uint16_t port_id, size_t len)
{
	struct mana_mp_hdr *hdr = (struct mana_mp_hdr *)msg->param;

	memset(msg, 0, sizeof(*msg));
	strlcpy(msg->name, action, sizeof(msg->name));
	msg->len_param = (int)len;
	hdr->magic = MANA_MP_MAGIC;
	hdr->version = MANA_MP_VERSION;
	hdr->type = type;
	hdr->port_id = port_id;
	hdr->pid = getpid();
}

/* The port's state in this process, or NULL. Caller holds mana_mp_lock. */
static struct mana_local *
mana_mp_port(uint16_t port_id) __mana_requires(&mana_mp_lock)
{
	if (port_id >= RTE_MAX_ETHPORTS)
		return NULL;
	return mana_mp_ports[port_id];
}

/* ------------------------------------------------------------------ */
/* Primary side: requests from secondaries.                            */

static int
mana_mp_reply_status(const struct rte_mp_msg *req, const void *peer, int32_t result,
		     size_t len)
{
	const struct mana_mp_hdr *in = (const struct mana_mp_hdr *)req->param;
	struct rte_mp_msg reply __rte_aligned(8);
	struct mana_mp_hdr *out = (struct mana_mp_hdr *)reply.param;
	uint16_t type = MANA_MP_INVALID;
	uint16_t port = 0;
	uint32_t seq = 0;

	if (req->len_param >= (int)sizeof(*in)) {
		type = in->type;
		port = in->port_id;
		seq = in->seq;
	}
	mana_mp_hdr_init(&reply, MANA_MP_ACTION_PRIMARY, type, port, len);
	out->seq = seq;
	out->result = result;
	return rte_mp_reply(&reply, peer);
}

static void
mana_mp_on_attach(const struct rte_mp_msg *msg, const void *peer)
{
	const struct mana_mp_attach_req *req = (const void *)msg->param;
	struct rte_mp_msg reply __rte_aligned(8);
	struct mana_mp_attach_rep *rep = (struct mana_mp_attach_rep *)reply.param;
	struct mana_local *lp;
	struct rte_eth_dev *dev;
	struct mana_priv *priv;
	int32_t result = 0;
	int slot, ret;

	mana_mp_hdr_init(&reply, MANA_MP_ACTION_PRIMARY, MANA_MP_ATTACH, req->hdr.port_id,
			 sizeof(*rep));
	rep->hdr.seq = req->hdr.seq;

	mana_mutex_lock(&mana_mp_lock);
	lp = mana_mp_port(req->hdr.port_id);
	if (lp == NULL) {
		result = -ENODEV;
		goto reply;
	}
	dev = lp->dev;
	priv = lp->priv;
	/* Closing: a new member would not be in the PORT_CLOSED round. */
	if (mana_word_state(mana_state_load(priv)) == MANA_DEV_CLOSED) {
		result = -ENODEV;
		goto reply;
	}
	if (req->start_time == 0 || mana_proc_start_time(req->hdr.pid) != req->start_time) {
		MP_LOG(ERR, "port %u: ATTACH from pid %d does not match a live process",
		       req->hdr.port_id, req->hdr.pid);
		result = -ESRCH;
		goto reply;
	}
	slot = mana_registry_attach(dev, req->hdr.pid, req->start_time);
	if (slot < 0) {
		MP_LOG(ERR, "port %u: no registry slot for pid %d", req->hdr.port_id,
		       req->hdr.pid);
		result = slot;
		goto reply;
	}
	rep->slot = slot;
	rep->db_region_size = priv->db_region_size;
	/*
	 * Decide and answer under registry_lock: the reset moves to REMAP under
	 * it, so we either hand out the new doorbell or are in REMAP's snapshot;
	 * and no teardown can close the context we hand out meanwhile.
	 */
	mana_mutex_lock(&lp->registry_lock);
	if (mana_reset_doorbell_available(dev)) {
		rep->hdr.generation = priv->db_generation;
		reply.num_fds = 1;
		reply.fds[0] = mana_hw_doorbell_fd(lp->ctx);
	}
	rep->hdr.result = 0;
	ret = rte_mp_reply(&reply, peer);
	mana_mutex_unlock(&lp->registry_lock);
	if (ret != 0) {
		MP_LOG(ERR, "port %u: ATTACH reply to pid %d failed", req->hdr.port_id,
		       req->hdr.pid);
		mana_registry_detach(dev, slot, req->hdr.pid);
	} else {
		MP_LOG(INFO, "port %u: pid %d attached as slot %d (doorbell generation %u)",
		       req->hdr.port_id, req->hdr.pid, slot, rep->hdr.generation);
	}
	mana_mutex_unlock(&mana_mp_lock);
	return;
reply:
	rep->hdr.result = result;
	rte_mp_reply(&reply, peer);
	mana_mutex_unlock(&mana_mp_lock);
}

static void
mana_mp_on_detach(const struct rte_mp_msg *msg, const void *peer)
{
	const struct mana_mp_detach_req *req = (const void *)msg->param;
	struct mana_local *lp;
	int32_t result = 0;

	mana_mutex_lock(&mana_mp_lock);
	lp = mana_mp_port(req->hdr.port_id);
	if (lp == NULL) {
		result = -ENODEV;
	} else if (req->slot <= 0 || req->slot >= MANA_MAX_PROCS) {
		result = -EINVAL;
	} else {
		mana_registry_detach(lp->dev, req->slot, req->hdr.pid);
		/* Closing: the secondary must not count on ethdev's shared data. */
		if (mana_word_state(mana_state_load(lp->priv)) == MANA_DEV_CLOSED)
			result = -ENODEV;
	}
	mana_mutex_unlock(&mana_mp_lock);
	mana_mp_reply_status(msg, peer, result, sizeof(struct mana_mp_status));
}

static void
mana_mp_on_reg_mr(const struct rte_mp_msg *msg, const void *peer)
{
	const struct mana_mp_reg_mr_req *req = (const void *)msg->param;
	struct mana_local *lp;
	int32_t result;

	mana_mutex_lock(&mana_mp_lock);
	lp = mana_mp_port(req->hdr.port_id);
	if (lp == NULL) {
		result = -ENODEV;
	} else if (req->len == 0 || req->addr == 0 || req->addr + req->len < req->addr ||
		   req->len > lp->priv->caps.max_mr_size) {
		result = -EINVAL;
	} else if (rte_mem_virt2memseg_list((void *)(uintptr_t)req->addr) == NULL ||
		   rte_mem_virt2memseg_list((void *)(uintptr_t)req->addr) !=
		   rte_mem_virt2memseg_list((void *)(uintptr_t)(req->addr + req->len - 1))) {
		/* Only DPDK memory can be shared with the device: all of the range. */
		result = -EFAULT;
	} else if (!mana_reset_doorbell_available(lp->dev)) {
		result = -EBUSY;
	} else {
		result = mana_mr_register_range(lp->dev, (uintptr_t)req->addr,
						(size_t)req->len);
	}
	mana_mutex_unlock(&mana_mp_lock);
	mana_mp_reply_status(msg, peer, result, sizeof(struct mana_mp_status));
}

/*
 * A secondary frees a mempool: drop the registrations of its chunk. Allowed
 * in any state, a reset included (the rebuild then leaves the range out);
 * only exact registered ranges go, so a bad request drops nothing.
 */
static void
mana_mp_on_dereg_mr(const struct rte_mp_msg *msg, const void *peer)
{
	const struct mana_mp_reg_mr_req *req = (const void *)msg->param;
	struct mana_local *lp;
	int32_t result = 0;

	mana_mutex_lock(&mana_mp_lock);
	lp = mana_mp_port(req->hdr.port_id);
	if (lp == NULL)
		result = -ENODEV;
	else if (req->len == 0 || req->addr == 0 || req->addr + req->len < req->addr)
		result = -EINVAL;
	else if (mana_mr_drop_range(lp->dev, (uintptr_t)req->addr, (size_t)req->len) == 0)
		result = -ENOENT;
	mana_mutex_unlock(&mana_mp_lock);
	mana_mp_reply_status(msg, peer, result, sizeof(struct mana_mp_status));
}

static void
mana_mp_on_ack(const struct rte_mp_msg *msg)
{
	const struct mana_mp_ack *ack = (const void *)msg->param;
	struct mana_mp_round *round;
	struct mana_local *lp;
	uint64_t bit, latency = 0;
	bool counted = false;
	int slot = ack->slot;

	mana_mutex_lock(&mana_mp_lock);
	lp = mana_mp_port(ack->hdr.port_id);
	if (lp == NULL || lp->round == NULL || slot <= 0 || slot >= MANA_MAX_PROCS ||
	    lp->priv->procs[slot].pid != ack->hdr.pid) {
		MP_LOG(WARNING, "port %u: ACK from pid %d slot %d does not name a member",
		       ack->hdr.port_id, ack->hdr.pid, slot);
		goto out;
	}
	round = lp->round;
	bit = UINT64_C(1) << slot;
	mana_mutex_lock(&round->lock);
	if (round->open && round->seq == ack->hdr.seq && round->type == ack->acked_type &&
	    !(round->answered & bit)) {
		round->answered |= bit;
		if (ack->hdr.result != 0)
			round->failed |= bit;
		latency = mana_now_ns() - round->sent_ns;
		/*
		 * Only healthy answers measure the deadline: in time, from a
		 * process still waited for, successful. A process evicted
		 * earlier (or seen stopped) answering now says nothing of how
		 * fast healthy ones are.
		 */
		if ((round->expected & bit) && ack->hdr.result == 0)
			round->max_latency_ns = RTE_MAX(round->max_latency_ns, latency);
		counted = true;
		/* The waiter has nothing to do before the last answer (or its next slice). */
		if ((round->expected & ~round->answered) == 0)
			mana_cond_broadcast(&round->cond);
	}
	mana_mutex_unlock(&round->lock);
	if (!counted)
		MP_LOG(INFO, "port %u: late ACK %s seq %u from pid %d: %d", ack->hdr.port_id,
		       mana_mp_type_name(ack->acked_type), ack->hdr.seq, ack->hdr.pid,
		       ack->hdr.result);
	/* Late answers count too: a late REMAP_DB success re-admits its sender. */
	mana_registry_note_answer(lp->dev, slot, ack->acked_type, ack->hdr.result,
				  ack->hdr.generation, latency);
out:
	mana_mutex_unlock(&mana_mp_lock);
}

/*
 * The pid in a secondary's socket name (<runtime dir>/mp_socket_<pid>_<n>),
 * or 0: the sender a message really came from.
 */
static int32_t
mana_mp_peer_pid(const void *peer)
{
	const char *name = strrchr(peer, '/');
	long pid;
	char *end;

	name = name != NULL ? name + 1 : peer;
	if (strncmp(name, "mp_socket_", 10) != 0)
		return 0;
	pid = strtol(name + 10, &end, 10);
	if (*end != '_' || pid <= 0 || pid > INT32_MAX)
		return 0;
	return (int32_t)pid;
}

static int
mana_mp_primary_dispatch(const struct rte_mp_msg *msg, const void *peer)
{
	const struct mana_mp_hdr *hdr = (const struct mana_mp_hdr *)msg->param;
	const char *why = NULL;
	int ret;

	ret = mana_mp_validate(msg, 1, &why);
	if (ret == 0 && hdr->pid != mana_mp_peer_pid(peer)) {
		why = "sender pid does not match the socket it came from";
		ret = -EPERM;
	}
	if (ret != 0) {
		MP_LOG(ERR, "rejected message (len %d, fds %d): %s", msg->len_param,
		       msg->num_fds, why);
		mana_mp_close_fds(msg);
		/* Answer requests so the sender does not wait; ACKs are one-way. */
		if (msg->len_param < (int)sizeof(*hdr) || hdr->type != MANA_MP_ACK)
			mana_mp_reply_status(msg, peer, ret, sizeof(struct mana_mp_status));
		return 0;
	}
	switch (hdr->type) {
	case MANA_MP_ATTACH:
		mana_mp_on_attach(msg, peer);
		break;
	case MANA_MP_DETACH:
		mana_mp_on_detach(msg, peer);
		break;
	case MANA_MP_REG_MR:
		mana_mp_on_reg_mr(msg, peer);
		break;
	case MANA_MP_DEREG_MR:
		mana_mp_on_dereg_mr(msg, peer);
		break;
	case MANA_MP_ACK:
		mana_mp_on_ack(msg);
		break;
	default:
		break;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Secondary side: broadcasts from the primary.                        */

static void
mana_mp_send_ack(const struct mana_mp_hdr *req, int slot, int32_t result)
{
	struct rte_mp_msg msg __rte_aligned(8);
	struct mana_mp_ack *ack = (struct mana_mp_ack *)msg.param;

	mana_mp_hdr_init(&msg, MANA_MP_ACTION_PRIMARY, MANA_MP_ACK, req->port_id, sizeof(*ack));
	ack->hdr.seq = req->seq;
	ack->hdr.generation = req->generation;
	ack->hdr.result = result;
	ack->acked_type = req->type;
	ack->slot = slot;
	if (rte_mp_sendmsg(&msg) != 0)
		MP_LOG(ERR, "port %u: cannot acknowledge %s: %s", req->port_id,
		       mana_mp_type_name(req->type), rte_strerror(rte_errno));
}

static void mana_mp_recovery_watch(void *arg);
static void mana_mp_behind_check(void *arg);
static void mana_mp_check_behind(struct mana_local *lp) __mana_requires(&mana_mp_lock);

/*
 * Post a recovery event to this process's application once per recovery:
 * ERR_RECOVERING, then RECOVERY_SUCCESS or RECOVERY_FAILED. The outcome
 * comes from the primary or, when this process was evicted and is sent
 * none, is @found by it (mana_mp_recovery_watch(), mana_mp_resync()); of
 * the two, whichever comes second is dropped. A process that attached
 * during a reset is sent its outcome only, and gets it.
 */
static void
mana_mp_recovery_event(struct mana_local *lp, enum rte_eth_event_type event, bool found)
	__mana_requires(&mana_mp_lock)
{
	if (event == RTE_ETH_EVENT_ERR_RECOVERING) {
		if (lp->recovering)
			return;
		lp->recovering = true;
		lp->outcome_found = false;
		mana_event_post(lp->port_id, event);
		if (!lp->recovery_watched &&
		    rte_eal_alarm_set(MANA_MP_RECOVERY_WATCH_US, mana_mp_recovery_watch,
				      (void *)(uintptr_t)lp->port_id) == 0)
			lp->recovery_watched = true;
		else if (!lp->recovery_watched)
			MP_LOG(ERR, "port %u: cannot watch the recovery", lp->port_id);
		return;
	}
	if (lp->recovering) {
		lp->recovering = false;
		lp->outcome_found = found;
	} else if (found || lp->outcome_found) {
		/* Nothing pending, or the primary's copy of what we found. */
		lp->outcome_found = false;
		return;
	}
	mana_event_post(lp->port_id, event);
}

/*
 * While this process waits for the outcome of a recovery it was told of,
 * look every MANA_MP_RECOVERY_WATCH_US whether the port has settled: an
 * evicted process is sent no REMAP_DB and no outcome, and an application
 * that stops polling until RECOVERY_SUCCESS would never run the burst that
 * notices (mana_mp_burst_refused()).
 */
static void
mana_mp_recovery_watch(void *arg)
{
	uint16_t port_id = (uint16_t)(uintptr_t)arg;
	struct mana_local *lp;
	enum mana_dev_state st;
	uint64_t word;

	mana_mutex_lock(&mana_mp_lock);
	lp = mana_mp_port(port_id);
	if (lp == NULL) {
		mana_mutex_unlock(&mana_mp_lock);
		return;
	}
	word = mana_state_load(lp->priv);
	st = mana_word_state(word);
	if (lp->recovering && st == MANA_DEV_FAILED) {
		/* Nobody will bring a doorbell. */
		MP_LOG(NOTICE, "port %u: the recovery failed", port_id);
		mana_mp_recovery_event(lp, RTE_ETH_EVENT_RECOVERY_FAILED, true);
	} else if (lp->recovering && (st == MANA_DEV_ACTIVE || st == MANA_DEV_STOPPED) &&
		   lp->db_generation == mana_word_generation(word)) {
		/* Settled on our mapping: a REMAP_DB reached us; the outcome may follow. */
		mana_mp_recovery_event(lp, RTE_ETH_EVENT_RECOVERY_SUCCESS, true);
	} else if (lp->recovering && st == MANA_DEV_CLOSED) {
		/* Closed meanwhile: PORT_CLOSED tells the rest. */
		lp->recovering = false;
	} else if (lp->recovering) {
		mana_mp_check_behind(lp);
	}
	lp->recovery_watched = lp->recovering &&
		rte_eal_alarm_set(MANA_MP_RECOVERY_WATCH_US, mana_mp_recovery_watch, arg) == 0;
	mana_mutex_unlock(&mana_mp_lock);
}

/*
 * An evicted secondary is sent nothing of a reset. When it runs again and
 * finds the port settled on a doorbell generation newer than its own
 * mapping (a message of the primary's, a refused burst, the recovery
 * watch), it attaches again - which re-admits it to the registry and hands
 * it the current doorbell - from an alarm, off the thread that handles the
 * primary's messages.
 */
static void
mana_mp_resync(void *arg)
{
	uint16_t port_id = (uint16_t)(uintptr_t)arg;
	struct mana_mp_attach_result att;
	struct rte_eth_dev *dev;
	struct mana_local *lp;
	uint32_t backoff_us;
	bool had_mapping;
	uint64_t word;
	int ret;

	mana_mutex_lock(&mana_mp_lock);
	mana_mp_resync_armed[port_id] = false;
	lp = mana_mp_port(port_id);
	mana_mutex_unlock(&mana_mp_lock);
	/* Port close cancels this alarm before it frees lp. */
	if (lp == NULL)
		return;
	dev = lp->dev;
	had_mapping = lp->db_generation != 0 || lp->db_revoked != 0;
	ret = mana_mp_request_attach(dev, &att);
	if (ret == 0)
		mana_set_burst_functions(dev, lp->priv->started);
	word = mana_state_load(lp->priv);

	mana_mutex_lock(&mana_mp_lock);
	if (mana_mp_port(port_id) != lp) {
		mana_mutex_unlock(&mana_mp_lock);
		return;
	}
	if (ret != 0 || att.map_result != 0 || lp->db_generation < mana_word_generation(word) ||
	    (mana_word_state(word) != MANA_DEV_ACTIVE && mana_word_state(word) != MANA_DEV_STOPPED)) {
		/*
		 * Not caught up (no primary, no doorbell yet, a mapping that
		 * failed, or a newer reset): look again later, backing off, and
		 * let no refused burst ask meanwhile. A reset under way sends
		 * this process, attached again, its outcome.
		 */
		backoff_us = mana_mp_resync_backoff_us[port_id] == 0 ? MANA_MP_RESYNC_DELAY_US :
			     RTE_MIN(mana_mp_resync_backoff_us[port_id] * 2,
				     (uint32_t)MANA_MP_RESYNC_BACKOFF_MAX_US);
		mana_mp_resync_backoff_us[port_id] = backoff_us;
		/* Nothing else re-arms the attach meanwhile (mana_mp_check_behind()). */
		mana_mp_resync_retry[port_id] =
			rte_eal_alarm_set(backoff_us, mana_mp_behind_check, arg) == 0;
		rte_atomic_store_explicit(&mana_mp_behind_hint[port_id],
					  mana_mp_resync_retry[port_id], rte_memory_order_release);
		mana_mutex_unlock(&mana_mp_lock);
		if (backoff_us == MANA_MP_RESYNC_DELAY_US)
			MP_LOG(ERR, "port %u: re-synchronising with the primary: %s; trying again",
			       port_id, ret != 0 ? strerror(-ret) : att.map_result != 0 ?
			       strerror(-att.map_result) : "not caught up");
		return;
	}
	mana_mp_resync_backoff_us[port_id] = 0;
	/* Bursts refused from now on may ask again. */
	rte_atomic_store_explicit(&mana_mp_behind_hint[port_id], false, rte_memory_order_release);
	/*
	 * A recovery completed without this process: tell the application as
	 * the others were told - the queues were reset - once per catch-up,
	 * missed resets folded in one. Not a process that never had a doorbell
	 * and was not told of a recovery (attached during one).
	 */
	if (had_mapping || lp->recovering) {
		mana_mp_recovery_event(lp, RTE_ETH_EVENT_ERR_RECOVERING, true);
		mana_mp_recovery_event(lp, RTE_ETH_EVENT_RECOVERY_SUCCESS, true);
	}
	mana_mutex_unlock(&mana_mp_lock);
	MP_LOG(NOTICE, "port %u: re-synchronised with the primary (slot %d, doorbell generation"
	       " %u)", port_id, att.slot, att.generation);
}

/* Behind the primary? Schedule mana_mp_resync(). */
static void
mana_mp_check_behind(struct mana_local *lp) __mana_requires(&mana_mp_lock)
{
	uint64_t word = mana_state_load(lp->priv);
	enum mana_dev_state st = mana_word_state(word);
	uint16_t port_id = lp->port_id;

	if (lp->db_generation >= mana_word_generation(word))
		mana_mp_resync_backoff_us[port_id] = 0;		/* caught up, however */
	if ((st != MANA_DEV_ACTIVE && st != MANA_DEV_STOPPED) ||
	    lp->db_generation >= mana_word_generation(word) || mana_mp_resync_armed[port_id] ||
	    mana_mp_resync_retry[port_id])
		return;
	if (rte_eal_alarm_set(MANA_MP_RESYNC_DELAY_US, mana_mp_resync,
			      (void *)(uintptr_t)port_id) == 0)
		mana_mp_resync_armed[port_id] = true;
}

/* Deferred by mana_mp_burst_refused() (mana_defer()); an alarm of a failed mana_mp_resync(). */
static void
mana_mp_behind_check(void *arg)
{
	uint16_t port_id = (uint16_t)(uintptr_t)arg;
	struct mana_local *lp;
	bool armed = false;

	mana_mutex_lock(&mana_mp_lock);
	mana_mp_resync_retry[port_id] = false;
	lp = mana_mp_port(port_id);
	if (lp != NULL) {
		mana_mp_check_behind(lp);
		armed = mana_mp_resync_armed[port_id];
	}
	mana_mutex_unlock(&mana_mp_lock);
	/* With a re-synchronisation armed, it clears the hint when done. */
	if (!armed)
		rte_atomic_store_explicit(&mana_mp_behind_hint[port_id], false,
					  rte_memory_order_release);
}

void
mana_mp_burst_refused(const struct mana_priv *priv, const struct mana_fast *fast)
{
	uint64_t word = mana_state_load(priv);
	uint64_t burst_word = rte_atomic_load_explicit(&fast->burst_word,
						       rte_memory_order_relaxed);
	enum mana_dev_state st = mana_word_state(word);
	uint16_t port_id = priv->port_id;
	uint32_t mapped;
	bool expect = false;

	if (port_id >= RTE_MAX_ETHPORTS || rte_eal_process_type() == RTE_PROC_PRIMARY ||
	    (st != MANA_DEV_ACTIVE && st != MANA_DEV_STOPPED))
		return;
	mapped = burst_word == MANA_BURST_WORD_NONE ? 0 : mana_word_generation(burst_word);
	if (mapped >= mana_word_generation(word) ||
	    rte_atomic_load_explicit(&mana_mp_behind_hint[port_id], rte_memory_order_relaxed) ||
	    !rte_atomic_compare_exchange_strong_explicit(&mana_mp_behind_hint[port_id], &expect,
							 true, rte_memory_order_acquire,
							 rte_memory_order_relaxed))
		return;
	/* From a burst: deferred work, not an alarm (mana_defer.h). */
	if (mana_defer(mana_mp_behind_check, (void *)(uintptr_t)port_id) != 0)
		rte_atomic_store_explicit(&mana_mp_behind_hint[port_id], false,
					  rte_memory_order_release);
}

/*
 * The primary is closing the port: release it in this process too (ethdev
 * then answers -ENODEV and the application gets RTE_ETH_EVENT_DESTROY),
 * then acknowledge, so the primary frees the shared port data only once no
 * secondary can touch it any more. Runs from an alarm: releasing calls
 * application callbacks, which must not run where the message is handled
 * (under mana_mp_lock), and a close waits for a running alarm. The
 * alarm may run long after the primary gave up waiting and released the
 * port (this process was frozen, or its interrupt thread busy): the release
 * uses nothing of dev->data (mana_dev_gone_secondary()).
 */
static void
mana_mp_port_gone(void *arg)
{
	uint16_t port_id = (uint16_t)(uintptr_t)arg;
	struct mana_local *lp;
	bool keep;
	int slot;

	/* Read under the lock: an application's close may free lp once it is unlocked. */
	mana_mutex_lock(&mana_mp_lock);
	lp = mana_mp_port(port_id);
	keep = lp != NULL &&
	       rte_atomic_load_explicit(&lp->test_keep_doorbell, rte_memory_order_relaxed);
	slot = lp != NULL ? lp->slot : -1;
	mana_mutex_unlock(&mana_mp_lock);
	if (keep) {
		MP_LOG(WARNING, "port %u: test hook: keeping the port and its doorbell", port_id);
		mana_mp_ack_port_closed(port_id, slot, 0);
		return;
	}
	/*
	 * The application may be closing the port right now: whichever of us
	 * takes the port out of the table owns its state and releases it. If
	 * it is the application's close, that close answers the pending
	 * PORT_CLOSED once it has released the port (0): an -ENODEV from here
	 * would make the primary count this process as one that did not let
	 * go, and leave the port's memory to it for nothing.
	 */
	lp = mana_mp_detach_port(port_id);
	if (lp == NULL)
		return;
	slot = lp->slot;
	mana_dev_gone_secondary(lp);	/* frees lp */
	MP_LOG(NOTICE, "port %u: closed by the primary; released", port_id);
	mana_mp_ack_port_closed(port_id, slot, 0);
}

/* Answer the pending PORT_CLOSED of @port_id, if any (secondary). */
void
mana_mp_ack_port_closed(uint16_t port_id, int slot, int32_t result)
{
	struct mana_mp_hdr req;
	bool pending;

	mana_mutex_lock(&mana_mp_lock);
	pending = mana_mp_port_gone_pending[port_id];
	req = mana_mp_port_gone_req[port_id];
	mana_mp_port_gone_pending[port_id] = false;
	mana_mutex_unlock(&mana_mp_lock);
	if (pending)
		mana_mp_send_ack(&req, slot, result);
}

static void
mana_mp_schedule_port_gone(struct mana_local *lp, const struct mana_mp_hdr *req)
	__mana_requires(&mana_mp_lock)
{
	uint16_t port_id = lp->port_id;

	mana_mp_port_gone_req[port_id] = *req;
	mana_mp_port_gone_pending[port_id] = true;
	if (rte_eal_alarm_set(1, mana_mp_port_gone, (void *)(uintptr_t)port_id) != 0) {
		mana_mp_port_gone_pending[port_id] = false;
		mana_mp_send_ack(req, lp->slot, -EIO);
	}
}

/* Is @fd something the doorbell page (@len bytes) can be mapped from? */
static int
mana_mp_check_db_fd(int fd, uint32_t len)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) != 0)
		return -EBADF;
	if (S_ISCHR(st.st_mode))	/* rdma-core command fd */
		return 0;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size >= len)
		return 0;
	return -EINVAL;
}

static int32_t
mana_mp_on_remap(struct mana_local *lp, const struct rte_mp_msg *msg)
	__mana_requires(&mana_mp_lock)
{
	const struct mana_mp_bcast *b = (const void *)msg->param;
	struct mana_priv *priv = lp->priv;
	int fd = msg->fds[0];
	int32_t ret;

	if (b->hdr.generation == 0 || b->db_region_size == 0 ||
	    b->db_region_size > MANA_MP_MAX_REGION || b->db_region_size != priv->db_region_size) {
		ret = -EINVAL;
	} else if (b->hdr.generation !=
		   rte_atomic_load_explicit(&priv->db_generation, rte_memory_order_acquire)) {
		ret = -ESTALE;	/* a REMAP of an older reset, seen late */
	} else {
		ret = mana_mp_check_db_fd(fd, b->db_region_size);
		if (ret == 0)
			ret = mana_db_map(lp->dev, fd, b->hdr.generation, b->db_region_size);
	}
	close(fd);
	return ret;
}

static int
mana_mp_secondary_dispatch(const struct rte_mp_msg *msg, int32_t sender)
{
	const struct mana_mp_hdr *hdr = (const struct mana_mp_hdr *)msg->param;
	const struct mana_mp_event *ev = (const void *)msg->param;
	const char *why = NULL;
	struct mana_local *lp;
	int32_t result = 0;
	int slot = -1;
	int ret;

	ret = mana_mp_validate(msg, 0, &why);
	if (ret != 0) {
		MP_LOG(ERR, "rejected message (len %d, fds %d): %s", msg->len_param,
		       msg->num_fds, why);
		mana_mp_close_fds(msg);
		if (msg->len_param >= (int)sizeof(*hdr) && hdr->type >= MANA_MP_START_RXTX &&
		    hdr->type <= MANA_MP_REMAP_DB && hdr->port_id < RTE_MAX_ETHPORTS)
			mana_mp_send_ack(hdr, -1, ret);
		return 0;
	}
	mana_mp_test_stall(hdr);

	mana_mutex_lock(&mana_mp_lock);
	lp = mana_mp_port(hdr->port_id);
	if (lp == NULL) {
		/*
		 * Not a port of ours in this process (any more: a release here
		 * told the primary with DETACH): nobody waits for our answer.
		 */
		mana_mp_close_fds(msg);
		mana_mutex_unlock(&mana_mp_lock);
		return 0;
	}
	/* Orders come from the port's primary only (registry slot 0). */
	if (sender <= 0 || sender != lp->priv->procs[0].pid) {
		mana_mutex_unlock(&mana_mp_lock);
		MP_LOG(ERR, "port %u: rejected %s from pid %d: not the primary", hdr->port_id,
		       mana_mp_type_name(hdr->type), (int)sender);
		mana_mp_close_fds(msg);
		return 0;
	}
	slot = lp->slot;
	switch (hdr->type) {
	case MANA_MP_START_RXTX:
		mana_set_burst_functions(lp->dev, true);
		break;
	case MANA_MP_STOP_RXTX:
		mana_set_burst_functions(lp->dev, false);
		break;
	case MANA_MP_UNMAP_DB:
		/* Only a generation that exists (0 would mean "whatever is mapped"). */
		if (hdr->generation == 0 ||
		    hdr->generation > rte_atomic_load_explicit(&lp->priv->db_generation,
							       rte_memory_order_acquire))
			result = -EINVAL;
		else
			result = mana_db_unmap(lp->dev, hdr->generation);
		break;
	case MANA_MP_REMAP_DB:
		result = mana_mp_on_remap(lp, msg);
		break;
	case MANA_MP_PORT_CLOSED:
		/* Released from an alarm, which answers when done. */
		mana_mp_schedule_port_gone(lp, hdr);
		mana_mutex_unlock(&mana_mp_lock);
		return 0;
	case MANA_MP_EVENT:
		if (ev->event != RTE_ETH_EVENT_INTR_RMV &&
		    ev->event != RTE_ETH_EVENT_ERR_RECOVERING &&
		    ev->event != RTE_ETH_EVENT_RECOVERY_SUCCESS &&
		    ev->event != RTE_ETH_EVENT_RECOVERY_FAILED &&
		    ev->event != RTE_ETH_EVENT_INTR_LSC) {
			MP_LOG(ERR, "port %u: EVENT %u is not forwarded", hdr->port_id, ev->event);
		} else {
			/*
			 * The outcome of a recovery this process was told of
			 * comes before the removal, as for the others: an
			 * evicted process is sent the removal only.
			 */
			if (ev->event == RTE_ETH_EVENT_INTR_RMV &&
			    mana_word_state(mana_state_load(lp->priv)) == MANA_DEV_FAILED)
				mana_mp_recovery_event(lp, RTE_ETH_EVENT_RECOVERY_FAILED, true);
			if (ev->event == RTE_ETH_EVENT_ERR_RECOVERING ||
			    ev->event == RTE_ETH_EVENT_RECOVERY_SUCCESS ||
			    ev->event == RTE_ETH_EVENT_RECOVERY_FAILED)
				mana_mp_recovery_event(lp, (enum rte_eth_event_type)ev->event,
						       false);
			else
				mana_event_post(hdr->port_id, (enum rte_eth_event_type)ev->event);
		}
		mana_mp_check_behind(lp);
		mana_mutex_unlock(&mana_mp_lock);
		return 0;
	default:
		break;
	}
	mana_mp_check_behind(lp);
	mana_mutex_unlock(&mana_mp_lock);
	MP_LOG(DEBUG, "port %u: %s seq %u gen %u -> %d", hdr->port_id,
	       mana_mp_type_name(hdr->type), hdr->seq, hdr->generation, result);
	mana_mp_send_ack(hdr, slot, result);
	return 0;
}

/* Set the test hook: see rte_pmd_mana_mpr_test_stall_mp(). */
void
mana_mp_test_stall_set(uint16_t port_id, uint32_t ms)
{
	if (port_id < RTE_MAX_ETHPORTS)
		rte_atomic_store_explicit(&mana_mp_test_stall_ms[port_id], ms,
					  rte_memory_order_relaxed);
}

/*
 * Test hook: keep the thread that handles the primary's messages (EAL's
 * interrupt thread) busy before handling @hdr, as an application callback
 * that blocks it would. Holds no lock, so the process's bursts run on.
 */
static void
mana_mp_test_stall(const struct mana_mp_hdr *hdr)
{
	uint32_t ms = rte_atomic_exchange_explicit(&mana_mp_test_stall_ms[hdr->port_id], 0,
						   rte_memory_order_relaxed);

	if (ms == 0)
		return;
	MP_LOG(WARNING, "port %u: test hook: message thread busy for %u ms before %s",
	       hdr->port_id, ms, mana_mp_type_name(hdr->type));
	rte_delay_us_sleep(ms * 1000u);
}

/*
 * The rte_mp actions. EAL hands over a message whose parameters are only
 * 4-byte aligned; work on an aligned copy.
 */
int
mana_mp_primary_handler(const struct rte_mp_msg *msg, const void *peer)
{
	struct rte_mp_msg copy __rte_aligned(8);

	memcpy(&copy, msg, sizeof(copy));
	return mana_mp_primary_dispatch(&copy, peer);
}

int
mana_mp_secondary_receive(const struct rte_mp_msg *msg, int32_t sender)
{
	struct rte_mp_msg copy __rte_aligned(8);

	memcpy(&copy, msg, sizeof(copy));
	return mana_mp_secondary_dispatch(&copy, sender);
}

/* ------------------------------------------------------------------ */
/* Registration of this process's action and ports.                    */

/*
 * EAL's rte_mp socket is blocking, and a Unix datagram socket holds at most
 * net.unix.max_dgram_qlen (10 by default) unread messages: a peer that has
 * stopped reading (a hung or SIGSTOPped process) would block every later
 * send of ours forever - the reset thread included. Bound each send with a
 * timeout on this process's EAL socket (found by its bound path); receives
 * are unaffected. A message that times out is simply not delivered to that
 * peer, which the broadcast then treats as silent.
 */
static void
mana_mp_bound_sends(void)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = MANA_MP_SEND_TIMEOUT_MS * 1000 };
	char want[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool primary = rte_eal_process_type() == RTE_PROC_PRIMARY;
	struct dirent *ent;
	size_t want_len;
	DIR *dir;

	if (primary)
		snprintf(want, sizeof(want), "%s/mp_socket", rte_eal_get_runtime_dir());
	else
		snprintf(want, sizeof(want), "%s/mp_socket_%d_", rte_eal_get_runtime_dir(),
			 (int)getpid());
	want_len = strlen(want);
	dir = opendir("/proc/self/fd");
	if (dir == NULL)
		return;
	while ((ent = readdir(dir)) != NULL) {
		struct sockaddr_un addr;
		socklen_t len = sizeof(addr);
		int fd = atoi(ent->d_name);

		if (ent->d_name[0] == '.' || fd == dirfd(dir))
			continue;
		memset(&addr, 0, sizeof(addr));
		if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0 ||
		    addr.sun_family != AF_UNIX)
			continue;
		if (primary ? strcmp(addr.sun_path, want) != 0 :
		    strncmp(addr.sun_path, want, want_len) != 0)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0)
			MP_LOG(DEBUG, "rte_mp sends bounded to %d ms", MANA_MP_SEND_TIMEOUT_MS);
		if (primary)
			mana_mp_eal_fd = fd;
		break;
	}
	closedir(dir);
}

int
mana_mp_attach_port(struct rte_eth_dev *dev)
{
	bool primary = rte_eal_process_type() == RTE_PROC_PRIMARY;
	int ret = 0;

	/* Secondaries: the primary's messages come over a socket of our own. */
	if (!primary) {
		ret = mana_mp_channel_open();
		if (ret != 0)
			return ret;
	}
	mana_mutex_lock(&mana_mp_lock);
	if (mana_mp_nb_ports == 0 && !(primary && mana_mp_primary_registered)) {
		mana_mp_bound_sends();
		if (primary) {
			ret = rte_mp_action_register(MANA_MP_ACTION_PRIMARY,
						     mana_mp_primary_handler);
			/* No multi-process support in this EAL (--in-memory): fine alone. */
			if (ret != 0 && rte_errno == ENOTSUP)
				ret = 0;
			else if (ret != 0)
				ret = -rte_errno;
			mana_mp_primary_registered = ret == 0;
		}
	}
	if (ret == 0) {
		mana_mp_ports[dev->data->port_id] = mana_local(dev);
		mana_mp_nb_ports++;
	}
	mana_mutex_unlock(&mana_mp_lock);
	if (ret != 0)
		MP_LOG(ERR, "cannot register the rte_mp action: %s", strerror(-ret));
	return ret;
}

/*
 * Run @fn on port @port_id's state in this process while no release can free
 * it: a secondary's port-gone alarm takes the port out of the table under
 * mana_mp_lock before it frees that state, and the primary frees the
 * port's private data only after this process acknowledged the release.
 * @fn must be short and must not take mana_mp_lock or call rte_mp.
 * -ENODEV when the port is not (or no longer) served here.
 */
int
mana_mp_with_port(uint16_t port_id, int (*fn)(struct mana_local *lp, void *arg), void *arg)
{
	struct mana_local *lp;
	int ret = -ENODEV;

	mana_mutex_lock(&mana_mp_lock);
	lp = mana_mp_port(port_id);
	if (lp != NULL && lp->priv != NULL)
		ret = fn(lp, arg);
	mana_mutex_unlock(&mana_mp_lock);
	return ret;
}

/*
 * Stop serving port @port_id over rte_mp. Returns the port's state to the
 * caller that took it out of the table, NULL to any other: in a secondary,
 * the application's close and the primary's PORT_CLOSED (an alarm) may race
 * to release a port, and only the caller that got the state releases it
 * and frees it. Takes an id, not the port: a loser must not read
 * dev->process_private, which the winner frees.
 */
struct mana_local *
mana_mp_detach_port(uint16_t port_id)
{
	bool primary = rte_eal_process_type() == RTE_PROC_PRIMARY;
	struct mana_local *lp;

	mana_mutex_lock(&mana_mp_lock);
	lp = mana_mp_ports[port_id];
	if (lp != NULL) {
		mana_mp_ports[port_id] = NULL;
		mana_mp_resync_armed[port_id] = false;
		mana_mp_resync_backoff_us[port_id] = 0;
		mana_mp_resync_retry[port_id] = false;
		mana_mp_nb_ports--;
	}
	mana_mutex_unlock(&mana_mp_lock);
	/*
	 * Out of the table, nothing arms a re-synchronisation of the port any
	 * more (mana_mp_check_behind() runs for ports in it only); drop a
	 * pending one, and wait for one that found the port before and still
	 * uses it (never called from it: mana_defer_cancel() and
	 * rte_eal_alarm_cancel() wait for a callback running on another
	 * thread, lib/eal/linux/eal_alarm.c). A burst defers the check, its
	 * back-off is an alarm: the deferred one first, it may arm the alarm.
	 */
	if (lp != NULL && !primary) {
		mana_defer_cancel(mana_mp_behind_check, (void *)(uintptr_t)port_id);
		rte_eal_alarm_cancel(mana_mp_behind_check, (void *)(uintptr_t)port_id);
		rte_eal_alarm_cancel(mana_mp_recovery_watch, (void *)(uintptr_t)port_id);
		rte_eal_alarm_cancel(mana_mp_resync, (void *)(uintptr_t)port_id);
		rte_atomic_store_explicit(&mana_mp_behind_hint[port_id], false,
					  rte_memory_order_release);
	}
	return lp;
}

/*
 * Secondary close: a pending release by PORT_CLOSED is dropped; one that is
 * running (it has the port already) is waited for.
 */
void
mana_mp_cancel_port_gone(uint16_t port_id)
{
	rte_eal_alarm_cancel(mana_mp_port_gone, (void *)(uintptr_t)port_id);
}

/*
 * Test hook (rte_pmd_mana_mpr_test_close_wait_release): wait, at most
 * @timeout_ms, until PORT_CLOSED has released @port_id in this process. Its
 * alarm is the only other remover of the port from the table: once the port
 * is out, that alarm runs or has run, and cancelling waits for it.
 */
void
mana_mp_test_wait_port_gone(uint16_t port_id, uint32_t timeout_ms)
{
	uint64_t deadline = rte_get_timer_cycles() +
			    (uint64_t)timeout_ms * rte_get_timer_hz() / 1000;
	bool served;

	for (;;) {
		mana_mutex_lock(&mana_mp_lock);
		served = mana_mp_port(port_id) != NULL;
		mana_mutex_unlock(&mana_mp_lock);
		if (!served || rte_get_timer_cycles() >= deadline)
			break;
		rte_delay_us_sleep(1000);
	}
	if (!served)
		mana_mp_cancel_port_gone(port_id);
}

/* ------------------------------------------------------------------ */
/* Secondary: requests to the primary.                                 */

/*
 * Send @req and check the single reply against the catalogue. On success
 * the reply (with any fds) is copied to @reply; the caller owns its fds.
 */
static int
mana_mp_request_to(uint16_t port_id, uint32_t timeout_ms, struct rte_mp_msg *req,
		   struct rte_mp_msg *reply, unsigned int max_fds)
{
	const struct mana_mp_hdr *in = (const struct mana_mp_hdr *)req->param;
	const struct mana_mp_spec *spec = &mana_mp_specs[in->type];
	struct timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (long)(timeout_ms % 1000) * 1000000,
	};
	struct rte_mp_reply mp_rep = { 0 };
	const struct mana_mp_hdr *out;
	struct rte_mp_msg *msg;
	int ret;

	mana_mutex_lock(&mana_mp_request_lock);
	ret = rte_mp_request_sync(req, &mp_rep, &ts);
	mana_mutex_unlock(&mana_mp_request_lock);
	if (ret != 0) {
		MP_LOG(ERR, "port %u: %s request failed: %s", port_id, spec->name,
		       rte_strerror(rte_errno));
		free(mp_rep.msgs);
		return -rte_errno ? -rte_errno : -EIO;
	}
	if (mp_rep.nb_received != 1) {
		MP_LOG(ERR, "port %u: no answer to %s within %u ms", port_id,
		       spec->name, timeout_ms);
		free(mp_rep.msgs);
		return -ETIMEDOUT;
	}
	msg = &mp_rep.msgs[0];
	out = (const struct mana_mp_hdr *)msg->param;
	if (msg->len_param != spec->reply_len || out->magic != MANA_MP_MAGIC ||
	    out->type != in->type || out->port_id != in->port_id ||
	    msg->num_fds < 0 || (unsigned int)msg->num_fds > max_fds) {
		/* A well-formed error status is shorter than some replies. */
		ret = msg->len_param == sizeof(struct mana_mp_status) &&
		      out->magic == MANA_MP_MAGIC && out->result != 0 ? out->result : -EPROTO;
		if (ret == -EPROTO)
			MP_LOG(ERR, "port %u: malformed reply to %s", port_id,
			       spec->name);
		mana_mp_close_fds(msg);
		free(mp_rep.msgs);
		return ret;
	}
	*reply = *msg;
	free(mp_rep.msgs);
	return 0;
}

static int
mana_mp_request(struct mana_local *lp, struct rte_mp_msg *req, struct rte_mp_msg *reply,
		unsigned int max_fds)
{
	return mana_mp_request_to(lp->port_id, lp->priv->args.request_timeout_ms, req, reply,
				  max_fds);
}

int
mana_mp_request_attach(struct rte_eth_dev *dev, struct mana_mp_attach_result *res)
{
	struct rte_mp_msg req __rte_aligned(8), reply __rte_aligned(8);
	struct mana_mp_attach_req *a = (struct mana_mp_attach_req *)req.param;
	const struct mana_mp_attach_rep *rep = (const void *)reply.param;
	int ret, fd;

	mana_mp_hdr_init(&req, MANA_MP_ACTION_PRIMARY, MANA_MP_ATTACH, mana_local(dev)->port_id,
			 sizeof(*a));
	a->start_time = mana_proc_start_time(getpid());
	ret = mana_mp_request(mana_local(dev), &req, &reply, 1);
	if (ret != 0)
		return ret;
	if (rep->hdr.result != 0 || rep->slot <= 0 || rep->slot >= MANA_MAX_PROCS ||
	    (rep->hdr.generation != 0) != (reply.num_fds == 1)) {
		ret = rep->hdr.result != 0 ? rep->hdr.result : -EPROTO;
		mana_mp_close_fds(&reply);
		return ret;
	}
	fd = reply.num_fds == 1 ? reply.fds[0] : -1;
	if (fd >= 0 && mana_mp_check_db_fd(fd, rep->db_region_size) != 0) {
		close(fd);
		return -EPROTO;
	}
	res->slot = rep->slot;
	res->generation = rep->hdr.generation;
	res->map_result = 0;
	mana_local(dev)->slot = rep->slot;
	mana_fast[mana_local(dev)->port_id].busy_tag = (uint32_t)rep->slot + 1;
	if (fd >= 0) {
		res->map_result = mana_db_map(dev, fd, rep->hdr.generation, rep->db_region_size);
		close(fd);
	}
	return 0;
}

int
mana_mp_request_detach(struct mana_local *lp)
{
	struct rte_mp_msg req __rte_aligned(8), reply __rte_aligned(8);
	struct mana_mp_detach_req *d = (struct mana_mp_detach_req *)req.param;
	int ret;

	/* Called after ethdev released the port here: lp, never dev. */
	mana_mp_hdr_init(&req, MANA_MP_ACTION_PRIMARY, MANA_MP_DETACH, lp->port_id,
			 sizeof(*d));
	d->slot = lp->slot;
	/* Not lp->priv: the primary may free it once told (mana_dev_close_secondary). */
	ret = mana_mp_request_to(lp->port_id, lp->request_timeout_ms, &req, &reply, 0);
	if (ret == 0)
		ret = ((const struct mana_mp_hdr *)reply.param)->result;
	return ret;
}

int
mana_mp_request_reg_mr(struct rte_eth_dev *dev, uintptr_t addr, size_t len)
{
	struct rte_mp_msg req __rte_aligned(8), reply __rte_aligned(8);
	struct mana_mp_reg_mr_req *r = (struct mana_mp_reg_mr_req *)req.param;
	int ret;

	mana_mp_hdr_init(&req, MANA_MP_ACTION_PRIMARY, MANA_MP_REG_MR, mana_local(dev)->port_id,
			 sizeof(*r));
	r->addr = addr;
	r->len = len;
	ret = mana_mp_request(mana_local(dev), &req, &reply, 0);
	if (ret == 0)
		ret = ((const struct mana_mp_hdr *)reply.param)->result;
	/* A full table is the primary's to report, once. */
	if (ret != 0 && ret != -ENOSPC)
		MP_LOG(ERR, "port %u: primary could not register %#" PRIxPTR "+%zu: %s",
		       mana_local(dev)->port_id, addr, len, strerror(-ret));
	return ret;
}

/*
 * Register (@reg) or drop the registration of a mempool chunk, for the
 * mempool events: by port id, since the port may close meanwhile (the
 * primary then answers -ENODEV).
 */
int
mana_mp_request_mr(uint16_t port_id, uint32_t timeout_ms, bool reg, uintptr_t addr, size_t len)
{
	struct rte_mp_msg req __rte_aligned(8), reply __rte_aligned(8);
	struct mana_mp_reg_mr_req *r = (struct mana_mp_reg_mr_req *)req.param;
	int ret;

	mana_mp_hdr_init(&req, MANA_MP_ACTION_PRIMARY, reg ? MANA_MP_REG_MR : MANA_MP_DEREG_MR,
			 port_id, sizeof(*r));
	r->addr = addr;
	r->len = len;
	ret = mana_mp_request_to(port_id, timeout_ms, &req, &reply, 0);
	if (ret == 0)
		ret = ((const struct mana_mp_hdr *)reply.param)->result;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Primary: broadcast rounds.                                          */

int
mana_mp_round_create(struct mana_local *lp)
{
	struct mana_mp_round *round = calloc(1, sizeof(*round));

	if (round == NULL)
		return -ENOMEM;
	mana_mutex_init(&round->lock);
	mana_cond_init(&round->cond);
	lp->round = round;
	return 0;
}

void
mana_mp_round_destroy(struct mana_local *lp)
{
	struct mana_mp_round *round;

	/* Handlers reach the round through mana_mp_ports: unpublish first. */
	mana_mutex_lock(&mana_mp_lock);
	round = lp->round;
	lp->round = NULL;
	mana_mutex_unlock(&mana_mp_lock);
	if (round == NULL)
		return;
	mana_cond_destroy(&round->cond);
	mana_mutex_destroy(&round->lock);
	free(round);
}

/*
 * Slots among @slots whose process is gone (returned) or cannot run
 * (*@stopped, if given; else they count as alive).
 */
static uint64_t
mana_mp_cannot_run(struct rte_eth_dev *dev, uint64_t slots, uint64_t *stopped)
{
	uint64_t dead = 0;
	int i;

	if (stopped != NULL)
		*stopped = 0;
	for (i = 1; i < MANA_MAX_PROCS; i++) {
		if (!(slots & (UINT64_C(1) << i)))
			continue;
		switch (mana_registry_slot_runnable(dev, i)) {
		case MANA_PROC_GONE:
			dead |= UINT64_C(1) << i;
			break;
		case MANA_PROC_STOPPED:
			if (stopped != NULL)
				*stopped |= UINT64_C(1) << i;
			break;
		default:
			break;
		}
	}
	return dead;
}

uint64_t
mana_mp_dead_slots(struct rte_eth_dev *dev, uint64_t slots)
{
	return mana_mp_cannot_run(dev, slots, NULL);
}

/*
 * Stop waiting for the processes among @slots that are gone or cannot run:
 * they will not answer before the deadline, whatever it is. Caller holds
 * round->lock, which is dropped while /proc is read.
 */
static void
mana_mp_round_drop_unable(struct rte_eth_dev *dev, struct mana_mp_round *round,
			  uint64_t slots, struct mana_mp_round_result *res)
	__mana_requires(&round->lock)
{
	uint64_t dead, stopped;

	mana_mutex_unlock(&round->lock);
	dead = mana_mp_cannot_run(dev, slots, &stopped);
	mana_mutex_lock(&round->lock);
	round->expected &= ~(dead | stopped);
	res->dead |= dead;
	res->stopped |= stopped;
}

/*
 * Wait for the round's answers until @deadline; every liveness slice from
 * the send on (at once if the caller worked past the first, as the reset
 * thread does while REMAP_DB is out), stop waiting for processes that
 * cannot answer. Returns the slots that stayed silent although they could
 * run.
 */
static uint64_t
mana_mp_round_wait(struct rte_eth_dev *dev, struct mana_mp_round *round, uint64_t deadline,
		   struct mana_mp_round_result *res)
{
	uint64_t pending, next_check = res->start_ns + MANA_MP_LIVENESS_SLICE_NS;

	mana_mutex_lock(&round->lock);
	for (;;) {
		uint64_t now = mana_now_ns();

		pending = round->expected & ~round->answered;
		if (pending == 0 || now >= deadline)
			break;
		if (now >= next_check) {
			mana_mp_round_drop_unable(dev, round, pending, res);
			next_check = now + MANA_MP_LIVENESS_SLICE_NS;
			continue;
		}
		mana_cond_wait_until(&round->cond, &round->lock, RTE_MIN(deadline, next_check));
	}
	round->open = false;
	res->answered = round->answered & res->expected;
	res->failed = round->failed & res->expected;
	res->max_latency_ns = round->max_latency_ns;
	mana_mutex_unlock(&round->lock);
	return pending;
}

/* Rounds whose answers need no application callback: their deadline adapts. */
static bool
mana_mp_round_adapts(enum mana_mp_type type)
{
	return type == MANA_MP_UNMAP_DB || type == MANA_MP_REMAP_DB;
}

/*
 * The deadline of a round, in the spirit of TCP's retransmission timeout
 * (RFC 6298 2.2-2.4): RTO = SRTT + 4 * RTTVAR of the measured answer
 * latencies, at least MANA_MP_RTO_FLOOR_MS, at most @ceiling_ms
 * (ack_timeout_ms), which is also the deadline until
 * MANA_MP_RTO_MIN_SAMPLES rounds have been measured. Rounds that wait for
 * application callbacks (PORT_CLOSED) or change the data path of every
 * process (START_RXTX, STOP_RXTX) keep @ceiling_ms.
 */
static uint32_t
mana_mp_round_timeout(const struct mana_priv *priv, enum mana_mp_type type,
		      uint32_t ceiling_ms)
{
	const struct mana_reset_stats *rs = &priv->reset;
	uint64_t rto_ms;

	if (!mana_mp_round_adapts(type) || rs->ack_samples < MANA_MP_RTO_MIN_SAMPLES)
		return ceiling_ms;
	rto_ms = (rs->ack_srtt_ns + 4 * rs->ack_rttvar_ns + 999999) / 1000000;
	rto_ms = RTE_MAX(rto_ms, (uint64_t)MANA_MP_RTO_FLOOR_MS);
	return (uint32_t)RTE_MIN(rto_ms, (uint64_t)ceiling_ms);
}

/*
 * Feed one round into the estimator (RFC 6298 2.2-2.3, alpha 1/8, beta
 * 1/4). The sample is the slowest healthy answer of the round: a deadline
 * is met only if every process makes it. Caller is the port's only
 * broadcaster (it holds ctl_lock).
 */
static void
mana_mp_rtt_sample(struct mana_priv *priv, uint64_t r)
{
	struct mana_reset_stats *rs = &priv->reset;
	uint64_t diff;

	if (rs->ack_samples == 0) {
		rs->ack_srtt_ns = r;
		rs->ack_rttvar_ns = r / 2;
	} else {
		diff = rs->ack_srtt_ns > r ? rs->ack_srtt_ns - r : r - rs->ack_srtt_ns;
		rs->ack_rttvar_ns = (3 * rs->ack_rttvar_ns + diff) / 4;
		rs->ack_srtt_ns = (7 * rs->ack_srtt_ns + r) / 8;
	}
	rs->ack_samples++;
}

uint32_t
mana_mp_next_deadline_ms(const struct mana_priv *priv)
{
	return mana_mp_round_timeout(priv, MANA_MP_UNMAP_DB, priv->args.ack_timeout_ms);
}

/* Count and log a message @hdr that could not be sent to registry slot @i. */
static void
mana_mp_send_failed(struct rte_eth_dev *dev, const struct mana_mp_hdr *hdr, int i,
		    int32_t pid, int ret, bool waited)
{
	struct mana_proc_slot *s = &mana_priv(dev)->procs[i];

	rte_atomic_fetch_add_explicit(&s->msgs_dropped, 1, rte_memory_order_relaxed);
	if (waited)
		MP_LOG(WARNING, "port %u: %s not delivered to pid %d (slot %d): %s",
		       dev->data->port_id, mana_mp_type_name(hdr->type), (int)pid, i,
		       strerror(-ret));
	else
		MP_LOG(DEBUG, "port %u: %s not delivered to pid %d (slot %d): %s",
		       dev->data->port_id, mana_mp_type_name(hdr->type), (int)pid, i,
		       strerror(-ret));
}

/*
 * Send @msg to the processes of @slots (registry slots), one datagram each
 * on its own socket (mana_mp_channel.c), none waiting. Then those of
 * @waited whose queue was full are given up to MANA_MP_SEND_TIMEOUT_MS
 * each to make room, after everyone else has been sent the message -
 * unless they cannot run (/proc, read for them only): a stopped process
 * makes no room. Returns the slots it was not delivered to.
 */
static uint64_t
mana_mp_send_slots(struct rte_eth_dev *dev, const struct rte_mp_msg *msg, uint64_t slots,
		   uint64_t waited)
{
	const struct mana_mp_hdr *hdr = (const struct mana_mp_hdr *)msg->param;
	struct mana_priv *priv = mana_priv(dev);
	uint64_t failed = 0, full = 0, unable = 0, stopped;
	int i, pass;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 && full != 0)
			unable = mana_mp_cannot_run(dev, full, &stopped) | stopped;
		for (i = 1; i < MANA_MAX_PROCS; i++) {
			uint64_t bit = UINT64_C(1) << i;
			struct mana_proc_slot *s = &priv->procs[i];
			int32_t pid = s->pid;
			int ret;

			if (!((pass == 0 ? slots : full) & bit) || pid <= 0)
				continue;
			if (pass == 1 && (unable & bit)) {
				/* Its queue stays full: no grace, the message is dropped. */
				failed |= bit;
				mana_mp_send_failed(dev, hdr, i, pid, -EAGAIN, false);
				continue;
			}
			ret = mana_mp_channel_send(pid, msg, pass == 1);
			if (ret == 0) {
				rte_atomic_fetch_add_explicit(&s->msgs_sent, 1,
							      rte_memory_order_relaxed);
				continue;
			}
			if (pass == 0 && ret == -EAGAIN && (waited & bit)) {
				full |= bit;
				continue;
			}
			failed |= bit;
			mana_mp_send_failed(dev, hdr, i, pid, ret, (waited & bit) != 0);
		}
	}
	return failed;
}

/*
 * Who gets a message of @type besides the processes a round waits for.
 * An evicted process is sent nothing of a reset (UNMAP_DB, REMAP_DB, the
 * recovery events; one that stopped since its last answer gets the round
 * that finds it stopped): it re-synchronises by itself when it runs again
 * (mana_mp_burst_refused()). It is still sent what
 * keeps it off memory the primary is about to change or free - the burst
 * functions (START_RXTX, STOP_RXTX: the queues may be reconfigured), the
 * port's close and removal (PORT_CLOSED, INTR_RMV) - without waiting for
 * it: a full queue drops the message for that process only.
 */
static bool
mana_mp_sent_to_evicted(enum mana_mp_type type, uint32_t event)
{
	switch (type) {
	case MANA_MP_START_RXTX:
	case MANA_MP_STOP_RXTX:
	case MANA_MP_PORT_CLOSED:
		return true;
	case MANA_MP_EVENT:
		return event == RTE_ETH_EVENT_INTR_RMV;
	default:
		return false;
	}
}

/*
 * Has rte_eal_cleanup() closed this process's rte_mp channel? DPDK 24.11.0
 * does so before it removes devices; then no answer can reach us. The
 * socket EAL bound (mana_mp_bound_sends()) is gone, or its descriptor now
 * names something else.
 */
static bool
mana_mp_channel_closed(void)
{
	char want[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un addr;
	socklen_t len = sizeof(addr);

	if (mana_mp_eal_fd < 0)
		return false;
	snprintf(want, sizeof(want), "%s/mp_socket", rte_eal_get_runtime_dir());
	memset(&addr, 0, sizeof(addr));
	return getsockname(mana_mp_eal_fd, (struct sockaddr *)&addr, &len) != 0 ||
	       addr.sun_family != AF_UNIX || strcmp(addr.sun_path, want) != 0;
}

/*
 * Send @type to every secondary; the answers are collected by
 * mana_mp_broadcast_end(), so the caller can work meanwhile. One round per
 * port at a time. Nothing but the datagram is spent on the way out per
 * process the round waits for: /proc is read only for one the message
 * could not be queued to (it is not waited for if it cannot run: stopped,
 * traced, gone) and, from the first liveness slice on, for those that have
 * not answered (mana_mp_round_wait()). Either is evicted (or released)
 * when the round ends. (Rounds that also go to evicted processes -
 * START_RXTX, STOP_RXTX, PORT_CLOSED - look at those first.)
 */
void
mana_mp_broadcast_begin(struct rte_eth_dev *dev, enum mana_mp_type type, uint32_t generation,
			int fd, uint32_t timeout_ms, struct mana_mp_round_result *res)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = lp->priv;
	struct mana_mp_round *round = lp->round;
	struct rte_mp_msg msg __rte_aligned(8);
	struct mana_mp_bcast *b = (struct mana_mp_bcast *)msg.param;
	uint64_t to, retry, failed;

	memset(res, 0, sizeof(*res));
	res->type = type;
	res->timeout_ms = mana_mp_round_timeout(priv, type, timeout_ms);
	res->start_ns = mana_now_ns();
	res->expected = mana_registry_members(dev, false);
	if (mana_registry_members(dev, true) == 0)
		return;

	mana_mutex_lock(&round->lock);
	res->seq = ++round->seq;
	round->type = type;
	round->expected = res->expected;
	round->answered = 0;
	round->failed = 0;
	round->max_latency_ns = 0;
	round->sent_ns = res->start_ns;
	round->open = true;
	mana_mutex_unlock(&round->lock);
	res->pending = true;

	mana_mp_hdr_init(&msg, MANA_MP_ACTION_SECONDARY, type, dev->data->port_id, sizeof(*b));
	b->hdr.seq = res->seq;
	b->hdr.generation = generation;
	b->db_region_size = priv->db_region_size;
	if (fd >= 0) {
		msg.num_fds = 1;
		msg.fds[0] = fd;
	}
	if (mana_mp_channel_closed()) {
		/* No answer can come; the secondaries see the state word. */
		mana_mutex_lock(&round->lock);
		round->open = false;
		mana_mutex_unlock(&round->lock);
		res->pending = false;
		res->dead = 0;
		res->stopped = 0;
		/* Evicted processes too: they still poll the port. */
		res->unreachable = mana_registry_members(dev, true);
		MP_LOG(NOTICE, "port %u: %s not sent, rte_mp is closed (EAL cleanup)",
		       dev->data->port_id, mana_mp_type_name(type));
		return;
	}
	/*
	 * One datagram to each process the round waits for. Others only if
	 * they must hear of it (mana_mp_sent_to_evicted()): those that run
	 * get the same grace when their queue is full.
	 */
	to = res->expected;
	retry = to;
	if (mana_mp_sent_to_evicted(type, 0)) {
		uint64_t evicted = mana_registry_members(dev, true) & ~res->expected;
		uint64_t ev_stopped, ev_dead = mana_mp_cannot_run(dev, evicted, &ev_stopped);

		to |= evicted & ~ev_dead;
		retry |= evicted & ~(ev_dead | ev_stopped);
	}
	failed = mana_mp_send_slots(dev, &msg, to, retry) & res->expected;
	/*
	 * One that could not be reached and cannot run is not waited for; one
	 * that runs stays expected (its socket may be back before the
	 * deadline) and is evicted at the end if it stays silent.
	 */
	if (failed != 0) {
		mana_mutex_lock(&round->lock);
		mana_mp_round_drop_unable(dev, round, failed, res);
		mana_mutex_unlock(&round->lock);
	}
}

/*
 * Wait for the answers of the round started by mana_mp_broadcast_begin()
 * and apply the policy: a process that is gone is released; one that
 * cannot run (stopped, traced) or stayed silent until the deadline is
 * evicted - unless it answered meanwhile. Returns what mana_mp_broadcast()
 * does.
 */
int
mana_mp_broadcast_end(struct rte_eth_dev *dev, struct mana_mp_round_result *res)
{
	struct mana_mp_round *round = mana_local(dev)->round;
	struct mana_priv *priv = mana_priv(dev);
	struct mana_reset_stats *rs = &priv->reset;
	uint64_t silent, dead, stopped, unable;

	if (!res->pending)
		return __builtin_popcountll(res->unreachable);
	res->pending = false;
	silent = mana_mp_round_wait(dev, round,
				    res->start_ns + (uint64_t)res->timeout_ms * 1000000ull, res);
	/* Did any of them die or stop in the meantime? */
	unable = (silent | res->stopped) & ~res->answered;
	dead = mana_mp_cannot_run(dev, unable, &stopped);
	res->dead = (res->dead | dead) & ~res->answered;
	res->stopped = (res->stopped | stopped) & unable & ~dead;
	res->evicted = unable & ~dead;
	if (res->dead != 0)
		mana_registry_release_dead(dev, res->dead);
	if (res->evicted != 0) {
		mana_registry_evict(dev, res->evicted);
		rs->evictions_cannot_run += __builtin_popcountll(res->evicted & res->stopped);
		rs->evictions_deadline += __builtin_popcountll(res->evicted & ~res->stopped);
		if (res->evicted & res->stopped)
			MP_LOG(WARNING, "port %u: %s: evicted processes that cannot run"
			       " (slots %#" PRIx64 ", stopped or traced)", dev->data->port_id,
			       mana_mp_type_name(res->type), res->evicted & res->stopped);
		if (res->evicted & ~res->stopped)
			MP_LOG(ERR, "port %u: %s: evicted silent processes (slots %#" PRIx64
			       ") after %u ms", dev->data->port_id, mana_mp_type_name(res->type),
			       res->evicted & ~res->stopped, res->timeout_ms);
	}
	res->elapsed_ns = mana_now_ns() - res->start_ns;
	if (mana_mp_round_adapts(res->type)) {
		if (res->max_latency_ns != 0)
			mana_mp_rtt_sample(priv, res->max_latency_ns);
		if (res->type == MANA_MP_UNMAP_DB)
			rs->last_unmap_round_us = res->elapsed_ns / 1000;
		else
			rs->last_remap_round_us = res->elapsed_ns / 1000;
	}
	MP_LOG(DEBUG, "port %u: %s seq %u: expected %#" PRIx64 " answered %#" PRIx64
	       " failed %#" PRIx64 " dead %#" PRIx64 " evicted %#" PRIx64 " in %" PRIu64
	       " us (deadline %u ms)", dev->data->port_id, mana_mp_type_name(res->type),
	       res->seq, res->expected, res->answered, res->failed, res->dead, res->evicted,
	       res->elapsed_ns / 1000, res->timeout_ms);
	return __builtin_popcountll(res->failed | res->dead | res->evicted);
}

int
mana_mp_broadcast(struct rte_eth_dev *dev, enum mana_mp_type type, uint32_t generation,
		  int fd, uint32_t timeout_ms, struct mana_mp_round_result *res)
{
	mana_mp_broadcast_begin(dev, type, generation, fd, timeout_ms, res);
	return mana_mp_broadcast_end(dev, res);
}

void
mana_mp_send_event(struct rte_eth_dev *dev, enum rte_eth_event_type event)
{
	struct rte_mp_msg msg __rte_aligned(8);
	struct mana_mp_event *ev = (struct mana_mp_event *)msg.param;

	if (mana_registry_members(dev, true) == 0)
		return;
	mana_mp_hdr_init(&msg, MANA_MP_ACTION_SECONDARY, MANA_MP_EVENT, dev->data->port_id,
			 sizeof(*ev));
	ev->event = event;
	/*
	 * One-way: a full queue makes the sender wait (attached members, up to
	 * MANA_MP_SEND_TIMEOUT_MS each) only for the end of a port, which no
	 * later message makes up for.
	 */
	mana_mp_send_slots(dev, &msg,
			   mana_registry_members(dev, mana_mp_sent_to_evicted(MANA_MP_EVENT,
									     event)),
			   event == RTE_ETH_EVENT_INTR_RMV || event == RTE_ETH_EVENT_RECOVERY_FAILED ?
			   mana_registry_members(dev, false) : 0);
}

/* Test hook (rte_pmd_mana_mpr_test_send_raw()): @msg to every member as is. */
int
mana_mp_send_raw(struct rte_eth_dev *dev, const struct rte_mp_msg *msg)
{
	uint64_t to = mana_registry_members(dev, true);

	return mana_mp_send_slots(dev, msg, to, to) == 0 ? 0 : -EIO;
}
