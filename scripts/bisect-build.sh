#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bisect: build drivers/net/wireguard/ after every patch of the
# applied series (scripts/apply-series.sh), for WireGuard =y, =m and
# WIREGUARD_BPF=n, with W=1 and sparse (C=1), and fail on any warning
# or error there. Works in a git worktree of the kernel tree and build
# directories of its own in the cache, so the main build stays as it is.
# Prints one "BISECT <n>-<variant> PASS|FAIL" line per build.
#
#   bisect-build.sh          every patch (make bisect)
#   bisect-build.sh --tip    the last patch only (make test, with
#                            WG_BISECT_VARIANTS=n: the one configuration
#                            its kernel builds do not cover)
set -eu
. "$(dirname "$0")/lib.sh"

BISECT_TREE=$WG_CACHE/$WG_TREE_NAME/bisect-src
FAILED=0

bgit() {
	git -C "$WG_TREE" "$@"
}

result() {
	printf 'BISECT %-40s %s\n' "$1" "$2"
	[ "$2" = PASS ] || FAILED=$((FAILED + 1))
}

build_one() {
	local name=$1 v=$2 build=$WG_CACHE/$WG_TREE_NAME/bisect-$2 log

	log=$(mktemp)
	# configure for this commit: the options differ along the series
	if ! WG_TREE=$BISECT_TREE WG_BUILD=$build WG_VARIANT=$v \
	     WG_ALLOW_MISSING_CONFIG=1 "$WG_TOP/scripts/configure.sh" \
			>"$log" 2>&1 ||
	   ! make -C "$BISECT_TREE" O="$build" -j"$WG_JOBS" CC="ccache gcc" \
			W=1 C=1 drivers/net/wireguard/ >>"$log" 2>&1; then
		tail -n 30 "$log"
		result "$name-$v" FAIL
	elif grep -E '(warning|error):' "$log" | grep 'drivers/net/wireguard/'; then
		result "$name-$v" FAIL
	else
		result "$name-$v" PASS
	fi
	rm -f "$log"
}

main() {
	local commits c n=0 v

	commits=$(bgit rev-list --reverse "$WG_BASE_TAG..$WG_BRANCH") ||
		die "the series is not applied (scripts/apply-series.sh)"
	[ -n "$commits" ] || die "the series is not applied (scripts/apply-series.sh)"
	if [ ! -e "$BISECT_TREE/.git" ]; then
		stage "adding the worktree $BISECT_TREE"
		bgit worktree prune
		bgit worktree add -q --detach "$BISECT_TREE" "$WG_BASE_TAG"
	fi
	for c in $commits; do
		n=$((n + 1))
		if [ "${1:-}" = --tip ] && [ "$c" != "$(echo "$commits" | tail -n 1)" ]; then
			continue
		fi
		git -C "$BISECT_TREE" checkout -q --detach "$c"
		stage "$n: $(git -C "$BISECT_TREE" log -1 --format=%s)"
		for v in ${WG_BISECT_VARIANTS:-y m n}; do
			build_one "$n" "$v"
		done
	done
	stage_done
	[ "${1:-}" = --tip ] && n=1
	echo "$(( n * $(echo ${WG_BISECT_VARIANTS:-y m n} | wc -w) - FAILED )) passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}

main "$@"
