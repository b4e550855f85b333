# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Memory registrations follow the mempools: freed pools give their ranges back
(issue 9, item 4)."""

import re

from conftest import (assert_clean_final, freeze, queue_rx, sim_info, sim_reset, thaw,
                      wait_events, wait_rx_after, wait_until)

MR_MAX = 256
FULL_MSG = f"all {MR_MAX} memory registrations in use"
CHURN = 3 * MR_MAX    # pools made and freed, one after the other
ARGS = "--rate 2000 --flows 2 --status-ms 100"


def _mr(proc):
    """The port's mr_* xstats (absent ones read as None)."""
    mr = proc.command("stats")["stats"]["mr"]
    return {k: mr.get(k) for k in ("mr_registered", "mr_reclaimed", "mr_refused",
                                   "tx_mr_drops")}


def _pair(cluster, devargs=""):
    pri = cluster.primary(devargs=devargs, app_args=f"--queues 2 --own 0 {ARGS} --events")
    sec = cluster.secondary(1, f"--own 1 {ARGS} --events")
    sec.wait_status(lambda s: queue_rx(s, 1) >= 200, timeout=15, what="traffic on queue 1")
    return pri, sec


def test_pool_churn_reclaims_ranges(cluster):
    """A worker that makes and frees a pool of its own more times than the table
    has ranges: every pool's packets go out and arrive, nothing is refused, and the
    table holds only the live pools' ranges."""
    pri, sec = _pair(cluster)
    before = _mr(pri)["mr_registered"]
    ans = sec.command(f"tx_pools {CHURN}", timeout=240)
    assert ans["ret"] == 0 and ans["created"] == CHURN, ans
    # Nothing refused by tx_burst, nothing dropped by the PMD.
    assert ans["sent"] == ans["built"] == (CHURN) * 4, ans
    assert ans["freed"] == CHURN and ans["unfreed"] == 0, ans
    mr = _mr(pri)
    assert before is not None, mr
    assert mr["mr_refused"] == 0 and mr["tx_mr_drops"] == 0, mr
    assert mr["mr_registered"] <= before, (before, mr)
    assert mr["mr_reclaimed"] >= CHURN, mr
    # Traffic from the newest pool still flows.
    wait_rx_after(sec, [1], sec.mark(), 200, timeout=15, what="traffic from the newest pool")
    final = sec.stop()
    assert_clean_final(final)
    assert final["totals"]["tx_refused"] == 0, final["totals"]
    assert FULL_MSG not in pri.stderr_text() + sec.stderr_text()
    pri.stop()


def test_full_table_reported_once(cluster):
    """More live pools than ranges: the table-full error is logged once, counted
    in xstats, and every packet the PMD dropped for it is counted: the packets
    tx_burst took and that never arrived are exactly tx_mr_drops."""
    pri, sec = _pair(cluster)
    ans = sec.command(f"tx_pools {MR_MAX + 20} keep", timeout=240)
    assert ans["ret"] == 0 and ans["kept"] == MR_MAX + 20, ans
    # Let the newest (unregistered) pool send a while: every packet a drop.
    sec.wait_status(lambda s: True, timeout=5)
    final = sec.stop()
    logs = pri.stderr_text() + sec.stderr_text()
    assert logs.count(FULL_MSG) == 1, [ln for ln in logs.splitlines() if FULL_MSG in ln]
    # What tx_burst took and never arrived is what the PMD counted as dropped.
    lost = sum(f["sent"] - f["received"] for f in final["flows"])
    stats = final["stats"]
    assert lost > 0 and stats["oerrors"] == lost, (lost, stats)
    assert stats["mr"].get("tx_mr_drops") == lost, (lost, stats)
    # Dropped fast: nothing left to the caller to retry forever.
    assert final["totals"]["tx_refused"] == 0, final["totals"]
    mr = _mr(pri)
    assert mr["mr_registered"] == MR_MAX and mr["mr_refused"] > 0, mr
    pri.stop()


def test_reset_rebuilds_only_live_ranges(cluster):
    """Pools freed before a reset are neither in the table nor registered again in
    the new device instance; traffic from the live pool resumes."""
    pri, sec = _pair(cluster)
    with cluster.telemetry() as tel:
        objects = sim_info(tel)["objects"]
        ans = sec.command("tx_pools 20", timeout=60)
        assert ans["ret"] == 0 and ans["freed"] == 20, ans
        # The freed pools' registrations are gone from the device already (the
        # first pool, freed too, may have had more chunks than the newest).
        churned = sim_info(tel)["objects"]
        assert churned <= objects, (churned, objects)
        live = _mr(pri)["mr_registered"]
        start = pri.mark()
        sim_reset(tel, 200)
        wait_events(pri, ["ERR_RECOVERING", "RECOVERY_SUCCESS"], timeout=30, start=start)
        # The new instance holds what the old one held: nothing freed came back.
        assert sim_info(tel)["objects"] == churned
        assert live is not None and _mr(pri)["mr_registered"] == live
    wait_rx_after(sec, [1], sec.mark(), 200, timeout=15, what="traffic after the reset")
    final = sec.stop()
    assert final["totals"]["bad"] == 0
    pri.stop()


def test_secondary_burst_never_waits_for_the_primary(cluster):
    """A secondary's burst that meets memory not registered yet (external
    buffers: memory no mempool owns) does not ask the primary from inside
    the burst. With the primary frozen, the secondary's loop keeps its pace
    - status lines every 100 ms - and its packets stay with it (tx_refused);
    once the primary runs again, the request made from an alarm registers
    the range and the packets flow. (Before: every burst waited
    request_timeout_ms for an answer.)"""
    pri, sec = _pair(cluster, devargs="request_timeout_ms=1000")
    before = _mr(pri)["mr_registered"]
    assert sec.command("pause")["ret"] == 0
    assert sec.command("extbuf on")["ret"] == 0     # allocated while the primary runs
    freeze(pri)
    try:
        assert sec.command("resume")["ret"] == 0
        first = sec.wait_status(lambda s: True, timeout=5)
        last = sec.wait_status(lambda s: s["mono"] >= first["mono"] + 2.0, timeout=10,
                               what="2 s of the secondary's loop")
        lines = [o for o in sec.lines if o.get("ev") == "status" and
                 first["mono"] <= o["mono"] <= last["mono"]]
        # 20 periods; a burst that waited 1 s for the frozen primary allows 3.
        assert len(lines) >= 10, [o["mono"] for o in lines]
        assert last["queues"]["1"]["tx_refused"] > first["queues"]["1"]["tx_refused"], \
            (first, last)
    finally:
        thaw(pri)
    wait_rx_after(sec, [1], sec.mark(), 200, timeout=15, what="traffic from external buffers")
    assert _mr(pri)["mr_registered"] > before
    # Every external buffer back before the primary stops the port: it would
    # call this process's free callback (a function pointer of another process).
    wait_until(lambda: sec.command("extbuf off")["busy"] == 0, 10, "external buffers freed")
    final = sec.stop()
    assert final["totals"]["bad"] == 0 and final["totals"]["corrupt"] == 0, final["totals"]
    pri.stop()


def test_pools_freed_after_the_port_closed(cluster):
    """A worker that closes its port, then frees its pools (the usual order
    at exit) gives their ranges back too: DPDK tells only the process that
    frees a pool, which remembers the port it left."""
    pri, sec = _pair(cluster)
    ans = sec.command("tx_pools 4 keep", timeout=60)
    assert ans["ret"] == 0 and ans["kept"] == 4, ans
    held = _mr(pri)
    assert sec.command("pause")["ret"] == 0
    # The kept pools' packets complete while the worker still polls.
    kept = {f"mtrf_tx_{sec.pid}"} | {f"mtrf_p{sec.pid}_{k}" for k in range(3)}
    assert ans["tx_pool"] == f"mtrf_p{sec.pid}_3", ans
    wait_until(lambda: all(p["in_use"] == 0 for p in sec.command("mempools")["mempools"]
                           if p["name"] in kept), 10, "kept pools full")
    assert sec.command("port_close")["ret"] == 0
    ans = sec.command("free_kept")
    assert ans["freed"] == 4, ans
    after = _mr(pri)
    assert after["mr_registered"] < held["mr_registered"], (held, after)
    assert after["mr_reclaimed"] >= held["mr_reclaimed"] + ans["freed"], (held, after)
    pri.stop()


def test_registrations_checked_from_the_maps_text(cluster):
    """Kernels before 6.11 (Debian 12's 6.1 among them) have no PROCMAP_QUERY:
    the VF then checks every registration's range (ib_umem_get's rule) on the
    text of /proc/self/maps, a line per hugepage in a DPDK process. The
    primary's queue buffers and registrations - its own pools, those a
    secondary asks for, its new pools, all again in a reset's new protection
    domain - pass it as they pass the query (the rule itself, both ways:
    tests/unit rule 20)."""
    cluster.set_sim(extra=["maps=text"])
    pri, sec = _pair(cluster)
    with cluster.telemetry() as tel:
        reads = sim_info(tel)["maps_text_reads"]
        assert reads > 0, "no range check read the maps text"
        ans = sec.command("tx_pools 4", timeout=60)
        assert ans["ret"] == 0 and ans["sent"] == ans["built"] == 4 * 4, ans
        start = pri.mark()
        sim_reset(tel, 100)
        wait_events(pri, ["ERR_RECOVERING", "RECOVERY_SUCCESS"], timeout=30, start=start)
        wait_rx_after(sec, [1], sec.mark(), 200, timeout=15, what="traffic after the reset")
        assert sim_info(tel)["maps_text_reads"] > reads
    final = sec.stop()
    # What was inside the device when it died is lost; nothing else.
    assert final["totals"]["bad"] == 0 and final["totals"]["corrupt"] == 0, final["totals"]
    mr = _mr(pri)
    assert mr["mr_refused"] == 0 and mr["tx_mr_drops"] == 0, mr
    # No registration refused along the way (mana_mr.c, mana_rx.c, mana_mp.c; the VF).
    logs = (pri.stderr_text() + sec.stderr_text()).splitlines()
    refused = [ln for ln in logs if re.search(r"registering .*(failed|: )|could not register|"
                                              r"ib_umem_get|not writable memory", ln)]
    assert not refused, refused
    pri.stop()
