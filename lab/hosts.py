"""Crash, stop, start, cut off and reconnect lab hosts (Docker containers).

Every helper returns an Event with the wall-clock times the action began and
ended, so a drill can line them up with the load generator's timestamps
(containers share the host's clock). Lab only: production hosts are never
driven from here.
"""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

from lab.inventory import Host


@dataclass(frozen=True)
class Event:
    host: str
    action: str
    t0: float
    t1: float


def docker(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)


def state(host: Host) -> str:
    """running, exited, created, ... or missing."""
    out = docker("inspect", "-f", "{{.State.Status}}", host.container, check=False)
    return out.stdout.strip() if out.returncode == 0 else "missing"


def _timed(host: Host, action: str, *args: str, timeout: float = 60) -> Event:
    t0 = time.time()
    docker(*args, timeout=timeout)
    return Event(host.name, action, t0, time.time())


def crash(host: Host) -> Event:
    """Hard kill: SIGKILL to the whole container, like pulling the power."""
    return _timed(host, "crash", "kill", host.container)


def stop(host: Host) -> Event:
    """Clean shutdown: systemd stops every service, then the container exits."""
    return _timed(host, "stop", "stop", "--time", "30", host.container)


def wait_booted(host: Host, timeout: float = 60) -> None:
    """Wait until systemd in the host reports running (or degraded)."""
    deadline = time.monotonic() + timeout
    while True:
        # Right after `docker start` systemd's bus is not up yet: retry.
        left = max(1.0, deadline - time.monotonic())
        out = docker("exec", host.container, "systemctl", "is-system-running", "--wait", timeout=left, check=False)
        said = out.stdout.strip() or out.stderr.strip()
        if said in ("running", "degraded"):
            return
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{host.name} did not boot within {timeout} s: systemd says {said}")
        time.sleep(0.1)


def start(host: Host, timeout: float = 60) -> Event:
    """Start a stopped or crashed host and wait until systemd has booted it."""
    t0 = time.time()
    docker("start", host.container)
    wait_booted(host, timeout)
    return Event(host.name, "start", t0, time.time())


def cut(host: Host) -> Event:
    """Cut the host off the lab network (it keeps running)."""
    return _timed(host, "cut", "network", "disconnect", host.network, host.container)


def reconnect(host: Host) -> Event:
    """Put a cut-off host back on the lab network at its own addresses."""
    ip6 = ["--ip6", host.address6] if host.address6 else []
    return _timed(host, "reconnect", "network", "connect", "--ip", host.address, *ip6, host.network, host.container)


# A partition is an nftables table in each host that drops traffic to and
# from the addresses in its `cut` set; the client and every other host keep
# reaching both sides.
_NFT_TABLE = "webfarm_drill"
_NFT_RULESET = f"""table inet {_NFT_TABLE} {{
    set cut {{ type ipv4_addr; }}
    set refused {{ type inet_service; }}
    chain input {{ type filter hook input priority -10; ip saddr @cut drop; tcp dport @refused reject with tcp reset; }}
    chain output {{ type filter hook output priority -10; ip daddr @cut drop; }}
}}
"""


def _nft(host: Host, *argv: str, stdin: str | None = None) -> None:
    out = subprocess.run(["docker", "exec", "-i", host.container, "nft", *argv], input=stdin,
                         capture_output=True, text=True, timeout=30, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"nft {' '.join(argv)} on {host.name} failed: {out.stderr.strip()}")


def _has_table(host: Host) -> bool:
    return docker("exec", host.container, "nft", "list", "table", "inet", _NFT_TABLE, check=False).returncode == 0


def partition(a: Host, b: Host) -> Event:
    """Cut the link between two hosts, both ways; each stays reachable from every other host."""
    t0 = time.time()
    for host, peer in ((a, b), (b, a)):
        if not _has_table(host):
            _nft(host, "-f", "-", stdin=_NFT_RULESET)
        _nft(host, "add", "element", "inet", _NFT_TABLE, "cut", f"{{ {peer.address} }}")
    return Event(f"{a.name}|{b.name}", "partition", t0, time.time())


def refuse(host: Host, port: int) -> Event:
    """Refuse every TCP connection to port on host (a reset, as when nothing
    listens), its service left running; restore() lifts it."""
    t0 = time.time()
    if not _has_table(host):
        _nft(host, "-f", "-", stdin=_NFT_RULESET)
    _nft(host, "add", "element", "inet", _NFT_TABLE, "refused", f"{{ {int(port)} }}")
    return Event(host.name, f"refuse {port}", t0, time.time())


def heal(a: Host, b: Host) -> Event:
    """Restore the link partition() cut."""
    t0 = time.time()
    for host, peer in ((a, b), (b, a)):
        _nft(host, "delete", "element", "inet", _NFT_TABLE, "cut", f"{{ {peer.address} }}")
    return Event(f"{a.name}|{b.name}", "heal", t0, time.time())


_ISOLATED: dict[str, tuple[str, list[str], list[str]]] = {}  # container -> (interface, its IPv4 and IPv6 routes)


def _interface(host: Host) -> str:
    out = run(host, "ip", "-o", "-4", "addr", "show", "to", host.address).stdout.split()
    if len(out) < 2:
        raise RuntimeError(f"{host.name} has no interface with {host.address}")
    return out[1]


def isolate(host: Host) -> Event:
    """Pull the host's cable: its lab interface goes down inside it (the
    container keeps running, the interface and its IPv4 address stay, as on
    a real host whose link fails). Unlike a firewall rule this also silences
    raw-socket traffic such as gratuitous ARP. rejoin() undoes it."""
    t0 = time.time()
    iface = _interface(host)
    routes = [r for r in run(host, "ip", "-4", "route", "show").stdout.splitlines() if r.strip()]
    routes6 = [r for r in run(host, "ip", "-6", "route", "show").stdout.splitlines()
               if r.strip() and not r.startswith(("fe80:", "multicast", "local"))]
    _ISOLATED[host.container] = (iface, routes, routes6)
    run(host, "ip", "link", "set", iface, "down")
    return Event(host.name, "isolate", t0, time.time())


def rejoin(host: Host) -> Event:
    """Undo isolate(): the interface up again, with the routes it had. Linux
    drops an interface's IPv6 addresses when its link goes down
    (keep_addr_on_down is 0); a real host's network manager adds its static
    one back when the link returns, and so does this: the host's own
    webfarm_address6 only, never a VIP (keepalived or the cluster may have
    moved that elsewhere meanwhile)."""
    t0 = time.time()
    iface, routes, routes6 = _ISOLATED.pop(host.container)
    run(host, "ip", "link", "set", iface, "up")
    for route in routes:
        run(host, "ip", "route", "replace", *route.split(), check=False)
    prefix = host.var("webfarm_lab_subnet6")
    if host.address6 and prefix:
        have = run(host, "ip", "-6", "-o", "addr", "show", "dev", iface, check=False).stdout
        if f" {host.address6}/" not in have:
            run(host, "ip", "-6", "addr", "add", f"{host.address6}/{str(prefix).rsplit('/', 1)[1]}", "dev", iface, "nodad",
                check=False)
        for route in routes6:
            run(host, "ip", "-6", "route", "replace", *route.split(), check=False)
    return Event(host.name, "rejoin", t0, time.time())


def isolated(host: Host) -> bool:
    return host.container in _ISOLATED


def partitioned(host: Host) -> bool:
    """Whether any partition() still cuts this host off from another."""
    out = docker("exec", host.container, "nft", "list", "set", "inet", _NFT_TABLE, "cut", check=False)
    return out.returncode == 0 and "elements" in out.stdout


def connected(host: Host) -> bool:
    out = docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", host.container, check=False)
    return out.returncode == 0 and f'"{host.network}"' in out.stdout


def restore(host: Host) -> None:
    """Bring a host back however it was taken away: started, on its network,
    cut off from no other host, refusing no port."""
    if state(host) != "running":
        start(host)
    if not connected(host):
        reconnect(host)
    if _has_table(host):
        _nft(host, "delete", "table", "inet", _NFT_TABLE)
    if isolated(host):
        rejoin(host)


def run(host: Host, *argv: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command inside a lab host."""
    return docker("exec", host.container, *argv, timeout=timeout, check=check)


def scheduling(host: Host, command: str) -> list[tuple[int, str, str]]:
    """(pid, class, real-time priority) of every thread of each process
    named command on host, as ps shows them: class TS is the default
    scheduling, RR and FF real-time; the priority is "-" when not real-time."""
    out = run(host, "ps", "-L", "-o", "pid=,cls=,rtprio=", "-C", command, check=False).stdout
    return [(int(pid), cls, prio) for pid, cls, prio in (line.split() for line in out.splitlines() if line.strip())]


def journal(host: Host, *units: str, since: float, until: float | None = None) -> str:
    """The units' journal on host between since and until (unix times; until
    is taken to the end of its second), one `-o short-unix` line per entry."""
    argv = ["journalctl", *[a for unit in units for a in ("-u", unit)], "-o", "short-unix", "--no-pager",
            f"--since=@{int(since)}"]
    if until is not None:
        argv.append(f"--until=@{int(until) + 1}")
    return run(host, *argv, check=False).stdout


def subprocess_popen(host: Host, argv: list[str]) -> subprocess.Popen[str]:
    """Start a command inside a lab host in the background (communicate() for its output)."""
    return subprocess.Popen(["docker", "exec", host.container, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
