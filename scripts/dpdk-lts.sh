#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
#
# Build a DPDK LTS from its source tarball into a cache outside the checkout
# and print the pkg-config directory of the result.
#
#   scripts/dpdk-lts.sh 24.11        -> /var/cache/mana-mp-reset/dpdk-24.11/prefix/lib/pkgconfig
#
# Only what this project and the stock tools need is built: the libraries
# testpmd, proc-info and dumpcap use, the PCI and vdev buses, the ring
# mempool, and the in-tree net/mana (as Debian 13 and Ubuntu ship it), so
# that every test against an LTS also proves coexistence with it.
# The driver SDK headers are installed (enable_driver_sdk).
#
# The build is reused while the tarball and the build options are the same
# (their checksum is kept next to the install); anything else rebuilds.
# Environment:
#   MANA_DPDK_TARBALLS  directory holding dpdk-<version>.tar.xz
#                       (default: ../shared/dpdk next to the checkout)
#   MANA_DPDK_CACHE     cache directory (default: /var/cache/mana-mp-reset)
# Progress goes to stderr; stdout carries only the pkg-config directory.
set -eu

usage() { echo "usage: $0 <24.11|25.11>" >&2; exit 2; }
[ $# -eq 1 ] || usage
ver=$1
case "$ver" in
24.11|25.11) ;;
*) echo "dpdk-lts.sh: unsupported DPDK version '$ver' (24.11 or 25.11)" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
tarballs=${MANA_DPDK_TARBALLS:-$top/../shared/dpdk}
tarball=$tarballs/dpdk-$ver.tar.xz
cache=${MANA_DPDK_CACHE:-/var/cache/mana-mp-reset}
dir=$cache/dpdk-$ver
prefix=$dir/prefix
pcdir=$prefix/lib/pkgconfig

say() { printf '[dpdk-%s] %s\n' "$ver" "$*" >&2; }

if [ ! -r "$tarball" ]; then
	echo "dpdk-lts.sh: $tarball not found (set MANA_DPDK_TARBALLS)" >&2
	exit 1
fi

# Keep in step with what the project uses; testpmd/proc-info/dumpcap pull
# in the rest (security, eventdev, pdump...). Libraries not listed and not
# always enabled by DPDK are left out to keep the first build short.
LIBS=bitratestats,bpf,cryptodev,dmadev,eventdev,gro,gso,latencystats,metrics,pcapng,pdump
LIBS=$LIBS,security,timer
DRIVERS=bus/pci,bus/vdev,mempool/ring,net/mana
APPS=test-pmd,proc-info,dumpcap
OPTS="-Dplatform=generic -Denable_driver_sdk=true -Denable_libs=$LIBS \
-Denable_drivers=$DRIVERS -Denable_apps=$APPS -Dtests=false -Denable_docs=false \
-Dexamples= -Dbuildtype=release -Ddefault_library=shared --libdir=lib"

# DPDK's build tools need Debian's python3 (pyelftools), not one on PATH
# ahead of it (pyenv).
PATH=/usr/bin:$PATH
export PATH

key=$( (sha256sum < "$tarball"; echo "$OPTS"; cc --version | head -n 1) | sha256sum | cut -c1-32)

mkdir -p "$cache"
exec 9>"$cache/dpdk-$ver.lock"
flock 9

if [ -f "$dir/key" ] && [ "$(cat "$dir/key")" = "$key" ] && [ -f "$pcdir/libdpdk.pc" ]; then
	say "cached in $prefix"
	echo "$pcdir"
	exit 0
fi

say "building from $tarball into $prefix (2-3 minutes on 2 cores)"
start=$(date +%s)
# Built and installed aside (DESTDIR), then put in place: a process still
# using the previous build keeps its files until it exits.
work=$dir/work
rm -rf "$work"
mkdir -p "$work"
tar -C "$work" -xJf "$tarball"
src=$work/dpdk-$ver
if [ ! -f "$src/VERSION" ] || [ "$(cut -d. -f1,2 "$src/VERSION")" != "$ver" ]; then
	echo "dpdk-lts.sh: $tarball does not hold DPDK $ver" >&2
	exit 1
fi
# shellcheck disable=SC2086 # OPTS is a list of words
meson setup "$work/build" "$src" --prefix="$prefix" $OPTS >"$dir/setup.log" 2>&1 || {
	tail -n 30 "$dir/setup.log" >&2
	echo "dpdk-lts.sh: meson setup failed, log in $dir/setup.log" >&2
	exit 1
}
ninja -C "$work/build" >"$dir/build.log" 2>&1 || {
	grep -B2 -A10 -m3 'FAILED' "$dir/build.log" >&2 || tail -n 30 "$dir/build.log" >&2
	echo "dpdk-lts.sh: build failed, log in $dir/build.log" >&2
	exit 1
}
DESTDIR=$work/stage meson install -C "$work/build" --quiet >"$dir/install.log" 2>&1 || {
	tail -n 30 "$dir/install.log" >&2
	exit 1
}
rm -f "$dir/key"
rm -rf "$dir/prefix.old"
[ -d "$prefix" ] && mv "$prefix" "$dir/prefix.old"
mv "$work/stage$prefix" "$prefix"
rm -rf "$dir/prefix.old" "$work"
echo "$key" > "$dir/key"
say "built in $(( $(date +%s) - start )) s"
echo "$pcdir"
