# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Telemetry of the PMD: decimal parameters, named on error (issue 9, item
6), and replies that are complete or say where to go on (item 8)."""

import json

from conftest import MANA_MAX_PROCS, mana_procs, mana_queues, wait_until

BAD_PARAMS = [
    # (command, params, the parameter the error must name)
    ("/mana_mpr/info", "", "port_id"),
    ("/mana_mpr/info", "0x0", "port_id"),       # hex
    ("/mana_mpr/info", "+0", "port_id"),        # a sign
    ("/mana_mpr/info", " 0", "port_id"),        # a blank
    ("/mana_mpr/info", "-1", "port_id"),
    ("/mana_mpr/info", "0abc", "port_id"),      # trailing text
    ("/mana_mpr/info", "65536", "port_id"),     # wraps to 0 in 16 bits
    ("/mana_mpr/info", "7", "port_id"),         # no such port
    ("/mana_mpr/info", "0,1", "port_id"),       # one parameter only
    ("/mana_mpr/procs", "0,", "slot"),
    ("/mana_mpr/procs", "0,0x1", "slot"),
    ("/mana_mpr/procs", f"0,{MANA_MAX_PROCS}", "slot"),
    ("/mana_mpr/queues", "0,-1", "queue"),
    ("/mana_mpr/queues", "0,1,2", "queue"),
]


def test_telemetry_parameters(cluster):
    """6. Parameters are decimal, the whole string; a bad one is answered with
    an error naming it, a good one with leading zeros still works."""
    cluster.primary(app_args="--queues 4 --status-ms 0")
    with cluster.telemetry() as tel:
        for command, params, name in BAD_PARAMS:
            ans = tel.cmd(command, params)
            assert isinstance(ans, dict) and name in ans.get("error", ""), \
                (command, params, ans)
        assert tel.cmd("/mana_mpr/info", "00")["queues"] == 4
        # From queue 2 on: queues 2 and 3 only; the total counts all four.
        page = tel.cmd("/mana_mpr/queues", "0,002")
        assert (sorted(page["queues"]), page["total"], page["truncated"]) == \
            (["2", "3"], 4, 0), page


def test_registry_of_64_processes(cluster):
    """8. A full registry (the primary and 63 secondaries) does not fit one
    telemetry reply: each page is valid JSON within max_output_len, says it
    is truncated and where to go on, and the pages hold every process."""
    # The heap is reserved up front (-m): DPDK 22.11's primary crashes inside
    # EAL when dozens of secondaries grow the shared heap one after the other
    # (an EAL fault, not the PMD's; 24.11 and 25.11 do not).
    pri = cluster.primary(app_args="--queues 1 --status-ms 0", eal_extra=["-m", "512"])
    secs = [cluster.secondary(k, "--status-ms 0") for k in range(1, MANA_MAX_PROCS)]
    with cluster.telemetry() as tel:
        # Every secondary is in the registry once it is ready.
        wait_until(lambda: len(mana_procs(tel)) == MANA_MAX_PROCS, 10, "a full registry")
        tel.sock.send(b"/mana_mpr/procs,0")
        raw = tel.sock.recv(2 * tel.max_len)
        assert len(raw) < tel.max_len, len(raw)
        first = json.loads(raw.decode())["/mana_mpr/procs"]
        assert first["truncated"] == 1 and first["total"] == MANA_MAX_PROCS, first
        assert 0 < len(first["procs"]) < MANA_MAX_PROCS
        assert first["next"] == max(int(k) for k in first["procs"]) + 1, first
        reg = mana_procs(tel)
    assert set(reg) == {pri.pid, *(s.pid for s in secs)}
    assert all(e["state"] == "attached" for e in reg.values()), reg


def test_queues_pages_join(cluster):
    """8. Asking from each queue on gives that queue and the ones after it."""
    queues = 4
    cluster.primary(app_args=f"--queues {queues} --status-ms 0")
    with cluster.telemetry() as tel:
        whole = mana_queues(tel)
        assert sorted(whole) == list(range(queues))
        for q in range(queues):
            page = tel.cmd("/mana_mpr/queues", f"0,{q}")
            assert sorted(int(k) for k in page["queues"]) == list(range(q, queues)), page
