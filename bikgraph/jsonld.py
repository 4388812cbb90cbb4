"""A streaming writer of compacted JSON-LD for triples grouped by subject.

The published context only declares prefixes, so compaction is: one node object per subject,
IRIs as prefixed names where a prefix applies, rdf:type as @type, plain strings as JSON strings.
Writing node by node keeps memory flat for a dump of millions of triples, which rdflib's
serializer (the whole graph in memory, about 60x slower) cannot.
"""

from __future__ import annotations

import io
import json
from itertools import groupby
from typing import BinaryIO, Iterable

import pyoxigraph as ox

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
GEN_DELIMS = tuple(":/?#[]@")  # JSON-LD 1.1 uses a plain prefix for compact IRIs only when it ends in one


class Compactor:
    def __init__(self, prefixes: dict[str, str]):
        usable = [(p, ns) for p, ns in prefixes.items() if ns.endswith(GEN_DELIMS) and p != "_"]
        self._prefixes = sorted(usable, key=lambda item: -len(item[1]))  # the longest namespace wins

    def iri(self, iri: str) -> str:
        for prefix, namespace in self._prefixes:
            if iri.startswith(namespace):
                local = iri[len(namespace):]
                if local and not local.startswith("//"):  # '//' would read as an absolute IRI
                    return f"{prefix}:{local}"
        return iri

    def node_id(self, term) -> str:
        return "_:" + term.value if isinstance(term, ox.BlankNode) else self.iri(term.value)

    def value(self, term):
        if isinstance(term, (ox.NamedNode, ox.BlankNode)):
            return {"@id": self.node_id(term)}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == XSD_STRING:
            return term.value
        return {"@value": term.value, "@type": self.iri(term.datatype.value)}

    def node(self, subject, triples: Iterable) -> dict:
        node: dict = {"@id": self.node_id(subject)}
        for triple in triples:
            if triple.predicate.value == RDF_TYPE and not isinstance(triple.object, ox.Literal):
                node.setdefault("@type", []).append(self.node_id(triple.object))
            else:
                node.setdefault(self.iri(triple.predicate.value), []).append(self.value(triple.object))
        return node


def write_compacted(triples: Iterable, context: dict, out: BinaryIO) -> None:
    """Write {"@context": context, "@graph": [...]}; triples of one subject must come together."""
    compactor = Compactor(context)
    out.write(b'{\n  "@context": ' + json.dumps(context, ensure_ascii=False).encode("utf-8") + b',\n  "@graph": [')
    first = True
    for subject, group in groupby(triples, key=lambda t: t.subject):
        out.write((b"\n    " if first else b",\n    ") +
                  json.dumps(compactor.node(subject, group), ensure_ascii=False).encode("utf-8"))
        first = False
    out.write(b"\n  ]\n}\n")


def compacted_bytes(triples: list, context: dict) -> bytes:
    """One small document (a resource's description): its triples grouped by subject first."""
    order = {}
    for triple in triples:
        order.setdefault(triple.subject, []).append(triple)
    buffer = io.BytesIO()
    write_compacted((t for group in order.values() for t in group), context, buffer)
    return buffer.getvalue()
