"""The farm monitor (the package roles/farm_monitor/files/webfarm_monitor/): its
readers of HAProxy's stats, crm_mon and Redis INFO, the state it keeps
(changes become events, stale readings turn unknown), its WSGI answers and
its configuration check. Sources it cannot reach are tried on loopback only."""
from __future__ import annotations

import base64
import json
import socket
import threading

import pytest
from ansible_collections.webfarm.cluster.plugins.filter.webfarm_monitor import webfarm_monitor_panels
from wsgi import wsgi_call

from roles.farm_monitor.files.webfarm_monitor.collectors import collectors, scheduled, stale_after
from roles.farm_monitor.files.webfarm_monitor.config import ConfigError, check_config, load_config, main
from roles.farm_monitor.files.webfarm_monitor.farm import Farm
from roles.farm_monitor.files.webfarm_monitor.probes.active_passive import cluster, merge_views, parse_crm_mon
from roles.farm_monitor.files.webfarm_monitor.probes.nlb import (
    acme,
    acme_reading,
    backend_view,
    balancer,
    certificate,
    certificate_facts,
    certificate_reading,
    parse_stats_csv,
    server_state,
)
from roles.farm_monitor.files.webfarm_monitor.probes.rr_dns import dns_server
from roles.farm_monitor.files.webfarm_monitor.probes.session_store import store_reading
from roles.farm_monitor.files.webfarm_monitor.probes.web_farm import content_push, content_reading, web_node
from roles.farm_monitor.files.webfarm_monitor.readings import Reading
from roles.farm_monitor.files.webfarm_monitor.web import Monitor

# The page's panels as the role renders them: the registry's (topologies.yml).
PANELS = webfarm_monitor_panels()
CFG = {"interval": 1.0, "timeout": 0.3, "history": 5, "panels": PANELS,
       "targets": {"web_farm": {"nodes": [{"name": "web1", "address": "127.0.0.1", "port": 1, "health_path": "/health",
                                           "version_path": ""}]}}}

STATS = """# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight
www,FRONTEND,,,0,1,4096,10,0,0,0,0,0,,,,,OPEN,
www,web1,0,0,0,1,,5,0,0,,0,,0,0,0,0,UP,1
www,web2,0,0,0,1,,5,0,0,,0,,0,0,0,0,DOWN,1
www,BACKEND,0,0,0,1,410,10,0,0,0,0,,0,0,0,0,UP,2
sticky,web1,0,0,0,1,,5,0,0,,0,,0,0,0,0,UP,1
sticky,web2,0,0,0,1,,5,0,0,,0,,0,0,0,0,MAINT,1
"""

CRM = """<pacemaker-result api-version="2.25" request="crm_mon">
  <summary><current_dc present="true" name="node2" with_quorum="true"/></summary>
  <nodes>
    <node name="node1" online="true" standby="false" unclean="false" is_dc="false"/>
    <node name="node2" online="true" standby="false" unclean="false" is_dc="true"/>
    <node name="node3" online="false" standby="false" unclean="true" is_dc="false"/>
  </nodes>
  <resources>
    <group id="webfarm-web" number_resources="2">
      <resource id="webfarm-web-disk" role="Started" active="true" failed="false"><node name="node1"/></resource>
      <resource id="webfarm-web-ip" role="Started" active="true" failed="false"><node name="node1"/></resource>
    </group>
    <group id="webfarm-store" number_resources="2">
      <resource id="webfarm-store-disk" role="Started" active="true" failed="false"><node name="node2"/></resource>
      <resource id="webfarm-store-ip" role="Stopped" active="false" failed="false"/>
    </group>
  </resources>
  <node_history><node name="node1"><resource_history id="webfarm-web-disk">
    <operation_history task="start" rc="0" last-rc-change="Thu Nov 26 19:31:04 2026"/>
  </resource_history></node></node_history>
</pacemaker-result>"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_stats_csv_gives_each_server_in_each_backend():
    view = backend_view(parse_stats_csv(STATS), ["web1", "web2", "web3"])
    assert view == {"web1": {"www": "UP", "sticky": "UP"}, "web2": {"www": "DOWN", "sticky": "MAINT"}, "web3": {}}
    assert server_state(view["web1"]) == ("up", "UP in all 2 backends")
    assert server_state(view["web2"]) == ("degraded", "UP in 0/2 backends, 1 in maintenance")
    assert server_state({"www": "DOWN"}) == ("down", "DOWN in all 1 backends")
    assert server_state(view["web3"])[0] == "unknown"


def test_something_that_is_not_stats_csv_is_refused():
    with pytest.raises(ValueError, match="not HAProxy stats CSV"):
        parse_stats_csv("<html>login</html>")


def test_crm_mon_gives_nodes_groups_and_where_they_run():
    quorate, readings = parse_crm_mon(CRM, ["webfarm-web", "webfarm-store", "webfarm-gone"])
    by = {r.name: r for r in readings}
    assert quorate
    assert by["node1"].state == "up" and by["node1"].detail == "online; runs webfarm-web"
    assert by["node2"].detail == "online, DC; runs webfarm-store"
    assert by["node3"].state == "down" and "unclean" in by["node3"].detail
    assert by["webfarm-web"].state == "up" and by["webfarm-web"].value == "node1" and by["webfarm-web"].since
    assert by["webfarm-store"].state == "degraded" and "1/2" in by["webfarm-store"].detail
    assert by["webfarm-gone"].state == "down"


def test_a_cluster_nobody_can_be_asked_about_is_unknown_not_up(tmp_path):
    cfg = {"nodes": [{"name": "node1", "address": "127.0.0.1"}], "groups": ["webfarm-web"]}
    ssh = {"user": "nobody", "key": str(tmp_path / "no-key"), "known_hosts": str(tmp_path / "kh"),
           "control_dir": str(tmp_path)}
    readings = cluster(cfg, ssh, timeout=0.5)
    assert {r.name: r.state for r in readings} == {"node1": "unknown", "webfarm-web": "unknown"}


def test_a_web_node_that_does_not_answer_is_down():
    node = dict(CFG["targets"]["web_farm"]["nodes"][0], port=closed_port())
    r = web_node(node, timeout=0.3)
    assert r.state == "down" and "no answer" in r.detail


def udp_port_nobody_answers() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_name_server_that_does_not_answer_is_down():
    server = {"name": "dns1", "address": "127.0.0.1", "port": udp_port_nobody_answers()}
    r = dns_server(server, ["www.webfarm.test"], timeout=0.3)
    assert r.state == "down" and "no answer" in r.detail


def test_a_name_servers_row_shows_both_families_ipv4_first():
    import dns.message
    import dns.rdatatype
    import dns.rrset

    zone = {("www.webfarm.test.", "A"): ["10.213.0.12", "10.213.0.11"],
            ("www.webfarm.test.", "AAAA"): ["fd00:213::12", "fd00:213::11"], ("lb.webfarm.test.", "A"): ["10.213.0.200"]}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)

    def serve() -> None:
        for _ in range(4):  # two names, two types each
            wire, peer = sock.recvfrom(4096)
            query = dns.message.from_wire(wire)
            question = query.question[0]
            reply = dns.message.make_response(query)
            rtype = dns.rdatatype.to_text(question.rdtype)
            values = zone.get((question.name.to_text(), rtype))
            if values:
                reply.answer.append(dns.rrset.from_text_list(question.name, 5, "IN", rtype, values))
            sock.sendto(reply.to_wire(), peer)

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    try:
        r = dns_server({"name": "dns1", "address": "127.0.0.1", "port": sock.getsockname()[1]},
                       ["www.webfarm.test", "lb.webfarm.test"], timeout=2)
    finally:
        worker.join(5)
        sock.close()
    assert r.state == "up", r.detail
    assert r.extra["records"] == {"www.webfarm.test": ["10.213.0.11", "10.213.0.12", "fd00:213::11", "fd00:213::12"],
                                  "lb.webfarm.test": ["10.213.0.200"]}
    assert r.detail == "www: 10.213.0.11 10.213.0.12 fd00:213::11 fd00:213::12; lb: 10.213.0.200"


def test_the_store_row_says_its_role_and_persistence():
    ok = store_reading("s", {"role": "master", "aof_enabled": 1, "aof_last_write_status": "ok"}, 0.001)
    assert ok.state == "up" and ok.detail == "master, append-only file"
    failing = store_reading("s", {"role": "master", "aof_enabled": 1, "aof_last_write_status": "err"}, 0.001)
    assert failing.state == "degraded" and "aof_last_write_status failing" in failing.detail


def test_the_content_push_row_says_running_held_or_stopped():
    up = content_reading("content1", {"service": "active", "nodes": ["web1", "web2"], "holds": []})
    assert (up.state, up.key, up.detail) == ("up", "web_farm/content/content1", "pushing to 2 nodes")
    why = "the published tree /srv/c has no marker .webfarm-content-root"
    held = content_reading("content1", {"service": "active", "nodes": ["web1", "web2", "web3"], "holds": [
        {"node": "web1", "reason": why, "since": 900.0}, {"node": "web2", "reason": why, "since": 901.0}]})
    assert held.state == "degraded" and held.since == 900.0
    assert held.detail == f"push held to 2 of 3 nodes (web1, web2: {why})"
    stopped = content_reading("content1", {"service": "failed", "nodes": ["web1"], "holds": []})
    assert stopped.state == "down" and "failed" in stopped.detail


def test_a_content_master_nobody_can_ask_is_unknown_not_up(tmp_path):
    ssh = {"user": "u", "key": str(tmp_path / "none"), "known_hosts": str(tmp_path / "kh"), "control_dir": str(tmp_path)}
    r = content_push({"name": "content1", "address": "127.0.0.1"}, ssh, timeout=0.5)
    assert r.state == "unknown" and "state unreadable" in r.detail


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def reading(state, value=None, kind="node", name="web1"):
    return Reading(f"web_farm/{name}", "web_farm", name, kind, state, "d", value)


def test_changes_become_events_and_since_moves_only_on_a_change():
    clock = Clock()
    farm = Farm(history=3, stale_after=10, clock=clock)
    farm.update([reading("up")])
    clock.t += 1
    farm.update([reading("up")])
    assert farm.rows["web_farm/web1"].since == 1000.0 and not farm.events
    clock.t += 1
    farm.update([reading("down")])
    assert farm.rows["web_farm/web1"].since == 1002.0
    assert farm.events[0]["text"].startswith("web1 up -> down") and farm.events[0]["t"] == 1002.0
    for state in ("up", "down", "up", "down"):
        clock.t += 1
        farm.update([reading(state)])
    assert len(farm.events) == 3  # bounded history


def test_a_vip_moving_a_record_withdrawn_and_a_failover_are_events():
    clock = Clock()
    farm = Farm(history=10, stale_after=10, clock=clock)
    farm.update([reading("up", "lb1", "vip", "VIP 10.0.0.1"), reading("up", json.dumps({"www": ["a", "b"]}), "dns", "dns1"),
                 reading("up", "node1", "group", "webfarm-web")])
    farm.update([reading("up", "lb2", "vip", "VIP 10.0.0.1"), reading("up", json.dumps({"www": ["a"]}), "dns", "dns1"),
                 reading("up", "node2", "group", "webfarm-web")])
    texts = [e["text"] for e in farm.events]
    assert "VIP 10.0.0.1 moved lb1 -> lb2" in texts
    assert "dns1 www: withdrew b" in texts
    assert "webfarm-web failed over node1 -> node2" in texts


def test_a_reading_gone_stale_shows_unknown_never_up():
    clock = Clock()
    farm = Farm(history=10, stale_after=5, clock=clock)
    farm.update([reading("up")])
    clock.t += 6
    row = farm.snapshot(PANELS[:1])["panels"][0]["rows"][0]
    assert row["state"] == "unknown" and "no reading for 6 s" in row["detail"]


def test_certificates_and_the_acme_renewal_are_read_at_their_own_slower_pace():
    cfg = {**CFG, "certificate_interval": 10.0,
           "targets": {**CFG["targets"], "nlb": {"balancers": [{"name": "lb1", "address": "127.0.0.1"}], "vips": ["127.0.0.2"],
                                                 "port": 80, "tls": {"port": 443, "name": "lb"}, "acme": True}},
           "ssh": {"user": "webfarm-monitor", "key": "/k", "known_hosts": "/h"}, "stats": {"user": "u", "password": "p"}}
    paces = sorted({kind: every for (kind, _), (_, every) in zip(collectors(cfg), scheduled(cfg), strict=True)}.items())
    assert paces == [("", 1.0), ("acme", 10.0), ("certificate", 10.0)]
    # Each row goes unknown only once it has missed three of its own readings.
    assert stale_after(cfg) == {"": 3 * 1.0 + 2 * 0.3 + 3, "certificate": 33.6, "acme": 33.6}
    clock = Clock()
    farm = Farm(history=10, stale_after=5, clock=clock, stale_after_kind={"certificate": 30})
    farm.update([reading("up"), reading("up", kind="certificate", name="10.0.0.1")])
    clock.t += 6
    rows = {r["kind"]: r for r in farm.snapshot(PANELS[:1])["panels"][0]["rows"]}
    assert (rows["node"]["state"], rows["certificate"]["state"]) == ("unknown", "up")
    # Without certificate_interval, everything at the one interval.
    assert {every for _, every in scheduled({**cfg, "certificate_interval": 1.0})} == {1.0}


def call(app, path="/", method="GET"):
    return wsgi_call(app, {"PATH_INFO": path, "REQUEST_METHOD": method})


def test_the_page_and_the_json_answer():
    app = Monitor(CFG, start=False)
    app.farm.update([reading("down")])
    status, headers, body = call(app, "/")
    assert status == "200 OK" and headers["Content-Type"].startswith("text/html") and b"api/state" in body
    assert b"const INTERVAL = 1.0;" in body
    status, _, body = call(app, "/api/state")
    snap = json.loads(body)
    assert snap["counts"] == {"up": 0, "degraded": 0, "down": 1, "unknown": 0}
    assert snap["panels"][0]["id"] == "web_farm" and snap["panels"][0]["rows"][0]["state"] == "down"
    assert call(app, "/api/state", "POST")[0].startswith("405")
    assert call(app, "/nope")[0].startswith("404")


SSH_NEEDED = "ssh.user: the cluster.s status, the content push and the ACME renewal are read over SSH"


@pytest.mark.parametrize("change, message", [
    ({"interval": 0.4}, "interval 0.4: must be 0.5 seconds or more"),
    ({"interval": True}, "interval True"),
    ({"history": 0}, "history 0: must be a positive integer"),
    ({"history": 2.5}, "history 2.5: must be a positive integer"),
    ({"timeout": 0}, "timeout 0"),
    ({"targets": {"cdn": {}}}, "targets: unknown topology cdn"),
    ({"targets": {"active_passive": {"nodes": []}}}, SSH_NEEDED),
    ({"targets": {"web_farm": {"nodes": [], "content": [{"name": "content1", "address": "10.0.0.5"}]}}}, SSH_NEEDED),
    ({"targets": {"nlb": {"balancers": [], "vips": [], "acme": True}}}, SSH_NEEDED),
    ({"certificate_margin": -1}, "certificate_margin -1: must be 0 or more seconds"),
    ({"certificate_interval": 0.5}, "certificate_interval 0.5: must be from interval .1.0. to 86400 seconds"),
])
def test_a_bad_configuration_is_refused_naming_the_value(tmp_path, change, message):
    path = tmp_path / "monitor.json"
    path.write_text(json.dumps({**CFG, **change}))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(str(path))
    assert main(["webfarm_monitor.py", "--check-config", str(path)]) == 1


def test_a_good_configuration_passes_the_check(tmp_path):
    path = tmp_path / "monitor.json"
    path.write_text(json.dumps(CFG))
    assert main(["webfarm_monitor.py", "--check-config", str(path)]) == 0


def test_a_move_is_told_even_with_a_down_reading_between():
    clock = Clock()
    farm = Farm(history=10, stale_after=10, clock=clock)
    farm.update([reading("up", "lb1", "vip", "VIP 10.0.0.1"), reading("up", "node1", "group", "webfarm-web")])
    farm.update([reading("down", None, "vip", "VIP 10.0.0.1"), reading("down", None, "group", "webfarm-web")])
    farm.update([reading("up", "lb2", "vip", "VIP 10.0.0.1"), reading("up", "node2", "group", "webfarm-web")])
    texts = [e["text"] for e in farm.events]
    assert "VIP 10.0.0.1 moved lb1 -> lb2" in texts and "webfarm-web failed over node1 -> node2" in texts


def test_a_cluster_view_without_quorum_is_never_up():
    _, readings = parse_crm_mon(CRM, ["webfarm-web"])
    expected = [Reading(r.key, r.topology, r.name, r.kind, "unknown") for r in readings]
    merged = {r.name: r for r in merge_views([(False, "node1", readings)], [], expected)}
    assert merged["node1"].state == "degraded" and "no quorum" in merged["node1"].detail
    assert merged["webfarm-web"].state == "degraded"
    assert merged["node3"].state == "down"
    assert {r.state for r in merge_views([], ["node1: refused"], expected)} == {"unknown"}


def test_every_promised_row_shows_before_its_first_reading():
    cfg = {**CFG, "targets": {**CFG["targets"], "nlb": {"balancers": [{"name": "lb1", "address": "127.0.0.1",
                                                                        "stats_port": 1}],
                                                      "vips": ["10.0.0.1"], "port": 80, "balancer_path": "/b"},
                              "session_store": {"stores": [{"name": "store1", "address": "127.0.0.1", "port": 1}]}}}
    snap = Monitor(cfg, start=False).farm.snapshot(cfg["panels"])
    states = {r["key"]: r["state"] for p in snap["panels"] for r in p["rows"]}
    assert states == {"web_farm/web1": "unknown", "nlb/lb1": "unknown", "nlb/lb1/web1": "unknown",
                      "nlb/vip/10.0.0.1": "unknown", "session_store/store1": "unknown"}


def test_stats_that_refuse_the_monitor_are_unknown_not_down():
    import http.server
    import threading

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        lb = {"name": "lb1", "address": "127.0.0.1", "stats_port": server.server_address[1]}
        readings = balancer(lb, ["web1"], ("webfarm-monitor", "wrong"), timeout=1)
    finally:
        server.shutdown()
    assert [r.state for r in readings] == ["unknown", "unknown"] and "refused" in readings[0].detail


def test_page_users_want_a_login_for_the_page_and_the_state_but_not_for_health():
    app = Monitor({**CFG, "page_users": [{"user": "viewer", "password": "a-long-password"}]}, start=False)
    good = "Basic " + base64.b64encode(b"viewer:a-long-password").decode()
    bad = "Basic " + base64.b64encode(b"viewer:wrong").decode()
    for path in ("/", "/api/state"):
        status, headers, body = wsgi_call(app, {"PATH_INFO": path})
        assert status.startswith("401"), f"{path} answered without a login"
        assert int(headers["Content-Length"]) == len(body) and headers["WWW-Authenticate"].startswith("Basic")
        assert wsgi_call(app, {"PATH_INFO": path, "HTTP_AUTHORIZATION": bad})[0].startswith("401")
        assert wsgi_call(app, {"PATH_INFO": path, "HTTP_AUTHORIZATION": "Basic !!!"})[0].startswith("401")
        assert wsgi_call(app, {"PATH_INFO": path, "HTTP_AUTHORIZATION": good})[0].startswith("200")
    assert wsgi_call(app, {"PATH_INFO": "/health"})[0].split()[0] in ("200", "503")


def test_page_users_without_a_password_are_refused(tmp_path):
    path = tmp_path / "monitor.json"
    path.write_text(json.dumps({**CFG, "page_users": [{"user": "viewer"}]}))
    with pytest.raises(ConfigError, match="page_users"):
        load_config(str(path))


def test_a_configuration_without_its_panels_is_refused():
    """The page's panels and titles come from the role (the registry's):
    a configuration without them names what is missing."""
    with pytest.raises(ConfigError, match="panels"):
        check_config({k: v for k, v in CFG.items() if k != "panels"})
    with pytest.raises(ConfigError, match="unknown topology web_farm"):
        check_config({**CFG, "panels": [p for p in PANELS if p["name"] != "web_farm"]})


# ---- certificates and the ACME renewal ----------------------------------------

def _der(issuer_cn: str, days: float) -> bytes:
    import datetime as dt

    import certs
    from cryptography.hazmat.primitives import serialization
    now = dt.datetime.now(dt.UTC)
    key = certs.key()
    ca_key = certs.key()
    ca = certs.issue(ca_key, issuer_cn, ca=True, not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=99))
    leaf = certs.issue(key, "lb.webfarm.test", ["lb.webfarm.test"], issuer=(ca, ca_key),
                       not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=days))
    return leaf.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize(("issuer", "days", "state", "says"), [
    ("Pebble Intermediate CA 1", 30, "up", "lb.webfarm.test: Pebble Intermediate CA 1, 30.0 days left"),
    ("Pebble Intermediate CA 1", 10, "degraded", "10.0 days left (until"),
    ("Pebble Intermediate CA 1", -1, "down", "EXPIRED"),
    ("webfarm placeholder (ACME pending)", 2, "degraded", "the self-signed stand-in"),
])
def test_a_vips_certificate_row_says_issuer_and_days_left_and_turns_within_the_margin(issuer, days, state, says):
    import datetime as dt
    facts = certificate_facts(_der(issuer, days))
    r = certificate_reading("10.213.0.200", "lb.webfarm.test", facts, 14 * 86400, dt.datetime.now(dt.UTC))
    assert (r.key, r.kind, r.state) == ("nlb/certificate/10.213.0.200", "certificate", state), r
    assert says in r.detail, r.detail
    if state == "degraded" and days == 10:
        assert "within the monitor's margin of 14 days" in r.detail


def test_a_vip_without_https_is_down_saying_so():
    r = certificate("127.0.0.1", closed_port(), "lb.webfarm.test", 86400, 0.3)
    assert r.state == "down" and "no certificate" in r.detail, r


def test_the_acme_row_is_degraded_with_the_reason_when_the_last_renewal_failed():
    ok = {"ok": True, "renewed": False, "at": "2026-12-07T10:00:00+00:00"}
    failed = {"ok": False, "error": "the ACME order failed: connection refused", "at": "2026-12-07T10:15:00+00:00"}
    r = acme_reading("lb1", {"leader": True, "certificates": {"lb": {"last": ok}}})
    assert (r.state, r.detail) == ("up", "renews; last run 2026-12-07 10:00:00 UTC: ok")
    r = acme_reading("lb2", {"leader": False, "certificates": {"lb": {"last": failed}}})
    assert r.state == "degraded" and r.value == "failed"
    assert r.detail == ("stands by; the last renewal FAILED, the live certificate keeps serving: "
                        "lb: the ACME order failed: connection refused")
    assert acme_reading("lb1", {"leader": True, "certificates": {"lb": {"last": None}}}).detail == "renews; no run here yet"


def test_a_balancer_nobody_can_ask_about_its_renewal_is_unknown_not_up(tmp_path):
    ssh = {"user": "nobody", "key": str(tmp_path / "no-key"), "known_hosts": str(tmp_path / "kh"), "control_dir": str(tmp_path)}
    r = acme({"name": "lb1", "address": "127.0.0.1"}, ssh, 0.5)
    assert r.state == "unknown" and "state unreadable" in r.detail, r
