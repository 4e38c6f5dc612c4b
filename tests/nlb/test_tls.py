"""HTTPS at the balancers, checked from the client as a browser and a TLS
scanner see it: plain HTTP is sent to HTTPS, only TLS 1.2 and 1.3 with
strong ciphers are offered (Debian's sslscan), and the certificate chain is
valid for the service names and every VIP (the client trusts the CA that
signed it: the lab CA in the lab, a public or company CA in production).

Runs where the balancers have certificates (lb_haproxy_tls_certificates);
every other test of the nlb group already goes through HTTPS then.
"""
from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET

import pytest

from lab import hosts, webclient

# What Mozilla's intermediate policy allows (forward secrecy and AEAD only):
# a scanner finding anything else fails the test, whatever the inventory says.
STRONG_TLS12 = ("ECDHE-ECDSA-", "ECDHE-RSA-")
STRONG_AEAD = ("GCM", "CHACHA20-POLY1305")
TLS13_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}


@pytest.fixture(scope="module")
def tls_sites(farm):
    sites = [name for name in farm.sites if farm.tls_port(name)]
    if not sites:
        pytest.skip("the balancers have no certificate (lb_haproxy_tls_certificates)")
    return sites


def scan(client, address: str, port: int) -> ET.Element:
    """sslscan's XML report of one address and port, from the client."""
    out = hosts.run(client.inv, "sslscan", "--no-colour", "--xml=-", f"{address}:{port}", timeout=60)
    return ET.fromstring(out.stdout[out.stdout.index("<?xml"):])


def summary(report: ET.Element) -> tuple[list[str], list[tuple[str, str, int]]]:
    """The enabled protocols and the accepted (version, cipher, bits) of one scan."""
    test = report.find("ssltest")
    assert test is not None, ET.tostring(report, encoding="unicode")[:2000]
    enabled = [f"{p.get('type').upper()}v{p.get('version')}" for p in test.iter("protocol") if p.get("enabled") == "1"]
    ciphers = [(c.get("sslversion"), c.get("cipher"), int(c.get("bits"))) for c in test.iter("cipher")
               if c.get("status") in ("accepted", "preferred")]
    return enabled, ciphers


def test_plain_http_is_redirected_to_https_same_host_and_path(farm, client, tls_sites):
    for site in tls_sites:
        site_port = farm.tls_port(site)
        want = f"https://{farm.vips[0]}{'' if site_port == 443 else f':{site_port}'}/some/page?x=1"
        status, headers, _ = webclient.get(client.inv, farm.http_url(site, 0, "/some/page?x=1"))
        assert (status, headers.get("location")) == (301, want), f"{site}: {status} {headers}"


def test_https_serves_every_site_with_hsts_when_asked(farm, client, tls_sites):
    max_age = int(farm.balancers[0].var("lb_haproxy_tls_hsts_max_age") or 0)
    for site in tls_sites:
        status, headers, _ = webclient.get(client.inv, farm.url(site))
        assert status == 200 and headers.get(farm.header.lower()), f"{farm.url(site)}: {status} {headers}"
        hsts = headers.get("strict-transport-security")
        assert hsts == (f"max-age={max_age}" if max_age else None), f"{site}: {hsts!r}"


def test_the_scanner_finds_tls_1_2_and_1_3_only_and_strong_ciphers_only(farm, client, tls_sites):
    rows = []
    targets = [(farm.vips[i], farm.tls_port(tls_sites[0])) for i in range(len(farm.vips))]
    targets += [(farm.vips[0], farm.tls_port(site)) for site in tls_sites[1:]]
    for address, port in targets:
        enabled, ciphers = summary(scan(client, address, port))
        assert sorted(enabled) == ["TLSv1.2", "TLSv1.3"], f"{address}:{port} offers {enabled}"
        weak = [c for c in ciphers
                if c[2] < 128
                or (c[0] == "TLSv1.3" and c[1] not in TLS13_SUITES)
                or (c[0] == "TLSv1.2" and not (c[1].startswith(STRONG_TLS12) and any(a in c[1] for a in STRONG_AEAD)))]
        assert not weak, f"{address}:{port} accepts weak ciphers: {weak}"
        assert {c[0] for c in ciphers} == {"TLSv1.2", "TLSv1.3"}, ciphers
        weakest = min(c[2] for c in ciphers)
        rows.append(f"{address}:{port:<5}  {' '.join(enabled):<15}  {len(ciphers)} ciphers, weakest {weakest} bits: "
                    + " ".join(sorted({c[1] for c in ciphers})))
    print("\nsslscan from the client (accepted protocols and ciphers):\n" + "\n".join(rows))


def certificate_names(farm) -> list[str]:
    """The names clients use for the sites (the lab's webfarm_lab_tls_names;
    an inventory without it checks the VIPs' addresses only)."""
    names = farm.balancers[0].var("webfarm_lab_tls_names")
    return list(names) if names else []


def verify(client, name: str | None, address: str, port: int) -> tuple[int, str]:
    """openssl's own check of the chain and of the name asked for (None: the
    address itself), against the client's trusted CAs."""
    check = f"-servername {shlex.quote(name)} -verify_hostname {shlex.quote(name)}" if name else f"-verify_ip {address}"
    cmd = f"openssl s_client -connect {address}:{port} -verify_return_error -brief {check} </dev/null 2>&1"
    out = hosts.run(client.inv, "sh", "-c", cmd, check=False, timeout=30)
    return out.returncode, out.stdout


def test_the_certificate_chain_is_valid_for_every_service_name_and_vip(farm, client, tls_sites):
    port = farm.tls_port(tls_sites[0])
    for address in farm.vips:
        for name in certificate_names(farm) + [None]:
            code, out = verify(client, name, address, port)
            assert code == 0 and "Verification: OK" in out, f"{name or address} at {address}:{port}:\n{out}"
    # The check can fail: a name the certificate is not for is refused.
    code, out = verify(client, "elsewhere.invalid", farm.vips[0], port)
    assert code != 0, out
