"""The web farm: nginx nodes that name themselves, answer /health, and are
reachable from the client. Runs against any inventory with a web_farm group
and a client (the lab, molecule/web_farm, real hosts).

Tests marked `drill` change a node and put it back; the others only read.
"""
from __future__ import annotations

import os

import pytest

from lab.playbook import run_playbook

SITE = "/etc/nginx/sites-available/webfarm.conf"


def http_get(client, url):
    """GET url from the client; return (status, headers, body)."""
    out = client.host.run("curl -sS -m 5 -D - %s", url)
    assert out.rc == 0, f"client could not reach {url}: {out.stderr}"
    head, _, body = out.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.splitlines()
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def url(node, path="/"):
    return node.inv.url("web_node_port", path)


def health_url(node):
    return url(node, node.inv.var("web_node_health_path"))


def header(node):
    return node.inv.var("web_node_header").lower()


@pytest.mark.skipif(not os.environ.get("WEBFARM_SUITE"), reason="WEBFARM_SUITE selects no Debian release")
def test_node_runs_the_selected_debian_release(web_node):
    assert web_node.host.system_info.codename == os.environ["WEBFARM_SUITE"]


def test_nginx_is_running_and_enabled_at_boot(web_node):
    web_node.assert_running("nginx")


def test_node_answers_client_with_its_own_name(web_node, client):
    status, headers, body = http_get(client, url(web_node))
    assert status == 200
    assert headers[header(web_node)] == web_node.name
    assert "webfarm" in body
    assert headers["server"] == "nginx", "the nginx version is not disclosed"


def test_health_is_200_and_names_the_node(web_node, client):
    status, headers, body = http_get(client, health_url(web_node))
    assert status == 200
    assert body.strip() == f"ok {web_node.name}"
    assert headers[header(web_node)] == web_node.name


def test_missing_page_is_404_and_still_names_the_node(web_node, client):
    status, headers, _ = http_get(client, url(web_node, "/does-not-exist.html"))
    assert status == 404
    assert headers[header(web_node)] == web_node.name


def test_site_checker_refuses_a_broken_site(web_node):
    broken = web_node.host.run("printf 'server { listen 80; bogus_directive on; }\\n' > /tmp/webfarm-broken.conf")
    assert broken.rc == 0
    try:
        out = web_node.host.run("/usr/local/sbin/webfarm-nginx-check-site /tmp/webfarm-broken.conf")
        assert out.rc != 0
        assert "bogus_directive" in out.stderr
    finally:
        web_node.host.run("rm -f /tmp/webfarm-broken.conf")
    live = web_node.host.run("/usr/local/sbin/webfarm-nginx-check-site /etc/nginx/sites-enabled/webfarm.conf "
                             "/etc/nginx/conf.d/webfarm-node.conf")
    assert live.rc == 0, live.stderr


@pytest.mark.drill
def test_maintenance_file_drains_health_then_restores_it(web_node, client):
    flag = web_node.inv.var("web_node_maintenance_file")
    if web_node.host.file(flag).exists:
        pytest.skip(f"{web_node.name} is drained already; leaving it so")
    assert web_node.host.run("touch %s", flag).rc == 0
    try:
        status, headers, body = http_get(client, health_url(web_node))
        assert status == 503
        assert body.strip() == f"maintenance {web_node.name}"
        assert headers[header(web_node)] == web_node.name  # errors name the node too
        assert http_get(client, url(web_node))[0] == 200  # the site itself keeps serving
    finally:
        web_node.host.run("rm -f %s", flag)
    assert http_get(client, health_url(web_node))[0] == 200


@pytest.mark.drill
def test_node_without_content_is_unhealthy(web_node, client):
    index = f"{web_node.inv.var('web_node_content_root')}/index.html"
    assert web_node.host.file(index).exists
    assert web_node.host.run("mv %s %s.away", index, index).rc == 0
    try:
        status, _, body = http_get(client, health_url(web_node))
        assert (status, body.strip()) == (503, f"no content {web_node.name}")
    finally:
        web_node.host.run("mv %s.away %s", index, index)
    assert http_get(client, health_url(web_node))[0] == 200


@pytest.mark.drill
def test_role_drains_a_node_and_brings_it_back(web_nodes, client, inventory):
    node = web_nodes[-1]
    drained = run_playbook(inventory.source, "web_farm.yml", limit=node.name, extra_vars={"web_node_maintenance": True})
    try:
        assert drained.returncode == 0, drained.stdout[-3000:]
        assert http_get(client, health_url(node))[0] == 503
    finally:
        back = run_playbook(inventory.source, "web_farm.yml", limit=node.name, extra_vars={"web_node_maintenance": False})
    assert back.returncode == 0, back.stdout[-3000:]
    assert http_get(client, health_url(node))[0] == 200


@pytest.mark.drill
def test_site_that_nginx_refuses_is_rolled_back_and_never_reloaded(web_nodes, client, inventory):
    """A new site that passes on its own but clashes with another site on the
    host: the role puts the previous site file back and does not reload."""
    node = web_nodes[0]
    before = node.host.file(SITE).content_string
    clash = "/etc/nginx/sites-enabled/zz-webfarm-clash.conf"
    assert node.host.run("printf 'server { listen %s default_server; }\\n' > %s",
                         str(node.inv.var("web_node_port")), clash).rc == 0
    try:
        out = run_playbook(inventory.source, "web_farm.yml", limit=node.name, extra_vars={"web_node_header": "X-Never-Live"})
        text = out.stdout + out.stderr
        assert out.returncode != 0, text[-3000:]
        assert "'Check the whole nginx configuration' failed" in text, text[-3000:]
        assert "the previous site file is back in place" in text
        assert node.host.file(SITE).content_string == before, "the refused site replaced the live one"
        leftovers = node.host.run("ls /etc/nginx/sites-available").stdout.split()
        assert leftovers == ["default", "webfarm.conf"], f"a backup of the site was left behind: {leftovers}"
        status, headers, _ = http_get(client, url(node))
        assert status == 200 and "x-never-live" not in headers, "nginx was reloaded with the refused site"
    finally:
        node.host.run("rm -f %s", clash)
    assert node.host.run("nginx -t").rc == 0


# Configuration replication is Ansible's job: one set of templates, so the
# nodes' configuration files are byte for byte the same. Only the node's
# name differs, in a file of its own.
SHARED_CONFIG = ["/etc/nginx/sites-available/webfarm.conf", "/etc/webfarm/session-app.json",
                 "/etc/systemd/system/webfarm-session-app.service", "/usr/local/lib/webfarm/webfarm_session_app.py"]


def test_nodes_with_the_same_inputs_have_identical_configuration(web_nodes):
    def inputs(node):
        return tuple(sorted((k, repr(v)) for k, v in node.inv.vars.items()
                            if k.startswith(("web_node_", "session_app_")) and k != "web_node_name"))

    cohorts: dict[tuple, list] = {}
    for node in web_nodes:
        cohorts.setdefault(inputs(node), []).append(node)
    assert any(len(c) >= 2 for c in cohorts.values()), "no two nodes share their inputs: nothing to compare"
    for cohort in cohorts.values():
        sums = {n.name: n.host.run("sha256sum " + " ".join(["%s"] * len(SHARED_CONFIG)), *SHARED_CONFIG) for n in cohort}
        for name, out in sums.items():
            assert out.rc == 0, f"{name}: {out.stderr}"
        digests = {name: out.stdout.split()[::2] for name, out in sums.items()}
        first = cohort[0].name
        for name, digest in digests.items():
            differ = [f for f, a, b in zip(SHARED_CONFIG, digests[first], digest, strict=True) if a != b]
            assert not differ, f"{name} and {first} have the same inputs but different {differ}"
    for node in web_nodes:
        site = node.host.file(SHARED_CONFIG[0]).content_string
        assert f'"{node.name}"' not in site, f"{node.name}'s site names the node: it would differ between nodes"
        assert f'"{node.name}"' in node.host.file("/etc/nginx/conf.d/webfarm-node.conf").content_string
