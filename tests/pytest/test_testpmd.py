# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Foundation: the stock dpdk-testpmd loads net_mana_mpr with -d and forwards.

testpmd is that of the DPDK the build was configured with (conftest's
stock_tool); the set-up installs it, so a missing one fails the test."""

import re
import signal

import pytest

from conftest import BDF, DEVICE, SANITIZE, stock_tool, wait_until

TESTPMD = stock_tool("dpdk-testpmd")

pytestmark = [
    pytest.mark.skipif(SANITIZE, reason="a sanitizer-built PMD cannot load into the stock "
                       "(uninstrumented) testpmd"),
]

FWD_ARGS = ["--forward-mode=io", "--rxq=2", "--txq=2", "--nb-cores=1", "--auto-start",
            "--tx-first", "--stats-period=1"]


def build_testpmd_argv(prefix, lcores, secondary=False, device=DEVICE, app_args=()):
    """testpmd as a user runs it on Azure: -a <pci>,mac=<mac> (the same in
    the secondary), the PMD loaded with -d."""
    assert TESTPMD is not None, "dpdk-testpmd of this build's DPDK is missing"
    argv = ["stdbuf", "-oL", TESTPMD, f"--lcores={lcores}", "-a", device,
            f"--file-prefix={prefix}", "-d", "librte_net_mana_mpr.so"]
    if secondary:
        argv.append("--proc-type=secondary")
    return argv + ["--", *FWD_ARGS, *app_args]


def rx_pps(proc):
    """Largest Rx-pps testpmd printed so far."""
    vals = [int(m.group(1)) for ln in proc.raw for m in [re.search(r"Rx-pps:\s+(\d+)", ln)] if m]
    return max(vals, default=0)


def accumulated(proc):
    """RX/TX-packets of the 'Accumulated forward statistics' block at exit."""
    text = "\n".join(proc.raw)
    block = text.split("Accumulated forward statistics for all ports")[-1]
    rx = re.search(r"RX-packets:\s+(\d+)", block)
    tx = re.search(r"TX-packets:\s+(\d+)", block)
    assert rx and tx, f"no accumulated statistics in the output\n{proc.describe()}"
    return int(rx.group(1)), int(tx.group(1))


def test_testpmd_forwards(cluster):
    """g. io forwarding with --tx-first through the loopback device."""
    tp = cluster.spawn("testpmd", build_testpmd_argv(cluster.prefix, "0@0,1@1"))
    tp.wait_for(lambda: rx_pps(tp) > 10000, 20, "testpmd Rx-pps > 10000")
    tp.signal(signal.SIGINT)
    assert tp.wait_exit(20) == 0, tp.describe()
    tp.wait_for(lambda: tp.eof, 5, "end of testpmd output")
    rx, tx = accumulated(tp)
    assert rx > 10000 and tx >= rx, (rx, tx)
    assert any("Bye" in ln for ln in tp.raw), tp.describe()


def test_testpmd_multiprocess(cluster):
    """g. testpmd's own multi-process mode: the secondary (proc-id 1) loads
    the PMD, attaches and forwards on queue 1 while the primary has queue 0."""
    pri = cluster.spawn("testpmd-primary", build_testpmd_argv(
        cluster.prefix, "0@0,1@1", app_args=["--num-procs=2", "--proc-id=0"]))
    pri.wait_for(lambda: any("Rx-pps" in ln for ln in pri.raw), 20, "primary forwarding")
    sec = cluster.spawn("testpmd-secondary", build_testpmd_argv(
        cluster.prefix, "2@0,3@1", secondary=True, app_args=["--num-procs=2", "--proc-id=1"]))
    sec.wait_for(lambda: any(re.search(r"RX P=0/Q=1", ln) for ln in sec.raw), 20,
                 "secondary forwarding queue 1")

    # Per-queue counters from the primary's telemetry: queue 1 is served.
    # (As xstats: DPDK 25.11 dropped the q_* arrays from /ethdev/stats.)
    with cluster.telemetry() as tel:
        first = tel.cmd("/ethdev/xstats", "0")
        wait_until(lambda: tel.cmd("/ethdev/xstats", "0")["rx_q1_packets"] >
                   first["rx_q1_packets"] + 10000, 20, "traffic on queue 1")
        st = tel.cmd("/ethdev/xstats", "0")
    assert st["tx_q1_packets"] > 10000, st

    sec.signal(signal.SIGINT)
    assert sec.wait_exit(20) == 0, sec.describe()
    pri.signal(signal.SIGINT)
    assert pri.wait_exit(20) == 0, pri.describe()


def test_testpmd_hot_plug_remove(cluster):
    """testpmd --hot-plug (EAL's device event monitor and hotplug handling)
    forwarding when the VF is hot-removed: the PMD recognises the removal
    from EAL's device event, testpmd gets ERR_RECOVERING, RECOVERY_FAILED and
    one INTR_RMV ("device removal event"), closes and detaches the port once,
    and exits 0 at SIGINT."""
    tp = cluster.spawn("testpmd", build_testpmd_argv(cluster.prefix, "0@0,1@1",
                                                     app_args=["--hot-plug"]))
    tp.wait_for(lambda: rx_pps(tp) > 10000, 20, "testpmd Rx-pps > 10000")
    with cluster.telemetry() as tel:
        ans = tel.cmd("/mana_sim/remove", BDF)
        assert ans.get("result") == 0, ans
        info = wait_until(lambda: (lambda i: i if i.get("state") == "failed" else None)(
            tel.cmd("/mana_mpr/info", "0")), 10, "the port failed as removed")
        assert info["removals"] == 1, info
    tp.wait_for(lambda: any("Device is detached" in ln for ln in tp.raw), 10,
                "testpmd detaching the port")
    tp.signal(signal.SIGINT)
    assert tp.wait_exit(20) == 0, tp.describe()
    tp.wait_for(lambda: tp.eof, 5, "end of testpmd output")
    assert "EAL reports the removal of " + BDF in tp.stderr_text(), tp.describe()
    events = [ln.strip() for ln in tp.raw if re.match(r"Port 0: .* event$", ln.strip())]
    assert events == ["Port 0: error recovering event", "Port 0: error recovery failed event",
                      "Port 0: device removal event"], events
    assert sum("Device is detached" in ln for ln in tp.raw) == 1, tp.describe()
