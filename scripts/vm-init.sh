#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the scripts/vmtest.sh guest: the host's root is mounted
# read-only over 9p; make the writable and virtual filesystems, run the
# command the host left in the shared directory, record its exit status
# and the kernel log there, and power off.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TERM=dumb LANG=C.UTF-8
SHARE=/run/wg-vm

# The repository or the cache may live under the host's /tmp (a fresh
# clone in CI): bind those directories into the guest's /tmp.
keep_host_tmp() {
	local dir

	while read -r dir; do
		case "$dir" in
		/tmp/*)
			[ -d "/run/host-tmp/${dir#/tmp/}" ] || continue
			mkdir -p "$dir"
			mount --bind "/run/host-tmp/${dir#/tmp/}" "$dir"
			;;
		esac
	done <"$SHARE/keep"
}

mount_all() {
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mountpoint -q /dev || mount -t devtmpfs dev /dev
	mkdir -p /dev/pts /dev/shm
	ln -sf /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t tmpfs tmpfs /run
	mkdir -p "$SHARE" /run/host-tmp
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 wgshare "$SHARE"
	# a fresh /tmp, with the host's directories the command needs kept
	mount --bind /tmp /run/host-tmp
	mount -t tmpfs tmpfs /tmp
	keep_host_tmp
	mount -t bpf bpf /sys/fs/bpf
	mount -t debugfs debugfs /sys/kernel/debug
	mount -t tracefs tracefs /sys/kernel/tracing
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
}

# The modules of the kernel under test are in the build cache, not in
# /lib/modules: route the kernel's module requests there.
setup_modules() {
	local modroot

	modroot=$(cat "$SHARE/modroot")
	cat >/run/modprobe <<MOD
#!/bin/sh
exec /sbin/modprobe -d $modroot "\$@"
MOD
	chmod +x /run/modprobe
	echo /run/modprobe >/proc/sys/kernel/modprobe
	export MODPROBE_OPTIONS="-d $modroot"
}

# Under TCG with two vCPUs, patching kernel text when a static key flips
# can race with the other vCPU running it (QEMU's cross-modifying code:
# "Oops: int3" in __netif_receive_skb_core seen once). Tests flip the
# receive path's keys all the time (every ping's timestamps, every clsact
# qdisc): hold them enabled for the whole run, so they never flip.
pin_static_keys() {
	tc qdisc add dev lo clsact 2>/dev/null
	ping -q -i 100000 127.0.0.1 >/dev/null 2>&1 &
}

main() {
	local status

	mount_all
	setup_modules
	ip link set lo up
	pin_static_keys
	ulimit -l unlimited
	ulimit -c 0
	hostname wg-vm
	echo "wg-vm: start" >/dev/kmsg
	cd "$(cat "$SHARE/cwd")" || cd /tmp
	bash "$SHARE/cmd" </dev/null
	status=$?
	echo "wg-vm: end, status $status" >/dev/kmsg
	# Let deferred work (netns cleanup, RCU callbacks) report before the
	# log is read.
	sleep "${WG_VM_SETTLE:-2}"
	dmesg >"$SHARE/dmesg"
	echo "$status" >"$SHARE/status"
	sync
	busybox poweroff -f
}

main "$@"
