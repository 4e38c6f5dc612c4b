"""The cluster's panel: crm_mon's XML over SSH, node states and where each group runs."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from ..readings import Reading, row, ssh_run, unknown

_TIME_FORMATS = ("%a %b %d %H:%M:%S %Y", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%SZ", "%Y-%m-%d %H:%M:%S")


def parse_time(text: str) -> float | None:
    """A time as crm_mon prints it (local time, or with a zone), as epoch seconds."""
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).timestamp()
        except ValueError:
            continue
    return None


def parse_crm_mon(xml_text: str, groups: list[str]) -> tuple[bool, list[Reading]]:
    """crm_mon --output-as=xml -> (has quorum, node and group readings)."""
    root = ET.fromstring(xml_text)
    if root.tag != "pacemaker-result" or root.find("nodes") is None:
        raise ValueError("not crm_mon XML")
    dc = root.find("summary/current_dc")
    quorate = dc is not None and dc.get("with_quorum") == "true"
    out = []
    for n in root.iterfind("nodes/node"):
        name = n.get("name", "?")
        flags = {k: n.get(k) == "true" for k in ("online", "standby", "maintenance", "pending", "unclean", "shutdown")}
        if flags["unclean"] or not flags["online"]:
            state, detail = "down", "unclean (to be fenced)" if flags["unclean"] else "offline"
        elif flags["standby"] or flags["maintenance"] or flags["pending"] or flags["shutdown"]:
            state, detail = "degraded", ", ".join(k for k in ("standby", "maintenance", "pending", "shutdown") if flags[k])
        else:
            state, detail = "up", "online" + (", DC" if n.get("is_dc") == "true" else "")
        out.append(row("cluster-node", name, state=state, detail=detail))
    starts: dict[tuple[str, str], float] = {}
    for node in root.iterfind("node_history/node"):
        for rh in node.iterfind("resource_history"):
            for op in rh.iterfind("operation_history"):
                t = parse_time(op.get("last-rc-change", "")) if op.get("task") == "start" and op.get("rc") == "0" else None
                if t is not None:
                    starts[(node.get("name", ""), rh.get("id", ""))] = t
    for gid in groups:
        g = next((x for x in root.iterfind("resources/group") if x.get("id") == gid), None)
        if g is None:
            out.append(row("group", gid, state="down", detail="not configured"))
            continue
        members = g.findall("resource")
        where = {m.get("id", ""): [x.get("name", "") for x in m.findall("node")] for m in members}
        started = [m for m in members if m.get("role") == "Started" and m.get("active") == "true" and m.get("failed") != "true"]
        nodes = sorted({n for ns in where.values() for n in ns})
        if len(started) == len(members) and len(nodes) == 1:
            first = members[0].get("id", "")
            out.append(row("group", gid, state="up", detail=f"runs on {nodes[0]}", value=nodes[0],
                           since=starts.get((nodes[0], first))))
        elif started:
            out.append(row("group", gid, state="degraded",
                           detail=f"{len(started)}/{len(members)} resources started on {', '.join(nodes) or '-'}",
                           value=",".join(nodes) or None))
        else:
            out.append(row("group", gid, state="down", detail="stopped"))
    # Each node's line says which groups it runs.
    runs: dict[str, list[str]] = {}
    for r in out:
        if r.kind == "group" and r.value:
            for node in r.value.split(","):
                runs.setdefault(node, []).append(r.name)
    for r in out:
        if r.kind == "cluster-node" and r.state != "down":
            r.detail += f"; runs {', '.join(runs[r.name])}" if r.name in runs else "; spare"
    return quorate, out


def cluster(cfg: dict[str, Any], ssh: dict[str, Any], timeout: float) -> list[Reading]:
    """Ask every node's crm_mon; trust a view with quorum first."""
    groups = list(cfg.get("groups", []))
    expected = [row("cluster-node", n["name"]) for n in cfg["nodes"]] + [row("group", g) for g in groups]

    def ask(n: dict[str, Any]) -> tuple[bool, str, list[Reading]] | str:
        try:
            quorate, readings = parse_crm_mon(ssh_run(ssh, n["address"], timeout), groups)
            return quorate, n["name"], readings
        except (OSError, ValueError, ET.ParseError) as e:
            return f"{n['name']}: {e}"

    # Every node at once: one that hangs delays nobody.
    with ThreadPoolExecutor(max_workers=max(1, len(cfg["nodes"]))) as pool:
        answers = list(pool.map(ask, cfg["nodes"]))
    return merge_views([a for a in answers if not isinstance(a, str)], [a for a in answers if isinstance(a, str)],
                       expected)


def merge_views(views: list[tuple[bool, str, list[Reading]]], errors: list[str],
                expected: list[Reading]) -> list[Reading]:
    """The cluster's rows from the nodes' answers: a view with quorum first;
    none at all makes every row unknown."""
    if not views:
        return [unknown(r, "no node's crm_mon readable: " + "; ".join(errors)[:200]) for r in expected]
    quorate, seen_from, readings = sorted(views, key=lambda v: not v[0])[0]
    by_key = {r.key: r for r in readings}
    out = []
    for r in expected:
        got = by_key.get(r.key, unknown(r, f"not in {seen_from}'s view"))
        got.extra["seen_from"] = seen_from
        if not quorate and got.state == "up":
            # A node without quorum may not know the truth: never "up" on its word.
            got.state, got.detail = "degraded", f"{got.detail} (seen from {seen_from}, which has no quorum)"
        out.append(got)
    return out
