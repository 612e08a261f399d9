// SPDX-License-Identifier: GPL-2.0
/* Lookups through the WireGuard kfuncs from XDP and TC, driven by the
 * WireGuard data packets a real peer sends, and probes of edge cases run
 * with BPF_PROG_TEST_RUN in the devices' namespace (prog_tests/wg.c).
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "bpf_wg_kfuncs.h"

/* message type 4 (data), little endian on the wire */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WG_MESSAGE_DATA_LE 4
#else
#define WG_MESSAGE_DATA_LE 0x04000000
#endif

struct wg_message_data {
	__le32 header;
	__le32 key_idx;
	__le64 counter;
};

/* Set by user space */
__u32 wg_ifindex;	/* the WireGuard device of this netns */
__u32 other_ifindex;	/* a netdev that is not a WireGuard device */
__u32 foreign_ifindex;	/* a WireGuard device of another netns */
__u16 wg_port;		/* its listen port, and that of the other netns */
__u16 foreign_port;
__be32 peer_addr4;	/* inside the AllowedIPs of the sending peer */
__u8 peer_addr6[16];
__be32 miss_addr4;	/* inside no peer's AllowedIPs */
__be32 noep_addr4;	/* AllowedIPs of a peer without an endpoint */
__be32 ep6_addr4;	/* AllowedIPs of a peer with an IPv6 endpoint */
int drop_data;		/* drop the data messages seen */

/* Results */
int runs;
int dev_by_index, dev_other, dev_foreign, dev_by_port, dev_foreign_port;
int peer_v4, peer_v6, peer_miss, peer_badsz;
int ep_family, ep_noep;
__be32 ep_daddr;
__be16 ep_dport, ep_sport;
int idx_found, idx_unknown;
int probe_runs, probe_index0, probe_index_max, probe_port0;
int ep6_family, ep6_small, ep4_small;
__u32 ep6_daddr[4];
__be16 ep6_dport, ep6_sport;

static int parse_data_message(void *data, void *data_end, __le32 *idx)
{
	struct wg_message_data *wg;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	struct iphdr *iph;

	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end ||
	    eth->h_proto != bpf_htons(ETH_P_IP) || iph->ihl != 5 ||
	    iph->protocol != IPPROTO_UDP)
		return -1;
	udp = (void *)(iph + 1);
	wg = (void *)(udp + 1);
	if ((void *)(wg + 1) > data_end || udp->dest != bpf_htons(wg_port) ||
	    wg->header != WG_MESSAGE_DATA_LE)
		return -1;
	*idx = wg->key_idx;
	return 0;
}

static int found(struct wg_device *wg)
{
	if (!wg)
		return 0;
	bpf_wg_device_put(wg);
	return 1;
}

static int peer_found(struct wg_device *wg, const void *addr, __u32 size)
{
	struct wg_peer *peer;

	peer = bpf_wg_peer_allowedips_lookup(wg, addr, size);
	if (!peer)
		return 0;
	bpf_wg_peer_put(peer);
	return 1;
}

static void check_peers(struct wg_device *wg, __le32 idx)
{
	struct bpf_sock_tuple tuple = {};
	struct wg_peer *peer;
	__u8 badsz[8] = {};

	peer_v4 = peer_found(wg, &peer_addr4, sizeof(peer_addr4));
	peer_v6 = peer_found(wg, peer_addr6, sizeof(peer_addr6));
	peer_miss = peer_found(wg, &miss_addr4, sizeof(miss_addr4));
	peer_badsz = peer_found(wg, badsz, sizeof(badsz));

	peer = bpf_wg_peer_allowedips_lookup(wg, &peer_addr4,
					     sizeof(peer_addr4));
	if (peer) {
		ep_family = bpf_wg_endpoint_tuple_get(peer, &tuple,
						      sizeof(tuple));
		ep_daddr = tuple.ipv4.daddr;
		ep_dport = tuple.ipv4.dport;
		ep_sport = tuple.ipv4.sport;
		bpf_wg_peer_put(peer);
	}
	peer = bpf_wg_peer_allowedips_lookup(wg, &noep_addr4,
					     sizeof(noep_addr4));
	if (peer) {
		ep_noep = bpf_wg_endpoint_tuple_get(peer, &tuple,
						    sizeof(tuple));
		bpf_wg_peer_put(peer);
	}

	peer = bpf_wg_peer_hashtable_lookup(wg, idx);
	if (peer) {
		idx_found = 1;
		bpf_wg_peer_put(peer);
	}
	peer = bpf_wg_peer_hashtable_lookup(wg, ~idx);
	if (peer) {
		idx_unknown = 1;
		bpf_wg_peer_put(peer);
	}
}

static __always_inline struct wg_device *
by_index(void *ctx, const bool xdp, __u32 ifindex)
{
	if (xdp)
		return bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	return bpf_skb_wg_device_get_by_index(ctx, ifindex);
}

static __always_inline struct wg_device *
by_port(void *ctx, const bool xdp, __u16 port)
{
	if (xdp)
		return bpf_xdp_wg_device_get_by_port(ctx, port);
	return bpf_skb_wg_device_get_by_port(ctx, port);
}

/* Returns whether the packet was a data message to wg_port */
static __always_inline bool lookup(void *ctx, const bool xdp, void *data,
				   void *data_end)
{
	struct wg_device *wg;
	__le32 idx;

	if (parse_data_message(data, data_end, &idx))
		return false;
	dev_by_index = found(by_index(ctx, xdp, wg_ifindex));
	dev_other = found(by_index(ctx, xdp, other_ifindex));
	dev_foreign = found(by_index(ctx, xdp, foreign_ifindex));
	dev_foreign_port = found(by_port(ctx, xdp, foreign_port));
	wg = by_port(ctx, xdp, wg_port);
	if (!wg)
		return false;
	dev_by_port = 1;
	check_peers(wg, idx);
	bpf_wg_device_put(wg);
	runs++;
	return true;
}

static void probe_endpoints(struct wg_device *wg)
{
	struct bpf_sock_tuple tuple = {};
	struct wg_peer *peer;

	peer = bpf_wg_peer_allowedips_lookup(wg, &ep6_addr4, sizeof(ep6_addr4));
	if (peer) {
		ep6_family = bpf_wg_endpoint_tuple_get(peer, &tuple,
						       sizeof(tuple));
		__builtin_memcpy(ep6_daddr, tuple.ipv6.daddr,
				 sizeof(ep6_daddr));
		ep6_dport = tuple.ipv6.dport;
		ep6_sport = tuple.ipv6.sport;
		/* room for an IPv4 tuple only */
		ep6_small = bpf_wg_endpoint_tuple_get(peer, &tuple,
						      sizeof(tuple.ipv4));
		bpf_wg_peer_put(peer);
	}
	peer = bpf_wg_peer_allowedips_lookup(wg, &peer_addr4,
					     sizeof(peer_addr4));
	if (peer) {
		ep4_small = bpf_wg_endpoint_tuple_get(peer, &tuple,
						      sizeof(tuple.ipv4) - 1);
		bpf_wg_peer_put(peer);
	}
}

static __always_inline void probe(void *ctx, const bool xdp)
{
	struct wg_device *wg;

	probe_index0 = found(by_index(ctx, xdp, 0));
	probe_index_max = found(by_index(ctx, xdp, ~0U));
	probe_port0 = found(by_port(ctx, xdp, 0));
	wg = by_index(ctx, xdp, wg_ifindex);
	if (!wg)
		return;
	probe_endpoints(wg);
	bpf_wg_device_put(wg);
	probe_runs++;
}

SEC("xdp")
int xdp_wg_probe(struct xdp_md *ctx)
{
	probe(ctx, true);
	return XDP_PASS;
}

SEC("tc")
int tc_wg_probe(struct __sk_buff *ctx)
{
	probe(ctx, false);
	return TC_ACT_OK;
}

SEC("xdp")
int xdp_wg_lookup(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;

	if (lookup(ctx, true, data, data_end) && drop_data)
		return XDP_DROP;
	return XDP_PASS;
}

SEC("tc")
int tc_wg_lookup(struct __sk_buff *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;

	if (lookup(ctx, false, data, data_end) && drop_data)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
