"""Round-robin DNS, seen from the client: every member's address from every
server, in rotating order; each answered address serves the site; the
servers are authoritative only and refuse transfers and updates that are
not signed with the right key. Runs against any inventory with rr_dns,
web_farm and clients groups (the lab, molecule/rr_dns, real hosts).
"""
from __future__ import annotations

import base64
import secrets

import pytest

from lab import dig
from lab.drill import wait_for


def members_published(client, server, zone, rtype: str = "A") -> bool:
    return sorted(dig.records(client.inv, server.inv.address, zone.service, rtype)) == sorted(of_type(zone, rtype))


def of_type(zone, rtype: str) -> dict:
    """The members' addresses the name holds as rtype records (A or AAAA)."""
    return zone.members6 if rtype == "AAAA" else zone.members


def families(zone) -> list[str]:
    return ["A", "AAAA"] if zone.members6 else ["A"]


@pytest.fixture(params=["A", "AAAA"])
def rtype(request, zone):
    if request.param not in families(zone):
        pytest.skip("no member declares an IPv6 address: the name has no AAAA records")
    return request.param


def nsupdate(client, script: str, key: str | None = None) -> str:
    return dig.nsupdate(client.inv, script, key)


def test_named_runs_and_is_enabled_at_boot(dns_server):
    dns_server.assert_running("named")


def test_the_primary_runs_the_health_checker(dns_servers, zone):
    primary = next(s for s in dns_servers if s.name == zone.primary.name)
    primary.assert_running("webfarm-dns-health")


def test_every_member_is_answered_by_each_server(dns_server, client, zone, rtype):
    # Right after a converge a secondary may still be transferring: wait a little.
    wait_for(lambda: members_published(client, dns_server, zone, rtype), timeout=15)
    assert sorted(dig.records(client.inv, dns_server.inv.address, zone.service, rtype)) == sorted(of_type(zone, rtype))


def test_an_ipv4_only_inventory_has_no_aaaa_and_a_dual_stack_one_has_both(dns_servers, client, zone):
    aaaa = dig.records(client.inv, dns_servers[0].inv.address, zone.service, "AAAA")
    assert sorted(aaaa) == sorted(zone.members6), "AAAA records exactly for the members that declare webfarm_address6"
    for server in zone.servers:
        if server.address6:
            assert dig.records(client.inv, dns_servers[0].inv.address, f"{server.var('dns_server_ns_name') or server.name}"
                               f".{zone.name}", "AAAA") == [server.address6]


def test_the_order_rotates_from_one_answer_to_the_next(dns_server, client, zone):
    wait_for(lambda: members_published(client, dns_server, zone), timeout=15)
    # Twice round: the health checker's own queries may fall between ours.
    answers = dig.answers(client.inv, dns_server.inv.address, zone.service, 2 * len(zone.members))
    assert all(sorted(a) == sorted(zone.members) for a in answers), answers
    assert {a[0] for a in answers} == set(zone.members), f"cyclic order: each member comes first in turn: {answers}"


def test_each_answered_address_serves_the_site(dns_servers, client, zone, rtype):
    for address in dig.records(client.inv, dns_servers[0].inv.address, zone.service, rtype):
        member = of_type(zone, rtype)[address]
        url = member.url("web_node_port").replace(member.address, f"[{address}]" if rtype == "AAAA" else address, 1)
        out = client.host.run("curl -sS -m 5 -o /dev/null -w '%%{http_code}' %s", url)
        assert out.stdout == "200", f"{member.name} at {address}: {out.stdout} {out.stderr}"


def test_the_client_reaches_the_site_by_its_name(client, zone, rtype):
    """A client of one family only (curl -4 or -6) resolves its own record
    type through the client's resolver and is served over that family."""
    header = next(iter(zone.members.values())).var("web_node_header")
    flag = "-6" if rtype == "AAAA" else "-4"
    seen = set()
    for _ in range(2 * len(zone.members)):
        out = client.host.run("curl %s -sS -m 5 -D - -o /dev/null -w 'peer=%%{remote_ip}\n' http://%s/", flag, zone.service)
        assert out.rc == 0 and " 200" in out.stdout.splitlines()[0], out.stdout + out.stderr
        peer = out.stdout.rsplit("peer=", 1)[1].strip()
        assert peer in of_type(zone, rtype), f"curl {flag} reached {peer}, not a member's {rtype} address"
        seen |= {line.split(":", 1)[1].strip() for line in out.stdout.splitlines() if line.lower().startswith(header.lower())}
    assert len(seen) >= 2, f"requests by name all went to {seen}: no round robin"


def test_recursion_is_refused(dns_server, client):
    # The server must not resolve names it does not serve (not an open resolver).
    assert dig.status(client.inv, dns_server.inv.address, "example.org") == "REFUSED"


def test_a_zone_transfer_without_the_key_is_refused(dns_server, client, zone):
    out = dig.dig(client.inv, dns_server.inv.address, zone.name, "AXFR")
    assert "Transfer failed" in out and f"{zone.service}." not in out, out


@pytest.mark.parametrize("how", ["unsigned", "unknown key", "health key with a wrong secret"])
def test_an_update_not_signed_with_the_right_key_is_refused(client, zone, how):
    name = f"intruder-{secrets.token_hex(3)}.{zone.name}"
    key = {"unsigned": None, "unknown key": f"hmac-sha256:intruder:{base64.b64encode(secrets.token_bytes(32)).decode()}",
           "health key with a wrong secret": "hmac-sha256:webfarm-health:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}[how]
    said = nsupdate(client, f"server {zone.primary.address}\nzone {zone.name}\nupdate add {name} 5 A 10.213.0.99\nsend\n", key)
    assert any(word in said for word in ("REFUSED", "NOTAUTH", "BADKEY", "BADSIG", "tsig verify failure")), said
    assert dig.records(client.inv, zone.primary.address, name) == []


def test_the_health_checkers_key_may_change_the_service_name_only(dns_servers, client, zone):
    primary = next(s for s in dns_servers if s.name == zone.primary.name)
    secret = primary.host.file("/etc/webfarm/dns-health/key").content_string.strip()
    name = f"intruder-{secrets.token_hex(3)}.{zone.name}"
    said = nsupdate(client, f"server {zone.primary.address}\nzone {zone.name}\nupdate add {name} 5 A 10.213.0.99\nsend\n",
                    f"hmac-sha256:webfarm-health:{secret}")
    assert "REFUSED" in said, said
    assert dig.records(client.inv, zone.primary.address, name) == []


def test_every_server_serves_the_same_serial(dns_servers, client, zone):
    def same() -> bool:
        serials = {dig.serial(client.inv, s.inv.address, zone.name) for s in dns_servers}
        return len(serials) == 1 and None not in serials

    wait_for(same, timeout=15)
