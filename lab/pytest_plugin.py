"""The fixtures every topology's tests share (loaded by tests/conftest.py).

The inventory is the one passed with --ansible-inventory (Molecule passes its
scenario's), else $WEBFARM_INVENTORY, else the lab's. So the same tests prove
the lab, every Molecule scenario, and any inventory of real hosts.

A topology declares the groups its tests run over in its own conftest.py:

    # tests/web_farm/conftest.py
    from lab.pytest_plugin import group_fixtures
    web_node, web_nodes = group_fixtures("web_farm", "web_node")

`web_node` then runs a test once per host of the group (ids are host names),
`web_nodes` gives them all. `client` is the first host of the `clients` group.

Drills (tests marked `drill`) hand their figures to `drill_record`:

    drill_record(target=drill_report.TARGET_WEB_NODE_KILLED, outage=0.0, results=results,
                 names={url: "through the VIP"}, disrupted=down.t0, returned=back.t0)

and when any drill ran, the session ends with one table of every drill
(figures, and pass / FAIL / MISS from its outcome and its target), written
also as report.json and report.html (lab/drill_report.py, lab/drill_html.py) under
artifacts/drill/ (the lab) or artifacts/drill/<inventory>/ (any other
inventory: a Molecule scenario's is molecule-<name>). The last line printed
is the link to the page. --drill-enforce-targets (make drill) fails the run
when a drill misses its target; without it a miss is reported only.
Under pytest-xdist (-n) a worker's records travel to the controller with its
test reports, so the report holds every drill's figures.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import testinfra

from lab import drill_html, drill_report
from lab.inventory import LAB_INVENTORY, ROOT, Host, Inventory

# testinfra runs ansible-inventory from PATH: use the one beside this Python.
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])

_cache: dict[str, Inventory] = {}
# Fixture name -> the inventory group it is parametrized over.
_PARAMETRIZED: dict[str, str] = {}


def _inventory(config: pytest.Config) -> Inventory:
    source = config.getoption("ansible_inventory", default=None) or ""
    if source not in _cache:
        _cache[source] = Inventory.load(source or None)
    return _cache[source]


@dataclass
class Node:
    """An inventory host and a testinfra connection to it."""

    inv: Host
    host: testinfra.host.Host

    @property
    def name(self) -> str:
        return self.inv.name

    def journal(self, unit: str, lines: int = 40) -> str:
        out = self.host.run("journalctl -u %s -n %s --no-pager", unit, str(lines))
        return out.stdout or out.stderr

    def assert_running(self, unit: str, enabled: bool = True) -> None:
        """The unit runs (and starts at boot); if not, fail with its journal."""
        service = self.host.service(unit)
        problems = [what for what, bad in (("is not running", not service.is_running),
                                           ("is not enabled at boot", enabled and not service.is_enabled)) if bad]
        if problems:
            raise AssertionError(f"{unit} on {self.name} {' and '.join(problems)}; its journal:\n{self.journal(unit)}")


def node(inventory: Inventory, name: str) -> Node:
    host = inventory.host(name)
    console = host.console
    kwargs = {"ansible_inventory": inventory.source} if console.startswith("ansible://") else {}
    return Node(host, testinfra.get_host(console, **kwargs))


def group_fixtures(group: str, name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Two fixtures for a topology's conftest: NAME (one test per host of
    GROUP) and NAMEs (the list of all of them)."""
    if _PARAMETRIZED.get(name, group) != group:
        raise ValueError(f"fixture {name!r} is already declared for the group {_PARAMETRIZED[name]!r}")
    _PARAMETRIZED[name] = group

    @pytest.fixture(name=name)
    def one(request: pytest.FixtureRequest, inventory: Inventory) -> Node:
        return node(inventory, request.param)

    @pytest.fixture(name=f"{name}s", scope="session")
    def every(inventory: Inventory) -> list[Node]:
        return [node(inventory, n) for n in inventory.names(group)]

    return one, every


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for name, group in _PARAMETRIZED.items():
        if name in metafunc.fixturenames:
            names = _inventory(metafunc.config).names(group)
            metafunc.parametrize(name, names, ids=names, indirect=True)


@pytest.fixture(scope="session")
def inventory(request: pytest.FixtureRequest) -> Inventory:
    return _inventory(request.config)


@pytest.fixture(scope="session")
def client(inventory: Inventory) -> Node:
    return node(inventory, inventory.client().name)


# --- the drill report ---------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("webfarm drills")
    group.addoption("--drill-report-dir", default=None,
                    help="where the drill report goes (default: artifacts/drill/, or artifacts/drill/<inventory>/ "
                         "for an inventory other than the lab's)")
    group.addoption("--drill-enforce-targets", action="store_true", default=False,
                    help="fail the run when a drill's figures miss its target (make drill); else a miss is reported only")


def _source(config: pytest.Config) -> str:
    """The inventory source, as Inventory.load picks it, without reading it."""
    return str(config.getoption("ansible_inventory", default=None) or os.environ.get("WEBFARM_INVENTORY")
               or LAB_INVENTORY)


def report_dir(config: pytest.Config) -> Path:
    """--drill-report-dir, else artifacts/drill/ for the lab and
    artifacts/drill/<inventory>/ for another inventory (molecule/nlb/inventory
    gives molecule-nlb, inventories/cluster4 gives cluster4)."""
    given = config.getoption("drill_report_dir", default=None)
    if given:
        return Path(given).resolve()
    base = ROOT / "artifacts" / "drill"
    source = Path(_source(config)).resolve()
    if source == LAB_INVENTORY.resolve():
        return base
    try:
        rel = source.relative_to(ROOT)
    except ValueError:
        rel = Path(source.name)
    parts = [p for p in rel.parts if p not in ("inventories", "inventory")] or [source.name]
    return base / "-".join(parts)


def _message(report: pytest.TestReport) -> str:
    """Why a drill failed or was skipped, in a line or a few."""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    text = text if len(text) <= 600 else text[:600] + " ..."
    return text if report.when == "call" else f"{report.when}: {text}"


class DrillReport:
    """Collects every drill's outcome (over setup, call and teardown) and
    record; at the session's end writes the report and sets the exit status."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = time.time()
        self.outcomes: dict[str, str] = {}
        self.messages: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self.records: dict[str, drill_report.Record] = {}
        # In a pytest-xdist worker: the record last sent to the controller, per test.
        self._sent: dict[str, drill_report.Record] = {}
        self.rows: list[drill_report.Row] = []
        self.page: Path | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        """In a pytest-xdist worker, the test's record travels to the
        controller (which writes the report) with the phase's report, as
        plain data, whenever it is new or changed."""
        report = yield
        record = self.records.get(item.nodeid)
        if record is not None and hasattr(self.config, "workerinput") and self._sent.get(item.nodeid) is not record:
            report.webfarm_drill_record = drill_report.record_to_data(record)
            self._sent[item.nodeid] = record
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if "drill" not in report.keywords:
            return
        nodeid = report.nodeid
        data = getattr(report, "webfarm_drill_record", None)
        if data is not None and not hasattr(self.config, "workerinput"):
            # The controller: a worker's record, as its report carried it.
            self.records[nodeid] = drill_report.record_from_data(data)
        now = self.outcomes.setdefault(nodeid, "passed")
        self.durations[nodeid] = self.durations.get(nodeid, 0.0) + report.duration
        if report.failed and now != "failed":
            self.outcomes[nodeid], self.messages[nodeid] = "failed", _message(report)
        elif report.skipped and now == "passed" and hasattr(report, "wasxfail"):
            # An expected failure: shown as such, with what the test said.
            self.outcomes[nodeid], self.messages[nodeid] = "xfailed", str(report.wasxfail)[:600]
        elif report.skipped and now == "passed":
            self.outcomes[nodeid], self.messages[nodeid] = "skipped", _message(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.outcomes or hasattr(self.config, "workerinput"):
            return
        self.rows = [drill_report.Row(drill_report.topology_of(nodeid), drill_report.drill_name(nodeid), outcome,
                                      self.records.get(nodeid), nodeid, self.messages.get(nodeid, ""),
                                      self.durations.get(nodeid, 0.0))
                     for nodeid, outcome in self.outcomes.items()]
        meta = {"inventory": _source(self.config),
                "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started)),
                "took": f"{time.time() - self.started:.0f} s"}
        out = report_dir(self.config)
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "report.json").write_text(drill_report.to_json(self.rows, meta))
            (out / "report.html").write_text(drill_html.html(self.rows, meta))
            self.page = out / "report.html"
        except OSError as exc:
            print(f"drill report: could not write {out}: {exc}", file=sys.stderr)
        missed = any(r.result == "MISS" for r in self.rows)
        if missed and self.config.getoption("drill_enforce_targets") and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.rows:
            return
        terminalreporter.write_sep("=", "drill report")
        for line in drill_report.table_text(self.rows).splitlines():
            terminalreporter.write_line(line)
        if any(r.result == "MISS" for r in self.rows) and not self.config.getoption("drill_enforce_targets"):
            terminalreporter.write_line("a MISS fails the run only with --drill-enforce-targets (make drill)")

    def pytest_unconfigure(self) -> None:
        if self.page is not None:
            # After pytest's own last line: make drill ends with the link.
            print(f"report: {self.page.as_uri()}", flush=True)


_REPORT = pytest.StashKey[DrillReport]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_REPORT] = DrillReport(config)
    config.pluginmanager.register(config.stash[_REPORT], "webfarm-drill-report")


@pytest.fixture
def drill_record(request: pytest.FixtureRequest) -> Callable[..., drill_report.Record]:
    """Record this drill's figures for the session's report: target (text,
    drill_report.TARGET_*), outage (s), failed and total (counted from the
    results when not given), data_lost (True, False or None), results (the
    load's list of Result, or a mapping lane -> list; names labels a list's
    targets), disrupted and returned (epoch seconds) with disrupted_label and
    returned_label, seconds (the figure a "<= S s" target bounds, when it is
    not the outage). Call it again to add figures; the others are kept."""
    records = request.config.stash[_REPORT].records
    nodeid = request.node.nodeid

    def record(**figures: Any) -> drill_report.Record:
        records[nodeid] = drill_report.record(records.get(nodeid), **figures)
        return records[nodeid]

    return record
