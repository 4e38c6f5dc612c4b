"""The lab's picture is drawn from the inventory: every host with its
address in its topology's box, the VIPs, and the links between them."""
from __future__ import annotations

from lab.diagram import dot
from lab.inventory import LAB_INVENTORY, ROOT, Inventory


def inventory(**extra: dict) -> Inventory:
    hostvars = {
        "client": {"webfarm_address": "10.0.0.100"},
        "lb1": {"webfarm_address": "10.0.0.31", "lb_keepalived_vips": [{"address": "10.0.0.200"}]},
        "lb2": {"webfarm_address": "10.0.0.32", "lb_keepalived_vips": [{"address": "10.0.0.200"}]},
        "web1": {"webfarm_address": "10.0.0.11"}, "web2": {"webfarm_address": "10.0.0.12"},
        "node1": {"webfarm_address": "10.0.0.41", "pacemaker_cluster_services": [{"name": "store", "vip": "10.0.0.211"}]},
        "node2": {"webfarm_address": "10.0.0.42", "pacemaker_cluster_services": [{"name": "store", "vip": "10.0.0.211"}]},
    }
    for name, more in extra.items():
        hostvars[name].update(more)
    data = {"_meta": {"hostvars": hostvars},
            "all": {"children": ["clients", "nlb", "web_farm", "active_passive", "session_store"]},
            "clients": {"hosts": ["client"]}, "nlb": {"hosts": ["lb1", "lb2"]},
            "web_farm": {"hosts": ["web1", "web2"]}, "active_passive": {"hosts": ["node1", "node2"]},
            "session_store": {"children": ["active_passive"]}}
    return Inventory("unit", data)


def test_every_host_is_drawn_once_in_its_topology_with_its_address():
    text = dot(inventory())
    for name, address in (("lb1", "10.0.0.31"), ("web2", "10.0.0.12"), ("node2", "10.0.0.42")):
        assert text.count(f'{name} [label="{name}\\n{address}"]') == 1, text
    # The store's hosts are the cluster's: no box of their own.
    assert "cluster_session_store" not in text and "cluster_active_passive" in text


def test_the_vips_and_the_traffic_are_drawn():
    text = dot(inventory())
    assert 'vip_10_0_0_200 [shape=ellipse' in text and 'label="VIP (store)\\n10.0.0.211"' in text
    assert 'client -> vip_10_0_0_200 [label="HTTPS"]' in text
    assert "vip_10_0_0_200 -> lb1 [style=solid" in text and "vip_10_0_0_200 -> lb2 [style=dashed" in text
    assert "lb1 -> web1 [lhead=cluster_web_farm" in text
    assert 'web1 -> vip_10_0_0_211 [ltail=cluster_web_farm, label="sessions"]' in text
    assert text.startswith("digraph webfarm {") and text.rstrip().endswith("}")


def test_the_readmes_picture_matches_the_lab_inventory():
    # docs/lab.svg is made by `make diagram`: every lab host, with its
    # address, is in it (run make diagram after changing the inventory).
    svg = (ROOT / "docs" / "lab.svg").read_text()
    for host in Inventory.load(LAB_INVENTORY).hosts():
        assert f">{host.name}</text>" in svg and f">{host.address}</text>" in svg, \
            f"{host.name} ({host.address}) is not in docs/lab.svg: run make diagram"


def test_a_dual_stack_host_and_vip_show_their_ipv6_address_under_the_ipv4_one():
    vips = [{"address": "10.0.0.200", "address6": "fd00::200"}]
    text = dot(inventory(web1={"webfarm_address6": "fd00::11"}, lb1={"lb_keepalived_vips": vips},
                         lb2={"lb_keepalived_vips": vips}))
    assert 'web1 [label="web1\\n10.0.0.11\\nfd00::11"]' in text, text
    assert 'web2 [label="web2\\n10.0.0.12"]' in text, "an IPv4-only host keeps one line"
    assert 'label="VIP\\n10.0.0.200\\nfd00::200"' in text, text
