"""The balancers' ACME renewal (roles/lb_acme) as the tests, the drills and
the status table see it: `webfarm-acme` run as its own user on a balancer."""
from __future__ import annotations

import json
import subprocess
from typing import Any

from lab import hosts
from lab.inventory import Host

SCRIPT = "/usr/local/sbin/webfarm-acme"


def run(balancer: Host, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """webfarm-acme ARGS on a balancer, as the renewal's user."""
    return hosts.run(balancer, "runuser", "-u", "webfarm-acme", "--", SCRIPT, *args, check=check, timeout=timeout)


def status(balancer: Host, check: bool = True) -> dict[str, Any]:
    """Each certificate, live and its last run ({} when unreadable and not check)."""
    out = run(balancer, "status", check=check)
    try:
        return json.loads(out.stdout)
    except ValueError:
        if check:
            raise
        return {}
