#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the host packages the pipeline needs (as root), or name them.
# Everything comes from Debian: bookworm (and bookworm-security) as the
# system's sources have them, and Linux 7.3's source from trixie-backports
# through a one-off source list in the cache, which leaves the system's
# sources alone (linux-source-7.3 is arch all and depends only on binutils
# and xz-utils).
set -eu
. "$(dirname "$0")/lib.sh"

PKGS="linux-source-6.12 gcc make git bc bison flex cpio rsync xz-utils
      libelf-dev libssl-dev libcap-dev zlib1g-dev libzstd-dev dwarves
      ccache clang-19 llvm-19 lld-19 clang-22 llvm-22 lld-22
      qemu-system-x86 busybox-static kmod iproute2 iputils-ping ethtool
      wireguard-tools wireguard-go xdp-tools iperf3 ncat iptables nftables
      python3 python3-docutils python3-ply python3-git python3-scapy
      sparse codespell perl linux-perf"
# from trixie-backports
BPO_PKGS="linux-source-7.3"
BPO_SUITE="trixie-backports"

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null |
		grep -q '^install ok installed$'
}

missing_pkgs() {
	local p

	for p in "$@"; do
		installed "$p" || echo "$p"
	done
}

# apt-get with a source list of its own: only $BPO_SUITE
bpo_apt() {
	local dir=$WG_CACHE/apt

	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $BPO_SUITE main" \
		>"$dir/sources.list"
	apt-get -q -o Dir::Etc::sourcelist="$dir/sources.list" \
		-o Dir::Etc::sourceparts=- -o Dir::State::Lists="$dir/lists" \
		-o Dir::Cache::archives="$dir/archives" \
		-o APT::Get::List-Cleanup=0 "$@"
}

install_bpo() {
	local dir=$WG_CACHE/apt p debs=()

	stage "fetching from $BPO_SUITE: $*"
	bpo_apt update >/dev/null
	for p; do
		(cd "$dir/archives" && bpo_apt download "$p" >/dev/null)
		debs+=("$(ls -t "$dir/archives/${p}"_*.deb | head -n 1)")
	done
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${debs[@]}" >/dev/null
}

main() {
	local missing bpo

	# shellcheck disable=SC2086
	missing=$(missing_pkgs $PKGS | tr '\n' ' ')
	# shellcheck disable=SC2086
	bpo=$(missing_pkgs $BPO_PKGS | tr '\n' ' ')
	if [ -z "$missing$bpo" ]; then
		stage "host packages present"
		return
	fi
	if [ "$(id -u)" != 0 ]; then
		die "missing packages (run as root or install them): $missing${bpo:+ and from $BPO_SUITE: $bpo}"
	fi
	if [ -n "${missing// /}" ]; then
		stage "installing: $missing"
		apt-get update -q >/dev/null
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $missing >/dev/null
	fi
	# shellcheck disable=SC2086
	[ -z "${bpo// /}" ] || install_bpo $bpo
	stage_done
}

main "$@"
