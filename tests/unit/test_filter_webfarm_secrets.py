"""Placeholders left from the example inventory are told from secrets
(filter_plugins/webfarm_secrets.py)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.filter.webfarm_secrets import (
    FilterModule,
    webfarm_is_placeholder,
    webfarm_placeholders,
)


@pytest.mark.parametrize("value", [
    # inventories/production.example's, and the usual others.
    "CHANGE-ME", "changeme", "ChangeMe", "change_me", "Change me", "CHANGE-ME-CHANGE-ME", "changemechangemechangeme",
    "CHANGE-ME" * 15, "  CHANGE-ME\n", "REPLACE-ME", "replaceme", "REPLACE_WITH_A_PASSWORD", "Replace this", "TODO",
    "todo: generate", "TBD", "FIXME", "placeholder", "<your secret>", "<>", "xxxxxxxx", "change-this-password",
    # A key whose body is the example's.
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIChangeMeChangeMeChangeMeChangeMeChangeMe monitor",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nCHANGE-ME\n-----END OPENSSH PRIVATE KEY-----",
])
def test_placeholders_are_recognised(value):
    assert webfarm_is_placeholder(value)


@pytest.mark.parametrize("value", [
    "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2U=", "a-good-long-password", "k" * 128, "p" * 24,
    "Todoist-2024-Xq9!", "replacement-parts-77", "fix-me-not", "", "x", "xx", "<secret",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Q= monitor",
    1, None, True, 3.5,
])
def test_secrets_and_other_values_are_not(value):
    assert not webfarm_is_placeholder(value)


def test_the_names_of_secrets_holding_one_are_given_never_their_values():
    names = webfarm_placeholders({
        "pacemaker_cluster_hacluster_password": "a-good-long-password",
        "pacemaker_cluster_corosync_authkey": "CHANGE-ME" * 15,
        "pacemaker_cluster_fence_devices[].params": [
            {"name": "todo", "params": {"ip": "192.0.2.41", "password": "CHANGE-ME", "lanplus": 1}},
            {"name": "node2", "params": {"password": "real"}}, "not a mapping", {"name": "x"}],
        "lb_haproxy_stats_readers[].password": [{"user": "mon", "password": "ok-password-1"},
                                                {"user": "TODO", "password": "TODO"}],
        "session_store_monitor_password": "",
        "dns_server_delegated_names[].key_secret": "not a list",
    })
    # Only the fields named: a device called "todo" or a user "TODO" is no secret.
    assert names == ["pacemaker_cluster_corosync_authkey", "pacemaker_cluster_fence_devices[0].params.password",
                     "lb_haproxy_stats_readers[1].password"]
    assert webfarm_placeholders({"x": {"a": ["ok", "CHANGE-ME"]}}) == ["x.a[1]"]
    assert webfarm_placeholders({"session_store_password": "a-good-long-store-password", "empty": []}) == []
    with pytest.raises(AnsibleFilterError, match="expects a mapping"):
        webfarm_placeholders(["CHANGE-ME"])
    assert FilterModule().filters()["webfarm_placeholders"] is webfarm_placeholders
