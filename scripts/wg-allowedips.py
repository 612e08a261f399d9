#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Stands in for `wg` in the guest where Debian's wireguard-tools
(1.0.20210914) is older than what netns.sh asks of it.

Linux 7.3's netns.sh removes single allowed IPs with the syntax of
wireguard-tools 1.0.20250521, `wg set DEV peer KEY allowed-ips -A/N,...`,
which Debian 12's wg (and trixie's) parses as an address and refuses.
This sends exactly what the newer wg sends, WG_CMD_SET_DEVICE with
WGALLOWEDIP_F_REMOVE_ME per address, so the kernel's own removal is what
netns.sh tests. Every other command goes to the real wg unchanged.

    wg-allowedips.py ARGS...     (installed as `wg` first in PATH)
"""
import base64
import ipaddress
import os
import socket
import struct
import sys

REAL_WG = "/usr/bin/wg"
NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLMSG_ERROR = 0x2
NLA_F_NESTED = 0x8000
WG_CMD_SET_DEVICE = 1
WGDEVICE_A_IFNAME = 2
WGDEVICE_A_PEERS = 8
WGPEER_A_PUBLIC_KEY = 1
WGPEER_A_ALLOWEDIPS = 9
WGALLOWEDIP_A_FAMILY = 1
WGALLOWEDIP_A_IPADDR = 2
WGALLOWEDIP_A_CIDR_MASK = 3
WGALLOWEDIP_A_FLAGS = 4
WGALLOWEDIP_F_REMOVE_ME = 1


def attr(kind, payload):
    """One netlink attribute, padded to 4 bytes."""
    head = struct.pack("=HH", 4 + len(payload), kind)
    return head + payload + b"\0" * (-len(payload) % 4)


def nest(kind, payload):
    return attr(kind | NLA_F_NESTED, payload)


def request(sock, family, cmd, payload):
    """Send one generic netlink request; returns the reply messages."""
    genl = struct.pack("=BBH", cmd, 1, 0)
    msg = genl + payload
    head = struct.pack("=IHHII", 16 + len(msg), family,
                       NLM_F_REQUEST | NLM_F_ACK, 1, 0)
    sock.send(head + msg)
    replies = []
    while True:
        data = sock.recv(65536)
        off = 0
        while off < len(data):
            length, kind, _, _, _ = struct.unpack_from("=IHHII", data, off)
            body = data[off + 16:off + length]
            if kind == NLMSG_ERROR:
                err = struct.unpack_from("=i", body)[0]
                if err:
                    raise OSError(-err, os.strerror(-err))
                return replies
            replies.append(body)
            off += (length + 3) & ~3


def family_id(sock, name):
    body = request(sock, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                   attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))[0]
    off = 4
    while off < len(body):
        length, kind = struct.unpack_from("=HH", body, off)
        if kind == CTRL_ATTR_FAMILY_ID:
            return struct.unpack_from("=H", body, off + 4)[0]
        off += (length + 3) & ~3
    raise OSError(f"no generic netlink family {name}")


def allowedip(spec):
    net = ipaddress.ip_network(spec, strict=False)
    fam = socket.AF_INET if net.version == 4 else socket.AF_INET6
    return nest(0, attr(WGALLOWEDIP_A_FAMILY, struct.pack("=H", fam)) +
                attr(WGALLOWEDIP_A_IPADDR, net.network_address.packed) +
                attr(WGALLOWEDIP_A_CIDR_MASK, bytes([net.prefixlen])) +
                attr(WGALLOWEDIP_A_FLAGS,
                     struct.pack("=I", WGALLOWEDIP_F_REMOVE_ME)))


def remove(dev, key, specs):
    ips = b"".join(allowedip(s) for s in specs)
    peer = nest(0, attr(WGPEER_A_PUBLIC_KEY, base64.b64decode(key)) +
                nest(WGPEER_A_ALLOWEDIPS, ips))
    payload = (attr(WGDEVICE_A_IFNAME, dev.encode() + b"\0") +
               nest(WGDEVICE_A_PEERS, peer))
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                       NETLINK_GENERIC) as sock:
        request(sock, family_id(sock, "wireguard"), WG_CMD_SET_DEVICE,
                payload)


def main(argv):
    # wg set DEV peer KEY allowed-ips -A/N,-B/M
    if (len(argv) == 6 and argv[0] == "set" and argv[2] == "peer" and
            argv[4] == "allowed-ips" and
            all(s.startswith("-") for s in argv[5].split(","))):
        try:
            remove(argv[1], argv[3], [s[1:] for s in argv[5].split(",")])
        except (OSError, ValueError) as err:
            print(f"wg-allowedips: {err}", file=sys.stderr)
            return 1
        return 0
    os.execv(REAL_WG, [REAL_WG] + argv)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
