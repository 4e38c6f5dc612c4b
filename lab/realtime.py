"""Lab only: a real-time CPU budget for the containers whose hosts set
webfarm_lab_realtime_us (the balancers: keepalived runs SCHED_RR, role
lb_keepalived's lb_keepalived_realtime_priority).

A kernel with real-time group scheduling under cgroup v1 (this machine's)
gives a new cgroup no real-time time at all, so nothing in a container may
run real-time until its group and Docker's parent group are given some.
Docker keeps the budget in the container's HostConfig (`docker update
--cpu-rt-runtime`) and applies it at every start, before systemd boots in
it: a crashed and restarted balancer gets it again. Under cgroup v2, or
without real-time group scheduling, there is nothing to give: CAP_SYS_NICE,
which the lab's containers have, is enough.

    python -m lab.realtime BUDGET_US CONTAINER...   # prints "changed NAME" per change
"""
from __future__ import annotations

import sys
from pathlib import Path

from lab.hosts import docker

CGROUP_ROOT = Path("/sys/fs/cgroup")
BUDGET_FILE = "cpu.rt_runtime_us"
# The kernel's own default for the whole machine: 0.95 s of each second.
MAX_US = 950000


def cpu_cgroup(proc_cgroup: str) -> str | None:
    """The cgroup v1 path of the cpu controller in /proc/PID/cgroup's text,
    or None under cgroup v2 (one line, "0::PATH")."""
    for line in proc_cgroup.splitlines():
        parts = line.strip().split(":", 2)
        if len(parts) != 3:
            raise ValueError(f"not a /proc/PID/cgroup line: {line!r}")
        if "cpu" in parts[1].split(","):
            return parts[2]
    return None


def parent_budget(parent_us: int, siblings_us: list[int], want_us: int) -> int | None:
    """What Docker's parent group must be raised to so one child may have
    want_us beside its siblings' budgets, or None if it has enough."""
    if not 0 < want_us <= MAX_US:
        raise ValueError(f"webfarm_lab_realtime_us = {want_us}: must be 1 to {MAX_US} microseconds a second")
    needed = sum(siblings_us) + want_us
    if needed > MAX_US:
        raise ValueError(f"{want_us} µs beside the other containers' {sum(siblings_us)} µs is more than the "
                         f"machine's {MAX_US} µs of real-time time a second")
    return needed if parent_us < needed else None


def group_dir(pid: int) -> Path | None:
    """The container's cpu cgroup directory, if it has a real-time budget to set."""
    rel = cpu_cgroup(Path(f"/proc/{pid}/cgroup").read_text())
    if rel is None:
        return None
    for mount in ("cpu", "cpu,cpuacct"):
        path = CGROUP_ROOT / mount / rel.lstrip("/")
        if (path / BUDGET_FILE).exists():
            return path
    return None


def _read(path: Path) -> int:
    return int(path.read_text().strip())


def _write(path: Path, value: int) -> None:
    try:
        path.write_text(f"{value}\n")
    except OSError as e:
        raise RuntimeError(f"cannot give {path} a real-time budget of {value} µs: {e.strerror}") from e


def grant(container: str, budget_us: int) -> bool:
    """Give the running container budget_us of real-time time a second, now
    and at every later start. True if anything changed."""
    out = docker("inspect", "-f", "{{.State.Pid}} {{.HostConfig.CpuRealtimeRuntime}}", container).stdout.split()
    pid, kept = int(out[0]), int(out[1])
    if pid == 0:
        raise RuntimeError(f"{container} is not running")
    group = group_dir(pid)
    if group is None:
        return False
    if kept == budget_us and _read(group / BUDGET_FILE) == budget_us:
        return False
    parent = group.parent
    siblings = [_read(d / BUDGET_FILE) for d in parent.iterdir()
                if d.is_dir() and d != group and (d / BUDGET_FILE).exists()]
    raise_to = parent_budget(_read(parent / BUDGET_FILE), siblings, budget_us)
    if raise_to is not None:
        _write(parent / BUDGET_FILE, raise_to)
    _write(group / BUDGET_FILE, budget_us)
    docker("update", f"--cpu-rt-runtime={budget_us}", container)
    return True


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not argv[0].isdigit():
        print("usage: python -m lab.realtime BUDGET_US CONTAINER...", file=sys.stderr)
        return 2
    for container in argv[1:]:
        if grant(container, int(argv[0])):
            print(f"changed {container}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
