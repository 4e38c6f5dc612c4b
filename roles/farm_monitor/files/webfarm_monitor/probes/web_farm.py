"""The web farm's panel: each node's health and content version, the content push."""
from __future__ import annotations

from typing import Any

from ..readings import Reading, http_get, row, ssh_reading


def web_node(node: dict[str, Any], timeout: float) -> Reading:
    try:
        status, body, took = http_get(node["address"], node["port"], node["health_path"], timeout)
    except OSError as e:
        return row("node", node["name"], state="down", detail=f"no answer ({e})")
    version = None
    if node.get("version_path"):
        try:
            vs, vbody, _ = http_get(node["address"], node["port"], node["version_path"], timeout)
            version = vbody.strip()[:16] if vs == 200 else None
        except OSError:
            version = None
    state = "up" if status == 200 else "degraded" if status == 503 else "down"
    said = body.strip().splitlines()[0][:80] if body.strip() else ""
    return row("node", node["name"], state=state, detail=f"{status} {said}".strip(), latency_ms=round(took * 1000, 1),
               extra={"version": version})



def content_reading(name: str, state: dict[str, Any]) -> Reading:
    """The content master's push from `webfarm-content-push --status`."""
    held = [h for h in state.get("holds") or [] if isinstance(h, dict)]
    if state.get("service") != "active":
        return row("content", name, state="down", detail=f"the content sync is {state.get('service', 'not running')}")
    if held:
        reasons: dict[str, list[str]] = {}
        for h in held:
            reasons.setdefault(str(h.get("reason", "?")), []).append(str(h.get("node", "?")))
        why = "; ".join(f"{', '.join(nodes)}: {reason}" for reason, nodes in reasons.items())
        return row("content", name, state="degraded", detail=f"push held to {len(held)} of "
                   f"{len(state.get('nodes') or [])} nodes ({why})"[:400], value="held",
                   extra={"holds": held}, since=min(float(h.get("since") or 0) for h in held) or None)
    return row("content", name, state="up", detail=f"pushing to {len(state.get('nodes') or [])} nodes", value="pushing")


def content_push(master: dict[str, Any], ssh: dict[str, Any], timeout: float) -> Reading:
    return ssh_reading("content", master["name"], ssh, master["address"], timeout, content_reading)
