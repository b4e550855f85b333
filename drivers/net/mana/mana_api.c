/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/* The private API of rte_pmd_mana.h. */

#include <errno.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_io.h>

#include "mana.h"
#include "mana_gdma.h"
#include "rte_pmd_mana.h"

#define MANA_API __attribute__((visibility("default")))

/* A net_mana port of this process; with @shared, its shared data must exist. */
static struct rte_eth_dev *
mana_api_port_of(uint16_t port_id, bool shared)
{
	struct rte_eth_dev *dev;

	if (!rte_eth_dev_is_valid_port(port_id))
		return NULL;
	dev = &rte_eth_devices[port_id];
	if (!mana_dev_is_mana(dev) || mana_local(dev) == NULL)
		return NULL;
	/* No private data: the primary has released the port under us. */
	return !shared || dev->data->dev_private != NULL ? dev : NULL;
}

static struct rte_eth_dev *
mana_api_port(uint16_t port_id)
{
	return mana_api_port_of(port_id, true);
}

MANA_API int
rte_pmd_mana_get_state(uint16_t port_id, struct rte_pmd_mana_state *state)
{
	struct rte_eth_dev *dev = mana_api_port(port_id);
	struct mana_priv *priv;
	uint64_t word;
	int i;

	if (dev == NULL)
		return -ENODEV;
	if (state == NULL)
		return -EINVAL;
	priv = mana_priv(dev);
	word = mana_state_load(priv);
	state->state = mana_word_state(word);
	state->generation = mana_word_generation(word);
	state->phase = __atomic_load_n(&priv->reset.phase, __ATOMIC_RELAXED);
	state->mapped_generation = mana_local(dev)->db_generation;
	state->slot = mana_local(dev)->slot;
	state->processes = 0;
	for (i = 0; i < MANA_MAX_PROCS; i++)
		state->processes += priv->procs[i].state != MANA_PROC_FREE;
	state->resets_succeeded = priv->reset.succeeded;
	state->resets_failed = priv->reset.failed;
	return 0;
}

MANA_API const char *
rte_pmd_mana_phase_name(uint32_t phase)
{
	return mana_phase_name((enum mana_reset_phase)phase);
}

MANA_API int
rte_pmd_mana_get_reset_info(uint16_t port_id, struct rte_pmd_mana_reset_info *info)
{
	struct rte_eth_dev *dev = mana_api_port(port_id);
	const struct mana_reset_stats *rs;
	unsigned int i;

	if (dev == NULL)
		return -ENODEV;
	if (info == NULL)
		return -EINVAL;
	rs = &mana_priv(dev)->reset;
	memset(info, 0, sizeof(*info));
	info->started = rs->started;
	info->succeeded = rs->succeeded;
	info->failed = rs->failed;
	info->restarts = rs->restarts;
	info->evictions = rs->evictions;
	info->last_total_us = rs->last_total_us;
	info->last_hw_down_us = rs->last_hw_down_us;
	for (i = 0; i < RTE_DIM(info->last_phase_us) && i < MANA_PHASE_MAX; i++)
		info->last_phase_us[i] = rs->last_phase_us[i];
	info->last_event_ns = rs->last_event_ns;
	info->last_error = rs->last_error;
	return 0;
}

MANA_API int
rte_pmd_mana_get_procs(uint16_t port_id, struct rte_pmd_mana_proc *procs, unsigned int n)
{
	struct rte_eth_dev *dev = mana_api_port(port_id);
	const struct mana_priv *priv;
	unsigned int count = 0;
	int i;

	if (dev == NULL)
		return -ENODEV;
	if (procs == NULL && n != 0)
		return -EINVAL;
	priv = mana_priv(dev);
	for (i = 0; i < MANA_MAX_PROCS; i++) {
		const struct mana_proc_slot *s = &priv->procs[i];

		if (s->state == MANA_PROC_FREE)
			continue;
		if (count < n) {
			procs[count] = (struct rte_pmd_mana_proc){
				.slot = i,
				.pid = s->pid,
				.state = s->state,
				.db_generation = s->db_generation,
				.last_msg = s->last_msg,
				.last_result = s->last_result,
				.last_latency_us = s->last_latency_ns / 1000,
				.missed_acks = s->missed_acks,
			};
		}
		count++;
	}
	return (int)count;
}

MANA_API int
rte_pmd_mana_test_keep_doorbell(uint16_t port_id, bool keep)
{
	struct rte_eth_dev *dev = mana_api_port(port_id);

	if (dev == NULL)
		return -ENODEV;
	mana_local(dev)->test_keep_doorbell = keep;
	return 0;
}

MANA_API int
rte_pmd_mana_test_ring_doorbell(uint16_t port_id, uint16_t queue_id)
{
	/* Works on a port the primary has closed: that is its purpose. */
	struct rte_eth_dev *dev = mana_api_port_of(port_id, false);
	const struct mana_txq *txq = NULL;
	const struct mana_fast *fast;
	uint32_t offset = 0, id = 0, tail = 0;

	if (dev == NULL)
		return -ENODEV;
	fast = &mana_fast[port_id];
	if (fast->db_base == NULL)
		return -ENXIO;
	/*
	 * Once the primary has closed the port the shared queue array is gone;
	 * the first doorbell page of the region is then as good a target.
	 */
	if (dev->data->dev_private != NULL && queue_id < dev->data->nb_tx_queues)
		txq = dev->data->tx_queues[queue_id];
	if (txq != NULL) {
		offset = txq->sq.db_offset;
		id = txq->sq.id;
		tail = txq->sq.head * GDMA_WQE_BU;
	}
	rte_write64(gdma_db_value(id, tail, 0), fast->db_base + offset + GDMA_DB_OFFSET_SQ);
	return 0;
}
