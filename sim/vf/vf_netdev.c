/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The kernel netdevs of the emulated ports, as a process sees them through
 * ioctl(2) on a socket: what upstream net/mana does for mtu_set (mana.c,
 * mana_ifreq(): SIOCSIFMTU on the netdev whose sysfs address is the port's
 * MAC) and what tools do for link up/down. The library interposes ioctl();
 * a request naming an emulated netdev is answered by the VF, anything else
 * goes to the C library's ioctl unchanged.
 *
 * Rules (Linux net/core/dev_ioctl.c, drivers/net/ethernet/microsoft/mana):
 *   SIOCGIFMTU / SIOCSIFMTU   MTU in [68, max_mtu] (EINVAL otherwise); the
 *                             VF's max_mtu is VF_MTU_MAX
 *   SIOCGIFFLAGS/SIOCSIFFLAGS IFF_UP brings the netdev up or down; up fails
 *                             with EBUSY while a PD holds the port's vport
 *                             (mana_en.c: mana_cfg_vport, vport_use_count)
 *   SIOCGIFHWADDR             the port's MAC
 * Setting a flag other than IFF_UP is accepted and ignored.
 */

#include <dlfcn.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "vf.h"

#define VF_MTU_MIN	68u

typedef int (*vf_ioctl_fn)(int fd, unsigned long request, ...);

static vf_ioctl_fn vf_libc_ioctl;

static int
vf_next_ioctl(int fd, unsigned long request, void *arg)
{
	if (vf_libc_ioctl == NULL) {
		vf_libc_ioctl = (vf_ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
		if (vf_libc_ioctl == NULL) {
			errno = ENOSYS;
			return -1;
		}
	}
	return vf_libc_ioctl(fd, request, arg);
}

static bool
vf_is_netdev_request(unsigned long request)
{
	switch (request) {
	case SIOCGIFMTU:
	case SIOCSIFMTU:
	case SIOCGIFFLAGS:
	case SIOCSIFFLAGS:
	case SIOCGIFHWADDR:
		return true;
	}
	return false;
}

/* The emulated port whose kernel netdev is @ifname, if any (the config is immutable). */
bool
vf_netdev_find(const char *ifname, uint32_t *fn, uint32_t *port)
{
	uint32_t i, p;

	for (i = 0; i < vf_conf.nb_fns; i++) {
		for (p = 1; p <= vf_conf.fn[i].nb_ports; p++) {
			if (strncmp(vf_conf.fn[i].port[p - 1].ifname, ifname, IFNAMSIZ) == 0) {
				*fn = i;
				*port = p;
				return true;
			}
		}
	}
	return false;
}

/* Shared lock held. Returns 0 or an errno. */
static int
vf_netdev_request(uint32_t fn, uint32_t port, unsigned long request, struct ifreq *ifr)
{
	struct vf_fn_shared *f = &vf_sh->fn[fn];
	int ret;

	/* A hot-removed function's netdevs are gone (unregister_netdev). */
	if (f->state == VF_FN_REMOVED)
		return ENODEV;
	switch (request) {
	case SIOCGIFMTU:
		ifr->ifr_mtu = (int)f->port_mtu[port - 1];
		return 0;
	case SIOCSIFMTU:
		if (ifr->ifr_mtu < (int)VF_MTU_MIN || ifr->ifr_mtu > (int)VF_MTU_MAX)
			return EINVAL;
		ret = vf_set_netdev(fn, port, f->port_up[port - 1], (uint32_t)ifr->ifr_mtu);
		return -ret;
	case SIOCGIFFLAGS:
		ifr->ifr_flags = (short)(IFF_BROADCAST | IFF_MULTICAST);
		if (f->port_up[port - 1])
			ifr->ifr_flags |= (short)(IFF_UP | IFF_RUNNING);
		return 0;
	case SIOCSIFFLAGS:
		ret = vf_set_netdev(fn, port, (ifr->ifr_flags & IFF_UP) != 0,
				    f->port_mtu[port - 1]);
		return -ret;
	case SIOCGIFHWADDR:
		memset(&ifr->ifr_hwaddr, 0, sizeof(ifr->ifr_hwaddr));
		ifr->ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr->ifr_hwaddr.sa_data, vf_conf.fn[fn].port[port - 1].mac, 6);
		return 0;
	}
	return EINVAL;
}

/*
 * glibc's prototype: int ioctl(int fd, unsigned long request, ...). Every
 * request the emulation does not own is passed on with its argument.
 */
VF_EXPORT int
ioctl(int fd, unsigned long request, ...)
{
	struct ifreq *ifr;
	struct stat st;
	uint32_t fn, port;
	va_list ap;
	void *arg;
	int err;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!vf_is_netdev_request(request) || vf_sh == NULL || arg == NULL)
		return vf_next_ioctl(fd, request, arg);
	ifr = arg;
	if (!vf_netdev_find(ifr->ifr_name, &fn, &port))
		return vf_next_ioctl(fd, request, arg);
	/* The kernel answers these on a socket only. */
	if (fstat(fd, &st) != 0)
		return -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = ENOTTY;
		return -1;
	}
	vf_shared_lock();
	vf_advance(vf_now_ns());
	err = vf_netdev_request(fn, port, request, ifr);
	vf_shared_unlock();
	if (err != 0) {
		errno = err;
		return -1;
	}
	VF_LOG(DEBUG, "ioctl 0x%lx on %s (emulated)", request, ifr->ifr_name);
	return 0;
}
