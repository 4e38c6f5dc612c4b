"""Drills: the balanced farm under bounded load from the client, through a VIP.

A web node that crashes or stops costs no request (HAProxy's checks take it
out, its in-flight requests are sent again to another node). A node whose
health says 503 leaves and comes back. With every node down the sorry page
answers. A balancer that crashes, loses HAProxy (stopped or hung), or is cut off (isolated) hands its
VIP to the other within a second or so, and on return each VIP has one
holder again.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_nlb import assert_scheduling

from lab import drill_report, haproxy, hosts, vip, vrrp, webclient
from lab.drill import Load, wait_for
from lab.playbook import recap, run_playbook
from lab.report import service_gap, summarize, summary_table, table

pytestmark = pytest.mark.drill

VRRP = Path(vrrp.__file__)


def load_through(client, farm, site: str = "www", vip_index: int = 0, duration: float = 60, timeout: float = 1.0,
                 workers: int = 4, pace: float = 0.0, family: int = 4) -> Load:
    # Several workers, so one request waiting for its timeout does not hide
    # that the next ones are answered; with pace, one request every pace
    # seconds whatever the others are doing (open loop). family 6: through
    # the VIP's IPv6 address.
    return Load(client.inv, [farm.url(site, vip_index, family=family)], count=20000, duration=duration, timeout=timeout,
                interval=0.0 if pace else 0.01, workers=workers, headers=[farm.header], pace=pace)


def every_node_up(balancers, farm) -> bool:
    return all(state == "UP" for lb in balancers for (_, server), state in haproxy.server_states(lb).items()
               if server in {m.name for m in farm.members})


@pytest.fixture
def steady(farm):
    """Every balancer and node back, every node UP in HAProxy, each VIP on
    its master: before and after each drill."""
    haproxy.restore_farm(farm.balancers, farm.members)
    yield
    haproxy.restore_farm(farm.balancers, farm.members)


def over(farm, family: int) -> None:
    """Skip a drill's IPv6 run where the first VIP has no IPv6 address."""
    if family == 6 and not farm.vips6[0]:
        pytest.skip("the first VIP has no IPv6 address (address6): no IPv6 run")


@pytest.mark.parametrize("how, family", [pytest.param("crash", 4, id="crash"), pytest.param("stop", 4, id="stop"),
                                         pytest.param("crash", 6, id="crash-ipv6")])
def test_a_web_node_that_goes_away_costs_no_request(client, farm, steady, how, family, drill_record):
    over(farm, family)
    victim = farm.members[len(farm.members) // 2]
    url = farm.url("www", family=family)
    load = load_through(client, farm, family=family).start()
    time.sleep(2)
    down = (hosts.crash if how == "crash" else hosts.stop)(victim)
    time.sleep(3)
    back = hosts.start(victim)
    wait_for(lambda: every_node_up(farm.balancers[:1], farm), timeout=20)
    results = load.finish(grace=1)
    summary = summarize(results)
    print(f"\nnlb drill: web node {victim.name} {how} at +{down.t0 - load.started:.2f}s, back +{back.t1 - load.started:.2f}s")
    print(summary_table(summary, {url: f"through the VIP (IPv{family})"}))
    drill_record(target=drill_report.TARGET_WEB_NODE_KILLED, outage=drill_report.longest_gap(results), results=results,
                 names={url: f"through the VIP (IPv{family})"}, disrupted=down.t0, disrupted_label=f"{how} {victim.name}",
                 returned=back.t0, returned_label=f"start {victim.name}")
    assert summary.total > 200
    assert summary.failed == 0, f"{summary.failed} requests failed: {summary.by_outcome}"
    assert any(r.node == victim.name and r.t0 > back.t1 for r in results), f"{victim.name} served nothing after its return"


def test_a_web_node_cut_off_under_load_holds_no_request_for_long(client, farm, steady, drill_record):
    """Its link cut, the node answers nothing and resets nothing: requests in
    flight to it would wait out timeout server. A GET it holds longer than
    lb_haproxy_retry_timeout is sent again to another node, and HAProxy
    marks it down within a couple of checks: no request fails."""
    victim = farm.members[len(farm.members) // 2]
    # A client timeout well above the bound, so a request held by the dead node shows as the wait it was.
    load = load_through(client, farm, timeout=8).start()
    time.sleep(2)
    down = hosts.cut(victim)
    time.sleep(6)
    back = hosts.reconnect(victim)
    wait_for(lambda: every_node_up(farm.balancers[:1], farm), timeout=20)
    results = load.finish(grace=1)
    summary = summarize(results)
    longest = max(r.t1 - r.t0 for r in results)
    failed = [r for r in results if not r.ok]
    print(f"\nnlb drill: web node {victim.name} cut at +{down.t0 - load.started:.2f}s, back +{back.t1 - load.started:.2f}s; "
          f"longest request {longest:.2f} s; failed {[(round(r.t0 - down.t0, 2), r.outcome) for r in failed]}")
    print(summary_table(summary, {farm.url("www"): "through the VIP"}))
    drill_record(target=drill_report.TARGET_WEB_NODE_CUT, seconds=longest, outage=drill_report.longest_gap(results),
                 results=results, names={farm.url("www"): "through the VIP"}, disrupted=down.t0,
                 disrupted_label=f"cut {victim.name}", returned=back.t0, returned_label=f"reconnect {victim.name}")
    assert summary.total > 200
    assert longest < 5, f"a request waited {longest:.2f} s for the cut-off node"
    assert summary.failed == 0, f"{summary.failed} requests failed: {summary.by_outcome}"
    assert any(r.node == victim.name and r.t0 > back.t1 for r in results), f"{victim.name} served nothing after its return"


def test_a_node_whose_health_says_503_is_taken_out_and_comes_back(client, farm, steady):
    victim = farm.members[0]
    maintenance = str(victim.var("web_node_maintenance_file"))
    hosts.run(victim, "sh", "-c", f"mkdir -p $(dirname {maintenance}) && touch {maintenance}")
    try:
        wait_for(lambda: victim.name not in webclient.served_by(client.inv, farm.url("www"), 6, farm.header), timeout=10)
        # The port stays open and serves pages: only the health answer changed,
        # so a site with a TCP check keeps the node.
        assert webclient.get(client.inv, victim.url("web_node_port"))[0] == 200
        tcp_sites = [name for name, site in farm.sites.items() if site.get("check") == "tcp"]
        for site in tcp_sites:
            assert victim.name in webclient.served_by(client.inv, farm.url(site), 12, farm.header), site
    finally:
        hosts.run(victim, "rm", "-f", maintenance)
    wait_for(lambda: victim.name in webclient.served_by(client.inv, farm.url("www"), 6, farm.header), timeout=10)


def test_with_every_node_down_the_sorry_page_answers(client, farm, steady):
    for m in farm.members:
        hosts.run(m, "systemctl", "stop", "nginx")
    try:
        def sorry() -> bool:
            status, headers, _ = webclient.get(client.inv, farm.url("www"))
            return status == 503 and headers.get(farm.header.lower(), "").startswith("sorry-")
        wait_for(sorry, timeout=10)
        status, headers, body = webclient.get(client.inv, farm.url("www"))
        assert status == 503 and "Back soon" in body and headers.get("retry-after") == "60"
    finally:
        for m in farm.members:
            hosts.run(m, "systemctl", "start", "nginx")


def test_a_cookie_pinned_client_is_re_pinned_when_its_node_dies(client, farm, steady):
    jar = "/tmp/webfarm-drill-cookies"
    url = farm.url("sticky")

    def with_jar(count: int) -> list[str]:
        out = hosts.run(client.inv, "bash", "-c",
                        f"for i in $(seq {count}); do curl -sS -m 5 -b {jar} -c {jar} -o /dev/null -D - {url} "
                        f"| tr -d '\\r' | grep -i '^{farm.header}:' | cut -d' ' -f2; done")
        return out.stdout.split()

    hosts.run(client.inv, "rm", "-f", jar)
    first = set(with_jar(4))
    assert len(first) == 1, first
    pinned = next(h for h in farm.members if h.name in first)
    hosts.crash(pinned)
    try:
        wait_for(lambda: pinned.name not in with_jar(1), timeout=10)
        again = set(with_jar(6))
        assert len(again) == 1 and pinned.name not in again, f"after {pinned.name} died the client went to {again}"
    finally:
        hosts.restore(pinned)
        hosts.run(client.inv, "rm", "-f", jar)


def test_reloading_haproxy_under_load_costs_no_request(client, farm, steady, drill_record):
    # Master-worker reloads: the new workers take the listening sockets over.
    active = farm.master(0)
    load = load_through(client, farm).start()
    time.sleep(1)
    t0 = time.time()
    for _ in range(3):
        hosts.run(active, "systemctl", "reload", "haproxy")
        time.sleep(1)
    t1 = time.time()
    results = load.finish(grace=1)
    summary = summarize(results)
    print(f"\nnlb drill: HAProxy reloaded 3 times on {active.name}")
    print(summary_table(summary, {farm.url("www"): "through the VIP"}))
    drill_record(target=drill_report.TARGET_MAINTENANCE, outage=drill_report.longest_gap(results), results=results,
                 names={farm.url("www"): "through the VIP"}, disrupted=t0, disrupted_label=f"first reload on {active.name}",
                 returned=t1, returned_label="reloads done")
    assert summary.total > 200
    lost = [(r.outcome, r.status, r.node, r.error) for r in results if not r.ok]
    # The old workers finish what they accepted; a stopping worker's
    # backends count no server, which once sent such a request to the sorry
    # page (1 in ~2,000 over HTTP, 3 in ~1,400 over HTTPS): not any more.
    assert not lost, f"{len(lost)} requests failed across reloads: {lost}"


BALANCER_FAILURES = {
    # how -> (take the active balancer's service away, bring it back, seconds away)
    "crash": (lambda lb: hosts.crash(lb), lambda lb: hosts.start(lb), 2),
    "haproxy-stop": (lambda lb: hosts.run(lb, "systemctl", "stop", "haproxy"),
                     lambda lb: hosts.run(lb, "systemctl", "start", "haproxy"), 2),
    # Running but not answering (frozen): the watcher's requests to the
    # health URL time out twice, a tenth of a second apart.
    "haproxy-hang": (lambda lb: hosts.run(lb, "pkill", "-STOP", "-x", "haproxy"),
                     lambda lb: hosts.run(lb, "pkill", "-CONT", "-x", "haproxy"), 2),
    # Long enough for the isolated balancer to see its nodes down and lower
    # its priority: on return it hands over to the other at once.
    "isolate": (lambda lb: hosts.isolate(lb), lambda lb: hosts.rejoin(lb), 6),
}


@pytest.mark.parametrize("how, family", [*(pytest.param(how, 4, id=how) for how in BALANCER_FAILURES),
                                         pytest.param("crash", 6, id="crash-ipv6")])
def test_the_vip_leaves_a_failed_balancer_and_each_vip_keeps_one_holder(client, farm, steady, how, family, drill_record):
    over(farm, family)
    take, give_back, away = BALANCER_FAILURES[how]
    active, other = farm.master(0), farm.master(1)
    # The VIP the load goes through: the first one's address of this family.
    address = farm.vips6[0] if family == 6 else farm.vips[0]
    url = farm.url("www", family=family)
    assert vip.holders(farm.balancers, address) == [active.name]
    # A SYN sent to a balancer whose network has gone gets no answer: its
    # request waits out the client's timeout. Workers in a closed loop all
    # send one into that moment and are all stuck there, so none would see
    # the VIP answer again until their timeout ends (a crash then measured
    # 0.4 or 0.65 s for the same takeover, docs/nlb.md). In an open loop a
    # request leaves every 10 ms whatever the others are doing, as
    # independent users' would: the gap is the service's, not the client's.
    load = load_through(client, farm, timeout=0.25, workers=32, pace=0.01, family=family).start()
    time.sleep(2)
    t0 = time.time()
    take(active)
    # A cut-off balancer still shows the VIP on its side: watch the others.
    holder, moved = vip.wait_holder([b for b in farm.balancers if b is not active], address,
                                    lambda name: name != active.name, since=t0, timeout=15)
    time.sleep(away)
    t_back = time.time()
    give_back(active)
    wait_for(lambda: vip.holders(farm.balancers, address) == [active.name], timeout=30)
    back = time.time()
    results = load.finish(grace=1)
    summary = summarize(results)
    lost, gap = service_gap(results, t0 - 1, t_back)
    lost_back, gap_back = service_gap(results, t_back, back + 1)
    print(f"\nnlb drill: balancer {active.name} {how} at +{t0 - load.started:.2f}s; VIP {address} on {holder} "
          f"after {moved:.2f}s; back on {active.name} at +{back - load.started:.2f}s")
    print(summary_table(summary, {url: f"through the VIP (IPv{family})"}))
    print(table(["phase", "failed", "gap s"], [["failover", lost, f"{gap:.2f}"], ["return", lost_back, f"{gap_back:.2f}"]]))
    print(table(["VIP", "holders"], [[a, " ".join(vip.holders(farm.balancers, a))] for _, a in farm.addresses()]))
    if lost_back:
        print(f"failed after {active.name} came back (VIP back after {back - t_back:.2f} s):",
              " ".join(failures_since(results, t_back)))
    # MISSION.md's target is for a crash, issue 22's for a frozen HAProxy;
    # the other failures are reported against none.
    target = {"crash": drill_report.TARGET_BALANCER_CRASH, "haproxy-hang": drill_report.TARGET_HAPROXY_HUNG}.get(how)
    drill_record(target=target, outage=gap, results=results,
                 names={url: f"VIP {address}"}, disrupted=t0, disrupted_label=f"{how} {active.name}",
                 returned=t_back, returned_label=f"{active.name} back")

    assert holder == other.name
    assert moved < 5, f"the VIP took {moved:.2f} s to move"
    if how == "crash":
        # Started again by systemd, real-time from the start (the drop-in).
        assert_scheduling(active)
    for _, each in farm.addresses():
        assert len(vip.holders(farm.balancers, each)) == 1, f"{each} has more than one holder"
    assert summary.total > 200
    # Only what was in flight or sent while the VIP moved, and until the
    # clients' ARP caches followed it, may fail; generous bounds (the
    # figures are the benchmark's).
    # A run of failures, not one request slow on a busy host (three read
    # timeouts among successes failed a CI run, the host's load at 15).
    late, late_gap = service_gap(results, t0 + moved + 4, t_back)
    assert late_gap < 1, (f"clients went {late_gap:.2f} s without an answer long after the VIP moved "
                          f"({late} failed): {failures_since(results, t0 + moved + 4)}")
    assert gap < 5, f"clients went {gap:.2f} s without an answer"
    assert gap_back < 5, (f"clients went {gap_back:.2f} s without an answer when {active.name} came back "
                          f"(VIP back after {back - t_back:.2f} s): {failures_since(results, t_back)}")


def failures_since(results, t):
    """The failed requests sent from t on, by when (s after t), how long they
    took, and how they ended: what an assertion message shows."""
    return [f"+{r.t0 - t:.2f}s {r.t1 - r.t0:.2f}s {r.outcome}{f' {r.status}' if r.status else ''}"
            f"{f' ({r.error})' if r.error else ''}" for r in results if not r.ok and r.t0 >= t][:40]


FORGED = 80  # adverts, one each 0.05 s: twice the advert rate


def test_a_forged_advert_from_another_host_moves_no_vip(client, farm, steady, drill_record):
    """A host that is not a declared peer claims the top priority for a VIP's
    virtual router, straight to its master: keepalived drops the adverts
    (check_unicast_src), the VIP stays, no request fails."""
    active = farm.master(0)
    vrid = vip.router_id(active, farm.vips[0])
    load = load_through(client, farm).start()
    time.sleep(1)
    t0 = time.time()
    forger = hosts.subprocess_popen(client.inv, [
        "python3", "-c", VRRP.read_text(), "--src", client.inv.address, "--dst", active.address, "--vrid", str(vrid),
        "--priority", "254", "--vip", farm.vips[0], "--count", str(FORGED), "--interval", "0.05"])
    seen = []
    while forger.poll() is None and time.time() - t0 < 15:
        seen.append(tuple(vip.holders(farm.balancers, farm.vips[0])))
        time.sleep(0.1)
    out, err = forger.communicate(timeout=10)
    time.sleep(1)
    seen.append(tuple(vip.holders(farm.balancers, farm.vips[0])))
    results = load.finish()
    summary = summarize(results)
    # Every VRRP state change on every balancer meanwhile, even one too short for the polls above.
    changes = vip.transitions(farm.balancers, since=load.started - 1)
    print(f"\nnlb drill: {FORGED} forged adverts (VRID {vrid}, priority 254) from {client.inv.address} to {active.name}; "
          f"holders seen: {sorted(set(seen))}; VRRP state changes: {changes}")
    drill_record(target=drill_report.TARGET_MAINTENANCE, outage=drill_report.longest_gap(results), results=results,
                 names={farm.url("www"): "through the VIP"}, disrupted=t0, disrupted_label="forged adverts")
    assert forger.returncode == 0 and out.strip() == str(FORGED), f"the forger did not send its adverts: {err}"
    assert set(seen) == {(active.name,)}, f"the VIP left {active.name} or had two holders: {sorted(set(seen))}"
    # No balancer changes state, a backup neither: keepalived restarts a
    # master's advert timer on every packet it reads, a dropped one too, so
    # without vrrp_lower_prio_no_advert forged adverts held the master's own
    # adverts back and its backup took the master role for a moment, its
    # gratuitous ARPs resetting connections (at one each 0.1 s, the advert
    # interval: three takeovers in 1.2 s, 6 of 1,190 requests failed). Sent
    # twice as fast as the interval, they would silence the master entirely.
    said = hosts.run(active, "journalctl", "-u", "keepalived", "--no-pager", f"--since=@{int(t0)}",
                     check=False).stdout
    assert not any(changes.values()), (f"VRRP state changed under the forged adverts: {changes}; {active.name}'s "
                                       f"keepalived logged {said.count(client.inv.address)} lines about the forger")
    assert summary.total > 100 and summary.failed == 0, f"{summary.failed} requests failed: {summary.by_outcome}"


def _weak_certificate(names: list[str]) -> tuple[str, str]:
    """A self-signed certificate with a 1024-bit RSA key: right for its key,
    valid today, and refused by HAProxy's OpenSSL (key too small)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode())


def test_a_certificate_haproxy_refuses_is_rolled_back_and_never_reloaded(client, farm, steady, inventory):
    """Each file passes its own check (the key is the certificate's, it is
    valid today) and haproxy.cfg is unchanged, yet HAProxy refuses the set:
    the play stops naming HAProxy's complaint, the previous certificate is
    back (library/webfarm_config_set.py), no stray file is left, and HAProxy
    serves on without a reload."""
    lb = farm.balancers[0]
    entries = lb.var("lb_haproxy_tls_certificates") or []
    if not entries:
        pytest.skip("the balancers serve no HTTPS in this inventory")
    live = f"/etc/haproxy/tls/{entries[0]['name']}.pem"
    before = hosts.run(lb, "sha256sum", live).stdout.split()[0]
    workers = "pgrep -P $(systemctl show -p MainPID --value haproxy) | sort"
    pids = hosts.run(lb, "sh", "-c", workers).stdout.split()
    cert, key = _weak_certificate(["www.webfarm.test"])
    out = run_playbook(inventory.source, "nlb.yml", limit=lb.name, timeout=300, extra_vars={
        "lb_haproxy_tls_certificates": [{"name": entries[0]["name"], "certificate": cert, "key": key}]})
    said = out.stdout + out.stderr
    assert out.returncode != 0, "HAProxy took a 1024-bit key"
    assert "haproxy refused the new set" in said and "the previous files are back" in said, said[-3000:]
    assert "ALERT" in said, f"the failure does not name HAProxy's complaint: {said[-3000:]}"
    assert hosts.run(lb, "sha256sum", live).stdout.split()[0] == before, "the refused certificate stayed in place"
    left = hosts.run(lb, "sh", "-c", "ls -A /etc/haproxy/tls/ /etc/haproxy/ | grep -E '~$|^[.]webfarm-' || true").stdout.strip()
    assert not left, f"backups or temporary files left behind: {left}"
    assert hosts.run(lb, "haproxy", "-c", "-q", "-f", "/etc/haproxy/haproxy.cfg", check=False).returncode == 0
    assert hosts.run(lb, "sh", "-c", workers).stdout.split() == pids, "HAProxy was reloaded (new workers)"
    assert webclient.get(client.inv, farm.url("www"))[0] == 200


def test_a_rolling_update_of_every_web_node_costs_no_request(client, farm, steady, inventory, drill_record):
    # Each node drained, restarted and put back in turn: playbooks/rolling_update.yml.
    site = "/etc/nginx/sites-available/webfarm.conf"
    before = {m.name: hosts.run(m, "sha256sum", site).stdout.split()[0] for m in farm.members}
    load = load_through(client, farm, duration=240).start()
    time.sleep(2)
    t0 = time.time()
    out = run_playbook(inventory.source, "rolling_update.yml", extra_vars={"rolling_update_restart": True}, timeout=200)
    took = time.time() - t0
    results = load.finish(grace=1)
    summary = summarize(results)
    print(f"\nnlb drill: rolling update of {len(farm.members)} web nodes (nginx restarted) in {took:.1f}s")
    print(summary_table(summary, {farm.url("www"): "through the VIP"}))
    drill_record(target=drill_report.TARGET_MAINTENANCE, outage=drill_report.longest_gap(results), results=results,
                 names={farm.url("www"): "through the VIP"}, disrupted=t0, disrupted_label="rolling update starts",
                 returned=t0 + took, returned_label="update done")
    assert out.returncode == 0, out.stdout[-3000:]
    assert recap(out.stdout)[farm.members[-1].name]["failed"] == 0
    assert summary.total > 500
    assert summary.failed == 0, f"{summary.failed} requests failed: {summary.by_outcome}"
    served = {r.node for r in results if r.t0 > t0 + took - 2}
    assert served == {m.name for m in farm.members}, f"after the update only {served} served"
    # The update converges a node as playbooks/web_farm.yml does: with the
    # inventory unchanged, every site is as it was (no location dropped).
    after = {m.name: hosts.run(m, "sha256sum", site).stdout.split()[0] for m in farm.members}
    assert after == before, "the rolling update changed the sites though the inventory did not change"


def test_balancer_maintenance_hands_the_vips_over_first(client, farm, steady, inventory, drill_record):
    # playbooks/balancer_maintenance.yml: keepalived stops before HAProxy is touched.
    config = "/etc/haproxy/haproxy.cfg"
    before = {lb.name: hosts.run(lb, "sha256sum", config).stdout.split()[0] for lb in farm.balancers}
    loads = [load_through(client, farm, vip_index=i, duration=240).start() for i in range(len(farm.vips))]
    time.sleep(2)
    t0 = time.time()
    out = run_playbook(inventory.source, "balancer_maintenance.yml", extra_vars={"balancer_maintenance_restart": True},
                       timeout=200)
    took = time.time() - t0
    summaries = [summarize(load.finish(grace=1)) for load in loads]
    print(f"\nnlb drill: maintenance of {len(farm.balancers)} balancers (HAProxy restarted) in {took:.1f}s")
    for i, summary in enumerate(summaries):
        print(summary_table(summary, {farm.url("www", i): f"through VIP {farm.vips[i]}"}))
    drill_record(target=drill_report.TARGET_BALANCER_HANDOVER,
                 outage=max(drill_report.longest_gap(s.results) for s in summaries),
                 results={f"VIP {farm.vips[i]}": s.results for i, s in enumerate(summaries)},
                 disrupted=t0, disrupted_label="maintenance starts", returned=t0 + took, returned_label="maintenance done")
    assert out.returncode == 0, out.stdout[-3000:]
    for address in farm.vips:
        assert len(vip.holders(farm.balancers, address)) == 1
    # Same inventory, same configuration: the maintenance converge drops
    # nothing another playbook set up (the farm monitor's stats user).
    after = {lb.name: hosts.run(lb, "sha256sum", config).stdout.split()[0] for lb in farm.balancers}
    assert after == before, "balancer_maintenance.yml changed HAProxy's configuration"
    # Each VIP moves away and back; a move resets what is in flight on the
    # old holder at that instant: a handful of requests, never an outage.
    for summary in summaries:
        assert summary.total > 500
        assert summary.failed <= 10, f"{summary.failed} requests failed: {summary.by_outcome}"
