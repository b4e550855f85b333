/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_TRAFFIC_H
#define MANA_TRAFFIC_H

/*
 * A counted traffic source and sink.
 *
 * A flow is (src IPv4, dst IPv4, UDP sport, dport). Every packet is
 * Ether/IPv4/UDP carrying a stamp {magic "MTRF", proc_id, flow_id, seq,
 * tx_tsc} followed by a padding pattern derived from the sequence number,
 * up to the requested frame size. The sink keeps, per flow, a sliding
 * bitmap of the sequence numbers seen, so it can tell unique packets from
 * duplicates and count reordering; loss is sent - unique once the source
 * has stopped and the sink has drained.
 *
 * Steering: mtrf_flow_steer() picks the UDP source port so that the port's
 * RSS (Toeplitz over the host-order IPv4/UDP 4-tuple, as rte_softrss()
 * computes it, then reta[hash % reta_size]) delivers the flow to a chosen
 * receive queue.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "mana_dpdk_compat.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTRF_MAGIC		0x4652544du	/* bytes 'M' 'T' 'R' 'F' in memory */
/* Ether + IPv4 (no options) + UDP. */
#define MTRF_L2_LEN		((uint32_t)sizeof(struct rte_ether_hdr))
#define MTRF_STAMP_OFF		(14u + 20u + 8u)
/* Smallest frame: headers plus the stamp (a request below it is raised). */
#define MTRF_MIN_FRAME		(MTRF_STAMP_OFF + (uint32_t)sizeof(struct mtrf_stamp))
#define MTRF_MAX_FRAME		9000u
#define MTRF_MAX_SEGS		32u
#define MTRF_DEFAULT_WINDOW	(1u << 20)

/* The payload header every packet carries (little endian on the wire). */
struct __rte_packed_begin mtrf_stamp {
	uint32_t magic;
	uint16_t proc_id;
	uint16_t flow_id;
	uint64_t seq;
	uint64_t tx_tsc;
} __rte_packed_end;

/* A flow; addresses and ports in host byte order. */
struct mtrf_flow {
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t sport;
	uint16_t dport;
	uint16_t proc_id;
	uint16_t flow_id;
	struct rte_ether_addr src_mac;
	struct rte_ether_addr dst_mac;
};

/* Frame length actually used for a requested size. */
static inline uint32_t
mtrf_frame_len(uint32_t size)
{
	return RTE_MAX(size, (uint32_t)MTRF_MIN_FRAME);
}

/*
 * Write a whole frame of @len bytes (>= MTRF_MIN_FRAME) into @buf: headers,
 * stamp, padding. The IPv4 header checksum is computed; UDP checksum is 0.
 */
void mtrf_fill(uint8_t *buf, uint32_t len, const struct mtrf_flow *flow, uint64_t seq,
	       uint64_t tsc);

/*
 * Build one packet from @mp: a frame of mtrf_frame_len(@size) bytes split
 * into @nb_segs chained segments of (nearly) equal length. NULL when the
 * pool is empty or the arguments are impossible (rte_errno set).
 */
struct rte_mbuf *mtrf_build(struct rte_mempool *mp, const struct mtrf_flow *flow, uint64_t seq,
			    uint64_t tsc, uint32_t size, uint16_t nb_segs);

/* What a received packet says about itself. */
enum mtrf_parse_result {
	MTRF_PARSE_OK = 0,
	MTRF_PARSE_NOT_IP,	/* not Ether/IPv4/UDP or truncated */
	MTRF_PARSE_BAD_MAGIC,	/* no MTRF stamp */
	MTRF_PARSE_CORRUPT,	/* stamp fine but IP checksum, lengths or padding wrong */
};

/*
 * Parse @m (any number of segments). On MTRF_PARSE_OK fills @stamp and
 * (when non-NULL) @flow with the tuple seen. @verify checks the IPv4
 * checksum, the lengths and the padding pattern.
 */
enum mtrf_parse_result mtrf_parse(const struct rte_mbuf *m, struct mtrf_stamp *stamp,
				  struct mtrf_flow *flow, bool verify);

/* ------------------------------------------------------------------ */
/* RSS steering.                                                        */

#define MTRF_RSS_KEY_MAX	64
#define MTRF_RETA_MAX		512

struct mtrf_rss {
	uint64_t rss_hf;
	uint8_t key[MTRF_RSS_KEY_MAX];
	uint8_t key_len;
	uint16_t reta_size;
	uint16_t reta[MTRF_RETA_MAX];
};

/* Read the key, hash types and RETA of @port_id. 0 or negative errno. */
int mtrf_rss_query(uint16_t port_id, struct mtrf_rss *rss);

/* Round-robin RETA over @nb_queues with @key (for tests without a port). */
void mtrf_rss_init(struct mtrf_rss *rss, const uint8_t *key, uint8_t key_len, uint64_t rss_hf,
		   uint16_t reta_size, uint16_t nb_queues);

/* The hash and receive queue the port's RSS gives @flow. */
uint32_t mtrf_rss_hash(const struct mtrf_rss *rss, const struct mtrf_flow *flow);
uint16_t mtrf_rss_queue(const struct mtrf_rss *rss, const struct mtrf_flow *flow);

/*
 * Choose flow->sport, trying from @sport_first upwards (wrapping within
 * [1024, 65535]), so that the flow lands on @queue. 0, or -ENOENT when no
 * source port does (e.g. RSS does not hash UDP ports).
 */
int mtrf_flow_steer(const struct mtrf_rss *rss, struct mtrf_flow *flow, uint16_t queue,
		    uint16_t sport_first);

/* ------------------------------------------------------------------ */
/* Sink.                                                                */

struct mtrf_flow_counts {
	uint64_t received;	/* every packet of the flow */
	uint64_t unique;	/* first arrival of a sequence number */
	uint64_t dup;		/* sequence number already seen */
	uint64_t reordered;	/* arrived with seq < highest seen */
	uint64_t too_old;	/* below the window: also counted as received and reordered */
	uint64_t wrong_queue;	/* arrived on another queue than expected */
	uint64_t corrupt;	/* stamp fine, content wrong (verify mode) */
	uint64_t highest;	/* highest seq seen (valid when unique > 0) */
	uint64_t lat_sum;	/* sum of rx_tsc - tx_tsc over unique packets */
	uint64_t lat_max;
};

struct mtrf_sink;

/*
 * A sink for up to @max_flows flows with a window of @window sequence
 * numbers per flow (a power of two; 0: MTRF_DEFAULT_WINDOW). @verify: check
 * every packet's content (mtrf_parse).
 */
struct mtrf_sink *mtrf_sink_create(uint32_t max_flows, uint32_t window, bool verify);
void mtrf_sink_free(struct mtrf_sink *sink);

/*
 * Declare the flow (proc_id, flow_id); @queue is where it must arrive
 * (UINT16_MAX: anywhere). Returns its index or a negative errno.
 */
int mtrf_sink_add_flow(struct mtrf_sink *sink, uint16_t proc_id, uint16_t flow_id,
		       uint16_t queue);

/* Account one received packet that arrived on @queue at @rx_tsc. */
enum mtrf_parse_result mtrf_sink_rx(struct mtrf_sink *sink, const struct rte_mbuf *m,
				    uint16_t queue, uint64_t rx_tsc);

/* Account a stamp directly (the core of mtrf_sink_rx; -ENOENT for an unknown flow). */
int mtrf_sink_account(struct mtrf_sink *sink, uint16_t proc_id, uint16_t flow_id, uint64_t seq,
		      uint16_t queue, uint64_t lat);

/* Index of (proc_id, flow_id) or -ENOENT. */
int mtrf_sink_find(const struct mtrf_sink *sink, uint16_t proc_id, uint16_t flow_id);
const struct mtrf_flow_counts *mtrf_sink_counts(const struct mtrf_sink *sink, int idx);

struct mtrf_sink_totals {
	uint64_t bad;		/* not_ip + bad_magic + unknown_flow */
	uint64_t not_ip;
	uint64_t bad_magic;
	uint64_t unknown_flow;
	uint64_t corrupt;
};

void mtrf_sink_totals(const struct mtrf_sink *sink, struct mtrf_sink_totals *t);

#ifdef __cplusplus
}
#endif

#endif /* MANA_TRAFFIC_H */
