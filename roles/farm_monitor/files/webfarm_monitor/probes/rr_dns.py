"""The round-robin DNS panel: the records each name server publishes, A and AAAA."""
from __future__ import annotations

import ipaddress
import json
import time
from typing import Any

from ..readings import Reading, row


def ip_order(address: str) -> tuple[int, int]:
    """IPv4 addresses first, each family in numeric order."""
    ip = ipaddress.ip_address(address)
    return ip.version, int(ip)


def dns_server(server: dict[str, Any], names: list[str], timeout: float) -> Reading:
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    records: dict[str, list[str]] = {}
    took = 0.0
    try:
        for name in names:
            found: set[str] = set()
            # Both families: a dual-stack name's AAAA records beside its A records.
            for rtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                t0 = time.monotonic()
                answer = dns.query.udp(dns.message.make_query(name, rtype), server["address"], timeout=timeout,
                                       port=int(server.get("port", 53)))
                took = max(took, time.monotonic() - t0)
                if answer.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    raise OSError(f"{name}: {dns.rcode.to_text(answer.rcode())}")
                found |= {str(ipaddress.ip_address(rd.address)) for rrset in answer.answer if rrset.rdtype == rtype
                          for rd in rrset}
            records[name] = sorted(found, key=ip_order)
    except (OSError, dns.exception.DNSException) as e:
        return row("dns", server["name"], state="down", detail=f"no answer ({type(e).__name__}: {e})")
    detail = "; ".join(f"{n.split('.')[0]}: {' '.join(a) or 'none'}" for n, a in records.items())
    empty = [n for n, a in records.items() if not a]
    return row("dns", server["name"], state="degraded" if empty else "up", detail=detail,
               value=json.dumps(records, sort_keys=True), latency_ms=round(took * 1000, 1), extra={"records": records})
