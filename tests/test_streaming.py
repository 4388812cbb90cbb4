"""Large dumps and large SPARQL answers stream: the server's memory stays flat while they go out.

A real `bikgraph serve` process on loopback; its resident memory is read from /proc while a
client downloads. The dump is L-sized (2 million triples, the size of the L benchmark graph).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time

import httpx
import pytest

from .server_process import served

L_TRIPLES = 2_000_000
MiB = 1024 * 1024


def resident_bytes(pid: int) -> int:
    for line in open(f"/proc/{pid}/status", encoding="ascii"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def write_l_size_dump(path) -> tuple[int, str]:
    """2M N-Triples lines shaped like the data, written in blocks; returns (size, sha256)."""
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        for block in range(L_TRIPLES // 10_000):
            lines = "".join(f"<https://data.example.eu/bik/id/finding/XA/{block}/{i}> "
                            f"<https://data.example.eu/bik/def/text> \"finding {block}-{i}\"@en .\n"
                            for i in range(10_000)).encode()
            out.write(lines)
            digest.update(lines)
            size += len(lines)
    return size, digest.hexdigest()


@pytest.fixture(scope="module")
def server(tmp_path_factory, release):
    """A server over a copy of the release whose N-Triples dump is replaced by an L-size one."""
    releases = tmp_path_factory.mktemp("streaming") / "releases"
    releases.mkdir()
    shutil.copytree(release.path, releases / release.id)
    (releases / "current").symlink_to(release.id)
    dump = releases / release.id / "dumps" / "bikgraph.nt"
    size, sha256 = write_l_size_dump(dump)
    manifest_path = releases / release.id / "release.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["dumps"]:
        if entry["name"] == "bikgraph.nt":
            entry.update(size=size, sha256=sha256)
    manifest_path.write_text(json.dumps(manifest))
    with served(releases, "--result-cap", "1000000", startup_s=60) as (url, process):
        yield url, process.pid, size, sha256


def download_watching_memory(url: str, pid: int, **request) -> tuple[int, str, int, int]:
    """Stream a response slowly enough to watch the server; return (bytes, sha256, rss before, peak rss)."""
    before = resident_bytes(pid)
    peak, done = before, threading.Event()

    def watch():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, resident_bytes(pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    digest, received = hashlib.sha256(), 0
    try:
        with httpx.stream("GET", url, timeout=120, **request) as response:
            assert response.status_code == 200, response.read()[:500]
            for chunk in response.iter_bytes(1 << 20):
                digest.update(chunk)
                received += len(chunk)
    finally:
        done.set()
        watcher.join()
    return received, digest.hexdigest(), before, peak


def test_memory_stays_flat_while_an_l_size_dump_downloads(server):
    url, pid, size, sha256 = server
    httpx.get(url + "/dumps/SHA256SUMS")  # warm the route
    received, digest, before, peak = download_watching_memory(url + "/dumps/bikgraph.nt", pid)
    assert (received, digest) == (size, sha256)
    assert size > 150 * MiB
    assert peak - before < 32 * MiB, f"server grew by {(peak - before) / MiB:.0f} MiB for a {size / MiB:.0f} MiB dump"


def test_memory_stays_flat_while_a_large_sparql_answer_streams(server):
    """135k solutions (every triple times the 40 indicators) as SPARQL XML: the worker writes them
    to a file and the web process streams it."""
    url, pid, _size, _sha = server
    query = ("SELECT * WHERE { ?s ?p ?o . ?i a <https://data.example.eu/bik/def/Indicator> }")
    received, _digest, before, peak = download_watching_memory(
        url + "/sparql", pid, params={"query": query}, headers={"Accept": "application/sparql-results+xml"})
    assert received > 40 * MiB
    assert peak - before < 24 * MiB, f"server grew by {(peak - before) / MiB:.0f} MiB for {received / MiB:.0f} MiB"
