"""The release's files: dumps, the JSON-LD context, the dataset description, ontology, shapes."""

from __future__ import annotations

import json
import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from rdflib import Graph
from rdflib.namespace import DCAT, OWL, RDF, RDFS, SH, SKOS
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, RedirectResponse

from . import documents
from ..store import select
from .pages import local_path, render
from .protocol import HttpError, choose, not_acceptable
from .resources import choose_document_format, etag_matches

router = APIRouter()

MEDIA_TYPES = {"ttl": "text/turtle; charset=utf-8", "jsonld": "application/ld+json", "nt": "application/n-triples"}


@router.get("/dumps", include_in_schema=False)
async def dumps_redirect() -> Response:
    return RedirectResponse("/dumps/", status_code=301)


@router.get("/dumps/", summary="The release's downloadable files, with size and checksum", response_class=Response)
async def dumps_index(request: Request) -> Response:
    release = request.app.state.releases.get()
    manifest = release.release.manifest
    chosen = choose(["text/html", "application/json"], request)
    if chosen is None:
        raise not_acceptable(["text/html", "application/json"])
    if chosen == "application/json":
        return Response(json.dumps({"release": release.id, "dumps": manifest["dumps"]}, indent=2),
                        media_type="application/json", headers={"Vary": "Accept"})
    return render("dumps.html", title="Downloads", dumps=manifest["dumps"], triples=manifest["triples"],
                  release_id=release.id, headers={"Vary": "Accept"})


async def dump_file(name: str, request: Request) -> Response:
    release = request.app.state.releases.get()
    allowed = {d["name"]: d for d in release.release.manifest["dumps"]}
    if name == "SHA256SUMS":
        return FileResponse(release.release.path / "SHA256SUMS", media_type="text/plain; charset=utf-8")
    if name not in allowed:  # only the listed files: no path reaches anything else
        raise HttpError(404, f"There is no file {name!r} in this release; see /dumps/ for the list.")
    entry = allowed[name]
    media_type = "application/gzip" if entry["compressed"] else MEDIA_TYPES[name.rsplit(".", 1)[-1]]
    return FileResponse(release.release.dumps_dir / name, media_type=media_type, filename=name,
                        headers={"X-Checksum-SHA256": entry["sha256"]})


for _method in ("GET", "HEAD"):
    router.add_api_route("/dumps/{name}", dump_file, methods=[_method], summary="Download one dump file",
                         response_class=Response, operation_id=f"dump_file_{_method.lower()}",
                         include_in_schema=_method == "GET")


@router.get("/context.jsonld", summary="The JSON-LD context the dumps and documents are compacted with",
            response_class=Response)
async def context(request: Request) -> Response:
    release = request.app.state.releases.get()
    return FileResponse(release.release.path / "context.jsonld", media_type="application/ld+json")


async def graph_file(request: Request, file_name: str, title: str, html_view) -> Response:
    """A whole RDF file of the release by content negotiation, with an HTML view."""
    release = request.app.state.releases.get()
    fmt, _ = choose_document_format(request)
    headers = {"Vary": "Accept", "ETag": release.etag(file_name + "-" + fmt.key), "Last-Modified": release.last_modified}
    if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    graph = await run_in_threadpool(load_graph, release, file_name)
    if fmt is documents.HTML:
        page = html_view(release, graph, title)
        page.headers.update(headers)
        return page
    triples = list(ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES))
    body = await run_in_threadpool(documents.serialize, triples, fmt, release.prefixes, release.context)
    return Response(body, media_type=fmt.content_type, headers=headers)


def load_graph(release, file_name: str) -> Graph:
    """A Turtle file of the release, parsed once per open release."""
    if file_name not in release.graphs:
        release.graphs[file_name] = Graph().parse(release.release.path / file_name, format="turtle")
    return release.graphs[file_name]


def _term_rows(graph: Graph, release, kinds) -> list[dict]:
    rows = []
    for kind in kinds:
        for term in sorted(set(graph.subjects(RDF.type, kind)), key=str):
            label = graph.value(term, RDFS.label) or graph.value(term, SKOS.prefLabel) or term
            rows.append({"kind": str(kind).rsplit("#", 1)[-1], "href": local_path(str(term), release.iris.base) or str(term),
                         "label": str(label), "definition": str(graph.value(term, SKOS.definition) or "")})
    return rows


def ontology_view(release, graph: Graph, title: str) -> Response:
    rows = _term_rows(graph, release, [OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, SKOS.ConceptScheme])
    return render("terms.html", title=title, rows=rows, release_id=release.id,
                  intro="Classes, properties and concept schemes of the bikgraph ontology.",
                  alternates=[{"type": "text/turtle", "href": "/ontology?format=ttl", "label": "ttl"}])


def shapes_view(release, graph: Graph, title: str) -> Response:
    rows = []
    for shape in sorted(set(graph.subjects(RDF.type, SH.NodeShape)), key=str):
        targets = ", ".join(str(t).rsplit("/", 1)[-1] for t in graph.objects(shape, SH.targetClass))
        messages = sorted({str(m) for p in graph.objects(shape, SH.property) for m in graph.objects(p, SH.message)}
                          | {str(m) for c in graph.objects(shape, SH.sparql) for m in graph.objects(c, SH.message)})
        rows.append({"kind": targets or "node shape", "href": None, "label": str(shape).rsplit("#", 1)[-1],
                     "definition": " ".join(messages)})
    return render("terms.html", title=title, rows=rows, release_id=release.id,
                  intro="Every release is validated against these SHACL shapes; nothing invalid is published.",
                  alternates=[{"type": "text/turtle", "href": "/shapes?format=ttl", "label": "ttl"}])


def dataset_view(release, graph: Graph, title: str) -> Response:
    rows = _term_rows(graph, release, [DCAT.Dataset, DCAT.Distribution, DCAT.DataService])
    return render("terms.html", title=title, rows=rows, release_id=release.id,
                  intro="The DCAT-AP 3 / VoID description of this release.",
                  alternates=[{"type": "text/turtle", "href": "/dataset?format=ttl", "label": "ttl"}])


@router.get("/ontology", summary="The ontology (HTML, Turtle, JSON-LD, RDF/XML, N-Triples)", response_class=Response)
async def ontology(request: Request) -> Response:
    return await graph_file(request, "ontology.ttl", "Ontology", ontology_view)


@router.get("/shapes", summary="The SHACL shapes every release passes", response_class=Response)
async def shapes(request: Request) -> Response:
    return await graph_file(request, "shapes.ttl", "SHACL shapes", shapes_view)


@router.get("/dataset", summary="DCAT-AP 3 / VoID description of the dataset and its distributions",
            response_class=Response)
async def dataset(request: Request) -> Response:
    return await graph_file(request, "dataset.ttl", "Dataset description", dataset_view)


@router.get("/.well-known/void", summary="The VoID description (same as /dataset)", response_class=Response)
async def well_known_void(request: Request) -> Response:
    return await graph_file(request, "dataset.ttl", "Dataset description", dataset_view)


@router.get("/validation-report", summary="The SHACL validation report of this release", response_class=Response)
async def validation_report(request: Request) -> Response:
    return await graph_file(request, "validation-report.ttl", "SHACL validation report",
                            lambda release, graph, title: render(
                                "terms.html", title=title, rows=[], release_id=release.id,
                                intro="The release conforms to its shapes: " + str(
                                    bool(graph.value(None, SH.conforms))).lower() + "."))


def source_findings(release, name: str) -> dict[int, str]:
    """Line number -> local path of the finding that starts there, for a source file."""
    rows = select(release.store, f"""PREFIX bik: <{release.iris.terms}>
        SELECT ?finding ?line WHERE {{ ?doc bik:fileName {json.dumps(name)} .
          ?finding bik:sourceDocument ?doc ; bik:lineStart ?line }}""")
    return {int(r["line"]): local_path(r["finding"], release.iris.base) for r in rows}


async def source_text(name: str, request: Request) -> Response:
    release = request.app.state.releases.get()
    sources = {s["name"]: s for s in release.release.manifest.get("sources", [])}
    if name not in sources:  # only the release's own sources: no path reaches anything else
        raise HttpError(404, f"There is no source {name!r} in this release; sources: " + ", ".join(sorted(sources)))
    offers = ["text/plain", "text/html"]
    chosen = "text/" + request.query_params["format"] if request.query_params.get("format") in ("plain", "html") \
        else choose(offers, request)
    if chosen is None:
        raise not_acceptable(offers)
    path = release.release.path / "sources" / name
    headers = {"Vary": "Accept", "X-Checksum-SHA256": sources[name]["sha256"]}
    if chosen == "text/plain":
        return FileResponse(path, media_type="text/plain; charset=utf-8", headers=headers)
    text = await run_in_threadpool(path.read_text, encoding="utf-8")
    findings = await run_in_threadpool(source_findings, release, name)
    lines = [{"number": n, "text": line.rstrip("\r"), "finding": findings.get(n)}
             for n, line in enumerate(text.split("\n"), start=1)]
    return render("source.html", title=f"Source as received: {name}", name=name, lines=lines,
                  sha256=sources[name]["sha256"], release_id=release.id, headers=headers,
                  alternates=[{"type": "text/plain", "href": f"/sources/{name}?format=plain", "label": "text"}])


for _method in ("GET", "HEAD"):
    router.add_api_route("/sources/{name}", source_text, methods=[_method], response_class=Response,
                         operation_id=f"source_text_{_method.lower()}", include_in_schema=_method == "GET",
                         summary="A profile's text exactly as received (text/plain), or numbered with its findings "
                                 "marked (text/html; each line has an anchor #L<n>)")
