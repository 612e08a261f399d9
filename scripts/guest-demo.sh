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

ST=$1
OBJ=$ST/wg_fastpath.bpf.o
BPFTOOL=$ST/tools/sbin/bpftool
KEYS=/tmp/demo-keys

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ns() { local n=$1; shift; ip netns exec "$n" "$@"; }

link() {	# link NS1 DEV1 ADDR1 NS2 DEV2 ADDR2
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

wg_dev() {	# wg_dev NS DEV KEYFILE PORT ADDR PEERKEY ALLOWED ENDPOINT
	ip -n "$1" link add "$2" type wireguard
	ns "$1" wg set "$2" private-key "$3" listen-port "$4" \
		peer "$6" allowed-ips "$7" endpoint "$8"
	ip -n "$1" addr add "$5" dev "$2"
	ip -n "$1" link set "$2" up
}

setup() {
	local n

	for n in client ra rb server; do
		ip netns add "$n"
		ip -n "$n" link set lo up
	done
	mkdir -p -m 700 "$KEYS"
	(umask 077; wg genkey >"$KEYS/a"; wg genkey >"$KEYS/b")
	link client eth0 10.1.0.2/24 ra lan 10.1.0.1/24
	link ra wan 172.16.0.1/24 rb wan 172.16.0.2/24
	link rb lan 10.2.0.1/24 server eth0 10.2.0.2/24
	for n in ra rb; do
		ns "$n" sysctl -qw net.ipv4.ip_forward=1
	done
	# veth hands XDP the packets of local sockets with their checksums
	# left to offload (CHECKSUM_PARTIAL): have the end hosts finish them
	ns client ethtool -K eth0 tx off >/dev/null
	ns server ethtool -K eth0 tx off >/dev/null
	ip -n client route add default via 10.1.0.1
	ip -n server route add default via 10.2.0.1
	wg_dev ra wg0 "$KEYS/a" 51820 10.99.0.1/24 "$(wg pubkey <"$KEYS/b")" \
		10.99.0.2/32,10.2.0.0/24 172.16.0.2:51820
	wg_dev rb wg0 "$KEYS/b" 51820 10.99.0.2/24 "$(wg pubkey <"$KEYS/a")" \
		10.99.0.1/32,10.1.0.0/24 172.16.0.1:51820
	ip -n ra route add 10.2.0.0/24 dev wg0
	ip -n rb route add 10.1.0.0/24 dev wg0
}

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
	setup
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

	say "Fast-path counters (per program instance: encrypted, decrypted, keepalive, pass, error)"
	"$BPFTOOL" map list 2>/dev/null | awk '/name wg_fp_stats/ { sub(":", "", $1); print $1 }' |
	while read -r id; do
		"$BPFTOOL" map dump id "$id" -j 2>/dev/null | python3 -c '
import json, sys
rows = json.load(sys.stdin)
def num(v):
    if isinstance(v, list):
        return int.from_bytes(bytes(int(b, 16) for b in v), "little")
    return int(v)
tot = [sum(num(v["value"]) for v in r["values"]) for r in rows]
print("  map %s: encrypted %d, decrypted %d, keepalive %d, pass %d, error %d" % tuple(["'"$id"'"] + tot))'
	done
	say "wg show on router A (the fast path keeps it true)"
	ns ra wg show wg0
	say "Summary"
	echo "  TCP client -> server: stack ${stack} Mbit/s, XDP fast path ${fast} Mbit/s (QEMU TCG: compare the ratio, not the numbers)"
}

main "$@"
