"""webfarm path filters: one rule for every path an inventory gives a host.

A role that creates, chowns, deletes or serves a path the inventory names
(a content root, the published tree, a maintenance file, a data directory,
a socket, a mount point) checks it with ``webfarm_path_problem`` in its
``tasks/validate.yml``, before any host changes, and consumes it through
``webfarm_path``. The rule:

- the path is absolute, holds no control character and no ``..`` segment
  (refused as written, before it is normalised);
- normalised (``posixpath.normpath``, a leading ``//`` read as ``/``), it is
  not ``/``, not one of the system trees in ``SYSTEM_TREES`` and not one of
  the system folders of ``/var`` in ``SYSTEM_FOLDERS`` (``/var/lib`` is every
  package's state: a data directory of ``/var/lib`` would be ``chown -R``'d);
- it is not inside one of the trees in ``NEVER_INSIDE`` (a content root
  inside ``/etc`` would be ``chown -R``'d, a maintenance file at
  ``/etc/passwd`` deleted). Inside ``/var``, ``/run``, ``/home``, ``/root``
  and ``/tmp`` is allowed: ``/var/www/webfarm``, ``/var/lib/redis`` and
  ``/run/haproxy/admin.sock`` are the roles' defaults.

The rule itself is ``module_utils/webfarm/paths.py`` (the collection's
``webfarm.cluster.plugins.module_utils.paths``), which the cluster filters
share.

Paths read on the controller (certificate files) are not host paths and are
not checked here.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import filter_table
from ansible_collections.webfarm.cluster.plugins.module_utils.paths import normal_path, webfarm_path_problem


def webfarm_path_problems(paths: Sequence[Any], allowed: Sequence[str] = ()) -> list[str]:
    """What is wrong with each path of a list that ``webfarm_path_problem``
    refuses, each as ``'PATH' PROBLEM``, in order; [] when all are fine.

    Example::

        {{ pacemaker_cluster_fence_files | map(attribute='path') | webfarm_path_problems(['/etc/webfarm/cluster']) }}
        -> ["'/etc/passwd' is inside /etc (/etc/passwd), a system tree ..."]
    """
    if isinstance(paths, (str, bytes)) or not isinstance(paths, Sequence):
        raise AnsibleFilterError(f"webfarm_path_problems: expects a list of paths, got {paths!r}")
    out = []
    for path in paths:
        problem = webfarm_path_problem(path, allowed)
        if problem:
            out.append(f"{str(path)!r} {problem}")
    return out


def webfarm_path(path: Any, var: str = "path", allowed: Sequence[str] = ()) -> str:
    """``path`` normalised, for a role to consume the path it has checked;
    a path that ``webfarm_path_problem`` refuses raises, naming ``var``.

    Example::

        {{ web_node_content_root | webfarm_path('web_node_content_root') }}
        '/var/www//webfarm/'  ->  '/var/www/webfarm'
    """
    problem = webfarm_path_problem(path, allowed)
    if problem:
        raise AnsibleFilterError(f"{var} = {str(path)!r}: {problem}")
    return normal_path(path)


class FilterModule:
    """webfarm path filters."""

    def filters(self) -> dict[str, Any]:
        return filter_table(webfarm_path_problem, webfarm_path_problems, webfarm_path)
