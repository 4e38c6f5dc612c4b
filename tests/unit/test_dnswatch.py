"""lab/dnswatch.py, the poller the DNS drills run inside the client: only an
answer counts (a SERVFAIL or silence never "withdraws" a member), each
server is timed on its own, and the parser reads what BIND sends
(compressed names, A and AAAA). A local UDP server plays the name server."""
from __future__ import annotations

import socket
import threading
import time

import dns.message
import dns.rcode
import dns.rrset
import pytest

from lab import dig, dnswatch

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
    request = dnswatch.query(NAME, "A", 4242)
    assert sorted(dnswatch.addresses(answer(request, a=("10.0.0.11", "10.0.0.12")), 4242, "A")) == ["10.0.0.11", "10.0.0.12"]
    assert dnswatch.addresses(answer(request, rcode=dns.rcode.NXDOMAIN), 4242, "A") == []
    v6 = dnswatch.query(NAME, "AAAA", 7)
    assert dnswatch.addresses(answer(v6, aaaa=("fd00:213::11",)), 7, "AAAA") == ["fd00:213::11"]


@pytest.mark.parametrize("packet", [b"", b"\x10\x92", b"\x10\x92\x80\x00\x00\x01"], ids=["empty", "id only", "cut"])
def test_the_parser_says_none_for_what_is_no_answer(packet):
    assert dnswatch.addresses(packet, 0x1092, "A") is None


def test_another_id_or_a_servfail_is_no_answer():
    request = dnswatch.query(NAME, "A", 1)
    assert dnswatch.addresses(answer(request, a=("10.0.0.11",)), 2, "A") is None
    assert dnswatch.addresses(answer(request, rcode=dns.rcode.SERVFAIL), 1, "A") is None


def test_a_bad_name_is_refused():
    with pytest.raises(ValueError, match="is not a domain name"):
        dnswatch.query("", "A", 1)


@pytest.mark.parametrize("failure", [{"rcode": dns.rcode.SERVFAIL}, None], ids=["servfail", "silence"])
def test_a_server_that_fails_never_counts_as_having_withdrawn(server, failure):
    s = server(failure)
    assert dnswatch.watch(["127.0.0.1"], NAME, "A", "10.0.0.11", False, 0.01, 0.5, port=s.port) == {}


def test_a_withdrawal_counts_at_the_first_answer_without_the_member(server):
    s = server({"rcode": dns.rcode.SERVFAIL}, {"a": ("10.0.0.11", "10.0.0.12")}, {"a": ("10.0.0.11", "10.0.0.12")},
               {"a": ("10.0.0.12",)})
    t0 = time.time()
    seen = dnswatch.watch(["127.0.0.1"], NAME, "A", "10.0.0.11", False, 0.01, 5, port=s.port)
    assert list(seen) == ["127.0.0.1"] and t0 < seen["127.0.0.1"] < t0 + 2
    restored = dnswatch.watch(["127.0.0.1"], NAME, "A", "10.0.0.12", True, 0.01, 5, port=s.port)
    assert list(restored) == ["127.0.0.1"]


def test_parse_watch_reads_one_line_per_server():
    assert dig.parse_watch("10.0.0.53 100.5\n10.0.0.54 100.75\nnoise\n") == {"10.0.0.53": 100.5, "10.0.0.54": 100.75}
