# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest scripts of make demo and make bench:
#
#   client --- router A ===(WireGuard over veth)=== router B --- server
#   10.1.0.2   10.1.0.1 / 172.16.0.1   172.16.0.2 / 10.2.0.1   10.2.0.2
#
# The routers' wg0 (10.99.0.1, 10.99.0.2) carry 10.1.0.0/24 <-> 10.2.0.0/24.

ns() { local n=$1; shift; ip netns exec "$n" "$@"; }

# One queue per CPU on each side: with XDP, veth processes a queue on the
# CPU that sent into it, so traffic spreads as with RSS on a NIC.
link() {	# link NS1 DEV1 ADDR1 NS2 DEV2 ADDR2
	local q

	q="numtxqueues $(nproc) numrxqueues $(nproc)"
	# shellcheck disable=SC2086
	ip link add "$2" netns "$1" $q type veth peer name "$5" netns "$4" $q
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

wg_dev() {	# wg_dev NS KEYFILE ADDR PEERKEY ALLOWED ENDPOINT
	ip -n "$1" link add wg0 type wireguard
	ns "$1" wg set wg0 private-key "$2" listen-port 51820 \
		peer "$4" allowed-ips "$5" endpoint "$6"
	ip -n "$1" addr add "$3" dev wg0
	ip -n "$1" link set wg0 up
}

topology_setup() {	# topology_setup KEYDIR
	local keys=$1 n

	for n in client ra rb server; do
		ip netns add "$n"
		ip -n "$n" link set lo up
	done
	mkdir -p -m 700 "$keys"
	(umask 077; wg genkey >"$keys/a"; wg genkey >"$keys/b")
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
	wg_dev ra "$keys/a" 10.99.0.1/24 "$(wg pubkey <"$keys/b")" \
		10.99.0.2/32,10.2.0.0/24 172.16.0.2:51820
	wg_dev rb "$keys/b" 10.99.0.2/24 "$(wg pubkey <"$keys/a")" \
		10.99.0.1/32,10.1.0.0/24 172.16.0.1:51820
	ip -n ra route add 10.2.0.0/24 dev wg0
	ip -n rb route add 10.1.0.0/24 dev wg0
}
