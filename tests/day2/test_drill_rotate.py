"""Day 2 on the running lab: rotate the name servers' TSIG keys and the
cluster's corosync authkey, one converge each, with no outage
(docs/production.md, "Rotate a secret").

The lab's secrets are files under its secrets folder, as production's are
Ansible Vault values: the drill writes new ones (a new value in the vault)
and runs the topology's playbook, under load: DNS queries to every name
server and HTTP requests to the cluster's service, none of which may fail.
Then the new keys must be the ones in use and the old ones refused: a zone
transfer and an update signed with the old key are refused, with the new
one they work (an update reaches the secondary by a transfer), the health
checker still withdraws a drained member; every cluster node holds the new
authkey, and the cluster kept its membership (same ring, no fencing, the
service where it was).
"""
from __future__ import annotations

import hashlib
import secrets
import string
import time
from pathlib import Path

import pytest

from lab import cluster, dig, drill_report, hosts
from lab.drill import Load, wait_for
from lab.failover import Service, fence_count
from lab.inventory import LAB_INVENTORY, ROOT, Host, Inventory
from lab.playbook import converge
from lab.report import summarize, summary_table

# The lab's secret files (inventories/lab/group_vars/*/secrets.yml) and the
# length of the values it makes.
TSIG = {"transfer": "dns-transfer.key", "admin": "dns-admin.key", "health": "dns-health.key"}
AUTHKEY = ("corosync.authkey", 256)
TSIG_LENGTH = 44


def new_secret(length: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


def ring_id(node: Host) -> str:
    """Corosync's ring (membership) id as the node sees it: a new membership
    (a node lost or rejoined) gives a new one."""
    out = hosts.run(node, "corosync-quorumtool", "-s", check=False).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Ring ID")), "")


def authkey_sha256(node: Host) -> str:
    return hosts.run(node, "sha256sum", "/etc/corosync/authkey").stdout.split()[0]


def tsig(name: str, secret: str) -> str:
    """ALGORITHM:NAME:SECRET of one of the zone's keys; the transfer key's
    name carries a digest of its secret (roles/dns_server/vars/main.yml)."""
    digest = f"-{hashlib.sha256(secret.encode()).hexdigest()[:8]}" if name == "transfer" else ""
    return f"hmac-sha256:webfarm-{name}{digest}:{secret}"


def timed_converge(inventory: Inventory, playbook: str) -> float:
    t0 = time.time()
    converge(inventory.source, playbook)
    return time.time() - t0


@pytest.mark.drill
def test_the_tsig_keys_and_the_corosync_authkey_rotate_with_no_failed_request(inventory, client, drill_record):
    if not (len(inventory.hosts("rr_dns")) > 1 and len(inventory.hosts("active_passive")) > 1):
        pytest.skip("needs two name servers and a cluster")
    if LAB_INVENTORY.resolve() != Path(inventory.source).resolve():
        pytest.skip("rewrites the lab's secrets: runs against inventories/lab only")
    servers = inventory.hosts("rr_dns")
    primary, secondary = servers[0], servers[1]
    zone = str(primary.var("dns_server_zone")).rstrip(".")
    name = f"{primary.var('dns_server_service_name')}.{zone}"
    folder = ROOT / ".lab" / "secrets" / str(primary.var("webfarm_lab_name"))
    service = Service.of(inventory)
    nodes = inventory.hosts("active_passive")
    old = {key: (folder / file).read_text().strip() for key, file in TSIG.items()}
    old_authkey = (folder / AUTHKEY[0]).read_text().strip()
    new = {key: new_secret(TSIG_LENGTH) for key in TSIG}
    new_authkey = new_secret(AUTHKEY[1])
    rings = {n.name: ring_id(n) for n in nodes}
    assert all(rings.values()), f"corosync reports no ring id: {rings}"
    active = cluster.state(nodes).group_complete_on(service.group)
    assert active, f"{service.group} does not run whole on one node before the drill"
    fenced = fence_count(service)

    targets = {f"dns://{s.address}/{name}": f"dns {s.name}" for s in servers}
    targets[service.url("/")] = "cluster service"
    load = Load(client.inv, list(targets), count=200000, duration=400, timeout=2, interval=0.02, workers=2).start()
    took: dict[str, float] = {}
    try:
        time.sleep(2)
        t0 = time.time()
        for key, file in TSIG.items():
            (folder / file).write_text(new[key])
        took["rr_dns.yml (TSIG keys)"] = timed_converge(inventory, "rr_dns.yml")
        (folder / AUTHKEY[0]).write_text(new_authkey)
        took["active_passive.yml (authkey)"] = timed_converge(inventory, "active_passive.yml")
        t1 = time.time()
        time.sleep(2)
    finally:
        results = load.finish()
    summary = summarize(results)
    print("\nrotation drill: " + ", ".join(f"{k} {v:.1f} s" for k, v in took.items()))
    print(summary_table(summary, targets))
    drill_record(target=drill_report.TARGET_MAINTENANCE, outage=drill_report.longest_gap(results), results=results,
                 names=targets, disrupted=t0, disrupted_label="keys rotated", returned=t1,
                 returned_label="converged")
    lost = [(r.target, r.outcome, r.status, r.error) for r in results if not r.ok]
    assert not lost, f"{len(lost)} of {len(results)} requests failed during the rotation: {lost[:10]}"

    # The cluster: the new key on every node, the membership and the service kept.
    want = hashlib.sha256(new_authkey.encode()).hexdigest()
    assert {n.name: authkey_sha256(n) for n in nodes} == {n.name: want for n in nodes}
    assert {n.name: ring_id(n) for n in nodes} == rings, "corosync formed a new membership during the rotation"
    assert fence_count(service) == fenced, "a node was fenced during the rotation"
    assert cluster.state(nodes).group_complete_on(service.group) == active, "the service moved during the rotation"
    assert old_authkey != new_authkey

    # The name servers: transfers and updates take the new keys only.
    assert dig.transfer(client.inv, primary.address, zone, tsig("transfer", old["transfer"])) == [], \
        "the primary still gives the zone for the old transfer key"
    assert dig.transfer(client.inv, primary.address, zone, tsig("transfer", new["transfer"])), \
        "the primary refuses the zone for the new transfer key"
    probe = f"rotated-{secrets.token_hex(3)}.{zone}"
    said = dig.nsupdate(client.inv, f"server {primary.address}\nzone {zone}\nupdate add {probe} 5 TXT rotated\nsend\n",
                        tsig("admin", old["admin"]))
    assert any(w in said for w in ("BADKEY", "BADSIG", "NOTAUTH", "REFUSED", "tsig verify failure")), said
    said = dig.nsupdate(client.inv, f"server {primary.address}\nzone {zone}\nupdate add {probe} 5 TXT rotated\nsend\n",
                        tsig("admin", new["admin"]))
    try:
        # The secondary learns it by a transfer signed with the new key.
        wait_for(lambda: dig.records(client.inv, secondary.address, probe, "TXT") == ['"rotated"'], timeout=20)
    finally:
        dig.nsupdate(client.inv, f"server {primary.address}\nzone {zone}\nupdate delete {probe}\nsend\n",
                     tsig("admin", new["admin"]))
    # The health checker signs with the new key: a drained member is withdrawn, then back.
    member = inventory.hosts(str(primary.var("dns_server_service_group")))[-1]
    flag = str(member.var("web_node_maintenance_file"))
    hosts.run(member, "touch", flag)
    try:
        wait_for(lambda: all(member.address not in (dig.answered(client.inv, s.address, name) or [member.address])
                             for s in servers),
                 timeout=30)
    finally:
        hosts.run(member, "rm", "-f", flag)
    wait_for(lambda: all(member.address in dig.records(client.inv, s.address, name) for s in servers), timeout=30)
