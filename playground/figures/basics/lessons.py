"""Figures for the basics: one neuron, activations, the perceptron, XOR, computational graphs, approximation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.basics.backprop import SYMBOLS
from playground.figures.style import (
    BLACK,
    BLUE,
    GREY,
    ORANGE,
    SEQUENTIAL,
    SKY_BLUE,
    VERMILLION,
    YELLOW,
    add_message,
    apply_style,
    line_width,
    small_font_size,
)

CLASS_COLORS = {0: ORANGE, 1: BLUE}
CLASS_SYMBOLS = {0: "x", 1: "circle"}


def number(value: float | None) -> str:
    """A value with 4 significant digits and a true minus sign ("—" for None)."""
    if value is None:
        return "—"
    text = f"{value:.4g}"
    return "0" if text == "-0" else text.replace("-", "−")


def _points(fig: go.Figure, points: np.ndarray, targets: Sequence[int], *, row=None, col=None,
            showlegend: bool = True, size: int = 16) -> None:
    where = {"row": row, "col": col} if row is not None else {}
    for cls in (0, 1):
        mask = np.asarray(targets) == cls
        if not mask.any():
            continue
        fig.add_trace(go.Scatter(x=points[mask, 0], y=points[mask, 1], mode="markers", name=f"class {cls}",
                                 legendgroup=f"class {cls}", showlegend=showlegend,
                                 marker={"color": CLASS_COLORS[cls], "symbol": CLASS_SYMBOLS[cls], "size": size,
                                         "line": {"color": "white" if cls else CLASS_COLORS[cls], "width": 2}},
                                 hovertemplate=f"class {cls}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"),
                      **where)


def neuron_output_figure(xs: np.ndarray, ys: np.ndarray, out: np.ndarray, line: np.ndarray | None, *,
                         activation: str, points: np.ndarray | None = None, targets: Sequence[int] | None = None,
                         large: bool = False) -> go.Figure:
    """The neuron's output over the plane (heatmap, out (len(ys), len(xs))) with its decision line.

    `line` (2, 2) holds the ends of w₁x₁ + w₂x₂ + b = 0 (None when it misses the square).
    """
    fig = go.Figure(go.Heatmap(x=xs, y=ys, z=out, colorscale=SEQUENTIAL, colorbar={"title": {"text": "output"}},
                               hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>output %{z:.3f}<extra></extra>"))
    if line is not None:
        fig.add_trace(go.Scatter(x=line[:, 0], y=line[:, 1], mode="lines", name="decision line (z = 0)",
                                 line={"color": "white", "width": line_width(large) + 1, "dash": "dash"}))
    if points is not None and targets is not None:
        _points(fig, points, targets)
    fig.update_xaxes(title_text="x₁", range=[xs[0], xs[-1]])
    fig.update_yaxes(title_text="x₂", range=[ys[0], ys[-1]], scaleanchor="x", constrain="domain")
    apply_style(fig, title=f"Output of the neuron ({activation})", height=460 if not large else 560, large=large)
    fig.update_layout(legend={"orientation": "h", "y": -0.15, "x": 0})
    return fig


def activation_figure(z: np.ndarray, values: np.ndarray, slopes: np.ndarray,
                      saturated: Sequence[tuple[float, float]], *, label: str, large: bool = False) -> go.Figure:
    """g(z) and g'(z) side by side; the saturated intervals of z shaded grey on both."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"{label}: g(z)", "its slope g′(z)"),
                        horizontal_spacing=0.1)
    fig.add_trace(go.Scatter(x=z, y=values, mode="lines", name="g(z)", line={"color": BLUE,
                                                                            "width": line_width(large)}), 1, 1)
    fig.add_trace(go.Scatter(x=z, y=slopes, mode="lines", name="g′(z)", line={"color": VERMILLION,
                                                                             "width": line_width(large)}), 1, 2)
    for lo, hi in saturated:
        for col in (1, 2):
            fig.add_vrect(x0=lo, x1=hi, fillcolor=GREY, opacity=0.25, line_width=0, row=1, col=col)
    if saturated:  # one legend entry for the shading
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="saturated: slope < 5 % of its peak",
                                 marker={"color": GREY, "symbol": "square", "size": 14, "opacity": 0.5}), 1, 1)
    pad = 0.1 * max(1e-9, float(np.ptp(slopes)))
    fig.update_yaxes(range=[float(slopes.min()) - pad, float(slopes.max()) + pad], row=1, col=2)
    fig.update_xaxes(title_text="z = w·x + b")
    apply_style(fig, height=330 if not large else 420, large=large)
    fig.update_layout(legend={"orientation": "h", "y": -0.25, "x": 0})
    return fig


def perceptron_figure(points: np.ndarray, targets: Sequence[int], weights: tuple[float, float, float],
                      line: np.ndarray | None, *, current: int | None = None, title: str = "",
                      large: bool = False) -> go.Figure:
    """The gate's four points, the perceptron's line w₁x₁ + w₂x₂ + b = 0 (ends `line` (2, 2), None when
    it misses the square [−0.5, 1.5]²) and the side it calls 1 (blue tint; 0 orange).

    `current` is the index of the point just shown (drawn with a black ring).
    """
    lo, hi = -0.5, 1.5
    xs = np.linspace(lo, hi, 101)
    x1, x2 = np.meshgrid(xs, xs)
    w1, w2, b = weights
    predicted = (w1 * x1 + w2 * x2 + b >= 0).astype(float)
    fig = go.Figure(go.Heatmap(x=xs, y=xs, z=predicted, zmin=0, zmax=1, showscale=False, hoverinfo="skip",
                               colorscale=[[0, "#FBE7C2"], [1, "#CFE3F2"]]))  # pale orange: says 0, blue: 1
    if line is not None:
        fig.add_trace(go.Scatter(x=line[:, 0], y=line[:, 1], mode="lines", name="w₁x₁ + w₂x₂ + b = 0",
                                 line={"color": BLACK, "width": line_width(large)}))
    _points(fig, np.asarray(points), targets, size=20)
    if current is not None:
        fig.add_trace(go.Scatter(x=[points[current][0]], y=[points[current][1]], mode="markers",
                                 name="point just shown", marker={"size": 36, "color": "rgba(0,0,0,0)",
                                                                  "line": {"color": BLACK, "width": 3}}))
    fig.update_xaxes(title_text="x₁", range=[lo, hi], dtick=0.5)
    fig.update_yaxes(title_text="x₂", range=[lo, hi], dtick=0.5, scaleanchor="x", constrain="domain")
    apply_style(fig, title=title or None, height=420 if not large else 520, large=large)
    fig.update_layout(legend={"orientation": "h", "y": -0.15, "x": 0})
    return fig


def xor_hidden_figure(xs: np.ndarray, grid_output: np.ndarray, points: np.ndarray, hidden: np.ndarray,
                      targets: Sequence[int], output_line: np.ndarray | None, *,
                      hidden_extent: tuple[float, float], large: bool = False) -> go.Figure:
    """Left: the network's output over the input plane with the four XOR points. Right: the same
    points at their hidden-layer coordinates (h₁, h₂), where the output neuron's line separates them.

    grid_output (len(xs), len(xs)); points and hidden (4, 2); output_line (2, 2) or None.
    """
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("Input space: no single line separates the classes",
                                        "Hidden space: one line does"))
    # Orange for 0 and blue for 1, as the points of each class, pale enough for the points to stand out.
    scale = [[0, "#F2C46D"], [0.5, "#FFFFFF"], [1, "#8CC4E6"]]
    fig.add_trace(go.Heatmap(x=xs, y=xs, z=grid_output, colorscale=scale, zmin=0, zmax=1,
                             colorbar={"title": {"text": "output<br>(left)"}, "len": 0.8},
                             hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>output %{z:.2f}<extra></extra>"), 1, 1)
    _points(fig, points, targets, row=1, col=1)
    _points(fig, hidden, targets, row=1, col=2, showlegend=False)
    label = {"font": {"size": small_font_size(large)}, "bgcolor": "rgba(255,255,255,0.85)", "showarrow": False,
             "yshift": 22}
    for p in points:
        fig.add_annotation(x=p[0], y=p[1], text=f"({p[0]:g}, {p[1]:g})", row=1, col=1, **label)
    # Points that land (almost) on the same hidden coordinates share one label.
    groups: dict[tuple, list[str]] = {}
    for p, h in zip(points, hidden):
        groups.setdefault(tuple(np.round(h / 0.05).astype(int)), []).append(f"({p[0]:g}, {p[1]:g})")
    for key, names in groups.items():
        h = np.array(key) * 0.05
        fig.add_annotation(x=h[0], y=h[1], text=" and ".join(names), row=1, col=2, **label)
    if output_line is not None:
        fig.add_trace(go.Scatter(x=output_line[:, 0], y=output_line[:, 1], mode="lines", name="output neuron's line",
                                 line={"color": BLACK, "width": line_width(large), "dash": "dash"}), 1, 2)
    fig.update_xaxes(title_text="x₁", row=1, col=1, range=[xs[0], xs[-1]])
    fig.update_yaxes(title_text="x₂", row=1, col=1, range=[xs[0], xs[-1]], scaleanchor="x", constrain="domain")
    fig.update_xaxes(title_text="h₁ (hidden neuron 1)", row=1, col=2, range=list(hidden_extent))
    fig.update_yaxes(title_text="h₂ (hidden neuron 2)", row=1, col=2, range=list(hidden_extent),
                     scaleanchor="x2", constrain="domain")
    apply_style(fig, height=440 if not large else 540, large=large)
    fig.update_layout(legend={"orientation": "h", "y": -0.18, "x": 0})
    return fig


def perceptron_weights_figure(weights: np.ndarray, *, upto: int, large: bool = False) -> go.Figure:
    """w₁, w₂ and b at the start (step 0) and after each step, up to step `upto` (weights (steps + 1, 3))."""
    fig = go.Figure()
    shown = np.asarray(weights)[: upto + 1]
    for k, (name, color) in enumerate(zip(("w₁", "w₂", "b"), (BLUE, ORANGE, VERMILLION))):
        fig.add_trace(go.Scatter(x=np.arange(len(shown)), y=shown[:, k], mode="lines+markers", name=name,
                                 line={"color": color, "shape": "hv", "width": line_width(large)},
                                 marker={"size": 5}))
    lo, hi = float(np.min(weights)), float(np.max(weights))
    fig.update_xaxes(title_text="step (one point shown)", range=[-0.5, len(weights) - 0.5])
    fig.update_yaxes(title_text="value", range=[lo - 0.5, hi + 0.5])
    return apply_style(fig, title="Weights after each step", height=300 if not large else 380, large=large)


# ----------------------------------------------------------------------------------------------
# Computational graph


def graph_figure(graph, layout: Mapping[int, tuple[float, float]], *, known: Sequence[float | None],
                 current=None, large: bool = False) -> go.Figure:
    """A computational graph: nodes at `layout` positions showing value and (known) gradient.

    `graph` is a `playground.basics.backprop.Graph`, `known` each node's gradient so far (None: not yet),
    `current` the `BackwardStep` being taken: its node gets a thick outline, the edges to its
    operands are drawn in colour and labelled with their local gradients.
    """
    nodes = graph.nodes
    shown = [i for i in layout]
    fig = go.Figure()
    xs, ys = [], []
    for i in shown:
        for j in nodes[i].args:
            if j in layout:
                xs += [layout[j][0], layout[i][0], None]
                ys += [layout[j][1], layout[i][1], None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#BBBBBB", "width": 1.5}, hoverinfo="skip",
                             showlegend=False))
    if current is not None:
        for part in current.parts:
            (x0, y0), (x1, y1) = layout[part.operand], layout[current.node]
            fig.add_trace(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", showlegend=False, hoverinfo="skip",
                                     line={"color": VERMILLION, "width": 4}))
            fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2, text=f"local {number(part.local)}",
                               showarrow=False, bgcolor="rgba(255,255,255,0.9)", bordercolor=VERMILLION,
                               font={"size": small_font_size(large), "color": VERMILLION})

    def operation(n) -> str:
        """The operation with the numbers it uses, which are not drawn as nodes: '+', '0.5 ×', '^ 2'."""
        symbol = SYMBOLS.get(n.op, n.op)
        for position, j in enumerate(n.args):
            if nodes[j].constant:
                value = number(nodes[j].value)
                return f"{value} {symbol}" if position == 0 and len(n.args) == 2 else f"{symbol} {value}"
        return symbol

    labels, hovers, colors, outlines = [], [], [], []
    for i in shown:
        n = nodes[i]
        name = f"<b>{n.name}</b>" if n.op == "input" else (f"<b>{n.name}</b><br>{operation(n)}" if n.name
                                                           else f"<b>{operation(n)}</b>")
        labels.append(f"{name}<br>{number(n.value)}")
        grad = known[i]
        hovers.append(f"{n.text}<br>value {number(n.value)}<br>gradient ∂out/∂node {number(grad)}")
        colors.append(SKY_BLUE if n.op == "input" else (YELLOW if i == graph.output else "#EEEEEE"))
        outlines.append(4 if current is not None and i == current.node else 1)
    fig.add_trace(go.Scatter(
        x=[layout[i][0] for i in shown], y=[layout[i][1] for i in shown], mode="markers+text", text=labels,
        textposition="middle center", hovertext=hovers, hoverinfo="text", showlegend=False,
        textfont={"size": small_font_size(large), "color": BLACK},
        marker={"symbol": "square", "size": 64 if not large else 84, "color": colors,
                "line": {"color": [VERMILLION if w > 1 else GREY for w in outlines], "width": outlines}}))
    grads = [(i, known[i]) for i in shown if known[i] is not None]
    if grads:
        # Just under each node (rows are 1 unit apart, a node about a third of that high).
        fig.add_trace(go.Scatter(x=[layout[i][0] for i, _ in grads], y=[layout[i][1] - 0.45 for i, _ in grads],
                                 mode="text", text=[f"∂ {number(g)}" for _, g in grads], textposition="middle center",
                                 textfont={"size": small_font_size(large) + 1, "color": VERMILLION},
                                 hoverinfo="skip", showlegend=False))
    columns = max(x for x, _ in layout.values()) + 1 if layout else 1
    rows = max(y for _, y in layout.values()) + 1 if layout else 1
    fig.update_xaxes(visible=False, range=[-0.6, columns - 0.4])
    fig.update_yaxes(visible=False, range=[-0.8, rows - 0.3])
    height = int(max(260, 95 * rows + 60) * (1.25 if large else 1))
    apply_style(fig, height=height, large=large)
    if not shown:
        add_message(fig, "Nothing to draw", large=large)
    return fig


# ----------------------------------------------------------------------------------------------
# Universal approximation


def approximation_figure(x: np.ndarray, target: np.ndarray, contributions: np.ndarray, total: np.ndarray, *,
                         n: int, show_units: bool = True, large: bool = False) -> go.Figure:
    """The target, each hidden unit's scaled contribution (contributions (n, len(x))) and the network's sum."""
    fig = go.Figure()
    if show_units:
        for k, c in enumerate(contributions):
            fig.add_trace(go.Scatter(x=x, y=c, mode="lines", name="each unit's contribution vᵢ·g(wᵢx + bᵢ)",
                                     legendgroup="units", showlegend=k == 0, opacity=0.55,
                                     line={"color": SKY_BLUE, "width": 1.2},
                                     hovertemplate=f"unit {k + 1}: %{{y:.3f}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=target, mode="lines", name="target", line={"color": BLACK,
                                                                            "width": line_width(large) + 1,
                                                                            "dash": "dot"}))
    fig.add_trace(go.Scatter(x=x, y=total, mode="lines", name=f"network: sum of {n} units + c",
                             line={"color": VERMILLION, "width": line_width(large) + 0.5}))
    lo, hi = float(np.min(target)), float(np.max(target))
    pad = 0.6 * max(hi - lo, 0.5)
    fig.update_yaxes(range=[lo - pad, hi + pad], title_text="y")
    fig.update_xaxes(title_text="x")
    apply_style(fig, height=440 if not large else 540, large=large)
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return fig


def approximation_error_figure(sizes: Sequence[int], errors: Sequence[float], *, selected: int | None = None,
                               large: bool = False) -> go.Figure:
    """Root-mean-square error against the number of hidden units (log–log); `selected` is marked."""
    errors = np.maximum(np.asarray(errors, dtype=float), 1e-12)  # a perfect fit would vanish from a log axis
    fig = go.Figure(go.Scatter(x=list(sizes), y=errors, mode="lines+markers", name="error",
                               line={"color": BLUE, "width": line_width(large)}, marker={"size": 10},
                               hovertemplate="%{x} units: error %{y:.3g}<extra></extra>"))
    if selected in sizes:
        k = list(sizes).index(selected)
        fig.add_trace(go.Scatter(x=[selected], y=[errors[k]], mode="markers", name="shown above",
                                 marker={"size": 18, "color": VERMILLION, "symbol": "circle-open",
                                         "line": {"width": 3}}))
    fig.update_xaxes(title_text="hidden units n", type="log", tickvals=list(sizes), ticktext=[str(s) for s in sizes])
    fig.update_yaxes(title_text="root-mean-square error", type="log", exponentformat="power")
    return apply_style(fig, title="Error as the hidden layer grows", height=320 if not large else 400, large=large)
