#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""The burst guard adds no locked instruction and no fence.

mana-bench-guard compiles the PMD's own Rx/Tx burst bodies once per guard
(none, ours, cas, rcu). Disassemble them and count instructions that
serialise memory: lock-prefixed ones, xchg (implicitly locked with memory)
and fences. The guarded burst must have exactly as many as the unguarded
one (the store fence the WC doorbell needs is in both); the CAS and RCU
guards must show more, which proves the check can see them.
"""
import re
import subprocess
import sys

# lock prefix, fences, and xchg with a memory operand (implicitly locked;
# "xchg %ax,%ax" is a NOP and register swaps are not serialising).
HEAVY = re.compile(r"\block\b|\b[mls]fence\b|\bxchg\w*\s+[^,]*\(|\bxchg\w*\s+[^(]*,\s*\S*\(")
FUNC = re.compile(r"^[0-9a-f]+ <((rx|tx)_(none|ours|cas|rcu))(\.[^>]*)?>:$")


def functions(binary):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary],
                         capture_output=True, text=True, check=True).stdout
    funcs, name = {}, None
    for line in out.splitlines():
        m = FUNC.match(line)
        if m:
            name = m.group(1)
            funcs.setdefault(name, [])
        elif not line.strip():
            name = None
        elif name:
            funcs[name].append(line)
    return funcs


def main(binary):
    funcs = functions(binary)
    ok = True
    for kind in ("rx", "tx"):
        counts = {}
        for guard in ("none", "ours", "cas", "rcu"):
            body = funcs.get(f"{kind}_{guard}")
            if not body:
                print(f"{kind}_{guard}: not found in {binary}")
                return 1
            counts[guard] = sum(1 for line in body if HEAVY.search(line))
        print(f"{kind}: serialising instructions per burst function: {counts}")
        if counts["ours"] != counts["none"]:
            print(f"FAIL: the guard adds {counts['ours'] - counts['none']} to the {kind} burst")
            ok = False
        if counts["cas"] <= counts["none"] or counts["rcu"] <= counts["none"]:
            print(f"FAIL: the check does not see the CAS/RCU guards in {kind}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
