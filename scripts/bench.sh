#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: build the patched kernel (WireGuard =m) and the BPF
# objects, run scripts/guest-bench.sh in one VM, and report: a table, a
# JSON file and an SVG plot in $WG_CACHE/bench/, and as the last line
# the ratios of the fast paths to the stack measured in that one run.
# The VM boots a bench kernel: the =m test kernel without lockdep and
# the other lock checkers (scripts/configs/bench.config), in a build
# directory of its own. WG_BENCH_KERNEL=test boots the test kernel
# instead. The BPF objects are the test kernel's (CO-RE).
set -eu
. "$(dirname "$0")/lib.sh"

OUT=$WG_CACHE/bench
BENCH_BUILD=$WG_CACHE/$WG_TREE_NAME/build-bench

build() {
	"$WG_TOP/scripts/setup-host.sh"
	"$WG_TOP/scripts/get-kernel.sh"
	"$WG_TOP/scripts/apply-series.sh"
	WG_VARIANT=m "$WG_TOP/scripts/configure.sh"
	stage "building the kernel and the BPF objects (logs in $WG_CACHE/logs)"
	mkdir -p "$WG_CACHE/logs"
	WG_VARIANT=m "$WG_TOP/scripts/build-kernel.sh" \
		>"$WG_CACHE/logs/bench-build.log" 2>&1 ||
		{ tail -n 30 "$WG_CACHE/logs/bench-build.log"; die "kernel build failed"; }
	WG_VARIANT=m "$WG_TOP/scripts/build-selftests.sh" \
		>"$WG_CACHE/logs/bench-selftests.log" 2>&1 ||
		{ tail -n 30 "$WG_CACHE/logs/bench-selftests.log"; die "selftests build failed"; }
	[ "${WG_BENCH_KERNEL:-bench}" = bench ] || return 0
	WG_VARIANT=m WG_BUILD=$BENCH_BUILD WG_CONFIG_EXTRA=bench \
		"$WG_TOP/scripts/configure.sh"
	stage "building the bench kernel (log: $WG_CACHE/logs/bench-kernel.log)"
	WG_VARIANT=m WG_BUILD=$BENCH_BUILD "$WG_TOP/scripts/build-kernel.sh" \
		>"$WG_CACHE/logs/bench-kernel.log" 2>&1 ||
		{ tail -n 30 "$WG_CACHE/logs/bench-kernel.log"; die "bench kernel build failed"; }
	grep -q '^CONFIG_LOCKDEP=y' "$BENCH_BUILD/.config" &&
		die "the bench kernel has lockdep"
	return 0
}

report() {
	python3 - "$OUT" "$1" <<'PY'
import json, os, re, sys

out, kernel = sys.argv[1], sys.argv[2]
raw = open(os.path.join(out, "guest.log")).read()
accel = "KVM" if re.search(r"booting \S+ \(kvm,", raw) else "QEMU TCG (emulated CPU)"
res, samples, crypto, prof, callers = {}, {}, {}, {}, []
for line in raw.splitlines():
    f = line.split()
    if f and f[0] == "PROFILE-CALLERS":
        callers.append(line.split(" ", 1)[1] if " " in line else "")
        continue
    if len(f) >= 4 and f[0] == "PROFILE":
        prof.setdefault(f[1], []).append((float(f[2].rstrip("%")), " ".join(f[3:])))
        continue
    if len(f) == 6 and f[0] == "BENCH":
        samples.setdefault(f[1], {}).setdefault(f[2], []).append({
            "pps": float(f[3]), "gbps": float(f[4]), "us_per_pkt": float(f[5])})
    elif len(f) == 4 and f[0] == "CRYPTO":
        crypto[f[1]] = {"encrypt_ns": float(f[2]), "lookups_ns": float(f[3]),
                        "crypto_ns": float(f[2]) - float(f[3])}
# each load of each mode: the round with the median rate
for m, loads_ in samples.items():
    for load, xs in loads_.items():
        key = "pps" if load == "udp64" else "gbps"
        res.setdefault(m, {})[load] = sorted(xs, key=lambda x: x[key])[(len(xs) - 1) // 2]
modes = ["stack", "xdp", "tc", "plain", "plain-xdp"]
if not all(m in res and len(res[m]) == 3 for m in modes) or len(crypto) != 2:
    sys.exit("incomplete benchmark output")

def ratio(a, b):
    return a / b if b else 0.0

r = {
    "xdp/stack pps64": ratio(res["xdp"]["udp64"]["pps"], res["stack"]["udp64"]["pps"]),
    "xdp/stack gbps1400": ratio(res["xdp"]["udp1400"]["gbps"], res["stack"]["udp1400"]["gbps"]),
    "tc/stack pps64": ratio(res["tc"]["udp64"]["pps"], res["stack"]["udp64"]["pps"]),
    "xdp/stack tcp": ratio(res["xdp"]["tcp"]["gbps"], res["stack"]["tcp"]["gbps"]),
}
# each packet is encrypted by one router and decrypted by the other
limit = res["plain-xdp"]["udp64"]["us_per_pkt"] + 2 * crypto["64"]["crypto_ns"] / 1000
r["xdp cpu/pkt vs plain-xdp + 2 crypto (64B)"] = ratio(res["xdp"]["udp64"]["us_per_pkt"], limit)
profile = prof.get("xdp", [])

# Where the XDP fast path's CPU time per packet goes, next to plain XDP
# forwarding: each profile's shares of that mode's measured us/pkt
groups = [
    ("ChaCha20-Poly1305", r"^((__)?(chacha|poly1305|hchacha)|irq_fpu_usable|kernel_fpu|fpregs_|save_fpregs|restore_fpregs|sg_miter|sg_next)"),
    ("WireGuard kfuncs (and the RCU, BH, lock, clock, memset helpers)",
     r"(wg_|^lookup$|^ktime_get|^mod_timer|^__mod_timer|^timer_|^lock_timer|^sg_|^__memset|^memset|^_raw_spin|^__local_bh|^__rcu_read|^dev_get_by_index)"),
    ("BPF program and dispatch", r"^(bpf_prog_|bpf_dispatcher|bpf_xdp_adjust|bpf_xdp_redirect|bpf_redirect|xdp_do_redirect|bpf_check_mtu|bpf_xdp_check_mtu)"),
    ("FIB lookups", r"(fib)"),
]
def breakdown(mode):
    b = {g: 0.0 for g, _ in groups}
    b["rest: generator, veth, redirects, sink"] = 0.0
    m, load = (mode[:-4], "udp1400") if mode.endswith("1400") else (mode, "udp64")
    us = res[m][load]["us_per_pkt"]
    total = sum(p for p, _ in prof.get(mode, [])) or 100.0
    for p, sym in prof.get(mode, []):
        for g, rx in groups:
            if re.search(rx, sym):
                b[g] += us * p / total
                break
        else:
            b["rest: generator, veth, redirects, sink"] += us * p / total
    return b
split = {m: breakdown(m) for m in ("xdp", "plain-xdp", "xdp1400", "plain-xdp1400") if m in prof}
open(os.path.join(out, "profile.txt"), "w").write(
    "".join("%.2f%% %s\n" % p for p in profile) + "\n" + "\n".join(callers) + "\n")
json.dump({"accel": accel, "kernel": kernel, "results": res, "samples": samples,
           "crypto": crypto, "ratios": r,
           "profiles": prof, "cpu_split": split},
          open(os.path.join(out, "bench.json"), "w"), indent=1)

rows = ["| mode | 64 B UDP kpps | 1400 B UDP Gbit/s | TCP Gbit/s | CPU us/pkt (64 B) |",
        "|---|---:|---:|---:|---:|"]
for m in modes:
    x = res[m]
    rows.append("| %s | %.1f | %.3f | %.3f | %.2f |" % (
        m, x["udp64"]["pps"] / 1e3, x["udp1400"]["gbps"], x["tcp"]["gbps"],
        x["udp64"]["us_per_pkt"]))
rows.append("")
rows.append("encrypt kfunc alone (BPF_PROG_TEST_RUN): 64 B %.0f ns, 1400 B %.0f ns"
            " (lookups %.0f ns included)" % (crypto["64"]["encrypt_ns"],
            crypto["1400"]["encrypt_ns"], crypto["64"]["lookups_ns"]))
rounds = min(len(l["udp64"]) for l in samples.values() if "udp64" in l)
rows.append("machine: %s, 2 vCPUs; %s; one run, compare ratios (UDP: the median"
            " of %d rounds of all modes in turn)" % (accel, kernel, rounds))
if profile:
    rows.append("")
    rows.append("profile, 64 B UDP through the XDP fast path (perf, all CPUs):")
    rows.append("")
    rows.append("| CPU time | symbol |")
    rows.append("|---:|---|")
    rows += ["| %.2f%% | `%s` |" % p for p in profile[:15]]
for size, sfx in (("64", ""), ("1400", "1400")):
    if "xdp" + sfx not in split or "plain-xdp" + sfx not in split:
        continue
    rows.append("")
    rows.append("CPU us per %s B packet by part (shares of each mode's profile):" % size)
    rows.append("")
    rows.append("| part | xdp | plain-xdp | xdp - plain-xdp |")
    rows.append("|---|---:|---:|---:|")
    for g in split["xdp" + sfx]:
        a, b = split["xdp" + sfx][g], split["plain-xdp" + sfx][g]
        rows.append("| %s | %.2f | %.2f | %+.2f |" % (g, a, b, a - b))
table = "\n".join(rows)
open(os.path.join(out, "bench.md"), "w").write(table + "\n")

# plot: one panel per load, a bar per mode, relative to the stack
loads = [("udp64", "pps", "64 B UDP, packets/s"),
         ("udp1400", "gbps", "1400 B UDP, Gbit/s"),
         ("tcp", "gbps", "TCP stream, Gbit/s")]
colors = {"stack": "#888", "xdp": "#2a7", "tc": "#27a", "plain": "#ccc", "plain-xdp": "#a72"}
w, h, pw = 900, 320, 280
svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (w, h),
       '<rect width="100%" height="100%" fill="white"/>',
       '<text x="10" y="18" font-size="14">WireGuard fast path vs stack (%s; relative to stack = 1)</text>' % accel]
for i, (load, key, title) in enumerate(loads):
    x0 = 20 + i * (pw + 20)
    base = res["stack"][load][key] or 1
    vals = [res[m][load][key] / base for m in modes]
    top = max(vals + [1]) * 1.15
    svg.append('<text x="%d" y="45">%s</text>' % (x0, title))
    for j, (m, v) in enumerate(zip(modes, vals)):
        bh = (h - 110) * v / top
        bx = x0 + 10 + j * 52
        svg.append('<rect x="%d" y="%.1f" width="40" height="%.1f" fill="%s"/>' % (bx, h - 50 - bh, bh, colors[m]))
        svg.append('<text x="%d" y="%.1f">%.2f</text>' % (bx + 4, h - 55 - bh, v))
        svg.append('<text x="%d" y="%d" font-size="10">%s</text>' % (bx, h - 35, m))
svg.append("</svg>")
open(os.path.join(out, "bench.svg"), "w").write("\n".join(svg) + "\n")

# the same plot in text, for the cover letter
plot = []
for load, key, title in loads:
    base = res["stack"][load][key] or 1
    vals = [(m, res[m][load][key] / base) for m in modes]
    top = max(v for _, v in vals) or 1
    plot.append("%s, relative to the stack:" % title)
    for m, v in vals:
        plot.append("  %-9s %-40s %5.2f" % (m, "#" * max(1, round(40 * v / top)), v))
    plot.append("")
open(os.path.join(out, "bench-plot.txt"), "w").write("\n".join(plot))

print(table)
print()
print("\n".join(plot))
for k, v in r.items():
    print("  %-45s %.2f" % (k, v))
print("results: %s/bench.{json,md,svg}, bench-plot.txt, profile.txt" % out)
print("ratio xdp/stack: pps64=%.2f gbps1400=%.2f; tc/stack: pps64=%.2f" % (
    r["xdp/stack pps64"], r["xdp/stack gbps1400"], r["tc/stack pps64"]))
PY
}

main() {
	local build=$WG_BUILD_M kernel="test kernel (lockdep on)"

	build
	if [ "${WG_BENCH_KERNEL:-bench}" = bench ]; then
		build=$BENCH_BUILD
		kernel="bench kernel (no lockdep)"
	fi
	mkdir -p "$OUT"
	stage "running the benchmark in the VM, $kernel (log: $OUT/guest.log)"
	WG_VARIANT=m WG_BUILD=$build "$WG_TOP/scripts/vmtest.sh" --timeout 1800 -- \
		"$WG_TOP/scripts/guest-bench.sh" "$WG_SELFTESTS" "$@" \
		2>&1 | tr -d '\r' >"$OUT/guest.log" ||
		{ tail -n 40 "$OUT/guest.log"; die "benchmark run failed"; }
	[ $# = 0 ] || { cat "$OUT/guest.log"; return 0; }
	report "$kernel"
}

main "$@"
