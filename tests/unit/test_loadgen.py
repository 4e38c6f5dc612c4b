"""The load generator counts every outcome right, against servers on loopback:
HTTP, a tiny DNS responder and a tiny Redis responder."""
from __future__ import annotations

import datetime
import hashlib
import http.server
import socket
import socketserver
import ssl
import struct
import threading
import time

import certs
import pytest

from lab import loadgen


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path == "/slow":
            time.sleep(1.0)
        code = {"/down": 503, "/moved": 301}.get(self.path, 200)
        self.send_response(code)
        self.send_header("X-Served-By", "unit")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


@pytest.fixture
def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    return f"http://127.0.0.1:{port}/"


def test_a_redirect_is_not_the_page_asked_for(server):
    rec = loadgen.request(server + "/moved", timeout=2)
    assert (rec["outcome"], rec["status"]) == ("bad_answer", 301)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """The HTTP server behind TLS, with a certificate for 127.0.0.1 from a throwaway CA."""
    pair = certs.ca_and_leaf(["127.0.0.1"], not_before=datetime.datetime.now(datetime.UTC)
                             - datetime.timedelta(hours=1))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "server.pem").write_text(pair["cert"] + pair["key"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{srv.server_address[1]}", pair["ca"]
    srv.shutdown()


def test_https_checks_the_certificate_against_the_trusted_cas(tls_server, monkeypatch):
    url, ca = tls_server
    untrusted = loadgen.request(url + "/", timeout=2)
    assert untrusted["outcome"] == "error" and "CERTIFICATE_VERIFY_FAILED" in untrusted["error"], untrusted
    monkeypatch.setitem(loadgen._TLS, "default", ssl.create_default_context(cadata=ca))
    trusted = loadgen.request(url + "/", timeout=2)
    assert (trusted["outcome"], trusted["status"], trusted["node"]) == ("ok", 200, "unit"), trusted


def test_ok_records_status_and_node(server):
    recs = loadgen.run([server + "/"], count=3, duration=5)
    assert [r["outcome"] for r in recs] == ["ok"] * 3
    assert {r["node"] for r in recs} == {"unit"}
    assert {r["target"] for r in recs} == {server + "/"}
    assert all(r["t1"] >= r["t0"] for r in recs)


def test_digest_is_the_sha256_of_the_body_the_client_got(server):
    (rec,) = loadgen.run([server + "/"], count=1, duration=5, digest=True)
    assert rec["digest"] == hashlib.sha256(b"ok").hexdigest()
    (plain,) = loadgen.run([server + "/"], count=1, duration=5)
    assert plain["digest"] is None


def test_http_error_is_a_bad_answer_with_its_status(server):
    rec = loadgen.run([server + "/down"], count=1, duration=5)[0]
    assert rec["outcome"] == "bad_answer"
    assert rec["status"] == 503


def test_refused_when_nothing_listens(closed_port):
    rec = loadgen.run([closed_port], count=1, duration=5)[0]
    assert rec["outcome"] == "refused"
    assert rec["status"] is None


def test_timeout_when_the_answer_is_late(server):
    rec = loadgen.run([server + "/slow"], count=1, duration=5, timeout=0.2)[0]
    assert rec["outcome"] == "timeout"


def test_round_robin_over_targets_in_order(server, closed_port):
    recs = loadgen.run([server + "/", closed_port], count=4, duration=5)
    assert [r["outcome"] for r in recs] == ["ok", "refused", "ok", "refused"]
    assert [r["i"] for r in recs] == [0, 1, 2, 3]


def test_count_bounds_the_run_with_several_workers(server):
    recs = loadgen.run([server + "/"], count=25, duration=10, workers=4)
    assert len(recs) == 25
    assert sorted(r["i"] for r in recs) == list(range(25))


def test_duration_bounds_the_run(server):
    t0 = time.monotonic()
    recs = loadgen.run([server + "/"], count=1_000_000, duration=0.5, interval=0.05)
    assert time.monotonic() - t0 < 3
    assert 0 < len(recs) < 100


def test_paced_requests_leave_on_time_while_others_hang(server):
    # Open loop: every fourth request waits 1 s for its answer (and times
    # out at 0.5 s); the others still leave every 0.05 s.
    targets = [server + "/slow", server + "/", server + "/", server + "/"]
    recs = loadgen.run(targets, count=20, duration=10, timeout=0.5, workers=12, pace=0.05)
    sent = [r["t0"] - recs[0]["t0"] for r in recs]
    assert [r["outcome"] for r in recs[:4]] == ["timeout", "ok", "ok", "ok"]
    # Each leaves near its slot: well within the 0.5 s a closed loop would
    # hold it behind the hung request (below), with room for a busy machine
    # (make test runs this beside two Molecule scenarios; 0.04 s was missed).
    assert all(abs(t - i * 0.05) < 0.2 for i, t in enumerate(sent)), sent


def test_closed_loop_workers_wait_for_a_hung_request(server):
    # The same requests in closed loop: one worker stuck on /slow sends
    # nothing else until its timeout, which pace exists to avoid.
    recs = loadgen.run([server + "/slow", server + "/"], count=2, duration=10, timeout=0.5, workers=1)
    assert recs[1]["t0"] - recs[0]["t0"] >= 0.5


def test_stop_file_ends_the_run_early(server, tmp_path):
    stop = tmp_path / "stop"
    stop.write_text("")
    assert loadgen.run([server + "/"], count=10, duration=5, stop_file=str(stop)) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"targets": []}, "at least one target"),
    ({"targets": ["ftp://127.0.0.1/"]}, "the scheme must be one of http, https, dns, redis, tcp"),
    ({"targets": ["tcp://127.0.0.1"]}, "a tcp target needs a port"),
    ({"targets": ["dns://127.0.0.1/"]}, "a dns target needs a name"),
    ({"count": 0}, "count must be"),
    ({"duration": 0}, "duration must be"),
    ({"duration": 601}, "duration must be"),
    ({"workers": 65}, "workers must be"),
    ({"pace": 0.001}, "pace must be 0.005-5 s"),
    ({"pace": 0.01, "interval": 0.01}, "without interval"),
    ({"pace": 0.01, "timeout": 0.25, "workers": 8}, "needs at least 26 workers"),
])
def test_unbounded_or_empty_runs_are_refused(kwargs, message):
    args = {"targets": ["http://127.0.0.1:9/"], "count": 1, "duration": 1.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        loadgen.run(**args)


@pytest.mark.parametrize("exc, outcome", [
    (TimeoutError("timed out"), "timeout"),
    (ConnectionRefusedError(111, "refused"), "refused"),
    (ConnectionResetError(104, "reset"), "reset"),
    (OSError(113, "No route to host"), "unreachable"),
    (ValueError("odd"), "error"),
])
def test_classify(exc, outcome):
    assert loadgen.classify(exc) == outcome


def test_cli_prints_one_json_line_per_request(server, capsys):
    assert loadgen.main(["--target", server + "/", "--count", "2", "--duration", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and '"outcome": "ok"' in lines[0]


def test_the_first_header_present_names_the_node(server):
    rec = loadgen.run([server + "/"], count=1, duration=5, headers=("X-Node", "X-Served-By"))[0]
    assert rec["node"] == "unit"


# DNS: a responder on loopback answering like an authoritative server.
ZONE = {"www.webfarm.test": ["10.213.0.12", "10.213.0.11"], "empty.webfarm.test": []}


def dns_responder(sock, stop):
    while not stop.is_set():
        try:
            data, peer = sock.recvfrom(512)
        except OSError:
            return
        qid, = struct.unpack("!H", data[:2])
        pos, labels = 12, []
        while data[pos]:
            labels.append(data[pos + 1:pos + 1 + data[pos]].decode())
            pos += 1 + data[pos]
        question = data[12:pos + 5]
        name = ".".join(labels)
        records = ZONE.get(name)
        rcode = 3 if records is None else 0
        answers = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(a) for a in records or [])
        header = struct.pack("!HHHHHH", qid, 0x8400 | rcode, 1, len(records or []), 0, 0)
        sock.sendto(header + question + answers, peer)


@pytest.fixture(scope="module")
def dns_server():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    stop = threading.Event()
    threading.Thread(target=dns_responder, args=(sock, stop), daemon=True).start()
    yield f"dns://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    sock.close()


def test_dns_answer_lists_the_records_in_address_order(dns_server):
    rec = loadgen.run([dns_server + "/www.webfarm.test"], count=1, duration=5)[0]
    assert (rec["outcome"], rec["status"], rec["answer"]) == ("ok", 0, "10.213.0.11,10.213.0.12")


@pytest.mark.parametrize("name, rcode", [("nope.webfarm.test", 3), ("empty.webfarm.test", 0)])
def test_dns_nxdomain_or_no_record_is_a_bad_answer(dns_server, name, rcode):
    rec = loadgen.run([f"{dns_server}/{name}"], count=1, duration=5)[0]
    assert (rec["outcome"], rec["status"]) == ("bad_answer", rcode)


def test_dns_without_a_server_is_refused_or_times_out():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    rec = loadgen.run([f"dns://127.0.0.1:{port}/www.webfarm.test"], count=1, duration=5, timeout=0.3)[0]
    assert rec["outcome"] in ("refused", "timeout")


def test_dns_query_refuses_a_bad_name():
    with pytest.raises(ValueError, match="is not a DNS name"):
        loadgen.dns_query(1, "a" * 64 + ".test")


def test_dns_answer_of_another_query_is_an_error():
    with pytest.raises(ValueError, match="does not match"):
        loadgen.dns_answer(1, struct.pack("!HHHHHH", 2, 0x8400, 0, 0, 0, 0))


# Redis: a responder speaking just enough RESP for AUTH and PING.
class RedisHandler(socketserver.StreamRequestHandler):
    password = "s3cret"

    def handle(self):
        authed = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            args = [self.rfile.readline() and self.rfile.readline().strip().decode() for _ in range(int(line[1:]))]
            if args[0] == "AUTH":
                authed = args[-1] == self.password
                self.wfile.write(b"+OK\r\n" if authed else b"-WRONGPASS invalid username-password pair\r\n")
            elif args[0] == "PING":
                self.wfile.write(b"+PONG\r\n" if authed else b"-NOAUTH Authentication required.\r\n")


@pytest.fixture(scope="module")
def redis_server():
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RedisHandler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("auth, outcome, answer", [
    (":s3cret@", "ok", "+PONG"),
    ("monitor:s3cret@", "ok", "+PONG"),
    (":wrong@", "bad_answer", "-WRONGPASS invalid username-password pair"),
    ("", "bad_answer", "-NOAUTH Authentication required."),
])
def test_redis_ping_after_auth(redis_server, auth, outcome, answer):
    rec = loadgen.run([f"redis://{auth}127.0.0.1:{redis_server}"], count=1, duration=5)[0]
    assert (rec["outcome"], rec["answer"]) == (outcome, answer)


def test_tcp_connect_is_ok_when_accepted_and_refused_when_closed(redis_server, closed_port):
    port = closed_port.rsplit(":", 1)[1].strip("/")
    recs = loadgen.run([f"tcp://127.0.0.1:{redis_server}", f"tcp://127.0.0.1:{port}"], count=2, duration=5)
    assert [r["outcome"] for r in recs] == ["ok", "refused"]


def test_by_name_the_first_address_only_is_tried_when_asked(server):
    port = server.rsplit(":", 1)[1]
    rec = loadgen.run([f"http://localhost:{port}/"], count=1, duration=5, resolve="first")[0]
    assert (rec["outcome"], rec["answer"]) == ("ok", "127.0.0.1")
    assert loadgen.run([f"http://localhost:{port}/"], count=1, duration=5)[0]["answer"] is None
    with pytest.raises(ValueError, match="resolve must be all or first"):
        loadgen.run([server], count=1, duration=1, resolve="some")
