#!/usr/bin/env python3
"""A bounded HTTP load generator that counts every request's outcome.

Runs anywhere Python 3 runs, with the standard library only: the drills pipe
it to the lab's client container (`docker exec CLIENT python3 -c SOURCE ...`). Each
request opens a new connection, as a browser's first visit would, and ends
in exactly one outcome:

    ok           an HTTP answer below 400
    http_error   an HTTP answer of 400 or more (the status is recorded)
    timeout      no answer within --timeout seconds
    refused      the connection was refused (nothing listening)
    unreachable  no route to the host
    reset        the connection was reset or closed mid-request
    error        anything else (the message is recorded)

Requests go round-robin over the --url list. The run is bounded three ways:
--count requests at most, --duration seconds at most, and it ends early when
--stop-file appears. One JSON line per request goes to stdout at the end:
{"i", "url", "t0", "t1", "outcome", "status", "node", "error"}, times in
seconds since the epoch (containers share the host's clock).
"""
from __future__ import annotations

import argparse
import errno
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from typing import Any

OUTCOMES = ("ok", "http_error", "timeout", "refused", "unreachable", "reset", "error")
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


def request(url: str, timeout: float, header: str) -> dict[str, Any]:
    """One GET on a new connection; never raises."""
    parts = urllib.parse.urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    rec: dict[str, Any] = {"url": url, "t0": time.time(), "status": None, "node": None, "error": None}
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close", "User-Agent": "webfarm-loadgen"})
        resp = conn.getresponse()
        resp.read()
        rec["status"] = resp.status
        rec["node"] = resp.getheader(header)
        rec["outcome"] = "ok" if resp.status < 400 else "http_error"
    except Exception as exc:  # noqa: BLE001 - every failure is an outcome to count
        rec["outcome"] = classify(exc)
        rec["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
    rec["t1"] = time.time()
    return rec


def run(urls: list[str], count: int, duration: float, timeout: float = 1.0, interval: float = 0.0,
        workers: int = 1, header: str = "X-Served-By", stop_file: str | None = None) -> list[dict[str, Any]]:
    """Send at most count requests for at most duration seconds; return their records in order."""
    if not urls:
        raise ValueError("at least one URL is needed")
    if not 0 < count <= MAX_COUNT:
        raise ValueError(f"count must be 1-{MAX_COUNT}")
    if not 0 < duration <= MAX_DURATION:
        raise ValueError(f"duration must be more than 0 and at most {MAX_DURATION} s")
    if not 1 <= workers <= 64:
        raise ValueError("workers must be 1-64")
    deadline = time.monotonic() + duration
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
            rec = request(urls[i % len(urls)], timeout, header)
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="bounded HTTP load that counts every request's outcome")
    p.add_argument("--url", action="append", required=True, help="target URL; repeat for round-robin")
    p.add_argument("--count", type=int, required=True, help="most requests to send")
    p.add_argument("--duration", type=float, required=True, help="most seconds to run")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each answer")
    p.add_argument("--interval", type=float, default=0.0, help="pause after each request, per worker")
    p.add_argument("--workers", type=int, default=1, help="requests in flight at once")
    p.add_argument("--header", default="X-Served-By", help="response header naming the node")
    p.add_argument("--stop-file", help="end the run early once this file exists")
    a = p.parse_args(argv)
    try:
        records = run(a.url, a.count, a.duration, a.timeout, a.interval, a.workers, a.header, a.stop_file)
    except ValueError as exc:
        p.error(str(exc))
    out = sys.stdout
    for rec in records:
        out.write(json.dumps(rec, sort_keys=True) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
