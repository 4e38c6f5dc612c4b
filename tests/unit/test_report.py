"""Summaries and outage windows of load generator results."""
from __future__ import annotations

import pytest

from lab.report import Result, outage_window, service_gap, summarize, summary_table, table

A, B = "http://10.213.0.11/", "http://10.213.0.12/"


def res(i, target, t0, outcome="ok", dt=0.01):
    return Result(i, target, t0, t0 + dt, outcome, 200 if outcome == "ok" else None)


def sample():
    # B fails from t=2.0 to t=3.5, then recovers at t=4.0; A never fails.
    return [res(0, A, 1.0), res(1, B, 1.5), res(2, A, 2.0), res(3, B, 2.0, "timeout", 0.5),
            res(4, A, 3.0), res(5, B, 3.0, "refused", 0.5), res(6, A, 3.8), res(7, B, 4.0)]


def test_failed_and_total_per_target():
    s = summarize(sample())
    assert (s.total, s.ok, s.failed) == (8, 6, 2)
    assert s.by_target[A] == {"total": 4, "ok": 4}
    assert s.by_target[B] == {"total": 4, "ok": 2, "failed": 2}
    assert s.failed_targets() == {B}
    assert s.by_outcome["timeout"] == 1 and s.by_outcome["refused"] == 1


def test_outage_window_spans_first_to_last_failure_and_notes_recovery():
    w = summarize(sample()).window_for(B)
    assert (w.start, w.end, w.recovered) == (2.0, 3.5, 4.0)
    assert w.seconds == pytest.approx(1.5)


def test_no_failures_no_window():
    assert summarize([res(0, A, 1.0)]).window is None
    assert outage_window([]) is None


def test_window_without_recovery():
    w = outage_window([res(0, A, 1.0), res(1, A, 2.0, "timeout")])
    assert w.recovered is None


def test_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="unknown outcome"):
        Result.from_record({"i": 0, "target": A, "t0": 0, "t1": 1, "outcome": "maybe"})


def test_tables_align_columns():
    text = table(["host", "state"], [["web1", "up"], ["client", None]])
    assert text.splitlines() == ["host    state", "------  -----", "web1    up", "client"]
    report = summary_table(summarize(sample()), {A: "web1", B: "web2"})
    assert "web2    4         2   2       1.50" in report
    assert report.splitlines()[-1].startswith("all     8")


def test_recap_reads_each_hosts_counts():
    from lab.playbook import recap

    out = ("PLAY RECAP *****\nweb1   : ok=15   changed=0    unreachable=0    failed=0    skipped=2\n"
           "web2                       : ok=13   changed=3    unreachable=0    failed=1\n\n")
    assert recap(out) == {"web1": {"ok": 15, "changed": 0, "unreachable": 0, "failed": 0, "skipped": 2},
                          "web2": {"ok": 13, "changed": 3, "unreachable": 0, "failed": 1}}
    assert recap("no recap here") == {}


def test_recap_cli_sums_the_changes(tmp_path, capsys):
    from lab.playbook import main

    log = tmp_path / "run.log"
    log.write_text("PLAY RECAP\nweb1 : ok=3 changed=2 failed=0\nweb2 : ok=3 changed=1 failed=0\n")
    assert main(["playbook", "changed", str(log)]) == 0
    assert capsys.readouterr().out.strip() == "3"


def test_spread_and_ratio_print_what_the_benchmarks_compare():
    from lab.report import ratio, spread
    assert spread([0.5, 0.25, 2.0]) == "0.25 / 0.50 / 2.00"
    assert spread([]) == "-"
    # webfarm's median over the defaults' median.
    assert ratio([0.4, 0.5, 0.6], [2.0, 3.0, 4.0]) == "0.17"
    assert ratio([0.0], [0.0]) == "1.00"
    assert ratio([0.3], [0.0]) == "inf"
    assert ratio([], [1.0]) == "-"


def test_the_service_gap_is_the_longest_run_of_failures_sent_in_the_window():
    # One request timed out on a busy host 4 s before the VIP moved back,
    # then a burst of resets at the move: clients went 0.3 s without an
    # answer, not 4.3 s (the CI run that failed the nlb crash drill).
    results = [res(0, A, 0.0), res(1, A, 0.5, "timeout", 0.3), res(2, A, 0.6), res(3, A, 4.5, "reset"),
               res(4, A, 4.6, "timeout", 0.25), res(5, A, 4.8), res(6, A, 6.0, "timeout", 0.3)]
    assert service_gap(results, 0.0, 5.0) == (3, pytest.approx(0.3))
    # Only the failures sent in the window count; a run still failing at the
    # window's end closes at the first success sent after it.
    assert service_gap(results, 4.0, 4.55) == (1, pytest.approx(0.3))
    assert service_gap(results, 5.0, 7.0) == (1, pytest.approx(0.3))
    assert service_gap(results, 1.0, 4.0) == (0, 0.0)
    assert service_gap(results) == (4, pytest.approx(0.3))
