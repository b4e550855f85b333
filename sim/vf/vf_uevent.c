/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Kernel uevents of the emulated PCI functions, as a process sees them on a
 * NETLINK_KOBJECT_UEVENT socket (what EAL's device event monitor reads,
 * lib/eal/linux/eal_dev.c). The library interposes socket() and bind():
 *
 *  - socket(AF_NETLINK, SOCK_RAW or SOCK_DGRAM [| SOCK_NONBLOCK | SOCK_CLOEXEC],
 *    NETLINK_KOBJECT_UEVENT) gives an AF_UNIX datagram socket with the same
 *    flags, so recv(), recvmsg(), poll/epoll and close() are the C library's
 *    own: one message per datagram, EAGAIN when empty and non-blocking;
 *  - bind() of it with a sockaddr_nl whose nl_groups has group 1 (the
 *    kernel broadcasts uevents to group 1, lib/kobject_uevent.c) binds it
 *    to an abstract address of this instance and lists it in the shared
 *    state; without group 1 it receives nothing, as a netlink socket.
 *
 * A hot-remove or hot-add of a PCI function, and an ibv device going or
 * coming back around a service reset (vf_state.c), in whichever process
 * applies it, send the kernel's messages (vf_sysfs_uevent_msg,
 * vf_sysfs_ibdev_uevent_msg) to every listed socket of every process of
 * the instance. A socket that is gone (closed, or its
 * process died) refuses the datagram and is taken off the list then; a
 * full one loses the message, as a netlink socket whose receive buffer is
 * full (the kernel's broadcast skips it, the reader gets ENOBUFS).
 * Differences: the sender's address is not a sockaddr_nl, no credentials
 * are attached, and only the emulated functions' uevents are seen (the
 * machine's own are not).
 */

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <linux/netlink.h>

#include "vf.h"
#include "vf_sysfs.h"

#define VF_UEVENT_GROUP		1u	/* lib/kobject_uevent.c: dst_group = 1 */

typedef int (*vf_socket_fn)(int domain, int type, int protocol);
typedef int (*vf_bind_fn)(int fd, const void *addr, socklen_t len);

static int
vf_next_socket(int domain, int type, int protocol)
{
	static vf_socket_fn next;

	if (next == NULL)
		next = (vf_socket_fn)dlsym(RTLD_NEXT, "socket");
	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return next(domain, type, protocol);
}

static int
vf_next_bind(int fd, const void *addr, socklen_t len)
{
	static vf_bind_fn next;

	if (next == NULL)
		next = (vf_bind_fn)dlsym(RTLD_NEXT, "bind");
	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return next(fd, addr, len);
}

/* The abstract address of listener @id of this instance. */
static int
vf_uevent_addr(uint32_t id, struct sockaddr_un *sun, socklen_t *len)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, "mana_sim/%s/uevent/%u",
		     vf_conf.instance, id);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path) - 1)
		return -ENAMETOOLONG;
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	return 0;
}

static bool
vf_uevent_active(void)
{
	return vf_sh != NULL && vf_attach_error == 0;
}

VF_EXPORT int
socket(int domain, int type, int protocol)
{
	const int flags = SOCK_NONBLOCK | SOCK_CLOEXEC;

	if (domain != AF_NETLINK || protocol != NETLINK_KOBJECT_UEVENT || !vf_uevent_active())
		return vf_next_socket(domain, type, protocol);
	/* net/netlink/af_netlink.c, netlink_create: raw or datagram sockets only. */
	if ((type & ~flags) != SOCK_RAW && (type & ~flags) != SOCK_DGRAM) {
		errno = ESOCKTNOSUPPORT;
		return -1;
	}
	return vf_next_socket(AF_UNIX, SOCK_DGRAM | (type & flags), 0);
}

/* Whether listener @l's socket is still open: its abstract address answers. */
static bool
vf_uevent_listener_open(const struct vf_uevent_listener *l)
{
	struct sockaddr_un sun;
	socklen_t sun_len;
	bool open;
	int fd;

	if (vf_uevent_addr(l->id, &sun, &sun_len) != 0)
		return false;
	fd = vf_next_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;	/* cannot tell: keep it */
	open = connect(fd, (const struct sockaddr *)&sun, sun_len) == 0 ||
	       (errno != ECONNREFUSED && errno != ENOENT);
	close(fd);
	return open;
}

/*
 * Shared lock held. List listener @id of this process; false if the list is
 * full. A free slot first, else that of a socket that is gone - closed, or
 * with its process (a process that opens and closes many, with no uevent
 * sent in between to find them gone).
 */
static bool
vf_uevent_listen(uint32_t id)
{
	struct vf_uevent_listener *l;
	unsigned int i, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < VF_UEVENT_LISTENERS; i++) {
			l = &vf_sh->uevent[i];
			if (l->id == 0 || (pass == 1 && !vf_uevent_listener_open(l))) {
				l->id = id;
				return true;
			}
		}
	}
	return false;
}

/*
 * glibc declares bind() with a transparent union of address pointers under
 * _GNU_SOURCE (__CONST_SOCKADDR_ARG): each member is a pointer to the address.
 */
VF_EXPORT int
bind(int fd, __CONST_SOCKADDR_ARG arg, socklen_t len)
{
	const struct sockaddr *addr = *(const struct sockaddr * const *)&arg;
	const struct sockaddr_nl *nl = (const struct sockaddr_nl *)addr;
	struct sockaddr_un sun;
	socklen_t sun_len, olen = sizeof(int);
	int domain = 0;
	uint32_t id;
	bool listed;

	if (addr == NULL || len < sizeof(sa_family_t) || addr->sa_family != AF_NETLINK ||
	    !vf_uevent_active() ||
	    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &olen) != 0 || domain != AF_UNIX)
		return vf_next_bind(fd, addr, len);
	/* One of ours (a real netlink socket's domain is AF_NETLINK). */
	if (len < sizeof(*nl)) {
		errno = EINVAL;		/* netlink_bind */
		return -1;
	}
	vf_shared_lock();
	id = vf_uid();
	vf_shared_unlock();
	if (vf_uevent_addr(id, &sun, &sun_len) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (vf_next_bind(fd, &sun, sun_len) != 0)
		return -1;
	if ((nl->nl_groups & VF_UEVENT_GROUP) == 0)
		return 0;	/* bound, in no group: it hears nothing */
	vf_shared_lock();
	listed = vf_uevent_listen(id);
	vf_shared_unlock();
	if (!listed) {
		VF_LOG(ERR, "more than %u uevent listeners in instance %s", VF_UEVENT_LISTENERS,
		       vf_conf.instance);
		errno = ENOBUFS;
		return -1;
	}
	VF_LOG(DEBUG, "uevent listener %u (fd %d)", id, fd);
	return 0;
}

/* Send @len bytes of @msg to every listener; @what names it in the log. */
static void
vf_uevent_broadcast(const char *msg, int len, const char *what)
{
	struct sockaddr_un sun;
	socklen_t sun_len;
	unsigned int i, sent = 0;
	int fd;

	fd = vf_next_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		VF_LOG(ERR, "uevent %s: socket: %s", what, strerror(errno));
		return;
	}
	for (i = 0; i < VF_UEVENT_LISTENERS; i++) {
		struct vf_uevent_listener *l = &vf_sh->uevent[i];

		if (l->id == 0 || vf_uevent_addr(l->id, &sun, &sun_len) != 0)
			continue;
		if (sendto(fd, msg, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (const struct sockaddr *)&sun, sun_len) == len) {
			sent++;
			continue;
		}
		if (errno == ECONNREFUSED || errno == ENOENT) {
			l->id = 0;	/* closed, or its process is gone */
		} else {
			vf_sh->uevents_dropped++;
			VF_LOG(WARNING, "uevent %s lost for listener %u: %s", what, l->id,
			       strerror(errno));
		}
	}
	close(fd);
	VF_LOG(INFO, "uevent %s (seqnum %" PRIu64 ") to %u listener(s)", what,
	       vf_sh->uevent_seqnum, sent);
}

void
vf_uevent_emit(uint32_t fn, const char *action)
{
	char msg[VF_UEVENT_MSG_MAX], what[64];
	int len;

	len = vf_sysfs_uevent_msg(&vf_conf, fn, action, ++vf_sh->uevent_seqnum, msg,
				  sizeof(msg));
	if (len <= 0) {
		VF_LOG(ERR, "%s: uevent %s: %s", vf_conf.fn[fn].bdf, action, strerror(-len));
		return;
	}
	snprintf(what, sizeof(what), "%s %s", action, vf_conf.fn[fn].bdf);
	vf_uevent_broadcast(msg, len, what);
}

void
vf_uevent_emit_ibdev(uint32_t fn, const char *ibdev, uint32_t uverbs, bool verbs,
		     const char *action)
{
	char msg[VF_UEVENT_MSG_MAX], what[96];
	int len;

	len = vf_sysfs_ibdev_uevent_msg(&vf_conf, fn, ibdev, uverbs, verbs, action,
					++vf_sh->uevent_seqnum, msg, sizeof(msg));
	if (len <= 0) {
		VF_LOG(ERR, "%s: uevent %s of %s: %s", vf_conf.fn[fn].bdf, action, ibdev,
		       strerror(-len));
		return;
	}
	if (verbs)
		snprintf(what, sizeof(what), "%s uverbs%u (%s)", action, uverbs, ibdev);
	else
		snprintf(what, sizeof(what), "%s %s", action, ibdev);
	vf_uevent_broadcast(msg, len, what);
}
