/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * libFuzzer target for net_mana_mpr's rte_mp handlers, each fuzzed in the
 * process type it runs in (env MANA_FUZZ_SIDE):
 *
 *   primary   (default) this process is a DPDK primary (no hugepages, no
 *             shared config) with a port of the software MANA VF configured
 *             and started; inputs go to the primary's handler.
 *   secondary this process is a real DPDK secondary attached to a primary
 *             it starts itself (the test application, path in
 *             MANA_FUZZ_PRIMARY, killed at exit) under the EAL file
 *             prefix MANA_FUZZ_PREFIX (default fzmp<pid>); inputs go to
 *             the secondary's handler, as received on its own socket.
 *
 * Each input is one message as EAL would hand it to the action:
 *   byte 0: primary side: bit 1 set - the message comes from the socket of
 *           the pid in its header (else from this process's socket);
 *           secondary side: bit 2 set - it comes from a stranger (pid 1,
 *           else from the primary's pid, as SCM_CREDENTIALS would say)
 *   byte 1: number of file descriptors attached (mod 9, EAL caps it at 8)
 *   rest:   the parameter bytes (len_param = their count, at most 256)
 * Attached descriptors are fresh memfds owned by the message; the handler
 * must close every one of them whatever it decides - a descriptor number
 * still open on the same memfd afterwards is reported as a leak (abort;
 * other threads may reuse a closed number, hence the inode comparison).
 * Crashes, sanitizer reports and leaks are failures.
 *
 * Both sides run on the software MANA VF (LD_PRELOAD=libmana_sim.so and a
 * MANA_SIM naming an instance of their own, set by `make fuzz`), port 2 of
 * its function (FUZZ_DEVICE).
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "mp/mana_mp.h"

#define FUZZ_DB_SIZE	(256u * 1024)
#define FUZZ_DEVICE	"7870:00:00.0,mac=00:15:5d:10:00:02"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool fuzz_secondary;
static pid_t fuzz_primary_pid;
static char fuzz_prefix[32];
static char fuzz_runtime_dir[PATH_MAX];	/* the primary's, once EAL knows it */
/*
 * The software VF's preload, kept for the primary only: this process has it
 * loaded already, and anything else it starts - sh for the cleanup, the
 * sanitizers' symbolizer - fails to load an instrumented libmana_sim.so.
 */
static char fuzz_preload[PATH_MAX];

static void
fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_mp setup: %s\n", what);
	exit(1);
}

/*
 * The runtime directory of the primary's file prefix: as this process's EAL
 * (same prefix) reports it, else - EAL not initialised - by EAL's own rule.
 */
static void
fuzz_primary_runtime_dir(char *buf, size_t size)
{
	const char *base = "/var/run";

	if (fuzz_runtime_dir[0] != '\0') {
		snprintf(buf, size, "%s", fuzz_runtime_dir);
		return;
	}
	if (getuid() != 0) {
		base = getenv("XDG_RUNTIME_DIR");
		if (base == NULL)
			base = "/tmp";
	}
	snprintf(buf, size, "%s/dpdk/%s", base, fuzz_prefix);
}

static void
fuzz_stop_primary(void)
{
	char dir[PATH_MAX], cmd[2 * PATH_MAX];

	if (fuzz_primary_pid <= 0)
		return;
	kill(fuzz_primary_pid, SIGKILL);
	waitpid(fuzz_primary_pid, NULL, 0);
	fuzz_primary_pid = 0;
	fuzz_primary_runtime_dir(dir, sizeof(dir));
	/* EAL has no API for the hugetlbfs mount: the default one. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' /dev/hugepages/%smap_*", dir, fuzz_prefix);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_mp: cleanup of %s failed\n", fuzz_prefix);
}

/*
 * A primary (control only) for the secondary side to attach to: the test
 * application, with a stdin that never ends, ready once it says so.
 */
static void
fuzz_start_primary(void)
{
	const char *app = getenv("MANA_FUZZ_PRIMARY");
	int in[2], out[2];
	char prefix_arg[64], line[512];
	FILE *f;

	if (app == NULL)
		fuzz_die("MANA_FUZZ_PRIMARY must name the primary application");
	if (getenv("MANA_FUZZ_PREFIX") != NULL)
		snprintf(fuzz_prefix, sizeof(fuzz_prefix), "%s", getenv("MANA_FUZZ_PREFIX"));
	else
		snprintf(fuzz_prefix, sizeof(fuzz_prefix), "fzmp%d", (int)getpid());
	snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s", fuzz_prefix);
	if (pipe(in) != 0 || pipe(out) != 0)
		fuzz_die("pipe");
	fuzz_primary_pid = fork();
	if (fuzz_primary_pid < 0)
		fuzz_die("fork");
	if (fuzz_primary_pid == 0) {
		/* A fuzzer that aborts on a finding skips atexit: die with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		close(in[1]);
		close(out[0]);
		if (fuzz_preload[0] != '\0')
			setenv("LD_PRELOAD", fuzz_preload, 1);
		execl(app, app, "-a", FUZZ_DEVICE, prefix_arg, "--lcores=0@0",
		      "--log-level=lib.*:error", "--log-level=pmd.net.mana_mpr.*:emerg",
		      "--base-virtaddr=0x200000000000", "--", "--queues", "1", "--own", "",
		      "--status-ms", "0", (char *)NULL);
		_exit(127);
	}
	atexit(fuzz_stop_primary);
	close(in[0]);	/* in[1] stays open for good: the primary runs until killed */
	close(out[1]);
	f = fdopen(out[0], "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "\"ev\":\"ready\"") != NULL)
			return;
	fuzz_die("the primary did not start");
}

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv __rte_unused)
{
	const char *side = getenv("MANA_FUZZ_SIDE");
	char *primary_args[] = {
		"fuzz_mp", "--no-huge", "-a", FUZZ_DEVICE, "--no-shconf", "-l", "0",
		"--log-level=lib.*:error",
		"--log-level=pmd.net.mana_mpr.*:emerg", "--no-telemetry", NULL,
	};
	char prefix_arg[64];
	char *secondary_args[] = {
		"fuzz_mp", "--proc-type=secondary", "-a", FUZZ_DEVICE, prefix_arg, "-l", "1",
		"--base-virtaddr=0x200000000000", "--log-level=lib.*:error",
		"--log-level=pmd.net.mana_mpr.*:emerg", "--no-telemetry", NULL,
	};
	struct rte_eth_conf conf = { .rxmode.mq_mode = RTE_ETH_MQ_RX_RSS };
	struct rte_mempool *mp;

	if (getenv("LD_PRELOAD") != NULL) {
		snprintf(fuzz_preload, sizeof(fuzz_preload), "%s", getenv("LD_PRELOAD"));
		unsetenv("LD_PRELOAD");
	}
	fuzz_secondary = side != NULL && strcmp(side, "secondary") == 0;
	if (fuzz_secondary) {
		fuzz_start_primary();
		snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s", fuzz_prefix);
		if (rte_eal_init((int)RTE_DIM(secondary_args) - 1, secondary_args) < 0)
			fuzz_die("rte_eal_init (secondary)");
		snprintf(fuzz_runtime_dir, sizeof(fuzz_runtime_dir), "%s",
			 rte_eal_get_runtime_dir());
		if (rte_eth_dev_count_avail() == 0)
			fuzz_die("no port attached");
		return 0;
	}
	if (rte_eal_init((int)RTE_DIM(primary_args) - 1, primary_args) < 0)
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
fuzz_memfd(ino_t *ino)
{
	int fd = memfd_create("fuzz_mp", MFD_CLOEXEC);
	struct stat st;

	if (fd < 0 || ftruncate(fd, FUZZ_DB_SIZE) != 0 || fstat(fd, &st) != 0)
		abort();
	*ino = st.st_ino;
	return fd;
}

/* Is descriptor @fd still the memfd of inode @ino? */
static bool
fuzz_still_open(int fd, ino_t ino)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_ino == ino;
}

/*
 * A well-formed PORT_CLOSED makes the secondary release its port for good
 * (tests/pytest covers it); every later input would then find no port.
 */
static bool
fuzz_releases_port(const struct rte_mp_msg *msg)
{
	const struct mana_mp_hdr *hdr = (const struct mana_mp_hdr *)msg->param;

	return msg->len_param == (int)sizeof(struct mana_mp_bcast) && msg->num_fds == 0 &&
	       hdr->magic == MANA_MP_MAGIC && hdr->version == MANA_MP_VERSION &&
	       hdr->type == MANA_MP_PORT_CLOSED;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mp_msg msg __rte_aligned(8);
	int fds[RTE_MP_MAX_FD_NUM];
	ino_t inos[RTE_MP_MAX_FD_NUM];
	char peer[128];
	size_t len;
	int i, nfds;

	if (size < 2)
		return 0;
	memset(&msg, 0, sizeof(msg));
	nfds = data[1] % (RTE_MP_MAX_FD_NUM + 1);
	len = RTE_MIN(size - 2, (size_t)RTE_MP_MAX_PARAM_LEN);
	strlcpy(msg.name, fuzz_secondary ? MANA_MP_ACTION_SECONDARY : MANA_MP_ACTION_PRIMARY,
		sizeof(msg.name));
	msg.len_param = (int)len;
	memcpy(msg.param, data + 2, len);
	msg.num_fds = nfds;
	if (fuzz_secondary && fuzz_releases_port(&msg))
		return 0;
	for (i = 0; i < nfds; i++)
		msg.fds[i] = fds[i] = fuzz_memfd(&inos[i]);

	if (fuzz_secondary) {
		mana_mp_secondary_receive(&msg, (data[0] & 4) ? 1 : (int32_t)fuzz_primary_pid);
	} else {
		int32_t pid = getpid();

		RTE_BUILD_BUG_ON(sizeof(pid) != RTE_SIZEOF_FIELD(struct mana_mp_hdr, pid));
		if ((data[0] & 2) && len >= offsetof(struct mana_mp_hdr, pid) + sizeof(pid))
			memcpy(&pid, msg.param + offsetof(struct mana_mp_hdr, pid), sizeof(pid));
		snprintf(peer, sizeof(peer), "%s/mp_socket_%d_0", rte_eal_get_runtime_dir(),
			 (int)pid);
		mana_mp_primary_handler(&msg, peer);
	}

	for (i = 0; i < nfds; i++) {
		if (fuzz_still_open(fds[i], inos[i])) {
			fprintf(stderr, "fuzz_mp: descriptor %d of %d leaked by the handler\n",
				i, nfds);
			abort();
		}
	}
	return 0;
}
