"""filter_plugins/webfarm_vrrp.py: one VRRP instance per VIP, masters spread
over the balancers, and every VIP checked against their subnet."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.filter.webfarm_vrrp import webfarm_vrrp_instances, webfarm_vrrp_masters

NET = "10.213.0.31/24"
VIPS = [{"address": "10.213.0.200", "router_id": 51}, {"address": "10.213.0.201/25", "router_id": "52"}]


def test_each_vip_has_its_own_master_and_priorities():
    first, second = webfarm_vrrp_instances(VIPS, ["lb1", "lb2"], NET)
    assert first == {"name": "webfarm_51", "family": 4, "address": "10.213.0.200", "prefix": 24, "router_id": 51,
                     "master": "lb1", "priorities": {"lb1": 250, "lb2": 240}}
    assert second["master"] == "lb2" and second["priorities"] == {"lb2": 250, "lb1": 240} and second["prefix"] == 25


NET6 = "fd00:213::31/64"
VIPS6 = [{"address": "10.213.0.200", "address6": "FD00:213:0::200", "router_id": 51},
         {"address": "10.213.0.201", "router_id": 52}]


def test_a_vip_with_an_ipv6_address_gets_an_instance_per_family_moving_together():
    v4, v6, other = webfarm_vrrp_instances(VIPS6, ["lb1", "lb2"], NET, network6=NET6)
    assert v6 == {**v4, "name": "webfarm_51_6", "family": 6, "address": "fd00:213::200", "prefix": 64}
    assert other["family"] == 4 and other["master"] == "lb2", "an IPv4-only VIP keeps its one instance"
    assert webfarm_vrrp_masters(VIPS6, ["lb1", "lb2"]) == {"10.213.0.200": "lb1", "fd00:213::200": "lb1", "10.213.0.201": "lb2"}


@pytest.mark.parametrize("vip, network6, message", [
    # A VIP whose family has no instance: each field holds its own family.
    ({"address": "fd00:213::200"}, NET6, r"\[0\]\.address = 'fd00:213::200': an IPv6 address has no instance here: put it in "
                                          r"lb_keepalived_vips\[0\]\.address6"),
    ({"address6": "10.213.0.202"}, NET6, r"\[0\]\.address6 = '10.213.0.202': an IPv4 address has no instance here"),
    ({"address6": "fe80::200"}, NET6, "cannot be a virtual IP: link-local"),
    ({"address6": "ff02::12"}, NET6, "cannot be a virtual IP: multicast"),
    ({"address6": "fd00:999::200"}, NET6, r"outside the balancers' IPv6 prefix fd00:213::/64"),
    ({"address6": "www"}, NET6, "'www': not an IPv6 address"),
    # A v6 VIP on balancers without a v6 address.
    ({"address6": "fd00:213::200"}, None, "the balancers have no IPv6 address to send its adverts from: give each balancer "
                                          "its webfarm_address6"),
])
def test_bad_ipv6_vips_are_refused_naming_the_field(vip, network6, message):
    with pytest.raises(AnsibleFilterError, match=message):
        webfarm_vrrp_instances([{"address": "10.213.0.200", "router_id": 51, **vip}], ["lb1", "lb2"], NET, network6=network6)
    with pytest.raises(AnsibleFilterError, match="already"):
        webfarm_vrrp_instances([{**VIPS6[0]}, {**VIPS6[1], "address6": "fd00:213::200"}], ["lb1", "lb2"], NET, network6=NET6)


@pytest.mark.parametrize("vips, message", [
    ([], "lb_keepalived_vips must be a non-empty list"),
    ([{"address": "10.213.9.200", "router_id": 51}],
     r"lb_keepalived_vips\[0\]\.address = '10.213.9.200': outside the balancers' subnet 10.213.0.0/24"),
    ([{"address": "10.213.0.255", "router_id": 51}], "outside the balancers' subnet"),
    ([{"address": "10.213.0.200", "router_id": 51}, {"address": "10.213.0.200", "router_id": 52}],
     r"already lb_keepalived_vips\[0\]"),
    ([{"address": "10.213.0.200", "router_id": 0}], "must be a VRRP router id from 1 to 255"),
    ([{"address": "10.213.0.200", "router_id": 256}], "must be a VRRP router id from 1 to 255"),
    ([{"address": "10.213.0.200", "router_id": 51}, {"address": "10.213.0.201", "router_id": 51}], "already the router id of"),
    ([{"address": "nope", "router_id": 51}], "not an IPv4 address"),
    ([{"address": "10.213.0.200"}], "must be a mapping with address and router_id"),
])
def test_bad_vips_are_refused_naming_the_vip(vips, message):
    with pytest.raises(AnsibleFilterError, match=message):
        webfarm_vrrp_instances(vips, ["lb1", "lb2"], NET)


def test_each_vip_is_mastered_by_the_balancer_of_its_rank():
    assert webfarm_vrrp_masters(VIPS, ["lb1", "lb2"]) == {"10.213.0.200": "lb1", "10.213.0.201": "lb2"}
    assert webfarm_vrrp_masters(VIPS, ["lb1"]) == {"10.213.0.200": "lb1", "10.213.0.201": "lb1"}
