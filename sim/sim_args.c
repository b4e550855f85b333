/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Device arguments ("k=v,k=v") and the fault schedule devarg.
 *
 *   mac=xx:xx:xx:xx:xx:xx     unicast address (default 02:00:00:00:00:NN, NN the
 *                             trailing number of the device name, else a hash)
 *   peer=<name>               sim port at the other end of the wire (default:
 *                             loopback); resolved by name when a packet is sent
 *   max_queues=1..64          queues per direction (default 16)
 *   down_ms=0..86400000       down time of a service reset (default 200)
 *   link_mbps=1..4294967295   advertised speed (default 100000)
 *   faults=<ev>[/<ev>...]     schedule, times in ms since the device was created:
 *       reset@T[:DOWN]        service reset, down for DOWN ms (0/absent: down_ms)
 *       remove@T              hot-remove
 *       failopen@T:N          the next N opens fail (N = "inf": all of them)
 *       fatalrec@T:DELAY[:DOWN]  fatal DELAY ms after the next newer instance opens
 *       evdelay@T:DELAY       the next DEVICE_FATAL is posted DELAY ms late
 *   ('/' separates events because ',' separates devargs.)
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include <rte_kvargs.h>

#include "sim_internal.h"

#define SIM_KEYS_HELP	"mac, peer, max_queues, down_ms, link_mbps, faults"

static const char *const sim_valid_keys[] = {
	MANA_SIM_ARG_MAC,
	MANA_SIM_ARG_PEER,
	MANA_SIM_ARG_MAX_QUEUES,
	MANA_SIM_ARG_DOWN_MS,
	MANA_SIM_ARG_FAULTS,
	MANA_SIM_ARG_LINK_MBPS,
	NULL,
};

/* Strict decimal: digits only, no sign, no spaces, no trailing garbage. */
int
sim_parse_u32(const char *s, uint32_t max, uint32_t *val)
{
	unsigned long long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*val = (uint32_t)v;
	return 0;
}

/* Strict signed decimal in int32 range. */
int
sim_parse_i32(const char *s, int32_t *val)
{
	uint32_t mag;
	bool neg = false;

	if (s == NULL)
		return -EINVAL;
	if (s[0] == '-') {
		neg = true;
		s++;
	}
	if (sim_parse_u32(s, neg ? (uint32_t)INT32_MAX + 1 : (uint32_t)INT32_MAX, &mag) != 0)
		return -EINVAL;
	*val = neg ? (int32_t)(-(int64_t)mag) : (int32_t)mag;
	return 0;
}

static void
sim_default_mac(const char *name, struct rte_ether_addr *mac)
{
	size_t len = strlen(name);
	size_t digits = 0;
	uint32_t hash = 2166136261u;
	size_t i;

	memset(mac, 0, sizeof(*mac));
	mac->addr_bytes[0] = 0x02;	/* locally administered, unicast */

	while (digits < len && isdigit((unsigned char)name[len - 1 - digits]))
		digits++;
	if (digits > 0) {
		mac->addr_bytes[5] = (uint8_t)strtoul(name + len - digits, NULL, 10);
		return;
	}
	/* No trailing number: FNV-1a of the name. */
	for (i = 0; i < len; i++) {
		hash ^= (uint8_t)name[i];
		hash *= 16777619u;
	}
	mac->addr_bytes[2] = (uint8_t)(hash >> 24);
	mac->addr_bytes[3] = (uint8_t)(hash >> 16);
	mac->addr_bytes[4] = (uint8_t)(hash >> 8);
	mac->addr_bytes[5] = (uint8_t)hash;
}

/* One event of the schedule: "kind@T[:a[:b]]" (modified in place). */
static int
sim_parse_sched_event(const char *name, char *ev, struct sim_sched_event *out)
{
	char *fields[4] = { NULL };
	unsigned int n_fields = 0;
	char *kind = ev;
	char *at = strchr(ev, '@');
	char *p;
	uint32_t a = 0, b = 0;

	if (at == NULL) {
		SIM_LOG(ERR, "%s: faults: event '%s' has no '@T'", name, ev);
		return -EINVAL;
	}
	*at++ = '\0';
	for (p = at; n_fields < RTE_DIM(fields); n_fields++) {
		fields[n_fields] = p;
		p = strchr(p, ':');
		if (p == NULL) {
			n_fields++;
			break;
		}
		*p++ = '\0';
	}
	if (p != NULL) {
		SIM_LOG(ERR, "%s: faults: event '%s' has too many ':' fields", name, kind);
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (sim_parse_u32(fields[0], SIM_MAX_MS, &out->at_ms) != 0) {
		SIM_LOG(ERR, "%s: faults: event '%s': time '%s' is not 0..%u ms",
			name, kind, fields[0], SIM_MAX_MS);
		return -EINVAL;
	}
	if (n_fields > 1 && sim_parse_u32(fields[1], SIM_MAX_MS, &a) != 0 &&
	    !(strcmp(kind, "failopen") == 0 && strcmp(fields[1], "inf") == 0)) {
		SIM_LOG(ERR, "%s: faults: event '%s': '%s' is not 0..%u", name, kind,
			fields[1], SIM_MAX_MS);
		return -EINVAL;
	}
	if (n_fields > 2 && sim_parse_u32(fields[2], SIM_MAX_MS, &b) != 0) {
		SIM_LOG(ERR, "%s: faults: event '%s': '%s' is not 0..%u", name, kind,
			fields[2], SIM_MAX_MS);
		return -EINVAL;
	}

	if (strcmp(kind, "reset") == 0 && n_fields <= 2) {
		out->fault.kind = MANA_SIM_FAULT_RESET;
		out->fault.down_ms = a;
	} else if (strcmp(kind, "remove") == 0 && n_fields == 1) {
		out->fault.kind = MANA_SIM_FAULT_REMOVE;
	} else if (strcmp(kind, "failopen") == 0 && n_fields == 2) {
		out->fault.kind = MANA_SIM_FAULT_FAIL_OPEN;
		out->fault.count = strcmp(fields[1], "inf") == 0 ? -1 : (int32_t)a;
	} else if (strcmp(kind, "fatalrec") == 0 && (n_fields == 2 || n_fields == 3)) {
		out->fault.kind = MANA_SIM_FAULT_FATAL_IN_RECOVERY;
		out->fault.delay_ms = a;
		out->fault.down_ms = b;
	} else if (strcmp(kind, "evdelay") == 0 && n_fields == 2) {
		out->fault.kind = MANA_SIM_FAULT_EVENT_DELAY;
		out->fault.delay_ms = a;
	} else {
		SIM_LOG(ERR, "%s: faults: bad event '%s' with %u field(s); accepted: "
			"reset@T[:DOWN], remove@T, failopen@T:N|inf, fatalrec@T:DELAY[:DOWN], "
			"evdelay@T:DELAY", name, kind, n_fields);
		return -EINVAL;
	}
	return 0;
}

static int
sim_parse_schedule(const char *name, const char *value, struct sim_dev_conf *conf)
{
	char buf[1024];
	char *ev = buf;
	char *slash;
	unsigned int i, j;

	if (strlen(value) >= sizeof(buf)) {
		SIM_LOG(ERR, "%s: faults: schedule longer than %zu characters", name,
			sizeof(buf) - 1);
		return -EINVAL;
	}
	strcpy(buf, value);
	conf->n_sched = 0;
	for (;;) {
		slash = strchr(ev, '/');
		if (slash != NULL)
			*slash = '\0';
		if (*ev == '\0') {
			SIM_LOG(ERR, "%s: faults: empty event in '%s'", name, value);
			return -EINVAL;
		}
		if (conf->n_sched == SIM_SCHED_MAX) {
			SIM_LOG(ERR, "%s: faults: more than %u events", name, SIM_SCHED_MAX);
			return -EINVAL;
		}
		if (sim_parse_sched_event(name, ev, &conf->sched[conf->n_sched]) != 0)
			return -EINVAL;
		conf->n_sched++;
		if (slash == NULL)
			break;
		ev = slash + 1;
	}

	/* Execution order is by time; equal times keep their written order. */
	for (i = 1; i < conf->n_sched; i++) {
		struct sim_sched_event tmp = conf->sched[i];

		for (j = i; j > 0 && conf->sched[j - 1].at_ms > tmp.at_ms; j--)
			conf->sched[j] = conf->sched[j - 1];
		conf->sched[j] = tmp;
	}
	return 0;
}

static int
sim_parse_pair(const char *name, const char *key, const char *value, struct sim_dev_conf *conf)
{
	if (value == NULL) {
		SIM_LOG(ERR, "%s: argument '%s' needs a value", name, key);
		return -EINVAL;
	}
	if (strcmp(key, MANA_SIM_ARG_MAC) == 0) {
		if (rte_ether_unformat_addr(value, &conf->mac) != 0 ||
		    !rte_is_valid_assigned_ether_addr(&conf->mac)) {
			SIM_LOG(ERR, "%s: mac '%s' is not a unicast xx:xx:xx:xx:xx:xx address",
				name, value);
			return -EINVAL;
		}
	} else if (strcmp(key, MANA_SIM_ARG_PEER) == 0) {
		if (value[0] == '\0' || strlen(value) >= SIM_NAME_MAX) {
			SIM_LOG(ERR, "%s: peer must be a device name of 1..%d characters",
				name, SIM_NAME_MAX - 1);
			return -EINVAL;
		}
		strcpy(conf->peer, value);
	} else if (strcmp(key, MANA_SIM_ARG_MAX_QUEUES) == 0) {
		if (sim_parse_u32(value, SIM_MAX_QUEUES, &conf->max_queues) != 0 ||
		    conf->max_queues == 0) {
			SIM_LOG(ERR, "%s: max_queues '%s' is not in 1..%u", name, value,
				SIM_MAX_QUEUES);
			return -EINVAL;
		}
	} else if (strcmp(key, MANA_SIM_ARG_DOWN_MS) == 0) {
		if (sim_parse_u32(value, SIM_MAX_MS, &conf->down_ms) != 0) {
			SIM_LOG(ERR, "%s: down_ms '%s' is not in 0..%u", name, value, SIM_MAX_MS);
			return -EINVAL;
		}
	} else if (strcmp(key, MANA_SIM_ARG_LINK_MBPS) == 0) {
		if (sim_parse_u32(value, UINT32_MAX, &conf->link_mbps) != 0 ||
		    conf->link_mbps == 0) {
			SIM_LOG(ERR, "%s: link_mbps '%s' is not in 1..%u", name, value,
				UINT32_MAX);
			return -EINVAL;
		}
	} else if (strcmp(key, MANA_SIM_ARG_FAULTS) == 0) {
		return sim_parse_schedule(name, value, conf);
	}
	return 0;
}

static bool
sim_key_known(const char *key)
{
	unsigned int i;

	for (i = 0; sim_valid_keys[i] != NULL; i++)
		if (strcmp(key, sim_valid_keys[i]) == 0)
			return true;
	return false;
}

int
sim_args_parse(const char *name, const char *args, struct sim_dev_conf *conf)
{
	struct rte_kvargs *kvlist;
	unsigned int i, j;
	int ret = 0;

	memset(conf, 0, sizeof(*conf));
	sim_default_mac(name, &conf->mac);
	conf->max_queues = SIM_DEF_QUEUES;
	conf->down_ms = SIM_DEF_DOWN_MS;
	conf->link_mbps = SIM_DEF_LINK_MBPS;
	if (args == NULL || args[0] == '\0')
		return 0;

	/* Parsed without a key filter so that a bad key can be named. */
	kvlist = rte_kvargs_parse(args, NULL);
	if (kvlist == NULL) {
		SIM_LOG(ERR, "%s: cannot parse arguments '%s' (expected k=v,k=v; keys: "
			SIM_KEYS_HELP ")", name, args);
		return -EINVAL;
	}
	if (kvlist->count == 0) {
		SIM_LOG(ERR, "%s: no k=v pair in arguments '%s' (keys: " SIM_KEYS_HELP ")", name,
			args);
		ret = -EINVAL;
	}
	for (i = 0; ret == 0 && i < kvlist->count; i++) {
		const struct rte_kvargs_pair *pair = &kvlist->pairs[i];

		if (!sim_key_known(pair->key)) {
			SIM_LOG(ERR, "%s: unknown argument '%s'; accepted keys: " SIM_KEYS_HELP,
				name, pair->key);
			ret = -EINVAL;
			break;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(kvlist->pairs[j].key, pair->key) == 0)
				break;
		}
		if (j < i) {
			SIM_LOG(ERR, "%s: argument '%s' given twice", name, pair->key);
			ret = -EINVAL;
			break;
		}
		ret = sim_parse_pair(name, pair->key, pair->value, conf);
		if (ret != 0)
			break;
	}
	rte_kvargs_free(kvlist);
	return ret;
}
