"""The whole-run drill report: table, JSON (lab/drill_report.py) and HTML timelines (lab/drill_html.py),
and the pytest plugin that gathers it (lab/pytest_plugin.py)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from xml.etree import ElementTree

import pytest

from lab import drill_html as dh
from lab import drill_report as dr
from lab.report import Result

A, B = "http://10.213.0.11/", "http://10.213.0.12/"
T = 1_700_000_000.0  # epoch seconds, as the load generator records them


def res(i: int, target: str, t0: float, outcome: str = "ok", dt: float = 0.01) -> Result:
    return Result(i, target, T + t0, T + t0 + dt, outcome, 200 if outcome == "ok" else None)


def load() -> list[Result]:
    """10 s round-robin over A and B every 50 ms; B fails from 3.0 s to 4.5 s."""
    out = []
    for i in range(200):
        t = i * 0.05
        target = A if i % 2 == 0 else B
        out.append(res(i, target, t, "timeout" if target == B and 3.0 <= t < 4.5 else "ok"))
    return out


def recorded(**figures) -> dr.Record:
    return dr.record(None, **figures)


def rows() -> list[dr.Row]:
    """A passing drill, a failed one, a miss, one with no record, an empty load, a skip."""
    good = recorded(target=dr.TARGET_WEB_NODE_KILLED, outage=0.0, results=[res(0, A, 0.0), res(1, A, 1.0)],
                    disrupted=T + 0.5, returned=T + 0.8)
    node_down = recorded(outage=1.5, results=load(), names={A: "web1", B: "web2"}, disrupted=T + 3.0, returned=T + 4.4,
                         disrupted_label="crash web2", returned_label="start web2")
    slow = recorded(target=dr.TARGET_BALANCER_CRASH, outage=0.72, failed=12, total=900, disrupted=T, returned=T + 2,
                    results=load())
    empty = recorded(target=dr.TARGET_MAINTENANCE, results=[], disrupted=T, returned=T + 1)
    return [
        dr.Row("nlb", "a web node that goes away costs no request [crash]", "passed", good, "tests/nlb/x.py::t[crash]"),
        dr.Row("web_farm", "down node failures are charged to that node only [crash]", "failed", node_down,
               message="AssertionError: failures charged to other nodes"),
        dr.Row("nlb", "the vip leaves a failed balancer [crash]", "passed", slow),
        dr.Row("rr_dns", "with every member down the full set stays", "passed", None),
        dr.Row("nlb", "balancer maintenance hands the vips over first", "passed", empty),
        dr.Row("active_passive", "partition [loser]", "skipped", None, message="needs two nodes"),
    ]


def test_targets_parse_in_missions_words():
    assert dr.parse_target("0 failed") == dr.Bound(failed=0)
    assert dr.parse_target("outage <= 0.5 s") == dr.Bound(seconds=0.5)
    assert dr.parse_target("withdrawn <= 3 s") == dr.Bound(seconds=3.0)
    assert dr.parse_target("<= 2 s") == dr.Bound(seconds=2.0)
    for target in (dr.TARGET_WEB_NODE_KILLED, dr.TARGET_MAINTENANCE, dr.TARGET_BALANCER_CRASH, dr.TARGET_NODE_CRASH,
                   dr.TARGET_STORE_NODE_CRASH, dr.TARGET_SERVICE_DIES, dr.TARGET_DNS_WITHDRAWN, dr.TARGET_NEW_CONTENT, dr.TARGET_HAPROXY_HUNG):
        dr.parse_target(target)
    with pytest.raises(ValueError, match="MISSION"):
        dr.parse_target("fast enough")


def test_a_record_is_checked_and_can_be_completed():
    with pytest.raises(TypeError, match="unknown figure"):
        dr.record(None, outgae=1.0)
    with pytest.raises(ValueError):
        dr.record(None, target="quickly")
    first = dr.record(None, results=load(), disrupted=T + 3)
    later = dr.record(first, outage=1.5, data_lost=False)
    assert (later.disrupted, later.outage, later.data_lost) == (T + 3, 1.5, False)
    assert list(later.results) == [A, B]
    assert (later.failed_count, later.total_count) == (15, 200)  # counted from the results


def test_the_target_is_met_or_missed_by_its_own_figure():
    assert recorded(target="0 failed", results=[res(0, A, 0)]).met() is True
    assert recorded(target="0 failed", failed=1, total=10).met() is False
    assert recorded(target="outage <= 0.5 s", outage=0.5).met() is True
    assert recorded(target="outage <= 0.5 s", outage=0.51).met() is False
    # A target on another figure than the outage: withdrawn within 3 s, though clients saw 4 s.
    assert recorded(target="withdrawn <= 3 s", outage=4.0, seconds=1.7).met() is True
    assert recorded(target="back <= 8 s").met() is None  # nothing to judge
    assert recorded(outage=99.0).met() is None  # no target


def test_results_say_pass_fail_miss_skip_and_xfail():
    assert [r.result for r in rows()] == ["pass", "FAIL", "MISS", "pass", "pass", "skip"]
    assert dr.tally(rows()) == {"pass": 3, "FAIL": 1, "MISS": 1, "skip": 1, "xfail": 0}
    assert dr.Row("nlb", "forged adverts", "xfailed", message="a backup took over").result == "xfail"


def test_names_come_from_the_test_and_its_folder():
    nodeid = "tests/nlb/test_drill_nlb.py::test_the_vip_leaves_a_failed_balancer[haproxy-stop]"
    assert dr.topology_of(nodeid) == "nlb"
    assert dr.drill_name(nodeid) == "the vip leaves a failed balancer [haproxy-stop]"
    assert dr.drill_name("tests/web_farm/test_x.py::test_partition_cuts_the_link") == "partition cuts the link"


def test_the_table_has_one_row_per_drill_and_dashes_for_what_was_not_recorded():
    text = dr.table_text(rows())
    lines = text.splitlines()
    assert lines[0].split() == ["topology", "drill", "target", "outage", "s", "failed/total", "data", "lost", "result"]
    assert len(lines) == 2 + len(rows()) + 1
    assert lines[-1] == "6 drills: 3 pass, 1 FAIL, 1 MISS, 1 skip"
    by_drill = {r.drill: dr.cells(r) for r in rows()}
    assert by_drill["a web node that goes away costs no request [crash]"][2:] == ["0 failed", "0.00", "0/2", "-", "pass"]
    assert by_drill["with every member down the full set stays"][2:] == ["-", "-", "-", "-", "pass"]
    assert by_drill["the vip leaves a failed balancer [crash]"][2:] == ["outage <= 0.5 s", "0.72", "12/900", "-", "MISS"]
    assert by_drill["balancer maintenance hands the vips over first"][2:] == ["0 failed", "-", "0/0", "-", "pass"]
    assert by_drill["down node failures are charged to that node only [crash]"][-1] == "FAIL"
    withdrawn = dr.Row("rr_dns", "x", "passed", recorded(target="withdrawn <= 3 s", seconds=1.66, outage=1.2, data_lost=False))
    assert dr.cells(withdrawn)[2:] == ["withdrawn <= 3 s (1.66)", "1.20", "-", "no", "pass"]


def test_json_holds_the_table_and_the_times():
    data = json.loads(dr.to_json(rows(), {"inventory": "inventories/lab"}))
    assert data["inventory"] == "inventories/lab"
    assert data["summary"] == {"pass": 3, "FAIL": 1, "MISS": 1, "skip": 1, "xfail": 0}
    failed = data["drills"][1]
    assert (failed["result"], failed["outcome"], failed["recorded"]) == ("FAIL", "failed", True)
    assert failed["message"].startswith("AssertionError")
    assert failed["lanes"] == {"web1": {"total": 100, "failed": 0}, "web2": {"total": 100, "failed": 15}}
    assert (failed["disrupted"], failed["disrupted_label"], failed["returned_label"]) == (T + 3.0, "crash web2", "start web2")
    none = data["drills"][3]
    assert (none["recorded"], none["target"], none["failed"], none["lanes"]) == (False, None, None, {})
    assert data["drills"][4]["total"] == 0


def test_the_longest_gap_counts_each_run_of_failures_on_its_own():
    assert dr.longest_gap([res(0, A, 0.0), res(1, A, 1.0)]) == 0.0
    assert dr.longest_gap([]) == 0.0
    # Two short runs far apart: the longest, not first failure to last.
    scattered = [res(0, A, 0.0), res(1, A, 1.0, "reset"), res(2, A, 1.2), res(3, A, 9.0, "timeout"),
                 res(4, A, 9.1, "timeout"), res(5, A, 9.5), res(6, A, 10.0)]
    assert dr.longest_gap(scattered) == pytest.approx(0.5)
    # Failures to the end: until the last one ended.
    assert dr.longest_gap([res(0, A, 0.0), res(1, A, 1.0, "timeout", dt=0.5)]) == pytest.approx(0.5)


def test_buckets_start_at_100_ms_and_grow_for_long_runs():
    assert dh.bucket_size(10) == 0.1
    assert dh.bucket_size(60) == 0.1
    assert dh.bucket_size(240) == 0.5
    ok, failed = dh.buckets(load(), T, 0.5, 20)
    assert sum(ok) + sum(failed) == 200
    assert failed[6:9] == [5, 5, 5] and sum(failed) == 15


def test_the_outage_is_shaded_from_the_first_failure_near_the_disruption():
    rec = recorded(outage=1.5, results=load(), disrupted=T + 3.0)
    assert dh.outage_span(rec) == pytest.approx((T + 3.05, T + 4.55))
    assert dh.outage_span(recorded(outage=0.0, results=load())) is None


def svg_of(section: str) -> ElementTree.Element:
    return ElementTree.fromstring(re.search(r"<svg.*?</svg>", section, re.S).group(0))


def test_the_page_has_one_timeline_per_recorded_drill_with_its_markers():
    page = dh.html(rows(), {"inventory": "inventories/lab"})
    assert page.startswith("<!doctype html>")
    # Self-contained: no script, no external style, font or image.
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert not re.search(r'(src|href)="(?!#)', page) and "url(" not in page and "@import" not in page
    sections = re.findall(r'<section id="drill-\d+">.*?</section>', page, re.S)
    assert len(sections) == len(rows())
    recorded_rows = [r for r in rows() if r.record is not None]
    assert page.count('<svg class="timeline"') == len(recorded_rows)
    for section, row in zip(sections, rows(), strict=True):
        if row.record is None:
            assert "<svg" not in section and "recorded no figures" in section
            continue
        svg = svg_of(section)  # well-formed XML
        ns = {"s": "http://www.w3.org/2000/svg"}
        markers = svg.findall(".//s:g[@class='marker disrupted']", ns) + svg.findall(".//s:g[@class='marker returned']", ns)
        assert len(markers) == 2, row.drill
        labels = [m.find("s:text", ns).text for m in markers]
        assert labels[0].startswith(row.record.disrupted_label) and labels[1].startswith(row.record.returned_label)
    # The failed drill's timeline: two lanes, failures drawn on web2 only, the outage shaded, the reason shown.
    node_down = sections[1]
    assert "crash web2 +" in node_down and "start web2 +" in node_down
    assert node_down.count('class="lane"') == 2 and node_down.count('class="failed"') == 1
    assert 'class="outage"' in node_down and "outage 1.50 s" in node_down
    assert "failures charged to other nodes" in node_down
    # The empty load: markers, and a word that no request was recorded.
    assert "no requests recorded" in sections[4]


def test_an_empty_record_draws_a_note_not_a_chart():
    svg = dh.timeline_svg(dr.Record())
    assert "no requests recorded" in svg and "marker" not in svg
    ElementTree.fromstring(svg)


def test_labels_are_escaped():
    rec = recorded(results={"<b>&": [res(0, A, 0)]}, disrupted=T, disrupted_label='"x" <y>')
    page = dh.html([dr.Row("t", "<script>", "failed", rec, message="a < b")])
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;&amp;" in page
    svg_of(page)  # still well-formed


ROOT = Path(__file__).resolve().parents[2]


def _demo_project(tmp_path: Path) -> Path:
    """A project of its own for the plugin: pytest.ini with the drill marker,
    tests/conftest.py loading lab.pytest_plugin; returns tests/demo/."""
    tests = tmp_path / "tests" / "demo"
    tests.mkdir(parents=True)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    drill: a drill\n")
    (tmp_path / "tests" / "conftest.py").write_text('pytest_plugins = ["lab.pytest_plugin"]\n')
    return tests


def test_a_session_of_drills_prints_the_table_writes_the_report_and_ends_with_its_link(tmp_path):
    """The plugin end to end, in a pytest of its own: one drill passes, one
    fails its assertion, one misses its target, one records nothing."""
    tests = _demo_project(tmp_path)
    (tests / "test_drill_demo.py").write_text(textwrap.dedent("""
        import pytest
        from lab import drill_report
        from lab.report import Result

        pytestmark = pytest.mark.drill
        T = 1_700_000_000.0

        def load(fail):
            return [Result(i, "http://10.0.0.1/", T + i / 10, T + i / 10 + 0.01, "timeout" if i in fail else "ok")
                    for i in range(50)]

        def test_quick(drill_record):
            drill_record(target=drill_report.TARGET_WEB_NODE_KILLED, outage=0.0, results=load(()), disrupted=T + 1,
                         returned=T + 2)

        def test_slow_balancer(drill_record):
            drill_record(target=drill_report.TARGET_BALANCER_CRASH, outage=0.8, results=load((20, 21)),
                         disrupted=T + 2, returned=T + 3)

        @pytest.mark.parametrize("how", ["crash"])
        def test_broken(drill_record, how):
            drill_record(results=load((5,)), disrupted=T, returned=T + 1)
            assert False, "the node never came back"

        def test_silent():
            pass

        @pytest.mark.skip(reason="no cluster here")
        def test_skipped():
            pass

        def test_expected():
            pytest.xfail("a backup took the master role for a moment")
    """))
    out_dir = tmp_path / "artifacts"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                               f"--drill-report-dir={out_dir}", *extra,
                               "tests/demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    done = run("--drill-enforce-targets")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.rstrip().splitlines()
    assert lines[-1] == f"report: {(out_dir / 'report.html').as_uri()}", done.stdout
    table = done.stdout[done.stdout.index("drill report"):]
    assert re.search(r"demo\s+quick\s+0 failed\s+0.00\s+0/50\s+-\s+pass", table), table
    assert re.search(r"demo\s+slow balancer\s+outage <= 0.5 s\s+0.80\s+2/50\s+-\s+MISS", table), table
    assert re.search(r"demo\s+broken \[crash\]\s+-\s+-\s+1/50\s+-\s+FAIL", table), table
    assert re.search(r"demo\s+silent\s+-\s+-\s+-\s+-\s+pass", table), table
    assert re.search(r"demo\s+skipped\s+-\s+-\s+-\s+-\s+skip", table), table
    assert re.search(r"demo\s+expected\s+-\s+-\s+-\s+-\s+xfail", table), table
    assert "6 drills: 2 pass, 1 FAIL, 1 MISS, 1 skip, 1 xfail" in table
    data = json.loads((out_dir / "report.json").read_text())
    assert [d["result"] for d in data["drills"]] == ["pass", "MISS", "FAIL", "pass", "skip", "xfail"]
    assert data["drills"][5]["message"] == "a backup took the master role for a moment"
    assert "the node never came back" in data["drills"][2]["message"]
    assert (out_dir / "report.html").read_text().count('<svg class="timeline"') == 3

    # Without --drill-enforce-targets a miss is reported, and only the failed assertion fails the run.
    (tests / "test_drill_demo.py").write_text((tests / "test_drill_demo.py").read_text().replace("assert False", "pass  #"))
    relaxed = run()
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert "MISS" in relaxed.stdout and "--drill-enforce-targets" in relaxed.stdout
    assert run("--drill-enforce-targets").returncode == 1


def test_a_record_survives_the_trip_as_plain_data():
    for rec in rows():
        if rec.record is None:
            continue
        data = dr.record_to_data(rec.record)
        assert json.loads(json.dumps(data)) == data  # dicts, lists, strings and numbers only
        assert dr.record_from_data(json.loads(json.dumps(data))) == rec.record
    assert dr.record_from_data(dr.record_to_data(dr.Record())) == dr.Record()
    with pytest.raises(ValueError, match="unknown field.*colour"):
        dr.record_from_data({"outage": 1.0, "colour": "red"})


def test_under_xdist_every_workers_records_reach_the_report(tmp_path):
    """pytest -n 2: the drills run in two worker processes and the report is
    written by the controller, which sees only the workers' test reports:
    every record must travel with them, figures and requests alike."""
    tests = _demo_project(tmp_path)
    (tests / "test_drill_spread.py").write_text(textwrap.dedent("""
        import os

        import pytest
        from lab import drill_report
        from lab.report import Result

        pytestmark = pytest.mark.drill
        T = 1_700_000_000.0

        @pytest.mark.parametrize("n", range(8))
        def test_recorded(drill_record, n):
            results = [Result(i, f"http://10.0.0.{n}/", T + i, T + i + 0.5, "timeout" if i < n else "ok", node=f"web{n}")
                       for i in range(10)]
            drill_record(target=drill_report.TARGET_WEB_NODE_KILLED, outage=n / 10, results=results, disrupted=T + n,
                         disrupted_label=os.environ.get("PYTEST_XDIST_WORKER", "controller"))
            drill_record(returned=T + n + 1, returned_label=f"back {n}")
    """))
    out_dir = tmp_path / "artifacts"
    # A session of its own, even when this test runs in an xdist worker.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}, "PYTHONPATH": str(ROOT / "tests")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "xdist", "-n", "2",
                           f"--drill-report-dir={out_dir}", "tests/demo"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    drills = {d["drill"]: d for d in json.loads((out_dir / "report.json").read_text())["drills"]}
    assert len(drills) == 8, sorted(drills)
    workers = set()
    for n in range(8):
        d = drills[f"recorded [{n}]"]
        assert (d["outage_s"], d["failed"], d["total"]) == (n / 10, n, 10), d
        assert d["result"] == ("pass" if n == 0 else "MISS"), d
        assert d["returned_label"] == f"back {n}", d  # the second call's figure too
        workers.add(d["disrupted_label"])
    assert workers == {"gw0", "gw1"}, workers  # both workers ran drills
    table = done.stdout[done.stdout.index("drill report"):]
    assert re.search(r"demo\s+recorded \[7\]\s+0 failed\s+0.70\s+7/10\s+-\s+MISS", table), table
    assert (out_dir / "report.html").read_text().count('<svg class="timeline"') == 8


class _Config:
    def __init__(self, inventory: str | None, given: str | None = None) -> None:
        self.options = {"ansible_inventory": inventory, "drill_report_dir": given}

    def getoption(self, name: str, default=None):
        return self.options.get(name, default)


def test_each_inventory_has_a_report_folder_of_its_own(monkeypatch):
    from lab.pytest_plugin import report_dir

    monkeypatch.delenv("WEBFARM_INVENTORY", raising=False)
    base = ROOT / "artifacts" / "drill"
    assert report_dir(_Config(None)) == base
    assert report_dir(_Config(str(ROOT / "inventories" / "lab"))) == base
    assert report_dir(_Config(str(ROOT / "molecule" / "nlb" / "inventory") + "/")) == base / "molecule-nlb"
    assert report_dir(_Config(str(ROOT / "inventories" / "cluster4"))) == base / "cluster4"
    assert report_dir(_Config(None, "/tmp/elsewhere")) == Path("/tmp/elsewhere")
