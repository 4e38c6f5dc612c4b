"""Unit tests of the webfarm_nodes filter (filter_plugins/webfarm.py)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from webfarm import FilterModule, webfarm_nodes

HOSTVARS = {
    "web1": {"webfarm_address": "10.213.0.11"},
    "web2": {"webfarm_address": "10.213.0.12", "web_node_port": 8080},
    "web3": {"webfarm_address": "10.213.0.13", "web_node_port": "81"},
}


def test_nodes_keep_inventory_order_with_ports():
    nodes = webfarm_nodes(["web3", "web1", "web2"], HOSTVARS)
    assert nodes == [
        {"name": "web3", "address": "10.213.0.13", "port": 81},
        {"name": "web1", "address": "10.213.0.11", "port": 80},
        {"name": "web2", "address": "10.213.0.12", "port": 8080},
    ]


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters()["webfarm_nodes"] is webfarm_nodes


def test_empty_group_gives_empty_list():
    assert webfarm_nodes([], HOSTVARS) == []


def test_ansible_host_is_the_fallback_address():
    hostvars = {"web1": {"ansible_host": "198.51.100.7"}}
    assert webfarm_nodes(["web1"], hostvars)[0]["address"] == "198.51.100.7"


def test_address_var_can_be_renamed():
    hostvars = {"lb1": {"lb_address": "10.213.0.5"}}
    assert webfarm_nodes(["lb1"], hostvars, address_var="lb_address")[0]["address"] == "10.213.0.5"


def test_duplicate_address_names_both_hosts():
    hostvars = {**HOSTVARS, "web3": {"webfarm_address": "10.213.0.11"}}
    with pytest.raises(AnsibleFilterError, match=r"'web1' and 'web3' share the address 10\.213\.0\.11"):
        webfarm_nodes(["web1", "web2", "web3"], hostvars)


@pytest.mark.parametrize("bad", ["10.213.0.300", "web1.example.com", "10.213.0", "fe80::1"])
def test_invalid_address_is_named(bad):
    with pytest.raises(AnsibleFilterError, match=rf"host 'web1': webfarm_address '{bad}' is not a valid IPv4 address"):
        webfarm_nodes(["web1"], {"web1": {"webfarm_address": bad}})


@pytest.mark.parametrize("bad", ["0.0.0.0", "127.0.0.1", "224.0.0.18", "255.255.255.255"])
def test_address_that_cannot_be_a_node_is_refused(bad):
    with pytest.raises(AnsibleFilterError, match="cannot be a node address"):
        webfarm_nodes(["web1"], {"web1": {"webfarm_address": bad}})


def test_missing_address_without_ip_ansible_host_says_what_to_set():
    with pytest.raises(AnsibleFilterError, match="set webfarm_address for 'web1' in the inventory"):
        webfarm_nodes(["web1"], {"web1": {"ansible_host": "web1.example.com"}})


def test_host_not_in_inventory():
    with pytest.raises(AnsibleFilterError, match="host 'web9' is not in the inventory"):
        webfarm_nodes(["web9"], HOSTVARS)


def test_host_listed_twice():
    with pytest.raises(AnsibleFilterError, match="host 'web1' is listed twice"):
        webfarm_nodes(["web1", "web1"], HOSTVARS)


def test_a_string_instead_of_a_list_is_refused():
    with pytest.raises(AnsibleFilterError, match="expects a list of host names"):
        webfarm_nodes("web1", HOSTVARS)


@pytest.mark.parametrize("bad", [0, 65536, "http", True, -1])
def test_bad_port_is_named(bad):
    with pytest.raises(AnsibleFilterError, match=r"host 'web1': web_node_port"):
        webfarm_nodes(["web1"], {"web1": {"webfarm_address": "10.213.0.11", "web_node_port": bad}})


def test_subnet_membership_is_enforced():
    assert len(webfarm_nodes(["web1", "web2"], HOSTVARS, subnet="10.213.0.0/24")) == 2
    with pytest.raises(AnsibleFilterError, match=r"10\.213\.0\.11 is not a host address of the subnet 10\.213\.1\.0/24"):
        webfarm_nodes(["web1"], HOSTVARS, subnet="10.213.1.0/24")


def test_network_and_broadcast_addresses_are_not_host_addresses():
    hostvars = {"a": {"webfarm_address": "10.213.0.0"}, "b": {"webfarm_address": "10.213.0.255"}}
    for name in hostvars:
        with pytest.raises(AnsibleFilterError, match="is not a host address of the subnet"):
            webfarm_nodes([name], hostvars, subnet="10.213.0.0/24")


def test_the_gateway_is_not_a_node_address():
    with pytest.raises(AnsibleFilterError, match=r"10\.213\.0\.1 is the gateway of the subnet 10\.213\.0\.0/24"):
        webfarm_nodes(["gw"], {"gw": {"webfarm_address": "10.213.0.1"}}, subnet="10.213.0.0/24")


@pytest.mark.parametrize("bad", ["10.213.0.0/33", "10.213.0.1/24", "lab"])
def test_bad_subnet_is_named(bad):
    with pytest.raises(AnsibleFilterError, match=rf"subnet '{bad}' is not an IPv4 network"):
        webfarm_nodes(["web1"], HOSTVARS, subnet=bad)
