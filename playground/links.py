"""Compact, URL-safe encodings of page state, so a copied link reproduces what its sender saw."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

# Browsers and proxies accept URLs of about 8,000 characters; keep each value well inside that.
MAX_VALUE_CHARS = 4000
# JSON the playground reads (links, spec files, checkpoint metadata) nests a few levels: a spec's
# blocks inside blocks reach about 16. Python's parser recurses once per level and fails with a
# RecursionError near 1,000, so deeper text is refused before it is parsed.
MAX_JSON_DEPTH = 64
MAX_JSON_BYTES = 2**20  # a link's value decompresses to at most this; a spec file is far smaller


class LinkError(ValueError):
    """A link value that is damaged, or a value too large to put in a link."""


def json_depth(text: str) -> int:
    """How deeply the brackets of JSON `text` nest (0 for a scalar), counted in one pass without
    recursing; brackets inside strings (escapes included) do not count."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_bounded(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_JSON_BYTES,
                  what: str = "This JSON") -> Any:
    """`json.loads(text)`, refusing text longer than `max_bytes` or nested deeper than `max_depth`
    before it is parsed; LinkError with a message (starting with `what`) for those and for text
    that is not JSON."""
    if len(text) > max_bytes:
        raise LinkError(f"{what} is too large ({len(text):,} bytes; at most {max_bytes:,}).")
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise LinkError(f"{what} is not text (UTF-8).") from None
    depth = json_depth(text)
    if depth > max_depth:
        raise LinkError(f"{what} nests {depth:,} levels deep; at most {max_depth} are allowed.")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:  # ValueError includes JSONDecodeError
        raise LinkError(f"{what} is not valid JSON ({e}).") from None


def encode_json(value: Any) -> str:
    """`value` as compressed, URL-safe text (JSON, zlib, base64url without padding)."""
    raw = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    text = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")
    if len(text) > MAX_VALUE_CHARS:
        raise LinkError(f"This is too large for a link ({len(text):,} characters); download it as a file instead.")
    return text


def decode_json(text: str) -> Any:
    """The value `encode_json` encoded; LinkError if the text is damaged."""
    try:
        # At most one byte past the bound is inflated, so a small "zip bomb" cannot fill memory.
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), MAX_JSON_BYTES + 1)
    except (ValueError, zlib.error) as e:
        raise LinkError(f"This link's value is damaged ({e}).") from None
    if len(raw) > MAX_JSON_BYTES:
        raise LinkError(f"This link's value is too large (over {MAX_JSON_BYTES:,} bytes unpacked).")
    if not inflater.eof:
        raise LinkError("This link's value is damaged (it is cut short).")
    return loads_bounded(raw, what="This link's value")
