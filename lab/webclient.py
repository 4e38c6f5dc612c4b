"""HTTP from the lab's client, as a browser or curl user would send it.

    served_by(client, url, 30, "X-Served-By")              -> ["web1", "web2", ...]
    served_by(client, url, 10, header, cookies=True)        -> one cookie jar for the run
    served_by(client, url, 10, header, source="10.213.3.101") -> from another client address
    get(client, url, auth=("admin", "pw"))                  -> (status, headers, body)

Each call is one `docker exec` running curl in a loop, so many requests
cost one round trip from the test.
"""
from __future__ import annotations

import re
import shlex
import urllib.parse

from lab import hosts
from lab.inventory import Host


def served_by(client: Host, url: str, count: int, header: str, cookies: bool = False,
              source: str | None = None, timeout: float = 5) -> list[str]:
    """The header's value of each of `count` requests to url ('' when absent,
    'failed' when the request failed)."""
    if not 0 < count <= 1000:
        raise ValueError("count must be 1 to 1000")
    opts = ["-sS", "-o", "/dev/null", "-D", "-", "-m", str(timeout)]
    if cookies:
        opts += ["-b", "$JAR", "-c", "$JAR"]
    if source:
        opts += ["--interface", source]
    curl = " ".join(shlex.quote(o) if not o.startswith("$") else f'"{o}"' for o in opts)
    script = (f'JAR=$(mktemp); for i in $(seq {count}); do '
              f'curl {curl} {shlex.quote(url)} | tr -d "\\r" | grep -i "^{header}:" | cut -d" " -f2 | grep . || echo failed; '
              f'done; rm -f "$JAR"')
    out = hosts.run(client, "bash", "-c", script, timeout=count * timeout + 30)
    return out.stdout.split()


def get(client: Host, url: str, auth: tuple[str, str] | None = None, timeout: float = 5,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One GET from the client: (status, lower-cased headers, body); status 0 when it failed."""
    argv = ["curl", "-sS", "-m", str(timeout), "-D", "-", url]
    if auth:
        argv[1:1] = ["-u", f"{auth[0]}:{auth[1]}"]
    for name, value in (headers or {}).items():
        argv[1:1] = ["-H", f"{name}: {value}"]
    out = hosts.run(client, *argv, check=False, timeout=timeout + 30)
    if out.returncode != 0:
        return 0, {}, out.stderr
    head, _, body = out.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.splitlines()
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def wrk(client: Host, url: str, seconds: int = 10, connections: int = 32,
        headers: tuple[str, ...] = ()) -> dict[str, str]:
    """A wrk run from the client (bounded by `seconds`): requests/s, p50, p99
    and errors, as wrk printed them."""
    # The client has no /etc/services: wrk needs the port in numbers.
    parts = urllib.parse.urlsplit(url)
    url = parts._replace(netloc=f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}").geturl()
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        argv += ["-H", header]
    out = hosts.run(client, *argv, url, timeout=seconds + 30).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return {"rps": f"{float(rps.group(1)):.0f}" if rps else "?", "p50": p50.group(1) if p50 else "?",
            "p99": p99.group(1) if p99 else "?", "errors": errors.group(0) if errors else "0"}
