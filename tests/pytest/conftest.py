# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Fixtures that run real DPDK primaries and secondaries (mana-traffic).

Every process runs on the software MANA VF the way it would run on Azure:
the PMD probes the PCI function (-a <bdf>,mac=<mac>) and reaches it through
rdma-core's API, which libmana_sim.so provides (LD_PRELOAD). Each test
has its own VF instance (MANA_SIM instance=<prefix>), removed at teardown.

Environment:
  MANA_BUILD     build directory (default: <repo>/build); its dpdk.env names the
                 DPDK it was built with, whose stock tools (dpdk-testpmd...) and
                 libraries every process of a test then uses
  MANA_SANITIZE  "1": the binaries are ASan/UBSan builds (adds
                 --base-virtaddr to every process, sets ASAN/UBSAN/LSAN options)

Every test gets its own EAL --file-prefix; teardown kills and reaps every
child (SIGTERM, then SIGKILL after a grace period) and removes
/var/run/dpdk/<prefix> and /dev/hugepages/<prefix>map_*, pass or fail.
Synchronisation is always a condition polled against a deadline.
"""

import glob
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BUILD = Path(os.environ.get("MANA_BUILD", str(REPO / "build"))).resolve()
SANITIZE = os.environ.get("MANA_SANITIZE", "") == "1"
APP = BUILD / "app" / "mana-traffic"
TOOLS = BUILD / "tests" / "tools"
PMD_DIR = BUILD / "drivers" / "net" / "mana"
SIM_DIR = BUILD / "sim"
SIM_LIB = SIM_DIR / "libmana_sim.so"
SIM_ROOT = Path("/run/mana-sim")
RUNTIME_DIR = Path("/var/run/dpdk")
HUGE_DIR = Path("/dev/hugepages")
LSAN_SUPP = HERE / "lsan.supp"

# The emulated VF of every test: one PCI function, two ports. Port 1 is the
# management vNIC's (kernel netdev eth0, up, as on Azure); tests use port 2.
BDF = "7870:00:00.0"
MAC1 = "00:15:5d:10:00:01"
MAC2 = "00:15:5d:10:00:02"
SIM_FN = f"fn={BDF},mac1={MAC1},mac2={MAC2}"
DEVICE = f"{BDF},mac={MAC2}"     # what -a names


def _read_dpdk_env(build):
    """The DPDK @build was configured with (meson writes dpdk.env)."""
    info = {}
    path = build / "dpdk.env"
    if path.exists():
        for line in path.read_text().splitlines():
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                info[key] = value
    return info


DPDK = _read_dpdk_env(BUILD)
DPDK_LIBDIR = DPDK.get("libdir", "")
SYSTEM_LIBDIRS = {"/usr/lib", "/usr/lib64", "/usr/lib/x86_64-linux-gnu"}


def stock_tool(name):
    """Path of DPDK's own @name (dpdk-testpmd...) from the DPDK of this build:
    never a tool of another DPDK version, whose libraries cannot load ours."""
    if DPDK.get("prefix"):
        path = Path(DPDK["prefix"]) / "bin" / name
        if path.exists():
            return str(path)
        if DPDK["prefix"] != "/usr":
            return None
    return shutil.which(name)

# Slower under sanitizers: scale every deadline.
TIME_SCALE = 3.0 if SANITIZE else 1.0
GRACE_S = 3.0 * TIME_SCALE

_prefix_counter = itertools.count()

# Process registry slots of a port (MANA_MAX_PROCS, drivers/net/mana/mana.h).
MANA_MAX_PROCS = 64


def scaled(seconds):
    return seconds * TIME_SCALE


def _asan_runtime():
    """The sanitizer runtime the binaries link, which must come first in
    LD_PRELOAD (ASan refuses to start otherwise)."""
    try:
        out = subprocess.run(["ldd", str(APP)], capture_output=True, text=True).stdout
    except OSError:
        return None
    m = re.search(r"(\S*libasan\.so\S*) => (\S+)", out)
    return m.group(2) if m else None


ASAN_RUNTIME = _asan_runtime() if SANITIZE else None


def sim_env(sim):
    """Environment entries that put a process on the software VF @sim
    (a MANA_SIM string)."""
    preload = [str(SIM_LIB)]
    if ASAN_RUNTIME:
        preload.insert(0, ASAN_RUNTIME)
    return {"LD_PRELOAD": ":".join(preload), "MANA_SIM": sim}


def sim_cleanup(instance):
    """Remove what a VF instance leaves when its processes were killed."""
    shutil.rmtree(SIM_ROOT / instance, ignore_errors=True)


def child_env(extra=None, sim=None):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.pop("MANA_SIM", None)
    if sim is not None:
        env.update(sim_env(sim))
    libs = [str(PMD_DIR)]
    if DPDK_LIBDIR and DPDK_LIBDIR not in SYSTEM_LIBDIRS:
        libs.append(DPDK_LIBDIR)    # for the stock tools; our binaries have a run path
    if env.get("LD_LIBRARY_PATH"):
        libs.append(env["LD_LIBRARY_PATH"])
    env["LD_LIBRARY_PATH"] = ":".join(libs)
    if SANITIZE:
        env["ASAN_OPTIONS"] = ("halt_on_error=1:abort_on_error=0:detect_leaks=1:"
                               "exitcode=86:print_summary=1:handle_sigbus=0")
        env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1:exitcode=87"
        env["LSAN_OPTIONS"] = f"suppressions={LSAN_SUPP}:print_suppressions=0"
        # static: the preloaded VF cannot load into the symbolizer (tests/tools/symbolizer.c)
        env["ASAN_SYMBOLIZER_PATH"] = str(BUILD / "tests/tools/llvm-symbolizer")
    if extra:
        env.update(extra)
    return env


def eal_args(prefix, lcore, secondary=False, device=DEVICE):
    """EAL arguments of one process of a test (lcore 0: the primary);
    @device: the -a argument (None: no device)."""
    args = ["-a", device] if device is not None else ["--no-pci"]
    args += [f"--file-prefix={prefix}",
             f"--lcores={lcore}@0" if not secondary else f"--lcores={lcore}@(0-1)"]
    if secondary:
        args.append("--proc-type=secondary")
    else:
        args.append("--proc-type=primary")
    if SANITIZE:
        args.append("--base-virtaddr=0x200000000000")
    return args


def hugepage_files(prefix):
    return sorted(glob.glob(str(HUGE_DIR / f"{prefix}map_*")))


def cleanup_prefix(prefix):
    """Remove what EAL leaves for @prefix (runtime dir, hugepage files)."""
    shutil.rmtree(RUNTIME_DIR / prefix, ignore_errors=True)
    for f in hugepage_files(prefix):
        try:
            os.unlink(f)
        except FileNotFoundError:
            pass


class WaitTimeout(AssertionError):
    pass


class Proc:
    """A child process speaking the one-JSON-object-per-line protocol."""

    def __init__(self, name, argv, logdir, env=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.stderr_path = Path(logdir) / f"{name}.stderr.log"
        self.stdout_path = Path(logdir) / f"{name}.stdout.log"
        self._stderr = open(self.stderr_path, "wb")
        self._stdout_log = open(self.stdout_path, "w", buffering=1)
        self.lines = []        # parsed JSON objects, in order
        self.raw = []          # stdout lines that are not JSON
        self.eof = False
        self.cond = threading.Condition()
        self.started = time.monotonic()
        self.p = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self._stderr, env=env if env is not None else child_env(),
                                  start_new_session=True)
        self.pid = self.p.pid
        self._reader = threading.Thread(target=self._read, name=f"reader-{name}", daemon=True)
        self._reader.start()

    def __repr__(self):
        return f"<Proc {self.name} pid {self.pid} rc {self.p.returncode}>"

    def _read(self):
        for raw in iter(self.p.stdout.readline, b""):
            text = raw.decode("utf-8", "replace").rstrip("\n")
            self._stdout_log.write(text + "\n")
            try:
                obj = json.loads(text)
                if not isinstance(obj, dict):
                    raise ValueError
            except ValueError:
                with self.cond:
                    self.raw.append(text)
                    self.cond.notify_all()
                continue
            with self.cond:
                self.lines.append(obj)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    # -- state -------------------------------------------------------------

    @property
    def returncode(self):
        return self.p.poll()

    def alive(self):
        return self.p.poll() is None

    def events(self, ev):
        with self.cond:
            return [o for o in self.lines if o.get("ev") == ev]

    def last(self, ev):
        with self.cond:
            for o in reversed(self.lines):
                if o.get("ev") == ev:
                    return o
        return None

    def stderr_text(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def describe(self, tail=40):
        with self.cond:
            last = self.lines[-5:]
            raw = self.raw[-10:]
        err = self.stderr_text().splitlines()[-tail:]
        return (f"--- {self.name} (pid {self.pid}, returncode {self.p.poll()}) ---\n"
                f"argv: {shlex.join(self.argv)}\n"
                f"last JSON lines: {json.dumps(last)}\n"
                + (f"other stdout: {raw}\n" if raw else "")
                + "stderr tail:\n  " + "\n  ".join(err))

    # -- waiting -----------------------------------------------------------

    def wait_for(self, pred, timeout, what="condition"):
        """Poll @pred() until true or @timeout (scaled) elapses; returns its value."""
        deadline = time.monotonic() + scaled(timeout)
        with self.cond:
            while True:
                value = pred()
                if value:
                    return value
                now = time.monotonic()
                if now >= deadline:
                    break
                if self.eof and self.p.poll() is not None:
                    # Nothing more can arrive; one last look.
                    value = pred()
                    if value:
                        return value
                    raise WaitTimeout(f"{self.name} exited (returncode {self.p.returncode}) "
                                      f"while waiting for {what}\n{self.describe()}")
                self.cond.wait(min(0.05, deadline - now))
        raise WaitTimeout(f"timeout ({scaled(timeout):.1f}s) waiting for {what} "
                          f"from {self.name}\n{self.describe()}")

    def wait_line(self, match, timeout, start=0, what="line"):
        """First JSON line at index >= @start for which match(obj) is true."""
        def find():
            for o in self.lines[start:]:
                if match(o):
                    return o
            return None
        return self.wait_for(find, timeout, what)

    def wait_ev(self, ev, timeout, start=0, **fields):
        def match(o):
            return o.get("ev") == ev and all(o.get(k) == v for k, v in fields.items())
        return self.wait_line(match, timeout, start, what=f"{ev} {fields or ''}")

    def wait_ready(self, timeout=15):
        return self.wait_ev("ready", timeout)

    def wait_status(self, pred, timeout, what="status", start=None):
        """First status line (after now, or @start) satisfying pred(status)."""
        if start is None:
            start = self.mark()
        return self.wait_line(lambda o: o.get("ev") == "status" and pred(o), timeout, start,
                              what=what)

    def mark(self):
        with self.cond:
            return len(self.lines)

    def wait_exit(self, timeout):
        try:
            return self.p.wait(scaled(timeout))
        except subprocess.TimeoutExpired:
            raise WaitTimeout(f"{self.name} did not exit within {scaled(timeout):.1f}s\n"
                              f"{self.describe()}") from None

    # -- control -----------------------------------------------------------

    def send(self, cmd):
        self.p.stdin.write((cmd + "\n").encode())
        self.p.stdin.flush()

    def command(self, cmd, timeout=10):
        """Send @cmd and return its {"ev":"cmd"} answer."""
        start = self.mark()
        word = cmd.split()[0]
        self.send(cmd)
        return self.wait_line(lambda o: o.get("ev") == "cmd" and o.get("cmd") == word,
                              timeout, start, what=f"answer to '{cmd}'")

    def poll_command(self, cmd, pred, timeout, what=None, period=0.05):
        """Repeat @cmd until pred(answer) holds; returns that answer."""
        deadline = time.monotonic() + scaled(timeout)
        while True:
            ans = self.command(cmd, timeout)
            if pred(ans):
                return ans
            if time.monotonic() >= deadline:
                raise WaitTimeout(f"timeout waiting for {what or cmd} from {self.name}: "
                                  f"last answer {ans}\n{self.describe()}")
            time.sleep(period)

    def stop(self, timeout=20, check=True):
        """`stop`: returns the final report; checks exit code 0."""
        start = self.mark()
        self.send("stop")
        final = self.wait_ev("final", timeout, start)
        rc = self.wait_exit(timeout)
        if check:
            assert rc == 0, f"{self.name} exited {rc}\n{self.describe()}"
        return final

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def kill(self):
        """SIGKILL and reap."""
        if self.p.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.p.wait()

    def close_files(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self._reader.join(timeout=2)
        try:
            self.p.stdout.close()
        except OSError:
            pass
        self._stderr.close()
        self._stdout_log.close()


def terminate_all(procs, grace=GRACE_S):
    """SIGTERM every live child, SIGKILL what remains after @grace, reap all."""
    live = [p for p in procs if p.alive()]
    for p in live:
        try:
            os.killpg(p.pid, signal.SIGTERM)
            # A frozen one (freeze(): SIGSTOP) acts on SIGTERM only once running.
            os.killpg(p.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    for p in live:
        try:
            p.p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for p in procs:
        p.kill()
        p.close_files()


class Telemetry:
    """Minimal DPDK telemetry v2 client (stdlib only)."""

    def __init__(self, prefix, timeout=5.0):
        self.path = RUNTIME_DIR / prefix / "dpdk_telemetry.v2"
        deadline = time.monotonic() + scaled(timeout)
        while not self.path.exists():
            if time.monotonic() >= deadline:
                raise WaitTimeout(f"no telemetry socket at {self.path}")
            time.sleep(0.02)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(scaled(timeout))
        self.sock.connect(str(self.path))
        self.greeting = json.loads(self.sock.recv(65536).decode())
        self.max_len = int(self.greeting.get("max_output_len", 16384))
        # The process runs the DPDK the build was configured with.
        if DPDK.get("version"):
            assert self.greeting.get("version") == f"DPDK {DPDK['version']}", \
                (self.greeting, DPDK)

    def cmd(self, command, params=None):
        text = command if params is None else f"{command},{params}"
        self.sock.send(text.encode())
        reply = json.loads(self.sock.recv(self.max_len + 1024).decode())
        return reply.get(command, reply)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Cluster:
    """The processes of one test, sharing one EAL file prefix and one
    software VF instance (named after the prefix).

    @sim: MANA_SIM items added to the instance's (e.g. "down_ms=50" or
    "fn=...,faults=..." replacing the default function)."""

    def __init__(self, prefix, logdir):
        self.prefix = prefix
        self.logdir = Path(logdir)
        self.procs = []
        self.sim_items = [SIM_FN]
        self.sim_globals = []

    def set_sim(self, fn=None, extra=()):
        """Configure the VF before the first process starts: @fn replaces the
        default function's keys after its BDF (e.g. "queues=4,faults=..."),
        @extra adds global items (e.g. "down_ms=50", "wire=...")."""
        assert not self.procs, "set_sim() after a process started"
        if fn is not None:
            self.sim_items = [f"{SIM_FN},{fn}" if fn else SIM_FN]
        self.sim_globals = list(extra)

    @property
    def sim(self):
        return ";".join([f"instance={self.prefix}", *self.sim_globals, *self.sim_items])

    def env(self, extra=None):
        return child_env(extra, sim=self.sim)

    def spawn(self, name, argv, env=None):
        p = Proc(name, argv, self.logdir, env=env if env is not None else self.env())
        self.procs.append(p)
        return p

    def primary(self, devargs="", app_args=(), wait_ready=True, name="primary",
                device=DEVICE, eal_extra=()):
        dev = device + (f",{devargs}" if devargs else "")
        if isinstance(app_args, str):
            app_args = shlex.split(app_args)
        argv = [APP, *eal_args(self.prefix, 0, device=dev), *eal_extra, "--", *app_args]
        p = self.spawn(name, argv)
        if wait_ready:
            p.wait_ready()
        return p

    def secondary(self, k, app_args=(), wait_ready=True, name=None, device=DEVICE,
                  eal_extra=()):
        if isinstance(app_args, str):
            app_args = shlex.split(app_args)
        argv = [APP, *eal_args(self.prefix, k, secondary=True, device=device), *eal_extra,
                "--", *app_args]
        p = self.spawn(name or f"secondary{k}", argv)
        if wait_ready:
            p.wait_ready()
        return p

    def telemetry(self):
        return Telemetry(self.prefix)

    def sim_dir(self):
        return SIM_ROOT / self.prefix

    def teardown(self):
        terminate_all(self.procs)
        cleanup_prefix(self.prefix)
        sim_cleanup(self.prefix)

    def describe(self):
        return "\n".join(p.describe(tail=80) for p in self.procs)


def _prefix_for(node_name):
    base = re.sub(r"[^A-Za-z0-9]", "", node_name)[:16]
    return f"mt{os.getpid()}_{next(_prefix_counter)}_{base}"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request):
    for when in ("setup", "call"):
        rep = getattr(request.node, "rep_" + when, None)
        if rep is not None and rep.failed:
            return True
    return False


@pytest.fixture
def prefix(request):
    """A unique EAL file prefix, cleaned up after the test."""
    pfx = _prefix_for(request.node.name)
    cleanup_prefix(pfx)
    sim_cleanup(pfx)
    yield pfx
    cleanup_prefix(pfx)
    sim_cleanup(pfx)


@pytest.fixture
def cluster(request, prefix, tmp_path):
    c = Cluster(prefix, tmp_path)
    yield c
    failed = _failed(request)
    c.teardown()
    if failed:
        sys.stderr.write(f"\n===== process logs of {request.node.name} "
                         f"(kept in {tmp_path}) =====\n{c.describe()}\n")


def pytest_report_header(config):
    return [f"mana build: {BUILD} (sanitize={SANITIZE})"]


def pytest_collection_modifyitems(config, items):
    missing = [p for p in (APP,) if not Path(p).exists()]
    if missing:
        skip = pytest.mark.skip(reason=f"not built: {missing} (set MANA_BUILD)")
        for item in items:
            item.add_marker(skip)


# -- helpers shared by the tests ---------------------------------------------

def flows_by_queue(final):
    out = {}
    for f in final["flows"]:
        out.setdefault(f["q"], []).append(f)
    return out


def assert_clean_final(final, min_sent=1, allow_reorder=False):
    """Every flow sent something and arrived complete, once, in its queue."""
    assert final["flows"], f"no flows in {final}"
    for f in final["flows"]:
        tag = f"pid {final['pid']} q {f['q']} flow {f['flow']}: {f}"
        assert f["sent"] >= min_sent, tag
        assert f["lost"] == 0, tag
        assert f["unique"] == f["sent"], tag
        assert f["dup"] == 0, tag
        assert f["received"] == f["sent"], tag
        assert f["wrong_queue"] == 0, tag
        assert f["corrupt"] == 0, tag
        if not allow_reorder:
            assert f["reordered"] == 0, tag
    assert final["totals"]["bad"] == 0, final["totals"]


def assert_pools_full(pools, what=""):
    """Every mbuf back, once: "avail_raw" (mana-traffic's count of the pool's
    ring and caches, which rte_mempool_avail_count() caps at the size) shows
    an mbuf freed twice."""
    assert pools, f"no mempools reported {what}"
    for mp in pools:
        assert mp["avail"] == mp["size"], f"mempool {mp['name']} not full {what}: {mp}"
        assert mp.get("avail_raw", mp["size"]) == mp["size"], \
            f"mempool {mp['name']} holds more than its size {what}: {mp}"


# -- helpers of the reset tests (test_reset*.py) -------------------------------

RESET_EVENTS = ("ERR_RECOVERING", "RECOVERY_SUCCESS", "RECOVERY_FAILED", "INTR_RMV")
OK_PAIR = ["ERR_RECOVERING", "RECOVERY_SUCCESS"]      # a successful recovery
RATE = 20000          # packets per second per queue
DESC = 256            # ring size (Rx and Tx): the most rdma-core 44 takes
COMMON = f"--rate {RATE} --flows 2 --desc {DESC} --events"


def event_types(proc, start=0):
    """Types of the recovery events @proc printed (--events), in order."""
    with proc.cond:
        return [o["type"] for o in proc.lines[start:] if o.get("ev") == "event"]


def line_index(proc, obj):
    """Index of the JSON line @obj (identity) in @proc.lines."""
    with proc.cond:
        for i, o in enumerate(proc.lines):
            if o is obj:
                return i
    raise ValueError("line not found")


def wait_events(proc, types, timeout, start=0):
    """Wait until the event lines from @start begin with @types (a sequence);
    returns those event lines. Fails at once on an unexpected event."""
    types = list(types)

    def check():
        got = [o for o in proc.lines[start:] if o.get("ev") == "event"]
        seen = [o["type"] for o in got]
        if seen[:len(types)] != types[:len(seen)]:
            raise AssertionError(f"{proc.name}: events {seen}, expected {types}\n"
                                 f"{proc.describe()}")
        return got[:len(types)] if len(got) >= len(types) else None
    return proc.wait_for(check, timeout, what=f"events {types}")


def queue_rx(status, q):
    return status.get("queues", {}).get(str(q), {}).get("rx", 0)


def rx_before(proc, idx, q):
    """rx of queue @q in the last status line before line @idx (0 if none)."""
    with proc.cond:
        for o in reversed(proc.lines[:idx]):
            if o.get("ev") == "status":
                return queue_rx(o, q)
    return 0


def wait_rx_after(proc, queues, idx, n, timeout, what="traffic"):
    """First status line after line @idx in which every queue of @queues
    received at least @n more packets than in the last status line before
    @idx. Returns that status line."""
    base = {q: rx_before(proc, idx, q) for q in queues}
    return proc.wait_line(lambda o: o.get("ev") == "status" and
                          all(queue_rx(o, q) >= base[q] + n for q in queues),
                          timeout, idx, what=f"{what} on queues {list(queues)} "
                                             f"(+{n} after line {idx}, base {base})")


def tel_ok(tel, command, params):
    """A /mana_sim/* command that must succeed."""
    ans = tel.cmd(command, params)
    assert isinstance(ans, dict) and ans.get("result") == 0, f"{command},{params}: {ans}"
    return ans


def sim_reset(tel, down_ms):
    return tel_ok(tel, "/mana_sim/reset", f"{BDF},{down_ms}")


def mana_info(tel, port=0):
    return tel.cmd("/mana_mpr/info", str(port))


def mana_pages(tel, command, name, port=0):
    """Every entry of a paged /mana_mpr list (procs, queues) as {index: entry}:
    asks for the next page as long as a reply says it was truncated."""
    out, first = {}, 0
    while True:
        page = tel.cmd(command, f"{port},{first}")
        assert "error" not in page, page
        out.update({int(k): v for k, v in page[name].items()})
        if not page["truncated"]:
            # One page is one snapshot: it holds the whole list.
            assert first > 0 or len(out) == page["total"], page
            return out
        assert page["next"] > first, page
        first = page["next"]


def mana_procs(tel, port=0):
    """The registry as {pid: entry} (entry carries its "slot")."""
    return {e["pid"]: dict(e, slot=slot)
            for slot, e in mana_pages(tel, "/mana_mpr/procs", "procs", port).items()}


def mana_queues(tel, port=0):
    """Per-queue guard and counters as {queue id: entry}."""
    return mana_pages(tel, "/mana_mpr/queues", "queues", port)


def sim_info(tel):
    return tel_ok(tel, "/mana_sim/info", BDF)


def wait_until(pred, timeout, what="condition", period=0.01):
    """Poll @pred() (scaled @timeout); returns its first true value."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timeout ({scaled(timeout):.1f}s) waiting for {what}: "
                              f"last value {value!r}")
        time.sleep(period)


def start_procs(cluster, n_secs=2, queues=None, status_ms=50, devargs="", extra="",
                common=COMMON, wait=True, what="traffic before the reset"):
    """Primary (queue 0) + secondaries 1..@n_secs (queue k each) on a port of
    @queues queues (default: one per process), all running
    "@common --status-ms @status_ms @extra"; unless not @wait, wait for
    traffic on every queue. Returns [(proc, queue)], the primary first."""
    args = f"{common} --status-ms {status_ms} {extra}"
    # One queue per process, rounded up to the power of two the PMD needs.
    queues = 1 << n_secs.bit_length() if queues is None else queues
    pri = cluster.primary(devargs=devargs, app_args=f"--queues {queues} --own 0 {args}")
    procs = [(pri, 0)] + [(cluster.secondary(k, f"--own {k} {args}"), k)
                          for k in range(1, n_secs + 1)]
    if wait:
        for p, q in procs:
            wait_rx_after(p, [q], 0, RATE // 10, timeout=15, what=what)
    return procs


def check_final(final, resets, what=""):
    """Nothing but loss, and loss only of what the rings can hold per reset."""
    assert final["flows"], final
    bound = 2 * DESC * resets       # Tx ring + posted Rx buffers, per queue and reset
    per_q = {}
    for f in final["flows"]:
        tag = f"{what} pid {final['pid']} q {f['q']} flow {f['flow']}: {f}"
        assert f["dup"] == 0 and f["corrupt"] == 0 and f["wrong_queue"] == 0, tag
        assert f["reordered"] == 0 and f["too_old"] == 0, tag
        assert f["lost"] >= 0 and f["sent"] > 0 and f["unique"] > 0, tag
        per_q[f["q"]] = per_q.get(f["q"], 0) + f["lost"]
    for q, lost in per_q.items():
        assert lost <= bound, f"{what} queue {q} lost {lost} > {bound} for {resets} reset(s)"
    assert final["totals"]["bad"] == 0, final["totals"]
    return per_q


def stop_all(procs):
    """Secondaries first, the primary (last user: stops the port) last;
    returns {queue: final report}."""
    finals = {}
    for p, q in reversed(procs):
        finals[q] = p.stop()
    return finals


def marks_of(procs):
    """{name: mark()} of every (proc, queue) of @procs."""
    return {p.name: p.mark() for p, _ in procs}


def recovered(procs, marks, timeout=10, n=RATE // 100, events=OK_PAIR, rx_timeout=None,
              what="traffic after RECOVERY_SUCCESS"):
    """Every (proc, queue) of @procs printed exactly @events since @marks
    (within @timeout) and, after the last of them, received @n more packets
    on its queue (within @rx_timeout, default @timeout); returns
    {name: (events, first status with that traffic)}."""
    out = {}
    for p, q in procs:
        ev = wait_events(p, events, timeout, start=marks[p.name])
        st = wait_rx_after(p, [q], line_index(p, ev[-1]), n,
                           timeout if rx_timeout is None else rx_timeout, what=what)
        out[p.name] = (ev, st)
    return out


def wait_phase(tel, phase, timeout=5):
    """Wait until /mana_mpr/info shows reset phase @phase; returns that info."""
    return wait_until(lambda: (lambda i: i if i["phase"] == phase else None)(mana_info(tel)),
                      timeout, f"reset phase {phase}")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def freeze(proc):
    """SIGSTOP @proc and wait until every thread of it is stopped."""
    proc.signal(signal.SIGSTOP)

    def stopped():
        try:
            tids = os.listdir(f"/proc/{proc.pid}/task")
        except OSError:
            return False
        for t in tids:
            try:
                with open(f"/proc/{proc.pid}/task/{t}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] not in ("T", "t"):
                        return False
            except OSError:
                pass
        return True
    wait_until(stopped, 5, f"{proc.name} stopped")


def thaw(proc):
    proc.signal(signal.SIGCONT)


# -- gdb, for tests that hold one thread at a chosen point -------------------

needs_gdb = pytest.mark.skipif(shutil.which("gdb") is None, reason="needs gdb")


class Gdb:
    """gdb attached in non-stop mode to one process: a breakpoint stops only
    the thread that hits it, every other thread keeps running."""

    def __init__(self, pid, logdir):
        self.out = b""
        self.cond = threading.Condition()
        self.reader = None
        self.log = open(Path(logdir) / f"gdb-{pid}.log", "wb")
        try:
            self.p = subprocess.Popen(["gdb", "-q", "-nx", "-iex", "set debuginfod enabled off"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        except BaseException:
            self.log.close()
            raise
        try:
            reader = threading.Thread(target=self._read, daemon=True)
            reader.start()
            self.reader = reader
            for c in ("set pagination off", "set confirm off", "set non-stop on",
                      f"attach {pid}"):
                self.cmd(c)
            self.sync(60)
        except BaseException:
            self.close()        # the caller gets no object to close
            raise

    def _read(self):
        for chunk in iter(lambda: os.read(self.p.stdout.fileno(), 65536), b""):
            self.log.write(chunk)
            with self.cond:
                self.out += chunk
                self.cond.notify_all()

    def cmd(self, c):
        self.p.stdin.write((c + "\n").encode())
        self.p.stdin.flush()

    def mark(self):
        with self.cond:
            return len(self.out)

    def expect(self, text, timeout, start=0):
        deadline = time.monotonic() + scaled(timeout)
        with self.cond:
            while text.encode() not in self.out[start:]:
                left = deadline - time.monotonic()
                if left <= 0 or self.p.poll() is not None:
                    raise WaitTimeout(f"gdb: no '{text}' within {timeout} s:\n"
                                      f"{self.out[start:][-3000:].decode(errors='replace')}")
                self.cond.wait(min(left, 0.1))
            return self.out[start:].decode(errors="replace")

    def sync(self, timeout=10, start=None):
        """Every command sent so far has been executed; returns the output
        since @start (default: now)."""
        token = f"SYNC{time.monotonic_ns()}"
        m = self.mark() if start is None else start
        self.cmd(f"echo {token}\\n")
        return self.expect(token, timeout, m)

    def run_all(self, timeout=10):
        """Continue every stopped thread; return once all of them run."""
        deadline = time.monotonic() + scaled(timeout)
        while True:
            self.cmd("continue -a &")
            m = self.mark()
            self.cmd("info threads")
            out = self.sync(start=m)
            threads = [ln for ln in out.splitlines() if "Thread 0x" in ln]
            if threads and all(ln.rstrip().endswith("(running)") for ln in threads):
                return
            if time.monotonic() >= deadline:
                raise WaitTimeout(f"gdb: threads not all running:\n{out[-3000:]}")
            time.sleep(0.05)

    def close(self):
        if self.p.poll() is None:
            try:
                self.cmd("detach")
                self.cmd("quit")
                self.p.wait(scaled(10))
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
        if self.reader is not None:
            self.reader.join(2)
        self.p.stdin.close()
        self.p.stdout.close()
        self.log.close()
