"""The release the server answers from, re-opened when `releases/current` switches."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
import pyoxigraph

from ..errors import BikgraphError
from ..iris import Iris
from ..mapping import prefixes
from ..release import Release, current_release
from ..settings import Settings
from .query_pool import QueryPool


@dataclass
class OpenRelease:
    release: Release
    store: pyoxigraph.Store
    pool: QueryPool
    iris: Iris
    prefixes: dict
    context: dict
    last_modified: str  # HTTP-date
    graphs: dict = field(default_factory=dict)  # release files parsed once (dataset.ttl, ontology.ttl, ...)

    @property
    def id(self) -> str:
        return self.release.id

    def etag(self, variant: str) -> str:
        return f'"{self.release.id}-{variant}"'

    def close(self) -> None:
        self.pool.close()


def open_release(release: Release, settings: Settings) -> OpenRelease:
    base = release.manifest["base"]
    created = datetime.fromisoformat(release.manifest["created"])
    context = json.loads((release.path / "context.jsonld").read_text(encoding="utf-8"))
    return OpenRelease(
        release=release,
        store=pyoxigraph.Store.read_only(str(release.store_path)),
        pool=QueryPool(str(release.store_path), settings.query_workers, settings.query_timeout_s),
        iris=Iris(base), prefixes=prefixes(Iris(base)), context=context,
        last_modified=format_datetime(created, usegmt=True))


class ReleaseTracker:
    """Hands out the current release; notices a new `current` with one readlink per request."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._open: OpenRelease | None = None
        self._target: str | None = None
        self._link = str(settings.releases_dir / "current")  # a str: Path joins cost more than the readlink

    def get(self) -> OpenRelease:
        try:
            target = os.readlink(self._link)
        except OSError:
            target = None
        current = self._open
        if current is not None and target == self._target:  # the common case, without the lock
            return current
        with self._lock:
            if self._open is not None and target == self._target:
                return self._open
            release = current_release(self.settings.releases_dir)
            if release is None:
                if self._open is not None:
                    return self._open  # keep serving what we have
                raise BikgraphError(f"no release in {self.settings.releases_dir}")
            old, self._open, self._target = self._open, open_release(release, self.settings), target
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
