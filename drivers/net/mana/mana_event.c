/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Delivery of ethdev events to this process's application callbacks.
 *
 * Events come from the interrupt thread, the reset thread and (in
 * secondaries) the handler of the primary's messages; none of those may
 * run application code where they post: the reset thread must be joinable
 * from a callback that closes the port, and the handlers hold driver
 * locks. So events are queued and delivered, in order, on the interrupt
 * thread with no lock held: as deferred work (mana_defer.h; not an EAL
 * alarm, whose arming can stall the poster for a time slice) - or, when
 * they are posted inside a delivery batch (a secondary handling the
 * primary's messages, mp/mana_mp_channel.c), at the batch's end on that
 * same thread, without a wake-up. The queue is static per port, not part
 * of the port's private data, so a callback that closes the port does not
 * pull the queue from under the delivery loop.
 */

#include <pthread.h>

#include <rte_cycles.h>

#include "mana.h"
#include "mana_defer.h"
#include "mana_event.h"

struct mana_event_queue {
	struct mana_mutex lock;
	bool active;
	bool scheduled;			/* mana_event_deliver() is deferred */
	bool flushing;			/* mana_event_flush() is delivering, on flusher */
	pthread_t flusher;
	uint32_t head;
	uint32_t tail;
	uint32_t done;			/* events whose callbacks have returned */
	uint32_t dropped;
	enum rte_eth_event_type events[MANA_EVENT_QUEUE_LEN];
};

static struct mana_event_queue mana_event_queues[RTE_MAX_ETHPORTS];

/* Ports a delivery batch keeps track of; a post for one more defers delivery. */
#define MANA_EVENT_BATCH_PORTS	8

/* The delivery batch open on this thread, if any (mana_event_batch_begin()). */
struct mana_event_batch {
	bool open;
	unsigned int nb_ports;
	uint16_t ports[MANA_EVENT_BATCH_PORTS];
};
static RTE_DEFINE_PER_LCORE(struct mana_event_batch, mana_event_batch);

RTE_INIT(mana_event_queues_init)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(mana_event_queues); i++)
		mana_mutex_init(&mana_event_queues[i].lock);
}

/* The next event, if any; the deferred delivery's last look unschedules it. */
static bool
mana_event_pop(struct mana_event_queue *q, enum rte_eth_event_type *event, bool deferred)
{
	bool found = false;

	mana_mutex_lock(&q->lock);
	if (q->active && q->head != q->tail) {
		*event = q->events[q->tail % MANA_EVENT_QUEUE_LEN];
		q->tail++;
		found = true;
	} else if (deferred) {
		q->scheduled = false;
	}
	mana_mutex_unlock(&q->lock);
	return found;
}

static void
mana_event_mark_done(struct mana_event_queue *q)
{
	mana_mutex_lock(&q->lock);
	if (q->done != q->head)		/* not after a close emptied the queue */
		q->done++;
	mana_mutex_unlock(&q->lock);
}

static void
mana_event_deliver(void *arg)
{
	uint16_t port_id = (uint16_t)(uintptr_t)arg;
	struct mana_event_queue *q = &mana_event_queues[port_id];
	enum rte_eth_event_type event;

	/* The callback may close the port: mana_event_pop checks each time. */
	while (mana_event_pop(q, &event, true)) {
		rte_eth_dev_callback_process(&rte_eth_devices[port_id], event, NULL);
		mana_event_mark_done(q);
	}
}

/*
 * Deliver what is queued now, on the interrupt thread (where deferred
 * delivery runs). Marked, so that a close on another thread waits for it
 * as mana_defer_cancel() waits for a running delivery; the deferred one,
 * if any, finds the queue empty.
 */
void
mana_event_flush(uint16_t port_id)
{
	struct mana_event_queue *q = &mana_event_queues[port_id];
	enum rte_eth_event_type event;

	mana_mutex_lock(&q->lock);
	if (!q->active || q->flushing) {
		mana_mutex_unlock(&q->lock);
		return;
	}
	q->flushing = true;
	q->flusher = pthread_self();
	mana_mutex_unlock(&q->lock);
	while (mana_event_pop(q, &event, false)) {
		rte_eth_dev_callback_process(&rte_eth_devices[port_id], event, NULL);
		mana_event_mark_done(q);
	}
	mana_mutex_lock(&q->lock);
	q->flushing = false;
	mana_mutex_unlock(&q->lock);
}

void
mana_event_batch_begin(void)
{
	struct mana_event_batch *b = &RTE_PER_LCORE(mana_event_batch);

	b->open = true;
	b->nb_ports = 0;
}

void
mana_event_batch_end(void)
{
	struct mana_event_batch *b = &RTE_PER_LCORE(mana_event_batch);
	unsigned int i;

	/* Closed first: what the callbacks post goes the usual way. */
	b->open = false;
	for (i = 0; i < b->nb_ports; i++)
		mana_event_flush(b->ports[i]);
	b->nb_ports = 0;
}

/* Note @port_id in this thread's open batch; false if none is open or it is full. */
static bool
mana_event_batch_note(uint16_t port_id)
{
	struct mana_event_batch *b = &RTE_PER_LCORE(mana_event_batch);
	unsigned int i;

	if (!b->open)
		return false;
	for (i = 0; i < b->nb_ports; i++)
		if (b->ports[i] == port_id)
			return true;
	if (b->nb_ports == RTE_DIM(b->ports))
		return false;
	b->ports[b->nb_ports++] = port_id;
	return true;
}

void
mana_event_open(uint16_t port_id)
{
	struct mana_event_queue *q = &mana_event_queues[port_id];

	mana_defer_prepare();	/* here, on a control thread: no burst pays for it */

	mana_mutex_lock(&q->lock);
	q->active = true;
	q->head = 0;
	q->tail = 0;
	q->done = 0;
	q->scheduled = false;
	mana_mutex_unlock(&q->lock);
}

/*
 * Stop delivering; safe from inside a delivered callback. Returns once no
 * callback of ours runs on another thread (as long as that callback takes).
 */
void
mana_event_close(uint16_t port_id)
{
	struct mana_event_queue *q = &mana_event_queues[port_id];
	bool scheduled, flushing;

	mana_mutex_lock(&q->lock);
	q->active = false;
	q->head = q->tail;
	q->done = q->tail;
	scheduled = q->scheduled;
	mana_mutex_unlock(&q->lock);
	/* -EINPROGRESS when called from the delivery itself: it sees !active. */
	if (scheduled)
		mana_defer_cancel(mana_event_deliver, (void *)(uintptr_t)port_id);
	for (;;) {
		mana_mutex_lock(&q->lock);
		flushing = q->flushing && !pthread_equal(q->flusher, pthread_self());
		mana_mutex_unlock(&q->lock);
		if (!flushing)
			break;
		rte_delay_us_sleep(100);
	}
}

int
mana_event_post(uint16_t port_id, enum rte_eth_event_type event)
{
	return mana_event_post_ticket(port_id, event, NULL);
}

int
mana_event_post_ticket(uint16_t port_id, enum rte_eth_event_type event, uint32_t *ticket)
{
	struct mana_event_queue *q = &mana_event_queues[port_id];
	bool schedule = false;
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
		if (ticket != NULL)
			*ticket = q->head;
		if (!q->scheduled && !mana_event_batch_note(port_id)) {
			q->scheduled = true;
			schedule = true;
		}
	}
	mana_mutex_unlock(&q->lock);

	if (schedule && mana_defer(mana_event_deliver, (void *)(uintptr_t)port_id) != 0) {
		DRV_LOG(ERR, "port %u: cannot schedule event delivery", port_id);
		mana_mutex_lock(&q->lock);
		q->scheduled = false;
		mana_mutex_unlock(&q->lock);
		ret = -EIO;
	}
	if (ret == -ENOSPC)
		DRV_LOG(ERR, "port %u: event queue full, %s dropped", port_id,
			mana_event_name(event));
	return ret;
}

bool
mana_event_delivered(uint16_t port_id, uint32_t ticket)
{
	struct mana_event_queue *q = &mana_event_queues[port_id];
	bool done;

	mana_mutex_lock(&q->lock);
	done = !q->active || (int32_t)(q->done - ticket) >= 0;
	mana_mutex_unlock(&q->lock);
	return done;
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
