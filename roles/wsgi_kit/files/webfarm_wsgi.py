"""What every webfarm WSGI app shares: the session app (role session_app)
and the farm monitor (role farm_monitor). Role wsgi_kit installs this file
beside each app; both are Python's standard library only, run by gunicorn.

- ``ConfigError`` and ``read_json_object``: a configuration file read as one
  JSON object, every failure a message that names the file;
- ``check_config_main``: the ``--check-config FILE`` command each role runs
  before a new configuration replaces the live one;
- ``LazyApp``: gunicorn's entry point, the app built once per worker from
  the configured file;
- ``reply``: an answer that no cache keeps.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ConfigError(ValueError):
    """A configuration value is missing or wrong; the message names it."""


def read_json_object(path: str) -> dict[str, Any]:
    """The JSON object in file ``path``; ConfigError naming the file otherwise."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ConfigError(f"{path}: cannot read a JSON object: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    return data


def check_config_main(argv: list[str], prog: str, usage: str, load: Callable[[str], Any]) -> int:
    """``<usage> --check-config FILE``: 0 when ``load(FILE)`` accepts it, 1 with
    the reason on stderr when it raises ConfigError, 2 for other arguments."""
    if len(argv) == 3 and argv[1] == "--check-config":
        try:
            load(argv[2])
        except ConfigError as e:
            print(f"{prog}: {e}", file=sys.stderr)
            return 1
        return 0
    print(f"usage: {usage} --check-config FILE", file=sys.stderr)
    return 2


class LazyApp:
    """gunicorn's entry point: ``build(load(file))`` once per worker, the
    file named by environment variable ``env`` (else ``default``); built on
    the first request, or at once with ``build_now`` (under a lock: a
    worker's threads may all ask together)."""

    def __init__(self, build: Callable[[dict[str, Any]], WSGIApp], load: Callable[[str], dict[str, Any]],
                 env: str, default: str) -> None:
        self._build, self._load, self._env, self._default = build, load, env, default
        self._app: WSGIApp | None = None
        self._lock = threading.Lock()

    def build_now(self) -> WSGIApp:
        with self._lock:
            if self._app is None:
                self._app = self._build(self._load(os.environ.get(self._env, self._default)))
        return self._app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return (self._app or self.build_now())(environ, start_response)


def reply(start_response: StartResponse, status: str, body: bytes, content_type: str,
          headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    """Answer ``body`` with its length, never cached."""
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store"), *(headers or [])])
    return [body]
