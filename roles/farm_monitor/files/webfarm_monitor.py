"""webfarm farm monitor: one page showing every server of the farm (HTTPMon).

A WSGI application (run by gunicorn, role farm_monitor). Collector threads
read every source each ``interval`` seconds and keep the last state of every
row plus a bounded history of changes (``history`` events):

- web nodes: the health answer and its latency, the content version the
  node publishes; the content master's push (``webfarm-content-push
  --status`` over SSH, a key that may run nothing else): running, or held
  and why;
- balancers: HAProxy's stats (CSV, a read-only stats user): every backend
  server as each balancer sees it; who answers at each VIP;
- DNS: the A records each name server publishes for the service names;
- the active/passive cluster: ``crm_mon`` XML over SSH (a key that may run
  nothing else): node states, where each resource group runs and since when;
- the session store: Redis INFO with a user that may run INFO and PING only.

Each row is up, degraded or down; a source the monitor cannot read (or a
reading older than three intervals plus twice the timeout: 8 s at the
defaults) is "unknown", never "up"; so is every row on a page that cannot
reach the monitor.

    GET /            the page (updates itself)
    GET /api/state   the same state as JSON
    GET /health      200 while the collectors run

With ``page_users`` in the configuration ([{user, password}]), the page and
/api/state want one of those logins (HTTP basic auth; the page is read-only
but maps the farm); /health stays open.

``python3 webfarm_monitor.py --check-config FILE`` checks a configuration
and exits non-zero naming what is wrong.
"""
from __future__ import annotations

import base64
import csv
import hmac
import http.client
import io
import json
import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

CONFIG_ENV = "WEBFARM_MONITOR_CONFIG"
DEFAULT_CONFIG = "/etc/webfarm/monitor.json"
STATES = ("up", "degraded", "down", "unknown")


class ConfigError(ValueError):
    """A configuration value is missing or wrong; the message names it."""


def load_config(path: str) -> dict[str, Any]:
    """Read and check the JSON configuration."""
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        raise ConfigError(f"{path}: cannot read a JSON object: {e}") from None
    return check_config(cfg)


def check_config(cfg: Any) -> dict[str, Any]:
    if not isinstance(cfg, dict):
        raise ConfigError("expected a JSON object")
    interval = cfg.get("interval")
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 0.5:
        raise ConfigError(f"interval {interval!r}: must be 0.5 seconds or more")
    timeout = cfg.get("timeout")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 10:
        raise ConfigError(f"timeout {timeout!r}: must be more than 0 and at most 10 seconds")
    history = cfg.get("history")
    if isinstance(history, bool) or not isinstance(history, int) or history < 1:
        raise ConfigError(f"history {history!r}: must be a positive integer")
    targets = cfg.get("targets")
    if not isinstance(targets, dict):
        raise ConfigError("targets: must be a mapping of topology to its sources")
    # The page's panels, in order, with their titles (the project's
    # registry, topologies.yml, through the role): one per target.
    panels = cfg.get("panels")
    if not isinstance(panels, list) or any(not isinstance(p, dict) or not p.get("name") or not p.get("title")
                                           for p in panels):
        raise ConfigError("panels: must be a list of {name, title}, in page order")
    unknown = sorted(set(targets) - {p["name"] for p in panels})
    if unknown:
        raise ConfigError(f"targets: unknown topology {', '.join(unknown)} "
                          f"(the panels: {', '.join(p['name'] for p in panels)})")
    users = cfg.get("page_users", [])
    if not isinstance(users, list) or any(
            not isinstance(u, dict) or not u.get("user") or ":" in str(u["user"]) or not u.get("password")
            for u in users):
        raise ConfigError("page_users: must be a list of {user, password} (a user without ':')")
    if "active_passive" in targets or (targets.get("web_farm") or {}).get("content"):
        ssh = cfg.get("ssh") or {}
        for key in ("user", "key", "known_hosts"):
            if not ssh.get(key):
                raise ConfigError(f"ssh.{key}: the cluster's status and the content push are read over SSH and need it")
    return cfg


# --- readings -----------------------------------------------------------

@dataclass
class Reading:
    """What a collector saw of one row."""

    key: str  # unique across the page, e.g. "web_farm/web1"
    topology: str
    name: str
    kind: str  # node, balancer, backend, vip, dns, cluster-node, group, store
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
    "backend": ("nlb", "nlb/{0}/{1}", "{1} via {0}"),
    "dns": ("rr_dns", "rr_dns/{0}", "{0}"),
    "cluster-node": ("active_passive", "active_passive/node/{0}", "{0}"),
    "group": ("active_passive", "active_passive/group/{0}", "{0}"),
    "store": ("sessions", "sessions/{0}", "{0}"),
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
    try:
        state = json.loads(ssh_run(ssh, master["address"], timeout))
        if not isinstance(state, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        return row("content", master["name"], detail=f"state unreadable: {e}"[:200])
    return content_reading(master["name"], state)


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
    for row in rows:
        if row.get("svname") in wanted:
            view[row["svname"]][row["pxname"]] = row.get("status", "")
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


def dns_server(server: dict[str, Any], names: list[str], timeout: float) -> Reading:
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    records: dict[str, list[str]] = {}
    took = 0.0
    try:
        for name in names:
            t0 = time.monotonic()
            answer = dns.query.udp(dns.message.make_query(name, "A"), server["address"], timeout=timeout,
                                   port=int(server.get("port", 53)))
            took = max(took, time.monotonic() - t0)
            if answer.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                raise OSError(f"{name}: {dns.rcode.to_text(answer.rcode())}")
            records[name] = sorted({rd.address for rrset in answer.answer if rrset.rdtype == dns.rdatatype.A
                                    for rd in rrset}, key=lambda a: tuple(int(p) for p in a.split(".")))
    except (OSError, dns.exception.DNSException) as e:
        return row("dns", server["name"], state="down", detail=f"no answer ({type(e).__name__}: {e})")
    detail = "; ".join(f"{n.split('.')[0]}: {' '.join(a) or 'none'}" for n, a in records.items())
    empty = [n for n, a in records.items() if not a]
    return row("dns", server["name"], state="degraded" if empty else "up", detail=detail,
               value=json.dumps(records, sort_keys=True), latency_ms=round(took * 1000, 1), extra={"records": records})


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


def store(s: dict[str, Any], auth: tuple[str, str], timeout: float) -> Reading:
    import redis

    client = redis.Redis(host=s["address"], port=s["port"], username=auth[0], password=auth[1], socket_timeout=timeout,
                         socket_connect_timeout=timeout, retry_on_timeout=False)
    t0 = time.monotonic()
    try:
        client.ping()
        info = client.info("persistence") | client.info("replication")
    except (redis.AuthenticationError, redis.exceptions.NoPermissionError, redis.ResponseError) as e:
        return row("store", s["name"], detail=f"refused the monitor: {e}")
    except redis.RedisError as e:
        return row("store", s["name"], state="down", detail=f"no answer ({type(e).__name__})")
    finally:
        client.close()
    return store_reading(s["name"], info, time.monotonic() - t0)


def store_reading(name: str, info: dict[str, Any], took: float) -> Reading:
    aof = info.get("aof_enabled") in (1, "1")
    failing = [k for k in ("aof_last_write_status", "rdb_last_bgsave_status") if info.get(k) not in (None, "ok")]
    persistence = ("append-only file" if aof else "snapshots only") + \
        (f", {', '.join(failing)} failing" if failing else "")
    return row("store", name, state="degraded" if failing else "up", detail=f"{info.get('role', '?')}, {persistence}",
               latency_ms=round(took * 1000, 1), extra={"role": info.get("role"), "aof": aof})


# --- the farm's state ---------------------------------------------------

@dataclass
class Row:
    reading: Reading
    since: float
    checked: float
    # The last value (VIP holder, records, where a group runs) seen while it
    # had one: a move is told against it even with a down reading between.
    last_value: str | None = None


class Farm:
    """The last reading of every row, when it last changed, and the events."""

    def __init__(self, history: int, stale_after: float, clock: Callable[[], float] = time.time) -> None:
        self.rows: dict[str, Row] = {}
        self.events: deque[dict[str, Any]] = deque(maxlen=history)
        self.stale_after = stale_after
        self.clock = clock
        self.lock = threading.Lock()
        self.started = clock()

    def update(self, readings: Iterable[Reading]) -> None:
        now = self.clock()
        with self.lock:
            for r in readings:
                old = self.rows.get(r.key)
                if old is None:
                    self.rows[r.key] = Row(r, r.since or now, now, r.value)
                    continue
                moved = r.value is not None and old.last_value is not None and old.last_value != r.value
                changed = old.reading.state != r.state or moved
                if changed:
                    self.events.appendleft({"t": now, "topology": r.topology, "subject": r.name, "state": r.state,
                                            "text": describe(old.reading, r, old.last_value)})
                since = (r.since or now) if changed else old.since
                self.rows[r.key] = Row(r, since, now, r.value if r.value is not None else old.last_value)

    def snapshot(self, panels_shown: list[dict[str, Any]]) -> dict[str, Any]:
        """The page's state: one panel for each of panels_shown ({name, title}, in order)."""
        now = self.clock()
        with self.lock:
            rows = list(self.rows.values())
            events = list(self.events)
        panels = []
        for panel in panels_shown:
            topology = panel["name"]
            items = []
            for row in rows:
                r = row.reading
                if r.topology != topology:
                    continue
                d = asdict(r)
                d.pop("since")
                if now - row.checked > self.stale_after:
                    d["state"], d["detail"] = "unknown", f"no reading for {now - row.checked:.0f} s"
                d["since"], d["checked"] = row.since, row.checked
                items.append(d)
            items.sort(key=_order)
            panels.append({"id": topology, "title": panel["title"], "rows": items,
                           "links": [{"title": f"{r['name']} stats", "url": r["extra"]["stats_url"]}
                                     for r in items if r["extra"].get("stats_url")]})
        counts = {s: sum(1 for p in panels for r in p["rows"] if r["state"] == s) for s in STATES}
        return {"generated": now, "started": self.started, "panels": panels, "events": events, "counts": counts}


def _order(item: dict[str, Any]) -> tuple[int, str]:
    """Page order: by kind of row (ROWS), then key."""
    kinds = list(ROWS)
    return (kinds.index(item["kind"]) if item["kind"] in kinds else 99, item["key"])


def describe(old: Reading, new: Reading, last_value: str | None = None) -> str:
    """The event's words; last_value is what the row pointed at before."""
    was = last_value if last_value is not None else old.value
    if new.kind == "vip" and new.value and was and new.value != was:
        return f"{new.name} moved {was} -> {new.value}"
    if new.kind == "group" and new.value and was and new.value != was:
        return f"{new.name} failed over {was} -> {new.value}"
    if new.kind == "dns" and new.value and was and new.value != was:
        before, after = json.loads(was), json.loads(new.value)
        changes = []
        for name in after:
            gone = sorted(set(before.get(name, [])) - set(after[name]))
            back = sorted(set(after[name]) - set(before.get(name, [])))
            changes += [f"{name}: withdrew {' '.join(gone)}"] if gone else []
            changes += [f"{name}: published {' '.join(back)}"] if back else []
        return f"{new.name} " + "; ".join(changes or ["records changed"])
    return f"{new.name} {old.state} -> {new.state}" + (f" ({new.detail})" if new.detail else "")


# --- collectors ---------------------------------------------------------

def collectors(cfg: dict[str, Any]) -> list[Callable[[], list[Reading]]]:
    """One function per source, each run in a thread of its own."""
    t = float(cfg["timeout"])
    targets = cfg["targets"]
    jobs: list[Callable[[], list[Reading]]] = []
    for node in targets.get("web_farm", {}).get("nodes", []):
        jobs.append(lambda node=node: [web_node(node, t)])
    for master in targets.get("web_farm", {}).get("content", []):
        jobs.append(lambda master=master: [content_push(master, cfg["ssh"], t)])
    nlb = targets.get("nlb")
    if nlb:
        servers = [n["name"] for n in targets.get("web_farm", {}).get("nodes", [])] or list(nlb.get("servers", []))
        auth = (cfg["stats"]["user"], cfg["stats"]["password"])
        for lb in nlb["balancers"]:
            jobs.append(lambda lb=lb: balancer(lb, servers, auth, t))
        if nlb.get("balancer_path"):
            for address in nlb["vips"]:
                jobs.append(lambda a=address: [vip(a, nlb["port"], nlb["balancer_path"], t)])
    dns = targets.get("rr_dns")
    if dns:
        for server in dns["servers"]:
            jobs.append(lambda s=server: [dns_server(s, dns["names"], t)])
    if targets.get("active_passive"):
        jobs.append(lambda: cluster(targets["active_passive"], cfg["ssh"], t))
    auth_store = (cfg.get("store", {}).get("user", ""), cfg.get("store", {}).get("password", ""))
    for s in targets.get("sessions", {}).get("stores", []):
        jobs.append(lambda s=s: [store(s, auth_store, t)])
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
    rows += [row("dns", d["name"]) for d in (t.get("rr_dns") or {}).get("servers", [])]
    rows += [row("cluster-node", n["name"]) for n in ap.get("nodes", [])] + [row("group", g) for g in ap.get("groups", [])]
    rows += [row("store", s["name"]) for s in (t.get("sessions") or {}).get("stores", [])]
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


# --- the web side -------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>webfarm monitor</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 16px;display:flex;flex-wrap:wrap;gap:12px;align-items:baseline}
header h1{font-size:18px;margin:0}
#counts span{margin-right:10px}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:12px;padding:12px}
section{background:#fff;border-radius:6px;box-shadow:0 1px 2px rgba(0,0,0,.15);padding:8px 12px;overflow-x:auto}
h2{font-size:15px;margin:4px 0 8px}
table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;color:#555;font-size:12px}
.state{font-weight:700;text-transform:uppercase;font-size:12px;border-radius:3px;padding:1px 6px;color:#fff}
.up{background:#2e7d32}.degraded{background:#ef8f00}.down{background:#c62828}.unknown{background:#757575}
.muted{color:#777;font-size:12px}
#events{grid-column:1/-1}
a{color:#1565c0}
</style></head>
<body><header><h1>webfarm monitor</h1><div id="counts"></div><div class="muted" id="updated">loading...</div></header>
<main id="panels"></main>
<script>
const INTERVAL = __INTERVAL__;
const ENTITIES={'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'};
function esc(s){return String(s===null||s===undefined?'':s).replace(/[&<>"]/g,c=>ENTITIES[c]);}
function when(t){return t?new Date(t*1000).toLocaleTimeString():'-';}
function render(s){
  document.getElementById('counts').innerHTML=['up','degraded','down','unknown']
    .map(k=>`<span><span class="state ${k}">${k}</span> ${s.counts[k]}</span>`).join('');
  document.getElementById('updated').textContent='updated '+when(s.generated);
  let html='';
  for(const p of s.panels){
    html+=`<section id="panel-${p.id}" data-topology="${p.id}"><h2>${esc(p.title)}</h2>`+
      '<table><tr><th>name</th><th>state</th><th>detail</th><th>since</th></tr>';
    for(const r of p.rows){
      const extra=r.extra&&r.extra.version?` <span class="muted">content ${esc(r.extra.version)}</span>`:'';
      const lat=r.latency_ms!==null&&r.latency_ms!==undefined?` <span class="muted">${r.latency_ms} ms</span>`:'';
      html+=`<tr class="row" data-key="${esc(r.key)}" data-name="${esc(r.name)}" data-state="${r.state}">`+
        `<td>${esc(r.name)}</td><td><span class="state ${r.state}">${r.state}</span></td>`+
        `<td>${esc(r.detail)}${lat}${extra}</td><td class="muted">${when(r.since)}</td></tr>`;
    }
    html+='</table>';
    if(p.links.length){
      html+='<p class="muted">'+p.links.map(l=>`<a href="${esc(l.url)}">${esc(l.title)}</a>`).join(' &middot; ')+'</p>';
    }
    html+='</section>';
  }
  html+='<section id="events"><h2>Recent events</h2><table>';
  for(const e of s.events.slice(0,30)){
    html+=`<tr class="event"><td class="muted">${when(e.t)}</td>`+
      `<td><span class="state ${e.state}">${e.state}</span></td><td>${esc(e.text)}</td></tr>`;
  }
  if(!s.events.length){
    html+='<tr><td class="muted">no change since the monitor started at '+when(s.started)+'</td></tr>';
  }
  html+='</table></section>';
  document.getElementById('panels').innerHTML=html;
}
// The monitor unreachable (or slow): what the page last knew is no longer
// known; every row shows unknown, never a stale "up".
function unknownAll(s){
  const panels=s.panels.map(p=>({...p,rows:p.rows.map(r=>({...r,state:'unknown'}))}));
  const n=panels.reduce((a,p)=>a+p.rows.length,0);
  return {...s,panels:panels,counts:{up:0,degraded:0,down:0,unknown:n}};
}
let last=null;
async function tick(){
  const ctl=new AbortController();
  const timer=setTimeout(()=>ctl.abort(),INTERVAL*2000+1000);
  try{
    const r=await fetch('api/state',{cache:'no-store',signal:ctl.signal});
    if(!r.ok){throw new Error('HTTP '+r.status);}
    last=await r.json();
    render(last);
  }catch(e){
    if(last){render(unknownAll(last));}
    document.getElementById('updated').textContent='monitor unreachable ('+e+'): every row unknown';
  }finally{
    clearTimeout(timer);
    setTimeout(tick,INTERVAL*1000);
  }
}
tick();
</script></body></html>
"""


class Monitor:
    def __init__(self, cfg: dict[str, Any], start: bool = True) -> None:
        self.cfg = cfg
        interval = float(cfg["interval"])
        self.farm = Farm(int(cfg["history"]), stale_after=3 * interval + 2 * float(cfg["timeout"]) + 3)
        self.page = PAGE.replace("__INTERVAL__", json.dumps(interval)).encode()
        self.farm.update(expected_rows(cfg))
        self.threads = []
        if start:
            for job in collectors(cfg):
                th = threading.Thread(target=run_forever, args=(job, self.farm, interval), daemon=True)
                th.start()
                self.threads.append(th)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "/")
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _answer(start_response, "405 Method Not Allowed", b"GET only\n", "text/plain")
        if path != "/health" and not logged_in(environ.get("HTTP_AUTHORIZATION", ""), self.cfg.get("page_users", [])):
            body = b"login needed\n"
            start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("Content-Length", str(len(body))),
                                                ("WWW-Authenticate", 'Basic realm="webfarm monitor"'),
                                                ("Cache-Control", "no-store")])
            return [body]
        if path == "/":
            return _answer(start_response, "200 OK", self.page, "text/html; charset=utf-8")
        if path == "/api/state":
            body = json.dumps(self.farm.snapshot(self.cfg["panels"])).encode()
            return _answer(start_response, "200 OK", body, "application/json")
        if path == "/health":
            alive = all(t.is_alive() for t in self.threads)
            return _answer(start_response, "200 OK" if alive else "503 Service Unavailable",
                           b"ok\n" if alive else b"a collector stopped\n", "text/plain")
        return _answer(start_response, "404 Not Found", b"not found\n", "text/plain")


def logged_in(header: str, users: list[dict[str, str]]) -> bool:
    """True without page users, or when the Authorization header carries one
    of their logins (compared in constant time)."""
    if not users:
        return True
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    found = False
    for u in users:
        found |= hmac.compare_digest(f"{u['user']}:{u['password']}".encode(), f"{user}:{password}".encode())
    return found


def _answer(start_response: Callable[..., Any], status: str, body: bytes, ctype: str) -> list[bytes]:
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
    return [body]


_app: Monitor | None = None
_app_lock = threading.Lock()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """gunicorn's entry point: the monitor is built (and its collectors
    started) once, in the worker, on its first request or at import below."""
    global _app
    with _app_lock:
        if _app is None:
            _app = Monitor(load_config(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG)))
    return _app(environ, start_response)


if __name__ != "__main__" and os.environ.get(CONFIG_ENV):
    # Under gunicorn: the worker builds the monitor as it imports the app, so
    # the collectors run before the first visitor.
    _app = Monitor(load_config(os.environ[CONFIG_ENV]))


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "--check-config":
        try:
            load_config(argv[2])
        except ConfigError as e:
            print(f"webfarm-monitor: {e}", file=sys.stderr)
            return 1
        return 0
    print(f"usage: {argv[0]} --check-config FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
