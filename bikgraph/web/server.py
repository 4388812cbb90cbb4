"""`bikgraph serve`: build a release if there is none, then serve it with uvicorn.

With several workers, uvicorn starts each process from an import string, so the settings
travel to them in one environment variable, written here and read by `app_from_environment`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import uvicorn

from ..published import current_release
from ..settings import Settings

SETTINGS_VARIABLE = "BIKGRAPH_SERVE_SETTINGS"
UVICORN_OPTIONS = dict(log_level="info", limit_concurrency=256, timeout_keep_alive=5,
                       access_log=False)  # a log line per request would halve throughput


def settings_to_json(settings: Settings) -> str:
    return json.dumps({k: (str(v) if isinstance(v, Path) else list(map(str, v)) if k == "sources" else v)
                       for k, v in dataclasses.asdict(settings).items()})


def settings_from_json(text: str) -> Settings:
    values = json.loads(text)
    values["project_dir"], values["releases_dir"] = Path(values["project_dir"]), Path(values["releases_dir"])
    values["sources"] = tuple(Path(s) for s in values["sources"])
    return Settings(**values)


def app_from_environment():
    """The app of one worker process (uvicorn's factory for --workers)."""
    from .app import create_app
    return create_app(settings_from_json(os.environ[SETTINGS_VARIABLE]))


def serve(settings: Settings) -> int:
    if settings.store_url is None and current_release(settings.releases_dir) is None:
        from ..release import build_release  # the build machinery only when there is something to build
        build_release(settings)
    if settings.workers <= 1:
        from .app import create_app
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, **UVICORN_OPTIONS)
        return 0
    # The supervising process imports no web code: only the workers it starts need it.
    os.environ[SETTINGS_VARIABLE] = settings_to_json(settings)
    uvicorn.run("bikgraph.web.server:app_from_environment", factory=True, workers=settings.workers,
                host=settings.host, port=settings.port, **UVICORN_OPTIONS)
    return 0
