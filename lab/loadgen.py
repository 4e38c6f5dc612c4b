#!/usr/bin/env python3
"""A bounded load generator that counts every request's outcome.

Runs anywhere Python 3 runs, with the standard library only: the drills pipe
it to the lab's client container (`docker exec CLIENT python3 -c SOURCE ...`).
Each request opens a new connection, as a first visit would. Targets are
URLs, and their scheme says what one request is:

    http://HOST[:PORT]/PATH            a GET; ok on a 2xx status (a redirect
    https://HOST[:PORT]/PATH           is not the page asked for). https
                                       checks the server's certificate against
                                       the system's trusted CAs and HOST. A host
                                       name is resolved anew for each request:
                                       with --resolve all (the default) the
                                       client tries each address in turn, as
                                       browsers do; with --resolve first, only
                                       the first (answer then holds it)
    dns://SERVER[:PORT]/NAME           one UDP query for NAME's A records (no
                                       recursion asked); ok on NOERROR with
                                       at least one record
    redis://[[USER]:PASSWORD@]HOST[:PORT]
                                       AUTH when a password is given, then
                                       PING; ok on +PONG
    tcp://HOST:PORT                    a TCP connect; ok when accepted

and each request ends in exactly one outcome:

    ok           the service answered as a healthy one does
    bad_answer   it answered, with an error: HTTP 300 or more, a DNS rcode
                 other than NOERROR or no record, a Redis error reply
    timeout      no answer within --timeout seconds
    refused      the connection was refused (nothing listening)
    unreachable  no route to the host
    reset        the connection was reset or closed mid-request
    error        anything else (the message is recorded)

Requests go round-robin over the --target list. The run is bounded three
ways: --count requests at most, --duration seconds at most, and it ends early
when --stop-file appears. One JSON line per request goes to stdout at the
end: {"i", "target", "t0", "t1", "outcome", "status", "node", "answer",
"error", "digest"}, times in seconds since the epoch (containers share the
host's clock). status is the HTTP status or the DNS rcode; node is the first
--header the HTTP answer carries (who served it); answer is what a DNS or
Redis answer said (the A records, sorted and comma-joined; the reply line);
digest, with --digest, is the SHA-256 of an HTTP answer's body (what the
client got, to tell a whole file from a partial one).

`loadgen.py watch --servers S1,S2 --name NAME --address ADDR [--present]`
is the DNS drills' stopwatch: it asks every server every --interval (20 ms)
over UDP, from where a client sits, and prints "SERVER EPOCH-TIME" as each
server's answer first lacks ADDR (or, with --present, holds it). Only an
answer counts (NOERROR or NXDOMAIN); a timeout or SERVFAIL says nothing
about the zone. Asking with `docker exec dig` from outside costs 60-100 ms a
query, one server after the other, and hid the real time behind its own.
"""
from __future__ import annotations

import argparse
import errno
import hashlib
import http.client
import ipaddress
import json
import os
import random
import select
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any

OUTCOMES = ("ok", "bad_answer", "timeout", "refused", "unreachable", "reset", "error")
SCHEMES = ("http", "https", "dns", "redis", "tcp")
DEFAULT_PORTS = {"http": 80, "https": 443, "dns": 53, "redis": 6379}
MAX_COUNT = 1_000_000
MAX_DURATION = 600.0


def classify(exc: BaseException) -> str:
    """Map a failed request's exception to an outcome name."""
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected,
                        http.client.IncompleteRead, ConnectionAbortedError)):
        return "reset"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN):
        return "unreachable"
    return "error"


def parse_target(target: str) -> urllib.parse.SplitResult:
    """Split a target URL; raise ValueError for an unknown scheme or no host."""
    parts = urllib.parse.urlsplit(target)
    if parts.scheme not in SCHEMES:
        raise ValueError(f"target {target!r}: the scheme must be one of {', '.join(SCHEMES)}")
    if not parts.hostname:
        raise ValueError(f"target {target!r} names no host")
    if parts.scheme == "tcp" and not parts.port:
        raise ValueError(f"target {target!r}: a tcp target needs a port")
    if parts.scheme == "dns" and not parts.path.strip("/"):
        raise ValueError(f"target {target!r}: a dns target needs a name to ask for (dns://SERVER/NAME)")
    return parts


def _port(parts: urllib.parse.SplitResult) -> int:
    return parts.port or DEFAULT_PORTS[parts.scheme]


_TLS: dict[str, ssl.SSLContext] = {}


class _HTTPSTo(http.client.HTTPSConnection):
    """HTTPS to one address, checking the certificate against the URL's name."""

    def __init__(self, address: str, port: int, server_name: str, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout, context=tls_context())
        self.server_name = server_name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = tls_context().wrap_socket(self.sock, server_hostname=self.server_name)


def tls_context() -> ssl.SSLContext:
    """One client TLS context per process: the system's trusted CAs, names checked."""
    if "default" not in _TLS:
        _TLS["default"] = ssl.create_default_context()
    return _TLS["default"]


def probe_http(parts: urllib.parse.SplitResult, timeout: float, headers: Sequence[str], rec: dict[str, Any],
               resolve: str = "all", digest: bool = False) -> None:
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = str(parts.hostname)
    if resolve == "first":
        host = socket.getaddrinfo(parts.hostname, _port(parts), socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
        rec["answer"] = host
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = _HTTPSTo(host, _port(parts), str(parts.hostname), timeout)
    else:
        conn = http.client.HTTPConnection(host, _port(parts), timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": parts.netloc, "Connection": "close", "User-Agent": "webfarm-loadgen"})
        resp = conn.getresponse()
        body = resp.read()
        if digest:
            rec["digest"] = hashlib.sha256(body).hexdigest()
        rec["status"] = resp.status
        rec["node"] = next((resp.getheader(h) for h in headers if resp.getheader(h) is not None), None)
        rec["outcome"] = "ok" if 200 <= resp.status < 300 else "bad_answer"
    finally:
        conn.close()


DNS_TYPES = {"A": 1, "AAAA": 28}
DNS_ANSWER_RCODES = (0, 3)  # NOERROR, NXDOMAIN: the zone spoke


def dns_query(qid: int, name: str, rtype: str = "A") -> bytes:
    """A DNS query for NAME's rtype (A or AAAA) records, without recursion desired."""
    labels = [label for label in name.strip(".").split(".") if label]
    if not labels or any(len(label) > 63 for label in labels):
        raise ValueError(f"{name!r} is not a DNS name")
    if rtype not in DNS_TYPES:
        raise ValueError(f"record type {rtype!r} is not one of {', '.join(DNS_TYPES)}")
    qname = b"".join(bytes([len(label)]) + label.encode("ascii") for label in labels) + b"\0"
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + qname + struct.pack("!HH", DNS_TYPES[rtype], 1)


def _skip_name(data: bytes, pos: int) -> int:
    """The offset just past the (possibly compressed) name starting at pos."""
    while True:
        length = data[pos]
        if length & 0xC0 == 0xC0:  # a compression pointer ends the name
            return pos + 2
        if length == 0:
            return pos + 1
        pos += 1 + length


def dns_answer(qid: int, data: bytes, rtype: str = "A") -> tuple[int, list[str]]:
    """(rcode, rtype records in address order) of a DNS response to query
    qid. ValueError when data is no response to it: too short, cut, not a
    response, or another query's."""
    if len(data) < 12:
        raise ValueError("short DNS response")
    rid, flags, qdcount, ancount, _, _ = struct.unpack("!HHHHHH", data[:12])
    if rid != qid:
        raise ValueError(f"DNS response id {rid} does not match the query's {qid}")
    if not flags & 0x8000:
        raise ValueError("DNS packet is a query, not a response")
    size = 16 if rtype == "AAAA" else 4
    addresses = []
    try:
        pos = 12
        for _ in range(qdcount):
            pos = _skip_name(data, pos) + 4
        for _ in range(ancount):
            pos = _skip_name(data, pos)
            kind, _, _, rdlength = struct.unpack("!HHIH", data[pos:pos + 10])
            pos += 10
            if kind == DNS_TYPES[rtype] and rdlength == size:
                if pos + size > len(data):
                    raise ValueError("DNS response cut short")
                addresses.append(ipaddress.ip_address(data[pos:pos + size]))
            pos += rdlength
    except (IndexError, struct.error) as exc:
        raise ValueError("DNS response cut short") from exc
    return flags & 0xF, [str(a) for a in sorted(addresses)]


def watch_dns(servers: Sequence[str], name: str, address: str, present: bool, interval: float, timeout: float,
              rtype: str = "A", port: int = 53) -> dict[str, float]:
    """Ask every server every interval seconds until address is in (present)
    or out of its answer; {server: epoch time of that answer}, printed as
    "SERVER TIME" lines as each agrees. Only an answer counts (NOERROR or
    NXDOMAIN): silence or a SERVFAIL says nothing about the zone. Stops at
    timeout with the servers seen so far."""
    left, seen = list(servers), {}
    family = socket.AF_INET6 if ":" in servers[0] else socket.AF_INET
    deadline = time.monotonic() + timeout
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        while left and time.monotonic() < deadline:
            started = time.monotonic()
            ids = {}
            for server in left:
                qid = random.randrange(1 << 16)
                ids[qid] = server
                sock.sendto(dns_query(qid, name, rtype), (server, port))
            end = started + max(interval, 0.2)
            while ids and time.monotonic() < end:
                ready, _, _ = select.select([sock], [], [], max(0.0, end - time.monotonic()))
                if not ready:
                    break
                packet = sock.recv(4096)
                qid = int.from_bytes(packet[:2], "big") if len(packet) >= 2 else -1
                if qid not in ids:
                    continue
                try:
                    rcode, got = dns_answer(qid, packet, rtype)
                except ValueError:
                    continue
                server = ids.pop(qid)
                if rcode in DNS_ANSWER_RCODES and (address in got) == present:
                    seen[server] = time.time()
                    left.remove(server)
                    print(f"{server} {seen[server]:.3f}", flush=True)
            time.sleep(max(0.0, started + interval - time.monotonic()))
    return seen


def probe_dns(parts: urllib.parse.SplitResult, timeout: float, rec: dict[str, Any]) -> None:
    qid = random.randrange(1 << 16)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((parts.hostname, _port(parts)))
        sock.send(dns_query(qid, parts.path.strip("/")))
        rcode, addresses = dns_answer(qid, sock.recv(4096))
    rec["status"] = rcode
    rec["answer"] = ",".join(addresses)
    rec["outcome"] = "ok" if rcode == 0 and addresses else "bad_answer"


def _redis_command(*args: str) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        raw = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


def probe_redis(parts: urllib.parse.SplitResult, timeout: float, rec: dict[str, Any]) -> None:
    with socket.create_connection((parts.hostname, _port(parts)), timeout=timeout) as sock:
        reader = sock.makefile("rb")
        if parts.password is not None:
            auth = ("AUTH", parts.username, parts.password) if parts.username else ("AUTH", parts.password)
            sock.sendall(_redis_command(*[urllib.parse.unquote(a) for a in auth]))
            line = reader.readline().decode(errors="replace").strip()
            if line != "+OK":
                rec["answer"], rec["outcome"] = line, ("bad_answer" if line else "reset")
                return
        sock.sendall(_redis_command("PING"))
        line = reader.readline().decode(errors="replace").strip()
    rec["answer"] = line
    rec["outcome"] = "ok" if line == "+PONG" else ("bad_answer" if line else "reset")


def probe_tcp(parts: urllib.parse.SplitResult, timeout: float, rec: dict[str, Any]) -> None:
    with socket.create_connection((parts.hostname, _port(parts)), timeout=timeout):
        rec["outcome"] = "ok"


def request(target: str, timeout: float, headers: Sequence[str] = ("X-Served-By",), resolve: str = "all",
            digest: bool = False) -> dict[str, Any]:
    """One request to target on a new connection; never raises."""
    rec: dict[str, Any] = {"target": target, "t0": time.time(), "status": None, "node": None,
                           "answer": None, "error": None, "digest": None}
    try:
        parts = parse_target(target)
        if parts.scheme in ("http", "https"):
            probe_http(parts, timeout, headers, rec, resolve, digest)
        elif parts.scheme == "dns":
            probe_dns(parts, timeout, rec)
        elif parts.scheme == "redis":
            probe_redis(parts, timeout, rec)
        else:
            probe_tcp(parts, timeout, rec)
    except Exception as exc:  # noqa: BLE001 - every failure is an outcome to count
        rec["outcome"] = classify(exc)
        rec["error"] = f"{type(exc).__name__}: {exc}"
    rec["t1"] = time.time()
    return rec


def run(targets: list[str], count: int, duration: float, timeout: float = 1.0, interval: float = 0.0,
        workers: int = 1, headers: Sequence[str] = ("X-Served-By",), stop_file: str | None = None,
        resolve: str = "all", digest: bool = False, pace: float = 0.0) -> list[dict[str, Any]]:
    """Send at most count requests for at most duration seconds; return their records in order.

    Closed loop by default: each worker sends its next request when the last
    one has ended (and interval has passed). With pace, open loop: request i
    leaves at start + i * pace whatever the others are doing, as independent
    users' requests would, so a request stuck on a lost SYN holds up no
    other; enough workers to cover the timeout are then required."""
    if resolve not in ("all", "first"):
        raise ValueError("resolve must be all or first")
    if not targets:
        raise ValueError("at least one target is needed")
    for target in targets:
        parse_target(target)
    if not 0 < count <= MAX_COUNT:
        raise ValueError(f"count must be 1-{MAX_COUNT}")
    if not 0 < duration <= MAX_DURATION:
        raise ValueError(f"duration must be more than 0 and at most {MAX_DURATION} s")
    if not 1 <= workers <= 64:
        raise ValueError("workers must be 1-64")
    if pace and (interval or not 0.005 <= pace <= 5):
        raise ValueError("pace must be 0.005-5 s, and without interval")
    if pace and workers < timeout / pace + 1:
        raise ValueError(f"pace {pace} s with a {timeout} s timeout needs at least {int(timeout / pace) + 1} workers "
                         "(one per request that may be waiting)")
    start = time.monotonic()
    deadline = start + duration
    lock = threading.Lock()
    issued = 0
    records: list[dict[str, Any]] = []

    def take() -> int | None:
        nonlocal issued
        with lock:
            if issued >= count or time.monotonic() >= deadline:
                return None
            if stop_file and os.path.exists(stop_file):
                return None
            issued += 1
            return issued - 1

    def worker() -> None:
        while (i := take()) is not None:
            if pace:
                time.sleep(max(0.0, start + i * pace - time.monotonic()))
            rec = request(targets[i % len(targets)], timeout, headers, resolve, digest)
            rec["i"] = i
            with lock:
                records.append(rec)
            if interval:
                time.sleep(interval)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + timeout + 5)
    return sorted(records, key=lambda r: r["i"])


def watch_main(argv: Sequence[str]) -> int:
    """`loadgen.py watch ...`: time an address leaving (or joining) a name's
    answer on each server; exit 1 unless every server agreed in time."""
    p = argparse.ArgumentParser(prog="loadgen.py watch", description="time an address leaving each server's answer")
    p.add_argument("--servers", required=True, help="comma-separated server addresses")
    p.add_argument("--name", required=True)
    p.add_argument("--type", default="A", choices=sorted(DNS_TYPES))
    p.add_argument("--address", required=True)
    p.add_argument("--present", action="store_true", help="wait for the address to join (default: to leave)")
    p.add_argument("--interval", type=float, default=0.02)
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("--port", type=int, default=53)
    a = p.parse_args(argv)
    if not 0.005 <= a.interval <= 5 or not 0 < a.timeout <= 120:
        p.error("--interval 0.005-5 s and --timeout up to 120 s")
    servers = [s for s in a.servers.split(",") if s]
    if not servers:
        p.error("--servers names no server")
    seen = watch_dns(servers, a.name, a.address, a.present, a.interval, a.timeout, a.type, a.port)
    return 0 if len(seen) == len(servers) else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["watch"]:
        return watch_main(argv[1:])
    p = argparse.ArgumentParser(description="bounded load that counts every request's outcome")
    p.add_argument("--target", action="append", required=True,
                   help="http://, dns://, redis:// or tcp:// URL; repeat for round-robin")
    p.add_argument("--count", type=int, required=True, help="most requests to send")
    p.add_argument("--duration", type=float, required=True, help="most seconds to run")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each answer")
    p.add_argument("--interval", type=float, default=0.0, help="pause after each request, per worker")
    p.add_argument("--workers", type=int, default=1, help="requests in flight at once")
    p.add_argument("--pace", type=float, default=0.0,
                   help="open loop: request i leaves at start + i * pace s, whatever the others do")
    p.add_argument("--header", action="append", help="HTTP response header naming the node (repeat: first found wins)")
    p.add_argument("--stop-file", help="end the run early once this file exists")
    p.add_argument("--resolve", choices=("all", "first"), default="all",
                   help="HTTP by name: try every address in turn (all), or the first only (first)")
    p.add_argument("--digest", action="store_true", help="record the SHA-256 of every HTTP answer's body")
    a = p.parse_args(argv)
    try:
        records = run(a.target, a.count, a.duration, a.timeout, a.interval, a.workers,
                      tuple(a.header or ("X-Served-By",)), a.stop_file, a.resolve, a.digest, a.pace)
    except ValueError as exc:
        p.error(str(exc))
    out = sys.stdout
    for rec in records:
        out.write(json.dumps(rec, sort_keys=True) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
