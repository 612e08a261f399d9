// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The WireGuard BPF kfunc authors. All Rights Reserved.
 *
 * The encrypt and decrypt kfuncs: find the data message in an XDP frame
 * or an skb, map it for scatter-gather crypto, fragments included, and
 * hand it to bpf_crypt.c.
 */

#include "bpf.h"
#include "device.h"
#include "messages.h"
#include "peer.h"
#include "queueing.h"
#include "socket.h"

#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/xdp.h>

/* The linear part and every fragment of an XDP frame or an skb */
#define WG_BPF_MAX_SG (MAX_SKB_FRAGS + 1)

/* No IP packet, and so no plaintext of a data message, is longer */
#define WG_BPF_MAX_PLAIN U16_MAX

/* Where a message at @offset of a packet of @len bytes, of which @linear
 * are linear, must be: its header linear, all of it inside the packet.
 */
static int wg_bpf_check_layout(u32 offset, u64 msg_len, u32 linear, u32 len)
{
	if (unlikely(offset + (u64)sizeof(struct message_data) > linear ||
		     offset + msg_len > len))
		return -EINVAL;
	return 0;
}

/* Maps @len bytes from @off of an XDP frame, fragments included. */
static int wg_bpf_xdp_sg(struct xdp_buff *xdp, u32 off, u32 len,
			 struct scatterlist *sg)
{
	struct skb_shared_info *sinfo = xdp_get_shared_info_from_buff(xdp);
	int nr_frags = xdp_buff_has_frags(xdp) ? sinfo->nr_frags : 0;
	u32 linear = xdp->data_end - xdp->data, n;
	int i = 0, f;

	/* as encrypt_packet() of send.c: the entries this packet can use */
	sg_init_table(sg, nr_frags + 1);
	if (off < linear) {
		n = min(len, linear - off);
		sg_set_buf(&sg[i++], xdp->data + off, n);
		len -= n;
		off = 0;
	} else {
		off -= linear;
	}
	for (f = 0; f < nr_frags && len; f++) {
		skb_frag_t *frag = &sinfo->frags[f];
		u32 size = skb_frag_size(frag);

		if (off >= size) {
			off -= size;
			continue;
		}
		if (i == WG_BPF_MAX_SG)
			return -E2BIG;
		/* memory of a net_iov (devmem) has no page to map */
		if (unlikely(!skb_frag_page(frag)))
			return -EOPNOTSUPP;
		n = min(len, size - off);
		sg_set_page(&sg[i++], skb_frag_page(frag), n,
			    skb_frag_off(frag) + off);
		len -= n;
		off = 0;
	}
	if (unlikely(len || !i))
		return -EINVAL;
	sg_mark_end(&sg[i - 1]);
	return i;
}

/* The data of an skb is written in place: it must not be shared with a
 * clone or with pages of others, and a GSO packet is more than one
 * message. bpf_skb_pull_data() of the whole packet, after its last change
 * of length, makes a TC program's skb writable. Fragments of net_iovs
 * (devmem) cannot be read.
 */
static int wg_bpf_skb_writable(struct sk_buff *skb)
{
	if (unlikely(skb_is_gso(skb)))
		return -EMSGSIZE;
	if (unlikely(!skb_frags_readable(skb)))
		return -EOPNOTSUPP;
	if (unlikely(skb_has_frag_list(skb) || skb_has_shared_frag(skb) ||
		     (skb_cloned(skb) &&
		      (skb->data_len ||
		       !skb_clone_writable(skb, skb_headlen(skb))))))
		return -EBUSY;
	return 0;
}

static int wg_bpf_skb_sg(struct sk_buff *skb, u32 off, u32 len,
			 struct scatterlist *sg)
{
	int nsg;

	/* no frag_list (wg_bpf_skb_writable()): the head and the frags */
	sg_init_table(sg, skb_shinfo(skb)->nr_frags + 1);
	nsg = skb_to_sgvec(skb, sg, off, len);
	if (unlikely(nsg <= 0))
		return nsg == -EMSGSIZE ? -E2BIG : -EINVAL;
	return nsg;
}

/* Check a message of @msg_len bytes at @offset of an XDP frame and map
 * what follows its header: the number of scatterlist entries, or an errno.
 */
static int wg_bpf_xdp_msg(struct xdp_buff *xdp, u32 offset, u64 msg_len,
			  struct scatterlist *sg)
{
	int ret;

	/* AF_XDP zero-copy: the frame is in vmap()ed UMEM, with no struct
	 * page behind its address for the scatterlist
	 */
	if (unlikely(xdp->rxq->mem.type == MEM_TYPE_XSK_BUFF_POOL))
		return -EOPNOTSUPP;
	ret = wg_bpf_check_layout(offset, msg_len, xdp->data_end - xdp->data,
				  xdp_get_buff_len(xdp));
	if (ret)
		return ret;
	return wg_bpf_xdp_sg(xdp, offset + sizeof(struct message_data),
			     msg_len - sizeof(struct message_data), sg);
}

/* As wg_bpf_xdp_msg(), for an skb whose data must be writable in place */
static int wg_bpf_skb_msg(struct sk_buff *skb, u32 offset, u64 msg_len,
			  struct scatterlist *sg)
{
	int ret;

	ret = wg_bpf_skb_writable(skb);
	if (!ret)
		ret = wg_bpf_check_layout(offset, msg_len, skb_headlen(skb),
					  skb->len);
	if (ret)
		return ret;
	return wg_bpf_skb_sg(skb, offset + sizeof(struct message_data),
			     msg_len - sizeof(struct message_data), sg);
}

/* The outer headers of a data message at @offset, for roaming and ECN:
 * @data starts at the Ethernet header (@nh_off < 0: parse it), and UDP
 * must come right before the message. NULL, and no DS field, if they
 * are not like that.
 */
static const struct endpoint *
wg_bpf_rx_endpoint(struct endpoint *endpoint, u8 *ds, void *data, int nh_off,
		   u32 offset, int ifindex)
{
	const struct udphdr *uh;
	const struct iphdr *iph;
	__be16 proto;
	u32 udp_off;

	*ds = 0;
	if (offset < sizeof(struct udphdr) + sizeof(struct iphdr))
		return NULL;
	udp_off = offset - sizeof(struct udphdr);
	if (nh_off < 0) {
		struct ethhdr *eth = data;
		__be16 proto = eth->h_proto;

		nh_off = sizeof(*eth);
		while (eth_type_vlan(proto) &&
		       nh_off + VLAN_HLEN <= udp_off) {
			struct vlan_hdr *vh = data + nh_off;

			proto = vh->h_vlan_encapsulated_proto;
			nh_off += VLAN_HLEN;
		}
	}
	if (nh_off + sizeof(*iph) > udp_off)
		return NULL;
	iph = data + nh_off;
	uh = data + udp_off;
	if (iph->version == 4) {
		if (iph->protocol != IPPROTO_UDP ||
		    nh_off + iph->ihl * 4 != udp_off)
			return NULL;
	} else if (iph->version == 6) {
		if (((struct ipv6hdr *)iph)->nexthdr != IPPROTO_UDP ||
		    nh_off + sizeof(struct ipv6hdr) != udp_off)
			return NULL;
	} else {
		return NULL;
	}
	if (iph->version == 4) {
		*ds = ipv4_get_dsfield(iph);
		proto = htons(ETH_P_IP);
	} else {
		*ds = ipv6_get_dsfield((struct ipv6hdr *)iph);
		proto = htons(ETH_P_IPV6);
	}
	return wg_socket_endpoint_from_hdr(endpoint, proto, iph, uh, ifindex) ?
	       NULL : endpoint;
}

/* A device's packets come and go in the caller's namespace @net only if
 * the device and its sockets are both there: not once the device moved to
 * another namespace (a container's), nor once its sockets' namespace is
 * gone (wg_netns_pre_exit()).
 */
static int wg_bpf_in_net(struct wg_device *wg, struct net *net)
{
	if (likely(net_eq(dev_net(wg->dev), net) &&
		   rcu_access_pointer(wg->creating_net) == net &&
		   (rcu_access_pointer(wg->sock4) ||
		    rcu_access_pointer(wg->sock6))))
		return 0;
	return -ENONET;
}

/* The plaintext of @length bytes for @peer, padded as encrypt_packet()
 * pads for the device, in @padded; or an errno.
 */
static int wg_bpf_tx_len(struct wg_peer *peer, struct net *net, u32 length,
			 u32 *padded)
{
	struct wg_device *wg = peer->device;

	if (unlikely(length > WG_BPF_MAX_PLAIN))
		return -EMSGSIZE;
	*padded = length + wg_packet_padding(length, READ_ONCE(wg->dev->mtu));
	DEBUG_NET_WARN_ON_ONCE(*padded < length);
	return wg_bpf_in_net(wg, net);
}

/* Completes a checksum left to offload, as encrypt_packet() does with
 * wg_packet_checksum() before it pads: over the inner packet, which ends
 * at @end, not the room behind it for padding and tag (a CRC32c would
 * change). The checksum must lie in the plaintext, from @start.
 */
static int wg_bpf_skb_checksum(struct sk_buff *skb, u32 start, u32 end)
{
	u32 room = skb->len - end;
	int ret;

	if (likely(skb->ip_summed != CHECKSUM_PARTIAL))
		return 0;
	if (unlikely(skb_is_nonlinear(skb) ||
		     skb_checksum_start_offset(skb) < (int)start ||
		     skb_checksum_start_offset(skb) + skb->csum_offset +
		     sizeof(__sum16) > end))
		return -EINVAL;
	__skb_trim(skb, end);
	ret = wg_packet_checksum(skb);
	__skb_put(skb, room);
	return ret;
}

__bpf_kfunc_start_defs();

/**
 * bpf_xdp_wg_encrypt() - Encrypt a packet into a WireGuard data message
 * @ctx:	XDP context of the calling program
 * @offset:	where the 16-byte data message header is to be written
 * @length:	length of the plaintext (the inner IP packet) that follows
 *		the header
 * @peer:	peer to send to, whose current keypair encrypts
 *
 * Writes the message header (type, the receiver index of the keypair and
 * the next nonce of its sending counter), pads the plaintext with zeros
 * to the length the WireGuard device would (@length rounded up to a
 * multiple of 16, but not past the device MTU when @length fits it) and
 * encrypts it in place, followed by the 16-byte authentication tag. The
 * packet must hold the whole message: offset + 16 + padded length + 16
 * bytes; the header must be in the linear part. Timers, handshake
 * triggers and the peer's and device's transmit statistics are updated
 * as for a message the device sends.
 *
 * Return: 0 on success; -EMSGSIZE if @length is above 65535 (no IP
 * packet is longer); -EINVAL if the message does not fit the packet or
 * its header is not linear; -E2BIG if the message spans more fragments
 * than supported; -EOPNOTSUPP if the frame is in AF_XDP zero-copy memory
 * (UMEM) or a fragment is device memory (a net_iov); -ENONET if the
 * device of @peer and its sockets are not both in the caller's network
 * namespace (a device moved to another namespace, or whose sockets'
 * namespace is gone): its packets are not the caller's to send; -ENOENT
 * if @peer is being removed; -ENOKEY if @peer has no usable key (none
 * yet, expired or exhausted), in which case a handshake is initiated as
 * the device does. On -ENOKEY and -ENONET the packet should be given to
 * the stack (nothing of the message was written), on the others dropped.
 */
__bpf_kfunc int bpf_xdp_wg_encrypt(struct xdp_md *ctx, u32 offset, u32 length,
				   struct wg_peer *peer)
{
	struct xdp_buff *xdp = (struct xdp_buff *)ctx;
	struct scatterlist sg[WG_BPF_MAX_SG];
	int nsg, ret;
	u32 padded;

	ret = wg_bpf_tx_len(peer, dev_net(xdp->rxq->dev), length, &padded);
	if (ret)
		return ret;
	nsg = wg_bpf_xdp_msg(xdp, offset, message_data_len((u64)padded), sg);
	if (nsg < 0)
		return nsg;
	return wg_bpf_encrypt(peer, xdp->data + offset, sg, nsg, length,
			      padded);
}

/**
 * bpf_skb_wg_encrypt() - Encrypt a packet into a WireGuard data message
 * @ctx:	TC context of the calling program
 * @offset:	where the 16-byte data message header is to be written
 * @length:	length of the plaintext (the inner IP packet) that follows
 *		the header
 * @peer:	peer to send to, whose current keypair encrypts
 *
 * As bpf_xdp_wg_encrypt(). A checksum the inner packet still lacks
 * (CHECKSUM_PARTIAL: an Internet checksum or SCTP's CRC32c) is completed
 * first, over the @length bytes of the inner packet, as the device does
 * before it pads.
 *
 * Return: as bpf_xdp_wg_encrypt(), and -EBUSY if the packet data is
 * shared (a clone's, or fragments of others: bpf_skb_pull_data() of the
 * whole packet, after its last change of length, makes it private),
 * -EMSGSIZE for a GSO packet, -EOPNOTSUPP if fragments are device memory,
 * -EINVAL too for a CHECKSUM_PARTIAL skb that is not linear or whose
 * checksum is not in the inner packet.
 */
__bpf_kfunc int bpf_skb_wg_encrypt(struct __sk_buff *ctx, u32 offset,
				   u32 length, struct wg_peer *peer)
{
	struct sk_buff *skb = (struct sk_buff *)ctx;
	struct scatterlist sg[WG_BPF_MAX_SG];
	u32 padded, start;
	int nsg, ret;

	ret = wg_bpf_tx_len(peer, dev_net(skb->dev), length, &padded);
	if (ret)
		return ret;
	nsg = wg_bpf_skb_msg(skb, offset, message_data_len((u64)padded), sg);
	if (nsg < 0)
		return nsg;
	/* private data: completing the checksum does not move it */
	start = offset + sizeof(struct message_data);
	ret = wg_bpf_skb_checksum(skb, start, start + length);
	if (ret)
		return ret;
	ret = wg_bpf_encrypt(peer, (void *)skb->data + offset, sg, nsg, length,
			     padded);
	if (!ret)
		skb->ip_summed = CHECKSUM_NONE;
	return ret;
}

/**
 * bpf_xdp_wg_decrypt() - Decrypt a WireGuard data message in place
 * @ctx:	XDP context of the calling program
 * @offset:	offset of the data message (its header) in the packet
 * @length:	length of the data message: header, ciphertext and tag
 * @peer:	peer the message is from
 *
 * The keypair is the one named by the receiver index of the message
 * (current, previous or next: a message on the next keypair confirms it,
 * as on the device), and it must be @peer's. The message is
 * authenticated, then its nonce is checked against the replay window the
 * device uses as well, so a message is accepted once whichever way it
 * comes. The inner packet must be IPv4 or IPv6, fit the plaintext, and
 * come from an address in @peer's AllowedIPs. On success the plaintext,
 * padding included, is at @offset + 16. When the message comes right
 * after IP and UDP headers, @peer's endpoint follows their source address
 * and port, and a Congestion Experienced mark of the outer header is
 * copied into an ECN-capable inner one. Timers, handshake triggers and
 * receive statistics are updated as for a message the device receives.
 * A keepalive (@length of 32: no plaintext) succeeds and carries no
 * packet.
 *
 * Return: 0 on success; -EINVAL if @length is below 32 or the message
 * does not fit the packet or its header is not linear; -E2BIG if the
 * message spans more fragments than supported; -EOPNOTSUPP if the frame
 * is in AF_XDP zero-copy memory (UMEM) or a fragment is device memory;
 * -ENONET if the device of @peer and its sockets are not both in the
 * caller's network namespace (the packet is then the stack's); -EPROTO
 * if it is not a data message or the plaintext is not an IP packet;
 * -ENOENT if @peer is being removed; -ENOKEY if the receiver index names
 * no keypair; -EACCES
 * if it names another peer's; -EKEYEXPIRED if that keypair may no longer
 * receive; -EBADMSG if authentication fails; -ESTALE if the nonce was
 * seen or is behind the replay window; -EMSGSIZE if the inner packet is
 * longer than the plaintext; -EPERM if its source is not in @peer's
 * AllowedIPs. The packet is to be dropped on error; its data may have
 * changed.
 */
__bpf_kfunc int bpf_xdp_wg_decrypt(struct xdp_md *ctx, u32 offset, u32 length,
				   struct wg_peer *peer)
{
	struct xdp_buff *xdp = (struct xdp_buff *)ctx;
	struct scatterlist sg[WG_BPF_MAX_SG];
	const struct endpoint *from;
	struct endpoint endpoint;
	int nsg;
	u8 ds;

	if (unlikely(length < MESSAGE_MINIMUM_LENGTH))
		return -EINVAL;
	nsg = wg_bpf_in_net(peer->device, dev_net(xdp->rxq->dev)) ? :
	      wg_bpf_xdp_msg(xdp, offset, length, sg);
	if (nsg < 0)
		return nsg;
	from = wg_bpf_rx_endpoint(&endpoint, &ds, xdp->data, -1, offset,
				  xdp->rxq->dev->ifindex);
	return wg_bpf_decrypt(peer, xdp->data + offset, sg, nsg,
			      length - sizeof(struct message_data), from, ds);
}

/**
 * bpf_skb_wg_decrypt() - Decrypt a WireGuard data message in place
 * @ctx:	TC context of the calling program
 * @offset:	offset of the data message (its header) in the packet
 * @length:	length of the data message: header, ciphertext and tag
 * @peer:	peer the message is from
 *
 * As bpf_xdp_wg_decrypt(); the decrypted packet's checksums count as
 * verified, as on the device. A CHECKSUM_COMPLETE skb is no longer so
 * once its data may have changed, success or not.
 *
 * Return: as bpf_xdp_wg_decrypt(), and -EBUSY if the packet data is
 * shared (a clone's, or fragments of others: bpf_skb_pull_data() of the
 * whole packet, after its last change of length, makes it private),
 * -EMSGSIZE for a GSO packet.
 */
__bpf_kfunc int bpf_skb_wg_decrypt(struct __sk_buff *ctx, u32 offset,
				   u32 length, struct wg_peer *peer)
{
	struct sk_buff *skb = (struct sk_buff *)ctx;
	struct scatterlist sg[WG_BPF_MAX_SG];
	const struct endpoint *from;
	struct endpoint endpoint;
	int nsg, ret;
	u8 ds;

	if (unlikely(length < MESSAGE_MINIMUM_LENGTH))
		return -EINVAL;
	nsg = wg_bpf_in_net(peer->device, dev_net(skb->dev)) ? :
	      wg_bpf_skb_msg(skb, offset, length, sg);
	if (nsg < 0)
		return nsg;
	from = wg_bpf_rx_endpoint(&endpoint, &ds, skb->data,
				  skb_network_offset(skb), offset,
				  skb->skb_iif ? : skb->dev->ifindex);
	/* the data changes in place: no longer what skb->csum sums up */
	skb_checksum_complete_unset(skb);
	ret = wg_bpf_decrypt(peer, (void *)skb->data + offset, sg, nsg,
			     length - sizeof(struct message_data), from, ds);
	if (!ret) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		skb->csum_level = ~0;
	}
	return ret;
}

__bpf_kfunc_end_defs();
