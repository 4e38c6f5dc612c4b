"""roles/pacemaker_cluster/files/webfarm-service.ocf, the OCF agent that runs
a `service:` unit: its answers to Pacemaker for each state systemd reports,
its refusals, and its meta-data. The real agent runs under a recording
systemctl on PATH here; against real systemd and Pacemaker it runs in the
active_passive scenario and its drills (nginx and Redis killed, crashes)."""
from __future__ import annotations

import os
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

AGENT = Path(__file__).resolve().parents[2] / "roles/pacemaker_cluster/files/webfarm-service.ocf"
SUCCESS, GENERIC, UNIMPLEMENTED, CONFIGURED, NOT_RUNNING = 0, 1, 3, 6, 7

# systemctl as the agent uses it: `show` prints the state in STATE; `start`
# makes it STARTS_TO (or fails with START_RC); `stop` makes it inactive.
SYSTEMCTL = """#!/bin/sh
echo "$*" >> "$LOG"
case "$1" in
  show) cat "$STATE" ;;
  start) [ "${START_RC:-0}" = 0 ] || exit "$START_RC"; echo "${STARTS_TO:-active}" > "$STATE" ;;
  stop) echo "${STOPS_TO:-inactive}" > "$STATE" ;;
  list-jobs) [ -z "$JOB" ] || echo "42 $4 $JOB running" ;;
esac
"""


@pytest.fixture
def agent(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"
    fake.write_text(SYSTEMCTL)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    state, log = tmp_path / "state", tmp_path / "log"
    log.write_text("")

    def run(action, now="inactive", unit="nginx", **env):
        state.write_text(now + "\n")
        full = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "STATE": str(state), "LOG": str(log),
                "OCF_RESKEY_unit": unit, **env}
        done = subprocess.run(["sh", str(AGENT), action], env=full, capture_output=True, text=True, timeout=10)
        calls = log.read_text().splitlines()
        log.write_text("")
        return done.returncode, state.read_text().strip(), calls, done.stderr
    return run


@pytest.mark.parametrize("now, rc", [("active", SUCCESS), ("reloading", SUCCESS), ("failed", NOT_RUNNING),
                                     ("inactive", NOT_RUNNING), ("activating", NOT_RUNNING), ("", NOT_RUNNING)])
def test_monitor_says_running_only_for_an_active_unit(agent, now, rc):
    assert agent("monitor", now)[0] == rc


@pytest.mark.parametrize("now, job, rc", [("deactivating", "restart", SUCCESS), ("inactive", "start", SUCCESS),
                                          ("activating", "start", SUCCESS), ("deactivating", "stop", NOT_RUNNING),
                                          ("failed", "", NOT_RUNNING)])
def test_a_restart_systemd_is_doing_is_not_a_failure(agent, now, job, rc):
    """A changed configuration's handler restarts Redis under the cluster
    (systemctl try-restart): the monitor must not see it as a death, or
    Pacemaker recovers it at the same moment, the restart job is cancelled
    and a failure is counted (seen in make lab, issue 23)."""
    assert agent("monitor", now, JOB=job)[0] == rc


def test_start_does_not_take_a_pending_start_for_a_running_unit(agent):
    rc, state, calls, _ = agent("start", "inactive", JOB="start")
    assert (rc, state) == (SUCCESS, "active") and any(c.startswith("start") for c in calls), calls


def test_start_clears_a_killed_units_start_limit_then_starts_it(agent):
    rc, state, calls, _ = agent("start", "failed")
    assert (rc, state) == (SUCCESS, "active")
    assert calls.index("reset-failed nginx") < calls.index("start nginx")


def test_start_of_a_running_unit_touches_nothing(agent):
    rc, _, calls, _ = agent("start", "active")
    assert rc == SUCCESS and not [c for c in calls if not c.startswith("show")]


@pytest.mark.parametrize("env", [{"START_RC": "1"}, {"STARTS_TO": "failed"}], ids=["start fails", "dies at once"])
def test_a_start_that_does_not_leave_it_active_is_an_error_said_in_the_log(agent, env):
    rc, _, _, stderr = agent("start", "inactive", **env)
    assert rc == GENERIC and "webfarm-service[nginx]" in stderr


@pytest.mark.parametrize("now", ["active", "failed", "inactive"])
def test_stop_succeeds_once_the_unit_is_down(agent, now):
    rc, state, calls, _ = agent("stop", now)
    assert (rc, state) == (SUCCESS, "inactive") and "stop nginx" in calls


def test_a_unit_that_will_not_stop_fails_the_stop(agent):
    rc, _, _, stderr = agent("stop", "active", STOPS_TO="deactivating")
    assert rc == GENERIC and "still deactivating" in stderr


@pytest.mark.parametrize("unit", ["", "nginx; reboot", "a b"])
def test_a_bad_unit_is_refused_before_systemctl_runs(agent, unit):
    rc, _, calls, stderr = agent("start", "inactive", unit=unit)
    assert rc == CONFIGURED and calls == [] and "is not a systemd unit name" in stderr


def test_an_unknown_action_is_unimplemented(agent):
    assert agent("promote")[0] == UNIMPLEMENTED


def test_meta_data_is_well_formed_and_names_its_one_parameter(agent):
    out = subprocess.run(["sh", str(AGENT), "meta-data"], capture_output=True, text=True, check=True).stdout
    root = ET.fromstring(out)
    assert root.get("name") == "service"
    assert [p.get("name") for p in root.iter("parameter")] == ["unit"]
    assert {a.get("name") for a in root.iter("action")} >= {"start", "stop", "monitor", "meta-data", "validate-all"}
