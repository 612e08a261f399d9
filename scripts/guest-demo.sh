#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the scripts/vmtest.sh guest for make demo:
#
#   client --- router A ===(WireGuard over veth)=== router B --- server
#
# first with the routers' WireGuard traffic going through the stack, then
# with the reference XDP fast path (progs/wg_fastpath.c) attached on both
# routers with plain "ip link set ... xdp obj". Shows that the traffic
# took the fast path (program counters, wg show) and compares throughput.
#
#   guest-demo.sh SELFTESTS_DIR
set -eu
. "$(dirname "$0")/guest-topology.sh"

ST=$1
OBJ=$ST/wg_fastpath.bpf.o
BPFTOOL=$ST/tools/sbin/bpftool
KEYS=/tmp/demo-keys

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

throughput() {	# prints Mbit/s of a 4 s TCP stream client -> server
	ns server iperf3 -s -1 >/dev/null 2>&1 &
	sleep 1
	ns client iperf3 -c 10.2.0.2 -t 4 -J 2>/dev/null |
		python3 -c 'import json,sys
r = json.load(sys.stdin)
print(round(r["end"]["sum_received"]["bits_per_second"] / 1e6) if "sum_received" in r.get("end", {}) else "failed (" + r.get("error", "?") + ")")'
	wait
}

transfer() {
	ns ra wg show wg0 transfer | awk '{ printf "  router A: peer rx %s B, tx %s B\n", $2, $3 }'
}

main() {
	topology_setup "$KEYS"
	say "Stack path: ping through the tunnel (handshake by the stack)"
	ns client ping -c 3 -i 0.2 10.2.0.2
	transfer
	say "Stack path: TCP throughput client -> server"
	stack=$(throughput)
	echo "  ${stack} Mbit/s"

	say "Attaching the fast path: ip link set dev <if> xdp obj wg_fastpath.bpf.o program xdp_wg"
	for r in ra rb; do
		ip -n $r link set dev lan xdp obj "$OBJ" program xdp_wg
		ip -n $r link set dev wan xdp obj "$OBJ" program xdp_wg
	done
	# XDP_REDIRECT into a veth needs an XDP program on its peer
	ip -n client link set dev eth0 xdp obj "$OBJ" program xdp_pass
	ip -n server link set dev eth0 xdp obj "$OBJ" program xdp_pass
	ip -n ra -d link show lan | grep -o 'prog/xdp id [0-9]*' || true

	say "Fast path: ping through the tunnel"
	ns client ping -c 3 -i 0.2 10.2.0.2
	say "Fast path: TCP throughput client -> server"
	fast=$(throughput)
	echo "  ${fast} Mbit/s"

	say "Fast-path counters, per program instance (device: decrypted, then up the stack through the WireGuard device; pass_reason: why the last packet went to the stack)"
	"$(dirname "$0")/guest-fp-counters.py" "$BPFTOOL" |
		sed 's/^FP /  program /'
	say "wg show on router A (the fast path keeps it true)"
	ns ra wg show wg0
	say "Summary"
	echo "  TCP client -> server: stack ${stack} Mbit/s, XDP fast path ${fast} Mbit/s (QEMU TCG: compare the ratio, not the numbers)"
}

main "$@"
