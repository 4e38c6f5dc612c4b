"""lab/dig.py: a name counts as withdrawn only when a server
answered without it; a SERVFAIL or a timeout is never "withdrawn"."""
from __future__ import annotations

import pytest

from lab import dig

HEADER = ";; ->>HEADER<<- opcode: QUERY, status: {rcode}, id: 4242\n;; flags: qr aa; QUERY: 1, ANSWER: {n}\n"


def reply(rcode: str, *addresses: str) -> str:
    body = "".join(f"www.webfarm.test. 5 IN A {a}\n" for a in addresses)
    return HEADER.format(rcode=rcode, n=len(addresses)) + body


TIMEOUT = ";; communications error to 10.0.0.53#53: timed out\n;; no servers could be reached\n"


@pytest.fixture
def server_says(monkeypatch):
    """Each call of dig gives the next of the replies given."""
    def given(*replies: str) -> list[str]:
        left = list(replies)
        monkeypatch.setattr(dig, "dig", lambda *a, **k: left.pop(0) if len(left) > 1 else left[0])
        return left
    return given


def test_an_answer_is_its_records_and_a_failure_or_silence_is_none(server_says):
    server_says(reply("NOERROR", "10.0.0.11", "10.0.0.12"))
    assert dig.answered(None, "10.0.0.53", "www.webfarm.test") == ["10.0.0.11", "10.0.0.12"]
    server_says(reply("NXDOMAIN"))
    assert dig.answered(None, "10.0.0.53", "www.webfarm.test") == []
    server_says(reply("SERVFAIL"))
    assert dig.answered(None, "10.0.0.53", "www.webfarm.test") is None
    server_says(TIMEOUT)
    assert dig.answered(None, "10.0.0.53", "www.webfarm.test") is None
