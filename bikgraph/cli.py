"""Command line: `bikgraph build | validate | query | serve`.

Every expected failure prints one readable message (file and line where known) and exits
non-zero; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from .errors import BikgraphError, SourceError, ValidationFailed
from .iris import DEFAULT_BASE, check_base
from .settings import PROJECT_DIR, Settings

RDF_FORMATS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld", ".rdf": "xml",
               ".xml": "xml", ".nq": "nquads", ".trig": "trig", ".n3": "n3"}


def _settings(args) -> Settings:
    return Settings(base=args.base, releases_dir=Path(args.out).resolve(), store_url=args.store,
                    project_dir=Path(args.project).resolve(),
                    sources=tuple(Path(s) for s in getattr(args, "source", None) or ()))


def cmd_build(args) -> int:
    from .release import build_release
    build_release(_settings(args))
    return 0


def cmd_validate(args) -> int:
    from rdflib import Graph

    from .validation import load_ontology, load_turtle_dir, validate_graph
    settings = Settings(base=args.base)
    graph = Graph()
    for name in args.files:
        path = Path(name)
        fmt = RDF_FORMATS.get("".join(path.suffixes[-1:]).lower())
        if fmt is None:
            raise SourceError(name, None, "unknown RDF file extension (use .ttl, .nt, .jsonld, .rdf, .nq, .trig)")
        try:
            graph.parse(path, format=fmt)
        except OSError as exc:
            raise SourceError(name, None, f"cannot read file: {exc.strerror or exc}") from None
        except Exception as exc:  # rdflib's parsers raise many types; all mean "not valid RDF"
            raise SourceError(name, None, f"not valid {fmt}: {exc}") from None
    if not args.no_ontology:
        graph += load_ontology(settings.ontology_path, settings.base)
    report = validate_graph(graph, load_turtle_dir(settings.shapes_dir, settings.base))
    for result in report.results:
        print(f"{result.focus}\t{result.path or '-'}\t{result.message}\t{result.severity}")
    violations = len(report.violations)
    print(f"{violations} violation(s), {len(report.results) - violations} other result(s)", file=sys.stderr)
    return 1 if violations else 0


def cmd_query(args) -> int:
    from .store import QueryError, open_current_store, run_query
    store, release = open_current_store(Path(args.out).resolve())
    try:
        media_type, body = run_query(store, args.sparql, args.format)
    except QueryError as exc:
        raise BikgraphError(f"query error: {exc}") from None
    sys.stdout.buffer.write(body)
    if not body.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    return 0


def cmd_serve(args) -> int:
    from .web.server import serve
    settings = replace(_settings(args), host=args.host, port=args.port, query_timeout_s=args.query_timeout,
                       result_cap=args.result_cap, max_request_bytes=args.max_request_bytes,
                       query_workers=args.query_workers, federation_allowed=args.allow_federation,
                       workers=args.workers, document_cache_bytes=args.document_cache_mb * 1024 * 1024)
    return serve(settings)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="bikgraph", description="Publish the BIK+ Policy Monitor as linked data.")
    top.add_argument("--out", default=str(PROJECT_DIR / "releases"),
                     help="releases folder (default: %(default)s)")
    top.add_argument("--project", default=str(PROJECT_DIR), metavar="DIR",
                     help="folder holding ontology/, shapes/ and data/ (default: %(default)s)")
    top.add_argument("--store", default=os.environ.get("BIKGRAPH_STORE") or None, metavar="URL",
                     help="publish to and serve from this SPARQL 1.1 store (an `oxigraph serve` root such as "
                          "http://127.0.0.1:7878) instead of the embedded store; also $BIKGRAPH_STORE")
    sub = top.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="parse, map, validate and publish a release")
    build.add_argument("--base", default=DEFAULT_BASE, help="IRI base of the data (default: %(default)s)")
    build.add_argument("--out", default=argparse.SUPPRESS, help="releases folder")
    build.add_argument("--store", default=argparse.SUPPRESS, metavar="URL", help="see bikgraph --help")
    build.add_argument("--source", nargs="*", help="profile files (default: data/sources/*.txt)")
    build.set_defaults(func=cmd_build)

    validate = sub.add_parser("validate", help="check RDF files against the shapes")
    validate.add_argument("files", nargs="+")
    validate.add_argument("--base", default=DEFAULT_BASE)
    validate.add_argument("--no-ontology", action="store_true", help="do not add the ontology to the data")
    validate.set_defaults(func=cmd_validate)

    query = sub.add_parser("query", help="answer a SPARQL query from the current release")
    query.add_argument("sparql")
    query.add_argument("--format", default="tsv", choices=["tsv", "csv", "json", "xml", "nt", "ttl"])
    query.add_argument("--out", default=argparse.SUPPRESS, help="releases folder")
    query.set_defaults(func=cmd_query)

    serve = sub.add_parser("serve", help="serve the current release (building one if none exists)")
    serve.add_argument("--base", default=DEFAULT_BASE)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    defaults = Settings()
    serve.add_argument("--query-timeout", type=float, default=defaults.query_timeout_s,
                       help="seconds before a query is stopped (default: %(default)s)")
    serve.add_argument("--result-cap", type=int, default=defaults.result_cap,
                       help="most results a query may return; more is an error (default: %(default)s)")
    serve.add_argument("--max-request-bytes", type=int, default=defaults.max_request_bytes,
                       help="largest request body or query string (default: %(default)s)")
    serve.add_argument("--query-workers", type=int, default=defaults.query_workers,
                       help="query worker processes (default: %(default)s)")
    serve.add_argument("--allow-federation", action="store_true",
                       help="allow SERVICE (federated queries): the server will fetch URLs users name")
    serve.add_argument("--workers", type=int, default=defaults.workers,
                       help="web server processes (default: %(default)s)")
    serve.add_argument("--document-cache-mb", type=int, default=defaults.document_cache_bytes // (1024 * 1024),
                       help="memory per process for rendered resource documents (default: %(default)s)")
    serve.add_argument("--out", default=argparse.SUPPRESS, help="releases folder")
    serve.add_argument("--store", default=argparse.SUPPRESS, metavar="URL", help="see bikgraph --help")
    serve.set_defaults(func=cmd_serve)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if hasattr(args, "base"):
        try:
            check_base(args.base)
        except ValueError as exc:
            print(f"bikgraph: {exc}", file=sys.stderr)
            return 2
    try:
        return args.func(args)
    except ValidationFailed as exc:
        for result in exc.results:
            print(f"{result.focus}\t{result.path or '-'}\t{result.message}\t{result.severity}", file=sys.stderr)
        print(f"bikgraph: {exc}; nothing was published", file=sys.stderr)
        return 1
    except BikgraphError as exc:
        print(f"bikgraph: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. the releases folder cannot be written; nothing was switched
        print(f"bikgraph: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
