"""The anchors at one feature-map location over a scene, and which of them match its ground-truth boxes."""

from __future__ import annotations

import plotly.graph_objects as go

from playground.figures.style import BLACK, BLUISH_GREEN, GREY, ORANGE, PLAIN, Style, apply_style
from playground.figures.vision.pixels import add_box, picture_figure

# How each training label is drawn: the words and the dash say it, the colour only repeats it.
_LOOK = {1: ("positive", "solid", BLUISH_GREEN), 0: ("negative", "dash", GREY), -1: ("ignored", "dot", ORANGE)}


def anchors_figure(image, anchors, names: list[str], labels, ious, *, boxes, box_names: list[str],
                   centre: tuple[float, float], style: Style = PLAIN) -> go.Figure:
    """`image` ((3, H, W) in [0, 1]) with its ground-truth `boxes` ((k, 4) xyxy, named `box_names`, thick
    black) and the `anchors` ((A, 4) xyxy) at one location `centre`, each labelled with its `names` entry
    ("scale:ratio") and its IoU (`ious`, (A,), with its best box): positive anchors (`labels` 1) solid,
    negative (0) dashed, ignored (−1) dotted. The axes grow to show anchors that cross the image's edge."""
    fig = picture_figure(image)
    size = fig.layout.xaxis.range[1]
    for box, name in zip(boxes, box_names, strict=True):
        add_box(fig, box, name=f"ground truth: {name}", color=BLACK, width=4, label=name, style=style)
    order = sorted(range(len(anchors)), key=lambda k: int(labels[k]))  # positives drawn last, on top
    for k in order:
        word, dash, color = _LOOK[int(labels[k])]
        text = f"{names[k]} {word}, IoU {float(ious[k]):.2f}"
        add_box(fig, anchors[k], name=text, color=color, dash=dash, width=3 if labels[k] == 1 else 1.5,
                label=f"{names[k]} ({float(ious[k]):.2f})" if labels[k] == 1 else None, style=style)
    fig.add_trace(go.Scatter(x=[centre[0]], y=[centre[1]], mode="markers", name="the location's centre",
                             marker={"size": 10, "symbol": "cross", "color": BLACK}))
    low = min(0.0, float(min(a[0] for a in anchors)), float(min(a[1] for a in anchors))) if len(anchors) else 0.0
    high = max(size, float(max(a[2] for a in anchors)), float(max(a[3] for a in anchors))) if len(anchors) else size
    fig.update_xaxes(range=[low - 1, high + 1])
    fig.update_yaxes(range=[high + 1, low - 1])
    fig.update_layout(legend={"orientation": "v", "x": 1.02, "y": 1, "font": {"size": style.small_font_size}},
                      plot_bgcolor="#EEEEEE")
    return apply_style(fig, height=560, large=style.large)
