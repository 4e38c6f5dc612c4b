"""A wrong inventory stops the rr_dns playbook before any host changes,
naming the variable (check mode against two `local` name servers)."""
from __future__ import annotations

import pytest
from bad_input_cases import bad_inputs

from lab.playbook import assert_stopped_before_changes, check_on_local_hosts

SECRET = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2U="
GOOD = {"dns_server_transfer_key_secret": SECRET, "dns_server_admin_key_secret": SECRET,
        "dns_server_health_key_secret": SECRET}


FIRST_CHANGES = ("Install BIND", "Write the TSIG keys", "Write BIND's options")


def run_rr_dns(tmp_path, **overrides):
    return check_on_local_hosts(tmp_path, "rr_dns.yml", {
        "rr_dns": {"dns1": {"webfarm_address": "10.213.0.21"}, "dns2": {"webfarm_address": "10.213.0.22"}},
        "web_farm": {"web1": {"webfarm_address": "10.213.0.11"}},
    }, {**GOOD, **overrides})


def assert_stopped(out, *messages, hidden=()):
    assert_stopped_before_changes(out, messages, FIRST_CHANGES, hidden)


def test_good_input_passes_the_checks(tmp_path):
    out = run_rr_dns(tmp_path)
    # Check mode on this machine stops later (no BIND here), never at the checks.
    assert "Check the zone, the name servers, the members and the health checks" in out.stdout
    assert "dns_server on dns1:" not in out.stdout, out.stdout[-3000:]


@pytest.mark.parametrize("overrides, message", bad_inputs("rr_dns"))
def test_bad_input_is_named_before_any_change(tmp_path, overrides, message):
    out = run_rr_dns(tmp_path, **overrides)
    assert_stopped(out, message, hidden=["changemechangemechangeme"])


def test_a_timeout_equal_to_the_interval_and_a_cname_of_its_own_pass(tmp_path):
    out = run_rr_dns(tmp_path, dns_server_health_timeout=1, dns_server_health_interval=1,
                     dns_server_records=[{"name": "shop", "type": "CNAME", "value": "www", "ttl": 0}])
    assert "Check the zone, the name servers, the members and the health checks" in out.stdout
    assert "dns_server on dns1:" not in out.stdout and "dns_server_records" not in out.stdout, out.stdout[-3000:]


def test_every_bad_value_is_named_at_once(tmp_path):
    out = run_rr_dns(tmp_path, dns_server_health_rise=0, dns_server_health_fall=0)
    assert_stopped(out, "dns_server_health_rise", "dns_server_health_fall")


def test_site_yml_refuses_a_bad_name_server_input_before_the_web_farm_changes(tmp_path):
    """site.yml runs the web farm's play first: the name servers' inputs are
    checked before it (playbooks/preflight.yml), not when rr_dns.yml starts."""
    out = check_on_local_hosts(tmp_path, "site.yml", {
        "rr_dns": {"dns1": {"webfarm_address": "10.213.0.21"}, "dns2": {"webfarm_address": "10.213.0.22"}},
        "web_farm": {"web1": {"webfarm_address": "10.213.0.11"}},
    }, {**GOOD, "dns_server_health_rise": 0})
    assert_stopped_before_changes(out, ['dns_server_health_rise = "0": must be 1 or more checks'],
                                  ("Install the web node packages", "Install the site checker", *FIRST_CHANGES))
