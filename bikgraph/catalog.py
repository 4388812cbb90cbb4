"""The DCAT-AP 3 / VoID description of a release: catalogue, dataset, distributions, service.

Pure: counts and file facts in, an rdflib Graph out. Only EU-vocabulary IRIs the research
verified are used (data/reference/eu-vocabularies.csv); media types are IANA's registry IRIs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from .iris import Iris
from .reference import Reference

VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
IANA = "http://www.iana.org/assignments/media-types/"
LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
AUTHORITY_TABLES = "http://publications.europa.eu/resource/authority/"



def unexpected_vocabulary_violations(results, iris: Iris) -> list:
    """Violations of the EU-vocabulary shapes other than those a correct description cannot avoid:

    - our publisher is not an EU body, so it cannot be in the corporate-body table;
    - mdr-vocabularies.shape.ttl wants checksum algorithms under https://spdx.org/rdf/terms, but the
      SPDX namespace DCAT-AP itself uses (and its core shape's sh:class names) is http:// - reported
      on the algorithm and again on each checksum that uses it.
    """
    def expected(result) -> bool:
        return ((result.focus == iris.publisher() and result.path == str(SKOS.inScheme))
                or result.focus == str(SPDX.checksumAlgorithm_sha256) or result.path == str(SPDX.algorithm))

    return [r for r in results if r.severity == "Violation" and not expected(r)]


@dataclass(frozen=True)
class DumpFile:
    name: str  # e.g. bikgraph.ttl.gz
    media_type: str  # of the RDF inside, e.g. text/turtle
    compressed: bool
    size: int
    sha256: str
    title: str


def store_statistics(store) -> dict:
    """VoID counts of a store's default graph, computed by the store."""
    from .store import select
    count = lambda query: int(select(store, query)[0]["n"])  # noqa: E731
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    return {
        "triples": count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
        "subjects": count("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        "objects": count("SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        "entities": count(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s {rdf_type} ?c FILTER isIRI(?s) }}"),
        "classes": Counter({URIRef(r["c"]): int(r["n"]) for r in select(
            store, f"SELECT ?c (COUNT(*) AS ?n) WHERE {{ ?s {rdf_type} ?c FILTER isIRI(?c) }} GROUP BY ?c")}),
        "properties": Counter({URIRef(r["p"]): int(r["n"]) for r in select(
            store, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")}),
    }


def describe_release(iris: Iris, reference: Reference, stats: dict, dumps: list[DumpFile],
                     release_id: str, created: datetime, vocabularies: list[str]) -> Graph:
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("void", VOID), ("spdx", SPDX),
                       ("sd", SD)):
        g.bind(prefix, ns)
    catalog, dataset = URIRef(iris.catalog()), URIRef(iris.dataset())
    publisher, service = URIRef(iris.publisher()), URIRef(iris.sparql_service())
    english = URIRef(reference.vocabulary("language", "English")["iri"])
    theme = URIRef(reference.vocabulary("data-theme", "Government and public sector")["iri"])
    belgium = URIRef(reference.vocabulary("country", "Belgium")["iri"])
    issued = Literal(created.strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=XSD.dateTime)

    def en(text):
        return Literal(text, lang="en")

    # DCAT-AP wants the class (and EU table) of each value it points to, stated in the description.
    for value, label, scheme, classes in (
            (english, "English", "language", (DCTERMS.LinguisticSystem,)),
            (theme, "Government and public sector", "data-theme", ()),
            (belgium, "Belgium", "country", (DCTERMS.Location,))):
        g.add((value, RDF.type, SKOS.Concept))
        g.add((value, SKOS.prefLabel, Literal(label, lang="en")))
        g.add((value, SKOS.inScheme, URIRef(AUTHORITY_TABLES + scheme)))
        for cls in classes:
            g.add((value, RDF.type, cls))
    g.add((URIRef(AUTHORITY_TABLES + "data-theme"), RDF.type, SKOS.ConceptScheme))
    g.add((URIRef(AUTHORITY_TABLES + "data-theme"), DCTERMS.title, Literal("Data theme", lang="en")))
    g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    g.add((SPARQL_PROTOCOL, RDF.type, DCTERMS.Standard))
    g.add((URIRef(iris.base), RDF.type, FOAF.Document))

    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, en("bikgraph publishers")))

    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, en("bikgraph catalogue")))
    g.add((catalog, DCTERMS.description, en("Linked-data releases of the BIK+ Policy Monitor.")))
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((catalog, DCAT.dataset, dataset))
    g.add((catalog, DCAT.service, service))
    g.add((catalog, DCTERMS.language, english))
    g.add((catalog, DCTERMS.modified, issued))
    g.add((catalog, FOAF.homepage, URIRef(iris.base)))
    g.add((catalog, DCAT.themeTaxonomy, URIRef(AUTHORITY_TABLES + "data-theme")))

    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, DCTERMS.title, en("BIK+ Policy Monitor knowledge graph")))
    g.add((dataset, DCTERMS.description, en(
        "Country profiles of the Better Internet for Kids (BIK+) Policy Monitor as linked data: the "
        "monitor's 40 indicators, one rating per profile and indicator with its basis (read from a "
        "reliable table, derived from the narrative, or unknown), confidence and evidence; the "
        "narrative findings with their positions in the source text; organisations, DSA "
        "designations, legal acts linked to ELI and CELEX, and EuroVoc subjects. Ratings derived "
        "from the narrative are this project's estimates, not the monitor's official ratings.")))
    g.add((dataset, DCTERMS.publisher, publisher))
    g.add((dataset, DCTERMS.language, english))
    g.add((dataset, DCAT.theme, theme))
    g.add((dataset, DCTERMS.spatial, belgium))
    g.add((dataset, DCTERMS.issued, issued))
    g.add((dataset, DCTERMS.modified, issued))
    g.add((dataset, DCTERMS.identifier, Literal(release_id)))
    g.add((dataset, URIRef("http://www.w3.org/2002/07/owl#versionInfo"), Literal(release_id)))
    g.add((dataset, DCTERMS.license, LICENCE))
    g.add((dataset, VOID.sparqlEndpoint, service))
    g.add((dataset, VOID.uriSpace, Literal(iris.base + "id/")))
    g.add((dataset, VOID.rootResource, URIRef(iris.base + "id/scheme/monitor")))
    g.add((dataset, VOID.triples, Literal(stats["triples"], datatype=XSD.integer)))
    g.add((dataset, VOID.entities, Literal(stats["entities"], datatype=XSD.integer)))
    g.add((dataset, VOID.distinctSubjects, Literal(stats["subjects"], datatype=XSD.integer)))
    g.add((dataset, VOID.distinctObjects, Literal(stats["objects"], datatype=XSD.integer)))
    g.add((dataset, VOID.classes, Literal(len(stats["classes"]), datatype=XSD.integer)))
    g.add((dataset, VOID.properties, Literal(len(stats["properties"]), datatype=XSD.integer)))
    for vocabulary in vocabularies:
        g.add((dataset, VOID.vocabulary, URIRef(vocabulary)))
    for n, (cls, count) in enumerate(sorted(stats["classes"].items()), start=1):
        part = URIRef(f"{iris.dataset()}/class/{n}")
        g.add((dataset, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, Literal(count, datatype=XSD.integer)))
    for n, (prop, count) in enumerate(sorted(stats["properties"].items()), start=1):
        part = URIRef(f"{iris.dataset()}/property/{n}")
        g.add((dataset, VOID.propertyPartition, part))
        g.add((part, VOID.property, prop))
        g.add((part, VOID.triples, Literal(count, datatype=XSD.integer)))

    for dump in dumps:
        dist = URIRef(iris.distribution(dump.name.replace(".", "-")))
        url = URIRef(iris.download(dump.name))
        g.add((dataset, DCAT.distribution, dist))
        g.add((dataset, VOID.dataDump, url))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, en(dump.title)))
        g.add((dist, DCAT.accessURL, url))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.mediaType, URIRef(IANA + dump.media_type)))
        g.add((URIRef(IANA + dump.media_type), RDF.type, DCTERMS.MediaType))
        if dump.compressed:
            g.add((dist, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
            g.add((URIRef(IANA + "application/gzip"), RDF.type, DCTERMS.MediaType))
        g.add((dist, DCAT.byteSize, Literal(dump.size, datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCTERMS.license, LICENCE))
        g.add((dist, DCTERMS.issued, issued))
        checksum = URIRef(str(dist) + "/checksum")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))

    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, RDF.type, SD.Service))
    g.add((service, DCTERMS.title, en("bikgraph SPARQL 1.1 endpoint")))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.endpointDescription, service))
    g.add((service, DCAT.servesDataset, dataset))
    g.add((service, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    g.add((service, SD.endpoint, service))
    g.add((service, DCTERMS.license, LICENCE))
    g.add((LICENCE, RDF.type, DCTERMS.LicenseDocument))
    g.add((LICENCE, RDFS.label, en("Creative Commons Attribution 4.0 International")))
    return g
