"""The toolkit reads groups and addresses the way Ansible does."""
from __future__ import annotations

import pytest

from toolkit import status
from toolkit.inventory import ROOT, Inventory


@pytest.fixture(scope="module")
def inv():
    return Inventory.load(ROOT / "molecule" / "web_farm" / "inventory")


def test_groups_in_inventory_order(inv):
    assert inv.names("web_farm") == ["web1", "web2", "web3"]
    assert inv.names() == ["web1", "web2", "web3", "client"]
    assert inv.client().name == "client"


def test_host_addresses_containers_and_network(inv):
    web2 = inv.host("web2")
    assert web2.address == "10.213.1.12"
    assert web2.container == "webfarm-mol-web_farm-web2"
    assert web2.network == "webfarm-mol-web_farm"
    assert web2.groups == ("web_farm",)


def test_unknown_host_is_named(inv):
    with pytest.raises(KeyError, match="web9"):
        inv.host("web9")


def test_status_knows_each_group_role(inv):
    assert status.role_of(inv.host("web1")).title == "web node (nginx)"
    assert status.role_of(inv.client()).title == "client"


@pytest.mark.parametrize("source", ["inventories/lab", "molecule/web_farm/inventory"])
def test_lab_inventories_use_their_own_names_and_subnet(source):
    inv = Inventory.load(ROOT / source)
    hosts = inv.hosts()
    prefix = f"{hosts[0].network}-"
    assert all(h.container.startswith("webfarm-") for h in hosts)
    assert all(h.container.startswith(prefix) for h in hosts), "containers carry the network's name"
    assert len({h.address for h in hosts}) == len(hosts)
