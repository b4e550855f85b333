#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""The PMD reaches the device only through rdma-core, and on the software VF
no real libibverbs/libmana code runs on an emulated context:

  - every ibv_*/manadv_* symbol the PMD imports (nm -D -u) is exported by
    libmana_sim.so, so the preloaded library interposes each of them (the
    verbs that are static inlines in <infiniband/verbs.h> dispatch through
    the context's ops, which the VF fills: the suite exercises those);
  - the PMD library neither needs nor names the device model (no NEEDED
    entry, no mana_sim symbol);
  - libmana_sim.so exports nothing but the verbs, the libmana calls, its
    own mana_sim_* API, ioctl, mmap, and socket and bind (the uevent
    socket, vf_uevent.c); its internals are hidden.

Usage: check_vf_symbols.py <librte_net_mana_mpr.so> <libmana_sim.so>
"""
import re
import subprocess
import sys


def nm(lib, *opts):
    out = subprocess.run(["nm", "-D", *opts, lib], check=True, text=True,
                         stdout=subprocess.PIPE).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            name = parts[-1].split("@")[0]
            syms[name] = parts[-2]
    return syms


def main():
    pmd, sim = sys.argv[1], sys.argv[2]
    failures = []
    imported = {s for s in nm(pmd, "-u") if re.match(r"(ibv|manadv)_", s)}
    exported = {s for s, t in nm(sim, "--defined-only").items() if t in "TtWwDdBb"}
    if not imported:
        failures.append(f"{pmd} imports no ibv_/manadv_ symbol: wrong library?")
    missing = sorted(imported - exported)
    if missing:
        failures.append(f"imported by the PMD, not provided by the VF: {missing}")
    # (__gcov_* and mangle_path: libgcov's, in a coverage build.)
    allowed = re.compile(r"^(ibv_|manadv_|mana_sim_|ioctl$|mmap$|mmap64$|socket$|bind$|_init$|_fini$|__gcov_|"
                         r"mangle_path$)")
    extra = sorted(s for s in exported if not allowed.match(s))
    if extra:
        failures.append(f"libmana_sim.so exports internals: {extra}")
    needed = subprocess.run(["readelf", "-d", pmd], check=True, text=True,
                            stdout=subprocess.PIPE).stdout
    if "mana_sim" in needed:
        failures.append(f"{pmd} needs the device model:\n{needed}")
    if any("mana_sim" in s for s in nm(pmd)):
        failures.append(f"{pmd} names a mana_sim symbol")
    print(f"PMD imports {len(imported)} verbs symbols, all provided: {sorted(imported)}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
