"""The balancers' certificates are checked on the controller before any host
changes: the key must be the certificate's, the certificate valid now."""
from __future__ import annotations

import datetime

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.filter import webfarm_tls as tls
from certs import NOW, ca_and_leaf, cert_pem, issue, key, key_pem


@pytest.fixture(scope="module")
def pair():
    return ca_and_leaf(["www.webfarm.test", "10.213.0.200"])


def entry(pair, **over):
    return {"name": "www", "certificate": pair["cert"] + pair["ca"], "key": pair["key"], **over}


def test_a_good_certificate_gives_chain_then_key_and_its_names(pair):
    [out] = tls.webfarm_tls_certificates([entry(pair)], now=NOW)
    assert out["name"] == "www" and out["names"] == ["www.webfarm.test", "10.213.0.200"]
    pem = out["pem"]
    assert pem.index(pair["cert"].strip()) < pem.index(pair["ca"].strip()) < pem.index("PRIVATE KEY")
    assert out["not_after"].startswith("2027-02-24")


def test_files_on_the_controller_are_read(pair, tmp_path):
    (tmp_path / "www.crt").write_text(pair["cert"])
    (tmp_path / "www.key").write_text(pair["key"])
    [out] = tls.webfarm_tls_certificates([{"name": "www", "certificate_file": str(tmp_path / "www.crt"),
                                   "key_file": str(tmp_path / "www.key")}], now=NOW)
    assert pair["cert"].strip() in out["pem"] and pair["key"].strip() in out["pem"]


def test_nothing_given_is_no_certificate():
    assert tls.webfarm_tls_certificates([]) == [] and tls.webfarm_tls_certificates(None) == []


def test_a_key_that_is_not_the_certificates_is_refused(pair):
    other = key_pem(key())
    with pytest.raises(AnsibleFilterError, match=r"lb_haproxy_tls_certificates\[0\]\.key does not match "
                                                 r"lb_haproxy_tls_certificates\[0\]\.certificate"):
        tls.webfarm_tls_certificates([entry(pair, key=other)], now=NOW)


def test_an_expired_certificate_is_refused():
    expired = ca_and_leaf(["www.webfarm.test"], not_before=NOW - datetime.timedelta(days=100),
                          not_after=NOW - datetime.timedelta(days=1))
    with pytest.raises(AnsibleFilterError, match=r"lb_haproxy_tls_certificates\[0\]\.certificate .* expired on 2026-11-25"):
        tls.webfarm_tls_certificates([entry(expired)], now=NOW)


def test_a_certificate_not_valid_yet_is_refused():
    future = ca_and_leaf(["www.webfarm.test"], not_before=NOW + datetime.timedelta(days=2))
    with pytest.raises(AnsibleFilterError, match=r"is not valid before 2026-11-28"):
        tls.webfarm_tls_certificates([entry(future)], now=NOW)


def test_the_clock_defaults_to_now():
    k = key()
    old = issue(k, "old.test", ["old.test"], not_before=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
                not_after=datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC))
    with pytest.raises(AnsibleFilterError, match="expired on 2021-01-01"):
        tls.webfarm_tls_certificates([{"name": "old", "certificate": cert_pem(old), "key": key_pem(k)}])


@pytest.mark.parametrize("over, message", [
    ({"certificate": "not a certificate"}, r"\[0\]\.certificate: not a PEM certificate"),
    ({"key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}, r"\[0\]\.key: not an unencrypted PEM private key"),
    ({"name": "../etc/passwd"}, r"\[0\]\.name = '\.\./etc/passwd': must be letters"),
    ({"certificate_file": "/x.crt"}, r"\[0\]: give exactly one of certificate .* and certificate_file"),
    ({"key": None}, r"\[0\]: give exactly one of key"),
    ({"chain": "x"}, r"\[0\] has unknown keys chain"),
])
def test_bad_entries_are_named(pair, over, message):
    with pytest.raises(AnsibleFilterError, match=message):
        tls.webfarm_tls_certificates([entry(pair, **over)], now=NOW)


def test_a_missing_file_is_named(tmp_path, pair):
    with pytest.raises(AnsibleFilterError, match=r"\[0\]\.key_file = '.*nowhere.key': cannot be read on the controller"):
        tls.webfarm_tls_certificates([{"name": "www", "certificate": pair["cert"], "key_file": str(tmp_path / "nowhere.key")}],
                             now=NOW)


def test_two_entries_with_one_name_are_refused(pair):
    with pytest.raises(AnsibleFilterError, match=r"\[1\]\.name = 'www': two certificates share it"):
        tls.webfarm_tls_certificates([entry(pair), entry(pair)], now=NOW)


def test_a_list_is_required(pair):
    with pytest.raises(AnsibleFilterError, match="must be a list of certificates"):
        tls.webfarm_tls_certificates(entry(pair))


def test_no_message_carries_the_key(pair):
    other = key_pem(key())
    with pytest.raises(AnsibleFilterError) as err:
        tls.webfarm_tls_certificates([entry(pair, key=other)], now=NOW)
    assert "PRIVATE" not in str(err.value) and other.splitlines()[1] not in str(err.value)
