"""RDF documents about resources: formats, the concise bounded description, serialization."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..jsonld import compacted_bytes

JSONLD_COMPACTED = "http://www.w3.org/ns/json-ld#compacted"
JSONLD_EXPANDED = "http://www.w3.org/ns/json-ld#expanded"
LABELS = (
    "http://www.w3.org/2004/02/skos/core#prefLabel", "http://www.w3.org/2000/01/rdf-schema#label",
    "http://data.europa.eu/eli/ontology#title", "http://xmlns.com/foaf/0.1/name", "http://purl.org/dc/terms/title",
)
FOAF_PRIMARY_TOPIC = ox.NamedNode("http://xmlns.com/foaf/0.1/primaryTopic")
VOID_IN_DATASET = ox.NamedNode("http://rdfs.org/ns/void#inDataset")
DCT_MODIFIED = ox.NamedNode("http://purl.org/dc/terms/modified")


@dataclass(frozen=True)
class Format:
    key: str  # ?format= value and extension
    offer: str  # media type as offered in negotiation
    content_type: str  # what the response says it is
    extension: str | None


TURTLE = Format("ttl", "text/turtle", "text/turtle; charset=utf-8", "ttl")
HTML = Format("html", "text/html", "text/html; charset=utf-8", "html")
JSONLD = Format("jsonld", f'application/ld+json;profile="{JSONLD_COMPACTED}"',
                f'application/ld+json; profile="{JSONLD_COMPACTED}"', "jsonld")
JSONLD_EXP = Format("jsonld-expanded", f'application/ld+json;profile="{JSONLD_EXPANDED}"',
                    f'application/ld+json; profile="{JSONLD_EXPANDED}"', None)
RDFXML = Format("rdf", "application/rdf+xml", "application/rdf+xml", "rdf")
NTRIPLES = Format("nt", "application/n-triples", "application/n-triples", "nt")

# Order is preference on ties: a client that accepts anything (curl's */*) gets Turtle.
DOCUMENT_FORMATS = (TURTLE, HTML, JSONLD, JSONLD_EXP, RDFXML, NTRIPLES)
BY_KEY = {f.key: f for f in DOCUMENT_FORMATS}
ALIASES = {"turtle": "ttl", "json-ld": "jsonld", "json": "jsonld", "xml": "rdf", "rdfxml": "rdf",
           "ntriples": "nt", "n-triples": "nt"}


def format_for_key(key: str) -> Format | None:
    return BY_KEY.get(ALIASES.get(key.lower(), key.lower()))


def format_for_offer(offer: str) -> Format:
    return next(f for f in DOCUMENT_FORMATS if f.offer == offer)


def concise_bounded_description(store: ox.Store, iri: str) -> list[ox.Triple]:
    """Every triple with the resource as subject, following blank-node objects (CBD), across
    the default and metadata graphs."""
    triples, seen, todo = [], set(), [ox.NamedNode(iri)]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for quad in store.quads_for_pattern(node, None, None, None):
            triples.append(ox.Triple(quad.subject, quad.predicate, quad.object))
            if isinstance(quad.object, ox.BlankNode):
                todo.append(quad.object)
    return list(dict.fromkeys(triples))


def labels_of_linked(store: ox.Store, triples: list[ox.Triple]) -> list[ox.Triple]:
    linked = {t.object for t in triples if isinstance(t.object, ox.NamedNode)}
    linked |= {t.predicate for t in triples}
    if not isinstance(store, ox.Store):  # a remote store: one request instead of one per node and label
        return list(dict.fromkeys(store.labels(sorted(linked, key=lambda n: n.value), LABELS)))
    out = []
    for node in linked:
        for label in LABELS:
            out.extend(ox.Triple(q.subject, q.predicate, q.object)
                       for q in store.quads_for_pattern(node, ox.NamedNode(label), None, None))
    return list(dict.fromkeys(out))


def document(store: ox.Store, thing: str, doc: str, dataset: str, modified: str) -> list[ox.Triple]:
    """The document about a thing: its CBD, the labels of what it links to, and provenance."""
    cbd = concise_bounded_description(store, thing)
    if not cbd:
        return []
    about = [ox.Triple(ox.NamedNode(doc), FOAF_PRIMARY_TOPIC, ox.NamedNode(thing)),
             ox.Triple(ox.NamedNode(doc), VOID_IN_DATASET, ox.NamedNode(dataset)),
             ox.Triple(ox.NamedNode(doc), DCT_MODIFIED,
                       ox.Literal(modified, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")))]
    return list(dict.fromkeys(cbd + labels_of_linked(store, cbd) + about))


def serialize(triples: list[ox.Triple], fmt: Format, prefixes: dict, context: dict) -> bytes:
    if fmt is TURTLE:
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    if fmt is JSONLD:
        return compacted_bytes(triples, context["@context"])
    kind = {NTRIPLES: ox.RdfFormat.N_TRIPLES, RDFXML: ox.RdfFormat.RDF_XML, JSONLD_EXP: ox.RdfFormat.JSON_LD}[fmt]
    return ox.serialize(triples, format=kind)  # Oxigraph's JSON-LD is the expanded form
