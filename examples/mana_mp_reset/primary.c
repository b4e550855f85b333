/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The primary: owns the port and the shared memzone, optionally runs
 * traffic on queue 0 itself, waits for the workers, injects the service
 * resets into the software MANA VF, shows a live status line, and at
 * the end stops everything and writes the report (report.c).
 */

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_lcore.h>
#include <rte_memzone.h>

#include <rte_pmd_mana_mpr.h>
#include "sim/mana_sim.h"

#include "primary.h"

/* The PMD's default recovery_timeout_ms (drivers/net/mana/mana_devargs.c). */
#define DEMO_RECOVERY_TIMEOUT_MS	30000

extern volatile sig_atomic_t demo_signalled;

/* ------------------------------------------------------------------ */
/* Output: event lines, and a status line redrawn in place on a TTY.    */

double
demo_rel_s(const struct demo_primary *p, uint64_t ns)
{
	return ns > p->t0 ? (double)(ns - p->t0) / 1e9 : 0.0;
}

static void
demo_clear_status(struct demo_primary *p)
{
	if (p->tty && p->status_shown) {
		fputs("\r\033[K", stdout);
		p->status_shown = false;
	}
}

void
demo_say(struct demo_primary *p, const char *fmt, ...)
{
	va_list ap;

	demo_clear_status(p);
	printf("[%7.3fs] ", demo_rel_s(p, demo_now_ns()));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (p->tty && p->last_status[0] != '\0') {
		fputs(p->last_status, stdout);
		p->status_shown = true;
	}
	fflush(stdout);
}

void
demo_fail(struct demo_primary *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nb_fails >= DEMO_MAX_FAILS)
		return;
	va_start(ap, fmt);
	vsnprintf(p->fails[p->nb_fails], sizeof(p->fails[0]), fmt, ap);
	va_end(ap);
	demo_say(p, "FAIL: %s", p->fails[p->nb_fails]);
	p->nb_fails++;
}

const char *
demo_proc_name(const struct demo_primary *p, unsigned int k, char *buf, size_t len)
{
	RTE_SET_USED(p);
	if (k == 0)
		snprintf(buf, len, "primary");
	else
		snprintf(buf, len, "worker%u", k);
	return buf;
}

/* The demo process (memzone slot) whose pid is @pid, or -1. */
int
demo_slot_by_pid(const struct demo_primary *p, int pid)
{
	unsigned int k;

	for (k = 0; k <= p->sh->nb_workers; k++)
		if (p->sh->slot[k].pid == pid && pid > 0)
			return (int)k;
	return -1;
}

static void
demo_fmt_pps(char *buf, size_t len, double pps)
{
	if (pps >= 999500.0)
		snprintf(buf, len, "%.2fM", pps / 1e6);
	else if (pps >= 999.5)
		snprintf(buf, len, "%.1fk", pps / 1e3);
	else
		snprintf(buf, len, "%.0f", pps);
}

/* Rx and Tx packets per second of every process since the previous call on @r. */
static void
demo_rates(const struct demo_primary *p, struct demo_rate *r, uint64_t now,
	   double rx_pps[DEMO_MAX_PROCS], double tx_pps[DEMO_MAX_PROCS])
{
	double dt = (double)(now - r->prev_ns) / 1e9;
	unsigned int k;

	if (dt <= 0)
		dt = 1e-9;
	for (k = 0; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *s = &p->sh->slot[k];
		uint64_t rx = rte_atomic_load_explicit(&s->rx, rte_memory_order_relaxed);
		uint64_t tx = rte_atomic_load_explicit(&s->tx, rte_memory_order_relaxed);

		rx_pps[k] = (double)(rx - r->prev_rx[k]) / dt;
		tx_pps[k] = (double)(tx - r->prev_tx[k]) / dt;
		r->prev_rx[k] = rx;
		r->prev_tx[k] = tx;
	}
	r->prev_ns = now;
}

static void
demo_status(struct demo_primary *p, uint64_t now)
{
	double rx_pps[DEMO_MAX_PROCS], tx_pps[DEMO_MAX_PROCS];
	struct demo_shared *sh = p->sh;
	struct rte_pmd_mana_mpr_state st;
	char line[sizeof(p->last_status)];
	size_t n = 0;
	unsigned int k;

#define ADD(...) do { \
		if (n < sizeof(line)) \
			n += (size_t)snprintf(line + n, sizeof(line) - n, __VA_ARGS__); \
	} while (0)

	demo_rates(p, &p->status_rate, now, rx_pps, tx_pps);
	ADD("[%7.3fs] status: ", demo_rel_s(p, now));
	if (p->port_closed || rte_pmd_mana_mpr_get_state(p->port, &st) != 0) {
		ADD("port closed");
	} else {
		ADD("port %s gen %u", rte_pmd_mana_mpr_state_name(st.state), st.generation);
		if (st.phase != 0)
			ADD(" phase %s", rte_pmd_mana_mpr_phase_name(st.phase));
	}
	if (p->cur != 0) {
		const struct demo_reset_rec *rec = &p->rec[p->cur];
		uint64_t el_ms = (now - rec->inject_ns) / 1000000ull;

		if (rec->kind == DEMO_WIN_REMOVE)
			ADD(" | hot-remove: %" PRIu64 " ms (recovery timeout %u ms)", el_ms,
			    p->o->recovery_timeout_ms);
		else
			ADD(" | reset %u/%u: %" PRIu64 " ms since the fault, device down for %u ms"
			    " (recovery timeout %u ms)", p->cur, p->o->resets, el_ms,
			    p->o->down_ms, p->o->recovery_timeout_ms);
	} else if (p->waiting_workers) {
		uint64_t el_ms = (now - p->wait_start_ns) / 1000000ull;

		ADD(" | waiting for workers %" PRIu64 "/%u ms", el_ms, p->o->attach_timeout_ms);
	} else if (p->nb_windows > 0) {
		ADD(" | resets done %u/%u", p->nb_windows > p->o->resets ? p->o->resets :
		    p->nb_windows, p->o->resets);
	}
	for (k = 0; k <= sh->nb_workers; k++) {
		const struct demo_slot *s = &sh->slot[k];
		char name[24], rxs[16], txs[16];

		demo_proc_name(p, k, name, sizeof(name));
		if (!s->traffic) {
			ADD(" | %s %s", name, k == 0 ? "no traffic" :
			    demo_proc_state_name(s->state));
			continue;
		}
		demo_fmt_pps(rxs, sizeof(rxs), rx_pps[k]);
		demo_fmt_pps(txs, sizeof(txs), tx_pps[k]);
		ADD(" | %s rx %s tx %s %s", name, rxs, txs,
		    p->died[k] ? "DIED" : s->state == DEMO_PROC_RUNNING ?
		    rte_pmd_mana_mpr_state_name(s->port_state) : demo_proc_state_name(s->state));
	}
#undef ADD
	if (p->tty) {
		/* Fit the terminal: a wrapped line cannot be redrawn with \r. */
		size_t max = p->cols > 1 ? (size_t)p->cols - 1 : 79;

		if (strlen(line) > max)
			line[max] = '\0';
		snprintf(p->last_status, sizeof(p->last_status), "\r\033[K%s", line);
		fputs(p->last_status, stdout);
		p->status_shown = true;
	} else {
		puts(line);
	}
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* Periodic work, done in every wait loop.                              */

static void
demo_sample(struct demo_primary *p, uint64_t now)
{
	double rx_pps[DEMO_MAX_PROCS], tx_pps[DEMO_MAX_PROCS];
	struct rte_pmd_mana_mpr_state st;
	struct demo_sample *s;
	unsigned int k;

	if (p->nb_samples == p->cap_samples) {
		size_t cap = p->cap_samples ? p->cap_samples * 2 : 1024;
		struct demo_sample *ns = realloc(p->samples, cap * sizeof(*ns));

		if (ns == NULL)
			return;
		p->samples = ns;
		p->cap_samples = cap;
	}
	s = &p->samples[p->nb_samples++];
	memset(s, 0, sizeof(*s));
	s->t = demo_rel_s(p, now);
	if (!p->port_closed && rte_pmd_mana_mpr_get_state(p->port, &st) == 0) {
		s->state = st.state;
		s->phase = st.phase;
	} else {
		s->state = RTE_PMD_MANA_MPR_CLOSED;
	}
	demo_rates(p, &p->sample_rate, now, rx_pps, tx_pps);
	for (k = 0; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *sl = &p->sh->slot[k];

		s->rx_pps[k] = (float)rx_pps[k];
		s->tx_pps[k] = (float)tx_pps[k];
		s->proc_state[k] = p->died[k] ? DEMO_PROC_FAILED : sl->state;
		s->port_state[k] = sl->port_state;
	}
}

/* Print the events every process recorded since the last call. */
static void
demo_print_events(struct demo_primary *p)
{
	unsigned int k;

	for (k = 0; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *s = &p->sh->slot[k];
		uint32_t n = rte_atomic_load_explicit(&s->nb_events, rte_memory_order_acquire);
		char name[24];

		demo_proc_name(p, k, name, sizeof(name));
		for (; p->printed_events[k] < n; p->printed_events[k]++) {
			const struct demo_event *e = &s->events[p->printed_events[k]];
			const struct demo_reset_rec *rec = e->window <= p->nb_windows && e->window ?
							    &p->rec[e->window] : NULL;

			if (rec != NULL)
				demo_say(p, "event: %-8s (pid %d) %s (%s %u, +%.1f ms)",
					 name, s->pid, demo_ev_name(e->ev),
					 rec->kind == DEMO_WIN_REMOVE ? "hot-remove" : "reset",
					 e->window, (double)(e->ns - rec->inject_ns) / 1e6);
			else
				demo_say(p, "event: %-8s (pid %d) %s", name, s->pid,
					 demo_ev_name(e->ev));
		}
	}
}

static void
demo_check_alive(struct demo_primary *p)
{
	unsigned int k;

	for (k = 1; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *s = &p->sh->slot[k];
		uint32_t state = rte_atomic_load_explicit(&s->state, rte_memory_order_acquire);
		char name[24];

		if (p->died[k] || s->pid <= 0 || state == DEMO_PROC_FREE ||
		    state == DEMO_PROC_DONE || state == DEMO_PROC_FAILED)
			continue;
		if (demo_pid_alive(s->pid))
			continue;
		/* It may have published DONE just before exiting. */
		state = rte_atomic_load_explicit(&s->state, rte_memory_order_acquire);
		if (state == DEMO_PROC_DONE || state == DEMO_PROC_FAILED)
			continue;
		p->died[k] = true;
		demo_fail(p, "%s (pid %d) died while %s", demo_proc_name(p, k, name, sizeof(name)),
			  s->pid, demo_proc_state_name(state));
	}
}

static void
demo_ack_set(struct demo_ack *a, int32_t result, uint64_t latency_us, uint32_t generation)
{
	a->have = true;
	a->result = result;
	a->latency_us = latency_us;
	a->generation = generation;
}

/* Registry answers during a reset: UNMAP_DB now, REMAP_DB later. */
static void
demo_track_registry(struct demo_primary *p, struct demo_reset_rec *rec)
{
	struct rte_pmd_mana_mpr_proc procs[DEMO_REG_MAX];
	int n, i;

	n = rte_pmd_mana_mpr_get_procs(p->port, procs, RTE_DIM(procs));
	if (n < 0)
		return;
	for (i = 0; i < RTE_MIN(n, (int)RTE_DIM(procs)); i++) {
		const struct rte_pmd_mana_mpr_proc *pr = &procs[i];

		if (pr->slot < 0 || pr->slot >= DEMO_REG_MAX)
			continue;
		/* The registry keeps each process's last UNMAP_DB and REMAP_DB answer. */
		if (pr->unmap_generation == rec->gen_before && !rec->unmap[pr->slot].have)
			demo_ack_set(&rec->unmap[pr->slot], pr->unmap_result, pr->unmap_latency_us,
				     pr->unmap_result == 0 ? 0 : rec->gen_before);
		if (pr->remap_generation > rec->gen_before && !rec->remap[pr->slot].have)
			demo_ack_set(&rec->remap[pr->slot], pr->remap_result, pr->remap_latency_us,
				     pr->remap_generation);
	}
}

/* One round of everything periodic; sleeps when there was nothing to do. */
void
demo_tick(struct demo_primary *p)
{
	unsigned int work = 0;
	uint64_t now;

	if (p->traffic_on)
		work = demo_traffic_poll(&p->t);
	now = demo_now_ns();
	if (p->cur != 0)
		demo_track_registry(p, &p->rec[p->cur]);
	demo_print_events(p);
	if (now >= p->next_alive) {
		p->next_alive = now + 50000000ull;
		demo_check_alive(p);
	}
	if (now >= p->next_sample) {
		p->next_sample = now + (uint64_t)p->o->sample_ms * 1000000ull;
		demo_sample(p, now);
	}
	if (now >= p->next_status) {
		/* While the device is away, show the progress more often. */
		uint64_t period = p->cur != 0 ? RTE_MIN(p->o->status_ms, 100u) : p->o->status_ms;

		p->next_status = now + period * 1000000ull;
		demo_status(p, now);
	}
	if (work == 0)
		rte_delay_us_sleep(p->traffic_on ? DEMO_IDLE_US : 500);
}

/* Tick for @ms (or until signalled). */
static void
demo_idle(struct demo_primary *p, uint64_t ms)
{
	uint64_t end = demo_now_ns() + ms * 1000000ull;

	while (demo_now_ns() < end && !demo_signalled)
		demo_tick(p);
}

/* ------------------------------------------------------------------ */
/* Setup.                                                               */

static int
demo_setup_shared(struct demo_primary *p)
{
	const struct demo_opts *o = p->o;
	struct demo_shared *sh;

	p->mz = rte_memzone_reserve(DEMO_MZ_NAME, sizeof(*sh), SOCKET_ID_ANY, 0);
	if (p->mz == NULL) {
		demo_log("cannot reserve memzone %s: %s", DEMO_MZ_NAME, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	sh = p->mz->addr;
	memset(sh, 0, sizeof(*sh));
	sh->nb_workers = o->workers;
	/* The MANA indirection table needs a power of two (net_mana_mpr refuses others). */
	sh->nb_queues = (uint16_t)rte_align32pow2(o->workers + 1);
	sh->rate = o->rate;
	sh->drain_ms = o->drain_ms;
	sh->slot[0].pid = getpid();
	sh->slot[0].lcore = rte_lcore_id();
	sh->slot[0].queue = 0;
	sh->slot[0].traffic = o->primary_traffic;
	sh->slot[0].state = DEMO_PROC_STARTING;
	p->sh = sh;
	rte_atomic_store_explicit(&sh->magic, DEMO_MAGIC, rte_memory_order_release);
	return 0;
}

/* The recovery_timeout_ms devarg of the port's device, or the PMD's default. */
static uint32_t
demo_port_recovery_timeout(const struct rte_eth_dev_info *info)
{
	const struct rte_devargs *da = info->device != NULL ? rte_dev_devargs(info->device) : NULL;
	uint32_t ms = DEMO_RECOVERY_TIMEOUT_MS;
	struct rte_kvargs *kv;
	const char *v;

	if (da == NULL || da->args == NULL || da->args[0] == '\0')
		return ms;
	kv = rte_kvargs_parse(da->args, NULL);
	if (kv == NULL)
		return ms;
	v = rte_kvargs_get(kv, "recovery_timeout_ms");
	if (v != NULL)
		ms = (uint32_t)strtoul(v, NULL, 0);	/* as the PMD parses it */
	rte_kvargs_free(kv);
	return ms;
}

static int
demo_setup_port(struct demo_primary *p)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t q, nq = p->sh->nb_queues;
	uint32_t n;
	int ret;

	p->port = RTE_MAX_ETHPORTS;
	RTE_ETH_FOREACH_DEV(p->port)
		break;
	if (p->port >= RTE_MAX_ETHPORTS) {
		demo_log("no ethdev port: pass -a <pci>[,mac=<mac>] (see --help)");
		return -ENODEV;
	}
	rte_eth_dev_get_name_by_port(p->port, p->port_name);
	if (rte_pmd_mana_mpr_get_state(p->port, &(struct rte_pmd_mana_mpr_state){ 0 }) != 0) {
		demo_log("port %u (%s) is not a net_mana_mpr port", p->port, p->port_name);
		return -ENODEV;
	}
	ret = rte_eth_dev_info_get(p->port, &info);
	if (ret != 0)
		return ret;
	snprintf(p->device_name, sizeof(p->device_name), "%s", rte_dev_name(info.device));
	p->opts.recovery_timeout_ms = demo_port_recovery_timeout(&info);
	if (p->opts.resume_timeout_ms == 0)
		p->opts.resume_timeout_ms = p->opts.recovery_timeout_ms + 5000;
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		demo_log("%u workers need %u queues; port %s has %u", p->o->workers, nq,
			 p->port_name, RTE_MIN(info.max_rx_queues, info.max_tx_queues));
		return -EINVAL;
	}
	/* Rx rings, mbufs in the workers' hands and every lcore's cache. */
	n = (uint32_t)nq * (DEMO_DEFAULT_DESC + 2 * DEMO_BURST) + 384u * (nq + 1) + 1024;
	p->rx_pool = demo_pool_create("mmr_rx", n);
	if (p->rx_pool == NULL)
		return -ENOMEM;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	ret = rte_eth_dev_configure(p->port, nq, nq, &conf);
	if (ret != 0) {
		demo_log("rte_eth_dev_configure(%u queues): %s", nq, strerror(-ret));
		return ret;
	}
	for (q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(p->port, q, DEMO_DEFAULT_DESC, rte_socket_id(), NULL,
					     p->rx_pool);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(p->port, q, DEMO_DEFAULT_DESC,
						     rte_socket_id(), NULL);
		if (ret != 0) {
			demo_log("queue %u setup: %s", q, strerror(-ret));
			return ret;
		}
	}
	ret = demo_register_events(p->port, p->sh, &p->sh->slot[0]);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_start(p->port);
	if (ret != 0) {
		demo_log("rte_eth_dev_start: %s", strerror(-ret));
		return ret;
	}
	p->port_started = true;
	if (p->o->primary_traffic) {
		p->tx_pool = demo_pool_create("mmr_tx_primary",
					      DEMO_DEFAULT_DESC + 4 * DEMO_BURST + 1024);
		if (p->tx_pool == NULL)
			return -ENOMEM;
		ret = demo_traffic_init(&p->t, p->sh, &p->sh->slot[0], p->port, 0, 0, p->tx_pool,
					p->o->rate);
		if (ret != 0)
			return ret;
		p->traffic_on = true;
	}
	{
		struct rte_pmd_mana_mpr_state st;

		if (rte_pmd_mana_mpr_get_state(p->port, &st) == 0)
			p->sh->slot[0].reg_slot = st.slot;
	}
	rte_atomic_store_explicit(&p->sh->slot[0].state, DEMO_PROC_RUNNING,
				  rte_memory_order_release);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Phases of the run.                                                   */

static bool
demo_worker_has_traffic(const struct demo_slot *s)
{
	return rte_atomic_load_explicit(&s->state, rte_memory_order_acquire) == DEMO_PROC_RUNNING &&
	       rte_atomic_load_explicit(&s->rx, rte_memory_order_relaxed) > 0;
}

/*
 * The -a argument a worker needs: the port's device and its devargs, as the
 * primary was given them (the device name alone without devargs).
 */
static const char *
demo_port_devargs(const struct demo_primary *p)
{
	static char buf[RTE_DEV_NAME_MAX_LEN + 256];
	struct rte_eth_dev_info info;
	const struct rte_devargs *da;

	if (rte_eth_dev_info_get(p->port, &info) != 0 || info.device == NULL)
		return "<pci>,mac=<mac>";
	da = rte_dev_devargs(info.device);
	if (da != NULL && da->args != NULL && da->args[0] != '\0')
		snprintf(buf, sizeof(buf), "%s,%s", rte_dev_name(info.device), da->args);
	else
		snprintf(buf, sizeof(buf), "%s", rte_dev_name(info.device));
	return buf;
}

static int
demo_wait_workers(struct demo_primary *p)
{
	const struct demo_opts *o = p->o;
	uint64_t deadline;
	unsigned int k, ready = 0, prev = UINT32_MAX;

	p->wait_start_ns = demo_now_ns();
	deadline = p->wait_start_ns + (uint64_t)o->attach_timeout_ms * 1000000ull;
	p->waiting_workers = true;
	if (o->workers > 0) {
		demo_say(p, "waiting up to %u ms for %u worker(s); start each in its own terminal "
			 "(K = 1..%u):", o->attach_timeout_ms, o->workers, o->workers);
		demo_say(p, "  %s --proc-type=secondary --file-prefix=%s --lcores='K@(0-1)' "
			 "-a %s -- --worker K", o->prog, o->prefix, demo_port_devargs(p));
	}
	for (;;) {
		ready = 0;
		for (k = 1; k <= o->workers; k++) {
			const struct demo_slot *s = &p->sh->slot[k];

			if (demo_worker_has_traffic(s))
				ready++;
			if (s->state == DEMO_PROC_FAILED && !p->died[k]) {
				p->died[k] = true;
				demo_fail(p, "worker%u failed to start: %s", k, s->error);
			}
		}
		if (ready != prev) {
			if (prev != UINT32_MAX || ready > 0)
				demo_say(p, "%u/%u worker(s) running with traffic", ready,
					 o->workers);
			prev = ready;
		}
		if (ready == o->workers && (!p->traffic_on || p->sh->slot[0].rx > 0))
			break;
		if (demo_signalled || p->nb_fails > 0) {
			p->waiting_workers = false;
			return -EINTR;
		}
		if (demo_now_ns() >= deadline) {
			p->waiting_workers = false;
			demo_fail(p, "only %u of %u worker(s) came up with traffic within %u ms",
				  ready, o->workers, o->attach_timeout_ms);
			return -ETIMEDOUT;
		}
		demo_tick(p);
	}
	p->waiting_workers = false;
	p->traffic_start_ns = demo_now_ns();
	demo_say(p, "traffic flows in every process (%u queue(s), %u pps each)",
		 o->workers + (p->traffic_on ? 1 : 0), o->rate);
	return 0;
}

/* Processes expected to take part in window @w: alive, with traffic. */
static bool
demo_expected(const struct demo_primary *p, unsigned int k)
{
	const struct demo_slot *s = &p->sh->slot[k];

	if (k == 0)
		return s->traffic;
	return !p->died[k] && s->state == DEMO_PROC_RUNNING;
}

static bool
demo_window_complete(struct demo_primary *p, struct demo_reset_rec *rec, uint32_t w)
{
	const struct demo_slot *s0 = &p->sh->slot[0];
	unsigned int k;

	if (rec->kind == DEMO_WIN_REMOVE) {
		/* Every process has heard INTR_RMV. */
		if (!rte_atomic_load_explicit(&s0->w[w].ev_ns[DEMO_EV_INTR_RMV],
					      rte_memory_order_acquire))
			return false;
		for (k = 1; k <= p->sh->nb_workers; k++) {
			const struct demo_slot *s = &p->sh->slot[k];

			if (p->died[k] || s->state == DEMO_PROC_FAILED)
				continue;
			if (!rte_atomic_load_explicit(&s->w[w].ev_ns[DEMO_EV_INTR_RMV],
						      rte_memory_order_acquire))
				return false;
		}
		return true;
	}
	/* A failed recovery ends the window once every process has heard of it. */
	if (rte_atomic_load_explicit(&s0->w[w].ev_ns[DEMO_EV_RECOVERY_FAILED],
				     rte_memory_order_acquire)) {
		bool rmv = rte_atomic_load_explicit(&s0->w[w].ev_ns[DEMO_EV_INTR_RMV],
						    rte_memory_order_acquire);

		for (k = 1; k <= p->sh->nb_workers; k++) {
			const struct demo_slot *s = &p->sh->slot[k];

			if (!demo_expected(p, k))
				continue;
			if (!rte_atomic_load_explicit(&s->w[w].ev_ns[DEMO_EV_RECOVERY_FAILED],
					     rte_memory_order_acquire) ||
			    (rmv && !rte_atomic_load_explicit(&s->w[w].ev_ns[DEMO_EV_INTR_RMV],
						     rte_memory_order_acquire)))
				return false;
		}
		return true;
	}
	if (!rte_atomic_load_explicit(&s0->w[w].ev_ns[DEMO_EV_RECOVERY_SUCCESS],
				      rte_memory_order_acquire))
		return false;
	for (k = 0; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *s = &p->sh->slot[k];

		if (!demo_expected(p, k))
			continue;
		if (rte_atomic_load_explicit(&s->window_resumed, rte_memory_order_acquire) < w)
			return false;
		if (k != 0 && !rte_atomic_load_explicit(&s->w[w].ev_ns[DEMO_EV_RECOVERY_SUCCESS],
					       rte_memory_order_acquire) &&
		    !rte_atomic_load_explicit(&s->w[w].ev_ns[DEMO_EV_RECOVERY_FAILED],
					      rte_memory_order_acquire))
			return false;
	}
	return true;
}

/*
 * The software VF's fault injection, looked up at run time: the demo runs
 * on the emulated VF (LD_PRELOAD=libmana_sim.so), whose PCI function is
 * the port's device.
 */
static int
demo_sim_inject(const char *bdf, const struct mana_sim_fault *fault)
{
	mana_sim_inject_t inject = (mana_sim_inject_t)dlsym(RTLD_DEFAULT,
							    MANA_SIM_INJECT_SYMBOL);

	if (inject == NULL)
		return -ENOTSUP;
	return inject(bdf, fault);
}

/* Inject reset or removal number @w and follow it to its end. */
static int
demo_run_window(struct demo_primary *p, uint32_t w, uint32_t kind)
{
	const struct demo_opts *o = p->o;
	struct demo_reset_rec *rec = &p->rec[w];
	struct mana_sim_fault fault;
	struct rte_pmd_mana_mpr_state st;
	uint64_t deadline, now;
	unsigned int k;
	int n;

	memset(rec, 0, sizeof(*rec));
	rec->kind = kind;
	rec->down_ms = kind == DEMO_WIN_RESET ? o->down_ms : 0;
	rte_pmd_mana_mpr_get_reset_info(p->port, &rec->info_before);
	if (rte_pmd_mana_mpr_get_state(p->port, &st) == 0)
		rec->gen_before = st.generation;
	n = rte_pmd_mana_mpr_get_procs(p->port, rec->before, RTE_DIM(rec->before));
	rec->nb_before = n < 0 ? 0 : RTE_MIN(n, (int)RTE_DIM(rec->before));
	for (k = 0; k <= p->sh->nb_workers; k++)
		rec->expected[k] = demo_expected(p, k);

	memset(&fault, 0, sizeof(fault));
	fault.kind = kind == DEMO_WIN_RESET ? MANA_SIM_FAULT_RESET : MANA_SIM_FAULT_REMOVE;
	fault.down_ms = o->down_ms;
	rte_atomic_store_explicit(&p->sh->cur_window, w, rte_memory_order_release);
	p->nb_windows = w;
	p->cur = w;
	if (kind == DEMO_WIN_RESET)
		demo_say(p, "reset %u/%u: service reset of %s (device down %u ms)", w, o->resets,
			 p->port_name, o->down_ms);
	else
		demo_say(p, "hot-remove: %s is removed for good", p->port_name);
	rec->inject_ns = demo_now_ns();
	rec->inject_ret = demo_sim_inject(p->device_name, &fault);
	if (rec->inject_ret != 0) {
		p->cur = 0;
		demo_fail(p, "mana_sim_inject(%s): %s", p->device_name, strerror(-rec->inject_ret));
		return rec->inject_ret;
	}
	p->next_status = RTE_MIN(p->next_status, rec->inject_ns + 100000000ull);
	deadline = rec->inject_ns + (uint64_t)o->resume_timeout_ms * 1000000ull;
	while (!demo_window_complete(p, rec, w)) {
		if (demo_now_ns() >= deadline) {
			rec->timed_out = true;
			break;
		}
		if (demo_signalled)
			break;
		demo_tick(p);
	}
	/* Let the last answers and events land before reading the results. */
	demo_track_registry(p, rec);
	now = demo_now_ns();
	rec->done_ns = now;
	p->cur = 0;
	demo_print_events(p);

	rte_pmd_mana_mpr_get_reset_info(p->port, &rec->info);
	if (rte_pmd_mana_mpr_get_state(p->port, &st) == 0) {
		rec->gen_after = st.generation;
		rec->state_after = st.state;
	}
	n = rte_pmd_mana_mpr_get_procs(p->port, rec->after, RTE_DIM(rec->after));
	rec->nb_after = n < 0 ? 0 : RTE_MIN(n, (int)RTE_DIM(rec->after));
	rec->primary_success_ns = p->sh->slot[0].w[w].ev_ns[DEMO_EV_RECOVERY_SUCCESS];
	rec->primary_failed_ns = p->sh->slot[0].w[w].ev_ns[DEMO_EV_RECOVERY_FAILED];
	rec->recovered = kind == DEMO_WIN_RESET && rec->primary_success_ns != 0 &&
			 rec->info.succeeded == rec->info_before.succeeded + 1 &&
			 rec->state_after == RTE_PMD_MANA_MPR_ACTIVE;
	demo_window_summary(p, w);
	return 0;
}

/* Stop the workers (bounded), then our own traffic. */
static void
demo_stop_workers(struct demo_primary *p)
{
	uint64_t deadline = demo_now_ns() + (uint64_t)(p->o->drain_ms + 5000) * 1000000ull;
	unsigned int k, pending;

	demo_say(p, "stopping: telling the workers to drain and exit");
	rte_atomic_store_explicit(&p->sh->stop, 1, rte_memory_order_release);
	for (;;) {
		pending = 0;
		for (k = 1; k <= p->sh->nb_workers; k++) {
			const struct demo_slot *s = &p->sh->slot[k];
			uint32_t state = rte_atomic_load_explicit(&s->state,
								  rte_memory_order_acquire);

			if (p->died[k] || state == DEMO_PROC_FREE)
				continue;
			/* Done: wait for the process to leave too (it detaches first). */
			if ((state == DEMO_PROC_DONE || state == DEMO_PROC_FAILED) &&
			    !demo_pid_alive(s->pid))
				continue;
			pending++;
		}
		if (pending == 0 || demo_now_ns() >= deadline)
			break;
		demo_tick(p);
	}
	for (k = 1; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *s = &p->sh->slot[k];
		char name[24];

		demo_proc_name(p, k, name, sizeof(name));
		if (p->died[k] || s->state == DEMO_PROC_FREE)
			continue;
		if (s->state != DEMO_PROC_DONE)
			demo_fail(p, "%s (pid %d) did not finish cleanly: %s%s%s", name, s->pid,
				  demo_proc_state_name(s->state), s->error[0] ? ": " : "",
				  s->error);
		else if (demo_pid_alive(s->pid))
			demo_fail(p, "%s (pid %d) published its results but did not exit", name,
				  s->pid);
	}
	if (p->traffic_on) {
		rte_atomic_store_explicit(&p->sh->slot[0].state, DEMO_PROC_DRAINING,
					  rte_memory_order_release);
		demo_traffic_drain(&p->t, p->o->drain_ms);
		demo_traffic_finish(&p->t);
		p->traffic_on = false;
	}
	rte_atomic_store_explicit(&p->sh->slot[0].state, DEMO_PROC_DONE, rte_memory_order_release);
}

static void
demo_pool_cb(struct rte_mempool *mp, void *arg)
{
	struct demo_primary *p = arg;
	struct demo_pool *dp;

	if (p->nb_pools >= RTE_DIM(p->pools))
		return;
	dp = &p->pools[p->nb_pools++];
	snprintf(dp->name, sizeof(dp->name), "%s", mp->name);
	dp->size = mp->size;
	dp->avail = rte_mempool_avail_count(mp);
}

/* Stop the port (every mbuf back), count what is missing from each pool, close. */
static void
demo_stop_port(struct demo_primary *p)
{
	struct rte_pmd_mana_mpr_state st;

	if (rte_pmd_mana_mpr_get_state(p->port, &st) == 0)
		p->final_state = st.state;
	p->stop_ret = rte_eth_dev_stop(p->port);
	p->port_started = false;
	if (p->stop_ret != 0)
		demo_fail(p, "rte_eth_dev_stop: %s", strerror(-p->stop_ret));
	rte_pmd_mana_mpr_get_reset_info(p->port, &p->info_final);
	p->nb_pools = 0;
	rte_mempool_walk(demo_pool_cb, p);
	demo_unregister_events(p->port);
	p->close_ret = rte_eth_dev_close(p->port);
	p->port_closed = true;
	if (p->close_ret != 0)
		demo_fail(p, "rte_eth_dev_close: %s", strerror(-p->close_ret));
}

int
demo_primary(const struct demo_opts *o)
{
	struct demo_primary *p;
	uint64_t now, min_end;
	uint32_t w;
	int ret, code;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return 2;
	p->opts = *o;
	p->o = &p->opts;
	p->port = RTE_MAX_ETHPORTS;
	p->t0 = demo_now_ns();
	p->tty = isatty(STDOUT_FILENO);
	p->cols = 160;
	if (p->tty && getenv("COLUMNS") != NULL)
		p->cols = atoi(getenv("COLUMNS"));
	p->next_status = p->t0 + (uint64_t)o->status_ms * 1000000ull;
	p->status_rate.prev_ns = p->t0;
	p->sample_rate.prev_ns = p->t0;

	if (demo_setup_shared(p) != 0 || demo_setup_port(p) != 0) {
		demo_log("setup failed");
		if (p->port < RTE_MAX_ETHPORTS) {
			if (p->port_started)
				rte_eth_dev_stop(p->port);
			rte_eth_dev_close(p->port);
		}
		demo_traffic_free(&p->t);	/* p is zeroed: safe whatever was set up */
		free(p);
		return 2;
	}
	demo_say(p, "primary pid %d: port %u (%s), %u queues (queue 0: %s, queue K: worker K), "
		 "RSS over IPv4/UDP; %u reset(s), every %u ms, device down %u ms%s",
		 getpid(), p->port, p->port_name, p->sh->nb_queues,
		 o->primary_traffic ? "primary traffic" : "idle", o->resets, o->interval_ms,
		 o->down_ms, o->remove_at_end ? ", then hot-remove" : "");

	ret = demo_wait_workers(p);
	if (ret == 0) {
		for (w = 1; w <= o->resets && !demo_signalled; w++) {
			demo_idle(p, o->interval_ms);
			if (demo_signalled)
				break;
			if (demo_run_window(p, w, DEMO_WIN_RESET) != 0)
				break;
			if (!p->rec[w].recovered)
				break;	/* the port is FAILED (or stuck): nothing more to show */
		}
		/* Traffic after the last reset; at least --duration-ms in total. */
		now = demo_now_ns();
		min_end = p->traffic_start_ns + (uint64_t)o->duration_ms * 1000000ull;
		if (!demo_signalled && p->nb_windows == o->resets &&
		    (p->nb_windows == 0 || p->rec[p->nb_windows].recovered))
			demo_idle(p, RTE_MAX((uint64_t)o->interval_ms,
					     min_end > now ? (min_end - now) / 1000000ull : 0));
		if (!demo_signalled && o->remove_at_end && p->nb_fails == 0)
			demo_run_window(p, p->nb_windows + 1, DEMO_WIN_REMOVE);
	}
	if (demo_signalled)
		demo_fail(p, "interrupted by a signal");
	demo_stop_workers(p);
	demo_stop_port(p);
	p->end_ns = demo_now_ns();
	demo_print_events(p);
	demo_clear_status(p);
	p->last_status[0] = '\0';

	code = demo_report(p);
	if (p->samples != NULL)
		free(p->samples);
	demo_traffic_free(&p->t);
	free(p);
	return code;
}
