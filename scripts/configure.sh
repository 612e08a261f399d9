#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 4: configure the kernel build in the cache: defconfig less what a
# VM does not use (vm-trim), kvm_guest, the BPF selftests' own fragments
# (what BPF CI uses), the VM fragment and the WireGuard variant (WG_VARIANT=m or y; WG_CONFIG_EXTRA=frag... adds
# more fragments, e.g. the debug kernel).
set -eu
. "$(dirname "$0")/lib.sh"

fragments() {
	local st=$WG_TREE/tools/testing/selftests/bpf f

	echo "$WG_TOP/scripts/configs/vm-trim.config"
	echo "$WG_TREE/kernel/configs/kvm_guest.config"
	for f in config config.vm "config.$(uname -m)"; do
		[ -f "$st/$f" ] && echo "$st/$f"
	done
	echo "$WG_TOP/scripts/configs/vm.config"
	echo "$WG_TOP/scripts/configs/wireguard-selftest.config"
	echo "$WG_TOP/scripts/configs/wireguard-$WG_VARIANT.config"
	for f in ${WG_CONFIG_EXTRA:-}; do
		echo "$WG_TOP/scripts/configs/$f.config"
	done
}

# Fail when a symbol the fragments ask for did not make it into .config.
check_config() {
	local frag line sym want got bad=0

	for frag in "$WG_TOP"/scripts/configs/wireguard-"$WG_VARIANT".config; do
		while read -r line; do
			case "$line" in CONFIG_*=*) ;; *) continue ;; esac
			sym=${line%%=*}
			want=${line#*=}
			got=$(sed -n "s/^$sym=//p" "$WG_BUILD/.config")
			[ "$want" = n ] && [ -z "$got" ] && got=n
			if [ "$got" != "$want" ]; then
				echo "  $sym: wanted $want, got ${got:-unset}" >&2
				bad=1
			fi
		done <"$frag"
	done
	return $bad
}

main() {
	local new=$WG_BUILD/.config.new

	if [ ! -d "$WG_BUILD" ] && [ "$WG_BUILD" != "$WG_BUILD_M" ] &&
	   [ -f "$WG_BUILD_M/vmlinux" ]; then
		stage "seeding $WG_BUILD from $WG_BUILD_M"
		cp -a "$WG_BUILD_M" "$WG_BUILD.tmp"
		mv "$WG_BUILD.tmp" "$WG_BUILD"
	fi
	mkdir -p "$WG_BUILD"
	stage "configuring $WG_BUILD (WireGuard=$WG_VARIANT)"
	rm -f "$new"
	make -s -C "$WG_TREE" O="$WG_BUILD" KCONFIG_CONFIG=.config.new \
		defconfig >/dev/null
	# shellcheck disable=SC2046
	(cd "$WG_BUILD" && KCONFIG_CONFIG=.config.new \
		"$WG_TREE/scripts/kconfig/merge_config.sh" -m -O "$WG_BUILD" \
		.config.new $(fragments) >/dev/null)
	make -s -C "$WG_TREE" O="$WG_BUILD" KCONFIG_CONFIG=.config.new \
		olddefconfig >/dev/null
	if cmp -s "$new" "$WG_BUILD/.config"; then
		rm -f "$new"
		stage "configuration unchanged"
	else
		mv "$new" "$WG_BUILD/.config"
		stage "configuration updated"
	fi
	if ! check_config; then
		[ "${WG_ALLOW_MISSING_CONFIG:-0}" = 1 ] ||
			die "the configuration lacks WireGuard options (is the series applied?)"
	fi
	stage_done
}

main "$@"
