"""The one rule for every path an inventory gives a host (see
filter_plugins/webfarm_paths.py for where roles apply it).

Pure functions, shared by the filters on the controller; no Ansible import,
so a module may ship it to a host too.
"""
from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Sequence
from typing import Any

# Refused as they are (``/lib*``: /lib, /lib32, /lib64, /libx32, ...).
SYSTEM_TREES = ("/etc", "/usr", "/bin", "/sbin", "/lib*", "/boot", "/dev", "/proc", "/sys",
                "/run", "/var", "/root", "/home", "/tmp")
# Folders of /var the system keeps its own state, logs and queues in, refused
# as they are (a folder inside them, /var/lib/redis, is fine).
SYSTEM_FOLDERS = ("/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/backups", "/var/mail", "/var/tmp",
                  "/var/run", "/var/lock", "/var/opt", "/var/local")
# ... and refused with everything inside them.
NEVER_INSIDE = ("/etc", "/usr", "/bin", "/sbin", "/lib*", "/boot", "/dev", "/proc", "/sys")
_EXAMPLE = "use a directory of its own, such as /srv/webfarm"


def normal_path(path: Any) -> str:
    """``path`` normalised: ``posixpath.normpath``, with any run of leading
    slashes read as one (POSIX keeps ``//`` apart; Linux does not).

    Example::

        normal_path('//srv/./webfarm/')  ->  '/srv/webfarm'
    """
    text = str(path)
    if text.startswith("/"):
        text = "/" + text.lstrip("/")
    return posixpath.normpath(text) if text else text


def _tree(top: str, trees: Sequence[str]) -> str:
    """The entry of ``trees`` that the top directory ``/top`` matches, or ''."""
    return next((tree for tree in trees if fnmatch.fnmatchcase("/" + top, tree)), "")


def webfarm_path_problem(path: Any, allowed: Sequence[str] = ()) -> str:
    """'' when ``path`` is a host path webfarm may own, else what is wrong,
    as a sentence to follow ``VAR = "VALUE":``.

    ``allowed`` names directories inside a system tree that the calling role
    keeps for its own files (pacemaker_cluster's ``/etc/webfarm/cluster``): a path
    strictly inside one of them is not refused for being inside that tree.

    Example::

        {{ '/srv/../etc' | webfarm_path_problem }}
        -> "must not contain a '..' segment: write the directory it means"
        {{ '/etc/' | webfarm_path_problem }}
        -> "is /etc once normalised, a system tree: use a directory of its own, such as /srv/webfarm"
        {{ '/var/www/webfarm' | webfarm_path_problem }}  ->  ''
    """
    text = "" if path is None else str(path)
    if not text.startswith("/"):
        return "must be an absolute path (starting with /)"
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return "must not contain control characters (a newline, a tab)"
    if ".." in text.split("/"):
        return "must not contain a '..' segment: write the directory it means"
    normal = normal_path(text)
    shown = normal if normal == text else f"{normal} once normalised"
    if normal == "/":
        return f"is {shown}, the whole file system: {_EXAMPLE}"
    parts = normal.split("/")[1:]
    tree = _tree(parts[0], SYSTEM_TREES)
    if tree and len(parts) == 1:
        return f"is {shown}, a system tree: {_EXAMPLE}"
    if normal in SYSTEM_FOLDERS:
        return f"is {shown}, a system folder: {_EXAMPLE}"
    tree = _tree(parts[0], NEVER_INSIDE)
    if tree and not any(normal.startswith(normal_path(a).rstrip("/") + "/") for a in allowed):
        return (f"is inside /{parts[0]} ({shown}), a system tree webfarm never writes into "
                f"or takes over: {_EXAMPLE}")
    return ""
