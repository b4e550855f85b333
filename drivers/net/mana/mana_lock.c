/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#include <stdlib.h>

/* The primitives: see mana_lock.h. */
#define MANA_LOCK_PRIMITIVES
#include "mana_lock.h"
#include "mana_log.h"

void
mana_mutex_init(struct mana_mutex *lock)
{
	pthread_mutex_init(&lock->mutex, NULL);
}

void
mana_mutex_destroy(struct mana_mutex *lock)
{
	pthread_mutex_destroy(&lock->mutex);
}

void
mana_mutex_lock(struct mana_mutex *lock)
{
	int ret = pthread_mutex_lock(&lock->mutex);

	/* Only EINVAL/EDEADLK are possible: a programming error. */
	if (ret != 0)
		abort();
}

bool
mana_mutex_trylock(struct mana_mutex *lock)
{
	int ret = pthread_mutex_trylock(&lock->mutex);

	if (ret != 0 && ret != EBUSY)
		abort();
	return ret == 0;
}

void
mana_mutex_unlock(struct mana_mutex *lock)
{
	pthread_mutex_unlock(&lock->mutex);
}

void
mana_cond_init(struct mana_cond *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&cond->cond, &attr);
	pthread_condattr_destroy(&attr);
}

void
mana_cond_destroy(struct mana_cond *cond)
{
	pthread_cond_destroy(&cond->cond);
}

void
mana_cond_broadcast(struct mana_cond *cond)
{
	pthread_cond_broadcast(&cond->cond);
}

int
mana_cond_wait_until(struct mana_cond *cond, struct mana_mutex *lock, uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ull),
		.tv_nsec = (long)(deadline_ns % 1000000000ull),
	};
	int ret;

	ret = pthread_cond_timedwait(&cond->cond, &lock->mutex, &ts);
	return ret == ETIMEDOUT ? ETIMEDOUT : 0;
}
