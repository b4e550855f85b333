#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Coordination overhead of a reset with 1..16 secondaries (each polling a
queue of its own, the port having as many queues; then again on a port of
16 queues for every N, so that only the number of processes changes); one silent
secondary of four (SIGSTOPped, and separately with its message thread
blocked) with ack_timeout_ms 500 and 2000 side by side; the false-eviction
count over many resets under traffic. Runs build/bench/mana-bench-reset as a
primary plus N workers.

    bench/reset_overhead.py [--build build] [--rounds 7] [--down-ms 100] [--json F] [--logdir D]
                            [--fixed-queues 16] [--silent-acks 500,2000]
                            [--false-eviction-resets 1000]
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


def run(build, binary, workers, rounds, down_ms, ack_ms, hang, logdir, poll_ms=1, block_ms=0,
        warmup=0, tag="", queues=0):
    """@hang: SIGSTOP worker 1 once traffic runs; @block_ms: worker 1's
    message thread is busy that long from each fatal event on; @queues: the
    port's queues (0: @workers, rounded up to a power of two)."""
    prefix = f"brst{os.getpid()}_{workers}{'h' if hang else ''}{'b' if block_ms else ''}{tag}"
    env = sim_env(build, prefix)
    eal = [f"--file-prefix={prefix}", "--log-level=lib.*:error",
           "--log-level=pmd.net.mana_mpr.*:error", "--log-level=mana_sim:error"]
    # recovery_poll_ms: how late the device's return is seen is the reopen
    # back-off's granularity (default 64 ms), not coordination.
    dev = f"{BDF},mac={MAC},ack_timeout_ms={ack_ms},recovery_poll_ms={poll_ms}"
    prim = [binary, "--lcores=0@0", *eal, "-a", dev,
            "--", "-w", str(workers), "-r", str(rounds), "-d", str(down_ms),
            "-u", str(warmup), "-S", str(block_ms), "-q", str(queues)]
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
        port_queues = ev["queues"]
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
        ev = read_json(p, time.monotonic() + 60 + warmup * 5)
        if not ev or ev.get("ev") != "traffic":
            raise failure("no traffic", logs)
        if hang:
            os.kill(procs[2].pid, signal.SIGSTOP)   # worker 1 stops answering
        while len(results) < rounds:
            ev = read_json(p, time.monotonic() + 60 + (ack_ms / 1000))
            if not ev:
                raise failure("primary stopped reporting", logs)
            if ev.get("ev") == "round":
                ev["queues"] = port_queues
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


def series(a, binary, logdir, workers, queues):
    """One row per number of secondaries in @workers, on a port of @queues
    queues (0: as many as secondaries, rounded up to a power of two); the
    16/1 ratio and the per-round cost. Returns the rows for the JSON
    summary, each with the port's queues as the primary set them up."""
    runs = []
    medians = {}
    for n in workers:
        res = run(a.build, binary, n, a.rounds, a.down_ms, a.ack_ms, hang=False, logdir=logdir,
                  poll_ms=a.poll_ms, tag=f"q{queues}" if queues else "", queues=queues)
        ov = [r["overhead_ms"] for r in res]
        back = statistics.median(r["back_ms"] for r in res)
        phases = [int(statistics.median(r["phases_us"][i] for r in res)) for i in range(8)]
        medians[n] = statistics.median(ov)
        print(f"{n:>11} {medians[n]:>10.3f} {max(ov):>8.3f} {back:>8.3f}   {phases}")
        runs.append({"secondaries": n, "queues": res[0]["queues"], "overhead_ms": ov,
                     "back_ms": [r["back_ms"] for r in res],
                     "phases_us": phases,
                     "unmap_round_us": int(statistics.median(r["unmap_round_us"] for r in res)),
                     "remap_round_us": int(statistics.median(r["remap_round_us"] for r in res)),
                     "resets": res})
    if 1 in medians and 16 in medians:
        print(f"16 secondaries / 1 secondary: {medians[16] / medians[1]:.2f}x")
    print("per-round cost (median us): " + ", ".join(
        f"{r['secondaries']} sec: UNMAP_DB {r['unmap_round_us']} REMAP_DB {r['remap_round_us']}"
        for r in runs))
    return runs


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--down-ms", type=int, default=100)
    ap.add_argument("--ack-ms", type=int, default=200)
    ap.add_argument("--poll-ms", type=int, default=1,
                    help="recovery_poll_ms devarg (reopen back-off cap; default 1)")
    ap.add_argument("--workers", default="1,2,4,8,16")
    ap.add_argument("--fixed-queues", type=int, default=16,
                    help="run the series again on a port of this many queues (0: skip)")
    ap.add_argument("--silent-acks", default="500,2000",
                    help="ack_timeout_ms values for the silent-secondary runs, side by side")
    ap.add_argument("--silent-rounds", type=int, default=3)
    ap.add_argument("--block-ms", type=int, default=300,
                    help="how long the blocked secondary's message thread is busy per reset")
    ap.add_argument("--false-eviction-resets", type=int, default=1000,
                    help="resets under traffic, everyone healthy, counting evictions (0: skip)")
    ap.add_argument("--false-eviction-workers", type=int, default=4)
    ap.add_argument("--false-eviction-down-ms", type=int, default=10)
    ap.add_argument("--json", default=None)
    ap.add_argument("--logdir", default=None,
                    help="stderr of every process (default: next to --json, else cwd)")
    a = ap.parse_args()
    logdir = a.logdir or (os.path.dirname(a.json) if a.json else ".") or "."
    os.makedirs(logdir, exist_ok=True)
    binary = os.path.join(a.build, "bench", "mana-bench-reset")
    workers = [int(x) for x in a.workers.split(",")]
    if a.fixed_queues != 0 and (a.fixed_queues & (a.fixed_queues - 1) != 0 or
                                not max(workers) <= a.fixed_queues <= 32):
        ap.error(f"--fixed-queues: a power of two from {max(workers)} (the most secondaries)"
                 " to 32, or 0")
    summary = {"down_ms": a.down_ms, "ack_timeout_ms": a.ack_ms}
    print(f"reset coordination overhead (the driver's receipt of the fatal event to traffic on"
          f" every queue of every process, minus the device's {a.down_ms} ms down time; back:"
          f" from the device's return to that traffic), {a.rounds} resets each:")
    print(f"{'secondaries':>11} {'median ms':>10} {'max ms':>8} {'back ms':>8}   median phase us "
          "(quiesce unmap teardown wait_hw reopen remap rebuild resume)")
    summary["runs"] = series(a, binary, logdir, workers, 0)
    if a.fixed_queues > 0:
        print(f"the same, on a port of {a.fixed_queues} queues for every number of secondaries"
              " (the reset rebuilds as many queues in every row):")
        summary["fixed_queues"] = {"queues": a.fixed_queues,
                                   "runs": series(a, binary, logdir, workers, a.fixed_queues)}

    # One silent secondary of four: the other three's time from the device's
    # return to traffic, per ack_timeout_ms, side by side (0 rounds: skipped).
    summary["silent"] = []
    if a.silent_rounds > 0:
        print(f"one silent secondary of 4 (device down {a.down_ms} ms, after 2 warm-up resets):"
              " the other 3's traffic after the device's return, ms (max over them, per reset)")
        print(f"{'silent secondary':>24} {'ack_timeout_ms':>14} {'back ms':>24} {'UNMAP us':>18}"
              f" {'REMAP us':>18} {'deadline ms':>11} {'evicted (stop/deadline)':>23}"
              f" {'rejoin ms':>18}")
        for mode in ("SIGSTOP", "msg blocked"):
            for ack in [int(x) for x in a.silent_acks.split(",")]:
                res = run(a.build, binary, 4, a.silent_rounds, a.down_ms, ack,
                          hang=mode == "SIGSTOP", logdir=logdir, poll_ms=a.poll_ms,
                          block_ms=a.block_ms if mode != "SIGSTOP" else 0, warmup=2, tag=f"a{ack}")
                last = res[-1]
                fmt = lambda key, f="%.1f": ",".join(f % r[key] for r in res)  # noqa: E731
                print(f"{mode:>24} {ack:>14} {fmt('back_ms'):>24} {fmt('unmap_round_us', '%d'):>18}"
                      f" {fmt('remap_round_us', '%d'):>18} {last['ack_deadline_ms']:>11}"
                      f" {'%d/%d' % (last['evictions_cannot_run'], last['evictions_deadline']):>23}"
                      f" {fmt('rejoin_ms') if mode != 'SIGSTOP' else '-':>18}")
                summary["silent"].append({"mode": mode, "ack_timeout_ms": ack, "rounds": res})

    if a.false_eviction_resets > 0:
        n = a.false_eviction_workers
        res = run(a.build, binary, n, a.false_eviction_resets, a.false_eviction_down_ms,
                  500, hang=False, logdir=logdir, poll_ms=a.poll_ms, tag="fe")
        last = res[-1]
        false_ev = last["evictions"]
        rto = sorted(r["ack_deadline_ms"] for r in res)
        srtt = sorted(r["ack_srtt_us"] for r in res)
        print(f"false evictions: {false_ev} in {len(res)} resets under traffic with {n} healthy"
              f" secondaries (device down {a.false_eviction_down_ms} ms; by reason"
              f" cannot-run/deadline {last['evictions_cannot_run']}/"
              f"{last['evictions_deadline']}); deadline ms min/median/max {rto[0]}/"
              f"{rto[len(rto) // 2]}/{rto[-1]}, srtt us median/max {srtt[len(srtt) // 2]}/"
              f"{srtt[-1]}, slowest REMAP_DB round {max(r['remap_round_us'] for r in res)} us")
        summary["false_evictions"] = {"resets": len(res), "secondaries": n,
                                      "evictions": false_ev,
                                      "evictions_deadline": last["evictions_deadline"],
                                      "deadline_ms": rto, "srtt_us": srtt}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
