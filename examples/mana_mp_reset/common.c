/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/* Helpers shared by the primary and the workers: clock, names, events. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <rte_pmd_mana_mpr.h>

#include "demo.h"

uint64_t
demo_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *
demo_ev_name(unsigned int ev)
{
	static const char * const names[DEMO_EV_MAX] = {
		[DEMO_EV_ERR_RECOVERING] = "ERR_RECOVERING",
		[DEMO_EV_RECOVERY_SUCCESS] = "RECOVERY_SUCCESS",
		[DEMO_EV_RECOVERY_FAILED] = "RECOVERY_FAILED",
		[DEMO_EV_INTR_RMV] = "INTR_RMV",
	};

	return ev < DEMO_EV_MAX ? names[ev] : "?";
}

const char *
demo_proc_state_name(uint32_t state)
{
	switch (state) {
	case DEMO_PROC_FREE: return "absent";
	case DEMO_PROC_STARTING: return "starting";
	case DEMO_PROC_RUNNING: return "running";
	case DEMO_PROC_DRAINING: return "draining";
	case DEMO_PROC_DONE: return "done";
	case DEMO_PROC_FAILED: return "failed";
	default: return "?";
	}
}

const char *
demo_msg_name(uint32_t type)
{
	return type == 0 ? "-" : rte_pmd_mana_mpr_msg_name(type);
}

void
demo_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "mana-mp-reset: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

void
demo_slot_error(struct demo_slot *slot, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(slot->error, sizeof(slot->error), fmt, ap);
	va_end(ap);
	demo_log("%s", slot->error);
}

/* ------------------------------------------------------------------ */
/* Event callbacks: record each event with a timestamp in our slot.     */

static struct demo_shared *demo_cb_sh;
static struct demo_slot *demo_cb_slot;

static const enum rte_eth_event_type demo_eth_events[DEMO_EV_MAX] = {
	[DEMO_EV_ERR_RECOVERING] = RTE_ETH_EVENT_ERR_RECOVERING,
	[DEMO_EV_RECOVERY_SUCCESS] = RTE_ETH_EVENT_RECOVERY_SUCCESS,
	[DEMO_EV_RECOVERY_FAILED] = RTE_ETH_EVENT_RECOVERY_FAILED,
	[DEMO_EV_INTR_RMV] = RTE_ETH_EVENT_INTR_RMV,
};

static int
demo_event_cb(uint16_t port_id __rte_unused, enum rte_eth_event_type type, void *arg,
	      void *ret_param __rte_unused)
{
	unsigned int ev = (unsigned int)(uintptr_t)arg;
	struct demo_slot *slot = demo_cb_slot;
	uint64_t now = demo_now_ns();
	uint32_t w, n;

	if (slot == NULL || ev >= DEMO_EV_MAX || demo_eth_events[ev] != type)
		return 0;
	w = rte_atomic_load_explicit(&demo_cb_sh->cur_window, rte_memory_order_acquire);
	n = slot->nb_events;
	if (n < DEMO_MAX_EVENTS) {
		slot->events[n].ns = now;
		slot->events[n].ev = ev;
		slot->events[n].window = w;
		rte_atomic_store_explicit(&slot->nb_events, n + 1, rte_memory_order_release);
	}
	if (w <= DEMO_MAX_WINDOWS && slot->w[w].ev_ns[ev] == 0)
		rte_atomic_store_explicit(&slot->w[w].ev_ns[ev], now, rte_memory_order_release);
	if (ev == DEMO_EV_INTR_RMV)
		rte_atomic_store_explicit(&slot->removed, 1, rte_memory_order_release);
	return 0;
}

int
demo_register_events(uint16_t port, struct demo_shared *sh, struct demo_slot *slot)
{
	unsigned int ev;
	int ret;

	demo_cb_sh = sh;
	demo_cb_slot = slot;
	for (ev = 0; ev < DEMO_EV_MAX; ev++) {
		ret = rte_eth_dev_callback_register(port, demo_eth_events[ev], demo_event_cb,
						    (void *)(uintptr_t)ev);
		if (ret != 0) {
			demo_log("cannot register the %s callback: %s", demo_ev_name(ev),
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void
demo_unregister_events(uint16_t port)
{
	unsigned int ev;

	for (ev = 0; ev < DEMO_EV_MAX; ev++)
		rte_eth_dev_callback_unregister(port, demo_eth_events[ev], demo_event_cb,
						(void *)(uintptr_t)ev);
}

/* Alive and not a zombie (a dead worker is reaped by its parent, not by us). */
bool
demo_pid_alive(int pid)
{
	char path[64], buf[512];
	const char *p;
	size_t n;
	FILE *f;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || p[1] == '\0' || p[2] == '\0')
		return false;
	return p[2] != 'Z' && p[2] != 'X';
}

struct rte_mempool *
demo_pool_create(const char *name, uint32_t n)
{
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, n, RTE_MIN(256u, n / 8), 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (mp == NULL)
		demo_log("cannot create mempool %s (%u mbufs): %s", name, n,
			 rte_strerror(rte_errno));
	return mp;
}
