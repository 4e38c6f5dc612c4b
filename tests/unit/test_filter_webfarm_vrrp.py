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
    assert first == {"name": "webfarm_51", "address": "10.213.0.200", "prefix": 24, "router_id": 51,
                     "master": "lb1", "priorities": {"lb1": 250, "lb2": 240}}
    assert second["master"] == "lb2" and second["priorities"] == {"lb2": 250, "lb1": 240} and second["prefix"] == 25


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
