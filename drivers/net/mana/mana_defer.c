/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Deferred work on EAL's interrupt thread (mana_defer.h says why not an
 * alarm). One eventfd per process, an interrupt source of EAL's from the
 * first use on and for the rest of the process, as EAL's own alarm timer
 * is; a FIFO of (fn, arg) pairs under a mutex that no callback runs under.
 */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_interrupts.h>

#include "mana.h"
#include "mana_defer.h"

struct mana_defer_work {
	mana_defer_fn fn;
	void *arg;
};

/* Everything below is under mana_defer_lock. */
static struct mana_mutex mana_defer_lock;
static struct mana_defer_work mana_defer_queue[MANA_DEFER_MAX];
static unsigned int mana_defer_len;
/* The pair the interrupt thread is running, if any. */
static struct mana_defer_work mana_defer_running;
static bool mana_defer_busy;
static pthread_t mana_defer_runner;
static int mana_defer_fd = -1;
static struct rte_intr_handle *mana_defer_intr;	/* registered for good */
static int mana_defer_setup_error;		/* sticky: alarms from then on */

RTE_INIT(mana_defer_init)
{
	mana_mutex_init(&mana_defer_lock);
}

/* The queue's first pair, now running on this thread; false when empty. */
static bool
mana_defer_next(struct mana_defer_work *w)
{
	bool found;

	mana_mutex_lock(&mana_defer_lock);
	found = mana_defer_len > 0;
	if (found) {
		*w = mana_defer_queue[0];
		mana_defer_len--;
		memmove(&mana_defer_queue[0], &mana_defer_queue[1],
			mana_defer_len * sizeof(mana_defer_queue[0]));
		mana_defer_running = *w;
		mana_defer_busy = true;
		mana_defer_runner = pthread_self();
	}
	mana_mutex_unlock(&mana_defer_lock);
	return found;
}

/* Pairs queued; with @idle, the interrupt thread has stopped running any. */
static unsigned int
mana_defer_queued(bool idle)
{
	unsigned int n;

	mana_mutex_lock(&mana_defer_lock);
	if (idle)
		mana_defer_busy = false;
	n = mana_defer_len;
	mana_mutex_unlock(&mana_defer_lock);
	return n;
}

/*
 * Interrupt source callback: the eventfd is readable. Runs what was queued
 * on entry; what those runs queue again waits for the next wake-up, so a
 * pair that keeps re-queueing itself does not keep EAL's other sources
 * (alarms, the rte_mp channel, device events) waiting.
 */
static void
mana_defer_ready(void *arg)
{
	const uint64_t one = 1;
	int fd = (int)(intptr_t)arg;
	struct mana_defer_work w;
	unsigned int n;
	uint64_t count;

	/* Reset the counter first: a pair queued from here on writes it again. */
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		DRV_LOG(ERR, "deferred work: eventfd read: %s", strerror(errno));
	for (n = mana_defer_queued(false); n > 0 && mana_defer_next(&w); n--)
		w.fn(w.arg);
	if (mana_defer_queued(true) > 0 && write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		DRV_LOG(ERR, "deferred work: eventfd write: %s", strerror(errno));
}

/* The eventfd and its interrupt source (0 or negative errno). */
static int
mana_defer_setup(void) __mana_requires(&mana_defer_lock)
{
	struct rte_intr_handle *intr;
	int fd, ret;

	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (intr == NULL) {
		ret = -ENOMEM;
		goto fail_fd;
	}
	if (rte_intr_type_set(intr, RTE_INTR_HANDLE_EXT) != 0 || rte_intr_fd_set(intr, fd) != 0) {
		ret = -rte_errno;
		goto fail_intr;
	}
	/*
	 * EAL writes its pipe after releasing intr_lock: no hazard here. -EPIPE:
	 * that write failed, but the source is registered (eal_interrupts.c).
	 */
	ret = rte_intr_callback_register(intr, mana_defer_ready, (void *)(intptr_t)fd);
	if (ret != 0 && ret != -EPIPE)
		goto fail_intr;
	mana_defer_fd = fd;
	mana_defer_intr = intr;
	return 0;
fail_intr:
	rte_intr_instance_free(intr);
fail_fd:
	close(fd);
	return ret;
}

/* The eventfd to write, or -1 for the alarm fallback. */
static int
mana_defer_ready_fd(void) __mana_requires(&mana_defer_lock)
{
	if (mana_defer_fd < 0 && mana_defer_setup_error == 0) {
		mana_defer_setup_error = mana_defer_setup();
		if (mana_defer_setup_error != 0)
			DRV_LOG(ERR, "deferred work: no eventfd interrupt source (%s):"
				" EAL alarms instead", strerror(-mana_defer_setup_error));
	}
	return mana_defer_fd;
}

void
mana_defer_prepare(void)
{
	mana_mutex_lock(&mana_defer_lock);
	mana_defer_ready_fd();
	mana_mutex_unlock(&mana_defer_lock);
}

int
mana_defer(mana_defer_fn fn, void *arg)
{
	const uint64_t one = 1;
	unsigned int i;
	int fd;

	mana_mutex_lock(&mana_defer_lock);
	fd = mana_defer_ready_fd();
	if (fd < 0) {
		mana_mutex_unlock(&mana_defer_lock);
		return rte_eal_alarm_set(1, fn, arg);
	}
	for (i = 0; i < mana_defer_len; i++)
		if (mana_defer_queue[i].fn == fn && mana_defer_queue[i].arg == arg)
			break;
	if (i == mana_defer_len) {
		if (mana_defer_len == MANA_DEFER_MAX) {
			mana_mutex_unlock(&mana_defer_lock);
			return -ENOSPC;
		}
		mana_defer_queue[mana_defer_len++] = (struct mana_defer_work){ fn, arg };
	}
	mana_mutex_unlock(&mana_defer_lock);
	/* EAGAIN: the counter is at its maximum, the thread is woken anyway. */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		DRV_LOG(ERR, "deferred work: eventfd write: %s", strerror(errno));
	return 0;
}

/* Drop the queued (@fn, @arg); true if a run of it is under way on @self or another thread. */
static bool
mana_defer_drop(mana_defer_fn fn, void *arg, bool *self) __mana_requires(&mana_defer_lock)
{
	unsigned int i, kept = 0;
	bool running;

	for (i = 0; i < mana_defer_len; i++) {
		if (mana_defer_queue[i].fn == fn && mana_defer_queue[i].arg == arg)
			continue;
		mana_defer_queue[kept++] = mana_defer_queue[i];
	}
	mana_defer_len = kept;
	running = mana_defer_busy && mana_defer_running.fn == fn && mana_defer_running.arg == arg;
	*self = running && pthread_equal(mana_defer_runner, pthread_self());
	return running;
}

int
mana_defer_cancel(mana_defer_fn fn, void *arg)
{
	bool running, self, fallback;

	mana_mutex_lock(&mana_defer_lock);
	fallback = mana_defer_fd < 0;
	running = mana_defer_drop(fn, arg, &self);
	mana_mutex_unlock(&mana_defer_lock);
	if (fallback)
		return rte_eal_alarm_cancel(fn, arg) < 0 && rte_errno == EINPROGRESS ?
		       -EINPROGRESS : 0;
	if (self)
		return -EINPROGRESS;
	while (running) {
		rte_delay_us_sleep(100);
		mana_mutex_lock(&mana_defer_lock);
		running = mana_defer_drop(fn, arg, &self);
		mana_mutex_unlock(&mana_defer_lock);
	}
	return 0;
}
