"""Content negotiation by RFC 9110 §12.5.1 (Accept). Pure functions, no web framework.

- Each media range's quality applies to an offer through the *most specific* range that
  matches it (`text/turtle;x=y` > `text/turtle` > `text/*` > `*/*`), so `*/*;q=1, text/html;q=0`
  excludes HTML.
- `q=0` means "not acceptable".
- Ties go to the server's order of preference (the order of `offers`).
- Range parameters must be present in the offer (e.g. a JSON-LD `profile`); `charset` is
  ignored because every text we send is UTF-8.
- No Accept header (or an empty one) accepts anything: the first offer wins.
- A malformed header raises AcceptError: the caller answers 400, it does not guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
QVALUE = re.compile(r"^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$")
IGNORED_PARAMS = {"charset"}


class AcceptError(ValueError):
    """The Accept header does not follow RFC 9110."""


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    q: float

    @property
    def specificity(self) -> int:
        if self.type == "*":
            return 0
        if self.subtype == "*":
            return 1
        return 2 + len(self.params)

    def matches(self, offer: "MediaRange") -> bool:
        if self.type not in ("*", offer.type) or self.subtype not in ("*", offer.subtype):
            return False
        offered = dict(offer.params)
        return all(name in offered and _param_matches(name, value, offered[name]) for name, value in self.params)


def _param_matches(name: str, wanted: str, offered: str) -> bool:
    if name == "profile":  # a space-separated list of profile IRIs: any one of them will do
        return offered in wanted.split()
    return wanted.lower() == offered.lower()


def _split(text: str, separator: str) -> list[str]:
    """Split on a separator outside quoted strings."""
    parts, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quoted:
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise AcceptError("unterminated quoted string")
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_media_type(text: str, *, allow_q: bool = True) -> MediaRange:
    pieces = _split(text, ";")
    full = pieces[0].strip().lower()
    if "/" not in full:
        raise AcceptError(f"{text.strip()!r} is not a media range (type/subtype)")
    type_, subtype = full.split("/", 1)
    if not TOKEN.match(type_) or not TOKEN.match(subtype):
        raise AcceptError(f"{text.strip()!r} is not a media range (type/subtype)")
    if type_ == "*" and subtype != "*":
        raise AcceptError(f"{text.strip()!r}: '*/subtype' is not a media range")
    params, q = [], 1.0
    for piece in pieces[1:]:
        name, sep, value = piece.strip().partition("=")
        name, value = name.strip().lower(), value.strip()
        if not sep or not TOKEN.match(name) or not value:
            raise AcceptError(f"malformed parameter {piece.strip()!r} in {text.strip()!r}")
        if name == "q" and allow_q:
            if not QVALUE.match(value):
                raise AcceptError(f"malformed quality value q={value} in {text.strip()!r}")
            q = float(value)
            break  # what follows the weight are accept extensions, which we ignore
        if name not in IGNORED_PARAMS:
            params.append((name, _unquote(value)))
    return MediaRange(type_, subtype, tuple(params), q)


def parse_accept(header: str) -> list[MediaRange]:
    return [parse_media_type(part) for part in _split(header, ",") if part.strip()]


def negotiate(offers: Sequence[str], accept: str | None) -> str | None:
    """The offer to send for this Accept header, or None when none is acceptable (406)."""
    if accept is None or not accept.strip():
        return offers[0] if offers else None
    ranges = parse_accept(accept)
    best, best_q = None, 0.0
    for offer in offers:
        parsed = parse_media_type(offer, allow_q=False)
        matching = [r for r in ranges if r.matches(parsed)]
        if not matching:
            continue
        top = max(r.specificity for r in matching)
        q = max(r.q for r in matching if r.specificity == top)
        if q > best_q:
            best, best_q = offer, q
    return best


def base_type(media_type: str) -> str:
    """'application/ld+json;profile="..."' -> 'application/ld+json'."""
    return media_type.split(";", 1)[0].strip()
