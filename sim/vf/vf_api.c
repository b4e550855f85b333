/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The control side of the software MANA VF: the functions of mana_sim.h and
 * the rte_telemetry commands over them. Every process of an instance may
 * call them; they act on the shared state (vf_state.c), so a fault injected
 * from a secondary or a test tool hits the device the primary runs.
 *
 * Telemetry (the socket exists in the primary in every supported DPDK):
 *
 *   /mana_sim/list                                 PCI functions of the instance
 *   /mana_sim/info,<bdf>                           state and counters of one
 *   /mana_sim/reset,<bdf>[,<down_ms>]              service reset (0/absent: down_ms=)
 *   /mana_sim/remove,<bdf>                         hot-remove
 *   /mana_sim/add,<bdf>                            hot-add of a removed function
 *   /mana_sim/fail_open,<bdf>,<count>              next <count> opens fail; <0: all; 0 clears
 *   /mana_sim/fatal_in_recovery,<bdf>,<delay_ms>[,<down_ms>]
 *                                                  fatal <delay_ms> after the next newer
 *                                                  instance is opened
 *   /mana_sim/event_delay,<bdf>,<delay_ms>         next DEVICE_FATAL posted <delay_ms> late
 *   /mana_sim/fail_verb,<bdf>,<verb>,<count>[,<errno>]
 *                                                  the next <count> calls of <verb> fail
 *                                                  (enum mana_sim_verb names; errno
 *                                                  default EPROTO; <0: all; 0 clears)
 *   /mana_sim/netdev,<ifname>,up|down              the kernel netdev of a port (ip link set)
 *
 * Every reply is a dict with "result" (0 or a negative errno) and, when
 * result is not 0, "error" (text). Parameters are checked strictly: a
 * missing, extra, empty or non-numeric field is -EINVAL.
 */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "vf.h"

#define VF_TEL_MAX_FIELDS	4
#define VF_TEL_MAX_PARAMS	256

/* Shared lock held. */
static int
vf_api_fn(const char *bdf, uint32_t *fn)
{
	int i;

	if (vf_sh == NULL)
		return vf_attach_error != 0 ? vf_attach_error : -ENODEV;
	if (bdf == NULL)
		return -EINVAL;
	i = vf_config_find_fn(&vf_conf, bdf);
	if (i < 0)
		return -ENODEV;
	*fn = (uint32_t)i;
	return 0;
}

static int
vf_api_fault(const struct mana_sim_fault *in, struct vf_fault *out)
{
	memset(out, 0, sizeof(*out));
	switch (in->kind) {
	case MANA_SIM_FAULT_RESET:
		out->kind = VF_FAULT_RESET;
		break;
	case MANA_SIM_FAULT_REMOVE:
		out->kind = VF_FAULT_REMOVE;
		break;
	case MANA_SIM_FAULT_ADD:
		out->kind = VF_FAULT_ADD;
		break;
	case MANA_SIM_FAULT_FAIL_OPEN:
		out->kind = VF_FAULT_FAIL_OPEN;
		break;
	case MANA_SIM_FAULT_FATAL_IN_RECOVERY:
		out->kind = VF_FAULT_FATAL_IN_RECOVERY;
		break;
	case MANA_SIM_FAULT_EVENT_DELAY:
		out->kind = VF_FAULT_EVENT_DELAY;
		break;
	case MANA_SIM_FAULT_FAIL_VERB:
		if (in->verb <= 0 || in->verb >= MANA_SIM_VERB_MAX || in->err < 0 ||
		    in->err > 4095)
			return -EINVAL;
		out->kind = VF_FAULT_FAIL_VERB;
		out->verb = (uint32_t)in->verb;
		out->err = in->err;
		break;
	default:
		return -EINVAL;
	}
	if (in->down_ms > VF_MAX_MS || in->delay_ms > VF_MAX_MS)
		return -EINVAL;
	out->down_ms = in->down_ms;
	out->delay_ms = in->delay_ms;
	out->count = in->count < 0 ? -1 : in->count;
	return 0;
}

VF_EXPORT int
mana_sim_inject(const char *bdf, const struct mana_sim_fault *fault)
{
	struct vf_fault f;
	uint32_t fn;
	int ret;

	if (fault == NULL || vf_api_fault(fault, &f) != 0)
		return -EINVAL;
	if (vf_sh == NULL)
		return vf_attach_error != 0 ? vf_attach_error : -ENODEV;
	vf_shared_lock();
	ret = vf_api_fn(bdf, &fn);
	if (ret == 0)
		ret = vf_inject(fn, &f, vf_now_ns());
	vf_shared_unlock();
	return ret;
}

VF_EXPORT int
mana_sim_get_stats(const char *bdf, struct mana_sim_stats *stats)
{
	const struct vf_fn_shared *f;
	uint32_t fn;
	int ret;

	if (stats == NULL)
		return -EINVAL;
	if (vf_sh == NULL)
		return vf_attach_error != 0 ? vf_attach_error : -ENODEV;
	vf_shared_lock();
	ret = vf_api_fn(bdf, &fn);
	if (ret == 0) {
		vf_advance(vf_now_ns());
		f = &vf_sh->fn[fn];
		*stats = f->stats;
		stats->instance = f->instance;
		stats->state = f->state == VF_FN_UP ? MANA_SIM_DEV_UP :
			f->state == VF_FN_DOWN ? MANA_SIM_DEV_DOWN : MANA_SIM_DEV_REMOVED;
		stats->engine_sleeps = rte_atomic_load_explicit(&vf_sh->engine_sleeps,
								rte_memory_order_relaxed);
		stats->device_lists = rte_atomic_load_explicit(&vf_sh->device_lists,
							       rte_memory_order_relaxed);
		stats->maps_text_reads = rte_atomic_load_explicit(&vf_sh->maps_text_reads,
								  rte_memory_order_relaxed);
		stats->uevents = vf_sh->uevent_seqnum;
		stats->objects = rte_atomic_load_explicit(&vf_sh->fn[fn].objects,
							  rte_memory_order_relaxed);
	}
	vf_shared_unlock();
	return ret;
}

VF_EXPORT int
mana_sim_set_netdev(const char *ifname, bool up)
{
	uint32_t fn, port;
	int ret;

	if (ifname == NULL)
		return -EINVAL;
	if (vf_sh == NULL)
		return vf_attach_error != 0 ? vf_attach_error : -ENODEV;
	vf_shared_lock();
	vf_advance(vf_now_ns());
	ret = vf_netdev_find(ifname, &fn, &port) ? 0 : -ENODEV;
	if (ret == 0)
		ret = vf_set_netdev(fn, port, up, vf_sh->fn[fn].port_mtu[port - 1]);
	vf_shared_unlock();
	return ret;
}

/* ---- telemetry ---- */

struct vf_tel_params {
	char buf[VF_TEL_MAX_PARAMS];
	char *field[VF_TEL_MAX_FIELDS];
	unsigned int n;
};

struct vf_tel_fault_cmd {
	const char *cmd;
	enum mana_sim_fault_kind kind;
	const char *usage;
};

static const struct vf_tel_fault_cmd vf_tel_fault_cmds[] = {
	{ "/mana_sim/reset", MANA_SIM_FAULT_RESET,
	  "/mana_sim/reset,<bdf>[,<down_ms>]" },
	{ "/mana_sim/remove", MANA_SIM_FAULT_REMOVE,
	  "/mana_sim/remove,<bdf>" },
	{ "/mana_sim/add", MANA_SIM_FAULT_ADD,
	  "/mana_sim/add,<bdf>" },
	{ "/mana_sim/fail_open", MANA_SIM_FAULT_FAIL_OPEN,
	  "/mana_sim/fail_open,<bdf>,<count>" },
	{ "/mana_sim/fatal_in_recovery", MANA_SIM_FAULT_FATAL_IN_RECOVERY,
	  "/mana_sim/fatal_in_recovery,<bdf>,<delay_ms>[,<down_ms>]" },
	{ "/mana_sim/event_delay", MANA_SIM_FAULT_EVENT_DELAY,
	  "/mana_sim/event_delay,<bdf>,<delay_ms>" },
};

static int
vf_tel_reply(struct rte_tel_data *d, int result, const char *error)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "result", result);
	if (result != 0)
		rte_tel_data_add_dict_string(d, "error", error != NULL ? error : strerror(-result));
	return 0;
}

/* Split "a,b,c" into non-empty fields; -EINVAL on anything else. */
static int
vf_tel_split(const char *params, struct vf_tel_params *p)
{
	char *s, *comma;

	p->n = 0;
	if (params == NULL || params[0] == '\0')
		return 0;
	if (strlen(params) >= sizeof(p->buf))
		return -EINVAL;
	strcpy(p->buf, params);
	for (s = p->buf;; s = comma + 1) {
		if (p->n == VF_TEL_MAX_FIELDS)
			return -EINVAL;
		comma = strchr(s, ',');
		if (comma != NULL)
			*comma = '\0';
		if (s[0] == '\0')
			return -EINVAL;
		p->field[p->n++] = s;
		if (comma == NULL)
			return 0;
	}
}

/* Decimal in [0, max]. */
static int
vf_tel_u32(const char *s, uint32_t max, uint32_t *val)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*val = (uint32_t)v;
	return 0;
}

static int
vf_tel_i32(const char *s, int32_t *val)
{
	long v;
	char *end;

	if (s[0] != '-' && (s[0] < '0' || s[0] > '9'))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < INT32_MIN || v > INT32_MAX)
		return -EINVAL;
	*val = (int32_t)v;
	return 0;
}

static int
vf_tel_list(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *array;
	uint32_t fn;

	if (params != NULL && params[0] != '\0')
		return vf_tel_reply(d, -EINVAL, "usage: /mana_sim/list (no parameters)");
	array = rte_tel_data_alloc();
	if (array == NULL)
		return vf_tel_reply(d, -ENOMEM, NULL);
	rte_tel_data_start_array(array, RTE_TEL_STRING_VAL);
	for (fn = 0; fn < vf_conf.nb_fns && vf_sh != NULL; fn++)
		rte_tel_data_add_array_string(array, vf_conf.fn[fn].bdf);
	vf_tel_reply(d, 0, NULL);
	rte_tel_data_add_dict_string(d, "instance", vf_conf.instance);
	rte_tel_data_add_dict_container(d, "functions", array, 0);
	return 0;
}

static void
vf_tel_add_stats(struct rte_tel_data *d, const struct mana_sim_stats *st)
{
	static const char *const state[] = { "up", "down", "removed" };

	rte_tel_data_add_dict_string(d, "state", state[st->state]);
	rte_tel_data_add_dict_uint(d, "instance", st->instance);
	rte_tel_data_add_dict_uint(d, "open_contexts", st->open_contexts);
	rte_tel_data_add_dict_uint(d, "objects", st->objects);
	rte_tel_data_add_dict_uint(d, "verbs_failed", st->verbs_failed);
	rte_tel_data_add_dict_uint(d, "resets", st->resets);
	rte_tel_data_add_dict_uint(d, "tx_packets", st->tx_packets);
	rte_tel_data_add_dict_uint(d, "tx_bytes", st->tx_bytes);
	rte_tel_data_add_dict_uint(d, "tx_errors", st->tx_errors);
	rte_tel_data_add_dict_uint(d, "tx_cqes", st->tx_cqes);
	rte_tel_data_add_dict_uint(d, "tx_wire_drop", st->tx_wire_drop);
	rte_tel_data_add_dict_uint(d, "rx_packets", st->rx_packets);
	rte_tel_data_add_dict_uint(d, "rx_bytes", st->rx_bytes);
	rte_tel_data_add_dict_uint(d, "rx_cqes", st->rx_cqes);
	rte_tel_data_add_dict_uint(d, "rx_coalesced", st->rx_coalesced);
	rte_tel_data_add_dict_uint(d, "rx_vlan_stripped", st->rx_vlan_stripped);
	rte_tel_data_add_dict_uint(d, "rx_drop_no_wqe", st->rx_drop_no_wqe);
	rte_tel_data_add_dict_uint(d, "rx_drop_no_rss", st->rx_drop_no_rss);
	rte_tel_data_add_dict_uint(d, "rx_truncated", st->rx_truncated);
	rte_tel_data_add_dict_uint(d, "bad_lkey", st->bad_lkey);
	rte_tel_data_add_dict_uint(d, "bad_doorbell", st->bad_doorbell);
	rte_tel_data_add_dict_uint(d, "doorbells", st->doorbells);
	rte_tel_data_add_dict_uint(d, "doorbells_recovered", st->doorbells_recovered);
	rte_tel_data_add_dict_uint(d, "doorbells_after_revoke", st->doorbells_after_revoke);
	rte_tel_data_add_dict_uint(d, "engine_sleeps", st->engine_sleeps);
	rte_tel_data_add_dict_uint(d, "device_lists", st->device_lists);
	rte_tel_data_add_dict_uint(d, "uevents", st->uevents);
	rte_tel_data_add_dict_uint(d, "maps_text_reads", st->maps_text_reads);
	rte_tel_data_add_dict_uint(d, "last_down_ns", st->last_down_ns);
	rte_tel_data_add_dict_uint(d, "last_up_ns", st->last_up_ns);
	rte_tel_data_add_dict_uint(d, "last_listed_ns", st->last_listed_ns);
}

static int
vf_tel_info(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct vf_tel_params p;
	struct mana_sim_stats st;
	int ret;

	if (vf_tel_split(params, &p) != 0 || p.n != 1)
		return vf_tel_reply(d, -EINVAL, "usage: /mana_sim/info,<bdf>");
	ret = mana_sim_get_stats(p.field[0], &st);
	if (ret != 0)
		return vf_tel_reply(d, ret, ret == -ENODEV ? "no such PCI function" : NULL);
	vf_tel_reply(d, 0, NULL);
	rte_tel_data_add_dict_string(d, "bdf", p.field[0]);
	vf_tel_add_stats(d, &st);
	return 0;
}

/* Fields after the function, checked against the fault kind. */
static int
vf_tel_fault_fields(const struct vf_tel_params *p, struct mana_sim_fault *fault)
{
	unsigned int extra = p->n - 1;

	switch (fault->kind) {
	case MANA_SIM_FAULT_RESET:
		if (extra > 1 ||
		    (extra == 1 && vf_tel_u32(p->field[1], VF_MAX_MS, &fault->down_ms) != 0))
			return -EINVAL;
		return 0;
	case MANA_SIM_FAULT_REMOVE:
	case MANA_SIM_FAULT_ADD:
		return extra == 0 ? 0 : -EINVAL;
	case MANA_SIM_FAULT_FAIL_OPEN:
		if (extra != 1 || vf_tel_i32(p->field[1], &fault->count) != 0)
			return -EINVAL;
		return 0;
	case MANA_SIM_FAULT_FATAL_IN_RECOVERY:
		if (extra < 1 || extra > 2 ||
		    vf_tel_u32(p->field[1], VF_MAX_MS, &fault->delay_ms) != 0 ||
		    (extra == 2 && vf_tel_u32(p->field[2], VF_MAX_MS, &fault->down_ms) != 0))
			return -EINVAL;
		return 0;
	case MANA_SIM_FAULT_EVENT_DELAY:
		if (extra != 1 || vf_tel_u32(p->field[1], VF_MAX_MS, &fault->delay_ms) != 0)
			return -EINVAL;
		return 0;
	case MANA_SIM_FAULT_FAIL_VERB:
		break;		/* its own command: vf_tel_fail_verb() */
	}
	return -EINVAL;
}

static int
vf_tel_fault(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct vf_tel_fault_cmd *fc = NULL;
	struct mana_sim_fault fault;
	struct vf_tel_params p;
	char usage[128];
	unsigned int i;
	int ret;

	for (i = 0; i < RTE_DIM(vf_tel_fault_cmds); i++) {
		if (cmd != NULL && strcmp(cmd, vf_tel_fault_cmds[i].cmd) == 0)
			fc = &vf_tel_fault_cmds[i];
	}
	if (fc == NULL)
		return vf_tel_reply(d, -EINVAL, "unknown command");
	snprintf(usage, sizeof(usage), "usage: %s (times in 0..%u ms)", fc->usage, VF_MAX_MS);
	memset(&fault, 0, sizeof(fault));
	fault.kind = fc->kind;
	if (vf_tel_split(params, &p) != 0 || p.n == 0 || vf_tel_fault_fields(&p, &fault) != 0)
		return vf_tel_reply(d, -EINVAL, usage);
	ret = mana_sim_inject(p.field[0], &fault);
	VF_LOG(INFO, "telemetry %s,%s: %d", cmd, params, ret);
	return vf_tel_reply(d, ret, ret == -ENODEV ? "no such PCI function (or removed)" : NULL);
}

static const char *const vf_verb_names[MANA_SIM_VERB_MAX] = {
	[MANA_SIM_VERB_QUERY_DEVICE] = "query_device",
	[MANA_SIM_VERB_ALLOC_PD] = "alloc_pd",
	[MANA_SIM_VERB_ALLOC_PARENT_DOMAIN] = "alloc_parent_domain",
	[MANA_SIM_VERB_REG_MR] = "reg_mr",
	[MANA_SIM_VERB_CREATE_CQ] = "create_cq",
	[MANA_SIM_VERB_CREATE_WQ] = "create_wq",
	[MANA_SIM_VERB_CREATE_IND_TABLE] = "create_rwq_ind_table",
	[MANA_SIM_VERB_CREATE_QP] = "create_qp",
	[MANA_SIM_VERB_CREATE_RSS_QP] = "create_rss_qp",
};

static int
vf_tel_fail_verb(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	static const char usage[] = "usage: /mana_sim/fail_verb,<bdf>,<verb>,<count>[,<errno>] "
		"(verb: query_device alloc_pd alloc_parent_domain reg_mr create_cq create_wq "
		"create_rwq_ind_table create_qp create_rss_qp)";
	struct mana_sim_fault fault;
	struct vf_tel_params p;
	uint32_t err = 0;
	unsigned int v;
	int ret;

	memset(&fault, 0, sizeof(fault));
	fault.kind = MANA_SIM_FAULT_FAIL_VERB;
	if (vf_tel_split(params, &p) != 0 || p.n < 3 || p.n > 4 ||
	    vf_tel_i32(p.field[2], &fault.count) != 0 ||
	    (p.n == 4 && vf_tel_u32(p.field[3], 4095, &err) != 0))
		return vf_tel_reply(d, -EINVAL, usage);
	for (v = 1; v < MANA_SIM_VERB_MAX; v++)
		if (strcmp(p.field[1], vf_verb_names[v]) == 0)
			fault.verb = (enum mana_sim_verb)v;
	if (fault.verb == 0)
		return vf_tel_reply(d, -EINVAL, usage);
	fault.err = (int32_t)err;
	ret = mana_sim_inject(p.field[0], &fault);
	return vf_tel_reply(d, ret, ret == -ENODEV ? "no such PCI function (or removed)" : NULL);
}

static int
vf_tel_netdev(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	static const char usage[] = "usage: /mana_sim/netdev,<ifname>,up|down";
	struct vf_tel_params p;
	bool up;
	int ret;

	if (vf_tel_split(params, &p) != 0 || p.n != 2)
		return vf_tel_reply(d, -EINVAL, usage);
	if (strcmp(p.field[1], "up") == 0)
		up = true;
	else if (strcmp(p.field[1], "down") == 0)
		up = false;
	else
		return vf_tel_reply(d, -EINVAL, usage);
	ret = mana_sim_set_netdev(p.field[0], up);
	return vf_tel_reply(d, ret, ret == -ENODEV ? "no such netdev" :
			    ret == -EBUSY ? "its vport is held by a DPDK port" : NULL);
}

RTE_INIT(vf_telemetry_init)
{
	unsigned int i;

	rte_telemetry_register_cmd("/mana_sim/list", vf_tel_list,
				   "PCI functions of the software MANA VF instance. No parameters");
	rte_telemetry_register_cmd("/mana_sim/info", vf_tel_info,
				   "State and counters of an emulated PCI function. Parameter: bdf");
	rte_telemetry_register_cmd("/mana_sim/fail_verb", vf_tel_fail_verb,
				   "The next calls of a verb fail. Parameters: "
				   "bdf,verb,count[,errno]");
	rte_telemetry_register_cmd("/mana_sim/netdev", vf_tel_netdev,
				   "Kernel netdev of an emulated port up or down. Parameters: "
				   "ifname,up|down");
	for (i = 0; i < RTE_DIM(vf_tel_fault_cmds); i++)
		rte_telemetry_register_cmd(vf_tel_fault_cmds[i].cmd, vf_tel_fault,
					   vf_tel_fault_cmds[i].usage);
}
