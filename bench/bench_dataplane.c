/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Packets per second per queue through the PMD on the software MANA VF, in
 * loopback: the main lcore transmits bursts of 66-byte UDP frames (the
 * smallest that carry the traffic stamp, MTRF_MIN_FRAME) on every queue
 * and receives them back (RSS sends each queue's flow to itself);
 * the device engine runs on the other core. Reports received Mpps per queue.
 *
 *   build/bench/mana-bench-dataplane -l 0 -a <pci>,mac=<mac> -- \
 *       [-q queues] [-t seconds]
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "bench_common.h"

#define BURST	32
#define MAX_Q	16
#define FRAME	MTRF_MIN_FRAME

int
main(int argc, char **argv)
{
	struct rte_eth_conf conf = {
		.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS,
		.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP,
	};
	uint64_t rx_count[MAX_Q] = { 0 }, t_end, t_start, seq = 0;
	struct mtrf_flow flows[MAX_Q];
	struct mtrf_rss rss;
	uint16_t nq = 1, q, ring;
	struct rte_eth_dev_info info;
	struct rte_mbuf *pkts[BURST];
	struct rte_mempool *mp;
	double secs = 3.0, total = 0;
	int ret, opt;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "EAL init failed\n");
	argc -= ret;
	argv += ret;
	while ((opt = getopt(argc, argv, "q:t:")) != -1) {
		if (opt == 'q') {
			int want = atoi(optarg);

			nq = (uint16_t)(want < 1 ? 1 : want > MAX_Q ? MAX_Q : want);
		} else if (opt == 't') {
			secs = atof(optarg);
		}
	}

	/* 1024 descriptors, or the most the device takes (256 with rdma-core < 49). */
	if (rte_eth_dev_info_get(0, &info) != 0)
		rte_exit(EXIT_FAILURE, "no port (is -a <pci>,mac=<mac> given?)\n");
	ring = RTE_MIN(info.rx_desc_lim.nb_max, info.tx_desc_lim.nb_max);
	ring = RTE_MIN(ring, 1024);
	mp = rte_pktmbuf_pool_create("dp_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL || rte_eth_dev_configure(0, nq, nq, &conf) != 0)
		rte_exit(EXIT_FAILURE, "port setup failed (is -a <pci>,mac=<mac> given?)\n");
	for (q = 0; q < nq; q++)
		if (rte_eth_rx_queue_setup(0, q, ring, 0, NULL, mp) != 0 ||
		    rte_eth_tx_queue_setup(0, q, ring, 0, NULL) != 0)
			rte_exit(EXIT_FAILURE, "queue setup failed\n");
	if (rte_eth_dev_start(0) != 0 || mtrf_rss_query(0, &rss) != 0)
		rte_exit(EXIT_FAILURE, "start failed\n");
	/* One UDP flow per queue, steered by the port's RSS back to that queue. */
	for (q = 0; q < nq; q++) {
		flows[q] = (struct mtrf_flow){
			.src_ip = RTE_IPV4(10, 0, 0, 1), .dst_ip = RTE_IPV4(10, 0, 0, 2),
			.dport = 9, .flow_id = q,
		};
		if (mtrf_flow_steer(&rss, &flows[q], q, 1024) != 0)
			rte_exit(EXIT_FAILURE, "no flow for queue %u\n", q);
	}

	t_start = rte_rdtsc();
	t_end = t_start + (uint64_t)(secs * rte_get_tsc_hz());
	while (rte_rdtsc() < t_end) {
		for (q = 0; q < nq; q++) {
			uint16_t n, sent;

			if (bench_build_burst(mp, pkts, BURST, &flows[q], FRAME, &seq) == 0) {
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
	printf("{\"bench\":\"dataplane\",\"queues\":%u,\"mpps_per_queue\":%.3f,"
	       "\"mpps_total\":%.3f}\n",
	       nq, total / nq, total);
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
