"""The cluster nodes' rows in the lab's status table: each node's cluster
state (online, what it runs), and a note with the VIP, the network name and
where the service runs."""
from __future__ import annotations

from lab import cluster
from lab.inventory import Host, Inventory
from lab.status import Role


def node_view(host: Host) -> tuple[bool, str]:
    view = cluster.state_of(host)
    if view is None:
        return False, "cluster: no answer (down, or Pacemaker not running)"
    if host.name not in view.online:
        return False, f"cluster: offline (seen from {view.seen_from})"
    groups = [g.removeprefix("webfarm-") for g in view.groups if host.name in view.group_nodes(g)]
    role = f"active: {', '.join(groups)}" if groups else "passive (hot spare)"
    quorum = "quorate" if view.quorate else "NO QUORUM"
    failed = f"; {len(view.failed_actions)} failed action(s)" if view.failed_actions else ""
    return view.quorate and not view.failed_actions, f"online, {quorum}, {role}{failed}"


ROLES = {"active_passive": Role("cluster node (Pacemaker)", lambda h: "-", node_view)}


def notes(inv: Inventory) -> list[str]:
    nodes = inv.hosts("active_passive")
    if not nodes:
        return []
    try:
        view = cluster.state(nodes)
    except RuntimeError:
        view = None
    dns = inv.hosts("rr_dns")[:1]
    zone = str(dns[0].var("dns_server_zone") or "webfarm.test") if dns else ""
    lines = []
    for svc in nodes[0].var("pacemaker_cluster_services") or []:
        vip = str(svc["vip"]).split("/")[0]
        where = view.group_complete_on(f"webfarm-{svc['name']}") if view else None
        name = f", name http://{svc['dns_name']}.{zone}/" if svc.get("dns_name") and dns else ""
        web = "nginx" in (svc.get("service"), (svc.get("agent") or {}).get("type"))
        vip6 = f" and [{svc['vip6']}]" if svc.get("vip6") else ""
        what = (f"http://{vip}/{' and http://[' + str(svc['vip6']) + ']/' if vip6 else ''}{name}" if web
                else f"{vip}{vip6} ({svc.get('service') or (svc.get('agent') or {}).get('type')})")
        lines.append(f"Cluster service {svc['name']}: {what} (runs on {where or 'nowhere complete'})")
    return lines
