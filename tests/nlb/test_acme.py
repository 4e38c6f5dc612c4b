"""Certificates by ACME (roles/lb_acme): every balancer serves the same
certificate from the ACME directory for each name, which the client
verifies; the DNS-01 key may write the challenge TXT records and nothing
else; the renewal's timer runs on every balancer; a peer's key can do no
more than hand a certificate over.

Runs where the balancers declare lb_acme_certificates (the lab: pebble on
the client's host, DNS-01 through the round-robin zone, and one certificate
by HTTP-01 through the VIPs).
"""
from __future__ import annotations

import json
import re
import secrets
import shlex

import pytest

from lab import dig, hosts, monitor
from lab.acme import status


@pytest.fixture(scope="module")
def acme(farm) -> list[dict]:
    certificates = farm.balancers[0].var("lb_acme_certificates") or []
    if not certificates:
        pytest.skip("the balancers have no ACME certificate (lb_acme_certificates)")
    return certificates



def served(client, address: str, name: str, port: int = 443) -> tuple[int, str]:
    """openssl's check, from the client, of what address serves for name:
    the chain against the client's trusted roots, and the name."""
    cmd = (f"openssl s_client -connect {address}:{port} -servername {shlex.quote(name)} "
           f"-verify_hostname {shlex.quote(name)} -verify_return_error -showcerts </dev/null 2>&1")
    out = hosts.run(client.inv, "sh", "-c", cmd, check=False, timeout=30)
    return out.returncode, out.stdout


def chain_of(text: str) -> list[str]:
    """The chain's lines as s_client prints them (depth, subject, issuer)."""
    start = text.find("Certificate chain")
    return [line.rstrip() for line in text[start:].splitlines()[1:]
            if re.match(r"^\s*(\d+ s:|i:|a:|v:)", line)] if start >= 0 else []


def test_every_balancer_serves_one_acme_certificate_the_client_verifies(farm, client, acme):
    for cert in acme:
        names = [d for d in cert["domains"] if not d.startswith("*.")]
        prints = {}
        for balancer in farm.balancers:
            live = status(balancer)["certificates"][cert["name"]]["live"]
            assert live and not live["placeholder"], f"{balancer.name}: {cert['name']} is {live}"
            prints[balancer.name] = live["fingerprint"]
            for name in names:
                for address in [balancer.address, *farm.vips]:
                    code, out = served(client, address, name)
                    assert code == 0 and "Verification: OK" in out, f"{name} at {address}:\n{out[-1500:]}"
        assert len(set(prints.values())) == 1, f"{cert['name']}: the balancers serve different certificates {prints}"
        print(f"\n{cert['name']} ({', '.join(cert['domains'])}), seen from the client at {farm.vips[0]}:443 "
              f"(sha256 {prints[farm.balancers[0].name][:16]}... on every balancer):")
        print("\n".join(chain_of(served(client, farm.vips[0], names[0])[1])))


def test_a_name_not_on_the_certificate_is_refused(farm, client, acme):
    # The check can fail: the client refuses a name the certificate is not for.
    code, out = served(client, farm.vips[0], "elsewhere.invalid")
    assert code != 0, out


def test_the_dns_01_key_may_write_challenge_txt_records_and_nothing_else(farm, client, acme, inventory):
    primary = inventory.hosts("rr_dns")[0]
    zone = str(primary.var("dns_server_zone")).rstrip(".")
    secret = hosts.run(farm.balancers[0], "cat", "/etc/webfarm/acme/dns.secret").stdout.strip()
    key = f"hmac-sha256:{farm.balancers[0].var('lb_acme_dns_key_name') or 'webfarm-acme'}:{secret}"
    first = next(d for d in acme[0]["domains"] if not d.startswith("*."))
    challenge = f"_acme-challenge.{first}"
    token = secrets.token_hex(8)

    def update(line: str) -> str:
        # check-names off: an A record at an underscore name is the server's to refuse.
        return dig.nsupdate(client.inv, f"check-names no\nserver {primary.address}\nzone {zone}\nupdate {line}\nsend\n", key)

    said = update(f"add {challenge} 5 TXT {token}")
    try:
        assert "REFUSED" not in said and "NOTAUTH" not in said, said
        assert f'"{token}"' in dig.dig(client.inv, primary.address, challenge, "TXT")
    finally:
        update(f"delete {challenge} TXT {token}")
    for line in (f"add {first} 5 TXT {token}", f"add {challenge} 5 A 10.213.0.99", f"add intruder.{zone} 5 TXT {token}"):
        said = update(line)
        assert "REFUSED" in said, f"update {line}: {said}"


def test_http_01_reaches_whichever_balancer_answers_it_through_every_vip(farm, client, acme):
    """The CA's look at an HTTP-01 token, on port 80 of a VIP, goes to the
    balancer whose renewal listens (here a stand-in on the second balancer,
    behind the first one's VIP too); nothing else leaves the HTTPS redirect."""
    default = farm.balancers[0].var("lb_acme_challenge") or "dns-01"
    http01 = [c for c in acme if (c.get("challenge") or default) == "http-01"]
    if not http01 or len(farm.balancers) < 2:
        pytest.skip("no certificate by HTTP-01 on two balancers")
    name, other = http01[0]["domains"][0], farm.balancers[1]
    port = int(other.var("lb_acme_http_port") or 8402)
    token = secrets.token_urlsafe(16)

    def get(vip: str, path: str) -> tuple[str, str]:
        out = hosts.run(client.inv, "curl", "-sS", "-m", "5", "-H", f"Host: {name}", "-w", "\n%{http_code}",
                        f"http://{vip}{path}", check=False)
        body, _, code = out.stdout.rpartition("\n")
        return code, body.strip()

    challenge = f"/.well-known/acme-challenge/{token}"
    # No renewal running: HAProxy says no server answers; no redirect.
    assert get(farm.vips[0], challenge)[0] == "503"
    root = f"/tmp/webfarm-http01-{token}"
    hosts.run(other, "sh", "-c", f"mkdir -p {root}/.well-known/acme-challenge && echo {token} > {root}{challenge} "
                                 f"&& cd {root} && (timeout 30 python3 -m http.server --bind {other.address} {port} "
                                 f">/dev/null 2>&1 &)")
    try:
        hosts.run(other, "sh", "-c", f"for i in $(seq 50); do curl -sf http://{other.address}:{port}{challenge} && exit 0; "
                                     "sleep 0.1; done; exit 1")
        for vip in farm.vips:
            assert get(vip, challenge) == ("200", token), f"{challenge} through {vip}"
    finally:
        hosts.run(other, "sh", "-c", f"pkill -f 'http.server --bind {other.address} {port}'; rm -rf {root}", check=False)
    assert get(farm.vips[0], "/")[0] == "301"


def test_the_renewal_timer_runs_on_every_balancer_and_the_last_run_succeeded(farm, acme):
    schedule = str(farm.balancers[0].var("lb_acme_renew_schedule") or "*-*-* 00,12:00:00")
    for balancer in farm.balancers:
        # (NextElapseUSecRealtime is empty while the timer's run is going on.)
        out = hosts.run(balancer, "systemctl", "show", "-p", "ActiveState,UnitFileState,TimersCalendar",
                        "webfarm-acme-renew.timer")
        state = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
        assert (state["ActiveState"], state["UnitFileState"]) == ("active", "enabled"), f"{balancer.name}: {state}"
        assert "OnCalendar=" in state["TimersCalendar"], f"{balancer.name}: {state} (schedule {schedule})"
    last = status(farm.balancers[0])["certificates"]
    for cert in acme:
        assert last[cert["name"]]["last"]["ok"], f"{cert['name']}: {last[cert['name']]['last']}"


def test_a_peers_key_can_only_hand_certificates_over(farm, acme):
    if len(farm.balancers) < 2:
        pytest.skip("one balancer: no hand-over")
    a, b = farm.balancers[:2]
    out = hosts.run(a, "runuser", "-u", "webfarm-acme", "--", "ssh", "-i", "/var/lib/webfarm-acme/.ssh/id_ed25519",
                    "-o", "UserKnownHostsFile=/var/lib/webfarm-acme/.ssh/known_hosts", "-o", "BatchMode=yes",
                    f"webfarm-acme@{b.address}", "cat", "/etc/shadow", check=False)
    assert out.returncode != 0 and "refused" in out.stderr, out.stdout + out.stderr
    # The same key may read the status: the refusal above is the forced command's.
    out = hosts.run(a, "runuser", "-u", "webfarm-acme", "--", "ssh", "-i", "/var/lib/webfarm-acme/.ssh/id_ed25519",
                    "-o", "UserKnownHostsFile=/var/lib/webfarm-acme/.ssh/known_hosts", "-o", "BatchMode=yes",
                    f"webfarm-acme@{b.address}", "status")
    assert json.loads(out.stdout)["host"] == b.name


def test_the_monitor_shows_each_vips_certificate_and_each_balancers_renewal(farm, acme, inventory):
    mon = monitor.of(inventory)
    if mon is None:
        pytest.skip("no farm monitor (monitor group)")
    live = status(farm.balancers[0])["certificates"][acme[0]["name"]]["live"]
    issuer = live["issuer"].removeprefix("CN=")
    for address in [*farm.vips, *filter(None, farm.vips6)]:
        row = monitor.wait_row(mon, f"nlb/certificate/{address}", "up", issuer, timeout=15)
        assert "days left" in row["detail"] and row["value"] == live["fingerprint"][:16], row
    for balancer in farm.balancers:
        row = monitor.wait_row(mon, f"nlb/acme/{balancer.name}", "up", "", timeout=15)
        assert ("renews" if balancer == farm.balancers[0] else "stands by") in row["detail"], row
    # The monitor's key reads the state and nothing else: asked for the DNS
    # key's secret, the balancer answers with the state.
    key = "/etc/webfarm/monitor/cluster-key"
    out = hosts.run(mon, "ssh", "-i", key, "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=/etc/webfarm/monitor/known_hosts",
                    f"{mon.var('farm_monitor_ssh_user') or 'webfarm-monitor'}@{farm.balancers[0].address}",
                    "cat", "/etc/webfarm/acme/dns.secret", check=False)
    assert json.loads(out.stdout)["host"] == farm.balancers[0].name, out.stdout[:300] + out.stderr
