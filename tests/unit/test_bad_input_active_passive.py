"""A wrong inventory stops the active_passive playbook before any host
changes, naming the variable (check mode against `local` cluster nodes)."""
from __future__ import annotations

import pytest
from bad_input_cases import bad_inputs
from test_bad_input_rr_dns import GOOD as RR_DNS_GOOD
from test_bad_input_web_farm import NODE_PACKAGES

from lab.playbook import assert_stopped_before_changes, check_on_local_hosts

SERVICE = {"name": "web", "vip": "10.213.0.210", "dns_name": "web-ha", "agent": {"type": "nginx"},
           "disk": {"device": "/srv/webfarm-disk", "directory": "/srv/webfarm", "fstype": "none", "options": "bind"}}
STORE = {"name": "store", "vip": "10.213.0.211", "service": "redis-server",
         "disk": {"device": "/srv/webfarm-store-disk", "directory": "/srv/webfarm-store", "fstype": "none", "options": "bind"}}
DEVICE = {"agent": "fence_ipmilan", "params": {"ip": "192.0.2.1"}}
GOOD = {
    "pacemaker_cluster_hacluster_password": "a-good-long-password",
    "pacemaker_cluster_corosync_authkey": "k" * 128,
    "pacemaker_cluster_dns_key_secret": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIz",
    "pacemaker_cluster_fence_devices": [{**DEVICE, "name": f"node{i}", "hosts": [f"node{i}"]} for i in (1, 2, 3, 4, 5)],
    "pacemaker_cluster_services": [SERVICE],
    # Given, so nothing is read from this machine's interfaces.
    "pacemaker_cluster_network": "10.213.0.0/24",
    "web_node_service_manager": "cluster",
}
# The first tasks that would change a host: the arbiter's, web_node's, then the cluster's.
FIRST_CHANGES = ("Install the packages for the quorum device", "Give the arbiter's hacluster user its password",
                 "Install the web node packages", "Install the site checker", "Install the cluster packages",
                 "Give the hacluster user its password")
# The first task past the checks when the inventory has a quorum device.
ARBITER_PACKAGES = "Find which packages are missing for the quorum device"
ARBITER = {"arb1": {"webfarm_address": "10.213.0.71"}}


def run_ap(tmp_path, nodes=2, dns=True, until=None, arbiter=None, **overrides):
    groups = {"active_passive": {f"node{i}": {"webfarm_address": f"10.213.0.{40 + i}"} for i in range(1, nodes + 1)}}
    variables = {**GOOD, **overrides}
    if arbiter:
        groups["quorum_device"] = arbiter
        variables = {"quorum_device_hacluster_password": "an-arbiter-password", **variables}
    if dns:
        # The preflight checks the name server too: its keys, and a service
        # group of the inventory's (here the cluster's nodes).
        groups["rr_dns"] = {"dns1": {"webfarm_address": "10.213.0.21"}}
        variables = {**RR_DNS_GOOD, "dns_server_service_group": "active_passive", **variables}
    variables["pacemaker_cluster_fence_devices"] = [d for d in variables["pacemaker_cluster_fence_devices"]
                                             if all(h in groups["active_passive"] for h in d.get("hosts") or [])]
    return check_on_local_hosts(tmp_path, "active_passive.yml", groups, variables, until=until)


def test_good_input_passes_the_checks(tmp_path):
    out = run_ap(tmp_path, until=NODE_PACKAGES)
    # Past the checks, the play reaches the web node's first task.
    assert NODE_PACKAGES in out.stdout, out.stdout[-3000:]


@pytest.mark.parametrize("overrides, message", bad_inputs("active_passive"))
def test_bad_input_stops_the_play_naming_the_variable(tmp_path, overrides, message):
    assert_stopped_before_changes(run_ap(tmp_path, **overrides), [message], FIRST_CHANGES)


def test_one_node_is_not_a_cluster(tmp_path):
    assert_stopped_before_changes(run_ap(tmp_path, nodes=1), ["lists one node; a one-node cluster has nobody to fail over to"],
                                  FIRST_CHANGES)


def test_more_than_four_nodes_need_the_explicit_switch(tmp_path):
    assert_stopped_before_changes(run_ap(tmp_path, nodes=5), ["lists more than four nodes"], FIRST_CHANGES)
    out = run_ap(tmp_path, nodes=5, pacemaker_cluster_allow_more_nodes=True, until=NODE_PACKAGES)
    assert NODE_PACKAGES in out.stdout, out.stdout[-3000:]


def test_fencing_off_is_allowed_only_acknowledged_and_then_warns(tmp_path):
    out = run_ap(tmp_path, pacemaker_cluster_fencing=False, pacemaker_cluster_fencing_disabled_acknowledged=True, until=NODE_PACKAGES)
    assert "WARNING: pacemaker_cluster_fencing is false (acknowledged)" in out.stdout, out.stdout[-3000:]


def test_a_network_name_without_a_dns_server_is_refused(tmp_path):
    assert_stopped_before_changes(run_ap(tmp_path, dns=False), ["dns_name 'web-ha' needs pacemaker_cluster_dns_zone"], FIRST_CHANGES)


def test_two_services_and_fence_files_of_the_roles_own_pass_the_checks(tmp_path):
    out = run_ap(tmp_path, pacemaker_cluster_services=[SERVICE, STORE],
                 pacemaker_cluster_fence_files=[{"path": "/etc/webfarm/cluster/fence-client.crt", "content": "x"},
                                         {"path": "/root/.aws/credentials", "content": "y"}], until=NODE_PACKAGES)
    assert NODE_PACKAGES in out.stdout, out.stdout[-3000:]


def test_placeholders_left_for_the_secrets_are_refused_by_name(tmp_path):
    # Each long enough, or base64, for the role's other checks.
    placeholders = {"pacemaker_cluster_hacluster_password": "CHANGE-ME-PLEASE", "pacemaker_cluster_corosync_authkey": "CHANGE-ME" * 15,
                    "pacemaker_cluster_dns_key_secret": "changemechangemechangeme",
                    "pacemaker_cluster_fence_devices": [{**DEVICE, "name": f"node{i}", "hosts": [f"node{i}"],
                                                  "params": {**DEVICE["params"], "password": "REPLACE_ME"}} for i in (1, 2)]}
    out = run_ap(tmp_path, **placeholders)
    assert_stopped_before_changes(out, [
        "pacemaker_cluster_hacluster_password, pacemaker_cluster_corosync_authkey, pacemaker_cluster_dns_key_secret, "
        'pacemaker_cluster_fence_devices[0].params.password, pacemaker_cluster_fence_devices[1].params.password = "(hidden)": '
        "still hold a placeholder"], FIRST_CHANGES,
        hidden=["CHANGE-ME-PLEASE", "CHANGE-ME" * 2, "changemechangemechangeme", "REPLACE_ME"])


def test_site_yml_refuses_a_bad_cluster_input_before_the_web_farm_changes(tmp_path):
    """site.yml runs the web farm's play first: the cluster's inputs are
    checked before it (playbooks/preflight.yml), not when active_passive.yml
    starts."""
    groups = {"active_passive": {f"node{i}": {"webfarm_address": f"10.213.0.{40 + i}"} for i in (1, 2)},
              "rr_dns": {"dns1": {"webfarm_address": "10.213.0.21"}}}
    # The name server's own inputs, as run_ap gives them.
    dns = {**RR_DNS_GOOD, "dns_server_service_group": "active_passive"}
    out = check_on_local_hosts(tmp_path, "site.yml", groups, {**GOOD, **dns, "pacemaker_cluster_totem_token": 100})
    assert_stopped_before_changes(out, ['pacemaker_cluster_totem_token = "100": must be 1000 to 60000 ms'],
                                  ("Install the site checker", "Install BIND", *FIRST_CHANGES))


def test_a_cluster_with_a_quorum_device_passes_the_checks(tmp_path):
    # The arbiter's play comes first: past every check, it reaches its packages.
    out = run_ap(tmp_path, arbiter=ARBITER, until=ARBITER_PACKAGES)
    assert ARBITER_PACKAGES in out.stdout, out.stdout[-3000:]


@pytest.mark.parametrize("arbiter, nodes, overrides, message", [
    # The arbiter decides between the nodes: never one of them.
    (ARBITER, 2, {"pacemaker_cluster_quorum_device": "node1"},
     'pacemaker_cluster_quorum_device = "node1": must be a host of the inventory\'s quorum_device group that is not a '
     "cluster node"),
    # ffsplit is for an even cluster; an odd one breaks its own ties.
    (ARBITER, 3, {}, 'pacemaker_cluster_quorum_device_algorithm = "ffsplit": decides a split into two equal halves, '
                     "for 2 or 4 nodes; this cluster has 3. Use lms (any number of nodes), or no quorum device"),
    ({**ARBITER, "arb2": {"webfarm_address": "10.213.0.72"}}, 2, {},
     'quorum_device (inventory group) = "[\'arb1\', \'arb2\']": holds more than one host; a cluster has one arbiter'),
    (ARBITER, 2, {"quorum_device_hacluster_password": "CHANGE-ME-PLEASE"},
     'quorum_device_hacluster_password = "(hidden)": must be set, 12 characters or more, not the example\'s placeholder'),
    (ARBITER, 2, {"quorum_device_hacluster_password": "short"}, 'quorum_device_hacluster_password = "(hidden)"'),
    ({"arb1": {}}, 2, {}, "host 'arb1' has no webfarm_address"),
])
def test_a_bad_quorum_device_is_refused_naming_the_variable(tmp_path, arbiter, nodes, overrides, message):
    out = run_ap(tmp_path, nodes=nodes, arbiter=arbiter, **overrides)
    assert_stopped_before_changes(out, [message], FIRST_CHANGES, hidden=["CHANGE-ME-PLEASE"])


def test_an_odd_cluster_may_have_a_quorum_device_with_lms(tmp_path):
    out = run_ap(tmp_path, nodes=3, arbiter=ARBITER, pacemaker_cluster_quorum_device_algorithm="lms", until=ARBITER_PACKAGES)
    assert ARBITER_PACKAGES in out.stdout, out.stdout[-3000:]
