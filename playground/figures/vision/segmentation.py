"""Figures for semantic segmentation: pictures with their true and predicted masks, IoU per class against
the all-background baseline, the curves of pixel accuracy and mean IoU, and what sliding windows cost.

Pure: arrays in, Plotly figures (or a live board's scene) out. Every mask has a legend naming each
class and hover text with the class under the pointer, so nothing depends on colour alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import (
    BLUE,
    BLUISH_GREEN,
    GREY,
    ORANGE,
    PLAIN,
    REDDISH_PURPLE,
    VERMILLION,
    Style,
    apply_style,
)

__all__ = ["CLASS_COLOURS", "MASK_PALETTE", "SCORES_CHART", "cost_figure", "curves_figure", "iou_figure",
           "mask_frame", "mask_scene", "masks_figure", "mask_values", "score_series"]

# Background, square, circle, triangle, cross (mask values 0..4).
CLASS_COLOURS = ("#F2F2F2", BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE)
MASK_PALETTE = list(CLASS_COLOURS)  # a live board's palette: mask value k is drawn at -1 + k/2 (`mask_values`)
SCORES_CHART = {"x_title": "epoch", "y_title": "on the test scenes", "y_format": "percent", "height": 260,
                "y_range": [0.0, 1.0]}
_GAP = 0.15  # space between the live board's masks, in mask sides


def mask_values(mask: np.ndarray, classes: int = len(CLASS_COLOURS)) -> np.ndarray:
    """Mask values 0..classes-1 as a live picture's values: evenly spaced stops from -1 to 1, each the exact
    place of its class's colour in `MASK_PALETTE`."""
    return -1.0 + 2.0 * np.asarray(mask, dtype=float) / (classes - 1)


def mask_frame(size: int, shown: int, names: tuple[str, ...]) -> dict:
    """What stays put on the live board's mask scene: the row titles and the class legend (names written in
    their colours' order). Masks sit in two rows (true on top, predicted below), `shown` columns."""
    step = 1 + _GAP
    width = shown * step - _GAP
    # The legend in two lines of at most three names: on one line it ran past the scene's edge at 1280 px.
    names = [f"{k}: {name}" for k, name in enumerate(names)]
    names[0] = names[0].replace("background", "background (grey)")
    lines = ["   ".join(names[i:i + 3]) for i in range(0, len(names), 3)]
    return {"x_range": [-0.9, width], "y_range": [-0.3 - 0.28 * len(lines), 2 * step], "font": 13,
            "texts": [{"text": "true", "x": -0.45, "y": step + 0.5, "bold": True},
                      {"text": "predicted", "x": -0.45, "y": 0.5, "bold": True},
                      *[{"text": ("Colours: " if i == 0 else "") + line, "x": width / 2, "y": -0.2 - 0.28 * i}
                        for i, line in enumerate(lines)]]}


def mask_scene(truth: np.ndarray, predicted: np.ndarray | None) -> dict:
    """The live board's mask scene: true masks (shown, S, S) on the top row, predicted ones (or nothing yet)
    below, each one unit a side; pictures with row 0 at the bottom, so the masks are flipped."""
    from playground.live_encoding import picture

    step = 1 + _GAP
    images = []
    for row, masks in ((1, truth), (0, predicted)):
        if masks is None:
            continue
        for i, mask in enumerate(masks):
            images.append(picture(mask_values(mask[::-1]), x=i * step, y=row * step, width=1, height=1))
    return {"images": images}


def _class_hover(mask: np.ndarray, names: tuple[str, ...]) -> list[list[str]]:
    return [[names[int(v)] for v in row] for row in np.asarray(mask)]


def masks_figure(images: np.ndarray, truth: np.ndarray, predicted: np.ndarray, names: tuple[str, ...], *,
                 style: Style = PLAIN) -> go.Figure:
    """One row per scene: the picture, its true mask, the predicted mask. `images` (N, 3, S, S) in [0, 1],
    masks (N, S, S) ints indexing `names`. Hovering a mask names the class; the legend lists every class."""
    n = len(images)
    fig = make_subplots(rows=n, cols=3, column_titles=["picture", "true mask", "predicted mask"],
                        horizontal_spacing=0.02, vertical_spacing=0.02)
    top = len(names) - 1  # a discrete colour scale: value k is coloured CLASS_COLOURS[k] over [k - ½, k + ½]
    scale = [stop for k, c in enumerate(CLASS_COLOURS[:len(names)])
             for stop in ([max(k - 0.5, 0) / top, c], [min(k + 0.5, top) / top, c])]
    for r in range(n):
        rgb = np.clip(np.asarray(images[r]).transpose(1, 2, 0) * 255, 0, 255).astype(np.uint8)
        fig.add_trace(go.Image(z=rgb, hovertemplate="row %{y}, column %{x}<extra></extra>"), row=r + 1, col=1)
        for c, mask in ((2, truth[r]), (3, predicted[r])):
            fig.add_trace(go.Heatmap(z=np.asarray(mask), zmin=0, zmax=len(names) - 1, colorscale=scale,
                                     showscale=False, customdata=_class_hover(mask, names),
                                     hovertemplate="row %{y}, column %{x}: %{customdata}<extra></extra>"),
                          row=r + 1, col=c)
    for k, name in enumerate(names):  # the legend: one square marker per class
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, showlegend=True,
                                 marker={"symbol": "square", "size": 14, "color": CLASS_COLOURS[k],
                                         "line": {"color": "#555555", "width": 1}}), row=1, col=1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    for r in range(n):
        for c in range(1, 4):
            index = r * 3 + c
            fig.update_yaxes(scaleanchor="x" if index == 1 else f"x{index}", row=r + 1, col=c)
    height = int((170 * n + 90) * style.height_scale)
    apply_style(fig, height=height, large=style.large)
    fig.update_layout(legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0.5, "xanchor": "center"})
    return fig


def iou_figure(iou: np.ndarray, baseline_iou: np.ndarray, names: tuple[str, ...], *, miou: float,
               baseline_miou: float, style: Style = PLAIN) -> go.Figure:
    """IoU of each class on the test scenes: the network's bars beside the all-background baseline's, the
    values written on the bars (a class that appears nowhere is left blank)."""
    def shown(values):
        return [("–" if not np.isfinite(v) else f"{v:.2f}") for v in values]

    fig = go.Figure()
    for label, values, colour in ((f"network (mean IoU {miou:.2f})", iou, BLUE),
                                  (f"always background (mean IoU {baseline_miou:.2f})", baseline_iou, GREY)):
        values = np.asarray(values, dtype=float)
        fig.add_trace(go.Bar(x=list(names), y=np.nan_to_num(values), name=label, marker_color=colour,
                             text=shown(values), textposition="outside",
                             hovertemplate="%{x}: IoU %{text}<extra>" + label + "</extra>"))
    apply_style(fig, height=int(320 * style.height_scale), large=style.large)
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                      yaxis={"title": "IoU (intersection ÷ union)", "range": [0, 1.12]})
    return fig


def score_series(history: pd.DataFrame, baseline: dict | None = None) -> list[dict]:
    """What `curves_figure` draws, as the live board's chart: test pixel accuracy and mean IoU by epoch."""
    from playground.live_encoding import series

    lines = []
    if len(history) and "miou" in history:
        lines.append(series("pixel accuracy", history["epoch"], history["val_acc"], ORANGE))
        lines.append(series("mean IoU", history["epoch"], history["miou"], BLUE))
    if baseline is not None and len(history):
        last = float(history["epoch"].max()) or 1.0
        # A short name: the board's legend is one line, and a longer one was cut off at 1280 px.
        lines.append({**series("background only", [0, last],
                               [baseline["miou"]] * 2, GREY), "dash": True})
    return lines


def curves_figure(history: pd.DataFrame, baseline: dict, *, style: Style = PLAIN) -> go.Figure:
    """Test pixel accuracy and mean IoU against the epoch, each with the all-background baseline dotted
    (`baseline`: {"pixel_accuracy", "miou"}), and the training loss on its own axis below."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.08)
    last = float(history["epoch"].max()) if len(history) else 1.0
    for name, column, colour, base in (("pixel accuracy", "val_acc", ORANGE, baseline["pixel_accuracy"]),
                                       ("mean IoU", "miou", BLUE, baseline["miou"])):
        fig.add_trace(go.Scatter(x=history["epoch"], y=history[column], name=f"test {name}", mode="lines+markers",
                                 line={"color": colour, "width": style.line_width},
                                 hovertemplate="epoch %{x}: %{y:.1%}<extra>" + name + "</extra>"), row=1, col=1)
        fig.add_trace(go.Scatter(x=[0, last], y=[base, base], name=f"always background: {name} {base:.0%}",
                                 mode="lines", line={"color": colour, "dash": "dot", "width": 1.5},
                                 hovertemplate=f"always background: {name} {base:.1%}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=history["epoch"], y=history["train_loss"], name="training loss", mode="lines",
                             line={"color": VERMILLION, "width": style.line_width},
                             hovertemplate="epoch %{x}: loss %{y:.3f}<extra></extra>"), row=2, col=1)
    apply_style(fig, height=int(440 * style.height_scale), large=style.large)
    fig.update_yaxes(title="test", tickformat=".0%", range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(title="loss", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title="epoch", row=2, col=1)
    return fig


def cost_figure(cost: dict, *, style: Style = PLAIN) -> go.Figure:
    """Multiply-adds to label every pixel of one picture (log axis): the FCN's one pass against the sliding
    window's one pass per pixel (`segmentation.sliding_window_cost`), passes and totals written on the bars."""
    labels = ["fully convolutional network", "sliding-window classifier"]
    values = [cost["fcn_multiply_adds"], cost["window_multiply_adds"]]
    text = [f"1 pass: {values[0] / 1e6:,.1f} M",
            f"{cost['window_passes']:,} passes × {cost['patch_multiply_adds'] / 1e6:,.2f} M = {values[1] / 1e9:,.2f} G"]
    fig = go.Figure(go.Bar(y=labels, x=values, orientation="h", marker_color=[BLUE, VERMILLION], text=text,
                           # The network's bar is a sliver: its text goes beside it, level, not turned inside it.
                           textposition=["outside", "inside"], insidetextanchor="start", textangle=0,
                           cliponaxis=False,
                           hovertemplate="%{y}: %{x:,.0f} multiply-adds<extra></extra>"))
    apply_style(fig, height=int(220 * style.height_scale), large=style.large)
    title = f"multiply-adds per picture (log scale; {cost['ratio']:,.0f}× apart)"
    fig.update_layout(xaxis={"type": "log", "title": title, "dtick": 1},  # ticks at powers of ten only
                      yaxis={"autorange": "reversed"})
    return fig
