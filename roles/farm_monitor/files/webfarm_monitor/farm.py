"""The farm's state: the last reading of every row, and a bounded history of changes."""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from .readings import ROWS, STATES, Reading


@dataclass
class Row:
    reading: Reading
    since: float
    checked: float
    # The last value (VIP holder, records, where a group runs) seen while it
    # had one: a move is told against it even with a down reading between.
    last_value: str | None = None


class Farm:
    """The last reading of every row, when it last changed, and the events."""

    def __init__(self, history: int, stale_after: float, clock: Callable[[], float] = time.time,
                 stale_after_kind: dict[str, float] | None = None) -> None:
        self.rows: dict[str, Row] = {}
        self.events: deque[dict[str, Any]] = deque(maxlen=history)
        self.stale_after = stale_after
        # Rows of these kinds are read less often (collectors.SLOW_KINDS).
        self.stale_after_kind = dict(stale_after_kind or {})
        self.clock = clock
        self.lock = threading.Lock()
        self.started = clock()

    def update(self, readings: Iterable[Reading]) -> None:
        now = self.clock()
        with self.lock:
            for r in readings:
                old = self.rows.get(r.key)
                if old is None:
                    self.rows[r.key] = Row(r, r.since or now, now, r.value)
                    continue
                moved = r.value is not None and old.last_value is not None and old.last_value != r.value
                changed = old.reading.state != r.state or moved
                if changed:
                    self.events.appendleft({"t": now, "topology": r.topology, "subject": r.name, "state": r.state,
                                            "text": describe(old.reading, r, old.last_value)})
                since = (r.since or now) if changed else old.since
                self.rows[r.key] = Row(r, since, now, r.value if r.value is not None else old.last_value)

    def snapshot(self, panels_shown: list[dict[str, Any]]) -> dict[str, Any]:
        """The page's state: one panel for each of panels_shown ({name, title}, in order)."""
        now = self.clock()
        with self.lock:
            rows = list(self.rows.values())
            events = list(self.events)
        panels = []
        for panel in panels_shown:
            topology = panel["name"]
            items = []
            for row in rows:
                r = row.reading
                if r.topology != topology:
                    continue
                d = asdict(r)
                d.pop("since")
                if now - row.checked > self.stale_after_kind.get(r.kind, self.stale_after):
                    d["state"], d["detail"] = "unknown", f"no reading for {now - row.checked:.0f} s"
                d["since"], d["checked"] = row.since, row.checked
                items.append(d)
            items.sort(key=_order)
            panels.append({"id": topology, "title": panel["title"], "rows": items,
                           "links": [{"title": f"{r['name']} stats", "url": r["extra"]["stats_url"]}
                                     for r in items if r["extra"].get("stats_url")]})
        counts = {s: sum(1 for p in panels for r in p["rows"] if r["state"] == s) for s in STATES}
        return {"generated": now, "started": self.started, "panels": panels, "events": events, "counts": counts}


def _order(item: dict[str, Any]) -> tuple[int, str]:
    """Page order: by kind of row (ROWS), then key."""
    kinds = list(ROWS)
    return (kinds.index(item["kind"]) if item["kind"] in kinds else 99, item["key"])


def describe(old: Reading, new: Reading, last_value: str | None = None) -> str:
    """The event's words; last_value is what the row pointed at before."""
    was = last_value if last_value is not None else old.value
    if new.kind == "vip" and new.value and was and new.value != was:
        return f"{new.name} moved {was} -> {new.value}"
    if new.kind == "group" and new.value and was and new.value != was:
        return f"{new.name} failed over {was} -> {new.value}"
    if new.kind == "dns" and new.value and was and new.value != was:
        before, after = json.loads(was), json.loads(new.value)
        changes = []
        for name in after:
            gone = sorted(set(before.get(name, [])) - set(after[name]))
            back = sorted(set(after[name]) - set(before.get(name, [])))
            changes += [f"{name}: withdrew {' '.join(gone)}"] if gone else []
            changes += [f"{name}: published {' '.join(back)}"] if back else []
        return f"{new.name} " + "; ".join(changes or ["records changed"])
    return f"{new.name} {old.state} -> {new.state}" + (f" ({new.detail})" if new.detail else "")
