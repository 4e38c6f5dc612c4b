"""The web farm: nginx nodes that name themselves, answer /health, and are
reachable from the client. Runs against any inventory with a web_farm group
and a client (the lab, molecule/web_farm, real hosts)."""
from __future__ import annotations

import pytest


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
    return f"http://{node.inv.address}:{node.inv.var('web_node_port', 80)}{path}"


def header(node):
    return node.inv.var("web_node_header", "X-Served-By").lower()


def test_nginx_is_running_and_enabled(web_node):
    nginx = web_node.host.service("nginx")
    assert nginx.is_running
    assert nginx.is_enabled


def test_node_answers_client_with_its_own_name(web_node, client):
    status, headers, body = http_get(client, url(web_node))
    assert status == 200
    assert headers[header(web_node)] == web_node.name
    assert "webfarm" in body


def test_health_is_200_and_names_the_node(web_node, client):
    status, headers, body = http_get(client, url(web_node, web_node.inv.var("web_node_health_path", "/health")))
    assert status == 200
    assert body.strip() == f"ok {web_node.name}"
    assert headers[header(web_node)] == web_node.name


def test_maintenance_file_drains_health_then_restores_it(web_node, client):
    flag = web_node.inv.var("web_node_maintenance_file", "/var/lib/webfarm/maintenance")
    health = url(web_node, web_node.inv.var("web_node_health_path", "/health"))
    assert web_node.host.run("touch %s", flag).rc == 0
    try:
        status, headers, body = http_get(client, health)
        assert status == 503
        assert body.strip() == f"maintenance {web_node.name}"
        assert headers[header(web_node)] == web_node.name  # errors name the node too
        assert http_get(client, url(web_node))[0] == 200  # the site itself keeps serving
    finally:
        web_node.host.run("rm -f %s", flag)
    assert http_get(client, health)[0] == 200


def test_site_checker_refuses_a_broken_site(web_node):
    broken = web_node.host.run("printf 'server { listen 80; bogus_directive on; }\\n' > /tmp/webfarm-broken.conf")
    assert broken.rc == 0
    try:
        out = web_node.host.run("/usr/local/sbin/webfarm-nginx-check-site /tmp/webfarm-broken.conf")
        assert out.rc != 0
        assert "bogus_directive" in out.stderr
    finally:
        web_node.host.run("rm -f /tmp/webfarm-broken.conf")
    live = web_node.host.run("/usr/local/sbin/webfarm-nginx-check-site /etc/nginx/sites-enabled/webfarm.conf")
    assert live.rc == 0, live.stderr


@pytest.mark.parametrize("path", ["/does-not-exist.html"])
def test_missing_page_is_404_and_still_names_the_node(web_node, client, path):
    status, headers, _ = http_get(client, url(web_node, path))
    assert status == 404
    assert headers[header(web_node)] == web_node.name
