"""Whether the lab is still as its last converge and checks left it, so
`make lab` may skip a converge that could change nothing.

    python -m lab.converged check -i inventories/lab   # exit 0: skip (says why); 1: converge (says why)
    python -m lab.converged write -i inventories/lab   # after a converge and its checks passed
    python -m lab.converged clear -i inventories/lab   # before anything that changes hosts (make drill)

The stamp (.lab/converged-<inventory>.json) holds three things, and a
converge is skipped only when all three still hold:

- the inputs: a digest of every file of the repository a converge reads
  (all but tests, docs, benchmarks and Markdown), of the lab's generated
  secrets (.lab/) and of the environment that picks the release;
- each host's container: the same container, started at the same time (a
  crash or restart drill restarts it, and /run with it);
- each host's state: no file under /etc, /srv, /usr/local or /opt newer
  than the stamp's marker in the host (/run/webfarm-converged), and the same
  running services.

`make drill` clears the stamp first: drills change hosts and put them back,
and the next `make lab` converges to prove it. WEBFARM_CONVERGE=always
converges whatever the stamp says. Lab only.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lab.inventory import ROOT, Inventory

MARKER = "/run/webfarm-converged"
WATCHED = ("/etc", "/srv", "/usr/local", "/opt")
# Docker writes these into a container at each start (StartedAt covers it).
DOCKER_FILES = ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf")
NOT_INPUTS = ("tests/", "docs/", "bench/", ".ci/", "artifacts/")
ENVIRONMENT = ("WEBFARM_SUITE", "WEBFARM_INVENTORY", "ANSIBLE_CONFIG", "ANSIBLE_STRATEGY")

# In each host: the newest watched file (if newer than the marker) and the running services' digest.
_HOST_STATE = (
    f"test -e {MARKER} || {{ echo no-marker; exit 0; }}; "
    f"find {' '.join(WATCHED)} -xdev -newer {MARKER} "
    + " ".join(f"! -path {p}" for p in DOCKER_FILES)
    + " -print -quit 2>/dev/null | sed 's/^/newer /'; "
    "systemctl list-units --type=service --state=running --no-legend --plain | awk '{print $1}' | sort "
    "| sha256sum | sed 's/ .*//; s/^/units /'"
)


def is_input(path: str) -> bool:
    """Does a converge read this repository file? All but tests, docs,
    benchmarks, CI and Markdown."""
    return not path.startswith(NOT_INPUTS) and not path.endswith(".md")


def digest(files: Iterable[tuple[str, bytes]], env: Mapping[str, str]) -> str:
    """One digest of (path, content) pairs, in any order, and the
    environment variables that pick what a converge builds."""
    h = hashlib.sha256()
    for path, data in sorted(files):
        h.update(path.encode() + b"\0" + hashlib.sha256(data).digest())
    for key in ENVIRONMENT:
        h.update(f"{key}={env.get(key, '')}\0".encode())
    return h.hexdigest()


def repo_files(root: Path = ROOT) -> list[tuple[str, bytes]]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, capture_output=True,
                            check=True).stdout.decode().split("\0")
    paths = [p for p in listed if p and is_input(p) and (root / p).is_file()]
    lab = root / ".lab"
    if lab.is_dir():
        paths += [str(p.relative_to(root)) for p in sorted(lab.rglob("*"))
                  if p.is_file() and not p.name.startswith("converged-")]
    return [(p, (root / p).read_bytes()) for p in paths]


def parse_host_state(out: str) -> dict[str, str]:
    """The host script's lines -> {"newer": path, "units": digest, "no-marker": ""}.

    >>> parse_host_state("newer /etc/bind/named.conf\\nunits 3f2a\\n")
    {'newer': '/etc/bind/named.conf', 'units': '3f2a'}
    """
    state = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        if key in ("newer", "units", "no-marker"):
            state.setdefault(key, value)
    return state


def differences(stamp: Mapping, now: Mapping) -> list[str]:
    """Why the lab may differ from the stamp (empty: nothing can have
    changed). Both: {"inputs": digest, "hosts": {name: {container, started,
    units, newer?, no-marker?}}}."""
    if not stamp:
        return ["no converge recorded"]
    why = []
    if stamp.get("inputs") != now.get("inputs"):
        why.append("the repository's inputs or the environment changed")
    old, new = stamp.get("hosts", {}), now.get("hosts", {})
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a is None or b is None:
            why.append(f"{name}: {'new in' if a is None else 'gone from'} the inventory")
        elif (a["container"], a["started"]) != (b["container"], b["started"]):
            why.append(f"{name}: its container was replaced or restarted")
        elif "no-marker" in b:
            why.append(f"{name}: no {MARKER} (not converged since it started)")
        elif b.get("newer"):
            why.append(f"{name}: {b['newer']} changed since")
        elif a.get("units") != b.get("units"):
            why.append(f"{name}: its running services differ")
    return why


def _docker(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


def host_now(container: str, mark: bool = False) -> dict[str, str] | None:
    """The container's id, start time and state; mark: touch the marker first."""
    info = _docker("inspect", "-f", "{{.Id}} {{.State.StartedAt}} {{.State.Running}}", container)
    parts = info.stdout.split()
    if info.returncode != 0 or len(parts) != 3 or parts[2] != "true":
        return None
    script = (f"touch {MARKER}; " if mark else "") + _HOST_STATE
    out = _docker("exec", container, "sh", "-c", script)
    if out.returncode != 0:
        return None
    return {"container": parts[0], "started": parts[1], **parse_host_state(out.stdout)}


def lab_now(inv: Inventory, mark: bool = False) -> dict:
    hosts = {}
    for h in inv.hosts():
        try:
            hosts[h.name] = h.container
        except ValueError:  # not a lab container: nothing of it to compare
            continue
    with ThreadPoolExecutor(max_workers=8) as pool:
        states = dict(zip(hosts, pool.map(lambda c: host_now(c, mark), hosts.values()), strict=True))
    return {"inputs": digest(repo_files(), os.environ),
            "hosts": {n: s if s is not None else {"container": "missing", "started": ""} for n, s in states.items()}}


def stamp_path(inventory: str) -> Path:
    slug = Path(inventory).resolve().name or "inventory"
    return ROOT / ".lab" / f"converged-{slug}.json"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lab.converged")
    p.add_argument("action", choices=["check", "write", "clear"])
    p.add_argument("-i", "--inventory", default="inventories/lab")
    args = p.parse_args(argv)
    path = stamp_path(args.inventory)
    if args.action == "clear":
        path.unlink(missing_ok=True)
        return 0
    inv = Inventory.load(args.inventory)
    if args.action == "write":
        now = lab_now(inv, mark=True)
        now["written"] = time.strftime("%Y-%m-%d %H:%M:%S")
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        return 0
    if os.environ.get("WEBFARM_CONVERGE") == "always":
        print("converge: WEBFARM_CONVERGE=always")
        return 1
    stamp = json.loads(path.read_text()) if path.is_file() else {}
    why = differences(stamp, lab_now(inv))
    if why:
        print("converge: " + "; ".join(why[:4]) + (f" (and {len(why) - 4} more)" if len(why) > 4 else ""))
        return 1
    print(f"converge skipped: the inputs and every host are as the converge and checks of {stamp.get('written')} "
          "left them (WEBFARM_CONVERGE=always to run it anyway)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
