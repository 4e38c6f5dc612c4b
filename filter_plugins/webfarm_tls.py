"""webfarm TLS filters: the balancers' certificates, checked on the controller.

Pure functions of their inputs (a certificate given as a file is read from
the controller, where every filter runs). Bad input raises
AnsibleFilterError naming the variable (``lb_haproxy_tls_certificates[0].key``)
and what is wrong, so a certificate that would not serve stops the play
before any host changes: a key that is not the certificate's, a certificate
expired or not valid yet, a file that is not PEM.
"""
from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import checked_entry, filter_table
from cryptography import x509
from cryptography.hazmat.primitives import serialization

CERT_KEYS = {"name", "certificate", "certificate_file", "key", "key_file"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def _fail(msg: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"webfarm_tls: {msg}")


def _pem(var: str, item: Mapping[str, Any], what: str) -> bytes:
    """The PEM text given inline (``what``) or as a controller path (``what_file``)."""
    inline, path = item.get(what), item.get(f"{what}_file")
    if (inline in (None, "")) == (path in (None, "")):
        raise _fail(f"{var}: give exactly one of {what} (the PEM text, for example from Ansible Vault) "
                    f"and {what}_file (a path on the controller)")
    if inline not in (None, ""):
        return str(inline).strip().encode() + b"\n"
    try:
        return Path(str(path)).read_bytes()
    except OSError as exc:
        raise _fail(f"{var}.{what}_file = {str(path)!r}: cannot be read on the controller ({exc.strerror})") from None


def _names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(n) for n in san.get_values_for_type(x509.DNSName)] + \
        [str(n) for n in san.get_values_for_type(x509.IPAddress)]


def webfarm_tls_certificate(item: Any, var: str = "lb_haproxy_tls_certificates[0]",
                    now: datetime.datetime | None = None) -> dict[str, Any]:
    """One certificate entry checked: its chain (leaf first) parses, the key
    is the leaf's, and the leaf is valid now.

    Example::

        {{ {'name': 'www', 'certificate_file': 'files/www.crt', 'key': vault_www_key} | webfarm_tls_certificate }}
        -> {'name': 'www', 'pem': '-----BEGIN CERTIFICATE-----...-----BEGIN PRIVATE KEY-----...',
            'not_after': '2027-11-26T00:00:00+00:00', 'names': ['www.example.com']}

    ``pem`` is the chain then the key, as HAProxy loads it from one file.
    """
    item = checked_entry(var, item, CERT_KEYS, "of name, certificate or certificate_file, key or key_file", _fail)
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(f"{var}.name = {name!r}: must be letters, digits, '.', '_' or '-' (it names the file on the balancer)")
    chain_pem = _pem(var, item, "certificate")
    blocks = _PEM_CERT.findall(chain_pem)
    try:
        chain = [x509.load_pem_x509_certificate(b) for b in blocks]
    except ValueError:
        chain = []
    if not chain:
        raise _fail(f"{var}.certificate: not a PEM certificate (expected the server's certificate first, "
                    f"then any intermediates)")
    key_pem = _pem(var, item, "key")
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise _fail(f"{var}.key: not an unencrypted PEM private key") from None
    leaf = chain[0]
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, spki) != \
            leaf.public_key().public_bytes(serialization.Encoding.DER, spki):
        raise _fail(f"{var}.key does not match {var}.certificate (subject {leaf.subject.rfc4514_string()}): "
                    f"it is another certificate's key")
    when = now or datetime.datetime.now(datetime.UTC)
    if leaf.not_valid_after_utc <= when:
        raise _fail(f"{var}.certificate (subject {leaf.subject.rfc4514_string()}) expired on "
                    f"{leaf.not_valid_after_utc.isoformat()}: renew it")
    if leaf.not_valid_before_utc > when:
        raise _fail(f"{var}.certificate (subject {leaf.subject.rfc4514_string()}) is not valid before "
                    f"{leaf.not_valid_before_utc.isoformat()}")
    chain_out = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    return {"name": name, "pem": (chain_out + key_pem.strip() + b"\n").decode(),
            "not_after": leaf.not_valid_after_utc.isoformat(), "names": _names(leaf)}


def webfarm_tls_certificates(items: Any, var: str = "lb_haproxy_tls_certificates",
                     now: datetime.datetime | None = None) -> list[dict[str, Any]]:
    """Every certificate entry checked (see ``webfarm_tls_certificate``); names unique.

    Example::

        {{ lb_haproxy_tls_certificates | webfarm_tls_certificates }}
    """
    if items in (None, ""):
        return []
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
        raise _fail(f"{var} must be a list of certificates, got {type(items).__name__}")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        cert = webfarm_tls_certificate(item, f"{var}[{i}]", now)
        if cert["name"] in {c["name"] for c in out}:
            raise _fail(f"{var}[{i}].name = {cert['name']!r}: two certificates share it")
        out.append(cert)
    return out


class FilterModule:
    """webfarm TLS filters."""

    def filters(self) -> dict[str, Any]:
        return filter_table(webfarm_tls_certificate, webfarm_tls_certificates)
