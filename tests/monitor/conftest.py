"""The farm monitor's tests: the monitor group's host, and the inventory
hosts its page must show (those of every topology group it watches)."""
from __future__ import annotations

import pytest

from lab import monitor as mon
from lab import registry
from lab.inventory import Host, Inventory

# The inventory groups the page shows a row for each host of: the
# registry's panels with a host key.
WATCHED = tuple(p["name"] for p in registry.panels() if p["host_key"])


@pytest.fixture(scope="session")
def monitor(inventory: Inventory) -> Host:
    found = mon.of(inventory)
    if found is None:
        pytest.skip("the inventory has no monitor group")
    return found


@pytest.fixture(scope="session")
def watched(inventory: Inventory, monitor: Host) -> list[str]:
    skip = set(monitor.var("farm_monitor_skip_hosts") or [])
    topologies = monitor.var("farm_monitor_topologies") or WATCHED
    return [n for g in WATCHED if g in topologies for n in inventory.names(g) if n not in skip]
