#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 5b: build the real, complete test_progs of the patched tree
# against the kernel in $WG_BUILD, with clang-19, in the cached tree.
set -eu
. "$(dirname "$0")/lib.sh"

main() {
	local st=$WG_TREE/tools/testing/selftests/bpf

	[ -f "$WG_BUILD/vmlinux" ] || die "no kernel in $WG_BUILD (scripts/build-kernel.sh)"
	stage "building test_progs in $st"
	make -C "$st" -j"$WG_JOBS" \
		KDIR="$WG_BUILD" \
		VMLINUX_BTF="$WG_BUILD/vmlinux" \
		CLANG="$WG_CLANG" LLC="llc$WG_LLVM_SUFFIX" \
		LLVM_STRIP="llvm-strip$WG_LLVM_SUFFIX" \
		LLVM_OBJCOPY="llvm-objcopy$WG_LLVM_SUFFIX" \
		test_progs ${WG_SELFTESTS_EXTRA:-}
	stage_done
}

main "$@"
