"""Ask name servers from a lab host (the client) with dig, and wait for answers.

    records(client, server, "www.webfarm.test")   -> ["10.213.0.11", ...] in answer order
    answered(client, server, "www.webfarm.test")  -> the records, or None without a real answer
    answers(client, server, "www.webfarm.test", 3) -> three answers asked in a row
    serial(client, server, "webfarm.test")        -> 7
    status(client, server, "example.org")         -> "REFUSED"
    nsupdate(client, script, key)                  -> nsupdate's own words
    transfer(client, server, zone, key)            -> the zone's records, or [] if refused
    watch_address(client, servers, name, address, present, since, timeout)
                                                   -> {server: seconds until address left (joined) its answer}

Only an answer counts: a name is withdrawn when a server answered (NOERROR
or NXDOMAIN) without it, never when it failed (SERVFAIL) or said nothing.

dig runs inside the host (bind9-dnsutils, installed by playbooks/clients.yml),
so queries travel the lab network as a real client's do.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from lab import hosts, loadgen
from lab.inventory import Host


def dig(client: Host, server: str, name: str, rtype: str = "A", *options: str) -> str:
    out = hosts.run(client, "dig", f"@{server}", name, rtype, "+norecurse", "+time=1", "+tries=1", *options,
                    check=False, timeout=20)
    return out.stdout


# The rcodes that are an answer about the name; any other (SERVFAIL,
# REFUSED...) or silence says nothing about what the zone holds.
ANSWERS = ("NOERROR", "NXDOMAIN")


def parse(out: str) -> tuple[str, list[str]]:
    """dig's full output -> (rcode or 'no answer', the answer section's data).

    >>> parse(";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1\\nw. 5 IN A 10.0.0.1\\n")
    ('NOERROR', ['10.0.0.1'])
    """
    m = re.search(r"status: ([A-Z]+)", out)
    data = [line.split(None, 4)[4].strip() for line in out.splitlines()
            if line.strip() and not line.startswith(";") and len(line.split(None, 4)) == 5]
    return (m.group(1) if m else "no answer"), data


def answered(client: Host, server: str, name: str, rtype: str = "A") -> list[str] | None:
    """The records of name when the server answered (NOERROR or NXDOMAIN:
    [] for none), None when it failed or did not answer."""
    rcode, data = parse(dig(client, server, name, rtype, "+noall", "+answer", "+comments"))
    return data if rcode in ANSWERS else None


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


def watch_address(client: Host, servers: list[str], name: str, address: str, present: bool, since: float,
                  timeout: float, rtype: str = "A") -> dict[str, float]:
    """Seconds from `since` (a time.time()) until each server's answer for
    name first lacks address (present=False) or holds it (present=True),
    asked from inside the client every 20 ms (`loadgen.py watch`): no
    docker exec per query. TimeoutError names the servers that never did."""
    out = hosts.run(client, "python3", "-c", Path(loadgen.__file__).read_text(), "watch", "--servers", ",".join(servers),
                    "--name", name, "--type", rtype, "--address", address, *(["--present"] if present else []),
                    "--timeout", f"{timeout:g}", check=False, timeout=timeout + 30)
    seen = parse_watch(out.stdout)
    missing = [s for s in servers if s not in seen]
    if missing:
        state = "hold" if present else "drop"
        raise TimeoutError(f"{name} on {', '.join(missing)}: did not {state} {address} within {timeout} s")
    return {server: at - since for server, at in seen.items()}


def parse_watch(out: str) -> dict[str, float]:
    """`loadgen.py watch`'s lines -> {server: epoch seconds}.

    >>> parse_watch("10.0.0.53 1796533374.512\\n")
    {'10.0.0.53': 1796533374.512}
    """
    seen = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            seen[parts[0]] = float(parts[1])
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
