/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_EVENT_H
#define MANA_EVENT_H

#include <rte_ethdev.h>

#define MANA_EVENT_QUEUE_LEN	16

/* Also sets up deferred delivery for the process, once (mana_defer_prepare()). */
void mana_event_open(uint16_t port_id);
void mana_event_close(uint16_t port_id);
/* Queue @event for this process's callbacks; never blocks on the application. */
int mana_event_post(uint16_t port_id, enum rte_eth_event_type event);
/*
 * mana_event_post(), and on success the event's @ticket for
 * mana_event_delivered().
 */
int mana_event_post_ticket(uint16_t port_id, enum rte_eth_event_type event, uint32_t *ticket);
/*
 * Whether the callbacks of the event of @ticket (and of every event before
 * it) have returned - or the queue was closed. Never blocks on them.
 */
bool mana_event_delivered(uint16_t port_id, uint32_t ticket);
/* Deliver the queued events now (EAL's interrupt thread only, where delivery runs). */
void mana_event_flush(uint16_t port_id);
/*
 * A delivery batch on EAL's interrupt thread: events posted on this thread
 * between begin and end are not deferred; end delivers them (mana_event_flush()
 * of each port they were posted for), so the caller must hold no lock and
 * call it before returning to EAL. Not nested.
 */
void mana_event_batch_begin(void);
void mana_event_batch_end(void);
const char *mana_event_name(enum rte_eth_event_type event);

#endif /* MANA_EVENT_H */
