#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
#
# Configure a build directory for a DPDK, or check that it already is.
#
#   scripts/meson-setup.sh DPDK BUILDDIR [meson options...]     (CC from the environment)
#
# DPDK: system (what `pkg-config libdpdk` finds, PKG_CONFIG_PATH included)
# or 24.11 / 25.11 (scripts/dpdk-lts.sh builds or finds the cached LTS).
# The DPDK a directory was configured for is recorded in BUILDDIR/.dpdk-stamp
# (version, prefix and library directory; for an LTS the cache's key). When
# it no longer matches - another PKG_CONFIG_PATH, a rebuilt LTS - the
# directory is configured again from scratch (meson setup --wipe), so a build
# directory never silently tests another DPDK than the one asked for.
set -eu

[ $# -ge 2 ] || { echo "usage: $0 DPDK BUILDDIR [meson options...]" >&2; exit 2; }
dpdk=$1
dir=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)

if [ "$dpdk" = system ]; then
	if ! pkg-config --exists libdpdk; then
		echo "meson-setup: pkg-config finds no libdpdk (run make setup, or set" \
			"PKG_CONFIG_PATH to your DPDK)" >&2
		exit 1
	fi
	stamp="system $(pkg-config --modversion libdpdk) $(pkg-config --variable=prefix libdpdk)"
	stamp="$stamp $(pkg-config --variable=libdir libdpdk)"
	if [ -n "${PKG_CONFIG_PATH:-}" ]; then
		set -- "-Dpkg_config_path=$PKG_CONFIG_PATH" "$@"
	fi
else
	pcdir=$("$top/scripts/dpdk-lts.sh" "$dpdk")
	stamp="lts $dpdk $(cat "${pcdir%/prefix/lib/pkgconfig}/key")"
	set -- "-Dpkg_config_path=$pcdir" "$@"
fi

if [ -f "$dir/build.ninja" ] && [ -f "$dir/.dpdk-stamp" ] &&
   [ "$(cat "$dir/.dpdk-stamp")" = "$stamp" ]; then
	exit 0
fi
if [ -d "$dir/meson-private" ]; then
	echo "meson-setup: $dir was configured for another DPDK; configuring it again" >&2
	meson setup --wipe "$dir" "$@"
else
	meson setup "$dir" "$@"
fi
echo "$stamp" > "$dir/.dpdk-stamp"
