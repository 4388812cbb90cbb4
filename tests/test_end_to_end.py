"""End to end: `bikgraph serve` as a real uvicorn process on loopback, from an empty releases
folder (it builds first, as the README's run command does), checked with httpx and headless
Chromium (Debian's `chromium`, installed by scripts/test)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from rdflib import Graph

from .server_process import served

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    releases = tmp_path_factory.mktemp("served") / "releases"
    with served(releases) as (url, _process):
        yield url, releases


def test_serve_built_a_release_first(server):
    _, releases = server
    assert (releases / "current" / "store").is_dir()


def test_http_round_trip(server):
    url, _ = server
    with httpx.Client(base_url=url, timeout=30) as client:
        redirect = client.get("/id/profile/BE/2024")
        assert redirect.status_code == 303 and redirect.headers["location"] == "/doc/profile/BE/2024"
        doc = client.get("/id/profile/BE/2024", follow_redirects=True, headers={"Accept": "text/turtle"})
        assert doc.status_code == 200
        assert len(Graph().parse(data=doc.content, format="turtle")) > 5
        answer = client.post("/sparql", content=b"PREFIX bik: <https://data.example.eu/bik/def/> "
                                                b"SELECT (COUNT(*) AS ?n) WHERE { ?r a bik:Rating }",
                             headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"})
        assert answer.status_code == 200 and answer.text.splitlines() == ["n", "40"]
        dump = client.get("/dumps/bikgraph.nt.gz")
        assert dump.status_code == 200 and dump.headers["content-type"] == "application/gzip"
        bad = client.get("/sparql", params={"query": "SELECT * WHERE {"})
        assert bad.status_code == 400 and bad.text.startswith("malformed query")


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Debian's chromium is required for the browser checks: scripts/test installs it"
    return path


def browse(url: str, tmp_path: Path, screenshot: str | None = None) -> str:
    """The DOM after Chromium loaded and rendered the page (no JavaScript of ours runs)."""
    flags = CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1280,1800"]
    if screenshot:
        subprocess.run([chromium(), *flags, f"--screenshot={tmp_path / screenshot}", url], check=True,
                       capture_output=True, timeout=120)
        assert (tmp_path / screenshot).stat().st_size > 10_000
    done = subprocess.run([chromium(), *flags, "--dump-dom", url], check=True, capture_output=True, timeout=120)
    return done.stdout.decode("utf-8")


def test_home_page_in_chromium(server, tmp_path):
    url, _ = server
    dom = browse(url + "/", tmp_path, "home.png")
    assert "BIK+ Policy Monitor as linked data" in dom
    assert "derived by bikgraph from the narrative" in dom
    assert 'href="/doc/profile/BE/2024"' in dom or 'href="/id/profile/BE/2024"' in dom


def test_profile_page_in_chromium(server, tmp_path):
    url, _ = server
    dom = browse(url + "/id/profile/BE/2024", tmp_path, "profile.png")  # follows the 303
    assert "These are not the official ratings." in dom
    assert dom.count("derived from the narrative · not official") == 39
    assert "Lead ministry for policy development" in dom


def test_sparql_page_in_chromium(server, tmp_path):
    url, _ = server
    form = browse(url + "/sparql", tmp_path)
    assert "<textarea" in form and "Example questions" in form
    query = httpx.QueryParams({"query": "PREFIX bik: <https://data.example.eu/bik/def/> "
                                        "SELECT ?r WHERE { ?r a bik:Rating } ORDER BY ?r LIMIT 3"})
    results = browse(f"{url}/sparql?{query}", tmp_path, "sparql.png")
    assert "3 result(s)" in results and "rating/BE/2024" in results


def test_several_worker_processes_serve_one_release(server):
    """serve --workers 2: uvicorn starts each worker from the settings handed over in the environment."""
    _, releases = server
    with served(releases, "--workers", "2") as (url, process):
        etags = {httpx.get(url + "/doc/org/bipt.ttl").headers["etag"] for _ in range(6)}
        assert len(etags) == 1
        count = httpx.get(url + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                          headers={"Accept": "text/csv"})
        assert count.status_code == 200 and int(count.text.split()[1]) > 3000
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(children) >= 2  # the two web workers (and uvicorn's multiprocessing helper)
