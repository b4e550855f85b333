# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Tx completions: CQE suppression, errors inside a suppressed span, bulk
and fast-free release of completed mbufs (drivers/net/mana/mana_tx_dp.h)."""

import pytest

from conftest import (assert_clean_final, assert_pools_full, mana_queues, queue_rx, sim_info,
                      stop_all, wait_until)

BURST = 32


def tx_pool(proc):
    """The Tx pool of a lone primary, from its `mempools` answer."""
    pools = proc.command("mempools")["mempools"]
    mine = [mp for mp in pools if mp["name"].startswith("mtrf_tx")]
    assert len(mine) == 1, pools
    return mine[0]


def quiet_primary(cluster):
    """A primary with one queue that carried traffic and is now paused: the
    device has sent everything the PMD posted."""
    p = cluster.primary(app_args="--queues 1 --rate 5000 --status-ms 100")
    p.wait_status(lambda s: queue_rx(s, 0) > 200, 10, "traffic")
    assert p.command("pause")["ret"] == 0
    return p


def wait_device_sent(tel, proc):
    """Until the device has sent every packet the PMD posted (no errors
    before this point); returns the device's counters then."""
    return wait_until(lambda: (lambda info, q: info if info["tx_packets"] + info["tx_errors"]
                               == q["tx_packets"] else None)(sim_info(tel), mana_queues(tel)[0]),
                      10, "the device sent every posted packet")


def wait_device_cqes(tel, before, n):
    """Until the device has written @n Tx CQEs since @before (a CQE follows
    the count of its packet: the engine sends, then completes); returns the
    device's counters then."""
    return wait_until(lambda: (lambda info: info if info["tx_cqes"] - before["tx_cqes"] >= n
                               else None)(sim_info(tel)), 10, f"{n} Tx CQEs")


def test_tx_one_cqe_per_32_packet_burst(cluster):
    """Bursts of 32 packets: the device writes one CQE per burst (counted by
    the device: /mana_sim/info tx_cqes), every WQE but the burst's last
    asking for none; the completion retires all 32."""
    bursts = 16
    p = quiet_primary(cluster)
    with cluster.telemetry() as tel:
        before = wait_device_sent(tel, p)
        for k in range(bursts):
            r = p.command(f"tx_burst {BURST}")
            assert r["ret"] == 0 and r["sent"] == BURST, r
            wait_until(lambda k=k: sim_info(tel)["tx_packets"] - before["tx_packets"]
                       == BURST * (k + 1), 10, f"burst {k} sent by the device")
        # The last burst's CQE follows its last packet: wait for it, then no more come.
        wait_until(lambda: sim_info(tel)["tx_cqes"] - before["tx_cqes"] >= bursts, 10,
                   "a CQE for every burst")
        assert p.command("tx_burst 1")["sent"] == 1    # retires the last burst
        wait_device_sent(tel, p)
        after = wait_device_cqes(tel, before, bursts + 1)
        packets = after["tx_packets"] - before["tx_packets"]
        cqes = after["tx_cqes"] - before["tx_cqes"]
        assert packets == BURST * bursts + 1
        # One per burst, and the single packet's; none in error.
        assert cqes == bursts + 1, (cqes, packets)
        assert after["tx_errors"] == before["tx_errors"]
        # Only the single packet waits for its completion; every CQE named
        # the WQE the queue expected.
        q = mana_queues(tel)[0]
        assert q["tx_inflight"] == 1 and q["tx_cqe_mismatches"] == 0, q
    assert p.command("resume")["ret"] == 0
    final = p.stop()
    assert_clean_final(final)
    assert final["stats"]["oerrors"] == 0
    assert_pools_full(final["mempools"], "after the stop")


@pytest.mark.parametrize("bad", [0, 15, 31])
def test_tx_error_inside_a_suppressed_span(cluster, bad):
    """A burst of 32 WQEs of which one (first, middle, last) is a frame the
    device fails: that WQE gets its error CQE although it asked for none
    (unless it is the last), the burst's last WQE its CQE; the PMD counts one
    error and retires all 32, each mbuf back in the pool exactly once."""
    p = quiet_primary(cluster)
    with cluster.telemetry() as tel:
        before = wait_device_sent(tel, p)
        q_before = mana_queues(tel)[0]
        r = p.command(f"tx_burst {BURST - 1} {bad}")
        assert r["ret"] == 0 and r["sent"] == BURST, r
        expect_cqes = 1 if bad == BURST - 1 else 2
        wait_until(lambda: sim_info(tel)["tx_cqes"] - before["tx_cqes"] >= expect_cqes, 10,
                   "the error CQE and the burst's CQE")
        info = wait_until(lambda: (lambda i: i if i["tx_packets"] - before["tx_packets"]
                                   == BURST - 1 else None)(sim_info(tel)), 10,
                          "the burst's good packets sent")
        assert info["tx_errors"] - before["tx_errors"] == 1
        # The next burst retires the 32 WQEs: only its own packet is then in flight.
        assert p.command("tx_burst 1")["sent"] == 1
        q = mana_queues(tel)[0]
        assert q["tx_errors"] - q_before["tx_errors"] == 1, (q_before, q)
        assert q["tx_inflight"] == 1 and q["tx_cqe_mismatches"] == 0, q
        wait_device_sent(tel, p)
        after = wait_device_cqes(tel, before, expect_cqes + 1)
        assert after["tx_cqes"] - before["tx_cqes"] == expect_cqes + 1
        # Exactly once: the pool holds all but the one in flight, none twice.
        mp = tx_pool(p)
        assert mp["avail_raw"] == mp["size"] - 1 and mp["in_use"] == 1, mp
    assert p.command("resume")["ret"] == 0
    final = p.stop()
    assert_clean_final(final)
    assert final["stats"]["oerrors"] == 1, final["stats"]
    assert_pools_full(final["mempools"], "after the stop")


def test_tx_burst_ending_in_a_drop(cluster):
    """A burst whose last packet the PMD drops (an empty one: oerrors) had
    posted its last WQE asking for no completion: before ringing, the PMD
    makes that WQE ask (mana_tx_signal_last), so the device writes the one
    CQE that retires the burst - none is left for a later burst to retire."""
    p = quiet_primary(cluster)
    with cluster.telemetry() as tel:
        before = wait_device_sent(tel, p)
        r = p.command(f"tx_burst {BURST - 1} {BURST - 1} empty")
        assert r["ret"] == 0 and r["sent"] == BURST, r
        wait_until(lambda: sim_info(tel)["tx_packets"] - before["tx_packets"] == BURST - 1,
                   10, "the burst's packets sent")
        wait_until(lambda: sim_info(tel)["tx_cqes"] - before["tx_cqes"] == 1, 10,
                   "the burst's one CQE")
        assert p.command("tx_burst 1")["sent"] == 1
        q = mana_queues(tel)[0]
        assert q["tx_inflight"] == 1 and q["tx_cqe_mismatches"] == 0, q
        wait_device_sent(tel, p)
        after = wait_device_cqes(tel, before, 2)
        assert after["tx_cqes"] - before["tx_cqes"] == 2, (before, after)
        assert after["tx_errors"] == before["tx_errors"]
    assert p.command("resume")["ret"] == 0
    final = p.stop()
    assert_clean_final(final)
    assert final["stats"]["oerrors"] == 1, final["stats"]
    assert_pools_full(final["mempools"], "after the stop")


@pytest.mark.parametrize("args,n,bad,segs", [
    ("--segs 3", 31, 15, 3),                # WQEs of 2 basic units
    ("--vlan 5", 31, 7, 1),                 # long OOB: 2 units, the failing frame's 1
    ("--segs 3 --desc 64", 200, 40, 3),     # a burst the ring cuts at 64
])
def test_tx_error_with_multi_unit_wqes(cluster, args, n, bad, segs):
    """An error CQE inside a suppressed span of WQEs longer than one basic
    unit, and a burst the full ring cuts short: the device's CQEs retire all
    that was posted - one error counted, the next 1-packet burst alone in
    flight, every mbuf back once. (From the review of the Tx work.)"""
    p = cluster.primary(app_args=f"--queues 1 --rate 5000 --status-ms 100 {args}")
    p.wait_status(lambda s: queue_rx(s, 0) > 200, 10, "traffic")
    assert p.command("pause")["ret"] == 0
    with cluster.telemetry() as tel:
        before = wait_device_sent(tel, p)
        q_before = mana_queues(tel)[0]
        r = p.command(f"tx_burst {n} {bad}")
        assert r["ret"] == 0 and r["sent"] > bad, r
        sent = r["sent"]
        wait_until(lambda: (lambda i: i if i["tx_packets"] + i["tx_errors"]
                            - before["tx_packets"] - before["tx_errors"] == sent
                            else None)(sim_info(tel)), 10, "the burst done by the device")
        assert p.command("tx_burst 1")["sent"] == 1
        q = mana_queues(tel)[0]
        assert q["tx_inflight"] == 1 and q["tx_cqe_mismatches"] == 0, (r, q)
        assert q["tx_errors"] - q_before["tx_errors"] == 1, (r, q)
        mp = tx_pool(p)
        assert mp["avail_raw"] == mp["size"] - segs and mp["in_use"] == segs, mp
    assert p.command("resume")["ret"] == 0
    final = p.stop()
    assert_clean_final(final)
    assert_pools_full(final["mempools"], "after the stop")


@pytest.mark.parametrize("segs", [1, 3])
def test_tx_fast_free(cluster, segs):
    """RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE (advertised, configured by the
    primary for every queue): a primary and a secondary, each sending from
    its own pool, single- and multi-segment: no loss, and every pool full
    at the end, nothing freed twice."""
    common = f"--rate 20000 --flows 2 --status-ms 100 --segs {segs}"
    pri = cluster.primary(app_args=f"--queues 2 --own 0 --fast-free {common}")
    sec = cluster.secondary(1, f"--own 1 {common}")
    procs = [(pri, 0), (sec, 1)]
    with cluster.telemetry() as tel:
        assert all(e["tx_fast_free"] == 1 for e in mana_queues(tel).values())
    for p, q in procs:
        p.wait_status(lambda s, q=q: queue_rx(s, q) >= 5000, 15, f"traffic on queue {q}")
    finals = stop_all(procs)
    for final in finals.values():
        assert_clean_final(final)
    assert finals[0]["stats"]["oerrors"] == 0, finals[0]["stats"]
    assert finals[0]["port_stopped"] is True
    # The primary's report shows every process's pool (the secondary's too).
    assert len(finals[0]["mempools"]) == 3, finals[0]["mempools"]
    assert_pools_full(finals[0]["mempools"], "after the last user stopped the port")
