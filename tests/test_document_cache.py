"""Rendered documents are kept per release and answered from memory, with the same bytes and headers."""

from __future__ import annotations

import pytest
from rdflib import Graph

from bikgraph.release import build_release
from bikgraph.settings import Settings
from bikgraph.web.document_cache import ResponseCache, Entry, request_key

from .conftest import quiet
from .web_helpers import client_for

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def client(settings, release):
    with client_for(settings) as c:
        yield c


def cache_of(client) -> ResponseCache:
    return client.app.state.document_cache


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", BROWSER, None])
def test_second_answer_comes_from_memory_and_is_identical(client, accept):
    headers = {"Accept": accept} if accept else {}
    first = client.get("/doc/org/bipt", headers=headers)
    hits = cache_of(client).hits
    second = client.get("/doc/org/bipt", headers=headers)
    assert cache_of(client).hits == hits + 1
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    drop = {"date"}
    assert {k: v for k, v in first.headers.items() if k not in drop} == \
           {k: v for k, v in second.headers.items() if k not in drop}
    assert "Accept" in second.headers["vary"]


def test_cached_html_keeps_the_security_headers(client):
    client.get("/doc/org/bipt", headers={"Accept": BROWSER})
    hits = cache_of(client).hits
    page = client.get("/doc/org/bipt", headers={"Accept": BROWSER})
    assert cache_of(client).hits == hits + 1
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-content-type-options"] == "nosniff"


def test_cached_turtle_parses_and_304_and_head_work(client):
    first = client.get("/doc/country/BE.ttl")
    assert (None, None, None) in Graph().parse(data=first.content, format="turtle")
    etag = first.headers["etag"]
    hits = cache_of(client).hits
    not_modified = client.get("/doc/country/BE.ttl", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag and "content-type" not in not_modified.headers
    head = client.head("/doc/country/BE.ttl")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(first.content))
    assert cache_of(client).hits == hits + 2


def test_cross_origin_requests_still_get_cors_headers(client):
    client.get("/doc/org/bipt.ttl")
    response = client.get("/doc/org/bipt.ttl", headers={"Origin": "https://analyst.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    plain = client.get("/doc/org/bipt.ttl")
    assert "access-control-allow-origin" not in plain.headers  # nothing recorded from the CORS answer


def test_errors_are_never_cached(client):
    for _ in range(2):
        assert client.get("/doc/org/nobody").status_code == 404
        assert client.get("/doc/org/bipt", headers={"Accept": "image/png"}).status_code == 406
        assert client.get("/doc/org/bipt", headers={"Accept": "text/turtle;q=x"}).status_code == 400
    assert not any(key[1] == "org/nobody" for key in cache_of(client)._entries)


def test_a_new_release_replaces_the_cached_documents(tmp_path):
    settings = Settings(releases_dir=tmp_path / "releases")
    build_release(settings, progress=quiet)
    with client_for(settings) as client:
        old = [client.get("/doc/org/bipt.ttl") for _ in range(2)]
        assert old[0].headers["etag"] == old[1].headers["etag"]
        release = build_release(settings, progress=quiet)
        new = client.get("/doc/org/bipt.ttl")
        assert new.headers["etag"] == f'"{release.id}-ttl"' != old[0].headers["etag"]
        assert client.app.state.document_cache.release_id == release.id


@pytest.mark.parametrize("path,query,accept,key", [
    ("/doc/org/bipt", b"", "text/turtle", ("org/bipt", "ttl")),
    ("/doc/org/bipt.jsonld", b"", "text/turtle", ("org/bipt.jsonld", "")),
    ("/doc/org/bipt", b"", None, ("org/bipt", "ttl")),
    ("/doc/org/bipt", b"", "application/ld+json;profile=\"http://www.w3.org/ns/json-ld#expanded\"",
     ("org/bipt", "jsonld-expanded")),
    ("/doc/org/bipt", b"format=nt", "text/turtle", None),  # query strings go to the app
    ("/doc/org/bipt", b"", "image/png", None),  # the app answers 406
    ("/doc/org/bipt", b"", "text/turtle;q=2", None),  # and 400
    ("/id/org/bipt", b"", "text/turtle", None),
])
def test_request_key(path, query, accept, key):
    assert request_key(path, query, accept) == key


def test_cache_is_bounded_and_least_recently_used_leaves_first():
    cache = ResponseCache(max_bytes=250, max_entry_bytes=200)
    def put(name, n):
        cache.put(("r", name, "ttl"), Entry((), b"x" * n, None), cost=n)

    put("a", 100)
    put("b", 100)
    assert cache.get(("r", "a", "ttl")) is not None  # a is now the most recently used
    put("c", 100)
    assert cache.get(("r", "b", "ttl")) is None and cache.get(("r", "a", "ttl")) is not None
    put("big", 201)  # larger than one entry may be
    assert cache.get(("r", "big", "ttl")) is None and len(cache) == 2
