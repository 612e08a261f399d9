// SPDX-License-Identifier: GPL-2.0
/* Misuse of the WireGuard kfuncs that the verifier must reject, each with
 * the message it must give, and the correct uses next to them, which
 * must load (RUN_TESTS in prog_tests/wg.c).
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "bpf_misc.h"
#include "bpf_wg_kfuncs.h"

#define WG_PORT 51820

__be32 addr4;
__u8 addr6[16];
__u32 ifindex;
__le32 key_idx;

SEC("xdp")
__success
int xdp_correct(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tuple;
	struct wg_device *wg;
	struct wg_peer *peer;
	int ret = XDP_PASS;

	wg = bpf_xdp_wg_device_get_by_port(ctx, WG_PORT);
	if (!wg)
		return XDP_PASS;
	peer = bpf_wg_peer_allowedips_lookup(wg, addr6, sizeof(addr6));
	if (peer) {
		if (bpf_wg_endpoint_tuple_get(peer, &tuple, sizeof(tuple)) < 0)
			ret = XDP_DROP;
		else if (bpf_xdp_wg_encrypt(ctx, 0, 64, peer))
			ret = XDP_DROP;
		bpf_wg_peer_put(peer);
	}
	peer = bpf_wg_peer_hashtable_lookup(wg, key_idx);
	if (peer) {
		if (bpf_xdp_wg_decrypt(ctx, 0, 64, peer))
			ret = XDP_DROP;
		bpf_wg_peer_put(peer);
	}
	bpf_wg_device_put(wg);
	return ret;
}

SEC("tc")
__success
int tc_correct(struct __sk_buff *ctx)
{
	struct wg_device *wg;
	struct wg_peer *peer;
	int ret = TC_ACT_OK;

	wg = bpf_skb_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return TC_ACT_OK;
	peer = bpf_wg_peer_allowedips_lookup(wg, &addr4, sizeof(addr4));
	if (peer) {
		if (bpf_skb_wg_encrypt(ctx, 0, 64, peer) ||
		    bpf_skb_wg_decrypt(ctx, 0, 64, peer))
			ret = TC_ACT_SHOT;
		bpf_wg_peer_put(peer);
	}
	bpf_wg_device_put(wg);
	return ret;
}

SEC("xdp")
__failure __msg("Unreleased reference")
int leak_device(struct xdp_md *ctx)
{
	struct wg_device *wg;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	return XDP_DROP;
}

SEC("tc")
__failure __msg("Unreleased reference")
int leak_peer(struct __sk_buff *ctx)
{
	struct wg_device *wg;
	struct wg_peer *peer;

	wg = bpf_skb_wg_device_get_by_port(ctx, WG_PORT);
	if (!wg)
		return TC_ACT_OK;
	peer = bpf_wg_peer_hashtable_lookup(wg, key_idx);
	bpf_wg_device_put(wg);
	return peer ? TC_ACT_SHOT : TC_ACT_OK;
}

/* A released reference is a scalar to the verifier */
SEC("xdp")
__failure __msg("expects referenced PTR_TO_BTF_ID passed to R1")
int double_put(struct xdp_md *ctx)
{
	struct wg_device *wg;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	bpf_wg_device_put(wg);
	bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("R1 is scalar expected STRUCT wg_device")
int use_after_put(struct xdp_md *ctx)
{
	struct wg_device *wg;
	struct wg_peer *peer;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	bpf_wg_device_put(wg);
	peer = bpf_wg_peer_allowedips_lookup(wg, &addr4, sizeof(addr4));
	if (peer)
		bpf_wg_peer_put(peer);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("R4 is scalar expected STRUCT wg_peer")
int peer_use_after_put(struct xdp_md *ctx)
{
	struct wg_device *wg;
	struct wg_peer *peer;
	int ret = XDP_PASS;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	peer = bpf_wg_peer_allowedips_lookup(wg, &addr4, sizeof(addr4));
	if (peer) {
		bpf_wg_peer_put(peer);
		ret = bpf_xdp_wg_encrypt(ctx, 0, 64, peer);
	}
	bpf_wg_device_put(wg);
	return ret;
}

SEC("xdp")
__failure __msg("Possibly NULL pointer passed to trusted R1")
int unchecked_device(struct xdp_md *ctx)
{
	struct wg_device *wg;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("tc")
__failure __msg("Possibly NULL pointer passed to trusted R4")
int unchecked_peer(struct __sk_buff *ctx)
{
	struct wg_device *wg;
	struct wg_peer *peer;
	int ret;

	wg = bpf_skb_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return TC_ACT_OK;
	peer = bpf_wg_peer_hashtable_lookup(wg, key_idx);
	ret = bpf_skb_wg_decrypt(ctx, 0, 64, peer);
	if (peer)
		bpf_wg_peer_put(peer);
	bpf_wg_device_put(wg);
	return ret;
}

SEC("xdp")
__failure __msg("expects referenced PTR_TO_BTF_ID passed to R1")
int scalar_as_device(struct xdp_md *ctx)
{
	bpf_wg_device_put((struct wg_device *)(unsigned long)ifindex);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("but R1 has a pointer to STRUCT wg_peer")
int peer_as_device(struct xdp_md *ctx)
{
	struct wg_device *wg;
	struct wg_peer *peer;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	peer = bpf_wg_peer_hashtable_lookup(wg, key_idx);
	if (peer)
		bpf_wg_device_put((struct wg_device *)peer);
	bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("but R1 has a pointer to STRUCT wg_device")
int device_as_peer(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tuple;
	struct wg_device *wg;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	bpf_wg_endpoint_tuple_get((struct wg_peer *)wg, &tuple, sizeof(tuple));
	bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("must have zero offset when passed to release func")
int put_moved_pointer(struct xdp_md *ctx)
{
	struct wg_device *wg;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	bpf_wg_device_put((struct wg_device *)((char *)wg + 8));
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("cannot write into ptr_wg_device")
int write_device(struct xdp_md *ctx)
{
	struct wg_device *wg;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	*(__u64 *)wg = 0;
	bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("kprobe")
__failure __msg("calling kernel function bpf_wg_device_put is not allowed")
int kprobe_put(void *ctx)
{
	bpf_wg_device_put((struct wg_device *)ctx);
	return 0;
}

SEC("syscall")
__failure __msg("function bpf_wg_peer_hashtable_lookup is not allowed")
int syscall_lookup(void *ctx)
{
	struct wg_peer *peer;

	peer = bpf_wg_peer_hashtable_lookup((struct wg_device *)ctx, key_idx);
	if (peer)
		bpf_wg_peer_put(peer);
	return 0;
}

/* A context is only a context to the program type it belongs to: an
 * XDP kfunc in a TC program would take any memory of its size.
 */
SEC("tc")
__failure __msg("function bpf_xdp_wg_device_get_by_index is not allowed")
int tc_calls_xdp_kfunc(struct __sk_buff *ctx)
{
	struct wg_device *wg;

	wg = bpf_xdp_wg_device_get_by_index((struct xdp_md *)ctx, ifindex);
	if (wg)
		bpf_wg_device_put(wg);
	return TC_ACT_OK;
}

SEC("tc")
__failure __msg("calling kernel function bpf_xdp_wg_encrypt is not allowed")
int tc_fakes_xdp_ctx(struct __sk_buff *ctx)
{
	struct xdp_md fake = {};
	struct wg_device *wg;
	struct wg_peer *peer;
	int ret = TC_ACT_OK;

	wg = bpf_skb_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return TC_ACT_OK;
	peer = bpf_wg_peer_allowedips_lookup(wg, &addr4, sizeof(addr4));
	if (peer) {
		ret = bpf_xdp_wg_encrypt(&fake, 0, 64, peer);
		bpf_wg_peer_put(peer);
	}
	bpf_wg_device_put(wg);
	return ret;
}

SEC("xdp")
__failure __msg("function bpf_skb_wg_device_get_by_port is not allowed")
int xdp_calls_skb_kfunc(struct xdp_md *ctx)
{
	struct wg_device *wg;

	wg = bpf_skb_wg_device_get_by_port((struct __sk_buff *)ctx, WG_PORT);
	if (wg)
		bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("R1 expected pointer to ctx, but got fp")
int xdp_fakes_ctx(struct xdp_md *ctx)
{
	struct xdp_md fake = {};
	struct wg_device *wg;

	wg = bpf_xdp_wg_device_get_by_index(&fake, ifindex);
	if (wg)
		bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("R2 and R3 memory, len pair leads to invalid memory access")
int addr_sz_too_big(struct xdp_md *ctx)
{
	struct wg_device *wg;
	struct wg_peer *peer;
	__be32 addr = addr4;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	peer = bpf_wg_peer_allowedips_lookup(wg, &addr, 16);
	if (peer)
		bpf_wg_peer_put(peer);
	bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("invalid access to packet")
int addr_unchecked_packet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	struct wg_device *wg;
	struct wg_peer *peer;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	/* the IPv6 source address, with no check of the packet's end */
	peer = bpf_wg_peer_allowedips_lookup(wg, data + ETH_HLEN + 8, 16);
	if (peer)
		bpf_wg_peer_put(peer);
	bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("must be a known constant")
int tuple_size_unknown(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tuple;
	struct wg_device *wg;
	struct wg_peer *peer;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	peer = bpf_wg_peer_allowedips_lookup(wg, &addr4, sizeof(addr4));
	if (peer) {
		bpf_wg_endpoint_tuple_get(peer, &tuple,
					  ifindex & (sizeof(tuple) - 1));
		bpf_wg_peer_put(peer);
	}
	bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("R2 and R3 memory, len pair leads to invalid memory access")
int tuple_size_too_big(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tuple;
	struct wg_device *wg;
	struct wg_peer *peer;

	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return XDP_PASS;
	peer = bpf_wg_peer_allowedips_lookup(wg, &addr4, sizeof(addr4));
	if (peer) {
		bpf_wg_endpoint_tuple_get(peer, &tuple, sizeof(tuple) + 8);
		bpf_wg_peer_put(peer);
	}
	bpf_wg_device_put(wg);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
