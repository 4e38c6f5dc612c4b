"""bench/soak.py's stall probe: it runs for real here and reports a stall
it is made to suffer (SIGSTOP), and the soak ties a takeover to a stall
only when it began in one or just after."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from script_module import load_script

soak = load_script(Path(__file__).resolve().parents[2] / "bench/soak.py", "bench_soak")


def test_the_probe_reports_a_stall_it_suffered_and_nothing_else():
    probe = subprocess.Popen([sys.executable, "-c", soak.PROBE, "3"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        stopped = time.time()
        probe.send_signal(signal.SIGSTOP)
        time.sleep(0.6)
        probe.send_signal(signal.SIGCONT)
        out = probe.communicate(timeout=10)[0]
    finally:
        probe.kill()
    found = [s for s in soak.stalls(out) if s[1] >= 0.5]
    assert len(found) == 1, out
    start, length = found[0]
    assert 0.5 <= length < 2 and abs(start - stopped) < 0.3


def test_a_takeover_counts_as_in_a_stall_only_during_it_or_just_after():
    found = soak.stalls("100.500 0.400\n")
    assert len(found) == 1 and abs(found[0][0] - 100.1) < 1e-9 and found[0][1] == 0.4
    assert soak.during(100.3, found) and soak.during(100.65, found)
    assert not soak.during(100.0, found) and not soak.during(100.8, found)
