/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef VF_SYSFS_H
#define VF_SYSFS_H

/*
 * The sysfs tree of a software MANA VF instance, under <root>/<instance>/sys,
 * laid out as the kernel lays out what DPDK and rdma-core users read:
 *
 *   sys/bus/pci/devices/<bdf>/            one directory per PCI function;
 *                                         SYSFS_PCI_DEVICES points here
 *       vendor device subsystem_vendor subsystem_device class   "0x%04x\n"...
 *       resource                          6 lines "0x%016x 0x%016x 0x%016x\n"
 *       numa_node uevent                  uevent: DRIVER=mana, PCI_ID, PCI_SLOT_NAME...
 *       driver -> ../../drivers/mana      DPDK skips a device without it
 *       net/<ifname>/address dev_port mtu operstate carrier flags ifindex
 *       infiniband/<ibdev>/               one per ibv device (manae_N RAW, mana_N RC)
 *           device -> ../..               the PCI function
 *           node_type ibdev
 *   sys/bus/pci/drivers/mana/
 *   sys/class/infiniband/<ibdev> -> ../../bus/pci/devices/<bdf>/infiniband/<ibdev>
 *   sys/class/net/<ifname> -> ../../bus/pci/devices/<bdf>/net/<ifname>
 *
 * An ibv device's ibdev_path is <root>/<instance>/sys/class/infiniband/<ibdev>.
 *
 * Every change a reader could see half-done is made atomically: a PCI
 * function directory is built under a hidden staging name and renamed into
 * devices/ (drivers/bus/pci/linux/pci.c fails the whole scan on a malformed
 * entry); removal renames it out first, then deletes it; files are written
 * to a temporary name and renamed over. Functions return 0 or a negative
 * errno and never leave a partial entry behind.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vf_config.h"

#define VF_SYSFS_PATH_MAX	512

/* <root>/<instance>/sys and the directories above it; idempotent. */
int vf_sysfs_init(const struct vf_config *conf);

/* Remove <root>/<instance> entirely (the whole instance directory). */
int vf_sysfs_destroy(const struct vf_config *conf);

/* Remove <root>/<instance>/sys only (the instance's lock and state stay). */
int vf_sysfs_wipe(const struct vf_config *conf);

/* The path SYSFS_PCI_DEVICES must hold for DPDK's PCI bus. */
void vf_sysfs_pci_devices_path(const struct vf_config *conf, char *buf, size_t len);

/* The ibdev_path of ibv device @ibdev. */
void vf_sysfs_ibdev_path(const struct vf_config *conf, const char *ibdev, char *buf,
			 size_t len);

/* Add PCI function conf->fn[@fn] with its netdevs (no ibv device yet). */
int vf_sysfs_add_function(const struct vf_config *conf, uint32_t fn);

/* Remove the function (hot-remove): its directory and class symlinks go. */
int vf_sysfs_remove_function(const struct vf_config *conf, uint32_t fn);

/* Whether the function's directory is present under devices/. */
bool vf_sysfs_function_present(const struct vf_config *conf, uint32_t fn);

/* The largest uevent message of a PCI function (the kernel's env is 2048 bytes). */
#define VF_UEVENT_MSG_MAX	2048

/*
 * The message the kernel broadcasts on NETLINK_KOBJECT_UEVENT when PCI
 * function @fn sees @action ("add", "bind", "unbind", "remove"), numbered
 * @seqnum: "ACTION@DEVPATH", then ACTION, DEVPATH, SUBSYSTEM=pci, DRIVER
 * (bind only), the PCI variables and SEQNUM, each ended by a NUL. Returns
 * its length or a negative errno.
 */
int vf_sysfs_uevent_msg(const struct vf_config *conf, uint32_t fn, const char *action,
			uint64_t seqnum, char *buf, size_t len);

/*
 * The uevent of ibv device @ibdev of function @fn being registered ("add")
 * or unregistered ("remove"): its infiniband class device (ib core
 * device.c, with NAME=<ibdev> from ib_device_uevent), or with @verbs its
 * uverbs character device uverbs@uverbs (uverbs_main.c ib_uverbs_add_one:
 * SUBSYSTEM=infiniband_verbs, DEVNAME=infiniband/uverbsN, DEVMODE=0666 from
 * uverbs_devnode, major 231 from minor 192), both children of the PCI
 * function (mana_ib sets the ib device's parent to it; uverbs takes the ib
 * device's parent). The same shape as vf_sysfs_uevent_msg.
 */
int vf_sysfs_ibdev_uevent_msg(const struct vf_config *conf, uint32_t fn, const char *ibdev,
			      uint32_t uverbs, bool verbs, const char *action, uint64_t seqnum,
			      char *buf, size_t len);

/* Add ibv device @ibdev under function @fn (and its class symlink). */
int vf_sysfs_add_ibdev(const struct vf_config *conf, uint32_t fn, const char *ibdev);

/* Remove ibv device @ibdev of function @fn. */
int vf_sysfs_remove_ibdev(const struct vf_config *conf, uint32_t fn, const char *ibdev);

/*
 * State of the netdev of port @port (1-based) of function @fn: @up (operstate
 * "up"/"down", carrier 1/0, IFF_UP in flags) and @mtu.
 */
int vf_sysfs_set_netdev(const struct vf_config *conf, uint32_t fn, uint32_t port, bool up,
			uint32_t mtu);

#endif /* VF_SYSFS_H */
