# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Memory registrations follow the mempools: freed pools give their ranges back
(issue 9, item 4)."""

from conftest import (assert_clean_final, queue_rx, sim_info, sim_reset, wait_events,
                      wait_rx_after)

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
