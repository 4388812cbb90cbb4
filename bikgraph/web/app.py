"""create_app(settings): the FastAPI application over the current release.

Errors are mapped in one place: expected ones (HttpError, BikgraphError) become a clear message
with the right status, as a page for browsers and plain text for everyone else; anything else
is a 500 without a traceback.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse

from .. import __version__
from ..errors import BikgraphError
from ..remote_store import RemoteStoreUnavailable
from ..settings import Settings
from . import files, resources, sparql
from .document_cache import ResponseCache, DocumentCacheMiddleware
from .pages import home_page, message_page, render, render_sparql_form
from .protocol import HttpError, wants_html
from .state import ReleaseTracker

log = logging.getLogger("bikgraph.web")
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed", 406: "Not acceptable",
          413: "Request too large", 414: "URI too long", 415: "Unsupported media type", 422: "Too many results",
          500: "Server error", 503: "Unavailable"}


def error_response(request: Request, status: int, message: str, headers: dict | None = None) -> Response:
    headers = dict(headers or {})
    if status == 405:
        headers.setdefault("Allow", "GET, POST, OPTIONS" if request.url.path.startswith("/sparql") else "GET, HEAD")
    if wants_html(request):
        title = TITLES.get(status, "Error")
        if request.url.path.startswith("/sparql") and status in (400, 406, 413, 422, 503):
            params = request.query_params.getlist("query")
            page = render_sparql_form(request, status=status, query=params[0] if params else "", error=message,
                                      error_title=title)
        else:
            page = message_page(status, title, message, links=[{"href": "/", "label": "Home"},
                                                                {"href": "/sparql", "label": "SPARQL endpoint"},
                                                                {"href": "/dumps/", "label": "Downloads"}])
        page.headers.update(headers)
        return page
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


class SecurityHeadersMiddleware:
    """nosniff on every answer; on pages also a CSP that allows no script (our pages run none, so
    even markup that escaped escaping could never execute) and no-referrer. Plain ASGI: Starlette's
    BaseHTTPMiddleware costs several hundred microseconds a request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff")]
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):
                    extra += [(b"content-security-policy", CSP.encode()), (b"referrer-policy", b"no-referrer")]
                headers += [(name, value) for name, value in extra if name not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BikgraphApp(FastAPI):
    """FastAPI with the document cache outside everything else, error handling included: a cached
    document costs one dictionary lookup. Its recorded headers already hold what the middleware adds."""

    def __init__(self, cache: ResponseCache, release_id, **options):
        super().__init__(**options)
        self._cache, self._release_id = cache, release_id

    def build_middleware_stack(self):
        return DocumentCacheMiddleware(super().build_middleware_stack(), self._cache, self._release_id)


def create_app(settings: Settings) -> FastAPI:
    releases = ReleaseTracker(settings)

    spool_dir = tempfile.mkdtemp(prefix="bikgraph-results-")  # query results on their way out

    @asynccontextmanager
    async def lifespan(_app):
        yield
        releases.close()
        shutil.rmtree(spool_dir, ignore_errors=True)

    cache = ResponseCache(settings.document_cache_bytes, max_entry_bytes=1024 * 1024)
    app = BikgraphApp(cache, lambda: releases.get().id, title="bikgraph", version=__version__, lifespan=lifespan,
                      docs_url=None, redoc_url=None,
                      description="The BIK+ Policy Monitor as linked data: SPARQL 1.1, resource documents by "
                                  "content negotiation, dumps and their DCAT-AP description.")
    app.state.settings = settings
    app.state.document_cache = cache
    app.state.result_cache = ResponseCache(settings.result_cache_bytes, max_entry_bytes=1024 * 1024)
    app.state.spool_dir = spool_dir
    app.state.releases = releases
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
                       allow_headers=["Accept", "Content-Type", "If-None-Match"], max_age=86400,
                       expose_headers=["ETag", "Link", "Location", "Vary", "Content-Location", "X-Bikgraph-Release",
                                       "X-Bikgraph-Cache"])

    app.add_middleware(SecurityHeadersMiddleware)

    @app.exception_handler(HttpError)
    async def http_error(request: Request, exc: HttpError) -> Response:
        return error_response(request, exc.status, exc.message, exc.headers)

    @app.exception_handler(RemoteStoreUnavailable)
    async def store_unavailable(request: Request, exc: RemoteStoreUnavailable) -> Response:
        return error_response(request, 503, f"the data store is unavailable: {exc}", {"Retry-After": "5"})

    @app.exception_handler(BikgraphError)
    async def no_release(request: Request, exc: BikgraphError) -> Response:
        return error_response(request, 503, f"no release is available: {exc}")

    @app.exception_handler(StarletteHTTPException)
    async def starlette_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: f"There is nothing at {request.url.path}.",
                    405: f"{request.method} is not allowed on {request.url.path}."}
        return error_response(request, exc.status_code, messages.get(exc.status_code, str(exc.detail)))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 400, f"bad request: {exc.errors()[0].get('msg', 'invalid')}")

    @app.exception_handler(Exception)
    async def server_fault(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal server error: the problem was logged")

    app.include_router(sparql.router)
    app.include_router(resources.router)
    app.include_router(files.router)

    @app.get("/", summary="Home page: what the dataset is, counts, links, example queries", response_class=Response)
    async def home(request: Request) -> Response:
        release = releases.get()
        return await run_in_threadpool(home_page, release)

    @app.get("/docs", summary="This API's routes, from its OpenAPI description", response_class=Response)
    async def docs(request: Request) -> Response:
        spec = app.openapi()
        routes = [{"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                   "description": op.get("description", "")}
                  for path, ops in spec["paths"].items() for method, op in ops.items()]
        release = releases.get()
        return render("docs.html", title="bikgraph API", routes=routes, release_id=release.id)

    return app
