"""webfarm monitor filter: what the farm monitor watches, read from the inventory.

    webfarm_monitor_targets(groups, hostvars, topologies, skip, defaults)
      -> {"web_farm": {"nodes": [...], "content": [...]}, "nlb": {...}, "rr_dns": {...},
          "active_passive": {...}, "sessions": {...}}

One panel per topology the monitor watches (``topologies``, an empty list
meaning every topology the inventory has). ``skip`` names hosts left off the
page (a node being retired). ``defaults`` are the roles' own defaults
(``web_node_port`` and the like) for what the inventory leaves unset.

Pure function of its inputs; bad input raises AnsibleFilterError naming the
variable and the value, before any host changes.
"""
from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleFilterError

# Inventory group of each topology the monitor knows, in page order.
TOPOLOGIES = ("web_farm", "nlb", "rr_dns", "active_passive", "sessions")


def _fail(msg: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"webfarm_monitor_targets: {msg}")


def _inventory_filters() -> Any:
    """filter_plugins/webfarm_inventory.py (the one address rule), loaded by path."""
    name = "webfarm_inventory"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


def _var(hvars: Mapping[str, Any], defaults: Mapping[str, Any], key: str) -> Any:
    value = hvars.get(key)
    return defaults.get(key) if value is None else value


def _address(name: str, hvars: Mapping[str, Any]) -> str:
    try:
        return str(_inventory_filters().host_address(name, hvars))
    except ValueError as e:
        raise _fail(str(e)) from None


def _port(name: str, hvars: Mapping[str, Any], defaults: Mapping[str, Any], key: str) -> int:
    try:
        return int(_inventory_filters().host_port(name, hvars, key, defaults.get(key)))
    except ValueError as e:
        raise _fail(str(e)) from None


def _web_farm(names: Sequence[str], hostvars: Mapping[str, Any], d: Mapping[str, Any],
              masters: Sequence[str] = ()) -> dict[str, Any]:
    """The web nodes, and the content master (the content group's host) whose push the monitor reads."""
    nodes = []
    for n in names:
        hv = hostvars[n]
        nodes.append({"name": n, "address": _address(n, hv), "port": _port(n, hv, d, "web_node_port"),
                      "health_path": str(_var(hv, d, "web_node_health_path")),
                      "version_path": str(_var(hv, d, "web_node_content_version_path") or "")})
    return {"nodes": nodes, "content": [{"name": m, "address": _address(m, hostvars[m])} for m in masters]}


def _nlb(names: Sequence[str], hostvars: Mapping[str, Any], d: Mapping[str, Any]) -> dict[str, Any]:
    balancers = [{"name": n, "address": _address(n, hostvars[n]), "stats_port": _port(n, hostvars[n], d, "lb_haproxy_stats_port")}
                 for n in names]
    first = hostvars[names[0]] if names else {}
    vips = []
    for i, vip in enumerate(_var(first, d, "lb_keepalived_vips") or []):
        address = vip.get("address") if isinstance(vip, Mapping) else vip
        if not address:
            raise _fail(f"lb_keepalived_vips[{i}] = {vip!r}: has no address")
        vips.append(str(address).split("/")[0])
    sites = _var(first, d, "lb_haproxy_sites") or [{}]
    port = sites[0].get("bind_port", 80) if isinstance(sites[0], Mapping) else 80
    return {"balancers": balancers, "vips": vips, "port": int(port),
            "balancer_path": str(_var(first, d, "lb_haproxy_balancer_path") or "")}


def _rr_dns(names: Sequence[str], hostvars: Mapping[str, Any], d: Mapping[str, Any],
            groups: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    servers = [{"name": n, "address": _address(n, hostvars[n])} for n in names]
    first = hostvars[names[0]] if names else {}
    zone = str(_var(first, d, "dns_server_zone")).rstrip(".")
    lookups = [f"{_var(first, d, 'dns_server_service_name')}.{zone}"]
    # The names a cluster keeps pointed at its VIP (ha_cluster's dns_name).
    for n in groups.get("active_passive", []):
        for svc in hostvars[n].get("ha_cluster_services") or []:
            if isinstance(svc, Mapping) and svc.get("dns_name"):
                lookups.append(f"{svc['dns_name']}.{zone}")
        break
    return {"servers": servers, "names": list(dict.fromkeys(lookups))}


def _active_passive(names: Sequence[str], hostvars: Mapping[str, Any], d: Mapping[str, Any]) -> dict[str, Any]:
    first = hostvars[names[0]] if names else {}
    groups = [f"webfarm-{svc['name']}" for svc in first.get("ha_cluster_services") or []
              if isinstance(svc, Mapping) and svc.get("name")]
    return {"nodes": [{"name": n, "address": _address(n, hostvars[n])} for n in names], "groups": groups}


def _sessions(names: Sequence[str], hostvars: Mapping[str, Any], d: Mapping[str, Any]) -> dict[str, Any]:
    if not names:
        return {"stores": []}
    first = hostvars[names[0]]
    clustered = _var(first, d, "session_store_service_manager") == "cluster"
    address = str(_var(first, d, "session_store_address") or "") or _address(names[0], first)
    port = _port(names[0], first, d, "session_store_port")
    return {"stores": [{"name": "store (cluster)" if clustered else names[0], "address": address, "port": port,
                        "hosts": list(names)}]}


def monitor_targets(groups: Mapping[str, Sequence[str]], hostvars: Mapping[str, Any],
                    topologies: Sequence[str] | None = None, skip: Sequence[str] | None = None,
                    defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The monitor's sources, per topology (see the module's doc)."""
    topologies = list(topologies or [])
    skip = list(skip or [])
    defaults = defaults or {}
    unknown = [t for t in topologies if t not in TOPOLOGIES]
    if unknown:
        raise _fail(f"farm_monitor_topologies: unknown topology {', '.join(map(repr, unknown))} "
                    f"(known: {', '.join(TOPOLOGIES)})")
    chosen = topologies or [t for t in TOPOLOGIES if groups.get(t)]
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
        if t == "web_farm":
            out[t] = _web_farm(names, hostvars, defaults, [h for h in groups.get("content", []) if h not in skip])
        elif t == "nlb":
            out[t] = _nlb(names, hostvars, defaults)
        elif t == "rr_dns":
            out[t] = _rr_dns(names, hostvars, defaults, groups)
        elif t == "active_passive":
            out[t] = _active_passive(names, hostvars, defaults)
        else:
            out[t] = _sessions(names, hostvars, defaults)
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"webfarm_monitor_targets": monitor_targets}
