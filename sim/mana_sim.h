/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_SIM_H
#define MANA_SIM_H

/*
 * The software MANA VF: the public side of libmana_sim.so.
 *
 * The VF is reached the way hardware is: preload the library
 * (LD_PRELOAD=.../libmana_sim.so) and it provides the libibverbs and libmana
 * entry points and a PCI sysfs tree (SYSFS_PCI_DEVICES), configured by the
 * MANA_SIM environment variable (sim/vf/vf_config.h). A PMD needs nothing of
 * this header.
 *
 * This header is for tests and tools that drive faults or read the device's
 * counters from C. Programs that are not linked with the library look the
 * functions up at run time (dlsym(RTLD_DEFAULT, MANA_SIM_INJECT_SYMBOL)),
 * so that they run unchanged on hardware. Every process of the instance
 * may call them; the process running the device carries them out. The same
 * is available over rte_telemetry in the primary: /mana_sim/... commands.
 * Functions return 0 or a negative errno; -ENODEV for an unknown function.
 */

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mana_sim_fault_kind {
	/* The device dies (DEVICE_FATAL), is absent for down_ms, then comes back. */
	MANA_SIM_FAULT_RESET = 1,
	/* The PCI function goes for good. */
	MANA_SIM_FAULT_REMOVE,
	/* The next @count opens fail with EIO (count < 0: every open, 0: clear). */
	MANA_SIM_FAULT_FAIL_OPEN,
	/* @delay_ms after the next newer instance is opened, it dies again. */
	MANA_SIM_FAULT_FATAL_IN_RECOVERY,
	/* The next DEVICE_FATAL is posted @delay_ms after the device dies. */
	MANA_SIM_FAULT_EVENT_DELAY,
	/*
	 * The next @count calls of @verb on the function fail with @err (the
	 * hardware refusing a command: EPROTO if 0; count < 0: every call, 0:
	 * clear), as the kernel would fail them.
	 */
	MANA_SIM_FAULT_FAIL_VERB,
	/*
	 * A hot-removed PCI function comes back at its address (hot-add: after
	 * FPGA servicing, the kernel's rescan, a migration): a new instance,
	 * its ibv devices and netdevs recreated. -EEXIST if it is present.
	 */
	MANA_SIM_FAULT_ADD,
};

/* Verbs MANA_SIM_FAULT_FAIL_VERB can make fail (telemetry names in brackets). */
enum mana_sim_verb {
	MANA_SIM_VERB_QUERY_DEVICE = 1,	/* [query_device] ibv_query_device(_ex) */
	MANA_SIM_VERB_ALLOC_PD,		/* [alloc_pd] */
	MANA_SIM_VERB_ALLOC_PARENT_DOMAIN, /* [alloc_parent_domain] */
	MANA_SIM_VERB_REG_MR,		/* [reg_mr] */
	MANA_SIM_VERB_CREATE_CQ,	/* [create_cq] */
	MANA_SIM_VERB_CREATE_WQ,	/* [create_wq] */
	MANA_SIM_VERB_CREATE_IND_TABLE,	/* [create_rwq_ind_table] */
	MANA_SIM_VERB_CREATE_QP,	/* [create_qp] a RAW (send) QP */
	MANA_SIM_VERB_CREATE_RSS_QP,	/* [create_rss_qp] an RSS (receive) QP */
	MANA_SIM_VERB_MAX,
};

struct mana_sim_fault {
	enum mana_sim_fault_kind kind;
	uint32_t down_ms;	/* RESET, FATAL_IN_RECOVERY; 0: the instance's default */
	uint32_t delay_ms;	/* FATAL_IN_RECOVERY, EVENT_DELAY */
	int32_t count;		/* FAIL_OPEN, FAIL_VERB */
	enum mana_sim_verb verb; /* FAIL_VERB */
	int32_t err;		/* FAIL_VERB: positive errno, 0: EPROTO */
};

enum mana_sim_dev_state {
	MANA_SIM_DEV_UP = 0,	/* present */
	MANA_SIM_DEV_DOWN,	/* in a service reset */
	MANA_SIM_DEV_REMOVED,	/* gone for good */
};

/* Counters of one PCI function (all its ports), as seen by every process. */
struct mana_sim_stats {
	uint32_t instance;		/* bumps every time the device comes back */
	enum mana_sim_dev_state state;
	uint32_t open_contexts;
	uint32_t objects;		/* live PDs, MRs, CQs, WQs, tables and QPs */
	uint64_t verbs_failed;		/* calls failed by MANA_SIM_FAULT_FAIL_VERB */
	uint64_t resets;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_errors;		/* error CQEs written on send queues */
	uint64_t tx_cqes;		/* CQEs written on send queues (any type) */
	uint64_t tx_wire_drop;		/* towards a port with no receive side */
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_cqes;
	uint64_t rx_coalesced;		/* Rx CQEs completing more than one packet */
	uint64_t rx_vlan_stripped;
	uint64_t rx_drop_no_wqe;
	uint64_t rx_drop_no_rss;
	uint64_t rx_truncated;
	uint64_t bad_lkey;		/* SGE with an unknown key or outside its MR */
	uint64_t bad_doorbell;		/* doorbell naming no queue of the context */
	uint64_t doorbells;
	uint64_t doorbells_recovered;	/* overwritten on the shared page, see the guide */
	uint64_t doorbells_after_revoke; /* writes to a dead context's (dummy) page */
	uint64_t engine_sleeps;
	uint64_t device_lists;		/* ibv_get_device_list calls, every process */
	uint64_t uevents;		/* uevents sent (the kernel's seqnum) */
	uint64_t maps_text_reads;	/* range checks that read /proc/self/maps as text
					 * (maps=text, or no PROCMAP_QUERY): the whole
					 * instance, every function and process */
	uint64_t last_down_ns;		/* CLOCK_MONOTONIC of the last death */
	uint64_t last_up_ns;		/* ... and of the last return (when it was due) */
	uint64_t last_listed_ns;	/* ... its devices visible again: the return plus
					 * the VF's own listing work, done by the first
					 * process to look after last_up_ns */
};

int mana_sim_inject(const char *bdf, const struct mana_sim_fault *fault);
int mana_sim_get_stats(const char *bdf, struct mana_sim_stats *stats);
/* A kernel netdev up or down (ip link set), by name; -EBUSY up while a PD holds its vport. */
int mana_sim_set_netdev(const char *ifname, bool up);

typedef int (*mana_sim_inject_t)(const char *bdf, const struct mana_sim_fault *fault);
typedef int (*mana_sim_get_stats_t)(const char *bdf, struct mana_sim_stats *stats);
typedef int (*mana_sim_set_netdev_t)(const char *ifname, bool up);
#define MANA_SIM_INJECT_SYMBOL		"mana_sim_inject"
#define MANA_SIM_GET_STATS_SYMBOL	"mana_sim_get_stats"
#define MANA_SIM_SET_NETDEV_SYMBOL	"mana_sim_set_netdev"

#ifdef __cplusplus
}
#endif

#endif /* MANA_SIM_H */
