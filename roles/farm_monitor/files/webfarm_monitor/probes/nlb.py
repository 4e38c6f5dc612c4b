"""The balancers' panel: HAProxy's stats as each balancer sees its servers,
who answers at each VIP, the certificate each VIP serves, and how each
balancer's ACME renewal last went."""
from __future__ import annotations

import csv
import datetime
import hashlib
import io
import socket
import ssl
import subprocess
from collections.abc import Iterable
from typing import Any

from ..readings import Reading, http_get, row, ssh_reading, unknown


def parse_stats_csv(text: str) -> list[dict[str, str]]:
    """HAProxy's `;csv` stats: one dict per line (pxname, svname, status, ...)."""
    lines = text.lstrip().splitlines()
    if not lines or not lines[0].startswith("# pxname"):
        raise ValueError("not HAProxy stats CSV")
    lines[0] = lines[0][2:]
    return [dict(row) for row in csv.DictReader(io.StringIO("\n".join(lines)))]


def backend_view(rows: Iterable[dict[str, str]], servers: Iterable[str]) -> dict[str, dict[str, str]]:
    """server -> {backend: status} for the named servers (HAProxy's status
    column: UP, DOWN, MAINT, UP 1/2 going down, ...)."""
    wanted = set(servers)
    view: dict[str, dict[str, str]] = {s: {} for s in wanted}
    for line in rows:
        if line.get("svname") in wanted:
            view[line["svname"]][line["pxname"]] = line.get("status", "")
    return view


def server_state(statuses: dict[str, str]) -> tuple[str, str]:
    """One server across a balancer's backends: up when UP in all, down when in none."""
    if not statuses:
        return "unknown", "in no backend"
    up = [b for b, s in statuses.items() if s.startswith("UP") or s == "no check"]
    maint = [b for b, s in statuses.items() if s.startswith("MAINT") or s.startswith("DRAIN")]
    n = len(statuses)
    detail = (f"UP in all {n} backends" if len(up) == n else f"DOWN in all {n} backends" if not up and not maint
              else f"UP in {len(up)}/{n} backends") + (f", {len(maint)} in maintenance" if maint else "")
    return ("up" if len(up) == n else "down" if not up and not maint else "degraded"), detail


def balancer(lb: dict[str, Any], servers: list[str], auth: tuple[str, str], timeout: float) -> list[Reading]:
    backends = [row("backend", lb["name"], s) for s in servers]
    try:
        status, body, took = http_get(lb["address"], lb["stats_port"], "/stats;csv", timeout, auth)
        if status in (401, 403):
            return [row("balancer", lb["name"], detail=f"stats refused the monitor ({status})")] + \
                [unknown(b, f"{lb['name']}'s stats refused the monitor") for b in backends]
        if status != 200:
            raise OSError(f"stats answered {status}")
        view = backend_view(parse_stats_csv(body), servers)
    except (OSError, ValueError) as e:
        return [row("balancer", lb["name"], state="down", detail=f"stats: {e}")] + \
            [unknown(b, f"{lb['name']}'s stats unreadable") for b in backends]
    out = []
    for s, b in zip(servers, backends, strict=True):
        state, detail = server_state(view[s])
        b.state, b.detail, b.extra = state, detail, {"backends": view[s]}
        out.append(b)
    fine = sum(1 for b in out if b.state == "up")
    return [row("balancer", lb["name"], state="up", detail=f"{fine}/{len(out)} nodes UP in every backend",
                latency_ms=round(took * 1000, 1),
                extra={"stats_url": f"http://{lb['address']}:{lb['stats_port']}/stats"})] + out


def vip(address: str, port: int, path: str, timeout: float) -> Reading:
    try:
        status, body, took = http_get(address, port, path, timeout)
    except OSError as e:
        return row("vip", address, state="down", detail=f"no answer ({e})")
    holder = body.strip()[:40] if status == 200 else None
    if not holder:
        return row("vip", address, state="degraded", detail=f"answered {status} without its holder")
    return row("vip", address, state="up", detail=f"held by {holder}", value=holder, latency_ms=round(took * 1000, 1))


def served_certificate(address: str, port: int, name: str, timeout: float) -> bytes:
    """The leaf (DER) the address serves for name (SNI; none when name is
    empty), unverified: what is served is what the row shows."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((address, port), timeout=timeout) as sock:
        with ctx.wrap_socket(sock, server_hostname=name or None) as tls:
            der = tls.getpeercert(binary_form=True)
    if not der:
        raise OSError("no certificate")
    return der


def certificate_facts(der: bytes) -> dict[str, Any]:
    """Issuer, subject and end of validity of a certificate (openssl x509)."""
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-issuer", "-subject", "-enddate",
                          "-nameopt", "RFC2253"], input=der, capture_output=True, check=False, timeout=5)
    if out.returncode != 0:
        raise ValueError(out.stderr.decode(errors="replace").strip() or "not a certificate")
    fields = dict(line.split("=", 1) for line in out.stdout.decode().splitlines() if "=" in line)
    end = datetime.datetime.strptime(fields["notAfter"].strip(), "%b %d %H:%M:%S %Y %Z").replace(tzinfo=datetime.UTC)
    return {"issuer": fields["issuer"].strip(), "subject": fields["subject"].strip(), "not_after": end,
            "fingerprint": hashlib.sha256(der).hexdigest()}


def certificate_reading(address: str, name: str, facts: dict[str, Any], margin: float,
                        now: datetime.datetime) -> Reading:
    """Up with more than margin seconds left; degraded within it or on the
    ACME renewal's self-signed stand-in; down once expired."""
    left = (facts["not_after"] - now).total_seconds()
    days = left / 86400
    issuer = facts["issuer"].removeprefix("CN=")
    detail = (f"{name or 'no name asked'}: {issuer}, {days:.1f} days left "
              f"(until {facts['not_after']:%Y-%m-%d %H:%M} UTC)")
    if left <= 0:
        state, detail = "down", f"{name or 'no name asked'}: {issuer}, EXPIRED {facts['not_after']:%Y-%m-%d %H:%M} UTC"
    elif "webfarm placeholder" in facts["issuer"]:
        state, detail = "degraded", f"{name}: the self-signed stand-in, no certificate from the ACME directory yet"
    elif left <= margin:
        state = "degraded"
        detail += f", within the monitor's margin of {margin / 86400:g} days"
    else:
        state = "up"
    return row("certificate", address, state=state, detail=detail, value=facts["fingerprint"][:16],
               extra={"issuer": facts["issuer"], "subject": facts["subject"], "name": name,
                      "not_after": facts["not_after"].isoformat(), "days_left": round(days, 2)})


def certificate(address: str, port: int, name: str, margin: float, timeout: float) -> Reading:
    host = f"[{address}]" if ":" in address else address
    try:
        facts = certificate_facts(served_certificate(address, port, name, timeout))
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        return row("certificate", address, state="down", detail=f"{name or 'HTTPS'} at {host}:{port}: no certificate ({e})")
    return certificate_reading(address, name, facts, margin, datetime.datetime.now(datetime.UTC))


def acme_reading(name: str, state: dict[str, Any]) -> Reading:
    """A balancer's ACME renewal from `webfarm-acme status`: each
    certificate's last run; degraded with the reason when one failed."""
    certs = state.get("certificates") or {}
    failed = {c: (v.get("last") or {}) for c, v in certs.items() if (v.get("last") or {}).get("ok") is False}
    runs = [v.get("last") for v in certs.values() if v.get("last")]
    role = "renews" if state.get("leader") else "stands by"
    if failed:
        why = "; ".join(f"{c}: {last.get('error', '?')}" for c, last in failed.items())
        return row("acme", name, state="degraded", detail=f"{role}; the last renewal FAILED, the live certificate "
                   f"keeps serving: {why}"[:400], value="failed", extra={"last": {c: certs[c].get("last") for c in certs}})
    if not runs:
        return row("acme", name, state="up", detail=f"{role}; no run here yet", value="ok")
    at = max(str(r.get("at", "")) for r in runs)
    return row("acme", name, state="up", detail=f"{role}; last run {at[:19].replace('T', ' ')} UTC: ok", value="ok",
               extra={"last": {c: certs[c].get("last") for c in certs}})


def acme(lb: dict[str, Any], ssh: dict[str, Any], timeout: float) -> Reading:
    return ssh_reading("acme", lb["name"], ssh, lb["address"], timeout, acme_reading)
