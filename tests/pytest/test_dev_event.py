# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""A hot-remove recognised through EAL's device event monitor: the software
VF sends the kernel's "remove" uevent (sim/vf/vf_uevent.c), EAL's monitor
reads it (lib/eal/linux/eal_dev.c) when the application started it (the
test app's --dev-event-monitor, testpmd's --hot-plug), and the PMD's device
event callback ends a running recovery at once, or starts the removed
handling when none runs. Without the monitor the PCI function leaving sysfs
is still found, at the next poll of the device. doc/protocol.rst "Failure
policy", doc/guides/nics/mana.rst "Hot-remove"."""

import errno
import time

from conftest import (BDF, SANITIZE, event_types, mana_info, sim_info, sim_reset, start_procs,
                      stop_all, tel_ok, wait_events, wait_phase, wait_until)

FAILED = ["ERR_RECOVERING", "RECOVERY_FAILED", "INTR_RMV"]
# From the remove command to every process's INTR_RMV, with the monitor.
MONITOR_BOUND_S = 0.2 * (3 if SANITIZE else 1)
POLL_MS = 1000            # recovery_poll_ms: the longest wait between two looks


def device_lists(tel):
    return sim_info(tel)["device_lists"]


def at_poll_interval(tel, n0):
    """The reset's wait for the device polls every POLL_MS now (its delay has
    doubled from 1 ms past the cap: at least 11 looks since @n0), and one
    look has just happened: the next one is about POLL_MS away."""
    wait_until(lambda: device_lists(tel) >= n0 + 12, 10, "the poll delay reaching its cap")
    n1 = device_lists(tel)
    wait_until(lambda: device_lists(tel) > n1, 3, "a look for the device", period=0.002)


def remove_during_wait(cluster, monitor):
    """A service reset whose device stays away 60 s; while the reset waits
    for it, polling every POLL_MS, the PCI function is hot-removed just after
    a look. Returns (procs, seconds from the remove to each process's
    INTR_RMV, info)."""
    procs = start_procs(cluster, devargs=f"recovery_timeout_ms=60000,recovery_poll_ms={POLL_MS}",
                        extra="--dev-event-monitor" if monitor else "")
    with cluster.telemetry() as tel:
        marks = {p.name: p.mark() for p, _ in procs}
        sim_reset(tel, 60000)
        for p, _ in procs:
            wait_events(p, FAILED[:1], 10, marks[p.name])
        wait_phase(tel, "wait_hw")
        at_poll_interval(tel, device_lists(tel))
        t0 = time.monotonic()
        tel_ok(tel, "/mana_sim/remove", BDF)
        late = {}
        for p, _ in procs:
            ev = wait_events(p, FAILED, 10, marks[p.name])
            late[p.name] = ev[2]["mono"] - t0
        info = mana_info(tel)
    return procs, marks, late, info


def check_removed_once(procs, marks, info):
    assert info["state"] == "failed" and info["removals"] == 1, info
    assert info["resets_failed"] == 1 and info["last_error"] == -errno.ENODEV, info
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0, finals[q]
        assert event_types(p, marks[p.name]) == FAILED, (p.name, event_types(p))


def test_monitor_remove_during_reset(cluster):
    """With the device event monitor, a hot-remove during the wait for the
    device ends the recovery at once: RECOVERY_FAILED then INTR_RMV, once,
    in every process within MONITOR_BOUND_S of the removal (not at the next
    look for the device, POLL_MS later); every process's monitor saw it."""
    procs, marks, late, info = remove_during_wait(cluster, monitor=True)
    for p, _ in procs:
        assert late[p.name] < MONITOR_BOUND_S, (late, p.describe())
        d = p.wait_ev("dev_event", 5, marks[p.name], type="remove")
        assert d["device"] == BDF, d
    check_removed_once(procs, marks, info)


def test_no_monitor_remove_during_reset(cluster):
    """Without the monitor the same removal is found by the next look at
    sysfs, up to POLL_MS later; the outcome is the same."""
    procs, marks, late, info = remove_during_wait(cluster, monitor=False)
    for p, _ in procs:
        assert POLL_MS / 2000 < late[p.name] < POLL_MS / 1000 + 2, late
        assert not p.events("dev_event"), p.describe()
    check_removed_once(procs, marks, info)


def test_monitor_remove_no_reset(cluster):
    """No reset running, and the device's own fatal event is 1.5 s late (the
    kernel's uevent comes first): the monitor's removal starts the removed
    handling at once, INTR_RMV in every process within MONITOR_BOUND_S; the
    late fatal event changes nothing (the recovery's teardown closed the
    context it was due on): one recovery, INTR_RMV exactly once."""
    delay_ms = 1500
    procs = start_procs(cluster, extra="--dev-event-monitor")
    pri = procs[0][0]
    with cluster.telemetry() as tel:
        marks = {p.name: p.mark() for p, _ in procs}
        tel_ok(tel, "/mana_sim/event_delay", f"{BDF},{delay_ms}")
        t0 = time.monotonic()
        tel_ok(tel, "/mana_sim/remove", BDF)
        for p, _ in procs:
            ev = wait_events(p, FAILED, 10, marks[p.name])
            assert ev[2]["mono"] - t0 < MONITOR_BOUND_S, (ev, t0, p.describe())
        info = mana_info(tel)
        # Past the time the device's fatal event was due: still nothing more.
        pri.wait_line(lambda o: o.get("ev") == "status" and
                      o["mono"] > t0 + delay_ms / 1000 + 0.2, delay_ms / 1000 + 5,
                      what="a status line after the late fatal event was due")
        assert mana_info(tel)["resets_started"] == info["resets_started"] == 1, info
    check_removed_once(procs, marks, info)


def test_no_monitor_remove_no_reset(cluster):
    """The same without the monitor: the removal is found only when the
    device's fatal event arrives, 1.5 s later; the outcome is the same."""
    delay_ms = 1500
    procs = start_procs(cluster)
    with cluster.telemetry() as tel:
        marks = {p.name: p.mark() for p, _ in procs}
        tel_ok(tel, "/mana_sim/event_delay", f"{BDF},{delay_ms}")
        t0 = time.monotonic()
        tel_ok(tel, "/mana_sim/remove", BDF)
        for p, _ in procs:
            ev = wait_events(p, FAILED, 10, marks[p.name])
            assert ev[2]["mono"] - t0 >= delay_ms / 1000 * 0.95, (ev, t0)
        info = mana_info(tel)
    check_removed_once(procs, marks, info)
