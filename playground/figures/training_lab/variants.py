"""Figures for the regularization pages of the training lab: variants' curves side by side, batch norm's
values and modes, dropout's masks and averaging, weight histograms, early stopping, augmented images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import (
    BLUE,
    DIVERGING,
    GREY,
    ORANGE,
    PALETTE,
    SEQUENTIAL,
    VERMILLION,
    add_message,
    apply_style,
    small_font_size,
    to_rgb_bytes,
)


def _percent_axis(fig: go.Figure, **where) -> None:
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], **where)


def variant_curves_figure(histories: Mapping[str, pd.DataFrame], *, metric: str = "acc",
                          best_epochs: Mapping[str, int] | None = None, large: bool = False) -> go.Figure:
    """Training (dashed) and validation (solid) `metric` ("acc" or "loss") against epoch, one colour per variant.

    `best_epochs` (variant → epoch) adds a star on that variant's validation curve.
    """
    fig = go.Figure()
    for k, (name, history) in enumerate(histories.items()):
        color = PALETTE[k % len(PALETTE)]
        for part, dash in (("train", "dash"), ("val", "solid")):
            column = f"{part}_{metric}"
            if column not in history:
                continue
            rows = history[["epoch", column]].dropna()
            label = f"{name}, {'training' if part == 'train' else 'validation'}"
            fig.add_trace(go.Scatter(x=rows["epoch"], y=rows[column], mode="lines", name=label, legendgroup=name,
                                     line={"color": color, "dash": dash, "width": 2.5 if part == "val" else 2}))
        if best_epochs and name in best_epochs:
            row = history[history["epoch"] == best_epochs[name]]
            fig.add_trace(go.Scatter(x=row["epoch"], y=row[f"val_{metric}"], mode="markers", legendgroup=name,
                                     name=f"{name}, best epoch", marker={"symbol": "star", "size": 16, "color": color,
                                                                         "line": {"color": "black", "width": 1}}))
    if not histories:
        add_message(fig, "No epochs yet", large=large)
    fig.update_xaxes(title_text="epoch")
    if metric == "acc":
        fig.update_yaxes(title_text="accuracy")
        _percent_axis(fig)
    else:
        fig.update_yaxes(title_text="loss (cross-entropy)")
    apply_style(fig, height=400 if not large else 500, large=large)
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})  # keeps the plot wide
    return fig


VARIANT_CHARTS = {
    "acc": {"x_title": "epoch", "y_title": "accuracy", "y_format": "percent", "height": 360, "y_range": [0, 1.02]},
    "loss": {"x_title": "epoch", "y_title": "loss (cross-entropy)", "y_format": "number", "height": 360},
}


def variant_series(histories: Mapping[str, pd.DataFrame], *, metric: str = "acc") -> dict:
    """What `variant_curves_figure` draws, as a live board's chart: per variant a dashed training line
    and a solid validation line in the variant's colour (the legend names the variants)."""
    from playground.live_encoding import series

    lines = []
    for k, (name, history) in enumerate(histories.items()):
        color = PALETTE[k % len(PALETTE)]
        for part in ("train", "val"):
            column = f"{part}_{metric}"
            if column not in history:
                continue
            rows = history[["epoch", column]].dropna()
            line = series(name, rows["epoch"].to_numpy(dtype=float), rows[column].to_numpy(dtype=float), color)
            if part == "train":
                line.update(name=f"{name}, training", dash="dash", legend=False)
            lines.append(line)
    return {"series": lines}


def before_after_figure(values: Sequence, *, large: bool = False) -> go.Figure:
    """For each batch-norm layer, the spread of its inputs (before) and outputs (after) as violins side by side.

    `values`: `playground.training_lab.batchnorm.NormValues` (layer, before, after), one per batch-norm layer.
    """
    fig = go.Figure()
    for part, color, fill in (("before", GREY, "rgba(153,153,153,0.4)"), ("after", BLUE, "rgba(0,114,178,0.35)")):
        xs, ys = [], []
        for v in values:
            sample = np.asarray(getattr(v, part), dtype=float).ravel()
            if len(sample) > 3000:
                sample = sample[np.linspace(0, len(sample) - 1, 3000).astype(int)]
            xs.append(np.full(len(sample), f"layer {v.layer}", dtype=object))
            ys.append(sample)
        name = "before batch norm" if part == "before" else "after batch norm"
        fig.add_trace(go.Violin(x=np.concatenate(xs) if xs else [], y=np.concatenate(ys) if ys else [], name=name,
                                line={"color": color}, fillcolor=fill, points=False, spanmode="hard"))
    fig.update_layout(violinmode="group")
    fig.update_yaxes(title_text="value")
    return apply_style(fig, height=340 if not large else 420, large=large)


def running_statistics_figure(table: pd.DataFrame, *, units: int = 16, large: bool = False) -> go.Figure:
    """Per unit of one batch-norm layer: the batch's mean and variance next to the running ones kept for eval mode.

    `table` as `playground.training_lab.batchnorm.batch_statistics` returns it; the first `units` units are drawn.
    """
    shown = table.head(units)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("mean of each unit", "variance of each unit"),
                        horizontal_spacing=0.08)
    for col, stat in ((1, "mean"), (2, "var")):
        for label, column, color in (("this batch", f"batch_{stat}", ORANGE), ("running (eval mode)",
                                                                              f"running_{stat}", BLUE)):
            fig.add_trace(go.Bar(x=shown["unit"], y=shown[column], name=label, marker_color=color,
                                 legendgroup=label, showlegend=col == 1,
                                 hovertemplate=f"unit %{{x}}: {label} %{{y:.3g}}<extra></extra>"), row=1, col=col)
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="unit", dtick=1 if len(shown) <= 16 else None)
    fig.update_annotations(font_size=small_font_size(large) + 2)
    return apply_style(fig, height=320 if not large else 400, large=large)


def mode_outputs_figure(outputs, classes: Sequence[str], *, large: bool = False) -> go.Figure:
    """One example's class probabilities: eval mode, and train mode inside two different batches.

    `outputs`: `playground.training_lab.batchnorm.ModeOutputs`.
    """
    fig = go.Figure()
    for label, values, color in (("eval mode", outputs.eval_mode, BLUE),
                                 ("train mode, batch A", outputs.train_batch_a, ORANGE),
                                 ("train mode, batch B", outputs.train_batch_b, VERMILLION)):
        fig.add_trace(go.Bar(x=list(classes), y=values, name=label, marker_color=color,
                             hovertemplate=f"{label}<br>class %{{x}}: %{{y:.1%}}<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="class", type="category")
    fig.update_yaxes(title_text="probability")
    _percent_axis(fig)
    return apply_style(fig, height=320 if not large else 400, large=large)


def dropout_mask_figure(masks: Sequence, *, columns: int = 16, large: bool = False) -> go.Figure:
    """The units of each dropout layer for one input, as a grid of squares per layer.

    A kept unit is coloured by its value (Viridis); a dropped one is a grey cross. `masks`:
    `playground.training_lab.dropout.LayerMask`, one per dropout layer, drawn left to right.
    """
    n = len(masks)
    fig = make_subplots(rows=1, cols=max(n, 1), horizontal_spacing=0.06,
                        subplot_titles=[f"layer {m.layer}: {int((~m.kept).sum())} of {len(m.kept)} off"
                                        for m in masks] or [""])
    top = max((float(np.max(m.values)) for m in masks), default=1.0) or 1.0
    for k, m in enumerate(masks, start=1):
        units = np.arange(len(m.values))
        col, row = units % columns, units // columns
        kept = m.kept
        fig.add_trace(go.Scatter(
            x=col[kept], y=row[kept], mode="markers", showlegend=k == 1, name="kept (colour: value)",
            marker={"symbol": "square", "size": 15, "color": m.values[kept], "colorscale": SEQUENTIAL, "cmin": 0,
                    "cmax": top, "line": {"color": "white", "width": 1},
                    "colorbar": {"title": "value", "len": 0.8} if k == n else None, "showscale": k == n},
            customdata=units[kept] + 1,
            hovertemplate="unit %{customdata}: %{marker.color:.3f}<extra>kept</extra>"), row=1, col=k)
        fig.add_trace(go.Scatter(
            x=col[~kept], y=row[~kept], mode="markers", showlegend=k == 1, name="switched off",
            marker={"symbol": "x-thin", "size": 11, "color": GREY, "line": {"color": GREY, "width": 2}},
            customdata=units[~kept] + 1, hovertemplate="unit %{customdata}<extra>switched off</extra>"),
            row=1, col=k)
        fig.update_xaxes(visible=False, row=1, col=k)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{k if k > 1 else ''}", row=1, col=k)
    fig.update_annotations(font_size=small_font_size(large) + 2)
    apply_style(fig, height=330 if not large else 420, large=large)
    fig.update_layout(legend={"orientation": "h", "y": -0.05, "yanchor": "top", "x": 0})
    return fig


def averaging_figure(averaging, classes: Sequence[str], *, large: bool = False) -> go.Figure:
    """Dropout as averaging: each class's probability over many train-mode passes (box and dots), the
    passes' mean (diamond) and the single eval-mode prediction (black cross).

    `averaging`: `playground.training_lab.dropout.Averaging`.
    """
    samples = np.asarray(averaging.samples)
    fig = go.Figure()
    names = list(classes)
    # samples.ravel() runs through the classes pass by pass, so the class names repeat in that order.
    fig.add_trace(go.Box(x=np.tile(names, len(samples)), y=samples.ravel(), name="train-mode passes",
                         marker_color=ORANGE, boxpoints="all",
                         jitter=0.5, pointpos=0, marker={"size": 4, "opacity": 0.45}, line={"width": 1.5},
                         fillcolor="rgba(230,159,0,0.15)", hoverinfo="y"))
    fig.add_trace(go.Scatter(x=names, y=averaging.mean, mode="markers", name="mean of the passes",
                             marker={"symbol": "diamond", "size": 15, "color": BLUE,
                                     "line": {"color": "white", "width": 1.5}},
                             hovertemplate="class %{x}: mean %{y:.1%}<extra></extra>"))
    fig.add_trace(go.Scatter(x=names, y=averaging.eval_mode, mode="markers", name="eval mode (one pass)",
                             marker={"symbol": "x", "size": 14, "color": "black"},
                             hovertemplate="class %{x}: eval mode %{y:.1%}<extra></extra>"))
    fig.update_xaxes(title_text="class", type="category")
    fig.update_yaxes(title_text="probability")
    _percent_axis(fig)
    return apply_style(fig, height=360 if not large else 440, large=large)


def boundaries_figure(grids: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]], points: np.ndarray,
                      labels: np.ndarray, *, class_names: Sequence[str] = ("blue", "orange"),
                      large: bool = False) -> go.Figure:
    """Each network's probability of the second class over the plane (blue-white-red, 50 % white), side by
    side, with the training points on top (circles and diamonds by class, so shape tells them apart too)."""
    fig = make_subplots(rows=1, cols=max(len(grids), 1), subplot_titles=list(grids) or [""], horizontal_spacing=0.05)
    points, labels = np.asarray(points), np.asarray(labels)
    for k, (_name, (xs, ys, values)) in enumerate(grids.items(), start=1):
        fig.add_trace(go.Heatmap(x=xs, y=ys, z=values, colorscale=DIVERGING, zmin=0, zmax=1, zmid=0.5,
                                 showscale=k == len(grids), colorbar={"title": f"P({class_names[1]})", "len": 0.9},
                                 hovertemplate="x %{x:.1f}, y %{y:.1f}: %{z:.0%}<extra></extra>"), row=1, col=k)
        for c, (symbol, color) in enumerate((("circle", BLUE), ("diamond", ORANGE))):
            chosen = labels == c
            fig.add_trace(go.Scatter(x=points[chosen, 0], y=points[chosen, 1], mode="markers",
                                     name=f"training points: {class_names[c]}", showlegend=k == 1,
                                     marker={"symbol": symbol, "size": 7, "color": color,
                                             "line": {"color": "white", "width": 1}}), row=1, col=k)
        fig.update_xaxes(range=[xs[0], xs[-1]], row=1, col=k)
        fig.update_yaxes(range=[ys[0], ys[-1]], scaleanchor=f"x{k if k > 1 else ''}", row=1, col=k)
    fig.update_annotations(font_size=small_font_size(large) + 2)
    apply_style(fig, height=420 if not large else 520, large=large)
    fig.update_layout(legend={"orientation": "h", "y": -0.08, "yanchor": "top", "x": 0})
    return fig


def weight_histograms_figure(weights: Mapping[str, np.ndarray], *, limit: float | None = None,
                             large: bool = False) -> go.Figure:
    """One histogram of weights per network, stacked on a shared axis and shared bins, counts on a log axis
    so that a tall spike at zero and the long tails both show."""
    arrays = {name: np.asarray(w, dtype=float).ravel() for name, w in weights.items()}
    top = limit or max((float(np.quantile(np.abs(a), 0.999)) for a in arrays.values() if a.size), default=1.0)
    bins = {"start": -top, "end": top, "size": 2 * top / 81}  # an odd count puts one bin around zero
    fig = make_subplots(rows=max(len(arrays), 1), cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=list(arrays) or [""])
    for k, (name, values) in enumerate(arrays.items()):
        fig.add_trace(go.Histogram(x=values, name=name, xbins=bins, marker_color=PALETTE[k % len(PALETTE)],
                                   showlegend=False, hovertemplate=f"{name}<br>%{{x}}: %{{y}} weights<extra></extra>"),
                      row=k + 1, col=1)
        fig.update_yaxes(type="log", dtick=1, title_text="weights" if k == len(arrays) // 2 else None,
                         row=k + 1, col=1)
    fig.update_xaxes(range=[-top, top])
    fig.update_xaxes(title_text="weight value", row=max(len(arrays), 1), col=1)
    fig.update_annotations(font_size=small_font_size(large) + 2)
    return apply_style(fig, height=150 * max(len(arrays), 1) + 90 if not large else 190 * max(len(arrays), 1) + 110,
                       large=large)


def early_stopping_figure(history: pd.DataFrame, *, best_epoch: int | None, stop_epoch: int | None = None,
                          large: bool = False) -> go.Figure:
    """Training and validation loss against epoch, the best validation epoch starred and a dashed line
    where training stopped (or would have stopped)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=history["epoch"], y=history["train_loss"], mode="lines", name="training loss",
                             line={"color": BLUE, "dash": "dash", "width": 2}))
    fig.add_trace(go.Scatter(x=history["epoch"], y=history["val_loss"], mode="lines", name="validation loss",
                             line={"color": ORANGE, "width": 3}))
    if best_epoch is not None:
        row = history[history["epoch"] == best_epoch]
        fig.add_trace(go.Scatter(x=row["epoch"], y=row["val_loss"], mode="markers+text", name="best epoch: restored",
                                 text=[f"best: epoch {best_epoch}"], textposition="top center",
                                 marker={"symbol": "star", "size": 18, "color": ORANGE,
                                         "line": {"color": "black", "width": 1}}))
    if stop_epoch is not None:
        fig.add_vline(x=stop_epoch, line={"color": GREY, "dash": "dot", "width": 2},
                      annotation_text=f"stopped after epoch {stop_epoch}", annotation_position="top right")
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="loss (cross-entropy)", rangemode="tozero")
    return apply_style(fig, height=360 if not large else 440, large=large)


def augmented_examples_figure(original: np.ndarray, versions: Mapping[str, np.ndarray], *,
                              large: bool = False) -> go.Figure:
    """Image rows: the original examples (N, C, H, W) on top, then one row per augmentation (same shape),
    so each column shows one example and its altered copies."""
    rows = {"original": np.asarray(original), **{k: np.asarray(v) for k, v in versions.items()}}
    n, _, h, w = rows["original"].shape
    gap = 1
    mosaic = np.ones((len(rows) * (h + gap), n * (w + gap), 3), dtype=np.uint8) * 255
    for r, images in enumerate(rows.values()):
        pixels = to_rgb_bytes(images)
        for c in range(n):
            mosaic[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = pixels[c]
    fig = go.Figure(go.Image(z=mosaic, hoverinfo="skip"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(tickvals=[r * (h + gap) + h / 2 for r in range(len(rows))], ticktext=list(rows),
                     showgrid=False, zeroline=False)
    return apply_style(fig, height=70 * len(rows) + 40 if not large else 90 * len(rows) + 50, large=large)
