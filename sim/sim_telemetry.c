/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * rte_telemetry commands of the software MANA device (primary process only:
 * the telemetry socket exists there in every supported DPDK).
 *
 *   /mana_sim/list                                   devices of this process
 *   /mana_sim/info,<name>                            struct mana_sim_stats as a dict
 *   /mana_sim/reset,<name>[,<down_ms>]               service reset (0/absent: devarg down_ms)
 *   /mana_sim/remove,<name>                          hot-remove
 *   /mana_sim/fail_open,<name>,<count>               next <count> opens fail; <0: all; 0 clears
 *   /mana_sim/fatal_in_recovery,<name>,<delay_ms>[,<down_ms>]
 *                                                    fatal <delay_ms> after the next newer
 *                                                    instance is opened
 *   /mana_sim/event_delay,<name>,<delay_ms>          next DEVICE_FATAL posted <delay_ms> late
 *
 * Every reply is a dict with "result" (0 or a negative errno) and, when
 * result is not 0, "error" (text). list adds "devices" (array of names);
 * info adds "name", "state" ("up"/"down"/"removed") and every counter.
 * Times are 0..86400000 ms. Parameters are checked strictly: a missing,
 * extra, empty or non-numeric field is -EINVAL.
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "sim_internal.h"

#define SIM_TEL_MAX_FIELDS	4
#define SIM_TEL_MAX_PARAMS	256
#define SIM_TEL_MAX_DEVICES	64

struct sim_tel_params {
	char buf[SIM_TEL_MAX_PARAMS];
	char *field[SIM_TEL_MAX_FIELDS];
	unsigned int n;
};

struct sim_tel_fault_cmd {
	const char *cmd;
	enum mana_sim_fault_kind kind;
	const char *usage;
};

static const struct sim_tel_fault_cmd sim_tel_fault_cmds[] = {
	{ "/mana_sim/reset", MANA_SIM_FAULT_RESET,
	  "/mana_sim/reset,<name>[,<down_ms>]" },
	{ "/mana_sim/remove", MANA_SIM_FAULT_REMOVE,
	  "/mana_sim/remove,<name>" },
	{ "/mana_sim/fail_open", MANA_SIM_FAULT_FAIL_OPEN,
	  "/mana_sim/fail_open,<name>,<count>" },
	{ "/mana_sim/fatal_in_recovery", MANA_SIM_FAULT_FATAL_IN_RECOVERY,
	  "/mana_sim/fatal_in_recovery,<name>,<delay_ms>[,<down_ms>]" },
	{ "/mana_sim/event_delay", MANA_SIM_FAULT_EVENT_DELAY,
	  "/mana_sim/event_delay,<name>,<delay_ms>" },
};

static int
sim_tel_reply(struct rte_tel_data *d, int result, const char *error)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "result", result);
	if (result != 0)
		rte_tel_data_add_dict_string(d, "error", error != NULL ? error : strerror(-result));
	return 0;
}

/* Split "a,b,c" into non-empty fields; -EINVAL on anything else. */
static int
sim_tel_split(const char *params, struct sim_tel_params *p)
{
	char *s, *comma;

	p->n = 0;
	if (params == NULL || params[0] == '\0')
		return 0;
	if (strlen(params) >= sizeof(p->buf))
		return -EINVAL;
	strcpy(p->buf, params);
	for (s = p->buf;; s = comma + 1) {
		if (p->n == SIM_TEL_MAX_FIELDS)
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

static bool
sim_tel_name_ok(const char *name)
{
	return strlen(name) < SIM_NAME_MAX;
}

static int
sim_tel_list(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	char names[SIM_TEL_MAX_DEVICES][SIM_NAME_MAX];
	struct rte_tel_data *array;
	int n, i;

	if (params != NULL && params[0] != '\0')
		return sim_tel_reply(d, -EINVAL, "usage: /mana_sim/list (no parameters)");
	array = rte_tel_data_alloc();
	if (array == NULL)
		return sim_tel_reply(d, -ENOMEM, NULL);
	rte_tel_data_start_array(array, RTE_TEL_STRING_VAL);
	n = sim_dev_names(names, RTE_DIM(names));
	for (i = 0; i < n; i++)
		rte_tel_data_add_array_string(array, names[i]);
	sim_tel_reply(d, 0, NULL);
	rte_tel_data_add_dict_container(d, "devices", array, 0);
	return 0;
}

static int
sim_tel_info(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct sim_tel_params p;
	struct mana_sim_stats st;
	int ret;

	if (sim_tel_split(params, &p) != 0 || p.n != 1 || !sim_tel_name_ok(p.field[0]))
		return sim_tel_reply(d, -EINVAL, "usage: /mana_sim/info,<name>");
	ret = mana_sim_get_stats(p.field[0], &st);
	if (ret != 0)
		return sim_tel_reply(d, ret, ret == -ENODEV ? "no such device" : NULL);
	sim_tel_reply(d, 0, NULL);
	rte_tel_data_add_dict_string(d, "name", p.field[0]);
	rte_tel_data_add_dict_string(d, "state", sim_dev_state_name(st.state));
	rte_tel_data_add_dict_uint(d, "instance", st.instance);
	rte_tel_data_add_dict_uint(d, "open_contexts", st.open_contexts);
	rte_tel_data_add_dict_uint(d, "resets", st.resets);
	rte_tel_data_add_dict_uint(d, "tx_packets", st.tx_packets);
	rte_tel_data_add_dict_uint(d, "tx_bytes", st.tx_bytes);
	rte_tel_data_add_dict_uint(d, "tx_errors", st.tx_errors);
	rte_tel_data_add_dict_uint(d, "rx_packets", st.rx_packets);
	rte_tel_data_add_dict_uint(d, "rx_bytes", st.rx_bytes);
	rte_tel_data_add_dict_uint(d, "rx_drop_no_wqe", st.rx_drop_no_wqe);
	rte_tel_data_add_dict_uint(d, "rx_drop_no_rss", st.rx_drop_no_rss);
	rte_tel_data_add_dict_uint(d, "tx_wire_drop", st.tx_wire_drop);
	rte_tel_data_add_dict_uint(d, "last_down_ns", st.last_down_ns);
	rte_tel_data_add_dict_uint(d, "last_up_ns", st.last_up_ns);
	rte_tel_data_add_dict_uint(d, "rx_truncated", st.rx_truncated);
	rte_tel_data_add_dict_uint(d, "bad_lkey", st.bad_lkey);
	rte_tel_data_add_dict_uint(d, "bad_doorbell", st.bad_doorbell);
	rte_tel_data_add_dict_uint(d, "doorbells", st.doorbells);
	rte_tel_data_add_dict_uint(d, "engine_sleeps", st.engine_sleeps);
	return 0;
}

/* Fields after the name, checked against the fault kind. */
static int
sim_tel_fault_fields(const struct sim_tel_params *p, struct mana_sim_fault *fault)
{
	unsigned int extra = p->n - 1;

	switch (fault->kind) {
	case MANA_SIM_FAULT_RESET:
		if (extra > 1 || (extra == 1 &&
				  sim_parse_u32(p->field[1], SIM_MAX_MS, &fault->down_ms) != 0))
			return -EINVAL;
		return 0;
	case MANA_SIM_FAULT_REMOVE:
		return extra == 0 ? 0 : -EINVAL;
	case MANA_SIM_FAULT_FAIL_OPEN:
		if (extra != 1 || sim_parse_i32(p->field[1], &fault->count) != 0)
			return -EINVAL;
		return 0;
	case MANA_SIM_FAULT_FATAL_IN_RECOVERY:
		if (extra < 1 || extra > 2 ||
		    sim_parse_u32(p->field[1], SIM_MAX_MS, &fault->delay_ms) != 0 ||
		    (extra == 2 && sim_parse_u32(p->field[2], SIM_MAX_MS, &fault->down_ms) != 0))
			return -EINVAL;
		return 0;
	case MANA_SIM_FAULT_EVENT_DELAY:
		if (extra != 1 || sim_parse_u32(p->field[1], SIM_MAX_MS, &fault->delay_ms) != 0)
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

static int
sim_tel_fault(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sim_tel_fault_cmd *fc = NULL;
	struct mana_sim_fault fault;
	struct sim_tel_params p;
	char usage[128];
	unsigned int i;
	int ret;

	for (i = 0; i < RTE_DIM(sim_tel_fault_cmds); i++) {
		if (cmd != NULL && strcmp(cmd, sim_tel_fault_cmds[i].cmd) == 0)
			fc = &sim_tel_fault_cmds[i];
	}
	if (fc == NULL)
		return sim_tel_reply(d, -EINVAL, "unknown command");
	snprintf(usage, sizeof(usage), "usage: %s (times in 0..%u ms)", fc->usage, SIM_MAX_MS);
	memset(&fault, 0, sizeof(fault));
	fault.kind = fc->kind;
	if (sim_tel_split(params, &p) != 0 || p.n == 0 || !sim_tel_name_ok(p.field[0]) ||
	    sim_tel_fault_fields(&p, &fault) != 0)
		return sim_tel_reply(d, -EINVAL, usage);
	ret = mana_sim_inject(p.field[0], &fault);
	SIM_LOG(INFO, "telemetry %s,%s: %d", cmd, params != NULL ? params : "", ret);
	return sim_tel_reply(d, ret, ret == -ENODEV ? "no such device (or removed)" : NULL);
}

RTE_INIT(sim_telemetry_init)
{
	unsigned int i;

	rte_telemetry_register_cmd("/mana_sim/list", sim_tel_list,
				   "Software MANA devices of this process. No parameters");
	rte_telemetry_register_cmd("/mana_sim/info", sim_tel_info,
				   "State and counters of a software MANA device. Parameter: name");
	for (i = 0; i < RTE_DIM(sim_tel_fault_cmds); i++)
		rte_telemetry_register_cmd(sim_tel_fault_cmds[i].cmd, sim_tel_fault,
					   sim_tel_fault_cmds[i].usage);
}
