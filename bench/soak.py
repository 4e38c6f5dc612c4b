#!/usr/bin/env python3
"""make bench-soak: the balancers under full CPU for ten minutes, and every
VRRP state change they made meanwhile (there should be none).

Against the running lab (`make lab`; another inventory with
WEBFARM_INVENTORY): wrk from the client through every VIP at once (32
connections each, the www site as clients reach it), for BENCH_SOAK_SECONDS
(600 by default), while the two cores run flat out. Then, from each
balancer's journal over the same window: keepalived's state changes
(`Entering MASTER/BACKUP/FAULT STATE`: a spurious takeover shows here even
when no poll could see it) and the answer watcher's verdicts
(webfarm-lb-watch: HAProxy "does not answer"). Also the machine's CPU use
over the window (/proc/stat: the containers share this kernel), the
requests and the errors wrk counted, and which balancer holds each VIP
before and after. One table; exit status 1 if any balancer changed state.

BENCH_SOAK_ADVERTS="0.1 0.2" soaks once per VRRP advert interval (each
converged onto the balancers with playbooks/nlb.yml, then the inventory's
own put back), so the interval is chosen by what the soak shows.
"""
from __future__ import annotations

import os
import re
import sys
import threading
import time

from lab import hosts, vip, webclient
from lab.inventory import Inventory
from lab.playbook import overridden
from lab.report import table

SECONDS = int(os.environ.get("BENCH_SOAK_SECONDS", "600"))
CONNECTIONS = 32


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the machine so far."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def watcher_verdicts(lb, since: float, until: float) -> list[str]:
    out = hosts.run(lb, "journalctl", "-u", "webfarm-lb-watch", "-o", "short-unix", "--no-pager",
                    f"--since=@{int(since)}", f"--until=@{int(until) + 1}", check=False).stdout
    return [line for line in out.splitlines() if re.search(r"HAProxy (does not answer|answers)", line)]


def main() -> int:
    if not 10 <= SECONDS <= 3600:
        raise SystemExit(f"bench-soak: BENCH_SOAK_SECONDS={SECONDS}: must be 10 to 3600")
    inv = Inventory.load(os.environ.get("WEBFARM_INVENTORY") or None)
    client, balancers = inv.client(), inv.hosts("nlb")
    if len(balancers) < 2:
        raise SystemExit(f"bench-soak: {inv.source} needs two balancers in its nlb group")
    down = [h.name for h in [client, *balancers] if hosts.state(h) != "running"]
    if down:
        raise SystemExit(f"bench-soak: {', '.join(down)} not running: run `make lab` first")
    vips = vip.declared(balancers[0])
    www = next(s for s in balancers[0].var("lb_haproxy_sites") or [{"name": "www"}] if s["name"] == "www")
    urls = [vip.site_url(balancers[0], www, address) for address in vips]
    advert = float(balancers[0].var("lb_keepalived_advert_interval") or 0.1)
    adverts = [float(a) for a in os.environ.get("BENCH_SOAK_ADVERTS", str(advert)).split()]
    spurious, moved = 0, False
    for interval in adverts:
        other = {} if interval == advert else {"lb_keepalived_advert_interval": interval}
        with overridden(inv.source, "nlb.yml", other, limit="nlb"):
            if other:
                print(f"[bench] converged the balancers with {other}", flush=True)
                time.sleep(10)  # a balancer that gave a VIP up takes it back after preempt_delay
            changes, same = soak(client, balancers, vips, urls, interval)
        spurious += sum(len(c) for c in changes.values())
        moved = moved or not same
    return 1 if spurious or moved else 0


def soak(client, balancers, vips, urls, advert) -> tuple[dict, bool]:
    """One soak at this advert interval: each balancer's state changes, and
    whether every VIP has the holder it had before."""
    before = {a: " ".join(vip.holders(balancers, a)) for a in vips}
    print(f"[bench] soak at advert_int {advert} s: wrk -c{CONNECTIONS} through {', '.join(urls)} for {SECONDS} s", flush=True)
    results: dict[str, dict[str, str]] = {}

    def load(url: str) -> None:
        results[url] = webclient.wrk(client, url, SECONDS, connections=CONNECTIONS)

    busy0, total0 = cpu_times()
    t0 = time.time()
    threads = [threading.Thread(target=load, args=(url,)) for url in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 60)
    t1 = time.time()
    busy1, total1 = cpu_times()
    cpu = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
    after = {a: " ".join(vip.holders(balancers, a)) for a in vips}
    changes = vip.transitions(balancers, t0, t1)
    verdicts = {lb.name: watcher_verdicts(lb, t0, t1) for lb in balancers}

    rows = [[lb.name, str(len(changes[lb.name])),
             ", ".join(f"{inst} {state}" for _, inst, state in changes[lb.name][:4]) or "-",
             str(len(verdicts[lb.name]))] for lb in balancers]
    print()
    print(f"bench-soak: {t1 - t0:.0f} s, wrk -t2 -c{CONNECTIONS} through each of {len(vips)} VIPs at once; "
          f"advert_int {advert} s (VRRPv3); machine CPU busy {cpu:.0f}% of {os.cpu_count()} cores")
    print(table(["balancer", "VRRP state changes", "which", "watcher verdicts"], rows))
    print()
    print(table(["VIP", "holder before", "holder after", "requests/s", "p99", "errors"],
                [[a, before[a], after[a], results.get(u, {}).get("rps", "?"), results.get(u, {}).get("p99", "?"),
                  results.get(u, {}).get("errors", "?")] for a, u in zip(vips, urls, strict=True)]))
    print(f"\nspurious VRRP transitions: {sum(len(c) for c in changes.values())}")
    return changes, before == after


if __name__ == "__main__":
    sys.exit(main())
