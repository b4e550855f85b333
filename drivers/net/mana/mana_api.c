/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/* The private API of rte_pmd_mana_mpr.h. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <ethdev_driver.h>
#include <rte_errno.h>
#include <rte_io.h>

#include "mana.h"
#include "mana_gdma.h"
#include "rte_pmd_mana_mpr.h"
#include "mp/mana_mp.h"

#define MANA_API __attribute__((visibility("default")))

/* A net_mana_mpr port of this process; with @shared, its shared data must exist. */
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

static int
mana_api_state_of(struct mana_local *lp, void *arg)
{
	struct rte_pmd_mana_mpr_state *state = arg;
	const struct mana_priv *priv = lp->priv;
	uint64_t word = mana_state_load(priv);
	int i;

	state->state = mana_word_state(word);
	state->generation = mana_word_generation(word);
	state->phase = rte_atomic_load_explicit(&priv->reset.phase, rte_memory_order_relaxed);
	state->mapped_generation = lp->db_generation;
	state->slot = lp->slot;
	state->processes = 0;
	for (i = 0; i < MANA_MAX_PROCS; i++)
		state->processes += priv->procs[i].state != MANA_PROC_FREE;
	state->resets_succeeded = priv->reset.succeeded;
	state->resets_failed = priv->reset.failed;
	return 0;
}

/*
 * The getters read the port's state through mana_mp_with_port(): in a
 * secondary, the primary's close releases the port from an alarm, which may
 * run while the application is in here.
 */
MANA_API int
rte_pmd_mana_mpr_get_state(uint16_t port_id, struct rte_pmd_mana_mpr_state *state)
{
	if (mana_api_port(port_id) == NULL)
		return -ENODEV;
	if (state == NULL)
		return -EINVAL;
	return mana_mp_with_port(port_id, mana_api_state_of, state);
}

MANA_API const char *
rte_pmd_mana_mpr_state_name(uint32_t state)
{
	if (state < RTE_PMD_MANA_MPR_STOPPED || state > RTE_PMD_MANA_MPR_CLOSED)
		return "unknown";
	return mana_state_name((enum mana_dev_state)state);
}

MANA_API const char *
rte_pmd_mana_mpr_msg_name(uint32_t type)
{
	if (type == MANA_MP_INVALID || type >= MANA_MP_TYPE_MAX)
		return "INVALID";
	return mana_mp_specs[type].name;
}

MANA_API const char *
rte_pmd_mana_mpr_phase_name(uint32_t phase)
{
	return mana_phase_name((enum mana_reset_phase)phase);
}

static int
mana_api_reset_info_of(struct mana_local *lp, void *arg)
{
	struct rte_pmd_mana_mpr_reset_info *info = arg;
	const struct mana_reset_stats *rs = &lp->priv->reset;
	unsigned int i;

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
	info->evictions_cannot_run = rs->evictions_cannot_run;
	info->evictions_deadline = rs->evictions_deadline;
	info->ack_srtt_us = rs->ack_srtt_ns / 1000;
	info->ack_rttvar_us = rs->ack_rttvar_ns / 1000;
	info->ack_deadline_ms = mana_mp_next_deadline_ms(lp->priv);
	info->last_unmap_round_us = rs->last_unmap_round_us;
	info->last_remap_round_us = rs->last_remap_round_us;
	return 0;
}

MANA_API int
rte_pmd_mana_mpr_get_reset_info(uint16_t port_id, struct rte_pmd_mana_mpr_reset_info *info)
{
	if (mana_api_port(port_id) == NULL)
		return -ENODEV;
	if (info == NULL)
		return -EINVAL;
	return mana_mp_with_port(port_id, mana_api_reset_info_of, info);
}

struct mana_api_procs {
	struct rte_pmd_mana_mpr_proc *procs;
	unsigned int n;
};

static int
mana_api_procs_of(struct mana_local *lp, void *arg)
{
	const struct mana_api_procs *out = arg;
	const struct mana_priv *priv = lp->priv;
	unsigned int count = 0;
	int i;

	for (i = 0; i < MANA_MAX_PROCS; i++) {
		const struct mana_proc_slot *s = &priv->procs[i];

		if (s->state == MANA_PROC_FREE)
			continue;
		if (count < out->n) {
			out->procs[count] = (struct rte_pmd_mana_mpr_proc){
				.slot = i,
				.pid = s->pid,
				.state = s->state,
				.db_generation = s->db_generation,
				.last_msg = s->last_msg,
				.last_result = s->last_result,
				.last_latency_us = s->last_latency_ns / 1000,
				.missed_acks = s->missed_acks,
				.unmap_result = s->unmap_result,
				.unmap_generation = s->unmap_generation,
				.unmap_latency_us = s->unmap_latency_ns / 1000,
				.remap_result = s->remap_result,
				.remap_generation = s->remap_generation,
				.remap_latency_us = s->remap_latency_ns / 1000,
				.msgs_sent = rte_atomic_load_explicit(&s->msgs_sent,
								      rte_memory_order_relaxed),
				.msgs_dropped = rte_atomic_load_explicit(&s->msgs_dropped,
									 rte_memory_order_relaxed),
			};
		}
		count++;
	}
	return (int)count;
}

MANA_API int
rte_pmd_mana_mpr_get_procs(uint16_t port_id, struct rte_pmd_mana_mpr_proc *procs, unsigned int n)
{
	struct mana_api_procs out = { .procs = procs, .n = n };

	if (mana_api_port(port_id) == NULL)
		return -ENODEV;
	if (procs == NULL && n != 0)
		return -EINVAL;
	return mana_mp_with_port(port_id, mana_api_procs_of, &out);
}

MANA_API int
rte_pmd_mana_mpr_test_keep_doorbell(uint16_t port_id, bool keep)
{
	struct rte_eth_dev *dev = mana_api_port(port_id);

	if (dev == NULL)
		return -ENODEV;
	rte_atomic_store_explicit(&mana_local(dev)->test_keep_doorbell, keep,
				  rte_memory_order_relaxed);
	return 0;
}

MANA_API int
rte_pmd_mana_mpr_test_close_wait_release(uint16_t port_id, uint32_t timeout_ms)
{
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		return -ENOTSUP;
	if (mana_api_port(port_id) == NULL)
		return -ENODEV;
	mana_test_close_wait_set(port_id, timeout_ms);
	return 0;
}

MANA_API int
rte_pmd_mana_mpr_test_stall_mp(uint16_t port_id, uint32_t ms)
{
	if (mana_api_port(port_id) == NULL)
		return -ENODEV;
	mana_mp_test_stall_set(port_id, ms);
	return 0;
}

MANA_API int
rte_pmd_mana_mpr_test_ring_doorbell(uint16_t port_id, uint16_t queue_id)
{
	/* Works on a port the primary has closed: that is its purpose. */
	struct rte_eth_dev *dev = mana_api_port_of(port_id, false);
	const struct mana_txq *txq = NULL;
	const struct mana_fast *fast;
	uint32_t id = 0, tail = 0;

	if (dev == NULL)
		return -ENODEV;
	fast = &mana_fast[port_id];
	if (fast->db_base == NULL)
		return -ENXIO;
	/*
	 * Once the primary has closed the port the shared queue array is gone;
	 * queue id 0 is then as good a target: the page is what is tested.
	 */
	if (dev->data->dev_private != NULL && queue_id < dev->data->nb_tx_queues)
		txq = dev->data->tx_queues[queue_id];
	if (txq != NULL) {
		id = txq->sq.id;
		tail = txq->sq.head * GDMA_WQE_BU;
	}
	rte_write64(gdma_db_value(id, tail, 0), fast->db_base + GDMA_DB_OFFSET_SQ);
	return 0;
}

MANA_API int
rte_pmd_mana_mpr_test_send_raw(uint16_t port_id, uint16_t type, int len_param, int num_fds,
			   uint32_t generation)
{
	struct rte_eth_dev *dev = mana_api_port(port_id);
	struct rte_mp_msg msg __rte_aligned(8);
	struct mana_mp_hdr *hdr = (struct mana_mp_hdr *)msg.param;
	struct mana_mp_bcast *b = (struct mana_mp_bcast *)msg.param;
	int i, ret = 0;

	if (dev == NULL)
		return -ENODEV;
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -E_RTE_SECONDARY;
	if (len_param < 0 || len_param > RTE_MP_MAX_PARAM_LEN || num_fds < 0 ||
	    num_fds > RTE_MP_MAX_FD_NUM)
		return -EINVAL;
	memset(&msg, 0, sizeof(msg));
	strlcpy(msg.name, MANA_MP_ACTION_SECONDARY, sizeof(msg.name));
	msg.len_param = len_param;
	hdr->magic = MANA_MP_MAGIC;
	hdr->version = MANA_MP_VERSION;
	hdr->type = type;
	hdr->port_id = port_id;
	hdr->pid = getpid();
	hdr->seq = UINT32_MAX;	/* matches no broadcast: answers are ignored */
	hdr->generation = generation;
	b->db_region_size = mana_priv(dev)->db_region_size;
	for (i = 0; i < num_fds; i++) {
		msg.fds[i] = memfd_create("mana_test_raw", MFD_CLOEXEC);
		if (msg.fds[i] < 0 || ftruncate(msg.fds[i], b->db_region_size) != 0) {
			ret = -errno;
			num_fds = i + (msg.fds[i] >= 0);
			goto out;
		}
	}
	msg.num_fds = num_fds;
	ret = mana_mp_send_raw(dev, &msg);
out:
	for (i = 0; i < num_fds; i++)
		close(msg.fds[i]);
	return ret;
}
