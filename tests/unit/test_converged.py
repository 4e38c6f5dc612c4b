"""lab/converged.py: `make lab` skips its converge only when nothing a
converge reads changed and every host is as the last converge and checks
left it; any difference is named."""
from __future__ import annotations

import pytest

from lab import converged

HOST = {"container": "c1", "started": "2026-12-06T20:00:00Z", "units": "u1"}


def stamp(**hosts):
    return {"inputs": "d1", "hosts": hosts or {"web1": dict(HOST)}}


def test_a_lab_as_the_stamp_left_it_has_no_difference():
    assert converged.differences(stamp(), stamp()) == []


@pytest.mark.parametrize("now, says", [
    ({"inputs": "d2", "hosts": {"web1": HOST}}, "the repository's inputs or the environment changed"),
    (stamp(web1={**HOST, "started": "2026-12-06T21:00:00Z"}), "web1: its container was replaced or restarted"),
    (stamp(web1={**HOST, "container": "c2"}), "web1: its container was replaced or restarted"),
    (stamp(web1={**HOST, "newer": "/etc/nginx/nginx.conf"}), "web1: /etc/nginx/nginx.conf changed since"),
    (stamp(web1={**HOST, "units": "u2"}), "web1: its running services differ"),
    (stamp(web1={**HOST, "no-marker": ""}), "web1: no /run/webfarm-converged"),
    (stamp(web1=HOST, web2=HOST), "web2: new in the inventory"),
    (stamp(web1={"container": "missing", "started": ""}), "web1: its container was replaced or restarted"),
])
def test_each_difference_is_named(now, says):
    assert any(says in why for why in converged.differences(stamp(), now))


def test_without_a_stamp_the_lab_converges():
    assert converged.differences({}, stamp()) == ["no converge recorded"]


def test_the_digest_ignores_order_and_sees_content_and_environment():
    files = [("roles/a/tasks/main.yml", b"x"), ("playbooks/site.yml", b"y")]
    d = converged.digest(files, {})
    assert converged.digest(list(reversed(files)), {}) == d
    assert converged.digest([("roles/a/tasks/main.yml", b"x2"), files[1]], {}) != d
    assert converged.digest(files, {"WEBFARM_SUITE": "trixie"}) != d
    assert converged.digest(files, {"HOME": "/elsewhere"}) == d


@pytest.mark.parametrize("path, read", [
    ("roles/web_node/tasks/main.yml", True), ("inventories/lab/hosts.yml", True), ("ansible.cfg", True),
    ("lab/hosts.py", True), ("tests/nlb/test_nlb.py", False), ("docs/nlb.md", False), ("README.md", False),
    ("roles/web_node/README.md", False), ("bench/nlb.py", False),
])
def test_what_counts_as_an_input(path, read):
    assert converged.is_input(path) is read


def test_the_host_script_output_is_read():
    assert converged.parse_host_state("units abc\n") == {"units": "abc"}
    assert converged.parse_host_state("no-marker\n") == {"no-marker": ""}
