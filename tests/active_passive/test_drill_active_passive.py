"""Drills: the active/passive cluster under a client polling the VIP every
10 ms (lab/failover.py). The active node stops cleanly, crashes (and is
fenced), loses nginx, or is cut off from its peer (one side is fenced, the
other keeps the service). In every drill the shared disk is never mounted on
two nodes at once (sampled on both throughout), a file written to it before
is intact after, the service answers again, and a returning node rejoins as
a spare without taking the service back.
"""
from __future__ import annotations

import time

import pytest

from lab import cluster, drill_report, failover
from lab.report import table

pytestmark = pytest.mark.drill


@pytest.fixture
def steady(service, client):
    """The cluster whole before and after each drill."""
    failover.settle(service, client.inv)
    yield
    failover.settle(service, client.inv)


# MISSION.md's targets: the client's outage (first failure to the next answer).
TARGETS = {"crash": drill_report.TARGET_NODE_CRASH, "nginx killed": drill_report.TARGET_SERVICE_DIES}


def drill(client, service, record, name: str, on: str | None = None) -> failover.Outcome:
    outcome = failover.run(client.inv, service, name, on=on)
    print(f"\nactive_passive drill: {name}\n{table(failover.HEADERS, [outcome.row()])}")
    record(target=TARGETS.get(name), outage=outcome.gap, failed=outcome.failed, total=outcome.total,
           data_lost=not outcome.witness_intact, results=outcome.results, names={service.url("/"): f"VIP {service.vip}"},
           disrupted=outcome.disrupted, disrupted_label=f"{name} on {outcome.before}",
           returned=outcome.whole_again, returned_label=f"cluster whole, service on {outcome.after}")
    assert outcome.total > 100, "the client sent too few requests to judge"
    assert outcome.samples > 20, "the mount watch took too few samples"
    assert outcome.most_mounted <= 1, f"the disk was mounted on two nodes at once: {outcome.both[:3]}"
    assert outcome.most_mounted == 1, "the watch never saw the disk mounted: it watched nothing"
    assert outcome.witness_intact, "the file written to the shared disk before the drill is not intact"
    assert outcome.answered_again, "the service did not answer again"
    assert outcome.moved_unasked is None, f"the service moved between drills, with no drill: {outcome.moved_unasked}"
    return outcome


def stays_put(service, outcome) -> None:
    """A returning node rejoins as a spare: the service does not move back."""
    time.sleep(3)
    assert cluster.state(service.nodes).group_complete_on(service.group) == outcome.after, "the service moved back"


# A clean stop needs no fencing; a crash is fenced by the survivor before it
# takes the service. Either way the returning node rejoins as the spare.
@pytest.mark.parametrize("name, fenced, bound", [("clean stop", 0, 15), ("crash", 1, 30)], ids=["clean_stop", "crash"])
def test_the_active_node_lost_moves_the_service_and_it_stays(client, service, steady, drill_record, name, fenced, bound):
    outcome = drill(client, service, drill_record, name)
    assert outcome.after != outcome.before
    assert outcome.fenced == fenced, f"{name}: {outcome.fenced} fencing action(s), expected {fenced}"
    assert outcome.gap < bound, f"outage {outcome.gap:.2f} s"
    stays_put(service, outcome)


def test_nginx_killed_on_the_active_node_is_restarted_in_place(client, service, steady, drill_record):
    outcome = drill(client, service, drill_record, "nginx killed")
    assert outcome.after == outcome.before, "the first failure restarts nginx in place"
    assert outcome.fenced == 0
    assert outcome.gap < 15, f"outage {outcome.gap:.2f} s"
    failures = cluster.state(service.nodes).failed_actions
    assert any(f.startswith(f"{service.group}-service_monitor") for f in failures), \
        f"the failure is on record for the operator: {failures}"


@pytest.mark.parametrize("serving", ["winner", "loser"])
def test_partition_leaves_exactly_one_side_serving_and_fences_the_other(client, service, steady, serving, drill_record):
    """The link between the nodes is cut, the service running on the node
    that wins (pacemaker_cluster_fence_winner) or on the other: the winner fences
    the other side and serves."""
    if len(service.nodes) != 2:
        pytest.skip("the partition drill cuts the link of a two-node cluster")
    winner = str(service.nodes[0].var("pacemaker_cluster_fence_winner") or service.nodes[0].name)
    loser = next(n.name for n in service.nodes if n.name != winner)
    outcome = drill(client, service, drill_record, "partition", on=winner if serving == "winner" else loser)
    assert outcome.fenced == 1, "exactly one side is fenced"
    assert outcome.after == winner
    if serving == "winner":
        assert outcome.failed == 0, "the winner kept serving throughout"
    assert outcome.gap < 30, f"outage {outcome.gap:.2f} s"
    stays_put(service, outcome)
