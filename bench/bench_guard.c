/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * What the reset support costs one burst. The PMD's own Rx and Tx burst
 * bodies (mana_rx_dp.h, mana_tx_dp.h: the code every process runs) are
 * wrapped in four guards and measured side by side in one run, on a real
 * port of the software MANA VF:
 *
 *   none    no guard at all (the baseline)
 *   ours    net_mana_mpr's guarded burst itself (mana_rx_burst_guarded and
 *           mana_tx_burst_guarded): plain stores of the queue's guard word,
 *           one load and compare of the state word (mana_guard.h)
 *   cas     upstream-style: compare-and-swap a per-queue in-use flag on
 *           entry, clear it on exit, check the state in between
 *   rcu     rte_rcu_qsbr online/offline around the burst (a full fence on
 *           every online), state checked in between
 *   mrx2    none, plus a second copy of the once-per-burst memory
 *           registration check (mana_mr_cache_sync: a load and compare of
 *           mr_gen) before the body: its difference to none is what that
 *           check costs a burst, since every variant's body has one already
 *
 * A sixth variant, "old", is net_mana_mpr's guard around the Tx path as it
 * was before CQE suppression (bench_tx_legacy.h: a CQE per WQE, mbufs freed
 * one by one): Tx burst cycles per packet of the old and today's path, and
 * the CQEs per packet the device wrote for each (the software VF's tx_cqes
 * counter), side by side.
 *
 * Workloads: Rx bursts on an idle queue (the fixed cost of a burst, where a
 * guard weighs most), and loopback Tx + Rx bursts of 32 packets. Variants
 * are interleaved round by round (rotating their order) so drift and the
 * device engine's activity hit all of them alike; each figure is the median
 * over rounds of the mean TSC cycles per burst call, and ratios are to the
 * unguarded baseline measured in the same rounds.
 *
 *   build/bench/mana-bench-guard -l 0 -a <pci>,mac=<mac> -- \
 *       [-r rounds (max 64)] [-i idle Rx calls per round]
 */

#include <dlfcn.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "mana_guard.h"
#include "mana_rx_dp.h"
#include "mana_tx_dp.h"
#include "bench_tx_legacy.h"
#include "sim/mana_sim.h"

#define BURST		32
#define NB_GUARDS	5	/* the variants of the guard table */
#define NB_VARIANTS	6

enum variant { V_NONE, V_OURS, V_CAS, V_RCU, V_MRX2, V_OLD };

static const char *const variant_names[NB_VARIANTS] = {
	"none", "ours", "cas", "rcu", "mrx2", "old"
};

static struct rte_rcu_qsbr *qsbr;
static RTE_ATOMIC(uint32_t) rxq_in_use, txq_in_use;	/* the cas variant's per-queue flags */

static __rte_always_inline bool
bench_enter(enum variant v, RTE_ATOMIC(uint32_t) *in_use, const struct mana_priv *priv,
	    const struct mana_fast *fast)
{
	uint32_t expected = 0;

	switch (v) {
	case V_NONE:
	case V_OURS:	/* not used: bench_rx/tx call the PMD's guarded burst */
	case V_MRX2:	/* the extra check is in BENCH_BURST: it needs the queue */
	case V_OLD:	/* not used: rx_ours and tx_old */
		return true;
	case V_CAS:
		if (!rte_atomic_compare_exchange_strong_explicit(in_use, &expected, 1,
						 rte_memory_order_acquire,
						 rte_memory_order_relaxed))
			return false;
		if (unlikely(mana_state_load(priv) != fast->burst_word)) {
			rte_atomic_store_explicit(in_use, 0, rte_memory_order_release);
			return false;
		}
		return true;
	case V_RCU:
		rte_rcu_qsbr_thread_online(qsbr, 0);
		if (unlikely(mana_state_load(priv) != fast->burst_word)) {
			rte_rcu_qsbr_thread_offline(qsbr, 0);
			return false;
		}
		return true;
	}
	return false;
}

static __rte_always_inline void
bench_exit(enum variant v, RTE_ATOMIC(uint32_t) *in_use)
{
	switch (v) {
	case V_NONE:
	case V_OURS:
	case V_MRX2:
	case V_OLD:
		break;
	case V_CAS:
		rte_atomic_store_explicit(in_use, 0, rte_memory_order_release);
		break;
	case V_RCU:
		rte_rcu_qsbr_thread_offline(qsbr, 0);
		break;
	}
}

/*
 * bench_rx() and bench_tx(): the PMD's @dir burst body in guard @v; the
 * ours variant is the PMD's guarded burst itself.
 */
#define BENCH_BURST(dir)								\
static __rte_always_inline uint16_t							\
bench_##dir(enum variant v, struct mana_##dir##q *q, struct rte_mbuf **pkts, uint16_t n)	\
{											\
	const struct mana_fast *fast;							\
	uint16_t nb;									\
											\
	if (v == V_OURS)								\
		return mana_##dir##_burst_guarded(q, pkts, n, false);			\
	fast = &mana_fast[q->port_id];							\
	if (!bench_enter(v, &dir##q_in_use, q->priv, fast))				\
		return 0;								\
	if (v == V_MRX2)								\
		mana_mr_cache_sync(q->priv, &q->mr_cache);				\
	nb = mana_##dir##_burst_body(q, fast, pkts, n);					\
	bench_exit(v, &dir##q_in_use);							\
	return nb;									\
}

BENCH_BURST(rx)
BENCH_BURST(tx)

/* Per-variant specialisations, so each is compiled like a real burst function. */
#define BENCH_VARIANT(name, v)							\
static __rte_noinline uint16_t							\
rx_##name(struct mana_rxq *q, struct rte_mbuf **p, uint16_t n) { return bench_rx(v, q, p, n); } \
static __rte_noinline uint16_t							\
tx_##name(struct mana_txq *q, struct rte_mbuf **p, uint16_t n) { return bench_tx(v, q, p, n); }

BENCH_VARIANT(none, V_NONE)
BENCH_VARIANT(ours, V_OURS)
BENCH_VARIANT(cas, V_CAS)
BENCH_VARIANT(rcu, V_RCU)
BENCH_VARIANT(mrx2, V_MRX2)

/* The old Tx path in the PMD's guard (as mana_tx_burst_guarded, unfenced). */
static __rte_noinline uint16_t
tx_old(struct mana_txq *txq, struct rte_mbuf **pkts, uint16_t n)
{
	const struct mana_fast *fast = &mana_fast[txq->port_id];
	uint16_t nb;

	if (!mana_burst_enter(&txq->busy, txq->priv, fast, false))
		return 0;
	nb = legacy_tx_burst_body(txq, fast, pkts, n);
	mana_burst_exit(&txq->busy);
	return nb;
}

typedef uint16_t (*rx_fn)(struct mana_rxq *, struct rte_mbuf **, uint16_t);
typedef uint16_t (*tx_fn)(struct mana_txq *, struct rte_mbuf **, uint16_t);

static const rx_fn rx_fns[NB_VARIANTS] = { rx_none, rx_ours, rx_cas, rx_rcu, rx_mrx2, rx_ours };
static const tx_fn tx_fns[NB_VARIANTS] = { tx_none, tx_ours, tx_cas, tx_rcu, tx_mrx2, tx_old };

struct sample {
	double rx_idle;
	double tx;
	double tx_pkt;		/* Tx cycles per packet sent */
	double rx;
};

/* The software VF's counters, when the device is one (NULL on hardware). */
static mana_sim_get_stats_t sim_get_stats;
static char sim_bdf[RTE_DEV_NAME_MAX_LEN];
static uint64_t dev_cqes[NB_VARIANTS], dev_pkts[NB_VARIANTS];

static void
dev_counters(uint64_t *cqes, uint64_t *pkts)
{
	struct mana_sim_stats st;

	*cqes = 0;
	*pkts = 0;
	if (sim_get_stats == NULL || sim_get_stats(sim_bdf, &st) != 0)
		return;
	*cqes = st.tx_cqes;
	*pkts = st.tx_packets;
}

/*
 * Until every WQE @v posted is completed, by @v's own completion path (the
 * old one cannot retire WQEs that asked for no CQE): the next variant
 * starts on an empty queue.
 */
static void
tx_drain(unsigned int v, struct mana_txq *txq)
{
	uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz();

	while (txq->desc_tail != txq->desc_head) {
		if (rte_rdtsc() > deadline)
			rte_exit(EXIT_FAILURE, "Tx completions missing (%s)\n", variant_names[v]);
		tx_fns[v](txq, NULL, 0);
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
build_packets(struct rte_mempool *mp, struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int i;

	if (rte_pktmbuf_alloc_bulk(mp, pkts, n) != 0)
		rte_exit(EXIT_FAILURE, "out of mbufs\n");
	for (i = 0; i < n; i++) {
		char *p = rte_pktmbuf_append(pkts[i], 64);

		memset(p, 0, 64);
		p[12] = 0x08;	/* IPv4 ethertype, payload ignored */
	}
}

/* One round of one variant: mean cycles per call for each workload. */
static struct sample
run_round(unsigned int v, struct mana_rxq *rxq, struct mana_txq *txq, struct rte_mempool *mp,
	  unsigned int iters)
{
	struct rte_mbuf *pkts[BURST], *rx[BURST];
	uint64_t t_idle = 0, t_tx = 0, t_rx = 0, n_rx_calls = 0, n_tx_calls = 0, n_tx_pkts = 0;
	uint64_t cqes0, pkts0, cqes1, pkts1;
	struct sample s;
	unsigned int i;

	/* Idle Rx: nothing is in flight. */
	for (i = 0; i < iters; i++) {
		uint64_t t0 = rte_rdtsc_precise();
		uint16_t n = rx_fns[v](rxq, rx, BURST);

		t_idle += rte_rdtsc_precise() - t0;
		if (n != 0)
			rte_pktmbuf_free_bulk(rx, n);
	}
	/* Loopback: send 32, receive them back. */
	dev_counters(&cqes0, &pkts0);
	for (i = 0; i < iters / 8; i++) {
		uint16_t sent = 0, got = 0;
		uint64_t t0, deadline;

		build_packets(mp, pkts, BURST);
		while (sent < BURST) {
			t0 = rte_rdtsc_precise();
			sent += tx_fns[v](txq, pkts + sent, BURST - sent);
			t_tx += rte_rdtsc_precise() - t0;
			n_tx_calls++;
		}
		deadline = rte_rdtsc() + rte_get_tsc_hz();
		while (got < BURST && rte_rdtsc() < deadline) {
			uint16_t n;

			t0 = rte_rdtsc_precise();
			n = rx_fns[v](rxq, rx, BURST - got);
			if (n != 0) {
				t_rx += rte_rdtsc_precise() - t0;
				n_rx_calls++;
				rte_pktmbuf_free_bulk(rx, n);
				got += n;
			}
		}
		if (got < BURST)
			rte_exit(EXIT_FAILURE, "loopback lost packets\n");
		n_tx_pkts += BURST;
	}
	tx_drain(v, txq);
	dev_counters(&cqes1, &pkts1);
	dev_cqes[v] += cqes1 - cqes0;
	dev_pkts[v] += pkts1 - pkts0;
	s.rx_idle = (double)t_idle / iters;
	s.tx = n_tx_calls ? (double)t_tx / n_tx_calls : 0;
	s.tx_pkt = n_tx_pkts ? (double)t_tx / n_tx_pkts : 0;
	s.rx = n_rx_calls ? (double)t_rx / n_rx_calls : 0;
	return s;
}

int
main(int argc, char **argv)
{
	struct rte_eth_conf conf = { .rxmode.mq_mode = RTE_ETH_MQ_RX_NONE };
	struct rte_eth_dev_info info;
	uint16_t ring;
	unsigned int rounds = 31, iters = 200000, r, v, k;
	double idle[NB_VARIANTS][64], tx[NB_VARIANTS][64], rx[NB_VARIANTS][64];
	double tx_pkt[NB_VARIANTS][64], med_tx_pkt[NB_VARIANTS];
	double med_idle[NB_VARIANTS], med_tx[NB_VARIANTS], med_rx[NB_VARIANTS];
	double cqe_per_pkt[NB_VARIANTS];
	struct rte_eth_dev_info port_info;
	struct rte_mempool *mp;
	struct mana_rxq *rxq;
	struct mana_txq *txq;
	size_t qsbr_size;
	int ret, opt;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "EAL init failed\n");
	argc -= ret;
	argv += ret;
	while ((opt = getopt(argc, argv, "r:i:")) != -1) {
		if (opt == 'r')
			rounds = RTE_MIN((unsigned int)atoi(optarg), 64u);
		else if (opt == 'i')
			iters = (unsigned int)atoi(optarg);
	}
	if (rounds == 0 || iters < 8)
		rte_exit(EXIT_FAILURE, "usage: mana-bench-guard [EAL] -- [-r rounds] [-i iters]\n");

	qsbr_size = rte_rcu_qsbr_get_memsize(1);
	qsbr = rte_zmalloc("bench_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, 1) != 0 ||
	    rte_rcu_qsbr_thread_register(qsbr, 0) != 0)
		rte_exit(EXIT_FAILURE, "qsbr setup failed\n");

	/* 512 descriptors, or the most the device takes (256 with rdma-core < 49). */
	if (rte_eth_dev_info_get(0, &info) != 0)
		rte_exit(EXIT_FAILURE, "no port (is -a <pci>,mac=<mac> given?)\n");
	ring = RTE_MIN(info.rx_desc_lim.nb_max, info.tx_desc_lim.nb_max);
	ring = RTE_MIN(ring, 512);
	mp = rte_pktmbuf_pool_create("bench_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL ||
	    rte_eth_dev_configure(0, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(0, 0, ring, 0, NULL, mp) != 0 ||
	    rte_eth_tx_queue_setup(0, 0, ring, 0, NULL) != 0 ||
	    rte_eth_dev_start(0) != 0)
		rte_exit(EXIT_FAILURE, "port setup failed (is -a <pci>,mac=<mac> given?)\n");
	rxq = rte_eth_devices[0].data->rx_queues[0];
	txq = rte_eth_devices[0].data->tx_queues[0];
	/* The device's own count of Tx CQEs, on the software VF (mana_sim.h). */
	sim_get_stats = (mana_sim_get_stats_t)dlsym(RTLD_DEFAULT, MANA_SIM_GET_STATS_SYMBOL);
	if (rte_eth_dev_info_get(0, &port_info) == 0)
		snprintf(sim_bdf, sizeof(sim_bdf), "%s", rte_dev_name(port_info.device));

	/* Warm up every variant once. */
	for (v = 0; v < NB_VARIANTS; v++)
		run_round(v, rxq, txq, mp, iters / 10);
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < NB_VARIANTS; k++) {
			struct sample s;

			v = (k + r) % NB_VARIANTS;
			s = run_round(v, rxq, txq, mp, iters);
			idle[v][r] = s.rx_idle;
			tx[v][r] = s.tx;
			tx_pkt[v][r] = s.tx_pkt;
			rx[v][r] = s.rx;
		}
	}
	for (v = 0; v < NB_VARIANTS; v++) {
		med_idle[v] = median(idle[v], rounds);
		med_tx[v] = median(tx[v], rounds);
		med_rx[v] = median(rx[v], rounds);
		med_tx_pkt[v] = median(tx_pkt[v], rounds);
		cqe_per_pkt[v] = dev_pkts[v] ? (double)dev_cqes[v] / dev_pkts[v] : -1;
	}

	printf("burst-guard cost, TSC cycles per burst call (median of %u rounds, %u idle Rx"
	       " calls + %u loopback bursts of %d per round), ratio to no guard:\n",
	       rounds, iters, iters / 8, BURST);
	printf("%-6s %14s %8s %14s %8s %14s %8s\n", "guard", "rx idle", "ratio", "tx 32",
	       "ratio", "rx 32", "ratio");
	for (v = 0; v < NB_GUARDS; v++)
		printf("%-6s %14.1f %8.3f %14.1f %8.3f %14.1f %8.3f\n", variant_names[v],
		       med_idle[v], med_idle[v] / med_idle[V_NONE], med_tx[v],
		       med_tx[v] / med_tx[V_NONE], med_rx[v], med_rx[v] / med_rx[V_NONE]);
	printf("\nTx path, loopback bursts of %d, net_mana_mpr's guard (median of %u rounds);"
	       " CQEs per packet counted by the device (-1: not the software VF):\n", BURST,
	       rounds);
	printf("%-6s %14s %14s %8s %14s\n", "path", "cycles/burst", "cycles/packet", "ratio",
	       "CQEs/packet");
	printf("%-6s %14.1f %14.2f %8.3f %14.4f   (CQE per WQE, mbufs freed one by one)\n",
	       "old", med_tx[V_OLD], med_tx_pkt[V_OLD], 1.0, cqe_per_pkt[V_OLD]);
	printf("%-6s %14.1f %14.2f %8.3f %14.4f   (CQE per burst, mbufs freed in bulk)\n",
	       "new", med_tx[V_OURS], med_tx_pkt[V_OURS], med_tx_pkt[V_OURS] / med_tx_pkt[V_OLD],
	       cqe_per_pkt[V_OURS]);
	printf("{\"bench\":\"guard\",\"rounds\":%u", rounds);
	for (v = 0; v < NB_VARIANTS; v++)
		printf(",\"%s\":{\"rx_idle\":%.1f,\"tx\":%.1f,\"tx_per_pkt\":%.2f,"
		       "\"rx\":%.1f,\"tx_cqes_per_pkt\":%.4f}", variant_names[v], med_idle[v],
		       med_tx[v], med_tx_pkt[v], med_rx[v], cqe_per_pkt[v]);
	printf("}\n");

	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	rte_free(qsbr);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
