"""Drill: take one web node down while the client calls every node round-robin.

Plain round-robin over node addresses has no fault detection (the white
paper's point about round-robin DNS): the lost node's share of requests
fails for as long as it is away. The drill proves the lab package sees exactly
that, for each way a node can go: a clean stop, a crash, and a cut network
cable. Every failure is charged to that node, none to the others, and the
outage window lies between the disruption and the node's return.
"""
from __future__ import annotations

import time

import pytest

from lab import hosts
from lab.drill import Load
from lab.report import summarize, summary_table

pytestmark = pytest.mark.drill

# disruption -> (take the node away, bring it back)
DISRUPTIONS = {
    "stop": (hosts.stop, hosts.start),
    "crash": (hosts.crash, hosts.start),
    "cut": (hosts.cut, hosts.reconnect),
}


@pytest.mark.parametrize("how", list(DISRUPTIONS))
def test_down_node_failures_are_charged_to_that_node_only(inventory, how, drill_record):
    take_down, bring_back = DISRUPTIONS[how]
    nodes = inventory.hosts("web_farm")
    assert len(nodes) >= 2, "the drill needs at least two web nodes"
    victim = nodes[len(nodes) // 2]
    urls = {n.name: n.url("web_node_port") for n in nodes}

    load = Load(inventory.client(), list(urls.values()), count=20000, duration=60, timeout=0.5, interval=0.01,
                headers=[n.var("web_node_header") for n in nodes])
    load.start()
    down = back = None
    try:
        time.sleep(2)
        down = take_down(victim)
        time.sleep(2)
        back = bring_back(victim)
    finally:
        if back is None:  # restore the node whatever happened
            hosts.restore(victim)
    # Let the node answer for a while after its return, then end the run.
    results = load.finish(grace=2)
    summary = summarize(results)
    names = {u: n for n, u in urls.items()}
    print(f"\nweb_farm drill ({how}): {victim.name} down at +{down.t0 - load.started:.2f}s, "
          f"back at +{back.t0 - load.started:.2f}s (ready +{back.t1 - load.started:.2f}s)")
    print(summary_table(summary, names))

    victim_url = urls[victim.name]
    # Plain round-robin has no fault detection, so no target: the figures
    # show what the victim's share cost (its outage window).
    victim_window = summary.window_for(victim_url)
    drill_record(outage=victim_window.seconds if victim_window else None, failed=summary.failed, total=summary.total,
                 results=results, names=names, disrupted=down.t0, disrupted_label=f"{how} {victim.name}",
                 returned=back.t0, returned_label=f"{bring_back.__name__} {victim.name}")
    assert summary.total > 100, "the load generator sent too few requests to judge"
    assert summary.failed > 0, f"a {how} node must fail the requests sent to it"
    assert summary.failed_targets() == {victim_url}, f"failures charged to other nodes: {summary.by_target}"
    for name, u in urls.items():
        if name != victim.name:
            assert summary.by_target[u]["ok"] == summary.by_target[u]["total"]
            assert {r.node for r in results if r.target == u} == {name}

    window = summary.window_for(victim_url)
    assert window is not None
    # Generous bounds: the outage starts no earlier than the disruption and
    # ends within a few seconds of the node being back.
    assert window.start >= down.t0 - 0.1
    assert window.end <= back.t1 + 5
    assert window.recovered is not None, f"{victim.name} never answered again after coming back"
    assert {r.node for r in results if r.target == victim_url and r.ok and r.t0 >= window.end} == {victim.name}
    # Every failure is a client-visible network outcome, never a wrong answer.
    assert {r.outcome for r in results if not r.ok} <= {"timeout", "refused", "unreachable", "reset"}
