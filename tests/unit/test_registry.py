"""The registry of topologies (topologies.yml): each entry has its files,
what the project has is in it, and no other file writes out the list."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from lab import registry
from lab.inventory import ROOT, Inventory

TOPOLOGIES = registry.topologies()
NAMES = [t["name"] for t in TOPOLOGIES]
PANELS = registry.panels()


def _ids(entries):
    return [e["name"] for e in entries]


def test_names_are_unique_and_one_word():
    assert len(NAMES) == len(set(NAMES)) and NAMES
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in NAMES), NAMES


@pytest.mark.parametrize("topology", TOPOLOGIES, ids=_ids(TOPOLOGIES))
def test_each_topology_has_its_files(topology):
    name = topology["name"]
    for path in (f"playbooks/{name}.yml", f"docs/{name}.md", f"tests/{name}"):
        assert (ROOT / path).exists(), f"topologies.yml: {name} has no {path}"
    scenario = ROOT / "molecule" / name / "molecule.yml"
    if topology["scenario"]:
        assert scenario.is_file(), f"topologies.yml: {name} has no molecule/{name}/molecule.yml (or say scenario: false)"
        assert not topology["tested_in"], f"{name}: tested_in is for a topology without a scenario"
    else:
        assert not scenario.exists(), f"{name}: has molecule/{name}/ but says scenario: false"
        assert topology["tested_in"], f"{name}: scenario: false, and tested_in names no scenario that runs its tests"
        for other in topology["tested_in"]:
            conf = yaml.safe_load((ROOT / "molecule" / other / "molecule.yml").read_text())
            extra = conf.get("verifier", {}).get("additional_files_or_dirs", [])
            assert f"../{name}/" in extra, f"molecule/{other}: its verify does not run tests/{name}/"
    assert (ROOT / "tests" / name / "status.py").is_file() == topology["status"], \
        f"{name}: status: {topology['status']} but tests/{name}/status.py {'is missing' if topology['status'] else 'exists'}"


@pytest.mark.parametrize("topology", TOPOLOGIES, ids=_ids(TOPOLOGIES))
def test_each_topology_has_its_groups_in_the_lab(topology):
    lab = Inventory.load(ROOT / "inventories" / "lab")
    assert topology["name"] in topology["groups"]
    for group in topology["groups"]:
        assert lab.names(group), f"{topology['name']}: group {group} has no host in inventories/lab"


def test_what_the_project_has_is_in_the_registry():
    scenarios = {p.parent.name for p in ROOT.glob("molecule/*/molecule.yml")}
    assert scenarios == {t["name"] for t in TOPOLOGIES if t["scenario"]}
    folders = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    assert folders == set(NAMES) | {"unit"} | {Path(t).name for t in registry.load()["lab_tests"]}


def test_each_panel_belongs_to_a_topology_and_the_monitor_role_offers_them_all():
    assert len({p["name"] for p in PANELS}) == len(PANELS)
    groups = {g for t in TOPOLOGIES for g in t["groups"]}
    for panel in PANELS:
        assert panel["topology"] in NAMES, panel
        assert panel["name"] in groups, f"panel {panel['name']} watches a group no topology brings"
        assert panel["title"], panel
    spec = yaml.safe_load((ROOT / "roles/farm_monitor/meta/argument_specs.yml").read_text())
    choices = spec["argument_specs"]["main"]["options"]["farm_monitor_topologies"]["choices"]
    assert choices == [p["name"] for p in PANELS], "farm_monitor_topologies' choices must be the registry's panels"


def test_each_panel_has_a_collector_in_the_monitors_filter():
    from ansible_collections.webfarm.cluster.plugins.filter import webfarm_monitor

    assert list(webfarm_monitor._SOURCES) == [p["name"] for p in PANELS]


def test_the_diagram_draws_every_group():
    drawn = [d["group"] for d in registry.load()["diagram"]]
    assert len(drawn) == len(set(drawn))
    assert {g for t in TOPOLOGIES for g in t["groups"]} | {"clients"} == set(drawn)


# Where a list of topologies could be written out again. Not the registry,
# the inventories and the unit tests' fixture inventories (groups are their
# keys), nor prose (docs, READMEs).
SKIP = {".venv", ".git", "collections", "artifacts", "inventories", ".cache", "unit"}
SOURCES = sorted(p for pattern in ("**/*.py", "**/*.yml", "**/*.j2", "scripts/*", "Makefile", "**/*.cfg", "**/*.toml")
                 for p in ROOT.glob(pattern)
                 if p.is_file() and not SKIP & set(p.relative_to(ROOT).parts) and p.name != "topologies.yml")
# The one copy a test keeps equal to the registry (see the panels' test).
KEPT_EQUAL = {"roles/farm_monitor/meta/argument_specs.yml"}
KNOWN = sorted({*NAMES, *(p["name"] for p in PANELS)}, key=len, reverse=True)
WORD = re.compile(r"(?<![\w/.-])(" + "|".join(map(re.escape, KNOWN)) + r")(?![\w/.-])")


def lists_of_topologies(text: str) -> list[str]:
    """The lines of text that name three or more topologies or panels."""
    return [line.strip() for line in text.splitlines() if len(set(WORD.findall(line))) >= 3]


def test_the_finder_sees_a_list():
    assert lists_of_topologies('WATCHED = ("web_farm", "nlb", "rr_dns")\nx = "web_farm/{}"')
    assert not lists_of_topologies('if {"web_farm", "nlb"} <= set(watched):')


def test_no_other_file_writes_out_the_topologies():
    found = {str(p.relative_to(ROOT)): hits for p in SOURCES
             if (hits := lists_of_topologies(p.read_text(errors="replace"))) and str(p.relative_to(ROOT)) not in KEPT_EQUAL}
    assert found == {}, "these lines list topologies: read topologies.yml (lab.registry) instead"


def test_the_scenarios_are_queued_longest_first_and_each_once():
    from lab import registry
    queue = registry.scenarios()
    with_scenario = [t for t in registry.topologies() if t["scenario"]]
    assert sorted(queue) == sorted(t["name"] for t in with_scenario)
    minutes = {t["name"]: float(t["minutes"]) for t in with_scenario}
    assert [minutes[n] for n in queue] == sorted(minutes.values(), reverse=True)
    assert all(m > 0 for m in minutes.values()), f"every scenario needs its measured minutes: {minutes}"
