#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build drivers/net/wireguard/ of the configured build (WG_VARIANT) with
# W=1 and sparse on every file (C=2); fail on any warning in it.
set -eu
. "$(dirname "$0")/lib.sh"

main() {
	local log

	[ -f "$WG_BUILD/.config" ] || die "$WG_BUILD is not configured"
	log=$(mktemp)
	stage "W=1 C=2 drivers/net/wireguard/ in $WG_BUILD"
	kmake W=1 C=2 drivers/net/wireguard/ >"$log" 2>&1 ||
		{ cat "$log"; rm -f "$log"; die "build failed"; }
	if grep -E '(warning|error):' "$log" | grep 'drivers/net/wireguard/'; then
		rm -f "$log"
		die "new warnings"
	fi
	rm -f "$log"
	stage "no warnings"
	stage_done
}

main "$@"
