"""filter_plugins/webfarm_acme.py: durations, and the names DNS-01 writes."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.filter.webfarm_acme import (
    webfarm_acme_challenge_names,
    webfarm_acme_with_challenge,
    webfarm_seconds,
)


@pytest.mark.parametrize(("value", "seconds"), [("30d", 2592000), ("8h", 28800), ("15m", 900), ("600s", 600),
                                                 (" 2d ", 172800)])
def test_a_duration_is_a_number_and_a_unit(value, seconds):
    assert webfarm_seconds(value, "lb_acme_renew_margin") == seconds


@pytest.mark.parametrize("value", ["30", "0d", "-1d", "1.5d", "1w", "d", "", 30, None, True])
def test_a_bad_duration_is_refused_naming_the_variable(value):
    with pytest.raises(AnsibleFilterError, match=r"^lb_acme_renew_margin = .*: must be a duration above 0"):
        webfarm_seconds(value, "lb_acme_renew_margin")


def test_each_domain_has_its_challenge_name_a_wildcard_its_base_names():
    names = webfarm_acme_challenge_names(["www.webfarm.test", "*.webfarm.test", "webfarm.test", "*.apps.webfarm.test",
                                          "WWW.webfarm.test."], "webfarm.test.")
    assert names == ["_acme-challenge.www", "_acme-challenge", "_acme-challenge.apps"]


@pytest.mark.parametrize(("domains", "zone", "why"), [
    (["www.example.com"], "webfarm.test", r"'www.example.com' is not in the zone webfarm.test that DNS-01 updates"),
    (["notwebfarm.test"], "webfarm.test", "is not in the zone"),
    (["www..webfarm.test"], "webfarm.test", "has an empty label"),
    (["www.webfarm.test"], "", "DNS-01 needs the zone its name server serves"),
    ("www.webfarm.test", "webfarm.test", "must be a list of names"),
])
def test_a_domain_the_zone_does_not_serve_is_refused(domains, zone, why):
    with pytest.raises(AnsibleFilterError, match=r"^lb_acme_certificates\[\]\.domains.*" + why):
        webfarm_acme_challenge_names(domains, zone)


def test_no_dns_01_domain_needs_no_zone():
    # Every certificate by HTTP-01, and no round-robin DNS in the inventory.
    assert webfarm_acme_challenge_names([], "") == []


def test_each_certificate_is_proved_by_its_own_challenge_else_the_roles():
    certs = [{"name": "lb", "domains": ["lb.webfarm.test"]}, {"name": "shop", "domains": ["shop.example.org"],
                                                              "challenge": "http-01"}, {"name": "x", "challenge": None}]
    assert [c["name"] for c in webfarm_acme_with_challenge(certs, "dns-01")] == ["lb", "x"]
    assert [c["name"] for c in webfarm_acme_with_challenge(certs, "http-01")] == ["shop"]
    assert [c["name"] for c in webfarm_acme_with_challenge(certs, "http-01", "http-01")] == ["lb", "shop", "x"]
    assert webfarm_acme_with_challenge([], "dns-01") == []


@pytest.mark.parametrize("value", ["lb", {"name": "lb"}, ["lb"]])
def test_certificates_that_are_not_a_list_of_mappings_are_refused(value):
    with pytest.raises(AnsibleFilterError, match=r"^lb_acme_certificates must be a list of certificates"):
        webfarm_acme_with_challenge(value, "dns-01")
