"""Build a release: parse, map, validate, write store + dumps + description, switch atomically.

Layout of the releases folder:

    releases/
      current -> 20261127T201500Z-1a2b3c4d     (a symlink, replaced atomically)
      20261127T201500Z-1a2b3c4d/
        store/                 pyoxigraph store: data in the default graph,
                               the DCAT/VoID description in {base}graph/metadata
        dumps/bikgraph.{ttl,jsonld,nt}[.gz]
        context.jsonld         the JSON-LD context the .jsonld dump is compacted with
        dataset.ttl            DCAT-AP 3 / VoID description of the release
        validation-report.ttl  the SHACL report (and .txt)
        release.json           manifest
        SHA256SUMS             checksums of every file above, store excluded

A build writes everything into a hidden temporary folder first; only a complete, validated,
re-checked release is renamed into place and pointed to by `current`. A failed build removes
its temporary folder and leaves `current` as it was.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pyoxigraph
from rdflib import Graph

from . import catalog
from .codebook import load_codebook, rate_profile
from .errors import BikgraphError, SourceError, ValidationFailed
from .iris import Iris, rebase
from .mapping import SourceInfo, map_release, prefixes
from .profile import decode_source, parse_profile
from .reference import load_reference
from .settings import Settings
from .structure import load_structure
from .validation import load_dcat_ap_shapes, load_ontology, load_turtle_dir, validate_graph

DUMP_NAME = "bikgraph"
SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
DUMP_FORMATS = (  # (extension, rdflib format, media type, title)
    ("ttl", "turtle", "text/turtle", "Turtle"),
    ("jsonld", "json-ld", "application/ld+json", "JSON-LD (compacted with the published context)"),
    ("nt", "nt", "application/n-triples", "N-Triples"),
)

Progress = Callable[[str], None]


def stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Release:
    path: Path
    id: str
    manifest: dict

    @property
    def store_path(self) -> Path:
        return self.path / "store"

    @property
    def dumps_dir(self) -> Path:
        return self.path / "dumps"


def current_release(releases_dir: Path) -> Release | None:
    link = releases_dir / "current"
    if not link.is_symlink() and not link.exists():
        return None
    path = link.resolve()
    manifest_path = path / "release.json"
    if not manifest_path.is_file():
        return None
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return Release(path, manifest["id"], manifest)


class _Steps:
    """Numbered progress lines with timings, for the long steps of a build."""

    def __init__(self, total: int, progress: Progress):
        self.total, self.progress, self.n = total, progress, 0

    @contextmanager
    def step(self, what: str):
        self.n += 1
        started = time.perf_counter()
        self.progress(f"[{self.n}/{self.total}] {what} ...")
        yield
        self.progress(f"[{self.n}/{self.total}] {what}: done in {time.perf_counter() - started:.2f} s")


def read_source(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(str(path), None, f"cannot read profile: {exc.strerror or exc}") from None


def build_graph(settings: Settings, steps: _Steps) -> tuple[Graph, object, object, dict[str, bytes]]:
    """Parse, map and validate. Returns (data graph with ontology, reference, SHACL report, source texts)."""
    iris = Iris(settings.base)
    with steps.step("loading ontology, codebook and reference data"):
        ontology = load_ontology(settings.ontology_path, settings.base)
        structure = load_structure(ontology, settings.base)
        rules = load_codebook(settings.codebook_path, structure)
        reference = load_reference(settings.reference_dir)
    sources = settings.source_files()
    if not sources:
        raise SourceError(str(settings.project_dir / "data" / "sources"), None, "no profile (*.txt) to build from")
    with steps.step(f"parsing and rating {len(sources)} profile(s)"):
        profiles, texts = [], {}
        for path in sources:
            if not SAFE_FILE_NAME.match(path.name):
                raise SourceError(str(path), None, "a profile's file name may use only letters, digits, '.', '_' "
                                                   "and '-' (it becomes part of the source's download IRI)")
            if path.name in texts:
                raise SourceError(str(path), None, f"two profiles are named {path.name}")
            data = texts[path.name] = read_source(path)
            profile = parse_profile(decode_source(data, str(path)), structure, str(path))
            ratings = rate_profile(profile, rules, structure)
            profiles.append((profile, SourceInfo(path.name, hashlib.sha256(data).hexdigest()), ratings))
    with steps.step("mapping to RDF"):
        graph = map_release(profiles, rules, structure, reference, iris)
        graph += ontology
    with steps.step(f"validating {len(graph)} triples against the SHACL shapes"):
        report = validate_graph(graph, load_turtle_dir(settings.shapes_dir, settings.base))
        if report.violations:
            raise ValidationFailed(report.violations, report.text)
    return graph, reference, report, texts


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)  # mtime 0: same data, same bytes


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def jsonld_context(iris: Iris) -> dict:
    return {"@context": dict(sorted(prefixes(iris).items()))}


def load_store(path: Path, graph: Graph) -> tuple[pyoxigraph.Store, Graph]:
    """Load the validated graph into a new store; return it and its content as rdflib reads it.

    The dumps are written from the store's content, not from the rdflib graph: Oxigraph keeps
    literals in canonical form (xsd:decimal "0.0" becomes "0"), and a dump must hold exactly
    what the SPARQL endpoint answers from.
    """
    store = pyoxigraph.Store(str(path))
    store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    content = store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph())
    stored = Graph().parse(data=content, format="nt")
    if len(stored) != len(graph):
        raise BikgraphError(f"the store holds {len(stored)} triples, the validated graph {len(graph)}")
    return store, stored


def write_dumps(store: pyoxigraph.Store, stored: Graph, directory: Path, iris: Iris) -> tuple[bytes, list[catalog.DumpFile]]:
    """Write each dump (and its gzip) of the store's default graph; return the N-Triples and facts.

    Turtle and N-Triples come from Oxigraph's writer, which keeps the store's lexical forms
    (rdflib's Turtle writer turns "0"^^xsd:decimal into 0.0); JSON-LD comes from rdflib,
    compacted with the published context.
    """
    directory.mkdir(parents=True)
    files, ntriples = [], b""
    for extension, fmt, media_type, title in DUMP_FORMATS:
        if fmt == "nt":
            lines = store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph())
            data = ntriples = b"".join(sorted(lines.splitlines(keepends=True)))
        elif fmt == "turtle":
            data = store.dump(format=pyoxigraph.RdfFormat.TURTLE, from_graph=pyoxigraph.DefaultGraph(),
                              prefixes=prefixes(iris))
        else:
            data = stored.serialize(format="json-ld", context=jsonld_context(iris)["@context"],
                                    auto_compact=True, encoding="utf-8")
        for name, payload, compressed in ((f"{DUMP_NAME}.{extension}", data, False),
                                          (f"{DUMP_NAME}.{extension}.gz", _gzip(data), True)):
            _write(directory / name, payload)
            files.append(catalog.DumpFile(name, media_type, compressed, len(payload),
                                          hashlib.sha256(payload).hexdigest(),
                                          title + (", gzip-compressed" if compressed else "")))
    return ntriples, files


def describe(settings: Settings, graph: Graph, reference, dumps, release_id: str, created: datetime) -> Graph:
    iris = Iris(settings.base)
    vocabularies = sorted({str(ns) for prefix, ns in prefixes(iris).items() if prefix not in ("rdf", "rdfs", "xsd", "bikid")})
    description = catalog.describe_release(iris, reference, catalog.graph_statistics(graph), dumps, release_id,
                                           created, vocabularies)
    core, vocabulary_shapes, _repairs = load_dcat_ap_shapes(settings.dcat_ap_dir)
    # rdflib, not Oxigraph: the file keeps xsd:nonNegativeInteger, which DCAT-AP checks for.
    report = validate_graph(description, core, in_oxigraph=False)
    if report.violations:
        raise ValidationFailed(report.violations, "DCAT-AP 3.0.1: " + report.text)
    unexpected = catalog.unexpected_vocabulary_violations(validate_graph(description, vocabulary_shapes, in_oxigraph=False).results, iris)
    if unexpected:
        raise ValidationFailed(unexpected, "DCAT-AP 3.0.1 EU vocabularies: unexpected violations")
    return description


def unique_release_id(releases_dir: Path, created: datetime, ntriples: bytes) -> str:
    """Creation time and content digest; a suffix keeps two builds within one second apart."""
    base_id = f"{created:%Y%m%dT%H%M%SZ}-{hashlib.sha256(ntriples).hexdigest()[:8]}"
    release_id, n = base_id, 1
    while (releases_dir / release_id).exists():
        n += 1
        release_id = f"{base_id}-{n}"
    return release_id


@contextmanager
def _build_lock(releases_dir: Path):
    releases_dir.mkdir(parents=True, exist_ok=True)
    with (releases_dir / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BikgraphError(f"another build is running in {releases_dir}") from None
        yield


def switch_current(releases_dir: Path, release_dir: Path) -> None:
    """Point `current` at release_dir in one atomic rename."""
    tmp_link = releases_dir / ".current.tmp"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(release_dir.name)
    os.replace(tmp_link, releases_dir / "current")


def prune(releases_dir: Path, keep: int) -> None:
    current = (releases_dir / "current").resolve()
    releases = sorted(p for p in releases_dir.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and not p.is_symlink())
    for old in releases[:-keep] if keep > 0 else []:
        if old != current:
            shutil.rmtree(old, ignore_errors=True)


def build_release(settings: Settings, progress: Progress = stderr_progress) -> Release:
    """Build, validate and publish a release; raise BikgraphError and publish nothing on failure."""
    iris = Iris(settings.base)
    steps = _Steps(7, progress)
    releases_dir = settings.releases_dir
    with _build_lock(releases_dir):
        graph, reference, report, texts = build_graph(settings, steps)
        created = datetime.now(timezone.utc).replace(microsecond=0)
        tmp = Path(releases_dir / f".building-{os.getpid()}-{time.time_ns()}")
        try:
            tmp.mkdir(parents=True)
            with steps.step("loading the store and writing the dumps from it"):
                store, stored = load_store(tmp / "store", graph)
                ntriples, dumps = write_dumps(store, stored, tmp / "dumps", iris)
                release_id = unique_release_id(releases_dir, created, ntriples)
                _write(tmp / "context.jsonld", json.dumps(jsonld_context(iris), indent=2).encode())
                (tmp / "sources").mkdir()
                for name, data in texts.items():  # the very bytes that were parsed, for provenance
                    _write(tmp / "sources" / name, data)
            with steps.step("describing the release (DCAT-AP 3.0.1, VoID) and checking the description"):
                description = describe(settings, stored, reference, dumps, release_id, created)
                _write(tmp / "dataset.ttl", description.serialize(format="turtle", encoding="utf-8"))
                _write(tmp / "validation-report.ttl", report.graph.serialize(format="turtle", encoding="utf-8"))
                _write(tmp / "validation-report.txt", report.text.encode("utf-8"))
                _write(tmp / "ontology.ttl", rebase(settings.ontology_path.read_text(encoding="utf-8"), settings.base).encode())
                _write(tmp / "shapes.ttl", load_turtle_dir(settings.shapes_dir, settings.base).serialize(
                    format="turtle", encoding="utf-8"))
                store.bulk_load(description.serialize(format="nt", encoding="utf-8"),
                                format=pyoxigraph.RdfFormat.N_TRIPLES,
                                to_graph=pyoxigraph.NamedNode(iris.metadata_graph()))
                store.flush()
                del store  # releases the store's lock before the folder is renamed
            manifest = {
                "id": release_id, "created": created.isoformat(), "base": settings.base,
                "triples": len(graph), "metadata_graph": iris.metadata_graph(),
                "sources": [{"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                            for name, data in texts.items()],
                "warnings": len(report.results) - len(report.violations),
                "dumps": [{"name": d.name, "media_type": d.media_type, "compressed": d.compressed,
                           "size": d.size, "sha256": d.sha256} for d in dumps],
            }
            _write(tmp / "release.json", json.dumps(manifest, indent=2).encode())
            sums = [f"{_sha256_file(p)}  {p.relative_to(tmp)}\n" for p in sorted(tmp.rglob("*"))
                    if p.is_file() and "store" not in p.relative_to(tmp).parts]
            _write(tmp / "SHA256SUMS", "".join(sums).encode())
            final = releases_dir / release_id  # free: ids are unique and builds hold the lock
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        switch_current(releases_dir, final)
        prune(releases_dir, settings.keep_releases)
        progress(f"published release {release_id}: {len(graph)} triples in {final}")
        return Release(final, release_id, manifest)
