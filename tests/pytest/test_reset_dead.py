# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""A reset behind what a dead process left held (issue 9, item 3): the DPDK
heap lock, a mempool ring between a producer's head and tail update. The
reset must finish (or fail within its bounds) and say what it left out.
doc/protocol.rst "Failure policy"."""

from conftest import (DESC, RATE, marks_of, mana_info, recovered, sim_reset, wait_rx_after,
                      wait_until)

ARGS = f"--flows 2 --desc {DESC} --events --status-ms 50"


def _reset_done(tel, before):
    """Inject a reset and wait, with a deadline, until it is over."""
    sim_reset(tel, 100)
    return wait_until(
        lambda: (lambda i: i if i["resets_succeeded"] + i["resets_failed"] > before
                 and i["state"] != "resetting" else None)(mana_info(tel)),
        30, "the reset to finish")


def test_reset_behind_dead_heap_lock(cluster):
    """A secondary SIGKILLed while it holds the DPDK heap lock (inside
    rte_malloc, the heap growing: `hold_heap`), one more secondary started
    (its EAL init spins on that lock), then a reset: the reset completes and
    the primary carries traffic again; it took nothing from the heap."""
    pri = cluster.primary(app_args=f"--queues 2 --own 0 --rate {RATE} {ARGS}")
    victim = cluster.secondary(1, f"--own 1 --rate {RATE} {ARGS}")
    wait_rx_after(pri, [0], 0, RATE // 10, timeout=15, what="traffic before the kill")

    ans = victim.command("hold_heap", timeout=30)
    assert ans["ret"] == 0, ans
    victim.kill()
    assert victim.returncode == -9
    late = cluster.secondary(2, "--status-ms 0", wait_ready=False, name="late")

    with cluster.telemetry() as tel:
        info0 = mana_info(tel)
        marks = marks_of([(pri, 0)])
        info = _reset_done(tel, info0["resets_succeeded"] + info0["resets_failed"])
        assert info["state"] == "active", info
        assert info["resets_succeeded"] == info0["resets_succeeded"] + 1, info
        assert info["ring_shortfalls"] == 0, info
        recovered([(pri, 0)], marks)
    # Stopping would free into the heap the dead process holds: not tested here.
    late.kill()
    pri.kill()


def test_reset_behind_wedged_mempool(cluster):
    """A secondary leaves its Tx pool's ring with the producer head moved
    and the tail not (a process that died inside a put: `wedge_pool`), is
    SIGKILLed, then a reset: its Tx mbufs still in queue 1 are not put into
    that pool (which would wait forever) but left out, counted and reported;
    the reset completes and the primary carries traffic again."""
    pri = cluster.primary(app_args=f"--queues 2 --own 0 --rate {RATE} {ARGS}")
    victim = cluster.secondary(1, f"--own 1 --rate {RATE} {ARGS}")
    for p, q in ((pri, 0), (victim, 1)):
        wait_rx_after(p, [q], 0, RATE // 10, timeout=15, what="traffic before the kill")

    ans = victim.command("wedge_pool")
    assert ans["ret"] == 0, ans
    victim.kill()
    assert victim.returncode == -9

    with cluster.telemetry() as tel:
        info0 = mana_info(tel)
        marks = marks_of([(pri, 0)])
        info = _reset_done(tel, info0["resets_succeeded"] + info0["resets_failed"])
        assert info["state"] == "active", info
        assert info["resets_succeeded"] == info0["resets_succeeded"] + 1, info
        assert info["mbufs_leaked"] > info0["mbufs_leaked"], info
        recovered([(pri, 0)], marks)
    final = pri.stop()
    assert final is not None
