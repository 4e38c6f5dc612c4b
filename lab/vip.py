"""Who holds a virtual IP, and how long until that changes.

    holders(hosts, "10.213.0.200")           -> ["lb1"]
    wait_moved(hosts, vip, away_from, since)  -> (new holder, seconds since `since`)

Reads each host's addresses with `ip` inside its container (lab only).
"""
from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Sequence

from ansible_collections.webfarm.cluster.plugins.filter.webfarm_haproxy import site_tls_port

from lab import hosts
from lab.inventory import Host


def declared(balancer: Host) -> list[str]:
    """The VIPs the inventory gives the balancers (lb_keepalived_vips), in
    order and without prefix: VIP i is mastered by balancer i."""
    return [str(v["address"]).split("/")[0] for v in balancer.var("lb_keepalived_vips") or []]


def declared6(balancer: Host) -> list[str | None]:
    """The VIPs' IPv6 addresses (their address6), compressed, in the same
    order as declared(): None for a VIP that has none."""
    return [str(ipaddress.IPv6Address(str(v["address6"]).strip())) if v.get("address6") else None
            for v in balancer.var("lb_keepalived_vips") or []]


def host_part(address: str) -> str:
    """An address as a URL's host: an IPv6 address in brackets."""
    return f"[{address}]" if ":" in address else address


def tls_port(balancer: Host, site: dict) -> int | None:
    """The site's HTTPS port by lb_haproxy's own rule
    (filter_plugins/webfarm_haproxy.py), or None when it serves HTTP only."""
    return site_tls_port("lb_haproxy_sites", site, int(site.get("bind_port", 80)),
                         bool(balancer.var("lb_haproxy_tls_certificates") or balancer.var("lb_acme_certificates")))


def site_url(balancer: Host, site: dict, vip: str, path: str = "/") -> str:
    """Where a client reaches a site through a VIP: over HTTPS when the site
    has it (its HTTP port only redirects there)."""
    port = tls_port(balancer, site)
    if port is None:
        port = int(site.get("bind_port", 80))
        return f"http://{host_part(vip)}{'' if port == 80 else f':{port}'}{path}"
    return f"https://{host_part(vip)}{'' if port == 443 else f':{port}'}{path}"


def addresses(host: Host) -> set[str]:
    """The IPv4 and IPv6 addresses on the host's interfaces (empty when it is down)."""
    if hosts.state(host) != "running":
        return set()
    out = hosts.run(host, "ip", "-o", "addr", "show", check=False, timeout=10)
    return {line.split()[3].split("/")[0] for line in out.stdout.splitlines() if len(line.split()) > 3}


def holders(group: Sequence[Host], vip: str) -> list[str]:
    """Names of the hosts that hold vip now: one, when all is well."""
    return [h.name for h in group if vip in addresses(h)]


def wait_holder(group: Sequence[Host], vip: str, accept, since: float, timeout: float = 20,
                interval: float = 0.05) -> tuple[str | None, float]:
    """Poll until exactly one host holds vip and accept(name) is true;
    return (that host, seconds from `since`). Bounded by timeout."""
    deadline = time.monotonic() + timeout
    while True:
        now = holders(group, vip)
        if len(now) == 1 and accept(now[0]):
            return now[0], time.time() - since
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{vip}: held by {now or 'nobody'} after {timeout} s")
        time.sleep(interval)


def router_id(balancer: Host, address: str) -> int:
    """The VRRP virtual router id keepalived on balancer uses for address."""
    config = hosts.run(balancer, "cat", "/etc/keepalived/keepalived.conf").stdout
    for block in config.split("vrrp_instance ")[1:]:
        if re.search(rf"^\s*{re.escape(address)}/\d+ ", block, re.M):
            return int(re.search(r"virtual_router_id (\d+)", block).group(1))
    raise LookupError(f"{balancer.name}: no VRRP instance holds {address}")


# keepalived's journal line for a VRRP state change: "(NAME) Entering MASTER STATE".
STATE_LINE = re.compile(r"^(?P<t>\d+(?:\.\d+)?) .*\((?P<instance>[^)]+)\) Entering (?P<state>[A-Z]+) STATE")


def parse_transitions(journal: str) -> list[tuple[float, str, str]]:
    """(unix time, VRRP instance, state) of each state change in keepalived's
    journal printed with -o short-unix.

    >>> parse_transitions("1796533374.51 lb2 Keepalived_vrrp[88]: (www) Entering MASTER STATE\\n")
    [(1796533374.51, 'www', 'MASTER')]
    """
    out = []
    for line in journal.splitlines():
        m = STATE_LINE.match(line.strip())
        if m:
            out.append((float(m["t"]), m["instance"], m["state"]))
    return out


def transitions(group: Sequence[Host], since: float, until: float | None = None) -> dict[str, list[tuple[float, str, str]]]:
    """Each balancer's VRRP state changes between since and until (unix
    times), from keepalived's journal: a change too short for a poll of the
    addresses to see still shows here."""
    return {lb.name: parse_transitions(hosts.journal(lb, "keepalived", since=since, until=until)) for lb in group}
