#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Run the mana-mp-reset demo: one DPDK primary and N worker secondaries keep
traffic flowing through MANA service resets (software MANA VF).

Starts the primary, then the workers; relays the primary's live status;
always kills and reaps every child and removes the EAL files of the run
(/var/run/dpdk/<prefix>, /dev/hugepages/<prefix>map_*), pass or fail, also
on Ctrl-C; then draws the chart (per-process throughput with the reset
windows shaded) as PNG and SVG. Exit status: the primary's verdict (0 pass,
1 fail, 2 setup error); a worker that exits non-zero also fails the run.

Python standard library + python3-matplotlib (Debian) only.
"""

import argparse
import csv
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RUNTIME_DIR = Path("/var/run/dpdk")
HUGE_DIR = Path("/dev/hugepages")
SIM_ROOT = Path("/run/mana-sim")
# The emulated PCI function and the MAC of the port the demo drives.
BDF = "7870:00:00.0"
MAC = "00:15:5d:10:00:02"
STATUS_RE = re.compile(r"^\[\s*[0-9.]+s\] status: ")
ATTACH_TIMEOUT_MS = 20000


def log(msg):
    sys.stdout.write(f"[run_demo] {msg}\n")
    sys.stdout.flush()


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="One DPDK primary + N secondary workers survive MANA service resets "
                    "(net_mana_mpr on the software MANA VF, through its PCI probe and "
                    "rdma-core's API).")
    ap.add_argument("--build", default=os.environ.get("MANA_BUILD", str(REPO / "build")),
                    help="meson build directory (default: $MANA_BUILD or ./build)")
    ap.add_argument("--workers", type=int, default=2, help="worker secondaries (default 2)")
    ap.add_argument("--resets", type=int, default=3, help="service resets (default 3)")
    ap.add_argument("--down-ms", type=int, default=300,
                    help="device down time of each reset (default 300)")
    ap.add_argument("--interval-ms", type=int, default=None,
                    help="traffic time before each reset (default 3000, or derived "
                         "from --duration)")
    ap.add_argument("--duration", type=float, default=None,
                    help="approximate traffic time of the whole run, seconds")
    ap.add_argument("--remove-at-end", action="store_true",
                    help="finish with a hot-remove (INTR_RMV in every process)")
    ap.add_argument("--rate", type=int, default=20000,
                    help="packets per second per process (default 20000)")
    ap.add_argument("--out", default="out", help="output directory (default ./out)")
    ap.add_argument("--prefix", default=None,
                    help="EAL --file-prefix (default mprdemo<pid>)")
    ap.add_argument("--devargs", default="",
                    help="extra devargs of the PCI function, e.g. recovery_timeout_ms=5000")
    ap.add_argument("--eal-args", default="",
                    help="extra EAL arguments for every process, e.g. "
                         "'--base-virtaddr=0x200000000000' (sanitizer builds)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="kill everything after this many seconds (default: computed)")
    ap.add_argument("--no-chart", action="store_true", help="skip the chart")
    a = ap.parse_args(argv)
    if a.workers < 0 or a.workers > 15:
        ap.error("--workers: 0..15")
    if a.resets < 0 or a.resets > 32:
        ap.error("--resets: 0..32")
    if a.interval_ms is None:
        if a.duration is not None:
            a.interval_ms = max(500, int((a.duration * 1000 - a.resets * a.down_ms)
                                         / (a.resets + 1)))
        else:
            a.interval_ms = 3000
    if a.prefix is None:
        a.prefix = f"mprdemo{os.getpid()}"
    return a


# -- processes and clean-up ----------------------------------------------------

def cleanup_prefix(prefix):
    shutil.rmtree(RUNTIME_DIR / prefix, ignore_errors=True)
    shutil.rmtree(SIM_ROOT / prefix, ignore_errors=True)
    for f in glob.glob(str(HUGE_DIR / f"{prefix}map_*")):
        try:
            os.unlink(f)
        except FileNotFoundError:
            pass


def leftovers(prefix):
    left = glob.glob(str(HUGE_DIR / f"{prefix}map_*"))
    for d in (RUNTIME_DIR / prefix, SIM_ROOT / prefix):
        if d.exists():
            left.append(str(d))
    return left


def _die_with_parent():
    """In the child, before exec: SIGTERM when the launcher dies (even SIGKILLed),
    so no process of the demo outlives it; the primary then stops cleanly."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    os.setsid()


def stop_children(children, grace=5.0):
    """SIGTERM every live child, SIGKILL what is left after @grace, reap all."""
    live = [p for p in children if p.poll() is None]
    for p in live:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    for p in live:
        try:
            p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for p in children:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        p.wait()


def check_hugepages():
    total = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Total:"):
                    total = int(line.split()[1])
    except OSError:
        pass
    mounted = False
    try:
        with open("/proc/mounts") as f:
            mounted = any(l.split()[1] == str(HUGE_DIR) and l.split()[2] == "hugetlbfs"
                          for l in f if len(l.split()) > 2)
    except OSError:
        pass
    if total == 0 or not mounted:
        return (f"hugepages are needed (HugePages_Total={total}, {HUGE_DIR} "
                f"{'mounted' if mounted else 'not mounted'}): run 'make setup' as root")
    return None


class Relay:
    """Copies the primary's stdout to the terminal and a log; status lines are
    redrawn in place on a TTY."""

    def __init__(self, proc, logpath, tty):
        self.proc = proc
        self.tty = tty
        self.log = open(logpath, "w", buffering=1)
        self.lines = []
        self.ready = threading.Event()
        self.status_shown = False
        self.lock = threading.Lock()
        self.cols = shutil.get_terminal_size((160, 24)).columns
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def clear_status(self):
        if self.status_shown:
            sys.stdout.write("\r\033[K")
            self.status_shown = False

    def say(self, text):
        with self.lock:
            self.clear_status()
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def run(self):
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.log.write(line + "\n")
            self.lines.append(line)
            if "waiting up to" in line or "traffic flows" in line:
                self.ready.set()
            with self.lock:
                if STATUS_RE.match(line) and self.tty:
                    self.clear_status()
                    sys.stdout.write(line[: max(20, self.cols - 1)])
                    self.status_shown = True
                else:
                    self.clear_status()
                    sys.stdout.write(line + "\n")
                sys.stdout.flush()
        with self.lock:
            self.clear_status()
            sys.stdout.flush()
        self.ready.set()

    def close(self):
        self.thread.join(timeout=5)
        self.log.close()


# -- chart ---------------------------------------------------------------------

def read_timeline(path):
    samples, windows = {}, []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["kind"] == "sample":
                s = samples.setdefault(row["process"], {"t": [], "rx": [], "tx": []})
                s["t"].append(float(row["t_s"]))
                s["rx"].append(float(row["rx_pps"]))
                s["tx"].append(float(row["tx_pps"]))
            elif row["kind"] in ("reset", "remove"):
                windows.append({
                    "kind": row["kind"], "label": row["process"], "start": float(row["t_s"]),
                    "end": float(row["t_end_s"]) if row["t_end_s"] else float(row["t_s"]),
                    "recovered": float(row["t_recovered_s"]) if row["t_recovered_s"] else None,
                    "state": row["state"]})
    return samples, windows


def draw_chart(timeline, report, out_base):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples, windows = read_timeline(timeline)
    rep = json.loads(Path(report).read_text()) if Path(report).exists() else {}
    resets = rep.get("resets", [])
    cfg = rep.get("config", {})
    procs = list(samples)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    tmax = max((max(s["t"]) for s in samples.values() if s["t"]), default=1.0)
    ymax = max((max(s["rx"] + s["tx"]) for s in samples.values() if s["t"]), default=1.0)

    # One throughput panel per process (they share the time axis), then the
    # per-reset resume times.
    n = max(1, len(procs))
    fig, axes = plt.subplots(n + 1, 1, figsize=(12, 2.0 * n + 3.6),
                             height_ratios=[1.6] * n + [2.4], constrained_layout=True)
    for i, name in enumerate(procs or ["(no traffic)"]):
        ax = axes[i]
        c = colors[i % len(colors)]
        for w in windows:
            if w["kind"] == "remove":
                ax.axvspan(w["start"], max(tmax, w["end"]), color="tab:red", alpha=0.15,
                           label="hot-remove: device gone for good" if i == 0 else None)
                continue
            ax.axvspan(w["start"], w["end"], color="tab:orange", alpha=0.3,
                       label="reset: fault -> traffic resumed in every process"
                       if i == 0 and w is windows[0] else None)
            if i == 0:
                ax.annotate(f"{w['label']}: {(w['end'] - w['start']) * 1000:.0f} ms",
                            xy=(w["start"], 1.0), xycoords=("data", "axes fraction"),
                            xytext=(3, -3), textcoords="offset points", va="top", fontsize=8)
        if name in samples:
            s = samples[name]
            ax.step(s["t"], [v / 1000 for v in s["rx"]], where="pre", color=c, lw=1.5,
                    label="received")
            ax.step(s["t"], [v / 1000 for v in s["tx"]], where="pre", color="k", lw=0.7,
                    ls="--", alpha=0.5, label="sent")
        ax.set_ylim(0, ymax / 1000 * 1.25)
        ax.set_xlim(0, tmax)
        ax.set_ylabel(f"{name}\nkpps", fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower left", fontsize=7, ncol=4)
        if i < n - 1:
            ax.tick_params(labelbottom=False)
    axes[n - 1].set_xlabel("time since the primary started (s)")
    verdict = rep.get("verdict", "?").upper()
    axes[0].set_title(
        f"net_mana_mpr: 1 primary + {cfg.get('workers', '?')} secondary workers through "
        f"{len(resets)} service reset(s), device down {cfg.get('down_ms', '?')} ms"
        f"{' + a hot-remove' if rep.get('removal') else ''}: {verdict}")

    bx = axes[n]
    if resets:
        names = [t["process"] for t in resets[0]["traffic"]]
        width = 0.8 / max(1, len(names))
        for j, name in enumerate(names):
            xs, ys, labels = [], [], []
            for i, r in enumerate(resets):
                t = next((t for t in r["traffic"] if t["process"] == name), None)
                if t is None or t["resumed_ms"] is None:
                    continue
                xs.append(i + (j - (len(names) - 1) / 2) * width)
                ys.append(t["resumed_ms"])
                labels.append(f"{t['resumed_ms']:.1f} ms\nlost {t['lost']}")
            c = colors[procs.index(name) % len(colors)] if name in procs else None
            bars = bx.bar(xs, ys, width=width * 0.9, color=c, label=name)
            for b, text in zip(bars, labels):
                bx.annotate(text, (b.get_x() + b.get_width() / 2, b.get_height()),
                            ha="center", va="bottom", fontsize=7)
        for i, r in enumerate(resets):
            bx.hlines(r["hw_down_ms"], i - 0.45, i + 0.45, color="k", lw=2,
                      label="device down (PMD wait_hw)" if i == 0 else None)
        bx.set_xticks(range(len(resets)))
        bx.set_xticklabels([f"reset {r['index']}: downtime {r['downtime_ms']:.1f} ms\n"
                            f"(coordination {r['coordination_ms']:.2f} ms)" for r in resets],
                           fontsize=8)
        top = max([r["hw_down_ms"] for r in resets] +
                  [t["resumed_ms"] or 0 for r in resets for t in r["traffic"]])
        bx.set_ylim(0, top * 1.3 + 1)
        bx.set_ylabel("fault -> traffic\nresumed (ms)", fontsize=9)
        bx.set_title("per reset: time until each process received again, "
                     "and packets lost in that window", fontsize=10)
        bx.grid(True, axis="y", alpha=0.3)
        bx.legend(fontsize=7, loc="lower right", ncol=len(names) + 1)
    else:
        bx.axis("off")
    png, svg = f"{out_base}.png", f"{out_base}.svg"
    fig.savefig(png, dpi=110)
    fig.savefig(svg)
    plt.close(fig)
    return png, svg


# -- main ----------------------------------------------------------------------

def main(argv=None):
    a = parse_args(argv if argv is not None else sys.argv[1:])
    build = Path(a.build).resolve()
    binary = build / "examples" / "mana_mp_reset" / "mana-mp-reset"
    if not binary.exists():
        log(f"{binary} not found: build first (meson setup {a.build} && ninja -C {a.build})")
        return 2
    problem = check_hugepages()
    if problem:
        log(problem)
        return 2
    out = Path(a.out).resolve()
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    report, timeline = out / "report.json", out / "timeline.csv"
    for f in (report, timeline):
        f.unlink(missing_ok=True)

    env = dict(os.environ)
    libs = [str(build / "drivers" / "net" / "mana")]
    if env.get("LD_LIBRARY_PATH"):
        libs.append(env["LD_LIBRARY_PATH"])
    env["LD_LIBRARY_PATH"] = ":".join(libs)
    # Every process runs on the software MANA VF: one instance for the demo,
    # the function's port 2 (port 1 is the management vNIC's, as on Azure).
    env["LD_PRELOAD"] = str(build / "sim" / "libmana_sim.so")
    env["MANA_SIM"] = f"instance={a.prefix};fn={BDF},mac2={MAC}"

    device = f"{BDF},mac={MAC}"
    common = [f"--file-prefix={a.prefix}", *shlex.split(a.eal_args)]
    primary_argv = [str(binary), "--proc-type=primary", *common, "--lcores=0@0",
                    "-a", device + (f",{a.devargs}" if a.devargs else ""), "--",
                    "--workers", str(a.workers), "--resets", str(a.resets),
                    "--interval-ms", str(a.interval_ms), "--down-ms", str(a.down_ms),
                    "--rate", str(a.rate), "--attach-timeout-ms", str(ATTACH_TIMEOUT_MS),
                    "--report", str(report), "--timeline", str(timeline)]
    if a.duration is not None:
        primary_argv += ["--duration-ms", str(int(a.duration * 1000))]
    if a.remove_at_end:
        primary_argv.append("--remove-at-end")
    rto = 30.0
    m = re.search(r"recovery_timeout_ms=(\d+)", a.devargs)
    if m:
        rto = int(m.group(1)) / 1000
    expected = (a.resets + 1) * a.interval_ms / 1000 + a.resets * a.down_ms / 1000
    if a.duration is not None:
        expected = max(expected, a.duration)
    timeout = a.timeout or (ATTACH_TIMEOUT_MS / 1000 + expected + rto + 5 + 30)

    children = []
    relay = None
    rc = 2
    interrupted = False
    tty = sys.stdout.isatty()
    cleanup_prefix(a.prefix)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    old_handlers = {sig: signal.signal(sig, on_term) for sig in (signal.SIGINT, signal.SIGTERM,
                                                        signal.SIGHUP)}
    try:
        log(f"primary: {shlex.join(primary_argv)}")
        primary = subprocess.Popen(primary_argv, stdout=subprocess.PIPE,
                                   stderr=open(logs / "primary.stderr.log", "wb"),
                                   stdin=subprocess.DEVNULL, env=env,
                                   preexec_fn=_die_with_parent)
        children.append(primary)
        relay = Relay(primary, logs / "primary.log", tty)
        if not relay.ready.wait(30) or primary.poll() is not None:
            log("the primary did not come up; see " + str(logs / "primary.stderr.log"))
            raise RuntimeError("primary failed")
        workers = []
        for k in range(1, a.workers + 1):
            wargv = [str(binary), "--proc-type=secondary", *common, f"--lcores={k}@(0-1)",
                     "-a", device, "--", "--worker", str(k)]
            relay.say(f"[run_demo] worker {k}: {shlex.join(wargv)}")
            w = subprocess.Popen(wargv, stdout=open(logs / f"worker{k}.log", "wb"),
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                 preexec_fn=_die_with_parent)
            children.append(w)
            workers.append(w)
        try:
            rc = primary.wait(timeout)
            if rc < 0:
                relay.say(f"[run_demo] the primary was killed by signal {-rc}")
                rc = 128 - rc
        except subprocess.TimeoutExpired:
            relay.say(f"[run_demo] the primary did not finish within {timeout:.0f} s: killing")
            rc = 1
        relay.close()
        # The primary has waited for the workers; give stragglers a moment.
        for k, w in enumerate(workers, 1):
            try:
                wrc = w.wait(5)
            except subprocess.TimeoutExpired:
                wrc = None
            if wrc != 0:
                log(f"worker {k} exit status {wrc}; see {logs / f'worker{k}.log'}")
                if rc == 0:
                    rc = 1
    except KeyboardInterrupt:
        interrupted = True
        if relay:
            relay.say("[run_demo] interrupted: stopping the primary (it stops the workers)")
        if children and children[0].poll() is None:
            try:
                os.killpg(children[0].pid, signal.SIGINT)
                children[0].wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired, KeyboardInterrupt):
                pass
        rc = 130
    except RuntimeError:
        rc = 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # clean-up is bounded: let it finish
        stop_children(children)
        if relay:
            relay.close()
        cleanup_prefix(a.prefix)
        for sig, handler in old_handlers.items():
            signal.signal(sig, handler)
    left = leftovers(a.prefix)
    if left:
        log(f"WARNING: left behind: {left}")
    log(f"processes reaped; EAL files of prefix '{a.prefix}' removed")

    if relay is not None:
        text = "\n".join(relay.lines)
        i = text.find("\nmana-mp-reset report\n")
        if i >= 0:
            (out / "report.txt").write_text(text[text.rfind("\n", 0, i) + 1:] + "\n")
    if report.exists():
        log(f"report:  {report}")
    if timeline.exists() and not a.no_chart:
        try:
            png, svg = draw_chart(timeline, report, out / "mana_mp_reset")
            log(f"chart:   {png} (and {Path(svg).name})")
        except Exception as e:  # the run's verdict stands without a chart
            log(f"cannot draw the chart: {e!r}")
            if rc == 0:
                rc = 1
    log(f"logs:    {logs}")
    log(f"exit status {rc}" + (" (interrupted)" if interrupted else ""))
    return rc


if __name__ == "__main__":
    sys.exit(main())
