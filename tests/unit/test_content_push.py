"""The content sync's guard (roles/content_sync/files/webfarm-content-push):
no push from a tree without its marker or from an empty tree, at most a
bounded share of a node's files deleted by one push, and a push that only
adds or changes files costs no dry run. rsync itself is replaced by a
recorder here; tests/web_farm drives the real one."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from script_module import load_script

from lab.inventory import ROOT

SCRIPT = ROOT / "roles" / "content_sync" / "files" / "webfarm-content-push"
guard = load_script(SCRIPT, "webfarm_content_push")

MARKER = ".webfarm-content-root"
TARGET = "webfarm-content@10.213.0.11:"
INIT = ["--delete", "--ignore-errors", "-tsl", "--delay-updates", "-r"]
LIST = ["-tsl", "--delay-updates", "-r", "--delete", "--ignore-errors", "--force", "--from0", "--include-from=-",
        "--exclude=*"]


class Rsync:
    """Records every rsync call; the dry run prints `itemized`."""

    def __init__(self, itemized: str = "", rc: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.itemized, self.rc = itemized, rc

    def __call__(self, argv, input=None, capture_output=False, check=False):  # noqa: A002 - subprocess.run's names
        self.calls.append(list(argv))
        dry = "--dry-run" in argv
        return subprocess.CompletedProcess(argv, 0 if dry else self.rc, self.itemized.encode() if dry else b"", b"")

    @property
    def dry_runs(self) -> int:
        return sum("--dry-run" in c for c in self.calls)

    @property
    def real(self) -> list[list[str]]:
        return [c for c in self.calls if "--dry-run" not in c]


def tree(tmp_path: Path, files: int, marker: bool = True) -> Path:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    for i in range(files):
        (src / ("sub" if i % 2 else "") / f"f{i}.html").write_text(f"page {i}\n")
    if marker:
        (src / MARKER).write_text("marker\n")
    return src


def config(tmp_path: Path, src: Path, **over) -> dict:
    return {"source": str(src), "marker": MARKER, "state_dir": str(tmp_path / "state"), "max_delete_percent": 25,
            "max_delete_floor": 5, "hold_pause": 0, "targets": {TARGET: "web1"}, **over}


def push(tmp_path, src, rsync, args, stdin=None, **over):
    return guard.push([*args, f"{src}/", TARGET], config(tmp_path, src, **over), stdin, run=rsync,
                      now=lambda: 1000.0, sleep=lambda s: None)


def hold_of(tmp_path: Path) -> dict | None:
    return guard.read_json(str(tmp_path / "state" / "holds" / "web1.json"))


def deleting(n: int, sub: str = "old") -> str:
    return "".join(f"*deleting   {sub}/gone{i}.html\n" for i in range(n))


def test_a_tree_without_its_marker_is_never_pushed(tmp_path):
    src = tree(tmp_path, 10, marker=False)
    rsync = Rsync()
    assert push(tmp_path, src, rsync, INIT) == guard.RETRY
    assert rsync.calls == [], "rsync ran from an unmarked tree"
    assert "has no marker" in hold_of(tmp_path)["reason"]


def test_an_empty_tree_is_never_pushed_even_with_its_marker(tmp_path):
    src = tree(tmp_path, 0)
    (src / "sub").rmdir()
    rsync = Rsync()
    assert push(tmp_path, src, rsync, INIT) == guard.RETRY
    assert rsync.calls == []
    assert "is empty" in hold_of(tmp_path)["reason"]


def test_a_missing_tree_is_never_pushed(tmp_path):
    rsync = Rsync()
    assert guard.push([*INIT, f"{tmp_path}/nowhere/", TARGET], config(tmp_path, tmp_path / "nowhere"), None,
                      run=rsync, sleep=lambda s: None) == guard.RETRY
    assert rsync.calls == []


def test_a_full_pass_deleting_most_files_holds_and_deletes_nothing(tmp_path):
    src = tree(tmp_path, 2)
    rsync = Rsync(deleting(38))
    assert push(tmp_path, src, rsync, INIT) == guard.RETRY
    assert rsync.dry_runs == 1 and rsync.real == [], "the real push ran although the dry run deleted too much"
    held = hold_of(tmp_path)
    assert held["deletions"] == 38 and held["limit"] == 10
    assert "would delete 38 of the node's 40 files" in held["reason"]
    assert "--allow-deletions" in held["reason"], "the hold must say how to publish the deletion on purpose"


def test_deletions_within_the_share_are_pushed_with_max_delete(tmp_path):
    src = tree(tmp_path, 40)
    rsync = Rsync(deleting(9) + "*deleting   old/\n")
    assert push(tmp_path, src, rsync, INIT) == 0
    assert rsync.dry_runs == 1
    (real,) = rsync.real
    # 25% of the node's 49 files is 12; the directory counts for --max-delete too.
    assert real[1] == "--max-delete=13"
    assert hold_of(tmp_path) is None


def test_a_small_tree_may_always_delete_the_floor(tmp_path):
    src = tree(tmp_path, 3)
    assert push(tmp_path, src, Rsync(deleting(5)), INIT) == 0
    assert push(tmp_path, src, Rsync(deleting(6)), INIT) == guard.RETRY


def test_a_change_list_of_new_files_needs_no_dry_run(tmp_path):
    src = tree(tmp_path, 4)
    rsync = Rsync()
    assert push(tmp_path, src, rsync, LIST, stdin=b"/f0.html\0/\0/sub/f1.html\0/sub/\0") == 0
    assert rsync.dry_runs == 0, "a push that only adds files paid for a dry run"
    assert len(rsync.real) == 1


def test_a_change_list_naming_a_gone_path_is_counted_first(tmp_path):
    src = tree(tmp_path, 4)
    rsync = Rsync("*deleting   gone.html\n")
    assert push(tmp_path, src, rsync, LIST, stdin=b"/gone.html\0/\0") == 0
    assert rsync.dry_runs == 1 and len(rsync.real) == 1


def test_a_deleted_directory_in_a_change_list_holds_when_it_is_most_of_the_tree(tmp_path):
    src = tree(tmp_path, 2)
    rsync = Rsync(deleting(30, "docs") + "*deleting   docs/\n")
    assert push(tmp_path, src, rsync, LIST, stdin=b"/docs/a.html\0/docs/\0/docs/***\0/\0") == guard.RETRY
    assert rsync.real == []


def test_allow_deletions_publishes_an_empty_tree_but_never_an_unmarked_one(tmp_path):
    src = tree(tmp_path, 0)
    rsync = Rsync(deleting(50))
    assert push(tmp_path, src, rsync, [guard.ALLOW, *INIT]) == 0
    assert rsync.dry_runs == 0
    (real,) = rsync.real
    assert guard.ALLOW not in real and not any(a.startswith("--max-delete") for a in real)
    (src / MARKER).unlink()
    rsync = Rsync()
    assert push(tmp_path, src, rsync, [guard.ALLOW, *INIT]) == guard.RETRY
    assert rsync.calls == []


def test_a_hold_is_recorded_once_and_cleared_by_the_next_good_push(tmp_path):
    src = tree(tmp_path, 10)
    (src / MARKER).unlink()
    push(tmp_path, src, Rsync(), INIT)
    first = hold_of(tmp_path)
    push(tmp_path, src, Rsync(), INIT)
    assert hold_of(tmp_path)["since"] == first["since"]
    (src / MARKER).write_text("back\n")
    assert push(tmp_path, src, Rsync(), INIT) == 0
    assert hold_of(tmp_path) is None


def test_max_delete_stopping_rsync_becomes_a_hold_lsyncd_retries(tmp_path):
    src = tree(tmp_path, 10)
    assert push(tmp_path, src, Rsync(rc=guard.RSYNC_DEL_LIMIT), INIT) == guard.RETRY
    assert "--max-delete" in hold_of(tmp_path)["reason"]


def test_the_status_lists_holds_and_the_marker(tmp_path):
    src = tree(tmp_path, 2)
    push(tmp_path, src, Rsync(deleting(38)), INIT)
    state = guard.status(config(tmp_path, src), "active")
    assert state["marker"] is True and state["nodes"] == ["web1"] and state["service"] == "active"
    assert [h["node"] for h in state["holds"]] == ["web1"]


@pytest.mark.parametrize("pattern, path", [
    ("/a/b.html", "/a/b.html"), ("/docs/", "/docs"), ("/docs/***", "/docs"), (r"/st\*r", "/st*r"),
    (r"/q\?\[x\]", "/q?[x]"),
])
def test_lsyncds_filter_patterns_name_paths(pattern, path):
    assert guard.unescape(pattern) == path


def test_itemized_output_counts_files_directories_and_new_files():
    out = ("*deleting   a.html\n*deleting   d/\n*deleting   d/b.html\n>f+++++++++ new.html\n"
           ">f.st...... changed.html\ncL+++++++++ link -> x\ncd+++++++++ newdir/\n")
    assert guard.parse_itemized(out) == guard.Plan(deleted_files=2, deleted_dirs=1, new_files=2)


def test_the_settings_are_checked(tmp_path):
    good = tmp_path / "push.json"
    good.write_text(json.dumps(config(tmp_path, tmp_path)))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"source": "/srv"}))
    run = [sys.executable, str(SCRIPT), "--check-config"]
    assert subprocess.run([*run, str(good)], capture_output=True, check=False).returncode == 0
    out = subprocess.run([*run, str(bad)], capture_output=True, text=True, check=False)
    assert out.returncode == 1 and "marker is missing" in out.stderr


def test_one_push_to_a_node_at_a_time(tmp_path):
    src = tree(tmp_path, 4)
    cfg = config(tmp_path, src, lock_timeout=0.2)
    rsync = Rsync()
    with guard.node_lock(cfg["state_dir"], "web1", 1) as locked:
        assert locked
        started = time.monotonic()
        rc = guard.push([*INIT, f"{src}/", TARGET], cfg, None, run=rsync, sleep=time.sleep)
    assert rc == guard.RETRY and rsync.calls == [], "a second push ran while another held the node's lock"
    assert time.monotonic() - started >= 0.2
    assert guard.push([*INIT, f"{src}/", TARGET], cfg, None, run=rsync, sleep=lambda s: None) == 0


def test_a_marker_gone_while_rsync_ran_holds_the_next_push(tmp_path):
    src = tree(tmp_path, 4)

    class Removing(Rsync):
        def __call__(self, argv, input=None, capture_output=False, check=False):  # noqa: A002
            (src / MARKER).unlink()
            return super().__call__(argv, input, capture_output, check)

    assert push(tmp_path, src, Removing(), LIST, stdin=b"/f0.html\0/\0") == 0
    assert "has no marker" in hold_of(tmp_path)["reason"]
