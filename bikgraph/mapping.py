"""Map parsed profiles and reference data to RDF. Pure: objects in, an rdflib Graph out.

All IRIs come from `Iris`; nothing here reads files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, PROV, QB, RDF, RDFS, SKOS, XSD

from .codebook import Rating, Rule, matching_rules
from .errors import SourceError
from .iris import Iris
from .profile import Finding, Profile
from .reference import Reference, eurovoc_name, verification_key
from .structure import MonitorStructure

ELI = Namespace("http://data.europa.eu/eli/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
AUTHORITY = "http://publications.europa.eu/resource/authority/"

PREFIXES = {
    "bik": None,  # filled with the configured base
    "rdf": str(RDF), "rdfs": str(RDFS), "xsd": str(XSD), "owl": "http://www.w3.org/2002/07/owl#",
    "skos": str(SKOS), "dct": str(DCTERMS), "qb": str(QB), "org": str(ORG), "eli": str(ELI),
    "prov": str(PROV), "oa": str(OA), "foaf": str(FOAF),
}


def prefixes(iris: Iris) -> dict[str, str]:
    return {**PREFIXES, "bik": iris.terms, "bikid": iris.base + "id/"}


@dataclass(frozen=True)
class SourceInfo:
    """What the release knows about the file a profile came from."""
    file_name: str
    sha256: str


def _en(text: str) -> Literal:
    return Literal(text, lang="en")


def _date(text: str) -> Literal | None:
    return Literal(text, datatype=XSD.date) if text else None


class _Mapper:
    def __init__(self, graph: Graph, iris: Iris, structure: MonitorStructure, reference: Reference):
        self.g, self.iris, self.s, self.ref = graph, iris, structure, reference
        self.bik = Namespace(iris.terms)
        self.aliases = [(re.compile(row["aliases"]), URIRef(make(row["key"])))
                        for rows, make in ((reference.organisations, iris.org), (reference.acts, iris.act),
                                           (reference.initiatives, iris.initiative))
                        for row in rows if row["aliases"]]
        self.eurovoc_rules = [(re.compile(r["pattern"], re.IGNORECASE), r["subject"]) for r in reference.eurovoc_rules]
        # every finding mapped so far, for designations: (finding, IRI) pairs, because two profiles
        # may hold the very same finding (an unchanged sentence in the next edition)
        self.findings: list[tuple[Finding, URIRef]] = []

    def add(self, s, p, o) -> None:
        if o is not None and o != "":
            self.g.add((URIRef(s) if isinstance(s, str) else s, p, o))

    def term(self, name: str) -> URIRef:
        return self.bik[name]

    # ------------------------------------------------------------------ identifiers
    def identifier_link(self, owner: str, scheme: str, verification: str, target: str | None = None,
                        notation: str | None = None, note: str | None = None) -> None:
        """A link to an external identifier; without a target it says the identifier is unknown."""
        link = self.iris.identifier_link(owner, scheme)
        self.add(owner, self.bik.identifier, URIRef(link))
        self.add(link, RDF.type, self.bik.IdentifierLink)
        self.add(link, self.bik.scheme, self.term("scheme-" + scheme))
        self.add(link, self.bik.verification, self.term("verification-" + verification_key(verification)))
        if target:
            self.add(link, self.bik.target, URIRef(target))
        if notation:
            self.add(link, SKOS.notation, Literal(notation))
        label = f"{scheme.upper()} of {owner.rsplit('/', 1)[-1]}" + ("" if target or notation else ": unknown")
        self.add(link, RDFS.label, _en(label))
        if note:
            self.add(link, SKOS.editorialNote, _en(note))
        elif not target and not notation:
            self.add(link, SKOS.editorialNote, _en("The official identifier is unknown; this resource uses "
                                                   "the project's own IRI and no identifier was invented."))

    def eurovoc(self, label: str) -> URIRef:
        row = self.ref.eurovoc(label)
        iri = URIRef(row["iri"])
        self.add(iri, SKOS.prefLabel, _en(eurovoc_name(row["concept"])))
        return iri

    # ------------------------------------------------------------------ reference data
    def map_reference(self) -> None:
        for row in self.ref.acts:
            self.map_act(row)
        for row in self.ref.organisations:
            self.map_organisation(row)
        for row in self.ref.memberships:
            self.map_membership(row)
        for row in self.ref.initiatives:
            self.map_initiative(row)

    def map_act(self, row: dict) -> None:
        act = self.iris.act(row["key"])
        self.add(act, RDF.type, ELI.LegalResource)
        if row["part_of"]:
            self.add(act, RDF.type, ELI.LegalResourceSubdivision)
            self.add(act, ELI.is_part_of, URIRef(self.iris.act(row["part_of"])))
            self.add(self.iris.act(row["part_of"]), ELI.has_part, URIRef(act))
        self.add(act, ELI.title, _en(row["title"]))
        self.add(act, SKOS.prefLabel, _en(row["title"]))
        self.add(act, self.bik.levelOfGovernment, self.term("level-" + row["level"]))
        self.add(act, DCTERMS.type, Literal(row["kind"]))
        if row["resource_type"]:
            vocab = self.ref.vocabulary("resource-type", row["resource_type"])
            self.add(act, ELI.type_document, URIRef(vocab["iri"]))
            self.identifier_link(act, "eu-authority", vocab["verification"], vocab["iri"],
                                 note="eli:type_document value from the EU resource-type table")
        for body in filter(None, row["passed_by"].split(";")):
            self.add(act, ELI.passed_by, URIRef(self.ref.vocabulary("corporate-body", body)["iri"]))
        self.add(act, ELI.date_document, _date(row["date_document"]))
        self.add(act, ELI.first_date_entry_in_force, _date(row["in_force"]))
        self.add(act, ELI.date_applicability, _date(row["applicable_from"]))
        self.add(act, ELI.id_local, Literal(row["id_local"]) if row["id_local"] else None)
        if row["eli"] or row["eli_verification"]:
            self.identifier_link(act, "eli", row["eli_verification"], row["eli"] or None)
        if row["eli"]:
            self.add(act, self.bik.eli, URIRef(row["eli"]))
        if row["eli_variant"]:
            self.identifier_link(act, "eli-variant", row["eli_variant_verification"], row["eli_variant"])
        if row["celex"]:
            self.add(act, self.bik.celex, Literal(row["celex"]))
            self.identifier_link(act, "celex", row["celex_verification"], notation=row["celex"])
        if row["cellar"]:
            self.identifier_link(act, "cellar", row["cellar_verification"], row["cellar"])
        for relation in filter(None, (r.strip() for r in row["relations"].split(";"))):
            prop, target = relation.split()
            self.add(act, ELI[prop.split(":", 1)[1]], URIRef(self.iris.act(target)))
        for subject in filter(None, row["subjects"].split(";")):
            self.add(act, DCTERMS.subject, self.eurovoc(subject))
        self.add(act, self.bik.verificationNote, Literal(row["verification_note"]))
        if row["note"]:
            self.add(act, SKOS.editorialNote, _en(row["note"]))

    def map_organisation(self, row: dict) -> None:
        org = self.iris.org(row["key"])
        self.add(org, RDF.type, ORG.Organization)
        self.add(org, SKOS.prefLabel, _en(row["name_en"]))
        self.add(org, FOAF.name, _en(row["name_en"]))
        for local in filter(None, (n.strip() for n in row["name_local"].split(" / "))):
            if local != row["name_en"]:
                self.add(org, SKOS.altLabel, Literal(local))
        if row["acronym"]:
            self.add(org, self.bik.acronym, Literal(row["acronym"]))
        self.add(org, self.bik.levelOfGovernment, self.term("level-" + row["level"]))
        if row["homepage"]:
            self.add(org, FOAF.homepage, URIRef(row["homepage"]))
        for role in filter(None, row["roles"].split(";")):
            self.add(org, self.bik.hasRole, self.term("role-" + role))
        self.add(org, self.bik.verificationNote, Literal(row["verification"]
                                                         + (f"; homepage {row['homepage_verification']}"
                                                            if row["homepage_verification"] else "")))
        if row["note"]:
            self.add(org, SKOS.editorialNote, _en(row["note"]))

    def map_membership(self, row: dict) -> None:
        membership = self.iris.membership(row["organisation"], row["member"])
        organisation, member = self.iris.org(row["organisation"]), self.iris.org(row["member"])
        self.add(membership, RDF.type, ORG.Membership)
        self.add(membership, ORG.organization, URIRef(organisation))
        self.add(membership, ORG.member, URIRef(member))
        self.add(membership, ORG.role, self.term("role-" + row["role"]))
        self.add(membership, self.bik.verification, self.term("verification-" + verification_key(row["verification"])))
        self.add(membership, RDFS.label, _en(f"{row['member']} in {row['organisation']} ({row['role']})"))
        self.add(organisation, ORG.hasMember, URIRef(member))
        if row["note"]:
            self.add(membership, SKOS.editorialNote, _en(row["note"]))

    def map_initiative(self, row: dict) -> None:
        initiative = self.iris.initiative(row["key"])
        self.add(initiative, RDF.type, self.bik.Initiative)
        self.add(initiative, SKOS.prefLabel, _en(row["name"]))
        self.add(initiative, self.bik.initiativeKind, Literal(row["kind"]))
        if row["developed_by"]:
            self.add(initiative, self.bik.developedBy, URIRef(self.iris.org(row["developed_by"])))
        if row["year"]:
            self.add(initiative, DCTERMS.date, Literal(row["year"], datatype=XSD.gYear))
        for subject in filter(None, row["subjects"].split(";")):
            self.add(initiative, DCTERMS.subject, self.eurovoc(subject))
        if row["note"]:
            self.add(initiative, SKOS.note, _en(row["note"]))

    def map_designations(self, findings: list[tuple[Finding, URIRef]]) -> None:
        for row in self.ref.designations:
            designation = self.iris.designation(row["key"])
            org = URIRef(self.iris.org(row["organisation"]))
            role = self.term("role-" + row["role"])
            self.add(designation, RDF.type, self.bik.Designation)
            self.add(designation, self.bik.designee, org)
            self.add(designation, self.bik.designatedAs, role)
            self.add(designation, self.bik.underAct, URIRef(self.iris.act(row["under_act"])))
            self.add(designation, self.bik.designatedBy, URIRef(self.iris.act(row["designating_act"])))
            if row["cited_act"]:
                self.add(designation, self.bik.citedInProfile, URIRef(self.iris.act(row["cited_act"])))
            self.add(designation, self.bik.designationDate, _date(row["date"]))
            self.add(designation, self.bik.validFrom, _date(row["valid_from"]))
            self.add(designation, self.bik.verification,
                     self.term("verification-" + verification_key(row["verification"])))
            self.add(designation, RDFS.label, _en(f"{row['organisation'].upper()} designated as "
                                                  f"{row['role'].replace('-', ' ')}"))
            if row["note"]:
                self.add(designation, SKOS.editorialNote, _en(row["note"]))
            self.add(org, self.bik.hasRole, role)
            for finding, iri in findings:
                if (iri, self.bik.mentions, org) in self.g and "designated" in finding.text:
                    self.add(designation, self.bik.reportedIn, iri)

    # ------------------------------------------------------------------ profiles
    def map_structure_of_edition(self, year: int) -> URIRef:
        edition = URIRef(self.iris.edition(year))
        self.add(edition, RDF.type, self.bik.Edition)
        self.add(edition, RDF.type, QB.DataSet)
        self.add(edition, QB.structure, self.bik.ratingStructure)
        self.add(edition, self.bik.editionYear, Literal(str(year), datatype=XSD.gYear))
        self.add(edition, RDFS.label, _en(f"BIK+ Policy Monitor {year}"))
        for indicator in self.s.indicators:
            self.add(edition, self.bik.hasIndicator, URIRef(self.iris.indicator(indicator)))
        return edition

    def map_country(self, profile: Profile) -> tuple[str, URIRef]:
        code = self.ref.country_code(profile.country)
        if code is None:
            raise SourceError(profile.source, profile.country_line,
                              f"unknown country {profile.country!r}: not in data/reference/countries.csv")
        country = URIRef(self.iris.country(code))
        row = self.ref.country_row(code)
        self.add(country, RDF.type, self.bik.Country)
        self.add(country, SKOS.prefLabel, _en(row["name"]))
        self.add(country, SKOS.notation, Literal(code))
        if row["eu_authority"]:
            self.add(country, self.bik.euAuthority, URIRef(row["eu_authority"]))
            self.identifier_link(str(country), "eu-authority", row["verification"], row["eu_authority"])
        else:
            self.identifier_link(str(country), "eu-authority", "not found")
        return code, country

    def map_profile(self, profile: Profile, source: SourceInfo, ratings: list[Rating], rules: list[Rule]) -> None:
        code, country = self.map_country(profile)
        year = profile.edition
        edition = self.map_structure_of_edition(year)
        prof = URIRef(self.iris.profile(code, year))
        doc = URIRef(self.iris.source_document(code, year))
        name = self.g.value(country, SKOS.prefLabel)
        self.add(prof, RDF.type, self.bik.CountryProfile)
        self.add(prof, RDFS.label, _en(f"BIK+ Policy Monitor country profile: {name}, {year}"))
        self.add(prof, self.bik.country, country)
        self.add(prof, self.bik.edition, edition)
        self.add(prof, self.bik.editionYear, Literal(str(year), datatype=XSD.gYear))
        y, m = profile.data_collection
        self.add(prof, self.bik.dataCollectionDate, Literal(f"{y:04d}-{m:02d}", datatype=XSD.gYearMonth))
        self.add(prof, self.bik.sourceDocument, doc)
        if profile.summary:
            self.add(prof, DCTERMS.abstract, _en(profile.summary))
        self.add(doc, RDF.type, self.bik.SourceDocument)
        self.add(doc, DCTERMS.title, _en(f"BIK+ Policy Monitor country profile page: {name}, {year} (text as received)"))
        self.add(doc, self.bik.fileName, Literal(source.file_name))
        self.add(doc, self.bik.sha256, Literal(source.sha256))
        self.add(doc, self.bik.lineCount, Literal(profile.line_count, datatype=XSD.integer))
        self.add(doc, self.bik.copiesInSource, Literal(profile.copies, datatype=XSD.integer))
        self.add(doc, self.bik.lineStart, Literal(profile.start_line, datatype=XSD.integer))
        self.add(doc, self.bik.lineEnd, Literal(profile.end_line, datatype=XSD.integer))
        self.add(doc, DCTERMS.format, Literal("text/plain; charset=utf-8"))
        self.add(doc, DCAT.downloadURL, URIRef(self.iris.source_copy(source.file_name)))

        finding_iris = {f: self.map_finding(profile, code, prof, doc, f, rules) for f in profile.findings}
        for rating in ratings:
            self.map_rating(code, year, prof, edition, rating, finding_iris, name)
        self.findings.extend(finding_iris.items())

    def map_finding(self, profile: Profile, code: str, prof: URIRef, doc: URIRef, finding: Finding,
                    rules: list[Rule]) -> URIRef:
        iri = URIRef(self.iris.finding(code, profile.edition, finding.area, finding.position))
        area = self.s.areas[finding.area]
        self.add(iri, RDF.type, self.bik.Finding)
        self.add(iri, RDFS.label, _en(f"{area.label}, finding {finding.position}"))
        self.add(iri, self.bik.profile, prof)
        self.add(iri, self.bik.area, URIRef(self.iris.area(finding.area)))
        if finding.subheading:
            self.add(iri, self.bik.subHeading, URIRef(self.iris.subheading(finding.subheading)))
        self.add(iri, self.bik.position, Literal(finding.position, datatype=XSD.integer))
        self.add(iri, self.bik.text, _en(finding.text))
        self.add(iri, self.bik.textForm, self.term("form-" + finding.form))
        self.add(iri, self.bik.sourceDocument, doc)
        self.add(iri, self.bik.lineStart, Literal(finding.line, datatype=XSD.integer))
        self.add(iri, self.bik.lineEnd, Literal(finding.line, datatype=XSD.integer))
        selector = URIRef(self.iris.selector(str(iri)))
        self.add(iri, self.bik.selector, selector)
        self.add(selector, RDF.type, OA.TextPositionSelector)
        self.add(selector, OA.start, Literal(finding.char_start, datatype=XSD.integer))
        self.add(selector, OA.end, Literal(finding.char_end, datatype=XSD.integer))
        for rule in matching_rules(finding, rules, self.s):
            self.add(iri, self.bik.speaksTo, URIRef(self.iris.indicator(rule.indicator)))
        for pattern, target in self.aliases:
            if pattern.search(finding.text):
                self.add(iri, self.bik.mentions, target)
        for pattern, subject in self.eurovoc_rules:
            if pattern.search(finding.text):
                self.add(iri, DCTERMS.subject, self.eurovoc(subject))
        return iri

    def map_rule(self, rule: Rule) -> URIRef:
        iri = URIRef(self.iris.codebook_rule(rule.key))
        indicator = self.s.indicators[rule.indicator]
        self.add(iri, RDF.type, self.bik.CodebookRule)
        self.add(iri, RDFS.label, _en(f"codebook rule {rule.key}"))
        self.add(iri, self.bik.indicator, URIRef(self.iris.indicator(rule.indicator)))
        self.add(iri, self.bik.pattern, Literal(rule.pattern.pattern))
        if rule.level:
            self.add(iri, self.bik.level, URIRef(self.iris.level(indicator.scale, rule.level)))
            self.add(iri, self.bik.confidence, Literal(Decimal(str(rule.confidence)), datatype=XSD.decimal))
        self.add(iri, self.bik.evidenceKind, Literal(rule.evidence))
        self.add(iri, self.bik.evidenceNote, _en(rule.note))
        return iri

    def map_rating(self, code: str, year: int, prof: URIRef, edition: URIRef, rating: Rating,
                   findings: dict[Finding, URIRef], country_name) -> None:
        iri = URIRef(self.iris.rating(code, year, rating.indicator))
        indicator = self.s.indicators[rating.indicator]
        self.add(iri, RDF.type, self.bik.Rating)
        self.add(iri, RDF.type, QB.Observation)
        self.add(iri, QB.dataSet, edition)
        self.add(iri, self.bik.profile, prof)
        self.add(iri, self.bik.indicator, URIRef(self.iris.indicator(rating.indicator)))
        how = {"table": "official, read from a reliable table", "narrative": "derived from the narrative, not official",
               "unknown": "unknown"}[rating.basis]
        self.add(iri, RDFS.label, _en(f"{country_name} {year}: {indicator.label} ({how})"))
        if rating.level:
            self.add(iri, self.bik.level, URIRef(self.iris.level(indicator.scale, rating.level)))
        self.add(iri, self.bik.basis, self.term("basis-" + rating.basis))
        self.add(iri, self.bik.isOfficial, Literal(rating.basis == "table"))
        self.add(iri, self.bik.confidence, Literal(Decimal(str(rating.confidence)), datatype=XSD.decimal))
        for finding in rating.evidence:
            self.add(iri, self.bik.evidence, findings[finding])
        if rating.rule:
            self.add(iri, self.bik.derivedByRule, self.map_rule(rating.rule))
        if rating.table_line:
            self.add(iri, self.bik.tableLine, Literal(rating.table_line, datatype=XSD.integer))
        self.add(iri, SKOS.note, _en(rating.note))


def check_unique_profiles(profiles: list[tuple[Profile, SourceInfo, list[Rating]]]) -> None:
    """One profile per country and edition (a release mapped in chunks checks all of them first)."""
    seen = set()
    for profile, _source, _ratings in profiles:
        key = (profile.country, profile.edition)
        if key in seen:
            raise SourceError(profile.source, profile.country_line,
                              f"a second profile for {profile.country} {profile.edition}")
        seen.add(key)


def map_release(profiles: list[tuple[Profile, SourceInfo, list[Rating]]], rules: list[Rule],
                structure: MonitorStructure, reference: Reference, iris: Iris) -> Graph:
    """The data graph of a release (without the ontology, which the caller adds)."""
    graph = Graph()
    for prefix, namespace in prefixes(iris).items():
        graph.bind(prefix, namespace)
    mapper = _Mapper(graph, iris, structure, reference)
    mapper.map_reference()
    check_unique_profiles(profiles)
    for profile, source, ratings in profiles:
        mapper.map_profile(profile, source, ratings, rules)
    mapper.map_designations(mapper.findings)
    return graph
