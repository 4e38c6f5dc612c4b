#!/usr/bin/env python3
"""make bench-rr-dns: how fast the round-robin name follows a member's crash.

Against the running lab (`make lab`; another inventory with
WEBFARM_INVENTORY), for each web node in turn: load the site by its name
from the client (each request resolves anew; one client goes to the first
address only, as a client without fallback does, another tries the next
address as browsers do), crash the node, time until every
name server has withdrawn its record, start it, time until every server has
it back, and count the failed requests. Then named's query rate for the
name, measured with dnsperf from the client (10 s per server). One table.
Every node is started again, also on failure or Ctrl-C.
"""
from __future__ import annotations

import os
import re
import sys
import time

from lab import dig, hosts
from lab.drill import Load
from lab.inventory import Inventory
from lab.report import summarize, table

DNSPERF_SECONDS = 10


def one_crash(client, servers, name, victim, headers) -> list[str]:
    loads = [Load(client, [f"http://{name}/"], count=20000, duration=60, timeout=0.5, interval=0.01,
                  headers=headers, resolve=resolve).start() for resolve in ("first", "all")]
    time.sleep(2)
    back = None
    try:
        down = hosts.crash(victim)
        withdrawn = dig.watch_address(client, servers, name, victim.address, False, since=down.t0, timeout=20)
        back = hosts.start(victim)
        restored = dig.watch_address(client, servers, name, victim.address, True, since=back.t1, timeout=20)
    finally:
        if back is None:
            hosts.restore(victim)
    first, every = (summarize(load.finish(grace=1)) for load in loads)
    window = f"{first.window.seconds:.2f}" if first.window else "-"
    return [victim.name, *(f"{withdrawn[s]:.2f}" for s in servers), *(f"{restored[s]:.2f}" for s in servers),
            f"{first.failed}/{first.total}", window, f"{every.failed}/{every.total}"]


def dnsperf(client, server: str, name: str) -> tuple[str, str]:
    hosts.run(client, "sh", "-c", f"printf '%s A\\n' {name} > /tmp/webfarm-dnsperf.txt")
    out = hosts.run(client, "dnsperf", "-s", server, "-d", "/tmp/webfarm-dnsperf.txt", "-l", str(DNSPERF_SECONDS),
                    "-c", "4", "-T", "2", timeout=DNSPERF_SECONDS + 30).stdout
    qps = re.search(r"Queries per second:\s+([\d.]+)", out)
    lost = re.search(r"Queries lost:\s+(\d+)", out)
    return (f"{float(qps.group(1)):.0f}" if qps else "?"), (lost.group(1) if lost else "?")


def main() -> int:
    inv = Inventory.load(os.environ.get("WEBFARM_INVENTORY") or None)
    client = inv.client()
    servers = inv.hosts("rr_dns")
    if not servers:
        raise SystemExit(f"bench-rr-dns: {inv.source} has no rr_dns group")
    down = [h.name for h in [client, *servers, *inv.hosts("web_farm")] if hosts.state(h) != "running"]
    if down:
        raise SystemExit(f"bench-rr-dns: {', '.join(down)} not running: run `make lab` first")
    primary = servers[0]
    zone = str(primary.var("dns_server_zone")).rstrip(".")
    name = f"{primary.var('dns_server_service_name')}.{zone}"
    members = inv.hosts(str(primary.var("dns_server_service_group")))
    headers = [m.var("web_node_header") for m in members]
    addresses = [s.address for s in servers]
    rows = []
    for victim in members:
        print(f"[bench] crash {victim.name}", flush=True)
        rows.append(one_crash(client, addresses, name, victim, headers))
    perf = [(s.name, *dnsperf(client, s.address, name)) for s in servers]
    labels = [s.name for s in servers]
    print()
    print(f"bench-rr-dns: {name} served by {', '.join(labels)} ({os.cpu_count()} cores); crash = docker kill of "
          f"the member under load by name; restore timed from its boot")
    print("failed first = a client that connects to the first address only; failed any = one that tries the next")
    print(table(["member crashed", *(f"withdrawn {n} s" for n in labels), *(f"restored {n} s" for n in labels),
                 "failed first", "outage s", "failed any"], rows))
    print()
    print(table(["server", f"dnsperf queries/s ({DNSPERF_SECONDS} s, 4 clients)", "lost"], perf))
    return 0


if __name__ == "__main__":
    sys.exit(main())
