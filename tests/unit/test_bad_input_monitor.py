"""A wrong farm monitor setting stops the first topology playbook before any
host changes, naming the variable: playbooks/preflight.yml, which every
topology playbook imports first, checks the monitor (check mode against
`local` hosts)."""
from __future__ import annotations

import pytest
from bad_input_cases import bad_inputs
from test_bad_input_web_farm import FIRST_CHANGES, STORE_PACKAGES, run_wf

from lab.playbook import assert_stopped_before_changes

MONITOR = {"monitor": {"mon1": {"webfarm_address": "10.213.0.71"}}}
# The monitor reads the content master's push over SSH: it needs its key.
GOOD = {"farm_monitor_store_password": "m" * 20,
        "farm_monitor_ssh_private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
        "farm_monitor_ssh_public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Q= monitor"}


def run_mon(tmp_path, until=None, **overrides):
    groups = {"web_farm": {"web1": {"webfarm_address": "10.213.0.11"}, "web2": {"webfarm_address": "10.213.0.12"}},
              **MONITOR}
    return run_wf(tmp_path, groups=groups, until=until, **{**GOOD, **overrides})


def test_good_monitor_settings_pass_the_checks(tmp_path):
    out = run_mon(tmp_path, until=STORE_PACKAGES)
    assert "Farm monitor | check the farm monitor's inputs" in out.stdout, out.stdout[-3000:]
    assert STORE_PACKAGES in out.stdout, out.stdout[-3000:]


@pytest.mark.parametrize("overrides, message", bad_inputs("monitor"))
def test_bad_monitor_settings_stop_the_play_naming_the_variable(tmp_path, overrides, message):
    out = run_mon(tmp_path, **overrides)
    assert_stopped_before_changes(out, [message], FIRST_CHANGES, hidden=["CHANGE-ME-CHANGE-ME"])
