#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: build the patched kernel (WireGuard =m) and the BPF
# objects, run scripts/guest-bench.sh in one VM, and report: a table, a
# JSON file and an SVG plot in $WG_CACHE/bench/, and as the last line
# the ratios of the fast paths to the stack measured in that one run.
# The VM boots a bench kernel: the =m test kernel without lockdep and
# the other lock checkers (scripts/configs/bench.config), in a build
# directory of its own. WG_BENCH_KERNEL=test boots the test kernel
# instead. The BPF objects are the test kernel's (CO-RE).
set -eu
. "$(dirname "$0")/lib.sh"

OUT=$WG_CACHE/bench
BENCH_BUILD=$WG_CACHE/$WG_TREE_NAME/build-bench

build() {
	"$WG_TOP/scripts/setup-host.sh"
	"$WG_TOP/scripts/get-kernel.sh"
	"$WG_TOP/scripts/apply-series.sh"
	WG_VARIANT=m "$WG_TOP/scripts/configure.sh"
	stage "building the kernel and the BPF objects (logs in $WG_CACHE/logs)"
	mkdir -p "$WG_CACHE/logs"
	WG_VARIANT=m "$WG_TOP/scripts/build-kernel.sh" \
		>"$WG_CACHE/logs/bench-build.log" 2>&1 ||
		{ tail -n 30 "$WG_CACHE/logs/bench-build.log"; die "kernel build failed"; }
	WG_VARIANT=m "$WG_TOP/scripts/build-selftests.sh" \
		>"$WG_CACHE/logs/bench-selftests.log" 2>&1 ||
		{ tail -n 30 "$WG_CACHE/logs/bench-selftests.log"; die "selftests build failed"; }
	[ "${WG_BENCH_KERNEL:-bench}" = bench ] || return 0
	WG_VARIANT=m WG_BUILD=$BENCH_BUILD WG_CONFIG_EXTRA=bench \
		"$WG_TOP/scripts/configure.sh"
	stage "building the bench kernel (log: $WG_CACHE/logs/bench-kernel.log)"
	WG_VARIANT=m WG_BUILD=$BENCH_BUILD "$WG_TOP/scripts/build-kernel.sh" \
		>"$WG_CACHE/logs/bench-kernel.log" 2>&1 ||
		{ tail -n 30 "$WG_CACHE/logs/bench-kernel.log"; die "bench kernel build failed"; }
	grep -q '^CONFIG_LOCKDEP=y' "$BENCH_BUILD/.config" &&
		die "the bench kernel has lockdep"
	return 0
}

# One VM run of guest-bench.sh for MEASURE (icount|wall), its log in
# $OUT/guest-MEASURE.log
measure() {	# measure MEASURE BUILD
	local m=$1 args=() icount=0 rounds=${WG_BENCH_ROUNDS:-3}

	if [ "$m" = icount ]; then
		icount=1
		rounds=1
		args=(--scaling)
	fi
	stage "measure $m: guest-bench.sh ${args[*]} (log: $OUT/guest-$m.log)"
	WG_VARIANT=m WG_BUILD=$2 WG_VM_ICOUNT=$icount WG_BENCH_ROUNDS=$rounds \
		"$WG_TOP/scripts/vmtest.sh" --timeout 5400 -- \
		"$WG_TOP/scripts/guest-bench.sh" "$WG_SELFTESTS" "${args[@]}" \
		2>&1 | tr -d '\r' >"$OUT/guest-$m.log" ||
		{ tail -n 40 "$OUT/guest-$m.log"; die "benchmark run failed"; }
}

main() {
	local build=$WG_BUILD_M kernel="test kernel (lockdep on)" m

	build
	if [ "${WG_BENCH_KERNEL:-bench}" = bench ]; then
		build=$BENCH_BUILD
		kernel="bench kernel (no lockdep)"
	fi
	mkdir -p "$OUT"
	rm -f "$OUT"/guest-*.log
	if [ $# -gt 0 ]; then	# e.g. --profile-only xdp: one wall clock run
		WG_VARIANT=m WG_BUILD=$build "$WG_TOP/scripts/vmtest.sh" \
			--timeout 1800 -- "$WG_TOP/scripts/guest-bench.sh" \
			"$WG_SELFTESTS" "$@"
		return
	fi
	for m in ${WG_BENCH_MEASURES:-icount wall}; do
		measure "$m" "$build"
	done
	python3 "$WG_TOP/scripts/bench-report.py" "$OUT" "$kernel"
}

main "$@"
