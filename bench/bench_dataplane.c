/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Packets per second per queue through the PMD on the software device, in
 * loopback: the main lcore transmits bursts of 64-byte UDP frames on every
 * queue and receives them back (RSS sends each queue's flow to itself);
 * the device engine runs on the other core. Reports received Mpps per queue.
 *
 *   build/bench/mana-bench-dataplane -l 0 --no-pci --vdev=net_mana_sim0 -- \
 *       [-q queues] [-t seconds]
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_thash.h>
#include <rte_udp.h>

#define BURST	32
#define MAX_Q	16
#define FRAME	64

static uint8_t rss_key[40];
static struct rte_eth_rss_reta_entry64 reta[64 / RTE_ETH_RETA_GROUP_SIZE];

/* A UDP source port whose RSS hash lands on @queue. */
static uint16_t
sport_for(uint16_t queue)
{
	uint32_t sport;

	for (sport = 1024; sport < 65535; sport++) {
		struct rte_ipv4_tuple t = {
			.src_addr = RTE_IPV4(10, 0, 0, 1), .dst_addr = RTE_IPV4(10, 0, 0, 2),
			.sport = (uint16_t)sport, .dport = 9,
		};
		uint32_t h = rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, rss_key);

		if (reta[0].reta[h % 64] == queue)
			return (uint16_t)sport;
	}
	rte_exit(EXIT_FAILURE, "no flow for queue %u\n", queue);
}

static void
fill(struct rte_mbuf *m, uint16_t sport)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	m->data_len = m->pkt_len = FRAME;
	memset(eth, 0, FRAME);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(FRAME - sizeof(*eth));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 1));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 2));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16(FRAME - sizeof(*eth) - sizeof(*ip));
}

int
main(int argc, char **argv)
{
	struct rte_eth_conf conf = {
		.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS,
		.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP,
	};
	struct rte_eth_rss_conf rss = { .rss_key = rss_key, .rss_key_len = sizeof(rss_key) };
	uint64_t rx_count[MAX_Q] = { 0 }, t_end, t_start;
	uint16_t nq = 1, q, sport[MAX_Q];
	struct rte_mbuf *pkts[BURST];
	struct rte_mempool *mp;
	double secs = 3.0, total = 0;
	int ret, opt, i;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "EAL init failed\n");
	argc -= ret;
	argv += ret;
	while ((opt = getopt(argc, argv, "q:t:")) != -1) {
		if (opt == 'q')
			{
			int want = atoi(optarg);

			nq = (uint16_t)(want < 1 ? 1 : want > MAX_Q ? MAX_Q : want);
		}
		else if (opt == 't')
			secs = atof(optarg);
	}

	mp = rte_pktmbuf_pool_create("dp_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL || rte_eth_dev_configure(0, nq, nq, &conf) != 0)
		rte_exit(EXIT_FAILURE, "port setup failed (is --vdev=net_mana_sim0 given?)\n");
	for (q = 0; q < nq; q++)
		if (rte_eth_rx_queue_setup(0, q, 1024, 0, NULL, mp) != 0 ||
		    rte_eth_tx_queue_setup(0, q, 1024, 0, NULL) != 0)
			rte_exit(EXIT_FAILURE, "queue setup failed\n");
	if (rte_eth_dev_start(0) != 0 || rte_eth_dev_rss_hash_conf_get(0, &rss) != 0)
		rte_exit(EXIT_FAILURE, "start failed\n");
	reta[0].mask = UINT64_MAX;
	if (rte_eth_dev_rss_reta_query(0, reta, 64) != 0)
		rte_exit(EXIT_FAILURE, "reta query failed\n");
	for (q = 0; q < nq; q++)
		sport[q] = sport_for(q);

	t_start = rte_rdtsc();
	t_end = t_start + (uint64_t)(secs * rte_get_tsc_hz());
	while (rte_rdtsc() < t_end) {
		for (q = 0; q < nq; q++) {
			uint16_t n, sent;

			if (rte_pktmbuf_alloc_bulk(mp, pkts, BURST) == 0) {
				for (i = 0; i < BURST; i++)
					fill(pkts[i], sport[q]);
				sent = rte_eth_tx_burst(0, q, pkts, BURST);
				if (sent < BURST)
					rte_pktmbuf_free_bulk(pkts + sent, BURST - sent);
			}
			n = rte_eth_rx_burst(0, q, pkts, BURST);
			rx_count[q] += n;
			rte_pktmbuf_free_bulk(pkts, n);
		}
	}
	secs = (double)(rte_rdtsc() - t_start) / rte_get_tsc_hz();

	printf("software data path, %u queue(s), %d-byte frames, %.1f s:\n", nq, FRAME, secs);
	for (q = 0; q < nq; q++) {
		printf("  queue %u: %.2f Mpps received\n", q, rx_count[q] / secs / 1e6);
		total += rx_count[q] / secs / 1e6;
	}
	printf("{\"bench\":\"dataplane\",\"queues\":%u,\"mpps_per_queue\":%.3f,\"mpps_total\":%.3f}\n",
	       nq, total / nq, total);
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
