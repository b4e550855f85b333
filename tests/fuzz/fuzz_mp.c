/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * libFuzzer target for net_mana's rte_mp handlers (primary and secondary
 * side). Each input is one message as EAL would hand it to the action:
 *   byte 0: bit 0 selects the handler (0 primary, 1 secondary); bit 1: the
 *           message comes from the socket of the pid in its header (else
 *           from this process's); secondary-side messages come from the
 *           primary's socket unless bit 2 is set
 *   byte 1: number of file descriptors attached (mod 9, EAL caps it at 8)
 *   rest:   the parameter bytes (len_param = their count, at most 256)
 * Attached descriptors are fresh memfds owned by the message; the handler
 * must close every one of them whatever it decides - a descriptor still
 * open afterwards is reported as a leak (abort). Crashes, sanitizer reports
 * and leaks are failures.
 *
 * The process is a real DPDK primary (--in-memory, no hugepages) with a
 * software MANA port configured and started, so valid-looking messages
 * reach real state.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "mp/mana_mp.h"

#define FUZZ_DB_SIZE	(256u * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_mp setup: %s\n", what);
	exit(1);
}

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv __rte_unused)
{
	char *eal_args[] = {
		"fuzz_mp", "--no-huge", "--no-pci", "--no-shconf", "-l", "0",
		"--vdev=net_mana_sim0", "--log-level=lib.*:error",
		"--log-level=pmd.net.mana.*:emerg", "--no-telemetry", NULL,
	};
	struct rte_eth_conf conf = { .rxmode.mq_mode = RTE_ETH_MQ_RX_RSS };
	struct rte_mempool *mp;

	if (rte_eal_init((int)RTE_DIM(eal_args) - 1, eal_args) < 0)
		fuzz_die("rte_eal_init");
	mp = rte_pktmbuf_pool_create("fuzz_pool", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL)
		fuzz_die("mempool");
	if (rte_eth_dev_configure(0, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(0, 0, 128, 0, NULL, mp) != 0 ||
	    rte_eth_tx_queue_setup(0, 0, 128, 0, NULL) != 0 ||
	    rte_eth_dev_start(0) != 0)
		fuzz_die("port setup");
	return 0;
}

static int
fuzz_memfd(void)
{
	int fd = memfd_create("fuzz_mp", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, FUZZ_DB_SIZE) != 0)
		abort();
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mp_msg msg;
	int fds[RTE_MP_MAX_FD_NUM];
	char peer[128];
	size_t len;
	int i, nfds;

	if (size < 2)
		return 0;
	memset(&msg, 0, sizeof(msg));
	nfds = data[1] % (RTE_MP_MAX_FD_NUM + 1);
	len = RTE_MIN(size - 2, (size_t)RTE_MP_MAX_PARAM_LEN);
	strlcpy(msg.name, (data[0] & 1) ? MANA_MP_ACTION_SECONDARY : MANA_MP_ACTION_PRIMARY,
		sizeof(msg.name));
	msg.len_param = (int)len;
	memcpy(msg.param, data + 2, len);
	msg.num_fds = nfds;
	for (i = 0; i < nfds; i++)
		msg.fds[i] = fds[i] = fuzz_memfd();

	if (data[0] & 1) {
		if (data[0] & 4)
			snprintf(peer, sizeof(peer), "%s/mp_socket_1_0", rte_eal_get_runtime_dir());
		else
			snprintf(peer, sizeof(peer), "%s/mp_socket", rte_eal_get_runtime_dir());
		mana_mp_secondary_handler(&msg, peer);
	} else {
		int32_t pid = getpid();

		if ((data[0] & 2) && len >= 12)
			memcpy(&pid, data + 2 + 8, sizeof(pid));
		snprintf(peer, sizeof(peer), "%s/mp_socket_%d_0", rte_eal_get_runtime_dir(),
			 (int)pid);
		mana_mp_primary_handler(&msg, peer);
	}

	for (i = 0; i < nfds; i++) {
		if (fcntl(fds[i], F_GETFD) != -1) {
			fprintf(stderr, "fuzz_mp: descriptor %d of %d leaked by the handler\n",
				i, nfds);
			abort();
		}
	}
	return 0;
}
