/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * rte_telemetry commands (primary; DPDK serves telemetry there only):
 *   /mana_mpr/ports           ids of net_mana_mpr ports
 *   /mana_mpr/info,<port>     state, generation, phase, reset history, devargs
 *   /mana_mpr/procs,<port>    the process registry
 *   /mana_mpr/queues,<port>   per-queue guard owner and counters
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "mana.h"

static struct rte_eth_dev *
mana_tel_port(const char *params)
{
	unsigned long port;
	char *end;

	if (params == NULL || *params == '\0')
		return NULL;
	port = strtoul(params, &end, 10);
	if (*end != '\0' || port >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)port))
		return NULL;
	return mana_dev_is_mana(&rte_eth_devices[port]) ? &rte_eth_devices[port] : NULL;
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
	struct rte_eth_dev *dev = mana_tel_port(params);
	struct mana_priv *priv;
	struct mana_reset_stats *rs;
	struct rte_tel_data *phases;
	uint64_t word;
	int p;

	if (dev == NULL)
		return -EINVAL;
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
	rte_tel_data_add_dict_uint(d, "quiesce_waits", rs->quiesce_waits);
	rte_tel_data_add_dict_uint(d, "quiesce_timeouts", rs->quiesce_timeouts);
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

static int
mana_tel_procs(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct rte_eth_dev *dev = mana_tel_port(params);
	uint64_t now = mana_now_ns();
	struct mana_priv *priv;
	int i;

	if (dev == NULL)
		return -EINVAL;
	priv = mana_priv(dev);
	rte_tel_data_start_dict(d);
	for (i = 0; i < MANA_MAX_PROCS; i++) {
		const struct mana_proc_slot *s = &priv->procs[i];
		struct rte_tel_data *p;
		char key[16];

		if (s->state == MANA_PROC_FREE)
			continue;
		p = rte_tel_data_alloc();
		if (p == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_int(p, "pid", s->pid);
		rte_tel_data_add_dict_string(p, "role", i == 0 ? "primary" : "secondary");
		rte_tel_data_add_dict_string(p, "state", mana_proc_state_name(s->state));
		rte_tel_data_add_dict_uint(p, "db_generation", s->db_generation);
		rte_tel_data_add_dict_uint(p, "last_msg", s->last_msg);
		rte_tel_data_add_dict_int(p, "last_result", s->last_result);
		rte_tel_data_add_dict_uint(p, "last_latency_us", s->last_latency_ns / 1000);
		rte_tel_data_add_dict_uint(p, "missed_acks", s->missed_acks);
		rte_tel_data_add_dict_uint(p, "attached_ms_ago", (now - s->attached_ns) / 1000000);
		if (s->last_answer_ns != 0)
			rte_tel_data_add_dict_uint(p, "last_answer_ms_ago",
						  (now - s->last_answer_ns) / 1000000);
		rte_tel_data_add_dict_int(p, "unmap_result", s->unmap_result);
		rte_tel_data_add_dict_uint(p, "unmap_generation", s->unmap_generation);
		rte_tel_data_add_dict_uint(p, "unmap_latency_us", s->unmap_latency_ns / 1000);
		rte_tel_data_add_dict_int(p, "remap_result", s->remap_result);
		rte_tel_data_add_dict_uint(p, "remap_generation", s->remap_generation);
		rte_tel_data_add_dict_uint(p, "remap_latency_us", s->remap_latency_ns / 1000);
		snprintf(key, sizeof(key), "%d", i);
		rte_tel_data_add_dict_container(d, key, p, 0);
	}
	return 0;
}

static int
mana_tel_queues(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct rte_eth_dev *dev = mana_tel_port(params);
	uint16_t i;

	if (dev == NULL)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct mana_rxq *rxq = dev->data->rx_queues[i];
		const struct mana_txq *txq = i < dev->data->nb_tx_queues ?
			dev->data->tx_queues[i] : NULL;
		struct rte_tel_data *q;
		char key[16];

		if (rxq == NULL)
			continue;
		q = rte_tel_data_alloc();
		if (q == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(q);
		rte_tel_data_add_dict_int(q, "rx_busy_slot",
			(int)rte_atomic_load_explicit(&rxq->busy, rte_memory_order_relaxed) - 1);
		rte_tel_data_add_dict_uint(q, "rx_packets", rxq->stats.packets);
		rte_tel_data_add_dict_uint(q, "rx_errors", rxq->stats.errors);
		rte_tel_data_add_dict_uint(q, "rx_nombuf", rxq->stats.nombuf);
		rte_tel_data_add_dict_uint(q, "rx_posted", rxq->desc_head - rxq->desc_tail);
		if (txq != NULL) {
			rte_tel_data_add_dict_int(q, "tx_busy_slot", (int)rte_atomic_load_explicit(
				&txq->busy, rte_memory_order_relaxed) - 1);
			rte_tel_data_add_dict_uint(q, "tx_packets", txq->stats.packets);
			rte_tel_data_add_dict_uint(q, "tx_errors", txq->stats.errors);
			rte_tel_data_add_dict_uint(q, "tx_inflight",
						  txq->desc_head - txq->desc_tail);
		}
		snprintf(key, sizeof(key), "%u", i);
		rte_tel_data_add_dict_container(d, key, q, 0);
	}
	return 0;
}

RTE_INIT(mana_telemetry_init)
{
	rte_telemetry_register_cmd("/mana_mpr/ports", mana_tel_ports,
				   "List net_mana_mpr ports. No parameters");
	rte_telemetry_register_cmd("/mana_mpr/info", mana_tel_info,
				   "Reset state and history of a port. Parameters: int port_id");
	rte_telemetry_register_cmd("/mana_mpr/procs", mana_tel_procs,
				   "Process registry of a port. Parameters: int port_id");
	rte_telemetry_register_cmd("/mana_mpr/queues", mana_tel_queues,
				   "Per-queue guard and counters. Parameters: int port_id");
}
