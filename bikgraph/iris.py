"""The one place where bikgraph mints IRIs.

Every IRI is built from a stable, readable key under one configurable base: things under
{base}id/, documents about them under {base}doc/, terms under {base}def/. Keys never come from
list positions across a page or from hashes of prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_BASE = "https://data.example.eu/bik/"

_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_base(base: str) -> str:
    """Return the base if it is an absolute http(s) IRI ending in '/', else raise ValueError."""
    if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?/$", base):
        raise ValueError(f"IRI base must be an absolute http(s) IRI ending with '/': {base!r}")
    return base


def slug(text: str) -> str:
    """A stable lower-case key from a label: 'Children's rights' -> 'childrens-rights'."""
    text = text.lower().replace("’", "").replace("'", "").replace("+", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def turtle_regex(base: str) -> str:
    """The base as a regular expression, escaped as it stands inside a Turtle string."""
    return re.escape(base).replace("\\", "\\\\")


def rebase(text: str, base: str) -> str:
    """Rewrite Turtle written against the default base (ontology, shapes) to another base.

    Both plain IRIs and the base written as a regular expression (in sh:pattern) are rewritten.
    """
    if base == DEFAULT_BASE:
        return text
    return text.replace(turtle_regex(DEFAULT_BASE), turtle_regex(base)).replace(DEFAULT_BASE, base)


@dataclass(frozen=True)
class Iris:
    base: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        check_base(self.base)

    def _id(self, *segments: str) -> str:
        for s in segments:
            if not _SAFE_SEGMENT.match(s):
                raise ValueError(f"unsafe IRI segment {s!r}")
        return self.base + "id/" + "/".join(segments)

    @property
    def terms(self) -> str:
        return self.base + "def/"

    def term(self, name: str) -> str:
        return self.terms + name

    # the monitor's structure (declared in the ontology)
    def dimension(self, key: str) -> str:
        return self._id("dimension", key)

    def area(self, key: str) -> str:
        return self._id("area", key)

    def subheading(self, key: str) -> str:
        return self._id("subheading", key)

    def indicator(self, key: str) -> str:
        return self._id("indicator", key)

    def scale(self, key: str) -> str:
        return self._id("scale", key)

    def level(self, scale: str, key: str) -> str:
        return self._id("scale", scale, key)

    # profiles and what is read from them
    def country(self, code: str) -> str:
        return self._id("country", code)

    def edition(self, year: int) -> str:
        return self._id("edition", str(year))

    def profile(self, code: str, year: int) -> str:
        return self._id("profile", code, str(year))

    def source_document(self, code: str, year: int) -> str:
        return self._id("source", code, str(year))

    def rating(self, code: str, year: int, indicator: str) -> str:
        return self._id("rating", code, str(year), indicator)

    def finding(self, code: str, year: int, area: str, position: int) -> str:
        return self._id("finding", code, str(year), area, str(position))

    def selector(self, finding_iri: str) -> str:
        return finding_iri + "/position"

    def codebook_rule(self, rule: str) -> str:
        return self._id("codebook", rule)

    # reference data
    def org(self, key: str) -> str:
        return self._id("org", key)

    def membership(self, organisation: str, member: str) -> str:
        return self._id("membership", organisation, member)

    def designation(self, key: str) -> str:
        return self._id("designation", key)

    def act(self, key: str) -> str:
        return self._id("act", key)

    def initiative(self, key: str) -> str:
        return self._id("initiative", key)

    def identifier_link(self, owner_iri: str, scheme: str) -> str:
        return owner_iri + "/identifier/" + scheme

    # publication
    def dataset(self) -> str:
        return self._id("dataset")

    def distribution(self, key: str) -> str:
        return self._id("dataset", "distribution", key)

    def catalog(self) -> str:
        return self._id("catalog")

    def publisher(self) -> str:
        return self._id("publisher")

    def sparql_service(self) -> str:
        return self.base + "sparql"

    def download(self, file_name: str) -> str:
        return self.base + "dumps/" + file_name

    def source_copy(self, file_name: str) -> str:
        """Where a release publishes a source document's text exactly as received."""
        if not _SAFE_SEGMENT.match(file_name):
            raise ValueError(f"unsafe file name {file_name!r}")
        return self.base + "sources/" + file_name

    def metadata_graph(self) -> str:
        return self.base + "graph/metadata"

    def document(self, thing_iri: str) -> str:
        """The document about a thing: {base}id/x -> {base}doc/x."""
        prefix = self.base + "id/"
        if not thing_iri.startswith(prefix):
            raise ValueError(f"not one of our things: {thing_iri}")
        return self.base + "doc/" + thing_iri[len(prefix):]
