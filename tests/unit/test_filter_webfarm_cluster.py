"""filter_plugins/webfarm_cluster.py: the cluster's resource groups and fence
devices from the pacemaker_cluster role's variables, bad input named."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.filter.webfarm_cluster import webfarm_cluster_fencing, webfarm_cluster_services

NET = "10.213.0.41/24"
NODES = ["10.213.0.41", "10.213.0.42"]
OPTIONS = {"stickiness": 100, "migration_threshold": 2, "failure_timeout": "120s", "monitor_interval": "5s",
           "service_monitor_interval": "2s", "dns_zone": "webfarm.test", "dns_server": "10.213.0.21",
           "dns_keyfile": "/etc/webfarm/cluster/dns-update.key", "dns_ttl": 5}
WEB = {"name": "web", "vip": "10.213.0.210", "dns_name": "web-ha", "service": "nginx",
       "disk": {"device": "/srv/webfarm-disk", "directory": "/srv/webfarm", "fstype": "none", "options": "bind"}}


def services(*svcs, options=OPTIONS):
    return webfarm_cluster_services(list(svcs), NET, NODES, options)


def test_a_service_is_one_group_disk_ip_unit_then_name():
    (group,) = services(WEB)
    assert group["id"] == "webfarm-web" and group["meta"] == {"resource-stickiness": 100}
    assert [m["id"] for m in group["group"]] == ["webfarm-web-disk", "webfarm-web-ip", "webfarm-web-service", "webfarm-web-name"]
    disk, ip, unit, name = group["group"]
    assert disk["params"] == {"device": "/srv/webfarm-disk", "directory": "/srv/webfarm", "fstype": "none", "options": "bind"}
    assert ip["params"] == {"ip": "10.213.0.210", "cidr_netmask": 24}
    # webfarm's agent for a systemd unit, not Pacemaker's systemd class (a
    # fixed 2 s wait on each start and stop)
    assert "class" not in unit and (unit["provider"], unit["type"], unit["params"]) == ("webfarm", "service", {"unit": "nginx"})
    assert name["type"] == "dnsupdate" and name["params"]["hostname"] == "web-ha.webfarm.test"
    assert name["params"]["ip"] == "10.213.0.210" and name["params"]["ttl"] == 5


def test_every_resource_restarts_in_place_before_the_group_moves():
    (group,) = services(WEB)
    for member in group["group"]:
        assert member["meta"] == {"migration-threshold": 2, "failure-timeout": "120s"}
        monitor = next(op for op in member["ops"] if op["name"] == "monitor")
        assert monitor["on-fail"] == "restart"
    assert next(op for op in group["group"][2]["ops"] if op["name"] == "monitor")["interval"] == "2s"


def test_a_service_may_be_just_a_vip_and_a_name_and_a_prefix_on_the_vip_counts():
    (group,) = services({"name": "ip", "vip": "10.213.0.211/25", "dns_name": "ip"})
    assert [m["type"] for m in group["group"]] == ["IPaddr2", "dnsupdate"]
    assert group["group"][0]["params"] == {"ip": "10.213.0.211", "cidr_netmask": 25}
    assert group["group"][1]["params"]["hostname"] == "ip.webfarm.test"
    (group,) = services({"name": "ip", "vip": "10.213.0.211/25", "vip_prefix": 26})
    assert group["group"][0]["params"]["cidr_netmask"] == 26


def test_the_disk_holding_a_path_is_found():
    from ansible_collections.webfarm.cluster.plugins.filter.webfarm_cluster import webfarm_cluster_disk_of

    other = {"name": "store", "vip": "10.213.0.212", "disk": {"device": "/d", "directory": "/srv/store", "fstype": "none"}}
    assert webfarm_cluster_disk_of([other, WEB], "/srv/webfarm/www") == "webfarm-web-disk"
    assert webfarm_cluster_disk_of([other, WEB], "/srv/webfarm") == "webfarm-web-disk"
    assert webfarm_cluster_disk_of([other, WEB], "/srv/webfarmer") == ""
    assert webfarm_cluster_disk_of([], "/srv/webfarm") == ""
    # Compared normalised, either side.
    assert webfarm_cluster_disk_of([other, WEB], "/srv//webfarm/./www/") == "webfarm-web-disk"
    assert webfarm_cluster_disk_of([{**WEB, "disk": {**WEB["disk"], "directory": "/srv/webfarm/"}}], "/srv/webfarm/www") \
        == "webfarm-web-disk"


@pytest.mark.parametrize(("change", "message"), [
    ({"name": "Web"}, r"pacemaker_cluster_services\[0\]: name 'Web' must be lower case"),
    ({"vip": "10.213.1.210"}, r"\(web\): vip 10.213.1.210 is outside the nodes' subnet 10.213.0.0/24"),
    ({"vip": "10.213.0.42"}, r"\(web\): vip 10.213.0.42 is a node's own address"),
    ({"vip": "10.213.0.255"}, "or is its network or broadcast address"),
    ({"vip": "nope"}, "vip 'nope' is not an IPv4 address"),
    ({"vip_prefix": 33}, "vip_prefix 33 must be a prefix length"),
    ({"dns_name": "web_ha"}, "dns_name 'web_ha' is not a valid DNS name"),
    ({"dns_name": "-web"}, "dns_name '-web' is not a valid DNS name"),
    ({"dns_name": "web.webfarm.test"}, "one label of letters, digits and '-', relative to the zone"),
    ({"disk": {"device": "/srv/d", "directory": "/", "fstype": "ext4"}},
     r"\(web\): disk.directory '/' is /, the whole file system"),
    ({"disk": {"device": "/srv/d", "directory": "srv/webfarm", "fstype": "ext4"}},
     "disk.directory 'srv/webfarm' must be an absolute path"),
    # The one rule for host paths (filter_plugins/webfarm_paths.py), in any spelling.
    ({"disk": {"device": "/dev/sdb", "directory": "/.", "fstype": "xfs"}}, "disk.directory '/.' is / once normalised"),
    ({"disk": {"device": "/dev/sdb", "directory": "//etc/", "fstype": "xfs"}}, "disk.directory '//etc/' is /etc once normalised"),
    ({"disk": {"device": "/dev/sdb", "directory": "/var", "fstype": "xfs"}}, "disk.directory '/var' is /var, a system tree"),
    ({"disk": {"device": "/dev/sdb", "directory": "/srv/../etc", "fstype": "xfs"}}, "must not contain a '..' segment"),
    ({"disk": {"device": "/dev/sdb", "directory": "/usr/share/web", "fstype": "xfs"}},
     "disk.directory '/usr/share/web' is inside /usr"),
    # A bind mount's source is a directory of the node too; a block device is not.
    ({"disk": {"device": "/etc", "directory": "/srv/webfarm", "fstype": "none", "options": "bind"}},
     r"disk.device '/etc' \(a bind mount's source directory\) is /etc, a system tree"),
    ({"disk": {"device": "/srv/../root", "directory": "/srv/webfarm", "fstype": "xfs", "options": "rw,bind"}},
     r"disk.device '/srv/../root' \(a bind mount's source directory\) must not contain a '..' segment"),
    ({"disk": {"device": "/", "directory": "/srv/webfarm", "fstype": "none"}}, "disk.device '/' must name"),
    ({"disk": {"device": "/dev/sdb", "directory": "/srv/webfarm", "fstype": ""}}, "disk.fstype '' must be"),
    ({"disk": {"device": "/dev/sdb", "directory": "/srv/w", "fstype": "xfs", "size": 1}}, "disk has unknown keys"),
    ({"service": "nginx; rm"}, "service 'nginx; rm' is not a systemd unit name"),
    ({"colour": "blue"}, r"unknown keys \['colour'\]"),
])
def test_a_bad_service_is_refused_naming_the_variable_and_entry(change, message):
    with pytest.raises(AnsibleFilterError, match=message):
        services({**WEB, **change})


def test_a_block_device_may_live_in_dev_and_a_mount_point_in_var():
    (group,) = services({**WEB, "disk": {"device": "/dev/disk/by-label/webfarm", "directory": "/var/lib/webfarm/www",
                                         "fstype": "xfs"}})
    assert group["group"][0]["params"]["device"] == "/dev/disk/by-label/webfarm"


STORE = {"name": "store", "vip": "10.213.0.211", "service": "redis-server",
         "disk": {"device": "/srv/webfarm-store-disk", "directory": "/srv/webfarm-store", "fstype": "none", "options": "bind"}}


def test_two_services_on_neighbouring_directories_are_fine():
    assert [g["id"] for g in services(WEB, STORE)] == ["webfarm-web", "webfarm-store"]


@pytest.mark.parametrize("store, message", [
    ({"vip": "10.213.0.210"},
     r"pacemaker_cluster_services\[1\] \(store\): vip 10.213.0.210 is already the vip of pacemaker_cluster_services\[0\] \(web\)"),
    ({"vip": "10.213.0.210/24"}, r"\(store\): vip 10.213.0.210 is already the vip of pacemaker_cluster_services\[0\] \(web\)"),
    ({"disk": {**STORE["disk"], "device": "/srv/webfarm-disk"}},
     r"\(store\): disk.device '/srv/webfarm-disk' is already the disk of pacemaker_cluster_services\[0\] \(web\)"),
    ({"disk": {**STORE["disk"], "device": "/srv//webfarm-disk/"}}, "disk.device '/srv/webfarm-disk' is already the disk of"),
    ({"disk": {"device": "/dev/sdb", "directory": "/srv/webfarm", "fstype": "xfs"}},
     r"\(store\): disk.directory '/srv/webfarm' overlaps '/srv/webfarm', the mount point of pacemaker_cluster_services\[0\] \(web\)"),
    ({"disk": {"device": "/dev/sdb", "directory": "/srv/webfarm/store", "fstype": "xfs"}},
     "disk.directory '/srv/webfarm/store' overlaps '/srv/webfarm'"),
    ({"disk": {"device": "/dev/sdb", "directory": "/srv", "fstype": "xfs"}}, "disk.directory '/srv' overlaps '/srv/webfarm'"),
])
def test_two_services_never_share_a_vip_or_a_disk(store, message):
    with pytest.raises(AnsibleFilterError, match=message):
        services(WEB, {**STORE, **store})


def test_names_are_unique_and_dns_names_need_the_zone():
    with pytest.raises(AnsibleFilterError, match=r"pacemaker_cluster_services\[1\] \(web\): the name 'web' is used twice"):
        services(WEB, {**WEB, "vip": "10.213.0.211"})
    with pytest.raises(AnsibleFilterError, match="needs pacemaker_cluster_dns_zone, pacemaker_cluster_dns_server and pacemaker_cluster_dns_key"):
        services(WEB, options={**OPTIONS, "dns_keyfile": ""})
    with pytest.raises(AnsibleFilterError, match="pacemaker_cluster_services must be a list of mappings"):
        webfarm_cluster_services({"name": "web"}, NET, NODES, OPTIONS)
    with pytest.raises(AnsibleFilterError, match="the nodes' subnet 'no address' is not an IPv4 network"):
        webfarm_cluster_services([WEB], "no address", NODES, OPTIONS)


DOCKER = {"agent": "fence_docker", "params": {"ip": "10.213.0.9", "ssl_secure": 1}}


def test_one_device_per_node_keeps_off_its_target_and_the_winner_waits():
    out = webfarm_cluster_fencing([{**DOCKER, "name": "node1", "hosts": ["node1"]},
                                   {**DOCKER, "name": "node2", "hosts": ["node2"]}], ["node1", "node2"], "node1", 5)
    first, second = out["resources"]
    assert first["id"] == "webfarm-fence-node1" and first["class"] == "stonith" and first["type"] == "fence_docker"
    assert first["params"] == {"ip": "10.213.0.9", "ssl_secure": 1, "pcmk_host_list": "node1", "pcmk_delay_base": "node1:5s"}
    assert "pcmk_delay_base" not in second["params"]
    assert out["constraints"] == [
        {"id": "webfarm-fence-node1-avoids-node1", "rsc": "webfarm-fence-node1", "node": "node1", "score": "-INFINITY"},
        {"id": "webfarm-fence-node2-avoids-node2", "rsc": "webfarm-fence-node2", "node": "node2", "score": "-INFINITY"}]


def test_one_device_for_every_node_runs_anywhere():
    out = webfarm_cluster_fencing([{**DOCKER, "name": "all", "hosts": ["node1", "node2"]}], ["node1", "node2"], "node2", 0)
    assert out["resources"][0]["params"]["pcmk_host_list"] == "node1 node2"
    assert "pcmk_delay_base" not in out["resources"][0]["params"] and out["constraints"] == []


@pytest.mark.parametrize(("devices", "winner", "delay", "message"), [
    ([{**DOCKER, "name": "node1"}], "node1", 5, r"pacemaker_cluster_fence_devices\[0\] \(node1\): hosts must list the cluster nodes"),
    ([{**DOCKER, "name": "node1", "hosts": []}], "node1", 5, "hosts must list"),
    ([{**DOCKER, "name": "node1", "hosts": ["node9"]}], "node1", 5, r"hosts \['node9'\] are not cluster nodes"),
    ([{**DOCKER, "name": "node1", "hosts": ["node1"]}], "node1", 5, "no device fences node2"),
    ([{**DOCKER, "name": "n", "agent": "ipmi", "hosts": ["node1", "node2"]}], "node1", 5, "agent 'ipmi' must be a fence agent"),
    ([{**DOCKER, "name": "n", "hosts": ["node1", "node2"], "params": {"pcmk_host_list": "x"}}], "node1", 5,
     "give the nodes as hosts"),
    ([{**DOCKER, "name": "n", "hosts": ["node1", "node2"]}] * 2, "node1", 5, "the name 'n' is used twice"),
    ([{**DOCKER, "name": "n", "hosts": ["node1", "node2"]}], "node3", 5, "pacemaker_cluster_fence_winner 'node3' is not a cluster node"),
    ([{**DOCKER, "name": "n", "hosts": ["node1", "node2"]}], "node1", 99, "pacemaker_cluster_fence_delay 99 must be 0 to 60"),
    ("node1", "node1", 5, "pacemaker_cluster_fence_devices must be a list of mappings"),
])
def test_a_bad_fence_device_is_refused_naming_it(devices, winner, delay, message):
    with pytest.raises(AnsibleFilterError, match=message):
        webfarm_cluster_fencing(devices, ["node1", "node2"], winner, delay)


def test_the_service_may_be_an_ocf_agent_instead_of_a_unit():
    nginx = {"type": "nginx", "params": {"httpd": "/usr/sbin/nginx", "configfile": "/etc/nginx/nginx.conf"}}
    (group,) = services({**WEB, "service": None, "agent": nginx})
    unit = group["group"][2]
    assert unit["id"] == "webfarm-web-service" and unit["type"] == "nginx" and unit["provider"] == "heartbeat"
    assert unit["params"] == nginx["params"] and "class" not in unit
    with pytest.raises(AnsibleFilterError, match="give service .* or agent .*, not both"):
        services({**WEB, "agent": nginx})
    with pytest.raises(AnsibleFilterError, match="agent must be a mapping with a type"):
        services({**WEB, "service": None, "agent": {"params": {}}})
    with pytest.raises(AnsibleFilterError, match=r"agent has unknown keys \['class'\]"):
        services({**WEB, "service": None, "agent": {**nginx, "class": "lsb"}})


NET6 = "fd00:213::41/64"
NODES6 = ["fd00:213::41", "fd00:213::42"]


def test_a_vip6_is_an_ipaddr2_of_its_own_right_after_the_ipv4_one():
    (group,) = webfarm_cluster_services([{**WEB, "vip6": "FD00:213:0::210"}], NET, NODES, OPTIONS, NET6, NODES6)
    assert [m["id"] for m in group["group"]] == ["webfarm-web-disk", "webfarm-web-ip", "webfarm-web-ip6",
                                                 "webfarm-web-service", "webfarm-web-name"]
    ip6 = group["group"][2]
    assert (ip6["type"], ip6["params"]) == ("IPaddr2", {"ip": "fd00:213::210", "cidr_netmask": 64, "nodad": "true",
                                                        "arp_bg": "true"})
    assert [m["id"] for m in services(WEB)[0]["group"]] == ["webfarm-web-disk", "webfarm-web-ip", "webfarm-web-service",
                                                           "webfarm-web-name"], "no vip6: the group is as before"


@pytest.mark.parametrize("change, network6, message", [
    ({"vip": "fd00:213::210"}, NET6, r"\[0\] \(web\): vip 'fd00:213::210' is an IPv6 address, and vip holds the IPv4 one: "
                                     "put it in vip6"),
    ({"vip6": "10.213.0.212"}, NET6, "vip6 '10.213.0.212' is an IPv4 address, and vip6 holds the IPv6 one"),
    ({"vip6": "fe80::210"}, NET6, "vip6 'fe80::210' cannot be a virtual IP: link-local"),
    ({"vip6": "ff02::1"}, NET6, "cannot be a virtual IP: multicast"),
    ({"vip6": "fd00:999::210"}, NET6, r"vip6 fd00:999::210 is outside the nodes' IPv6 prefix fd00:213::/64"),
    ({"vip6": "fd00:213::41"}, NET6, "vip6 fd00:213::41 is a node's own address"),
    ({"vip6": "fd00:213::210"}, None, "the nodes have no IPv6 address: give each node its webfarm_address6"),
])
def test_a_bad_vip6_is_named(change, network6, message):
    with pytest.raises(AnsibleFilterError, match=message):
        webfarm_cluster_services([{**WEB, **change}], NET, NODES, OPTIONS, network6, NODES6)


def test_two_services_may_not_share_a_vip6():
    store = {"name": "store", "vip": "10.213.0.211", "vip6": "fd00:213::210", "service": "redis-server"}
    with pytest.raises(AnsibleFilterError, match="vip6 fd00:213::210 is already the vip6 of"):
        webfarm_cluster_services([{**WEB, "vip6": "fd00:213::210"}, store], NET, NODES, OPTIONS, NET6, NODES6)
