#!/usr/bin/env python3
"""make bench-active-passive: what each failure of the active node costs.

Against the running lab (`make lab`; another inventory with
WEBFARM_INVENTORY): each drill of tests/active_passive (lab/failover.py,
the same code) runs BENCH_RUNS times (default 3) under a client polling the
VIP every 10 ms: the active node stopped cleanly, crashed (fenced; once
with the service on each node), nginx killed on it, and the link between
the nodes cut (once with the service on each side). One table: the outage the
client saw (first failed request to the next answered one), min/median/max,
against the targets. The cluster is put back between runs, also on failure.

Then the crashes, the kill and the clean stop again with the shipped
defaults a user starts from (DEFAULTS: Corosync's token of 3 s and its
consensus of 1.2 times that, no quorum device, no fence head start, the
service checked every 5 s as MISSION.md's reference has it), converged
onto the nodes for them and put back after, and the ratio of the medians
webfarm/defaults. The partition is left out there: without a head start
both nodes may fence each other.
BENCH_DEFAULTS=0 skips that half.
"""
from __future__ import annotations

import os
import sys

from lab import failover, hosts
from lab.inventory import Inventory
from lab.playbook import overridden
from lab.report import ratio, spread, table

# Outage targets in seconds (MISSION.md: a crash with fencing <= 4 s,
# whichever node; the service's process killed <= 1 s; a clean stop <= 2 s);
# the partition has none of its own.
TARGETS = {"clean stop": 2.0, "crash": 4.0, "nginx killed": 1.0, "partition": None}
DEFAULTS = {"pacemaker_cluster_totem_token": 3000, "pacemaker_cluster_totem_consensus": 3600,
            "pacemaker_cluster_quorum_device": "", "pacemaker_cluster_fence_delay": 0,
            "pacemaker_cluster_service_monitor_interval": "5s"}


def main() -> int:
    inv = Inventory.load(os.environ.get("WEBFARM_INVENTORY") or None)
    client, nodes = inv.client(), inv.hosts("active_passive")
    if not nodes:
        raise SystemExit(f"bench-active-passive: {inv.source} has no active_passive group")
    down = [h.name for h in [client, *nodes] if hosts.state(h) != "running"]
    if down:
        raise SystemExit(f"bench-active-passive: {', '.join(down)} not running: run `make lab` first")
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    service = failover.Service.of(inv)
    rows, missed = [], 0
    first = service.nodes[0]
    winner = str(first.var("pacemaker_cluster_fence_winner") or first.name)
    loser = next(n.name for n in service.nodes if n.name != winner)
    # The crash and the partition on each side. Without a quorum device,
    # fencing the winner waits pacemaker_cluster_fence_delay, so its crash
    # costs that much more; with one, no device waits (the arbiter decides a
    # partition, by its tie-breaker for the first node).
    arbiter = bool(inv.names("quorum_device"))
    why = "by the arbiter's tie-breaker" if arbiter else "fencing it waits"
    drills = [("clean stop", TARGETS["clean stop"], None, "clean stop"),
              ("crash", TARGETS["crash"], winner, f"crash of {winner}" + ("" if arbiter else f" (the winner: {why})")),
              ("crash", TARGETS["crash"], loser, f"crash of {loser}"),
              ("nginx killed", TARGETS["nginx killed"], None, "nginx killed")]
    if len(service.nodes) == 2:
        drills += [("partition", None, winner, f"partition, service on {winner} (the winner: {why})"),
                   ("partition", None, loser, f"partition, service on {loser}")]
    def measure(name, on, label, profile) -> list:
        outcomes = []
        for i in range(runs):
            failover.settle(service, client)
            print(f"[bench] {profile}: {label}, run {i + 1} of {runs}", flush=True)
            try:
                outcomes.append(failover.run(client, service, name, on=on))
            finally:
                failover.settle(service, client)
        return outcomes

    ours = {label: measure(name, on, label, "webfarm") for name, _, on, label in drills}
    theirs: dict[str, list] = {}
    if os.environ.get("BENCH_DEFAULTS", "1") != "0":
        with overridden(inv.source, "active_passive.yml", DEFAULTS, limit="active_passive"):
            theirs = {label: measure(name, on, label, "defaults") for name, _, on, label in drills
                      if name != "partition"}
    for name, target, _on, label in drills:
        outcomes = ours[label]
        gaps = [o.gap for o in outcomes]
        worst = max(gaps)
        met = "-" if target is None else ("yes" if worst <= target else "NO")
        missed += met == "NO"
        unasked = [o.moved_unasked for o in outcomes if o.moved_unasked]
        if unasked:
            print(f"[bench] the service moved with no drill before {name}: {unasked}", flush=True)
            missed += 1
        other = [o.gap for o in theirs.get(label, [])]
        rows.append([label, runs, spread(gaps), "-" if target is None else f"<= {target:g}", met,
                     f"{sum(o.failed for o in outcomes)}/{sum(o.total for o in outcomes)}",
                     sum(o.fenced for o in outcomes), max(o.most_mounted for o in outcomes),
                     "yes" if all(o.witness_intact for o in outcomes) else "NO", spread(other), ratio(gaps, other)])
    print("\noutage = first failed request to the next answered one, client polling the VIP every 10 ms (0.5 s timeout),")
    print("min / median / max; defaults = " + ", ".join(f"{k}={v!r}" for k, v in DEFAULTS.items()))
    print(table(["drill", "runs", "webfarm s", "target", "met", "failed/total", "fenced", "most mounts",
                 "file intact", "defaults s", "ratio"], rows))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
