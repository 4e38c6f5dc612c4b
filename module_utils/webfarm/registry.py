"""The registry of webfarm's topologies (topologies.yml), read once.

The file sits at the top of the project, and at the top of the
webfarm.cluster collection built from it: two folders above this one either
way. Controller-side only (the filters, the lab package): no module imports
it, so it is never shipped to a host.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

FILE = Path(__file__).resolve().parents[2] / "topologies.yml"


@functools.cache
def load(path: Path = FILE) -> dict[str, Any]:
    """The registry as plain data, defaults filled in: topologies (scenario
    true, tested_in [], groups [], status false, minutes 0), panels
    (host_key ''), lab_tests and diagram."""
    data = yaml.safe_load(path.read_text())
    return {"topologies": [{"scenario": True, "tested_in": [], "groups": [], "status": False, "minutes": 0, **t} for t in data["topologies"]],
            "panels": [{"host_key": "", **p} for p in data.get("panels") or []],
            "lab_tests": list(data.get("lab_tests") or []), "diagram": list(data.get("diagram") or [])}


def names() -> list[str]:
    """Every topology's name, in registry order."""
    return [t["name"] for t in load()["topologies"]]


def panels() -> list[dict[str, str]]:
    """The farm monitor's panels in page order: name, topology, title, host_key."""
    return [dict(p) for p in load()["panels"]]
