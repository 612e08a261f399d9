#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 3: regenerate patches/ from the repo's sources. Each series/NN-*/
# directory is one commit on the base tree: its hunks.diff (hunks into
# existing kernel files, or into files an earlier patch added) plus the
# new files listed in its "files", as the repo has them less the later
# patches' hunks. The
# series is written in its net-next form; patches/v6.12/ holds the
# generated backport delta for kernels that still have KF_TRUSTED_ARGS.
#
#   regen-patches.sh          rewrite patches/
#   regen-patches.sh --check  fail if patches/ is not what the sources give
set -eu
. "$(dirname "$0")/lib.sh"

SERIES=$WG_TOP/series
REGEN=$WG_CACHE/$WG_TREE_NAME/regen

# Deterministic output on any machine: fixed identity and dates (main),
# abbreviated blob ids of a fixed length, no commit ids (--zero-commit).
rgit() {
	git -C "$REGEN" -c user.name="$AUTHOR_NAME" -c user.email="$AUTHOR_EMAIL" \
		-c core.hooksPath=/dev/null -c core.abbrev=12 "$@"
}

# The series' own files (those the patches add), as the repo has them.
own_files() {
	cat "$SERIES"/*/files 2>/dev/null | sed '/^$/d'
}

# The parts of a hunks.diff that change the series' own files.
own_hunks() {
	python3 - "$1" $(own_files) <<'PY'
import re, sys
text = open(sys.argv[1]).read()
own = set(sys.argv[2:])
for part in re.split(r"(?m)^(?=diff --git )", text):
    m = re.match(r"diff --git a/(\S+) ", part)
    if m and m.group(1) in own:
        sys.stdout.write(part)
PY
}

# A file a patch adds may be changed by later patches' hunks: the version
# it adds is the repo's, less those hunks. Walk the series backwards from
# the repo's files and keep, per patch, the state of the own files after
# it in $SNAP/<patch>/.
snapshot_own_files() {
	local cur=$SNAP/cur d f hunks

	for f in $(own_files); do
		[ -f "$WG_TOP/$f" ] || die "$f is listed but missing"
		mkdir -p "$cur/$(dirname "$f")"
		cp "$WG_TOP/$f" "$cur/$f"
	done
	for d in $(ls -d "$SERIES"/[0-9]*/ | sort -r); do
		d=${d%/}
		cp -r "$cur" "$SNAP/${d##*/}"
		[ -f "$d/hunks.diff" ] || continue
		hunks=$(own_hunks "$d/hunks.diff")
		[ -n "$hunks" ] || continue
		echo "$hunks" | (cd "$cur" && git apply -R) ||
			die "${d##*/}/hunks.diff does not undo on the sources"
	done
}

commit_patch() {
	local dir=$1 f

	if [ -f "$dir/hunks.diff" ]; then
		rgit apply --index --whitespace=error-all "$dir/hunks.diff" ||
			die "${dir##*/}/hunks.diff does not apply"
	fi
	if [ -f "$dir/files" ]; then
		while read -r f; do
			[ -n "$f" ] || continue
			mkdir -p "$REGEN/$(dirname "$f")"
			cp "$SNAP/${dir##*/}/$f" "$REGEN/$f"
			rgit add "$f"
		done <"$dir/files"
	fi
	{ cat "$dir/message"; printf '\nSigned-off-by: %s <%s>\n' \
		"$AUTHOR_NAME" "$AUTHOR_EMAIL"; } | rgit commit -q -F -
}

# After the last patch, the series' files are the repo's.
check_result() {
	local f

	for f in $(own_files); do
		cmp -s "$WG_TOP/$f" "$REGEN/$f" ||
			die "$f: the series does not end with the repo's version"
	done
}

# Every source file the repo carries must belong to one patch.
check_files_listed() {
	local f listed

	listed=$(cat "$SERIES"/*/files 2>/dev/null | sort)
	for f in $(cd "$WG_TOP" && git ls-files --others --cached --exclude-standard \
			drivers tools Documentation | sort -u); do
		echo "$listed" | grep -qx "$f" ||
			die "$f is in the repo but in no series/*/files"
	done
}

# v6.12 differs from net-next where the series touches it: kfunc
# arguments are trusted only with KF_TRUSTED_ARGS, __udp4_lib_lookup()
# takes the UDP table, and the verifier words its errors as v6.12 did
# (before the structured error reports).
backport_v612() {
	local misuse=tools/testing/selftests/bpf/progs/wg_kfunc_misuse.c
	local hardening=tools/testing/selftests/bpf/prog_tests/wg_hardening.c

	sed -i -E \
		-e '/KF_RELEASE/b' \
		-e 's/^(BTF_ID_FLAGS\(func, [a-z0-9_]+), (.*)\)$/\1,\n\t     \2 | KF_TRUSTED_ARGS)/' \
		-e 's/^(BTF_ID_FLAGS\(func, [a-z0-9_]+)\)$/\1, KF_TRUSTED_ARGS)/' \
		"$REGEN/drivers/net/wireguard/bpf.c"
	sed -i 's/__udp4_lib_lookup(net, 0, 0, 0, htons(port), 0, 0, NULL);/__udp4_lib_lookup(net, 0, 0, 0, htons(port), 0, 0,\n\t\t\t       net->ipv4.udp_table, NULL);/' \
		"$REGEN/drivers/net/wireguard/socket.c"
	python3 - "$REGEN/$misuse" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
for new, old in [
    ("R1 is scalar expected STRUCT wg_device",
     "arg#0 pointer type STRUCT wg_device must point to scalar"),
    ("R4 is scalar expected STRUCT wg_peer",
     "arg#3 pointer type STRUCT wg_peer must point to scalar"),
    ("expects referenced PTR_TO_BTF_ID passed to R1",
     "arg#0 pointer type STRUCT wg_device must point to scalar"),
    ("Possibly NULL pointer passed to trusted R1",
     "Possibly NULL pointer passed to trusted arg0"),
    ("Possibly NULL pointer passed to trusted R4",
     "Possibly NULL pointer passed to trusted arg3"),
    ("cannot write into ptr_wg_device", "only read is supported"),
    ("R1 expected pointer to ctx, but got fp",
     "arg#0 expected pointer to ctx"),
    ("R2 and R3 memory, len pair leads to invalid memory access",
     "invalid indirect access to stack"),
]:
    s = s.replace('__msg("%s")' % new, '__msg("%s")' % old)
open(p, "w").write(s)
PY
	python3 - "$REGEN/$hardening" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
for old, new in [
    ("""	err = bpf_object__prepare(skel->obj);
	if (!ASSERT_OK(err, "prepare"))
		goto out;
""", ""),
    ("""	ASSERT_ERR(load_without(net), "load with CAP_BPF only");
	ASSERT_OK(load_without(admin), "load with CAP_BPF and CAP_NET_ADMIN");
""", """	ASSERT_ERR(load_without(net), "load with CAP_BPF only");
	/* v6.12's libbpf cannot resolve the kfuncs of a module first
	 * (bpf_object__prepare()), and needs CAP_SYS_ADMIN to read its
	 * BTF: that programs load without CAP_PERFMON is tested on
	 * net-next
	 */
"""),
    ("""	const __u64 admin = (1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_PERFMON);
	const __u64 net = (1ULL << CAP_NET_ADMIN) | admin;
""", """	const __u64 net = (1ULL << CAP_NET_ADMIN) |
			  (1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_PERFMON);
"""),
]:
    assert old in s, old
    s = s.replace(old, new)
open(p, "w").write(s)
PY
	rgit add -A drivers tools
	rgit commit -q -F - <<MSG
wireguard: bpf: backport to v6.12

Before trusted kfunc arguments became the default, kfuncs taking
pointers had to ask for them with KF_TRUSTED_ARGS, or the verifier
would let a program pass NULL or an untrusted pointer. v6.12's
__udp4_lib_lookup() takes the UDP table as an argument, and its
verifier reports the misuse the selftests provoke in other words. Its
libbpf has no bpf_object__prepare(), with which the unpriv selftest
resolves a module's kfuncs before it drops capabilities: that case
goes.

Generated by scripts/regen-patches.sh; not part of the net-next series.

Signed-off-by: $AUTHOR_NAME <$AUTHOR_EMAIL>
MSG
}

fill_cover_letter() {
	local cover=$1 subject blurb

	subject=$(head -n 1 "$SERIES/cover-letter")
	blurb=$(tail -n +3 "$SERIES/cover-letter")
	python3 - "$cover" "$subject" "$blurb" <<'PY'
import sys
path, subject, blurb = sys.argv[1:]
s = open(path).read()
s = s.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", blurb)
open(path, "w").write(s)
PY
}

generate() {
	local out=$1 d n=0

	if [ ! -d "$REGEN/.git" ]; then
		stage "cloning $WG_TREE into $REGEN"
		git clone -q --shared --no-checkout "$WG_TREE" "$REGEN"
	fi
	# forced: each tree (make test's, make test-debug's) has a base
	# commit of its own, with the same contents
	rgit fetch -q "$WG_TREE" "+refs/tags/$WG_BASE_TAG:refs/tags/$WG_BASE_TAG" ||
		die "cannot fetch $WG_BASE_TAG from $WG_TREE"
	rgit checkout -q -f --detach "$WG_BASE_TAG"
	rgit clean -q -fdx
	snapshot_own_files
	for d in "$SERIES"/[0-9]*/; do
		commit_patch "${d%/}"
		n=$((n + 1))
	done
	check_result
	rgit tag -f wg-bpf-series >/dev/null
	rgit format-patch -q --no-signature --zero-commit --cover-letter \
		--subject-prefix="PATCH net-next" -o "$out" \
		"$WG_BASE_TAG..wg-bpf-series"
	fill_cover_letter "$out/0000-cover-letter.patch"
	backport_v612
	rgit format-patch -q --no-signature --zero-commit \
		--subject-prefix="PATCH 6.12" \
		-o "$out/v6.12" -1 HEAD
	stage "$n patches + cover letter, and the v6.12 backport delta"
}

# Whose series it is: who submits it signs it off (the DCO) and is its
# author. WG_AUTHOR="Name <email>"; else, checking, whoever patches/ was
# made for; else git's user.name and user.email; else series/AUTHOR, a
# placeholder.
author() {
	local who=${WG_AUTHOR:-}

	if [ -z "$who" ] && [ "${1:-}" = --check ]; then
		who=$(sed -n 's/^Signed-off-by: //p' "$WG_TOP"/patches/0001-*.patch 2>/dev/null |
			head -n 1)
	fi
	if [ -z "$who" ] && git -C "$WG_TOP" config user.email >/dev/null; then
		who="$(git -C "$WG_TOP" config user.name) <$(git -C "$WG_TOP" config user.email)>"
	fi
	[ -n "$who" ] || who=$(cat "$SERIES/AUTHOR")
	AUTHOR_NAME=${who% <*}
	AUTHOR_EMAIL=${who##*<}
	AUTHOR_EMAIL=${AUTHOR_EMAIL%>}
}

main() {
	author "$@"
	export GIT_AUTHOR_DATE GIT_COMMITTER_DATE
	GIT_AUTHOR_DATE=$(cat "$SERIES/DATE")
	GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
	check_files_listed
	out=$(mktemp -d)
	SNAP=$(mktemp -d)
	trap 'rm -rf "$out" "$SNAP"' EXIT
	generate "$out"
	if [ "${1:-}" = --check ]; then
		if ! diff -r "$out" "$WG_TOP/patches" >/dev/null 2>&1; then
			diff -ru "$WG_TOP/patches" "$out" | head -n 40 >&2 || true
			die "patches/ is stale: run scripts/regen-patches.sh and commit"
		fi
		stage "patches/ is current"
	else
		rm -rf "$WG_TOP/patches"
		cp -r "$out" "$WG_TOP/patches"
		stage "wrote $WG_TOP/patches"
	fi
	stage_done
}

main "$@"
