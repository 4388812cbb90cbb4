"""`bikgraph serve`: build a release if there is none, then serve it with uvicorn."""

from __future__ import annotations

import uvicorn

from ..release import build_release, current_release
from ..settings import Settings
from .app import create_app


def serve(settings: Settings) -> int:
    if current_release(settings.releases_dir) is None:
        build_release(settings)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                limit_concurrency=256, timeout_keep_alive=5)
    return 0
