"""The shape of a SPARQL query read from its text, without parsing or running it."""

from __future__ import annotations

import re

SOLUTIONS, BOOLEAN, GRAPH = "solutions", "boolean", "graph"

# Comments, IRIs, strings, variables and prefixed names are matched so they can be skipped.
_LONG_STRINGS = r'"""(?:[^"\\]|\\.|"(?!""))*"""' + "|" + r"'''(?:[^'\\]|\\.|'(?!''))*'''"
_COMMENT_OR_TOKEN = re.compile(_LONG_STRINGS + r"""|#[^\n]*|<[^>\s]*>|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[?$]\w+"""
                               r"""|[A-Za-z_][\w.-]*:[\w.:%-]*|:[\w.:%-]*|[A-Za-z_]+""")
_FORMS = {"SELECT": SOLUTIONS, "ASK": BOOLEAN, "CONSTRUCT": GRAPH, "DESCRIBE": GRAPH}
_UPDATES = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}


def keywords(query: str) -> list[str]:
    """Upper-cased bare words of the query, skipping comments, IRIs and string literals."""
    return [t.upper() for t in _COMMENT_OR_TOKEN.findall(query) if (t[0].isalpha() or t[0] == "_") and ":" not in t]


def query_form(query: str) -> str | None:
    """'solutions', 'boolean', 'graph', 'update', or None when it cannot tell (the parser will)."""
    for word in keywords(query):
        if word in _FORMS:
            return _FORMS[word]
        if word in _UPDATES:
            return "update"
        if word not in ("PREFIX", "BASE"):
            return None
    return None


def uses_service(query: str) -> bool:
    return "SERVICE" in keywords(query)
