"""The webfarm.cluster collection, built by `make collection` and installed
into an empty collections path, runs by fully qualified name against a web
node: a role's checks, a filter, and a module with its module_utils."""
from __future__ import annotations

import os
import subprocess
import sysconfig
import textwrap

from lab.inventory import ROOT
from lab.playbook import BIN, ansible_env, recap

PLAYBOOK = """\
- name: webfarm.cluster, installed from its tarball, by fully qualified name
  hosts: "{{ webfarm_collection_target }}"
  gather_facts: false
  check_mode: true
  tasks:
    - name: A role's input checks (its own filters, by short name inside the collection)
      ansible.builtin.include_role:
        name: webfarm.cluster.web_node
        tasks_from: validate
    - name: A filter
      ansible.builtin.assert:
        that: "'/srv//webfarm/' | webfarm.cluster.webfarm_path('content_root') == '/srv/webfarm'"
    - name: A module, shipped with its module_utils
      webfarm.cluster.webfarm_config_set:
        files:
          - path: /tmp/webfarm-collection-check.conf
            content: "checked\\n"
        check: [/bin/true]
      register: webfarm_collection_set
    - name: The module answered as the module does
      ansible.builtin.assert:
        that: webfarm_collection_set.changed_files == ['/tmp/webfarm-collection-check.conf']
"""


def test_the_collection_installs_and_runs_by_fully_qualified_name(inventory, web_nodes, tmp_path):
    web_node = web_nodes[0]
    built = subprocess.run([str(ROOT / "scripts" / "collection"), str(tmp_path / "dist")],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = built.stdout.strip().splitlines()[-1]
    assert os.path.basename(tarball).startswith("webfarm-cluster-"), built.stdout

    # Only the installed copy and the ansible package's collections: not the
    # project's collections/ (ansible.cfg, or the venv's path), nor its roles/.
    installed = tmp_path / "collections"
    env = ansible_env({"ANSIBLE_COLLECTIONS_PATH": f"{installed}:{sysconfig.get_path('purelib')}",
                "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false", "ANSIBLE_ROLES_PATH": str(tmp_path / "no-roles")})
    # ansible-doc names where it finds a filter's file (the filters carry no
    # documentation, so it ends in an error either way).
    doc = [os.path.join(BIN, "ansible-doc"), "-t", "filter", "webfarm.cluster.webfarm_path"]
    before = subprocess.run(doc, capture_output=True, text=True, timeout=60, env=env)
    assert "unable to locate collection webfarm.cluster" in before.stdout + before.stderr, \
        "webfarm.cluster is found before it is installed: the run below would not prove the tarball"
    out = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(installed),
                          tarball], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0 and "webfarm.cluster" in out.stdout, out.stdout + out.stderr
    assert (installed / "ansible_collections" / "webfarm" / "cluster" / "MANIFEST.json").is_file()
    after = subprocess.run(doc, capture_output=True, text=True, timeout=60, env=env)
    assert str(installed / "ansible_collections" / "webfarm" / "cluster") in after.stdout + after.stderr, after.stderr

    play = tmp_path / "play.yml"
    play.write_text(PLAYBOOK)
    # The inventory as an absolute path: the playbook runs in tmp_path.
    out = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.abspath(inventory.source), str(play),
                          "-e", f"webfarm_collection_target={web_node.name}"],
                         capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    text = out.stdout + out.stderr
    assert out.returncode == 0, textwrap.shorten(text[-3000:], 3000)
    assert recap(out.stdout).get(web_node.name, {}).get("failed") == 0, text
