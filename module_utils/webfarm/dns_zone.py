"""Declarative records of a dynamic DNS zone: compare, then change only the difference.

A zone that takes dynamic updates belongs to its name server: its file is
never rewritten. Instead the zone is read by a signed transfer (AXFR), the
records someone declares are compared with it rrset by rrset, and only the
difference is sent as one signed update (RFC 2136): the serial moves only
when a record really changes. Rrsets that another owner manages (``keep``)
are never touched; the SOA is changed only where a declared field (its
name server, contact or timers) differs, one serial above the zone's.

Pure functions take and return plain data; the few that talk DNS take the
dnspython callables they use as parameters, so unit tests need no server.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.webfarm.cluster.plugins.module_utils.dns_names import TYPES

# The SOA's fields besides the serial (the server moves that one).
SOA_FIELDS = ("mname", "rname", "refresh", "retry", "expire", "minimum")


@dataclass(frozen=True)
class RRset:
    """One rrset: owner name (absolute, lower case), type, TTL and values
    (canonical text, sorted)."""

    name: str
    rtype: str
    ttl: int
    values: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.rtype)

    def lines(self) -> list[str]:
        return [f"{self.name} {self.ttl} IN {self.rtype} {v}" for v in self.values]


@dataclass(frozen=True)
class Plan:
    """What an update must do: replace (or add) these rrsets, delete those."""

    replace: tuple[RRset, ...]
    delete: tuple[RRset, ...]
    soa: str | None = None  # the SOA's new text, when a declared field differs

    @property
    def changed(self) -> bool:
        return bool(self.replace or self.delete or self.soa)


def absolute(name: str, zone: str) -> str:
    """An owner name made absolute in zone: '@' is the apex, 'www' is
    'www.<zone>.', a name ending in a dot stays as it is. Lower case."""
    zone = zone.rstrip(".").lower() + "."
    name = str(name).strip().lower()
    if name in ("@", "", zone):
        return zone
    if name.endswith("."):
        if name != zone and not name.endswith("." + zone):
            raise ValueError(f"{name} is not inside the zone {zone}")
        return name
    return f"{name}.{zone}"


def desired_rrsets(records: Iterable[Mapping[str, Any]], zone: str, default_ttl: int,
                   canonical: Callable[[str, str], str]) -> dict[tuple[str, str], RRset]:
    """The declared records as rrsets keyed by (name, type).

    Each record is {name, type, values (list) or value, ttl?}; records with
    one name and type merge into one rrset, which must then agree on its TTL.
    canonical(type, value) returns the value's canonical text.
    """
    merged: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for rec in records:
        rtype = str(rec.get("type", "A")).upper()
        if rtype not in TYPES:
            raise ValueError(f"record {rec.get('name')!r}: type {rtype} is not one of {', '.join(TYPES)}")
        name = absolute(rec.get("name", "@"), zone)
        raw = rec.get("values", rec.get("value"))
        values = [raw] if isinstance(raw, str) else list(raw or [])
        if not values:
            raise ValueError(f"record {name} {rtype} has no value")
        ttl = int(rec.get("ttl", default_ttl))
        if ttl < 0:
            raise ValueError(f"record {name} {rtype}: ttl {ttl} is negative")
        canon = {canonical(rtype, str(v)) for v in values}
        if (name, rtype) in merged:
            old_ttl, old = merged[(name, rtype)]
            if old_ttl != ttl:
                raise ValueError(f"record {name} {rtype} is declared with two TTLs, {old_ttl} and {ttl}")
            canon |= old
        merged[(name, rtype)] = (ttl, canon)
    return {key: RRset(key[0], key[1], ttl, tuple(sorted(vals))) for key, (ttl, vals) in merged.items()}


def plan(current: Mapping[tuple[str, str], RRset], desired: Mapping[tuple[str, str], RRset],
         keep: Iterable[tuple[str, str]] = (), purge: bool = True) -> Plan:
    """Compare rrset by rrset. SOA and the kept rrsets are never planned;
    with purge, current rrsets nobody declares are deleted."""
    keep = set(keep)
    owned = [k for k in desired if k not in keep and k[1] != "SOA"]
    replace = tuple(desired[k] for k in sorted(owned) if current.get(k) != desired[k])
    delete: tuple[RRset, ...] = ()
    if purge:
        delete = tuple(current[k] for k in sorted(current) if k not in desired and k not in keep and k[1] != "SOA")
    return Plan(replace, delete)


def soa_plan(current: Mapping[str, Any], wanted: Mapping[str, Any], zone: str) -> str | None:
    """The SOA's new text when a field declared in wanted differs from the
    zone's (current: the SOA's fields and serial), with the serial one above
    the zone's (a lower or equal serial would be ignored, RFC 2136 3.4.2.2);
    None when every declared field agrees. Names are made absolute in zone.

    >>> now = {"mname": "ns1.w.test.", "rname": "hostmaster.w.test.", "serial": 7,
    ...        "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60}
    >>> soa_plan(now, {"retry": 600, "mname": "ns1"}, "w.test") is None
    True
    >>> soa_plan(now, {"retry": 900}, "w.test")
    'ns1.w.test. hostmaster.w.test. 8 3600 900 86400 60'
    """
    unknown = sorted(set(wanted) - set(SOA_FIELDS))
    if unknown:
        raise ValueError(f"soa: unknown field {', '.join(unknown)} (known: {', '.join(SOA_FIELDS)})")
    zone = zone.rstrip(".").lower() + "."
    merged = dict(current)
    for field, value in wanted.items():
        if field in ("mname", "rname"):
            name = str(value).strip().lower()
            if not name or " " in name:
                raise ValueError(f"soa.{field} {value!r}: must be a domain name")
            merged[field] = name if name.endswith(".") else f"{name}.{zone}"
        else:
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise ValueError(f"soa.{field} {value!r}: must be a number of seconds") from None
            if not 0 <= number <= 2**31 - 1:
                raise ValueError(f"soa.{field} {value}: must be 0 to 2147483647 seconds")
            merged[field] = number
    if all(merged[f] == current[f] for f in SOA_FIELDS):
        return None
    serial = (int(current["serial"]) + 1) % 2**32
    return " ".join(str(merged[f]) for f in ("mname", "rname")) + f" {serial} " + \
        " ".join(str(merged[f]) for f in SOA_FIELDS[2:])


def soa_fields(rdata: Any) -> dict[str, Any]:
    """The fields of a dnspython SOA rdata, names absolute and lower case."""
    return {"mname": rdata.mname.to_text().lower(), "rname": rdata.rname.to_text().lower(),
            "serial": int(rdata.serial), "refresh": int(rdata.refresh), "retry": int(rdata.retry),
            "expire": int(rdata.expire), "minimum": int(rdata.minimum)}


def rrsets_from_zone(zone_obj: Any) -> dict[tuple[str, str], RRset]:
    """Rrsets of a dnspython Zone (from a transfer), names absolute."""
    out: dict[tuple[str, str], RRset] = {}
    origin = zone_obj.origin
    for name, rdataset in zone_obj.iterate_rdatasets():
        owner = name.derelativize(origin).to_text().lower()
        rtype = _type_text(rdataset.rdtype)
        values = tuple(sorted(r.to_text(origin=origin, relativize=False) for r in rdataset))
        out[(owner, rtype)] = RRset(owner, rtype, int(rdataset.ttl), values)
    return out


def _type_text(rdtype: Any) -> str:
    import dns.rdatatype

    return dns.rdatatype.to_text(rdtype)


def canonicalizer(zone: str) -> Callable[[str, str], str]:
    """canonical(type, value): a value as the name server prints it, names absolute."""
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype

    origin = dns.name.from_text(zone)

    def canonical(rtype: str, value: str) -> str:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), value, origin=origin)
        return rdata.to_text(origin=origin, relativize=False)

    return canonical


def update_message(zone: str, the_plan: Plan, keyring: Any, keyname: str, keyalgorithm: str,
                   soa_ttl: int = 3600) -> Any:
    """One signed dnspython Update doing the whole plan (the SOA keeps soa_ttl)."""
    import dns.update

    msg = dns.update.Update(zone, keyring=keyring, keyname=keyname, keyalgorithm=keyalgorithm)
    for rr in the_plan.delete:
        msg.delete(rr.name, rr.rtype)
    for rr in the_plan.replace:
        msg.replace(rr.name, rr.ttl, rr.rtype, *rr.values)
    if the_plan.soa:
        msg.replace(zone.rstrip(".") + ".", soa_ttl, "SOA", the_plan.soa)
    return msg


def render(rrsets: Sequence[RRset]) -> str:
    """Zone-file lines of rrsets, for a diff."""
    return "".join(line + "\n" for rr in sorted(rrsets, key=lambda r: r.key) for line in rr.lines())
