// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The WireGuard BPF kfunc authors. All Rights Reserved.
 *
 * Encryption and decryption of data messages in place, for the BPF
 * kfuncs, by the steps the queues of send.c and receive.c take: the same
 * keypairs, nonces, replay window, timers, handshake triggers and
 * statistics, so that a message handled here is indistinguishable from
 * one that went through the WireGuard netdev. What is left here is what
 * a BPF program's packet gives instead of an skb of the device's.
 */

#include "bpf.h"
#include "device.h"
#include "messages.h"
#include "noise.h"
#include "peer.h"
#include "peerlookup.h"
#include "queueing.h"
#include "timers.h"

#include <crypto/chacha20poly1305.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/scatterlist.h>
#include <net/dsfield.h>
#include <net/inet_ecn.h>
#include <net/ip_tunnels.h>

/* The first @len bytes of @sg in place, if its first entry holds them
 * (a linear packet), else NULL.
 */
static void *wg_bpf_sg_head(struct scatterlist *sg, u32 len)
{
	if (likely(sg->length >= len && !PageHighMem(sg_page(sg))))
		return sg_virt(sg);
	return NULL;
}

/* The first @len bytes of @sg, aligned for the IP header they hold: in
 * place, or copied to @buf.
 */
static void *wg_bpf_sg_peek(struct scatterlist *sg, int nsg, void *buf,
			    u32 len)
{
	void *head = wg_bpf_sg_head(sg, len);

	if (head && (IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS) ||
		     IS_ALIGNED((unsigned long)head, 4)))
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
 * reference: keypairs are freed after a grace period, so what they read
 * stays valid. One whose last reference is gone is on its way out and
 * refused, as wg_noise_keypair_get() would not hand it out; one that
 * loses it while in use here is used as the device uses a keypair whose
 * reference it took just before.
 */
static bool wg_bpf_keypair_live(struct noise_keypair *keypair)
{
	return keypair && kref_read(&keypair->refcount);
}

/* What wg_packet_create_data_done() and the socket do once a message of
 * @padded bytes of plaintext is out: the program sends it.
 */
static void wg_bpf_encrypted(struct wg_peer *peer, u32 padded)
{
	wg_packet_tx_sending(peer);
	atomic64_add(message_data_len(padded), &peer->tx_bytes);
	/* as udp_tunnel_xmit_skb() counts: from the inner network header */
	iptunnel_xmit_stats(peer->device->dev, noise_encrypted_len(padded));
	wg_packet_tx_sent(peer, padded != 0);
}

int wg_bpf_encrypt(struct wg_peer *peer, void *header,
		   struct scatterlist *sg, int nsg, u32 length, u32 padded)
{
	struct noise_keypair *keypair;
	struct message_data hdr;
	u64 nonce;

	if (unlikely(READ_ONCE(peer->is_dead)))
		return -ENOENT;

	rcu_read_lock_bh();
	keypair = rcu_dereference_bh(peer->keypairs.current_keypair);
	if (unlikely(!wg_bpf_keypair_live(keypair) ||
		     !wg_packet_tx_keypair_usable(keypair) ||
		     !wg_packet_tx_nonce(keypair, &nonce))) {
		rcu_read_unlock_bh();
		/* as wg_packet_send_staged_packets() does without a key */
		wg_packet_send_queued_handshake_initiation(peer, false);
		return -ENOKEY;
	}
	wg_bpf_pad(sg, nsg, length, padded);
	/* where the program put it: maybe not aligned */
	wg_packet_data_header(&hdr, keypair, nonce);
	memcpy(header, &hdr, sizeof(hdr));
	chacha20poly1305_encrypt_sg_inplace(sg, padded, NULL, 0, nonce,
					    keypair->sending.key);
	rcu_read_unlock_bh();
	wg_bpf_encrypted(peer, padded);
	return 0;
}

/* The keypair named by a data message's receiver index, if it is one of
 * @peer's and may still receive. Called under rcu_read_lock_bh().
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
	else if (unlikely(!wg_packet_rx_keypair_usable(*keypair)))
		ret = -EKEYEXPIRED;
	wg_peer_put(owner);
	return ret;
}

/* The checks wg_packet_consume_data_done() makes of a decrypted packet of
 * @len bytes: its length if it is an IPv4 or IPv6 packet that fits and
 * whose source is in @peer's AllowedIPs, else an errno.
 */
static int wg_bpf_check_inner(struct wg_peer *peer, struct scatterlist *sg,
			      int nsg, u32 len)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} buf;
	const struct iphdr *iph;

	if (unlikely(len < sizeof(buf.v4)))
		return wg_packet_rx_dishonest(peer, -EPROTO);
	iph = wg_bpf_sg_peek(sg, nsg, &buf, min_t(u32, sizeof(buf), len));
	if (unlikely(!iph || (iph->version == 6 && len < sizeof(buf.v6))))
		return wg_packet_rx_dishonest(peer, -EPROTO);
	return wg_packet_rx_check_inner(peer, iph, len);
}

/* As INET_ECN_decapsulate() in wg_packet_consume_data_done(): the same
 * decision (RFC 6040) and the same changes of the inner header, whose
 * checksums count as verified (no skb->csum to fix up). Only an outer CE
 * or ECT(1) can change it.
 */
static void wg_bpf_ecn_decapsulate(struct scatterlist *sg, int nsg,
				   u8 outer)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} buf;
	bool set_ce = false;
	struct iphdr *iph;
	__be32 *v6_word;
	u32 len;
	u8 inner;

	if (likely(!INET_ECN_is_ce(outer) &&
		   (outer & INET_ECN_MASK) != INET_ECN_ECT_1))
		return;
	/* wg_bpf_check_inner() found a whole IPv4 or IPv6 header there */
	iph = wg_bpf_sg_peek(sg, nsg, &buf, sizeof(buf.v4));
	if (!iph)
		return;
	v6_word = (__be32 *)iph;
	inner = iph->version == 4 ? iph->tos :
				    ipv6_get_dsfield((struct ipv6hdr *)iph);
	if (__INET_ECN_decapsulate(outer, inner, &set_ce))
		return;
	if (iph->version == 4) {
		if (!(set_ce ? IP_ECN_set_ce(iph) :
			       (outer & INET_ECN_MASK) == INET_ECN_ECT_1 &&
			       IP_ECN_set_ect1(iph)))
			return;
		len = sizeof(*iph);
	} else {
		/* IP6_ECN_set_ce() and IP6_ECN_set_ect1() on the first word */
		if (set_ce)
			*v6_word |= htonl(INET_ECN_CE << 20);
		else if ((outer & INET_ECN_MASK) == INET_ECN_ECT_1 &&
			 (inner & INET_ECN_MASK) == INET_ECN_ECT_0)
			*v6_word ^= htonl(INET_ECN_MASK << 20);
		else
			return;
		len = sizeof(*v6_word);
	}
	if (iph == (void *)&buf)
		sg_pcopy_from_buffer(sg, nsg, &buf, len, 0);
}

int wg_bpf_decrypt(struct wg_peer *peer, const void *header,
		   struct scatterlist *sg, int nsg, u32 enc_len,
		   const struct endpoint *endpoint, u8 outer_ds)
{
	u32 plain_len = enc_len - noise_encrypted_len(0);
	struct noise_keypair *keypair;
	struct message_data hdr;
	const u8 *key;
	u64 nonce;
	int ret;

	/* where the program found it: maybe not aligned */
	memcpy(&hdr, header, sizeof(hdr));
	if (unlikely(hdr.header.type != cpu_to_le32(MESSAGE_DATA)))
		return -ENOMSG;
	if (unlikely(READ_ONCE(peer->is_dead)))
		return -ENOENT;
	rcu_read_lock_bh();
	ret = wg_bpf_rx_keypair(peer, hdr.key_idx, &keypair);
	if (ret) {
		rcu_read_unlock_bh();
		return ret;
	}

	/* authenticate first, then the replay window the queues use too */
	nonce = le64_to_cpu(hdr.counter);
	key = keypair->receiving.key;
	if (unlikely(!chacha20poly1305_decrypt_sg_inplace(sg, enc_len, NULL, 0,
							  nonce, key))) {
		ret = -EBADMSG;
		goto out_unlock;
	}
	if (unlikely(!wg_counter_validate(&keypair->receiving_counter,
					  nonce))) {
		ret = -ESTALE;
		goto out_unlock;
	}
	wg_packet_rx_authenticated(peer, keypair, endpoint);
	rcu_read_unlock_bh();

	/* A packet with length 0 is a keepalive packet */
	if (unlikely(!plain_len)) {
		wg_packet_rx_stats(peer, message_data_len(0));
		return 0;
	}
	wg_timers_data_received(peer);
	ret = wg_bpf_check_inner(peer, sg, nsg, plain_len);
	if (unlikely(ret < 0))
		goto out_zero;
	wg_bpf_ecn_decapsulate(sg, nsg, outer_ds);
	wg_packet_rx_stats(peer, message_data_len(plain_len));
	return 0;

out_unlock:
	rcu_read_unlock_bh();
out_zero:
	/* The device drops what it decrypted for nothing. Here the packet
	 * stays the program's: it must not read a plaintext that was not
	 * authentic, was replayed or was refused.
	 */
	sg_zero_buffer(sg, nsg, enc_len, 0);
	return ret;
}
