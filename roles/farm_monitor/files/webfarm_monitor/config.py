"""The monitor's configuration (JSON, written by the role): read and checked."""
from __future__ import annotations

from typing import Any

# Installed beside the package by role wsgi_kit (roles/wsgi_kit/files/).
from webfarm_wsgi import ConfigError, check_config_main, read_json_object

CONFIG_ENV = "WEBFARM_MONITOR_CONFIG"
DEFAULT_CONFIG = "/etc/webfarm/monitor.json"


def load_config(path: str) -> dict[str, Any]:
    """Read and check the JSON configuration."""
    return check_config(read_json_object(path))


def check_config(cfg: Any) -> dict[str, Any]:
    if not isinstance(cfg, dict):
        raise ConfigError("expected a JSON object")
    interval = cfg.get("interval")
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 0.5:
        raise ConfigError(f"interval {interval!r}: must be 0.5 seconds or more")
    every = cfg.get("certificate_interval", interval)
    if isinstance(every, bool) or not isinstance(every, (int, float)) or not interval <= every <= 86400:
        raise ConfigError(f"certificate_interval {every!r}: must be from interval ({interval}) to 86400 seconds")
    timeout = cfg.get("timeout")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 10:
        raise ConfigError(f"timeout {timeout!r}: must be more than 0 and at most 10 seconds")
    history = cfg.get("history")
    if isinstance(history, bool) or not isinstance(history, int) or history < 1:
        raise ConfigError(f"history {history!r}: must be a positive integer")
    targets = cfg.get("targets")
    if not isinstance(targets, dict):
        raise ConfigError("targets: must be a mapping of topology to its sources")
    # The page's panels, in order, with their titles (the project's
    # registry, topologies.yml, through the role): one per target.
    panels = cfg.get("panels")
    if not isinstance(panels, list) or any(not isinstance(p, dict) or not p.get("name") or not p.get("title")
                                           for p in panels):
        raise ConfigError("panels: must be a list of {name, title}, in page order")
    unknown = sorted(set(targets) - {p["name"] for p in panels})
    if unknown:
        raise ConfigError(f"targets: unknown topology {', '.join(unknown)} "
                          f"(the panels: {', '.join(p['name'] for p in panels)})")
    users = cfg.get("page_users", [])
    if not isinstance(users, list) or any(
            not isinstance(u, dict) or not u.get("user") or ":" in str(u["user"]) or not u.get("password")
            for u in users):
        raise ConfigError("page_users: must be a list of {user, password} (a user without ':')")
    # What the monitor reads over SSH, each with a key that may do that only.
    over_ssh = ["active_passive" in targets,  # the cluster's status (crm_mon)
                bool((targets.get("web_farm") or {}).get("content")),  # the content push's state
                bool((targets.get("nlb") or {}).get("acme"))]  # the ACME renewal's last run
    if any(over_ssh):
        ssh = cfg.get("ssh") or {}
        for key in ("user", "key", "known_hosts"):
            if not ssh.get(key):
                raise ConfigError(f"ssh.{key}: the cluster's status, the content push and the ACME renewal are read "
                                  "over SSH and need it")
    margin = cfg.get("certificate_margin", 0)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or margin < 0:
        raise ConfigError(f"certificate_margin {margin!r}: must be 0 or more seconds")
    return cfg



def main(argv: list[str]) -> int:
    """python3 -m webfarm_monitor --check-config FILE (the role's check
    before a new configuration goes live)."""
    return check_config_main(argv, "webfarm-monitor", "python3 -m webfarm_monitor", load_config)
