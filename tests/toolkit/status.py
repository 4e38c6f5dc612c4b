"""The lab's status table: host, role, address, URL, state.

    python -m toolkit.status [-i INVENTORY]

State is the container's, and for a host that serves HTTP, the answer of its
health endpoint probed from this machine (the lab's own network only). Exits
1 when any host is not up.
"""
from __future__ import annotations

import argparse
import http.client
import sys
from dataclasses import dataclass

from toolkit import hosts
from toolkit.inventory import Host, Inventory
from toolkit.report import table


@dataclass(frozen=True)
class Role:
    title: str
    scheme: str | None = None  # "http" when the host serves a site
    port_var: str = ""  # host variables (or role defaults) giving port and health path
    health_var: str = ""


# Inventory group -> what its hosts are. Later topologies add theirs.
ROLES = {
    "web_farm": Role("web node (nginx)", "http", "web_node_port", "web_node_health_path"),
    "clients": Role("client"),
}


def role_of(host: Host) -> Role:
    for group in host.groups:
        if group in ROLES:
            return ROLES[group]
    return Role(", ".join(host.groups) or "-")


def probe(address: str, port: int, path: str, timeout: float = 2.0) -> str:
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


def row(host: Host) -> tuple[list[str], bool]:
    role = role_of(host)
    container = hosts.state(host)
    url, state, up = "-", container, container == "running"
    if role.scheme:
        port = int(host.var(role.port_var))
        url = f"{role.scheme}://{host.address}" + ("" if port == 80 else f":{port}") + "/"
        if up:
            answer = probe(host.address, port, str(host.var(role.health_var)))
            up = answer.startswith("200")
            state = f"{'up' if up else 'DOWN'}: health {answer}"
    return [host.name, role.title, host.address, url, state], up


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="status of every host of a lab inventory")
    p.add_argument("-i", "--inventory", help="inventory (default: inventories/lab)")
    a = p.parse_args(argv)
    inv = Inventory.load(a.inventory)
    rows, all_up = [], True
    for host in inv.hosts():
        r, up = row(host)
        rows.append(r)
        all_up &= up
    print(table(["host", "role", "address", "URL", "state"], rows))
    client = next(iter(inv.names("clients")), None)
    if client:
        print(f"\nA shell on the client: docker exec -it {inv.host(client).container} bash")
    return 0 if all_up else 1


if __name__ == "__main__":
    sys.exit(main())
