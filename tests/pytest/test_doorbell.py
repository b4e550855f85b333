# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Foundation: doorbell revocation is real (a revoked mapping faults, or
lands on a dummy page) and happens when the kernel does it."""

import errno
import signal

from conftest import sim_info, sim_reset, wait_until


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
