"""The detector's figures: test scenes with its boxes (class and score written on each, the truth dashed),
the loss terms' curves and mAP, and their live-board counterparts (chart series and canvas scenes)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import (
    BLACK,
    BLUE,
    BLUISH_GREEN,
    ORANGE,
    PALETTE,
    PLAIN,
    REDDISH_PURPLE,
    VERMILLION,
    Style,
    apply_style,
    to_rgb_bytes,
)
from playground.figures.vision.pixels import add_box

__all__ = ["GREYS", "MAP_CHART", "SCENE_FRAME", "TERMS_CHART", "TERM_COLORS", "TERM_NAMES", "boxes_scene",
           "detections_figure",
           "loss_terms_figure", "map_series", "term_series"]

TERM_NAMES = {"coord_xy": "centre (x, y)", "coord_wh": "size (√w, √h)", "object": "object confidence",
              "no_object": "no-object confidence", "classes": "classes", "total": "total"}
TERM_COLORS = {"coord_xy": BLUE, "coord_wh": ORANGE, "object": BLUISH_GREEN, "no_object": REDDISH_PURPLE,
               "classes": VERMILLION, "total": BLACK}
TERMS_CHART = {"x_title": "epoch", "y_title": "loss per picture", "y_format": "number", "height": 280}
MAP_CHART = {"x_title": "epoch", "y_title": "test mAP@0.5", "y_format": "number", "height": 280, "y_range": [0, 1]}
_DASHES = {"total": "dash"}


def _class_color(label: int) -> str:
    return PALETTE[int(label) % len(PALETTE)]


def term_series(history: pd.DataFrame) -> list[dict]:
    """Each loss term's curve over the epochs (and the total, dashed), as the live board's chart series."""
    from playground.live_encoding import series

    lines = []
    if not len(history) or "total" not in history:
        return lines
    rows = history.dropna(subset=["total"])
    for term, name in TERM_NAMES.items():
        if term in rows:
            line = series(name, rows["epoch"], rows[term], TERM_COLORS[term])
            lines.append({**line, "dash": True} if term == "total" else line)
    return lines


def map_series(history: pd.DataFrame) -> list[dict]:
    """mAP@0.5 on the test scenes over the epochs (from epoch 0, untrained), as a chart series."""
    from playground.live_encoding import series

    if not len(history) or "test_map" not in history:
        return []
    return [series("test mAP@0.5", history["epoch"], history["test_map"], BLUE)]


def loss_terms_figure(history: pd.DataFrame, *, style: Style = PLAIN) -> go.Figure:
    """Left: each loss term per epoch (mean over the epoch's batches; the total dashed), log scale, every
    curve named at its end. Right: the test mAP@0.5 per epoch, from the untrained network's (epoch 0)."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.1,
                        subplot_titles=("Loss, term by term", "Test mAP@0.5"))
    rows = history.dropna(subset=["total"]) if "total" in history else history.iloc[:0]
    for term, name in TERM_NAMES.items():
        if term not in rows or not len(rows):
            continue
        color = TERM_COLORS[term]
        fig.add_trace(go.Scatter(x=rows["epoch"], y=rows[term], mode="lines+markers", name=name,
                                 line={"color": color, "dash": _DASHES.get(term, "solid")}), row=1, col=1)
        fig.add_annotation(x=float(rows["epoch"].iloc[-1]), y=math.log10(max(float(rows[term].iloc[-1]), 1e-6)),
                           text=name, showarrow=False, xanchor="left", font={"color": color,
                                                                            "size": style.small_font_size},
                           row=1, col=1)
    if "test_map" in history and len(history):
        fig.add_trace(go.Scatter(x=history["epoch"], y=history["test_map"], mode="lines+markers",
                                 name="test mAP@0.5", line={"color": BLUE}, showlegend=False), row=1, col=2)
    fig.update_yaxes(type="log", title="loss per picture", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], title="mAP@0.5", row=1, col=2)
    fig.update_xaxes(title="epoch", tickformat="d")  # whole epochs only
    fig.update_layout(legend={"orientation": "h", "y": -0.2, "yanchor": "top"})
    return apply_style(fig, height=420, large=style.large)


def detections_figure(images, found: list[dict], truth: list[tuple], classes, *, columns: int = 4,
                      style: Style = PLAIN) -> go.Figure:
    """Test scenes side by side: each picture ((3, H, W) in [0, 1]) with its detections (`found[k]`: lists
    "boxes", "scores", "labels") drawn solid and labelled "class score", and its true boxes (`truth[k]`:
    (boxes, labels)) dashed black. Colour repeats the class; the text says it."""
    n = len(images)
    rows = max(1, math.ceil(n / columns))
    fig = make_subplots(rows=rows, cols=min(columns, n) or 1, horizontal_spacing=0.02, vertical_spacing=0.04)
    shown_truth = False
    for k in range(n):
        r, c = k // columns + 1, k % columns + 1
        pixels = to_rgb_bytes(np.asarray(images[k], dtype=float)[None])[0]
        fig.add_trace(go.Image(z=pixels, x0=0.5, y0=0.5, dx=1, dy=1, hoverinfo="skip", name=f"scene {k + 1}"),
                      row=r, col=c)
        size = pixels.shape[0]
        sub = go.Figure()
        for box, label in zip(*(list(v) for v in truth[k]), strict=True):
            add_box(sub, box, name="true box (dashed)", color=BLACK, dash="dash", width=2, style=style,
                    legend=not shown_truth)
            sub.data[-1].hovertext = f"true: {classes[int(label)]}"
            shown_truth = True
        for box, score, label in zip(found[k]["boxes"], found[k]["scores"], found[k]["labels"], strict=True):
            text = f"{classes[int(label)]} {float(score):.2f}"
            add_box(sub, box, name=text, color=_class_color(label), width=3, style=style, legend=False)
            fig.add_annotation(x=float(box[0]), y=float(box[1]), text=text, showarrow=False, xanchor="left",
                               yanchor="bottom", font={"size": style.small_font_size, "color": BLACK},
                               bgcolor="rgba(255,255,255,0.8)", row=r, col=c)
        for trace in sub.data:
            fig.add_trace(trace, row=r, col=c)
        fig.update_xaxes(range=[0, size], showticklabels=False, showgrid=False, zeroline=False, row=r, col=c)
        fig.update_yaxes(range=[size, 0], showticklabels=False, showgrid=False, zeroline=False, scaleanchor=None,
                         row=r, col=c)
    fig.update_layout(legend={"orientation": "h", "y": -0.02, "yanchor": "top"}, plot_bgcolor="#EEEEEE")
    return apply_style(fig, height=300 * rows + 60, large=style.large)


def _dashed(box, size: float, dash: float = 2.5) -> list[float]:
    """The outline of `box` (pixels, y down) as short segments (x0, y0, x1, y1, …) in scene coordinates
    (y up): a dashed line, for the canvas that draws only solid ones."""
    x1, y1, x2, y2 = (float(v) for v in box)
    corners = [(x1, y1), (x2, y1), (x2, y2), (x1, y2), (x1, y1)]
    out = []
    for (ax, ay), (bx, by) in zip(corners, corners[1:]):
        length = math.hypot(bx - ax, by - ay)
        steps = max(1, int(length // (2 * dash)))
        for s in range(steps):
            t0, t1 = s / steps, (s + 0.5) / steps
            out += [ax + (bx - ax) * t0, size - (ay + (by - ay) * t0),
                    ax + (bx - ax) * t1, size - (ay + (by - ay) * t1)]
    return out


def boxes_scene(image, found: dict, true_boxes, true_labels, classes) -> dict:
    """The live board's drawing of one test scene: the picture in grey (luminance, as −1..1 for the board's
    grey palette), the true boxes dashed white, the detections solid in their class's colour, each with a
    text "class score" at its top-left corner."""
    from playground.live_encoding import clean, picture

    pixels = np.asarray(image, dtype=float)
    if pixels.dtype != float or pixels.max() > 1.0:
        pixels = pixels / 255.0
    grey = 0.299 * pixels[0] + 0.587 * pixels[1] + 0.114 * pixels[2]  # (H, W), row 0 at the top
    size = grey.shape[0]
    lines = [{"color": "#FFFFFF", "width": 1.5, "xy": clean(sum((_dashed(b, size) for b in true_boxes), []))}]
    texts = []
    for box, score, label in zip(found["boxes"], found["scores"], found["labels"], strict=True):
        x1, y1, x2, y2 = (float(v) for v in box)
        xy = [x1, size - y1, x2, size - y1, x2, size - y1, x2, size - y2, x2, size - y2, x1, size - y2,
              x1, size - y2, x1, size - y1]
        lines.append({"color": _class_color(label), "width": 2.5, "xy": clean(xy)})
        texts.append({"x": x1, "y": min(size - y1 + 3, size - 2), "text": f"{classes[int(label)]} {float(score):.2f}",
                      "anchor": "start", "bold": True, "color": _class_color(label)})
    return {"images": [picture(grey[::-1] * 2 - 1, x=0, y=0, width=size, height=size)], "lines": lines,
            "texts": texts}


SCENE_FRAME = {"x_range": [0, 64], "y_range": [0, 64], "font": 11}
GREYS = ["#000000", "#808080", "#FFFFFF"]  # the board's palette for grey pictures: −1 black, 1 white
