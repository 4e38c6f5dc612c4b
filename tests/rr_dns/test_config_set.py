"""BIND's files are one set: a configuration named-checkconf refuses is put
back whole, before named could load it, and named keeps serving.

The role writes them through library/webfarm_config_set.py; here the same
module, run on the primary as the role runs it, is given a changed options
file and a zone configuration whose zone file does not exist (each file is
valid on its own; only a check of the whole set in place, zones loaded,
sees that named could not serve them)."""
from __future__ import annotations

from lab import dig, hosts
from lab.playbook import run_module

OPTIONS = "/etc/bind/named.conf.options"
LOCAL = "/etc/bind/named.conf.local"


def test_a_set_named_refuses_is_put_back_whole_and_named_keeps_serving(client, zone, inventory):
    primary = zone.primary
    before = {p: hosts.run(primary, "cat", p).stdout for p in (OPTIONS, LOCAL)}
    # A valid options file, and a zone configuration naming a zone file that is not there.
    broken_local = before[LOCAL].replace(f'file "/var/lib/bind/db.{zone.name}"', 'file "/var/lib/bind/db.webfarm-missing"', 1)
    assert broken_local != before[LOCAL]
    out = run_module(inventory.source, primary.name, "webfarm.cluster.webfarm_config_set", {
        "files": [{"path": OPTIONS, "content": before[OPTIONS] + "// changed with the set\n"},
                  {"path": LOCAL, "content": broken_local}],
        "check": ["named-checkconf", "-z", "/etc/bind/named.conf"]})
    said = out.stdout + out.stderr
    assert out.returncode != 0 and "refused the new set" in said and "db.webfarm-missing" in said, said[-3000:]
    after = {p: hosts.run(primary, "cat", p).stdout for p in (OPTIONS, LOCAL)}
    assert after == before, "the refused set (or part of it) stayed live"
    hosts.run(primary, "rndc", "reload")
    assert sorted(dig.answered(client.inv, primary.address, zone.service) or []) == sorted(zone.members)
