#!/usr/bin/env python3
"""make bench-nlb: what the balancer costs, and what each failure costs,
beside what the anchors' defaults would cost.

Against the running lab (`make lab`; another inventory with
WEBFARM_INVENTORY):

1. Throughput and latency with wrk from the client (bounded: 10 s each),
   straight to one web node and through the first VIP, in one run: the
   ratio is what HAProxy costs on this machine.
2. Under the load generator through the first VIP (open loop: a request
   every 10 ms, every 20 ms where clients wait 1 s, whatever the others
   are doing), each
   drill BENCH_RUNS times (default 3): a web node crashed and started, a
   web node stopped and started, the active balancer crashed, HAProxy
   stopped on it, HAProxy hung (SIGSTOP) on it, and it isolated; then a
   rolling update of every node once. Each drill is measured twice in one
   run: with webfarm's settings, and with the defaults a user would start
   from (DEFAULTS below: keepalived's advert_int 1, HAProxy's check every
   2 s with fall 3 and no retries, no answer watcher), converged onto the
   balancers for that half and put back after. Failed requests, and the
   gap clients saw (first failure to the next answered request): min /
   median / max, and the ratio of the medians webfarm/defaults.
   Everything is put back, also on failure or Ctrl-C.
One table each.
"""
from __future__ import annotations

import os
import sys
import time

from lab import haproxy, hosts, vip, webclient
from lab.drill import Load
from lab.inventory import Inventory
from lab.playbook import overridden, run_playbook
from lab.report import ratio, service_gap, spread, summarize, table

WRK_SECONDS = 10
# What a user starts from without webfarm: keepalived's advert_int (1 s;
# VRRPv3 here, whose takeover at 1 s matches VRRPv2's), HAProxy's own check
# timing (inter 2 s, fall 3, rise 2), no retries or redispatch, a connect
# timeout of 5 s as most examples set, and no answer watcher (its fall at
# 100 leaves keepalived's own check script, every second, fall 2).
DEFAULTS = {
    "lb_keepalived_advert_interval": 1,
    "lb_keepalived_watch_fall": 100,
    "lb_haproxy_retries": 0,
    "lb_haproxy_retry_timeout": 0,
    "lb_haproxy_check_interval": 2000,
    "lb_haproxy_check_down_interval": 2000,
    "lb_haproxy_check_fall": 3,
    "lb_haproxy_timeout_connect": 5000,
}


def wrk(client, url: str) -> dict[str, str]:
    return webclient.wrk(client, url, WRK_SECONDS)


def drill(client, url, header, action, restore, timeout: float) -> tuple[int, int, float, float]:
    """One drill under load: (failed, total, gap while it lasted, gap on its return)."""
    # Open loop: a request every pace seconds whatever the others are doing,
    # so requests stuck on a dead balancer hold up no other (docs/nlb.md).
    pace = 0.01 if timeout <= 0.5 else 0.02
    load = Load(client, [url], count=50000, duration=240, timeout=timeout, pace=pace,
                workers=int(timeout / pace) + 2, headers=[header]).start()
    time.sleep(2)
    t0 = time.time()
    try:
        action()
    finally:
        t_back = time.time()
        restore()
    results = load.finish(grace=2)
    summary = summarize(results)
    _, gap = service_gap(results, t0 - 1, t_back)
    _, gap_back = service_gap(results, t_back, time.time())
    return summary.failed, summary.total, gap, gap_back


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
    share = float(through["rps"]) / float(direct["rps"]) if "?" not in (direct["rps"], through["rps"]) else 0

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
        def action() -> None:
            take(active)
            time.sleep(2)
        return action

    # (name, action, restore, client timeout, compared with the defaults).
    # A web node's failure is hidden by HAProxy's retries (200 ms connect
    # timeout, then another node): clients wait up to 1 s. A balancer's is
    # seen by a client as a lost SYN: a 0.25 s timeout shows when new
    # requests are answered again, not TCP's 1 s retransmission.
    drills = [
        (f"web node {victim.name} crashed", node_away(hosts.crash), lambda: hosts.start(victim), 1.0, True),
        (f"web node {victim.name} stopped", node_away(hosts.stop), lambda: hosts.start(victim), 1.0, True),
        (f"balancer {active.name} crashed", balancer_away(hosts.crash), lambda: hosts.start(active), 0.25, True),
        (f"HAProxy stopped on {active.name}", balancer_away(lambda lb: hosts.run(lb, "systemctl", "stop", "haproxy")),
         lambda: hosts.run(active, "systemctl", "start", "haproxy"), 0.25, True),
        (f"HAProxy hung on {active.name}", balancer_away(lambda lb: hosts.run(lb, "pkill", "-STOP", "-x", "haproxy")),
         lambda: hosts.run(active, "pkill", "-CONT", "-x", "haproxy"), 0.25, True),
        (f"balancer {active.name} isolated", balancer_away(hosts.isolate), lambda: hosts.rejoin(active), 0.25, True),
        ("rolling update, nginx restarted", rolling_update, lambda: None, 1.0, False),
    ]
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    if not 1 <= runs <= 20:
        raise SystemExit(f"bench-nlb: BENCH_RUNS={runs}: must be 1 to 20")
    # {profile: {drill: [(failed, total, gap, gap on return), ...]}}
    seen: dict[str, dict[str, list[tuple[int, int, float, float]]]] = {"webfarm": {}, "defaults": {}}
    try:
        for profile, settings in (("webfarm", {}), ("defaults", DEFAULTS)):
            with overridden(inv.source, "nlb.yml", settings, limit="nlb"):
                haproxy.restore_farm(balancers, members)
                for name, action, restore, timeout, compared in drills:
                    if profile == "defaults" and not compared:
                        continue
                    for i in range(runs if compared else 1):
                        print(f"[bench] {profile}: {name}, run {i + 1}", flush=True)
                        seen[profile].setdefault(name, []).append(drill(client, url, header, action, restore, timeout))
                        haproxy.restore_farm(balancers, members)
    finally:
        haproxy.restore_farm(balancers, members)

    def gaps(profile: str, name: str, back: bool = False) -> list[float]:
        return [r[3 if back else 2] for r in seen[profile].get(name, [])]

    def failed(profile: str, name: str) -> str:
        runs_of = seen[profile].get(name, [])
        return f"{sum(r[0] for r in runs_of)}/{sum(r[1] for r in runs_of)}" if runs_of else "-"

    rows = [[name, f"{timeout:g}", spread(gaps("webfarm", name)), failed("webfarm", name),
             spread(gaps("defaults", name)), failed("defaults", name),
             ratio(gaps("webfarm", name), gaps("defaults", name)), spread(gaps("webfarm", name, back=True))]
            for name, _, _, timeout, _ in drills]
    print()
    print(f"bench-nlb: wrk -t2 -c{32} {WRK_SECONDS} s from the client ({os.cpu_count()} cores)")
    print(table(["path", "requests/s", "p50", "p99", "errors"],
                [[f"direct to {members[0].name}", direct["rps"], direct["p50"], direct["p99"], direct["errors"]],
                 [f"through VIP {vips[0]}", through["rps"], through["p50"], through["p99"], through["errors"]],
                 ["ratio VIP/direct", f"{share:.2f}", "", "", ""]]))
    print()
    print(f"drills under load through the VIP (open loop, a request every 10 ms; 20 ms at a 1 s timeout), {runs} runs "
          "each; gap s = first failure to the next")
    print("answer (min / median / max); defaults = " + ", ".join(f"{k}={v}" for k, v in DEFAULTS.items()))
    print(table(["drill", "timeout s", "webfarm gap s", "webfarm failed", "defaults gap s", "defaults failed",
                 "ratio", "webfarm gap on return s"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
