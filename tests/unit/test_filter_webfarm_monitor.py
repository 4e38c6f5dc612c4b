"""filter_plugins/webfarm_monitor.py: what the farm monitor watches, from
the inventory, and a clear error for an unknown topology or host."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.filter.webfarm_monitor import webfarm_monitor_targets

DEFAULTS = {"web_node_port": 80, "web_node_health_path": "/health",
            "web_node_content_version_path": "/.well-known/webfarm/content-version", "lb_haproxy_stats_port": 8404,
            "lb_haproxy_sites": [{"name": "www"}], "lb_haproxy_balancer_path": "/.well-known/webfarm/balancer",
            "dns_server_zone": "webfarm.test", "dns_server_service_name": "www", "session_store_port": 6379,
            "session_store_service_manager": "systemd"}
GROUPS = {"all": ["web1", "web2", "lb1", "dns1", "node1", "node2", "mon1"], "web_farm": ["web1", "web2"],
          "nlb": ["lb1"], "rr_dns": ["dns1"], "active_passive": ["node1", "node2"], "session_store": ["node1", "node2"],
          "monitor": ["mon1"]}
SERVICES = [{"name": "web", "vip": "10.213.0.210", "dns_name": "web-ha"}, {"name": "store", "vip": "10.213.0.211"}]
HOSTVARS = {
    "web1": {"webfarm_address": "10.213.0.11"}, "web2": {"webfarm_address": "10.213.0.12", "web_node_port": 8080},
    "lb1": {"webfarm_address": "10.213.0.31", "lb_keepalived_vips": [{"address": "10.213.0.200/24"}, "10.213.0.201"]},
    "dns1": {"webfarm_address": "10.213.0.21"},
    "node1": {"webfarm_address": "10.213.0.41", "pacemaker_cluster_services": SERVICES, "session_store_service_manager": "cluster",
              "session_store_address": "10.213.0.211"},
    "node2": {"webfarm_address": "10.213.0.42", "pacemaker_cluster_services": SERVICES},
    "mon1": {"webfarm_address": "10.213.0.71"},
}


def test_every_topology_of_the_inventory_is_watched():
    t = webfarm_monitor_targets(GROUPS, HOSTVARS, [], [], DEFAULTS)
    assert list(t) == ["web_farm", "nlb", "rr_dns", "active_passive", "session_store"]
    assert t["web_farm"]["nodes"][1] == {"name": "web2", "address": "10.213.0.12", "port": 8080, "health_path": "/health",
                                         "version_path": "/.well-known/webfarm/content-version"}
    assert t["nlb"]["vips"] == ["10.213.0.200", "10.213.0.201"] and t["nlb"]["port"] == 80
    assert t["rr_dns"]["names"] == ["www.webfarm.test", "web-ha.webfarm.test"]
    assert t["active_passive"]["groups"] == ["webfarm-web", "webfarm-store"]
    assert t["session_store"]["stores"] == [{"name": "store (cluster)", "address": "10.213.0.211", "port": 6379,
                                        "hosts": ["node1", "node2"]}]


def test_the_vips_ipv6_addresses_are_watched_after_the_ipv4_ones():
    vips = [{"address": "10.213.0.200", "address6": "FD00:213:0::200"}, {"address": "10.213.0.201"}]
    t = webfarm_monitor_targets(GROUPS, {**HOSTVARS, "lb1": {**HOSTVARS["lb1"], "lb_keepalived_vips": vips}}, [], [], DEFAULTS)
    assert t["nlb"]["vips"] == ["10.213.0.200", "10.213.0.201", "fd00:213::200"]
    with pytest.raises(AnsibleFilterError, match="address6 'nope' is not an IPv6 address"):
        webfarm_monitor_targets(GROUPS, {**HOSTVARS, "lb1": {**HOSTVARS["lb1"], "lb_keepalived_vips": [
            {"address": "10.213.0.200", "address6": "nope"}]}}, [], [], DEFAULTS)


def test_https_vips_show_their_certificate_and_acme_balancers_their_renewal():
    t = webfarm_monitor_targets(GROUPS, HOSTVARS, [], [], DEFAULTS)
    assert "tls" not in t["nlb"] and t["nlb"]["acme"] is False
    static = {**HOSTVARS["lb1"], "lb_haproxy_tls_certificates": [{"name": "www"}]}
    t = webfarm_monitor_targets(GROUPS, {**HOSTVARS, "lb1": static}, [], [], DEFAULTS)
    assert t["nlb"]["tls"] == {"port": 443, "name": ""} and t["nlb"]["acme"] is False
    acme = {**HOSTVARS["lb1"], "lb_acme_certificates": [{"name": "lb", "domains": ["*.lb.webfarm.test", "lb.webfarm.test"]}],
            "lb_haproxy_sites": [{"name": "www", "bind_port": 8080, "tls_port": 8443}]}
    t = webfarm_monitor_targets(GROUPS, {**HOSTVARS, "lb1": acme}, [], [], DEFAULTS)
    assert t["nlb"]["tls"] == {"port": 8443, "name": "lb.webfarm.test"} and t["nlb"]["acme"] is True


def test_the_content_master_is_watched_with_the_web_farm():
    groups = {**GROUPS, "content_sync": ["content1"]}
    hostvars = {**HOSTVARS, "content1": {"webfarm_address": "10.213.0.51"}}
    assert webfarm_monitor_targets(groups, hostvars, ["web_farm"], [], DEFAULTS)["web_farm"]["content"] == [
        {"name": "content1", "address": "10.213.0.51"}]
    assert webfarm_monitor_targets(GROUPS, HOSTVARS, ["web_farm"], [], DEFAULTS)["web_farm"]["content"] == []


def test_chosen_topologies_and_skipped_hosts():
    t = webfarm_monitor_targets(GROUPS, HOSTVARS, ["web_farm"], ["web2"], DEFAULTS)
    assert list(t) == ["web_farm"] and [n["name"] for n in t["web_farm"]["nodes"]] == ["web1"]


@pytest.mark.parametrize("topologies, skip, message", [
    (["web_farm", "cdn"], [], "farm_monitor_topologies: unknown topology 'cdn'"),
    (["content"], [], "farm_monitor_topologies: unknown topology 'content'"),
    ([], ["web9"], "farm_monitor_skip_hosts: 'web9' is not a host of a watched topology"),
    (["web_farm"], ["lb1"], "farm_monitor_skip_hosts: 'lb1' is not a host of a watched topology"),
])
def test_unknown_names_are_refused(topologies, skip, message):
    with pytest.raises(AnsibleFilterError, match=message):
        webfarm_monitor_targets(GROUPS, HOSTVARS, topologies, skip, DEFAULTS)


def test_a_topology_without_hosts_is_refused():
    with pytest.raises(AnsibleFilterError, match="'nlb' has no hosts in this inventory"):
        webfarm_monitor_targets({**GROUPS, "nlb": []}, HOSTVARS, ["nlb"], [], DEFAULTS)


def test_a_host_without_an_address_is_named():
    with pytest.raises(AnsibleFilterError, match="host 'web1' has no webfarm_address"):
        webfarm_monitor_targets(GROUPS, {**HOSTVARS, "web1": {}}, ["web_farm"], [], DEFAULTS)
