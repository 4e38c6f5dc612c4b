"""Fixtures shared by every topology's tests and drills.

The inventory is the one passed with --ansible-inventory (Molecule passes its
scenario's), else $WEBFARM_INVENTORY, else the lab's. Host parameters are
generated from its groups, so the same tests prove the lab, every Molecule
scenario, and any inventory of real hosts.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import pytest
import testinfra

from toolkit.inventory import Host, Inventory

# testinfra runs ansible-inventory from PATH: use the one beside this Python.
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])

# Test argument name -> inventory group it is parametrized over.
GROUP_PARAMS = {"web_node": "web_farm"}

_cache: dict[str, Inventory] = {}


def _inventory(config: pytest.Config) -> Inventory:
    source = config.getoption("ansible_inventory", default=None) or ""
    if source not in _cache:
        _cache[source] = Inventory.load(source or None)
    return _cache[source]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for arg, group in GROUP_PARAMS.items():
        if arg in metafunc.fixturenames:
            names = _inventory(metafunc.config).names(group)
            metafunc.parametrize(arg, names, ids=names, indirect=True)


@dataclass
class Node:
    """An inventory host and a testinfra connection to it."""

    inv: Host
    host: testinfra.host.Host

    @property
    def name(self) -> str:
        return self.inv.name


def _node(inv: Inventory, name: str) -> Node:
    return Node(inv.host(name), testinfra.get_host(f"ansible://{name}", ansible_inventory=inv.source))


@pytest.fixture(scope="session")
def inventory(request: pytest.FixtureRequest) -> Inventory:
    return _inventory(request.config)


@pytest.fixture
def web_node(request: pytest.FixtureRequest, inventory: Inventory) -> Node:
    return _node(inventory, request.param)


@pytest.fixture(scope="session")
def web_nodes(inventory: Inventory) -> list[Node]:
    return [_node(inventory, name) for name in inventory.names("web_farm")]


@pytest.fixture(scope="session")
def client(inventory: Inventory) -> Node:
    return _node(inventory, inventory.client().name)
