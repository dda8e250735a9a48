"""Figures about a training run: learning curves, the confusion matrix and sample predictions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import (
    CORRECT_COLOR,
    SEQUENTIAL,
    TRAIN_COLOR,
    VAL_COLOR,
    WRONG_COLOR,
    add_message,
    apply_style,
    line_width,
    message_figure,
    small_font_size,
    to_rgb_bytes,
)

# Below this many points a curve also gets markers, so single epochs stay visible.
_MARKER_LIMIT = 30
_NO_EPOCHS = "No epochs yet"
_NOT_CLASSIFICATION = "Accuracy applies to classification only"
_NO_SAMPLES = "No samples"


# --- learning curves -------------------------------------------------------------------------


def _curve_traces(
    history: pd.DataFrame,
    train_column: str,
    val_column: str,
    *,
    quantity: str,
    y_format: str,
    large: bool,
) -> list[go.Scatter]:
    """Two line traces, "train" and "validation", for two columns of `history` against epoch.

    Rows where a column is NaN are left out of that trace (rather than drawn as gaps), so a
    validation score logged every few epochs still forms one connected line.
    """
    if "epoch" in history.columns:
        epochs = history["epoch"].to_numpy()
    else:
        epochs = np.arange(1, len(history) + 1)
    traces = []
    for name, column, color in (("train", train_column, TRAIN_COLOR), ("validation", val_column, VAL_COLOR)):
        if column in history.columns:
            values = pd.to_numeric(history[column], errors="coerce").to_numpy(dtype=float)
        else:
            values = np.full(len(history), np.nan)
        keep = np.isfinite(values)
        x, y = epochs[keep], values[keep]
        traces.append(
            go.Scatter(
                x=x,
                y=y,
                name=name,
                legendgroup=name,
                mode="lines+markers" if len(x) < _MARKER_LIMIT else "lines",
                line={"color": color, "width": line_width(large)},
                marker={"color": color, "size": 9 if large else 6},
                hovertemplate=f"{name} {quantity} %{{y:{y_format}}}<extra></extra>",
            )
        )
    return traces


def _has_accuracy(history: pd.DataFrame) -> bool:
    """Whether `history` holds any accuracy value (it does not for regression runs)."""
    columns = [c for c in ("train_acc", "val_acc") if c in history.columns]
    if not columns:
        return False
    return bool(history[columns].apply(pd.to_numeric, errors="coerce").notna().to_numpy().any())


def _style_loss_axes(fig: go.Figure, **where) -> None:
    fig.update_xaxes(title_text="epoch", **where)
    fig.update_yaxes(title_text="loss", rangemode="tozero", **where)


def _style_accuracy_axes(fig: go.Figure, **where) -> None:
    fig.update_xaxes(title_text="epoch", **where)
    fig.update_yaxes(title_text="accuracy", tickformat=".0%", range=[0, 1.02], **where)


def _style_curves(fig: go.Figure, *, large: bool, height: int) -> go.Figure:
    apply_style(fig, height=height, large=large)
    fig.update_layout(
        hovermode="x unified",
        # Top left, clear of the mode bar that Plotly shows at the top right.
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        margin_t=40 if large else 30,
    )
    return fig


def loss_figure(history: pd.DataFrame, *, large: bool = False) -> go.Figure:
    """Training and validation loss against epoch.

    `history` has one row per epoch with columns `epoch`, `train_loss`, `val_loss` (NaN where
    a value was not measured; more columns are ignored). Returns a figure with two line
    traces named "train" and "validation", or, for an empty history, empty axes with a
    "No epochs yet" note.
    """
    fig = go.Figure()
    _style_loss_axes(fig)
    if history.empty:
        fig.update_xaxes(range=[0, 10])
        fig.update_yaxes(range=[0, 1])
        add_message(fig, _NO_EPOCHS, large=large)
    else:
        fig.add_traces(
            _curve_traces(history, "train_loss", "val_loss", quantity="loss", y_format=".4f", large=large)
        )
    return _style_curves(fig, large=large, height=340 if large else 300)


def accuracy_figure(history: pd.DataFrame, *, large: bool = False) -> go.Figure:
    """Training and validation accuracy against epoch, on a 0–100 % axis.

    `history` is as for `loss_figure`, with accuracy columns `train_acc`, `val_acc` holding
    fractions in [0, 1]. Returns two line traces "train" and "validation". An empty history
    gets the "No epochs yet" note; when the accuracy columns are missing or all NaN (a
    regression run) the axes say that accuracy applies to classification only.
    """
    fig = go.Figure()
    _style_accuracy_axes(fig)
    if history.empty:
        fig.update_xaxes(range=[0, 10])
        add_message(fig, _NO_EPOCHS, large=large)
    elif not _has_accuracy(history):
        add_message(fig, _NOT_CLASSIFICATION, large=large)
    else:
        fig.add_traces(
            _curve_traces(history, "train_acc", "val_acc", quantity="accuracy", y_format=".1%", large=large)
        )
    return _style_curves(fig, large=large, height=340 if large else 300)


def _placeholder() -> go.Scatter:
    """An empty trace that keeps a subplot on screen: Plotly.js draws only subplots that hold a trace."""
    return go.Scatter(x=[], y=[], name="", showlegend=False, hoverinfo="skip")


def curves_figure(history: pd.DataFrame, *, large: bool = False) -> go.Figure:
    """Loss (left) and accuracy (right) side by side, sharing one legend.

    `history` is as for `loss_figure` and `accuracy_figure`. Returns a figure with two
    subplots. The loss subplot holds traces "train" and "validation"; so does the accuracy
    subplot when accuracy applies, hidden from the legend but grouped with the loss pair so
    that clicking "train" toggles both. A subplot with nothing to plot (empty history, or
    accuracy for a regression run) holds one empty, nameless trace and a note instead.
    """
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12 if large else 0.1)
    _style_loss_axes(fig, row=1, col=1)
    _style_accuracy_axes(fig, row=1, col=2)
    # Zooming into some epochs on one side shows the same epochs on the other.
    fig.update_xaxes(matches="x", row=1, col=2)
    if history.empty:
        fig.update_xaxes(range=[0, 10])
        fig.update_yaxes(range=[0, 1], row=1, col=1)
        for col in (1, 2):
            fig.add_trace(_placeholder(), row=1, col=col)
            add_message(fig, _NO_EPOCHS, large=large, row=1, col=col)
        return _style_curves(fig, large=large, height=340 if large else 300)
    loss = _curve_traces(history, "train_loss", "val_loss", quantity="loss", y_format=".4f", large=large)
    for trace in loss:
        fig.add_trace(trace, row=1, col=1)
    if _has_accuracy(history):
        accuracy = _curve_traces(
            history, "train_acc", "val_acc", quantity="accuracy", y_format=".1%", large=large
        )
        for trace in accuracy:
            trace.showlegend = False
            fig.add_trace(trace, row=1, col=2)
    else:
        fig.add_trace(_placeholder(), row=1, col=2)
        add_message(fig, _NOT_CLASSIFICATION, large=large, row=1, col=2)
    return _style_curves(fig, large=large, height=340 if large else 300)


# --- confusion matrix ------------------------------------------------------------------------


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    `y_true`, `y_pred`: integer class indices, shape (N,), each in [0, num_classes).
    Returns an int64 array of shape (num_classes, num_classes): entry [i, j] counts the
    examples of true class i that were predicted as class j (rows true, columns predicted).
    """
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}")
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{name} holds a class outside 0..{num_classes - 1}")
    # Pair (i, j) becomes the single index i * K + j, so one bincount counts every cell.
    counts = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def confusion_figure(
    matrix: np.ndarray, classes: list[str], *, normalize: bool = True, large: bool = False
) -> go.Figure:
    """Heatmap of a confusion matrix with the count written in every cell.

    `matrix`: int array (K, K), rows = true class, columns = predicted class, as returned
    by `confusion_matrix`. `classes`: K class names for the tick labels. With `normalize`
    the colour shows each cell's share of its row (the fraction of that true class), so
    rare classes are as readable as common ones; otherwise it shows the raw count.
    Returns a figure with one heatmap trace; row 0 is drawn at the top.
    """
    counts = np.asarray(matrix)
    k = counts.shape[0]
    if counts.shape != (k, k) or len(classes) != k:
        raise ValueError(f"expected a {len(classes)}×{len(classes)} matrix, got shape {counts.shape}")
    names = [str(c) for c in classes]
    if normalize:
        row_totals = counts.sum(axis=1, keepdims=True)
        # A class with no examples gets a row of zeros rather than a division by zero.
        z = np.divide(counts, row_totals, out=np.zeros(counts.shape, dtype=float), where=row_totals > 0)
        colorbar = {"title": {"text": "share of row", "side": "right"}, "tickformat": ".0%", "thickness": 12}
        zmax = 1.0
        share = "<br>%{z:.1%} of true %{y}"
    else:
        z = counts.astype(float)
        colorbar = {"title": {"text": "count", "side": "right"}, "thickness": 12}
        zmax = max(float(counts.max(initial=0)), 1.0)
        share = ""
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=names,
            y=names,
            text=counts,
            texttemplate="%{text}",
            # Large matrices get smaller digits so they still fit their cells.
            textfont={"size": small_font_size(large) if k <= 10 else max(small_font_size(large) - 3, 8)},
            colorscale=SEQUENTIAL,
            zmin=0.0,
            zmax=zmax,
            xgap=1,
            ygap=1,
            colorbar=colorbar,
            hovertemplate="true %{y}<br>predicted %{x}<br>count %{text}" + share + "<extra></extra>",
        )
    )
    fig.update_xaxes(
        title_text="predicted",
        type="category",
        side="bottom",
        showgrid=False,
        # Digits and short names fit upright; longer names are tilted so they do not overlap.
        tickangle=0 if max((len(n) for n in names), default=0) <= 5 else -45,
    )
    fig.update_yaxes(
        title_text="true",
        type="category",
        autorange="reversed",
        showgrid=False,
    )
    cell = 52 if large else 40
    height = int(min(max(cell * k + 160, 360), 820 if large else 700))
    return apply_style(fig, height=height, large=large)


# --- sample predictions ----------------------------------------------------------------------


def order_misclassified_first(true: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Indices that put misclassified examples first, then the correct ones.

    `true`, `predicted`: class indices, shape (N,). Returns an int array (N,), a permutation
    of 0..N-1 that keeps the original order within each group (a stable sort).
    """
    correct = np.asarray(true).ravel() == np.asarray(predicted).ravel()
    # False sorts before True, and "stable" keeps ties in their original order.
    return np.argsort(correct, kind="stable")


def predictions_figure(
    images: np.ndarray,
    true: np.ndarray,
    predicted: np.ndarray,
    classes: list[str],
    *,
    confidence: np.ndarray | None = None,
    columns: int = 8,
    large: bool = False,
) -> go.Figure:
    """A grid of example images, each titled with its true and predicted class.

    `images`: floats (N, C, H, W) in [0, 1], C = 1 (grayscale) or 3 (RGB). `true`,
    `predicted`: class indices (N,) into `classes`. `confidence`: optional (N,) probability
    of the predicted class. Returns one `go.Image` trace per example, `columns` per row.
    Titles read "✓ 7→7 92%" in bluish green when right and "✗ 7→1 61%" in
    vermillion when wrong; the mark says the same as the colour for colour-blind viewers.
    N = 0 gives an empty figure with a "No samples" note.
    """
    true = np.asarray(true).ravel()
    predicted = np.asarray(predicted).ravel()
    n = len(true)
    if n == 0:
        return message_figure(_NO_SAMPLES, large=large)
    pixels = to_rgb_bytes(images)
    if len(pixels) != n or len(predicted) != n:
        raise ValueError(f"got {len(pixels)} images, {n} true labels and {len(predicted)} predictions")
    conf = None if confidence is None else np.asarray(confidence, dtype=float).ravel()

    titles, colors, hovers = [], [], []
    for i in range(n):
        right = bool(true[i] == predicted[i])
        true_name, pred_name = str(classes[int(true[i])]), str(classes[int(predicted[i])])
        sure = conf is not None and math.isfinite(conf[i])
        percent = f" {conf[i]:.0%}" if sure else ""
        titles.append(f"{'✓' if right else '✗'} {true_name}→{pred_name}{percent}")
        colors.append(CORRECT_COLOR if right else WRONG_COLOR)
        hovers.append(
            f"true {true_name}, predicted {pred_name}"
            + (f"<br>confidence {conf[i]:.1%}" if sure else "")
            + ("" if right else "<br>misclassified")
        )

    cols = max(1, min(columns, n))
    rows = math.ceil(n / cols)
    cell = 130 if large else 100  # pixels per grid row, title included
    height = rows * cell + 20
    title_room = (28 if large else 22) / height
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        horizontal_spacing=min(0.02, 1 / cols) if cols > 1 else 0.0,
        vertical_spacing=min(title_room, 1 / (rows - 1)) if rows > 1 else 0.0,
    )
    for i in range(n):
        fig.add_trace(
            go.Image(z=pixels[i], name=titles[i], hovertemplate=hovers[i] + "<extra></extra>"),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    apply_style(fig, height=height, large=large)
    for annotation, color in zip(fig.layout.annotations, colors):
        annotation.font = {"color": color, "size": small_font_size(large)}
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="")
    fig.update_layout(margin={"t": 24 if large else 20})
    return fig


__all__ = [
    "accuracy_figure",
    "confusion_figure",
    "confusion_matrix",
    "curves_figure",
    "loss_figure",
    "order_misclassified_first",
    "predictions_figure",
]


# --- the same curves for the live board (`playground.ui.live`) -------------------------------

LOSS_CHART = {"x_title": "epoch", "y_title": "loss", "y_format": "number", "height": 300}
ACCURACY_CHART = {"x_title": "epoch", "y_title": "accuracy", "y_format": "percent", "height": 300,
                  "y_range": [0, 1.02]}


def curve_series(history: pd.DataFrame) -> dict:
    """What `curves_figure` draws, as the live board's charts: {"loss": ..., "accuracy": ...}, each
    with a "train" and a "validation" line (NaN rows left out, dots while there are few epochs)."""
    from playground.live_encoding import series

    epochs = history["epoch"].to_numpy(dtype=float) if "epoch" in history.columns else np.arange(1, len(history) + 1)
    charts = {}
    for chart, columns in (("loss", ("train_loss", "val_loss")), ("accuracy", ("train_acc", "val_acc"))):
        lines = []
        for name, column, color in zip(("train", "validation"), columns, (TRAIN_COLOR, VAL_COLOR)):
            values = (pd.to_numeric(history[column], errors="coerce").to_numpy(dtype=float) if column in history.columns
                      else np.full(len(history), np.nan))
            keep = np.isfinite(values)
            line = series(name, epochs[keep], values[keep], color)
            line["dots"] = int(keep.sum()) < _MARKER_LIMIT
            lines.append(line)
        charts[chart] = {"series": lines}
    return charts
