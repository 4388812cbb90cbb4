"""HTTP request details shared by the routes: strict parameters, bounded bodies, errors."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from starlette.requests import Request

from .conneg import AcceptError, negotiate


class HttpError(Exception):
    """An expected failure answered with `status` and a message for people."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def parse_params(raw: bytes, where: str) -> list[tuple[str, str]]:
    """Decode `a=b&c=d` strictly: bad percent-encoding or non-UTF-8 is a 400, not a guess."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise HttpError(400, f"the {where} contains raw non-ASCII bytes: percent-encode them") from None
    if (bad := _BAD_PERCENT.search(text)) is not None:
        raise HttpError(400, f"invalid percent-encoding {text[bad.start():bad.start() + 3]!r} at character "
                             f"{bad.start() + 1} of the {where}")
    pairs = []
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        try:
            pairs.append((unquote_plus(name, errors="strict"), unquote_plus(value, errors="strict")))
        except UnicodeDecodeError:
            raise HttpError(400, f"the {where} is not UTF-8 once percent-decoded") from None
    return pairs


def query_params(request: Request, limit: int) -> list[tuple[str, str]]:
    raw = request.scope.get("query_string", b"")
    if len(raw) > limit:
        raise HttpError(414, f"the query string is {len(raw)} bytes; this server accepts at most {limit}: "
                             f"send long queries by POST")
    return parse_params(raw, "query string")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes before reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HttpError(413, f"the request body is {declared} bytes; this server accepts at most {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"the request body is larger than {limit} bytes, the limit of this server")
        chunks.append(chunk)
    return b"".join(chunks)


def choose(offers: list[str], request: Request) -> str | None:
    try:
        return negotiate(offers, request.headers.get("accept"))
    except AcceptError as exc:
        raise HttpError(400, f"malformed Accept header: {exc}") from None


def not_acceptable(offers: list[str]) -> HttpError:
    listed = ", ".join(offers)
    return HttpError(406, f"none of the media types this resource is available in is acceptable; "
                          f"available: {listed}")


def wants_html(request: Request) -> bool:
    """Whether an error should be rendered as a page (the client prefers HTML)."""
    try:
        return negotiate(["text/plain", "text/html"], request.headers.get("accept")) == "text/html" and \
            "text/html" in (request.headers.get("accept") or "")
    except AcceptError:
        return False
