/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Coordination overhead of a reset: from the device's fatal event to
 * traffic on every queue of every process, minus the time the device itself
 * was away. One binary, run as the primary (port setup, resets, results) or
 * as worker k (a secondary polling queue k with loopback traffic). They
 * share a memzone; every timestamp is CLOCK_MONOTONIC, common to all
 * processes. bench/reset_overhead.py runs it for 1..16 workers.
 *
 *   primary: mana-bench-reset <EAL> -a <pci>,mac=<mac>,... -- -w N -r ROUNDS -d DOWN_MS
 *            [-u WARMUP] [-S BLOCK_MS] [-q QUEUES]
 *   worker:  mana-bench-reset <EAL> --proc-type=secondary -a <pci>,mac=<mac> -- -k K
 *
 * on the software MANA VF (LD_PRELOAD=libmana_sim.so, whose fault injection
 * the primary looks up at run time). The port gets N queues rounded up to a
 * power of two, or -q QUEUES (at least N, rounded up the same way): worker k
 * polls queue k, the others are set up and rebuilt by every reset but carry
 * no traffic. With -q fixed, a series over N changes only the number of
 * processes, not the queues the reset rebuilds.
 *
 * Per round the primary injects a service reset (down DOWN_MS), waits until
 * the state word leaves ACTIVE, arms every worker, and waits until every
 * (live, not stopped) worker has received a packet again. A worker records
 * the time of its first packet after being armed: bursts return nothing
 * between the fatal event and the resume, so that packet was sent and
 * received after recovery. overhead = max(resume) - event - (up - down),
 * the device's own down interval coming from the device model; back =
 * max(resume) - up, the time from the device's return to traffic in every
 * measured process.
 *
 * A silent secondary: the launcher SIGSTOPs worker 1 (-s stop: it is then
 * not measured), or with -s block the primary has worker 1 keep the thread
 * that handles its messages busy for -S ms from each fatal event on
 * (rte_pmd_mana_mpr_test_stall_mp); it is not measured either, but must
 * carry traffic again (rejoin) before the next reset. -u WARMUP resets with
 * everyone healthy come first, so that the UNMAP_DB/REMAP_DB deadline has
 * adapted (doc/protocol.rst "Deadlines and eviction").
 */

#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include "rte_pmd_mana_mpr.h"
#include "sim/mana_sim.h"
#include "bench_common.h"

#define MZ_NAME		"bench_reset"
#define MAX_WORKERS	32
#define BURST		8
#define FRAME		MTRF_MIN_FRAME
#define IDLE_BACKOFF_NS	1000000ull	/* idle this long: poll every 200 us */

struct worker_slot {
	RTE_ATOMIC(uint64_t) attached;
	RTE_ATOMIC(uint64_t) armed;
	RTE_ATOMIC(uint64_t) resumed_ns;
	RTE_ATOMIC(uint64_t) tx_resumed_ns;	/* first burst the PMD took after arming */
	RTE_ATOMIC(uint64_t) tx_armed;
	RTE_ATOMIC(uint64_t) rx;
	RTE_ATOMIC(uint64_t) tx;
	RTE_ATOMIC(uint64_t) pid;
	RTE_ATOMIC(uint64_t) stall_ms;	/* set by the primary, applied and cleared by the worker */
	RTE_ATOMIC(uint64_t) silent;	/* not measured: its message thread is blocked */
};

struct shared {
	RTE_ATOMIC(uint64_t) stop;
	RTE_ATOMIC(uint64_t) started;	/* port started: workers may send */
	uint32_t workers;
	struct worker_slot w[MAX_WORKERS];
};

/* Flags and counters shared by the primary and its workers. */
static inline uint64_t
get(const RTE_ATOMIC(uint64_t) *p)
{
	return rte_atomic_load_explicit(p, rte_memory_order_acquire);
}

static inline void
set(RTE_ATOMIC(uint64_t) *p, uint64_t v)
{
	rte_atomic_store_explicit(p, v, rte_memory_order_release);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
sleep_us(unsigned int us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };

	nanosleep(&ts, NULL);
}

/* Worker k: poll queue k, send a small burst every ~100 us, note resumption. */
static int
run_worker(unsigned int k)
{
	const struct rte_memzone *mz = rte_memzone_lookup(MZ_NAME);
	struct mtrf_flow flow = {
		.src_ip = RTE_IPV4(10, 0, 0, 1), .dst_ip = RTE_IPV4(10, 0, 0, 2), .dport = 9,
	};
	struct rte_mbuf *pkts[BURST];
	struct worker_slot *slot;
	struct rte_mempool *mp;
	struct mtrf_rss rss;
	struct shared *sh;
	char name[32];
	uint64_t next_tx = 0, seq = 0, idle_since = 0;

	if (mz == NULL)
		rte_exit(EXIT_FAILURE, "worker: start the primary first\n");
	sh = mz->addr;
	if (k >= sh->workers)
		rte_exit(EXIT_FAILURE, "worker %u: the primary runs %u workers\n", k, sh->workers);
	slot = &sh->w[k];
	snprintf(name, sizeof(name), "br_pool_%u", k);
	mp = rte_pktmbuf_pool_create(name, 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL)
		rte_exit(EXIT_FAILURE, "worker %u: no mempool\n", k);
	while (!get(&sh->started) && !get(&sh->stop))
		sleep_us(1000);
	flow.flow_id = (uint16_t)k;
	if (mtrf_rss_query(0, &rss) != 0 || mtrf_flow_steer(&rss, &flow, (uint16_t)k, 1024) != 0)
		rte_exit(EXIT_FAILURE, "worker %u: cannot steer a flow to its queue\n", k);
	set(&slot->pid, getpid());
	set(&slot->attached, 1);

	while (!get(&sh->stop)) {
		uint64_t t = now_ns();
		uint64_t stall = get(&slot->stall_ms);
		uint16_t n;

		if (stall != 0) {
			rte_pmd_mana_mpr_test_stall_mp(0, (uint32_t)stall);
			set(&slot->stall_ms, 0);
		}

		if (t >= next_tx && bench_build_burst(mp, pkts, BURST, &flow, FRAME, &seq) == 0) {
			n = rte_eth_tx_burst(0, (uint16_t)k, pkts, BURST);
			if (n != 0 && get(&slot->tx_armed)) {
				set(&slot->tx_resumed_ns, now_ns());
				set(&slot->tx_armed, 0);
			}
			set(&slot->tx, get(&slot->tx) + n);
			if (n < BURST)
				rte_pktmbuf_free_bulk(pkts + n, BURST - n);
			next_tx = t + 100000;
		}
		n = rte_eth_rx_burst(0, (uint16_t)k, pkts, BURST);
		if (n != 0) {
			if (get(&slot->armed)) {
				set(&slot->resumed_ns, now_ns());
				set(&slot->armed, 0);
			}
			set(&slot->rx, get(&slot->rx) + n);
			rte_pktmbuf_free_bulk(pkts, n);
			idle_since = 0;
		} else {
			/* Idle: back off (a port in reset stays idle for a while). */
			if (idle_since == 0)
				idle_since = t;
			sleep_us(t - idle_since > IDLE_BACKOFF_NS ? 200 : 20);
		}
	}
	return 0;
}

/* A worker that is alive and not stopped (the hung-worker experiment). */
static bool
worker_running(const struct worker_slot *w)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)get(&w->pid));
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] != 'T' && p[2] != 'Z' && p[2] != 't';
}

/* One reset with everyone healthy; exits on failure. */
static void
warm_up_reset(struct shared *sh, unsigned int workers, const char *dev_name,
	      mana_sim_inject_t sim_inject, unsigned int down_ms)
{
	struct mana_sim_fault fault = { .kind = MANA_SIM_FAULT_RESET, .down_ms = down_ms };
	struct rte_pmd_mana_mpr_state st;
	uint64_t deadline;
	unsigned int k;

	if (sim_inject(dev_name, &fault) != 0)
		rte_exit(EXIT_FAILURE, "inject\n");
	do {
		rte_pmd_mana_mpr_get_state(0, &st);
	} while (st.state == RTE_PMD_MANA_MPR_ACTIVE);
	for (k = 0; k < workers; k++) {
		set(&sh->w[k].resumed_ns, 0);
		set(&sh->w[k].armed, 1);
	}
	deadline = now_ns() + 30ull * 1000000000ull;
	for (k = 0; k < workers; k++) {
		while (get(&sh->w[k].resumed_ns) == 0 && now_ns() < deadline)
			sleep_us(200);
		if (get(&sh->w[k].resumed_ns) == 0)
			rte_exit(EXIT_FAILURE, "worker %u did not resume after a warm-up reset\n", k);
	}
}

static int
run_primary(unsigned int workers, unsigned int queues, unsigned int rounds, unsigned int down_ms,
	    unsigned int warmup, unsigned int block_ms)
{
	struct rte_eth_conf conf = {
		.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS,
		.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP,
	};
	const struct rte_memzone *mz;
	struct rte_mempool *mp;
	struct shared *sh;
	mana_sim_inject_t sim_inject;
	mana_sim_get_stats_t sim_get_stats;
	struct rte_eth_dev_info info;
	char dev_name[RTE_DEV_NAME_MAX_LEN];
	uint16_t nb_queues = (uint16_t)rte_align32pow2(RTE_MAX(workers, queues));
	unsigned int r, k;
	uint64_t deadline;

	sim_inject = (mana_sim_inject_t)dlsym(RTLD_DEFAULT, MANA_SIM_INJECT_SYMBOL);
	sim_get_stats = (mana_sim_get_stats_t)dlsym(RTLD_DEFAULT, MANA_SIM_GET_STATS_SYMBOL);
	if (sim_inject == NULL || sim_get_stats == NULL)
		rte_exit(EXIT_FAILURE, "not on the software MANA VF (preload libmana_sim.so)\n");

	mz = rte_memzone_reserve(MZ_NAME, sizeof(*sh), SOCKET_ID_ANY, 0);
	if (mz == NULL)
		rte_exit(EXIT_FAILURE, "memzone\n");
	sh = mz->addr;
	memset(sh, 0, sizeof(*sh));
	sh->workers = workers;
	mp = rte_pktmbuf_pool_create("br_rx_pool", 2048u * nb_queues + 1023, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL || rte_eth_dev_configure(0, nb_queues, nb_queues, &conf))
		rte_exit(EXIT_FAILURE, "port configure\n");
	for (k = 0; k < nb_queues; k++)
		if (rte_eth_rx_queue_setup(0, (uint16_t)k, 256, 0, NULL, mp) != 0 ||
		    rte_eth_tx_queue_setup(0, (uint16_t)k, 256, 0, NULL) != 0)
			rte_exit(EXIT_FAILURE, "queue setup\n");
	if (rte_eth_dev_start(0) != 0)
		rte_exit(EXIT_FAILURE, "start\n");
	if (rte_eth_dev_info_get(0, &info) != 0)
		rte_exit(EXIT_FAILURE, "device info\n");
	snprintf(dev_name, sizeof(dev_name), "%s", rte_dev_name(info.device));
	set(&sh->started, 1);
	printf("{\"ev\":\"ready\",\"workers\":%u,\"queues\":%u}\n", workers, nb_queues);
	fflush(stdout);

	/* Every worker attached and receiving. */
	deadline = now_ns() + 60ull * 1000000000ull;
	for (k = 0; k < workers; k++) {
		while ((!get(&sh->w[k].attached) || get(&sh->w[k].rx) == 0) && now_ns() < deadline)
			sleep_us(1000);
		if (!get(&sh->w[k].attached) || get(&sh->w[k].rx) == 0)
			rte_exit(EXIT_FAILURE, "worker %u never got traffic\n", k);
		printf("{\"ev\":\"worker\",\"k\":%u}\n", k);
		fflush(stdout);
	}
	for (r = 0; r < warmup; r++) {
		warm_up_reset(sh, workers, dev_name, sim_inject, down_ms);
		sleep_us(20000);
	}
	printf("{\"ev\":\"traffic\"}\n");
	fflush(stdout);
	/* Give the launcher a moment to stop a worker for the hung experiment. */
	sleep_us(300000);

	for (r = 0; r < rounds; r++) {
		struct mana_sim_fault fault = { .kind = MANA_SIM_FAULT_RESET, .down_ms = down_ms };
		struct rte_pmd_mana_mpr_reset_info ri;
		struct rte_pmd_mana_mpr_state st;
		struct mana_sim_stats ss;
		uint64_t last = 0, last_tx = 0, succeeded, failed;
		unsigned int running = 0;
		double overhead, rejoin_ms;

		rte_pmd_mana_mpr_get_reset_info(0, &ri);
		succeeded = ri.succeeded;
		failed = ri.failed;
		for (k = 0; k < workers; k++) {
			set(&sh->w[k].resumed_ns, 0);
			set(&sh->w[k].tx_resumed_ns, 0);
		}
		if (block_ms != 0 && workers > 1) {
			/* Worker 1's message thread: busy from the fatal event's notice on. */
			set(&sh->w[1].silent, 1);
			set(&sh->w[1].stall_ms, block_ms);
			deadline = now_ns() + 5ull * 1000000000ull;
			while (get(&sh->w[1].stall_ms) != 0 && now_ns() < deadline)
				sleep_us(100);
			if (get(&sh->w[1].stall_ms) != 0)
				rte_exit(EXIT_FAILURE, "worker 1 did not take the stall\n");
		}
		if (sim_inject(dev_name, &fault) != 0)
			rte_exit(EXIT_FAILURE, "inject\n");
		do {
			rte_pmd_mana_mpr_get_state(0, &st);
		} while (st.state == RTE_PMD_MANA_MPR_ACTIVE);
		for (k = 0; k < workers; k++) {
			set(&sh->w[k].tx_armed, 1);
			set(&sh->w[k].armed, 1);
		}
		deadline = now_ns() + 30ull * 1000000000ull;
		for (k = 0; k < workers; k++) {
			if (!worker_running(&sh->w[k]) || get(&sh->w[k].silent))
				continue;
			running++;
			while (get(&sh->w[k].resumed_ns) == 0 && now_ns() < deadline)
				sleep_us(200);
			if (get(&sh->w[k].resumed_ns) == 0)
				rte_exit(EXIT_FAILURE, "worker %u did not resume\n", k);
			last = RTE_MAX(last, get(&sh->w[k].resumed_ns));
			last_tx = RTE_MAX(last_tx, get(&sh->w[k].tx_resumed_ns));
		}
		/*
		 * The counters are the reset thread's last step, after it let
		 * traffic through: the workers can be faster.
		 */
		deadline = now_ns() + 5ull * 1000000000ull;
		for (;;) {
			rte_pmd_mana_mpr_get_reset_info(0, &ri);
			if (ri.succeeded != succeeded || ri.failed != failed ||
			    now_ns() >= deadline)
				break;
			sleep_us(100);
		}
		sim_get_stats(dev_name, &ss);
		if (ri.succeeded != succeeded + 1 || ri.failed != failed)
			rte_exit(EXIT_FAILURE, "reset %u did not succeed\n", r);
		rejoin_ms = -1;
		if (block_ms != 0 && workers > 1) {
			/* The blocked worker must rejoin and carry traffic by itself. */
			while (get(&sh->w[1].resumed_ns) == 0 && now_ns() < deadline)
				sleep_us(200);
			if (get(&sh->w[1].resumed_ns) == 0)
				rte_exit(EXIT_FAILURE, "blocked worker 1 did not rejoin\n");
			rejoin_ms = (double)(get(&sh->w[1].resumed_ns) - ss.last_listed_ns) / 1e6;
			set(&sh->w[1].silent, 0);
		}
		overhead = ((double)(last - ri.last_event_ns) -
			       (double)(ss.last_listed_ns - ss.last_down_ns)) / 1e6;
		printf("{\"ev\":\"round\",\"round\":%u,\"workers\":%u,\"running\":%u,"
		       "\"event_to_resume_ms\":%.3f,\"event_to_tx_ms\":%.3f,"
		       "\"event_to_traffic_ms\":%.3f,\"device_down_ms\":%.3f,\"overhead_ms\":%.3f,"
		       "\"evictions\":%" PRIu64 ",\"evictions_cannot_run\":%" PRIu64
		       ",\"evictions_deadline\":%" PRIu64 ",\"back_ms\":%.3f,"
		       "\"unmap_round_us\":%" PRIu64 ",\"remap_round_us\":%" PRIu64
		       ",\"ack_deadline_ms\":%u,\"ack_srtt_us\":%" PRIu64 ",\"ack_rttvar_us\":%"
		       PRIu64 ",\"rejoin_ms\":%.3f,\"phases_us\":[", r, workers, running,
		       ri.last_total_us / 1e3, (double)(last_tx - ri.last_event_ns) / 1e6,
		       (double)(last - ri.last_event_ns) / 1e6,
		       (double)(ss.last_listed_ns - ss.last_down_ns) / 1e6, overhead, ri.evictions,
		       ri.evictions_cannot_run, ri.evictions_deadline,
		       ((double)last - (double)ss.last_listed_ns) / 1e6, ri.last_unmap_round_us,
		       ri.last_remap_round_us, ri.ack_deadline_ms, ri.ack_srtt_us, ri.ack_rttvar_us,
		       rejoin_ms);
		for (k = 1; k < RTE_PMD_MANA_MPR_PHASE_MAX; k++)
			printf("%s%" PRIu64, k > 1 ? "," : "", ri.last_phase_us[k]);
		printf("],\"event_ns\":%" PRIu64 ",\"down_ns\":%" PRIu64 ",\"up_ns\":%" PRIu64
		       ",\"traffic_ns\":%" PRIu64, ri.last_event_ns, ss.last_down_ns,
		       ss.last_listed_ns, last);
		printf(",\"tx_ns\":[");
		for (k = 0; k < workers; k++)
			printf("%s%" PRIu64, k ? "," : "", get(&sh->w[k].tx_resumed_ns));
		printf("],\"rx_ns\":[");
		for (k = 0; k < workers; k++)
			printf("%s%" PRIu64, k ? "," : "", get(&sh->w[k].resumed_ns));
		printf("]");
		printf(",\"sim\":{\"rx_drop_no_wqe\":%" PRIu64 ",\"rx_drop_no_rss\":%" PRIu64
		       ",\"tx_packets\":%" PRIu64 ",\"rx_packets\":%" PRIu64 "}}\n",
		       ss.rx_drop_no_wqe, ss.rx_drop_no_rss, ss.tx_packets, ss.rx_packets);
		fflush(stdout);
		sleep_us(50000);
	}
	set(&sh->stop, 1);
	sleep_us(100000);
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned int workers = 1, queues = 0, rounds = 5, down_ms = 100, warmup = 0, block_ms = 0;
	int worker = -1, opt, ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "EAL init failed\n");
	argc -= ret;
	argv += ret;
	while ((opt = getopt(argc, argv, "w:q:r:d:k:u:S:")) != -1) {
		switch (opt) {
		case 'w': workers = (unsigned int)atoi(optarg); break;
		case 'q': queues = (unsigned int)atoi(optarg); break;
		case 'r': rounds = (unsigned int)atoi(optarg); break;
		case 'd': down_ms = (unsigned int)atoi(optarg); break;
		case 'k': worker = atoi(optarg); break;
		case 'u': warmup = (unsigned int)atoi(optarg); break;
		case 'S': block_ms = (unsigned int)atoi(optarg); break;
		default: rte_exit(EXIT_FAILURE, "bad option\n");
		}
	}
	if (workers == 0 || workers > MAX_WORKERS)
		rte_exit(EXIT_FAILURE, "1..%d workers\n", MAX_WORKERS);
	if (queues > MAX_WORKERS)
		rte_exit(EXIT_FAILURE, "at most %d queues\n", MAX_WORKERS);
	if (rte_eal_process_type() == RTE_PROC_SECONDARY)
		ret = run_worker((unsigned int)(worker < 0 ? 0 : worker));
	else
		ret = run_primary(workers, queues, rounds, down_ms, warmup, block_ms);
	rte_eal_cleanup();
	return ret;
}
