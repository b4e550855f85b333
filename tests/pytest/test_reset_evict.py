# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""A silent secondary costs the others milliseconds, not ack_timeout_ms
(doc/protocol.rst "Deadlines and eviction"): a process that cannot run
(SIGSTOP) is evicted at the round's first liveness slice (2 ms after the
send); one that runs but is silent (the
thread that handles the primary's messages busy) is evicted at the adaptive
deadline of UNMAP_DB/REMAP_DB;
one killed between UNMAP and REMAP is released. The others carry traffic
again within 50 ms of the device's return, whatever ack_timeout_ms is, and
lose nothing a reset does not cost; the evicted one rejoins by itself."""

import signal

import pytest

from conftest import (OK_PAIR, RATE, RUNTIME_DIR, assert_pools_full, check_final, event_types,
                      freeze, line_index, mana_info, mana_procs, marks_of, recovered, sim_info,
                      sim_reset, start_procs, stop_all, thaw, wait_events, wait_rx_after,
                      wait_until)

DOWN_MS = 100
BACK_MS = 50          # the target: traffic again this soon after the device's return
STATUS_MS = 5         # status line period: the resolution of the measurement
# The device's return must be seen at once: the reopen back-off is not the subject.
POLL = "recovery_poll_ms=1"


def traffic_back_ms(proc, q, mark, up_ns, timeout=5):
    """How long after the device's return (@up_ns, CLOCK_MONOTONIC) @proc
    received again on queue @q: the first status line (after line @mark)
    whose rx count grew past the count it had when the device came back.
    Bursts return nothing from the fatal event to the resume, so that
    growth is traffic after recovery; the error is one status period."""
    up_s = up_ns / 1e9

    def find():
        base = None
        for o in proc.lines[mark:]:
            if o.get("ev") != "status":
                continue
            rx = o.get("queues", {}).get(str(q), {}).get("rx", 0)
            if o["mono"] <= up_s:
                base = rx
            elif base is not None and rx > base:
                return o
        return None
    st = proc.wait_for(find, timeout, what=f"traffic on queue {q} after the device's return")
    return (st["mono"] - up_s) * 1000


def flows_of(procs):
    return {p.name: p.command("flows") for p, _ in procs}


def check_others(procs, finals, after, resets):
    """What a reset costs and nothing else: loss only of what was in the
    rings at the reset, none after the recovery."""
    for p, q in procs:
        check_final(finals[q], resets, p.name)
        snap = {(f["q"], f["flow"]): f for f in after[p.name]["flows"]}
        for f in finals[q]["flows"]:
            s = snap[(f["q"], f["flow"])]
            assert f["lost"] <= s["lost"], (p.name, s, f)


def warm_up(tel, procs, n=2):
    """@n resets with everyone healthy: UNMAP_DB and REMAP_DB answer
    latencies measured, so the deadline adapts (ack_deadline_ms below the
    ceiling). Returns /mana_mpr/info."""
    for _ in range(n):
        marks = marks_of(procs)
        sim_reset(tel, 20)
        recovered(procs, marks)
    info = mana_info(tel)
    assert info["ack_samples"] >= 4, info
    assert info["evictions"] == 0 and info["evictions_deadline"] == 0, info
    return info


@pytest.mark.parametrize("ack_ms", [500, 2000])
def test_stopped_secondary_costs_milliseconds(cluster, ack_ms):
    """A SIGSTOPped idle secondary of four: reset with the device down
    100 ms; the other processes carry traffic <= 50 ms after the device's
    return, with ack_timeout_ms 500 and 2000 alike (on a fixed deadline they
    waited ack_timeout_ms - down). It is evicted as one that cannot run,
    not at a deadline; SIGCONT: it rejoins and carries traffic."""
    procs = start_procs(cluster, n_secs=4, status_ms=STATUS_MS,
                        devargs=f"ack_timeout_ms={ack_ms},{POLL}")
    hung = procs[2][0]
    live = [pq for pq in procs if pq[0] is not hung]
    with cluster.telemetry() as tel:
        gen0 = mana_info(tel)["generation"]
        assert hung.command("hold")["ret"] == 0      # idle: in no burst
        freeze(hung)
        marks = marks_of(live)
        sim_reset(tel, DOWN_MS)
        recovered(live, marks)
        sim = sim_info(tel)
        info = mana_info(tel)
        back = {p.name: traffic_back_ms(p, q, marks[p.name], sim["last_up_ns"])
                for p, q in live}
        print(f"SIGSTOPped secondary, ack_timeout_ms {ack_ms}: traffic back after {back} ms")
        assert max(back.values()) <= BACK_MS, (back, info)
        assert info["resets_succeeded"] == 1 and info["generation"] == gen0 + 1, info
        assert info["evictions_cannot_run"] == 1 and info["evictions_deadline"] == 0, info
        # UNMAP_DB did not wait for it at all.
        assert info["last_unmap_round_us"] < BACK_MS * 1000, info
        assert mana_procs(tel)[hung.pid]["state"] == "evicted"
        after = flows_of(live)

        thaw(hung)
        wait_until(lambda: hung.command("state")["mapped"] == gen0 + 1, 5,
                   "the thawed secondary mapping the new doorbell")
        wait_until(lambda: mana_procs(tel)[hung.pid]["state"] == "attached", 5,
                   "the thawed secondary attached again")
        rel = hung.command("release")
        wait_rx_after(hung, [procs[2][1]], line_index(hung, rel), RATE // 20, timeout=5,
                      what="traffic of the re-admitted secondary")
    finals = stop_all(procs)
    check_others(live, finals, after, 1)
    assert all(finals[q]["exit"] == 0 for _, q in procs)
    assert_pools_full(finals[0]["mempools"], "after the stopped secondary came back")


def test_busy_mp_thread_evicted_by_deadline(cluster):
    """A secondary whose message thread is busy for 400 ms from the fatal
    event on: evicted at the adaptive UNMAP_DB deadline (not ack_timeout_ms,
    2000 here), the others carry traffic <= 50 ms after the device's return;
    then it answers the UNMAP_DB it was sent, finds the port settled without
    it (it is sent no REMAP_DB), attaches again by itself and carries
    traffic."""
    ack_ms = 2000
    procs = start_procs(cluster, n_secs=3, status_ms=STATUS_MS,
                        devargs=f"ack_timeout_ms={ack_ms},{POLL}")
    busy, bq = procs[1]
    live = [pq for pq in procs if pq[0] is not busy]
    with cluster.telemetry() as tel:
        info = warm_up(tel, procs)
        gen0 = info["generation"]
        deadline_ms = info["ack_deadline_ms"]
        assert busy.command("mp_stall 400")["ret"] == 0
        marks = marks_of(procs)
        sim_reset(tel, DOWN_MS)
        recovered(live, marks)
        sim = sim_info(tel)
        info = mana_info(tel)
        back = {p.name: traffic_back_ms(p, q, marks[p.name], sim["last_up_ns"])
                for p, q in live}
        print(f"busy message thread, ack_timeout_ms {ack_ms}: traffic back after {back} ms")
        assert max(back.values()) <= BACK_MS, (back, info)
        assert info["evictions_deadline"] == 1 and info["evictions_cannot_run"] == 0, info
        # Evicted at the adaptive deadline, far below the ceiling.
        assert 25 <= deadline_ms < ack_ms, info
        assert deadline_ms * 1000 <= info["last_unmap_round_us"] < (deadline_ms + 20) * 1000, \
            (deadline_ms, info)
        after = flows_of(live)
        # Busy no more: it answered late and attached again.
        wait_events(busy, OK_PAIR, 5, start=marks[busy.name])
        wait_until(lambda: mana_procs(tel)[busy.pid]["state"] == "attached", 5,
                   "the busy secondary re-admitted")
        assert busy.command("state")["mapped"] == gen0 + 1
        st = wait_rx_after(busy, [bq], busy.mark(), RATE // 20, timeout=5,
                           what="traffic of the re-admitted secondary")
        assert st
        # Its late answers measured nothing: the estimator only takes healthy ones.
        assert mana_info(tel)["ack_srtt_us"] < 20000, mana_info(tel)
    finals = stop_all(procs)
    check_others(live, finals, after, 3)
    check_final(finals[bq], 3, busy.name)
    assert all(finals[q]["exit"] == 0 for _, q in procs)
    assert_pools_full(finals[0]["mempools"], "after the busy secondary came back")


def test_evicted_while_about_to_answer(cluster):
    """A process evicted during UNMAP_DB that was in fact about to answer
    (its message thread busy just past the adaptive deadline): it answers
    UNMAP_DB late, is sent no REMAP_DB, attaches again by itself once the
    port has settled, carries traffic; no crash, and the others lose
    nothing a reset does not cost."""
    procs = start_procs(cluster, n_secs=2, status_ms=STATUS_MS,
                        devargs=f"ack_timeout_ms=500,{POLL}")
    slow, sq = procs[1]
    others = [procs[0], procs[2]]
    with cluster.telemetry() as tel:
        info = warm_up(tel, procs)
        gen0 = info["generation"]
        ev0 = info["evictions_deadline"]
        # Busy from the fatal event's notice (sent just before UNMAP_DB) to
        # 20 ms past the deadline, well within the device's 150 ms absence.
        assert slow.command(f"mp_stall {info['ack_deadline_ms'] + 20}")["ret"] == 0
        marks = marks_of(procs)
        sim_reset(tel, 150)
        recovered(procs, marks)          # everyone, the evicted one included
        sim = sim_info(tel)
        info = mana_info(tel)
        back = {p.name: traffic_back_ms(p, q, marks[p.name], sim["last_up_ns"])
                for p, q in others}
        print(f"evicted while about to answer: traffic back after {back} ms")
        assert max(back.values()) <= BACK_MS, (back, info)
        assert info["evictions_deadline"] == ev0 + 1, info
        e = wait_until(lambda: (lambda e: e if e["state"] == "attached" else None)(
            mana_procs(tel)[slow.pid]), 5, "the evicted secondary attached again")
        assert e["unmap_generation"] == gen0 and e["unmap_result"] == 0, e
        assert e["db_generation"] == gen0 + 1, e
        assert slow.alive()
        # The next reset includes it and evicts nobody.
        marks = marks_of(procs)
        sim_reset(tel, 20)
        recovered(procs, marks)
        assert mana_info(tel)["evictions"] == info["evictions"]
        after = flows_of(procs)
        assert event_types(slow) == OK_PAIR * 4, event_types(slow)
    finals = stop_all(procs)
    check_others(others, finals, after, 4)
    check_final(finals[sq], 4, slow.name)
    assert all(finals[q]["exit"] == 0 for _, q in procs)
    assert_pools_full(finals[0]["mempools"], "after a wrongful eviction")


def test_killed_between_unmap_and_remap(cluster):
    """A secondary killed after it answered UNMAP_DB, while the device is
    away: REMAP_DB does not wait for it (released as dead, not evicted),
    the others carry traffic <= 50 ms after the device's return; the
    socket file it leaves is removed with its registry slot."""
    procs = start_procs(cluster, n_secs=2, status_ms=STATUS_MS,
                        devargs=f"ack_timeout_ms=2000,{POLL}")
    victim = procs[2][0]
    live = procs[:2]
    with cluster.telemetry() as tel:
        gen0 = mana_info(tel)["generation"]
        marks = marks_of(live)
        sim_reset(tel, 300)
        # It has answered UNMAP_DB and the reset waits for the device.
        wait_until(lambda: mana_procs(tel)[victim.pid]["unmap_generation"] == gen0, 2,
                   "the victim's UNMAP_DB answer")
        # The round ends once every answer is in; the reset thread then moves on.
        wait_until(lambda: mana_info(tel)["phase"] in ("teardown", "wait_hw"), 2,
                   "the reset past UNMAP_DB, waiting for the device")
        victim.signal(signal.SIGKILL)
        victim.wait_exit(5)
        recovered(live, marks)
        sim = sim_info(tel)
        info = mana_info(tel)
        back = {p.name: traffic_back_ms(p, q, marks[p.name], sim["last_up_ns"])
                for p, q in live}
        print(f"killed between UNMAP and REMAP: traffic back after {back} ms")
        assert max(back.values()) <= BACK_MS, (back, info)
        assert info["dead_processes"] == 1 and info["evictions"] == 0, info
        assert victim.pid not in mana_procs(tel)
        # The socket it received the primary's messages on, which a killed
        # process leaves, went with its registry slot; the others' stay.
        rundir = RUNTIME_DIR / cluster.prefix
        assert not (rundir / f"mana_mpr_{victim.pid}").exists()
        assert (rundir / f"mana_mpr_{procs[1][0].pid}").exists()
        assert info["last_remap_round_us"] < BACK_MS * 1000, info
        after = flows_of(live)
    finals = stop_all(live)
    check_others(live, finals, after, 1)
    assert all(finals[q]["exit"] == 0 for _, q in live)


def test_evicted_process_sent_nothing(cluster):
    """An evicted process is sent nothing of a reset: a secondary SIGSTOPped
    across three resets is sent the first reset's ERR_RECOVERING and
    UNMAP_DB (the round that finds it stopped: /proc is read only for those
    that have not answered), no REMAP_DB or outcome after; nothing is
    dropped (its queue never fills) and no round waits for it past its first
    liveness slice.
    SIGCONT: it finds the port settled without it, attaches again by
    itself, tells its application one recovery (ERR_RECOVERING,
    RECOVERY_SUCCESS: the three folded in one) and carries traffic."""
    resets = 3
    procs = start_procs(cluster, n_secs=3, status_ms=STATUS_MS,
                        devargs=f"ack_timeout_ms=500,{POLL}")
    hung, hq = procs[3]
    live = procs[:3]
    with cluster.telemetry() as tel:
        gen0 = mana_info(tel)["generation"]
        assert hung.command("hold")["ret"] == 0
        freeze(hung)
        mark_hung = hung.mark()
        sent0 = mana_procs(tel)[hung.pid]["msgs_sent"]
        sent = []
        for k in range(resets):
            marks = marks_of(live)
            sim_reset(tel, 20)
            recovered(live, marks)
            info = mana_info(tel)
            e = mana_procs(tel)[hung.pid]
            assert e["state"] == "evicted", e
            assert e["msgs_dropped"] == 0, e
            assert info["last_unmap_round_us"] < BACK_MS * 1000, info
            assert info["last_remap_round_us"] < BACK_MS * 1000, info
            sent.append(e["msgs_sent"])
        print(f"messages to the stopped secondary: before {sent0}, after each reset {sent}")
        assert sent[0] == sent0 + 2 and sent[-1] == sent[0], (sent0, sent)
        info = mana_info(tel)
        assert info["generation"] == gen0 + resets and info["evictions"] == 1, info
        assert info["evictions_cannot_run"] == 1, info

        thaw(hung)
        wait_until(lambda: hung.command("state")["mapped"] == gen0 + resets, 5,
                   "the thawed secondary mapping the current doorbell")
        wait_until(lambda: mana_procs(tel)[hung.pid]["state"] == "attached", 5,
                   "the thawed secondary attached again")
        wait_events(hung, OK_PAIR, 5, start=mark_hung)
        rel = hung.command("release")
        wait_rx_after(hung, [hq], line_index(hung, rel), RATE // 20, timeout=5,
                      what="traffic of the re-admitted secondary")
        assert event_types(hung, mark_hung) == OK_PAIR, event_types(hung, mark_hung)
        # Attached again, it is in the next reset like everyone.
        marks = marks_of(procs)
        sim_reset(tel, 20)
        recovered(procs, marks)
        assert mana_info(tel)["evictions"] == 1
        after = flows_of(live)
    finals = stop_all(procs)
    check_others(live, finals, after, resets + 1)
    assert all(finals[q]["exit"] == 0 for _, q in procs)
    assert_pools_full(finals[0]["mempools"], "after the stopped secondary came back")


def test_evicted_at_stop_readmitted(cluster):
    """A secondary SIGSTOPped across the primary's port_stop is evicted by
    the STOP_RXTX round (it cannot run) without a reset, so no newer
    doorbell generation will tell it to attach again. SIGCONT: its late
    STOP_RXTX answer, from a process that maps the current generation,
    re-admits it; port_start brings traffic back in every process, and
    the next reset waits for it like for everyone."""
    procs = start_procs(cluster, n_secs=2, status_ms=STATUS_MS,
                        devargs="ack_timeout_ms=500")
    pri = procs[0][0]
    hung, hq = procs[2]
    with cluster.telemetry() as tel:
        gen0 = mana_info(tel)["generation"]
        assert hung.command("hold")["ret"] == 0
        freeze(hung)
        assert pri.command("port_stop")["ret"] == 0
        stopped = mana_info(tel)
        assert stopped["evictions_cannot_run"] == 1, stopped
        assert mana_procs(tel)[hung.pid]["state"] == "evicted"
        thaw(hung)
        e = wait_until(lambda: (lambda e: e if e["state"] == "attached" else None)(
            mana_procs(tel)[hung.pid]), 5, "the thawed secondary re-admitted by its answer")
        assert e["db_generation"] == gen0, e
        assert mana_info(tel)["generation"] == gen0
        marks = marks_of(procs)
        assert pri.command("port_start", timeout=15)["ret"] == 0
        rel = hung.command("release")
        for p, q in procs:
            start = line_index(hung, rel) if p is hung else marks[p.name]
            wait_rx_after(p, [q], start, RATE // 20, timeout=10, what="traffic after port_start")
        # A member again: the next reset waits for it and evicts nobody.
        marks = marks_of(procs)
        sim_reset(tel, 20)
        recovered(procs, marks)
        info = mana_info(tel)
        assert info["evictions"] == stopped["evictions"], info
        assert info["evictions_cannot_run"] == 1 and info["generation"] == gen0 + 1, info
        assert mana_procs(tel)[hung.pid]["unmap_generation"] == gen0
    finals = stop_all(procs)
    assert all(finals[q]["exit"] == 0 for _, q in procs)
    assert_pools_full(finals[0]["mempools"], "after a secondary evicted at port_stop")
