"""Figures of the character language model: its loss against the unigram baseline, and its guess of the
next character. Pure: arrays and tables in, Plotly figures (or the live board's series) out."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from playground.figures.style import BLUE, GREY, ORANGE, PLAIN, Style, add_message, apply_style

__all__ = ["LOSS_CHART", "SMOOTHING", "loss_figure", "loss_series", "next_char_figure", "readable_char",
           "smoothed_training_loss"]

SMOOTHING = 20  # steps in the running mean of the training loss drawn (one batch's loss is noisy)
LOSS_CHART = {"x_title": "step", "y_title": "loss (nats per character)", "y_format": "number", "height": 300}
_MAX_POINTS = 400  # points of a curve drawn; longer ones are thinned evenly
_SHOWN = {" ": "␣ (space)", "\n": "↵ (new line)", "\t": "⇥ (tab)"}


def readable_char(c: str) -> str:
    """A character as a label: the space, new line and tab as visible symbols, others as themselves."""
    if c in _SHOWN:
        return _SHOWN[c]
    return c if c.isprintable() else f"U+{ord(c):04X}"


def _thin(frame: pd.DataFrame) -> pd.DataFrame:
    if len(frame) <= _MAX_POINTS:
        return frame
    return frame.iloc[np.unique(np.linspace(0, len(frame) - 1, _MAX_POINTS).astype(int))]


def smoothed_training_loss(history: pd.DataFrame) -> pd.DataFrame:
    """(epoch, train_loss) rows with the running mean over `SMOOTHING` steps, thinned to a few hundred."""
    rows = history.dropna(subset=["train_loss"]) if len(history) and "train_loss" in history else history.iloc[0:0]
    if not len(rows):
        return pd.DataFrame({"epoch": [], "train_loss": []})
    smooth = rows["train_loss"].astype(float).rolling(SMOOTHING, min_periods=1).mean()
    return _thin(pd.DataFrame({"epoch": rows["epoch"].to_numpy(dtype=float), "train_loss": smooth.to_numpy()}))


def _held_out(history: pd.DataFrame) -> pd.DataFrame:
    if not len(history) or "val_loss" not in history:
        return pd.DataFrame({"epoch": [], "val_loss": []})
    return _thin(history.dropna(subset=["val_loss"]))


def loss_series(history: pd.DataFrame, baseline: float) -> list[dict]:
    """What `loss_figure` draws, as the live board's chart: training loss (running mean), held-out loss
    and the baseline (dotted)."""
    from playground.live_encoding import series

    train, held = smoothed_training_loss(history), _held_out(history)
    lines = []
    if len(train):
        lines.append(series("training (running mean)", train["epoch"], train["train_loss"], BLUE))
    if len(held):
        lines.append(series("held-out text", held["epoch"], held["val_loss"], ORANGE))
    last = max([float(history["epoch"].max())] if len(history) else [0.0]) or 1.0
    lines.append({**series(f"unigram baseline ({baseline:.2f})", [0, last], [baseline, baseline], GREY),
                  "dash": True})
    return lines


def loss_figure(history: pd.DataFrame, baseline: float, *, style: Style = PLAIN) -> go.Figure:
    """Loss per character in nats against the step: training (running mean), held-out, and the unigram
    entropy of the text as a dotted line (no model that ignores context does better).

    `history` has columns epoch (the step), train_loss and val_loss (NaN where not measured)."""
    large = style.large
    fig = go.Figure()
    train, held = smoothed_training_loss(history), _held_out(history)
    hover = "step %{x}<br>%{y:.3f} nats = %{customdata:.3f} bits per character<extra>%{fullData.name}</extra>"
    if len(train):
        fig.add_trace(go.Scatter(x=train["epoch"], y=train["train_loss"], name="training (running mean)",
                                 mode="lines", line={"color": BLUE, "width": 2}, hovertemplate=hover,
                                 customdata=train["train_loss"] / math.log(2)))
    if len(held):
        fig.add_trace(go.Scatter(x=held["epoch"], y=held["val_loss"], name="held-out text", hovertemplate=hover,
                                 mode="lines+markers", line={"color": ORANGE, "width": 2, "dash": "dash"},
                                 marker={"symbol": "diamond", "size": 6}, customdata=held["val_loss"] / math.log(2)))
    if not len(train) and not len(held):
        fig.add_trace(go.Scatter(x=[], y=[], showlegend=False, hoverinfo="skip"))
        add_message(fig, "No steps yet", large=large)
    fig.add_hline(y=baseline, line={"color": GREY, "dash": "dot", "width": 2},
                  annotation_text=f"unigram baseline: {baseline:.2f} nats ({baseline / math.log(2):.2f} bits)",
                  annotation_position="top right")
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="loss (nats per character)", rangemode="tozero")
    apply_style(fig, height=360, large=large)
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return fig


def next_char_figure(chars: str, probabilities: np.ndarray, *, top: int = 15, prefix: str = "",
                     style: Style = PLAIN) -> go.Figure:
    """The `top` most likely next characters as horizontal bars, most likely on top, each labelled with
    its probability in per cent. `chars`: the vocabulary (V characters), `probabilities`: (V,)."""
    p = np.asarray(probabilities, dtype=float)
    order = np.argsort(-p, kind="stable")[:top]
    labels = [readable_char(chars[i]) for i in order]
    fig = go.Figure(go.Bar(x=p[order], y=labels, orientation="h", marker_color=BLUE,
                           text=[f"{v:.1%}" for v in p[order]], textposition="outside", cliponaxis=False,
                           hovertemplate="%{y}: %{x:.2%}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category", title_text="next character")
    fig.update_xaxes(title_text="probability", tickformat=".0%", range=[0, min(1.0, float(p[order].max()) * 1.2
                                                                                   + 0.02) if len(order) else 1])
    title = f"After “{prefix[-30:]}”" if prefix else None
    apply_style(fig, title=title, height=120 + 26 * len(order), large=style.large)
    return fig
