#!/usr/bin/env python3
"""Watch one name on several name servers from inside a lab host, until an
address has left (or joined) every server's answer: the seconds a client on
the lab network waited, to a few hundredths.

Polling with `docker exec dig` from outside costs 60-100 ms per query, one
server after the other, which hid the withdrawal's real time behind the
measurement's own. This runs where dig would (`docker exec CLIENT python3 -c
SOURCE ...`, lab/dig.py's watch), asks every server every --interval
seconds over UDP, and prints one line per server as it first agrees:

    10.213.0.21 1796533374.512

(the epoch time of that answer; the lab's hosts share the machine's clock).
Only an answer counts (NOERROR or NXDOMAIN): a timeout or SERVFAIL says
nothing about the zone. Standard library only; bounded by --timeout.
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import select
import socket
import struct
import sys
import time
from collections.abc import Sequence

TYPES = {"A": 1, "AAAA": 28}
ANSWER_RCODES = (0, 3)  # NOERROR, NXDOMAIN


def query(name: str, rtype: str, qid: int) -> bytes:
    """A query for name's rtype records, recursion not desired."""
    labels = [part for part in name.rstrip(".").split(".") if part]
    if not labels or any(len(p) > 63 for p in labels):
        raise ValueError(f"{name!r} is not a domain name")
    qname = b"".join(bytes([len(p)]) + p.encode("ascii") for p in labels) + b"\0"
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + qname + struct.pack("!HH", TYPES[rtype], 1)


def _skip_name(packet: bytes, at: int) -> int:
    """The offset just past the (possibly compressed) name starting at `at`."""
    while True:
        length = packet[at]
        if length == 0:
            return at + 1
        if length & 0xC0 == 0xC0:
            return at + 2
        at += 1 + length


def addresses(packet: bytes, qid: int, rtype: str) -> list[str] | None:
    """The rtype addresses of an answer to query qid; None when the packet is
    no answer to it (another id, not a response, an rcode other than NOERROR
    or NXDOMAIN, or cut short)."""
    try:
        rid, flags, qdcount, ancount = struct.unpack("!HHHH", packet[:8])
        if rid != qid or not flags & 0x8000 or flags & 0x000F not in ANSWER_RCODES:
            return None
        at = 12
        for _ in range(qdcount):
            at = _skip_name(packet, at) + 4
        out = []
        for _ in range(ancount):
            at = _skip_name(packet, at)
            kind, _cls, _ttl, size = struct.unpack("!HHIH", packet[at:at + 10])
            data = packet[at + 10:at + 10 + size]
            if len(data) != size:
                return None
            if kind == TYPES[rtype]:
                out.append(str(ipaddress.ip_address(data)))
            at += 10 + size
        return out
    except (IndexError, struct.error, ValueError):
        return None


def watch(servers: Sequence[str], name: str, rtype: str, address: str, present: bool, interval: float,
          timeout: float, port: int = 53) -> dict[str, float]:
    """Ask every server every interval seconds until address is in (present)
    or out of each one's answer; {server: epoch time of that answer}. Stops
    at timeout, with the servers seen so far."""
    left, seen = list(servers), {}
    family = socket.AF_INET6 if ":" in servers[0] else socket.AF_INET
    deadline = time.monotonic() + timeout
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        while left and time.monotonic() < deadline:
            started = time.monotonic()
            ids = {}
            for server in left:
                qid = int.from_bytes(os.urandom(2), "big")
                ids[qid] = server
                sock.sendto(query(name, rtype, qid), (server, port))
            end = started + max(interval, 0.2)
            while ids and time.monotonic() < end:
                ready, _, _ = select.select([sock], [], [], max(0.0, end - time.monotonic()))
                if not ready:
                    break
                packet = sock.recv(4096)
                qid = int.from_bytes(packet[:2], "big") if len(packet) >= 2 else -1
                server = ids.get(qid)
                got = addresses(packet, qid, rtype) if server else None
                if got is None:
                    continue
                del ids[qid]
                if (address in got) == present:
                    seen[server] = time.time()
                    left.remove(server)
                    print(f"{server} {seen[server]:.3f}", flush=True)
            time.sleep(max(0.0, started + interval - time.monotonic()))
    return seen


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dnswatch")
    p.add_argument("--servers", required=True, help="comma-separated server addresses")
    p.add_argument("--name", required=True)
    p.add_argument("--type", default="A", choices=sorted(TYPES))
    p.add_argument("--address", required=True)
    p.add_argument("--present", action="store_true", help="wait for the address to join (default: to leave)")
    p.add_argument("--interval", type=float, default=0.02)
    p.add_argument("--timeout", type=float, default=20)
    args = p.parse_args(argv)
    if not 0.005 <= args.interval <= 5 or not 0 < args.timeout <= 120:
        p.error("--interval 0.005-5 s and --timeout up to 120 s")
    servers = [s for s in args.servers.split(",") if s]
    seen = watch(servers, args.name, args.type, args.address, args.present, args.interval, args.timeout)
    return 0 if len(seen) == len(servers) else 1


if __name__ == "__main__":
    sys.exit(main())
