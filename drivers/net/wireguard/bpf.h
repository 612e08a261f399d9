/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The WireGuard BPF kfunc authors. All Rights Reserved.
 */

#ifndef _WG_BPF_H
#define _WG_BPF_H

#include <linux/types.h>

struct endpoint;
struct message_data;
struct scatterlist;
struct udphdr;
struct wg_peer;

#if IS_ENABLED(CONFIG_WIREGUARD_BPF)
int wg_bpf_init(void);
#else
static inline int wg_bpf_init(void)
{
	return 0;
}
#endif

/* bpf_crypt.c, for the kfuncs of bpf.c */
u32 wg_bpf_padded_len(u32 len, u32 mtu);
int wg_bpf_encrypt(struct wg_peer *peer, struct message_data *header,
		   struct scatterlist *sg, u32 plain_len);
int wg_bpf_decrypt(struct wg_peer *peer, const struct message_data *header,
		   struct scatterlist *sg, int nsg, u32 enc_len,
		   const struct endpoint *endpoint);
int wg_bpf_endpoint(struct endpoint *endpoint, const void *nh,
		    const struct udphdr *uh, int ifindex);

#endif /* _WG_BPF_H */
