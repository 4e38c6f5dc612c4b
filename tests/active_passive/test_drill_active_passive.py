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
from lab.drill import Load, wait_for
from lab.report import summarize, table

pytestmark = pytest.mark.drill


@pytest.fixture
def steady(service, client):
    """The cluster whole before and after each drill."""
    failover.settle(service, client.inv)
    yield
    failover.settle(service, client.inv)


# MISSION.md's targets: the client's outage (first failure to the next answer).
TARGETS = {"crash": drill_report.TARGET_NODE_CRASH, "nginx killed": drill_report.TARGET_SERVICE_DIES}


def drill(client, service, record, name: str, on: str | None = None, family: int = 4) -> failover.Outcome:
    outcome = failover.run(client.inv, service, name, on=on, family=family)
    print(f"\nactive_passive drill: {name} (IPv{family})\n{table(failover.HEADERS, [outcome.row()])}")
    vip = service.vip6 if family == 6 else service.vip
    record(target=TARGETS.get(name), outage=outcome.gap, failed=outcome.failed, total=outcome.total,
           data_lost=not outcome.witness_intact, results=outcome.results, names={service.url("/", family): f"VIP {vip}"},
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
# The crash again through the IPv6 VIP, held to the same target.
@pytest.mark.parametrize("name, fenced, bound, family", [("clean stop", 0, 15, 4), ("crash", 1, 30, 4), ("crash", 1, 30, 6)],
                         ids=["clean_stop", "crash", "crash-ipv6"])
def test_the_active_node_lost_moves_the_service_and_it_stays(client, service, steady, drill_record, name, fenced, bound,
                                                             family):
    if family == 6 and not service.vip6:
        pytest.skip("the service has no IPv6 VIP (vip6): no IPv6 run")
    outcome = drill(client, service, drill_record, name, family=family)
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


def test_the_arbiter_lost_leaves_the_cluster_serving_and_its_return_restores_the_vote(client, service, steady, arbiter,
                                                                                        drill_record):
    """corosync-qnetd stopped on the arbiter: each node's device stops voting,
    but the two nodes still hold two of three votes, so the cluster stays
    quorate and the service answers throughout, nothing moves and nothing is
    fenced. qnetd back, every node's device votes again. (A node lost while
    the arbiter is down leaves the survivor one vote of three: it stops the
    service and waits, docs/active_passive.md; not drilled here.)"""
    before = cluster.state(service.nodes).group_complete_on(service.group)
    fenced_before = failover.fence_count(service)
    load = Load(client.inv, [service.url("/")], count=9000, duration=90, timeout=0.5, interval=0.01, headers=[service.header])
    load.start()
    time.sleep(1)
    t0 = time.time()
    arbiter.host.run("systemctl stop corosync-qnetd")
    try:
        # The nodes see the arbiter gone within their heartbeat (8 s here).
        wait_for(lambda: not any(cluster.device_votes(n) for n in service.nodes), timeout=40)
        lost = time.time() - t0
        view = cluster.state(service.nodes)
        time.sleep(2)
    finally:
        arbiter.host.run("systemctl start corosync-qnetd")
    wait_for(lambda: all(cluster.device_votes(n) for n in service.nodes), timeout=60)
    returned = time.time()
    results = load.finish(grace=1)
    summary = summarize(results)
    row = ["arbiter lost", f"{summary.failed}/{summary.total}", f"{lost:.2f}", f"{returned - t0:.2f}"]
    print("\nactive_passive drill: arbiter lost\n" + table(["drill", "failed/total", "device lost after s", "back after s"], [row]))
    drill_record(target="0 failed", failed=summary.failed, total=summary.total, results=results,
                 names={service.url("/"): f"VIP {service.vip}"}, data_lost=None,
                 disrupted=t0, disrupted_label=f"corosync-qnetd stopped on {arbiter.name}",
                 returned=returned, returned_label="every node's device votes again")
    assert view.quorate, f"{view.seen_from} lost quorum with the arbiter down"
    assert summary.total > 100, "the client sent too few requests to judge"
    assert summary.failed == 0, f"{summary.failed} of {summary.total} requests failed with the arbiter down"
    assert cluster.state(service.nodes).group_complete_on(service.group) == before, "the service moved"
    assert failover.fence_count(service) == fenced_before, "a node was fenced"
