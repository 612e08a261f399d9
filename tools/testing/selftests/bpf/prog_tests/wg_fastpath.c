// SPDX-License-Identifier: GPL-2.0
/* The reference fast path (progs/wg_fastpath.c) on router R between a
 * client and a stack peer: see wg_fp_helpers.h for the topology.
 */

#include <endian.h>
#include <linux/udp.h>

#include "wg_fp_helpers.h"
#include "test_wg_lookup.skel.h"

static void test_fp_case(bool tc, bool encrypt, bool outer6, bool inner6)
{
	struct wg_fastpath *skel;
	__u64 before, after;
	__u32 counter;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	if (!ASSERT_OK(fp_prepare(outer6), "fp_prepare") ||
	    fp_start(skel, tc, encrypt, !encrypt))
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
out:
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
static void test_fp_nokey(bool tc)
{
	struct wg_fastpath *skel;
	int received;

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
	received = ping_received(NS_C, "-4 -c 3 -i 0.3 -W 3 " OVER_A);
	ASSERT_EQ(received, 3, "echo replies");
	ASSERT_EQ(skel->bss->last_encrypt_err, -ENOKEY, "first encrypt");
	ASSERT_EQ(skel->bss->pass_reason, FP_PASS_NO_KEY, "to the stack");
	ASSERT_GT(wg_handshake(NS_R, "wg_r"), 0, "handshake done");
	ASSERT_GE(fp_counter(skel, FP_ENCRYPTED), 1, "encrypted after it");
	ASSERT_EQ(fp_counter(skel, FP_ERROR), 0, "errors");
out:
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
	struct wg_fastpath *skel;
	int srv = -1, cli = -1;
	struct nstoken *ns;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	if (!ASSERT_OK(fp_prepare(false), "fp_prepare") ||
	    fp_start(skel, tc, true, true))
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
out:
	if (cli >= 0)
		close(cli);
	if (srv >= 0)
		close(srv);
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
		snprintf(name, sizeof(name), "%s_jumbo", mode[tc]);
		if (test__start_subtest(name))
			test_fp_jumbo(tc);
		snprintf(name, sizeof(name), "%s_tcp", mode[tc]);
		if (test__start_subtest(name))
			test_fp_tcp(tc);
		snprintf(name, sizeof(name), "%s_local", mode[tc]);
		if (test__start_subtest(name))
			test_fp_local(tc);
		snprintf(name, sizeof(name), "%s_rekey", mode[tc]);
		if (test__start_subtest(name))
			test_fp_rekey(tc);
		snprintf(name, sizeof(name), "%s_nokey", mode[tc]);
		if (test__start_subtest(name))
			test_fp_nokey(tc);
	}
out:
	fp_cleanup();
}
