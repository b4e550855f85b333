# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Resets that meet a fault: a secondary killed inside a burst, a hung
secondary, the primary killed mid-reset, a fatal event during recovery, a
delayed fatal event, a device that does not come back (recovery failure),
hot-remove. The expected behaviour is doc/protocol.rst "Failure policy" and
doc/guides/nics/mana.rst "Service reset: what the application sees"."""

import errno
import time

import pytest

from conftest import (DESC, OK_PAIR, RATE, SANITIZE, BDF, Gdb, assert_pools_full,
                      check_final, event_types, fd_count, freeze, line_index, mana_info,
                      mana_procs, mana_queues, marks_of, recovered, scaled, sim_info, sim_reset, start_procs,
                      stop_all, tel_ok, thaw, wait_events, wait_phase, wait_rx_after, wait_until,
                      needs_gdb)

BURST = 32
RX_REFILL_BATCH = 64      # drivers/net/mana/mana_rx_dp.h
# Sanitizer builds are slower: extra slack for the few wall-clock bounds.
SLACK_S = 0.1 if SANITIZE else 0.0

def wait_readmitted(tel, proc, gen):
    """@proc, evicted while frozen and now running again, maps doorbell
    generation @gen and is attached in the registry again. (The registry's
    copy of its generation: test_readmitted_registry_generation.)"""
    wait_until(lambda: proc.command("state")["mapped"] == gen, 5,
               f"{proc.name} mapping generation {gen}")
    return wait_until(lambda: (lambda e: e if e and e["state"] == "attached" else None)(
        mana_procs(tel).get(proc.pid)), 5, f"{proc.name} attached in the registry")


# -- 3. a secondary killed inside a burst ------------------------------------

def test_secondary_killed_in_burst(cluster):
    """3. A secondary bursting at full rate (--rate 0) is SIGKILLed while it
    is inside a burst (its guard word is set), then a reset: the dead owner's
    guard is cleared without waiting for quiesce_timeout_ms, its slot is
    released, the reset finishes well within ack + quiesce timeout, the
    others carry traffic again."""
    down_ms = 100
    args = f"--flows 2 --desc {DESC} --events --status-ms 50"
    pri = cluster.primary(app_args=f"--queues 4 --own 0 --rate {RATE} {args}")
    victim = cluster.secondary(1, f"--own 1 --rate 0 {args}")
    other = cluster.secondary(2, f"--own 2 --rate {RATE} {args}")
    for p, q in ((pri, 0), (victim, 1), (other, 2)):
        wait_rx_after(p, [q], 0, RATE // 10, timeout=15, what="traffic before the kill")

    with cluster.telemetry() as tel:
        info0 = mana_info(tel)
        slot = mana_procs(tel)[victim.pid]["slot"]
        # Catch it inside a burst: stop it, look at queue 1's guard words.
        for attempt in range(100):
            freeze(victim)
            q1 = mana_queues(tel)[1]
            if slot in (q1["rx_busy_slot"], q1["tx_busy_slot"]):
                break
            thaw(victim)
        else:
            pytest.fail(f"secondary never caught inside a burst of queue 1: {q1}")
        victim.kill()                       # SIGKILL while inside the burst, reaped
        assert victim.returncode == -9
        assert mana_queues(tel)[1] == q1     # the guard is still set

        live = [(pri, 0), (other, 2)]
        marks = marks_of(live)
        sim_reset(tel, down_ms)
        recovered(live, marks)

        info = mana_info(tel)
        assert info["resets_succeeded"] == info0["resets_succeeded"] + 1, info
        assert info["state"] == "active", info
        # The dead process was not waited for: no quiesce timeout, no eviction,
        # and the coordination (total minus the device's own absence) stays far
        # below quiesce_timeout_ms + ack_timeout_ms.
        assert info["quiesce_timeouts"] == 0 and info["evictions"] == 0, info
        assert info["dead_processes"] >= 1, info
        overhead_ms = (info["last_total_us"] - info["last_hw_down_us"]) / 1000
        limit_ms = (info["quiesce_timeout_ms"] + info["ack_timeout_ms"]) / 5
        assert overhead_ms < limit_ms, (overhead_ms, limit_ms, info)
        reg = mana_procs(tel)
        assert victim.pid not in reg, reg
        assert set(reg) == {pri.pid, other.pid}, reg
        assert reg[other.pid]["state"] == "attached", reg
        # The dead owner's guard words are cleared; the live pollers' may be
        # set at this instant (they are inside a burst of their own queue).
        for qid, q in mana_queues(tel).items():
            assert slot not in (q["rx_busy_slot"], q["tx_busy_slot"]), (qid, slot, q)

    finals = stop_all(live)
    for p, q in live:
        assert event_types(p) == OK_PAIR, (p.name, event_types(p))
        check_final(finals[q], 1, p.name)
    # What the killed process held in its hands is lost with it: per pool at
    # most the burst it had received or built, plus the buffers an Rx burst
    # takes from the pool to refill the ring before posting them (up to
    # MANA_RX_REFILL_BATCH, 64). Everything else came back.
    for mp in finals[0]["mempools"]:
        if mp["name"] in ("mtrf_rx", f"mtrf_tx_{victim.pid}"):
            assert mp["in_use"] <= BURST + RX_REFILL_BATCH, mp
        else:
            assert mp["avail"] == mp["size"], mp


# -- 4. a hung secondary ------------------------------------------------------

def test_hung_secondary_evicted_and_readmitted(cluster):
    """4. A secondary frozen (SIGSTOP, outside every burst) during two resets:
    the first sees it cannot run and evicts it without waiting for any
    deadline (doc/protocol.rst "Deadlines and eviction"), and everyone else
    has RECOVERY_SUCCESS and traffic within down + 10 %; the second does not
    wait for it either, nor sends it anything. SIGCONT: it re-synchronises
    by itself (doc/protocol.rst "Per-process delivery"), is attached again
    with the current doorbell, tells its application of one recovery and
    carries traffic; no descriptor leaked."""
    ack_ms, down_ms = 300, 100
    procs = start_procs(cluster, status_ms=20, devargs=f"ack_timeout_ms={ack_ms}")
    (pri, _), (hung, _), (other, _) = procs
    live = [procs[0], procs[2]]
    with cluster.telemetry() as tel:
        gen0 = mana_info(tel)["generation"]
        assert hung.command("hold")["ret"] == 0      # no burst from now on
        fds0 = fd_count(hung.pid)
        freeze(hung)
        hung_mark = hung.mark()

        bound_s = (down_ms + ack_ms) / 1000 * 1.1 + SLACK_S
        for n in (1, 2):
            marks = marks_of(live)
            sim_reset(tel, down_ms)
            res = recovered(live, marks, n=RATE // 1000)
            info = mana_info(tel)
            t_event = info["last_event_ns"] / 1e9
            assert info["resets_succeeded"] == n and info["generation"] == gen0 + n, info
            for name, (ev, st) in res.items():
                # Event and traffic times, CLOCK_MONOTONIC, from the fatal event.
                assert ev[1]["mono"] - t_event <= bound_s, (name, n, ev, t_event, bound_s)
                assert st["mono"] - t_event <= bound_s + 0.03, (name, n, st, t_event)
            total_ms = info["last_total_us"] / 1000
            if n == 1:
                # Stopped: evicted when UNMAP_DB started, not at its deadline.
                assert info["last_phase_us"]["unmap"] / 1000 < min(50, ack_ms / 3), info
                assert total_ms - info["last_hw_down_us"] / 1000 < min(50, ack_ms / 3), info
                assert info["evictions"] >= 1, info
                assert info["evictions_cannot_run"] >= 1, info
                assert info["evictions_deadline"] == 0, info
                assert info["dead_processes"] == 0, info
                e = mana_procs(tel)[hung.pid]
                assert e["state"] == "evicted" and e["missed_acks"] >= 1, e
            else:
                # Evicted: not waited for at all any more.
                assert total_ms - info["last_hw_down_us"] / 1000 < min(50, ack_ms / 3), info
                assert mana_procs(tel)[hung.pid]["state"] == "evicted"
        evictions = info["evictions"]
        assert hung.alive()

        thaw(hung)
        # It notices by itself that the port moved on and attaches again.
        wait_readmitted(tel, hung, gen0 + 2)
        rel = hung.command("release")
        wait_rx_after(hung, [1], line_index(hung, rel), RATE // 20, timeout=5,
                      what="traffic of the re-admitted secondary")
        # The ERR_RECOVERING sent before it was found stopped, then the
        # outcome it found itself: the two resets it slept through as one.
        assert event_types(hung, hung_mark) == OK_PAIR, event_types(hung, hung_mark)
        assert fd_count(hung.pid) <= fds0 + 2, (fds0, fd_count(hung.pid))

        # Now a member again: the next reset includes it and waits for nobody.
        marks = marks_of(procs)
        sim_reset(tel, down_ms)
        recovered(procs, marks)
        info = mana_info(tel)
        assert info["evictions"] == evictions, info
        assert info["last_total_us"] / 1000 < down_ms + ack_ms / 3, info
        assert mana_procs(tel)[hung.pid]["db_generation"] == gen0 + 3

    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0
        f = finals[q]
        assert all(x["dup"] == 0 and x["corrupt"] == 0 for x in f["flows"]), f["flows"]
    assert_pools_full(finals[0]["mempools"], "after the hung secondary came back")


def test_readmitted_registry_generation(cluster):
    """4b. /mana_mpr/procs shows the doorbell generation a re-admitted secondary
    really maps (doc: "the doorbell generation it has mapped"). Ten
    freeze / reset / thaw rounds; each must end with the registry right.
    Stopped when UNMAP_DB started, it was sent that UNMAP_DB (the round found
    it stopped at its first look at /proc; the answer comes after the thaw,
    for the generation it had) and no REMAP_DB: the REMAP_DB on record stays
    that of the round before."""
    ack_ms = 100
    (pri, _), (sec, _) = start_procs(cluster, n_secs=1, devargs=f"ack_timeout_ms={ack_ms}",
                                     wait=False)
    with cluster.telemetry() as tel:
        for rnd in range(10):
            gen = mana_info(tel)["generation"]
            assert sec.command("hold")["ret"] == 0
            freeze(sec)
            m = pri.mark()
            sim_reset(tel, 20)
            wait_events(pri, OK_PAIR, 10, m)
            assert mana_procs(tel)[sec.pid]["state"] == "evicted"
            thaw(sec)
            wait_readmitted(tel, sec, gen + 1)
            assert sec.command("release")["ret"] == 0
            e = wait_until(lambda: (lambda e: e if e["db_generation"] == gen + 1 else None)(
                mana_procs(tel)[sec.pid]), 1, f"round {rnd}: registry shows generation "
                f"{gen + 1} for the re-admitted secondary: {mana_procs(tel)[sec.pid]}")
            assert e["remap_generation"] < gen + 1 and e["unmap_generation"] == gen, e


# -- 6. the primary killed mid-reset -----------------------------------------

def test_primary_killed_mid_reset(cluster):
    """6. The primary is SIGKILLed while the device is away: the secondaries
    keep running (bursts return 0), answer commands, and `stop` ends each
    within a deadline with a final report and exit code 0 (no signal)."""
    down_ms = 2000
    procs = start_procs(cluster)
    pri = procs[0][0]
    secs = procs[1:]
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        sim_reset(tel, down_ms)
        for p, _ in procs:
            wait_events(p, OK_PAIR[:1], 5, start=marks[p.name])
        wait_phase(tel, "wait_hw")
    t_kill = time.monotonic()
    pri.kill()
    assert pri.returncode == -9

    for p, q in secs:
        # Still running half a second later, bursts returning 0.
        st = p.wait_status(lambda s: s["mono"] >= t_kill + 0.5, timeout=5,
                           what="status lines after the primary died")
        assert st["state"] == "resetting", st
        rx = st["queues"][str(q)]["rx"]
        st2 = p.wait_status(lambda s: True, timeout=2)
        assert st2["queues"][str(q)]["rx"] == rx, (st, st2)
        assert st2["queues"][str(q)]["tx_refused"] > st["queues"][str(q)]["tx_refused"]
        ans = p.command("state")
        assert ans["ret"] == 0 and ans["state"] == "resetting", ans
        assert p.command("flows")["ret"] == 0
        assert p.command("ring 0")["ret"] == -errno.ENXIO    # nothing mapped, no fault
        assert p.alive()

    for p, q in secs:
        t0 = time.monotonic()
        final = p.stop(timeout=10)        # final report, exit code 0
        took = time.monotonic() - t0
        assert took < scaled(5), f"{p.name} took {took:.1f} s to stop"
        assert final["exit"] == 0 and final["flows"], final
        assert event_types(p) == OK_PAIR[:1], event_types(p)


# -- 7. fatal event during recovery, delayed fatal event ----------------------

def test_fatal_while_reopening(cluster):
    """7a. The new instance dies as the reset opens it (MANA_SIM
    fatal_in_recovery with no delay: at its first verbs call): the open
    attempt fails inside the reset's wait for the device, which carries on
    and succeeds on the instance after it; each process sees one
    ERR_RECOVERING and one RECOVERY_SUCCESS, traffic resumes. (The reopen
    phase proper lasts about 100 us: no fault of millisecond resolution
    lands in it; a fatal event later in the reset is 7b and 7c.)"""
    procs = start_procs(cluster, queues=8, what="traffic")
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        tel_ok(tel, "/mana_sim/fatal_in_recovery", f"{BDF},0,20")
        sim_reset(tel, 50)
        recovered(procs, marks)
        info = mana_info(tel)
        assert info["resets_failed"] == 0 and info["resets_succeeded"] == 1, info
        sim = sim_info(tel)
        assert sim["resets"] == 2 and sim["instance"] == 3, sim


def test_fatal_during_remap_restarts(cluster):
    """7b. A second fatal event from the new instance while the reset waits
    for REMAP_DB answers (a secondary whose message thread is busy after it
    answered UNMAP_DB keeps the remap phase open: with one round measured,
    the deadline is still ack_timeout_ms): the reset restarts from the
    quiesce phase and succeeds; reset_restarts 1; every running process sees
    exactly one ERR_RECOVERING and one RECOVERY_SUCCESS and carries traffic;
    the busy one catches up when its message thread is free again. (A frozen
    one would not keep the phase open: it is not waited for.)"""
    ack_ms, down_ms = 300, 200
    procs = start_procs(cluster, devargs=f"ack_timeout_ms={ack_ms}")
    (pri, _), (sec1, _), (slow, _) = procs
    live = procs[:2]
    with cluster.telemetry() as tel:
        gen0 = mana_info(tel)["generation"]
        marks = marks_of(procs)
        # 50 ms after the device is back, well inside the 300 ms remap wait.
        tel_ok(tel, "/mana_sim/fatal_in_recovery", f"{BDF},50,50")
        sim_reset(tel, down_ms)
        wait_phase(tel, "wait_hw")            # UNMAP_DB answered by everyone
        assert mana_info(tel)["ack_deadline_ms"] == ack_ms   # not enough samples yet
        assert slow.command("mp_stall 500")["ret"] == 0      # REMAP_DB waits 500 ms
        recovered(live, marks)
        info = mana_info(tel)
        assert info["reset_restarts"] == 1, info
        assert info["resets_started"] == 1 and info["resets_succeeded"] == 1, info
        assert info["resets_failed"] == 0, info
        assert info["generation"] == gen0 + 2, (gen0, info)
        assert sim_info(tel)["resets"] == 2
        wait_readmitted(tel, slow, gen0 + 2)
        wait_rx_after(slow, [2], slow.mark(), RATE // 20, 5)
    finals = stop_all(procs)
    for p, q in procs:
        assert event_types(p) == OK_PAIR, (p.name, event_types(p))
        check_final(finals[q], 2, p.name)
    assert_pools_full(finals[0]["mempools"], "after a restarted reset")


def _fatal_at_breakpoint(cluster, tmp_path, function, phase, state):
    """Hold the primary's reset thread at @function (gdb non-stop, only that
    thread stops) while the instance this reset opened dies; then let go.
    Returns (procs, gen0, marks)."""
    procs = start_procs(cluster)
    pri = procs[0][0]
    gdb = Gdb(pri.pid, tmp_path)        # (closes itself if it fails to attach)
    try:
        gdb.cmd(f"break {function}")
        assert "Breakpoint 1 at" in gdb.sync(30), f"no symbol {function}"
        gdb.run_all()
        with cluster.telemetry() as tel:
            gen0 = mana_info(tel)["generation"]
            marks = marks_of(procs)
            m = gdb.mark()
            sim_reset(tel, 20)
            gdb.expect("Breakpoint 1", 10, m)
            info = mana_info(tel)
            assert info["phase"] == phase and info["state"] == state, info
            # The instance this reset opened dies; the interrupt thread sees it.
            sim_reset(tel, 20)
            wait_until(lambda: f"generation {gen0 + 1}" in pri.stderr_text()
                       and "fatal event" in pri.stderr_text(), 5,
                       "the interrupt thread taking the event")
            gdb.cmd("delete")
            gdb.cmd("continue -a &")
            gdb.sync()
    finally:
        gdb.close()
    return procs, gen0, marks


@needs_gdb
def test_fatal_during_resume_restarts(cluster, tmp_path):
    """7d. A fatal event from the new instance while the reset is in its last
    phase (collecting REMAP_DB answers, not yet ACTIVE): the reset restarts
    instead of declaring a dead instance ACTIVE; one recovery, one event pair
    per process, traffic resumes. Deterministic: gdb (non-stop) holds the
    reset thread at mana_reset_resume() while the device dies again."""
    procs, gen0, marks = _fatal_at_breakpoint(cluster, tmp_path, "mana_reset_resume",
                                              "resume", "resetting")
    with cluster.telemetry() as tel:
        recovered(procs, marks, what="traffic after the restarted reset")
        info = mana_info(tel)
        assert info["resets_started"] == 1 and info["resets_succeeded"] == 1, info
        assert info["reset_restarts"] == 1, info
        assert info["state"] == "active" and info["generation"] == gen0 + 2, info
    finals = stop_all(procs)
    for p, q in procs:
        assert event_types(p) == OK_PAIR, (p.name, event_types(p))
        check_final(finals[q], 2, p.name)
    assert_pools_full(finals[0]["mempools"], "after a restarted reset")


@needs_gdb
def test_fatal_after_resume_starts_next_reset(cluster, tmp_path):
    """7e. A fatal event from the new instance just after the reset made the
    port ACTIVE again (while it delivers RECOVERY_SUCCESS): not dropped - the
    next reset runs, announced by its own ERR_RECOVERING, and succeeds."""
    procs, gen0, marks = _fatal_at_breakpoint(cluster, tmp_path, "mana_reset_emit",
                                              "none", "active")
    with cluster.telemetry() as tel:
        recovered(procs, marks, events=OK_PAIR * 2, what="traffic after the follow-up reset")
        info = mana_info(tel)
        assert info["resets_started"] == 2 and info["resets_succeeded"] == 2, info
        assert info["state"] == "active" and info["generation"] == gen0 + 2, info
    finals = stop_all(procs)
    for p, q in procs:
        assert event_types(p) == OK_PAIR * 2, (p.name, event_types(p))
        check_final(finals[q], 2, p.name)
    assert_pools_full(finals[0]["mempools"], "after a follow-up reset")


@pytest.mark.parametrize("delay_ms,down_ms", [(150, 100), (50, 150)],
                         ids=["event-after-return", "event-while-away"])
def test_delayed_fatal_event(cluster, delay_ms, down_ms):
    """7c. The fatal event is posted @delay_ms after the device died (before
    or after it is back): recovery still succeeds, one event pair per
    process, traffic resumes, nothing but loss."""
    procs = start_procs(cluster)
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        tel_ok(tel, "/mana_sim/event_delay", f"{BDF},{delay_ms}")
        sim_reset(tel, down_ms)
        recovered(procs, marks)
        info = mana_info(tel)
        sim = sim_info(tel)
        assert info["resets_succeeded"] == 1 and info["reset_restarts"] == 0, info
        assert info["resets_failed"] == 0, info
        # The PMD heard of it only @delay_ms after the device died.
        assert info["last_event_ns"] - sim["last_down_ns"] >= delay_ms * 1e6 * 0.95, (info, sim)
    finals = stop_all(procs)
    for p, q in procs:
        assert event_types(p) == OK_PAIR, (p.name, event_types(p))
        check_final(finals[q], 1, p.name)
    assert_pools_full(finals[0]["mempools"], "after a delayed fatal event")


# -- 8. recovery failure ------------------------------------------------------

# Every failed recovery, device gone or back but unusable (doc/protocol.rst).
FAILED_EVENTS = ["ERR_RECOVERING", "RECOVERY_FAILED", "INTR_RMV"]


def _netvsc_like(cluster, procs, fail):
    """Each process removes its VF the way netvsc does in DPDK 22.11-25.11:
    on INTR_RMV only (--on-failed netvsc). After @fail(tel), every process
    has removed it exactly once, from the INTR_RMV callback."""
    marks = marks_of(procs)
    with cluster.telemetry() as tel:
        fail(tel)
    for p, _ in procs:
        ev = wait_events(p, FAILED_EVENTS, 10, marks[p.name])
        c = p.wait_ev("closed", 10, line_index(p, ev[2]))
        assert c["by"] == "callback" and c["event"] == "INTR_RMV", c
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0, finals[q]
        assert event_types(p) == FAILED_EVENTS, event_types(p)
        assert sum(1 for o in p.lines if o.get("ev") == "closed") == 1, p.describe()


def test_netvsc_like_removes_once_device_gone(cluster):
    """An application that removes the VF as netvsc does (on INTR_RMV only,
    drivers/net/netvsc/hn_vf.c in 22.11-25.11) removes it exactly once when
    the device is gone (hot-remove during a reset)."""
    procs = start_procs(cluster, extra="--on-failed netvsc")

    def gone(tel):
        tel_ok(tel, "/mana_sim/remove", BDF)

    _netvsc_like(cluster, procs, gone)


def test_netvsc_like_removes_once_device_broken(cluster):
    """The same application removes the VF exactly once when the device comes
    back but every open fails: the recovery ends with RECOVERY_FAILED then
    INTR_RMV, not RECOVERY_FAILED alone (with which netvsc of these DPDK
    versions would keep the broken VF for good)."""
    procs = start_procs(cluster, devargs="recovery_timeout_ms=400",
                        extra="--on-failed netvsc")

    def broken(tel):
        tel_ok(tel, "/mana_sim/fail_open", f"{BDF},-1")
        sim_reset(tel, 50)

    _netvsc_like(cluster, procs, broken)

def test_recovery_fails_port_failed(cluster):
    """8a. The device comes back but every open fails (fail_open forever,
    recovery_timeout_ms=400): the port is FAILED, every process gets
    RECOVERY_FAILED then INTR_RMV (the device is present but unusable: the
    application removes it, as netvsc does; not counted as a removal),
    bursts return 0 (Tx refused, nothing
    received), configure is refused with -EIO; everything exits cleanly and
    every mbuf is back."""
    procs = start_procs(cluster, devargs="recovery_timeout_ms=400")
    pri = procs[0][0]
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        tel_ok(tel, "/mana_sim/fail_open", f"{BDF},-1")
        sim_reset(tel, 50)
        failed_at = {}
        for p, _ in procs:
            ev = wait_events(p, ["ERR_RECOVERING", "RECOVERY_FAILED"], 10, marks[p.name])
            failed_at[p.name] = line_index(p, ev[1])
        info = mana_info(tel)
        assert info["state"] == "failed", info
        assert info["resets_failed"] == 1 and info["resets_succeeded"] == 0, info
        assert info["removals"] == 0 and info["last_error"] == -errno.EIO, info
        assert sim_info(tel)["state"] == "up"
    for p, q in procs:
        # Half a second of bursts in the failed state: nothing gets through.
        a = p.wait_line(lambda o: o.get("ev") == "status", 5, failed_at[p.name])
        b = p.wait_status(lambda s: s["mono"] >= a["mono"] + 0.5, 5)
        assert b["state"] == "failed", b
        qa, qb = a["queues"][str(q)], b["queues"][str(q)]
        assert qb["rx"] == qa["rx"] and qb["tx"] == qa["tx"], (qa, qb)
        assert qb["tx_refused"] > qa["tx_refused"], (qa, qb)
        assert event_types(p) == FAILED_EVENTS, event_types(p)
    # ethdev refuses to configure a started port (-EBUSY) before asking the
    # PMD; once stopped, the PMD refuses configure and start of a FAILED port.
    assert pri.command("configure")["ret"] == -errno.EBUSY
    assert pri.command("port_stop")["ret"] == 0
    assert pri.command("port_start")["ret"] == -errno.EIO
    assert pri.command("configure")["ret"] == -errno.EIO
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0
        assert all(f["dup"] == 0 and f["corrupt"] == 0 for f in finals[q]["flows"])
    assert_pools_full(finals[0]["mempools"], "after a failed recovery")


def test_recovery_fails_close_in_callback(cluster):
    """8b. Same failure with --on-failed close: the primary stops and closes
    the port from inside its RECOVERY_FAILED callback, each secondary closes
    its own from inside its callback; nothing hangs, everything exits 0."""
    procs = start_procs(cluster, devargs="recovery_timeout_ms=300", extra="--on-failed close")
    pri = procs[0][0]
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        tel_ok(tel, "/mana_sim/fail_open", f"{BDF},-1")
        sim_reset(tel, 50)
    closed = {}
    for p, _ in procs:
        ev = wait_events(p, ["ERR_RECOVERING", "RECOVERY_FAILED"], 10, marks[p.name])
        c = p.wait_ev("closed", 10, line_index(p, ev[1]))
        assert c["by"] == "callback" and c["event"] == "RECOVERY_FAILED", c
        assert c["polling_stopped"] is True and c["stop"] == 0, c
        # A secondary closing after the primary began its close gets -ENODEV
        # (doc/guides/nics/mana.rst "Multi-process use"); the primary 0.
        assert c["close"] == 0 or (p is not pri and c["close"] == -errno.ENODEV), c
        assert c["wait_us"] < scaled(2) * 1e6, c
        closed[p.name] = c
    for p, q in procs:
        st = p.wait_status(lambda s: s["state"] == "closed" and not s["polling"], 5)
        assert "tx_refused" in st["queues"][str(q)], st
        assert p.command("state")["ret"] == -errno.ENODEV
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0 and finals[q]["stats"] is None, finals[q]
        # The callback closed the port before INTR_RMV's turn: a closed port's
        # queued events are dropped (mana_event_close), none is delivered.
        assert event_types(p) == FAILED_EVENTS[:2], event_types(p)
    assert_pools_full(finals[0]["mempools"], "after closing a failed port")


def test_recovery_after_open_retries(cluster):
    """8c. The first 3 opens after the device is back fail: the reset keeps
    polling (recovery_poll_ms) and succeeds."""
    procs = start_procs(cluster)
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        tel_ok(tel, "/mana_sim/fail_open", f"{BDF},3")
        sim_reset(tel, 50)
        recovered(procs, marks)
        info = mana_info(tel)
        assert info["resets_succeeded"] == 1 and info["resets_failed"] == 0, info
        assert info["last_error"] == 0, info
        assert info["last_hw_down_us"] >= 40000, info
    finals = stop_all(procs)
    for p, q in procs:
        assert event_types(p) == OK_PAIR
        check_final(finals[q], 1, p.name)
    assert_pools_full(finals[0]["mempools"], "after a recovery with retries")


@pytest.mark.parametrize("verb", ["alloc_pd", "reg_mr", "create_cq", "create_rss_qp"])
def test_transient_failure_retried(cluster, verb):
    """8d. One call of @verb fails while the reset reopens (alloc_pd) or
    rebuilds (reg_mr, create_cq, create_rss_qp) in the new instance: the
    reset starts over once (reset_retries 1 in telemetry and xstats), no
    RECOVERY_FAILED, traffic back on every queue."""
    procs = start_procs(cluster)
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        gen = mana_info(tel)["generation"]
        tel_ok(tel, "/mana_sim/fail_verb", f"{BDF},{verb},1")
        sim_reset(tel, 50)
        recovered(procs, marks)
        info = mana_info(tel)
        assert info["resets_succeeded"] == 1 and info["resets_failed"] == 0, info
        assert info["reset_retries"] == 1 and info["reset_restarts"] == 0, info
        assert info["last_error"] == 0 and info["state"] == "active", info
        assert info["generation"] > gen, info
        assert tel.cmd("/ethdev/xstats", "0")["reset_retries"] == 1
    finals = stop_all(procs)
    for p, q in procs:
        assert event_types(p) == OK_PAIR
        check_final(finals[q], 1, p.name)
    assert_pools_full(finals[0]["mempools"], f"after a reset that retried {verb}")


def test_persistent_failure_bounded(cluster):
    """8e. Every create_cq fails: the reset retries max_reset_retries (3)
    times with back-off, then fails: RECOVERY_FAILED then INTR_RMV (the device
    is there but unusable; not counted as a removal), last_error the verb's error, the retries counted; well within
    recovery_timeout_ms."""
    procs = start_procs(cluster, devargs="max_reset_retries=3,recovery_timeout_ms=20000")
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        tel_ok(tel, "/mana_sim/fail_verb", f"{BDF},create_cq,-1")
        t0 = time.monotonic()
        sim_reset(tel, 50)
        for p, _ in procs:
            wait_events(p, ["ERR_RECOVERING", "RECOVERY_FAILED"], 10, marks[p.name])
        assert time.monotonic() - t0 < scaled(3)
        info = mana_info(tel)
        assert info["state"] == "failed" and info["resets_failed"] == 1, info
        assert info["reset_retries"] == 3 and info["removals"] == 0, info
        assert info["last_error"] == -errno.EPROTO, info
        assert tel.cmd("/ethdev/xstats", "0")["reset_retries"] == 3
        tel_ok(tel, "/mana_sim/fail_verb", f"{BDF},create_cq,0")
    for p, _ in procs:
        assert p.command("pause")["ret"] == 0
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0, finals[q]
        assert event_types(p) == FAILED_EVENTS, event_types(p)
    assert_pools_full(finals[0]["mempools"], "after a recovery that kept failing")


def test_hot_remove_while_retrying(cluster):
    """9c. The rebuild keeps failing (every create_cq) and is being retried
    (max_reset_retries=100, recovery_timeout_ms=20000) when the PCI function
    is removed: the next failure sees it gone and the recovery ends as a
    removal (RECOVERY_FAILED then INTR_RMV) within 2 s, not after the retries
    or the timeout."""
    procs = start_procs(cluster, devargs="max_reset_retries=100,recovery_timeout_ms=20000")
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        tel_ok(tel, "/mana_sim/fail_verb", f"{BDF},create_cq,-1")
        sim_reset(tel, 50)
        wait_until(lambda: mana_info(tel)["reset_retries"] >= 2, 10, "two retries")
        t0 = time.monotonic()
        tel_ok(tel, "/mana_sim/remove", BDF)
        for p, _ in procs:
            wait_events(p, ["ERR_RECOVERING", "RECOVERY_FAILED", "INTR_RMV"], 10,
                        marks[p.name])
            assert time.monotonic() - t0 < scaled(2), p.name
        info = mana_info(tel)
        assert info["state"] == "failed" and info["removals"] == 1, info
        assert info["last_error"] == -errno.ENODEV and info["reset_retries"] < 100, info
    for p, _ in procs:
        assert p.command("pause")["ret"] == 0
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0, finals[q]
        assert event_types(p) == ["ERR_RECOVERING", "RECOVERY_FAILED", "INTR_RMV"]
    assert_pools_full(finals[0]["mempools"], "after a removal while retrying")


# -- 9. hot-remove ------------------------------------------------------------

def test_hot_remove(cluster):
    """9. Hot-remove: RECOVERY_FAILED then INTR_RMV in every process, the
    port FAILED with removals 1; the primary closes the port while the
    secondaries are attached, everything exits 0, every mbuf is back."""
    procs = start_procs(cluster)
    pri = procs[0][0]
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        tel_ok(tel, "/mana_sim/remove", BDF)
        for p, _ in procs:
            wait_events(p, ["ERR_RECOVERING", "RECOVERY_FAILED", "INTR_RMV"], 10,
                        marks[p.name])
        info = mana_info(tel)
        assert info["state"] == "failed" and info["removals"] == 1, info
        assert info["resets_failed"] == 1 and info["last_error"] == -errno.ENODEV, info
        assert sim_info(tel)["state"] == "removed"
    for p, q in procs:
        st = p.wait_status(lambda s: s["state"] == "failed", 5)
        assert p.wait_status(lambda s: True, 2)["queues"][str(q)]["rx"] == \
            st["queues"][str(q)]["rx"]
    # The applications stop building packets (a burst refused by the failed
    # port is freed by the caller a moment later): what must be back in the
    # pools after the close is what the queues held.
    for p, _ in procs:
        assert p.command("pause")["ret"] == 0
    t0 = time.monotonic()
    ans = pri.command("port_close", timeout=15)
    assert ans["ret"] == 0 and ans["stop"] == 0, ans
    assert time.monotonic() - t0 < scaled(2)
    assert_pools_full(pri.command("mempools")["mempools"], "after closing the removed port")
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0, finals[q]
        assert event_types(p) == ["ERR_RECOVERING", "RECOVERY_FAILED", "INTR_RMV"]


@pytest.mark.parametrize("cb_ms", [60, 400])
def test_hot_remove_primary_told_first(cluster, cb_ms):
    """9a. The primary's application gets INTR_RMV before the secondaries:
    theirs is delivered once the primary's callback has returned (an
    application detaches the device on INTR_RMV in every process, and EAL
    carries a secondary's detach out in the primary too), or after 100 ms
    if it has not (a callback that keeps the interrupt thread @cb_ms)."""
    procs = start_procs(cluster, n_secs=1)
    pri, sec = procs[0][0], procs[1][0]
    assert pri.command(f"cb_sleep {cb_ms} INTR_RMV")["ret"] == 0
    assert pri.command("cb_sleep 5 NO_SUCH_EVENT")["ret"] != 0
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        tel_ok(tel, "/mana_sim/remove", BDF)
        ev = {p.name: wait_events(p, FAILED_EVENTS, 10, marks[p.name]) for p, _ in procs}
    # The primary's callback printed its INTR_RMV, then slept cb_ms; the
    # 100 ms bound runs from the event's posting, a moment before that print.
    gap_ms = (ev[sec.name][2]["mono"] - ev[pri.name][2]["mono"]) * 1000
    if cb_ms < 100:
        assert cb_ms <= gap_ms < cb_ms + scaled(0.1) * 1000, (gap_ms, ev)
    else:
        assert 50 <= gap_ms < cb_ms, (gap_ms, ev)
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0, finals[q]
        assert event_types(p) == FAILED_EVENTS, event_types(p)


def test_hot_remove_during_reset(cluster):
    """9b. Hot-remove while the reset waits for the device (a service reset
    whose device stays away 30 s, recovery_timeout_ms=20000): the PCI
    function leaving sysfs ends the recovery at once, RECOVERY_FAILED then
    INTR_RMV in every process well within 2 s of the removal, not after
    recovery_timeout_ms."""
    procs = start_procs(cluster, devargs="recovery_timeout_ms=20000")
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        sim_reset(tel, 30000)
        for p, _ in procs:
            wait_events(p, ["ERR_RECOVERING"], 10, marks[p.name])
        wait_phase(tel, "wait_hw")
        t0 = time.monotonic()
        tel_ok(tel, "/mana_sim/remove", BDF)
        for p, _ in procs:
            wait_events(p, ["ERR_RECOVERING", "RECOVERY_FAILED", "INTR_RMV"], 10,
                        marks[p.name])
            assert time.monotonic() - t0 < scaled(2), p.name
        info = mana_info(tel)
        assert info["state"] == "failed" and info["removals"] == 1, info
        assert info["resets_failed"] == 1 and info["last_error"] == -errno.ENODEV, info
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0, finals[q]
        assert event_types(p) == ["ERR_RECOVERING", "RECOVERY_FAILED", "INTR_RMV"]
