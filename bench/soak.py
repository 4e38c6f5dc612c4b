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

With an active_passive group, the cluster is soaked in the same window: wrk
through its VIP too, and from each node's journal every Corosync membership
change (`A new membership ... was formed`: a node judged lost under load)
and every fencing the cluster asked for. Exit status 1 on any of those.

BENCH_SOAK_ADVERTS="0.1 0.2" soaks once per VRRP advert interval, and
BENCH_SOAK_TOKENS="1000 1800" once per Corosync token (ms; consensus as the
role chooses it for that token); each is converged onto its hosts with
playbooks/nlb.yml or active_passive.yml and the inventory's own put back, so
each value is chosen by what the soak shows.
"""
from __future__ import annotations

import os
import re
import subprocess
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
    out = hosts.journal(lb, "webfarm-lb-watch", since=since, until=until)
    return [line for line in out.splitlines() if re.search(r"HAProxy (does not answer|answers)", line)]


# Runs beside the soak on this machine, outside the containers, at nice -20:
# sleeps 10 ms and prints every wake-up that came more than STALL s late
# (the end time and the length): a stall of the whole machine, which stops
# a master and its backup alike.
STALL = 0.15
PROBE = f"""
import os, sys, time
os.nice(-20)
end, last = time.monotonic() + float(sys.argv[1]), time.monotonic()
while time.monotonic() < end:
    time.sleep(0.01)
    now = time.monotonic()
    if now - last > {STALL}:
        print(f"{{time.time():.3f}} {{now - last:.3f}}", flush=True)
    last = now
"""


def stalls(out: str) -> list[tuple[float, float]]:
    """The probe's lines -> [(start, length)] of each stall."""
    found = []
    for line in out.splitlines():
        end, length = (float(x) for x in line.split())
        found.append((end - length, length))
    return found


def during(at: float, found: list[tuple[float, float]], after: float = 0.2) -> bool:
    """A state change at `at` began in a stall or within `after` s of its end."""
    return any(start <= at <= start + length + after for start, length in found)


def membership_changes(node, since: float, until: float) -> list[str]:
    """Corosync's new memberships and Pacemaker's fencing requests in the
    window, from the node's journal."""
    out = hosts.journal(node, "corosync", "pacemaker", since=since, until=until)
    return [line for line in out.splitlines()
            if re.search(r"A new membership \(.*\) was formed|Requesting fencing|will be fenced", line)]


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
    nodes = inv.hosts("active_passive")
    token = int(nodes[0].var("pacemaker_cluster_totem_token") or 3000) if nodes else 0
    tokens = [int(t) for t in os.environ.get("BENCH_SOAK_TOKENS", str(token)).split()] if nodes else [0]
    cluster_urls = [f"http://{svc['vip']}/" for svc in (nodes[0].var("pacemaker_cluster_services") or [])
                    if svc.get("service") == "nginx" or (svc.get("agent") or {}).get("type") == "nginx"] if nodes else []
    spurious, moved = 0, False
    for interval in adverts:
        for ms in tokens:
            other = {} if interval == advert else {"lb_keepalived_advert_interval": interval}
            cluster = {} if ms == token else {"pacemaker_cluster_totem_token": ms}
            with overridden(inv.source, "nlb.yml", other, limit="nlb"), \
                    overridden(inv.source, "active_passive.yml", cluster, limit="active_passive"):
                if other or cluster:
                    print(f"[bench] converged with {other | cluster}", flush=True)
                    time.sleep(10)  # a balancer that gave a VIP up takes it back after preempt_delay
                changes, same = soak(client, balancers, vips, urls + cluster_urls, interval, nodes, ms)
            spurious += sum(len(c) for c in changes.values())
            moved = moved or not same
    return 1 if spurious or moved else 0


def soak(client, balancers, vips, urls, advert, nodes, token) -> tuple[dict, bool]:
    """One soak at this advert interval and token: each balancer's state
    changes and each cluster node's membership changes and fencing, and
    whether every VIP has the holder it had before."""
    before = {a: " ".join(vip.holders(balancers, a)) for a in vips}
    print(f"[bench] soak at advert_int {advert} s" + (f", token {token} ms" if nodes else "")
          + f": wrk -c{CONNECTIONS} through {', '.join(urls)} for {SECONDS} s", flush=True)
    results: dict[str, dict[str, str]] = {}

    def load(url: str) -> None:
        results[url] = webclient.wrk(client, url, SECONDS, connections=CONNECTIONS)

    busy0, total0 = cpu_times()
    probe = subprocess.Popen([sys.executable, "-c", PROBE, str(SECONDS + 5)], stdout=subprocess.PIPE, text=True)
    t0 = time.time()
    threads = [threading.Thread(target=load, args=(url,)) for url in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 60)
    t1 = time.time()
    busy1, total1 = cpu_times()
    probe.terminate()
    found = stalls(probe.communicate(timeout=10)[0])
    cpu = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
    after = {a: " ".join(vip.holders(balancers, a)) for a in vips}
    changes = vip.transitions(balancers, t0, t1)
    verdicts = {lb.name: watcher_verdicts(lb, t0, t1) for lb in balancers}
    members = {node.name: membership_changes(node, t0, t1) for node in nodes}

    rows = [[lb.name, str(len(changes[lb.name])),
             ", ".join(f"{inst} {state}" for _, inst, state in changes[lb.name][:4]) or "-",
             str(len(verdicts[lb.name]))] for lb in balancers]
    print()
    print(f"bench-soak: {t1 - t0:.0f} s, wrk -t2 -c{CONNECTIONS} through each of {len(vips)} VIPs at once; "
          f"advert_int {advert} s (VRRPv3); machine CPU busy {cpu:.0f}% of {os.cpu_count()} cores")
    print(table(["balancer", "VRRP state changes", "which", "watcher verdicts"], rows))
    if nodes:
        consensus = hosts.run(nodes[0], "corosync-cmapctl", "-g", "runtime.config.totem.consensus",
                              check=False).stdout.split("=")[-1].strip()
        print()
        print(f"cluster: token {token} ms, consensus {consensus or '?'} ms")
        print(table(["node", "memberships and fencing", "first"],
                    [[n, str(len(lines)), lines[0][:90] if lines else "-"] for n, lines in members.items()]))
        for name, lines in members.items():
            changes[name] = lines
    print()
    print(table(["target", "holder before", "holder after", "requests/s", "p99", "errors"],
                [[u, before.get(a, "-"), after.get(a, "-"), results.get(u, {}).get("rps", "?"),
                  results.get(u, {}).get("p99", "?"), results.get(u, {}).get("errors", "?")]
                 for a, u in zip([*vips, *[""] * (len(urls) - len(vips))], urls, strict=True)]))
    takeovers = [at for lb in balancers for at, _, state in changes[lb.name] if state == "MASTER"]
    print(f"\nmachine stalls (a nice -20 probe on this machine woke more than {STALL} s late): {len(found)}, "
          f"longest {max((n for _, n in found), default=0):.2f} s; takeovers during a stall or within 0.2 s of its "
          f"end: {sum(during(at, found) for at in takeovers)} of {len(takeovers)}")
    print(f"spurious VRRP transitions: {sum(len(changes[lb.name]) for lb in balancers)}"
          + (f"; cluster memberships and fencing: {sum(len(members[n]) for n in members)}" if nodes else ""))
    return changes, before == after


if __name__ == "__main__":
    sys.exit(main())
