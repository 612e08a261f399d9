#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the host packages the pipeline needs (as root), or name them.
set -eu
. "$(dirname "$0")/lib.sh"

PKGS="linux-source-6.12 gcc make git bc bison flex cpio rsync xz-utils
      libelf-dev libssl-dev libcap-dev zlib1g-dev libzstd-dev dwarves
      ccache clang-19 llvm-19 lld-19 qemu-system-x86 busybox-static
      kmod iproute2 iputils-ping ethtool wireguard-tools iperf3 ncat iptables
      python3 python3-docutils python3-ply python3-git sparse codespell perl
      linux-perf"

missing_pkgs() {
	local p

	for p in $PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

main() {
	local missing

	missing=$(missing_pkgs | tr '\n' ' ')
	if [ -z "$missing" ]; then
		stage "host packages present"
		return
	fi
	if [ "$(id -u)" != 0 ]; then
		die "missing packages (run as root or install them): $missing"
	fi
	stage "installing: $missing"
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing >/dev/null
	stage_done
}

main "$@"
