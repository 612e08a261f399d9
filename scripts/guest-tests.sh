#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the scripts/vmtest.sh guest: the WireGuard BPF selftests
# (test_progs -t wg) and, with --netns, WireGuard's own netns.sh for the
# stack path. Prints one "WGTEST <name> PASS|FAIL" line per result.
#
#   guest-tests.sh SELFTESTS_DIR TREE [--netns]
set -u

SELFTESTS=$1
TREE=$2
NETNS=${3:-}
failed=0

result() {
	echo "WGTEST $1 $2"
	[ "$2" = PASS ] || failed=1
}

run_test_progs() {
	local out=/tmp/test_progs.out line name verdict

	(cd "$SELFTESTS" && ./test_progs -t wg) 2>&1 | tee "$out"
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
	if timeout -k 10 "${WG_NETNS_TIMEOUT:-900}" \
			bash "$TREE/tools/testing/selftests/wireguard/netns.sh" \
			< <(sleep 100000) >/tmp/netns.out 2>&1; then
		tail -n 5 /tmp/netns.out
		result wireguard/netns.sh PASS
	else
		tail -n 40 /tmp/netns.out
		result wireguard/netns.sh FAIL
	fi
}

run_test_progs
[ "$NETNS" = --netns ] && run_netns_sh
exit $failed
