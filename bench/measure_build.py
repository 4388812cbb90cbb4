"""Build one release and print what it cost, as JSON: `python -m bench.measure_build PROJECT RELEASES`.

Peak memory is the larger of this process's and its build workers' (both from getrusage).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from bikgraph.release import build_release
from bikgraph.settings import Settings


def main(project: str, releases: str) -> None:
    started = time.perf_counter()
    release = build_release(Settings(project_dir=Path(project), releases_dir=Path(releases)), progress=lambda m: None)
    seconds = time.perf_counter() - started
    peak_kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"seconds": seconds, "peak_rss": peak_kib * 1024, "triples": release.manifest["triples"],
                      "profiles": len(release.manifest["sources"]), "release": str(release.path)}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
