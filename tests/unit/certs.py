"""Throwaway certificates for the unit tests (made with cryptography, in memory)."""
from __future__ import annotations

import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.datetime(2026, 11, 26, tzinfo=datetime.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(private: ec.EllipticCurvePrivateKey) -> str:
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def issue(subject_key, cn: str, names: list[str] = (), issuer: tuple | None = None, ca: bool = False,
          not_before: datetime.datetime = NOW - datetime.timedelta(days=1),
          not_after: datetime.datetime = NOW + datetime.timedelta(days=90)) -> x509.Certificate:
    """A certificate for subject_key, signed by issuer (cert, key) or by itself."""
    issuer_cert, issuer_key = issuer if issuer else (None, subject_key)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(cn))
               .issuer_name(issuer_cert.subject if issuer_cert else _name(cn))
               .public_key(subject_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        sans: list[x509.GeneralName] = []
        for n in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def ca_and_leaf(names: list[str], **leaf_dates) -> dict[str, str]:
    """A CA and a server certificate it signs: PEM texts ca, cert, key."""
    ca_key, leaf_key = key(), key()
    ca = issue(ca_key, "unit CA", ca=True, not_after=NOW + datetime.timedelta(days=3650),
               not_before=NOW - datetime.timedelta(days=3650))
    leaf = issue(leaf_key, names[0], names, issuer=(ca, ca_key), **leaf_dates)
    return {"ca": cert_pem(ca), "cert": cert_pem(leaf), "key": key_pem(leaf_key)}
