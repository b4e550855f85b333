/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Forced first include of the `make build-stdatomic` check: DPDK headers as
 * a DPDK built with enable_stdatomic=true has them (rte_build_config.h
 * undefines RTE_ENABLE_STDATOMIC otherwise, hence after rte_config.h). Then
 * rte_atomic_*() are C11 atomics and clang refuses them on any object not
 * declared RTE_ATOMIC(). Compile-only: never run what this builds.
 */
#include <rte_config.h>
#define RTE_ENABLE_STDATOMIC 1
