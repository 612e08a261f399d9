#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the scripts/vmtest.sh guest: the WireGuard BPF selftests
# (test_progs -t wg) and, with --netns, WireGuard's own netns.sh for the
# stack path, with --netns-fastpath netns.sh again with the reference
# fast path attached in its namespaces (both guest-netns.sh, with the
# iptables variant of --iptables nft|legacy, default nft), and with
# --stress the fast path under load while its devices, peers and
# programs change (guest-stress.sh); --skip LIST leaves out the subtests
# of test_progs' -b LIST, --only LIST runs only those of -t LIST (e.g.
# wg_fastpath/xdp_tcp,wg_fastpath/tc_tcp), --no-test-progs leaves
# test_progs out. On a kernel with kmemleak, ends with a scan for what
# leaked while the tests ran. Prints one "WGTEST <name> PASS|FAIL" line per result, and the
# time each part took.
#
#   guest-tests.sh SELFTESTS_DIR TREE [--netns] [--netns-fastpath]
#                  [--iptables nft|legacy] [--stress] [--skip LIST]
#                  [--only LIST] [--no-test-progs]
set -u

SELFTESTS=$1
TREE=$2
shift 2
NETNS=
NETNS_FP=
STRESS=
SKIP=
ONLY=wg
TEST_PROGS=1
IPTABLES=nft
while [ $# -gt 0 ]; do
	case $1 in
	--iptables) IPTABLES=$2; shift ;;
	--netns) NETNS=1 ;;
	--netns-fastpath) NETNS_FP=1 ;;
	--stress) STRESS=1 ;;
	--skip) SKIP=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--no-test-progs) TEST_PROGS= ;;
	*) echo "guest-tests.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
failed=0

result() {
	echo "WGTEST $1 $2"
	[ "$2" = PASS ] || failed=1
}

run_test_progs() {
	local out=/tmp/test_progs.out line name verdict

	(cd "$SELFTESTS" && ./test_progs -t "$ONLY" ${SKIP:+-b "$SKIP"}) 2>&1 |
		tee "$out"
	grep -q '^Summary:' "$out" || result test_progs FAIL
	while read -r line; do
		name=${line#* }
		verdict=${name##*:}
		name=${name%:*}
		case "$verdict" in
		OK) result "$name" PASS ;;
		*) result "$name" FAIL ;;
		esac
	done < <(grep -E '^#[0-9]+/[0-9]+ +wg_[a-z]+/' "$out" | sort -u -k2,2)
	# a test that can't run must not pass silently
	grep -qE '^#[0-9]+/[0-9]+ +wg_[a-z]+/' "$out" || result test_progs_wg_ran FAIL
}

# WireGuard's netns.sh (guest-netns.sh), plain or with --fastpath
run_netns() {	# run_netns LOG [--fastpath]
	local log=$1

	shift
	WG_IPTABLES=$IPTABLES bash "$(dirname "$0")/guest-netns.sh" \
		"$SELFTESTS" "$TREE" "$@" 2>&1 | tee "$log"
	grep -q '^WGTEST .* PASS' "$log" || failed=1
	grep -q '^WGTEST ' "$log" ||
		result "wireguard/netns.sh${1:++fastpath}" FAIL
}

run_netns_sh() {
	run_netns /tmp/netns.log
}

run_netns_fp() {
	run_netns /tmp/netns-fp.log --fastpath
}

run_stress() {
	bash "$(dirname "$0")/guest-stress.sh" "$SELFTESTS" 2>&1 |
		tee /tmp/stress.out
	grep -q '^WGTEST stress PASS' /tmp/stress.out || failed=1
	grep -q '^WGTEST stress ' /tmp/stress.out || result stress FAIL
}

timed() {	# timed NAME FUNCTION: run it, print how long it took
	local t0=$SECONDS

	"$2"
	echo "WGTIME $1 $((SECONDS - t0))s"
}

# A debug kernel's kmemleak: what leaks while the tests run. What the
# boot left is cleared first; two scans, as an object is reported only
# once it looks unreferenced twice.
KMEMLEAK=/sys/kernel/debug/kmemleak

run_kmemleak() {
	echo scan >"$KMEMLEAK"
	sleep 5
	echo scan >"$KMEMLEAK"
	if grep -q unreferenced "$KMEMLEAK"; then
		head -n 60 "$KMEMLEAK"
		result kmemleak FAIL
	else
		result kmemleak PASS
	fi
}

[ ! -w "$KMEMLEAK" ] || echo clear >"$KMEMLEAK"
[ -z "$TEST_PROGS" ] || timed test_progs run_test_progs
[ -z "$STRESS" ] || timed stress run_stress
[ -z "$NETNS_FP" ] || timed netns.sh+fastpath run_netns_fp
[ -z "$NETNS" ] || timed netns.sh run_netns_sh
[ ! -w "$KMEMLEAK" ] || timed kmemleak run_kmemleak
exit $failed
