"""Turning an uploaded picture into a model input: decoded safely, converted and resized."""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 20_000_000  # refuse larger images before decoding them (decompression bombs)
FORMATS = "PNG, JPEG, BMP or GIF"


class ImageError(ValueError):
    """An upload that is not a readable image."""


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
                     name: str = "This file") -> tuple[torch.Tensor, str]:
    """Decode `data` (PNG, JPEG, ...) into a float tensor `shape` = (C, H, W) with values in [0, 1].

    C = 1 gives greyscale, C = 3 RGB. The picture is resized to H×W (aspect ratio not kept);
    `invert` turns dark-on-light drawings into the light-on-dark style of digits and shapes.
    Only the header is read before the pixel count is checked against `MAX_PIXELS`, so a small file
    that would unpack to gigabytes is refused unread. `name` (the file's name) goes into messages.
    Returns the tensor and a sentence saying what was done to the picture; raises ImageError.
    """
    channels, height, width = shape
    try:
        with warnings.catch_warnings():  # PIL's own warning about a large picture: ours is the error below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))  # reads the header only
        _check_size(picture.width, picture.height, name)
        picture = picture.convert("L" if channels == 1 else "RGB")
    except ImageError:
        raise
    except Image.DecompressionBombError as e:  # PIL's own, larger limit: its message holds the count
        found = re.search(r"\((\d+) pixels\)", str(e))
        count = f"{int(found.group(1)):,} pixels" if found else f"over {MAX_PIXELS:,} pixels"
        raise ImageError(_too_large(name, count)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageError(f"{name} is not a picture this page can read (it reads {FORMATS} files).") from None
    original = picture.size
    picture = picture.resize((width, height), Image.Resampling.LANCZOS)
    array = np.asarray(picture, dtype=np.float32) / 255.0
    array = array[None] if channels == 1 else array.transpose(2, 0, 1)
    if invert:
        array = 1.0 - array
    note = f"Resized from {original[0]}×{original[1]} to {width}×{height}" + (", colours inverted." if invert else ".")
    return torch.from_numpy(np.ascontiguousarray(array)), note


def _check_size(width: int, height: int, name: str) -> None:
    if width * height > MAX_PIXELS:
        raise ImageError(_too_large(name, f"{width:,}×{height:,} pixels"))


def _too_large(name: str, size: str) -> str:
    return (f"{name} is too large to open ({size}); pictures of up to {MAX_PIXELS:,} pixels are accepted. "
            "Save a smaller copy and upload that.")
