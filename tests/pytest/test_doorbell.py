# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Foundation: doorbell revocation is real (a revoked mapping faults)."""

import errno
import signal


def _traffic(p, n=1000):
    """Wait until @p has received @n packets (by command: no status timer)."""
    return p.poll_command("flows", lambda a: a["totals"]["received"] >= n, timeout=10,
                          what=f"{n} packets received")


def test_doorbell_revoked_on_close(cluster):
    """c. A secondary that keeps its doorbell mapping against the protocol
    (--keep-doorbell) dies with SIGBUS when it rings after the primary closed
    the port; a well-behaved secondary has released the port (-ENODEV).

    The secondaries run without status lines (--status-ms 0): after the
    primary has closed the port they must not call into the PMD for anything
    but the doorbell (see test_secondary_survives_primary_close)."""
    pri = cluster.primary(app_args="--queues 3 --own 0 --status-ms 100")
    rogue = cluster.secondary(1, "--own 1 --keep-doorbell --status-ms 0")
    good = cluster.secondary(2, "--own 2 --status-ms 0")
    for p in (rogue, good):
        _traffic(p)

    # Control: ringing a live doorbell is harmless.
    for p in (rogue, good):
        assert p.command("ring 0")["ret"] == 0
        assert p.command("state")["mapped"] >= 1
    assert rogue.alive() and good.alive()

    ans = pri.command("port_close", timeout=15)
    assert ans["ret"] == 0, ans
    # The well-behaved secondary dropped its mapping and released the port.
    assert good.command("ring 0")["ret"] == -errno.ENODEV
    assert good.alive()

    # The rogue one still has the old mapping: the revoked page faults.
    mark = rogue.mark()
    rogue.send("ring 0")
    rc = rogue.wait_exit(10)
    assert rc == -signal.SIGBUS, f"rogue secondary exited {rc}\n{rogue.describe()}"
    assert not [o for o in rogue.lines[mark:] if o.get("ev") == "cmd"]
    assert good.alive()

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
