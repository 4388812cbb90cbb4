"""RFC 9110 content negotiation, table-driven."""

from __future__ import annotations

import pytest

from bikgraph.web.conneg import AcceptError, negotiate, parse_accept

RDF = ["text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples", "text/html"]
PAGE = ["text/html", "text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples"]
RESULTS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]
JSONLD = ['application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"',
          'application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"']
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CHROME = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
          "application/signed-exchange;v=b3;q=0.7")

CASES = [
    # (offers, Accept, expected)
    (RDF, None, "text/turtle"),  # no Accept: the server's first choice
    (RDF, "", "text/turtle"),
    (RDF, "*/*", "text/turtle"),  # curl's default
    (RDF, "text/*", "text/turtle"),
    (RDF, "text/*;q=0.5, text/html", "text/html"),
    (RDF, "application/rdf+xml", "application/rdf+xml"),
    (RDF, "APPLICATION/RDF+XML", "application/rdf+xml"),  # media types are case-insensitive
    (RDF, "text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
    (RDF, "application/n-triples;q=0.3, */*;q=0.1", "application/n-triples"),
    (RDF, "*/*;q=1, text/turtle;q=0", "application/ld+json"),  # q=0 on the specific range wins
    (RDF, "text/*;q=0, */*", "application/ld+json"),
    (RDF, "text/turtle;q=0", None),
    (RDF, "image/png", None),
    (RDF, "text/turtle;charset=utf-8", "text/turtle"),  # charset ignored: we always send UTF-8
    (RDF, "text/turtle;q=0.8;foo=bar", "text/turtle"),  # accept-ext after q is ignored
    (RDF, "text/turtle;version=2", None),  # an unknown parameter must match
    (PAGE, FIREFOX, "text/html"),
    (PAGE, CHROME, "text/html"),
    (RDF, FIREFOX, "text/html"),
    (RESULTS, "application/sparql-results+json, application/sparql-results+xml;q=0.9", "application/sparql-results+json"),
    (RESULTS, "text/csv;q=0.9, text/tab-separated-values", "text/tab-separated-values"),
    (RESULTS, "text/turtle", None),
    (JSONLD, "application/ld+json", JSONLD[0]),
    (JSONLD, 'application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"', JSONLD[1]),
    (JSONLD, 'application/ld+json;profile="http://www.w3.org/ns/json-ld#flattened http://www.w3.org/ns/json-ld#compacted"', JSONLD[0]),
    (JSONLD, 'application/ld+json;profile="http://www.w3.org/ns/json-ld#flattened"', None),
    (RDF, "text/turtle , , application/rdf+xml;q=0.5", "text/turtle"),  # empty list elements are allowed
]


@pytest.mark.parametrize("offers,accept,expected", CASES)
def test_negotiate(offers, accept, expected):
    assert negotiate(offers, accept) == expected


@pytest.mark.parametrize("header,fragment", [
    ("text", "is not a media range"),
    ("text/turtle;q=2", "malformed quality value q=2"),
    ("text/turtle;q=0.1234", "malformed quality value"),
    ("*/turtle", "'*/subtype' is not a media range"),
    ("text/turtle;q", "malformed parameter"),
    ('text/turtle;profile="unterminated', "unterminated quoted string"),
    ("te xt/turtle", "is not a media range"),
])
def test_malformed_accept(header, fragment):
    with pytest.raises(AcceptError, match=fragment.replace("*", r"\*")):
        negotiate(RDF, header)


def test_parse_keeps_parameters_and_weights():
    (range_,) = parse_accept('application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded" ;q=0.5')
    assert (range_.type, range_.subtype, range_.params, range_.q) == (
        "application", "ld+json", (("profile", "http://www.w3.org/ns/json-ld#expanded"),), 0.5)
