"""webfarm monitor filter: what the farm monitor watches, read from the inventory.

    webfarm_monitor_targets(groups, hostvars, topologies, skip, defaults)
      -> {"web_farm": {"nodes": [...], "content": [...]}, "nlb": {"balancers": [...], ...}, ...}

    webfarm_monitor_panels(names)
      -> [{"name": "web_farm", "title": "Web farm", "host_key": "web_farm/{}"}, ...]

One panel per inventory group the monitor watches (``topologies``, an empty
list meaning every panel the inventory has hosts for). The panels, their
order and titles are the registry's (topologies.yml). ``skip`` names hosts left off the
page (a node being retired). ``defaults`` are the roles' own defaults
(``web_node_port`` and the like) for what the inventory leaves unset.

Pure function of its inputs; bad input raises AnsibleFilterError naming the
variable and the value, before any host changes.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils import registry
from ansible_collections.webfarm.cluster.plugins.module_utils.addresses import host_address, host_port
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import filter_table


def _fail(msg: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"webfarm_monitor_targets: {msg}")


def _var(hvars: Mapping[str, Any], defaults: Mapping[str, Any], key: str) -> Any:
    value = hvars.get(key)
    return defaults.get(key) if value is None else value


def _address(name: str, hvars: Mapping[str, Any]) -> str:
    try:
        return str(host_address(name, hvars))
    except ValueError as e:
        raise _fail(str(e)) from None


def _port(name: str, hvars: Mapping[str, Any], defaults: Mapping[str, Any], key: str) -> int:
    try:
        return int(host_port(name, hvars, key, defaults.get(key)))
    except ValueError as e:
        raise _fail(str(e)) from None


# Each panel's sources, from its hosts (names, skipped hosts left out), the
# inventory, the roles' defaults (d), every group and the skipped hosts.
def _web_farm(names: Sequence[str], hostvars: Mapping[str, Any], d: Mapping[str, Any],
              groups: Mapping[str, Sequence[str]], skip: Sequence[str]) -> dict[str, Any]:
    """The web nodes, and the content master (the content_sync group's host) whose push the monitor reads."""
    masters = [h for h in groups.get("content_sync", []) if h not in skip]
    nodes = []
    for n in names:
        hv = hostvars[n]
        nodes.append({"name": n, "address": _address(n, hv), "port": _port(n, hv, d, "web_node_port"),
                      "health_path": str(_var(hv, d, "web_node_health_path")),
                      "version_path": str(_var(hv, d, "web_node_content_version_path") or "")})
    return {"nodes": nodes, "content": [{"name": m, "address": _address(m, hostvars[m])} for m in masters]}


def _nlb(names: Sequence[str], hostvars: Mapping[str, Any], d: Mapping[str, Any],
         groups: Mapping[str, Sequence[str]], skip: Sequence[str]) -> dict[str, Any]:
    balancers = [{"name": n, "address": _address(n, hostvars[n]), "stats_port": _port(n, hostvars[n], d, "lb_haproxy_stats_port")}
                 for n in names]
    first = hostvars[names[0]] if names else {}
    vips = []
    for i, vip in enumerate(_var(first, d, "lb_keepalived_vips") or []):
        address = vip.get("address") if isinstance(vip, Mapping) else vip
        if not address:
            raise _fail(f"lb_keepalived_vips[{i}] = {vip!r}: has no address")
        vips.append(str(address).split("/")[0])
    # Each VIP's IPv6 address too, after every IPv4 one: the panel shows both families.
    for vip in _var(first, d, "lb_keepalived_vips") or []:
        if isinstance(vip, Mapping) and vip.get("address6"):
            try:
                vips.append(ipaddress.IPv6Address(str(vip["address6"]).strip()).compressed)
            except ValueError:
                raise _fail(f"lb_keepalived_vips: address6 {vip['address6']!r} is not an IPv6 address") from None
    sites = _var(first, d, "lb_haproxy_sites") or [{}]
    port = sites[0].get("bind_port", 80) if isinstance(sites[0], Mapping) else 80
    out = {"balancers": balancers, "vips": vips, "port": int(port),
           "balancer_path": str(_var(first, d, "lb_haproxy_balancer_path") or "")}
    # HTTPS: the certificate each VIP serves on the first site's HTTPS port,
    # for the first ACME certificate's first plain name (none asked: the
    # inventory's first certificate); and each balancer's ACME renewal.
    acme = [c for c in first.get("lb_acme_certificates") or [] if isinstance(c, Mapping)]
    if acme or _var(first, d, "lb_haproxy_tls_certificates"):
        site = sites[0] if isinstance(sites[0], Mapping) else {}
        names = [str(n) for c in acme[:1] for n in c.get("domains") or [] if not str(n).startswith("*.")]
        out["tls"] = {"port": int(site.get("tls_port") or (443 if int(port) == 80 else 0) or 443),
                      "name": names[0] if names else ""}
    out["acme"] = bool(acme)
    return out


def _rr_dns(names: Sequence[str], hostvars: Mapping[str, Any], d: Mapping[str, Any],
            groups: Mapping[str, Sequence[str]], skip: Sequence[str]) -> dict[str, Any]:
    servers = [{"name": n, "address": _address(n, hostvars[n])} for n in names]
    first = hostvars[names[0]] if names else {}
    zone = str(_var(first, d, "dns_server_zone")).rstrip(".")
    lookups = [f"{_var(first, d, 'dns_server_service_name')}.{zone}"]
    # The names a cluster keeps pointed at its VIP (pacemaker_cluster's dns_name).
    for n in groups.get("active_passive", []):
        for svc in hostvars[n].get("pacemaker_cluster_services") or []:
            if isinstance(svc, Mapping) and svc.get("dns_name"):
                lookups.append(f"{svc['dns_name']}.{zone}")
        break
    return {"servers": servers, "names": list(dict.fromkeys(lookups))}


def _active_passive(names: Sequence[str], hostvars: Mapping[str, Any], d: Mapping[str, Any],
                    groups: Mapping[str, Sequence[str]], skip: Sequence[str]) -> dict[str, Any]:
    first = hostvars[names[0]] if names else {}
    resource_groups = [f"webfarm-{svc['name']}" for svc in first.get("pacemaker_cluster_services") or []
                       if isinstance(svc, Mapping) and svc.get("name")]
    return {"nodes": [{"name": n, "address": _address(n, hostvars[n])} for n in names], "groups": resource_groups}


def _session_store(names: Sequence[str], hostvars: Mapping[str, Any], d: Mapping[str, Any],
                   groups: Mapping[str, Sequence[str]], skip: Sequence[str]) -> dict[str, Any]:
    if not names:
        return {"stores": []}
    first = hostvars[names[0]]
    clustered = _var(first, d, "session_store_service_manager") == "cluster"
    address = str(_var(first, d, "session_store_address") or "") or _address(names[0], first)
    port = _port(names[0], first, d, "session_store_port")
    return {"stores": [{"name": "store (cluster)" if clustered else names[0], "address": address, "port": port,
                        "hosts": list(names)}]}


# Each panel's collector, by the panel's name (topologies.yml's panels; the
# unit tests check that every panel has one).
_SOURCES = {
    "web_farm": _web_farm,
    "nlb": _nlb,
    "rr_dns": _rr_dns,
    "active_passive": _active_passive,
    "session_store": _session_store,
}


def webfarm_monitor_targets(groups: Mapping[str, Sequence[str]], hostvars: Mapping[str, Any],
                    topologies: Sequence[str] | None = None, skip: Sequence[str] | None = None,
                    defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The monitor's sources, per topology (see the module's doc)."""
    topologies = list(topologies or [])
    skip = list(skip or [])
    defaults = defaults or {}
    known = [p["name"] for p in registry.panels()]
    unknown = [t for t in topologies if t not in known]
    if unknown:
        raise _fail(f"farm_monitor_topologies: unknown topology {', '.join(map(repr, unknown))} "
                    f"(known: {', '.join(known)})")
    chosen = topologies or [t for t in known if groups.get(t)]
    missing = [t for t in chosen if not groups.get(t)]
    if missing:
        raise _fail(f"farm_monitor_topologies: {', '.join(map(repr, missing))} has no hosts in this inventory")
    watched = {h for t in chosen for h in groups.get(t, [])}
    for host in skip:
        if host not in watched:
            raise _fail(f"farm_monitor_skip_hosts: {host!r} is not a host of a watched topology "
                        f"({', '.join(chosen)})")
    out: dict[str, Any] = {}
    for t in chosen:
        names = [h for h in groups.get(t, []) if h not in skip]
        out[t] = _SOURCES[t](names, hostvars, defaults, groups, skip)
    return out


def webfarm_monitor_panels(names: Sequence[str] | None = None, var: str = "webfarm_monitor_panels") -> list[dict[str, str]]:
    """The monitor's panels named (every panel when ``names`` is empty), in
    page order, each with its title: the registry's (topologies.yml). An
    unknown name raises, naming ``var``.

    Example::

        {{ farm_monitor_targets.keys() | list | webfarm_monitor_panels }}
        -> [{"name": "web_farm", "title": "Web farm", "host_key": "web_farm/{}"}, ...]
    """
    if isinstance(names, (str, bytes)) or not isinstance(names, (Sequence, type(None))):
        raise AnsibleFilterError(f"{var}: expects a list of panel names, got {names!r}")
    panels = registry.panels()
    unknown = [n for n in names or [] if n not in [p["name"] for p in panels]]
    if unknown:
        raise AnsibleFilterError(f"{var}: unknown topology {', '.join(map(repr, unknown))} "
                                 f"(known: {', '.join(p['name'] for p in panels)})")
    return [dict(p) for p in panels if not names or p["name"] in names]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return filter_table(webfarm_monitor_targets, webfarm_monitor_panels)
