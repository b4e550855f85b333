#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Where the CPU goes between the device's return and traffic on every queue.

Runs bench/reset_overhead.py under `perf sched record` (CLOCK_MONOTONIC, the
clock of the benchmark's timestamps) and, for each reset, adds up what every
thread ran on the machine's CPUs from the device's return (the device
model's last_up_ns) to the last worker's first packet: the window the reset
overhead's post-return part is made of. Prints, per number of secondaries,
the median window, how busy the CPUs were in it and the CPU time of each
kind of thread (by name: the benchmark's processes' main threads, the
primary's reset thread, EAL's interrupt and rte_mp threads of every process,
the VF's engine). Tracing adds its own cost: compare the windows with an
untraced run of reset_overhead.py.

    bench/cpu_window.py [--build build] [--workers 1,8] [--rounds 11]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import Counter

KINDS = (("mana-bench-rese", "processes' main threads"), ("mana-rst-", "reset thread"),
         ("eal-intr-thread", "interrupt threads"), ("rte_mp_handle", "rte_mp threads"),
         ("mana-sim-eng", "VF engine"), ("<idle>", "idle"))


def kind(comm):
    for prefix, name in KINDS:
        if comm.startswith(prefix):
            return name
    return "other"


def segments(data):
    """(start s, end s, kind) of every run on a CPU, from perf sched timehist."""
    out = subprocess.run(["perf", "sched", "timehist", "-i", data], capture_output=True,
                         text=True, check=True).stdout
    segs = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 6 or not re.match(r"^\d+\.\d+$", f[0]):
            continue
        comm = re.sub(r"\[\d+(/\d+)?\]$", "", f[2])
        run = float(f[-1]) / 1000
        segs.append((float(f[0]) - run, float(f[0]), kind(comm)))
    return segs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--workers", default="1,8")
    ap.add_argument("--rounds", type=int, default=11)
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    ncpu = os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="cpu_window") as tmp:
        data, js = os.path.join(tmp, "sched.data"), os.path.join(tmp, "ro.json")
        subprocess.run(["perf", "sched", "record", "-k", "CLOCK_MONOTONIC", "-o", data, "--",
                        sys.executable, os.path.join(here, "reset_overhead.py"), "--build",
                        a.build, "--workers", a.workers, "--rounds", str(a.rounds),
                        "--silent-rounds", "0", "--false-eviction-resets", "0", "--json", js,
                        "--logdir", tmp], check=True, stdout=subprocess.DEVNULL)
        segs = segments(data)
        runs = json.load(open(js))["runs"]
    names = [n for _, n in KINDS] + ["other"]
    print(f"CPU time from the device's return to traffic on every queue ({ncpu} CPUs, "
          f"median of {a.rounds} resets, under perf sched tracing), ms:")
    print(f"{'secondaries':>11} {'window':>7} {'busy':>6}  " + "  ".join(names))
    for run in runs:
        rows = []
        for r in run["resets"]:
            lo, hi = r["up_ns"] / 1e9, r["traffic_ns"] / 1e9
            acc = Counter()
            for s, e, k in segs:
                o = min(e, hi) - max(s, lo)
                if o > 0:
                    acc[k] += o * 1000
            win = (hi - lo) * 1000
            rows.append((win, 1 - acc["idle"] / (win * ncpu), acc))
        med = lambda xs: statistics.median(xs)  # noqa: E731
        print(f"{run['secondaries']:>11} {med(x[0] for x in rows):>7.2f} "
              f"{100 * med(x[1] for x in rows):>5.0f}%  " +
              "  ".join(f"{med(x[2][n] for x in rows):.2f}" for n in names))


if __name__ == "__main__":
    main()
