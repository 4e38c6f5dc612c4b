"""`loadgen.py watch`, the stopwatch the DNS drills run inside the client:
only an answer counts (a SERVFAIL or silence never "withdraws" a member),
each server is timed on its own, and loadgen's one DNS parser reads what
BIND sends (compressed names, A and AAAA). A local UDP server plays the name
server."""
from __future__ import annotations

import socket
import threading
import time

import dns.message
import dns.rcode
import dns.rrset
import pytest

from lab import dig, loadgen

NAME = "www.webfarm.test"


def answer(request: bytes, rcode: int = dns.rcode.NOERROR, a: tuple[str, ...] = (), aaaa: tuple[str, ...] = ()) -> bytes:
    msg = dns.message.make_response(dns.message.from_wire(request))
    msg.set_rcode(rcode)
    if a:
        msg.answer.append(dns.rrset.from_text(NAME + ".", 5, "IN", "A", *a))
    if aaaa:
        msg.answer.append(dns.rrset.from_text(NAME + ".", 5, "IN", "AAAA", *aaaa))
    return msg.to_wire()


class Server:
    """Answers each query with the next of `script` (the last repeats): a
    dict of answer()'s arguments, or None for silence."""

    def __init__(self, script):
        self.script = list(script)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
            if step is not None:
                self.sock.sendto(answer(data, **step), peer)

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def server():
    made = []

    def make(*script):
        made.append(Server(script))
        return made[-1]
    yield make
    for s in made:
        s.close()


def test_the_parser_reads_a_bind_answer_with_compressed_names():
    request = loadgen.dns_query(4242, NAME)
    assert loadgen.dns_answer(4242, answer(request, a=("10.0.0.12", "10.0.0.11"))) == (0, ["10.0.0.11", "10.0.0.12"])
    assert loadgen.dns_answer(4242, answer(request, rcode=dns.rcode.NXDOMAIN)) == (3, [])
    v6 = loadgen.dns_query(7, NAME, "AAAA")
    both = answer(v6, a=("10.0.0.11",), aaaa=("fd00:213::12", "fd00:213::11"))
    assert loadgen.dns_answer(7, both, "AAAA") == (0, ["fd00:213::11", "fd00:213::12"])
    assert loadgen.dns_answer(7, both) == (0, ["10.0.0.11"])


@pytest.mark.parametrize("packet, message", [
    (b"", "short"), (b"\x10\x92", "short"),
    (b"\x10\x92\x80\x00\x00\x01\x00\x01\x00\x00\x00\x00\x03www", "cut short"),
    (b"\x10\x92\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "not a response"),
], ids=["empty", "id only", "cut", "a query"])
def test_what_is_no_answer_is_refused_by_name(packet, message):
    with pytest.raises(ValueError, match=message):
        loadgen.dns_answer(0x1092, packet)


def test_another_id_is_no_answer_and_a_bad_name_or_type_is_refused():
    with pytest.raises(ValueError, match="does not match"):
        loadgen.dns_answer(2, answer(loadgen.dns_query(1, NAME), a=("10.0.0.11",)))
    with pytest.raises(ValueError, match="is not a DNS name"):
        loadgen.dns_query(1, "")
    with pytest.raises(ValueError, match="'MX' is not one of A, AAAA"):
        loadgen.dns_query(1, NAME, "MX")


@pytest.mark.parametrize("failure", [{"rcode": dns.rcode.SERVFAIL}, None], ids=["servfail", "silence"])
def test_a_server_that_fails_never_counts_as_having_withdrawn(server, failure):
    s = server(failure)
    assert loadgen.watch_dns(["127.0.0.1"], NAME, "10.0.0.11", False, 0.01, 0.5, port=s.port) == {}


def test_a_withdrawal_counts_at_the_first_answer_without_the_member(server):
    s = server({"rcode": dns.rcode.SERVFAIL}, {"a": ("10.0.0.11", "10.0.0.12")}, {"a": ("10.0.0.11", "10.0.0.12")},
               {"a": ("10.0.0.12",)})
    t0 = time.time()
    seen = loadgen.watch_dns(["127.0.0.1"], NAME, "10.0.0.11", False, 0.01, 5, port=s.port)
    assert list(seen) == ["127.0.0.1"] and t0 < seen["127.0.0.1"] < t0 + 2
    restored = loadgen.watch_dns(["127.0.0.1"], NAME, "10.0.0.12", True, 0.01, 5, port=s.port)
    assert list(restored) == ["127.0.0.1"]


def test_parse_watch_reads_one_line_per_server():
    assert dig.parse_watch("10.0.0.53 100.5\n10.0.0.54 100.75\nnoise\n") == {"10.0.0.53": 100.5, "10.0.0.54": 100.75}


def test_the_watch_mode_prints_each_server_and_exits_1_unless_all_agree(server, capsys):
    gone, held = server({"a": ("10.0.0.12",)}), server({"a": ("10.0.0.11",)})
    args = ["watch", "--name", NAME, "--address", "10.0.0.11", "--interval", "0.01", "--timeout", "0.5"]
    assert loadgen.main([*args, "--servers", "127.0.0.1", "--port", str(gone.port)]) == 0
    assert list(dig.parse_watch(capsys.readouterr().out)) == ["127.0.0.1"]
    assert loadgen.main([*args, "--servers", "127.0.0.1", "--port", str(held.port)]) == 1
    assert capsys.readouterr().out == ""


def test_the_watch_mode_refuses_an_unbounded_poll():
    with pytest.raises(SystemExit):
        loadgen.main(["watch", "--servers", "127.0.0.1", "--name", NAME, "--address", "10.0.0.11", "--timeout", "0"])
