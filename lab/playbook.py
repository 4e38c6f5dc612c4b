"""Run one of the project's playbooks from a test, with the project's config."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from lab.inventory import ROOT

BIN = os.path.dirname(sys.executable)


def ansible_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment with the project's Ansible settings, no
    colours, this venv's tools first; extra adds to or overrides it."""
    return {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0", "PATH": os.pathsep.join([BIN, os.environ.get("PATH", "")]), **(extra or {})}


def run_playbook(inventory: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], playbook: str, *,
                 limit: str | None = None, extra_vars: Mapping[str, Any] | None = None, check: bool = False,
                 diff: bool = False, timeout: float = 600, env: Mapping[str, str] | None = None,
                 until: str | None = None) -> subprocess.CompletedProcess[str]:
    """ansible-playbook -i INVENTORY [-i MORE...] playbooks/PLAYBOOK; never
    raises on failure. env adds to (or overrides) this process's environment.
    until names a task: the run stops as soon as that task starts (its
    output ends with the task's header), for a test that only asks whether
    the play got that far."""
    sources = [inventory] if isinstance(inventory, (str, os.PathLike)) else list(inventory)
    argv = [os.path.join(BIN, "ansible-playbook"), *[a for src in sources for a in ("-i", str(src))],
            str(ROOT / "playbooks" / playbook)]
    if limit:
        argv += ["--limit", limit]
    if extra_vars:
        argv += ["--extra-vars", json.dumps(dict(extra_vars))]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    env = ansible_env(env)
    if until is None:
        return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return _run_until(argv, env, timeout, until)


@contextmanager
def overridden(inventory: str | os.PathLike[str], playbook: str, extra_vars: Mapping[str, Any], *,
               limit: str | None = None, timeout: float = 600) -> Iterator[None]:
    """The block runs on hosts converged with extra_vars over the inventory
    (one converge of `limit` with playbooks/PLAYBOOK), and the inventory's
    own values are converged back afterwards, also on failure: a benchmark
    measures another setting, such as an anchor's default, side by side.
    Nothing to converge when extra_vars is empty. RuntimeError names a
    converge that failed."""
    def converge(extra: Mapping[str, Any] | None) -> None:
        out = run_playbook(inventory, playbook, limit=limit, extra_vars=extra, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"{playbook} with {dict(extra or {})} failed:\n{out.stdout[-2000:]}{out.stderr[-1000:]}")

    if not extra_vars:
        yield
        return
    converge(extra_vars)
    try:
        yield
    finally:
        converge(None)


def _run_until(argv: list[str], env: Mapping[str, str], timeout: float,
               until: str) -> subprocess.CompletedProcess[str]:
    """Run argv until a line "TASK [...until...]" appears, then kill it and
    its workers (a session of their own); the timeout kills it as well."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True,
                                start_new_session=True)

        def kill() -> None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        watchdog = threading.Timer(timeout, kill)
        watchdog.start()
        lines: list[str] = []
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if line.startswith("TASK [") and until in line:
                    break
        finally:
            watchdog.cancel()
            kill()
            proc.wait()
        err.seek(0)
        return subprocess.CompletedProcess(argv, proc.returncode, "".join(lines), err.read())


def run_module(inventory: str | os.PathLike[str], host: str, module: str, args: Mapping[str, Any],
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """ansible -i INVENTORY HOST -m MODULE -a ARGS (JSON): one module run on
    one host as the playbooks reach it (the project's library, become as the
    inventory says); never raises on failure."""
    argv = [os.path.join(BIN, "ansible"), "-i", str(inventory), host, "-m", module, "-a", json.dumps(dict(args))]
    return subprocess.run(argv, cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=timeout)


def converge(inventory: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], playbook: str,
             extra_vars: Mapping[str, Any] | None = None, timeout: float = 900,
             limit: str | None = None) -> subprocess.CompletedProcess[str]:
    """run_playbook for a drill's step that must succeed: fail the test with
    the playbook's last output when it does not."""
    out = run_playbook(inventory, playbook, extra_vars=extra_vars, timeout=timeout, limit=limit)
    assert out.returncode == 0, f"{playbook} failed:\n{out.stdout[-4000:]}\n{out.stderr[-2000:]}"
    return out


LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}


# Ansible's own linear strategy: for a check on this machine Mitogen's start
# costs more than it saves (measured about 20% slower).
LINEAR = {"ANSIBLE_STRATEGY": "linear"}


def check_on_local_hosts(tmp_path: os.PathLike[str], playbook: str, groups: Mapping[str, Mapping[str, Any]],
                         variables: Mapping[str, Any] | None = None,
                         extra_vars: Mapping[str, Any] | None = None,
                         until: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run playbooks/PLAYBOOK in check mode against an inventory of `local`
    hosts written to tmp_path: groups is {group: {host: hostvars}}, variables
    go to all. The input checks under test run before any task that could
    change a host; check mode keeps this machine unchanged anyway. until: as
    for run_playbook (a good inventory's run needs to go only that far)."""
    inventory = {"all": {"vars": {**LOCAL, **(variables or {})},
                         "children": {group: {"hosts": dict(hosts)} for group, hosts in groups.items()}}}
    path = Path(tmp_path) / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory))
    return run_playbook(path, playbook, check=True, timeout=180, extra_vars=extra_vars, env=LINEAR, until=until)


def assert_stopped_before_changes(out: subprocess.CompletedProcess[str], messages: Iterable[str],
                                  first_changes: Iterable[str], hidden: Iterable[str] = ()) -> None:
    """The play failed, said every message, never reached a task that changes
    a host, and printed none of ``hidden`` (the secrets it was given)."""
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    for message in messages:
        assert message in text, text
    for task in first_changes:
        assert task not in text, f"'{task}' ran despite the bad input"
    for secret in hidden:
        assert secret not in text, f"a secret was printed ({len(secret)} characters, starting {secret[:4]!r})"


def recap(stdout: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP of a playbook's output: host -> {ok, changed, failed, ...}."""
    out: dict[str, dict[str, int]] = {}
    tail = stdout.rpartition("PLAY RECAP")[2]
    for host, counts in re.findall(r"^(\S+)\s+:\s+(.*)$", tail, re.M):
        out[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return out


def main(argv: list[str]) -> int:
    """python -m lab.playbook changed LOG: the sum of changed= in LOG's PLAY RECAP."""
    if len(argv) != 3 or argv[1] != "changed":
        print("usage: python -m lab.playbook changed LOG", file=sys.stderr)
        return 2
    with open(argv[2], encoding="utf-8", errors="replace") as fh:
        print(sum(counts.get("changed", 0) for counts in recap(fh.read()).values()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
