/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_DEFER_H
#define MANA_DEFER_H

#include <rte_config.h>

/*
 * Work for EAL's interrupt thread, to run as soon as it can: what
 * rte_eal_alarm_set(1, fn, arg) is used for, without its hazard to the
 * thread that arms it.
 *
 * rte_eal_alarm_set() holds alarm_list_lk, a spinlock, across
 * timerfd_settime() (lib/eal/linux/eal_alarm.c, DPDK 22.11 to 25.11). A
 * timer of 1 us expires inside that call; the interrupt thread it wakes
 * may preempt the caller on its CPU, then spins on the same lock in
 * eal_alarm_callback() until the scheduler takes the CPU back from it - a
 * whole time slice, during which the caller cannot release the lock (3.7 ms
 * measured with the reset thread and the interrupt thread on one CPU,
 * doc/performance.rst). Here the caller queues (fn, arg) under a mutex and
 * writes an eventfd after releasing it; the interrupt thread runs the queue.
 */

typedef void (*mana_defer_fn)(void *arg);

/* Pairs queued at most: each port's event delivery and behind check, MR requests. */
#define MANA_DEFER_MAX	(2 * RTE_MAX_ETHPORTS + 1)

/*
 * Set up the eventfd and its interrupt source, once per process (probe, on
 * a control thread, so that no burst pays for it). Should that fail, every
 * later mana_defer() falls back to rte_eal_alarm_set(1, ...); logged once.
 */
void mana_defer_prepare(void);

/*
 * Run @fn(@arg) on the interrupt thread. A pair already queued and not yet
 * started is queued once. Any thread; never blocks on the callbacks.
 * Returns 0, or -ENOSPC (MANA_DEFER_MAX pairs queued) or an error of the
 * alarm fallback: then nothing is queued.
 */
int mana_defer(mana_defer_fn fn, void *arg);

/*
 * Drop every queued (@fn, @arg) - also one queued again meanwhile - and
 * wait until a run of it on another thread has returned, as
 * rte_eal_alarm_cancel() does for alarms (no bound: as long as that
 * callback takes). Returns 0, or -EINPROGRESS when called from the run of
 * that pair itself (nothing to wait for; queued ones are dropped).
 */
int mana_defer_cancel(mana_defer_fn fn, void *arg);

#endif /* MANA_DEFER_H */
