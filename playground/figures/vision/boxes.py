"""Two boxes with their intersection and union; a scene's detections during non-maximum suppression; and
precision–recall curves per class."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.figures.style import BLACK, BLUE, GREY, ORANGE, PALETTE, PLAIN, VERMILLION, Style, apply_style
from playground.figures.vision.pixels import add_box, picture_figure, rectangle_xy

# How each box is drawn during NMS: the dash and the legend's words say it, the colour only repeats it.
_NMS_LOOK = {"kept": ("solid", BLUE, 3.0), "kept now": ("solid", BLACK, 5.0),
             "suppressed now": ("dash", VERMILLION, 2.5), "suppressed": ("dash", GREY, 1.5),
             "waiting": ("dot", ORANGE, 1.5)}
_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross", "pentagon"]


def _filled(xy: tuple[list[float], list[float]], *, name: str, color: str, opacity: float) -> go.Scatter:
    xs, ys = xy
    return go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=color, opacity=opacity, name=name,
                      line={"width": 0}, hoverinfo="name")


def iou_figure(a, b, pair, *, style: Style = PLAIN) -> go.Figure:
    """Boxes `a` (solid) and `b` (dashed), each (x1, y1, x2, y2), their union shaded light and their
    intersection dark, every area named in the legend with its size; `pair` is their `boxes.PairIoU`.
    y grows downwards, as in a picture."""
    fig = go.Figure()
    for box, name in ((a, "A"), (b, "B")):  # the union: both boxes shaded alike
        fig.add_trace(_filled(rectangle_xy(box), name=f"union ({pair.union:g} px²)" if name == "A" else "union",
                              color=GREY, opacity=0.35))
        fig.data[-1].showlegend = name == "A"
        fig.data[-1].legendgroup = "union"
    if pair.intersection_box is not None:
        fig.add_trace(_filled(rectangle_xy(pair.intersection_box), name=f"intersection ({pair.intersection:g} px²)",
                              color=BLACK, opacity=0.55))
    add_box(fig, a, name=f"box A ({pair.area_a:g} px²)", color=BLUE, label="A", style=style, width=3)
    add_box(fig, b, name=f"box B ({pair.area_b:g} px²)", color=ORANGE, dash="dash", label="B", style=style, width=3)
    low = min(float(a[0]), float(a[1]), float(b[0]), float(b[1]))
    high = max(float(a[2]), float(a[3]), float(b[2]), float(b[3]))
    pad = 0.08 * (high - low) + 1
    fig.update_xaxes(range=[low - pad, high + pad], title="x (pixels)", constrain="domain")
    fig.update_yaxes(range=[high + pad, low - pad], title="y (pixels, downwards)", scaleanchor="x", constrain="domain")
    fig.update_layout(title=f"IoU = {pair.intersection:g} / {pair.union:g} = {pair.iou:.3f}",
                      legend={"orientation": "v", "x": 1.02, "y": 1})
    return apply_style(fig, height=460, large=style.large)


def nms_figure(image, boxes, texts: list[str], states: list[str], *, style: Style = PLAIN) -> go.Figure:
    """`image` ((3, H, W) in [0, 1]) with detections `boxes` ((K, 4) xyxy), each with its `texts` entry
    (class and score) and its state in NMS: "kept", "kept now", "suppressed now", "suppressed" or
    "waiting" (solid for kept, dashed for suppressed, dotted for waiting; the legend says which)."""
    fig = picture_figure(image)
    order = sorted(range(len(boxes)), key=lambda k: list(_NMS_LOOK).index(states[k]), reverse=True)
    shown = set()
    for k in order:  # waiting first, so the kept boxes lie on top
        dash, color, width = _NMS_LOOK[states[k]]
        labelled = states[k] in ("kept", "kept now", "suppressed now")
        add_box(fig, boxes[k], name=f"{states[k]}: {texts[k]}", color=color, dash=dash, width=width, style=style,
                label=texts[k] if labelled else None)
        fig.data[-1].legendgroup = states[k]
        fig.data[-1].showlegend = states[k] not in shown
        fig.data[-1].name = states[k]
        fig.data[-1].hovertext = texts[k]
        shown.add(states[k])
    fig.update_layout(legend={"orientation": "v", "x": 1.02, "y": 1, "font": {"size": style.small_font_size}},
                      plot_bgcolor="#EEEEEE")
    return apply_style(fig, height=520, large=style.large)


def pr_curves_figure(curves, classes, *, style: Style = PLAIN) -> go.Figure:
    """Precision against recall per class (`curves`: `boxes.PRCurve`s, `classes`: their names): the measured
    points, and the non-increasing envelope whose area is the AP (dotted). Each class is named at its curve's
    end and in the legend with its AP; classes without a true box are left out."""
    fig = go.Figure()
    for k, (curve, name) in enumerate(zip(curves, classes, strict=True)):
        if not curve.ground_truths or not len(curve.recall):
            continue
        color = PALETTE[k % len(PALETTE)]
        r = np.concatenate([[0.0], curve.recall])
        p = np.concatenate([[0.0], curve.precision])  # the start takes the best precision after it
        envelope = np.maximum.accumulate(p[::-1])[::-1]
        fig.add_trace(go.Scatter(x=curve.recall, y=curve.precision, mode="lines+markers",
                                 name=f"{name}: AP {curve.ap:.2f}", legendgroup=name, line={"color": color},
                                 marker={"symbol": _SYMBOLS[k % len(_SYMBOLS)], "size": 7}))
        fig.add_trace(go.Scatter(x=r, y=envelope, mode="lines", line={"color": color, "dash": "dot", "shape": "vh"},
                                 name=f"{name}: envelope", legendgroup=name, showlegend=False, hoverinfo="name"))
        fig.add_annotation(x=float(curve.recall[-1]), y=float(curve.precision[-1]), text=name, showarrow=False,
                           xanchor="left", font={"color": color, "size": style.small_font_size})
    fig.update_xaxes(range=[0, 1.12], title="recall (share of true boxes found)")
    fig.update_yaxes(range=[0, 1.05], title="precision (share of detections that are right)")
    return apply_style(fig, height=420, large=style.large)
