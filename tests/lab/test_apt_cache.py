"""The apt cache every lab and scenario shares (playbooks/roles/lab_apt_cache).

A mirror that stops answering must not hold apt: an update then gets the
release file the cache already holds, before apt's own 30 s timeout. Checked
with a stand-in mirror inside the cache container, on the cache's own address
and network (no other host sees it).
"""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import yaml

from lab.hosts import docker

VARS = yaml.safe_load((Path(__file__).resolve().parents[2] / "playbooks/vars/lab_apt_cache.yml").read_text())
CACHE = VARS["lab_apt_cache_container"]
ADDRESS = VARS["lab_apt_cache_address"]
PORT = 8099  # the stand-in mirror's port, in the cache container only
# A release file, so the cache checks it upstream on every request, as it
# does the mirror's; a suite of its own each run, so the cache's log lines
# for it are this run's, whatever else uses the cache meanwhile.
URL = f"http://{ADDRESS}:{PORT}/debian/dists/webfarm-test-{{}}/InRelease"
STALL = "/tmp/webfarm-test-mirror-stalls"
APT_TIMEOUT = 30  # apt's own (Acquire::http::Timeout): the cache must answer before it

# Answers GET with a fixed body and a Last-Modified date, or, while STALL
# exists, reads the request and says nothing for 120 s (a hung mirror).
MIRROR = f"""
import http.server, os, time
BODY = b"webfarm stand-in release file\\n" * 100
class Mirror(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if os.path.exists({STALL!r}):
            time.sleep(120)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Last-Modified", "Mon, 07 Dec 2026 10:00:00 GMT")
        self.end_headers()
        self.wfile.write(BODY)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(({ADDRESS!r}, {PORT}), Mirror).serve_forever()
"""


def _in_cache(*argv: str, timeout: float = 60) -> str:
    out = docker("exec", CACHE, *argv, timeout=timeout, check=False)
    assert out.returncode == 0, f"{CACHE}: {' '.join(argv)}: {out.stderr.strip() or out.stdout.strip()}"
    return out.stdout


def _fetch(url: str) -> tuple[str, float]:
    """GET url through the cache: (body, seconds); curl gives up at apt's timeout."""
    t0 = time.monotonic()
    out = docker("exec", CACHE, "curl", "-sS", "--max-time", str(APT_TIMEOUT), "--proxy",
                 f"http://{ADDRESS}:{VARS['lab_apt_cache_port']}", url, timeout=APT_TIMEOUT + 30, check=False)
    took = time.monotonic() - t0
    assert out.returncode == 0, f"no answer through the cache in {took:.1f} s: {out.stderr.strip()}"
    return out.stdout, took


@pytest.fixture()
def mirror() -> str:
    """The stand-in mirror, running: the URL of its release file."""
    if docker("inspect", "-f", "{{.State.Running}}", CACHE, check=False).stdout.strip() != "true":
        pytest.skip(f"{CACHE} is not running")
    _in_cache("rm", "-f", STALL)
    # Bounded: the stand-in exits on its own after 5 minutes at most.
    docker("exec", "-d", CACHE, "timeout", "300", "python3", "-c", MIRROR)
    url = URL.format(uuid.uuid4().hex[:12])
    for _ in range(50):
        if docker("exec", CACHE, "curl", "-sf", "-o", "/dev/null", url, check=False).returncode == 0:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"{CACHE}: the stand-in mirror did not answer on {ADDRESS}:{PORT} within 10 s")
    yield url
    _in_cache("rm", "-f", STALL)
    docker("exec", CACHE, "pkill", "-f", "webfarm stand-in release file", check=False)


def test_a_stalled_mirror_gets_the_cached_release_file_before_apt_gives_up(mirror):
    fresh, _ = _fetch(mirror)
    assert "stand-in release file" in fresh
    _in_cache("touch", STALL)
    stale, took = _fetch(mirror)
    print(f"\n  the mirror stalled: the cache answered from its copy in {took:.1f} s (apt waits {APT_TIMEOUT} s)")
    assert stale == fresh
    log = [line for line in _in_cache("cat", "/var/log/squid/access.log").splitlines() if mirror in line]
    assert "TCP_REFRESH_FAIL_OLD" in log[-1], log
