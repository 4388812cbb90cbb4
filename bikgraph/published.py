"""What a releases folder holds, read without the build machinery (the web server imports this,
not release.py, so it does not load pyshacl and the mapping code)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


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


def release_by_id(releases_dir: Path, release_id: str) -> Release | None:
    """A published release's folder, by id (ids name folders: no path may come from elsewhere)."""
    if not re.fullmatch(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}(-[0-9]+)?", release_id):
        return None
    manifest_path = releases_dir / release_id / "release.json"
    if not manifest_path.is_file():
        return None
    return Release(releases_dir / release_id, release_id, json.loads(manifest_path.read_text(encoding="utf-8")))


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
