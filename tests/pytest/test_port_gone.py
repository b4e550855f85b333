# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""A secondary that runs again after the primary closed and released the
port (issue 9, item 1): frozen (SIGSTOP) or with its interrupt thread busy
longer than ack_timeout_ms while the primary stops and closes the port.
Expected: nothing faults, the secondary's application gets
RTE_ETH_EVENT_DESTROY, ethdev calls on the port answer -ENODEV, and the
primary's close stays bounded. doc/protocol.rst "Closing the port"."""

import errno
import time

from conftest import freeze, scaled, sim_reset, start_procs, stop_all, thaw, wait_events

ACK_MS = 100


def assert_released(proc, mark):
    """@proc saw DESTROY after @mark, runs, and its port answers -ENODEV."""
    proc.wait_ev("destroy", 10, mark)
    assert proc.alive(), proc.describe()
    # DESTROY is delivered from inside the release, which ends a moment later.
    calls = proc.poll_command("port_calls", lambda a: a["valid"] == 0, 5)
    assert calls["info"] == -errno.ENODEV and calls["stats"] == -errno.ENODEV, calls
    assert calls["state"] == -errno.ENODEV, calls


def close_primary(pri, procs):
    for p, _ in procs:
        assert p.command("pause")["ret"] == 0
    t0 = time.monotonic()
    ans = pri.command("port_close", timeout=15)
    assert ans["ret"] == 0 and ans["stop"] == 0, ans
    # Bounded: a few broadcast rounds of ack_timeout_ms at most.
    assert time.monotonic() - t0 < scaled(1 + 4 * ACK_MS / 1000), ans


def test_frozen_secondary_port_closed(cluster):
    """A secondary frozen (SIGSTOP, outside its bursts) while the primary
    stops and closes the port: SIGCONT, it releases the port (DESTROY,
    -ENODEV), its pollers find nothing to do, it exits 0; the other
    secondary, which answered in time, was released as usual."""
    procs = start_procs(cluster, devargs=f"ack_timeout_ms={ACK_MS}")
    (pri, _), (frozen, _), (other, _) = procs
    assert frozen.command("hold")["ret"] == 0
    freeze(frozen)
    mark = frozen.mark()
    omark = other.mark()
    try:
        close_primary(pri, procs[:1] + procs[2:])
        assert_released(other, omark)
    finally:
        thaw(frozen)
    assert_released(frozen, mark)
    # Its main loop polls again: the port is gone, nothing to poll, no fault.
    assert frozen.command("release")["ret"] == 0
    frozen.wait_status(lambda s: True, 5, start=frozen.mark())
    assert frozen.alive(), frozen.describe()
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0, (p.name, finals[q])


def test_busy_interrupt_thread_port_closed(cluster):
    """A secondary whose interrupt thread is held 1 s in an event callback
    (longer than ack_timeout_ms) while the primary closes the port: its
    release runs when the callback returns, after the primary released the
    port. It gets DESTROY and -ENODEV and does not fault."""
    procs = start_procs(cluster, n_secs=1, devargs=f"ack_timeout_ms={ACK_MS}")
    (pri, _), (busy, _) = procs
    assert busy.command("cb_sleep 1000")["ret"] == 0
    mark = busy.mark()
    with cluster.telemetry() as tel:
        pmark = pri.mark()
        sim_reset(tel, 20)
        wait_events(busy, ["ERR_RECOVERING"], 10, mark)
        wait_events(pri, ["ERR_RECOVERING", "RECOVERY_SUCCESS"], 10, pmark)
    t_close = time.monotonic()
    close_primary(pri, procs)
    d = busy.wait_ev("destroy", 10, mark)
    assert_released(busy, mark)
    # The callback held the interrupt thread past the close: the release came late.
    assert time.monotonic() - t_close < scaled(5), d
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0, (p.name, finals[q])


def test_secondary_close_caught_by_release(cluster):
    """A secondary's rte_eth_dev_close() caught by the primary's close: the
    application thread is inside the driver's close (test hook close_wait:
    it waits there) when PORT_CLOSED releases the port from its alarm and
    frees the port's process-local state. The close takes nothing from that
    state: ethdev's close answers -ENODEV (the app reports it as released by
    the primary), the application got DESTROY, nothing faults, the
    secondary exits 0."""
    procs = start_procs(cluster, n_secs=1, devargs=f"ack_timeout_ms={ACK_MS}")
    (pri, _), (sec, _) = procs
    assert sec.command("hold")["ret"] == 0      # no burst of its own in progress
    assert sec.command("close_wait 10000")["ret"] == 0
    mark = sec.mark()
    sec.send("port_close")
    sec.wait_for(lambda: "test hook: close waits for the primary's release"
                 in sec.stderr_text(), 10, "the secondary inside its close")
    close_primary(pri, procs[:1])
    ans = sec.wait_line(lambda o: o.get("ev") == "cmd" and o.get("cmd") == "port_close", 15,
                        mark, what="the secondary's close")
    assert ans["ret"] == 0, ans
    assert "port 0 closed by the primary; released" in sec.stderr_text(), sec.describe()
    assert_released(sec, mark)
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0, (p.name, finals[q])


def test_detach_after_primary_closed_last_port(cluster):
    """A secondary that kept the port (it ignores the protocol:
    --keep-doorbell) closes it after the primary has closed its last port:
    the primary still answers its DETACH, at once, with -ENODEV (the port
    is gone), and the secondary takes the release path of a port the
    primary closed. (Once the primary's last port was closed, its rte_mp
    action used to be unregistered: EAL answered nothing and the secondary
    waited request_timeout_ms, then released the port as if the primary
    still held it.)"""
    req_ms = 2000
    pri = cluster.primary(app_args="--queues 2 --own 0 --status-ms 100",
                          devargs=f"request_timeout_ms={req_ms}")
    rogue = cluster.secondary(1, "--own 1 --keep-doorbell --status-ms 50")
    rogue.wait_status(lambda s: s["queues"]["1"]["rx"] > 100, timeout=10, what="traffic")
    assert pri.command("port_close", timeout=15)["ret"] == 0
    t0 = time.monotonic()
    ans = rogue.command("port_close", timeout=15)
    took = time.monotonic() - t0
    assert ans["ret"] == 0, ans     # the application takes -ENODEV as released
    assert took < scaled(req_ms / 1000 / 2), (took, ans)
    assert "DETACH request failed" not in rogue.stderr_text(), rogue.stderr_text()[-2000:]
    assert "closed while the primary closes it" in rogue.stderr_text()
    assert rogue.stop()["exit"] == 0
    pri.stop()
