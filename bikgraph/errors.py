"""Errors users see: each names the file and, where it can, the line."""

from __future__ import annotations


class BikgraphError(Exception):
    """Base class: an expected failure with a message meant for a person."""


class SourceError(BikgraphError):
    """Input that cannot be read or is not a valid profile or reference file."""

    def __init__(self, source: str, line: int | None, message: str):
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class ValidationFailed(BikgraphError):
    """The graph violates the SHACL shapes: nothing is published."""

    def __init__(self, results: list, report_text: str):
        self.results = results
        self.report_text = report_text
        super().__init__(f"SHACL validation failed with {len(results)} violation(s)")
