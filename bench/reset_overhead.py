#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Coordination overhead of a reset with 1..16 secondaries, and with one hung
secondary. Runs build/bench/mana-bench-reset as a primary plus N workers.

    bench/reset_overhead.py [--build build] [--rounds 7] [--down-ms 100] [--json F] [--logdir D]
"""
import argparse
import glob
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time


# The software MANA VF every process runs on (one instance per run).
BDF = "7870:00:00.0"
MAC = "00:15:5d:10:00:02"


def sim_env(build, instance):
    env = dict(os.environ)
    env["LD_PRELOAD"] = os.path.join(os.path.abspath(build), "sim", "libmana_sim.so")
    env["MANA_SIM"] = f"instance={instance};fn={BDF},mac2={MAC}"
    return env


def cleanup(prefix):
    shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    shutil.rmtree(f"/run/mana-sim/{prefix}", ignore_errors=True)
    for f in glob.glob(f"/dev/hugepages/{prefix}map_*"):
        os.unlink(f)


def read_json(proc, deadline):
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                return None
            continue
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return None


def failure(what, logs):
    """RuntimeError naming @what, with the end of every process's stderr."""
    tails = []
    for path in logs:
        with open(path, errors="replace") as f:
            lines = [ln for ln in f.read().splitlines() if not ln.startswith("EAL: Detected")]
        tails.append(f"--- {path}:\n" + "\n".join(lines[-6:]))
    return RuntimeError(what + "\n" + "\n".join(tails))


def run(build, binary, workers, rounds, down_ms, ack_ms, hang, logdir, poll_ms=1):
    prefix = f"brst{os.getpid()}_{workers}{'h' if hang else ''}"
    env = sim_env(build, prefix)
    eal = [f"--file-prefix={prefix}", "--log-level=lib.*:error",
           "--log-level=pmd.net.mana_mpr.*:error", "--log-level=mana_sim:error"]
    # recovery_poll_ms: how late the device's return is seen is the reopen
    # back-off's granularity (default 64 ms), not coordination.
    dev = f"{BDF},mac={MAC},ack_timeout_ms={ack_ms},recovery_poll_ms={poll_ms}"
    prim = [binary, "--lcores=0@0", *eal, "-a", dev,
            "--", "-w", str(workers), "-r", str(rounds), "-d", str(down_ms)]
    procs = []
    results = []
    logs = [os.path.join(logdir, f"{prefix}_primary.log")]
    logs += [os.path.join(logdir, f"{prefix}_worker{k}.log") for k in range(workers)]
    try:
        with open(logs[0], "w") as err:
            p = subprocess.Popen(prim, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        procs.append(p)
        deadline = time.monotonic() + 60
        ev = read_json(p, deadline)
        if not ev or ev.get("ev") != "ready":
            raise failure("primary did not start", logs[:1])
        # One worker at a time: what is measured is the reset, not a start-up
        # storm (16 secondaries allocating at once overflow the primary's
        # rte_mp socket, EAL's mp_malloc_sync then fails: see the NIC guide).
        for k in range(workers):
            with open(logs[k + 1], "w") as err:
                procs.append(subprocess.Popen(
                    [binary, f"--lcores={k + 1}@(0-1)", "--proc-type=secondary", *eal,
                     "-a", f"{BDF},mac={MAC}", "--", "-k", str(k)],
                    stdout=subprocess.DEVNULL, stderr=err, env=env))
            ev = read_json(p, time.monotonic() + 60)
            if not ev or ev != {"ev": "worker", "k": k}:
                raise failure(f"worker {k} did not get traffic", logs[:k + 2])
        ev = read_json(p, time.monotonic() + 60)
        if not ev or ev.get("ev") != "traffic":
            raise failure("no traffic", logs)
        if hang:
            os.kill(procs[2].pid, signal.SIGSTOP)   # worker 1 stops answering
        while len(results) < rounds:
            ev = read_json(p, time.monotonic() + 60)
            if not ev:
                raise failure("primary stopped reporting", logs)
            if ev.get("ev") == "round":
                results.append(ev)
        p.wait(timeout=30)
    finally:
        for q in procs[1:]:
            try:
                os.kill(q.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        for q in procs:
            try:
                q.wait(timeout=5)
            except subprocess.TimeoutExpired:
                q.kill()
                q.wait()
        cleanup(prefix)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--down-ms", type=int, default=100)
    ap.add_argument("--ack-ms", type=int, default=200)
    ap.add_argument("--poll-ms", type=int, default=1,
                    help="recovery_poll_ms devarg (reopen back-off cap; default 1)")
    ap.add_argument("--workers", default="1,2,4,8,16")
    ap.add_argument("--json", default=None)
    ap.add_argument("--logdir", default=None,
                    help="stderr of every process (default: next to --json, else cwd)")
    a = ap.parse_args()
    logdir = a.logdir or (os.path.dirname(a.json) if a.json else ".") or "."
    os.makedirs(logdir, exist_ok=True)
    binary = os.path.join(a.build, "bench", "mana-bench-reset")
    summary = {"down_ms": a.down_ms, "ack_timeout_ms": a.ack_ms, "runs": []}
    print(f"reset coordination overhead (event to traffic on every queue of every process,"
          f" minus the device's {a.down_ms} ms down time), {a.rounds} resets each:")
    print(f"{'secondaries':>11} {'median ms':>10} {'max ms':>8}   median phase us "
          "(quiesce unmap teardown wait_hw reopen remap rebuild resume)")
    medians = {}
    for n in [int(x) for x in a.workers.split(",")]:
        res = run(a.build, binary, n, a.rounds, a.down_ms, a.ack_ms, hang=False, logdir=logdir,
                  poll_ms=a.poll_ms)
        ov = [r["overhead_ms"] for r in res]
        phases = [int(statistics.median(r["phases_us"][i] for r in res)) for i in range(8)]
        medians[n] = statistics.median(ov)
        print(f"{n:>11} {medians[n]:>10.3f} {max(ov):>8.3f}   {phases}")
        summary["runs"].append({"secondaries": n, "overhead_ms": ov, "phases_us": phases})
    if 1 in medians and 16 in medians:
        print(f"16 secondaries / 1 secondary: {medians[16] / medians[1]:.2f}x")
    res = run(a.build, binary, 4, 3, a.down_ms, a.ack_ms, hang=True, logdir=logdir,
              poll_ms=a.poll_ms)
    first = res[0]
    later = ", ".join("%.2f" % r["overhead_ms"] for r in res[1:])
    print(f"one hung secondary of 4 (SIGSTOP; ack timeout {a.ack_ms} ms, device down"
          f" {a.down_ms} ms): the other 3 had traffic {first['event_to_traffic_ms']:.1f} ms"
          f" after the fatal event = {first['event_to_traffic_ms'] / a.ack_ms:.3f}x the ack"
          f" timeout; overhead of the next resets: {later} ms (the hung one is evicted)")
    summary["hung"] = res
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
