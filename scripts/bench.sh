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
eal="--no-pci --file-prefix=$prefix --log-level=lib.*:error --log-level=pmd.net.mana_mpr.*:error"

cleanup() {
	rm -rf "/var/run/dpdk/$prefix"
	rm -f /dev/hugepages/"${prefix}"map_*
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
	"$build/bench/mana-bench-guard" -l 0 $eal --vdev=net_mana_sim0 -- -r 31 -i 200000
cleanup
step "$out/guard_asm.txt" python3 tests/unit/check_guard_asm.py "$build/bench/mana-bench-guard"

echo "== software data path (bench/bench_dataplane.c)"
for q in 1 2; do
	# shellcheck disable=SC2086
	step "$out/dataplane_$q.txt" \
		"$build/bench/mana-bench-dataplane" -l 0 $eal --vdev=net_mana_sim0 -- -q $q -t 5
	cleanup
done

echo "== reset coordination overhead (bench/bench_reset.c)"
step "$out/reset.txt" \
	python3 bench/reset_overhead.py --build "$build" --rounds 25 --json "$out/reset.json"
