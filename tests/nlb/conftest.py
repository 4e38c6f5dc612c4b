"""The balancer tests run over the nlb group and reach the sites through the
virtual IPs, from the client."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from lab import vip
from lab.inventory import Host, Inventory
from lab.pytest_plugin import group_fixtures

balancer, balancers = group_fixtures("nlb", "balancer")


@dataclass(frozen=True)
class Farm:
    """What the tests need to know of the balancers, read from the inventory."""

    balancers: list[Host]
    vips: list[str]  # in order: VIP i is mastered by balancer i
    vips6: list[str | None]  # VIP i's IPv6 address, None where it has none
    sites: dict[str, dict]  # name -> the site as declared (with its bind_port)
    members: list[Host]  # the web nodes of the sites
    header: str  # the response header that names the node

    def tls_port(self, site: str) -> int | None:
        return vip.tls_port(self.balancers[0], self.sites[site])

    def http_url(self, site: str, vip: int = 0, path: str = "/") -> str:
        """The site's plain HTTP port (which redirects when the site has HTTPS)."""
        return f"http://{self.vips[vip]}:{self.sites[site].get('bind_port', 80)}{path}"

    def url(self, site: str, vip_index: int = 0, path: str = "/", family: int = 4) -> str:
        """Where a client reaches the site: over HTTPS when it has it, by VIP
        i's IPv4 address or (family 6) its IPv6 one."""
        address = self.vips6[vip_index] if family == 6 else self.vips[vip_index]
        if address is None:
            raise LookupError(f"VIP {self.vips[vip_index]} has no IPv6 address (address6)")
        return vip.site_url(self.balancers[0], self.sites[site], address, path)

    def addresses(self) -> list[tuple[int, str]]:
        """(VIP index, address) of every VIP address, IPv4 then IPv6."""
        return [*enumerate(self.vips), *((i, a) for i, a in enumerate(self.vips6) if a)]

    def master(self, vip: int) -> Host:
        return self.balancers[vip % len(self.balancers)]


@pytest.fixture(scope="session")
def farm(inventory: Inventory) -> Farm:
    lbs = inventory.hosts("nlb")
    first = lbs[0]
    vips = vip.declared(first)
    sites = {s["name"]: dict(s) for s in first.var("lb_haproxy_sites")}
    members = inventory.hosts("web_farm")
    return Farm(lbs, vips, vip.declared6(first), sites, members, str(members[0].var("web_node_header")))


@pytest.fixture(params=[4, 6], ids=["ipv4", "ipv6"])
def family(request, farm) -> int:
    """Each address family the VIPs have: a test that takes it runs once per family."""
    if request.param == 6 and not any(farm.vips6):
        pytest.skip("no VIP has an IPv6 address (address6): the farm is IPv4 only")
    return request.param
