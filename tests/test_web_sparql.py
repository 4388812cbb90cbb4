"""The SPARQL 1.1 Protocol endpoint over real HTTP semantics (httpx against the app)."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.query import Result

from .web_helpers import client_for, sparql_get

BIK = "PREFIX bik: <https://data.example.eu/bik/def/>\n"
QUERIES = {
    "select": BIK + "SELECT ?r ?c WHERE { ?r a bik:Rating ; bik:confidence ?c } ORDER BY ?r LIMIT 5",
    "ask": BIK + "ASK { ?r a bik:Rating }",
    "construct": BIK + "CONSTRUCT { ?r bik:confidence ?c } WHERE { ?r a bik:Rating ; bik:confidence ?c } LIMIT 5",
    "describe": "DESCRIBE <https://data.example.eu/bik/id/org/bipt>",
}
EXPECTED_TYPE = {"select": "application/sparql-results+json", "ask": "application/sparql-results+json",
                 "construct": "text/turtle; charset=utf-8", "describe": "text/turtle; charset=utf-8"}


@pytest.fixture(scope="module")
def client(settings, release):
    with client_for(settings, query_timeout_s=2.0, result_cap=500, max_request_bytes=8192) as c:
        yield c


def send(client, method: str, query: str, accept: str | None = None):
    headers = {"Accept": accept} if accept else {}
    if method == "GET":
        return client.get("/sparql", params={"query": query}, headers=headers)
    if method == "POST form":
        return client.post("/sparql", data={"query": query}, headers=headers)
    return client.post("/sparql", content=query.encode(), headers={**headers, "Content-Type": "application/sparql-query"})


def check_body(kind: str, response) -> None:
    if kind == "select":
        result = Result.parse(io.BytesIO(response.content), format="json")
        assert len(result) == 5 and [str(v) for v in result.vars] == ["r", "c"]
    elif kind == "ask":
        assert Result.parse(io.BytesIO(response.content), format="json").askAnswer is True
    else:
        graph = Graph().parse(data=response.content, format="turtle")
        assert len(graph) == 5 if kind == "construct" else len(graph) > 10


@pytest.mark.parametrize("method", ["GET", "POST form", "POST direct"])
@pytest.mark.parametrize("kind", list(QUERIES))
def test_every_query_kind_by_every_method(client, method, kind):
    response = send(client, method, QUERIES[kind])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == EXPECTED_TYPE[kind]
    assert "Accept" in response.headers["vary"]
    check_body(kind, response)


@pytest.mark.parametrize("accept,fmt", [
    ("application/sparql-results+json", "json"), ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"), ("text/tab-separated-values", "tsv"), ("application/json", "json")])
def test_select_result_formats_parse_with_rdflib(client, accept, fmt):
    response = sparql_get(client, QUERIES["select"], accept)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    result = Result.parse(io.BytesIO(response.content), format=fmt)
    rows = list(result)
    assert len(rows) == 5
    assert all(str(row[0]).startswith("https://data.example.eu/bik/id/rating/") for row in rows)
    if fmt == "csv":  # and by Python's own CSV reader
        assert next(csv.reader(io.StringIO(response.text))) == ["r", "c"]


def test_ask_as_xml(client):
    response = sparql_get(client, QUERIES["ask"], "application/sparql-results+xml")
    assert Result.parse(io.BytesIO(response.content), format="xml").askAnswer is True


@pytest.mark.parametrize("accept,fmt", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/rdf+xml", "xml"),
    ("application/ld+json", "json-ld"), ("application/n-quads", "nquads"), ("application/trig", "trig")])
def test_graph_result_formats_parse_with_rdflib(client, accept, fmt):
    response = sparql_get(client, QUERIES["describe"], accept)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    if fmt in ("nquads", "trig"):
        triples = {(str(s), str(p), str(o)) for s, p, o, _ in Dataset().parse(data=response.content, format=fmt).quads()}
    else:
        triples = {(str(s), str(p), str(o)) for s, p, o in Graph().parse(data=response.content, format=fmt)}
    assert ("https://data.example.eu/bik/id/org/bipt", "https://data.example.eu/bik/def/levelOfGovernment",
            "https://data.example.eu/bik/def/level-federal") in triples


def test_describe_is_the_concise_bounded_description(client, store):
    import pyoxigraph as ox
    response = sparql_get(client, QUERIES["describe"], "application/n-triples")
    graph = Graph().parse(data=response.content, format="nt")
    own = list(store.quads_for_pattern(ox.NamedNode("https://data.example.eu/bik/id/org/bipt"), None, None, None))
    assert len(graph) == len(own)
    assert {str(s) for s in graph.subjects()} == {"https://data.example.eu/bik/id/org/bipt"}


def test_default_and_named_graph_uris(client, release):
    metadata = release.manifest["metadata_graph"]
    query = "PREFIX dcat: <http://www.w3.org/ns/dcat#> ASK { ?d a dcat:Dataset }"
    assert json.loads(sparql_get(client, query).content)["boolean"] is False  # the data graph is the default
    assert json.loads(sparql_get(client, query, **{"default-graph-uri": metadata}).content)["boolean"] is True
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    rows = json.loads(sparql_get(client, named, **{"named-graph-uri": metadata}).content)["results"]["bindings"]
    assert [r["g"]["value"] for r in rows] == [metadata]
    rows = json.loads(sparql_get(client, named, **{"named-graph-uri": "http://example.org/none"}).content)["results"]["bindings"]
    assert rows == []
    form = client.post(f"/sparql?default-graph-uri={metadata}", data={"query": query})  # URL + form body, as the W3C tests do
    assert json.loads(form.content)["boolean"] is True


# ---------------------------------------------------------------- errors: status and message

def test_malformed_query_gets_the_parser_message(client):
    response = sparql_get(client, "SELECT * WHERE { ?s ?p }")
    assert response.status_code == 400
    assert response.text.startswith("malformed query: error at 1:")


@pytest.mark.parametrize("request_kwargs,status,fragment", [
    (dict(method="POST", url="/sparql", data={"nothing": "here"}), 400, "missing 'query'"),
    (dict(method="GET", url="/sparql?query=ASK%7B%7D&query=ASK%7B%7D"), 400, "given 2 times"),
    (dict(method="POST", url="/sparql?query=ASK%7B%7D", content=b"ASK {}", headers={"Content-Type": "application/sparql-query"}), 400, "given 2 times"),
    (dict(method="GET", url="/sparql?query=%20%20"), 400, "the query is empty"),
    (dict(method="POST", url="/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"}), 415, "unsupported Content-Type text/plain"),
    (dict(method="POST", url="/sparql", content=b"query=ASK%20%7B%7D", headers={"Content-Type": ""}), 415, "malformed Content-Type"),
    (dict(method="POST", url="/sparql", content=b"ASK {}", headers={"Content-Type": "application/sparql-query; charset=latin-1"}), 415, "unsupported charset latin-1"),
    (dict(method="POST", url="/sparql", data={"update": "CLEAR ALL"}), 403, "read-only"),
    (dict(method="GET", url="/sparql?update=CLEAR%20ALL"), 403, "read-only"),
    (dict(method="POST", url="/sparql", content=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"}), 403, "read-only"),
    (dict(method="GET", url="/sparql?query=INSERT%20DATA%20%7B%3Ca%3E%20%3Cb%3E%20%3Cc%3E%7D"), 403, "read-only"),
    (dict(method="GET", url="/sparql?query=%ZZ"), 400, "invalid percent-encoding '%ZZ' at character 7"),
    (dict(method="GET", url="/sparql?query=%FF%FE"), 400, "not UTF-8 once percent-decoded"),
    (dict(method="POST", url="/sparql", content=b"\xff\xfe\x00binary", headers={"Content-Type": "application/sparql-query"}), 400, "not UTF-8"),
    (dict(method="GET", url="/sparql?query=ASK%7B%7D", headers={"Accept": "text/csv"}), 406, "available: application/sparql-results+json"),
    (dict(method="GET", url="/sparql?query=DESCRIBE%20%3Cx%3E", headers={"Accept": "text/csv"}), 406, "text/turtle"),
    (dict(method="GET", url="/sparql?query=ASK%7B%7D", headers={"Accept": "text/turtle;q=2"}), 400, "malformed Accept header"),
    (dict(method="GET", url="/sparql?query=SELECT%20*%20%7B%20SERVICE%20%3Chttp%3A%2F%2F127.0.0.1%3A9%2F%3E%20%7B%3Fs%20%3Fp%20%3Fo%7D%7D"), 400, "SERVICE"),
    (dict(method="GET", url="/sparql?query=ASK%7B%7D&default-graph-uri=not%20an%20iri"), 400, "is not an absolute IRI"),
    (dict(method="PUT", url="/sparql", content=b"ASK {}"), 405, "PUT is not allowed"),
])
def test_bad_requests(client, request_kwargs, status, fragment):
    response = client.request(**request_kwargs)
    assert response.status_code == status, response.text
    assert fragment in response.text
    assert "Traceback" not in response.text


def test_huge_query_by_post_is_refused_before_reading_it(client):
    response = client.post("/sparql", content=b"#" * 9000, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413 and "at most 8192" in response.text


def test_huge_query_by_get(client):
    response = client.get("/sparql?query=" + "%23" * 4000)
    assert response.status_code == 414 and "send long queries by POST" in response.text


def test_result_cap_is_an_error_never_a_truncation(client):
    everything = "SELECT * WHERE { ?s ?p ?o }"
    response = sparql_get(client, everything)
    assert response.status_code == 422
    assert "more than 500 results" in response.text and "nothing was truncated" in response.text
    assert sparql_get(client, everything + " LIMIT 500").status_code == 200


def test_timeout_really_stops_the_query(client):
    pool = client.app.state.releases.get().pool
    killed = pool.killed
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    response = sparql_get(client, endless)
    assert response.status_code == 503
    assert "ran longer than 2 s" in response.text and "was stopped" in response.text
    assert time.monotonic() - started < 30
    assert pool.killed == killed + 1  # its worker process was killed, not left running
    assert sparql_get(client, QUERIES["ask"]).status_code == 200  # and a fresh worker answers


def test_service_description(client):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.content, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    query = f"""PREFIX sd: <{sd}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?endpoint ?dataset WHERE {{ ?s a sd:Service ; sd:endpoint ?endpoint ;
        sd:supportedLanguage sd:SPARQL11Query ; sd:defaultDataset/rdfs:seeAlso ?dataset }}"""
    (row,) = list(graph.query(query))
    assert str(row.endpoint) == "https://data.example.eu/bik/sparql"
    assert str(row.dataset) == "https://data.example.eu/bik/id/dataset"
    formats = {str(o) for o in graph.objects(None, URIRef(sd + "resultFormat"))}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert not list(graph.objects(None, URIRef(sd + "feature")))  # no federation


def test_browser_gets_the_query_page(client):
    response = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200 and "<textarea" in response.text
    results = sparql_get(client, QUERIES["select"], "text/html")
    assert results.status_code == 200 and results.text.count("<tr>") == 6  # header + 5 rows
    error = sparql_get(client, "SELECT * WHERE { ?s ?p }", "text/html")
    assert error.status_code == 400 and "malformed query" in error.text and "<textarea" in error.text


def test_cors_simple_and_preflight(client):
    response = client.get("/sparql", params={"query": QUERIES["ask"]}, headers={"Origin": "https://analyst.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = client.options("/sparql", headers={
        "Origin": "https://analyst.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
