"""Figures of word embeddings: the words on the plane with a relation's pairs joined, the training
curves (loss and analogy accuracy), and a ranked list of words with their cosine similarities.
Pure: arrays and tables in, Plotly figures out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import BLUE, GREY, ORANGE, PALETTE, PLAIN, Style, add_message, apply_style

__all__ = ["embedding_map_figure", "similarity_figure", "word2vec_curves_figure"]

_PAIR_COLOR = "#B0B0B0"


def embedding_map_figure(points: np.ndarray, words: list[str], pairs: list[tuple[str, str]], *,
                         ends: tuple[str, str] = ("from", "to"), axes: tuple[str, str] = ("PC 1", "PC 2"),
                         title: str | None = None, style: Style = PLAIN) -> go.Figure:
    """Words as labelled points on the plane, each pair (from, to) of a relation joined by a grey line.

    points: (n, 2), one row per word of `words`. Words that start a pair are blue circles, words that end
    one orange diamonds (named in the legend by `ends`, e.g. ("male", "female")), any other word a grey
    dot; every word also carries its label, so nothing depends on colour. `axes`: the axis titles.
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    where = {w: i for i, w in enumerate(words)}
    pairs = [(a, b) for a, b in pairs if a in where and b in where]
    fig = go.Figure()
    xs, ys = [], []
    for a, b in pairs:
        xs += [points[where[a], 0], points[where[b], 0], None]
        ys += [points[where[a], 1], points[where[b], 1], None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": _PAIR_COLOR, "width": 1.5},
                             name=f"pairs ({ends[0]} → {ends[1]})", hoverinfo="skip"))
    starts = [a for a, _ in pairs]
    finishes = [b for _, b in pairs]
    others = [w for w in words if w not in starts and w not in finishes]
    for group, name, color, symbol in ((starts, ends[0], BLUE, "circle"), (finishes, ends[1], ORANGE, "diamond"),
                                       (others, "other words", GREY, "circle")):
        if not group:
            continue
        rows = [where[w] for w in group]
        fig.add_trace(go.Scatter(x=points[rows, 0], y=points[rows, 1], mode="markers+text", text=group, name=name,
                                 textposition="top center", textfont={"size": style.small_font_size},
                                 marker={"color": color, "symbol": symbol, "size": 9,
                                         "line": {"color": "#333333", "width": 1}},
                                 hovertemplate="%{text}<extra>" + name + "</extra>"))
    if not len(points):
        add_message(fig, "No words to show", large=style.large)
    fig.update_xaxes(title_text=axes[0], zeroline=False)
    fig.update_yaxes(title_text=axes[1], zeroline=False, scaleanchor="x", scaleratio=1)
    apply_style(fig, title=title, height=520, large=style.large)
    fig.update_layout(legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0})
    return fig


def word2vec_curves_figure(history: pd.DataFrame, relations: dict[str, str], *, style: Style = PLAIN) -> go.Figure:
    """Two panels against the epoch: the skip-gram loss (left) and the analogy accuracy (right), one line
    per relation (dashed, named with what it turns into what) and a thick one over all questions.

    history: columns epoch, loss (NaN where not measured), accuracy_all and accuracy_<relation> for each
    key of `relations` ({name: label})."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss (nats per word pair)", "analogy accuracy"),
                        horizontal_spacing=0.12)
    losses = history.dropna(subset=["loss"]) if len(history) and "loss" in history else history.iloc[0:0]
    fig.add_trace(go.Scatter(x=losses.get("epoch", []), y=losses.get("loss", []), mode="lines+markers",
                             name="loss", line={"color": BLUE, "width": style.line_width}, marker={"size": 5},
                             hovertemplate="epoch %{x:.2f}<br>loss %{y:.3f}<extra></extra>"), row=1, col=1)
    if len(history):
        dashes = ("dash", "dot", "dashdot", "longdash")
        for n, (relation, label) in enumerate(relations.items()):
            column = f"accuracy_{relation}"
            if column in history:
                fig.add_trace(go.Scatter(x=history["epoch"], y=history[column], mode="lines", name=f"{relation} "
                                         f"({label})", line={"color": PALETTE[2 + n % 4], "dash": dashes[n % 4],
                                                             "width": style.line_width},
                                         hovertemplate="epoch %{x:.2f}<br>%{y:.0%}<extra>" + relation + "</extra>"),
                              row=1, col=2)
        if "accuracy_all" in history:
            fig.add_trace(go.Scatter(x=history["epoch"], y=history["accuracy_all"], mode="lines", name="all questions",
                                     line={"color": ORANGE, "width": style.line_width + 1.5},
                                     hovertemplate="epoch %{x:.2f}<br>%{y:.0%}<extra>all</extra>"), row=1, col=2)
    else:
        add_message(fig, "No epochs yet", row=1, col=2, large=style.large)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[-0.02, 1.02], tickformat=".0%", row=1, col=2)
    apply_style(fig, height=360, large=style.large)
    fig.update_layout(legend={"orientation": "h", "y": -0.25, "yanchor": "top", "x": 0})
    return fig


def similarity_figure(answers: list[tuple[str, float]], *, title: str | None = None,
                      style: Style = PLAIN) -> go.Figure:
    """Words and their cosine similarities as horizontal bars, the first on top, each with its value
    written beside it. answers: [(word, cosine)] best first."""
    words = [w for w, _ in answers]
    scores = [s for _, s in answers]
    fig = go.Figure(go.Bar(x=scores, y=words, orientation="h", marker_color=BLUE, text=[f"{s:+.2f}" for s in scores],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{y}: cosine %{x:.3f}<extra></extra>"))
    low = min([0.0, *scores])
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title_text="cosine similarity", range=[low - 0.05 if low < 0 else 0, 1.15])
    if not answers:
        add_message(fig, "No words", large=style.large)
    apply_style(fig, title=title, height=110 + 34 * max(len(answers), 1), large=style.large)
    return fig
