# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""net_mana_mpr on the software MANA VF as on Azure: PCI probe, ports and
mac=, the kernel netdev holding a vport, queue counts, Rx CQE coalescing,
VLAN, a wire between two ports, the RC device during a reset.

The VF of these tests is one PCI function with two ports (conftest SIM_FN);
port 1's kernel netdev is up unless a test says up1=0."""

import errno
import re
import signal

import pytest

from conftest import (BDF, MAC1, MAC2, OK_PAIR, SANITIZE, SIM_ROOT, assert_clean_final,
                      mana_procs, marks_of, recovered, sim_info, sim_reset, start_procs, stock_tool,
                      stop_all, tel_ok, wait_rx_after, wait_until)

TESTPMD = stock_tool("dpdk-testpmd")
needs_testpmd = pytest.mark.skipif(SANITIZE, reason="a sanitizer-built PMD cannot load into "
                                   "the stock (uninstrumented) testpmd")


def tp_argv(prefix, lcores, device, secondary=False, app_args=()):
    assert TESTPMD is not None, "dpdk-testpmd of this build's DPDK is missing"
    argv = ["stdbuf", "-oL", TESTPMD, f"--lcores={lcores}", "-a", device,
            f"--file-prefix={prefix}", "-d", "librte_net_mana_mpr.so"]
    if secondary:
        argv.append("--proc-type=secondary")
    return argv + ["--", *app_args]


def port_rx(tel, port):
    return tel.cmd("/ethdev/stats", str(port))["ipackets"]


# -- ports and mac= -------------------------------------------------------------

@pytest.mark.parametrize("mac,port", [(MAC1, 1), (MAC2, 2)])
def test_mac_selects_the_port(cluster, mac, port):
    """mac= picks the port with that MAC; the ethdev is named as upstream
    names it (<pci>_port<N>) and carries that MAC."""
    cluster.set_sim(fn="up1=0")
    p = cluster.primary(device=f"{BDF},mac={mac}",
                        app_args="--queues 1 --rate 1000 --status-ms 50")
    ready = p.wait_ready()
    p.wait_status(lambda s: s["queues"]["0"]["rx"] > 100, 10, "traffic")
    assert ready["name"] == f"{BDF}_port{port}", ready
    with cluster.telemetry() as tel:
        ports = tel.cmd("/ethdev/list")
        assert ports == [0], ports
        info = tel.cmd("/ethdev/info", "0")
        assert info["name"] == f"{BDF}_port{port}", info
        assert info["mac_addr"].lower() == mac, info
    final = p.stop()
    assert_clean_final(final)


def test_all_ports_without_mac(cluster):
    """Without mac= every port of the function is probed: two ethdevs."""
    cluster.set_sim(fn="up1=0")
    p = cluster.primary(device=BDF, app_args="--queues 1 --rate 1000")
    with cluster.telemetry() as tel:
        names = sorted(tel.cmd("/ethdev/info", str(i))["name"] for i in tel.cmd("/ethdev/list"))
    assert names == [f"{BDF}_port1", f"{BDF}_port2"], names
    p.stop()


def test_port_held_by_the_kernel_netdev(cluster):
    """Port 1's kernel netdev (eth0) is up and holds the vport: starting that
    port fails with a message that says to bring eth0 down (mana_ib returns
    ENODEV; the PMD explains it). The other port is unaffected; and while
    DPDK holds port 2, `ip link set eth1 up` is refused (EBUSY)."""
    p = cluster.primary(device=f"{BDF},mac={MAC1}", app_args="--queues 1", wait_ready=False)
    assert p.wait_exit(20) == 2, p.describe()
    err = p.stderr_text()
    assert re.search(r"eth0.*(down|ip link set)", err), err[-3000:]

    q = cluster.primary(name="port2", app_args="--queues 1 --rate 1000 --status-ms 50")
    q.wait_status(lambda s: s["queues"]["0"]["rx"] > 100, 10, "traffic on port 2")
    with cluster.telemetry() as tel:
        ans = tel.cmd("/mana_sim/netdev", "eth1,up")
        assert ans["result"] == -errno.EBUSY, ans
        tel_ok(tel, "/mana_sim/netdev", "eth1,down")
    final = q.stop()
    assert_clean_final(final)


# -- queue counts ---------------------------------------------------------------

@pytest.mark.parametrize("queues", [3, 5, 6])
def test_queue_count_refused(cluster, queues):
    """The MANA indirection table takes each WQ once: the PMD refuses a
    queue count that is not a power of two at configure, saying why."""
    p = cluster.primary(app_args=f"--queues {queues}", wait_ready=False)
    assert p.wait_exit(20) == 2, p.describe()
    assert re.search(r"power of two", p.stderr_text()), p.stderr_text()[-2000:]


@pytest.mark.parametrize("queues", [1, 2, 4, 8])
def test_queue_count_accepted(cluster, queues):
    """1, 2, 4 and 8 queues start and carry traffic on every queue."""
    own = f"0-{queues - 1}" if queues > 1 else "0"
    p = cluster.primary(app_args=f"--queues {queues} --own {own} --rate 5000 --status-ms 100")
    p.wait_status(lambda s: all(q["rx"] > 500 for q in s["queues"].values()), 15,
                  "traffic on every queue")
    if queues == 1:
        # One queue of each type: no doorbell can be overwritten, none recovered.
        with cluster.telemetry() as tel:
            sim = sim_info(tel)
        assert sim["doorbells"] > 100 and sim["doorbells_recovered"] == 0, sim
    assert_clean_final(p.stop())


# -- data path --------------------------------------------------------------------

def test_coalesced_cqes_under_load(cluster):
    """Under load (Tx bursts of 32, 50 kpps per queue) the VF completes up
    to four packets per Rx CQE, as mana_ib configures it; receiving one
    packet per burst, the PMD still delivers every packet once and in order
    (its backlog carries a CQE's packets across bursts)."""
    p = cluster.primary(app_args="--queues 2 --own 0-1 --rate 50000 --burst 32 --rx-burst 1 "
                        "--flows 4 --status-ms 100")
    p.wait_status(lambda s: all(q["rx"] > 100000 for q in s["queues"].values()), 30,
                  "load on both queues")
    with cluster.telemetry() as tel:
        sim = sim_info(tel)
    final = p.stop()
    assert_clean_final(final)       # no loss, no duplicate, no reordering
    assert sim["rx_coalesced"] > 0 and sim["rx_cqes"] < sim["rx_packets"], sim


@pytest.mark.parametrize("strip", [False, True], ids=["reinserted", "stripped"])
def test_vlan_traffic(cluster, strip):
    """VLAN-tagged traffic: the PMD inserts the tag on Tx (long OOB), the VF
    strips it into the Rx completion as the hardware always does, and the
    PMD hands it over as requested: in the mbuf with VLAN_STRIP, re-inserted
    in the frame without. Every packet carries VLAN 42."""
    vlan = "--vlan 42" + (" --vlan-strip" if strip else "")
    p = cluster.primary(app_args=f"--queues 1 --rate 5000 --status-ms 100 {vlan}")
    p.wait_status(lambda s: s["queues"]["0"]["rx"] > 2000, 15, "tagged traffic")
    with cluster.telemetry() as tel:
        sim = sim_info(tel)
    final = p.stop()
    assert_clean_final(final)
    t = final["totals"]
    assert t["vlan_bad"] == 0, t
    if strip:
        assert t["vlan_stripped"] == t["received"] and t["vlan_in_packet"] == 0, t
    else:
        assert t["vlan_in_packet"] == t["received"] and t["vlan_stripped"] == 0, t
    assert sim["rx_vlan_stripped"] >= 2000, sim      # all of them, by the time of the query


# -- two ports: a wire, one process and several ----------------------------------

WIRE = f"wire={BDF}/1-{BDF}/2"


def _stats_period_rx(proc, port):
    vals = [int(m.group(1)) for ln in proc.raw
            for m in [re.search(rf"Port {port}.*?RX-packets:\s+(\d+)", ln)] if m]
    return max(vals, default=0)


@needs_testpmd
def test_wire_two_ports_one_process(cluster):
    """testpmd forwards between the two ports of the function (io mode,
    --tx-first): what leaves one port arrives at the other over the wire."""
    cluster.set_sim(fn="up1=0", extra=[WIRE])
    tp = cluster.spawn("testpmd", tp_argv(cluster.prefix, "0@0,1@1", BDF, app_args=[
        "--forward-mode=io", "--nb-cores=1", "--auto-start", "--tx-first"]))
    with cluster.telemetry() as tel:
        wait_until(lambda: len(tel.cmd("/ethdev/list") or []) == 2, 20, "two ports")
        wait_until(lambda: port_rx(tel, 0) > 10000 and port_rx(tel, 1) > 10000, 20,
                   "traffic received on both ports")
        sim = sim_info(tel)
    assert sim["tx_wire_drop"] == 0, sim
    tp.signal(signal.SIGINT)
    assert tp.wait_exit(20) == 0, tp.describe()


@needs_testpmd
def test_wire_two_ports_two_processes(cluster):
    """testpmd's multi-process mode on both ports over the wire: the
    secondary forwards queue 1 of each port, the primary queue 0."""
    cluster.set_sim(fn="up1=0", extra=[WIRE])
    args = ["--forward-mode=io", "--nb-cores=1", "--auto-start", "--tx-first", "--rxq=2",
            "--txq=2", "--num-procs=2"]
    pri = cluster.spawn("testpmd-primary", tp_argv(
        cluster.prefix, "0@0,1@1", BDF, app_args=args + ["--proc-id=0"]))
    with cluster.telemetry() as tel:
        wait_until(lambda: len(tel.cmd("/ethdev/list") or []) == 2, 20, "two ports")
        sec = cluster.spawn("testpmd-secondary", tp_argv(
            cluster.prefix, "2@0,3@1", BDF, secondary=True, app_args=args + ["--proc-id=1"]))

        def q1(port):
            return tel.cmd("/ethdev/xstats", str(port)).get("rx_q1_packets", 0)
        wait_until(lambda: q1(0) > 5000 and q1(1) > 5000, 30,
                   "the secondary's queue 1 receiving on both ports")
    sec.signal(signal.SIGINT)
    assert sec.wait_exit(20) == 0, sec.describe()
    pri.signal(signal.SIGINT)
    assert pri.wait_exit(20) == 0, pri.describe()


# -- the RC device during a reset -------------------------------------------------

def test_reset_rc_device_back_first(cluster):
    """After a service reset the RC device (mana_0) registers 300 ms before
    the RAW one (manae_0): the PMD's reopen must not take the RC device, and
    recovers once the RAW device is back (the test first sees the RC device
    listed alone in the VF's sysfs)."""
    cluster.set_sim(fn="rc_lead_ms=300", extra=["down_ms=600"])
    procs = start_procs(cluster, n_secs=1)
    ib = SIM_ROOT / cluster.prefix / "sys" / "class" / "infiniband"
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        sim_reset(tel, 0)
        wait_until(lambda: sorted(p.name for p in ib.iterdir()) == ["mana_0"], 5,
                   "the RC device listed without the RAW one")
        recovered(procs, marks, events=OK_PAIR)
        assert sorted(p.name for p in ib.iterdir()) == ["mana_0", "manae_0"]
        sim = sim_info(tel)
        assert sim["resets"] == 1 and sim["state"] == "up", sim
    for q, final in stop_all(procs).items():
        assert final["exit"] == 0, final
    # No open of the RC device, no failed queue creation on it.
    for p, _ in procs:
        err = p.stderr_text()
        assert "mana_0" not in err and "not supported" not in err.lower(), err[-3000:]


def test_secondary_numbering_mempool_drivers_differently(cluster):
    """Issue 9, item 7: a secondary whose mempool drivers have other indices
    than the primary's (another binary: here one that registers a driver of
    its own before rte_eal_init) is refused at attach with an error naming
    the cause; the primary and a secondary built alike are unaffected."""
    pri = cluster.primary(app_args="--queues 2 --own 0 --rate 1000 --status-ms 50")
    odd = cluster.secondary(1, "--own 1 --extra-mempool-ops --status-ms 50", wait_ready=False)
    assert odd.wait_exit(20) == 2, odd.describe()
    err = odd.stderr_text()
    assert "numbers its mempool drivers differently from the primary" in err, err
    assert "mtrf_extra" in err, err
    good = cluster.secondary(2, "--own 1 --rate 1000 --status-ms 50")
    wait_rx_after(good, [1], 0, 100, 10, "traffic of the secondary built alike")
    with cluster.telemetry() as tel:
        assert set(mana_procs(tel)) == {pri.pid, good.pid}
    stop_all([(good, 1), (pri, 0)])
