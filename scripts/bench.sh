#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
#
# Run every benchmark (make bench). Figures go to stdout and, as JSON lines,
# to $BENCH_OUT (default ./out/bench); doc/performance.rst records them.
# Usage: scripts/bench.sh BUILDDIR
set -eu

build=${1:-build}
out=${BENCH_OUT:-out/bench}
mkdir -p "$out"
prefix="bench$$"
# Every benchmark runs on the software MANA VF, through the PCI probe and
# rdma-core's API (libmana_sim.so preloaded), port 2 of its function.
bdf=7870:00:00.0
mac=00:15:5d:10:00:02
eal="--file-prefix=$prefix --log-level=lib.*:error --log-level=pmd.net.mana_mpr.*:error"
dev="$bdf,mac=$mac"
sim_lib=$(cd "$build" && pwd)/sim/libmana_sim.so

cleanup() {
	rm -rf "/var/run/dpdk/$prefix" "/run/mana-sim/$prefix"
	rm -f /dev/hugepages/"${prefix}"map_*
}

# on_vf CMD...: run CMD on a VF instance of its own.
on_vf() {
	LD_PRELOAD=$sim_lib MANA_SIM="instance=$prefix;fn=$bdf,mac2=$mac" "$@"
}
trap cleanup EXIT INT TERM

# step FILE CMD...: run CMD with its output in FILE, show it, and keep CMD's
# status (sh has no pipefail: in `CMD | tee FILE` a failure would be lost).
step() {
	file=$1
	shift
	status=0
	"$@" >"$file" || status=$?
	cat "$file"
	return "$status"
}

echo "== machine"
echo "$(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "kernel $(uname -r), DPDK $(sed -n 's/^version=//p' "$build/dpdk.env")"

echo "== burst-guard cost (bench/bench_guard.c)"
# shellcheck disable=SC2086
step "$out/guard.txt" \
	on_vf "$build/bench/mana-bench-guard" -l 0 $eal -a "$dev" -- -r 31 -i 200000
cleanup
step "$out/guard_asm.txt" python3 tests/unit/check_guard_asm.py "$build/bench/mana-bench-guard"

echo "== software data path (bench/bench_dataplane.c)"
for q in 1 2; do
	# shellcheck disable=SC2086
	step "$out/dataplane_$q.txt" \
		on_vf "$build/bench/mana-bench-dataplane" -l 0 $eal -a "$dev" -- -q $q -t 5
	cleanup
done

echo "== reset coordination overhead (bench/bench_reset.c)"
step "$out/reset.txt" \
	python3 bench/reset_overhead.py --build "$build" --rounds 25 --json "$out/reset.json"
