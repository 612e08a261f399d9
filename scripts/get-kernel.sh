#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 1: provide the base kernel tree as a git tree in the cache, with
# the base commit tagged wg-bpf-base. Default: Debian's linux-source-7.3
# (WG_KERNEL=6.12: linux-source-6.12, v6.12.117). With KERNEL_SRC=/path,
# a clone (or copy) of that tree.
set -eu
. "$(dirname "$0")/lib.sh"

DEBIAN_TARBALL=/usr/src/linux-source-$WG_KERNEL.tar.xz

git_tree() {
	git -C "$WG_TREE" -c user.name=wg-bpf -c user.email=wg-bpf@localhost \
		-c core.hooksPath=/dev/null "$@"
}

have_base() {
	[ -d "$WG_TREE/.git" ] &&
		git_tree rev-parse -q --verify "$WG_BASE_TAG" >/dev/null
}

# Debian's tarball: its .gitignore ignores everything at the top level
# (Debian packaging), and one backported selftest lacks its BPF program.
fix_debian_tree() {
	sed -i '/^# Debian packaging:/,$d' "$WG_TREE/.gitignore"
	sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$WG_TREE/.gitignore"
	sed -i '${/^#$/d}' "$WG_TREE/.gitignore"
	if [ "$WG_KERNEL" = 6.12 ]; then
		git_tree rm -q tools/testing/selftests/bpf/prog_tests/bpf_attr_size.c
	fi
	git_tree add -A .gitignore
	git_tree commit -q -m "base: fix up Debian's linux-source tarball" \
		-m "Drop the Debian packaging lines from .gitignore and the
backported bpf_attr_size selftest whose BPF program is missing."
}

from_debian() {
	local tmp=$WG_CACHE/unpack.$$

	[ -f "$DEBIAN_TARBALL" ] || die "$DEBIAN_TARBALL missing (scripts/setup-host.sh installs linux-source-$WG_KERNEL)"
	stage "unpacking $DEBIAN_TARBALL"
	rm -rf "$tmp" "$WG_TREE"
	mkdir -p "$tmp" "$(dirname "$WG_TREE")"
	tar -C "$tmp" -xf "$DEBIAN_TARBALL"
	mv "$tmp"/linux-source-* "$WG_TREE"
	rmdir "$tmp"
	stage "creating the base commit"
	git_tree init -q
	git_tree add -A -f .
	git_tree commit -q -m "Linux $(tree_version)$(sed -n 's/^SUBLEVEL = \(.*\)/.\1/p' "$WG_TREE/Makefile") (Debian linux-source-$WG_KERNEL)"
	fix_debian_tree
}

from_kernel_src() {
	local src

	src=$(realpath "$KERNEL_SRC")
	[ -f "$src/Makefile" ] || die "KERNEL_SRC=$KERNEL_SRC is not a kernel tree"
	rm -rf "$WG_TREE"
	mkdir -p "$(dirname "$WG_TREE")"
	if git -C "$src" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		stage "cloning $src (HEAD $(git -C "$src" rev-parse --short HEAD))"
		git clone -q --shared "$src" "$WG_TREE"
		git_tree checkout -q -B "$WG_BRANCH"
	else
		stage "copying $src"
		rsync -a --exclude .git "$src"/ "$WG_TREE"/
		git_tree init -q
		git_tree add -A -f .
		git_tree commit -q -m "base: $src"
	fi
}

main() {
	if have_base; then
		stage "base tree present: $WG_TREE ($(git_tree describe --always "$WG_BASE_TAG"))"
		return
	fi
	if [ -n "$KERNEL_SRC" ]; then
		from_kernel_src
	else
		from_debian
	fi
	git_tree tag -f "$WG_BASE_TAG" >/dev/null
	stage "base tree ready: $WG_TREE (v$(tree_version))"
	stage_done
}

main "$@"
