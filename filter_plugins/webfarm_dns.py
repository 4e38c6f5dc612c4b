"""webfarm DNS filters: the records Ansible owns in a round-robin zone.

Pure functions of their inputs. Bad input raises AnsibleFilterError naming
the variable and the value, before any host changes.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils.addresses import host_address6
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import filter_table
from ansible_collections.webfarm.cluster.plugins.module_utils.dns_names import TYPES, webfarm_dns_name_problem


def _fail(msg: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"webfarm_dns_records: {msg}")


def webfarm_dns_records(
    servers: Sequence[str],
    hostvars: Mapping[str, Mapping[str, Any]],
    zone: str,
    service_name: str,
    extra: Sequence[Mapping[str, Any]] = (),
    ns_name_var: str = "dns_server_ns_name",
    kept: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The static records of the zone: NS at the apex for each server, an A
    record for each server's name (its webfarm_address) and an AAAA where it
    declares webfarm_address6, then the extra records. The service name's A
    and AAAA records are the health checker's, so an extra record there is
    refused; so are the A records of the names in
    ``kept``, which another owner keeps by signed update (the delegated
    names). A CNAME must be its name's only record, and holds one name; a
    record's ttl is a whole number of seconds, 0 to 2147483647 (RFC 2181).

    Example::

        {{ groups['rr_dns'] | webfarm_dns_records(hostvars, 'webfarm.test', 'www', dns_server_records) }}
        -> [{'name': '@', 'type': 'NS', 'values': ['dns1.webfarm.test.', 'dns2.webfarm.test.']},
            {'name': 'dns1', 'type': 'A', 'values': ['10.213.0.21']}, ...]
    """
    problem = webfarm_dns_name_problem(zone)
    if problem:
        raise _fail(f"the zone {zone!r} {problem}")
    problem = webfarm_dns_name_problem(service_name, relative=True)
    if problem or service_name == "@":
        raise _fail(f"the service name {service_name!r} {problem or 'must be a name inside the zone, not its apex'}")
    if isinstance(servers, (str, bytes)) or not servers:
        raise _fail(f"the name servers must be a non-empty list of inventory hosts, got {servers!r}")
    zone = zone.rstrip(".").lower()
    names, records = [], []
    for server in servers:
        if server not in hostvars:
            raise _fail(f"the name server '{server}' is not in the inventory")
        hvars = hostvars[server]
        name = str(hvars.get(ns_name_var) or server).lower()
        problem = webfarm_dns_name_problem(name, relative=True)
        if problem:
            raise _fail(f"host '{server}': {ns_name_var} {name!r} {problem}")
        address = hvars.get("webfarm_address") or hvars.get("ansible_host")
        try:
            ipaddress.IPv4Address(str(address))
        except ValueError:
            raise _fail(f"name server '{server}' needs an IPv4 webfarm_address, got {address!r}") from None
        names.append(f"{name}.{zone}.")
        records.append({"name": name, "type": "A", "values": [str(address)]})
        try:
            address6 = host_address6(server, hvars)
        except ValueError as exc:
            raise _fail(f"name server {server}: {exc}") from None
        if address6:
            records.append({"name": name, "type": "AAAA", "values": [address6]})
    records.insert(0, {"name": "@", "type": "NS", "values": names})
    taken = {(r["name"], r["type"]) for r in records}
    kept = [str(k).lower() for k in kept or []]
    cnames: list[tuple[int, str]] = []
    for i, rec in enumerate(extra or []):
        if not isinstance(rec, Mapping) or "name" not in rec:
            raise _fail(f"dns_server_records[{i}] must be a mapping with name, type and values, got {rec!r}")
        name, rtype = str(rec["name"]).lower(), str(rec.get("type", "A")).upper()
        problem = webfarm_dns_name_problem(name, relative=True)
        if problem:
            raise _fail(f"dns_server_records[{i}]: the name {name!r} {problem}")
        if rtype not in TYPES:
            raise _fail(f"dns_server_records[{i}] ({name}): type {rtype} is not one of {', '.join(TYPES)}")
        values = rec.get("values", rec.get("value"))
        if values in (None, "", []):
            raise _fail(f"dns_server_records[{i}] ({name} {rtype}) has no value")
        if name == service_name.lower() and rtype in ("A", "AAAA"):
            raise _fail(f"dns_server_records[{i}]: {name} {rtype} belongs to the health checker (the service name)")
        if (name, rtype) in taken:
            raise _fail(f"dns_server_records[{i}]: {name} {rtype} is set twice (the name servers' own records are automatic)")
        if name in kept and rtype == "A":
            raise _fail(f"dns_server_records[{i}]: {name} A belongs to the name's delegated owner (dns_server_delegated_names)")
        taken.add((name, rtype))
        out = {"name": name, "type": rtype, "values": [values] if isinstance(values, str) else list(values)}
        if rtype == "CNAME":
            if len(out["values"]) != 1:
                raise _fail(f"dns_server_records[{i}] ({name} CNAME) has {len(out['values'])} values: a CNAME names one target")
            cnames.append((i, name))
        if "ttl" in rec:
            out["ttl"] = _ttl(rec["ttl"], f"dns_server_records[{i}] ({name} {rtype})")
        records.append(out)
    for i, name in cnames:
        beside = sorted({r["type"] for r in records if r["name"] == name and r["type"] != "CNAME"})
        owner = ("the health checker's A and AAAA records (the service name)" if name == service_name.lower()
                 else "the A record its delegated owner keeps" if name in kept
                 else f"its {', '.join(beside)} record{'s' if len(beside) > 1 else ''}" if beside else "")
        if owner:
            raise _fail(f"dns_server_records[{i}]: {name} CNAME sits beside {owner}: a CNAME must be the only record of "
                        "its name (RFC 1034); give the alias a name of its own")
    return records


def _ttl(value: Any, where: str) -> int:
    """A record's TTL as an int, or an error naming the record."""
    try:
        ttl = int(str(value).strip()) if not isinstance(value, (bool, float)) else None
    except ValueError:
        ttl = None
    if ttl is None or not 0 <= ttl <= 2147483647:
        raise _fail(f"{where}: ttl {value!r} must be a whole number of seconds, 0 to 2147483647")
    return ttl


class FilterModule:
    """webfarm DNS filters."""

    def filters(self) -> dict[str, Any]:
        return filter_table(webfarm_dns_records, webfarm_dns_name_problem)
