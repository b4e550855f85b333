# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""The demo (examples/mana_mp_reset, `make demo`) end to end: the launcher
starts the primary and two workers, the primary injects service resets (and,
in the second test, a final hot-remove); the verdict, the JSON report and the
chart are checked, and nothing may be left behind."""

import json
import os
import shlex
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import (BUILD, REPO, RUNTIME_DIR, SANITIZE, child_env, cleanup_prefix,
                      hugepage_files, scaled)

LAUNCHER = REPO / "examples" / "mana_mp_reset" / "run_demo.py"
DEMO_BIN = BUILD / "examples" / "mana_mp_reset" / "mana-mp-reset"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.skipif(not DEMO_BIN.exists(), reason=f"not built: {DEMO_BIN}")


def prefix_pids(prefix):
    """Processes of this test's EAL prefix (found by pid, never by name)."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"--file-prefix={prefix}".encode() in cmd:
            pids.append(int(d.name))
    return pids


def run_demo(prefix, out, args, timeout):
    """Run the launcher to completion (killed at @timeout); returns (rc, output)."""
    argv = [PYTHON, str(LAUNCHER), "--build", str(BUILD), "--out", str(out),
            "--prefix", prefix, *args]
    if SANITIZE:
        argv += ["--eal-args=--base-virtaddr=0x200000000000"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, env=child_env(), start_new_session=True)
    try:
        output, _ = p.communicate(timeout=scaled(timeout))
    except subprocess.TimeoutExpired:
        # SIGTERM: the launcher stops the primary, reaps everyone, cleans up.
        os.killpg(p.pid, signal.SIGTERM)
        try:
            output, _ = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            output, _ = p.communicate()
        pytest.fail(f"the demo did not finish within {scaled(timeout):.0f} s:\n"
                    f"{shlex.join(argv)}\n{output.decode(errors='replace')[-6000:]}")
    return p.returncode, output.decode(errors="replace")


@pytest.fixture
def demo_prefix(prefix):
    """The test's EAL prefix; afterwards nothing of it may remain."""
    yield prefix
    left = prefix_pids(prefix)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    while prefix_pids(prefix) and time.monotonic() < deadline:
        time.sleep(0.05)
    files = hugepage_files(prefix)
    rundir = (RUNTIME_DIR / prefix).exists()
    cleanup_prefix(prefix)
    assert not left, f"processes of prefix {prefix} survived the demo: {left}"
    assert not files and not rundir, f"EAL files of {prefix} left behind: {files} {rundir}"


def check_png(path):
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path}: not a PNG"
    assert len(data) > 10000, f"{path}: only {len(data)} bytes"
    # IHDR is the first chunk: length 13, then width and height.
    length, ctype, width, height = struct.unpack(">I4sII", data[8:24])
    assert ctype == b"IHDR" and length == 13, f"{path}: no IHDR"
    assert 400 <= width <= 4000 and 300 <= height <= 4000, (width, height)
    assert data[-8:-4] == b"IEND", f"{path}: truncated"


def load_report(out, output):
    path = Path(out) / "report.json"
    assert path.exists(), f"no report.json:\n{output[-4000:]}"
    return json.loads(path.read_text())


def check_processes(rep, n_workers):
    procs = {p["process"]: p for p in rep["processes"]}
    assert set(procs) == {"primary"} | {f"worker{k}" for k in range(1, n_workers + 1)}
    for name, p in procs.items():
        assert not p["died"] and p["state"] == "done", (name, p)
        assert p["sent"] > 0 and p["received"] > 0, (name, p)
        assert p["dup"] == 0 and p["bad"] == 0, (name, p)
        assert p["closed"] and p["close_ret"] == 0, (name, p)
    return procs


def check_no_leak(rep):
    assert rep["mempools"], rep
    assert rep["mbufs_leaked"] == 0, rep["mempools"]
    for mp in rep["mempools"]:
        assert mp["leaked"] == 0 and mp["available"] == mp["size"], mp


def test_demo_resets(demo_prefix, tmp_path):
    """2 workers, 2 service resets of 150 ms: exit 0, every reset recovered,
    acknowledged by every process, traffic resumed everywhere, 0 mbufs leaked,
    a valid chart."""
    out = tmp_path / "out"
    down_ms = 150
    rc, output = run_demo(demo_prefix, out, ["--workers", "2", "--resets", "2",
                                             "--down-ms", str(down_ms),
                                             "--interval-ms", "1000"], timeout=90)
    assert rc == 0, output[-6000:]
    assert "VERDICT: PASS" in output
    rep = load_report(out, output)
    assert rep["verdict"] == "pass" and rep["exit_status"] == 0 and rep["failures"] == []
    assert rep["config"]["workers"] == 2 and rep["config"]["down_ms"] == down_ms
    assert rep["removal"] is None

    procs = check_processes(rep, 2)
    pids = {p["pid"] for n, p in procs.items() if n != "primary"}
    assert len(rep["resets"]) == 2 and rep["resets_run"] == 2
    for r in rep["resets"]:
        tag = f"reset {r['index']}"
        assert r["kind"] == "reset" and r["inject_ret"] == 0, tag
        assert r["recovered"] and not r["timed_out"], (tag, r)
        assert r["generation_after"] == r["generation_before"] + 1, (tag, r)
        # Downtime is the device's down time plus a bounded coordination cost.
        assert 0.5 * down_ms <= r["downtime_ms"] <= down_ms + scaled(1000), (tag, r)
        assert r["coordination_ms"] >= 0 and r["phases_ms"]["wait_hw"] > 0, (tag, r)
        # Every worker answered UNMAP_DB and REMAP_DB of the new generation.
        assert r["all_acknowledged"], (tag, r["acks"])
        assert {a["pid"] for a in r["acks"]} == pids, (tag, r["acks"])
        for a in r["acks"]:
            assert a["acknowledged"], (tag, a)
            assert a["remap"] and a["remap"]["result"] == 0, (tag, a)
            assert a["remap"]["db_generation"] == r["generation_after"], (tag, a)
            assert a["after"]["state"] == "attached", (tag, a)
        # Events in every process, traffic back on every queue.
        assert r["events_everywhere"] and r["resumed_everywhere"], (tag, r["traffic"])
        assert {t["process"] for t in r["traffic"]} == set(procs), (tag, r["traffic"])
        for t in r["traffic"]:
            assert t["resumed"] and t["resumed_ms"] is not None, (tag, t)
            assert t["events_ms"]["ERR_RECOVERING"] is not None, (tag, t)
            assert t["events_ms"]["RECOVERY_SUCCESS"] is not None, (tag, t)
            assert t["resumed_ms"] < down_ms + scaled(2000), (tag, t)
            assert t["rx_before"] > 0 and t["rx_after"] > 0, (tag, t)
            assert t["lost_after_noticed"] == 0, (tag, t)
    # Whatever was lost, was lost to a reset.
    for name, p in procs.items():
        assert p["lost_after_last_reset"] == 0, (name, p)
    assert rep["port"]["stop_ret"] == 0 and rep["port"]["close_ret"] == 0, rep["port"]
    assert rep["port"]["resets_succeeded"] == 2 and rep["port"]["resets_failed"] == 0
    check_no_leak(rep)

    check_png(out / "mana_mp_reset.png")
    assert (out / "mana_mp_reset.svg").stat().st_size > 1000
    assert (out / "timeline.csv").read_text().count("\nreset,") == 2
    assert str(out / "mana_mp_reset.png") in output


def test_demo_remove_at_end(demo_prefix, tmp_path):
    """1 reset, then a hot-remove: INTR_RMV reaches every process, every
    process closes the port cleanly, exit 0 (as designed), 0 mbufs leaked."""
    out = tmp_path / "out"
    rc, output = run_demo(demo_prefix, out, ["--workers", "2", "--resets", "1",
                                             "--down-ms", "150", "--interval-ms", "1000",
                                             "--remove-at-end"], timeout=90)
    assert rc == 0, output[-6000:]
    rep = load_report(out, output)
    assert rep["verdict"] == "pass" and rep["failures"] == []
    assert len(rep["resets"]) == 1 and rep["resets"][0]["recovered"]
    procs = check_processes(rep, 2)

    rm = rep["removal"]
    assert rm is not None and rm["kind"] == "remove" and not rm["timed_out"], rm
    assert not rm["recovered"] and rm["port_state_after"] == "failed", rm
    assert rm["events_everywhere"] and rm["all_acknowledged"], rm
    assert {t["process"] for t in rm["traffic"]} == set(procs), rm["traffic"]
    for t in rm["traffic"]:
        assert t["events_ms"]["ERR_RECOVERING"] is not None, t
        assert t["events_ms"]["RECOVERY_FAILED"] is not None, t
        assert t["events_ms"]["INTR_RMV"] is not None, t
        assert t["events_ms"]["RECOVERY_SUCCESS"] is None, t
        assert not t["resumed"], t
    # The removal is the port's one failed recovery; stop and close are clean.
    assert rep["port"]["state_before_stop"] == "failed", rep["port"]
    assert rep["port"]["resets_failed"] == 1 and rep["port"]["resets_succeeded"] == 1
    assert rep["port"]["stop_ret"] == 0 and rep["port"]["close_ret"] == 0, rep["port"]
    check_no_leak(rep)
    check_png(out / "mana_mp_reset.png")
