"""Drills: content replication never wipes the farm.

rsync's --delete does what it is told: pushed from an empty folder it empties
every node. The content master's guard (roles/content_sync,
webfarm-content-push) holds the push instead when the tree is not the real
published tree (no marker at its root), when it is empty, or when one push
would delete more than a bounded share of a node's files; and files arrive
whole, so a master that crashes in the middle of a large file leaves every
node serving the previous version. Each drill keeps a client fetching every
drill file from every node and checks what it got against the file's
checksum: not one failed or partial answer. When the inventory has a farm
monitor, its content row must show the hold.
"""
from __future__ import annotations

import hashlib
import shlex
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from lab import content, hosts, monitor
from lab.drill import Load
from lab.drill_report import TARGET_CONTENT_KEPT
from lab.report import Result

pytestmark = pytest.mark.drill

FILES = 24          # small files published for a drill, on every node
BIG = 96 << 20      # the large file whose transfer the master crashes in
HOLD_S = 30         # generous bound for the guard to hold every node's push (a retry every few seconds)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def published(master, nodes):
    """FILES small files under a folder of their own, on every node; removed after."""
    folder = f"drill-{uuid.uuid4().hex[:8]}"
    files = {f"{folder}/page{i:02d}.html": f"<p>drill page {i} of {folder}</p>\n".encode() for i in range(FILES)}
    script = " && ".join(f"printf %s {shlex.quote(d.decode())} > {shlex.quote(rel)}" for rel, d in files.items())
    hosts.run(master, "sh", "-c", f"cd {shlex.quote(content.root_of(master))} && mkdir -p {folder} && {script}")
    for rel, data in files.items():
        content.wait_file(nodes, rel, _sha(data), timeout=15)
    yield files
    # Removing them is itself a mass deletion for a small tree: published on purpose.
    hosts.run(master, "rm", "-rf", f"{content.root_of(master)}/{folder}")
    _resync(master, allow_deletions=True)
    content.wait_file(nodes, next(iter(files)), "", timeout=15)
    content.wait_no_holds(master, timeout=30)


def _resync(master, allow_deletions: bool = False) -> None:
    argv = ["/usr/local/sbin/webfarm-content-resync"] + (["--allow-deletions"] if allow_deletions else [])
    out = hosts.run(master, *argv, timeout=120, check=False)
    assert out.returncode == 0, f"{' '.join(argv)} failed ({out.returncode}): {out.stdout}{out.stderr}"


@contextmanager
def served(inventory, nodes, files: dict[str, bytes], seconds: float) -> Iterator[dict[str, list[Result]]]:
    """A client fetching every file from every node while the block runs;
    afterwards out["bad"] lists every answer that was not the whole file."""
    urls = {n.url("web_node_port", f"/{rel}"): _sha(data) for n in nodes for rel, data in files.items()}
    load = Load(inventory.client(), list(urls), count=20000, duration=seconds, timeout=1.0, interval=0.02,
                headers=[n.var("web_node_header") for n in nodes], digest=True)
    out: dict[str, list[Result]] = {}
    load.start()
    try:
        yield out
    finally:
        results = load.finish()
        out["all"] = results
        out["bad"] = [r for r in results if not r.ok or r.digest != urls[r.target]]


def _report(name: str, out: dict[str, list[Result]], drill_record, figures: dict | None = None, **timeline) -> None:
    """Print and record the client's answers, one lane per node; a missing or
    partial file counts as a failed request and as data lost."""
    bad = out["bad"]
    print(f"\ncontent drill ({name}): {len(bad)} missing or partial of {len(out['all'])} answers"
          + "".join(f"; {k} {v}" for k, v in (figures or {}).items()))
    lanes: dict[str, list[Result]] = {}
    for r in out["all"]:
        lanes.setdefault(r.node or r.target.split("/")[2], []).append(r)
    drill_record(target=TARGET_CONTENT_KEPT, failed=len(bad), total=len(out["all"]), data_lost=bool(bad),
                 results=lanes, **timeline)
    assert len(out["all"]) > 100, "the client fetched too few files to judge"
    assert not bad, f"a node served a missing or partial file: {bad[:3]}"


def _monitor_shows(inventory, master, text: str) -> None:
    mon = monitor.of(inventory)
    if mon is not None:
        monitor.wait_row(mon, f"web_farm/content/{master.name}", "degraded", text, timeout=10)


def _restart_push(master) -> None:
    hosts.run(master, "systemctl", "restart", "webfarm-content-sync.service")


def test_drill_an_empty_tree_in_place_of_the_published_one_is_never_pushed(inventory, master, nodes, published,
                                                                           drill_record):
    root = content.root_of(master)
    saved = f"{root}.drill-saved"
    with served(inventory, nodes, published, seconds=60) as out:
        try:
            # A disk that did not mount, a rebuilt master, a `mv`: an empty folder, then the push restarted.
            hosts.run(master, "sh", "-c", f"mv {root} {saved} && mkdir {root}")
            _restart_push(master)
            content.wait_holds(master, "has no marker", timeout=HOLD_S)
            _monitor_shows(inventory, master, "has no marker")
            # Someone "fixes" it with a marker: still nothing from an empty tree.
            hosts.run(master, "touch", f"{root}/{content.MARKER}")
            content.wait_holds(master, "is empty", timeout=HOLD_S)
            # One page in it: the push would delete nearly everything on the nodes.
            hosts.run(master, "cp", f"{saved}/index.html", f"{root}/index.html")
            content.wait_holds(master, "would delete", timeout=HOLD_S)
            _monitor_shows(inventory, master, "would delete")
            time.sleep(2)
        finally:
            hosts.run(master, "sh", "-c", f"[ -d {saved} ] && rm -rf {root} && mv {saved} {root}; true")
            _restart_push(master)
        took = content.wait_no_holds(master, timeout=20)
    _report("empty tree", out, drill_record, {"resumed after": f"{took:.2f} s"})


def test_drill_a_tree_without_its_marker_is_never_pushed(inventory, master, nodes, published, drill_record):
    root = content.root_of(master)
    rel = f"{next(iter(published)).split('/')[0]}/after-marker.txt"
    data = b"published while the marker was gone\n"
    with served(inventory, nodes, published, seconds=60) as out:
        try:
            hosts.run(master, "rm", f"{root}/{content.MARKER}")
            # Held everywhere: any push that began before the marker went has ended (one push per node at a time).
            content.wait_holds(master, "has no marker", timeout=HOLD_S)
            content.publish(master, rel, data)
            _monitor_shows(inventory, master, "has no marker")
            time.sleep(2)
            for node in nodes:
                assert hosts.run(node, "test", "-e", f"{content.root_of(node)}/{rel}", check=False).returncode != 0, \
                    f"{node.name} got a file pushed from a tree without its marker"
        finally:
            hosts.run(master, "touch", f"{root}/{content.MARKER}")
        took = content.wait_file(nodes, rel, _sha(data), timeout=20)
        content.wait_no_holds(master)
    _report("marker removed", out, drill_record, {"file on every node after": f"{max(took.values()):.2f} s"})


def test_drill_a_mass_deletion_is_held_until_published_on_purpose(inventory, master, nodes, published, drill_record):
    root = content.root_of(master)
    doomed = list(published)[: FILES * 3 // 4]
    kept = {rel: published[rel] for rel in published if rel not in doomed}
    with served(inventory, nodes, published, seconds=60) as out:
        hosts.run(master, "sh", "-c", f"cd {shlex.quote(root)} && rm -f " + " ".join(map(shlex.quote, doomed)))
        held = content.wait_holds(master, "would delete", timeout=HOLD_S)
        _monitor_shows(inventory, master, "would delete")
        time.sleep(2)
    _report("mass deletion held", out, drill_record, {"deletions held": held[0].get("deletions")})
    # The operator's one explicit action publishes it.
    _resync(master, allow_deletions=True)
    content.wait_file(nodes, doomed[0], "", timeout=15)
    for node in nodes:
        left = hosts.run(node, "sh", "-c", f"cd {shlex.quote(content.root_of(node))} && ls {doomed[0].split('/')[0]}")
        assert sorted(left.stdout.split()) == sorted(r.split("/")[1] for r in kept), f"{node.name} after the publish"
    content.wait_no_holds(master)


def test_drill_a_master_crash_mid_transfer_never_serves_a_partial_file(inventory, master, nodes, published,
                                                                       drill_record):
    folder = next(iter(published)).split("/")[0]
    rel = f"{folder}/big.bin"
    path = shlex.quote(f"{content.root_of(master)}/{rel}")
    # Version A everywhere first.
    hosts.run(master, "sh", "-c", f"head -c {BIG} /dev/urandom > {path}.tmp && mv {path}.tmp {path}", timeout=60)
    old = hosts.run(master, "sh", "-c", f"sha256sum {path} | cut -c1-64").stdout.strip()
    content.wait_file(nodes, rel, f"size:{BIG}", timeout=60)
    big_urls = {n.name: n.url("web_node_port", f"/{rel}") for n in nodes}
    client = inventory.client()
    # Version B, and the master crashed once its transfer to a node is under way.
    # rsync writes the new version beside the file under a temporary dot name
    # (.big.bin.XXXXXX; --delay-updates then holds it in .~tmp~/ until the push ends).
    watcher = hosts.subprocess_popen(nodes[0], ["sh", "-c", (
        f"cd {shlex.quote(content.root_of(nodes[0]))}/{folder} && end=$(( $(date +%s) + 60 )); "
        "until ls -A | grep -q '^[.]big[.]bin[.]' || [ -n \"$(ls -A .~tmp~ 2>/dev/null)\" ]; do "
        "[ $(date +%s) -ge $end ] && exit 1; sleep 0.01; done")])
    with served(inventory, nodes, published, seconds=90) as out:
        crashed = None
        try:
            hosts.run(master, "sh", "-c", f"head -c {BIG} /dev/urandom > {path}", timeout=60)
            assert watcher.wait(timeout=65) == 0, "the push of the new version never started"
            crashed = hosts.crash(master)
            during = {name: _fetch_digest(client, url) for name, url in big_urls.items()}
        finally:
            hosts.start(master)
        new = hosts.run(master, "sh", "-c", f"sha256sum {path} | cut -c1-64").stdout.strip()
        took = content.wait_file(nodes, rel, new, timeout=60)
    after = {name: _fetch_digest(client, url) for name, url in big_urls.items()}
    # Each node serves one whole version: the old one, or the new one when its
    # own transfer ended before the crash (under load a node can finish first).
    partial = {name: digest for name, digest in during.items() if digest not in (old, new)}
    assert not partial, f"a node served neither the whole old file nor the whole new one: {partial}"
    assert after == {n.name: new for n in nodes}, "a node does not serve the whole new file after the master's return"
    _report("master crash mid-transfer", out, drill_record, {"new version everywhere after": f"{max(took.values()):.2f} s"},
            disrupted=crashed.t0, disrupted_label=f"crash {master.name}")


def _fetch_digest(client, url: str) -> str:
    """The SHA-256 of what the client gets at url ('' when not a 200)."""
    out = hosts.run(client, "bash", "-o", "pipefail", "-c",
                    f"curl -sf --max-time 30 {shlex.quote(url)} | sha256sum | cut -c1-64", timeout=60, check=False)
    return out.stdout.strip() if out.returncode == 0 else ""
