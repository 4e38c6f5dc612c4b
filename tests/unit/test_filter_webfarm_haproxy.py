"""filter_plugins/webfarm_haproxy.py: the white paper's affinity names and
load formulas as HAProxy settings, and sites from the inventory."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.filter.webfarm_haproxy import (
    webfarm_haproxy_backends,
    webfarm_haproxy_balance,
    webfarm_haproxy_sites,
)

GROUPS = {"web_farm": ["web1", "web2", "web3"], "empty": []}
HOSTVARS = {
    "web1": {"webfarm_address": "10.213.0.11"},
    "web2": {"webfarm_address": "10.213.0.12", "lb_haproxy_weight": 50},
    "web3": {"webfarm_address": "10.213.0.13", "web_node_port": 8080},
}


@pytest.mark.parametrize("affinity, formula, balance, hash_type, cookie", [
    ("none", None, "roundrobin", None, False),
    ("none", "leastconn", "leastconn", None, False),
    ("none", "static", "static-rr", None, False),
    ("none", "hash", "uri", "consistent", False),
    ("single", None, "source", "consistent", False),
    ("class_c", None, "hash src,ipmask(24,64)", "consistent", False),
    ("cookie", None, "roundrobin", None, True),
    ("cookie", "leastconn", "leastconn", None, True),
])
def test_each_affinity_and_formula_maps_to_haproxy(affinity, formula, balance, hash_type, cookie):
    assert webfarm_haproxy_balance(affinity, formula) == {"balance": balance, "hash_type": hash_type, "cookie": cookie}


@pytest.mark.parametrize("affinity", ["classc", "sticky", "Single", "", None, 3])
def test_an_unknown_affinity_is_refused_by_name(affinity):
    message = r"lb_haproxy_sites\[0\]\.affinity = .*must be one of none, single, class_c, cookie"
    with pytest.raises(AnsibleFilterError, match=message):
        webfarm_haproxy_balance(affinity)


def test_an_unknown_formula_is_refused_by_name():
    with pytest.raises(AnsibleFilterError, match=r"\.formula = 'random': must be one of roundrobin, static, leastconn, hash"):
        webfarm_haproxy_balance("none", "random")


def test_a_formula_with_a_hashing_affinity_is_refused():
    with pytest.raises(AnsibleFilterError, match="affinity 'class_c' is a hash of the client's address"):
        webfarm_haproxy_balance("class_c", "leastconn")


def test_a_site_gets_its_defaults_and_its_servers():
    [site] = webfarm_haproxy_sites([{"name": "www"}], GROUPS, HOSTVARS, [8404])
    assert site["bind_port"] == 80 and site["balance"] == "roundrobin" and site["health_path"] == "/health"
    assert site["servers"] == [
        {"name": "web1", "address": "10.213.0.11", "port": 80, "weight": 100, "endpoint": "10.213.0.11:80"},
        {"name": "web2", "address": "10.213.0.12", "port": 80, "weight": 50, "endpoint": "10.213.0.12:80"},
        {"name": "web3", "address": "10.213.0.13", "port": 8080, "weight": 100, "endpoint": "10.213.0.13:8080"},
    ]


def test_the_nodes_may_be_reached_over_ipv6_and_class_c_hashes_an_ipv6_prefix():
    dual = {name: {**hvars, "webfarm_address6": f"fd00:213::{11 + i}"} for i, (name, hvars) in enumerate(HOSTVARS.items())}
    [site] = webfarm_haproxy_sites([{"name": "www", "affinity": "class_c"}], GROUPS, dual, family="ipv6", prefix6=56)
    assert [s["endpoint"] for s in site["servers"]] == ["[fd00:213::11]:80", "[fd00:213::12]:80", "[fd00:213::13]:8080"]
    assert site["balance"] == "hash src,ipmask(24,56)"
    with pytest.raises(AnsibleFilterError, match="host 'web1' has no webfarm_address6, and lb_haproxy_node_family is ipv6"):
        webfarm_haproxy_sites([{"name": "www"}], GROUPS, HOSTVARS, family="ipv6")
    with pytest.raises(AnsibleFilterError, match="lb_haproxy_node_family = 'ip6': must be one of ipv4, ipv6"):
        webfarm_haproxy_sites([{"name": "www"}], GROUPS, HOSTVARS, family="ip6")
    with pytest.raises(AnsibleFilterError, match="lb_haproxy_class_c_prefix6 = 96: must be from 32 to 64"):
        webfarm_haproxy_balance("class_c", prefix6=96)


def test_a_sites_weights_override_the_hosts():
    [site] = webfarm_haproxy_sites([{"name": "w", "weights": {"web1": 1, "web3": 3}}], GROUPS, HOSTVARS)
    assert [s["weight"] for s in site["servers"]] == [1, 50, 3]


@pytest.mark.parametrize("sites, message", [
    ([], "lb_haproxy_sites must be a non-empty list"),
    ([{"bind_port": 80}], r"lb_haproxy_sites\[0\]\.name = None"),
    ([{"name": "www"}, {"name": "www", "bind_port": 81}], "two sites share it"),
    ([{"name": "a"}, {"name": "b"}], r"lb_haproxy_sites\[1\]\.bind_port = 80: already used by site 'a'"),
    ([{"name": "a", "bind_port": 8404}], "already used by the stats page"),
    ([{"name": "a", "group": "empty"}], r"\.group = 'empty': must name an inventory group with at least one web node"),
    ([{"name": "a", "group": "missing"}], r"\.group = 'missing'"),
    ([{"name": "a", "affinity": "sticky"}], r"lb_haproxy_sites\[0\]\.affinity = 'sticky'"),
    ([{"name": "a", "weights": {"web1": 300}}], r"weights\.web1 = 300: must be from 0 to 256"),
    ([{"name": "a", "weights": {"web1": -1}}], r"weights\.web1 = -1: must be from 0 to 256"),
    ([{"name": "a", "weights": {"web9": 1}}], "weights names web9, not among the site's nodes"),
    ([{"name": "a", "check": "icmp"}], r"\.check = 'icmp'"),
    ([{"name": "a", "colour": "red"}], "unknown keys colour"),
    ([{"name": "a", "health_path": "health"}], "must be a URL path"),
])
def test_bad_sites_are_refused_naming_the_key(sites, message):
    with pytest.raises(AnsibleFilterError, match=message):
        webfarm_haproxy_sites(sites, GROUPS, HOSTVARS, [8404])


def test_a_host_weight_outside_the_range_is_refused():
    hostvars = {**HOSTVARS, "web1": {"webfarm_address": "10.213.0.11", "lb_haproxy_weight": 257}}
    with pytest.raises(AnsibleFilterError, match="host 'web1': lb_haproxy_weight = 257: must be from 0 to 256"):
        webfarm_haproxy_sites([{"name": "www"}], GROUPS, hostvars)


def test_members_with_different_health_paths_need_the_sites_own():
    hostvars = {**HOSTVARS, "web2": {"webfarm_address": "10.213.0.12", "web_node_health_path": "/ping"}}
    with pytest.raises(AnsibleFilterError, match="web_node_health_path differ"):
        webfarm_haproxy_sites([{"name": "www"}], GROUPS, hostvars)
    [site] = webfarm_haproxy_sites([{"name": "www", "health_path": "/ping"}], GROUPS, hostvars)
    assert site["health_path"] == "/ping"


def test_https_takes_443_for_the_site_on_80_and_a_named_port_for_others():
    sites = webfarm_haproxy_sites([{"name": "www"}, {"name": "shop", "bind_port": 8081, "tls_port": 8441},
                           {"name": "plain", "bind_port": 8082}, {"name": "both", "bind_port": 8083, "tls_port": 8443,
                                                                  "redirect": False}],
                          GROUPS, HOSTVARS, [8404], tls=True)
    assert [(s["tls_port"], s["redirect"]) for s in sites] == [(443, True), (8441, True), (None, False), (8443, False)]


def test_without_certificates_every_site_is_plain_http():
    [site] = webfarm_haproxy_sites([{"name": "www"}], GROUPS, HOSTVARS)
    assert (site["tls_port"], site["redirect"]) == (None, False)


@pytest.mark.parametrize("sites, tls, message", [
    ([{"name": "www", "tls_port": 443}], False, r"lb_haproxy_sites\[0\]\.tls_port = 443: HTTPS needs a certificate; "
                                                r"set lb_haproxy_tls_certificates"),
    ([{"name": "www"}, {"name": "b", "bind_port": 8081, "tls_port": 443}], True,
     r"lb_haproxy_sites\[1\]\.tls_port = 443: already used by site 'www' \(HTTPS\)"),
    ([{"name": "www", "tls_port": 8404}], True, r"tls_port = 8404: already used by the stats page"),
    ([{"name": "www", "tls_port": 80}], True, r"tls_port = 80: already used by site 'www'"),
    ([{"name": "www", "redirect": "yes"}], True, r"lb_haproxy_sites\[0\]\.redirect = 'yes': must be true or false"),
])
def test_bad_https_settings_are_named(sites, tls, message):
    with pytest.raises(AnsibleFilterError, match=message):
        webfarm_haproxy_sites(sites, GROUPS, HOSTVARS, [8404], tls=tls)


def test_every_balancer_and_site_backend_is_listed_with_its_socket():
    hostvars = {"lb1": {"lb_haproxy_sites": [{"name": "www"}, {"name": "shop"}]},
                "lb2": {"lb_haproxy_runtime_socket": "/run/lb.sock"}}
    assert webfarm_haproxy_backends(["lb1", "lb2"], hostvars) == [
        {"balancer": "lb1", "backend": "www", "socket": "/run/haproxy/admin.sock"},
        {"balancer": "lb1", "backend": "shop", "socket": "/run/haproxy/admin.sock"},
        {"balancer": "lb2", "backend": "www", "socket": "/run/lb.sock"},
    ]
    with pytest.raises(AnsibleFilterError, match="balancer 'lb9' is not in the inventory"):
        webfarm_haproxy_backends(["lb9"], hostvars)


def test_the_filters_choices_are_the_argument_specs():
    """Affinity and formula are checked twice by design: by the role's
    argument spec as its checks start, and by this filter for whoever calls
    it alone. The two lists are one list."""
    import yaml
    from ansible_collections.webfarm.cluster.plugins.filter.webfarm_haproxy import AFFINITIES, FORMULAS

    from lab.inventory import ROOT

    spec = yaml.safe_load((ROOT / "roles/lb_haproxy/meta/argument_specs.yml").read_text())
    site = spec["argument_specs"]["main"]["options"]["lb_haproxy_sites"]["options"]
    assert list(AFFINITIES) == site["affinity"]["choices"]
    assert list(FORMULAS) == site["formula"]["choices"]
