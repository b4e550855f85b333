# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""A primary that exits through rte_eal_cleanup() with its port still open,
while a secondary runs: EAL removes the port, which the driver turns into
stop + close. How the secondary hears of it depends on the EAL release:

- DPDK 24.11.0 closes the rte_mp channel before it removes devices
  (lib/eal/linux/eal.c, rte_eal_cleanup(): rte_mp_channel_cleanup(), then
  eal_bus_cleanup()). The close cannot broadcast: it must not wait for
  answers that cannot come (ack_timeout_ms per round), the secondary learns
  from the port's state word in shared memory (bursts return 0), and the
  primary leaves it the port's memory instead of freeing it under it.
- DPDK 22.11.11 (Debian 12) and 25.11.0 remove devices first: the close
  broadcasts as usual and the secondary releases the port (its calls then
  return -ENODEV).

Either way the primary exits promptly and 0, and the secondary keeps
running, stops and exits 0."""

import errno
import time

from conftest import DPDK, mana_procs, scaled

ACK_TIMEOUT_MS = 3000    # what a close waiting on a closed channel would cost, per round

# rte_eal_cleanup() of these EAL releases closes rte_mp before removing
# devices (True) or after (False), read in each tag's lib/eal/linux/eal.c:
# the test fails if the driver did not take the matching path. With another
# DPDK the path the driver logged is taken as given; both are then checked.
MP_CLOSED_BEFORE_REMOVE = {"22.11.11": False, "24.11.0": True, "25.11.0": False}


def test_primary_cleanup_removes_open_port(cluster):
    pri = cluster.primary(devargs=f"ack_timeout_ms={ACK_TIMEOUT_MS}",
                          app_args="--queues 2 --own 0 --status-ms 100 --leave-open "
                                   "--stop-port never --drain-ms 50")
    sec = cluster.secondary(1, "--own 1 --status-ms 50")
    sec.wait_status(lambda s: s["queues"]["1"]["rx"] > 1000, timeout=10, what="traffic")

    t0 = time.monotonic()
    final = pri.stop()          # final report, then rte_eal_cleanup() with the port open
    took = time.monotonic() - t0
    assert final["port_stopped"] is False
    assert took < scaled(ACK_TIMEOUT_MS / 1000.0), \
        f"the primary took {took:.2f}s to exit: it waited for answers\n{pri.describe()}"
    closed = "rte_mp is closed" in pri.stderr_text()
    expected = MP_CLOSED_BEFORE_REMOVE.get(DPDK.get("version"), closed)
    assert closed == expected, pri.describe()

    # The secondary's data path stops, and it lives on.
    rx = sec.wait_status(lambda s: True, timeout=5)["queues"]["1"]["rx"]
    later = sec.wait_status(lambda s: s["t"] > 0, timeout=5, start=sec.mark())
    sec.wait_status(lambda s: s["t"] > later["t"] + 0.3, timeout=5)
    assert sec.last("status")["queues"]["1"]["rx"] <= rx + 64, sec.describe()
    assert sec.alive()
    if closed:
        # Not told: the port is CLOSED as far as shared memory says.
        assert sec.command("state")["state"] == "closed", sec.describe()
    else:
        # Told by PORT_CLOSED: the port is released in the secondary.
        assert sec.command("ring 0")["ret"] == -errno.ENODEV
    final = sec.stop()
    assert final["exit"] == 0


def test_secondary_cleanup_removes_open_port(cluster):
    """A secondary that exits through rte_eal_cleanup() with its port open:
    EAL removes the port there too, which detaches it from the primary. Where
    rte_mp is already closed (24.11.0) the DETACH request cannot be sent and
    fails at once; the primary then finds the process dead at its next round
    and releases it without waiting. Either way the secondary exits promptly
    and 0, and the primary's next start neither waits for it nor keeps it."""
    pri = cluster.primary(devargs=f"ack_timeout_ms={ACK_TIMEOUT_MS}",
                          app_args="--queues 2 --own 0 --status-ms 100")
    sec = cluster.secondary(1, "--own 1 --status-ms 50 --leave-open --drain-ms 50")
    sec.wait_status(lambda s: s["queues"]["1"]["rx"] > 1000, timeout=10, what="traffic")
    t0 = time.monotonic()
    final = sec.stop()
    assert time.monotonic() - t0 < scaled(ACK_TIMEOUT_MS / 1000.0), sec.describe()
    assert final["exit"] == 0

    assert pri.command("port_stop")["ret"] == 0
    t0 = time.monotonic()
    assert pri.command("port_start", timeout=15)["ret"] == 0
    assert time.monotonic() - t0 < scaled(ACK_TIMEOUT_MS / 1000.0), pri.describe()
    with cluster.telemetry() as tel:
        procs = mana_procs(tel)
    assert sec.pid not in procs or procs[sec.pid]["state"] != "attached", procs
    pri.wait_status(lambda s: s["queues"]["0"]["rx"] > 0, timeout=10, what="traffic again")
    pri.stop()
