// SPDX-License-Identifier: GPL-2.0
/* What neither a BPF program nor the wire can make the kfuncs do: the
 * verifier rejects misuse of the references and contexts
 * (progs/wg_kfunc_misuse.c), unprivileged users cannot load the
 * programs, and hostile or mangled messages fail with their documented
 * errnos (progs/wg_hostile.c), on the fast path topology of
 * wg_fp_helpers.h.
 */

#include <netinet/udp.h>

#include "cap_helpers.h"
#include "wg_fp_helpers.h"
#include "progs/wg_hostile.h"
#include "wg_hostile.skel.h"
#include "wg_kfunc_misuse.skel.h"

/*
 * Hostile input, with BPF_PROG_TEST_RUN: A's device seals made-up inner
 * packets into genuine data messages (progs/wg_hostile.c, "seal", run in
 * NS_P); R's fast path gets them, or mangled copies, to decrypt ("open",
 * XDP or TC, run in NS_R). Each class must fail with its documented
 * errno, and nothing but a genuine message, once, may succeed.
 */
#define HT_OFF		ETH_HLEN	/* after an Ethernet header */
#define HT_INNER	48		/* inner IPv4 packet, padded */
#define HT_MSG_LEN	(16 + HT_INNER + 16)
#define HT_PKT_LEN	(HT_OFF + HT_MSG_LEN)
#define HT_OVER_C	"10.100.0.3"	/* another peer of R, with no keys */

struct ht_pkt {
	__u8 data[HT_PKT_LEN + 64];
	__u32 len;		/* of the packet */
	__u32 off;		/* of the message */
	__u32 length;		/* "length" argument */
};

#define HT_NOT_RUN	1		/* no errno */

enum ht_inner {
	HT_GOOD, HT_BAD_VERSION, HT_BAD_SOURCE, HT_BAD_LEN, HT_ECN_CAPABLE,
};

static __u16 ht_ip_csum(const void *hdr)
{
	const __u16 *w = hdr;
	__u32 sum = 0;
	int i;

	for (i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static int ht_test_run(struct bpf_program *prog, struct ht_pkt *p,
		       __u32 repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		    .data_in = p->data,
		    .data_size_in = p->len,
		    .data_out = p->data,
		    .data_size_out = sizeof(p->data),
		    .repeat = repeat);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &topts);
	if (err)
		return err;
	return topts.retval;
}

/* A genuine data message from A to R, carrying an inner packet of @kind */
static int ht_seal(struct wg_hostile *skel, struct ht_pkt *p,
		   enum ht_inner kind, __u32 repeat)
{
	struct iphdr *iph = (void *)(p->data + HT_OFF + 16);
	struct nstoken *nstoken;
	int ret;

	memset(p, 0, sizeof(*p));
	p->len = HT_PKT_LEN;
	p->off = HT_OFF;
	p->length = HT_MSG_LEN;
	iph->version = kind == HT_BAD_VERSION ? 5 : 4;
	iph->ihl = 5;
	iph->tos = kind == HT_ECN_CAPABLE ? 2 : 0;	/* ECN capable */
	iph->ttl = 64;
	iph->protocol = IPPROTO_UDP;
	iph->tot_len = htons(kind == HT_BAD_LEN ? HT_INNER + 1 : HT_INNER);
	iph->saddr = inet_addr(kind == HT_BAD_SOURCE ? OVER_MISS : OVER_A);
	iph->daddr = inet_addr("10.0.0.2");
	iph->check = ht_ip_csum(iph);

	skel->bss->port = FP_PORT_A;
	skel->bss->msg_off = HT_OFF;
	skel->bss->length = HT_INNER;
	skel->bss->peer_addr = inet_addr("10.100.0.2");
	nstoken = open_netns(NS_P);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return -1;
	ret = ht_test_run(skel->progs.xdp_seal, p, repeat);
	close_netns(nstoken);
	if (!ASSERT_EQ(ret, XDP_PASS, "seal") ||
	    !ASSERT_EQ(skel->bss->err, 0, "seal error"))
		return -1;
	return 0;
}

static __le32 ht_idx(struct ht_pkt *p)
{
	__le32 idx;

	memcpy(&idx, p->data + p->off + 4, sizeof(idx));
	return idx;
}

static void ht_set_idx(struct ht_pkt *p, __le32 idx)
{
	memcpy(p->data + p->off + 4, &idx, sizeof(idx));
}

/* Decrypt @p on R (the caller is in NS_R): the kfunc's return value. @p
 * stays as it is; the inner IP header of the result goes to @inner.
 */
/* The packet as the last ht_decrypt() left it */
static struct ht_pkt ht_last;

static int ht_decrypt(struct wg_hostile *skel, bool tc, struct ht_pkt *p,
		      const char *peer_addr, struct iphdr *inner)
{
	struct ht_pkt *copy = &ht_last;
	int ret;

	skel->bss->port = FP_PORT_R;
	skel->bss->msg_off = p->off;
	skel->bss->length = p->length;
	skel->bss->peer_addr = peer_addr ? inet_addr(peer_addr) : 0;
	skel->bss->err = 1;
	*copy = *p;
	ret = ht_test_run(tc ? skel->progs.tc_open : skel->progs.xdp_open,
			  copy, 1);
	if (ret < 0)
		return HT_NOT_RUN;	/* test_run refused the packet */
	if (skel->bss->err > 0)
		return HT_NOT_RUN;
	/* the verdict follows the kfunc */
	if (!ASSERT_EQ(ret, skel->bss->err ? (tc ? TC_ACT_SHOT : XDP_DROP) :
					     (tc ? TC_ACT_OK : XDP_PASS),
		       "verdict"))
		return 1;
	if (inner)
		memcpy(inner, copy->data + p->off + 16, sizeof(*inner));
	return skel->bss->err;
}

static int ht_open(struct wg_hostile *skel, bool tc, struct ht_pkt *p,
		   const char *peer_addr)
{
	return ht_decrypt(skel, tc, p, peer_addr, NULL);
}

/* A failure before the crypto left the packet as it was */
static bool ht_untouched(const struct ht_pkt *p)
{
	return !memcmp(ht_last.data, p->data, p->len);
}

/* A failure after it zeroed ciphertext and tag, not left them decrypted,
 * and nothing else changed
 */
static bool ht_zeroed(const struct ht_pkt *p)
{
	__u32 i, start = p->off + 16, end = p->off + p->length;

	for (i = 0; i < p->len; i++)
		if (i >= start && i < end ? ht_last.data[i] :
					    ht_last.data[i] != p->data[i])
			return false;
	return true;
}

/* Put the message behind Ethernet, IPv4 and UDP headers from A's
 * endpoint to R's, as it comes off the wire, the IPv4 header with the
 * ECN field @ecn.
 */
static void ht_outer(struct ht_pkt *p, __u8 ecn)
{
	struct ethhdr *eth = (void *)p->data;
	struct iphdr *iph = (void *)(eth + 1);
	struct udphdr *uh = (void *)(iph + 1);
	__u32 off = (void *)(uh + 1) - (void *)eth;

	memmove(p->data + off, p->data + p->off, p->length);
	memset(p->data, 0, off);
	eth->h_proto = htons(ETH_P_IP);
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = ecn;
	iph->ttl = 64;
	iph->protocol = IPPROTO_UDP;
	iph->tot_len = htons(sizeof(*iph) + sizeof(*uh) + p->length);
	iph->saddr = inet_addr(FP_EP4);
	iph->daddr = inet_addr("172.16.1.2");
	iph->check = ht_ip_csum(iph);
	uh->source = htons(FP_PORT_A);
	uh->dest = htons(FP_PORT_R);
	uh->len = htons(sizeof(*uh) + p->length);
	p->off = off;
	p->len = off + p->length;
}

/* A rekey: A forgets R and sends to it, which starts a handshake; R's
 * first message on the new keys confirms them.
 */
static int ht_rekey(void)
{
	SYS(fail, "ip netns exec " NS_P " wg set wg_a peer " PUB_B " remove");
	SYS(fail, "ip netns exec " NS_P " wg set wg_a peer " PUB_B
	    " allowed-ips " FP_ALLOWED_R " endpoint 172.16.1.2:%d", FP_PORT_R);
	SYS(fail, "ip netns exec " NS_P " ping -c 2 -i 0.2 -W 5 %s >/dev/null",
	    "10.100.0.2");
	return 0;
fail:
	return -1;
}

static void test_hostile(bool tc)
{
	/* inner ECT(0) or not ECN-capable, outer, inner afterwards */
	static const __u8 ecn[][3] = {
		{ 1, 3, 3 }, { 1, 1, 1 }, { 1, 2, 2 }, { 1, 0, 2 },
		{ 0, 3, 0 }, { 0, 1, 0 },
	};
	struct ht_pkt good, p, old, pre, post;
	struct nstoken *nstoken = NULL;
	struct wg_hostile *skel;
	struct iphdr inner;
	int i;

	skel = wg_hostile__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_hostile open_and_load"))
		return;
	if (!ASSERT_OK(fp_prepare(false), "fp_prepare"))
		goto out;
	SYS(out, "ip netns exec " NS_R " wg set wg_r peer " PUB_C
	    " allowed-ips " HT_OVER_C "/32");
	if (ht_seal(skel, &good, HT_GOOD, 1))
		goto out;
	nstoken = open_netns(NS_R);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;

	p = good;
	p.len = p.off + 10;
	ASSERT_EQ(ht_open(skel, tc, &p, OVER_A), -EINVAL, "truncated header");
	p = good;
	p.length = 31;
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EINVAL, "length below 32");
	p = good;
	p.len -= 1;
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EINVAL, "truncated message");
	p = good;
	p.length += 16;
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EINVAL, "oversized length");
	p = good;
	p.len += 16;
	p.length += 16;
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EBADMSG, "trailing bytes");
	p = good;
	p.length -= 1;
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EBADMSG, "length not padded");
	p = good;
	p.data[HT_OFF] = 1;	/* a handshake initiation */
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -ENOMSG, "message type");
	ASSERT_TRUE(ht_untouched(&p), "message type: untouched");
	p = good;
	ht_set_idx(&p, ht_idx(&p) ^ htonl(0x5a5a5a5a));
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -ENODEV, "unknown index");
	ASSERT_EQ(skel->bss->peer_found, 0, "unknown index: no peer");
	ASSERT_EQ(ht_open(skel, tc, &p, OVER_A), -ENOKEY,
		  "unknown index, given peer");
	ASSERT_TRUE(ht_untouched(&p), "unknown index: untouched");
	ASSERT_EQ(ht_open(skel, tc, &good, HT_OVER_C), -EACCES,
		  "index of another peer");
	ASSERT_TRUE(ht_untouched(&good), "another peer: untouched");
	p = good;
	p.data[HT_PKT_LEN - 1] ^= 1;
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EBADMSG, "flipped tag bit");
	ASSERT_TRUE(ht_zeroed(&p), "flipped tag bit: zeroed");
	p = good;
	p.data[HT_OFF + 16 + 12] ^= 0x80;
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EBADMSG,
		  "flipped ciphertext bit");
	ASSERT_TRUE(ht_zeroed(&p), "flipped ciphertext bit: zeroed");
	p = good;
	p.data[HT_OFF + 8] ^= 1;
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EBADMSG, "other counter");

	/* the genuine message, once */
	p = good;
	ASSERT_EQ(ht_decrypt(skel, tc, &p, NULL, &inner), 0, "genuine message");
	ASSERT_EQ(inner.saddr, inet_addr(OVER_A), "inner source");
	ASSERT_EQ(ht_open(skel, tc, &good, NULL), -ESTALE, "replayed");
	ASSERT_TRUE(ht_zeroed(&good), "replayed: zeroed");
	close_netns(nstoken);
	nstoken = NULL;

	/* inner packets that authenticate but are not right */
	if (ht_seal(skel, &p, HT_BAD_VERSION, 1))
		goto out;
	nstoken = open_netns(NS_R);
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EPROTO, "inner IP version");
	ASSERT_TRUE(ht_zeroed(&p), "inner IP version: zeroed");
	close_netns(nstoken);
	if (ht_seal(skel, &p, HT_BAD_SOURCE, 1))
		goto out;
	nstoken = open_netns(NS_R);
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EPERM,
		  "inner source outside AllowedIPs");
	ASSERT_TRUE(ht_zeroed(&p), "inner source: zeroed");
	close_netns(nstoken);
	if (ht_seal(skel, &p, HT_BAD_LEN, 1))
		goto out;
	nstoken = open_netns(NS_R);
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EMSGSIZE, "inner length");
	ASSERT_TRUE(ht_zeroed(&p), "inner length: zeroed");
	close_netns(nstoken);
	nstoken = NULL;

	/* ECN as the device decapsulates it (RFC 6040): congestion on the
	 * way reaches an ECN-capable inner header, ECT(1) replaces ECT(0),
	 * a packet that is not ECN-capable stays as it is
	 */
	for (i = 0; i < ARRAY_SIZE(ecn); i++) {
		if (ht_seal(skel, &p, ecn[i][0] ? HT_ECN_CAPABLE : HT_GOOD, 1))
			goto out;
		ht_outer(&p, ecn[i][1]);
		nstoken = open_netns(NS_R);
		ASSERT_EQ(ht_decrypt(skel, tc, &p, NULL, &inner), 0, "ECN");
		ASSERT_EQ(inner.tos & 3, ecn[i][2], "inner ECN");
		ASSERT_EQ(ht_ip_csum(&inner), 0, "inner checksum");
		close_netns(nstoken);
		nstoken = NULL;
	}

	/* below the window: 8200 messages later (the window is 8128) */
	if (ht_seal(skel, &old, HT_GOOD, 1) || ht_seal(skel, &p, HT_GOOD, 8200))
		goto out;
	if (ht_seal(skel, &p, HT_GOOD, 1))
		goto out;
	nstoken = open_netns(NS_R);
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), 0, "newest message");
	ASSERT_EQ(ht_open(skel, tc, &old, NULL), -ESTALE,
		  "counter below the window");
	close_netns(nstoken);
	nstoken = NULL;

	/* a rekey: the previous keypair still opens its messages, and
	 * a message under the new key with the old index fails
	 */
	if (ht_seal(skel, &pre, HT_GOOD, 1) ||
	    !ASSERT_OK(ht_rekey(), "rekey") ||
	    ht_seal(skel, &post, HT_GOOD, 1) ||
	    !ASSERT_NEQ(ht_idx(&pre), ht_idx(&post), "new receiver index"))
		goto out;
	nstoken = open_netns(NS_R);
	p = post;
	ht_set_idx(&p, ht_idx(&pre));
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EBADMSG, "wrong key");
	ASSERT_EQ(ht_open(skel, tc, &pre, NULL), 0, "previous keypair");
	ASSERT_EQ(ht_open(skel, tc, &post, NULL), 0, "current keypair");
out:
	if (nstoken)
		close_netns(nstoken);
	SYS_NOFAIL("ip netns exec " NS_R " wg set wg_r peer " PUB_C " remove");
	wg_hostile__destroy(skel);
}

/* Roaming behind a VLAN tag, as wg_receive() has it: the endpoint is the
 * outer source, and the scope of a link-local one the interface the
 * stack receives the packet on: the VLAN device of the tag, the frame's
 * device for a priority tag. With no VLAN device for the tag the stack
 * drops the packet; an untagged frame on a device with VLAN devices may
 * have had its tag stripped by the NIC: the endpoint stays. XDP only:
 * test_run gives a TC program's skb no VLAN tag.
 */
#define HT_VLAN		7
#define HT_LL_A		"fe80::a"

/* @vid < 0: untagged */
static void ht_outer6_vlan(struct ht_pkt *p, int vid)
{
	struct ethhdr *eth = (void *)p->data;
	__be16 *tag = (void *)(eth + 1);	/* TCI, encapsulated proto */
	struct ipv6hdr *ip6 = (void *)(tag + (vid < 0 ? 0 : 2));
	struct udphdr *uh = (void *)(ip6 + 1);
	__u32 off = (void *)(uh + 1) - (void *)eth;

	memmove(p->data + off, p->data + p->off, p->length);
	memset(p->data, 0, off);
	if (vid < 0) {
		eth->h_proto = htons(ETH_P_IPV6);
	} else {
		eth->h_proto = htons(ETH_P_8021Q);
		tag[0] = htons(vid);
		tag[1] = htons(ETH_P_IPV6);
	}
	ip6->version = 6;
	ip6->payload_len = htons(sizeof(*uh) + p->length);
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = 64;
	inet_pton(AF_INET6, HT_LL_A, &ip6->saddr);
	inet_pton(AF_INET6, "fe80::b", &ip6->daddr);
	uh->source = htons(FP_PORT_A);
	uh->dest = htons(FP_PORT_R);
	uh->len = htons(sizeof(*uh) + p->length);
	p->off = off;
	p->len = off + p->length;
}

/* Decrypt @p with xdp_open as received on @ifindex */
static int ht_open_on(struct wg_hostile *skel, struct ht_pkt *p, int ifindex)
{
	struct xdp_md ctx = { .data_end = p->len, .ingress_ifindex = ifindex };

	LIBBPF_OPTS(bpf_test_run_opts, topts,
		    .data_in = p->data,
		    .data_size_in = p->len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = 1);

	skel->bss->port = FP_PORT_R;
	skel->bss->msg_off = p->off;
	skel->bss->length = p->length;
	skel->bss->peer_addr = 0;
	skel->bss->err = 1;
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_open),
				   &topts))
		return HT_NOT_RUN;
	return skel->bss->err;
}

/* R's endpoint for A, as wg show prints it */
static int ht_endpoint(char *buf, size_t size)
{
	FILE *f = popen("ip netns exec " NS_R " wg show wg_r endpoints", "r");
	char line[256];
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, PUB_A "\t", strlen(PUB_A) + 1)) {
			snprintf(buf, size, "%s", line + strlen(PUB_A) + 1);
			buf[strcspn(buf, "\n")] = 0;
			ret = 0;
		}
	pclose(f);
	return ret;
}

static void ht_vlan_case(struct wg_hostile *skel, int vid, int ifindex,
			 const char *want)
{
	struct nstoken *nstoken;
	struct ht_pkt p;
	char ep[128] = "";

	if (ht_seal(skel, &p, HT_GOOD, 1))
		return;
	ht_outer6_vlan(&p, vid);
	nstoken = open_netns(NS_R);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return;
	ASSERT_EQ(ht_open_on(skel, &p, ifindex), 0, "decrypted");
	close_netns(nstoken);
	ASSERT_OK(ht_endpoint(ep, sizeof(ep)), "wg show endpoints");
	if (!ASSERT_STREQ(ep, want, "endpoint"))
		printf("vlan %d: endpoint %s, want %s\n", vid, ep, want);
}

static void test_vlan_endpoint(void)
{
	struct wg_hostile *skel;
	int ifindex;

	skel = wg_hostile__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_hostile open_and_load") ||
	    !ASSERT_OK(fp_prepare(false), "fp_prepare"))
		goto out;
	SYS(out,
	    "ip -net %s link add link veth_ra name veth_ra.%d type vlan id %d",
	    NS_R, HT_VLAN, HT_VLAN);
	SYS(out, "ip -net " NS_R " link set veth_ra.%d up", HT_VLAN);
	ifindex = ns_ifindex(NS_R, "veth_ra");
	if (!ASSERT_GT(ifindex, 0, "veth_ra"))
		goto out;

	/* no VLAN device for the tag: no endpoint to roam to */
	ht_vlan_case(skel, HT_VLAN + 1, ifindex, FP_EP4 ":51820");
	/* untagged, maybe by the NIC, on a device with a VLAN device */
	ht_vlan_case(skel, -1, ifindex, FP_EP4 ":51820");
	/* a priority tag: the frame's device */
	ht_vlan_case(skel, 0, ifindex, "[" HT_LL_A "%veth_ra]:51820");
	ht_vlan_case(skel, HT_VLAN, ifindex, "[" HT_LL_A "%veth_ra.7]:51820");

	/* a VRF's slave: the stack hands its packets to the VRF device */
	SYS(out, "ip -net " NS_R " link add ht_vrf type vrf table 10");
	SYS(out, "ip -net " NS_R " link add ht_slave type dummy");
	SYS(out, "ip -net " NS_R " link set ht_slave master ht_vrf");
	SYS(out, "ip -net " NS_R " link set ht_vrf up");
	SYS(out, "ip -net " NS_R " link set ht_slave up");
	ifindex = ns_ifindex(NS_R, "ht_slave");
	if (!ASSERT_GT(ifindex, 0, "ht_slave"))
		goto out;
	ht_vlan_case(skel, 0, ifindex, "[" HT_LL_A "%veth_ra.7]:51820");
out:
	SYS_NOFAIL("ip -net " NS_R " link del ht_slave");
	SYS_NOFAIL("ip -net " NS_R " link del ht_vrf");
	SYS_NOFAIL("ip -net " NS_R " link del veth_ra.%d", HT_VLAN);
	wg_hostile__destroy(skel);
}

static bool ht_documented(int err)
{
	switch (err) {
	case 0: case -EINVAL: case -ENOMSG: case -EPROTO:
	case -ENOKEY: case -EACCES: case -EKEYEXPIRED: case -EBADMSG:
	case -ESTALE: case -EMSGSIZE: case -EPERM: case -ENODEV:
		return true;
	}
	return false;
}

#define HT_BASES 64

/* Mangled copies of genuine messages, through XDP and TC: only a genuine
 * message, and each only once, may succeed; everything else fails with a
 * documented errno.
 */
static void test_fuzz(void)
{
	static const char * const peers[] = { NULL, OVER_A, HT_OVER_C };
	const char *env = getenv("WG_FUZZ_PACKETS");
	int n = env ? atoi(env) : 100000, i, k, k2, ret, undocumented = 0;
	struct nstoken *nstoken = NULL;
	bool accepted[HT_BASES] = {};
	struct ht_pkt *bases, p;
	struct wg_hostile *skel;
	int replays = 0, ok = 0, refused = 0;
	__u64 sum = 0;

	bases = calloc(HT_BASES, sizeof(*bases));
	skel = wg_hostile__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_hostile open_and_load") ||
	    !ASSERT_OK_PTR(bases, "calloc") ||
	    !ASSERT_OK(fp_prepare(false), "fp_prepare"))
		goto out;
	SYS(out, "ip netns exec " NS_R " wg set wg_r peer " PUB_C
	    " allowed-ips " HT_OVER_C "/32");
	for (i = 0; i < HT_BASES; i++)
		if (ht_seal(skel, &bases[i], HT_GOOD, 1))
			goto out;
	skel->bss->calls = 0;
	skel->bss->successes = 0;
	memset(skel->bss->errnos, 0, sizeof(skel->bss->errnos));
	nstoken = open_netns(NS_R);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	srand(42);
	for (i = 0; i < n; i++) {
		int b = rand() % HT_BASES, m = rand() % 4;

		p = bases[b];
		for (k = 0; k < m; k++) {
			switch (rand() % 6) {
			case 0:	/* flip a bit anywhere */
				p.data[rand() % p.len] ^= 1 << (rand() % 8);
				break;
			case 1:	/* a random byte in the header */
				p.data[HT_OFF + rand() % 16] = rand();
				break;
			case 2:	/* cut or grow the packet */
				p.len = HT_OFF + rand() % (sizeof(p.data) -
							   HT_OFF);
				break;
			case 3:	/* lie about the length */
				p.length = rand() % 2 ? rand() :
					   rand() % (sizeof(p.data) + 32);
				break;
			case 4:	/* random bytes in the ciphertext */
				k2 = HT_OFF + 16 + rand() % HT_INNER;
				p.data[k2] = rand();
				break;
			case 5:	/* a type that is not data */
				p.data[HT_OFF + rand() % 4] ^= rand() | 1;
				break;
			}
		}
		ret = ht_open(skel, i & 1, &p, peers[rand() % 3]);
		if (ret == HT_NOT_RUN) {
			/* e.g. an IPv4 EtherType in front of less than
			 * an IPv4 header: test_run's check, not the kfunc's
			 */
			refused++;
			continue;
		}
		if (!ht_documented(ret)) {
			if (undocumented++ < 5)
				PRINT_FAIL("packet %d, length %u: %d\n", i,
					   p.length, ret);
			continue;
		}
		if (ret)
			continue;
		ok++;
		if (accepted[b])
			replays++;
		accepted[b] = true;
	}
	for (i = 0; i < 256; i++)
		sum += skel->bss->errnos[i];
	if (env_verbosity >= VERBOSE_NORMAL)
		for (i = 0; i < 256; i++)
			if (skel->bss->errnos[i])
				printf("fuzz: -%d x %llu\n", i,
				       skel->bss->errnos[i]);
	ASSERT_EQ(undocumented, 0, "undocumented errnos");
	ASSERT_EQ(replays, 0, "a message accepted twice");
	ASSERT_LE(ok, HT_BASES, "accepted");
	ASSERT_GT(ok, 0, "genuine messages accepted");
	ASSERT_LT(refused, n / 100, "refused by BPF_PROG_TEST_RUN");
	ASSERT_EQ(skel->bss->calls, n - refused, "packets");
	ASSERT_EQ(skel->bss->successes + sum, n - refused, "all counted");
	printf("fuzz: %d packets, %d refused by test_run, %d decrypted\n", n,
	       refused, ok);
	close_netns(nstoken);
	nstoken = NULL;
	/* the tunnel still works */
	SYS(out, "ip netns exec " NS_C " ping -c 2 -i 0.2 -W 2 " OVER_A
	    " >/dev/null");
out:
	if (nstoken)
		close_netns(nstoken);
	SYS_NOFAIL("ip netns exec " NS_R " wg set wg_r peer " PUB_C " remove");
	wg_hostile__destroy(skel);
	free(bases);
}

/*
 * Arguments: the four crypt kfuncs called with offsets and lengths
 * across the whole u32 range, around the packet's, its linear part's and
 * its fragments' boundaries, on valid keys, in linear packets, XDP
 * multi-buffer frames (BPF_PROG_TEST_RUN) and paged skbs (real traffic,
 * args_live). Every call fails with a documented errno or succeeds
 * within the packet, and nothing outside the message changes.
 */
#define ARGS_SHAPES	4
#define ARGS_MAX_PKT	9000
#define ARGS_ETH_P	0x88b5	/* local experimental EtherType */

struct args_pkt {
	__u8 data[ARGS_MAX_PKT];
	__u8 out[ARGS_MAX_PKT];
	__u32 len;
	__u32 linear;
};

static __u32 args_list(__u32 *v, __u32 len, __u32 linear)
{
	static const __u32 fixed[] = {
		0, 1, 14, 15, 16, 17, 31, 32, 33, 4095, 4096, 65535, 65536,
		0x7fffffff, 0x80000000,
	};
	const __u32 near[] = { len, linear, linear + 4096, linear + 8192 };
	__u32 n = 0, i, k;

	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		v[n++] = fixed[i];
	for (i = 0; i < ARRAY_SIZE(near); i++)
		for (k = 0; k < 5; k++)
			v[n++] = near[i] + k - 2;	/* may wrap: fine */
	for (k = 0; k < 3; k++)
		v[n++] = len - 32 - k;
	for (i = 0xfffffff0; i; i++)
		v[n++] = i;			/* 0xfffffff0..0xffffffff */
	return n;
}

/* The padding of the device (send.c), in 64 bits */
static __u64 args_padded(__u64 len, __u64 mtu)
{
	__u64 last = len;

	__u64 padded;

	if (!mtu)
		return (len + 15) & ~15ULL;
	if (last > mtu)
		last %= mtu;
	padded = (last + 15) & ~15ULL;
	if (padded > mtu)
		padded = mtu;
	return len + padded - last;
}

static bool args_documented(int ret, bool tc)
{
	switch (ret) {
	case 0: case -EINVAL: case -EMSGSIZE: case -ENOMSG:
	case -EPROTO: case -ENOKEY: case -EACCES: case -EKEYEXPIRED:
	case -EBADMSG: case -ESTALE: case -EPERM: case -EOPNOTSUPP:
		return true;
	case -EBUSY:
		return tc;
	}
	return false;
}

/* Check one call's result: the errno is documented, a success lies in
 * the packet, bytes outside the message did not change and those of the
 * message only on success or as zeros (@out: the packet afterwards, NULL
 * when not known).
 */
static int args_check(bool tc, bool decrypt, __u32 off, __u32 length,
		      int ret, __u32 len, __u32 linear, __u32 mtu,
		      const __u8 *in, const __u8 *out)
{
	__u64 end, i;
	bool zeroed;

	if (!args_documented(ret, tc)) {
		PRINT_FAIL("%s %s off %u length %u: %d\n", tc ? "tc" : "xdp",
			   decrypt ? "decrypt" : "encrypt", off, length, ret);
		return -1;
	}
	if (decrypt)
		end = (__u64)off + length;
	else
		end = (__u64)off + 32 + args_padded(length, mtu);
	if (!ret && (end > len || (__u64)off + 16 > linear ||
		     (!decrypt && length > 65535))) {
		PRINT_FAIL("%s %s off %u length %u: success outside the packet",
			   tc ? "tc" : "xdp", decrypt ? "decrypt" : "encrypt",
			   off, length);
		PRINT_FAIL(" (%u bytes, linear %u)\n", len, linear);
		return -1;
	}
	if (!out)
		return 0;
	/* a failure before the crypto changes nothing; one after it zeroes
	 * ciphertext and tag
	 */
	zeroed = decrypt && (ret == -EBADMSG || ret == -ESTALE ||
			     ret == -EPROTO || ret == -EMSGSIZE ||
			     ret == -EPERM);
	for (i = 0; i < len; i++) {
		const char *what = "changed";

		if (zeroed && i >= off + 16 && i < end && out[i])
			what = "not zeroed";
		else if ((i >= off && i < end && (!ret || zeroed)) ||
			 in[i] == out[i])
			continue;
		PRINT_FAIL("%s %s off %u length %u (%d): byte %llu %s\n",
			   tc ? "tc" : "xdp", decrypt ? "decrypt" : "encrypt",
			   off, length, ret, i, what);
		return -1;
	}
	return 0;
}

static int args_run(struct wg_hostile *skel, bool tc, bool decrypt,
		    struct args_pkt *p, __u32 off, __u32 length,
		    const __u8 *hdr)
{
	struct xdp_md xdp_ctx = { .data_end = p->linear };
	struct bpf_program *prog;

	LIBBPF_OPTS(bpf_test_run_opts, topts,
		    .data_in = p->data,
		    .data_size_in = p->len,
		    .data_out = p->out,
		    .data_size_out = sizeof(p->out),
		    .repeat = 1);
	int err;

	/* decrypt: a genuine header where it fits, so that the kfunc goes
	 * past the receiver index to map and open what follows
	 */
	memset(p->data, 0x5a, p->len);
	((struct ethhdr *)p->data)->h_proto = htons(ARGS_ETH_P);
	if (decrypt && (__u64)off + 16 <= p->len && off >= ETH_HLEN)
		memcpy(p->data + off, hdr, 16);
	if (!tc) {
		topts.ctx_in = &xdp_ctx;
		topts.ctx_size_in = sizeof(xdp_ctx);
	}
	skel->bss->msg_off = off;
	skel->bss->length = length;
	skel->bss->err = 1;
	if (decrypt)
		prog = tc ? skel->progs.tc_open : skel->progs.xdp_open;
	else
		prog = tc ? skel->progs.tc_seal : skel->progs.xdp_seal;
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &topts);
	if (!ASSERT_OK(err, "test_run") || !ASSERT_LE(skel->bss->err, 0, "ran"))
		return -1;
	if (!ASSERT_EQ(topts.data_size_out, p->len, "length unchanged"))
		return -1;
	return args_check(tc, decrypt, off, length, skel->bss->err, p->len,
			  p->linear, 1420, p->data, p->out);
}

/* Every offset with every length on one packet shape, in A's namespace
 * (encrypt, to R) or R's (decrypt, from A)
 */
static int args_shape(struct wg_hostile *skel, bool tc, bool decrypt,
		      struct args_pkt *p, const __u8 *hdr, __u64 *calls)
{
	__u32 offs[64], lens[64], no, nl, i, k;
	struct nstoken *nstoken;
	int bad = 0;

	no = args_list(offs, p->len, p->linear);
	nl = args_list(lens, p->len, p->linear);
	nstoken = open_netns(decrypt ? NS_R : NS_P);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return -1;
	skel->bss->port = decrypt ? FP_PORT_R : FP_PORT_A;
	skel->bss->peer_addr = inet_addr(decrypt ? OVER_A : "10.100.0.2");
	for (i = 0; i < no && bad < 5; i++)
		for (k = 0; k < nl && bad < 5; k++) {
			if (args_run(skel, tc, decrypt, p, offs[i], lens[k],
				     hdr))
				bad++;
			(*calls)++;
		}
	close_netns(nstoken);
	return bad ? -1 : 0;
}

/* Paged skbs, from real traffic: a 60000-byte UDP datagram from C to R
 * over 65000-byte links is an skb with its data in page fragments, not
 * shared, not a clone. tc_args_live on R's veth_rc makes the calls of
 * one batch on it and drops it. The kfuncs take linear skbs only: every
 * call fails, with -EBUSY unless its length was refused first.
 */
#define ARGS_LIVE_LEN	60000

static int args_live_batch(struct wg_hostile *skel, bool decrypt,
			   const __u32 *offs, __u32 no, const __u32 *lens,
			   __u32 nl, __u32 *next, __u64 *calls)
{
	__u32 len = ETH_HLEN + 28 + ARGS_LIVE_LEN, n = 0, i;
	struct sockaddr_in dst = {
		.sin_family = AF_INET,
		.sin_port = htons(9),
		.sin_addr.s_addr = inet_addr("10.0.0.1"),
	};
	struct nstoken *nstoken;
	static char buf[ARGS_LIVE_LEN];
	int fd, bad = 0;

	for (; *next < no * nl && n < WG_ARGS_MAX; (*next)++, n++) {
		skel->bss->args[n].op = decrypt;
		skel->bss->args[n].offset = offs[*next / nl];
		skel->bss->args[n].length = lens[*next % nl];
		skel->bss->args[n].ret = 1;
	}
	skel->bss->nr_args = n;
	skel->bss->args_runs = 0;
	nstoken = open_netns(NS_C);
	if (!ASSERT_OK_PTR(nstoken, "open_netns C"))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	close_netns(nstoken);
	if (!ASSERT_GE(fd, 0, "socket"))
		return -1;
	for (i = 0; i < 20 && !skel->bss->args_runs; i++) {
		sendto(fd, buf, sizeof(buf), 0, (void *)&dst, sizeof(dst));
		usleep(50 * 1000);
	}
	close(fd);
	if (!ASSERT_EQ(skel->bss->args_runs, 1, "a paged skb came") ||
	    !ASSERT_EQ(skel->bss->args_pkt_len, len, "its length") ||
	    !ASSERT_LT(skel->bss->args_linear_len, len, "paged"))
		return -1;
	for (i = 0; i < n && bad < 5; i++) {
		struct wg_args_call *c = &skel->bss->args[i];

		if (args_check(true, decrypt, c->offset, c->length, c->ret,
			       len, skel->bss->args_linear_len, 1420, NULL,
			       NULL))
			bad++;
		else if (c->ret != -EBUSY &&
			 !(decrypt && c->length < 32 && c->ret == -EINVAL) &&
			 !(!decrypt && c->length > 65535 &&
			   c->ret == -EMSGSIZE)) {
			PRINT_FAIL("paged skb: %s off %u length %u: %d\n",
				   decrypt ? "decrypt" : "encrypt", c->offset,
				   c->length, c->ret);
			bad++;
		}
		(*calls)++;
	}
	return bad ? -1 : 0;
}

static int args_live(struct wg_hostile *skel, __u64 *calls)
{
	__u32 len = ETH_HLEN + 28 + ARGS_LIVE_LEN, offs[64], lens[64], no, nl;
	__u32 next, op;
	int fd, err = 0;

	SYS(fail, "ip -net " NS_C " link set veth_cr mtu 65000");
	SYS(fail, "ip -net " NS_R " link set veth_rc mtu 65000");
	skel->bss->port = FP_PORT_R;
	skel->bss->peer_addr = inet_addr(OVER_A);
	skel->bss->min_len = ARGS_LIVE_LEN;
	fd = bpf_program__fd(skel->progs.tc_args_live);
	if (fp_attach_tc(NS_R, "veth_rc", fd))
		goto fail;
	/* the linear part is the headers and a little more: about 128 */
	no = args_list(offs, len, 128);
	nl = args_list(lens, len, 128);
	for (op = 0; op < 2 && !err; op++)
		for (next = 0; next < no * nl && !err;)
			err = args_live_batch(skel, op, offs, no, lens, nl,
					      &next, calls);
	fp_detach(true, NS_R, "veth_rc");
	SYS_NOFAIL("ip -net " NS_C " link set veth_cr mtu 1500");
	SYS_NOFAIL("ip -net " NS_R " link set veth_rc mtu 1500");
	return err;
fail:
	return -1;
}

static void test_args(void)
{
	static const __u32 shapes[ARGS_SHAPES][2] = {
		{ 128, 128 }, { 1500, 1500 }, { 9000, 3000 }, { 60, 60 },
	};
	struct wg_hostile *skel;
	struct args_pkt *p;
	struct ht_pkt good;
	__u64 calls = 0;
	int s, tc, dec;

	p = calloc(1, sizeof(*p));
	skel = wg_hostile__open_and_load();
	if (!ASSERT_OK_PTR(p, "calloc") ||
	    !ASSERT_OK_PTR(skel, "wg_hostile open_and_load") ||
	    !ASSERT_OK(fp_prepare(false), "fp_prepare") ||
	    ht_seal(skel, &good, HT_GOOD, 1))
		goto out;
	for (s = 0; s < ARGS_SHAPES; s++)
		for (tc = 0; tc < 2; tc++)
			for (dec = 0; dec < 2; dec++) {
				/* skbs from test_run are linear */
				if (tc && shapes[s][1] != shapes[s][0])
					continue;
				p->len = shapes[s][0];
				p->linear = shapes[s][1];
				if (args_shape(skel, tc, dec, p,
					       good.data + HT_OFF, &calls))
					goto out;
			}
	if (!args_live(skel, &calls))
		printf("args: %llu calls\n", calls);
	/* the tunnel still works */
	SYS(out, "ip netns exec " NS_C " ping -c 2 -i 0.2 -W 2 " OVER_A
	    " >/dev/null");
out:
	wg_hostile__destroy(skel);
	free(p);
}

/* A CHECKSUM_COMPLETE skb whose data the decrypt kfunc changed, and which
 * a program then passes to the stack, must not keep its stale csum: the
 * stack would report "hw csum failure". Each failure after decryption
 * touched the data, on a CHECKSUM_COMPLETE skb.
 */
static void test_csum_complete(void)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		    .flags = BPF_F_TEST_SKB_CHECKSUM_COMPLETE, .repeat = 1);
	struct nstoken *nstoken = NULL;
	struct wg_hostile *skel;
	struct ht_pkt good, p;
	int kind, err, fd;

	skel = wg_hostile__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_hostile open_and_load") ||
	    !ASSERT_OK(fp_prepare(false), "fp_prepare"))
		goto out;
	for (kind = 0; kind < 3; kind++) {
		if (ht_seal(skel, &good, kind == 2 ? HT_BAD_SOURCE : HT_GOOD,
			    1))
			goto out;
		p = good;
		if (kind == 0)
			p.data[HT_PKT_LEN - 1] ^= 1;	/* -EBADMSG */
		nstoken = open_netns(NS_R);
		if (!ASSERT_OK_PTR(nstoken, "open_netns"))
			goto out;
		if (kind == 1)	/* the genuine one first: then -ESTALE */
			ASSERT_EQ(ht_open(skel, true, &good, NULL), 0,
				  "genuine");
		skel->bss->port = FP_PORT_R;
		skel->bss->msg_off = p.off;
		skel->bss->length = p.length;
		skel->bss->peer_addr = 0;
		topts.data_in = p.data;
		topts.data_size_in = p.len;
		/* test_run fails with -EBADMSG if skb->csum does not match
		 * the data afterwards
		 */
		fd = bpf_program__fd(skel->progs.tc_open);
		err = bpf_prog_test_run_opts(fd, &topts);
		close_netns(nstoken);
		nstoken = NULL;
		ASSERT_EQ(skel->bss->err, kind == 0 ? -EBADMSG :
					  kind == 1 ? -ESTALE : -EPERM,
			  "decrypt failed");
		/* no longer CHECKSUM_COMPLETE, or its csum right */
		ASSERT_TRUE(skel->bss->csum_state < 0 || !err,
			    "no stale CHECKSUM_COMPLETE");
	}
out:
	if (nstoken)
		close_netns(nstoken);
	wg_hostile__destroy(skel);
}

/* Load the reference fast path without the capabilities in @drop. libbpf
 * resolves the kfuncs first, with all of them, as reading the BTF of a
 * module takes CAP_SYS_ADMIN; then the kernel loads the programs.
 */
static int load_without(__u64 drop)
{
	struct wg_fastpath *skel;
	__u64 old;
	int err;

	skel = wg_fastpath__open();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open"))
		return -EINVAL;
	err = bpf_object__prepare(skel->obj);
	if (!ASSERT_OK(err, "prepare"))
		goto out;
	err = cap_disable_effective(drop, &old);
	if (!ASSERT_OK(err, "drop caps"))
		goto out;
	err = wg_fastpath__load(skel);
	cap_enable_effective(old, NULL);
out:
	wg_fastpath__destroy(skel);
	return err;
}

/* XDP and TC programs need CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN):
 * without, the programs that use the kfuncs do not load; with them, they
 * do, without CAP_PERFMON: the reference program reads no kernel
 * structure.
 */
static void test_unpriv(void)
{
	const __u64 admin = (1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_PERFMON);
	const __u64 net = (1ULL << CAP_NET_ADMIN) | admin;

	ASSERT_ERR(load_without(net | (1ULL << CAP_BPF)),
		   "load without privileges");
	ASSERT_ERR(load_without(net), "load with CAP_BPF only");
	ASSERT_OK(load_without(admin), "load with CAP_BPF and CAP_NET_ADMIN");
}

void test_wg_hardening(void)
{
	static const char * const mode[] = { "xdp", "tc" };
	char name[64];
	int tc;

	fp_cleanup();
	if (!ASSERT_OK(fp_setup(), "fp_setup"))
		goto out;

	/* with the devices there, wireguard.ko (if a module) is loaded */
	RUN_TESTS(wg_kfunc_misuse);
	if (test__start_subtest("unpriv"))
		test_unpriv();
	for (tc = 0; tc < 2; tc++) {
		snprintf(name, sizeof(name), "%s_hostile", mode[tc]);
		if (test__start_subtest(name))
			test_hostile(tc);
	}
	if (test__start_subtest("xdp_vlan_endpoint"))
		test_vlan_endpoint();
	if (test__start_subtest("fuzz"))
		test_fuzz();
	if (test__start_subtest("args"))
		test_args();
	if (test__start_subtest("tc_csum_complete"))
		test_csum_complete();
out:
	fp_cleanup();
}
