"""Releases published into a real `oxigraph serve` over the Graph Store Protocol and served from it."""

from __future__ import annotations

import http.server
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from rdflib import Graph, URIRef

from bikgraph.errors import BikgraphError
from bikgraph.release import build_release, current_release
from bikgraph.remote_store import Endpoints, Publisher, release_graph
from bikgraph.settings import Settings

from .conftest import quiet
from .store_process import StoreProcess, shared_store_url
from .web_helpers import client_for

BIPT = "https://data.example.eu/bik/id/org/bipt"


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    """The store .ci/run started, or one of our own."""
    url = shared_store_url()
    if url is not None:
        yield url
        return
    store = StoreProcess(tmp_path_factory.mktemp("oxigraph")).start()
    yield store.url
    store.kill()


def own_base() -> str:
    """Each test publishes under its own base, so tests sharing one store never see each other."""
    return f"https://data.example.eu/bik-{uuid.uuid4().hex[:8]}/"


def settings_for(tmp_path, store_url: str, base: str, **overrides) -> Settings:
    options = {"store_poll_s": 0.0, "query_timeout_s": 8.0, **overrides}
    return Settings(base=base, releases_dir=tmp_path / "releases", store_url=store_url, **options)


def test_publish_switches_the_pointer_and_keeps_the_previous_release(tmp_path, store_url):
    base = own_base()
    settings = settings_for(tmp_path, store_url, base)
    publisher = Publisher(store_url, base)
    first = build_release(settings, progress=quiet)
    assert publisher.current()["id"] == first.id
    assert publisher.count(release_graph(base, first.id)) == first.manifest["triples"]
    second = build_release(settings, progress=quiet)
    assert publisher.current()["id"] == second.id
    # the previous release stays until the next switch, for requests that started on it
    assert publisher.count(release_graph(base, first.id)) == first.manifest["triples"]
    third = build_release(settings, progress=quiet)
    assert publisher.current()["id"] == third.id
    assert publisher.count(release_graph(base, first.id)) == 0
    assert sorted(publisher.releases()) == sorted(release_graph(base, r.id) for r in (second, third))


def test_the_web_app_serves_documents_and_sparql_from_the_store(tmp_path, store_url):
    base = own_base()
    settings = settings_for(tmp_path, store_url, base)
    release = build_release(settings, progress=quiet)
    with client_for(settings) as client:
        turtle = client.get("/doc/org/bipt.ttl")
        assert turtle.status_code == 200
        graph = Graph().parse(data=turtle.content, format="turtle")
        assert (URIRef(base + "id/org/bipt"), None, None) in graph
        count = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                           headers={"Accept": "text/csv"})
        assert count.text.split() == ["n", str(release.manifest["triples"])]
        page = client.get("/doc/profile/BE/2024", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "derived" in page.text
        description = client.get("/sparql", headers={"Accept": "text/turtle"}).text
        assert release_graph(base, release.id) + "/metadata" in description
        relative = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p <id/org/bipt> } LIMIT 1"},
                              headers={"Accept": "text/csv"})
        assert relative.status_code == 200  # relative IRIs resolve against the endpoint, as embedded
        broken = client.get("/sparql", params={"query": "SELEC nothing"})
        assert broken.status_code == 400 and "1:" in broken.text  # the store's position, unshifted


def test_two_web_processes_follow_one_store(tmp_path, store_url):
    """Several web processes serve one store: a publish by anyone reaches all of them."""
    base = own_base()
    settings = settings_for(tmp_path, store_url, base)
    build_release(settings, progress=quiet)
    with client_for(settings) as one, client_for(settings) as two:
        before = {one.get("/doc/org/bipt.ttl").headers["etag"], two.get("/doc/org/bipt.ttl").headers["etag"]}
        assert len(before) == 1
        new = build_release(settings, progress=quiet)
        after = {one.get("/doc/org/bipt.ttl").headers["etag"], two.get("/doc/org/bipt.ttl").headers["etag"]}
        assert after == {f'"{new.id}-ttl"'}


def test_store_going_away_mid_request_is_a_clear_503(tmp_path):
    store = StoreProcess(tmp_path / "oxigraph").start()
    try:
        settings = settings_for(tmp_path, store.url, own_base(), query_timeout_s=20.0)
        build_release(settings, progress=quiet)
        with client_for(settings) as client:
            assert client.get("/doc/org/bipt.ttl").status_code == 200
            slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs for minutes
            answer = {}

            def ask():
                started = time.monotonic()
                answer["response"] = client.get("/sparql", params={"query": slow}, headers={"Accept": "text/csv"})
                answer["seconds"] = time.monotonic() - started

            asking = threading.Thread(target=ask)
            asking.start()
            time.sleep(1.0)
            store.kill()
            asking.join(30)
            assert not asking.is_alive(), "the request hung after the store went away"
            assert answer["response"].status_code == 503
            assert "store" in answer["response"].text and answer["seconds"] < 20
            # every later request that needs the store gets the same clear answer, at once
            for path in ("/doc/org/vrm.ttl", "/"):
                started = time.monotonic()
                response = client.get(path)
                assert response.status_code == 503, path
                assert "unreachable" in response.text and time.monotonic() - started < 5
                assert response.headers["retry-after"] == "5"
    finally:
        store.kill()


def test_failed_publish_leaves_the_old_release_serving(tmp_path):
    store = StoreProcess(tmp_path / "oxigraph").start()
    try:
        base = own_base()
        settings = settings_for(tmp_path, store.url, base)
        old = build_release(settings, progress=quiet)
        store.kill()
        with pytest.raises(BikgraphError, match="Nothing was switched"):
            build_release(settings, progress=quiet)
        assert current_release(settings.releases_dir).id == old.id
        assert sorted(p.name for p in settings.releases_dir.iterdir() if not p.name.startswith(".")) == \
               sorted(["current", old.id])  # the failed release's folder is gone
        store.start()
        assert Publisher(store.url, base).current()["id"] == old.id
        with client_for(settings) as client:
            assert client.get("/doc/org/bipt.ttl").headers["etag"] == f'"{old.id}-ttl"'
    finally:
        store.kill()


def test_a_store_that_refuses_the_upload_switches_nothing(tmp_path, store_url):
    """A store answering the upload with an error (here: no Graph Store endpoint at that URL)."""
    base = own_base()
    settings = settings_for(tmp_path, store_url, base)
    old = build_release(settings, progress=quiet)
    broken = settings_for(tmp_path, store_url + "/nowhere", base)
    with pytest.raises(BikgraphError, match="failed"):
        build_release(broken, progress=quiet)
    assert Publisher(store_url, base).current()["id"] == old.id


@pytest.mark.parametrize("url,expected", [
    ("http://127.0.0.1:7878", ("http://127.0.0.1:7878/query", "http://127.0.0.1:7878/update",
                               "http://127.0.0.1:7878/store")),
    ("http://db:8890/sparql/", ("http://db:8890/sparql", "http://db:8890/sparql", "http://db:8890/sparql-graph-crud")),
])
def test_endpoint_layouts(url, expected):
    endpoints = Endpoints.for_url(url)
    assert (endpoints.query, endpoints.update, endpoints.graph_store) == expected
    assert urllib.parse.urlsplit(endpoints.query).scheme == "http"


class ForgetfulProxy:
    """Forwards to a real store but answers 204 to SPARQL updates without passing them on: what
    Virtuoso 7.2 did with one form of DELETE/INSERT."""

    def __init__(self, target: str):
        target_url = target

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if self.command == "POST" and self.path.startswith("/update"):
                    self.send_response(204)
                    self.end_headers()
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
                request = urllib.request.Request(target_url + self.path, data=body, method=self.command,
                                                 headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, payload, kind = response.status, response.read(), response.headers["Content-Type"]
                except urllib.error.HTTPError as exc:
                    status, payload, kind = exc.code, exc.read(), exc.headers.get("Content-Type", "text/plain")
                self.send_response(status)
                self.send_header("Content-Type", kind or "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_switch_the_store_acknowledges_but_does_not_apply_fails_the_publish(tmp_path, store_url):
    base = own_base()
    old = build_release(settings_for(tmp_path, store_url, base), progress=quiet)
    proxy = ForgetfulProxy(store_url)
    try:
        with pytest.raises(BikgraphError, match="names .* as current"):
            build_release(settings_for(tmp_path, proxy.url, base), progress=quiet)
    finally:
        proxy.close()
    publisher = Publisher(store_url, base)
    assert publisher.current()["id"] == old.id
    assert current_release(tmp_path / "releases").id == old.id
    assert sorted(publisher.releases()) == [release_graph(base, old.id)]
