"""library/webfarm_dns_zone.py's logic (module_utils/webfarm/dns_zone.py):
declared records against a transferred zone, rrset by rrset."""
from __future__ import annotations

import dns.zone
import pytest
from ansible_collections.webfarm.cluster.plugins.module_utils.dns_zone import (
    Plan,
    RRset,
    absolute,
    canonicalizer,
    desired_rrsets,
    plan,
    render,
    rrsets_from_zone,
    soa_fields,
    soa_plan,
    update_message,
)

ZONE = "webfarm.test."
SERVED = """
$ORIGIN webfarm.test.
$TTL 300
@ IN SOA dns1 hostmaster 7 3600 600 1209600 30
@ IN NS dns1
@ IN NS dns2
dns1 IN A 10.213.0.21
dns2 IN A 10.213.0.22
www 5 IN A 10.213.0.11
www 5 IN A 10.213.0.12
old IN TXT "left over"
"""


def current():
    return rrsets_from_zone(dns.zone.from_text(SERVED, origin=ZONE, relativize=False))


def declared(*extra):
    records = [{"name": "@", "type": "NS", "values": ["dns2.webfarm.test.", "dns1"]},
               {"name": "dns1", "type": "A", "value": "10.213.0.21"},
               {"name": "dns2", "type": "A", "value": "10.213.0.22"}, *extra]
    return desired_rrsets(records, ZONE, 300, canonicalizer(ZONE))


KEEP = [("www.webfarm.test.", "A")]


def test_the_zone_as_served_is_read_with_absolute_names():
    cur = current()
    assert cur[("webfarm.test.", "NS")] == RRset("webfarm.test.", "NS", 300, ("dns1.webfarm.test.", "dns2.webfarm.test."))
    assert cur[("www.webfarm.test.", "A")].values == ("10.213.0.11", "10.213.0.12")
    assert ("webfarm.test.", "SOA") in cur


def test_nothing_to_do_when_the_zone_already_matches():
    cur = current()
    del cur[("old.webfarm.test.", "TXT")]
    assert not plan(cur, declared(), KEEP).changed


def test_an_undeclared_record_is_purged_but_soa_and_kept_rrsets_stay():
    p = plan(current(), declared(), KEEP)
    assert [rr.key for rr in p.delete] == [("old.webfarm.test.", "TXT")]
    assert p.replace == ()
    assert not plan(current(), declared(), KEEP, purge=False).changed


def test_a_changed_value_or_ttl_replaces_the_rrset():
    p = plan(current(), declared({"name": "dns2", "type": "A", "value": "10.213.0.23"}), KEEP, purge=False)
    assert [rr.lines() for rr in p.replace] == [["dns2.webfarm.test. 300 IN A 10.213.0.22",
                                                  "dns2.webfarm.test. 300 IN A 10.213.0.23"]]
    new = declared()
    new[("dns2.webfarm.test.", "A")] = RRset("dns2.webfarm.test.", "A", 60, ("10.213.0.22",))
    p = plan(current(), new, KEEP, purge=False)
    assert [rr.lines() for rr in p.replace] == [["dns2.webfarm.test. 60 IN A 10.213.0.22"]]


def test_declared_records_merge_and_values_become_canonical():
    d = declared({"name": "shop", "type": "CNAME", "value": "www"}, {"name": "@", "type": "MX", "value": "10 mail"})
    assert d[("shop.webfarm.test.", "CNAME")].values == ("www.webfarm.test.",)
    assert d[("webfarm.test.", "MX")].values == ("10 mail.webfarm.test.",)
    assert d[("webfarm.test.", "NS")].values == ("dns1.webfarm.test.", "dns2.webfarm.test.")


@pytest.mark.parametrize("record, message", [
    ({"name": "x", "type": "SPF", "value": "v"}, "type SPF is not one of"),
    ({"name": "x", "type": "A"}, "has no value"),
    ({"name": "x", "type": "A", "value": "10.0.0.1", "ttl": -1}, "ttl -1 is negative"),
    ({"name": "x.example.org.", "type": "A", "value": "10.0.0.1"}, "is not inside the zone"),
])
def test_bad_records_are_named(record, message):
    with pytest.raises(ValueError, match=message):
        declared(record)


def test_two_ttls_for_one_rrset_are_refused():
    with pytest.raises(ValueError, match="declared with two TTLs"):
        declared({"name": "v", "value": "10.0.0.1", "ttl": 5}, {"name": "v", "value": "10.0.0.2", "ttl": 6})


def test_a_bad_value_does_not_parse():
    import dns.exception

    with pytest.raises(dns.exception.SyntaxError):
        declared({"name": "v", "value": "10.0.0.300"})


@pytest.mark.parametrize("name, expected", [
    ("@", "webfarm.test."), ("", "webfarm.test."), ("WWW", "www.webfarm.test."),
    ("a.b", "a.b.webfarm.test."), ("x.webfarm.test.", "x.webfarm.test."), ("webfarm.test.", "webfarm.test."),
])
def test_absolute_names(name, expected):
    assert absolute(name, "webfarm.test") == expected


def test_the_update_deletes_and_replaces_in_one_signed_message():
    import dns.tsigkeyring

    new = declared({"name": "shop", "type": "CNAME", "value": "www"})
    p = plan(current(), new, KEEP)
    keyring = dns.tsigkeyring.from_text({"webfarm-admin": "c2VjcmV0c2VjcmV0c2VjcmV0"})
    msg = update_message(ZONE, p, keyring, "webfarm-admin", "hmac-sha256")
    update = msg.to_text().split(";UPDATE\n")[1].split(";ADDITIONAL")[0].splitlines()
    # Deletions first, then each replaced rrset as delete + add: one atomic update.
    assert update == ["old.webfarm.test. ANY TXT", "shop.webfarm.test. ANY CNAME", "shop.webfarm.test. 300 IN CNAME www"]
    assert msg.keyname.to_text() == "webfarm-admin."
    assert render(list(p.replace)) == "shop.webfarm.test. 300 IN CNAME www.webfarm.test.\n"


def soa_now():
    zone = dns.zone.from_text(SERVED, origin=ZONE, relativize=False)
    return soa_fields(zone.find_rdataset(ZONE, "SOA")[0])


SOA_AS_SERVED = {"mname": "dns1", "rname": "hostmaster", "refresh": 3600, "retry": 600, "expire": 1209600, "minimum": 30}


def test_the_soa_as_served_reads_back_and_an_unchanged_one_plans_nothing():
    assert soa_now() == {"mname": "dns1.webfarm.test.", "rname": "hostmaster.webfarm.test.", "serial": 7,
                         "refresh": 3600, "retry": 600, "expire": 1209600, "minimum": 30}
    assert soa_plan(soa_now(), SOA_AS_SERVED, ZONE) is None
    assert soa_plan(soa_now(), {"mname": "DNS1.webfarm.test.", "retry": "600"}, ZONE) is None
    assert soa_plan(soa_now(), {}, ZONE) is None


def test_a_changed_soa_field_is_sent_one_serial_above_the_zones():
    import dns.tsigkeyring

    new = soa_plan(soa_now(), {**SOA_AS_SERVED, "retry": 900, "rname": "ops.example.org."}, ZONE)
    assert new == "dns1.webfarm.test. ops.example.org. 8 3600 900 1209600 30"
    keyring = dns.tsigkeyring.from_text({"webfarm-admin": "c2VjcmV0c2VjcmV0c2VjcmV0"})
    msg = update_message(ZONE, Plan((), (), new), keyring, "webfarm-admin", "hmac-sha256", soa_ttl=300)
    update = msg.to_text().split(";UPDATE\n")[1].split(";ADDITIONAL")[0].splitlines()
    # dnspython prints names inside the zone relative to it.
    assert update == ["webfarm.test. ANY SOA", "webfarm.test. 300 IN SOA dns1 ops.example.org. 8 3600 900 1209600 30"]
    assert Plan((), (), new).changed


@pytest.mark.parametrize("soa, message", [
    ({"serial": 9}, "soa: unknown field serial"),
    ({"retry": "soon"}, "soa.retry 'soon': must be a number of seconds"),
    ({"expire": -1}, "soa.expire -1: must be 0 to 2147483647 seconds"),
    ({"mname": "two words"}, "soa.mname 'two words': must be a domain name"),
])
def test_bad_soa_fields_are_named(soa, message):
    with pytest.raises(ValueError, match=message):
        soa_plan(soa_now(), soa, ZONE)
