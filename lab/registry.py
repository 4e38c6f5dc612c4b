"""The registry of topologies (topologies.yml) as the lab uses it.

    python -m lab.registry tests      the test folders make lab-check and make drill run
    python -m lab.registry scenarios  the Molecule scenarios, longest first (make test's queue)

The file is read by module_utils/webfarm/registry.py, which the farm
monitor's filters share; this module adds what only the lab needs.
"""
from __future__ import annotations

import sys

from ansible_collections.webfarm.cluster.plugins.module_utils.registry import load, names, panels

__all__ = ["load", "names", "panels", "topologies", "lab_tests", "scenarios", "host_keys", "main"]


def topologies() -> list[dict]:
    """Every topology's entry, in registry order."""
    return list(load()["topologies"])


def lab_tests() -> list[str]:
    """The test folders run against a whole lab: each topology's tests/<name>,
    then those of no topology (day-2 operations)."""
    return [f"tests/{t['name']}" for t in topologies()] + load()["lab_tests"]


def scenarios() -> list[str]:
    """The topologies with a Molecule scenario, longest first by their
    measured `minutes` (then in registry order): two lanes taking them in
    this order end together sooner than in name order."""
    with_scenario = [t for t in topologies() if t["scenario"]]
    return [t["name"] for t in sorted(with_scenario, key=lambda t: -float(t["minutes"]))]


def host_keys() -> list[str]:
    """The farm monitor's row key of an inventory host, one format per panel
    that gives each host a row ("web_farm/{}", ...)."""
    return [p["host_key"] for p in panels() if p["host_key"]]


def main(argv: list[str]) -> int:
    if argv == ["tests"]:
        print("\n".join(lab_tests()))
        return 0
    if argv == ["scenarios"]:
        print("\n".join(scenarios()))
        return 0
    print("usage: python -m lab.registry tests|scenarios", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
