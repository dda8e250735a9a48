"""A scene's picture in pixel coordinates, and rectangles drawn over it: what the YOLO and anchor figures share.

Pixel (row i, column j) covers x from j to j + 1 and y from i to i + 1, with y growing downwards as in the
image, so a box's (x1, y1, x2, y2) in pixels is drawn exactly where the detector means it.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.figures.style import BLACK, PLAIN, Style, to_rgb_bytes


def picture_figure(image, *, name: str = "scene") -> go.Figure:
    """A figure holding `image` ((3, H, W) floats in [0, 1]) with pixel edges on whole numbers, y downwards."""
    pixels = to_rgb_bytes(np.asarray(image, dtype=float)[None])[0]
    fig = go.Figure(go.Image(z=pixels, x0=0.5, y0=0.5, dx=1, dy=1, name=name, hoverinfo="skip"))
    height, width = pixels.shape[:2]
    fig.update_xaxes(range=[0, width], showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(range=[height, 0], showgrid=False, zeroline=False, scaleanchor="x", constrain="domain")
    return fig


def rectangle_xy(box) -> tuple[list[float], list[float]]:
    """The closed outline of `box` (x1, y1, x2, y2) as x and y lists for a line trace."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return [x1, x2, x2, x1, x1], [y1, y1, y2, y2, y1]


def add_box(fig: go.Figure, box, *, name: str, color: str = BLACK, dash: str = "solid", width: float = 2.0,
            label: str | None = None, style: Style = PLAIN, legend: bool = True) -> None:
    """Draw `box` as a closed line named `name` (in the legend and on hover), with `label` written at its
    top-left corner when given."""
    xs, ys = rectangle_xy(box)
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=name, showlegend=legend, hoverinfo="name",
                             line={"color": color, "dash": dash, "width": width * style.line_width / 2}))
    if label:
        fig.add_annotation(x=xs[0], y=ys[0], text=label, showarrow=False, xanchor="left", yanchor="bottom",
                           font={"size": style.small_font_size, "color": color}, bgcolor="rgba(255,255,255,0.75)")
