# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Coexistence with the in-tree net/mana that DPDK 24.11/25.11 packages
(Debian 13, Ubuntu) load from their plugin directory at EAL start: the two
drivers share no name, and a user who loads ours with `-d` (or links it)
gets the MANA function probed by ours.

The LTS builds of scripts/dpdk-lts.sh carry the in-tree net/mana, so on them
every test of the suite also runs beside it; these tests check the names
and the PCI probe order themselves. Debian 12's DPDK 22.11 is built without
net/mana: there is nothing to coexist with and the tests say so (skip)."""

import re
import subprocess
from pathlib import Path

import pytest

from conftest import (BDF, DEVICE, DPDK, DPDK_LIBDIR, PMD_DIR, SANITIZE, SIM_FN, child_env,
                      cleanup_prefix, sim_cleanup, stock_tool)

TESTPMD = stock_tool("dpdk-testpmd")


def in_tree_mana():
    """The in-tree net/mana of this build's DPDK, in EAL's plugin directory."""
    if not DPDK_LIBDIR:
        return None
    found = sorted(Path(DPDK_LIBDIR).glob("dpdk/pmds-*/librte_net_mana.so.*"))
    return found[0] if found else None


IN_TREE = in_tree_mana()

pytestmark = [
    pytest.mark.skipif(IN_TREE is None, reason=f"DPDK {DPDK.get('version')} has no in-tree "
                       "net/mana in its plugin directory (Debian 12 builds none)"),
    pytest.mark.skipif(SANITIZE, reason="a sanitizer-built PMD cannot load into the stock "
                       "(uninstrumented) testpmd"),
]

MANA_VF = BDF


def run_testpmd(tmp_path, name, eal, commands, timeout=60, check=True):
    """Stock testpmd of this build's DPDK on a software VF instance of its
    own, interactive, fed @commands; returns its combined output (with
    @check, after asserting it exited 0). The EAL prefix and the VF instance
    are removed whatever happens."""
    assert TESTPMD is not None, "dpdk-testpmd of this build's DPDK is missing"
    prefix = f"coex_{name}_{tmp_path.name[-8:]}"
    argv = [TESTPMD, "--lcores=0@0,1@1", f"--file-prefix={prefix}", *eal, "--", "-i",
            "--nb-cores=1"]
    env = child_env(sim=f"instance={prefix};{SIM_FN}")
    try:
        proc = subprocess.run(argv, input="\n".join(commands + ["quit"]) + "\n", env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout)
    finally:
        cleanup_prefix(prefix)
        sim_cleanup(prefix)
    (tmp_path / f"{name}.log").write_text(proc.stdout)
    if check:
        assert proc.returncode == 0, f"testpmd exited {proc.returncode}:\n{proc.stdout[-4000:]}"
    return proc.stdout


def log_types(output):
    """Log types registered in the process, in order: EAL logs each new one
    at lib.eal:debug ("<name> log level changed from disabled to <level>",
    lib/log/log.c); registering an existing name again logs nothing."""
    return re.findall(r"^EAL: ([\w.]+) log level changed from disabled to", output, re.M)


def test_names_do_not_clash(tmp_path):
    """Both drivers in one process: the in-tree one from the plugin directory,
    ours with -d. Each registers its own log types, ours serves its port."""
    out = run_testpmd(tmp_path, "names",
                      ["-a", DEVICE, "-d", "librte_net_mana_mpr.so",
                       "--log-level=lib.eal:debug"],
                      ["show port info 0"])
    assert re.search(r"open shared lib \S*librte_net_mana\.so\.\d+", out), \
        "EAL did not load the in-tree net/mana from its plugin directory"
    assert re.search(r"open shared lib \S*librte_net_mana_mpr\.so", out)
    types = log_types(out)
    for suffix in ("init", "driver"):
        assert f"pmd.net.mana.{suffix}" in types, "the in-tree driver's log types"
    for suffix in ("init", "driver", "mp", "reset"):
        assert f"pmd.net.mana_mpr.{suffix}" in types, types
    assert re.search(r"Driver name: net_mana_mpr", out), out[-3000:]


def test_exported_symbols_do_not_clash():
    """Ours exports only its rte_pmd_mana_mpr_* API (the in-tree driver of
    24.11 and 25.11 exports nothing), so no name of one can bind to the other."""
    def exports(lib):
        nm = subprocess.run(["nm", "-D", "--defined-only", str(lib)], check=True, text=True,
                            stdout=subprocess.PIPE).stdout
        return {ln.split()[-1] for ln in nm.splitlines()
                if len(ln.split()) == 3 and ln.split()[1] not in "Aa"}
    ours = exports(PMD_DIR / "librte_net_mana_mpr.so")
    theirs = exports(IN_TREE)
    assert ours and all(s.startswith("rte_pmd_mana_mpr_") for s in ours), sorted(ours)
    assert not ours & theirs


def pci_probes(output):
    """Drivers EAL's PCI bus handed the MANA VF to, in order."""
    return re.findall(r"Probe PCI driver: (\S+) \(1414:00ba\) device: " + re.escape(MANA_VF),
                      output)


def test_ours_takes_the_pci_device(tmp_path):
    """Loaded with -d, ours registers before the plugin directory is read, so
    EAL offers the MANA function to net_mana_mpr and never to the in-tree
    net_mana. Without -d the in-tree driver is the one asked (the control:
    the test tells the two apart)."""
    eal = ["-a", DEVICE, "--log-level=bus.pci:info"]
    out = run_testpmd(tmp_path, "with_d", ["-d", "librte_net_mana_mpr.so", *eal], [])
    assert pci_probes(out) == ["net_mana_mpr"], out[-3000:]
    out = run_testpmd(tmp_path, "without_d", eal, [], check=False)
    assert pci_probes(out) == ["net_mana"], out[-3000:]
