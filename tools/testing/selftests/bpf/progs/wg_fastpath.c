// SPDX-License-Identifier: GPL-2.0
/* Reference WireGuard fast path: an XDP program that encrypts packets
 * routed into a WireGuard device and decrypts data messages sent to a
 * local WireGuard port, and forwards both with bpf_redirect(), following
 * the flow of Documentation/networking/wireguard-bpf.rst. Handshakes,
 * cookies, keepalives' replies and everything that is not WireGuard
 * traffic pass to the stack untouched, and so does anything the fast
 * path cannot take (no key yet, no endpoint, no neighbour, ...).
 *
 *   ip link set dev eth0 xdp obj wg_fastpath.bpf.o sec xdp
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "bpf_wg_kfuncs.h"

#define ENOKEY		126
#define AF_INET		2
#define AF_INET6	10
#define WG_HDR_LEN	16	/* struct message_data */
#define WG_TAG_LEN	16
#define WG_PAD		16
#define OUTER_TTL	64

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
	WG_FP_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WG_FP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} wg_fp_stats SEC(".maps");

/* Last error of each kfunc, for the selftests */
int last_encrypt_err;
int last_decrypt_err;
/* Why the last packet routed into a WireGuard device took the stack:
 * the number of the check in encrypt_and_send(), for the selftests
 */
int pass_reason;

/* Keep clang from spilling ctx + offset, which the verifier refuses */
#define ctx_barrier(ctx) asm volatile("" : "+r"(ctx))

static __always_inline void *xdp_data(struct xdp_md *ctx)
{
	ctx_barrier(ctx);
	return (void *)(long)ctx->data;
}

static __always_inline void *xdp_data_end(struct xdp_md *ctx)
{
	ctx_barrier(ctx);
	return (void *)(long)ctx->data_end;
}

static __always_inline __u32 xdp_ifindex(struct xdp_md *ctx)
{
	ctx_barrier(ctx);
	return ctx->ingress_ifindex;
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

/* FIB lookup of the IP packet after the Ethernet header */
static __always_inline int fib_lookup(struct xdp_md *ctx, struct pkt *p,
				      struct bpf_fib_lookup *fib, __u32 flags)
{
	struct ethhdr *eth = p->data;

	__builtin_memset(fib, 0, sizeof(*fib));
	fib->ifindex = xdp_ifindex(ctx);
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
static __always_inline int udp_dest(struct pkt *p)
{
	struct ethhdr *eth = p->data;
	__u32 off;

	if (p->proto == ETH_P_IP) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > p->data_end ||
		    iph->protocol != IPPROTO_UDP || iph->ihl < 5 ||
		    (iph->frag_off & bpf_htons(0x3fff)))
			return 0;
		off = sizeof(*eth) + iph->ihl * 4;
	} else {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > p->data_end ||
		    ip6->nexthdr != IPPROTO_UDP)
			return 0;
		off = sizeof(*eth) + sizeof(*ip6);
	}
	return off;
}

/* Forwarding decrements the inner TTL, as the stack does. */
static __always_inline int dec_ttl(struct pkt *p)
{
	struct ethhdr *eth = p->data;

	if (p->proto == ETH_P_IP) {
		struct iphdr *iph = (void *)(eth + 1);
		__u32 check;

		if ((void *)(iph + 1) > p->data_end || iph->ttl <= 1)
			return -1;
		check = iph->check + bpf_htons(0x0100);
		iph->check = (__u16)(check + (check >= 0xFFFF));
		iph->ttl--;
	} else {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > p->data_end || ip6->hop_limit <= 1)
			return -1;
		ip6->hop_limit--;
	}
	return 0;
}

/* UDP checksum over the linear data, for IPv6 outer headers */
static __always_inline int udp6_csum(struct ipv6hdr *ip6, struct udphdr *uh,
				     void *data_end, __u32 udp_len)
{
	struct {
		struct in6_addr saddr, daddr;
		__be32 len;
		__be32 nexthdr;
	} ph = {};
	__u32 csum, i;
	void *p = uh;

	ph.saddr = ip6->saddr;
	ph.daddr = ip6->daddr;
	ph.len = bpf_htonl(udp_len);
	ph.nexthdr = bpf_htonl(IPPROTO_UDP);
	csum = bpf_csum_diff(0, 0, (__be32 *)&ph, sizeof(ph), 0);
	for (i = 0; i < 64; i++) {
		if (p + 64 > data_end || udp_len < 64)
			break;
		csum = bpf_csum_diff(0, 0, p, 64, csum);
		p += 64;
		udp_len -= 64;
	}
	for (i = 0; i < 8; i++) {
		if (p + 8 > data_end || udp_len < 8)
			break;
		csum = bpf_csum_diff(0, 0, p, 8, csum);
		p += 8;
		udp_len -= 8;
	}
	if (udp_len)
		return -1;	/* not linear: leave it to the stack */
	uh->check = csum_fold(csum) ? : 0xffff;
	return 0;
}

static __always_inline __u16 ip4_csum(struct iphdr *iph)
{
	return csum_fold(bpf_csum_diff(0, 0, (__be32 *)iph, sizeof(*iph), 0));
}

/* Route the outer packet of @tuple: egress, MACs, and the source
 * address when the peer's endpoint has none yet.
 */
static __always_inline int outer_route(struct xdp_md *ctx, int family,
				       struct bpf_sock_tuple *tuple,
				       struct bpf_fib_lookup *fib)
{
	__u32 flags = 0;

	__builtin_memset(fib, 0, sizeof(*fib));
	fib->ifindex = xdp_ifindex(ctx);
	fib->l4_protocol = IPPROTO_UDP;
	if (family == AF_INET) {
		fib->family = AF_INET;
		fib->ipv4_src = tuple->ipv4.saddr;
		fib->ipv4_dst = tuple->ipv4.daddr;
		if (!fib->ipv4_src)
			flags = BPF_FIB_LOOKUP_SRC;
	} else {
		fib->family = AF_INET6;
		__builtin_memcpy(fib->ipv6_src, tuple->ipv6.saddr, 16);
		__builtin_memcpy(fib->ipv6_dst, tuple->ipv6.daddr, 16);
		if (!(tuple->ipv6.saddr[0] | tuple->ipv6.saddr[1] |
		      tuple->ipv6.saddr[2] | tuple->ipv6.saddr[3]))
			flags = BPF_FIB_LOOKUP_SRC;
	}
	return bpf_fib_lookup(ctx, fib, sizeof(*fib), flags);
}

/* Encrypt the packet for @peer and build its outer headers in place of
 * its Ethernet header. Returns the action.
 */
static __always_inline int encrypt_and_send(struct xdp_md *ctx,
					    struct pkt *p,
					    struct wg_peer *peer, __u32 mtu)
{
	__u32 inner_len = p->ip_len, padded, msg_len, ip_hlen, old_len;
	struct bpf_sock_tuple tuple = {};
	struct bpf_fib_lookup fib;
	struct ethhdr *eth;
	struct udphdr *uh;
	int family, err;
	void *data_end;
	__u8 inner_tos;
	__u16 hlen;

	family = bpf_wg_endpoint_tuple_get(peer, &tuple, sizeof(tuple));
	if (family != AF_INET && family != AF_INET6)
		{ pass_reason = 1; return XDP_PASS; }	/* no endpoint: the device says so */
	if (outer_route(ctx, family, &tuple, &fib) != BPF_FIB_LKUP_RET_SUCCESS)
		{ pass_reason = 2; return XDP_PASS; }	/* e.g. no neighbour yet */
	eth = p->data;
	if ((void *)(eth + 1) + 2 > p->data_end)
		{ pass_reason = 3; return XDP_PASS; }
	inner_tos = p->proto == ETH_P_IP ? ((struct iphdr *)(eth + 1))->tos :
		    (bpf_ntohs(*(__be16 *)(eth + 1)) >> 4) & 0xff;
	old_len = xdp_data_end(ctx) - xdp_data(ctx);
	if (inner_len > mtu || inner_len + sizeof(*eth) > old_len ||
	    old_len != bpf_xdp_get_buff_len(ctx))
		{ pass_reason = 4; return XDP_PASS; }	/* too big, or multi-buffer: the stack */
	if (dec_ttl(p))
		{ pass_reason = 5; return XDP_PASS; }	/* the stack sends the ICMP error */

	ip_hlen = family == AF_INET ? sizeof(struct iphdr) :
				      sizeof(struct ipv6hdr);
	hlen = ip_hlen + sizeof(struct udphdr) + WG_HDR_LEN;
	padded = padded_len(inner_len, mtu);
	msg_len = WG_HDR_LEN + padded + WG_TAG_LEN;

	if (bpf_xdp_adjust_head(ctx, -(int)hlen))
		{ pass_reason = 6; return XDP_PASS; }
	/* Ethernet, outer headers, message: the inner packet is the start
	 * of the message's plaintext, Ethernet padding is dropped
	 */
	if (bpf_xdp_adjust_tail(ctx, (int)(sizeof(*eth) + padded + WG_TAG_LEN) -
				     (int)old_len)) {
		bpf_xdp_adjust_head(ctx, hlen);
		{ pass_reason = 7; return XDP_PASS; }
	}
	err = bpf_xdp_wg_encrypt(ctx, sizeof(*eth) + ip_hlen +
				 sizeof(struct udphdr), inner_len, peer);
	if (err) {
		last_encrypt_err = err;
		if (err != -ENOKEY) {
			count(WG_FP_ERROR);
			return XDP_DROP;
		}
		/* no key yet: undo; the device queues it for the handshake */
		bpf_xdp_adjust_tail(ctx, (int)old_len -
				    (int)(sizeof(*eth) + padded + WG_TAG_LEN));
		bpf_xdp_adjust_head(ctx, hlen);
		count(WG_FP_PASS);
		{ pass_reason = 8; return XDP_PASS; }
	}

	eth = xdp_data(ctx);
	data_end = xdp_data_end(ctx);
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	if (family == AF_INET) {
		struct iphdr *iph = (void *)(eth + 1);

		uh = (void *)(iph + 1);
		if ((void *)(uh + 1) > data_end)
			return XDP_DROP;
		eth->h_proto = bpf_htons(ETH_P_IP);
		iph->version = 4;
		iph->ihl = 5;
		iph->tos = outer_ecn(inner_tos);
		iph->tot_len = bpf_htons(ip_hlen + sizeof(*uh) + msg_len);
		iph->id = 0;
		iph->frag_off = 0;
		iph->ttl = OUTER_TTL;
		iph->protocol = IPPROTO_UDP;
		iph->check = 0;
		iph->saddr = fib.ipv4_src;
		iph->daddr = tuple.ipv4.daddr;
		iph->check = ip4_csum(iph);
		uh->source = tuple.ipv4.sport;
		uh->dest = tuple.ipv4.dport;
		uh->len = bpf_htons(sizeof(*uh) + msg_len);
		uh->check = 0;	/* optional for IPv4 */
	} else {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		uh = (void *)(ip6 + 1);
		if ((void *)(uh + 1) > data_end)
			return XDP_DROP;
		eth->h_proto = bpf_htons(ETH_P_IPV6);
		*(__be32 *)ip6 = bpf_htonl(0x60000000 |
					   (outer_ecn(inner_tos) << 20));
		ip6->payload_len = bpf_htons(sizeof(*uh) + msg_len);
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = OUTER_TTL;
		__builtin_memcpy(&ip6->saddr, fib.ipv6_src, 16);
		__builtin_memcpy(&ip6->daddr, tuple.ipv6.daddr, 16);
		uh->source = tuple.ipv6.sport;
		uh->dest = tuple.ipv6.dport;
		uh->len = ip6->payload_len;
		uh->check = 0;
		if (udp6_csum(ip6, uh, data_end, sizeof(*uh) + msg_len)) {
			count(WG_FP_ERROR);
			return XDP_DROP;
		}
	}
	count(WG_FP_ENCRYPTED);
	return bpf_redirect(fib.ifindex, 0);
}

/* Decrypt a data message at @off (UDP payload of @msg_len bytes) from a
 * peer of @wg and forward the inner packet. Returns the action.
 */
static __always_inline int decrypt_and_forward(struct xdp_md *ctx,
					       struct wg_device *wg,
					       __u32 off, __u32 msg_len)
{
	struct bpf_fib_lookup fib;
	struct ethhdr orig, *eth;
	struct wg_peer *peer;
	struct pkt p = {};
	__u32 *hdr;
	int err, ret;

	p.data = xdp_data(ctx);
	p.data_end = xdp_data_end(ctx);
	if (off > 128 || p.data + sizeof(orig) > p.data_end)
		return XDP_PASS;
	__builtin_memcpy(&orig, p.data, sizeof(orig));
	hdr = p.data + off;
	if ((void *)(hdr + 2) > p.data_end || hdr[0] != WG_MESSAGE_DATA_LE)
		return XDP_PASS;	/* handshakes and cookies: the stack */
	peer = bpf_wg_peer_hashtable_lookup(wg, hdr[1]);
	if (!peer)
		return XDP_PASS;	/* the stack drops it, and counts it */
	err = bpf_xdp_wg_decrypt(ctx, off, msg_len, peer);
	bpf_wg_peer_put(peer);
	if (err) {
		last_decrypt_err = err;
		count(WG_FP_ERROR);
		return XDP_DROP;
	}
	if (msg_len == WG_HDR_LEN + WG_TAG_LEN) {
		count(WG_FP_KEEPALIVE);
		return XDP_DROP;	/* consumed: a keepalive carries nothing */
	}

	/* the inner packet, behind a copy of the Ethernet header */
	if (bpf_xdp_adjust_head(ctx, off + WG_HDR_LEN - sizeof(orig)))
		return XDP_DROP;
	p.data = xdp_data(ctx);
	p.data_end = xdp_data_end(ctx);
	eth = p.data;
	if ((void *)(eth + 1) + 1 > p.data_end)
		return XDP_DROP;
	__builtin_memcpy(eth, &orig, sizeof(orig));
	eth->h_proto = bpf_htons((*(__u8 *)(eth + 1) >> 4) == 6 ?
				 ETH_P_IPV6 : ETH_P_IP);
	if (parse_ip(&p))
		return XDP_DROP;
	if (bpf_xdp_adjust_tail(ctx, (int)(sizeof(*eth) + p.ip_len) -
				     (int)bpf_xdp_get_buff_len(ctx)))
		return XDP_DROP;
	p.data = xdp_data(ctx);
	p.data_end = xdp_data_end(ctx);
	count(WG_FP_DECRYPTED);

	ret = fib_lookup(ctx, &p, &fib, 0);
	if (ret != BPF_FIB_LKUP_RET_SUCCESS || dec_ttl(&p))
		return XDP_PASS;	/* local, or the stack's to resolve */
	eth = p.data;
	if ((void *)(eth + 1) > p.data_end)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return bpf_redirect(fib.ifindex, 0);
}

SEC("xdp")
int xdp_wg(struct xdp_md *ctx)
{
	struct bpf_fib_lookup fib;
	struct pkt p = {};
	struct wg_device *wg;
	struct wg_peer *peer;
	__u32 mtu = 0;
	int ret;

	p.data = xdp_data(ctx);
	p.data_end = xdp_data_end(ctx);
	if (parse_ip(&p))
		return XDP_PASS;

	/* a message to a local WireGuard port? */
	ret = udp_dest(&p);
	if (ret > 0 && ret <= 128) {
		struct udphdr *uh = p.data + ret;

		if ((void *)(uh + 1) > p.data_end)
			return XDP_PASS;
		wg = bpf_xdp_wg_device_get_by_port(ctx, bpf_ntohs(uh->dest));
		if (wg) {
			ret = decrypt_and_forward(ctx, wg, ret + sizeof(*uh),
						  bpf_ntohs(uh->len) - sizeof(*uh));
			bpf_wg_device_put(wg);
			return ret;
		}
	}

	/* a packet routed into a WireGuard device? */
	if (fib_lookup(ctx, &p, &fib, BPF_FIB_LOOKUP_SKIP_NEIGH) !=
	    BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;
	wg = bpf_xdp_wg_device_get_by_index(ctx, fib.ifindex);
	if (!wg)
		return XDP_PASS;
	ret = XDP_PASS;
	if (p.proto == ETH_P_IP)
		peer = bpf_wg_peer_allowedips_lookup(wg, &fib.ipv4_dst, 4);
	else
		peer = bpf_wg_peer_allowedips_lookup(wg, fib.ipv6_dst, 16);
	if (peer) {
		/* the device MTU, for the padding the device would use */
		bpf_check_mtu(ctx, fib.ifindex, &mtu, 0, 0);
		if (mtu)
			ret = encrypt_and_send(ctx, &p, peer, mtu);
		bpf_wg_peer_put(peer);
	}
	bpf_wg_device_put(wg);
	if (ret == XDP_PASS)
		count(WG_FP_PASS);
	return ret;
}


/* For the peer of a veth that XDP_REDIRECTs into it */
SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
