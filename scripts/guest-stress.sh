#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the scripts/vmtest.sh guest: the fast path under load while
# everything it depends on changes under it.
#
#   client --- router A ===(WireGuard over veth)=== router B --- server
#
# UDP (pktgen) and pings client -> server through the XDP fast path on both
# routers for WG_STRESS_SECS (60) seconds, and at the same time, each in
# a loop of its own: forced rekeys (router A forgets router B and sends
# again), peer removal and re-adding, endpoint changes, AllowedIPs
# changes, deletion and re-creation of router B's device, detach and
# attach of the programs (XDP, then TC, and back), and attempts to unload
# the wireguard module. Afterwards everything is torn down and, with
# WireGuard built as a module, the module must unload: a device or peer
# reference the kfuncs leaked would keep it (or a netdev) busy. The
# kernel log is checked by vmtest.sh. Prints "WGTEST stress PASS|FAIL".
#
#   guest-stress.sh SELFTESTS_DIR
set -eu
. "$(dirname "$0")/guest-topology.sh"

ST=$1
OBJ=$ST/wg_fastpath.bpf.o
BPFTOOL=$ST/tools/sbin/bpftool
KEYS=/tmp/stress-keys
SECS=${WG_STRESS_SECS:-60}
OPS=/tmp/stress-ops
failed=0

say() { printf '== %s\n' "$*"; }

fail() {
	echo "stress: FAIL: $*"
	failed=1
}

op() {	# count one operation of kind $1
	echo "$1" >>"$OPS"
}

for_secs() {	# for_secs CMD...: run CMD again and again for SECS seconds
	local end=$(($(date +%s) + SECS))

	while [ "$(date +%s)" -lt "$end" ]; do
		"$@" || true
	done
}

pub() { wg pubkey <"$KEYS/$1"; }

xdp_on() {	# xdp_on ROUTER
	ip -n "$1" link set dev lan xdp obj "$OBJ" program xdp_wg
	ip -n "$1" link set dev wan xdp obj "$OBJ" program xdp_wg
}

xdp_off() {
	ip -n "$1" link set dev lan xdp off
	ip -n "$1" link set dev wan xdp off
}

tc_on() {
	local d

	for d in lan wan; do
		tc -n "$1" qdisc add dev $d clsact
		tc -n "$1" filter add dev $d ingress bpf da obj "$OBJ" sec tc
	done
}

tc_off() {
	tc -n "$1" qdisc del dev lan clsact 2>/dev/null || true
	tc -n "$1" qdisc del dev wan clsact 2>/dev/null || true
}

rekey() {	# router A forgets router B: a new handshake on the next packet
	ns ra wg set wg0 peer "$(pub b)" remove
	ns ra wg set wg0 peer "$(pub b)" allowed-ips 10.99.0.2/32,10.2.0.0/24 \
		endpoint 172.16.0.2:51820
	op rekey
	sleep 0.5
}

endpoint() {	# router B answers from a second address, and back
	ns ra wg set wg0 peer "$(pub b)" endpoint 172.16.0.3:51820
	op endpoint
	sleep 0.3
	ns ra wg set wg0 peer "$(pub b)" endpoint 172.16.0.2:51820
	op endpoint
	sleep 0.3
}

allowedips() {	# router B's AllowedIPs shrink and grow again
	ns rb wg set wg0 peer "$(pub a)" allowed-ips 10.99.0.1/32,10.1.0.0/25 \
		2>/dev/null
	op allowedips
	sleep 0.2
	ns rb wg set wg0 peer "$(pub a)" allowed-ips 10.99.0.1/32,10.1.0.0/24 \
		2>/dev/null
	op allowedips
	sleep 0.4
}

recreate() {	# router B's device goes away and comes back
	ip -n rb link del wg0
	op device-delete
	sleep 0.2
	wg_dev rb "$KEYS/b" 10.99.0.2/24 "$(pub a)" \
		10.99.0.1/32,10.1.0.0/24 172.16.0.1:51820
	ip -n rb route replace 10.1.0.0/24 dev wg0
	op device-create
	sleep 2
}

programs() {	# router A: XDP off, TC on, TC off, XDP on
	xdp_off ra
	op detach
	tc_on ra
	op attach
	sleep 0.5
	tc_off ra
	op detach
	xdp_on ra
	op attach
	sleep 0.5
}

unload() {	# must fail while devices and programs use the module
	if rmmod wireguard 2>/dev/null; then
		fail "wireguard unloaded while in use"
	fi
	op unload-refused
	sleep 1
}

load() {	# pktgen: 64-byte UDP client -> server at a fixed rate, until
	# stopped (a slow kernel does not reach the rate: no count)
	local mac

	modprobe pktgen
	mac=$(ip -n ra -br link show lan | awk '{ print $3 }')
	ns client sh -c "
		echo rem_device_all >/proc/net/pktgen/kpktgend_0
		echo add_device eth0 >/proc/net/pktgen/kpktgend_0
		for c in 'count 0' 'clone_skb 0' 'pkt_size 64' \
			 'ratep 2000' 'dst 10.2.0.2' 'dst_mac $mac' \
			 'udp_dst_min 9' 'udp_dst_max 9'; do
			echo \$c >/proc/net/pktgen/eth0
		done
		echo start >/proc/net/pktgen/pgctrl"
}

counters() {	# encrypted and decrypted packets of every fast-path instance
	"$(dirname "$0")/guest-fp-counters.py" "$BPFTOOL" --sum
}

teardown() {
	local n

	for n in client ra rb server; do
		ip netns del "$n" 2>/dev/null || true
	done
}

main() {
	local pids=() enc dec n kind load

	: >"$OPS"
	topology_setup "$KEYS"
	ip -n rb addr add 172.16.0.3/24 dev wan
	ns client ping -c 3 -i 0.2 -W 2 10.2.0.2 >/dev/null ||
		fail "no traffic through the stack"
	xdp_on ra
	xdp_on rb
	ip -n client link set dev eth0 xdp obj "$OBJ" program xdp_pass
	ip -n server link set dev eth0 xdp obj "$OBJ" program xdp_pass

	say "load and changes for ${SECS}s"
	load &
	load=$!
	(ns client ping -q -i 0.1 -c $((SECS * 10)) -W 1 10.2.0.2 \
		>/tmp/stress-ping.out 2>&1 || true) &
	pids+=($!)
	sleep 1
	for f in rekey endpoint allowedips recreate programs; do
		for_secs "$f" &
		pids+=($!)
	done
	# a module has a reference count; built in, it has none
	if [ -f /sys/module/wireguard/refcnt ]; then
		for_secs unload &
		pids+=($!)
	fi
	wait "${pids[@]}"
	ns client sh -c 'echo stop >/proc/net/pktgen/pgctrl'
	wait "$load"

	n=$(counters)
	enc=${n% *}
	dec=${n#* }
	say "operations done:"
	sort "$OPS" | uniq -c | sed 's/^/  /'
	echo "  server received $(ns server cat /sys/class/net/eth0/statistics/rx_packets) packets"
	tail -n 2 /tmp/stress-ping.out | sed 's/^/  /'
	echo "  fast path: $enc encrypted (since router A's last attach), $dec decrypted (router B, whole run)"
	# every kind at least once (the debug kernel, on a loaded machine,
	# managed 14 operations in 60 s)
	for kind in rekey endpoint allowedips device-delete device-create \
		    detach attach unload-refused; do
		grep -qx "$kind" "$OPS" || fail "no $kind operation"
	done

	# the tunnel works again once the changes stop
	ns ra wg set wg0 peer "$(pub b)" endpoint 172.16.0.2:51820
	sleep 1
	ns client ping -c 5 -i 0.3 -W 3 10.2.0.2 >/tmp/stress-final.out 2>&1 ||
		fail "no traffic after the changes"
	n=$(counters)
	[ "${n% *}" -gt 0 ] || fail "nothing encrypted by the fast path"

	teardown
	if [ -f /sys/module/wireguard/refcnt ]; then
		# netns cleanup is asynchronous
		for n in $(seq 50); do
			rmmod wireguard 2>/dev/null && break
			sleep 0.2
		done
		if [ -d /sys/module/wireguard ]; then
			fail "wireguard does not unload: refcnt $(cat /sys/module/wireguard/refcnt)"
		else
			echo "  wireguard module unloaded"
			op module-unloaded
		fi
	fi
	if [ -w /sys/kernel/debug/kmemleak ]; then
		echo scan >/sys/kernel/debug/kmemleak
		sleep 1
		echo scan >/sys/kernel/debug/kmemleak
		if grep -q unreferenced /sys/kernel/debug/kmemleak; then
			head -n 40 /sys/kernel/debug/kmemleak
			fail "kmemleak reports leaks"
		fi
	fi
	if [ $failed = 0 ]; then
		echo "WGTEST stress PASS"
	else
		echo "WGTEST stress FAIL"
	fi
	return $failed
}

main "$@"
