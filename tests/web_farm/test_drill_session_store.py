"""Drill: crash the session store's host while a session keeps visiting.

The store is Redis with its append-only file fsynced before it answers
(roles/session_store). On a cluster (the lab: the session_store group is the
active_passive cluster) the store group moves to another node; on a host of
its own (molecule/web_farm) the host is started again. Either way:
- while the store is away the app answers 503 "degraded" with a reason,
  never a stack trace, and reconnects by itself afterwards;
- no acknowledged visit is lost: every visit the app reported is still
  counted after the store is back, and the count never jumps by more than
  the visits that failed meanwhile.
"""
from __future__ import annotations

import time

import pytest

from lab import cluster, drill_report, hosts, sessions
from lab.drill import wait_for
from lab.report import Result

pytestmark = pytest.mark.drill

def _store_host(inventory):
    try:
        return sessions.store_host(inventory)
    except LookupError as exc:
        pytest.skip(str(exc))


def check_no_visit_lost(replies: list[dict]) -> tuple[int, float]:
    """Every pair of consecutive answered visits a, b with k failed between:
    a < b <= a + 1 + k. Return (failed visits, seconds from the first failure
    to the next answer)."""
    failed, first_failure, outage, last_ok = 0, None, 0.0, None
    for r in replies:
        if r["http"] != 200:
            assert r["http"] in (0, 502, 503, 504), f"unexpected answer while the store was away: {r}"
            if r["http"] == 503:
                assert r.get("status") == "degraded" and r.get("reason"), f"503 without a degraded status: {r}"
            failed += 1
            first_failure = first_failure or r["t"]
            continue
        if last_ok is not None:
            between = failed - last_ok[1]
            assert last_ok[0]["visits"] < r["visits"] <= last_ok[0]["visits"] + 1 + between, (
                f"visits went from {last_ok[0]['visits']} to {r['visits']} with {between} failed visit(s) between: "
                f"{'an acknowledged visit was lost' if r['visits'] <= last_ok[0]['visits'] else 'visits were counted twice'}")
        if first_failure is not None:
            outage = max(outage, r["t"] - first_failure)
            first_failure = None
        last_ok = (r, failed)
    return failed, outage


def as_results(replies: list[dict]) -> list[Result]:
    """The visits as load records, for the drill report's timeline: answered
    (200), answered with an error, or no answer."""
    return [Result(i, r["url"], r["t"], r["t"], "ok" if r["http"] == 200 else ("bad_answer" if r["http"] else "error"),
                   r["http"] or None, r.get("node")) for i, r in enumerate(replies)]


def test_check_no_visit_lost_catches_a_lost_visit():
    ok = [{"http": 200, "visits": v, "t": float(v)} for v in (1, 2, 3)]
    down = {"http": 503, "status": "degraded", "reason": "store unreachable", "t": 3.5}
    assert check_no_visit_lost([*ok, down, {"http": 200, "visits": 5, "t": 4.0}]) == (1, 0.5)
    with pytest.raises(AssertionError, match="an acknowledged visit was lost"):
        check_no_visit_lost([*ok, down, {"http": 200, "visits": 3, "t": 4.0}])
    with pytest.raises(AssertionError, match="counted twice"):
        check_no_visit_lost([*ok, {"http": 200, "visits": 5, "t": 4.0}])
    with pytest.raises(AssertionError, match="without a degraded status"):
        check_no_visit_lost([*ok, {"http": 503, "t": 3.5}])


def test_crash_the_session_stores_host(inventory, client, drill_record):
    store, cluster_nodes = _store_host(inventory)
    s = sessions.Session(client.inv, sessions.spread_urls(inventory))
    try:
        warm = s.visit(3)
        assert [r["visits"] for r in warm] == [1, 2, 3], warm
        s.start(count=5000, duration=120, interval=0.02)
        time.sleep(1.0)
        crashed = hosts.crash(store)
        returned, returned_label = None, "store back"
        try:
            if cluster_nodes:
                where, took = cluster.wait_group(cluster_nodes, sessions.STORE_GROUP, lambda n: n != store.name,
                                                 since=crashed.t0, timeout=90)
                print(f"\nstore group moved {store.name} -> {where} in {took:.2f} s")
                returned, returned_label = crashed.t0 + took, f"store whole on {where}"
            else:
                time.sleep(2.0)
                returned, returned_label = hosts.start(store).t0, f"start {store.name}"
            time.sleep(3.0)  # answered visits after the return
        finally:
            replies = s.finish()
            hosts.restore(store)
        # On a cluster the store is a resource group: MISSION.md's target for a crashed node.
        drill_record(target=drill_report.TARGET_STORE_NODE_CRASH if cluster_nodes else None, results=as_results(replies),
                     disrupted=crashed.t0, disrupted_label=f"crash {store.name}", returned=returned,
                     returned_label=returned_label)
        failed, outage = check_no_visit_lost(replies)
        drill_record(outage=outage, data_lost=False)  # no acknowledged visit lost, none counted twice
        answered = [r for r in replies if r["http"] == 200]
        print(f"{len(replies)} visits, {failed} failed, outage {outage:.2f} s, last count {answered[-1]['visits']}")
        assert answered and answered[-1]["t"] > crashed.t1, "the app never answered again after the crash"
        assert failed > 0, "no visit failed: the crash did not reach the store (the drill proved nothing)"
        assert outage < 60
        # The app reconnected by itself: a fresh visit counts on.
        (again,) = s.visit(1)
        assert again["http"] == 200 and again["visits"] == answered[-1]["visits"] + 1, again
    finally:
        s.close()
        if cluster_nodes:
            wait_for(lambda: store.name in cluster.state(cluster_nodes).online, timeout=120, interval=1)
            hosts.run(cluster_nodes[0], "crm_resource", "--cleanup", check=False, timeout=60)
