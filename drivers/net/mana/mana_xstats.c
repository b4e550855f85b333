/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Extended statistics: the reset's state and history, and the per-queue
 * counters the basic statistics have no room for. (Per-queue packet and
 * byte counts come from ethdev's AUTOFILL_QUEUE_XSTATS.)
 */

#include <stdio.h>
#include <string.h>

#include <ethdev_driver.h>

#include "mana.h"
#include "mp/mana_mp.h"

enum mana_xstat_kind {
	MANA_XSTAT_STATE,
	MANA_XSTAT_GENERATION,
	MANA_XSTAT_PHASE,
	MANA_XSTAT_PROCS,
	MANA_XSTAT_COUNTER,	/* a uint64_t of struct mana_reset_stats */
	MANA_XSTAT_MR_REGISTERED,	/* ranges in the shared table now */
	MANA_XSTAT_MR_RECLAIMED,	/* ranges dropped with the memory they covered */
	MANA_XSTAT_MR_REFUSED,		/* registrations refused: table full */
	MANA_XSTAT_TX_MR_DROPS,		/* Tx packets dropped for that (in oerrors too) */
	MANA_XSTAT_TX_CQE_MISMATCHES,	/* Tx CQEs naming no WQE expected */
};

struct mana_xstat {
	const char *name;
	enum mana_xstat_kind kind;
	size_t offset;
};

#define MANA_RESET_COUNTER(n, field) \
	{ n, MANA_XSTAT_COUNTER, offsetof(struct mana_reset_stats, field) }
#define MANA_RESET_PHASE_US(n, phase) \
	{ n, MANA_XSTAT_COUNTER, offsetof(struct mana_reset_stats, last_phase_us) + \
	  (phase) * sizeof(uint64_t) }

static const struct mana_xstat mana_xstats[] = {
	{ "reset_state", MANA_XSTAT_STATE, 0 },
	{ "reset_generation", MANA_XSTAT_GENERATION, 0 },
	{ "reset_phase", MANA_XSTAT_PHASE, 0 },
	{ "mp_processes", MANA_XSTAT_PROCS, 0 },
	{ "mr_registered", MANA_XSTAT_MR_REGISTERED, 0 },
	{ "mr_reclaimed", MANA_XSTAT_MR_RECLAIMED, 0 },
	{ "mr_refused", MANA_XSTAT_MR_REFUSED, 0 },
	{ "tx_mr_drops", MANA_XSTAT_TX_MR_DROPS, 0 },
	{ "tx_cqe_mismatches", MANA_XSTAT_TX_CQE_MISMATCHES, 0 },
	MANA_RESET_COUNTER("reset_started", started),
	MANA_RESET_COUNTER("reset_succeeded", succeeded),
	MANA_RESET_COUNTER("reset_failed", failed),
	MANA_RESET_COUNTER("reset_restarts", restarts),
	MANA_RESET_COUNTER("reset_retries", retries),
	MANA_RESET_COUNTER("reset_removals", removals),
	MANA_RESET_COUNTER("mp_evictions", evictions),
	MANA_RESET_COUNTER("mp_dead_processes", dead_procs),
	MANA_RESET_COUNTER("mp_evictions_cannot_run", evictions_cannot_run),
	MANA_RESET_COUNTER("mp_evictions_deadline", evictions_deadline),
	MANA_RESET_COUNTER("quiesce_waits", quiesce_waits),
	MANA_RESET_COUNTER("quiesce_timeouts", quiesce_timeouts),
	MANA_RESET_COUNTER("quiesce_stopped_owners", quiesce_stopped_owners),
	MANA_RESET_COUNTER("reset_mbufs_leaked", mbufs_leaked),
	MANA_RESET_COUNTER("reset_ring_shortfalls", ring_shortfalls),
	MANA_RESET_COUNTER("reset_quarantine_shortfalls", quarantine_shortfalls),
	MANA_RESET_COUNTER("last_reset_total_us", last_total_us),
	MANA_RESET_COUNTER("last_reset_hw_down_us", last_hw_down_us),
	MANA_RESET_PHASE_US("last_reset_quiesce_us", MANA_PHASE_QUIESCE),
	MANA_RESET_PHASE_US("last_reset_unmap_us", MANA_PHASE_UNMAP),
	MANA_RESET_PHASE_US("last_reset_teardown_us", MANA_PHASE_TEARDOWN),
	MANA_RESET_PHASE_US("last_reset_wait_hw_us", MANA_PHASE_WAIT_HW),
	MANA_RESET_PHASE_US("last_reset_reopen_us", MANA_PHASE_REOPEN),
	MANA_RESET_PHASE_US("last_reset_remap_us", MANA_PHASE_REMAP),
	MANA_RESET_PHASE_US("last_reset_rebuild_us", MANA_PHASE_REBUILD),
	MANA_RESET_PHASE_US("last_reset_resume_us", MANA_PHASE_RESUME),
};

#define MANA_NB_PORT_XSTATS	RTE_DIM(mana_xstats)
#define MANA_NB_RXQ_XSTATS	1	/* rx_qN_nombuf */

static unsigned int
mana_xstats_count(const struct rte_eth_dev *dev)
{
	return MANA_NB_PORT_XSTATS + MANA_NB_RXQ_XSTATS * dev->data->nb_rx_queues;
}

int
mana_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
		      unsigned int size)
{
	unsigned int n = mana_xstats_count(dev), i;

	if (names == NULL || size < n)
		return (int)n;
	for (i = 0; i < MANA_NB_PORT_XSTATS; i++)
		strlcpy(names[i].name, mana_xstats[i].name, sizeof(names[i].name));
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		snprintf(names[MANA_NB_PORT_XSTATS + i].name, sizeof(names[0].name),
			 "rx_q%u_nombuf", i);
	return (int)n;
}

/* A uint64_t counter of struct mana_txq, at @offset, summed over the port's Tx queues. */
static uint64_t
mana_txq_sum(const struct rte_eth_dev *dev, size_t offset)
{
	uint64_t v = 0;
	uint16_t q;

	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const uint8_t *txq = dev->data->tx_queues[q];

		if (txq != NULL)
			v += *(const uint64_t *)(txq + offset);
	}
	return v;
}

int
mana_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int size)
{
	struct mana_priv *priv = mana_priv(dev);
	unsigned int n = mana_xstats_count(dev), i;
	uint64_t word = mana_state_load(priv);

	if (xstats == NULL || size < n)
		return (int)n;
	for (i = 0; i < MANA_NB_PORT_XSTATS; i++) {
		const struct mana_xstat *x = &mana_xstats[i];
		uint64_t v = 0;

		switch (x->kind) {
		case MANA_XSTAT_STATE:
			v = mana_word_state(word);
			break;
		case MANA_XSTAT_GENERATION:
			v = mana_word_generation(word);
			break;
		case MANA_XSTAT_PHASE:
			v = rte_atomic_load_explicit(&priv->reset.phase, rte_memory_order_relaxed);
			break;
		case MANA_XSTAT_PROCS:
			v = 0;
			for (int s = 0; s < MANA_MAX_PROCS; s++)
				v += priv->procs[s].state != MANA_PROC_FREE;
			break;
		case MANA_XSTAT_COUNTER:
			v = *(const uint64_t *)((const uint8_t *)&priv->reset + x->offset);
			break;
		case MANA_XSTAT_MR_REGISTERED:
			v = rte_atomic_load_explicit(&priv->mr.count, rte_memory_order_relaxed);
			break;
		case MANA_XSTAT_MR_RECLAIMED:
			v = rte_atomic_load_explicit(&priv->mr.reclaimed, rte_memory_order_relaxed);
			break;
		case MANA_XSTAT_MR_REFUSED:
			v = rte_atomic_load_explicit(&priv->mr.refused, rte_memory_order_relaxed);
			break;
		case MANA_XSTAT_TX_MR_DROPS:
			v = mana_txq_sum(dev, offsetof(struct mana_txq, mr_drops));
			break;
		case MANA_XSTAT_TX_CQE_MISMATCHES:
			v = mana_txq_sum(dev, offsetof(struct mana_txq, cqe_mismatches));
			break;
		}
		xstats[i].id = i;
		xstats[i].value = v;
	}
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct mana_rxq *rxq = dev->data->rx_queues[i];

		xstats[MANA_NB_PORT_XSTATS + i].id = MANA_NB_PORT_XSTATS + i;
		xstats[MANA_NB_PORT_XSTATS + i].value = rxq != NULL ? rxq->stats.nombuf : 0;
	}
	return (int)n;
}

int
mana_xstats_reset(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_reset_stats *rs = &priv->reset;
	size_t first = offsetof(struct mana_reset_stats, last_error);
	size_t end = offsetof(struct mana_reset_stats, last_event_ns);
	uint16_t i;

	/*
	 * History and counters go; the phase stays untouched, since a reset may
	 * be running and decides on it (mana_reset_doorbell_available). A
	 * counter the reset thread bumps meanwhile may lose that one increment.
	 */
	memset((uint8_t *)rs + first, 0, end - first);
	rte_atomic_store_explicit(&rs->last_event_ns, 0, rte_memory_order_relaxed);
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq != NULL)
			rxq->stats.nombuf = 0;
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		struct mana_txq *txq = dev->data->tx_queues[i];

		if (txq != NULL) {
			txq->mr_drops = 0;
			txq->cqe_mismatches = 0;
		}
	}
	rte_atomic_store_explicit(&priv->mr.refused, 0, rte_memory_order_relaxed);
	rte_atomic_store_explicit(&priv->mr.reclaimed, 0, rte_memory_order_relaxed);
	return 0;
}
