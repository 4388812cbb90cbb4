"""The monitor's structure (dimensions, areas, sub-headings, indicators, scales).

The ontology is its single source: `load_structure` reads it from the ontology graph, and the
parser and mapping receive the resulting plain objects.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, SKOS


def normalise_label(text: str) -> str:
    """Compare labels as a reader would: case, quotes, dashes and spacing do not matter."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass(frozen=True)
class Level:
    key: str
    label: str
    order: int


@dataclass(frozen=True)
class Scale:
    key: str
    label: str
    levels: tuple[Level, ...]

    def level_for_column(self, column_label: str) -> Level | None:
        wanted = normalise_label(column_label)
        return next((lv for lv in self.levels if normalise_label(lv.label) == wanted), None)

    @property
    def top(self) -> Level:
        return min(self.levels, key=lambda lv: lv.order)


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    alt_labels: tuple[str, ...]
    area: str
    scale: str
    order: int


@dataclass(frozen=True)
class SubHeading:
    key: str
    label: str
    area: str
    order: int


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    alt_labels: tuple[str, ...]
    dimension: str
    order: int


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    order: int


@dataclass
class MonitorStructure:
    dimensions: dict[str, Dimension]
    areas: dict[str, Area]
    subheadings: dict[str, SubHeading]
    indicators: dict[str, Indicator]
    scales: dict[str, Scale]
    _by_label: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for kind, items in (("dimension", self.dimensions), ("area", self.areas),
                            ("subheading", self.subheadings), ("indicator", self.indicators)):
            for item in items.values():
                for label in (item.label, *getattr(item, "alt_labels", ())):
                    self._by_label[(kind, normalise_label(label))] = item

    def find(self, kind: str, label: str):
        """The dimension/area/subheading/indicator whose label (or alt label) this is."""
        return self._by_label.get((kind, normalise_label(label)))

    def indicators_of(self, area: str) -> list[Indicator]:
        return sorted((i for i in self.indicators.values() if i.area == area), key=lambda i: i.order)

    def areas_of(self, dimension: str) -> list[Area]:
        return sorted((a for a in self.areas.values() if a.dimension == dimension), key=lambda a: a.order)

    def scale_of_area(self, area: str) -> Scale:
        scales = {i.scale for i in self.indicators_of(area)}
        (scale,) = scales
        return self.scales[scale]


def _last_segment(iri: URIRef) -> str:
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def load_structure(ontology: Graph, base: str) -> MonitorStructure:
    """Read the monitor's structure from the (rebased) ontology graph."""
    bik = Namespace(base + "def/")

    def label(node) -> str:
        return str(ontology.value(node, SKOS.prefLabel))

    def alts(node) -> tuple[str, ...]:
        return tuple(sorted(str(a) for a in ontology.objects(node, SKOS.altLabel)))

    def order(node) -> int:
        return int(ontology.value(node, bik.order))

    dimensions = {_last_segment(d): Dimension(_last_segment(d), label(d), order(d))
                  for d in ontology.subjects(RDF.type, bik.Dimension)}
    areas = {_last_segment(a): Area(_last_segment(a), label(a), alts(a),
                                    _last_segment(ontology.value(a, bik.dimension)), order(a))
             for a in ontology.subjects(RDF.type, bik.Area)}
    subheadings = {_last_segment(s): SubHeading(_last_segment(s), label(s),
                                                _last_segment(ontology.value(s, bik.area)), order(s))
                   for s in ontology.subjects(RDF.type, bik.SubHeading)}
    indicators = {_last_segment(i): Indicator(_last_segment(i), label(i), alts(i),
                                              _last_segment(ontology.value(i, bik.area)),
                                              _last_segment(ontology.value(i, bik.scale)), order(i))
                  for i in ontology.subjects(RDF.type, bik.Indicator)}
    scales = {}
    for s in ontology.subjects(RDF.type, bik.RatingScale):
        levels = tuple(sorted((Level(_last_segment(lv), label(lv), order(lv))
                               for lv in ontology.subjects(SKOS.inScheme, s)), key=lambda lv: lv.order))
        scales[_last_segment(s)] = Scale(_last_segment(s), label(s), levels)
    return MonitorStructure(dimensions, areas, subheadings, indicators, scales)
