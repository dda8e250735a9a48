"""Figures of transfer learning: the three ways' test accuracy side by side (one panel per training-set
size), the first layer's filters before and after fine-tuning, and the results as a table. Pure: tables
in, Plotly figures (or the live board's series) out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import BLUE, BLUISH_GREEN, DIVERGING, GREY, ORANGE, PLAIN, Style, apply_style

__all__ = ["ACCURACY_CHART", "WAY_STYLE", "accuracy_series", "board_metrics", "curves_figure", "filters_figure",
           "results_frame"]

WAY_CODES = {"scratch": 1, "finetune": 2, "frozen": 3}
WAY_NAMES = {"scratch": "from scratch", "finetune": "fine-tune everything", "frozen": "frozen features, new head"}
# Short enough for a metric in a third of a 1280-pixel page ("fine-tune everything, 5 a class" was cut).
WAY_SHORT = {"scratch": "scratch", "finetune": "fine-tune", "frozen": "frozen"}
NOW_LABEL = "Training now (way · images a class)"
# Colour and dash both tell the ways apart (colour is never the only carrier).
WAY_STYLE = {"scratch": (BLUE, None), "finetune": (ORANGE, "dash"), "frozen": (BLUISH_GREEN, "dot")}
PRETRAIN_NAME = "pretraining on 0–4"
RESNET_NAME = "ResNet-18 (ImageNet) features, new head"
ACCURACY_CHART = {"x_title": "epoch", "y_title": "test accuracy", "y_format": "percent", "height": 240,
                  "y_range": [0, 1]}


def _rows(history: pd.DataFrame, code: int, size: int) -> pd.DataFrame:
    if not len(history) or "way" not in history:
        return pd.DataFrame({"way_epoch": [], "val_acc": []})
    return history[(history["way"] == code) & (history["size"] == size)]


def accuracy_series(history: pd.DataFrame, size: int) -> list[dict]:
    """The live board's lines for one panel: the three ways' test accuracy on B at `size` images a class
    against their epoch, or (size 0) the pretraining's test accuracy on A."""
    from playground.live_encoding import series

    if size == 0:
        rows = _rows(history, 0, 0)
        return [series(PRETRAIN_NAME, rows["way_epoch"], rows["val_acc"], GREY)] if len(rows) else []
    lines = []
    for way, code in WAY_CODES.items():
        rows = _rows(history, code, size)
        colour, dash = WAY_STYLE[way]
        line = series(WAY_NAMES[way], rows["way_epoch"], rows["val_acc"], colour)
        lines.append({**line, "dash": dash} if dash else line)
    return lines


def board_metrics(history: pd.DataFrame, table: dict[str, dict[int, float]]) -> dict[str, str]:
    """The board's numbers as text: A's test accuracy after pretraining, what trains now, and the gain of
    fine-tuning over scratch at the smallest size once both are known."""
    pre = _rows(history, 0, 0)
    now = "–"
    if len(history) and "way" in history:
        last = history.iloc[-1]
        way = {0: "pretraining", 4: "ResNet-18"} | {c: WAY_SHORT[w] for w, c in WAY_CODES.items()}
        now = way[int(last["way"])] + (f" · {int(last['size'])}" if int(last["size"]) else "")
    sizes = sorted(set(table.get("scratch", {})) & set(table.get("finetune", {})))
    gap = "–"
    if sizes:
        gap = f"{100 * (table['finetune'][sizes[0]] - table['scratch'][sizes[0]]):+.0f} points"
    label = f"Fine-tune − scratch ({sizes[0]} a class)" if sizes else "Fine-tune − scratch (5 a class)"
    return {"Pretraining on 0–4": f"{pre['val_acc'].iloc[-1]:.0%}" if len(pre) else "–", NOW_LABEL: now,
            label: gap}


def curves_figure(history: pd.DataFrame, sizes, *, style: Style = PLAIN) -> go.Figure:
    """Test accuracy against the epoch: one panel per training-set size with the three ways, and a last
    panel with the pretraining on A."""
    titles = [f"{n} images a class" for n in sizes] + ["Task A: digits 0–4"]
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, shared_yaxes=True,
                        horizontal_spacing=0.04)
    for col, n in enumerate(sizes, start=1):
        for way, code in WAY_CODES.items():
            rows = _rows(history, code, n)
            colour, dash = WAY_STYLE[way]
            fig.add_trace(go.Scatter(x=rows["way_epoch"], y=rows["val_acc"], name=WAY_NAMES[way], mode="lines",
                                     line={"color": colour, "dash": dash or "solid"}, legendgroup=way,
                                     showlegend=col == 1,
                                     hovertemplate="epoch %{x}: %{y:.0%}<extra>" + WAY_NAMES[way] + "</extra>"),
                          row=1, col=col)
    pre = _rows(history, 0, 0)
    fig.add_trace(go.Scatter(x=pre["way_epoch"], y=pre["val_acc"], name=PRETRAIN_NAME, mode="lines",
                             line={"color": GREY}, hovertemplate="epoch %{x}: %{y:.0%}<extra></extra>"),
                  row=1, col=len(titles))
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    fig.update_yaxes(title_text="test accuracy", row=1, col=1)
    fig.update_xaxes(title_text="epoch")
    apply_style(fig, height=360 if style.large else 320, large=style.large)
    fig.update_layout(legend={"orientation": "h", "y": -0.28, "x": 0})
    return fig


def _tile(filters: np.ndarray, columns: int = 4) -> np.ndarray:
    """Filters (K, h, w) laid out in a grid `columns` wide with a blank (NaN) line between them."""
    k, h, w = filters.shape
    rows = -(-k // columns)
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan)
    for i, f in enumerate(filters):
        r, c = divmod(i, columns)
        out[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = f
    return out


def filters_figure(filters: list[dict], *, style: Style = PLAIN) -> go.Figure:
    """The first layer's 16 filters at each stage of `filters` ({"label", "filters" (16, 3, 3)}), side by
    side on one colour scale centred on 0 (blue negative, red positive; the numbers show on hover)."""
    fig = make_subplots(rows=1, cols=max(len(filters), 1), subplot_titles=[f["label"] for f in filters] or [""],
                        horizontal_spacing=0.06)
    arrays = [np.asarray(f["filters"], dtype=float) for f in filters]
    top = max([float(np.abs(a).max()) for a in arrays] + [1e-6])
    for col, a in enumerate(arrays, start=1):
        fig.add_trace(go.Heatmap(z=_tile(a), zmin=-top, zmax=top, colorscale=DIVERGING, showscale=col == len(arrays),
                                 hovertemplate="weight %{z:.3f}<extra></extra>"), row=1, col=col)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    return apply_style(fig, height=320, large=style.large)


def results_frame(table: dict[str, dict[int, float]]) -> pd.DataFrame:
    """The final test accuracies as a table: a row per way, a column per size ("5 a class"), "70%" text."""
    sizes = sorted({n for row in table.values() for n in row})
    ways = [w for w in (*WAY_CODES, "resnet18") if w in table]
    index = [WAY_NAMES.get(w, RESNET_NAME) for w in ways]
    data = [[f"{table[w][n]:.0%}" if n in table[w] else "–" for n in sizes] for w in ways]
    return pd.DataFrame(data, index=index, columns=[f"{n} a class" for n in sizes])
