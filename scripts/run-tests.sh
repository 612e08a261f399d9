#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make test: the whole pipeline, from a fresh machine to test results.
#   host packages -> base tree -> patches/ current? -> checkpatch,
#   kernel-doc, docs -> git am -> build (W=1 and sparse on wireguard)
#   (WireGuard =m, test_progs, WireGuard =y) -> VM: test_progs -t wg on
#   both, the stress run and wireguard/netns.sh on =m.
# Ends with "N passed, M failed"; exits non-zero if anything failed.
# WG_VARIANTS="m y" chooses the variants.
set -eu
. "$(dirname "$0")/lib.sh"

LOGS=${WG_LOGS:-$WG_CACHE/logs}
PASSED=0
FAILED=0
TIMINGS=()

record() {
	if [ "$2" = PASS ]; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
	fi
	printf 'RESULT %-40s %s\n' "$1" "$2"
}

# run_stage NAME CMD...: run a stage with its output in a log file,
# record its time, show the log's tail when it fails.
run_stage() {
	local name=$1 t0 rc=0
	shift

	t0=$(date +%s)
	stage "$name (log: $LOGS/$name.log)"
	"$@" >"$LOGS/$name.log" 2>&1 || rc=$?
	TIMINGS+=("$(printf '%-24s %5ss' "$name" "$(($(date +%s) - t0))")")
	if [ $rc != 0 ]; then
		tail -n 40 "$LOGS/$name.log" >&2
		stage "$name FAILED ($rc)"
	fi
	return $rc
}

# record_lines TAG LOG: one result per "TAG name PASS|FAIL" line of LOG
record_lines() {
	local line found=0

	while read -r line; do
		set -- $line
		record "$2" "$3"
		found=1
	done < <(grep -E "^$1 " "$2")
	[ $found = 1 ] || record "$1-ran" FAIL
}

build_variant() {
	WG_VARIANT=$1 "$WG_TOP/scripts/configure.sh" &&
		WG_VARIANT=$1 "$WG_TOP/scripts/build-kernel.sh"
}

vm_tests() {
	local v=$1 t0 rc=0 out=$LOGS/vm-$1.log line
	local extra=

	# the stack's netns.sh, and the stress run, which ends with the
	# module's unload, on the module build
	[ "$v" = m ] && extra="--stress --netns"
	t0=$(date +%s)
	stage "VM ($v): test_progs -t wg${extra:+, stress, wireguard/netns.sh}"
	WG_VARIANT=$v WG_VM_TIMEOUT=${WG_VM_TIMEOUT:-1800} \
		"$WG_TOP/scripts/vmtest.sh" --cwd "$WG_SELFTESTS" -- \
		"$WG_TOP/scripts/guest-tests.sh" "$WG_SELFTESTS" "$WG_TREE" \
		$extra \
		2>&1 | tr -d '\r' | tee "$out" || rc=$?
	TIMINGS+=("$(printf '%-24s %5ss' "vm-$v" "$(($(date +%s) - t0))")")
	while read -r line; do
		set -- $line
		record "$v:$2" "$3"
	done < <(grep -E '^WGTEST ' "$out")
	grep -qE '^WGTEST ' "$out" || record "$v:guest-tests-ran" FAIL
	if grep -q 'FAIL: kernel splat' "$out"; then
		record "$v:kernel-log-clean" FAIL
	else
		record "$v:kernel-log-clean" PASS
	fi
	[ "$(grep -c 'command exit status' "$out")" = 1 ] ||
		record "$v:guest-finished" FAIL
}

main() {
	local v total0

	total0=$(date +%s)
	mkdir -p "$LOGS"
	run_stage setup-host "$WG_TOP/scripts/setup-host.sh" ||
		die "host set-up failed"
	run_stage get-kernel "$WG_TOP/scripts/get-kernel.sh" ||
		die "no kernel tree"
	if run_stage patches-current "$WG_TOP/scripts/regen-patches.sh" --check; then
		record patches-current PASS
	else
		record patches-current FAIL
	fi
	run_stage check-series "$WG_TOP/scripts/check-series.sh" || true
	record_lines CHECK "$LOGS/check-series.log"
	if run_stage git-am "$WG_TOP/scripts/apply-series.sh"; then
		record "git-am-onto-$WG_TREE_NAME" PASS
	else
		record "git-am-onto-$WG_TREE_NAME" FAIL
		die "$PASSED passed, $FAILED failed"
	fi
	for v in ${WG_VARIANTS:-m y}; do
		if ! run_stage "build-$v" build_variant "$v"; then
			record "build-wireguard-$v" FAIL
			continue
		fi
		record "build-wireguard-$v" PASS
		if run_stage "warnings-$v" env WG_VARIANT="$v" \
				"$WG_TOP/scripts/check-warnings.sh"; then
			record "W=1-C=2-wireguard-$v" PASS
		else
			record "W=1-C=2-wireguard-$v" FAIL
		fi
		if [ ! -x "$WG_SELFTESTS/test_progs" ] ||
		   { [ "$v" = m ] && [ -z "${WG_SELFTESTS_REUSE:-}" ]; }; then
			if run_stage build-test_progs env WG_VARIANT=m \
					"$WG_TOP/scripts/build-selftests.sh"; then
				record build-test_progs PASS
			else
				record build-test_progs FAIL
				continue
			fi
		fi
		vm_tests "$v"
	done
	echo
	echo "Stage timings:"
	printf '  %s\n' "${TIMINGS[@]}"
	printf '  %-24s %5ss\n' total "$(($(date +%s) - total0))"
	echo
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}

main "$@"
