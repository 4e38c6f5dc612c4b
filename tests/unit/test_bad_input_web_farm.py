"""A wrong inventory stops the web_farm playbook before any host changes,
naming the variable: the content master, the content roots, the session
backend, the store's password and address (check mode against `local`
hosts; the store's subnet is read from this machine's own addresses)."""
from __future__ import annotations

import ipaddress
import subprocess

import pytest

from toolkit.playbook import assert_stopped_before_changes, check_on_local_hosts, run_playbook

PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAtest\n-----END OPENSSH PRIVATE KEY-----"
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3RrZXl0ZXN0a2V5dGVzdGtleXRlc3RrZXk= test"
# The first tasks that would change a host, in play order: the store's, the
# web nodes', the content master's.
FIRST_CHANGES = ("Create the drop-in directory of Redis's unit", "Install the web node packages", "Install the site checker",
                 "Create the app's user", "Install lsyncd, rsync and the SSH client", "Web farm | create the published tree")


def this_machines_address() -> str:
    """An address of one of this machine's own subnets: a store address the
    check accepts here (nothing is sent to it)."""
    out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        cidr = line.split()[3]
        iface = ipaddress.IPv4Interface(cidr)
        if not iface.ip.is_loopback:
            return str(iface.ip)
    pytest.skip("this machine has no IPv4 address besides loopback")


def run_wf(tmp_path, content=True, sessions=True, groups=None, **overrides):
    groups = groups or {"web_farm": {"web1": {"webfarm_address": "10.213.0.11"},
                                     "web2": {"webfarm_address": "10.213.0.12"}}}
    if content:
        groups.setdefault("content", {"content1": {"webfarm_address": "10.213.0.51"}})
    if sessions:
        groups.setdefault("sessions", {"store1": {"webfarm_address": "10.213.0.61"}})
    variables = {"content_sync_ssh_private_key": PRIVATE_KEY, "session_store_password": "p" * 24,
                 "session_store_address": this_machines_address(),
                 **({"web_node_content_sync_public_key": PUBLIC_KEY} if content else {}), **overrides}
    return check_on_local_hosts(tmp_path, "web_farm.yml", groups, variables)


def test_good_input_passes_the_checks(tmp_path):
    out = run_wf(tmp_path)
    # Check mode here goes on past the checks (and may fail later: no Redis on this machine).
    assert "Find the store's packages that are not installed yet" in out.stdout, out.stdout[-3000:]


def test_a_farm_without_master_or_store_passes_the_checks_with_memory_sessions(tmp_path):
    out = run_wf(tmp_path, content=False, sessions=False)
    assert "Find the web node packages that are not installed yet" in out.stdout, out.stdout[-3000:]


@pytest.mark.parametrize("overrides, message", [
    ({"content_sync_source": "/"}, 'content_sync_source = "/": must be an absolute path other than /'),
    ({"content_sync_source": "srv/content"}, 'content_sync_source = "srv/content": must be an absolute path other than /'),
    ({"web_node_content_root": "/"}, 'web_node_content_root = "/": must be an absolute path other than /'),
    ({"web_node_content_root": "www"}, 'web_node_content_root = "www": must be an absolute path other than /'),
    ({"session_app_backend": "sql"}, "session_app_backend"),
    ({"session_store_password": ""}, 'session_store_password = "": must be 16 characters or more'),
    ({"session_store_password": "p" * 15}, 'session_store_password = "(hidden, 15 characters)": must be 16 characters or more'),
    ({"session_store_password": "p" * 16 + '"'}, "without spaces, quotes or backslashes"),
    ({"session_store_address": "203.0.113.5"}, 'session_store_address = "203.0.113.5": must be an IPv4 address in the subnet'),
    ({"session_store_address": "store.example"}, 'session_store_address = "store.example": must be an IPv4 address'),
    ({"content_sync_ssh_private_key": "CHANGE-ME"}, 'content_sync_ssh_private_key = "(hidden)": must be an OpenSSH private key'),
    ({"web_node_content_sync_public_key": "not a key"}, "web_node_content_sync_public_key"),
    ({"content_sync_delay": 30}, 'content_sync_delay = "30": must be 0 to 10 seconds'),
])
def test_bad_input_stops_the_play_naming_the_variable(tmp_path, overrides, message):
    assert_stopped_before_changes(run_wf(tmp_path, **overrides), [message], FIRST_CHANGES)


def test_the_content_master_is_not_a_web_node(tmp_path):
    groups = {"web_farm": {"web1": {"webfarm_address": "10.213.0.11"}, "web2": {"webfarm_address": "10.213.0.12"}},
              "content": {"web1": {}}}
    assert_stopped_before_changes(run_wf(tmp_path, groups=groups), ["must hold one content master, a host of its own"],
                                  FIRST_CHANGES)


def test_the_content_master_pushes_to_inventory_hosts_only(tmp_path):
    run_wf(tmp_path)  # writes the inventory
    # The playbook derives the targets from web_farm; only extra vars override that.
    out = run_playbook(tmp_path / "hosts.yml", "web_farm.yml", check=True, timeout=180,
                       extra_vars={"content_sync_targets": [{"name": "web9", "address": "10.213.0.19"}]})
    assert_stopped_before_changes(out, ["content_sync_targets", "names hosts that are not in the inventory"], FIRST_CHANGES)


def test_a_master_key_without_a_master_is_refused(tmp_path):
    out = run_wf(tmp_path, content=False, web_node_content_sync_public_key=PUBLIC_KEY)
    assert_stopped_before_changes(out, ["is set but the inventory has no content group"], FIRST_CHANGES)
