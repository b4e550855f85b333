#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
#
# `make demo`: one DPDK primary + 2 worker secondaries keep traffic running
# through 3 MANA service resets (software MANA VF); prints the live
# status and the report, draws the chart. Exits with the demo's verdict.
# Usage: demo.sh BUILDDIR [run_demo.py options...]   (output: $DEMO_OUT or ./out)
set -eu

build=${1:-build}
[ $# -gt 0 ] && shift
top=$(cd "$(dirname "$0")/.." && pwd)
# Debian's interpreter: python3-matplotlib is a Debian package.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" "$top/examples/mana_mp_reset/run_demo.py" --build "$build" --out "${DEMO_OUT:-out}" "$@"
