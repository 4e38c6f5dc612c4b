"""lab/content.py's Arrival without a lab: every node's figure, a node
that never had the file included (tests/web_farm/test_content.py judges
them against its own bound, shorter than the watch)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from lab import content


@dataclass
class FakeHost:
    name: str
    groups: list[str] = field(default_factory=lambda: ["web_farm"])

    def var(self, key: str) -> str:
        return "/var/www/webfarm"


def test_outcome_gives_every_nodes_seconds_and_none_for_one_that_never_had_it(monkeypatch):
    arrived = {"web1": 101.5, "web2": 112.25}

    def wait_one(host, path, want, timeout):
        assert path == "/var/www/webfarm/new.txt" and timeout == 30
        if host.name not in arrived:
            raise TimeoutError(f"{host.name}: {path} not in place after {timeout} s")
        return arrived[host.name]

    monkeypatch.setattr(content, "_wait_one", wait_one)
    nodes = [FakeHost("web1"), FakeHost("web2"), FakeHost("web3")]
    with content.Arrival(nodes, "new.txt", "abc", timeout=30) as arrival:
        pass
    assert arrival.outcome(100.0) == {"web1": 1.5, "web2": 12.25, "web3": None}
    # .seconds() still refuses a node that never had it.
    with pytest.raises(TimeoutError, match="web3"):
        arrival.seconds(100.0)


def test_outcome_passes_on_an_error_that_is_not_a_timeout(monkeypatch):
    def wait_one(host, path, want, timeout):
        raise RuntimeError("docker exec failed")

    monkeypatch.setattr(content, "_wait_one", wait_one)
    with content.Arrival([FakeHost("web1")], "new.txt", "abc") as arrival:
        pass
    with pytest.raises(RuntimeError, match="docker exec failed"):
        arrival.outcome(0.0)
