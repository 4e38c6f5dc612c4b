"""webfarm VRRP filters: keepalived instances for the balancers' virtual IPs.

Pure functions of their inputs. Bad input raises AnsibleFilterError naming
the variable and the value, before any host changes.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils.addresses import is_ipv6, unusable6
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import filter_table


def _fail(msg: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"webfarm_vrrp_instances: {msg}")


def webfarm_vrrp_instances(vips: Any, balancers: Sequence[str], network: str, var: str = "lb_keepalived_vips",
                   top_priority: int = 250, step: int = 10, network6: str | None = None) -> list[dict[str, Any]]:
    """One VRRP instance per virtual IP and address family, each VIP with a different master.

    Example::

        {{ lb_keepalived_vips | webfarm_vrrp_instances(['lb1', 'lb2'], '10.213.0.0/24', network6='fd00:213::/64') }}
        -> [{'name': 'webfarm_51', 'family': 4, 'address': '10.213.0.200', 'prefix': 24, 'router_id': 51,
             'master': 'lb1', 'priorities': {'lb1': 250, 'lb2': 240}},
            {'name': 'webfarm_51_6', 'family': 6, 'address': 'fd00:213::200', 'prefix': 64, ...}, ...]

    ``vips`` is a list of ``{address, router_id}`` (``address`` may carry a
    /prefix; the default is the network's), each with an optional
    ``address6``, the same VIP's IPv6 address. VIP number i is mastered by
    balancer i modulo their count, the others follow in turn with
    decreasing priority: with two VIPs on two balancers, each is master of
    one and backup of the other. Every address must be a host address of
    ``network`` (the balancers' own subnet: a VIP moves by ARP on one L2
    segment), unique, and not a balancer's; router ids 1-255, unique.

    keepalived runs one instance per address family (VRRPv3 over IPv6 is a
    protocol of its own, RFC 5798): a VIP with ``address6`` gets a second
    instance, ``webfarm_<id>_6``, with the same router id (the families'
    ids are separate spaces), master and priorities, so both families move
    together and the active/active layout holds for each. Its address must
    lie in ``network6``, the balancers' IPv6 prefix (their own
    ``webfarm_address6``); without one, an IPv6 VIP is refused.

    The top priority is near VRRP's highest (255 is for an address's owner):
    a backup waits 3 adverts plus a skew of (256 - priority) / 256 of one
    (RFC 5798), 0.006 s at 240 where it was 0.045 s at 140.
    """
    if isinstance(vips, (str, bytes, Mapping)) or not isinstance(vips, Sequence) or not vips:
        raise _fail(f"{var} must be a non-empty list of {{address, router_id}}, got {vips!r}")
    if isinstance(balancers, (str, bytes)) or not balancers:
        raise _fail(f"the balancers must be a non-empty list of hosts, got {balancers!r}")
    try:
        net = ipaddress.IPv4Network(str(network), strict=False)
    except ValueError:
        raise _fail(f"the balancers' network {network!r} is not an IPv4 network") from None
    net6 = None
    if network6 not in (None, ""):
        try:
            net6 = ipaddress.IPv6Network(str(network6), strict=False)
        except ValueError:
            raise _fail(f"the balancers' IPv6 prefix {network6!r} is not an IPv6 network") from None
    seen_addr: dict[str, int] = {}
    seen_id: dict[int, int] = {}
    out = []
    for i, vip in enumerate(vips):
        where = f"{var}[{i}]"
        if not isinstance(vip, Mapping) or "address" not in vip or "router_id" not in vip:
            raise _fail(f"{where} must be a mapping with address and router_id, got {vip!r}")
        try:
            iface = ipaddress.IPv4Interface(str(vip["address"]).strip())
        except ValueError:
            if is_ipv6(vip["address"]):
                raise _fail(f"{where}.address = {vip['address']!r}: an IPv6 address has no instance here: put it in "
                            f"{where}.address6 (keepalived runs one instance per family)") from None
            raise _fail(f"{where}.address = {vip['address']!r}: not an IPv4 address") from None
        addr = iface.ip
        prefix = iface.network.prefixlen if "/" in str(vip["address"]) else net.prefixlen
        if addr not in net or addr in (net.network_address, net.broadcast_address):
            raise _fail(f"{where}.address = {str(addr)!r}: outside the balancers' subnet {net} "
                        f"(a VIP moves by ARP on the balancers' own segment)")
        if str(addr) in seen_addr:
            raise _fail(f"{where}.address = {str(addr)!r}: already {var}[{seen_addr[str(addr)]}]")
        seen_addr[str(addr)] = i
        rid = vip["router_id"]
        if isinstance(rid, bool) or not str(rid).strip().isdigit() or not 1 <= int(str(rid)) <= 255:
            raise _fail(f"{where}.router_id = {rid!r}: must be a VRRP router id from 1 to 255")
        rid = int(str(rid))
        if rid in seen_id:
            raise _fail(f"{where}.router_id = {rid}: already the router id of {var}[{seen_id[rid]}] "
                        f"(each VIP needs its own VRRP instance)")
        seen_id[rid] = i
        order = [balancers[(i + k) % len(balancers)] for k in range(len(balancers))]
        instance = {
            "name": f"webfarm_{rid}",
            "family": 4,
            "address": str(addr),
            "prefix": prefix,
            "router_id": rid,
            "master": order[0],
            "priorities": {host: top_priority - k * step for k, host in enumerate(order)},
        }
        out.append(instance)
        if vip.get("address6") not in (None, ""):
            addr6 = _vip6(vip["address6"], f"{where}.address6", net6)
            if addr6 in seen_addr:
                raise _fail(f"{where}.address6 = {addr6!r}: already {var}[{seen_addr[addr6]}]")
            seen_addr[addr6] = i
            out.append({**instance, "name": f"webfarm_{rid}_6", "family": 6, "address": addr6,
                        "prefix": net6.prefixlen if net6 else 64})
    return out



def _vip6(value: Any, where: str, net6: ipaddress.IPv6Network | None) -> str:
    """An IPv6 VIP's address, compressed, checked against the balancers' prefix."""
    raw = str(value).strip()
    try:
        addr = ipaddress.IPv6Address(raw)
    except ValueError:
        try:
            ipaddress.IPv4Address(raw)
        except ValueError:
            raise _fail(f"{where} = {value!r}: not an IPv6 address") from None
        raise _fail(f"{where} = {value!r}: an IPv4 address has no instance here: put it in address "
                    "(keepalived runs one instance per family)") from None
    why = unusable6(addr)
    if why:
        raise _fail(f"{where} = {str(addr)!r} cannot be a virtual IP: {why}")
    if net6 is None:
        raise _fail(f"{where} = {str(addr)!r}: the balancers have no IPv6 address to send its adverts from: "
                    "give each balancer its webfarm_address6 in the VIP's prefix")
    if addr not in net6 or addr == net6.network_address:
        raise _fail(f"{where} = {str(addr)!r}: outside the balancers' IPv6 prefix {net6} "
                    "(a VIP moves by neighbour advertisement on the balancers' own segment)")
    return addr.compressed


def webfarm_vrrp_masters(vips: Sequence[Mapping[str, Any]], balancers: Sequence[str]) -> dict[str, str]:
    """Each VIP's address (without prefix), and its IPv6 address where it has
    one, with the balancer that masters it, by the rule of
    ``webfarm_vrrp_instances`` (VIP i: balancer i modulo their count).

    Example::

        {{ lb_keepalived_vips | webfarm_vrrp_masters(['lb1', 'lb2']) }}
        -> {'10.213.0.200': 'lb1', 'fd00:213::200': 'lb1', '10.213.0.201': 'lb2'}
    """
    if isinstance(balancers, (str, bytes)) or not balancers:
        raise _fail(f"the balancers must be a non-empty list of hosts, got {balancers!r}")
    out = {}
    for i, vip in enumerate(vips):
        out[str(vip["address"]).split("/")[0]] = balancers[i % len(balancers)]
        if vip.get("address6") not in (None, ""):
            out[ipaddress.IPv6Address(str(vip["address6"]).strip()).compressed] = balancers[i % len(balancers)]
    return out


class FilterModule:
    """webfarm VRRP filters."""

    def filters(self) -> dict[str, Any]:
        return filter_table(webfarm_vrrp_instances, webfarm_vrrp_masters)
