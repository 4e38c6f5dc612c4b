"""The balancers' rows in the lab's status table: the VIPs each holds, and
HAProxy's view of each backend server (from its runtime API); under the
table, the sites through each VIP and each ACME certificate's state."""
from __future__ import annotations

from lab import acme, haproxy
from lab.inventory import Host, Inventory
from lab.status import Role
from lab.vip import addresses, declared, declared6, site_url


def balancer_view(host: Host) -> tuple[bool, str]:
    mine = addresses(host)
    held = " ".join(v for v in [*declared(host), *filter(None, declared6(host))] if v in mine) or "(none)"
    try:
        states = haproxy.server_states(host)
    except RuntimeError as exc:
        return False, f"VIPs {held}; HAProxy: {exc}"
    by_server: dict[str, set[str]] = {}
    for (_, server), state in states.items():
        by_server.setdefault(server, set()).add(state)
    view = " ".join(f"{name}={'/'.join(sorted(s))}" for name, s in sorted(by_server.items()))
    return all(s == {"UP"} for s in by_server.values()), f"VIPs {held}; {view}"


ROLES = {"nlb": Role("balancer (HAProxy)", lambda h: f"http://{h.address}:{h.var('lb_haproxy_stats_port')}/stats",
                     balancer_view)}


def notes(inv: Inventory) -> list[str]:
    """The sites through each VIP, and who holds it now."""
    balancers = inv.hosts("nlb")
    if not balancers:
        return []
    first = balancers[0]
    held = {b.name: addresses(b) for b in balancers}
    lines = []
    # Each VIP's IPv4 address, then its IPv6 one where it has one.
    for address in [*declared(first), *filter(None, declared6(first))]:
        holder = " ".join(n for n, a in held.items() if address in a) or "nobody"
        sites = " ".join(site_url(first, s, address) for s in first.var("lb_haproxy_sites"))
        lines.append(f"VIP {address} (on {holder}): {sites}")
    return lines + acme_notes(inv)


def acme_notes(inv: Inventory) -> list[str]:
    """Each ACME certificate (lb_acme): its issuer, the days it has left and
    whether every balancer serves it, and how the last renewal went."""
    balancers = inv.hosts("nlb")
    if not balancers or not balancers[0].var("lb_acme_certificates"):
        return []
    seen = {b.name: acme.status(b, check=False).get("certificates", {}) for b in balancers}
    lines = []
    for cert in balancers[0].var("lb_acme_certificates"):
        name = cert["name"]
        lives = {b: (c.get(name) or {}).get("live") or {} for b, c in seen.items()}
        first = lives[balancers[0].name]
        same = len({v.get("fingerprint") for v in lives.values()}) == 1 and first.get("fingerprint")
        last = (seen[balancers[0].name].get(name) or {}).get("last") or {}
        state = "ok" if last.get("ok") else f"FAILED: {last.get('error')}" if last else "none yet"
        lines.append(f"Certificate {name} ({', '.join(cert['domains'])}): "
                     + (f"{first.get('issuer', '?').removeprefix('CN=')}, {first.get('seconds_left', 0) / 86400:.1f} days left, "
                        if first.get("fingerprint") else "none live, ")
                     + ("the same on every balancer" if same else "NOT the same on every balancer")
                     + f"; last renewal {state}")
    return lines
