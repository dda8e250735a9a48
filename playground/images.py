"""Turning an uploaded picture into a model input: decoded safely, converted and resized."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 20_000_000  # refuse larger images before decoding them (decompression bombs)


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


def image_from_bytes(data: bytes, shape: tuple[int, int, int], *, invert: bool = False) -> tuple[torch.Tensor, str]:
    """Decode `data` (PNG, JPEG, ...) into a float tensor `shape` = (C, H, W) with values in [0, 1].

    C = 1 gives greyscale, C = 3 RGB. The picture is resized to H×W (aspect ratio not kept);
    `invert` turns dark-on-light drawings into the light-on-dark style of digits and shapes.
    Returns the tensor and a sentence saying what was done to the picture.
    """
    channels, height, width = shape
    try:
        picture = Image.open(io.BytesIO(data))
        if picture.width * picture.height > MAX_PIXELS:
            raise ImageError(f"This image is too large ({picture.width}×{picture.height} pixels).")
        picture = picture.convert("L" if channels == 1 else "RGB")
    except (UnidentifiedImageError, OSError) as e:
        raise ImageError(f"This file could not be read as an image ({e}).") from None
    original = picture.size
    picture = picture.resize((width, height), Image.Resampling.LANCZOS)
    array = np.asarray(picture, dtype=np.float32) / 255.0
    array = array[None] if channels == 1 else array.transpose(2, 0, 1)
    if invert:
        array = 1.0 - array
    note = f"Resized from {original[0]}×{original[1]} to {width}×{height}" + (", colours inverted." if invert else ".")
    return torch.from_numpy(np.ascontiguousarray(array)), note
