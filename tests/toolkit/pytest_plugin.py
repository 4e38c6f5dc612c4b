"""The fixtures every topology's tests share (loaded by tests/conftest.py).

The inventory is the one passed with --ansible-inventory (Molecule passes its
scenario's), else $WEBFARM_INVENTORY, else the lab's. So the same tests prove
the lab, every Molecule scenario, and any inventory of real hosts.

A topology declares the groups its tests run over in its own conftest.py:

    # tests/web_farm/conftest.py
    from toolkit.pytest_plugin import group_fixtures
    web_node, web_nodes = group_fixtures("web_farm", "web_node")

`web_node` then runs a test once per host of the group (ids are host names),
`web_nodes` gives them all. `client` is the first host of the `clients` group.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import testinfra

from toolkit.inventory import Host, Inventory

# testinfra runs ansible-inventory from PATH: use the one beside this Python.
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])

_cache: dict[str, Inventory] = {}
# Fixture name -> the inventory group it is parametrized over.
_PARAMETRIZED: dict[str, str] = {}


def _inventory(config: pytest.Config) -> Inventory:
    source = config.getoption("ansible_inventory", default=None) or ""
    if source not in _cache:
        _cache[source] = Inventory.load(source or None)
    return _cache[source]


@dataclass
class Node:
    """An inventory host and a testinfra connection to it."""

    inv: Host
    host: testinfra.host.Host

    @property
    def name(self) -> str:
        return self.inv.name

    def journal(self, unit: str, lines: int = 40) -> str:
        out = self.host.run("journalctl -u %s -n %s --no-pager", unit, str(lines))
        return out.stdout or out.stderr

    def assert_running(self, unit: str, enabled: bool = True) -> None:
        """The unit runs (and starts at boot); if not, fail with its journal."""
        service = self.host.service(unit)
        problems = [what for what, bad in (("is not running", not service.is_running),
                                           ("is not enabled at boot", enabled and not service.is_enabled)) if bad]
        if problems:
            raise AssertionError(f"{unit} on {self.name} {' and '.join(problems)}; its journal:\n{self.journal(unit)}")


def node(inventory: Inventory, name: str) -> Node:
    return Node(inventory.host(name), testinfra.get_host(f"ansible://{name}", ansible_inventory=inventory.source))


def group_fixtures(group: str, name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Two fixtures for a topology's conftest: NAME (one test per host of
    GROUP) and NAMEs (the list of all of them)."""
    if _PARAMETRIZED.get(name, group) != group:
        raise ValueError(f"fixture {name!r} is already declared for the group {_PARAMETRIZED[name]!r}")
    _PARAMETRIZED[name] = group

    @pytest.fixture(name=name)
    def one(request: pytest.FixtureRequest, inventory: Inventory) -> Node:
        return node(inventory, request.param)

    @pytest.fixture(name=f"{name}s", scope="session")
    def every(inventory: Inventory) -> list[Node]:
        return [node(inventory, n) for n in inventory.names(group)]

    return one, every


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for name, group in _PARAMETRIZED.items():
        if name in metafunc.fixturenames:
            names = _inventory(metafunc.config).names(group)
            metafunc.parametrize(name, names, ids=names, indirect=True)


@pytest.fixture(scope="session")
def inventory(request: pytest.FixtureRequest) -> Inventory:
    return _inventory(request.config)


@pytest.fixture(scope="session")
def client(inventory: Inventory) -> Node:
    return node(inventory, inventory.client().name)
