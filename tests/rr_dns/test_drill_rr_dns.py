"""Drills: the round-robin name follows its members' health, under load.

Plain round-robin DNS keeps handing out a dead server's address. Here a
crashed member's record is withdrawn from every server within seconds and
comes back when the member does; with every member down the full set stays
(an answer beats NXDOMAIN); and a restart of named on the primary while a
member is down leaves the zone consistent on every server.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lab import dig, drill_report, hosts
from lab.drill import Load, wait_for
from lab.report import summarize, summary_table, table

pytestmark = pytest.mark.drill


def addresses(zone) -> list[str]:
    return [s.address for s in zone.servers]


def load_by_name(client, zone, resolve: str = "first") -> Load:
    """Requests to the site by its name, each resolved anew through the
    client's resolver. With resolve="first" each goes to the first address
    only: a client that does not fall back to the next address sees every
    stale record. With resolve="all" a client tries the next address when
    one does not answer, as browsers and curl do."""
    headers = [m.var("web_node_header") for m in zone.members.values()]
    return Load(client.inv, [f"http://{zone.service}/"], count=20000, duration=90, timeout=0.5, interval=0.01,
                headers=headers, resolve=resolve)


def records_of(victim) -> dict[str, str]:
    """The victim's records in the name: {'A': its address[, 'AAAA': its IPv6 address]}."""
    return {"A": victim.address, **({"AAAA": victim.address6} if victim.address6 else {})}


def watch_families(client, zone, victim, present: bool, since: float) -> dict[str, dict[str, float]]:
    """dig.watch_address for each of the victim's records at once (a watch
    started after another returned would measure its own start):
    {rtype: {server: seconds}}."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {rtype: pool.submit(dig.watch_address, client.inv, addresses(zone), zone.service, address, present,
                                      since=since, timeout=20, rtype=rtype)
                   for rtype, address in records_of(victim).items()}
        return {rtype: f.result() for rtype, f in futures.items()}


def crash_and_return(client, zone, victim) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], object, object]:
    """Crash victim, wait until every server withdrew its records of both
    families, start it, wait until every server has them back: (withdrawn
    after, restored after, crash, start), the times by record type and server."""
    down = back = None
    try:
        down = hosts.crash(victim)
        withdrawn = watch_families(client, zone, victim, False, since=down.t0)
        back = hosts.start(victim)
        restored = watch_families(client, zone, victim, True, since=back.t1)
    finally:
        if back is None:
            hosts.restore(victim)
    return withdrawn, restored, down, back


def test_a_crashed_member_is_withdrawn_from_every_server_then_restored(client, zone, drill_record):
    members = list(zone.members.values())
    assert len(members) >= 2, "the drill needs two members"
    victim = members[len(members) // 2]
    load = load_by_name(client, zone).start()
    fallback = load_by_name(client, zone, resolve="all").start()
    time.sleep(2)
    withdrawn, restored, down, back = crash_and_return(client, zone, victim)
    results = load.finish(grace=2)
    summary = summarize(results)
    fallback_results = fallback.finish(grace=2)
    fallback_summary = summarize(fallback_results)
    names = {s.address: s.name for s in zone.servers}
    print(f"\nrr_dns drill: {victim.name} ({victim.address}) crashed at +{down.t0 - load.started:.2f}s, "
          f"started at +{back.t0 - load.started:.2f}s (booted +{back.t1 - load.started:.2f}s)")
    print(table(["server", "record", "withdrawn after crash s", "restored after boot s"],
                [[names[a], rtype, f"{withdrawn[rtype][a]:.2f}", f"{restored[rtype][a]:.2f}"]
                 for a in addresses(zone) for rtype in withdrawn]))
    print(summary_table(summary, {f"http://{zone.service}/": f"{zone.service} (first address)"}))
    print(summary_table(fallback_summary, {f"http://{zone.service}/": f"{zone.service} (every address)"}))
    by_node = {}
    for r in results:
        by_node[r.node] = by_node.get(r.node, 0) + 1
    print("served by:", ", ".join(f"{k}={v}" for k, v in sorted(by_node.items(), key=str)))
    # The target bounds the withdrawal from every server; the outage and
    # failed/total are the first-address client's (the worst case).
    # Both families are held to the same target: the slower one counts.
    slowest_out = max(s for by_server in withdrawn.values() for s in by_server.values())
    slowest_back = max(s for by_server in restored.values() for s in by_server.values())
    drill_record(target=drill_report.TARGET_DNS_WITHDRAWN, seconds=slowest_out,
                 outage=summary.window.seconds if summary.window else 0.0, failed=summary.failed, total=summary.total,
                 results={"first address": results, "every address": fallback_results},
                 disrupted=down.t0, disrupted_label=f"crash {victim.name}", returned=back.t0,
                 returned_label=f"start {victim.name}")

    assert set(withdrawn) == set(records_of(victim)), "each of the victim's record types is watched"
    assert slowest_out < 10, "a crashed member must leave the name, both families, within seconds"
    assert slowest_back < 15, "a returning member must be back in the name, both families, within seconds"
    assert summary.total > 100
    # Requests fail only while the dead member is still handed out (its
    # withdrawal plus the records' TTL and the client's timeout), never later.
    ttl = float(zone.primary.var("dns_server_service_ttl"))
    last_listed = down.t0 + max(withdrawn["A"].values()) + ttl + 1.5
    late = [r for r in results if not r.ok and r.t0 > last_listed]
    assert not late, f"{len(late)} requests failed after every server withdrew {victim.name}: {late[:3]}"
    assert {r.outcome for r in results if not r.ok} <= {"timeout", "unreachable", "refused", "reset"}
    assert any(r.node == victim.name and r.t0 > back.t1 for r in results), f"{victim.name} got no request after its return"
    # A client that tries the next address loses at most the requests that
    # were in flight on the member when it died (reset), none after that.
    assert fallback_summary.total > 100
    lost = [r for r in fallback_results if not r.ok]
    assert all(r.t0 <= down.t1 for r in lost), (
        f"a client that tries every address lost requests after the crash: "
        f"{[(round(r.t0 - down.t0, 2), r.outcome, r.error) for r in lost]}")
    assert len(lost) <= 2, f"more than the in-flight requests lost: {lost}"


def test_with_every_member_down_the_full_set_stays(client, zone):
    members = list(zone.members.values())
    fall = int(zone.primary.var("dns_server_health_fall"))
    interval = float(zone.primary.var("dns_server_health_interval"))
    stopped = []
    try:
        for member in members:
            stopped.append(member)
            hosts.stop(member)
        # Long enough for every member to have failed its checks several times.
        time.sleep(3 * fall * interval + 2)
        for server in addresses(zone):
            for rtype, want in full_sets(zone).items():
                assert sorted(dig.records(client.inv, server, zone.service, rtype)) == want, \
                    f"{server} dropped {rtype} records although every member is down: an answer beats NXDOMAIN"
        log = zone_log(zone)
        assert all(f"every member is down for {rtype}" in log for rtype in full_sets(zone)), log
    finally:
        for member in stopped:
            hosts.restore(member)
    wait_for(lambda: all(sorted(dig.records(client.inv, s, zone.service, rtype)) == want
                         for s in addresses(zone) for rtype, want in full_sets(zone).items()), timeout=20)


def full_sets(zone) -> dict[str, list[str]]:
    """Every member's address by record type: what the name holds when all are up, or all down."""
    return {"A": sorted(zone.members), **({"AAAA": sorted(zone.members6)} if zone.members6 else {})}


def zone_log(zone) -> str:
    out = hosts.run(zone.primary, "journalctl", "-u", "webfarm-dns-health", "-n", "50", "--no-pager", check=False)
    return out.stdout


def test_a_named_restart_while_a_member_is_down_keeps_every_server_consistent(client, zone):
    victim = list(zone.members.values())[0]
    down = None
    try:
        down = hosts.crash(victim)
        dig.watch_address(client.inv, addresses(zone), zone.service, victim.address, False, since=down.t0, timeout=20)
        hosts.run(zone.primary, "systemctl", "restart", "named")
        wait_for(lambda: dig.status(client.inv, zone.primary.address, zone.service) == "NOERROR", timeout=20)
        for server in addresses(zone):
            listed = dig.records(client.inv, server, zone.service)
            assert victim.address not in listed and listed, f"{server} after the restart: {listed}"
        serials = {dig.serial(client.inv, s, zone.name) for s in addresses(zone)}
        wait_for(lambda: len({dig.serial(client.inv, s, zone.name) for s in addresses(zone)}) == 1, timeout=20)
        print(f"\nrr_dns drill: named restarted on {zone.primary.name} with {victim.name} down; serials {sorted(serials)}")
    finally:
        hosts.restore(victim)
    dig.watch_address(client.inv, addresses(zone), zone.service, victim.address, True, since=time.time(), timeout=20)
