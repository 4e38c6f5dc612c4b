"""The threads that read every source each interval, and the rows promised before the first reading."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from .farm import Farm
from .probes.active_passive import cluster
from .probes.nlb import acme, balancer, certificate, vip
from .probes.rr_dns import dns_server
from .probes.session_store import store
from .probes.web_farm import content_push, web_node
from .readings import Reading, row

# Rows that change twice a day at most, each read costly (a TLS handshake
# per VIP, an SSH login per balancer): read every certificate_interval.
SLOW_KINDS = ("certificate", "acme")


def intervals(cfg: dict[str, Any]) -> dict[str, float]:
    """Seconds between two readings: "" for every source, and per slow kind."""
    fast = float(cfg["interval"])
    slow = max(fast, float(cfg.get("certificate_interval", fast)))
    return {"": fast, **{kind: slow for kind in SLOW_KINDS}}


def stale_after(cfg: dict[str, Any]) -> dict[str, float]:
    """How old a row's reading may be before the page says unknown: three
    intervals and two timeouts, and 3 s to spare; per kind as intervals()."""
    return {kind: 3 * every + 2 * float(cfg["timeout"]) + 3 for kind, every in intervals(cfg).items()}


def scheduled(cfg: dict[str, Any]) -> list[tuple[Callable[[], list[Reading]], float]]:
    """Each collector, and the seconds between its runs."""
    every = intervals(cfg)
    return [(job, every.get(kind, every[""])) for kind, job in collectors(cfg)]


def collectors(cfg: dict[str, Any]) -> list[tuple[str, Callable[[], list[Reading]]]]:
    """One function per source, each run in a thread of its own, with the
    kind of row it reads where that sets its pace ("" otherwise)."""
    t = float(cfg["timeout"])
    targets = cfg["targets"]
    jobs: list[tuple[str, Callable[[], list[Reading]]]] = []
    for node in targets.get("web_farm", {}).get("nodes", []):
        jobs.append(("", lambda node=node: [web_node(node, t)]))
    for master in targets.get("web_farm", {}).get("content", []):
        jobs.append(("", lambda master=master: [content_push(master, cfg["ssh"], t)]))
    nlb = targets.get("nlb")
    if nlb:
        servers = [n["name"] for n in targets.get("web_farm", {}).get("nodes", [])] or list(nlb.get("servers", []))
        auth = (cfg["stats"]["user"], cfg["stats"]["password"])
        for lb in nlb["balancers"]:
            jobs.append(("", lambda lb=lb: balancer(lb, servers, auth, t)))
        if nlb.get("balancer_path"):
            for address in nlb["vips"]:
                jobs.append(("", lambda a=address: [vip(a, nlb["port"], nlb["balancer_path"], t)]))
        tls = nlb.get("tls") or {}
        if tls:
            margin = float(cfg.get("certificate_margin", 14 * 86400))
            for address in nlb["vips"]:
                jobs.append(("certificate",
                             lambda a=address: [certificate(a, int(tls["port"]), str(tls.get("name", "")), margin, t)]))
        if nlb.get("acme"):
            for lb in nlb["balancers"]:
                jobs.append(("acme", lambda lb=lb: [acme(lb, cfg["ssh"], t)]))
    dns = targets.get("rr_dns")
    if dns:
        for server in dns["servers"]:
            jobs.append(("", lambda s=server: [dns_server(s, dns["names"], t)]))
    if targets.get("active_passive"):
        jobs.append(("", lambda: cluster(targets["active_passive"], cfg["ssh"], t)))
    auth_store = (cfg.get("store", {}).get("user", ""), cfg.get("store", {}).get("password", ""))
    for s in targets.get("session_store", {}).get("stores", []):
        jobs.append(("", lambda s=s: [store(s, auth_store, t)]))
    return jobs


def expected_rows(cfg: dict[str, Any]) -> list[Reading]:
    """Every row the configuration promises, unknown until its collector
    reads it: a collector that never manages a reading still shows."""
    t = cfg["targets"]
    nlb = t.get("nlb") or {}
    ap = t.get("active_passive") or {}
    servers = [n["name"] for n in t.get("web_farm", {}).get("nodes", [])]
    rows = [row("node", n) for n in servers] + [row("content", m["name"]) for m in t.get("web_farm", {}).get("content", [])]
    for lb in nlb.get("balancers", []):
        rows += [row("balancer", lb["name"])] + [row("backend", lb["name"], s) for s in servers]
    rows += [row("vip", a) for a in nlb.get("vips", []) if nlb.get("balancer_path")]
    rows += [row("certificate", a) for a in nlb.get("vips", []) if nlb.get("tls")]
    rows += [row("acme", lb["name"]) for lb in nlb.get("balancers", []) if nlb.get("acme")]
    rows += [row("dns", d["name"]) for d in (t.get("rr_dns") or {}).get("servers", [])]
    rows += [row("cluster-node", n["name"]) for n in ap.get("nodes", [])] + [row("group", g) for g in ap.get("groups", [])]
    rows += [row("store", s["name"]) for s in (t.get("session_store") or {}).get("stores", [])]
    for r in rows:
        r.detail = "not read yet"
    return rows


def run_forever(job: Callable[[], list[Reading]], farm: Farm, interval: float) -> None:
    while True:
        t0 = time.monotonic()
        try:
            farm.update(job())
        except Exception as e:  # noqa: BLE001 - a collector's bug must not stop the others; its rows go unknown
            print(f"webfarm-monitor: collector failed: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        time.sleep(max(0.05, interval - (time.monotonic() - t0)))
