#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static checks of the series, run in the kernel tree the series applies
# to: checkpatch.pl --strict --codespell on every patch, kernel-doc -Wall
# on the new kernel files, and the documentation page through docutils
# with the kernel-doc of the kfuncs pulled in. Prints one CHECK line per
# check and fails if any is not clean.
set -eu
. "$(dirname "$0")/lib.sh"

FAILED=0
# spdxcheck.py wants the distribution's python3 (python3-ply, python3-git)
PATH=/usr/bin:/bin:$PATH

checkpatch() {
	perl scripts/checkpatch.pl --strict --codespell --max-line-length=80 \
		--no-summary --terse "$@" 2>&1 || true
}

result() {
	printf 'CHECK %-40s %s\n' "$1" "$2"
	[ "$2" = PASS ] || FAILED=$((FAILED + 1))
}

# codespell's dictionary, less WireGuard's own words: it takes "keypair"
# for a typo of "key pair", and the driver names its keypairs so in
# hundreds of places (struct noise_keypair, peer->keypairs, ...); and
# ECN's ECT (ECN-Capable Transport, RFC 3168) for "etc". Those
# hits, and "does MAINTAINERS need updating?" for new files that existing
# F: entries cover (MAINTAINERS.fragment has the proposed entry), are
# counted and shown, not failed.
codespell_dict() {
	local f

	for f in /usr/share/codespell/dictionary.txt \
		 /usr/lib/python3/dist-packages/codespell_lib/data/dictionary.txt; do
		if [ -f "$f" ]; then
			grep -v -E '^(keypairs?|ect)->' "$f" >"$1"
			return
		fi
	done
	die "codespell's dictionary is missing (apt install codespell)"
}

check_patches() {
	local p out dict known

	dict=$(mktemp)
	codespell_dict "$dict"
	for p in "$WG_TOP"/patches/0*.patch "$WG_TOP"/patches/v6.12/*.patch; do
		case "$p" in */0000-cover-letter.patch) continue ;; esac
		out=$(cd "$WG_TREE" && checkpatch --codespellfile="$dict" \
			--ignore FILE_PATH_CHANGES "$p")
		known=$(cd "$WG_TREE" && checkpatch "$p" |
			grep -c -e "'keypairs*' may be misspelled" \
				-e "'ECT' may be misspelled" \
				-e "does MAINTAINERS need updating") || true
		if [ -z "$out" ]; then
			result "checkpatch:${p##*/}" PASS
		else
			echo "$out"
			result "checkpatch:${p##*/}" FAIL
		fi
		[ "$known" = 0 ] ||
			echo "  (${p##*/}: $known known: 'keypair', new files under existing F: entries)"
	done
	rm -f "$dict"
}

check_kernel_doc() {
	local out

	out=$(cd "$WG_TOP" && perl "$WG_TREE/scripts/kernel-doc" -Wall -none \
		drivers/net/wireguard/bpf*.[ch] 2>&1)
	if [ -z "$out" ]; then
		result kernel-doc PASS
	else
		echo "$out"
		result kernel-doc FAIL
	fi
}

# docutils cannot run Sphinx's kernel-doc directive: put kernel-doc's
# reStructuredText in its place, as Sphinx would, give the C domain's
# directive and roles plain stand-ins, and fail on any warning.
check_rst() {
	local rst=Documentation/networking/wireguard-bpf.rst tmp

	tmp=$(mktemp -d)
	sed '/^\.\. kernel-doc::/,$d' "$WG_TOP/$rst" >"$tmp/page.rst"
	# each ".. kernel-doc:: FILE" with its ":identifiers:" lines
	awk '/^\.\. kernel-doc::/ { if (f) print f ids; f = $3; ids = "" ; next }
	     f && /^ / { sub(":identifiers:", ""); ids = ids " " $0 }
	     END { if (f) print f ids }' "$WG_TOP/$rst" |
	while read -r file ids; do
		# shellcheck disable=SC2046,SC2086
		(cd "$WG_TOP" && perl "$WG_TREE/scripts/kernel-doc" -rst \
			$(printf -- '-function %s ' $ids) "$file")
	done >>"$tmp/page.rst"
	if python3 - "$tmp/page.rst" >"$tmp/err" 2>&1 <<'PY' &&
import sys
import docutils.core
from docutils.parsers.rst import Directive, directives, roles

class CFunction(Directive):
    has_content = True
    required_arguments = 1
    final_argument_whitespace = True

    def run(self):
        node = docutils.nodes.container()
        self.state.nested_parse(self.content, self.content_offset, node)
        return [docutils.nodes.literal_block(text=self.arguments[0]), node]

directives.register_directive("c:function", CFunction)
for role in ("c:func", "c:type", "ref"):
    roles.register_generic_role(role, docutils.nodes.literal)
with open(sys.argv[1]) as f:
    docutils.core.publish_string(
        f.read(), writer_name="html",
        settings_overrides={"halt_level": 2, "report_level": 2})
PY
	   [ "$(grep -c "^\.\. c:function::" "$tmp/page.rst")" = 15 ]; then
		result "docs:$rst" PASS
	else
		cat "$tmp/err"
		result "docs:$rst" FAIL
	fi
	rm -rf "$tmp"
}

# What the checks read: the series, the new files, this script, the
# tree's checkers and codespell's dictionary.
inputs_key() {
	{
		cat "$WG_TOP"/patches/*.patch "$WG_TOP"/patches/v6.12/*.patch \
			"$WG_TOP"/drivers/net/wireguard/bpf*.[ch] \
			"$WG_TOP/Documentation/networking/wireguard-bpf.rst" \
			"$0" /usr/share/codespell/dictionary.txt \
			/usr/lib/python3/dist-packages/codespell_lib/data/dictionary.txt \
			2>/dev/null
		git -C "$WG_TREE" rev-parse "$WG_BASE_TAG"
		python3 -c 'import docutils; print(docutils.__version__)'
	} | sha256sum | cut -d' ' -f1
}

main() {
	local cache=$WG_CACHE/check-series key

	[ -f "$WG_TREE/scripts/checkpatch.pl" ] ||
		die "no kernel tree at $WG_TREE (scripts/get-kernel.sh)"
	# A clean result stands while nothing the checks read changes
	# (WG_RECHECK=1 runs them anyway).
	key=$(inputs_key)
	if [ -z "${WG_RECHECK:-}" ] && [ -f "$cache/$key" ]; then
		stage "series and checkers unchanged since $(date -u -r "$cache/$key" '+%F %T UTC'): its clean result"
		cat "$cache/$key"
		return
	fi
	{
		check_patches
		check_kernel_doc
		check_rst
	} >"$cache.out" || true
	cat "$cache.out"
	FAILED=$(grep -c '^CHECK .* FAIL$' "$cache.out") || true
	if [ "$FAILED" = 0 ]; then
		mkdir -p "$cache"
		mv "$cache.out" "$cache/$key"
	fi
	rm -f "$cache.out"
	stage_done
	[ "$FAILED" = 0 ]
}

main "$@"
