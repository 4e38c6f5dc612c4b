"""The content a web node or the content master holds, as the tests and the
status table see it.

    version(host, root)        -> "3f2a91c0" (or "" when the root is missing)
    root_of(host)              -> the content root a host serves or publishes
    wait_file(nodes, relpath, digest, timeout) -> {node: seconds until it had it}
    Arrival(nodes, relpath, digest)     -> watch from now, publish, then .seconds(t)
                                           (or .outcome(t): None for a node that never had it)
    push_status(master)        -> the guard's state: {"service", "marker", "nodes", "holds": [...]}
    wait_holds(master, text, timeout)   -> the holds, once every node's says text

A version is a fingerprint of the tree: every file's path, size and
modification time (rsync keeps times, so a node in sync has the master's
version). Equal versions mean the same tree; a node that missed a push shows
another one.
"""
from __future__ import annotations

import concurrent.futures
import json
import shlex
import subprocess
import time

from lab import hosts
from lab.inventory import Host

# The content master's push guard (roles/content_sync).
PUSH = "/usr/local/sbin/webfarm-content-push"
MARKER = ".webfarm-content-root"
FINGERPRINT = "cd {root} && find . -type f -printf '%P %s %T@\\n' | LC_ALL=C sort | sha1sum | cut -c1-8"


def root_of(host: Host) -> str:
    """The content master's published tree, or a web node's content root."""
    if "content_sync" in host.groups:
        return str(host.var("content_sync_source") or "/srv/webfarm/content")
    return str(host.var("web_node_content_root"))


def version(host: Host, root: str | None = None) -> str:
    out = hosts.run(host, "sh", "-c", FINGERPRINT.format(root=shlex.quote(root or root_of(host))), check=False, timeout=30)
    return out.stdout.strip() if out.returncode == 0 else ""


def _wait_one(host: Host, path: str, want: str, timeout: float) -> float:
    """The wall-clock time path in host got the digest `want` ('' = was
    gone; 'size:N' = had N bytes, for files too big to hash every poll),
    polled inside the host every 20 ms."""
    q = shlex.quote(path)
    if not want:
        test = f"[ ! -e {q} ]"
    elif want.startswith("size:"):
        test = f'[ "$(stat -c %s {q} 2>/dev/null)" = {int(want[5:])} ]'
    else:
        test = f'[ "$(sha256sum {q} 2>/dev/null | cut -c1-64)" = {want} ]'
    script = (f'end=$(( $(date +%s) + {int(timeout)} )); '
              f'until {test}; do [ $(date +%s) -ge $end ] && exit 1; sleep 0.02; done; date +%s.%N')
    out = hosts.run(host, "bash", "-c", script, check=False, timeout=timeout + 30)
    if out.returncode != 0:
        raise TimeoutError(f"{host.name}: {path} {'still there' if not want else 'not in place'} after {timeout} s")
    return float(out.stdout.strip())


class Arrival:
    """Watch every node for a file from now on (in the background), then
    wait: `with content.Arrival(nodes, rel, want) as a: publish(...)`;
    a.seconds(since) -> {node: seconds from since until it had the file}."""

    def __init__(self, nodes: list[Host], relpath: str, want: str, timeout: float = 10) -> None:
        self.nodes, self.relpath, self.want, self.timeout = nodes, relpath, want, timeout
        self._pool = concurrent.futures.ThreadPoolExecutor(len(nodes))
        self._futures = {n.name: self._pool.submit(_wait_one, n, f"{root_of(n)}/{relpath}", want, timeout) for n in nodes}

    def __enter__(self) -> Arrival:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)

    def times(self) -> dict[str, float]:
        done = {name: f.exception() or f.result() for name, f in self._futures.items()}
        late = [str(v) for v in done.values() if isinstance(v, BaseException)]
        if late:
            raise TimeoutError("; ".join(late))
        return {name: float(v) for name, v in done.items()}  # type: ignore[arg-type]

    def seconds(self, since: float) -> dict[str, float]:
        return {name: t - since for name, t in self.times().items()}

    def outcome(self, since: float) -> dict[str, float | None]:
        """{node: seconds from since until it had the file, or None when it
        had not by the watch's timeout}: every node's figure, for a test that
        judges them against a bound of its own (shorter than the watch)."""
        out: dict[str, float | None] = {}
        for name, future in self._futures.items():
            error = future.exception()
            if isinstance(error, TimeoutError):
                out[name] = None
            elif error is not None:
                raise error
            else:
                out[name] = future.result() - since
        return out


def wait_file(nodes: list[Host], relpath: str, want: str, timeout: float = 10) -> dict[str, float]:
    """Wait, on every node at once, until relpath under its content root has
    the digest `want` ('' waits until it is gone); return the seconds each
    took; raise TimeoutError naming the nodes that did not get there within
    timeout seconds."""
    since = time.time()
    with Arrival(nodes, relpath, want, timeout) as arrival:
        return arrival.seconds(since)


def publish(master: Host, relpath: str, data: bytes) -> float:
    """Write a file into the master's published tree, in place, as an editor
    or `cp` would; return the time the write was complete."""
    path = shlex.quote(f"{root_of(master)}/{relpath}")
    subprocess.run(["docker", "exec", "-i", master.container, "sh", "-c", f"mkdir -p $(dirname {path}) && cat > {path}"],
                   input=data, check=True, capture_output=True, timeout=120)
    return time.time()


def remove(master: Host, relpath: str) -> float:
    hosts.run(master, "rm", "-rf", f"{root_of(master)}/{relpath}")
    return time.time()


def push_status(master: Host) -> dict:
    """What the master's push guard says (`webfarm-content-push --status`)."""
    return json.loads(hosts.run(master, PUSH, "--status", timeout=30).stdout)


def wait_holds(master: Host, text: str, timeout: float = 15) -> list[dict]:
    """Wait until the push to every node is held with a reason containing
    text; return the holds. TimeoutError with the last state otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        state = push_status(master)
        held = {h["node"]: h for h in state["holds"] if text in h.get("reason", "")}
        if set(held) == set(state["nodes"]):
            return list(held.values())
        if time.monotonic() >= deadline:
            raise TimeoutError(f"the push to every node was not held for {text!r} within {timeout} s: {state}")
        time.sleep(0.2)


def wait_no_holds(master: Host, timeout: float = 15) -> float:
    """Seconds until no push is held (TimeoutError naming the holds left)."""
    t0 = time.monotonic()
    while (state := push_status(master))["holds"]:
        if time.monotonic() - t0 >= timeout:
            raise TimeoutError(f"pushes still held after {timeout} s: {state['holds']}")
        time.sleep(0.2)
    return time.monotonic() - t0
