"""webfarm inventory filters: hosts, addresses and ports, checked once.

Every filter is a pure function of its inputs and knows no role: callers pass
the variable names and defaults they use. Bad input raises
AnsibleFilterError naming the host, the variable and the value, so a wrong
inventory stops the play before any host changes.

A host's address is one rule everywhere (the plays, the filters and the lab
package): its ``webfarm_address``, else its ``ansible_host`` when that is an
IPv4 address (``host_address`` in ``module_utils/webfarm/addresses.py``).

Addresses an inventory declares besides its hosts' (virtual IPs) live in
variables named ``*_vip`` (one address) or ``*_vips`` (a list of addresses,
or of mappings with an ``address`` key), and in the ``vip`` key of the
mappings a ``*_services`` variable lists (a cluster's resource groups); an
address may carry a ``/prefix``.
``webfarm_declared_addresses`` checks that each address has one owner.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils.addresses import (
    ADDRESS6_VAR,
    ADDRESS_VAR,
    host_address,
    host_address6,
    host_port,
    is_ipv6,
    unusable,
    unusable6,
)
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import filter_table


def _fail(filter_name: str, msg: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"{filter_name}: {msg}")


def _network(filter_name: str, subnet: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(str(subnet), strict=True)
    except ValueError as exc:
        raise _fail(filter_name, f"subnet {subnet!r} is not an IPv4 network in CIDR form ({exc})") from None


def _network6(filter_name: str, prefix: str) -> ipaddress.IPv6Network:
    try:
        return ipaddress.IPv6Network(str(prefix), strict=True)
    except ValueError as exc:
        raise _fail(filter_name, f"prefix {prefix!r} is not an IPv6 network in CIDR form ({exc})") from None


def webfarm_nodes(
    hosts: Sequence[str],
    hostvars: Mapping[str, Mapping[str, Any]],
    port_var: str | None = None,
    default_port: int | None = None,
    subnet: str | None = None,
    reserved: int = 0,
    subnet6: str | None = None,
) -> list[dict[str, Any]]:
    """Return the members of a group as [{name, address[, address6][, port]}], in order.

    Example::

        {{ groups['web_farm'] | webfarm_nodes(hostvars, 'web_node_port', 80) }}
        -> [{'name': 'web1', 'address': '10.213.0.11', 'port': 80}, ...]

    Each address follows ``host_address``. With port_var, each node also
    gets its port from that host variable (default_port when unset). With
    subnet, every address must be a host address of that CIDR network and
    not one of its first ``reserved`` host addresses (the lab keeps its
    gateway and infrastructure there). A host that declares an IPv6
    address (``host_address6``) gets it as ``address6``; with subnet6 it must
    lie in that IPv6 prefix, clear of its first ``reserved`` addresses too.
    Duplicate or invalid addresses of either family raise AnsibleFilterError.
    """
    name_ = "webfarm_nodes"
    if isinstance(hosts, (str, bytes)) or not isinstance(hosts, Sequence):
        raise _fail(name_, f"expects a list of host names (for example groups['web_farm']), got {type(hosts).__name__} {hosts!r}")
    network = _network(name_, subnet) if subnet not in (None, "") else None
    network6 = _network6(name_, subnet6) if subnet6 not in (None, "") else None
    nodes: list[dict[str, Any]] = []
    owner: dict[str, str] = {}
    for name in map(str, hosts):
        if any(n["name"] == name for n in nodes):
            raise _fail(name_, f"host '{name}' is listed twice")
        if name not in hostvars:
            raise _fail(name_, f"host '{name}' is not in the inventory")
        hvars = hostvars[name]
        try:
            address = host_address(name, hvars)
            address6 = host_address6(name, hvars)
            node: dict[str, Any] = {"name": name, "address": address}
            if address6:
                node["address6"] = address6
            if port_var:
                node["port"] = host_port(name, hvars, port_var, default_port)
        except ValueError as exc:
            raise _fail(name_, str(exc)) from None
        if network is not None:
            addr = ipaddress.IPv4Address(address)
            if addr not in network or addr in (network.network_address, network.broadcast_address):
                raise _fail(name_, f"host '{name}': {ADDRESS_VAR} {addr} is not a host address of the subnet {network}")
            if int(addr) - int(network.network_address) <= reserved:
                raise _fail(name_, f"host '{name}': {ADDRESS_VAR} {addr} is reserved: the first {reserved} addresses of "
                                   f"{network} are the gateway's and the lab's own; use another address")
        if address6 and network6 is not None:
            addr6 = ipaddress.IPv6Address(address6)
            if addr6 not in network6 or addr6 == network6.network_address:
                raise _fail(name_, f"host '{name}': {ADDRESS6_VAR} {address6} is not a host address of the prefix {network6}")
            if int(addr6) - int(network6.network_address) <= reserved:
                raise _fail(name_, f"host '{name}': {ADDRESS6_VAR} {address6} is reserved: the first {reserved} addresses "
                                   f"of {network6} are the gateway's and the lab's own; use another address")
        for taken, var in ((address, ADDRESS_VAR), (address6, ADDRESS6_VAR)):
            if taken and taken in owner:
                raise _fail(name_, f"hosts '{owner[taken]}' and '{name}' share the address {taken}: "
                                   f"give each node its own {var}")
            if taken:
                owner[taken] = name
        nodes.append(node)
    return nodes


def webfarm_health_urls(nodes: Sequence[Mapping[str, Any]], hostvars: Mapping[str, Mapping[str, Any]],
                        path_var: str, default_path: str = "/health") -> list[dict[str, Any]]:
    """webfarm_nodes output (with ports) plus each node's health URL, whose
    path is the node's path_var (default_path when unset): one entry per
    address, so a node with an IPv6 address (``address6``) has a second
    entry for it, right after its IPv4 one, and each family is checked on
    its own.

    Example::

        {{ groups['web_farm'] | webfarm_nodes(hostvars, 'web_node_port', 80)
           | webfarm_health_urls(hostvars, 'web_node_health_path', '/health') }}
        -> [{'name': 'web1', 'address': '10.213.0.11', 'port': 80, 'url': 'http://10.213.0.11/health'},
            {'name': 'web1', 'address': 'fd00:213::11', 'port': 80, 'url': 'http://[fd00:213::11]/health'}, ...]
    """
    out = []
    for node in nodes:
        if "port" not in node:
            raise _fail("webfarm_health_urls", f"node {node.get('name')!r} has no port: call webfarm_nodes with a port variable")
        path = str(hostvars.get(node["name"], {}).get(path_var) or default_path)
        if not path.startswith("/") or any(c.isspace() for c in path):
            raise _fail("webfarm_health_urls", f"host '{node['name']}': {path_var} {path!r} is not a URL path")
        port = "" if int(node["port"]) == 80 else f":{node['port']}"
        entry = {k: v for k, v in node.items() if k != "address6"}
        out.append({**entry, "url": f"http://{node['address']}{port}{path}"})
        if node.get("address6"):
            out.append({**entry, "address": node["address6"], "url": f"http://[{node['address6']}]{port}{path}"})
    return out


def _vip_values(var: str, value: Any) -> list[str]:
    """The addresses a *_vip, *_vips or *_services variable holds, as strings."""
    if var.endswith("_vip"):
        items = [value]
    elif var.endswith("_services"):
        if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
            raise ValueError(f"{var} must be a list of mappings, got {value!r}")
        items = [{"address": item["vip"], "address6": item.get("vip6")}
                 for item in value if isinstance(item, Mapping) and item.get("vip") not in (None, "")]
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items = list(value)
    else:
        raise ValueError(f"{var} must be a list of addresses, got {value!r}")
    out = []
    for item in items:
        raw = item.get("address") if isinstance(item, Mapping) else item
        try:
            addr = ipaddress.IPv4Interface(str(raw).strip()).ip
        except ValueError:
            if not is_ipv6(raw):
                raise ValueError(f"{var}: {raw!r} is not an IPv4 address") from None
            raise ValueError(f"{var}: {raw!r} is an IPv6 address, and address holds the IPv4 one: put it in address6 "
                             "(one VRRP instance per family)") from None
        if unusable(addr):
            raise ValueError(f"{var}: {str(addr)!r} cannot be a virtual IP (unspecified, loopback, multicast or broadcast)")
        out.append(str(addr))
        raw6 = item.get("address6") if isinstance(item, Mapping) else None
        if raw6 not in (None, ""):
            try:
                addr6 = ipaddress.IPv6Interface(str(raw6).strip()).ip
            except ValueError:
                raise ValueError(f"{var}: address6 {raw6!r} is not an IPv6 address") from None
            why = unusable6(addr6)
            if why:
                raise ValueError(f"{var}: address6 {str(addr6)!r} cannot be a virtual IP: {why}")
            out.append(addr6.compressed)
    return out


def webfarm_declared_addresses(hostvars: Mapping[str, Mapping[str, Any]], hosts: Sequence[str]) -> dict[str, str]:
    """Every address the inventory declares, each with its one owner.

    Example::

        {{ hostvars | webfarm_declared_addresses(groups['all']) }}
        -> {'10.213.0.11': 'host web1', '10.213.0.200': 'nlb_vips', ...}

    A host owns its address (``host_address``) and its IPv6 address if it
    declares one (``host_address6``); a ``*_vip``/``*_vips``
    variable owns the addresses it holds, and may hold them on several hosts
    (a group's variable reaches each member). Two hosts with one address, a
    host address used as a VIP, or one VIP in two variables raise
    AnsibleFilterError naming both owners and the fix (a host's
    ``webfarm_address``). Hosts without an address of their
    own (``localhost``, a host reached by name) are skipped.
    """
    name_ = "webfarm_declared_addresses"
    if isinstance(hosts, (str, bytes)) or not isinstance(hosts, Sequence):
        raise _fail(name_, f"expects a list of host names (groups['all']), got {type(hosts).__name__} {hosts!r}")
    owner: dict[str, str] = {}

    def claim(address: str, who: str, var: str = ADDRESS_VAR) -> None:
        first = owner.get(address, who)
        if first != who:
            owning_hosts = [o for o in (first, who) if o.startswith("host ")]
            fix = (f"give each host its own {var}" if len(owning_hosts) == 2
                   else f"give {owning_hosts[0]} another {var}, or {who if owning_hosts[0] == first else first} "
                        "another address"
                   if owning_hosts else "keep each virtual IP in one variable")
            raise _fail(name_, f"{first} and {who} both claim the address {address}: each address needs one owner; {fix}")
        owner[address] = who

    for name in map(str, hosts):
        hvars = hostvars.get(name)
        if hvars is None:
            raise _fail(name_, f"host '{name}' is not in the inventory")
        try:
            address = host_address(name, hvars)
        except ValueError as exc:
            if hvars.get(ADDRESS_VAR) not in (None, ""):
                raise _fail(name_, str(exc)) from None
            continue  # no address of its own (localhost, a host reached by name)
        claim(address, f"host '{name}'")
    for name in map(str, hosts):
        try:
            address6 = host_address6(name, hostvars[name])
        except ValueError as exc:
            raise _fail(name_, str(exc)) from None
        if address6:
            claim(address6, f"host '{name}'", ADDRESS6_VAR)
    for name in map(str, hosts):
        for var, value in sorted(hostvars[name].items()):
            if not var.endswith(("_vip", "_vips", "_services")) or value in (None, "", []):
                continue
            try:
                addresses = _vip_values(var, value)
            except ValueError as exc:
                raise _fail(name_, f"host '{name}': {exc}") from None
            for address in addresses:
                claim(address, var)
    return owner


def webfarm_address_in(address: Any, networks: Sequence[str]) -> bool:
    """True when ``address`` is an IPv4 address inside one of ``networks``
    (CIDRs such as a host's own ``10.213.0.41/24``), other than a network's
    own or broadcast address. False for anything that is not an address, so
    a validation can name the variable; a malformed network raises."""
    try:
        addr = ipaddress.IPv4Address(str(address))
    except ValueError:
        return False
    for cidr in networks:
        try:
            net = ipaddress.IPv4Network(str(cidr), strict=False)
        except ValueError:
            raise _fail("webfarm_address_in", f"{cidr!r} is not an IPv4 network such as 10.213.0.0/24") from None
        if addr in net and (net.prefixlen >= 31 or addr not in (net.network_address, net.broadcast_address)):
            return True
    return False


class FilterModule:
    """webfarm inventory filters."""

    def filters(self) -> dict[str, Any]:
        return filter_table(webfarm_nodes, webfarm_declared_addresses, webfarm_health_urls, webfarm_address_in)
