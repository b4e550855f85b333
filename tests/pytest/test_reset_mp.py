# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Malformed doorbell broadcasts to secondaries (doc/protocol.rst
"Messages": receivers check type, exact length, exact descriptor count and
the generation, answer a bad request with an error and close what they
were sent), from the primary (`send_raw`, rte_pmd_mana_mpr_test_send_raw) and
from a stranger writing to the socket a secondary receives them on."""

import array
import os
import re
import socket
import struct

import pytest

from conftest import (REPO, RATE, RUNTIME_DIR, check_final, fd_count, mana_info, mana_procs,
                      marks_of, recovered, sim_reset, start_procs, stop_all, wait_rx_after,
                      wait_until)

UNMAP_DB, REMAP_DB = 6, 7
BCAST_LEN = 40            # struct mana_mp_bcast
REPEAT = 20               # each case, so that a leak of one fd per message shows
MANA_MP_MAGIC = 0x414E414D
# The stranger's message must be well-formed in every field but its sender,
# so it carries the driver's current protocol version.
MANA_MP_VERSION = int(re.search(r"#define MANA_MP_VERSION\s+(\d+)",
                                (REPO / "drivers/net/mana/mp/mana_mp_msg.h").read_text())[1])

# (id, type, len_param, num_fds, generation: "cur", "stale" or an int).
# Every one is malformed or out of date; none may change a secondary's state.
CASES = [
    ("unmap-short", UNMAP_DB, BCAST_LEN - 1, 0, "cur"),
    ("unmap-long", UNMAP_DB, BCAST_LEN + 1, 0, "cur"),
    ("unmap-header-only", UNMAP_DB, 32, 0, "cur"),
    ("unmap-max-len", UNMAP_DB, 256, 0, "cur"),
    ("unmap-with-fd", UNMAP_DB, BCAST_LEN, 1, "cur"),
    ("unmap-with-8-fds", UNMAP_DB, BCAST_LEN, 8, "cur"),
    ("unmap-stale", UNMAP_DB, BCAST_LEN, 0, "stale"),
    ("remap-no-fd", REMAP_DB, BCAST_LEN, 0, "cur"),
    ("remap-2-fds", REMAP_DB, BCAST_LEN, 2, "cur"),
    ("remap-8-fds", REMAP_DB, BCAST_LEN, 8, "cur"),
    ("remap-short-with-fd", REMAP_DB, BCAST_LEN - 4, 1, "cur"),
    ("remap-stale", REMAP_DB, BCAST_LEN, 1, "stale"),
    ("remap-zero-gen", REMAP_DB, BCAST_LEN, 1, 0),
    ("remap-future-gen", REMAP_DB, BCAST_LEN, 1, "future"),
    ("remap-current-gen-again", REMAP_DB, BCAST_LEN, 1, "cur"),
    ("unknown-type", 99, BCAST_LEN, 1, "cur"),
    ("type-zero", 0, BCAST_LEN, 1, "cur"),
]

# UNMAP_DB whose generation is not one the secondary may be told to drop.
BAD_GEN_UNMAP = [("unmap-zero-gen", 0), ("unmap-future-gen", "future")]


def gen_value(g, cur):
    return {"cur": cur, "stale": cur - 1, "future": cur + 100}.get(g, g)


@pytest.fixture
def after_one_reset(cluster):
    """Three processes with traffic, one reset done (so a stale generation
    exists); yields (procs, current generation)."""
    procs = start_procs(cluster)
    with cluster.telemetry() as tel:
        marks = marks_of(procs)
        sim_reset(tel, 20)
        recovered(procs, marks, rx_timeout=5, what="traffic")
        gen = mana_info(tel)["generation"]
    assert gen >= 2
    yield procs, gen


def secondaries_unharmed(cluster, procs, gen, fds0, what):
    """Alive, no descriptor kept, still mapping @gen, registry unchanged,
    and traffic still flowing on their queues."""
    for p, q in procs[1:]:
        assert p.alive(), f"{what}: {p.name} died\n{p.describe()}"
        wait_until(lambda p=p: fd_count(p.pid) <= fds0[p.name] + 2, 2,
                   f"{what}: {p.name} closing what it was sent (had {fds0[p.name]} fds)")
        # (A secondary that lost its mapping would re-attach by itself within
        # milliseconds: give it two seconds.)
        wait_until(lambda p=p: (lambda st: st["state"] == "active" and st["mapped"] == gen)(
            p.command("state")), 2, f"{what}: {p.name} mapping generation {gen}")
        wait_rx_after(p, [q], p.mark(), RATE // 50, 5, what=f"{what}: traffic of {p.name}")
    with cluster.telemetry() as tel:
        reg = mana_procs(tel)
        for p, _ in procs[1:]:
            e = reg[p.pid]
            assert e["state"] == "attached" and e["db_generation"] == gen, (what, e)


def test_malformed_broadcasts_from_primary(cluster, after_one_reset):
    """11a. Wrong length, missing / extra / unexpected descriptors, stale,
    zero and future generations of REMAP_DB, stale UNMAP_DB, unknown types
    (each sent 20 times): secondaries stay alive, keep their traffic and
    their mapping, and close every descriptor."""
    procs, gen = after_one_reset
    pri = procs[0][0]
    fds0 = {p.name: fd_count(p.pid) for p, _ in procs[1:]}
    for name, typ, length, nfds, g in CASES:
        for _ in range(REPEAT):
            ans = pri.command(f"send_raw {typ} {length} {nfds} {gen_value(g, gen)}")
            assert ans["ret"] == 0, (name, ans)
        secondaries_unharmed(cluster, procs, gen, fds0, name)
    for p, _ in procs[1:]:
        err = p.stderr_text()
        assert "wrong length for its type" in err and \
               "wrong number of file descriptors" in err, f"{p.name}:\n{err[-3000:]}"
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0
        check_final(finals[q], 1, p.name)


@pytest.mark.parametrize("name,g", BAD_GEN_UNMAP, ids=[c[0] for c in BAD_GEN_UNMAP])
def test_unmap_bad_generation_from_primary(cluster, after_one_reset, name, g):
    """11b. UNMAP_DB for generation 0 or for a generation the port has not
    reached: not a generation a secondary may be told to drop (protocol:
    "UNMAP_DB(g)" revokes the current g); it must not lose its doorbell."""
    procs, gen = after_one_reset
    pri = procs[0][0]
    fds0 = {p.name: fd_count(p.pid) for p, _ in procs[1:]}
    ans = pri.command(f"send_raw {UNMAP_DB} {BCAST_LEN} 0 {gen_value(g, gen)}")
    assert ans["ret"] == 0, ans
    secondaries_unharmed(cluster, procs, gen, fds0, name)


def db_region_size(pid):
    """Length of the doorbell mapping of process @pid (the sim's memfd)."""
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            if "memfd:mana-sim-db" in line:
                lo, hi = line.split()[0].split("-")
                return int(hi, 16) - int(lo, 16)
    raise AssertionError(f"pid {pid} maps no doorbell")


def test_stranger_datagram_rejected(cluster, after_one_reset):
    """11c. A well-formed REMAP_DB of the current generation, claiming the
    primary's pid, with a doorbell-sized memfd attached, sent by a process
    that is not the primary straight to the socket each secondary receives
    the primary's messages on (<runtime dir>/mana_mpr_<pid>): it is rejected
    (the kernel's credentials name another pid) and the descriptor closed;
    the secondaries keep their mapping and their traffic."""
    procs, gen = after_one_reset
    pri = procs[0][0]
    size = db_region_size(procs[1][0].pid)
    rundir = RUNTIME_DIR / cluster.prefix
    hdr = struct.pack("<IHHHHiIIiI", MANA_MP_MAGIC, MANA_MP_VERSION, REMAP_DB, 0, 0, pri.pid, 1,
                      gen, 0, 0)
    param = hdr + struct.pack("<II", size, 0)
    assert len(param) == BCAST_LEN
    fds0 = {p.name: fd_count(p.pid) for p, _ in procs[1:]}
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    # A receiver that stopped reading fills the socket: fail, do not hang.
    s.settimeout(10)
    try:
        for p, _ in procs[1:]:
            path = rundir / f"mana_mpr_{p.pid}"
            assert path.exists(), path
            for _ in range(REPEAT):
                fd = os.memfd_create("stranger", os.MFD_CLOEXEC)
                try:
                    os.ftruncate(fd, size)
                    s.sendmsg([param], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                         array.array("i", [fd]))], 0, str(path))
                finally:
                    os.close(fd)
    finally:
        s.close()
    secondaries_unharmed(cluster, procs, gen, fds0, "stranger datagram")
    for p, _ in procs[1:]:
        assert "not the primary" in p.stderr_text(), p.stderr_text()[-2000:]
    finals = stop_all(procs)
    for p, q in procs:
        assert finals[q]["exit"] == 0
        check_final(finals[q], 1, p.name)
