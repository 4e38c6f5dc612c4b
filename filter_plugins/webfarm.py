"""webfarm filters: turn inventory groups into the lists the configs need.

Every filter is a pure function of its inputs. Bad input raises
AnsibleFilterError naming the host, the variable and the value, so a wrong
inventory stops the play before any host changes.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError


def _fail(msg: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"webfarm_nodes: {msg}")


def _address(name: str, hvars: Mapping[str, Any], address_var: str) -> ipaddress.IPv4Address:
    raw = hvars.get(address_var)
    if raw in (None, ""):
        fallback = hvars.get("ansible_host")
        try:
            return ipaddress.IPv4Address(str(fallback))
        except ValueError:
            raise _fail(
                f"host '{name}' has no {address_var}, and its ansible_host "
                f"{fallback!r} is not an IPv4 address: set {address_var} for '{name}' in the inventory"
            ) from None
    try:
        addr = ipaddress.IPv4Address(str(raw).strip())
    except ValueError:
        raise _fail(f"host '{name}': {address_var} {raw!r} is not a valid IPv4 address") from None
    if addr.is_unspecified or addr.is_loopback or addr.is_multicast or addr == ipaddress.IPv4Address("255.255.255.255"):
        raise _fail(
            f"host '{name}': {address_var} {raw!r} cannot be a node address (unspecified, loopback, multicast or broadcast)"
        )
    return addr


def _port(name: str, hvars: Mapping[str, Any], port_var: str, default_port: int) -> int:
    raw = hvars.get(port_var, default_port)
    if isinstance(raw, bool):
        raise _fail(f"host '{name}': {port_var} {raw!r} is not a port number")
    try:
        port = int(str(raw).strip())
    except ValueError:
        raise _fail(f"host '{name}': {port_var} {raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise _fail(f"host '{name}': {port_var} {port} is outside 1-65535")
    return port


def _network(subnet: str | None) -> ipaddress.IPv4Network | None:
    if subnet in (None, ""):
        return None
    try:
        return ipaddress.IPv4Network(str(subnet), strict=True)
    except ValueError as exc:
        raise _fail(f"subnet {subnet!r} is not an IPv4 network in CIDR form ({exc})") from None


def webfarm_nodes(
    hosts: Sequence[str],
    hostvars: Mapping[str, Mapping[str, Any]],
    address_var: str = "webfarm_address",
    port_var: str = "web_node_port",
    default_port: int = 80,
    subnet: str | None = None,
) -> list[dict[str, Any]]:
    """Return the members of a group as [{name, address, port}], in order.

    Example::

        {{ groups['web_farm'] | webfarm_nodes(hostvars) }}
        -> [{'name': 'web1', 'address': '10.213.0.11', 'port': 80}, ...]

    address_var names the host variable holding the node's service address;
    when it is unset, ansible_host is used if it is an IPv4 address. port_var
    holds the port (default_port when unset). With subnet, every address must
    be a host address of that CIDR network other than its first, which is
    the gateway (the lab's docker network).
    Duplicate or invalid addresses raise AnsibleFilterError.
    """
    if isinstance(hosts, (str, bytes)) or not isinstance(hosts, Sequence):
        raise _fail(f"expects a list of host names (for example groups['web_farm']), got {type(hosts).__name__} {hosts!r}")
    network = _network(subnet)
    nodes: list[dict[str, Any]] = []
    owner: dict[ipaddress.IPv4Address, str] = {}
    seen: set[str] = set()
    for name in hosts:
        name = str(name)
        if name in seen:
            raise _fail(f"host '{name}' is listed twice")
        seen.add(name)
        if name not in hostvars:
            raise _fail(f"host '{name}' is not in the inventory")
        hvars = hostvars[name]
        addr = _address(name, hvars, address_var)
        if network is not None:
            if addr not in network or addr in (network.network_address, network.broadcast_address):
                raise _fail(f"host '{name}': {address_var} {addr} is not a host address of the subnet {network}")
            if addr == network.network_address + 1:
                raise _fail(f"host '{name}': {address_var} {addr} is the gateway of the subnet {network}: use another address")
        if addr in owner:
            raise _fail(f"hosts '{owner[addr]}' and '{name}' share the address {addr}: give each node its own {address_var}")
        owner[addr] = name
        nodes.append({"name": name, "address": str(addr), "port": _port(name, hvars, port_var, default_port)})
    return nodes


class FilterModule:
    """webfarm inventory filters."""

    def filters(self) -> dict[str, Any]:
        return {"webfarm_nodes": webfarm_nodes}
