/* SPDX-License-Identifier: GPL-2.0 */
/* The fast path topology of the WireGuard kfunc tests (wg_fastpath.c,
 * wg_hardening.c):
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
#ifndef __WG_FP_HELPERS_H
#define __WG_FP_HELPERS_H

#include <linux/if_link.h>
#include <linux/pkt_cls.h>

#include "wg_helpers.h"
#include "wg_fastpath.skel.h"

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

static inline void fp_cleanup(void)
{
	SYS_NOFAIL("ip netns del " NS_C);
	SYS_NOFAIL("ip netns del " NS_R);
	SYS_NOFAIL("ip netns del " NS_P);
	SYS_NOFAIL("rm -rf " KEY_DIR);
}

static inline int fp_setup(void)
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
static inline int fp_prepare(bool outer6)
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

static inline __u64 fp_counter(struct wg_fastpath *skel, __u32 key)
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

static inline int fp_attach_xdp(const char *ns, const char *dev,
				int prog_fd)
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

static inline int fp_attach_tc(const char *ns, const char *dev,
			       int prog_fd)
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

static inline void fp_detach(bool tc, const char *ns, const char *dev)
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

static inline void fp_stop(bool tc)
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
static inline int fp_start(struct wg_fastpath *skel, bool tc,
			   bool encrypt, bool decrypt)
{
	int pass_fd = bpf_program__fd(skel->progs.xdp_pass);
	int fd;

	/* C's sockets leave checksums to offload, and veth hands XDP their
	 * packets as they are: the XDP fast path needs complete ones (see
	 * Documentation/networking/wireguard-bpf.rst), TC completes them
	 */
	SYS(fail, "ip netns exec " NS_C " ethtool -K veth_cr tx %s >/dev/null",
	    tc ? "on" : "off");
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
fail:
	return -1;
}

static inline int fp_read_u64s(const char *cmd, __u64 *a, __u64 *b)
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
static inline int control_msgs(__u64 bytes, __u64 data)
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

static inline bool only_control(__u64 bytes, __u64 data)
{
	return control_msgs(bytes, data) >= 0;
}

/* @bytes received are @data and no more than the keepalives (32 bytes
 * each) a slow kernel's timers may send meanwhile
 */
static inline bool data_and_keepalives(__u64 bytes, __u64 data)
{
	return bytes >= data && (bytes - data) % 32 == 0 &&
	       bytes - data <= 3 * 32;
}

/* wg show's transfer counters of the only peer of @dev */
static inline int wg_transfer(const char *ns, const char *dev, __u64 *rx,
			      __u64 *tx)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip netns exec %s wg show %s transfer",
		 ns, dev);
	return fp_read_u64s(cmd, rx, tx);
}

static inline __u64 wg_handshake(const char *ns, const char *dev)
{
	char cmd[128];
	__u64 t = 0;

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s wg show %s latest-handshakes", ns, dev);
	fp_read_u64s(cmd, &t, NULL);
	return t;
}

static inline __u64 dev_stat(const char *ns, const char *dev,
			     const char *stat)
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
static inline int ping_received(const char *ns, const char *args)
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

#endif /* __WG_FP_HELPERS_H */
