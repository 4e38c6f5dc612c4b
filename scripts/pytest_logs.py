#!/usr/bin/env python3
"""What the pytest runs of `make test` said, read from their logs: each
run's result line, then every test it skipped with the reason.

    python3 scripts/pytest_logs.py LOG...

A log is a run's whole output (``pytest unit.log``, or a Molecule
scenario's, whose verify is pytest); it is named in the summary by its file
name without ``.log``. Skips are read from pytest's short test summary, so
each run needs ``-r s`` (``-ra`` gives it); ``--no-fold-skipped`` lists each
test by its node id instead of one line per place and reason. Colours are
ignored. Standard library only: scripts/test runs it with any Python 3.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Molecule (25+) draws a frame around what its steps print: "│ line │".
FRAME = re.compile(r"^\s*[\u2502\u2503]\s?|\s?[\u2502\u2503]\s*$")
# A section line: "==== short test summary info ====", "==== 3 passed in 1.2s ====".
# Its closing rule may be cut off: Molecule's frame wraps a line as wide as
# the terminal pytest drew it for.
SECTION = re.compile(r"^={3,} (?P<title>.*?)(?: ={3,})?$")
RESULT = re.compile(r"\bin \d+(?:\.\d+)?s\b")
SKIPPED_COUNT = re.compile(r"\b(\d+) skipped\b")
# The words that start an entry of the short test summary.
WORDS = ("PASSED ", "FAILED ", "ERROR ", "SKIPPED ", "XFAIL ", "XPASS ")
# "SKIPPED [2] tests/x.py:31: reason" (folded: the tests skipped at one place for one reason).
FOLDED = re.compile(r"^SKIPPED \[(?P<count>\d+)\] (?P<where>.+?(?::\d+)?): (?P<reason>.*)$")
# "SKIPPED tests/x.py::test_a[p 1] - Skipped: reason" (--no-fold-skipped).
UNFOLDED = re.compile(r"^SKIPPED (?P<where>[^\s\[]+(?:\[.*?\])?)(?: - (?P<reason>.*))?$")
# Where a run was: an Ansible task or handler, or a Molecule step starting.
STEP = re.compile(r"^(?:(?:TASK|RUNNING HANDLER) \[.*?\]|INFO\s+\S+ \S+ \w+: Executing\b.*)")


@dataclass(frozen=True)
class Skip:
    """One line of pytest's short summary about skipped tests."""

    where: str   # the test's node id, or file:line for a folded line
    reason: str
    count: int = 1


def strip_ansi(text: str) -> str:
    """The text without terminal colour codes, nor the frame Molecule draws
    around a step's output.

    >>> strip_ansi("\\x1b[33mSKIPPED\\x1b[0m [1] a.py:3: no")
    'SKIPPED [1] a.py:3: no'
    >>> strip_ansi("\u2502 ==== 2 passed in 1.0s ==== \u2502")
    '==== 2 passed in 1.0s ===='
    """
    return "\n".join(FRAME.sub("", line) for line in ANSI.sub("", text).splitlines())


def result(text: str) -> str | None:
    """The last run's result line in a log, without its ``=`` rule, or None.

    >>> result("x\\n===== 3 passed, 1 skipped in 2.51s (0:00:02) =====\\n")
    '3 passed, 1 skipped in 2.51s (0:00:02)'
    """
    found = None
    for line in strip_ansi(text).splitlines():
        m = SECTION.match(line.strip())
        if m and RESULT.search(m["title"]):
            found = m["title"]
    return found


def last_step(text: str) -> str | None:
    """The last Ansible task or Molecule step a log shows, or None: where a
    run that ended early (failed, stopped, killed) was.

    >>> last_step("INFO     nlb \u279c converge: Executing\\n  \u2502 TASK [Clients | apt] ****\\n")
    'TASK [Clients | apt]'
    """
    found = None
    for line in strip_ansi(text).splitlines():
        m = STEP.match(line.strip())
        if m:
            found = m[0]
    return found


def _skip(entry: str) -> Skip:
    m = FOLDED.match(entry)
    if m:
        return Skip(m["where"], m["reason"].strip(), int(m["count"]))
    m = UNFOLDED.match(entry)
    if m:
        return Skip(m["where"], (m["reason"] or "").removeprefix("Skipped: ").strip())
    return Skip(entry.removeprefix("SKIPPED ").strip(), "")


def skipped(text: str) -> list[Skip]:
    """Every skip in the short test summaries of a log, in order. A reason
    of several lines is joined into one."""
    entries: list[str] = []
    inside = False
    for raw in strip_ansi(text).splitlines():
        line = raw.rstrip()
        m = SECTION.match(line.strip())
        if m:
            inside = m["title"] == "short test summary info"
            continue
        if not inside:
            continue
        if line.startswith(WORDS):
            entries.append(line)
        elif entries and line.strip():
            entries[-1] += " " + line.strip()
    return [_skip(e) for e in entries if e.startswith("SKIPPED ")]


def summary(logs: dict[str, str]) -> list[str]:
    """The summary's lines for logs given as name -> text: one result line
    per log, then every skipped test with its reason, or that none was."""
    width = max((len(n) for n in logs), default=0) + 1
    lines: list[str] = []
    skips: list[tuple[str, Skip]] = []
    for name, text in logs.items():
        res = result(text)
        found = skipped(text)
        if res is None:
            step = last_step(text)
            res = "no pytest result line (the run ended before its tests did" + (f"; its last step: {step})" if step else ")")
        lines.append(f"{name + ':':<{max(width, 22)}} {res}")
        said = SKIPPED_COUNT.search(res or "")
        listed = sum(s.count for s in found)
        if said and int(said[1]) != listed:
            lines.append(f"  {name}: pytest says {said[1]} skipped, the log names {listed} "
                         "(run it with -r s to list them)")
        skips += [(name, s) for s in found]
    if not skips:
        lines.append("no test skipped")
        return lines
    total = sum(s.count for _, s in skips)
    lines.append(f"skipped: {total} test{'s' if total != 1 else ''}")
    for name, s in skips:
        many = f" ({s.count} tests)" if s.count > 1 else ""
        lines.append(f"  {name + ':':<{width}} {s.where}{many} - {s.reason or '(no reason given)'}")
    return lines


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python3 scripts/pytest_logs.py LOG...", file=sys.stderr)
        return 2
    logs = {Path(p).name.removesuffix(".log"): Path(p).read_text(errors="replace") for p in argv}
    print("\n".join(summary(logs)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
