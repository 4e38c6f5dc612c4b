"""The hacluster password hash of roles/pacemaker_cluster/tasks/configure.yml is
stable: the task's own expressions, rendered by Ansible, give the hashes that
running clusters already hold (pinned below, made with passlib 1.7.4; libpass
1.9.4 and glibc's crypt(3) give the same), so a rerun or a change of the
hashing library changes no node's /etc/shadow."""
from __future__ import annotations

from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.filter.core import get_encrypted_password
from ansible.template import Templar, trust_as_template

from lab.inventory import ROOT

TASK = "Give the hacluster user its password"


def task() -> dict[str, Any]:
    tasks = yaml.safe_load((ROOT / "roles" / "pacemaker_cluster" / "tasks" / "configure.yml").read_text())
    return next(t for t in tasks if t.get("name") == TASK)


def render(expression: str, variables: dict[str, Any]) -> str:
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(expression))


def hacluster_hash(cluster: str, host: str, password: str) -> str:
    """What the task gives the user module for this node: its salt var, then its password."""
    t = task()
    variables: dict[str, Any] = {"pacemaker_cluster_name": cluster, "inventory_hostname": host,
                                 "pacemaker_cluster_hacluster_password": password}
    variables["__pacemaker_cluster_salt"] = render(t["vars"]["__pacemaker_cluster_salt"], variables)
    return render(t["ansible.builtin.user"]["password"], variables)


@pytest.mark.parametrize(("cluster", "host", "password", "pinned"), [
    ("webfarm", "node1", "correct horse battery staple",
     "$6$f4a5d6616ea3f32c$c/iKjw4jzz0SM84onA5IGQh2xKw8sbAJ1qXWeODDYRlZ6Q2Wp7Qqb5Ha/h1at37GtIkdedHwUmldGVQ.FkZnE0"),
    ("webfarm", "node2", "correct horse battery staple",
     "$6$396e91ae080afc82$3zN3cp32fslKSvsBI/P6Zw/pDEIQhzErjKt4EK26SuXnVfr00RLDMYbkIMqUvtIn3idSQ.Hl3G7MbLslOT7lU1"),
    ("shop", "node1", "p\u00e4ssw\u00f6rd with spaces & $igns",
     "$6$5aed5865ce11ca0f$0RLvLzwqBCd2X38vZP3guZmZxCGKm6q9VRlko9g/JVwzebExPiy4x9CTDrqZ/.c6hDOstUubIzPzviFcZUXYd/"),
])
def test_the_hacluster_hash_is_the_one_running_clusters_hold(cluster, host, password, pinned):
    assert hacluster_hash(cluster, host, password) == pinned


def test_password_hash_is_standard_sha512_crypt():
    # The test vector of the SHA-crypt specification (Drepper), which PAM
    # checks logins against: the hash is crypt(3)'s, not one library's own.
    assert get_encrypted_password("Hello world!", "sha512", salt="saltstring", rounds=5000) == (
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1")
