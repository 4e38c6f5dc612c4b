"""What a collector saw of one row, the kinds of rows, and how sources are read."""
from __future__ import annotations

import base64
import http.client
import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STATES = ("up", "degraded", "down", "unknown")


@dataclass
class Reading:
    """What a collector saw of one row."""

    key: str  # unique across the page, e.g. "web_farm/web1"
    topology: str
    name: str
    kind: str  # node, balancer, backend, vip, certificate, acme, dns, cluster-node, group, store
    state: str
    detail: str = ""
    value: str | None = None  # a change of value is an event (VIP holder, records, where a group runs)
    latency_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    since: float | None = None  # when the source says the value last changed


# Each kind of row: its panel, its key and its name, from the parts that
# identify it (a web node's name; a balancer's and a server's; ...). Every
# row is made by row() below, so collectors and the rows promised before the
# first reading (expected_rows) share one key per row.
ROWS = {
    "node": ("web_farm", "web_farm/{0}", "{0}"),
    "content": ("web_farm", "web_farm/content/{0}", "content push from {0}"),
    "balancer": ("nlb", "nlb/{0}", "{0}"),
    "vip": ("nlb", "nlb/vip/{0}", "VIP {0}"),
    "certificate": ("nlb", "nlb/certificate/{0}", "certificate at {0}"),
    "acme": ("nlb", "nlb/acme/{0}", "ACME renewal on {0}"),
    "backend": ("nlb", "nlb/{0}/{1}", "{1} via {0}"),
    "dns": ("rr_dns", "rr_dns/{0}", "{0}"),
    "cluster-node": ("active_passive", "active_passive/node/{0}", "{0}"),
    "group": ("active_passive", "active_passive/group/{0}", "{0}"),
    "store": ("session_store", "session_store/{0}", "{0}"),
}


def row(kind: str, *parts: str, state: str = "unknown", detail: str = "", value: str | None = None,
        latency_ms: float | None = None, extra: dict[str, Any] | None = None, since: float | None = None) -> Reading:
    topology, key, name = ROWS[kind]
    return Reading(key.format(*parts), topology, name.format(*parts), kind, state, detail, value, latency_ms,
                   extra or {}, since)


def unknown(r: Reading, why: str) -> Reading:
    return Reading(r.key, r.topology, r.name, r.kind, "unknown", why, r.value, None, r.extra)


def http_get(address: str, port: int, path: str, timeout: float,
             auth: tuple[str, str] | None = None) -> tuple[int, str, float]:
    """(status, body, seconds); raises OSError when there is no answer."""
    conn = http.client.HTTPConnection(address, port, timeout=timeout)
    headers = {"Connection": "close", "User-Agent": "webfarm-monitor"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    t0 = time.monotonic()
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read(1_000_000).decode(errors="replace")
        return resp.status, body, time.monotonic() - t0
    except (OSError, http.client.HTTPException) as e:
        raise OSError(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__) from None
    finally:
        conn.close()



def ssh_run(ssh: dict[str, Any], address: str, timeout: float) -> str:
    """Log in with the monitor's key and return what the host's forced
    command printed (the key may run that one command only); OSError when
    it fails or says nothing."""
    argv = ["ssh", "-i", ssh["key"], "-o", "BatchMode=yes", "-o", f"ConnectTimeout={max(1, int(timeout))}",
            "-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2",
            "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={ssh['known_hosts']}",
            "-o", "ControlMaster=auto", "-o", f"ControlPath={ssh.get('control_dir', '/tmp')}/%r@%h",
            "-o", "ControlPersist=60", f"{ssh['user']}@{address}", "status"]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 3, check=False)
    except subprocess.TimeoutExpired:
        raise OSError(f"no answer within {timeout + 3:.0f} s") from None
    if out.returncode != 0:
        raise OSError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    return out.stdout


def ssh_reading(kind: str, name: str, ssh: dict[str, Any], address: str, timeout: float,
                read: Callable[[str, dict[str, Any]], Reading]) -> Reading:
    """The row of a host's state as its forced command prints it (a JSON
    object, over ssh_run), made by read(name, state); unknown when there is
    none to read."""
    try:
        state = json.loads(ssh_run(ssh, address, timeout))
        if not isinstance(state, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        return row(kind, name, detail=f"state unreadable: {e}"[:200])
    return read(name, state)
