# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Removing a PCI function through EAL hotplug (rte_eal_hotplug_remove(),
rte_dev_remove()) and adding it back (rte_dev_probe()), in a running
multi-process application, whatever state its ports are in.

A remove is the outcome of an orderly stop + close of every port of the
function, in every process: the other ports of the process go on, the
removed ports' reset thread, event delivery and secondaries let go of them.
A secondary's remove is carried out by EAL in the primary, which has every
secondary remove the function first (lib/eal/common/hotplug_mp.c). The
function can then be probed again, at the same PCI address or another one,
by the running primary and secondaries (EAL hotplug over rte_mp)."""

import pytest

from conftest import BDF, MAC2, SIM_FN, sim_info, tel_ok, wait_until

BDF2 = "7870:00:01.0"
MAC3 = "00:15:5d:10:00:03"
MAC4 = "00:15:5d:10:00:04"
SIM_FN2 = f"fn={BDF2},mac1={MAC3},mac2={MAC4}"
DEVICE2 = f"{BDF2},mac={MAC4}"
PORT0 = f"{BDF}_port2"
PORT1 = f"{BDF2}_port2"


def two_functions(cluster):
    """The VF with a second PCI function; the app's port 0 is on the first,
    port 1 (probed, never configured by the app) on the second."""
    cluster.sim_items = [SIM_FN, SIM_FN2]
    return ["-a", DEVICE2]


def rx_of(proc, q):
    return proc.wait_status(lambda s: True, timeout=5)["queues"][str(q)]["rx"]


def wait_more_rx(proc, q, n=500, timeout=10, what="traffic"):
    base = rx_of(proc, q)
    return proc.wait_status(lambda s: s["queues"][str(q)]["rx"] > base + n, timeout,
                            what=f"{what} on queue {q} of {proc.name}")


def stop_each(*procs):
    """Stop in this order (secondaries first); each exits 0."""
    for p in procs:
        p.stop()


def names(ans):
    return sorted(p["name"] for p in ans["ports"])


@pytest.mark.parametrize("who", ["primary", "secondary"])
def test_remove_other_function_keeps_port0(cluster, who):
    """rte_eal_hotplug_remove() of a second function whose port was never
    closed (never started) leaves port 0 running in every process: its
    traffic goes on in the primary and the secondary, and the removed port
    is gone from both."""
    extra = two_functions(cluster)
    pri = cluster.primary(app_args="--queues 2 --own 0 --status-ms 50", eal_extra=extra)
    sec = cluster.secondary(1, "--own 1 --status-ms 50", eal_extra=extra)
    wait_more_rx(pri, 0)
    wait_more_rx(sec, 1)

    proc = pri if who == "primary" else sec
    ans = proc.command(f"dev_remove {BDF2}", timeout=20)
    assert ans["ret"] == 0, proc.describe()
    assert names(ans) == [PORT0], ans

    # Port 0 is untouched in both processes.
    wait_more_rx(pri, 0, what="port 0 traffic after the remove")
    wait_more_rx(sec, 1, what="port 0 traffic after the remove")
    with cluster.telemetry() as tel:
        assert tel.cmd("/ethdev/list") == [0]
    for p in (pri, sec):
        assert p.command("state")["state"] == "active", p.describe()
    stop_each(sec, pri)


@pytest.mark.parametrize("who", ["primary", "secondary"])
def test_remove_started_port(cluster, who):
    """rte_dev_remove() of the function of the started port, from the
    primary or from a secondary (EAL has the primary carry it out): every
    process releases the port (DESTROY), the primary's reset thread and
    event delivery stop with it, no process faults; a fatal event of the
    device afterwards reaches nobody; every process exits 0."""
    pri = cluster.primary(app_args="--queues 2 --own 0 --status-ms 50 --events")
    sec1 = cluster.secondary(1, "--own 1 --status-ms 50 --events")
    sec2 = cluster.secondary(2, "--status-ms 50 --events")
    wait_more_rx(pri, 0)
    wait_more_rx(sec1, 1)

    proc = pri if who == "primary" else sec1
    ans = proc.command("dev_remove", timeout=30)
    assert ans["ret"] == 0, cluster.describe()
    assert ans["ports"] == [], ans
    for p in (pri, sec1, sec2):
        p.wait_ev("destroy", 10)
        assert p.command("port_calls")["valid"] == 0, p.describe()

    # The device dies and comes back: nothing of the port listens any more.
    with cluster.telemetry() as tel:
        before = sim_info(tel)["instance"]
        tel_ok(tel, "/mana_sim/reset", f"{BDF},50")
        wait_until(lambda: sim_info(tel)["instance"] > before, 10, "the device back")
    for p in (pri, sec1, sec2):
        assert p.alive(), p.describe()
        assert p.command("state")["ret"] != 0
        assert not [e for e in p.events("event")], p.describe()
    stop_each(sec2, sec1, pri)


def test_remove_then_probe_same_address(cluster):
    """After a remove, the running processes probe the function again
    (rte_dev_probe() in the primary: EAL has every secondary attach too),
    the primary starts the port again and both carry traffic."""
    pri = cluster.primary(app_args="--queues 2 --own 0 --status-ms 50 --events")
    sec = cluster.secondary(1, "--own 1 --status-ms 50 --events")
    wait_more_rx(pri, 0)
    wait_more_rx(sec, 1)
    assert pri.command("dev_remove", timeout=30)["ret"] == 0, cluster.describe()
    sec.wait_ev("destroy", 10)

    ans = pri.command(f"dev_probe {BDF},mac={MAC2}", timeout=30)
    assert ans["ret"] == 0, cluster.describe()
    assert names(ans) == [PORT0], ans
    assert pri.command("port_adopt", timeout=20)["ret"] == 0, pri.describe()
    assert sec.command("port_adopt", timeout=20)["ret"] == 0, sec.describe()
    wait_more_rx(pri, 0, what="traffic after the hot-add")
    wait_more_rx(sec, 1, what="traffic after the hot-add")
    stop_each(sec, pri)


@pytest.mark.parametrize("where", ["same", "other"])
def test_hot_remove_then_hot_add(cluster, where):
    """The VF is hot-removed (INTR_RMV: every process closes the port from
    its callback), the application removes the gone function from EAL, and
    the VF comes back - at the same PCI address, or at another one (the
    second function of the VF, absent until then: remove@0 in the
    schedule). The running primary probes it (EAL has the secondary attach
    too), both take the new port and carry traffic."""
    if where == "other":
        cluster.sim_items = [SIM_FN, f"{SIM_FN2},faults=remove@0"]
    bdf, device, name = (BDF, f"{BDF},mac={MAC2}", PORT0) if where == "same" else \
        (BDF2, DEVICE2, PORT1)
    pri = cluster.primary(app_args="--queues 2 --own 0 --status-ms 50 --on-failed close")
    sec = cluster.secondary(1, "--own 1 --status-ms 50 --on-failed close")
    wait_more_rx(pri, 0)
    wait_more_rx(sec, 1)

    with cluster.telemetry() as tel:
        tel_ok(tel, "/mana_sim/remove", BDF)
        for p in (pri, sec):
            closed = p.wait_ev("closed", 10)
            # The first of the events the driver sends on a removal (per DPDK version).
            assert closed["event"] in ("RECOVERY_FAILED", "INTR_RMV"), closed
            assert closed["close"] == 0, p.describe()
        ans = pri.command("dev_remove", timeout=30)
        assert ans["ret"] == 0 and ans["ports"] == [], cluster.describe()

        before = tel_ok(tel, "/mana_sim/info", bdf)
        assert before["state"] == "removed", before
        tel_ok(tel, "/mana_sim/add", bdf)
        after = tel_ok(tel, "/mana_sim/info", bdf)
        assert after["state"] == "up", after

    ans = pri.command(f"dev_probe {device}", timeout=30)
    assert ans["ret"] == 0, cluster.describe()
    assert names(ans) == [name], ans
    assert pri.command(f"port_adopt {name}", timeout=20)["ret"] == 0, pri.describe()
    assert sec.command(f"port_adopt {name}", timeout=20)["ret"] == 0, sec.describe()
    wait_more_rx(pri, 0, what="traffic after the hot-add")
    wait_more_rx(sec, 1, what="traffic after the hot-add")
    for p in (pri, sec):
        assert p.command("state")["state"] == "active", p.describe()
    stop_each(sec, pri)
