"""Resource documents answered from memory, once rendered, until the next release.

A document changes only when a release is published, so the first complete 200 answer for
(release, path, format) is kept as bytes and later requests for it are answered here, before
routing, middleware and the store: dereferencing is what a linked-data server does most.
Anything unusual (a query string, an Origin header, a malformed Accept) goes to the app.
The cache is bounded in bytes and least-recently-used entries leave first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from . import documents
from .conneg import AcceptError, negotiate
from .resources import etag_matches

DOC_PREFIX = "/doc/"
EXTENSIONS = frozenset(f.extension for f in documents.DOCUMENT_FORMATS if f.extension)
OFFERS = tuple(f.offer for f in documents.DOCUMENT_FORMATS)
NOT_CACHED_HEADERS = (b"content-length", b"content-type")  # left out of a 304


@dataclass(frozen=True)
class Entry:
    headers: tuple[tuple[bytes, bytes], ...]  # as the app sent them, content-length included
    body: bytes
    etag: bytes | None


class ResponseCache:
    """A byte-bounded LRU map (answers to documents, SPARQL results); safe to share between threads."""

    def __init__(self, max_bytes: int, max_entry_bytes: int):
        self.max_bytes, self.max_entry_bytes = max_bytes, max_entry_bytes
        self._entries: OrderedDict[tuple, tuple[object, int]] = OrderedDict()  # key -> (value, cost)
        self._size = 0
        self._lock = threading.Lock()
        self.release_id: str | None = None
        self.hits = self.misses = 0

    def get(self, key: tuple):
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: tuple, value, cost: int) -> None:
        if cost > self.max_entry_bytes or cost > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._entries[key] = (value, cost)
            self._size += cost
            while self._size > self.max_bytes:
                _, (_evicted, evicted_cost) = self._entries.popitem(last=False)
                self._size -= evicted_cost

    def switch_release(self, release_id: str) -> None:
        """Forget every entry when the release changes: they describe the old one."""
        with self._lock:
            if release_id != self.release_id:
                self._entries.clear()
                self._size = 0
                self.release_id = release_id

    def __len__(self) -> int:
        return len(self._entries)


@lru_cache(maxsize=512)
def negotiated_key(accept: str | None) -> str | None:
    """The document format an Accept header selects, or None to let the app answer (406, 400)."""
    try:
        chosen = negotiate(list(OFFERS), accept)
    except AcceptError:
        return None
    return None if chosen is None else documents.format_for_offer(chosen).key


def request_key(path: str, query_string: bytes, accept: str | None) -> tuple | None:
    """(path, format) for a plain document request; None for anything the app must see."""
    if not path.startswith(DOC_PREFIX) or query_string:
        return None
    rest = path[len(DOC_PREFIX):]
    stem, dot, extension = rest.rpartition(".")
    if dot and extension in EXTENSIONS and "/" not in extension:
        return rest, ""  # the extension names the format: no negotiation, no Vary
    fmt = negotiated_key(accept)
    return None if fmt is None else (rest, fmt)


class DocumentCacheMiddleware:
    """ASGI middleware: answers cached documents, and records the app's answers to cache them."""

    def __init__(self, app, cache: ResponseCache, release_id: Callable[[], str]):
        self.app, self.cache, self.release_id = app, cache, release_id

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or \
                not scope["path"].startswith(DOC_PREFIX):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if b"origin" in headers:  # CORS answers vary by origin: the app adds those headers
            return await self.app(scope, receive, send)
        accept = headers.get(b"accept")
        key = request_key(scope["path"], scope.get("query_string", b""),
                          None if accept is None else accept.decode("latin-1"))
        if key is None:
            return await self.app(scope, receive, send)
        try:
            release_id = self.release_id()
        except Exception:  # no release, store unreachable: the app answers with the right error
            return await self.app(scope, receive, send)
        self.cache.switch_release(release_id)
        key = (release_id, *key)
        entry = self.cache.get(key)
        if entry is not None:
            return await self._answer(entry, scope["method"], headers.get(b"if-none-match"), send)
        if scope["method"] != "GET":
            return await self.app(scope, receive, send)
        await self.app(scope, receive, self._recorder(key, release_id, send))

    @staticmethod
    async def _answer(entry: Entry, method: str, if_none_match: bytes | None, send) -> None:
        if if_none_match is not None and entry.etag is not None and \
                etag_matches(if_none_match.decode("latin-1"), entry.etag.decode("latin-1")):
            await send({"type": "http.response.start", "status": 304,
                        "headers": [h for h in entry.headers if h[0] not in NOT_CACHED_HEADERS]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": list(entry.headers)})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else entry.body})

    def _recorder(self, key: tuple, release_id: str, send):
        """Wrap `send` to keep a complete 200 whose ETag names the release it was keyed under."""
        state = {"headers": None, "chunks": [], "size": 0}

        async def recording_send(message):
            if message["type"] == "http.response.start":
                etag = dict(message.get("headers", [])).get(b"etag", b"")
                if message["status"] == 200 and etag.startswith(f'"{release_id}-'.encode()):
                    state["headers"] = tuple(message.get("headers", []))
            elif message["type"] == "http.response.body" and state["headers"] is not None:
                state["chunks"].append(message.get("body", b""))
                state["size"] += len(message.get("body", b""))
                if state["size"] > self.cache.max_entry_bytes:
                    state["headers"] = None
                    state["chunks"] = []
                elif not message.get("more_body", False):
                    entry_headers = state["headers"]
                    body = b"".join(state["chunks"])
                    self.cache.put(key, Entry(entry_headers, body, dict(entry_headers).get(b"etag")),
                                   cost=len(body) + sum(len(n) + len(v) for n, v in entry_headers))
            await send(message)

        return recording_send
