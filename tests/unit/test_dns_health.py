"""The health checker's logic (roles/dns_server/files/webfarm-dns-health):
rise and fall, never an empty name, members kept across reloads, and its
probe against HTTP servers on loopback."""
from __future__ import annotations

import http.server
import json
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
    assert health.wanted(ms) == (["10.213.0.19", "10.213.0.110"], False)


def test_every_member_down_publishes_the_full_set():
    ms = [health.Member("web1", "10.213.0.11", "u", up=False), health.Member("web2", "10.213.0.12", "u", up=False)]
    assert health.wanted(ms) == (["10.213.0.11", "10.213.0.12"], True)


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
