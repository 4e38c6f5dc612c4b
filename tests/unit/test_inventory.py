"""The lab package reads groups and addresses the way Ansible does."""
from __future__ import annotations

import ipaddress
import re
import sys
import types

import pytest
import yaml

from lab import status
from lab.inventory import ROOT, Host, Inventory


@pytest.fixture(scope="module")
def inv():
    return Inventory.load(ROOT / "molecule" / "web_farm" / "inventory")


def test_groups_in_inventory_order(inv):
    assert inv.names("web_farm") == ["web1", "web2", "web3"]
    assert inv.names() == ["web1", "web2", "web3", "content1", "store1", "client"]
    assert inv.client().name == "client"


def test_host_addresses_containers_and_network(inv):
    web2 = inv.host("web2")
    assert web2.address == "10.213.1.12"
    with pytest.raises(ValueError, match="set webfarm_address for 'nowhere'"):
        _ = Host("nowhere", (), {"ansible_host": "nowhere.example.com"}).address
    assert web2.container == "webfarm-mol-web_farm-web2"
    assert web2.network == "webfarm-mol-web_farm"
    assert web2.groups == ("web_farm",)


def test_a_host_reached_over_ssh_is_looked_at_through_its_container(inv):
    # The scenarios take the production path: Ansible over SSH, the tests through docker.
    web1 = inv.host("web1")
    assert web1.vars["ansible_connection"] == "ssh"
    assert web1.container == "webfarm-mol-web_farm-web1"
    assert web1.console == "docker://webfarm-mol-web_farm-web1"
    in_lab = Host("web1", (), {"ansible_connection": "docker", "ansible_host": "webfarm-lab-web1"})
    assert in_lab.container == "webfarm-lab-web1" and in_lab.console == "docker://webfarm-lab-web1"
    real = Host("web1", (), {"ansible_host": "web1.example.com", "webfarm_address": "198.51.100.11"})
    with pytest.raises(ValueError, match="not a lab container"):
        _ = real.container
    assert real.console == "ansible://web1"


def test_unknown_host_is_named(inv):
    with pytest.raises(KeyError, match="web9"):
        inv.host("web9")


def test_status_rows_come_from_each_topology(inv):
    roles = status.topology_roles()
    assert status.role_of(inv.host("web1"), roles).title == "web node (nginx)"
    assert status.role_of(inv.client(), roles).title == "client"
    assert status.role_of(inv.host("web3"), roles).url(inv.host("web3")) == "http://10.213.1.13:8080/"


def test_a_topology_registers_its_rows_by_a_status_module(monkeypatch):
    """A registry entry with `status: true` brings tests/<name>/status.py's
    ROLES (imported as tests.<name>.status); one without brings none."""
    demo = types.ModuleType("tests.demo.status")
    demo.ROLES = {"demo": status.Role("demo host")}
    monkeypatch.setitem(sys.modules, "tests.demo.status", demo)
    entries = [{"name": "demo", "status": True}, {"name": "quiet", "status": False}]
    monkeypatch.setattr(status.registry, "topologies", lambda: entries)
    assert status.topology_roles()["demo"].title == "demo host"
    monkeypatch.setattr(status.registry, "topologies", lambda: entries[1:])
    assert "demo" not in status.topology_roles()


def test_urls_follow_each_hosts_port(inv):
    assert inv.host("web1").url("web_node_port", "/health") == "http://10.213.1.11/health"
    assert inv.host("web3").url("web_node_port") == "http://10.213.1.13:8080/"
    with pytest.raises(KeyError, match="web1 has no nope_port"):
        inv.host("web1").url("nope_port")


LAB_INVENTORIES = ["inventories/lab", "inventories/cluster4",
                   *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("molecule/*/inventory"))]


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
    dual = [h for h in hosts if h.address6]
    if dual:
        prefix6 = ipaddress.ip_network(hosts[0].var("webfarm_lab_subnet6"))
        assert len({h.address6 for h in dual}) == len(dual)
        assert all(ipaddress.ip_address(h.address6) in prefix6 for h in dual)


def test_lab_subnets_do_not_overlap_and_may_use_the_apt_cache():
    cache = yaml.safe_load((ROOT / "playbooks" / "vars" / "lab_apt_cache.yml").read_text())
    bench = re.search(r'SUBNET.*?"([0-9.]+)"', (ROOT / "bench" / "converge.py").read_text())[1] + ".0/24"
    subnets = [ipaddress.ip_network(Inventory.load(ROOT / s).hosts()[0].var("webfarm_lab_subnet")) for s in LAB_INVENTORIES]
    subnets += [ipaddress.ip_network(cache["lab_apt_cache_subnet"]), ipaddress.ip_network(bench)]
    subnets += [ipaddress.ip_network(s) for s in (Inventory.load(ROOT / src).hosts()[0].var("webfarm_lab_subnet6")
                                                  for src in LAB_INVENTORIES) if s]
    for i, a in enumerate(subnets):
        for b in subnets[i + 1:]:
            assert not a.overlaps(b), f"{a} overlaps {b}: the lab and every scenario need their own subnet"
    clients = ipaddress.ip_network(cache["lab_apt_cache_clients"])
    assert all(s.subnet_of(clients) for s in subnets if s.version == 4), f"the apt cache serves {clients} only"


def test_the_lab_and_the_scenarios_with_vips_and_names_are_dual_stack_and_web_farm_is_not():
    """Issue 23: v6 where there are VIPs and names; one scenario stays IPv4
    only and proves such an inventory works as before."""
    for source in ["inventories/lab", "molecule/nlb/inventory", "molecule/active_passive/inventory",
                   "molecule/rr_dns/inventory"]:
        hosts = Inventory.load(ROOT / source).hosts()
        assert all(h.address6 for h in hosts), f"{source}: every host declares webfarm_address6"
    assert not any(h.address6 for h in Inventory.load(ROOT / "molecule/web_farm/inventory").hosts())


def test_role_defaults_fill_what_the_inventory_leaves_out(inv):
    web1 = inv.host("web1")
    assert web1.var("web_node_port") == 80
    assert web1.var("web_node_health_path") == "/health"
    assert web1.var("web_node_name") is None, "templated defaults are not guessed"


def address_plan() -> list[tuple[range, set[str], str]]:
    """The address plan as docs/testing.md states it: (last octets, groups, what)."""
    plan = []
    for line in (ROOT / "docs" / "testing.md").read_text().splitlines():
        m = re.match(r"^\| \.(\d+)(?:-\.(\d+))? \| (.+?) \|$", line)
        if m:
            first, last = int(m[1]), int(m[2] or m[1])
            plan.append((range(first, last + 1), set(re.findall(r"`([a-z_]+)`", m[3])), m[3]))
    return plan


def test_the_address_plan_is_written_down():
    blocks = {what for _, _, what in address_plan()}
    assert any("gateway" in w for w in blocks) and any("virtual IPs" in w for w in blocks)
    assert any("web_farm" in w for w in blocks)


@pytest.mark.parametrize("source", LAB_INVENTORIES)
def test_lab_inventories_follow_the_address_plan(source):
    plan = address_plan()
    vip_block = next(octets for octets, _, what in plan if "virtual IPs" in what)
    for host in Inventory.load(ROOT / source).hosts():
        octet = int(host.address.rsplit(".", 1)[1])
        blocks = [octets for octets, groups, _ in plan if groups & set(host.groups)]
        assert blocks, f"{source}: no block of the address plan (docs/testing.md) for {host.name}'s groups {host.groups}"
        assert any(octet in b for b in blocks), f"{source}: {host.name} at .{octet} is outside its block {blocks}"
        if host.address6:
            # The IPv6 host part is the IPv4 last octet, written in the same digits.
            prefix6 = ipaddress.ip_network(host.var("webfarm_lab_subnet6"))
            want = ipaddress.ip_address(f"{prefix6.network_address}".rstrip(":") + f"::{octet}")
            assert host.address6 == str(want), f"{source}: {host.name}'s webfarm_address6 should be {want}"
        for var, value in host.vars.items():
            if var.endswith(("_vip", "_vips")):
                values = value if isinstance(value, list) else [value]
                for v in values:
                    address = str(v.get("address") if isinstance(v, dict) else v).split("/")[0]
                    assert int(address.rsplit(".", 1)[1]) in vip_block, f"{source}: {var} {address} is outside the VIP block"
                    if isinstance(v, dict) and v.get("address6"):
                        prefix6 = ipaddress.ip_network(host.var("webfarm_lab_subnet6"))
                        want = ipaddress.ip_address(f"{prefix6.network_address}".rstrip(":") + "::" + address.rsplit(".", 1)[1])
                        assert ipaddress.ip_address(v["address6"]) == want, f"{source}: {var} {v['address6']} pairs with {address}"
