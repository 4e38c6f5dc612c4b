"""Every role declares each input once, and its README says the same."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from toolkit.inventory import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import role_docs  # noqa: E402

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
    """filter_plugins/ and library/ are on the tests' import path: a
    library/redis.py would hide the real redis package."""
    assert path.split("/")[-1].startswith("webfarm_"), f"{path}: name plugin files webfarm_<concern>.py"


def test_module_utils_reach_ansible_and_the_tests():
    """Modules' shared code is found where Ansible looks (the project's
    ansible.cfg, which Molecule uses too) and where the unit tests look."""
    import ansible.module_utils.webfarm as shared

    assert shared.__file__ == str(ROOT / "module_utils" / "webfarm" / "__init__.py")
    out = subprocess.run([str(Path(sys.executable).with_name("ansible-config")), "dump", "--only-changed"],
                         env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert re.search(rf"DEFAULT_MODULE_UTILS_PATH.*{re.escape(str(ROOT / 'module_utils'))}", out), out
    molecule = yaml.safe_load((ROOT / ".config" / "molecule" / "config.yml").read_text())
    assert molecule["ansible"]["env"]["ANSIBLE_CONFIG"] == "${MOLECULE_PROJECT_DIRECTORY}/ansible.cfg"
