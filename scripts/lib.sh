# SPDX-License-Identifier: GPL-2.0
# Common settings and helpers for the wg-bpf pipeline scripts.
# Sourced, not executed.

# Scripts run from make (make test, make demo) must not pass make's state
# on: the selftests' lib.mk, for one, picks its OUTPUT by MAKELEVEL.
unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES

WG_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WG_CACHE=${WG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wg-bpf}
# The kernel tree the series is applied to. Default: Debian's
# linux-source of Linux 7.3 (the net-next form of the series);
# WG_KERNEL=6.12 picks Debian's v6.12 LTS source (with the generated
# backport delta). KERNEL_SRC=/path selects any other tree; it is cloned
# (git) or copied into the cache, never modified.
WG_KERNEL=${WG_KERNEL:-7.3}
KERNEL_SRC=${KERNEL_SRC:-}
if [ -n "$KERNEL_SRC" ]; then
	WG_TREE_NAME=${WG_TREE_NAME:-$(basename "$(realpath "$KERNEL_SRC")")}
else
	WG_TREE_NAME=${WG_TREE_NAME:-debian-$WG_KERNEL}
fi
WG_TREE=${WG_TREE:-$WG_CACHE/$WG_TREE_NAME/src}
WG_JOBS=${WG_JOBS:-$(($(nproc) + 1))}
# LLVM for the BPF selftests: Linux 7.x's need LLVM 20 or later (32-bit
# atomics of libarena: clang-19 fails), so clang-22 (bookworm-security);
# v6.12's build with clang-19, as tested since. WG_LLVM=19|22 picks one.
wg_llvm() {
	if [ -n "${WG_LLVM:-}" ]; then
		echo "$WG_LLVM"
	elif [ "$(tree_version | cut -d. -f1)" -ge 7 ] 2>/dev/null; then
		echo 22
	else
		echo 19
	fi
}
# Build variants: "m" (WireGuard as a module, the default) in build/, and
# "y" in build-y/, which starts as a copy of build/ (configure.sh): the
# first =y build rebuilds only what the options that differ touch, and
# neither variant rebuilds anything when make test switches between them.
WG_VARIANT=${WG_VARIANT:-m}
WG_BUILD_M=$WG_CACHE/$WG_TREE_NAME/build
if [ "$WG_VARIANT" = m ]; then
	WG_BUILD=${WG_BUILD:-$WG_BUILD_M}
else
	WG_BUILD=${WG_BUILD:-$WG_BUILD_M-$WG_VARIANT}
fi
# test_progs builds in the (cached) tree, as BPF CI does: its Makefile
# does not rebuild reliably with OUTPUT elsewhere.
WG_SELFTESTS=$WG_TREE/tools/testing/selftests/bpf
WG_BASE_TAG=wg-bpf-base
WG_BRANCH=wg-bpf

export CCACHE_DIR=${CCACHE_DIR:-$WG_CACHE/ccache}
export CCACHE_BASEDIR=$WG_CACHE
export CCACHE_NOHASHDIR=1
# depend mode: no separate preprocessor run per compilation (the cold
# build's biggest ccache cost); hits come from the compiler's -MMD deps
export CCACHE_DEPEND=${CCACHE_DEPEND:-1}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}

wg_t0=$(date +%s)

stage() {
	printf '==> [%s] %s\n' "${0##*/}" "$*" >&2
}

die() {
	printf 'ERROR: [%s] %s\n' "${0##*/}" "$*" >&2
	exit 1
}

# Print how long the calling script took; call from an EXIT trap or at the end.
stage_done() {
	printf '==> [%s] done in %ss\n' "${0##*/}" "$(($(date +%s) - wg_t0))" >&2
}

# Kernel release of the tree's version, e.g. "6.12".
tree_version() {
	local tree=${1:-$WG_TREE}

	awk '/^VERSION =/ { v = $3 } /^PATCHLEVEL =/ { p = $3 }
	     END { print v "." p }' "$tree/Makefile"
}

# True when the tree still has KF_TRUSTED_ARGS (kernels before the
# bpf-next change that made trusted arguments the default).
tree_needs_trusted_args() {
	grep -q 'define KF_TRUSTED_ARGS' "${1:-$WG_TREE}/include/linux/btf.h"
}

kmake() {
	make -C "$WG_TREE" O="$WG_BUILD" -j"$WG_JOBS" CC="ccache gcc" "$@"
}
