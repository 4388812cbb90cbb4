"""Evaluate one SPARQL query against a store and serialize its results, with a result cap.

Runs inside a query worker process (see query_pool.py), so it imports nothing web-related.
Results are serialized here, by us, so that the cap is enforced while reading solutions:
more than `cap` results is an error, never a silently truncated 200.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

SOLUTIONS, BOOLEAN, GRAPH = "solutions", "boolean", "graph"

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


@dataclass(frozen=True)
class Outcome:
    status: int
    media_type: str
    body: bytes
    kind: str | None = None
    message: str | None = None

    @classmethod
    def error(cls, status: int, message: str, kind: str | None = None) -> "Outcome":
        return cls(status, "text/plain; charset=utf-8", message.encode("utf-8"), kind, message)


# ---------------------------------------------------------------- query form, without running it

# Comments, IRIs, strings, variables and prefixed names are matched so they can be skipped.
_LONG_STRINGS = r'"""(?:[^"\\]|\\.|"(?!""))*"""' + "|" + r"'''(?:[^'\\]|\\.|'(?!''))*'''"
_COMMENT_OR_TOKEN = re.compile(_LONG_STRINGS + r"""|#[^\n]*|<[^>\s]*>|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[?$]\w+"""
                               r"""|[A-Za-z_][\w.-]*:[\w.:%-]*|:[\w.:%-]*|[A-Za-z_]+""")
_FORMS = {"SELECT": SOLUTIONS, "ASK": BOOLEAN, "CONSTRUCT": GRAPH, "DESCRIBE": GRAPH}
_UPDATES = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}


def keywords(query: str) -> list[str]:
    """Upper-cased bare words of the query, skipping comments, IRIs and string literals."""
    return [t.upper() for t in _COMMENT_OR_TOKEN.findall(query) if (t[0].isalpha() or t[0] == "_") and ":" not in t]


def query_form(query: str) -> str | None:
    """'solutions', 'boolean', 'graph', 'update', or None when it cannot tell (the parser will)."""
    for word in keywords(query):
        if word in _FORMS:
            return _FORMS[word]
        if word in _UPDATES:
            return "update"
        if word not in ("PREFIX", "BASE"):
            return None
    return None


def uses_service(query: str) -> bool:
    return "SERVICE" in keywords(query)


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


def write_solutions(variables: list[str], rows: list[list], media_type: str) -> bytes:
    if media_type in ("application/sparql-results+json", "application/json"):
        bindings = [{v: _json_term(t) for v, t in zip(variables, row) if t is not None} for row in rows]
        return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}},
                          ensure_ascii=False).encode("utf-8")
    if media_type == "application/sparql-results+xml":
        out = io.StringIO()
        out.write('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>')
        out.write("".join(f"<variable name={quoteattr(v)}/>" for v in variables))
        out.write("</head>\n<results>\n")
        for row in rows:
            out.write("<result>" + "".join(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                                            for v, t in zip(variables, row) if t is not None) + "</result>\n")
        out.write("</results>\n</sparql>\n")
        return out.getvalue().encode("utf-8")
    if media_type == "text/csv":
        lines = [",".join(variables)] + [",".join(_csv_field(t) for t in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    if media_type == "text/tab-separated-values":
        lines = ["\t".join("?" + v for v in variables)] + ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"no solutions writer for {media_type}")


def write_boolean(value: bool, media_type: str) -> bytes:
    if media_type in ("application/sparql-results+json", "application/json"):
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if media_type == "application/sparql-results+xml":
        return (f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode("utf-8")
    raise ValueError(f"no boolean writer for {media_type}")


def write_graph(triples: list, media_type: str, prefixes: dict) -> bytes:
    fmt = RDF_WRITERS[media_type]
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        triples = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        return ox.serialize(triples, format=fmt, prefixes=prefixes)
    return ox.serialize(triples, format=fmt)


# ---------------------------------------------------------------- one query

def cap_message(cap: int) -> str:
    return (f"the query has more than {cap} results, the cap of this endpoint; nothing was truncated: "
            f"add LIMIT {cap} (and OFFSET to page), or narrow the query")


def execute(store: ox.Store, job: Job) -> Outcome:
    options = {"base_iri": job.base_iri} if job.base_iri else {}
    if job.default_graphs:
        options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    if job.named_graphs:
        options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    try:
        results = store.query(job.query, **options)
        if isinstance(results, ox.QuerySolutions):
            kind = SOLUTIONS
        elif isinstance(results, ox.QueryTriples):
            kind = GRAPH
        else:
            kind = BOOLEAN
        media_type = job.formats.get(kind)
        if media_type is None:
            return Outcome.error(406, "not acceptable", kind)
        if kind == BOOLEAN:
            return Outcome(200, media_type, write_boolean(bool(results), media_type), kind)
        items = []
        for item in results:
            items.append(item if kind == GRAPH else [item[v] for v in results.variables])
            if len(items) > job.cap:
                return Outcome.error(422, cap_message(job.cap), kind)
        if kind == GRAPH:
            return Outcome(200, media_type, write_graph(items, media_type, job.prefixes), kind)
        variables = [v.value for v in results.variables]
        return Outcome(200, media_type, write_solutions(variables, items, media_type), kind)
    except SyntaxError as exc:
        return Outcome.error(400, f"malformed query: {exc}")
    except (OSError, ValueError, RuntimeError) as exc:  # evaluation errors (e.g. a failing SERVICE)
        return Outcome.error(500, f"query evaluation failed: {exc}")
