/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * mana-traffic: a DPDK primary or secondary that sends and counts
 * sequence-numbered flows through net_mana_mpr (see usage() for everything).
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include <rte_pmd_mana_mpr.h>

#include "app.h"

#define APP_IDLE_US		200
#define APP_DEFAULT_DESC	256	/* the largest ring rdma-core < 49 accepts */
#define APP_CB_WAIT_MS		2000
#define APP_RX_POOL		"mtrf_rx"

struct app app;

static volatile sig_atomic_t app_signalled;

static void
usage(const char *prog)
{
	printf(
"Usage: %s [EAL options] -- [options]\n"
"\n"
"Sends and counts sequence-numbered UDP flows through port 0 (the first ethdev).\n"
"Primary (--proc-type=primary): creates the Rx mempool, configures --queues Rx = Tx\n"
"queues with RSS over IPv4+UDP, starts the port. Secondary: waits (bounded) until the\n"
"primary has started the port, creates its own Tx mempool (mtrf_tx_<pid>). Every\n"
"process transmits on and polls the queues it owns; each flow is steered by RSS back\n"
"to the queue it is sent on (loopback), so every process counts its own flows.\n"
"\n"
"Options:\n"
"  --queues N          primary: number of Rx = Tx queues (default 1)\n"
"  --desc D            ring size (default %u)\n"
"  --mbufs M           size of each mempool this process creates (default: computed)\n"
"  --own LIST          queues this process polls and sends on, e.g. 0,2-3 (may be empty;\n"
"                      default: all queues in the primary, none in a secondary)\n"
"  --rate PPS          per owned queue (default 20000; 0: as fast as possible)\n"
"  --flows F           flows per owned queue (default 2, max %u)\n"
"  --size BYTES        frame size without CRC (default 128; at least %u is used)\n"
"  --segs S            Tx segments per packet (default 1)\n"
"  --burst B           burst size (default 32)\n"
"  --rx-burst B        Rx burst size (default: --burst)\n"
"  --status-ms MS      status line period (default 200; 0: none)\n"
"  --drain-ms MS       at `stop`, how long to keep receiving (default 300)\n"
"  --start-timeout-ms MS  secondary: wait for the port to start (default 10000)\n"
"  --duration-ms MS    behave as if `stop` arrived after MS (default: never)\n"
"  --events            print ERR_RECOVERING, RECOVERY_SUCCESS, RECOVERY_FAILED, INTR_RMV\n"
"  --on-failed none|close|netvsc  on RECOVERY_FAILED or INTR_RMV (netvsc: on INTR_RMV only,\n"
"                      as netvsc removes its VF in DPDK 22.11-25.11), from inside the callback:\n"
"                      stop polling, then close the port (primary: stop + close; implies\n"
"                      --events)\n"
"  --on-recovering none|stop  primary: on ERR_RECOVERING, from inside the callback: stop\n"
"                      polling, rte_eth_dev_stop, resume the main loop (implies --events)\n"
"  --stop-port auto|always|never  primary at `stop`: stop the port before the final\n"
"                      report (auto: only when no other process is attached; default)\n"
"  --leave-open        at `stop`, do not close the port: rte_eal_cleanup() removes it\n"
"  --keep-doorbell     ignore UNMAP_DB (rte_pmd_mana_mpr_test_keep_doorbell: a protocol\n"
"                      violation, for tests)\n"
"  --no-verify         do not check packet contents (checksum, lengths, padding)\n"
"  --held              start held, as after `hold`: no burst call until `release`\n"
"  --tx-pool-ops NAME  mempool driver of this process's Tx pools (default: EAL's)\n"
"  --proc-id K         stamped into packets (default: the main lcore id)\n"
"  --idle-us US        sleep when a loop found nothing to do and nothing due (default %u)\n"
"  --vlan ID           send every packet with VLAN ID (1..4094) by Tx VLAN insert\n"
"                      offload; check every received packet carries it (in the mbuf\n"
"                      when stripped, else in the frame, where it is then removed)\n"
"  --vlan-strip        primary: request Rx VLAN strip\n"
"  --dev-event-monitor start EAL's device event monitor (rte_dev_event_monitor_start; not\n"
"                      rte_dev_hotplug_handle_enable, which does nothing for a device no\n"
"                      UIO/VFIO driver owns) and print every device event\n"
"                      {\"ev\":\"dev_event\",...}\n"
"  --fast-free         primary: request RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE (every process\n"
"                      sends from one pool of its own, direct mbufs of reference count 1)\n"
"  --extra-mempool-ops register a mempool driver of this binary's own before rte_eal_init,\n"
"                      so that the drivers loaded later get other indices than in a\n"
"                      process without it (a process built differently; for tests)\n"
"  --help\n"
"\n"
"Commands, one per line on stdin; each answers {\"ev\":\"cmd\",\"cmd\":...,\"ret\":...}:\n"
"  stop                stop sending, receive until every flow is complete or --drain-ms,\n"
"                      print {\"ev\":\"final\",...} and exit. At stop the primary stops the\n"
"                      port first when it is the last user (see --stop-port) so that every\n"
"                      mbuf is back in its pool, and closes it before exiting; a secondary\n"
"                      closes its port (detaches from the primary) and exits. Secondaries\n"
"                      never free their Tx pool: the port may still hold their mbufs.\n"
"  pause | resume      stop / restart sending\n"
"  hold | release      stop / restart polling and sending: after `hold` has answered, this\n"
"                      process makes no burst call (it is outside every queue) until `release`\n"
"  tx_burst N [BAD [short|empty]]\n"
"                      one Tx burst of N packets of the first owned queue; with BAD, one\n"
"                      more at index BAD: an 8-byte frame (short: the device fails it) or\n"
"                      an empty one (empty: the PMD drops it)\n"
"  starve | feed        take every free mbuf of the Rx pool, and those freed later / give\n"
"                      them back\n"
"  port_stop | port_start | port_close | configure | rxq_setup\n"
"                      the ethdev call, with the return code (rxq_setup: queue 0)\n"
"  queues_setup        rte_eth_rx/tx_queue_setup of every queue, as at start\n"
"  free_kept           free the pools `tx_pools N keep` replaced (also after port_close)\n"
"  extbuf on|off       send single-segment packets from external buffers (rte_malloc\n"
"                      memory no mempool owns; not with resets)\n"
"  port_calls          ethdev and driver calls on the port, even after it was closed\n"
"  cb_sleep MS [EVENT] the next event callback (of EVENT, e.g. INTR_RMV) sleeps MS ms\n"
"                      (a busy interrupt thread)\n"
"  mp_stall MS         the primary's next message for the port waits MS ms first (a\n"
"                      busy interrupt thread: rte_pmd_mana_mpr_test_stall_mp)\n"
"  ring Q              rte_pmd_mana_mpr_test_ring_doorbell(port, Q)\n"
"  close_wait MS       secondary: rte_pmd_mana_mpr_test_close_wait_release(port, MS): the\n"
"                      next close of the port waits until the primary's close released it\n"
"  mtu BYTES           rte_eth_dev_set_mtu\n"
"  rss_hf LIST         rte_eth_dev_rss_hash_update with LIST of ipv4,udp4,tcp4,ipv6,udp6,\n"
"                      tcp6 (the key kept); answers the types in force after it\n"
"  send_raw T L N G    primary: rte_pmd_mana_mpr_test_send_raw(port, T, L, N, G)\n"
"  inject KIND [ARGS]  mana_sim_inject on the port's device: reset [DOWN_MS] | remove |\n"
"                      fail_open [COUNT|inf] | fatal_in_recovery DELAY_MS [DOWN_MS] |\n"
"                      event_delay DELAY_MS\n"
"  dev_remove [BDF]    rte_eal_hotplug_remove(\"pci\", BDF), default the port's function;\n"
"                      the app keeps off its port if it was that function's\n"
"  dev_probe DEVARGS   rte_dev_probe(DEVARGS) (hot-add); answers the ports then\n"
"  port_adopt [NAME]   take port NAME (default: the port's old name) after the port was\n"
"                      closed or removed: primary configures and starts it, a secondary\n"
"                      waits for that\n"
"  mempools | state | stats | flows\n"
"SIGINT/SIGTERM and end of stdin (when it is a pipe) act as `stop`.\n"
"\n"
"Output: one JSON object per line on stdout (ready, status, event, closed, cmd, final);\n"
"\"t\" is seconds since start; status, event, closed and cmd lines also carry \"mono\",\n"
"CLOCK_MONOTONIC seconds (comparable across processes and with the PMD's timestamps).\n"
"Exit codes: 0 ok, 1 usage, 2 setup failure, 3 runtime failure.\n",
	       prog, APP_DEFAULT_DESC, APP_MAX_FLOWS_PER_Q, MTRF_MIN_FRAME, APP_IDLE_US);
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "0,2-3" -> queue ids. */
static int
parse_list(const char *s, uint16_t *ids, uint16_t *n)
{
	char buf[512];
	char *tok, *save = NULL;
	bool seen[APP_MAX_QUEUES] = { false };

	*n = 0;
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint64_t lo, hi, v;

		if (dash != NULL) {
			*dash = '\0';
			if (parse_u64(tok, 0, APP_MAX_QUEUES - 1, &lo) != 0 ||
			    parse_u64(dash + 1, lo, APP_MAX_QUEUES - 1, &hi) != 0)
				return -EINVAL;
		} else {
			if (parse_u64(tok, 0, APP_MAX_QUEUES - 1, &lo) != 0)
				return -EINVAL;
			hi = lo;
		}
		for (v = lo; v <= hi; v++) {
			if (seen[v])
				return -EINVAL;
			seen[v] = true;
			ids[(*n)++] = (uint16_t)v;
		}
	}
	return 0;
}

enum {
	OPT_QUEUES = 256, OPT_DESC, OPT_MBUFS, OPT_OWN, OPT_RATE, OPT_FLOWS, OPT_SIZE, OPT_SEGS,
	OPT_BURST, OPT_STATUS_MS, OPT_DRAIN_MS, OPT_START_TIMEOUT_MS, OPT_DURATION_MS, OPT_EVENTS,
	OPT_ON_FAILED, OPT_STOP_PORT, OPT_LEAVE_OPEN, OPT_KEEP_DOORBELL, OPT_NO_VERIFY, OPT_HELD,
	OPT_TX_POOL_OPS,
	OPT_PROC_ID, OPT_IDLE_US, OPT_RX_BURST, OPT_VLAN, OPT_VLAN_STRIP, OPT_EXTRA_MEMPOOL_OPS,
	OPT_ON_RECOVERING, OPT_DEV_EVENT_MONITOR, OPT_FAST_FREE,
	OPT_HELP,
};

static const struct option app_opts[] = {
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "desc", required_argument, NULL, OPT_DESC },
	{ "mbufs", required_argument, NULL, OPT_MBUFS },
	{ "own", required_argument, NULL, OPT_OWN },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "segs", required_argument, NULL, OPT_SEGS },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "status-ms", required_argument, NULL, OPT_STATUS_MS },
	{ "drain-ms", required_argument, NULL, OPT_DRAIN_MS },
	{ "start-timeout-ms", required_argument, NULL, OPT_START_TIMEOUT_MS },
	{ "duration-ms", required_argument, NULL, OPT_DURATION_MS },
	{ "events", no_argument, NULL, OPT_EVENTS },
	{ "on-failed", required_argument, NULL, OPT_ON_FAILED },
	{ "stop-port", required_argument, NULL, OPT_STOP_PORT },
	{ "leave-open", no_argument, NULL, OPT_LEAVE_OPEN },
	{ "keep-doorbell", no_argument, NULL, OPT_KEEP_DOORBELL },
	{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
	{ "held", no_argument, NULL, OPT_HELD },
	{ "tx-pool-ops", required_argument, NULL, OPT_TX_POOL_OPS },
	{ "proc-id", required_argument, NULL, OPT_PROC_ID },
	{ "idle-us", required_argument, NULL, OPT_IDLE_US },
	{ "rx-burst", required_argument, NULL, OPT_RX_BURST },
	{ "vlan", required_argument, NULL, OPT_VLAN },
	{ "vlan-strip", no_argument, NULL, OPT_VLAN_STRIP },
	{ "fast-free", no_argument, NULL, OPT_FAST_FREE },
	{ "extra-mempool-ops", no_argument, NULL, OPT_EXTRA_MEMPOOL_OPS },
	{ "on-recovering", required_argument, NULL, OPT_ON_RECOVERING },
	{ "dev-event-monitor", no_argument, NULL, OPT_DEV_EVENT_MONITOR },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int
parse_args(int argc, char **argv, struct app_cfg *cfg)
{
	uint64_t v = 0;
	int opt, ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->queues = 1;
	cfg->desc = APP_DEFAULT_DESC;
	cfg->rate = 20000;
	cfg->flows = 2;
	cfg->size = 128;
	cfg->segs = 1;
	cfg->burst = 32;
	cfg->status_ms = 200;
	cfg->drain_ms = 300;
	cfg->start_timeout_ms = 10000;
	cfg->verify = true;
	cfg->proc_id = -1;
	cfg->idle_us = APP_IDLE_US;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", app_opts, NULL)) != -1) {
		ret = 0;
		switch (opt) {
		case OPT_QUEUES:
			ret = parse_u64(optarg, 1, APP_MAX_QUEUES, &v);
			cfg->queues = (uint16_t)v;
			break;
		case OPT_DESC:
			ret = parse_u64(optarg, 64, 8192, &v);
			cfg->desc = (uint16_t)v;
			break;
		case OPT_MBUFS:
			ret = parse_u64(optarg, 64, 4u << 20, &v);
			cfg->mbufs = (uint32_t)v;
			break;
		case OPT_OWN:
			ret = parse_list(optarg, cfg->own, &cfg->nb_own);
			cfg->own_given = true;
			break;
		case OPT_RATE:
			ret = parse_u64(optarg, 0, 100000000, &cfg->rate);
			break;
		case OPT_FLOWS:
			ret = parse_u64(optarg, 1, APP_MAX_FLOWS_PER_Q, &v);
			cfg->flows = (uint16_t)v;
			break;
		case OPT_SIZE:
			ret = parse_u64(optarg, 64, MTRF_MAX_FRAME, &v);
			cfg->size = (uint32_t)v;
			break;
		case OPT_SEGS:
			ret = parse_u64(optarg, 1, MTRF_MAX_SEGS, &v);
			cfg->segs = (uint16_t)v;
			break;
		case OPT_BURST:
			ret = parse_u64(optarg, 1, APP_MAX_BURST, &v);
			cfg->burst = (uint16_t)v;
			break;
		case OPT_STATUS_MS:
			ret = parse_u64(optarg, 0, 3600000, &v);
			cfg->status_ms = (uint32_t)v;
			break;
		case OPT_DRAIN_MS:
			ret = parse_u64(optarg, 0, 3600000, &v);
			cfg->drain_ms = (uint32_t)v;
			break;
		case OPT_START_TIMEOUT_MS:
			ret = parse_u64(optarg, 0, 3600000, &v);
			cfg->start_timeout_ms = (uint32_t)v;
			break;
		case OPT_DURATION_MS:
			ret = parse_u64(optarg, 1, UINT32_MAX, &cfg->duration_ms);
			break;
		case OPT_EVENTS:
			cfg->events = true;
			break;
		case OPT_DEV_EVENT_MONITOR:
			cfg->dev_event_monitor = true;
			break;
		case OPT_ON_FAILED:
			if (strcmp(optarg, "none") == 0)
				cfg->on_failed = APP_ON_FAILED_NONE;
			else if (strcmp(optarg, "close") == 0)
				cfg->on_failed = APP_ON_FAILED_CLOSE;
			else if (strcmp(optarg, "netvsc") == 0)
				cfg->on_failed = APP_ON_FAILED_NETVSC;
			else
				ret = -EINVAL;
			break;
		case OPT_STOP_PORT:
			if (strcmp(optarg, "auto") == 0)
				cfg->stop_port = APP_STOP_PORT_AUTO;
			else if (strcmp(optarg, "always") == 0)
				cfg->stop_port = APP_STOP_PORT_ALWAYS;
			else if (strcmp(optarg, "never") == 0)
				cfg->stop_port = APP_STOP_PORT_NEVER;
			else
				ret = -EINVAL;
			break;
		case OPT_LEAVE_OPEN:
			cfg->leave_open = true;
			break;
		case OPT_KEEP_DOORBELL:
			cfg->keep_doorbell = true;
			break;
		case OPT_NO_VERIFY:
			cfg->verify = false;
			break;
		case OPT_HELD:
			cfg->start_held = true;
			break;
		case OPT_TX_POOL_OPS:
			cfg->tx_pool_ops = optarg;
			break;
		case OPT_PROC_ID:
			ret = parse_u64(optarg, 0, UINT16_MAX, &v);
			cfg->proc_id = (int)v;
			break;
		case OPT_RX_BURST:
			ret = parse_u64(optarg, 1, APP_MAX_BURST, &v);
			cfg->rx_burst = (uint16_t)v;
			break;
		case OPT_VLAN:
			ret = parse_u64(optarg, 1, 4094, &v);
			cfg->vlan = (uint16_t)v;
			break;
		case OPT_VLAN_STRIP:
			cfg->vlan_strip = true;
			break;
		case OPT_FAST_FREE:
			cfg->fast_free = true;
			break;
		case OPT_EXTRA_MEMPOOL_OPS:	/* acted on before rte_eal_init */
			break;
		case OPT_ON_RECOVERING:
			if (strcmp(optarg, "none") == 0)
				cfg->stop_on_recovering = false;
			else if (strcmp(optarg, "stop") == 0)
				cfg->stop_on_recovering = true;
			else
				ret = -EINVAL;
			break;
		case OPT_IDLE_US:
			ret = parse_u64(optarg, 1, 100000, &v);
			cfg->idle_us = (uint32_t)v;
			break;
		default:
			return -EINVAL;
		}
		if (ret != 0) {
			app_log("bad value for --%s: '%s'", app_opts[opt - OPT_QUEUES].name,
				optarg);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		app_log("unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (cfg->on_failed != APP_ON_FAILED_NONE || cfg->stop_on_recovering)
		cfg->events = true;
	if (mtrf_frame_len(cfg->size) < cfg->segs) {
		app_log("--segs %u exceeds the frame length", cfg->segs);
		return -EINVAL;
	}
	return 0;
}

static const char *
app_event_name(enum rte_eth_event_type event)
{
	switch (event) {
	case RTE_ETH_EVENT_ERR_RECOVERING: return "ERR_RECOVERING";
	case RTE_ETH_EVENT_RECOVERY_SUCCESS: return "RECOVERY_SUCCESS";
	case RTE_ETH_EVENT_RECOVERY_FAILED: return "RECOVERY_FAILED";
	case RTE_ETH_EVENT_INTR_RMV: return "INTR_RMV";
	case RTE_ETH_EVENT_DESTROY: return "DESTROY";
	default: return "OTHER";
	}
}

int
app_event_parse(const char *name)
{
	static const enum rte_eth_event_type known[] = {
		RTE_ETH_EVENT_ERR_RECOVERING, RTE_ETH_EVENT_RECOVERY_SUCCESS,
		RTE_ETH_EVENT_RECOVERY_FAILED, RTE_ETH_EVENT_INTR_RMV, RTE_ETH_EVENT_DESTROY,
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(known); i++) {
		if (strcmp(name, app_event_name(known[i])) == 0)
			return (int)known[i];
	}
	return -1;
}

static bool
app_port_usable(void)
{
	return !app.port_stopped && !app.held &&
	       !rte_atomic_load_explicit(&app.port_closed, rte_memory_order_acquire) &&
	       !rte_atomic_load_explicit(&app.poll_blocked, rte_memory_order_acquire);
}

/*
 * Close the port: ethdev refuses to close a started port in the primary, so
 * the primary stops it first. The caller makes sure nobody polls meanwhile.
 */
int
app_close_port(int *stop_ret)
{
	int ret;

	*stop_ret = 0;
	rte_atomic_store_explicit(&app.port_closed, 1, rte_memory_order_release);
	if (app.primary && !app.port_stopped) {
		*stop_ret = rte_eth_dev_stop(app.port);
		if (*stop_ret != 0)
			app_log("rte_eth_dev_stop: %s", strerror(-*stop_ret));
		else
			app.port_stopped = true;
	}
	/* A secondary's port is released by the PMD when the primary closes it. */
	if (!app.primary && !rte_eth_dev_is_valid_port(app.port)) {
		app_log("port %u already released (closed by the primary)", app.port);
		return 0;
	}
	ret = rte_eth_dev_close(app.port);
	/* A secondary's close of a port the primary closed (or is closing): gone. */
	if (!app.primary && ret == -ENODEV) {
		app_log("port %u closed by the primary; released", app.port);
		return 0;
	}
	if (ret != 0)
		app_log("rte_eth_dev_close: %s", strerror(-ret));
	return ret;
}

/* ------------------------------------------------------------------ */
/* Event callbacks (EAL interrupt thread).                              */

static void
app_on_failed_close(enum rte_eth_event_type event)
{
	uint64_t start = rte_rdtsc();
	uint64_t limit = start + app.hz * APP_CB_WAIT_MS / 1000;
	int stop_ret, close_ret;
	bool blocked;
	struct sb sb;

	/* The main loop stops polling before we pull the port from under it. */
	rte_atomic_store_explicit(&app.poll_block_req, 1, rte_memory_order_release);
	while (!(blocked = rte_atomic_load_explicit(&app.poll_blocked, rte_memory_order_acquire)) &&
	       rte_rdtsc() < limit)
		rte_delay_us_sleep(100);
	if (!blocked)
		app_log("main loop did not stop polling within %u ms", APP_CB_WAIT_MS);
	close_ret = app_close_port(&stop_ret);

	sb_init(&sb);
	sb_printf(&sb, "{\"ev\":\"closed\",\"by\":\"callback\",\"event\":\"%s\",\"t\":%.3f,"
		  "\"mono\":%.6f,\"pid\":%d,\"role\":\"%s\",\"polling_stopped\":%s,"
		  "\"wait_us\":%.0f,\"stop\":%d,\"close\":%d}", app_event_name(event), app_now_s(),
		  app_mono_s(), app.pid, app.role, blocked ? "true" : "false",
		  (double)(rte_rdtsc() - start) * 1e6 / (double)app.hz, stop_ret, close_ret);
	sb_emit(&sb);
}

/*
 * --on-recovering stop: stop the port from inside the ERR_RECOVERING
 * callback, the main loop kept off the port meanwhile; it runs on as with
 * `port_stop` (commands, status; no bursts until `port_start`).
 */
static void
app_on_recovering_stop(void)
{
	uint64_t start = rte_rdtsc();
	uint64_t limit = start + app.hz * APP_CB_WAIT_MS / 1000;
	uint64_t t_stop;
	bool blocked;
	int ret;
	struct sb sb;

	rte_atomic_store_explicit(&app.poll_block_req, 1, rte_memory_order_release);
	while (!(blocked = rte_atomic_load_explicit(&app.poll_blocked, rte_memory_order_acquire)) &&
	       rte_rdtsc() < limit)
		rte_delay_us_sleep(100);
	if (!blocked)
		app_log("main loop did not stop polling within %u ms", APP_CB_WAIT_MS);
	t_stop = rte_rdtsc();
	ret = rte_eth_dev_stop(app.port);
	t_stop = rte_rdtsc() - t_stop;
	if (ret == 0)
		app.port_stopped = true;
	else
		app_log("rte_eth_dev_stop: %s", strerror(-ret));
	/* The main loop clears poll_blocked itself when it sees this. */
	rte_atomic_store_explicit(&app.poll_block_req, 0, rte_memory_order_release);

	sb_init(&sb);
	sb_printf(&sb, "{\"ev\":\"stopped\",\"by\":\"callback\",\"event\":\"ERR_RECOVERING\","
		  "\"t\":%.3f,\"mono\":%.6f,\"pid\":%d,\"role\":\"%s\",\"polling_stopped\":%s,"
		  "\"stop_us\":%.0f,\"wait_us\":%.0f,\"stop\":%d}", app_now_s(), app_mono_s(),
		  app.pid, app.role, blocked ? "true" : "false",
		  (double)t_stop * 1e6 / (double)app.hz,
		  (double)(rte_rdtsc() - start) * 1e6 / (double)app.hz, ret);
	sb_emit(&sb);
}

static int
app_event_cb(uint16_t port_id, enum rte_eth_event_type event, void *cb_arg __rte_unused,
	     void *ret_param __rte_unused)
{
	uint32_t sleep_ms;
	int32_t sleep_event;
	struct sb sb;

	if (event == RTE_ETH_EVENT_DESTROY) {
		/* Released (our close, or the primary's): keep off the port. */
		rte_atomic_store_explicit(&app.port_closed, 1, rte_memory_order_release);
		sb_init(&sb);
		sb_printf(&sb, "{\"ev\":\"destroy\",\"mono\":%.6f,\"pid\":%d,\"port\":%u}",
			  app_mono_s(), app.pid, port_id);
		sb_emit(&sb);
		return 0;
	}
	sb_init(&sb);
	sb_printf(&sb, "{\"ev\":\"event\",\"type\":\"%s\",\"t\":%.3f,\"mono\":%.6f,\"pid\":%d,"
		  "\"role\":\"%s\",\"port\":%u}", app_event_name(event), app_now_s(), app_mono_s(),
		  app.pid, app.role, port_id);
	sb_emit(&sb);
	sleep_event = rte_atomic_load_explicit(&app.cb_sleep_event, rte_memory_order_relaxed);
	sleep_ms = sleep_event < 0 || sleep_event == (int32_t)event ?
		   rte_atomic_exchange_explicit(&app.cb_sleep_ms, 0, rte_memory_order_relaxed) : 0;
	if (sleep_ms != 0)
		rte_delay_us_sleep(sleep_ms * 1000u);
	if (event == RTE_ETH_EVENT_ERR_RECOVERING && app.cfg.stop_on_recovering && app.primary &&
	    !app.port_stopped)
		app_on_recovering_stop();
	/*
	 * close: on the first of RECOVERY_FAILED and INTR_RMV. netvsc: on
	 * INTR_RMV only, as netvsc's VF removal (drivers/net/netvsc/hn_vf.c)
	 * in DPDK 22.11 to 25.11.
	 */
	if ((app.cfg.on_failed == APP_ON_FAILED_CLOSE &&
	     (event == RTE_ETH_EVENT_RECOVERY_FAILED || event == RTE_ETH_EVENT_INTR_RMV)) ||
	    (app.cfg.on_failed == APP_ON_FAILED_NETVSC && event == RTE_ETH_EVENT_INTR_RMV)) {
		uint32_t idle = APP_ON_FAILED_IDLE;

		/* Once only; the main loop keeps off the port until DONE. */
		if (rte_atomic_compare_exchange_strong_explicit(&app.on_failed_done, &idle,
						APP_ON_FAILED_RUNNING, rte_memory_order_acq_rel,
						rte_memory_order_acquire)) {
			app_on_failed_close(event);
			rte_atomic_store_explicit(&app.on_failed_done, APP_ON_FAILED_DONE,
					 rte_memory_order_release);
		}
	}
	return 0;
}

int
app_register_events(void)
{
	static const enum rte_eth_event_type events[] = {
		RTE_ETH_EVENT_ERR_RECOVERING, RTE_ETH_EVENT_RECOVERY_SUCCESS,
		RTE_ETH_EVENT_RECOVERY_FAILED, RTE_ETH_EVENT_INTR_RMV, RTE_ETH_EVENT_DESTROY,
	};
	unsigned int i;
	int ret;

	for (i = 0; i < RTE_DIM(events); i++) {
		ret = rte_eth_dev_callback_register(app.port, events[i], app_event_cb, NULL);
		if (ret != 0) {
			app_log("cannot register the %s callback: %s", app_event_name(events[i]),
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* --dev-event-monitor: EAL's device events, on the interrupt thread. */
static void
app_dev_event_cb(const char *device_name, enum rte_dev_event_type event, void *arg __rte_unused)
{
	struct sb sb;

	sb_init(&sb);
	sb_printf(&sb, "{\"ev\":\"dev_event\",\"type\":\"%s\",\"mono\":%.6f,\"pid\":%d,"
		  "\"role\":\"%s\",\"device\":",
		  event == RTE_DEV_EVENT_REMOVE ? "remove" :
		  event == RTE_DEV_EVENT_ADD ? "add" : "other", app_mono_s(), app.pid, app.role);
	sb_str(&sb, device_name);
	sb_printf(&sb, "}");
	sb_emit(&sb);
}

static int
app_dev_event_monitor_start(void)
{
	int ret;

	ret = rte_dev_event_callback_register(NULL, app_dev_event_cb, NULL);
	if (ret != 0) {
		app_log("rte_dev_event_callback_register: %s", strerror(-ret));
		return ret;
	}
	ret = rte_dev_event_monitor_start();
	if (ret != 0) {
		app_log("rte_dev_event_monitor_start: %d", ret);
		rte_dev_event_callback_unregister(NULL, app_dev_event_cb, NULL);
		return -EIO;
	}
	return 0;
}

static void
app_dev_event_monitor_stop(void)
{
	unsigned int i;
	int ret;

	if (rte_dev_event_monitor_stop() != 0)
		app_log("rte_dev_event_monitor_stop failed");
	/* -EAGAIN while the callback runs on the interrupt thread: bounded retry. */
	for (i = 0; i < 1000; i++) {
		ret = rte_dev_event_callback_unregister(NULL, app_dev_event_cb, NULL);
		if (ret != -EAGAIN)
			break;
		rte_delay_us_sleep(1000);
	}
}

/* ------------------------------------------------------------------ */
/* Setup.                                                               */

static uint16_t
app_data_room(uint32_t bytes)
{
	return (uint16_t)(RTE_PKTMBUF_HEADROOM +
			  RTE_MAX(bytes, (uint32_t)RTE_MBUF_DEFAULT_DATAROOM));
}

/* @ops: the mempool driver, NULL for EAL's default. */
static struct rte_mempool *
app_pool_create(const char *name, uint32_t n, uint16_t data_room, const char *ops)
{
	uint32_t cache = RTE_MIN(256u, n / 8);
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create_by_ops(name, n, cache, 0, data_room, (int)rte_socket_id(),
					    ops);
	if (mp == NULL)
		app_log("cannot create mempool %s (%u mbufs of %u bytes, driver %s): %s", name, n,
			data_room, ops != NULL ? ops : "default", rte_strerror(rte_errno));
	return mp;
}

int
app_queues_setup(void)
{
	uint16_t q;
	int ret;

	for (q = 0; q < app.cfg.queues; q++) {
		ret = rte_eth_rx_queue_setup(app.port, q, app.cfg.desc, rte_socket_id(), NULL,
					     app.rx_pool);
		if (ret != 0) {
			app_log("rte_eth_rx_queue_setup(%u): %s", q, strerror(-ret));
			return ret;
		}
		ret = rte_eth_tx_queue_setup(app.port, q, app.cfg.desc, rte_socket_id(), NULL);
		if (ret != 0) {
			app_log("rte_eth_tx_queue_setup(%u): %s", q, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Primary: configure, set up the queues and start app.port (at setup, `port_adopt`). */
int
app_port_bringup(void)
{
	struct app_cfg *cfg = &app.cfg;
	int ret;

	ret = rte_eth_dev_configure(app.port, cfg->queues, cfg->queues, &app.port_conf);
	if (ret != 0) {
		app_log("rte_eth_dev_configure(%u queues): %s", cfg->queues, strerror(-ret));
		return ret;
	}
	ret = app_queues_setup();
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_start(app.port);
	if (ret != 0) {
		app_log("rte_eth_dev_start: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

static int
app_setup_primary(void)
{
	struct app_cfg *cfg = &app.cfg;
	uint32_t n = cfg->mbufs;

	if (n == 0)
		n = (uint32_t)cfg->queues * (cfg->desc + 4u * cfg->burst) + 2048;
	app.rx_pool = app_pool_create(APP_RX_POOL, n, app_data_room(mtrf_frame_len(cfg->size)),
				      NULL);
	if (app.rx_pool == NULL)
		return -ENOMEM;

	memset(&app.port_conf, 0, sizeof(app.port_conf));
	app.port_conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	app.port_conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IPV4 |
						    RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	if (cfg->segs > 1)
		app.port_conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (cfg->vlan != 0)
		app.port_conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
	if (cfg->vlan_strip)
		app.port_conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_VLAN_STRIP;
	if (cfg->fast_free)
		app.port_conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	return app_port_bringup();
}

/* Secondary: wait until the primary has started the port. */
int
app_wait_started(void)
{
	uint64_t deadline = rte_rdtsc() + app.hz * app.cfg.start_timeout_ms / 1000;
	struct rte_pmd_mana_mpr_state st;
	int ret;

	for (;;) {
		ret = rte_pmd_mana_mpr_get_state(app.port, &st);
		if (ret != 0) {
			app_log("rte_pmd_mana_mpr_get_state: %s", strerror(-ret));
			return ret;
		}
		if (st.state == RTE_PMD_MANA_MPR_ACTIVE)
			return 0;
		if (st.state == RTE_PMD_MANA_MPR_FAILED || st.state == RTE_PMD_MANA_MPR_CLOSED) {
			app_log("port %u is %s", app.port, rte_pmd_mana_mpr_state_name(st.state));
			return -ENODEV;
		}
		if (rte_rdtsc() >= deadline || app_signalled) {
			app_log("port %u not started after %u ms (state %s)", app.port,
				app.cfg.start_timeout_ms, rte_pmd_mana_mpr_state_name(st.state));
			return -ETIMEDOUT;
		}
		rte_delay_us_sleep(2000);
	}
}

static int
app_setup_flows(void)
{
	struct app_cfg *cfg = &app.cfg;
	struct rte_ether_addr mac;
	struct mtrf_rss rss;
	uint16_t i, j;
	int ret;

	ret = rte_eth_macaddr_get(app.port, &mac);
	if (ret != 0) {
		app_log("rte_eth_macaddr_get: %s", strerror(-ret));
		return ret;
	}
	ret = mtrf_rss_query(app.port, &rss);
	if (ret != 0) {
		app_log("cannot read the RSS configuration: %s", strerror(-ret));
		return ret;
	}
	app.sink = mtrf_sink_create(RTE_MAX(1u, (uint32_t)cfg->nb_own * cfg->flows), 0,
				    cfg->verify);
	if (app.sink == NULL) {
		app_log("cannot create the sink");
		return -ENOMEM;
	}
	for (i = 0; i < cfg->nb_own; i++) {
		struct app_queue *aq = &app.q[i];

		aq->qid = cfg->own[i];
		aq->nb_flows = cfg->flows;
		for (j = 0; j < cfg->flows; j++) {
			struct app_flow *af = &aq->flows[j];
			struct mtrf_flow *f = &af->f;

			f->src_ip = (10u << 24) | ((uint32_t)(app.proc_id & 0xff) << 16) |
				    ((uint32_t)aq->qid << 8) | (uint32_t)(j + 1);
			f->dst_ip = (10u << 24) | (255u << 16) |
				    (uint32_t)(app.proc_id & 0xff) << 8 | 1u;
			f->dport = (uint16_t)(9000 + j);
			f->proc_id = app.proc_id;
			f->flow_id = (uint16_t)(aq->qid * APP_MAX_FLOWS_PER_Q + j);
			rte_ether_addr_copy(&mac, &f->src_mac);
			rte_ether_addr_copy(&mac, &f->dst_mac);
			ret = mtrf_flow_steer(&rss, f, aq->qid,
					      (uint16_t)(1024 +
							 (aq->qid * 977u + j * 131u) % 60000));
			if (ret != 0) {
				app_log("no UDP source port steers a flow to queue %u", aq->qid);
				return ret;
			}
			af->sink_idx = mtrf_sink_add_flow(app.sink, f->proc_id, f->flow_id,
							  aq->qid);
			if (af->sink_idx < 0)
				return af->sink_idx;
		}
	}
	return 0;
}

/*
 * A pool of @n mbufs for the frames this process sends; @tight: segments
 * no bigger than they need be (not the default data room).
 */
struct rte_mempool *
app_tx_pool_create(const char *name, uint32_t n, bool tight)
{
	struct app_cfg *cfg = &app.cfg;
	uint32_t seg_len = (mtrf_frame_len(cfg->size) + cfg->segs - 1) / cfg->segs;

	return app_pool_create(name, n, tight ? (uint16_t)(RTE_PKTMBUF_HEADROOM + seg_len) :
				  app_data_room(seg_len), cfg->tx_pool_ops);
}

static int
app_setup_tx_pool(void)
{
	struct app_cfg *cfg = &app.cfg;
	uint32_t n = cfg->mbufs;
	char name[RTE_MEMPOOL_NAMESIZE];

	if (cfg->nb_own == 0)
		return 0;
	if (n == 0)
		n = (uint32_t)cfg->nb_own * (cfg->desc + 4u * cfg->burst) * cfg->segs + 1024;
	snprintf(name, sizeof(name), "mtrf_tx_%d", app.pid);
	app.tx_pool = app_tx_pool_create(name, n, false);
	return app.tx_pool == NULL ? -ENOMEM : 0;
}

static int
app_setup(void)
{
	struct app_cfg *cfg = &app.cfg;
	struct rte_eth_dev_info info;
	struct sb sb;
	uint16_t i, j;
	int ret;

	RTE_ETH_FOREACH_DEV(app.port)
		break;
	if (!rte_eth_dev_is_valid_port(app.port)) {
		app_log("no ethdev port (did the device probe fail? see the log above)");
		return -ENODEV;
	}
	rte_eth_dev_get_name_by_port(app.port, app.port_name);
	ret = rte_eth_dev_info_get(app.port, &info);
	if (ret != 0) {
		app_log("port %u (%s): no device info: %s", app.port, app.port_name,
			strerror(-ret));
		return ret;
	}
	snprintf(app.device_name, sizeof(app.device_name), "%s", rte_dev_name(info.device));
	ret = rte_pmd_mana_mpr_get_state(app.port, &(struct rte_pmd_mana_mpr_state){ 0 });
	if (ret != 0) {
		app_log("port %u (%s) is not a net_mana_mpr port", app.port, app.port_name);
		return ret;
	}
	if (cfg->events) {
		ret = app_register_events();
		if (ret != 0)
			return ret;
	}
	if (app.primary) {
		if (!cfg->own_given) {
			cfg->nb_own = cfg->queues;
			for (i = 0; i < cfg->queues; i++)
				cfg->own[i] = i;
		}
		for (i = 0; i < cfg->nb_own; i++) {
			if (cfg->own[i] >= cfg->queues) {
				app_log("--own %u: only %u queues", cfg->own[i], cfg->queues);
				return -EINVAL;
			}
		}
		ret = app_setup_primary();
		if (ret != 0)
			return ret;
	} else {
		ret = app_wait_started();
		if (ret != 0)
			return ret;
		app.rx_pool = rte_mempool_lookup(APP_RX_POOL);
	}
	if (cfg->keep_doorbell) {
		ret = rte_pmd_mana_mpr_test_keep_doorbell(app.port, true);
		if (ret != 0) {
			app_log("rte_pmd_mana_mpr_test_keep_doorbell: %s", strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_info_get(app.port, &info);
	if (ret != 0)
		return ret;
	if (!app.primary)
		cfg->queues = info.nb_rx_queues;
	for (i = 0; i < cfg->nb_own; i++) {
		if (cfg->own[i] >= info.nb_rx_queues || cfg->own[i] >= info.nb_tx_queues) {
			app_log("--own %u: the port has %u queues", cfg->own[i], info.nb_rx_queues);
			return -EINVAL;
		}
	}
	ret = app_setup_flows();
	if (ret != 0)
		return ret;
	ret = app_setup_tx_pool();
	if (ret != 0)
		return ret;

	sb_init(&sb);
	sb_printf(&sb, "{\"ev\":\"ready\",\"t\":%.3f,\"pid\":%d,\"role\":\"%s\",\"proc_id\":%u,"
		  "\"lcore\":%u,\"port\":%u,\"name\":", app_now_s(), app.pid, app.role,
		  app.proc_id, rte_lcore_id(), app.port);
	sb_str(&sb, app.port_name);
	sb_printf(&sb, ",\"queues\":%u,\"own\":[", info.nb_rx_queues);
	for (i = 0; i < cfg->nb_own; i++)
		sb_printf(&sb, "%s%u", i ? "," : "", cfg->own[i]);
	sb_printf(&sb, "],\"tx_pool\":");
	sb_str(&sb, app.tx_pool != NULL ? app.tx_pool->name : "");
	sb_printf(&sb, ",\"flows\":[");
	for (i = 0; i < cfg->nb_own; i++) {
		for (j = 0; j < app.q[i].nb_flows; j++) {
			const struct mtrf_flow *f = &app.q[i].flows[j].f;

			sb_printf(&sb, "%s{\"q\":%u,\"flow\":%u,\"src\":\"%u.%u.%u.%u\","
				  "\"dst\":\"%u.%u.%u.%u\",\"sport\":%u,\"dport\":%u}",
				  i || j ? "," : "", app.q[i].qid, f->flow_id,
				  f->src_ip >> 24, (f->src_ip >> 16) & 0xff,
				  (f->src_ip >> 8) & 0xff, f->src_ip & 0xff,
				  f->dst_ip >> 24, (f->dst_ip >> 16) & 0xff,
				  (f->dst_ip >> 8) & 0xff, f->dst_ip & 0xff, f->sport, f->dport);
		}
	}
	sb_printf(&sb, "]}");
	sb_emit(&sb);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Data path.                                                           */

/*
 * --vlan: where the tag of @m is (stripped into the mbuf, or still in the
 * frame, which is then made untagged for the sink) and whether it is ours.
 */
static void
app_rx_vlan(struct app_queue *aq, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint16_t tci;

	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		tci = m->vlan_tci;
		aq->vlan_stripped++;
	} else if (rte_pktmbuf_data_len(m) >= sizeof(*eh) + sizeof(struct rte_vlan_hdr) &&
		   eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) &&
		   rte_vlan_strip(m) == 0) {
		tci = m->vlan_tci;
		aq->vlan_in_packet++;
	} else {
		aq->vlan_bad++;
		return;
	}
	if ((tci & 0xfff) != app.cfg.vlan)
		aq->vlan_bad++;
}

/* Receive on every owned queue; *busy when a burst came back full. */
unsigned int
app_rx(uint64_t now, bool *busy)
{
	uint16_t rx_burst = app.cfg.rx_burst != 0 ? app.cfg.rx_burst : app.cfg.burst;
	struct rte_mbuf *pkts[APP_MAX_BURST];
	unsigned int total = 0;
	uint16_t i, k, n;

	for (i = 0; i < app.cfg.nb_own; i++) {
		struct app_queue *aq = &app.q[i];

		n = rte_eth_rx_burst(app.port, aq->qid, pkts, rx_burst);
		if (n == 0)
			continue;
		for (k = 0; k < n; k++) {
			if (app.cfg.vlan != 0)
				app_rx_vlan(aq, pkts[k]);
			mtrf_sink_rx(app.sink, pkts[k], aq->qid, now);
		}
		rte_pktmbuf_free_bulk(pkts, n);
		aq->rx += n;
		total += n;
		if (n == rx_burst)
			*busy = true;
	}
	return total;
}

/*
 * `extbuf on`: memory no mempool owns, which a PMD meets first in a burst.
 * Slots of one rte_malloc() block (allocated by the command, not here);
 * a slot is reused once its packet is freed. Not for runs with resets: the
 * primary would call this process's free callback.
 */
#define APP_EXT_SLOTS	256
#define APP_EXT_SLOT	2048

static uint8_t *app_ext_mem;
static struct rte_mbuf_ext_shared_info app_ext_shinfo[APP_EXT_SLOTS];
static RTE_ATOMIC(uint8_t) app_ext_busy[APP_EXT_SLOTS];
static unsigned int app_ext_next;

static void
app_ext_free(void *addr __rte_unused, void *opaque)
{
	rte_atomic_store_explicit((RTE_ATOMIC(uint8_t) *)opaque, 0, rte_memory_order_release);
}

/* External slots whose packet has not been freed yet. */
unsigned int
app_extbuf_busy(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < APP_EXT_SLOTS; i++)
		n += rte_atomic_load_explicit(&app_ext_busy[i], rte_memory_order_acquire);
	return n;
}

int
app_extbuf_enable(bool on)
{
	if (on && app_ext_mem == NULL) {
		app_ext_mem = rte_malloc("mtrf_extbuf", (size_t)APP_EXT_SLOTS * APP_EXT_SLOT, 64);
		if (app_ext_mem == NULL)
			return -ENOMEM;
	}
	app.extbuf = on;
	return 0;
}

/* Move @m's data to a free external slot; @m unchanged if none or multi-segment. */
static void
app_to_extbuf(struct rte_mbuf *m)
{
	unsigned int s = app_ext_next % APP_EXT_SLOTS;
	struct rte_mbuf_ext_shared_info *sh = &app_ext_shinfo[s];
	uint8_t *buf = app_ext_mem + (size_t)s * APP_EXT_SLOT;
	uint16_t len = m->data_len;

	if (m->nb_segs != 1 || len > APP_EXT_SLOT - RTE_PKTMBUF_HEADROOM ||
	    rte_atomic_load_explicit(&app_ext_busy[s], rte_memory_order_acquire))
		return;
	app_ext_next++;
	memcpy(buf + RTE_PKTMBUF_HEADROOM, rte_pktmbuf_mtod(m, void *), len);
	rte_atomic_store_explicit(&app_ext_busy[s], 1, rte_memory_order_relaxed);
	sh->free_cb = app_ext_free;
	sh->fcb_opaque = (void *)&app_ext_busy[s];
	rte_mbuf_ext_refcnt_set(sh, 1);
	rte_pktmbuf_attach_extbuf(m, buf, rte_mem_virt2iova(buf), APP_EXT_SLOT, sh);
	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->data_len = len;
	m->pkt_len = len;
}

/*
 * Build @want packets from the Tx pool, in flow order, and send them in one
 * burst, with @extra (no flow's, may be NULL) inserted at @extra_at;
 * *built: how many could be built. Refused packets are freed and their
 * sequence numbers given back. Returns the number sent (@extra included).
 */
uint16_t
app_tx_send_extra(struct app_queue *aq, uint64_t now, uint16_t want, uint16_t *built,
		  struct rte_mbuf *extra, uint16_t extra_at)
{
	struct app_cfg *cfg = &app.cfg;
	struct rte_mbuf *pkts[APP_MAX_BURST + 1];
	uint16_t which[APP_MAX_BURST + 1];
	uint16_t n, sent, k;

	want = RTE_MIN(want, (uint16_t)APP_MAX_BURST);
	for (n = 0; n < want; n++) {
		uint16_t fi = aq->next_flow;
		struct app_flow *af = &aq->flows[fi];

		pkts[n] = mtrf_build(app.tx_pool, &af->f, af->sent, now, cfg->size, cfg->segs);
		if (pkts[n] == NULL) {
			aq->tx_nombuf++;
			break;
		}
		if (cfg->vlan != 0) {
			pkts[n]->ol_flags |= RTE_MBUF_F_TX_VLAN;
			pkts[n]->vlan_tci = cfg->vlan;
		}
		if (app.extbuf)
			app_to_extbuf(pkts[n]);
		which[n] = fi;
		af->sent++;
		aq->next_flow = (uint16_t)((fi + 1) % aq->nb_flows);
	}
	*built = n;
	if (extra != NULL) {
		extra_at = RTE_MIN(extra_at, n);
		memmove(&pkts[extra_at + 1], &pkts[extra_at], (n - extra_at) * sizeof(pkts[0]));
		memmove(&which[extra_at + 1], &which[extra_at], (n - extra_at) * sizeof(which[0]));
		pkts[extra_at] = extra;
		which[extra_at] = UINT16_MAX;
		n++;
	}
	if (n == 0)
		return 0;
	sent = rte_eth_tx_burst(app.port, aq->qid, pkts, n);
	/* Refused packets are the tail of the burst: the highest seqs of their flows. */
	for (k = sent; k < n; k++)
		if (which[k] != UINT16_MAX)
			aq->flows[which[k]].sent--;
	if (sent < n) {
		aq->tx_refused += n - sent;
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
		for (k = sent; k < n && which[k] == UINT16_MAX; k++)
			;
		if (k < n)
			aq->next_flow = which[k];
	}
	aq->tx += sent;
	return sent;
}

uint16_t
app_tx_send(struct app_queue *aq, uint64_t now, uint16_t want, uint16_t *built)
{
	return app_tx_send_extra(aq, now, want, built, NULL, 0);
}

/* Send what the token bucket allows; *busy when more is already due. */
static unsigned int
app_tx_queue(struct app_queue *aq, uint64_t now, bool *busy)
{
	struct app_cfg *cfg = &app.cfg;
	uint16_t want, n, sent;

	if (cfg->rate == 0) {
		want = cfg->burst;
		*busy = true;
	} else {
		double cap = RTE_MAX(2.0 * cfg->burst, (double)cfg->rate / 1000.0);

		aq->tokens += (double)(now - aq->last_tsc) * (double)cfg->rate / (double)app.hz;
		if (aq->tokens > cap)
			aq->tokens = cap;
		aq->last_tsc = now;
		if (aq->tokens < 1.0)
			return 0;
		want = (uint16_t)RTE_MIN((double)cfg->burst, aq->tokens);
	}
	sent = app_tx_send(aq, now, want, &n);
	if (n == 0)
		return 0;
	if (cfg->rate != 0) {
		aq->tokens -= n;
		if (aq->tokens >= 1.0 && sent == n)
			*busy = true;
	}
	return sent;
}

static unsigned int
app_tx(uint64_t now, bool *busy)
{
	unsigned int total = 0;
	uint16_t i;

	/* Sending implies owned queues, and then setup made the Tx pool. */
	for (i = 0; i < app.cfg.nb_own; i++)
		total += app_tx_queue(&app.q[i], now, busy);
	return total;
}

/* ------------------------------------------------------------------ */
/* Reports.                                                             */

/*
 * A per-queue counter by its ethdev xstat name (rx_q<N>_packets...): the one
 * interface that has them in every supported DPDK (25.11 took the q_*
 * arrays out of rte_eth_stats); 0 if the port does not report it.
 */
static uint64_t
app_queue_xstat(const struct rte_eth_xstat_name *names, const struct rte_eth_xstat *xs,
		int n, const char *dir, uint16_t q, const char *what)
{
	char name[RTE_ETH_XSTATS_NAME_SIZE];
	int i;

	snprintf(name, sizeof(name), "%s_q%u_%s", dir, q, what);
	for (i = 0; i < n; i++)
		if (xs[i].id < (uint64_t)n && strcmp(names[xs[i].id].name, name) == 0)
			return xs[i].value;
	return 0;
}

void
app_json_stats(struct sb *sb)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *xs = NULL;
	struct rte_eth_stats st;
	int ret, n;
	uint16_t q;

	if (rte_atomic_load_explicit(&app.port_closed, rte_memory_order_acquire) ||
	    (ret = rte_eth_stats_get(app.port, &st)) != 0) {
		sb_printf(sb, "null");
		return;
	}
	n = rte_eth_xstats_get_names(app.port, NULL, 0);
	if (n > 0) {
		names = calloc((size_t)n, sizeof(*names));
		xs = calloc((size_t)n, sizeof(*xs));
		if (names == NULL || xs == NULL ||
		    rte_eth_xstats_get_names(app.port, names, n) != n ||
		    rte_eth_xstats_get(app.port, xs, (unsigned int)n) != n)
			n = 0;
	}
	sb_printf(sb, "{\"ipackets\":%" PRIu64 ",\"opackets\":%" PRIu64 ",\"ibytes\":%" PRIu64
		  ",\"obytes\":%" PRIu64 ",\"imissed\":%" PRIu64 ",\"ierrors\":%" PRIu64
		  ",\"oerrors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 ",\"queues\":{",
		  st.ipackets, st.opackets, st.ibytes, st.obytes, st.imissed, st.ierrors,
		  st.oerrors, st.rx_nombuf);
	for (q = 0; q < app.cfg.queues; q++)
		sb_printf(sb, "%s\"%u\":{\"ipackets\":%" PRIu64 ",\"opackets\":%" PRIu64
			  ",\"ibytes\":%" PRIu64 ",\"obytes\":%" PRIu64 ",\"errors\":%" PRIu64 "}",
			  q ? "," : "", q, app_queue_xstat(names, xs, n, "rx", q, "packets"),
			  app_queue_xstat(names, xs, n, "tx", q, "packets"),
			  app_queue_xstat(names, xs, n, "rx", q, "bytes"),
			  app_queue_xstat(names, xs, n, "tx", q, "bytes"),
			  app_queue_xstat(names, xs, n, "rx", q, "errors"));
	/* The port's memory registration counters, by name. */
	sb_printf(sb, "},\"mr\":{");
	for (int i = 0, k = 0; i < n; i++) {
		const char *name = xs[i].id < (uint64_t)n ? names[xs[i].id].name : "";

		if (strncmp(name, "mr_", 3) == 0 || strncmp(name, "tx_mr_", 6) == 0)
			sb_printf(sb, "%s\"%s\":%" PRIu64, k++ ? "," : "", name, xs[i].value);
	}
	sb_printf(sb, "}}");
	free(names);
	free(xs);
}

struct app_walk {
	struct sb *sb;
	unsigned int n;
};

/*
 * Objects in @mp's ring and caches, not capped at its size as
 * rte_mempool_avail_count() is: an mbuf freed twice shows as one too many.
 * Pools of the ring drivers only (their pool_data is the rte_ring); others
 * answer rte_mempool_avail_count().
 */
static unsigned int
app_mempool_raw_count(const struct rte_mempool *mp)
{
	unsigned int count, lcore;

	if (strncmp(rte_mempool_get_ops(mp->ops_index)->name, "ring_", 5) != 0)
		return rte_mempool_avail_count(mp);
	count = rte_ring_count(mp->pool_data);
	if (mp->cache_size == 0)
		return count;
	for (lcore = 0; lcore < RTE_MAX_LCORE; lcore++)
		count += mp->local_cache[lcore].len;
	return count;
}

static void
app_mempool_cb(struct rte_mempool *mp, void *arg)
{
	struct app_walk *w = arg;

	sb_printf(w->sb, "%s{\"name\":", w->n++ ? "," : "");
	sb_str(w->sb, mp->name);
	sb_printf(w->sb, ",\"size\":%u,\"avail\":%u,\"in_use\":%u,\"avail_raw\":%u}",
		  mp->size, rte_mempool_avail_count(mp), rte_mempool_in_use_count(mp),
		  app_mempool_raw_count(mp));
}

void
app_json_mempools(struct sb *sb)
{
	struct app_walk w = { sb, 0 };

	sb_printf(sb, "[");
	rte_mempool_walk(app_mempool_cb, &w);
	sb_printf(sb, "]");
}

void
app_json_flows(struct sb *sb)
{
	struct mtrf_sink_totals t;
	uint64_t sent = 0, received = 0, unique = 0, dup = 0, refused = 0, nombuf = 0;
	uint64_t vlan_stripped = 0, vlan_in_packet = 0, vlan_bad = 0;
	uint64_t reordered = 0, wrong_queue = 0, corrupt = 0;
	uint16_t i, j;
	unsigned int n = 0;

	sb_printf(sb, "\"flows\":[");
	for (i = 0; i < app.cfg.nb_own; i++) {
		const struct app_queue *aq = &app.q[i];

		refused += aq->tx_refused;
		nombuf += aq->tx_nombuf;
		vlan_stripped += aq->vlan_stripped;
		vlan_in_packet += aq->vlan_in_packet;
		vlan_bad += aq->vlan_bad;
		for (j = 0; j < aq->nb_flows; j++) {
			const struct app_flow *af = &aq->flows[j];
			const struct mtrf_flow_counts *c = mtrf_sink_counts(app.sink, af->sink_idx);
			double lat_avg = c->unique ? (double)c->lat_sum / (double)c->unique : 0;

			sb_printf(sb, "%s{\"q\":%u,\"flow\":%u,\"proc\":%u,\"sent\":%" PRIu64
				  ",\"received\":%" PRIu64 ",\"unique\":%" PRIu64
				  ",\"dup\":%" PRIu64 ",\"reordered\":%" PRIu64 ",\"lost\":%" PRId64
				  ",\"too_old\":%" PRIu64 ",\"wrong_queue\":%" PRIu64
				  ",\"corrupt\":%" PRIu64
				  ",\"lat_avg_us\":%.1f,\"lat_max_us\":%.1f}",
				  n++ ? "," : "", aq->qid, af->f.flow_id, af->f.proc_id, af->sent,
				  c->received, c->unique, c->dup, c->reordered,
				  (int64_t)(af->sent - c->unique), c->too_old, c->wrong_queue,
				  c->corrupt, lat_avg * 1e6 / (double)app.hz,
				  (double)c->lat_max * 1e6 / (double)app.hz);
			sent += af->sent;
			received += c->received;
			unique += c->unique;
			dup += c->dup;
			reordered += c->reordered;
			wrong_queue += c->wrong_queue;
			corrupt += c->corrupt;
		}
	}
	mtrf_sink_totals(app.sink, &t);
	sb_printf(sb, "],\"totals\":{\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"unique\":%"
		  PRIu64 ",\"lost\":%" PRId64 ",\"dup\":%" PRIu64 ",\"reordered\":%" PRIu64
		  ",\"wrong_queue\":%" PRIu64 ",\"corrupt\":%" PRIu64 ",\"bad\":%" PRIu64
		  ",\"tx_refused\":%" PRIu64 ",\"tx_nombuf\":%" PRIu64 ",\"vlan_stripped\":%"
		  PRIu64 ",\"vlan_in_packet\":%" PRIu64 ",\"vlan_bad\":%" PRIu64 "}",
		  sent, received, unique, (int64_t)(sent - unique), dup, reordered, wrong_queue,
		  corrupt, t.bad, refused, nombuf, vlan_stripped, vlan_in_packet, vlan_bad);
}

void
app_json_state(struct sb *sb, const struct rte_pmd_mana_mpr_state *st, bool slot)
{
	sb_printf(sb, "\"state\":\"%s\",\"gen\":%u,\"phase\":%u,\"mapped\":%u,",
		  rte_pmd_mana_mpr_state_name(st->state), st->generation, st->phase,
		  st->mapped_generation);
	if (slot)
		sb_printf(sb, "\"slot\":%d,", st->slot);
	sb_printf(sb, "\"procs\":%u,\"resets_ok\":%" PRIu64 ",\"resets_failed\":%" PRIu64,
		  st->processes, st->resets_succeeded, st->resets_failed);
}

static void
app_status(void)
{
	struct rte_pmd_mana_mpr_state st;
	struct sb sb;
	uint16_t i;
	int ret;

	ret = rte_atomic_load_explicit(&app.port_closed, rte_memory_order_acquire) ? -ENODEV :
	      rte_pmd_mana_mpr_get_state(app.port, &st);
	sb_init(&sb);
	sb_printf(&sb, "{\"ev\":\"status\",\"t\":%.3f,\"mono\":%.6f,\"pid\":%d,\"role\":\"%s\",",
		  app_now_s(), app_mono_s(), app.pid, app.role);
	if (ret == 0) {
		app_json_state(&sb, &st, false);
		sb_printf(&sb, ",");
	} else {
		sb_printf(&sb, "\"state\":\"%s\",\"gen\":0,",
			  rte_atomic_load_explicit(&app.port_closed, rte_memory_order_acquire) ?
			  "closed" : "unknown");
	}
	sb_printf(&sb, "\"sending\":%s,\"polling\":%s,\"queues\":{", app.sending ? "true" : "false",
		  app_port_usable() ? "true" : "false");
	for (i = 0; i < app.cfg.nb_own; i++)
		sb_printf(&sb, "%s\"%u\":{\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"tx_refused\":%"
			  PRIu64 ",\"tx_nombuf\":%" PRIu64 "}", i ? "," : "", app.q[i].qid,
			  app.q[i].rx, app.q[i].tx, app.q[i].tx_refused, app.q[i].tx_nombuf);
	sb_printf(&sb, "}}");
	sb_emit(&sb);
}

static bool
app_drained(void)
{
	uint16_t i, j;

	for (i = 0; i < app.cfg.nb_own; i++) {
		for (j = 0; j < app.q[i].nb_flows; j++) {
			const struct app_flow *af = &app.q[i].flows[j];

			if (mtrf_sink_counts(app.sink, af->sink_idx)->unique < af->sent)
				return false;
		}
	}
	return true;
}

void
app_begin_stop(void)
{
	if (app.stopping)
		return;
	app.stopping = true;
	app.sending = false;
	app.stop_deadline = rte_rdtsc() + app.hz * app.cfg.drain_ms / 1000;
}

/* Print the final report; returns the exit code. */
static int
app_finish(void)
{
	bool closed = rte_atomic_load_explicit(&app.port_closed, rte_memory_order_acquire);
	bool stop_port = false;
	int stop_ret = 0;
	struct rte_pmd_mana_mpr_state st;
	struct sb sb;

	if (app.primary && !closed && !app.port_stopped) {
		if (app.cfg.stop_port == APP_STOP_PORT_ALWAYS)
			stop_port = true;
		else if (app.cfg.stop_port == APP_STOP_PORT_AUTO)
			stop_port = rte_pmd_mana_mpr_get_state(app.port, &st) == 0 &&
				    st.processes <= 1;
	}
	sb_init(&sb);
	sb_printf(&sb, "{\"ev\":\"final\",\"t\":%.3f,\"pid\":%d,\"role\":\"%s\",\"proc_id\":%u,",
		  app_now_s(), app.pid, app.role, app.proc_id);
	app_json_flows(&sb);
	sb_printf(&sb, ",\"stats\":");
	app_json_stats(&sb);	/* before a stop: the numbers of the run */
	app_cmd_feed();
	if (stop_port) {
		stop_ret = rte_eth_dev_stop(app.port);
		if (stop_ret != 0)
			app_log("rte_eth_dev_stop: %s", strerror(-stop_ret));
		else
			app.port_stopped = true;
	}
	sb_printf(&sb, ",\"port_stopped\":%s,\"stop_ret\":%d,\"mempools\":",
		  app.port_stopped ? "true" : "false", stop_ret);
	app_json_mempools(&sb);
	sb_printf(&sb, ",\"exit\":0}");
	sb_emit(&sb);

	if (!rte_atomic_load_explicit(&app.port_closed, rte_memory_order_acquire) &&
	    !app.cfg.leave_open && app_close_port(&stop_ret) != 0)
		return APP_EXIT_RUNTIME;
	return APP_EXIT_OK;
}

static void
app_signal(int sig __rte_unused)
{
	app_signalled = 1;
}

static int
app_loop(void)
{
	uint64_t status_period = app.hz * app.cfg.status_ms / 1000;
	uint64_t next_status = rte_rdtsc() + status_period;
	uint64_t end = app.cfg.duration_ms ? rte_rdtsc() + app.hz * app.cfg.duration_ms / 1000 : 0;
	uint64_t cmd_period = app.hz / 1000, next_cmd = 0;
	bool busy = false;
	uint16_t i;

	for (i = 0; i < app.cfg.nb_own; i++)
		app.q[i].last_tsc = rte_rdtsc();
	app.sending = app.cfg.nb_own > 0;
	for (;;) {
		uint64_t now = rte_rdtsc();
		bool was_busy = busy;

		busy = false;
		if (rte_atomic_load_explicit(&app.poll_block_req, rte_memory_order_acquire))
			rte_atomic_store_explicit(&app.poll_blocked, 1, rte_memory_order_release);
		else if (rte_atomic_load_explicit(&app.poll_blocked, rte_memory_order_relaxed))
			/* A callback that let go (--on-recovering stop): poll again. */
			rte_atomic_store_explicit(&app.poll_blocked, 0, rte_memory_order_relaxed);
		/*
		 * The --on-failed callback is closing the port: no command, status
		 * or final report may touch it meanwhile.
		 */
		if (rte_atomic_load_explicit(&app.poll_blocked, rte_memory_order_acquire) &&
		    rte_atomic_load_explicit(&app.on_failed_done, rte_memory_order_acquire) !=
		    APP_ON_FAILED_DONE) {
			rte_delay_us_sleep(app.cfg.idle_us);
			continue;
		}
		/*
		 * Commands run here, between bursts (what `hold` relies on). stdin
		 * is polled (a syscall) after an idle iteration, else once per ms.
		 */
		if (!was_busy || now >= next_cmd) {
			app_cmd_poll();
			next_cmd = now + cmd_period;
		}
		if (app_signalled || (end != 0 && now >= end))
			app_begin_stop();
		if (app_port_usable()) {
			app_rx(now, &busy);
			app_cmd_starve_more();
			if (app.sending)
				app_tx(now, &busy);
			else
				for (i = 0; i < app.cfg.nb_own; i++)
					app.q[i].last_tsc = now;
		}
		if (status_period != 0 && now >= next_status) {
			app_status();
			next_status = now + status_period;
		}
		if (app.stopping && (app_drained() || now >= app.stop_deadline ||
				     !app_port_usable()))
			return app_finish();
		/* Nothing queued up and nothing due: do not burn the core. */
		if (!busy)
			rte_delay_us_sleep(app.cfg.idle_us);
	}
}

/* --extra-mempool-ops: a driver never used for a pool; only its index matters. */
static int
app_dummy_pool_alloc(struct rte_mempool *mp __rte_unused)
{
	return -ENOTSUP;
}

static int
app_dummy_pool_enqueue(struct rte_mempool *mp __rte_unused, void * const *objs __rte_unused,
		       unsigned int n __rte_unused)
{
	return -ENOTSUP;
}

static int
app_dummy_pool_dequeue(struct rte_mempool *mp __rte_unused, void **objs __rte_unused,
		       unsigned int n __rte_unused)
{
	return -ENOTSUP;
}

static unsigned int
app_dummy_pool_count(const struct rte_mempool *mp __rte_unused)
{
	return 0;
}

static const struct rte_mempool_ops app_dummy_pool_ops = {
	.name = "mtrf_extra",
	.alloc = app_dummy_pool_alloc,
	.enqueue = app_dummy_pool_enqueue,
	.dequeue = app_dummy_pool_dequeue,
	.get_count = app_dummy_pool_count,
};

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct stat stdin_st;
	int i, ret, code;

	app.pid = getpid();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			int j;

			for (j = i + 1; j < argc; j++) {
				if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
					usage(argv[0]);
					return APP_EXIT_OK;
				}
				if (strcmp(argv[j], "--extra-mempool-ops") == 0 &&
				    rte_mempool_register_ops(&app_dummy_pool_ops) < 0) {
					app_log("cannot register the extra mempool driver");
					return APP_EXIT_SETUP;
				}
			}
			break;
		}
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = app_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		app_log("rte_eal_init: %s", rte_strerror(rte_errno));
		return APP_EXIT_SETUP;
	}
	app.hz = rte_get_tsc_hz();
	app.t0 = rte_rdtsc();
	app.primary = rte_eal_process_type() == RTE_PROC_PRIMARY;
	app.role = app.primary ? "primary" : "secondary";
	argv[ret] = argv[0];
	if (parse_args(argc - ret, argv + ret, &app.cfg) != 0) {
		usage(argv[0]);
		rte_eal_cleanup();
		return APP_EXIT_USAGE;
	}
	app.proc_id = app.cfg.proc_id >= 0 ? (uint16_t)app.cfg.proc_id : (uint16_t)rte_lcore_id();
	app.held = app.cfg.start_held;
	app.stdin_open = true;
	app.stdin_is_pipe = fstat(STDIN_FILENO, &stdin_st) == 0 && S_ISFIFO(stdin_st.st_mode);

	if (app.cfg.dev_event_monitor && app_dev_event_monitor_start() != 0) {
		rte_eal_cleanup();
		return APP_EXIT_SETUP;
	}
	ret = app_setup();
	if (ret != 0) {
		struct sb sb;

		sb_init(&sb);
		sb_printf(&sb, "{\"ev\":\"error\",\"t\":%.3f,\"pid\":%d,\"role\":\"%s\","
			  "\"phase\":\"setup\",\"ret\":%d,\"error\":", app_now_s(), app.pid,
			  app.role, ret);
		sb_str(&sb, strerror(-ret));
		sb_printf(&sb, "}");
		sb_emit(&sb);
		if (rte_eth_dev_is_valid_port(app.port))
			rte_eth_dev_close(app.port);
		/* What is still allocated (memzones pin hugepages past exit). */
		rte_memzone_dump(stderr);
		if (app.cfg.dev_event_monitor)
			app_dev_event_monitor_stop();
		rte_eal_cleanup();
		return APP_EXIT_SETUP;
	}
	code = app_loop();
	mtrf_sink_free(app.sink);
	if (app.cfg.dev_event_monitor)
		app_dev_event_monitor_stop();
	ret = rte_eal_cleanup();
	if (ret != 0) {
		app_log("rte_eal_cleanup: %s", strerror(-ret));
		if (code == APP_EXIT_OK)
			code = APP_EXIT_RUNTIME;
	}
	return code;
}
