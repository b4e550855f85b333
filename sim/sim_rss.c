/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Receive-side scaling of the software MANA device: the Toeplitz hash over
 * the packet's tuple, computed with rte_softrss() on a host-order tuple
 * exactly as DPDK applications predict it, so that a test can tell which
 * queue a packet must arrive on.
 */

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include "sim_internal.h"

static uint32_t
sim_ld_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

static uint16_t
sim_ld_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/*
 * Hash of a packet under @rss; *hash_type gets the NDIS type that was
 * hashed, 0 (and a hash of 0) when the packet is not hashed.
 */
uint32_t
sim_rss_hash(const struct mana_hw_rss *rss, const uint8_t *pkt, const struct sim_pkt_info *pi,
	     uint32_t *hash_type)
{
	union rte_thash_tuple tuple;
	const uint8_t *l3 = pkt + pi->l3_off;
	const uint8_t *l4 = pkt + pi->l4_off;
	bool l4_hash;
	uint32_t len, i;

	*hash_type = 0;
	l4_hash = (pi->l4 == SIM_L4_TCP && (rss->hash_fields & MANA_HW_RSS_TCP)) ||
		  (pi->l4 == SIM_L4_UDP && (rss->hash_fields & MANA_HW_RSS_UDP));

	if (pi->l3 == SIM_L3_IPV4 && (rss->hash_fields & MANA_HW_RSS_IPV4)) {
		tuple.v4.src_addr = sim_ld_be32(l3 + offsetof(struct rte_ipv4_hdr, src_addr));
		tuple.v4.dst_addr = sim_ld_be32(l3 + offsetof(struct rte_ipv4_hdr, dst_addr));
		if (l4_hash) {
			tuple.v4.sport = sim_ld_be16(l4);
			tuple.v4.dport = sim_ld_be16(l4 + 2);
			len = RTE_THASH_V4_L4_LEN;
			*hash_type = pi->l4 == SIM_L4_TCP ? SIM_HASH_TCP_IPV4 : SIM_HASH_UDP_IPV4;
		} else {
			len = RTE_THASH_V4_L3_LEN;
			*hash_type = SIM_HASH_IPV4;
		}
	} else if (pi->l3 == SIM_L3_IPV6 && (rss->hash_fields & MANA_HW_RSS_IPV6)) {
		/* Addresses as host-order 32-bit words, as rte_softrss() users lay them out. */
		const uint8_t *src = l3 + offsetof(struct rte_ipv6_hdr, src_addr);
		const uint8_t *dst = l3 + offsetof(struct rte_ipv6_hdr, dst_addr);

		for (i = 0; i < 4; i++) {
			uint32_t s = sim_ld_be32(src + 4 * i);
			uint32_t d = sim_ld_be32(dst + 4 * i);

			memcpy((uint8_t *)&tuple.v6.src_addr + 4 * i, &s, sizeof(s));
			memcpy((uint8_t *)&tuple.v6.dst_addr + 4 * i, &d, sizeof(d));
		}
		if (l4_hash) {
			tuple.v6.sport = sim_ld_be16(l4);
			tuple.v6.dport = sim_ld_be16(l4 + 2);
			len = RTE_THASH_V6_L4_LEN;
			*hash_type = pi->l4 == SIM_L4_TCP ? SIM_HASH_TCP_IPV6 : SIM_HASH_UDP_IPV6;
		} else {
			len = RTE_THASH_V6_L3_LEN;
			*hash_type = SIM_HASH_IPV6;
		}
	} else {
		return 0;
	}
	return rte_softrss((uint32_t *)&tuple, len, rss->key);
}
