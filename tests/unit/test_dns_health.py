"""The health checker's logic (roles/dns_server/files/webfarm-dns-health):
rise and fall, never an empty name, members kept across reloads, and its
probe against HTTP servers on loopback."""
from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading

import pytest
from script_module import load_script

from lab.inventory import ROOT

SCRIPT = ROOT / "roles" / "dns_server" / "files" / "webfarm-dns-health"
health = load_script(SCRIPT, "webfarm_dns_health")

CONFIG = {"zone": "webfarm.test.", "name": "www.webfarm.test.", "ttl": 5, "server": "127.0.0.1", "port": 53,
          "key_name": "webfarm-health", "key_file": "/etc/webfarm/dns-health/key", "interval": 0.5, "timeout": 0.5,
          "rise": 2, "fall": 2,
          "members": [{"name": "web1", "address": "10.213.0.11", "url": "http://10.213.0.11/health"},
                      {"name": "web2", "address": "10.213.0.12", "url": "http://10.213.0.12:8080/healthz"}]}


def member(up=True):
    return health.Member("web1", "10.213.0.11", "http://10.213.0.11/health", up=up)


def test_a_member_falls_after_fall_failures_in_a_row_and_rises_after_rise_passes():
    m = member()
    assert health.observe(m, False, "timeout", rise=2, fall=2) is None
    assert health.observe(m, True, "HTTP 200", rise=2, fall=2) is None, "a pass resets the count"
    assert health.observe(m, False, "timeout", rise=2, fall=2) is None
    assert health.observe(m, False, "HTTP 503", rise=2, fall=2) == "withdraw"
    assert not m.up and m.last == "HTTP 503"
    assert health.observe(m, True, "HTTP 200", rise=2, fall=2) is None
    assert health.observe(m, True, "HTTP 200", rise=2, fall=2) == "restore"
    assert m.up


def test_fall_of_one_withdraws_at_the_first_failure():
    m = member()
    assert health.observe(m, False, "refused", rise=3, fall=1) == "withdraw"


def test_the_healthy_members_are_published_in_address_order():
    ms = [health.Member("web10", "10.213.0.110", "u"), health.Member("web2", "10.213.0.12", "u", up=False),
          health.Member("web9", "10.213.0.19", "u")]
    assert health.wanted(ms) == ({"A": ["10.213.0.19", "10.213.0.110"]}, [])


def test_every_member_down_publishes_the_full_set():
    ms = [health.Member("web1", "10.213.0.11", "u", up=False), health.Member("web2", "10.213.0.12", "u", up=False)]
    assert health.wanted(ms) == ({"A": ["10.213.0.11", "10.213.0.12"]}, ["A"])


def dual(up4=(True, True), up6=(True, True)):
    return [health.Member("web1", "10.213.0.11", "u", up=up4[0]), health.Member("web1", "fd00:213::11", "u", up=up6[0]),
            health.Member("web2", "10.213.0.12", "u", up=up4[1]), health.Member("web2", "fd00:213::12", "u", up=up6[1])]


def test_each_family_follows_its_own_checks():
    assert health.wanted(dual()) == ({"A": ["10.213.0.11", "10.213.0.12"], "AAAA": ["fd00:213::11", "fd00:213::12"]}, [])
    # web1 down on both families: both of its records go.
    assert health.wanted(dual(up4=(False, True), up6=(False, True))) == ({"A": ["10.213.0.12"], "AAAA": ["fd00:213::12"]}, [])
    # web1's IPv6 path fails alone: only its AAAA goes.
    assert health.wanted(dual(up6=(False, True))) == ({"A": ["10.213.0.11", "10.213.0.12"], "AAAA": ["fd00:213::12"]}, [])


def test_no_family_loses_its_last_record():
    # Every IPv6 path down, IPv4 fine: AAAA keeps its full set, A follows its checks.
    assert health.wanted(dual(up4=(True, False), up6=(False, False))) == (
        {"A": ["10.213.0.11"], "AAAA": ["fd00:213::11", "fd00:213::12"]}, ["AAAA"])
    everything_down = dual(up4=(False, False), up6=(False, False))
    assert health.wanted(everything_down)[1] == ["A", "AAAA"]


def test_a_member_is_known_by_name_and_address_across_a_reload():
    members = [{"name": "web1", "address": "10.213.0.11", "url": "http://10.213.0.11/health"},
               {"name": "web1", "address": "fd00:213::11", "url": "http://[fd00:213::11]/health"}]
    first = health.merge_members([], members, published={"10.213.0.11"})
    assert [m.up for m in first] == [True, False], "the AAAA was not published: it must rise first"
    first[1].up = True
    again = health.merge_members(first, members, published=set())
    assert [m.up for m in again] == [True, True] and again[1] is first[1]


def test_members_keep_their_state_across_a_reload_and_new_ones_must_rise():
    first = health.merge_members([], CONFIG["members"], published={"10.213.0.11"})
    assert [(m.name, m.up) for m in first] == [("web1", True), ("web2", False)]
    first[0].up = False
    added = CONFIG["members"] + [{"name": "web3", "address": "10.213.0.13", "url": "http://10.213.0.13/health"}]
    again = health.merge_members(first, added, published={"10.213.0.11"})
    assert [(m.name, m.up) for m in again] == [("web1", False), ("web2", False), ("web3", False)]
    assert again[0] is first[0]


def test_without_an_answer_from_the_server_every_member_starts_up():
    assert all(m.up for m in health.merge_members([], CONFIG["members"], published=set()))


@pytest.mark.parametrize("change, message", [
    ({"rise": 0}, "rise must be 1 or more"),
    ({"interval": 0}, "interval must be more than 0"),
    ({"ttl": -5}, "ttl must be 0 or more"),
    ({"members": []}, "members is empty"),
    ({"name": "www.webfarm.test"}, "must be absolute"),
    ({"members": [{"name": "web1", "address": "10.213.0.11", "url": "https://x/"}]}, "is not http://"),
    ({"members": [{"name": "web1", "address": "web1.lan", "url": "http://x/"}]}, "'web1.lan' is not an IP address"),
    ({"members": [CONFIG["members"][0], CONFIG["members"][0]]}, "address 10.213.0.11 is listed twice"),
])
def test_a_bad_configuration_is_named(change, message):
    with pytest.raises(ValueError, match=message):
        health.load_config(json.dumps({**CONFIG, **change}))
    with pytest.raises(ValueError, match="missing zone"):
        health.load_config(json.dumps({k: v for k, v in CONFIG.items() if k != "zone"}))


def test_check_mode_of_the_script_validates_a_file(tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(CONFIG))
    bad.write_text(json.dumps({**CONFIG, "fall": 0}))
    assert subprocess.run([sys.executable, str(SCRIPT), "--check", str(good)], timeout=30).returncode == 0
    out = subprocess.run([sys.executable, str(SCRIPT), "--check", str(bad)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "fall must be 1 or more" in out.stderr


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        self.send_response(200 if self.path == "/health" else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_probe_passes_on_200_only():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{srv.server_address[1]}"
        assert health.probe(base + "/health", 1.0) == (True, "HTTP 200")
        assert health.probe(base + "/healthz", 1.0) == (False, "HTTP 503")
    finally:
        srv.shutdown()
        srv.server_close()
    ok, said = health.probe(base + "/health", 0.5)
    assert not ok and "ConnectionRefusedError" in said


def test_probe_reaches_an_ipv6_member_by_its_bracketed_url():
    class V6Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6

    try:
        srv = V6Server(("::1", 0), Handler)
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        assert health.probe(f"http://[::1]:{srv.server_address[1]}/health", 1.0) == (True, "HTTP 200")
    finally:
        srv.shutdown()
        srv.server_close()
