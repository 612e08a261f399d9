// SPDX-License-Identifier: GPL-2.0
/* Reference WireGuard fast path, as an XDP program (xdp_wg) and as a TC
 * program (tc_wg) built from the same code. It encrypts packets routed
 * into a WireGuard device and decrypts data messages sent to a local
 * WireGuard port, and forwards both with bpf_redirect(), following the
 * flow of Documentation/networking/wireguard-bpf.rst. Handshakes,
 * cookies and everything that is not WireGuard traffic pass to the
 * stack untouched, and so does anything the fast path cannot take (no
 * key yet, no endpoint, no neighbour, GSO, ...). Decrypted packets it
 * does not forward (for a local address, say) go up the stack through
 * the WireGuard device, as on the stack path; with XDP, that takes
 * tc_wg on the same device too.
 *
 *   ip link set dev eth0 xdp obj wg_fastpath.bpf.o sec xdp.frags program xdp_wg
 *   tc qdisc add dev eth0 clsact
 *   tc filter add dev eth0 ingress bpf da obj wg_fastpath.bpf.o sec tc
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "bpf_wg_kfuncs.h"

#define ENONET		64
#define EOPNOTSUPP	95
#define ENOKEY		126
#define AF_INET		2
#define AF_INET6	10
#define WG_HDR_LEN	16	/* struct message_data */
#define WG_TAG_LEN	16
#define WG_PAD		16
#define OUTER_TTL	64
/* Ethernet, IPv6 and UDP headers and a data message header */
#define MAX_HDR_LEN	(ETH_HLEN + 40 + 8 + WG_HDR_LEN)

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WG_MESSAGE_DATA_LE 4
#else
#define WG_MESSAGE_DATA_LE 0x04000000
#endif

/* Counters, per CPU, readable with bpftool map dump */
enum {
	WG_FP_ENCRYPTED,
	WG_FP_DECRYPTED,
	WG_FP_KEEPALIVE,
	WG_FP_PASS,
	WG_FP_ERROR,
	WG_FP_DEVICE,	/* decrypted, then up the stack through the device */
	WG_FP_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WG_FP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} wg_fp_stats SEC(".maps");

/* XDP: where a packet without tailroom moves to make room (move_back()),
 * in up to WG_FP_MOVE_CHUNKS chunks: 16 KiB, a 9000-byte frame and more
 */
#define WG_FP_MOVE_CHUNK	2048
#define WG_FP_MOVE_CHUNKS	8

/* bpf_csum_diff() takes at most 512 bytes a call on v6.12 (its
 * scratchpad, MAX_BPF_STACK): the UDP checksum sums in such chunks
 */
#define WG_FP_CSUM_CHUNK	512
#define WG_FP_CSUM_CHUNKS	(WG_FP_MOVE_CHUNK * WG_FP_MOVE_CHUNKS / \
				 WG_FP_CSUM_CHUNK)

struct wg_fp_scratch {
	__u8 bytes[WG_FP_MOVE_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wg_fp_scratch);
} wg_fp_scratch SEC(".maps");

/* Why the last packet routed into a WireGuard device took the stack */
enum wg_fp_pass {
	WG_FP_PASS_NONE,
	WG_FP_PASS_NO_ENDPOINT,
	WG_FP_PASS_NO_ROUTE,
	WG_FP_PASS_SHORT,
	WG_FP_PASS_SIZE,
	WG_FP_PASS_TTL,
	WG_FP_PASS_HEAD,
	WG_FP_PASS_TAIL,
	WG_FP_PASS_NO_KEY,
	WG_FP_PASS_NETNS,	/* the device's packets are not this netns' */
	WG_FP_PASS_XSK,		/* an AF_XDP zero-copy frame */
};

/* XDP to TC, in the metadata of a packet XDP decrypted but could not
 * forward: the WireGuard device it is for (see deliver())
 */
struct wg_fp_meta {
	__u32 magic;
	__u32 ifindex;
};

#define WG_FP_META_MAGIC 0x77676670	/* "wgfp" */

/* For the selftests: the last error of each kfunc, the last pass reason */
int last_encrypt_err;
int last_decrypt_err;
int pass_reason;

/* The two program types differ in the context and in the helpers that
 * resize packets; @xdp is a constant in each program, so what follows
 * compiles to XDP-only and TC-only code.
 */

/* barrier_var(ctx) keeps clang from spilling ctx + offset, which the
 * verifier refuses.
 */

static __always_inline void *pkt_data(void *ctx, const bool xdp)
{
	barrier_var(ctx);
	if (xdp)
		return (void *)(long)((struct xdp_md *)ctx)->data;
	return (void *)(long)((struct __sk_buff *)ctx)->data;
}

static __always_inline void *pkt_end(void *ctx, const bool xdp)
{
	barrier_var(ctx);
	if (xdp)
		return (void *)(long)((struct xdp_md *)ctx)->data_end;
	return (void *)(long)((struct __sk_buff *)ctx)->data_end;
}

static __always_inline __u32 pkt_len(void *ctx, const bool xdp)
{
	barrier_var(ctx);
	if (xdp)
		return bpf_xdp_get_buff_len(ctx);
	return ((struct __sk_buff *)ctx)->len;
}

static __always_inline __u32 pkt_ifindex(void *ctx, const bool xdp)
{
	barrier_var(ctx);
	if (xdp)
		return ((struct xdp_md *)ctx)->ingress_ifindex;
	return ((struct __sk_buff *)ctx)->ingress_ifindex;
}

/* TC: make the whole packet linear and private */
static __always_inline int skb_linear(struct __sk_buff *ctx)
{
	return bpf_skb_pull_data(ctx, ctx->len);
}

static __always_inline int act_pass(const bool xdp)
{
	return xdp ? XDP_PASS : TC_ACT_OK;
}

static __always_inline int act_drop(const bool xdp)
{
	return xdp ? XDP_DROP : TC_ACT_SHOT;
}

/* A keepalive, decrypted: nothing left to deliver */
static __always_inline int act_consumed(const bool xdp)
{
	return xdp ? XDP_DROP : TC_ACT_STOLEN;
}

static __always_inline int pass(const bool xdp, enum wg_fp_pass reason)
{
	pass_reason = reason;
	return act_pass(xdp);
}

/* Open @len bytes between the Ethernet header and the IP packet for the
 * outer @family header (XDP: in front of the Ethernet header, which is
 * rewritten anyway).
 */
static __always_inline int push_outer(void *ctx, const bool xdp, __u32 len,
				      int family)
{
	if (xdp)
		return bpf_xdp_adjust_head(ctx, -(int)len);
	return bpf_skb_adjust_room(ctx, len, BPF_ADJ_ROOM_MAC,
				   BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
				   (family == AF_INET ?
				    BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 :
				    BPF_F_ADJ_ROOM_ENCAP_L3_IPV6));
}

/* Remove @len bytes after the Ethernet header, in front of an IP packet
 * whose version is @inner; the Ethernet header stays (XDP: the caller
 * copies it).
 */
static __always_inline int pop_outer(void *ctx, const bool xdp, __u32 len,
				     __u8 inner)
{
	if (xdp)
		return bpf_xdp_adjust_head(ctx, len);
	/* a decrypted packet's checksums are verified: keep it so */
	return bpf_skb_adjust_room(ctx, -(int)len, BPF_ADJ_ROOM_MAC,
				   BPF_F_ADJ_ROOM_NO_CSUM_RESET |
				   (inner == 6 ? BPF_F_ADJ_ROOM_DECAP_L3_IPV6 :
						 BPF_F_ADJ_ROOM_DECAP_L3_IPV4));
}

static __always_inline int set_len(void *ctx, const bool xdp, __u32 len)
{
	if (xdp)
		return bpf_xdp_adjust_tail(ctx, (int)len -
					   (int)bpf_xdp_get_buff_len(ctx));
	return bpf_skb_change_tail(ctx, len, 0);
}

static __always_inline int wg_encrypt(void *ctx, const bool xdp, __u32 off,
				      __u32 len, struct wg_peer *peer)
{
	if (xdp)
		return bpf_xdp_wg_encrypt(ctx, off, len, peer);
	return bpf_skb_wg_encrypt(ctx, off, len, peer);
}

static __always_inline int wg_decrypt(void *ctx, const bool xdp, __u32 off,
				      __u32 len, struct wg_peer *peer)
{
	if (xdp)
		return bpf_xdp_wg_decrypt(ctx, off, len, peer);
	return bpf_skb_wg_decrypt(ctx, off, len, peer);
}

static __always_inline struct wg_device *wg_by_port(void *ctx, const bool xdp,
						    __u16 port)
{
	if (xdp)
		return bpf_xdp_wg_device_get_by_port(ctx, port);
	return bpf_skb_wg_device_get_by_port(ctx, port);
}

static __always_inline struct wg_device *wg_by_index(void *ctx,
						     const bool xdp,
						     __u32 ifindex)
{
	if (xdp)
		return bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	return bpf_skb_wg_device_get_by_index(ctx, ifindex);
}

static __always_inline void count(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&wg_fp_stats, &what);

	if (v)
		*v += 1;
}

static __always_inline __u16 csum_fold(__u32 csum)
{
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return (__u16)~csum;
}

static __always_inline __u32 padded_len(__u32 len, __u32 mtu)
{
	__u32 last = len, padded;

	if (!mtu)
		return (len + WG_PAD - 1) & ~(WG_PAD - 1);
	if (last > mtu)
		last %= mtu;
	padded = (last + WG_PAD - 1) & ~(WG_PAD - 1);
	if (padded > mtu)
		padded = mtu;
	return len + padded - last;
}

/* ECN of the outer header, as ip_tunnel_ecn_encap(0, inner) */
static __always_inline __u8 outer_ecn(__u8 inner_tos)
{
	__u8 ecn = inner_tos & 3;

	return ecn == 3 ? 2 : ecn;
}

struct pkt {
	void *data;
	void *data_end;
	__u16 proto;	/* of the IP header after Ethernet, host order */
	__u32 ip_len;	/* that packet's length from its header */
};

static __always_inline int parse_ip(struct pkt *p)
{
	struct ethhdr *eth = p->data;

	if ((void *)(eth + 1) > p->data_end)
		return -1;
	p->proto = bpf_ntohs(eth->h_proto);
	if (p->proto == ETH_P_IP) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > p->data_end || iph->version != 4)
			return -1;
		p->ip_len = bpf_ntohs(iph->tot_len);
	} else if (p->proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > p->data_end || ip6->version != 6)
			return -1;
		p->ip_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
	} else {
		return -1;
	}
	return 0;
}

/* FIB lookup of the IP packet after the Ethernet header, as if it came
 * in on @ifindex
 */
static __always_inline int fib_lookup(void *ctx, struct pkt *p,
				      struct bpf_fib_lookup *fib, __u32 ifindex,
				      __u32 flags)
{
	struct ethhdr *eth = p->data;

	__builtin_memset(fib, 0, sizeof(*fib));
	fib->ifindex = ifindex;
	if (p->proto == ETH_P_IP) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > p->data_end)
			return -1;
		fib->family = AF_INET;
		fib->tos = iph->tos;
		fib->l4_protocol = iph->protocol;
		fib->tot_len = bpf_ntohs(iph->tot_len);
		fib->ipv4_src = iph->saddr;
		fib->ipv4_dst = iph->daddr;
	} else {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > p->data_end)
			return -1;
		fib->family = AF_INET6;
		fib->l4_protocol = ip6->nexthdr;
		fib->tot_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
		__builtin_memcpy(fib->ipv6_src, &ip6->saddr, 16);
		__builtin_memcpy(fib->ipv6_dst, &ip6->daddr, 16);
	}
	return bpf_fib_lookup(ctx, fib, sizeof(*fib), flags);
}

/* Offset of the UDP header of a UDP packet, or 0 */
static __always_inline int udp_offset(struct pkt *p)
{
	struct ethhdr *eth = p->data;
	struct ipv6hdr *ip6;

	if (p->proto == ETH_P_IP) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > p->data_end ||
		    iph->protocol != IPPROTO_UDP || iph->ihl < 5 ||
		    (iph->frag_off & bpf_htons(0x3fff)))
			return 0;
		return sizeof(*eth) + iph->ihl * 4;
	}
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > p->data_end || ip6->nexthdr != IPPROTO_UDP)
		return 0;
	return sizeof(*eth) + sizeof(*ip6);
}

/* Bytes of the IP header at @off, through helpers at constant offsets:
 * direct packet access at an offset that depends on the IP version is
 * pointer arithmetic that differs by path, which Spectre v1 sanitizing
 * refuses to a program loaded without CAP_PERFMON.
 */
static __always_inline int ip_load(void *ctx, const bool xdp, __u32 off,
				   void *buf, __u32 len)
{
	if (xdp)
		return bpf_xdp_load_bytes(ctx, off, buf, len);
	return bpf_skb_load_bytes(ctx, off, buf, len);
}

static __always_inline int ip_store(void *ctx, const bool xdp, __u32 off,
				    void *buf, __u32 len)
{
	if (xdp)
		return bpf_xdp_store_bytes(ctx, off, buf, len);
	return bpf_skb_store_bytes(ctx, off, buf, len, 0);
}

/* The TTL (hop limit) of the IP packet at @off, changed by @delta (-1:
 * forwarding, as the stack does; +1: undo it for the stack), its IPv4
 * checksum updated as ip_decrease_ttl() does. -1 if it would expire.
 * Invalidates packet pointers.
 */
static __always_inline int ttl_add(void *ctx, const bool xdp, __u32 off,
				   __u16 proto, int delta)
{
	struct {
		__u8 ttl;
		__u8 protocol;
		__u16 check;
	} v4;
	__u32 check;
	__u8 hop;

	if (proto == ETH_P_IPV6) {
		if (ip_load(ctx, xdp, off + 7, &hop, 1) ||
		    (delta < 0 && hop <= 1))
			return -1;
		hop += delta;
		return ip_store(ctx, xdp, off + 7, &hop, 1) ? -1 : 0;
	}
	if (ip_load(ctx, xdp, off + 8, &v4, sizeof(v4)) ||
	    (delta < 0 && v4.ttl <= 1))
		return -1;
	check = v4.check + bpf_htons(delta < 0 ? 0x0100 : 0xfeff);
	v4.check = (__u16)(check + (check >= 0xFFFF));
	v4.ttl += delta;
	return ip_store(ctx, xdp, off + 8, &v4, sizeof(v4)) ? -1 : 0;
}

/* The UDP checksum of an IPv6 outer header, over the datagram of
 * @udp_len bytes (a multiple of 8) at @off, fragments included: read in
 * chunks through ip_load() into the scratch buffer
 */
static __always_inline int udp6_csum(void *ctx, const bool xdp, __u32 off,
				     struct bpf_fib_lookup *fib,
				     __u32 udp_len)
{
	struct {
		__u32 saddr[4], daddr[4];
		__be32 len;
		__be32 nexthdr;
	} ph = {};
	struct wg_fp_scratch *buf;
	__u32 zero = 0, done = 0;
	__u16 check;
	__s64 csum;
	int i, n;

	buf = bpf_map_lookup_elem(&wg_fp_scratch, &zero);
	if (!buf)
		return -1;
	__builtin_memcpy(ph.saddr, fib->ipv6_src, 16);
	__builtin_memcpy(ph.daddr, fib->ipv6_dst, 16);
	ph.len = bpf_htonl(udp_len);
	ph.nexthdr = bpf_htonl(IPPROTO_UDP);
	csum = bpf_csum_diff(0, 0, (__be32 *)&ph, sizeof(ph), 0);
	for (i = 0; i < WG_FP_CSUM_CHUNKS; i++) {
		n = udp_len - done;
		if (n <= 0)
			break;
		if (n > WG_FP_CSUM_CHUNK)
			n = WG_FP_CSUM_CHUNK;
		n &= ~7;	/* the last chunk too: udp_len is a multiple */
		if (n <= 0 || ip_load(ctx, xdp, off + done, buf->bytes, n))
			return -1;
		csum = bpf_csum_diff(0, 0, (__be32 *)buf->bytes, n, csum);
		if (csum < 0)
			return -1;
		done += n;
	}
	if (done != udp_len)
		return -1;
	check = csum_fold(csum) ? : 0xffff;
	return ip_store(ctx, xdp, off + 6, &check, sizeof(check));
}

static __always_inline __u16 ip4_csum(struct iphdr *iph)
{
	return csum_fold(bpf_csum_diff(0, 0, (__be32 *)iph, sizeof(*iph), 0));
}

/* Route the outer packet to @peer's endpoint as the device routes it,
 * with its fwmark (wg-quick's policy routing) and, for a link-local IPv6
 * endpoint, out of its interface: egress, MACs, and the source address
 * when the endpoint has none yet. The endpoint's family, or a pass
 * reason.
 */
static __always_inline int outer_route(void *ctx, const bool xdp,
				       struct wg_peer *peer,
				       struct bpf_fib_lookup *fib)
{
	__u32 flags = BPF_FIB_LOOKUP_MARK;
	int family;

	/* initialised, for the verifier of a program without CAP_PERFMON */
	__builtin_memset(fib, 0, sizeof(*fib));
	family = bpf_wg_endpoint_route_get(peer, fib, sizeof(*fib));
	if (family != AF_INET && family != AF_INET6)
		return -WG_FP_PASS_NO_ENDPOINT;
	if (fib->ifindex)
		flags |= BPF_FIB_LOOKUP_OUTPUT;
	else
		fib->ifindex = pkt_ifindex(ctx, xdp);
	if (family == AF_INET ? !fib->ipv4_src :
	    !(fib->ipv6_src[0] | fib->ipv6_src[1] | fib->ipv6_src[2] |
	      fib->ipv6_src[3]))
		flags |= BPF_FIB_LOOKUP_SRC;
	if (bpf_fib_lookup(ctx, fib, sizeof(*fib), flags) !=
	    BPF_FIB_LKUP_RET_SUCCESS)
		return -WG_FP_PASS_NO_ROUTE;	/* e.g. no neighbour */
	return family;
}

static __always_inline void write_outer4(struct iphdr *iph, struct udphdr *uh,
					 struct bpf_fib_lookup *fib,
					 __u8 inner_tos, __u32 msg_len)
{
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = outer_ecn(inner_tos);
	iph->tot_len = bpf_htons(sizeof(*iph) + sizeof(*uh) + msg_len);
	iph->id = 0;
	iph->frag_off = 0;
	iph->ttl = OUTER_TTL;
	iph->protocol = IPPROTO_UDP;
	iph->check = 0;
	iph->saddr = fib->ipv4_src;
	iph->daddr = fib->ipv4_dst;
	iph->check = ip4_csum(iph);
	uh->source = fib->sport;
	uh->dest = fib->dport;
	uh->len = bpf_htons(sizeof(*uh) + msg_len);
	uh->check = 0;	/* optional for IPv4 */
}

static __always_inline void write_outer6(struct ipv6hdr *ip6,
					 struct udphdr *uh,
					 struct bpf_fib_lookup *fib,
					 __u8 inner_tos, __u32 msg_len)
{
	*(__be32 *)ip6 = bpf_htonl(0x60000000 | (outer_ecn(inner_tos) << 20));
	ip6->payload_len = bpf_htons(sizeof(*uh) + msg_len);
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = OUTER_TTL;
	__builtin_memcpy(&ip6->saddr, fib->ipv6_src, 16);
	__builtin_memcpy(&ip6->daddr, fib->ipv6_dst, 16);
	uh->source = fib->sport;
	uh->dest = fib->dport;
	uh->len = ip6->payload_len;
	uh->check = 0;
}

/* Write Ethernet, outer IP and UDP headers in front of a data message of
 * @msg_len bytes.
 */
static __always_inline int write_outer(void *ctx, const bool xdp, int family,
				       struct bpf_fib_lookup *fib,
				       __u8 inner_tos, __u32 msg_len)
{
	void *data_end = pkt_end(ctx, xdp);
	struct ethhdr *eth = pkt_data(ctx, xdp);
	struct ipv6hdr *ip6;
	struct iphdr *iph;

	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(eth->h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib->smac, ETH_ALEN);
	if (family == AF_INET) {
		iph = (void *)(eth + 1);
		if ((void *)(iph + 1) + sizeof(struct udphdr) > data_end)
			return -1;
		eth->h_proto = bpf_htons(ETH_P_IP);
		write_outer4(iph, (void *)(iph + 1), fib, inner_tos,
			     msg_len);
		return 0;
	}
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) + sizeof(struct udphdr) > data_end)
		return -1;
	eth->h_proto = bpf_htons(ETH_P_IPV6);
	write_outer6(ip6, (void *)(ip6 + 1), fib, inner_tos, msg_len);
	return udp6_csum(ctx, xdp, ETH_HLEN + sizeof(*ip6), fib,
			 sizeof(struct udphdr) + msg_len);
}

/* XDP, for a frame without tailroom for padding and tag (veth gives those
 * it makes of an skb next to none): open @hlen + @grow bytes in front of
 * it, then move its first @len bytes (Ethernet header and inner packet)
 * @grow bytes back. Laid out as after set_len() and push_outer(), without
 * a byte more of tailroom. -1 if the frame is as it was, 1 if broken.
 */
static __always_inline int move_back(struct xdp_md *ctx, __u32 hlen,
				     __u32 grow, __u32 len)
{
	struct wg_fp_scratch *buf;
	__u32 zero = 0, off = 0;
	int i, n;

	buf = bpf_map_lookup_elem(&wg_fp_scratch, &zero);
	if (!buf || len > WG_FP_MOVE_CHUNKS * sizeof(buf->bytes) ||
	    bpf_xdp_adjust_head(ctx, -(int)(hlen + grow)))
		return -1;
	for (i = 0; i < WG_FP_MOVE_CHUNKS; i++) {
		/* 1..chunk bytes, as signed bounds the verifier follows */
		n = len - off;
		if (n <= 0)
			break;
		if (n > (int)sizeof(buf->bytes))
			n = sizeof(buf->bytes);
		if (bpf_xdp_load_bytes(ctx, hlen + grow + off, buf->bytes, n) ||
		    bpf_xdp_store_bytes(ctx, hlen + off, buf->bytes, n))
			return 1;
		off += n;
	}
	return 0;
}

/* Encrypt the packet for @peer and put outer headers in front of it.
 * Returns the action.
 */
static __always_inline int encrypt_and_send(void *ctx, const bool xdp,
					    struct pkt *p,
					    struct wg_peer *peer, __u32 mtu)
{
	__u32 inner_len = p->ip_len, padded, msg_len, ip_hlen, old_len, new_len;
	struct bpf_fib_lookup fib;
	int family, err;
	__u8 inner_tos, ip[9];
	__u16 hlen;

	family = outer_route(ctx, xdp, peer, &fib);
	if (family < 0)
		return pass(xdp, -family);
	old_len = pkt_len(ctx, xdp);
	if (inner_len > mtu || inner_len + ETH_HLEN > old_len)
		return pass(xdp, WG_FP_PASS_SIZE);	/* for the stack */
	/* XDP: fragments are fine. TC: made linear and private below,
	 * after the last change of length.
	 */
	p->data = pkt_data(ctx, xdp);
	p->data_end = pkt_end(ctx, xdp);
	if (ip_load(ctx, xdp, ETH_HLEN, ip, sizeof(ip)))
		return pass(xdp, WG_FP_PASS_SHORT);
	inner_tos = p->proto == ETH_P_IP ? ip[1] : (ip[0] << 4) | (ip[1] >> 4);
	if ((p->proto == ETH_P_IP ? ip[8] : ip[7]) <= 1)
		return pass(xdp, WG_FP_PASS_TTL);	/* the stack's ICMP */

	ip_hlen = family == AF_INET ? sizeof(struct iphdr) :
				      sizeof(struct ipv6hdr);
	hlen = ip_hlen + sizeof(struct udphdr) + WG_HDR_LEN;
	padded = padded_len(inner_len, mtu);
	msg_len = WG_HDR_LEN + padded + WG_TAG_LEN;

	/* Room for padding and tag, Ethernet padding dropped, then for the
	 * outer headers (TC: bpf_skb_change_tail() refuses encapsulated
	 * packets): Ethernet, outer headers, message whose plaintext starts
	 * with the inner packet.
	 */
	new_len = ETH_HLEN + padded + WG_TAG_LEN;
	if (set_len(ctx, xdp, new_len)) {
		if (!xdp || new_len <= old_len)
			return pass(xdp, WG_FP_PASS_TAIL);
		err = move_back(ctx, hlen, new_len - old_len,
				ETH_HLEN + inner_len);
		if (err < 0)
			return pass(xdp, WG_FP_PASS_TAIL);
		if (err) {
			count(WG_FP_ERROR);
			return act_drop(xdp);
		}
	} else if (push_outer(ctx, xdp, hlen, family)) {
		set_len(ctx, xdp, old_len);
		return pass(xdp, WG_FP_PASS_HEAD);
	}
	/* TC: a clone (every TCP segment is one) writes its headers without
	 * a copy, and may still share what set_len() and push_outer() added:
	 * private now, after the last change of length
	 */
	if (!xdp && skb_linear(ctx)) {
		count(WG_FP_ERROR);
		return act_drop(xdp);
	}
	/* forwarded: one hop less, now that nothing can send it back to
	 * the stack but a missing key (the inner packet is at ETH_HLEN +
	 * hlen)
	 */
	if (ttl_add(ctx, xdp, ETH_HLEN + hlen, p->proto, -1)) {
		count(WG_FP_ERROR);
		return act_drop(xdp);
	}
	err = wg_encrypt(ctx, xdp, ETH_HLEN + hlen - WG_HDR_LEN, inner_len,
			 peer);
	if (err) {
		last_encrypt_err = err;
		if (err != -ENOKEY && err != -ENONET) {
			count(WG_FP_ERROR);
			return act_drop(xdp);
		}
		/* No key yet, or a device whose packets are not this
		 * namespace's: undo, for the device to take it (it queues it
		 * for the handshake). TC: what is left behind the IP packet,
		 * the stack trims.
		 */
		pop_outer(ctx, xdp, hlen, p->proto == ETH_P_IP ? 4 : 6);
		set_len(ctx, xdp, old_len);
		ttl_add(ctx, xdp, ETH_HLEN, p->proto, 1);
		count(WG_FP_PASS);
		return pass(xdp, err == -ENOKEY ? WG_FP_PASS_NO_KEY :
						  WG_FP_PASS_NETNS);
	}
	if (write_outer(ctx, xdp, family, &fib, inner_tos, msg_len)) {
		count(WG_FP_ERROR);
		return act_drop(xdp);
	}
	count(WG_FP_ENCRYPTED);
	return bpf_redirect(fib.ifindex, 0);
}

/* Hand a decrypted packet that is not forwarded here (local address, a
 * route or neighbour the stack must resolve, TTL expiring) to the stack
 * through the WireGuard device @ifindex, where the stack path delivers
 * it: sockets bound to the device, firewall rules and reverse-path
 * filters see what they would see. TC redirects it into the device. XDP
 * can't: it passes the packet with the device in its metadata, for
 * tc_wg on the same device to redirect. Without tc_wg, the packet goes
 * up the stack of the device it came in on.
 */
static __always_inline int deliver(void *ctx, const bool xdp, __u32 ifindex)
{
	struct xdp_md *xdp_ctx = ctx;
	struct wg_fp_meta *meta;

	if (!xdp) {
		count(WG_FP_DEVICE);
		return bpf_redirect(ifindex, BPF_F_INGRESS);
	}
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return XDP_PASS;
	barrier_var(xdp_ctx);
	meta = (void *)(long)xdp_ctx->data_meta;
	if ((void *)(meta + 1) > (void *)(long)xdp_ctx->data)
		return XDP_PASS;
	meta->magic = WG_FP_META_MAGIC;
	meta->ifindex = ifindex;
	return XDP_PASS;
}

/* A packet xdp_wg decrypted for tc_wg to hand to the WireGuard device */
static __always_inline int deliver_meta(struct __sk_buff *ctx)
{
	struct wg_fp_meta *meta = (void *)(long)ctx->data_meta;
	struct wg_device *wg;
	__u32 ifindex;

	if ((void *)(meta + 1) > (void *)(long)ctx->data ||
	    meta->magic != WG_FP_META_MAGIC)
		return -1;
	ifindex = meta->ifindex;
	/* a WireGuard device of this namespace, or the stack's */
	wg = bpf_skb_wg_device_get_by_index(ctx, ifindex);
	if (!wg)
		return TC_ACT_OK;
	bpf_wg_device_put(wg);
	count(WG_FP_DEVICE);
	return bpf_redirect(ifindex, BPF_F_INGRESS);
}

/* Decrypt a data message at @off (UDP payload of @msg_len bytes) from a
 * peer of @wg and forward the inner packet. Returns the action.
 */
static __always_inline int decrypt_and_forward(void *ctx, const bool xdp,
					       struct wg_device *wg,
					       __u32 off, __u32 msg_len)
{
	struct bpf_fib_lookup fib;
	struct ethhdr orig, *eth;
	struct wg_peer *peer;
	struct pkt p = {};
	__u32 hdr[2], ifindex;
	__u8 version;
	int err;

	/* TC: linear and private; XDP: fragments are fine */
	if (off > 128 || (!xdp && skb_linear(ctx)))
		return act_pass(xdp);
	p.data = pkt_data(ctx, xdp);
	p.data_end = pkt_end(ctx, xdp);
	if (p.data + sizeof(orig) > p.data_end)
		return act_pass(xdp);
	__builtin_memcpy(&orig, p.data, sizeof(orig));
	/* at a variable offset: through a helper (see ip_load()) */
	if (ip_load(ctx, xdp, off, hdr, sizeof(hdr)) ||
	    hdr[0] != WG_MESSAGE_DATA_LE)
		return act_pass(xdp);	/* handshakes and cookies: the stack */
	peer = bpf_wg_peer_hashtable_lookup(wg, hdr[1]);
	if (!peer)
		return act_pass(xdp);	/* the stack drops it, and counts it */
	err = wg_decrypt(ctx, xdp, off, msg_len, peer);
	bpf_wg_peer_put(peer);
	if (err == -ENONET || err == -EOPNOTSUPP) {
		/* the device's, not this namespace's; or AF_XDP zero-copy
		 * memory: nothing was written, the stack takes it
		 */
		last_decrypt_err = err;
		count(WG_FP_PASS);
		return act_pass(xdp);
	}
	if (err) {
		last_decrypt_err = err;
		count(WG_FP_ERROR);
		return act_drop(xdp);
	}
	if (msg_len == WG_HDR_LEN + WG_TAG_LEN) {
		count(WG_FP_KEEPALIVE);
		return act_consumed(xdp);	/* carries nothing */
	}

	/* the inner packet, behind the Ethernet header */
	if (ip_load(ctx, xdp, off + WG_HDR_LEN, &version, 1))
		return act_drop(xdp);
	version >>= 4;
	if (pop_outer(ctx, xdp, off + WG_HDR_LEN - ETH_HLEN, version))
		return act_drop(xdp);
	p.data = pkt_data(ctx, xdp);
	p.data_end = pkt_end(ctx, xdp);
	eth = p.data;
	if ((void *)(eth + 1) > p.data_end)
		return act_drop(xdp);
	if (xdp)
		__builtin_memcpy(eth, &orig, sizeof(orig));
	eth->h_proto = bpf_htons(version == 6 ? ETH_P_IPV6 : ETH_P_IP);
	if (parse_ip(&p))
		return act_drop(xdp);
	/* Drop the padding. TC: bpf_skb_change_tail() refuses an skb that
	 * another program encapsulated (a TC fast path of the sending
	 * router, over veth), and the stack does not clear the flag on
	 * decapsulation: then the padding stays, for the receiver to trim.
	 */
	if (set_len(ctx, xdp, ETH_HLEN + p.ip_len) && xdp)
		return act_drop(xdp);
	p.data = pkt_data(ctx, xdp);
	p.data_end = pkt_end(ctx, xdp);
	count(WG_FP_DECRYPTED);

	/* routed as the stack routes it: in on the WireGuard device */
	ifindex = bpf_wg_device_ifindex(wg);
	if (fib_lookup(ctx, &p, &fib, ifindex, 0) != BPF_FIB_LKUP_RET_SUCCESS ||
	    ttl_add(ctx, xdp, ETH_HLEN, p.proto, -1))
		return deliver(ctx, xdp, ifindex);
	eth = pkt_data(ctx, xdp);
	if ((void *)(eth + 1) > pkt_end(ctx, xdp))
		return act_drop(xdp);
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return bpf_redirect(fib.ifindex, 0);
}

/* A UDP packet for this host: a data message to a WireGuard port? */
static __always_inline int decrypt_local(void *ctx, const bool xdp,
					 struct pkt *p)
{
	struct wg_device *wg;
	struct udphdr uh;
	int off, ret;

	off = udp_offset(p);
	if (off <= 0 || off > 128 || ip_load(ctx, xdp, off, &uh, sizeof(uh)))
		return act_pass(xdp);
	wg = wg_by_port(ctx, xdp, bpf_ntohs(uh.dest));
	if (!wg)
		return act_pass(xdp);
	ret = decrypt_and_forward(ctx, xdp, wg, off + sizeof(uh),
				  bpf_ntohs(uh.len) - sizeof(uh));
	bpf_wg_device_put(wg);
	return ret;
}

static __always_inline int wg_fastpath(void *ctx, const bool xdp)
{
	struct bpf_fib_lookup fib;
	struct pkt p = {};
	struct wg_device *wg;
	struct wg_peer *peer;
	__u32 mtu = 0;
	int ret;

	p.data = pkt_data(ctx, xdp);
	p.data_end = pkt_end(ctx, xdp);
	if (parse_ip(&p))
		return act_pass(xdp);

	/* As the seed's flow: the FIB says whether the packet is for this
	 * host, where a WireGuard port may take it (or, with forwarding
	 * off, the stack would not forward it anyway), or is forwarded:
	 * WireGuard traffic to another host is forwarded as the stack
	 * forwards it, and a packet routed into a WireGuard device is
	 * encrypted.
	 */
	ret = fib_lookup(ctx, &p, &fib, pkt_ifindex(ctx, xdp),
			 BPF_FIB_LOOKUP_SKIP_NEIGH);
	if (ret == BPF_FIB_LKUP_RET_NOT_FWDED ||
	    ret == BPF_FIB_LKUP_RET_FWD_DISABLED)
		return decrypt_local(ctx, xdp, &p);
	if (ret != BPF_FIB_LKUP_RET_SUCCESS)
		return act_pass(xdp);
	wg = wg_by_index(ctx, xdp, fib.ifindex);
	if (!wg)
		return act_pass(xdp);
	ret = act_pass(xdp);
	if (p.proto == ETH_P_IP)
		peer = bpf_wg_peer_allowedips_lookup(wg, &fib.ipv4_dst, 4);
	else
		peer = bpf_wg_peer_allowedips_lookup(wg, fib.ipv6_dst, 16);
	if (peer) {
		/* the device MTU, for the padding the device would use */
		bpf_check_mtu(ctx, fib.ifindex, &mtu, 0, 0);
		if (mtu)
			ret = encrypt_and_send(ctx, xdp, &p, peer, mtu);
		bpf_wg_peer_put(peer);
	}
	bpf_wg_device_put(wg);
	if (ret == act_pass(xdp))
		count(WG_FP_PASS);
	return ret;
}

SEC("xdp.frags")
int xdp_wg(struct xdp_md *ctx)
{
	return wg_fastpath(ctx, true);
}

SEC("tc")
int tc_wg(struct __sk_buff *ctx)
{
	int ret = deliver_meta(ctx);

	if (ret >= 0)
		return ret;
	/* GSO packets are segmented by the stack; the rest is parsed from
	 * its linear headers
	 */
	if (ctx->gso_size ||
	    bpf_skb_pull_data(ctx, ctx->len < MAX_HDR_LEN ? ctx->len :
							  MAX_HDR_LEN))
		return TC_ACT_OK;
	return wg_fastpath(ctx, false);
}

/* Plain IP forwarding, no WireGuard: the baseline of make bench */
SEC("xdp.frags")
int xdp_fwd(struct xdp_md *ctx)
{
	struct bpf_fib_lookup fib;
	struct ethhdr *eth;
	struct pkt p = {};

	p.data = pkt_data(ctx, true);
	p.data_end = pkt_end(ctx, true);
	if (parse_ip(&p) ||
	    fib_lookup(ctx, &p, &fib, pkt_ifindex(ctx, true), 0) !=
	    BPF_FIB_LKUP_RET_SUCCESS ||
	    ttl_add(ctx, true, ETH_HLEN, p.proto, -1))
		return XDP_PASS;
	eth = pkt_data(ctx, true);
	if ((void *)(eth + 1) > pkt_end(ctx, true))
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return bpf_redirect(fib.ifindex, 0);
}

/* For the peer of a veth that XDP_REDIRECTs into it */
SEC("xdp.frags")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
