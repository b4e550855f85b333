/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Devices of the software MANA device: the registry of devices by name,
 * device instances (UP / DOWN / REMOVED), fault injection and the timers
 * that drive it (fault schedule, return from a service reset, delayed fatal
 * events, fatal-in-recovery), and statistics.
 *
 * Time is evaluated lazily: sim_dev_advance() fires every timer that is due,
 * each at its own due time, in time order. The engine calls it every pass
 * (and sleeps no longer than the next deadline); control paths call it
 * before they look at the device, so the state they see never depends on
 * how late the engine thread woke up.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

RTE_LOG_REGISTER(mana_sim_logtype, mana_sim, NOTICE);

pthread_mutex_t sim_lock = PTHREAD_MUTEX_INITIALIZER;
RTE_ATOMIC(uint32_t) sim_lock_waiters;
struct sim_dev_list sim_devices = TAILQ_HEAD_INITIALIZER(sim_devices);
struct sim_obj_list sim_objects = TAILQ_HEAD_INITIALIZER(sim_objects);

/*
 * Serialises starting/joining the engine with the count of device handles.
 * Lock order: sim_engine_ctl_lock, then sim_lock. It is never held by the
 * engine, so joining the engine under it cannot deadlock.
 */
static pthread_mutex_t sim_engine_ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t sim_handles;	/* guarded by sim_engine_ctl_lock */

enum sim_timer {
	SIM_TIMER_NONE = 0,
	SIM_TIMER_SCHED,	/* next entry of the fault schedule */
	SIM_TIMER_UP,		/* end of a service reset */
	SIM_TIMER_FIR,		/* fatal-in-recovery fires */
	SIM_TIMER_EVENT,	/* delayed DEVICE_FATAL of one context */
};

const char *
sim_dev_state_name(enum mana_sim_dev_state state)
{
	switch (state) {
	case MANA_SIM_DEV_UP:
		return "up";
	case MANA_SIM_DEV_DOWN:
		return "down";
	case MANA_SIM_DEV_REMOVED:
		return "removed";
	}
	return "unknown";
}

static uint64_t
sim_ms_after(uint64_t at, uint32_t ms)
{
	return at + (uint64_t)ms * SIM_NS_PER_MS;
}

struct mana_hw_dev *
sim_dev_lookup(const char *name)
{
	struct mana_hw_dev *dev;

	TAILQ_FOREACH(dev, &sim_devices, link) {
		if (strcmp(dev->name, name) == 0)
			return dev;
	}
	return NULL;
}

/* A handle is valid when it is on the list; it is not dereferenced before. */
bool
sim_dev_valid(const struct mana_hw_dev *handle)
{
	struct mana_hw_dev *dev;

	if (handle == NULL)
		return false;
	TAILQ_FOREACH(dev, &sim_devices, link) {
		if (dev == handle)
			return true;
	}
	return false;
}

static uint64_t
sim_dev_earliest(const struct mana_hw_dev *dev, enum sim_timer *which,
		 struct mana_hw_ctx **event_ctx)
{
	uint64_t t = SIM_TIME_NEVER;
	struct mana_hw_ctx *ctx;

	*which = SIM_TIMER_NONE;
	*event_ctx = NULL;
	if (dev->next_sched < dev->conf.n_sched) {
		t = sim_ms_after(dev->created_ns, dev->conf.sched[dev->next_sched].at_ms);
		*which = SIM_TIMER_SCHED;
	}
	if (dev->state == MANA_SIM_DEV_DOWN && dev->up_at_ns < t) {
		t = dev->up_at_ns;
		*which = SIM_TIMER_UP;
	}
	if (dev->fir_due_ns < t) {
		t = dev->fir_due_ns;
		*which = SIM_TIMER_FIR;
	}
	TAILQ_FOREACH(ctx, &dev->ctxs, dev_link) {
		if (ctx->fatal_due_ns < t) {
			t = ctx->fatal_due_ns;
			*which = SIM_TIMER_EVENT;
			*event_ctx = ctx;
		}
	}
	return t;
}

uint64_t
sim_dev_next_deadline(const struct mana_hw_dev *dev)
{
	enum sim_timer which;
	struct mana_hw_ctx *ctx;

	return sim_dev_earliest(dev, &which, &ctx);
}

/*
 * The current instance dies: the engine stops serving its contexts right
 * away (in-flight WQEs are never completed, as on hardware) and each of them
 * gets DEVICE_FATAL, now or after the armed event delay.
 */
static void
sim_dev_kill_instance(struct mana_hw_dev *dev, uint64_t at)
{
	struct mana_hw_ctx *ctx;
	bool delayed = dev->evdelay_armed;
	bool posted = false;

	TAILQ_FOREACH(ctx, &dev->ctxs, dev_link) {
		if (ctx->dead)
			continue;
		ctx->dead = true;
		posted = true;
		if (delayed)
			ctx->fatal_due_ns = sim_ms_after(at, dev->evdelay_ms);
		else
			sim_ctx_post_event(ctx, MANA_HW_EVENT_DEVICE_FATAL);
	}
	/* The delay applies to the next fatal event actually posted. */
	if (delayed && posted)
		dev->evdelay_armed = false;
}

static int
sim_dev_reset(struct mana_hw_dev *dev, uint32_t down_ms, uint64_t at)
{
	uint64_t up_at;

	if (down_ms == 0)
		down_ms = dev->conf.down_ms;
	up_at = sim_ms_after(at, down_ms);
	switch (dev->state) {
	case MANA_SIM_DEV_UP:
		sim_dev_kill_instance(dev, at);
		dev->state = MANA_SIM_DEV_DOWN;
		dev->up_at_ns = up_at;
		dev->stats.resets++;
		dev->stats.last_down_ns = at;
		SIM_LOG(NOTICE, "%s: service reset of instance %u, down for %u ms",
			dev->name, dev->instance, down_ms);
		return 0;
	case MANA_SIM_DEV_DOWN:
		if (up_at > dev->up_at_ns)
			dev->up_at_ns = up_at;
		SIM_LOG(NOTICE, "%s: reset while down: down for %u more ms", dev->name, down_ms);
		return 0;
	case MANA_SIM_DEV_REMOVED:
		break;
	}
	return -ENODEV;
}

static int
sim_dev_remove(struct mana_hw_dev *dev, uint64_t at)
{
	switch (dev->state) {
	case MANA_SIM_DEV_UP:
		sim_dev_kill_instance(dev, at);
		dev->stats.last_down_ns = at;
		/* fall through */
	case MANA_SIM_DEV_DOWN:
		dev->state = MANA_SIM_DEV_REMOVED;
		dev->fir_due_ns = SIM_TIME_NEVER;
		dev->fir_armed = false;
		SIM_LOG(NOTICE, "%s: hot-removed (instance %u)", dev->name, dev->instance);
		return 0;
	case MANA_SIM_DEV_REMOVED:
		break;
	}
	return -ENODEV;
}

static int
sim_fault_apply(struct mana_hw_dev *dev, const struct mana_sim_fault *fault, uint64_t at)
{
	if (dev->state == MANA_SIM_DEV_REMOVED) {
		SIM_LOG(INFO, "%s: removed, fault %d ignored", dev->name, (int)fault->kind);
		return -ENODEV;
	}
	switch (fault->kind) {
	case MANA_SIM_FAULT_RESET:
		return sim_dev_reset(dev, fault->down_ms, at);
	case MANA_SIM_FAULT_REMOVE:
		return sim_dev_remove(dev, at);
	case MANA_SIM_FAULT_FAIL_OPEN:
		dev->fail_open = fault->count;
		SIM_LOG(NOTICE, "%s: opens fail: %d (negative: until cleared)", dev->name,
			fault->count);
		return 0;
	case MANA_SIM_FAULT_FATAL_IN_RECOVERY:
		dev->fir_armed = true;
		dev->fir_after_instance = dev->instance;
		dev->fir_delay_ms = fault->delay_ms;
		dev->fir_down_ms = fault->down_ms;
		SIM_LOG(NOTICE, "%s: fatal %u ms after the next instance newer than %u opens",
			dev->name, fault->delay_ms, dev->instance);
		return 0;
	case MANA_SIM_FAULT_EVENT_DELAY:
		dev->evdelay_armed = true;
		dev->evdelay_ms = fault->delay_ms;
		SIM_LOG(NOTICE, "%s: next fatal event delayed by %u ms", dev->name,
			fault->delay_ms);
		return 0;
	}
	return -EINVAL;
}

/* Fire every due timer, each at its own time, earliest first. */
void
sim_dev_advance(struct mana_hw_dev *dev, uint64_t now)
{
	const struct sim_sched_event *ev;
	struct mana_hw_ctx *ctx;
	enum sim_timer which;
	uint64_t t;

	for (;;) {
		t = sim_dev_earliest(dev, &which, &ctx);
		if (t > now)
			return;
		switch (which) {
		case SIM_TIMER_SCHED:
			ev = &dev->conf.sched[dev->next_sched++];
			SIM_LOG(INFO, "%s: scheduled fault %d at %u ms", dev->name,
				(int)ev->fault.kind, ev->at_ms);
			sim_fault_apply(dev, &ev->fault, t);
			break;
		case SIM_TIMER_UP:
			dev->state = MANA_SIM_DEV_UP;
			dev->instance++;
			dev->stats.last_up_ns = t;
			SIM_LOG(NOTICE, "%s: back as instance %u", dev->name, dev->instance);
			break;
		case SIM_TIMER_FIR:
			dev->fir_due_ns = SIM_TIME_NEVER;
			if (dev->state == MANA_SIM_DEV_UP && dev->instance == dev->fir_instance) {
				SIM_LOG(NOTICE, "%s: fatal in recovery", dev->name);
				sim_dev_reset(dev, dev->fir_down_ms, t);
			}
			break;
		case SIM_TIMER_EVENT:
			ctx->fatal_due_ns = SIM_TIME_NEVER;
			sim_ctx_post_event(ctx, MANA_HW_EVENT_DEVICE_FATAL);
			break;
		case SIM_TIMER_NONE:
			return;
		}
	}
}

int
sim_dev_admit_open(struct mana_hw_dev *dev, uint64_t now)
{
	sim_dev_advance(dev, now);
	if (dev->state == MANA_SIM_DEV_REMOVED)
		return -ENODEV;
	if (dev->state == MANA_SIM_DEV_DOWN)
		return -EAGAIN;
	if (dev->fail_open != 0) {
		if (dev->fail_open > 0)
			dev->fail_open--;
		SIM_LOG(INFO, "%s: open fails (injected), %d more", dev->name, dev->fail_open);
		return -EIO;
	}
	return 0;
}

void
sim_dev_ctx_opened(struct mana_hw_dev *dev, struct mana_hw_ctx *ctx, uint64_t now)
{
	TAILQ_INSERT_TAIL(&dev->ctxs, ctx, dev_link);
	dev->n_ctx++;
	if (dev->fir_armed && ctx->instance > dev->fir_after_instance) {
		dev->fir_armed = false;
		dev->fir_instance = ctx->instance;
		dev->fir_due_ns = sim_ms_after(now, dev->fir_delay_ms);
	}
}

static void
sim_dev_free_if_unused(struct mana_hw_dev *dev)
{
	if (dev->handles > 0 || dev->n_ctx > 0)
		return;
	TAILQ_REMOVE(&sim_devices, dev, link);
	SIM_LOG(INFO, "%s: destroyed", dev->name);
	free(dev->args);
	free(dev);
}

void
sim_dev_ctx_closed(struct mana_hw_dev *dev)
{
	dev->n_ctx--;
	sim_dev_free_if_unused(dev);
}

static int
sim_dev_create(const char *name, const char *args, const struct sim_dev_conf *conf,
	       struct mana_hw_dev **devp)
{
	struct mana_hw_dev *dev;

	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return -ENOMEM;
	dev->args = strdup(args);
	if (dev->args == NULL) {
		free(dev);
		return -ENOMEM;
	}
	strcpy(dev->name, name);
	dev->conf = *conf;
	dev->handles = 1;
	TAILQ_INIT(&dev->ctxs);
	dev->state = MANA_SIM_DEV_UP;
	dev->instance = 1;
	dev->created_ns = sim_now_ns();
	dev->up_at_ns = SIM_TIME_NEVER;
	dev->fir_due_ns = SIM_TIME_NEVER;
	TAILQ_INSERT_TAIL(&sim_devices, dev, link);
	SIM_LOG(INFO, "%s: created (mac " RTE_ETHER_ADDR_PRT_FMT ", peer %s, %u queues, "
		"down %u ms, %u scheduled faults)", name, RTE_ETHER_ADDR_BYTES(&conf->mac),
		conf->peer[0] != '\0' ? conf->peer : "(loopback)", conf->max_queues,
		conf->down_ms, conf->n_sched);
	*devp = dev;
	return 0;
}

int
sim_get_device(const char *name, const char *args, struct mana_hw_dev **devp)
{
	struct sim_dev_conf conf;
	struct mana_hw_dev *dev = NULL;
	int ret;

	if (name == NULL || devp == NULL)
		return -EINVAL;
	if (name[0] == '\0' || strlen(name) >= SIM_NAME_MAX) {
		SIM_LOG(ERR, "device name must have 1..%d characters", SIM_NAME_MAX - 1);
		return -EINVAL;
	}
	if (args == NULL)
		args = "";
	ret = sim_args_parse(name, args, &conf);
	if (ret != 0)
		return ret;

	pthread_mutex_lock(&sim_engine_ctl_lock);
	if (sim_handles == 0) {
		ret = sim_engine_start();
		if (ret != 0)
			goto unlock_ctl;
	}
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	dev = sim_dev_lookup(name);
	if (dev == NULL) {
		ret = sim_dev_create(name, args, &conf, &dev);
	} else if (strcmp(dev->args, args) != 0) {
		SIM_LOG(ERR, "%s: exists with arguments '%s', not '%s'", name, dev->args, args);
		ret = -EEXIST;
	} else {
		dev->handles++;
	}
	pthread_mutex_unlock(&sim_lock);
	if (ret == 0) {
		sim_handles++;
		*devp = dev;
	} else if (sim_handles == 0) {
		sim_engine_stop();
	}
unlock_ctl:
	pthread_mutex_unlock(&sim_engine_ctl_lock);
	return ret;
}

void
sim_put_device(struct mana_hw_dev *dev)
{
	bool valid;

	pthread_mutex_lock(&sim_engine_ctl_lock);
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	valid = sim_dev_valid(dev) && dev->handles > 0;
	if (valid) {
		dev->handles--;
		if (dev->handles == 0 && dev->n_ctx > 0)
			SIM_LOG(WARNING, "%s: last handle released with %u context(s) open",
				dev->name, dev->n_ctx);
		sim_dev_free_if_unused(dev);
	}
	pthread_mutex_unlock(&sim_lock);
	if (!valid) {
		SIM_LOG(ERR, "put_device: not a device handle (%p)", (void *)dev);
	} else {
		sim_handles--;
		if (sim_handles == 0)
			sim_engine_stop();
	}
	pthread_mutex_unlock(&sim_engine_ctl_lock);
}

int
mana_sim_inject(const char *name, const struct mana_sim_fault *fault)
{
	struct mana_hw_dev *dev;
	uint64_t now;
	int ret;

	if (name == NULL || fault == NULL)
		return -EINVAL;
	if (fault->kind < MANA_SIM_FAULT_RESET || fault->kind > MANA_SIM_FAULT_EVENT_DELAY) {
		SIM_LOG(ERR, "%s: unknown fault kind %d", name, (int)fault->kind);
		return -EINVAL;
	}
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	dev = sim_dev_lookup(name);
	if (dev == NULL) {
		ret = -ENODEV;
	} else {
		now = sim_now_ns();
		sim_dev_advance(dev, now);
		ret = sim_fault_apply(dev, fault, now);
		sim_dev_advance(dev, now);
	}
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

int
mana_sim_get_stats(const char *name, struct mana_sim_stats *stats)
{
	struct mana_hw_dev *dev;
	int ret = 0;

	if (name == NULL || stats == NULL)
		return -EINVAL;
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	dev = sim_dev_lookup(name);
	if (dev == NULL) {
		ret = -ENODEV;
	} else {
		sim_dev_advance(dev, sim_now_ns());
		*stats = dev->stats;
		stats->instance = dev->instance;
		stats->state = dev->state;
		stats->open_contexts = dev->n_ctx;
		stats->engine_sleeps = sim_engine_sleep_count();
	}
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

int
sim_dev_names(char (*names)[SIM_NAME_MAX], unsigned int max)
{
	struct mana_hw_dev *dev;
	unsigned int n = 0;

	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	TAILQ_FOREACH(dev, &sim_devices, link) {
		if (n == max)
			break;
		strcpy(names[n++], dev->name);
	}
	pthread_mutex_unlock(&sim_lock);
	return (int)n;
}
