"""The round-robin DNS servers' rows in the lab's status table: each shows
the records it serves for the service name right now."""
from __future__ import annotations

import random
import socket

from lab.inventory import Host
from lab.loadgen import dns_answer, dns_query
from lab.status import Role


def service_records(host: Host) -> tuple[bool, str]:
    zone = str(host.var("dns_server_zone")).rstrip(".")
    name = f"{host.var('dns_server_service_name')}.{zone}"
    qid = random.randrange(1 << 16)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(2)
            sock.connect((host.address, 53))
            sock.send(dns_query(qid, name))
            rcode, addresses = dns_answer(qid, sock.recv(4096))
    except (OSError, ValueError) as exc:
        return False, f"no answer ({type(exc).__name__})"
    return rcode == 0 and bool(addresses), f"{name} A {' '.join(addresses) or '(none)'}"


ROLES = {"rr_dns": Role("DNS server (BIND)", lambda h: f"dns://{h.address}", service_records)}
