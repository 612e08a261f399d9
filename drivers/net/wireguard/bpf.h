/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The WireGuard BPF kfunc authors. All Rights Reserved.
 */

#ifndef _WG_BPF_H
#define _WG_BPF_H

#if IS_ENABLED(CONFIG_WIREGUARD_BPF)
int wg_bpf_init(void);
#else
static inline int wg_bpf_init(void)
{
	return 0;
}
#endif

#endif /* _WG_BPF_H */
