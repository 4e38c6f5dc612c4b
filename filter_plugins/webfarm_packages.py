"""webfarm package filters: what a role still has to install."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import filter_table

# The query each role runs before the apt module (which loads the whole
# package cache, about 0.3 s of CPU per host, even when nothing is missing).
DPKG_QUERY_FORMAT = "${db:Status-Status} ${Package}\\n"


def webfarm_missing_packages(packages: Sequence[str], dpkg_lines: Sequence[str]) -> list[str]:
    """The packages that dpkg-query does not report as installed, in order.

    Example::

        {{ ['nginx', 'curl'] | webfarm_missing_packages(['installed nginx']) }}  ->  ['curl']

    dpkg_lines are the stdout lines of
    ``dpkg-query --show --showformat='${db:Status-Status} ${Package}\\n' PKG...``
    (a package dpkg has never seen prints nothing there: it is missing).
    """
    if isinstance(packages, (str, bytes)) or not isinstance(packages, Sequence):
        raise AnsibleFilterError(f"webfarm_missing_packages: expects a list of package names, got {packages!r}")
    installed = set()
    for line in dpkg_lines or []:
        status, _, name = str(line).strip().partition(" ")
        if status == "installed":
            installed.add(name.split(":")[0])  # nginx:amd64 -> nginx
    return [p for p in packages if str(p) not in installed]


class FilterModule:
    """webfarm package filters."""

    def filters(self) -> dict[str, Any]:
        return filter_table(webfarm_missing_packages)
