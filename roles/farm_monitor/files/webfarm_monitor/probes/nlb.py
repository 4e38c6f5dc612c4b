"""The balancers' panel: HAProxy's stats as each balancer sees its servers, who answers at each VIP."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from ..readings import Reading, http_get, row, unknown


def parse_stats_csv(text: str) -> list[dict[str, str]]:
    """HAProxy's `;csv` stats: one dict per line (pxname, svname, status, ...)."""
    lines = text.lstrip().splitlines()
    if not lines or not lines[0].startswith("# pxname"):
        raise ValueError("not HAProxy stats CSV")
    lines[0] = lines[0][2:]
    return [dict(row) for row in csv.DictReader(io.StringIO("\n".join(lines)))]


def backend_view(rows: Iterable[dict[str, str]], servers: Iterable[str]) -> dict[str, dict[str, str]]:
    """server -> {backend: status} for the named servers (HAProxy's status
    column: UP, DOWN, MAINT, UP 1/2 going down, ...)."""
    wanted = set(servers)
    view: dict[str, dict[str, str]] = {s: {} for s in wanted}
    for line in rows:
        if line.get("svname") in wanted:
            view[line["svname"]][line["pxname"]] = line.get("status", "")
    return view


def server_state(statuses: dict[str, str]) -> tuple[str, str]:
    """One server across a balancer's backends: up when UP in all, down when in none."""
    if not statuses:
        return "unknown", "in no backend"
    up = [b for b, s in statuses.items() if s.startswith("UP") or s == "no check"]
    maint = [b for b, s in statuses.items() if s.startswith("MAINT") or s.startswith("DRAIN")]
    n = len(statuses)
    detail = (f"UP in all {n} backends" if len(up) == n else f"DOWN in all {n} backends" if not up and not maint
              else f"UP in {len(up)}/{n} backends") + (f", {len(maint)} in maintenance" if maint else "")
    return ("up" if len(up) == n else "down" if not up and not maint else "degraded"), detail


def balancer(lb: dict[str, Any], servers: list[str], auth: tuple[str, str], timeout: float) -> list[Reading]:
    backends = [row("backend", lb["name"], s) for s in servers]
    try:
        status, body, took = http_get(lb["address"], lb["stats_port"], "/stats;csv", timeout, auth)
        if status in (401, 403):
            return [row("balancer", lb["name"], detail=f"stats refused the monitor ({status})")] + \
                [unknown(b, f"{lb['name']}'s stats refused the monitor") for b in backends]
        if status != 200:
            raise OSError(f"stats answered {status}")
        view = backend_view(parse_stats_csv(body), servers)
    except (OSError, ValueError) as e:
        return [row("balancer", lb["name"], state="down", detail=f"stats: {e}")] + \
            [unknown(b, f"{lb['name']}'s stats unreadable") for b in backends]
    out = []
    for s, b in zip(servers, backends, strict=True):
        state, detail = server_state(view[s])
        b.state, b.detail, b.extra = state, detail, {"backends": view[s]}
        out.append(b)
    fine = sum(1 for b in out if b.state == "up")
    return [row("balancer", lb["name"], state="up", detail=f"{fine}/{len(out)} nodes UP in every backend",
                latency_ms=round(took * 1000, 1),
                extra={"stats_url": f"http://{lb['address']}:{lb['stats_port']}/stats"})] + out


def vip(address: str, port: int, path: str, timeout: float) -> Reading:
    try:
        status, body, took = http_get(address, port, path, timeout)
    except OSError as e:
        return row("vip", address, state="down", detail=f"no answer ({e})")
    holder = body.strip()[:40] if status == 200 else None
    if not holder:
        return row("vip", address, state="degraded", detail=f"answered {status} without its holder")
    return row("vip", address, state="up", detail=f"held by {holder}", value=holder, latency_ms=round(took * 1000, 1))
