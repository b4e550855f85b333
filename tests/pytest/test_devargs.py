# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Foundation: bad devargs fail the probe with a message naming the key."""

import re

import pytest

from conftest import BDF, RUNTIME_DIR, hugepage_files, mana_info

# Memzones DPDK itself never frees. ethdev reserves rte_eth_dev_data on the
# first rte_eth_dev_allocate(); the PMD allocates the port before the device
# model sees its own keys, so a device-key failure leaves this one behind.
DPDK_OWNED_ZONES = {"rte_eth_dev_data"}

BAD_DEVARGS = [
    # (devargs, key the error must name)
    ("ack_timeout_ms=abc", "ack_timeout_ms"),            # not a number
    ("ack_timeout_ms=", "ack_timeout_ms"),               # empty
    ("quiesce_timeout_ms=-1", "quiesce_timeout_ms"),     # negative
    ("ack_timeout_ms=5", "ack_timeout_ms"),              # below min (10)
    ("recovery_timeout_ms=600001", "recovery_timeout_ms"),  # above max
    ("max_reset_restarts=101", "max_reset_restarts"),    # above max
    ("max_reset_retries=101", "max_reset_retries"),      # above max
    ("request_timeout_ms=99999999999999999999", "request_timeout_ms"),  # overflow
    ("ack_timeout_ms=0x10", "ack_timeout_ms"),           # hex: decimal only
    ("ack_timeout_ms=+100", "ack_timeout_ms"),           # a sign
    ("ack_timeout_ms= 100", "ack_timeout_ms"),           # a blank
    ("ack_timeout_ms=100ms", "ack_timeout_ms"),          # trailing text
    ("recovery_poll_ms=4294967297", "recovery_poll_ms"),  # wraps to 1 in 32 bits
    ("recovery_poll_ms=500,recovery_timeout_ms=100", "recovery_poll_ms"),  # inconsistent
    ("bogus_key=1", "bogus_key"),                        # unknown key
    ("mac=02:00:00:00:00", "mac"),                       # malformed MAC
    ("mac=00:15:5d:10:00:09", "00:15:5D:10:00:09"),      # no port has it (as DPDK prints)
    (",".join(f"mac=00:15:5d:10:00:{i:02x}" for i in range(1, 10)), "mac"),  # 9 > 8
    ("down_ms=10", "down_ms"),                           # a VF setting, not a devarg
]


@pytest.mark.parametrize("devargs,key", BAD_DEVARGS, ids=[d for d, _ in BAD_DEVARGS])
def test_bad_devargs(cluster, devargs, key):
    """d. The primary exits non-zero, an ERR log names the key, and the
    failed probe left no hugepage memory behind."""
    p = cluster.primary(device=BDF, devargs=devargs, app_args="--queues 1", wait_ready=False)
    rc = p.wait_exit(20)
    err = p.stderr_text()
    assert rc == 2, f"exit {rc}\n{p.describe()}"
    assert not p.events("ready")
    assert p.last("error")["phase"] == "setup"
    # An error line of the PMD or the device naming the key.
    lines = [ln for ln in err.splitlines() if key in ln and "ready" not in ln]
    assert lines, f"no log line names '{key}':\n{err}"
    # Nothing left behind by the process: every allocation of the failed
    # probe was freed (mana-traffic dumps the memzones still reserved when
    # setup fails); no hugepage files unless DPDK's own zone pins one; no live
    # multi-process socket.
    zones = set(re.findall(r"^Zone \d+: name:<([^>]*)>", err, re.M))
    assert zones <= DPDK_OWNED_ZONES, f"memory left allocated by the failed probe: {zones}"
    if not zones:
        assert hugepage_files(cluster.prefix) == []
    assert not list((RUNTIME_DIR / cluster.prefix).glob("mp_socket*"))


def test_good_devargs_control(cluster):
    """Control for d: the same keys with valid values probe fine."""
    p = cluster.primary(
        devargs="ack_timeout_ms=100,quiesce_timeout_ms=50,recovery_timeout_ms=5000,"
                "recovery_poll_ms=2,request_timeout_ms=1000,max_reset_restarts=3",
        app_args="--queues 4 --own 0-3 --rate 1000")
    p.wait_status(lambda s: all(q["rx"] > 0 for q in s["queues"].values()), timeout=10,
                  what="traffic")
    final = p.stop()
    assert final["totals"]["lost"] == 0


def test_devargs_are_decimal(cluster):
    """6. Leading zeros are decimal, not octal: ack_timeout_ms=0100 is 100 ms
    (strtoul base 0 read it as 64), in force as /mana_mpr/info shows."""
    cluster.primary(devargs="ack_timeout_ms=0100,quiesce_timeout_ms=010,max_reset_restarts=08",
                    app_args="--queues 1")
    with cluster.telemetry() as tel:
        info = mana_info(tel)
    assert (info["ack_timeout_ms"], info["quiesce_timeout_ms"], info["max_reset_restarts"]) == \
        (100, 10, 8), info
