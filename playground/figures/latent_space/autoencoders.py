"""Figures about autoencoders: their curves, reconstructions, the map of codes, walks and grids.

Images are floats in [0, 1] shaped (C, H, W) (a batch: (N, C, H, W)), C = 1 or 3. Map points are
(N, 2) arrays of the 2-D view of the codes. Classes on a map get a colour and a marker shape each,
so no class depends on colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import (
    BLACK,
    BLUE,
    BLUISH_GREEN,
    GREY,
    ORANGE,
    REDDISH_PURPLE,
    SKY_BLUE,
    TRAIN_COLOR,
    VAL_COLOR,
    VERMILLION,
    YELLOW,
    add_message,
    apply_style,
    line_width,
    small_font_size,
    to_rgb_bytes,
)

# Okabe–Ito's eight colours, then Paul Tol's wine and olive, so the ten classes of a digit set each
# get their own colour (yellow last: it is faint on white); and a marker shape per class, so colour
# is never the only thing that tells two classes apart. Past the tenth class colours repeat, past
# the twelfth shapes too.
WINE = "#882255"
OLIVE = "#999933"
CLASS_COLORS = [BLUE, ORANGE, BLUISH_GREEN, VERMILLION, REDDISH_PURPLE, SKY_BLUE, BLACK, WINE, OLIVE, YELLOW]
# No plain star: the chosen point is a star.
CLASS_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "cross", "triangle-down", "pentagon",
                 "hexagon", "star-diamond", "star-square", "hourglass"]
GRID_NAME = "click to decode"
WALK_NAME = "walk"
POINT_NAME = "chosen point"
SELECTED_NAME = "selected image"
_GAP = 1  # pixels between the images of a mosaic
_GAP_VALUE = 0.6  # their grey, so white strokes and black backgrounds both stand out from it
_MARKER_LIMIT = 30
_NO_EPOCHS = "No epochs yet"


def class_style(label: int) -> tuple[str, str]:
    """The colour and marker symbol of class `label`."""
    return CLASS_COLORS[label % len(CLASS_COLORS)], CLASS_SYMBOLS[label % len(CLASS_SYMBOLS)]


# --- arrays ----------------------------------------------------------------------------------


def _as_batch(images) -> np.ndarray:
    x = np.asarray(images, dtype=float)
    if x.ndim == 3:  # (N, H, W)
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape (N, 1 or 3, H, W), got {x.shape}")
    return x


def mosaic(images, columns: int | None = None, *, gap: int = _GAP) -> np.ndarray:
    """One picture (H', W', 3) uint8 of images (N, C, H, W) or a grid (R, K, C, H, W), with grey gaps.

    A flat batch fills rows of `columns` images (all in one row by default); empty cells stay grey.
    """
    x = np.asarray(images, dtype=float)
    if x.ndim == 5:
        rows, cols = x.shape[:2]
        x = x.reshape(rows * cols, *x.shape[2:])
    else:
        x = _as_batch(x)
        cols = max(1, min(columns or len(x), len(x)))
        rows = -(-len(x) // cols)
    pixels = to_rgb_bytes(x)  # (N, H, W, 3)
    h, w = pixels.shape[1:3]
    out = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, 3), round(_GAP_VALUE * 255),
                  dtype=np.uint8)
    for i, picture in enumerate(pixels):
        r, c = divmod(i, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = picture
    return out


def _image_axes(fig: go.Figure) -> None:
    """Hide every axis, make pixels square and put row 0 at the top, in every subplot."""
    for xaxis in fig.select_xaxes():
        xaxis.update(scaleanchor=xaxis.anchor or "y", scaleratio=1, constrain="domain", visible=False)
    fig.update_yaxes(autorange="reversed", constrain="domain", visible=False)


# --- curves ----------------------------------------------------------------------------------


def _column(history: pd.DataFrame, name: str) -> np.ndarray:
    if name not in history.columns:
        return np.full(len(history), np.nan)
    return pd.to_numeric(history[name], errors="coerce").to_numpy(dtype=float)


def _line(history: pd.DataFrame, column: str, name: str, color: str, *, unit: str, large: bool,
          show_legend: bool = True, dash: str | None = None) -> go.Scatter:
    epochs = _column(history, "epoch")
    values = _column(history, column)
    keep = np.isfinite(values)
    return go.Scatter(x=epochs[keep], y=values[keep], name=name, legendgroup=name, showlegend=show_legend,
                      mode="lines+markers" if keep.sum() < _MARKER_LIMIT else "lines",
                      line={"color": color, "width": line_width(large), "dash": dash},
                      marker={"color": color, "size": 8 if large else 5},
                      hovertemplate=f"{name} %{{y:.4g}} {unit}<extra></extra>")


def _is_variational(history: pd.DataFrame) -> bool:
    return bool(np.isfinite(_column(history, "val_kl")).any())


def autoencoder_curves_figure(history: pd.DataFrame, *, large: bool = False) -> go.Figure:
    """Learning curves of an autoencoder run, against epoch, train and test lines in each panel.

    `history`: rows of the "autoencoder" trainer (epoch, train_loss, val_loss, train_recon,
    val_recon, train_kl, val_kl, beta, val_mse). A VAE run (any val_kl) shows its two terms apart:
    reconstruction (nats per image) on the left, KL divergence (nats per image, with β in the title)
    on the right. Other runs show the training objective on the left and the test reconstruction
    error (mean squared error per pixel) on the right. An empty history gives both panels a note.
    """
    variational = not history.empty and _is_variational(history)
    if variational:
        beta = _column(history, "beta")
        beta_text = f" (weighted by β = {beta[np.isfinite(beta)][-1]:g})" if np.isfinite(beta).any() else ""
        titles = ("reconstruction term, nats per image", f"KL term, nats per image{beta_text}")
    else:
        titles = ("loss (what training minimizes)", "test reconstruction error (MSE per pixel)")
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.1)
    fig.update_xaxes(title_text="epoch", matches="x")
    fig.update_yaxes(rangemode="tozero")
    if history.empty:
        for col in (1, 2):
            fig.add_trace(go.Scatter(x=[], y=[], showlegend=False, hoverinfo="skip"), row=1, col=col)
            add_message(fig, _NO_EPOCHS, large=large, row=1, col=col)
        fig.update_xaxes(range=[0, 10])
    elif variational:
        for col, (train_column, test_column) in enumerate((("train_recon", "val_recon"), ("train_kl", "val_kl")), 1):
            fig.add_trace(_line(history, train_column, "train", TRAIN_COLOR, unit="nats", large=large,
                                show_legend=col == 1), row=1, col=col)
            fig.add_trace(_line(history, test_column, "test", VAL_COLOR, unit="nats", large=large,
                                show_legend=col == 1), row=1, col=col)
    else:
        fig.add_trace(_line(history, "train_loss", "train", TRAIN_COLOR, unit="", large=large), row=1, col=1)
        fig.add_trace(_line(history, "val_loss", "test", VAL_COLOR, unit="", large=large), row=1, col=1)
        fig.add_trace(_line(history, "val_mse", "test", VAL_COLOR, unit="per pixel", large=large,
                            show_legend=False), row=1, col=2)
    apply_style(fig, height=340 if large else 300, large=large)
    for annotation in fig.layout.annotations:
        if annotation.text in titles:
            annotation.font = {"size": small_font_size(large) + 1}
    fig.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "xanchor": "left", "x": 0},
                      hovermode="x unified", margin_t=60)
    return fig


# --- image strips and grids ------------------------------------------------------------------


def reconstruction_figure(inputs, outputs, *, titles: Sequence[str] = ("input", "reconstruction"),
                          large: bool = False) -> go.Figure:
    """Inputs in the top row, each one's reconstruction under it.

    `inputs`, `outputs`: (N, C, H, W) in [0, 1], the same shape. `titles`: the two rows' labels.
    Returns two `go.Image` traces (one mosaic per row).
    """
    top, bottom = _as_batch(inputs), _as_batch(outputs)
    if top.shape != bottom.shape:
        raise ValueError(f"inputs {top.shape} and outputs {bottom.shape} differ in shape")
    fig = make_subplots(rows=2, cols=1, subplot_titles=[str(t) for t in titles], vertical_spacing=0.12)
    for row, (batch, title) in enumerate(((top, titles[0]), (bottom, titles[1])), 1):
        fig.add_trace(go.Image(z=mosaic(batch), name=str(title), hoverinfo="skip"), row=row, col=1)
    _image_axes(fig)
    cell = 110 if large else 90
    apply_style(fig, height=2 * cell + 50, large=large)
    return fig


def image_strip_figure(images, labels: Sequence[str] | None = None, *, title: str | None = None,
                       large: bool = False) -> go.Figure:
    """Images (N, C, H, W) side by side in one `go.Image`, each with its label under it (optional)."""
    batch = _as_batch(images)
    picture = mosaic(batch)
    fig = go.Figure(go.Image(z=picture, name=title or "images", hoverinfo="skip"))
    _image_axes(fig)
    if labels is not None:
        if len(labels) != len(batch):
            raise ValueError(f"got {len(batch)} images but {len(labels)} labels")
        w = batch.shape[-1]
        fig.update_xaxes(visible=True, showgrid=False, zeroline=False, ticks="",
                         tickvals=[i * (w + _GAP) + (w - 1) / 2 for i in range(len(batch))],
                         ticktext=[str(label) for label in labels], tickfont={"size": small_font_size(large)})
    return apply_style(fig, title=title, height=(170 if large else 140) + (30 if title else 0), large=large)


def manifold_figure(images, xs, ys, *, axis_titles: tuple[str, str] = ("z₁", "z₂"),
                    title: str | None = None, large: bool = False) -> go.Figure:
    """The decoded grid: images (R, K, C, H, W) as one picture, row 0 at the top.

    `xs` (K,) and `ys` (R,) are the map coordinates of the columns and rows (ys from bottom to top,
    as `playground.latent_space.autoencoders.manifold_grid` lays them out); they label the axes at each cell.
    """
    grid = np.asarray(images, dtype=float)
    if grid.ndim != 5:
        raise ValueError(f"images must have shape (rows, columns, C, H, W), got {grid.shape}")
    rows, cols, _, h, w = grid.shape
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if len(xs) != cols or len(ys) != rows:
        raise ValueError(f"{rows}×{cols} images need {cols} x values and {rows} y values")
    fig = go.Figure(go.Image(z=mosaic(grid), name="decoded grid", hoverinfo="skip"))
    fig.update_xaxes(scaleanchor="y", scaleratio=1, constrain="domain", showgrid=False, zeroline=False,
                     tickvals=[k * (w + _GAP) + (w - 1) / 2 for k in range(cols)],
                     ticktext=[f"{v:.2g}" for v in xs], title_text=axis_titles[0])
    fig.update_yaxes(autorange="reversed", constrain="domain", showgrid=False, zeroline=False,
                     tickvals=[r * (h + _GAP) + (h - 1) / 2 for r in range(rows)],
                     ticktext=[f"{v:.2g}" for v in ys[::-1]], title_text=axis_titles[1])
    return apply_style(fig, title=title, height=(640 if large else 560), large=large)


def walk_animation_figure(images, labels: Sequence[str] | None = None, *, large: bool = False) -> go.Figure:
    """The walk as an animation: one frame per image (N, C, H, W), a slider and a play button.

    The figure starts on the first image; frame k is named after `labels[k]` (default "step k").
    """
    batch = _as_batch(images)
    labels = [f"step {k}" for k in range(len(batch))] if labels is None else [str(v) for v in labels]
    if len(labels) != len(batch):
        raise ValueError(f"got {len(batch)} images but {len(labels)} labels")
    pixels = to_rgb_bytes(batch)
    fig = go.Figure(go.Image(z=pixels[0], name=labels[0], hoverinfo="skip"),
                    frames=[go.Frame(data=[go.Image(z=p, hoverinfo="skip")], name=label)
                            for p, label in zip(pixels, labels)])
    _image_axes(fig)
    step_ms = 250
    fig.update_layout(
        updatemenus=[{"type": "buttons", "showactive": False, "x": 0, "y": -0.08, "xanchor": "left",
                      "yanchor": "top", "direction": "left",
                      "buttons": [{"label": "▶ Play", "method": "animate",
                                   "args": [None, {"frame": {"duration": step_ms, "redraw": True},
                                                   "transition": {"duration": 0}, "fromcurrent": False}]}]}],
        sliders=[{"active": 0, "x": 0.2, "len": 0.8, "y": -0.02, "yanchor": "top",
                  "currentvalue": {"prefix": ""},
                  "steps": [{"label": label, "method": "animate",
                             "args": [[label], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate",
                                                "transition": {"duration": 0}}]} for label in labels]}])
    apply_style(fig, height=380 if large else 330, large=large)
    fig.update_layout(margin_b=90)
    return fig


# --- the map of codes ------------------------------------------------------------------------


def latent_scatter_figure(points, labels, classes: Sequence[str], *, indices=None,
                          axis_titles: tuple[str, str] = ("z₁", "z₂"), grid: tuple | None = None,
                          walk=None, chosen=None, selected: int | None = None, title: str | None = None,
                          large: bool = False) -> go.Figure:
    """The test set's codes on the map, one trace per class (colour and marker shape).

    `points` (N, 2) map coordinates; `labels` (N,) class indices into `classes`; `indices` (N,) the
    test-set index of each point (default 0..N-1), shown on hover. Classes come in sorted order, one
    trace each, so a selected point's trace and its position within it name its image.
    Optional layers, each its own trace after the classes: `grid` = (xs, ys): a nearly invisible
    grid of points that a click can select; `walk` (M, 2): a path drawn as a line with its ends
    marked; `chosen` (2,): a star at a chosen latent point; `selected`: the test index to ring.
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    labels = np.asarray(labels, dtype=int).reshape(-1)
    if len(points) != len(labels):
        raise ValueError(f"got {len(points)} points but {len(labels)} labels")
    indices = np.arange(len(points)) if indices is None else np.asarray(indices, dtype=int).reshape(-1)
    fig = go.Figure()
    size = 9 if large else 7
    for label in np.unique(labels):
        members = labels == label
        color, symbol = class_style(int(label))
        name = str(classes[label]) if 0 <= label < len(classes) else str(label)
        fig.add_trace(go.Scatter(
            x=points[members, 0], y=points[members, 1], mode="markers", name=name,
            customdata=indices[members],
            marker={"color": color, "symbol": symbol, "size": size, "opacity": 0.75,
                    "line": {"width": 0}},
            hovertemplate=f"{name}, test image %{{customdata}}<br>({axis_titles[0]} %{{x:.2f}}, "
                          f"{axis_titles[1]} %{{y:.2f}})<extra></extra>"))
    if grid is not None:
        xs, ys = (np.asarray(v, dtype=float) for v in grid)
        gx, gy = np.meshgrid(xs, ys)
        # Almost transparent, never fully: Plotly only lets visible markers be clicked.
        fig.add_trace(go.Scatter(
            x=gx.ravel(), y=gy.ravel(), mode="markers", name=GRID_NAME, showlegend=False,
            marker={"color": GREY, "size": 14 if large else 11, "opacity": 0.08, "symbol": "square"},
            hovertemplate="decode (%{x:.2f}, %{y:.2f})<extra></extra>"))
    if walk is not None:
        path = np.asarray(walk, dtype=float).reshape(-1, 2)
        fig.add_trace(go.Scatter(
            x=path[:, 0], y=path[:, 1], mode="lines+markers", name=WALK_NAME,
            line={"color": BLACK, "width": line_width(large), "dash": "dot"},
            marker={"color": BLACK, "size": [size + 6] + [size - 2] * (len(path) - 2) + [size + 6],
                    "symbol": ["circle-open"] + ["circle"] * (len(path) - 2) + ["circle-open"]},
            hovertemplate="walk (%{x:.2f}, %{y:.2f})<extra></extra>"))
    if chosen is not None:
        x, y = np.asarray(chosen, dtype=float).reshape(2)
        fig.add_trace(go.Scatter(
            x=[x], y=[y], mode="markers", name=POINT_NAME,
            marker={"color": VERMILLION, "size": size + 12, "symbol": "star",
                    "line": {"color": BLACK, "width": 1.5}},
            hovertemplate="chosen point (%{x:.2f}, %{y:.2f})<extra></extra>"))
    if selected is not None and selected in set(indices.tolist()):
        where = points[int(np.flatnonzero(indices == selected)[0])]
        fig.add_trace(go.Scatter(
            x=[where[0]], y=[where[1]], mode="markers", name=SELECTED_NAME,
            marker={"color": "rgba(0,0,0,0)", "size": size + 12, "symbol": "circle-open",
                    "line": {"color": BLACK, "width": 3}},
            hovertemplate=f"test image {selected}<extra></extra>"))
    fig.update_xaxes(title_text=axis_titles[0], zeroline=True, zerolinecolor="#dddddd")
    fig.update_yaxes(title_text=axis_titles[1], zeroline=True, zerolinecolor="#dddddd")
    apply_style(fig, title=title, height=680 if large else 620, large=large)
    # The legend sits above the plot, so the map keeps the full width.
    fig.update_layout(legend={"title": {"text": "class "}, "itemsizing": "constant", "orientation": "h",
                              "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
                      dragmode="pan", clickmode="event+select")
    return fig


def pca_scatter_figure(ae_points, pca_points, labels, classes: Sequence[str], *,
                       titles: tuple[str, str] = ("autoencoder codes", "PCA, 2 components"),
                       large: bool = False) -> go.Figure:
    """The autoencoder's map and PCA's side by side, coloured by class alike, one shared legend.

    `ae_points`, `pca_points`: (N, 2) for the same N test images; `labels` (N,) class indices.
    Returns one trace per class in each panel (the right panel's traces stay out of the legend but
    toggle with the left's).
    """
    left = np.asarray(ae_points, dtype=float).reshape(-1, 2)
    right = np.asarray(pca_points, dtype=float).reshape(-1, 2)
    labels = np.asarray(labels, dtype=int).reshape(-1)
    if not len(left) == len(right) == len(labels):
        raise ValueError(f"got {len(left)} and {len(right)} points for {len(labels)} labels")
    fig = make_subplots(rows=1, cols=2, subplot_titles=list(titles), horizontal_spacing=0.08)
    size = 7 if large else 5
    for col, points in enumerate((left, right), 1):
        for label in np.unique(labels):
            members = labels == label
            color, symbol = class_style(int(label))
            name = str(classes[label]) if 0 <= label < len(classes) else str(label)
            fig.add_trace(go.Scatter(
                x=points[members, 0], y=points[members, 1], mode="markers", name=name, legendgroup=name,
                showlegend=col == 1, marker={"color": color, "symbol": symbol, "size": size, "opacity": 0.75},
                hovertemplate=f"{name}<extra></extra>"), row=1, col=col)
    apply_style(fig, height=460 if large else 420, large=large)
    fig.update_layout(legend={"title": {"text": "class"}, "itemsizing": "constant"})
    return fig
