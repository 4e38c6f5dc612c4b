"""Day 2 on the running lab: a fourth web node joins the farm and leaves it,
one converge each, under load through the VIP and the round-robin name, with
no failed request (docs/production.md, "Add a web node", "Remove a web node").

The new node is a second inventory source beside the lab's
(.lab/day2/hosts.yml, git-ignored), as an operator adds a host to theirs.
Joining, it must appear everywhere: both name servers' A records, every
HAProxy backend on both balancers, the content master's sync targets, the
farm monitor. Leaving, playbooks/web_node_retire.yml drains it first; then
it is taken out of the inventory, site.yml runs, and it must be gone from
all of them before its container is removed.
"""
from __future__ import annotations

import hashlib
import ipaddress
import time
from pathlib import Path

import pytest
import yaml

from lab import content, dig, drill_report, haproxy, hosts, vip, webclient
from lab import monitor as mon
from lab.drill import Load, wait_for
from lab.inventory import LAB_INVENTORY, ROOT, Host, Inventory
from lab.playbook import converge, recap, run_playbook
from lab.report import summarize, summary_table

EXTRA = ROOT / ".lab" / "day2" / "hosts.yml"


def fourth_node(inventory: Inventory) -> Host:
    """web<N+1> at the next free address after the last web node's."""
    web = inventory.hosts("web_farm")
    last = web[-1]
    taken = {h.address for h in inventory.hosts()}
    address = next(str(ipaddress.ip_address(last.address) + i) for i in range(1, 9)
                   if str(ipaddress.ip_address(last.address) + i) not in taken)
    name = f"web{len(web) + 1}"
    container = f"webfarm-{last.var('webfarm_lab_name')}-{name}"
    return Host(name, last.groups, {**last.vars, "ansible_host": container, "webfarm_address": address})


def write_extra(node: Host) -> None:
    EXTRA.parent.mkdir(parents=True, exist_ok=True)
    secrets = ROOT / ".lab" / "secrets" / str(node.var("webfarm_lab_name"))
    EXTRA.write_text(yaml.safe_dump({"all": {"children": {"web_farm": {"hosts": {node.name: {
        "ansible_host": node.var("ansible_host"), "webfarm_address": node.address,
        # The lab's group_vars build this from inventory_dir, which is this file's.
        "webfarm_lab_secrets": str(secrets)}}}}}}))


def service_name(inventory: Inventory) -> str:
    """The round-robin name the web nodes' records are under."""
    zone = inventory.hosts("rr_dns")[0]
    return f"{zone.var('dns_server_service_name')}.{zone.var('dns_server_zone')}"


def seen_everywhere(inventory: Inventory, client, node: Host) -> dict[str, bool]:
    """Where the node is now: each name server's records, each balancer's
    backends, the content master's sync targets, the monitor's rows."""
    name = service_name(inventory)
    where = {f"dns {s.name}": node.address in dig.records(client.inv, s.address, name)
             for s in inventory.hosts("rr_dns")}
    for lb in inventory.hosts("nlb"):
        states = haproxy.server_states(lb)
        where[f"haproxy {lb.name}"] = any(server == node.name for (_, server) in states)
    for master in inventory.hosts("content_sync"):
        config = hosts.run(master, "cat", "/etc/webfarm/content-sync/lsyncd.conf.lua", check=False).stdout
        where[f"content sync {master.name}"] = node.address in config
    monitor = mon.of(inventory)
    if monitor is not None:
        where[f"monitor {monitor.name}"] = mon.host_row(mon.state(monitor), node.name) is not None
    return where


@pytest.mark.drill
def test_a_fourth_web_node_joins_everywhere_and_leaves_drained_with_no_failed_request(inventory, client,
                                                                                     drill_record):
    if not (inventory.hosts("nlb") and inventory.hosts("rr_dns") and inventory.hosts("content_sync")):
        pytest.skip("needs the whole lab: balancers, round-robin DNS and a content master")
    if LAB_INVENTORY.resolve() != Path(inventory.source).resolve():
        pytest.skip("adds a container to the lab: runs against inventories/lab only")
    node = fourth_node(inventory)
    sources = [inventory.source, str(EXTRA)]
    lb = inventory.hosts("nlb")[0]
    www = next(s for s in lb.var("lb_haproxy_sites") if s["name"] == "www")
    through_vip = vip.site_url(lb, www, vip.declared(lb)[0])
    by_name = f"http://{service_name(inventory)}/"
    names = {through_vip: "through the VIP", by_name: "by name (round-robin DNS)"}
    load = Load(client.inv, [through_vip, by_name], count=200000, duration=600, timeout=5, interval=0.02,
                workers=2).start()
    steps: dict[str, float] = {}
    try:
        time.sleep(2)
        # Join: the inventory, the container (the lab's stand-in for a new
        # host), one converge.
        write_extra(node)
        t_add = time.time()
        converge(sources, "lab_up.yml")
        converge(sources, "site.yml")
        steps["add converged"] = time.time() - t_add
        wait_for(lambda: all(seen_everywhere(inventory, client, node).values()), timeout=30)
        steps["add seen everywhere"] = time.time() - t_add
        rel = f"day2/{node.name}.txt"
        data = f"{node.name} {t_add}\n".encode()
        content.publish(inventory.hosts("content_sync")[0], rel, data)
        digest = hashlib.sha256(data).hexdigest()
        content.wait_file([node], rel, digest, timeout=10)
        wait_for(lambda: node.name in webclient.served_by(client.inv, through_vip, 8, str(node.var("web_node_header"))),
                 timeout=20)
        # Leave: drained first, then out of the inventory, one converge.
        t_remove = time.time()
        converge(sources, "web_node_retire.yml", {"web_node_retire": node.name})
        EXTRA.unlink()
        converge([inventory.source], "site.yml")
        steps["remove converged"] = time.time() - t_remove
        where = seen_everywhere(inventory, client, node)
        assert not any(where.values()), f"{node.name} is still known after it left the inventory: {where}"
        hosts.docker("rm", "-f", node.var("ansible_host"))
        t_end = time.time()
    finally:
        if EXTRA.exists():  # a failed step: the lab goes back to its inventory
            EXTRA.unlink()
            hosts.docker("rm", "-f", node.var("ansible_host"), check=False)
            run_playbook([inventory.source], "site.yml", timeout=900)
    results = load.finish(grace=2)
    summary = summarize(results)
    print(f"\nday-2 drill: {node.name} ({node.address}) added and removed; "
          + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))
    print(summary_table(summary, names))
    drill_record(target=drill_report.TARGET_MAINTENANCE, outage=drill_report.longest_gap(results), results=results,
                 names=names, disrupted=t_add, disrupted_label=f"{node.name} added", returned=t_end,
                 returned_label=f"{node.name} removed")
    served = sum(1 for r in results if r.node == node.name)
    lost = [(r.target, r.outcome, r.status, r.node, r.error) for r in results if not r.ok]
    assert served > 0, f"{node.name} served no request while it was in the farm"
    assert not lost, f"{len(lost)} of {len(results)} requests failed: {lost[:10]}"


@pytest.mark.drill
def test_check_mode_on_the_converged_farm_reports_no_change(inventory):
    out = run_playbook(inventory.source, "site.yml", check=True, diff=True, timeout=900)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    changed = {host: c["changed"] for host, c in recap(out.stdout).items() if c.get("changed")}
    assert not changed, f"--check --diff on the converged lab would change: {changed}\n{out.stdout[-4000:]}"
