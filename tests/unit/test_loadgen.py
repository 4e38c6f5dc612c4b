"""The load generator counts every outcome right, against servers on loopback."""
from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from toolkit import loadgen


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path == "/slow":
            time.sleep(1.0)
        code = 503 if self.path == "/down" else 200
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


def test_ok_records_status_and_node(server):
    recs = loadgen.run([server + "/"], count=3, duration=5)
    assert [r["outcome"] for r in recs] == ["ok"] * 3
    assert {r["node"] for r in recs} == {"unit"}
    assert all(r["t1"] >= r["t0"] for r in recs)


def test_http_error_keeps_the_status(server):
    rec = loadgen.run([server + "/down"], count=1, duration=5)[0]
    assert rec["outcome"] == "http_error"
    assert rec["status"] == 503


def test_refused_when_nothing_listens(closed_port):
    rec = loadgen.run([closed_port], count=1, duration=5)[0]
    assert rec["outcome"] == "refused"
    assert rec["status"] is None


def test_timeout_when_the_answer_is_late(server):
    rec = loadgen.run([server + "/slow"], count=1, duration=5, timeout=0.2)[0]
    assert rec["outcome"] == "timeout"


def test_round_robin_over_urls_in_order(server, closed_port):
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


def test_stop_file_ends_the_run_early(server, tmp_path):
    stop = tmp_path / "stop"
    stop.write_text("")
    assert loadgen.run([server + "/"], count=10, duration=5, stop_file=str(stop)) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"urls": []}, "at least one URL"),
    ({"count": 0}, "count must be"),
    ({"duration": 0}, "duration must be"),
    ({"duration": 601}, "duration must be"),
    ({"workers": 65}, "workers must be"),
])
def test_unbounded_or_empty_runs_are_refused(kwargs, message):
    args = {"urls": ["http://127.0.0.1:9/"], "count": 1, "duration": 1.0, **kwargs}
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
    assert loadgen.main(["--url", server + "/", "--count", "2", "--duration", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and '"outcome": "ok"' in lines[0]
