"""Run the load generator from the lab's client container, in the background.

    load = Load(client, targets, count=5000, duration=30)
    load.start()
    ... crash, stop or cut off a host ...
    results = load.finish()

The run is bounded by count and duration inside the client; finish() ends it
early through a stop file and returns every request's Result.
"""
from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from lab.hosts import docker
from lab.inventory import Host
from lab.report import Result

LOADGEN = Path(__file__).with_name("loadgen.py")


class Load:
    def __init__(self, client: Host, targets: Sequence[str], count: int, duration: float,
                 timeout: float = 0.5, interval: float = 0.0, workers: int = 1,
                 headers: Sequence[str] = ("X-Served-By",), resolve: str = "all", digest: bool = False,
                 pace: float = 0.0) -> None:
        self.client = client
        self.duration = duration
        self.stop_file = f"/tmp/webfarm-loadgen-{uuid.uuid4().hex[:8]}.stop"
        self.argv = ["docker", "exec", client.container, "python3", "-c", LOADGEN.read_text(),
                     "--count", str(count), "--duration", str(duration), "--timeout", str(timeout),
                     "--interval", str(interval), "--workers", str(workers), "--stop-file", self.stop_file,
                     "--resolve", resolve, "--pace", str(pace)] + (["--digest"] if digest else [])
        for header in dict.fromkeys(headers):
            self.argv += ["--header", header]
        for target in targets:
            self.argv += ["--target", target]
        self.proc: subprocess.Popen[str] | None = None
        self.started = 0.0

    def start(self) -> Load:
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.started = time.time()
        return self

    def finish(self, grace: float = 0.0) -> list[Result]:
        """End the run (after grace seconds) and return its results."""
        assert self.proc is not None, "start() first"
        if grace:
            time.sleep(grace)
        docker("exec", self.client.container, "touch", self.stop_file, check=False)
        out, err = self.proc.communicate(timeout=self.duration + 30)
        docker("exec", self.client.container, "rm", "-f", self.stop_file, check=False)
        if self.proc.returncode != 0:
            raise RuntimeError(f"load generator failed ({self.proc.returncode}): {err.strip()}")
        return [Result.from_record(json.loads(line)) for line in out.splitlines() if line.strip()]


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> float:
    """Poll until predicate() is true; return the seconds it took. Bounded."""
    t0 = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - t0
        if time.monotonic() - t0 >= timeout:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)
