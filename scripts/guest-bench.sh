#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the scripts/vmtest.sh guest for make bench:
#
#   client --- router A ===(WireGuard over veth)=== router B --- server
#
# Modes: the routers' WireGuard traffic through the stack, through the
# XDP fast path, through the TC fast path, through wireguard-go (what a
# user would run instead of the kernel's); and, without WireGuard, plain
# forwarding by the stack and by XDP. Loads: 64-byte UDP (pktgen, packets
# per second), 1400-byte UDP (pktgen, Gbit/s), one TCP stream (iperf3).
# With --scaling, also the cost per packet of the fast path and the
# stack against the number of netdevs, of peers and AllowedIPs, the
# packet size (9000 bytes on jumbo links), and one tunnel the way a NIC
# sees it (router B's wan with one receive queue): "SCALE axis value
# mode pps gbps us_per_pkt" lines.
# Delivered traffic is counted at the server; CPU time is that of the
# whole guest per delivered packet. The UDP loads run in WG_BENCH_ROUNDS
# (3) rounds of every mode in turn, so that a slow spell of the emulating
# host hits all modes alike (bench.sh takes the median); the TCP stream,
# profiles and counters in the first. The encrypt kfunc alone is run
# with BPF_PROG_TEST_RUN at both sizes. Prints "BENCH mode load pps gbps
# us_per_pkt" and "CRYPTO size ns" lines for scripts/bench.sh.
#
#   guest-bench.sh SELFTESTS_DIR [--scaling] [--profile-only [xdp|tc]]
set -eu
. "$(dirname "$0")/guest-topology.sh"

ST=$1
OBJ=$ST/wg_fastpath.bpf.o
BENCH_OBJ=$ST/wg_bench.bpf.o
BPFTOOL=$ST/tools/sbin/bpftool
KEYS=/tmp/bench-keys
SECS=${WG_BENCH_SECS:-6}
SCALE_SECS=${WG_BENCH_SCALE_SECS:-3}
ROUNDS=${WG_BENCH_ROUNDS:-3}
NCPU=$(nproc)

say() { printf '== %s\n' "$*" >&2; }

detach() {
	local r d

	for r in ra rb; do
		for d in lan wan; do
			ip -n $r link set dev $d xdp off
			tc -n $r qdisc del dev $d clsact 2>/dev/null || true
		done
	done
	ip -n client link set dev eth0 xdp off
	ip -n server link set dev eth0 xdp off
}

attach() {	# attach xdp|tc|xdp-fwd
	local r d

	for r in ra rb; do
		for d in lan wan; do
			case $1 in
			xdp) ip -n $r link set dev $d xdp obj "$OBJ" program xdp_wg ;;
			xdp-fwd) ip -n $r link set dev $d xdp obj "$OBJ" program xdp_fwd ;;
			tc)
				tc -n $r qdisc add dev $d clsact
				tc -n $r filter add dev $d ingress bpf da \
					obj "$OBJ" sec tc
				;;
			esac
		done
	done
	case $1 in
	xdp|xdp-fwd)
		ip -n client link set dev eth0 xdp obj "$OBJ" program xdp_pass
		ip -n server link set dev eth0 xdp obj "$OBJ" program xdp_pass
		;;
	esac
}

# "packets bytes busy seconds": what the server received so far, the
# jiffies the guest's CPUs were busy, and the time, read by one process
# (under load, starting one takes a while: the interval is the one read)
sample() {
	ns server sh -c 'cd /sys/class/net/eth0/statistics &&
		echo $(cat rx_packets rx_bytes) \
		     $(awk "/^cpu / { print \$2 + \$3 + \$4 + \$7 + \$8 + \$9 }" /proc/stat) \
		     $(date +%s.%N)'
}

# From two samples: "packets/s Gbit/s us_per_packet" (CPU time of the
# whole guest per delivered packet; USER_HZ jiffies); Gbit/s is $3 if given
rates() {
	awk -v a="$1" -v b="$2" -v g="${3:-}" 'BEGIN {
		split(a, x); split(b, y)
		p = y[1] - x[1]; t = y[4] - x[4]
		if (g == "")
			g = (y[2] - x[2]) * 8 / t / 1e9
		printf "%.0f %.4f %.2f\n", p / t, g, p ? (y[3] - x[3]) * 10000 / p : 0
	}'
}

# pktgen on the client, one thread per CPU, each sending on a queue of
# its own (the veths have one per CPU: each router CPU takes a share, as
# with RSS on a NIC): UDP frames of $1 bytes to the server, one flow per
# thread
pktgen_config() {
	local size=$1 mac cpu

	modprobe pktgen
	mac=$(ip -n ra -br link show lan | awk '{ print $3 }')
	for cpu in $(seq 0 $((NCPU - 1))); do
		ns client sh -c "
			echo rem_device_all >/proc/net/pktgen/kpktgend_$cpu
			echo add_device eth0@$cpu >/proc/net/pktgen/kpktgend_$cpu
			for c in 'count 0' 'clone_skb 0' 'pkt_size $size' \
				 'delay 0' 'dst 10.2.0.2' 'dst_mac $mac' \
				 'udp_dst_min 9' 'udp_dst_max 9' \
				 'udp_src_min $((9000 + cpu))' \
				 'udp_src_max $((9000 + cpu))' \
				 'queue_map_min $cpu' 'queue_map_max $cpu'; do
				echo \$c >/proc/net/pktgen/eth0@$cpu
			done"
	done
}

# pktgen from the client: delivered packets/s, Gbit/s, CPU us per packet,
# over SECS seconds after one of warm-up
pktgen() {
	local s0 s1

	pktgen_config "$1"
	ns client sh -c 'echo start >/proc/net/pktgen/pgctrl' &
	sleep 1
	s0=$(sample)
	sleep "$SECS"
	s1=$(sample)
	ns client sh -c 'echo stop >/proc/net/pktgen/pgctrl'
	wait
	rates "$s0" "$s1"
}

tcp() {
	local out s0 s1 srv

	ns server iperf3 -s -1 >/dev/null 2>&1 &
	srv=$!
	sleep 1
	s0=$(sample)
	out=$(ns client iperf3 -c 10.2.0.2 -t "$SECS" -J 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(r["end"]["sum_received"]["bits_per_second"] / 1e9)' || echo 0)
	s1=$(sample)
	# a client that never connected leaves the server waiting
	kill "$srv" 2>/dev/null || true
	wait
	rates "$s0" "$s1" "$out"
}

# Where the CPU time of UDP goes in mode LABEL: perf (software clock: no
# PMU under TCG) on all CPUs while pktgen runs, as pktgen_config left it.
# "PROFILE LABEL percent symbol" lines, and the call chains into the
# busiest ones of the XDP fast path.
profile() {
	local label=$1

	if ! command -v perf >/dev/null; then
		say "no perf: no profile"
		return
	fi
	ns client sh -c 'echo start >/proc/net/pktgen/pgctrl' &
	sleep 1
	perf record -q -e cpu-clock -a -g -o /tmp/perf.data -- sleep "$SECS" \
		>/dev/null 2>&1 || true
	ns client sh -c 'echo stop >/proc/net/pktgen/pgctrl'
	wait
	perf report -q -i /tmp/perf.data --stdio --no-children --sort sym \
		-g none --percent-limit 0.1 2>/dev/null |
		sed -n "s/^ *\([0-9.]*%\) *\[.\] \(.*\)/PROFILE $label \1 \2/p" |
		head -n 300
	[ "$label" = xdp ] || return 0
	perf report -i /tmp/perf.data --stdio --no-children --sort sym \
		-g caller,2 --percent-limit 2 2>/dev/null |
		grep -v -e '^#' -e '^$' | head -n 200 | sed 's/^/PROFILE-CALLERS /'
}

# what each fast-path instance did: "COUNTERS FP id name encrypted N ..."
fp_counters() {
	"$(dirname "$0")/guest-fp-counters.py" "$BPFTOOL" | sed 's/^/COUNTERS /'
}

# set_mode MODE: the routes and programs of MODE, from any other
set_mode() {
	detach
	wg_go_stop
	case $1 in
	plain|plain-xdp)
		# without WireGuard: the routers forward between the veths
		ip -n ra route replace 10.2.0.0/24 via 172.16.0.2
		ip -n rb route replace 10.1.0.0/24 via 172.16.0.1
		;;
	*)
		ip -n ra route replace 10.2.0.0/24 dev wg0
		ip -n rb route replace 10.1.0.0/24 dev wg0
		;;
	esac
	case $1 in
	xdp|tc) attach "$1" ;;
	plain-xdp) attach xdp-fwd ;;
	wg-go) wg_go_start ;;
	esac
}

# wireguard-go on both routers instead of the kernel's wg0, with the same
# keys, addresses and peers
WG_GO=
wg_go_start() {
	local r

	for r in ra rb; do
		ns $r wg showconf wg0 >/tmp/wg-$r.conf
		ip -n $r link del wg0
		WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
			ns $r wireguard-go wg0 >/dev/null 2>&1
		ns $r wg setconf wg0 /tmp/wg-$r.conf
	done
	ip -n ra addr add 10.99.0.1/24 dev wg0
	ip -n rb addr add 10.99.0.2/24 dev wg0
	for r in ra rb; do
		ip -n $r link set wg0 up
	done
	ip -n ra route replace 10.2.0.0/24 dev wg0
	ip -n rb route replace 10.1.0.0/24 dev wg0
	WG_GO=1
	ns client ping -c 2 -i 0.5 -W 3 10.2.0.2 >/dev/null || true
}

wg_go_stop() {
	local r

	[ -n "$WG_GO" ] || return 0
	pkill -f 'wireguard-go wg0' || true
	sleep 1
	for r in ra rb; do
		ip -n $r link del wg0 2>/dev/null || true
		ip -n $r link add wg0 type wireguard
		ns $r wg setconf wg0 /tmp/wg-$r.conf
	done
	ip -n ra addr add 10.99.0.1/24 dev wg0
	ip -n rb addr add 10.99.0.2/24 dev wg0
	for r in ra rb; do
		ip -n $r link set wg0 up
	done
	WG_GO=
	ns client ping -c 2 -i 0.5 -W 3 10.2.0.2 >/dev/null || true
}

# One round: each mode in turn, its UDP loads; the first round also its
# TCP stream, counters and profiles, and the encrypt kfunc alone while
# router A's session is fresh
run_round() {
	local round=$1 mode

	for mode in stack xdp tc wg-go plain plain-xdp; do
		say "round $round, mode $mode"
		set_mode $mode
		echo "BENCH $mode udp64 $(pktgen 64)"
		echo "BENCH $mode udp1400 $(pktgen 1400)"
		[ "$round" = 1 ] || continue
		echo "BENCH $mode tcp $(tcp)"
		[ "$mode" = wg-go ] || fp_counters
		case $mode in
		xdp|plain-xdp)
			pktgen_config 64
			profile $mode
			pktgen_config 1400
			profile ${mode}1400
			;;
		tc)
			crypto
			;;
		esac
	done
}

crypto() {	# the encrypt kfunc alone, on router A's session with B
	local ifindex size pkt base full

	# ip netns exec mounts a sysfs of its own, which hides /sys/fs/bpf:
	# pin where the namespace's commands see it
	mkdir -p /tmp/bpffs
	mountpoint -q /tmp/bpffs || mount -t bpf bpf /tmp/bpffs
	rm -f /tmp/bpffs/wg_bench
	"$BPFTOOL" prog load "$BENCH_OBJ" /tmp/bpffs/wg_bench type xdp
	ifindex=$(ip -n ra -o link show wg0 | cut -d: -f1)
	for size in 64 1400; do
		pkt=/tmp/bench-$size
		for enc in 0 1; do
			python3 - "$ifindex" "$size" "$enc" >"$pkt.$enc" <<'PY'
import socket, struct, sys
ifindex, size, enc = map(int, sys.argv[1:])
sys.stdout.buffer.write(struct.pack("<I", ifindex) +
			socket.inet_aton("10.2.0.2") +
			struct.pack("<II", enc, 0) + bytes(16 + size + 16))
PY
		done
		base=$(ns ra "$BPFTOOL" prog run pinned /tmp/bpffs/wg_bench \
			data_in "$pkt.0" repeat 20000 | sed -n 's/.*duration (average): \([0-9]*\)ns.*/\1/p')
		full=$(ns ra "$BPFTOOL" prog run pinned /tmp/bpffs/wg_bench \
			data_in "$pkt.1" repeat 20000 | sed -n 's/.*duration (average): \([0-9]*\)ns.*/\1/p')
		echo "CRYPTO $size ${full:-0} ${base:-0}"
	done
	rm -f /tmp/bpffs/wg_bench
}

# Scaling: "SCALE axis value mode pps gbps us_per_pkt", 64-byte UDP
# unless the axis is the size
scale_point() {	# scale_point AXIS VALUE SIZE
	local mode

	for mode in stack xdp; do
		set_mode $mode
		echo "SCALE $1 $2 $mode $(SECS=$SCALE_SECS pktgen "$3")"
	done
}

# netdevs in both routers' namespaces: dummies, created in batches
add_dummies() {	# add_dummies FROM TO
	local r i

	for r in ra rb; do
		for i in $(seq "$1" "$2"); do
			echo "link add scale$i type dummy"
		done >/tmp/dummies.batch
		ip -n $r -batch /tmp/dummies.batch
	done
}

# peers on router B, each with an AllowedIPs entry of its own, all but A
# without endpoint or keys
add_peers() {	# add_peers COUNT
	python3 - "$1" >/tmp/peers.conf <<'PY'
import base64, os, sys
n = int(sys.argv[1])
for i in range(n):
    print("[Peer]\nPublicKey = %s\nAllowedIPs = 10.%d.%d.%d/32\n" % (
        base64.b64encode(os.urandom(32)).decode(), 128 + i // 65536,
        i // 256 % 256, i % 256))
PY
	ns rb wg addconf wg0 /tmp/peers.conf
}

scaling() {
	local n prev=0 size r

	for n in 1 64 1024 4096; do
		[ "$n" = 1 ] || add_dummies $((prev + 1)) $((n - 1))
		prev=$((n - 1))
		scale_point netdevs "$n" 64
	done
	for r in ra rb; do
		ip -n $r -o link show type dummy | awk -F': ' '{ print "link del " $2 }' \
			>/tmp/dummies.batch
		ip -n $r -batch /tmp/dummies.batch
	done
	ns rb wg showconf wg0 >/tmp/wg-rb-base.conf
	prev=1
	for n in 1 100 10000; do
		[ "$n" = 1 ] || add_peers $((n - prev))
		prev=$n
		scale_point peers "$n" 64
	done
	ns rb wg setconf wg0 /tmp/wg-rb-base.conf
	for size in 64 128 256 512 1024 1400; do
		scale_point size "$size" "$size"
	done
	jumbo on
	scale_point size 9000 8000
	jumbo off
	one_queue
}

jumbo() {	# jumbo on|off
	local mtu=1500 wmtu=1420 d

	[ "$1" = off ] || { mtu=9000; wmtu=8920; }
	for d in "client eth0" "ra lan" "ra wan" "rb wan" "rb lan" "server eth0"; do
		set -- $d
		ip -n "$1" link set "$2" mtu $mtu
	done
	ip -n ra link set wg0 mtu $wmtu
	ip -n rb link set wg0 mtu $wmtu
}

# One tunnel the way a NIC's RSS sees it: all its packets, one outer
# 5-tuple, on one receive queue of router B's wan, both CPUs there
one_queue() {
	local mode

	ip -n ra link del wan
	ip link add wan netns ra numtxqueues "$NCPU" numrxqueues "$NCPU" \
		type veth peer name wan netns rb numtxqueues "$NCPU" numrxqueues 1
	ip -n ra addr add 172.16.0.1/24 dev wan
	ip -n rb addr add 172.16.0.2/24 dev wan
	ip -n ra link set wan up
	ip -n rb link set wan up
	ns client ping -c 2 -i 0.2 -W 2 10.2.0.2 >/dev/null || true
	for mode in stack xdp tc; do
		set_mode $mode
		echo "SCALE onequeue 64 $mode $(SECS=$SCALE_SECS pktgen 64)"
		echo "SCALE onequeue 1400 $mode $(SECS=$SCALE_SECS pktgen 1400)"
	done
}

setup() {
	topology_setup "$KEYS"
	# no ICMP errors from the server for the pktgen traffic
	ns server sysctl -qw net.ipv4.icmp_msgs_per_sec=0
	ns server sysctl -qw net.ipv4.icmp_msgs_burst=0
	ns client ping -c 3 -i 0.2 -W 2 10.2.0.2 >/dev/null
}

main() {
	local round

	setup
	if [ "${2:-}" = --profile-only ]; then
		attach "${3:-xdp}"
		pktgen_config 64
		profile "${3:-xdp}"
		fp_counters
		return
	fi
	for round in $(seq 1 "$ROUNDS"); do
		run_round "$round"
	done
	[ "${2:-}" != --scaling ] || scaling
	set_mode stack
	detach
	say "wg show on router A"
	ns ra wg show wg0 >&2
}

main "$@"
