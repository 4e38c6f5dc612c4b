"""One browser session against the session app, from the lab's client.

    s = Session(client, ["http://10.213.0.200/app/"])   # one cookie for its life
    replies = s.visit(12)                               # 12 visits, in turn over the URLs
    s.start(count=3000, duration=60, interval=0.02)     # in the background ...
    replies = s.finish()                                # ... until finish()

Each reply is a dict: t (wall clock, the host's and the containers' clock),
url, http (the HTTP status, 0 when no answer), and the app's JSON (node, visits,
status, reason) or `error`. Every run is bounded in count and time.
"""
from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from lab import cluster, hosts, vip
from lab.drill import wait_for
from lab.hosts import docker
from lab.inventory import Host, Inventory
from lab.playbook import run_playbook

STORE_GROUP = "webfarm-store"

# Runs in the client: keeps the session cookie in a file, so consecutive
# runs continue one session.
SCRIPT = r"""
import json, os, sys, time, urllib.error, urllib.request
jar, stop, count, duration, interval = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
urls = sys.argv[6:]
cookie = open(jar).read().strip() if os.path.exists(jar) else ''
end = time.monotonic() + duration
for i in range(count):
    if time.monotonic() >= end or os.path.exists(stop):
        break
    url = urls[i % len(urls)]
    rec = {'t': time.time(), 'url': url, 'http': 0}
    req = urllib.request.Request(url, headers={'Cookie': cookie} if cookie else {})
    try:
        try:
            resp = urllib.request.urlopen(req, timeout=2)
        except urllib.error.HTTPError as e:
            resp = e
        rec['http'] = resp.status
        body = resp.read().decode(errors='replace')
        set_cookie = resp.headers.get('Set-Cookie')
        if set_cookie and not cookie:
            cookie = set_cookie.split(';')[0]
            open(jar, 'w').write(cookie)
        try:
            rec.update(json.loads(body))
        except ValueError:
            rec['error'] = 'not JSON: ' + body[:200]
    except Exception as e:
        rec['error'] = type(e).__name__ + ': ' + str(e)[:200]
    print(json.dumps(rec), flush=True)
    if interval:
        time.sleep(interval)
"""


class Session:
    def __init__(self, client: Host, urls: Sequence[str]) -> None:
        self.client = client
        self.urls = list(urls)
        tag = uuid.uuid4().hex[:8]
        self.jar = f"/tmp/webfarm-session-{tag}.cookie"
        self.stop_file = f"/tmp/webfarm-session-{tag}.stop"
        self.proc: subprocess.Popen[str] | None = None

    def _argv(self, count: int, duration: float, interval: float) -> list[str]:
        if not 0 < count <= 100_000 or not 0 < duration <= 600:
            raise ValueError("a session run is bounded: count 1-100000, duration up to 600 s")
        return ["docker", "exec", self.client.container, "python3", "-c", SCRIPT, self.jar, self.stop_file,
                str(count), str(duration), str(interval), *self.urls]

    def visit(self, count: int, interval: float = 0.0, duration: float = 60) -> list[dict[str, Any]]:
        out = subprocess.run(self._argv(count, duration, interval), capture_output=True, text=True,
                             timeout=duration + 30, check=True)
        return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]

    def start(self, count: int, duration: float, interval: float = 0.02) -> Session:
        self.proc = subprocess.Popen(self._argv(count, duration, interval), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.duration = duration
        return self

    def finish(self) -> list[dict[str, Any]]:
        assert self.proc is not None, "start() first"
        docker("exec", self.client.container, "touch", self.stop_file, check=False)
        out, err = self.proc.communicate(timeout=self.duration + 30)
        docker("exec", self.client.container, "rm", "-f", self.stop_file, check=False)
        if self.proc.returncode != 0:
            raise RuntimeError(f"session client failed ({self.proc.returncode}): {err.strip()}")
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def close(self) -> None:
        docker("exec", self.client.container, "rm", "-f", self.jar, self.stop_file, check=False)


def app_path(inventory: Inventory) -> str:
    web = inventory.hosts("web_farm")
    return str(web[0].var("session_app_path") or "/app/") if web else "/app/"


def spread_urls(inventory: Inventory) -> list[str]:
    """Where a client reaches the app with no affinity: the nlb VIP's site
    without affinity (HAProxy spreads the requests), else every web node in
    turn (the client spreads them)."""
    path = app_path(inventory)
    balancers = inventory.hosts("nlb")
    if balancers:
        address = vip.declared(balancers[0])[0]
        for site in balancers[0].var("lb_haproxy_sites") or []:
            if site.get("affinity", "none") == "none":
                return [vip.site_url(balancers[0], site, address, path)]
    return [n.url("web_node_port", path) for n in inventory.hosts("web_farm")]


def backend(inventory: Inventory) -> str:
    """The app's backend as the inventory sets it (the role's rule: redis when
    there is a store, else memory)."""
    web = inventory.hosts("web_farm")
    said = web[0].var("session_app_backend") if web else None
    if isinstance(said, str) and said in ("redis", "memory"):
        return said
    return "redis" if inventory.hosts("session_store") else "memory"


def store_login(store: Host, user: str = "") -> tuple[str, str]:
    """(user, password) of one of the store's users as its host has them (the
    inventory may hold a lookup or a vaulted value the tests cannot
    evaluate): the session app's by default; ("", "") when there is none."""
    user = user or str(store.var("session_store_app_user") or "webfarm-session")
    out = hosts.run(store, "cat", "/etc/redis/webfarm-auth.conf", check=False)
    for line in out.stdout.splitlines():
        words = line.split()
        if words[:2] == ["user", user]:
            return user, next((w[1:] for w in words if w.startswith(">")), "")
    return "", ""


def admin_login(store: Host) -> tuple[str, str]:
    """The operator's (user, password) at the store, ("", "") without one."""
    return store_login(store, str(store.var("session_store_admin_user") or "webfarm-admin"))


def redis_auth(address: str, port: int, user: str, password: str) -> list[str]:
    """The options that log redis-cli and redis-benchmark in alike: both
    take -h, -p, --user and -a (redis-benchmark has no --pass).

    >>> redis_auth("10.0.0.5", 6379, "admin", "pw")
    ['-h', '10.0.0.5', '-p', '6379', '--user', 'admin', '-a', 'pw']
    """
    return ["-h", address, "-p", str(port), "--user", user, "-a", password]


def store_address(store: Host) -> str:
    """Where clients reach the store: its address, or its group's VIP."""
    said = str(store.var("session_store_address") or "")
    return store.address if not said or "{{" in said else said


def store_url(store: Host, login: tuple[str, str] = ("", "")) -> str:
    """redis://[USER:PASSWORD@]ADDRESS:PORT of the store (the load generator's form)."""
    user, password = login
    auth = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}@" if password else ""
    return f"redis://{auth}{store_address(store)}:{store.var('session_store_port') or 6379}"


def store_host(inventory: Inventory, timeout: float = 60) -> tuple[Host, list[Host] | None]:
    """The host running the store now, and the cluster's nodes when a cluster
    runs it (None for a store on a host of its own)."""
    stores = inventory.hosts("session_store")
    if not stores:
        raise LookupError(f"the inventory {inventory.source} has no session store (session_store group)")
    if "active_passive" not in stores[0].groups:
        return stores[0], None
    nodes = inventory.hosts("active_passive")
    where, _ = cluster.wait_group(nodes, STORE_GROUP, lambda n: True, since=time.time(), timeout=timeout)
    return next(n for n in nodes if n.name == where), nodes


WORKERS = "pgrep -P $(systemctl show -p MainPID --value webfarm-session-app.service) || true"


def _workers(inventory: Inventory) -> dict[str, set[str]]:
    """Each web node's gunicorn worker processes."""
    return {n.name: set(hosts.run(n, "sh", "-c", WORKERS).stdout.split()) for n in inventory.hosts("web_farm")}


def _converge(inventory: Inventory, extra_vars: dict[str, Any] | None = None, timeout: float = 30) -> None:
    """Converge the web nodes, then wait until each runs one new gunicorn
    worker and no old one: a changed configuration reloads the app (HUP),
    and gunicorn 23 (Debian 13) may drop a request caught in the swap
    (roles/session_app/README.md)."""
    before = _workers(inventory)
    out = run_playbook(inventory.source, "web_farm.yml", limit="web_farm", extra_vars=extra_vars)
    if out.returncode != 0:
        raise RuntimeError(f"converging the web nodes failed:\n{out.stdout[-3000:]}{out.stderr[-2000:]}")

    def swapped() -> bool:
        now = _workers(inventory)
        return all(len(now[n]) == 1 and not now[n] & before[n] for n in now)
    wait_for(swapped, timeout=timeout, interval=0.2)


@contextlib.contextmanager
def switched(inventory: Inventory, name: str) -> Iterator[None]:
    """The web nodes on session backend `name` for the block (one converge
    there and one back); nothing to do when they are on it already."""
    if backend(inventory) == name:
        yield
        return
    _converge(inventory, {"session_app_backend": name})
    try:
        yield
    finally:
        _converge(inventory)
