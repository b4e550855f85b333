/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_DPDK_COMPAT_H
#define MANA_DPDK_COMPAT_H

/*
 * The DPDK API differences between the versions this project builds
 * against (22.11, 24.11, 25.11), in one place. The code is written in the
 * newest idiom; each section maps it down for the versions that lack it.
 * A section is keyed on a feature test where one exists, on the version
 * that introduced the API otherwise. See doc/guides/nics/mana.rst
 * ("Supported DPDK versions") for the behaviour differences.
 */

#include <stdint.h>
#include <stdlib.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_version.h>

/*
 * C11-style atomics (rte_stdatomic.h, DPDK 23.11). Before that, the same
 * operations are the GCC __atomic builtins, which is also what
 * rte_stdatomic.h expands to unless DPDK was built with enable_stdatomic.
 */
#if __has_include(<rte_stdatomic.h>)
#include <rte_stdatomic.h>
#else
#define RTE_ATOMIC(type) type
#define __rte_atomic
#define rte_memory_order_relaxed __ATOMIC_RELAXED
#define rte_memory_order_acquire __ATOMIC_ACQUIRE
#define rte_memory_order_release __ATOMIC_RELEASE
#define rte_memory_order_acq_rel __ATOMIC_ACQ_REL
#define rte_memory_order_seq_cst __ATOMIC_SEQ_CST
#define rte_atomic_load_explicit(ptr, mo) __atomic_load_n(ptr, mo)
#define rte_atomic_store_explicit(ptr, val, mo) __atomic_store_n(ptr, val, mo)
#define rte_atomic_exchange_explicit(ptr, val, mo) __atomic_exchange_n(ptr, val, mo)
#define rte_atomic_compare_exchange_strong_explicit(ptr, exp, des, smo, fmo) \
	__atomic_compare_exchange_n(ptr, exp, des, 0, smo, fmo)
#define rte_atomic_compare_exchange_weak_explicit(ptr, exp, des, smo, fmo) \
	__atomic_compare_exchange_n(ptr, exp, des, 1, smo, fmo)
#define rte_atomic_fetch_add_explicit(ptr, val, mo) __atomic_fetch_add(ptr, val, mo)
#define rte_atomic_fetch_sub_explicit(ptr, val, mo) __atomic_fetch_sub(ptr, val, mo)
#define rte_atomic_fetch_or_explicit(ptr, val, mo) __atomic_fetch_or(ptr, val, mo)
#define rte_atomic_fetch_and_explicit(ptr, val, mo) __atomic_fetch_and(ptr, val, mo)
#endif

/*
 * Control threads: rte_thread_create_control() (DPDK 23.11) replaced
 * rte_ctrl_thread_create(), which took and gave pthread_t. Both run the
 * thread on the control-plane CPU set, outside the data-path lcores.
 * Both return a negative errno on failure (24.11's lib/eal/common/
 * eal_common_thread.c returns a positive one when only setting the thread's
 * affinity failed: callers take either sign). On Linux, 22.11's
 * rte_thread_t is the pthread_t and rte_thread_join() gives what the start
 * routine returned, truncated to 32 bits, which is what the trampoline
 * below returns. 23.07's rte_thread_create_control() took thread attributes:
 * that release is not supported.
 */
#if RTE_VERSION >= RTE_VERSION_NUM(23, 7, 0, 0) && RTE_VERSION < RTE_VERSION_NUM(23, 11, 0, 0)
#error "DPDK 23.07's rte_thread_create_control() differs from every LTS: use an LTS release"
#endif
#if RTE_VERSION < RTE_VERSION_NUM(23, 7, 0, 0)
#include <errno.h>
#include <pthread.h>

#include <rte_lcore.h>
#include <rte_thread.h>

struct mana_compat_thread_start {
	rte_thread_func func;
	void *arg;
};

static inline void *
mana_compat_thread_trampoline(void *arg)
{
	struct mana_compat_thread_start start = *(struct mana_compat_thread_start *)arg;

	free(arg);
	return (void *)(uintptr_t)start.func(start.arg);
}

static inline int
rte_thread_create_control(rte_thread_t *thread, const char *name, rte_thread_func func,
			  void *arg)
{
	struct mana_compat_thread_start *start = malloc(sizeof(*start));
	pthread_t tid;
	int ret;

	if (start == NULL)
		return -ENOMEM;
	start->func = func;
	start->arg = arg;
	ret = rte_ctrl_thread_create(&tid, name, NULL, mana_compat_thread_trampoline, start);
	if (ret != 0) {
		free(start);
		return ret;
	}
	thread->opaque_id = (uintptr_t)tid;
	return 0;
}
#else
#include <rte_thread.h>
#endif

/*
 * Telemetry: the unsigned integer calls were renamed from *_u64 to *_uint
 * in DPDK 23.03 (the old names are deprecated since).
 */
#if RTE_VERSION < RTE_VERSION_NUM(23, 3, 0, 0)
#define rte_tel_data_add_dict_uint rte_tel_data_add_dict_u64
#define rte_tel_data_add_array_uint rte_tel_data_add_array_u64
#define RTE_TEL_UINT_VAL RTE_TEL_U64_VAL
#endif

/*
 * Packed structures: __rte_packed (deprecated in DPDK 25.03) gave way to a
 * begin/end pair around the definition.
 */
#ifndef __rte_packed_begin
#define __rte_packed_begin
#define __rte_packed_end __attribute__((__packed__))
#endif

/*
 * Per-queue statistics: since DPDK 25.11 ethdev hands a driver's
 * stats_get() a separate struct eth_queue_stats (NULL when the caller does
 * not want them); before, the same q_* arrays are inside rte_eth_stats.
 */
#if RTE_VERSION >= RTE_VERSION_NUM(25, 11, 0, 0)
#define MANA_ETHDEV_QSTATS_ARG 1
#endif

#endif /* MANA_DPDK_COMPAT_H */
