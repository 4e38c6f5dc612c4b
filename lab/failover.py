"""The active/passive cluster's failure drills, shared by tests/active_passive
(which assert on them) and bench/active_passive.py (which times them).

    svc = Service.of(inventory)
    settle(svc, client)                      # every node back, online, clean
    outcome = run(client, svc, "crash")      # one drill under a polling client

Each drill writes a file to the shared disk, starts a client that polls the
VIP every 10 ms, disrupts the node that runs the service, waits until the
service answers again, and reports: failed requests, the outage the client
saw, fencings, the most nodes that had the disk mounted at one instant
(sampled throughout), and whether the file is intact. Lab only.
"""
from __future__ import annotations

import ipaddress
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lab import cluster, hosts, webclient
from lab.drill import Load, wait_for
from lab.inventory import Host, Inventory
from lab.report import Result, service_gap, summarize


@dataclass(frozen=True)
class Service:
    """The cluster's first service (pacemaker_cluster_services[0]), read from the inventory."""

    nodes: list[Host]
    group: str  # the resource group's id
    vip: str
    vip6: str | None  # the service's IPv6 VIP (vip6), None where it has none
    directory: str  # where the shared disk is mounted on the active node
    content_root: str  # nginx's document root, on the shared disk
    staging: str | None  # lab: where every node sees the shared volume itself
    dns_name: str | None  # fully qualified, when the inventory has rr_dns
    dns_server: Host | None
    header: str

    def url(self, path: str = "/", family: int = 4) -> str:
        """The service through its VIP, or (family 6) its IPv6 VIP."""
        if family == 6:
            if not self.vip6:
                raise LookupError(f"{self.group} has no IPv6 VIP (vip6)")
            return f"http://[{self.vip6}]{path}"
        return f"http://{self.vip}{path}"

    def node(self, name: str) -> Host:
        return next(n for n in self.nodes if n.name == name)

    @classmethod
    def of(cls, inventory: Inventory) -> Service:
        nodes = inventory.hosts("active_passive")
        first = nodes[0]
        svc = first.var("pacemaker_cluster_services")[0]
        dns = inventory.hosts("rr_dns")[:1]
        zone = str(dns[0].var("dns_server_zone") or "webfarm.test") if dns else ""
        name = svc.get("dns_name")
        volumes = first.var("webfarm_lab_volumes") or []
        vip6 = str(ipaddress.IPv6Address(str(svc["vip6"]).strip())) if svc.get("vip6") else None
        return cls(nodes, f"webfarm-{svc['name']}", str(svc["vip"]).split("/")[0], vip6, svc["disk"]["directory"],
                   str(first.var("web_node_content_root")), volumes[0]["path"] if volumes else None,
                   f"{name}.{zone}" if name and dns else None, dns[0] if dns else None,
                   str(first.var("web_node_header") or "X-Served-By"))


def settle(service: Service, client: Host, timeout: float = 120) -> str:
    """Every node back, online and clean (failures forgotten); the group
    whole on one node and answering; return that node."""
    for n in service.nodes:
        hosts.restore(n)
    everyone = {n.name for n in service.nodes}
    wait_for(lambda: set(cluster.state(service.nodes).online) == everyone, timeout=timeout, interval=1)
    hosts.run(service.nodes[0], "crm_resource", "--cleanup", check=False, timeout=60)
    active, _ = cluster.wait_group(service.nodes, service.group, lambda n: True, since=time.time(), timeout=timeout)
    wait_for(lambda: webclient.get(client, service.url("/"), timeout=2)[0] == 200, timeout=30)
    wait_for(lambda: not cluster.state(service.nodes).failed_actions, timeout=30)
    return active


def fence_count(service: Service) -> int:
    """Successful fencings of every node, as the node that remembers most of them says."""
    running = [n for n in service.nodes if hosts.state(n) == "running"]
    return sum(max((cluster.fencings(n, target.name) for n in running), default=0) for target in service.nodes)


@dataclass
class Outcome:
    drill: str
    before: str
    after: str
    failed: int
    total: int
    gap: float  # seconds the client saw no answer (0.0 when nothing failed)
    fenced: int
    most_mounted: int  # the most nodes that had the disk mounted at one instant
    samples: int
    both: list[tuple[float, tuple[str, ...]]]
    witness_intact: bool
    answered_again: bool
    # Where the service was when this drill began, if not where the previous
    # drill left it: a failover no drill caused.
    moved_unasked: str | None = None
    # The client's requests, when the disruption began and when the drill
    # saw the cluster whole again (epoch seconds), for the drill report.
    results: list[Result] = field(default_factory=list, repr=False)
    disrupted: float | None = None
    whole_again: float | None = None

    def row(self) -> list[str]:
        return [self.drill, f"{self.before} -> {self.after}", f"{self.failed}/{self.total}", f"{self.gap:.2f}",
                str(self.fenced), str(self.most_mounted), "yes" if self.witness_intact else "NO"]


HEADERS = ["drill", "service", "failed/total", "outage s", "fenced", "most mounts", "file intact"]


# Each drill: disrupt(service, victim) returns what back() needs to know,
# then back(service, victim, peer, memo) waits until the service runs whole
# again and returns the node running it.
def _stop(service: Service, victim: Host) -> None:
    hosts.stop(victim)


def _back_elsewhere(service: Service, victim: Host, peer: Host, memo: object) -> str:
    """The group runs on another node; then the victim is started again (a
    clean stop, or a fence device that powers off, leaves that to the
    operator; one that reboots brings it back by itself) and rejoins."""
    after, _ = cluster.wait_group(service.nodes, service.group, lambda n: n != victim.name, since=time.time(), timeout=90)
    hosts.restore(victim)
    wait_for(lambda: victim.name in cluster.state(service.nodes).online, timeout=120, interval=1)
    return after


def _crash(service: Service, victim: Host) -> None:
    hosts.crash(victim)


def _kill_nginx(service: Service, victim: Host) -> None:
    hosts.run(victim, "pkill", "--signal", "KILL", "-x", "nginx")


def _back_after_kill(service: Service, victim: Host, peer: Host, memo: object) -> str:
    # The monitor notices (a failed action on record), then the group is whole again.
    wait_for(lambda: cluster.state(service.nodes).failed_actions, timeout=30)
    after, _ = cluster.wait_group(service.nodes, service.group, lambda n: True, since=time.time(), timeout=60)
    return after


def _partition(service: Service, victim: Host) -> dict[str, int]:
    """Two nodes only: with more, the others keep seeing both sides."""
    if len(service.nodes) != 2:
        raise ValueError("the partition drill cuts the link of a two-node cluster")
    fenced = {n.name: max(cluster.fencings(m, n.name) for m in service.nodes) for n in service.nodes}
    hosts.partition(service.nodes[0], service.nodes[1])
    return fenced


def _back_after_partition(service: Service, victim: Host, peer: Host, memo: object) -> str:
    assert isinstance(memo, dict)
    # The winner (pacemaker_cluster_fence_winner, else the first node) fences the other side.
    first = service.nodes[0]
    winner = str(first.var("pacemaker_cluster_fence_winner") or first.name)
    loser = next(n for n in service.nodes if n.name != winner)
    # Each side loses the other after corosync's token; the winner fences first.
    wait_for(lambda: cluster.fencings(service.node(winner), loser.name) > memo[loser.name], timeout=90,
             interval=0.5)
    after, _ = cluster.wait_group([service.node(winner)], service.group, lambda n: n == winner, since=time.time(),
                                  timeout=90)
    for n in service.nodes:
        hosts.restore(n)  # the fenced node rebooted without the cut; lift it on the winner too
    everyone = {n.name for n in service.nodes}
    wait_for(lambda: set(cluster.state(service.nodes).online) == everyone, timeout=120, interval=1)
    return after


DRILLS: dict[str, tuple[Callable[[Service, Host], object], Callable[[Service, Host, Host, object], str]]] = {
    "clean stop": (_stop, _back_elsewhere),
    "crash": (_crash, _back_elsewhere),
    "nginx killed": (_kill_nginx, _back_after_kill),
    "partition": (_partition, _back_after_partition),
}


# Where each drill left each service, to notice a failover no drill caused.
_left_on: dict[str, str] = {}


def place(service: Service, node: str) -> None:
    """Move the service to `node` on purpose (pcs resource move, then clear:
    stickiness keeps it there), and wait until it runs there whole."""
    first = service.nodes[0]
    hosts.run(first, "crm_resource", "--move", "--resource", service.group, "--node", node, check=False, timeout=60)
    cluster.wait_group(service.nodes, service.group, lambda n: n == node, since=time.time(), timeout=60)
    hosts.run(first, "crm_resource", "--clear", "--resource", service.group, timeout=60)
    _left_on[service.group] = node


def run(client: Host, service: Service, name: str, settle_after: float = 3.0, on: str | None = None,
        family: int = 4) -> Outcome:
    """One drill against the node that runs the service (see the module's
    doc); with `on`, the service is first moved to that node; family 6 loads
    its IPv6 VIP instead."""
    disrupt, back = DRILLS[name]
    before, _ = cluster.wait_group(service.nodes, service.group, lambda n: True, since=time.time())
    left = _left_on.get(service.group)
    moved_unasked = f"{left} -> {before}" if left is not None and left != before else None
    if on is not None and on != before:
        place(service, on)
        before = on
    victim = service.node(before)
    peer = next(n for n in service.nodes if n.name != before)
    witness, content = f"witness-{secrets.token_hex(4)}.txt", secrets.token_hex(32)
    hosts.run(victim, "sh", "-c", f"echo {content} > {service.content_root}/{witness} && sync")
    fenced_before = fence_count(service)
    load = Load(client, [service.url("/", family)], count=12000, duration=120, timeout=0.5, interval=0.01, workers=2,
                headers=[service.header])
    with cluster.MountWatch(service.nodes, service.directory) as watch:
        load.start()
        time.sleep(2)
        t0 = time.time()
        try:
            memo = disrupt(service, victim)
            after = back(service, victim, peer, memo)
            whole_again = time.time()
            wait_for(lambda: webclient.get(client, service.url("/", family), timeout=2)[0] == 200, timeout=60)
            time.sleep(settle_after)
        finally:
            results = load.finish()
    _, gap = service_gap(results, t0, time.time())
    summary = summarize(results)
    last_failure = max((r.t0 for r in results if not r.ok and r.t0 >= t0), default=t0)
    status, _, text = webclient.get(client, service.url(f"/{witness}"))
    hosts.run(service.node(after), "rm", "-f", f"{service.content_root}/{witness}", check=False)
    _left_on[service.group] = after
    return Outcome(name, before, after, summary.failed, summary.total, gap, fence_count(service) - fenced_before,
                   watch.most_at_once, watch.samples, watch.both, status == 200 and text.strip() == content,
                   any(r.ok and r.t0 > last_failure for r in results), moved_unasked, results, t0, whole_again)
