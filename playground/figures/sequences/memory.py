"""Figures of long memory: the test MSE of an RNN, an LSTM and a GRU against epochs with the mean's
baseline, and an LSTM's gates and cell state over one sequence as heatmaps (time × units)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import BLACK, DIVERGING, PALETTE, PLAIN, SEQUENTIAL, Style, add_message, apply_style
from playground.sequences.memory import MEAN_MSE, Gates

BASELINE_LABEL = f"predict the mean: {MEAN_MSE:.3f}"
BASELINE_COLOR = BLACK
# The live board's chart of the same curves (playground.ui.live.chart's settings).
# Both stop at Y_TOP: the untrained networks start far above (1 or more), which would flatten the part that
# matters, the mean's 0.167 against the learned networks' near 0.
Y_TOP = 0.3
MSE_CHART = {"x_title": "epoch", "y_title": "MSE (axis stops at 0.3)", "y_format": "number", "height": 380,
             "y_range": [0, Y_TOP]}
# What the gates figure draws, top to bottom: (Gates field, row title, colour scale range).
GATE_ROWS = (("input", "input gate i", (0.0, 1.0)), ("forget", "forget gate f", (0.0, 1.0)),
             ("output", "output gate o", (0.0, 1.0)), ("cell", "cell state c", None))


def mse_curves_figure(histories: Mapping[str, pd.DataFrame], *, baseline: float = MEAN_MSE,
                      style: Style = PLAIN) -> go.Figure:
    """Each network's test MSE (solid) and training MSE (dashed) against epoch, one colour per network,
    and the baseline of predicting the mean as a labelled dotted black line. The y axis stops at Y_TOP
    (hovering still gives the values above)."""
    fig = go.Figure()
    last_epoch = 1
    for k, (name, history) in enumerate(histories.items()):
        color = PALETTE[k % len(PALETTE)]
        for column, part, dash in (("train_loss", "training", "dash"), ("val_loss", "test", "solid")):
            if column not in history:
                continue
            rows = history[["epoch", column]].dropna()
            fig.add_trace(go.Scatter(x=rows["epoch"], y=rows[column], name=f"{name}, {part}", legendgroup=name,
                                     mode="lines+markers" if part == "test" else "lines",
                                     line={"color": color, "dash": dash, "width": 2.5 if part == "test" else 1.5}))
            if len(rows):
                last_epoch = max(last_epoch, int(rows["epoch"].max()))
    fig.add_trace(go.Scatter(x=[0, last_epoch], y=[baseline, baseline], mode="lines", name=BASELINE_LABEL,
                             line={"color": BASELINE_COLOR, "dash": "dot", "width": 2}, hoverinfo="name"))
    fig.add_annotation(x=last_epoch, y=baseline, text=BASELINE_LABEL, showarrow=False, xanchor="right",
                       yanchor="bottom", font={"size": style.small_font_size})
    if not histories:
        add_message(fig, "No epochs yet", large=style.large)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text=f"mean squared error (axis stops at {Y_TOP})", range=[0, Y_TOP])
    apply_style(fig, height=420, large=style.large)
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return fig


def mse_series(histories: Mapping[str, pd.DataFrame], *, baseline: float = MEAN_MSE) -> dict:
    """What `mse_curves_figure` draws, as a live board's chart (`MSE_CHART`): per network a solid test
    line and a dashed training line in its colour, and the mean's baseline as a dotted black line."""
    from playground.live_encoding import series

    lines, last_epoch = [], 1.0
    for k, (name, history) in enumerate(histories.items()):
        color = PALETTE[k % len(PALETTE)]
        for column in ("train_loss", "val_loss"):
            if column not in history:
                continue
            rows = history[["epoch", column]].dropna()
            line = series(f"{name}, test" if column == "val_loss" else name, rows["epoch"].to_numpy(dtype=float),
                          rows[column].to_numpy(dtype=float), color)
            if column == "train_loss":
                line.update(name=f"{name}, training", dash="dash", legend=False)
            lines.append(line)
            if len(rows):
                last_epoch = max(last_epoch, float(rows["epoch"].max()))
    baseline_line = series(BASELINE_LABEL, [0.0, last_epoch], [baseline, baseline], BASELINE_COLOR)
    baseline_line["dash"] = "dot"
    return {"series": lines + [baseline_line]}


def _step_labels(length: int, marked: Sequence[int]) -> tuple[list[int], list[str]]:
    """x ticks for the time axis (1-based steps): a handful of round ones, and every marked step as "▼t"."""
    every = max(1, int(np.ceil(length / 10 / 5)) * 5) if length > 12 else 1
    near = every // 2  # round ticks this close to a marked step would overlap its label
    ticks = {t: str(t) for t in range(every, length + 1, every) if all(abs(t - (m + 1)) > near for m in marked)}
    for t in marked:
        ticks[t + 1] = f"▼{t + 1}"
    order = sorted(ticks)
    return order, [ticks[t] for t in order]


def gates_figure(gates: Gates, sequence: np.ndarray, *, units: Sequence[int] | None = None,
                 style: Style = PLAIN) -> go.Figure:
    """The LSTM's input, forget and output gates and its cell state over one sequence: four heatmaps,
    time steps across (1 to T), units down, sharing the time axis.

    `sequence` (T, 2) is the input, for its marked steps: each is a dashed vertical line through every
    heatmap, a "▼t" tick on the time axis and its number written above the top heatmap, so they do not
    depend on colour. `units`: which units to draw (all by default). Gates run from 0 (closed) to 1
    (open) on one scale; the cell state on a scale of its own, centred at 0."""
    sequence = np.asarray(sequence, dtype=float)
    length = len(sequence)
    chosen = np.arange(gates.cell.shape[1]) if units is None else np.asarray(units, dtype=int)
    marked = [int(t) for t in np.flatnonzero(sequence[:, 1] > 0.5)] if length else []
    fig = make_subplots(rows=len(GATE_ROWS), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[title for _, title, _ in GATE_ROWS])
    steps = np.arange(1, length + 1)
    cell = gates.cell[:, chosen]
    cell_reach = float(np.abs(cell).max()) if cell.size else 1.0
    for row, (field, title, bounds) in enumerate(GATE_ROWS, start=1):
        values = getattr(gates, field)[:, chosen].T  # (units, T)
        is_gate = bounds is not None
        bar_y = 1 - (row - 0.5) / len(GATE_ROWS)
        fig.add_trace(go.Heatmap(
            z=values, x=steps, y=[f"unit {u}" for u in chosen], name=title,
            colorscale=SEQUENTIAL if is_gate else DIVERGING,
            zmin=bounds[0] if is_gate else -max(cell_reach, 1e-6), zmax=bounds[1] if is_gate else max(cell_reach, 1e-6),
            showscale=row in (1, len(GATE_ROWS)),
            colorbar={"title": {"text": "gate" if is_gate else "cell", "side": "right"}, "thickness": 14,
                      "len": 0.7 if is_gate else 0.2, "y": 0.62 if is_gate else bar_y},
            hovertemplate=f"{title}<br>step %{{x}}<br>%{{y}}<br>value %{{z:.3f}}<extra></extra>"), row=row, col=1)
        fig.update_yaxes(showticklabels=len(chosen) <= 16, autorange="reversed", row=row, col=1)
    for t in marked:
        for row in range(1, len(GATE_ROWS) + 1):
            fig.add_vline(x=t + 1, line={"color": BLACK, "dash": "dash", "width": 1.5}, row=row, col=1)
        fig.add_annotation(x=t + 1, y=1.0, xref="x", yref="paper", yshift=44, showarrow=False,
                           text=f"▼ marked: {sequence[t, 0]:.2f}", font={"size": style.small_font_size})
    ticks, labels = _step_labels(length, marked)
    fig.update_xaxes(tickvals=ticks, ticktext=labels, tickangle=0, row=len(GATE_ROWS), col=1)
    fig.update_xaxes(title_text="time step (▼ marked)", row=len(GATE_ROWS), col=1)
    if not length:
        add_message(fig, "No sequence", large=style.large)
    apply_style(fig, height=150 * len(GATE_ROWS) + 120, large=style.large)
    fig.update_layout(margin={"t": 90})
    return fig


# ----------------------------------------------------------------------------------------------
# The gates live: a board's scene (playground.ui.live.scene) that the browser redraws every epoch.

SCENE_WIDTH = 50.0  # data units across, whatever the length: a step is SCENE_WIDTH / T wide
_CELL = 0.35  # height of one unit's row, in data units
_GAP = 2.5  # room above each heatmap for its title


def _scene_layout(units: int) -> tuple[float, list[float]]:
    """The scene's height and the bottom of each heatmap (GATE_ROWS order, top to bottom)."""
    block = units * _CELL + _GAP
    height = block * len(GATE_ROWS) + _GAP
    return height, [height - _GAP - (k + 1) * block for k in range(len(GATE_ROWS))]


def gates_scene_frame(sequence: np.ndarray, units: int, *, style: Style = PLAIN) -> dict:
    """What stays put in the live gates scene of one sequence (T, 2): the range, each heatmap's title,
    each marked step's number written above it ("▼0.42") and the first and last step's labels."""
    sequence = np.asarray(sequence, dtype=float)
    length = max(len(sequence), 1)
    step = SCENE_WIDTH / length
    height, bottoms = _scene_layout(units)
    texts = [{"x": 0.0, "y": bottom + units * _CELL + _GAP * 0.45, "text": title, "anchor": "start", "bold": True}
             for (_, title, _), bottom in zip(GATE_ROWS, bottoms)]
    for t in np.flatnonzero(sequence[:, 1] > 0.5) if len(sequence) else ():
        texts.append({"x": (t + 0.5) * step, "y": height - _GAP * 0.45, "text": f"▼{sequence[t, 0]:.2f}",
                      "anchor": "middle"})
    texts += [{"x": 0.0, "y": -1.2, "text": "step 1", "anchor": "start"},
              {"x": SCENE_WIDTH, "y": -1.2, "text": f"step {length}", "anchor": "end"},
              {"x": SCENE_WIDTH / 2, "y": -1.2, "text": "time →", "anchor": "middle"}]
    return {"x_range": [0.0, SCENE_WIDTH], "y_range": [-2.4, height], "texts": texts,
            "font": style.small_font_size,
            "colorbar": {"title": "gate · cell", "labels": ["0 closed · −", "½ · 0", "1 open · +"]}}


def gates_scene(gates: Gates, sequence: np.ndarray, units: Sequence[int]) -> dict:
    """What moves in the live gates scene: the four heatmaps of `gates_figure` (only `units`), as
    pictures in the board's blue–white–orange scale: a gate g as 2g − 1 (closed blue, open orange),
    the cell state divided by its largest |c| (negative blue, positive orange); and a black line
    through every heatmap at each marked step."""
    from playground.live_encoding import clean, picture

    sequence = np.asarray(sequence, dtype=float)
    units = np.asarray(units, dtype=int)
    length = max(gates.cell.shape[0], 1)
    _, bottoms = _scene_layout(len(units))
    cell = gates.cell[:, units]
    reach = max(float(np.abs(cell).max()) if cell.size else 0.0, 1e-6)
    images = []
    for (field, _, bounds), bottom in zip(GATE_ROWS, bottoms):
        values = getattr(gates, field)[:, units].T  # (units, T), first unit on top
        values = values * 2 - 1 if bounds is not None else values / reach
        images.append(picture(values[::-1], x=0.0, y=bottom, width=SCENE_WIDTH, height=len(units) * _CELL))
    step = SCENE_WIDTH / length
    xy = []
    for t in np.flatnonzero(sequence[:, 1] > 0.5) if len(sequence) else ():
        for bottom in bottoms:
            xy += [(t + 0.5) * step, bottom, (t + 0.5) * step, bottom + len(units) * _CELL]
    return {"images": images, "lines": [{"color": BLACK, "width": 1.5, "xy": clean(xy)}] if xy else [],
            "markers": []}
