"""Drills: the balancers' ACME certificate renewed under load, renewed by
the timer on its own, and the CA down at renewal time.

A forced renewal on the first balancer orders a new certificate (DNS-01
through the farm's zone), hands it to every balancer and puts it live by
hitless reloads while a client keeps asking both VIPs by name: no request
fails, and both balancers then serve the new certificate. With the CA
refusing connections, the renewal fails, says why, and the old certificate
keeps serving on both. The timer's own run (its unit, as its user, no one
at the controller) renews a certificate once it is within the margin.
"""
from __future__ import annotations

import time

import pytest
from test_acme import served

from lab import drill_report, hosts, monitor
from lab.acme import SCRIPT, status
from lab.acme import run as acme_run
from lab.drill import Load, wait_for
from lab.report import summarize, summary_table

pytestmark = pytest.mark.drill


@pytest.fixture(scope="module")
def acme(farm, inventory):
    certificates = farm.balancers[0].var("lb_acme_certificates") or []
    if not certificates:
        pytest.skip("the balancers have no ACME certificate (lb_acme_certificates)")
    ca = inventory.hosts("lab_acme_ca")
    return certificates[0], ca[0] if ca else None


def fingerprints(farm, name: str) -> dict[str, str]:
    return {b.name: (status(b)["certificates"][name]["live"] or {}).get("fingerprint", "") for b in farm.balancers}


def renew(balancer, *args: str):
    t0 = time.time()
    out = acme_run(balancer, "renew", *args, check=False, timeout=300)
    return out, time.time() - t0


def test_a_forced_renewal_under_load_through_both_vips_costs_no_request(client, farm, acme, drill_record):
    cert, _ = acme
    name = cert["domains"][0]
    before = fingerprints(farm, cert["name"])
    assert len(set(before.values())) == 1, before
    # Four clients, each a new connection every 10 ms or so, by the name,
    # which the zone resolves to each VIP in turn (each request notes the
    # address it used).
    url = f"https://{name}/"
    load = Load(client.inv, [url], count=20000, duration=90, timeout=2.0, workers=4, interval=0.01,
                headers=[farm.header], resolve="first").start()
    time.sleep(2)
    out, took = renew(farm.balancers[0], "--force")
    t1 = time.time()
    results = load.finish(grace=2)
    assert out.returncode == 0, out.stdout + out.stderr
    after = fingerprints(farm, cert["name"])
    summary = summarize(results)
    print(f"\nACME drill: forced renewal of {cert['name']} on {farm.balancers[0].name}, {took:.1f} s "
          f"(order, checks, hand-over, reloads), under load by name through both VIPs")
    print(summary_table(summary, {url: f"{name} (both VIPs)"}))
    print("before: " + ", ".join(f"{b} {f[:16]}" for b, f in before.items()))
    print("after:  " + ", ".join(f"{b} {f[:16]}" for b, f in after.items()))
    drill_record(target=drill_report.TARGET_MAINTENANCE, outage=drill_report.longest_gap(results), results=results,
                 names={url: f"{name} (both VIPs)"}, disrupted=t1 - took, disrupted_label="renewal began",
                 returned=t1, returned_label="every balancer on the new certificate")
    assert len(set(after.values())) == 1 and set(after.values()) != set(before.values()), (before, after)
    for address in farm.vips:
        code, text = served(client, address, name)
        assert code == 0 and "Verification: OK" in text, f"{address}: {text[-800:]}"
    used = {r.answer for r in results}
    assert set(farm.vips) <= used, f"the load reached {used}, not every VIP {farm.vips}"
    assert summary.total > 500
    lost = [(r.outcome, r.status, r.answer, r.error) for r in results if not r.ok]
    assert not lost, f"{len(lost)} of {summary.total} requests failed across the renewal: {lost[:10]}"


TIMER = "webfarm-acme-renew"
DROP_IN = f"/run/systemd/system/{TIMER}.{{unit}}.d/webfarm-drill.conf"


def test_the_timer_renews_on_its_own_once_the_certificate_is_within_the_margin(client, farm, acme, drill_record):
    """The timer fires (in 2 s, not at its schedule) and its unit runs the
    renewal with a margin longer than the certificate has left: the leader
    renews and every balancer serves the new certificate, with no command
    from here. Runtime drop-ins (/run) hold the drill's schedule and margin,
    and go when it ends."""
    cert, _ = acme
    leader = farm.balancers[0]
    before = fingerprints(farm, cert["name"])
    left = int(status(leader)["certificates"][cert["name"]]["live"]["seconds_left"])
    margin = left + 3600
    drop_ins = {"timer": "[Timer]\nOnCalendar=\nOnActiveSec=2\nRandomizedDelaySec=0\n",
                "service": f"[Service]\nExecStart=\nExecStart={SCRIPT} renew --margin {margin}\n"}
    for unit, text in drop_ins.items():
        path = DROP_IN.format(unit=unit)
        hosts.run(leader, "sh", "-c", f"mkdir -p {path.rsplit('/', 1)[0]} && printf '{text}' > {path}")
    try:
        hosts.run(leader, "systemctl", "daemon-reload")
        t0 = time.time()
        hosts.run(leader, "systemctl", "restart", f"{TIMER}.timer")
        wait_for(lambda: len(set(fingerprints(farm, cert["name"]).values()) - set(before.values())) == 1
                 and len(set(fingerprints(farm, cert["name"]).values())) == 1, timeout=120)
        took = time.time() - t0
        wait_for(lambda: hosts.run(leader, "systemctl", "show", "-p", "ActiveState", "--value",
                                   f"{TIMER}.service").stdout.strip() == "inactive", timeout=30)
        result = hosts.run(leader, "systemctl", "show", "-p", "Result", "--value", f"{TIMER}.service").stdout.strip()
    finally:
        hosts.run(leader, "sh", "-c", f"rm -rf {DROP_IN.format(unit='timer').rsplit('/', 1)[0]} "
                                      f"{DROP_IN.format(unit='service').rsplit('/', 1)[0]}", check=False)
        hosts.run(leader, "systemctl", "daemon-reload", check=False)
        hosts.run(leader, "systemctl", "restart", f"{TIMER}.timer", check=False)
    after = fingerprints(farm, cert["name"])
    print(f"\nACME drill: {leader.name}'s timer fired with {left / 3600:.1f} h left on {cert['name']} and a margin "
          f"of {margin / 3600:.1f} h; every balancer on the new certificate {took:.1f} s later")
    print("before: " + ", ".join(f"{b} {f[:16]}" for b, f in before.items()))
    print("after:  " + ", ".join(f"{b} {f[:16]}" for b, f in after.items()))
    drill_record(seconds=took, disrupted=t0, disrupted_label="timer fired", returned=t0 + took,
                 returned_label="every balancer on the new certificate")
    assert result == "success", f"{TIMER}.service ended with {result}"
    assert status(leader)["certificates"][cert["name"]]["last"]["ok"]
    name = cert["domains"][0]
    for address in farm.vips:
        code, text = served(client, address, name)
        assert code == 0 and "Verification: OK" in text, f"{address}: {text[-800:]}"
    # The schedule is the inventory's again.
    calendar = hosts.run(leader, "systemctl", "show", "-p", "TimersCalendar", "--value", f"{TIMER}.timer").stdout
    assert "OnCalendar=" in calendar and "OnActiveSec" not in hosts.run(
        leader, "systemctl", "cat", f"{TIMER}.timer").stdout, calendar


def test_with_the_ca_down_the_renewal_fails_and_the_old_certificate_keeps_serving(client, farm, acme, drill_record,
                                                                                    inventory):
    cert, ca = acme
    if ca is None:
        pytest.skip("no lab ACME CA (lab_acme_ca) to take down")
    name = cert["domains"][0]
    before = fingerprints(farm, cert["name"])
    port = int(str(farm.balancers[0].var("lb_acme_directory")).rsplit(":", 1)[1].split("/")[0])
    event = hosts.refuse(ca, port)
    try:
        out, took = renew(farm.balancers[0], "--force")
    finally:
        hosts.restore(ca)
    last = status(farm.balancers[0])["certificates"][cert["name"]]["last"]
    print(f"\nACME drill: CA refusing connections at renewal time ({ca.name}:{port}); "
          f"the renewal gave up after {took:.1f} s: {last.get('error')}")
    drill_record(seconds=took, disrupted=event.t0, disrupted_label=f"CA down ({ca.name})",
                 returned=event.t0 + took, returned_label="renewal gave up")
    assert out.returncode != 0 and last["ok"] is False, out.stdout + out.stderr
    assert "ACME order failed" in last["error"], last
    assert fingerprints(farm, cert["name"]) == before
    for address in farm.vips:
        code, text = served(client, address, name)
        assert code == 0 and "Verification: OK" in text, f"{address}: {text[-800:]}"
    mon = monitor.of(inventory)
    if mon is not None:
        row = monitor.wait_row(mon, f"nlb/acme/{farm.balancers[0].name}", "degraded", "ACME order failed", timeout=15)
        print(f"the monitor: {row['name']}: {row['state']}: {row['detail']}")
    # Once the CA is back, the next run succeeds, and the monitor says so.
    out, _ = renew(farm.balancers[0])
    assert out.returncode == 0 and status(farm.balancers[0])["certificates"][cert["name"]]["last"]["ok"], out.stderr
    if mon is not None:
        monitor.wait_row(mon, f"nlb/acme/{farm.balancers[0].name}", "up", "ok", timeout=15)
