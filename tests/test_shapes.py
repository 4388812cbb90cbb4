"""Each SHACL shape, fed a minimal graph that breaks it, reports the violation."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, SH

from bikgraph.iris import DEFAULT_BASE
from bikgraph.settings import Settings
from bikgraph.validation import load_ontology, load_turtle_dir, validate_graph

HEADER = """
@prefix bik:  <https://data.example.eu/bik/def/> .
@prefix id:   <https://data.example.eu/bik/id/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix org:  <http://www.w3.org/ns/org#> .
@prefix eli:  <http://data.europa.eu/eli/ontology#> .
@prefix oa:   <http://www.w3.org/ns/oa#> .
@prefix qb:   <http://purl.org/linked-data/cube#> .
@prefix dct:  <http://purl.org/dc/terms/> .
"""
IND = "<https://data.example.eu/bik/id/indicator/stakeholder-forum>"
IND2 = "<https://data.example.eu/bik/id/indicator/public-consultation>"
LEVEL_HIGH = "<https://data.example.eu/bik/id/scale/bik-policies/high>"
LEVEL_IN_PLACE = "<https://data.example.eu/bik/id/scale/bik-actions/in-place>"

PROFILE = f"""
id:edition a bik:Edition ; bik:editionYear "2024"^^xsd:gYear ; qb:structure bik:ratingStructure ;
    bik:hasIndicator {IND} , {IND2} .
id:country a bik:Country ; skos:prefLabel "Belgium"@en ; skos:notation "BE" .
id:source a bik:SourceDocument ; bik:sha256 "{'a' * 64}" ; bik:fileName "x.txt" ; dct:title "x"@en ; bik:copiesInSource 1 .
id:profile a bik:CountryProfile ; bik:country id:country ; bik:edition id:edition ;
    bik:editionYear "2024"^^xsd:gYear ; bik:dataCollectionDate "2024-02"^^xsd:gYearMonth ; bik:sourceDocument id:source .
id:finding a bik:Finding ; bik:text "A sentence."@en ; bik:profile id:profile ; bik:area <https://data.example.eu/bik/id/area/stakeholder-involvement> ;
    bik:textForm bik:form-bullet ; bik:sourceDocument id:source ; bik:lineStart 3 ; bik:lineEnd 3 ; bik:position 1 ;
    bik:selector id:sel .
id:sel a oa:TextPositionSelector ; oa:start 10 ; oa:end 21 .
id:rule a bik:CodebookRule ; bik:pattern "x" ; bik:indicator {IND} ; bik:evidenceNote "n"@en .
"""


def rating(name: str, indicator: str = IND, extra: str = "", level: str = LEVEL_HIGH,
           basis: str = "bik:basis-narrative", confidence: str = "0.5", official: str = "false") -> str:
    level_part = f"bik:level {level} ;" if level else ""
    return f"""id:{name} a bik:Rating ; bik:profile id:profile ; bik:indicator {indicator} ; {level_part}
        bik:basis {basis} ; bik:confidence {confidence} ; bik:isOfficial {official} ; qb:dataSet id:edition ;
        bik:evidence id:finding ; bik:derivedByRule id:rule {extra} ."""


VALID = PROFILE + rating("r1") + rating("r2", IND2)

ORG = 'id:org a org:Organization ; skos:prefLabel "Org"@en ; bik:levelOfGovernment bik:level-federal .'
ACT = 'id:act a eli:LegalResource ; eli:title "An act"@en ; bik:levelOfGovernment bik:level-federal .'
DESIGNATION = ('id:d a bik:Designation ; bik:designee id:org ; bik:designatedAs bik:role-dsa-competent-authority ; '
               'bik:verification bik:verification-V1 ; ')

CASES = [
    # (case, node shape expected to fire, focus, message fragment, graph)
    ("profile misses a rating", "CountryProfileShape", "id/profile", "exactly one rating for each indicator",
     PROFILE + rating("r1")),
    ("profile has two ratings of one indicator", "CountryProfileShape", "id/profile", "exactly one rating",
     VALID + rating("r3")),
    ("level not on the indicator's scale", "RatingShape", "id/r1", "is not on the scale",
     PROFILE + rating("r1", level=LEVEL_IN_PLACE) + rating("r2", IND2)),
    ("derived rating without evidence", "RatingShape", "id/r1", "needs a level, at least one finding",
     PROFILE + rating("r1").replace("bik:evidence id:finding ;", "") + rating("r2", IND2)),
    ("confidence above 1", "RatingShape", "id/r1", "a decimal in [0, 1]",
     PROFILE + rating("r1", confidence="1.5") + rating("r2", IND2)),
    ("derived rating labelled official", "RatingShape", "id/r1", "Only a rating read from a reliable table may be official",
     PROFILE + rating("r1", official="true") + rating("r2", IND2)),
    ("unknown rating with a level", "RatingShape", "id/r1", "An unknown rating has no level",
     PROFILE + rating("r1", basis="bik:basis-unknown", confidence="0") + rating("r2", IND2)),
    ("country code not ISO alpha-2", "CountryShape", "id/country", "ISO 3166-1 alpha-2",
     VALID.replace('skos:notation "BE"', 'skos:notation "BEL"')),
    ("edition without year", "EditionShape", "id/edition", "",
     VALID.replace('id:edition a bik:Edition ; bik:editionYear "2024"^^xsd:gYear ;', "id:edition a bik:Edition ;")),
    ("source document with a bad digest", "SourceDocumentShape", "id/source", "",
     VALID.replace("a" * 64, "not-a-digest")),
    ("finding without text", "FindingShape", "id/finding", "",
     VALID.replace('bik:text "A sentence."@en ;', "")),
    ("selector that ends before it starts", "TextPositionSelectorShape", "id/sel", "",
     VALID.replace("oa:start 10 ; oa:end 21", "oa:start 30 ; oa:end 21")),
    ("codebook rule without pattern", "CodebookRuleShape", "id/rule", "",
     VALID.replace('bik:pattern "x" ;', "")),
    ("organisation without a level", "OrganisationShape", "id/org", "one level of government",
     'id:org a org:Organization ; skos:prefLabel "Org"@en .'),
    ("organisation without a name", "OrganisationShape", "id/org", "has a name",
     "id:org a org:Organization ; bik:levelOfGovernment bik:level-federal ."),
    ("designation without an act", "DesignationShape", "id/d", "names the act",
     ORG + DESIGNATION + 'bik:designationDate "2024-04-21"^^xsd:date .'),
    ("designation without a date", "DesignationShape", "id/d", "has a date",
     ORG + ACT + DESIGNATION + "bik:designatedBy id:act ."),
    ("membership without a member", "MembershipShape", "id/m", "",
     ORG + "id:m a org:Membership ; org:organization id:org ; org:role bik:role-sic-partner ; bik:verification bik:verification-V1 ."),
    ("ELI that does not follow the ELI pattern", "LegalResourceShape", "id/act", "",
     ACT + " id:act bik:eli <http://example.org/eli/reg/2022/2065/oj> ."),
    ("ELI link with a target off the pattern", "IdentifierLinkShape", "id/link", "ELI link's target must follow",
     "id:link a bik:IdentifierLink ; bik:scheme bik:scheme-eli ; bik:verification bik:verification-P ; "
     "bik:target <http://www.ejustice.just.fgov.be/eli/loi/2024/04/21/123/moniteur> ."),
    ("identifier link without verification", "IdentifierLinkShape", "id/link", "says how well it was verified",
     "id:link a bik:IdentifierLink ; bik:scheme bik:scheme-celex ; skos:notation \"32022R2065\" ."),
    ("'not found' link with a target", "IdentifierLinkShape", "id/link", "not found",
     "id:link a bik:IdentifierLink ; bik:scheme bik:scheme-eli ; bik:verification bik:verification-not-found ; "
     "bik:target <http://data.europa.eu/eli/reg/2022/2065/oj> ."),
    ("initiative without a kind", "InitiativeShape", "id/i", "",
     'id:i a bik:Initiative ; skos:prefLabel "x"@en .'),
    ("resource outside the base", "MintedIriShape", "http://example.org/x", "IRI under the configured base",
     'HEADER <http://example.org/x> a bik:Initiative ; skos:prefLabel "x"@en ; bik:initiativeKind "k" .'),
    ("indicator in no area", "IndicatorShape", "id/indicator/x", "exactly one area",
     'id:indicator\\/x a bik:Indicator ; skos:prefLabel "x"@en ; skos:definition "d"@en ; '
     'bik:scale <https://data.example.eu/bik/id/scale/bik-actions> .'),
    ("area without dimension", "AreaShape", "id/area/x", "",
     'id:area\\/x a bik:Area ; skos:prefLabel "x"@en ; bik:order 1 .'),
    ("dimension without order", "DimensionShape", "id/dimension/x", "",
     'id:dimension\\/x a bik:Dimension ; skos:prefLabel "x"@en .'),
    ("sub-heading without area", "SubHeadingShape", "id/subheading/x", "",
     'id:subheading\\/x a bik:SubHeading ; skos:prefLabel "x"@en .'),
    ("scale with one level", "RatingScaleShape", "id/scale/x", "at least two levels",
     'id:scale\\/x a bik:RatingScale ; skos:prefLabel "x"@en . id:scale\\/x\\/a a bik:RatingLevel ; '
     'skos:prefLabel "a"@en ; skos:inScheme id:scale\\/x ; bik:order 1 .'),
    ("level in no scale", "RatingLevelShape", "id/scale/y/a", "",
     'id:scale\\/y\\/a a bik:RatingLevel ; skos:prefLabel "a"@en ; bik:order 1 .'),
    ("controlled value outside any scheme", "ControlledValueShape", "id/form", "",
     'id:form a bik:TextForm ; skos:prefLabel "x"@en .'),
]


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology(Settings().ontology_path, DEFAULT_BASE)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_turtle_dir(Settings().shapes_dir, DEFAULT_BASE)


def node_shape_of(shapes: Graph, shape) -> str:
    """The named node shape a result comes from (a property shape's owner)."""
    owner = shapes.value(None, SH.property, shape)
    if owner is None:
        owner = shapes.value(None, SH.sparql, shape)
    return str(owner if owner is not None else shape).rsplit("#", 1)[-1]


def violations(ontology: Graph, shapes: Graph, turtle: str):
    data = Graph().parse(data=HEADER + turtle.replace("HEADER", ""), format="turtle")
    report = validate_graph(data + ontology, shapes)
    found = []
    for node in report.graph.subjects(RDF.type, SH.ValidationResult):
        found.append((node_shape_of(shapes, report.graph.value(node, SH.sourceShape)),
                      str(report.graph.value(node, SH.focusNode)),
                      str(report.graph.value(node, SH.resultMessage))))
    return found


def test_minimal_valid_profile_conforms(ontology, shapes):
    assert violations(ontology, shapes, VALID) == []


@pytest.mark.parametrize("case,shape,focus,message,turtle", CASES, ids=[c[0] for c in CASES])
def test_shape_reports_violation(ontology, shapes, case, shape, focus, message, turtle):
    found = violations(ontology, shapes, turtle)
    expected_focus = focus if focus.startswith("http") else DEFAULT_BASE + "id/" + focus.removeprefix("id/")
    matching = [f for f in found if f[0] == shape and f[1] == expected_focus and message in f[2]]
    assert matching, f"expected a {shape} violation on {expected_focus} saying {message!r}; got {found}"


def test_every_shape_has_a_case(shapes):
    named = {str(s).rsplit("#", 1)[-1] for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}
    named.discard("EliIri")  # used through LegalResourceShape's sh:node, tested there
    assert named == {c[1] for c in CASES}


def test_every_class_of_the_ontology_has_a_shape(ontology, shapes):
    classes = set(ontology.subjects(RDF.type, OWL.Class))
    targeted = set(shapes.objects(None, SH.targetClass))
    assert len(classes) >= 20
    assert classes - targeted == set()


def test_every_term_has_an_english_label_and_definition(ontology):
    from rdflib.namespace import RDFS, SKOS
    ours = {s for s in ontology.subjects() if isinstance(s, URIRef) and str(s).startswith(DEFAULT_BASE)}
    assert len(ours) > 150
    missing = []
    for term in ours:
        labels = [o for p in (RDFS.label, SKOS.prefLabel) for o in ontology.objects(term, p) if o.language == "en"]
        definitions = [o for o in ontology.objects(term, SKOS.definition) if o.language == "en"]
        if not labels or not definitions:
            missing.append(str(term))
    assert missing == []
