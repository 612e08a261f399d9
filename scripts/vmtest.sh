#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 6: boot the built kernel in QEMU and run a command in it.
#
#   scripts/vmtest.sh [options] [--] CMD...
#
#   --kernel PATH   bzImage to boot (default: $WG_BUILD/arch/x86/boot/bzImage)
#   --mem SIZE      guest memory (default: 2G, or $WG_VM_MEM)
#   --cpus N        guest CPUs (default: 2, or $WG_VM_CPUS)
#   --timeout SECS  hard limit for the whole run (default: 1200, or $WG_VM_TIMEOUT)
#   --cwd DIR       directory CMD runs in (default: the current one)
#
# The guest sees the host's root read-only (virtme-style), so host tools
# run in it; /tmp, /run are tmpfs; bpffs, debugfs, tracefs, cgroup2 are
# mounted; modprobe loads the build's modules. WG_VM_ACCEL=kvm|tcg|auto
# (default auto: KVM if a short probe boot works, else TCG);
# WG_VM_TCG=thread=single, say, adds TCG options; WG_VM_ICOUNT=1 runs TCG
# with -icount shift=0,sleep=off: guest time counts instructions, one a
# nanosecond, so rates measured in guest time do not depend on the host.
# WG_FUZZ_PACKETS, WG_STRESS_SECS, WG_NETNS_TIMEOUT, WG_NETNS_TRIES and
# WG_BENCH_* reach CMD's environment when set.
#
# Exit status: CMD's; 1 if the guest's kernel log shows a splat (BUG,
# WARNING, KASAN, UBSAN, lockdep, refcount, kmemleak, RCU stall, stuck
# netdev references) even if CMD passed; 124 on timeout; 125 if the guest
# died before CMD finished. The kernel log from CMD's start is printed,
# the whole one is kept in the run directory named at the end.
set -eu
. "$(dirname "$0")/lib.sh"

SPLATS='BUG:|WARNING:|KASAN:|UBSAN:|kernel BUG at|Oops|general protection fault|Kernel panic|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|held lock freed|lock held when returning|refcount_t:|unreferenced object|rcu: INFO:|self-detected stall|detected stall|unregister_netdevice: waiting|hung_task|soft lockup|hard LOCKUP|list_add corruption|list_del corruption|double free|slab-out-of-bounds|hw csum failure'

# the guest scripts' knobs, passed on when set
GUEST_ENV="WG_FUZZ_PACKETS WG_STRESS_SECS WG_NETNS_TIMEOUT WG_NETNS_TRIES
	   WG_BENCH_ROUNDS WG_BENCH_SECS WG_BENCH_SCALE_SECS"
KERNEL=
MEM=${WG_VM_MEM:-2G}
CPUS=${WG_VM_CPUS:-2}
TIMEOUT=${WG_VM_TIMEOUT:-1200}
CWD=$PWD

usage() {
	sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--kernel) KERNEL=$2; shift 2 ;;
		--mem) MEM=$2; shift 2 ;;
		--cpus) CPUS=$2; shift 2 ;;
		--timeout) TIMEOUT=$2; shift 2 ;;
		--cwd) CWD=$2; shift 2 ;;
		--) shift; break ;;
		-h|--help) usage ;;
		-*) usage ;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || usage
	CMD=("$@")
	KERNEL=${KERNEL:-$WG_BUILD/arch/x86/boot/bzImage}
	[ -f "$KERNEL" ] || die "no kernel at $KERNEL (scripts/build-kernel.sh)"
}

qemu_run() {
	local accel=$1 share=$2 limit=$3 append

	append="root=/dev/root rootfstype=9p"
	append+=" rootflags=trans=virtio,version=9p2000.L,msize=512000 ro"
	append+=" console=ttyS0 quiet panic=-1 init=$WG_TOP/scripts/vm-init.sh"
	append+=" ${WG_VM_APPEND:-}"
	if [ "$accel" = kvm ]; then
		set -- -accel kvm -cpu host
	elif [ "${WG_VM_ICOUNT:-0}" = 1 ]; then
		set -- -accel tcg,thread=single -icount shift=0,sleep=off -cpu max
	else
		set -- -accel "tcg${WG_VM_TCG:+,$WG_VM_TCG}" -cpu max
	fi
	timeout -k 10 "$limit" qemu-system-x86_64 "$@" -m "$MEM" -smp "$CPUS" \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial stdio -kernel "$KERNEL" -append "$append" \
		-device virtio-rng-pci \
		-virtfs local,path=/,id=root,mount_tag=/dev/root,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$share,id=wgshare,mount_tag=wgshare,security_model=none" \
		</dev/null
}

prepare_share() {
	local share=$1 modroot

	modroot=$(dirname "$KERNEL")/../../../mod
	[ -d "$modroot" ] || modroot=$WG_BUILD/mod
	realpath "$modroot" >"$share/modroot"
	echo "$CWD" >"$share/cwd"
	# host directories the guest needs that its tmpfs on /tmp would hide
	realpath -m "$WG_TOP" "$WG_CACHE" "$CWD" "$modroot" >"$share/keep"
	{
		for v in $GUEST_ENV; do
			[ -z "${!v:-}" ] || printf 'export %s=%q\n' "$v" "${!v}"
		done
		printf '%q ' "${CMD[@]}"
		echo
	} >"$share/cmd"
}

# KVM works on a normal runner; the PVM flavour of /dev/kvm on some
# machines cannot boot a stock kernel. Probe once per host and kernel.
pick_accel() {
	local probe=$WG_CACHE/kvm-probe.$(uname -r) share

	case "${WG_VM_ACCEL:-auto}" in
	kvm|tcg) echo "$WG_VM_ACCEL"; return ;;
	esac
	[ "${WG_VM_ICOUNT:-0}" = 0 ] || { echo tcg; return; }
	if [ ! -w /dev/kvm ]; then
		echo tcg
		return
	fi
	if [ ! -f "$probe" ]; then
		share=$(mktemp -d)
		CMD=(true) prepare_share "$share"
		if qemu_run kvm "$share" 30 >/dev/null 2>&1 &&
		   [ "$(cat "$share/status" 2>/dev/null)" = 0 ]; then
			echo kvm >"$probe"
		else
			echo tcg >"$probe"
		fi
		rm -rf "$share"
	fi
	cat "$probe"
}

check_splats() {
	local log=$1

	grep -E "$SPLATS" "$log" | grep -v 'wg-vm:' || return 1
}

main() {
	local accel run status=0 log

	parse_args "$@"
	accel=$(pick_accel)
	run=$WG_CACHE/vm-runs/$(date +%Y%m%d-%H%M%S).$$
	mkdir -p "$run"
	prepare_share "$run"
	[ "${WG_VM_ICOUNT:-0}" = 0 ] || [ "$accel" != tcg ] || accel=tcg-icount
	stage "booting $(basename "$KERNEL") ($accel, $CPUS cpus, $MEM) to run: ${CMD[*]}"
	qemu_run "${accel%-icount}" "$run" "$TIMEOUT" | tee "$run/console" || status=$?
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		stage "TIMEOUT after ${TIMEOUT}s"
		status=124
	elif [ -f "$run/status" ]; then
		status=$(cat "$run/status")
	else
		stage "the guest died before the command finished"
		status=125
	fi
	log=$run/dmesg
	if [ ! -s "$log" ]; then
		# no log from the guest: use the kernel lines of the console
		grep -aE '^\[ *[0-9]+\.[0-9]+\]' "$run/console" >"$log" || true
	fi
	stage "guest kernel log from the command's start (whole log: $log):"
	sed -n '/wg-vm: start/,$p' "$log"
	if check_splats "$log" >"$run/splats"; then
		stage "FAIL: kernel splat in the guest's log:"
		cat "$run/splats"
		[ "$status" != 0 ] || status=1
	fi
	stage "command exit status $status; run directory $run"
	stage_done
	exit "$status"
}

main "$@"
