/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/* The traffic source: frames, multi-segment packets, parsing and RSS steering. */

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_thash.h>
#include <rte_udp.h>

#include "mana_traffic.h"

#define MTRF_IP_OFF	MTRF_L2_LEN
#define MTRF_UDP_OFF	(MTRF_L2_LEN + (uint32_t)sizeof(struct rte_ipv4_hdr))

static_assert(sizeof(struct mtrf_stamp) == 24, "stamp layout");
static_assert(MTRF_STAMP_OFF == MTRF_UDP_OFF + sizeof(struct rte_udp_hdr), "header layout");

/* Padding byte at frame offset @off of packet @seq. */
static inline uint8_t
mtrf_pad_byte(uint64_t seq, uint32_t off)
{
	return (uint8_t)(seq * 7u + off);
}

void
mtrf_fill(uint8_t *buf, uint32_t len, const struct mtrf_flow *flow, uint64_t seq, uint64_t tsc)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + MTRF_IP_OFF);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(buf + MTRF_UDP_OFF);
	struct mtrf_stamp stamp;
	uint32_t off;

	rte_ether_addr_copy(&flow->dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&flow->src_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - MTRF_IP_OFF));
	ip->packet_id = rte_cpu_to_be_16((uint16_t)seq);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->hdr_checksum = 0;
	ip->src_addr = rte_cpu_to_be_32(flow->src_ip);
	ip->dst_addr = rte_cpu_to_be_32(flow->dst_ip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);

	udp->src_port = rte_cpu_to_be_16(flow->sport);
	udp->dst_port = rte_cpu_to_be_16(flow->dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - MTRF_UDP_OFF));
	udp->dgram_cksum = 0;

	stamp.magic = rte_cpu_to_le_32(MTRF_MAGIC);
	stamp.proc_id = rte_cpu_to_le_16(flow->proc_id);
	stamp.flow_id = rte_cpu_to_le_16(flow->flow_id);
	stamp.seq = rte_cpu_to_le_64(seq);
	stamp.tx_tsc = rte_cpu_to_le_64(tsc);
	memcpy(buf + MTRF_STAMP_OFF, &stamp, sizeof(stamp));

	for (off = MTRF_MIN_FRAME; off < len; off++)
		buf[off] = mtrf_pad_byte(seq, off);
}

/* The offload metadata of a built packet, on its first segment. */
static inline void
mtrf_set_meta(struct rte_mbuf *m)
{
	m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP;
	m->l2_len = MTRF_L2_LEN;
	m->l3_len = sizeof(struct rte_ipv4_hdr);
}

/* Split @len bytes of @frame over @nb_segs mbufs from @mp. */
static struct rte_mbuf *
mtrf_build_segs(struct rte_mempool *mp, const uint8_t *frame, uint32_t len, uint16_t nb_segs)
{
	struct rte_mbuf *segs[MTRF_MAX_SEGS];
	uint32_t off = 0, chunk, rem;
	uint16_t i;

	if (nb_segs == 0 || nb_segs > MTRF_MAX_SEGS || len < nb_segs || len > UINT16_MAX * 2u) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (rte_pktmbuf_alloc_bulk(mp, segs, nb_segs) != 0) {
		rte_errno = ENOBUFS;
		return NULL;
	}
	chunk = len / nb_segs;
	rem = len % nb_segs;
	for (i = 0; i < nb_segs; i++) {
		uint32_t n = chunk + (i < rem ? 1 : 0);

		if (n > rte_pktmbuf_tailroom(segs[i])) {
			rte_pktmbuf_free_bulk(segs, nb_segs);
			rte_errno = EMSGSIZE;
			return NULL;
		}
		memcpy(rte_pktmbuf_mtod(segs[i], uint8_t *), frame + off, n);
		segs[i]->data_len = (uint16_t)n;
		segs[i]->pkt_len = n;
		off += n;
	}
	for (i = 1; i < nb_segs; i++) {
		if (rte_pktmbuf_chain(segs[0], segs[i]) != 0) {
			/* segs[0] now heads the ones chained so far. */
			rte_pktmbuf_free(segs[0]);
			rte_pktmbuf_free_bulk(&segs[i], nb_segs - i);
			rte_errno = EOVERFLOW;
			return NULL;
		}
	}
	mtrf_set_meta(segs[0]);
	return segs[0];
}

struct rte_mbuf *
mtrf_build(struct rte_mempool *mp, const struct mtrf_flow *flow, uint64_t seq, uint64_t tsc,
	   uint32_t size, uint16_t nb_segs)
{
	uint32_t len = mtrf_frame_len(size);
	uint8_t frame[MTRF_MAX_FRAME];
	struct rte_mbuf *m;

	if (len > MTRF_MAX_FRAME || nb_segs == 0 || nb_segs > MTRF_MAX_SEGS) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (nb_segs > 1) {
		mtrf_fill(frame, len, flow, seq, tsc);
		return mtrf_build_segs(mp, frame, len, nb_segs);
	}
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL) {
		rte_errno = ENOBUFS;
		return NULL;
	}
	if (rte_pktmbuf_tailroom(m) < len) {
		rte_pktmbuf_free(m);
		rte_errno = EMSGSIZE;
		return NULL;
	}
	mtrf_fill(rte_pktmbuf_mtod(m, uint8_t *), len, flow, seq, tsc);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	mtrf_set_meta(m);
	return m;
}

/* Check the padding (after headers and stamp) of every segment of @m against @seq. */
static bool
mtrf_padding_ok(const struct rte_mbuf *m, uint64_t seq)
{
	uint32_t off = 0;	/* frame offset of p[i] */

	for (; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t i = 0;

		if (off < MTRF_MIN_FRAME) {
			i = RTE_MIN((uint32_t)m->data_len, MTRF_MIN_FRAME - off);
			off += i;
		}
		for (; i < m->data_len; i++, off++)
			if (p[i] != mtrf_pad_byte(seq, off))
				return false;
	}
	return true;
}

enum mtrf_parse_result
mtrf_parse(const struct rte_mbuf *m, struct mtrf_stamp *stamp, struct mtrf_flow *flow,
	   bool verify)
{
	uint8_t copy[MTRF_MIN_FRAME];
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	const uint8_t *hdr;
	struct mtrf_stamp st;

	if (m->pkt_len < MTRF_MIN_FRAME)
		return MTRF_PARSE_NOT_IP;
	hdr = rte_pktmbuf_read(m, 0, MTRF_MIN_FRAME, copy);
	if (hdr == NULL)
		return MTRF_PARSE_NOT_IP;
	eth = (const struct rte_ether_hdr *)hdr;
	ip = (const struct rte_ipv4_hdr *)(hdr + MTRF_IP_OFF);
	udp = (const struct rte_udp_hdr *)(hdr + MTRF_UDP_OFF);
	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != IPPROTO_UDP)
		return MTRF_PARSE_NOT_IP;
	memcpy(&st, hdr + MTRF_STAMP_OFF, sizeof(st));
	if (rte_le_to_cpu_32(st.magic) != MTRF_MAGIC)
		return MTRF_PARSE_BAD_MAGIC;
	stamp->magic = MTRF_MAGIC;
	stamp->proc_id = rte_le_to_cpu_16(st.proc_id);
	stamp->flow_id = rte_le_to_cpu_16(st.flow_id);
	stamp->seq = rte_le_to_cpu_64(st.seq);
	stamp->tx_tsc = rte_le_to_cpu_64(st.tx_tsc);
	if (flow != NULL) {
		memset(flow, 0, sizeof(*flow));
		flow->src_ip = rte_be_to_cpu_32(ip->src_addr);
		flow->dst_ip = rte_be_to_cpu_32(ip->dst_addr);
		flow->sport = rte_be_to_cpu_16(udp->src_port);
		flow->dport = rte_be_to_cpu_16(udp->dst_port);
		flow->proc_id = stamp->proc_id;
		flow->flow_id = stamp->flow_id;
		rte_ether_addr_copy(&eth->src_addr, &flow->src_mac);
		rte_ether_addr_copy(&eth->dst_addr, &flow->dst_mac);
	}
	if (verify) {
		struct rte_ipv4_hdr ip_copy = *ip;

		ip_copy.hdr_checksum = 0;
		if (rte_ipv4_cksum(&ip_copy) != ip->hdr_checksum ||
		    rte_be_to_cpu_16(ip->total_length) != m->pkt_len - MTRF_IP_OFF ||
		    rte_be_to_cpu_16(udp->dgram_len) != m->pkt_len - MTRF_UDP_OFF ||
		    rte_be_to_cpu_16(ip->packet_id) != (uint16_t)stamp->seq ||
		    !mtrf_padding_ok(m, stamp->seq))
			return MTRF_PARSE_CORRUPT;
	}
	return MTRF_PARSE_OK;
}

/* ------------------------------------------------------------------ */
/* RSS.                                                                 */

void
mtrf_rss_init(struct mtrf_rss *rss, const uint8_t *key, uint8_t key_len, uint64_t rss_hf,
	      uint16_t reta_size, uint16_t nb_queues)
{
	uint16_t i;

	memset(rss, 0, sizeof(*rss));
	rss->rss_hf = rss_hf;
	rss->key_len = (uint8_t)RTE_MIN(key_len, (uint8_t)MTRF_RSS_KEY_MAX);
	memcpy(rss->key, key, rss->key_len);
	rss->reta_size = RTE_MIN(reta_size, (uint16_t)MTRF_RETA_MAX);
	for (i = 0; i < rss->reta_size; i++)
		rss->reta[i] = nb_queues != 0 ? i % nb_queues : 0;
}

int
mtrf_rss_query(uint16_t port_id, struct mtrf_rss *rss)
{
	struct rte_eth_rss_reta_entry64 reta[MTRF_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_rss_conf conf;
	struct rte_eth_dev_info info;
	uint16_t i;
	int ret;

	memset(rss, 0, sizeof(*rss));
	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret != 0)
		return ret;
	if (info.reta_size == 0 || info.reta_size > MTRF_RETA_MAX ||
	    info.hash_key_size > MTRF_RSS_KEY_MAX)
		return -ENOTSUP;
	memset(&conf, 0, sizeof(conf));
	conf.rss_key = rss->key;
	conf.rss_key_len = info.hash_key_size != 0 ? info.hash_key_size : MTRF_RSS_KEY_MAX;
	ret = rte_eth_dev_rss_hash_conf_get(port_id, &conf);
	if (ret != 0)
		return ret;
	rss->rss_hf = conf.rss_hf;
	rss->key_len = conf.rss_key_len;
	memset(reta, 0, sizeof(reta));
	/* Every entry, the last group possibly partial. */
	for (i = 0; i * RTE_ETH_RETA_GROUP_SIZE < info.reta_size; i++) {
		uint16_t left = (uint16_t)(info.reta_size - i * RTE_ETH_RETA_GROUP_SIZE);
		reta[i].mask = left >= RTE_ETH_RETA_GROUP_SIZE ? UINT64_MAX :
			       RTE_LEN2MASK(left, uint64_t);
	}
	ret = rte_eth_dev_rss_reta_query(port_id, reta, info.reta_size);
	if (ret != 0)
		return ret;
	rss->reta_size = info.reta_size;
	for (i = 0; i < info.reta_size; i++)
		rss->reta[i] = reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	return 0;
}

uint32_t
mtrf_rss_hash(const struct mtrf_rss *rss, const struct mtrf_flow *flow)
{
	struct rte_ipv4_tuple tuple;
	uint32_t len;

	if (rss->rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_UDP)
		len = RTE_THASH_V4_L4_LEN;
	else if (rss->rss_hf & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 |
				RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_OTHER))
		len = RTE_THASH_V4_L3_LEN;
	else
		return 0;
	memset(&tuple, 0, sizeof(tuple));
	tuple.src_addr = flow->src_ip;
	tuple.dst_addr = flow->dst_ip;
	tuple.sport = flow->sport;
	tuple.dport = flow->dport;
	return rte_softrss((uint32_t *)&tuple, len, rss->key);
}

uint16_t
mtrf_rss_queue(const struct mtrf_rss *rss, const struct mtrf_flow *flow)
{
	if (rss->reta_size == 0)
		return 0;
	return rss->reta[mtrf_rss_hash(rss, flow) % rss->reta_size];
}

int
mtrf_flow_steer(const struct mtrf_rss *rss, struct mtrf_flow *flow, uint16_t queue,
		uint16_t sport_first)
{
	uint32_t span = 65536u - 1024u;
	uint32_t i, start;

	if (!(rss->rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_UDP)) {
		/* The source port does not matter; either it lands there or not. */
		return mtrf_rss_queue(rss, flow) == queue ? 0 : -ENOENT;
	}
	start = sport_first < 1024 ? 0 : sport_first - 1024u;
	for (i = 0; i < span; i++) {
		flow->sport = (uint16_t)(1024u + (start + i) % span);
		if (mtrf_rss_queue(rss, flow) == queue)
			return 0;
	}
	return -ENOENT;
}
