"""The SPARQL 1.1 Protocol endpoint at /sparql (query only: the graph changes by release)."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse

from ..sparql_text import BOOLEAN, GRAPH, SOLUTIONS, keywords, query_form, uses_service
from . import documents
from .conneg import AcceptError, parse_media_type
from .pages import render_sparql_form, sparql_page
from .protocol import (
    HttpError,
    choose,
    not_acceptable,
    parse_params,
    query_params,
    read_body,
)
from .resources import choose_document_format
from .sparql_exec import Job

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
VOID = Namespace("http://rdfs.org/ns/void#")

OFFERS = {
    SOLUTIONS: ["application/sparql-results+json", "application/sparql-results+xml", "application/json",
                "text/csv", "text/tab-separated-values", "text/html"],
    BOOLEAN: ["application/sparql-results+json", "application/sparql-results+xml", "application/json", "text/html"],
    GRAPH: ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
            "application/n-quads", "application/trig", "text/html"],
}
# What a worker writes when the page will be rendered as HTML by the web process.
HTML_SOURCE = {SOLUTIONS: "application/sparql-results+json", BOOLEAN: "application/sparql-results+json",
               GRAPH: "application/n-triples"}
RESULT_FORMAT_IRIS = {
    "application/sparql-results+json": FORMATS.SPARQL_Results_JSON, "application/sparql-results+xml": FORMATS.SPARQL_Results_XML,
    "text/csv": FORMATS.SPARQL_Results_CSV, "text/tab-separated-values": FORMATS.SPARQL_Results_TSV,
    "text/turtle": FORMATS.Turtle, "application/ld+json": FORMATS["JSON-LD"], "application/n-triples": FORMATS["N-Triples"],
    "application/rdf+xml": FORMATS.RDF_XML, "application/n-quads": FORMATS["N-Quads"], "application/trig": FORMATS.TriG,
}
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
READ_ONLY = ("this endpoint is read-only: SPARQL Update is refused, the graph changes only when a new release "
             "is published")

router = APIRouter()


def content_type(media_type: str) -> str:
    return media_type + "; charset=utf-8" if media_type.startswith("text/") else media_type


async def protocol_request(request: Request, limit: int) -> tuple[list[tuple[str, str]], str | None]:
    """(parameters, query from a direct POST body) per SPARQL 1.1 Protocol §2.1."""
    params = query_params(request, limit)
    if request.method != "POST":
        return params, None
    header = request.headers.get("content-type")
    if header is None:
        raise HttpError(415, f"a POST needs a Content-Type: {FORM} or {DIRECT}")
    try:
        media = parse_media_type(header, allow_q=False)
    except AcceptError:
        raise HttpError(415, f"malformed Content-Type {header!r}; use {FORM} or {DIRECT}") from None
    kind = f"{media.type}/{media.subtype}"
    declared = re.search(r';\s*charset\s*=\s*"?([^";\s]+)', header, re.IGNORECASE)
    charset = declared.group(1).lower() if declared else "utf-8"
    if kind == "application/sparql-update":
        raise HttpError(403, READ_ONLY)
    if kind not in (FORM, DIRECT):
        raise HttpError(415, f"unsupported Content-Type {kind}; use {FORM} or {DIRECT}")
    if charset not in ("utf-8", "utf8"):
        raise HttpError(415, f"unsupported charset {charset}: send UTF-8")
    body = await read_body(request, limit)
    if kind == FORM:
        return params + parse_params(body, "form body"), None
    try:
        return params, body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(400, f"the query in the request body is not UTF-8 (byte {exc.start + 1})") from None


def _iris(params, name: str) -> tuple[str, ...]:
    values = tuple(v for n, v in params if n == name)
    for value in values:
        if ":" not in value or any(c in value for c in ' <>"{}|\\^`'):
            raise HttpError(400, f"{name} {value!r} is not an absolute IRI")
    return values


async def sparql(request: Request) -> Response:
    app = request.app.state
    settings = app.settings
    release = app.releases.get()
    params, direct = await protocol_request(request, settings.max_request_bytes)
    if any(n in ("update", "using-graph-uri", "using-named-graph-uri") for n, _ in params):
        raise HttpError(403, READ_ONLY)
    queries = [v for n, v in params if n == "query"] + ([direct] if direct is not None else [])
    if len(queries) > 1:
        raise HttpError(400, f"the 'query' parameter is given {len(queries)} times; send exactly one query")
    if not queries:
        if request.method == "POST":
            raise HttpError(400, "missing 'query': send it as a form field or as an application/sparql-query body")
        return service_description(request, release)
    query = queries[0]
    if not query.strip():
        raise HttpError(400, "the query is empty")
    default_graphs, named_graphs = _iris(params, "default-graph-uri"), _iris(params, "named-graph-uri")
    if uses_service(query) and not settings.federation_allowed:
        raise HttpError(400, "federated queries (SERVICE) are disabled on this endpoint: they would let anyone "
                             "make this server fetch arbitrary URLs")
    form = query_form(query)
    if form == "update":
        raise HttpError(403, READ_ONLY)
    chosen = {kind: choose(offers, request) for kind, offers in OFFERS.items()}
    if form is not None and chosen[form] is None:
        raise not_acceptable(OFFERS[form])
    worker_formats = {k: (HTML_SOURCE[k] if v == "text/html" else v) for k, v in chosen.items()}
    job = Job(query, worker_formats, default_graphs, named_graphs, settings.result_cap, release.prefixes,
              base_iri=str(request.url.replace(query="", fragment="")), spool_dir=app.spool_dir)
    outcome, cache_state = await answer(job, release, app.result_cache, request)
    if outcome.status == 406:
        raise not_acceptable(OFFERS[outcome.kind])
    if outcome.status != 200:
        raise HttpError(outcome.status, outcome.message)
    headers = {"Vary": "Accept", "X-Bikgraph-Release": release.id, "X-Bikgraph-Cache": cache_state}
    if chosen[outcome.kind] == "text/html":
        if outcome.path is not None:  # a page shows at most the result cap: read it, then forget it
            outcome = replace(outcome, body=await run_in_threadpool(read_and_remove, outcome.path), path=None)
        return await sparql_page(request, query, outcome)
    if outcome.path is not None:  # streamed from the worker's file, which goes once sent
        return FileResponse(outcome.path, media_type=content_type(outcome.media_type), headers=headers,
                            background=BackgroundTask(os.unlink, outcome.path))
    return Response(outcome.body, media_type=content_type(outcome.media_type), headers=headers)


NON_DETERMINISTIC = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE", "SERVICE"})


def cacheable(query: str) -> bool:
    """A release never changes, so a query's answer doesn't either, unless the query asks for the
    time, randomness, fresh identifiers or another service."""
    return not NON_DETERMINISTIC.intersection(keywords(query))


async def answer(job: Job, release, cache, request: Request):
    """(outcome, 'hit' | 'miss' | 'bypass'): answers of up to 1 MiB are kept per release;
    `Cache-Control: no-cache` asks for a fresh evaluation."""
    if "no-cache" in request.headers.get("cache-control", "").lower() or not cacheable(job.query):
        return await release.pool.run(job), "bypass"
    key = (release.id, job.query, job.default_graphs, job.named_graphs, tuple(sorted(job.formats.items())),
           job.base_iri)
    cache.switch_release(release.id)
    outcome = cache.get(key)
    if outcome is not None:
        return outcome, "hit"
    outcome = await release.pool.run(job)
    if outcome.status == 200 and outcome.path is None:
        cache.put(key, outcome, cost=len(outcome.body) + len(job.query))
    return outcome, "miss"


def read_and_remove(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    finally:
        os.unlink(path)


SPARQL_DOC = dict(
    summary="SPARQL 1.1 query endpoint", response_class=Response,
    description="Query by GET (`query`), POST form or POST `application/sparql-query`, with `default-graph-uri` "
                "and `named-graph-uri`. Without a query, answers the SPARQL Service Description. DESCRIBE returns "
                "the Concise Bounded Description of each resource (its triples, following blank nodes). Read-only.")
for _path in ("/sparql", "/sparql/"):
    for _method in ("GET", "POST"):
        router.add_api_route(_path, sparql, methods=[_method], include_in_schema=_path == "/sparql",
                             operation_id=f"sparql_{_method.lower()}", **SPARQL_DOC)


# ---------------------------------------------------------------- service description

def describe_service(release, settings) -> Graph:
    iris = release.iris
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    service = URIRef(iris.sparql_service())
    dataset = URIRef(iris.sparql_service() + "#dataset")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, RDFS.label, Literal("bikgraph SPARQL 1.1 endpoint", lang="en")))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for media_type in sorted({m for offers in OFFERS.values() for m in offers if m in RESULT_FORMAT_IRIS}):
        g.add((service, SD.resultFormat, RESULT_FORMAT_IRIS[media_type]))
    if settings.federation_allowed:
        g.add((service, SD.feature, SD.BasicFederatedQuery))
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, RDFS.seeAlso, URIRef(iris.dataset())))  # the DCAT-AP / VoID description
    g.add((dataset, DCTERMS.source, URIRef(iris.dataset())))
    default = URIRef(iris.sparql_service() + "#default-graph")
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, VOID.triples, Literal(release.release.manifest["triples"])))
    named = URIRef(iris.sparql_service() + "#metadata-graph")
    g.add((dataset, SD.namedGraph, named))
    g.add((named, SD.name, URIRef(release.metadata_graph)))
    g.add((named, RDFS.comment, Literal("The DCAT-AP 3 / VoID description of the release.", lang="en")))
    g.add((service, RDFS.comment, Literal(
        f"Read-only. Limits: {settings.query_timeout_s:g} s per query (the evaluation is stopped), at most "
        f"{settings.result_cap} results per query (more is an error, never a truncation), request bodies "
        f"up to {settings.max_request_bytes} bytes. DESCRIBE returns the Concise Bounded Description.", lang="en")))
    return g


def service_description(request: Request, release) -> Response:
    chosen, _ = choose_document_format(request)
    if chosen is documents.HTML:
        return render_sparql_form(request)
    if "service-description" not in release.graphs:  # built once per open release
        graph = describe_service(release, request.app.state.settings)
        release.graphs["service-description"] = list(
            ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES))
    triples = release.graphs["service-description"]
    body = documents.serialize(triples, chosen, release.prefixes, release.context)
    return Response(body, media_type=chosen.content_type, headers={"Vary": "Accept"})

