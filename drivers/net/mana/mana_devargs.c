/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Device arguments. The PMD owns the timeouts and bounds of the reset
 * protocol; every other key belongs to the hardware provider (the device
 * model's wire/fault settings) and is handed to it verbatim, which rejects
 * what it does not know.
 */

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
	MANA_ARG("recovery_poll_ms", recovery_poll_ms, 1, 1, 1000),
	MANA_ARG("request_timeout_ms", request_timeout_ms, 2000, 10, 60000),
	MANA_ARG("max_reset_restarts", max_reset_restarts, 5, 0, 100),
};

void
mana_devargs_default(struct mana_devargs *out)
{
	unsigned int i;

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

static int
mana_devarg_u32(const struct mana_devarg_spec *s, const char *value, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (value == NULL || *value == '\0' || *value == '-') {
		PMD_INIT_LOG(ERR, "devarg %s needs a number in [%u, %u]", s->key, s->min, s->max);
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(value, &end, 0);
	if (errno != 0 || *end != '\0' || v < s->min || v > s->max) {
		PMD_INIT_LOG(ERR, "devarg %s=%s: expected an integer in [%u, %u]",
			     s->key, value, s->min, s->max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/*
 * Parse @args ("k=v,k=v"). PMD keys land in @out (defaults first); the rest
 * is rebuilt into @hw_args for the provider. Returns 0 or -EINVAL.
 */
int
mana_devargs_parse(const char *args, struct mana_devargs *out, char *hw_args, size_t hw_args_len)
{
	struct rte_kvargs *kvlist;
	size_t used = 0;
	unsigned int i;
	int ret = 0;

	mana_devargs_default(out);
	hw_args[0] = '\0';
	if (args == NULL || *args == '\0')
		return 0;

	kvlist = rte_kvargs_parse(args, NULL);
	if (kvlist == NULL) {
		PMD_INIT_LOG(ERR, "cannot parse devargs '%s'", args);
		return -EINVAL;
	}

	for (i = 0; i < kvlist->count; i++) {
		const struct rte_kvargs_pair *pair = &kvlist->pairs[i];
		const struct mana_devarg_spec *spec = mana_devarg_find(pair->key);
		int n;

		if (spec != NULL) {
			ret = mana_devarg_u32(spec, pair->value,
					      (uint32_t *)((uint8_t *)out + spec->offset));
			if (ret != 0)
				break;
			continue;
		}
		n = snprintf(hw_args + used, hw_args_len - used, "%s%s=%s",
			     used ? "," : "", pair->key, pair->value ? pair->value : "");
		if (n < 0 || (size_t)n >= hw_args_len - used) {
			PMD_INIT_LOG(ERR, "devargs too long");
			ret = -EINVAL;
			break;
		}
		used += (size_t)n;
	}

	if (ret == 0 && out->recovery_poll_ms > out->recovery_timeout_ms) {
		PMD_INIT_LOG(ERR, "recovery_poll_ms (%u) exceeds recovery_timeout_ms (%u)",
			     out->recovery_poll_ms, out->recovery_timeout_ms);
		ret = -EINVAL;
	}
	rte_kvargs_free(kvlist);
	return ret;
}
