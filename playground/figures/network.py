"""A diagram of a network: one box per layer, left to right, sized by how much data flows out."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from playground.figures.style import (
    BLACK,
    BLUE,
    BLUISH_GREEN,
    ERROR_COLOR,
    GREY,
    ORANGE,
    REDDISH_PURPLE,
    SKY_BLUE,
    YELLOW,
    apply_style,
    small_font_size,
)

FAMILY_COLORS = {
    "input": "#555555",
    "conv": BLUE,
    "pool": SKY_BLUE,
    "linear": ORANGE,
    "activation": BLUISH_GREEN,
    "normalization": REDDISH_PURPLE,
    "dropout": GREY,
    "reshape": YELLOW,
    "block": BLACK,
    # Past the eight Okabe–Ito colours: dark tones that stay apart from them (and every box is labelled).
    "recurrent": "#882255",  # wine (Tol's muted palette)
    "embedding": "#8C510A",  # brown
    "other": GREY,
}
_RECURRENT = {"rnn", "lstm", "gru", "rnncell", "lstmcell", "grucell", "recurrent"}

_ACTIVATIONS = {
    "relu", "leakyrelu", "prelu", "relu6", "elu", "selu", "celu", "gelu", "silu", "swish", "mish",
    "sigmoid", "hardsigmoid", "tanh", "hardtanh", "softplus", "softsign", "softmax", "logsoftmax",
    "hardswish", "logsigmoid", "identity",
}  # fmt: skip
_RESHAPES = {"flatten", "unflatten", "reshape", "view", "permute", "squeeze", "unsqueeze"}
_BLOCK_WORDS = ("residual", "block", "skip", "sequential", "bottleneck")
_BLOCK_NAMES = {"add", "concat", "cat"}

# Box geometry in data units: one unit of x per layer, y from -1 to 1.
_BOX_HALF_WIDTH = 0.32
_MIN_BOX_HEIGHT = 0.18
_MAX_BOX_HEIGHT = 0.95
_UNKNOWN_BOX_HEIGHT = 0.5
_LABEL_OFFSET = 0.55  # labels sit at a fixed height above and below, whatever the box size
_STAGGER_STEP = 0.2  # one line of label text at the default height, in data units


def format_shape(shape: Sequence[int | None] | None) -> str:
    """Write a shape the way the pages do: [6, 28, 28] -> "6×28×28", [10] -> "10", None -> "?".

    Unknown dimensions (None or negative) print as "?"; an empty shape (one number per
    example) prints as "1".
    """
    if shape is None:
        return "?"
    if len(shape) == 0:
        return "1"
    return "×".join("?" if d is None or d < 0 else str(int(d)) for d in shape)


def layer_family(layer_type: str) -> str:
    """The family that colours a layer type: "conv", "pool", "linear", "activation",
    "normalization", "dropout", "reshape", "recurrent", "embedding", "block", or "other" for names
    it does not know.
    """
    name = layer_type.lower().replace("_", "").replace("-", "").replace(" ", "")
    if name in _BLOCK_NAMES or any(word in name for word in _BLOCK_WORDS):
        return "block"
    if "norm" in name:
        return "normalization"
    if "dropout" in name:
        return "dropout"
    if "pool" in name:
        return "pool"
    if "conv" in name:
        return "conv"
    if name in ("linear", "dense", "fc", "bilinear", "lazylinear"):
        return "linear"
    if name in _RESHAPES:
        return "reshape"
    if name in _RECURRENT:
        return "recurrent"
    if name == "embedding":
        return "embedding"
    if name in _ACTIVATIONS:
        return "activation"
    return "other"


def _output_size(shape: Sequence[int | None] | None) -> int | None:
    """Number of values in one example's output, or None when a dimension is unknown."""
    if shape is None or any(d is None or d < 0 for d in shape):
        return None
    return math.prod(int(d) for d in shape)


def _box_heights(sizes: list[int | None]) -> list[float]:
    """Box heights proportional to log(size), relative to the largest size in the network.

    A log scale keeps a 3,072-value image and a 10-value output both visible while still
    showing students where the data shrinks (pooling) and grows (convolutions that add channels).
    """
    logs = [math.log(s) if s and s > 1 else 0.0 for s in sizes if s is not None]
    top = max(logs, default=0.0)
    heights = []
    for size in sizes:
        if size is None or top == 0.0:
            heights.append(_UNKNOWN_BOX_HEIGHT)
        else:
            share = (math.log(size) if size > 1 else 0.0) / top
            heights.append(_MIN_BOX_HEIGHT + (_MAX_BOX_HEIGHT - _MIN_BOX_HEIGHT) * share)
    return heights


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _hover(
    index: int | None, layer_type: str, detail: str | None, shape: str, params: int | None, error: str | None
) -> str:
    title = layer_type if index is None else f"{index} · {layer_type}"
    lines = [f"<b>{html.escape(title, quote=False)}</b>"]
    if detail:
        lines.append(html.escape(str(detail), quote=False))
    lines.append(f"output {shape}")
    if index is not None:
        lines.append(f"params {params:,}" if params is not None else "params ?")
    if error:
        lines.append(f"⚠ {html.escape(str(error), quote=False)}")
    return "<br>".join(lines)


def _stagger(index: int, levels: int) -> float:
    """How much further out label `index` sits when labels take turns over `levels` heights."""
    return (index % levels) * _STAGGER_STEP


def network_figure(
    rows: Sequence[Mapping],
    *,
    input_shape: Sequence[int],
    width: int | None = None,
    large: bool = False,
    stagger: bool = False,
) -> go.Figure:
    """Draw a network's layers left to right, starting with its input.

    `rows`: one mapping per layer with keys `index` (int), `type` (str, e.g. "conv2d"),
    `output_shape` (list of ints per example, or None when unknown/invalid), `params` (int
    or None), and optionally `error` (str or None) and `detail` (str, e.g. "5×5, stride 1").
    `input_shape`: the shape of one input example, e.g. [1, 28, 28].
    `width`: figure width in pixels; None makes it grow with the number of layers.

    Each layer is a rectangle in `layout.shapes` (input first, then the rows in order),
    coloured by layer family, with height proportional to the log of its output size.
    Rows with an error get a thick vermillion outline and a "⚠" before their type.
    Traces: 0 = invisible markers at the box centres carrying the hover text (type, detail,
    output shape, parameter count), 1 = the type labels above the boxes, 2 = the shape
    labels below. Arrows between consecutive boxes are layout annotations.
    `stagger`: every other label sits a line further out, so a long network drawn narrow (a dozen
    boxes or more across a page) keeps its labels apart; past 16 boxes they take turns over three
    heights.
    """
    types = ["input"] + [str(row.get("type") or "?") for row in rows]  # a blank table row has no type
    shapes = [list(input_shape)] + [row.get("output_shape") for row in rows]
    errors = [None] + [row.get("error") or None for row in rows]
    heights = _box_heights([_output_size(s) for s in shapes])
    shape_labels = [format_shape(s) for s in shapes]

    boxes, hovers, label_colors = [], [], []
    for i, (layer_type, shape, error, height) in enumerate(zip(types, shapes, errors, heights)):
        family = "input" if i == 0 else layer_family(layer_type)
        color = FAMILY_COLORS[family]
        line = {"color": color, "width": 2}
        fill = _rgba(color, 0.35)
        if error:
            line = {"color": ERROR_COLOR, "width": 4}
            fill = _rgba(ERROR_COLOR, 0.12)
        elif shape is None or _output_size(shape) is None:
            line = {"color": GREY, "width": 2, "dash": "dot"}
            fill = "rgba(255,255,255,0)"
        boxes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "y",
                "layer": "below",
                "line": line,
                "fillcolor": fill,
                "x0": i - _BOX_HALF_WIDTH,
                "x1": i + _BOX_HALF_WIDTH,
                "y0": -height / 2,
                "y1": height / 2,
            }
        )
        label_colors.append(ERROR_COLOR if error else "#222222")
        if i == 0:
            hovers.append(_hover(None, "input", None, shape_labels[0], None, None))
        else:
            row = rows[i - 1]
            hovers.append(
                _hover(
                    row.get("index", i - 1),
                    layer_type,
                    row.get("detail"),
                    shape_labels[i],
                    row.get("params"),
                    error,
                )
            )

    arrows = [
        {
            "x": i + 1 - _BOX_HALF_WIDTH,
            "y": 0,
            "ax": i + _BOX_HALF_WIDTH,
            "ay": 0,
            "xref": "x",
            "yref": "y",
            "axref": "x",
            "ayref": "y",
            "text": "",
            "showarrow": True,
            "arrowhead": 2,
            "arrowsize": 1.2,
            "arrowwidth": 1.5,
            "arrowcolor": "#666666",
        }
        for i in range(len(types) - 1)
    ]

    n = len(types)
    x = list(range(n))
    levels = (3 if n > 16 else 2) if stagger else 1
    label_size = small_font_size(large)
    type_labels = [f"⚠ {t}" if e else t for t, e in zip(types, errors)]
    fig = go.Figure(
        [
            go.Scatter(
                x=x,
                y=[0.0] * n,
                mode="markers",
                name="layers",
                hovertext=hovers,
                hoverinfo="text",
                marker={"symbol": "square", "size": 44 if large else 36, "color": "rgba(0,0,0,0)"},
                showlegend=False,
            ),
            go.Scatter(
                x=x,
                y=[_LABEL_OFFSET + _stagger(i, levels) for i in range(n)],
                mode="text",
                name="types",
                text=type_labels,
                textposition="top center",
                hoverinfo="skip",
                showlegend=False,
                textfont={"size": label_size, "color": label_colors},
            ),
            go.Scatter(
                x=x,
                y=[-_LABEL_OFFSET - _stagger(i, levels) for i in range(n)],
                mode="text",
                name="shapes",
                text=shape_labels,
                textposition="bottom center",
                hoverinfo="skip",
                showlegend=False,
                textfont={"size": label_size, "color": label_colors},
            ),
        ]
    )
    per_layer = 130 if large else 96  # pixels: room for a label like "batchnorm2d"
    if width is None:
        width = max(300, 40 + per_layer * n)
    # Short networks keep the same box size and sit at the left rather than stretching.
    span = max(n, (width - 20) / per_layer)
    reach = 1.05 + (levels - 1) * _STAGGER_STEP  # y range: the outermost labels stay inside
    apply_style(fig, height=int((320 if large else 260) * reach / 1.05), large=large)
    fig.update_layout(
        width=width,
        shapes=boxes,
        annotations=arrows,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        hovermode="closest",
        dragmode="pan",
    )
    # Staggered boxes sit close together: leave room for the input's shape label at the left edge.
    left = -1.2 if stagger else -0.6
    fig.update_xaxes(visible=False, range=[left, span - 0.6], showgrid=False, zeroline=False)
    fig.update_yaxes(visible=False, range=[-reach, reach], showgrid=False, zeroline=False, fixedrange=True)
    return fig


__all__ = ["FAMILY_COLORS", "format_shape", "layer_family", "network_figure"]
