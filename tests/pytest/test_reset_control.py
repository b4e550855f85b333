# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Control operations and late attachment while a reset is in progress
(doc/protocol.rst "Control operations during a reset", "Late attach"):
configure / queue setup / start answer -EBUSY, stop stops the port at once
and the reset completes for the stopped port, close abandons it, and a
secondary started during the reset attaches and gets the new doorbell."""

import errno
import time

from conftest import (COMMON, OK_PAIR, RATE, assert_pools_full, check_final, event_types,
                      line_index, mana_info, mana_procs, marks_of, recovered, scaled, sim_info,
                      sim_reset, start_procs, stop_all, wait_events, wait_phase, wait_rx_after,
                      wait_until)


def start_two(cluster):
    """Primary (queue 0) and one secondary (queue 1), traffic on both."""
    return start_procs(cluster, n_secs=1, what="traffic")


def reset_and_wait_hw(tel, down_ms):
    """Inject a reset; return when the reset thread waits for the device,
    with the CLOCK_MONOTONIC time at which the device comes back."""
    sim_reset(tel, down_ms)
    wait_phase(tel, "wait_hw")
    info = mana_info(tel)
    assert info["state"] == "resetting", info
    return sim_info(tel)["last_down_ns"] / 1e9 + down_ms / 1000


def start_and_check_traffic(tel, procs):
    """port_start in the primary; traffic then flows in every process."""
    pri = procs[0][0]
    st = pri.command("port_start")
    assert st["ret"] == 0, st
    for p, q in procs:
        wait_rx_after(p, [q], line_index(p, st) if p is pri else p.mark(), RATE // 20, 10,
                      what="traffic after port_start")
    assert mana_info(tel)["state"] == "active"


def test_secondary_attaches_during_reset(cluster):
    """5. A secondary started while the port is RESETTING (device away for
    1.5 s) attaches without error, unmapped; the reset's REMAP_DB maps it;
    after recovery its queue carries traffic; nobody crashes."""
    down_ms = 1500
    extra = "--start-timeout-ms 20000"
    first = start_procs(cluster, n_secs=1, queues=4, extra=extra, what="traffic")
    (pri, _), (sec, _) = first
    with cluster.telemetry() as tel:
        gen0 = mana_info(tel)["generation"]
        marks = marks_of(first)
        up_at = reset_and_wait_hw(tel, down_ms)
        late = cluster.secondary(2, f"--own 2 {COMMON} --status-ms 50 {extra}",
                                 wait_ready=False)
        # Registered while the reset runs, with no doorbell yet.
        e = wait_until(lambda: mana_procs(tel).get(late.pid), 10, "the late secondary attached")
        assert e["state"] == "attached" and e["db_generation"] == 0, e
        info = mana_info(tel)
        assert info["state"] == "resetting" and info["phase"] == "wait_hw", info
        assert time.monotonic() < up_at, "the device came back before the late attach"
        assert late.alive()

        ready = late.wait_ready(timeout=15)     # the app waits for the port to run
        recovered(first, marks, n=RATE // 20, rx_timeout=5, what="traffic")
        wait_rx_after(late, [2], line_index(late, ready), RATE // 20, 10,
                      what="traffic of the secondary that attached during the reset")
        e = mana_procs(tel)[late.pid]
        assert e["state"] == "attached" and e["db_generation"] == gen0 + 1, e
        assert e["remap_result"] == 0 and e["remap_generation"] == gen0 + 1, e
        info = mana_info(tel)
        assert info["resets_succeeded"] == 1 and info["evictions"] == 0, info
    # It attached after ERR_RECOVERING was sent: it hears the end only.
    assert event_types(late) == ["RECOVERY_SUCCESS"], event_types(late)
    assert not late.events("error")
    procs = first + [(late, 2)]
    finals = stop_all(procs)
    for p, q in procs:
        check_final(finals[q], 1, p.name)
    assert_pools_full(finals[0]["mempools"], "after a late attach")


def test_control_ops_started_port(cluster):
    """10a. Port started, reset in progress (device away 1 s): configure
    and rxq_setup fail with -EBUSY; port_stop returns 0 at once, while the
    device is still away; the reset then completes for the stopped port
    (RECOVERY_SUCCESS, state stopped); port_start then brings traffic back in
    both processes."""
    down_ms = 1000
    procs = start_two(cluster)
    (pri, _), (sec, _) = procs
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        up_at = reset_and_wait_hw(tel, down_ms)
        for cmd in ("configure", "rxq_setup"):
            ans = pri.command(cmd)
            assert ans["ret"] == -errno.EBUSY, ans
        t_send = time.monotonic()
        assert up_at - t_send > 0.5, "too late: the device is nearly back"
        ans = pri.command("port_stop", timeout=10)
        assert ans["ret"] == 0, ans
        # It did not wait for the device.
        assert ans["mono"] - t_send < scaled(0.5) and ans["mono"] < up_at, (ans, up_at)
        info = mana_info(tel)
        assert info["started"] == 0 and info["state"] == "resetting", info
        assert pri.command("port_start")["ret"] == -errno.EBUSY
        for p, _ in procs:
            wait_events(p, OK_PAIR, 5, marks[p.name])
        info = mana_info(tel)
        assert info["resets_succeeded"] == 1 and info["state"] == "stopped", info
        start_and_check_traffic(tel, procs)
    finals = stop_all(procs)
    for p, q in procs:
        assert event_types(p) == OK_PAIR
        # port_stop drops what was in flight (test_traffic); nothing else.
        check_final(finals[q], 2, p.name)
    assert_pools_full(finals[0]["mempools"], "after stop/start around a reset")


def test_stop_in_recovering_callback(cluster):
    """10d. The primary stops the port from inside its ERR_RECOVERING
    callback (--on-recovering stop), the device away 5 s: stop returns 0
    within 1 s (it neither waits for the device nor holds the interrupt
    thread), the port is stopped while the reset goes on, RECOVERY_SUCCESS
    follows in every process when the device is back, the port is then
    STOPPED, and port_start brings traffic back in every process."""
    down_ms = 5000
    procs = start_procs(cluster, extra="--on-recovering stop")
    pri = procs[0][0]
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        sim_reset(tel, down_ms)
        up_at = sim_info(tel)["last_down_ns"] / 1e9 + down_ms / 1000
        ev = wait_events(pri, ["ERR_RECOVERING"], 5, marks[pri.name])
        st = pri.wait_ev("stopped", 10, line_index(pri, ev[0]))
        assert st["stop"] == 0 and st["polling_stopped"] is True, st
        assert st["stop_us"] < scaled(1) * 1e6, st
        assert st["mono"] < up_at - 1, (st, up_at)
        info = mana_info(tel)
        assert info["started"] == 0 and info["state"] == "resetting", info
        # The reset goes on for the stopped port: its teardown may still be
        # running when stop has returned; then it waits for the device.
        info = wait_until(lambda: (i := mana_info(tel))["phase"] == "wait_hw" and i, 2,
                          "the reset waiting for the device")
        assert time.monotonic() < up_at, (info, up_at)
        for p, _ in procs:
            wait_events(p, OK_PAIR, 15, marks[p.name])
        info = mana_info(tel)
        assert info["state"] == "stopped" and info["resets_succeeded"] == 1, info
        assert info["resets_failed"] == 0, info
        start_and_check_traffic(tel, procs)
    finals = stop_all(procs)
    for p, q in procs:
        assert event_types(p) == OK_PAIR
        check_final(finals[q], 2, p.name)
    assert_pools_full(finals[0]["mempools"], "after a stop in the ERR_RECOVERING callback")


def test_control_ops_stopped_port(cluster):
    """10b. Port stopped before the reset: during the reset rxq_setup,
    port_start and configure return -EBUSY from the PMD; after
    RECOVERY_SUCCESS they work and traffic flows in both processes.

    (ethdev 22.11 releases the queue before asking the PMD to set it up, and
    releases every queue when the PMD refuses a configure: the application
    sets the queues up again afterwards - `queues_setup`.)"""
    down_ms = 1000
    procs = start_two(cluster)
    (pri, _), (sec, _) = procs
    assert pri.command("port_stop")["ret"] == 0
    with cluster.telemetry() as tel:
        assert mana_info(tel)["state"] == "stopped"
        marks = marks_of(procs)
        reset_and_wait_hw(tel, down_ms)
        for cmd in ("rxq_setup", "port_start", "configure"):
            ans = pri.command(cmd)
            assert ans["ret"] == -errno.EBUSY, ans
        assert mana_info(tel)["phase"] == "wait_hw"
        for p, _ in procs:
            wait_events(p, OK_PAIR, 5, marks[p.name])
        info = mana_info(tel)
        assert info["state"] == "stopped" and info["resets_succeeded"] == 1, info
        for cmd in ("configure", "queues_setup", "rxq_setup"):
            ans = pri.command(cmd)
            assert ans["ret"] == 0, ans
        start_and_check_traffic(tel, procs)
    finals = stop_all(procs)
    for p, q in procs:
        assert event_types(p) == OK_PAIR
        check_final(finals[q], 2, p.name)
    assert_pools_full(finals[0]["mempools"], "after reconfiguring around a reset")


def test_close_during_reset(cluster):
    """10c. port_close during a reset (port stopped first: ethdev closes only
    a stopped port) abandons the reset: it returns 0 promptly, well before
    the device is back; the secondary is released; everyone exits 0."""
    down_ms = 1500
    procs = start_two(cluster)
    (pri, _), (sec, _) = procs
    assert pri.command("port_stop")["ret"] == 0
    with cluster.telemetry() as tel:
        up_at = reset_and_wait_hw(tel, down_ms)
        t0 = time.monotonic()
        ans = pri.command("port_close", timeout=10)
        took = ans["mono"] - t0
        assert ans["ret"] == 0 and ans["stop"] == 0, ans
        assert took < scaled(0.3), f"port_close took {took:.3f} s"
        assert ans["mono"] < up_at - 0.5, (ans, up_at)
    # The secondary lets go of the port (PORT_CLOSED) and keeps running.
    sec.wait_status(lambda s: s["state"] == "closed" or s["state"] == "unknown", 5)
    assert_pools_full(pri.command("mempools")["mempools"], "after closing during a reset")
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0
        assert event_types(p) == ["ERR_RECOVERING"], event_types(p)
