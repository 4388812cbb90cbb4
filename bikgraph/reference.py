"""Curated reference data (data/reference/*.csv) as plain objects. Read once, at the edge."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError

VERIFICATION_KEYS = {"V1": "V1", "V2": "V2", "P": "P", "not found": "not-found", "profile": "profile"}


@dataclass(frozen=True)
class Reference:
    acts: list[dict]
    organisations: list[dict]
    memberships: list[dict]
    designations: list[dict]
    initiatives: list[dict]
    vocabularies: list[dict]
    eurovoc_rules: list[dict]
    countries: list[dict]

    def country_code(self, name: str) -> str | None:
        return next((c["code"] for c in self.countries if c["name"].casefold() == name.casefold()), None)

    def country_row(self, code: str) -> dict:
        return next(c for c in self.countries if c["code"] == code)

    def vocabulary(self, vocabulary: str, concept: str) -> dict:
        return next(v for v in self.vocabularies if v["vocabulary"] == vocabulary and v["concept"] == concept)

    def eurovoc(self, label: str) -> dict:
        """A EuroVoc row by its concept name, with or without its '(altLabel: ...)' part."""
        row = next((v for v in self.vocabularies if v["vocabulary"] == "eurovoc"
                    and label in (v["concept"], eurovoc_name(v["concept"]))), None)
        if row is None:
            raise SourceError("data/reference/eu-vocabularies.csv", None, f"EuroVoc concept {label!r} is not listed")
        return row


def eurovoc_name(concept: str) -> str:
    """'digital literacy (altLabel: media literacy)' -> 'digital literacy'."""
    return concept.split(" (altLabel")[0]


def verification_key(text: str) -> str:
    """'V1 (release 2021-06-04)' -> 'V1'; the level is the text's first token or phrase."""
    text = text.strip()
    for label, key in VERIFICATION_KEYS.items():
        if text == label or text.startswith(label + " "):
            return key
    raise ValueError(f"unknown verification level {text!r}")


def _read(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise SourceError(str(path), None, f"cannot read reference file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise SourceError(str(path), None, f"malformed UTF-8 in reference file: {exc.reason}") from None
    for line_no, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()):
            raise SourceError(str(path), line_no, "row does not have the header's number of columns")
    return rows


def load_reference(directory: Path) -> Reference:
    return Reference(
        acts=_read(directory / "legal-acts.csv"),
        organisations=_read(directory / "organisations.csv"),
        memberships=_read(directory / "memberships.csv"),
        designations=_read(directory / "designations.csv"),
        initiatives=_read(directory / "initiatives.csv"),
        vocabularies=_read(directory / "eu-vocabularies.csv"),
        eurovoc_rules=_read(directory / "eurovoc-rules.csv"),
        countries=_read(directory / "countries.csv"),
    )
