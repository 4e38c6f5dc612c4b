"""Call a WSGI application in-process, as the unit tests of the project's
apps (the session app, the farm monitor) do."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def wsgi_call(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    """(status line, headers, body) of one request."""
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body
