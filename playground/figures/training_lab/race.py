"""Figures for the training lab: optimizers racing on a loss surface, per-layer statistics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from playground.figures.style import PALETTE, apply_style

# Each optimizer's own marker symbol and dash, so paths stay apart without colour (e.g. in deuteranopia,
# where several Okabe–Ito colours come close); its name also labels the end of its path.
PATH_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "star", "hexagon", "triangle-down")
PATH_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "8px,3px,2px,3px", "2px,6px")
# Where each path's end label sits, in turn, so labels of paths that end together do not cover each other.
_LABEL_SIDES = ("top right", "bottom right", "top left", "bottom left", "middle right", "middle left", "top center",
                "bottom center")


def _path_style(name: str, k: int, order: Sequence[str] | None) -> dict:
    """Colour, marker symbol and dash of path `name` (the k-th drawn): by its place in `order` if there."""
    index = list(order).index(name) if order is not None and name in order else k
    return {"color": PALETTE[index % len(PALETTE)], "symbol": PATH_SYMBOLS[index % len(PATH_SYMBOLS)],
            "dash": PATH_DASHES[index % len(PATH_DASHES)], "side": _LABEL_SIDES[k % len(_LABEL_SIDES)]}


def _path_name(name: str, diverged_at: int | None, upto: int) -> str:
    """The legend's name: flagged once the step shown has reached the divergence, like the page's text."""
    return name if diverged_at is None or upto < diverged_at else f"{name}: diverged at step {diverged_at}"


def race_figure(xs: np.ndarray, ys: np.ndarray, values: np.ndarray, paths: Mapping[str, np.ndarray], *,
                upto: int, minimum: tuple[float, float] | None = None,
                diverged: Mapping[str, int | None] | None = None, order: Sequence[str] | None = None,
                large: bool = False) -> go.Figure:
    """Contours of a 2-D loss (log scale) with each optimizer's path up to step `upto`.

    `values` (len(ys), len(xs)); `paths` name → (steps + 1, 2) points. Each path has its own colour,
    marker symbol and dash (fixed by the name's place in `order`, e.g. the optimizer registry, so a
    name keeps its look whichever others race), and its current point is labelled with its name.
    `diverged` name → the step where that run blew up (or None): once `upto` reaches it, its legend
    entry says so; a point that left the plot is labelled at the plot's edge. The shared start is a black cross;
    `minimum` a star.
    """
    diverged = diverged or {}
    shifted = np.log10(values - np.nanmin(values) + 1e-3)  # log of the height above the lowest point
    fig = go.Figure(go.Contour(x=xs, y=ys, z=shifted, colorscale="Greys", reversescale=True, ncontours=30,
                               showscale=False, contours={"coloring": "heatmap"}, opacity=0.55,
                               hovertemplate="x %{x:.2f}, y %{y:.2f}<extra></extra>"))
    (x_lo, x_hi), (y_lo, y_hi) = (xs.min(), xs.max()), (ys.min(), ys.max())
    for k, (name, points) in enumerate(paths.items()):
        style = _path_style(name, k, order)
        shown = np.asarray(points)[: upto + 1]
        shown = shown[np.isfinite(shown).all(axis=1)]
        blew_up = diverged.get(name)
        fig.add_trace(go.Scatter(x=shown[:, 0], y=shown[:, 1], mode="lines+markers",
                                 name=_path_name(name, blew_up, upto),
                                 legendgroup=name,
                                 line={"color": style["color"], "width": 3, "dash": style["dash"]},
                                 marker={"symbol": style["symbol"], "size": 8, "color": style["color"],
                                         "maxdisplayed": 12}))
        if len(shown):
            end_x, end_y = shown[-1]
            inside = x_lo <= end_x <= x_hi and y_lo <= end_y <= y_hi
            gone = blew_up is not None and upto >= blew_up
            label = name if inside else f"{name} (off the plot{', diverged' if gone else ''})"
            fig.add_trace(go.Scatter(
                x=[min(max(end_x, x_lo), x_hi)], y=[min(max(end_y, y_lo), y_hi)], mode="markers+text",
                text=[label], textposition=style["side"], textfont={"color": "black"}, showlegend=False,
                cliponaxis=False,  # a label at the plot's edge stays readable
                legendgroup=name, marker={"color": style["color"], "size": 15, "symbol": style["symbol"],
                                          "line": {"color": "white", "width": 2}},
                hovertemplate=f"{name}<br>x {end_x:.3g}, y {end_y:.3g}<extra></extra>"))
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


def race_loss_figure(losses: Mapping[str, np.ndarray], *, upto: int,
                     diverged: Mapping[str, int | None] | None = None, order: Sequence[str] | None = None,
                     large: bool = False) -> go.Figure:
    """Loss against step for each optimizer, up to step `upto` (log scale when all values are positive).

    Styles as in `race_figure`. A run that `diverged` at step d is drawn up to its last good step
    d − 1; once `upto` reaches d it ends in a cross and its legend entry names the step.
    """
    diverged = diverged or {}
    fig = go.Figure()
    positive = True
    for k, (name, values) in enumerate(losses.items()):
        style = _path_style(name, k, order)
        blew_up = diverged.get(name)
        last = upto if blew_up is None else min(upto, blew_up - 1)
        shown = np.asarray(values, dtype=float)[: last + 1]
        positive &= bool(np.all(shown[np.isfinite(shown)] > 0))
        fig.add_trace(go.Scatter(x=np.arange(len(shown)), y=shown, mode="lines+markers",
                                 name=_path_name(name, blew_up, upto), legendgroup=name,
                                 line={"color": style["color"], "width": 2, "dash": style["dash"]},
                                 marker={"symbol": style["symbol"], "size": 7, "color": style["color"],
                                         "maxdisplayed": 10}))
        if blew_up is not None and upto >= blew_up and len(shown):
            fig.add_trace(go.Scatter(x=[len(shown) - 1], y=shown[-1:], mode="markers", showlegend=False,
                                     legendgroup=name, hovertext=[f"{name} diverged at step {blew_up}"],
                                     hoverinfo="text", marker={"symbol": "x", "size": 14, "color": style["color"]}))
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="loss", type="log" if positive else "linear", exponentformat="power")
    apply_style(fig, height=340 if not large else 420, large=large)
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})  # the plot keeps its width
    return fig


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
    # Tiny values (vanishing gradients) read as 1e-17, never as a row of zeros.
    fig.update_yaxes(title_text=value_title, exponentformat="e", hoverformat=".3g")
    return apply_style(fig, title=title, height=340 if not large else 420, large=large)


def layer_norms_figure(table: pd.DataFrame, *, column: str = "grad_norm", title: str | None = None,
                       large: bool = False) -> go.Figure:
    """A per-layer quantity (e.g. the weight gradient's norm) as bars on a log axis."""
    values = table[column].to_numpy(dtype=float)
    fig = go.Figure(go.Bar(x=table["layer"], y=np.where(values > 0, values, np.nan), marker_color=PALETTE[1],
                           hovertemplate="layer %{x}: %{y:.3g}<extra></extra>"))
    fig.update_xaxes(title_text="layer", dtick=1)
    fig.update_yaxes(title_text=column.replace("_", " "), type="log", exponentformat="power")
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

    `table`: rows of epoch, layer, value (as `playground.training_lab.initialization.norms_over_training` gives).
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
