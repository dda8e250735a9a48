"""Compact, URL-safe encodings of page state, so a copied link reproduces what its sender saw."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

# Browsers and proxies accept URLs of about 8,000 characters; keep each value well inside that.
MAX_VALUE_CHARS = 4000


class LinkError(ValueError):
    """A link value that is damaged, or a value too large to put in a link."""


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
        raw = zlib.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), bufsize=2**16)
        if len(raw) > 2**20:
            raise ValueError("too large")
        return json.loads(raw)
    except (ValueError, zlib.error, UnicodeDecodeError) as e:
        raise LinkError(f"This link's value is damaged ({e}).") from None
