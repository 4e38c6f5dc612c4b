"""The cluster tests run over the active_passive group and reach its service
through the VIP, from the client."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from toolkit.inventory import Host, Inventory
from toolkit.pytest_plugin import group_fixtures

cluster_node, cluster_nodes = group_fixtures("active_passive", "cluster_node")


@dataclass(frozen=True)
class Service:
    """The cluster's first service (ha_cluster_services[0]), read from the inventory."""

    nodes: list[Host]
    group: str  # the resource group's id
    vip: str
    directory: str  # where the shared disk is mounted on the active node
    content_root: str  # nginx's document root, on the shared disk
    staging: str | None  # lab: where every node sees the shared volume itself
    dns_name: str | None  # fully qualified, when the inventory has rr_dns
    dns_server: Host | None
    header: str

    def url(self, path: str = "/") -> str:
        return f"http://{self.vip}{path}"


@pytest.fixture(scope="session")
def service(inventory: Inventory) -> Service:
    nodes = inventory.hosts("active_passive")
    first = nodes[0]
    svc = first.var("ha_cluster_services")[0]
    dns = inventory.hosts("rr_dns")[:1]
    zone = str(dns[0].var("dns_server_zone") or "webfarm.test") if dns else ""
    name = svc.get("dns_name")
    volumes = first.var("webfarm_lab_volumes") or []
    return Service(nodes, f"webfarm-{svc['name']}", str(svc["vip"]).split("/")[0], svc["disk"]["directory"],
                   str(first.var("web_node_content_root")), volumes[0]["path"] if volumes else None,
                   f"{name}.{zone}" if name and dns else None, dns[0] if dns else None,
                   str(first.var("web_node_header") or "X-Served-By"))
