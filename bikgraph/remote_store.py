"""A SPARQL 1.1 store over HTTP (`oxigraph serve`, Virtuoso, ...), for deployments that outgrow
one machine: releases are published into it and several web processes serve from it.

Layout in the store, under the configured base:

    {base}graph/release/{id}            the data of one release
    {base}graph/release/{id}/metadata   its DCAT-AP / VoID description
    {base}graph/releases                which release is current, and the id of each release graph

A release's graphs are uploaded with the Graph Store HTTP Protocol (PUT), counted, and only then
made current by one SPARQL Update that replaces the pointer: a reader sees the old release or the
new one, never a mix. The previous release's graphs stay until the next publish, so requests that
started on it can finish.

RemoteStore answers the few calls the web layer makes of a pyoxigraph Store (query,
quads_for_pattern) with HTTP requests, parsing results as they stream in.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .errors import BikgraphError
from .sparql_text import GRAPH, query_form
from .store import solution_rows

RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
FORM = "application/x-www-form-urlencoded"
RELATIVE_IRI = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.-]*:)[^<>\s\"{}|^`\\]*>")


class RemoteStoreUnavailable(BikgraphError):
    """The store did not answer, or answered with a server error."""


class RemoteStoreError(BikgraphError):
    """The store refused a request (a publish step, a query it could not parse)."""


@dataclass(frozen=True)
class Endpoints:
    query: str
    update: str
    graph_store: str

    @classmethod
    def for_url(cls, url: str) -> Endpoints:
        """`oxigraph serve` serves /query, /update and /store under its root. A URL ending in
        /sparql is taken as Virtuoso's layout: /sparql for both, /sparql-graph-crud for GSP."""
        root = url.rstrip("/")
        if root.endswith("/sparql"):
            return cls(root, root, root.removesuffix("/sparql") + "/sparql-graph-crud")
        return cls(root + "/query", root + "/update", root + "/store")


class _Streamed:
    """Results parsed while they arrive; a store that breaks off mid-answer is 'unavailable',
    not a syntax error of the user's query."""

    def __init__(self, response, parsed, where: str):
        self._response, self._parsed, self._where = response, parsed, where

    def __iter__(self):
        try:
            yield from self._parsed
        except (SyntaxError, OSError, ValueError) as exc:
            raise RemoteStoreUnavailable(f"the store at {self._where} broke off its answer: {exc}") from None
        finally:
            self._response.close()


class RemoteTriples(_Streamed):
    """The triples of a CONSTRUCT or DESCRIBE answered by the store."""


class RemoteSolutions(_Streamed):
    """The solutions of a SELECT answered by the store."""

    @property
    def variables(self):
        return self._parsed.variables


def _request(url: str, timeout: float, *, data=None, method: str = "GET", headers: dict | None = None):
    """Open an HTTP request; unreachable or failing stores become RemoteStoreUnavailable."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    where = urllib.parse.urlsplit(url)._replace(query="").geturl()
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace").strip()
        exc.close()
        if exc.code >= 500:
            raise RemoteStoreUnavailable(f"the store at {where} answered {exc.code}: {detail}") from None
        raise RemoteStoreError(f"the store at {where} refused the request ({exc.code}): {detail}") from None
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RemoteStoreUnavailable(f"the store at {where} is unreachable: {reason}") from None


def _iri(term) -> str:
    return f"<{term.value}>"


class RemoteStore:
    """Read access to one release in a remote store, shaped like the pyoxigraph Store calls we use."""

    def __init__(self, url: str, default_graphs: tuple[str, ...], named_graphs: tuple[str, ...], timeout: float):
        self.endpoints = Endpoints.for_url(url)
        self.default_graphs, self.named_graphs, self.timeout = default_graphs, named_graphs, timeout

    def query(self, query: str, *, base_iri: str | None = None, default_graph=None, named_graphs=None,
              use_default_graph_as_union: bool = False):
        """Evaluate in the store. Without explicit graphs, the release's data is the default graph
        and its metadata graph the one named graph, as in the embedded store."""
        defaults = [g.value for g in default_graph] if default_graph else list(self.default_graphs)
        named = [g.value for g in named_graphs] if named_graphs else ([] if default_graph else list(self.named_graphs))
        # Relative IRIs resolve against the endpoint's URL, as in the embedded store. Only then is a
        # BASE added: it would shift the line numbers of the store's syntax errors.
        text = f"BASE <{base_iri}> " + query if base_iri and RELATIVE_IRI.search(query) else query
        # A store may answer DESCRIBE or CONSTRUCT with solutions if it may (Virtuoso does): ask
        # for triples only when the query makes triples.
        accept = NTRIPLES if query_form(query) == GRAPH else f"{RESULTS_JSON}, {NTRIPLES};q=0.9"
        fields = [("query", text)] + [("default-graph-uri", g) for g in defaults] + \
                 [("named-graph-uri", g) for g in named]
        try:
            response = _request(self.endpoints.query, self.timeout, method="POST",
                                data=urllib.parse.urlencode(fields).encode("utf-8"),
                                headers={"Content-Type": FORM, "Accept": accept})
        except RemoteStoreError as exc:  # the store could not parse or evaluate it: the user's query
            raise SyntaxError(str(exc)) from None
        media_type = response.headers.get_content_type()
        where = self.endpoints.query
        if media_type == NTRIPLES:
            return RemoteTriples(response, ox.parse(response, format=ox.RdfFormat.N_TRIPLES), where)
        if media_type in (RESULTS_JSON, "application/json"):
            try:
                results = ox.parse_query_results(response, format=ox.QueryResultsFormat.JSON)
            except (SyntaxError, OSError, ValueError) as exc:
                response.close()
                raise RemoteStoreUnavailable(f"the store at {where} broke off its answer: {exc}") from None
            if isinstance(results, ox.QueryBoolean):
                response.close()
                return results
            return RemoteSolutions(response, results, where)
        response.close()
        raise RemoteStoreUnavailable(f"the store answered a query with {media_type}, which bikgraph does not read")

    def quads_for_pattern(self, subject=None, predicate=None, obj=None, graph=None):
        """Matching quads across the release's data (default graph) and metadata graph."""
        bound = [(v, t) for v, t in (("s", subject), ("p", predicate), ("o", obj)) if t is not None]
        values = ""
        if bound:
            names = " ".join("?" + v for v, _ in bound)
            terms = " ".join(str(t) if isinstance(t, ox.Literal) else _iri(t) for _, t in bound)
            values = f"VALUES ({names}) {{ ({terms}) }}"
        query = f"SELECT ?s ?p ?o ?g WHERE {{ {values} {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }} }}"
        for row in self.query(query):
            graph_name = row["g"] if row["g"] is not None else ox.DefaultGraph()
            yield ox.Quad(row["s"], row["p"], row["o"], graph_name)

    def labels(self, nodes: list, predicates: tuple[str, ...]) -> list[ox.Triple]:
        """The given label properties of many nodes, in one request."""
        if not nodes:
            return []
        query = (f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {' '.join(_iri(n) for n in nodes)} }} "
                 f"VALUES ?p {{ {' '.join(f'<{p}>' for p in predicates)} }} ?s ?p ?o }}")
        return [ox.Triple(r["s"], r["p"], r["o"]) for r in self.query(query)]


# ---------------------------------------------------------------- publishing

def release_graph(base: str, release_id: str) -> str:
    return f"{base}graph/release/{release_id}"


def pointer_graph(base: str) -> str:
    return f"{base}graph/releases"


class Publisher:
    """Writes releases into the store and switches which one is current."""

    def __init__(self, url: str, base: str, timeout: float = 600.0):
        self.endpoints, self.base, self.timeout = Endpoints.for_url(url), base, timeout
        self.terms = base + "def/"

    def put_graph(self, graph: str, path: Path) -> None:
        """Replace a named graph with an RDF file (.nt or .ttl), streamed (Graph Store Protocol PUT)."""
        url = self.endpoints.graph_store + "?" + urllib.parse.urlencode({"graph": graph})
        media_type = "text/turtle" if path.suffix == ".ttl" else NTRIPLES
        with path.open("rb") as body:
            _request(url, self.timeout, method="PUT", data=body,
                     headers={"Content-Type": media_type, "Content-Length": str(path.stat().st_size)}).close()

    def drop_graph(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>")

    def update(self, text: str) -> None:
        _request(self.endpoints.update, self.timeout, method="POST",
                 data=urllib.parse.urlencode({"update": text}).encode("utf-8"),
                 headers={"Content-Type": FORM}).close()

    def select(self, text: str) -> list[dict]:
        response = _request(self.endpoints.query, self.timeout, method="POST",
                            data=urllib.parse.urlencode({"query": text}).encode("utf-8"),
                            headers={"Content-Type": FORM, "Accept": RESULTS_JSON})
        with response:
            return solution_rows(ox.parse_query_results(response, format=ox.QueryResultsFormat.JSON))

    def count(self, graph: str) -> int:
        return int(self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")[0]["n"])

    def current(self) -> dict | None:
        """{'graph', 'id', 'metadata'} of the current release, or None if nothing was published."""
        rows = self.select(current_release_query(self.base))
        return rows[0] if rows else None

    def releases(self) -> list[str]:
        pointer = pointer_graph(self.base)
        return [r["g"] for r in self.select(
            f"SELECT ?g WHERE {{ GRAPH <{pointer}> {{ ?g <{self.terms}releaseId> ?id }} }}")]

    def switch(self, release_id: str, graph: str, metadata: str) -> None:
        """Make `graph` current in one update: readers see the old pointer or the new one. Then read
        the pointer back: a store may answer 200 to an update it did not apply."""
        pointer, t = pointer_graph(self.base), self.terms
        # WITH rather than GRAPH in the templates: Virtuoso 7.2 inserts nothing for the latter
        # when the WHERE clause is only an OPTIONAL.
        self.update(f"""
            WITH <{pointer}>
            DELETE {{ <{pointer}> <{t}currentRelease> ?old }}
            INSERT {{ <{pointer}> <{t}currentRelease> <{graph}> .
                     <{graph}> <{t}releaseId> {json.dumps(release_id)} ; <{t}metadataGraph> <{metadata}> }}
            WHERE {{ OPTIONAL {{ <{pointer}> <{t}currentRelease> ?old }} }}""")
        current = self.current()
        if current is None or current["id"] != release_id:
            raise RemoteStoreError(f"the store accepted the switch to release {release_id} but names "
                                   f"{current['id'] if current else 'no release'} as current")

    def forget(self, graph: str) -> None:
        """Drop a release's graphs and its entry in the pointer graph."""
        pointer, _t = pointer_graph(self.base), self.terms
        self.drop_graph(graph)
        self.drop_graph(graph + "/metadata")
        self.update(f"DELETE WHERE {{ GRAPH <{pointer}> {{ <{graph}> ?p ?o }} }}")

    def publish(self, release_id: str, data: Path, metadata: Path, expected_triples: int, keep: int = 2) -> None:
        """Upload, check, switch; then drop releases beyond the `keep` newest (the current included)."""
        graph = release_graph(self.base, release_id)
        metadata_graph = graph + "/metadata"
        try:
            self.put_graph(graph, data)
            self.put_graph(metadata_graph, metadata)
            stored = self.count(graph)
            if stored != expected_triples:
                raise RemoteStoreError(f"the store holds {stored} triples of release {release_id}, "
                                       f"{expected_triples} were sent")
            previous = [g for g in self.releases() if g != graph]
            self.switch(release_id, graph, metadata_graph)
        except BikgraphError:
            self._drop_unless_current(release_id, (graph, metadata_graph))
            raise
        for old in sorted(previous)[:max(0, len(previous) - (keep - 1))]:
            self.forget(old)


    def _drop_unless_current(self, release_id: str, graphs: tuple[str, ...]) -> None:
        """Best-effort cleanup after a failed publish, never of graphs the pointer names."""
        try:
            current = self.current()
            if current is not None and current["id"] == release_id:
                return
            for name in graphs:
                self.drop_graph(name)
        except BikgraphError:
            pass


def current_release_query(base: str) -> str:
    pointer, t = pointer_graph(base), base + "def/"
    return (f"SELECT ?graph ?id ?metadata WHERE {{ GRAPH <{pointer}> {{ <{pointer}> <{t}currentRelease> ?graph . "
            f"?graph <{t}releaseId> ?id ; <{t}metadataGraph> ?metadata }} }}")
