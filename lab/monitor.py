"""The farm monitor as the tests, the status table and the drills see it:
its JSON state, read over HTTP from this machine (the lab's network only).

    mon = monitor.of(inventory)          # the monitor group's host, or None
    snap = monitor.state(mon)            # GET /api/state
    monitor.host_row(snap, "web2")       # that host's row: {"state": "up", ...}
    monitor.wait_state(mon, "web2", "down", timeout=5)
    monitor.wait_row(mon, "web_farm/content/content1", "degraded", "has no marker", timeout=5)
    monitor.balancer_rows(inventory, mon, "web2")   # ["web2 via lb1", "web2 via lb2"]
    monitor.rows_not_showing(read, names, "down", timeout=10)  # {} or {row: what it shows}

One source for what a host's state is: the status table shows the
monitor's row for every host the monitor watches.
"""
from __future__ import annotations

import base64
import json
import time
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from lab import hosts, registry
from lab.inventory import Host, Inventory

# The row of an inventory host in each panel, by its key (see the app's
# Reading.key): the registry's host_key of each panel that has one.
HOST_KEYS = tuple(registry.host_keys())


def of(inventory: Inventory) -> Host | None:
    found = inventory.hosts("monitor")
    return found[0] if found else None


def url(host: Host, path: str = "/") -> str:
    """The page's URL: farm_monitor_listen's address and port (the role's
    rule: empty means the host's own address, port 8080)."""
    listen = str(host.var("farm_monitor_listen") or f"{host.address}:8080")
    address, port = listen.rsplit(":", 1)
    return f"http://{host.address if address in ('', '0.0.0.0') else address}:{port}{path}"


_LOGINS: dict[str, tuple[str, str] | None] = {}


def login(host: Host) -> tuple[str, str] | None:
    """A page login as the monitor's host has it (the inventory may hold a
    lookup or a vaulted value the tests cannot evaluate); None when the page
    wants none."""
    if host.name not in _LOGINS:
        out = hosts.run(host, "cat", "/etc/webfarm/monitor/monitor.json", check=False)
        users = (json.loads(out.stdout).get("page_users") if out.returncode == 0 else None) or []
        _LOGINS[host.name] = (users[0]["user"], users[0]["password"]) if users else None
    return _LOGINS[host.name]


def authorization(host: Host) -> dict[str, str]:
    """The Authorization header for the page, or none."""
    creds = login(host)
    if not creds:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()}


def state(host: Host, timeout: float = 3.0) -> dict[str, Any]:
    request = urllib.request.Request(url(host, "/api/state"), headers=authorization(host))
    with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - a lab URL
        return json.load(resp)


def rows(snap: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every row of the page by its key."""
    return {r["key"]: r for panel in snap["panels"] for r in panel["rows"]}


def host_row(snap: dict[str, Any], name: str) -> dict[str, Any] | None:
    by_key = rows(snap)
    return next((by_key[k.format(name)] for k in HOST_KEYS if k.format(name) in by_key), None)


def wait_state(host: Host, name: str, want: str, timeout: float, interval: float = 0.1) -> float:
    """Seconds until the monitor shows host `name` in state `want` (bounded)."""
    t0 = time.monotonic()
    while True:
        try:
            row = host_row(state(host), name)
        except OSError:
            row = None
        if row and row["state"] == want:
            return time.monotonic() - t0
        if time.monotonic() - t0 >= timeout:
            raise TimeoutError(f"the monitor did not show {name} {want} within {timeout} s (last: {row})")
        time.sleep(interval)


def wait_row(host: Host, key: str, want: str, text: str = "", timeout: float = 10, interval: float = 0.2) -> dict[str, Any]:
    """The row `key` once it is in state `want` with `text` in its detail
    (bounded: TimeoutError with the last row seen)."""
    deadline = time.monotonic() + timeout
    row = None
    while True:
        try:
            row = rows(state(host)).get(key)
        except OSError:
            row = None
        if row and row["state"] == want and text in row["detail"]:
            return row
        if time.monotonic() >= deadline:
            raise TimeoutError(f"the monitor did not show {key} {want} ({text!r}) within {timeout} s (last: {row})")
        time.sleep(interval)


def balancer_rows(inventory: Inventory, monitor: Host, node: str) -> list[str]:
    """The names of a web node's rows in the balancers' panel, one per
    balancer ("web2 via lb1"), as the monitor draws them: when it watches
    both web_farm and nlb (farm_monitor_topologies; empty: every topology the
    inventory has) and neither host is skipped (farm_monitor_skip_hosts)."""
    skip = set(monitor.var("farm_monitor_skip_hosts") or [])
    topologies = monitor.var("farm_monitor_topologies") or [g for g in ("web_farm", "nlb") if inventory.names(g)]
    if not {"web_farm", "nlb"} <= set(topologies) or node in skip or node not in inventory.names("web_farm"):
        return []
    return [f"{node} via {lb}" for lb in inventory.names("nlb") if lb not in skip]


def rows_not_showing(read: Callable[[], dict[str, str]], names: Sequence[str], want: str, timeout: float,
                     interval: float = 0.2) -> dict[str, str]:
    """Poll read() (row name -> state, as the page or the JSON shows them)
    until every named row shows `want`; then return {}. After timeout
    seconds, return the rows that do not: name -> what they show ("missing"
    for a row that is not there). Bounded; never raises for a late row."""
    t0 = time.monotonic()
    while True:
        shown = read()
        wrong = {n: shown.get(n, "missing") for n in names if shown.get(n) != want}
        if not wrong or time.monotonic() - t0 >= timeout:
            return wrong
        time.sleep(interval)
