#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
#
# `make coverage`: line coverage of every driver file by the whole suite
# (unit tests and the multi-process tests, all on the software MANA VF
# through the PCI probe and rdma-core's API), measured with gcov in a build
# of its own and reported per file by gcovr. Fails if the rdma-core glue
# (drivers/net/mana/mana_verbs.c) is below $MIN_GLUE percent (90).
# Usage: scripts/coverage.sh BUILDDIR   (output: $COVERAGE_OUT or out/coverage)
set -eu

build=${1:?usage: coverage.sh BUILDDIR}
out=${COVERAGE_OUT:-out/coverage}
min=${MIN_GLUE:-90}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"

# Counts of this run only. Every process of the suite writes its counts at
# exit (libgcov merges them under a file lock); a process killed by a test
# (SIGKILL) writes none, so what it ran is not counted.
find "$build" -name '*.gcda' -delete
meson test -C "$build" --suite unit --print-errorlogs
MANA_BUILD=$(cd "$build" && pwd) /usr/bin/python3 -m pytest "$top/tests/pytest" -q

gcovr -r "$top" --object-directory "$build" --filter "$top/drivers/net/mana/" \
	--txt "$out/coverage.txt" --json-summary "$out/coverage.json" --print-summary
cat "$out/coverage.txt"
/usr/bin/python3 - "$out/coverage.json" "$min" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
glue = [f for f in data["files"] if f["filename"].endswith("drivers/net/mana/mana_verbs.c")]
if not glue:
    sys.exit("coverage: no data for drivers/net/mana/mana_verbs.c")
pct = glue[0]["line_percent"]
print(f"rdma-core glue (mana_verbs.c): {pct:.1f}% of lines (minimum {sys.argv[2]}%)")
sys.exit(0 if pct >= float(sys.argv[2]) else 1)
PY
