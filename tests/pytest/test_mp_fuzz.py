# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Foundation: malformed IPC requests get error replies, not crashes."""

import errno
import json

from conftest import TOOLS, assert_clean_final, eal_args, fd_count

FD_REPEAT = 40


def test_malformed_requests_answered(cluster):
    """e. mp-fuzz-send (a secondary) sends malformed and hostile requests to
    net_mana_mpr_p; every request gets a negative result, one-way types get
    nothing, the primary leaks no fd and still passes traffic afterwards."""
    rate = 20000
    pri = cluster.primary(app_args=f"--queues 2 --own 0,1 --rate {rate} --status-ms 100")
    pri.wait_status(lambda s: all(q["rx"] > 1000 for q in s["queues"].values()), timeout=10,
                    what="traffic before the fuzz")
    fds_before = fd_count(pri.pid)

    tool = cluster.spawn("mp-fuzz-send", [
        TOOLS / "mp-fuzz-send", *eal_args(cluster.prefix, 5, secondary=True), "--",
        "--fd-repeat", str(FD_REPEAT)])
    rc = tool.wait_exit(60)
    tool.wait_for(lambda: tool.eof, 5, "end of output")
    cases = [o for o in tool.lines if "case" in o]
    summary = [o for o in tool.lines if o.get("summary")]
    bad = [c for c in cases if not c["ok"]]
    assert not bad, "cases answered wrongly:\n" + "\n".join(json.dumps(c) for c in bad)
    assert summary and summary[0]["failed"] == 0 and rc == 0, tool.describe()

    by_name = {}
    for c in cases:
        by_name.setdefault(c["case"], []).append(c)
    # Every category the brief asks for is covered, with the expected error.
    expect = {
        "too_short": None, "empty": None, "wrong_magic": -errno.EPROTO,
        "wrong_version": -errno.EPROTO, "unknown_type": -errno.EINVAL,
        "secondary_type_unmap_db": -errno.EINVAL, "attach_long": -errno.EINVAL,
        "reg_mr_long": -errno.EINVAL, "unexpected_fd_reg_mr": -errno.EINVAL,
        "attach_port_absent": -errno.ENODEV, "attach_pid_zero": -errno.EINVAL,
        "attach_pid_dead": -errno.EPERM, "attach_wrong_start_time": -errno.ESRCH,
        "reg_mr_malloc_memory": -errno.EFAULT, "reg_mr_zero_length": -errno.EINVAL,
        "reg_mr_huge_length": -errno.EFAULT, "reg_mr_beyond_dpdk_memory": -errno.EFAULT,
    }
    for name, result in expect.items():
        assert name in by_name, f"case {name} missing"
        for c in by_name[name]:
            assert c["nb_received"] == 1 and c["result"] < 0, c
            if result is not None:
                assert c["result"] == result, c
    assert len(by_name["unexpected_fd_reg_mr"]) == FD_REPEAT
    for name in ("ack_wrong_length", "ack_spoofed_slot"):
        assert by_name[name][0]["nb_received"] == 0, by_name[name]
    # The positive controls prove the requests were well-formed elsewhere.
    assert by_name["control_attach"][0]["result"] == 0
    assert by_name["control_detach"][0]["result"] == 0
    assert by_name["control_reg_mr_dpdk_memory"][0]["result"] == 0

    # No descriptor kept from the ~50 fds sent (a few may come and go).
    fds_after = fd_count(pri.pid)
    assert fds_after <= fds_before + 2, (fds_before, fds_after)
    assert pri.alive()
    st = pri.command("state")
    assert st["state"] == "active" and st["procs"] == 1, st   # the fuzzer left the registry

    # Still passes traffic.
    base = pri.last("status")["queues"]
    pri.wait_status(lambda s: all(s["queues"][q]["rx"] >= base[q]["rx"] + rate // 4
                                  for q in base), timeout=10, what="traffic after the fuzz")
    assert_clean_final(pri.stop())
