"""The round-robin DNS tests run over the rr_dns group (the first host is the
primary) and look at the web_farm group's members."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from lab.inventory import Host, Inventory
from lab.pytest_plugin import group_fixtures

dns_server, dns_servers = group_fixtures("rr_dns", "dns_server")


@dataclass(frozen=True)
class Zone:
    """What the tests need to know of the zone, read from the inventory."""

    name: str
    service: str  # the service name, absolute without the final dot
    members: dict[str, Host]  # address -> member
    members6: dict[str, Host]  # IPv6 address -> member, for members that declare one
    primary: Host
    servers: list[Host]


@pytest.fixture(scope="session")
def zone(inventory: Inventory) -> Zone:
    servers = inventory.hosts("rr_dns")
    primary = servers[0]
    name = str(primary.var("dns_server_zone")).rstrip(".").lower()
    group = primary.var("dns_server_service_group")
    return Zone(name, f"{primary.var('dns_server_service_name')}.{name}",
                {h.address: h for h in inventory.hosts(group)},
                {h.address6: h for h in inventory.hosts(group) if h.address6}, primary, servers)
