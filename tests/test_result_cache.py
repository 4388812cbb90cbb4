"""SPARQL answers are kept per release: a release never changes, so neither does an answer."""

from __future__ import annotations

import pytest

from bikgraph.release import build_release
from bikgraph.settings import Settings

from .conftest import quiet
from .web_helpers import client_for, sparql_get

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def client(settings, release):
    with client_for(settings) as c:
        yield c


def test_a_repeated_query_is_answered_from_memory(client):
    query = COUNT + " # repeated"
    first = sparql_get(client, query, "text/csv")
    second = sparql_get(client, query, "text/csv")
    assert (first.headers["x-bikgraph-cache"], second.headers["x-bikgraph-cache"]) == ("miss", "hit")
    assert first.content == second.content and first.headers["content-type"] == second.headers["content-type"]
    other_format = sparql_get(client, query, "application/sparql-results+json")
    assert other_format.headers["x-bikgraph-cache"] == "miss" and other_format.json()["results"]["bindings"]


def test_no_cache_and_non_deterministic_queries_are_evaluated_each_time(client):
    query = COUNT + " # fresh"
    sparql_get(client, query, "text/csv")
    fresh = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv", "Cache-Control": "no-cache"})
    assert fresh.headers["x-bikgraph-cache"] == "bypass"
    for query in ("SELECT (RAND() AS ?r) WHERE {}", "SELECT (NOW() AS ?t) WHERE {}",
                  "SELECT (STRUUID() AS ?u) WHERE {}", "SELECT (BNODE() AS ?b) WHERE {}"):
        states = {sparql_get(client, query).headers["x-bikgraph-cache"] for _ in range(2)}
        assert states == {"bypass"}, query
    # the words inside strings and IRIs are not functions
    quoted = 'SELECT ?s WHERE { ?s ?p "RAND() NOW()" }'
    assert [sparql_get(client, quoted).headers["x-bikgraph-cache"] for _ in range(2)] == ["miss", "hit"]


def test_errors_are_not_kept(client):
    for _ in range(2):
        response = sparql_get(client, "SELECT ?x WHERE { ?x ?p }")
        assert response.status_code == 400


def test_answers_follow_the_release(tmp_path):
    settings = Settings(releases_dir=tmp_path / "releases")
    build_release(settings, progress=quiet)
    with client_for(settings) as client:
        first = [sparql_get(client, COUNT, "text/csv") for _ in range(2)]
        assert first[1].headers["x-bikgraph-cache"] == "hit"
        release = build_release(settings, progress=quiet)
        after = sparql_get(client, COUNT, "text/csv")
        assert after.headers["x-bikgraph-cache"] == "miss"
        assert after.headers["x-bikgraph-release"] == release.id
