#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
#
# One-time, idempotent machine set-up for a fresh Debian 12 host (run as root):
# packages, deb-src + DPDK source package (driver-SDK headers), hugepages, a
# tmpfs for the software VF's instances.
# Every step checks first and does nothing when already done.
set -eu

say() { printf '[setup] %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	echo "setup.sh: must run as root (apt, hugepages)" >&2
	exit 1
fi

# The fourth line builds DPDK LTS from source (scripts/dpdk-lts.sh): DPDK's
# build tools, dumpcap's libpcap, NUMA support as distributions build it.
# gcovr: make coverage.
PKGS="libdpdk-dev dpdk-dev dpdk libibverbs-dev ibverbs-providers rdma-core \
meson ninja-build pkg-config gcc clang python3-pytest python3-matplotlib \
libclang-rt-14-dev llvm make dpkg-dev \
python3-pyelftools libpcap-dev libnuma-dev xz-utils \
gcovr gdb"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

need_update=0
[ -n "$missing" ] && need_update=1

# deb-src for the DPDK source package (driver-SDK headers come from it):
# deb822 sources (Debian 12 default), or a classic sources.list.
SRC=/etc/apt/sources.list.d/debian.sources
if [ -f "$SRC" ] && grep -q '^Types: deb$' "$SRC"; then
	say "enabling deb-src in $SRC"
	sed -i 's/^Types: deb$/Types: deb deb-src/' "$SRC"
	need_update=1
fi
LIST=/etc/apt/sources.list
if [ -f "$LIST" ] && grep -q '^deb ' "$LIST" && ! grep -q '^deb-src ' "$LIST"; then
	say "adding deb-src lines to $LIST"
	grep '^deb ' "$LIST" | sed 's/^deb /deb-src /' >> "$LIST"
	need_update=1
fi

if [ "$need_update" = 1 ]; then
	say "apt-get update"
	apt-get update -qq
fi
if [ -n "$missing" ]; then
	say "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

# Hugepages: reserve and mount only if missing.
nr=$(cat /proc/sys/vm/nr_hugepages)
if [ "$nr" -lt 512 ]; then
	say "reserving 512 hugepages (had $nr)"
	echo 512 > /proc/sys/vm/nr_hugepages
fi
mkdir -p /dev/hugepages
if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
	say "mounting hugetlbfs on /dev/hugepages"
	mount -t hugetlbfs nodev /dev/hugepages
fi
# The software VF's instances (MANA_SIM root=, default /run/mana-sim) hold
# the device's shared state and its sysfs tree, memory under a kernel: /run
# is a tmpfs on a usual system, not on every machine (seen: / on ext4 with
# discard, every reset of the device then doing disk I/O).
# Not over instances of running processes (they would lose their tree).
mkdir -p /run/mana-sim
if [ "$(stat -f -c %T /run/mana-sim)" != tmpfs ]; then
	if [ -n "$(ls -A /run/mana-sim)" ]; then
		say "not mounting a tmpfs on /run/mana-sim: it holds instances (remove them first)"
	else
		say "mounting a tmpfs on /run/mana-sim"
		mount -t tmpfs -o mode=0755 tmpfs /run/mana-sim
	fi
fi
say "ok"
