"""lab/monitor.py without a lab: which balancer rows the page must show
for a web node, and the bounded wait that reports the rows that do not show
what they should (tests/monitor/test_drill_monitor.py fails on them)."""
from __future__ import annotations

import itertools
from typing import Any

from lab import monitor as mon


class FakeInventory:
    def __init__(self, groups: dict[str, list[str]]) -> None:
        self.groups = groups

    def names(self, group: str = "all") -> list[str]:
        return list(self.groups.get(group, []))


class FakeMonitor:
    def __init__(self, **hostvars: Any) -> None:
        self.hostvars = hostvars

    def var(self, key: str, default: Any = None) -> Any:
        return self.hostvars.get(key, default)


LAB = FakeInventory({"web_farm": ["web1", "web2", "web3"], "nlb": ["lb1", "lb2"], "monitor": ["mon1"]})


def test_a_web_node_has_one_row_per_balancer():
    assert mon.balancer_rows(LAB, FakeMonitor(), "web3") == ["web3 via lb1", "web3 via lb2"]
    assert mon.balancer_rows(LAB, FakeMonitor(farm_monitor_topologies=["web_farm", "nlb"]), "web1") == \
        ["web1 via lb1", "web1 via lb2"]


def test_no_balancer_rows_without_balancers_or_when_the_monitor_does_not_watch_them():
    assert mon.balancer_rows(FakeInventory({"web_farm": ["web1"]}), FakeMonitor(), "web1") == []
    assert mon.balancer_rows(LAB, FakeMonitor(farm_monitor_topologies=["web_farm", "rr_dns"]), "web1") == []
    assert mon.balancer_rows(LAB, FakeMonitor(farm_monitor_topologies=["nlb"]), "web1") == []
    assert mon.balancer_rows(LAB, FakeMonitor(farm_monitor_skip_hosts=["lb2"]), "web1") == ["web1 via lb1"]
    assert mon.balancer_rows(LAB, FakeMonitor(farm_monitor_skip_hosts=["web1"]), "web1") == []
    assert mon.balancer_rows(LAB, FakeMonitor(), "lb1") == []


def pages(*states: dict[str, str]):
    """A page that shows these states one reading after another, then the last for good."""
    seq = itertools.chain(states, itertools.repeat(states[-1]))
    return lambda: next(seq)


def test_rows_that_turn_down_in_time_pass():
    read = pages({"web3 via lb1": "up", "web3 via lb2": "up"}, {"web3 via lb1": "down", "web3 via lb2": "up"},
                 {"web3 via lb1": "down", "web3 via lb2": "down"})
    assert mon.rows_not_showing(read, ["web3 via lb1", "web3 via lb2"], "down", timeout=5, interval=0.001) == {}


def test_a_row_that_stays_up_or_is_missing_is_reported_with_what_the_page_shows():
    # The drill used to wait for these and swallow the timeout: it passed.
    read = pages({"web3 via lb1": "down", "web3 via lb2": "up"})
    assert mon.rows_not_showing(read, ["web3 via lb1", "web3 via lb2"], "down", timeout=0.05, interval=0.001) == \
        {"web3 via lb2": "up"}
    # It used to take the rows from the page itself: none on the page, none waited for.
    assert mon.rows_not_showing(pages({"web3": "down"}), ["web3 via lb1"], "down", timeout=0.05, interval=0.001) == \
        {"web3 via lb1": "missing"}
