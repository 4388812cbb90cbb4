"""Evaluate one SPARQL query against a store and serialize its results, with a result cap.

Runs inside a query worker process (see query_pool.py), so it imports nothing web-related.
Results are serialized here, by us, so that the cap is enforced while reading solutions:
more than `cap` results is an error, never a silently truncated 200.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from ..remote_store import RemoteSolutions, RemoteStoreUnavailable, RemoteTriples
from ..sparql_text import BOOLEAN, GRAPH, SOLUTIONS

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


RDF_WRITERS = {
    "text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS, "application/trig": ox.RdfFormat.TRIG,
}


@dataclass(frozen=True)
class Job:
    query: str
    formats: dict  # kind -> media type to send (None: not acceptable)
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    cap: int = 10_000
    prefixes: dict = field(default_factory=dict)
    base_iri: str | None = None  # relative IRIs in the query resolve against the endpoint's URL
    spool_dir: str | None = None  # results go to a file here, streamed and deleted by the web process


@dataclass(frozen=True)
class Outcome:
    status: int
    media_type: str
    body: bytes
    kind: str | None = None
    message: str | None = None
    path: str | None = None  # the results, when spooled to a file instead of `body`

    @classmethod
    def error(cls, status: int, message: str, kind: str | None = None) -> "Outcome":
        return cls(status, "text/plain; charset=utf-8", message.encode("utf-8"), kind, message)


# ---------------------------------------------------------------- results writers

def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {"subject": _json_term(term.subject), "predicate": _json_term(term.predicate),
                                        "object": _json_term(term.object)}}


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>")


def _csv_field(term) -> str:
    if term is None:
        return ""
    value = "_:" + term.value if isinstance(term, ox.BlankNode) else getattr(term, "value", str(term))
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


class CapExceeded(Exception):
    """More results than the endpoint's cap."""


def capped(items, cap: int):
    for n, item in enumerate(items, start=1):
        if n > cap:
            raise CapExceeded
        yield item


def _memoized(render):
    """A term's rendering, computed once per query: answers repeat the same terms many times."""
    cache: dict = {}

    def rendered(term):
        text = cache.get(term)
        if text is None:
            if len(cache) > 100_000:  # bounded, whatever the answer's size
                cache.clear()
            text = cache[term] = render(term)
        return text
    return rendered


def _batches(lines, size: int = 1000):
    """Lines grouped for fewer, larger writes."""
    batch = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_solutions(variables: list[str], rows, media_type: str, out: BinaryIO) -> None:
    """Write solutions as they come, in batches: memory stays flat however many there are."""
    if media_type in ("application/sparql-results+json", "application/json"):
        term = _memoized(lambda t: json.dumps(_json_term(t), ensure_ascii=False))
        names = [json.dumps(v) + ":" for v in variables]
        out.write(b'{"head": {"vars": ' + json.dumps(variables).encode() + b'}, "results": {"bindings": [')
        lines = ("{" + ",".join(n + term(t) for n, t in zip(names, row) if t is not None) + "}" for row in rows)
        for n, batch in enumerate(_batches(lines)):
            out.write(((",\n" if n else "\n") + ",\n".join(batch)).encode("utf-8"))
        out.write(b"\n]}}\n")
    elif media_type == "application/sparql-results+xml":
        term = _memoized(_xml_term)
        names = [f"<binding name={quoteattr(v)}>" for v in variables]
        out.write(('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>' +
                   "".join(f"<variable name={quoteattr(v)}/>" for v in variables) + "</head>\n<results>\n").encode())
        lines = ("<result>" + "".join(n + term(t) + "</binding>" for n, t in zip(names, row) if t is not None)
                 + "</result>\n" for row in rows)
        for batch in _batches(lines):
            out.write("".join(batch).encode("utf-8"))
        out.write(b"</results>\n</sparql>\n")
    elif media_type in ("text/csv", "text/tab-separated-values"):
        csv = media_type == "text/csv"
        term = _memoized(_csv_field if csv else str)
        separator, end = ("," , "\r\n") if csv else ("\t", "\n")
        out.write(((",".join(variables) if csv else "\t".join("?" + v for v in variables)) + end).encode("utf-8"))
        lines = (separator.join("" if t is None else term(t) for t in row) + end for row in rows)
        for batch in _batches(lines):
            out.write("".join(batch).encode("utf-8"))
    else:
        raise ValueError(f"no solutions writer for {media_type}")


def write_boolean(value: bool, media_type: str) -> bytes:
    if media_type in ("application/sparql-results+json", "application/json"):
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if media_type == "application/sparql-results+xml":
        return (f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode("utf-8")
    raise ValueError(f"no boolean writer for {media_type}")


def write_graph(triples, media_type: str, prefixes: dict, out: BinaryIO) -> None:
    fmt = RDF_WRITERS[media_type]
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        triples = (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        ox.serialize(triples, out, format=fmt, prefixes=prefixes)
    else:
        ox.serialize(triples, out, format=fmt)


# ---------------------------------------------------------------- one query

def cap_message(cap: int) -> str:
    return (f"the query has more than {cap} results, the cap of this endpoint; nothing was truncated: "
            f"add LIMIT {cap} (and OFFSET to page), or narrow the query")


class SpillBuffer:
    """Results in memory up to `limit` bytes, then in a file of `directory`: small answers skip
    the disk, large ones never sit in memory (the web process streams the file)."""

    def __init__(self, directory: str | None, limit: int = 1 << 20):
        self.directory, self.limit = directory, limit
        self._memory, self._file = io.BytesIO(), None

    @property
    def path(self) -> str | None:
        return None if self._file is None else self._file.name

    def write(self, data) -> int:
        if self._file is None and self.directory is not None and self._memory.tell() + len(data) > self.limit:
            self._file = tempfile.NamedTemporaryFile(dir=self.directory, prefix="result-", delete=False)
            self._file.write(self._memory.getvalue())
            self._memory = io.BytesIO()
        return (self._file or self._memory).write(data)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def getvalue(self) -> bytes:
        return self._memory.getvalue()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def discard(self) -> None:
        self.close()
        if self.path is not None:
            _discard(self.path)


def execute(store, job: Job) -> Outcome:
    options = {"base_iri": job.base_iri} if job.base_iri else {}
    if job.default_graphs:
        options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    if job.named_graphs:
        options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    out = SpillBuffer(job.spool_dir)
    try:
        results = store.query(job.query, **options)
        kind = result_kind(results)
        media_type = job.formats.get(kind)
        if media_type is None:
            return Outcome.error(406, "not acceptable", kind)
        if kind == BOOLEAN:
            return Outcome(200, media_type, write_boolean(bool(results), media_type), kind)
        if kind == GRAPH:
            write_graph(capped(results, job.cap), media_type, job.prefixes, out)
        else:
            variables = [v.value for v in results.variables]
            rows = (tuple(row) for row in results)  # in the order of results.variables
            write_solutions(variables, capped(rows, job.cap), media_type, out)
        out.close()
        return Outcome(200, media_type, out.getvalue(), kind, path=out.path)
    except CapExceeded:
        out.discard()
        return Outcome.error(422, cap_message(job.cap))
    except SyntaxError as exc:
        out.discard()
        return Outcome.error(400, f"malformed query: {exc}")
    except RemoteStoreUnavailable as exc:
        out.discard()
        return Outcome.error(503, str(exc))
    except (OSError, ValueError, RuntimeError) as exc:  # evaluation errors (e.g. a failing SERVICE)
        out.discard()
        return Outcome.error(500, f"query evaluation failed: {exc}")


def _discard(path: str | None) -> None:
    if path is not None:
        try:
            os.unlink(path)
        except OSError:
            pass


def result_kind(results) -> str:
    if isinstance(results, (ox.QuerySolutions, RemoteSolutions)):
        return SOLUTIONS
    if isinstance(results, (ox.QueryTriples, RemoteTriples)):
        return GRAPH
    return BOOLEAN
