// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The WireGuard BPF kfunc authors. All Rights Reserved.
 *
 * kfuncs with which XDP and TC programs look up WireGuard devices and
 * peers, read a peer's endpoint and encrypt or decrypt data messages in
 * place, for a fast path that does not pass packets through the
 * WireGuard netdev.
 */

#include "bpf.h"
#include "allowedips.h"
#include "device.h"
#include "peer.h"
#include "peerlookup.h"
#include "socket.h"

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/netdevice.h>
#include <net/xdp.h>

static struct net *wg_bpf_xdp_net(struct xdp_md *ctx)
{
	return dev_net(((struct xdp_buff *)ctx)->rxq->dev);
}

static struct net *wg_bpf_skb_net(struct __sk_buff *ctx)
{
	return dev_net(((struct sk_buff *)ctx)->dev);
}

/* Takes a reference to the WireGuard device of a netdev found under RCU. */
static struct wg_device *wg_bpf_device_hold(struct net_device *dev)
{
	struct wg_device *wg = dev ? wg_device_from_netdev(dev) : NULL;

	if (wg)
		dev_hold(dev);
	return wg;
}

static struct wg_device *wg_bpf_device_by_index(struct net *net, u32 ifindex)
{
	struct wg_device *wg;

	rcu_read_lock();
	wg = wg_bpf_device_hold(dev_get_by_index_rcu(net, ifindex));
	rcu_read_unlock();
	return wg;
}

/* The WireGuard device in @net whose sockets are open in @net on @port */
static struct wg_device *wg_bpf_device_by_port(struct net *net, u16 port)
{
	struct wg_device *wg;

	rcu_read_lock();
	wg = wg_socket_device_by_port(net, port);
	if (wg && net_eq(dev_net(wg->dev), net))
		dev_hold(wg->dev);
	else
		wg = NULL;
	rcu_read_unlock();
	return wg;
}

/* @peer's endpoint, read under its lock */
static void wg_bpf_endpoint_read(struct wg_peer *peer, struct endpoint *ep)
{
	read_lock_bh(&peer->endpoint_lock);
	*ep = peer->endpoint;
	read_unlock_bh(&peer->endpoint_lock);
}

/* Dead peers are being removed: never hand them out. */
static struct wg_peer *wg_bpf_peer_alive(struct wg_peer *peer)
{
	if (peer && unlikely(READ_ONCE(peer->is_dead))) {
		wg_peer_put(peer);
		return NULL;
	}
	return peer;
}

__bpf_kfunc_start_defs();

/**
 * bpf_xdp_wg_device_get_by_index() - Acquire a WireGuard device by ifindex
 * @ctx:	XDP context of the calling program
 * @ifindex:	interface index in the network namespace of @ctx's device
 *
 * Return: a referenced WireGuard device, to be released with
 * bpf_wg_device_put(), or NULL if @ifindex names no WireGuard device in
 * the caller's network namespace.
 */
__bpf_kfunc struct wg_device *
bpf_xdp_wg_device_get_by_index(struct xdp_md *ctx, u32 ifindex)
{
	return wg_bpf_device_by_index(wg_bpf_xdp_net(ctx), ifindex);
}

/**
 * bpf_skb_wg_device_get_by_index() - Acquire a WireGuard device by ifindex
 * @ctx:	TC context of the calling program
 * @ifindex:	interface index in the network namespace of @ctx's device
 *
 * Return: as bpf_xdp_wg_device_get_by_index().
 */
__bpf_kfunc struct wg_device *
bpf_skb_wg_device_get_by_index(struct __sk_buff *ctx, u32 ifindex)
{
	return wg_bpf_device_by_index(wg_bpf_skb_net(ctx), ifindex);
}

/**
 * bpf_xdp_wg_device_get_by_port() - Acquire a WireGuard device by UDP port
 * @ctx:	XDP context of the calling program
 * @port:	UDP listen port, in host byte order
 *
 * Return: a referenced WireGuard device of the caller's network
 * namespace whose sockets listen on @port there, to be released with
 * bpf_wg_device_put(), or NULL if there is none. A device created in
 * another namespace, or moved out of its sockets' one, is not found.
 */
__bpf_kfunc struct wg_device *
bpf_xdp_wg_device_get_by_port(struct xdp_md *ctx, u16 port)
{
	return wg_bpf_device_by_port(wg_bpf_xdp_net(ctx), port);
}

/**
 * bpf_skb_wg_device_get_by_port() - Acquire a WireGuard device by UDP port
 * @ctx:	TC context of the calling program
 * @port:	UDP listen port, in host byte order
 *
 * Return: as bpf_xdp_wg_device_get_by_port().
 */
__bpf_kfunc struct wg_device *
bpf_skb_wg_device_get_by_port(struct __sk_buff *ctx, u16 port)
{
	return wg_bpf_device_by_port(wg_bpf_skb_net(ctx), port);
}

/**
 * bpf_wg_device_ifindex() - The interface index of a WireGuard device
 * @wg:		WireGuard device reference
 *
 * For what a program routes into or through the device (the input
 * interface of a FIB lookup of a decrypted packet, a redirect into the
 * device), without reading the kernel's structures, which would take
 * CAP_PERFMON.
 *
 * Return: the ifindex of @wg's netdev, in its network namespace.
 */
__bpf_kfunc u32 bpf_wg_device_ifindex(struct wg_device *wg)
{
	return READ_ONCE(wg->dev->ifindex);
}

/**
 * bpf_wg_device_put() - Release a WireGuard device reference
 * @wg:		device acquired with one of the bpf_*_wg_device_get_*() kfuncs
 */
__bpf_kfunc void bpf_wg_device_put(struct wg_device *wg)
{
	dev_put(wg->dev);
}

/**
 * bpf_wg_peer_allowedips_lookup() - Acquire the peer owning an address
 * @wg:		WireGuard device reference
 * @addr:	IPv4 or IPv6 address, in network byte order
 * @addr__sz:	size of @addr: 4 for IPv4, 16 for IPv6
 *
 * Looks @addr up in @wg's AllowedIPs, as the device does for the
 * destination of a packet it sends and the source of one it receives.
 *
 * Return: a referenced peer, to be released with bpf_wg_peer_put(), or
 * NULL if no live peer's AllowedIPs contain @addr or @addr__sz is
 * neither 4 nor 16.
 */
__bpf_kfunc struct wg_peer *
bpf_wg_peer_allowedips_lookup(struct wg_device *wg, const void *addr,
			      u32 addr__sz)
{
	union {
		__be32 v4;
		struct in6_addr v6;
	} ip;

	/* the program's memory need not be aligned */
	if (addr__sz != sizeof(ip.v4) && addr__sz != sizeof(ip.v6))
		return NULL;
	memcpy(&ip, addr, addr__sz);
	return wg_bpf_peer_alive(wg_allowedips_lookup_addr(&wg->peer_allowedips,
							   &ip, addr__sz));
}

/**
 * bpf_wg_peer_hashtable_lookup() - Acquire the peer of a receiver index
 * @wg:		WireGuard device reference
 * @idx:	receiver index of a data message, as found in its header
 *
 * Only indices of established keypairs are looked up, not those of
 * handshakes in progress.
 *
 * Return: a referenced peer, to be released with bpf_wg_peer_put(), or
 * NULL if @idx names no keypair of a live peer of @wg.
 */
__bpf_kfunc struct wg_peer *
bpf_wg_peer_hashtable_lookup(struct wg_device *wg, __le32 idx)
{
	struct wg_peer *peer = NULL;

	if (!wg_index_hashtable_lookup(wg->index_hashtable,
				       INDEX_HASHTABLE_KEYPAIR, idx, &peer))
		return NULL;
	return wg_bpf_peer_alive(peer);
}

/**
 * bpf_wg_endpoint_tuple_get() - Read the UDP endpoint of a peer
 * @peer:	WireGuard peer reference
 * @tuple:	filled with the local address and listen port as source and
 *		the peer's endpoint address and port as destination, all in
 *		network byte order; the local address is zero until the
 *		device has sent from it
 * @tuple__szk:	size of @tuple, at least that of its ipv4 or ipv6 part
 *
 * Return: AF_INET or AF_INET6, the family of the filled part of @tuple;
 * -EDESTADDRREQ if the peer has no endpoint yet; -EINVAL if @tuple__szk
 * is too small for the endpoint's family.
 */
__bpf_kfunc int bpf_wg_endpoint_tuple_get(struct wg_peer *peer,
					  struct bpf_sock_tuple *tuple,
					  u32 tuple__szk)
{
	__be16 sport = htons(READ_ONCE(peer->device->incoming_port));
	struct endpoint ep;

	wg_bpf_endpoint_read(peer, &ep);
	if (ep.addr.sa_family == AF_INET) {
		if (tuple__szk < sizeof(tuple->ipv4))
			return -EINVAL;
		tuple->ipv4.saddr = ep.src4.s_addr;
		tuple->ipv4.daddr = ep.addr4.sin_addr.s_addr;
		tuple->ipv4.sport = sport;
		tuple->ipv4.dport = ep.addr4.sin_port;
	} else if (ep.addr.sa_family == AF_INET6) {
		if (tuple__szk < sizeof(tuple->ipv6))
			return -EINVAL;
		memcpy(tuple->ipv6.saddr, &ep.src6, sizeof(tuple->ipv6.saddr));
		memcpy(tuple->ipv6.daddr, &ep.addr6.sin6_addr,
		       sizeof(tuple->ipv6.daddr));
		tuple->ipv6.sport = sport;
		tuple->ipv6.dport = ep.addr6.sin6_port;
	} else {
		return -EDESTADDRREQ;
	}
	return ep.addr.sa_family;
}

/**
 * bpf_wg_endpoint_route_get() - How the device routes a peer's packets
 * @peer:	WireGuard peer reference
 * @fib:	filled for bpf_fib_lookup() of an outer packet to the peer's
 *		endpoint, as send4() and send6() route it: family, the local
 *		address (zero until the device has sent from it) and the
 *		endpoint's as source and destination, UDP with the listen
 *		port and the endpoint's port, the device's fwmark as @fib's
 *		mark (for BPF_FIB_LOOKUP_MARK, as wg-quick's policy routing
 *		needs), and as ifindex the scope of a link-local IPv6
 *		endpoint, the interface to route out of (BPF_FIB_LOOKUP_OUTPUT);
 *		else 0, which bpf_fib_lookup() refuses: the program names the
 *		interface of its lookup; every other field zeroed
 * @fib__szk:	size of @fib, that of struct bpf_fib_lookup
 *
 * Return: AF_INET or AF_INET6, the family of the endpoint;
 * -EDESTADDRREQ if the peer has no endpoint yet; -EINVAL if @fib__szk is
 * not the size of struct bpf_fib_lookup.
 */
__bpf_kfunc int bpf_wg_endpoint_route_get(struct wg_peer *peer,
					  struct bpf_fib_lookup *fib,
					  u32 fib__szk)
{
	struct endpoint ep;

	if (fib__szk != sizeof(*fib))
		return -EINVAL;
	wg_bpf_endpoint_read(peer, &ep);
	memset(fib, 0, sizeof(*fib));
	fib->l4_protocol = IPPROTO_UDP;
	fib->sport = htons(READ_ONCE(peer->device->incoming_port));
	fib->mark = READ_ONCE(peer->device->fwmark);
	if (ep.addr.sa_family == AF_INET) {
		fib->family = AF_INET;
		fib->ipv4_src = ep.src4.s_addr;
		fib->ipv4_dst = ep.addr4.sin_addr.s_addr;
		fib->dport = ep.addr4.sin_port;
	} else if (ep.addr.sa_family == AF_INET6) {
		fib->family = AF_INET6;
		memcpy(fib->ipv6_src, &ep.src6, sizeof(fib->ipv6_src));
		memcpy(fib->ipv6_dst, &ep.addr6.sin6_addr,
		       sizeof(fib->ipv6_dst));
		fib->dport = ep.addr6.sin6_port;
		fib->ifindex = ep.addr6.sin6_scope_id;
	} else {
		return -EDESTADDRREQ;
	}
	return fib->family;
}

/**
 * bpf_wg_peer_put() - Release a WireGuard peer reference
 * @peer:	peer acquired with bpf_wg_peer_allowedips_lookup() or
 *		bpf_wg_peer_hashtable_lookup()
 */
__bpf_kfunc void bpf_wg_peer_put(struct wg_peer *peer)
{
	wg_peer_put(peer);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(wg_kfunc_ids)
BTF_ID_FLAGS(func, bpf_xdp_wg_device_get_by_index, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_skb_wg_device_get_by_index, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_xdp_wg_device_get_by_port, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_skb_wg_device_get_by_port, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_wg_device_ifindex)
BTF_ID_FLAGS(func, bpf_wg_device_put, KF_RELEASE)
BTF_ID_FLAGS(func, bpf_wg_peer_allowedips_lookup, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_wg_peer_hashtable_lookup, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_wg_endpoint_tuple_get)
BTF_ID_FLAGS(func, bpf_wg_endpoint_route_get)
BTF_ID_FLAGS(func, bpf_xdp_wg_encrypt)
BTF_ID_FLAGS(func, bpf_skb_wg_encrypt)
BTF_ID_FLAGS(func, bpf_xdp_wg_decrypt)
BTF_ID_FLAGS(func, bpf_skb_wg_decrypt)
BTF_ID_FLAGS(func, bpf_wg_peer_put, KF_RELEASE)
BTF_KFUNCS_END(wg_kfunc_ids)

/* The kfuncs that take the context of one program type */
BTF_SET_START(wg_xdp_kfunc_ids)
BTF_ID(func, bpf_xdp_wg_device_get_by_index)
BTF_ID(func, bpf_xdp_wg_device_get_by_port)
BTF_ID(func, bpf_xdp_wg_encrypt)
BTF_ID(func, bpf_xdp_wg_decrypt)
BTF_SET_END(wg_xdp_kfunc_ids)

BTF_SET_START(wg_skb_kfunc_ids)
BTF_ID(func, bpf_skb_wg_device_get_by_index)
BTF_ID(func, bpf_skb_wg_device_get_by_port)
BTF_ID(func, bpf_skb_wg_encrypt)
BTF_ID(func, bpf_skb_wg_decrypt)
BTF_SET_END(wg_skb_kfunc_ids)

/* The set is registered for XDP and TC programs alike, but a context
 * argument is only checked to be the program's context when its type is
 * that of the program type: to a TC program, struct xdp_md is plain
 * memory, which it could fake. Each program type gets its own variants.
 */
static int wg_bpf_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	/* an extension (libxdp's dispatcher) has the type of its target */
	enum bpf_prog_type type = resolve_prog_type(prog);

	if (btf_id_set_contains(&wg_xdp_kfunc_ids, kfunc_id))
		return type == BPF_PROG_TYPE_XDP ? 0 : -EACCES;
	if (btf_id_set_contains(&wg_skb_kfunc_ids, kfunc_id))
		return type == BPF_PROG_TYPE_SCHED_CLS ? 0 : -EACCES;
	return 0;
}

static const struct btf_kfunc_id_set wg_kfunc_set = {
	.owner	= THIS_MODULE,
	.set	= &wg_kfunc_ids,
	.filter	= wg_bpf_kfunc_filter,
};

void __init wg_bpf_init(void)
{
	int ret;

	ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &wg_kfunc_set) ?:
	      register_btf_kfunc_id_set(BPF_PROG_TYPE_SCHED_CLS,
					&wg_kfunc_set);
	/* the device works without them, as it does without BTF */
	if (ret)
		pr_warn("BPF kfuncs not registered: %d\n", ret);
}
