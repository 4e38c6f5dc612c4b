"""Bad inputs kept as data: tests/unit/bad_input/<name>.yml lists the
inventories a topology's playbook must refuse before any host changes. Each
case sets some inventory values over a test's good ones (`set`) and names
what the refusal must say (`says`); the test modules run them."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CASES = Path(__file__).parent / "bad_input"


def bad_inputs(name: str) -> list[tuple[dict[str, Any], str]]:
    """(set, says) for each case of bad_input/NAME.yml, in file order."""
    data = yaml.safe_load((CASES / f"{name}.yml").read_text())
    return [(case["set"], case["says"]) for case in data["cases"]]
