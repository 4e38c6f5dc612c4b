"""The cluster tests run over the active_passive group and reach its service
through the VIP, from the client."""
from __future__ import annotations

import pytest

from lab.failover import Service
from lab.inventory import Inventory
from lab.pytest_plugin import Node, group_fixtures, node

cluster_node, cluster_nodes = group_fixtures("active_passive", "cluster_node")


@pytest.fixture(scope="session")
def service(inventory: Inventory) -> Service:
    """The cluster's first service as the inventory declares it."""
    return Service.of(inventory)


@pytest.fixture(scope="session")
def arbiter(inventory: Inventory) -> Node:
    """The cluster's quorum device host (the quorum_device group)."""
    names = inventory.names("quorum_device")
    if not names:
        pytest.skip("no quorum_device group: the cluster decides its own quorum in this inventory")
    return node(inventory, names[0])
