/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/* The private API of rte_pmd_mana.h. */

#include <errno.h>

#include <ethdev_driver.h>
#include <rte_io.h>

#include "mana.h"
#include "mana_gdma.h"
#include "rte_pmd_mana.h"

#define MANA_API __attribute__((visibility("default")))

static struct rte_eth_dev *
mana_api_port(uint16_t port_id)
{
	struct rte_eth_dev *dev;

	if (!rte_eth_dev_is_valid_port(port_id))
		return NULL;
	dev = &rte_eth_devices[port_id];
	return mana_dev_is_mana(dev) && mana_local(dev) != NULL ? dev : NULL;
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
	struct rte_eth_dev *dev = mana_api_port(port_id);
	const struct mana_fast *fast;
	const struct mana_txq *txq;

	if (dev == NULL)
		return -ENODEV;
	if (queue_id >= dev->data->nb_tx_queues || dev->data->tx_queues[queue_id] == NULL)
		return -EINVAL;
	fast = &mana_fast[port_id];
	if (fast->db_base == NULL)
		return -ENXIO;
	txq = dev->data->tx_queues[queue_id];
	rte_write64(gdma_db_value(txq->sq.id, txq->sq.head * GDMA_WQE_BU, 0),
		    fast->db_base + txq->sq.db_offset + GDMA_DB_OFFSET_SQ);
	return 0;
}
