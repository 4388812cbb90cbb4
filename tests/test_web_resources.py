"""Resource URIs, documents, HTML pages, dumps and metadata, over httpx against the app."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest
from rdflib import Graph, Literal, URIRef

from bikgraph.release import build_release
from bikgraph.settings import Settings

from . import variants
from .conftest import quiet
from .web_helpers import client_for

ID = "https://data.example.eu/bik/id/"
DEF = "https://data.example.eu/bik/def/"
BIPT_LEVEL = (URIRef(ID + "org/bipt"), URIRef(DEF + "levelOfGovernment"), URIRef(DEF + "level-federal"))
FEDERAL_LABEL = (URIRef(DEF + "level-federal"), URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"), Literal("federal", lang="en"))
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.fixture(scope="module")
def client(settings, release):
    with client_for(settings) as c:
        yield c


def test_thing_redirects_to_its_document(client):
    response = client.get("/id/org/bipt", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/doc/org/bipt"
    assert "Accept" in [v.strip() for v in response.headers["vary"].split(",")]
    head = client.head("/id/org/bipt", follow_redirects=False)
    assert head.status_code == 303 and head.headers["location"] == "/doc/org/bipt"
    term = client.get("/def/Rating", follow_redirects=False)
    assert term.status_code == 303 and term.headers["location"] == "/doc/def/Rating"


@pytest.mark.parametrize("accept,content_type,fmt", [
    (None, "text/turtle; charset=utf-8", "turtle"),
    ("*/*", "text/turtle; charset=utf-8", "turtle"),  # curl
    (BROWSER, "text/html; charset=utf-8", None),
    ("text/turtle", "text/turtle; charset=utf-8", "turtle"),
    ("application/ld+json", 'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"', "json-ld"),
    ('application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"',
     'application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"', "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("text/*;q=0.5, application/rdf+xml;q=0.9", "application/rdf+xml", "xml"),
    ("text/turtle;q=0, */*", "text/html; charset=utf-8", None),
])
def test_document_negotiation(client, accept, content_type, fmt):
    response = client.get("/doc/org/bipt", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert "Accept" in [v.strip() for v in response.headers["vary"].split(",")]
    if fmt:
        graph = Graph().parse(data=response.content, format=fmt)
        assert BIPT_LEVEL in graph and FEDERAL_LABEL in graph  # CBD plus the labels of what it links to
    else:
        assert "Belgian Institute for Postal Services and Telecommunications" in response.text


def test_compacted_jsonld_uses_the_published_context(client):
    context = client.get("/context.jsonld").json()
    document = client.get("/doc/org/bipt", headers={"Accept": "application/ld+json"}).json()
    assert document["@context"] == context["@context"]
    expanded = client.get("/doc/org/bipt", headers={
        "Accept": 'application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"'}).json()
    assert isinstance(expanded, list) and "@context" not in json.dumps(expanded)


@pytest.mark.parametrize("url,content_type", [
    ("/doc/org/bipt.ttl", "text/turtle; charset=utf-8"), ("/doc/org/bipt.jsonld", "application/ld+json"),
    ("/doc/org/bipt.rdf", "application/rdf+xml"), ("/doc/org/bipt.nt", "application/n-triples"),
    ("/doc/org/bipt.html", "text/html; charset=utf-8"), ("/doc/org/bipt?format=nt", "application/n-triples"),
    ("/doc/org/bipt?format=turtle", "text/turtle; charset=utf-8")])
def test_extension_and_format_override_accept(client, url, content_type):
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)


def test_link_alternates_etag_and_304(client):
    response = client.get("/doc/org/bipt", headers={"Accept": "text/turtle"})
    links = response.headers["link"]
    for ext, media in (("jsonld", "application/ld+json"), ("rdf", "application/rdf+xml"),
                       ("nt", "application/n-triples"), ("html", "text/html")):
        assert f'</doc/org/bipt.{ext}>; rel="alternate"; type="{media}"' in links
    assert "bipt.ttl" not in links
    etag = response.headers["etag"]
    assert response.headers["last-modified"].endswith("GMT")
    again = client.get("/doc/org/bipt", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get("/doc/org/bipt", headers={"Accept": "application/n-triples", "If-None-Match": etag})
    assert other.status_code == 200  # another representation has another validator


def test_not_acceptable_lists_the_alternatives(client):
    response = client.get("/doc/org/bipt", headers={"Accept": "image/png"})
    assert response.status_code == 406
    for media in ("text/turtle", "text/html", "application/ld+json", "application/rdf+xml", "application/n-triples"):
        assert media in response.text


def test_unknown_format_and_malformed_accept(client):
    assert client.get("/doc/org/bipt?format=pdf").status_code == 400
    response = client.get("/doc/org/bipt", headers={"Accept": "text/html;q=high"})
    assert response.status_code == 400 and "malformed Accept header" in response.text


def test_unknown_resource_gets_a_helpful_404(client):
    response = client.get("/doc/org/nobody", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert "Nothing is known about /id/org/nobody" in response.text and 'href="/sparql"' in response.text
    assert client.get("/id/org/nobody", follow_redirects=False).status_code == 404
    assert client.get("/doc/org/nobody").text.startswith("Nothing is known")


@pytest.mark.parametrize("path", ["/doc/%2e%2e/%2e%2e/etc/passwd", "/doc/org/..%2f..%2frelease.json",
                                  "/doc/.hidden", "/id/%2e%2e/release.json", "/dumps/..%2frelease.json",
                                  "/dumps/%2e%2e", "/dumps/store", "/dumps/..%2f..%2fdata%2fsources"])
def test_path_traversal_reaches_nothing(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 404
    assert "root:" not in response.text and '"triples"' not in response.text


def test_profile_page_reads_as_derived(client):
    page = client.get("/doc/profile/BE/2024", headers={"Accept": BROWSER}).text
    assert "These are not the official ratings." in page
    assert page.count("derived from the narrative · not official") == 39
    assert "No sentence of the profile speaks to this indicator." in page
    for dimension in ("BIK policies", "BIK+ actions"):
        assert f"<h2>{dimension}</h2>" in page
    # the sentence each rating rests on, with its line in the source
    assert "This topic is an important and emerging policy priority." in page and "line 8" in page
    assert 'href="/id/indicator/stakeholder-forum"' in page  # links navigate locally


def test_organisation_act_and_indicator_pages(client):
    bipt = client.get("/doc/org/bipt", headers={"Accept": BROWSER}).text
    assert "Digital Services Coordinator" in bipt and "2024-04-21" in bipt and "2024-05-25" in bipt
    vrm = client.get("/doc/org/vrm", headers={"Accept": BROWSER}).text
    assert "The profile cites" in vrm and "Media Decree of 27 March 2009" in vrm
    dsa = client.get("/doc/act/dsa", headers={"Accept": BROWSER}).text
    assert "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32022R2065" in dsa
    assert "http://data.europa.eu/eli/reg/2022/2065/oj" in dsa
    be_act = client.get("/doc/act/be-dsa-act-2024", headers={"Accept": BROWSER}).text
    assert "unknown — bikgraph uses its own IRI and invents none" in be_act
    decree = client.get("/doc/act/vl-media-decree-2009", headers={"Accept": BROWSER}).text
    assert "Belgian Official Journal (ELI)" in decree and "P: built from a verified pattern" in decree
    indicator = client.get("/doc/indicator/national-coordination-body", headers={"Accept": BROWSER}).text
    assert "Low" in indicator and "derived from the narrative" in indicator


def test_home_page(client):
    page = client.get("/", headers={"Accept": BROWSER}).text
    assert "BIK+ Policy Monitor country profile: Belgium, 2024" in page
    assert 'href="/dumps/"' in page and 'href="/sparql"' in page and 'href="/ontology"' in page
    assert page.count('href="/sparql?query=') == 10  # the competency questions


def test_dumps_listing_and_downloads(client, release):
    listing = client.get("/dumps/").text
    for dump in release.manifest["dumps"]:
        assert dump["name"] in listing and dump["sha256"] in listing and str(dump["size"]) in listing
    for dump in release.manifest["dumps"]:
        response = client.get("/dumps/" + dump["name"])
        assert response.status_code == 200
        assert int(response.headers["content-length"]) == dump["size"] == len(response.content)
        assert hashlib.sha256(response.content).hexdigest() == dump["sha256"]
        expected = "application/gzip" if dump["compressed"] else dump["media_type"]
        assert response.headers["content-type"].split(";")[0] == expected
        if dump["compressed"]:
            assert gzip.decompress(response.content)
    sums = client.get("/dumps/SHA256SUMS")
    assert sums.status_code == 200 and "dumps/bikgraph.ttl" in sums.text
    assert client.get("/dumps/", headers={"Accept": "application/json"}).json()["release"] == release.id


@pytest.mark.parametrize("path", ["/dataset", "/.well-known/void"])
def test_dataset_description_by_conneg(client, path):
    turtle = Graph().parse(data=client.get(path, headers={"Accept": "text/turtle"}).content, format="turtle")
    dcat = "http://www.w3.org/ns/dcat#"
    assert (URIRef(ID + "dataset"), URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef(dcat + "Dataset")) in turtle
    jsonld = client.get(path, headers={"Accept": "application/ld+json"})
    assert len(Graph().parse(data=jsonld.content, format="json-ld")) == len(turtle)
    assert client.get(path, headers={"Accept": BROWSER}).status_code == 200


@pytest.mark.parametrize("path,marker", [("/ontology", "Rating"), ("/shapes", "RatingShape")])
def test_ontology_and_shapes(client, path, marker):
    html = client.get(path, headers={"Accept": BROWSER})
    assert html.status_code == 200 and marker in html.text
    graph = Graph().parse(data=client.get(path, headers={"Accept": "text/turtle"}).content, format="turtle")
    assert len(graph) > 100
    assert client.get(path, headers={"Accept": "application/n-triples"}).status_code == 200


def test_docs_show_the_real_routes(client):
    page = client.get("/docs").text
    for route in ("/sparql", "/doc/{path}", "/dumps/{name}", "/dataset", "/.well-known/void", "/ontology"):
        assert f"<code>{route}</code>" in page
    spec = client.get("/openapi.json").json()
    assert "/sparql" in spec["paths"] and "post" in spec["paths"]["/sparql"]


@pytest.fixture(scope="module")
def hostile_release(tmp_path_factory):
    """A release built with another base, from a page whose text carries markup and script."""
    folder = tmp_path_factory.mktemp("hostile")
    text = variants.seed_text().replace(
        "This topic is an important and emerging policy priority.",
        "This topic is an important and emerging policy priority. <script>alert('x')</script> <b>bold</b> & co")
    source = folder / "bik-policy-monitor-belgium-2024.txt"
    source.write_text(text, encoding="utf-8")
    settings = Settings(base="https://kids.example.org/monitor/", releases_dir=folder / "releases", sources=(source,))
    build_release(settings, progress=quiet)
    return settings


def test_markup_in_data_is_escaped(hostile_release):
    with client_for(hostile_release) as client:
        page = client.get("/doc/profile/BE/2024", headers={"Accept": BROWSER}).text
        assert "<script>alert" not in page and "<b>bold</b>" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt; &amp; co" in page
        finding = client.get("/doc/finding/BE/2024/policy-frameworks/1", headers={"Accept": BROWSER}).text
        assert "<script>alert" not in finding and "&lt;script&gt;" in finding


def test_iri_base_is_served_locally(hostile_release):
    with client_for(hostile_release) as client:
        response = client.get("/id/country/BE", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/doc/country/BE"
        turtle = Graph().parse(data=client.get("/doc/country/BE").content, format="turtle")
        assert (URIRef("https://kids.example.org/monitor/id/country/BE"), None, None) in turtle
        page = client.get("/doc/profile/BE/2024", headers={"Accept": BROWSER}).text
        assert 'href="/id/indicator/' in page and "kids.example.org/monitor/id/indicator" not in page.split("<footer")[0].split('class="iri"')[0]


def test_new_release_is_picked_up_without_restart(tmp_path):
    settings = Settings(releases_dir=tmp_path / "releases")
    build_release(settings, progress=quiet)
    with client_for(settings) as client:
        first = client.get("/doc/org/bipt").headers["etag"]
        build_release(settings, progress=quiet)  # same data, same second: still a new release
        second = client.get("/doc/org/bipt").headers["etag"]
        assert first != second
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_pages_carry_security_headers(client):
    page = client.get("/doc/profile/BE/2024", headers={"Accept": BROWSER})
    assert "script-src" not in page.headers["content-security-policy"]  # nothing may run
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert client.get("/doc/org/bipt.ttl").headers["x-content-type-options"] == "nosniff"


def test_profile_page_counts_levels_per_dimension(client, sparql):
    page = client.get("/doc/profile/BE/2024", headers={"Accept": BROWSER}).text
    rows = sparql("""PREFIX bik: <https://data.example.eu/bik/def/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT (COUNT(*) AS ?n) WHERE { ?r bik:profile <https://data.example.eu/bik/id/profile/BE/2024> ;
        bik:level/skos:prefLabel "In place"@en }""")
    in_place = int(rows[0]["n"])
    assert f"<td>BIK+ actions</td><td>In place</td><td>derived from the narrative (not official)</td><td>{in_place}</td>" in page


def test_source_text_as_received(client, release):
    (source,) = release.manifest["sources"]
    plain = client.get("/sources/" + source["name"])
    assert plain.status_code == 200 and plain.headers["content-type"] == "text/plain; charset=utf-8"
    assert plain.content == variants.SEED.read_bytes()
    assert hashlib.sha256(plain.content).hexdigest() == source["sha256"]
    page = client.get("/sources/" + source["name"], headers={"Accept": BROWSER}).text
    line_56 = variants.seed_lines()[55]
    assert '<tr id="L56" class="finding">' in page and line_56 in page
    assert 'href="/id/finding/BE/2024/pillar-1-safe-digital-experiences/1"' in page
    profile = client.get("/doc/profile/BE/2024", headers={"Accept": BROWSER}).text
    assert f'href="/sources/{source["name"]}#L57"' in profile  # evidence links into the source at its line
    assert client.get("/sources/..%2frelease.json").status_code == 404
    assert client.get("/sources/other.txt").status_code == 404


def test_source_document_links_its_text(client):
    turtle = Graph().parse(data=client.get("/doc/source/BE/2024.ttl").content, format="turtle")
    url = "https://data.example.eu/bik/sources/" + variants.SEED.name
    assert (URIRef(ID + "source/BE/2024"), URIRef("http://www.w3.org/ns/dcat#downloadURL"), URIRef(url)) in turtle


def test_a_derived_rating_says_so_on_its_own_page(client):
    page = client.get("/doc/rating/BE/2024/national-coordination-body", headers={"Accept": BROWSER}).text
    assert "Not an official rating." in page and "derived from the narrative · not official" in page
    unknown = client.get("/doc/rating/BE/2024/codes-of-practice-of-digital-services", headers={"Accept": BROWSER}).text
    assert "Level unknown" in unknown and "No reliable table and no sentence" in unknown
