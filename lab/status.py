"""The lab's status table: host, role, address (both families where it has two), URL, state.

    python -m lab.status [-i INVENTORY]

State is the container's; for a host the farm monitor watches, the
monitor's row for it (one source for what a host's state is: the table and
the page agree); for another host whose topology registers a probe
(tests/<topology>/status.py), what the probe saw from this machine (the
lab's own network only). Exits 1 when any host is not up.
"""
from __future__ import annotations

import argparse
import http.client
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lab import hosts, monitor, registry
from lab.inventory import Host, Inventory
from lab.report import table


@dataclass(frozen=True)
class Role:
    """What the hosts of one inventory group are, and how to look at them."""

    title: str
    url: Callable[[Host], str] | None = None  # where a person looks
    probe: Callable[[Host], tuple[bool, str]] | None = None  # (up, what it said)


def probe_http(address: str, port: int, path: str, timeout: float = 2.0) -> str:
    conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        body = resp.read(200).decode(errors="replace").strip()
        return f"{resp.status} {body}".strip()
    except OSError as exc:
        return f"no answer ({type(exc).__name__})"
    finally:
        conn.close()


def http_role(title: str, port_var: str, health_var: str) -> Role:
    """A group serving HTTP: its URL, and up when its health path answers 200."""
    def url(host: Host) -> str:
        return host.url(port_var)

    def probe(host: Host) -> tuple[bool, str]:
        answer = probe_http(host.address, int(host.var(port_var)), str(host.var(health_var)))
        return answer.startswith("200"), f"health {answer}"

    return Role(title, url, probe)


def _status_modules() -> list[Any]:
    """tests/<topology>/status.py of each topology whose registry entry says
    `status: true`, imported by name (tests.<topology>.status)."""
    return [importlib.import_module(f"tests.{t['name']}.status") for t in registry.topologies() if t["status"]]


def topology_roles() -> dict[str, Role]:
    """Inventory group -> Role: the clients, plus what each topology declares
    in tests/<topology>/status.py (a ROLES mapping)."""
    roles = {"clients": Role("client")}
    for module in _status_modules():
        roles.update(module.ROLES)
    return roles


def topology_notes(inv: Inventory) -> list[str]:
    """Lines a topology adds under the table (its status.py's notes(inventory)):
    where to look beyond the hosts, such as virtual IPs."""
    return [line for module in _status_modules() if hasattr(module, "notes") for line in module.notes(inv)]


def role_of(host: Host, roles: dict[str, Role]) -> Role:
    for group in host.groups:
        if group in roles:
            return roles[group]
    return Role(", ".join(host.groups) or "-")


def row(host: Host, roles: dict[str, Role], snap: dict[str, Any] | None = None) -> tuple[list[str], bool]:
    """A host's line; with the monitor's state `snap`, its row there decides."""
    role = role_of(host, roles)
    container = hosts.state(host)
    url, state, up = (role.url(host) if role.url else "-"), container, container == "running"
    seen = monitor.host_row(snap, host.name) if snap else None
    if seen:
        up = seen["state"] == "up"
        extra = seen.get("extra", {}).get("version")
        state = f"{seen['state'] if up else seen['state'].upper()}: {seen['detail']}" + (f"; content {extra}" if extra else "")
    elif role.probe and up:
        up, said = role.probe(host)
        state = f"{'up' if up else 'DOWN'}: {said}"
    address = f"{host.address} {host.address6}" if host.address6 else host.address
    return [host.name, role.title, address, url, state], up


def monitor_state(inv: Inventory) -> tuple[dict[str, Any] | None, str | None]:
    """The monitor's state and its URL (None, None without a monitor;
    None, URL when it does not answer)."""
    mon = monitor.of(inv)
    if mon is None:
        return None, None
    try:
        return monitor.state(mon), monitor.url(mon)
    except (OSError, ValueError):
        return None, monitor.url(mon)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="status of every host of a lab inventory")
    p.add_argument("-i", "--inventory", help="inventory (default: inventories/lab)")
    a = p.parse_args(argv)
    inv = Inventory.load(a.inventory)
    roles = topology_roles()
    snap, mon_url = monitor_state(inv)
    if mon_url:
        print(f"Farm monitor: {mon_url}" + ("" if snap else " (NOT answering: the table falls back to its own probes)"))
        print()
    rows, all_up = [], True
    for host in inv.hosts():
        r, up = row(host, roles, snap)
        rows.append(r)
        all_up &= up
    print(table(["host", "role", "address", "URL", "state"], rows))
    notes = topology_notes(inv)
    if notes:
        print()
        print("\n".join(notes))
    client = next(iter(inv.names("clients")), None)
    if client:
        print(f"\nA shell on the client: docker exec -it {inv.host(client).container} bash")
    return 0 if all_up else 1


if __name__ == "__main__":
    sys.exit(main())
