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
import multiprocessing
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
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
from .jsonld import write_compacted
from .mapping import SourceInfo, check_unique_profiles, map_release, prefixes
from .profile import decode_source, parse_profile
from .published import Release, current_release, release_by_id  # noqa: F401 (the release API in one place)
from .remote_store import Publisher
from .reference import load_reference
from .settings import Settings
from .structure import load_structure
from .validation import Report, load_dcat_ap_shapes, load_ontology, load_turtle_dir, validate_graph

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


@dataclass(frozen=True)
class ChunkOutcome:
    """One chunk's graph (with the shared reference data and the ontology) and its SHACL results."""
    ntriples: bytes
    conforms: bool
    results: list
    report_ntriples: bytes
    report_text: str


@dataclass(frozen=True)
class _Shared:
    """What every chunk needs; built once, inherited by forked workers."""
    rules: list
    structure: object
    reference: object
    iris: Iris
    ontology_ntriples: bytes
    shapes: Graph


_shared: _Shared | None = None  # set before the workers fork


def map_and_validate(chunk: list) -> ChunkOutcome:
    """Map a chunk of rated profiles (plus the shared data and the ontology) and validate it."""
    shared = _shared
    graph = map_release(chunk, shared.rules, shared.structure, shared.reference, shared.iris)
    ntriples = graph.serialize(format="nt", encoding="utf-8") + shared.ontology_ntriples
    report = validate_graph(ntriples, shared.shapes)
    return ChunkOutcome(ntriples, report.conforms, report.results,
                        report.graph.serialize(format="nt", encoding="utf-8"), report.text)


def run_chunks(chunks: list[list], workers: int) -> list[ChunkOutcome]:
    if len(chunks) == 1 or workers <= 1:
        return [map_and_validate(chunk) for chunk in chunks]
    # fork: the workers inherit _shared instead of unpickling shapes and ontology
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context) as pool:
        return list(pool.map(map_and_validate, chunks))


def merge_reports(outcomes: list[ChunkOutcome]) -> Report:
    """One report: shared data is validated with every chunk, so its results are counted once."""
    results = sorted({r for o in outcomes for r in o.results}, key=lambda r: (r.severity, r.focus, r.path, r.message))
    graph = Graph()
    for outcome in outcomes:
        graph.parse(data=outcome.report_ntriples, format="nt")
    failing = [o.report_text for o in outcomes if not o.conforms]
    return Report(not failing, results, graph, "\n".join(failing) if failing else outcomes[0].report_text)


def build_graph(settings: Settings, steps: _Steps) -> tuple[list[bytes], object, Report, dict[str, bytes]]:
    """Parse, map and validate. Returns (N-Triples of each chunk, reference, SHACL report, source texts).

    The chunks overlap (each holds the ontology and the reference data); loading them all into
    one store gives the release graph.
    """
    global _shared
    iris = Iris(settings.base)
    with steps.step("loading ontology, codebook and reference data"):
        ontology = load_ontology(settings.ontology_path, settings.base)
        structure = load_structure(ontology, settings.base)
        rules = load_codebook(settings.codebook_path, structure)
        reference = load_reference(settings.reference_dir)
        shapes = load_turtle_dir(settings.shapes_dir, settings.base)
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
        check_unique_profiles(profiles)
    size = max(1, settings.profiles_per_chunk)
    chunks = [profiles[i:i + size] for i in range(0, len(profiles), size)]
    workers = settings.build_workers or os.cpu_count() or 1
    with steps.step(f"mapping to RDF and validating against the SHACL shapes, in {len(chunks)} chunk(s)"):
        _shared = _Shared(rules, structure, reference, iris, ontology.serialize(format="nt", encoding="utf-8"),
                          shapes)
        try:
            outcomes = run_chunks(chunks, workers)
        finally:
            _shared = None
        report = merge_reports(outcomes)
        if report.violations:
            raise ValidationFailed(report.violations, report.text)
    return [o.ntriples for o in outcomes], reference, report, texts


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def _gzip_file(source: Path, target: Path) -> None:
    """Compress without holding the file in memory; mtime 0: same data, same bytes."""
    with source.open("rb") as raw, target.open("wb") as out, \
            gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6, mtime=0) as packed:
        shutil.copyfileobj(raw, packed, 1 << 20)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def jsonld_context(iris: Iris) -> dict:
    return {"@context": dict(sorted(prefixes(iris).items()))}


def load_store(path: Path, chunks: list[bytes]) -> pyoxigraph.Store:
    """Load the validated chunks into a new store (it keeps one copy of what they share).

    The dumps are written from the store's content, not from what was mapped: Oxigraph keeps
    literals in canonical form (xsd:decimal "0.0" becomes "0"), and a dump must hold exactly
    what the SPARQL endpoint answers from.
    """
    store = pyoxigraph.Store(str(path))
    for chunk in chunks:
        store.bulk_load(chunk, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def write_dumps(store: pyoxigraph.Store, directory: Path, iris: Iris) -> list[catalog.DumpFile]:
    """Write each dump (and its gzip) of the store's default graph, streaming from the store.

    Turtle and N-Triples come from Oxigraph's writer, which keeps the store's lexical forms;
    JSON-LD is compacted with the published context by bikgraph.jsonld, node by node.
    """
    directory.mkdir(parents=True)
    default = pyoxigraph.DefaultGraph()
    files = []
    for extension, fmt, media_type, title in DUMP_FORMATS:
        path = directory / f"{DUMP_NAME}.{extension}"
        if fmt == "nt":
            store.dump(str(path), format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=default)
        elif fmt == "turtle":
            store.dump(str(path), format=pyoxigraph.RdfFormat.TURTLE, from_graph=default, prefixes=prefixes(iris))
        else:
            with path.open("wb") as out:
                write_compacted(store.quads_for_pattern(None, None, None, default),
                                jsonld_context(iris)["@context"], out)
        _gzip_file(path, path.with_name(path.name + ".gz"))
        for name, compressed in ((path.name, False), (path.name + ".gz", True)):
            written = directory / name
            files.append(catalog.DumpFile(name, media_type, compressed, written.stat().st_size,
                                          _sha256_file(written), title + (", gzip-compressed" if compressed else "")))
    return files


def describe(settings: Settings, stats: dict, reference, dumps, release_id: str, created: datetime) -> Graph:
    iris = Iris(settings.base)
    vocabularies = sorted({str(ns) for prefix, ns in prefixes(iris).items() if prefix not in ("rdf", "rdfs", "xsd", "bikid")})
    description = catalog.describe_release(iris, reference, stats, dumps, release_id,
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


def unique_release_id(releases_dir: Path, created: datetime, content_sha256: str) -> str:
    """Creation time and content digest; a suffix keeps two builds within one second apart."""
    base_id = f"{created:%Y%m%dT%H%M%SZ}-{content_sha256[:8]}"
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


def publish_remote(settings: Settings, folder: Path, release_id: str, triples: int, progress: Progress) -> None:
    """Upload a built release into the remote store and make it current there; on failure remove
    the release folder and leave the store serving what it served."""
    publisher = Publisher(settings.store_url, settings.base)
    started = time.perf_counter()
    try:
        publisher.publish(release_id, folder / "dumps" / f"{DUMP_NAME}.nt", folder / "dataset.ttl", triples)
    except BikgraphError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        try:
            still = publisher.current()
            serving = f"release {still['id']}" if still else "nothing"
        except BikgraphError:
            serving = "whatever it served before (it cannot be asked now)"
        raise BikgraphError(f"publishing release {release_id} to {settings.store_url} failed: {exc}. "
                            f"Nothing was switched: the store still serves {serving}.") from None
    progress(f"published release {release_id} into {settings.store_url} in {time.perf_counter() - started:.2f} s")


def build_release(settings: Settings, progress: Progress = stderr_progress) -> Release:
    """Build, validate and publish a release; raise BikgraphError and publish nothing on failure."""
    iris = Iris(settings.base)
    steps = _Steps(6, progress)
    releases_dir = settings.releases_dir
    with _build_lock(releases_dir):
        chunks, reference, report, texts = build_graph(settings, steps)
        created = datetime.now(timezone.utc).replace(microsecond=0)
        tmp = Path(releases_dir / f".building-{os.getpid()}-{time.time_ns()}")
        try:
            tmp.mkdir(parents=True)
            with steps.step("loading the store and writing the dumps from it"):
                store = load_store(tmp / "store", chunks)
                del chunks
                dumps = write_dumps(store, tmp / "dumps", iris)
                stats = catalog.store_statistics(store)
                triples = stats["triples"]
                nt_digest = next(d.sha256 for d in dumps if d.name == f"{DUMP_NAME}.nt")
                release_id = unique_release_id(releases_dir, created, nt_digest)
                _write(tmp / "context.jsonld", json.dumps(jsonld_context(iris), indent=2).encode())
                (tmp / "sources").mkdir()
                for name, data in texts.items():  # the very bytes that were parsed, for provenance
                    _write(tmp / "sources" / name, data)
            with steps.step("describing the release (DCAT-AP 3.0.1, VoID) and checking the description"):
                description = describe(settings, stats, reference, dumps, release_id, created)
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
                "triples": triples, "metadata_graph": iris.metadata_graph(),
                "sources": [{"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                            for name, data in texts.items()],
                "warnings": len(report.results) - len(report.violations),
                "dumps": [{"name": d.name, "media_type": d.media_type, "compressed": d.compressed,
                           "size": d.size, "sha256": d.sha256} for d in dumps],
            }
            _write(tmp / "release.json", json.dumps(manifest, indent=2).encode())
            known = {Path("dumps") / d.name: d.sha256 for d in dumps}  # the dumps were hashed as they were written
            sums = [f"{known.get(p.relative_to(tmp)) or _sha256_file(p)}  {p.relative_to(tmp)}\n"
                    for p in sorted(tmp.rglob("*")) if p.is_file() and "store" not in p.relative_to(tmp).parts]
            _write(tmp / "SHA256SUMS", "".join(sums).encode())
            final = releases_dir / release_id  # free: ids are unique and builds hold the lock
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if settings.store_url:
            publish_remote(settings, final, release_id, triples, progress)
        switch_current(releases_dir, final)
        prune(releases_dir, settings.keep_releases)
        progress(f"published release {release_id}: {triples} triples in {final}")
        return Release(final, release_id, manifest)
