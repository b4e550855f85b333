# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""The NIC guide's recipes with DPDK's own tools (doc/guides/nics/mana.rst,
"Using stock DPDK tools"), as a user types them plus the preload: testpmd
on the PCI function, a reset injected with dpdk-telemetry.py, testpmd
reporting the recovery, dpdk-proc-info reading the extended statistics as a
secondary, dpdk-telemetry.py reading /mana_mpr/info."""

import json
import re
import signal
import subprocess

import pytest

from conftest import BDF, DEVICE, SANITIZE, scaled, stock_tool, wait_until

TESTPMD = stock_tool("dpdk-testpmd")
PROC_INFO = stock_tool("dpdk-proc-info")
TELEMETRY = stock_tool("dpdk-telemetry.py")

pytestmark = [
    pytest.mark.skipif(SANITIZE, reason="a sanitizer-built PMD cannot load into the stock "
                       "(uninstrumented) tools"),
]


def telemetry_py(cluster, command):
    """`echo <command> | dpdk-telemetry.py -f <prefix>`: the JSON reply."""
    assert TELEMETRY is not None, "dpdk-telemetry.py of this build's DPDK is missing"
    out = subprocess.run(["python3", TELEMETRY, "-f", cluster.prefix], input=command + "\n",
                         env=cluster.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=scaled(20))
    replies = []
    for line in out.stdout.splitlines():
        line = line.strip().lstrip("-->").strip()
        if line.startswith("{"):
            replies.append(json.loads(line))
    cmd = command.split(",")[0]
    found = [r[cmd] for r in replies if cmd in r]
    assert found, f"no reply to {command}:\n{out.stdout}"
    return found[0]


def linked_mempool_drivers(binary):
    """-d options loading, in link order, the mempool drivers @binary links
    (Debian's testpmd links librte_mempool_dpaa, which then registers
    before every driver loaded from the plugin directory)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs = re.findall(r"^\s*(librte_mempool_\w+\.so[.\d]*) =>", out, re.M)
    return [a for lib in libs for a in ("-d", lib)]


def test_testpmd_reset_via_telemetry_py(cluster):
    """testpmd runs traffic on the VF (flowgen: sends and receives); a reset
    injected through dpdk-telemetry.py is reported by testpmd (error
    recovering, then recovery successful), and traffic goes on."""
    assert TESTPMD is not None, "dpdk-testpmd of this build's DPDK is missing"
    tp = cluster.spawn("testpmd", [
        "stdbuf", "-oL", TESTPMD, "-l", "0-1", "-a", DEVICE, f"--file-prefix={cluster.prefix}",
        # dpdk-proc-info attaches below: a secondary cannot add tail queues, and
        # it links the hash library, which a testpmd of a reduced DPDK build
        # (scripts/dpdk-lts.sh) does not (the guide's note).
        "-d", "librte_hash.so",
        # flowgen: traffic that does not depend on what a reset dropped (the guide)
        "-d", "librte_net_mana_mpr.so", "--", "--forward-mode=flowgen", "--rxq=2", "--txq=2",
        "--nb-cores=1", "--auto-start", "--stats-period=1"])
    tp.wait_for(lambda: any(re.search(r"Rx-pps:\s+[1-9]", ln) for ln in tp.raw), 20,
                "testpmd traffic")
    wait_until(lambda: (cluster.sim_dir()).exists(), 5, "the VF instance")
    ans = telemetry_py(cluster, f"/mana_sim/reset,{BDF},300")
    assert ans.get("result") == 0, ans
    tp.wait_for(lambda: any("error recovering" in ln for ln in tp.raw), 10,
                "testpmd's error recovering event")
    tp.wait_for(lambda: any("recovery successful" in ln for ln in tp.raw), 10,
                "testpmd's recovery successful event")
    mark = len(tp.raw)
    tp.wait_for(lambda: any(re.search(r"Rx-pps:\s+[1-9]", ln) for ln in tp.raw[mark:]), 10,
                "traffic after the reset")
    info = telemetry_py(cluster, "/mana_mpr/info,0")
    assert info["resets_succeeded"] == 1 and info["state"] == "active", info
    # Every devarg in force but mac= (the guide's devargs table: defaults).
    assert {k: info[k] for k in ("ack_timeout_ms", "quiesce_timeout_ms", "recovery_timeout_ms",
                                 "recovery_poll_ms", "request_timeout_ms",
                                 "max_reset_restarts")} == \
        {"ack_timeout_ms": 500, "quiesce_timeout_ms": 200, "recovery_timeout_ms": 30000,
         "recovery_poll_ms": 64, "request_timeout_ms": 2000, "max_reset_restarts": 5}, info

    # dpdk-proc-info, a secondary of testpmd, reads the extended statistics.
    assert PROC_INFO is not None, "dpdk-proc-info of this build's DPDK is missing"
    # It numbers its mempool drivers as testpmd does only when it loads first
    # those that testpmd links (the guide): the PMD refuses to attach otherwise.
    pi = subprocess.run([PROC_INFO, f"--file-prefix={cluster.prefix}", "-a", DEVICE,
                         *linked_mempool_drivers(TESTPMD),
                         "-d", "librte_net_mana_mpr.so", "--", "--xstats"],
                        env=cluster.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        text=True, timeout=scaled(30))
    assert pi.returncode == 0, pi.stdout[-3000:]
    assert re.search(r"reset_succeeded:\s+1\b", pi.stdout), pi.stdout[-3000:]
    assert re.search(r"rx_q1_packets:\s+[1-9]", pi.stdout), pi.stdout[-3000:]

    tp.signal(signal.SIGINT)
    assert tp.wait_exit(20) == 0, tp.describe()
