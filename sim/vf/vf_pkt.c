/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Packet parsing and checksums of the software MANA VF: what the NIC
 * does to a frame on the wire (Tx checksum offload) and what it reports
 * about it on receive (checksum verdicts). Headers are read in place and may
 * be unaligned; DPDK's header structs are packed.
 */

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vf.h"

#define VF_MAX_VLAN_TAGS	2

static uint16_t
vf_ld_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

void
vf_pkt_parse(const uint8_t *pkt, uint32_t len, struct vf_pkt_info *pi)
{
	uint32_t off = 2 * RTE_ETHER_ADDR_LEN;
	uint32_t l3_len, l4_min;
	uint16_t ether_type;
	uint8_t proto;
	unsigned int tags;

	memset(pi, 0, sizeof(*pi));
	if (len < RTE_ETHER_HDR_LEN)
		return;
	ether_type = vf_ld_be16(pkt + off);
	off += 2;
	for (tags = 0; tags < VF_MAX_VLAN_TAGS &&
	     (ether_type == RTE_ETHER_TYPE_VLAN || ether_type == RTE_ETHER_TYPE_QINQ); tags++) {
		if (off + 4 > len)
			return;
		ether_type = vf_ld_be16(pkt + off + 2);
		off += 4;
	}

	if (ether_type == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(pkt + off);
		uint32_t ihl;

		if (off + sizeof(*ip) > len || (ip->version_ihl >> 4) != 4)
			return;
		ihl = (ip->version_ihl & 0xf) * 4u;
		if (ihl < sizeof(*ip) || off + ihl > len)
			return;
		pi->l3 = VF_L3_IPV4;
		pi->l3_off = (uint16_t)off;
		/* Non-first fragments carry no L4 header; first ones are hashed on L3 too. */
		if ((rte_be_to_cpu_16(ip->fragment_offset) &
		     (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)
			return;
		l3_len = rte_be_to_cpu_16(ip->total_length);
		if (l3_len < ihl)
			return;
		proto = ip->next_proto_id;
		off += ihl;
		l3_len -= ihl;
	} else if (ether_type == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(pkt + off);

		if (off + sizeof(*ip6) > len ||
		    (rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6)
			return;
		pi->l3 = VF_L3_IPV6;
		pi->l3_off = (uint16_t)off;
		/* Extension headers are not walked: such packets are hashed on L3. */
		proto = ip6->proto;
		l3_len = rte_be_to_cpu_16(ip6->payload_len);
		off += sizeof(*ip6);
	} else {
		return;
	}

	if (proto == IPPROTO_TCP)
		l4_min = sizeof(struct rte_tcp_hdr);
	else if (proto == IPPROTO_UDP)
		l4_min = sizeof(struct rte_udp_hdr);
	else
		return;
	if (off + l4_min > len || l3_len < l4_min)
		return;
	pi->l4 = proto == IPPROTO_TCP ? VF_L4_TCP : VF_L4_UDP;
	pi->l4_off = (uint16_t)off;
	pi->l4_len = (uint16_t)l3_len;
	pi->l4_complete = off + l3_len <= len;
}

/*
 * Tx checksum offload as the hardware does it: from the OOB alone, which
 * the driver fills (Linux mana_en.c mana_start_xmit; DPDK mana_tx_dp.h),
 * not from parsing the packet:
 *   - the IPv4 header checksum if comp_iphdr_csum and is_outer_ipv4, the
 *     header after the Ethernet header (and an 802.1Q tag in the frame);
 *   - the TCP or UDP checksum, as comp_tcp_csum / comp_udp_csum say, over
 *     the bytes from trans_off to the end of the frame, the checksum field
 *     holding the pseudo-header sum (the DPDK convention).
 * Returns -1 when the OOB cannot be honoured (no IPv4 header where it says,
 * no transport offset, a header beyond the frame): an error completion.
 */
int
vf_pkt_tx_offload(uint8_t *pkt, uint32_t len, uint32_t flags, uint32_t trans_off)
{
	uint32_t l3_off = RTE_ETHER_HDR_LEN;

	if (len >= RTE_ETHER_HDR_LEN + 4 && ((pkt[12] << 8) | pkt[13]) == RTE_ETHER_TYPE_VLAN)
		l3_off += 4;
	if (flags & VF_TXCS_IP) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(pkt + l3_off);

		if (!(flags & VF_TXCS_IPV4) || l3_off + sizeof(*ip) > len ||
		    (ip->version_ihl >> 4) != 4 || (ip->version_ihl & 0xf) < 5 ||
		    l3_off + (ip->version_ihl & 0xfu) * 4 > len)
			return -1;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if (flags & (VF_TXCS_TCP | VF_TXCS_UDP)) {
		uint32_t field = (flags & VF_TXCS_TCP) ? 16 : 6;
		uint16_t cksum;

		if (trans_off < l3_off || trans_off + field + 2 > len ||
		    (flags & (VF_TXCS_TCP | VF_TXCS_UDP)) == (VF_TXCS_TCP | VF_TXCS_UDP))
			return -1;
		cksum = (uint16_t)~rte_raw_cksum(pkt + trans_off, len - trans_off);
		/* RFC 768: a UDP checksum that computes to zero is sent as all ones. */
		if ((flags & VF_TXCS_UDP) && cksum == 0)
			cksum = 0xffff;
		memcpy(pkt + trans_off + field, &cksum, sizeof(cksum));
	}
	return 0;
}

/* Rx checksum verdict bits (VF_RX_*_CSUM_*) of a received frame. */
uint32_t
vf_pkt_rx_csum_verdict(const uint8_t *pkt, const struct vf_pkt_info *pi)
{
	const uint8_t *l3 = pkt + pi->l3_off;
	const uint8_t *l4 = pkt + pi->l4_off;
	uint32_t bits = 0;
	bool ok;

	if (pi->l3 == VF_L3_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

		ok = rte_raw_cksum(ip, (ip->version_ihl & 0xf) * 4u) == 0xffff;
		bits |= ok ? VF_RX_IP_CSUM_OK : VF_RX_IP_CSUM_BAD;
	}
	if (pi->l4 == VF_L4_NONE || !pi->l4_complete)
		return bits;

	if (pi->l4 == VF_L4_UDP && pi->l3 == VF_L3_IPV4 &&
	    ((const struct rte_udp_hdr *)l4)->dgram_cksum == 0) {
		ok = true;	/* IPv4 UDP without a checksum */
	} else if (pi->l3 == VF_L3_IPV4) {
		ok = rte_ipv4_udptcp_cksum_verify((const struct rte_ipv4_hdr *)l3, l4) == 0;
	} else {
		ok = rte_ipv6_udptcp_cksum_verify((const struct rte_ipv6_hdr *)l3, l4) == 0;
	}
	if (pi->l4 == VF_L4_TCP)
		bits |= ok ? VF_RX_TCP_CSUM_OK : VF_RX_TCP_CSUM_BAD;
	else
		bits |= ok ? VF_RX_UDP_CSUM_OK : VF_RX_UDP_CSUM_BAD;
	return bits;
}
