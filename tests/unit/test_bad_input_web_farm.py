"""A wrong inventory stops the web_farm playbook before any host changes,
naming the variable: the content master, the content roots, the session
backend, the store's password and address, every host path, placeholders
left for secrets (check mode against `local` hosts; the store's subnet is
given, so nothing depends on this machine's own addresses)."""
from __future__ import annotations

import pytest
from bad_input_cases import bad_inputs

from lab.playbook import assert_stopped_before_changes, check_on_local_hosts

PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAtest\n-----END OPENSSH PRIVATE KEY-----"
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3RrZXl0ZXN0a2V5dGVzdGtleXRlc3RrZXk= test"
# The first tasks that would change a host, in play order: the store's, the
# web nodes', the content master's.
FIRST_CHANGES = ("Create the drop-in directory of Redis's unit", "Install the web node packages", "Install the site checker",
                 "Create the app's user", "Install lsyncd, rsync and the SSH client", "Web farm | create the published tree")
# The store's address in the subnet the inventory gives it (not read from
# this machine, which may have loopback only).
# The first task past the checks, for the store and for a web node: a run
# that reaches it passed every check, and stops there.
STORE_PACKAGES = "Find which packages are missing for the session store"
NODE_PACKAGES = "Find which packages are missing for the web node"
STORE = {"session_store_address": "10.213.0.61", "session_store_network": "10.213.0.0/24"}


def run_wf(tmp_path, content=True, sessions=True, groups=None, extra_vars=None, until=None, **overrides):
    groups = groups or {"web_farm": {"web1": {"webfarm_address": "10.213.0.11"},
                                     "web2": {"webfarm_address": "10.213.0.12"}}}
    if content:
        groups.setdefault("content_sync", {"content1": {"webfarm_address": "10.213.0.51"}})
    if sessions:
        groups.setdefault("session_store", {"store1": {"webfarm_address": "10.213.0.61"}})
    variables = {"content_sync_ssh_private_key": PRIVATE_KEY, "session_store_password": "p" * 24, **STORE,
                 **({"web_node_content_sync_public_key": PUBLIC_KEY} if content else {}), **overrides}
    return check_on_local_hosts(tmp_path, "web_farm.yml", groups, variables, extra_vars=extra_vars, until=until)


def test_good_input_passes_the_checks(tmp_path):
    out = run_wf(tmp_path, until=STORE_PACKAGES)
    # Past the checks, the play reaches the store's first task.
    assert STORE_PACKAGES in out.stdout, out.stdout[-3000:]


def test_a_farm_without_master_or_store_passes_the_checks_with_memory_sessions(tmp_path):
    out = run_wf(tmp_path, content=False, sessions=False, until=NODE_PACKAGES)
    assert NODE_PACKAGES in out.stdout, out.stdout[-3000:]


@pytest.mark.parametrize("overrides, message", bad_inputs("web_farm"))
def test_bad_input_stops_the_play_naming_the_variable(tmp_path, overrides, message):
    assert_stopped_before_changes(run_wf(tmp_path, **overrides), [message], FIRST_CHANGES)


# Placeholders the example inventory leaves, in forms the other checks let
# through (long enough, a key's shape): named, and a secret never printed.
@pytest.mark.parametrize("var, placeholder, shown", [
    ("session_store_password", "CHANGE-ME-CHANGE-ME", False),
    ("content_sync_ssh_private_key", "-----BEGIN OPENSSH PRIVATE KEY-----\nChangeMe-ChangeMe\n-----END OPENSSH PRIVATE KEY-----",
     False),
    ("web_node_content_sync_public_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIChangeMeChangeMeChangeMe content sync", True),
])
def test_a_placeholder_left_for_a_secret_is_refused_by_name(tmp_path, var, placeholder, shown):
    out = run_wf(tmp_path, **{var: placeholder})
    assert_stopped_before_changes(out, [f'{var} = "(hidden)": still holds a placeholder'], FIRST_CHANGES)
    if not shown:
        assert "ChangeMe-ChangeMe" not in out.stdout + out.stderr and placeholder not in out.stdout + out.stderr


def test_the_content_master_is_not_a_web_node(tmp_path):
    groups = {"web_farm": {"web1": {"webfarm_address": "10.213.0.11"}, "web2": {"webfarm_address": "10.213.0.12"}},
              "content_sync": {"web1": {}}}
    assert_stopped_before_changes(run_wf(tmp_path, groups=groups), ["must hold one content master, a host of its own"],
                                  FIRST_CHANGES)


@pytest.mark.parametrize("targets, message", [
    ([{"name": "web9", "address": "10.213.0.19"}], "names hosts that are not in the inventory"),
    ([{"name": "web1", "address": "10.213.0.11"}, {"name": "web1", "address": "10.213.0.11"}],
     'content_sync_targets = "[\'web1\', \'web1\']": names a node twice'),
    ([{"name": "web1", "address": "10.213.0.11"}, {"name": "web2", "address": "10.213.0.11"}],
     'content_sync_targets = "[\'10.213.0.11\', \'10.213.0.11\']": gives one address to two nodes'),
])
def test_the_content_master_pushes_to_each_inventory_host_once(tmp_path, targets, message):
    # The playbook derives the targets from web_farm; only extra vars override that.
    out = run_wf(tmp_path, extra_vars={"content_sync_targets": targets})
    assert_stopped_before_changes(out, ["content_sync_targets", message], FIRST_CHANGES)


def test_a_master_key_without_a_master_is_refused(tmp_path):
    out = run_wf(tmp_path, content=False, web_node_content_sync_public_key=PUBLIC_KEY)
    assert_stopped_before_changes(out, ["is set but the inventory has no content_sync group"], FIRST_CHANGES)


def test_an_inventory_with_the_old_group_names_is_refused(tmp_path):
    # The groups took their roles' names: content_sync and session_store.
    groups = {"web_farm": {"web1": {"webfarm_address": "10.213.0.11"}},
              "content": {"content1": {"webfarm_address": "10.213.0.51"}},
              "sessions": {"store1": {"webfarm_address": "10.213.0.61"}}}
    out = run_wf(tmp_path, content=False, sessions=False, groups=groups)
    assert_stopped_before_changes(out, ["inventory groups under their old names: rename content to content_sync, "
                                        "rename sessions to session_store (groups and group_vars folders)"], FIRST_CHANGES)


def test_group_vars_left_under_an_old_group_name_are_refused(tmp_path):
    # Groups renamed but their folder not: Ansible would ignore the folder
    # without a word, and the store would run on the defaults.
    old = tmp_path / "group_vars" / "sessions"
    old.mkdir(parents=True)
    (old / "main.yml").write_text("session_store_maxmemory: 64mb\n")
    out = run_wf(tmp_path)
    assert_stopped_before_changes(out, ["rename sessions to session_store (groups and group_vars folders: "
                                        f"{old})"], FIRST_CHANGES)
