# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Foundation: doorbell revocation is real (a revoked mapping faults, or
lands on a dummy page) and happens when the kernel does it; a doorbell the
software VF recovers after another queue's ring overwrote it announces only
WQEs their driver has finished."""

import errno
import re
import signal
import time

from conftest import (REPO, Gdb, assert_clean_final, needs_gdb, queue_rx, sim_info, sim_reset,
                      wait_until)


def _traffic(p, n=1000):
    """Wait until @p has received @n packets (by command: no status timer)."""
    return p.poll_command("flows", lambda a: a["totals"]["received"] >= n, timeout=10,
                          what=f"{n} packets received")


def _rogue_setup(cluster, doorbell):
    """Primary + a secondary that keeps its doorbell mapping against the
    protocol (--keep-doorbell) + a well-behaved one, on a VF whose service
    resets last 1 s and whose dead mappings behave per @doorbell."""
    cluster.set_sim(extra=[f"doorbell={doorbell}", "down_ms=1000"])
    pri = cluster.primary(app_args="--queues 4 --own 0 --status-ms 100 --events")
    rogue = cluster.secondary(1, "--own 1 --keep-doorbell --status-ms 0")
    good = cluster.secondary(2, "--own 2 --status-ms 0 --events")
    for p in (rogue, good):
        _traffic(p)
    # Control: ringing a live doorbell is harmless.
    for p in (rogue, good):
        assert p.command("ring 0")["ret"] == 0
        assert p.command("state")["mapped"] >= 1
    assert rogue.alive() and good.alive()
    return pri, rogue, good


def _reset_and_wait_closed(cluster, pri):
    """Reset the VF; returns once the primary has closed its dead context
    (the reset protocol does so after every process left the doorbell),
    i.e. the VF has no open context while the device is away."""
    mark = pri.mark()
    with cluster.telemetry() as tel:
        sim_reset(tel, 0)
        pri.wait_ev("event", 5, mark, type="ERR_RECOVERING")
        wait_until(lambda: sim_info(tel)["open_contexts"] == 0, 5,
                   "the primary closing the dead context")


def test_doorbell_revoked_by_reset(cluster):
    """c. strict mode (the test default): once the primary has let the dead
    context go in a service reset, a secondary that kept the old doorbell
    mapping dies with SIGBUS when it rings; the well-behaved one recovers."""
    pri, rogue, good = _rogue_setup(cluster, "strict")
    _reset_and_wait_closed(cluster, pri)
    mark = rogue.mark()
    rogue.send("ring 0")
    rc = rogue.wait_exit(10)
    assert rc == -signal.SIGBUS, f"rogue secondary exited {rc}\n{rogue.describe()}"
    assert not [o for o in rogue.lines[mark:] if o.get("ev") == "cmd"]
    # The reset carries on without the dead one.
    for p in (pri, good):
        p.wait_ev("event", 15, type="RECOVERY_SUCCESS")
    _traffic(good, good.command("flows")["totals"]["received"] + 1000)


def test_doorbell_dummy_page_after_reset(cluster):
    """realistic mode, as the kernel does it (uverbs_main.c: a zapped
    writable mapping faults in a zeroed dummy page for as long as a mapping
    holds the uverbs file): the rogue secondary's ring lands nowhere and the
    rogue survives."""
    pri, rogue, good = _rogue_setup(cluster, "realistic")
    _reset_and_wait_closed(cluster, pri)
    assert rogue.command("ring 0")["ret"] == 0
    assert rogue.command("ring 0")["ret"] == 0
    assert rogue.alive()
    for p in (pri, good):
        p.wait_ev("event", 15, type="RECOVERY_SUCCESS")


def test_doorbell_outlives_primary_close(cluster):
    """Closing a context does not revoke its mappings: each one holds the
    uverbs file (ib core rdma_core.c), so a secondary that kept the mapping
    after the primary closed the port rings harmlessly, and the
    well-behaved secondary has released the port (-ENODEV)."""
    pri = cluster.primary(app_args="--queues 4 --own 0 --status-ms 100")
    rogue = cluster.secondary(1, "--own 1 --keep-doorbell --status-ms 0")
    good = cluster.secondary(2, "--own 2 --status-ms 0")
    for p in (rogue, good):
        _traffic(p)
    ans = pri.command("port_close", timeout=15)
    assert ans["ret"] == 0, ans
    assert good.command("ring 0")["ret"] == -errno.ENODEV
    assert rogue.command("ring 0")["ret"] == 0
    assert rogue.alive() and good.alive()
    pfinal = pri.stop()
    assert pfinal["stats"] is None        # closed before the report


def test_secondary_survives_primary_close(cluster):
    """A secondary whose primary closes the port sees the port as closed
    (state query fails cleanly) and can still stop and exit 0."""
    pri = cluster.primary(app_args="--queues 2 --own 0 --status-ms 100")
    sec = cluster.secondary(1, "--own 1 --status-ms 50")
    sec.wait_status(lambda s: s["queues"]["1"]["rx"] > 1000, timeout=10, what="traffic")
    assert pri.command("port_close", timeout=15)["ret"] == 0
    st = sec.command("state")
    assert st["ret"] != 0 or st["state"] == "closed", st
    sec.wait_status(lambda s: True, timeout=5, what="a status line after the close")
    final = sec.stop()
    assert final["exit"] == 0
    pri.stop()


def _gdb_uint(gdb, expr):
    """@expr, an unsigned integer, evaluated by gdb in its selected frame."""
    tag = f"VAL{time.monotonic_ns()}"
    m = gdb.mark()
    gdb.cmd(f'printf "{tag}=%lu\\n", (unsigned long)({expr})')
    found = re.search(rf"{tag}=(\d+)", gdb.sync(start=m))
    assert found, f"gdb cannot evaluate {expr} (see the gdb log)"
    return int(found.group(1))


def _tx(status, q):
    return status.get("queues", {}).get(str(q), {}).get("tx", 0)


@needs_gdb
def test_overwritten_doorbell_waits_for_writer(cluster, tmp_path):
    """The VF takes WQEs posted beyond a queue's announced tail once a ring
    of another queue overwrote the slot (doc/guides/nics/mana.rst "Doorbells
    on a page of memory") - only finished ones. The primary's Tx thread is
    held (gdb non-stop) where it stores a WQE's short OOB
    (mana_tx_oob_store(): header and SGEs written, the OOB not), and OOB
    dword 0 (CQ number) is written for it: the WQE is left as a writer that
    stores the OOB in two parts leaves it when descheduled between them
    (this PMD stores it whole; the VF must not depend on how a driver
    writes), while a secondary sends 2000 packets, its bursts ringing the
    same slot. Run then, the WQE fails as an invalid OOB: its packet lost
    and oerrors 1 (CI's test_multiseg_tx[secondary-7-200] on DPDK 24.11,
    before the PMD stored the OOB whole). The VF must leave it until its
    writer has finished and rung: nothing lost."""
    pri = cluster.primary(app_args="--queues 2 --own 0 --status-ms 100")
    pri.wait_status(lambda s: queue_rx(s, 0) >= 2000, 10, "the primary's traffic")
    gdb = Gdb(pri.pid, tmp_path)        # (closes itself if it fails to attach)
    try:
        gdb.run_all()
        sec = cluster.secondary(1, "--own 1 --segs 7 --size 200 --flows 3 --status-ms 100")
        sec.wait_status(lambda s: queue_rx(s, 1) >= 2000, 10, "the secondary's traffic")
        with cluster.telemetry() as tel:
            errors0 = sim_info(tel)["tx_errors"]
            m = gdb.mark()
            gdb.cmd("break mana_tx_oob_store")
            out = gdb.expect("hit Breakpoint 1", 10, m)
            thread = re.findall(r'Thread (\d+) "[^"]*" hit Breakpoint 1', out)
            assert thread, out[-2000:]
            gdb.cmd(f"thread {thread[0]}")
            gdb.cmd("delete")
            # The WQE being written starts at the SQ's head (moved once it is posted).
            # (The burst's own variables are optimized out; the primary owns queue 0.
            # rte_eth_devices cast: a DPDK without debug information gives no type.)
            txq = ("((struct mana_txq *)((struct rte_eth_dev *)&rte_eth_devices)[0]"
                   ".data->tx_queues[0])")
            oob = _gdb_uint(gdb, f"{txq}->sq.buf + (({txq}->sq.head * 32) & "
                                 f"({txq}->sq.size - 1)) + 8")
            # Header written (this WQE is the one being posted), OOB not yet.
            assert _gdb_uint(gdb, f"*(unsigned long *){oob - 8}") != 0, "no WQE header"
            assert _gdb_uint(gdb, f"*(unsigned long *){oob}") == 0, "OOB already stored"
            dword0 = _gdb_uint(gdb, f"(unsigned int){txq}->tx_oob")
            assert dword0 >> 8 != 0, hex(dword0)
            gdb.cmd(f"set {{unsigned int}}{oob} = {dword0}")
            gdb.sync()
            base = _tx(sec.last("status"), 1)
            sec.wait_status(lambda s: _tx(s, 1) >= base + 2000, 10,
                            "the secondary ringing while the primary's WQE is half written")
            errors_held = sim_info(tel)["tx_errors"] - errors0
            gdb.cmd("continue -a &")
            gdb.sync()
    finally:
        gdb.close()
    assert errors_held == 0, \
        "the VF ran a WQE its writer had not finished (an invalid OOB: one packet lost)"
    base = queue_rx(pri.last("status"), 0)
    pri.wait_status(lambda s: queue_rx(s, 0) >= base + 2000, 10, "the primary's traffic again")
    with cluster.telemetry() as tel:
        assert sim_info(tel)["tx_errors"] == errors0
    final = sec.stop()
    pfinal = pri.stop()
    assert_clean_final(final)
    assert_clean_final(pfinal)
    assert pfinal["stats"]["oerrors"] == 0, pfinal["stats"]
