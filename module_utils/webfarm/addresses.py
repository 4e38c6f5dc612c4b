"""A host's address and ports: one rule for the plays, the filters and the lab.

A host's address is its ``webfarm_address``, else its ``ansible_host`` when
that is an IPv4 address. A host may also declare an IPv6 service address,
``webfarm_address6`` (dual stack); there is no fallback for it. Pure
functions; bad input raises ValueError naming the host and the variable (the
filters turn it into AnsibleFilterError).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from ansible_collections.webfarm.cluster.plugins.module_utils.checks import whole_number

ADDRESS_VAR = "webfarm_address"
ADDRESS6_VAR = "webfarm_address6"


def unusable(addr: ipaddress.IPv4Address) -> bool:
    return addr.is_unspecified or addr.is_loopback or addr.is_multicast or addr == ipaddress.IPv4Address("255.255.255.255")


def host_address(name: str, hvars: Mapping[str, Any], address_var: str = ADDRESS_VAR) -> str:
    """The address of host ``name``: ``address_var``, else an IPv4 ``ansible_host``.

    Raises ValueError (with the host and variable named) when neither gives a
    usable IPv4 address. The plays and the lab package both use this rule.
    """
    raw = hvars.get(address_var)
    if raw in (None, ""):
        fallback = hvars.get("ansible_host")
        try:
            addr = ipaddress.IPv4Address(str(fallback))
        except ValueError:
            raise ValueError(
                f"host '{name}' has no {address_var}, and its ansible_host {fallback!r} is not an IPv4 address: "
                f"set {address_var} for '{name}' in the inventory"
            ) from None
    else:
        try:
            addr = ipaddress.IPv4Address(str(raw).strip())
        except ValueError:
            raise ValueError(f"host '{name}': {address_var} {raw!r} is not a valid IPv4 address") from None
    if unusable(addr):
        raise ValueError(
            f"host '{name}': {address_var} {str(addr)!r} cannot be a node address (unspecified, loopback, multicast or broadcast)"
        )
    return str(addr)


def is_ipv6(value: Any) -> bool:
    """True when value is an IPv6 address, with or without a /prefix: a VIP
    check uses it to say the address belongs in its IPv6 field."""
    try:
        ipaddress.IPv6Interface(str(value).strip())
    except ValueError:
        return False
    return True


def unusable6(addr: ipaddress.IPv6Address) -> str | None:
    """Why an IPv6 address cannot be a service address, or None if it can."""
    if addr.is_unspecified or addr.is_loopback:
        return "unspecified or loopback"
    if addr.is_multicast:
        return "multicast"
    if addr.is_link_local:
        return "link-local (fe80::/10 is on every interface, and no VIP or name can point at it)"
    if addr.ipv4_mapped is not None or addr.sixtofour is not None or addr.teredo is not None:
        return "an IPv4 address in IPv6 form: give the IPv4 address in webfarm_address"
    if addr.is_site_local or addr.is_reserved:
        return "reserved or deprecated (use a ULA, fd00::/8, or a global address)"
    return None


def host_address6(name: str, hvars: Mapping[str, Any], address_var: str = ADDRESS6_VAR) -> str | None:
    """The IPv6 service address of host ``name``, compressed, or None when it declares none.

    Raises ValueError (with the host and variable named) for anything but a
    unicast ULA or global address: link-local, multicast, loopback,
    unspecified, IPv4-mapped, deprecated site-local, or not IPv6 at all.
    """
    raw = hvars.get(address_var)
    if raw in (None, ""):
        return None
    text = str(raw).strip()
    try:
        addr = ipaddress.IPv6Address(text)
    except ValueError:
        raise ValueError(f"host '{name}': {address_var} {raw!r} is not a valid IPv6 address") from None
    why = unusable6(addr)
    if why:
        raise ValueError(f"host '{name}': {address_var} {str(addr)!r} cannot be a service address: {why}")
    return addr.compressed


def host_port(name: str, hvars: Mapping[str, Any], port_var: str, default_port: int | None) -> int:
    """The port of host ``name``: its ``port_var``, else default_port (1-65535; ValueError naming both otherwise)."""
    raw = hvars.get(port_var, default_port)
    if raw is None:
        raise ValueError(f"host '{name}' has no {port_var} and no default port was given")
    port = whole_number(raw)
    if port is None:
        raise ValueError(f"host '{name}': {port_var} {raw!r} is not a port number")
    if not 1 <= port <= 65535:
        raise ValueError(f"host '{name}': {port_var} {port} is outside 1-65535")
    return port
