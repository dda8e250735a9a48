"""Figures for convolution and pooling, step by step: numbered grids, a sliding window, feature maps."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import DIVERGING, apply_style

_WINDOW_COLOR = "#D55E00"  # vermillion: the window being multiplied
_GRAY = [[0.0, "#000000"], [1.0, "#FFFFFF"]]
_NUMBERED_MAX = 16  # grids up to this size get their numbers written in the cells


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _heatmap(values: np.ndarray, *, colorscale, zmid=None, numbers: bool, blank: np.ndarray | None = None,
             showscale: bool = False) -> go.Heatmap:
    shown = values.astype(float).copy()
    if blank is not None:
        shown[blank] = np.nan
    text = None
    if numbers:
        text = [["" if np.isnan(v) else _fmt(v) for v in row] for row in shown]
    return go.Heatmap(z=shown, colorscale=colorscale, zmid=zmid, showscale=showscale, xgap=1, ygap=1,
                      text=text, texttemplate="%{text}" if numbers else None,
                      hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>")


def _square_axes(fig: go.Figure, row: int | None = None, col: int | None = None) -> None:
    kwargs = {} if row is None else {"row": row, "col": col}
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain", **kwargs)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed",
                     scaleanchor="x" if row is None else None, **kwargs)


def grid_figure(values: np.ndarray, *, title: str | None = None, window: tuple[int, int, int, int] | None = None,
                signed: bool | None = False, blank: np.ndarray | None = None, large: bool = False) -> go.Figure:
    """A 2-D array (H, W) as a heatmap, with each value written in its cell when the grid is small.

    `window` = (top, left, height, width) outlines the cells under the kernel; `blank` (bool, H×W)
    hides cells not computed yet; `signed` centres a diverging scale on zero (None: when any value is
    negative).
    """
    values = np.asarray(values, dtype=float)
    if signed is None:
        signed = bool((values < 0).any())
    numbers = max(values.shape) <= _NUMBERED_MAX
    colorscale = DIVERGING if signed else _GRAY
    zmid = 0.0 if signed else None
    fig = go.Figure(_heatmap(values, colorscale=colorscale, zmid=zmid, numbers=numbers, blank=blank,
                             showscale=signed))
    if window is not None:
        top, left, height, width = window
        fig.add_shape(type="rect", x0=left - 0.5, x1=left + width - 0.5, y0=top - 0.5, y1=top + height - 0.5,
                      line={"color": _WINDOW_COLOR, "width": 4})
    _square_axes(fig)
    side = 34 if numbers else 6
    height = int(min(max(values.shape[0] * side + 80, 220), 520))
    return apply_style(fig, title=title, height=height, large=large)


def step_figure(window: np.ndarray, kernel: np.ndarray, products: np.ndarray, total: float, *,
                operation: str = "×", large: bool = False) -> go.Figure:
    """The multiply-add of one position: the window, the kernel, their products, and the sum."""
    titles = ("input under the window", "kernel" if operation == "×" else "", "products", f"sum = {_fmt(total)}")
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles[:3], horizontal_spacing=0.06)
    for col, grid in enumerate((window, kernel, products), start=1):
        signed = col > 1 and np.nanmin(grid) < 0
        fig.add_trace(_heatmap(np.asarray(grid, dtype=float), colorscale=DIVERGING if signed else "Blues",
                               zmid=0.0 if signed else None, numbers=True), row=1, col=col)
        _square_axes(fig, row=1, col=col)
    fig.add_annotation(text=f"<b>{titles[3]}</b>", xref="paper", yref="paper", x=1.0, y=-0.12, showarrow=False,
                       font={"size": 18 if not large else 24})
    return apply_style(fig, height=300 if not large else 380, large=large)


def maps_figure(maps: np.ndarray, titles: list[str], *, columns: int = 4, signed: bool = True,
                large: bool = False) -> go.Figure:
    """Several 2-D maps (N, H, W) side by side, each on its own colour range (feature maps, kernels)."""
    maps = np.asarray(maps, dtype=float)
    n = len(maps)
    columns = max(1, min(columns, n))
    rows = max(1, -(-n // columns))
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles, horizontal_spacing=0.03,
                        vertical_spacing=0.08 if rows > 1 else 0.0)
    for i, grid in enumerate(maps):
        row, col = divmod(i, columns)
        scale = float(np.abs(grid).max()) or 1.0
        fig.add_trace(go.Heatmap(z=grid, colorscale=DIVERGING if signed else "Viridis", zmid=0 if signed else None,
                                 zmin=-scale if signed else None, zmax=scale if signed else None, showscale=False,
                                 hovertemplate="%{z:.3f}<extra></extra>"), row=row + 1, col=col + 1)
        _square_axes(fig, row=row + 1, col=col + 1)
    return apply_style(fig, height=rows * (200 if not large else 260) + 40, large=large)
