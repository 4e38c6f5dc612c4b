"""The balancer's answer watcher (roles/lb_keepalived/files/webfarm-lb-watch):
its state turns down after `fall` failures in a row and up after `rise`
answers, it writes the track file only on a change and starts from what the
file says (a restart moves no VIP), and it asks a real HTTP server within
its timeout. tests/nlb drives it against a frozen HAProxy."""
from __future__ import annotations

import http.server
import socket
import threading
import time
from pathlib import Path

import pytest
from script_module import load_script

from lab.inventory import ROOT

watch = load_script(ROOT / "roles" / "lb_keepalived" / "files" / "webfarm-lb-watch", "webfarm_lb_watch")
State = watch.State


def run(answers: list[bool], start: State, fall: int = 2, rise: int = 3) -> list[bool]:
    states, state = [], start
    for ok in answers:
        state = watch.step(state, ok, fall, rise)
        states.append(state.up)
    return states


def test_down_after_fall_failures_in_a_row_only():
    assert run([False], State(True)) == [True]
    assert run([False, False], State(True)) == [True, False]
    # A good answer between two failures starts the count again.
    assert run([False, True, False, True], State(True)) == [True, True, True, True]


def test_up_after_rise_answers_in_a_row_only():
    assert run([True, True, False, True, True, True], State(False)) == [False, False, False, False, False, True]


def test_fall_one_turns_down_at_the_first_failure():
    assert run([False], State(True), fall=1) == [False]


@pytest.mark.parametrize("url, https, host, port, path", [
    ("http://127.0.0.1:8404/webfarm-lb-health", False, "127.0.0.1", 8404, "/webfarm-lb-health"),
    ("https://lb.example.test/", True, "lb.example.test", 443, "/"),
    ("http://[::1]:8404", False, "::1", 8404, "/"),
])
def test_parse_url(url, https, host, port, path):
    assert watch.parse_url(url) == watch.Target(https, host, port, path)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:8404", "http:///path"])
def test_parse_url_refuses_what_is_not_an_http_url(url):
    with pytest.raises(ValueError, match="must be an http:// or https:// URL"):
        watch.parse_url(url)


@pytest.mark.parametrize("argv, says", [
    (["--interval", "0.01"], "--interval 0.01: must be 0.05 to 10 seconds"),
    (["--timeout", "0"], "--timeout 0: must be 0.05 to 10 seconds"),
    (["--fall", "0"], "--fall and --rise: must be 1 to 100"),
    (["--url", "gopher://x/"], "must be an http:// or https:// URL"),
])
def test_bad_arguments_are_refused_by_name(argv, says, capsys):
    base = {"--url": "http://127.0.0.1:8404/", "--file": "/run/x"}
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        base[flag] = value
    with pytest.raises(SystemExit):
        watch.parse_args([a for kv in base.items() for a in kv])
    assert says in capsys.readouterr().err


def test_the_file_is_written_on_changes_only_and_read_at_start(tmp_path: Path):
    track = tmp_path / "answers"
    track.write_text("0\n")
    writes = []
    real_write = watch.write_state

    def recording_write(path, up):
        writes.append(up)
        real_write(path, up)

    answers = iter([True, False, False, False, True, True, True, True])
    watch.write_state = recording_write
    try:
        last = watch.watch(watch.parse_url("http://127.0.0.1:1/"), str(track), 0.1, 0.3, 2, 3,
                           probe=lambda t, timeout: next(answers), rounds=8, sleep=lambda s: None)
    finally:
        watch.write_state = real_write
    # Started up (the file said 0): no write until two failures, one when it came back.
    assert writes == [False, True]
    assert last.up and track.read_text() == "0\n"
    assert watch.read_state(str(tmp_path / "missing")) == State(False)


class Health(http.server.BaseHTTPRequestHandler):
    delay = 0.0

    def do_GET(self):  # noqa: N802 - http.server's name
        time.sleep(self.delay)
        self.send_response(200 if self.path == "/ok" else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    Health.delay = 0.0


def test_answers_asks_a_real_server_within_its_timeout(server):
    port = server.server_address[1]
    assert watch.answers(watch.parse_url(f"http://127.0.0.1:{port}/ok"), 1.0)
    assert not watch.answers(watch.parse_url(f"http://127.0.0.1:{port}/down"), 1.0)
    Health.delay = 0.5
    t0 = time.monotonic()
    assert not watch.answers(watch.parse_url(f"http://127.0.0.1:{port}/ok"), 0.1)
    assert time.monotonic() - t0 < 0.4, "a slow answer must count as failed once the timeout is over"


def test_answers_is_false_when_nothing_listens():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert not watch.answers(watch.parse_url(f"http://127.0.0.1:{port}/"), 0.5)
