#!/usr/bin/env python3
"""make bench-converge: what one more host costs a converge.

For each strategy and each number of web nodes N, bring up N fresh web nodes
on the benchmark's own network (webfarm-bench, 10.213.250.0/24), time the
first converge of playbooks/web_farm.yml and a rerun that must report
changed=0, and print one table with the rerun's marginal cost per added
host. An untimed converge of one node first fills the apt cache. Everything
the benchmark created is removed at the end, also on failure or Ctrl-C.
Its nodes take .11 onwards of their own subnet, past the address plan's web
block: the plan is for the lab and the scenarios.

    BENCH_NODES=3,12,24                  node counts (at most 48)
    BENCH_STRATEGIES=linear,mitogen_linear
        linear               stock Ansible (pipelining on, as ansible.cfg)
        linear_unpipelined   stock Ansible without pipelining (as first landed)
        mitogen_linear       Mitogen, the lab's and Molecule's default
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

from lab.playbook import recap, run_playbook
from lab.report import table

NETWORK, SUBNET, PREFIX = "webfarm-bench", "10.213.250", "webfarm-bench-web"
MAX_NODES = 48
STRATEGIES = {
    "linear": {"ANSIBLE_STRATEGY": "linear", "ANSIBLE_PIPELINING": "True"},
    "linear_unpipelined": {"ANSIBLE_STRATEGY": "linear", "ANSIBLE_PIPELINING": "False"},
    "mitogen_linear": {"ANSIBLE_STRATEGY": "mitogen_linear", "ANSIBLE_PIPELINING": "True"},
}


def write_inventory(directory: Path, nodes: int) -> Path:
    hosts = {f"web{i}": {"ansible_host": f"{PREFIX}{i}", "webfarm_address": f"{SUBNET}.{10 + i}"}
             for i in range(1, nodes + 1)}
    inventory = {"all": {
        "vars": {"webfarm_lab_name": "bench", "webfarm_lab_network": NETWORK, "webfarm_lab_subnet": f"{SUBNET}.0/24",
                 "ansible_connection": "docker", "ansible_python_interpreter": "/usr/bin/python3"},
        "children": {"web_farm": {"hosts": hosts}}}}
    path = directory / f"bench-{nodes}.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


class Failed(Exception):
    pass


def playbook(inventory: Path, name: str, env: dict[str, str] | None = None) -> tuple[float, dict[str, dict[str, int]]]:
    t0 = time.monotonic()
    out = run_playbook(inventory, name, env=env, timeout=1800)
    seconds = time.monotonic() - t0
    if out.returncode != 0:
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-1000:])
        raise Failed(f"{name} failed against {inventory.name} after {seconds:.1f} s")
    return seconds, recap(out.stdout)


def numbers(name: str, default: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


def main() -> int:
    counts = sorted({int(n) for n in numbers("BENCH_NODES", "3,12,24")})
    strategies = numbers("BENCH_STRATEGIES", "linear,mitogen_linear")
    if not counts or counts[0] < 1 or counts[-1] > MAX_NODES:
        raise SystemExit(f"bench-converge: BENCH_NODES must be between 1 and {MAX_NODES}")
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise SystemExit(f"bench-converge: unknown strategy {unknown}; known: {', '.join(STRATEGIES)}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="webfarm-bench-") as tmp:
        largest = write_inventory(Path(tmp), counts[-1])
        try:
            # Untimed: one node converged first fills the apt cache, so no
            # strategy's first converge pays for downloads another's does not.
            warmup = write_inventory(Path(tmp), 1)
            playbook(largest, "lab_down.yml")
            playbook(warmup, "lab_up.yml")
            playbook(warmup, "web_farm.yml")
            for strategy in strategies:
                previous: tuple[int, float] | None = None
                for n in counts:
                    inventory = write_inventory(Path(tmp), n)
                    playbook(largest, "lab_down.yml")  # fresh containers for every first converge
                    playbook(inventory, "lab_up.yml")
                    print(f"[bench] {strategy}: {n} nodes, first converge", flush=True)
                    try:
                        first, _ = playbook(inventory, "web_farm.yml", STRATEGIES[strategy])
                        rerun, counts_ = playbook(inventory, "web_farm.yml", STRATEGIES[strategy])
                    except Failed as exc:
                        print(f"[bench] {strategy}: {n} nodes: {exc}", flush=True)
                        rows.append([strategy, n, "failed", "-", "-", "-"])
                        continue
                    changed = sum(c.get("changed", 0) for c in counts_.values())
                    marginal = f"{(rerun - previous[1]) / (n - previous[0]):.2f}" if previous else "-"
                    rows.append([strategy, n, f"{first:.1f}", f"{rerun:.1f}", changed, marginal])
                    print(f"[bench] {strategy}: {n} nodes, first {first:.1f} s, rerun {rerun:.1f} s, changed={changed}",
                          flush=True)
                    previous = (n, rerun)
        finally:
            playbook(largest, "lab_down.yml")
    print()
    print(f"bench-converge: playbooks/web_farm.yml on N web nodes, {os.cpu_count()} cores "
          f"(rerun = second converge, must be changed=0; per host = rerun's cost of each added host)")
    print(table(["strategy", "nodes", "first s", "rerun s", "rerun changed", "per host s"], rows))
    return 0 if all(r[4] == 0 for r in rows) else 1  # a failed run or a rerun with changes


if __name__ == "__main__":
    sys.exit(main())
