/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * net_mana_mpr: PCI probe (a MANA function through rdma-core, one ethdev per
 * port) and the ethdev operations. Control operations run in the primary under
 * the port's ctl_lock; the reset state machine (mana_reset.c) takes the same
 * lock phase by phase, so a control operation sees either no reset or a
 * reset between phases, and answers -EBUSY (configure, queue setup, start)
 * or waits for it (stop) or cancels it (close).
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include <bus_pci_driver.h>
#include <ethdev_driver.h>
#include <ethdev_pci.h>
#include <rte_errno.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_memzone.h>

#include "mana.h"
#include "mana_event.h"
#include "mana_gdma.h"
#include "mana_guard.h"
#include "mana_reset.h"
#include "mp/mana_mp.h"

RTE_LOG_REGISTER_SUFFIX(mana_logtype_init, init, NOTICE);
RTE_LOG_REGISTER_SUFFIX(mana_logtype_driver, driver, NOTICE);
RTE_LOG_REGISTER_SUFFIX(mana_logtype_mp, mp, NOTICE);
RTE_LOG_REGISTER_SUFFIX(mana_logtype_reset, reset, NOTICE);

#define MANA_RSS_HF ( \
	RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP | \
	RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_UDP)

/* As upstream (mana.h): the device always strips the tag, the PMD puts it back. */
#define MANA_RX_OFFLOADS (RTE_ETH_RX_OFFLOAD_CHECKSUM | RTE_ETH_RX_OFFLOAD_RSS_HASH | \
			  RTE_ETH_RX_OFFLOAD_VLAN_STRIP)
#define MANA_TX_OFFLOADS (RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | \
			  RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM | \
			  RTE_ETH_TX_OFFLOAD_VLAN_INSERT | RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)

static const uint8_t mana_rss_key_default[MANA_HW_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static const struct eth_dev_ops mana_dev_ops;

const char *
mana_state_name(enum mana_dev_state state)
{
	static const char *const names[] = {
		[MANA_DEV_INIT] = "init",
		[MANA_DEV_STOPPED] = "stopped",
		[MANA_DEV_ACTIVE] = "active",
		[MANA_DEV_RESETTING] = "resetting",
		[MANA_DEV_FAILED] = "failed",
		[MANA_DEV_CLOSED] = "closed",
	};

	return (unsigned int)state < RTE_DIM(names) ? names[state] : "unknown";
}

bool
mana_dev_is_mana(const struct rte_eth_dev *dev)
{
	return dev != NULL && dev->dev_ops == &mana_dev_ops;
}

/*
 * The link as the application sees it: up, full duplex, at the device's
 * speed while the port is started and has not failed. MANA has no concept
 * of carrier state (upstream mana.c); ibv_query_port reports the kernel
 * netdev's carrier, which is down while DPDK owns the vport, so it is not
 * asked.
 */
void
mana_link_set(struct rte_eth_dev *dev, bool up)
{
	struct rte_eth_link link = {
		.link_speed = up ? mana_priv(dev)->caps.link_speed_mbps : RTE_ETH_SPEED_NUM_NONE,
		.link_duplex = up ? RTE_ETH_LINK_FULL_DUPLEX : RTE_ETH_LINK_HALF_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
	};

	rte_eth_linkstatus_set(dev, &link);
}

/* Publish a new state word (primary). */
int
mana_state_set(struct mana_priv *priv, uint32_t generation, enum mana_dev_state state)
{
	rte_atomic_store_explicit(&priv->state.word, mana_state_word(generation, state),
				  rte_memory_order_release);
	return 0;
}

/*
 * What a stopped secondary's fast-path table points at instead of the
 * shared queue arrays: parked queues, whose guard always refuses (their
 * state word is 0: MANA_DEV_INIT, never a burst word).
 */
static struct mana_priv mana_parked_priv;
static struct mana_rxq mana_parked_rxq = { .priv = &mana_parked_priv };
static struct mana_txq mana_parked_txq = { .priv = &mana_parked_priv };
static void *mana_parked_rxqs[RTE_MAX_QUEUES_PER_PORT] = {
	[0 ... RTE_MAX_QUEUES_PER_PORT - 1] = &mana_parked_rxq
};
static void *mana_parked_txqs[RTE_MAX_QUEUES_PER_PORT] = {
	[0 ... RTE_MAX_QUEUES_PER_PORT - 1] = &mana_parked_txq
};

/*
 * Install this process's burst functions for @dev. Secondaries update
 * their fast-path table themselves (ethdev sets it up only at probe there),
 * from the interrupt thread (the primary's messages) while lcores poll.
 * rte_eth_rx_burst() loads the queue and the function separately, so a
 * poller can pair one old and one new value; every pairing is safe without a check on the burst path: a
 * stopped table never points at the shared queue arrays (a failed
 * reconfigure frees them) but at the parked queues, which the running
 * bursts' guard turns away like any queue of a stopped port.
 */
void
mana_set_burst_functions(struct rte_eth_dev *dev, bool running)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = lp->priv;
	bool fenced = mana_bursts_need_fence(priv);
	eth_rx_burst_t rx = mana_rx_burst_stopped;
	eth_tx_burst_t tx = mana_tx_burst_stopped;
	RTE_ATOMIC(eth_rx_burst_t) *rx_burst;
	RTE_ATOMIC(eth_tx_burst_t) *tx_burst;
	RTE_ATOMIC(void **) *rxq_data;
	RTE_ATOMIC(void **) *txq_data;
	struct rte_eth_fp_ops *fpo;

	if (running) {
		rx = fenced ? mana_rx_burst_fenced : mana_rx_burst;
		tx = fenced ? mana_tx_burst_fenced : mana_tx_burst;
	}
	dev->rx_pkt_burst = rx;
	dev->tx_pkt_burst = tx;
	if (rte_eal_process_type() != RTE_PROC_SECONDARY)
		return;
	/*
	 * ethdev's fast-path table of this process (DPDK >= 21.11): the
	 * application's pollers read it while we switch it. The queue arrays
	 * come from the primary's snapshot in priv, not dev->data: a secondary
	 * running late may find dev->data zeroed or freed. A closed port is
	 * never polled again.
	 */
	fpo = &rte_eth_fp_ops[lp->port_id];
	if (mana_word_state(mana_state_load(priv)) == MANA_DEV_CLOSED)
		running = false;
	rxq_data = (RTE_ATOMIC(void **) *)&fpo->rxq.data;
	txq_data = (RTE_ATOMIC(void **) *)&fpo->txq.data;
	rx_burst = (RTE_ATOMIC(eth_rx_burst_t) *)&fpo->rx_pkt_burst;
	tx_burst = (RTE_ATOMIC(eth_tx_burst_t) *)&fpo->tx_pkt_burst;
	if (running && priv->rx_queues != NULL && priv->tx_queues != NULL) {
		rte_atomic_store_explicit(rxq_data, priv->rx_queues, rte_memory_order_release);
		rte_atomic_store_explicit(txq_data, priv->tx_queues, rte_memory_order_release);
		rte_atomic_store_explicit(rx_burst, rx, rte_memory_order_release);
		rte_atomic_store_explicit(tx_burst, tx, rte_memory_order_release);
	} else {
		rte_atomic_store_explicit(rx_burst, mana_rx_burst_stopped,
					  rte_memory_order_release);
		rte_atomic_store_explicit(tx_burst, mana_tx_burst_stopped,
					  rte_memory_order_release);
		rte_atomic_store_explicit(rxq_data, mana_parked_rxqs, rte_memory_order_release);
		rte_atomic_store_explicit(txq_data, mana_parked_txqs, rte_memory_order_release);
	}
}

/* ------------------------------------------------------------------ */
/* Control operations (primary).                                       */

/* What secondaries poll and quiesce from now on (see mana_priv.rx_queues). */
static void
mana_queues_snapshot(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);

	priv->rx_queues = dev->data->rx_queues;
	priv->tx_queues = dev->data->tx_queues;
	priv->nb_rx_queues = dev->data->nb_rx_queues;
	priv->nb_tx_queues = dev->data->nb_tx_queues;
}

static void
mana_queue_states_set(struct rte_eth_dev *dev, uint8_t state)
{
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = state;
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = state;
}

/* Control operations that must not run during a reset. */
static int
mana_ctl_check(struct rte_eth_dev *dev, const char *op)
{
	enum mana_dev_state st = mana_word_state(mana_state_load(mana_priv(dev)));

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -E_RTE_SECONDARY;
	if (st == MANA_DEV_RESETTING) {
		DRV_LOG(NOTICE, "port %u: %s refused: reset in progress", dev->data->port_id, op);
		return -EBUSY;
	}
	if (st == MANA_DEV_FAILED || st == MANA_DEV_CLOSED) {
		DRV_LOG(ERR, "port %u: %s refused: device %s", dev->data->port_id, op,
			mana_state_name(st));
		return -EIO;
	}
	return 0;
}

static int
mana_dev_configure(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = mana_priv(dev);
	struct rte_eth_conf *conf = &dev->data->dev_conf;
	struct rte_eth_rss_conf *rss = &conf->rx_adv_conf.rss_conf;
	uint16_t nb_q = dev->data->nb_rx_queues;
	unsigned int i;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -E_RTE_SECONDARY;
	mana_mutex_lock(&lp->ctl_lock);
	ret = mana_ctl_check(dev, "configure");
	if (ret != 0)
		goto out;
	ret = -EINVAL;
	if (nb_q != dev->data->nb_tx_queues) {
		DRV_LOG(ERR, "port %u: Rx and Tx queue counts must be equal (%u != %u)",
			dev->data->port_id, nb_q, dev->data->nb_tx_queues);
		goto out;
	}
	if (nb_q == 0 || nb_q > priv->caps.max_queues || nb_q > MANA_MAX_QUEUES) {
		DRV_LOG(ERR, "port %u: %u queues, supported 1..%u", dev->data->port_id, nb_q,
			RTE_MIN(priv->caps.max_queues, (uint32_t)MANA_MAX_QUEUES));
		goto out;
	}
	/*
	 * The indirection table lists each Rx queue once and its size is a
	 * power of two (rdma-core ibv_create_rwq_ind_table, Linux
	 * mana_ib_create_qp_rss; upstream: log2(nb_rxq) entries).
	 */
	if (!rte_is_power_of_2(nb_q)) {
		DRV_LOG(ERR, "port %u: %u queues: MANA needs a power of two (1, 2, 4, 8, ...)"
			" of Rx and Tx queues", dev->data->port_id, nb_q);
		goto out;
	}
	if (rss->rss_key != NULL && rss->rss_key_len != MANA_HW_RSS_KEY_LEN) {
		DRV_LOG(ERR, "port %u: RSS key must be %u bytes", dev->data->port_id,
			MANA_HW_RSS_KEY_LEN);
		goto out;
	}
	if (rss->rss_hf & ~MANA_RSS_HF) {
		DRV_LOG(ERR, "port %u: unsupported RSS hash types %#" PRIx64, dev->data->port_id,
			rss->rss_hf & ~MANA_RSS_HF);
		goto out;
	}
	if (conf->rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG)
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;

	memcpy(priv->rss_key, rss->rss_key != NULL ? rss->rss_key : mana_rss_key_default,
	       MANA_HW_RSS_KEY_LEN);
	/* Kept as asked, although the kernel ignores it (see mana_verbs.c). */
	priv->rss_hf = rss->rss_hf;
	/* The default RETA is the identity: entry j is queue j % nb_q. */
	for (i = 0; i < MANA_RETA_SIZE; i++)
		priv->reta[i] = (uint16_t)(i % nb_q);
	priv->nb_queues = nb_q;
	ret = 0;
out:
	mana_mutex_unlock(&lp->ctl_lock);
	return ret;
}

static int
mana_dev_info_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct mana_priv *priv = mana_priv(dev);
	uint32_t max_q = RTE_MIN(priv->caps.max_queues, (uint32_t)MANA_MAX_QUEUES);

	info->max_rx_queues = (uint16_t)max_q;
	info->max_tx_queues = (uint16_t)max_q;
	info->max_mac_addrs = 1;
	info->min_rx_bufsize = MANA_MIN_RX_BUF_SIZE;
	info->max_rx_pktlen = MANA_MAX_RX_PKTLEN;
	info->max_mtu = MANA_MAX_MTU;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->rx_offload_capa = MANA_RX_OFFLOADS;
	info->tx_offload_capa = MANA_TX_OFFLOADS;
	info->rx_queue_offload_capa = 0;
	info->tx_queue_offload_capa = 0;
	info->reta_size = MANA_RETA_SIZE;
	info->hash_key_size = MANA_HW_RSS_KEY_LEN;
	info->flow_type_rss_offloads = MANA_RSS_HF;
	/* Rings are rounded up to a power of two: the largest one is the limit. */
	info->rx_desc_lim = (struct rte_eth_desc_lim){
		.nb_max = (uint16_t)rte_align32prevpow2(RTE_MIN(priv->caps.max_rx_desc,
								(uint32_t)UINT16_MAX)),
		.nb_min = MANA_MIN_DESC,
		.nb_align = 1,
	};
	info->tx_desc_lim = (struct rte_eth_desc_lim){
		.nb_max = (uint16_t)rte_align32prevpow2(RTE_MIN(priv->caps.max_tx_desc,
								(uint32_t)UINT16_MAX)),
		.nb_min = MANA_MIN_DESC,
		.nb_align = 1,
		.nb_seg_max = (uint16_t)RTE_MIN(priv->caps.max_send_sge, (uint32_t)GDMA_MAX_SGE),
		.nb_mtu_seg_max = (uint16_t)RTE_MIN(priv->caps.max_send_sge,
						    (uint32_t)GDMA_MAX_SGE),
	};
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->default_rxportconf.ring_size = (uint16_t)RTE_MIN((uint32_t)MANA_DEFAULT_DESC,
							       priv->caps.max_rx_desc);
	info->default_txportconf.ring_size = (uint16_t)RTE_MIN((uint32_t)MANA_DEFAULT_DESC,
							       priv->caps.max_tx_desc);
	info->speed_capa = RTE_ETH_LINK_SPEED_100G;
	info->dev_capa = 0;
	return 0;
}

static int
mana_dev_start(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = mana_priv(dev);
	struct mana_mp_round_result round;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -E_RTE_SECONDARY;
	mana_mutex_lock(&lp->ctl_lock);
	ret = mana_ctl_check(dev, "start");
	if (ret == 0)
		ret = mana_port_mtu_apply(dev);
	if (ret != 0)
		goto out;
	/* What a quarantine in a stop or reset needs, from the heap here. */
	mana_queues_reap_quarantine(dev);
	ret = mana_queues_spares_fill(dev);
	if (ret != 0) {
		DRV_LOG(ERR, "port %u: keeping spare queues for a quarantine failed: %s",
			dev->data->port_id, strerror(-ret));
		goto out;
	}
	ret = mana_queues_create(dev, true);
	if (ret != 0)
		goto out;
	priv->started = true;
	mana_queues_snapshot(dev);
	mana_queue_states_set(dev, RTE_ETH_QUEUE_STATE_STARTED);
	mana_state_set(priv, priv->db_generation, MANA_DEV_ACTIVE);
	mana_set_burst_functions(dev, true);
	mana_link_set(dev, true);
	/* Secondaries install their burst functions; the silent are evicted. */
	mana_mp_broadcast(dev, MANA_MP_START_RXTX, priv->db_generation, -1,
			  priv->args.ack_timeout_ms, &round);
	DRV_LOG(INFO, "port %u: started with %u queues", dev->data->port_id, priv->nb_queues);
out:
	mana_mutex_unlock(&lp->ctl_lock);
	return ret;
}

/*
 * Stop the data path in every process and take the queues out of the
 * device. Caller holds ctl_lock. In a reset (between its phases) this is
 * safe too: the state stays RESETTING, and the reset's later phases read
 * priv->started, so it rebuilds no queue and resumes to STOPPED.
 */
static void
mana_stop_locked(struct mana_local *lp) __mana_requires(&lp->ctl_lock)
{
	struct rte_eth_dev *dev = lp->dev;
	struct mana_priv *priv = lp->priv;
	struct mana_mp_round_result round;
	struct mana_quiesce_result q;
	uint64_t word = mana_state_load(priv);

	if (mana_word_state(word) == MANA_DEV_ACTIVE)
		mana_state_set(priv, mana_word_generation(word), MANA_DEV_STOPPED);
	priv->started = false;
	mana_set_burst_functions(dev, false);
	/* No burst may start from here on; wait for those already inside. */
	mana_queues_quiesce(dev, &q);
	mana_mp_broadcast(dev, MANA_MP_STOP_RXTX, priv->db_generation, -1,
			  priv->args.ack_timeout_ms, &round);
	mana_queues_destroy(dev);
	mana_queues_release_mbufs(dev);
	mana_queue_states_set(dev, RTE_ETH_QUEUE_STATE_STOPPED);
	mana_link_set(dev, false);
}

static int
mana_dev_stop(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -E_RTE_SECONDARY;
	/*
	 * A reset in progress is not waited for (a stop from the ERR_RECOVERING
	 * callback would hold the interrupt thread until the device is back):
	 * the port stops now, between two phases, and the reset completes for
	 * a stopped port. Only the REMAP_DB round must end first.
	 */
	mana_mutex_lock(&lp->ctl_lock);
	while (mana_reset_round_open(dev)) {
		mana_mutex_unlock(&lp->ctl_lock);
		mana_reset_wait_round(dev);
		mana_mutex_lock(&lp->ctl_lock);
	}
	mana_stop_locked(lp);
	mana_mutex_unlock(&lp->ctl_lock);
	return 0;
}

static void
mana_local_destroy(struct mana_local *lp)
{
	mana_mutex_destroy(&lp->ctl_lock);
	mana_mutex_destroy(&lp->mr_lock);
	mana_mutex_destroy(&lp->registry_lock);
	mana_mutex_destroy(&lp->map_lock);
	free(lp);
}

static void
mana_local_free(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);

	if (lp == NULL)
		return;
	mana_local_destroy(lp);
	dev->process_private = NULL;
}

/*
 * Secondary: stop using the port in this process - events, bursts, the
 * doorbell - without reading dev->data, which the primary's release may
 * have zeroed or freed. The caller has taken the port out of the rte_mp
 * table (mana_mp_detach_port).
 */
static void
mana_dev_leave_secondary(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);

	mana_mr_untrack_port(dev);
	mana_event_close(lp->port_id);
	mana_set_burst_functions(dev, false);
	rte_atomic_store_explicit(&lp->test_keep_doorbell, false, rte_memory_order_relaxed);
	mana_db_unmap(dev, 0);
}

/*
 * What a secondary's dev->data points at from its release on. The primary
 * zeroes the port's shared rte_eth_dev_data when it releases the port, and
 * ethdev frees the array holding it with the last port since 23.07
 * (lib/ethdev/ethdev_driver.c, rte_eth_dev_release_port()); a secondary
 * that releases late would read port 0's id there, or freed memory. Its
 * own copy: the port's id, name and MAC, no queue started, the shared
 * private data and the queues as the primary left them to it. Static: the
 * released rte_eth_dev keeps pointing at it.
 */
static struct rte_eth_dev_data mana_tombstones[RTE_MAX_ETHPORTS];
static struct rte_ether_addr mana_tombstone_macs[RTE_MAX_ETHPORTS];

static void
mana_dev_tombstone(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	struct rte_eth_dev_data *t = &mana_tombstones[lp->port_id];

	if (dev->data == t)
		return;
	memset(t, 0, sizeof(*t));
	strlcpy(t->name, lp->name, sizeof(t->name));
	t->port_id = lp->port_id;
	t->dev_private = lp->priv;
	t->rx_queues = lp->priv->rx_queues;
	t->tx_queues = lp->priv->tx_queues;
	t->nb_rx_queues = lp->priv->nb_rx_queues;
	t->nb_tx_queues = lp->priv->nb_tx_queues;
	mana_tombstone_macs[lp->port_id] = lp->mac;
	t->mac_addrs = &mana_tombstone_macs[lp->port_id];
	pthread_mutex_init(&t->flow_ops_mutex, NULL);
	dev->data = t;
}

/* After the release: nothing of the port's shared memory is left in reach. */
static void
mana_tombstone_clear(uint16_t port_id)
{
	struct rte_eth_dev_data *t = &mana_tombstones[port_id];

	/* rte_eth_dev_allocated() looks ports up by name: not this one any more. */
	t->name[0] = '\0';
	t->dev_private = NULL;
	t->rx_queues = NULL;
	t->tx_queues = NULL;
	t->nb_rx_queues = 0;
	t->nb_tx_queues = 0;
}

/*
 * What ethdev's release does to a port in a secondary, but its fast-path
 * table (lib/ethdev/ethdev_driver.c, rte_eth_dev_release_port()): DESTROY
 * to the application, then the port unused. The table keeps the parked
 * burst functions and queue arrays (mana_set_burst_functions()): static,
 * valid for the process's life; a probe that reuses the port id sets the
 * table up again (rte_eth_dev_probing_finish()).
 */
static void
mana_dev_forget_port(struct rte_eth_dev *dev)
{
	static void *no_callbacks[RTE_MAX_QUEUES_PER_PORT];
	struct rte_eth_fp_ops *fpo = &rte_eth_fp_ops[dev - rte_eth_devices];

	if (dev->state != RTE_ETH_DEV_UNUSED)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_DESTROY, NULL);
	/*
	 * A poller that goes on runs no Rx/Tx callback of the released port
	 * (ethdev's reset points them at an empty array too); the application
	 * can no longer remove them once the port is invalid.
	 */
	rte_atomic_store_explicit((RTE_ATOMIC(void **) *)&fpo->rxq.clbk, no_callbacks,
				  rte_memory_order_release);
	rte_atomic_store_explicit((RTE_ATOMIC(void **) *)&fpo->txq.clbk, no_callbacks,
				  rte_memory_order_release);
	dev->state = RTE_ETH_DEV_UNUSED;
	dev->device = NULL;
	dev->process_private = NULL;
	dev->intr_handle = NULL;
	dev->rx_pkt_burst = NULL;
	dev->tx_pkt_burst = NULL;
	dev->dev_ops = NULL;
}

/*
 * Release @dev in this process (secondary). @polled: the application may
 * still poll the port (PORT_CLOSED, and EAL's hot-unplug, run from an
 * alarm: lib/eal/common/hotplug_mp.c). Not ethdev's release then: it
 * rewrites the fast-path table by zero-filling it first
 * (eth_dev_fp_ops_reset(), lib/ethdev/ethdev_private.c), and a burst
 * reading the table then follows a NULL queue array (stock testpmd
 * forwarding died so, 25.11); the parked table stays. Otherwise (the
 * application's close, on its thread) ethdev's release, which refuses when
 * its shared data is gone (23.07 and later free it with the primary's last
 * port: -EINVAL, before anything is done); then do the rest of it here. The
 * burst functions are parked already.
 */
static void
mana_dev_release_port_secondary(struct rte_eth_dev *dev, uint16_t port_id, bool polled)
{
	if (polled) {
		mana_dev_forget_port(dev);
	} else if (rte_eth_dev_release_port(dev) != 0) {
		DRV_LOG(NOTICE, "port %u: ethdev's shared data is gone; released here",
			    port_id);
		mana_dev_forget_port(dev);
	}
	mana_tombstone_clear(port_id);
}

/*
 * Secondary, PORT_CLOSED (from mana_mp_port_gone, which took the port out
 * of the rte_mp table and so owns @lp): release the port here and free
 * @lp. The primary may have released it already, if this process ran late.
 */
void
mana_dev_gone_secondary(struct mana_local *lp)
{
	struct rte_eth_dev *dev = lp->dev;
	uint16_t port_id = lp->port_id;

	mana_dev_tombstone(dev);
	mana_dev_leave_secondary(dev);
	/* From an alarm: the application's lcores may still poll the port. */
	mana_dev_release_port_secondary(dev, port_id, true);
	mana_local_destroy(lp);
}

/* Test hook: the next close of a port waits for its release (ms; 0: none). */
static RTE_ATOMIC(uint32_t) mana_test_close_wait_ms[RTE_MAX_ETHPORTS];

void
mana_test_close_wait_set(uint16_t port_id, uint32_t timeout_ms)
{
	rte_atomic_store_explicit(&mana_test_close_wait_ms[port_id], timeout_ms,
				  rte_memory_order_relaxed);
}

/*
 * rte_eth_dev_close() in a secondary, and its removal (@polled, see
 * mana_dev_release_port_secondary()): the port is released here, before
 * the primary is told (DETACH, and the answer to a PORT_CLOSED that came):
 * from then on the primary may release the port and ethdev free its shared
 * data, which a release still to come here would need (23.07 and later
 * refuse a release without it). Returns -ENODEV on a port the primary is
 * closing or has closed (CLOSED), as every other call on it: ethdev's own
 * release after this may then find its shared data gone, and its result
 * must not be what the application sees (rte_eth_dev_close() returns the
 * first error, lib/ethdev/rte_ethdev.c).
 */
static int
mana_dev_close_secondary(struct rte_eth_dev *dev, bool polled)
{
	/*
	 * The port's id from this process's own port table, not from
	 * mana_local(dev): until mana_mp_detach_port() has decided, the
	 * port-gone alarm (mana_mp_port_gone) may release the port and free
	 * its state under this thread; whoever detaches owns it.
	 */
	uint16_t port_id = (uint16_t)(dev - rte_eth_devices);
	struct mana_local *lp;
	uint32_t wait_ms;
	bool closed;
	int slot;

	wait_ms = rte_atomic_exchange_explicit(&mana_test_close_wait_ms[port_id], 0,
					       rte_memory_order_relaxed);
	if (wait_ms != 0) {
		DRV_LOG(WARNING, "port %u: test hook: close waits for the primary's release",
			port_id);
		mana_mp_test_wait_port_gone(port_id, wait_ms);
	}
	lp = mana_mp_detach_port(port_id);
	/* A pending release is dropped; a running one waited for. */
	mana_mp_cancel_port_gone(port_id);
	if (lp == NULL)
		return -ENODEV;	/* the primary closed the port: released here */
	slot = lp->slot;
	mana_dev_tombstone(dev);
	mana_dev_leave_secondary(dev);
	mana_dev_release_port_secondary(dev, port_id, polled);
	/*
	 * DETACH, then the answer to a PORT_CLOSED that came: the primary may
	 * free the private data once it has both, so nothing here reads it
	 * after. The primary answers DETACH with -ENODEV when it is closing the
	 * port (its state word is CLOSED) or has closed it: then it may free
	 * ethdev's shared data (with its last port, 23.07 and later) before
	 * ethdev's own second release here, which would fail with -EINVAL; the
	 * port is released here already, and -ENODEV is what the application
	 * sees instead.
	 */
	closed = mana_mp_request_detach(lp) == -ENODEV;
	mana_mp_ack_port_closed(port_id, slot, 0);
	mana_local_destroy(lp);
	if (closed)
		DRV_LOG(NOTICE, "port %u: closed while the primary closes it; released",
			port_id);
	return closed ? -ENODEV : 0;
}

/*
 * Close in the primary. Returns whether every secondary was told
 * (PORT_CLOSED): when rte_eal_cleanup() has already closed the rte_mp
 * channel (DPDK 24.11.0 removes devices after that), a secondary still
 * polls the port and only its state word, CLOSED now, keeps its bursts out.
 * Then the queues and the port's shared data are left to it: nothing it can
 * reach is freed (see mana_remove_by_name()).
 */
static bool
mana_close_primary(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = mana_priv(dev);
	struct mana_mp_round_result round;
	uint64_t left;
	bool told;
	uint16_t i;

	/*
	 * Closing abandons a reset (no point waiting for the device), and stops
	 * listening to the device before its context - and event fd - go.
	 * Mempool events stop touching the port first.
	 */
	mana_mr_untrack_port(dev);
	mana_reset_fini(dev);
	mana_mutex_lock(&lp->ctl_lock);
	if (priv->started)
		mana_stop_locked(lp);
	mana_state_set(priv, priv->db_generation, MANA_DEV_CLOSED);
	/* Every process drops its doorbell before closing revokes it. */
	if (lp->ctx != NULL)
		mana_mp_broadcast(dev, MANA_MP_UNMAP_DB, priv->db_generation, -1,
				  priv->args.ack_timeout_ms, &round);
	/* ... and lets go of the port before its shared data goes. */
	mana_queues_snapshot(dev);
	mana_mp_broadcast(dev, MANA_MP_PORT_CLOSED, priv->db_generation, -1,
			  priv->args.ack_timeout_ms, &round);
	/*
	 * Every process still attached (evicted ones too, and any that
	 * attached meanwhile) must have released the port: one that has not
	 * (frozen, its interrupt thread busy, rte_mp closed) may still poll the
	 * queues, read the private data or release the port late.
	 */
	left = mana_registry_members(dev, true) & ~(round.answered & ~round.failed);
	left &= ~mana_mp_dead_slots(dev, left);
	told = round.unreachable == 0 && left == 0;
	mana_db_unmap(dev, 0);
	if (told) {
		for (i = 0; i < dev->data->nb_rx_queues; i++)
			mana_rx_queue_release(dev, i);
		for (i = 0; i < dev->data->nb_tx_queues; i++)
			mana_tx_queue_release(dev, i);
		mana_queues_reap_quarantine(dev);
		mana_queues_spares_free(dev);
		mana_ring_pool_fini(&lp->rings);
	} else {
		DRV_LOG(NOTICE, "port %u: %u secondaries have not released the port; its memory"
			" (private data, queues) is left to them", dev->data->port_id,
			(unsigned int)__builtin_popcountll(round.unreachable | left));
	}
	mana_mr_release_all(dev, true);	/* and the PD */
	if (lp->ctx != NULL)
		mana_hw_close(lp->ctx);
	lp->ctx = NULL;
	mana_mutex_unlock(&lp->ctl_lock);

	/* Secondaries probing from now on do not look for this port. */
	if (lp->published != NULL)
		rte_atomic_store_explicit(lp->published, 0, rte_memory_order_release);
	lp->published = NULL;
	mana_event_close(dev->data->port_id);
	mana_mp_detach_port(dev->data->port_id);
	mana_mp_round_destroy(lp);
	if (lp->hw_dev != NULL)
		mana_hw_dev_put(lp->hw_dev);
	lp->hw_dev = NULL;
	mana_local_free(dev);
	DRV_LOG(INFO, "port %u: closed", dev->data->port_id);
	return told;
}

static int
mana_dev_close(struct rte_eth_dev *dev)
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return mana_dev_close_secondary(dev, false);
	if (!mana_close_primary(dev)) {
		/*
		 * ethdev releases the port after this and frees what dev->data
		 * points at (the queue arrays, the private data:
		 * lib/ethdev/ethdev_driver.c): not what a secondary that has not
		 * let go may still reach. (A remove that could not tell every
		 * secondary does not release the port: mana_remove_by_name().)
		 */
		dev->data->dev_private = NULL;
		dev->data->rx_queues = NULL;
		dev->data->tx_queues = NULL;
		dev->data->nb_rx_queues = 0;
		dev->data->nb_tx_queues = 0;
	}
	return 0;
}

/*
 * The link changes only with the port's own state (start, stop, a failed
 * recovery: mana_link_set()); there is nothing to ask the device.
 */
static int
mana_link_update(struct rte_eth_dev *dev __rte_unused, int wait_to_complete __rte_unused)
{
	return 0;
}

/* Per-queue counters go to their own struct since DPDK 25.11 (NULL if unwanted). */
static int
mana_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *stats
#ifdef MANA_ETHDEV_QSTATS_ARG
	       , struct eth_queue_stats *qstats
#endif
	       )
{
#ifndef MANA_ETHDEV_QSTATS_ARG
	struct rte_eth_stats *qstats = stats;
#endif
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq == NULL)
			continue;
		stats->ipackets += rxq->stats.packets;
		stats->ibytes += rxq->stats.bytes;
		stats->ierrors += rxq->stats.errors;
		stats->rx_nombuf += rxq->stats.nombuf;
		if (qstats != NULL && i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			qstats->q_ipackets[i] = rxq->stats.packets;
			qstats->q_ibytes[i] = rxq->stats.bytes;
			qstats->q_errors[i] = rxq->stats.errors;
		}
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		const struct mana_txq *txq = dev->data->tx_queues[i];

		if (txq == NULL)
			continue;
		stats->opackets += txq->stats.packets;
		stats->obytes += txq->stats.bytes;
		stats->oerrors += txq->stats.errors;
		if (qstats != NULL && i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			qstats->q_opackets[i] = txq->stats.packets;
			qstats->q_obytes[i] = txq->stats.bytes;
		}
	}
	return 0;
}

static int
mana_stats_reset(struct rte_eth_dev *dev)
{
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq != NULL)
			memset(&rxq->stats, 0, sizeof(rxq->stats));
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		struct mana_txq *txq = dev->data->tx_queues[i];

		if (txq != NULL)
			memset(&txq->stats, 0, sizeof(txq->stats));
	}
	return 0;
}

static int
mana_promisc_noop(struct rte_eth_dev *dev __rte_unused)
{
	/* The vport receives what the host switch steers to it; nothing to set. */
	return 0;
}

/*
 * The MTU is the kernel netdev's (the one with the port's MAC), set as
 * upstream does: SIOCSIFMTU, -errno on failure. Frames must also fit the
 * Rx buffers already set up (one buffer per packet).
 */
static int
mana_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct mana_local *lp = mana_local(dev);
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -E_RTE_SECONDARY;
	if (mtu > MANA_MAX_MTU)
		return -EINVAL;
	mana_mutex_lock(&lp->ctl_lock);
	ret = mana_ctl_check(dev, "MTU set");
	if (ret == 0)
		ret = mana_port_mtu_set(dev, mtu);
	if (ret == -ENODEV)
		DRV_LOG(ERR, "port %u: no kernel netdev of the port to set MTU %u on",
			dev->data->port_id, mtu);
	mana_mutex_unlock(&lp->ctl_lock);
	return ret;
}

static int
mana_rx_queue_setup_op(struct rte_eth_dev *dev, uint16_t idx, uint16_t nb_desc,
		       unsigned int socket, const struct rte_eth_rxconf *conf,
		       struct rte_mempool *mp)
{
	struct mana_local *lp = mana_local(dev);
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -E_RTE_SECONDARY;
	mana_mutex_lock(&lp->ctl_lock);
	ret = mana_ctl_check(dev, "Rx queue setup");
	if (ret == 0)
		ret = mana_rx_queue_setup(dev, idx, nb_desc, socket, conf, mp);
	mana_mutex_unlock(&lp->ctl_lock);
	return ret;
}

static int
mana_tx_queue_setup_op(struct rte_eth_dev *dev, uint16_t idx, uint16_t nb_desc,
		       unsigned int socket, const struct rte_eth_txconf *conf)
{
	struct mana_local *lp = mana_local(dev);
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -E_RTE_SECONDARY;
	mana_mutex_lock(&lp->ctl_lock);
	ret = mana_ctl_check(dev, "Tx queue setup");
	if (ret == 0)
		ret = mana_tx_queue_setup(dev, idx, nb_desc, socket, conf);
	mana_mutex_unlock(&lp->ctl_lock);
	return ret;
}

/* ethdev releases queues on reconfiguration: serialise with reset phases. */
static void
mana_rx_queue_release_op(struct rte_eth_dev *dev, uint16_t qid)
{
	struct mana_local *lp = mana_local(dev);

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return;
	mana_mutex_lock(&lp->ctl_lock);
	mana_rx_queue_release(dev, qid);
	mana_mutex_unlock(&lp->ctl_lock);
}

static void
mana_tx_queue_release_op(struct rte_eth_dev *dev, uint16_t qid)
{
	struct mana_local *lp = mana_local(dev);

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return;
	mana_mutex_lock(&lp->ctl_lock);
	mana_tx_queue_release(dev, qid);
	mana_mutex_unlock(&lp->ctl_lock);
}

/*
 * RSS changes apply at the next start: the indirection table and the key
 * are fixed while the RSS QP exists, and rebuilding it on a running port
 * would move queues under the pollers. A started port refuses them with
 * -EBUSY before anything is looked at. Caller holds ctl_lock.
 */
static int
mana_rss_check_stopped(struct mana_local *lp, const char *op) __mana_requires(&lp->ctl_lock)
{
	int ret = mana_ctl_check(lp->dev, op);

	if (ret != 0)
		return ret;
	if (lp->priv->started) {
		DRV_LOG(ERR, "port %u: %s refused: the port is started (stop it, update, start"
			" it again)", lp->dev->data->port_id, op);
		return -EBUSY;
	}
	return 0;
}

static int
mana_rss_hash_update(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = mana_priv(dev);
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -E_RTE_SECONDARY;
	mana_mutex_lock(&lp->ctl_lock);
	ret = mana_rss_check_stopped(lp, "RSS hash update");
	if (ret != 0)
		goto out;
	if (conf->rss_key != NULL && conf->rss_key_len != MANA_HW_RSS_KEY_LEN) {
		DRV_LOG(ERR, "port %u: RSS key must be %u bytes, not %u", dev->data->port_id,
			MANA_HW_RSS_KEY_LEN, conf->rss_key_len);
		ret = -EINVAL;
		goto out;
	}
	if (conf->rss_hf & ~MANA_RSS_HF) {
		DRV_LOG(ERR, "port %u: unsupported RSS hash types %#" PRIx64,
			dev->data->port_id, conf->rss_hf & ~MANA_RSS_HF);
		ret = -EINVAL;
		goto out;
	}
	if (conf->rss_key != NULL)
		memcpy(priv->rss_key, conf->rss_key, MANA_HW_RSS_KEY_LEN);
	/* Kept as asked; the kernel ignores the hash fields (see mana_verbs.c). */
	priv->rss_hf = conf->rss_hf;
out:
	mana_mutex_unlock(&lp->ctl_lock);
	return ret;
}

static int
mana_rss_hash_conf_get(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf)
{
	struct mana_priv *priv = mana_priv(dev);

	if (conf->rss_key != NULL) {
		if (conf->rss_key_len < MANA_HW_RSS_KEY_LEN)
			return -EINVAL;
		memcpy(conf->rss_key, priv->rss_key, MANA_HW_RSS_KEY_LEN);
	}
	conf->rss_key_len = MANA_HW_RSS_KEY_LEN;
	conf->rss_hf = priv->rss_hf;
	return 0;
}

/*
 * What the device can express: it spreads an n-entry indirection table
 * (n = Rx queues, each queue once) over its 64 entries as entry j =
 * table[j % n] (Linux mana_ib_create_qp_rss). So a RETA must repeat with
 * period n and list every queue exactly once per period.
 */
static int
mana_reta_check(uint16_t port_id, const uint16_t *reta, uint16_t n)
{
	uint64_t seen = 0;
	unsigned int j;

	for (j = 0; j < MANA_RETA_SIZE; j++) {
		if (reta[j] != reta[j % n]) {
			DRV_LOG(ERR, "port %u: RETA entry %u is queue %u but entry %u is queue %u:"
				" the device repeats the first %u entries (j -> j %% %u)",
				port_id, j, reta[j], j % n, reta[j % n], n, n);
			return -EINVAL;
		}
		if (j < n) {
			if (seen & (UINT64_C(1) << reta[j])) {
				DRV_LOG(ERR, "port %u: RETA lists queue %u twice in entries 0..%u:"
					" the device needs each of the %u queues once",
					port_id, reta[j], n - 1, n);
				return -EINVAL;
			}
			seen |= UINT64_C(1) << reta[j];
		}
	}
	return 0;
}

static int
mana_reta_update(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *reta, uint16_t size)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_priv *priv = mana_priv(dev);
	uint16_t n = dev->data->nb_rx_queues;
	uint16_t table[MANA_RETA_SIZE];
	unsigned int i;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -E_RTE_SECONDARY;
	mana_mutex_lock(&lp->ctl_lock);
	ret = mana_rss_check_stopped(lp, "RETA update");
	if (ret != 0)
		goto out;
	ret = -EINVAL;
	if (size != MANA_RETA_SIZE) {
		DRV_LOG(ERR, "port %u: RETA size %u, the device has %u entries",
			dev->data->port_id, size, MANA_RETA_SIZE);
		goto out;
	}
	if (n == 0 || n != priv->nb_queues) {
		DRV_LOG(ERR, "port %u: configure the port before its RETA", dev->data->port_id);
		goto out;
	}
	/* Work on a copy: a refused request leaves nothing behind. */
	memcpy(table, priv->reta, sizeof(table));
	for (i = 0; i < size; i++) {
		const struct rte_eth_rss_reta_entry64 *e = &reta[i / RTE_ETH_RETA_GROUP_SIZE];
		unsigned int bit = i % RTE_ETH_RETA_GROUP_SIZE;

		if (!(e->mask & (UINT64_C(1) << bit)))
			continue;
		if (e->reta[bit] >= n) {
			DRV_LOG(ERR, "port %u: RETA entry %u: queue %u of %u", dev->data->port_id,
				i, e->reta[bit], n);
			goto out;
		}
		table[i] = e->reta[bit];
	}
	ret = mana_reta_check(dev->data->port_id, table, n);
	if (ret == 0)
		memcpy(priv->reta, table, sizeof(table));
out:
	mana_mutex_unlock(&lp->ctl_lock);
	return ret;
}

static int
mana_reta_query(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *reta, uint16_t size)
{
	struct mana_priv *priv = mana_priv(dev);
	unsigned int i;

	if (size != MANA_RETA_SIZE)
		return -EINVAL;
	for (i = 0; i < size; i++) {
		struct rte_eth_rss_reta_entry64 *e = &reta[i / RTE_ETH_RETA_GROUP_SIZE];
		unsigned int bit = i % RTE_ETH_RETA_GROUP_SIZE;

		if (e->mask & (UINT64_C(1) << bit))
			e->reta[bit] = priv->reta[i];
	}
	return 0;
}

static void
mana_rxq_info_get(struct rte_eth_dev *dev, uint16_t qid, struct rte_eth_rxq_info *info)
{
	const struct mana_rxq *rxq = dev->data->rx_queues[qid];

	info->mp = rxq->mp;
	info->nb_desc = (uint16_t)rxq->nb_desc;
	info->scattered_rx = 0;
	info->rx_buf_size = (uint16_t)rxq->buf_len;
}

static void
mana_txq_info_get(struct rte_eth_dev *dev, uint16_t qid, struct rte_eth_txq_info *info)
{
	const struct mana_txq *txq = dev->data->tx_queues[qid];

	info->nb_desc = (uint16_t)txq->nb_desc;
}

static const struct eth_dev_ops mana_dev_ops = {
	.dev_configure = mana_dev_configure,
	.dev_infos_get = mana_dev_info_get,
	.dev_start = mana_dev_start,
	.dev_stop = mana_dev_stop,
	.dev_close = mana_dev_close,
	.link_update = mana_link_update,
	.promiscuous_enable = mana_promisc_noop,
	.promiscuous_disable = mana_promisc_noop,
	.allmulticast_enable = mana_promisc_noop,
	.allmulticast_disable = mana_promisc_noop,
	.stats_get = mana_stats_get,
	.stats_reset = mana_stats_reset,
	.xstats_get = mana_xstats_get,
	.xstats_get_names = mana_xstats_get_names,
	.xstats_reset = mana_xstats_reset,
	.mtu_set = mana_mtu_set,
	.rx_queue_setup = mana_rx_queue_setup_op,
	.rx_queue_release = mana_rx_queue_release_op,
	.tx_queue_setup = mana_tx_queue_setup_op,
	.tx_queue_release = mana_tx_queue_release_op,
	.rss_hash_update = mana_rss_hash_update,
	.rss_hash_conf_get = mana_rss_hash_conf_get,
	.reta_update = mana_reta_update,
	.reta_query = mana_reta_query,
	.rxq_info_get = mana_rxq_info_get,
	.txq_info_get = mana_txq_info_get,
};

/* ------------------------------------------------------------------ */
/* Probe.                                                              */

static struct mana_local *
mana_local_alloc(struct rte_eth_dev *dev)
{
	struct mana_local *lp = calloc(1, sizeof(*lp));

	if (lp == NULL)
		return NULL;
	lp->dev = dev;
	lp->priv = mana_priv(dev);
	lp->port_id = dev->data->port_id;
	lp->request_timeout_ms = lp->priv->args.request_timeout_ms;
	strlcpy(lp->name, dev->data->name, sizeof(lp->name));
	lp->slot = -1;
	mana_mutex_init(&lp->ctl_lock);
	mana_mutex_init(&lp->mr_lock);
	mana_mutex_init(&lp->registry_lock);
	mana_mutex_init(&lp->map_lock);
	dev->process_private = lp;
	return lp;
}

static void
mana_fast_init(uint16_t port_id, int slot)
{
	struct mana_fast *fast = &mana_fast[port_id];

	fast->db_base = NULL;
	fast->busy_tag = (uint32_t)slot + 1;
	rte_atomic_store_explicit(&fast->burst_word, MANA_BURST_WORD_NONE,
				  rte_memory_order_release);
}

/*
 * Primary: open the port's device (@hw_dev, owned from here on) and make the
 * ethdev: its own verbs context, PD and parent domain, as upstream
 * (mana.c mana_probe_port).
 */
static int
mana_probe_primary(struct rte_eth_dev *dev, const char *hw_name, const struct mana_devargs *args,
		   struct mana_hw_dev *hw_dev)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_local *lp;
	int ret;

	lp = mana_local_alloc(dev);
	if (lp == NULL) {
		mana_hw_dev_put(hw_dev);
		return -ENOMEM;
	}
	lp->hw_dev = hw_dev;
	priv->port_id = dev->data->port_id;
	priv->args = *args;
	strlcpy(priv->hw_name, hw_name, sizeof(priv->hw_name));
	priv->barrier_cmd = mana_membarrier_init() == 0 ? mana_membarrier_command() : -1;

	ret = mana_hw_open(lp->hw_dev, &lp->ctx);
	if (ret != 0) {
		PMD_INIT_LOG(ERR, "%s: cannot open the device: %s", dev->data->name,
			     strerror(-ret));
		goto fail;
	}
	ret = mana_hw_query(lp->ctx, &priv->caps);
	if (ret != 0) {
		PMD_INIT_LOG(ERR, "%s: cannot query the device: %s", dev->data->name,
			     strerror(-ret));
		goto fail;
	}
	ret = mana_hw_alloc_pd(lp->ctx, &lp->pd);
	if (ret != 0) {
		PMD_INIT_LOG(ERR, "%s: cannot allocate the protection domain: %s",
			     dev->data->name, strerror(-ret));
		goto fail;
	}
	ret = mana_mp_round_create(lp);
	if (ret != 0)
		goto fail;

	dev->data->mac_addrs = rte_zmalloc("mana_mac", sizeof(struct rte_ether_addr), 0);
	if (dev->data->mac_addrs == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	rte_ether_addr_copy(&priv->caps.mac, dev->data->mac_addrs);
	dev->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS | RTE_ETH_DEV_INTR_RMV;
	dev->dev_ops = &mana_dev_ops;

	mana_registry_init(dev);
	mana_fast_init(dev->data->port_id, 0);
	/* One doorbell page per context, at offset 0 of its command fd. */
	priv->db_region_size = (uint32_t)sysconf(_SC_PAGESIZE);
	priv->db_generation = 1;
	ret = mana_db_map(dev, mana_hw_doorbell_fd(lp->ctx), priv->db_generation,
			  priv->db_region_size);
	if (ret != 0)
		goto fail;
	mana_state_set(priv, priv->db_generation, MANA_DEV_STOPPED);
	mana_set_burst_functions(dev, false);
	mana_link_set(dev, false);
	mana_event_open(dev->data->port_id);

	ret = mana_reset_init(dev);
	if (ret != 0)
		goto fail;
	ret = mana_mp_attach_port(dev);
	if (ret != 0)
		goto fail;
	ret = mana_mr_track_port(dev);
	if (ret != 0) {
		mana_mp_detach_port(dev->data->port_id);
		goto fail;
	}
	PMD_INIT_LOG(INFO, "port %u: %s MAC " RTE_ETHER_ADDR_PRT_FMT ", %u queues and %u"
		     " descriptors max", dev->data->port_id, dev->data->name,
		     RTE_ETHER_ADDR_BYTES(&priv->caps.mac), priv->caps.max_queues,
		     priv->caps.max_rx_desc);
	return 0;
fail:
	mana_reset_fini(dev);
	mana_event_close(dev->data->port_id);
	mana_db_unmap(dev, 0);
	mana_mp_round_destroy(lp);
	if (lp->pd != NULL)
		mana_hw_dealloc_pd(lp->pd);
	if (lp->ctx != NULL)
		mana_hw_close(lp->ctx);
	if (lp->hw_dev != NULL)
		mana_hw_dev_put(lp->hw_dev);
	mana_local_free(dev);
	return ret;
}

/* Secondary: attach to the primary's port and map the doorbell. */
static int
mana_probe_secondary(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_mp_attach_result att;
	struct mana_local *lp;
	int ret;

	lp = mana_local_alloc(dev);
	if (lp == NULL)
		return -ENOMEM;
	dev->dev_ops = &mana_dev_ops;
	if (dev->data->mac_addrs != NULL)
		rte_ether_addr_copy(dev->data->mac_addrs, &lp->mac);
	mana_membarrier_init();
	mana_event_open(dev->data->port_id);
	mana_fast_init(dev->data->port_id, -1);

	/* Serve broadcasts before asking: an UNMAP may follow our ATTACH. */
	ret = mana_mp_attach_port(dev);
	if (ret != 0)
		goto fail;
	ret = mana_mp_request_attach(dev, &att);
	if (ret != 0) {
		PMD_INIT_LOG(ERR, "port %u: attaching to the primary failed: %s",
			     dev->data->port_id, strerror(-ret));
		goto fail;
	}
	/* -ESTALE: told to unmap it meanwhile; REMAP_DB will follow. */
	ret = att.map_result;
	if (ret != 0 && ret != -ESTALE)
		goto fail_detach;
	ret = mana_mr_track_port(dev);
	if (ret != 0)
		goto fail_detach;
	if (att.generation == 0)
		PMD_INIT_LOG(NOTICE, "port %u: attached during a reset; the doorbell comes"
			     " with its REMAP", dev->data->port_id);
	/* For rte_eth_dev_probing_finish(), which copies them into the table. */
	mana_set_burst_functions(dev, priv->started);
	PMD_INIT_LOG(INFO, "port %u: secondary attached as slot %d", dev->data->port_id,
		     lp->slot);
	return 0;
fail_detach:
	mana_mp_request_detach(lp);
fail:
	mana_event_close(dev->data->port_id);
	mana_mp_detach_port(dev->data->port_id);
	mana_local_free(dev);
	return ret;
}

/*
 * Remove (hot-unplug, rte_eal_cleanup()): the outcome of stop + close.
 * rte_eth_dev_close() releases the port itself; releasing it a second
 * time would reset another port's burst functions on 22.11 and dereference
 * the freed port data since 23.07. In the primary, a port whose secondaries
 * could not be told (rte_mp already closed by EAL cleanup) is not released:
 * its shared data stays as they know it, CLOSED, while this process exits.
 */
static int
mana_remove_by_name(const char *name)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(name);
	int ret;

	if (dev == NULL)
		return 0;	/* closed, hence released, already */
	if (mana_local(dev) == NULL)
		return rte_eth_dev_release_port(dev);
	/*
	 * A secondary removes from EAL's hot-unplug alarm (the primary's
	 * rte_dev_remove(), or its own forwarded there) while its lcores may
	 * poll the port: not through rte_eth_dev_close(), whose release
	 * zero-fills the fast-path table under them (eth_dev_fp_ops_reset(),
	 * lib/ethdev/ethdev_private.c). The driver's close, the table parked.
	 */
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return mana_dev_close_secondary(dev, true);
	if (dev->data->dev_started) {
		ret = rte_eth_dev_stop(dev->data->port_id);
		if (ret != 0)
			return ret;
	}
	if (!mana_close_primary(dev))
		return 0;
	return rte_eth_dev_release_port(dev);
}

/*
 * The ports the primary made of one PCI function, in the memzone
 * "mana_mpr_<pci>": a secondary attaches to them by name without touching
 * rdma-core (the device may be away in a reset). Entries are written
 * before nb_ports is published; live drops to 0 when the primary closes
 * the port.
 */
#define MANA_FN_MZ_PREFIX	"mana_mpr_"
#define MANA_FN_MAGIC		0x4d414e46u	/* "MANF" */

struct mana_fn_port {
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_ether_addr mac;
	RTE_ATOMIC(uint32_t) live;
};

struct mana_fn_ports {
	uint32_t magic;
	RTE_ATOMIC(uint32_t) nb_ports;
	struct mana_fn_port port[MANA_HW_MAX_PORTS];
	/* The primary's mempool drivers, by index (rte_mempool_ops_table). */
	uint32_t nb_mempool_ops;
	char mempool_ops[RTE_MEMPOOL_MAX_OPS_IDX][RTE_MEMPOOL_OPS_NAMESIZE];
};

/* Primary: record this process's mempool driver table for secondaries. */
static void
mana_fn_mempool_ops_save(struct mana_fn_ports *fn)
{
	uint32_t i;

	fn->nb_mempool_ops = RTE_MIN(rte_mempool_ops_table.num_ops,
				     (uint32_t)RTE_MEMPOOL_MAX_OPS_IDX);
	for (i = 0; i < fn->nb_mempool_ops; i++)
		strlcpy(fn->mempool_ops[i], rte_mempool_ops_table.ops[i].name,
			sizeof(fn->mempool_ops[i]));
}

/*
 * Secondary: a mempool names its driver by index into the process-local
 * rte_mempool_ops_table (struct rte_mempool ops_index), so every process
 * that allocates or frees a pool's objects must number the drivers alike.
 * Processes built or started differently (another binary, static drivers,
 * -d plugins in another order) do not, and the primary would free this
 * process's mbufs through another driver at a reset (DPDK's mempool guide,
 * doc/guides/prog_guide/mempool_lib.rst: drivers loaded with -d must be given
 * in the same order to every process). Refuse to attach then, naming the
 * first difference.
 */
static int
mana_fn_mempool_ops_check(const struct mana_fn_ports *fn, const char *pci_name)
{
	uint32_t n = rte_mempool_ops_table.num_ops;
	uint32_t i;

	for (i = 0; i < RTE_MAX(n, fn->nb_mempool_ops); i++) {
		const char *here = i < n ? rte_mempool_ops_table.ops[i].name : "(none)";
		const char *there = i < fn->nb_mempool_ops ? fn->mempool_ops[i] : "(none)";

		if (strncmp(here, there, RTE_MEMPOOL_OPS_NAMESIZE) == 0)
			continue;
		PMD_INIT_LOG(ERR, "%s: this process numbers its mempool drivers differently from"
			     " the primary (index %u: \"%s\" here, \"%s\" in the primary): mbufs"
			     " of one process would be freed through another's driver. Build and"
			     " start every process of the application with the same mempool"
			     " drivers, in the same order", pci_name, i, here, there);
		return -EPROTO;
	}
	return 0;
}

/* The function's memzone; the primary creates (and empties) it with @create. */
static struct mana_fn_ports *
mana_fn_ports_get(const char *pci_name, bool create)
{
	char mz_name[RTE_MEMZONE_NAMESIZE];
	const struct rte_memzone *mz;
	struct mana_fn_ports *fn;

	snprintf(mz_name, sizeof(mz_name), MANA_FN_MZ_PREFIX "%s", pci_name);
	mz = rte_memzone_lookup(mz_name);
	if (mz == NULL && create)
		mz = rte_memzone_reserve(mz_name, sizeof(*fn), SOCKET_ID_ANY, 0);
	if (mz == NULL)
		return NULL;
	fn = mz->addr;
	if (create) {
		memset(fn, 0, sizeof(*fn));
		fn->magic = MANA_FN_MAGIC;
	}
	return fn;
}

static void
mana_fn_ports_free(const char *pci_name)
{
	char mz_name[RTE_MEMZONE_NAMESIZE];
	const struct rte_memzone *mz;

	snprintf(mz_name, sizeof(mz_name), MANA_FN_MZ_PREFIX "%s", pci_name);
	mz = rte_memzone_lookup(mz_name);
	if (mz != NULL)
		rte_memzone_free(mz);
}

/* Primary: a port's ethdev "<pci name>_port<N>" (as upstream), not announced yet. */
static int
mana_port_create(struct rte_pci_device *pci, const struct mana_hw_port_info *port,
		 const struct mana_devargs *args, struct rte_eth_dev **out)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct mana_hw_dev *hw_dev;
	struct rte_eth_dev *dev;
	int ret;

	snprintf(name, sizeof(name), "%s_port%u", pci->device.name, port->port);
	ret = mana_hw_dev_get(&pci->addr, port->port, &hw_dev);
	if (ret != 0)
		return ret;
	dev = rte_eth_dev_allocate(name);
	if (dev == NULL) {
		PMD_INIT_LOG(ERR, "%s: cannot allocate the ethdev", name);
		mana_hw_dev_put(hw_dev);
		return -ENOMEM;
	}
	dev->data->dev_private = rte_zmalloc_socket(name, sizeof(struct mana_priv),
						    RTE_CACHE_LINE_SIZE, pci->device.numa_node);
	if (dev->data->dev_private == NULL) {
		mana_hw_dev_put(hw_dev);
		rte_eth_dev_release_port(dev);
		return -ENOMEM;
	}
	dev->device = &pci->device;
	dev->data->numa_node = pci->device.numa_node;
	ret = mana_probe_primary(dev, pci->device.name, args, hw_dev);
	if (ret != 0) {
		rte_eth_dev_release_port(dev);
		return ret;
	}
	PMD_INIT_LOG(INFO, "%s: ibv port %u, kernel netdev %s", name, port->port, port->ifname);
	*out = dev;
	return 0;
}

/* The MACs of @ports, for an error message. */
static void
mana_ports_format(const struct mana_hw_port_info *ports, unsigned int n, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		int w;

		rte_ether_format_addr(mac, sizeof(mac), &ports[i].mac);
		w = snprintf(buf + used, len - used, "%s%s (port %u, %s)", i ? ", " : "", mac,
			     ports[i].port, ports[i].ifname);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/*
 * Primary: the ports of the function's RAW ibv device that have a kernel
 * netdev (upstream mana_pci_probe_mac), all of them or those mac= names.
 * All or nothing: a port that cannot be made undoes the others.
 */
/*
 * Keep ethdev's shared data (the memzone of every port's rte_eth_dev_data)
 * for the life of the primary. ethdev frees it when the primary's last port
 * is released and no owner id is allocated (lib/ethdev/ethdev_private.c,
 * eth_dev_shared_data_release, DPDK 23.07 and later). A secondary closing
 * its port while the primary closes the same port finishes with ethdev's
 * own release after the driver's close, which looks the memzone up again:
 * had the primary freed it meanwhile, the secondary's close would fail with
 * -EINVAL. One owner id, allocated once and never used, keeps it.
 */
static void
mana_ethdev_shared_data_hold(void)
{
	static bool held;
	uint64_t owner_id;
	int ret;

	if (held)
		return;
	ret = rte_eth_dev_owner_new(&owner_id);
	if (ret != 0) {
		PMD_INIT_LOG(WARNING, "cannot hold ethdev's shared data: %s", strerror(-ret));
		return;
	}
	held = true;
}

static int
mana_pci_probe_primary(struct rte_pci_device *pci, const struct mana_devargs *args)
{
	const char *pci_name = pci->device.name;
	struct mana_hw_port_info ports[MANA_HW_MAX_PORTS];
	struct rte_eth_dev *devs[MANA_HW_MAX_PORTS];
	bool want[MANA_HW_MAX_PORTS] = { false };
	unsigned int i, j, n, nb_devs = 0;
	struct mana_fn_ports *fn;
	int ret;

	mana_ethdev_shared_data_hold();
	ret = mana_hw_discover(&pci->addr, ports, RTE_DIM(ports));
	if (ret < 0) {
		PMD_INIT_LOG(ERR, "%s: no Ethernet (RAW packet) ibv device for this PCI function:"
			     " %s (are ib_uverbs and mana_ib loaded?)", pci_name, strerror(-ret));
		return ret;
	}
	n = (unsigned int)ret;
	if (n == 0) {
		PMD_INIT_LOG(ERR, "%s: no port of this PCI function has a kernel netdev",
			     pci_name);
		return -ENODEV;
	}
	for (i = 0; i < args->nb_macs; i++) {
		for (j = 0; j < n; j++)
			if (rte_is_same_ether_addr(&ports[j].mac, &args->macs[i]))
				break;
		if (j == n) {
			char mac[RTE_ETHER_ADDR_FMT_SIZE], list[512];

			rte_ether_format_addr(mac, sizeof(mac), &args->macs[i]);
			mana_ports_format(ports, n, list, sizeof(list));
			PMD_INIT_LOG(ERR, "%s: mac=%s matches no port of this PCI function"
				     " (its ports: %s)", pci_name, mac, list);
			return -ENODEV;
		}
		want[j] = true;
	}
	for (j = 0; j < n; j++)
		want[j] |= args->nb_macs == 0;

	fn = mana_fn_ports_get(pci_name, true);
	if (fn == NULL) {
		PMD_INIT_LOG(ERR, "%s: cannot reserve the memzone for secondaries: %s", pci_name,
			     rte_strerror(rte_errno));
		return -rte_errno;
	}
	mana_fn_mempool_ops_save(fn);
	for (j = 0; j < n; j++) {
		if (!want[j])
			continue;
		ret = mana_port_create(pci, &ports[j], args, &devs[nb_devs]);
		if (ret != 0)
			goto fail;
		nb_devs++;
	}
	for (i = 0; i < nb_devs; i++) {
		struct mana_fn_port *e = &fn->port[i];

		rte_eth_dev_probing_finish(devs[i]);
		strlcpy(e->name, devs[i]->data->name, sizeof(e->name));
		rte_ether_addr_copy(devs[i]->data->mac_addrs, &e->mac);
		rte_atomic_store_explicit(&e->live, 1, rte_memory_order_relaxed);
		mana_local(devs[i])->published = &e->live;
	}
	rte_atomic_store_explicit(&fn->nb_ports, nb_devs, rte_memory_order_release);
	return 0;
fail:
	PMD_INIT_LOG(ERR, "%s: probing port %u failed: %s", pci_name, ports[j].port,
		     strerror(-ret));
	for (i = 0; i < nb_devs; i++) {
		mana_close_primary(devs[i]);
		rte_eth_dev_release_port(devs[i]);
	}
	mana_fn_ports_free(pci_name);
	return ret;
}

/* Secondary: attach to the primary's port @name. */
static int
mana_port_attach(struct rte_pci_device *pci, const char *name, struct rte_eth_dev **out)
{
	struct rte_eth_dev *dev;
	int ret;

	dev = rte_eth_dev_attach_secondary(name);
	if (dev == NULL) {
		PMD_INIT_LOG(ERR, "%s: no such port in the primary", name);
		return -ENODEV;
	}
	dev->device = &pci->device;
	ret = mana_probe_secondary(dev);
	if (ret != 0) {
		rte_eth_dev_release_port(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

/*
 * Secondary: the ports the primary published for this function (all, or
 * those mac= names), attached over rte_mp; rdma-core is not touched.
 */
static int
mana_pci_probe_secondary(struct rte_pci_device *pci, const struct mana_devargs *args)
{
	const char *pci_name = pci->device.name;
	struct rte_eth_dev *devs[MANA_HW_MAX_PORTS];
	bool want[MANA_HW_MAX_PORTS] = { false };
	unsigned int i, j, n, nb_devs = 0;
	struct mana_fn_ports *fn;
	int ret = 0;

	fn = mana_fn_ports_get(pci_name, false);
	if (fn == NULL || fn->magic != MANA_FN_MAGIC) {
		PMD_INIT_LOG(ERR, "%s: the primary process has not probed this PCI function:"
			     " nothing to attach to", pci_name);
		return -ENODEV;
	}
	ret = mana_fn_mempool_ops_check(fn, pci_name);
	if (ret != 0)
		return ret;
	n = RTE_MIN(rte_atomic_load_explicit(&fn->nb_ports, rte_memory_order_acquire),
		    (uint32_t)MANA_HW_MAX_PORTS);
	for (j = 0; j < n; j++)
		want[j] = args->nb_macs == 0 &&
			  rte_atomic_load_explicit(&fn->port[j].live, rte_memory_order_acquire);
	for (i = 0; i < args->nb_macs; i++) {
		for (j = 0; j < n; j++)
			if (rte_atomic_load_explicit(&fn->port[j].live, rte_memory_order_acquire) &&
			    rte_is_same_ether_addr(&fn->port[j].mac, &args->macs[i]))
				break;
		if (j == n) {
			char mac[RTE_ETHER_ADDR_FMT_SIZE];

			rte_ether_format_addr(mac, sizeof(mac), &args->macs[i]);
			PMD_INIT_LOG(ERR, "%s: mac=%s matches no port the primary has of this PCI"
				     " function", pci_name, mac);
			return -ENODEV;
		}
		want[j] = true;
	}
	for (j = 0; j < n; j++) {
		if (!want[j])
			continue;
		ret = mana_port_attach(pci, fn->port[j].name, &devs[nb_devs]);
		if (ret != 0)
			goto fail;
		nb_devs++;
	}
	if (nb_devs == 0) {
		PMD_INIT_LOG(ERR, "%s: the primary has no open port of this PCI function",
			     pci_name);
		return -ENODEV;
	}
	for (i = 0; i < nb_devs; i++) {
		/*
		 * probing_finish fills the fast-path table from dev, queue arrays
		 * included; set it again the way mana_set_burst_functions wants.
		 */
		rte_eth_dev_probing_finish(devs[i]);
		mana_set_burst_functions(devs[i], mana_priv(devs[i])->started);
	}
	return 0;
fail:
	for (i = 0; i < nb_devs; i++) {
		mana_dev_close_secondary(devs[i], false);
		rte_eth_dev_release_port(devs[i]);
	}
	return ret;
}

/* A MANA PCI function: 1414:00ba (VF) or 1414:00b9 (PF), as upstream. */
static int
mana_pci_probe(struct rte_pci_driver *drv __rte_unused, struct rte_pci_device *pci)
{
	const char *args = pci->device.devargs != NULL ? pci->device.devargs->args : NULL;
	struct mana_devargs devargs;
	int ret;

	ret = mana_devargs_parse(args, &devargs);
	if (ret != 0) {
		PMD_INIT_LOG(ERR, "%s: invalid devargs", pci->device.name);
		return ret;
	}
	if (rte_eal_process_type() == RTE_PROC_SECONDARY)
		return mana_pci_probe_secondary(pci, &devargs);
	return mana_pci_probe_primary(pci, &devargs);
}

/* Every port of the function this process has, then (primary) the memzone. */
static int
mana_pci_remove(struct rte_pci_device *pci)
{
	char names[MANA_HW_MAX_PORTS][RTE_ETH_NAME_MAX_LEN];
	unsigned int i, n = 0;
	uint16_t port_id;
	int ret = 0;

	for (port_id = 0; port_id < RTE_MAX_ETHPORTS && n < RTE_DIM(names); port_id++) {
		const struct rte_eth_dev *dev = &rte_eth_devices[port_id];

		if (dev->state != RTE_ETH_DEV_UNUSED && dev->device == &pci->device &&
		    mana_dev_is_mana(dev))
			strlcpy(names[n++], dev->data->name, sizeof(names[0]));
	}
	for (i = 0; i < n; i++) {
		int r = mana_remove_by_name(names[i]);

		if (r != 0 && ret == 0)
			ret = r;
	}
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		mana_fn_ports_free(pci->device.name);
	return ret;
}

static const struct rte_pci_id mana_pci_ids[] = {
	{ RTE_PCI_DEVICE(PCI_VENDOR_ID_MICROSOFT, PCI_DEVICE_ID_MICROSOFT_MANA) },
	{ RTE_PCI_DEVICE(PCI_VENDOR_ID_MICROSOFT, PCI_DEVICE_ID_MICROSOFT_MANA_PF) },
	{ .vendor_id = 0 },
};

static struct rte_pci_driver mana_pci_driver = {
	.id_table = mana_pci_ids,
	.probe = mana_pci_probe,
	.remove = mana_pci_remove,
	.drv_flags = RTE_PCI_DRV_INTR_RMV,
};

RTE_PMD_REGISTER_PCI(net_mana_mpr, mana_pci_driver);
RTE_PMD_REGISTER_PCI_TABLE(net_mana_mpr, mana_pci_ids);
RTE_PMD_REGISTER_KMOD_DEP(net_mana_mpr, "* ib_uverbs & mana_ib");
RTE_PMD_REGISTER_PARAM_STRING(net_mana_mpr,
	"mac=<mac_addr> (up to 8) "
	"ack_timeout_ms=<10-60000> quiesce_timeout_ms=<1-60000> "
	"recovery_timeout_ms=<100-600000> recovery_poll_ms=<1-1000> "
	"request_timeout_ms=<10-60000> max_reset_restarts=<0-100> "
	"max_reset_retries=<0-100>");
