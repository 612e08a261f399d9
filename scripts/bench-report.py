#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench's report: from the guest logs of scripts/guest-bench.sh, one
per measure (guest-icount.log: deterministic, guest time under QEMU's
-icount; guest-wall.log: wall clock), write bench.json, bench.md,
bench.svg, bench-scaling.svg, bench-plot.txt and profile.txt in OUT and
print the tables. The last line is the ratio line of the deterministic
measure (of the wall clock one if that is all there is).

  bench-report.py OUT KERNEL
"""
import json
import os
import re
import sys

MODES = ["stack", "xdp", "tc", "wg-go", "plain", "plain-xdp"]
MEASURES = [("icount", "deterministic: guest time under -icount, one "
             "instruction a nanosecond"),
            ("wall", "wall clock")]
GROUPS = [
    ("ChaCha20-Poly1305", r"^((__)?(chacha|poly1305|hchacha)|irq_fpu_usable|kernel_fpu|fpregs_|save_fpregs|restore_fpregs|sg_miter|sg_next)"),
    ("WireGuard kfuncs (and the RCU, BH, lock, clock, memset helpers)",
     r"(wg_|^lookup$|^ktime_get|^mod_timer|^__mod_timer|^timer_|^lock_timer|^sg_|^__memset|^memset|^_raw_spin|^__local_bh|^__rcu_read|^dev_get_by_index|^__udp4_lib_lookup|^udp4_lib_lookup2)"),
    ("BPF program and dispatch", r"^(bpf_prog_|bpf_dispatcher|bpf_xdp_adjust|bpf_xdp_redirect|bpf_redirect|xdp_do_redirect|bpf_check_mtu|bpf_xdp_check_mtu|bpf_xdp_load_bytes|bpf_xdp_store_bytes|bpf_skb_load_bytes|bpf_skb_store_bytes|bpf_csum_diff)"),
    ("FIB lookups", r"(fib)"),
]
REST = "rest: generator, veth, redirects, sink"


def parse(path):
    raw = open(path).read()
    accel = ("KVM" if re.search(r"booting \S+ \(kvm,", raw) else
             "QEMU TCG, -icount" if re.search(r"\(tcg-icount,", raw) else
             "QEMU TCG (emulated CPU)")
    samples, crypto, prof, callers, scale = {}, {}, {}, [], {}
    for line in raw.splitlines():
        f = line.split()
        if f and f[0] == "PROFILE-CALLERS":
            callers.append(line.split(" ", 1)[1] if " " in line else "")
        elif len(f) >= 4 and f[0] == "PROFILE":
            prof.setdefault(f[1], []).append(
                (float(f[2].rstrip("%")), " ".join(f[3:])))
        elif len(f) == 6 and f[0] == "BENCH":
            samples.setdefault(f[1], {}).setdefault(f[2], []).append({
                "pps": float(f[3]), "gbps": float(f[4]),
                "us_per_pkt": float(f[5])})
        elif len(f) == 7 and f[0] == "SCALE":
            scale.setdefault(f[1], {}).setdefault(f[3], {})[f[2]] = {
                "pps": float(f[4]), "gbps": float(f[5]),
                "us_per_pkt": float(f[6])}
        elif len(f) == 4 and f[0] == "CRYPTO":
            crypto[f[1]] = {"encrypt_ns": float(f[2]),
                            "lookups_ns": float(f[3]),
                            "crypto_ns": float(f[2]) - float(f[3])}
    res = {}
    # each load of each mode: the round with the median rate
    for m, loads in samples.items():
        for load, xs in loads.items():
            key = "pps" if load == "udp64" else "gbps"
            res.setdefault(m, {})[load] = sorted(
                xs, key=lambda x: x[key])[(len(xs) - 1) // 2]
    if not all(m in res and len(res[m]) == 3 for m in MODES) or \
       len(crypto) != 2:
        sys.exit("incomplete benchmark output in " + path)
    return {"accel": accel, "results": res, "samples": samples,
            "crypto": crypto, "profiles": prof, "callers": callers,
            "scaling": scale}


def ratio(a, b):
    return a / b if b else 0.0


def ratios(m):
    res, crypto = m["results"], m["crypto"]
    r = {
        "xdp/stack pps64": ratio(res["xdp"]["udp64"]["pps"],
                                 res["stack"]["udp64"]["pps"]),
        "xdp/stack gbps1400": ratio(res["xdp"]["udp1400"]["gbps"],
                                    res["stack"]["udp1400"]["gbps"]),
        "tc/stack pps64": ratio(res["tc"]["udp64"]["pps"],
                                res["stack"]["udp64"]["pps"]),
        "xdp/stack tcp": ratio(res["xdp"]["tcp"]["gbps"],
                               res["stack"]["tcp"]["gbps"]),
        "xdp/wg-go pps64": ratio(res["xdp"]["udp64"]["pps"],
                                 res["wg-go"]["udp64"]["pps"]),
    }
    # each packet is encrypted by one router and decrypted by the other
    limit = res["plain-xdp"]["udp64"]["us_per_pkt"] + \
        2 * crypto["64"]["crypto_ns"] / 1000
    r["xdp cpu/pkt vs plain-xdp + 2 crypto (64B)"] = ratio(
        res["xdp"]["udp64"]["us_per_pkt"], limit)
    return r


def breakdown(m, mode):
    res, prof = m["results"], m["profiles"]
    b = {g: 0.0 for g, _ in GROUPS}
    b[REST] = 0.0
    mm, load = (mode[:-4], "udp1400") if mode.endswith("1400") else \
        (mode, "udp64")
    us = res[mm][load]["us_per_pkt"]
    total = sum(p for p, _ in prof.get(mode, [])) or 100.0
    for p, sym in prof.get(mode, []):
        for g, rx in GROUPS:
            if re.search(rx, sym):
                b[g] += us * p / total
                break
        else:
            b[REST] += us * p / total
    return b


def table(name, what, m, kernel):
    res, crypto = m["results"], m["crypto"]
    rows = ["### %s (%s)" % (name, what), "",
            "| mode | 64 B UDP kpps | 1400 B UDP Gbit/s | TCP Gbit/s |"
            " CPU us/pkt (64 B) |",
            "|---|---:|---:|---:|---:|"]
    for mode in MODES:
        x = res[mode]
        rows.append("| %s | %.1f | %.3f | %.3f | %.2f |" % (
            mode, x["udp64"]["pps"] / 1e3, x["udp1400"]["gbps"],
            x["tcp"]["gbps"], x["udp64"]["us_per_pkt"]))
    rows.append("")
    rows.append("encrypt kfunc alone (BPF_PROG_TEST_RUN): 64 B %.0f ns, "
                "1400 B %.0f ns (lookups %.0f ns included)" % (
                    crypto["64"]["encrypt_ns"], crypto["1400"]["encrypt_ns"],
                    crypto["64"]["lookups_ns"]))
    rounds = min(len(x["udp64"]) for x in m["samples"].values()
                 if "udp64" in x)
    rows.append("machine: %s, 2 vCPUs; %s; %d round%s" % (
        m["accel"], kernel, rounds, "" if rounds == 1 else
        "s, the median"))
    split = {x: breakdown(m, x) for x in ("xdp", "plain-xdp", "xdp1400",
                                          "plain-xdp1400")
             if x in m["profiles"]}
    for size, sfx in (("64", ""), ("1400", "1400")):
        if "xdp" + sfx not in split or "plain-xdp" + sfx not in split:
            continue
        rows += ["", "CPU us per %s B packet by part (shares of each "
                 "mode's profile):" % size, "",
                 "| part | xdp | plain-xdp | xdp - plain-xdp |",
                 "|---|---:|---:|---:|"]
        for g in split["xdp" + sfx]:
            a, b = split["xdp" + sfx][g], split["plain-xdp" + sfx][g]
            rows.append("| %s | %.2f | %.2f | %+.2f |" % (g, a, b, a - b))
    m["cpu_split"] = split
    return rows


def scaling_rows(m):
    sc = m["scaling"]
    rows = []
    titles = {"netdevs": "netdevs in the routers' namespaces",
              "peers": "peers and AllowedIPs entries on router B",
              "size": "UDP packet size, bytes (9000: jumbo links)",
              "onequeue": "one tunnel on one receive queue of router B"}
    for axis in ("netdevs", "peers", "size", "onequeue"):
        if axis not in sc:
            continue
        modes = [x for x in ("stack", "xdp", "tc") if x in sc[axis]]
        values = sorted(sc[axis][modes[0]], key=int)
        rows += ["", "%s: CPU us per packet (and kpps)" % titles[axis], "",
                 "| %s | %s |" % (axis, " | ".join(modes)),
                 "|---:|" + "---:|" * len(modes)]
        for v in values:
            rows.append("| %s | %s |" % (v, " | ".join(
                "%.2f (%.1f)" % (sc[axis][x][v]["us_per_pkt"],
                                 sc[axis][x][v]["pps"] / 1e3)
                for x in modes)))
        if axis in ("netdevs", "peers"):
            for x in modes:
                us = [sc[axis][x][v]["us_per_pkt"] for v in values]
                rows.append("%s: %s from %s to %s: %+.1f %%" % (
                    x, axis, values[0], values[-1],
                    100 * ratio(us[-1] - us[0], us[0])))
    return rows


def plot(m, path):
    res, accel = m["results"], m["accel"]
    loads = [("udp64", "pps", "64 B UDP, packets/s"),
             ("udp1400", "gbps", "1400 B UDP, Gbit/s"),
             ("tcp", "gbps", "TCP stream, Gbit/s")]
    colors = {"stack": "#888", "xdp": "#2a7", "tc": "#27a", "wg-go": "#a27",
              "plain": "#ccc", "plain-xdp": "#a72"}
    w, h, pw = 1020, 320, 320
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (w, h),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="18" font-size="14">WireGuard fast path vs stack '
           '(%s; relative to stack = 1)</text>' % accel]
    text = []
    for i, (load, key, title) in enumerate(loads):
        x0 = 20 + i * (pw + 20)
        base = res["stack"][load][key] or 1
        vals = [res[x][load][key] / base for x in MODES]
        top = max(vals + [1]) * 1.15
        svg.append('<text x="%d" y="45">%s</text>' % (x0, title))
        text.append("%s, relative to the stack:" % title)
        for j, (x, v) in enumerate(zip(MODES, vals)):
            bh = (h - 110) * v / top
            bx = x0 + 10 + j * 50
            svg.append('<rect x="%d" y="%.1f" width="40" height="%.1f" '
                       'fill="%s"/>' % (bx, h - 50 - bh, bh, colors[x]))
            svg.append('<text x="%d" y="%.1f">%.2f</text>' % (
                bx + 4, h - 55 - bh, v))
            svg.append('<text x="%d" y="%d" font-size="10">%s</text>' % (
                bx, h - 35, x))
            text.append("  %-9s %-40s %5.2f" % (
                x, "#" * max(1, round(40 * v / max(vals))), v))
        text.append("")
    svg.append("</svg>")
    open(path, "w").write("\n".join(svg) + "\n")
    return text


def plot_scaling(m, path):
    sc = m["scaling"]
    axes = [a for a in ("netdevs", "peers", "size") if a in sc]
    if not axes:
        return
    w, h, pw = 1020, 300, 320
    colors = {"stack": "#888", "xdp": "#2a7"}
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (w, h),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="18" font-size="14">CPU us per packet (%s)</text>'
           % m["accel"]]
    for i, axis in enumerate(axes):
        x0 = 40 + i * (pw + 20)
        values = sorted(sc[axis]["stack"], key=int)
        top = max(sc[axis][x][v]["us_per_pkt"] for x in colors
                  for v in values if x in sc[axis]) * 1.15 or 1
        svg.append('<text x="%d" y="45">%s</text>' % (x0, axis))
        svg.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>' %
                   (x0, h - 40, x0 + pw - 20, h - 40))
        for x, c in colors.items():
            if x not in sc[axis]:
                continue
            pts = []
            for j, v in enumerate(values):
                px = x0 + j * (pw - 40) / max(1, len(values) - 1)
                py = h - 40 - (h - 100) * sc[axis][x][v]["us_per_pkt"] / top
                pts.append("%.1f,%.1f" % (px, py))
                svg.append('<text x="%.1f" y="%d" font-size="10">%s</text>' %
                           (px - 8, h - 25, v))
            svg.append('<polyline points="%s" fill="none" stroke="%s" '
                       'stroke-width="2"/>' % (" ".join(pts), c))
            svg.append('<text x="%d" y="%d" fill="%s">%s</text>' % (
                x0 + pw - 80, 60 + 14 * list(colors).index(x), c, x))
    svg.append("</svg>")
    open(path, "w").write("\n".join(svg) + "\n")


def main():
    out, kernel = sys.argv[1], sys.argv[2]
    measures = {}
    for name, _ in MEASURES:
        path = os.path.join(out, "guest-%s.log" % name)
        if os.path.exists(path):
            measures[name] = parse(path)
    if not measures:
        sys.exit("no benchmark output in " + out)
    rows, summary = [], {}
    for name, what in MEASURES:
        if name not in measures:
            continue
        m = measures[name]
        m["ratios"] = ratios(m)
        rows += table(name, what, m, kernel) + [""]
        summary[name] = m["ratios"]
    first = measures.get("icount") or measures["wall"]
    rows += ["### scaling (%s)" % first["accel"]] + scaling_rows(first)
    text = plot(first, os.path.join(out, "bench.svg"))
    plot_scaling(first, os.path.join(out, "bench-scaling.svg"))
    open(os.path.join(out, "bench-plot.txt"), "w").write("\n".join(text))
    prof = first["profiles"].get("xdp", [])
    open(os.path.join(out, "profile.txt"), "w").write(
        "".join("%.2f%% %s\n" % p for p in prof) + "\n" +
        "\n".join(first["callers"]) + "\n")
    json.dump({"kernel": kernel, "measures": measures},
              open(os.path.join(out, "bench.json"), "w"), indent=1)
    md = "\n".join(rows)
    open(os.path.join(out, "bench.md"), "w").write(md + "\n")
    print(md)
    print()
    print("\n".join(text))
    for name, r in summary.items():
        for k, v in r.items():
            print("  %-6s %-45s %.2f" % (name, k, v))
    print("results: %s/bench.{json,md,svg}, bench-scaling.svg, "
          "bench-plot.txt, profile.txt" % out)
    r = first["ratios"]
    print("ratio xdp/stack: pps64=%.2f gbps1400=%.2f; tc/stack: pps64=%.2f"
          % (r["xdp/stack pps64"], r["xdp/stack gbps1400"],
             r["tc/stack pps64"]))


main()
