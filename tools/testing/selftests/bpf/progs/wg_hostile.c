// SPDX-License-Identifier: GPL-2.0
/* Hostile input for the encrypt and decrypt kfuncs, run with
 * BPF_PROG_TEST_RUN from prog_tests/wg_hardening.c: "seal" encrypts a
 * packet the test made up, in the peer's namespace, into a genuine data
 * message, or encrypts at whatever offset and length the test gives;
 * "open" decrypts whatever the test hands it, genuine or mangled, in the
 * fast path router's namespace. Both record the kfunc's return value.
 * "args_live", on a router's ingress, calls the kfuncs with a table of
 * offsets and lengths on each packet real traffic brings, paged skbs
 * included, and drops it.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "bpf_wg_kfuncs.h"
#include "wg_hostile.h"

#define ENODEV		19
#define WG_HDR_LEN	16
#define MAX_ERRNO	256

/* Set by user space */
__u16 port;		/* listen port of the WireGuard device */
__u32 msg_off;		/* offset of the data message in the packet */
__u32 length;		/* "length" argument of the kfunc */
__be32 peer_addr;	/* peer by AllowedIPs; 0: by the receiver index */

/* Results */
int err;		/* of the last kfunc call; -ENODEV: no device/peer */
int peer_found;
__u64 calls, successes;
__u64 errnos[MAX_ERRNO];
/* TC: bpf_csum_update(skb, 0) after the call: skb->csum if the skb is
 * still CHECKSUM_COMPLETE, else an error (-ENOTSUPP)
 */
__s64 csum_state;

/* args_live: the calls to make on the next packet of at least min_len
 * bytes, and what they returned
 */
struct wg_args_call args[WG_ARGS_MAX];
__u32 nr_args;
__u32 min_len;
/* the packet the calls were made on */
__u32 args_pkt_len, args_linear_len, args_runs;

static __always_inline struct wg_peer *find_peer(void *ctx, const bool xdp,
						 struct wg_device *wg)
{
	__le32 hdr[2];
	int ret;

	if (peer_addr)
		return bpf_wg_peer_allowedips_lookup(wg, &peer_addr,
						     sizeof(peer_addr));
	if (xdp)
		ret = bpf_xdp_load_bytes(ctx, msg_off, hdr, sizeof(hdr));
	else
		ret = bpf_skb_load_bytes(ctx, msg_off, hdr, sizeof(hdr));
	if (ret)
		return NULL;
	return bpf_wg_peer_hashtable_lookup(wg, hdr[1]);
}

static __always_inline void record(int ret)
{
	__u64 e = -(__s64)ret;

	err = ret;
	calls++;
	if (!ret)
		successes++;
	else if (e < MAX_ERRNO)
		errnos[e]++;
}

static __always_inline int run(void *ctx, const bool xdp, const bool seal)
{
	struct wg_device *wg;
	struct wg_peer *peer;
	int ret = -ENODEV;

	wg = xdp ? bpf_xdp_wg_device_get_by_port(ctx, port) :
		   bpf_skb_wg_device_get_by_port(ctx, port);
	if (!wg)
		goto out;
	peer = find_peer(ctx, xdp, wg);
	peer_found = !!peer;
	if (peer) {
		if (seal)
			ret = xdp ? bpf_xdp_wg_encrypt(ctx, msg_off, length,
						       peer) :
				    bpf_skb_wg_encrypt(ctx, msg_off, length,
						       peer);
		else
			ret = xdp ? bpf_xdp_wg_decrypt(ctx, msg_off, length,
						       peer) :
				    bpf_skb_wg_decrypt(ctx, msg_off, length,
						       peer);
		bpf_wg_peer_put(peer);
	}
	bpf_wg_device_put(wg);
out:
	record(ret);
	if (xdp)
		return ret ? XDP_DROP : XDP_PASS;
	csum_state = bpf_csum_update(ctx, 0);
	return ret ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("xdp.frags")
int xdp_seal(struct xdp_md *ctx)
{
	return run(ctx, true, true);
}

SEC("xdp.frags")
int xdp_open(struct xdp_md *ctx)
{
	return run(ctx, true, false);
}

SEC("tc")
int tc_seal(struct __sk_buff *ctx)
{
	return run(ctx, false, true);
}

SEC("tc")
int tc_open(struct __sk_buff *ctx)
{
	return run(ctx, false, false);
}

SEC("tc")
int tc_args_live(struct __sk_buff *ctx)
{
	struct wg_device *wg;
	struct wg_peer *peer;
	__u32 i;

	if (ctx->len < min_len || args_runs)
		return TC_ACT_OK;
	wg = bpf_skb_wg_device_get_by_port(ctx, port);
	if (!wg)
		return TC_ACT_OK;
	peer = bpf_wg_peer_allowedips_lookup(wg, &peer_addr,
					     sizeof(peer_addr));
	if (!peer) {
		bpf_wg_device_put(wg);
		return TC_ACT_OK;
	}
	args_pkt_len = ctx->len;
	args_linear_len = ctx->data_end - ctx->data;
	for (i = 0; i < WG_ARGS_MAX && i < nr_args; i++) {
		struct wg_args_call *c = &args[i];

		if (c->op)
			c->ret = bpf_skb_wg_decrypt(ctx, c->offset, c->length,
						    peer);
		else
			c->ret = bpf_skb_wg_encrypt(ctx, c->offset, c->length,
						    peer);
	}
	args_runs++;
	bpf_wg_peer_put(peer);
	bpf_wg_device_put(wg);
	return TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
