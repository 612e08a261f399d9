#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build drivers/net/wireguard/ of the configured build (WG_VARIANT) with
# W=1 and sparse on every file (C=2); fail on any warning in it.
set -eu
. "$(dirname "$0")/lib.sh"

# Whether the tree's kbuild accepts the sparse installed here: it tests it
# with scripts/checker-valid.sh and otherwise skips it with a warning only.
# Linux 6.16 and later want __typeof_unqual__, which Debian's sparse
# (0.6.4, bookworm and trixie) does not parse.
sparse_usable() {
	local valid=$WG_TREE/scripts/checker-valid.sh

	command -v sparse >/dev/null || return 1
	[ -f "$valid" ] || return 0
	[ "$(sh "$valid" sparse -D__linux__ -Dlinux -D__STDC__ -Dunix \
		-D__unix__ -Wbitwise -Wno-return-void -Wno-unknown-attribute \
		--arch=x86 -mlittle-endian -m64 2>/dev/null)" = 1 ]
}

# sparse's warning for every kfunc: kfuncs are global without a
# declaration by design (__bpf_kfunc_start_defs() tells the compiler so;
# sparse has no such switch, and has the warning for every kfunc of
# the kernel). Only for the names of the wireguard kfunc set.
kfunc_warnings() {
	sed -n 's/^BTF_ID_FLAGS(func, \([a-z0-9_]*\).*/\1/p' \
		"$WG_TREE"/drivers/net/wireguard/*.c |
		sed "s/.*/warning: symbol '&' was not declared. Should it be static?/"
}

main() {
	local log checker

	[ -f "$WG_BUILD/.config" ] || die "$WG_BUILD is not configured"
	log=$(mktemp)
	if sparse_usable; then
		checker=C=2
	else
		checker=C=0
		echo "SPARSE-NOT-RUN: $(sparse --version 2>&1 | head -n 1) cannot check this tree" \
			"(it does not parse __typeof_unqual__): W=1 only"
	fi
	stage "W=1 $checker drivers/net/wireguard/ in $WG_BUILD"
	kmake W=1 "$checker" drivers/net/wireguard/ >"$log" 2>&1 ||
		{ cat "$log"; rm -f "$log"; die "build failed"; }
	if grep -E '(warning|error):' "$log" | grep 'drivers/net/wireguard/' |
			grep -v -F -f <(kfunc_warnings); then
		rm -f "$log"
		die "new warnings"
	fi
	rm -f "$log"
	stage "no warnings"
	stage_done
}

main "$@"
