#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the scripts/vmtest.sh guest: the WireGuard BPF selftests
# (test_progs -t wg) and, with --netns, WireGuard's own netns.sh for the
# stack path, and with --stress the fast path under load while its
# devices, peers and programs change (guest-stress.sh); --skip LIST
# leaves out the subtests of test_progs' -b LIST. Prints one
# "WGTEST <name> PASS|FAIL" line per result.
#
#   guest-tests.sh SELFTESTS_DIR TREE [--netns] [--stress] [--skip LIST]
set -u

SELFTESTS=$1
TREE=$2
shift 2
NETNS=
STRESS=
SKIP=
while [ $# -gt 0 ]; do
	case $1 in
	--netns) NETNS=1 ;;
	--stress) STRESS=1 ;;
	--skip) SKIP=$2; shift ;;
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

	(cd "$SELFTESTS" && ./test_progs -t wg ${SKIP:+-b "$SKIP"}) 2>&1 |
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
	done < <(grep -E '^#[0-9]+/[0-9]+ +wg/' "$out")
	# a test that can't run must not pass silently
	grep -qE '^#[0-9]+/[0-9]+ +wg/' "$out" || result test_progs_wg_ran FAIL
}

run_netns_sh() {
	# its rules need iptables; the kernel config has the legacy backend
	mkdir -p /tmp/wg-bin
	ln -sf /usr/sbin/iptables-legacy /tmp/wg-bin/iptables
	export PATH=/tmp/wg-bin:$PATH
	# netns.sh sleeps with read -t on stdin: give it one that blocks (not
	# a pipe from sleep: a pipeline would wait for the sleep to end)
	if timeout -k 10 "${WG_NETNS_TIMEOUT:-1500}" \
			bash "$TREE/tools/testing/selftests/wireguard/netns.sh" \
			< <(sleep 100000) >/tmp/netns.out 2>&1; then
		tail -n 5 /tmp/netns.out
		result wireguard/netns.sh PASS
	else
		tail -n 40 /tmp/netns.out
		result wireguard/netns.sh FAIL
	fi
}

run_stress() {
	bash "$(dirname "$0")/guest-stress.sh" "$SELFTESTS" 2>&1 |
		tee /tmp/stress.out
	grep -q '^WGTEST stress PASS' /tmp/stress.out || failed=1
	grep -q '^WGTEST stress ' /tmp/stress.out || result stress FAIL
}

run_test_progs
[ -n "$STRESS" ] && run_stress
[ -n "$NETNS" ] && run_netns_sh
exit $failed
