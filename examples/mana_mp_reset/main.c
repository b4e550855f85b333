/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * mana-mp-reset: surviving MANA service resets with one primary and N
 * secondary worker processes (DPDK multi-process), on net_mana_mpr.
 *
 * One binary, two roles (EAL --proc-type):
 *
 *   primary   configures port 0 with one queue per worker (+ queue 0 for
 *             itself), RSS over IPv4/UDP, waits for the workers, then
 *             injects service resets into the (software) MANA device and
 *             reports how every process came through them.
 *   worker K  (secondary, -- --worker K) polls queue K with flows steered
 *             back to it by RSS, records the ethdev events it receives.
 *
 * By hand, in two or three terminals (hugepages mounted, as root):
 *
 *   mana-mp-reset --proc-type=primary --file-prefix=mpr -a <pci>[,mac=<mac>] \
 *       --lcores=0@0 -- --workers 2 --resets 3
 *   mana-mp-reset --proc-type=secondary --file-prefix=mpr -a <pci>[,mac=<mac>] \
 *       --lcores='1@(0-1)' -- --worker 1
 *   mana-mp-reset --proc-type=secondary --file-prefix=mpr -a <pci>[,mac=<mac>] \
 *       --lcores='2@(0-1)' -- --worker 2
 *
 * run_demo.py does the same and draws the chart. See README.md.
 */

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "demo.h"

volatile sig_atomic_t demo_signalled;

static void
demo_usage(const char *prog)
{
	printf(
"Usage: %s [EAL options] -- [options]\n"
"\n"
"Surviving MANA service resets with one DPDK primary and N secondary workers.\n"
"\n"
"Primary (EAL: --proc-type=primary --file-prefix=P -a <pci>[,mac=<mac>] --lcores=0@0\n"
"         (devargs: recovery_timeout_ms=...)):\n"
"  --workers N          worker processes to wait for (default 2, max %u); the port gets\n"
"                       N+1 queues rounded up to a power of two (MANA's RSS table):\n"
"                       queue 0 for the primary, queue K for worker K, the rest idle\n"
"  --resets N           service resets to inject (default 3, max %u)\n"
"  --interval-ms T      traffic time before each reset, counted from the moment\n"
"                       traffic resumed everywhere (default 3000)\n"
"  --down-ms D          device down time of each reset (default 300)\n"
"  --remove-at-end      finish with a hot-remove: the device never comes back; every\n"
"                       process must see INTR_RMV and close cleanly\n"
"  --rate PPS           packets per second per process (default 20000)\n"
"  --no-primary-traffic the primary sends nothing itself (queue 0 idle)\n"
"  --duration-ms MS     run traffic at least this long in total (default 0)\n"
"  --attach-timeout-ms  wait this long for the workers (default 60000)\n"
"  --resume-timeout-ms  give up on a reset after this long (default: the port's\n"
"                       recovery_timeout_ms + 5000)\n"
"  --status-ms MS       live status period (default 500)\n"
"  --sample-ms MS       timeline sample period (default 50)\n"
"  --drain-ms MS        at the end, wait this long for packets in flight (default 500)\n"
"  --report PATH        write the report as JSON\n"
"  --timeline PATH      write the throughput timeline and reset windows as CSV\n"
"\n"
"Worker (EAL: --proc-type=secondary --file-prefix=P -a <pci>[,mac=<mac>] --lcores='K@(0-1)'):\n"
"  --worker K           be worker K (1..N): poll queue K\n"
"\n"
"Every process needs hugepages, the same --file-prefix and its own lcore id.\n"
"Start the primary first; it waits (bounded, --attach-timeout-ms) for the workers:\n"
"\n"
"  %s --proc-type=primary --file-prefix=mpr --lcores=0@0 \\\n"
"      -a <pci>,mac=<mac> -- --workers 2 --resets 3 --down-ms 300\n"
"  %s --proc-type=secondary --file-prefix=mpr --lcores='1@(0-1)' \\\n"
"      -a <pci>,mac=<mac> -- --worker 1\n"
"  %s --proc-type=secondary --file-prefix=mpr --lcores='2@(0-1)' \\\n"
"      -a <pci>,mac=<mac> -- --worker 2\n"
"\n"
"On the software MANA VF, every process also gets LD_PRELOAD=<build>/sim/libmana_sim.so\n"
"and the same MANA_SIM (see doc/guides/nics/mana.rst).\n"
"\n"
"Afterwards: rm -rf /var/run/dpdk/mpr /dev/hugepages/mprmap_* /run/mana-sim/mpr\n"
"\n"
"Exit status (primary): 0 when traffic resumed on every queue of every process after\n"
"every reset, every process acknowledged, no mbuf leaked and no process died (and,\n"
"with --remove-at-end, INTR_RMV reached every process and the port closed cleanly);\n"
"1 otherwise; 2 on a setup or usage error.\n",
	       prog, DEMO_MAX_WORKERS, DEMO_MAX_RESETS, prog, prog, prog);
}

static int
demo_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

enum {
	OPT_WORKER = 256, OPT_WORKERS, OPT_RESETS, OPT_INTERVAL, OPT_DOWN, OPT_REMOVE, OPT_RATE,
	OPT_NO_PTRAFFIC, OPT_DURATION, OPT_ATTACH_TO, OPT_RESUME_TO, OPT_STATUS, OPT_SAMPLE,
	OPT_DRAIN, OPT_REPORT, OPT_TIMELINE, OPT_HELP,
};

static const struct option demo_longopts[] = {
	{ "worker", required_argument, NULL, OPT_WORKER },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "resets", required_argument, NULL, OPT_RESETS },
	{ "interval-ms", required_argument, NULL, OPT_INTERVAL },
	{ "down-ms", required_argument, NULL, OPT_DOWN },
	{ "remove-at-end", no_argument, NULL, OPT_REMOVE },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "no-primary-traffic", no_argument, NULL, OPT_NO_PTRAFFIC },
	{ "duration-ms", required_argument, NULL, OPT_DURATION },
	{ "attach-timeout-ms", required_argument, NULL, OPT_ATTACH_TO },
	{ "resume-timeout-ms", required_argument, NULL, OPT_RESUME_TO },
	{ "status-ms", required_argument, NULL, OPT_STATUS },
	{ "sample-ms", required_argument, NULL, OPT_SAMPLE },
	{ "drain-ms", required_argument, NULL, OPT_DRAIN },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "timeline", required_argument, NULL, OPT_TIMELINE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int
demo_parse(int argc, char **argv, struct demo_opts *o)
{
	uint32_t v = 0;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", demo_longopts, NULL)) != -1) {
		ret = 0;
		switch (opt) {
		case OPT_WORKER:
			ret = demo_u32(optarg, 1, DEMO_MAX_WORKERS, &v);
			o->worker = (int)v;
			break;
		case OPT_WORKERS:
			ret = demo_u32(optarg, 0, DEMO_MAX_WORKERS, &o->workers);
			break;
		case OPT_RESETS:
			ret = demo_u32(optarg, 0, DEMO_MAX_RESETS, &o->resets);
			break;
		case OPT_INTERVAL:
			ret = demo_u32(optarg, 0, 3600000, &o->interval_ms);
			break;
		case OPT_DOWN:
			ret = demo_u32(optarg, 0, 600000, &o->down_ms);
			break;
		case OPT_REMOVE:
			o->remove_at_end = true;
			break;
		case OPT_RATE:
			ret = demo_u32(optarg, 1, 10000000, &o->rate);
			break;
		case OPT_NO_PTRAFFIC:
			o->primary_traffic = false;
			break;
		case OPT_DURATION:
			ret = demo_u32(optarg, 0, 86400000, &o->duration_ms);
			break;
		case OPT_ATTACH_TO:
			ret = demo_u32(optarg, 1, 3600000, &o->attach_timeout_ms);
			break;
		case OPT_RESUME_TO:
			ret = demo_u32(optarg, 1, 3600000, &o->resume_timeout_ms);
			break;
		case OPT_STATUS:
			ret = demo_u32(optarg, 50, 60000, &o->status_ms);
			break;
		case OPT_SAMPLE:
			ret = demo_u32(optarg, 10, 60000, &o->sample_ms);
			break;
		case OPT_DRAIN:
			ret = demo_u32(optarg, 0, 60000, &o->drain_ms);
			break;
		case OPT_REPORT:
			o->report_path = optarg;
			break;
		case OPT_TIMELINE:
			o->timeline_path = optarg;
			break;
		case OPT_HELP:
			demo_usage(o->prog);
			exit(0);
		default:
			return -EINVAL;
		}
		if (ret != 0) {
			demo_log("bad value for --%s: '%s'", demo_longopts[opt - OPT_WORKER].name,
				 optarg);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		demo_log("unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static void
demo_signal(int sig __rte_unused)
{
	demo_signalled = 1;
}

int
main(int argc, char **argv)
{
	struct demo_opts o;
	struct sigaction sa;
	char rundir[256];
	int i, ret, code;

	memset(&o, 0, sizeof(o));
	o.prog = argv[0];
	o.worker = -1;
	o.workers = 2;
	o.resets = 3;
	o.interval_ms = 3000;
	o.down_ms = 300;
	o.rate = 20000;
	o.primary_traffic = true;
	o.attach_timeout_ms = 60000;
	o.status_ms = 500;
	o.sample_ms = 50;
	o.drain_ms = 500;

	/* --help without hugepages or an EAL. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			demo_usage(argv[0]);
			return 0;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = demo_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		demo_log("rte_eal_init: %s", rte_strerror(rte_errno));
		return 2;
	}
	argc -= ret;
	argv += ret;
	argv[0] = (char *)(uintptr_t)o.prog;
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	snprintf(o.prefix, sizeof(o.prefix), "%s", basename(rundir));
	if (demo_parse(argc, argv, &o) != 0) {
		demo_usage(o.prog);
		rte_eal_cleanup();
		return 2;
	}

	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		if (o.worker >= 0) {
			demo_log("--worker K is for secondaries (--proc-type=secondary)");
			code = 2;
		} else {
			code = demo_primary(&o);
		}
	} else {
		if (o.worker < 0) {
			demo_log("a secondary needs --worker K");
			code = 2;
		} else {
			code = demo_worker(&o);
		}
	}
	ret = rte_eal_cleanup();
	if (ret != 0)
		demo_log("rte_eal_cleanup: %s", strerror(-ret));
	return code;
}
