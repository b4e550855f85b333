/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The stdin command channel of mana-traffic: polled without blocking from
 * the main loop, one command per line, one JSON answer per command.
 */

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_ring.h>
#include <rte_stack.h>

#include <rte_pmd_mana_mpr.h>
#include "sim/mana_sim.h"

#include "app.h"

#define APP_CMD_MAX_LINE	256
#define APP_CMD_MAX_ARGS	8

static char app_cmd_buf[4096];
static size_t app_cmd_len;
static bool app_cmd_discard;	/* inside an over-long line */

static void
app_cmd_begin(struct sb *sb, const char *cmd, int ret)
{
	sb_init(sb);
	sb_printf(sb, "{\"ev\":\"cmd\",\"cmd\":");
	sb_str(sb, cmd);
	sb_printf(sb, ",\"ret\":%d,\"t\":%.3f,\"mono\":%.6f,\"pid\":%d,\"role\":\"%s\"", ret,
		  app_now_s(), app_mono_s(), app.pid, app.role);
}

static void
app_cmd_reply(const char *cmd, int ret, const char *error)
{
	struct sb sb;

	app_cmd_begin(&sb, cmd, ret);
	if (error != NULL) {
		sb_printf(&sb, ",\"error\":");
		sb_str(&sb, error);
	}
	sb_printf(&sb, "}");
	sb_emit(&sb);
}

/* The answer of an ethdev/PMD call: its return code, strerror when it failed. */
static void
app_cmd_ret(const char *cmd, int ret)
{
	app_cmd_reply(cmd, ret, ret != 0 ? strerror(-ret) : NULL);
}

static bool
app_cmd_port_open(const char *cmd)
{
	if (rte_atomic_load_explicit(&app.port_closed, rte_memory_order_acquire)) {
		app_cmd_reply(cmd, -ENODEV, "port closed");
		return false;
	}
	return true;
}

static int
app_cmd_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void
app_cmd_inject(char **argv, int argc)
{
	struct mana_sim_fault fault;
	mana_sim_inject_t inject;
	const char *kind = argc > 1 ? argv[1] : "";
	long a = 0, b = 0;
	int ret = 0;

	memset(&fault, 0, sizeof(fault));
	if (strcmp(kind, "reset") == 0) {
		fault.kind = MANA_SIM_FAULT_RESET;
		if (argc > 2)
			ret = app_cmd_num(argv[2], 0, INT32_MAX, &a);
		fault.down_ms = (uint32_t)a;
	} else if (strcmp(kind, "remove") == 0) {
		fault.kind = MANA_SIM_FAULT_REMOVE;
	} else if (strcmp(kind, "fail_open") == 0) {
		fault.kind = MANA_SIM_FAULT_FAIL_OPEN;
		a = 1;
		if (argc > 2 && strcmp(argv[2], "inf") == 0)
			a = -1;
		else if (argc > 2)
			ret = app_cmd_num(argv[2], -1, INT32_MAX, &a);
		fault.count = (int32_t)a;
	} else if (strcmp(kind, "fatal_in_recovery") == 0) {
		fault.kind = MANA_SIM_FAULT_FATAL_IN_RECOVERY;
		ret = app_cmd_num(argc > 2 ? argv[2] : NULL, 0, INT32_MAX, &a);
		if (ret == 0 && argc > 3)
			ret = app_cmd_num(argv[3], 0, INT32_MAX, &b);
		fault.delay_ms = (uint32_t)a;
		fault.down_ms = (uint32_t)b;
	} else if (strcmp(kind, "event_delay") == 0) {
		fault.kind = MANA_SIM_FAULT_EVENT_DELAY;
		ret = app_cmd_num(argc > 2 ? argv[2] : NULL, 0, INT32_MAX, &a);
		fault.delay_ms = (uint32_t)a;
	} else {
		app_cmd_reply("inject", -EINVAL, "kind: reset|remove|fail_open|fatal_in_recovery|"
			      "event_delay");
		return;
	}
	if (ret != 0) {
		app_cmd_reply("inject", -EINVAL, "bad argument");
		return;
	}
	/*
	 * The software VF's control function, if the process runs on it
	 * (LD_PRELOAD=libmana_sim.so): looked up, so the app runs on hardware.
	 */
	inject = (mana_sim_inject_t)dlsym(RTLD_DEFAULT, MANA_SIM_INJECT_SYMBOL);
	if (inject == NULL) {
		app_cmd_reply("inject", -ENOTSUP, "not on the software MANA VF "
			      "(libmana_sim.so is not preloaded)");
		return;
	}
	ret = inject(app.device_name, &fault);
	app_cmd_ret("inject", ret);
}

/*
 * rss_hf LIST [zero_key]: rte_eth_dev_rss_hash_update with the types of LIST
 * and the key kept, or an all-zero key. Answers with the types and key in force.
 */
static void
app_cmd_rss_hf(char **argv, int argc)
{
	static const struct {
		const char *name;
		uint64_t hf;
	} types[] = {
		{ "ipv4", RTE_ETH_RSS_IPV4 },
		{ "udp4", RTE_ETH_RSS_NONFRAG_IPV4_UDP },
		{ "tcp4", RTE_ETH_RSS_NONFRAG_IPV4_TCP },
		{ "ipv6", RTE_ETH_RSS_IPV6 },
		{ "udp6", RTE_ETH_RSS_NONFRAG_IPV6_UDP },
		{ "tcp6", RTE_ETH_RSS_NONFRAG_IPV6_TCP },
	};
	struct rte_eth_rss_conf conf = { 0 };
	uint8_t key[40] = { 0 };	/* MANA's Toeplitz key length */
	char *save = NULL, *tok;
	unsigned int i;
	struct sb sb;
	int ret;

	if (argc != 2 && !(argc == 3 && strcmp(argv[2], "zero_key") == 0)) {
		app_cmd_reply("rss_hf", -EINVAL,
			      "usage: rss_hf ipv4,udp4,tcp4,ipv6,udp6,tcp6 [zero_key]");
		return;
	}
	if (argc == 3) {
		conf.rss_key = key;
		conf.rss_key_len = sizeof(key);
	}
	for (tok = strtok_r(argv[1], ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < RTE_DIM(types) && strcmp(tok, types[i].name) != 0; i++)
			;
		if (i == RTE_DIM(types)) {
			app_cmd_reply("rss_hf", -EINVAL, "unknown hash type");
			return;
		}
		conf.rss_hf |= types[i].hf;
	}
	if (!app_cmd_port_open("rss_hf"))
		return;
	ret = rte_eth_dev_rss_hash_update(app.port, &conf);
	app_cmd_begin(&sb, "rss_hf", ret);
	memset(&conf, 0, sizeof(conf));
	conf.rss_key = key;
	conf.rss_key_len = sizeof(key);
	if (rte_eth_dev_rss_hash_conf_get(app.port, &conf) == 0) {
		sb_printf(&sb, ",\"rss_hf\":%" PRIu64 ",\"rss_key\":\"", conf.rss_hf);
		for (i = 0; i < sizeof(key); i++)
			sb_printf(&sb, "%02x", key[i]);
		sb_printf(&sb, "\"");
	}
	sb_printf(&sb, "}");
	sb_emit(&sb);
}

static void
app_cmd_state(void)
{
	struct rte_pmd_mana_mpr_state st;
	struct sb sb;
	int ret;

	if (!app_cmd_port_open("state"))
		return;
	ret = rte_pmd_mana_mpr_get_state(app.port, &st);
	app_cmd_begin(&sb, "state", ret);
	if (ret == 0) {
		sb_printf(&sb, ",");
		app_json_state(&sb, &st, true);
	}
	sb_printf(&sb, "}");
	sb_emit(&sb);
}

/*
 * `port_calls`: what ethdev and the driver answer on the port whatever the
 * application thinks of it (the others refuse once it saw the port closed).
 */
static void
app_cmd_port_calls(void)
{
	struct rte_pmd_mana_mpr_state st;
	struct rte_eth_dev_info info;
	struct rte_eth_stats stats;
	struct sb sb;

	app_cmd_begin(&sb, "port_calls", 0);
	sb_printf(&sb, ",\"valid\":%d,\"info\":%d,\"stats\":%d,\"state\":%d}",
		  rte_eth_dev_is_valid_port(app.port), rte_eth_dev_info_get(app.port, &info),
		  rte_eth_stats_get(app.port, &stats),
		  rte_pmd_mana_mpr_get_state(app.port, &st));
	sb_emit(&sb);
}

/*
 * `starve` takes every free mbuf of the Rx pool, and keeps taking those the
 * application frees (as one that holds its mbufs would); `feed` gives them
 * back. What
 * the PMD's Rx refill does when the pool is short, and after.
 */
static struct rte_mbuf **app_starved;
static unsigned int app_nb_starved;

/* While starved, what the application frees back to the pool (main loop). */
void
app_cmd_starve_more(void)
{
	if (app_starved == NULL)
		return;
	while (app_nb_starved < app.rx_pool->size &&
	       rte_mempool_get(app.rx_pool, (void **)&app_starved[app_nb_starved]) == 0)
		app_nb_starved++;
}

/*
 * `tx_burst N [BAD [short|empty]]`: one rte_eth_tx_burst of N packets of
 * the first owned queue's flows, as the main loop builds them (`pause`
 * first to have only these); with BAD, one more packet at index BAD: an
 * 8-byte frame (short, the default: shorter than an Ethernet header, the
 * device fails it with an error completion) or an empty one (empty: the
 * PMD drops it, counted in oerrors). Answers how many packets were built
 * and sent (the extra one included).
 */
#define APP_SHORT_FRAME	8

static void
app_cmd_tx_burst(const char *cmd, char **argv, int argc)
{
	struct rte_mbuf *bad = NULL;
	uint16_t built = 0, sent;
	long n, at = -1;
	bool empty = false;
	struct sb sb;

	if (argc == 4 && strcmp(argv[3], "empty") == 0)
		empty = true;
	else if (argc == 4 && strcmp(argv[3], "short") != 0)
		argc = 0;	/* neither kind: usage */
	if (argc < 2 || argc > 4 || app_cmd_num(argv[1], 1, APP_MAX_BURST, &n) != 0 ||
	    (argc >= 3 && app_cmd_num(argv[2], 0, n, &at) != 0)) {
		app_cmd_reply(cmd, -EINVAL,
			      "usage: tx_burst N [BAD [short|empty]] (N 1..512, BAD 0..N)");
		return;
	}
	if (app.cfg.nb_own == 0 || app.tx_pool == NULL) {
		app_cmd_reply(cmd, -EINVAL, "no queue owned");
		return;
	}
	if (!app_cmd_port_open(cmd))
		return;
	if (at >= 0) {
		bad = rte_pktmbuf_alloc(app.tx_pool);
		if (bad == NULL) {
			app_cmd_reply(cmd, -ENOBUFS, NULL);
			return;
		}
		if (!empty)
			memset(rte_pktmbuf_append(bad, APP_SHORT_FRAME), 0xff, APP_SHORT_FRAME);
	}
	sent = app_tx_send_extra(&app.q[0], rte_get_timer_cycles(), (uint16_t)n, &built, bad,
				 (uint16_t)RTE_MAX(at, 0L));
	app_cmd_begin(&sb, cmd, 0);
	sb_printf(&sb, ",\"built\":%u,\"sent\":%u}", built, sent);
	sb_emit(&sb);
}

static void
app_cmd_starve(const char *cmd)
{
	struct sb sb;

	if (app.rx_pool == NULL || app_starved != NULL) {
		app_cmd_reply(cmd, -EINVAL, app.rx_pool == NULL ? "no Rx pool" : "already starved");
		return;
	}
	app_starved = calloc(app.rx_pool->size, sizeof(*app_starved));
	if (app_starved == NULL) {
		app_cmd_reply(cmd, -ENOMEM, NULL);
		return;
	}
	app_cmd_starve_more();
	app_cmd_begin(&sb, cmd, 0);
	sb_printf(&sb, ",\"taken\":%u}", app_nb_starved);
	sb_emit(&sb);
}

void
app_cmd_feed(void)
{
	if (app_starved == NULL)
		return;
	rte_mempool_put_bulk(app.rx_pool, (void **)app_starved, app_nb_starved);
	free(app_starved);
	app_starved = NULL;
	app_nb_starved = 0;
}

/*
 * `tx_pools N [keep]`: N times, make a new Tx pool (each one mbuf bigger
 * than the last, so no pool's memory lies inside an earlier one's), send a
 * few packets from it on every owned queue, and free the one it replaces
 * once its mbufs are back (a worker restarted with a pool of its own, N
 * times). With `keep` the replaced pools stay allocated (and all have the
 * smallest size). Rx is polled meanwhile, as the main loop would.
 */
#define APP_TX_POOLS_MAX	1024
#define APP_TX_POOLS_PKTS	4
#define APP_TX_POOLS_MIN	32	/* mbufs of a pool */
#define APP_TX_POOL_DRAIN_US	2000000

static struct rte_mempool *app_kept_pools[APP_TX_POOLS_MAX];
static unsigned int app_nb_kept_pools;
static unsigned int app_tx_pools_seq;

/* Wait (bounded) until every mbuf of @mp is back; true if they are. */
static bool
app_tx_pool_drain(struct rte_mempool *mp)
{
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() *
			    APP_TX_POOL_DRAIN_US / 1000000;
	bool busy = false;
	uint16_t i;

	while (!rte_mempool_full(mp)) {
		if (rte_get_timer_cycles() > deadline)
			return false;
		/* A burst of nothing retires completed sends. */
		for (i = 0; i < app.cfg.nb_own; i++)
			rte_eth_tx_burst(app.port, app.q[i].qid, NULL, 0);
		app_rx(rte_get_timer_cycles(), &busy);
		rte_delay_us_sleep(100);
	}
	return true;
}

static void
app_cmd_tx_pools(const char *cmd, char **argv, int argc)
{
	unsigned int freed = 0, unfreed = 0, kept = 0, created = 0, nb_spacers = 0;
	uint64_t sent = 0, built = 0;
	void **spacers;
	struct sb sb;
	bool keep;
	long n, k;

	keep = argc == 3 && strcmp(argv[2], "keep") == 0;
	if ((argc != 2 && !keep) || app_cmd_num(argv[1], 1, APP_TX_POOLS_MAX, &n) != 0) {
		app_cmd_reply(cmd, -EINVAL, "usage: tx_pools N [keep]");
		return;
	}
	if (app.tx_pool == NULL || !app_cmd_port_open(cmd)) {
		if (app.tx_pool == NULL)
			app_cmd_reply(cmd, -EINVAL, "no Tx pool (no owned queue)");
		return;
	}
	spacers = calloc(APP_TX_POOLS_MAX, sizeof(*spacers));
	if (spacers == NULL) {
		app_cmd_reply(cmd, -ENOMEM, NULL);
		return;
	}
	for (k = 0; k < n; k++) {
		char name[RTE_MEMPOOL_NAMESIZE];
		struct rte_mempool *old = app.tx_pool, *mp;
		bool busy = false;
		uint16_t i, b;

		snprintf(name, sizeof(name), "mtrf_p%d_%u", app.pid, app_tx_pools_seq);
		mp = app_tx_pool_create(name, APP_TX_POOLS_MIN + (keep ? 0 : app_tx_pools_seq),
					true);
		if (mp == NULL)
			break;
		/*
		 * A little memory after each pool, kept until the end: freed
		 * pools leave holes that cannot merge, so no later (bigger) pool
		 * lands where an earlier one was - each one is memory the PMD has
		 * not seen, as in a process that allocates meanwhile.
		 */
		if (nb_spacers < APP_TX_POOLS_MAX)
			spacers[nb_spacers++] = rte_malloc("mtrf_spacer", 64, 0);
		app_tx_pools_seq++;
		created++;
		app.tx_pool = mp;
		for (i = 0; i < app.cfg.nb_own; i++) {
			sent += app_tx_send(&app.q[i], rte_get_timer_cycles(), APP_TX_POOLS_PKTS,
					    &b);
			built += b;
			app_rx(rte_get_timer_cycles(), &busy);
		}
		if (keep && app_nb_kept_pools < APP_TX_POOLS_MAX) {
			app_kept_pools[app_nb_kept_pools++] = old;
			kept++;
		} else if (app_tx_pool_drain(old)) {
			rte_mempool_free(old);
			freed++;
		} else {
			unfreed++;	/* mbufs still out: leaked, never freed under them */
		}
	}
	while (nb_spacers > 0)
		rte_free(spacers[--nb_spacers]);
	free(spacers);
	app_cmd_begin(&sb, cmd, created == n ? 0 : -ENOMEM);
	sb_printf(&sb, ",\"created\":%u,\"built\":%" PRIu64 ",\"sent\":%" PRIu64
		  ",\"freed\":%u,\"kept\":%u,\"unfreed\":%u,\"tx_pool\":", created, built, sent,
		  freed, kept, unfreed);
	sb_str(&sb, app.tx_pool->name);
	sb_printf(&sb, "}");
	sb_emit(&sb);
}

/*
 * Test only: be a process that dies holding the DPDK heap lock. rte_malloc
 * holds it while the heap grows (lib/eal/common/malloc_heap.c,
 * malloc_heap_alloc_on_heap_id; in a secondary through the primary), and
 * the memory event callbacks run meanwhile (eal_memalloc.c, sync_chunk in a
 * secondary). Ours answers, then never returns: the harness SIGKILLs us.
 */
static void
app_hold_heap_cb(enum rte_mem_event type, const void *addr __rte_unused,
		 size_t len __rte_unused, void *arg __rte_unused)
{
	if (type != RTE_MEM_EVENT_ALLOC)
		return;
	app_cmd_reply("hold_heap", 0, NULL);
	for (;;)
		pause();
}

static void
app_cmd_hold_heap(const char *cmd)
{
	struct rte_malloc_socket_stats st;
	int socket = (int)rte_socket_id();
	void *p;

	if (rte_mem_event_callback_register("app_hold_heap", app_hold_heap_cb, NULL) != 0) {
		app_cmd_reply(cmd, -rte_errno, "cannot follow memory events");
		return;
	}
	/* More than the heap has in one piece: it must grow. */
	if (rte_malloc_get_socket_stats(socket, &st) != 0)
		st.greatest_free_size = 0;
	p = rte_malloc_socket("app_hold_heap", st.greatest_free_size + (8u << 20), 0, socket);
	rte_mem_event_callback_unregister("app_hold_heap", NULL);
	rte_free(p);
	app_cmd_reply(cmd, p != NULL ? -EAGAIN : -ENOMEM, "the heap did not grow");
}

/*
 * Test only: leave this process's Tx pool (or the mempool named @name, of
 * any process) as a process that died inside a put would. On ring_mp_mc: the ring's head moved and the tail not
 * (lib/ring/rte_ring_generic_pvt.h, __rte_ring_move_prod_head then
 * __rte_ring_update_tail): one slot taken, the tail never follows, every
 * later put waits for it. On stack: the stack's lock taken and never
 * released (lib/stack/rte_stack_std.h): every later push and pop spins.
 */
static void
app_cmd_wedge_pool(const char *cmd, const char *name)
{
	struct rte_mempool *mp = name != NULL ? rte_mempool_lookup(name) : app.tx_pool;
	const char *ops = mp != NULL ? rte_mempool_get_ops(mp->ops_index)->name : "";
	struct rte_ring *r;
	uint32_t head;

	if (strcmp(ops, "stack") == 0) {
		struct rte_stack *s = mp->pool_data;

		rte_spinlock_lock(&s->stack_std.lock);
		app_cmd_reply(cmd, 0, NULL);
		return;
	}
	if (strcmp(ops, "ring_mp_mc") != 0) {
		app_cmd_reply(cmd, -ENOTSUP, "no such pool on ring_mp_mc or stack");
		return;
	}
	r = mp->pool_data;
	head = rte_atomic_load_explicit(&r->prod.head, rte_memory_order_relaxed);
	while (!rte_atomic_compare_exchange_strong_explicit(&r->prod.head, &head, head + 1,
							    rte_memory_order_acquire,
							    rte_memory_order_relaxed))
		;
	app_cmd_reply(cmd, 0, NULL);
}

/* The ethdev ports of this process, for an answer: [{"port":N,"name":...},...]. */
static void
app_cmd_ports(struct sb *sb)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	bool first = true;
	uint16_t pid;

	sb_printf(sb, ",\"ports\":[");
	RTE_ETH_FOREACH_DEV(pid) {
		if (rte_eth_dev_get_name_by_port(pid, name) != 0)
			continue;
		sb_printf(sb, "%s{\"port\":%u,\"name\":", first ? "" : ",", pid);
		sb_str(sb, name);
		sb_printf(sb, "}");
		first = false;
	}
	sb_printf(sb, "]");
}

/* The answer of a hotplug command: its result, the error text, the ports. */
static void
app_cmd_reply_ports(const char *cmd, int ret)
{
	struct sb sb;

	app_cmd_begin(&sb, cmd, ret);
	if (ret != 0) {
		sb_printf(&sb, ",\"error\":");
		sb_str(&sb, strerror(-ret));
	}
	app_cmd_ports(&sb);
	sb_printf(&sb, "}");
	sb_emit(&sb);
}

/*
 * `dev_remove [BDF]`: rte_eal_hotplug_remove("pci", BDF) (default: the
 * function of the app's port), as an application unplugs a device without
 * closing its ports first. On its own function the app keeps off the port
 * from here on (the main loop is here, not polling). In a secondary, EAL
 * carries the removal out in the primary, which has every process remove it.
 */
static void
app_cmd_dev_remove(const char *cmd, char **argv, int argc)
{
	const char *name = argc > 1 ? argv[1] : app.device_name;
	bool own = strcmp(name, app.device_name) == 0;
	int ret;

	if (argc > 2) {
		app_cmd_reply(cmd, -EINVAL, "usage: dev_remove [PCI_ADDRESS]");
		return;
	}
	if (own)
		rte_atomic_store_explicit(&app.port_closed, 1, rte_memory_order_release);
	ret = rte_eal_hotplug_remove("pci", name);
	if (own && ret != 0 && rte_eth_dev_is_valid_port(app.port))
		rte_atomic_store_explicit(&app.port_closed, 0, rte_memory_order_release);
	app_cmd_reply_ports(cmd, ret);
}

/*
 * `dev_probe DEVARGS`: rte_dev_probe(DEVARGS), e.g. "7870:00:00.0,mac=...":
 * the hot-add of a PCI function (in a primary EAL has every secondary probe
 * it too; in a secondary the primary probes first). Answers the ports then.
 */
static void
app_cmd_dev_probe(const char *cmd, char **argv, int argc)
{
	int ret;

	if (argc != 2) {
		app_cmd_reply(cmd, -EINVAL, "usage: dev_probe DEVARGS");
		return;
	}
	ret = rte_dev_probe(argv[1]);
	app_cmd_reply_ports(cmd, ret);
}

/*
 * `port_adopt [NAME]`: after the app's port was closed or removed, take the
 * port NAME (default: the old port's name, as a hot-added function brings
 * it back) as the app's port: the primary configures, sets up and starts
 * it as at setup; a secondary waits (bounded) for the primary to start it.
 * The flows go on where they were (the packets lost meanwhile are counted).
 */
static void
app_cmd_port_adopt(const char *cmd, char **argv, int argc)
{
	const char *name = argc > 1 ? argv[1] : app.port_name;
	struct rte_eth_dev_info info;
	struct sb sb;
	uint16_t port;
	int ret;

	if (argc > 2) {
		app_cmd_reply(cmd, -EINVAL, "usage: port_adopt [NAME]");
		return;
	}
	if (!rte_atomic_load_explicit(&app.port_closed, rte_memory_order_acquire)) {
		app_cmd_reply(cmd, -EBUSY, "the app's port is open");
		return;
	}
	ret = rte_eth_dev_get_port_by_name(name, &port);
	if (ret != 0) {
		app_cmd_reply(cmd, -ENODEV, "no such port");
		return;
	}
	app.port = port;
	snprintf(app.port_name, sizeof(app.port_name), "%s", name);
	ret = rte_eth_dev_info_get(port, &info);
	if (ret == 0)
		snprintf(app.device_name, sizeof(app.device_name), "%s", rte_dev_name(info.device));
	if (ret == 0 && app.cfg.events)
		ret = app_register_events();
	if (ret == 0)
		ret = app.primary ? app_port_bringup() : app_wait_started();
	if (ret == 0) {
		app.port_stopped = false;
		/* An --on-failed close kept the main loop off the old port; poll again. */
		rte_atomic_store_explicit(&app.poll_block_req, 0, rte_memory_order_release);
		rte_atomic_store_explicit(&app.on_failed_done, APP_ON_FAILED_IDLE,
					  rte_memory_order_release);
		rte_atomic_store_explicit(&app.port_closed, 0, rte_memory_order_release);
	}
	app_cmd_begin(&sb, cmd, ret);
	sb_printf(&sb, ",\"port\":%u,\"device\":", port);
	sb_str(&sb, app.device_name);
	sb_printf(&sb, "}");
	sb_emit(&sb);
}

static void
app_cmd_exec(char *line)
{
	char *argv[APP_CMD_MAX_ARGS];
	char *save = NULL, *tok;
	const char *cmd;
	struct sb sb;
	int argc = 0;
	long v;
	int ret;

	for (tok = strtok_r(line, " \t\r", &save); tok != NULL && argc < APP_CMD_MAX_ARGS;
	     tok = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = tok;
	if (argc == 0)
		return;
	cmd = argv[0];

	if (strcmp(cmd, "stop") == 0) {
		app_cmd_reply(cmd, 0, NULL);
		app_begin_stop();
	} else if (strcmp(cmd, "pause") == 0) {
		app.sending = false;
		app_cmd_reply(cmd, 0, NULL);
	} else if (strcmp(cmd, "resume") == 0) {
		app.sending = !app.stopping && app.cfg.nb_own > 0;
		app_cmd_reply(cmd, app.sending ? 0 : -EINVAL, NULL);
	} else if (strcmp(cmd, "hold") == 0) {
		/* Commands run between bursts: none is in progress now. */
		app.held = true;
		app_cmd_reply(cmd, 0, NULL);
	} else if (strcmp(cmd, "release") == 0) {
		app.held = false;
		app_cmd_reply(cmd, 0, NULL);
	} else if (strcmp(cmd, "port_stop") == 0) {
		if (app_cmd_port_open(cmd)) {
			ret = rte_eth_dev_stop(app.port);
			if (ret == 0 && app.primary)
				app.port_stopped = true;
			app_cmd_ret(cmd, ret);
		}
	} else if (strcmp(cmd, "port_start") == 0) {
		if (app_cmd_port_open(cmd)) {
			ret = rte_eth_dev_start(app.port);
			if (ret == 0)
				app.port_stopped = false;
			app_cmd_ret(cmd, ret);
		}
	} else if (strcmp(cmd, "port_close") == 0) {
		if (app_cmd_port_open(cmd)) {
			int stop_ret;

			/* The main loop is here, not polling: no handshake needed. */
			ret = app_close_port(&stop_ret);
			app_cmd_begin(&sb, cmd, ret);
			sb_printf(&sb, ",\"stop\":%d}", stop_ret);
			sb_emit(&sb);
		}
	} else if (strcmp(cmd, "configure") == 0) {
		if (app_cmd_port_open(cmd)) {
			ret = rte_eth_dev_configure(app.port, app.cfg.queues, app.cfg.queues,
						    &app.port_conf);
			app_cmd_ret(cmd, ret);
		}
	} else if (strcmp(cmd, "rxq_setup") == 0) {
		if (app_cmd_port_open(cmd)) {
			ret = rte_eth_rx_queue_setup(app.port, 0, app.cfg.desc, rte_socket_id(),
						     NULL, app.rx_pool);
			app_cmd_ret(cmd, ret);
		}
	} else if (strcmp(cmd, "queues_setup") == 0) {
		/* As at start (after a failed configure ethdev has released them all). */
		if (app_cmd_port_open(cmd))
			app_cmd_ret(cmd, app_queues_setup());
	} else if (strcmp(cmd, "ring") == 0) {
		if (app_cmd_num(argc > 1 ? argv[1] : NULL, 0, UINT16_MAX, &v) != 0) {
			app_cmd_reply(cmd, -EINVAL, "usage: ring QUEUE");
		} else if (app_cmd_port_open(cmd)) {
			ret = rte_pmd_mana_mpr_test_ring_doorbell(app.port, (uint16_t)v);
			app_cmd_ret(cmd, ret);
		}
	} else if (strcmp(cmd, "send_raw") == 0) {
		long type, len, nfds, gen;

		if (argc != 5 || app_cmd_num(argv[1], 0, UINT16_MAX, &type) != 0 ||
		    app_cmd_num(argv[2], 0, 256, &len) != 0 ||
		    app_cmd_num(argv[3], 0, 8, &nfds) != 0 ||
		    app_cmd_num(argv[4], 0, UINT32_MAX, &gen) != 0) {
			app_cmd_reply(cmd, -EINVAL, "usage: send_raw TYPE LEN NFDS GENERATION");
		} else if (app_cmd_port_open(cmd)) {
			ret = rte_pmd_mana_mpr_test_send_raw(app.port, (uint16_t)type, (int)len,
							 (int)nfds, (uint32_t)gen);
			app_cmd_ret(cmd, ret);
		}
	} else if (strcmp(cmd, "mtu") == 0) {
		if (app_cmd_num(argc > 1 ? argv[1] : NULL, 0, UINT16_MAX, &v) != 0)
			app_cmd_reply(cmd, -EINVAL, "usage: mtu BYTES");
		else if (app_cmd_port_open(cmd))
			app_cmd_ret(cmd, rte_eth_dev_set_mtu(app.port, (uint16_t)v));
	} else if (strcmp(cmd, "rss_hf") == 0) {
		app_cmd_rss_hf(argv, argc);
	} else if (strcmp(cmd, "inject") == 0) {
		app_cmd_inject(argv, argc);
	} else if (strcmp(cmd, "free_kept") == 0) {
		/*
		 * The pools `tx_pools N keep` replaced, freed now (port open or
		 * not) - those whose mbufs are all back; the others are kept.
		 */
		unsigned int k, kept = 0, freed = 0;

		for (k = 0; k < app_nb_kept_pools; k++) {
			if (rte_mempool_full(app_kept_pools[k])) {
				rte_mempool_free(app_kept_pools[k]);
				freed++;
			} else {
				app_kept_pools[kept++] = app_kept_pools[k];
			}
		}
		app_nb_kept_pools = kept;
		app_cmd_begin(&sb, cmd, 0);
		sb_printf(&sb, ",\"freed\":%u,\"kept\":%u}", freed, kept);
		sb_emit(&sb);
	} else if (strcmp(cmd, "extbuf") == 0) {
		if (argc != 2 || (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0))
			app_cmd_reply(cmd, -EINVAL, "usage: extbuf on|off");
		else {
			app_cmd_begin(&sb, cmd, app_extbuf_enable(strcmp(argv[1], "on") == 0));
			/* Packets from external slots not freed yet (sent or in a ring). */
			sb_printf(&sb, ",\"busy\":%u}", app_extbuf_busy());
			sb_emit(&sb);
		}
	} else if (strcmp(cmd, "dev_remove") == 0) {
		app_cmd_dev_remove(cmd, argv, argc);
	} else if (strcmp(cmd, "dev_probe") == 0) {
		app_cmd_dev_probe(cmd, argv, argc);
	} else if (strcmp(cmd, "port_adopt") == 0) {
		app_cmd_port_adopt(cmd, argv, argc);
	} else if (strcmp(cmd, "tx_pools") == 0) {
		app_cmd_tx_pools(cmd, argv, argc);
	} else if (strcmp(cmd, "tx_burst") == 0) {
		app_cmd_tx_burst(cmd, argv, argc);
	} else if (strcmp(cmd, "starve") == 0) {
		app_cmd_starve(cmd);
	} else if (strcmp(cmd, "feed") == 0) {
		app_cmd_reply(cmd, app_starved != NULL ? 0 : -EINVAL,
			      app_starved != NULL ? NULL : "not starved");
		app_cmd_feed();
	} else if (strcmp(cmd, "hold_heap") == 0) {
		app_cmd_hold_heap(cmd);
	} else if (strcmp(cmd, "wedge_pool") == 0) {
		app_cmd_wedge_pool(cmd, argc > 1 ? argv[1] : NULL);
	} else if (strcmp(cmd, "mempools") == 0) {
		app_cmd_begin(&sb, cmd, 0);
		sb_printf(&sb, ",\"mempools\":");
		app_json_mempools(&sb);
		sb_printf(&sb, "}");
		sb_emit(&sb);
	} else if (strcmp(cmd, "port_calls") == 0) {
		app_cmd_port_calls();
	} else if (strcmp(cmd, "mp_stall") == 0) {
		ret = app_cmd_num(argc > 1 ? argv[1] : NULL, 0, 60000, &v);
		if (ret == 0)
			ret = rte_pmd_mana_mpr_test_stall_mp(app.port, (uint32_t)v);
		app_cmd_reply(cmd, ret, ret == 0 ? NULL : "mp_stall MS (0..60000)");
	} else if (strcmp(cmd, "cb_sleep") == 0) {
		int event = argc > 2 ? app_event_parse(argv[2]) : -1;

		ret = app_cmd_num(argc > 1 ? argv[1] : NULL, 1, 60000, &v);
		if (ret == 0 && (argc > 3 || (argc > 2 && event < 0)))
			ret = -EINVAL;
		if (ret == 0) {
			rte_atomic_store_explicit(&app.cb_sleep_event, event,
						  rte_memory_order_relaxed);
			rte_atomic_store_explicit(&app.cb_sleep_ms, (uint32_t)v,
						  rte_memory_order_relaxed);
		}
		app_cmd_reply(cmd, ret, ret == 0 ? NULL :
			      "cb_sleep MS (1..60000) [ERR_RECOVERING|RECOVERY_SUCCESS|"
			      "RECOVERY_FAILED|INTR_RMV|DESTROY]");
	} else if (strcmp(cmd, "close_wait") == 0) {
		ret = app_cmd_num(argc > 1 ? argv[1] : NULL, 1, 60000, &v);
		if (ret == 0)
			ret = rte_pmd_mana_mpr_test_close_wait_release(app.port, (uint32_t)v);
		app_cmd_reply(cmd, ret, ret == 0 ? NULL : "close_wait MS (1..60000), secondary");
	} else if (strcmp(cmd, "state") == 0) {
		app_cmd_state();
	} else if (strcmp(cmd, "stats") == 0) {
		app_cmd_begin(&sb, cmd, 0);
		sb_printf(&sb, ",\"stats\":");
		app_json_stats(&sb);
		sb_printf(&sb, "}");
		sb_emit(&sb);
	} else if (strcmp(cmd, "flows") == 0) {
		app_cmd_begin(&sb, cmd, 0);
		sb_printf(&sb, ",");
		app_json_flows(&sb);
		sb_printf(&sb, "}");
		sb_emit(&sb);
	} else {
		app_cmd_reply(cmd, -EINVAL, "unknown command");
	}
}

void
app_cmd_poll(void)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char *nl;
	ssize_t n;

	if (!app.stdin_open)
		return;
	if (poll(&pfd, 1, 0) <= 0)
		return;
	if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
		return;
	}
	n = read(STDIN_FILENO, app_cmd_buf + app_cmd_len, sizeof(app_cmd_buf) - app_cmd_len - 1);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		app.stdin_open = false;
		/* A harness that goes away closes the pipe: finish cleanly. */
		if (app.stdin_is_pipe) {
			app_log("end of stdin: stopping");
			app_begin_stop();
		}
		return;
	}
	app_cmd_len += (size_t)n;
	app_cmd_buf[app_cmd_len] = '\0';
	while ((nl = strchr(app_cmd_buf, '\n')) != NULL) {
		size_t used = (size_t)(nl - app_cmd_buf) + 1;

		*nl = '\0';
		if (app_cmd_discard)
			app_cmd_discard = false;
		else if (strlen(app_cmd_buf) > APP_CMD_MAX_LINE)
			app_cmd_reply("?", -E2BIG, "command line too long");
		else
			app_cmd_exec(app_cmd_buf);
		memmove(app_cmd_buf, app_cmd_buf + used, app_cmd_len - used + 1);
		app_cmd_len -= used;
	}
	if (app_cmd_len == sizeof(app_cmd_buf) - 1) {
		/* No newline in a full buffer: drop it and the rest of that line. */
		app_cmd_reply("?", -E2BIG, "command line too long");
		app_cmd_len = 0;
		app_cmd_discard = true;
	}
}
