"""Narrative-derived ratings: the codebook turns finding sentences into levels.

A rule says: a finding in the indicator's area whose text matches this pattern speaks to the
indicator and, where the rule has a level, points to that level with a confidence. Pure
functions; the CSV is read by `load_codebook` at the edge.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError
from .profile import Finding, Profile
from .structure import MonitorStructure

# How a rating was obtained (local names of the bik:RatingBasis concepts).
TABLE, NARRATIVE, UNKNOWN = "table", "narrative", "unknown"


@dataclass(frozen=True)
class Rule:
    key: str
    indicator: str
    pattern: re.Pattern
    level: str | None
    confidence: float | None
    evidence: str  # confirmed, inferred, wording, wording-absence, topic
    note: str


@dataclass(frozen=True)
class Rating:
    indicator: str
    level: str | None
    basis: str
    confidence: float
    evidence: tuple[Finding, ...]  # findings the level rests on
    rule: Rule | None
    table_line: int | None
    note: str


def load_codebook(path: Path, structure: MonitorStructure) -> list[Rule]:
    rules = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line_no, row in enumerate(csv.DictReader(handle), start=2):
            try:
                indicator = structure.indicators[row["indicator"]]
                scale = structure.scales[indicator.scale]
                level = row["level"] or None
                if level is not None and level not in {lv.key for lv in scale.levels}:
                    raise ValueError(f"level {level!r} is not on the scale of {indicator.key}")
                confidence = float(row["confidence"]) if row["confidence"] else None
                if (level is None) != (confidence is None):
                    raise ValueError("a rule has both a level and a confidence, or neither")
                if confidence is not None and not 0 <= confidence <= 1:
                    raise ValueError(f"confidence {confidence} is outside [0, 1]")
                rules.append(Rule(row["rule"], indicator.key, re.compile(row["pattern"], re.IGNORECASE),
                                  level, confidence, row["evidence"], row["note"]))
            except KeyError as exc:
                raise SourceError(str(path), line_no, f"unknown indicator or missing column {exc}") from None
            except (ValueError, re.error) as exc:
                raise SourceError(str(path), line_no, str(exc)) from None
    return rules


def matching_rules(finding: Finding, rules: list[Rule], structure: MonitorStructure) -> list[Rule]:
    """Rules whose indicator sits in the finding's area and whose pattern its text matches."""
    return [r for r in rules
            if structure.indicators[r.indicator].area == finding.area and r.pattern.search(finding.text)]


def rate_profile(profile: Profile, rules: list[Rule], structure: MonitorStructure) -> list[Rating]:
    """One rating per indicator: from a reliable table, else from the narrative, else unknown."""
    matches = {f: matching_rules(f, rules, structure) for f in profile.findings}
    ratings = []
    for indicator in sorted(structure.indicators.values(), key=lambda i: (structure.areas[i.area].order, i.order)):
        row = next(r for r in profile.table_of(indicator.area).rows if r.indicator == indicator.key)
        speaking = [(f, rule) for f, rs in matches.items() for rule in rs if rule.indicator == indicator.key]
        if row.level is not None:
            ratings.append(Rating(indicator.key, row.level, TABLE, 1.0, tuple(f for f, _ in speaking),
                                  None, row.line, "Read from a table whose column positions survived."))
            continue
        levelled = [(f, rule) for f, rule in speaking if rule.level is not None]
        if not levelled:
            ratings.append(Rating(indicator.key, None, UNKNOWN, 0.0, tuple(f for f, _ in speaking), None,
                                  row.line, "No reliable table and no codebook sentence gives the level."))
            continue
        finding, rule = max(levelled, key=lambda fr: fr[1].confidence)
        levels = {r.level for _, r in levelled}
        note = rule.note
        confidence = rule.confidence
        if len(levels) > 1:
            # Sentences disagree: keep the strongest, halve the confidence and say so.
            confidence = round(confidence / 2, 2)
            note += " Other sentences point to other levels: " + ", ".join(sorted(levels - {rule.level})) + "."
        ratings.append(Rating(indicator.key, rule.level, NARRATIVE, confidence,
                              tuple(f for f, r in levelled if r.level == rule.level), rule, row.line, note))
    return ratings
