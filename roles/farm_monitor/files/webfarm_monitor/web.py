"""The web side: the page, the JSON state, logins, and gunicorn's entry point."""
from __future__ import annotations

import base64
import hmac
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Installed beside the package by role wsgi_kit (roles/wsgi_kit/files/).
from webfarm_wsgi import LazyApp, reply

from .collectors import expected_rows, run_forever, scheduled, stale_after
from .config import CONFIG_ENV, DEFAULT_CONFIG, load_config
from .farm import Farm

# The page, with __INTERVAL__ for the refresh interval (seconds).
PAGE = (Path(__file__).parent / "page.html").read_text(encoding="utf-8")


class Monitor:
    def __init__(self, cfg: dict[str, Any], start: bool = True) -> None:
        self.cfg = cfg
        interval = float(cfg["interval"])
        stale = stale_after(cfg)
        self.farm = Farm(int(cfg["history"]), stale_after=stale.pop(""), stale_after_kind=stale)
        self.page = PAGE.replace("__INTERVAL__", json.dumps(interval)).encode()
        self.farm.update(expected_rows(cfg))
        self.threads = []
        if start:
            for job, every in scheduled(cfg):
                th = threading.Thread(target=run_forever, args=(job, self.farm, every), daemon=True)
                th.start()
                self.threads.append(th)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "/")
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return reply(start_response, "405 Method Not Allowed", b"GET only\n", "text/plain")
        if path != "/health" and not logged_in(environ.get("HTTP_AUTHORIZATION", ""), self.cfg.get("page_users", [])):
            return reply(start_response, "401 Unauthorized", b"login needed\n", "text/plain",
                         [("WWW-Authenticate", 'Basic realm="webfarm monitor"')])
        if path == "/":
            return reply(start_response, "200 OK", self.page, "text/html; charset=utf-8")
        if path == "/api/state":
            body = json.dumps(self.farm.snapshot(self.cfg["panels"])).encode()
            return reply(start_response, "200 OK", body, "application/json")
        if path == "/health":
            alive = all(t.is_alive() for t in self.threads)
            return reply(start_response, "200 OK" if alive else "503 Service Unavailable",
                           b"ok\n" if alive else b"a collector stopped\n", "text/plain")
        return reply(start_response, "404 Not Found", b"not found\n", "text/plain")


def logged_in(header: str, users: list[dict[str, str]]) -> bool:
    """True without page users, or when the Authorization header carries one
    of their logins (compared in constant time)."""
    if not users:
        return True
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    found = False
    for u in users:
        found |= hmac.compare_digest(f"{u['user']}:{u['password']}".encode(), f"{user}:{password}".encode())
    return found


# gunicorn's entry point: the monitor is built (and its collectors started)
# once, in the worker, on its first request or at import below.
application = LazyApp(Monitor, load_config, CONFIG_ENV, DEFAULT_CONFIG)


if __name__ != "__main__" and os.environ.get(CONFIG_ENV):
    # Under gunicorn: the worker builds the monitor as it imports the app, so
    # the collectors run before the first visitor.
    application.build_now()
