# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""mana-traffic itself: help, usage errors, setup errors, commands."""

import subprocess

import pytest

from conftest import APP, child_env


def test_help_needs_no_eal():
    out = subprocess.run([APP, "--", "--help"], capture_output=True, text=True, timeout=10,
                         env=child_env())
    assert out.returncode == 0
    for word in ("--queues", "--own", "--on-failed", "stop", "inject", "Exit codes"):
        assert word in out.stdout


@pytest.mark.parametrize("args,code", [
    ("--rate abc", 1),
    ("--segs 0", 1),
    ("--size 63", 1),
    ("--on-failed maybe", 1),
    ("--own 1,1", 1),
    ("--bogus", 1),
    ("--queues 2 --own 3", 2),          # owns a queue the port will not have
    ("--queues 65", 1),
])
def test_usage_and_setup_errors(cluster, args, code):
    p = cluster.primary(app_args=args, wait_ready=False)
    assert p.wait_exit(20) == code, p.describe()
    assert not p.events("ready")


def test_commands(cluster):
    """Every command answers one cmd line; unknown ones are refused."""
    p = cluster.primary(app_args="--queues 1 --own 0 --rate 1000 --status-ms 50")
    assert p.command("nonsense")["ret"] < 0
    assert p.command("inject explode")["ret"] < 0
    assert p.command("ring")["ret"] < 0
    assert p.command("pause")["ret"] == 0
    sent = p.command("flows")["totals"]["sent"]
    p.wait_status(lambda s: not s["sending"], timeout=5, what="sending stopped")
    assert p.command("flows")["totals"]["sent"] == sent
    assert p.command("resume")["ret"] == 0
    p.wait_status(lambda s: s["queues"]["0"]["tx"] > sent + 50, timeout=5, what="sending again")
    st = p.command("stats")["stats"]
    assert st["queues"]["0"]["opackets"] > 0
    assert p.command("state")["state"] == "active"
    final = p.stop()
    assert final["totals"]["lost"] == 0 and final["exit"] == 0
