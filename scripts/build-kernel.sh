#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 5a: build bzImage and modules incrementally (ccache, build dir in
# the cache) and install the modules where scripts/vmtest.sh finds them.
set -eu
. "$(dirname "$0")/lib.sh"

# When only vmlinux changed (a config change elsewhere), kbuild relinks
# wireguard.ko against it, but the module's kfunc BTF ids come out stale
# and the verifier reads the wrong kfunc flags: rebuild its objects. Only
# for the module: built in, wireguard.o is always older than vmlinux, and
# rebuilding it would relink vmlinux after bzImage (with a BTF that the
# bzImage does not have, so that no module's BTF would validate).
relink_stale_wireguard() {
	local dir=$WG_BUILD/drivers/net/wireguard

	grep -q '^CONFIG_WIREGUARD=m' "$WG_BUILD/.config" || return 0
	[ -f "$dir/wireguard.o" ] && [ "$WG_BUILD/vmlinux" -nt "$dir/wireguard.o" ] ||
		return 0
	stage "vmlinux is newer than wireguard.o: rebuilding the module"
	rm -f "$dir"/*.o "$dir"/*.ko
	kmake LOCALVERSION= ${WG_MAKE_FLAGS:-} modules
}

# The kernel the VM boots must carry the BTF the modules were built
# against
check_bzimage() {
	[ "$WG_BUILD/vmlinux" -nt "$WG_BUILD/arch/x86/boot/bzImage" ] || return 0
	stage "vmlinux is newer than bzImage: rebuilding bzImage"
	kmake LOCALVERSION= ${WG_MAKE_FLAGS:-} bzImage
	[ ! "$WG_BUILD/vmlinux" -nt "$WG_BUILD/arch/x86/boot/bzImage" ] ||
		die "bzImage is still older than vmlinux"
}

main() {
	local rel

	[ -f "$WG_BUILD/.config" ] || die "$WG_BUILD is not configured (scripts/configure.sh)"
	mkdir -p "$CCACHE_DIR"
	ccache -z >/dev/null
	stage "building bzImage and modules in $WG_BUILD (-j$WG_JOBS)"
	kmake LOCALVERSION= ${WG_MAKE_FLAGS:-} bzImage modules
	stage "ccache: $(ccache -s | grep -E '^ *(Hits|Misses):' | tr -s ' ' | tr '\n' ' ')"
	relink_stale_wireguard
	check_bzimage
	rel=$(cat "$WG_BUILD/include/config/kernel.release")
	stage "installing modules for $rel"
	rm -rf "$WG_BUILD/mod"
	kmake LOCALVERSION= INSTALL_MOD_PATH="$WG_BUILD/mod" DEPMOD=/sbin/depmod \
		modules_install >/dev/null
	stage_done
}

main "$@"
