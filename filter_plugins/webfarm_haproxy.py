"""webfarm balancer filters: HAProxy sites from the inventory, checked once.

Pure functions of their inputs. Bad input raises AnsibleFilterError naming
the variable (``lb_haproxy_sites[0].affinity``) and the value, so a wrong
inventory stops the play before any host changes.

The white paper's WLBS settings map to HAProxy as follows (``webfarm_haproxy_balance``):

=============  ==========================================================
affinity       HAProxy
=============  ==========================================================
none           the load formula (``balance roundrobin`` by default)
single         ``balance source``: one client address, one node (an IPv6
               client's whole address too)
class_c        ``balance hash src,ipmask(24,64)``: one /24 of IPv4 clients,
               one IPv6 /64 (``prefix6``), one node
cookie         the load formula, plus an inserted cookie naming the node;
               a client whose node died is re-pinned to a live one
=============  ==========================================================

``single`` and ``class_c`` are hash formulas themselves (``hash-type
consistent``, so a node's loss moves only its own clients); a load formula
can be chosen with ``none`` and ``cookie`` only.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils.addresses import host_address, host_address6, host_port
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import checked_entry, filter_table, whole_number

AFFINITIES = ("none", "single", "class_c", "cookie")
FORMULAS = {"roundrobin": "roundrobin", "static": "static-rr", "leastconn": "leastconn", "hash": "uri"}
FAMILIES = ("ipv4", "ipv6")
CHECKS = ("http", "tcp")
SITE_KEYS = {"name", "bind_port", "group", "server_port_var", "server_port", "check", "health_path",
             "health_path_var", "expect_status", "affinity", "formula", "cookie_name", "weights", "tls_port",
             "redirect"}
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_COOKIE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")


def _fail(msg: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"webfarm_haproxy: {msg}")


def webfarm_haproxy_balance(affinity: Any = "none", formula: Any = None, var: str = "lb_haproxy_sites[0]",
                            prefix6: Any = 64) -> dict[str, Any]:
    """HAProxy's balance settings for a WLBS affinity and a load formula.

    Class C keeps a client's network on one node: a /24 for IPv4 clients, a
    /``prefix6`` for IPv6 ones (64 by default: the one prefix length every
    IPv6 LAN has, so the temporary addresses a client rotates through,
    RFC 8981, and the proxies of one LAN stay together, as a /24 did).

    Example::

        {{ 'class_c' | webfarm_haproxy_balance }}
        -> {'balance': 'hash src,ipmask(24,64)', 'hash_type': 'consistent', 'cookie': False}
        {{ 'cookie' | webfarm_haproxy_balance('leastconn') }}
        -> {'balance': 'leastconn', 'hash_type': None, 'cookie': True}
    """
    if not isinstance(affinity, str) or affinity not in AFFINITIES:
        raise _fail(f"{var}.affinity = {affinity!r}: must be one of {', '.join(AFFINITIES)} "
                    f"(the white paper's None, Single, Class C, and cookie stickiness)")
    if formula is not None and (not isinstance(formula, str) or formula not in FORMULAS):
        raise _fail(f"{var}.formula = {formula!r}: must be one of {', '.join(FORMULAS)}")
    if affinity in ("single", "class_c"):
        if formula is not None:
            raise _fail(f"{var}.formula = {formula!r}: affinity {affinity!r} is a hash of the client's address and "
                        f"decides the node itself; leave formula unset, or use affinity none or cookie")
        mask6 = _int("lb_haproxy_class_c_prefix6", prefix6, 32, 64)
        balance = "source" if affinity == "single" else f"hash src,ipmask(24,{mask6})"
        return {"balance": balance, "hash_type": "consistent", "cookie": False}
    balance = FORMULAS[formula or "roundrobin"]
    return {"balance": balance, "hash_type": "consistent" if formula == "hash" else None, "cookie": affinity == "cookie"}


def _int(var: str, value: Any, low: int, high: int) -> int:
    number = whole_number(value)
    if number is None:
        raise _fail(f"{var} = {value!r}: must be a number from {low} to {high}")
    if not low <= number <= high:
        raise _fail(f"{var} = {number}: must be from {low} to {high}")
    return number


def _servers(var: str, site: Mapping[str, Any], members: Sequence[str], hostvars: Mapping[str, Mapping[str, Any]],
             weight_var: str, family: str = "ipv4") -> list[dict[str, Any]]:
    port_var = str(site.get("server_port_var", "web_node_port"))
    default_port = site.get("server_port", 80)
    weights = site.get("weights") or {}
    if not isinstance(weights, Mapping):
        raise _fail(f"{var}.weights = {weights!r}: must map node names to weights")
    strangers = sorted(set(map(str, weights)) - set(members))
    if strangers:
        raise _fail(f"{var}.weights names {', '.join(strangers)}, not among the site's nodes ({', '.join(members)})")
    servers, owner = [], {}
    for name in members:
        hvars = hostvars.get(name)
        if hvars is None:
            raise _fail(f"{var}: host '{name}' is not in the inventory")
        try:
            address = host_address(name, hvars) if family == "ipv4" else host_address6(name, hvars)
            port = host_port(name, hvars, port_var, default_port)
        except ValueError as exc:
            raise _fail(f"{var}: {exc}") from None
        if address is None:
            raise _fail(f"{var}: host '{name}' has no webfarm_address6, and lb_haproxy_node_family is ipv6: "
                        "give every node its IPv6 address, or reach the nodes over ipv4")
        if (address, port) in owner:
            raise _fail(f"{var}: hosts '{owner[(address, port)]}' and '{name}' are both {address}:{port}")
        owner[(address, port)] = name
        if name in weights:
            weight = _int(f"{var}.weights.{name}", weights[name], 0, 256)
        else:
            weight = _int(f"host '{name}': {weight_var}", hvars.get(weight_var, 100), 0, 256)
        servers.append({"name": name, "address": address, "port": port, "weight": weight,
                        "endpoint": f"[{address}]:{port}" if ":" in address else f"{address}:{port}"})
    return servers


def _health_path(var: str, site: Mapping[str, Any], members: Sequence[str], hostvars: Mapping[str, Mapping[str, Any]]) -> str:
    """The site's health_path, else the members' own (they must agree: HAProxy
    checks one path per backend)."""
    if site.get("health_path") not in (None, ""):
        path, where = str(site["health_path"]), f"{var}.health_path"
    else:
        path_var = str(site.get("health_path_var", "web_node_health_path"))
        paths = {name: str(hostvars[name].get(path_var) or "/health") for name in members}
        if len(set(paths.values())) > 1:
            raise _fail(f"{var}: the members' {path_var} differ ({', '.join(f'{k}={v}' for k, v in paths.items())}); "
                        f"HAProxy checks one path per site: set {var}.health_path")
        path, where = next(iter(paths.values())), f"{path_var} of {', '.join(members)}"
    if not _PATH.match(path):
        raise _fail(f"{where} = {path!r}: must be a URL path starting with /")
    return path


def site_tls_port(where: str, site: Mapping[str, Any], bind_port: int, tls: bool) -> int | None:
    """The site's HTTPS port: its tls_port, else 443 for the site on port 80
    when the balancer has certificates; None serves HTTP only. (The tests'
    lab package asks this same rule where a site answers.)"""
    if site.get("tls_port") in (None, ""):
        return 443 if tls and bind_port == 80 else None
    if not tls:
        raise _fail(f"{where}.tls_port = {site['tls_port']!r}: HTTPS needs a certificate; "
                    f"set lb_haproxy_tls_certificates, or remove tls_port")
    return _int(f"{where}.tls_port", site["tls_port"], 1, 65535)


def webfarm_haproxy_sites(sites: Any, groups: Mapping[str, Sequence[str]], hostvars: Mapping[str, Mapping[str, Any]],
                  reserved_ports: Sequence[int] = (), weight_var: str = "lb_haproxy_weight",
                  var: str = "lb_haproxy_sites", tls: bool = False, family: str = "ipv4",
                  prefix6: Any = 64) -> list[dict[str, Any]]:
    """Each site (a frontend and its backend) with its defaults filled in,
    its balance settings, and its servers from the inventory.

    Example::

        {{ lb_haproxy_sites | webfarm_haproxy_sites(groups, hostvars, [8404]) }}
        -> [{'name': 'www', 'bind_port': 80, 'balance': 'roundrobin', 'hash_type': None, 'cookie': False,
             'cookie_name': 'WEBFARM_NODE', 'check': 'http', 'health_path': '/health', 'expect_status': 200,
             'group': 'web_farm', 'tls_port': None, 'redirect': False,
             'servers': [{'name': 'web1', 'address': '10.213.0.11', 'port': 80, 'weight': 100}, ...]}]

    A server's weight is the site's ``weights[node]``, else its host's
    ``weight_var`` (0-256, default 100; 0 takes it out of rotation). Ports in ``reserved_ports`` (the stats page)
    cannot be a site's.

    With ``tls`` (the balancer has certificates) a site also serves HTTPS on
    its ``tls_port`` (443 by default for the site on port 80; other sites
    name theirs), and its HTTP port answers with a redirect to it unless
    ``redirect`` is false.

    ``family`` is how HAProxy reaches the nodes: ``ipv4`` (their
    ``webfarm_address``) or ``ipv6`` (their ``webfarm_address6``, which each
    must then declare); a server's ``endpoint`` is its address and port as
    HAProxy reads them (``[fd00:213::11]:80``). ``prefix6`` is Class C's
    IPv6 prefix length (``webfarm_haproxy_balance``).
    """
    if isinstance(sites, (str, bytes, Mapping)) or not isinstance(sites, Sequence) or not sites:
        raise _fail(f"{var} must be a non-empty list of sites, got {sites!r}")
    if family not in FAMILIES:
        raise _fail(f"lb_haproxy_node_family = {family!r}: must be one of {', '.join(FAMILIES)}")
    out, names, ports = [], set(), {int(p): "the stats page" for p in reserved_ports}
    for i, site in enumerate(sites):
        where = f"{var}[{i}]"
        site = checked_entry(where, site, SITE_KEYS, f"with at least a name, got {site!r}", _fail)
        name = site.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise _fail(f"{where}.name = {name!r}: must be lower-case letters, digits, '_' or '-', starting with a letter")
        if name in names:
            raise _fail(f"{where}.name = {name!r}: two sites share it")
        names.add(name)
        bind_port = _int(f"{where}.bind_port", site.get("bind_port", 80), 1, 65535)
        if bind_port in ports:
            raise _fail(f"{where}.bind_port = {bind_port}: already used by {ports[bind_port]}")
        ports[bind_port] = f"site {name!r}"
        tls_port = site_tls_port(where, site, bind_port, bool(tls))
        if tls_port is not None:
            if tls_port in ports:
                raise _fail(f"{where}.tls_port = {tls_port}: already used by {ports[tls_port]}")
            ports[tls_port] = f"site {name!r} (HTTPS)"
        redirect = site.get("redirect", True)
        if not isinstance(redirect, bool):
            raise _fail(f"{where}.redirect = {redirect!r}: must be true or false")
        group = site.get("group", "web_farm")
        members = list(groups.get(str(group), []) or [])
        if not members:
            raise _fail(f"{where}.group = {group!r}: must name an inventory group with at least one web node")
        check = site.get("check", "http")
        if check not in CHECKS:
            raise _fail(f"{where}.check = {check!r}: must be one of {', '.join(CHECKS)}")
        cookie_name = str(site.get("cookie_name", "WEBFARM_NODE"))
        if not _COOKIE.match(cookie_name):
            raise _fail(f"{where}.cookie_name = {cookie_name!r}: must be letters, digits, '_' or '-'")
        out.append({
            "name": name,
            "bind_port": bind_port,
            **webfarm_haproxy_balance(site.get("affinity", "none"), site.get("formula"), where, prefix6),
            "cookie_name": cookie_name,
            "check": check,
            "health_path": _health_path(where, site, members, hostvars),
            "expect_status": _int(f"{where}.expect_status", site.get("expect_status", 200), 100, 599),
            "group": str(group),
            "tls_port": tls_port,
            "redirect": redirect and tls_port is not None,
            "servers": _servers(where, site, members, hostvars, weight_var, family),
        })
    return out


def webfarm_haproxy_backends(balancers: Sequence[str], hostvars: Mapping[str, Mapping[str, Any]],
                     default_socket: str = "/run/haproxy/admin.sock") -> list[dict[str, str]]:
    """Every (balancer, site backend) pair with the balancer's runtime API
    socket, for tasks that drain or enable a node everywhere.

    Example::

        {{ groups['nlb'] | webfarm_haproxy_backends(hostvars) }}
        -> [{'balancer': 'lb1', 'backend': 'www', 'socket': '/run/haproxy/admin.sock'}, ...]

    A balancer without ``lb_haproxy_sites`` has the role's default site, www.
    """
    if isinstance(balancers, (str, bytes)):
        raise _fail(f"expects a list of balancers (for example groups['nlb']), got {balancers!r}")
    out = []
    for name in balancers:
        hvars = hostvars.get(name)
        if hvars is None:
            raise _fail(f"balancer '{name}' is not in the inventory")
        sites = hvars.get("lb_haproxy_sites") or [{"name": "www"}]
        socket = str(hvars.get("lb_haproxy_runtime_socket") or default_socket)
        for i, site in enumerate(sites):
            if not isinstance(site, Mapping) or not site.get("name"):
                raise _fail(f"host '{name}': lb_haproxy_sites[{i}] has no name")
            out.append({"balancer": str(name), "backend": str(site["name"]), "socket": socket})
    return out


class FilterModule:
    """webfarm balancer filters."""

    def filters(self) -> dict[str, Any]:
        return filter_table(webfarm_haproxy_balance, webfarm_haproxy_sites, webfarm_haproxy_backends)
