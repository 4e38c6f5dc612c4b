"""lab/realtime.py: which cgroup a container's budget goes to, and how far
Docker's parent group must be raised for it."""
from __future__ import annotations

import pytest

from lab.realtime import MAX_US, cpu_cgroup, parent_budget

V1 = """12:pids:/docker/abc
4:cpu,cpuacct:/docker/abc
1:name=systemd:/docker/abc/init.scope
0::/docker/abc/init.scope
"""


def test_the_cpu_controller_path_under_cgroup_v1():
    assert cpu_cgroup(V1) == "/docker/abc"


def test_a_separate_cpu_mount_is_found_too():
    assert cpu_cgroup("2:cpuacct:/x\n1:cpu:/docker/def\n") == "/docker/def"


def test_cgroup_v2_has_no_budget_to_set():
    assert cpu_cgroup("0::/system.slice/docker-abc.scope\n") is None


def test_a_cpuset_line_is_not_the_cpu_controller():
    assert cpu_cgroup("3:cpuset:/docker/abc\n0::/\n") is None


def test_a_line_that_is_not_proc_cgroup_is_refused():
    with pytest.raises(ValueError, match="not a /proc/PID/cgroup line"):
        cpu_cgroup("docker/abc\n")


def test_the_parent_is_raised_to_what_its_children_need():
    assert parent_budget(0, [], 100000) == 100000
    assert parent_budget(100000, [100000], 100000) == 200000


def test_a_parent_with_enough_is_left_alone():
    assert parent_budget(500000, [100000], 100000) is None


@pytest.mark.parametrize("want", [0, -1, MAX_US + 1])
def test_a_budget_outside_a_second_is_refused(want):
    with pytest.raises(ValueError, match="webfarm_lab_realtime_us"):
        parent_budget(0, [], want)


def test_more_than_the_machine_gives_is_refused():
    with pytest.raises(ValueError, match="more than the machine's"):
        parent_budget(0, [900000], 100000)
