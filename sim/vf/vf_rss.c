/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Receive-side scaling of the software MANA VF: the Toeplitz hash over the
 * packet's tuple, computed with rte_softrss() on a host-order tuple exactly
 * as DPDK applications predict it, so a test can tell which queue a packet
 * must arrive on.
 *
 * The hash fields an application asks for do not reach the hardware:
 * mana_ib programs only the function, key and table
 * (drivers/infiniband/hw/mana/qp.c, mana_ib_cfg_vport_steering). The device
 * hashes the TCP or UDP 4-tuple when the packet has one, else the IP
 * 2-tuple, and reports the class it hashed as the hardware does: the L4 or
 * L3 mask of hash types (DPDK net/mana mana.h, MANA_HASH_L4 / MANA_HASH_L3).
 */

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include "vf.h"

static uint32_t
vf_ld_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

static uint16_t
vf_ld_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t
vf_rss_hash(const struct vf_qp *rss, const uint8_t *pkt, const struct vf_pkt_info *pi,
	    uint32_t *hash_type)
{
	union rte_thash_tuple tuple;
	const uint8_t *l3 = pkt + pi->l3_off;
	const uint8_t *l4 = pkt + pi->l4_off;
	bool l4_hash = pi->l4 == VF_L4_TCP || pi->l4 == VF_L4_UDP;
	uint32_t len, i;

	*hash_type = 0;
	if (pi->l3 == VF_L3_IPV4) {
		tuple.v4.src_addr = vf_ld_be32(l3 + offsetof(struct rte_ipv4_hdr, src_addr));
		tuple.v4.dst_addr = vf_ld_be32(l3 + offsetof(struct rte_ipv4_hdr, dst_addr));
		if (l4_hash) {
			tuple.v4.sport = vf_ld_be16(l4);
			tuple.v4.dport = vf_ld_be16(l4 + 2);
			len = RTE_THASH_V4_L4_LEN;
		} else {
			len = RTE_THASH_V4_L3_LEN;
		}
	} else if (pi->l3 == VF_L3_IPV6) {
		/* Addresses as host-order 32-bit words, as rte_softrss() users lay them out. */
		const uint8_t *src = l3 + offsetof(struct rte_ipv6_hdr, src_addr);
		const uint8_t *dst = l3 + offsetof(struct rte_ipv6_hdr, dst_addr);

		for (i = 0; i < 4; i++) {
			uint32_t s = vf_ld_be32(src + 4 * i);
			uint32_t d = vf_ld_be32(dst + 4 * i);

			memcpy((uint8_t *)&tuple.v6.src_addr + 4 * i, &s, sizeof(s));
			memcpy((uint8_t *)&tuple.v6.dst_addr + 4 * i, &d, sizeof(d));
		}
		if (l4_hash) {
			tuple.v6.sport = vf_ld_be16(l4);
			tuple.v6.dport = vf_ld_be16(l4 + 2);
			len = RTE_THASH_V6_L4_LEN;
		} else {
			len = RTE_THASH_V6_L3_LEN;
		}
	} else {
		return 0;
	}
	*hash_type = l4_hash ? VF_HASH_L4 : VF_HASH_L3;
	return rte_softrss((uint32_t *)&tuple, len, rss->key);
}
