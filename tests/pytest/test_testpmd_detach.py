# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""A secondary's port released while stock testpmd still forwards on it, by
EAL's hot-unplug (the primary's `device detach` of a function whose port is
stopped but not closed: EAL removes it in each secondary from an alarm,
lib/eal/common/hotplug_mp.c) or by the primary's close (PORT_CLOSED, then
the detach). ethdev's release zero-fills the port's fast-path table before
writing it (eth_dev_fp_ops_reset, lib/ethdev/ethdev_private.c): a burst
reading it then follows a NULL queue array. The driver releases such a port
without it (doc/protocol.rst "Closing the port").

That window is a few instructions wide (testpmd died in it about once in
twelve runs), so a fault is not what the test waits for: gdb puts a
breakpoint right after the zero-fill, and the test fails if the secondary
ever reaches it - from the primary's first command until the secondary has
found the port invalid - as well as if it faults. With the driver's release
the breakpoint is never reached. (A regression that cleared the table by
other means than ethdev's reset would be caught only by a fault.)"""

import re
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import BDF, DPDK_LIBDIR, SANITIZE, wait_until
from test_testpmd_mp import TESTPMD, ask, mark, quit_ok, seen, start_pair

GDB = shutil.which("gdb")
ETHDEV = Path(DPDK_LIBDIR) / "librte_ethdev.so" if DPDK_LIBDIR else None

pytestmark = [
    pytest.mark.skipif(SANITIZE or TESTPMD is None or GDB is None, reason="needs testpmd, gdb"),
]


def gdb_lines(*cmds):
    argv = [GDB, "-nx", "-batch"]
    for c in cmds:
        argv += ["-ex", c]
    return subprocess.run(argv + [str(ETHDEV)], capture_output=True, text=True,
                          check=True).stdout.splitlines()


def after_zero_fill():
    """Where in librte_ethdev the fast-path table entry is zero-filled and not
    written yet: the instruction after the rep stos of eth_dev_fp_ops_reset
    (a callee of rte_eth_dev_release_port; unnamed in a stripped 22.11), as
    an offset from rte_eth_dev_release_port."""
    rel = None
    for ln in gdb_lines("disassemble rte_eth_dev_release_port"):
        m = re.match(r"\s*0x([0-9a-f]+) <\+0>:", ln)
        if m:
            rel = int(m.group(1), 16)
        m = re.search(r"\bcall\s+0x([0-9a-f]+)", ln)
        if m is None or rel is None:
            continue
        body = gdb_lines(f"x/40i 0x{m.group(1)}")
        for i, b in enumerate(body):
            if "rep stos" in b:
                nxt = int(re.match(r"\s*(?:=> )?0x([0-9a-f]+)", body[i + 1]).group(1), 16)
                return nxt - rel
    pytest.skip("no zero-fill found under rte_eth_dev_release_port")


class Gdb:
    def __init__(self, pid, bp):
        script = "\n".join([
            "set pagination off", "set confirm off",
            "handle SIGPIPE nostop noprint pass",
            f"attach {pid}",
            f"break {bp}",
            "commands", "silent",
            'printf "TEST: breakpoint hit, thread %d\\n", $_thread', "continue",
            "end", "continue", ""])
        self.out = []
        self.p = subprocess.Popen([GDB, "-nx", "-q"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.p.stdin.write(script)
        self.p.stdin.flush()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for ln in self.p.stdout:
            self.out.append(ln)

    def text(self):
        return "".join(self.out)

    def close(self):
        """Detach, its breakpoint removed: gdb reads commands only once the
        inferior has stopped, so interrupt it first (a gdb killed while its
        breakpoint is inserted leaves the inferior a SIGTRAP to hit)."""
        try:
            if self.p.poll() is None and "SIGSEGV" not in self.text():
                self.p.send_signal(signal.SIGINT)
                wait_until(lambda: "SIGINT" in self.text(), 10, "gdb stopping the process")
            if "SIGSEGV" in self.text():
                self.p.stdin.write("x/3i $pc\ninfo registers rax rcx rdx rsi rdi\nbt 3\n")
            self.p.stdin.write("detach\nquit\n")
            self.p.stdin.flush()
            self.p.wait(10)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.p.kill()
            self.p.wait()


def primary_detached(pri):
    return re.search(r"Now total ports is|Failed to detach|is detached",
                     "\n".join(pri.raw) + pri.stderr_text())


@pytest.mark.parametrize("how", ["detach", "close-then-detach"])
def test_secondary_release_by_eal_detach_while_forwarding(cluster, how):
    """The primary stops forwarding and the port (and closes it, in the
    second variant), then detaches the device, while the secondary testpmd
    forwards: the secondary releases the port without a fault, finds it
    invalid and quits with 0."""
    off = after_zero_fill()
    pri, sec = start_pair(cluster)
    gdb = Gdb(sec.pid, f"*((char *)rte_eth_dev_release_port + {off})")
    try:
        wait_until(lambda: "Continuing." in gdb.text(), 30,
                   "gdb attached and running")
        ask(pri, "stop", r"^Done\.|Telling cores to stop")
        ask(pri, "port stop 0", r"Stopping ports|Done")
        if how == "close-then-detach":
            ask(pri, "port close 0", r"Closing ports|Done")
        pri.send(f"device detach {BDF}")
        wait_until(lambda: "SIGSEGV" in gdb.text() or primary_detached(pri), 30,
                   "the primary's detach or the secondary's fault")
        if "SIGSEGV" not in gdb.text():
            # The secondary's release has run once it finds the port invalid
            # (a fault meanwhile ends the wait: gdb holds the process then).
            start = mark(sec)
            sec.send("show port info 0")
            wait_until(lambda: "SIGSEGV" in gdb.text() or seen(sec, r"Invalid port 0", start),
                       20, "the secondary finding port 0 invalid, or its fault")
    finally:
        gdb.close()
    print(gdb.text())
    assert "SIGSEGV" not in gdb.text(), "secondary testpmd faulted:\n" + gdb.text()
    assert "TEST: breakpoint hit" not in gdb.text(), \
        "the secondary zero-filled the fast-path table of a polled port:\n" + gdb.text()
    assert sec.alive(), sec.describe()
    quit_ok(sec)
    quit_ok(pri)
