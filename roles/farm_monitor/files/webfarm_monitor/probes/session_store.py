"""The session store's panel: Redis INFO with a user that may run INFO and PING only."""
from __future__ import annotations

import time
from typing import Any

from ..readings import Reading, row


def store(s: dict[str, Any], auth: tuple[str, str], timeout: float) -> Reading:
    import redis

    client = redis.Redis(host=s["address"], port=s["port"], username=auth[0], password=auth[1], socket_timeout=timeout,
                         socket_connect_timeout=timeout, retry_on_timeout=False)
    t0 = time.monotonic()
    try:
        client.ping()
        info = client.info("persistence") | client.info("replication")
    except (redis.AuthenticationError, redis.exceptions.NoPermissionError, redis.ResponseError) as e:
        return row("store", s["name"], detail=f"refused the monitor: {e}")
    except redis.RedisError as e:
        return row("store", s["name"], state="down", detail=f"no answer ({type(e).__name__})")
    finally:
        client.close()
    return store_reading(s["name"], info, time.monotonic() - t0)


def store_reading(name: str, info: dict[str, Any], took: float) -> Reading:
    aof = info.get("aof_enabled") in (1, "1")
    failing = [k for k in ("aof_last_write_status", "rdb_last_bgsave_status") if info.get(k) not in (None, "ok")]
    persistence = ("append-only file" if aof else "snapshots only") + \
        (f", {', '.join(failing)} failing" if failing else "")
    return row("store", name, state="degraded" if failing else "up", detail=f"{info.get('role', '?')}, {persistence}",
               latency_ms=round(took * 1000, 1), extra={"role": info.get("role"), "aof": aof})
