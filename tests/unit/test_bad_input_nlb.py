"""A wrong inventory stops the nlb playbook before any host changes, naming
the variable (check mode against two `local` balancers)."""
from __future__ import annotations

import datetime

import certs
import pytest
from bad_input_cases import bad_inputs

from lab.playbook import assert_stopped_before_changes, check_on_local_hosts

GOOD = {
    "lb_haproxy_stats_password": "a-good-long-password",
    "lb_keepalived_vips": [{"address": "10.213.0.200", "router_id": 51}],
    # Given, so nothing is read from this machine's interfaces.
    "lb_keepalived_interface": "eth0",
    "lb_keepalived_network": "10.213.0.0/24",
}


FIRST_CHANGES = ("Give HAProxy's unit its file limit", "Install the balancer packages", "Write the HAProxy configuration",
                 "Install the ACME client and what the renewal uses")


def run_nlb(tmp_path, balancers=("lb1", "lb2"), until=None, **overrides):
    return check_on_local_hosts(tmp_path, "nlb.yml", {
        "nlb": {name: {"webfarm_address": f"10.213.0.{31 + i}"} for i, name in enumerate(balancers)},
        "web_farm": {"web1": {"webfarm_address": "10.213.0.11"}, "web2": {"webfarm_address": "10.213.0.12"}},
    }, {**GOOD, **overrides}, until=until)


def assert_stopped(out, message, hidden=()):
    assert_stopped_before_changes(out, [message], FIRST_CHANGES, hidden)


def test_good_input_passes_the_checks(tmp_path):
    out = run_nlb(tmp_path, until=FIRST_CHANGES[0])
    # Past the checks, the play reaches its first task that changes a host.
    assert FIRST_CHANGES[0] in out.stdout, out.stdout[-3000:]


def test_good_acme_input_passes_the_checks(tmp_path):
    acme = next(case for case, _ in bad_inputs("nlb") if "lb_acme_certificates" in case)
    # A second certificate by HTTP-01, for a name outside the DNS-01 zone.
    certificates = [*acme["lb_acme_certificates"], {"name": "shop", "domains": ["shop.example.com"], "challenge": "http-01"}]
    out = run_nlb(tmp_path, until=FIRST_CHANGES[-1], **{**acme, "lb_acme_directory": "https://acme.example.test/dir",
                                                         "lb_acme_certificates": certificates})
    assert FIRST_CHANGES[-1] in out.stdout, out.stdout[-3000:]


@pytest.mark.parametrize("overrides, message", bad_inputs("nlb"))
def test_bad_input_stops_the_play_naming_the_variable(tmp_path, overrides, message):
    out = run_nlb(tmp_path, **overrides)
    assert_stopped(out, message, hidden=[p for p in [overrides.get("lb_haproxy_stats_password")] if p])


def test_one_balancer_needs_the_explicit_switch(tmp_path):
    out = run_nlb(tmp_path, balancers=("lb1",))
    assert_stopped(out, "lists one balancer: nobody could take its VIPs over")
    out = run_nlb(tmp_path, balancers=("lb1",), lb_keepalived_single_balancer=True, until=FIRST_CHANGES[0])
    assert FIRST_CHANGES[0] in out.stdout, out.stdout[-3000:]


def certificate(**dates):
    pair = certs.ca_and_leaf(["www.example.test"], **dates)
    return {"name": "www", "certificate": pair["cert"], "key": pair["key"]}


def test_good_certificates_pass_the_checks(tmp_path):
    out = run_nlb(tmp_path, lb_haproxy_tls_certificates=[certificate(
        not_before=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1),
        not_after=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30))], until=FIRST_CHANGES[0])
    assert FIRST_CHANGES[0] in out.stdout, out.stdout[-3000:]


def test_bad_tls_input_stops_the_play_naming_the_variable(tmp_path):
    now = datetime.datetime.now(datetime.UTC)
    good = certificate(not_before=now - datetime.timedelta(days=1), not_after=now + datetime.timedelta(days=30))
    expired = certificate(not_before=now - datetime.timedelta(days=30), not_after=now - datetime.timedelta(days=1))
    other_key = certs.key_pem(certs.key())
    for overrides, message in [
        ({"lb_haproxy_tls_certificates": [{**good, "key": other_key}]},
         "lb_haproxy_tls_certificates[0].key does not match lb_haproxy_tls_certificates[0].certificate"),
        ({"lb_haproxy_tls_certificates": [expired]},
         "lb_haproxy_tls_certificates[0].certificate (subject CN=www.example.test) expired on"),
        # A choice of the argument spec's, checked by ansible-core first.
        ({"lb_haproxy_tls_certificates": [good], "lb_haproxy_tls_min_version": "TLSv1.1"},
         "value of lb_haproxy_tls_min_version must be one of: TLSv1.2, TLSv1.3, got: TLSv1.1"),
        ({"lb_haproxy_sites": [{"name": "www", "tls_port": 443}]},
         "lb_haproxy_sites[0].tls_port = 443: HTTPS needs a certificate"),
    ]:
        out = run_nlb(tmp_path, **overrides)
        assert_stopped(out, message, hidden=[other_key.splitlines()[1]])


def test_site_yml_refuses_a_bad_keepalived_input_before_the_web_farm_changes(tmp_path):
    """site.yml runs the web farm's play first: keepalived's inputs are
    checked before it (playbooks/preflight.yml), not when nlb.yml starts."""
    out = check_on_local_hosts(tmp_path, "site.yml", {
        "nlb": {"lb1": {"webfarm_address": "10.213.0.31"}, "lb2": {"webfarm_address": "10.213.0.32"}},
        "web_farm": {"web1": {"webfarm_address": "10.213.0.11"}, "web2": {"webfarm_address": "10.213.0.12"}},
    }, {**GOOD, "lb_keepalived_advert_interval": 0})
    assert_stopped_before_changes(out, ['lb_keepalived_advert_interval = "0": must be 0.1 to 40 seconds'],
                                  ("Install the web node packages", "Install the site checker", *FIRST_CHANGES))
