# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Stock dpdk-testpmd in its multi-process mode on a hot-removed VF (issue 9,
item 1: a secondary touches a port the primary has already freed).

A primary testpmd (--num-procs=2 --proc-id=0) and a secondary one
(--proc-type=secondary --num-procs=2 --proc-id=1) forward on the VF in
interactive mode, commands on stdin. The VF is hot-removed: the driver ends
the recovery with RECOVERY_FAILED then INTR_RMV in both processes, and
testpmd's own INTR_RMV handling (app/test-pmd/testpmd.c, rmv_port_callback:
stop, close, detach the device) runs in each. Both must survive, answer
commands, report the port invalid and quit with exit code 0 - also when the
secondary is frozen (SIGSTOP) across the whole removal and runs only after
the primary has released the port (the late secondary).

testpmd is that of the DPDK the build was configured with (conftest's
stock_tool); the test is skipped where that DPDK has none."""

import re
import signal

import pytest

from conftest import BDF, DEVICE, SANITIZE, stock_tool, tel_ok, wait_until

TESTPMD = stock_tool("dpdk-testpmd")

pytestmark = [
    pytest.mark.skipif(SANITIZE, reason="a sanitizer-built PMD cannot load into the stock "
                       "(uninstrumented) testpmd"),
    pytest.mark.skipif(TESTPMD is None, reason="this build's DPDK has no dpdk-testpmd"),
]

# flowgen: traffic that does not depend on a burst sent first (the guide).
FWD_ARGS = ["-i", "--forward-mode=flowgen", "--rxq=2", "--txq=2", "--nb-cores=1",
            "--auto-start"]
SIGNALS = {-s.value: s.name for s in signal.Signals}


def build_argv(prefix, lcores, proc_id, app_args=()):
    """testpmd as the NIC guide runs it in multi-process mode (its own
    --num-procs/--proc-id: each process gets half of the queues)."""
    argv = ["stdbuf", "-oL", TESTPMD, f"--lcores={lcores}", "-a", DEVICE,
            f"--file-prefix={prefix}", "-d", "librte_net_mana_mpr.so"]
    argv.append("--proc-type=secondary" if proc_id else "--proc-type=primary")
    return argv + ["--", *FWD_ARGS, "--num-procs=2", f"--proc-id={proc_id}", *app_args]


def mark(proc):
    """Where testpmd's output is now (stdout lines, stderr characters)."""
    with proc.cond:
        return len(proc.raw), len(proc.stderr_text())


def seen(proc, pattern, start=(0, 0)):
    """@pattern in testpmd's output since @start: testpmd prints events on
    stdout and its errors (e.g. "Invalid port 0") on stderr."""
    return any(re.search(pattern, ln) for ln in proc.raw[start[0]:]) or \
        re.search(pattern, proc.stderr_text()[start[1]:]) is not None


def ask(proc, cmd, pattern, timeout=10):
    """Send @cmd to testpmd's prompt; wait for output matching @pattern."""
    start = mark(proc)
    proc.send(cmd)
    proc.wait_for(lambda: seen(proc, pattern, start), timeout, f"'{pattern}' after '{cmd}'")


def quit_ok(proc):
    """`quit` at the prompt: testpmd closes what is left and exits 0."""
    proc.send("quit")
    rc = proc.wait_exit(30)
    assert rc == 0, f"{proc.name} exited {SIGNALS.get(rc, rc)}\n{proc.describe()}"
    proc.wait_for(lambda: proc.eof, 5, "end of output")
    assert seen(proc, r"Bye"), proc.describe()


def start_pair(cluster, app_args=()):
    pri = cluster.spawn("testpmd-primary", build_argv(cluster.prefix, "0@0,1@1", 0, app_args))
    ask(pri, "show port info 0", r"Infos for port 0", 20)
    sec = cluster.spawn("testpmd-secondary",
                        build_argv(cluster.prefix, "2@0,3@1", 1, app_args))
    ask(sec, "show port info 0", r"Infos for port 0", 20)
    # Both forward: the secondary's queue 1 carries traffic.
    with cluster.telemetry() as tel:
        first = tel.cmd("/ethdev/xstats", "0")
        wait_until(lambda: tel.cmd("/ethdev/xstats", "0")["rx_q1_packets"] >
                   first["rx_q1_packets"] + 1000, 20, "traffic on the secondary's queue")
    return pri, sec


def hot_remove(cluster):
    with cluster.telemetry() as tel:
        tel_ok(tel, "/mana_sim/remove", BDF)


RELEASED = (r"Now total ports is|Failed to detach device|closed by the primary; released"
            r"|closed while the primary closes it")


def port_gone(proc, released=RELEASED):
    """testpmd reported the removal and the port is invalid to it now."""
    proc.wait_for(lambda: seen(proc, r"Port 0: device removal event"), 20,
                  "testpmd's device removal event")
    proc.wait_for(lambda: seen(proc, r"Port 0 is closed"), 20, "the port's DESTROY")
    # DESTROY is delivered from inside the port's release, which goes on
    # after it (lib/ethdev/ethdev_driver.c, rte_eth_dev_release_port), on
    # another thread than testpmd's prompt; ethdev's control path is not
    # thread-safe, so ask only once the release is over: testpmd's detach
    # (or its failure, when the primary detached first) or the driver's
    # release of a port the primary closed.
    proc.wait_for(lambda: seen(proc, released), 20, "the end of the port's release")
    # Alive and answering: the port is gone to ethdev in this process.
    ask(proc, "show port info 0", r"Invalid port 0", 20)
    assert proc.alive(), proc.describe()


@pytest.mark.parametrize("hot_plug", [False, True], ids=["plain", "hot-plug"])
def test_testpmd_mp_hot_remove(cluster, hot_plug):
    """Both testpmd processes forward; the VF is hot-removed: each reports
    the removal, closes and detaches the port from its INTR_RMV handling,
    answers commands and quits with 0. --hot-plug (EAL's device event
    monitor) changes nothing: the removal is the driver's INTR_RMV."""
    pri, sec = start_pair(cluster, ["--hot-plug"] if hot_plug else [])
    hot_remove(cluster)
    for p in (pri, sec):
        port_gone(p)
    quit_ok(sec)
    quit_ok(pri)


@pytest.mark.parametrize("secondary", ["idle", "forwarding"])
def test_testpmd_mp_hot_remove_late_secondary(cluster, secondary):
    """The secondary testpmd is frozen (SIGSTOP) across the removal: the
    primary reports it, closes and detaches the port without it (its
    PORT_CLOSED goes unanswered). Continued, the secondary finds the port
    gone - DESTROY, the port invalid - and nothing faults.

    idle: its forwarding stopped first (`stop`), so it is frozen outside
    any burst; the VF's strict doorbell mode (the default) makes any
    doorbell write after the revoke a SIGBUS. forwarding: frozen while
    forwarding, most likely inside a burst, which the primary quarantines
    (doc/protocol.rst, "Stuck burst"): resumed, the process finishes that
    burst and rings a dead doorbell page - a dummy page under the kernel,
    as the VF's realistic doorbell mode has it (strict mode would make that
    documented last write a SIGBUS)."""
    if secondary == "forwarding":
        cluster.set_sim(extra=["doorbell=realistic"])
    pri, sec = start_pair(cluster)
    if secondary == "idle":
        ask(sec, "stop", r"^Done\.")
    sec.signal(signal.SIGSTOP)
    try:
        hot_remove(cluster)
        port_gone(pri)
    finally:
        sec.signal(signal.SIGCONT)
    # The primary gave up on it and left it the port's memory: the
    # secondary released the port late, from PORT_CLOSED (its alarm) or
    # from EAL's detach request, whichever of the two alarms ran first
    # (both queued while it was frozen).
    assert seen(pri, r"1 secondaries have not released the port"), pri.describe()
    port_gone(sec, r"port 0: closed by the primary; released"
              r"|port 0: closed while the primary closes it; released")
    # The primary is still fine with the secondary back.
    ask(pri, "show port info 0", r"Invalid port 0", 20)
    quit_ok(sec)
    quit_ok(pri)
