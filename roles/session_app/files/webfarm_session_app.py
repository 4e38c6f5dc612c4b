"""webfarm session app: counts visits per session, names the node that served.

A WSGI application (run by gunicorn, role session_app). Every request to its
path counts one visit of the caller's session (a cookie) and answers JSON:

    {"status": "ok", "node": "web2", "session": "9f...", "visits": 7, "backend": "redis"}

The count lives in the backend the configuration names:
- ``redis``: a shared store every node reaches, so a session survives a
  node and may land on any node (the white paper's state database);
- ``memory``: this process only, so a session lives and dies with the node
  that holds it (the paper's in-process ASP session state).

A visit is reported only after the backend has stored it: with Redis that
is after Redis answered INCR (and, with ``appendfsync always`` on the store,
wrote it to disk). While the store cannot be reached the app answers 503
with ``"status": "degraded"`` and the reason, never a stack trace, and
reconnects by itself on a later request.

``<path>health`` answers 200 while the backend answers, 503 otherwise.
``python3 webfarm_session_app.py --check-config FILE`` checks a
configuration file and exits non-zero naming what is wrong.
"""
from __future__ import annotations

import json
import re
import secrets
import socket
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from http.cookies import CookieError, SimpleCookie
from typing import Any

# Installed beside this file by role wsgi_kit (roles/wsgi_kit/files/).
from webfarm_wsgi import ConfigError, LazyApp, check_config_main, read_json_object, reply

CONFIG_ENV = "WEBFARM_SESSION_APP_CONFIG"
DEFAULT_CONFIG = "/etc/webfarm/session-app.json"
SESSION_RE = re.compile(r"^[0-9a-f]{32}$")
BACKENDS = ("redis", "memory")
MEMORY_MAX_SESSIONS = 100_000


def load_config(path: str) -> dict[str, Any]:
    """Read and check the JSON configuration."""
    cfg = read_json_object(path)
    if cfg.get("backend") not in BACKENDS:
        raise ConfigError(f"backend {cfg.get('backend')!r}: must be one of {', '.join(BACKENDS)}")
    if not isinstance(cfg.get("ttl"), int) or cfg["ttl"] < 1:
        raise ConfigError(f"ttl {cfg.get('ttl')!r}: must be a positive number of seconds")
    if not re.match(r"^[A-Za-z0-9_-]+$", str(cfg.get("cookie", ""))):
        raise ConfigError(f"cookie {cfg.get('cookie')!r}: must be a cookie name of letters, digits, '_' and '-'")
    if not re.match(r"^/([A-Za-z0-9._-]+/)*$", str(cfg.get("path", ""))):
        raise ConfigError(f"path {cfg.get('path')!r}: must start and end with /")
    if cfg["backend"] == "redis":
        redis = cfg.get("redis")
        if not isinstance(redis, dict) or not redis.get("host"):
            raise ConfigError("redis.host: the redis backend needs the store's address")
        if not isinstance(redis.get("port"), int) or not 1 <= redis["port"] <= 65535:
            raise ConfigError(f"redis.port {redis.get('port')!r}: must be a TCP port")
        if not isinstance(redis.get("timeout"), (int, float)) or redis["timeout"] <= 0:
            raise ConfigError(f"redis.timeout {redis.get('timeout')!r}: must be a positive number of seconds")
        if not re.match(r"^[A-Za-z0-9:_.-]+$", str(redis.setdefault("key_prefix", "webfarm:session:"))):
            raise ConfigError(f"redis.key_prefix {redis.get('key_prefix')!r}: must be letters, digits, ':', '_', '.', '-'")
    return cfg


class StoreDown(Exception):
    """The backend could not store or read a visit."""


class MemoryStore:
    """Visits in this process only (node-local sessions)."""

    name = "memory"

    def __init__(self, ttl: int, max_sessions: int = MEMORY_MAX_SESSIONS) -> None:
        self.ttl = ttl
        self.max_sessions = max_sessions
        self._lock = threading.Lock()
        self._visits: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def visit(self, session: str) -> int:
        now = time.monotonic()
        with self._lock:
            count, seen = self._visits.pop(session, (0, now))
            if now - seen > self.ttl:
                count = 0
            self._visits[session] = (count + 1, now)
            while len(self._visits) > self.max_sessions:
                self._visits.popitem(last=False)
            return count + 1

    def ping(self) -> None:
        return None


class RedisStore:
    """Visits in a Redis every node reaches (shared sessions)."""

    name = "redis"

    def __init__(self, cfg: dict[str, Any], ttl: int) -> None:
        import redis  # Debian's python3-redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._errors: tuple[type[BaseException], ...] = (redis.exceptions.ConnectionError,
                                                         redis.exceptions.TimeoutError,
                                                         redis.exceptions.ResponseError)
        self.ttl = ttl
        self.prefix = cfg.get("key_prefix", "webfarm:session:")
        # Short timeouts: a store that moved (failover) costs a request
        # half a second, not a worker. The pool reconnects by itself. No
        # retry: an INCR whose answer was lost may have been counted, and
        # sending it again would count the visit twice (redis-py 5 and later
        # retry three times unless told not to).
        # The app's own ACL user (the store allows it its keys and commands).
        self._redis = redis.Redis(host=cfg["host"], port=cfg["port"], username=cfg.get("user") or None,
                                  password=cfg.get("password") or None,
                                  socket_timeout=cfg["timeout"], socket_connect_timeout=cfg["timeout"],
                                  retry_on_timeout=False, retry=Retry(NoBackoff(), 0), health_check_interval=0)

    def visit(self, session: str) -> int:
        key = f"{self.prefix}{session}"
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, self.ttl)
            count, _ = pipe.execute()
        except self._errors as e:
            raise StoreDown(f"session store unreachable: {type(e).__name__}: {e}") from None
        return int(count)

    def ping(self) -> None:
        try:
            self._redis.ping()
        except self._errors as e:
            raise StoreDown(f"session store unreachable: {type(e).__name__}: {e}") from None


def make_store(cfg: dict[str, Any]) -> MemoryStore | RedisStore:
    if cfg["backend"] == "redis":
        return RedisStore(cfg["redis"], cfg["ttl"])
    return MemoryStore(cfg["ttl"])


def session_of(cookie_header: str, name: str) -> str | None:
    """The caller's session id, or None for none or a malformed one."""
    try:
        jar = SimpleCookie(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(name)
    if morsel is not None and SESSION_RE.match(morsel.value):
        return morsel.value
    return None


StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class App:
    """The WSGI callable."""

    def __init__(self, cfg: dict[str, Any], store: MemoryStore | RedisStore | None = None) -> None:
        self.cfg = cfg
        self.store = store or make_store(cfg)
        self.fallback_node = socket.gethostname()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        node = environ.get("HTTP_X_WEBFARM_NODE") or self.fallback_node
        path = environ.get("PATH_INFO", "/")
        base = self.cfg["path"]
        if path in (base, base.rstrip("/")):
            return self._visit(environ, start_response, node)
        if path == base + "health":
            return self._health(start_response, node)
        return _reply(start_response, "404 Not Found", {"status": "not found", "node": node})

    def _visit(self, environ: dict[str, Any], start_response: StartResponse, node: str) -> Iterable[bytes]:
        session = session_of(environ.get("HTTP_COOKIE", ""), self.cfg["cookie"])
        if session is None:
            session = secrets.token_hex(16)
        body: dict[str, Any] = {"node": node, "session": session, "backend": self.store.name}
        try:
            visits = self.store.visit(session)
        except StoreDown as e:
            return _reply(start_response, "503 Service Unavailable", {"status": "degraded", "reason": str(e), **body})
        # On every answer, so the cookie lives as long as the session does
        # (the store's expiry slides with each visit too).
        secure = "; Secure" if environ.get("HTTP_X_FORWARDED_PROTO") == "https" else ""
        headers = [("Set-Cookie", f"{self.cfg['cookie']}={session}; Path={self.cfg['path']}; "
                                  f"Max-Age={self.cfg['ttl']}; HttpOnly; SameSite=Lax{secure}")]
        return _reply(start_response, "200 OK", {"status": "ok", "visits": visits, **body}, headers)

    def _health(self, start_response: StartResponse, node: str) -> Iterable[bytes]:
        body = {"node": node, "backend": self.store.name}
        try:
            self.store.ping()
        except StoreDown as e:
            return _reply(start_response, "503 Service Unavailable", {"status": "degraded", "reason": str(e), **body})
        return _reply(start_response, "200 OK", {"status": "ok", **body})


def _reply(start_response: StartResponse, status: str, body: dict[str, Any],
           headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    return reply(start_response, status, (json.dumps(body, sort_keys=True) + "\n").encode(), "application/json", headers)


# gunicorn's entry point: the app of the configured file, built once per worker.
application = LazyApp(App, load_config, CONFIG_ENV, DEFAULT_CONFIG)


def main(argv: list[str]) -> int:
    return check_config_main(argv, "webfarm session app", "webfarm_session_app.py", load_config)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
