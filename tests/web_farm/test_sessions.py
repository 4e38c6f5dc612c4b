"""Session state: the session app on every web node, its sessions in the
shared store (redis) or in each node (memory).

With the shared store a session's count keeps rising while its requests
land on different nodes, and survives the node that served it last; with
memory it does neither (the white paper's trade-off between in-process
session state, affinity and a shared state database). Through the nlb VIP
when the inventory has balancers (the site without affinity), else the
client spreads the requests over the nodes itself.
"""
from __future__ import annotations

import pytest

from lab import hosts, sessions, webclient
from lab.drill import wait_for


@pytest.fixture
def session(client, inventory):
    s = sessions.Session(client.inv, sessions.spread_urls(inventory))
    yield s
    s.close()


def _ok(replies):
    bad = [r for r in replies if r["http"] != 200]
    assert not bad, f"failed visits: {bad[:3]}"
    return [r["visits"] for r in replies], [r["node"] for r in replies]


def test_the_app_answers_on_every_node_naming_it(web_node, client, inventory):
    s = sessions.Session(client.inv, [web_node.inv.url("web_node_port", sessions.app_path(inventory))])
    try:
        (reply,) = s.visit(1)
    finally:
        s.close()
    assert reply["http"] == 200, reply
    assert (reply["node"], reply["backend"], reply["visits"]) == (web_node.name, sessions.backend(inventory), 1)


def test_a_sessions_count_follows_the_backend_across_nodes(session, inventory):
    visits, nodes = _ok(session.visit(12))
    assert len(set(nodes)) >= 2, f"every visit landed on one node ({nodes}): the requests were not spread"
    if sessions.backend(inventory) == "redis":
        pairs = list(zip(nodes, visits, strict=True))
        assert visits == list(range(1, 13)), f"the shared count did not rise by one per visit: {pairs}"
    else:
        assert max(visits) < 12, f"memory sessions are per node, yet the count rose across nodes: {visits}"
        for node in set(nodes):
            mine = [v for v, n in zip(visits, nodes, strict=True) if n == node]
            assert mine == list(range(1, len(mine) + 1)), f"{node} counted its own visits wrong: {mine}"


def test_the_session_cookie_is_secure_over_https_and_a_forged_scheme_is_not_believed(web_node, client, inventory):
    path = sessions.app_path(inventory)
    # Straight to a node over plain HTTP, claiming HTTPS: the client is no balancer, the claim is dropped.
    status, headers, _ = webclient.get(client.inv, web_node.inv.url("web_node_port", path),
                                       headers={"X-Forwarded-Proto": "https"})
    assert status == 200 and "set-cookie" in headers, headers
    assert "secure" not in headers["set-cookie"].lower(), f"a forged X-Forwarded-Proto was believed: {headers['set-cookie']}"
    https = [u for u in sessions.spread_urls(inventory) if u.startswith("https://")]
    if not https:
        pytest.skip("no balancer serves the app over HTTPS in this inventory")
    # Through a balancer that terminates HTTPS: the cookie must never travel over plain HTTP.
    status, headers, _ = webclient.get(client.inv, https[0])
    assert status == 200 and "; secure" in headers.get("set-cookie", "").lower(), \
        f"{https[0]}: the session cookie is not Secure over HTTPS: {headers.get('set-cookie')}"


def test_the_apps_store_login_counts_visits_and_may_do_nothing_else(inventory):
    """The app's Redis user (ACL) has its commands on its own keys only; the
    default user is off, so no client gets in without a user name."""
    stores = inventory.hosts("session_store")
    if not stores:
        pytest.skip("the inventory has no session store (session_store group)")
    store, _ = sessions.store_host(inventory)
    user, password = sessions.store_login(store)
    assert password, f"{store.name}: no login for the session app's user in /etc/redis/webfarm-auth.conf"
    prefix = str(stores[0].var("session_store_app_key_prefix") or "webfarm:session:")
    address = sessions.store_address(stores[0])

    def cli(*argv: str, login: tuple[str, str] = (user, password)) -> str:
        auth = ["--user", login[0], "--pass", login[1]] if login[1] else []
        out = hosts.run(store, "redis-cli", "-h", address, *auth, "--no-auth-warning", *argv, check=False)
        return (out.stdout + out.stderr).strip()

    key = f"{prefix}acl-test"
    assert cli("INCR", key).isdigit() and cli("EXPIRE", key, "5") == "1"
    for argv in (["FLUSHALL"], ["CONFIG", "GET", "dir"], ["KEYS", "*"], ["GET", key], ["INCR", "not-a-session"]):
        said = cli(*argv)
        assert "NOPERM" in said, f"the app's user ran {' '.join(argv)}: {said!r}"
    # The default user is off: its old password (the app's) and no password at all are refused.
    assert "WRONGPASS" in cli("AUTH", password, login=("", "")), "the default user takes the app's password"
    assert "NOAUTH" in cli("PING", login=("", "")), "the default user lets a client in without a user name"


@pytest.mark.drill
@pytest.mark.parametrize("kind", ["redis", "memory"])
def test_crash_the_node_that_served_last(inventory, client, kind):
    if kind == "redis" and not inventory.hosts("session_store"):
        pytest.skip("the inventory has no session store (session_store group)")
    nodes = {n.name: n for n in inventory.hosts("web_farm")}
    path = sessions.app_path(inventory)
    with sessions.switched(inventory, kind):
        s = sessions.Session(client.inv, sessions.spread_urls(inventory))
        try:
            visits, served = _ok(s.visit(6))
            last, count = nodes[served[-1]], visits[-1]
            hosts.crash(last)
            try:
                # Through the VIP HAProxy takes the node out; spreading by
                # hand, the client leaves it out.
                if not inventory.hosts("nlb"):
                    s.urls = [u for u in s.urls if last.address not in u]
                wait_for(lambda: s.visit(1)[0]["http"] == 200, timeout=30, interval=0.5)
                after, where = _ok(s.visit(4))
                assert last.name not in where, f"{last.name} is down yet answered"
            finally:
                hosts.restore(last)
            wait_for(lambda: hosts.run(last, "systemctl", "is-active", "webfarm-session-app", "nginx",
                                       check=False).returncode == 0, timeout=60)
            # Active is not yet answering (gunicorn binds after its start): a
            # session of its own asks until the app answers.
            probe = sessions.Session(client.inv, [last.url("web_node_port", path)])
            try:
                wait_for(lambda: probe.visit(1)[0].get("http") == 200, timeout=30, interval=0.5)
            finally:
                probe.close()
            direct = sessions.Session(client.inv, [last.url("web_node_port", path)])
            direct.jar = s.jar
            (back,) = direct.visit(1)
        finally:
            s.close()
    if kind == "redis":
        # The crash-time probe visit(s) counted too: every visit after the
        # crash continues the count, on any node, and on the one that crashed.
        assert after == list(range(after[0], after[0] + 4)) and after[0] > count, (count, after)
        assert back["visits"] == after[-1] + 1, f"{last.name} lost the session: {back}"
    else:
        assert back["visits"] == 1, f"a memory session survived its node's crash: {back}"
