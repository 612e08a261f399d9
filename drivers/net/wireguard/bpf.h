/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The WireGuard BPF kfunc authors. All Rights Reserved.
 */

#ifndef _WG_BPF_H
#define _WG_BPF_H

#include <linux/types.h>

struct __sk_buff;
struct bpf_fib_lookup;
struct bpf_sock_tuple;
struct endpoint;
struct message_data;
struct scatterlist;
struct wg_device;
struct wg_peer;
struct xdp_md;

#if IS_ENABLED(CONFIG_WIREGUARD_BPF)
int wg_bpf_init(void);

/* The kfuncs, which BPF programs find by BTF: bpf.c */
struct wg_device *bpf_xdp_wg_device_get_by_index(struct xdp_md *ctx,
						 u32 ifindex);
struct wg_device *bpf_skb_wg_device_get_by_index(struct __sk_buff *ctx,
						 u32 ifindex);
struct wg_device *bpf_xdp_wg_device_get_by_port(struct xdp_md *ctx, u16 port);
struct wg_device *bpf_skb_wg_device_get_by_port(struct __sk_buff *ctx,
						u16 port);
u32 bpf_wg_device_ifindex(struct wg_device *wg);
void bpf_wg_device_put(struct wg_device *wg);
struct wg_peer *bpf_wg_peer_allowedips_lookup(struct wg_device *wg,
					      const void *addr, u32 addr__sz);
struct wg_peer *bpf_wg_peer_hashtable_lookup(struct wg_device *wg,
					     __le32 idx);
int bpf_wg_endpoint_tuple_get(struct wg_peer *peer,
			      struct bpf_sock_tuple *tuple, u32 tuple__szk);
int bpf_wg_endpoint_route_get(struct wg_peer *peer,
			      struct bpf_fib_lookup *fib, u32 fib__szk);
void bpf_wg_peer_put(struct wg_peer *peer);

/* bpf_packet.c */
int bpf_xdp_wg_encrypt(struct xdp_md *ctx, u32 offset, u32 length,
		       struct wg_peer *peer);
int bpf_skb_wg_encrypt(struct __sk_buff *ctx, u32 offset, u32 length,
		       struct wg_peer *peer);
int bpf_xdp_wg_decrypt(struct xdp_md *ctx, u32 offset, u32 length,
		       struct wg_peer *peer);
int bpf_skb_wg_decrypt(struct __sk_buff *ctx, u32 offset, u32 length,
		       struct wg_peer *peer);
#else
static inline int wg_bpf_init(void)
{
	return 0;
}
#endif

/* bpf_crypt.c, for the kfuncs of bpf_packet.c */
int wg_bpf_encrypt(struct wg_peer *peer, struct message_data *header,
		   struct scatterlist *sg, int nsg, u32 length, u32 padded);
int wg_bpf_decrypt(struct wg_peer *peer, const struct message_data *header,
		   struct scatterlist *sg, int nsg, u32 enc_len,
		   const struct endpoint *endpoint, u8 outer_ds);

#endif /* _WG_BPF_H */
