"""Figures for transposed convolution, step by step: the input with the value being stamped, the scaled
kernel, the canvas so far with the window written and the padding that cropping removes, overlap counts.

Pure: arrays in, Plotly figures out. Every grid writes its numbers in the cells; what is highlighted is
also outlined and named in text, so nothing depends on colour alone.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import BLACK, DIVERGING, PLAIN, SEQUENTIAL, VERMILLION, Style, apply_style

__all__ = ["canvas_figure", "input_figure", "overlap_figure", "stamp_figure"]

_CELL = 40  # pixels per grid row, so the numbers fit
_GRAY = [[0.0, "#FFFFFF"], [1.0, "#7F7F7F"]]  # light to mid grey: black numbers stay readable on every cell


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _heatmap(values: np.ndarray, *, signed: bool, style: Style, colorscale=None,
             blank: np.ndarray | None = None, text_color: str | None = BLACK) -> go.Heatmap:
    """Numbers in cells; `text_color` None lets Plotly pick black or white against each cell."""
    shown = np.asarray(values, dtype=float).copy()
    if blank is not None:
        shown[blank] = np.nan
    scale = float(np.nanmax(np.abs(shown))) if np.isfinite(shown).any() else 1.0
    scale = scale or 1.0
    text = [["" if np.isnan(v) else _fmt(v) for v in row] for row in shown]
    return go.Heatmap(z=shown, colorscale=colorscale or (DIVERGING if signed else _GRAY),
                      zmin=-scale if signed else 0.0, zmax=scale, showscale=False, xgap=1, ygap=1,
                      text=text, texttemplate="%{text}", textfont={"size": style.small_font_size, "color": text_color},
                      hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>")


def _square_axes(fig: go.Figure, col: int | None = None) -> None:
    """Square cells, row 0 at the top, no ticks; `col` picks a subplot of a one-row grid."""
    where = {} if col is None else {"row": 1, "col": col}
    anchor = "x" if col in (None, 1) else f"x{col}"
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, showline=False, constrain="domain",
                     **where)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, showline=False, autorange="reversed",
                     scaleanchor=anchor, constrain="domain", **where)


def _rect(fig: go.Figure, box: tuple[int, int, int, int], line: dict) -> None:
    """Outline `box` = (top, left, height, width) in cells."""
    top, left, height, width = box
    fig.add_shape(type="rect", x0=left - 0.5, x1=left + width - 0.5, y0=top - 0.5, y1=top + height - 0.5,
                  line=line)


def _height(rows: int, style: Style, extra: int = 90) -> int:
    return int(min(max(rows * _CELL + extra, 200), 560) * style.height_scale)


def input_figure(image: np.ndarray, *, current: tuple[int, int] | None = None, title: str = "input",
                 style: Style = PLAIN) -> go.Figure:
    """The input grid (H, W) with its numbers; `current` = (row, col) is outlined and named in the title
    ("input: x[row, col] = value")."""
    image = np.asarray(image, dtype=float)
    fig = go.Figure(_heatmap(image, signed=bool((image < 0).any()), style=style))
    if current is not None:
        row, col = current
        _rect(fig, (row, col, 1, 1), {"color": VERMILLION, "width": 5})
        title = f"{title}: x[{row}, {col}] = {_fmt(image[row, col])}"  # short: it shares a row with the stamp
    _square_axes(fig)
    return apply_style(fig, title=title, height=_height(image.shape[0], style), large=style.large)


def stamp_figure(kernel: np.ndarray, value: float, scaled: np.ndarray, *, style: Style = PLAIN) -> go.Figure:
    """One stamp: the kernel, times the input value, gives what is added to the output."""
    kernel, scaled = np.asarray(kernel, dtype=float), np.asarray(scaled, dtype=float)
    titles = ("kernel", f"× {_fmt(value)} =", "added to the output")
    fig = make_subplots(rows=1, cols=2, subplot_titles=(titles[0], f"{titles[1]} {titles[2]}"),
                        horizontal_spacing=0.12)
    for col, grid in enumerate((kernel, scaled), start=1):
        fig.add_trace(_heatmap(grid, signed=bool((grid < 0).any()), style=style), row=1, col=col)
        _square_axes(fig, col)
    return apply_style(fig, height=_height(kernel.shape[0], style, extra=110), large=style.large)


def _hatch(fig: go.Figure, top: float, left: float, height: float, width: float, *, first: bool) -> None:
    """A hatched rectangle of cells (nothing drawn when it is empty)."""
    if height <= 0 or width <= 0:
        return
    y0, y1, x0, x1 = top - 0.5, top + height - 0.5, left - 0.5, left + width - 0.5
    fig.add_trace(go.Scatter(x=[x0, x1, x1, x0, x0], y=[y0, y0, y1, y1, y0], mode="lines", fill="toself",
                             fillcolor="rgba(0,0,0,0)", fillpattern={"shape": "/", "fgcolor": BLACK, "size": 8,
                                                                     "solidity": 0.15},
                             line={"width": 0}, name="padding: cropped away", legendgroup="cropped",
                             showlegend=first, hoverinfo="skip"))


def canvas_figure(canvas: np.ndarray, *, window: tuple[int, int, int, int] | None = None,
                  crop: tuple[int, int, int, int] | None = None, title: str = "output so far (before cropping)",
                  style: Style = PLAIN) -> go.Figure:
    """The stamped canvas (Hc, Wc) with its numbers.

    `window` = (top, left, height, width) is outlined solid: the cells the current stamp wrote. `crop` =
    (top, left, height, width) is the part kept as the output, outlined dashed; everything outside it is
    hatched (the padding that cropping removes) and named in the legend.
    """
    canvas = np.asarray(canvas, dtype=float)
    fig = go.Figure(_heatmap(canvas, signed=bool((canvas < 0).any()), style=style))
    rows, cols = canvas.shape
    if crop is not None:
        top, left, height, width = crop
        bands = [(0, 0, top, cols), (top + height, 0, rows - top - height, cols),  # above and below
                 (top, 0, height, left), (top, left + width, height, cols - left - width)]  # left and right
        drawn = False
        for band in bands:
            _hatch(fig, *band, first=not drawn)
            drawn = drawn or (band[2] > 0 and band[3] > 0)
        if drawn:
            _rect(fig, crop, {"color": BLACK, "width": 3, "dash": "dash"})
    if window is not None:
        _rect(fig, window, {"color": VERMILLION, "width": 5})
    _square_axes(fig)
    fig.update_xaxes(range=[-0.5, cols - 0.5])
    fig.update_yaxes(range=[rows - 0.5, -0.5], autorange=False)
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.02, "x": 0})
    return apply_style(fig, title=title, height=_height(rows, style, extra=120), large=style.large)


def overlap_figure(counts: np.ndarray, *, title: str = "stamps per output pixel", style: Style = PLAIN) -> go.Figure:
    """How many stamps land on each output pixel (H', W'), the count written in every cell."""
    counts = np.asarray(counts, dtype=float)
    fig = go.Figure(_heatmap(counts, signed=False, style=style, colorscale=SEQUENTIAL, text_color=None))
    fig.data[0].update(zmin=0.0, zmax=float(counts.max()) or 1.0,
                       hovertemplate="row %{y}, column %{x}: %{z} stamps<extra></extra>")
    _square_axes(fig)
    return apply_style(fig, title=title, height=_height(counts.shape[0], style), large=style.large)
