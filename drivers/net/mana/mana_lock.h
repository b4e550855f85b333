/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_LOCK_H
#define MANA_LOCK_H

/*
 * A mutex the clang thread-safety analysis understands. DPDK has no
 * annotated sleeping lock (22.11 annotates none at all), so the PMD wraps
 * pthread mutexes in its own capability type. Every lock is taken and
 * released in the same function; functions that expect a lock held say so
 * with __mana_requires().
 */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * mana_lock.c, which wraps the pthread calls themselves, is the one file
 * compiled without the annotations (MANA_LOCK_PRIMITIVES): the analysis
 * trusts the annotated declarations below in every other file.
 */
#if defined(__clang__) && !defined(MANA_LOCK_PRIMITIVES)
#define __mana_capability(x)	__attribute__((capability(x)))
#define __mana_acquires(...)	__attribute__((acquire_capability(__VA_ARGS__)))
#define __mana_releases(...)	__attribute__((release_capability(__VA_ARGS__)))
#define __mana_requires(...)	__attribute__((requires_capability(__VA_ARGS__)))
#define __mana_excludes(...)	__attribute__((locks_excluded(__VA_ARGS__)))
#define __mana_try_acquires(...) __attribute__((try_acquire_capability(__VA_ARGS__)))
#else
#define __mana_capability(x)
#define __mana_acquires(...)
#define __mana_releases(...)
#define __mana_requires(...)
#define __mana_excludes(...)
#define __mana_try_acquires(...)
#endif

struct __mana_capability("mutex") mana_mutex {
	pthread_mutex_t mutex;
};

struct mana_cond {
	pthread_cond_t cond;
};

void mana_mutex_init(struct mana_mutex *lock);
void mana_mutex_destroy(struct mana_mutex *lock);
void mana_mutex_lock(struct mana_mutex *lock) __mana_acquires(lock);
void mana_mutex_unlock(struct mana_mutex *lock) __mana_releases(lock);
/* Returns true with @lock held, false (not held) when another thread has it. */
bool mana_mutex_trylock(struct mana_mutex *lock) __mana_try_acquires(true, lock);

/* Condition variables on CLOCK_MONOTONIC. */
void mana_cond_init(struct mana_cond *cond);
void mana_cond_destroy(struct mana_cond *cond);
void mana_cond_broadcast(struct mana_cond *cond);
/* Wait until @deadline_ns (CLOCK_MONOTONIC); returns 0 or ETIMEDOUT. */
int mana_cond_wait_until(struct mana_cond *cond, struct mana_mutex *lock,
			 uint64_t deadline_ns) __mana_requires(lock);

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t
mana_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* MANA_LOCK_H */
