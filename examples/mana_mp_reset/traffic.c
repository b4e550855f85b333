/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The traffic of one process on its own queue: DEMO_FLOWS sequence-numbered
 * UDP flows whose source port is chosen so that the port's RSS (Toeplitz
 * over the IPv4/UDP 4-tuple with the port's key, then the RETA) delivers
 * them back to the same queue, so every process sends and counts its own.
 *
 * Reset windows: window w starts when this process notices reset w (the
 * port leaves ACTIVE, its generation changes, or ERR_RECOVERING arrives)
 * and ends when the first packet comes back afterwards ("resumed"). A
 * packet lost to reset w was in a ring when the device died, i.e. it was
 * sent shortly *before* the window started; so when the process finishes,
 * every sequence number that never came back is charged to the window
 * whose span [resumed after w-1, resumed after w) contains it. What is
 * lost after the last resume is reported separately (steady state: 0).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <rte_pmd_mana_mpr.h>

#include "demo.h"

#define DEMO_SEEN_INIT_WORDS	(1u << 12)	/* 256 Ki sequence numbers */

static int
demo_flow_grow(struct demo_flow *fl, uint64_t seq)
{
	uint64_t need = seq / 64 + 1, words = fl->seen_words;
	uint64_t *p;

	if (need <= words)
		return 0;
	if (words == 0)
		words = DEMO_SEEN_INIT_WORDS;
	while (words < need)
		words *= 2;
	p = realloc(fl->seen, words * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	memset(p + fl->seen_words, 0, (words - fl->seen_words) * sizeof(*p));
	fl->seen = p;
	fl->seen_words = words;
	return 0;
}

static inline bool
demo_flow_has(const struct demo_flow *fl, uint64_t seq)
{
	return seq / 64 < fl->seen_words && (fl->seen[seq / 64] >> (seq % 64)) & 1;
}

int
demo_traffic_init(struct demo_traffic *t, struct demo_shared *sh, struct demo_slot *slot,
		  uint16_t port, uint16_t queue, uint16_t proc_id, struct rte_mempool *pool,
		  uint64_t rate)
{
	struct rte_pmd_mana_mpr_state st;
	struct rte_ether_addr mac;
	struct mtrf_rss rss;
	uint16_t j;
	int ret;

	memset(t, 0, sizeof(*t));
	t->port = port;
	t->queue = queue;
	t->proc_id = proc_id;
	t->pool = pool;
	t->sh = sh;
	t->slot = slot;
	t->rate = rate;
	t->sending = true;
	t->last_ns = demo_now_ns();

	ret = rte_eth_macaddr_get(port, &mac);
	if (ret != 0) {
		demo_slot_error(slot, "rte_eth_macaddr_get: %s", strerror(-ret));
		return ret;
	}
	ret = mtrf_rss_query(port, &rss);
	if (ret != 0) {
		demo_slot_error(slot, "cannot read the port's RSS key and RETA: %s",
				strerror(-ret));
		return ret;
	}
	for (j = 0; j < DEMO_FLOWS; j++) {
		struct demo_flow *fl = &t->flows[j];
		struct mtrf_flow *f = &fl->f;

		f->src_ip = RTE_IPV4(10, 1, proc_id & 0xff, j + 1);
		f->dst_ip = RTE_IPV4(10, 2, proc_id & 0xff, 1);
		f->dport = (uint16_t)(7000 + j);
		f->proc_id = proc_id;
		f->flow_id = j;
		rte_ether_addr_copy(&mac, &f->src_mac);
		rte_ether_addr_copy(&mac, &f->dst_mac);
		/* rte_softrss over the port's key, then its RETA, must give our queue. */
		ret = mtrf_flow_steer(&rss, f, queue, (uint16_t)(10000 + 1000 * proc_id + 97 * j));
		if (ret != 0) {
			demo_slot_error(slot, "no UDP source port steers flow %u to queue %u", j,
					queue);
			return ret;
		}
		if (mtrf_rss_queue(&rss, f) != queue)
			return -EINVAL;
		ret = demo_flow_grow(fl, 0);
		if (ret != 0)
			return ret;
	}
	if (rte_pmd_mana_mpr_get_state(port, &st) == 0)
		t->last_gen = st.generation;
	t->win = rte_atomic_load_explicit(&sh->cur_window, rte_memory_order_acquire);
	rte_atomic_store_explicit(&slot->window_resumed, t->win, rte_memory_order_release);
	return 0;
}

void
demo_traffic_free(struct demo_traffic *t)
{
	uint16_t j;

	for (j = 0; j < DEMO_FLOWS; j++) {
		free(t->flows[j].seen);
		t->flows[j].seen = NULL;
		t->flows[j].seen_words = 0;
	}
}

/* Window t->win ends here (resumed, or superseded): note each flow's position. */
static void
demo_mark_resume(struct demo_traffic *t)
{
	uint16_t j;

	for (j = 0; j < DEMO_FLOWS; j++)
		t->flows[j].seq_resume[t->win] = t->flows[j].next_seq;
}

/* The process noticed reset @w (and any it missed before it). */
static void
demo_window_start(struct demo_traffic *t, uint32_t w, uint64_t now)
{
	struct demo_slot *slot = t->slot;
	uint32_t v;
	uint16_t j;

	for (v = t->win + 1; v <= w; v++) {
		/* The previous window never resumed: it ends here. */
		if (t->awaiting_resume)
			demo_mark_resume(t);
		for (j = 0; j < DEMO_FLOWS; j++)
			t->flows[j].seq_start[v] = t->flows[j].next_seq;
		slot->w[v].rx_at_start = t->rx;
		slot->w[v].tx_at_start = t->tx;
		rte_atomic_store_explicit(&slot->w[v].start_ns, now, rte_memory_order_release);
		t->win = v;
		t->awaiting_resume = true;
		t->tx_restarted = false;
	}
}

static void
demo_window_resumed(struct demo_traffic *t, uint64_t now)
{
	struct demo_window *sw = &t->slot->w[t->win];

	demo_mark_resume(t);
	sw->rx_at_resume = t->rx;
	if (!t->tx_restarted)
		sw->tx_at_resume = t->tx;
	sw->dup_at_resume = t->slot->dup;
	rte_atomic_store_explicit(&sw->resumed_ns, now, rte_memory_order_release);
	rte_atomic_store_explicit(&t->slot->window_resumed, t->win, rte_memory_order_release);
	t->awaiting_resume = false;
}

/* Read the port state; notice the start of a reset window. */
void
demo_track(struct demo_traffic *t, uint64_t now)
{
	struct demo_slot *slot = t->slot;
	struct rte_pmd_mana_mpr_state st;
	uint32_t w;

	if (rte_pmd_mana_mpr_get_state(t->port, &st) != 0) {
		rte_atomic_store_explicit(&slot->port_state, RTE_PMD_MANA_MPR_CLOSED,
					  rte_memory_order_relaxed);
		return;
	}
	rte_atomic_store_explicit(&slot->port_state, st.state, rte_memory_order_relaxed);
	w = rte_atomic_load_explicit(&t->sh->cur_window, rte_memory_order_acquire);
	if (w > t->win && w <= DEMO_MAX_WINDOWS) {
		const struct demo_window *sw = &slot->w[w];
		bool ev = rte_atomic_load_explicit(&sw->ev_ns[DEMO_EV_ERR_RECOVERING],
						   rte_memory_order_acquire) ||
			  rte_atomic_load_explicit(&sw->ev_ns[DEMO_EV_RECOVERY_FAILED],
						   rte_memory_order_acquire) ||
			  rte_atomic_load_explicit(&sw->ev_ns[DEMO_EV_INTR_RMV],
						   rte_memory_order_acquire);

		if (st.state != RTE_PMD_MANA_MPR_ACTIVE || st.generation != t->last_gen || ev)
			demo_window_start(t, w, now);
	}
	/* Our own evidence that we obeyed UNMAP_DB in this window. */
	if (t->win != 0 && t->awaiting_resume && st.mapped_generation == 0 &&
	    slot->w[t->win].unmapped_ns == 0)
		rte_atomic_store_explicit(&slot->w[t->win].unmapped_ns, now,
					  rte_memory_order_release);
	t->last_gen = st.generation;
}

static void
demo_account(struct demo_traffic *t, struct rte_mbuf *m)
{
	struct mtrf_stamp stamp;
	struct demo_flow *fl;
	uint64_t seq;

	if (mtrf_parse(m, &stamp, NULL, true) != MTRF_PARSE_OK || stamp.proc_id != t->proc_id ||
	    stamp.flow_id >= DEMO_FLOWS) {
		t->slot->bad++;
		return;
	}
	fl = &t->flows[stamp.flow_id];
	seq = stamp.seq;
	if (seq >= fl->next_seq || demo_flow_grow(fl, seq) != 0) {
		t->slot->bad++;
		return;
	}
	if (demo_flow_has(fl, seq)) {
		t->slot->dup++;
		return;
	}
	fl->seen[seq / 64] |= UINT64_C(1) << (seq % 64);
	fl->unique++;
}

static unsigned int
demo_rx(struct demo_traffic *t, uint64_t now)
{
	struct rte_mbuf *pkts[DEMO_BURST];
	uint16_t i, n;

	n = rte_eth_rx_burst(t->port, t->queue, pkts, DEMO_BURST);
	if (n == 0)
		return 0;
	if (t->awaiting_resume)
		demo_window_resumed(t, now);
	for (i = 0; i < n; i++)
		demo_account(t, pkts[i]);
	rte_pktmbuf_free_bulk(pkts, n);
	t->rx += n;
	return n;
}

static unsigned int
demo_tx(struct demo_traffic *t, uint64_t now)
{
	double cap = RTE_MAX(2.0 * DEMO_BURST, (double)t->rate / 1000.0);
	struct rte_mbuf *pkts[DEMO_BURST];
	uint16_t which[DEMO_BURST];
	uint16_t want, n, sent, k;

	t->tokens += (double)(now - t->last_ns) * (double)t->rate / 1e9;
	t->last_ns = now;
	if (t->tokens > cap)
		t->tokens = cap;
	if (t->tokens < 1.0)
		return 0;
	want = (uint16_t)RTE_MIN((double)DEMO_BURST, t->tokens);
	for (n = 0; n < want; n++) {
		uint16_t fi = t->next_flow;
		struct demo_flow *fl = &t->flows[fi];

		pkts[n] = mtrf_build(t->pool, &fl->f, fl->next_seq, rte_rdtsc(), DEMO_FRAME, 1);
		if (pkts[n] == NULL) {
			t->slot->tx_nombuf++;
			break;
		}
		which[n] = fi;
		fl->next_seq++;
		t->next_flow = (uint16_t)((fi + 1) % DEMO_FLOWS);
	}
	if (n == 0)
		return 0;
	sent = rte_eth_tx_burst(t->port, t->queue, pkts, n);
	if (sent > 0 && t->awaiting_resume && !t->tx_restarted) {
		/* The first packets of the window's aftermath: the Tx segment boundary. */
		t->slot->w[t->win].tx_at_resume = t->tx;
		t->tx_restarted = true;
	}
	if (sent < n) {
		/* Refused packets are the tail: the newest sequence numbers of their flows. */
		for (k = n; k-- > sent;)
			t->flows[which[k]].next_seq--;
		t->next_flow = which[sent];
		t->slot->tx_refused += n - sent;
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
	t->tx += sent;
	t->tokens -= sent;
	return sent;
}

static void
demo_publish(struct demo_traffic *t)
{
	rte_atomic_store_explicit(&t->slot->tx, t->tx, rte_memory_order_relaxed);
	rte_atomic_store_explicit(&t->slot->rx, t->rx, rte_memory_order_relaxed);
}

unsigned int
demo_traffic_poll(struct demo_traffic *t)
{
	uint64_t now = demo_now_ns();
	unsigned int work;

	demo_track(t, now);
	work = demo_rx(t, now);
	/*
	 * Do not even build packets while the port is not active: the PMD would
	 * refuse them anyway (the burst guard returns 0 during a reset).
	 */
	if (t->sending && t->slot->port_state == RTE_PMD_MANA_MPR_ACTIVE)
		work += demo_tx(t, now);
	else
		t->last_ns = now;
	demo_publish(t);
	return work;
}

static bool
demo_all_back(const struct demo_traffic *t)
{
	uint16_t j;

	for (j = 0; j < DEMO_FLOWS; j++)
		if (t->flows[j].unique < t->flows[j].next_seq)
			return false;
	return true;
}

/*
 * Packets lost to a reset never come back: stop when everything is back,
 * when nothing has arrived for DEMO_DRAIN_QUIET_MS, or at the deadline.
 */
void
demo_traffic_drain(struct demo_traffic *t, uint32_t timeout_ms)
{
	uint64_t now = demo_now_ns(), last_rx = now;
	uint64_t deadline = now + (uint64_t)timeout_ms * 1000000ull;

	t->sending = false;
	while (!demo_all_back(t) && now < deadline &&
	       now - last_rx < DEMO_DRAIN_QUIET_MS * 1000000ull) {
		if (demo_traffic_poll(t) == 0) {
			if (t->slot->port_state != RTE_PMD_MANA_MPR_ACTIVE)
				break;
			rte_delay_us_sleep(DEMO_IDLE_US);
		} else {
			last_rx = demo_now_ns();
		}
		now = demo_now_ns();
	}
	rte_atomic_store_explicit(&t->slot->drained, demo_all_back(t), rte_memory_order_relaxed);
}

/* Lost sequence numbers of @fl in [lo, hi); the oldest one in *first. */
static uint64_t
demo_missing(const struct demo_flow *fl, uint64_t lo, uint64_t hi, uint64_t *first)
{
	uint64_t s, n = 0;

	*first = UINT64_MAX;
	for (s = lo; s < hi; s++) {
		if (!demo_flow_has(fl, s)) {
			if (n++ == 0)
				*first = s;
		}
	}
	return n;
}

void
demo_traffic_finish(struct demo_traffic *t)
{
	struct demo_slot *slot = t->slot;
	uint64_t sent = 0, unique = 0, lost = 0, tail = 0;
	uint32_t w;
	uint16_t j;

	if (t->awaiting_resume) {
		demo_mark_resume(t);
		slot->w[t->win].dup_at_resume = slot->dup;
	}
	for (w = 1; w <= t->win; w++) {
		struct demo_window *sw = &slot->w[w];

		sw->lost = 0;
		sw->lost_after_start = 0;
		sw->lost_oldest = 0;
		for (j = 0; j < DEMO_FLOWS; j++) {
			const struct demo_flow *fl = &t->flows[j];
			uint64_t lo = w > 1 ? fl->seq_resume[w - 1] : 0, first, first2;

			sw->lost += demo_missing(fl, lo, fl->seq_resume[w], &first);
			sw->lost_after_start += demo_missing(fl, fl->seq_start[w],
							     fl->seq_resume[w], &first2);
			if (first < fl->seq_start[w])
				sw->lost_oldest = RTE_MAX(sw->lost_oldest,
							  fl->seq_start[w] - first);
		}
	}
	for (j = 0; j < DEMO_FLOWS; j++) {
		const struct demo_flow *fl = &t->flows[j];
		uint64_t first;

		tail += demo_missing(fl, t->win > 0 ? fl->seq_resume[t->win] : 0, fl->next_seq,
				     &first);
		sent += fl->next_seq;
		unique += fl->unique;
	}
	lost = sent - unique;
	slot->sent = sent;
	slot->unique = unique;
	slot->lost = lost;
	slot->lost_outside = tail;
	demo_publish(t);
}
