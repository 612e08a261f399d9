#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make test: the whole pipeline, from a fresh machine to test results,
# on Linux 7.3 (the net-next form; WG_KERNEL, KERNEL_SRC pick another):
#   host packages -> base trees -> patches/ current? -> checkpatch,
#   kernel-doc, docs -> git am (and onto v6.12 with its backport delta)
#   -> build (W=1 and sparse on wireguard) (WireGuard =m, test_progs,
#   WireGuard =y, the tip with WIREGUARD_BPF=n) -> VMs, one after the
#   other: =m test_progs -t wg; =y the subtests where built-in differs.
# make test-netns (WG_RUN=netns): the long runs. git am, the =m and =y
#   builds, the test_progs build (the fast path's objects), WireGuard's
#   own netns.sh (=m with the fast path attached, iptables-nft; =y
#   without, iptables-legacy) and the stress run (=m). 50 minutes under
#   TCG: they do not fit in make test's 40 (warm) and 80 (cold) minutes.
# make test-full (WG_RUN=full): make test and make test-netns in one run.
# make test-lts (WG_RUN=lts, WG_KERNEL=6.12): git am with the backport
#   delta, the =m build with W=1 and sparse, test_progs -t wg.
# Ends with "N passed, M failed"; exits non-zero if anything failed.
# WG_VARIANTS="m y" chooses the variants, WG_STRESS_VM=0 leaves the
# stress run's VM out; WG_VM_PARALLEL=1 runs the VMs at the same time.
set -eu
. "$(dirname "$0")/lib.sh"

case "${WG_RUN:-}" in
''|lts|netns|full) ;;
*) die "WG_RUN=$WG_RUN: not one of lts, netns, full (or empty)" ;;
esac

LOGS=${WG_LOGS:-$WG_CACHE/logs}
PASSED=0
FAILED=0
TIMINGS=()
FAILED_NAMES=()
WHY=()		# "WGWHY name text" lines of the guests, as "v:name text"

record() {
	if [ "$2" = PASS ]; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("$1")
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

# What each VM runs. m: all of test_progs -t wg. m-stress: the stress
# run, which ends with the module's unload, in a VM of its own under
# single-threaded TCG (below).
# y: what a built-in WireGuard changes (kfuncs in
# vmlinux's BTF, registered at boot): the verifier and lookup subtests,
# each outer/inner family pair and each direction once in each program
# type, delivery through the device and TCP; not the subtests that run
# the same code again. (test-netns and test-full add the stack's own
# netns.sh to both.)
WG_Y_SKIP=wg_hardening/fuzz,wg_hardening/xdp_hostile,wg_hardening/tc_hostile
F=wg_fastpath
WG_Y_SKIP=$WG_Y_SKIP,$F/xdp_rekey,$F/tc_rekey,$F/xdp_keepalive,$F/tc_keepalive
WG_Y_SKIP=$WG_Y_SKIP,$F/xdp_replay,$F/tc_replay,$F/xdp_counters,$F/tc_counters
WG_Y_SKIP=$WG_Y_SKIP,$F/xdp_jumbo,$F/tc_jumbo,$F/xdp_nokey,$F/tc_nokey
WG_Y_SKIP=$WG_Y_SKIP,$F/xdp_tcp,$F/xdp_encrypt_o4_i6,$F/xdp_encrypt_o6_i4
WG_Y_SKIP=$WG_Y_SKIP,$F/xdp_encrypt_o6_i6,$F/xdp_decrypt_o4_i4
WG_Y_SKIP=$WG_Y_SKIP,$F/xdp_decrypt_o6_i4,$F/xdp_decrypt_o6_i6
WG_Y_SKIP=$WG_Y_SKIP,$F/tc_encrypt_o4_i4,$F/tc_encrypt_o4_i6
WG_Y_SKIP=$WG_Y_SKIP,$F/tc_encrypt_o6_i4,$F/tc_decrypt_o4_i4
WG_Y_SKIP=$WG_Y_SKIP,$F/tc_decrypt_o4_i6,$F/tc_decrypt_o6_i6
unset F

# WG_VM_ARGS_M, WG_VM_ARGS_STRESS, WG_VM_ARGS_Y replace them. netns.sh
# (test-netns, test-full) runs with each iptables variant once:
# iptables-nft (Debian's default) with the fast path, iptables-legacy
# without.
vm_args() {
	local m='' y="--skip $WG_Y_SKIP"

	case "${WG_RUN:-}" in
	lts)
		echo "${WG_VM_ARGS_M:-}"
		return
		;;
	netns)
		m='--no-test-progs --netns-fastpath --iptables nft'
		y='--no-test-progs --netns --iptables legacy'
		;;
	full)
		m='--netns-fastpath --iptables nft'
		y="--netns --iptables legacy --skip $WG_Y_SKIP"
		;;
	esac
	case $1 in
	m) echo "${WG_VM_ARGS_M-$m}" ;;
	m-stress) echo "${WG_VM_ARGS_STRESS---no-test-progs --stress}" ;;
	y) echo "${WG_VM_ARGS_Y:-$y}" ;;
	esac
}

# what make test and test-full do that test-lts and test-netns do not:
# the static checks, git am onto the LTS tree, the WIREGUARD_BPF=n build
full_checks() {
	case "${WG_RUN:-}" in lts|netns) return 1 ;; esac
}

# the long runs, of test-netns and test-full: the stress run (netns.sh
# is in vm_args())
long_runs() {
	case "${WG_RUN:-}" in netns|full) return 0 ;; esac
	return 1
}

# A VM's time limit, from what it runs: test_progs -t wg (30 min at
# most) and each netns.sh try its own WG_NETNS_TIMEOUT, so that retries
# do not eat into the other parts; the stress run its own.
vm_timeout() {
	local args t=600

	args=$(vm_args "$1")
	case "$args" in *--no-test-progs*) ;; *) t=$((t + 1800)) ;; esac
	case "$args" in *--netns*)
		t=$((t + ${WG_NETNS_TRIES:-2} * (${WG_NETNS_TIMEOUT:-1800} + 30)))
		;;
	esac
	case "$args" in *--stress*) t=$((t + 1800)) ;; esac
	echo "${WG_VM_TIMEOUT:-$t}"
}

# The stress run attaches and detaches programs and tc filters under
# load, and each time the kernel patches its text (the XDP dispatcher's
# static call, tc's static keys) with text_poke_bp(). Under multi-threaded
# TCG (QEMU 7.2) the other vCPU then sometimes runs a stale int3 of it:
# "Oops: int3" in bpf_dispatcher_xdp_func() or tc_run(), reproduced
# without WireGuard (XDP or a tc filter toggled on a veth pktgen feeds,
# within a minute) and never with thread=single. Single-threaded TCG
# runs both vCPUs in one host thread, interleaved; KVM needs neither.
vm_tcg() {
	case $1 in
	m-stress) echo "${WG_VM_TCG-thread=single}" ;;
	*) echo "${WG_VM_TCG:-}" ;;
	esac
}

# vm_run VM: boot it (VM: a variant, or m-stress) and run guest-tests.sh;
# output in vm-VM.log
vm_run() {
	local v=$1 t0 rc=0

	t0=$(date +%s)
	# shellcheck disable=SC2046
	WG_VARIANT=${v%-stress} WG_VM_TCG=$(vm_tcg "$v") \
		WG_VM_TIMEOUT=$(vm_timeout "$v") \
		"$WG_TOP/scripts/vmtest.sh" --cwd "$WG_SELFTESTS" -- \
		"$WG_TOP/scripts/guest-tests.sh" "$WG_SELFTESTS" "$WG_TREE" \
		$(vm_args "$v") >"$LOGS/vm-$v.log" 2>&1 || rc=$?
	echo "$(($(date +%s) - t0))" >"$LOGS/vm-$v.time"
	echo "$rc" >"$LOGS/vm-$v.rc"
	return $rc
}

vm_record() {
	local v=$1 out=$LOGS/vm-$1.log line

	TIMINGS+=("$(printf '%-24s %5ss' "vm-$v" "$(cat "$LOGS/vm-$v.time")")")
	while read -r line; do
		set -- $line
		record "$v:$2" "$3"
	done < <(tr -d '\r' <"$out" | grep -E '^WGTEST ')
	grep -qE '^WGTEST ' "$out" || record "$v:guest-tests-ran" FAIL
	while read -r line; do
		WHY+=("$v:${line#WGWHY }")
	done < <(tr -d '\r' <"$out" | grep -E '^WGWHY ')
	if grep -q 'FAIL: kernel splat' "$out"; then
		record "$v:kernel-log-clean" FAIL
	else
		record "$v:kernel-log-clean" PASS
	fi
	# 124: timeout, 125: the guest died
	case "$(cat "$LOGS/vm-$v.rc" 2>/dev/null)" in
	124|125|'') record "$v:guest-finished" FAIL ;;
	*) record "$v:guest-finished" PASS ;;
	esac
}

# The variants' VMs, one after the other (WG_VM_PARALLEL=0, the default)
# or at the same time (1). On 2 cores under TCG both VMs are CPU-bound,
# and at the same time each gets half: no faster, and netns.sh's
# one-second timeouts expired under that load; with more cores, or KVM,
# they overlap.
vm_tests() {
	local v pids=()

	for v; do
		stage "VM ($v): guest-tests.sh $(vm_args "$v") (log: $LOGS/vm-$v.log)"
		if [ "${WG_VM_PARALLEL:-0}" = 1 ]; then
			vm_run "$v" &
			pids+=($!)
		else
			vm_run "$v" || true
			tail -n 30 "$LOGS/vm-$v.log"
		fi
	done
	for v in "${pids[@]}"; do
		wait "$v" || true
	done
	for v; do
		[ "${WG_VM_PARALLEL:-0}" = 1 ] && tail -n 30 "$LOGS/vm-$v.log"
		vm_record "$v"
	done
}

# warnings V: W=1 and sparse on drivers/net/wireguard of variant V
warnings() {
	local result

	if run_stage "warnings-$1" env WG_VARIANT="$1" \
			"$WG_TOP/scripts/check-warnings.sh"; then
		result=PASS
	else
		result=FAIL
	fi
	# the name says what ran: W=1 alone where sparse cannot
	if grep -q SPARSE-NOT-RUN "$LOGS/warnings-$1.log" 2>/dev/null; then
		record "W=1-wireguard-$1(no-sparse)" "$result"
	else
		record "W=1-C=2-wireguard-$1" "$result"
	fi
}

main() {
	local v total0 built=()

	total0=$(date +%s)
	mkdir -p "$LOGS"
	run_stage setup-host "$WG_TOP/scripts/setup-host.sh" ||
		die "host set-up failed"
	run_stage get-kernel "$WG_TOP/scripts/get-kernel.sh" ||
		die "no kernel tree"
	if full_checks; then
		if run_stage patches-current "$WG_TOP/scripts/regen-patches.sh" --check; then
			record patches-current PASS
		else
			record patches-current FAIL
		fi
		run_stage check-series "$WG_TOP/scripts/check-series.sh" || true
		record_lines CHECK "$LOGS/check-series.log"
	fi
	if run_stage git-am "$WG_TOP/scripts/apply-series.sh"; then
		record "git-am-onto-$WG_TREE_NAME" PASS
	else
		record "git-am-onto-$WG_TREE_NAME" FAIL
		die "$PASSED passed, $FAILED failed"
	fi
	# the LTS tree: the series and its backport delta apply (make
	# test-lts builds and tests it)
	if full_checks && [ -z "$KERNEL_SRC" ]; then
		if run_stage git-am-lts env WG_KERNEL=6.12 sh -c \
			"'$WG_TOP/scripts/get-kernel.sh' && '$WG_TOP/scripts/apply-series.sh'"; then
			record git-am-onto-debian-6.12 PASS
		else
			record git-am-onto-debian-6.12 FAIL
		fi
	fi
	[ "${WG_RUN:-}" != lts ] || WG_VARIANTS=${WG_VARIANTS:-m}
	for v in ${WG_VARIANTS:-m y}; do
		if ! run_stage "build-$v" build_variant "$v"; then
			record "build-wireguard-$v" FAIL
			continue
		fi
		record "build-wireguard-$v" PASS
		[ "${WG_RUN:-}" = netns ] || warnings "$v"
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
		built+=("$v")
		[ "$v" != m ] || [ "${WG_STRESS_VM:-1}" = 0 ] ||
			! long_runs || built+=(m-stress)
	done
	# the tip of the series with WIREGUARD_BPF=n, W=1 and sparse: the
	# one configuration the kernel builds above do not cover (make
	# bisect builds every patch in all three)
	if [ -n "${WG_SKIP_BISECT:-}" ] || ! full_checks; then
		:
	elif run_stage bisect-tip-n env WG_BISECT_VARIANTS=n \
			"$WG_TOP/scripts/bisect-build.sh" --tip; then
		record "build-wireguard-bpf-n" PASS
	else
		record "build-wireguard-bpf-n" FAIL
	fi
	[ ${#built[@]} = 0 ] || vm_tests "${built[@]}"
	echo
	echo "Stage timings:"
	printf '  %s\n' "${TIMINGS[@]}"
	printf '  %-24s %5ss\n' total "$(($(date +%s) - total0))"
	echo
	# the failures again, where a log's last lines show them
	[ "$FAILED" = 0 ] || printf 'FAILED: %s\n' "${FAILED_NAMES[@]}"
	# and where the guests' tests stopped, failed tries that passed later
	# too
	[ ${#WHY[@]} = 0 ] || printf 'WHY: %s\n' "${WHY[@]}"
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}

main "$@"
