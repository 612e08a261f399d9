#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# Counters of every loaded instance of the reference fast path
# (progs/wg_fastpath.c: xdp_wg, tc_wg), for the guest scripts:
#
#   guest-fp-counters.py BPFTOOL          one line per program instance
#   guest-fp-counters.py BPFTOOL --sum    "encrypted decrypted" of all
#
# A line: "FP <prog id> <name> encrypted N decrypted N keepalive N pass N
# error N device N pass_reason N last_encrypt_err N last_decrypt_err N".
# pass_reason is enum wg_fp_pass of the program: why the last packet it
# gave the stack was not encrypted.
import json
import subprocess
import sys

NAMES = ("encrypted", "decrypted", "keepalive", "pass", "error", "device")
GLOBALS = ("pass_reason", "last_encrypt_err", "last_decrypt_err")


def bpftool(*args):
    out = subprocess.run([BPFTOOL, "-j", *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else []


def num(val):
    if isinstance(val, list):
        return int.from_bytes(bytes(int(b, 16) for b in val), "little")
    return int(val)


def stats(map_id):
    rows = bpftool("map", "dump", "id", str(map_id))
    return [sum(num(v["value"]) for v in r["values"]) for r in rows]


def globals_of(map_id):
    found = {}

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k in GLOBALS and isinstance(v, int):
                    found[k] = v
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk([r.get("formatted", {}) for r in bpftool("map", "dump", "id",
                                                  str(map_id))])
    return found


def main():
    maps = {m["id"]: m.get("name", "") for m in bpftool("map", "show")}
    lines, total = [], [0, 0]
    for prog in bpftool("prog", "show"):
        if prog.get("name") not in ("xdp_wg", "tc_wg"):
            continue
        counts, glob = [0] * len(NAMES), {}
        for map_id in prog.get("map_ids", []):
            name = maps.get(map_id, "")
            if name == "wg_fp_stats":
                counts = (stats(map_id) + counts)[:len(NAMES)]
            elif name.endswith(".bss"):
                glob = globals_of(map_id)
        total[0] += counts[0]
        total[1] += counts[1]
        lines.append("FP %d %s %s %s" % (
            prog["id"], prog["name"],
            " ".join("%s %d" % kv for kv in zip(NAMES, counts)),
            " ".join("%s %d" % (g, glob.get(g, 0)) for g in GLOBALS)))
    if "--sum" in sys.argv[2:]:
        print("%d %d" % tuple(total))
    elif lines:
        print("\n".join(lines))


BPFTOOL = sys.argv[1]
main()
