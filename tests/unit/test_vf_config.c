/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Unit tests of the software MANA VF's MANA_SIM parser (vf_config.c) and
 * of its sysfs tree (vf_sysfs.c). Plain C, no DPDK.
 *
 * The tests run in a child process; the parent only waits for it and then
 * deletes the temporary directory, whatever became of the child (a crash,
 * a signal, a failed check). Every CHECK is counted; any failure makes the
 * exit status 1.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vf_config.h"
#include "vf_sysfs.h"

#define T_RDMA_CORE	50u
#define T_ITERATIONS	200
#define T_PATH		VF_SYSFS_PATH_MAX

static unsigned int t_checks;
static unsigned int t_failures;
static char t_tmp[PATH_MAX];		/* the mkdtemp() directory */

static bool
t_check(bool ok, const char *file, int line, const char *what)
{
	t_checks++;
	if (!ok) {
		t_failures++;
		printf("    %s:%d: check failed: %s\n", file, line, what);
	}
	return ok;
}

#define CHECK(cond) t_check((cond) != 0, __FILE__, __LINE__, #cond)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (!t_check(a_ != NULL && b_ != NULL && strcmp(a_, b_) == 0, __FILE__, __LINE__, \
		     #a " == " #b)) \
		printf("      got '%s'\n      want '%s'\n", a_ != NULL ? a_ : "(null)", \
		       b_ != NULL ? b_ : "(null)"); \
} while (0)

#define CHECK_INT(a, b) do { \
	long long a_ = (long long)(a), b_ = (long long)(b); \
	if (!t_check(a_ == b_, __FILE__, __LINE__, #a " == " #b)) \
		printf("      got %lld, want %lld\n", a_, b_); \
} while (0)

static void
t_pathf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
t_pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, T_PATH, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= T_PATH) {
		printf("    path too long: %s\n", buf);
		abort();
	}
}

/* The content of @path, or "<errno text>" if it cannot be read. */
static const char *
t_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(buf, len, "<%s>", strerror(errno));
		return buf;
	}
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0) {
		snprintf(buf, len, "<%s>", strerror(errno));
		return buf;
	}
	buf[n] = '\0';
	return buf;
}

static const char *
t_readlink(const char *path, char *buf, size_t len)
{
	ssize_t n;

	n = readlink(path, buf, len - 1);
	if (n < 0) {
		snprintf(buf, len, "<%s>", strerror(errno));
		return buf;
	}
	buf[n] = '\0';
	return buf;
}

#define CHECK_FILE(path, want) do { \
	char buf_[2048]; \
	CHECK_STR(t_read((path), buf_, sizeof(buf_)), (want)); \
} while (0)

#define CHECK_LINK(path, want) do { \
	char buf_[T_PATH]; \
	CHECK_STR(t_readlink((path), buf_, sizeof(buf_)), (want)); \
} while (0)

static bool
t_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static bool
t_is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Number of entries of @dir, "." and ".." aside; -1 if it cannot be read. */
static int
t_count_entries(const char *dir, bool hidden_only)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (hidden_only && e->d_name[0] != '.')
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static int
t_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void
t_rm_tree(const char *path)
{
	nftw(path, t_rm_cb, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int
t_parse(const char *text, struct vf_config *conf, char *err, size_t errlen)
{
	return vf_config_parse(text, T_RDMA_CORE, conf, err, errlen);
}

static void
t_mac_str(const uint8_t *m, char *buf)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ------------------------------------------------------------------ */
/* Parser                                                              */
/* ------------------------------------------------------------------ */

static void
test_defaults(void)
{
	struct vf_config *c = calloc(1, sizeof(*c));
	struct vf_config *c2 = calloc(1, sizeof(*c2));
	char err[256];
	uint32_t p;

	printf("defaults\n");
	if (!CHECK(c != NULL && c2 != NULL))
		goto out;
	CHECK_INT(t_parse(NULL, c, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(c->instance, "default");
	CHECK_STR(c->root, "/run/mana-sim");
	CHECK_INT(c->rdma_core, T_RDMA_CORE);
	CHECK(c->doorbell_strict);
	CHECK_INT(c->down_ms, 200);
	CHECK(!c->rename);
	CHECK(!c->maps_text);
	CHECK_INT(c->nb_wires, 0);
	if (!CHECK(c->nb_fns == 1))
		goto out;
	CHECK_STR(c->fn[0].bdf, "7870:00:00.0");
	CHECK_INT(c->fn[0].addr.domain, 0x7870);
	CHECK_INT(c->fn[0].addr.bus, 0);
	CHECK_INT(c->fn[0].addr.dev, 0);
	CHECK_INT(c->fn[0].addr.fn, 0);
	CHECK_INT(c->fn[0].device_id, 0x00ba);
	CHECK_INT(c->fn[0].nb_ports, 2);
	CHECK(c->fn[0].rc);
	CHECK_INT(c->fn[0].rc_lead_ms, 0);
	CHECK_INT(c->fn[0].max_queues, 64);
	CHECK_INT(c->fn[0].numa, -1);
	CHECK_INT(c->fn[0].n_sched, 0);
	CHECK(c->fn[0].port[0].up);
	CHECK(!c->fn[0].port[1].up);
	CHECK_INT(c->fn[0].port[0].mtu, 1500);
	CHECK_INT(c->fn[0].port[1].mtu, 1500);
	CHECK_STR(c->fn[0].port[0].ifname, "eth0");
	CHECK_STR(c->fn[0].port[1].ifname, "eth1");
	for (p = 0; p < 2; p++) {
		const uint8_t *m = c->fn[0].port[p].mac;

		CHECK(m[0] == 0x00 && m[1] == 0x15 && m[2] == 0x5d);
	}
	CHECK(memcmp(c->fn[0].port[0].mac, c->fn[0].port[1].mac, 6) != 0);
	for (p = 2; p < VF_MAX_PORTS; p++)
		CHECK(c->fn[0].port[p].mtu == 0 && c->fn[0].port[p].ifname[0] == '\0');

	/* "" is the same; the result does not depend on the process. */
	CHECK_INT(t_parse("", c2, err, sizeof(err)), 0);
	CHECK(memcmp(c->fn[0].port, c2->fn[0].port, sizeof(c->fn[0].port)) == 0);
	CHECK_INT(vf_config_parse(NULL, 61, c2, NULL, 0), 0);
	CHECK_INT(c2->rdma_core, 61);

	/* Another instance, another function, another port: another MAC. */
	CHECK_INT(t_parse("instance=other", c2, err, sizeof(err)), 0);
	CHECK(memcmp(c->fn[0].port[0].mac, c2->fn[0].port[0].mac, 6) != 0);
	CHECK(memcmp(c->fn[0].port[1].mac, c2->fn[0].port[1].mac, 6) != 0);
	CHECK_INT(t_parse("fn=7870:00:00.0;fn=7870:00:00.1", c2, err, sizeof(err)), 0);
	CHECK(memcmp(c->fn[0].port[0].mac, c2->fn[0].port[0].mac, 6) == 0);
	CHECK(memcmp(c2->fn[0].port[0].mac, c2->fn[1].port[0].mac, 6) != 0);
	CHECK(memcmp(c2->fn[0].port[1].mac, c2->fn[1].port[1].mac, 6) != 0);
	CHECK_STR(c2->fn[1].port[0].ifname, "eth2");
	CHECK_STR(c2->fn[1].port[1].ifname, "eth3");
out:
	free(c);
	free(c2);
}

static void
test_full(void)
{
	static const char text[] =
		"instance=full-1.x_Y;root=/tmp/vf-root//;rdma_core=61;doorbell=realistic;"
		"down_ms=1500;rename=1;maps=text;"
		"fn=7870:00:00.0,device=pf,ports=3,mac1=02:00:00:AA:bb:01,"
		"mac2=02:00:00:00:00:02,if1=mgmt0,if3=data.3,up1=0,up2=1,up3=1,mtu1=9000,"
		"mtu2=68,rc=0,rc_lead_ms=300,queues=16,numa=1,"
		"faults=reset@500:100/remove@100/failopen@300:inf/fatalrec@200:10:20/"
		"evdelay@200:5/failopen@50:3/reset@0;"
		"wire=7870:00:00.0/2-ABCD:0f:1F.7/1;"
		"fn=ABCD:0F:1F.7,ports=1,numa=0,queues=1,up1=1,mtu1=1500;"
		"wire=7870:00:00.0/1-7870:00:00.0/3";
	struct vf_config *c = calloc(1, sizeof(*c));
	const struct vf_fn_conf *f;
	const struct vf_sched_event *s;
	struct vf_wire_end e;
	char err[256], mac[32];

	printf("full configuration\n");
	if (!CHECK(c != NULL))
		return;
	if (!CHECK(t_parse(text, c, err, sizeof(err)) == 0)) {
		printf("      %s\n", err);
		goto out;
	}
	CHECK_STR(c->instance, "full-1.x_Y");
	CHECK_STR(c->root, "/tmp/vf-root");
	CHECK_INT(c->rdma_core, 61);
	CHECK(!c->doorbell_strict);
	CHECK_INT(c->down_ms, 1500);
	CHECK(c->rename);
	CHECK(c->maps_text);
	if (!CHECK(c->nb_fns == 2))
		goto out;

	f = &c->fn[0];
	CHECK_STR(f->bdf, "7870:00:00.0");
	CHECK_INT(f->device_id, 0x00b9);
	CHECK_INT(f->nb_ports, 3);
	t_mac_str(f->port[0].mac, mac);
	CHECK_STR(mac, "02:00:00:aa:bb:01");
	t_mac_str(f->port[1].mac, mac);
	CHECK_STR(mac, "02:00:00:00:00:02");
	CHECK(f->port[2].mac[0] == 0x00 && f->port[2].mac[1] == 0x15 &&
	      f->port[2].mac[2] == 0x5d);
	CHECK_STR(f->port[0].ifname, "mgmt0");
	CHECK_STR(f->port[1].ifname, "eth1");
	CHECK_STR(f->port[2].ifname, "data.3");
	CHECK(!f->port[0].up && f->port[1].up && f->port[2].up);
	CHECK_INT(f->port[0].mtu, 9000);
	CHECK_INT(f->port[1].mtu, 68);
	CHECK_INT(f->port[2].mtu, 1500);
	CHECK(!f->rc);
	CHECK_INT(f->rc_lead_ms, 300);
	CHECK_INT(f->max_queues, 16);
	CHECK_INT(f->numa, 1);
	CHECK(f->port[3].ifname[0] == '\0' && f->port[3].mtu == 0);

	/* Sorted by time, equal times in written order. */
	if (CHECK(f->n_sched == 7)) {
		s = f->sched;
		CHECK(s[0].at_ms == 0 && s[0].fault.kind == VF_FAULT_RESET &&
		      s[0].fault.down_ms == 0);
		CHECK(s[1].at_ms == 50 && s[1].fault.kind == VF_FAULT_FAIL_OPEN &&
		      s[1].fault.count == 3);
		CHECK(s[2].at_ms == 100 && s[2].fault.kind == VF_FAULT_REMOVE);
		CHECK(s[3].at_ms == 200 && s[3].fault.kind == VF_FAULT_FATAL_IN_RECOVERY &&
		      s[3].fault.delay_ms == 10 && s[3].fault.down_ms == 20);
		CHECK(s[4].at_ms == 200 && s[4].fault.kind == VF_FAULT_EVENT_DELAY &&
		      s[4].fault.delay_ms == 5);
		CHECK(s[5].at_ms == 300 && s[5].fault.kind == VF_FAULT_FAIL_OPEN &&
		      s[5].fault.count == -1);
		CHECK(s[6].at_ms == 500 && s[6].fault.kind == VF_FAULT_RESET &&
		      s[6].fault.down_ms == 100);
	}

	f = &c->fn[1];
	CHECK_STR(f->bdf, "abcd:0f:1f.7");
	CHECK(f->addr.domain == 0xabcd && f->addr.bus == 0x0f && f->addr.dev == 0x1f &&
	      f->addr.fn == 7);
	CHECK_INT(f->device_id, 0x00ba);
	CHECK_INT(f->nb_ports, 1);
	CHECK_STR(f->port[0].ifname, "eth3");
	CHECK(f->port[0].up);
	CHECK_INT(f->numa, 0);
	CHECK_INT(f->max_queues, 1);
	CHECK(f->rc);
	CHECK_INT(f->n_sched, 0);
	CHECK(f->port[1].ifname[0] == '\0');

	/* Wires, in written order, and the peers they give. */
	if (CHECK(c->nb_wires == 2)) {
		CHECK(c->wire[0].a.fn == 0 && c->wire[0].a.port == 2);
		CHECK(c->wire[0].b.fn == 1 && c->wire[0].b.port == 1);
		CHECK(c->wire[1].a.fn == 0 && c->wire[1].a.port == 1);
		CHECK(c->wire[1].b.fn == 0 && c->wire[1].b.port == 3);
	}
	e = vf_config_peer(c, 0, 2);
	CHECK(e.fn == 1 && e.port == 1);
	e = vf_config_peer(c, 1, 1);
	CHECK(e.fn == 0 && e.port == 2);
	e = vf_config_peer(c, 0, 1);
	CHECK(e.fn == 0 && e.port == 3);
	e = vf_config_peer(c, 0, 3);
	CHECK(e.fn == 0 && e.port == 1);

	CHECK_INT(vf_config_find_fn(c, "7870:00:00.0"), 0);
	CHECK_INT(vf_config_find_fn(c, "abcd:0f:1f.7"), 1);
	CHECK_INT(vf_config_find_fn(c, "ABCD:0F:1F.7"), 1);
	CHECK_INT(vf_config_find_fn(c, "7870:00:00.1"), -1);
	CHECK_INT(vf_config_find_fn(c, "7870:00:00"), -1);
	CHECK_INT(vf_config_find_fn(c, ""), -1);
	CHECK_INT(vf_config_find_fn(c, NULL), -1);
out:
	free(c);
}

static void
test_more_valid(void)
{
	struct vf_config *c = calloc(1, sizeof(*c));
	struct vf_wire_end e;
	char err[256], text[1024];
	uint8_t mac2[6];
	size_t off;
	int i;

	printf("more valid configurations\n");
	if (!CHECK(c != NULL))
		return;

	/* Loopback when unwired; a wire to the default function. */
	CHECK_INT(t_parse("wire=7870:00:00.0/1-7870:00:00.0/2", c, err, sizeof(err)), 0);
	CHECK_INT(c->nb_fns, 1);
	e = vf_config_peer(c, 0, 1);
	CHECK(e.fn == 0 && e.port == 2);
	CHECK_INT(t_parse(NULL, c, err, sizeof(err)), 0);
	e = vf_config_peer(c, 0, 2);
	CHECK(e.fn == 0 && e.port == 2);

	/* A default MAC that an explicit one took moves out of its way. */
	memcpy(mac2, c->fn[0].port[1].mac, 6);
	snprintf(text, sizeof(text), "fn=7870:00:00.0,mac1=%02x:%02x:%02x:%02x:%02x:%02x",
		 mac2[0], mac2[1], mac2[2], mac2[3], mac2[4], mac2[5]);
	if (CHECK(t_parse(text, c, err, sizeof(err)) == 0)) {
		CHECK(memcmp(c->fn[0].port[0].mac, mac2, 6) == 0);
		CHECK(memcmp(c->fn[0].port[1].mac, mac2, 6) != 0);
		CHECK(c->fn[0].port[1].mac[0] == 0x00 && c->fn[0].port[1].mac[2] == 0x5d);
	}

	/* Limits: 8 functions of 8 ports, 16 wires, 32 events. */
	off = 0;
	for (i = 0; i < VF_MAX_FNS; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"%sfn=0000:00:%02x.0,ports=8", i > 0 ? ";" : "", i);
	for (i = 0; i < VF_MAX_WIRES; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					";wire=0000:00:%02x.0/%d-0000:00:%02x.0/%d", i / 4,
					i % 4 + 1, i / 4 + 4, i % 4 + 5);
	if (CHECK(t_parse(text, c, err, sizeof(err)) == 0)) {
		uint32_t f1, p1, f2, p2;
		bool uniq = true;

		CHECK_INT(c->nb_fns, 8);
		CHECK_INT(c->nb_wires, 16);
		CHECK_STR(c->fn[7].port[7].ifname, "eth63");
		for (f1 = 0; f1 < 8; f1++)
			for (p1 = 0; p1 < 8; p1++)
				for (f2 = 0; f2 < 8; f2++)
					for (p2 = 0; p2 < 8; p2++)
						if ((f1 != f2 || p1 != p2) &&
						    memcmp(c->fn[f1].port[p1].mac,
							   c->fn[f2].port[p2].mac, 6) == 0)
							uniq = false;
		CHECK(uniq);
		e = vf_config_peer(c, 4, 7);
		CHECK(e.fn == 0 && e.port == 3);
	} else {
		printf("      %s\n", err);
	}

	off = (size_t)snprintf(text, sizeof(text), "fn=7870:00:00.0,faults=");
	for (i = 0; i < VF_SCHED_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%sreset@%d", i ? "/" : "",
					(VF_SCHED_MAX - i) % 5);
	if (CHECK(t_parse(text, c, err, sizeof(err)) == 0)) {
		bool sorted = true;

		CHECK_INT(c->fn[0].n_sched, VF_SCHED_MAX);
		for (i = 1; i < VF_SCHED_MAX; i++)
			if (c->fn[0].sched[i - 1].at_ms > c->fn[0].sched[i].at_ms)
				sorted = false;
		CHECK(sorted);
	}

	/* Stability among equal times, each event kind, maxima. */
	CHECK_INT(t_parse("fn=7870:00:00.0,faults=remove@5/reset@5/evdelay@1:1/failopen@5:2/"
			  "reset@0:86400000/fatalrec@86400000:0", c, err, sizeof(err)), 0);
	if (CHECK(c->fn[0].n_sched == 6)) {
		const struct vf_sched_event *s = c->fn[0].sched;

		CHECK(s[0].at_ms == 0 && s[0].fault.kind == VF_FAULT_RESET &&
		      s[0].fault.down_ms == 86400000);
		CHECK(s[1].at_ms == 1 && s[1].fault.kind == VF_FAULT_EVENT_DELAY);
		CHECK(s[2].at_ms == 5 && s[2].fault.kind == VF_FAULT_REMOVE);
		CHECK(s[3].at_ms == 5 && s[3].fault.kind == VF_FAULT_RESET);
		CHECK(s[4].at_ms == 5 && s[4].fault.kind == VF_FAULT_FAIL_OPEN &&
		      s[4].fault.count == 2);
		CHECK(s[5].at_ms == 86400000 && s[5].fault.kind == VF_FAULT_FATAL_IN_RECOVERY &&
		      s[5].fault.delay_ms == 0 && s[5].fault.down_ms == 0);
	}

	/* Boundaries that are accepted. */
	CHECK_INT(t_parse("down_ms=0;rdma_core=44;rename=0;doorbell=strict;root=/", c, err,
			  sizeof(err)), 0);
	CHECK_STR(c->root, "/");
	CHECK_INT(t_parse("down_ms=86400000;rdma_core=99", c, err, sizeof(err)), 0);
	CHECK_INT(t_parse("fn=0000:00:00.0,numa=-1,numa7=1", c, err, sizeof(err)), -EINVAL);
	CHECK_INT(t_parse("fn=0000:00:00.0,numa=7,queues=64,ports=8,mtu8=9000,up8=1,"
			  "if8=a23456789012345", c, err, sizeof(err)), 0);
	CHECK_STR(c->fn[0].port[7].ifname, "a23456789012345");
	CHECK_INT(t_parse("instance=a234567890123456789012345678901234567890", c, err,
			  sizeof(err)), 0);
	/* The longest root (trailing '/' dropped). */
	memset(text, 0, sizeof(text));
	strcpy(text, "root=/");
	memset(text + 6, 'r', VF_PATH_MAX - 2);
	strcat(text, "//");
	CHECK_INT(t_parse(text, c, err, sizeof(err)), 0);
	CHECK_INT(strlen(c->root), VF_PATH_MAX - 1);
	/* A MAC is unicast when bit 0 of its first byte is clear (bit 1 may be set). */
	CHECK_INT(t_parse("fn=0000:00:00.0,mac1=FE:ff:ff:ff:ff:ff", c, err, sizeof(err)), 0);
	free(c);
}

struct t_bad {
	const char *text;
	const char *want;	/* substring of the message */
};

static const struct t_bad t_bad_strings[] = {
	/* Numbers: digits only, whole string, in range. */
	{ "down_ms=010", "down_ms: '010' is not a decimal number in 0..86400000" },
	{ "down_ms=0x10", "down_ms" },
	{ "down_ms=-1", "down_ms" },
	{ "down_ms=+1", "down_ms" },
	{ "down_ms= 1", "down_ms" },
	{ "down_ms=1 ", "down_ms" },
	{ "down_ms=", "down_ms" },
	{ "down_ms=86400001", "down_ms" },
	{ "down_ms=99999999999999999999999", "down_ms" },
	{ "rdma_core=43", "rdma_core: '43' is not a decimal number in 44..99" },
	{ "rdma_core=100", "rdma_core" },
	{ "doorbell=loose", "doorbell: 'loose' is not strict or realistic" },
	{ "rename=2", "rename: '2' is not 0 or 1" },
	{ "rename=true", "rename" },
	{ "maps=procfs", "maps: 'procfs' is not query or text" },
	{ "maps=", "maps" },
	{ "maps=query;maps=text", "maps: given twice" },
	/* Names and paths. */
	{ "instance=", "instance: '' is not a name" },
	{ "instance=..", "instance: '..' is not a name" },
	{ "instance=.", "instance" },
	{ "instance=a/b", "instance" },
	{ "instance=a b", "instance" },
	{ "instance=a2345678901234567890123456789012345678901", "instance" },
	{ "root=relative/dir", "root: 'relative/dir' is not an absolute path" },
	{ "root=", "root" },
	{ "root=/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 200 characters */ "root" },
	/* Items. */
	{ "down_ms=1;down_ms=1", "down_ms: given twice" },
	{ "instance=a;instance=b", "instance: given twice" },
	{ "bogus=1", "bogus: unknown item; accepted: instance, root" },
	{ "Fn=7870:00:00.0", "Fn: unknown item" },
	{ "noequals", "item 'noequals' is not key=value" },
	{ "down_ms=1;;rename=1", "empty item" },
	{ "down_ms=1;", "empty item" },
	{ ";down_ms=1", "empty item" },
	{ ";", "empty item" },
	{ ";;", "empty item" },
	/* fn= keys. */
	{ "fn=7870:00:00.0,bogus=1", "fn=7870:00:00.0: bogus: unknown key; accepted: device," },
	{ "fn=7870:00:00.0,ports=2,ports=2", "fn=7870:00:00.0: ports: given twice" },
	{ "fn=7870:00:00.0,mac1=02:00:00:00:00:01,mac1=02:00:00:00:00:01",
	  "fn=7870:00:00.0: mac1: given twice" },
	{ "fn=7870:00:00.0,faults=remove@1,faults=remove@2", "faults: given twice" },
	{ "fn=7870:00:00.0,mac3=02:00:00:00:00:01",
	  "MANA_SIM: fn=7870:00:00.0: mac3: port 3 does not exist (ports=2)" },
	{ "fn=7870:00:00.0,mtu2=1500,ports=1",
	  "fn=7870:00:00.0: mtu2: port 2 does not exist (ports=1)" },
	{ "fn=7870:00:00.0,up8=1", "up8: port 8 does not exist (ports=2)" },
	{ "fn=7870:00:00.0,if3=x", "if3: port 3 does not exist" },
	{ "fn=7870:00:00.0,mac9=02:00:00:00:00:01", "fn=7870:00:00.0: mac9: not a key; accepted: "
	  "macN with N a port 1..8" },
	{ "fn=7870:00:00.0,mac0=02:00:00:00:00:01", "mac0: not a key" },
	{ "fn=7870:00:00.0,mac01=02:00:00:00:00:01", "mac01: not a key" },
	{ "fn=7870:00:00.0,mac=02:00:00:00:00:01", "mac: unknown key" },
	{ "fn=7870:00:00.0,", "fn=7870:00:00.0: empty key" },
	{ "fn=7870:00:00.0,,ports=1", "empty key" },
	{ "fn=7870:00:00.0,ports", "fn=7870:00:00.0: ports: not key=value" },
	{ "fn=7870:00:00.0,device=xf", "fn=7870:00:00.0: device: 'xf' is not vf or pf" },
	{ "fn=7870:00:00.0,ports=0", "ports: '0' is not a decimal number in 1..8" },
	{ "fn=7870:00:00.0,ports=9", "ports" },
	{ "fn=7870:00:00.0,queues=0", "queues: '0' is not a decimal number in 1..64" },
	{ "fn=7870:00:00.0,queues=65", "queues" },
	{ "fn=7870:00:00.0,numa=-2", "numa: '-2' is not -1 or a decimal number in 0..7" },
	{ "fn=7870:00:00.0,numa=8", "numa" },
	{ "fn=7870:00:00.0,numa=-0", "numa" },
	{ "fn=7870:00:00.0,rc=yes", "rc: 'yes' is not 0 or 1" },
	{ "fn=7870:00:00.0,rc_lead_ms=86400001", "rc_lead_ms" },
	{ "fn=7870:00:00.0,up1=2", "up1: '2' is not 0 or 1" },
	{ "fn=7870:00:00.0,mtu1=67", "mtu1: '67' is not a decimal number in 68..9000" },
	{ "fn=7870:00:00.0,mtu1=9001", "mtu1" },
	/* MACs. */
	{ "fn=7870:00:00.0,mac1=01:00:00:00:00:01", "mac1: '01:00:00:00:00:01' is not a unicast" },
	{ "fn=7870:00:00.0,mac1=00:00:00:00:00:00", "is not a unicast" },
	{ "fn=7870:00:00.0,mac1=ff:ff:ff:ff:ff:ff", "is not a unicast" },
	{ "fn=7870:00:00.0,mac1=02:00:00:00:00", "is not a MAC xx:xx:xx:xx:xx:xx" },
	{ "fn=7870:00:00.0,mac1=02-00-00-00-00-01", "is not a MAC" },
	{ "fn=7870:00:00.0,mac1=02:00:00:00:00:0g", "is not a MAC" },
	{ "fn=7870:00:00.0,mac1=2:00:00:00:00:001", "is not a MAC" },
	{ "fn=7870:00:00.0,mac1=02:00:00:00:00:01:", "is not a MAC" },
	{ "fn=7870:00:00.0,mac1=02:00:00:00:00:01,mac2=02:00:00:00:00:01",
	  "fn=7870:00:00.0: mac2: 02:00:00:00:00:01 is also the MAC of port 1 of fn=7870:00:00.0" },
	{ "fn=7870:00:00.0,mac1=02:00:00:00:00:01;fn=7870:00:00.1,mac2=02:00:00:00:00:01",
	  "fn=7870:00:00.1: mac2: 02:00:00:00:00:01 is also the MAC" },
	/* Netdev names. */
	{ "fn=7870:00:00.0,if1=x,if2=x", "fn=7870:00:00.0: if2: netdev name 'x' is also" },
	{ "fn=7870:00:00.0,if1=eth1", "if2: netdev name 'eth1' (the default) is also the name of "
	  "port 1" },
	{ "fn=7870:00:00.0,if2=y;fn=7870:00:00.1,if1=y", "fn=7870:00:00.1: if1: netdev name 'y'" },
	{ "fn=7870:00:00.0,if1=", "if1: '' is not a netdev name" },
	{ "fn=7870:00:00.0,if1=a/b", "if1: 'a/b' is not a netdev name" },
	{ "fn=7870:00:00.0,if1=..", "if1" },
	{ "fn=7870:00:00.0,if1=a234567890123456", "if1" },
	/* PCI addresses and functions. */
	{ "fn=7870:00:00.0;fn=7870:00:00.0", "fn=7870:00:00.0: PCI address given twice" },
	{ "fn=abcd:00:00.0;fn=ABCD:00:00.0", "fn=abcd:00:00.0: PCI address given twice" },
	{ "fn=7870:0:00.0", "fn=7870:0:00.0: not a PCI address; accepted: dddd:bb:dd.f" },
	{ "fn=870:00:00.0", "not a PCI address" },
	{ "fn=07870:00:00.0", "not a PCI address" },
	{ "fn=7870:00:20.0", "not a PCI address" },
	{ "fn=7870:00:00.8", "not a PCI address" },
	{ "fn=7870:00:00.0 ", "not a PCI address" },
	{ "fn=7870.00:00.0", "not a PCI address" },
	{ "fn=", "not a PCI address" },
	{ "fn=0000:00:00.0;fn=0000:00:01.0;fn=0000:00:02.0;fn=0000:00:03.0;fn=0000:00:04.0;"
	  "fn=0000:00:05.0;fn=0000:00:06.0;fn=0000:00:07.0;fn=0000:00:08.0",
	  "fn=0000:00:08.0: more than 8 fn= items" },
	/* Fault schedules. */
	{ "fn=7870:00:00.0,faults=", "fn=7870:00:00.0: faults: empty event" },
	{ "fn=7870:00:00.0,faults=reset@1/", "faults: empty event" },
	{ "fn=7870:00:00.0,faults=/reset@1", "faults: empty event" },
	{ "fn=7870:00:00.0,faults=reset", "faults: event 'reset' has no '@T'" },
	{ "fn=7870:00:00.0,faults=boom@1", "faults: 'boom' with 1 field(s) after '@' is not an "
	  "event; accepted: reset@T[:DOWN]" },
	{ "fn=7870:00:00.0,faults=remove@1:2", "'remove' with 2 field(s)" },
	{ "fn=7870:00:00.0,faults=failopen@1", "'failopen' with 1 field(s)" },
	{ "fn=7870:00:00.0,faults=failopen@1:0",
	  "failopen: count '0' is not 1..2147483647 or inf" },
	{ "fn=7870:00:00.0,faults=failopen@1:-1", "failopen: count" },
	{ "fn=7870:00:00.0,faults=reset@1:inf", "reset: 'inf' is not a decimal number" },
	{ "fn=7870:00:00.0,faults=reset@86400001", "reset: time '86400001' is not" },
	{ "fn=7870:00:00.0,faults=reset@01", "reset: time '01'" },
	{ "fn=7870:00:00.0,faults=reset@", "reset: time ''" },
	{ "fn=7870:00:00.0,faults=evdelay@1:x", "evdelay: 'x' is not" },
	{ "fn=7870:00:00.0,faults=fatalrec@1:2:3:4", "has too many ':' fields" },
	{ "fn=7870:00:00.0,faults=evdelay@1:2:3", "'evdelay' with 3 field(s)" },
	{ "fn=7870:00:00.0,faults=reset@1:", "reset: '' is not" },
	{ "fn=7870:00:00.0,faults=reset@0/reset@1/reset@2/reset@3/reset@4/reset@5/reset@6/"
	  "reset@7/reset@8/reset@9/reset@10/reset@11/reset@12/reset@13/reset@14/reset@15/"
	  "reset@16/reset@17/reset@18/reset@19/reset@20/reset@21/reset@22/reset@23/reset@24/"
	  "reset@25/reset@26/reset@27/reset@28/reset@29/reset@30/reset@31/reset@32",
	  "faults: more than 32 events" },
	/* Wires. */
	{ "wire=7870:00:00.0/1-7870:00:00.1/1", "wire=7870:00:00.0/1-7870:00:00.1/1: function "
	  "7870:00:00.1 does not exist" },
	{ "fn=7870:00:00.1;wire=7870:00:00.0/1-7870:00:00.1/1", "function 7870:00:00.0 does "
	  "not exist" },
	{ "wire=7870:00:00.0/3-7870:00:00.0/1", "port '3' does not exist (fn=7870:00:00.0 has "
	  "ports=2); accepted: 1..2" },
	{ "wire=7870:00:00.0/0-7870:00:00.0/1", "port '0' does not exist" },
	{ "wire=7870:00:00.0/01-7870:00:00.0/2", "port '01' does not exist" },
	{ "wire=7870:00:00.0/1-7870:00:00.0/1", "both ends are the same port" },
	{ "wire=7870:00:00.0/1-7870:00:00.0/2;wire=7870:00:00.0/2-7870:00:00.0/1",
	  "port 2 of fn=7870:00:00.0 is already wired" },
	{ "fn=7870:00:00.0,ports=3;wire=7870:00:00.0/1-7870:00:00.0/2;"
	  "wire=7870:00:00.0/3-7870:00:00.0/1", "port 1 of fn=7870:00:00.0 is already wired" },
	{ "wire=7870:00:00.0/1", "not two ends" },
	{ "wire=7870:00:00.0/1-7870:00:00.0/2-7870:00:00.0/2", "not two ends" },
	{ "wire=7870:00:00.0-7870:00:00.0/2", "'7870:00:00.0' is not BDF/P" },
	{ "wire=7870:00:0.0/1-7870:00:00.0/2", "'7870:00:0.0' is not a PCI address" },
	{ "wire=", "not two ends" },
	{ "wire=a;wire=a;wire=a;wire=a;wire=a;wire=a;wire=a;wire=a;wire=a;wire=a;wire=a;"
	  "wire=a;wire=a;wire=a;wire=a;wire=a;wire=a", "more than 16 wire= items" },
};

static void
test_errors(void)
{
	struct vf_config *c = malloc(sizeof(*c));
	struct vf_config *pattern = malloc(sizeof(*pattern));
	unsigned int i, n = sizeof(t_bad_strings) / sizeof(t_bad_strings[0]);
	char err[512], small[16];

	printf("refused strings (%u)\n", n);
	if (!CHECK(c != NULL && pattern != NULL))
		goto out;
	memset(pattern, 0xa5, sizeof(*pattern));
	for (i = 0; i < n; i++) {
		const struct t_bad *b = &t_bad_strings[i];
		int ret;

		memcpy(c, pattern, sizeof(*c));
		memset(err, 0, sizeof(err));
		ret = t_parse(b->text, c, err, sizeof(err));
		if (!CHECK(ret == -EINVAL))
			printf("      '%s' returned %d\n", b->text, ret);
		if (!CHECK(memcmp(c, pattern, sizeof(*c)) == 0))
			printf("      '%s' touched the configuration\n", b->text);
		if (!CHECK(strncmp(err, "MANA_SIM: ", 10) == 0 && strstr(err, b->want) != NULL))
			printf("      '%s'\n      message '%s'\n      want '%s'\n", b->text, err,
			       b->want);
		printf("    %-40.40s -> %s\n", b->text, err);
	}

	/* A short buffer is cut and terminated; no buffer at all is fine. */
	memcpy(c, pattern, sizeof(*c));
	memset(small, 'x', sizeof(small));
	CHECK_INT(t_parse("bogus=1", c, small, sizeof(small)), -EINVAL);
	CHECK(strlen(small) == sizeof(small) - 1);
	CHECK_INT(t_parse("bogus=1", c, small, 5), -EINVAL);
	CHECK_STR(small, "MANA");
	CHECK_INT(t_parse("bogus=1", c, NULL, 0), -EINVAL);
	CHECK(memcmp(c, pattern, sizeof(*c)) == 0);
	CHECK_INT(vf_config_parse("", T_RDMA_CORE, NULL, err, sizeof(err)), -EINVAL);

	/* The instance keeps the text for every later process to compare: longer is refused. */
	{
		char *longtext = malloc(VF_CONFIG_TEXT_MAX + 1);

		if (CHECK(longtext != NULL)) {
			memset(longtext, 'x', VF_CONFIG_TEXT_MAX);
			memcpy(longtext, "bogus=", 6);
			longtext[VF_CONFIG_TEXT_MAX] = '\0';
			memcpy(c, pattern, sizeof(*c));
			CHECK_INT(t_parse(longtext, c, err, sizeof(err)), -E2BIG);
			CHECK(strstr(err, "longer than 2047 bytes") != NULL);
			CHECK(memcmp(c, pattern, sizeof(*c)) == 0);
			/* One byte less: parsed, and refused for what it says. */
			longtext[VF_CONFIG_TEXT_MAX - 1] = '\0';
			CHECK_INT(t_parse(longtext, c, err, sizeof(err)), -EINVAL);
			CHECK(strstr(err, "bogus") != NULL);
			free(longtext);
		}
	}
out:
	free(c);
	free(pattern);
}

/* ------------------------------------------------------------------ */
/* sysfs                                                               */
/* ------------------------------------------------------------------ */

static const char t_resource[] =
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n";

/* A netdev's files and its class symlink. */
static void
t_check_netdev(const char *sys, const struct vf_fn_conf *f, uint32_t port, uint32_t ifindex,
	       bool up, uint32_t mtu)
{
	const struct vf_port_conf *pc = &f->port[port - 1];
	char dir[T_PATH], path[T_PATH], want[64];

	t_pathf(dir, "%s/bus/pci/devices/%s/net/%s", sys, f->bdf, pc->ifname);
	t_mac_str(pc->mac, want);
	strcat(want, "\n");
	t_pathf(path, "%s/address", dir);
	CHECK_FILE(path, want);
	snprintf(want, sizeof(want), "%u\n", port - 1);
	t_pathf(path, "%s/dev_port", dir);
	CHECK_FILE(path, want);
	snprintf(want, sizeof(want), "%u\n", mtu);
	t_pathf(path, "%s/mtu", dir);
	CHECK_FILE(path, want);
	t_pathf(path, "%s/operstate", dir);
	CHECK_FILE(path, up ? "up\n" : "down\n");
	t_pathf(path, "%s/carrier", dir);
	CHECK_FILE(path, up ? "1\n" : "0\n");
	t_pathf(path, "%s/flags", dir);
	CHECK_FILE(path, up ? "0x1003\n" : "0x1002\n");
	snprintf(want, sizeof(want), "%u\n", ifindex);
	t_pathf(path, "%s/ifindex", dir);
	CHECK_FILE(path, want);
	CHECK_INT(t_count_entries(dir, false), 7);

	t_pathf(path, "%s/class/net/%s", sys, pc->ifname);
	t_pathf(want, "../../bus/pci/devices/%s/net/%s", f->bdf, pc->ifname);
	CHECK_LINK(path, want);
	t_pathf(path, "%s/class/net/%s/dev_port", sys, pc->ifname);
	snprintf(want, sizeof(want), "%u\n", port - 1);
	CHECK_FILE(path, want);
}

/* Every file of a function directory. */
static void
t_check_function(const char *sys, const struct vf_fn_conf *f, const char *device,
		 const char *numa, const char *uevent)
{
	char dir[T_PATH], path[T_PATH], drv[T_PATH], real1[PATH_MAX], real2[PATH_MAX];

	t_pathf(dir, "%s/bus/pci/devices/%s", sys, f->bdf);
	CHECK(t_is_dir(dir));
	t_pathf(path, "%s/vendor", dir);
	CHECK_FILE(path, "0x1414\n");
	t_pathf(path, "%s/device", dir);
	CHECK_FILE(path, device);
	t_pathf(path, "%s/subsystem_vendor", dir);
	CHECK_FILE(path, "0x1414\n");
	t_pathf(path, "%s/subsystem_device", dir);
	CHECK_FILE(path, "0x0000\n");
	t_pathf(path, "%s/class", dir);
	CHECK_FILE(path, "0x020000\n");
	t_pathf(path, "%s/resource", dir);
	CHECK_FILE(path, t_resource);
	t_pathf(path, "%s/numa_node", dir);
	CHECK_FILE(path, numa);
	t_pathf(path, "%s/uevent", dir);
	CHECK_FILE(path, uevent);
	t_pathf(path, "%s/driver", dir);
	CHECK_LINK(path, "../../drivers/mana");
	t_pathf(drv, "%s/bus/pci/drivers/mana", sys);
	CHECK(realpath(path, real2) != NULL && realpath(drv, real1) != NULL &&
	      strcmp(real1, real2) == 0);
	t_pathf(path, "%s/net", dir);
	CHECK_INT(t_count_entries(path, false), (int)f->nb_ports);
}

/* An ibv device's directory and class symlink. */
static void
t_check_ibdev(const struct vf_config *c, const char *sys, uint32_t fn, const char *ibdev)
{
	char path[T_PATH], want[T_PATH], real1[PATH_MAX], real2[PATH_MAX];

	vf_sysfs_ibdev_path(c, ibdev, path, sizeof(path));
	t_pathf(want, "%s/class/infiniband/%s", sys, ibdev);
	CHECK_STR(path, want);
	t_pathf(want, "../../bus/pci/devices/%s/infiniband/%s", c->fn[fn].bdf, ibdev);
	CHECK_LINK(path, want);
	t_pathf(path, "%s/class/infiniband/%s/ibdev", sys, ibdev);
	t_pathf(want, "%s\n", ibdev);
	CHECK_FILE(path, want);
	t_pathf(path, "%s/class/infiniband/%s/node_type", sys, ibdev);
	CHECK_FILE(path, "1: CA\n");
	t_pathf(path, "%s/bus/pci/devices/%s/infiniband/%s/device", sys, c->fn[fn].bdf, ibdev);
	CHECK_LINK(path, "../..");
	t_pathf(path, "%s/class/infiniband/%s/device", sys, ibdev);
	t_pathf(want, "%s/bus/pci/devices/%s", sys, c->fn[fn].bdf);
	CHECK(realpath(path, real1) != NULL && realpath(want, real2) != NULL &&
	      strcmp(real1, real2) == 0);
	/* What the mana PMD reads: <ibdev_path>/device/net/<if>/address. */
	t_pathf(path, "%s/class/infiniband/%s/device/net/%s/address", sys, ibdev,
		c->fn[fn].port[0].ifname);
	CHECK(access(path, R_OK) == 0);
}

static void
test_sysfs(void)
{
	struct vf_config *c = calloc(1, sizeof(*c));
	struct vf_config *bad = calloc(1, sizeof(*bad));
	char text[1024], err[256], sys[T_PATH], path[T_PATH], want[T_PATH], root[T_PATH];
	char inst[T_PATH];
	int fd, ret;

	printf("sysfs\n");
	if (!CHECK(c != NULL && bad != NULL))
		goto out;
	t_pathf(root, "%s/root", t_tmp);
	snprintf(text, sizeof(text),
		 "root=%s;instance=t1;"
		 "fn=7870:00:00.0,mac1=00:15:5d:00:00:01,mac2=00:15:5d:00:00:02,up2=1,mtu2=4000;"
		 "fn=BEEF:12:1F.3,device=pf,ports=1,numa=1,if1=mgmt", root);
	if (!CHECK(t_parse(text, c, err, sizeof(err)) == 0)) {
		printf("      %s\n", err);
		goto out;
	}
	t_pathf(inst, "%s/t1", root);
	t_pathf(sys, "%s/t1/sys", root);

	CHECK_INT(vf_sysfs_init(c), 0);
	CHECK_INT(vf_sysfs_init(c), 0);
	t_pathf(path, "%s/bus/pci/drivers/mana", sys);
	CHECK(t_is_dir(path));
	t_pathf(path, "%s/class/infiniband", sys);
	CHECK(t_is_dir(path));
	t_pathf(path, "%s/class/net", sys);
	CHECK(t_is_dir(path));
	vf_sysfs_pci_devices_path(c, path, sizeof(path));
	t_pathf(want, "%s/bus/pci/devices", sys);
	CHECK_STR(path, want);
	CHECK_INT(t_count_entries(want, false), 0);
	vf_sysfs_ibdev_path(c, "manae_0", path, sizeof(path));
	t_pathf(want, "%s/class/infiniband/manae_0", sys);
	CHECK_STR(path, want);

	/* Functions. */
	CHECK(!vf_sysfs_function_present(c, 0));
	CHECK_INT(vf_sysfs_add_function(c, 0), 0);
	CHECK_INT(vf_sysfs_add_function(c, 1), 0);
	CHECK_INT(vf_sysfs_add_function(c, 0), 0);
	CHECK_INT(vf_sysfs_add_function(c, 2), -EINVAL);
	CHECK(vf_sysfs_function_present(c, 0));
	CHECK(vf_sysfs_function_present(c, 1));
	CHECK(!vf_sysfs_function_present(c, 2));
	t_pathf(path, "%s/bus/pci/devices", sys);
	CHECK_INT(t_count_entries(path, false), 2);
	t_check_function(sys, &c->fn[0], "0x00ba\n", "-1\n",
			 "DRIVER=mana\nPCI_CLASS=20000\nPCI_ID=1414:00BA\n"
			 "PCI_SUBSYS_ID=1414:0000\nPCI_SLOT_NAME=7870:00:00.0\n"
			 "MODALIAS=pci:v00001414d000000BAsv00001414sd00000000bc02sc00i00\n");
	t_check_function(sys, &c->fn[1], "0x00b9\n", "1\n",
			 "DRIVER=mana\nPCI_CLASS=20000\nPCI_ID=1414:00B9\n"
			 "PCI_SUBSYS_ID=1414:0000\nPCI_SLOT_NAME=beef:12:1f.3\n"
			 "MODALIAS=pci:v00001414d000000B9sv00001414sd00000000bc02sc00i00\n");
	t_check_netdev(sys, &c->fn[0], 1, 2, true, 1500);
	t_check_netdev(sys, &c->fn[0], 2, 3, true, 4000);
	t_check_netdev(sys, &c->fn[1], 1, 4, true, 1500);
	t_pathf(path, "%s/class/net", sys);
	CHECK_INT(t_count_entries(path, false), 3);
	t_pathf(path, "%s/bus/pci/devices/7870:00:00.0/infiniband", sys);
	CHECK(!t_exists(path));

	/* ibv devices. */
	CHECK_INT(vf_sysfs_add_ibdev(c, 0, "manae_0"), 0);
	CHECK_INT(vf_sysfs_add_ibdev(c, 0, "mana_0"), 0);
	CHECK_INT(vf_sysfs_add_ibdev(c, 1, "manae_1"), 0);
	CHECK_INT(vf_sysfs_add_ibdev(c, 0, "manae_0"), 0);
	CHECK_INT(vf_sysfs_add_ibdev(c, 1, "manae_0"), -EEXIST);
	CHECK_INT(vf_sysfs_add_ibdev(c, 0, "../x"), -EINVAL);
	CHECK_INT(vf_sysfs_add_ibdev(c, 0, ".."), -EINVAL);
	CHECK_INT(vf_sysfs_add_ibdev(c, 0, ""), -EINVAL);
	CHECK_INT(vf_sysfs_add_ibdev(c, 0, NULL), -EINVAL);
	CHECK_INT(vf_sysfs_add_ibdev(c, 5, "manae_5"), -EINVAL);
	t_check_ibdev(c, sys, 0, "manae_0");
	t_check_ibdev(c, sys, 0, "mana_0");
	t_check_ibdev(c, sys, 1, "manae_1");
	t_pathf(path, "%s/class/infiniband", sys);
	CHECK_INT(t_count_entries(path, false), 3);
	t_pathf(path, "%s/bus/pci/devices/7870:00:00.0/infiniband", sys);
	CHECK_INT(t_count_entries(path, false), 2);
	t_pathf(path, "%s/bus/pci/devices/7870:00:00.0/infiniband/manae_0", sys);
	CHECK_INT(t_count_entries(path, false), 3);

	/* Netdev state. */
	CHECK_INT(vf_sysfs_set_netdev(c, 0, 2, false, 9000), 0);
	t_check_netdev(sys, &c->fn[0], 2, 3, false, 9000);
	CHECK_INT(vf_sysfs_set_netdev(c, 0, 2, true, 68), 0);
	t_check_netdev(sys, &c->fn[0], 2, 3, true, 68);
	CHECK_INT(vf_sysfs_set_netdev(c, 1, 1, false, 1500), 0);
	t_check_netdev(sys, &c->fn[1], 1, 4, false, 1500);
	t_check_netdev(sys, &c->fn[0], 1, 2, true, 1500);
	CHECK_INT(vf_sysfs_set_netdev(c, 0, 0, true, 1500), -EINVAL);
	CHECK_INT(vf_sysfs_set_netdev(c, 0, 3, true, 1500), -EINVAL);
	CHECK_INT(vf_sysfs_set_netdev(c, 1, 2, true, 1500), -EINVAL);
	CHECK_INT(vf_sysfs_set_netdev(c, 0, 1, true, 67), -EINVAL);
	CHECK_INT(vf_sysfs_set_netdev(c, 0, 1, true, 9001), -EINVAL);
	CHECK_INT(vf_sysfs_set_netdev(c, 2, 1, true, 1500), -EINVAL);

	/* Removing an ibv device; twice is fine. */
	CHECK_INT(vf_sysfs_remove_ibdev(c, 0, "mana_0"), 0);
	t_pathf(path, "%s/class/infiniband/mana_0", sys);
	CHECK(!t_exists(path));
	t_pathf(path, "%s/bus/pci/devices/7870:00:00.0/infiniband/mana_0", sys);
	CHECK(!t_exists(path));
	CHECK_INT(vf_sysfs_remove_ibdev(c, 0, "mana_0"), 0);
	CHECK_INT(vf_sysfs_remove_ibdev(c, 0, "never"), 0);
	/* Not function 1's device: its class symlink stays. */
	CHECK_INT(vf_sysfs_remove_ibdev(c, 0, "manae_1"), 0);
	t_check_ibdev(c, sys, 1, "manae_1");
	t_check_ibdev(c, sys, 0, "manae_0");
	/* The last one takes the empty infiniband/ directory with it. */
	CHECK_INT(vf_sysfs_remove_ibdev(c, 1, "manae_1"), 0);
	t_pathf(path, "%s/bus/pci/devices/beef:12:1f.3/infiniband", sys);
	CHECK(!t_exists(path));
	CHECK_INT(vf_sysfs_add_ibdev(c, 1, "manae_1"), 0);
	t_check_ibdev(c, sys, 1, "manae_1");

	/* Hot-remove of function 0: its directory and class symlinks go, not 1's. */
	CHECK_INT(vf_sysfs_remove_function(c, 0), 0);
	CHECK(!vf_sysfs_function_present(c, 0));
	CHECK(vf_sysfs_function_present(c, 1));
	t_pathf(path, "%s/bus/pci/devices/7870:00:00.0", sys);
	CHECK(!t_exists(path));
	t_pathf(path, "%s/class/infiniband/manae_0", sys);
	CHECK(!t_exists(path));
	t_pathf(path, "%s/class/net/eth0", sys);
	CHECK(!t_exists(path));
	t_pathf(path, "%s/class/net/eth1", sys);
	CHECK(!t_exists(path));
	t_pathf(path, "%s/class/net", sys);
	CHECK_INT(t_count_entries(path, false), 1);
	t_pathf(path, "%s/class/infiniband", sys);
	CHECK_INT(t_count_entries(path, false), 1);
	t_check_ibdev(c, sys, 1, "manae_1");
	t_check_netdev(sys, &c->fn[1], 1, 4, false, 1500);
	CHECK_INT(vf_sysfs_remove_function(c, 0), 0);
	CHECK_INT(vf_sysfs_set_netdev(c, 0, 1, true, 1500), -ENODEV);
	CHECK_INT(vf_sysfs_add_ibdev(c, 0, "manae_0"), -ENODEV);
	CHECK_INT(vf_sysfs_remove_ibdev(c, 0, "manae_0"), 0);

	/* It comes back as configured, without ibv devices. */
	CHECK_INT(vf_sysfs_add_function(c, 0), 0);
	t_check_netdev(sys, &c->fn[0], 2, 3, true, 4000);
	t_pathf(path, "%s/bus/pci/devices/7870:00:00.0/infiniband", sys);
	CHECK(!t_exists(path));

	/* No temporary, staging or trash entry is left anywhere. */
	t_pathf(path, "%s/bus/pci", sys);
	CHECK_INT(t_count_entries(path, true), 0);
	t_pathf(path, "%s/bus/pci/devices", sys);
	CHECK_INT(t_count_entries(path, true), 0);
	t_pathf(path, "%s/class/net", sys);
	CHECK_INT(t_count_entries(path, true), 0);
	t_pathf(path, "%s/class/infiniband", sys);
	CHECK_INT(t_count_entries(path, true), 0);

	/* A leftover of a process that is gone is swept by init. */
	t_pathf(path, "%s/bus/pci/.staging-7870:00:00.0-%d-0", sys, INT_MAX - 1);
	CHECK(mkdir(path, 0755) == 0);
	t_pathf(path, "%s/bus/pci/.staging-7870:00:00.0-%d-0/vendor", sys, INT_MAX - 1);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK_INT(vf_sysfs_init(c), 0);
	t_pathf(path, "%s/bus/pci", sys);
	CHECK_INT(t_count_entries(path, true), 0);

	/* wipe: sys/ goes, the rest of the instance directory stays. */
	t_pathf(path, "%s/lock", inst);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	t_pathf(path, "%s/.wipe-sys-%d-0", inst, INT_MAX - 1);
	CHECK(mkdir(path, 0755) == 0);
	CHECK_INT(vf_sysfs_wipe(c), 0);
	CHECK(!t_exists(sys));
	t_pathf(path, "%s/lock", inst);
	CHECK(t_exists(path));
	CHECK_INT(t_count_entries(inst, false), 1);
	CHECK_INT(vf_sysfs_wipe(c), 0);
	CHECK(!vf_sysfs_function_present(c, 0));
	CHECK_INT(vf_sysfs_init(c), 0);
	CHECK_INT(vf_sysfs_add_function(c, 0), 0);
	t_check_netdev(sys, &c->fn[0], 1, 2, true, 1500);

	/* destroy and wipe: never outside root, never through a symlink. */
	t_pathf(path, "%s/outside", t_tmp);
	CHECK(mkdir(path, 0755) == 0);
	t_pathf(path, "%s/outside/sys", t_tmp);
	CHECK(mkdir(path, 0755) == 0);
	t_pathf(path, "%s/outside/keep", t_tmp);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	t_pathf(path, "%s/lnk", root);
	t_pathf(want, "%s/outside", t_tmp);
	CHECK(symlink(want, path) == 0);
	*bad = *c;
	strcpy(bad->instance, "lnk");
	ret = vf_sysfs_wipe(bad);
	CHECK(ret == -ENOTDIR || ret == -ELOOP);
	t_pathf(path, "%s/outside/sys", t_tmp);
	CHECK(t_is_dir(path));
	CHECK_INT(vf_sysfs_destroy(bad), 0);
	t_pathf(path, "%s/lnk", root);
	CHECK(!t_exists(path));
	t_pathf(path, "%s/outside/sys", t_tmp);
	CHECK(t_is_dir(path));
	t_pathf(path, "%s/link-out", inst);
	t_pathf(want, "%s/outside", t_tmp);
	CHECK(symlink(want, path) == 0);
	t_pathf(path, "%s/bus/pci/devices/7870:00:00.0/net/eth0/link-out", sys);
	CHECK(symlink(want, path) == 0);

	*bad = *c;
	strcpy(bad->instance, "..");
	CHECK_INT(vf_sysfs_destroy(bad), -EINVAL);
	CHECK_INT(vf_sysfs_wipe(bad), -EINVAL);
	strcpy(bad->instance, ".");
	CHECK_INT(vf_sysfs_destroy(bad), -EINVAL);
	CHECK_INT(vf_sysfs_wipe(bad), -EINVAL);
	strcpy(bad->instance, "t1/..");
	CHECK_INT(vf_sysfs_destroy(bad), -EINVAL);
	strcpy(bad->instance, "");
	CHECK_INT(vf_sysfs_destroy(bad), -EINVAL);
	strcpy(bad->instance, "t1");
	strcpy(bad->root, "relative");
	CHECK_INT(vf_sysfs_destroy(bad), -EINVAL);
	CHECK_INT(vf_sysfs_init(bad), -EINVAL);
	vf_sysfs_pci_devices_path(bad, path, sizeof(path));
	CHECK_STR(path, "");
	CHECK(t_is_dir(sys));

	/* A leftover of an interrupted destroy goes with the next one. */
	t_pathf(path, "%s/.destroy-t0-%d-0", root, INT_MAX - 1);
	CHECK(mkdir(path, 0755) == 0);
	CHECK_INT(vf_sysfs_destroy(c), 0);
	CHECK(!t_exists(inst));
	CHECK_INT(t_count_entries(root, false), 0);
	t_pathf(path, "%s/outside/keep", t_tmp);
	CHECK(t_exists(path));
	CHECK_INT(vf_sysfs_destroy(c), 0);
	CHECK_INT(vf_sysfs_wipe(c), 0);
	CHECK_INT(vf_sysfs_add_function(c, 0), -ENOENT);
	CHECK(!vf_sysfs_function_present(c, 0));
	CHECK_INT(t_count_entries(root, false), 0);
out:
	free(c);
	free(bad);
}

/* ------------------------------------------------------------------ */
/* A concurrent reader                                                 */
/* ------------------------------------------------------------------ */

struct t_reader_stats {
	unsigned long scans;
	unsigned long complete_fns;
	unsigned long vanished;
	unsigned long complete_ibdevs;
	unsigned long partial;
};

/*
 * Whether the directory open as @fd is still what @path names: if it is,
 * what was missing in it was missing while readers could see it.
 */
static bool
t_still_there(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static const char *const t_fn_files[] = {
	"vendor", "device", "subsystem_vendor", "subsystem_device", "class", "resource",
	"numa_node", "uevent",
};

/* A function directory as DPDK's PCI scan reads it: complete or gone. */
static void
t_reader_check_fn(const struct vf_config *c, const char *devices, const char *name,
		  struct t_reader_stats *st)
{
	char path[T_PATH], link[64], buf[64];
	const char *missing = NULL;
	int fd, ffd, idx;
	size_t i;
	ssize_t n;

	t_pathf(path, "%s/%s", devices, name);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		st->vanished++;
		return;
	}
	idx = vf_config_find_fn(c, name);
	if (idx < 0)
		missing = "(an unknown entry)";
	for (i = 0; missing == NULL && i < sizeof(t_fn_files) / sizeof(t_fn_files[0]); i++) {
		ffd = openat(fd, t_fn_files[i], O_RDONLY | O_CLOEXEC);
		if (ffd < 0) {
			missing = t_fn_files[i];
			break;
		}
		n = read(ffd, buf, sizeof(buf) - 1);
		close(ffd);
		if (n <= 0)
			missing = t_fn_files[i];
		else if (i == 0 && (n != 7 || memcmp(buf, "0x1414\n", 7) != 0))
			missing = "vendor content";
	}
	if (missing == NULL) {
		n = readlinkat(fd, "driver", link, sizeof(link) - 1);
		if (n < 0 || (link[n] = '\0', strcmp(link, "../../drivers/mana") != 0))
			missing = "driver";
	}
	for (i = 0; missing == NULL && i < c->fn[idx].nb_ports; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "net/%s/address", c->fn[idx].port[i].ifname);
		if (faccessat(fd, rel, R_OK, 0) != 0)
			missing = "net/<if>/address";
		snprintf(rel, sizeof(rel), "net/%s/flags", c->fn[idx].port[i].ifname);
		if (faccessat(fd, rel, R_OK, 0) != 0)
			missing = "net/<if>/flags";
	}
	if (missing == NULL) {
		st->complete_fns++;
	} else if (t_still_there(fd, path)) {
		st->partial++;
		printf("    reader: %s is missing %s\n", path, missing);
	} else {
		st->vanished++;
	}
	close(fd);
}

/* An ibv device found through its class symlink: complete or gone. */
static void
t_reader_check_ibdev(const char *class_ib, const char *name, struct t_reader_stats *st)
{
	static const char *const files[] = { "ibdev", "node_type", "device/vendor" };
	char path[T_PATH];
	int fd;
	size_t i;

	t_pathf(path, "%s/%s", class_ib, name);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		st->vanished++;
		return;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (faccessat(fd, files[i], R_OK, 0) != 0)
			break;
	if (i == sizeof(files) / sizeof(files[0])) {
		st->complete_ibdevs++;
	} else if (t_still_there(fd, path)) {
		st->partial++;
		printf("    reader: %s is missing %s\n", path, files[i]);
	} else {
		st->vanished++;
	}
	close(fd);
}

static void
t_scan_dir(const struct vf_config *c, const char *dir, bool ib, struct t_reader_stats *st)
{
	struct dirent *e;
	DIR *d;

	d = opendir(dir);
	if (d == NULL) {
		st->partial++;
		printf("    reader: cannot open %s: %s\n", dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_name[0] == '.') {
			st->partial++;
			printf("    reader: hidden entry %s in %s\n", e->d_name, dir);
			continue;
		}
		if (ib)
			t_reader_check_ibdev(dir, e->d_name, st);
		else
			t_reader_check_fn(c, dir, e->d_name, st);
	}
	closedir(d);
}

/* The reader process: scans until @stop_fd reaches EOF; its exit status. */
static int
t_reader(const struct vf_config *c, int stop_fd)
{
	struct t_reader_stats st = { 0 };
	struct pollfd pfd = { .fd = stop_fd, .events = POLLIN };
	char devices[T_PATH], class_ib[T_PATH];

	vf_sysfs_pci_devices_path(c, devices, sizeof(devices));
	t_pathf(class_ib, "%s/../../../class/infiniband", devices);
	while (poll(&pfd, 1, 0) == 0) {
		t_scan_dir(c, devices, false, &st);
		t_scan_dir(c, class_ib, true, &st);
		st.scans++;
	}
	printf("    reader: %lu scans, %lu complete functions, %lu complete ibv devices, "
	       "%lu vanished while read, %lu partial\n", st.scans, st.complete_fns,
	       st.complete_ibdevs, st.vanished, st.partial);
	fflush(stdout);
	if (st.partial > 0)
		return 1;
	return st.complete_fns > 0 && st.complete_ibdevs > 0 ? 0 : 2;
}

static void
test_concurrent_reader(void)
{
	struct vf_config *c = calloc(1, sizeof(*c));
	char text[1024], err[256], root[T_PATH];
	int pipefd[2] = { -1, -1 };
	int i, status, errors = 0;
	pid_t pid;

	printf("concurrent reader, %d add/remove rounds\n", T_ITERATIONS);
	if (!CHECK(c != NULL))
		return;
	t_pathf(root, "%s/root", t_tmp);
	snprintf(text, sizeof(text), "root=%s;instance=conc;fn=7870:00:00.0,ports=3;"
		 "fn=7870:00:01.0,ports=1", root);
	if (!CHECK(t_parse(text, c, err, sizeof(err)) == 0) || !CHECK(vf_sysfs_init(c) == 0) ||
	    !CHECK(pipe(pipefd) == 0))
		goto out;
	/* One function stays, so that the reader always has something to read. */
	CHECK_INT(vf_sysfs_add_function(c, 1), 0);
	CHECK_INT(vf_sysfs_add_ibdev(c, 1, "manae_1"), 0);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pipefd[1]);
		i = t_reader(c, pipefd[0]);
		close(pipefd[0]);
		free(c);
		_exit(i);
	}
	close(pipefd[0]);
	if (!CHECK(pid > 0)) {
		close(pipefd[1]);
		goto out;
	}
	for (i = 0; i < T_ITERATIONS; i++) {
		errors += vf_sysfs_add_function(c, 0) != 0;
		errors += vf_sysfs_add_ibdev(c, 0, "manae_0") != 0;
		errors += vf_sysfs_add_ibdev(c, 0, "mana_0") != 0;
		errors += vf_sysfs_set_netdev(c, 0, 1, i % 2 == 0, 1500 + (uint32_t)i) != 0;
		errors += vf_sysfs_remove_ibdev(c, 0, "mana_0") != 0;
		if (i % 3 == 0)
			errors += vf_sysfs_remove_ibdev(c, 0, "manae_0") != 0;
		errors += vf_sysfs_remove_function(c, 0) != 0;
		if (i % 10 == 0) {
			errors += vf_sysfs_remove_function(c, 1) != 0;
			errors += vf_sysfs_add_function(c, 1) != 0;
			errors += vf_sysfs_add_ibdev(c, 1, "manae_1") != 0;
		}
	}
	close(pipefd[1]);
	CHECK_INT(errors, 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	if (!CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		printf("      reader status 0x%x\n", status);
	CHECK(!vf_sysfs_function_present(c, 0));
	CHECK(vf_sysfs_function_present(c, 1));
	CHECK_INT(vf_sysfs_destroy(c), 0);
	CHECK_INT(t_count_entries(root, false), 0);
out:
	free(c);
}

/*
 * The uevent messages of a PCI function, byte for byte: "ACTION@DEVPATH"
 * then ACTION, DEVPATH, SUBSYSTEM, the variables of the device and its bus,
 * SEQNUM, each NUL-terminated (Linux lib/kobject_uevent.c, alloc_uevent_skb
 * and kobject_uevent_env; drivers/pci/pci-driver.c, pci_uevent; DRIVER only
 * while bound, drivers/base/core.c dev_uevent). EAL reads ACTION, SUBSYSTEM
 * and PCI_SLOT_NAME (lib/eal/linux/eal_dev.c, dev_uev_parse).
 */
static void
test_uevent_msg(void)
{
	struct vf_config *c = calloc(1, sizeof(*c));
#define T_DEVPATH "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/" \
	"00000001-beef-0000-0000-000000000000/pcibeef:00/beef:12:1f.3"
#define T_PCI_VARS "PCI_CLASS=20000\0PCI_ID=1414:00B9\0PCI_SUBSYS_ID=1414:0000\0" \
	"PCI_SLOT_NAME=beef:12:1f.3\0" \
	"MODALIAS=pci:v00001414d000000B9sv00001414sd00000000bc02sc00i00\0"
	static const char remove[] = "remove@" T_DEVPATH "\0ACTION=remove\0DEVPATH=" T_DEVPATH
		"\0SUBSYSTEM=pci\0" T_PCI_VARS "SEQNUM=42";
	static const char bind[] = "bind@" T_DEVPATH "\0ACTION=bind\0DEVPATH=" T_DEVPATH
		"\0SUBSYSTEM=pci\0DRIVER=mana\0" T_PCI_VARS "SEQNUM=18446744073709551615";
#undef T_DEVPATH
#undef T_PCI_VARS
	char text[128], err[256], buf[VF_UEVENT_MSG_MAX];
	int n;

	printf("uevent_msg\n");
	if (!CHECK(c != NULL))
		goto out;
	/* Nothing is written: the message names no file. */
	snprintf(text, sizeof(text), "instance=t_uev;fn=7870:00:00.0;fn=BEEF:12:1F.3,device=pf");
	if (!CHECK(t_parse(text, c, err, sizeof(err)) == 0)) {
		printf("      %s\n", err);
		goto out;
	}
	/* sizeof includes the last variable's NUL. */
	n = vf_sysfs_uevent_msg(c, 1, "remove", 42, buf, sizeof(buf));
	CHECK_INT(n, sizeof(remove));
	CHECK(n == (int)sizeof(remove) && memcmp(buf, remove, sizeof(remove)) == 0);
	n = vf_sysfs_uevent_msg(c, 1, "bind", UINT64_MAX, buf, sizeof(buf));
	CHECK_INT(n, sizeof(bind));
	CHECK(n == (int)sizeof(bind) && memcmp(buf, bind, sizeof(bind)) == 0);
	/* unbind: the driver is gone from the device first (drivers/base/dd.c). */
	n = vf_sysfs_uevent_msg(c, 1, "unbind", 1, buf, sizeof(buf));
	CHECK(n > 0 && memmem(buf, (size_t)n, "DRIVER=", 7) == NULL);
	CHECK(n > 0 && strncmp(buf, "unbind@/devices/", 16) == 0);
	/* Function 0: its own slot name and domain. */
	n = vf_sysfs_uevent_msg(c, 0, "add", 3, buf, sizeof(buf));
#define T_HAS(lit) (n > 0 && memmem(buf, (size_t)n, lit, sizeof(lit) - 1) != NULL)
	CHECK(T_HAS("\0PCI_SLOT_NAME=7870:00:00.0\0"));
	CHECK(T_HAS("/pci7870:00/7870:00:00.0\0"));
	CHECK(T_HAS("\0ACTION=add\0"));
#undef T_HAS
	/* Never a partial message; unknown function. */
	CHECK_INT(vf_sysfs_uevent_msg(c, 1, "remove", 42, buf, sizeof(remove) - 1), -ENOSPC);
	CHECK_INT(vf_sysfs_uevent_msg(c, 1, "remove", 42, buf, 10), -ENOSPC);
	CHECK_INT(vf_sysfs_uevent_msg(c, 2, "remove", 42, buf, sizeof(buf)), -EINVAL);
	CHECK_INT(vf_sysfs_uevent_msg(c, 0, NULL, 42, buf, sizeof(buf)), -EINVAL);
out:
	free(c);
}

/* ------------------------------------------------------------------ */

static int
t_run(void)
{
	test_defaults();
	test_full();
	test_more_valid();
	test_errors();
	test_sysfs();
	test_uevent_msg();
	test_concurrent_reader();
	printf("%u checks, %u failed\n", t_checks, t_failures);
	return t_failures == 0 ? 0 : 1;
}

static volatile pid_t t_child;

static void
t_forward(int sig)
{
	if (t_child > 0)
		kill(t_child, sig);
}

int
main(void)
{
	struct sigaction sa;
	int status = 0, ret;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(t_tmp, sizeof(t_tmp), "%s/test_vf_config.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(t_tmp) == NULL) {
		printf("mkdtemp %s: %s\n", t_tmp, strerror(errno));
		return 1;
	}

	/* The tests run in a child; this process only cleans up after it. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = t_forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		exit(t_run());
	}
	if (pid > 0) {
		t_child = pid;
		while ((ret = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (ret != pid)
			status = -1;
	}
	t_rm_tree(t_tmp);
	if (access(t_tmp, F_OK) == 0)
		printf("could not delete %s\n", t_tmp);
	if (pid < 0) {
		printf("fork: %s\n", strerror(errno));
		return 1;
	}
	if (WIFSIGNALED(status)) {
		printf("tests killed by signal %d\n", WTERMSIG(status));
		return 1;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
