/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * rte_telemetry commands (primary; DPDK serves telemetry there only):
 *   /mana_mpr/ports                   ids of net_mana_mpr ports
 *   /mana_mpr/info,<port>             state, generation, phase, reset history, devargs
 *   /mana_mpr/procs,<port>[,<slot>]   the process registry, from registry slot <slot>
 *   /mana_mpr/queues,<port>[,<queue>] per-queue guard owner and counters, from <queue>
 *
 * Parameters are decimal (digits only). A bad one gets {"error": "<text>"}
 * naming it. The lists are paged: DPDK writes a reply into a buffer of
 * max_output_len (16 KiB: MAX_OUTPUT_LEN in lib/telemetry/telemetry.c, 22.11
 * to 25.11) and silently leaves out whatever does not fit, so a reply holds
 * only the entries whose worst-case JSON fits, says "truncated": 1 and the
 * "next" slot or queue to ask for.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "mana.h"
#include "mp/mana_mp.h"

#define MANA_TEL_REPLY_MAX	16384	/* DPDK's max_output_len */
/* The reply's frame: {"<cmd>":{"port":..,"first":..,"total":..,"truncated":..,"next":..,"<list>":{}}} */
#define MANA_TEL_FRAME		256

/* Digits of @v in decimal. */
static size_t
mana_tel_digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/*
 * Add a field and count the JSON it takes at most: "key":value, (quotes,
 * colon, comma: 4 bytes besides the key and the value).
 */
static void
mana_tel_uint(struct rte_tel_data *d, const char *key, uint64_t v, size_t *cost)
{
	rte_tel_data_add_dict_uint(d, key, v);
	*cost += strlen(key) + 4 + mana_tel_digits(v);
}

static void
mana_tel_int(struct rte_tel_data *d, const char *key, int64_t v, size_t *cost)
{
	rte_tel_data_add_dict_int(d, key, v);
	*cost += strlen(key) + 5 + mana_tel_digits(v < 0 ? -(uint64_t)v : (uint64_t)v);
}

static void
mana_tel_str(struct rte_tel_data *d, const char *key, const char *v, size_t *cost)
{
	rte_tel_data_add_dict_string(d, key, v);
	*cost += strlen(key) + strlen(v) + 6;
}

static int
mana_tel_error(struct rte_tel_data *d, const char *text)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "error", text);
	return 0;
}

/*
 * Parse "<port>[,<from>]" (@from may be NULL: no second parameter allowed).
 * Returns the port or NULL with @d holding the error.
 */
static struct rte_eth_dev *
mana_tel_args(const char *params, struct rte_tel_data *d, const char *from_name,
	      uint32_t *from, uint32_t from_max)
{
	char text[96];
	char buf[32];
	char *comma;
	uint32_t port;

	if (params == NULL || strlen(params) >= sizeof(buf)) {
		mana_tel_error(d, "port_id: expected a decimal port id");
		return NULL;
	}
	strcpy(buf, params);
	comma = strchr(buf, ',');
	if (comma != NULL)
		*comma++ = '\0';
	if (mana_parse_dec_u32(buf, 0, RTE_MAX_ETHPORTS - 1, &port) != 0) {
		mana_tel_error(d, "port_id: expected a decimal port id");
		return NULL;
	}
	if (!rte_eth_dev_is_valid_port((uint16_t)port) ||
	    !mana_dev_is_mana(&rte_eth_devices[port])) {
		mana_tel_error(d, "port_id: not a net_mana_mpr port");
		return NULL;
	}
	if (from != NULL) {
		*from = 0;
		if (comma != NULL && mana_parse_dec_u32(comma, 0, from_max, from) != 0) {
			snprintf(text, sizeof(text), "%s: expected a decimal number in [0, %u]",
				 from_name, from_max);
			mana_tel_error(d, text);
			return NULL;
		}
	} else if (comma != NULL) {
		mana_tel_error(d, "one parameter only: port_id");
		return NULL;
	}
	return &rte_eth_devices[port];
}

static int
mana_tel_ports(const char *cmd __rte_unused, const char *params __rte_unused,
	       struct rte_tel_data *d)
{
	uint16_t port;

	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	RTE_ETH_FOREACH_DEV(port)
		if (mana_dev_is_mana(&rte_eth_devices[port]))
			rte_tel_data_add_array_int(d, port);
	return 0;
}

static int
mana_tel_info(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct rte_eth_dev *dev = mana_tel_args(params, d, NULL, NULL, 0);
	struct mana_priv *priv;
	struct mana_reset_stats *rs;
	struct rte_tel_data *phases;
	uint64_t word;
	int p;

	if (dev == NULL)
		return 0;
	priv = mana_priv(dev);
	rs = &priv->reset;
	word = mana_state_load(priv);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "device", priv->hw_name);
	rte_tel_data_add_dict_string(d, "state", mana_state_name(mana_word_state(word)));
	rte_tel_data_add_dict_uint(d, "generation", mana_word_generation(word));
	rte_tel_data_add_dict_string(d, "phase", mana_phase_name(rs->phase));
	rte_tel_data_add_dict_int(d, "started", priv->started);
	rte_tel_data_add_dict_int(d, "queues", priv->nb_queues);
	rte_tel_data_add_dict_uint(d, "resets_started", rs->started);
	rte_tel_data_add_dict_uint(d, "resets_succeeded", rs->succeeded);
	rte_tel_data_add_dict_uint(d, "resets_failed", rs->failed);
	rte_tel_data_add_dict_uint(d, "reset_restarts", rs->restarts);
	rte_tel_data_add_dict_uint(d, "reset_retries", rs->retries);
	rte_tel_data_add_dict_uint(d, "removals", rs->removals);
	rte_tel_data_add_dict_uint(d, "evictions", rs->evictions);
	rte_tel_data_add_dict_uint(d, "dead_processes", rs->dead_procs);
	rte_tel_data_add_dict_uint(d, "evictions_cannot_run", rs->evictions_cannot_run);
	rte_tel_data_add_dict_uint(d, "evictions_deadline", rs->evictions_deadline);
	rte_tel_data_add_dict_uint(d, "ack_srtt_us", rs->ack_srtt_ns / 1000);
	rte_tel_data_add_dict_uint(d, "ack_rttvar_us", rs->ack_rttvar_ns / 1000);
	rte_tel_data_add_dict_uint(d, "ack_samples", rs->ack_samples);
	rte_tel_data_add_dict_uint(d, "ack_deadline_ms", mana_mp_next_deadline_ms(priv));
	rte_tel_data_add_dict_uint(d, "last_unmap_round_us", rs->last_unmap_round_us);
	rte_tel_data_add_dict_uint(d, "last_remap_round_us", rs->last_remap_round_us);
	rte_tel_data_add_dict_uint(d, "quiesce_waits", rs->quiesce_waits);
	rte_tel_data_add_dict_uint(d, "quiesce_timeouts", rs->quiesce_timeouts);
	rte_tel_data_add_dict_uint(d, "quiesce_stopped_owners", rs->quiesce_stopped_owners);
	rte_tel_data_add_dict_uint(d, "mbufs_leaked", rs->mbufs_leaked);
	rte_tel_data_add_dict_uint(d, "ring_shortfalls", rs->ring_shortfalls);
	rte_tel_data_add_dict_uint(d, "quarantine_shortfalls", rs->quarantine_shortfalls);
	rte_tel_data_add_dict_int(d, "last_error", rs->last_error);
	rte_tel_data_add_dict_uint(d, "last_total_us", rs->last_total_us);
	rte_tel_data_add_dict_uint(d, "last_hw_down_us", rs->last_hw_down_us);
	rte_tel_data_add_dict_uint(d, "last_event_ns", rs->last_event_ns);
	phases = rte_tel_data_alloc();
	if (phases != NULL) {
		rte_tel_data_start_dict(phases);
		for (p = MANA_PHASE_QUIESCE; p < MANA_PHASE_MAX; p++)
			rte_tel_data_add_dict_uint(phases, mana_phase_name(p),
						   rs->last_phase_us[p]);
		rte_tel_data_add_dict_container(d, "last_phase_us", phases, 0);
	}
	rte_tel_data_add_dict_uint(d, "ack_timeout_ms", priv->args.ack_timeout_ms);
	rte_tel_data_add_dict_uint(d, "quiesce_timeout_ms", priv->args.quiesce_timeout_ms);
	rte_tel_data_add_dict_uint(d, "recovery_timeout_ms", priv->args.recovery_timeout_ms);
	rte_tel_data_add_dict_uint(d, "recovery_poll_ms", priv->args.recovery_poll_ms);
	rte_tel_data_add_dict_uint(d, "request_timeout_ms", priv->args.request_timeout_ms);
	rte_tel_data_add_dict_uint(d, "max_reset_restarts", priv->args.max_reset_restarts);
	rte_tel_data_add_dict_uint(d, "max_reset_retries", priv->args.max_reset_retries);
	return 0;
}

static const char *
mana_proc_state_name(uint32_t state)
{
	switch (state) {
	case MANA_PROC_ATTACHED: return "attached";
	case MANA_PROC_EVICTED: return "evicted";
	default: return "free";
	}
}

/*
 * One registry slot's entry; its worst-case JSON size is added to @cost.
 * Returns NULL when out of memory.
 */
static struct rte_tel_data *
mana_tel_proc(const struct mana_proc_slot *s, int slot, uint64_t now, size_t *cost)
{
	struct rte_tel_data *p = rte_tel_data_alloc();

	if (p == NULL)
		return NULL;
	rte_tel_data_start_dict(p);
	mana_tel_int(p, "pid", s->pid, cost);
	mana_tel_str(p, "role", slot == 0 ? "primary" : "secondary", cost);
	mana_tel_str(p, "state", mana_proc_state_name(s->state), cost);
	mana_tel_uint(p, "db_generation", s->db_generation, cost);
	mana_tel_uint(p, "last_msg", s->last_msg, cost);
	mana_tel_int(p, "last_result", s->last_result, cost);
	mana_tel_uint(p, "last_latency_us", s->last_latency_ns / 1000, cost);
	mana_tel_uint(p, "missed_acks", s->missed_acks, cost);
	mana_tel_uint(p, "msgs_sent", rte_atomic_load_explicit(&s->msgs_sent,
							       rte_memory_order_relaxed), cost);
	mana_tel_uint(p, "msgs_dropped", rte_atomic_load_explicit(&s->msgs_dropped,
								  rte_memory_order_relaxed), cost);
	mana_tel_uint(p, "attached_ms_ago", (now - s->attached_ns) / 1000000, cost);
	if (s->last_answer_ns != 0)
		mana_tel_uint(p, "last_answer_ms_ago", (now - s->last_answer_ns) / 1000000, cost);
	mana_tel_int(p, "unmap_result", s->unmap_result, cost);
	mana_tel_uint(p, "unmap_generation", s->unmap_generation, cost);
	mana_tel_uint(p, "unmap_latency_us", s->unmap_latency_ns / 1000, cost);
	mana_tel_int(p, "remap_result", s->remap_result, cost);
	mana_tel_uint(p, "remap_generation", s->remap_generation, cost);
	mana_tel_uint(p, "remap_latency_us", s->remap_latency_ns / 1000, cost);
	return p;
}

/*
 * A paged list: @list holds entries from index @first on; what is left for
 * the next request is reported, never dropped silently.
 */
struct mana_tel_page {
	struct rte_tel_data *list;
	size_t used;		/* worst-case JSON bytes of the entries so far */
	unsigned int count;
	bool truncated;
	uint32_t next;
};

/* Add entry @e under @index, or stop the page (freeing @e) if it would not fit. */
static bool
mana_tel_page_add(struct mana_tel_page *pg, uint32_t index, struct rte_tel_data *e, size_t cost)
{
	char key[16];

	snprintf(key, sizeof(key), "%u", index);
	/* "key":{...}, around the entry's fields */
	cost += strlen(key) + 6;
	if (pg->used + cost > MANA_TEL_REPLY_MAX - MANA_TEL_FRAME ||
	    pg->count == RTE_TEL_MAX_DICT_ENTRIES) {
		rte_tel_data_free(e);
		pg->truncated = true;
		pg->next = index;
		return false;
	}
	rte_tel_data_add_dict_container(pg->list, key, e, 0);
	pg->used += cost;
	pg->count++;
	return true;
}

static int
mana_tel_page_reply(struct rte_tel_data *d, struct mana_tel_page *pg, const char *name,
		    uint16_t port, uint32_t first, uint32_t total)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "port", port);
	rte_tel_data_add_dict_uint(d, "first", first);
	rte_tel_data_add_dict_uint(d, "total", total);
	rte_tel_data_add_dict_int(d, "truncated", pg->truncated);
	if (pg->truncated)
		rte_tel_data_add_dict_uint(d, "next", pg->next);
	rte_tel_data_add_dict_container(d, name, pg->list, 0);
	return 0;
}

static int
mana_tel_procs(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct mana_tel_page pg = { .list = NULL };
	uint64_t now = mana_now_ns();
	struct mana_priv *priv;
	struct rte_eth_dev *dev;
	uint32_t first, total = 0;
	int i;

	dev = mana_tel_args(params, d, "slot", &first, MANA_MAX_PROCS - 1);
	if (dev == NULL)
		return 0;
	priv = mana_priv(dev);
	pg.list = rte_tel_data_alloc();
	if (pg.list == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(pg.list);
	for (i = 0; i < MANA_MAX_PROCS; i++) {
		const struct mana_proc_slot *s = &priv->procs[i];
		struct rte_tel_data *e;
		size_t cost = 0;

		if (s->state == MANA_PROC_FREE)
			continue;
		total++;
		if ((uint32_t)i < first || pg.truncated)
			continue;
		e = mana_tel_proc(s, i, now, &cost);
		if (e == NULL) {
			rte_tel_data_free(pg.list);
			return -ENOMEM;
		}
		mana_tel_page_add(&pg, i, e, cost);
	}
	return mana_tel_page_reply(d, &pg, "procs", dev->data->port_id, first, total);
}

static struct rte_tel_data *
mana_tel_queue(const struct mana_rxq *rxq, const struct mana_txq *txq, size_t *cost)
{
	struct rte_tel_data *q = rte_tel_data_alloc();

	if (q == NULL)
		return NULL;
	rte_tel_data_start_dict(q);
	mana_tel_int(q, "rx_busy_slot",
		     (int)rte_atomic_load_explicit(&rxq->busy, rte_memory_order_relaxed) - 1, cost);
	mana_tel_uint(q, "rx_packets", rxq->stats.packets, cost);
	mana_tel_uint(q, "rx_errors", rxq->stats.errors, cost);
	mana_tel_uint(q, "rx_nombuf", rxq->stats.nombuf, cost);
	mana_tel_uint(q, "rx_posted", rxq->desc_head - rxq->desc_tail, cost);
	if (txq != NULL) {
		mana_tel_int(q, "tx_busy_slot", (int)rte_atomic_load_explicit(
			&txq->busy, rte_memory_order_relaxed) - 1, cost);
		mana_tel_uint(q, "tx_packets", txq->stats.packets, cost);
		mana_tel_uint(q, "tx_errors", txq->stats.errors, cost);
		mana_tel_uint(q, "tx_inflight", txq->desc_head - txq->desc_tail, cost);
		mana_tel_uint(q, "tx_fast_free", txq->fast_free, cost);
		mana_tel_uint(q, "tx_cqe_mismatches", txq->cqe_mismatches, cost);
	}
	return q;
}

static int
mana_tel_queues(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct mana_tel_page pg = { .list = NULL };
	struct rte_eth_dev *dev;
	uint32_t first, total = 0;
	uint16_t i;

	dev = mana_tel_args(params, d, "queue", &first, RTE_MAX_QUEUES_PER_PORT - 1);
	if (dev == NULL)
		return 0;
	pg.list = rte_tel_data_alloc();
	if (pg.list == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(pg.list);
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct mana_rxq *rxq = dev->data->rx_queues[i];
		const struct mana_txq *txq = i < dev->data->nb_tx_queues ?
			dev->data->tx_queues[i] : NULL;
		struct rte_tel_data *e;
		size_t cost = 0;

		if (rxq == NULL)
			continue;
		total++;
		if (i < first || pg.truncated)
			continue;
		e = mana_tel_queue(rxq, txq, &cost);
		if (e == NULL) {
			rte_tel_data_free(pg.list);
			return -ENOMEM;
		}
		mana_tel_page_add(&pg, i, e, cost);
	}
	return mana_tel_page_reply(d, &pg, "queues", dev->data->port_id, first, total);
}

RTE_INIT(mana_telemetry_init)
{
	rte_telemetry_register_cmd("/mana_mpr/ports", mana_tel_ports,
				   "List net_mana_mpr ports. No parameters");
	rte_telemetry_register_cmd("/mana_mpr/info", mana_tel_info,
				   "Reset state and history of a port. Parameters: int port_id");
	rte_telemetry_register_cmd("/mana_mpr/procs", mana_tel_procs,
				   "Process registry of a port, paged. Parameters: int port_id[,int first_slot]");
	rte_telemetry_register_cmd("/mana_mpr/queues", mana_tel_queues,
				   "Per-queue guard and counters, paged. Parameters: int port_id[,int first_queue]");
}
