"""The session app (roles/session_app/files/webfarm_session_app.py) as a
plain WSGI callable: sessions, backends, the degraded answer, its config."""
from __future__ import annotations

import json

import pytest
from wsgi import wsgi_call

from roles.session_app.files import webfarm_session_app as app_mod

CFG = {"backend": "memory", "path": "/app/", "cookie": "webfarm_session", "ttl": 60,
       "redis": {"host": "", "port": 6379, "password": "", "timeout": 0.5}}


def call(app, path="/app/", cookie="", node="web1"):
    status, headers, body = wsgi_call(app, {"PATH_INFO": path, "HTTP_COOKIE": cookie, "HTTP_X_WEBFARM_NODE": node})
    return status, headers, json.loads(body)


def test_a_session_counts_its_visits_and_keeps_its_cookie():
    app = app_mod.App(CFG)
    status, headers, body = call(app)
    assert status == "200 OK" and body["visits"] == 1 and body["node"] == "web1" and body["backend"] == "memory"
    cookie = headers["Set-Cookie"].split(";")[0]
    assert "HttpOnly" in headers["Set-Cookie"] and "Path=/app/" in headers["Set-Cookie"]
    status, headers, body = call(app, cookie=cookie, node="web2")
    assert (body["visits"], body["node"]) == (2, "web2")
    assert headers["Set-Cookie"].split(";")[0] == cookie, "the cookie is renewed with the session, never replaced"
    assert call(app)[2]["visits"] == 1, "a request without the cookie is a new session"


def test_a_forged_session_id_is_replaced():
    app = app_mod.App(CFG)
    status, headers, body = call(app, cookie="webfarm_session=../../etc; other=1")
    assert body["visits"] == 1 and app_mod.SESSION_RE.match(body["session"]) and "Set-Cookie" in headers


class DownStore:
    name = "redis"

    def visit(self, session):
        raise app_mod.StoreDown("session store unreachable: ConnectionError: refused")

    def ping(self):
        raise app_mod.StoreDown("session store unreachable: ConnectionError: refused")


def test_an_unreachable_store_is_a_degraded_answer_not_a_stack_trace():
    app = app_mod.App(CFG, store=DownStore())
    status, headers, body = call(app)
    assert status.startswith("503") and headers["Content-Type"] == "application/json"
    assert body["status"] == "degraded" and "unreachable" in body["reason"] and "Set-Cookie" not in headers
    status, _, body = call(app, path="/app/health")
    assert status.startswith("503") and body["status"] == "degraded"
    assert call(app_mod.App(CFG), path="/app/health")[2]["status"] == "ok"


def test_memory_sessions_expire_and_stay_bounded(monkeypatch):
    store = app_mod.MemoryStore(ttl=10, max_sessions=2)
    clock = iter([0.0, 1.0, 2.0, 20.0, 21.0])
    monkeypatch.setattr(app_mod.time, "monotonic", lambda: next(clock))
    assert [store.visit("a"), store.visit("a"), store.visit("b")] == [1, 2, 1]
    assert store.visit("a") == 1, "an expired session starts again"
    store.visit("c")
    assert len(store._visits) == 2


@pytest.mark.parametrize("change, message", [
    ({"backend": "sql"}, "backend 'sql': must be one of redis, memory"),
    ({"ttl": 0}, "ttl 0: must be a positive number"),
    ({"path": "app"}, "path 'app': must start and end with /"),
    ({"backend": "redis"}, "redis.host: the redis backend needs the store's address"),
    ({"backend": "redis", "redis": {**CFG["redis"], "host": "10.0.0.1", "port": 70000}}, "redis.port 70000"),
    ({"backend": "redis", "redis": {**CFG["redis"], "host": "10.0.0.1", "key_prefix": "x*"}}, "redis.key_prefix 'x\\*'"),
])
def test_a_bad_configuration_is_named(tmp_path, change, message):
    path = tmp_path / "app.json"
    path.write_text(json.dumps({**CFG, **change}))
    with pytest.raises(app_mod.ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        app_mod.load_config(str(path))
    assert app_mod.main(["x", "--check-config", str(path)]) == 1


def test_the_check_accepts_a_good_configuration(tmp_path):
    path = tmp_path / "app.json"
    path.write_text(json.dumps(CFG))
    assert app_mod.main(["x", "--check-config", str(path)]) == 0
