"""The servers a benchmark compares, each started on loopback over the same release.

bikgraph (`bikgraph serve`), `oxigraph serve-read-only` (PyPI `oxigraph`), rdflib-endpoint (PyPI)
and nginx (Debian) serving pre-rendered documents as static files.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (uvicorn workers, query workers)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in open(f"/proc/{current}/status", encoding="ascii"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(c) for c in children)
    return total


@dataclass
class Peer:
    name: str
    url: str
    process: subprocess.Popen
    log: Path
    extra: dict = field(default_factory=dict)

    def rss(self) -> int:
        return process_tree_rss(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def start(name: str, command: list[str], probe_url: str, log: Path, timeout: float = 600, **popen) -> Peer:
    """Start a server in its own process group and wait until probe_url answers 200."""
    handle = log.open("w")
    process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True, **popen)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(probe_url, timeout=5) as response:
                if response.status == 200:
                    root = urllib.parse.urlsplit(probe_url)._replace(path="", query="").geturl()
                    return Peer(name, root, process, log)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{name} did not answer within {timeout:.0f} s")


ASK = "?query=ASK%7B%7D"


def start_bikgraph(python: str, releases: Path, workdir: Path, workers: int) -> Peer:
    port = free_port()
    return start("bikgraph", [python, "-m", "bikgraph.cli", "--out", str(releases), "serve", "--port", str(port),
                              "--workers", str(workers)],
                 f"http://127.0.0.1:{port}/sparql{ASK}", workdir / "bikgraph.log")


def start_oxigraph(binary: str, ntriples: Path, workdir: Path) -> Peer:
    location = workdir / "oxigraph-store"
    subprocess.run([binary, "load", "--location", str(location), "--file", str(ntriples)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    return start("oxigraph serve", [binary, "serve-read-only", "--location", str(location), "--bind",
                                    f"127.0.0.1:{port}"], f"http://127.0.0.1:{port}/query{ASK}",
                 workdir / "oxigraph.log")


def start_rdflib_endpoint(binary: str, ntriples: Path, workdir: Path) -> Peer:
    port = free_port()
    return start("rdflib-endpoint", [binary, "serve", str(ntriples), "--host", "127.0.0.1", "--port", str(port)],
                 f"http://127.0.0.1:{port}/{ASK}", workdir / "rdflib-endpoint.log", timeout=1800)  # SPARQL at /


NGINX_CONF = """daemon off;
worker_processes 2;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ text/turtle ttl; application/ld+json jsonld; text/html html; }}
    client_body_temp_path {workdir}/nginx-tmp; proxy_temp_path {workdir}/nginx-tmp;
    fastcgi_temp_path {workdir}/nginx-tmp; uwsgi_temp_path {workdir}/nginx-tmp; scgi_temp_path {workdir}/nginx-tmp;
    etag on;
    server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
"""


def start_nginx(root: Path, workdir: Path) -> Peer:
    """nginx serving the documents bikgraph pre-rendered, as files: the static-file ceiling."""
    port = free_port()
    (workdir / "nginx-tmp").mkdir(exist_ok=True)
    conf = workdir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workdir=workdir, port=port, root=root))
    (root / "ok.html").write_text("ok")
    return start("nginx (static)", ["nginx", "-c", str(conf), "-p", str(workdir)],
                 f"http://127.0.0.1:{port}/ok.html", workdir / "nginx.log")
