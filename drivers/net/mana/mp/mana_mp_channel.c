/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The primary's per-process delivery: how its messages reach one secondary
 * and not the others.
 *
 * rte_mp has no per-peer send: rte_mp_sendmsg() of the primary goes to
 * every socket of the runtime directory, and rte_mp_reply() is dropped by
 * a secondary without a pending request of that name (process_msg() in
 * lib/eal/common/eal_common_proc.c, DPDK 22.11 to 25.11). So each secondary
 * that uses a port of ours binds a Unix datagram socket of its own,
 * <runtime dir>/mana_mpr_<pid> (the ATTACH handler already requires the
 * secondary to be in the primary's pid namespace), and the primary sends
 * each message to the processes it is meant for, one datagram each. The
 * payload is the message's parameters as for rte_mp, file descriptors ride
 * in SCM_RIGHTS, and the sender is the kernel's SCM_CREDENTIALS, not a
 * name it claims. Secondaries still answer over rte_mp (ACK, requests).
 *
 * A secondary handles its socket on EAL's interrupt thread, where EAL
 * itself handles the primary's hot-plug requests (from an alarm,
 * lib/eal/common/hotplug_mp.c), and before it returns delivers the events
 * a batch carries. For a secondary frozen across a hot removal, the socket
 * became readable before its rte_mp thread could arm EAL's alarm for the
 * detach request the primary sent later, and epoll reports descriptors in
 * the order they became ready: it sees INTR_RMV before EAL's detach, as
 * when both came over the one rte_mp socket. (An alarm of its own that
 * fell due during the freeze puts EAL's timer first; should the detach
 * alarm fall due while that runs, EAL's detach releases the port first
 * and the application gets DESTROY without INTR_RMV.) The port's release
 * PORT_CLOSED asks for runs from an alarm, and may come after EAL's
 * detach: then that detach's close releases the port and answers the
 * PORT_CLOSED. The socket lives as long as the process.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <rte_eal.h>
#include <rte_interrupts.h>
#include <rte_string_fns.h>

#include "mana_mp.h"
#include "../mana_event.h"

/* Messages handled per wake-up before the interrupt thread serves others. */
#define MANA_MP_CHANNEL_BATCH		64

static struct mana_mutex mana_mp_channel_lock;
static int mana_mp_channel_fd = -1;		/* secondary: receives */
static struct rte_intr_handle *mana_mp_channel_intr;
static char mana_mp_channel_bound[sizeof(((struct sockaddr_un *)0)->sun_path)];
static pid_t mana_mp_channel_owner;		/* the process that bound it (not a fork) */
static int mana_mp_channel_tx_fd = -1;		/* primary: sends */

RTE_INIT(mana_mp_channel_init)
{
	mana_mutex_init(&mana_mp_channel_lock);
}

int
mana_mp_channel_path(struct sockaddr_un *addr, int32_t pid)
{
	int n;

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	n = snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/mana_mpr_%d",
		     rte_eal_get_runtime_dir(), (int)pid);
	return n > 0 && (size_t)n < sizeof(addr->sun_path) ? 0 : -ENAMETOOLONG;
}

/*
 * Is a socket bound at @addr? 1: yes (connect() succeeds), 0: a file nobody
 * is bound to or none (ECONNREFUSED, ENOENT), negative errno otherwise.
 */
static int
mana_mp_channel_live(const struct sockaddr_un *addr)
{
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
		ret = 1;
	else if (errno == ECONNREFUSED || errno == ENOENT)
		ret = 0;
	else
		ret = -errno;
	close(fd);
	return ret;
}

void
mana_mp_channel_forget(int32_t pid)
{
	struct sockaddr_un addr;

	if (pid > 0 && mana_mp_channel_path(&addr, pid) == 0 &&
	    mana_mp_channel_live(&addr) == 0)
		unlink(addr.sun_path);
}

/* ------------------------------------------------------------------ */
/* Secondary: receive.                                                 */

static void
mana_mp_channel_close_fds(const int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * One datagram into @msg. Returns 1 with @msg filled and *@sender set, 0
 * when the socket is empty, -1 on a datagram that was dropped (its
 * descriptors closed).
 */
static int
mana_mp_channel_recv(int fd, struct rte_mp_msg *msg, int32_t *sender)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RTE_MP_MAX_FD_NUM) +
			 CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = msg->param, .iov_len = sizeof(msg->param) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	int fds[RTE_MP_MAX_FD_NUM];
	struct cmsghdr *c;
	bool have_cred = false;
	int nfds = 0;
	ssize_t n;

	do {
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			MP_LOG(ERR, "receiving from the primary failed: %s", strerror(errno));
		return 0;
	}
	*sender = 0;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t len = c->cmsg_len - CMSG_LEN(0);
			int k, got = (int)(len / sizeof(int));

			for (k = 0; k < got; k++) {
				int one;

				memcpy(&one, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
				if (nfds < RTE_MP_MAX_FD_NUM)
					fds[nfds++] = one;
				else
					close(one);
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*sender = cred.pid;
			have_cred = true;
		}
	}
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || !have_cred) {
		MP_LOG(ERR, "dropped a message of %zd bytes: %s", n,
		       !have_cred ? "no sender credentials" : "truncated");
		mana_mp_channel_close_fds(fds, nfds);
		return -1;
	}
	memset(msg->name, 0, sizeof(msg->name));
	strlcpy(msg->name, MANA_MP_ACTION_SECONDARY, sizeof(msg->name));
	msg->len_param = (int)n;
	msg->num_fds = nfds;
	memcpy(msg->fds, fds, sizeof(int) * nfds);
	return 1;
}

/*
 * EAL's interrupt thread: the socket is readable. Handle what is queued,
 * then deliver the events it posted (see the file comment).
 */
static void
mana_mp_channel_ready(void *arg __rte_unused)
{
	int fd = mana_mp_channel_fd;
	unsigned int i;

	mana_event_batch_begin();
	for (i = 0; i < MANA_MP_CHANNEL_BATCH; i++) {
		struct rte_mp_msg msg __rte_aligned(8);
		int32_t sender;
		int ret;

		ret = mana_mp_channel_recv(fd, &msg, &sender);
		if (ret == 0)
			break;
		if (ret < 0)
			continue;
		mana_mp_secondary_receive(&msg, sender);
	}
	mana_event_batch_end();
}

int
mana_mp_channel_open(void)
{
	struct sockaddr_un addr;
	int one = 1, fd = -1, ret;

	mana_mutex_lock(&mana_mp_channel_lock);
	if (mana_mp_channel_fd >= 0) {
		mana_mutex_unlock(&mana_mp_channel_lock);
		return 0;
	}
	ret = mana_mp_channel_path(&addr, getpid());
	if (ret != 0)
		goto fail;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) != 0) {
		ret = -errno;
		goto fail;
	}
	/*
	 * A file nobody is bound to was left by a dead process that had our
	 * pid; a live one is another process's with the same pid (another pid
	 * namespace), which the primary would refuse anyway (ATTACH).
	 */
	ret = mana_mp_channel_live(&addr);
	if (ret != 0) {
		ret = ret > 0 ? -EADDRINUSE : ret;
		goto fail;
	}
	unlink(addr.sun_path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		ret = -errno;
		goto fail;
	}
	strlcpy(mana_mp_channel_bound, addr.sun_path, sizeof(mana_mp_channel_bound));
	mana_mp_channel_owner = getpid();
	mana_mp_channel_intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (mana_mp_channel_intr == NULL) {
		ret = -ENOMEM;
		goto fail_bound;
	}
	if (rte_intr_type_set(mana_mp_channel_intr, RTE_INTR_HANDLE_EXT) != 0 ||
	    rte_intr_fd_set(mana_mp_channel_intr, fd) != 0) {
		ret = -rte_errno;
		goto fail_intr;
	}
	mana_mp_channel_fd = fd;
	ret = rte_intr_callback_register(mana_mp_channel_intr, mana_mp_channel_ready, NULL);
	if (ret != 0) {
		mana_mp_channel_fd = -1;
		goto fail_intr;
	}
	mana_mutex_unlock(&mana_mp_channel_lock);
	MP_LOG(DEBUG, "receiving the primary's messages on %s", addr.sun_path);
	return 0;

fail_intr:
	rte_intr_instance_free(mana_mp_channel_intr);
	mana_mp_channel_intr = NULL;
fail_bound:
	unlink(mana_mp_channel_bound);
	mana_mp_channel_bound[0] = '\0';
fail:
	if (fd >= 0)
		close(fd);
	mana_mutex_unlock(&mana_mp_channel_lock);
	MP_LOG(ERR, "cannot open %s for the primary's messages: %s", addr.sun_path,
	       strerror(-ret));
	return ret;
}

/* Process exit: no file is left in the runtime directory (not by a fork's exit). */
RTE_FINI(mana_mp_channel_fini)
{
	if (mana_mp_channel_bound[0] != '\0' && mana_mp_channel_owner == getpid())
		unlink(mana_mp_channel_bound);
}

/* ------------------------------------------------------------------ */
/* Primary: send.                                                      */

int
mana_mp_channel_send(int32_t pid, const struct rte_mp_msg *msg, bool may_wait)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RTE_MP_MAX_FD_NUM)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)msg->param,
			     .iov_len = (size_t)msg->len_param };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct sockaddr_un addr;
	int fd, ret;
	ssize_t n;

	if (msg->num_fds < 0 || msg->num_fds > RTE_MP_MAX_FD_NUM || msg->len_param < 0 ||
	    msg->len_param > RTE_MP_MAX_PARAM_LEN)
		return -EINVAL;
	ret = mana_mp_channel_path(&addr, pid);
	if (ret != 0)
		return ret;
	mana_mutex_lock(&mana_mp_channel_lock);
	if (mana_mp_channel_tx_fd < 0) {
		struct timeval tv = { .tv_sec = 0, .tv_usec = MANA_MP_SEND_TIMEOUT_MS * 1000 };

		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			ret = -errno;
		} else if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
			ret = -errno;
			close(fd);
			fd = -1;
		}
		mana_mp_channel_tx_fd = fd;
	}
	fd = mana_mp_channel_tx_fd;
	mana_mutex_unlock(&mana_mp_channel_lock);
	if (fd < 0)
		return ret;

	mh.msg_name = &addr;
	mh.msg_namelen = sizeof(addr);
	if (msg->num_fds > 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * msg->num_fds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * msg->num_fds);
		memcpy(CMSG_DATA(c), msg->fds, sizeof(int) * msg->num_fds);
	}
	/*
	 * A full queue (net.unix.max_dgram_qlen datagrams) means the process
	 * is not reading. Only a process the round waits for gets up to
	 * MANA_MP_SEND_TIMEOUT_MS (SO_SNDTIMEO) for its interrupt thread to
	 * catch up; nobody else makes the sender wait.
	 */
	do {
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | (may_wait ? 0 : MSG_DONTWAIT));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}
