"""The active/passive cluster at rest: one node runs the whole service group
(it alone holds the VIP and has the shared disk mounted), the page through
the VIP comes from the shared disk, the network name points at the VIP,
fencing is armed, and nothing has failed. Runs against any inventory with an
active_passive group and a client (the lab, molecule/active_passive, real
hosts; the fence proxy checks only where the lab's proxy fences).
"""
from __future__ import annotations

import re
import secrets

import pytest

from lab import cluster, dig, hosts, vip, webclient
from lab.drill import wait_for


def active(service) -> str:
    node, _ = cluster.wait_group(service.nodes, service.group, lambda n: True, since=0, timeout=60)
    return node


def test_pacemaker_and_corosync_run_and_start_at_boot(cluster_node):
    for unit in ("corosync", "pacemaker", "pcsd"):
        cluster_node.assert_running(unit)


def test_every_node_is_online_in_a_quorate_cluster_and_nothing_failed(service):
    wait_for(lambda: not cluster.state(service.nodes).offline, timeout=60)
    view = cluster.state(service.nodes)
    assert view.quorate, f"{view.seen_from} sees no quorum"
    assert sorted(view.online) == sorted(n.name for n in service.nodes)
    assert view.failed_actions == (), f"failed actions: {view.failed_actions}"


def test_one_node_runs_the_whole_group(service):
    view = cluster.state(service.nodes)
    assert view.group_complete_on(service.group) == active(service), view.running
    assert len(view.group_nodes(service.group)) == 1


def test_only_the_active_node_holds_the_vip_and_has_the_disk_mounted(service):
    node = active(service)
    assert vip.holders(service.nodes, service.vip) == [node]
    if service.vip6:
        assert vip.holders(service.nodes, service.vip6) == [node], "the IPv6 VIP is in the group with the rest"
    assert [n.name for n in service.nodes if cluster.mounted(n, service.directory)] == [node]


def test_nginx_runs_only_where_the_cluster_runs_it_and_never_starts_at_boot(cluster_node, service):
    assert not cluster_node.host.service("nginx").is_enabled, "systemd must not start nginx: the cluster does"
    running = cluster_node.host.run("pgrep -x nginx").rc == 0
    assert running == (cluster_node.name == active(service)), f"nginx running on {cluster_node.name}: {running}"


def test_the_page_through_the_vip_comes_from_the_shared_disk(client, service):
    node = active(service)
    active_host = next(n for n in service.nodes if n.name == node)
    name, body = f"shared-{secrets.token_hex(4)}.txt", secrets.token_hex(16)
    hosts.run(active_host, "sh", "-c", f"echo {body} > {service.content_root}/{name}")
    try:
        status, headers, text = webclient.get(client.inv, service.url(f"/{name}"))
        assert status == 200 and text.strip() == body
        assert headers.get(service.header.lower()) == node
        if service.staging:  # lab: every node sees the volume itself, so the file is on it
            for other in service.nodes:
                out = hosts.run(other, "cat", f"{service.staging}/{service.content_root.removeprefix(service.directory)}/{name}",
                                check=False)
                assert out.stdout.strip() == body, f"{other.name} does not see {name} on the shared volume"
    finally:
        hosts.run(active_host, "rm", "-f", f"{service.content_root}/{name}")
    status, _, _ = webclient.get(client.inv, service.url(f"/{name}"))
    assert status == 404


def test_the_network_name_points_at_the_vip(client, service):
    if not service.dns_name:
        pytest.skip("no rr_dns group: the service has no network name in this inventory")
    wait_for(lambda: dig.records(client.inv, service.dns_server.address, service.dns_name) == [service.vip], timeout=30)
    status, headers, _ = webclient.get(client.inv, f"http://{service.dns_name}/")
    assert status == 200 and headers.get(service.header.lower()) == active(service)
    if service.vip6:
        assert dig.records(client.inv, service.dns_server.address, service.dns_name, "AAAA") == [service.vip6]


def test_the_service_answers_on_its_ipv6_vip_by_address_and_by_name(client, service):
    """A client of one family only reaches the active node through the IPv6 VIP."""
    if not service.vip6:
        pytest.skip("the service has no IPv6 VIP (vip6)")
    status, headers, _ = webclient.get(client.inv, service.url("/", family=6))
    assert status == 200 and headers.get(service.header.lower()) == active(service)
    if service.dns_name:
        out = hosts.run(client.inv, "curl", "-6", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code} %{remote_ip}",
                        f"http://{service.dns_name}/", check=False)
        assert out.stdout.split() == ["200", service.vip6], out.stdout + out.stderr


def test_the_network_name_takes_no_update_without_the_clusters_key(client, service):
    if not service.dns_name:
        pytest.skip("no rr_dns group")
    script = f"server {service.dns_server.address}\nupdate add {service.dns_name} 5 A 10.0.0.1\nsend\n"
    out = client.host.run(f"printf '%b' {script!r} | nsupdate -t 5")
    assert "REFUSED" in out.stdout + out.stderr
    assert dig.records(client.inv, service.dns_server.address, service.dns_name) == [service.vip]


def test_fencing_is_on_and_each_device_runs_away_from_the_node_it_fences(cluster_nodes, service):
    out = cluster_nodes[0].host.run("crm_attribute --type crm_config --name stonith-enabled --query --quiet")
    assert out.stdout.strip() == "true"
    view = cluster.state(service.nodes)
    declared = cluster_nodes[0].inv.var("pacemaker_cluster_fence_devices") or []
    assert declared, "no fence device declared (pacemaker_cluster_fence_devices)"
    for device in declared:
        rid = f"webfarm-fence-{device['name']}"
        running = view.running.get(rid, ())
        assert len(running) == 1, f"{rid} runs on {list(running) or 'no node'}"
        if len(device["hosts"]) == 1:
            assert running[0] not in device["hosts"], f"{rid} fences {device['hosts']} and runs there"


def _fence_curl(node, path: str, method: str = "GET", cert: bool = True) -> str:
    d = "/etc/webfarm/cluster"
    auth = f"--cert {d}/fence-client.crt --key {d}/fence-client.key" if cert else ""
    address = node.inv.var("webfarm_lab_fence_address")
    out = node.host.run(f"curl -s -o /dev/null -w '%{{http_code}}' -X {method} --cacert {d}/fence-ca.crt {auth} "
                        f"https://{address}:2376/v1.41{path}")
    return out.stdout


def test_lab_the_fence_proxy_lets_the_cluster_reach_its_own_containers_only(cluster_nodes, client):
    node = cluster_nodes[0]
    if not node.inv.var("webfarm_lab_fenceable"):
        pytest.skip("not the lab's fence proxy: production fences through its own devices")
    other = cluster_nodes[-1].inv.container
    assert _fence_curl(node, f"/containers/{other}/json") == "200"
    assert _fence_curl(node, f"/containers/{client.inv.container}/json") == "403", "a container outside the cluster"
    assert _fence_curl(node, f"/containers/{client.inv.container}/kill", "POST") == "403"
    assert _fence_curl(node, "/containers/create", "POST") == "403"
    assert _fence_curl(node, "/images/json") == "403"
    assert _fence_curl(node, f"/containers/{other}/json", cert=False) == "000", "no client certificate, no TLS session"
    listed = node.host.run(f"curl -s --cacert /etc/webfarm/cluster/fence-ca.crt --cert /etc/webfarm/cluster/fence-client.crt "
                           f"--key /etc/webfarm/cluster/fence-client.key "
                           f"https://{node.inv.var('webfarm_lab_fence_address')}:2376/v1.41/containers/json").stdout
    assert sorted(n.inv.container for n in cluster_nodes) == sorted(
        name.strip("/") for name in re.findall(r'"Names":\["([^"]+)"', listed))


def test_the_quorum_device_votes_and_the_arbiter_sees_every_node(arbiter, cluster_nodes):
    """With a quorum_device group, every node counts the arbiter's vote
    (expected votes: the nodes plus the device's), and corosync-qnetd on the
    arbiter lists each node of the cluster, its TLS client certificate
    checked."""
    algorithm = cluster_nodes[0].inv.var("pacemaker_cluster_quorum_device_algorithm")
    n = len(cluster_nodes)
    device_votes = 1 if algorithm == "ffsplit" else n - 1
    arbiter.assert_running("corosync-qnetd")
    for member in cluster_nodes:
        member.assert_running("corosync-qdevice")
        wait_for(lambda m=member: cluster.device_votes(m.inv) is True, timeout=60)
        out = member.host.run("corosync-quorumtool -s").stdout
        assert re.search(rf"(?m)^Expected votes:\s+{n + device_votes}$", out), out
        assert re.search(r"(?m)^Flags:.*\bQuorate\b", out), out
    name = cluster_nodes[0].inv.var("pacemaker_cluster_name")
    listing = arbiter.host.run("corosync-qnetd-tool -l -v -c %s", name).stdout
    assert len(re.findall(r"TLS active:\s+Yes \(client certificate verified\)", listing)) == n, listing
    assert ("Fifty-Fifty split" if algorithm == "ffsplit" else "Last man standing") in listing, listing
