"""What a Pacemaker cluster says about itself, read inside its lab containers.

    state(nodes)                 -> ClusterState (from the first node that answers crm_mon)
    where(nodes, "webfarm-web")  -> ["node1"]     (the nodes running the group's resources)
    mounted(node, "/srv/webfarm") -> True/False
    device_votes(node)           -> True/False (its quorum device votes), None (no device)
    wait_group(nodes, "webfarm-web", accept, since) -> (node, seconds)

Read only (crm_mon, findmnt); lab containers only.
"""
from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lab import hosts
from lab.inventory import Host


@dataclass(frozen=True)
class ClusterState:
    """One node's view: who is online, where each resource runs, what failed."""

    seen_from: str
    quorate: bool
    online: tuple[str, ...]
    offline: tuple[str, ...]
    running: dict[str, tuple[str, ...]] = field(default_factory=dict)  # resource id -> nodes
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # group id -> its resource ids
    failed_actions: tuple[str, ...] = ()

    def group_nodes(self, group: str) -> set[str]:
        """The nodes running any resource of the group (one when all is well)."""
        return {n for rid in self.groups.get(group, ()) for n in self.running.get(rid, ())}

    def group_complete_on(self, group: str) -> str | None:
        """The node running every resource of the group, if one does."""
        members = self.groups.get(group, ())
        nodes = [set(self.running.get(rid, ())) for rid in members]
        if not members or not all(len(n) == 1 for n in nodes) or len(set().union(*nodes)) != 1:
            return None
        return next(iter(nodes[0]))


def parse(xml: str, seen_from: str = "") -> ClusterState:
    """A ClusterState from `crm_mon --one-shot --inactive --output-as xml`."""
    root = ET.fromstring(xml)
    dc = root.find("summary/current_dc")
    online, offline = [], []
    for node in root.iter("node"):
        if node.get("online") is None or node.get("type") not in (None, "member"):
            continue  # <node> inside a <resource> names where it runs
        (online if node.get("online") == "true" else offline).append(node.get("name", ""))
    running: dict[str, list[str]] = {}
    groups: dict[str, tuple[str, ...]] = {}
    for group in root.iter("group"):
        groups[group.get("id", "")] = tuple(r.get("id", "") for r in group.findall("resource"))
    for res in root.iter("resource"):
        if res.get("role") == "Started" and res.get("failed") != "true":
            running.setdefault(res.get("id", ""), []).extend(n.get("name", "") for n in res.findall("node"))
    failures = tuple(f"{f.get('op_key', '')} on {f.get('node', '')}: {f.get('exitreason') or f.get('status', '')}"
                     for f in root.iter("failure"))
    return ClusterState(seen_from, dc is not None and dc.get("with_quorum") == "true", tuple(online), tuple(offline),
                        {k: tuple(v) for k, v in running.items()}, groups, failures)


def state_of(node: Host) -> ClusterState | None:
    """The cluster as this node sees it, or None when it cannot say (down, no quorum daemon)."""
    if hosts.state(node) != "running":
        return None
    out = hosts.run(node, "crm_mon", "--one-shot", "--inactive", "--output-as", "xml", check=False, timeout=15)
    if out.returncode != 0 or "<pacemaker-result" not in out.stdout:
        return None
    return parse(out.stdout, node.name)


def state(nodes: Sequence[Host]) -> ClusterState:
    """The view of the first quorate node that answers (else of any that answers)."""
    views = [v for v in (state_of(n) for n in nodes) if v is not None]
    for view in views:
        if view.quorate:
            return view
    if views:
        return views[0]
    raise RuntimeError(f"no cluster node answers crm_mon ({', '.join(n.name for n in nodes)})")


def mounted(node: Host, directory: str) -> bool:
    """Whether the directory is a mount point on the node now (False when the node is down)."""
    if hosts.state(node) != "running":
        return False
    return hosts.run(node, "findmnt", "--noheadings", "--mountpoint", directory, check=False, timeout=10).returncode == 0


def wait_group(nodes: Sequence[Host], group: str, accept: Callable[[str], bool], since: float,
               timeout: float = 60, interval: float = 0.25) -> tuple[str, float]:
    """Poll until one node runs the whole group and accept(node) is true;
    return (that node, seconds from `since`). Bounded by timeout."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        try:
            view = state(nodes)
            node = view.group_complete_on(group)
            if node is not None and accept(node):
                return node, time.time() - since
            last = f"running on {sorted(view.group_nodes(group)) or 'nothing'}, online {list(view.online)}"
        except RuntimeError as exc:
            last = str(exc)
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{group}: {last} after {timeout} s")
        time.sleep(interval)


class MountWatch:
    """Sample where a directory is mounted, on every node at (nearly) one
    instant, until stopped: each node's mount table is read from the host
    (/proc/<its init's pid>/mountinfo), so one sample of all nodes takes
    about a millisecond and a moment when two nodes both had it mounted is
    not missed nor invented by the time between two `docker exec`s.

        with MountWatch(nodes, "/srv/webfarm") as watch:
            ... the drill ...
        watch.most_at_once  -> 1 (never on two nodes)
    """

    def __init__(self, nodes: Sequence[Host], directory: str, interval: float = 0.05, limit: float = 300) -> None:
        self.nodes = list(nodes)
        self.directory = directory
        self.interval = interval
        self.limit = limit  # seconds: the watch ends by itself
        self.samples = 0
        self.most_at_once = 0
        self.both: list[tuple[float, tuple[str, ...]]] = []  # when more than one node had it mounted
        self._stop = False
        self._thread: threading.Thread | None = None

    def _pid(self, node: Host) -> int:
        out = hosts.docker("inspect", "-f", "{{.State.Pid}}", node.container, check=False, timeout=10)
        return int(out.stdout.strip() or 0) if out.returncode == 0 else 0

    def _mounted(self, pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/mountinfo", encoding="utf-8") as handle:
                return any(line.split()[4] == self.directory for line in handle)
        except OSError:
            return False

    def _run(self) -> None:
        pids = {n.name: self._pid(n) for n in self.nodes}
        refreshed = time.monotonic()
        deadline = time.monotonic() + self.limit
        while not self._stop and time.monotonic() < deadline:
            if time.monotonic() - refreshed > 0.5:  # a restarted container has a new init pid
                pids = {n.name: self._pid(n) for n in self.nodes}
                refreshed = time.monotonic()
            now = time.time()
            holding = tuple(name for name, pid in pids.items() if pid and self._mounted(pid))
            self.samples += 1
            self.most_at_once = max(self.most_at_once, len(holding))
            if len(holding) > 1:
                self.both.append((now, holding))
            time.sleep(self.interval)

    def __enter__(self) -> MountWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        if self._thread is not None:
            self._thread.join(timeout=10)


def fencings(node: Host, target: str) -> int:
    """How many times the cluster has fenced `target` successfully, as `node` remembers it."""
    # --verbose lists every event; without it, one line per target (the latest).
    out = hosts.run(node, "stonith_admin", "--history", target, "--verbose", check=False, timeout=15)
    return sum(1 for line in out.stdout.splitlines() if "successful" in line and target in line)


# corosync-quorumtool -s, a member's own line: "    1    1   A,V,NMW node1 (local)".
_OWN_LINE = re.compile(r"^\s*\d+\s+\d+\s+(?P<qdevice>[A-Z,]+)\s+(?P<name>\S+) \(local\)\s*$", re.M)


def qdevice_votes(quorumtool: str) -> bool | None:
    """Whether this member's quorum device votes, from `corosync-quorumtool
    -s`: True (alive and voting, A,V), False (alive or not, not voting: NV or
    NA), None when the cluster has no quorum device."""
    if not re.search(r"^Flags:.*\bQdevice\b", quorumtool, re.M):
        return None
    own = _OWN_LINE.search(quorumtool)
    if own is None:
        raise ValueError("corosync-quorumtool -s names no local member: " + quorumtool[-300:])
    return own["qdevice"].split(",")[:2] == ["A", "V"]


def device_votes(node: Host) -> bool | None:
    """qdevice_votes as `node` reports it now."""
    return qdevice_votes(hosts.run(node, "corosync-quorumtool", "-s", check=False, timeout=15).stdout)
