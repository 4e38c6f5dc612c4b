"""inventories/production.example is a working starting point: with real
secrets in place, every topology's checks accept it; with its placeholders
left in, the play stops and names the secret to replace.

Check mode over a `local` connection: only the input checks, which run
before any task that touches a host, are exercised here."""
from __future__ import annotations

import datetime

import certs
import pytest

from lab.inventory import ROOT
from lab.playbook import LINEAR, run_playbook
from lab.playbook import LOCAL as LOCAL_HOSTS

EXAMPLE = ROOT / "inventories" / "production.example"
LOCAL = {**LOCAL_HOSTS, "ansible_become": False}
SECRET = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2U="
SECRETS = {**{f"dns_server_{key}_key_secret": SECRET for key in ("transfer", "admin", "health")},
           "lb_haproxy_stats_password": "a-good-long-password",
           "pacemaker_cluster_hacluster_password": "a-good-long-password", "pacemaker_cluster_corosync_authkey": "k" * 128,
           "pacemaker_cluster_dns_key_secret": SECRET, "session_store_password": "a-good-long-store-password",
           "vault_ipmi_password": "a-good-ipmi-password", "quorum_device_hacluster_password": "a-good-arbiter-password",
           "content_sync_ssh_private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
           "web_node_content_sync_public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Q= content sync"}
_NOW = datetime.datetime.now(datetime.UTC)
_PAIR = certs.ca_and_leaf(["www.example.com"], not_before=_NOW - datetime.timedelta(days=1),
                          not_after=_NOW + datetime.timedelta(days=90))
SECRETS["lb_haproxy_tls_certificates"] = [{"name": "www", "certificate": _PAIR["cert"] + _PAIR["ca"], "key": _PAIR["key"]}]
# Every topology playbook checks the monitor's settings first.
MONITOR = {"farm_monitor_stats_password": "a-good-long-password", "farm_monitor_store_password": "a-good-long-store-password",
           "farm_monitor_ssh_private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
           "farm_monitor_ssh_public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Q= monitor",
           "farm_monitor_page_users": [{"user": "viewer", "password": "a-good-long-password"}]}
# This machine holds no balancer or cluster address: say which interface and subnet.
BALANCERS = {"lb_keepalived_interface": "eth0", "lb_keepalived_network": "198.51.100.0/24",
             "pacemaker_cluster_network": "198.51.100.0/24", "session_store_network": "198.51.100.0/24"}


@pytest.mark.parametrize("playbook, first_change", [
    ("web_farm.yml", "Create the drop-in directory of Redis's unit"),
    ("rr_dns.yml", "Install BIND"),
    ("nlb.yml", "Give HAProxy's unit its file limit"),
    ("active_passive.yml", "Install the web node packages"),
    ("monitor.yml", "Find which packages are missing for the farm monitor"),
])
def test_the_example_passes_every_check(playbook, first_change):
    # Past the checks, the play reaches its first task that changes a host
    # (and may fail later: this machine is no web node or name server).
    out = run_playbook(EXAMPLE, playbook, extra_vars={**LOCAL, **SECRETS, **MONITOR, **BALANCERS}, check=True,
                       timeout=180, env=LINEAR, until=first_change)
    assert first_change in out.stdout, out.stdout[-3000:] + out.stderr[-2000:]


@pytest.mark.parametrize("playbook, secret, first_change", [
    ("rr_dns.yml", "dns_server_transfer_key_secret", "Install BIND"),
    ("nlb.yml", "lb_haproxy_stats_password", "Give HAProxy's unit its file limit"),
    ("nlb.yml", "lb_haproxy_tls_certificates[0].certificate", "Give HAProxy's unit its file limit"),
    ("active_passive.yml", "pacemaker_cluster_hacluster_password", "Install the web node packages"),
    # The fence devices' IPMI password, a placeholder inside a device's params.
    ("active_passive.yml", "pacemaker_cluster_fence_devices[0].params.password", "Install the web node packages"),
    # The arbiter's login, checked with the cluster's inputs.
    ("active_passive.yml", "quorum_device_hacluster_password", "Install the web node packages"),
    # The cluster's key for its network name, a delegated name of the zone:
    # the preflight names it as the cluster's variable, before BIND changes.
    ("rr_dns.yml", "pacemaker_cluster_dns_key_secret", "Install BIND"),
    ("web_farm.yml", "session_store_password", "Create the drop-in directory of Redis's unit"),
    # The monitor's settings are checked first by every topology playbook.
    ("nlb.yml", "farm_monitor_stats_password", "Give HAProxy's unit its file limit"),
    ("monitor.yml", "farm_monitor_ssh_private_key", "Find which packages are missing for the farm monitor"),
    ("monitor.yml", "farm_monitor_page_users", "Find which packages are missing for the farm monitor"),
])
def test_the_placeholder_secrets_are_refused_by_name(playbook, secret, first_change):
    # Every other secret given: only this placeholder is left to stop the play.
    monitor = {} if secret.startswith("farm_monitor_") else MONITOR
    withheld = {"pacemaker_cluster_fence_devices[0].params.password": "vault_ipmi_password"}.get(secret, secret.split("[")[0])
    others = {k: v for k, v in SECRETS.items() if k != withheld}
    out = run_playbook(EXAMPLE, playbook, extra_vars={**LOCAL, **others, **monitor, **BALANCERS}, check=True,
                       timeout=180, env=LINEAR)
    assert out.returncode != 0
    assert secret in out.stdout, out.stdout[-3000:]
    assert first_change not in out.stdout, "a host changed before the secrets were checked"
