"""A query worker process: `python -m bikgraph.web.query_worker STORE_SPEC`.

STORE_SPEC is JSON: {"path": ...} for a release's embedded store, or {"url": ..., "default_graphs":
[...], "named_graphs": [...], "timeout": ...} for a release in a remote store.

Reads length-prefixed pickled Jobs on stdin and writes pickled Outcomes on stdout. It is a
plain subprocess (not multiprocessing) so it never re-imports the server's main module.
"""

from __future__ import annotations

import pickle
import struct
import sys

HEADER = struct.Struct("!I")


def _read_exactly(stream, size: int) -> bytes | None:
    """Read `size` bytes; unbuffered pipes may return fewer per read. None at end of stream."""
    chunks, missing = [], size
    while missing:
        chunk = stream.read(missing)
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_message(stream):
    header = _read_exactly(stream, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    data = _read_exactly(stream, size)
    return None if data is None else pickle.loads(data)


def write_message(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def open_store(spec: dict):
    if "path" in spec:
        import pyoxigraph
        return pyoxigraph.Store.read_only(spec["path"])
    from ..remote_store import RemoteStore
    return RemoteStore(spec["url"], tuple(spec["default_graphs"]), tuple(spec["named_graphs"]), spec["timeout"])


def main(store_spec: str) -> None:
    import json

    from .sparql_exec import execute
    store = open_store(json.loads(store_spec))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    write_message(stdout, "ready")
    while (job := read_message(stdin)) is not None:
        write_message(stdout, execute(store, job))


if __name__ == "__main__":
    main(sys.argv[1])
