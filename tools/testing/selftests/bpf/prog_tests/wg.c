// SPDX-License-Identifier: GPL-2.0

/*
 * Topology:
 * ---------
 *   NS_A namespace                  |   NS_B namespace
 *                                   |
 *   +-----------------------+       |   +-----------------------+
 *   | wg_a (index 100)      |       |   | wg_b                  |
 *   | 10.100.0.1/24         |  ...  |   | 10.100.0.2/24         |
 *   | fd00:100::1/64        |       |   | fd00:100::2/64        |
 *   | listen 51820          |       |   | listen 51821          |
 *   +-----------------------+       |   +-----------------------+
 *           | (WireGuard over UDP)  |            | peer A, and peer C
 *   +-----------------------+       |   +-----------------------+ (no endpoint)
 *   | veth_a 10.200.0.1/24  |-----------| veth_b 10.200.0.2/24  |
 *   +-----------------------+       |   +-----------------------+
 *                                   |     XDP or TC ingress program
 *
 * A pings B through the tunnel. The stack path handles everything; the
 * program on veth_b sees B's encrypted traffic arrive and exercises the
 * lookup kfuncs on it: device by ifindex and by port (and misses for a
 * non-WireGuard netdev and for the device of the other namespace), peer
 * by AllowedIPs and by the receiver index of the data message, and the
 * peer's endpoint tuple.
 */

#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>

#include "test_progs.h"
#include "network_helpers.h"
#include "test_wg_lookup.skel.h"
#include "wg_fastpath.skel.h"

#define NS_A "wg_test_a"
#define NS_B "wg_test_b"

#define KEY_A "CNKSAUsxnDzcu3t+7krFXAlXeyu0qMqxcv4b42sPsG8="
#define PUB_A "O9VcZa7RgGEDRCnQU2RLdfPt0ukaqkN0dd8nPWF/3Bw="
#define KEY_B "0EEaw47+rNlauQg49Op1PAZNft+HxFqSdiCWrT+wWlk="
#define PUB_B "1RduGpaeMzBjzyE3rHZW2okZx6+au3KKK6tFKJNQIiE="
#define PUB_C "wrIrylxCq2XiTU7rGMXZqT+shQDrZyC6eZtgcRzx+ns="

#define PORT_A 51820
#define PORT_B 51821
#define IFINDEX_A 100 /* as in "index 100" below */
#define UNDER_A "10.200.0.1"
#define UNDER_B "10.200.0.2"
#define OVER_A "10.100.0.1"
#define OVER_A6 "fd00:100::1"
#define OVER_B "10.100.0.2"
#define OVER_C "10.100.0.3"
#define OVER_MISS "10.100.0.99"
#define KEY_DIR "/tmp/wg_test_keys"

static void cleanup(void)
{
	SYS_NOFAIL("ip netns del " NS_A);
	SYS_NOFAIL("ip netns del " NS_B);
	SYS_NOFAIL("rm -rf " KEY_DIR);
}

static int setup_wg(const char *ns, const char *name, const char *link_args,
		    const char *key, int port, const char *addr4,
		    const char *addr6)
{
	SYS(fail, "echo %s > " KEY_DIR "/%s", key, name);
	SYS(fail, "ip -net %s link add %s %s type wireguard", ns, name, link_args);
	SYS(fail, "ip netns exec %s wg set %s private-key " KEY_DIR "/%s listen-port %d",
	    ns, name, name, port);
	SYS(fail, "ip -net %s addr add %s/24 dev %s", ns, addr4, name);
	SYS(fail, "ip -net %s addr add %s/64 dev %s nodad", ns, addr6, name);
	SYS(fail, "ip -net %s link set %s up", ns, name);
	return 0;
fail:
	return -1;
}

static int setup_topology(void)
{
	SYS(fail, "mkdir -p -m 700 " KEY_DIR);
	SYS(fail, "ip netns add " NS_A);
	SYS(fail, "ip netns add " NS_B);
	SYS(fail, "ip -net " NS_A " link set lo up");
	SYS(fail, "ip -net " NS_B " link set lo up");
	SYS(fail, "ip link add veth_a netns " NS_A " type veth peer name veth_b netns " NS_B);
	SYS(fail, "ip -net " NS_A " addr add " UNDER_A "/24 dev veth_a");
	SYS(fail, "ip -net " NS_B " addr add " UNDER_B "/24 dev veth_b");
	SYS(fail, "ip -net " NS_A " link set veth_a up");
	SYS(fail, "ip -net " NS_B " link set veth_b up");

	/* wg_a gets an ifindex that names nothing in NS_B */
	if (setup_wg(NS_A, "wg_a", "index 100", KEY_A,
		     PORT_A, OVER_A, OVER_A6))
		goto fail;
	if (setup_wg(NS_B, "wg_b", "", KEY_B, PORT_B, OVER_B, "fd00:100::2"))
		goto fail;
	SYS(fail, "ip netns exec " NS_A " wg set wg_a peer " PUB_B
	    " allowed-ips " OVER_B "/32,fd00:100::2/128 endpoint " UNDER_B ":%d", PORT_B);
	SYS(fail, "ip netns exec " NS_B " wg set wg_b peer " PUB_A
	    " allowed-ips " OVER_A "/32," OVER_A6 "/128 endpoint " UNDER_A ":%d", PORT_A);
	SYS(fail, "ip netns exec " NS_B " wg set wg_b peer " PUB_C
	    " allowed-ips " OVER_C "/32");
	return 0;
fail:
	return -1;
}

static int ns_ifindex(const char *ns, const char *name)
{
	struct nstoken *nstoken;
	int ifindex;

	nstoken = open_netns(ns);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return -1;
	ifindex = if_nametoindex(name);
	close_netns(nstoken);
	return ifindex;
}

static int setup_lookup_skel(struct test_wg_lookup *skel)
{
	int wg_b, veth_b;

	wg_b = ns_ifindex(NS_B, "wg_b");
	veth_b = ns_ifindex(NS_B, "veth_b");
	if (!ASSERT_GT(wg_b, 0, "wg_b ifindex") ||
	    !ASSERT_GT(veth_b, 0, "veth_b ifindex") ||
	    !ASSERT_EQ(ns_ifindex(NS_A, "wg_a"), IFINDEX_A, "wg_a ifindex"))
		return -1;

	skel->bss->wg_ifindex = wg_b;
	skel->bss->other_ifindex = veth_b;
	skel->bss->foreign_ifindex = IFINDEX_A;
	skel->bss->wg_port = PORT_B;
	skel->bss->foreign_port = PORT_A;
	inet_pton(AF_INET, OVER_A, &skel->bss->peer_addr4);
	inet_pton(AF_INET6, OVER_A6, skel->bss->peer_addr6);
	inet_pton(AF_INET, OVER_MISS, &skel->bss->miss_addr4);
	inet_pton(AF_INET, OVER_C, &skel->bss->noep_addr4);
	return 0;
}

static void check_lookup_results(struct test_wg_lookup *skel)
{
	struct test_wg_lookup__bss *r = skel->bss;

	/* handshake first, then data messages from A */
	SYS(out, "ip netns exec " NS_A " ping -c 3 -i 0.2 -W 2 " OVER_B " >/dev/null");
	if (!ASSERT_GT(r->runs, 0, "data messages seen"))
		return;
	ASSERT_EQ(r->dev_by_index, 1, "device by ifindex");
	ASSERT_EQ(r->dev_other, 0, "non-WireGuard ifindex -> NULL");
	ASSERT_EQ(r->dev_foreign, 0, "ifindex of another netns -> NULL");
	ASSERT_EQ(r->dev_by_port, 1, "device by port");
	ASSERT_EQ(r->dev_foreign_port, 0, "port of another netns -> NULL");
	ASSERT_EQ(r->peer_v4, 1, "peer by IPv4 AllowedIPs");
	ASSERT_EQ(r->peer_v6, 1, "peer by IPv6 AllowedIPs");
	ASSERT_EQ(r->peer_miss, 0, "AllowedIPs miss -> NULL");
	ASSERT_EQ(r->peer_badsz, 0, "addr__sz 8 -> NULL");
	ASSERT_EQ(r->ep_family, AF_INET, "endpoint family");
	ASSERT_EQ(r->ep_daddr, inet_addr(UNDER_A), "endpoint daddr");
	ASSERT_EQ(r->ep_dport, htons(PORT_A), "endpoint dport");
	ASSERT_EQ(r->ep_sport, htons(PORT_B), "endpoint sport");
	ASSERT_EQ(r->ep_noep, -EDESTADDRREQ, "no endpoint -> -EDESTADDRREQ");
	ASSERT_EQ(r->idx_found, 1, "peer by receiver index");
	ASSERT_EQ(r->idx_unknown, 0, "unknown receiver index -> NULL");
out:
	return;
}

static void test_xdp_lookup(void)
{
	struct test_wg_lookup *skel;
	struct nstoken *nstoken = NULL;
	int ifindex, err;

	skel = test_wg_lookup__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	if (setup_lookup_skel(skel))
		goto out;
	ifindex = ns_ifindex(NS_B, "veth_b");
	nstoken = open_netns(NS_B);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xdp_wg_lookup),
			     XDP_FLAGS_DRV_MODE, NULL);
	close_netns(nstoken);
	nstoken = NULL;
	if (!ASSERT_OK(err, "bpf_xdp_attach"))
		goto out;

	check_lookup_results(skel);

	nstoken = open_netns(NS_B);
	if (ASSERT_OK_PTR(nstoken, "open_netns"))
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
out:
	if (nstoken)
		close_netns(nstoken);
	test_wg_lookup__destroy(skel);
}

static void test_tc_lookup(void)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);
	struct test_wg_lookup *skel;
	struct nstoken *nstoken = NULL;
	int err;

	skel = test_wg_lookup__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	if (setup_lookup_skel(skel))
		goto out;
	nstoken = open_netns(NS_B);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	hook.ifindex = if_nametoindex("veth_b");
	err = bpf_tc_hook_create(&hook);
	if (!ASSERT_OK(err, "bpf_tc_hook_create"))
		goto out;
	opts.prog_fd = bpf_program__fd(skel->progs.tc_wg_lookup);
	err = bpf_tc_attach(&hook, &opts);
	if (!ASSERT_OK(err, "bpf_tc_attach"))
		goto out_hook;
	close_netns(nstoken);
	nstoken = NULL;

	check_lookup_results(skel);

	nstoken = open_netns(NS_B);
	ASSERT_OK_PTR(nstoken, "open_netns");
out_hook:
	bpf_tc_hook_destroy(&hook);
out:
	if (nstoken)
		close_netns(nstoken);
	test_wg_lookup__destroy(skel);
}

/*
 * Fast path topology:
 *
 *   NS_C (client)        NS_R (router, fast path)           NS_A (peer)
 *   veth_cr -------------- veth_rc    wg_r ~~~~~~~~~~~~~~~ wg_a 10.100.0.1
 *   10.0.0.2               10.0.0.1   (peer A)             fd00:100::1
 *   fd00:c::2              fd00:c::1  veth_ra ------------- veth_ar
 *                                     172.16.1.2            172.16.1.1
 *                                     fd00:1::2             fd00:1::1
 *
 * C pings A's tunnel address through R. The XDP program on veth_rc
 * encrypts what R routes into wg_r ("encrypt"); on veth_ra it decrypts
 * what A sends to wg_r's port ("decrypt"). The other direction takes
 * R's stack, so every packet crosses both paths once.
 */
#define NS_C "wg_fp_c"
#define NS_R "wg_fp_r"
#define NS_P "wg_fp_a"
#define FP_PORT_R 51821
#define FP_PORT_A 51820
#define FP_PINGS 5

static void fp_cleanup(void)
{
	SYS_NOFAIL("ip netns del " NS_C);
	SYS_NOFAIL("ip netns del " NS_R);
	SYS_NOFAIL("ip netns del " NS_P);
	SYS_NOFAIL("rm -rf " KEY_DIR);
}

static int fp_setup(void)
{
	SYS(fail, "mkdir -p -m 700 " KEY_DIR);
	SYS(fail, "ip netns add " NS_C);
	SYS(fail, "ip netns add " NS_R);
	SYS(fail, "ip netns add " NS_P);
	SYS(fail, "ip -net " NS_R " link set lo up");
	SYS(fail, "ip -net " NS_P " link set lo up");
	SYS(fail, "ip netns exec " NS_R " sysctl -qw net.ipv4.ip_forward=1");
	SYS(fail, "ip netns exec " NS_R " sysctl -qw net.ipv6.conf.all.forwarding=1");
	SYS(fail, "ip link add veth_cr netns " NS_C " type veth peer name veth_rc netns " NS_R);
	SYS(fail, "ip link add veth_ra netns " NS_R " type veth peer name veth_ar netns " NS_P);
	SYS(fail, "ip -net " NS_C " addr add 10.0.0.2/24 dev veth_cr");
	SYS(fail, "ip -net " NS_C " addr add fd00:c::2/64 dev veth_cr nodad");
	SYS(fail, "ip -net " NS_R " addr add 10.0.0.1/24 dev veth_rc");
	SYS(fail, "ip -net " NS_R " addr add fd00:c::1/64 dev veth_rc nodad");
	SYS(fail, "ip -net " NS_R " addr add 172.16.1.2/24 dev veth_ra");
	SYS(fail, "ip -net " NS_R " addr add fd00:1::2/64 dev veth_ra nodad");
	SYS(fail, "ip -net " NS_P " addr add 172.16.1.1/24 dev veth_ar");
	SYS(fail, "ip -net " NS_P " addr add fd00:1::1/64 dev veth_ar nodad");
	SYS(fail, "ip -net " NS_C " link set veth_cr up");
	SYS(fail, "ip -net " NS_R " link set veth_rc up");
	SYS(fail, "ip -net " NS_R " link set veth_ra up");
	SYS(fail, "ip -net " NS_P " link set veth_ar up");
	SYS(fail, "ip -net " NS_C " route add default via 10.0.0.1");
	SYS(fail, "ip -net " NS_C " -6 route add default via fd00:c::1");

	if (setup_wg(NS_R, "wg_r", "", KEY_B, FP_PORT_R, "10.100.0.2",
		     "fd00:100::2"))
		goto fail;
	if (setup_wg(NS_P, "wg_a", "", KEY_A, FP_PORT_A, OVER_A, OVER_A6))
		goto fail;
	SYS(fail, "ip netns exec " NS_R " wg set wg_r peer " PUB_A
	    " allowed-ips " OVER_A "/32," OVER_A6 "/128 persistent-keepalive 0");
	SYS(fail, "ip netns exec " NS_P " wg set wg_a peer " PUB_B
	    " allowed-ips 10.100.0.2/32,fd00:100::2/128,10.0.0.0/24,fd00:c::/64");
	SYS(fail, "ip -net " NS_P " route add 10.0.0.0/24 dev wg_a");
	SYS(fail, "ip -net " NS_P " -6 route add fd00:c::/64 dev wg_a");
	return 0;
fail:
	return -1;
}

static __u64 fp_counter(struct wg_fastpath *skel, __u32 key)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u64 values[ncpu], sum = 0;

	if (bpf_map__lookup_elem(skel->maps.wg_fp_stats, &key, sizeof(key),
				 values, sizeof(values), 0))
		return -1;
	for (i = 0; i < ncpu; i++)
		sum += values[i];
	return sum;
}

/* XDP_REDIRECT into a veth needs XDP on its peer. */
static int fp_attach(const char *ns, const char *dev, int prog_fd)
{
	struct nstoken *nstoken;
	int err;

	nstoken = open_netns(ns);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return -1;
	err = bpf_xdp_attach(if_nametoindex(dev), prog_fd, XDP_FLAGS_DRV_MODE,
			     NULL);
	close_netns(nstoken);
	return ASSERT_OK(err, dev) ? 0 : -1;
}

static void fp_detach(const char *ns, const char *dev)
{
	struct nstoken *nstoken = open_netns(ns);

	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return;
	bpf_xdp_detach(if_nametoindex(dev), XDP_FLAGS_DRV_MODE, NULL);
	close_netns(nstoken);
}

static void test_xdp_fastpath(bool encrypt, bool outer6, bool inner6)
{
	struct wg_fastpath *skel;
	__u64 before, after;
	__u32 counter;

	skel = wg_fastpath__open_and_load();
	if (!ASSERT_OK_PTR(skel, "wg_fastpath open_and_load"))
		return;
	if (outer6)
		SYS(out, "ip netns exec " NS_R " wg set wg_r peer " PUB_A
		    " endpoint [fd00:1::1]:%d", FP_PORT_A);
	else
		SYS(out, "ip netns exec " NS_R " wg set wg_r peer " PUB_A
		    " endpoint 172.16.1.1:%d", FP_PORT_A);
	/* handshake, neighbours and A's view of R's endpoint, by the stack */
	SYS(out, "ip netns exec " NS_C " sh -c '" "ping -c 2 -i 0.2 -W 2 " OVER_A6
	    " && ping -c 2 -i 0.2 -W 2 " OVER_A "' >/dev/null");

	if (fp_attach(NS_C, "veth_cr", bpf_program__fd(skel->progs.xdp_pass)) ||
	    fp_attach(NS_P, "veth_ar", bpf_program__fd(skel->progs.xdp_pass)) ||
	    fp_attach(NS_R, encrypt ? "veth_rc" : "veth_ra",
		      bpf_program__fd(skel->progs.xdp_wg)))
		goto detach;

	counter = encrypt ? 0 /* WG_FP_ENCRYPTED */ : 1 /* WG_FP_DECRYPTED */;
	before = fp_counter(skel, counter);
	SYS(detach, "ip netns exec " NS_C " %s", inner6 ?
	    "ping -6 -c 5 -i 0.2 -W 2 -s 1000 " OVER_A6 " >/dev/null" :
	    "ping -4 -c 5 -i 0.2 -W 2 -s 1000 " OVER_A " >/dev/null");
	after = fp_counter(skel, counter);
	ASSERT_EQ(after - before, FP_PINGS, encrypt ? "encrypted" : "decrypted");
	ASSERT_EQ(fp_counter(skel, 4 /* WG_FP_ERROR */), 0, "errors");
	if (encrypt)
		ASSERT_EQ(skel->bss->pass_reason, 0, "pass reason");
	ASSERT_EQ(skel->bss->last_encrypt_err, 0, "last encrypt error");
	ASSERT_EQ(skel->bss->last_decrypt_err, 0, "last decrypt error");
detach:
	fp_detach(NS_R, encrypt ? "veth_rc" : "veth_ra");
	fp_detach(NS_P, "veth_ar");
	fp_detach(NS_C, "veth_cr");
out:
	wg_fastpath__destroy(skel);
}

static void test_fastpath(void)
{
	static const struct {
		const char *name;
		bool encrypt, outer6, inner6;
	} cases[] = {
		{ "xdp_encrypt_o4_i4", true, false, false },
		{ "xdp_encrypt_o4_i6", true, false, true },
		{ "xdp_encrypt_o6_i4", true, true, false },
		{ "xdp_encrypt_o6_i6", true, true, true },
		{ "xdp_decrypt_o4_i4", false, false, false },
		{ "xdp_decrypt_o4_i6", false, false, true },
		{ "xdp_decrypt_o6_i4", false, true, false },
		{ "xdp_decrypt_o6_i6", false, true, true },
	};
	int i;

	fp_cleanup();
	if (!ASSERT_OK(fp_setup(), "fp_setup"))
		goto out;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (test__start_subtest(cases[i].name))
			test_xdp_fastpath(cases[i].encrypt, cases[i].outer6,
					  cases[i].inner6);
out:
	fp_cleanup();
}

void test_wg(void)
{
	cleanup();
	if (!ASSERT_OK(setup_topology(), "setup_topology"))
		goto out;

	if (test__start_subtest("xdp_lookup"))
		test_xdp_lookup();
	if (test__start_subtest("tc_lookup"))
		test_tc_lookup();
out:
	cleanup();
	test_fastpath();
}
