"""inventories/production.example is a working starting point: with real
secrets in place, every topology's checks accept it; with its placeholders
left in, the play stops and names the secret to replace.

Check mode over a `local` connection: only the input checks, which run
before any task that touches a host, are exercised here."""
from __future__ import annotations

import sys

import pytest

from toolkit.inventory import ROOT
from toolkit.playbook import run_playbook

EXAMPLE = ROOT / "inventories" / "production.example"
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "ansible_become": False}
SECRET = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2U="
SECRETS = {f"dns_server_{key}_key_secret": SECRET for key in ("transfer", "admin", "health")}


@pytest.mark.parametrize("playbook, first_change", [
    ("web_farm.yml", "Install the web node packages"),
    ("rr_dns.yml", "Install BIND"),
])
def test_the_example_passes_every_check(playbook, first_change):
    # Past the checks, the play reaches its first task that changes a host
    # (and may fail later: this machine is no web node or name server).
    out = run_playbook(EXAMPLE, playbook, extra_vars={**LOCAL, **SECRETS}, check=True, timeout=180)
    assert first_change in out.stdout, out.stdout[-3000:] + out.stderr[-2000:]


def test_the_placeholder_secrets_are_refused_by_name():
    out = run_playbook(EXAMPLE, "rr_dns.yml", extra_vars=LOCAL, check=True, timeout=180)
    assert out.returncode != 0
    assert "dns_server_transfer_key_secret" in out.stdout, out.stdout[-3000:]
    assert "Install BIND" not in out.stdout, "a host changed before the secrets were checked"
