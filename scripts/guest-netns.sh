#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the scripts/vmtest.sh guest: WireGuard's own netns.sh, for
# the stack path, with the iptables of WG_IPTABLES (nft, Debian's default
# backend, or legacy). A try that fails for timing (a timeout: under TCG
# on a loaded host its one-second ping timeouts can expire before a
# handshake is done) is tried again, up to WG_NETNS_TRIES (2) times; one
# where a command failed with an error is not, as trying again cannot
# mend it. With --fastpath, the reference fast path is attached: xdp_wg and
# tc_wg are loaded once and pinned; a watcher attaches both to every
# loopback and veth device of every namespace netns.sh creates, as the
# devices appear. netns.sh must pass as it does on the stack path, and
# the fast path must have taken part: packets decrypted, and packets
# handed up the stack through a WireGuard device (netns.sh's traffic is
# for the namespaces' own addresses). Prints
# "WGTEST wireguard/netns.sh[+fastpath] PASS|FAIL".
#
#   guest-netns.sh SELFTESTS_DIR TREE [--fastpath]
set -eu

ST=$1
TREE=$2
FASTPATH=${3:-}
OBJ=$ST/wg_fastpath.bpf.o
BPFTOOL=$ST/tools/sbin/bpftool
# ip -n remounts /sys in the namespace: keep the pins where it looks
BPFFS=/tmp/wgfp-bpffs
NAME=wireguard/netns.sh

say() { printf '== %s\n' "$*"; }

load() {
	modprobe wireguard 2>/dev/null || true	# its BTF, for the kfuncs
	mkdir -p "$BPFFS"
	mount -t bpf bpf "$BPFFS"
	"$BPFTOOL" prog loadall "$OBJ" "$BPFFS/progs" pinmaps "$BPFFS/maps"
}

# Attach to one device unless it has the programs already (a device
# moved to another namespace loses its clsact qdisc)
attach_dev() {	# attach_dev NS DEV
	if ! ip -n "$1" link show dev "$2" 2>/dev/null | grep -q ' xdp'; then
		ip -n "$1" link set dev "$2" xdp pinned "$BPFFS/progs/xdp_wg" \
			2>/dev/null && echo "attach xdp $1 $2" >>/tmp/netns-fp.ops
	fi
	if ! tc -n "$1" filter show dev "$2" ingress 2>/dev/null |
			grep -q tc_wg; then
		tc -n "$1" qdisc add dev "$2" clsact 2>/dev/null || true
		tc -n "$1" filter add dev "$2" ingress bpf da \
			pinned "$BPFFS/progs/tc_wg" 2>/dev/null &&
			echo "attach tc $1 $2" >>/tmp/netns-fp.ops
	fi
	ip -n "$1" link show dev "$2" 2>/dev/null | grep -q ' xdp' &&
		tc -n "$1" filter show dev "$2" ingress 2>/dev/null |
		grep -q tc_wg
}

# Every WG_NETNS_WATCH (1) seconds, what is new: a device is attached
# once per namespace (its inode: netns.sh re-creates namespaces under
# the same names), name and ifindex (a re-created device has a new one).
# A poll runs two commands a namespace: under TCG, a watcher that ran
# five times as many took CPU time that netns.sh's one-second handshake
# pings need.
watch() {
	local f ns id line idx d
	declare -A seen

	while :; do
		for f in /run/netns/*; do
			ns=${f##*/}
			id=$(stat -L -c %i "$f" 2>/dev/null) || continue
			while read -r line; do
				idx=${line%%:*}
				d=${line#*: }
				d=${d%%[@:]*}
				[ -z "${seen[$id/$d/$idx]:-}" ] || continue
				if attach_dev "$ns" "$d"; then
					seen[$id/$d/$idx]=1
				fi
			done < <(echo "1: lo:"
				 ip -n "$ns" -o link show type veth 2>/dev/null)
		done
		sleep "${WG_NETNS_WATCH:-1}"
	done
}

# Sum of counter $1 (enum of wg_fastpath.c) over the CPUs
counter() {
	"$BPFTOOL" map dump pinned "$BPFFS/maps/wg_fp_stats" -j |
		python3 -c '
import json, sys
total = 0
for v in json.load(sys.stdin)[int(sys.argv[1])]["values"]:
    val = v["value"]
    if isinstance(val, list):
        val = int.from_bytes(bytes(int(b, 16) for b in val), "little")
    total += int(val)
print(total)' "$1"
}

# A failed try: timing (netns.sh or one of its pings timed out, a
# handshake came late) or a command that failed with an error message,
# which no retry mends
kind() {	# kind STATUS LAST_LINE
	if [ "$1" = 124 ] || [ "$1" = 137 ]; then
		echo timing
	elif echo "$2" | grep -qE '100% packet loss|[0-9]+ packets transmitted, 0 received|Timeout|timed out'; then
		echo timing
	else
		echo error
	fi
}

# One line for make test's summary: where a failed try stopped (netns.sh's
# last step, "[+] ...", and its last line of output), and which kind it was
why() {	# why TRY STATUS KIND
	local step last

	step=$(sed 's/\x1b\[[0-9;]*m//g' /tmp/netns.out | grep '^\[+\]' |
		tail -n 1)
	last=$(last_line)
	echo "WGWHY $NAME try $1, status $2, $3: ${step:0:100} | ${last:0:100}"
}

last_line() {
	sed 's/\x1b\[[0-9;]*m//g' /tmp/netns.out | grep -v '^\[+\]' |
		grep . | tail -n 1
}

# Its input blocks (it sleeps with read -t; not a pipe from sleep: a
# pipeline would wait for the sleep to end); no process of it may keep
# our output open.
netns_sh() {
	local try status kind

	for try in $(seq "${WG_NETNS_TRIES:-2}"); do
		status=0
		PATH=/tmp/wg-bin:$PATH timeout -k 10 "${WG_NETNS_TIMEOUT:-1800}" \
			bash "$TREE/tools/testing/selftests/wireguard/netns.sh" \
			< <(exec sleep 100000 2>/dev/null) \
			>/tmp/netns.out 2>&1 || status=$?
		[ "$status" -ne 0 ] || break
		kind=$(kind "$status" "$(last_line)")
		echo "netns.sh failed (status $status, $kind) on try $try:"
		tail -n 40 /tmp/netns.out
		why "$try" "$status" "$kind"
		[ "$kind" = timing ] || break
	done
	[ "$status" -ne 0 ] || echo "netns.sh passed on try $try"
	return "$status"
}

# Linux 7.3's netns.sh removes allowed IPs one by one ("allowed-ips
# -A/N,..."), which needs wireguard-tools 1.0.20250521; Debian's is
# older: scripts/wg-allowedips.py sends that request to the kernel and
# passes every other command on to wg
wg_compat() {
	local ver

	ver=$(wg --version | sed -n 's/^wireguard-tools v1\.0\.\([0-9]*\).*/\1/p')
	[ -n "$ver" ] && [ "$ver" -lt 20250521 ] || return 0
	ln -sf "$(dirname "$(realpath "$0")")/wg-allowedips.py" /tmp/wg-bin/wg
	say "wg: $(wg --version | head -n 1), allowed-ips removal by scripts/wg-allowedips.py"
}

main() {
	local watcher status=0 dec dev err

	mkdir -p /tmp/wg-bin
	wg_compat
	ln -sf "/usr/sbin/iptables-${WG_IPTABLES:-nft}" /tmp/wg-bin/iptables
	ln -sf "/usr/sbin/ip6tables-${WG_IPTABLES:-nft}" /tmp/wg-bin/ip6tables
	NAME="$NAME[iptables-${WG_IPTABLES:-nft}]"
	say "iptables: $(/tmp/wg-bin/iptables --version 2>&1)"
	if [ "$FASTPATH" != --fastpath ]; then
		netns_sh || status=$?
		pkill -f 'sleep 100000' 2>/dev/null || true
		if [ "$status" -eq 0 ]; then
			tail -n 5 /tmp/netns.out
			echo "WGTEST $NAME PASS"
		else
			echo "WGTEST $NAME FAIL"
		fi
		return "$status"
	fi
	NAME=$NAME+fastpath
	say "loading the fast path, attaching it in every namespace of netns.sh"
	load
	: >/tmp/netns-fp.ops
	watch &
	watcher=$!
	netns_sh || status=$?
	kill "$watcher" 2>/dev/null || true
	wait "$watcher" 2>/dev/null || true
	pkill -f 'sleep 100000' 2>/dev/null || true
	dec=$(counter 1)
	err=$(counter 4)
	dev=$(counter 5)
	echo "  attached: $(grep -c '^attach xdp' /tmp/netns-fp.ops) xdp, $(grep -c '^attach tc' /tmp/netns-fp.ops) tc"
	echo "  fast path: $dec decrypted, $dev handed to a WireGuard device, $err errors"
	if [ "$status" -eq 0 ] && [ "$dec" -gt 0 ] && [ "$dev" -gt 0 ]; then
		echo "WGTEST $NAME PASS"
	else
		echo "WGTEST $NAME FAIL"
		return 1
	fi
}

main "$@"
