"""The cluster tests run over the active_passive group and reach its service
through the VIP, from the client."""
from __future__ import annotations

import pytest

from lab.failover import Service
from lab.inventory import Inventory
from lab.pytest_plugin import group_fixtures

cluster_node, cluster_nodes = group_fixtures("active_passive", "cluster_node")


@pytest.fixture(scope="session")
def service(inventory: Inventory) -> Service:
    """The cluster's first service as the inventory declares it."""
    return Service.of(inventory)
