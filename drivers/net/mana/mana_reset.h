/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_RESET_H
#define MANA_RESET_H

#include <stdbool.h>

#include <rte_ethdev.h>

/* Interrupt handler on the device's async fd and the reset thread. Primary. */
int mana_reset_init(struct rte_eth_dev *dev);
/*
 * Abandon a running reset (it stops at its next phase boundary or inside
 * the wait for the device), join the thread, stop listening to the device.
 */
void mana_reset_fini(struct rte_eth_dev *dev);

/*
 * dev_stop during a reset: the reset goes on for the stopped port, only its
 * REMAP_DB round (open from the remap phase to resume, a bounded stretch
 * that never waits for the device) must end before stop broadcasts. Ask
 * with ctl_lock held; wait without. Never from the reset thread.
 */
bool mana_reset_round_open(struct rte_eth_dev *dev);
void mana_reset_wait_round(struct rte_eth_dev *dev);

/* May a secondary be handed the doorbell fd right now? */
bool mana_reset_doorbell_available(struct rte_eth_dev *dev);

#endif /* MANA_RESET_H */
