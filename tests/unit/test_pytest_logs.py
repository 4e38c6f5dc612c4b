"""scripts/pytest_logs.py, the end of make test's summary: each pytest run's
result and every skipped test with its reason, read from the logs whatever
their colours, and pytest run as make test runs it prints what it reads."""
from __future__ import annotations

import shlex
import subprocess
import sys
import textwrap

import yaml
from molecule.util import dict2args

from lab.inventory import ROOT
from scripts import pytest_logs
from scripts.pytest_logs import Skip

E = "\x1b["
# The end of a Molecule verify as it lands in the log: coloured, -s output
# around it, a drill report after the short summary, a reason of two lines.
VERIFY = f"""\
{E}36mINFO    {E}0m Executing Testinfra tests found in /work/tests/nlb/...
tests/nlb/test_nlb.py::test_vip[lb1] PASSED
SKIPPED is not an entry outside the short summary
{E}36m{E}1m=========================== short test summary info ============================{E}0m
{E}33mSKIPPED{E}0m tests/monitor/test_monitor.py::{E}1mtest_cluster_panel[mon1]{E}0m - Skipped: no active_passive group
{E}33mSKIPPED{E}0m tests/nlb/test_tls.py::{E}1mtest_cert[lb1 - primary]{E}0m - Skipped: the balancers have no certificate
{E}33mSKIPPED{E}0m tests/nlb/test_nlb.py::{E}1mtest_names{E}0m - Skipped: no rr_dns group in this inventory:
no zone to name the VIPs in
{E}33mXFAIL{E}0m tests/nlb/test_nlb.py::{E}1mtest_known{E}0m - known
{E}32m================================= drill report ================================={E}0m
topology  drill  result
nlb       crash  skip
{E}32m=========== {E}32m{E}1m40 passed{E}0m, {E}33m3 skipped{E}0m, {E}33m1 xfailed{E}0m\
{E}32m in 301.52s (0:05:01){E}0m{E}32m ==========={E}0m
{E}36mINFO    {E}0m Verifier completed successfully.
"""

# The unit run without --no-fold-skipped: one line per place and reason.
FOLDED = """\
........s.......s.s
=========================== short test summary info ============================
SKIPPED [1] tests/unit/test_bad_input_web_farm.py:31: this machine has no IPv4 address besides loopback
SKIPPED [2] tests/unit/test_x.py:9: needs: a thing
SKIPPED [1] tests/unit/test_y.py: module skipped
========================= 516 passed, 4 skipped in 230.10s (0:03:50) =========================
"""


def test_skips_are_read_from_the_short_summary_colours_and_all():
    assert pytest_logs.skipped(VERIFY) == [
        Skip("tests/monitor/test_monitor.py::test_cluster_panel[mon1]", "no active_passive group"),
        Skip("tests/nlb/test_tls.py::test_cert[lb1 - primary]", "the balancers have no certificate"),
        Skip("tests/nlb/test_nlb.py::test_names", "no rr_dns group in this inventory: no zone to name the VIPs in"),
    ]


def test_folded_skips_keep_their_place_and_count():
    assert pytest_logs.skipped(FOLDED) == [
        Skip("tests/unit/test_bad_input_web_farm.py:31", "this machine has no IPv4 address besides loopback"),
        Skip("tests/unit/test_x.py:9", "needs: a thing", 2),
        Skip("tests/unit/test_y.py", "module skipped"),
    ]


def test_the_result_is_the_last_runs_final_line():
    assert pytest_logs.result(VERIFY) == "40 passed, 3 skipped, 1 xfailed in 301.52s (0:05:01)"
    assert pytest_logs.result("==== 1 passed in 0.1s ====\n==== 2 failed, 1 error in 3s ====\n") == "2 failed, 1 error in 3s"
    assert pytest_logs.result("molecule stopped in converge\n") is None


def test_the_summary_lists_every_skip_under_its_run():
    lines = pytest_logs.summary({"pytest nlb": VERIFY, "pytest unit": FOLDED})
    assert lines[:2] == [
        "pytest nlb:            40 passed, 3 skipped, 1 xfailed in 301.52s (0:05:01)",
        "pytest unit:           516 passed, 4 skipped in 230.10s (0:03:50)",
    ]
    assert lines[2] == "skipped: 7 tests"
    assert lines[3] == "  pytest nlb:  tests/monitor/test_monitor.py::test_cluster_panel[mon1] - no active_passive group"
    assert "  pytest unit: tests/unit/test_x.py:9 (2 tests) - needs: a thing" in lines
    assert len(lines) == 3 + 6


def test_no_skip_says_so():
    log = "..\n======= 2 passed in 0.50s =======\n"
    assert pytest_logs.summary({"pytest unit": log}) == ["pytest unit:           2 passed in 0.50s", "no test skipped"]


def test_a_run_that_ended_early_and_skips_without_reasons_are_told():
    no_reasons = "..s\n======= 2 passed, 1 skipped in 0.50s =======\n"
    lines = pytest_logs.summary({"pytest rr_dns": "TASK [x] fatal\n", "pytest unit": no_reasons})
    assert lines[0].startswith("pytest rr_dns:") and "no pytest result line" in lines[0]
    assert "  pytest unit: pytest says 1 skipped, the log names 0 (run it with -r s to list them)" in lines
    assert lines[-1] == "no test skipped"


def test_a_run_that_ended_early_is_told_with_its_last_step():
    # As the CI run that a stalled mirror held for an hour left rr_dns's log.
    log = (f"INFO     rr_dns \u279c converge: Executing\n  {E}2m\u2502{E}0m \n"
           f"  {E}2m\u2502{E}0m TASK [Clients | refresh apt's package lists] {'*' * 30}\n")
    assert pytest_logs.summary({"pytest rr_dns": log})[0] == (
        "pytest rr_dns:         no pytest result line (the run ended before its tests did; "
        "its last step: TASK [Clients | refresh apt's package lists])")
    steps = "INFO     nlb \u279c verify: Executing Testinfra tests found in x/...\n"
    assert pytest_logs.last_step(steps) == "INFO     nlb \u279c verify: Executing Testinfra tests found in x/..."
    assert pytest_logs.last_step("no step here\n") is None


def test_a_result_line_whose_closing_rule_the_frame_cut_off_is_read():
    # As Molecule printed it: coloured frame, the pytest line as wide as COLUMNS, its end wrapped away.
    log = f"  {E}2m\u2502{E}0m {'=' * 180} 23 passed in 67.39s (0:01:07)\n  {E}2m\u2502{E}0m {'=' * 180}\n"
    assert pytest_logs.result(log) == "23 passed in 67.39s (0:01:07)"


def test_a_molecule_framed_verify_is_read_too():
    # Molecule 25 frames a step's output ("│ line │"): the result and skips are still found.
    framed = "\n".join(f"\u2502 {line} \u2502" for line in VERIFY.splitlines())
    assert pytest_logs.result(framed) == "40 passed, 3 skipped, 1 xfailed in 301.52s (0:05:01)"
    assert pytest_logs.skipped(framed) == pytest_logs.skipped(VERIFY)


SAMPLE = textwrap.dedent("""\
    import pytest

    @pytest.mark.parametrize("p", ["a b", "c"])
    def test_param(p):
        pytest.skip(f"no {p}: here")

    @pytest.mark.skipif(True, reason="never on this machine")
    def test_marked():
        pass

    def test_ok():
        pass
    """)


def run_sample(tmp_path, args: list[str]) -> str:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    out = subprocess.run([sys.executable, "-m", "pytest", *args, str(tmp_path / "test_sample.py")],
                         cwd=tmp_path, env={"PY_COLORS": "1", "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


EXPECTED = [
    Skip("test_sample.py::test_param[a b]", "no a b: here"),
    Skip("test_sample.py::test_param[c]", "no c: here"),
    Skip("test_sample.py::test_marked", "never on this machine"),
]


def test_the_unit_run_of_make_test_prints_every_skip_by_name(tmp_path):
    line = next(x for x in (ROOT / "scripts" / "test").read_text().splitlines() if "tests/unit |" in x)
    words = shlex.split(line.split("pytest ", 1)[1].split(" tests/unit")[0])
    args = [w for i, w in enumerate(words) if w != "-n" and (i == 0 or words[i - 1] != "-n")]
    out = run_sample(tmp_path, ["-p", "no:cacheprovider", *args])
    assert pytest_logs.skipped(out) == EXPECTED
    assert pytest_logs.result(out).startswith("1 passed, 3 skipped in ")


def test_molecules_verify_prints_every_skip_by_name(tmp_path):
    options = yaml.safe_load((ROOT / ".config" / "molecule" / "config.yml").read_text())["verifier"]["options"]
    options.pop("ansible-inventory")
    out = run_sample(tmp_path, dict2args(options))
    assert pytest_logs.skipped(out) == EXPECTED


def test_the_script_reads_logs_named_by_file(tmp_path):
    (tmp_path / "pytest unit.log").write_text(FOLDED)
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "pytest_logs.py"), str(tmp_path / "pytest unit.log")],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    assert out.splitlines()[0] == "pytest unit:           516 passed, 4 skipped in 230.10s (0:03:50)"
    assert "  pytest unit: tests/unit/test_x.py:9 (2 tests) - needs: a thing" in out.splitlines()
