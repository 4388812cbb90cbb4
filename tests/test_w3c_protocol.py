"""The W3C SPARQL 1.1 Protocol test manifest (shared/w3c-sparql11-protocol) run against /sparql.

Each test is an HTTP request with an expected status class and result format. The update tests
expect success; this endpoint refuses every update by design (the graph changes only through a
release), so for them we assert the refusal instead (403 with its message).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from bikgraph.settings import PROJECT_DIR, Settings

from .web_helpers import client_for

SUITE = PROJECT_DIR.parent / "shared" / "w3c-sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")


def _suite_dir() -> Path:
    """The project's copy of the suite (W3C test suite licence beside it), else shared/."""
    for candidate in (PROJECT_DIR / "tests" / "w3c-sparql11-protocol", SUITE):
        if (candidate / "manifest.ttl").is_file():
            return candidate
    raise FileNotFoundError("the W3C protocol manifest is missing")


def load_tests() -> list[dict]:
    directory = _suite_dir()
    manifest = Graph().parse(directory / "manifest.ttl", format="turtle")
    (root,) = manifest.subjects(RDF.type, MF.Manifest)
    tests = []
    for test in Collection(manifest, manifest.value(root, MF.entries)):
        name = str(test).rsplit("#", 1)[-1]
        requests = []
        for request in Collection(manifest, manifest.value(manifest.value(test, MF.action), HT.requests)):
            headers = {}
            header_list = manifest.value(request, HT.headers)
            if header_list is not None:
                for header in Collection(manifest, header_list):
                    headers[str(manifest.value(header, HT.fieldName))] = str(manifest.value(header, HT.fieldValue))
            body = manifest.value(request, HT.body)
            content = None
            if body is not None:
                chars = manifest.value(body, CNT.chars)
                encoding = str(manifest.value(body, CNT.characterEncoding) or "UTF-8")
                content = str(chars).encode(encoding)
            response = manifest.value(request, HT.resp)
            requests.append({
                "method": str(manifest.value(request, HT.methodName)),
                "path": str(manifest.value(request, HT.absolutePath)),
                "headers": headers, "content": content,
                "status": {str(s).rsplit("#", 1)[-1] for s in manifest.objects(response, MF.expectedStatus)},
                "format": str(manifest.value(response, MF.expectedFormat) or ""),
                "boolean": manifest.value(response, MF.expectedBoolean)})
        graphs = [(str(manifest.value(g, RDFS.label)), directory / str(manifest.value(g, UT.graph)).rsplit("/", 1)[-1])
                  for g in manifest.objects(test, UT.graphData)]
        tests.append({"name": name, "requests": requests, "graphs": graphs})
    return tests


TESTS = load_tests()


@pytest.fixture(scope="module")
def protocol_settings(tmp_path_factory):
    """A release whose store holds the suite's three graphs, named as the manifest names them."""
    root = tmp_path_factory.mktemp("w3c")
    release = root / "releases" / "w3c-suite"
    release.mkdir(parents=True)
    store = pyoxigraph.Store(str(release / "store"))
    names = {label: path for test in TESTS for label, path in test["graphs"]}
    for label, path in names.items():
        store.load(path=str(path), format=pyoxigraph.RdfFormat.N_TRIPLES, to_graph=pyoxigraph.NamedNode(label))
    store.flush()
    del store
    (release / "release.json").write_text(json.dumps({
        "id": "w3c-suite", "created": "2026-01-01T00:00:00+00:00", "base": "https://data.example.eu/bik/",
        "triples": 0, "metadata_graph": "https://data.example.eu/bik/graph/metadata", "dumps": []}))
    (release / "context.jsonld").write_text('{"@context": {}}')
    (root / "releases" / "current").symlink_to("w3c-suite")
    return Settings(releases_dir=root / "releases")


def status_class(code: int) -> str:
    return f"StatusCode{code // 100}xx"


@pytest.mark.parametrize("test", TESTS, ids=[t["name"] for t in TESTS])
def test_w3c_protocol(protocol_settings, test):
    with client_for(protocol_settings) as client:
        for request in test["requests"]:
            response = client.request(request["method"], request["path"], headers=request["headers"],
                                      content=request["content"])
            if test["name"].startswith("update_"):
                assert response.status_code == 403 and "read-only" in response.text
                return
            assert status_class(response.status_code) in request["status"], (response.status_code, response.text)
            if response.status_code >= 400:
                assert response.text.strip()  # every refusal says why
                continue
            content_type = response.headers["content-type"]
            if request["format"] == "boolean":
                answer = json.loads(response.content)["boolean"]
                assert answer is (request["boolean"].toPython() if request["boolean"] is not None else answer)
            elif request["format"] == "tabular":
                assert content_type.startswith(("application/sparql-results", "text/csv", "text/tab-separated"))
            elif request["format"] == "RDF":
                assert content_type.startswith(("text/turtle", "application/rdf+xml", "application/n-triples",
                                                "application/ld+json"))
                Graph().parse(data=response.content, format=content_type.split(";")[0])


def test_manifest_is_complete():
    assert len(TESTS) >= 30 and sum(t["name"].startswith("bad_") for t in TESTS) >= 10
