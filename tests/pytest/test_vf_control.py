# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Control operations through rdma-core on the software VF: mtu_set through
the kernel netdev, RSS changes only on a stopped port, and a start that the
device refuses half-way leaves nothing behind (all-or-nothing) and can be
retried."""

import errno

import pytest

from conftest import (BDF, assert_clean_final, assert_pools_full, mana_info, marks_of,
                      sim_info, sim_reset, start_procs, stop_all, tel_ok, wait_events,
                      wait_rx_after, wait_until)


def _netdev_mtu(cluster, ifname="eth1"):
    return int((cluster.sim_dir() / "sys" / "class" / "net" / ifname / "mtu").read_text())


def test_mtu_set_applies_to_the_kernel_netdev(cluster):
    """rte_eth_dev_set_mtu sets the MTU of the port's kernel netdev (found by
    MAC, SIOCSIFMTU), as upstream does; an MTU whose frames do not fit the Rx
    buffers, or below 68, is refused and changes nothing."""
    p = cluster.primary(app_args="--queues 1 --rate 2000 --status-ms 100")
    assert _netdev_mtu(cluster) == 1500
    for mtu in (1400, 2000):
        assert p.command(f"mtu {mtu}")["ret"] == 0
        assert _netdev_mtu(cluster) == mtu
    for mtu in (4000, 60):
        assert p.command(f"mtu {mtu}")["ret"] == -errno.EINVAL
        assert _netdev_mtu(cluster) == 2000
    p.wait_status(lambda s: s["queues"]["0"]["rx"] > 500, 10, "traffic")
    assert_clean_final(p.stop())


def test_mtu_survives_a_reset(cluster):
    """The device that comes back from a service reset has new netdevs, at
    their default MTU (the VF emulates the PCI rescan): the PMD applies the
    port's MTU again before it rebuilds the queues, and ethdev's MTU stays
    what the kernel netdev has."""
    p = cluster.primary(app_args="--queues 1 --rate 2000 --status-ms 100 --events")
    assert p.command("mtu 2000")["ret"] == 0
    assert _netdev_mtu(cluster) == 2000
    with cluster.telemetry() as tel:
        mark = p.mark()
        sim_reset(tel, 50)
        wait_events(p, ["ERR_RECOVERING", "RECOVERY_SUCCESS"], 10, start=mark)
        assert mana_info(tel)["state"] == "active"
    assert _netdev_mtu(cluster) == 2000
    wait_rx_after(p, [0], p.mark(), 500, 10, "traffic after the reset")
    final = p.stop()    # what was in flight at the reset is lost; nothing else
    assert final["exit"] == 0 and final["totals"]["bad"] == 0, final


def test_rss_update_needs_a_stopped_port(cluster):
    """The indirection table is built with the RSS QP: RSS changes on a
    started port are refused (-EBUSY) and the types in force stay; on a
    stopped port they are taken and the next start uses them."""
    p = cluster.primary(app_args="--queues 2 --own 0-1 --rate 2000 --status-ms 100")
    p.wait_status(lambda s: all(q["rx"] > 200 for q in s["queues"].values()), 10, "traffic")
    before = p.command("rss_hf ipv4,udp4")
    ans = p.command("rss_hf ipv4,udp4,tcp4")
    assert ans["ret"] == -errno.EBUSY and ans["rss_hf"] == before["rss_hf"], (before, ans)
    assert p.command("port_stop")["ret"] == 0
    ans = p.command("rss_hf ipv4,udp4,tcp4")
    assert ans["ret"] == 0 and ans["rss_hf"] != before["rss_hf"], ans
    assert p.command("port_start")["ret"] == 0
    wait_rx_after(p, [0, 1], p.mark(), 1000, 10, "traffic after the restart")
    final = p.stop()
    assert final["totals"]["wrong_queue"] == 0 and final["totals"]["bad"] == 0, final


def test_refused_rss_update_leaves_nothing(cluster):
    """Issue 9, item 5: a refused control op keeps nothing of its request.
    An all-zero key refused on a started port (-EBUSY) is not applied at
    the next reset either: the key in force stays and both queues keep
    their flows (a zero key would hash every flow to queue 0)."""
    p = cluster.primary(app_args="--queues 2 --own 0-1 --rate 2000 --status-ms 100")
    p.wait_status(lambda s: all(q["rx"] > 200 for q in s["queues"].values()), 10, "traffic")
    before = p.command("rss_hf ipv4,udp4")
    ans = p.command("rss_hf ipv4 zero_key")
    assert ans["ret"] == -errno.EBUSY, ans
    assert (ans["rss_hf"], ans["rss_key"]) == (before["rss_hf"], before["rss_key"]), \
        (before, ans)
    assert set(before["rss_key"]) != {"0"}, before
    with cluster.telemetry() as tel:
        sim_reset(tel, 50)
        wait_until(lambda: mana_info(tel)["resets_succeeded"] == 1, 10, "the reset")
    wait_rx_after(p, [0, 1], p.mark(), 500, 10, "traffic on both queues after the reset")
    after = p.command("rss_hf ipv4,udp4")
    assert after["ret"] == -errno.EBUSY and after["rss_key"] == before["rss_key"], after
    final = p.stop()
    assert final["totals"]["wrong_queue"] == 0 and final["totals"]["bad"] == 0, final


@pytest.mark.parametrize("verb", ["create_cq", "create_qp", "create_wq",
                                  "create_rwq_ind_table", "create_rss_qp"])
def test_start_refused_half_way(cluster, verb):
    """The device refuses one command of a port start (MANA_SIM fail_verb:
    the hardware's EPROTO): the start fails with it, every verbs object it
    had created is destroyed (the VF's object count is back to that of the
    stopped port) and every mbuf is back in its pool; the next start works
    and traffic flows."""
    p = cluster.primary(app_args="--queues 2 --own 0-1 --rate 2000 --status-ms 100")
    p.wait_status(lambda s: all(q["rx"] > 200 for q in s["queues"].values()), 10, "traffic")
    with cluster.telemetry() as tel:
        p.command("pause")
        assert p.command("port_stop")["ret"] == 0
        stopped = sim_info(tel)
        tel_ok(tel, "/mana_sim/fail_verb", f"{BDF},{verb},1")
        assert p.command("port_start")["ret"] == -errno.EPROTO
        failed = sim_info(tel)
        assert failed["verbs_failed"] == stopped["verbs_failed"] + 1, failed
        assert failed["objects"] == stopped["objects"], (stopped, failed)
        assert_pools_full(p.command("mempools")["mempools"], "after the refused start")
        assert p.command("port_start")["ret"] == 0
        assert sim_info(tel)["objects"] > stopped["objects"]
    assert p.command("resume")["ret"] == 0
    wait_rx_after(p, [0, 1], p.mark(), 1000, 10, "traffic after the second start")
    final = p.stop()
    assert final["totals"]["bad"] == 0 and final["totals"]["wrong_queue"] == 0, final


@pytest.mark.parametrize("verb,retries,outcome", [("query_device", 5, "RECOVERY_SUCCESS"),
                                                   ("alloc_pd", 5, "RECOVERY_SUCCESS"),
                                                   ("alloc_pd", 0, "RECOVERY_FAILED"),
                                                   ("create_qp", 0, "RECOVERY_FAILED")])
def test_reset_refused_by_the_new_instance(cluster, verb, retries, outcome):
    """The device that comes back after a service reset refuses one command
    (MANA_SIM fail_verb, armed before the reset). In the wait for the device
    (query_device, part of each open attempt) that is one more failed
    attempt and the recovery succeeds with the next; in the reopen or the
    rebuild (alloc_pd, create_qp) the device is there but refuses the port:
    the recovery is retried (max_reset_retries) and succeeds, or, with no
    retry allowed, fails in every process (RECOVERY_FAILED), the port stays
    failed, and every process can still stop and exit cleanly."""
    procs = start_procs(cluster, n_secs=1, devargs=f"max_reset_retries={retries}")
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        tel_ok(tel, "/mana_sim/fail_verb", f"{BDF},{verb},1")
        sim_reset(tel, 50)
        for p, _ in procs:
            wait_events(p, ["ERR_RECOVERING", outcome], 10, start=marks[p.name])
        info = mana_info(tel)
        if outcome == "RECOVERY_FAILED":
            assert info["state"] == "failed" and info["last_error"] == -errno.EPROTO, info
            assert info["reset_retries"] == 0, info
        else:
            assert info["state"] == "active" and info["resets_succeeded"] == 1, info
            assert info["reset_retries"] == (1 if verb != "query_device" else 0), info
        assert sim_info(tel)["verbs_failed"] == 1
    finals = stop_all(procs)
    assert all(f["exit"] == 0 for f in finals.values()), finals
