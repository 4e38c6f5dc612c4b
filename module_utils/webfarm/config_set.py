"""Configuration files that must agree, written as one set.

A daemon whose configuration is several files (BIND's keys, options and
zones; HAProxy's certificates and haproxy.cfg; Redis's users and redis.conf;
lsyncd's key, hosts and script) can only be checked on the whole set, in
place, as the daemon will load it. So the set is written, the daemon's own
checker runs on the live set, and if it refuses, every file is put back as
it was (or removed, if it is new) before anything reloads: a refused set
never stays live, and nothing of the previous one is lost.

    written = apply(files, check)   # the paths changed; raises SetRefused

Plain functions over the file system, so the unit tests run them on a
temporary directory; library/webfarm_config_set.py is the Ansible side.
"""
from __future__ import annotations

import grp
import os
import pwd
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


class SetRefused(Exception):
    """The checker refused the new set; the previous files are back."""

    def __init__(self, message: str, output: str) -> None:
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class File:
    """One file of the set: where, what, and who owns it (None: leave as is)."""

    path: str
    content: bytes
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None


@dataclass(frozen=True)
class Before:
    """A file as it was before the set was written: None content if absent."""

    path: str
    content: bytes | None
    mode: int | None
    uid: int | None
    gid: int | None


def to_file(spec: Mapping[str, str | None]) -> tuple[File, bool]:
    """A File from the module's entry (path, content or secret_content,
    owner, group, mode), and whether its content is secret."""
    path = spec["path"]
    if not path.startswith("/"):
        raise ValueError(f"files[].path {path!r}: must be absolute")
    if (spec.get("content") is None) == (spec.get("secret_content") is None):
        raise ValueError(f"{path}: give exactly one of content and secret_content")
    secret = spec.get("secret_content") is not None
    text = spec["secret_content"] if secret else spec["content"]
    mode = None
    if spec.get("mode") is not None:
        try:
            mode = int(str(spec["mode"]), 8)
        except ValueError:
            raise ValueError(f"{path}: mode {spec['mode']!r} is not an octal string such as '0640'") from None
    try:
        uid = pwd.getpwnam(spec["owner"]).pw_uid if spec.get("owner") else None
        gid = grp.getgrnam(spec["group"]).gr_gid if spec.get("group") else None
    except KeyError as exc:
        raise ValueError(f"{path}: no such user or group {exc}") from None
    return File(path, text.encode(), mode, uid, gid), secret


def read(path: str) -> Before:
    """The file as it is now."""
    try:
        with open(path, "rb") as fh:
            content = fh.read()
        st = os.stat(path)
    except FileNotFoundError:
        return Before(path, None, None, None, None)
    return Before(path, content, st.st_mode & 0o7777, st.st_uid, st.st_gid)


def differs(f: File, before: Before) -> bool:
    """Whether writing f would change the file (content, mode or owner).

    >>> differs(File("/x", b"a", 0o644), Before("/x", b"a", 0o644, 0, 0))
    False
    >>> differs(File("/x", b"a", 0o600), Before("/x", b"a", 0o644, 0, 0))
    True
    """
    if before.content is None or before.content != f.content:
        return True
    return any(want is not None and want != have
               for want, have in ((f.mode, before.mode), (f.uid, before.uid), (f.gid, before.gid)))


def write(path: str, content: bytes, mode: int | None, uid: int | None, gid: int | None) -> None:
    """Replace path atomically (a file beside it, then rename): a reader
    sees the old file or the new one, never half of one."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{path}: its directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".webfarm-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        if uid is not None or gid is not None:
            os.chown(tmp, -1 if uid is None else uid, -1 if gid is None else gid)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def restore(before: Before) -> None:
    """Put a file back as it was: its old content and owner, or gone."""
    if before.content is None:
        if os.path.lexists(before.path):
            os.unlink(before.path)
        return
    write(before.path, before.content, before.mode, before.uid, before.gid)


def run_check(argv: Sequence[str]) -> tuple[int, str]:
    """The checker's exit code and its words (stdout and stderr)."""
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=120, check=False)
    except FileNotFoundError:
        return 127, f"{argv[0]}: not found"
    except subprocess.TimeoutExpired:
        return 124, f"{argv[0]}: no answer within 120 s"
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def changes(files: Sequence[File]) -> list[tuple[File, Before]]:
    """The files of the set that differ from what is on disk, each with what
    is there now. Two entries for one path are refused."""
    seen: set[str] = set()
    out = []
    for f in files:
        if f.path in seen:
            raise ValueError(f"{f.path}: named twice in the set")
        seen.add(f.path)
        before = read(f.path)
        if differs(f, before):
            out.append((f, before))
    return out


def apply(files: Sequence[File], check: Sequence[str] = (),
          checker: Callable[[Sequence[str]], tuple[int, str]] = run_check) -> list[str]:
    """Write every file that differs, then run check on the live set. If it
    fails (or a write does), put every file back and raise SetRefused with
    the checker's words. The paths changed; [] when nothing differed (the
    checker does not run then)."""
    todo = changes(files)
    if not todo:
        return []
    done: list[Before] = []
    try:
        for f, before in todo:
            write(f.path, f.content, f.mode, f.uid, f.gid)
            done.append(before)
        rc, output = checker(check) if check else (0, "")
    except OSError as exc:
        for before in reversed(done):
            restore(before)
        raise SetRefused(f"writing the set failed ({exc}); the previous files are back", str(exc)) from None
    if rc != 0:
        for before in reversed(done):
            restore(before)
        raise SetRefused(f"{check[0]} refused the new set (exit {rc}); the previous files are back", output)
    return [f.path for f, _ in todo]
