// SPDX-License-Identifier: GPL-2.0
/* What neither a BPF program nor the wire can make the kfuncs do: the
 * verifier rejects misuse of the references and contexts
 * (progs/wg_kfunc_misuse.c), unprivileged users cannot load the
 * programs, and hostile or mangled messages fail with their documented
 * errnos (progs/wg_hostile.c), on the fast path topology of
 * wg_fp_helpers.h.
 */

#include <linux/udp.h>

#include "cap_helpers.h"
#include "wg_fp_helpers.h"
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
static int ht_decrypt(struct wg_hostile *skel, bool tc, struct ht_pkt *p,
		      const char *peer_addr, struct iphdr *inner)
{
	struct ht_pkt copy = *p;
	int ret;

	skel->bss->port = FP_PORT_R;
	skel->bss->msg_off = p->off;
	skel->bss->length = p->length;
	skel->bss->peer_addr = peer_addr ? inet_addr(peer_addr) : 0;
	skel->bss->err = 1;
	ret = ht_test_run(tc ? skel->progs.tc_open : skel->progs.xdp_open,
			  &copy, 1);
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
		memcpy(inner, copy.data + p->off + 16, sizeof(*inner));
	return skel->bss->err;
}

static int ht_open(struct wg_hostile *skel, bool tc, struct ht_pkt *p,
		   const char *peer_addr)
{
	return ht_decrypt(skel, tc, p, peer_addr, NULL);
}

/* Put the message behind Ethernet, IPv4 and UDP headers from A's
 * endpoint to R's, as it comes off the wire, the IPv4 header marked
 * Congestion Experienced.
 */
static void ht_outer_ce(struct ht_pkt *p)
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
	iph->tos = 3;	/* CE */
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
	struct ht_pkt good, p, old, pre, post;
	struct nstoken *nstoken = NULL;
	struct wg_hostile *skel;
	struct iphdr inner;

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
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EPROTO, "message type");
	p = good;
	ht_set_idx(&p, ht_idx(&p) ^ htonl(0x5a5a5a5a));
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -ENODEV, "unknown index");
	ASSERT_EQ(skel->bss->peer_found, 0, "unknown index: no peer");
	ASSERT_EQ(ht_open(skel, tc, &p, OVER_A), -ENOKEY,
		  "unknown index, given peer");
	ASSERT_EQ(ht_open(skel, tc, &good, HT_OVER_C), -EACCES,
		  "index of another peer");
	p = good;
	p.data[HT_PKT_LEN - 1] ^= 1;
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EBADMSG, "flipped tag bit");
	p = good;
	p.data[HT_OFF + 16 + 12] ^= 0x80;
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EBADMSG,
		  "flipped ciphertext bit");
	p = good;
	p.data[HT_OFF + 8] ^= 1;
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EBADMSG, "other counter");

	/* the genuine message, once */
	p = good;
	ASSERT_EQ(ht_decrypt(skel, tc, &p, NULL, &inner), 0, "genuine message");
	ASSERT_EQ(inner.saddr, inet_addr(OVER_A), "inner source");
	ASSERT_EQ(ht_open(skel, tc, &good, NULL), -ESTALE, "replayed");
	close_netns(nstoken);
	nstoken = NULL;

	/* inner packets that authenticate but are not right */
	if (ht_seal(skel, &p, HT_BAD_VERSION, 1))
		goto out;
	nstoken = open_netns(NS_R);
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EPROTO, "inner IP version");
	close_netns(nstoken);
	if (ht_seal(skel, &p, HT_BAD_SOURCE, 1))
		goto out;
	nstoken = open_netns(NS_R);
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EPERM,
		  "inner source outside AllowedIPs");
	close_netns(nstoken);
	if (ht_seal(skel, &p, HT_BAD_LEN, 1))
		goto out;
	nstoken = open_netns(NS_R);
	ASSERT_EQ(ht_open(skel, tc, &p, NULL), -EMSGSIZE, "inner length");
	close_netns(nstoken);
	nstoken = NULL;

	/* congestion on the way is kept, as the device keeps it */
	if (ht_seal(skel, &p, HT_ECN_CAPABLE, 1))
		goto out;
	ht_outer_ce(&p);
	nstoken = open_netns(NS_R);
	ASSERT_EQ(ht_decrypt(skel, tc, &p, NULL, &inner), 0, "outer CE");
	ASSERT_EQ(inner.tos, 3, "inner CE");
	ASSERT_EQ(ht_ip_csum(&inner), 0, "inner checksum");
	close_netns(nstoken);
	nstoken = NULL;

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

static bool ht_documented(int err)
{
	switch (err) {
	case 0: case -EINVAL: case -E2BIG: case -EPROTO: case -ENOKEY:
	case -EACCES: case -EKEYEXPIRED: case -EBADMSG: case -ESTALE:
	case -EMSGSIZE: case -EPERM: case -ENODEV:
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

/* XDP and TC programs need CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN):
 * without, the programs that use the kfuncs do not load.
 */
static void test_unpriv(void)
{
	const __u64 caps = (1ULL << CAP_NET_ADMIN) | (1ULL << CAP_SYS_ADMIN) |
			   (1ULL << CAP_BPF) | (1ULL << CAP_PERFMON);
	const __u64 net = (1ULL << CAP_NET_ADMIN) | (1ULL << CAP_SYS_ADMIN);
	struct wg_fastpath *skel;
	__u64 old;

	if (!ASSERT_OK(cap_disable_effective(caps, &old), "drop caps"))
		return;
	skel = wg_fastpath__open_and_load();
	ASSERT_ERR_PTR(skel, "load without privileges");
	wg_fastpath__destroy(skel);
	cap_enable_effective(old, NULL);

	if (!ASSERT_OK(cap_disable_effective(net, &old), "drop net caps"))
		return;
	skel = wg_fastpath__open_and_load();
	ASSERT_ERR_PTR(skel, "load with CAP_BPF only");
	wg_fastpath__destroy(skel);
	cap_enable_effective(old, NULL);
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
	if (test__start_subtest("fuzz"))
		test_fuzz();
out:
	fp_cleanup();
}
