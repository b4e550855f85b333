/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Surviving a MANA service reset, in the primary, for every process.
 *
 * The interrupt thread reads DEVICE_FATAL from the device's async fd, flips
 * the shared state word to RESETTING (from then on no burst in any process
 * touches a queue or a doorbell), queues ERR_RECOVERING for the application
 * and wakes the reset thread. It never blocks on IPC or on the device.
 *
 * The reset thread then runs the phases of mana_reset_phases[] in order.
 * Each phase is one function that takes and releases what it needs (most
 * take ctl_lock; waiting for the device takes none, so control operations
 * keep answering -EBUSY instead of blocking). Between phases the thread
 * looks for a cancellation (dev_close) and for a new fatal event from the
 * device instance opened during this reset, which restarts the sequence.
 * Any failure ends in FAILED with RECOVERY_FAILED then INTR_RMV (see
 * mana_reset_fail()). A hot-remove is recognised by the PCI function leaving
 * sysfs, and, when the application runs EAL's device event monitor, by the
 * kernel's "remove" uevent for it (mana_reset_dev_event()). The device's
 * return is looked for with a back-off, and heard at once from the kernel's
 * uevent of a new uverbs device where the process receives uevents
 * (mana_reset_uevent_handler()). Events for the application are queued and
 * delivered on the interrupt thread (mana_event.c, mana_defer.c), never from
 * this thread and never with a lock held, so a callback may stop or close
 * the port.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_interrupts.h>
#include <rte_lcore.h>

#include "mana.h"
#include "mana_event.h"
#include "mana_reset.h"
#include "mp/mana_mp.h"

/* Control block of the reset thread (primary, process-local). */
struct mana_reset_ctl {
	struct rte_eth_dev *dev;
	rte_thread_t thread;
	bool thread_started;

	/* Short critical sections only: the interrupt thread takes it. */
	struct mana_mutex lock;
	struct mana_cond cond;
	uint32_t requested_gen;	/* newest generation that reported a fatal event, 0: none */
	bool announced;		/* ERR_RECOVERING delivered for the current recovery */
	bool running;		/* the thread is inside a reset */
	bool round_open;	/* REMAP_DB sent, answers not collected (remap to resume) */
	bool cancel;		/* dev_close: abandon, start no new reset */
	bool exit;		/* thread must return */
	bool removed;		/* EAL reported the PCI device's removal: for good */
	uint64_t event_ns;	/* when the fatal event of this reset arrived */

	/* The context whose async fd the interrupt handler reads. */
	struct rte_intr_handle *intr;
	struct mana_hw_ctx *intr_ctx;
	uint32_t intr_generation;
	bool intr_registered;

	/* The EAL device event callback for the port's PCI device. */
	char dev_name[RTE_DEV_NAME_MAX_LEN];
	bool dev_event_registered;

	/* The kernel's uevents (NETLINK_KOBJECT_UEVENT), NULL: not heard. */
	struct rte_intr_handle *uevent_intr;
	bool uevent_registered;
	bool device_hint;	/* an ibv device was registered: look now (under lock) */
};

/* A fatal event of every instance: the device was removed (mana_reset_dev_event). */
#define MANA_RESET_GEN_REMOVED	UINT32_MAX
/* A uevent is at most 2048 bytes of variables and its header (lib/kobject_uevent.c). */
#define MANA_UEVENT_MSG_MAX		8192
/* Uevents read per call of the handler. */
#define MANA_UEVENT_BATCH		32u
/* How long the secondaries' INTR_RMV waits for the primary's callbacks of it. */
#define MANA_RESET_RMV_FIRST_MS		100u
/* How long dev_close waits for a running device event callback (it never blocks). */
#define MANA_RESET_DEV_EVENT_WAIT_MS	2000

/* State of one reset, owned by the reset thread. */
struct mana_reset_run {
	uint32_t old_generation;	/* doorbell being revoked */
	uint32_t new_generation;
	struct mana_hw_ctx *new_ctx;	/* opened by WAIT_HW */
	struct mana_mp_round_result remap; /* sent by REMAP, collected by RESUME */
	unsigned int restarts;
	unsigned int retries;		/* failed reopens/rebuilds started over */
	uint64_t deadline_ns;		/* recovery_timeout_ms from the first wait_hw, 0: unset */
	bool removed;			/* the device is gone for good */
};

#define MANA_RESET_RESTART	1	/* phase result: the new instance died, start over */

typedef int (*mana_reset_phase_fn)(struct rte_eth_dev *dev, struct mana_reset_run *run);

static bool mana_reset_pending(struct mana_reset_ctl *ctl, uint32_t min_generation, bool take);
static void mana_reset_round_set(struct mana_reset_ctl *ctl, bool open);

static int mana_reset_quiesce(struct rte_eth_dev *dev, struct mana_reset_run *run);
static int mana_reset_unmap(struct rte_eth_dev *dev, struct mana_reset_run *run);
static int mana_reset_teardown(struct rte_eth_dev *dev, struct mana_reset_run *run);
static int mana_reset_wait_hw(struct rte_eth_dev *dev, struct mana_reset_run *run);
static int mana_reset_reopen(struct rte_eth_dev *dev, struct mana_reset_run *run);
static int mana_reset_remap(struct rte_eth_dev *dev, struct mana_reset_run *run);
static int mana_reset_rebuild(struct rte_eth_dev *dev, struct mana_reset_run *run);
static int mana_reset_resume(struct rte_eth_dev *dev, struct mana_reset_run *run);

static const struct {
	enum mana_reset_phase phase;
	const char *name;
	mana_reset_phase_fn run;
} mana_reset_phases[] = {
	{ MANA_PHASE_QUIESCE,	"quiesce",	mana_reset_quiesce },	/* bursts out */
	{ MANA_PHASE_UNMAP,	"unmap",	mana_reset_unmap },	/* UNMAP_DB, acks */
	{ MANA_PHASE_TEARDOWN,	"teardown",	mana_reset_teardown },	/* queues, MRs, ctx */
	{ MANA_PHASE_WAIT_HW,	"wait_hw",	mana_reset_wait_hw },	/* poll for return */
	{ MANA_PHASE_REOPEN,	"reopen",	mana_reset_reopen },	/* new context */
	{ MANA_PHASE_REMAP,	"remap",	mana_reset_remap },	/* REMAP_DB sent */
	{ MANA_PHASE_REBUILD,	"rebuild",	mana_reset_rebuild },	/* MRs, queues */
	{ MANA_PHASE_RESUME,	"resume",	mana_reset_resume },	/* acks, ACTIVE */
};

const char *
mana_phase_name(enum mana_reset_phase phase)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(mana_reset_phases); i++)
		if (mana_reset_phases[i].phase == phase)
			return mana_reset_phases[i].name;
	return "none";
}

static struct mana_reset_ctl *
mana_reset_ctl(struct rte_eth_dev *dev)
{
	return mana_local(dev)->reset;
}

/* Phase changes are ordered with ATTACH decisions by the registry lock. */
static void
mana_reset_set_phase(struct rte_eth_dev *dev, enum mana_reset_phase phase)
{
	struct mana_local *lp = mana_local(dev);

	mana_mutex_lock(&lp->registry_lock);
	rte_atomic_store_explicit(&lp->priv->reset.phase, phase, rte_memory_order_release);
	mana_mutex_unlock(&lp->registry_lock);
}

/*
 * A secondary may be given the doorbell while the port is up, and during a
 * reset once the new page has been announced (REMAP onwards): a process
 * that attaches before that is in the REMAP broadcast's registry snapshot. Callers hold
 * registry_lock, which orders this with mana_reset_set_phase().
 */
bool
mana_reset_doorbell_available(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	enum mana_dev_state st = mana_word_state(mana_state_load(priv));
	uint32_t phase = rte_atomic_load_explicit(&priv->reset.phase, rte_memory_order_acquire);

	if (mana_local(dev)->ctx == NULL)
		return false;
	return st == MANA_DEV_ACTIVE || st == MANA_DEV_STOPPED ||
	       (st == MANA_DEV_RESETTING && phase >= MANA_PHASE_REMAP);
}

/* ------------------------------------------------------------------ */
/* Interrupt thread.                                                   */

/* Flip ACTIVE/STOPPED to RESETTING; false if the port is in no state to reset. */
static bool
mana_reset_flip_state(struct mana_priv *priv)
{
	uint64_t word = mana_state_load(priv);

	for (;;) {
		enum mana_dev_state st = mana_word_state(word);
		uint64_t next;

		if (st == MANA_DEV_RESETTING)
			return true;
		if (st != MANA_DEV_ACTIVE && st != MANA_DEV_STOPPED)
			return false;
		next = mana_state_word(mana_word_generation(word), MANA_DEV_RESETTING);
		if (rte_atomic_compare_exchange_strong_explicit(&priv->state.word, &word, next,
						rte_memory_order_seq_cst, rte_memory_order_acquire))
			return true;
	}
}

/* A fatal event from the context of @generation. */
static void
mana_reset_request(struct rte_eth_dev *dev, uint32_t generation)
{
	struct mana_reset_ctl *ctl = mana_reset_ctl(dev);
	struct mana_priv *priv = mana_priv(dev);
	bool first = false;

	if (!mana_reset_flip_state(priv)) {
		RESET_LOG(NOTICE, "port %u: fatal event ignored in state %s", priv->port_id,
			  mana_state_name(mana_word_state(mana_state_load(priv))));
		return;
	}
	mana_mutex_lock(&ctl->lock);
	if (!ctl->cancel && !ctl->exit) {
		first = !ctl->running && ctl->requested_gen == 0;
		ctl->requested_gen = RTE_MAX(ctl->requested_gen, generation);
		if (first) {
			ctl->event_ns = mana_now_ns();
			ctl->announced = true;
		}
		mana_cond_broadcast(&ctl->cond);
	}
	mana_mutex_unlock(&ctl->lock);

	if (first) {
		rte_atomic_store_explicit(&priv->reset.last_event_ns, mana_now_ns(),
					  rte_memory_order_relaxed);
		if (generation == MANA_RESET_GEN_REMOVED)
			RESET_LOG(WARNING, "port %u: device removed: resetting (to fail)",
				  priv->port_id);
		else
			RESET_LOG(WARNING, "port %u: device fatal event (generation %u): resetting",
				  priv->port_id, generation);
		mana_event_post(priv->port_id, RTE_ETH_EVENT_ERR_RECOVERING);
	} else if (generation == MANA_RESET_GEN_REMOVED) {
		RESET_LOG(WARNING, "port %u: device removed during recovery", priv->port_id);
	} else {
		RESET_LOG(WARNING, "port %u: fatal event from generation %u during recovery",
			  priv->port_id, generation);
	}
}

static void
mana_reset_intr_handler(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct mana_local *lp = mana_local(dev);
	struct mana_reset_ctl *ctl = lp->reset;
	enum mana_hw_event event;

	/*
	 * EAL does not drain an EXT fd: read every pending event. Port events
	 * follow the kernel netdev's carrier, which is down while DPDK owns the
	 * vport; MANA has no carrier state of its own (upstream mana.c), so
	 * they do not change the link.
	 */
	while (mana_hw_get_async_event(ctl->intr_ctx, &event) == 0) {
		if (event == MANA_HW_EVENT_DEVICE_FATAL)
			mana_reset_request(dev, ctl->intr_generation);
	}
}

/* Listen to @ctx's async fd. Called with the handler unregistered. */
static int
mana_reset_intr_attach(struct rte_eth_dev *dev, struct mana_hw_ctx *ctx, uint32_t generation)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_reset_ctl *ctl = lp->reset;
	int fd = mana_hw_async_fd(ctx);
	int ret;

	ctl->intr_ctx = ctx;
	ctl->intr_generation = generation;
	if (fd < 0 || rte_intr_fd_set(ctl->intr, fd) != 0)
		return -EINVAL;
	ret = rte_intr_callback_register(ctl->intr, mana_reset_intr_handler, dev);
	if (ret != 0) {
		RESET_LOG(ERR, "port %u: cannot listen to device events: %s",
			  dev->data->port_id, strerror(-ret));
		return ret;
	}
	ctl->intr_registered = true;
	return 0;
}

static void
mana_reset_intr_detach(struct rte_eth_dev *dev)
{
	struct mana_reset_ctl *ctl = mana_reset_ctl(dev);
	int ret;

	if (!ctl->intr_registered)
		return;
	/* -EAGAIN while the handler runs on the interrupt thread: retry. */
	do {
		ret = rte_intr_callback_unregister(ctl->intr, mana_reset_intr_handler, dev);
		if (ret == -EAGAIN)
			sched_yield();
	} while (ret == -EAGAIN);
	ctl->intr_registered = false;
	ctl->intr_ctx = NULL;
}

/*
 * EAL's device event callback (the kernel's "remove" uevent of the PCI
 * function, read by EAL's monitor, lib/eal/linux/eal_dev.c), on the
 * interrupt thread: nothing here blocks. A running reset ends at once as
 * removed (its wait for the device is woken); with none running, one is
 * started as for a fatal event, and it ends the same way when it reaches
 * the wait for the device: RECOVERY_FAILED then INTR_RMV, once, whether the
 * device's own fatal event comes before, after or not at all.
 */
static void
mana_reset_dev_event(const char *device_name, enum rte_dev_event_type event, void *arg)
{
	struct mana_reset_ctl *ctl = arg;
	bool seen;

	if (event != RTE_DEV_EVENT_REMOVE)
		return;
	mana_mutex_lock(&ctl->lock);
	seen = ctl->removed || ctl->exit;	/* exit: the port is being closed */
	ctl->removed = true;
	mana_cond_broadcast(&ctl->cond);
	mana_mutex_unlock(&ctl->lock);
	if (seen)
		return;
	RESET_LOG(WARNING, "port %u: EAL reports the removal of %s", ctl->dev->data->port_id,
		  device_name);
	mana_reset_request(ctl->dev, MANA_RESET_GEN_REMOVED);
}

static bool
mana_reset_removed(struct mana_reset_ctl *ctl)
{
	bool removed;

	mana_mutex_lock(&ctl->lock);
	removed = ctl->removed;
	mana_mutex_unlock(&ctl->lock);
	return removed;
}

/* Works only if the application runs the monitor (rte_dev_event_monitor_start). */
static int
mana_reset_dev_event_register(struct rte_eth_dev *dev, struct mana_reset_ctl *ctl)
{
	int ret;

	if (dev->device == NULL || dev->device->name == NULL)
		return 0;
	strlcpy(ctl->dev_name, dev->device->name, sizeof(ctl->dev_name));
	ret = rte_dev_event_callback_register(ctl->dev_name, mana_reset_dev_event, ctl);
	if (ret != 0) {
		RESET_LOG(ERR, "port %u: cannot register a device event callback for %s: %s",
			  dev->data->port_id, ctl->dev_name, strerror(-ret));
		return ret;
	}
	ctl->dev_event_registered = true;
	return 0;
}

/*
 * -EAGAIN while the callback runs on the interrupt thread, which it does
 * only briefly: retry within a bound. Never called from the callback (it
 * closes nothing). False if it could not be unregistered: the control
 * block must then outlive the port.
 */
static bool
mana_reset_dev_event_unregister(struct rte_eth_dev *dev, struct mana_reset_ctl *ctl)
{
	uint64_t deadline = mana_now_ns() + MANA_RESET_DEV_EVENT_WAIT_MS * 1000000ull;
	int ret;

	if (!ctl->dev_event_registered)
		return true;
	for (;;) {
		ret = rte_dev_event_callback_unregister(ctl->dev_name, mana_reset_dev_event, ctl);
		if (ret != -EAGAIN || mana_now_ns() >= deadline)
			break;
		rte_delay_us_sleep(100);
	}
	if (ret == -EAGAIN) {
		RESET_LOG(ERR, "port %u: device event callback still running after %u ms",
			  dev->data->port_id, MANA_RESET_DEV_EVENT_WAIT_MS);
		return false;
	}
	ctl->dev_event_registered = false;
	return true;
}

/*
 * The device's return, heard: a registered ibv device gets its uverbs node
 * (ib_uverbs_add_one, drivers/infiniband/core/uverbs_main.c), whose
 * device_add() broadcasts an "add" uevent with SUBSYSTEM=infiniband_verbs
 * to netlink group 1 (lib/kobject_uevent.c), which any process may join;
 * its DEVPATH is under the PCI function (the ib device's parent, which
 * uverbs takes). The infiniband class device's own uevent is tagged with
 * the device's network namespace and may not reach this process. It wakes
 * the wait for the device, which looks at once instead of at its next poll
 * (up to recovery_poll_ms away). A process that hears no uevents (a network
 * namespace of another user namespace, no socket) polls.
 */
static bool
mana_reset_uevent_is_verbs_add(const char *msg, size_t len, const char *pci_name)
{
	static const char action[] = "ACTION=add", subsystem[] = "SUBSYSTEM=infiniband_verbs";
	static const char devpath[] = "DEVPATH=";
	bool add = false, verbs = false, ours = false;
	char under[RTE_DEV_NAME_MAX_LEN + 3];
	size_t off = 0;

	snprintf(under, sizeof(under), "/%s/", pci_name);
	/* "ACTION@DEVPATH", then KEY=VALUE strings, each ended by a NUL. */
	while (off < len) {
		const char *v = msg + off;
		size_t n = strnlen(v, len - off);

		add |= n == sizeof(action) - 1 && memcmp(v, action, n) == 0;
		verbs |= n == sizeof(subsystem) - 1 && memcmp(v, subsystem, n) == 0;
		/* Bounded: a NUL ends v within the message (else n == len - off). */
		if (n > sizeof(devpath) - 1 && off + n < len &&
		    memcmp(v, devpath, sizeof(devpath) - 1) == 0)
			ours |= strstr(v, under) != NULL;
		off += n + 1;
	}
	return add && verbs && ours;
}

/*
 * On the interrupt thread. EAL does not drain an EXT fd, but polls it again
 * while a message is queued: read a bounded number per call, so that a
 * uevent storm (udevadm trigger) does not hold the thread.
 */
static void
mana_reset_uevent_handler(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct mana_reset_ctl *ctl = mana_reset_ctl(dev);
	int fd = rte_intr_fd_get(ctl->uevent_intr);
	char msg[MANA_UEVENT_MSG_MAX];
	bool added = false;
	unsigned int i;
	ssize_t n;

	for (i = 0; i < MANA_UEVENT_BATCH; i++) {
		n = recv(fd, msg, sizeof(msg), MSG_DONTWAIT);
		if (n >= 0) {
			added |= mana_reset_uevent_is_verbs_add(msg, (size_t)n, ctl->dev_name);
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS) {
			added = true;	/* some were lost: one may have been ours */
			continue;
		}
		break;			/* EAGAIN: drained */
	}
	if (!added)
		return;
	mana_mutex_lock(&ctl->lock);
	ctl->device_hint = true;
	mana_cond_broadcast(&ctl->cond);
	mana_mutex_unlock(&ctl->lock);
}

/* Join group 1 of NETLINK_KOBJECT_UEVENT. Not hearing uevents is not an error. */
static void
mana_reset_uevent_listen(struct rte_eth_dev *dev, struct mana_reset_ctl *ctl)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	const char *what = "socket";
	int fd, ret;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_KOBJECT_UEVENT);
	ret = fd < 0 ? -errno : 0;
	if (ret == 0) {
		what = "bind";
		if (bind(fd, (const struct sockaddr *)&addr, sizeof(addr)) != 0)
			ret = -errno;
	}
	if (ret == 0) {
		what = "interrupt handle";
		ctl->uevent_intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
		if (ctl->uevent_intr == NULL ||
		    rte_intr_type_set(ctl->uevent_intr, RTE_INTR_HANDLE_EXT) != 0 ||
		    rte_intr_fd_set(ctl->uevent_intr, fd) != 0)
			ret = -ENOMEM;
	}
	if (ret == 0) {
		what = "interrupt callback";
		ret = rte_intr_callback_register(ctl->uevent_intr, mana_reset_uevent_handler, dev);
	}
	if (ret == 0) {
		ctl->uevent_registered = true;
		return;
	}
	RESET_LOG(NOTICE, "port %u: device return polled only (uevents: %s: %s)",
		  dev->data->port_id, what, strerror(-ret));
	rte_intr_instance_free(ctl->uevent_intr);
	ctl->uevent_intr = NULL;
	if (fd >= 0)
		close(fd);
}

/*
 * -EAGAIN while the handler runs on the interrupt thread (briefly, it never
 * blocks): retry within the bound of mana_reset_dev_event_unregister().
 * False if it could not be unregistered: the control block must outlive
 * the port.
 */
static bool
mana_reset_uevent_close(struct mana_reset_ctl *ctl)
{
	uint64_t deadline = mana_now_ns() + MANA_RESET_DEV_EVENT_WAIT_MS * 1000000ull;
	int ret;

	if (!ctl->uevent_registered)
		return true;
	for (;;) {
		ret = rte_intr_callback_unregister(ctl->uevent_intr, mana_reset_uevent_handler,
						   ctl->dev);
		if (ret != -EAGAIN || mana_now_ns() >= deadline)
			break;
		rte_delay_us_sleep(100);
	}
	if (ret == -EAGAIN) {
		RESET_LOG(ERR, "port %u: uevent handler still running after %u ms",
			  ctl->dev->data->port_id, MANA_RESET_DEV_EVENT_WAIT_MS);
		return false;
	}
	close(rte_intr_fd_get(ctl->uevent_intr));
	rte_intr_instance_free(ctl->uevent_intr);
	ctl->uevent_intr = NULL;
	ctl->uevent_registered = false;
	return true;
}

/* ------------------------------------------------------------------ */
/* The phases.                                                         */

static int
mana_reset_quiesce(struct rte_eth_dev *dev, struct mana_reset_run *run)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = lp->priv;
	struct mana_quiesce_result q;
	int ret;

	mana_mutex_lock(&lp->ctl_lock);
	mana_reset_flip_state(priv);
	run->old_generation = priv->db_generation;
	if (run->restarts == 0 && run->retries == 0)
		mana_mp_send_event(dev, RTE_ETH_EVENT_ERR_RECOVERING);
	/*
	 * Wait for the bursts that read the old state word. A stopped port has
	 * no bursts (and ethdev may be resizing its queue arrays under a
	 * reconfigure): nothing to wait for.
	 */
	memset(&q, 0, sizeof(q));
	ret = 0;
	if (priv->started)
		ret = mana_queues_quiesce(dev, &q);
	priv->reset.quiesce_waits += q.waited;
	priv->reset.quiesce_stopped_owners += q.stopped_owner;
	if (ret != 0) {
		priv->reset.quiesce_timeouts++;
		priv->reset.evictions += __builtin_popcountll(q.stuck_slots & ~UINT64_C(1));
	}
	if (q.dead_owner != 0)
		RESET_LOG(NOTICE, "port %u: %u queue(s) held by dead processes",
			  dev->data->port_id, q.dead_owner);
	/*
	 * A stuck queue without a spare to replace it cannot be rebuilt under
	 * its poller, and memory for one is not taken from the heap here: the
	 * recovery fails (not retried: no spare appears before dev_start).
	 */
	ret = 0;
	if (q.unquarantined != 0) {
		RESET_LOG(ERR, "port %u: %u stuck queue(s) could not be quarantined",
			  dev->data->port_id, q.unquarantined);
		ret = -ENOMEM;
	}
	mana_mutex_unlock(&lp->ctl_lock);
	return ret;
}

/* Account a broadcast; processes that answered with an error are evicted. */
static void
mana_reset_account_round(struct rte_eth_dev *dev, const struct mana_mp_round_result *r)
{
	struct mana_priv *priv = mana_priv(dev);
	uint64_t failed = r->failed & ~r->evicted;

	if (failed != 0)
		mana_registry_evict(dev, failed);
	priv->reset.evictions += __builtin_popcountll(r->evicted | failed);
	priv->reset.dead_procs += __builtin_popcountll(r->dead);
}

static int
mana_reset_unmap(struct rte_eth_dev *dev, struct mana_reset_run *run)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_mp_round_result r;

	mana_mutex_lock(&lp->ctl_lock);
	mana_mp_broadcast(dev, MANA_MP_UNMAP_DB, run->old_generation, -1,
			  lp->priv->args.ack_timeout_ms, &r);
	mana_reset_account_round(dev, &r);
	mana_mutex_unlock(&lp->ctl_lock);
	return 0;
}

/* Release everything of the current device instance. Caller holds ctl_lock. */
static void
mana_reset_release_instance(struct mana_local *lp) __mana_requires(&lp->ctl_lock)
{
	struct rte_eth_dev *dev = lp->dev;

	mana_reset_intr_detach(dev);
	mana_queues_destroy(dev);
	if (lp->priv->started)
		mana_queues_release_mbufs(dev);
	mana_mr_release_all(dev, false);	/* and the PD */
	mana_db_unmap(dev, 0);
	if (lp->ctx != NULL)
		mana_hw_close(lp->ctx);	/* revokes the doorbell page */
	lp->ctx = NULL;
}

static int
mana_reset_teardown(struct rte_eth_dev *dev, struct mana_reset_run *run __rte_unused)
{
	struct mana_local *lp = mana_local(dev);

	mana_mutex_lock(&lp->ctl_lock);
	mana_reset_release_instance(lp);
	mana_mutex_unlock(&lp->ctl_lock);
	return 0;
}

/*
 * Sleep @ms unless the reset is cancelled (returns true) or the device
 * was removed. With @heard, an ibv device of the port's function
 * registered since the last such sleep (mana_reset_uevent_handler()) ends
 * it early too, and *@heard says so.
 */
static bool
mana_reset_sleep(struct mana_reset_ctl *ctl, uint32_t ms, bool *heard)
{
	uint64_t deadline = mana_now_ns() + (uint64_t)ms * 1000000ull;
	bool cancel;

	mana_mutex_lock(&ctl->lock);
	while (!ctl->cancel && !ctl->removed && !(heard != NULL && ctl->device_hint) &&
	       mana_now_ns() < deadline)
		mana_cond_wait_until(&ctl->cond, &ctl->lock, deadline);
	if (heard != NULL) {
		*heard = ctl->device_hint;
		ctl->device_hint = false;
	}
	cancel = ctl->cancel;
	mana_mutex_unlock(&ctl->lock);
	return cancel;
}

/* Forget a uevent heard before this wait for the device began. */
static void
mana_reset_forget_device_hint(struct mana_reset_ctl *ctl)
{
	mana_mutex_lock(&ctl->lock);
	ctl->device_hint = false;
	mana_mutex_unlock(&ctl->lock);
}

/*
 * Poll for the device's return: the RAW ibv device of the PCI function
 * (mana_hw_open() skips the RC device, which may come back first), with its
 * port and netdev. Looks after 1 ms, then backs off exponentially up to
 * recovery_poll_ms - and at once when a new uverbs device is announced by
 * a uevent - within recovery_timeout_ms (from the first wait of this
 * recovery: a retry does not extend it). -EAGAIN means absent (keep
 * looking until the bound, then call it removed); -ENODEV means the PCI
 * function left sysfs (removed); any other error means present but failing
 * (retry until the bound, then fail). The port must come back with its MAC:
 * another MAC is another vNIC, and fails the recovery.
 */
static int
mana_reset_wait_hw(struct rte_eth_dev *dev, struct mana_reset_run *run)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = lp->priv;
	uint32_t delay_ms = 1;
	unsigned int attempts = 0;
	uint64_t deadline;
	int ret;

	if (run->deadline_ns == 0)
		run->deadline_ns = mana_now_ns() +
				   (uint64_t)priv->args.recovery_timeout_ms * 1000000ull;
	deadline = run->deadline_ns;
	mana_reset_forget_device_hint(lp->reset);
	for (;;) {
		bool heard;
		uint64_t now;

		if (mana_reset_removed(lp->reset)) {
			run->removed = true;
			ret = -ENODEV;
			break;
		}
		ret = mana_hw_open(lp->hw_dev, &run->new_ctx);
		attempts++;
		if (ret == 0)
			break;
		if (ret == -ENODEV) {
			run->removed = true;
			break;
		}
		now = mana_now_ns();
		if (now >= deadline) {
			run->removed = ret == -EAGAIN;
			RESET_LOG(ERR, "port %u: device %s after %u ms (%u attempts)",
				  dev->data->port_id,
				  run->removed ? "did not come back" : "keeps failing to open",
				  priv->args.recovery_timeout_ms, attempts);
			break;
		}
		delay_ms = RTE_MIN(delay_ms, (uint32_t)((deadline - now + 999999) / 1000000));
		if (mana_reset_sleep(lp->reset, delay_ms, &heard))
			return -ECANCELED;
		/*
		 * Announced: the device may still be finishing its registration
		 * (the uverbs uevent comes from inside it): look again soon.
		 */
		delay_ms = heard ? 1 : RTE_MIN(delay_ms * 2, priv->args.recovery_poll_ms);
	}
	if (ret != 0)
		return ret;
	if (!rte_is_same_ether_addr(mana_hw_ctx_mac(run->new_ctx), &priv->caps.mac)) {
		char was[RTE_ETHER_ADDR_FMT_SIZE], now_mac[RTE_ETHER_ADDR_FMT_SIZE];

		rte_ether_format_addr(was, sizeof(was), &priv->caps.mac);
		rte_ether_format_addr(now_mac, sizeof(now_mac), mana_hw_ctx_mac(run->new_ctx));
		RESET_LOG(ERR, "port %u: the device came back with MAC %s on this port instead"
			  " of %s: not the same vNIC, recovery fails", dev->data->port_id, now_mac,
			  was);
		mana_hw_close(run->new_ctx);
		run->new_ctx = NULL;
		return -EADDRNOTAVAIL;
	}
	RESET_LOG(INFO, "port %u: device back after %u attempt(s)", dev->data->port_id, attempts);
	return 0;
}

static int
mana_reset_reopen(struct rte_eth_dev *dev, struct mana_reset_run *run)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = lp->priv;
	struct mana_hw_caps caps;
	struct mana_hw_pd *pd;
	int ret;

	mana_mutex_lock(&lp->ctl_lock);
	lp->ctx = run->new_ctx;
	run->new_ctx = NULL;
	run->new_generation = run->old_generation + 1;
	/* Events of the new instance (a fatal one restarts us) from here on. */
	ret = mana_reset_intr_attach(dev, lp->ctx, run->new_generation);
	if (ret != 0)
		goto out;
	ret = mana_hw_query(lp->ctx, &caps);
	if (ret != 0)
		goto out;
	priv->caps = caps;
	ret = mana_hw_alloc_pd(lp->ctx, &pd);
	if (ret != 0)
		goto out;
	mana_mr_set_pd(dev, pd);
	rte_atomic_store_explicit(&priv->db_generation, run->new_generation,
				  rte_memory_order_release);
	ret = mana_db_map(dev, mana_hw_doorbell_fd(lp->ctx), run->new_generation,
			  priv->db_region_size);
out:
	if (ret != 0)
		RESET_LOG(ERR, "port %u: opening the new device instance failed: %s",
			  dev->data->port_id, strerror(-ret));
	mana_mutex_unlock(&lp->ctl_lock);
	return ret;
}

/*
 * Hand every secondary the new doorbell now: mapping it does not depend on
 * the queues, so secondaries map while the primary rebuilds, and RESUME
 * collects their answers.
 */
static int
mana_reset_remap(struct rte_eth_dev *dev, struct mana_reset_run *run)
{
	struct mana_local *lp = mana_local(dev);

	mana_mutex_lock(&lp->ctl_lock);
	mana_reset_round_set(lp->reset, true);
	mana_mp_broadcast_begin(dev, MANA_MP_REMAP_DB, run->new_generation,
				mana_hw_doorbell_fd(lp->ctx), lp->priv->args.ack_timeout_ms,
				&run->remap);
	mana_mutex_unlock(&lp->ctl_lock);
	return 0;
}

/* Memory registrations and, if the application had started the port, queues. */
static int
mana_reset_rebuild(struct rte_eth_dev *dev, struct mana_reset_run *run __rte_unused)
{
	struct mana_local *lp = mana_local(dev);
	int ret;

	mana_mutex_lock(&lp->ctl_lock);
	ret = mana_mr_rebuild(dev);
	if (ret == 0 && lp->priv->started)
		ret = mana_port_mtu_apply(dev);
	if (ret == 0 && lp->priv->started)
		ret = mana_queues_create(dev, false);
	if (ret != 0)
		RESET_LOG(ERR, "port %u: rebuilding in the new device instance failed: %s",
			  dev->data->port_id, strerror(-ret));
	mana_mutex_unlock(&lp->ctl_lock);
	return ret;
}

static int
mana_reset_resume(struct rte_eth_dev *dev, struct mana_reset_run *run)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = lp->priv;
	bool started;

	mana_mutex_lock(&lp->ctl_lock);
	mana_mp_broadcast_end(dev, &run->remap);
	mana_reset_round_set(lp->reset, false);
	mana_reset_account_round(dev, &run->remap);
	/* The new instance died while we collected the answers: start over. */
	if (mana_reset_pending(lp->reset, run->new_generation, true)) {
		mana_mutex_unlock(&lp->ctl_lock);
		return MANA_RESET_RESTART;
	}
	started = priv->started;
	mana_set_burst_functions(dev, started);
	mana_state_set(priv, run->new_generation,
		       started ? MANA_DEV_ACTIVE : MANA_DEV_STOPPED);
	mana_link_set(dev, started);
	mana_mutex_unlock(&lp->ctl_lock);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The reset thread.                                                   */

/*
 * The REMAP_DB round spans two phases and ctl_lock is free in between; a
 * port has one round at a time, so dev_stop must not broadcast then.
 */
static void
mana_reset_round_set(struct mana_reset_ctl *ctl, bool open)
{
	mana_mutex_lock(&ctl->lock);
	ctl->round_open = open;
	if (!open)
		mana_cond_broadcast(&ctl->cond);
	mana_mutex_unlock(&ctl->lock);
}

/*
 * Drop pending fatal events older than @min_generation (instances this
 * reset has replaced; UINT32_MAX: every one, a removal included). With
 * @take, also take one from @min_generation or newer and say so; without,
 * leave it pending for the next reset.
 */
static bool
mana_reset_pending(struct mana_reset_ctl *ctl, uint32_t min_generation, bool take)
{
	bool found;

	mana_mutex_lock(&ctl->lock);
	if (ctl->requested_gen < min_generation || min_generation == UINT32_MAX)
		ctl->requested_gen = 0;
	found = ctl->requested_gen != 0;
	if (found && take)
		ctl->requested_gen = 0;
	mana_mutex_unlock(&ctl->lock);
	return found;
}

/*
 * Every recovery starts with ERR_RECOVERING. The interrupt thread delivers
 * it for the first fatal event; a reset started by an event that arrived
 * while the previous one was finishing delivers it here.
 */
static void
mana_reset_announce(struct rte_eth_dev *dev, struct mana_reset_ctl *ctl)
{
	bool needed;

	mana_mutex_lock(&ctl->lock);
	needed = !ctl->announced;
	ctl->announced = true;
	mana_mutex_unlock(&ctl->lock);
	if (needed)
		mana_event_post(dev->data->port_id, RTE_ETH_EVENT_ERR_RECOVERING);
}

static bool
mana_reset_cancelled(struct mana_reset_ctl *ctl)
{
	bool cancel;

	mana_mutex_lock(&ctl->lock);
	cancel = ctl->cancel;
	mana_mutex_unlock(&ctl->lock);
	return cancel;
}

/*
 * A phase working on the new instance failed: was it because that instance
 * died too? The fatal event may still be on its way to the interrupt
 * thread; look at the context's events directly as well.
 */
static bool
mana_reset_new_instance_died(struct rte_eth_dev *dev, struct mana_reset_run *run)
{
	struct mana_local *lp = mana_local(dev);
	enum mana_hw_event event;
	bool died = false;

	if (mana_reset_pending(lp->reset, run->new_generation, true))
		return true;
	mana_mutex_lock(&lp->ctl_lock);
	while (lp->ctx != NULL && mana_hw_get_async_event(lp->ctx, &event) == 0)
		died |= event == MANA_HW_EVENT_DEVICE_FATAL;
	mana_mutex_unlock(&lp->ctl_lock);
	return died;
}

/*
 * Queued here first (deferred to the interrupt thread, which never waits:
 * mana_defer.h), then forwarded: the datagrams may wait for full queues
 * (up to MANA_MP_SEND_TIMEOUT_MS each). No order between processes is
 * promised.
 */
static void
mana_reset_emit(struct rte_eth_dev *dev, enum rte_eth_event_type event)
{
	mana_event_post(dev->data->port_id, event);
	mana_mp_send_event(dev, event);
}

/*
 * INTR_RMV: this process's application first, the secondaries once its
 * callbacks have returned (or after MANA_RESET_RMV_FIRST_MS, or at once if
 * the port is being closed). Applications answer INTR_RMV by detaching the
 * device in every process, usually from an alarm set in the callback
 * (testpmd: rmv_port_callback, 100 ms later); EAL hands a secondary's
 * detach to the primary, which removes the device there too
 * (lib/eal/common/hotplug_mp.c) - under the primary's lcores if its own
 * alarm has not stopped them yet. Told first, the primary's application
 * sets its alarm first.
 */
static void
mana_reset_emit_rmv(struct rte_eth_dev *dev)
{
	uint64_t deadline = mana_now_ns() + MANA_RESET_RMV_FIRST_MS * 1000000ull;
	uint16_t port_id = dev->data->port_id;
	uint32_t ticket;

	if (mana_event_post_ticket(port_id, RTE_ETH_EVENT_INTR_RMV, &ticket) == 0) {
		while (!mana_event_delivered(port_id, ticket) && mana_now_ns() < deadline &&
		       !mana_reset_cancelled(mana_reset_ctl(dev)))
			rte_delay_us_sleep(100);
	}
	mana_mp_send_event(dev, RTE_ETH_EVENT_INTR_RMV);
}

/* Recovery is over and failed: leave the port FAILED, tell everyone. */
static void
mana_reset_fail(struct rte_eth_dev *dev, struct mana_reset_run *run, int error)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = lp->priv;

	mana_mutex_lock(&lp->ctl_lock);
	mana_reset_release_instance(lp);
	if (run->new_ctx != NULL)
		mana_hw_close(run->new_ctx);
	run->new_ctx = NULL;
	mana_set_burst_functions(dev, false);
	mana_state_set(priv, priv->db_generation, MANA_DEV_FAILED);
	mana_link_set(dev, false);
	priv->reset.failed++;
	priv->reset.last_error = error;
	if (run->removed)
		priv->reset.removals++;
	mana_mutex_unlock(&lp->ctl_lock);

	RESET_LOG(ERR, "port %u: recovery failed (%s)%s", dev->data->port_id, strerror(-error),
		  run->removed ? ": device removed" : "");
	mana_reset_emit(dev, RTE_ETH_EVENT_RECOVERY_FAILED);
	/*
	 * INTR_RMV follows in every failure, the device gone or back but
	 * broken: netvsc, through which most Azure applications use the VF,
	 * acts on INTR_RMV only in DPDK 22.11, 24.11 and 25.11
	 * (drivers/net/netvsc/hn_vf.c, hn_vf_attach) and so removes the VF -
	 * and goes on over the synthetic path - exactly once. (netvsc of later
	 * DPDK also acts on RECOVERY_FAILED, commit 847cfeb474: not a version
	 * this driver supports; there the VF would be removed twice.)
	 */
	mana_reset_emit_rmv(dev);
}

/*
 * Opening or rebuilding in the new instance failed with @error, and that
 * instance did not die. A PCI function that has left sysfs is a hot-remove:
 * fail now, as removed, instead of retrying until the bound. Anything else
 * may be transient (a command the device refuses while it settles): start
 * over from quiesce - which releases what was built and opens a fresh
 * instance - after a back-off, at most max_reset_retries times and within
 * the recovery's recovery_timeout_ms (hns3_reset.c bounds its re-init
 * retries the same way). Returns 0 to start over, else the error to fail
 * with.
 */
static int
mana_reset_retry(struct rte_eth_dev *dev, struct mana_reset_run *run,
		 enum mana_reset_phase phase, int error)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = lp->priv;
	uint64_t now = mana_now_ns();
	uint32_t delay_ms;

	if (mana_reset_removed(lp->reset) || !mana_hw_dev_present(lp->hw_dev)) {
		run->removed = true;
		RESET_LOG(ERR, "port %u: %s failed (%s): the PCI function was removed",
			  dev->data->port_id, mana_phase_name(phase), strerror(-error));
		return -ENODEV;
	}
	if (run->retries >= priv->args.max_reset_retries || now >= run->deadline_ns) {
		RESET_LOG(ERR, "port %u: %s failed (%s), giving up after %u retries%s",
			  dev->data->port_id, mana_phase_name(phase), strerror(-error),
			  run->retries, now >= run->deadline_ns ? " (recovery_timeout_ms)" : "");
		return error;
	}
	/* 8, 16, 32... ms, capped by recovery_poll_ms and the deadline. */
	delay_ms = 8u << (run->retries < 16 ? run->retries : 16);
	delay_ms = RTE_MIN(delay_ms, priv->args.recovery_poll_ms);
	delay_ms = RTE_MIN(delay_ms, (uint32_t)((run->deadline_ns - now + 999999) / 1000000));
	run->retries++;
	priv->reset.retries++;
	RESET_LOG(WARNING, "port %u: %s failed (%s): retry %u of %u in %u ms",
		  dev->data->port_id, mana_phase_name(phase), strerror(-error), run->retries,
		  priv->args.max_reset_retries, delay_ms);
	if (mana_reset_sleep(lp->reset, delay_ms, NULL))
		return -ECANCELED;
	return 0;
}

static void
mana_reset_run(struct rte_eth_dev *dev, uint64_t event_ns)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = lp->priv;
	struct mana_reset_ctl *ctl = lp->reset;
	struct mana_reset_run run = { 0 };
	unsigned int i = 0;
	int ret = 0;

	priv->reset.started++;
	memset(priv->reset.last_phase_us, 0, sizeof(priv->reset.last_phase_us));
	priv->reset.last_hw_down_us = 0;
	mana_reset_announce(dev, ctl);

	while (i < RTE_DIM(mana_reset_phases)) {
		enum mana_reset_phase phase = mana_reset_phases[i].phase;
		uint64_t t0 = mana_now_ns();

		if (mana_reset_cancelled(ctl)) {
			ret = -ECANCELED;
			break;
		}
		/*
		 * A removal reported by EAL ends the recovery once the old
		 * instance is released (quiesce, unmap and teardown run), and
		 * after any later phase, before a restart or a retry could hide it.
		 */
		if (phase >= MANA_PHASE_WAIT_HW && mana_reset_removed(ctl)) {
			run.removed = true;
			ret = -ENODEV;
			break;
		}
		mana_reset_set_phase(dev, phase);
		ret = mana_reset_phases[i].run(dev, &run);
		priv->reset.last_phase_us[phase] += (mana_now_ns() - t0) / 1000;
		if (phase == MANA_PHASE_WAIT_HW)
			priv->reset.last_hw_down_us += (mana_now_ns() - t0) / 1000;
		if (phase >= MANA_PHASE_WAIT_HW && ret != -ECANCELED && mana_reset_removed(ctl)) {
			run.removed = true;
			ret = -ENODEV;
			break;
		}
		/*
		 * Only events of the instance opened by this reset count; a phase
		 * that failed because that instance died restarts too.
		 */
		if (ret == MANA_RESET_RESTART ||
		    (phase >= MANA_PHASE_REOPEN && phase < MANA_PHASE_RESUME &&
		     (ret < 0 ? mana_reset_new_instance_died(dev, &run) :
		      mana_reset_pending(ctl, run.new_generation, true)))) {
			priv->reset.restarts++;
			if (++run.restarts > priv->args.max_reset_restarts) {
				ret = -EIO;
				RESET_LOG(ERR, "port %u: giving up after %u restarts",
					  dev->data->port_id, run.restarts - 1);
				break;
			}
			RESET_LOG(WARNING, "port %u: restarting the reset (%u)",
				  dev->data->port_id, run.restarts);
			/* Answers to a REMAP_DB sent meanwhile no longer matter. */
			run.remap.pending = false;
			mana_reset_round_set(ctl, false);
			/* A new instance: a new wait for the device, with its own bound. */
			run.deadline_ns = 0;
			ret = 0;
			i = 0;
			continue;
		}
		if (ret < 0 && (phase == MANA_PHASE_REOPEN || phase == MANA_PHASE_REBUILD)) {
			ret = mana_reset_retry(dev, &run, phase, ret);
			if (ret == 0) {
				run.remap.pending = false;
				mana_reset_round_set(ctl, false);
				i = 0;
				continue;
			}
		}
		if (ret < 0)
			break;
		i++;
	}
	mana_reset_set_phase(dev, MANA_PHASE_NONE);
	mana_reset_round_set(ctl, false);
	/*
	 * Events of the instances this reset replaced are moot, and every one
	 * once it failed; one from the instance now running, or a removal
	 * reported too late for this reset, starts the next reset (a new
	 * recovery, which is announced again).
	 */
	mana_reset_pending(ctl, ret < 0 ? UINT32_MAX : run.new_generation, false);
	mana_mutex_lock(&ctl->lock);
	ctl->announced = false;
	mana_mutex_unlock(&ctl->lock);

	if (ret == -ECANCELED) {
		if (run.new_ctx != NULL)
			mana_hw_close(run.new_ctx);
		RESET_LOG(NOTICE, "port %u: reset cancelled", dev->data->port_id);
		return;
	}
	if (ret < 0) {
		/* Absent past the bound or gone for good: the device was removed. */
		mana_reset_fail(dev, &run, run.removed ? -ENODEV : ret);
		return;
	}
	priv->reset.succeeded++;
	priv->reset.last_total_us = (mana_now_ns() - event_ns) / 1000;
	RESET_LOG(NOTICE, "port %u: recovered in %" PRIu64 " us (device away %" PRIu64
		  " us), doorbell generation %u", dev->data->port_id, priv->reset.last_total_us,
		  priv->reset.last_hw_down_us, run.new_generation);
	mana_reset_emit(dev, RTE_ETH_EVENT_RECOVERY_SUCCESS);
}

static uint32_t
mana_reset_thread(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct mana_reset_ctl *ctl = mana_reset_ctl(dev);

	for (;;) {
		uint64_t event_ns;

		mana_mutex_lock(&ctl->lock);
		while (ctl->requested_gen == 0 && !ctl->exit)
			mana_cond_wait_until(&ctl->cond, &ctl->lock, UINT64_MAX);
		if (ctl->exit) {
			mana_mutex_unlock(&ctl->lock);
			break;
		}
		ctl->requested_gen = 0;
		ctl->running = true;
		event_ns = ctl->event_ns;
		mana_mutex_unlock(&ctl->lock);

		mana_reset_run(dev, event_ns);
		/* Processes that die from now on count for the next reset. */
		mana_mutex_lock(&mana_local(dev)->ctl_lock);
		mana_pool_deaths_seen(dev);
		mana_mutex_unlock(&mana_local(dev)->ctl_lock);

		mana_mutex_lock(&ctl->lock);
		ctl->running = false;
		mana_cond_broadcast(&ctl->cond);
		mana_mutex_unlock(&ctl->lock);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setup and control-path entry points.                                */

int
mana_reset_init(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_reset_ctl *ctl;
	char name[RTE_MAX_THREAD_NAME_LEN];
	int ret;

	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL)
		return -ENOMEM;
	ctl->dev = dev;
	mana_mutex_init(&ctl->lock);
	mana_cond_init(&ctl->cond);
	lp->reset = ctl;

	ctl->intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (ctl->intr == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	if (rte_intr_type_set(ctl->intr, RTE_INTR_HANDLE_EXT) != 0) {
		ret = -EINVAL;
		goto fail;
	}
	ret = mana_reset_intr_attach(dev, lp->ctx, lp->priv->db_generation);
	if (ret != 0)
		goto fail;
	ret = mana_reset_dev_event_register(dev, ctl);
	if (ret != 0)
		goto fail;
	mana_reset_uevent_listen(dev, ctl);
	snprintf(name, sizeof(name), "mana-rst-%u", dev->data->port_id);
	ret = rte_thread_create_control(&ctl->thread, name, mana_reset_thread, dev);
	if (ret != 0) {
		ret = ret < 0 ? ret : -ret;
		goto fail;
	}
	ctl->thread_started = true;
	return 0;
fail:
	mana_reset_fini(dev);
	return ret;
}

void
mana_reset_fini(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_reset_ctl *ctl = lp != NULL ? lp->reset : NULL;
	bool leak = false;

	if (ctl == NULL)
		return;
	/* First: the callback must not find the port released. */
	if (!mana_reset_dev_event_unregister(dev, ctl))
		leak = true;
	mana_mutex_lock(&ctl->lock);
	ctl->exit = true;
	ctl->cancel = true;
	mana_cond_broadcast(&ctl->cond);
	mana_mutex_unlock(&ctl->lock);
	if (ctl->thread_started) {
		/* Never join ourselves (the thread calls nothing that closes). */
		if (!rte_thread_equal(ctl->thread, rte_thread_self()))
			rte_thread_join(ctl->thread, NULL);
		ctl->thread_started = false;
	}
	mana_reset_intr_detach(dev);
	rte_intr_instance_free(ctl->intr);
	ctl->intr = NULL;
	if (!mana_reset_uevent_close(ctl))
		leak = true;
	lp->reset = NULL;
	/*
	 * A callback still running after the bound (it never blocks: a bug
	 * elsewhere) keeps the block: better leaked than freed under it.
	 */
	if (leak)
		return;
	mana_cond_destroy(&ctl->cond);
	mana_mutex_destroy(&ctl->lock);
	free(ctl);
}

bool
mana_reset_round_open(struct rte_eth_dev *dev)
{
	struct mana_reset_ctl *ctl = mana_reset_ctl(dev);
	bool open;

	if (ctl == NULL)
		return false;
	mana_mutex_lock(&ctl->lock);
	open = ctl->round_open;
	mana_mutex_unlock(&ctl->lock);
	return open;
}

void
mana_reset_wait_round(struct rte_eth_dev *dev)
{
	struct mana_reset_ctl *ctl = mana_reset_ctl(dev);

	if (ctl == NULL)
		return;
	mana_mutex_lock(&ctl->lock);
	while (ctl->round_open && !ctl->exit)
		mana_cond_wait_until(&ctl->cond, &ctl->lock, UINT64_MAX);
	mana_mutex_unlock(&ctl->lock);
}
