"""The release the server answers from, re-opened when `releases/current` switches."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
import pyoxigraph

from ..errors import BikgraphError
from ..iris import Iris
from ..mapping import prefixes
from ..published import Release, current_release, release_by_id
from ..remote_store import Publisher, RemoteStore
from ..settings import Settings
from .query_pool import QueryPool


@dataclass
class OpenRelease:
    release: Release
    store: object  # a read-only pyoxigraph.Store, or a RemoteStore
    pool: QueryPool
    iris: Iris
    prefixes: dict
    context: dict
    last_modified: str  # HTTP-date
    metadata_graph: str  # the name SPARQL users see the DCAT-AP / VoID description under
    graphs: dict = field(default_factory=dict)  # release files parsed once (dataset.ttl, ontology.ttl, ...)

    @property
    def id(self) -> str:
        return self.release.id

    def etag(self, variant: str) -> str:
        return f'"{self.release.id}-{variant}"'

    def close(self) -> None:
        self.pool.close()


def open_release(release: Release, settings: Settings, remote: dict | None = None) -> OpenRelease:
    """Open a release's files, with its embedded store or, given `remote` ({'graph', 'metadata'}),
    its graphs in the remote store."""
    base = release.manifest["base"]
    created = datetime.fromisoformat(release.manifest["created"])
    context = json.loads((release.path / "context.jsonld").read_text(encoding="utf-8"))
    if remote is None:
        store = pyoxigraph.Store.read_only(str(release.store_path))
        spec = {"path": str(release.store_path)}
        metadata_graph = Iris(base).metadata_graph()
    else:
        spec = {"url": settings.store_url, "default_graphs": [remote["graph"]],
                "named_graphs": [remote["metadata"]], "timeout": settings.query_timeout_s}
        store = RemoteStore(settings.store_url, (remote["graph"],), (remote["metadata"],), settings.query_timeout_s)
        metadata_graph = remote["metadata"]
    return OpenRelease(
        release=release, store=store,
        pool=QueryPool(json.dumps(spec), settings.query_workers, settings.query_timeout_s),
        iris=Iris(base), prefixes=prefixes(Iris(base)), context=context,
        last_modified=format_datetime(created, usegmt=True), metadata_graph=metadata_graph)


class ReleaseTracker:
    """Hands out the current release, re-opened when it changes.

    Embedded store: `releases/current` is read with one readlink per request. Remote store: the
    store's pointer graph is read at most every `store_poll_s` seconds, so a switch published by
    another machine reaches every web process within that time.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._open: OpenRelease | None = None
        self._target: object = None
        self._link = str(settings.releases_dir / "current")  # a str: Path joins cost more than the readlink
        self._publisher = Publisher(settings.store_url, settings.base, settings.query_timeout_s) \
            if settings.store_url else None
        self._polled_at = float("-inf")

    def _current_target(self):
        if self._publisher is None:
            try:
                return os.readlink(self._link)
            except OSError:
                return None
        now = time.monotonic()
        if now - self._polled_at < self.settings.store_poll_s:
            return self._target
        try:
            pointer = self._publisher.current()
        except BikgraphError:
            self._polled_at = float("-inf")  # ask again next time
            raise
        self._polled_at = now
        return None if pointer is None else (pointer["id"], pointer["graph"], pointer["metadata"])

    def _open_target(self, target) -> OpenRelease | None:
        if self._publisher is None:
            release = current_release(self.settings.releases_dir)
            return None if release is None else open_release(release, self.settings)
        release_id, graph, metadata = target
        release = release_by_id(self.settings.releases_dir, release_id)
        if release is None:
            raise BikgraphError(f"release {release_id} is current in the store at {self.settings.store_url}, but its "
                                f"files are not in {self.settings.releases_dir}")
        return open_release(release, self.settings, {"graph": graph, "metadata": metadata})

    def get(self) -> OpenRelease:
        current = self._open
        target = self._current_target()
        if current is not None and target == self._target:  # the common case, without the lock
            return current
        with self._lock:
            if self._open is not None and target == self._target:
                return self._open
            if target is None:
                if self._open is not None:
                    return self._open  # keep serving what we have
                raise BikgraphError(f"no release in {self.settings.store_url or self.settings.releases_dir}")
            opened = self._open_target(target)
            if opened is None:
                if self._open is not None:
                    return self._open
                raise BikgraphError(f"no release in {self.settings.releases_dir}")
            old, self._open, self._target = self._open, opened, target
        if old is not None:
            old.close()
        return self._open

    def close(self) -> None:
        with self._lock:
            if self._open is not None:
                self._open.close()
                self._open = None


def local_path(iri: str, base: str) -> str | None:
    """Our IRIs navigate locally: {base}id/x -> /id/x. None for anything else."""
    return "/" + iri[len(base):] if iri.startswith(base) else None
