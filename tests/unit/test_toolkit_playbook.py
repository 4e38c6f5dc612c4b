"""lab.playbook: a run told to stop at a task stops there, with what
came before it, and leaves no process behind."""
from __future__ import annotations

import subprocess
import time

from lab.playbook import LOCAL, run_playbook

PLAY = """
- name: Three steps
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Step one says hello
      ansible.builtin.debug:
        msg: hello from step one
    - name: Step two waits a minute
      ansible.builtin.pause:
        seconds: 60
    - name: Step three never runs
      ansible.builtin.debug:
        msg: hello from step three
"""


def test_a_run_stops_as_soon_as_the_named_task_starts(tmp_path):
    playbook = tmp_path / "three.yml"
    playbook.write_text(PLAY)
    t0 = time.monotonic()
    out = run_playbook("localhost,", str(playbook), extra_vars=LOCAL, until="Step two", timeout=120)
    took = time.monotonic() - t0
    assert "hello from step one" in out.stdout, out.stdout
    assert out.stdout.rstrip().splitlines()[-1].startswith("TASK [Step two waits a minute]"), out.stdout
    assert "Step three" not in out.stdout
    assert took < 45, f"the run went on for {took:.0f} s past the task it was told to stop at"
    # Its workers went with it.
    left = subprocess.run(["pgrep", "-f", str(playbook)], capture_output=True, text=True)
    assert left.returncode == 1, f"processes of the run are left: {left.stdout}"


def test_a_run_that_never_reaches_the_task_returns_its_whole_output(tmp_path):
    playbook = tmp_path / "short.yml"
    playbook.write_text(PLAY.split("    - name: Step two")[0])
    out = run_playbook("localhost,", str(playbook), extra_vars=LOCAL, until="Step two", timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "hello from step one" in out.stdout and "PLAY RECAP" in out.stdout
