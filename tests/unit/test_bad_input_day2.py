"""The day-2 playbooks refuse a request they cannot carry out before any
host changes, naming the variable (check mode against `local` hosts)."""
from __future__ import annotations

import pytest

from lab.playbook import assert_stopped_before_changes, check_on_local_hosts

WEB = {"web1": {"webfarm_address": "10.213.0.11"}, "web2": {"webfarm_address": "10.213.0.12"}}


@pytest.mark.parametrize("groups, variables", [
    ({"web_farm": WEB}, {}),
    ({"web_farm": WEB}, {"web_node_retire": "web9"}),
    ({"web_farm": {"web1": WEB["web1"]}}, {"web_node_retire": "web1"}),
])
def test_retiring_needs_one_of_several_web_nodes(tmp_path, groups, variables):
    out = check_on_local_hosts(tmp_path, "web_node_retire.yml", groups, variables)
    assert_stopped_before_changes(out, ["web_node_retire = ", "must name one host of the web_farm group"],
                                  ["drain it on every balancer", "make its health answer 503"])


def test_a_root_login_needs_the_explicit_acknowledgement(tmp_path):
    root = {"web1": {**WEB["web1"], "ansible_user": "root"}, "web2": WEB["web2"]}
    out = check_on_local_hosts(tmp_path, "web_farm.yml", {"web_farm": root})
    assert_stopped_before_changes(out, ['host web1: ansible_user = "root"', "webfarm_allow_root_login: true"],
                                  ["Install the web node packages", "Write the webfarm site"])
    allowed = check_on_local_hosts(tmp_path, "web_farm.yml", {"web_farm": root}, {"webfarm_allow_root_login": True})
    assert 'ansible_user = "root"' not in allowed.stdout, allowed.stdout[-3000:]
