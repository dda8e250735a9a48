"""Turning uploads into model inputs: huge and unreadable files are refused with plain words."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from playground.images import MAX_PIXELS, ImageError, image_from_bytes


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height pixels (8-bit grey), with one tiny compressed row: a bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(b"\0" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + pixels + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [30_000, 10_000, 5_000])
def test_a_picture_with_too_many_pixels_is_refused_before_decoding(side):
    # 30000² = 900 M pixels trips PIL's own bomb limit, 10000² = 100 M its warning, 5000² = 25 M only ours.
    assert side * side > MAX_PIXELS
    with pytest.raises(ImageError) as caught:
        image_from_bytes(png_header(side, side), (1, 8, 8), name="“huge.png”")
    message = str(caught.value)
    assert message.startswith("“huge.png” is too large")
    assert f"{side * side:,} pixels" in message or f"{side:,}×{side:,} pixels" in message
    assert f"{MAX_PIXELS:,} pixels" in message


def test_a_file_that_is_not_a_picture_is_named_plainly():
    with pytest.raises(ImageError) as caught:
        image_from_bytes(b"these are my notes, not a picture", (1, 8, 8), name="“notes.txt”")
    message = str(caught.value)
    assert message == "“notes.txt” is not a picture this page can read (it reads PNG, JPEG, BMP or GIF files)."
    assert "BytesIO" not in message and "0x" not in message


def test_a_picture_just_under_the_limit_is_read_and_resized():
    buffer = io.BytesIO()
    Image.fromarray(np.full((40, 20), 255, dtype=np.uint8)).save(buffer, format="PNG")
    x, note = image_from_bytes(buffer.getvalue(), (1, 8, 8))
    assert x.shape == (1, 8, 8) and float(x.min()) == 1.0
    assert note == "Resized from 20×40 to 8×8."


def test_the_pixel_limit_comes_from_the_settings(monkeypatch):
    import dataclasses

    from playground import settings as settings_module

    monkeypatch.setattr(settings_module, "_settings",
                        dataclasses.replace(settings_module.get_settings(), upload_max_pixels=800))
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((20, 40), dtype=np.uint8)).save(buffer, format="PNG")
    x, note = image_from_bytes(buffer.getvalue(), (1, 8, 8))  # 800 pixels: at the limit
    assert x.shape == (1, 8, 8) and note == "Resized from 40×20 to 8×8."
    with pytest.raises(ImageError, match="too large to open \\(41×20 pixels\\); pictures of up to 800 pixels"):
        image_from_bytes(png_header(41, 20), (1, 8, 8))
