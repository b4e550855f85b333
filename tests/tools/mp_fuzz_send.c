/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * mp-fuzz-send: a DPDK secondary (not linked with the PMD, so it does not
 * attach itself) that sends malformed and hostile requests to net_mana_mpr's
 * primary action (MANA_MP_ACTION_PRIMARY) with rte_mp_request_sync and
 * checks that each is answered with a negative result, or, for one-way
 * message types, not answered at all. A few well-formed requests check
 * that the messages are built right (the positive controls).
 *
 * Output: one JSON line per case, then a summary line. Exit 0 when every
 * case behaved, 1 otherwise, 2 on setup failure.
 *
 *   mp-fuzz-send [EAL args] --proc-type=secondary -- [--port P] [--fd-repeat N]
 *                [--timeout-ms MS]
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_string_fns.h>

#include "drivers/net/mana/mp/mana_mp_msg.h"

enum expect {
	EXPECT_NEGATIVE,	/* one reply, result < 0 (any) */
	EXPECT_RESULT,		/* one reply, result == want */
	EXPECT_NO_REPLY,	/* one-way type: nobody answers */
};

struct fuzz_ctx {
	uint16_t port;
	uint32_t timeout_ms;
	uint32_t noreply_timeout_ms;
	unsigned int failed;
	unsigned int cases;
	int32_t attached_slot;
	uint64_t start_time;	/* ours, as the primary checks it (/proc/PID/stat) */
};

/* A decimal option value within [min, max]. */
static int
parse_opt(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static uint64_t
proc_start_time(int pid)
{
	char path[64], buf[1024];
	unsigned long long v = 0;
	char *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* comm may contain spaces */
	if (p == NULL)
		return 0;
	/* Field 3 (state) follows ") "; starttime is field 22. */
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &v) != 1)
		return 0;
	return v;
}

static void
hdr_init(struct rte_mp_msg *msg, uint16_t type, uint16_t port, size_t len)
{
	struct mana_mp_hdr *hdr = (struct mana_mp_hdr *)msg->param;

	memset(msg, 0, sizeof(*msg));
	strlcpy(msg->name, MANA_MP_ACTION_PRIMARY, sizeof(msg->name));
	msg->len_param = (int)len;
	hdr->magic = MANA_MP_MAGIC;
	hdr->version = MANA_MP_VERSION;
	hdr->type = type;
	hdr->port_id = port;
	hdr->pid = getpid();
	hdr->seq = 4242;
}

static const char *
expect_name(enum expect e)
{
	switch (e) {
	case EXPECT_NEGATIVE: return "negative";
	case EXPECT_RESULT: return "result";
	default: return "no_reply";
	}
}

/*
 * Send @msg, print the outcome as a JSON line and return whether it was
 * what @e says. @reply_out (optional) receives a copy of the single reply.
 */
static bool
run_case(struct fuzz_ctx *ctx, const char *name, struct rte_mp_msg *msg, enum expect e,
	 int32_t want, struct rte_mp_msg *reply_out)
{
	uint32_t tmo = e == EXPECT_NO_REPLY ? ctx->noreply_timeout_ms : ctx->timeout_ms;
	struct timespec ts = { .tv_sec = tmo / 1000, .tv_nsec = (long)(tmo % 1000) * 1000000 };
	struct rte_mp_reply reply = { 0 };
	const struct mana_mp_hdr *rh = NULL;
	int32_t result = 0;
	int ret, err, i, rlen = -1, rfds = 0;
	bool ok;

	ret = rte_mp_request_sync(msg, &reply, &ts);
	err = ret != 0 ? rte_errno : 0;
	/* The request's own fds stay ours: close them. */
	for (i = 0; i < msg->num_fds; i++)
		close(msg->fds[i]);
	if (ret == 0 && reply.nb_received == 1) {
		rlen = reply.msgs[0].len_param;
		rfds = reply.msgs[0].num_fds;
		if (rlen >= (int)sizeof(*rh)) {
			rh = (const struct mana_mp_hdr *)reply.msgs[0].param;
			result = rh->result;
		}
	}
	switch (e) {
	case EXPECT_NEGATIVE:
		ok = rh != NULL && rh->magic == MANA_MP_MAGIC && result < 0;
		break;
	case EXPECT_RESULT:
		ok = rh != NULL && rh->magic == MANA_MP_MAGIC && result == want;
		break;
	default:
		ok = reply.nb_received == 0;
		break;
	}
	printf("{\"case\":\"%s\",\"expect\":\"%s\",\"want\":%d,\"ret\":%d,\"errno\":%d,"
	       "\"nb_received\":%d,\"reply_len\":%d,\"reply_fds\":%d,\"reply_type\":%d,"
	       "\"result\":%d,\"ok\":%s}\n", name, expect_name(e), want, ret, err,
	       reply.nb_received, rlen, rfds, rh != NULL ? rh->type : -1, result,
	       ok ? "true" : "false");
	fflush(stdout);
	if (reply_out != NULL && reply.nb_received == 1)
		*reply_out = reply.msgs[0];
	else if (reply.nb_received == 1)
		for (i = 0; i < rfds; i++)
			close(reply.msgs[0].fds[i]);
	free(reply.msgs);
	ctx->cases++;
	if (!ok)
		ctx->failed++;
	return ok;
}

static void
attach_req(struct rte_mp_msg *msg, uint16_t port, uint64_t start_time)
{
	struct mana_mp_attach_req *a = (struct mana_mp_attach_req *)msg->param;

	hdr_init(msg, MANA_MP_ATTACH, port, sizeof(*a));
	a->start_time = start_time;
}

static void
reg_mr_req(struct rte_mp_msg *msg, uint16_t port, uint64_t addr, uint64_t len)
{
	struct mana_mp_reg_mr_req *r = (struct mana_mp_reg_mr_req *)msg->param;

	hdr_init(msg, MANA_MP_REG_MR, port, sizeof(*r));
	r->addr = addr;
	r->len = len;
}

static void
detach_req(struct rte_mp_msg *msg, uint16_t port, int32_t slot)
{
	struct mana_mp_detach_req *d = (struct mana_mp_detach_req *)msg->param;

	hdr_init(msg, MANA_MP_DETACH, port, sizeof(*d));
	d->slot = slot;
}

/*
 * @n descriptors on /dev/null as @msg's fds. On failure none stays open and
 * the case counts as failed (it cannot be sent as meant).
 */
static bool
null_fds(struct fuzz_ctx *ctx, const char *name, struct rte_mp_msg *msg, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		msg->fds[i] = open("/dev/null", O_RDONLY);
		if (msg->fds[i] < 0) {
			printf("{\"case\":\"%s\",\"error\":\"open /dev/null: %s\",\"ok\":false}\n",
			       name, strerror(errno));
			fflush(stdout);
			while (i-- > 0)
				close(msg->fds[i]);
			ctx->cases++;
			ctx->failed++;
			return false;
		}
	}
	msg->num_fds = n;
	return true;
}

/* A pid that names no process. */
static int
dead_pid(void)
{
	char path[64];
	int pid;

	for (pid = 4194000; pid > 300000; pid -= 997) {
		snprintf(path, sizeof(path), "/proc/%d", pid);
		if (access(path, F_OK) != 0)
			return pid;
	}
	return 4194301;
}

static void
fuzz_header(struct fuzz_ctx *ctx)
{
	uint64_t st = ctx->start_time;
	struct rte_mp_msg msg;
	struct mana_mp_hdr *hdr = (struct mana_mp_hdr *)msg.param;

	/* Shorter than any header: the type is unknowable, still answered. */
	hdr_init(&msg, MANA_MP_ATTACH, ctx->port, 4);
	run_case(ctx, "too_short", &msg, EXPECT_NEGATIVE, 0, NULL);
	hdr_init(&msg, MANA_MP_ATTACH, ctx->port, 0);
	run_case(ctx, "empty", &msg, EXPECT_NEGATIVE, 0, NULL);
	hdr_init(&msg, MANA_MP_ATTACH, ctx->port, sizeof(*hdr) - 1);
	run_case(ctx, "header_minus_one", &msg, EXPECT_NEGATIVE, 0, NULL);

	attach_req(&msg, ctx->port, st);
	hdr->magic = 0xdeadbeef;
	run_case(ctx, "wrong_magic", &msg, EXPECT_RESULT, -EPROTO, NULL);
	attach_req(&msg, ctx->port, st);
	hdr->version = MANA_MP_VERSION + 1;
	run_case(ctx, "wrong_version", &msg, EXPECT_RESULT, -EPROTO, NULL);
	attach_req(&msg, ctx->port, st);
	hdr->type = 200;
	run_case(ctx, "unknown_type", &msg, EXPECT_RESULT, -EINVAL, NULL);
	attach_req(&msg, ctx->port, st);
	hdr->type = MANA_MP_INVALID;
	run_case(ctx, "type_zero", &msg, EXPECT_RESULT, -EINVAL, NULL);
	attach_req(&msg, ctx->port, st);
	hdr->type = MANA_MP_TYPE_MAX;
	run_case(ctx, "type_max", &msg, EXPECT_RESULT, -EINVAL, NULL);
}

static void
fuzz_types(struct fuzz_ctx *ctx)
{
	static const uint16_t to_secondary[] = {
		MANA_MP_START_RXTX, MANA_MP_STOP_RXTX, MANA_MP_UNMAP_DB, MANA_MP_EVENT,
	};
	static const char *const names[] = {
		"secondary_type_start_rxtx", "secondary_type_stop_rxtx",
		"secondary_type_unmap_db", "secondary_type_event",
	};
	struct rte_mp_msg msg;
	unsigned int i;

	for (i = 0; i < RTE_DIM(to_secondary); i++) {
		uint16_t t = to_secondary[i];

		hdr_init(&msg, t, ctx->port, t == MANA_MP_EVENT ? sizeof(struct mana_mp_event) :
			 sizeof(struct mana_mp_bcast));
		run_case(ctx, names[i], &msg, EXPECT_RESULT, -EINVAL, NULL);
	}
	/* REMAP_DB is a secondary's message and carries an fd: both rejected, fd not kept. */
	hdr_init(&msg, MANA_MP_REMAP_DB, ctx->port, sizeof(struct mana_mp_bcast));
	if (null_fds(ctx, "secondary_type_remap_db_with_fd", &msg, 1))
		run_case(ctx, "secondary_type_remap_db_with_fd", &msg, EXPECT_RESULT, -EINVAL,
			 NULL);
}

static void
fuzz_lengths(struct fuzz_ctx *ctx)
{
	uint64_t st = ctx->start_time;
	struct rte_mp_msg msg;

	attach_req(&msg, ctx->port, st);
	msg.len_param -= 8;
	run_case(ctx, "attach_short", &msg, EXPECT_RESULT, -EINVAL, NULL);
	attach_req(&msg, ctx->port, st);
	msg.len_param += 8;
	run_case(ctx, "attach_long", &msg, EXPECT_RESULT, -EINVAL, NULL);
	reg_mr_req(&msg, ctx->port, 0x1000, 0x1000);
	msg.len_param += 1;
	run_case(ctx, "reg_mr_long", &msg, EXPECT_RESULT, -EINVAL, NULL);
	detach_req(&msg, ctx->port, 1);
	msg.len_param = RTE_MP_MAX_PARAM_LEN;
	run_case(ctx, "detach_max_len", &msg, EXPECT_RESULT, -EINVAL, NULL);
}

static void
fuzz_fds(struct fuzz_ctx *ctx, unsigned int repeat)
{
	uint64_t st = ctx->start_time;
	struct rte_mp_msg msg;
	unsigned int i;

	/* Every fd sent to the primary is a descriptor it must close. */
	for (i = 0; i < repeat; i++) {
		reg_mr_req(&msg, ctx->port, 0x1000, 0x1000);
		if (null_fds(ctx, "unexpected_fd_reg_mr", &msg, 1))
			run_case(ctx, "unexpected_fd_reg_mr", &msg, EXPECT_RESULT, -EINVAL, NULL);
	}
	attach_req(&msg, ctx->port, st);
	if (null_fds(ctx, "unexpected_fds_attach_max", &msg, RTE_MP_MAX_FD_NUM))
		run_case(ctx, "unexpected_fds_attach_max", &msg, EXPECT_RESULT, -EINVAL, NULL);
	detach_req(&msg, ctx->port, 1);
	if (null_fds(ctx, "unexpected_fds_detach", &msg, 2))
		run_case(ctx, "unexpected_fds_detach", &msg, EXPECT_RESULT, -EINVAL, NULL);
}

static void
fuzz_identity(struct fuzz_ctx *ctx)
{
	uint64_t st = ctx->start_time;
	struct rte_mp_msg msg;
	struct mana_mp_hdr *hdr = (struct mana_mp_hdr *)msg.param;
	int other = dead_pid();

	attach_req(&msg, (uint16_t)(ctx->port + 17), st);
	run_case(ctx, "attach_port_absent", &msg, EXPECT_RESULT, -ENODEV, NULL);
	reg_mr_req(&msg, (uint16_t)(ctx->port + 17), 0x1000, 0x1000);
	run_case(ctx, "reg_mr_port_absent", &msg, EXPECT_RESULT, -ENODEV, NULL);
	detach_req(&msg, (uint16_t)(ctx->port + 17), 1);
	run_case(ctx, "detach_port_absent", &msg, EXPECT_RESULT, -ENODEV, NULL);
	attach_req(&msg, 0xffff, st);
	run_case(ctx, "attach_port_out_of_range", &msg, EXPECT_RESULT, -EINVAL, NULL);
	attach_req(&msg, RTE_MAX_ETHPORTS, st);
	run_case(ctx, "attach_port_max", &msg, EXPECT_RESULT, -EINVAL, NULL);

	attach_req(&msg, ctx->port, st);
	hdr->pid = 0;
	run_case(ctx, "attach_pid_zero", &msg, EXPECT_RESULT, -EINVAL, NULL);
	attach_req(&msg, ctx->port, st);
	hdr->pid = -5;
	run_case(ctx, "attach_pid_negative", &msg, EXPECT_RESULT, -EINVAL, NULL);
	attach_req(&msg, ctx->port, st);
	hdr->pid = other;
	run_case(ctx, "attach_pid_dead", &msg, EXPECT_RESULT, -EPERM, NULL);
	attach_req(&msg, ctx->port, st + 12345);
	run_case(ctx, "attach_wrong_start_time", &msg, EXPECT_RESULT, -ESRCH, NULL);
	attach_req(&msg, ctx->port, 0);
	run_case(ctx, "attach_zero_start_time", &msg, EXPECT_RESULT, -ESRCH, NULL);
	/* Our start time, but claiming to be the primary (pid 1's start time differs). */
	attach_req(&msg, ctx->port, st);
	hdr->pid = 1;
	run_case(ctx, "attach_pid_1_with_our_start_time", &msg, EXPECT_RESULT, -EPERM, NULL);

	detach_req(&msg, ctx->port, 0);
	run_case(ctx, "detach_slot_zero", &msg, EXPECT_RESULT, -EINVAL, NULL);
	detach_req(&msg, ctx->port, 64);
	run_case(ctx, "detach_slot_out_of_range", &msg, EXPECT_RESULT, -EINVAL, NULL);
	detach_req(&msg, ctx->port, -1);
	run_case(ctx, "detach_slot_negative", &msg, EXPECT_RESULT, -EINVAL, NULL);
}

static void
fuzz_reg_mr(struct fuzz_ctx *ctx)
{
	struct rte_mp_msg msg;
	void *heap = malloc(1 << 16);
	void *dpdk_mem = rte_malloc("fuzz_reg_mr", 4096, 4096);
	uint64_t stack_addr = (uint64_t)(uintptr_t)&msg;

	reg_mr_req(&msg, ctx->port, (uint64_t)(uintptr_t)heap, 1 << 16);
	run_case(ctx, "reg_mr_malloc_memory", &msg, EXPECT_RESULT, -EFAULT, NULL);
	reg_mr_req(&msg, ctx->port, stack_addr & ~UINT64_C(4095), 4096);
	run_case(ctx, "reg_mr_stack_memory", &msg, EXPECT_RESULT, -EFAULT, NULL);
	reg_mr_req(&msg, ctx->port, (uint64_t)(uintptr_t)heap, 0);
	run_case(ctx, "reg_mr_zero_length", &msg, EXPECT_RESULT, -EINVAL, NULL);
	reg_mr_req(&msg, ctx->port, 0, 4096);
	run_case(ctx, "reg_mr_null_address", &msg, EXPECT_RESULT, -EINVAL, NULL);
	reg_mr_req(&msg, ctx->port, UINT64_MAX - 4095, 8192);
	run_case(ctx, "reg_mr_wraps", &msg, EXPECT_RESULT, -EINVAL, NULL);
	/* mana_ib has no size limit (max_mr_size U64_MAX): the range leaves DPDK memory. */
	reg_mr_req(&msg, ctx->port, 0x200000000000ull, UINT64_C(1) << 62);
	run_case(ctx, "reg_mr_huge_length", &msg, EXPECT_RESULT, -EFAULT, NULL);
	if (dpdk_mem != NULL) {
		reg_mr_req(&msg, ctx->port, (uint64_t)(uintptr_t)dpdk_mem, UINT64_C(1) << 40);
		run_case(ctx, "reg_mr_beyond_dpdk_memory", &msg, EXPECT_RESULT, -EFAULT, NULL);
	}
	reg_mr_req(&msg, ctx->port, 0x7ff000000000ull, 1 << 20);
	run_case(ctx, "reg_mr_unmapped_address", &msg, EXPECT_RESULT, -EFAULT, NULL);
	rte_free(dpdk_mem);
	free(heap);
}

static void
fuzz_one_way(struct fuzz_ctx *ctx)
{
	struct rte_mp_msg msg;
	struct mana_mp_ack *ack = (struct mana_mp_ack *)msg.param;

	/* ACKs are one-way: a malformed or spoofed one is dropped, never answered. */
	hdr_init(&msg, MANA_MP_ACK, ctx->port, sizeof(*ack) + 4);
	run_case(ctx, "ack_wrong_length", &msg, EXPECT_NO_REPLY, 0, NULL);
	hdr_init(&msg, MANA_MP_ACK, ctx->port, sizeof(*ack));
	ack->slot = 1;
	ack->acked_type = MANA_MP_UNMAP_DB;
	run_case(ctx, "ack_spoofed_slot", &msg, EXPECT_NO_REPLY, 0, NULL);
	hdr_init(&msg, MANA_MP_ACK, ctx->port, sizeof(*ack));
	ack->slot = 1000;
	run_case(ctx, "ack_slot_out_of_range", &msg, EXPECT_NO_REPLY, 0, NULL);
	hdr_init(&msg, MANA_MP_ACK, (uint16_t)(ctx->port + 17), sizeof(*ack));
	ack->slot = 1;
	run_case(ctx, "ack_port_absent", &msg, EXPECT_NO_REPLY, 0, NULL);
}

/* Well-formed requests: prove the messages above differ only where intended. */
static void
fuzz_controls(struct fuzz_ctx *ctx)
{
	uint64_t st = ctx->start_time;
	struct rte_mp_msg msg, reply;
	const struct mana_mp_attach_rep *rep = (const void *)reply.param;
	void *dpdk_mem;
	int i;

	memset(&reply, 0, sizeof(reply));
	attach_req(&msg, ctx->port, st);
	if (run_case(ctx, "control_attach", &msg, EXPECT_RESULT, 0, &reply)) {
		ctx->attached_slot = reply.len_param == sizeof(*rep) ? rep->slot : -1;
		printf("{\"info\":\"control_attach\",\"slot\":%d,\"generation\":%u,"
		       "\"fds\":%d,\"db_region_size\":%u}\n", ctx->attached_slot,
		       rep->hdr.generation, reply.num_fds, rep->db_region_size);
		if (ctx->attached_slot <= 0 || (rep->hdr.generation != 0) != (reply.num_fds == 1)) {
			printf("{\"case\":\"control_attach_reply\",\"ok\":false}\n");
			ctx->failed++;
		}
	}
	/* Whatever the answer was, its descriptors are ours to close. */
	for (i = 0; i < reply.num_fds; i++)
		close(reply.fds[i]);
	if (ctx->attached_slot > 0) {
		detach_req(&msg, ctx->port, ctx->attached_slot);
		run_case(ctx, "control_detach", &msg, EXPECT_RESULT, 0, NULL);
	}
	dpdk_mem = rte_malloc("mp_fuzz", 1 << 16, 4096);
	if (dpdk_mem != NULL) {
		reg_mr_req(&msg, ctx->port, (uint64_t)(uintptr_t)dpdk_mem, 1 << 16);
		run_case(ctx, "control_reg_mr_dpdk_memory", &msg, EXPECT_RESULT, 0, NULL);
		/* Not freed: the primary now holds a registration covering it. */
	}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "fd-repeat", required_argument, NULL, 'f' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "no-controls", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct fuzz_ctx ctx = { .timeout_ms = 2000, .noreply_timeout_ms = 300 };
	unsigned int fd_repeat = 20;
	bool controls = true;
	int ret, opt;
	long v = 0;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "mp-fuzz-send: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	if (rte_eal_process_type() != RTE_PROC_SECONDARY) {
		fprintf(stderr, "mp-fuzz-send: run me with --proc-type=secondary\n");
		rte_eal_cleanup();
		return 2;
	}
	argc -= ret;
	argv += ret;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		ret = 0;
		switch (opt) {
		case 'p':
			ret = parse_opt(optarg, 0, UINT16_MAX, &v);
			ctx.port = (uint16_t)v;
			break;
		case 'f':
			ret = parse_opt(optarg, 0, 1000000, &v);
			fd_repeat = (unsigned int)v;
			break;
		case 't':
			ret = parse_opt(optarg, 0, 3600000, &v);
			ctx.timeout_ms = (uint32_t)v;
			break;
		case 'n':
			controls = false;
			break;
		default:
			ret = -EINVAL;
			break;
		}
		if (ret != 0) {
			fprintf(stderr, "usage: mp-fuzz-send [EAL] -- [--port P] [--fd-repeat N] "
				"[--timeout-ms MS] [--no-controls]\n");
			rte_eal_cleanup();
			return 2;
		}
	}
	ctx.start_time = proc_start_time(getpid());

	fuzz_header(&ctx);
	fuzz_types(&ctx);
	fuzz_lengths(&ctx);
	fuzz_fds(&ctx, fd_repeat);
	fuzz_identity(&ctx);
	fuzz_reg_mr(&ctx);
	fuzz_one_way(&ctx);
	if (controls)
		fuzz_controls(&ctx);

	printf("{\"summary\":true,\"cases\":%u,\"failed\":%u}\n", ctx.cases, ctx.failed);
	fflush(stdout);
	rte_eal_cleanup();
	return ctx.failed == 0 ? 0 : 1;
}
