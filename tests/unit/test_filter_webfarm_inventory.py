"""Unit tests of the inventory filters (filter_plugins/webfarm_inventory.py)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.filter.webfarm_inventory import (
    FilterModule,
    host_address,
    host_address6,
    webfarm_declared_addresses,
    webfarm_nodes,
)

HOSTVARS = {
    "web1": {"webfarm_address": "10.213.0.11"},
    "web2": {"webfarm_address": "10.213.0.12", "web_node_port": 8080},
    "web3": {"webfarm_address": "10.213.0.13", "web_node_port": "81"},
}


def test_nodes_keep_inventory_order_with_ports():
    nodes = webfarm_nodes(["web3", "web1", "web2"], HOSTVARS, "web_node_port", 80)
    assert nodes == [
        {"name": "web3", "address": "10.213.0.13", "port": 81},
        {"name": "web1", "address": "10.213.0.11", "port": 80},
        {"name": "web2", "address": "10.213.0.12", "port": 8080},
    ]


def test_without_a_port_variable_nodes_have_no_port():
    assert webfarm_nodes(["web1"], HOSTVARS) == [{"name": "web1", "address": "10.213.0.11"}]


def test_a_port_variable_without_value_or_default_is_named():
    with pytest.raises(AnsibleFilterError, match="host 'web1' has no lb_port and no default port"):
        webfarm_nodes(["web1"], HOSTVARS, "lb_port")


def test_filters_are_registered_under_their_names():
    filters = FilterModule().filters()
    assert filters["webfarm_nodes"] is webfarm_nodes
    assert filters["webfarm_declared_addresses"] is webfarm_declared_addresses


def test_empty_group_gives_empty_list():
    assert webfarm_nodes([], HOSTVARS) == []


def test_ansible_host_is_the_fallback_address():
    hostvars = {"web1": {"ansible_host": "198.51.100.7"}}
    assert webfarm_nodes(["web1"], hostvars)[0]["address"] == "198.51.100.7"


def test_host_address_is_the_one_rule():
    assert host_address("web1", {"webfarm_address": " 10.213.0.11 ", "ansible_host": "10.9.9.9"}) == "10.213.0.11"
    assert host_address("web1", {"ansible_host": "10.9.9.9"}) == "10.9.9.9"
    with pytest.raises(ValueError, match="set webfarm_address for 'web1'"):
        host_address("web1", {})


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
        webfarm_nodes(["web1"], {"web1": {"webfarm_address": "10.213.0.11", "web_node_port": bad}}, "web_node_port", 80)


def test_subnet_membership_is_enforced():
    assert len(webfarm_nodes(["web1", "web2"], HOSTVARS, subnet="10.213.0.0/24")) == 2
    with pytest.raises(AnsibleFilterError, match=r"10\.213\.0\.11 is not a host address of the subnet 10\.213\.1\.0/24"):
        webfarm_nodes(["web1"], HOSTVARS, subnet="10.213.1.0/24")


def test_network_and_broadcast_addresses_are_not_host_addresses():
    hostvars = {"a": {"webfarm_address": "10.213.0.0"}, "b": {"webfarm_address": "10.213.0.255"}}
    for name in hostvars:
        with pytest.raises(AnsibleFilterError, match="is not a host address of the subnet"):
            webfarm_nodes([name], hostvars, subnet="10.213.0.0/24")


def test_reserved_addresses_at_the_start_of_the_subnet_are_refused():
    hostvars = {"gw": {"webfarm_address": "10.213.0.1"}, "infra": {"webfarm_address": "10.213.0.9"},
                "web": {"webfarm_address": "10.213.0.10"}}
    assert len(webfarm_nodes(["gw"], hostvars, subnet="10.213.0.0/24")) == 1, "nothing is reserved unless asked"
    for name in ("gw", "infra"):
        with pytest.raises(AnsibleFilterError, match=r"is reserved: the first 9 addresses of 10\.213\.0\.0/24"):
            webfarm_nodes([name], hostvars, subnet="10.213.0.0/24", reserved=9)
    assert webfarm_nodes(["web"], hostvars, subnet="10.213.0.0/24", reserved=9)[0]["address"] == "10.213.0.10"


@pytest.mark.parametrize("bad", ["10.213.0.0/33", "10.213.0.1/24", "lab"])
def test_bad_subnet_is_named(bad):
    with pytest.raises(AnsibleFilterError, match=rf"subnet '{bad}' is not an IPv4 network"):
        webfarm_nodes(["web1"], HOSTVARS, subnet=bad)


# webfarm_declared_addresses: every address of the inventory, one owner each.
LB = {"webfarm_address": "10.213.0.31", "nlb_vips": ["10.213.0.200", {"address": "10.213.0.201/24"}]}


def test_declared_addresses_name_their_owners():
    hostvars = {**HOSTVARS, "lb1": LB, "lb2": {**LB, "webfarm_address": "10.213.0.32"},
                "node1": {"webfarm_address": "10.213.0.41", "cluster_vip": "10.213.0.210",
                          "pacemaker_cluster_services": [{"name": "web", "vip": "10.213.0.211"}, {"name": "no-vip"}]},
                "localhost": {"ansible_connection": "local"}}
    owners = webfarm_declared_addresses(hostvars, list(hostvars))
    assert owners == {"10.213.0.11": "host 'web1'", "10.213.0.12": "host 'web2'", "10.213.0.13": "host 'web3'",
                      "10.213.0.31": "host 'lb1'", "10.213.0.32": "host 'lb2'", "10.213.0.41": "host 'node1'",
                      "10.213.0.200": "nlb_vips", "10.213.0.201": "nlb_vips", "10.213.0.210": "cluster_vip",
                      "10.213.0.211": "pacemaker_cluster_services"}


@pytest.mark.parametrize("extra, message", [
    ({"webfarm_address": "10.213.0.11"}, r"host 'web1' and host 'x' both claim the address 10\.213\.0\.11: each address needs "
                                         "one owner; give each host its own webfarm_address"),
    ({"ansible_host": "10.213.0.11"}, r"host 'web1' and host 'x' both claim .*give each host its own webfarm_address"),
    ({"webfarm_address": "10.213.0.50", "cluster_vip": "10.213.0.12"},
     r"host 'web2' and cluster_vip both claim .*; give host 'web2' another webfarm_address, or cluster_vip another address"),
    ({"webfarm_address": "10.213.0.50", "cluster_vip": "10.213.0.200"},
     r"nlb_vips and cluster_vip both claim .*10\.213\.0\.200: each address needs one owner; "
     "keep each virtual IP in one variable"),
    ({"webfarm_address": "10.213.0.50", "pacemaker_cluster_services": [{"name": "web", "vip": "10.213.0.13/24"}]},
     r"host 'web3' and pacemaker_cluster_services both claim the address 10\.213\.0\.13: .*give host 'web3' another webfarm_address"),
])
def test_an_address_with_two_owners_is_refused(extra, message):
    hostvars = {**HOSTVARS, "lb1": LB, "x": extra}
    with pytest.raises(AnsibleFilterError, match=message):
        webfarm_declared_addresses(hostvars, list(hostvars))


@pytest.mark.parametrize("var, value, message", [
    ("nlb_vips", "10.213.0.200", "nlb_vips must be a list of addresses"),
    ("nlb_vips", ["10.213.0.300"], r"nlb_vips: '10\.213\.0\.300' is not an IPv4 address"),
    ("cluster_vip", "127.0.0.1", "cluster_vip: .127.0.0.1. cannot be a virtual IP"),
    ("pacemaker_cluster_services", {"vip": "10.213.0.210"}, "pacemaker_cluster_services must be a list of mappings"),
    ("pacemaker_cluster_services", [{"vip": "10.213.0.999"}], r"pacemaker_cluster_services: '10\.213\.0\.999' is not an IPv4"),
])
def test_a_bad_vip_is_named(var, value, message):
    with pytest.raises(AnsibleFilterError, match=f"host 'web1': {message}"):
        webfarm_declared_addresses({"web1": {"webfarm_address": "10.213.0.11", var: value}}, ["web1"])


def test_a_bad_host_address_is_named_but_hosts_reached_by_name_are_skipped():
    assert webfarm_declared_addresses({"db": {"ansible_host": "db.example.com"}}, ["db"]) == {}
    with pytest.raises(AnsibleFilterError, match="webfarm_address 'nope' is not a valid IPv4 address"):
        webfarm_declared_addresses({"db": {"webfarm_address": "nope"}}, ["db"])


def test_health_urls_follow_each_members_port_and_path():
    from ansible_collections.webfarm.cluster.plugins.filter.webfarm_inventory import webfarm_health_urls

    nodes = webfarm_nodes(["web1", "web2"], {**HOSTVARS, "web2": {**HOSTVARS["web2"], "web_node_health_path": "/healthz"}},
                          "web_node_port", 80)
    urls = webfarm_health_urls(nodes, {"web2": {"web_node_health_path": "/healthz"}}, "web_node_health_path", "/health")
    assert [u["url"] for u in urls] == ["http://10.213.0.11/health", "http://10.213.0.12:8080/healthz"]
    with pytest.raises(AnsibleFilterError, match="has no port"):
        webfarm_health_urls(webfarm_nodes(["web1"], HOSTVARS), {}, "web_node_health_path")
    dual = webfarm_nodes(["web1", "web2"], {**HOSTVARS, "web1": {**HOSTVARS["web1"], "webfarm_address6": "fd00:213::11"}},
                         "web_node_port", 80)
    assert [(u["name"], u["address"], u["url"]) for u in webfarm_health_urls(dual, {}, "web_node_health_path")] == [
        ("web1", "10.213.0.11", "http://10.213.0.11/health"),
        ("web1", "fd00:213::11", "http://[fd00:213::11]/health"),
        ("web2", "10.213.0.12", "http://10.213.0.12:8080/health"),
    ], "an IPv6 address is checked on its own, by its own URL"
    with pytest.raises(AnsibleFilterError, match="'web1': web_node_health_path 'health' is not a URL path"):
        webfarm_health_urls(nodes[:1], {"web1": {"web_node_health_path": "health"}}, "web_node_health_path")


def test_address_in_networks():
    from ansible_collections.webfarm.cluster.plugins.filter.webfarm_inventory import webfarm_address_in

    assert webfarm_address_in("10.213.0.211", ["127.0.0.1/8", "10.213.0.41/24"])
    assert not webfarm_address_in("10.213.1.211", ["10.213.0.41/24"])
    assert not webfarm_address_in("10.213.0.255", ["10.213.0.41/24"]), "a broadcast address is no host's"
    assert not webfarm_address_in("store.example", ["10.213.0.41/24"])
    with pytest.raises(AnsibleFilterError, match="'10.213.0/99' is not an IPv4 network"):
        webfarm_address_in("10.213.0.5", ["10.213.0/99"])


# Dual stack (issue 23): an IPv6 service address beside the IPv4 one.

DUAL = {"web1": {"webfarm_address": "10.213.0.11", "webfarm_address6": "fd00:213::11"},
        "web2": {"webfarm_address": "10.213.0.12", "webfarm_address6": "FD00:0213:0000::0012"},
        "web3": {"webfarm_address": "10.213.0.13"}}


def test_an_ipv6_address_is_given_compressed_beside_the_ipv4_one():
    nodes = webfarm_nodes(["web1", "web2", "web3"], DUAL, subnet="10.213.0.0/24", subnet6="fd00:213::/64")
    assert nodes == [{"name": "web1", "address": "10.213.0.11", "address6": "fd00:213::11"},
                     {"name": "web2", "address": "10.213.0.12", "address6": "fd00:213::12"},
                     {"name": "web3", "address": "10.213.0.13"}]


def test_a_host_without_an_ipv6_address_has_none():
    assert host_address6("web3", DUAL["web3"]) is None
    assert host_address6("web3", {"webfarm_address6": ""}) is None


@pytest.mark.parametrize("bad, says", [
    ("fe80::1", "link-local"),
    ("ff02::12", "multicast"),
    ("::1", "unspecified or loopback"),
    ("::", "unspecified or loopback"),
    ("::ffff:10.213.0.11", "an IPv4 address in IPv6 form"),
    ("fec0::1", "reserved or deprecated"),
])
def test_an_ipv6_address_that_cannot_serve_is_refused_by_name(bad, says):
    with pytest.raises(AnsibleFilterError, match=f"host 'web1': webfarm_address6 .* cannot be a service address: {says}"):
        webfarm_nodes(["web1"], {"web1": {"webfarm_address": "10.213.0.11", "webfarm_address6": bad}})


@pytest.mark.parametrize("bad", ["10.213.0.11", "fd00::1::2", "fd00::/64", "web1"])
def test_something_that_is_not_an_ipv6_address_is_refused_by_name(bad):
    with pytest.raises(AnsibleFilterError, match=r"host 'web1': webfarm_address6 .* is not a valid IPv6 address"):
        webfarm_nodes(["web1"], {"web1": {"webfarm_address": "10.213.0.11", "webfarm_address6": bad}})


def test_an_ipv6_address_outside_the_prefix_is_refused():
    with pytest.raises(AnsibleFilterError, match=r"webfarm_address6 fd00:214::11 is not a host address of the prefix "
                                                 r"fd00:213::/64"):
        webfarm_nodes(["web1"], {"web1": {"webfarm_address": "10.213.0.11", "webfarm_address6": "fd00:214::11"}},
                      subnet6="fd00:213::/64")


def test_the_prefix_s_first_addresses_are_reserved_as_in_ipv4():
    with pytest.raises(AnsibleFilterError, match=r"webfarm_address6 fd00:213::9 is reserved: the first 9"):
        webfarm_nodes(["web1"], {"web1": {"webfarm_address": "10.213.0.11", "webfarm_address6": "fd00:213::9"}},
                      subnet6="fd00:213::/64", reserved=9)


def test_a_bad_prefix_is_named():
    with pytest.raises(AnsibleFilterError, match=r"prefix '10.213.0.0/24' is not an IPv6 network"):
        webfarm_nodes(["web1"], DUAL, subnet6="10.213.0.0/24")


def test_two_hosts_with_one_ipv6_address_are_refused_however_it_is_written():
    hostvars = {**DUAL, "web3": {"webfarm_address": "10.213.0.13", "webfarm_address6": "fd00:213:0::11"}}
    with pytest.raises(AnsibleFilterError, match=r"hosts 'web1' and 'web3' share the address fd00:213::11: "
                                                 r"give each node its own webfarm_address6"):
        webfarm_nodes(["web1", "web2", "web3"], hostvars)
    with pytest.raises(AnsibleFilterError, match=r"host 'web1' and host 'web3' both claim the address fd00:213::11.*"
                                                 r"give each host its own webfarm_address6"):
        webfarm_declared_addresses(hostvars, ["web1", "web2", "web3"])


def test_the_declared_addresses_cover_both_families():
    owner = webfarm_declared_addresses(DUAL, ["web1", "web2", "web3"])
    assert owner["fd00:213::11"] == "host 'web1'" and owner["10.213.0.11"] == "host 'web1'"
    assert owner["fd00:213::12"] == "host 'web2'" and len(owner) == 5


def test_an_ipv6_vip_has_one_owner_too():
    vips = [{"address": "10.213.0.200", "address6": "FD00:213::200", "router_id": 51}]
    owner = webfarm_declared_addresses({**DUAL, "web1": {**DUAL["web1"], "lb_keepalived_vips": vips}}, ["web1", "web2", "web3"])
    assert owner["fd00:213::200"] == "lb_keepalived_vips" and owner["10.213.0.200"] == "lb_keepalived_vips"
    with pytest.raises(AnsibleFilterError, match=r"host 'web1' and lb_keepalived_vips both claim the address fd00:213::11"):
        webfarm_declared_addresses({**DUAL, "web2": {**DUAL["web2"], "lb_keepalived_vips": [{**vips[0], "address6": "fd00:213::11"}]}},
                                   ["web1", "web2", "web3"])
    with pytest.raises(AnsibleFilterError, match=r"lb_keepalived_vips: address6 'ff02::12' cannot be a virtual IP: multicast"):
        webfarm_declared_addresses({**DUAL, "web1": {**DUAL["web1"], "lb_keepalived_vips": [{**vips[0], "address6": "ff02::12"}]}},
                                   ["web1"])
