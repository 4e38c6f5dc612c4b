"""The toolkit reads groups and addresses the way Ansible does."""
from __future__ import annotations

import ipaddress

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


LAB_INVENTORIES = ["inventories/lab", *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("molecule/*/inventory"))]


@pytest.mark.parametrize("source", LAB_INVENTORIES)
def test_lab_inventories_use_their_own_names_and_subnet(source):
    inv = Inventory.load(ROOT / source)
    hosts = inv.hosts()
    prefix = f"{hosts[0].network}-"
    subnet = ipaddress.ip_network(hosts[0].var("webfarm_lab_subnet"))
    assert all(h.container.startswith("webfarm-") for h in hosts)
    assert all(h.container.startswith(prefix) for h in hosts), "containers carry the network's name"
    assert len({h.address for h in hosts}) == len(hosts)
    assert all(ipaddress.ip_address(h.address) in subnet for h in hosts)


def test_lab_subnets_do_not_overlap():
    subnets = [ipaddress.ip_network(Inventory.load(ROOT / s).hosts()[0].var("webfarm_lab_subnet")) for s in LAB_INVENTORIES]
    for i, a in enumerate(subnets):
        for b in subnets[i + 1:]:
            assert not a.overlaps(b), f"{a} overlaps {b}: the lab and every scenario need their own subnet"


def test_role_defaults_fill_what_the_inventory_leaves_out(inv):
    web1 = inv.host("web1")
    assert web1.var("web_node_port") == 80
    assert web1.var("web_node_health_path") == "/health"
    assert web1.var("web_node_name") is None, "templated defaults are not guessed"
