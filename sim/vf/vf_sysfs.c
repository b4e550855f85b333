/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The sysfs tree of a software MANA VF instance (layout: vf_sysfs.h).
 *
 * Readers (DPDK's PCI scan, the emulated rdma-core) may look at any time, so
 * nothing is ever visible half-built:
 *  - a PCI function is built under sys/bus/pci/.staging-<bdf>-<pid> and
 *    renamed into devices/; it is removed by renaming it out to a hidden
 *    trash name in sys/bus/pci/ and deleting it there;
 *  - an ibv device directory is built the same way, then renamed into the
 *    function's infiniband/, and only then gets its class symlink; removal
 *    takes the class symlink away first;
 *  - single files and symlinks are made under a temporary name in
 *    sys/bus/pci/ (a directory no reader lists) and renamed over.
 * Writers of one instance are serialised by the caller.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "vf_sysfs.h"

#define VF_SYSFS_IBDEV_MAX	63	/* IB_DEVICE_NAME_MAX - 1 */
#define VF_NETDEV_MIN_MTU	68u
#define VF_NETDEV_MAX_MTU	9000u
#define VF_RM_MAX_DEPTH		32
#define VF_PCI_RESOURCE_LINES	13	/* 6 BARs, the ROM, 6 SR-IOV BARs */
#define VF_IFF_UP		0x1u
#define VF_IFF_BROADCAST	0x2u
#define VF_IFF_MULTICAST	0x1000u

#define VF_DRIVER_LINK		"../../drivers/mana"
#define VF_IBDEV_DEVICE_LINK	"../.."
#define VF_CLASS_TO_DEVICES	"../../bus/pci/devices/"

/* Makes temporary names unique within the process (the pid across processes). */
static atomic_uint vf_tmp_seq;

static int
vf_pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
vf_pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* "dddd:bb:dd.f" in lower case, as vf_config_parse stores it. */
static bool
vf_bdf_ok(const char *s)
{
	static const char pattern[] = "xxxx:xx:xx.x";
	size_t i;

	for (i = 0; i < sizeof(pattern); i++) {
		char c = s[i];

		if (pattern[i] == 'x') {
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return false;
		} else if (c != pattern[i]) {
			return false;
		}
	}
	return true;
}

/*
 * <root>/<instance>. The instance name must be a single path component
 * other than "." and "..", so the directory is strictly inside root.
 */
static int
vf_inst_path(const struct vf_config *conf, char *buf, size_t len)
{
	size_t rlen = strnlen(conf->root, VF_PATH_MAX);

	if (rlen == 0 || rlen == VF_PATH_MAX || conf->root[0] != '/' ||
	    !vf_config_name_ok(conf->instance, VF_NAME_MAX - 1))
		return -EINVAL;
	if (strcmp(conf->root, "/") == 0)
		return vf_pathf(buf, len, "/%s", conf->instance);
	return vf_pathf(buf, len, "%s/%s", conf->root, conf->instance);
}

/* <root>/<instance>/sys/<rel>. */
static int
vf_sys_path(const struct vf_config *conf, char *buf, size_t len, const char *rel)
{
	char inst[VF_SYSFS_PATH_MAX];
	int ret;

	ret = vf_inst_path(conf, inst, sizeof(inst));
	if (ret != 0)
		return ret;
	return vf_pathf(buf, len, "%s/sys%s%s", inst, rel[0] != '\0' ? "/" : "", rel);
}

static const struct vf_fn_conf *
vf_fn(const struct vf_config *conf, uint32_t fn)
{
	if (conf == NULL || fn >= conf->nb_fns || fn >= VF_MAX_FNS)
		return NULL;
	if (!vf_bdf_ok(conf->fn[fn].bdf))
		return NULL;
	return &conf->fn[fn];
}

/* sys/bus/pci/devices/<bdf>. */
static int
vf_fn_path(const struct vf_config *conf, const struct vf_fn_conf *f, char *buf, size_t len)
{
	char rel[64];
	int ret;

	ret = vf_pathf(rel, sizeof(rel), "bus/pci/devices/%s", f->bdf);
	if (ret != 0)
		return ret;
	return vf_sys_path(conf, buf, len, rel);
}

/* A hidden name in sys/bus/pci/ for a temporary, staging or trash entry. */
static int
vf_hidden_path(const struct vf_config *conf, char *buf, size_t len, const char *kind,
	       const char *what)
{
	char rel[128];
	int ret;

	ret = vf_pathf(rel, sizeof(rel), "bus/pci/.%s-%s-%ld-%u", kind, what, (long)getpid(),
		       atomic_fetch_add(&vf_tmp_seq, 1));
	if (ret != 0)
		return ret;
	return vf_sys_path(conf, buf, len, rel);
}

/* ------------------------------------------------------------------ */
/* File system helpers                                                 */
/* ------------------------------------------------------------------ */

static int
vf_mkdir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) != 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* mkdir -p of an absolute path. */
static int
vf_mkdir_p(const char *path)
{
	char buf[VF_SYSFS_PATH_MAX];
	size_t i;
	int ret;

	if (vf_pathf(buf, sizeof(buf), "%s", path) != 0)
		return -ENAMETOOLONG;
	for (i = 1; buf[i] != '\0'; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		ret = vf_mkdir(buf);
		buf[i] = '/';
		if (ret != 0)
			return ret;
	}
	return vf_mkdir(buf);
}

/*
 * Delete @name in directory @pfd and everything below it, never following a
 * symlink and never entering another file system than @dev's.
 */
static int
vf_rm_at(int pfd, const char *name, dev_t dev, int depth)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd, ret, first = 0;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(pfd, name, 0) != 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (st.st_dev != dev)
		return -EXDEV;
	if (depth >= VF_RM_MAX_DEPTH)
		return -ELOOP;
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (d == NULL) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		ret = vf_rm_at(fd, e->d_name, dev, depth + 1);
		if (ret != 0 && first == 0)
			first = ret;
	}
	closedir(d);
	if (unlinkat(pfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT && first == 0)
		first = -errno;
	return first;
}

/* Delete @path recursively (absent: 0). */
static int
vf_rm_path(const char *path)
{
	char parent[VF_SYSFS_PATH_MAX];
	struct stat st;
	char *slash;
	int fd, ret;

	if (vf_pathf(parent, sizeof(parent), "%s", path) != 0)
		return -ENAMETOOLONG;
	slash = strrchr(parent, '/');
	if (slash == NULL || slash[1] == '\0')
		return -EINVAL;
	*slash = '\0';
	fd = open(slash == parent ? "/" : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = vf_rm_at(fd, slash + 1, st.st_dev, 0);
	close(fd);
	return ret;
}

static int
vf_write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write @path (@content) under a temporary name, then rename it over. */
static int
vf_write_file(const struct vf_config *conf, const char *path, const char *content)
{
	char tmp[VF_SYSFS_PATH_MAX];
	int fd, ret;

	ret = vf_hidden_path(conf, tmp, sizeof(tmp), "tmp", "file");
	if (ret != 0)
		return ret;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = vf_write_all(fd, content, strlen(content));
	if (close(fd) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) != 0)
		ret = -errno;
	if (ret != 0)
		unlink(tmp);
	return ret;
}

static int
vf_write_filef(const struct vf_config *conf, const char *dir, const char *name,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* dir/name with printf content. */
static int
vf_write_filef(const struct vf_config *conf, const char *dir, const char *name,
	       const char *fmt, ...)
{
	char path[VF_SYSFS_PATH_MAX];
	char content[1024];
	va_list ap;
	int n, ret;

	ret = vf_pathf(path, sizeof(path), "%s/%s", dir, name);
	if (ret != 0)
		return ret;
	va_start(ap, fmt);
	n = vsnprintf(content, sizeof(content), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(content))
		return -EOVERFLOW;
	return vf_write_file(conf, path, content);
}

/* Make (or replace) symlink @path -> @target atomically. */
static int
vf_symlink(const struct vf_config *conf, const char *target, const char *path)
{
	char tmp[VF_SYSFS_PATH_MAX];
	int ret;

	ret = vf_hidden_path(conf, tmp, sizeof(tmp), "tmp", "link");
	if (ret != 0)
		return ret;
	if (symlink(target, tmp) != 0)
		return -errno;
	if (rename(tmp, path) != 0) {
		ret = -errno;
		unlink(tmp);
		return ret;
	}
	return 0;
}

/* Whether @path is a symlink with exactly @target. */
static bool
vf_link_is(const char *path, const char *target)
{
	char buf[VF_SYSFS_PATH_MAX];
	ssize_t n;

	n = readlink(path, buf, sizeof(buf));
	if (n < 0 || (size_t)n >= sizeof(buf))
		return false;
	buf[n] = '\0';
	return strcmp(buf, target) == 0;
}

static bool
vf_is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Remove the symlinks in class directory @dir whose target starts with @prefix. */
static int
vf_unlink_class_links(const char *dir, const char *prefix)
{
	char buf[VF_SYSFS_PATH_MAX];
	size_t plen = strlen(prefix);
	struct dirent *e;
	int ret = 0;
	ssize_t n;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), e->d_name, buf, sizeof(buf));
		if (n < 0 || (size_t)n >= sizeof(buf))
			continue;
		buf[n] = '\0';
		if (strncmp(buf, prefix, plen) != 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) != 0 && errno != ENOENT && ret == 0)
			ret = -errno;
	}
	closedir(d);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Instance                                                            */
/* ------------------------------------------------------------------ */

/*
 * Delete the hidden entries "<prefix>...-<pid>-<seq>" of directory @dfd
 * (staging, trash, temporary) that processes which no longer run left behind.
 */
static void
vf_sweep_hidden(int dfd, const char *prefix)
{
	size_t plen = strlen(prefix);
	struct dirent *e;
	struct stat st;
	char *dash, *end;
	long pid;
	DIR *d;
	int fd;

	fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	rewinddir(d);
	if (fstat(dirfd(d), &st) != 0) {
		closedir(d);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char name[sizeof(e->d_name)];

		if (strncmp(e->d_name, prefix, plen) != 0 || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		strcpy(name, e->d_name);
		dash = strrchr(name, '-');
		if (dash == NULL)
			continue;
		*dash = '\0';
		dash = strrchr(name, '-');
		if (dash == NULL)
			continue;
		errno = 0;
		pid = strtol(dash + 1, &end, 10);
		if (errno != 0 || *end != '\0' || pid <= 0 || (pid_t)pid != pid)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		vf_rm_at(dirfd(d), e->d_name, st.st_dev, 0);
	}
	closedir(d);
}

/* vf_sweep_hidden() of directory @path. */
static void
vf_sweep_hidden_path(const char *path, const char *prefix)
{
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	vf_sweep_hidden(fd, prefix);
	close(fd);
}

static const char *const vf_sys_dirs[] = {
	"bus",
	"bus/pci",
	"bus/pci/devices",
	"bus/pci/drivers",
	"bus/pci/drivers/mana",
	"class",
	"class/infiniband",
	"class/net",
};

int
vf_sysfs_init(const struct vf_config *conf)
{
	char path[VF_SYSFS_PATH_MAX];
	size_t i;
	int ret;

	if (conf == NULL)
		return -EINVAL;
	ret = vf_sys_path(conf, path, sizeof(path), "");
	if (ret != 0)
		return ret;
	ret = vf_mkdir_p(path);
	if (ret != 0)
		return ret;
	for (i = 0; i < sizeof(vf_sys_dirs) / sizeof(vf_sys_dirs[0]); i++) {
		ret = vf_sys_path(conf, path, sizeof(path), vf_sys_dirs[i]);
		if (ret != 0)
			return ret;
		ret = vf_mkdir(path);
		if (ret != 0)
			return ret;
	}
	ret = vf_sys_path(conf, path, sizeof(path), "bus/pci");
	if (ret == 0)
		vf_sweep_hidden_path(path, ".");
	return 0;
}

int
vf_sysfs_destroy(const struct vf_config *conf)
{
	char inst[VF_SYSFS_PATH_MAX];
	char trash[VF_NAME_MAX + 64];
	struct stat st;
	int rootfd, ret;

	if (conf == NULL)
		return -EINVAL;
	/* Refuses an instance name that is not one component inside root. */
	ret = vf_inst_path(conf, inst, sizeof(inst));
	if (ret != 0)
		return ret;
	rootfd = open(conf->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(rootfd, &st) != 0) {
		ret = -errno;
		close(rootfd);
		return ret;
	}
	/* The instance goes at once for its readers, then is deleted. */
	ret = vf_pathf(trash, sizeof(trash), ".destroy-%s-%ld-%u", conf->instance,
		       (long)getpid(), atomic_fetch_add(&vf_tmp_seq, 1));
	if (ret == 0 && renameat(rootfd, conf->instance, rootfd, trash) != 0)
		ret = -errno;
	if (ret == -ENOENT) {
		close(rootfd);
		return 0;
	}
	ret = vf_rm_at(rootfd, ret == 0 ? trash : conf->instance, st.st_dev, 0);
	vf_sweep_hidden(rootfd, ".destroy-");
	close(rootfd);
	return ret;
}

int
vf_sysfs_wipe(const struct vf_config *conf)
{
	char inst[VF_SYSFS_PATH_MAX];
	char trash[64];
	struct stat st;
	int fd, ret;

	if (conf == NULL)
		return -EINVAL;
	ret = vf_inst_path(conf, inst, sizeof(inst));
	if (ret != 0)
		return ret;
	/* Not through a symlink: only this instance's own sys/ goes. */
	fd = open(inst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* The tree goes at once for its readers, then is deleted. */
	ret = vf_pathf(trash, sizeof(trash), ".wipe-sys-%ld-%u", (long)getpid(),
		       atomic_fetch_add(&vf_tmp_seq, 1));
	if (ret == 0 && renameat(fd, "sys", fd, trash) != 0)
		ret = -errno;
	if (ret == -ENOENT)
		ret = 0;
	else
		ret = vf_rm_at(fd, ret == 0 ? trash : "sys", st.st_dev, 0);
	vf_sweep_hidden(fd, ".wipe-");
	close(fd);
	return ret;
}

void
vf_sysfs_pci_devices_path(const struct vf_config *conf, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return;
	if (conf == NULL || vf_sys_path(conf, buf, len, "bus/pci/devices") != 0)
		buf[0] = '\0';
}

void
vf_sysfs_ibdev_path(const struct vf_config *conf, const char *ibdev, char *buf, size_t len)
{
	char rel[VF_SYSFS_IBDEV_MAX + 32];

	if (buf == NULL || len == 0)
		return;
	if (conf == NULL || ibdev == NULL || !vf_config_name_ok(ibdev, VF_SYSFS_IBDEV_MAX) ||
	    vf_pathf(rel, sizeof(rel), "class/infiniband/%s", ibdev) != 0 ||
	    vf_sys_path(conf, buf, len, rel) != 0)
		buf[0] = '\0';
}

/* ------------------------------------------------------------------ */
/* PCI functions                                                       */
/* ------------------------------------------------------------------ */

/* Port number (1-based) @port's ifindex: stable, 1 being lo. */
static uint32_t
vf_ifindex(const struct vf_config *conf, uint32_t fn, uint32_t port)
{
	uint32_t i, k = 0;

	for (i = 0; i < fn; i++)
		k += conf->fn[i].nb_ports;
	return k + port - 1 + 2;
}

static int
vf_write_netdev_state(const struct vf_config *conf, const char *dir, bool up, uint32_t mtu)
{
	uint32_t flags = VF_IFF_BROADCAST | VF_IFF_MULTICAST | (up ? VF_IFF_UP : 0);
	int ret;

	ret = vf_write_filef(conf, dir, "mtu", "%u\n", mtu);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "flags", "0x%x\n", flags);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "carrier", "%d\n", up ? 1 : 0);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "operstate", "%s\n", up ? "up" : "down");
	return ret;
}

/* net/<ifname>/ of port @port in function directory @fdir. */
static int
vf_build_netdev(const struct vf_config *conf, uint32_t fn, uint32_t port, const char *fdir)
{
	const struct vf_port_conf *pc = &conf->fn[fn].port[port - 1];
	const uint8_t *m = pc->mac;
	char dir[VF_SYSFS_PATH_MAX];
	int ret;

	if (!vf_config_name_ok(pc->ifname, VF_IFNAME_MAX - 1))
		return -EINVAL;
	ret = vf_pathf(dir, sizeof(dir), "%s/net/%s", fdir, pc->ifname);
	if (ret == 0)
		ret = vf_mkdir(dir);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "address", "%02x:%02x:%02x:%02x:%02x:%02x\n",
				     m[0], m[1], m[2], m[3], m[4], m[5]);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "dev_port", "%u\n", port - 1);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "ifindex", "%u\n", vf_ifindex(conf, fn, port));
	if (ret == 0)
		ret = vf_write_netdev_state(conf, dir, pc->up, pc->mtu);
	return ret;
}

/*
 * The variables the kernel adds to every uevent of a PCI device, each ended
 * by @sep: DRIVER while a driver is bound (drivers/base/core.c, dev_uevent),
 * then the PCI bus's own (drivers/pci/pci-driver.c, pci_uevent). The class
 * is 0x020000 (Ethernet controller). Returns the length, or -ENOSPC.
 */
static int
vf_pci_env(const struct vf_fn_conf *f, bool bound, char sep, char *buf, size_t len)
{
	const unsigned int class = 0x020000;
	int n = 0, m;

	if (bound)
		n = snprintf(buf, len, "DRIVER=mana%c", sep);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	m = snprintf(buf + n, len - (size_t)n,
		     "PCI_CLASS=%04X%c"
		     "PCI_ID=%04X:%04X%c"
		     "PCI_SUBSYS_ID=%04X:%04X%c"
		     "PCI_SLOT_NAME=%s%c"
		     "MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X%c",
		     class, sep,
		     VF_PCI_VENDOR, f->device_id, sep,
		     VF_PCI_VENDOR, 0, sep,
		     f->bdf, sep,
		     VF_PCI_VENDOR, f->device_id, VF_PCI_VENDOR, 0,
		     (class >> 16) & 0xff, (class >> 8) & 0xff, class & 0xff, sep);
	if (m < 0 || (size_t)m >= len - (size_t)n)
		return -ENOSPC;
	return n + m;
}

/*
 * DEVPATH of the function, as a Hyper-V VF has it: under the VMBus device
 * of its pci-hyperv bridge (named by its instance GUID, drivers/hv/vmbus_drv.c
 * vmbus_device_register: "%pUl"), whose bytes 4-5 are the PCI domain
 * (drivers/pci/controller/pci-hyperv.c, hv_pci_probe), then the root bus
 * "pci%04x:%02x" (drivers/pci/probe.c) and the function. The ACPI prefix
 * is the VM's; EAL reads none of it (lib/eal/linux/eal_dev.c reads ACTION,
 * SUBSYSTEM and PCI_SLOT_NAME).
 */
static int
vf_devpath(const struct vf_fn_conf *f, uint32_t fn, char *buf, size_t len)
{
	char domain[5];

	memcpy(domain, f->bdf, 4);
	domain[4] = '\0';
	return vf_pathf(buf, len, "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/"
			"%08x-%s-0000-0000-000000000000/pci%s:00/%s", fn, domain, domain, f->bdf);
}

int
vf_sysfs_uevent_msg(const struct vf_config *conf, uint32_t fn, const char *action,
		    uint64_t seqnum, char *buf, size_t len)
{
	const struct vf_fn_conf *f = vf_fn(conf, fn);
	char devpath[160];
	int n, env;

	if (f == NULL || action == NULL)
		return -EINVAL;
	if (vf_devpath(f, fn, devpath, sizeof(devpath)) != 0)
		return -ENAMETOOLONG;
	/* Header "ACTION@DEVPATH", then the variables (lib/kobject_uevent.c). */
	n = snprintf(buf, len, "%s@%s%cACTION=%s%cDEVPATH=%s%cSUBSYSTEM=pci%c", action, devpath,
		     '\0', action, '\0', devpath, '\0', '\0');
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	/* Bound at "bind" only: unbind clears dev->driver first (drivers/base/dd.c). */
	env = vf_pci_env(f, strcmp(action, "bind") == 0, '\0', buf + n, len - (size_t)n);
	if (env < 0)
		return env;
	n += env;
	env = snprintf(buf + n, len - (size_t)n, "SEQNUM=%" PRIu64 "%c", seqnum, '\0');
	if (env < 0 || (size_t)env >= len - (size_t)n)
		return -ENOSPC;
	return n + env;
}

int
vf_sysfs_ibdev_uevent_msg(const struct vf_config *conf, uint32_t fn, const char *ibdev,
			  uint32_t uverbs, bool verbs, const char *action, uint64_t seqnum,
			  char *buf, size_t len)
{
	const struct vf_fn_conf *f = vf_fn(conf, fn);
	char devpath[VF_SYSFS_PATH_MAX];
	int n;

	if (f == NULL || action == NULL || ibdev == NULL ||
	    !vf_config_name_ok(ibdev, VF_SYSFS_IBDEV_MAX))
		return -EINVAL;
	if (vf_devpath(f, fn, devpath, sizeof(devpath)) != 0)
		return -ENAMETOOLONG;
	if (verbs)
		n = snprintf(buf, len, "%s@%s/infiniband_verbs/uverbs%u%cACTION=%s%c"
			     "DEVPATH=%s/infiniband_verbs/uverbs%u%cSUBSYSTEM=infiniband_verbs%c"
			     "MAJOR=231%cMINOR=%u%cDEVNAME=infiniband/uverbs%u%cDEVMODE=0666%c"
			     "SEQNUM=%" PRIu64 "%c", action, devpath, uverbs, '\0', action, '\0',
			     devpath, uverbs, '\0', '\0', '\0', 192u + uverbs, '\0', uverbs, '\0',
			     '\0', seqnum, '\0');
	else
		n = snprintf(buf, len, "%s@%s/infiniband/%s%cACTION=%s%cDEVPATH=%s/infiniband/%s%c"
			     "SUBSYSTEM=infiniband%cNAME=%s%cSEQNUM=%" PRIu64 "%c", action, devpath,
			     ibdev, '\0', action, '\0', devpath, ibdev, '\0', '\0', ibdev, '\0',
			     seqnum, '\0');
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

/* Everything of the function's directory, in @dir (the staging directory). */
static int
vf_build_function(const struct vf_config *conf, uint32_t fn, const char *dir)
{
	const struct vf_fn_conf *f = &conf->fn[fn];
	char path[VF_SYSFS_PATH_MAX];
	char res[VF_PCI_RESOURCE_LINES * 60 + 1];
	char env[VF_UEVENT_MSG_MAX];
	size_t off = 0;
	uint32_t port;
	int i, ret;

	/* No BAR: the VF is reached through verbs only. */
	for (i = 0; i < VF_PCI_RESOURCE_LINES; i++)
		off += (size_t)snprintf(res + off, sizeof(res) - off,
					"0x%016llx 0x%016llx 0x%016llx\n", 0ull, 0ull, 0ull);

	ret = vf_mkdir(dir);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "vendor", "0x%04x\n", VF_PCI_VENDOR);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "device", "0x%04x\n", f->device_id);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "subsystem_vendor", "0x%04x\n", VF_PCI_VENDOR);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "subsystem_device", "0x%04x\n", 0);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "class", "0x%06x\n", 0x020000);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "resource", "%s", res);
	if (ret == 0)
		ret = vf_write_filef(conf, dir, "numa_node", "%d\n", f->numa);
	if (ret == 0)
		ret = vf_pci_env(f, true, '\n', env, sizeof(env));
	if (ret > 0)
		ret = vf_write_filef(conf, dir, "uevent", "%s", env);
	if (ret != 0)
		return ret;

	ret = vf_pathf(path, sizeof(path), "%s/driver", dir);
	if (ret != 0)
		return ret;
	if (symlink(VF_DRIVER_LINK, path) != 0)
		return -errno;
	ret = vf_pathf(path, sizeof(path), "%s/net", dir);
	if (ret == 0)
		ret = vf_mkdir(path);
	for (port = 1; ret == 0 && port <= f->nb_ports && port <= VF_MAX_PORTS; port++)
		ret = vf_build_netdev(conf, fn, port, dir);
	return ret;
}

/* class/net/<ifname> of every port of a present function. */
static int
vf_link_netdevs(const struct vf_config *conf, const struct vf_fn_conf *f)
{
	char link[VF_SYSFS_PATH_MAX];
	char target[VF_SYSFS_PATH_MAX];
	char rel[64];
	uint32_t port;
	int ret;

	for (port = 1; port <= f->nb_ports && port <= VF_MAX_PORTS; port++) {
		const char *ifname = f->port[port - 1].ifname;

		ret = vf_pathf(rel, sizeof(rel), "class/net/%s", ifname);
		if (ret == 0)
			ret = vf_sys_path(conf, link, sizeof(link), rel);
		if (ret == 0)
			ret = vf_pathf(target, sizeof(target), VF_CLASS_TO_DEVICES "%s/net/%s",
				       f->bdf, ifname);
		if (ret == 0 && !vf_link_is(link, target))
			ret = vf_symlink(conf, target, link);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* Class symlinks (net and infiniband) into function @f's directory. */
static int
vf_unlink_function_links(const struct vf_config *conf, const struct vf_fn_conf *f)
{
	char dir[VF_SYSFS_PATH_MAX];
	char prefix[64];
	int ret, ret2;

	ret = vf_pathf(prefix, sizeof(prefix), VF_CLASS_TO_DEVICES "%s/", f->bdf);
	if (ret != 0)
		return ret;
	/* ibv devices first: their users go before the netdevs do. */
	ret = vf_sys_path(conf, dir, sizeof(dir), "class/infiniband");
	if (ret == 0)
		ret = vf_unlink_class_links(dir, prefix);
	ret2 = vf_sys_path(conf, dir, sizeof(dir), "class/net");
	if (ret2 == 0)
		ret2 = vf_unlink_class_links(dir, prefix);
	return ret != 0 ? ret : ret2;
}

/* Rename @path out of sight (sys/bus/pci/.trash-...), then delete it. */
static int
vf_trash(const struct vf_config *conf, const char *path, const char *what)
{
	char trash[VF_SYSFS_PATH_MAX];
	int ret;

	ret = vf_hidden_path(conf, trash, sizeof(trash), "trash", what);
	if (ret != 0)
		return ret;
	if (rename(path, trash) != 0)
		return errno == ENOENT ? 0 : -errno;
	return vf_rm_path(trash);
}

int
vf_sysfs_add_function(const struct vf_config *conf, uint32_t fn)
{
	const struct vf_fn_conf *f = vf_fn(conf, fn);
	char staging[VF_SYSFS_PATH_MAX];
	char final[VF_SYSFS_PATH_MAX];
	int ret;

	if (f == NULL)
		return -EINVAL;
	ret = vf_fn_path(conf, f, final, sizeof(final));
	if (ret != 0)
		return ret;
	if (vf_is_dir(final))
		return vf_link_netdevs(conf, f);

	ret = vf_hidden_path(conf, staging, sizeof(staging), "staging", f->bdf);
	if (ret != 0)
		return ret;
	vf_rm_path(staging);
	ret = vf_build_function(conf, fn, staging);
	if (ret == 0 && rename(staging, final) != 0)
		ret = -errno;
	if (ret != 0) {
		vf_rm_path(staging);
		/* Another writer got there first: the function is present. */
		if ((ret == -EEXIST || ret == -ENOTEMPTY) && vf_is_dir(final))
			return vf_link_netdevs(conf, f);
		return ret;
	}
	ret = vf_link_netdevs(conf, f);
	if (ret != 0) {
		vf_unlink_function_links(conf, f);
		vf_trash(conf, final, f->bdf);
	}
	return ret;
}

int
vf_sysfs_remove_function(const struct vf_config *conf, uint32_t fn)
{
	const struct vf_fn_conf *f = vf_fn(conf, fn);
	char path[VF_SYSFS_PATH_MAX];
	int ret, ret2;

	if (f == NULL)
		return -EINVAL;
	ret = vf_fn_path(conf, f, path, sizeof(path));
	if (ret != 0)
		return ret;
	ret = vf_unlink_function_links(conf, f);
	ret2 = vf_trash(conf, path, f->bdf);
	return ret2 != 0 ? ret2 : ret;
}

bool
vf_sysfs_function_present(const struct vf_config *conf, uint32_t fn)
{
	const struct vf_fn_conf *f = vf_fn(conf, fn);
	char path[VF_SYSFS_PATH_MAX];

	if (f == NULL || vf_fn_path(conf, f, path, sizeof(path)) != 0)
		return false;
	return vf_is_dir(path);
}

/* ------------------------------------------------------------------ */
/* ibv devices                                                         */
/* ------------------------------------------------------------------ */

/* The paths of ibv device @ibdev of function @f. */
struct vf_ibdev_paths {
	char fn_dir[VF_SYSFS_PATH_MAX];		/* devices/<bdf> */
	char ib_dir[VF_SYSFS_PATH_MAX];		/* devices/<bdf>/infiniband */
	char dev_dir[VF_SYSFS_PATH_MAX];	/* devices/<bdf>/infiniband/<ibdev> */
	char link[VF_SYSFS_PATH_MAX];		/* class/infiniband/<ibdev> */
	char target[VF_SYSFS_PATH_MAX];		/* what link holds */
};

static int
vf_ibdev_paths(const struct vf_config *conf, const struct vf_fn_conf *f, const char *ibdev,
	       struct vf_ibdev_paths *p)
{
	char rel[VF_SYSFS_IBDEV_MAX + 32];
	int ret;

	if (ibdev == NULL || !vf_config_name_ok(ibdev, VF_SYSFS_IBDEV_MAX))
		return -EINVAL;
	ret = vf_fn_path(conf, f, p->fn_dir, sizeof(p->fn_dir));
	if (ret == 0)
		ret = vf_pathf(p->ib_dir, sizeof(p->ib_dir), "%s/infiniband", p->fn_dir);
	if (ret == 0)
		ret = vf_pathf(p->dev_dir, sizeof(p->dev_dir), "%s/%s", p->ib_dir, ibdev);
	if (ret == 0)
		ret = vf_pathf(rel, sizeof(rel), "class/infiniband/%s", ibdev);
	if (ret == 0)
		ret = vf_sys_path(conf, p->link, sizeof(p->link), rel);
	if (ret == 0)
		ret = vf_pathf(p->target, sizeof(p->target),
			       VF_CLASS_TO_DEVICES "%s/infiniband/%s", f->bdf, ibdev);
	return ret;
}

/* The class symlink of a present ibv device; another function's device of that name wins. */
static int
vf_link_ibdev(const struct vf_config *conf, const struct vf_ibdev_paths *p)
{
	struct stat st;

	if (vf_link_is(p->link, p->target))
		return 0;
	/* Taken by a live device of another function (a dangling one is replaced). */
	if (lstat(p->link, &st) == 0 && stat(p->link, &st) == 0)
		return -EEXIST;
	return vf_symlink(conf, p->target, p->link);
}

int
vf_sysfs_add_ibdev(const struct vf_config *conf, uint32_t fn, const char *ibdev)
{
	const struct vf_fn_conf *f = vf_fn(conf, fn);
	char staging[VF_SYSFS_PATH_MAX];
	char path[VF_SYSFS_PATH_MAX];
	struct vf_ibdev_paths *p;
	int ret;

	if (f == NULL)
		return -EINVAL;
	p = malloc(sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	ret = vf_ibdev_paths(conf, f, ibdev, p);
	if (ret != 0)
		goto out;
	if (!vf_is_dir(p->fn_dir)) {
		ret = -ENODEV;
		goto out;
	}
	if (vf_is_dir(p->dev_dir)) {
		ret = vf_link_ibdev(conf, p);
		goto out;
	}

	ret = vf_hidden_path(conf, staging, sizeof(staging), "staging-ib", ibdev);
	if (ret != 0)
		goto out;
	vf_rm_path(staging);
	ret = vf_mkdir(staging);
	if (ret == 0)
		ret = vf_write_filef(conf, staging, "ibdev", "%s\n", ibdev);
	if (ret == 0)
		ret = vf_write_filef(conf, staging, "node_type", "1: CA\n");
	if (ret == 0)
		ret = vf_pathf(path, sizeof(path), "%s/device", staging);
	if (ret == 0 && symlink(VF_IBDEV_DEVICE_LINK, path) != 0)
		ret = -errno;
	if (ret == 0)
		ret = vf_mkdir(p->ib_dir);
	if (ret == 0 && rename(staging, p->dev_dir) != 0)
		ret = -errno;
	if (ret != 0) {
		vf_rm_path(staging);
		goto out;
	}
	/* Only a complete device directory gets its class symlink. */
	ret = vf_link_ibdev(conf, p);
	if (ret != 0) {
		vf_trash(conf, p->dev_dir, ibdev);
		rmdir(p->ib_dir);
	}
out:
	free(p);
	return ret;
}

int
vf_sysfs_remove_ibdev(const struct vf_config *conf, uint32_t fn, const char *ibdev)
{
	const struct vf_fn_conf *f = vf_fn(conf, fn);
	struct vf_ibdev_paths *p;
	int ret;

	if (f == NULL)
		return -EINVAL;
	p = malloc(sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	ret = vf_ibdev_paths(conf, f, ibdev, p);
	if (ret != 0)
		goto out;
	/* The class symlink first: after it, no new reader finds the device. */
	if (vf_link_is(p->link, p->target) && unlink(p->link) != 0 && errno != ENOENT) {
		ret = -errno;
		goto out;
	}
	ret = vf_trash(conf, p->dev_dir, ibdev);
	if (ret != 0)
		goto out;
	/* The kernel drops the empty infiniband/ directory with its last device. */
	rmdir(p->ib_dir);
out:
	free(p);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Netdev state                                                        */
/* ------------------------------------------------------------------ */

int
vf_sysfs_set_netdev(const struct vf_config *conf, uint32_t fn, uint32_t port, bool up,
		    uint32_t mtu)
{
	const struct vf_fn_conf *f = vf_fn(conf, fn);
	char fdir[VF_SYSFS_PATH_MAX];
	char dir[VF_SYSFS_PATH_MAX];
	const char *ifname;
	int ret;

	if (f == NULL || port == 0 || port > f->nb_ports || port > VF_MAX_PORTS ||
	    mtu < VF_NETDEV_MIN_MTU || mtu > VF_NETDEV_MAX_MTU)
		return -EINVAL;
	ifname = f->port[port - 1].ifname;
	if (!vf_config_name_ok(ifname, VF_IFNAME_MAX - 1))
		return -EINVAL;
	ret = vf_fn_path(conf, f, fdir, sizeof(fdir));
	if (ret == 0)
		ret = vf_pathf(dir, sizeof(dir), "%s/net/%s", fdir, ifname);
	if (ret != 0)
		return ret;
	if (!vf_is_dir(dir))
		return -ENODEV;
	return vf_write_netdev_state(conf, dir, up, mtu);
}
