"""The farm monitor: every watched host shows up, each panel agrees with
the source it reads (the tests read the same sources their own way), and
the monitor's credentials can change nothing."""
from __future__ import annotations

import json
import shlex
import time

import pytest

from lab import cluster, content, dig, haproxy, hosts, vip, webclient
from lab import monitor as mon
from lab.drill import wait_for
from lab.inventory import Host, Inventory


def all_up(monitor: Host, names: list[str]) -> bool:
    try:
        snap = mon.state(monitor)
    except OSError:
        return False
    return all((mon.host_row(snap, n) or {}).get("state") == "up" for n in names) and \
        all(r["state"] == "up" for r in mon.rows(snap).values())


def test_every_watched_host_and_service_is_up(monitor, watched):
    # The monitor may have just (re)started: give it a few readings.
    try:
        wait_for(lambda: all_up(monitor, watched), timeout=30, interval=0.5)
    except TimeoutError:
        snap = mon.state(monitor)
        bad = {k: (r["state"], r["detail"]) for k, r in mon.rows(snap).items() if r["state"] != "up"}
        missing = [n for n in watched if mon.host_row(snap, n) is None]
        pytest.fail(f"not up on the monitor: {bad}; not shown at all: {missing}")


def test_the_page_and_the_json_are_served(monitor):
    login = mon.login(monitor)
    out = hosts.run(monitor, "curl", "-sS", "-m", "5", "-D", "-", *(["-u", ":".join(login)] if login else []),
                    mon.url(monitor))
    assert "200 OK" in out.stdout.splitlines()[0], out.stdout[:200]
    assert "text/html" in out.stdout and "api/state" in out.stdout
    snap = mon.state(monitor)
    assert {"generated", "panels", "events", "counts"} <= set(snap)
    assert sum(snap["counts"].values()) == len(mon.rows(snap))


def test_content_versions_are_the_nodes_own(inventory: Inventory, monitor):
    nodes = inventory.hosts("web_farm")
    if not nodes:
        pytest.skip("no web_farm group")

    def agree() -> bool:
        snap = mon.state(monitor)
        return all((mon.host_row(snap, n.name) or {}).get("extra", {}).get("version") == content.version(n) for n in nodes)
    wait_for(agree, timeout=10, interval=0.5)


def test_each_vip_shows_the_balancer_that_holds_it(inventory: Inventory, monitor):
    lbs = inventory.hosts("nlb")
    if not lbs:
        pytest.skip("no nlb group")
    for address in [*vip.declared(lbs[0]), *filter(None, vip.declared6(lbs[0]))]:
        holders = vip.holders(lbs, address)
        assert len(holders) == 1, holders
        wait_for(lambda a=address, h=holders[0]: mon.rows(mon.state(monitor))[f"nlb/vip/{a}"]["value"] == h, timeout=10)


def test_each_name_server_shows_the_records_it_serves(inventory: Inventory, monitor, client):
    servers = inventory.hosts("rr_dns")
    if not servers:
        pytest.skip("no rr_dns group")
    cfg = json.loads(hosts.run(monitor, "cat", "/etc/webfarm/monitor/monitor.json").stdout)
    names = cfg["targets"]["rr_dns"]["names"]
    for server in servers:
        def agrees(server=server) -> bool:
            row = mon.rows(mon.state(monitor))[f"rr_dns/{server.name}"]
            shown = row["extra"].get("records", {})
            return row["state"] == "up" and sorted(shown) == sorted(names) and all(
                sorted(shown[n]) == sorted(dig.records(client.inv, server.address, n)
                                           + dig.records(client.inv, server.address, n, "AAAA")) for n in names)
        wait_for(agrees, timeout=10, interval=0.5)


def test_each_resource_group_shows_where_it_runs(inventory: Inventory, monitor):
    nodes = inventory.hosts("active_passive")
    if not nodes:
        pytest.skip("no active_passive group")
    groups = [f"webfarm-{s['name']}" for s in nodes[0].var("pacemaker_cluster_services") or []]
    for group in groups:
        def agrees(group=group) -> bool:
            where = cluster.state(nodes).group_complete_on(group)
            row = mon.rows(mon.state(monitor))[f"active_passive/group/{group}"]
            return where is not None and row["state"] == "up" and row["value"] == where
        wait_for(agrees, timeout=15, interval=0.5)


def monitor_run(monitor: Host, script: str) -> str:
    """Run a shell command on the monitor as the monitor's own user."""
    user = str(monitor.var("farm_monitor_user"))
    return hosts.run(monitor, "runuser", "-u", user, "--", "sh", "-c", script, check=False).stdout


def test_the_monitor_cannot_change_the_cluster(inventory: Inventory, monitor):
    nodes = inventory.hosts("active_passive")
    if not nodes:
        pytest.skip("no active_passive group")
    assert hosts.run(monitor, "test", "-e", "/var/run/docker.sock", check=False).returncode != 0, "docker socket on the monitor"
    group = f"webfarm-{nodes[0].var('pacemaker_cluster_services')[0]['name']}"
    before = cluster.state(nodes).group_complete_on(group)
    other = next(n.name for n in nodes if n.name != before)
    key, known = "/etc/webfarm/monitor/cluster-key", "/etc/webfarm/monitor/known_hosts"
    ssh = f"ssh -i {key} -o BatchMode=yes -o UserKnownHostsFile={known} {monitor.var('farm_monitor_ssh_user')}@{nodes[0].address}"
    # The key runs crm_mon whatever the monitor asks for.
    said = monitor_run(monitor, f"{ssh} {shlex.quote(f'crm_resource --move --resource {group} --node {other}')}")
    assert said.lstrip().startswith("<pacemaker-result"), said[:300]
    # And code running as that user on the node cannot change the cluster
    # either: it is in no cluster group, and sudo allows crm_mon's status only.
    user = str(monitor.var("farm_monitor_ssh_user"))
    move = ["crm_resource", "--move", "--resource", group, "--node", other]
    for argv in (["runuser", "-u", user, "--", *move], ["runuser", "-u", user, "--", "sudo", "-n", *move]):
        out = hosts.run(nodes[0], *argv, check=False)
        assert out.returncode != 0, f"{' '.join(argv)} was allowed: {out.stdout[:200]}"
    time.sleep(2)
    assert cluster.state(nodes).group_complete_on(group) == before


def test_the_monitor_cannot_write_to_the_store(monitor):
    snap = mon.state(monitor)
    stores = [r for r in mon.rows(snap).values() if r["kind"] == "store"]
    if not stores:
        pytest.skip("the monitor watches no session store")
    cfg = json.loads(hosts.run(monitor, "cat", "/etc/webfarm/monitor/monitor.json").stdout)
    target = cfg["targets"]["session_store"]["stores"][0]
    code = ("import redis,sys;c=redis.Redis(host=sys.argv[1],port=int(sys.argv[2]),username=sys.argv[3],password=sys.argv[4]);"
            "print('info', bool(c.info()));\ntry:\n c.set('webfarm-monitor-probe','x');print('WROTE')\n"
            "except redis.exceptions.NoPermissionError as e:\n print('refused',e)")
    out = hosts.run(monitor, "python3", "-c", code, target["address"], str(target["port"]), cfg["store"]["user"],
                    cfg["store"]["password"], check=False)
    assert "info True" in out.stdout and "refused" in out.stdout and "WROTE" not in out.stdout, out.stdout + out.stderr


def test_the_monitor_cannot_change_a_balancer(inventory: Inventory, monitor):
    lbs = inventory.hosts("nlb")
    if not lbs:
        pytest.skip("no nlb group")
    cfg = json.loads(hosts.run(monitor, "cat", "/etc/webfarm/monitor/monitor.json").stdout)
    victim = inventory.names("web_farm")[0]
    lb = lbs[0]
    port = lb.var("lb_haproxy_stats_port")
    out = hosts.run(monitor, "curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
                    "-u", f"{cfg['stats']['user']}:{cfg['stats']['password']}", "-d", f"s={victim}&action=maint&b=www",
                    f"http://{lb.address}:{port}/stats", check=False)
    # Logged in (not 401): the page itself has no admin action to take.
    assert out.stdout.strip() not in ("401", "403", "000"), out.stdout
    time.sleep(1)
    assert haproxy.server_states(lb)[("www", victim)].startswith("UP"), out.stdout


def test_the_page_listens_on_its_address_only_and_wants_its_login(monitor, client):
    """Never on every address (it maps the farm); with page users, no login no page, while /health stays open."""
    port = mon.url(monitor).rsplit(":", 1)[1].rstrip("/")
    loopback = hosts.run(monitor, "curl", "-s", "-o", "/dev/null", "-m", "3", f"http://127.0.0.1:{port}/health", check=False)
    assert loopback.returncode == 7, "the monitor listens on 127.0.0.1 too: farm_monitor_listen is every address"
    login = mon.login(monitor)
    if login is None:
        pytest.skip("this inventory gives the page no login (farm_monitor_page_users)")
    for path in ("/", "/api/state"):
        assert webclient.get(client.inv, mon.url(monitor, path))[0] == 401
        assert webclient.get(client.inv, mon.url(monitor, path), auth=(login[0], login[1] + "x"))[0] == 401
        assert webclient.get(client.inv, mon.url(monitor, path), auth=login)[0] == 200
    assert webclient.get(client.inv, mon.url(monitor, "/health"))[0] == 200
