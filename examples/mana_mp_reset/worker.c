/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * A worker: an ordinary DPDK secondary process. It attaches, finds port 0,
 * registers the ethdev event callbacks, creates its own Tx mempool and
 * polls queue K (Rx and Tx) with flows that RSS steers back to queue K. It
 * does nothing special for a reset: the PMD's burst guard makes the bursts
 * return 0 while the device is away, and traffic resumes by itself. The
 * events and counters go to its slot in the shared memzone, which is how
 * the primary knows what every process saw. On INTR_RMV it stops using the
 * port and closes it when the run ends.
 */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_memzone.h>

#include <rte_pmd_mana_mpr.h>

#include "demo.h"

extern volatile sig_atomic_t demo_signalled;

static const struct rte_memzone *
demo_worker_find_shared(const struct demo_opts *o)
{
	uint64_t deadline = demo_now_ns() + (uint64_t)o->attach_timeout_ms * 1000000ull;
	const struct rte_memzone *mz;
	bool said = false;

	for (;;) {
		/* A stale runtime directory of a dead primary still lets EAL attach. */
		if (!rte_eal_primary_proc_alive(NULL)) {
			demo_log("worker %d: no primary is running with this --file-prefix",
				 o->worker);
			return NULL;
		}
		mz = rte_memzone_lookup(DEMO_MZ_NAME);
		if (mz != NULL && rte_atomic_load_explicit(&((struct demo_shared *)mz->addr)->magic,
						  rte_memory_order_acquire) == DEMO_MAGIC)
			return mz;
		if (demo_now_ns() >= deadline || demo_signalled)
			return NULL;
		if (!said) {
			printf("worker %d: waiting for the primary's shared memory...\n",
			       o->worker);
			said = true;
		}
		rte_delay_us_sleep(10000);
	}
}

static int
demo_worker_wait_active(const struct demo_opts *o, uint16_t port, struct demo_slot *slot)
{
	uint64_t deadline = demo_now_ns() + (uint64_t)o->attach_timeout_ms * 1000000ull;
	struct rte_pmd_mana_mpr_state st;
	int ret;

	for (;;) {
		ret = rte_pmd_mana_mpr_get_state(port, &st);
		if (ret != 0) {
			demo_slot_error(slot, "port %u is not a net_mana_mpr port: %s", port,
					strerror(-ret));
			return ret;
		}
		if (st.state == RTE_PMD_MANA_MPR_ACTIVE)
			return 0;
		if (st.state == RTE_PMD_MANA_MPR_FAILED || st.state == RTE_PMD_MANA_MPR_CLOSED) {
			demo_slot_error(slot, "port %u is %s", port,
					rte_pmd_mana_mpr_state_name(st.state));
			return -ENODEV;
		}
		if (demo_now_ns() >= deadline || demo_signalled) {
			demo_slot_error(slot, "port %u not started after %u ms (state %s)", port,
					o->attach_timeout_ms,
					rte_pmd_mana_mpr_state_name(st.state));
			return -ETIMEDOUT;
		}
		rte_delay_us_sleep(2000);
	}
}

/* Leave without running: EAL has attached us to the port already, detach. */
static int
demo_worker_abort(void)
{
	uint16_t port;

	RTE_ETH_FOREACH_DEV(port)
		rte_eth_dev_close(port);
	return 2;
}

int
demo_worker(const struct demo_opts *o)
{
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	const struct rte_memzone *mz;
	struct rte_pmd_mana_mpr_state st;
	struct demo_traffic t;
	struct demo_shared *sh;
	struct demo_slot *slot;
	struct rte_mempool *pool;
	uint64_t next_check = 0;
	uint16_t port = RTE_MAX_ETHPORTS;
	bool primary_gone = false, removed_said = false;
	int pid = getpid(), ret;
	uint16_t queue;
	uint32_t k;

	mz = demo_worker_find_shared(o);
	if (mz == NULL) {
		demo_log("worker %d: no shared memzone '%s' (is the primary mana-mp-reset?)",
			 o->worker, DEMO_MZ_NAME);
		return demo_worker_abort();
	}
	sh = mz->addr;
	if (o->worker < 1 || (uint32_t)o->worker > sh->nb_workers) {
		demo_log("worker %d: the primary expects workers 1..%u", o->worker,
			 sh->nb_workers);
		return demo_worker_abort();
	}
	slot = &sh->slot[o->worker];
	if (slot->state != DEMO_PROC_FREE && slot->pid != pid && demo_pid_alive(slot->pid) &&
	    slot->state != DEMO_PROC_DONE && slot->state != DEMO_PROC_FAILED) {
		demo_log("worker %d is already running (pid %d)", o->worker, slot->pid);
		return demo_worker_abort();
	}
	/* Mempool caches are per lcore id: two processes on one id corrupt them. */
	for (k = 0; k <= sh->nb_workers; k++) {
		const struct demo_slot *other = &sh->slot[k];

		if (k == (uint32_t)o->worker || other->pid <= 0 || !demo_pid_alive(other->pid) ||
		    other->state == DEMO_PROC_DONE || other->state == DEMO_PROC_FAILED)
			continue;
		if (other->lcore == rte_lcore_id()) {
			demo_log("worker %d: lcore id %u is already used by pid %d; give each "
				 "process its own, e.g. --lcores='%d@(0-1)'", o->worker,
				 rte_lcore_id(), other->pid, o->worker);
			return demo_worker_abort();
		}
	}
	queue = (uint16_t)o->worker;
	memset(slot, 0, sizeof(*slot));
	slot->pid = pid;
	slot->lcore = rte_lcore_id();
	slot->queue = queue;
	slot->traffic = 1;
	slot->reg_slot = -1;
	rte_atomic_store_explicit(&slot->state, DEMO_PROC_STARTING, rte_memory_order_release);

	RTE_ETH_FOREACH_DEV(port)
		break;
	if (port >= RTE_MAX_ETHPORTS) {
		demo_slot_error(slot, "worker %d: no ethdev port", o->worker);
		goto fail;
	}
	ret = demo_worker_wait_active(o, port, slot);
	if (ret != 0)
		goto fail_close;
	if (rte_pmd_mana_mpr_get_state(port, &st) == 0)
		slot->reg_slot = st.slot;
	ret = demo_register_events(port, sh, slot);
	if (ret != 0) {
		demo_slot_error(slot, "worker %d: cannot register event callbacks", o->worker);
		goto fail_port;
	}
	/* Our own pool: the port may still hold its mbufs after we exit, never free it. */
	snprintf(pool_name, sizeof(pool_name), "mmr_tx_w%d_%d", o->worker, pid);
	pool = demo_pool_create(pool_name, DEMO_DEFAULT_DESC + 4 * DEMO_BURST + 1024);
	if (pool == NULL) {
		demo_slot_error(slot, "worker %d: cannot create mempool %s", o->worker, pool_name);
		goto fail_port;
	}
	ret = demo_traffic_init(&t, sh, slot, port, queue, (uint16_t)o->worker, pool, sh->rate);
	if (ret != 0) {
		demo_traffic_free(&t);	/* what it allocated before failing */
		goto fail_port;
	}
	printf("worker %d: pid %d, lcore %u, queue %u, registry slot %d, flows %u.%u.%u.%u:%u "
	       "and :%u -> queue %u; running\n", o->worker, pid, rte_lcore_id(), queue,
	       slot->reg_slot, (t.flows[0].f.src_ip >> 24) & 0xff,
	       (t.flows[0].f.src_ip >> 16) & 0xff, (t.flows[0].f.src_ip >> 8) & 0xff,
	       t.flows[0].f.src_ip & 0xff, t.flows[0].f.sport, t.flows[1].f.sport, queue);
	fflush(stdout);
	rte_atomic_store_explicit(&slot->state, DEMO_PROC_RUNNING, rte_memory_order_release);

	while (!rte_atomic_load_explicit(&sh->stop, rte_memory_order_acquire) && !demo_signalled) {
		unsigned int work;
		uint64_t now;

		if (rte_atomic_load_explicit(&slot->removed, rte_memory_order_acquire)) {
			/*
			 * INTR_RMV: the device is gone for good. Stop using the
			 * port; close it when the primary ends the run.
			 */
			if (!removed_said) {
				demo_track(&t, demo_now_ns());
				printf("worker %d: INTR_RMV: the device is gone; port unused until "
				       "the end\n", o->worker);
				removed_said = true;
			}
			work = 0;
		} else {
			work = demo_traffic_poll(&t);
		}
		now = demo_now_ns();

		if (now >= next_check) {
			next_check = now + 100000000ull;
			if (!rte_eal_primary_proc_alive(NULL)) {
				primary_gone = true;
				break;
			}
		}
		/* Two cores for everyone: never busy-spin when idle. */
		if (work == 0)
			rte_delay_us_sleep(removed_said ? 1000 : DEMO_IDLE_US);
	}

	rte_atomic_store_explicit(&slot->state, DEMO_PROC_DRAINING, rte_memory_order_release);
	if (!slot->removed && !primary_gone)
		demo_traffic_drain(&t, sh->drain_ms);
	demo_traffic_finish(&t);
	demo_traffic_free(&t);
	if (primary_gone)
		demo_slot_error(slot, "worker %d: the primary is gone", o->worker);
	printf("worker %d: %s; sent %" PRIu64 ", received %" PRIu64 ", lost %" PRIu64
	       " (after the last reset: %" PRIu64 "), duplicates %" PRIu64 "\n", o->worker,
	       slot->removed ? "device removed (INTR_RMV)" : primary_gone ? "primary gone" :
	       "stopped", slot->sent, slot->unique, slot->lost, slot->lost_outside, slot->dup);
	demo_unregister_events(port);
	slot->close_ret = rte_eth_dev_close(port);
	slot->closed = 1;
	rte_atomic_store_explicit(&slot->state, primary_gone ? DEMO_PROC_FAILED : DEMO_PROC_DONE,
			 rte_memory_order_release);
	return primary_gone ? 1 : 0;

fail_port:
	demo_unregister_events(port);
fail_close:
	rte_eth_dev_close(port);
fail:
	rte_atomic_store_explicit(&slot->state, DEMO_PROC_FAILED, rte_memory_order_release);
	return 2;
}
