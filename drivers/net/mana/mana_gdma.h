/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_GDMA_H
#define MANA_GDMA_H

/*
 * GDMA data structures as the hardware reads and writes them: work queue
 * entries, completion queue entries and doorbells (little-endian, x86-64).
 */

#include <stdint.h>
#include <assert.h>

#include <rte_common.h>

#define GDMA_WQE_BU		32	/* WQEs are built of 32-byte basic units */
#define GDMA_CQE_SIZE		64
#define GDMA_CQE_OWNER_BITS	3
#define GDMA_CQE_OWNER_MASK	((1u << GDMA_CQE_OWNER_BITS) - 1)

#define GDMA_INLINE_OOB_SMALL	8
#define GDMA_INLINE_OOB_LARGE	24
#define GDMA_MAX_SGE		30

/* Doorbell offsets inside a doorbell page. */
#define GDMA_DB_OFFSET_SQ	0x000
#define GDMA_DB_OFFSET_RQ	0x400
#define GDMA_DB_OFFSET_CQ	0x800

/* Header of every WQE. */
struct gdma_wqe_hdr {
	uint32_t reserved0:24;
	uint32_t last_vbytes:8;
	uint32_t num_sge:8;
	uint32_t inline_oob_dwords:3;
	uint32_t client_oob_in_sgl:1;
	uint32_t consume_credit:1;
	uint32_t fence:1;
	uint32_t reserved1:2;
	uint32_t client_data_unit:14;
	uint32_t check_sn:1;
	uint32_t sgl_direct:1;
};
static_assert(sizeof(struct gdma_wqe_hdr) == 8, "WQE header is 8 bytes");

struct gdma_sge {
	uint64_t address;
	uint32_t mem_key;
	uint32_t size;
};
static_assert(sizeof(struct gdma_sge) == 16, "SGE is 16 bytes");

/* Inline OOB of a send WQE ("short" format). */
struct mana_tx_short_oob {
	uint32_t packet_format:2;
	uint32_t is_outer_ipv4:1;
	uint32_t is_outer_ipv6:1;
	uint32_t compute_ip_csum:1;
	uint32_t compute_tcp_csum:1;
	uint32_t compute_udp_csum:1;
	uint32_t suppress_cqe:1;
	uint32_t vcq_num:24;
	uint32_t transport_hdr_offset:10;
	uint32_t vsq_frame:14;
	uint32_t vport_offset:8;
};
static_assert(sizeof(struct mana_tx_short_oob) == 8, "Tx short OOB is 8 bytes");

/* packet_format of the short OOB: short alone, or followed by the long part. */
#define MANA_TX_SHORT_PKT_FMT		0
#define MANA_TX_LONG_PKT_FMT		1
#define MANA_TX_SHORT_VPORT_OFFSET_MAX	0xff

/*
 * The short OOB as the data path writes it: one 64-bit word, little endian,
 * each field of struct mana_tx_short_oob at its bit position there
 * (tests/unit/test_vf.c short_oob_word checks them against the struct).
 * Built in a register and stored whole: bit-field stores into the ring
 * compile to read-modify-writes of device-shared memory.
 */
#define MANA_TX_OOB_LONG_FMT		((uint64_t)MANA_TX_LONG_PKT_FMT)
#define MANA_TX_OOB_OUTER_IPV4		(UINT64_C(1) << 2)
#define MANA_TX_OOB_OUTER_IPV6		(UINT64_C(1) << 3)
#define MANA_TX_OOB_IP_CSUM		(UINT64_C(1) << 4)
#define MANA_TX_OOB_TCP_CSUM		(UINT64_C(1) << 5)
#define MANA_TX_OOB_UDP_CSUM		(UINT64_C(1) << 6)
#define MANA_TX_OOB_SUPPRESS_CQE	(UINT64_C(1) << 7)
#define MANA_TX_OOB_VCQ_NUM(cq)		((uint64_t)((cq) & 0xffffff) << 8)
#define MANA_TX_OOB_TRANSPORT_OFF(off)	((uint64_t)((off) & 0x3ff) << 32)
#define MANA_TX_OOB_VSQ_FRAME(frame)	((uint64_t)((frame) & 0x3fff) << 42)
#define MANA_TX_OOB_VPORT_OFFSET(off)	((uint64_t)((off) & 0xff) << 56)

/*
 * What follows the short OOB in the long format (GDMA_INLINE_OOB_LARGE
 * bytes in all): VLAN tag insertion and vport offsets above 8 bits (Linux
 * include/net/mana/mana.h struct mana_tx_long_oob; upstream DPDK mana.h
 * struct transmit_long_oob_v2).
 */
struct mana_tx_long_oob {
	uint32_t is_encap:1;
	uint32_t inner_is_ipv6:1;
	uint32_t inner_tcp_opt:1;
	uint32_t inject_vlan_pri_tag:1;
	uint32_t reserved1:12;
	uint32_t pcp:3;
	uint32_t dei:1;
	uint32_t vlan_id:12;
	uint32_t inner_frame_offset:10;
	uint32_t inner_ip_rel_offset:6;
	uint32_t long_vport_offset:12;
	uint32_t reserved3:4;
	uint32_t reserved4;
	uint32_t reserved5;
};
static_assert(sizeof(struct mana_tx_short_oob) + sizeof(struct mana_tx_long_oob) ==
	      GDMA_INLINE_OOB_LARGE, "Tx long OOB is 24 bytes with the short part");

enum mana_cqe_type {
	CQE_INVALID = 0,
	CQE_RX_OKAY = 1,
	CQE_RX_COALESCED_4 = 2,
	CQE_RX_OBJECT_FENCE = 3,
	CQE_RX_TRUNCATED = 4,
	CQE_TX_OKAY = 32,
	CQE_TX_SA_DROP = 33,
	CQE_TX_MTU_DROP = 34,
	CQE_TX_INVALID_OOB = 35,
	CQE_TX_INVALID_ETH_TYPE = 36,
	CQE_TX_HDR_PROCESSING_ERROR = 37,
	CQE_TX_VF_DISABLED = 38,
	CQE_TX_VPORT_IDX_OUT_OF_RANGE = 39,
	CQE_TX_VPORT_DISABLED = 40,
	CQE_TX_VLAN_TAGGING_VIOLATION = 41,
};

struct mana_cqe_hdr {
	uint32_t cqe_type:6;
	uint32_t client_type:2;
	uint32_t vendor_err:24;
};

struct mana_tx_comp_oob {
	struct mana_cqe_hdr hdr;
	uint32_t tx_data_offset;
	uint32_t tx_sgl_offset:5;
	uint32_t tx_wqe_offset:27;
	uint32_t reserved[12];
};
static_assert(sizeof(struct mana_tx_comp_oob) == 60, "Tx completion OOB is 60 bytes");

/* NDIS hash types reported in Rx completions. */
#define MANA_HASH_IPV4		(1u << 0)
#define MANA_HASH_TCP_IPV4	(1u << 1)
#define MANA_HASH_UDP_IPV4	(1u << 2)
#define MANA_HASH_IPV6		(1u << 3)
#define MANA_HASH_TCP_IPV6	(1u << 4)
#define MANA_HASH_UDP_IPV6	(1u << 5)

/* Packets one Rx CQE can complete (CQE_RX_COALESCED_4), one WQE each. */
#define MANA_RX_PKTS_PER_CQE	4

struct mana_rx_pkt_info {
	uint32_t packet_length:16;
	uint32_t reserved0:16;
	uint32_t reserved1;
	uint32_t packet_hash;
};

struct mana_rx_comp_oob {
	struct mana_cqe_hdr hdr;
	uint32_t vlan_id:12;
	uint32_t vlan_tag_present:1;
	uint32_t outer_ip_csum_ok:1;
	uint32_t outer_ip_csum_bad:1;
	uint32_t reserved0:1;
	uint32_t hash_type:9;
	uint32_t ip_csum_ok:1;
	uint32_t ip_csum_bad:1;
	uint32_t tcp_csum_ok:1;
	uint32_t tcp_csum_bad:1;
	uint32_t udp_csum_ok:1;
	uint32_t udp_csum_bad:1;
	uint32_t reserved1:1;
	struct mana_rx_pkt_info pkt_info[MANA_RX_PKTS_PER_CQE];
	uint32_t received_wqe_offset;
};
static_assert(sizeof(struct mana_rx_comp_oob) == 60, "Rx completion OOB is 60 bytes");

struct gdma_cqe {
	uint8_t client_data[60];
	uint32_t wq_num:24;
	uint32_t is_sq:1;
	uint32_t reserved:4;
	uint32_t owner_bits:3;
};
static_assert(sizeof(struct gdma_cqe) == GDMA_CQE_SIZE, "CQE is 64 bytes");

/* 64-bit doorbell value: queue id in bits 0-23, tail pointer in 32-63. */
static inline uint64_t
gdma_db_value(uint32_t queue_id, uint32_t tail, uint8_t bits24_31)
{
	return (uint64_t)(queue_id & 0xffffff) | ((uint64_t)bits24_31 << 24) |
	       ((uint64_t)tail << 32);
}

/* CQ doorbell: tail in bits 32-62, arm in bit 63. */
static inline uint64_t
gdma_cq_db_value(uint32_t queue_id, uint32_t tail, int arm)
{
	return (uint64_t)(queue_id & 0xffffff) | ((uint64_t)(tail & 0x7fffffff) << 32) |
	       ((uint64_t)(arm != 0) << 63);
}

/* Bytes a WQE with @num_sge entries and @oob_bytes of inline OOB occupies. */
static inline uint32_t
gdma_wqe_size(uint32_t num_sge, uint32_t oob_bytes)
{
	uint32_t oob = oob_bytes > GDMA_INLINE_OOB_SMALL ?
		GDMA_INLINE_OOB_LARGE : GDMA_INLINE_OOB_SMALL;

	if (num_sge == 0)
		num_sge = 1;	/* an empty SGL is written as one dummy entry */
	return RTE_ALIGN(sizeof(struct gdma_wqe_hdr) + oob +
			 num_sge * sizeof(struct gdma_sge), GDMA_WQE_BU);
}

#endif /* MANA_GDMA_H */
