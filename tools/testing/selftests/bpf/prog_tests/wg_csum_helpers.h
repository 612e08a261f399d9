/* SPDX-License-Identifier: GPL-2.0 */
/* Inner checksums as the final receiver of a fast path test gets them. A
 * WireGuard receiver marks what it decrypts CHECKSUM_UNNECESSARY, and
 * veth passes that on: a wrong inner checksum would reach the socket
 * unnoticed. csum_open() opens a packet socket on a device; csum_check()
 * verifies the IPv4 header checksum and the ICMP, ICMPv6, TCP, UDP and
 * SCTP (CRC32c) checksums of every packet the device received since.
 */
#ifndef __WG_CSUM_HELPERS_H
#define __WG_CSUM_HELPERS_H

#include <endian.h>
#include <linux/if_packet.h>

#include "test_progs.h"
#include "network_helpers.h"

struct csum_result {
	int checked;	/* packets whose checksums were verified */
	int bad;
};

static inline int csum_open(const char *ns, const char *dev)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	struct nstoken *nstoken;
	int fd;

	nstoken = open_netns(ns);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return -1;
	sll.sll_ifindex = if_nametoindex(dev);
	/* cooked: the network layer packet, on veth and WireGuard alike */
	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	close_netns(nstoken);
	if (!ASSERT_GE(fd, 0, "packet socket"))
		return -1;
	if (!ASSERT_OK(bind(fd, (struct sockaddr *)&sll, sizeof(sll)),
		       "bind packet socket")) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A partial Internet checksum of @len bytes, as csum_partial() sums
 * them: in 16-bit words of host order, an odd byte padded with zero
 */
static inline __wsum csum_bytes(const void *buf, size_t len)
{
	const __u8 *p = buf;
	__u32 sum = 0;
	__u16 w;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, sizeof(w));
		sum += w;
	}
	if (len & 1) {
		w = 0;
		memcpy(&w, p + len - 1, 1);
		sum += w;
	}
	return sum;
}

static inline __u32 csum_crc32c(const __u8 *p, size_t len)
{
	__u32 crc = ~0U;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
	}
	return ~crc;
}

/* SCTP: CRC32c over the packet with its checksum field as zero, stored
 * little endian
 */
static inline bool csum_sctp_ok(__u8 *l4, size_t len)
{
	__u32 stored;

	if (len < 12)
		return false;
	memcpy(&stored, l4 + 8, sizeof(stored));
	memset(l4 + 8, 0, sizeof(stored));
	return csum_crc32c(l4, len) == le32toh(stored);
}

/* The checksum of the transport header @l4 of @len bytes after the IP
 * header @ip (@v6 or not): true if right, or of no protocol known here
 */
static inline bool csum_l4_ok(const void *ip, bool v6, __u8 proto, __u8 *l4,
			      size_t len)
{
	const struct ipv6hdr *ip6 = ip;
	const struct iphdr *iph = ip;
	__wsum sum = csum_bytes(l4, len);

	switch (proto) {
	case IPPROTO_UDP:
		if (len < 8)
			return false;
		if (!v6 && !l4[6] && !l4[7])
			return true;	/* no checksum: fine over IPv4 */
		break;
	case IPPROTO_TCP:
		if (len < 20)
			return false;
		break;
	case IPPROTO_ICMP:
		return !v6 && !csum_fold(sum);
	case IPPROTO_ICMPV6:
		break;
	case IPPROTO_SCTP:
		return csum_sctp_ok(l4, len);
	default:
		return true;
	}
	if (v6)
		return !csum_ipv6_magic(&ip6->saddr, &ip6->daddr, len, proto,
					sum);
	return !csum_tcpudp_magic(iph->saddr, iph->daddr, len, proto, sum);
}

static inline bool csum_packet_ok(__u8 *pkt, size_t n)
{
	struct ipv6hdr *ip6 = (void *)pkt;
	struct iphdr *iph = (void *)pkt;
	__u32 len;

	if (n >= sizeof(*iph) && iph->version == 4) {
		len = ntohs(iph->tot_len);
		if (iph->ihl < 5 || len > n || len < iph->ihl * 4 ||
		    csum_fold(csum_bytes(iph, iph->ihl * 4)))
			return false;
		if (iph->frag_off & htons(0x3fff))
			return true;	/* a fragment: no transport header */
		return csum_l4_ok(iph, false, iph->protocol,
				  pkt + iph->ihl * 4, len - iph->ihl * 4);
	}
	if (n >= sizeof(*ip6) && ip6->version == 6) {
		len = ntohs(ip6->payload_len);
		if (len + sizeof(*ip6) > n)
			return false;
		return csum_l4_ok(ip6, true, ip6->nexthdr, pkt + sizeof(*ip6),
				  len);
	}
	return true;	/* not IP: nothing to check */
}

/* Every packet @fd has received since csum_open(): none sent */
static inline void csum_check(int fd, struct csum_result *r)
{
	static __u8 buf[65536];
	struct sockaddr_ll sll;
	socklen_t sl;
	ssize_t n;

	for (;;) {
		sl = sizeof(sll);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&sll, &sl);
		if (n < 0)
			break;
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		r->checked++;
		if (!csum_packet_ok(buf, n))
			r->bad++;
	}
}

/* What the peer (@fd_a) and the client (@fd_c) received: right */
static inline void csum_assert(int fd_a, int fd_c)
{
	struct csum_result a = {}, c = {};

	csum_check(fd_a, &a);
	csum_check(fd_c, &c);
	ASSERT_GT(a.checked, 0, "packets at the peer");
	ASSERT_EQ(a.bad, 0, "bad checksums at the peer");
	ASSERT_GT(c.checked, 0, "packets at the client");
	ASSERT_EQ(c.bad, 0, "bad checksums at the client");
}

#endif /* __WG_CSUM_HELPERS_H */
