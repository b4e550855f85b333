/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_TRAFFIC_APP_H
#define MANA_TRAFFIC_APP_H

/* mana-traffic: shared state of the test application (see main.c). */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "mana_dpdk_compat.h"
#include "mana_traffic.h"

#define APP_MAX_QUEUES		64
#define APP_MAX_FLOWS_PER_Q	64
#define APP_MAX_BURST		512

enum app_exit {
	APP_EXIT_OK = 0,
	APP_EXIT_USAGE = 1,
	APP_EXIT_SETUP = 2,
	APP_EXIT_RUNTIME = 3,
};

enum app_on_failed {
	APP_ON_FAILED_NONE = 0,
	APP_ON_FAILED_CLOSE,
	APP_ON_FAILED_NETVSC,	/* as netvsc of DPDK 22.11-25.11: INTR_RMV only */
};

/* app.on_failed_done: the --on-failed close callback. */
enum app_on_failed_state {
	APP_ON_FAILED_IDLE = 0,		/* not started */
	APP_ON_FAILED_RUNNING,		/* closing the port: the main loop keeps off it */
	APP_ON_FAILED_DONE,
};

enum app_stop_port {
	APP_STOP_PORT_AUTO = 0,	/* primary stops the port at `stop` when it is the last user */
	APP_STOP_PORT_ALWAYS,
	APP_STOP_PORT_NEVER,
};

struct app_cfg {
	uint16_t queues;
	uint16_t desc;
	uint32_t mbufs;
	uint16_t own[APP_MAX_QUEUES];
	uint16_t nb_own;
	bool own_given;
	uint64_t rate;		/* per owned queue, 0: as fast as possible */
	uint16_t flows;
	uint32_t size;
	uint16_t segs;
	uint16_t burst;
	uint16_t rx_burst;	/* 0: burst */
	uint32_t status_ms;
	uint32_t drain_ms;
	uint32_t start_timeout_ms;
	uint64_t duration_ms;	/* 0: until `stop` */
	bool events;
	enum app_on_failed on_failed;
	bool stop_on_recovering;	/* --on-recovering stop */
	enum app_stop_port stop_port;
	bool leave_open;	/* at `stop`: rte_eal_cleanup() removes the port */
	bool keep_doorbell;
	bool start_held;	/* --held: as after `hold` from the start */
	const char *tx_pool_ops;	/* --tx-pool-ops: mempool driver of the Tx pools */
	bool verify;
	int proc_id;		/* -1: derived from the lcore id */
	uint32_t idle_us;	/* sleep of an idle loop iteration */
	uint16_t vlan;		/* 1..4094: send tagged (Tx VLAN insert), check on Rx; 0: none */
	bool vlan_strip;	/* primary: request Rx VLAN strip */
	bool dev_event_monitor;	/* --dev-event-monitor */
	bool fast_free;		/* primary: RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE */
};

struct app_flow {
	struct mtrf_flow f;
	uint64_t sent;		/* == next sequence number */
	int sink_idx;
};

struct app_queue {
	uint16_t qid;
	uint16_t nb_flows;
	uint16_t next_flow;
	struct app_flow flows[APP_MAX_FLOWS_PER_Q];
	uint64_t rx;
	uint64_t tx;
	uint64_t tx_refused;
	uint64_t tx_nombuf;
	uint64_t vlan_stripped;		/* received with the tag in the mbuf (RX_VLAN_STRIPPED) */
	uint64_t vlan_in_packet;	/* received with the tag in the frame */
	uint64_t vlan_bad;		/* no tag, or another VLAN id */
	double tokens;
	uint64_t last_tsc;
};

struct app {
	struct app_cfg cfg;
	bool primary;
	const char *role;
	int pid;
	uint16_t port;
	char port_name[RTE_ETH_NAME_MAX_LEN];
	char device_name[RTE_DEV_NAME_MAX_LEN];	/* the PCI function (BDF) */
	uint16_t proc_id;
	uint64_t hz;
	uint64_t t0;
	struct rte_mempool *rx_pool;	/* primary: created; secondary: looked up */
	struct rte_mempool *tx_pool;
	struct mtrf_sink *sink;
	struct app_queue q[APP_MAX_QUEUES];	/* one per owned queue */
	struct rte_eth_conf port_conf;

	bool sending;
	bool held;		/* `hold`: no burst calls until `release` */
	bool extbuf;		/* `extbuf on`: single-segment packets go out from external buffers */
	bool stopping;
	uint64_t stop_deadline;
	/* Callback <-> main loop handshake (the callback runs on another thread). */
	RTE_ATOMIC(uint32_t) poll_block_req;
	RTE_ATOMIC(uint32_t) poll_blocked;
	RTE_ATOMIC(uint32_t) port_closed;
	bool port_stopped;	/* primary: stopped by a command; ethdev forbids bursts then */
	RTE_ATOMIC(uint32_t) on_failed_done;	/* enum app_on_failed_state */
	/*
	 * `cb_sleep MS [EVENT]`: the next event callback (of EVENT, or of any
	 * event when cb_sleep_event is -1) keeps the interrupt thread MS ms.
	 */
	RTE_ATOMIC(uint32_t) cb_sleep_ms;
	RTE_ATOMIC(int32_t) cb_sleep_event;
	bool stdin_open;
	bool stdin_is_pipe;
};

extern struct app app;

/* out.c: one JSON object per line on stdout, one write() per line. */
struct sb {
	char *buf;
	size_t len;
	size_t cap;
	bool oom;
};

void sb_init(struct sb *sb);
void sb_printf(struct sb *sb, const char *fmt, ...) __rte_format_printf(2, 3);
void sb_str(struct sb *sb, const char *s);	/* a JSON string, quoted and escaped */
void sb_emit(struct sb *sb);			/* adds '\n', writes, frees */
double app_now_s(void);
double app_mono_s(void);			/* CLOCK_MONOTONIC, seconds */
void app_log(const char *fmt, ...) __rte_format_printf(1, 2);

/* main.c */
struct rte_pmd_mana_mpr_state;

/* The ethdev event of app_event_name() @name, or -1. */
int app_event_parse(const char *name);
/* The port state fields, no surrounding comma; "slot" only when @slot. */
void app_json_state(struct sb *sb, const struct rte_pmd_mana_mpr_state *st, bool slot);
void app_json_stats(struct sb *sb);
void app_json_mempools(struct sb *sb);
void app_json_flows(struct sb *sb);
void app_begin_stop(void);
int app_close_port(int *stop_ret);
int app_queues_setup(void);	/* every Rx and Tx queue, as at start */
int app_port_bringup(void);	/* primary: configure, queues, start */
int app_wait_started(void);	/* secondary: until the primary started the port */
int app_register_events(void);	/* --events: the port's event callbacks */
struct rte_mempool *app_tx_pool_create(const char *name, uint32_t n, bool tight);
uint16_t app_tx_send(struct app_queue *aq, uint64_t now, uint16_t want, uint16_t *built);
uint16_t app_tx_send_extra(struct app_queue *aq, uint64_t now, uint16_t want, uint16_t *built,
			   struct rte_mbuf *extra, uint16_t extra_at);
unsigned int app_rx(uint64_t now, bool *busy);

/* cmd.c */
void app_cmd_poll(void);
void app_cmd_feed(void);	/* gives back what `starve` took (exit) */
void app_cmd_starve_more(void);	/* while starved: take what was freed */

int app_extbuf_enable(bool on);
unsigned int app_extbuf_busy(void);

#endif /* MANA_TRAFFIC_APP_H */
