"""Figures for the training lab: optimizers racing on a loss surface, per-layer statistics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from playground.figures.style import PALETTE, apply_style


def race_figure(xs: np.ndarray, ys: np.ndarray, values: np.ndarray, paths: Mapping[str, np.ndarray], *,
                upto: int, minimum: tuple[float, float] | None = None, large: bool = False) -> go.Figure:
    """Contours of a 2-D loss (log scale) with each optimizer's path up to step `upto`.

    `values` (len(ys), len(xs)); `paths` name → (steps + 1, 2) points. The current point of each
    path is a large marker; the shared start is a black cross; `minimum` a star.
    """
    shifted = np.log10(values - np.nanmin(values) + 1e-3)  # log of the height above the lowest point
    fig = go.Figure(go.Contour(x=xs, y=ys, z=shifted, colorscale="Greys", reversescale=True, ncontours=30,
                               showscale=False, contours={"coloring": "heatmap"}, opacity=0.55,
                               hovertemplate="x %{x:.2f}, y %{y:.2f}<extra></extra>"))
    (x_lo, x_hi), (y_lo, y_hi) = (xs.min(), xs.max()), (ys.min(), ys.max())
    for k, (name, points) in enumerate(paths.items()):
        color = PALETTE[k % len(PALETTE)]
        shown = np.asarray(points)[: upto + 1]
        shown = shown[np.isfinite(shown).all(axis=1)]
        fig.add_trace(go.Scatter(x=shown[:, 0], y=shown[:, 1], mode="lines", name=name, legendgroup=name,
                                 line={"color": color, "width": 3}))
        if len(shown):
            fig.add_trace(go.Scatter(x=shown[-1:, 0], y=shown[-1:, 1], mode="markers", showlegend=False,
                                     legendgroup=name, marker={"color": color, "size": 13,
                                                               "line": {"color": "white", "width": 2}},
                                     hovertemplate=f"{name}<br>x %{{x:.3f}}, y %{{y:.3f}}<extra></extra>"))
    first = next(iter(paths.values()), None)
    if first is not None:
        fig.add_trace(go.Scatter(x=[first[0, 0]], y=[first[0, 1]], mode="markers", name="start",
                                 marker={"symbol": "x", "size": 14, "color": "black"}))
    if minimum is not None:
        fig.add_trace(go.Scatter(x=[minimum[0]], y=[minimum[1]], mode="markers", name="minimum",
                                 marker={"symbol": "star", "size": 16, "color": "#F0E442",
                                         "line": {"color": "black", "width": 1}}))
    fig.update_xaxes(range=[x_lo, x_hi], title_text="x")
    fig.update_yaxes(range=[y_lo, y_hi], title_text="y", scaleanchor="x", constrain="domain")
    apply_style(fig, height=560 if not large else 700, large=large)
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})  # room for the plot
    return fig


def race_loss_figure(losses: Mapping[str, np.ndarray], *, upto: int, large: bool = False) -> go.Figure:
    """Loss against step for each optimizer, up to step `upto` (log scale when all values are positive)."""
    fig = go.Figure()
    positive = True
    for k, (name, values) in enumerate(losses.items()):
        shown = np.asarray(values, dtype=float)[: upto + 1]
        positive &= bool(np.all(shown[np.isfinite(shown)] > 0))
        fig.add_trace(go.Scatter(x=np.arange(len(shown)), y=shown, mode="lines", name=name,
                                 line={"color": PALETTE[k % len(PALETTE)], "width": 2}))
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="loss", type="log" if positive else "linear")
    return apply_style(fig, height=300 if not large else 380, large=large)


def layer_distributions_figure(values: Sequence[np.ndarray], *, title: str, value_title: str,
                               large: bool = False) -> go.Figure:
    """One violin per layer (x = layer 1, 2, ...) showing how a quantity is spread in that layer."""
    fig = go.Figure()
    for k, layer_values in enumerate(values, start=1):
        sample = np.asarray(layer_values, dtype=float).ravel()
        if len(sample) > 4000:  # plenty for the shape of a distribution; keeps the page light
            sample = sample[np.linspace(0, len(sample) - 1, 4000).astype(int)]
        fig.add_trace(go.Violin(x=np.full(len(sample), k), y=sample, name=str(k), showlegend=False,
                                points=False, line={"color": PALETTE[0]}, fillcolor="rgba(0,114,178,0.35)",
                                spanmode="hard", width=0.9))
    fig.update_xaxes(title_text="layer", dtick=1)
    fig.update_yaxes(title_text=value_title)
    return apply_style(fig, title=title, height=340 if not large else 420, large=large)


def layer_norms_figure(table: pd.DataFrame, *, column: str = "grad_norm", title: str | None = None,
                       large: bool = False) -> go.Figure:
    """A per-layer quantity (e.g. the weight gradient's norm) as bars on a log axis."""
    values = table[column].to_numpy(dtype=float)
    fig = go.Figure(go.Bar(x=table["layer"], y=np.where(values > 0, values, np.nan), marker_color=PALETTE[1],
                           hovertemplate="layer %{x}: %{y:.3g}<extra></extra>"))
    fig.update_xaxes(title_text="layer", dtick=1)
    fig.update_yaxes(title_text=column.replace("_", " "), type="log")
    return apply_style(fig, title=title, height=300 if not large else 380, large=large)


def runs_figure(histories: Mapping[str, pd.DataFrame], *, metric: str = "val_loss", large: bool = False) -> go.Figure:
    """One line per run of `metric` against epoch (e.g. validation loss), for comparing runs."""
    fig = go.Figure()
    for k, (name, history) in enumerate(histories.items()):
        if metric not in history:
            continue
        rows = history[["epoch", metric]].dropna()
        fig.add_trace(go.Scatter(x=rows["epoch"], y=rows[metric], mode="lines+markers" if len(rows) < 30 else "lines",
                                 name=name, line={"color": PALETTE[k % len(PALETTE)], "width": 2}))
    fig.update_xaxes(title_text="epoch")
    percent = metric.endswith("_acc")
    fig.update_yaxes(title_text=metric.replace("_", " ").replace("val", "validation"),
                     tickformat=".0%" if percent else None, range=[0, 1.02] if percent else None)
    return apply_style(fig, height=340 if not large else 420, large=large)


def sweep_figure(values: Sequence[float], results: Sequence[float], *, setting: str, metric: str,
                 log_x: bool = False, large: bool = False) -> go.Figure:
    """A sweep's outcome: the final `metric` of each run against the value of `setting` it used."""
    fig = go.Figure(go.Scatter(x=list(values), y=list(results), mode="lines+markers",
                               marker={"size": 11, "color": PALETTE[0]}, line={"color": PALETTE[0]},
                               hovertemplate=f"{setting} %{{x}}: %{{y:.4f}}<extra></extra>"))
    fig.update_xaxes(title_text=setting, type="log" if log_x else None)
    percent = metric.endswith("_acc")
    name = metric.replace("val_", "validation ").replace("train_", "training ").replace("acc", "accuracy")
    fig.update_yaxes(title_text=f"final {name}", tickformat=".0%" if percent else None)
    return apply_style(fig, height=320 if not large else 400, large=large)


def norms_over_training_figure(table: pd.DataFrame, *, title: str | None = None, current: int | None = None,
                               large: bool = False) -> go.Figure:
    """Each layer's gradient norm (or other value) against epoch, one line per layer on a log axis.

    `table`: rows of epoch, layer, value (as `playground.initialization.norms_over_training` gives).
    Layers are coloured from dark (first) to bright (last) along Viridis; `current` marks an epoch.
    """
    import plotly.colors

    fig = go.Figure()
    layers = sorted(table["layer"].unique()) if len(table) else []
    colors = plotly.colors.sample_colorscale("Viridis", [k / max(len(layers) - 1, 1) for k in range(len(layers))])
    for layer, color in zip(layers, colors):
        rows = table[table["layer"] == layer]
        values = rows["value"].to_numpy(dtype=float)
        fig.add_trace(go.Scatter(x=rows["epoch"], y=np.where(values > 0, values, np.nan), mode="lines+markers",
                                 name=f"layer {layer}", line={"color": color, "width": 2}, marker={"size": 5},
                                 hovertemplate=f"layer {layer}, epoch %{{x}}: %{{y:.3g}}<extra></extra>"))
    if current is not None:
        fig.add_vline(x=current, line={"color": "#555555", "dash": "dot", "width": 2})
    fig.update_xaxes(title_text="epoch", dtick=1)
    fig.update_yaxes(title_text="gradient norm", type="log", exponentformat="power")
    return apply_style(fig, title=title, height=340 if not large else 420, large=large)
