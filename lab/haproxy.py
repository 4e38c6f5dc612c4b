"""HAProxy's runtime API on a lab balancer, through its Unix socket.

    command(lb, "show stat")                 -> the answer's text
    server_states(lb)                         -> {("www", "web1"): "UP", ...}
    set_server(lb, "www", "web1", "drain")    -> state ready|drain|maint

Runs python3 inside the balancer's container (no socat needed).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from lab import hosts, vip
from lab.drill import wait_for
from lab.inventory import Host

_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\\n")
out = b""
while chunk := s.recv(65536):
    out += chunk
sys.stdout.write(out.decode())
"""


def command(host: Host, cmd: str) -> str:
    socket = str(host.var("lb_haproxy_runtime_socket"))
    out = hosts.run(host, "python3", "-c", _CLIENT, socket, cmd, check=False, timeout=15)
    if out.returncode != 0:
        raise RuntimeError(f"no answer from {socket} on {host.name}: {out.stderr.strip()[-200:]}")
    return out.stdout


def server_states(host: Host) -> dict[tuple[str, str], str]:
    """(backend, server) -> status as `show stat` says it (UP, DOWN, MAINT, DRAIN, UP 1/2...)."""
    text = command(host, "show stat").lstrip("# ")
    return {(row["pxname"], row["svname"]): row["status"] for row in csv.DictReader(io.StringIO(text))
            if row.get("svname") not in (None, "FRONTEND", "BACKEND")}


def set_server(host: Host, backend: str, server: str, state: str) -> None:
    out = command(host, f"set server {backend}/{server} state {state}")
    if out.strip():
        raise RuntimeError(f"set server {backend}/{server} state {state} on {host.name}: {out.strip()}")


def restore_farm(balancers: Sequence[Host], members: Sequence[Host], timeout: float = 30) -> None:
    """Put a balanced farm back as a drill found it: every host up (started,
    reconnected, rejoined), HAProxy running and sure of every node, and
    each VIP on its master (VIP i on balancer i)."""
    for host in [*balancers, *members]:
        hosts.restore(host)
    for lb in balancers:
        hosts.run(lb, "pkill", "-CONT", "-x", "haproxy", check=False)
        hosts.run(lb, "systemctl", "start", "haproxy", check=False)
    names = {m.name for m in members}
    wait_for(lambda: all(state == "UP" for lb in balancers for (_, server), state in server_states(lb).items()
                         if server in names), timeout=timeout)
    for i, address in enumerate(vip.declared(balancers[0])):
        master = balancers[i % len(balancers)].name
        wait_for(lambda a=address, m=master: vip.holders(balancers, a) == [m], timeout=timeout)
