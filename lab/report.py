"""Turn load generator records into failed/total, outage windows and tables."""
from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lab.loadgen import OUTCOMES


@dataclass(frozen=True)
class Result:
    """One request as the load generator recorded it."""

    i: int
    target: str
    t0: float
    t1: float
    outcome: str
    status: int | None = None
    node: str | None = None
    answer: str | None = None
    error: str | None = None
    digest: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> Result:
        if rec.get("outcome") not in OUTCOMES:
            raise ValueError(f"unknown outcome in record {rec!r}")
        return cls(int(rec["i"]), str(rec["target"]), float(rec["t0"]), float(rec["t1"]), str(rec["outcome"]),
                   rec.get("status"), rec.get("node"), rec.get("answer"), rec.get("error"), rec.get("digest"))


@dataclass(frozen=True)
class Window:
    """When clients saw failures: from the first failed request's start to
    the last failed request's end; recovered is the start of the first
    successful request after it (None if none came)."""

    start: float
    end: float
    recovered: float | None

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Summary:
    total: int
    ok: int
    by_outcome: Mapping[str, int]
    by_target: Mapping[str, Mapping[str, int]]
    window: Window | None
    results: Sequence[Result] = field(repr=False)

    @property
    def failed(self) -> int:
        return self.total - self.ok

    def failed_targets(self) -> set[str]:
        return {target for target, counts in self.by_target.items() if counts.get("failed", 0)}

    def window_for(self, target: str) -> Window | None:
        return outage_window([r for r in self.results if r.target == target])


def outage_window(results: Sequence[Result]) -> Window | None:
    failures = [r for r in results if not r.ok]
    if not failures:
        return None
    start = min(r.t0 for r in failures)
    end = max(r.t1 for r in failures)
    later_ok = [r.t0 for r in results if r.ok and r.t0 >= end]
    return Window(start, end, min(later_ok) if later_ok else None)


def service_gap(results: Sequence[Result], since: float = float("-inf"),
                until: float = float("inf")) -> tuple[int, float]:
    """Failed requests sent in [since, until), and the longest time clients
    went without an answer among them: for each run of those failures (in
    the order sent), from the first one being sent to the first request sent
    after it that succeeded (the run's last end if none did); (0, 0.0) when
    none failed. Unlike the outage window, it does not stretch by the
    client's timeout, and one request slow on a busy host seconds before an
    event is its own short gap, not the start of a long one."""
    failed, longest, start, last_end = 0, 0.0, None, 0.0
    for r in sorted(results, key=lambda r: r.t0):
        if not r.ok and since <= r.t0 < until:
            failed += 1
            start = r.t0 if start is None else start
            last_end = max(last_end, r.t1)
        elif r.ok and start is not None:
            longest, start = max(longest, r.t0 - start), None
    if start is not None:
        longest = max(longest, last_end - start)
    return failed, longest


def summarize(results: Iterable[Result]) -> Summary:
    results = sorted(results, key=lambda r: r.i)
    by_target: dict[str, Counter[str]] = {}
    for r in results:
        counts = by_target.setdefault(r.target, Counter())
        counts["total"] += 1
        counts["ok" if r.ok else "failed"] += 1
    by_outcome = Counter(r.outcome for r in results)
    return Summary(
        total=len(results),
        ok=by_outcome.get("ok", 0),
        by_outcome={o: by_outcome.get(o, 0) for o in OUTCOMES},
        by_target={target: dict(c) for target, c in by_target.items()},
        window=outage_window(results),
        results=results,
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain-text table with aligned columns."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary_table(summary: Summary, names: Mapping[str, str] | None = None) -> str:
    """Per-target figures: requests, ok, failed, outage window."""
    names = names or {}
    rows = []
    for target, counts in summary.by_target.items():
        w = summary.window_for(target)
        rows.append([names.get(target, target), counts.get("total", 0), counts.get("ok", 0), counts.get("failed", 0),
                     f"{w.seconds:.2f}" if w else "-"])
    w = summary.window
    rows.append(["all", summary.total, summary.ok, summary.failed, f"{w.seconds:.2f}" if w else "-"])
    return table(["target", "requests", "ok", "failed", "outage s"], rows)


def spread(values: Sequence[float]) -> str:
    """min / median / max of a benchmark's runs, in seconds.

    >>> spread([0.5, 0.25, 2.0])
    '0.25 / 0.50 / 2.00'
    """
    if not values:
        return "-"
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def ratio(ours: Sequence[float], theirs: Sequence[float]) -> str:
    """The median of ours over the median of theirs: webfarm's figure as a
    share of the defaults' ('-' when either is missing, '0' over 0 is 1).

    >>> ratio([0.4, 0.5, 0.6], [2.0, 3.0, 4.0])
    '0.17'
    """
    if not ours or not theirs:
        return "-"
    a, b = statistics.median(ours), statistics.median(theirs)
    if b == 0:
        return "1.00" if a == 0 else "inf"
    return f"{a / b:.2f}"
