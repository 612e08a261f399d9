#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 2: apply patches/ to the base tree with git am, as a user does,
# on branch wg-bpf; on trees that still have KF_TRUSTED_ARGS (v6.12) also
# the generated backport delta in patches/v6.12/. Leaves the tree alone
# when the same patches are already applied, so builds stay incremental.
set -eu
. "$(dirname "$0")/lib.sh"

tgit() {
	git -C "$WG_TREE" -c user.name=wg-bpf -c user.email=wg-bpf@localhost \
		-c core.hooksPath=/dev/null "$@"
}

series_files() {
	ls "$WG_TOP"/patches/*.patch
	if tree_needs_trusted_args; then
		ls "$WG_TOP"/patches/v6.12/*.patch
	fi
}

# The series is net-next's: its hunks carry that tree's context. On an
# older tree (KF_TRUSTED_ARGS) lines a few lines away from a change may
# differ (v6.12's Documentation/networking/index.rst lists xfrm_device
# three lines below the new entry, net-next xfrm/index): there git am
# needs only the line next to each change to match.
am_context() {
	if tree_needs_trusted_args; then
		echo -C1
	fi
}

main() {
	local stamp_file=$WG_TREE/.git/wg-bpf-applied stamp

	tgit rev-parse -q --verify "$WG_BASE_TAG" >/dev/null ||
		die "no base tree at $WG_TREE (scripts/get-kernel.sh)"
	stamp=$(series_files | xargs cat | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ] &&
	   [ "$(tgit rev-parse --abbrev-ref HEAD)" = "$WG_BRANCH" ] &&
	   tgit diff --quiet HEAD; then
		stage "series already applied ($(tgit log --oneline "$WG_BASE_TAG..HEAD" | wc -l) commits)"
		return
	fi
	stage "applying patches/ to $WG_TREE with git am"
	tgit am --abort >/dev/null 2>&1 || true
	tgit checkout -q -f -B "$WG_BRANCH" "$WG_BASE_TAG"
	# files left behind by hand (build outputs are ignored, and stay)
	tgit clean -q -fd
	# shellcheck disable=SC2046
	tgit am -q --empty=drop $(am_context) $(ls "$WG_TOP"/patches/*.patch) ||
		die "the series does not apply to $WG_TREE"
	if tree_needs_trusted_args; then
		stage "tree has KF_TRUSTED_ARGS: applying the v6.12 backport delta"
		# shellcheck disable=SC2046
		tgit am -q $(ls "$WG_TOP"/patches/v6.12/*.patch) ||
			die "the v6.12 backport delta does not apply"
	fi
	echo "$stamp" >"$stamp_file"
	tgit log --oneline "$WG_BASE_TAG..HEAD" >&2
	stage_done
}

main "$@"
