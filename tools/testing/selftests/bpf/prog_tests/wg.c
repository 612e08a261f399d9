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
#include <endian.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#include "test_progs.h"
#include "cap_helpers.h"
#include "network_helpers.h"
#include "test_wg_lookup.skel.h"
#include "wg_fastpath.skel.h"
#include "wg_hostile.skel.h"
#include "wg_kfunc_misuse.skel.h"

#define NS_A "wg_test_a"
#define NS_B "wg_test_b"

#define KEY_A "CNKSAUsxnDzcu3t+7krFXAlXeyu0qMqxcv4b42sPsG8="
#define PUB_A "O9VcZa7RgGEDRCnQU2RLdfPt0ukaqkN0dd8nPWF/3Bw="
#define KEY_B "0EEaw47+rNlauQg49Op1PAZNft+HxFqSdiCWrT+wWlk="
#define PUB_B "1RduGpaeMzBjzyE3rHZW2okZx6+au3KKK6tFKJNQIiE="
#define PUB_C "wrIrylxCq2XiTU7rGMXZqT+shQDrZyC6eZtgcRzx+ns="
#define PUB_D "QOft16BsYViTnjrhiS8L9k0hwPSR3nyMTCEqHPjar2o="

#define PORT_A 51820
#define PORT_B 51821
#define IFINDEX_A 100 /* as in "index 100" below */
#define UNDER_A "10.200.0.1"
#define UNDER_B "10.200.0.2"
#define OVER_A "10.100.0.1"
#define OVER_A6 "fd00:100::1"
#define OVER_B "10.100.0.2"
#define OVER_C "10.100.0.3"
#define OVER_D "10.100.0.4"
#define EP_D6 "fd00:200::4"
#define EP_D_PORT 51999
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
	SYS(fail, "ip -net %s link add %s %s type wireguard", ns, name,
	    link_args);
	SYS(fail, "ip netns exec %s wg set %s private-key " KEY_DIR
	    "/%s listen-port %d",
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
 * C pings A's tunnel address through R. The program (XDP or TC) on
 * veth_rc encrypts what R routes into wg_r ("encrypt"); on veth_ra it
 * decrypts what A sends to wg_r's port ("decrypt"). A is a plain
 * WireGuard peer: whatever R's fast path sends, A's stack must accept,
 * and the other way round.
 */
#define NS_C "wg_fp_c"
#define NS_R "wg_fp_r"
#define NS_P "wg_fp_a"
#define FP_PORT_R 51821
#define FP_PORT_A 51820
#define FP_PINGS 5
#define FP_EP4 "172.16.1.1"
#define FP_EP6 "fd00:1::1"
#define FP_ALLOWED_A OVER_A "/32," OVER_A6 "/128"
#define FP_ALLOWED_R "10.100.0.2/32,fd00:100::2/128,10.0.0.0/24,fd00:c::/64"
/* ping -s 1000 over IPv4: 1028 bytes, padded to 1040, in a message of
 * 16 + 1040 + 16 bytes
 */
#define FP_MSG_LEN_1000 1072

enum {
	FP_ENCRYPTED, FP_DECRYPTED, FP_KEEPALIVE, FP_PASS, FP_ERROR, FP_DEVICE,
};

/* enum wg_fp_pass of the program */
enum { FP_PASS_NO_KEY = 8 };

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
	SYS(fail, "ip netns exec " NS_R
	    " sysctl -qw net.ipv6.conf.all.forwarding=1");
	SYS(fail, "ip link add veth_cr netns " NS_C
	    " type veth peer name veth_rc netns " NS_R);
	SYS(fail, "ip link add veth_ra netns " NS_R
	    " type veth peer name veth_ar netns " NS_P);
	SYS(fail, "ip -net " NS_C " addr add 10.0.0.2/24 dev veth_cr");
	SYS(fail, "ip -net " NS_C " addr add fd00:c::2/64 dev veth_cr nodad");
	SYS(fail, "ip -net " NS_R " addr add 10.0.0.1/24 dev veth_rc");
	SYS(fail, "ip -net " NS_R " addr add fd00:c::1/64 dev veth_rc nodad");
	SYS(fail, "ip -net " NS_R " addr add 172.16.1.2/24 dev veth_ra");
	SYS(fail, "ip -net " NS_R " addr add fd00:1::2/64 dev veth_ra nodad");
	SYS(fail, "ip -net " NS_P " addr add " FP_EP4 "/24 dev veth_ar");
	SYS(fail, "ip -net " NS_P " addr add " FP_EP6 "/64 dev veth_ar nodad");
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
	    " allowed-ips " FP_ALLOWED_A " persistent-keepalive 0");
	SYS(fail, "ip netns exec " NS_P " wg set wg_a peer " PUB_B
	    " allowed-ips " FP_ALLOWED_R);
	SYS(fail, "ip -net " NS_P " route add 10.0.0.0/24 dev wg_a");
	SYS(fail, "ip -net " NS_P " -6 route add fd00:c::/64 dev wg_a");
	return 0;
fail:
	return -1;
}

/* R's endpoint for A, and a first exchange by the stack: handshake,
 * neighbours and A's view of R's endpoint.
 */
static int fp_prepare(bool outer6)
{
	if (outer6)
		SYS(fail, "ip netns exec " NS_R " wg set wg_r peer " PUB_A
		    " endpoint [" FP_EP6 "]:%d", FP_PORT_A);
	else
		SYS(fail, "ip netns exec " NS_R " wg set wg_r peer " PUB_A
		    " endpoint " FP_EP4 ":%d", FP_PORT_A);
	SYS(fail, "ip netns exec " NS_C " sh -c 'ping -c 2 -i 0.2 -W 2 " OVER_A6
	    " && ping -c 2 -i 0.2 -W 2 " OVER_A "' >/dev/null");
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

static int fp_attach_xdp(const char *ns, const char *dev, int prog_fd)
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

static int fp_attach_tc(const char *ns, const char *dev, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1,
		    .prog_fd = prog_fd);
	struct nstoken *nstoken;
	int err;

	nstoken = open_netns(ns);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return -1;
	hook.ifindex = if_nametoindex(dev);
	err = bpf_tc_hook_create(&hook);
	if (!err || err == -EEXIST)
		err = bpf_tc_attach(&hook, &opts);
	close_netns(nstoken);
	return ASSERT_OK(err, dev) ? 0 : -1;
}

static void fp_detach(bool tc, const char *ns, const char *dev)
{
	LIBBPF_OPTS(bpf_tc_hook, hook,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	struct nstoken *nstoken = open_netns(ns);

	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return;
	hook.ifindex = if_nametoindex(dev);
	if (tc)
		bpf_tc_hook_destroy(&hook);	/* the clsact qdisc */
	else
		bpf_xdp_detach(hook.ifindex, XDP_FLAGS_DRV_MODE, NULL);
	close_netns(nstoken);
}

static void fp_stop(bool tc)
{
	fp_detach(tc, NS_R, "veth_rc");
	fp_detach(tc, NS_R, "veth_ra");
	if (tc)
		return;
	fp_detach(tc, NS_C, "veth_cr");
	fp_detach(tc, NS_P, "veth_ar");
}

/* The fast path on R: encrypting on veth_rc, decrypting on veth_ra. An
 * XDP_REDIRECT into a veth needs XDP on its peer.
 */
static int fp_start(struct wg_fastpath *skel, bool tc, bool encrypt,
		    bool decrypt)
{
	int pass_fd = bpf_program__fd(skel->progs.xdp_pass);
	int fd;

	if (tc) {
		fd = bpf_program__fd(skel->progs.tc_wg);
		if ((encrypt && fp_attach_tc(NS_R, "veth_rc", fd)) ||
		    (decrypt && fp_attach_tc(NS_R, "veth_ra", fd)))
			return -1;
		return 0;
	}
	fd = bpf_program__fd(skel->progs.xdp_wg);
	if (fp_attach_xdp(NS_C, "veth_cr", pass_fd) ||
	    fp_attach_xdp(NS_P, "veth_ar", pass_fd) ||
	    (encrypt && fp_attach_xdp(NS_R, "veth_rc", fd)) ||
	    (decrypt && fp_attach_xdp(NS_R, "veth_ra", fd)))
		return -1;
	return 0;
}

static int fp_read_u64s(const char *cmd, __u64 *a, __u64 *b)
{
	FILE *f = popen(cmd, "r");
	int n;

	if (!f)
		return -1;
	n = b ? fscanf(f, "%*s %llu %llu", a, b) : fscanf(f, "%*s %llu", a);
	pclose(f);
	return n == (b ? 2 : 1) ? 0 : -1;
}

/* How many messages besides @data bytes make @bytes, if they are at most
 * a few keepalives (32 bytes) and handshake messages (148 and 92 bytes),
 * which timers may send; -1 if they are not.
 */
static int control_msgs(__u64 bytes, __u64 data)
{
	int k, i, r;

	if (bytes < data)
		return -1;
	for (k = 0; k < 4; k++)
		for (i = 0; i < 3; i++)
			for (r = 0; r < 3; r++)
				if (bytes - data == k * 32 + i * 148 + r * 92)
					return k + i + r;
	return -1;
}

static bool only_control(__u64 bytes, __u64 data)
{
	return control_msgs(bytes, data) >= 0;
}

/* @bytes received are @data and no more than the keepalives (32 bytes
 * each) a slow kernel's timers may send meanwhile
 */
static bool data_and_keepalives(__u64 bytes, __u64 data)
{
	return bytes >= data && (bytes - data) % 32 == 0 &&
	       bytes - data <= 3 * 32;
}

/* wg show's transfer counters of the only peer of @dev */
static int wg_transfer(const char *ns, const char *dev, __u64 *rx, __u64 *tx)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip netns exec %s wg show %s transfer",
		 ns, dev);
	return fp_read_u64s(cmd, rx, tx);
}

static __u64 wg_handshake(const char *ns, const char *dev)
{
	char cmd[128];
	__u64 t = 0;

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s wg show %s latest-handshakes", ns, dev);
	fp_read_u64s(cmd, &t, NULL);
	return t;
}

static __u64 dev_stat(const char *ns, const char *dev, const char *stat)
{
	char cmd[160];
	__u64 v = 0;

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s sh -c 'echo x $(cat /sys/class/net/%s/statistics/%s)'",
		 ns, dev, stat);
	fp_read_u64s(cmd, &v, NULL);
	return v;
}

/* Echo replies received by ping in @ns */
static int ping_received(const char *ns, const char *args)
{
	char cmd[192];
	__u64 n = 0;

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s ping %s 2>/dev/null | sed -n 's/.*, \\([0-9]*\\) received.*/x \\1/p'",
		 ns, args);
	if (fp_read_u64s(cmd, &n, NULL))
		return -1;
	return n;
}

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

static void test_fastpath(void)
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
		snprintf(name, sizeof(name), "%s_hostile", mode[tc]);
		if (test__start_subtest(name))
			test_hostile(tc);
	}
	if (test__start_subtest("fuzz"))
		test_fuzz();
out:
	fp_cleanup();
}

void test_wg(void)
{
	cleanup();
	if (!ASSERT_OK(setup_topology(), "setup_topology"))
		goto out;

	/* with the devices there, wireguard.ko (if a module) is loaded */
	RUN_TESTS(wg_kfunc_misuse);
	if (test__start_subtest("unpriv"))
		test_unpriv();

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
	test_fastpath();
}
