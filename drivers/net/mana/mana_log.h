/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_LOG_H
#define MANA_LOG_H

#include <rte_log.h>

extern int mana_logtype_init;
extern int mana_logtype_driver;
extern int mana_logtype_mp;
extern int mana_logtype_reset;

#define MANA_LOG(type, level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, mana_logtype_ ## type, "%s(): " fmt "\n", \
		__func__, ##__VA_ARGS__)

/* Probe, configuration, devargs. */
#define PMD_INIT_LOG(level, fmt, ...) MANA_LOG(init, level, fmt, ##__VA_ARGS__)
/* Control path of a running port. */
#define DRV_LOG(level, fmt, ...) MANA_LOG(driver, level, fmt, ##__VA_ARGS__)
/* Multi-process protocol. */
#define MP_LOG(level, fmt, ...) MANA_LOG(mp, level, fmt, ##__VA_ARGS__)
/* Reset state machine. */
#define RESET_LOG(level, fmt, ...) MANA_LOG(reset, level, fmt, ##__VA_ARGS__)
/* Data path: compiled out above RTE_LOG_DP_LEVEL. */
#define DP_LOG(level, fmt, ...) do { \
	if (RTE_LOG_ ## level <= RTE_LOG_DP_LEVEL) \
		MANA_LOG(driver, level, fmt, ##__VA_ARGS__); \
} while (0)

#endif /* MANA_LOG_H */
