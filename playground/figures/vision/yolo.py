"""The YOLO grid over a scene: the S×S cells, one picked cell, and the box its numbers make."""

from __future__ import annotations

import plotly.graph_objects as go

from playground.figures.style import BLACK, BLUE, GREY, PLAIN, VERMILLION, YELLOW, Style, apply_style
from playground.figures.vision.pixels import add_box, picture_figure


def yolo_grid_figure(image, boxes, box_names: list[str], *, S: int, cell: tuple[int, int],
                     predicted=(), style: Style = PLAIN) -> go.Figure:
    """`image` ((3, H, W) in [0, 1]) with its ground-truth `boxes` ((k, 4) xyxy pixels, named `box_names`,
    dashed), an S×S grid, the picked `cell` (row, column) outlined, and each of its `predicted` boxes
    (`playground.vision.yolo.CellBox` and a label, pairs) drawn solid with its centre dot and cell corner.

    A faint dot at each cell's centre is the click target: a click's x and y say which cell.
    """
    fig = picture_figure(image)
    size = fig.layout.xaxis.range[1]
    step = size / S
    for k in range(1, S):  # the grid lines
        fig.add_shape(type="line", x0=k * step, x1=k * step, y0=0, y1=size, line={"color": "white", "width": 1})
        fig.add_shape(type="line", x0=0, x1=size, y0=k * step, y1=k * step, line={"color": "white", "width": 1})
    for box, name in zip(boxes, box_names, strict=True):
        add_box(fig, box, name=f"ground truth: {name}", color=BLACK, dash="dash", label=name, style=style,
                legend=False)
    centres = [((c + 0.5) * step, (r + 0.5) * step, r, c) for r in range(S) for c in range(S)]
    fig.add_trace(go.Scatter(x=[p[0] for p in centres], y=[p[1] for p in centres], mode="markers",
                             name="cells (click one)", showlegend=False,
                             customdata=[[p[2], p[3]] for p in centres],
                             hovertemplate="row %{customdata[0]}, column %{customdata[1]}<extra>click to pick</extra>",
                             marker={"size": max(6, min(18, 240 / S)), "color": GREY, "opacity": 0.35}))
    row, col = cell
    fig.add_shape(type="rect", x0=col * step, x1=(col + 1) * step, y0=row * step, y1=(row + 1) * step,
                  line={"color": YELLOW, "width": 4 * style.line_width / 2})
    fig.add_annotation(x=(col + 0.5) * step, y=row * step, text=f"cell (row {row}, column {col})", showarrow=False,
                       yanchor="bottom", font={"size": style.small_font_size, "color": BLACK},
                       bgcolor="rgba(240,228,66,0.85)")
    for steps, label in predicted:
        add_box(fig, steps.corners, name=label, color=VERMILLION, width=3, style=style)
        fig.add_trace(go.Scatter(x=[steps.centre[0]], y=[steps.centre[1]], mode="markers+text",
                                 name=f"{label}: centre",
                                 text=[f"centre ({steps.centre[0]:.1f}, {steps.centre[1]:.1f})"],
                                 textposition="bottom center", showlegend=False,
                                 textfont={"size": style.small_font_size, "color": VERMILLION},
                                 marker={"size": 10, "color": VERMILLION, "line": {"color": "white", "width": 1.5}}))
        fig.add_trace(go.Scatter(x=[steps.origin[0]], y=[steps.origin[1]], mode="markers", showlegend=False,
                                 name=f"cell corner ({steps.origin[0]:.1f}, {steps.origin[1]:.1f})",
                                 hoverinfo="name", marker={"size": 9, "symbol": "x", "color": BLUE}))
    fig.update_layout(legend={"orientation": "h", "y": -0.04, "yanchor": "top"}, dragmode=False)
    return apply_style(fig, height=560, large=style.large)
