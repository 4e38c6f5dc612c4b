"""The drill's forged VRRPv3 advert (lab/vrrp.py) is one a
keepalived peer would take: RFC 5798's layout and checksum."""
from __future__ import annotations

import ipaddress
import struct

import pytest

from lab import vrrp


def test_an_advert_has_rfc_5798s_layout_and_a_checksum_that_verifies():
    pkt = vrrp.advert("10.213.0.100", "10.213.0.31", vrid=51, priority=254, vips=["10.213.0.200", "10.213.0.201"])
    version_type, vrid, priority, count, interval = struct.unpack("!BBBBH", pkt[:6])
    assert (version_type, vrid, priority, count, interval) == (0x31, 51, 254, 2, 10)
    assert pkt[8:] == ipaddress.IPv4Address("10.213.0.200").packed + ipaddress.IPv4Address("10.213.0.201").packed
    pseudo = (ipaddress.IPv4Address("10.213.0.100").packed + ipaddress.IPv4Address("10.213.0.31").packed
              + struct.pack("!BBH", 0, vrrp.PROTO_VRRP, len(pkt)))
    assert vrrp.checksum(pseudo + pkt) == 0, "a receiver would find the checksum wrong"


def test_the_checksum_is_rfc_1071s():
    # RFC 1071's worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, so the checksum is 220d.
    assert vrrp.checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


@pytest.mark.parametrize("kwargs", [{"vrid": 0}, {"priority": 256}, {"vips": []}, {"interval_cs": 4096}])
def test_an_advert_no_router_would_send_is_refused(kwargs):
    args = {"src": "10.0.0.1", "dst": "10.0.0.2", "vrid": 1, "priority": 100, "vips": ["10.0.0.9"]} | kwargs
    with pytest.raises(ValueError):
        vrrp.advert(**args)


def test_keepalived_state_changes_are_read_from_its_journal():
    from lab.vip import parse_transitions

    journal = ("1796533370.100000 lb2 Keepalived_vrrp[88]: (www) Entering BACKUP STATE (init)\n"
               "1796533374.512000 lb2 Keepalived_vrrp[88]: (www) Entering MASTER STATE\n"
               "1796533374.600000 lb2 Keepalived_vrrp[88]: (www) Master received advert from 10.213.3.11\n"
               "1796533374.601000 lb2 Keepalived_vrrp[88]: (www) Entering BACKUP STATE\n")
    assert parse_transitions(journal) == [(1796533370.1, "www", "BACKUP"), (1796533374.512, "www", "MASTER"),
                                          (1796533374.601, "www", "BACKUP")]
    assert parse_transitions("-- No entries --\n") == []
