"""`bikgraph serve` as a real uvicorn process on loopback, for the end-to-end tests."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from .store_process import free_port


@contextmanager
def served(releases: Path, *options: str, startup_s: float = 120):
    """Start `bikgraph --out RELEASES serve OPTIONS...`; yield (base URL, process) once it answers."""
    port = free_port()
    log_path = releases.parent / f"server-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "bikgraph.cli", "--out", str(releases), "serve",
                                    "--host", "127.0.0.1", "--port", str(port), *options],
                                   stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + startup_s
            while True:
                if process.poll() is not None:
                    raise AssertionError("server exited: " + log_path.read_text())
                try:
                    if httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError("server did not come up: " + log_path.read_text())
                time.sleep(0.3)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
