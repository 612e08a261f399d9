// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The WireGuard BPF kfunc authors. All Rights Reserved.
 *
 * Encryption and decryption of data messages in place, for the BPF
 * kfuncs: the same keypairs, nonces, replay window, timers, handshake
 * triggers and statistics as the queues of send.c and receive.c use, so
 * that a message handled here is indistinguishable from one that went
 * through the WireGuard netdev.
 */

#include "bpf.h"
#include "allowedips.h"
#include "device.h"
#include "messages.h"
#include "noise.h"
#include "peer.h"
#include "peerlookup.h"
#include "queueing.h"
#include "socket.h"
#include "timers.h"

#include <crypto/chacha20poly1305.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/scatterlist.h>
#include <net/dsfield.h>
#include <net/inet_ecn.h>
#include <net/ipv6.h>

/* The byte counters of a peer are plain u64s, bumped by the serialized
 * stack path; BPF programs run on any CPU at once.
 */
static void wg_bpf_add_bytes(u64 *bytes, u64 len)
{
	u64 old = READ_ONCE(*bytes);

	while (!try_cmpxchg64(bytes, &old, old + len))
		;
}

/* As calculate_skb_padding() of send.c does for a packet of @len bytes
 * sent through a device with @mtu.
 */
u32 wg_bpf_padded_len(u32 len, u32 mtu)
{
	u32 last_unit = len;

	if (unlikely(!mtu))
		return ALIGN(len, MESSAGE_PADDING_MULTIPLE);
	if (unlikely(last_unit > mtu))
		last_unit %= mtu;
	return len + min(mtu, ALIGN(last_unit, MESSAGE_PADDING_MULTIPLE)) -
	       last_unit;
}

/* What wg_packet_create_data_done() and wg_socket_send_skb_to_peer() do
 * once a message of @plain_len bytes of padded plaintext is out.
 */
static void wg_bpf_encrypted(struct wg_peer *peer, u32 plain_len)
{
	wg_timers_any_authenticated_packet_traversal(peer);
	wg_timers_any_authenticated_packet_sent(peer);
	if (likely(plain_len))
		wg_timers_data_sent(peer);
	wg_packet_tx_keep_key_fresh(peer);
	wg_bpf_add_bytes(&peer->tx_bytes, message_data_len(plain_len));
	/* as iptunnel_xmit_stats() counts from the inner network header */
	dev_sw_netstats_tx_add(peer->device->dev, 1,
			       noise_encrypted_len(plain_len));
}

/* The first @len bytes of @sg in place, if its first entry holds them
 * (a linear packet), else NULL.
 */
static void *wg_bpf_sg_head(struct scatterlist *sg, u32 len)
{
	if (likely(sg->length >= len && !PageHighMem(sg_page(sg))))
		return sg_virt(sg);
	return NULL;
}

/* The first @len bytes of @sg: in place, or copied to @buf. */
static const void *wg_bpf_sg_peek(struct scatterlist *sg, int nsg, void *buf,
				  u32 len)
{
	const void *head = wg_bpf_sg_head(sg, len);

	if (head)
		return head;
	if (sg_pcopy_to_buffer(sg, nsg, buf, len, 0) < len)
		return NULL;
	return buf;
}

/* Zeros after @length bytes of plaintext up to @padded, as
 * encrypt_packet() of send.c pads.
 */
static void wg_bpf_pad(struct scatterlist *sg, int nsg, u32 length,
		       u32 padded)
{
	u8 *head = wg_bpf_sg_head(sg, padded);

	if (head)
		memset(head + length, 0, padded - length);
	else
		sg_zero_buffer(sg, nsg, padded - length, length);
}

/* The kfuncs use a keypair under rcu_read_lock_bh() without taking a
 * reference: keypairs are freed after a grace period. One whose last
 * reference is gone is on its way out, and refused as
 * wg_noise_keypair_get() refuses it.
 */
static bool wg_bpf_keypair_live(struct noise_keypair *keypair)
{
	return keypair && kref_read(&keypair->refcount);
}

int wg_bpf_encrypt(struct wg_peer *peer, struct message_data *header,
		   struct scatterlist *sg, int nsg, u32 length, u32 padded)
{
	struct noise_keypair *keypair;
	u64 nonce;

	if (unlikely(READ_ONCE(peer->is_dead)))
		return -ENOENT;

	rcu_read_lock_bh();
	keypair = rcu_dereference_bh(peer->keypairs.current_keypair);
	if (unlikely(!wg_bpf_keypair_live(keypair) ||
		     !READ_ONCE(keypair->sending.is_valid)))
		goto out_nokey;
	if (unlikely(wg_birthdate_has_expired(keypair->sending.birthdate,
					      REJECT_AFTER_TIME)))
		goto out_invalid;
	nonce = atomic64_inc_return(&keypair->sending_counter) - 1;
	if (unlikely(nonce >= REJECT_AFTER_MESSAGES))
		goto out_invalid;

	wg_bpf_pad(sg, nsg, length, padded);
	header->header.type = cpu_to_le32(MESSAGE_DATA);
	header->key_idx = keypair->remote_index;
	header->counter = cpu_to_le64(nonce);
	chacha20poly1305_encrypt_sg_inplace(sg, padded, NULL, 0, nonce,
					    keypair->sending.key);
	rcu_read_unlock_bh();
	wg_bpf_encrypted(peer, padded);
	return 0;

out_invalid:
	WRITE_ONCE(keypair->sending.is_valid, false);
out_nokey:
	rcu_read_unlock_bh();
	/* as wg_packet_send_staged_packets() does without a usable key */
	wg_packet_send_queued_handshake_initiation(peer, false);
	return -ENOKEY;
}

/* As decrypt_packet() of receive.c checks a keypair before using it */
static bool wg_bpf_rx_key_usable(struct noise_keypair *keypair)
{
	if (likely(READ_ONCE(keypair->receiving.is_valid) &&
		   !wg_birthdate_has_expired(keypair->receiving.birthdate,
					     REJECT_AFTER_TIME) &&
		   READ_ONCE(keypair->receiving_counter.counter) <
			   REJECT_AFTER_MESSAGES))
		return true;
	WRITE_ONCE(keypair->receiving.is_valid, false);
	return false;
}

/* The keypair named by a data message's receiver index, if it is one of
 * @peer's. Called under rcu_read_lock_bh().
 */
static int wg_bpf_rx_keypair(struct wg_peer *peer, __le32 idx,
			     struct noise_keypair **keypair)
{
	struct index_hashtable_entry *entry;
	struct wg_peer *owner = NULL;
	int ret = 0;

	entry = wg_index_hashtable_lookup(peer->device->index_hashtable,
					  INDEX_HASHTABLE_KEYPAIR, idx, &owner);
	*keypair = (struct noise_keypair *)entry;
	if (unlikely(!wg_bpf_keypair_live(*keypair)))
		ret = -ENOKEY;
	else if (unlikely(owner != peer))
		ret = -EACCES;
	else if (unlikely(!wg_bpf_rx_key_usable(*keypair)))
		ret = -EKEYEXPIRED;
	wg_peer_put(owner);
	return ret;
}

/* The checks wg_packet_consume_data_done() makes of a decrypted packet:
 * an IPv4 or IPv6 packet that fits and whose source is in @peer's
 * AllowedIPs.
 */
static int wg_bpf_check_inner(struct wg_peer *peer, struct scatterlist *sg,
			      int nsg, u32 plain_len)
{
	struct allowedips *table = &peer->device->peer_allowedips;
	struct net_device *dev = peer->device->dev;
	struct wg_peer *routed_peer;
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} buf;
	const struct ipv6hdr *ip6;
	const struct iphdr *ip4;
	u32 len;

	if (plain_len < sizeof(*ip4))
		goto err_type;
	ip4 = wg_bpf_sg_peek(sg, nsg, &buf, min_t(u32, sizeof(buf), plain_len));
	if (unlikely(!ip4))
		goto err_type;
	ip6 = (const struct ipv6hdr *)ip4;
	if (ip4->version == 4) {
		len = ntohs(ip4->tot_len);
		if (unlikely(len < sizeof(*ip4)))
			goto err_size;
		routed_peer = wg_allowedips_lookup_addr(table, &ip4->saddr,
							sizeof(ip4->saddr));
	} else if (ip4->version == 6 && plain_len >= sizeof(*ip6)) {
		len = ntohs(ip6->payload_len) + sizeof(*ip6);
		routed_peer = wg_allowedips_lookup_addr(table, &ip6->saddr,
							sizeof(ip6->saddr));
	} else {
		goto err_type;
	}
	wg_peer_put(routed_peer);
	if (unlikely(len > plain_len))
		goto err_size;
	if (unlikely(routed_peer != peer))
		goto err_peer;
	return 0;

err_peer:
	DEV_STATS_INC(dev, rx_errors);
	DEV_STATS_INC(dev, rx_frame_errors);
	return -EPERM;
err_type:
	DEV_STATS_INC(dev, rx_errors);
	DEV_STATS_INC(dev, rx_frame_errors);
	return -EPROTO;
err_size:
	DEV_STATS_INC(dev, rx_errors);
	DEV_STATS_INC(dev, rx_length_errors);
	return -EMSGSIZE;
}

/* As INET_ECN_decapsulate() on the device: a congestion mark the outer
 * header got is copied into the inner header of an ECN-capable packet.
 */
static void wg_bpf_ecn_decap(struct scatterlist *sg, int nsg, u8 outer_ds)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} ip;
	__be32 *v6_word = (__be32 *)&ip.v6;

	if (likely(!INET_ECN_is_ce(outer_ds)))
		return;
	/* wg_bpf_check_inner() found a whole IPv4 or IPv6 header there */
	sg_pcopy_to_buffer(sg, nsg, &ip, sizeof(ip), 0);
	if (ip.v4.version == 4) {
		if (IP_ECN_set_ce(&ip.v4))
			sg_pcopy_from_buffer(sg, nsg, &ip.v4, sizeof(ip.v4), 0);
	} else if (!INET_ECN_is_not_ect(ipv6_get_dsfield(&ip.v6))) {
		*v6_word |= htonl(INET_ECN_CE << 20);
		sg_pcopy_from_buffer(sg, nsg, v6_word, sizeof(*v6_word), 0);
	}
}

static void wg_bpf_rx_stats(struct wg_peer *peer, u32 plain_len)
{
	dev_sw_netstats_rx_add(peer->device->dev, message_data_len(plain_len));
	wg_bpf_add_bytes(&peer->rx_bytes, message_data_len(plain_len));
}

int wg_bpf_decrypt(struct wg_peer *peer, const struct message_data *header,
		   struct scatterlist *sg, int nsg, u32 enc_len,
		   const struct endpoint *endpoint, u8 outer_ds)
{
	u32 plain_len = enc_len - noise_encrypted_len(0);
	struct noise_keypair *keypair;
	bool authentic, confirmed;
	u64 nonce;
	int ret;

	if (unlikely(header->header.type != cpu_to_le32(MESSAGE_DATA)))
		return -EPROTO;
	if (unlikely(READ_ONCE(peer->is_dead)))
		return -ENOENT;
	rcu_read_lock_bh();
	ret = wg_bpf_rx_keypair(peer, header->key_idx, &keypair);
	if (ret)
		goto out_unlock;

	/* authenticate first, then the replay window the queues use too */
	nonce = le64_to_cpu(header->counter);
	authentic = chacha20poly1305_decrypt_sg_inplace(sg, enc_len, NULL, 0,
							nonce,
							keypair->receiving.key);
	if (unlikely(!authentic)) {
		ret = -EBADMSG;
		goto out_unlock;
	}
	if (unlikely(!wg_packet_counter_validate(&keypair->receiving_counter,
						 nonce))) {
		ret = -ESTALE;
		goto out_unlock;
	}
	confirmed = wg_noise_received_with_keypair(&peer->keypairs, keypair);
	rcu_read_unlock_bh();

	/* from here on as wg_packet_consume_data_done() */
	if (endpoint)
		wg_socket_set_peer_endpoint(peer, endpoint);
	if (unlikely(confirmed)) {
		wg_timers_handshake_complete(peer);
		wg_packet_send_staged_packets(peer);
	}
	wg_packet_rx_keep_key_fresh(peer);
	wg_timers_any_authenticated_packet_received(peer);
	wg_timers_any_authenticated_packet_traversal(peer);

	if (unlikely(!plain_len)) {
		/* a keepalive */
		wg_bpf_rx_stats(peer, 0);
		return 0;
	}
	wg_timers_data_received(peer);
	ret = wg_bpf_check_inner(peer, sg, nsg, plain_len);
	if (!ret) {
		wg_bpf_ecn_decap(sg, nsg, outer_ds);
		wg_bpf_rx_stats(peer, plain_len);
	}
	return ret;

out_unlock:
	rcu_read_unlock_bh();
	return ret;
}

/* The endpoint a data message came from, as wg_socket_endpoint_from_skb()
 * reads it, and the DS field, from the outer IP header at @nh and UDP
 * header at @uh.
 */
int wg_bpf_endpoint(struct endpoint *endpoint, u8 *ds, const void *nh,
		    const struct udphdr *uh, int ifindex)
{
	const struct ipv6hdr *ip6 = nh;
	const struct iphdr *ip4 = nh;

	memset(endpoint, 0, sizeof(*endpoint));
	if (ip4->version == 4) {
		endpoint->addr4.sin_family = AF_INET;
		endpoint->addr4.sin_port = uh->source;
		endpoint->addr4.sin_addr.s_addr = ip4->saddr;
		endpoint->src4.s_addr = ip4->daddr;
		endpoint->src_if4 = ifindex;
		*ds = ipv4_get_dsfield(ip4);
	} else if (IS_ENABLED(CONFIG_IPV6) && ip6->version == 6) {
		endpoint->addr6.sin6_family = AF_INET6;
		endpoint->addr6.sin6_port = uh->source;
		endpoint->addr6.sin6_addr = ip6->saddr;
		endpoint->addr6.sin6_scope_id =
			ipv6_iface_scope_id(&ip6->saddr, ifindex);
		endpoint->src6 = ip6->daddr;
		*ds = ipv6_get_dsfield(ip6);
	} else {
		return -EINVAL;
	}
	return 0;
}
