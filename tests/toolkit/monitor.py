"""The farm monitor as the tests, the status table and the drills see it:
its JSON state, read over HTTP from this machine (the lab's network only).

    mon = monitor.of(inventory)          # the monitor group's host, or None
    snap = monitor.state(mon)            # GET /api/state
    monitor.host_row(snap, "web2")       # that host's row: {"state": "up", ...}
    monitor.wait_state(mon, "web2", "down", timeout=5)

One source for what a host's state is: the status table shows the
monitor's row for every host the monitor watches.
"""
from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from toolkit.inventory import Host, Inventory

# The row of an inventory host in each panel, by its key (see the app's
# Reading.key): web nodes, balancers, name servers, cluster nodes.
HOST_KEYS = ("web_farm/{}", "nlb/{}", "rr_dns/{}", "active_passive/node/{}")


def of(inventory: Inventory) -> Host | None:
    found = inventory.hosts("monitor")
    return found[0] if found else None


def url(host: Host, path: str = "/") -> str:
    port = str(host.var("farm_monitor_listen") or "0.0.0.0:8080").rsplit(":", 1)[1]
    return f"http://{host.address}:{port}{path}"


def state(host: Host, timeout: float = 3.0) -> dict[str, Any]:
    with urllib.request.urlopen(url(host, "/api/state"), timeout=timeout) as resp:  # noqa: S310 - a lab URL
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
