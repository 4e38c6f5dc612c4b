"""A wrong inventory stops the rr_dns playbook before any host changes,
naming the variable (check mode against two `local` name servers)."""
from __future__ import annotations

import pytest

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


@pytest.mark.parametrize("overrides, message", [
    ({"dns_server_zone": "www..webfarm.test"}, 'dns_server_zone = "www..webfarm.test": is not a DNS name: it has an empty label'),
    ({"dns_server_zone": "x" * 64 + ".test"}, "has a label of 64 characters"),
    ({"dns_server_service_name": "www..shop"}, "dns_server_service_name"),
    ({"dns_server_service_ttl": -5}, 'dns_server_service_ttl = "-5": must be a TTL in seconds, 0 or more'),
    ({"dns_server_service_ttl": "soon"}, "argument 'dns_server_service_ttl' is of type str"),
    ({"dns_server_service_group": "shop_farm"}, "must name an inventory group with at least one member"),
    ({"dns_server_health_interval": 0}, 'dns_server_health_interval = "0": must be more than 0 seconds'),
    ({"dns_server_health_rise": 0}, 'dns_server_health_rise = "0": must be 1 or more checks'),
    ({"dns_server_health_fall": -1}, "dns_server_health_fall"),
    ({"dns_server_servers": ["dns1", "dns9"]}, "not in the inventory: dns9"),
    ({"dns_server_health_key_secret": ""}, "dns_server_health_key_secret = \"\": must be a base64 TSIG secret"),
    ({"dns_server_records": [{"name": "www", "type": "A", "value": "10.213.0.50"}]}, "www A belongs to the health checker"),
    # Zones that cannot be served: refused here, not by the name server or
    # the records module once the hosts have changed.
    ({"dns_server_records": [{"name": "shop", "type": "CNAME", "value": "www"},
                             {"name": "shop", "type": "MX", "value": "10 mail"}]},
     "dns_server_records[0]: shop CNAME sits beside its MX record: a CNAME must be the only record of its name"),
    ({"dns_server_records": [{"name": "www", "type": "CNAME", "value": "shop"}]},
     "www CNAME sits beside the health checker's A records (the service name)"),
    ({"dns_server_records": [{"name": "dns2", "type": "CNAME", "value": "dns1"}]}, "dns2 CNAME sits beside its A record"),
    ({"dns_server_records": [{"name": "vip", "type": "A", "value": "10.213.0.200", "ttl": -60}]},
     "dns_server_records[0] (vip A): ttl -60 must be a whole number of seconds, 0 to 2147483647"),
    # A check that may outlast its interval.
    ({"dns_server_health_timeout": 2, "dns_server_health_interval": 1},
     'dns_server_health_timeout = "2": must be more than 0 seconds and at most dns_server_health_interval (1)'),
    # A placeholder that is valid base64: named, never printed.
    ({"dns_server_admin_key_secret": "changemechangemechangeme"},
     'dns_server_admin_key_secret = "(hidden)": still holds a placeholder'),
])
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
