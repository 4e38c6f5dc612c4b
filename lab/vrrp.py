#!/usr/bin/env python3
"""Forge VRRPv3 adverts (RFC 5798), for the drill that proves a balancer
hears its declared peers only.

Runs anywhere Python 3 runs, with the standard library only: the drill
pipes it to a lab host that is not a balancer (`docker exec CLIENT python3 -c
SOURCE --dst ... --vrid ... --vip ...`), which needs CAP_NET_RAW (the lab's
containers have it). Each advert goes to --dst (unicast, as the lab's
balancers advertise) with IP TTL 255 and a correct checksum, claiming
--priority for --vrid and its --vip addresses: what a rogue or misconfigured
host on the segment would send. Bounded by --count and --interval.
"""
from __future__ import annotations

import argparse
import ipaddress
import socket
import struct
import sys
import time
from collections.abc import Sequence

PROTO_VRRP = 112


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def advert(src: str, dst: str, vrid: int, priority: int, vips: Sequence[str], interval_cs: int = 10) -> bytes:
    """One VRRPv3 advert for IPv4: version 3, type 1, the addresses of the
    virtual router, the checksum over an IPv4 pseudo-header and the message."""
    if not 1 <= vrid <= 255 or not 0 <= priority <= 255 or not 0 < interval_cs < 4096 or not vips:
        raise ValueError("vrid 1-255, priority 0-255, interval 1-4095 centiseconds and at least one address")
    addresses = b"".join(ipaddress.IPv4Address(v).packed for v in vips)
    body = struct.pack("!BBBBHH", 0x31, vrid, priority, len(vips), interval_cs & 0x0FFF, 0) + addresses
    pseudo = ipaddress.IPv4Address(src).packed + ipaddress.IPv4Address(dst).packed + struct.pack(
        "!BBH", 0, PROTO_VRRP, len(body))
    return body[:6] + struct.pack("!H", checksum(pseudo + body)) + body[8:]


def send(src: str, dst: str, vrid: int, priority: int, vips: Sequence[str], count: int, interval: float) -> int:
    """Send count adverts, interval seconds apart; return how many went out."""
    if not 0 < count <= 1000 or not 0.01 <= interval <= 10:
        raise ValueError("count 1-1000 and interval 0.01-10 s")
    packet = advert(src, dst, vrid, priority, vips)
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, PROTO_VRRP) as s:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
        s.bind((src, 0))
        for _ in range(count):
            s.sendto(packet, (dst, 0))
            time.sleep(interval)
    return count


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="forge bounded VRRPv3 adverts (a drill's rogue peer)")
    p.add_argument("--src", required=True, help="this host's address (the adverts' source)")
    p.add_argument("--dst", required=True, help="the balancer to send them to")
    p.add_argument("--vrid", type=int, required=True)
    p.add_argument("--priority", type=int, default=254)
    p.add_argument("--vip", action="append", required=True, help="an address of the virtual router (repeat)")
    p.add_argument("--count", type=int, default=30)
    p.add_argument("--interval", type=float, default=0.1)
    a = p.parse_args(argv)
    try:
        sent = send(a.src, a.dst, a.vrid, a.priority, a.vip, a.count, a.interval)
    except ValueError as exc:
        p.error(str(exc))
    print(sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
