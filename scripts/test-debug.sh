#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make test-debug: the =m part of the suite (scripts/run-tests.sh) on a
# debug kernel: KASAN, lockdep and PROVE_RCU, DEBUG_ATOMIC_SLEEP,
# DEBUG_OBJECTS, kmemleak, UBSAN, DEBUG_NET, netdev and netns reference
# trackers (scripts/configs/debug.config), with WireGuard as a module.
# It has a tree and a build directory of its own, so the normal build
# stays warm and both can be used at the same time; the guest gets more
# memory and time, and the tests end with kmemleak scans. Not part of
# make test: a cold debug build takes ~45 minutes on 2 cores, the VM
# ~50 under TCG.
set -eu
. "$(dirname "$0")/lib.sh"

export WG_TREE=$WG_CACHE/$WG_TREE_NAME/src-debug
export WG_BUILD=$WG_CACHE/$WG_TREE_NAME/build-debug
export WG_LOGS=$WG_CACHE/logs-debug
export WG_CONFIG_EXTRA="${WG_CONFIG_EXTRA:-} debug"
export WG_VARIANTS=m
# make test covers WIREGUARD_BPF=n
export WG_SKIP_BISECT=1
export WG_VM_MEM=${WG_VM_MEM:-4G}
export WG_VM_TIMEOUT=${WG_VM_TIMEOUT:-7200}
# PCI interrupt routing from the BIOS table: ACPI's _PRT method runs into
# the AML interpreter's 30 s loop timeout on this kernel under TCG
export WG_VM_APPEND="${WG_VM_APPEND:-pci=noacpi}"
# the fuzz subtest's packets (100 000 in make test); all of test_progs
# -t wg and the stress run (its own VM), not netns.sh with the fast path
# attached (test_progs' local subtests cover its path into the device)
export WG_FUZZ_PACKETS=${WG_FUZZ_PACKETS:-20000}
export WG_VM_ARGS_M=${WG_VM_ARGS_M-}
exec "$WG_TOP/scripts/run-tests.sh" "$@"
