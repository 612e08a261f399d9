/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The WireGuard BPF kfunc authors. All Rights Reserved.
 */

#ifndef _WG_BPF_H
#define _WG_BPF_H

#include <linux/types.h>

struct endpoint;
struct scatterlist;
struct wg_peer;

#if IS_ENABLED(CONFIG_WIREGUARD_BPF)
void wg_bpf_init(void);
#else
static inline void wg_bpf_init(void)
{
}
#endif

/* bpf_crypt.c, for the kfuncs of bpf_packet.c; @header: a struct
 * message_data where the program put it, not aligned
 */
int wg_bpf_encrypt(struct wg_peer *peer, void *header,
		   struct scatterlist *sg, int nsg, u32 length, u32 padded);
int wg_bpf_decrypt(struct wg_peer *peer, const void *header,
		   struct scatterlist *sg, int nsg, u32 enc_len,
		   const struct endpoint *endpoint, u8 outer_ds);

#endif /* _WG_BPF_H */
