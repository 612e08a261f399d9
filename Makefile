# SPDX-License-Identifier: GPL-2.0
# WireGuard BPF kfuncs: pipeline entry points. Each target does its own
# set-up (apt packages when root). See README.md.

.PHONY: all test test-netns test-full test-lts test-debug demo bench check bisect patches \
	check-patches kernel selftests vm

all: test

# What CI runs, on Linux 7.3: series check, git am (onto v6.12 too),
# builds (=m, =y, WIREGUARD_BPF=n), test_progs -t wg (=m, =y), stress.
test:
	scripts/run-tests.sh

# The long runs on 7.3: WireGuard's own netns.sh, =m with the fast path
# attached (iptables-nft), =y without (iptables-legacy); the stress run.
# 50 minutes under TCG.
test-netns:
	WG_RUN=netns scripts/run-tests.sh

# make test and make test-netns in one run.
test-full:
	WG_RUN=full scripts/run-tests.sh

# The v6.12 LTS: git am with the backport delta, the =m build with W=1
# and sparse, test_progs -t wg.
test-lts:
	WG_KERNEL=6.12 WG_RUN=lts scripts/run-tests.sh

# The same on a debug kernel (KASAN, lockdep, kmemleak, UBSAN, ...).
test-debug:
	scripts/test-debug.sh

# The main job: boot the patched kernel and show the kfuncs at work.
demo:
	scripts/demo.sh

# Fast path against the stack: ratios from one VM run.
bench:
	scripts/bench.sh

# Static checks of the series: checkpatch, kernel-doc, documentation.
check:
	scripts/setup-host.sh
	scripts/get-kernel.sh
	scripts/check-series.sh

# Build drivers/net/wireguard/ after every patch: =y, =m, BPF=n, W=1, C=1.
bisect: kernel
	scripts/bisect-build.sh

# Regenerate patches/ from the sources; check that it is current.
patches:
	scripts/regen-patches.sh
check-patches:
	scripts/regen-patches.sh --check

# Single stages (WG_VARIANT=m|y, WG_KERNEL=7.3|6.12, KERNEL_SRC=/path/to/tree).
kernel:
	scripts/setup-host.sh
	scripts/get-kernel.sh
	scripts/apply-series.sh
	scripts/configure.sh
	scripts/build-kernel.sh
selftests: kernel
	scripts/build-selftests.sh

# Interactive-free VM shell command: make vm CMD="uname -a"
vm:
	scripts/vmtest.sh -- bash -c '$(CMD)'
