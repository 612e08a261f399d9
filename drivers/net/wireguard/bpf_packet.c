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
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/unaligned.h>
#include <linux/udp.h>
#include <net/dst.h>
#include <net/flow_dissector.h>
#include <net/xdp.h>
#include <net/xfrm.h>

/* The linear part and every fragment of an XDP frame */
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

/* The data of an skb is written in place: it must be private, which
 * only a linear skb's head can be known to be (page fragments may be
 * shared with another skb without a mark, as pskb_copy() shares them),
 * and a GSO packet is more than one message, for the stack to segment.
 * bpf_skb_pull_data() of the whole packet, after its last change of
 * length, makes a TC program's skb linear and private.
 */
static int wg_bpf_skb_writable(struct sk_buff *skb)
{
	if (unlikely(skb_is_gso(skb)))
		return -EOPNOTSUPP;
	if (unlikely(skb_is_nonlinear(skb) ||
		     (skb_cloned(skb) &&
		      !skb_clone_writable(skb, skb_headlen(skb)))))
		return -EBUSY;
	return 0;
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

/* As wg_bpf_xdp_msg(), for a linear skb whose data is private */
static int wg_bpf_skb_msg(struct sk_buff *skb, u32 offset, u64 msg_len,
			  struct scatterlist *sg)
{
	int ret;

	ret = wg_bpf_skb_writable(skb);
	if (!ret)
		ret = wg_bpf_check_layout(offset, msg_len, skb->len, skb->len);
	if (ret)
		return ret;
	sg_init_one(sg, skb->data + offset + sizeof(struct message_data),
		    msg_len - sizeof(struct message_data));
	return 1;
}

/* The outer headers of a data message at @offset, for roaming and ECN,
 * as wg_receive() learns them from the skb: the IP header of @proto at
 * @nh_off of @data, UDP right before the message; received on @ifindex
 * (negative: on no interface of the stack's, no endpoint). NULL, and no
 * DS field, if they are not like that. They are copied: a program's
 * packet need not be aligned.
 */
static const struct endpoint *
wg_bpf_rx_endpoint(struct endpoint *endpoint, u8 *ds, const void *data,
		   u32 nh_off, __be16 proto, u32 offset, int ifindex)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} ip;
	struct udphdr uh;
	u32 ip_len;

	*ds = 0;
	if (proto == htons(ETH_P_IP))
		ip_len = sizeof(ip.v4);
	else if (proto == htons(ETH_P_IPV6))
		ip_len = sizeof(ip.v6);
	else
		return NULL;
	/* the message header is linear: what is before it too */
	if ((u64)nh_off + ip_len + sizeof(uh) > offset)
		return NULL;
	memcpy(&ip, data + nh_off, ip_len);
	memcpy(&uh, data + offset - sizeof(uh), sizeof(uh));
	if (proto == htons(ETH_P_IP)) {
		if (ip.v4.version != 4 || ip.v4.protocol != IPPROTO_UDP ||
		    nh_off + ip.v4.ihl * 4 + sizeof(uh) != offset)
			return NULL;
		*ds = ipv4_get_dsfield(&ip.v4);
	} else {
		if (ip.v6.version != 6 || ip.v6.nexthdr != IPPROTO_UDP ||
		    nh_off + ip_len + sizeof(uh) != offset)
			return NULL;
		*ds = ipv6_get_dsfield(&ip.v6);
	}
	if (ifindex < 0 ||
	    wg_socket_endpoint_from_hdr(endpoint, proto, &ip, &uh, ifindex))
		return NULL;
	return endpoint;
}

/* The device on which the stack receives a packet that came to @dev with
 * VLAN tag @tci of @proto: the VLAN device, or @dev itself for a priority
 * tag without one; NULL if there is none (the stack drops the packet).
 * Called under RCU.
 */
static struct net_device *wg_bpf_vlan_dev(struct net_device *dev,
					  __be16 proto, u16 tci)
{
	struct net_device *vlan_dev;
	u16 vid = tci & VLAN_VID_MASK;

	if (!dev)
		return NULL;
	vlan_dev = __vlan_find_dev_deep_rcu(dev, proto, vid);
	return vlan_dev ?: (vid ? NULL : dev);
}

/* The ifindex the device path sees as skb_iif of a packet the stack
 * receives on @dev, or -1 if it is not known here: an rx_handler
 * (bridge, bond, macvlan, ...) takes it on to another device, and so does
 * the master of a VRF's slave, whose ifindex skb_iif becomes. @dev may
 * have VLAN devices on top (@uppers_known: the packet's tags are all
 * known), whose tags a NIC may have taken out of an XDP frame.
 */
static int wg_bpf_rx_ifindex(const struct net_device *dev, bool uppers_known)
{
	if (!dev || rcu_access_pointer(dev->rx_handler) ||
	    netif_is_l3_slave(dev) || (!uppers_known && dev->upper_level > 1))
		return -1;
	return dev->ifindex;
}

/* Where the network header of an XDP frame is, before a message at
 * @offset: behind the Ethernet header and its VLAN tags, or at the start
 * on a device without a link-layer header. Its protocol in @proto (0 if
 * not IP), and in @ifindex what wg_bpf_rx_ifindex() says.
 */
static u32 wg_bpf_xdp_nh(const struct xdp_buff *xdp, u32 offset,
			 __be16 *proto, int *ifindex)
{
	struct net_device *dev = xdp->rxq->dev;
	const u8 *data = xdp->data;
	u32 nh_off = ETH_HLEN;

	*proto = 0;
	*ifindex = -1;
	if (!dev->hard_header_len) {
		/* the message header is linear: so is the first byte */
		if (data[0] >> 4 == 4)
			*proto = htons(ETH_P_IP);
		else if (data[0] >> 4 == 6)
			*proto = htons(ETH_P_IPV6);
		rcu_read_lock();
		*ifindex = wg_bpf_rx_ifindex(dev, true);
		rcu_read_unlock();
		return 0;
	}
	if ((dev->type != ARPHRD_ETHER && dev->type != ARPHRD_LOOPBACK) ||
	    offset < nh_off)
		return 0;
	*proto = ((const struct ethhdr *)data)->h_proto;
	rcu_read_lock();
	while (eth_type_vlan(*proto)) {
		const struct vlan_hdr *vh = (const void *)data + nh_off;

		if (nh_off + VLAN_HLEN > offset) {
			*proto = 0;
			break;
		}
		dev = wg_bpf_vlan_dev(dev, *proto,
				      get_unaligned_be16(&vh->h_vlan_TCI));
		*proto = get_unaligned(&vh->h_vlan_encapsulated_proto);
		nh_off += VLAN_HLEN;
	}
	/* tags in the frame: the NIC has left them there */
	*ifindex = wg_bpf_rx_ifindex(dev, nh_off > ETH_HLEN);
	rcu_read_unlock();
	return nh_off;
}

/* As wg_bpf_xdp_nh(), for an skb at TC ingress, whose first VLAN tag the
 * stack has taken out of the data
 */
static int wg_bpf_skb_ifindex(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	int ifindex;

	rcu_read_lock();
	if (skb_vlan_tag_present(skb))
		dev = wg_bpf_vlan_dev(dev, skb->vlan_proto,
				      skb_vlan_tag_get(skb));
	ifindex = wg_bpf_rx_ifindex(dev, true);
	rcu_read_unlock();
	return ifindex;
}

/* A device's packets come and go in the caller's namespace @net only if
 * the device and its sockets are both there: not once the device moved to
 * another namespace (a container's), nor once its sockets' namespace is
 * gone (wg_netns_pre_exit()).
 */
static int wg_bpf_check_net(struct wg_device *wg, struct net *net)
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
	return wg_bpf_check_net(wg, net);
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
	if (unlikely(skb_checksum_start_offset(skb) < (int)start ||
		     skb_checksum_start_offset(skb) + skb->csum_offset +
		     (skb->csum_not_inet ? sizeof(__le32) : sizeof(__sum16)) >
		     end))
		return -EINVAL;
	__skb_trim(skb, end);
	ret = wg_packet_checksum(skb);
	__skb_put(skb, room);
	return ret;
}

/* The hash of the inner packet's flow, from @start to @end, as
 * encrypt_packet() takes it with skb_get_hash() before it encrypts: the
 * outer packet goes out on the queues of the inner flow. A hash the skb
 * has already (its socket's, the receiving NIC's) is kept, as there.
 */
static void wg_bpf_skb_hash(struct sk_buff *skb, u32 start, u32 end)
{
	struct flow_keys keys;
	__be16 proto;

	if (skb->l4_hash || skb->sw_hash)
		return;
	proto = skb->data[start] >> 4 == 6 ? htons(ETH_P_IPV6) :
					      htons(ETH_P_IP);
	memset(&keys, 0, sizeof(keys));
	/* the headers, not the skb: a BPF flow dissector would see the
	 * outer protocol with the inner offset
	 */
	__skb_flow_dissect(dev_net(skb->dev), NULL, &flow_keys_dissector,
			   &keys, skb->data, proto, start, end,
			   FLOW_DISSECTOR_F_STOP_AT_FLOW_LABEL);
	__skb_set_sw_hash(skb, flow_hash_from_keys(&keys),
			  flow_keys_have_l4(&keys));
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
 * as the WireGuard device pads it (@length rounded up to a multiple of
 * 16, but not past the MTU of @peer's device, as read at the call, when
 * @length fits it; the device pads to the MTU of a packet's route where
 * one is set) and encrypts it in place, followed by the 16-byte
 * authentication tag. The packet must hold the whole message: offset +
 * 16 + padded length + 16 bytes; the header must be in the linear part.
 * Timers, handshake triggers and the peer's and device's transmit
 * statistics are updated as for a message the device sends. What the
 * device does before, the program does: that the inner destination is
 * in @peer's AllowedIPs, and the outer header's ECN field.
 *
 * Return: 0 on success. On error nothing of the packet was written, and
 * the program may hand it to the stack, which sends it through the
 * device: -ENOKEY if @peer has no usable key (none yet, expired or
 * exhausted), in which case a handshake is initiated as the device does;
 * -ENONET if the device of @peer and its sockets are not both in the
 * caller's network namespace (a device moved to another namespace, or
 * whose sockets' namespace is gone): its packets are not the caller's to
 * send; -EMSGSIZE if @length is above 65535 (no IP packet is longer);
 * -EINVAL if the message does not fit the packet or its header is not
 * linear; -EOPNOTSUPP if the frame is in AF_XDP zero-copy memory (UMEM)
 * or a fragment is device memory (a net_iov); -ENOENT if @peer is being
 * removed.
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
 * As bpf_xdp_wg_encrypt(), on a linear skb whose data is private:
 * bpf_skb_pull_data() of the whole packet, after its last change of
 * length, makes it so. A checksum the inner packet still lacks
 * (CHECKSUM_PARTIAL: an Internet checksum or SCTP's CRC32c) is completed
 * first, over the @length bytes of the inner packet, as the device does
 * before it pads; an skb without a hash gets that of the inner flow.
 *
 * Return: as bpf_xdp_wg_encrypt(), but for the checksum and the hash,
 * which may be done on -ENOKEY, -ENONET and -ENOENT; and -EBUSY if the
 * skb is not linear or its data is shared with a clone, -EOPNOTSUPP for a
 * GSO packet (the stack segments it), -EINVAL for a CHECKSUM_PARTIAL skb
 * whose checksum is not in the inner packet.
 */
__bpf_kfunc int bpf_skb_wg_encrypt(struct __sk_buff *ctx, u32 offset,
				   u32 length, struct wg_peer *peer)
{
	struct sk_buff *skb = (struct sk_buff *)ctx;
	struct scatterlist sg[1];
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
	if (length)
		wg_bpf_skb_hash(skb, start, start + length);
	ret = wg_bpf_encrypt(peer, skb->data + offset, sg, nsg, length,
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
 * after IP and UDP headers (behind Ethernet and VLAN headers, or at the
 * start of the frame on a device without a link-layer header), the
 * outer ECN field is decapsulated into the inner one as RFC 6040 and the
 * device have it, and @peer's endpoint follows their source address and
 * port (roaming) if the interface the stack would receive the packet on
 * is known: not on a device with an rx_handler (a bridge port, a bond
 * slave, a macvlan's lower device) or a VRF's slave, nor for an untagged
 * frame on a device with VLAN devices on top, whose tag a NIC may have
 * stripped. Timers, handshake triggers and receive statistics are
 * updated as for a message the device receives. A keepalive (@length of
 * 32: no plaintext) succeeds and carries no packet.
 *
 * Return: 0 on success. On these errors nothing of the packet changed,
 * and the program may hand it to the stack, which handles it as the
 * device does: -ENONET if the device of @peer and its sockets are not
 * both in the caller's network namespace; -EINVAL if @length is below 32
 * or the message does not fit the packet or its header is not linear;
 * -EOPNOTSUPP if the frame is in AF_XDP zero-copy memory (UMEM) or a
 * fragment is device memory; -ENOMSG if it is not a data message;
 * -ENOENT if @peer is being removed; -ENOKEY if the receiver index names
 * no keypair; -EACCES if it names another peer's; -EKEYEXPIRED if that
 * keypair may no longer receive. On these the ciphertext and tag are
 * zeroed, never left decrypted, and the packet is to be dropped:
 * -EBADMSG if authentication fails; -ESTALE if the nonce was seen or is
 * behind the replay window; -EPROTO if the plaintext is not an IP
 * packet; -EMSGSIZE if the inner packet is longer than the plaintext;
 * -EPERM if its source is not in @peer's AllowedIPs.
 */
__bpf_kfunc int bpf_xdp_wg_decrypt(struct xdp_md *ctx, u32 offset, u32 length,
				   struct wg_peer *peer)
{
	struct xdp_buff *xdp = (struct xdp_buff *)ctx;
	struct scatterlist sg[WG_BPF_MAX_SG];
	const struct endpoint *from;
	struct endpoint endpoint;
	int nsg, ifindex;
	__be16 proto;
	u32 nh_off;
	u8 ds;

	if (unlikely(length < MESSAGE_MINIMUM_LENGTH))
		return -EINVAL;
	nsg = wg_bpf_check_net(peer->device, dev_net(xdp->rxq->dev)) ? :
	      wg_bpf_xdp_msg(xdp, offset, length, sg);
	if (nsg < 0)
		return nsg;
	nh_off = wg_bpf_xdp_nh(xdp, offset, &proto, &ifindex);
	from = wg_bpf_rx_endpoint(&endpoint, &ds, xdp->data, nh_off, proto,
				  offset, ifindex);
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
 * As bpf_xdp_wg_decrypt(), on a linear skb whose data is private (see
 * bpf_skb_wg_encrypt()), with the outer IP header at the skb's network
 * header. Only at ingress does @peer's endpoint follow the packet's
 * source. The decrypted packet's checksums count as verified, and its
 * hash and connection tracking entry, the outer flow's, are dropped, as
 * on the device. A CHECKSUM_COMPLETE skb is no longer so once its data
 * may change, whether decryption then succeeds or not.
 *
 * Return: as bpf_xdp_wg_decrypt(), and, with nothing changed, -EBUSY if
 * the skb is not linear or its data is shared with a clone, -EOPNOTSUPP
 * for a GSO packet.
 */
__bpf_kfunc int bpf_skb_wg_decrypt(struct __sk_buff *ctx, u32 offset,
				   u32 length, struct wg_peer *peer)
{
	struct sk_buff *skb = (struct sk_buff *)ctx;
	struct scatterlist sg[1];
	const struct endpoint *from;
	struct endpoint endpoint;
	int nsg, ret;
	u8 ds;

	if (unlikely(length < MESSAGE_MINIMUM_LENGTH))
		return -EINVAL;
	nsg = wg_bpf_check_net(peer->device, dev_net(skb->dev)) ? :
	      wg_bpf_skb_msg(skb, offset, length, sg);
	if (nsg < 0)
		return nsg;
	/* at egress, the packet is no peer's to roam to: a program decrypts
	 * what it is about to send, maybe under the device's endpoint lock
	 */
	from = wg_bpf_rx_endpoint(&endpoint, &ds, skb->data,
				  skb_network_offset(skb), skb->protocol,
				  offset, skb_at_tc_ingress(skb) ?
					  wg_bpf_skb_ifindex(skb) : -1);
	/* the data changes in place: no longer what skb->csum sums up */
	skb_checksum_complete_unset(skb);
	ret = wg_bpf_decrypt(peer, skb->data + offset, sg, nsg,
			     length - sizeof(struct message_data), from, ds);
	if (!ret) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		skb->csum_level = ~0;
		/* as wg_reset_packet() leaves a decrypted skb: nothing of
		 * the outer packet's flow, connection, IPsec state or route
		 * stays with the inner one, whatever the program does next
		 */
		skb_clear_hash(skb);
		nf_reset_ct(skb);
		nf_reset_trace(skb);
		secpath_reset(skb);
		if (skb_at_tc_ingress(skb))
			skb_dst_drop(skb);
	}
	return ret;
}

__bpf_kfunc_end_defs();
