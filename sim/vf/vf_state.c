/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The instance a process belongs to (MANA_SIM), its shared state and the
 * life of each PCI function: service resets, hot-removal, injected open
 * failures, fatal events during recovery and delayed fatal events, the fault
 * schedule, and the kernel netdevs of the ports.
 *
 * Time is evaluated lazily: vf_advance() fires every timer that is due, each
 * at its own due time, in time order, and updates the sysfs tree. The
 * engine calls it every pass (and sleeps no longer than the next deadline);
 * every verbs call that looks at a function calls it first, so what a
 * process sees never depends on how late the engine woke up, or on whether
 * any process is running the device at all.
 *
 * What the kernel does on a full service reset (Linux gdma_main.c,
 * mana_serv_reset): both auxiliary devices go, so both ibv devices are
 * unregistered, contexts are disassociated (DEVICE_FATAL on the async fd,
 * doorbell mappings zapped), and after the service period the devices
 * register again, usually with their old names (the lowest free index,
 * drivers/infiniband/core/device.c). A hot-remove takes the PCI function.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <rte_common.h>

#include "vf.h"
#include "vf_sysfs.h"

#define VF_STATE_MAGIC		0x46564d53u	/* "SMVF" */
#define VF_STATE_VERSION	5u

#ifndef MANA_SIM_RDMA_CORE
#define MANA_SIM_RDMA_CORE	44
#endif

RTE_LOG_REGISTER(vf_logtype, mana_sim, NOTICE);

struct vf_config vf_conf;
struct vf_shared *vf_sh;
pthread_mutex_t vf_lock = PTHREAD_MUTEX_INITIALIZER;
RTE_ATOMIC(uint32_t) vf_lock_waiters;
struct vf_obj_list vf_objects = TAILQ_HEAD_INITIALIZER(vf_objects);
struct vf_ctx_list vf_ctxs = TAILQ_HEAD_INITIALIZER(vf_ctxs);
int vf_attach_error;

static int vf_proc_slot = -1;
static bool vf_owner;
static pid_t vf_attach_pid;	/* the process that attached (not a fork of it) */
static pid_t vf_pid;		/* this process (vf_self_pid()) */

enum vf_timer {
	VF_TIMER_NONE = 0,
	VF_TIMER_SCHED,		/* next entry of the fault schedule */
	VF_TIMER_RC_UP,		/* the RC device registers again */
	VF_TIMER_RAW_UP,	/* the RAW device registers again: a new instance */
	VF_TIMER_FIR,		/* fatal in recovery fires */
	VF_TIMER_EVENT,		/* a delayed DEVICE_FATAL is due */
};

uint64_t
vf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *
vf_fn_state_name(uint32_t state)
{
	switch (state) {
	case VF_FN_UP:
		return "up";
	case VF_FN_DOWN:
		return "down";
	case VF_FN_REMOVED:
		return "removed";
	}
	return "unknown";
}

void
vf_ibdev_name(uint32_t fn, bool rc, uint32_t index, char *buf, size_t len)
{
	RTE_SET_USED(fn);
	/* Current mana_ib: "manae_%d" for the Ethernet device, "mana_%d" for RDMA. */
	snprintf(buf, len, rc ? "mana_%u" : "manae_%u", index);
}

/* ---- the shared lock ---- */

void
vf_shared_lock(void)
{
	int ret = pthread_mutex_lock(&vf_sh->lock);

	if (ret == EOWNERDEAD) {
		/* A process died holding it: take the state as it is. */
		VF_LOG(WARNING, "a process died holding the shared lock");
		pthread_mutex_consistent(&vf_sh->lock);
	}
}

void
vf_shared_unlock(void)
{
	pthread_mutex_unlock(&vf_sh->lock);
}

uint32_t
vf_uid(void)
{
	uint32_t uid = ++vf_sh->next_uid;

	if (uid == 0)
		uid = ++vf_sh->next_uid;
	return uid;
}

/* ---- processes ---- */

static uint64_t
vf_proc_start_time(int pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	const char *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* Field 22 (starttime), counting from after the ")" of the command. */
	p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	return start;
}

static bool
vf_proc_alive(const struct vf_proc_entry *e)
{
	if (e->pid <= 0)
		return false;
	if (kill(e->pid, 0) != 0 && errno == ESRCH)
		return false;
	return vf_proc_start_time(e->pid) == e->start_time;
}

static bool vf_pid_kept;	/* vf_pid is kept current across fork() */

/*
 * fork() copies vf_lock as it is: held by another thread at that moment
 * (the engine holds it every pass), it would stay locked in the child for
 * good, and a child that uses its parent's context - as the kernel allows:
 * ib_umem_get() pins the caller's memory (current->mm) - would block on it
 * in its first verb. So the lock is taken around fork(), as glibc does with
 * its own, and the child refreshes the pid it keeps.
 */
static void
vf_fork_child(void)
{
	vf_pid = getpid();
	vf_lock_release();
}

/* In the constructor, before any thread. */
static void
vf_fork_handlers(void)
{
	int ret = pthread_atfork(vf_lock_take, vf_lock_release, vf_fork_child);

	if (ret != 0) {
		VF_LOG(WARNING, "no fork handlers (%s): getpid() at every range check",
		       strerror(ret));
		return;
	}
	vf_pid = getpid();
	vf_pid_kept = true;
}

/*
 * This process's pid without a system call when the fork handlers are in
 * place (the range check of every memory registration and queue buffer
 * asks; getpid() is a system call since glibc 2.25, about a microsecond on
 * a VM). A child made without fork handlers (_Fork(), a raw clone) keeps
 * its parent's: it must do no more than exec, as after vfork().
 */
pid_t
vf_self_pid(void)
{
	return vf_pid_kept ? vf_pid : getpid();
}

/* (A forked child inherits vf_owner, not the engine: it is not the owner.) */
bool
vf_is_owner(void)
{
	return vf_owner && vf_self_pid() == vf_attach_pid;
}

/* Shared lock held. The first process to ask runs the device while it lives. */
int
vf_claim_owner(void)
{
	struct vf_proc_entry owner = {
		.pid = vf_sh->owner_pid,
		.start_time = vf_sh->owner_start,
	};

	if (vf_is_owner())
		return 0;
	if (owner.pid != 0 && owner.pid != getpid() && vf_proc_alive(&owner))
		return -EBUSY;
	vf_sh->owner_pid = getpid();
	vf_sh->owner_start = vf_proc_start_time(getpid());
	vf_owner = true;
	VF_LOG(INFO, "process %d runs the device of instance %s", getpid(), vf_conf.instance);
	return 0;
}

/* ---- life of a function ---- */

static void
vf_list_device(uint32_t fn, bool rc)
{
	struct vf_fn_shared *f = &vf_sh->fn[fn];
	char name[VF_IBDEV_NAME_MAX];
	uint32_t *index = rc ? &f->rc_index : &f->raw_index;
	bool *listed = rc ? &f->rc_listed : &f->raw_listed;
	int ret;

	if (*listed)
		return;
	if (vf_conf.rename)
		*index = rc ? vf_sh->next_rc_index++ : vf_sh->next_raw_index++;
	vf_ibdev_name(fn, rc, *index, name, sizeof(name));
	ret = vf_sysfs_add_ibdev(&vf_conf, fn, name);
	if (ret != 0)
		VF_LOG(ERR, "%s: sysfs entry of %s: %s", vf_conf.fn[fn].bdf, name, strerror(-ret));
	*listed = true;
	/*
	 * ib_register_device holds the class device's uevent back until its
	 * clients are added (ib core device.c, since 779e0bf47632): the
	 * uverbs node (ib_uverbs_add_one) is announced first.
	 */
	vf_uevent_emit_ibdev(fn, name, VF_UVERBS_INDEX(fn, rc), true, "add");
	vf_uevent_emit_ibdev(fn, name, VF_UVERBS_INDEX(fn, rc), false, "add");
}

static void
vf_unlist_device(uint32_t fn, bool rc)
{
	struct vf_fn_shared *f = &vf_sh->fn[fn];
	char name[VF_IBDEV_NAME_MAX];
	bool *listed = rc ? &f->rc_listed : &f->raw_listed;

	if (!*listed)
		return;
	vf_ibdev_name(fn, rc, rc ? f->rc_index : f->raw_index, name, sizeof(name));
	vf_sysfs_remove_ibdev(&vf_conf, fn, name);
	*listed = false;
	/* ib_unregister_device: the clients (uverbs) go first. */
	vf_uevent_emit_ibdev(fn, name, VF_UVERBS_INDEX(fn, rc), true, "remove");
	vf_uevent_emit_ibdev(fn, name, VF_UVERBS_INDEX(fn, rc), false, "remove");
}

/*
 * The current instance dies: contexts bound to it stop being served at once
 * (the owner's engine sees dead_instance) and get DEVICE_FATAL now, or after
 * an armed event delay.
 */
static void
vf_kill_instance(uint32_t fn, uint64_t at)
{
	struct vf_fn_shared *f = &vf_sh->fn[fn];

	f->dead_instance = f->instance;
	f->event_due_ns = at;
	if (f->evdelay_armed) {
		f->event_due_ns = vf_ms_after(at, f->evdelay_ms);
		f->evdelay_armed = false;
	}
	f->stats.last_down_ns = at;
	f->fir_due_ns = VF_TIME_NEVER;
	vf_unlist_device(fn, false);
	vf_unlist_device(fn, true);
}

static int
vf_reset(uint32_t fn, uint32_t down_ms, uint64_t at)
{
	struct vf_fn_shared *f = &vf_sh->fn[fn];
	uint32_t lead = vf_conf.fn[fn].rc_lead_ms;
	uint64_t up_at;

	if (down_ms == 0)
		down_ms = vf_conf.down_ms;
	up_at = vf_ms_after(at, down_ms);
	switch (f->state) {
	case VF_FN_UP:
		vf_kill_instance(fn, at);
		f->state = VF_FN_DOWN;
		f->raw_up_at_ns = up_at;
		/* rc_lead_ms: the RC device registers that much earlier, not before now. */
		f->rc_up_at_ns = !vf_conf.fn[fn].rc ? VF_TIME_NEVER :
			lead >= down_ms ? at : up_at - (uint64_t)lead * VF_NS_PER_MS;
		f->stats.resets++;
		VF_LOG(NOTICE, "%s: service reset of instance %u, down for %u ms",
		       vf_conf.fn[fn].bdf, f->instance, down_ms);
		return 0;
	case VF_FN_DOWN:
		if (up_at > f->raw_up_at_ns)
			f->raw_up_at_ns = up_at;
		VF_LOG(NOTICE, "%s: reset while down: down for %u more ms", vf_conf.fn[fn].bdf,
		       down_ms);
		return 0;
	}
	return -ENODEV;
}

static int
vf_remove(uint32_t fn, uint64_t at)
{
	struct vf_fn_shared *f = &vf_sh->fn[fn];

	if (f->state == VF_FN_REMOVED)
		return -ENODEV;
	if (f->state == VF_FN_UP)
		vf_kill_instance(fn, at);
	vf_unlist_device(fn, false);
	vf_unlist_device(fn, true);
	f->state = VF_FN_REMOVED;
	f->raw_up_at_ns = VF_TIME_NEVER;
	f->rc_up_at_ns = VF_TIME_NEVER;
	f->fir_armed = false;
	f->fir_due_ns = VF_TIME_NEVER;
	/*
	 * device_del(): the driver is released first (the "unbind" uevent,
	 * drivers/base/dd.c), then "remove" is sent while the sysfs node is
	 * still there, and the node goes (drivers/base/core.c).
	 */
	vf_uevent_emit(fn, "unbind");
	vf_uevent_emit(fn, "remove");
	vf_sysfs_remove_function(&vf_conf, fn);
	VF_LOG(NOTICE, "%s: hot-removed (instance %u)", vf_conf.fn[fn].bdf, f->instance);
	return 0;
}

/*
 * Hot-add: the function is back in sysfs at once, its devices and netdevs
 * as at a return (vf_advance_fn, VF_TIMER_RAW_UP, due now): a PCI rescan
 * finds it, and a probe a new instance.
 */
static int
vf_add(uint32_t fn, uint64_t at)
{
	struct vf_fn_shared *f = &vf_sh->fn[fn];
	int ret;

	if (f->state != VF_FN_REMOVED)
		return -EEXIST;
	ret = vf_sysfs_add_function(&vf_conf, fn);
	if (ret != 0) {
		VF_LOG(ERR, "%s: hot-add: sysfs: %s", vf_conf.fn[fn].bdf, strerror(-ret));
		return ret;
	}
	f->state = VF_FN_DOWN;
	f->raw_up_at_ns = at;
	f->rc_up_at_ns = vf_conf.fn[fn].rc ? at : VF_TIME_NEVER;
	/*
	 * device_add(): "add" once the sysfs node is there, then the probe by
	 * the mana driver sends "bind" (drivers/base/core.c, dd.c).
	 */
	vf_uevent_emit(fn, "add");
	vf_uevent_emit(fn, "bind");
	VF_LOG(NOTICE, "%s: hot-added", vf_conf.fn[fn].bdf);
	return 0;
}

static int
vf_apply(uint32_t fn, const struct vf_fault *fault, uint64_t at)
{
	struct vf_fn_shared *f = &vf_sh->fn[fn];
	const char *bdf = vf_conf.fn[fn].bdf;

	if (fault->kind == VF_FAULT_ADD)
		return vf_add(fn, at);
	if (f->state == VF_FN_REMOVED)
		return -ENODEV;
	switch (fault->kind) {
	case VF_FAULT_RESET:
		return vf_reset(fn, fault->down_ms, at);
	case VF_FAULT_REMOVE:
		return vf_remove(fn, at);
	case VF_FAULT_FAIL_OPEN:
		f->fail_open = fault->count;
		VF_LOG(NOTICE, "%s: opens fail: %d (negative: until cleared)", bdf, fault->count);
		return 0;
	case VF_FAULT_FATAL_IN_RECOVERY:
		f->fir_armed = true;
		f->fir_after_instance = f->instance;
		f->fir_delay_ms = fault->delay_ms;
		f->fir_down_ms = fault->down_ms;
		VF_LOG(NOTICE, "%s: fatal %u ms after the next instance newer than %u opens",
		       bdf, fault->delay_ms, f->instance);
		return 0;
	case VF_FAULT_EVENT_DELAY:
		f->evdelay_armed = true;
		f->evdelay_ms = fault->delay_ms;
		VF_LOG(NOTICE, "%s: next fatal event delayed by %u ms", bdf, fault->delay_ms);
		return 0;
	case VF_FAULT_FAIL_VERB:
		if (fault->verb == 0 || fault->verb >= MANA_SIM_VERB_MAX)
			return -EINVAL;
		f->fail_verb[fault->verb] = fault->count;
		f->fail_verb_err[fault->verb] = fault->err != 0 ? fault->err : EPROTO;
		VF_LOG(NOTICE, "%s: verb %u fails %d times (negative: until cleared) with %s",
		       bdf, fault->verb, fault->count, strerror(f->fail_verb_err[fault->verb]));
		return 0;
	case VF_FAULT_ADD:
		break;		/* above */
	}
	return -EINVAL;
}

/* Shared lock held. A call of @verb about to reach the "kernel": fail it? */
int
vf_verb_fault(uint32_t fn, enum mana_sim_verb verb)
{
	struct vf_fn_shared *f = &vf_sh->fn[fn];

	if (f->fail_verb[verb] == 0)
		return 0;
	if (f->fail_verb[verb] > 0)
		f->fail_verb[verb]--;
	f->stats.verbs_failed++;
	return f->fail_verb_err[verb];
}

int
vf_inject(uint32_t fn, const struct vf_fault *fault, uint64_t now)
{
	int ret;

	vf_advance(now);
	ret = vf_apply(fn, fault, now);
	/* A hot-added function is up when the call returns. */
	vf_advance(now);
	return ret;
}

static uint64_t
vf_earliest(uint32_t fn, enum vf_timer *which)
{
	const struct vf_fn_shared *f = &vf_sh->fn[fn];
	const struct vf_fn_conf *c = &vf_conf.fn[fn];
	uint64_t t = VF_TIME_NEVER;

	*which = VF_TIMER_NONE;
	/* A removed function's schedule goes on: add@T brings it back. */
	if (f->next_sched < c->n_sched) {
		t = vf_ms_after(vf_sh->created_ns, c->sched[f->next_sched].at_ms);
		*which = VF_TIMER_SCHED;
	}
	if (f->state == VF_FN_DOWN && !f->rc_listed && f->rc_up_at_ns < t) {
		t = f->rc_up_at_ns;
		*which = VF_TIMER_RC_UP;
	}
	if (f->state == VF_FN_DOWN && f->raw_up_at_ns < t) {
		t = f->raw_up_at_ns;
		*which = VF_TIMER_RAW_UP;
	}
	if (f->fir_due_ns < t) {
		t = f->fir_due_ns;
		*which = VF_TIMER_FIR;
	}
	if (f->event_due_ns < t) {
		t = f->event_due_ns;
		*which = VF_TIMER_EVENT;
	}
	return t;
}

uint64_t
vf_next_deadline(void)
{
	enum vf_timer which;
	uint64_t t = VF_TIME_NEVER;
	uint32_t fn;

	for (fn = 0; fn < vf_conf.nb_fns; fn++)
		t = RTE_MIN(t, vf_earliest(fn, &which));
	return t;
}

/*
 * The function's return recreates its netdevs (mana_serv_reset rescans the
 * PCI function, Linux gdma_main.c): each at its default MTU again. Their
 * up/down state stays, as the guest's network configuration restores it.
 */
static void
vf_netdevs_recreated(uint32_t fn)
{
	const struct vf_fn_conf *c = &vf_conf.fn[fn];
	struct vf_fn_shared *f = &vf_sh->fn[fn];
	uint32_t p;

	for (p = 1; p <= c->nb_ports; p++) {
		f->port_mtu[p - 1] = c->port[p - 1].mtu;
		if (vf_sysfs_set_netdev(&vf_conf, fn, p, f->port_up[p - 1], f->port_mtu[p - 1]) != 0)
			VF_LOG(ERR, "%s: port %u: cannot rewrite the netdev's sysfs files", c->bdf, p);
	}
}

static void
vf_advance_fn(uint32_t fn, uint64_t now)
{
	struct vf_fn_shared *f = &vf_sh->fn[fn];
	const struct vf_sched_event *ev;
	enum vf_timer which;
	uint64_t t;

	for (;;) {
		t = vf_earliest(fn, &which);
		if (t > now)
			return;
		switch (which) {
		case VF_TIMER_SCHED:
			ev = &vf_conf.fn[fn].sched[f->next_sched++];
			VF_LOG(INFO, "%s: scheduled fault %d at %u ms", vf_conf.fn[fn].bdf,
			       (int)ev->fault.kind, ev->at_ms);
			vf_apply(fn, &ev->fault, t);
			break;
		case VF_TIMER_RC_UP:
			vf_list_device(fn, true);
			break;
		case VF_TIMER_RAW_UP:
			vf_list_device(fn, true);	/* at the latest with the RAW one */
			vf_list_device(fn, false);
			vf_netdevs_recreated(fn);
			f->state = VF_FN_UP;
			f->instance++;
			f->raw_up_at_ns = VF_TIME_NEVER;
			f->rc_up_at_ns = VF_TIME_NEVER;
			f->stats.last_up_ns = t;
			/* The listing above is the VF's own work (the kernel's). */
			f->stats.last_listed_ns = RTE_MAX(t, vf_now_ns());
			VF_LOG(NOTICE, "%s: back as instance %u", vf_conf.fn[fn].bdf, f->instance);
			break;
		case VF_TIMER_FIR:
			f->fir_due_ns = VF_TIME_NEVER;
			if (f->state == VF_FN_UP && f->instance == f->fir_instance) {
				VF_LOG(NOTICE, "%s: fatal in recovery", vf_conf.fn[fn].bdf);
				vf_reset(fn, f->fir_down_ms, t);
			}
			break;
		case VF_TIMER_EVENT:
			/* Posted by the owner's engine, which watches event_due_ns. */
			return;
		case VF_TIMER_NONE:
			return;
		}
	}
}

void
vf_advance(uint64_t now)
{
	uint32_t fn;

	for (fn = 0; fn < vf_conf.nb_fns; fn++)
		vf_advance_fn(fn, now);
}

/* ---- kernel netdevs ---- */

int
vf_set_netdev(uint32_t fn, uint32_t port, bool up, uint32_t mtu)
{
	struct vf_fn_shared *f = &vf_sh->fn[fn];

	if (f->state == VF_FN_REMOVED)
		return -ENODEV;
	/*
	 * ndo_open of a port whose vport a PD holds fails with EBUSY
	 * (Linux mana_en.c, mana_cfg_vport / vport_use_count).
	 */
	if (up && !f->port_up[port - 1] && f->vport_pd[port - 1] != 0)
		return -EBUSY;
	f->port_up[port - 1] = up;
	f->port_mtu[port - 1] = mtu;
	return vf_sysfs_set_netdev(&vf_conf, fn, port, up, mtu);
}

/* ---- attaching to the instance ---- */

static int
vf_mkdirs(const char *path)
{
	char buf[VF_SYSFS_PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static bool
vf_instance_in_use(void)
{
	unsigned int i;

	for (i = 0; i < VF_PROCS_MAX; i++)
		if (vf_proc_alive(&vf_sh->procs[i]))
			return true;
	return false;
}

static int
vf_state_init(const char *text)
{
	pthread_mutexattr_t attr;
	uint32_t fn, p;
	int ret;

	memset(vf_sh, 0, sizeof(*vf_sh));
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&vf_sh->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	snprintf(vf_sh->config, sizeof(vf_sh->config), "%s", text);
	vf_sh->created_ns = vf_now_ns();
	vf_sh->next_uid = 0;
	vf_sh->next_raw_index = 0;
	vf_sh->next_rc_index = 0;

	/* A tree left by processes that all died goes; the lock and state stay. */
	ret = vf_sysfs_wipe(&vf_conf);
	if (ret == 0)
		ret = vf_sysfs_init(&vf_conf);
	if (ret != 0)
		return ret;
	for (fn = 0; fn < vf_conf.nb_fns; fn++) {
		struct vf_fn_shared *f = &vf_sh->fn[fn];
		const struct vf_fn_conf *c = &vf_conf.fn[fn];

		f->state = VF_FN_UP;
		f->instance = 1;
		f->event_due_ns = VF_TIME_NEVER;
		f->raw_up_at_ns = VF_TIME_NEVER;
		f->rc_up_at_ns = VF_TIME_NEVER;
		f->fir_due_ns = VF_TIME_NEVER;
		/* Distinct indexes per function, as the kernel hands them out. */
		f->raw_index = vf_sh->next_raw_index++;
		f->rc_index = c->rc ? vf_sh->next_rc_index++ : 0;
		ret = vf_sysfs_add_function(&vf_conf, fn);
		if (ret != 0)
			return ret;
		for (p = 1; p <= c->nb_ports; p++) {
			f->port_up[p - 1] = c->port[p - 1].up;
			f->port_mtu[p - 1] = c->port[p - 1].mtu;
			ret = vf_sysfs_set_netdev(&vf_conf, fn, p, f->port_up[p - 1],
						  f->port_mtu[p - 1]);
			if (ret != 0)
				return ret;
		}
		vf_list_device(fn, false);
		if (c->rc)
			vf_list_device(fn, true);
		f->stats.instance = f->instance;
	}
	vf_sh->magic = VF_STATE_MAGIC;
	vf_sh->version = VF_STATE_VERSION;
	return 0;
}

/*
 * Take the instance's lock file. The last process leaving removes the whole
 * directory while holding it, so a lock won on a file that is no longer
 * the one at @path is tried again, on a new directory (bounded: each round
 * needs another process to have removed the instance meanwhile).
 */
static int
vf_lock_instance(const char *dir, const char *path)
{
	struct stat held, now;
	int fd, ret, round;

	for (round = 0; round < 16; round++) {
		ret = vf_mkdirs(dir);
		if (ret != 0) {
			VF_LOG(ERR, "cannot create %s: %s", dir, strerror(-ret));
			return ret;
		}
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0 || flock(fd, LOCK_EX) != 0 || fstat(fd, &held) != 0) {
			ret = -errno;
			VF_LOG(ERR, "cannot lock %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return ret;
		}
		if (stat(path, &now) == 0 && now.st_ino == held.st_ino && now.st_dev == held.st_dev)
			return fd;
		close(fd);
	}
	VF_LOG(ERR, "%s keeps being removed under this process", dir);
	return -EAGAIN;
}

/*
 * The instance's state file is the device's shared memory and its tree is
 * sysfs, which the device rewrites on every reset: both are memory under
 * the kernel. On a disk filesystem every reset does file system work while
 * the engine holds vf_lock (seen: ext4 mounted with discard, a synchronous
 * discard per rewritten file, milliseconds per reset), so say so.
 */
static void
vf_root_check(const char *dir)
{
	struct statfs fs;

	if (statfs(dir, &fs) == 0 && fs.f_type != TMPFS_MAGIC)
		VF_LOG(WARNING, "%s is not on a tmpfs: the device's state and sysfs tree live on "
		       "disk, and resets do file system work (mount a tmpfs on %s)", dir,
		       vf_conf.root);
}

/* Join (or set up) the instance; the lock file serialises first users. */
static int
vf_attach(const char *text)
{
	char dir[VF_SYSFS_PATH_MAX], path[VF_SYSFS_PATH_MAX + 16];
	struct vf_proc_entry me = { .pid = getpid(), .start_time = vf_proc_start_time(getpid()) };
	struct stat st;
	unsigned int i;
	int lock_fd, fd, ret;
	bool fresh;

	snprintf(dir, sizeof(dir), "%s/%s", vf_conf.root, vf_conf.instance);
	snprintf(path, sizeof(path), "%s/lock", dir);
	lock_fd = vf_lock_instance(dir, path);
	if (lock_fd < 0)
		return lock_fd;
	snprintf(path, sizeof(path), "%s/state", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &st) != 0 ||
	    (st.st_size != sizeof(*vf_sh) && ftruncate(fd, sizeof(*vf_sh)) != 0)) {
		ret = -errno;
		VF_LOG(ERR, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	vf_sh = mmap(NULL, sizeof(*vf_sh), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (vf_sh == MAP_FAILED) {
		ret = -errno;
		vf_sh = NULL;
		goto out;
	}
	fresh = st.st_size != sizeof(*vf_sh) || vf_sh->magic != VF_STATE_MAGIC ||
		vf_sh->version != VF_STATE_VERSION || !vf_instance_in_use();
	if (fresh) {
		vf_root_check(dir);
		ret = vf_state_init(text);
		if (ret != 0) {
			VF_LOG(ERR, "cannot build the sysfs tree of instance %s: %s",
			       vf_conf.instance, strerror(-ret));
			goto out;
		}
	} else if (strcmp(vf_sh->config, text) != 0) {
		VF_LOG(ERR, "instance %s runs with MANA_SIM=\"%s\", this process has \"%s\": "
		       "every process of an instance needs the same MANA_SIM", vf_conf.instance,
		       vf_sh->config, text);
		ret = -EINVAL;
		goto out;
	}
	vf_shared_lock();
	for (i = 0; i < VF_PROCS_MAX; i++) {
		if (!vf_proc_alive(&vf_sh->procs[i])) {
			vf_sh->procs[i] = me;
			vf_proc_slot = (int)i;
			break;
		}
	}
	vf_shared_unlock();
	ret = vf_proc_slot < 0 ? -ENOSPC : 0;
out:
	flock(lock_fd, LOCK_UN);
	close(lock_fd);
	return ret;
}

static void
vf_detach(void)
{
	char dir[VF_SYSFS_PATH_MAX], path[VF_SYSFS_PATH_MAX + 16];
	bool last;
	int lock_fd;

	if (vf_sh == NULL || vf_proc_slot < 0)
		return;
	snprintf(dir, sizeof(dir), "%s/%s", vf_conf.root, vf_conf.instance);
	snprintf(path, sizeof(path), "%s/lock", dir);
	lock_fd = open(path, O_RDWR | O_CLOEXEC);
	if (lock_fd >= 0)
		flock(lock_fd, LOCK_EX);
	vf_shared_lock();
	memset(&vf_sh->procs[vf_proc_slot], 0, sizeof(vf_sh->procs[vf_proc_slot]));
	if (vf_owner && vf_sh->owner_pid == getpid()) {
		vf_sh->owner_pid = 0;
		vf_sh->owner_start = 0;
	}
	vf_owner = false;
	last = !vf_instance_in_use();
	vf_shared_unlock();
	/* The last process out removes the instance (tree and state). */
	if (last)
		vf_sysfs_destroy(&vf_conf);
	if (lock_fd >= 0) {
		flock(lock_fd, LOCK_UN);
		close(lock_fd);
	}
	vf_proc_slot = -1;
}

/*
 * Set up before main(): DPDK's PCI bus reads SYSFS_PCI_DEVICES when EAL
 * starts (rte_pci_get_sysfs_path()). A MANA_SIM that cannot be used points
 * it at a directory that does not exist, so the PCI bus finds nothing (EAL
 * then fails to probe -a) instead of scanning the machine's own PCI devices,
 * and no ibv device is listed.
 */
RTE_INIT(vf_init)
{
	const char *text = getenv("MANA_SIM");
	char err[256], pci[VF_SYSFS_PATH_MAX];
	int ret;

	vf_fork_handlers();
	if (text == NULL)
		text = "";
	ret = vf_config_parse(text, MANA_SIM_RDMA_CORE, &vf_conf, err, sizeof(err));
	if (ret != 0) {
		VF_LOG(ERR, "%s", err);
		vf_attach_error = ret;
		setenv("SYSFS_PCI_DEVICES", "/nonexistent/mana-sim: MANA_SIM is not valid", 1);
		return;
	}
	/* ibv_device.ibdev_path holds IBV_SYSFS_PATH_MAX bytes. */
	vf_sysfs_ibdev_path(&vf_conf, "manae_4294967295", pci, sizeof(pci));
	if (strlen(pci) + 1 > IBV_SYSFS_PATH_MAX ||
	    strlen(vf_conf.root) + strlen(vf_conf.instance) + 48 > IBV_SYSFS_PATH_MAX) {
		VF_LOG(ERR, "MANA_SIM: root= and instance= together are too long for an "
		       "ibdev_path (%u bytes)", IBV_SYSFS_PATH_MAX);
		vf_attach_error = -ENAMETOOLONG;
		setenv("SYSFS_PCI_DEVICES", "/nonexistent/mana-sim: MANA_SIM is not valid", 1);
		return;
	}
	vf_attach_pid = vf_self_pid();
	ret = vf_attach(text);
	if (ret != 0) {
		vf_attach_error = ret;
		setenv("SYSFS_PCI_DEVICES", "/nonexistent/mana-sim: instance not usable", 1);
		return;
	}
	vf_sysfs_pci_devices_path(&vf_conf, pci, sizeof(pci));
	setenv("SYSFS_PCI_DEVICES", pci, 1);
}

/*
 * A forked child that exits has neither the engine thread nor the process
 * slot of its parent: it must not stop the one or give up the other (nor,
 * as "the last process", remove the instance under its parent).
 */
RTE_FINI(vf_fini)
{
	if (getpid() != vf_attach_pid)
		return;
	vf_engine_stop();
	vf_detach();
}
