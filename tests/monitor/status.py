"""The farm monitor's row in the lab's status table (lab/status.py)."""
from __future__ import annotations

from lab import monitor
from lab.inventory import Host
from lab.status import Role, probe_http


def monitor_view(host: Host) -> tuple[bool, str]:
    answer = probe_http(host.address, int(monitor.url(host).rsplit(":", 1)[1].rstrip("/")), "/health")
    return answer.startswith("200"), f"health {answer}"


ROLES = {"monitor": Role("farm monitor (gunicorn)", monitor.url, monitor_view)}
