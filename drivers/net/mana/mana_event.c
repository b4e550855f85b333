/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Delivery of ethdev events to this process's application callbacks.
 *
 * Events come from the interrupt thread, the reset thread and (in
 * secondaries) the rte_mp thread; none of those may run application code:
 * the reset thread must be joinable from a callback that closes the port,
 * and an rte_mp callback must not issue requests. So events are queued and
 * delivered, in order, from an EAL alarm on the interrupt thread, with no
 * lock held. The queue is static per port, not part of the port's private
 * data, so a callback that closes the port does not pull the queue from
 * under the delivery loop.
 */

#include <rte_alarm.h>

#include "mana.h"
#include "mana_event.h"

struct mana_event_queue {
	struct mana_mutex lock;
	bool active;
	bool alarm_armed;
	uint32_t head;
	uint32_t tail;
	uint32_t dropped;
	enum rte_eth_event_type events[MANA_EVENT_QUEUE_LEN];
};

static struct mana_event_queue mana_event_queues[RTE_MAX_ETHPORTS];

RTE_INIT(mana_event_queues_init)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(mana_event_queues); i++)
		mana_mutex_init(&mana_event_queues[i].lock);
}

static bool
mana_event_pop(struct mana_event_queue *q, enum rte_eth_event_type *event)
{
	bool found = false;

	mana_mutex_lock(&q->lock);
	if (q->active && q->head != q->tail) {
		*event = q->events[q->tail % MANA_EVENT_QUEUE_LEN];
		q->tail++;
		found = true;
	} else {
		q->alarm_armed = false;
	}
	mana_mutex_unlock(&q->lock);
	return found;
}

static void
mana_event_deliver(void *arg)
{
	uint16_t port_id = (uint16_t)(uintptr_t)arg;
	struct mana_event_queue *q = &mana_event_queues[port_id];
	enum rte_eth_event_type event;

	/* The callback may close the port: mana_event_pop checks each time. */
	while (mana_event_pop(q, &event))
		rte_eth_dev_callback_process(&rte_eth_devices[port_id], event, NULL);
}

void
mana_event_open(uint16_t port_id)
{
	struct mana_event_queue *q = &mana_event_queues[port_id];

	mana_mutex_lock(&q->lock);
	q->active = true;
	q->head = 0;
	q->tail = 0;
	q->alarm_armed = false;
	mana_mutex_unlock(&q->lock);
}

/* Stop delivering; safe from inside a delivered callback. */
void
mana_event_close(uint16_t port_id)
{
	struct mana_event_queue *q = &mana_event_queues[port_id];
	bool armed;

	mana_mutex_lock(&q->lock);
	q->active = false;
	q->head = q->tail;
	armed = q->alarm_armed;
	mana_mutex_unlock(&q->lock);
	/* -EINPROGRESS when called from the delivery itself: it sees !active. */
	if (armed)
		rte_eal_alarm_cancel(mana_event_deliver, (void *)(uintptr_t)port_id);
}

int
mana_event_post(uint16_t port_id, enum rte_eth_event_type event)
{
	struct mana_event_queue *q = &mana_event_queues[port_id];
	bool arm = false;
	int ret = 0;

	mana_mutex_lock(&q->lock);
	if (!q->active) {
		ret = -ENODEV;
	} else if (q->head - q->tail == MANA_EVENT_QUEUE_LEN) {
		q->dropped++;
		ret = -ENOSPC;
	} else {
		q->events[q->head % MANA_EVENT_QUEUE_LEN] = event;
		q->head++;
		if (!q->alarm_armed) {
			q->alarm_armed = true;
			arm = true;
		}
	}
	mana_mutex_unlock(&q->lock);

	if (arm && rte_eal_alarm_set(1, mana_event_deliver, (void *)(uintptr_t)port_id) != 0) {
		DRV_LOG(ERR, "port %u: cannot schedule event delivery", port_id);
		mana_mutex_lock(&q->lock);
		q->alarm_armed = false;
		mana_mutex_unlock(&q->lock);
		ret = -EIO;
	}
	if (ret == -ENOSPC)
		DRV_LOG(ERR, "port %u: event queue full, %s dropped", port_id,
			mana_event_name(event));
	return ret;
}

const char *
mana_event_name(enum rte_eth_event_type event)
{
	switch (event) {
	case RTE_ETH_EVENT_INTR_LSC: return "INTR_LSC";
	case RTE_ETH_EVENT_INTR_RMV: return "INTR_RMV";
	case RTE_ETH_EVENT_ERR_RECOVERING: return "ERR_RECOVERING";
	case RTE_ETH_EVENT_RECOVERY_SUCCESS: return "RECOVERY_SUCCESS";
	case RTE_ETH_EVENT_RECOVERY_FAILED: return "RECOVERY_FAILED";
	default: return "OTHER";
	}
}
