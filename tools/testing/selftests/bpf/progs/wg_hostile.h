/* SPDX-License-Identifier: GPL-2.0 */
/* What progs/wg_hostile.c and prog_tests/wg_hardening.c share */
#ifndef __WG_HOSTILE_H
#define __WG_HOSTILE_H

#define WG_ARGS_MAX	64

/* One kfunc call of tc_args_live: op 0 encrypts, 1 decrypts */
struct wg_args_call {
	__u32 op;
	__u32 offset;
	__u32 length;
	int ret;
};

#endif /* __WG_HOSTILE_H */
