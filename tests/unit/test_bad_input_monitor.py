"""A wrong farm monitor setting stops the first topology playbook before any
host changes, naming the variable: playbooks/inventory.yml, which every
topology playbook imports first, checks the monitor (check mode against
`local` hosts)."""
from __future__ import annotations

import pytest
from test_bad_input_web_farm import FIRST_CHANGES, run_wf

from toolkit.playbook import assert_stopped_before_changes

MONITOR = {"monitor": {"mon1": {"webfarm_address": "10.213.0.71"}}}
GOOD = {"farm_monitor_store_password": "m" * 20}


def run_mon(tmp_path, **overrides):
    groups = {"web_farm": {"web1": {"webfarm_address": "10.213.0.11"}, "web2": {"webfarm_address": "10.213.0.12"}},
              **MONITOR}
    return run_wf(tmp_path, groups=groups, **{**GOOD, **overrides})


def test_good_monitor_settings_pass_the_checks(tmp_path):
    out = run_mon(tmp_path)
    assert "Inventory | check the farm monitor's inputs" in out.stdout, out.stdout[-3000:]
    assert "Find the store's packages that are not installed yet" in out.stdout, out.stdout[-3000:]


@pytest.mark.parametrize("overrides, message", [
    ({"farm_monitor_interval": 0.4}, 'farm_monitor_interval = "0.4": must be 0.5 to 3600 seconds'),
    ({"farm_monitor_history": 0}, 'farm_monitor_history = "0": must be a positive integer'),
    ({"farm_monitor_history": "many"}, "farm_monitor_history"),
    ({"farm_monitor_topologies": ["web_farm", "cdn"]}, "farm_monitor_topologies"),
    ({"farm_monitor_skip_hosts": ["web9"]}, "farm_monitor_skip_hosts: 'web9' is not a host of a watched topology"),
    ({"farm_monitor_store_password": "short"}, 'farm_monitor_store_password = "(hidden, 5 characters)"'),
])
def test_bad_monitor_settings_stop_the_play_naming_the_variable(tmp_path, overrides, message):
    assert_stopped_before_changes(run_mon(tmp_path, **overrides), [message], FIRST_CHANGES)
