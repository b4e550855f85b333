# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Memory registrations follow the mempools: freed pools give their ranges back
(issue 9, item 4)."""

from conftest import (assert_clean_final, queue_rx, sim_info, sim_reset, wait_events,
                      wait_rx_after)

MR_MAX = 256
FULL_MSG = f"all {MR_MAX} memory registrations in use"
ARGS = "--rate 2000 --flows 2 --status-ms 100"


def _mr(proc):
    return proc.command("stats")["stats"]["mr"]


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
    ans = sec.command(f"tx_pools {MR_MAX + 44}", timeout=240)
    assert ans["ret"] == 0 and ans["created"] == MR_MAX + 44, ans
    assert ans["freed"] == MR_MAX + 44 and ans["unfreed"] == 0, ans
    # Nothing refused by tx_burst, nothing dropped by the PMD.
    assert ans["sent"] == ans["built"] == (MR_MAX + 44) * 4, ans
    mr = _mr(pri)
    assert mr["mr_refused"] == 0 and mr["tx_mr_drops"] == 0, mr
    assert mr["mr_registered"] <= before, (before, mr)
    assert mr["mr_reclaimed"] >= MR_MAX + 44, mr
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
    mr = _mr(sec)
    assert mr["mr_registered"] == MR_MAX, mr
    assert mr["mr_refused"] > 0 and mr["tx_mr_drops"] > 0, mr
    final = sec.stop()
    lost = sum(f["sent"] - f["received"] for f in final["flows"])
    stats = final["stats"]
    assert lost > 0 and lost == stats["mr"]["tx_mr_drops"], (lost, stats)
    assert stats["oerrors"] >= lost, stats
    assert final["totals"]["tx_refused"] == 0, final["totals"]
    logs = pri.stderr_text() + sec.stderr_text()
    assert logs.count(FULL_MSG) == 1, [ln for ln in logs.splitlines() if FULL_MSG in ln]
    pri.stop()


def test_reset_rebuilds_only_live_ranges(cluster):
    """Pools freed before a reset are neither in the table nor registered again in
    the new device instance; traffic from the live pool resumes."""
    pri, sec = _pair(cluster)
    with cluster.telemetry() as tel:
        objects = sim_info(tel)["objects"]
        live = _mr(pri)["mr_registered"]
        ans = sec.command("tx_pools 20", timeout=60)
        assert ans["ret"] == 0 and ans["freed"] == 20, ans
        # The freed pools' registrations are gone from the device already.
        assert sim_info(tel)["objects"] == objects
        start = pri.mark()
        sim_reset(tel, 200)
        wait_events(pri, ["ERR_RECOVERING", "RECOVERY_SUCCESS"], timeout=30, start=start)
        assert _mr(pri)["mr_registered"] == live
        assert sim_info(tel)["objects"] == objects
    wait_rx_after(sec, [1], sec.mark(), 200, timeout=15, what="traffic after the reset")
    final = sec.stop()
    assert final["totals"]["bad"] == 0
    pri.stop()
