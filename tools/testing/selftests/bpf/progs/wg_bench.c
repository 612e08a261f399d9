// SPDX-License-Identifier: GPL-2.0
/* The cost of the encrypt kfunc alone, for make bench: run with
 * BPF_PROG_TEST_RUN in the namespace of a WireGuard device whose peer
 * has a session. The packet carries its own parameters:
 *
 *   0: ifindex of the device (u32), 4: an address in the peer's
 *   AllowedIPs (IPv4), 8: 1 to encrypt, 0 for the lookups only,
 *   16: the message: header, plaintext up to the tag, tag.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bpf_wg_kfuncs.h"

#define WG_OVERHEAD	32	/* header and tag */

struct bench_params {
	__u32 ifindex;
	__be32 addr;
	__u32 encrypt;
	__u32 pad;
};

SEC("xdp")
int xdp_wg_bench(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct bench_params *p = data;
	struct wg_device *wg;
	struct wg_peer *peer;
	__u32 len;
	int ret = XDP_ABORTED;

	if ((void *)(p + 1) + WG_OVERHEAD > data_end)
		return XDP_ABORTED;
	len = data_end - (void *)(p + 1) - WG_OVERHEAD;
	wg = bpf_xdp_wg_device_get_by_index(ctx, p->ifindex);
	if (!wg)
		return XDP_ABORTED;
	peer = bpf_wg_peer_allowedips_lookup(wg, &p->addr, sizeof(p->addr));
	if (peer) {
		if (!p->encrypt ||
		    !bpf_xdp_wg_encrypt(ctx, sizeof(*p), len & ~15U, peer))
			ret = XDP_DROP;
		bpf_wg_peer_put(peer);
	}
	bpf_wg_device_put(wg);
	return ret;
}

char _license[] SEC("license") = "GPL";
