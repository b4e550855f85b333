/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Device arguments of a PCI function: mac= chooses its ports (as upstream),
 * the others are the timeouts and bounds of the reset protocol. Unknown
 * keys and malformed values are refused with an error naming them.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_kvargs.h>

#include "mana.h"

struct mana_devarg_spec {
	const char *key;
	size_t offset;
	uint32_t def;
	uint32_t min;
	uint32_t max;
};

#define MANA_ARG(k, field, d, lo, hi) \
	{ k, offsetof(struct mana_devargs, field), d, lo, hi }

static const struct mana_devarg_spec mana_devarg_specs[] = {
	MANA_ARG("ack_timeout_ms", ack_timeout_ms, 500, 10, 60000),
	MANA_ARG("quiesce_timeout_ms", quiesce_timeout_ms, 200, 1, 60000),
	MANA_ARG("recovery_timeout_ms", recovery_timeout_ms, 30000, 100, 600000),
	/* Cap of the exponential backoff (from 1 ms) while the device is away. */
	MANA_ARG("recovery_poll_ms", recovery_poll_ms, 64, 1, 1000),
	MANA_ARG("request_timeout_ms", request_timeout_ms, 2000, 10, 60000),
	MANA_ARG("max_reset_restarts", max_reset_restarts, 5, 0, 100),
	MANA_ARG("max_reset_retries", max_reset_retries, 5, 0, 100),
};

void
mana_devargs_default(struct mana_devargs *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < RTE_DIM(mana_devarg_specs); i++) {
		const struct mana_devarg_spec *s = &mana_devarg_specs[i];

		*(uint32_t *)((uint8_t *)out + s->offset) = s->def;
	}
}

static const struct mana_devarg_spec *
mana_devarg_find(const char *key)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(mana_devarg_specs); i++)
		if (strcmp(mana_devarg_specs[i].key, key) == 0)
			return &mana_devarg_specs[i];
	return NULL;
}

/*
 * A decimal number, the whole string: digits only (no sign, no blanks, no
 * 0x; leading zeros are decimal, "0100" is 100), in [@min, @max].
 * Returns 0, -EINVAL (not such a number) or -ERANGE (outside the range).
 */
int
mana_parse_dec_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	const char *c;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (c = s; *c != '\0'; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		/* Saturate: any number of digits still reads as "too large". */
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(*c - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int
mana_devarg_u32(const struct mana_devarg_spec *s, const char *value, uint32_t *out)
{
	int ret = mana_parse_dec_u32(value, s->min, s->max, out);

	if (ret == -EINVAL)
		PMD_INIT_LOG(ERR, "devarg %s=%s: expected a decimal integer in [%u, %u]",
			     s->key, value != NULL ? value : "", s->min, s->max);
	else if (ret == -ERANGE)
		PMD_INIT_LOG(ERR, "devarg %s=%s: out of range [%u, %u]",
			     s->key, value, s->min, s->max);
	return ret == 0 ? 0 : -EINVAL;
}

/* Exactly six pairs of hexadecimal digits separated by ':' (every DPDK parses it). */
static bool
mana_devarg_mac_syntax(const char *value)
{
	unsigned int i;

	if (value == NULL || strlen(value) != RTE_ETHER_ADDR_FMT_SIZE - 1)
		return false;
	for (i = 0; i < RTE_ETHER_ADDR_FMT_SIZE - 1; i++) {
		if (i % 3 == 2 ? value[i] != ':' : !isxdigit((unsigned char)value[i]))
			return false;
	}
	return true;
}

/*
 * mac=<xx:xx:xx:xx:xx:xx>, repeatable up to MANA_MAX_MAC_ARGS times:
 * unicast, each MAC once.
 */
static int
mana_devarg_mac(const char *value, struct mana_devargs *out)
{
	struct rte_ether_addr mac;
	unsigned int i;

	if (!mana_devarg_mac_syntax(value) || rte_ether_unformat_addr(value, &mac) != 0) {
		PMD_INIT_LOG(ERR, "devarg mac=%s: expected a MAC address xx:xx:xx:xx:xx:xx",
			     value != NULL ? value : "");
		return -EINVAL;
	}
	if (!rte_is_unicast_ether_addr(&mac) || rte_is_zero_ether_addr(&mac)) {
		PMD_INIT_LOG(ERR, "devarg mac=%s: not a port's unicast address", value);
		return -EINVAL;
	}
	for (i = 0; i < out->nb_macs; i++) {
		if (rte_is_same_ether_addr(&out->macs[i], &mac)) {
			PMD_INIT_LOG(ERR, "devarg mac=%s given twice", value);
			return -EINVAL;
		}
	}
	if (out->nb_macs == MANA_MAX_MAC_ARGS) {
		PMD_INIT_LOG(ERR, "devarg mac=%s: at most %u mac= arguments", value,
			     MANA_MAX_MAC_ARGS);
		return -EINVAL;
	}
	out->macs[out->nb_macs++] = mac;
	return 0;
}

/* Parse @args ("k=v,k=v") into @out, defaults first. Returns 0 or -EINVAL. */
int
mana_devargs_parse(const char *args, struct mana_devargs *out)
{
	struct rte_kvargs *kvlist;
	unsigned int i;
	int ret = 0;

	mana_devargs_default(out);
	if (args == NULL || *args == '\0')
		return 0;

	kvlist = rte_kvargs_parse(args, NULL);
	if (kvlist == NULL) {
		PMD_INIT_LOG(ERR, "cannot parse devargs '%s' (expected key=value,...)", args);
		return -EINVAL;
	}

	for (i = 0; i < kvlist->count && ret == 0; i++) {
		const struct rte_kvargs_pair *pair = &kvlist->pairs[i];
		const struct mana_devarg_spec *spec = mana_devarg_find(pair->key);

		if (strcmp(pair->key, "mac") == 0) {
			ret = mana_devarg_mac(pair->value, out);
		} else if (spec != NULL) {
			ret = mana_devarg_u32(spec, pair->value,
					      (uint32_t *)((uint8_t *)out + spec->offset));
		} else {
			PMD_INIT_LOG(ERR, "unknown devarg '%s' (known: mac, ack_timeout_ms,"
				     " quiesce_timeout_ms, recovery_timeout_ms, recovery_poll_ms,"
				     " request_timeout_ms, max_reset_restarts, max_reset_retries)",
				     pair->key);
			ret = -EINVAL;
		}
	}

	if (ret == 0 && out->recovery_poll_ms > out->recovery_timeout_ms) {
		PMD_INIT_LOG(ERR, "recovery_poll_ms (%u) exceeds recovery_timeout_ms (%u)",
			     out->recovery_poll_ms, out->recovery_timeout_ms);
		ret = -EINVAL;
	}
	rte_kvargs_free(kvlist);
	return ret;
}
