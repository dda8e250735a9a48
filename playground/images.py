"""Turning an uploaded picture into a model input: decoded safely, converted and resized."""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from playground.settings import Settings, get_settings

# The default of `Settings.upload_max_pixels`: larger images are refused before they are decoded
# (decompression bombs). The limit in force is `max_pixels()`.
MAX_PIXELS = Settings.upload_max_pixels
FORMATS = "PNG, JPEG, BMP or GIF"


class ImageError(ValueError):
    """An upload that is not a readable image."""


def max_pixels() -> int:
    """The most pixels a picture may have (`Settings.upload_max_pixels`)."""
    return get_settings().upload_max_pixels


def reduce_jpeg(picture: Image.Image, size: tuple[int, int]) -> None:
    """Let a JPEG decode at 1/2, 1/4 or 1/8 scale while staying at least twice `size` (width, height).

    libjpeg then does a fraction of the work, and resizing from twice the target keeps the result as
    smooth as from the full picture. Other formats are left alone. Call before the pixels are read.
    """
    if picture.format == "JPEG":
        picture.draft(picture.mode, (2 * size[0], 2 * size[1]))


def image_from_pixels(pixels: np.ndarray, shape: tuple[int, int, int]) -> torch.Tensor:
    """A drawing's pixels (H, W, 3 or 4) as uint8 into a float tensor `shape` = (C, H, W) in [0, 1].

    The alpha channel, if any, is dropped; the picture is resized as in `image_from_bytes`.
    """
    channels, height, width = shape
    picture = Image.fromarray(np.asarray(pixels, dtype=np.uint8)[..., :3]).convert("L" if channels == 1 else "RGB")
    array = np.asarray(picture.resize((width, height), Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
    array = array[None] if channels == 1 else array.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(array))


def image_from_bytes(data: bytes, shape: tuple[int, int, int], *, invert: bool = False,
                     name: str = "This file", reduce: bool = False) -> tuple[torch.Tensor, str]:
    """Decode `data` (PNG, JPEG, ...) into a float tensor `shape` = (C, H, W) with values in [0, 1].

    C = 1 gives greyscale, C = 3 RGB. The picture is resized to H×W (aspect ratio not kept);
    `invert` turns dark-on-light drawings into the light-on-dark style of digits and shapes.
    Only the header is read before the pixel count is checked against `max_pixels()`, so a small file
    that would unpack to gigabytes is refused unread. `name` (the file's name) goes into messages.
    `reduce` decodes a large JPEG at a reduced scale first (`reduce_jpeg`): much faster, a little
    different in the last digits.
    Returns the tensor and a sentence saying what was done to the picture; raises ImageError.
    """
    channels, height, width = shape
    try:
        with warnings.catch_warnings():  # PIL's own warning about a large picture: ours is the error below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))  # reads the header only
        _check_size(picture.width, picture.height, name)
        original = picture.size
        if reduce:
            reduce_jpeg(picture, (width, height))
        picture = picture.convert("L" if channels == 1 else "RGB")
    except ImageError:
        raise
    except Image.DecompressionBombError as e:  # PIL's own, larger limit: its message holds the count
        found = re.search(r"\((\d+) pixels\)", str(e))
        count = f"{int(found.group(1)):,} pixels" if found else f"over {max_pixels():,} pixels"
        raise ImageError(_too_large(name, count)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageError(f"{name} is not a picture this page can read (it reads {FORMATS} files).") from None
    picture = picture.resize((width, height), Image.Resampling.LANCZOS)
    array = np.asarray(picture, dtype=np.float32) / 255.0
    array = array[None] if channels == 1 else array.transpose(2, 0, 1)
    if invert:
        array = 1.0 - array
    note = f"Resized from {original[0]}×{original[1]} to {width}×{height}" + (", colours inverted." if invert else ".")
    return torch.from_numpy(np.ascontiguousarray(array)), note


def _check_size(width: int, height: int, name: str) -> None:
    if width * height > max_pixels():
        raise ImageError(_too_large(name, f"{width:,}×{height:,} pixels"))


def _too_large(name: str, size: str) -> str:
    return (f"{name} is too large to open ({size}); pictures of up to {max_pixels():,} pixels are accepted. "
            "Save a smaller copy and upload that.")
