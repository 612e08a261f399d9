// SPDX-License-Identifier: GPL-2.0
/* The reference fast path (progs/wg_fastpath.c) on router R between a
 * client and a stack peer: see wg_fp_helpers.h for the topology.
 */

#include <endian.h>
#include <netinet/udp.h>

#include "wg_csum_helpers.h"
#include "wg_fp_helpers.h"
#include "test_wg_lookup.skel.h"
#include "wg_dispatcher.skel.h"

static void test_fp_case(bool tc, bool encrypt, bool outer6, bool inner6)
{
	int fd_a = -1, fd_c = -1;
	struct wg_fastpath *skel;
	__u64 before, after;
	__u32 counter;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	if (!ASSERT_OK(fp_prepare(outer6), "fp_prepare") ||
	    fp_start(skel, tc, encrypt, !encrypt))
		goto out;
	fd_a = csum_open(NS_P, "wg_a");
	fd_c = csum_open(NS_C, "veth_cr");
	if (fd_a < 0 || fd_c < 0)
		goto out;

	counter = encrypt ? FP_ENCRYPTED : FP_DECRYPTED;
	before = fp_counter(skel, counter);
	SYS(out, "ip netns exec " NS_C " %s", inner6 ?
	    "ping -6 -c 5 -i 0.2 -W 2 -s 1000 " OVER_A6 " >/dev/null" :
	    "ping -4 -c 5 -i 0.2 -W 2 -s 1000 " OVER_A " >/dev/null");
	after = fp_counter(skel, counter);
	ASSERT_EQ(after - before, FP_PINGS,
		  encrypt ? "encrypted" : "decrypted");
	/* 60-byte frames: veth leaves XDP next to no tailroom for padding
	 * and tag, the program moves them into the headroom
	 */
	if (encrypt) {
		SYS(out, "ip netns exec " NS_C
		    " ping %s -c 5 -i 0.2 -W 2 -s %d %s >/dev/null",
		    inner6 ? "-6" : "-4", inner6 ? 0 : 18,
		    inner6 ? OVER_A6 : OVER_A);
		ASSERT_EQ(fp_counter(skel, counter) - after, FP_PINGS,
			  "small frames encrypted");
	}
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
	if (encrypt)
		ASSERT_EQ(skel->bss->pass_reason, 0, "pass reason");
	ASSERT_EQ(skel->bss->last_encrypt_err, 0, "last encrypt error");
	ASSERT_EQ(skel->bss->last_decrypt_err, 0, "last decrypt error");
	csum_assert(fd_a, fd_c);
out:
	if (fd_a >= 0)
		close(fd_a);
	if (fd_c >= 0)
		close(fd_c);
	fp_stop(tc);
	wg_fastpath__destroy(skel);
}

/* wg show and the device statistics count what the fast path sends and
 * receives as they count what the device does.
 */
static void test_fp_counters(bool tc)
{
	__u64 rx0, tx0, rx1, tx1, arx0, atx0, arx1, atx1, txp0, rxp0, n;
	struct wg_fastpath *skel;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	if (!ASSERT_OK(fp_prepare(false), "fp_prepare") ||
	    fp_start(skel, tc, true, true))
		goto out;
	if (!ASSERT_OK(wg_transfer(NS_R, "wg_r", &rx0, &tx0), "wg show R") ||
	    !ASSERT_OK(wg_transfer(NS_P, "wg_a", &arx0, &atx0), "wg show A"))
		goto out;
	txp0 = dev_stat(NS_R, "wg_r", "tx_packets");
	rxp0 = dev_stat(NS_R, "wg_r", "rx_packets");
	SYS(out, "ip netns exec " NS_C " ping -4 -c 5 -i 0.2 -W 2 -s 1000 "
	    OVER_A " >/dev/null");
	if (!ASSERT_OK(wg_transfer(NS_R, "wg_r", &rx1, &tx1), "wg show R") ||
	    !ASSERT_OK(wg_transfer(NS_P, "wg_a", &arx1, &atx1), "wg show A"))
		goto out;
	ASSERT_EQ(fp_counter(skel, FP_ENCRYPTED), FP_PINGS, "encrypted");
	ASSERT_EQ(fp_counter(skel, FP_DECRYPTED), FP_PINGS, "decrypted");
	/* the data messages, and maybe a keepalive or handshake of the
	 * timers (a slow machine gives them time)
	 */
	ASSERT_TRUE(only_control(tx1 - tx0, FP_PINGS * FP_MSG_LEN_1000),
		    "R tx bytes");
	ASSERT_TRUE(only_control(rx1 - rx0, FP_PINGS * FP_MSG_LEN_1000),
		    "R rx bytes");
	ASSERT_TRUE(only_control(arx1 - arx0, FP_PINGS * FP_MSG_LEN_1000),
		    "A rx bytes");
	ASSERT_TRUE(only_control(atx1 - atx0, FP_PINGS * FP_MSG_LEN_1000),
		    "A tx bytes");
	/* and as many packets, with the timers' */
	n = dev_stat(NS_R, "wg_r", "tx_packets") - txp0;
	ASSERT_GE(n, FP_PINGS, "wg_r tx_packets");
	ASSERT_LE(n, FP_PINGS + control_msgs(tx1 - tx0, FP_PINGS *
					      FP_MSG_LEN_1000),
		  "wg_r tx_packets, timers'");
	n = dev_stat(NS_R, "wg_r", "rx_packets") - rxp0;
	ASSERT_GE(n, FP_PINGS, "wg_r rx_packets");
	ASSERT_LE(n, FP_PINGS + control_msgs(rx1 - rx0, FP_PINGS *
					      FP_MSG_LEN_1000),
		  "wg_r rx_packets, timers'");
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
out:
	fp_stop(tc);
	wg_fastpath__destroy(skel);
}

/* Keepalives from A are authenticated and consumed by the fast path and
 * counted by wg show.
 */
static void test_fp_keepalive(bool tc)
{
	struct wg_fastpath *skel;
	__u64 rx0, tx0, rx1, tx1, n;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	if (!ASSERT_OK(fp_prepare(false), "fp_prepare") ||
	    fp_start(skel, tc, false, true) ||
	    !ASSERT_OK(wg_transfer(NS_R, "wg_r", &rx0, &tx0), "wg show R"))
		goto out;
	SYS(out, "ip netns exec " NS_P " wg set wg_a peer " PUB_B
	    " persistent-keepalive 1");
	usleep(2500 * 1000);
	SYS(out, "ip netns exec " NS_P " wg set wg_a peer " PUB_B
	    " persistent-keepalive 0");
	usleep(200 * 1000);
	n = fp_counter(skel, FP_KEEPALIVE);
	if (!ASSERT_OK(wg_transfer(NS_R, "wg_r", &rx1, &tx1), "wg show R"))
		goto out;
	ASSERT_GE(n, 2, "keepalives decrypted");
	ASSERT_TRUE(only_control(rx1 - rx0, n * 32), "R rx bytes");
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
out:
	fp_stop(tc);
	wg_fastpath__destroy(skel);
}

/* R's peer is new: no key. The fast path gets -ENOKEY, the kfunc starts
 * a handshake, the packet goes to the stack, which sends it once the
 * handshake is done; later packets take the fast path.
 */
/* The TTL of every IPv4 echo request @fd received: @want, or -1 */
static int echo_ttl(int fd, int want)
{
	__u8 buf[2048];
	int n, seen = 0;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct iphdr *iph = (void *)buf;

		if (n < sizeof(*iph) + 8 || iph->version != 4 ||
		    iph->protocol != IPPROTO_ICMP || buf[iph->ihl * 4] != 8)
			continue;
		if (iph->ttl != want)
			return -1;
		seen++;
	}
	return seen;
}

static void test_fp_nokey(bool tc)
{
	struct wg_fastpath *skel;
	int received, fd = -1;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	/* no session on either side, and A, which has no endpoint for R,
	 * cannot start one: the first packet finds no key
	 */
	SYS(out, "ip netns exec " NS_R " wg set wg_r peer " PUB_A " remove");
	SYS(out, "ip netns exec " NS_P " wg set wg_a peer " PUB_B " remove");
	SYS(out, "ip netns exec " NS_P " wg set wg_a peer " PUB_B
	    " allowed-ips " FP_ALLOWED_R);
	SYS(out, "ip netns exec " NS_R " wg set wg_r peer " PUB_A
	    " allowed-ips " FP_ALLOWED_A " endpoint " FP_EP4 ":%d", FP_PORT_A);
	if (!ASSERT_EQ(wg_handshake(NS_R, "wg_r"), 0, "no handshake yet") ||
	    fp_start(skel, tc, true, false))
		goto out;
	fd = csum_open(NS_P, "wg_a");
	if (fd < 0)
		goto out;
	received = ping_received(NS_C, "-4 -c 3 -i 0.3 -W 3 -t 64 " OVER_A);
	ASSERT_EQ(received, 3, "echo replies");
	/* R decrements the TTL once, whichever path took the packet */
	ASSERT_EQ(echo_ttl(fd, 63), 3, "one hop: TTL 63 at A");
	ASSERT_EQ(skel->bss->last_encrypt_err, -ENOKEY, "first encrypt");
	ASSERT_EQ(skel->bss->pass_reason, FP_PASS_NO_KEY, "to the stack");
	ASSERT_GT(wg_handshake(NS_R, "wg_r"), 0, "handshake done");
	ASSERT_GE(fp_counter(skel, FP_ENCRYPTED), 1, "encrypted after it");
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
out:
	if (fd >= 0)
		close(fd);
	fp_stop(tc);
	wg_fastpath__destroy(skel);
}

/* A forgets R and pings R, three times: each time A initiates a new
 * handshake, and R's "next" keypair is confirmed by the first message the
 * fast path decrypts with it. Only what is in flight during a handshake
 * may be lost, as on the stack: right after it, the fast path carries
 * everything both ways with the new keys.
 */
static void test_fp_rekey(bool tc)
{
	__u64 enc, dec, rx0, tx0, rx1, tx1;
	struct wg_fastpath *skel;
	int i;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	if (!ASSERT_OK(fp_prepare(false), "fp_prepare") ||
	    fp_start(skel, tc, true, true))
		goto out;
	for (i = 0; i < 3; i++) {
		SYS(out, "ip netns exec " NS_P " wg set wg_a peer " PUB_B
		    " remove");
		SYS(out, "ip netns exec " NS_P " wg set wg_a peer " PUB_B
		    " allowed-ips " FP_ALLOWED_R " endpoint 172.16.1.2:%d",
		    FP_PORT_R);
		if (!ASSERT_EQ(wg_handshake(NS_P, "wg_a"), 0, "A: no session"))
			goto out;
		/* A has something to send: it initiates the handshake */
		SYS(out, "ip netns exec " NS_P
		    " ping -c 1 -W 5 10.100.0.2 >/dev/null");
		if (!ASSERT_GT(wg_handshake(NS_P, "wg_a"), 0, "A: handshake"))
			goto out;
		enc = fp_counter(skel, FP_ENCRYPTED);
		dec = fp_counter(skel, FP_DECRYPTED);
		if (!ASSERT_OK(wg_transfer(NS_P, "wg_a", &rx0, &tx0), "A"))
			goto out;
		ASSERT_EQ(ping_received(NS_C, "-4 -c 5 -i 0.2 -W 3 " OVER_A),
			  5, "echo replies after the rekey");
		if (!ASSERT_OK(wg_transfer(NS_P, "wg_a", &rx1, &tx1), "A"))
			goto out;
		ASSERT_EQ(fp_counter(skel, FP_ENCRYPTED) - enc, 5, "encrypted");
		ASSERT_EQ(fp_counter(skel, FP_DECRYPTED) - dec, 5, "decrypted");
		/* A received them all on the new session: 84-byte echo
		 * requests in 128-byte messages
		 */
		ASSERT_TRUE(only_control(rx1 - rx0, 5 * 128), "A rx bytes");
	}
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
	ASSERT_EQ(skel->bss->last_decrypt_err, 0, "last decrypt error");
out:
	fp_stop(tc);
	wg_fastpath__destroy(skel);
}

/* Data messages A sends, captured on A's side with a packet socket, and
 * sent again from there: a replay through R.
 */
static int capture_open(void)
{
	struct timeval tv = { .tv_sec = 3 };
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	struct nstoken *nstoken;
	int fd;

	nstoken = open_netns(NS_P);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return -1;
	sll.sll_ifindex = if_nametoindex("veth_ar");
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	close_netns(nstoken);
	if (!ASSERT_GE(fd, 0, "packet socket"))
		return -1;
	if (!ASSERT_OK(bind(fd, (struct sockaddr *)&sll, sizeof(sll)),
		       "bind") ||
	    !ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
		       "SO_RCVTIMEO")) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send a ping from A to C and capture the data message carrying it. The
 * outer UDP checksum, maybe left to offload, is cleared (optional over
 * IPv4).
 */
static int capture_data_msg(int fd, char *buf, int size)
{
	struct udphdr *uh;
	struct iphdr *iph;
	int n, i;

	while (recv(fd, buf, size, MSG_DONTWAIT) > 0)
		;
	SYS_NOFAIL("ip netns exec " NS_P
		   " ping -c 1 -W 1 -s 200 10.0.0.2 >/dev/null");
	for (i = 0; i < 100; i++) {
		n = recv(fd, buf, size, 0);
		if (n < 0)
			break;
		iph = (void *)(buf + ETH_HLEN);
		uh = (void *)(iph + 1);
		if (n < ETH_HLEN + sizeof(*iph) + sizeof(*uh) + 48 ||
		    ((struct ethhdr *)buf)->h_proto != htons(ETH_P_IP) ||
		    iph->ihl != 5 || iph->protocol != IPPROTO_UDP ||
		    uh->dest != htons(FP_PORT_R) ||
		    *(__u32 *)(uh + 1) != htole32(4))
			continue;
		uh->check = 0;
		return n;
	}
	PRINT_FAIL("no data message captured\n");
	return -1;
}

static int replay(int fd, const char *buf, int len)
{
	if (!ASSERT_EQ(send(fd, buf, len, 0), len, "replay"))
		return -1;
	usleep(300 * 1000);
	return 0;
}

/* A message taken by the fast path, replayed to the stack: rejected. A
 * control message the fast path never saw is accepted by the stack.
 */
static void test_fp_replay_to_stack(bool tc)
{
	struct test_wg_lookup *drop = NULL;
	struct wg_fastpath *skel;
	__u64 rx0, rx1, tx;
	char buf[2048];
	int fd, n, dfd;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	fd = capture_open();
	if (fd < 0)
		goto out;
	if (!ASSERT_OK(fp_prepare(false), "fp_prepare"))
		goto out;

	/* control: R drops it first, so it is new to R when replayed */
	drop = test_wg_lookup__open_and_load();
	if (!ASSERT_OK_PTR(drop, "test_wg_lookup open_and_load"))
		goto out;
	drop->bss->wg_port = FP_PORT_R;
	drop->bss->drop_data = 1;
	dfd = bpf_program__fd(tc ? drop->progs.tc_wg_lookup :
				   drop->progs.xdp_wg_lookup);
	if (tc ? fp_attach_tc(NS_R, "veth_ra", dfd) :
		 fp_attach_xdp(NS_R, "veth_ra", dfd))
		goto out;
	n = capture_data_msg(fd, buf, sizeof(buf));
	fp_stop(tc);
	if (!ASSERT_GT(drop->bss->runs, 0, "control message dropped") ||
	    n < 0 ||
	    !ASSERT_OK(wg_transfer(NS_R, "wg_r", &rx0, &tx), "wg show R") ||
	    replay(fd, buf, n) ||
	    !ASSERT_OK(wg_transfer(NS_R, "wg_r", &rx1, &tx), "wg show R"))
		goto out;
	ASSERT_TRUE(data_and_keepalives(rx1 - rx0, n - ETH_HLEN - 28),
		    "control accepted by the stack");

	/* the fast path decrypts it, the stack rejects it again */
	if (fp_start(skel, tc, false, true))
		goto out;
	n = capture_data_msg(fd, buf, sizeof(buf));
	fp_stop(tc);
	if (!ASSERT_EQ(fp_counter(skel, FP_DECRYPTED), 1, "decrypted") ||
	    n < 0 ||
	    !ASSERT_OK(wg_transfer(NS_R, "wg_r", &rx0, &tx), "wg show R") ||
	    replay(fd, buf, n) ||
	    !ASSERT_OK(wg_transfer(NS_R, "wg_r", &rx1, &tx), "wg show R"))
		goto out;
	ASSERT_TRUE(data_and_keepalives(rx1 - rx0, 0),
		    "replay rejected by the stack");
out:
	fp_stop(tc);
	if (fd >= 0)
		close(fd);
	test_wg_lookup__destroy(drop);
	wg_fastpath__destroy(skel);
}

/* A message taken by the stack, replayed to the fast path: -ESTALE. */
static void test_fp_replay_to_fast(bool tc)
{
	struct wg_fastpath *skel;
	__u64 rx0, rx1, tx;
	char buf[2048];
	int fd, n;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	fd = capture_open();
	if (fd < 0)
		goto out;
	if (!ASSERT_OK(fp_prepare(false), "fp_prepare"))
		goto out;
	n = capture_data_msg(fd, buf, sizeof(buf));
	if (n < 0 || fp_start(skel, tc, false, true) ||
	    !ASSERT_OK(wg_transfer(NS_R, "wg_r", &rx0, &tx), "wg show R") ||
	    replay(fd, buf, n) ||
	    !ASSERT_OK(wg_transfer(NS_R, "wg_r", &rx1, &tx), "wg show R"))
		goto out;
	ASSERT_EQ(skel->bss->last_decrypt_err, -ESTALE, "replay: -ESTALE");
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 1, "dropped");
	ASSERT_EQ(fp_counter(skel, FP_DECRYPTED), 0, "decrypted");
	ASSERT_TRUE(data_and_keepalives(rx1 - rx0, 0), "rx bytes");
out:
	fp_stop(tc);
	if (fd >= 0)
		close(fd);
	wg_fastpath__destroy(skel);
}

/* WireGuard traffic through R to another host's port: a genuine data
 * message from A to R's port, addressed to C instead, is not R's to
 * decrypt (the FIB says it is forwarded), and reaches C as it was.
 */
static int transit_received(int fd, const char *msg, int len)
{
	char buf[2048];
	int n, i;

	for (i = 0; i < 100; i++) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -1;
		if (n >= len && !memcmp(buf + n - len, msg, len))
			return 0;
	}
	return -1;
}

static void test_fp_transit(bool tc)
{
	struct timeval tv = { .tv_sec = 3 };
	int fd = -1, fd_c = -1, n, off;
	struct wg_fastpath *skel;
	struct iphdr *iph;
	char buf[2048];

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	fd = capture_open();
	if (fd < 0 || !ASSERT_OK(fp_prepare(false), "fp_prepare"))
		goto out;
	n = capture_data_msg(fd, buf, sizeof(buf));
	fd_c = csum_open(NS_C, "veth_cr");
	if (n < 0 || fd_c < 0 || fp_start(skel, tc, false, true) ||
	    !ASSERT_OK(setsockopt(fd_c, SOL_SOCKET, SO_RCVTIMEO, &tv,
				  sizeof(tv)), "SO_RCVTIMEO"))
		goto out;
	iph = (void *)(buf + ETH_HLEN);
	iph->daddr = inet_addr("10.0.0.2");
	iph->check = 0;
	iph->check = csum_fold(csum_bytes(iph, sizeof(*iph)));
	off = ETH_HLEN + sizeof(*iph) + sizeof(struct udphdr);
	if (replay(fd, buf, n))
		goto out;
	ASSERT_OK(transit_received(fd_c, buf + off, n - off),
		  "the message, forwarded to C");
	ASSERT_EQ(fp_counter(skel, FP_DECRYPTED), 0, "not decrypted by R");
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
out:
	if (fd_c >= 0)
		close(fd_c);
	if (fd >= 0)
		close(fd);
	fp_stop(tc);
	wg_fastpath__destroy(skel);
}

/* 9000-byte links: XDP multi-buffer frames, non-linear skbs */
static void test_fp_jumbo(bool tc)
{
	static const char * const links[][2] = {
		{ NS_C, "veth_cr" }, { NS_R, "veth_rc" },
		{ NS_R, "veth_ra" }, { NS_P, "veth_ar" },
	};
	struct wg_fastpath *skel;
	int i;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	for (i = 0; i < ARRAY_SIZE(links); i++)
		SYS(out, "ip -net %s link set %s mtu 9000", links[i][0],
		    links[i][1]);
	SYS(out, "ip -net " NS_R " link set wg_r mtu 8920");
	SYS(out, "ip -net " NS_P " link set wg_a mtu 8920");
	if (!ASSERT_OK(fp_prepare(false), "fp_prepare") ||
	    fp_start(skel, tc, true, true))
		goto out;
	SYS(out, "ip netns exec " NS_C " ping -4 -c 3 -i 0.2 -W 2 -s 8000 "
	    OVER_A " >/dev/null");
	ASSERT_EQ(fp_counter(skel, FP_DECRYPTED), 3, "decrypted");
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
	/* XDP: veth gives multi-buffer frames no tailroom to grow into,
	 * the program moves them into the headroom
	 */
	ASSERT_EQ(fp_counter(skel, FP_ENCRYPTED), 3, "encrypted");
	ASSERT_EQ(skel->bss->pass_reason, 0, "pass reason");
out:
	fp_stop(tc);
	for (i = 0; i < ARRAY_SIZE(links); i++)
		SYS_NOFAIL("ip -net %s link set %s mtu 1500", links[i][0],
			   links[i][1]);
	SYS_NOFAIL("ip -net " NS_R " link set wg_r mtu 1420");
	SYS_NOFAIL("ip -net " NS_P " link set wg_a mtu 1420");
	wg_fastpath__destroy(skel);
}

/* A TCP connection from C to A, through R's fast path both ways; A sends
 * the data. C's SYN and FIN are clones of the socket's copies, which the
 * fast path makes private before it encrypts in place.
 */
#define FP_TCP_PORT	5201
#define FP_TCP_BYTES	(256 * 1024)
/* MSS 1368: the device MTU, less IPv4, TCP and timestamp headers */
#define FP_TCP_SEGS	(FP_TCP_BYTES / 1368)

static void test_fp_tcp(bool tc)
{
	int srv = -1, cli = -1, fd_a = -1, fd_c = -1;
	struct wg_fastpath *skel;
	struct nstoken *ns;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	if (!ASSERT_OK(fp_prepare(false), "fp_prepare") ||
	    fp_start(skel, tc, true, true))
		goto out;
	fd_a = csum_open(NS_P, "wg_a");
	fd_c = csum_open(NS_C, "veth_cr");
	if (fd_a < 0 || fd_c < 0)
		goto out;
	ns = open_netns(NS_P);
	if (!ASSERT_OK_PTR(ns, "open_netns A"))
		goto out;
	srv = start_server(AF_INET, SOCK_STREAM, OVER_A, FP_TCP_PORT, 5000);
	close_netns(ns);
	if (!ASSERT_GE(srv, 0, "start_server"))
		goto out;
	ns = open_netns(NS_C);
	if (!ASSERT_OK_PTR(ns, "open_netns C"))
		goto out;
	cli = connect_to_fd(srv, 5000);
	close_netns(ns);
	if (!ASSERT_GE(cli, 0, "connect_to_fd"))
		goto out;
	/* from the accepted socket, A, to C */
	ASSERT_OK(send_recv_data(srv, cli, FP_TCP_BYTES), "send_recv_data");
	ASSERT_GE(fp_counter(skel, FP_DECRYPTED), FP_TCP_SEGS, "decrypted");
	ASSERT_GT(fp_counter(skel, FP_ENCRYPTED), 0, "encrypted");
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
	ASSERT_EQ(skel->bss->last_encrypt_err, 0, "last encrypt error");
	csum_assert(fd_a, fd_c);
out:
	if (cli >= 0)
		close(cli);
	if (srv >= 0)
		close(srv);
	if (fd_a >= 0)
		close(fd_a);
	if (fd_c >= 0)
		close(fd_c);
	fp_stop(tc);
	wg_fastpath__destroy(skel);
}

/* An SCTP association from C to A through R's fast path both ways. C's
 * socket leaves its CRC32c to offload (TC: CHECKSUM_PARTIAL with
 * csum_not_inet), which is not an Internet checksum.
 */
#define FP_SCTP_PORT	5202
#define FP_SCTP_MSGS	20

static int sctp_socket(const char *ns)
{
	struct timeval tv = { .tv_sec = 5 };
	struct nstoken *nstoken;
	int fd;

	nstoken = open_netns(ns);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	close_netns(nstoken);
	if (!ASSERT_GE(fd, 0, "SCTP socket"))
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static void test_fp_sctp(bool tc)
{
	int srv = -1, cli = -1, acc = -1, fd_a = -1, fd_c = -1, i;
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(FP_SCTP_PORT),
		.sin_addr.s_addr = inet_addr(OVER_A),
	};
	struct wg_fastpath *skel;
	char buf[1000] = {};

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	if (!ASSERT_OK(fp_prepare(false), "fp_prepare") ||
	    fp_start(skel, tc, true, true))
		goto out;
	fd_a = csum_open(NS_P, "wg_a");
	fd_c = csum_open(NS_C, "veth_cr");
	srv = sctp_socket(NS_P);
	cli = sctp_socket(NS_C);
	if (fd_a < 0 || fd_c < 0 || srv < 0 || cli < 0 ||
	    !ASSERT_OK(bind(srv, (void *)&sa, sizeof(sa)), "bind") ||
	    !ASSERT_OK(listen(srv, 1), "listen") ||
	    !ASSERT_OK(connect(cli, (void *)&sa, sizeof(sa)), "connect"))
		goto out;
	acc = accept(srv, NULL, NULL);
	if (!ASSERT_GE(acc, 0, "accept"))
		goto out;
	for (i = 0; i < FP_SCTP_MSGS; i++) {
		if (!ASSERT_EQ(send(cli, buf, sizeof(buf), 0), sizeof(buf),
			       "C sends") ||
		    !ASSERT_EQ(recv(acc, buf, sizeof(buf), 0), sizeof(buf),
			       "A receives") ||
		    !ASSERT_EQ(send(acc, buf, sizeof(buf), 0), sizeof(buf),
			       "A sends") ||
		    !ASSERT_EQ(recv(cli, buf, sizeof(buf), 0), sizeof(buf),
			       "C receives"))
			goto out;
	}
	ASSERT_GE(fp_counter(skel, FP_ENCRYPTED), FP_SCTP_MSGS, "encrypted");
	ASSERT_GE(fp_counter(skel, FP_DECRYPTED), FP_SCTP_MSGS, "decrypted");
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
	csum_assert(fd_a, fd_c);
out:
	if (acc >= 0)
		close(acc);
	if (cli >= 0)
		close(cli);
	if (srv >= 0)
		close(srv);
	if (fd_a >= 0)
		close(fd_a);
	if (fd_c >= 0)
		close(fd_c);
	fp_stop(tc);
	wg_fastpath__destroy(skel);
}

/* R pings A from its tunnel address, bound to wg_r: the replies reach
 * the socket only if they come out of wg_r. The fast path decrypts them
 * and, as they are R's own, hands them to the stack through wg_r: TC
 * redirects them into it; XDP leaves the device in the packet's
 * metadata for tc_wg on the same device to do so (XDP alone passes them
 * up the stack of veth_ra, where the socket does not see them).
 */
static void test_fp_local(bool tc)
{
	struct wg_fastpath *skel;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	if (!ASSERT_OK(fp_prepare(false), "fp_prepare") ||
	    fp_start(skel, tc, false, true))
		goto out;
	if (!tc) {
		/* XDP alone: up the stack of veth_ra, not to the socket */
		ASSERT_EQ(ping_received(NS_R, "-4 -c 1 -W 2 -I wg_r " OVER_A),
			  0, "XDP alone: replies through veth_ra");
		if (fp_attach_tc(NS_R, "veth_ra",
				 bpf_program__fd(skel->progs.tc_wg)))
			goto out;
	}
	ASSERT_EQ(ping_received(NS_R, "-4 -c 3 -i 0.2 -W 3 -I wg_r " OVER_A),
		  3, "IPv4 replies through wg_r");
	ASSERT_EQ(ping_received(NS_R, "-6 -c 3 -i 0.2 -W 3 -I wg_r " OVER_A6),
		  3, "IPv6 replies through wg_r");
	ASSERT_GE(fp_counter(skel, FP_DECRYPTED), tc ? 6 : 7, "decrypted");
	ASSERT_GE(fp_counter(skel, FP_DEVICE), 6, "handed to wg_r");
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
out:
	if (!tc)
		fp_detach(true, NS_R, "veth_ra");
	fp_stop(tc);
	wg_fastpath__destroy(skel);
}

/* The fast path as an extension program (BPF_PROG_TYPE_EXT) in the slot
 * of a dispatcher on veth_rc, as libxdp's multi-program dispatcher
 * (xdp-loader) runs XDP programs: an extension has the kfuncs of the
 * type of the program it extends.
 */
static void test_fp_freplace(void)
{
	struct wg_fastpath *skel, *ext = NULL;
	struct wg_dispatcher *disp = NULL;
	struct bpf_link *link = NULL;
	struct bpf_program *prog;
	int disp_fd, err;

	skel = wg_fastpath__open_and_load();
	disp = wg_dispatcher__open_and_load();
	ext = wg_fastpath__open();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load") ||
	    !ASSERT_OK_PTR(disp, "wg_dispatcher open_and_load") ||
	    !ASSERT_OK_PTR(ext, "wg_fastpath open"))
		goto out;
	disp_fd = bpf_program__fd(disp->progs.wg_dispatcher);
	bpf_object__for_each_program(prog, ext->obj)
		bpf_program__set_autoload(prog, prog == ext->progs.xdp_wg);
	bpf_program__set_type(ext->progs.xdp_wg, BPF_PROG_TYPE_EXT);
	/* an extension has no attach type of its own */
	bpf_program__set_expected_attach_type(ext->progs.xdp_wg, 0);
	err = bpf_program__set_attach_target(ext->progs.xdp_wg, disp_fd,
					     "wg_slot");
	if (!ASSERT_OK(err, "set_attach_target") ||
	    !ASSERT_OK(wg_fastpath__load(ext), "xdp_wg as an extension"))
		goto out;
	link = bpf_program__attach_freplace(ext->progs.xdp_wg, disp_fd,
					    "wg_slot");
	if (!ASSERT_OK_PTR(link, "attach_freplace") ||
	    !ASSERT_OK(fp_prepare(false), "fp_prepare"))
		goto out;
	SYS(out, "ip netns exec " NS_C " ethtool -K veth_cr tx off >/dev/null");
	if (fp_attach_xdp(NS_C, "veth_cr",
			  bpf_program__fd(skel->progs.xdp_pass)) ||
	    fp_attach_xdp(NS_P, "veth_ar",
			  bpf_program__fd(skel->progs.xdp_pass)) ||
	    fp_attach_xdp(NS_R, "veth_rc", disp_fd))
		goto out;
	SYS(out, "ip netns exec " NS_C " ping -c 5 -i 0.2 -W 2 " OVER_A
	    " >/dev/null");
	ASSERT_EQ(fp_counter(ext, FP_ENCRYPTED), FP_PINGS,
		  "encrypted by the extension");
	ASSERT_EQ(fp_counter(ext, FP_ERROR), 0, "errors");
out:
	fp_stop(false);
	bpf_link__destroy(link);
	wg_fastpath__destroy(ext);
	wg_dispatcher__destroy(disp);
	wg_fastpath__destroy(skel);
}

/* wg-quick's full tunnel on R: AllowedIPs 0.0.0.0/0 and ::/0 for A, the
 * device's fwmark and its policy routing (not fwmark 51820 -> table
 * 51820, a default route into wg_r). A's endpoint is where R's default
 * route leads, as a VPN server on the Internet is: the fast path must
 * route the outer packets with the mark, as the device does; without,
 * their lookup leads back into wg_r.
 */
#define FP_WGQ_CONF	KEY_DIR "/wg_r.conf"
#define FP_WGQ_EP	"198.51.100.1"

static int wg_quick_up(void)
{
	FILE *f = fopen(FP_WGQ_CONF, "w");

	if (!ASSERT_OK_PTR(f, "wg-quick config"))
		return -1;
	fprintf(f, "[Interface]\nPrivateKey = %s\nListenPort = %d\n"
		"Address = 10.100.0.2/24, fd00:100::2/64\n\n"
		"[Peer]\nPublicKey = %s\nAllowedIPs = 0.0.0.0/0, ::/0\n"
		"Endpoint = " FP_WGQ_EP ":%d\n", KEY_B, FP_PORT_R, PUB_A,
		FP_PORT_A);
	fclose(f);
	/* A sends from FP_WGQ_EP, which R reaches by its default route */
	SYS(fail, "ip -net " NS_P " addr add " FP_WGQ_EP "/32 dev lo");
	SYS(fail, "ip -net %s route replace 172.16.1.2/32 dev veth_ar src %s",
	    NS_P, FP_WGQ_EP);
	SYS(fail, "ip -net " NS_R " route add default via " FP_EP4);
	SYS(fail, "ip -net " NS_R " link del wg_r");
	SYS(fail, "ip netns exec " NS_R " wg-quick up " FP_WGQ_CONF
	    " >/dev/null 2>&1");
	return 0;
fail:
	return -1;
}

/* back to fp_setup()'s wg_r */
static void wg_quick_down(void)
{
	SYS_NOFAIL("ip netns exec " NS_R " wg-quick down " FP_WGQ_CONF
		   " >/dev/null 2>&1");
	SYS_NOFAIL("ip -net " NS_R " route del default");
	SYS_NOFAIL("ip -net " NS_P " route del 172.16.1.2/32");
	SYS_NOFAIL("ip -net " NS_P " addr del " FP_WGQ_EP "/32 dev lo");
	SYS_NOFAIL("ip -net " NS_R " link del wg_r");
	if (!setup_wg(NS_R, "wg_r", "", KEY_B, FP_PORT_R, "10.100.0.2",
		      "fd00:100::2"))
		SYS_NOFAIL("ip netns exec " NS_R " wg set wg_r peer " PUB_A
			   " allowed-ips " FP_ALLOWED_A
			   " persistent-keepalive 0");
}

static void test_fp_wg_quick(bool tc)
{
	struct wg_fastpath *skel;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	if (wg_quick_up() ||
	    !ASSERT_OK(fp_prepare(false), "fp_prepare"))
		goto out;
	SYS(out, "ip netns exec " NS_R " wg set wg_r peer " PUB_A
	    " endpoint " FP_WGQ_EP ":%d", FP_PORT_A);
	/* the handshake, through the stack: one reply of three is enough */
	SYS(out, "ip netns exec " NS_C " ping -c 3 -i 0.5 -W 5 " OVER_A
	    " >/dev/null");
	if (fp_start(skel, tc, true, true))
		goto out;
	/* wg-quick's rule: not fwmark 51820 (0xca6c), table 51820; the
	 * endpoint's route: into wg_r without the mark, out with it
	 */
	SYS(out, "ip netns exec " NS_R " ip rule | grep -q %s",
	    "'not from all fwmark 0xca6c lookup 51820'");
	SYS(out, "ip -net %s route get %s | grep -q 'dev wg_r'", NS_R,
	    FP_WGQ_EP);
	SYS(out, "ip -net %s route get %s mark 51820 | grep -q 'dev veth_ra'",
	    NS_R, FP_WGQ_EP);
	SYS(out, "ip netns exec " NS_R " wg show wg_r endpoints | grep -q "
	    FP_WGQ_EP);
	ASSERT_EQ(ping_received(NS_C, "-4 -c 5 -i 0.2 -W 2 " OVER_A), FP_PINGS,
		  "IPv4 echo replies");
	ASSERT_EQ(ping_received(NS_C, "-6 -c 5 -i 0.2 -W 2 " OVER_A6),
		  FP_PINGS, "IPv6 echo replies");
	ASSERT_EQ(fp_counter(skel, FP_ENCRYPTED), 2 * FP_PINGS, "encrypted");
	ASSERT_GE(fp_counter(skel, FP_DECRYPTED), 2 * FP_PINGS, "decrypted");
	ASSERT_EQ(skel->bss->pass_reason, 0, "pass reason");
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
out:
	fp_stop(tc);
	wg_quick_down();
	wg_fastpath__destroy(skel);
}

/* A WireGuard device in another namespace than its sockets, as a
 * container has it: wg_r and the client's link move to NS_X, whose only
 * way to A's endpoint, veth_xa, is not the device's; its sockets stay in
 * NS_R. The fast path in NS_X must leave its packets to the device,
 * which sends them from NS_R (-ENONET), and the one in NS_R finds no
 * device of its own on the sockets' port to decrypt for. Once NS_R is
 * gone, the device has no sockets, sends nothing, and nor may the fast
 * path.
 */
#define NS_X "wg_fp_x"

static int netns_move(void)
{
	SYS(fail, "ip netns add " NS_X);
	SYS(fail, "ip -net " NS_X " link set lo up");
	SYS(fail, "ip netns exec " NS_X " sysctl -qw net.ipv4.ip_forward=1");
	SYS(fail, "ip -net " NS_R " link set wg_r netns " NS_X);
	SYS(fail, "ip -net " NS_R " link set veth_rc netns " NS_X);
	SYS(fail, "ip -net " NS_X " addr add 10.100.0.2/24 dev wg_r");
	SYS(fail, "ip -net " NS_X " link set wg_r up");
	SYS(fail, "ip -net " NS_X " addr add 10.0.0.1/24 dev veth_rc");
	SYS(fail, "ip -net " NS_X " link set veth_rc up");
	SYS(fail, "ip link add veth_xa netns " NS_X
	    " type veth peer name veth_ax netns " NS_P);
	SYS(fail, "ip -net " NS_X " addr add 172.16.9.2/24 dev veth_xa");
	SYS(fail, "ip -net " NS_P " addr add 172.16.9.1/24 dev veth_ax");
	SYS(fail, "ip -net " NS_X " link set veth_xa up");
	SYS(fail, "ip -net " NS_P " link set veth_ax up");
	SYS(fail, "ip -net " NS_X " route add 172.16.1.0/24 via 172.16.9.1");
	/* the neighbour, which the fast path needs and would find */
	SYS(fail, "ip netns exec " NS_X
	    " ping -c 1 -W 2 172.16.9.1 >/dev/null");
	/* R forwards for C no more: A routes the tunnel's inner packets */
	return 0;
fail:
	return -1;
}

static void test_fp_netns(bool tc)
{
	struct wg_fastpath *skel, *skel_r = NULL;
	int fd;

	skel = wg_fastpath__open_and_load();
	skel_r = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load") ||
	    !ASSERT_OK_PTR(skel_r, "wg_fastpath open_and_load") ||
	    !ASSERT_OK(fp_prepare(false), "fp_prepare") || netns_move())
		goto out;
	fd = bpf_program__fd(tc ? skel->progs.tc_wg : skel->progs.xdp_wg);
	if (tc ? fp_attach_tc(NS_X, "veth_rc", fd) :
		 fp_attach_xdp(NS_X, "veth_rc", fd))
		goto out;
	fd = bpf_program__fd(tc ? skel_r->progs.tc_wg : skel_r->progs.xdp_wg);
	if (tc ? fp_attach_tc(NS_R, "veth_ra", fd) :
		 fp_attach_xdp(NS_R, "veth_ra", fd))
		goto out;
	if (!tc &&
	    fp_attach_xdp(NS_C, "veth_cr",
			  bpf_program__fd(skel->progs.xdp_pass)))
		goto out;
	/* the device's sockets in NS_R carry the tunnel */
	ASSERT_EQ(ping_received(NS_C, "-4 -c 3 -i 0.2 -W 3 " OVER_A), 3,
		  "echo replies through NS_R");
	ASSERT_EQ(fp_counter(skel, FP_ENCRYPTED), 0, "not encrypted in NS_X");
	ASSERT_EQ(skel->bss->last_encrypt_err, -ENONET, "encrypt: -ENONET");
	ASSERT_EQ(fp_counter(skel_r, FP_DECRYPTED), 0,
		  "not decrypted in NS_R");
	/* by port, NS_R finds no device of its own: the stack decrypts */
	ASSERT_EQ(skel_r->bss->last_decrypt_err, 0, "decrypt: not tried");
	ASSERT_EQ(fp_counter(skel, FP_ERROR) + fp_counter(skel_r, FP_ERROR),
		  0, "errors");

	/* the sockets' namespace goes: wg_netns_pre_exit() closes them */
	SYS(out, "ip netns del " NS_R);
	skel->bss->last_encrypt_err = 0;
	ASSERT_EQ(ping_received(NS_C, "-4 -c 2 -i 0.2 -W 1 " OVER_A), 0,
		  "no echo replies without sockets");
	ASSERT_EQ(fp_counter(skel, FP_ENCRYPTED), 0, "not encrypted");
	ASSERT_EQ(skel->bss->last_encrypt_err, -ENONET,
		  "encrypt without sockets: -ENONET");
out:
	wg_fastpath__destroy(skel_r);
	wg_fastpath__destroy(skel);
	SYS_NOFAIL("ip netns del " NS_X);
	/* NS_R may be gone: the topology again */
	fp_cleanup();
	ASSERT_OK(fp_setup(), "fp_setup");
}

void test_wg_fastpath(void)
{
	static const char * const mode[] = { "xdp", "tc" };
	char name[64];
	int tc, i;

	fp_cleanup();
	if (!ASSERT_OK(fp_setup(), "fp_setup"))
		goto out;
	for (tc = 0; tc < 2; tc++) {
		for (i = 0; i < 8; i++) {
			bool encrypt = !(i & 4), outer6 = i & 2, inner6 = i & 1;

			snprintf(name, sizeof(name), "%s_%s_o%d_i%d", mode[tc],
				 encrypt ? "encrypt" : "decrypt",
				 outer6 ? 6 : 4, inner6 ? 6 : 4);
			if (test__start_subtest(name))
				test_fp_case(tc, encrypt, outer6, inner6);
		}
	}
	for (tc = 0; tc < 2; tc++) {
		snprintf(name, sizeof(name), "%s_counters", mode[tc]);
		if (test__start_subtest(name))
			test_fp_counters(tc);
		snprintf(name, sizeof(name), "%s_keepalive", mode[tc]);
		if (test__start_subtest(name))
			test_fp_keepalive(tc);
		snprintf(name, sizeof(name), "%s_replay_fast_to_stack",
			 mode[tc]);
		if (test__start_subtest(name))
			test_fp_replay_to_stack(tc);
		snprintf(name, sizeof(name), "%s_replay_stack_to_fast",
			 mode[tc]);
		if (test__start_subtest(name))
			test_fp_replay_to_fast(tc);
		snprintf(name, sizeof(name), "%s_transit", mode[tc]);
		if (test__start_subtest(name))
			test_fp_transit(tc);
		snprintf(name, sizeof(name), "%s_jumbo", mode[tc]);
		if (test__start_subtest(name))
			test_fp_jumbo(tc);
		snprintf(name, sizeof(name), "%s_tcp", mode[tc]);
		if (test__start_subtest(name))
			test_fp_tcp(tc);
		snprintf(name, sizeof(name), "%s_sctp", mode[tc]);
		if (test__start_subtest(name))
			test_fp_sctp(tc);
		snprintf(name, sizeof(name), "%s_local", mode[tc]);
		if (test__start_subtest(name))
			test_fp_local(tc);
		snprintf(name, sizeof(name), "%s_rekey", mode[tc]);
		if (test__start_subtest(name))
			test_fp_rekey(tc);
		snprintf(name, sizeof(name), "%s_nokey", mode[tc]);
		if (test__start_subtest(name))
			test_fp_nokey(tc);
		snprintf(name, sizeof(name), "%s_wg_quick", mode[tc]);
		if (test__start_subtest(name))
			test_fp_wg_quick(tc);
		snprintf(name, sizeof(name), "%s_netns", mode[tc]);
		if (test__start_subtest(name))
			test_fp_netns(tc);
	}
	if (test__start_subtest("xdp_freplace"))
		test_fp_freplace();
out:
	fp_cleanup();
}
