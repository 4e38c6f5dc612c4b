"""Drills: the zone keeps its promises across a rebuilt primary and a
changed inventory.

A primary rebuilt from scratch (its zone file and journal gone, as on a new
disk or host) writes its zone anew. Its serial must start above every serial
it served before: a secondary ignores a primary whose serial is lower than
its own, and would serve its stale copy until the zone expires. And the SOA
values of the inventory reach the zone on every converge, not only on the
day the zone file was first written.
"""
from __future__ import annotations

import pytest

from toolkit import dig, hosts
from toolkit.drill import wait_for
from toolkit.playbook import converge

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
