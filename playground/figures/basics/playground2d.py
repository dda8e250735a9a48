"""Figures of the 2-D playground: the network as a diagram of small pictures, the output over the
plane with the data on it, and the train and test loss curves.

Every picture over the plane uses one diverging scale from blue (−1, class "blue") through white (0)
to orange (+1, class "orange"): the Okabe–Ito pair that stays apart for colour-blind viewers and on a
projector. Values beyond ±1 are shown at full colour. Behind the data points the output is drawn
pale (BACKGROUND_STRENGTH of the way from white to each colour), as TensorFlow Playground does, so
points of both classes stand out from an area of their own colour.
"""

from __future__ import annotations

import base64
import functools
import io
import math

import numpy as np
import plotly.graph_objects as go

from playground.figures.style import (
    BLACK,
    BLUE,
    ORANGE,
    TRAIN_COLOR,
    VAL_COLOR,
    add_message,
    apply_style,
    line_width,
    small_font_size,
)

EXTENT = 6.0  # the plane shown: [-6, 6]², as in playground.data
BLUE_ORANGE = [[0.0, BLUE], [0.5, "#FFFFFF"], [1.0, ORANGE]]
BACKGROUND_STRENGTH = 0.45  # the output's background colours, as a fraction of the points' full colours


def pale(colour: str, strength: float = BACKGROUND_STRENGTH) -> str:
    """"#RRGGBB" moved towards white: `strength` 1 keeps it, 0 gives white."""
    channels = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(255 - strength * (255 - c)):02X}" for c in channels)


PALE_BLUE_ORANGE = [[0.0, pale(BLUE)], [0.5, "#FFFFFF"], [1.0, pale(ORANGE)]]
PALE_PALETTE = [pale(BLUE), "#FFFFFF", pale(ORANGE)]  # the live board's colours of -1, 0, 1 for the output
_LINK_BINS = 9  # weights are drawn in this many colour/width steps, one trace each
_NODE = 0.84  # side of a neuron's picture, in diagram units (columns 2.2 apart, rows 1)
_COLUMN_GAP = 2.2


def _figure() -> go.Figure:
    """An empty figure that takes traces as plain dicts without checking them: these figures redraw
    twice a second while training runs, and Plotly's checks would take most of that time."""
    return go.Figure(_validate=False)


@functools.lru_cache(maxsize=32)
def _styled_layout(large: bool, height: int) -> dict:
    """The playground look (`apply_style`) as a plain layout dict, made once per size: styling a
    figure through Plotly's checks takes longer than drawing it."""
    layout = apply_style(go.Figure(), large=large, height=height).layout.to_plotly_json()
    # The template's default for every trace type (most of its 7 kB) is of no use to these plain traces.
    layout["template"] = {"layout": layout["template"]["layout"]}
    return layout


def _merged(base: dict, extra: dict) -> dict:
    """`base` updated by `extra`, nested dicts merged key by key (neither is changed)."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _quick_figure(traces: list[dict], layout: dict, *, large: bool, height: int) -> go.Figure:
    """A figure of plain-dict traces on the styled layout plus `layout`, built without Plotly's checks."""
    return go.Figure({"data": traces, "layout": _merged(_styled_layout(large, height), layout)},
                     _validate=False)


def _rgba(values: np.ndarray) -> np.ndarray:
    """(…) values in [-1, 1] (beyond: full colour; NaN: transparent) -> (…, 4) uint8 BLUE_ORANGE colours."""
    ends = [np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], dtype=float) for c in (BLUE, "#FFFFFF", ORANGE)]
    t = np.clip(np.nan_to_num(values, nan=0.0), -1, 1)[..., None]
    rgb = np.where(t < 0, ends[1] + (ends[0] - ends[1]) * -t, ends[1] + (ends[2] - ends[1]) * t)
    alpha = np.where(np.isnan(values), 0, 255)[..., None]
    return np.concatenate([rgb.round(), alpha], axis=-1).astype(np.uint8)


def png_uri(canvas: np.ndarray) -> str:
    """(H, W) values, row 0 at the bottom -> a PNG data URI in the BLUE_ORANGE colours (NaN transparent).

    A browser draws one small image far faster than a heatmap of the same cells, and the PNG is a
    tenth of the heatmap's JSON."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(_rgba(canvas[::-1]), "RGBA").save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _colour(value: float) -> str:
    """The BLUE_ORANGE colour of `value` in [-1, 1], as an rgb() string."""
    t = (min(max(value, -1.0), 1.0) + 1) / 2
    low, high = (BLUE, "#FFFFFF") if t < 0.5 else ("#FFFFFF", ORANGE)
    f = t * 2 if t < 0.5 else t * 2 - 1
    a, b = (np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) for c in (low, high))
    r, g, bl = (a + (b - a) * f).round().astype(int)
    return f"rgb({r},{g},{bl})"


def node_positions(sizes: tuple[int, ...]) -> list[list[tuple[float, float]]]:
    """Centre (x, y) of every unit, column by column (inputs first, output last), rows from the top."""
    return [[(c * _COLUMN_GAP, (n - 1) / 2 - r) for r in range(n)]
            for c, n in enumerate(sizes)]


def pictures_canvas(grids: list[np.ndarray], where: list[list[tuple[float, float]]]) -> tuple[np.ndarray, dict]:
    """Every unit's picture on one canvas on the diagram's lattice, empty (NaN) between the pictures.

    Returns the (H, W) canvas, row 0 at the bottom, and where it lies in diagram units: a dict with
    "x", "y" (its left and bottom edges), "width" and "height". One image draws far faster in a
    browser than one per unit."""
    resolution = grids[0].shape[-1]
    per_unit = resolution / _NODE  # canvas cells per diagram unit
    half = _NODE / 2
    xs = [x for column in where for x, _ in column]
    ys = [y for column in where for _, y in column]
    left, bottom = min(xs) - half, min(ys) - half
    canvas = np.full((int(round((max(ys) + half - bottom) * per_unit)) + 1,
                      int(round((max(xs) + half - left) * per_unit)) + 1), np.nan)
    for grid, column in zip(grids, where):
        for picture, (cx, cy) in zip(grid, column):
            row, col = int(round((cy - half - bottom) * per_unit)), int(round((cx - half - left) * per_unit))
            canvas[row:row + resolution, col:col + resolution] = picture
    return canvas, {"x": left, "y": bottom, "width": canvas.shape[1] / per_unit, "height": canvas.shape[0] / per_unit}


def network_figure(grids: list[np.ndarray], blocks: list[np.ndarray], input_labels: list[str], *,
                   selected: tuple[int, int, int] | None = None, width: int = 460,
                   large: bool = False) -> go.Figure:
    """The network: each unit as a small picture of what it computes over the plane, each link a line
    whose colour and width show its weight.

    grids: one (units, R, R) array per column (from `playground2d.neuron_grids`). blocks: the weights,
    (n_in + 1, n_out) per layer, last row the biases. Links carry customdata [layer, row, column]
    (points halfway along each link, for picking one); biases have a marker under their unit.
    `selected` highlights one weight. `width` is the width in pixels the
    figure will most likely get: the height follows from it, so that the pictures stay square without
    empty bands above and below.
    """
    sizes = tuple(g.shape[0] for g in grids)
    where = node_positions(sizes)
    traces: list[dict] = []
    half = _NODE / 2
    biggest = max((float(np.abs(b[:-1]).max()) for b in blocks if b.shape[0] > 1), default=1.0) or 1.0
    # Links, binned by weight: one trace per bin keeps a 400-link diagram quick to draw.
    link_x: dict[int, list] = {}
    link_y: dict[int, list] = {}
    mids_x, mids_y, mids_data, mids_text = [], [], [], []
    for layer, block in enumerate(blocks):
        for row in range(block.shape[0] - 1):
            x0, y0 = where[layer][row]
            for column in range(block.shape[1]):
                x1, y1 = where[layer + 1][column]
                w = float(block[row, column])
                k = int(round((max(-1.0, min(1.0, w / biggest)) + 1) / 2 * (_LINK_BINS - 1)))
                link_x.setdefault(k, []).extend([x0 + half, x1 - half, None])
                link_y.setdefault(k, []).extend([y0, y1, None])
                mids_x.append((x0 + half + x1 - half) / 2)
                mids_y.append((y0 + y1) / 2)
                mids_data.append([layer, row, column])
                mids_text.append(f"weight {w:.3f}")
    for k in sorted(link_x):
        value = k / (_LINK_BINS - 1) * 2 - 1
        traces.append(dict(type="scatter", x=link_x[k], y=link_y[k], mode="lines", hoverinfo="skip", showlegend=False,
                           line={"color": _colour(value), "width": 0.6 + 5.5 * abs(value)}))
    # Biases: a marker under each unit.
    bias_x, bias_y, bias_data, bias_text, bias_colour = [], [], [], [], []
    for layer, block in enumerate(blocks):
        for column in range(block.shape[1]):
            cx, cy = where[layer + 1][column]
            b = float(block[-1, column])
            bias_x.append(cx - half)
            bias_y.append(cy - half)
            bias_data.append([layer, block.shape[0] - 1, column])
            bias_text.append(f"bias {b:.3f}")
            bias_colour.append(_colour(b / biggest))
    traces.append(dict(type="scatter", x=mids_x, y=mids_y, mode="markers", customdata=mids_data, text=mids_text,
                       hovertemplate="%{text}<extra></extra>", showlegend=False, name="weights",
                       marker={"size": 10, "color": "rgba(0,0,0,0)"}))  # invisible, but it takes clicks
    traces.append(dict(type="scatter", x=bias_x, y=bias_y, mode="markers", customdata=bias_data, text=bias_text,
                       hovertemplate="%{text}<extra></extra>", showlegend=False, name="biases",
                       marker={"size": 7, "symbol": "square", "color": bias_colour,
                               "line": {"color": "#555555", "width": 0.8}}))
    if selected is not None:
        layer, row, column = selected
        if row < blocks[layer].shape[0] - 1:
            (x0, y0), (x1, y1) = where[layer][row], where[layer + 1][column]
            traces.append(dict(type="scatter", x=[x0 + half, x1 - half], y=[y0, y1], mode="lines", hoverinfo="skip",
                               showlegend=False, line={"color": BLACK, "width": 3, "dash": "dot"}))
        else:
            cx, cy = where[layer + 1][column]
            traces.append(dict(type="scatter", x=[cx - half], y=[cy - half], mode="markers", hoverinfo="skip",
                               showlegend=False, marker={"size": 18, "symbol": "square-open", "color": BLACK,
                                                         "line": {"width": 3}}))
    # Headings and input names.
    font = {"size": small_font_size(large)}
    top = max(y for column in where for _, y in column) + half + 0.35
    headings = ["Inputs"] + [f"Layer {i}" for i in range(1, len(sizes) - 1)] + ["Output"]
    annotations = [dict(x=where[column][0][0], y=top, text=f"<b>{text}</b>", showarrow=False, font=font)
                   for column, text in enumerate(headings)]
    annotations += [dict(x=x - half - 0.1, y=y, text=label, showarrow=False, xanchor="right", font=font)
                    for (x, y), label in zip(where[0], input_labels)]
    canvas, place = pictures_canvas(grids, where)
    # The pictures as one image under the links' ends and the bias markers: smooth, and cheap to redraw.
    picture = dict(source=png_uri(canvas), xref="x", yref="y", x=place["x"], y=place["y"] + place["height"],
                   sizex=place["width"], sizey=place["height"], sizing="stretch", layer="below", name="pictures")
    x_range = [-1.3, (len(sizes) - 1) * _COLUMN_GAP + 0.6]
    y_range = [min(y for column in where for _, y in column) - half - 0.15, top + 0.3]
    scale = (width - 70) / (x_range[1] - x_range[0])  # pixels per diagram unit
    return _quick_figure(traces, dict(
        annotations=annotations, images=[picture], dragmode=False, hovermode="closest", clickmode="event+select",
        margin={"l": 60, "r": 10, "t": 10, "b": 10},
        xaxis={"visible": False, "range": x_range}, yaxis={"visible": False, "range": y_range, "scaleanchor": "x",
                                                           "scaleratio": 1}),
        large=large, height=int(scale * (y_range[1] - y_range[0])) + 20)


def output_figure(grid: np.ndarray, train_points: np.ndarray, train_values: np.ndarray,
                  test_points: np.ndarray, test_values: np.ndarray, *, task: str, show_test: bool = True,
                  clickable: int = 0, large: bool = False) -> go.Figure:
    """The network's output over the plane with the data on it: the decision boundary for classes.

    grid: (R, R) output, rows along x₂, in [-1, 1] (2p − 1 for classification). *_points: (N, 2);
    *_values: labels 0/1 or targets in [-1, 1]. The output behind them is pale (PALE_BLUE_ORANGE), the
    points at full colour (BLUE_ORANGE). Training points have a white edge, test points a black
    one (there is no legend: a page says so in words). Data points carry customdata [part, index]
    (0 train, 1 test). `clickable` > 0 adds an invisible grid of that many points per side, so a click
    anywhere reports where it landed.
    """
    fig = _figure()
    resolution = grid.shape[-1]
    step = 2 * EXTENT / (resolution - 1)
    # The background has its own pale scale; the points and the colour bar keep the full colours.
    fig.add_trace(dict(type="heatmap", z=grid, x0=-EXTENT, dx=step, y0=-EXTENT, dy=step, colorscale=PALE_BLUE_ORANGE,
                       zmin=-1, zmax=1, showscale=False,
                       hovertemplate="x₁ %{x:.1f}, x₂ %{y:.1f}: output %{z:.2f}<extra></extra>"))
    if clickable:
        axis = np.linspace(-EXTENT + 0.25, EXTENT - 0.25, clickable)
        a, b = np.meshgrid(axis, axis)
        fig.add_trace(dict(type="scatter", x=a.ravel(), y=b.ravel(), mode="markers", name="click to add",
                           showlegend=False, hovertemplate="x₁ %{x:.1f}, x₂ %{y:.1f}<extra>click to add</extra>",
                           marker={"size": 2 * 200 / clickable, "color": "rgba(0,0,0,0)"}))
    parts = [(train_points, train_values, "#FFFFFF", "training data", 0)]
    if show_test:
        parts.append((test_points, test_values, BLACK, "test data", 1))
    for points, values, edge, name, part in parts:
        if not len(points):
            continue
        values = np.asarray(values, dtype=float)
        colours = values * 2 - 1 if task == "classification" else values
        fig.add_trace(dict(
            type="scatter", x=points[:, 0], y=points[:, 1], mode="markers", name=name,
            customdata=np.stack([np.full(len(points), part), np.arange(len(points))], axis=1),
            hovertemplate=f"{name}: x₁ %{{x:.2f}}, x₂ %{{y:.2f}}<extra></extra>",
            marker={"size": 8, "color": colours, "coloraxis": "coloraxis", "line": {"color": edge, "width": 1.5}}))
    apply_style(fig, large=large, height=360)
    fig.update_layout(coloraxis={"colorscale": BLUE_ORANGE, "cmin": -1, "cmax": 1,
                                 "colorbar": {"title": "output", "thickness": 14,
                                              "tickvals": [-1, 0, 1],
                                              "ticktext": (["blue", "boundary", "orange"]
                                                           if task == "classification" else ["−1", "0", "1"])}},
                      showlegend=False, dragmode=False, clickmode="event+select",
                      hovermode="closest")
    fig.update_xaxes(range=[-EXTENT, EXTENT], title="x₁", constrain="domain")
    fig.update_yaxes(range=[-EXTENT, EXTENT], title="x₂", scaleanchor="x", scaleratio=1, constrain="domain")
    return fig


def loss_curves_figure(epochs: np.ndarray, train: np.ndarray, test: np.ndarray, *, large: bool = False) -> go.Figure:
    """Train and test loss against epoch; a message instead when there is nothing yet."""
    epochs, train, test = (np.asarray(v, dtype=float) for v in (epochs, train, test))
    traces = []
    for name, values, colour in (("train loss", train, TRAIN_COLOR), ("test loss", test, VAL_COLOR)):
        keep = np.isfinite(values)
        traces.append(dict(type="scatter", x=epochs[keep].tolist(), y=np.round(values[keep], 5).tolist(), mode="lines",
                           name=name,
                           line={"color": colour, "width": line_width(large)}))
    fig = _quick_figure(traces, dict(legend={"orientation": "h", "y": 1.12, "x": 0}, margin={"t": 30},
                                     xaxis={"title": {"text": "epoch"}},
                                     yaxis={"title": {"text": "loss"}, "rangemode": "tozero"}),
                        large=large, height=260)
    if not len(epochs) or not (np.isfinite(train).any() or np.isfinite(test).any()):
        add_message(fig, "No epochs yet: press Play", large=large)
    return fig


def loss_text(value: float) -> str:
    """A loss for display: three decimals, or a dash when unknown."""
    return "–" if value is None or not math.isfinite(value) else f"{value:.3f}"


# ----------------------------------------------------------------------------------------------
# The same pictures as scenes for the live board (`playground.ui.live`): while a run trains, the
# browser draws them itself from what a feed (`playground.jobs.live`) sends, in the same geometry and
# colours as the figures above.


def network_scene_frame(sizes: tuple[int, ...], input_labels: list[str], *, large: bool = False) -> dict:
    """What stays put in the live diagram of a network with `sizes` units per column: the plotted
    range (equal scales), the column headings and the input names."""
    where = node_positions(sizes)
    half = _NODE / 2
    top = max(y for column in where for _, y in column) + half + 0.35
    headings = ["Inputs"] + [f"Layer {i}" for i in range(1, len(sizes) - 1)] + ["Output"]
    texts = [{"x": where[c][0][0], "y": top, "text": text, "anchor": "middle", "bold": True}
             for c, text in enumerate(headings)]
    texts += [{"x": x - half - 0.1, "y": y, "text": label, "anchor": "end", "bold": False}
              for (x, y), label in zip(where[0], input_labels)]
    return {"x_range": [-1.3, (len(sizes) - 1) * _COLUMN_GAP + 0.6],
            "y_range": [min(y for column in where for _, y in column) - half - 0.15, top + 0.3],
            "equal": True, "texts": texts, "font": small_font_size(large)}


def network_scene(grids: list[np.ndarray], blocks: list[np.ndarray]) -> dict:
    """What moves in the live diagram: the units' pictures (one image each), the links binned by weight
    (colour and width as in `network_figure`) and the bias markers."""
    from playground.live_encoding import picture

    sizes = tuple(g.shape[0] for g in grids)
    where = node_positions(sizes)
    half = _NODE / 2
    biggest = max((float(np.abs(b[:-1]).max()) for b in blocks if b.shape[0] > 1), default=1.0) or 1.0
    bins: dict[int, list[float]] = {}
    for layer, block in enumerate(blocks):
        for row in range(block.shape[0] - 1):
            x0, y0 = where[layer][row]
            for column in range(block.shape[1]):
                x1, y1 = where[layer + 1][column]
                k = int(round((max(-1.0, min(1.0, float(block[row, column]) / biggest)) + 1) / 2 * (_LINK_BINS - 1)))
                bins.setdefault(k, []).extend([round(x0 + half, 4), round(y0, 4), round(x1 - half, 4), round(y1, 4)])
    lines = []
    for k in sorted(bins):
        value = k / (_LINK_BINS - 1) * 2 - 1
        lines.append({"color": _colour(value), "width": round(0.6 + 5.5 * abs(value), 3), "xy": bins[k]})
    bias = {"x": [], "y": [], "color": [], "size": 7, "symbol": "square", "edge": "#555555", "edge_width": 0.8}
    for layer, block in enumerate(blocks):
        for column in range(block.shape[1]):
            cx, cy = where[layer + 1][column]
            bias["x"].append(round(cx - half, 4))
            bias["y"].append(round(cy - half, 4))
            bias["color"].append(_colour(float(block[-1, column]) / biggest))
    # One small image a unit: a fifth of the bytes of one canvas with the gaps between them.
    images = [picture(unit, x=cx - half, y=cy - half, width=_NODE, height=_NODE)
              for grid, column in zip(grids, where) for unit, (cx, cy) in zip(grid, column)]
    return {"images": images, "lines": lines, "markers": [bias]}


def output_scene_frame(train_points: np.ndarray, train_values: np.ndarray, test_points: np.ndarray,
                       test_values: np.ndarray, *, task: str, show_test: bool = True, large: bool = False) -> dict:
    """What stays put in the live output picture: the plane's range and axes, the data points (white
    edge: training, black edge: test) and the colour bar's meaning."""
    markers = []
    parts = [(train_points, train_values, "#FFFFFF")] + ([(test_points, test_values, BLACK)] if show_test else [])
    for points, values, edge in parts:
        if not len(points):
            continue
        values = np.asarray(values, dtype=float).reshape(-1)
        colours = values * 2 - 1 if task == "classification" else values
        markers.append({"x": np.round(points[:, 0], 3).tolist(), "y": np.round(points[:, 1], 3).tolist(),
                        "color": [_colour(float(c)) for c in colours], "size": 8, "symbol": "circle",
                        "edge": edge, "edge_width": 1.5})
    return {"x_range": [-EXTENT, EXTENT], "y_range": [-EXTENT, EXTENT], "equal": True,
            "axes": {"x": "x₁", "y": "x₂", "ticks": [-6, -4, -2, 0, 2, 4, 6]},
            "colorbar": {"title": "output", "labels": (["blue", "boundary", "orange"] if task == "classification"
                                                       else ["−1", "0", "1"])},
            "markers": markers, "font": small_font_size(large)}


def output_scene(grid: np.ndarray) -> dict:
    """What moves in the live output picture: the output over the plane, as `output_figure` draws it
    (cell centres on the grid's points, so the image reaches half a cell past the plane's edge)."""
    from playground.live_encoding import picture

    resolution = grid.shape[-1]
    step = 2 * EXTENT / (resolution - 1)
    return {"images": [picture(grid, x=-EXTENT - step / 2, y=-EXTENT - step / 2, width=2 * EXTENT + step,
                               height=2 * EXTENT + step)]}


LOSS_CHART = {"x_title": "epoch", "y_title": "loss", "y_format": "number", "height": 260}


def loss_series(epochs: np.ndarray, train: np.ndarray, test: np.ndarray) -> dict:
    """The live loss chart's lines, as `loss_curves_figure` draws them."""
    from playground.live_encoding import series

    return {"series": [series("train loss", epochs, train, TRAIN_COLOR), series("test loss", epochs, test, VAL_COLOR)]}
