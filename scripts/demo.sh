#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: build the patched default kernel (WireGuard as a module) and
# the selftests' BPF objects, boot it, and run scripts/guest-demo.sh.
set -eu
. "$(dirname "$0")/lib.sh"

main() {
	"$WG_TOP/scripts/setup-host.sh"
	"$WG_TOP/scripts/get-kernel.sh"
	"$WG_TOP/scripts/apply-series.sh"
	WG_VARIANT=m "$WG_TOP/scripts/configure.sh"
	stage "building the kernel (log: $WG_CACHE/logs/demo-build.log)"
	mkdir -p "$WG_CACHE/logs"
	WG_VARIANT=m "$WG_TOP/scripts/build-kernel.sh" >"$WG_CACHE/logs/demo-build.log" 2>&1 ||
		{ tail -n 30 "$WG_CACHE/logs/demo-build.log"; die "kernel build failed"; }
	stage "building test_progs and the BPF objects (log: $WG_CACHE/logs/demo-selftests.log)"
	WG_VARIANT=m "$WG_TOP/scripts/build-selftests.sh" >"$WG_CACHE/logs/demo-selftests.log" 2>&1 ||
		{ tail -n 30 "$WG_CACHE/logs/demo-selftests.log"; die "selftests build failed"; }
	WG_VARIANT=m "$WG_TOP/scripts/vmtest.sh" -- \
		"$WG_TOP/scripts/guest-demo.sh" "$WG_SELFTESTS"
}

main "$@"
