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

With --mode samples it samples every CPU instead (perf record -a) and
prints, per number of secondaries, each kind's share of the samples taken
inside the windows and the symbols most sampled; with --mode syscalls it
counts the system calls each kind entered inside a window, per reset (the
raw_syscalls:sys_enter tracepoint). On a virtual machine whose system
calls cost a microsecond each, that count is a cost in itself.

    bench/cpu_window.py [--build build] [--workers 1,8] [--rounds 11]
                        [--mode sched|samples|syscalls] [--top 25]
"""

import argparse
import bisect
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


def windows(runs):
    """(start s, end s, run index) of every reset: device's return to traffic, sorted."""
    return sorted((r["up_ns"] / 1e9, r["traffic_ns"] / 1e9, i)
                  for i, run in enumerate(runs) for r in run["resets"])


def in_window(wins, starts, t):
    """The run index of the window holding t, or None."""
    i = bisect.bisect_right(starts, t) - 1
    return wins[i][2] if i >= 0 and t <= wins[i][1] else None


def syscall_names():
    """System call numbers to names, from the x86-64 header; empty elsewhere (numbers shown)."""
    names = {}
    try:
        with open("/usr/include/x86_64-linux-gnu/asm/unistd_64.h") as f:
            for line in f:
                m = re.match(r"#define __NR_(\w+) (\d+)", line)
                if m:
                    names[int(m.group(2))] = m.group(1)
    except OSError:
        pass
    return names


def report_events(runs, events, unit, top):
    """events: (time s, kind, what). Per run: each kind's count, the top whats."""
    wins = windows(runs)
    starts = [w[0] for w in wins]
    per_kind = [Counter() for _ in runs]
    per_what = [Counter() for _ in runs]
    for t, k, what in events:
        i = in_window(wins, starts, t)
        if i is not None:
            per_kind[i][k] += 1
            per_what[i][(k, what)] += 1
    for i, run in enumerate(runs):
        n = len(run["resets"])
        total = sum(per_kind[i].values()) or 1
        print(f"{run['secondaries']} secondaries, {n} resets, {unit}:")
        for k, c in per_kind[i].most_common():
            print(f"  {c / n:9.1f}  {100 * c / total:5.1f}%  {k}")
        for (k, what), c in per_what[i].most_common(top):
            print(f"  {c / n:9.1f}  {100 * c / total:5.1f}%  {k:24} {what}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--workers", default="1,8")
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--mode", choices=("sched", "samples", "syscalls"), default="sched")
    ap.add_argument("--top", type=int, default=25, help="symbols or system calls listed")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    ncpu = os.cpu_count()
    # cpu-clock: idle CPUs are sampled too (a hardware cycles event would not).
    record = {"sched": ["perf", "sched", "record"],
              "samples": ["perf", "record", "-a", "-e", "cpu-clock", "-F", "15000"],
              "syscalls": ["perf", "record", "-a", "-e", "raw_syscalls:sys_enter",
                           "--exclude-perf"]}[a.mode]
    with tempfile.TemporaryDirectory(prefix="cpu_window") as tmp:
        data, js = os.path.join(tmp, "perf.data"), os.path.join(tmp, "ro.json")
        subprocess.run(record + ["-k", "CLOCK_MONOTONIC", "-o", data, "--",
                        sys.executable, os.path.join(here, "reset_overhead.py"), "--build",
                        a.build, "--workers", a.workers, "--rounds", str(a.rounds),
                        "--silent-rounds", "0", "--false-eviction-resets", "0",
                        "--fixed-queues", "0", "--json", js, "--logdir", tmp],
                       check=True, stdout=subprocess.DEVNULL)
        runs = json.load(open(js))["runs"]
        if a.mode == "sched":
            segs = segments(data)
        else:
            fields = "time,comm,tid,ip,sym,dso" if a.mode == "samples" else "time,comm,tid,trace"
            out = subprocess.run(["perf", "script", "-i", data, "-F", fields],
                                 capture_output=True, text=True, check=True).stdout
    if a.mode != "sched":
        events, unread = [], 0
        nr = syscall_names()
        for line in out.splitlines():
            if a.mode == "samples":
                m = re.match(r"\s*(\S.*?)\s+\d+\s+(\d+\.\d+):\s+[0-9a-f]+\s+(\S+)\s+\((.*)\)",
                             line)
                what = m and f"{m.group(3)} ({os.path.basename(m.group(4))})"
            else:
                m = re.match(r"\s*(\S.*?)\s+\d+\s+(\d+\.\d+):\s+NR (\d+) \(\w+, (\w+)", line)
                what = m and nr.get(int(m.group(3)), m.group(3))
                if what == "ioctl":
                    what += " " + m.group(4)    # the request, in hex
            if not m:
                unread += 1
            else:
                comm = m.group(1)
                k = "idle" if comm == "swapper" else kind(comm)
                events.append((float(m.group(2)),
                               k if k != "other" else re.sub(r"\d+$", "", comm), what))
        if unread:
            print(f"({unread} lines of perf script not understood, left out)")
        report_events(runs, events, "samples per reset (window: device's return to traffic)"
                      if a.mode == "samples" else "system calls per reset in the window", a.top)
        return
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
