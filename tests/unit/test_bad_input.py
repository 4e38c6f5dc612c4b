"""A wrong inventory stops the web_farm playbook before any host changes,
with a message that names the variable.

The plays run in check mode against two `local` hosts: the checks under
test come before any task that could change a host, and check mode keeps
the machine running the tests unchanged even if they did not.
"""
from __future__ import annotations

import subprocess

import pytest

from lab.playbook import assert_stopped_before_changes, check_on_local_hosts


def run_web_farm(tmp_path, web1: dict, web2: dict) -> subprocess.CompletedProcess[str]:
    return check_on_local_hosts(tmp_path, "web_farm.yml", {"web_farm": {"web1": web1, "web2": web2}})


def assert_stopped(out: subprocess.CompletedProcess[str], message: str) -> None:
    assert_stopped_before_changes(out, [message], ("Install the web node packages", "Write the webfarm site"))


def test_duplicate_addresses_stop_the_play(tmp_path):
    out = run_web_farm(tmp_path, {"webfarm_address": "10.213.0.11"}, {"webfarm_address": "10.213.0.11"})
    assert_stopped(out, "host 'web1' and host 'web2' both claim the address 10.213.0.11: each address needs one owner; "
                        "give each host its own webfarm_address")


def test_invalid_address_stops_the_play(tmp_path):
    out = run_web_farm(tmp_path, {"webfarm_address": "10.213.0.11"}, {"webfarm_address": "10.213.0.300"})
    assert_stopped(out, "host 'web2': webfarm_address '10.213.0.300' is not a valid IPv4 address")


@pytest.mark.parametrize("var, value, message", [
    ("web_node_port", 70000, 'web_node_port = "70000": must be a TCP port, 1-65535'),
    ("web_node_header", "X Served By", 'web_node_header = "X Served By": takes letters, digits and \'-\' only'),
    ("web_node_port", "http", "argument 'web_node_port' is of type str and we were unable to convert to int"),
    ("web_node_name", "web 2", 'web_node_name = "web 2": takes letters, digits'),
    ("web_node_maintenance", "sometimes", "web_node_maintenance"),
])
def test_bad_role_input_is_named(tmp_path, var, value, message):
    out = run_web_farm(tmp_path, {"webfarm_address": "10.213.0.11"}, {"webfarm_address": "10.213.0.12", var: value})
    assert_stopped(out, message)


def test_a_virtual_ip_on_a_host_address_stops_the_play(tmp_path):
    out = run_web_farm(tmp_path, {"webfarm_address": "10.213.0.11"},
                       {"webfarm_address": "10.213.0.12", "demo_vips": ["10.213.0.11"]})
    assert_stopped(out, "host 'web1' and demo_vips both claim the address 10.213.0.11: each address needs one owner; "
                        "give host 'web1' another webfarm_address, or demo_vips another address")


def test_every_bad_value_is_named_at_once(tmp_path):
    out = run_web_farm(tmp_path, {"webfarm_address": "10.213.0.11"},
                       {"webfarm_address": "10.213.0.12", "web_node_header": "X Y", "web_node_health_path": "health"})
    assert_stopped(out, 'web_node_header = "X Y": takes letters')
    assert 'web_node_health_path = "health": must start with /' in out.stdout + out.stderr


def test_a_package_spec_that_is_not_a_plain_name_is_refused(tmp_path):
    out = run_web_farm(tmp_path, {"webfarm_address": "10.213.0.11"},
                       {"webfarm_address": "10.213.0.12", "web_node_packages": ["nginx=1.22"]})
    assert_stopped(out, "web_node_packages")
    assert "must list Debian package names" in out.stdout + out.stderr
