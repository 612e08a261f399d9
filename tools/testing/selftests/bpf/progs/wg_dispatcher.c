// SPDX-License-Identifier: GPL-2.0
/* A dispatcher as libxdp's multi-program dispatcher runs XDP programs:
 * each one as an extension (freplace) of one of its slots, here
 * wg_slot(). Since Linux 6.13 the verifier lets an extension that changes
 * packet data replace only a function that may change it too, so the slot
 * does so where no packet ever takes it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u32 never;

__noinline int wg_slot(struct xdp_md *ctx)
{
	if (never && bpf_xdp_adjust_head(ctx, 0))
		return XDP_ABORTED;
	return XDP_PASS;
}

SEC("xdp.frags")
int wg_dispatcher(struct xdp_md *ctx)
{
	return wg_slot(ctx);
}

char _license[] SEC("license") = "GPL";
