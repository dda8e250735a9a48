"""The shared look of every playground figure: colours, scales, fonts and margins.

Colours come from the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2002),
which stays distinguishable for the common forms of colour blindness and on a washed-out
classroom projector. Where a colour carries meaning (right / wrong, error) the figure
also says it in text, so nothing depends on colour alone.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go

# Okabe–Ito, by name.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#999999"

TRAIN_COLOR = BLUE
VAL_COLOR = ORANGE
# Train and validation first, so traces without an explicit colour follow the same order.
PALETTE = [BLUE, ORANGE, BLUISH_GREEN, VERMILLION, REDDISH_PURPLE, SKY_BLUE, YELLOW, BLACK]

CORRECT_COLOR = BLUISH_GREEN
WRONG_COLOR = VERMILLION
ERROR_COLOR = VERMILLION

# Viridis is perceptually uniform, readable in grey scale and by colour-blind viewers,
# and its dark-to-bright ramp survives a projector better than pale single-hue scales.
SEQUENTIAL = "Viridis"
# Red for positive, blue for negative, white at zero; red/blue stays distinct for
# red-green colour blindness. Centre it with `zmid=0` (or `cmid=0`) on the trace.
DIVERGING = "RdBu_r"

FONT_SIZE = 14
# For projecting in class: readable from the back of the room.
LARGE_FONT_SIZE = 20
FONT_FAMILY = "Inter, 'Helvetica Neue', Arial, sans-serif"


_presenting: Callable[[], bool] = lambda: False


def set_presentation_check(check: Callable[[], bool]) -> None:
    """Let the app say when it is being projected: then every figure uses the large sizes.

    `check` is called each time a figure is styled (e.g. it reads the viewer's presentation switch),
    so the library itself needs no notion of who is watching.
    """
    global _presenting
    _presenting = check


def presenting() -> bool:
    try:
        return bool(_presenting())
    except Exception:  # a check that cannot answer (e.g. outside the app) means "not projecting"
        return False


def font_size(large: bool = False) -> int:
    """Base font size in pixels: 14, or 20 when `large` or projecting (presentation mode)."""
    return LARGE_FONT_SIZE if large or presenting() else FONT_SIZE


def small_font_size(large: bool = False) -> int:
    """Font size in pixels for secondary text (cell labels, subplot titles): 12 or 16."""
    return 16 if large or presenting() else 12


def line_width(large: bool = False) -> float:
    """Width in pixels of data lines: thicker when projecting."""
    return 3.5 if large or presenting() else 2.0


def apply_style(
    fig: go.Figure, *, title: str | None = None, height: int | None = None, large: bool = False
) -> go.Figure:
    """Give `fig` the playground look: white template, palette, readable fonts, tight margins.

    `title` is the figure title (none by default: pages usually put a heading above),
    `height` its height in pixels (left to Plotly when None), `large` switches to the
    projector font size. Changes `fig` in place and returns it, for chaining.
    """
    large = large or presenting()
    size = font_size(large)
    fig.update_layout(
        template="plotly_white",
        colorway=PALETTE,
        font={"family": FONT_FAMILY, "size": size, "color": "#000000" if large else "#222222"},
        hoverlabel={"font_size": size},
        legend={"font_size": size},
        margin={"l": 10, "r": 10, "t": (56 if large else 44) if title else 30, "b": 10},
    )
    if title is not None:
        fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left", "font_size": size + 4})
    if height is not None:
        fig.update_layout(height=height)
    # Axis titles and tick labels claim their own room, so the margins can stay small.
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if large:  # projectors wash out pale greys: darker grid and axis lines
        fig.update_xaxes(gridcolor="#B0B0B0", linecolor="#000000", zerolinecolor="#707070")
        fig.update_yaxes(gridcolor="#B0B0B0", linecolor="#000000", zerolinecolor="#707070")
    return fig


def add_message(
    fig: go.Figure,
    text: str,
    *,
    large: bool = False,
    row: int | None = None,
    col: int | None = None,
) -> go.Figure:
    """Write `text` in the middle of the plot area (or of subplot `row`, `col`); returns `fig`.

    Used for the empty states ("No epochs yet") so a page never shows a blank frame.
    """
    where = {"row": row, "col": col} if row is not None else {}
    fig.add_annotation(
        text=text,
        x=0.5,
        y=0.5,
        xref="x domain",
        yref="y domain",
        showarrow=False,
        font={"size": font_size(large) + 2, "color": "#555555"},
        **where,
    )
    return fig


def to_rgb_bytes(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) floats in [0, 1], C = 1 or 3 -> (N, H, W, 3) uint8 for `go.Image`."""
    x = np.asarray(images, dtype=float)
    if x.ndim == 3:  # (N, H, W): grayscale without a channel axis
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape (N, 1 or 3, H, W), got {x.shape}")
    x = np.nan_to_num(x, nan=0.0)
    pixels = np.rint(np.clip(x, 0.0, 1.0) * 255).astype(np.uint8).transpose(0, 2, 3, 1)
    if pixels.shape[-1] == 1:  # grayscale: equal R, G and B give the gray ramp
        pixels = np.repeat(pixels, 3, axis=-1)
    return pixels
