"""Tests for playground.links: the bounded JSON reader every JSON edge uses, and link values."""

from __future__ import annotations

import base64
import json
import time
import zlib

import pytest

from playground.links import (
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    LinkError,
    decode_json,
    encode_json,
    json_depth,
    loads_bounded,
)


def _link(raw: str) -> str:
    """A link value as `encode_json` writes it, for text `encode_json` itself could not write."""
    return base64.urlsafe_b64encode(zlib.compress(raw.encode(), 9)).decode().rstrip("=")


@pytest.mark.parametrize("text, depth", [
    ("1", 0), ('"[[[["', 0), ("[]", 1), ('{"a": [1, {"b": []}]}', 4),
    (r'["\"[[", {"k": "\\"}]', 2),  # an escaped quote and an escaped backslash inside strings
    ("[" * 10_000 + "]" * 10_000, 10_000),
])
def test_depth_is_counted_outside_strings(text, depth):
    assert json_depth(text) == depth
    if depth < 500:  # Python's own parser agrees where it can parse the text at all
        json.loads(text)


def test_json_nested_ten_thousand_deep_is_refused_with_a_message_not_a_recursion_error():
    deep = "[" * 10_000 + "]" * 10_000
    with pytest.raises(RecursionError):  # what the bare parser does with it
        json.loads(deep)
    with pytest.raises(LinkError, match=f"nests 10,000 levels deep; at most {MAX_JSON_DEPTH} are allowed"):
        loads_bounded(deep)
    with pytest.raises(LinkError, match="link's value nests 10,000 levels deep"):
        decode_json(_link(deep))


def test_depth_at_the_bound_is_read_and_one_past_it_refused():
    assert loads_bounded("[" * 5 + "]" * 5, max_depth=5) == [[[[[]]]]]
    with pytest.raises(LinkError, match="nests 6 levels deep; at most 5"):
        loads_bounded("[" * 6 + "]" * 6, max_depth=5)


def test_size_bound_and_non_json_give_messages():
    assert loads_bounded(b'{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}
    with pytest.raises(LinkError, match=r"too large \(11 bytes; at most 10\)"):
        loads_bounded("[1,2,3,4,5]", max_bytes=10)
    with pytest.raises(LinkError, match="The file is not valid JSON"):
        loads_bounded("{'a': 1}", what="The file")
    with pytest.raises(LinkError, match="not text"):
        loads_bounded(b"\xff\xfe[]")


def test_the_depth_check_is_linear_a_megabyte_in_well_under_a_second():
    text = "[" + ", ".join(['[1, "x]", {"a": 2}]'] * 50_000) + "]"
    assert len(text) > 900_000
    start = time.process_time()
    assert json_depth(text) == 3
    assert time.process_time() - start < 1.0


def test_a_link_that_unpacks_past_the_bound_is_refused_without_unpacking_it_all():
    bomb = _link("[" + "0," * (MAX_JSON_BYTES * 4) + "0]")  # 8 MB of JSON in a few kB of link
    assert len(bomb) < 40_000
    with pytest.raises(LinkError, match="too large"):
        decode_json(bomb)


def test_round_trip_and_damage():
    value = {"layers": [{"type": "dense", "out_features": 16}], "ü": "✓"}
    assert decode_json(encode_json(value)) == value
    with pytest.raises(LinkError, match="cut short|damaged"):
        decode_json(encode_json(value)[:-6])
