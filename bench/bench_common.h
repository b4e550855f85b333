/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_BENCH_COMMON_H
#define MANA_BENCH_COMMON_H

/* Helpers shared by the benchmarks. */

#include <stdint.h>

#include <rte_mbuf.h>

#include "mana_dpdk_compat.h"
#include "traffic/mana_traffic.h"

/*
 * Allocate @n mbufs from @mp and make each a @len-byte frame of @flow,
 * numbered from *@seq on (which advances). Returns 0, or the error of
 * rte_pktmbuf_alloc_bulk() (nothing allocated).
 */
static inline int
bench_build_burst(struct rte_mempool *mp, struct rte_mbuf **pkts, unsigned int n,
		  const struct mtrf_flow *flow, uint32_t len, uint64_t *seq)
{
	unsigned int i;
	int ret;

	ret = rte_pktmbuf_alloc_bulk(mp, pkts, n);
	if (ret != 0)
		return ret;
	for (i = 0; i < n; i++) {
		pkts[i]->pkt_len = len;
		pkts[i]->data_len = (uint16_t)len;
		mtrf_fill(rte_pktmbuf_mtod(pkts[i], uint8_t *), len, flow, (*seq)++, 0);
	}
	return 0;
}

#endif /* MANA_BENCH_COMMON_H */
