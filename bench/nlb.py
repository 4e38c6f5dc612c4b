#!/usr/bin/env python3
"""make bench-nlb: what the balancer costs, and what each failure costs.

Against the running lab (`make lab`; another inventory with
WEBFARM_INVENTORY):

1. Throughput and latency with wrk from the client (bounded: 10 s each),
   straight to one web node and through the first VIP, in one run: the
   ratio is what HAProxy costs on this machine.
2. Under the load generator through the first VIP (four workers), each
   drill once: a web node crashed and started, a web node
   stopped and started, a rolling update of every node, the active
   balancer crashed, HAProxy stopped on it, HAProxy hung (SIGSTOP) on it,
   and it isolated. Failed
   requests, and the gap clients saw (first failure to the next answered
   request). Everything is put back, also on failure or Ctrl-C.
One table each.
"""
from __future__ import annotations

import os
import sys
import time

from lab import haproxy, hosts, vip, webclient
from lab.drill import Load
from lab.inventory import Inventory
from lab.playbook import run_playbook
from lab.report import service_gap, summarize, table

WRK_SECONDS = 10


def wrk(client, url: str) -> dict[str, str]:
    return webclient.wrk(client, url, WRK_SECONDS)


def drill(client, url, header, action, restore, timeout: float) -> list[str]:
    load = Load(client, [url], count=50000, duration=240, timeout=timeout, interval=0.01, workers=4,
                headers=[header]).start()
    time.sleep(2)
    t0 = time.time()
    try:
        moved = action()
    finally:
        t_back = time.time()
        restore()
    results = load.finish(grace=2)
    summary = summarize(results)
    _, gap = service_gap(results, t0 - 1, t_back)
    _, gap_back = service_gap(results, t_back, time.time())
    return [f"{timeout:g}", f"{summary.failed}/{summary.total}", f"{gap:.2f}", f"{gap_back:.2f}", moved or "-"]


def main() -> int:
    inv = Inventory.load(os.environ.get("WEBFARM_INVENTORY") or None)
    client, balancers, members = inv.client(), inv.hosts("nlb"), inv.hosts("web_farm")
    if not balancers:
        raise SystemExit(f"bench-nlb: {inv.source} has no nlb group")
    down = [h.name for h in [client, *balancers, *members] if hosts.state(h) != "running"]
    if down:
        raise SystemExit(f"bench-nlb: {', '.join(down)} not running: run `make lab` first")
    vips = vip.declared(balancers[0])
    header = str(members[0].var("web_node_header"))
    # The www site as clients reach it (HTTPS when the balancers have a certificate).
    www = next(s for s in balancers[0].var("lb_haproxy_sites") or [{"name": "www"}] if s["name"] == "www")
    url = vip.site_url(balancers[0], www, vips[0])
    active = balancers[0]
    haproxy.restore_farm(balancers, members)

    print(f"[bench] wrk {WRK_SECONDS} s: {members[0].name} direct, then through {vips[0]}", flush=True)
    direct, through = wrk(client, members[0].url("web_node_port")), wrk(client, url)
    ratio = float(through["rps"]) / float(direct["rps"]) if "?" not in (direct["rps"], through["rps"]) else 0

    def vip_moved(since: float) -> str:
        _, took = vip.wait_holder([b for b in balancers if b is not active], vips[0], lambda n: True, since=since)
        return f"{took:.2f}"

    victim = members[len(members) // 2]

    def node_away(take):
        def action() -> None:
            take(victim)
            time.sleep(3)
        return action

    def rolling_update() -> None:
        out = run_playbook(inv.source, "rolling_update.yml", extra_vars={"rolling_update_restart": True})
        if out.returncode != 0:
            raise RuntimeError(f"rolling_update.yml failed:\n{out.stdout[-2000:]}")

    def balancer_away(take):
        def action() -> str:
            t0 = time.time()
            take(active)
            return vip_moved(t0)
        return action

    # A web node's failure is hidden by HAProxy's retries (200 ms connect
    # timeout, then another node): clients wait up to 1 s. A balancer's is
    # seen by a client as a lost SYN: a 0.25 s timeout shows when new
    # requests are answered again, not TCP's 1 s retransmission.
    drills = [
        (f"web node {victim.name} crashed", node_away(hosts.crash), lambda: hosts.start(victim), 1.0),
        (f"web node {victim.name} stopped", node_away(hosts.stop), lambda: hosts.start(victim), 1.0),
        ("rolling update, nginx restarted", rolling_update, lambda: None, 1.0),
        (f"balancer {active.name} crashed", balancer_away(hosts.crash), lambda: hosts.start(active), 0.25),
        (f"HAProxy stopped on {active.name}", balancer_away(lambda lb: hosts.run(lb, "systemctl", "stop", "haproxy")),
         lambda: hosts.run(active, "systemctl", "start", "haproxy"), 0.25),
        (f"HAProxy hung on {active.name}", balancer_away(lambda lb: hosts.run(lb, "pkill", "-STOP", "-x", "haproxy")),
         lambda: hosts.run(active, "pkill", "-CONT", "-x", "haproxy"), 0.25),
        (f"balancer {active.name} isolated", balancer_away(hosts.isolate), lambda: hosts.rejoin(active), 0.25),
    ]
    rows = []
    try:
        for name, action, restore, timeout in drills:
            print(f"[bench] {name}", flush=True)
            rows.append([name, *drill(client, url, header, action, restore, timeout)])
            haproxy.restore_farm(balancers, members)
    finally:
        haproxy.restore_farm(balancers, members)

    print()
    print(f"bench-nlb: wrk -t2 -c{32} {WRK_SECONDS} s from the client ({os.cpu_count()} cores)")
    print(table(["path", "requests/s", "p50", "p99", "errors"],
                [[f"direct to {members[0].name}", direct["rps"], direct["p50"], direct["p99"], direct["errors"]],
                 [f"through VIP {vips[0]}", through["rps"], through["p50"], through["p99"], through["errors"]],
                 ["ratio VIP/direct", f"{ratio:.2f}", "", "", ""]]))
    print()
    print("drills under load through the VIP (4 workers); gap = first failure to the next answer,")
    print("during the failure and when what failed came back")
    print(table(["drill", "timeout s", "failed", "gap s", "gap on return s", "VIP moved s"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
