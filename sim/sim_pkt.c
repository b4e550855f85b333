/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Packet parsing and checksums of the software MANA device: what the NIC
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

#include "sim_internal.h"

#define SIM_MAX_VLAN_TAGS	2

static uint16_t
sim_ld_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

void
sim_pkt_parse(const uint8_t *pkt, uint32_t len, struct sim_pkt_info *pi)
{
	uint32_t off = 2 * RTE_ETHER_ADDR_LEN;
	uint32_t l3_len, l4_min;
	uint16_t ether_type;
	uint8_t proto;
	unsigned int tags;

	memset(pi, 0, sizeof(*pi));
	if (len < RTE_ETHER_HDR_LEN)
		return;
	ether_type = sim_ld_be16(pkt + off);
	off += 2;
	for (tags = 0; tags < SIM_MAX_VLAN_TAGS &&
	     (ether_type == RTE_ETHER_TYPE_VLAN || ether_type == RTE_ETHER_TYPE_QINQ); tags++) {
		if (off + 4 > len)
			return;
		ether_type = sim_ld_be16(pkt + off + 2);
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
		pi->l3 = SIM_L3_IPV4;
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
		pi->l3 = SIM_L3_IPV6;
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
	pi->l4 = proto == IPPROTO_TCP ? SIM_L4_TCP : SIM_L4_UDP;
	pi->l4_off = (uint16_t)off;
	pi->l4_len = (uint16_t)l3_len;
	pi->l4_complete = off + l3_len <= len;
}

/*
 * Tx checksum offload, applied to the device's copy of the frame. Like the
 * hardware, the L4 checksum is completed from the partial (pseudo-header)
 * sum the driver left in the checksum field: the device sums the L4 segment
 * as it is and stores the complement. A driver that does not seed the
 * pseudo-header sum therefore produces bad checksums, as it would on a NIC.
 * Returns 0, or -1 when the driver's transport header offset disagrees with
 * the frame.
 */
int
sim_pkt_tx_offload(uint8_t *pkt, const struct sim_pkt_info *pi, bool ip_csum, bool l4_csum,
		   uint32_t l4_off_hint)
{
	if (ip_csum && pi->l3 == SIM_L3_IPV4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(pkt + pi->l3_off);

		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if (!l4_csum || pi->l4 == SIM_L4_NONE)
		return 0;
	if (l4_off_hint != 0 && l4_off_hint != pi->l4_off)
		return -1;
	if (pi->l4_complete) {
		uint8_t *l4 = pkt + pi->l4_off;
		uint16_t cksum = (uint16_t)~rte_raw_cksum(l4, pi->l4_len);

		if (pi->l4 == SIM_L4_TCP) {
			struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)l4;

			tcp->cksum = cksum;
		} else {
			struct rte_udp_hdr *udp = (struct rte_udp_hdr *)l4;

			/* RFC 768: a computed zero is sent as all ones. */
			udp->dgram_cksum = cksum == 0 ? 0xffff : cksum;
		}
	}
	return 0;
}

/* Rx checksum verdict bits (SIM_RX_*_CSUM_*) of a received frame. */
uint32_t
sim_pkt_rx_csum_verdict(const uint8_t *pkt, const struct sim_pkt_info *pi)
{
	const uint8_t *l3 = pkt + pi->l3_off;
	const uint8_t *l4 = pkt + pi->l4_off;
	uint32_t bits = 0;
	bool ok;

	if (pi->l3 == SIM_L3_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

		ok = rte_raw_cksum(ip, (ip->version_ihl & 0xf) * 4u) == 0xffff;
		bits |= ok ? SIM_RX_IP_CSUM_OK : SIM_RX_IP_CSUM_BAD;
	}
	if (pi->l4 == SIM_L4_NONE || !pi->l4_complete)
		return bits;

	if (pi->l4 == SIM_L4_UDP && pi->l3 == SIM_L3_IPV4 &&
	    ((const struct rte_udp_hdr *)l4)->dgram_cksum == 0) {
		ok = true;	/* IPv4 UDP without a checksum */
	} else if (pi->l3 == SIM_L3_IPV4) {
		ok = rte_ipv4_udptcp_cksum_verify((const struct rte_ipv4_hdr *)l3, l4) == 0;
	} else {
		ok = rte_ipv6_udptcp_cksum_verify((const struct rte_ipv6_hdr *)l3, l4) == 0;
	}
	if (pi->l4 == SIM_L4_TCP)
		bits |= ok ? SIM_RX_TCP_CSUM_OK : SIM_RX_TCP_CSUM_BAD;
	else
		bits |= ok ? SIM_RX_UDP_CSUM_OK : SIM_RX_UDP_CSUM_BAD;
	return bits;
}
