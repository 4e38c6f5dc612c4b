"""Drills: the zone keeps its promises across a rebuilt primary, a
changed inventory and a rotated transfer key.

A primary rebuilt from scratch (its zone file and journal gone, as on a new
disk or host) writes its zone anew. Its serial must start above every serial
it served before: a secondary ignores a primary whose serial is lower than
its own, and would serve its stale copy until the zone expires. And the SOA
values of the inventory reach the zone on every converge, not only on the
day the zone file was first written. A rotated transfer key overlaps the
old one: the primary takes both until every server converged to the new one,
so a secondary that missed a converge still transfers.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets

import pytest

from lab import dig, hosts
from lab.drill import wait_for
from lab.playbook import converge

pytestmark = pytest.mark.drill


def soa(client, server: str, zone: str) -> list[str]:
    """The SOA's fields as a server answers them (mname rname serial refresh retry expire minimum)."""
    answer = dig.answered(client.inv, server, zone, "SOA") or [""]
    return answer[0].split()


def test_a_rebuilt_primary_starts_above_every_serial_served_and_the_inventorys_soa_reaches_the_zone(
        client, zone, inventory):
    servers = [s.address for s in zone.servers]
    served = max(dig.serial(client.inv, s, zone.name) or 0 for s in servers)
    retry = int(zone.primary.var("dns_server_soa_retry") or 600)
    hosts.run(zone.primary, "systemctl", "stop", "named")
    hosts.run(zone.primary, "sh", "-c", f"rm -f /var/lib/bind/db.{zone.name} /var/lib/bind/db.{zone.name}.jnl")
    try:
        # Rebuilt, with a new SOA retry in the inventory: the zone file is
        # written anew, and then the SOA follows the inventory.
        converge(inventory.source, "rr_dns.yml", extra_vars={"dns_server_soa_retry": retry + 7})
        wait_for(lambda: dig.serial(client.inv, zone.primary.address, zone.name) is not None, timeout=30)
        fresh = dig.serial(client.inv, zone.primary.address, zone.name) or 0
        print(f"\nrr_dns drill: served serial {served}, the rebuilt primary's {fresh}")
        assert fresh > served, f"the rebuilt primary starts at serial {fresh}, below the {served} it served"
        # Every secondary takes the rebuilt zone, its SOA and its members.
        wait_for(lambda: all(soa(client, s, zone.name)[4:5] == [str(retry + 7)] for s in servers), timeout=30)
        wait_for(lambda: all(sorted(dig.answered(client.inv, s, zone.service) or []) == sorted(zone.members)
                             for s in servers), timeout=30)
    finally:
        converge(inventory.source, "rr_dns.yml")
    wait_for(lambda: all(soa(client, s, zone.name)[4:5] == [str(retry)] for s in servers), timeout=30)


def keys_of(host) -> dict[str, str]:
    """The TSIG keys a name server's live configuration holds: {name: secret}."""
    text = hosts.run(host, "cat", "/etc/bind/webfarm-keys.conf").stdout
    return dict(re.findall(r'key "([^"]+)" \{\s*algorithm [a-z0-9-]+;\s*secret "([^"]+)";', text))


def transfer_key(secret: str) -> str:
    return f"hmac-sha256:webfarm-transfer-{hashlib.sha256(secret.encode()).hexdigest()[:8]}:{secret}"


def test_a_rotated_transfer_key_overlaps_until_every_server_has_it(client, zone, inventory):
    if len(zone.servers) < 2:
        pytest.skip("needs a secondary name server")
    primary, secondaries = zone.primary, zone.servers[1:]
    on_primary = keys_of(primary)
    (old_name,) = [k for k in on_primary if k.startswith("webfarm-transfer")]
    old, admin = on_primary[old_name], f"hmac-sha256:webfarm-admin:{on_primary['webfarm-admin']}"
    new = base64.b64encode(os.urandom(32)).decode()

    def published(text: str) -> bool:
        probe = f"rotation-{secrets.token_hex(3)}.{zone.name}"
        said = dig.nsupdate(client.inv, f"server {primary.address}\nzone {zone.name}\n"
                                        f"update add {probe} 5 TXT {text}\nsend\n", admin)
        assert "failed" not in said.lower(), said
        wait_for(lambda: all(dig.answered(client.inv, s.address, probe, "TXT") == [f'"{text}"'] for s in secondaries),
                 timeout=30)
        return True

    try:
        # The primary alone converges to the new key: the secondaries miss the run.
        converge(inventory.source, "rr_dns.yml", extra_vars={"dns_server_transfer_key_secret": new}, limit=primary.name)
        assert dig.transfer(client.inv, primary.address, zone.name, transfer_key(new)), "the new key does not transfer"
        assert dig.transfer(client.inv, primary.address, zone.name, transfer_key(old)), \
            "the old key stopped transferring before every server had the new one"
        assert all(old_name in keys_of(s) for s in secondaries)
        assert published("overlap"), "a secondary on the old key missed a change"
        # Every server converges: the old key goes.
        converge(inventory.source, "rr_dns.yml", extra_vars={"dns_server_transfer_key_secret": new})
        assert dig.transfer(client.inv, primary.address, zone.name, transfer_key(old)) == [], \
            "the primary still transfers to the old key after every server took the new one"
        assert all(list(k for k in keys_of(s) if k.startswith("webfarm-transfer")) ==
                   [f"webfarm-transfer-{hashlib.sha256(new.encode()).hexdigest()[:8]}"] for s in zone.servers)
        assert published("rotated"), "a secondary on the new key missed a change"
    finally:
        # Back to the inventory's key: a rotation too, done by one full run.
        converge(inventory.source, "rr_dns.yml")
    assert dig.transfer(client.inv, primary.address, zone.name, transfer_key(new)) == []
    assert published("back")
