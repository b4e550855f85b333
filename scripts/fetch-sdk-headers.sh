#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
#
# Called by meson at configure time: put the DPDK driver-SDK headers that
# Debian's libdpdk-dev does not ship into OUTDIR (inside the build dir).
# They come from the Debian source package of exactly the installed DPDK
# version; the version is checked against pkg-config before anything is used.
# Usage: fetch-sdk-headers.sh OUTDIR
set -eu

out=$1
headers="lib/ethdev/ethdev_driver.h lib/ethdev/ethdev_vdev.h lib/ethdev/ethdev_pci.h
lib/eal/include/dev_driver.h drivers/bus/vdev/bus_vdev_driver.h
drivers/bus/pci/bus_pci_driver.h"

modver=$(pkg-config --modversion libdpdk)
debver=$(dpkg-query -W -f='${Version}' libdpdk-dev)
stamp="$out/.version"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$debver" ]; then
	ok=1
	for h in $headers; do
		[ -f "$out/$(basename "$h")" ] || ok=0
	done
	[ "$ok" = 1 ] && exit 0
fi

mkdir -p "$out/src"
cd "$out/src"
orig=$(ls dpdk_*.orig.tar.* 2>/dev/null | head -n 1 || true)
if [ -z "$orig" ]; then
	if ! apt-get source --download-only "dpdk=$debver" >apt.log 2>&1; then
		cat apt.log >&2
		echo "fetch-sdk-headers: 'apt-get source dpdk=$debver' failed;" \
			"run 'make setup' (enables deb-src) first" >&2
		exit 1
	fi
	orig=$(ls dpdk_*.orig.tar.* | head -n 1)
fi

topdir=$(tar -tf "$orig" | head -n 1 | cut -d/ -f1)
members="$topdir/VERSION"
for h in $headers; do
	members="$members $topdir/$h"
done
rm -rf "$topdir"
# shellcheck disable=SC2086
tar -xf "$orig" $members

srcver=$(cat "$topdir/VERSION")
if [ "$srcver" != "$modver" ]; then
	echo "fetch-sdk-headers: source VERSION $srcver != installed libdpdk $modver" >&2
	exit 1
fi
for h in $headers; do
	cp "$topdir/$h" "$out/"
done
rm -rf "$topdir"
echo "$debver" > "$stamp"
echo "driver-SDK headers for DPDK $modver in $out"
