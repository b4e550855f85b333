/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The traffic sink: per flow, a sliding bitmap over the last @window
 * sequence numbers (ring-indexed by seq % window). A sequence number at or
 * above base + window slides the window up, forgetting the oldest; one
 * below base is too old to classify (counted as received and reordered
 * only). Reordered counts unique arrivals below the highest seen.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "mana_traffic.h"

struct mtrf_sink_flow {
	uint16_t proc_id;
	uint16_t flow_id;
	uint16_t queue;
	uint64_t base;		/* lowest sequence number inside the window */
	uint64_t *bits;
	struct mtrf_flow_counts c;
};

struct mtrf_sink {
	uint32_t max_flows;
	uint32_t nb_flows;
	uint32_t window;	/* power of two */
	uint32_t hash_mask;
	bool verify;
	int32_t *hash;		/* open addressing: flow index or -1 */
	struct mtrf_sink_totals totals;	/* but .bad: derived by mtrf_sink_totals() */
	struct mtrf_sink_flow flows[];
};

static inline uint32_t
mtrf_key(uint16_t proc_id, uint16_t flow_id)
{
	return ((uint32_t)proc_id << 16) | flow_id;
}

static inline uint32_t
mtrf_key_hash(uint32_t key)
{
	key ^= key >> 16;
	key *= 0x7feb352du;
	key ^= key >> 15;
	key *= 0x846ca68bu;
	key ^= key >> 16;
	return key;
}

struct mtrf_sink *
mtrf_sink_create(uint32_t max_flows, uint32_t window, bool verify)
{
	struct mtrf_sink *sink;
	uint32_t hsize, i;

	if (window == 0)
		window = MTRF_DEFAULT_WINDOW;
	if (max_flows == 0 || max_flows > 65536 || !rte_is_power_of_2(window) || window < 64)
		return NULL;
	sink = calloc(1, sizeof(*sink) + (size_t)max_flows * sizeof(sink->flows[0]));
	if (sink == NULL)
		return NULL;
	hsize = rte_align32pow2(max_flows * 2);
	sink->hash = malloc(hsize * sizeof(sink->hash[0]));
	if (sink->hash == NULL) {
		free(sink);
		return NULL;
	}
	for (i = 0; i < hsize; i++)
		sink->hash[i] = -1;
	sink->hash_mask = hsize - 1;
	sink->max_flows = max_flows;
	sink->window = window;
	sink->verify = verify;
	return sink;
}

void
mtrf_sink_free(struct mtrf_sink *sink)
{
	uint32_t i;

	if (sink == NULL)
		return;
	for (i = 0; i < sink->nb_flows; i++)
		free(sink->flows[i].bits);
	free(sink->hash);
	free(sink);
}

int
mtrf_sink_find(const struct mtrf_sink *sink, uint16_t proc_id, uint16_t flow_id)
{
	uint32_t key = mtrf_key(proc_id, flow_id);
	uint32_t h = mtrf_key_hash(key) & sink->hash_mask;

	for (;; h = (h + 1) & sink->hash_mask) {
		int32_t idx = sink->hash[h];

		if (idx < 0)
			return -ENOENT;
		if (mtrf_key(sink->flows[idx].proc_id, sink->flows[idx].flow_id) == key)
			return idx;
	}
}

int
mtrf_sink_add_flow(struct mtrf_sink *sink, uint16_t proc_id, uint16_t flow_id, uint16_t queue)
{
	struct mtrf_sink_flow *f;
	uint32_t h;

	if (mtrf_sink_find(sink, proc_id, flow_id) >= 0)
		return -EEXIST;
	if (sink->nb_flows == sink->max_flows)
		return -ENOSPC;
	f = &sink->flows[sink->nb_flows];
	f->bits = calloc(sink->window / 64, sizeof(uint64_t));
	if (f->bits == NULL)
		return -ENOMEM;
	f->proc_id = proc_id;
	f->flow_id = flow_id;
	f->queue = queue;
	h = mtrf_key_hash(mtrf_key(proc_id, flow_id)) & sink->hash_mask;
	while (sink->hash[h] >= 0)
		h = (h + 1) & sink->hash_mask;
	sink->hash[h] = (int32_t)sink->nb_flows;
	return (int)sink->nb_flows++;
}

/* Forget sequence numbers [f->base, new_base). */
static void
mtrf_window_slide(struct mtrf_sink_flow *f, uint32_t window, uint64_t new_base)
{
	uint64_t s;

	if (new_base - f->base >= window) {
		memset(f->bits, 0, window / 8);
	} else {
		for (s = f->base; s < new_base; s++) {
			uint32_t b = (uint32_t)(s & (window - 1));

			f->bits[b / 64] &= ~(UINT64_C(1) << (b % 64));
		}
	}
	f->base = new_base;
}

int
mtrf_sink_account(struct mtrf_sink *sink, uint16_t proc_id, uint16_t flow_id, uint64_t seq,
		  uint16_t queue, uint64_t lat)
{
	int idx = mtrf_sink_find(sink, proc_id, flow_id);
	struct mtrf_sink_flow *f;
	struct mtrf_flow_counts *c;
	uint64_t *word, bit;
	uint32_t b;

	if (idx < 0) {
		sink->totals.unknown_flow++;
		return -ENOENT;
	}
	f = &sink->flows[idx];
	c = &f->c;
	c->received++;
	if (f->queue != UINT16_MAX && queue != f->queue)
		c->wrong_queue++;
	if (seq < f->base) {
		c->too_old++;
		c->reordered++;
		return 0;
	}
	if (seq - f->base >= sink->window)
		mtrf_window_slide(f, sink->window, seq - sink->window + 1);
	b = (uint32_t)(seq & (sink->window - 1));
	word = &f->bits[b / 64];
	bit = UINT64_C(1) << (b % 64);
	if (*word & bit) {
		c->dup++;
		return 0;
	}
	*word |= bit;
	if (c->unique != 0 && seq < c->highest)
		c->reordered++;
	if (c->unique == 0 || seq > c->highest)
		c->highest = seq;
	c->unique++;
	c->lat_sum += lat;
	if (lat > c->lat_max)
		c->lat_max = lat;
	return 0;
}

enum mtrf_parse_result
mtrf_sink_rx(struct mtrf_sink *sink, const struct rte_mbuf *m, uint16_t queue, uint64_t rx_tsc)
{
	struct mtrf_stamp st;
	enum mtrf_parse_result r;
	int idx;

	r = mtrf_parse(m, &st, NULL, sink->verify);
	switch (r) {
	case MTRF_PARSE_OK:
		mtrf_sink_account(sink, st.proc_id, st.flow_id, st.seq, queue,
				  rx_tsc > st.tx_tsc ? rx_tsc - st.tx_tsc : 0);
		break;
	case MTRF_PARSE_CORRUPT:
		sink->totals.corrupt++;
		idx = mtrf_sink_find(sink, st.proc_id, st.flow_id);
		if (idx >= 0) {
			sink->flows[idx].c.received++;
			sink->flows[idx].c.corrupt++;
		}
		break;
	case MTRF_PARSE_NOT_IP:
		sink->totals.not_ip++;
		break;
	case MTRF_PARSE_BAD_MAGIC:
		sink->totals.bad_magic++;
		break;
	}
	return r;
}

const struct mtrf_flow_counts *
mtrf_sink_counts(const struct mtrf_sink *sink, int idx)
{
	if (idx < 0 || (uint32_t)idx >= sink->nb_flows)
		return NULL;
	return &sink->flows[idx].c;
}

void
mtrf_sink_totals(const struct mtrf_sink *sink, struct mtrf_sink_totals *t)
{
	*t = sink->totals;
	t->bad = t->not_ip + t->bad_magic + t->unknown_flow;
}
