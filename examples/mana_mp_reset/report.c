/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The verdict and the report of a run: text on stdout, JSON (--report) and a
 * CSV timeline (--timeline) for the chart.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>

#include "primary.h"

static double
demo_ms(uint64_t from, uint64_t to)
{
	return from != 0 && to >= from ? (double)(to - from) / 1e6 : -1.0;
}

/* Registry entry of @slot in @procs, or NULL. */
static const struct rte_pmd_mana_mpr_proc *
demo_find_reg(const struct rte_pmd_mana_mpr_proc *procs, int n, int slot)
{
	int i;

	for (i = 0; i < n; i++)
		if (procs[i].slot == slot)
			return &procs[i];
	return NULL;
}

/* The cumulative counters a process records at the boundaries of a window. */
enum demo_ctr {
	DEMO_RX,
	DEMO_TX,
	DEMO_DUP,
};

/*
 * Counter @c of window @sw when it started (@resumed false) or resumed.
 * Duplicates are recorded at resumes only: for them the span of window w
 * is (resumed after w-1, resumed after w].
 */
static uint64_t
demo_ctr_at(const struct demo_window *sw, enum demo_ctr c, bool resumed)
{
	switch (c) {
	case DEMO_RX:
		return resumed ? sw->rx_at_resume : sw->rx_at_start;
	case DEMO_TX:
		return resumed ? sw->tx_at_resume : sw->tx_at_start;
	case DEMO_DUP:
		return sw->dup_at_resume;
	}
	return 0;
}

/* Counter @c of process @s between the end of window w-1 (the run's start for w = 1) and w. */
static uint64_t
demo_before(const struct demo_slot *s, uint32_t w, enum demo_ctr c)
{
	uint64_t from = w > 1 ? demo_ctr_at(&s->w[w - 1], c, true) : 0;
	uint64_t to = demo_ctr_at(&s->w[w], c, false);

	return to >= from ? to - from : 0;
}

/* Counter @c of process @s between the end of window @w and the next one (or the run's end). */
static uint64_t
demo_after(const struct demo_slot *s, uint32_t w, uint32_t nb_windows, enum demo_ctr c)
{
	uint64_t from = demo_ctr_at(&s->w[w], c, true), to;

	if (s->w[w].resumed_ns == 0)
		return 0;
	if (w < nb_windows && s->w[w + 1].start_ns)
		to = demo_ctr_at(&s->w[w + 1], c, false);
	else
		to = c == DEMO_RX ? s->rx : c == DEMO_TX ? s->tx : s->dup;
	return to >= from ? to - from : 0;
}

/* Downtime not spent waiting for the device, in ms. */
static double
demo_coordination_ms(const struct rte_pmd_mana_mpr_reset_info *info)
{
	return (double)(info->last_total_us - RTE_MIN(info->last_total_us,
						      info->last_hw_down_us)) / 1e3;
}

/* rte_pmd_mana_mpr_proc.state; @loud: an evicted process in capitals (text report). */
static const char *
demo_reg_state_name(uint32_t state, bool loud)
{
	switch (state) {
	case 1: return "attached";
	case 2: return loud ? "EVICTED" : "evicted";
	default: return "?";
	}
}

/* Did registry process @before come through window @w acknowledged? */
static bool
demo_acked(const struct demo_primary *p, uint32_t w, const struct rte_pmd_mana_mpr_proc *before,
	   const char **why)
{
	const struct demo_reset_rec *rec = &p->rec[w];
	const struct rte_pmd_mana_mpr_proc *after = demo_find_reg(rec->after, rec->nb_after,
							      before->slot);
	const struct demo_ack *um = &rec->unmap[before->slot];
	int k = demo_slot_by_pid(p, before->pid);

	*why = "";
	if (rec->kind == DEMO_WIN_REMOVE || !rec->recovered) {
		/*
		 * No new device, no REMAP_DB. The registry shows the UNMAP_DB
		 * answer only while it is the last one; the process itself saw
		 * its mapping go (rte_pmd_mana_mpr_get_state().mapped_generation).
		 */
		if (um->have && um->result != 0) {
			*why = "UNMAP_DB answered with an error";
			return false;
		}
		if (!um->have && !(k > 0 && p->sh->slot[k].w[w].unmapped_ns != 0)) {
			*why = "no UNMAP_DB acknowledgement observed";
			return false;
		}
		return true;
	}
	if (after == NULL || after->pid != before->pid) {
		*why = "left the registry";
		return false;
	}
	if (after->missed_acks > before->missed_acks) {
		*why = "missed an acknowledgement";
		return false;
	}
	if (after->state != 1) {
		*why = "evicted";
		return false;
	}
	if (!rec->remap[before->slot].have || rec->remap[before->slot].result != 0 ||
	    after->db_generation != rec->gen_after) {
		*why = "no REMAP_DB acknowledgement of the new generation";
		return false;
	}
	return true;
}

void
demo_window_summary(struct demo_primary *p, uint32_t w)
{
	const struct demo_reset_rec *rec = &p->rec[w];
	uint64_t all_resumed = 0;
	unsigned int k;
	char name[24];
	int i;

	if (rec->kind == DEMO_WIN_REMOVE) {
		for (k = 0; k <= p->sh->nb_workers; k++) {
			const struct demo_slot *s = &p->sh->slot[k];

			if (!rec->expected[k] && k != 0)
				continue;
			demo_proc_name(p, k, name, sizeof(name));
			if (!s->w[w].ev_ns[DEMO_EV_INTR_RMV])
				demo_fail(p, "hot-remove: %s never received INTR_RMV", name);
			if (!s->w[w].ev_ns[DEMO_EV_RECOVERY_FAILED])
				demo_fail(p, "hot-remove: %s never received RECOVERY_FAILED", name);
		}
		for (i = 0; i < rec->nb_before; i++) {
			const char *why;

			if (rec->before[i].slot != 0 && !demo_acked(p, w, &rec->before[i], &why))
				demo_fail(p, "hot-remove: registry slot %d (pid %d): %s",
					  rec->before[i].slot, rec->before[i].pid, why);
		}
		if (rec->timed_out)
			demo_fail(p, "hot-remove: not every process heard of it within %u ms",
				  p->o->resume_timeout_ms);
		demo_say(p, "hot-remove: port %s; INTR_RMV reached %s",
			 rte_pmd_mana_mpr_state_name(rec->state_after),
			 rec->timed_out ? "NOT every process" : "every process");
		return;
	}
	if (!rec->recovered) {
		demo_fail(p, "reset %u: the port did not recover (state %s, last error %d%s)", w,
			  rte_pmd_mana_mpr_state_name(rec->state_after), rec->info.last_error,
			  rec->timed_out ? ", timed out" : "");
		return;
	}
	for (k = 0; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *s = &p->sh->slot[k];
		const struct demo_window *sw = &s->w[w];

		if (!rec->expected[k])
			continue;
		demo_proc_name(p, k, name, sizeof(name));
		if (p->died[k]) {
			demo_fail(p, "reset %u: %s died", w, name);
			continue;
		}
		if (sw->resumed_ns == 0)
			demo_fail(p, "reset %u: traffic did not resume in %s (queue %u)", w, name,
				  s->queue);
		else
			all_resumed = RTE_MAX(all_resumed, sw->resumed_ns);
		if (!sw->ev_ns[DEMO_EV_ERR_RECOVERING])
			demo_fail(p, "reset %u: %s never received ERR_RECOVERING", w, name);
		if (!sw->ev_ns[DEMO_EV_RECOVERY_SUCCESS])
			demo_fail(p, "reset %u: %s never received RECOVERY_SUCCESS", w, name);
	}
	for (i = 0; i < rec->nb_before; i++) {
		const char *why;

		if (rec->before[i].slot == 0)
			continue;
		if (!demo_acked(p, w, &rec->before[i], &why)) {
			int k2 = demo_slot_by_pid(p, rec->before[i].pid);

			if (k2 > 0 && p->died[k2])
				continue;	/* reported as died */
			demo_fail(p, "reset %u: registry slot %d (pid %d): %s", w,
				  rec->before[i].slot, rec->before[i].pid, why);
		}
	}
	demo_say(p, "reset %u: recovered, downtime %.1f ms (device down %.1f ms + coordination "
		 "%.1f ms); traffic resumed everywhere %.1f ms after the fault", w,
		 (double)rec->info.last_total_us / 1e3, (double)rec->info.last_hw_down_us / 1e3,
		 demo_coordination_ms(&rec->info), demo_ms(rec->inject_ns, all_resumed));
}

/* ------------------------------------------------------------------ */
/* Text.                                                                */

static void
demo_text_window(const struct demo_primary *p, uint32_t w)
{
	const struct demo_reset_rec *rec = &p->rec[w];
	unsigned int k, ph, missing = 0;
	uint64_t all_resumed = 0;
	int i;

	if (rec->kind == DEMO_WIN_REMOVE)
		printf("\nhot-remove @ %.3f s: port %s\n", demo_rel_s(p, rec->inject_ns),
		       rte_pmd_mana_mpr_state_name(rec->state_after));
	else
		printf("\nreset %u @ %.3f s: %s, generation %u -> %u%s\n", w,
		       demo_rel_s(p, rec->inject_ns),
		       rec->recovered ? "RECOVERED" : "NOT RECOVERED",
		       rec->gen_before, rec->gen_after, rec->timed_out ? " (timed out)" : "");
	if (rec->kind == DEMO_WIN_RESET && !rec->recovered) {
		printf(
		    "  recovery failed (error %d) %.2f ms after the fault; waited %.2f ms for the "
		    "device\n", rec->info.last_error,
		    demo_ms(rec->inject_ns, rec->primary_failed_ns ? rec->primary_failed_ns :
			    rec->done_ns), (double)rec->info.last_hw_down_us / 1e3);
	} else if (rec->kind == DEMO_WIN_RESET) {
		printf("  downtime (fatal event -> traffic allowed): %.2f ms = device down %.2f ms"
		       " + coordination %.2f ms\n", (double)rec->info.last_total_us / 1e3,
		       (double)rec->info.last_hw_down_us / 1e3, demo_coordination_ms(&rec->info));
	}
	if (rec->kind == DEMO_WIN_RESET) {
		printf("  phases (ms):");
		for (ph = 1; ph < RTE_DIM(rec->info.last_phase_us); ph++)
			printf("%s %s %.3f", ph > 1 ? " |" : "", rte_pmd_mana_mpr_phase_name(ph),
			       (double)rec->info.last_phase_us[ph] / 1e3);
		printf("\n");
	}
	printf("  acknowledgements (PMD process registry):\n");
	printf("    %-4s %-8s %-7s %-9s %-24s %-24s %s\n", "slot", "process", "pid", "role",
	       "UNMAP_DB answer", "REMAP_DB answer", "registry after the reset");
	for (i = 0; i < rec->nb_before; i++) {
		const struct rte_pmd_mana_mpr_proc *b = &rec->before[i];
		const struct rte_pmd_mana_mpr_proc *a = demo_find_reg(rec->after, rec->nb_after,
								       b->slot);
		const struct demo_ack *um = &rec->unmap[b->slot], *rm = &rec->remap[b->slot];
		int dk = demo_slot_by_pid(p, b->pid);
		char name[24] = "other", ucol[32] = "-", rcol[32] = "-";
		const char *why = "";
		bool ok = b->slot == 0 || demo_acked(p, w, b, &why);

		if (dk >= 0)
			demo_proc_name(p, (unsigned int)dk, name, sizeof(name));
		if (b->slot == 0) {
			printf("    %-4d %-8s %-7d %-9s %-24s %-24s %s\n", b->slot, name, b->pid,
			       "primary", "(sends)", "(sends)", "-");
			continue;
		}
		if (!um->have && dk > 0 && p->sh->slot[dk].w[w].unmapped_ns)
			snprintf(ucol, sizeof(ucol), "(self) +%.2f ms, unmapped",
				 demo_ms(rec->inject_ns, p->sh->slot[dk].w[w].unmapped_ns));
		else if (um->have && um->generation == 0)
			snprintf(ucol, sizeof(ucol), "%s %" PRIu64 " us, unmapped",
				 um->result == 0 ? "ok" : "ERR", um->latency_us);
		else if (um->have)
			snprintf(ucol, sizeof(ucol), "%s %" PRIu64 " us, gen %u!",
				 um->result == 0 ? "ok" : "ERR", um->latency_us, um->generation);
		if (rm->have)
			snprintf(rcol, sizeof(rcol), "%s %" PRIu64 " us, gen %u",
				 rm->result == 0 ? "ok" : "ERR", rm->latency_us, rm->generation);
		printf("    %-4d %-8s %-7d %-9s %-24s %-24s ", b->slot, name, b->pid, "secondary",
		       ucol, rcol);
		if (a != NULL)
			printf("gen %u, %s, missed %u", a->db_generation,
			       demo_reg_state_name(a->state, true), a->missed_acks);
		else
			printf("gone");
		printf("%s%s\n", ok ? "" : "  <- ", ok ? "" : why);
	}
	printf("  traffic (ms after the fault; lost = sent in the window and never received):\n");
	printf("    %-8s %-5s %9s %9s %9s %9s %9s %5s %4s %19s %19s\n", "process", "queue",
	       "ERR_RECOV", "SUCCESS", "FAILED", "INTR_RMV", "resumed", "lost", "dup",
	       "before: sent/recv", "after: sent/recv");
	for (k = 0; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *s = &p->sh->slot[k];
		const struct demo_window *sw = &s->w[w];
		char name[24], col[DEMO_EV_MAX + 1][16], ba[2][48];
		unsigned int e;

		if (!rec->expected[k] && !s->traffic)
			continue;
		demo_proc_name(p, k, name, sizeof(name));
		for (e = 0; e < DEMO_EV_MAX; e++) {
			if (sw->ev_ns[e])
				snprintf(col[e], sizeof(col[e]), "%+.2f",
					 demo_ms(rec->inject_ns, sw->ev_ns[e]));
			else
				snprintf(col[e], sizeof(col[e]), "-");
		}
		if (sw->resumed_ns) {
			snprintf(col[DEMO_EV_MAX], sizeof(col[DEMO_EV_MAX]), "%+.2f",
				 demo_ms(rec->inject_ns, sw->resumed_ns));
			all_resumed = RTE_MAX(all_resumed, sw->resumed_ns);
		} else {
			if (rec->expected[k] && !p->died[k])
				missing++;
			snprintf(col[DEMO_EV_MAX], sizeof(col[DEMO_EV_MAX]), "%s",
				 rec->kind == DEMO_WIN_REMOVE ? "-" : "NEVER");
		}
		snprintf(ba[0], sizeof(ba[0]), "%" PRIu64 "/%" PRIu64,
			 demo_before(s, w, DEMO_TX), demo_before(s, w, DEMO_RX));
		snprintf(ba[1], sizeof(ba[1]), "%" PRIu64 "/%" PRIu64,
			 demo_after(s, w, p->nb_windows, DEMO_TX),
			 demo_after(s, w, p->nb_windows, DEMO_RX));
		printf("    %-8s %-5u %9s %9s %9s %9s %9s %5" PRIu64 " %4" PRIu64 " %19s %19s%s\n",
		       name, s->queue, col[0], col[1], col[2], col[3], col[DEMO_EV_MAX], sw->lost,
		       demo_before(s, w, DEMO_DUP), ba[0], ba[1], p->died[k] ? "  DIED" : "");
	}
	if (rec->kind == DEMO_WIN_RESET && missing == 0)
		printf("  traffic resumed in every process %.2f ms after the fault\n",
		       demo_ms(rec->inject_ns, all_resumed));
	else if (rec->kind == DEMO_WIN_RESET)
		printf("  traffic did NOT resume in %u process(es)\n", missing);
}

static uint64_t
demo_leaked(const struct demo_primary *p)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < p->nb_pools; i++)
		n += p->pools[i].size - p->pools[i].avail;
	return n;
}

static void
demo_text(const struct demo_primary *p, bool pass)
{
	const struct demo_opts *o = p->o;
	const char *rule = "==========================================================="
			   "=================";
	unsigned int k, i;
	uint32_t w;

	printf("\n%s\nmana-mp-reset report\n%s\n", rule, rule);
	printf("setup     port %u (%s), %u queues; primary pid %d (%s) + %u worker(s); "
	       "%u pps per queue, %u flows each\n", p->port, p->port_name, p->sh->nb_queues,
	       p->sh->slot[0].pid, p->sh->slot[0].traffic ? "traffic on queue 0" : "no traffic",
	       o->workers, o->rate, DEMO_FLOWS);
	printf("schedule  %u service reset(s), device down %u ms, %u ms apart%s\n", o->resets,
	       o->down_ms, o->interval_ms, o->remove_at_end ? ", then a hot-remove" : "");
	printf("run time  %.2f s (traffic %.2f s)\n", demo_rel_s(p, p->end_ns),
	       p->traffic_start_ns ? (double)(p->end_ns - p->traffic_start_ns) / 1e9 : 0.0);
	for (w = 1; w <= p->nb_windows; w++)
		demo_text_window(p, w);

	printf("\nprocesses (packets; segments split at each reset):\n");
	printf("  %-8s %-7s %-5s %10s %10s %6s %6s %5s %5s %9s  %s\n", "process", "pid", "queue",
	       "sent", "received", "lost", "steady", "dup", "bad", "refused", "rx per segment");
	for (k = 0; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *s = &p->sh->slot[k];
		char name[24];

		demo_proc_name(p, k, name, sizeof(name));
		if (k > 0 && s->pid == 0) {
			printf("  %-8s %-7s %-5s (never attached)\n", name, "-", "-");
			continue;
		}
		if (!s->traffic) {
			printf("  %-8s %-7d %-5s (no traffic)\n", name, s->pid, "-");
			continue;
		}
		printf("  %-8s %-7d %-5u %10" PRIu64 " %10" PRIu64 " %6" PRIu64 " %6" PRIu64
		       " %5" PRIu64 " %5" PRIu64 " %9" PRIu64 "  ", name, s->pid, s->queue, s->sent,
		       s->unique, s->lost, s->lost_outside, s->dup, s->bad, s->tx_refused);
		for (w = 1; w <= p->nb_windows; w++)
			printf("%" PRIu64 " | ", demo_before(s, w, DEMO_RX));
		if (p->nb_windows > 0)
			printf("%" PRIu64, demo_after(s, p->nb_windows, p->nb_windows, DEMO_RX));
		else
			printf("%" PRIu64, s->rx);
		printf("%s\n", p->died[k] ? "  DIED" : s->state == DEMO_PROC_DONE ? "" :
		       "  (did not finish)");
	}
	printf("  (lost: sent, never received; steady: of which after the last reset)\n");

	printf("\nmempools after rte_eth_dev_stop (every worker has exited):\n");
	printf("  %-24s %8s %10s %8s\n", "name", "size", "available", "leaked");
	for (i = 0; i < p->nb_pools; i++)
		printf("  %-24s %8u %10u %8u\n", p->pools[i].name, p->pools[i].size,
		       p->pools[i].avail, p->pools[i].size - p->pools[i].avail);
	printf("port      state before stop %s; rte_eth_dev_stop %d, rte_eth_dev_close %d; "
	       "resets ok %" PRIu64 ", failed %" PRIu64 "\n",
	       rte_pmd_mana_mpr_state_name(p->final_state), p->stop_ret, p->close_ret,
	       p->info_final.succeeded, p->info_final.failed);

	printf("\n");
	if (pass) {
		printf("VERDICT: PASS - %u reset(s): traffic resumed on every queue of every "
		       "process after every reset, every process acknowledged, %" PRIu64
		       " mbufs leaked, no process died%s\n", p->nb_windows -
		       (o->remove_at_end && p->nb_windows > o->resets ? 1 : 0), demo_leaked(p),
		       o->remove_at_end ? "; hot-remove: INTR_RMV in every process, clean close" :
		       "");
	} else {
		printf("VERDICT: FAIL\n");
		for (i = 0; i < p->nb_fails; i++)
			printf("  - %s\n", p->fails[i]);
	}
	printf("%s\n", rule);
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* JSON.                                                                */

static void
demo_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Milliseconds since the fault, or null. */
static void
demo_json_ms(FILE *f, uint64_t from, uint64_t to)
{
	if (from == 0 || to == 0)
		fprintf(f, "null");
	else
		fprintf(f, "%.3f", demo_ms(from, to));
}

static void
demo_json_ack(FILE *f, const struct demo_ack *a)
{
	if (!a->have) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"db_generation\":%u,\"result\":%d,\"latency_us\":%" PRIu64 "}",
		a->generation, a->result, a->latency_us);
}

static void
demo_json_window(FILE *f, const struct demo_primary *p, uint32_t w)
{
	const struct demo_reset_rec *rec = &p->rec[w];
	uint64_t all_resumed = 0;
	bool all_acked = true, resumed_everywhere = true, events_everywhere = true;
	unsigned int k, ph, e, nk = 0;
	int i;

	fprintf(f, "{\"index\":%u,\"kind\":\"%s\",\"down_ms\":%u,\"inject_t_s\":%.6f,"
		"\"inject_ret\":%d,\"recovered\":%s,\"timed_out\":%s,\"generation_before\":%u,"
		"\"generation_after\":%u,\"port_state_after\":\"%s\",", w,
		rec->kind == DEMO_WIN_REMOVE ? "remove" : "reset", rec->down_ms,
		demo_rel_s(p, rec->inject_ns), rec->inject_ret, rec->recovered ? "true" : "false",
		rec->timed_out ? "true" : "false", rec->gen_before, rec->gen_after,
		rte_pmd_mana_mpr_state_name(rec->state_after));
	fprintf(f, "\"primary_recovery_success_ms\":");
	demo_json_ms(f, rec->inject_ns, rec->primary_success_ns);
	fprintf(f, ",\"downtime_ms\":%.3f,\"hw_down_ms\":%.3f,\"coordination_ms\":%.3f,"
		"\"restarts\":%" PRIu64 ",\"evictions\":%" PRIu64
		",\"last_error\":%d,\"phases_ms\":{",
		(double)rec->info.last_total_us / 1e3, (double)rec->info.last_hw_down_us / 1e3,
		demo_coordination_ms(&rec->info), rec->info.restarts - rec->info_before.restarts,
		rec->info.evictions - rec->info_before.evictions, rec->info.last_error);
	for (ph = 1; ph < RTE_DIM(rec->info.last_phase_us); ph++)
		fprintf(f, "%s\"%s\":%.3f", ph > 1 ? "," : "", rte_pmd_mana_mpr_phase_name(ph),
			rec->kind == DEMO_WIN_RESET ?
			(double)rec->info.last_phase_us[ph] / 1e3 : 0.0);
	fprintf(f, "},\"acks\":[");
	for (i = 0; i < rec->nb_before; i++) {
		const struct rte_pmd_mana_mpr_proc *b = &rec->before[i];
		const struct rte_pmd_mana_mpr_proc *a = demo_find_reg(rec->after, rec->nb_after,
								       b->slot);
		int k2 = demo_slot_by_pid(p, b->pid);
		char name[24] = "other";
		const char *why = "";
		bool ok;

		if (b->slot == 0)
			continue;
		ok = demo_acked(p, w, b, &why);
		if (!ok && !(k2 > 0 && p->died[k2]))
			all_acked = false;
		if (k2 >= 0)
			demo_proc_name(p, (unsigned int)k2, name, sizeof(name));
		fprintf(f, "%s{\"slot\":%d,\"pid\":%d,\"process\":\"%s\",\"role\":\"secondary\","
			"\"unmap\":", nk++ ? "," : "", b->slot, b->pid, name);
		demo_json_ack(f, &rec->unmap[b->slot]);
		fprintf(f, ",\"remap\":");
		demo_json_ack(f, &rec->remap[b->slot]);
		if (a != NULL)
			fprintf(f, ",\"after\":{\"state\":\"%s\",\"db_generation\":%u,\"last_msg\":"
				"\"%s\",\"last_result\":%d,\"last_latency_us\":%" PRIu64
				",\"missed_acks\":%u}", demo_reg_state_name(a->state, false),
				a->db_generation, demo_msg_name(a->last_msg),
				a->last_result, a->last_latency_us, a->missed_acks);
		else
			fprintf(f, ",\"after\":null");
		fprintf(f, ",\"self_unmapped_ms\":");
		demo_json_ms(f, rec->inject_ns, k2 > 0 ? p->sh->slot[k2].w[w].unmapped_ns : 0);
		fprintf(f, ",\"acknowledged\":%s,\"problem\":", ok ? "true" : "false");
		demo_json_str(f, why);
		fprintf(f, "}");
	}
	fprintf(f, "],\"traffic\":[");
	nk = 0;
	for (k = 0; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *s = &p->sh->slot[k];
		const struct demo_window *sw = &s->w[w];
		char name[24];

		if (!rec->expected[k])
			continue;
		demo_proc_name(p, k, name, sizeof(name));
		if (sw->resumed_ns)
			all_resumed = RTE_MAX(all_resumed, sw->resumed_ns);
		else if (!p->died[k])
			resumed_everywhere = false;
		fprintf(f, "%s{\"process\":\"%s\",\"pid\":%d,\"queue\":%u,\"events_ms\":{",
			nk++ ? "," : "", name, s->pid, s->queue);
		for (e = 0; e < DEMO_EV_MAX; e++) {
			fprintf(f, "%s\"%s\":", e ? "," : "", demo_ev_name(e));
			demo_json_ms(f, rec->inject_ns, sw->ev_ns[e]);
		}
		if (rec->kind == DEMO_WIN_RESET && !p->died[k] &&
		    (!sw->ev_ns[DEMO_EV_ERR_RECOVERING] || !sw->ev_ns[DEMO_EV_RECOVERY_SUCCESS]))
			events_everywhere = false;
		if (rec->kind == DEMO_WIN_REMOVE && !p->died[k] && !sw->ev_ns[DEMO_EV_INTR_RMV])
			events_everywhere = false;
		fprintf(f, "},\"noticed_ms\":");
		demo_json_ms(f, rec->inject_ns, sw->start_ns);
		fprintf(f, ",\"resumed_ms\":");
		demo_json_ms(f, rec->inject_ns, sw->resumed_ns);
		fprintf(f, ",\"resumed\":%s,\"lost\":%" PRIu64 ",\"lost_after_noticed\":%" PRIu64
			",\"lost_oldest_before_noticed\":%" PRIu64 ",\"dup\":%" PRIu64
			",\"rx_before\":%" PRIu64 ",\"rx_after\":%" PRIu64 ",\"tx_before\":%" PRIu64
			",\"tx_after\":%" PRIu64 ",\"died\":%s}", sw->resumed_ns ? "true" : "false",
			sw->lost, sw->lost_after_start, sw->lost_oldest,
			demo_before(s, w, DEMO_DUP),
			demo_before(s, w, DEMO_RX), demo_after(s, w, p->nb_windows, DEMO_RX),
			demo_before(s, w, DEMO_TX), demo_after(s, w, p->nb_windows, DEMO_TX),
			p->died[k] ? "true" : "false");
	}
	fprintf(f, "],\"all_acknowledged\":%s,\"events_everywhere\":%s,"
		"\"resumed_everywhere\":%s,\"all_resumed_ms\":",
		all_acked ? "true" : "false", events_everywhere ? "true" : "false",
		rec->kind == DEMO_WIN_RESET && resumed_everywhere ? "true" : "false");
	demo_json_ms(f, rec->inject_ns, all_resumed);
	fprintf(f, ",\"end_t_s\":%.6f}", demo_rel_s(p, all_resumed ? all_resumed : rec->done_ns));
}

static int
demo_json(const struct demo_primary *p, bool pass, int code)
{
	const struct demo_opts *o = p->o;
	unsigned int k, i, e;
	uint32_t w, nw = 0;
	bool first;
	FILE *f;

	f = fopen(o->report_path, "w");
	if (f == NULL) {
		demo_log("cannot write %s: %s", o->report_path, strerror(errno));
		return -errno;
	}
	fprintf(f, "{\"tool\":\"mana-mp-reset\",\"verdict\":\"%s\",\"exit_status\":%d,"
		"\"failures\":[", pass ? "pass" : "fail", code);
	for (i = 0; i < p->nb_fails; i++) {
		fprintf(f, "%s", i ? "," : "");
		demo_json_str(f, p->fails[i]);
	}
	fprintf(f, "],\"config\":{\"workers\":%u,\"resets\":%u,\"interval_ms\":%u,\"down_ms\":%u,"
		"\"remove_at_end\":%s,\"primary_traffic\":%s,\"rate_pps\":%u,\"flows\":%u,"
		"\"duration_ms\":%u,\"recovery_timeout_ms\":%u,\"file_prefix\":",
		o->workers, o->resets, o->interval_ms, o->down_ms,
		o->remove_at_end ? "true" : "false", o->primary_traffic ? "true" : "false",
		o->rate, DEMO_FLOWS, o->duration_ms, o->recovery_timeout_ms);
	demo_json_str(f, o->prefix);
	fprintf(f, "},\"run_s\":%.3f,\"traffic_s\":%.3f,\"port\":{\"id\":%u,\"name\":",
		demo_rel_s(p, p->end_ns),
		p->traffic_start_ns ? (double)(p->end_ns - p->traffic_start_ns) / 1e9 : 0.0,
		p->port);
	demo_json_str(f, p->port_name);
	fprintf(f, ",\"queues\":%u,\"state_before_stop\":\"%s\",\"stop_ret\":%d,\"close_ret\":%d,"
		"\"resets_succeeded\":%" PRIu64 ",\"resets_failed\":%" PRIu64 "},",
		p->sh->nb_queues, rte_pmd_mana_mpr_state_name(p->final_state), p->stop_ret,
		p->close_ret, p->info_final.succeeded, p->info_final.failed);

	fprintf(f, "\"resets\":[");
	first = true;
	for (w = 1; w <= p->nb_windows; w++) {
		if (p->rec[w].kind != DEMO_WIN_RESET)
			continue;
		fprintf(f, "%s", first ? "" : ",");
		first = false;
		demo_json_window(f, p, w);
		nw++;
	}
	fprintf(f, "],\"removal\":");
	first = true;
	for (w = 1; w <= p->nb_windows; w++) {
		if (p->rec[w].kind != DEMO_WIN_REMOVE)
			continue;
		demo_json_window(f, p, w);
		first = false;
	}
	if (first)
		fprintf(f, "null");

	fprintf(f, ",\"processes\":[");
	for (k = 0; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *s = &p->sh->slot[k];
		char name[24];
		uint32_t n = RTE_MIN(s->nb_events, (uint32_t)DEMO_MAX_EVENTS);

		demo_proc_name(p, k, name, sizeof(name));
		fprintf(f, "%s{\"process\":\"%s\",\"role\":\"%s\",\"pid\":%d,\"lcore\":%u,"
		    "\"registry_slot\":%d,\"queue\":%u,\"traffic\":%s,\"state\":\"%s\",\"died\":%s,"
		    "\"error\":", k ? "," : "", name, k ? "secondary" : "primary", s->pid,
		    s->lcore, s->reg_slot, s->queue, s->traffic ? "true" : "false",
		    demo_proc_state_name(s->state), p->died[k] ? "true" : "false");
		demo_json_str(f, s->error);
		fprintf(f, ",\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"rx_packets\":%" PRIu64
			",\"lost\":%" PRIu64 ",\"lost_after_last_reset\":%" PRIu64
			",\"dup\":%" PRIu64
			",\"bad\":%" PRIu64 ",\"tx_refused\":%" PRIu64 ",\"tx_nombuf\":%" PRIu64
			",\"all_returned\":%s,\"closed\":%s,\"close_ret\":%d,\"segments\":[",
			s->sent, s->unique, s->rx, s->lost, s->lost_outside, s->dup, s->bad,
			s->tx_refused, s->tx_nombuf, s->drained ? "true" : "false",
			s->closed || k == 0 ? "true" : "false",
			k == 0 ? p->close_ret : s->close_ret);
		for (w = 1; w <= p->nb_windows; w++)
			fprintf(f, "%s{\"label\":\"before %s %u\",\"rx\":%" PRIu64 "}",
				w > 1 ? "," : "",
				p->rec[w].kind == DEMO_WIN_REMOVE ? "hot-remove" : "reset", w,
				demo_before(s, w, DEMO_RX));
		fprintf(f, "%s{\"label\":\"%s\",\"rx\":%" PRIu64 "}", p->nb_windows ? "," : "",
			p->nb_windows ? "after the last reset" : "whole run",
			p->nb_windows ? demo_after(s, p->nb_windows, p->nb_windows, DEMO_RX) :
			s->rx);
		fprintf(f, "],\"events\":[");
		for (e = 0; e < n; e++)
			fprintf(f, "%s{\"t_s\":%.6f,\"event\":\"%s\",\"window\":%u}", e ? "," : "",
				demo_rel_s(p, s->events[e].ns), demo_ev_name(s->events[e].ev),
				s->events[e].window);
		fprintf(f, "]}");
	}
	fprintf(f, "],\"mempools\":[");
	for (i = 0; i < p->nb_pools; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		demo_json_str(f, p->pools[i].name);
		fprintf(f, ",\"size\":%u,\"available\":%u,\"leaked\":%u}", p->pools[i].size,
			p->pools[i].avail, p->pools[i].size - p->pools[i].avail);
	}
	fprintf(f, "],\"mbufs_leaked\":%" PRIu64 ",\"resets_run\":%u}\n", demo_leaked(p), nw);
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Timeline.                                                            */

static int
demo_csv(const struct demo_primary *p)
{
	unsigned int k;
	uint32_t w;
	size_t i;
	FILE *f;

	f = fopen(p->o->timeline_path, "w");
	if (f == NULL) {
		demo_log("cannot write %s: %s", p->o->timeline_path, strerror(errno));
		return -errno;
	}
	fprintf(f, "kind,t_s,process,rx_pps,tx_pps,state,t_end_s,t_recovered_s\n");
	for (w = 1; w <= p->nb_windows; w++) {
		const struct demo_reset_rec *rec = &p->rec[w];
		uint64_t end = 0;

		for (k = 0; k <= p->sh->nb_workers; k++)
			if (rec->expected[k] && p->sh->slot[k].w[w].resumed_ns)
				end = RTE_MAX(end, p->sh->slot[k].w[w].resumed_ns);
		if (end == 0)
			end = rec->done_ns;
		fprintf(f, "%s,%.4f,%s %u,,,%s,%.4f,", rec->kind == DEMO_WIN_REMOVE ? "remove" :
			"reset", demo_rel_s(p, rec->inject_ns),
			rec->kind == DEMO_WIN_REMOVE ? "hot-remove" : "reset", w,
			rec->kind == DEMO_WIN_REMOVE ? "removed" : rec->recovered ? "recovered" :
			"failed", demo_rel_s(p, end));
		if (rec->primary_success_ns)
			fprintf(f, "%.4f", demo_rel_s(p, rec->primary_success_ns));
		fprintf(f, "\n");
	}
	for (i = 0; i < p->nb_samples; i++) {
		const struct demo_sample *s = &p->samples[i];

		for (k = 0; k <= p->sh->nb_workers; k++) {
			char name[24];

			if (!p->sh->slot[k].traffic)
				continue;
			fprintf(f, "sample,%.4f,%s,%.0f,%.0f,%s,,\n", s->t,
				demo_proc_name(p, k, name, sizeof(name)),
				s->rx_pps[k], s->tx_pps[k],
				s->proc_state[k] == DEMO_PROC_RUNNING ?
				rte_pmd_mana_mpr_state_name(s->port_state[k]) :
				demo_proc_state_name(s->proc_state[k]));
		}
	}
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

/* Final checks, report; returns the exit status. */
int
demo_report(struct demo_primary *p)
{
	const struct demo_opts *o = p->o;
	unsigned int k, i, resets = 0;
	bool pass;
	int code;
	uint32_t w;

	for (w = 1; w <= p->nb_windows; w++)
		resets += p->rec[w].kind == DEMO_WIN_RESET;
	if (resets < o->resets)
		demo_fail(p, "only %u of %u reset(s) ran", resets, o->resets);
	if (o->remove_at_end && resets == o->resets &&
	    (p->nb_windows == 0 || p->rec[p->nb_windows].kind != DEMO_WIN_REMOVE))
		demo_fail(p, "the final hot-remove did not run");
	for (i = 0; i < p->nb_pools; i++)
		if (p->pools[i].avail != p->pools[i].size)
			demo_fail(p, "mempool %s: %u of %u mbufs missing after the port stopped",
				  p->pools[i].name, p->pools[i].size - p->pools[i].avail,
				  p->pools[i].size);
	if (p->nb_pools == 0)
		demo_fail(p, "no mempool to check");
	for (k = 0; k <= p->sh->nb_workers; k++) {
		const struct demo_slot *s = &p->sh->slot[k];
		char name[24];

		demo_proc_name(p, k, name, sizeof(name));
		if (!s->traffic)
			continue;
		if (s->lost_outside != 0)
			demo_say(p, "warning: %s lost %" PRIu64 " packet(s) after the last reset "
				 "(outside any reset window)", name, s->lost_outside);
		if (s->dup != 0 || s->bad != 0)
			demo_say(p, "warning: %s received %" PRIu64 " duplicate(s) and %" PRIu64
				 " unexpected packet(s)", name, s->dup, s->bad);
		if (k > 0 && s->state == DEMO_PROC_DONE && s->close_ret != 0)
			demo_fail(p, "%s: rte_eth_dev_close returned %d", name, s->close_ret);
	}
	pass = p->nb_fails == 0;
	code = pass ? 0 : 1;
	demo_text(p, pass);
	if (o->report_path != NULL && demo_json(p, pass, code) == 0)
		printf("report:   %s\n", o->report_path);
	if (o->timeline_path != NULL && demo_csv(p) == 0)
		printf("timeline: %s\n", o->timeline_path);
	fflush(stdout);
	return code;
}
