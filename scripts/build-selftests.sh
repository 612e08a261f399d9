#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 5b: build the real, complete test_progs of the patched tree
# against the kernel in $WG_BUILD, with clang-19, in the cached tree.
set -eu
. "$(dirname "$0")/lib.sh"

main() {
	local st=$WG_TREE/tools/testing/selftests/bpf llvm

	llvm=$(wg_llvm)

	[ -f "$WG_BUILD/vmlinux" ] || die "no kernel in $WG_BUILD (scripts/build-kernel.sh)"
	stage "building test_progs in $st (LLVM $llvm)"
	# the test modules build against $WG_BUILD: KDIR up to v6.12,
	# KBUILD_OUTPUT since (test_kmods/Makefile)
	make -C "$st" -j"$WG_JOBS" \
		KDIR="$WG_BUILD" KBUILD_OUTPUT="$WG_BUILD" \
		VMLINUX_BTF="$WG_BUILD/vmlinux" \
		CLANG="clang-$llvm" LLC="llc-$llvm" \
		LLVM_STRIP="llvm-strip-$llvm" \
		LLVM_OBJCOPY="llvm-objcopy-$llvm" \
		test_progs ${WG_SELFTESTS_EXTRA:-}
	stage_done
}

main "$@"
