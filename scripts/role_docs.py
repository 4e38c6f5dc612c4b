#!/usr/bin/env python3
"""Keep each role README's variable table equal to its argument spec.

    scripts/role_docs.py --check   exit 1 if a README is out of date
    scripts/role_docs.py --write   rewrite the tables in place

The table sits between the markers BEGIN/END VARIABLES in roles/*/README.md
and is generated from roles/*/meta/argument_specs.yml (entry point main):
one source of truth for every role input.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- BEGIN VARIABLES (generated from meta/argument_specs.yml by `make docs`) -->"
END = "<!-- END VARIABLES -->"


def _cell(value: Any) -> str:
    text = " ".join(str(value).split())
    # Ansible doc markup -> Markdown: C(x) and I(x) become code.
    text = re.sub(r"\b[CIV]\(([^)]*)\)", r"`\1`", text)
    return text.replace("|", "\\|")


def _default(opt: dict[str, Any]) -> str:
    if "default" not in opt:
        return "required" if opt.get("required") else "-"
    value = opt["default"]
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    return f"`{yaml.safe_dump(value, default_flow_style=True).strip().removesuffix('...').strip()}`"


def table(spec: dict[str, Any]) -> str:
    options = spec["argument_specs"]["main"].get("options", {})
    rows = ["| Variable | Type | Default | Description |", "|---|---|---|---|"]
    for name, opt in options.items():
        kind = opt.get("type", "str")
        if kind == "list" and "elements" in opt:
            kind = f"list of {opt['elements']}"
        if "choices" in opt:
            kind += " (" + ", ".join(f"`{c}`" for c in opt["choices"]) + ")"
        desc = opt.get("description", "")
        desc = " ".join(desc) if isinstance(desc, list) else desc
        rows.append(f"| `{name}` | {kind} | {_cell(_default(opt))} | {_cell(desc)} |")
    return "\n".join(rows)


def render(readme: str, spec: dict[str, Any], role: str) -> str:
    if BEGIN not in readme or END not in readme:
        raise SystemExit(f"roles/{role}/README.md lacks the markers:\n{BEGIN}\n{END}")
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{table(spec)}\n{END}{tail}"


def stale_readmes(root: Path = ROOT, write: bool = False) -> list[str]:
    stale = []
    for spec_file in sorted(root.glob("roles/*/meta/argument_specs.yml")):
        role = spec_file.parents[1].name
        readme_file = spec_file.parents[1] / "README.md"
        if not readme_file.exists():
            stale.append(f"roles/{role}/README.md is missing")
            continue
        spec = yaml.safe_load(spec_file.read_text())
        current = readme_file.read_text()
        wanted = render(current, spec, role)
        if wanted != current:
            if write:
                readme_file.write_text(wanted)
            else:
                stale.append(f"roles/{role}/README.md: variable table differs from meta/argument_specs.yml (run make docs)")
    return stale


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--check", action="store_true")
    g.add_argument("--write", action="store_true")
    a = p.parse_args(argv)
    problems = stale_readmes(write=a.write)
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
