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
 *                                        peer D: IPv6 endpoint
 *
 * A pings B through the tunnel. The stack path handles everything; the
 * program on veth_b sees B's encrypted traffic arrive and exercises the
 * lookup kfuncs on it: device by ifindex and by port (and misses for a
 * non-WireGuard netdev and for the device of the other namespace), peer
 * by AllowedIPs and by the receiver index of the data message, and the
 * peer's endpoint tuple.
 */

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>

#include "wg_helpers.h"
#include "test_wg_lookup.skel.h"

#define NS_A "wg_test_a"
#define NS_B "wg_test_b"

#define PORT_A 51820
#define PORT_B 51821
#define IFINDEX_A 100 /* as in "index 100" below */
#define UNDER_A "10.200.0.1"
#define UNDER_B "10.200.0.2"
#define OVER_B "10.100.0.2"
#define OVER_C "10.100.0.3"
#define OVER_D "10.100.0.4"
#define EP_D6 "fd00:200::4"
#define EP_D_PORT 51999

static void cleanup(void)
{
	SYS_NOFAIL("ip netns del " NS_A);
	SYS_NOFAIL("ip netns del " NS_B);
	SYS_NOFAIL("rm -rf " KEY_DIR);
}

static int setup_topology(void)
{
	SYS(fail, "mkdir -p -m 700 " KEY_DIR);
	SYS(fail, "ip netns add " NS_A);
	SYS(fail, "ip netns add " NS_B);
	SYS(fail, "ip -net " NS_A " link set lo up");
	SYS(fail, "ip -net " NS_B " link set lo up");
	SYS(fail, "ip link add veth_a netns " NS_A
	    " type veth peer name veth_b netns " NS_B);
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
	    " allowed-ips " OVER_B "/32,fd00:100::2/128 endpoint " UNDER_B
	    ":%d", PORT_B);
	SYS(fail, "ip netns exec " NS_B " wg set wg_b peer " PUB_A
	    " allowed-ips " OVER_A "/32," OVER_A6 "/128 endpoint " UNDER_A
	    ":%d", PORT_A);
	SYS(fail, "ip netns exec " NS_B " wg set wg_b peer " PUB_C
	    " allowed-ips " OVER_C "/32");
	SYS(fail, "ip netns exec " NS_B " wg set wg_b peer " PUB_D
	    " allowed-ips " OVER_D "/32 endpoint [" EP_D6 "]:%d", EP_D_PORT);
	return 0;
fail:
	return -1;
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
	inet_pton(AF_INET, OVER_D, &skel->bss->ep6_addr4);
	return 0;
}

static void check_lookup_results(struct test_wg_lookup *skel)
{
	struct test_wg_lookup__bss *r = skel->bss;

	/* handshake first, then data messages from A */
	SYS(out, "ip netns exec " NS_A " ping -c 3 -i 0.2 -W 2 " OVER_B
	    " >/dev/null");
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
	err = bpf_xdp_attach(ifindex,
			     bpf_program__fd(skel->progs.xdp_wg_lookup),
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

/* Edge cases of the lookups, run with BPF_PROG_TEST_RUN in NS_B: the
 * program's namespace is that of the test run's loopback device.
 */
static void test_probe(bool tc)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	struct nstoken *nstoken = NULL;
	struct test_wg_lookup__bss *r;
	struct test_wg_lookup *skel;
	struct in6_addr ep6;
	char pkt[64] = {};
	int err, fd;

	skel = test_wg_lookup__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	r = skel->bss;
	if (setup_lookup_skel(skel))
		goto out;
	nstoken = open_netns(NS_B);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	topts.data_in = pkt;
	topts.data_size_in = sizeof(pkt);
	topts.repeat = 1;
	fd = bpf_program__fd(tc ? skel->progs.tc_wg_probe :
				  skel->progs.xdp_wg_probe);
	err = bpf_prog_test_run_opts(fd, &topts);
	if (!ASSERT_OK(err, "test_run"))
		goto out;
	ASSERT_EQ(topts.retval, tc ? TC_ACT_OK : XDP_PASS, "retval");
	ASSERT_EQ(r->probe_runs, 1, "device by ifindex");
	ASSERT_EQ(r->probe_index0, 0, "ifindex 0 -> NULL");
	ASSERT_EQ(r->probe_index_max, 0, "ifindex ~0 -> NULL");
	ASSERT_EQ(r->probe_port0, 0, "port 0 -> NULL");
	ASSERT_EQ(r->ep6_family, AF_INET6, "IPv6 endpoint family");
	inet_pton(AF_INET6, EP_D6, &ep6);
	ASSERT_OK(memcmp(r->ep6_daddr, &ep6, sizeof(ep6)),
		  "IPv6 endpoint daddr");
	ASSERT_EQ(r->ep6_dport, htons(EP_D_PORT), "IPv6 endpoint dport");
	ASSERT_EQ(r->ep6_sport, htons(PORT_B), "IPv6 endpoint sport");
	ASSERT_EQ(r->ep6_small, -EINVAL, "IPv6 endpoint, IPv4-sized tuple");
	ASSERT_EQ(r->ep4_small, -EINVAL, "IPv4 endpoint, short tuple");
out:
	if (nstoken)
		close_netns(nstoken);
	test_wg_lookup__destroy(skel);
}

void test_wg_lookup(void)
{
	cleanup();
	if (!ASSERT_OK(setup_topology(), "setup_topology"))
		goto out;
	if (test__start_subtest("xdp_lookup"))
		test_xdp_lookup();
	if (test__start_subtest("tc_lookup"))
		test_tc_lookup();
	if (test__start_subtest("xdp_probe"))
		test_probe(false);
	if (test__start_subtest("tc_probe"))
		test_probe(true);
out:
	cleanup();
}
