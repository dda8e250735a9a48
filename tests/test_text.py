"""The default text and the checks of a user's text."""

import re

import pytest

from playground.text import MAX_TEXT_CHARS, MIN_TEXT_CHARS, TextError, check_text, default_text


def test_default_text_is_deterministic_by_seed():
    assert default_text(3) == default_text(3)
    assert default_text(3) != default_text(4)


def test_default_text_has_words_punctuation_and_lines():
    text = default_text(0)
    assert 19_000 <= len(text) <= 20_000 and text.endswith("\n")
    words = set(re.findall(r"[a-z]+", text.lower()))
    assert 200 <= len(words) <= 600
    assert {".", ",", "?", "!", "\n"} <= set(text)
    assert "\n\n" in text  # paragraphs
    assert len(default_text(1, chars=2_000)) <= 2_000


def test_check_text_accepts_and_normalises_line_endings():
    raw = ("One line.\r\nTwo lines.\rThree. " * 20).encode("utf-8")
    text = check_text(b"\xef\xbb\xbf" + raw)  # a byte-order mark is dropped
    assert "\r" not in text and text.startswith("One line.\nTwo lines.\nThree.")
    assert check_text("é" * MIN_TEXT_CHARS) == "é" * MIN_TEXT_CHARS


def test_bad_utf8_names_the_byte_offset():
    raw = b"a" * 300 + b"\xff" + b"b" * 10
    with pytest.raises(TextError, match=r"offset 300 \(0xff\).*UTF-8"):
        check_text(raw)
    with pytest.raises(TextError, match=r"offset 303"):  # counted in the file, byte-order mark included
        check_text(b"\xef\xbb\xbf" + raw)


@pytest.mark.parametrize("raw", [b"", "", "  \n\t\r\n  "])
def test_empty_text_is_refused(raw):
    with pytest.raises(TextError, match="empty"):
        check_text(raw)


def test_too_big_text_states_the_limit():
    with pytest.raises(TextError, match=f"at most {MAX_TEXT_CHARS:,}"):
        check_text("a" * (MAX_TEXT_CHARS + 1))
    with pytest.raises(TextError, match="at most 1,000"):
        check_text(b"a" * 4_001, max_chars=1_000)  # refused on its bytes, before decoding


def test_too_short_text_says_how_many_characters():
    with pytest.raises(TextError, match=f"only 12 characters; at least {MIN_TEXT_CHARS}"):
        check_text("Hello world.")


def test_too_many_distinct_characters_is_refused():
    with pytest.raises(TextError, match="different characters"):
        check_text("".join(chr(0x4E00 + i) for i in range(600)))
