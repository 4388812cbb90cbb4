"""Resource URIs: /id/... names a thing (303 See Other), /doc/... is the document about it."""

from __future__ import annotations

import re

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from . import documents
from .pages import resource_page
from .protocol import HttpError, choose, not_acceptable
from .state import OpenRelease

SAFE_PATH = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
EXTENSIONS = {f.extension: f for f in documents.DOCUMENT_FORMATS if f.extension}

router = APIRouter()


def check_path(path: str) -> str:
    """Only plain key segments: no '..', no empty or hidden segments, nothing to traverse."""
    if not SAFE_PATH.match(path) or ".." in path.split("/"):
        raise HttpError(404, "There is no resource at this address: resource paths are made of plain "
                             "segments such as /id/country/BE.")
    return path


def thing_iri(release: OpenRelease, path: str) -> str:
    """The thing a document path is about: doc/x -> {base}id/x, doc/def/x -> {base}def/x."""
    return release.iris.base + (path if path.startswith("def/") else "id/" + path)


def etag_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == opaque for candidate in header.split(","))


def exists(release: OpenRelease, iri: str) -> bool:
    return next(iter(release.store.quads_for_pattern(ox.NamedNode(iri), None, None, None)), None) is not None


async def thing(path: str, request: Request) -> Response:
    release = request.app.state.releases.get()
    check_path(path)
    if not await run_in_threadpool(exists, release, release.iris.base + "id/" + path):
        raise unknown_resource(path)
    location = "/doc/" + path + (("?" + request.url.query) if request.url.query else "")
    return RedirectResponse(location, status_code=303, headers={"Vary": "Accept"})


async def term(path: str, request: Request) -> Response:
    release = request.app.state.releases.get()
    check_path(path)
    if not await run_in_threadpool(exists, release, release.iris.base + "def/" + path):
        raise unknown_resource("def/" + path)
    return RedirectResponse("/doc/def/" + path, status_code=303, headers={"Vary": "Accept"})


def unknown_resource(path: str) -> HttpError:
    return HttpError(404, f"Nothing is known about /id/{path} in this release. Try the home page, the "
                          f"SPARQL endpoint or the downloads.")


def choose_document_format(request: Request) -> tuple[documents.Format, bool]:
    """(format, negotiated?) from ?format= (which wins) or else the Accept header."""
    requested = request.query_params.getlist("format")
    if requested:
        fmt = documents.format_for_key(requested[-1])
        if fmt is None:
            keys = ", ".join(f.key for f in documents.DOCUMENT_FORMATS)
            raise HttpError(400, f"unknown format {requested[-1]!r}; use one of: {keys}")
        return fmt, False
    offers = [f.offer for f in documents.DOCUMENT_FORMATS]
    chosen = choose(offers, request)
    if chosen is None:
        raise not_acceptable(offers)
    return documents.format_for_offer(chosen), True


def pick_format(path: str, request: Request) -> tuple[str, documents.Format, bool]:
    """(resource path, format, negotiated?) from an extension, ?format= or the Accept header."""
    stem, dot, extension = path.rpartition(".")
    if dot and extension in EXTENSIONS and "/" not in extension:
        return stem, EXTENSIONS[extension], False
    return (path, *choose_document_format(request))


def link_header(path: str, current: documents.Format) -> str:
    return ", ".join(f'</doc/{path}.{f.extension}>; rel="alternate"; type="{f.content_type.split(";")[0]}"'
                     for f in documents.DOCUMENT_FORMATS if f.extension and f is not current)


async def doc(path: str, request: Request) -> Response:
    release = request.app.state.releases.get()
    path, fmt, negotiated = pick_format(path, request)
    check_path(path)
    iri = thing_iri(release, path)
    headers = {"ETag": release.etag(fmt.key), "Last-Modified": release.last_modified,
               "Link": link_header(path, fmt), "Cache-Control": "public, max-age=300"}
    if negotiated:
        headers["Vary"] = "Accept"
        if fmt.extension:
            headers["Content-Location"] = f"/doc/{path}.{fmt.extension}"
    if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        if await run_in_threadpool(exists, release, iri):
            return Response(status_code=304, headers=headers)
    doc_iri = release.iris.base + "doc/" + path
    triples = await run_in_threadpool(documents.document, release.store, iri, doc_iri, release.iris.dataset(),
                                      release.release.manifest["created"])
    if not triples:
        raise unknown_resource(path)
    if fmt is documents.HTML:
        page = await run_in_threadpool(resource_page, release, iri, "/doc/" + path, triples)
        page.headers.update(headers)
        return page
    body = await run_in_threadpool(documents.serialize, triples, fmt, release.prefixes, release.context)
    return Response(body, media_type=fmt.content_type, headers=headers)


for _method in ("GET", "HEAD"):
    router.add_api_route("/id/{path:path}", thing, methods=[_method], response_class=Response, status_code=303,
                         operation_id=f"thing_{_method.lower()}", include_in_schema=_method == "GET",
                         summary="A thing: 303 See Other to the document about it")
    router.add_api_route("/def/{path:path}", term, methods=[_method], response_class=Response, status_code=303,
                         operation_id=f"term_{_method.lower()}", include_in_schema=_method == "GET",
                         summary="An ontology term: 303 See Other to the document about it")
    router.add_api_route(
        "/doc/{path:path}", doc, methods=[_method], response_class=Response, operation_id=f"doc_{_method.lower()}",
        include_in_schema=_method == "GET", summary="The document about a thing, by content negotiation",
        description="HTML, Turtle, JSON-LD (compacted with /context.jsonld; the `profile` parameter selects "
                    "expanded), RDF/XML or N-Triples, from Accept, an extension (.html .ttl .jsonld .rdf .nt) or "
                    "?format=. It holds the resource's concise bounded description and the labels of what it "
                    "links to.")
