"""Drill: a partition between two web nodes cuts exactly their link.

The active/passive drills split a cluster this way; here the helper itself
is proven on the web farm: the two nodes lose each other, while the client
keeps reaching both, and healing restores the link.
"""
from __future__ import annotations

import pytest

from lab import hosts

pytestmark = pytest.mark.drill


def reaches(source, target, timeout: float = 1.0) -> bool:
    """Whether source gets an HTTP answer from target's site."""
    out = hosts.run(source, "curl", "-s", "-o", "/dev/null", "-m", str(timeout), "-w", "%{http_code}",
                    target.url("web_node_port"), check=False)
    return out.stdout.strip() == "200"


def test_partition_cuts_the_link_between_two_hosts_only(inventory):
    nodes = inventory.hosts("web_farm")
    assert len(nodes) >= 2, "the drill needs two web nodes"
    a, b = nodes[0], nodes[1]
    client = inventory.client()
    assert reaches(a, b) and reaches(b, a), "the nodes must reach each other before the drill"
    try:
        hosts.partition(a, b)
        assert hosts.partitioned(a) and hosts.partitioned(b)
        assert not reaches(a, b), f"{a.name} still reaches {b.name} across the partition"
        assert not reaches(b, a), f"{b.name} still reaches {a.name} across the partition"
        assert reaches(client, a) and reaches(client, b), "the client must reach both sides"
        hosts.heal(a, b)
        assert not hosts.partitioned(a) and not hosts.partitioned(b)
        assert reaches(a, b) and reaches(b, a), "the link is back after heal"
    finally:
        hosts.restore(a)
        hosts.restore(b)
    assert not hosts.partitioned(a)
