"""Read access to a release's pyoxigraph store (the embedded store)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph

from .errors import BikgraphError
from .published import Release, current_release

RESULT_FORMATS = {
    "json": pyoxigraph.QueryResultsFormat.JSON, "xml": pyoxigraph.QueryResultsFormat.XML,
    "csv": pyoxigraph.QueryResultsFormat.CSV, "tsv": pyoxigraph.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {"nt": pyoxigraph.RdfFormat.N_TRIPLES, "ttl": pyoxigraph.RdfFormat.TURTLE,
                 "tsv": pyoxigraph.RdfFormat.N_TRIPLES, "csv": pyoxigraph.RdfFormat.N_TRIPLES,
                 "json": pyoxigraph.RdfFormat.JSON_LD, "xml": pyoxigraph.RdfFormat.RDF_XML}


class QueryError(BikgraphError):
    """The query could not be parsed or evaluated."""


def open_current_store(releases_dir: Path) -> tuple[pyoxigraph.Store, Release]:
    release = current_release(releases_dir)
    if release is None:
        raise BikgraphError(f"no release in {releases_dir}: run 'bikgraph build' first")
    return pyoxigraph.Store.read_only(str(release.store_path)), release


def select(store: pyoxigraph.Store, query: str) -> list[dict]:
    """Run a SELECT; each row as {variable: value string, or None when unbound}."""
    return solution_rows(store.query(query))


def solution_rows(results) -> list[dict]:
    """SELECT solutions (from a store or parsed from a response) as {variable: value or None} rows."""
    names = [v.value for v in results.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in results]


def run_query(store: pyoxigraph.Store, sparql: str, fmt: str = "tsv") -> tuple[str, bytes]:
    """Evaluate a query; return (media type, serialized results)."""
    try:
        results = store.query(sparql)
    except SyntaxError as exc:
        raise QueryError(str(exc)) from None
    try:
        if isinstance(results, pyoxigraph.QueryTriples):
            rdf_format = GRAPH_FORMATS[fmt]
            return rdf_format.media_type, results.serialize(format=rdf_format)
        results_format = RESULT_FORMATS.get(fmt, pyoxigraph.QueryResultsFormat.TSV)
        return results_format.media_type, results.serialize(format=results_format)
    except OSError as exc:  # evaluation errors surface while results are consumed
        raise QueryError(str(exc)) from None
