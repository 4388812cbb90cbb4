"""All settings in one typed object, built at the edge (CLI, tests) and passed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .iris import DEFAULT_BASE, check_base

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    base: str = DEFAULT_BASE
    project_dir: Path = PROJECT_DIR  # holds ontology/, shapes/, data/
    releases_dir: Path = PROJECT_DIR / "releases"
    sources: tuple[Path, ...] = ()  # empty: every data/sources/*.txt
    keep_releases: int = 3
    build_workers: int = 0  # processes that map and validate chunks of profiles; 0: one per CPU
    profiles_per_chunk: int = 10  # validation cost grows faster than linearly with graph size
    # serving (issue 3 uses these)
    host: str = "127.0.0.1"
    port: int = 8000
    query_timeout_s: float = 10.0
    query_workers: int = 2
    result_cap: int = 10_000
    max_request_bytes: int = 64 * 1024
    federation_allowed: bool = False
    document_cache_bytes: int = 64 * 1024 * 1024  # rendered /doc answers kept in memory per process
    result_cache_bytes: int = 32 * 1024 * 1024  # SPARQL answers of up to 1 MiB, per process and release
    workers: int = 1  # web server processes
    # None: the embedded pyoxigraph store of each release. A URL: a SPARQL 1.1 store (Graph Store
    # HTTP Protocol) that releases are published into and served from (bikgraph/remote_store.py).
    store_url: str | None = None
    store_poll_s: float = 1.0  # how often a web process asks the remote store which release is current
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_base(self.base)

    @property
    def ontology_path(self) -> Path:
        return self.project_dir / "ontology" / "bik.ttl"

    @property
    def shapes_dir(self) -> Path:
        return self.project_dir / "shapes"

    @property
    def dcat_ap_dir(self) -> Path:
        return self.shapes_dir / "dcat-ap-3.0.1"

    @property
    def reference_dir(self) -> Path:
        return self.project_dir / "data" / "reference"

    @property
    def codebook_path(self) -> Path:
        return self.project_dir / "data" / "codebook.csv"

    def source_files(self) -> list[Path]:
        if self.sources:
            return list(self.sources)
        return sorted((self.project_dir / "data" / "sources").glob("*.txt"))
