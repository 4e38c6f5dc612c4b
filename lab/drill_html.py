"""The drill report's page: the table, then one timeline (inline SVG) per
drill, drawn from the rows of lab/drill_report.py. Pure functions.

    html(rows, meta)          # the whole page
    timeline_svg(record)      # one drill's timeline: ok above, failed below, per lane
"""
from __future__ import annotations

import html as _html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lab.drill_report import HEADERS, Record, Row, cells, summary_line
from lab.report import Result

WIDTH = 960
LEFT, RIGHT = 150, 16  # room for the lane labels; margin
TOP = 40  # two rows of marker labels
LANE_H = 56  # ok above the lane's middle line, failed below it
AXIS_H = 26
MAX_BUCKETS = 600
BUCKETS = (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
TICKS = (0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0)
MIN_FAILED_H = 3.0  # a single failed request stays visible


def bucket_size(span: float) -> float:
    """The smallest bucket, from 100 ms up, that cuts span into at most MAX_BUCKETS."""
    return next((b for b in BUCKETS if span / b <= MAX_BUCKETS), math.ceil(span / MAX_BUCKETS))


def tick_step(span: float) -> float:
    return next((t for t in TICKS if span / t <= 12), math.ceil(span / 12))


def buckets(lane: Iterable[Result], origin: float, size: float, count: int) -> tuple[list[int], list[int]]:
    """ok and failed requests per bucket, by the time each was sent."""
    ok, failed = [0] * count, [0] * count
    for r in lane:
        i = min(count - 1, max(0, int((r.t0 - origin) / size)))
        (ok if r.ok else failed)[i] += 1
    return ok, failed


def outage_span(rec: Record) -> tuple[float, float] | None:
    """Where to shade the outage: from the first failed request sent at
    most a second before the disruption (else the first failed one), for
    the recorded outage's length."""
    if not rec.outage:
        return None
    failed = [r.t0 for r in rec.requests if not r.ok]
    if rec.disrupted is not None:
        failed = [t for t in failed if t >= rec.disrupted - 1.0] or failed
    if not failed:
        return None
    start = min(failed)
    return start, start + rec.outage


def _step_path(values: Sequence[float], x0: float, step: float, base: float, sign: int) -> str:
    """A step area from the line y=base, up (sign -1) or down (sign 1)."""
    parts = [f"M{x0:.1f} {base:.1f}"]
    y_prev = base
    for i, v in enumerate(values):
        y = base + sign * v
        if abs(y - y_prev) > 0.05:
            parts.append(f"V{y:.1f}")
            y_prev = y
        parts.append(f"H{x0 + (i + 1) * step:.1f}")
    parts.append(f"V{base:.1f}Z")
    # Merge the runs of H a H b into H b.
    merged: list[str] = []
    for p in parts:
        if p[0] == "H" and merged and merged[-1][0] == "H":
            merged[-1] = p
        else:
            merged.append(p)
    return "".join(merged)


def _esc(text: object) -> str:
    return _html.escape(str(text), quote=True)


def _short(label: str, limit: int = 22) -> str:
    label = label.removeprefix("http://").removeprefix("https://")
    return label if len(label) <= limit else label[:limit - 1] + "\u2026"


def timeline_svg(rec: Record, title: str = "") -> str:
    """One drill's timeline: per lane, requests per bucket (ok above the
    line, failed below), the outage shaded, the disruption and the return
    as labelled vertical lines. Times are seconds from the first request."""
    lanes_ = {label: list(lane) for label, lane in (rec.results or {}).items()}
    times = [t for lane in lanes_.values() for r in lane for t in (r.t0, r.t1)]
    marks = [t for t in (rec.disrupted, rec.returned) if t is not None]
    n = max(1, len(lanes_))
    height = TOP + n * LANE_H + AXIS_H
    out = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
           f'width="100%" role="img" aria-label="{_esc(title or "drill timeline")}">']
    if title:
        out.append(f"<title>{_esc(title)}</title>")
    if not times and not marks:
        out.append(f'<text x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle" class="none">no requests recorded</text></svg>')
        return "".join(out)
    origin = min(times) if times else min(marks)
    end = max(times + marks)
    span = max(end - origin, 1.0)
    size = bucket_size(span)
    count = max(1, math.ceil(span / size))
    plot_w = WIDTH - LEFT - RIGHT
    step = plot_w / count
    scale = plot_w / (count * size)

    def x(t: float) -> float:
        return LEFT + (t - origin) * scale

    counted = {label: buckets(lane, origin, size, count) for label, lane in lanes_.items()}
    peak = max((o + f for ok, failed in counted.values() for o, f in zip(ok, failed, strict=True)), default=0) or 1
    half = LANE_H / 2 - 3
    bottom = TOP + n * LANE_H

    # The outage, shaded under everything.
    shade = outage_span(rec)
    if shade:
        x0, x1 = x(shade[0]), max(x(shade[1]), x(shade[0]) + 1)
        out.append(f'<rect class="outage" x="{x0:.1f}" y="{TOP}" width="{x1 - x0:.1f}" height="{n * LANE_H}">'
                   f"<title>outage {rec.outage:.2f} s</title></rect>")
    # The time axis.
    tick = tick_step(span)
    k = 0
    while k * tick <= span + 1e-9:
        tx = x(origin + k * tick)
        out.append(f'<line class="grid" x1="{tx:.1f}" y1="{TOP}" x2="{tx:.1f}" y2="{bottom + 4}"/>'
                   f'<text class="tick" x="{tx:.1f}" y="{bottom + 17}" text-anchor="middle">{k * tick:g} s</text>')
        k += 1
    # The lanes.
    for j, (label, lane) in enumerate(lanes_.items()):
        mid = TOP + j * LANE_H + LANE_H / 2
        ok, failed = counted[label]
        nfailed = sum(failed)
        out.append(f'<g class="lane"><title>{_esc(label)}: {len(lane)} requests, {nfailed} failed</title>')
        out.append(f'<text class="label" x="{LEFT - 8}" y="{mid - 4:.1f}" text-anchor="end">{_esc(_short(label))}</text>'
                   f'<text class="count" x="{LEFT - 8}" y="{mid + 12:.1f}" text-anchor="end">'
                   f'{nfailed}/{len(lane)} failed</text>')
        out.append(f'<path class="ok" d="{_step_path([v / peak * half for v in ok], LEFT, step, mid, -1)}"/>')
        if nfailed:
            heights = [max(MIN_FAILED_H, v / peak * half) if v else 0.0 for v in failed]
            out.append(f'<path class="failed" d="{_step_path(heights, LEFT, step, mid, 1)}"/>')
        out.append(f'<line class="base" x1="{LEFT}" y1="{mid:.1f}" x2="{LEFT + plot_w:.1f}" y2="{mid:.1f}"/></g>')
    if not lanes_:
        out.append(f'<text class="none" x="{LEFT + plot_w / 2:.1f}" y="{TOP + LANE_H / 2 + 4}" text-anchor="middle">'
                   "no requests recorded</text>")
    # The markers, on top.
    for row, (when, label, cls) in enumerate(((rec.disrupted, rec.disrupted_label, "disrupted"),
                                              (rec.returned, rec.returned_label, "returned"))):
        if when is None:
            continue
        mx = x(when)
        text = f"{label} +{when - origin:.2f} s"
        anchor, tx = ("end", mx - 4) if mx > LEFT + plot_w * 0.7 else ("start", mx + 4)
        out.append(f'<g class="marker {cls}"><line x1="{mx:.1f}" y1="{8 + row * 15}" x2="{mx:.1f}" y2="{bottom}"/>'
                   f'<text x="{tx:.1f}" y="{18 + row * 15}" text-anchor="{anchor}">{_esc(text)}</text></g>')
    out.append(f'<text class="tick" x="{LEFT - 8}" y="{bottom + 17}" text-anchor="end">per {size:g} s: max {peak}</text>')
    out.append("</svg>")
    return "".join(out)


# --- the page ---------------------------------------------------------------

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d232b;margin:0;background:#f6f7f9}
main{max-width:1000px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:16px;margin:0 0 4px}
.meta,.figures{color:#4b5563;margin:2px 0 8px}
.wrap{overflow-x:auto}
table{border-collapse:collapse;font-size:13px;width:100%;background:#fff}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e3e6ea;white-space:nowrap}
td.drill{white-space:normal;min-width:16em}
td.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#eef0f3}
a{color:#1f5fae;text-decoration:none}a:hover{text-decoration:underline}
.result{font-weight:600;padding:1px 6px;border-radius:3px}
.pass{background:#dcf2e0;color:#16602a}.FAIL{background:#fbdada;color:#9b1c1c}
.MISS{background:#fdebc8;color:#8a4b00}.skip{background:#e8eaed;color:#4b5563}.xfail{background:#fdebc8;color:#4b5563}
section{background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:12px 14px;margin:14px 0}
.why{font:12px/1.4 ui-monospace,monospace;background:#fff5f5;border-left:3px solid #d33;padding:4px 8px;
white-space:pre-wrap;word-break:break-word;margin:6px 0}
.legend{display:flex;gap:16px;flex-wrap:wrap;align-items:center;color:#4b5563;font-size:13px;margin:12px 0}
.key{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle}
svg.timeline{display:block;max-width:100%;height:auto;font:11px system-ui,sans-serif}
svg .ok{fill:#3f9d5a}svg .failed{fill:#d64545}svg .outage{fill:#d64545;fill-opacity:.12}
svg .base{stroke:#9aa3ad;stroke-width:.6}svg .grid{stroke:#e6e8eb;stroke-width:1}
svg .tick,svg .count{fill:#6b7280;font-size:10px}svg .label{fill:#1d232b}svg .none{fill:#6b7280}
svg .marker line{stroke-width:1.5;stroke-dasharray:5 3}svg .marker text{font-weight:600}
svg .disrupted line{stroke:#b42318}svg .disrupted text{fill:#b42318}
svg .returned line{stroke:#1f5fae}svg .returned text{fill:#1f5fae}
"""


def _legend() -> str:
    return ('<p class="legend"><span><span class="key" style="background:#3f9d5a"></span>ok requests (above the line)</span>'
            '<span><span class="key" style="background:#d64545"></span>failed requests (below)</span>'
            '<span><span class="key" style="background:rgba(214,69,69,.15)"></span>outage</span>'
            '<span style="color:#b42318">&#9474; disruption</span><span style="color:#1f5fae">&#9474; return</span>'
            "<span>bars: requests sent per time bucket; time in seconds from the first request</span></p>")


def _summary_table(rows: Sequence[Row]) -> str:
    out = ['<div class="wrap"><table><thead><tr>' + "".join(f"<th>{_esc(h)}</th>" for h in HEADERS) + "</tr></thead><tbody>"]
    for i, row in enumerate(rows, 1):
        c = cells(row)
        out.append(f"<tr><td>{_esc(c[0])}</td><td class=\"drill\"><a href=\"#drill-{i}\">{_esc(c[1])}</a></td>"
                   f"<td>{_esc(c[2])}</td><td class=\"num\">{_esc(c[3])}</td><td class=\"num\">{_esc(c[4])}</td>"
                   f"<td>{_esc(c[5])}</td><td><span class=\"result {c[6]}\">{_esc(c[6])}</span></td></tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _section(i: int, row: Row) -> str:
    c = cells(row)
    head = (f'<section id="drill-{i}"><h2>{_esc(row.topology)}: {_esc(row.drill)} '
            f'<span class="result {row.result}">{_esc(row.result)}</span></h2>')
    figures = (f"target {_esc(c[2])} &middot; outage {_esc(c[3])} s &middot; failed/total {_esc(c[4])} "
               f"&middot; data lost {_esc(c[5])} &middot; took {row.duration:.1f} s")
    parts = [head, f'<p class="figures">{figures}</p>']
    if row.message and row.outcome != "passed":
        parts.append(f'<div class="why">{_esc(row.message)}</div>')
    if row.record is None:
        parts.append('<p class="meta">This drill recorded no figures and no load: its result is its assertions.</p>')
    else:
        parts.append(timeline_svg(row.record, f"{row.topology}: {row.drill}"))
    parts.append("</section>")
    return "".join(parts)


def html(rows: Sequence[Row], meta: Mapping[str, Any] | None = None) -> str:
    """The whole page: self-contained (inline CSS and SVG, no script)."""
    meta = meta or {}
    about = " &middot; ".join(_esc(f"{k} {v}") for k, v in meta.items() if v not in (None, ""))
    return "".join([
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>webfarm drills: {_esc(summary_line(rows))}</title><style>{STYLE}</style></head><body><main>",
        f"<h1>webfarm drill report</h1><p class=\"meta\">{_esc(summary_line(rows))}"
        f"{' &middot; ' + about if about else ''}</p>",
        _summary_table(rows), _legend(),
        *(_section(i, row) for i, row in enumerate(rows, 1)),
        "</main></body></html>\n",
    ])
