"""Ask name servers from a lab host (the client) with dig, and wait for answers.

    records(client, server, "www.webfarm.test")   -> ["10.213.0.11", ...] in answer order
    answers(client, server, "www.webfarm.test", 3) -> three answers asked in a row
    serial(client, server, "webfarm.test")        -> 7
    status(client, server, "example.org")         -> "REFUSED"
    nsupdate(client, script, key)                  -> nsupdate's own words
    transfer(client, server, zone, key)            -> the zone's records, or [] if refused
    watch(client, servers, name, done, since, timeout) -> {server: seconds until done}

dig runs inside the host (bind9-dnsutils, installed by playbooks/clients.yml),
so queries travel the lab network as a real client's do.
"""
from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable

from toolkit import hosts
from toolkit.inventory import Host


def dig(client: Host, server: str, name: str, rtype: str = "A", *options: str) -> str:
    out = hosts.run(client, "dig", f"@{server}", name, rtype, "+norecurse", "+time=1", "+tries=1", *options,
                    check=False, timeout=20)
    return out.stdout


def records(client: Host, server: str, name: str, rtype: str = "A") -> list[str]:
    """The answer's records for name, in the order the server gave them."""
    return [line.strip() for line in dig(client, server, name, rtype, "+short").splitlines() if line.strip()]


def answers(client: Host, server: str, name: str, times: int) -> list[list[str]]:
    """The A records of `times` answers in a row, asked by one dig in quick
    succession (so other clients' queries hardly come between them)."""
    argv = ["dig", f"@{server}", "+norecurse", "+time=1", "+tries=1", "+noall", "+answer"]
    for _ in range(times):
        argv += [name, "A"]
    out = hosts.run(client, *argv, check=False, timeout=30).stdout
    records = [line.split()[-1] for line in out.splitlines() if line.strip() and not line.startswith(";")]
    size = len(records) // times if times else 0
    return [records[i * size:(i + 1) * size] for i in range(times)] if size else []


def status(client: Host, server: str, name: str, rtype: str = "A") -> str:
    """The answer's rcode: NOERROR, NXDOMAIN, REFUSED... or 'no answer'."""
    m = re.search(r"status: ([A-Z]+)", dig(client, server, name, rtype))
    return m.group(1) if m else "no answer"


def serial(client: Host, server: str, zone: str) -> int | None:
    soa = records(client, server, zone, "SOA")
    return int(soa[0].split()[2]) if soa else None


def watch(client: Host, servers: list[str], name: str, done: Callable[[list[str]], bool], since: float,
          timeout: float, interval: float = 0.05) -> dict[str, float]:
    """Poll each server until done(records of name) holds there; the seconds
    from `since` (a time.time()) at which each one first did. Bounded."""
    left = list(servers)
    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while left:
        for server in list(left):
            if done(records(client, server, name)):
                seen[server] = time.time() - since
                left.remove(server)
        if left and time.monotonic() > deadline:
            raise TimeoutError(f"{name} on {', '.join(left)}: not within {timeout} s")
        if left:
            time.sleep(interval)
    return seen


def nsupdate(client: Host, script: str, key: str | None = None) -> str:
    """Send a dynamic update from the client (nsupdate's script, `\n` between
    lines; key as ALGORITHM:NAME:SECRET); nsupdate's own words about it."""
    argv = "nsupdate -t 5" + (f" -y {shlex.quote(key)}" if key else "")
    out = hosts.run(client, "sh", "-c", f"printf '%b' {shlex.quote(script)} | {argv}", check=False, timeout=30)
    return out.stdout + out.stderr


def transfer(client: Host, server: str, zone: str, key: str | None = None) -> list[str]:
    """The zone's records by a full transfer (AXFR) from server, signed with
    key (ALGORITHM:NAME:SECRET): [] when the server refuses it."""
    argv = ["dig", f"@{server}", zone, "AXFR", "+time=2", "+tries=1", "+nocmd", "+nostats"]
    out = hosts.run(client, *argv, *(["-y", key] if key else []), check=False, timeout=20).stdout
    lines = [line for line in out.splitlines() if line.strip() and not line.startswith(";")]
    return [] if "Transfer failed" in out else lines
