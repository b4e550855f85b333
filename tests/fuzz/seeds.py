#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
"""Write the seed corpora of fuzz_mp (OUT/primary, OUT/secondary): one
well-formed message of every type of drivers/net/mana/mp/mana_mp_msg.h for
the side that receives it, with the right fd count."""
import os
import re
import struct
import sys

MSG_H = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "drivers", "net",
                     "mana", "mp", "mana_mp_msg.h")
MAGIC = 0x414E414D
with open(MSG_H) as _f:
    VERSION = int(re.search(r"#define MANA_MP_VERSION\s+(\d+)", _f.read())[1])
ATTACH, DETACH, REG_MR, START, STOP, UNMAP, REMAP, PORT_CLOSED, EVENT, ACK, DEREG_MR = range(1, 12)


def hdr(mtype, port=0, pid=1, seq=1, gen=1, result=0):
    return struct.pack("<IHHHHiIIiI", MAGIC, VERSION, mtype, port, 0, pid, seq, gen, result, 0)


def main(out):
    os.makedirs(out, exist_ok=True)
    pid = os.getpid()
    seeds = {
        "attach": (2, 0, hdr(ATTACH, pid=pid) + struct.pack("<Q", 12345)),
        "detach": (2, 0, hdr(DETACH, pid=pid) + struct.pack("<iI", 1, 0)),
        "reg_mr": (2, 0, hdr(REG_MR, pid=pid) + struct.pack("<QQ", 0x100000000, 4096)),
        "dereg_mr": (2, 0, hdr(DEREG_MR, pid=pid) + struct.pack("<QQ", 0x100000000, 4096)),
        "ack": (2, 0, hdr(ACK, pid=pid) + struct.pack("<HHi", UNMAP, 0, 1)),
        "start": (1, 0, hdr(START) + struct.pack("<II", 262144, 0)),
        "stop": (1, 0, hdr(STOP) + struct.pack("<II", 262144, 0)),
        "unmap": (1, 0, hdr(UNMAP, gen=1) + struct.pack("<II", 262144, 0)),
        "remap": (1, 1, hdr(REMAP, gen=2) + struct.pack("<II", 262144, 0)),
        "port_closed": (1, 0, hdr(PORT_CLOSED) + struct.pack("<II", 262144, 0)),
        "event": (1, 0, hdr(EVENT) + struct.pack("<II", 12, 0)),
        "garbage": (0, 1, b"\x00" * 8),
    }
    for name, (side, nfds, param) in seeds.items():
        d = os.path.join(out, "secondary" if side & 1 else "primary")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as f:
            f.write(bytes([side & ~1, nfds]) + param)


if __name__ == "__main__":
    main(sys.argv[1])
