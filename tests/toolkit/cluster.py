"""What a Pacemaker cluster says about itself, read inside its lab containers.

    state(nodes)                 -> ClusterState (from the first node that answers crm_mon)
    where(nodes, "webfarm-web")  -> ["node1"]     (the nodes running the group's resources)
    mounted(node, "/srv/webfarm") -> True/False
    wait_group(nodes, "webfarm-web", accept, since) -> (node, seconds)

Read only (crm_mon, findmnt); lab containers only.
"""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from toolkit import hosts
from toolkit.inventory import Host


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
