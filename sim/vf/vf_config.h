/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef VF_CONFIG_H
#define VF_CONFIG_H

/*
 * Configuration of the software MANA VF, from the MANA_SIM environment
 * variable (doc/guides/nics/mana.rst, "The software MANA VF"). Plain C, no
 * DPDK: every process of an application parses the same string and must
 * reach the same result.
 *
 *   MANA_SIM="<item>[;<item>...]"     (empty or unset: the default VF)
 *
 * Global items:
 *   instance=NAME      [A-Za-z0-9_.-], 1..40 characters (default "default"): the
 *                      instance's directory <root>/<NAME> holds its sysfs tree
 *                      and shared state; processes with the same instance see
 *                      the same device
 *   root=DIR           absolute path (default /run/mana-sim)
 *   rdma_core=V        behaviour of the emulated rdma-core provider: 44..99
 *                      (default: the rdma-core the VF was built against).
 *                      < 49: CQ/WQ/SQ of more than 256 entries refused; < 62:
 *                      manadv_init_obj reports CQ id 0 before QP creation,
 *                      >= 62: UINT32_MAX
 *   doorbell=strict|realistic  after a context dies, doorbell writes land on a
 *                      dummy page and are counted (as the kernel does); strict
 *                      (default): once its process closes the dead context, a
 *                      write in any process faults (SIGBUS); realistic: never
 *   down_ms=N          default down time of a service reset, 0..86400000 (200)
 *   rename=0|1         1: a device that comes back takes a new index
 *                      (manae_0 -> manae_1); 0 (default): the lowest free one,
 *                      as the kernel does, i.e. usually its old name
 *   maps=query|text    how ib_umem_get's check of a memory registration's
 *                      range reads the process's mappings: query (default)
 *                      asks the kernel VMA by VMA (PROCMAP_QUERY, Linux
 *                      6.11) and reads the text of /proc/self/maps where
 *                      the kernel has no such ioctl (Debian 12's 6.1); text
 *                      always reads the text (slower: the whole text per
 *                      check). The rule is the same either way
 *   fn=BDF[,key=value...]   a PCI function (repeatable, up to VF_MAX_FNS);
 *                      without any fn= item there is one: 7870:00:00.0
 *   wire=BDF/P-BDF/P   a wire between port P of one function and port P of
 *                      another (or the same); unwired ports loop back
 *
 * Keys of fn=:
 *   device=vf|pf       PCI device id 0x00ba (default) or 0x00b9
 *   ports=1..8         vPorts of the function (default 2)
 *   macN=MAC           MAC of port N (default 00:15:5d:xx:xx:xx, derived
 *                      from instance, function and port, unicast)
 *   ifN=NAME           kernel netdev of port N (default eth<K>, K counting
 *                      the ports of all functions from 0), [A-Za-z0-9_.-]{1,15}
 *   upN=0|1            netdev of port N up (default: 1 for port 1, 0 otherwise,
 *                      as on Azure where port 1 is the management vNIC)
 *   mtuN=68..9000      netdev MTU of port N (default 1500)
 *   rc=0|1             the function also has an RC (RDMA) ibv device (default 1)
 *   rc_lead_ms=N       after a service reset, the RC device returns N ms before
 *                      the RAW one (default 0), 0..86400000
 *   queues=1..64       max_qp the RAW device reports (default 64)
 *   numa=-1..7         numa_node in sysfs (default -1)
 *   faults=EV[/EV...]  fault schedule, times in ms since the instance started:
 *                        reset@T[:DOWN]  service reset, down DOWN ms (default down_ms)
 *                        remove@T        hot-remove (the PCI function goes)
 *                        add@T           hot-add (a removed function comes back)
 *                        failopen@T:N    the next N opens fail (N = inf: all)
 *                        fatalrec@T:DELAY[:DOWN]  a new fatal event DELAY ms after
 *                                        the next instance is opened
 *                        evdelay@T:DELAY the next fatal event is posted DELAY ms
 *                                        after the device dies
 *
 * Errors name the item and key and say what is accepted; nothing of a
 * refused string is used (vf_config_parse is all-or-nothing).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VF_MAX_FNS		8
#define VF_MAX_PORTS		8
#define VF_MAX_WIRES		16
#define VF_SCHED_MAX		32
#define VF_NAME_MAX		41	/* instance name + NUL */
#define VF_IFNAME_MAX		16	/* IFNAMSIZ */
#define VF_PATH_MAX		200	/* root directory */
#define VF_CONFIG_TEXT_MAX	2048	/* the whole MANA_SIM text + NUL (kept in the shared state) */
#define VF_MAX_MS		86400000u
#define VF_DEFAULT_ROOT		"/run/mana-sim"
#define VF_DEFAULT_INSTANCE	"default"
#define VF_DEFAULT_BDF		"7870:00:00.0"
#define VF_PCI_VENDOR		0x1414
#define VF_PCI_DEVICE_VF	0x00ba
#define VF_PCI_DEVICE_PF	0x00b9

enum vf_fault_kind {
	VF_FAULT_RESET = 1,
	VF_FAULT_REMOVE,
	VF_FAULT_FAIL_OPEN,
	VF_FAULT_FATAL_IN_RECOVERY,
	VF_FAULT_EVENT_DELAY,
	VF_FAULT_FAIL_VERB,	/* telemetry and mana_sim_inject() only */
	VF_FAULT_ADD,
};

struct vf_fault {
	enum vf_fault_kind kind;
	uint32_t down_ms;	/* RESET, FATAL_IN_RECOVERY; 0: the instance's down_ms */
	uint32_t delay_ms;	/* FATAL_IN_RECOVERY, EVENT_DELAY */
	int32_t count;		/* FAIL_OPEN, FAIL_VERB; -1: every one */
	uint32_t verb;		/* FAIL_VERB: enum mana_sim_verb */
	int32_t err;		/* FAIL_VERB: positive errno */
};

struct vf_sched_event {
	uint32_t at_ms;
	struct vf_fault fault;
};

struct vf_pci_addr {
	uint32_t domain;	/* 0..0xffff */
	uint8_t bus;
	uint8_t dev;		/* 0..0x1f */
	uint8_t fn;		/* 0..7 */
};

struct vf_port_conf {
	uint8_t mac[6];
	char ifname[VF_IFNAME_MAX];
	bool up;
	uint32_t mtu;
};

struct vf_fn_conf {
	struct vf_pci_addr addr;
	char bdf[16];		/* "dddd:bb:dd.f", lower case */
	uint16_t device_id;
	uint32_t nb_ports;
	struct vf_port_conf port[VF_MAX_PORTS];	/* index: port number - 1 */
	bool rc;
	uint32_t rc_lead_ms;
	uint32_t max_queues;
	int32_t numa;
	uint32_t n_sched;
	struct vf_sched_event sched[VF_SCHED_MAX];	/* sorted by at_ms */
};

/* One end of a wire: function index and port number (1-based). */
struct vf_wire_end {
	uint32_t fn;
	uint32_t port;
};

struct vf_wire {
	struct vf_wire_end a, b;
};

struct vf_config {
	char instance[VF_NAME_MAX];
	char root[VF_PATH_MAX];
	uint32_t rdma_core;
	bool doorbell_strict;
	uint32_t down_ms;
	bool rename;
	bool maps_text;
	uint32_t nb_fns;
	struct vf_fn_conf fn[VF_MAX_FNS];
	uint32_t nb_wires;
	struct vf_wire wire[VF_MAX_WIRES];
};

/*
 * Parse @text (NULL or "" for the defaults) into @conf. @default_rdma_core
 * is the rdma_core= default. Returns 0, or -EINVAL with a message of at most
 * @errlen bytes in @err naming the item and key at fault; @conf is then left
 * untouched.
 */
int vf_config_parse(const char *text, uint32_t default_rdma_core, struct vf_config *conf,
		    char *err, size_t errlen);

/*
 * Where port (@fn, @port) is wired: the other end, or itself when the port
 * loops back. @fn is an index into conf->fn, @port 1-based.
 */
struct vf_wire_end vf_config_peer(const struct vf_config *conf, uint32_t fn, uint32_t port);

/*
 * Whether @s is [A-Za-z0-9_.-]{1,max} and not "." or "..": a name (instance,
 * netdev) that is also safe as one path component.
 */
bool vf_config_name_ok(const char *s, size_t max);

/* Index of the function with PCI address @bdf ("dddd:bb:dd.f"), or -1. */
int vf_config_find_fn(const struct vf_config *conf, const char *bdf);

#endif /* VF_CONFIG_H */
