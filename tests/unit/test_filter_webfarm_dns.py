"""The DNS filters (filter_plugins/webfarm_dns.py) and the package filter."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.filter.webfarm_dns import (
    FilterModule,
    webfarm_dns_name_problem,
    webfarm_dns_records,
)
from ansible_collections.webfarm.cluster.plugins.filter.webfarm_packages import webfarm_missing_packages

HOSTVARS = {"dns1": {"webfarm_address": "10.213.0.21"}, "dns2": {"webfarm_address": "10.213.0.22"},
            "ns3": {"webfarm_address": "10.213.0.23", "dns_server_ns_name": "ns3"}}


def test_name_servers_get_their_ns_and_a_records_then_the_extra_ones():
    records = webfarm_dns_records(["dns1", "dns2"], HOSTVARS, "WebFarm.test.", "www",
                                  [{"name": "shop", "type": "cname", "value": "www"}, {"name": "vip", "values": ["10.213.0.200"],
                                                                                     "ttl": 5}])
    assert records == [
        {"name": "@", "type": "NS", "values": ["dns1.webfarm.test.", "dns2.webfarm.test."]},
        {"name": "dns1", "type": "A", "values": ["10.213.0.21"]},
        {"name": "dns2", "type": "A", "values": ["10.213.0.22"]},
        {"name": "shop", "type": "CNAME", "values": ["www"]},
        {"name": "vip", "type": "A", "values": ["10.213.0.200"], "ttl": 5},
    ]
    assert FilterModule().filters()["webfarm_dns_records"] is webfarm_dns_records


def test_a_name_server_with_an_ipv6_address_gets_its_aaaa_beside_its_a():
    hostvars = {**HOSTVARS, "dns2": {**HOSTVARS["dns2"], "webfarm_address6": "FD00:213:0::22"}}
    records = webfarm_dns_records(["dns1", "dns2"], hostvars, "webfarm.test", "www")
    assert records[1:] == [{"name": "dns1", "type": "A", "values": ["10.213.0.21"]},
                           {"name": "dns2", "type": "A", "values": ["10.213.0.22"]},
                           {"name": "dns2", "type": "AAAA", "values": ["fd00:213::22"]}]
    with pytest.raises(AnsibleFilterError, match=r"name server dns2: host 'dns2': webfarm_address6 'fe80::22' cannot be"):
        webfarm_dns_records(["dns2"], {"dns2": {**HOSTVARS["dns2"], "webfarm_address6": "fe80::22"}}, "webfarm.test", "www")
    with pytest.raises(AnsibleFilterError, match="dns2 AAAA is set twice"):
        webfarm_dns_records(["dns2"], hostvars, "webfarm.test", "www", [{"name": "dns2", "type": "AAAA", "value": "fd00::1"}])


def test_a_name_server_may_carry_its_own_name_in_the_zone():
    assert webfarm_dns_records(["ns3"], HOSTVARS, "webfarm.test", "www")[0]["values"] == ["ns3.webfarm.test."]


@pytest.mark.parametrize("zone, service, extra, message", [
    ("www..webfarm.test", "www", [], "the zone 'www..webfarm.test' has an empty label"),
    ("webfarm.test", "x" * 64, [], "has a label of 64 characters"),
    ("webfarm.test", "@", [], "must be a name inside the zone"),
    ("webfarm.test", "www", [{"name": "www", "type": "A", "value": "10.213.0.99"}], "www A belongs to the health checker"),
    ("webfarm.test", "www", [{"name": "www", "type": "AAAA", "value": "fd00::99"}], "www AAAA belongs to the health checker"),
    ("webfarm.test", "www", [{"name": "dns1", "type": "A", "value": "10.213.0.99"}], "dns1 A is set twice"),
    ("webfarm.test", "www", [{"name": "mail", "type": "SPF", "value": "x"}], "type SPF is not one of"),
    ("webfarm.test", "www", [{"name": "mail", "type": "A"}], r"dns_server_records\[0\] \(mail A\) has no value"),
    ("webfarm.test", "www", ["mail"], "must be a mapping"),
    ("webfarm.test", "www", [{"name": "bad_name", "value": "10.0.0.1"}], "may hold letters, digits and '-' only"),
])
def test_bad_zone_data_is_named(zone, service, extra, message):
    with pytest.raises(AnsibleFilterError, match=message):
        webfarm_dns_records(["dns1", "dns2"], HOSTVARS, zone, service, extra)


@pytest.mark.parametrize("extra, kept, message", [
    # A CNAME is its name's only record (RFC 1034): beside another extra
    # record, a name server's own, the apex's NS, the service name's A
    # records (the health checker's) or a delegated name's (the cluster's).
    ([{"name": "shop", "type": "CNAME", "value": "www"}, {"name": "shop", "type": "TXT", "value": "x"}], [],
     r"dns_server_records\[0\]: shop CNAME sits beside its TXT record: a CNAME must be the only record of its name"),
    ([{"name": "shop", "type": "MX", "value": "10 mail"}, {"name": "shop", "type": "A", "value": "10.213.0.5"},
      {"name": "Shop", "type": "cname", "value": "www"}], [],
     r"dns_server_records\[2\]: shop CNAME sits beside its A, MX records"),
    ([{"name": "dns1", "type": "CNAME", "value": "www"}], [], "dns1 CNAME sits beside its A record"),
    ([{"name": "@", "type": "CNAME", "value": "www"}], [], "@ CNAME sits beside its NS record"),
    ([{"name": "www", "type": "CNAME", "value": "shop"}], [], "www CNAME sits beside the health checker's A and AAAA records"),
    ([{"name": "web-ha", "type": "CNAME", "value": "www"}], ["web-ha"],
     "web-ha CNAME sits beside the A record its delegated owner"),
    ([{"name": "web-ha", "type": "A", "value": "10.213.0.9"}], ["web-ha"], "web-ha A belongs to the name's delegated owner"),
    ([{"name": "shop", "type": "CNAME", "values": ["www", "lb"]}], [], r"\(shop CNAME\) has 2 values: a CNAME names one target"),
    # A record's TTL: whole seconds, 0 or more.
    ([{"name": "vip", "value": "10.213.0.200", "ttl": -5}], [],
     r"dns_server_records\[0\] \(vip A\): ttl -5 must be a whole number"),
    ([{"name": "vip", "value": "10.213.0.200", "ttl": "-1"}], [], "ttl '-1' must be a whole number of seconds, 0 to 2147483647"),
    ([{"name": "vip", "value": "10.213.0.200", "ttl": 2 ** 31}], [], "ttl 2147483648 must be"),
    ([{"name": "vip", "value": "10.213.0.200", "ttl": "soon"}], [], "ttl 'soon' must be"),
    ([{"name": "vip", "value": "10.213.0.200", "ttl": 1.5}], [], "ttl 1.5 must be"),
    ([{"name": "vip", "value": "10.213.0.200", "ttl": True}], [], "ttl True must be"),
])
def test_records_that_cannot_be_served_are_refused(extra, kept, message):
    with pytest.raises(AnsibleFilterError, match=message):
        webfarm_dns_records(["dns1", "dns2"], HOSTVARS, "webfarm.test", "www", extra, kept=kept)


def test_a_cname_of_its_own_and_a_zero_or_textual_ttl_pass():
    records = webfarm_dns_records(["dns1"], HOSTVARS, "webfarm.test", "www",
                                  [{"name": "shop", "type": "CNAME", "value": "www", "ttl": 0},
                                   {"name": "web-ha-alias", "type": "CNAME", "value": "web-ha"},
                                   {"name": "vip", "value": "10.213.0.200", "ttl": "60"}], kept=["web-ha"])
    assert records[-3:] == [{"name": "shop", "type": "CNAME", "values": ["www"], "ttl": 0},
                            {"name": "web-ha-alias", "type": "CNAME", "values": ["web-ha"]},
                            {"name": "vip", "type": "A", "values": ["10.213.0.200"], "ttl": 60}]


def test_name_servers_must_be_inventory_hosts_with_addresses():
    with pytest.raises(AnsibleFilterError, match="the name server 'dns9' is not in the inventory"):
        webfarm_dns_records(["dns1", "dns9"], HOSTVARS, "webfarm.test", "www")
    with pytest.raises(AnsibleFilterError, match="needs an IPv4 webfarm_address"):
        webfarm_dns_records(["x"], {"x": {"ansible_host": "x.example.com"}}, "webfarm.test", "www")
    with pytest.raises(AnsibleFilterError, match="non-empty list"):
        webfarm_dns_records([], HOSTVARS, "webfarm.test", "www")


@pytest.mark.parametrize("name, relative, ok", [
    ("webfarm.test", False, True), ("webfarm.test.", False, True), ("a-b.c", False, True),
    ("-a.test", False, False), ("a-.test", False, False), ("a" * 63 + ".test", False, True),
    ("@", True, True), ("@", False, False), ("", False, False), ("a." * 127 + "b", False, False),
])
def test_dns_names(name, relative, ok):
    assert (webfarm_dns_name_problem(name, relative) == "") is ok


def test_missing_packages_follow_dpkg_query():
    lines = ["installed nginx", "config-files bind9", "installed libc6:amd64"]
    assert webfarm_missing_packages(["nginx", "bind9", "curl", "libc6"], lines) == ["bind9", "curl"]
    assert webfarm_missing_packages(["nginx"], []) == ["nginx"]
    with pytest.raises(AnsibleFilterError, match="expects a list of package names"):
        webfarm_missing_packages("nginx", lines)
