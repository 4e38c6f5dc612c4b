"""Every role declares each input once, and its README says the same."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lab.inventory import ROOT
from scripts import role_docs

ROLES = sorted(p.parents[1].name for p in ROOT.glob("roles/*/meta/argument_specs.yml"))


def test_there_are_roles():
    assert "web_node" in ROLES


@pytest.mark.parametrize("role", ROLES)
def test_defaults_match_the_argument_spec(role):
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    assert set(defaults) <= set(options), f"undeclared defaults: {set(defaults) - set(options)}"
    for name, opt in options.items():
        assert name.startswith(f"{role}_"), f"{name} lacks the role prefix"
        assert opt.get("description"), f"{name} has no description"
        assert "type" in opt, f"{name} has no type"
        if name in defaults:
            assert opt.get("default") == defaults[name], f"{name}: spec default differs from defaults/main.yml"
        else:
            assert opt.get("required"), f"{name} has neither a default nor required: true"


def test_readme_tables_match_the_specs():
    assert role_docs.stale_readmes() == []


def test_a_stale_table_is_reported(tmp_path):
    role = tmp_path / "roles" / "demo"
    (role / "meta").mkdir(parents=True)
    (role / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    options:\n      demo_port: {type: int, default: 80, description: Port.}\n")
    (role / "README.md").write_text(f"# demo\n{role_docs.BEGIN}\nold\n{role_docs.END}\n")
    assert role_docs.stale_readmes(tmp_path) == [
        "roles/demo/README.md: variable table differs from meta/argument_specs.yml (run make docs)"]
    assert role_docs.stale_readmes(tmp_path, write=True) == []
    assert "| `demo_port` | int | `80` | Port. |" in (role / "README.md").read_text()


TESTED_RELEASES = {"bookworm", "trixie"}


@pytest.mark.parametrize("role", ROLES)
def test_roles_state_the_releases_they_support(role):
    meta = yaml.safe_load((ROOT / "roles" / role / "meta" / "main.yml").read_text())
    platforms = {p["name"]: set(p["versions"]) for p in meta["galaxy_info"]["platforms"]}
    assert platforms.get("Debian") == TESTED_RELEASES, f"{role}: Debian releases {platforms.get('Debian')}"
    for path in (ROOT / "roles" / role / "vars").glob("*.yml"):
        assert path.stem == "main" or path.stem in TESTED_RELEASES, f"{path}: release vars are named vars/<codename>.yml"


PLUGIN_FILES = sorted(str(p.relative_to(ROOT)) for d in ("filter_plugins", "library") for p in (ROOT / d).glob("*.py"))
@pytest.mark.parametrize("path", PLUGIN_FILES)
def test_plugin_files_cannot_shadow_a_package(path):
    """One prefix for every plugin file: a grep finds them all, and none can
    be taken for a real package (a library/redis.py)."""
    assert path.split("/")[-1].startswith("webfarm_"), f"{path}: name plugin files webfarm_<concern>.py"


COLLECTION = ROOT / "collections" / "ansible_collections" / "webfarm" / "cluster"


def test_the_collection_is_the_same_tree():
    """webfarm.cluster's roles and plugin folders are the top-level ones, so
    a filter, a module and the lab import one copy of each shared rule."""
    links = {"roles": "roles", "plugins/filter": "filter_plugins", "plugins/modules": "library",
             "plugins/module_utils": "module_utils/webfarm"}
    for inside, top in links.items():
        assert (COLLECTION / inside).is_symlink(), f"{inside} must link to the top-level {top}/"
        assert (COLLECTION / inside).resolve() == ROOT / top


def test_the_collection_is_where_ansible_molecule_and_python_look():
    """Ansible (the project's ansible.cfg), Molecule and the venv's Python
    (scripts/setup's webfarm.pth) find webfarm.cluster in collections/."""
    from ansible_collections.webfarm.cluster.plugins.module_utils import addresses

    assert Path(addresses.__file__).resolve() == ROOT / "module_utils" / "webfarm" / "addresses.py"
    out = subprocess.run([str(Path(sys.executable).with_name("ansible-config")), "dump", "--only-changed"],
                         env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert re.search(rf"COLLECTIONS_PATHS.*{re.escape(str(ROOT / 'collections'))}", out), out
    env = yaml.safe_load((ROOT / ".config" / "molecule" / "config.yml").read_text())["ansible"]["env"]
    assert env["ANSIBLE_CONFIG"] == "${MOLECULE_PROJECT_DIRECTORY}/ansible.cfg"
    assert env["ANSIBLE_COLLECTIONS_PATH"] == "${MOLECULE_PROJECT_DIRECTORY}/collections"


PYTHON_FILES = sorted(p for d in ("filter_plugins", "library", "module_utils", "lab", "bench", "scripts", "roles", "tests")
                      for p in (ROOT / d).rglob("*.py"))
# A test may build a file and load it (its own fixture); nothing else loads
# Python by path or edits the import path.
BY_PATH = re.compile(r"spec_from_file_location|sys\.path\.(?:insert|append|extend)|sys\.path\s*[+]?=|__path__\.append")


@pytest.mark.parametrize("path", PYTHON_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_is_imported_by_name_not_by_path(path):
    if path == Path(__file__):
        return
    hits = [f"{i}: {line.strip()}" for i, line in enumerate(path.read_text().splitlines(), 1) if BY_PATH.search(line)]
    assert not hits, f"{path.relative_to(ROOT)} loads Python by path or edits sys.path; import it by name: {hits}"


FILTER_FILES = sorted((ROOT / "filter_plugins").glob("*.py"))


@pytest.mark.parametrize("path", FILTER_FILES, ids=lambda p: p.name)
def test_a_filter_is_named_as_its_function(path):
    """A grep for a filter's name from YAML lands on its def."""
    import importlib

    module = importlib.import_module(f"ansible_collections.webfarm.cluster.plugins.filter.{path.stem}")
    for name, function in module.FilterModule().filters().items():
        assert function.__name__ == name, f"{path.name}: filter {name} is function {function.__name__}"


PHASES = ["validate", "install", "configure", "service"]
# A role that other roles call for one shared step (its spec says "(internal)").
INTERNAL = [r for r in ROLES if yaml.safe_load((ROOT / "roles" / r / "meta" / "argument_specs.yml").read_text())
            ["argument_specs"]["main"]["short_description"].endswith("(internal)")]


def test_internal_roles_are_called_by_roles_not_playbooks():
    assert INTERNAL == ["packages", "wsgi_kit"]
    plays = [p for p in (ROOT / "playbooks").glob("*.yml") for r in INTERNAL if re.search(rf"\brole: (webfarm\.cluster\.)?{r}\b", p.read_text())]
    assert plays == []


@pytest.mark.parametrize("role", [r for r in ROLES if r not in INTERNAL])
def test_every_role_has_the_same_task_phases(role):
    """validate, install, configure, service, in that order in main.yml;
    anything else is a file of its own that a phase includes."""
    tasks = yaml.safe_load((ROOT / "roles" / role / "tasks" / "main.yml").read_text())
    files = [next(v for k, v in t.items() if k.endswith(("import_tasks", "include_tasks"))) for t in tasks
             if any(k.endswith(("import_tasks", "include_tasks")) for k in t)]
    assert [f.removesuffix(".yml") for f in files][:4] == PHASES, f"{role}: main.yml runs {files}"
    assert len(tasks) == len(files), f"{role}: main.yml holds tasks of its own; put them in a phase's file"


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


TASK_FILES = sorted(p for folder in ("roles", "playbooks", "molecule") for p in (ROOT / folder).rglob("*.yml"))
# ansible-core 2.19 keeps a Jinja '\n' literal: in a block or plain scalar it
# reaches the file as a backslash and an n (a PEM bundle HAProxy cannot load).
# Only a YAML double-quoted "\n" is a newline.
JINJA_ESCAPE = re.compile(r"""\{\{[^}]*(['"])\\[nt]\1""")


def test_no_jinja_escape_is_left_literal():
    found = [f"{p.relative_to(ROOT)}: {m.group(0)!r}"
             for p in TASK_FILES for text in _strings(yaml.safe_load(p.read_text()))
             for m in [JINJA_ESCAPE.search(text)] if m]
    assert found == []


_PRIVATE = re.compile(r"\b(__[a-z][a-z0-9_]*[a-z0-9])\b")
# Set by a task (register, loop_var) or as a key (vars, set_fact, vars/main.yml).
_SETS = re.compile(r"(?:register|loop_var):\s*(__[a-z][a-z0-9_]*)|^\s*(__[a-z][a-z0-9_]*):", re.M)


@pytest.mark.parametrize("role", ROLES)
def test_every_private_variable_a_role_reads_is_set(role):
    """A role's __ variables are registered or set in the role (or passed by
    a playbook): one left over from a removed task fails only on the path
    that reads it (a check-mode handler, say), so it is found here."""
    texts = [p.read_text() for p in (ROOT / "roles" / role).rglob("*") if p.suffix in (".yml", ".j2") and p.is_file()]
    plays = [p.read_text() for p in (ROOT / "playbooks").rglob("*.yml")]
    used = {name for t in texts for name in _PRIVATE.findall(t)}
    defined = {a or b for t in [*texts, *plays] for a, b in _SETS.findall(t)}
    assert sorted(used - defined) == [], f"{role} reads private variables nothing sets"
