/* SPDX-License-Identifier: GPL-2.0 */
/* WireGuard kfuncs (drivers/net/wireguard/bpf.c) for BPF programs built
 * with UAPI headers only, as the reference fast path is.
 */
#ifndef __BPF_WG_KFUNCS_H
#define __BPF_WG_KFUNCS_H

#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* Opaque to BPF programs: the verifier knows the kernel's types from
 * vmlinux or wireguard.ko BTF. libbpf needs a struct (not a forward
 * declaration) to match the kfunc prototypes.
 */
struct wg_device {
};

struct wg_peer {
};

struct wg_device *
bpf_xdp_wg_device_get_by_index(struct xdp_md *ctx, __u32 ifindex) __ksym;
struct wg_device *
bpf_skb_wg_device_get_by_index(struct __sk_buff *ctx, __u32 ifindex) __ksym;
struct wg_device *
bpf_xdp_wg_device_get_by_port(struct xdp_md *ctx, __u16 port) __ksym;
struct wg_device *
bpf_skb_wg_device_get_by_port(struct __sk_buff *ctx, __u16 port) __ksym;
__u32 bpf_wg_device_ifindex(struct wg_device *wg) __ksym;
void bpf_wg_device_put(struct wg_device *wg) __ksym;

struct wg_peer *
bpf_wg_peer_allowedips_lookup(struct wg_device *wg, const void *addr,
			      __u32 addr__sz) __ksym;
struct wg_peer *
bpf_wg_peer_hashtable_lookup(struct wg_device *wg, __le32 idx) __ksym;
int bpf_wg_endpoint_tuple_get(struct wg_peer *peer,
			      struct bpf_sock_tuple *tuple,
			      __u32 tuple__szk) __ksym;
int bpf_wg_endpoint_route_get(struct wg_peer *peer,
			      struct bpf_fib_lookup *fib,
			      __u32 fib__szk) __ksym;
void bpf_wg_peer_put(struct wg_peer *peer) __ksym;

int bpf_xdp_wg_encrypt(struct xdp_md *ctx, __u32 offset, __u32 length,
		       struct wg_peer *peer) __ksym;
int bpf_skb_wg_encrypt(struct __sk_buff *ctx, __u32 offset, __u32 length,
		       struct wg_peer *peer) __ksym;
int bpf_xdp_wg_decrypt(struct xdp_md *ctx, __u32 offset, __u32 length,
		       struct wg_peer *peer) __ksym;
int bpf_skb_wg_decrypt(struct __sk_buff *ctx, __u32 offset, __u32 length,
		       struct wg_peer *peer) __ksym;

#endif /* __BPF_WG_KFUNCS_H */
