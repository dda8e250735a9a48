"""What a live board draws, encoded for JSON: pictures as one byte a value, numbers rounded.

Figures (`playground.figures`) describe their live counterparts with these, and live feeds
(`playground.jobs.live`) send them; this module imports neither.
"""

from __future__ import annotations

import base64
import math

import numpy as np


def picture(values: np.ndarray, *, x: float, y: float, width: float, height: float) -> dict:
    """An image for a scene: (rows, cols) values in [-1, 1] (beyond: clipped; NaN: transparent), row 0
    at the bottom, placed with its lower-left corner at (x, y) and the given size in data units.

    The values travel as one byte each (base64): 0 is transparent, 1..255 map -1..1 evenly, so the
    browser colours them with the same blue–white–orange scale as the figures (±0.008 at most)."""
    values = np.asarray(values, dtype=float)
    codes = np.where(np.isnan(values), 0, np.round((np.clip(np.nan_to_num(values), -1, 1) + 1) / 2 * 254) + 1)
    return {"x": float(x), "y": float(y), "w": float(width), "h": float(height),
            "rows": int(values.shape[0]), "cols": int(values.shape[1]),
            "data": base64.b64encode(codes.astype(np.uint8).tobytes()).decode("ascii")}


def picture_values(image: dict) -> np.ndarray:
    """The values an encoded `picture` stands for (NaN where transparent): what the browser draws."""
    codes = np.frombuffer(base64.b64decode(image["data"]), dtype=np.uint8).reshape(image["rows"], image["cols"])
    return np.where(codes == 0, np.nan, (codes.astype(float) - 1) / 254 * 2 - 1)


def clean(values) -> list:
    """Numbers for JSON: floats rounded to 6 significant digits, NaN and infinities as None."""
    out = []
    for v in np.asarray(values, dtype=float).ravel().tolist():
        out.append(float(f"{v:.6g}") if math.isfinite(v) else None)
    return out


def series(name: str, x, y, color: str) -> dict:
    """One line of a chart."""
    return {"name": name, "x": clean(x), "y": clean(y), "color": color}
