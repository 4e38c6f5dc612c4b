"""The load-balanced web farm: HAProxy balancers behind keepalived VIPs.
Runs against any inventory with nlb and web_farm groups and a client (the
lab, molecule/nlb). Every request goes from the client through a VIP.

Each load formula and affinity is checked by what clients see: who served.
Tests here only read (the client's extra addresses are added and removed by
a fixture); disruptions are in test_drill_nlb.py.
"""
from __future__ import annotations

import ipaddress
import re
import time
from collections import Counter

import pytest

from lab import dig, haproxy, hosts, vip, webclient
from lab.drill import wait_for


def test_haproxy_and_keepalived_run_and_start_at_boot(balancer):
    balancer.assert_running("haproxy")
    balancer.assert_running("keepalived")


def test_keepalived_and_its_watcher_run_real_time_at_their_priority(balancer):
    # Every keepalived thread, as the drop-in started them (or the role's
    # handler set them, on a balancer upgraded in place); the watcher too.
    assert_scheduling(balancer.inv)
    priority = int(balancer.inv.var("lb_keepalived_realtime_priority"))
    pid = hosts.run(balancer.inv, "systemctl", "show", "-p", "MainPID", "--value", "webfarm-lb-watch").stdout.strip()
    said = hosts.run(balancer.inv, "ps", "-o", "cls=,rtprio=", "-p", pid).stdout.split()
    assert said == (["RR", str(priority)] if priority else ["TS", "-"]), f"webfarm-lb-watch ({pid}) runs {said}"


def assert_scheduling(host) -> None:
    """Every keepalived thread on host runs as lb_keepalived_realtime_priority says."""
    priority = int(host.var("lb_keepalived_realtime_priority"))
    seen = hosts.scheduling(host, "keepalived")
    assert seen, f"no keepalived process on {host.name}"
    want = ("RR", str(priority)) if priority else ("TS", "-")
    assert all((cls, prio) == want for _, cls, prio in seen), f"{host.name}: keepalived must run {want}: {seen}"


def test_each_vip_is_held_by_its_master_only(farm):
    # VIP i is mastered by balancer i; after a drill its master takes it back
    # once the preempt delay has passed.
    for i, address in farm.addresses():
        master = farm.master(i).name
        wait_for(lambda a=address, m=master: vip.holders(farm.balancers, a) == [m], timeout=20)
        assert vip.holders(farm.balancers, address) == [master]


def test_an_ipv6_vip_is_never_the_source_of_the_balancers_own_connections(farm):
    """Its master holds it deprecated (preferred_lft 0): the kernel picks the
    balancer's own address to reach the nodes, which trust that address's
    X-Forwarded-Proto, and no connection breaks when the VIP moves."""
    if not any(farm.vips6):
        pytest.skip("no VIP has an IPv6 address (address6)")
    for i, address in enumerate(farm.vips6):
        if not address:
            continue
        master = farm.master(i)
        shown = hosts.run(master, "ip", "-6", "-o", "addr", "show", "to", address).stdout
        assert address in shown and "deprecated" in shown, f"{master.name}: {shown}"
        node = farm.members[0]
        source = hosts.run(master, "ip", "-6", "route", "get", node.address6 or address).stdout
        assert f"src {master.address6}" in source, f"{master.name} would reach the nodes from {source}"


def test_vrrp_adverts_go_to_the_peers_not_to_the_multicast_group(balancer, farm, family):
    # keepalived falls back to multicast silently when its peer list is
    # wrong: count what really leaves the host for a second. IPv6 instances
    # send theirs over IPv6 (VRRPv3's group there is ff02::12).
    table = "webfarm_vrrp_count"
    # VRRP by its number (112): the name needs /etc/protocols (netbase),
    # which a balancer installed without recommends may not have.
    nft_family, match, group = ("ip6", "meta l4proto 112", "ip6 daddr ff02::12") if family == 6 else \
        ("ip", "ip protocol 112", "ip daddr 224.0.0.18")
    ruleset = (f"table {nft_family} {table} {{\n chain out {{\n type filter hook output priority 0;\n"
               f" {match} {group} counter\n {match} counter\n }}\n}}")
    hosts.run(balancer.inv, "sh", "-c", 'printf "%s\n" "$0" | nft -f -', ruleset)
    try:
        time.sleep(1.5)
        listing = hosts.run(balancer.inv, "nft", "list", "table", nft_family, table).stdout
    finally:
        hosts.run(balancer.inv, "nft", "delete", "table", nft_family, table, check=False)
    multicast, every = (int(n) for n in re.findall(r"counter packets (\d+)", listing))
    assert every > 5, f"{balancer.name} sent no IPv{family} VRRP advert in 1.5 s (it masters a VIP):\n{listing}"
    assert multicast == 0, f"{balancer.name} sent {multicast} adverts to the multicast group:\n{listing}"


@pytest.mark.alone
def test_roundrobin_spreads_requests_evenly(farm, client):
    served = Counter(webclient.served_by(client.inv, farm.url("www"), 30, farm.header))
    assert set(served) == {m.name for m in farm.members}, served
    assert max(served.values()) - min(served.values()) <= 1, f"round-robin must be even: {served}"


@pytest.mark.alone
def test_static_weights_spread_requests_in_proportion(farm, client):
    weights = farm.sites["weighted"]["weights"]
    total = sum(weights.values())
    served = Counter(webclient.served_by(client.inv, farm.url("weighted"), 2 * total * 5, farm.header))
    for node, weight in weights.items():
        expected = 10 * weight
        assert abs(served[node] - expected) <= 2, f"weights {weights}: expected about {expected} for {node}, got {served}"


@pytest.fixture(scope="module")
def client_addresses(farm, client):
    """Extra client addresses: four more in the client's own /24, and one in
    each of three other /24s (routed by the balancers to the lab network).
    Lab addresses only; removed afterwards."""
    own = ipaddress.IPv4Address(client.inv.address)
    net = ipaddress.IPv4Network(f"{own}/24", strict=False)
    third = int(str(net.network_address).split(".")[2])
    same = [str(own + k) for k in range(1, 5)]
    others = [f"10.213.{third + 100 + 20 * k}.{str(own).split('.')[3]}" for k in range(3)]
    added, routed = [], []
    try:
        for address in same + others:
            hosts.run(client.inv, "ip", "addr", "add", f"{address}/32", "dev", "eth0")
            added.append(address)
        for lb in farm.balancers:
            for address in others:
                other_net = str(ipaddress.IPv4Network(f"{address}/24", strict=False))
                hosts.run(lb, "ip", "route", "add", other_net, "dev", "eth0")
                routed.append((lb, other_net))
        yield [str(own), *same], others
    finally:
        for address in added:
            hosts.run(client.inv, "ip", "addr", "del", f"{address}/32", "dev", "eth0", check=False)
        for lb, other_net in routed:
            hosts.run(lb, "ip", "route", "del", other_net, "dev", "eth0", check=False)


@pytest.fixture(scope="module")
def client_addresses6(farm, client):
    """The same for IPv6 clients: four more addresses in the client's own
    /64, and one in each of three other /64s, fd00:213:S:100::, :120:: and
    :140:: for the lab prefix fd00:213:S::/64 (routed by the balancers to
    the lab network). Lab addresses only; removed afterwards."""
    if not any(farm.vips6) or not client.inv.address6:
        pytest.skip("no IPv6 VIP, or the client has no IPv6 address: no IPv6 client to pin")
    own = ipaddress.IPv6Address(client.inv.address6)
    net = ipaddress.IPv6Network(f"{own}/64", strict=False)
    same = [str(own + k) for k in range(1, 5)]
    host = int(own) & ((1 << 64) - 1)
    other_nets = [ipaddress.IPv6Network((int(net.network_address) + ((0x100 + 0x20 * k) << 64), 64)) for k in range(3)]
    others = [str(n.network_address + host) for n in other_nets]
    added, routed = [], []
    try:
        for address in same + others:
            hosts.run(client.inv, "ip", "-6", "addr", "add", f"{address}/128", "dev", "eth0", "nodad")
            added.append(address)
        for lb in farm.balancers:
            for other in other_nets:
                hosts.run(lb, "ip", "-6", "route", "add", str(other), "dev", "eth0")
                routed.append((lb, str(other)))
        yield [str(own), *same], others
    finally:
        for address in added:
            hosts.run(client.inv, "ip", "-6", "addr", "del", f"{address}/128", "dev", "eth0", check=False)
        for lb, other in routed:
            hosts.run(lb, "ip", "-6", "route", "del", other, "dev", "eth0", check=False)


@pytest.mark.alone
def test_affinity_none_rotates_over_every_node(farm, client):
    served = webclient.served_by(client.inv, farm.url("www"), 6, farm.header)
    assert len(set(served)) == len(farm.members), served


def test_affinity_single_pins_each_client_address(farm, client, client_addresses):
    assert_single(farm, client, client_addresses[0], family=4)


def test_affinity_single_pins_each_ipv6_client_address(farm, client, client_addresses6):
    assert_single(farm, client, client_addresses6[0], family=6)


def assert_single(farm, client, same: list[str], family: int) -> None:
    nodes = {}
    for address in same:
        served = set(webclient.served_by(client.inv, farm.url("single", family=family), 6, farm.header, source=address))
        assert len(served) == 1, f"{address} was served by {served}"
        nodes[address] = served.pop()
    # Five addresses over three nodes by a hash of each: rarely all on one.
    assert len(set(nodes.values())) > 1, f"single affinity pinned every address to one node: {nodes}"


def test_affinity_class_c_pins_a_whole_subnet_and_separates_two(farm, client, client_addresses):
    assert_class_c(farm, client, *client_addresses, family=4)


def test_affinity_class_c_pins_a_whole_ipv6_prefix_and_separates_two(farm, client, client_addresses6):
    assert_class_c(farm, client, *client_addresses6, family=6)


def assert_class_c(farm, client, same: list[str], others: list[str], family: int) -> None:
    url = farm.url("class_c", family=family)
    own = {address: set(webclient.served_by(client.inv, url, 3, farm.header, source=address)) for address in same}
    assert all(len(s) == 1 for s in own.values()) and len(set.union(*own.values())) == 1, \
        f"every address of one {'/24' if family == 4 else 'IPv6 prefix'} must land on one node: {own}"
    home = next(iter(set.union(*own.values())))
    away = {address: set(webclient.served_by(client.inv, url, 3, farm.header, source=address)) for address in others}
    assert all(len(s) == 1 for s in away.values()), away
    assert any(s != {home} for s in away.values()), f"three other networks all landed on {home} like the first: {away}"


def test_affinity_cookie_pins_a_client_to_one_node(farm, client):
    served = webclient.served_by(client.inv, farm.url("sticky"), 8, farm.header, cookies=True)
    assert len(set(served)) == 1, f"a client with the cookie moved between nodes: {served}"
    fresh = webclient.served_by(client.inv, farm.url("sticky"), 6, farm.header)
    assert len(set(fresh)) > 1, f"clients without the cookie all went to one node: {fresh}"


def test_every_vip_serves_every_site(farm, client, family):
    indexes = range(len(farm.vips)) if family == 4 else [i for i, a in enumerate(farm.vips6) if a]
    for i in indexes:
        for site in farm.sites:
            url = farm.url(site, i, family=family)
            status, headers, _ = webclient.get(client.inv, url)
            assert status == 200 and headers.get(farm.header.lower()), f"{url}: {status} {headers}"


def stats_login(balancer) -> tuple[str, str]:
    config = balancer.host.file("/etc/haproxy/haproxy.cfg").content_string
    user, password = re.search(r"^\s*stats auth (\S+?):(\S+)$", config, re.M).groups()
    return user, password


def test_the_stats_page_wants_the_password(balancer, client):
    url = f"http://{balancer.inv.address}:{balancer.inv.var('lb_haproxy_stats_port')}/stats"
    assert webclient.get(client.inv, url)[0] == 401
    assert webclient.get(client.inv, url, auth=("admin", "wrong-password"))[0] == 401
    status, _, body = webclient.get(client.inv, url, auth=stats_login(balancer))
    assert status == 200 and "Statistics Report" in body


def test_prometheus_metrics_want_the_stats_login(balancer, client):
    url = f"http://{balancer.inv.address}:{balancer.inv.var('lb_haproxy_stats_port')}/metrics"
    assert webclient.get(client.inv, url)[0] == 401
    status, _, body = webclient.get(client.inv, url, auth=stats_login(balancer))
    assert status == 200 and "haproxy_backend_active_servers" in body


def test_metrics_need_no_login_from_an_allowed_source_only(balancer, inventory):
    """lb_haproxy_metrics_allow (a Prometheus server's address): that source
    reads /metrics without a login; every other host still needs it."""
    allowed = {str(a).split("/")[0] for a in balancer.inv.var("lb_haproxy_metrics_allow") or []}
    readers = [h for h in inventory.hosts("all") if h.address in allowed]
    others = [h for h in inventory.hosts("clients") if h.address not in allowed]
    if not readers:
        pytest.skip("lb_haproxy_metrics_allow names no host of this inventory")
    url = f"http://{balancer.inv.address}:{balancer.inv.var('lb_haproxy_stats_port')}/metrics"
    for reader in readers:
        status, _, body = webclient.get(reader, url)
        assert status == 200 and "haproxy_backend_active_servers" in body, f"{reader.name}: HTTP {status}"
    for other in others:
        assert webclient.get(other, url)[0] == 401, f"{other.name} read the metrics without a login"


def test_stats_and_metrics_never_answer_on_a_vip(farm, client):
    port = farm.balancers[0].var("lb_haproxy_stats_port")
    for address in farm.vips:
        for path in ("/metrics", "/stats"):
            out = hosts.run(client.inv, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3",
                            f"http://{address}:{port}{path}", check=False)
            # curl's 7: the connection was refused (the VIP is up, nothing listens there).
            assert (out.returncode, out.stdout.strip()) == (7, "000"), \
                f"http://{address}:{port}{path}: curl exit {out.returncode}, HTTP {out.stdout.strip()}"


def test_the_runtime_api_sees_every_node_up(balancer, farm):
    states = haproxy.server_states(balancer.inv)
    for site in farm.sites:
        for member in farm.members:
            assert states.get((site, member.name)) == "UP", f"{site}/{member.name}: {states.get((site, member.name))}"


def test_the_zone_names_the_vips_when_the_inventory_has_round_robin_dns(farm, client, inventory):
    servers = inventory.hosts("rr_dns")
    if not servers:
        pytest.skip("no rr_dns group in this inventory: no zone to name the VIPs in")
    zone = str(servers[0].var("dns_server_zone")).rstrip(".")
    name = f"{farm.balancers[0].var('nlb_dns_name') or 'lb'}.{zone}"
    vips6 = sorted(a for a in farm.vips6 if a)
    for server in servers:
        wait_for(lambda s=server: sorted(dig.records(client.inv, s.address, name)) == sorted(farm.vips), timeout=15)
        wait_for(lambda s=server: sorted(dig.records(client.inv, s.address, name, "AAAA")) == vips6, timeout=15)
