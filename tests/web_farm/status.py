"""The web farm's rows in the lab's status table (lab/status.py): each
web node's health and content version, the content master's version and
queue, the session store; notes with the app's URL and where the store runs."""
from __future__ import annotations

from lab import cluster, content, hosts, loadgen, sessions
from lab.inventory import Host, Inventory
from lab.status import Role, http_role

_web = http_role("web node (nginx)", "web_node_port", "web_node_health_path")


def web_view(host: Host) -> tuple[bool, str]:
    up, said = _web.probe(host) if _web.probe else (False, "")
    return up, f"{said}; content {content.version(host) or 'missing'}"


def master_view(host: Host) -> tuple[bool, str]:
    active = hosts.run(host, "systemctl", "is-active", "webfarm-content-sync", check=False).stdout.strip()
    status = hosts.run(host, "cat", "/run/webfarm-content-sync/status", check=False).stdout
    queued = sum(int(line.split()[2]) for line in status.splitlines() if line.startswith("There are "))
    return active == "active", f"lsyncd {active}, {queued} change(s) queued; content {content.version(host) or 'missing'}"


def store_view(host: Host) -> tuple[bool, str]:
    rec = loadgen.request(sessions.store_url(host, sessions.store_login(host)), timeout=2.0)
    return rec["outcome"] == "ok", f"redis {rec['answer'] or rec['error'] or rec['outcome']}"


ROLES = {
    "web_farm": Role(_web.title, _web.url, web_view),
    "content_sync": Role("content master (lsyncd)", lambda h: "-", master_view),
    "session_store": Role("session store (Redis)", sessions.store_url, store_view),
}


def notes(inv: Inventory) -> list[str]:
    lines = []
    for master in inv.hosts("content_sync"):
        lines.append(f"Content master {master.name}: edit {content.root_of(master)} there; "
                     f"every web node gets it within a second (docker exec -it {master.container} bash)")
    web = inv.hosts("web_farm")
    if web:
        backend = "redis (shared)" if inv.hosts("session_store") else "memory (per node)"
        lines.append(f"Session app: {sessions.spread_urls(inv)[0]} (sessions in {backend}; curl -c jar -b jar to keep one)")
    stores = inv.hosts("session_store")
    if stores:
        store = stores[0]
        where = store.name
        if "active_passive" in store.groups:
            try:
                view = cluster.state(inv.hosts("active_passive"))
                where = view.group_complete_on("webfarm-store") or "nowhere complete"
            except RuntimeError:
                where = "unknown (cluster not answering)"
        lines.append(f"Session store: {sessions.store_url(store)} (runs on {where})")
    return lines
