"""The competency questions as named SPARQL queries (written against the default base)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..iris import rebase

QUERY_DIR = Path(__file__).parent


@dataclass(frozen=True)
class NamedQuery:
    name: str
    question: str
    sparql: str


@lru_cache(maxsize=8)  # the files ship with the package: read them once per base
def competency_queries(base: str) -> tuple[NamedQuery, ...]:
    queries = []
    for path in sorted(QUERY_DIR.glob("*.rq")):
        text = rebase(path.read_text(encoding="utf-8"), base)
        header = []
        for line in text.splitlines():  # the question is the leading comment block
            if not line.startswith("#"):
                break
            header.append(line[1:].strip())
        question = " ".join(header)
        queries.append(NamedQuery(path.stem, question, text))
    return tuple(queries)
