"""Figures of backpropagation through time: the unrolled RNN with its numbers, and ‖∂L/∂h_t‖ against t."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.figures.style import BLACK, BLUE, GREY, PLAIN, VERMILLION, Style, add_message, apply_style
from playground.sequences.bptt import EXPLODED, RNN, VANISHED, Backward, Forward, where

_SUBSCRIPTS = str.maketrans("0123456789+−-", "₀₁₂₃₄₅₆₇₈₉₊₋₋")
_UNKNOWN = "#9A9A9A"  # values not computed yet: grey text, and a "?" in place of the numbers


def _sub(t: int | str) -> str:
    return str(t).translate(_SUBSCRIPTS)


def _short(value: float) -> str:
    """A value with 3 significant digits (the tables below the figure hold more)."""
    text = f"{value:.3g}"
    return "0" if text == "-0" else text.replace("-", "−").replace("e+", "e")


def _window(length: int, t: int, columns: int) -> tuple[int, int]:
    """The first and last time step to draw: at most `columns` steps, `t` among them."""
    if length <= columns:
        return 1, length
    first = min(max(1, t - columns // 2), length - columns + 1)
    return first, first + columns - 1


def _box_size(text: str, font: int) -> tuple[float, float]:
    """A bordered annotation's half width and half height in pixels (near enough to stop arrows at its edge)."""
    lines = text.split("<br>")
    widest = max(len(line.replace("<b>", "").replace("</b>", "")) for line in lines)
    return 0.32 * widest * font + 8, 0.65 * len(lines) * font + 8


def unrolled_figure(rnn: RNN, fwd: Forward, bwd: Backward, position: int, *, columns: int | None = None,
                    style: Style = PLAIN) -> go.Figure:
    """The RNN unrolled over time: per step a box for x_t, h_t, y_t and ∂L/∂h_t, with their numbers.

    `position` is the page's step (see `playground.sequences.bptt.where`): forward values up to it are
    shown, later ones as "?"; in the backward half, ∂L/∂h_t from T down to the current t. The current
    step's boxes get a thick outline and the column a "now" label, so it is not marked by colour alone.
    At most `columns` steps are drawn (6 by default, 4 in a projector style, so the boxes and their
    arrows stay apart at 1280 pixels wide), around the current one; "⋯" says more steps lie outside.
    """
    columns = columns or (4 if style.large else 6)
    phase, t_now = where(position, rnn.length)
    T = rnn.length
    first, last = _window(T, t_now, columns)
    known_h = t_now if phase == "forward" else T  # forward values computed so far
    known_grad = T + 1 if phase == "forward" else t_now  # ∂L/∂h_t known for t ≥ this
    font = style.small_font_size + 1
    notes: list[dict] = []  # boxes, arrows and labels, set on the layout at once (add_annotation is slow)
    rows = {"y": 3.0, "h": 2.0, "x": 0.9, "grad": -0.35}
    placed: dict[tuple[str, int], tuple[float, float, float, float]] = {}  # (row, t) -> x, y, half w, half h

    def box(row: str, t: int, title: str, values: np.ndarray | None, *, current: bool, color: str) -> None:
        lines = [f"<b>{title}</b>"] + (["?"] if values is None else [_short(v) for v in np.atleast_1d(values)])
        text = "<br>".join(lines)
        x = t - first + (1 if first == 1 else 0.6)
        notes.append(dict(x=x, y=rows[row], text=text, showarrow=False, align="center",
                          font={"size": font, "color": _UNKNOWN if values is None else BLACK},
                          bgcolor="white", bordercolor=color if current else (GREY if values is None else BLACK),
                          borderwidth=4 if current else 1, borderpad=4))
        placed[(row, t)] = (x, rows[row], *_box_size(text, font))

    def arrow(start: tuple[str, int], end: tuple[str, int], *, color: str = BLACK, label: str = "") -> None:
        (x0, y0, w0, h0), (x1, y1, w1, h1) = placed[start], placed[end]
        horizontal = abs(y1 - y0) < 1e-9
        notes.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                          showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=style.line_width * 0.9,
                          arrowcolor=color, standoff=w1 if horizontal else h1,
                          startstandoff=w0 if horizontal else h0))
        if label:
            notes.append(dict(x=(x0 + x1) / 2, y=(y0 + y1) / 2 + 0.2, text=label, showarrow=False,
                              font={"size": font, "color": color}))

    if first == 1:
        box("h", 0, "h" + _sub(0), fwd.h[0], current=False, color=BLUE)
    for t in range(first, last + 1):
        forward_now = phase == "forward" and t == t_now
        backward_now = phase == "backward" and t == t_now
        box("x", t, "x" + _sub(t), rnn.xs[t - 1, 0], current=forward_now, color=BLUE)
        box("h", t, "h" + _sub(t), fwd.h[t] if t <= known_h else None, current=forward_now or backward_now,
            color=VERMILLION if backward_now else BLUE)
        box("y", t, "y" + _sub(t), fwd.y[t - 1] if t <= known_h else None, current=forward_now, color=BLUE)
        box("grad", t, "∂L/∂h" + _sub(t), bwd.dh[t - 1] if t >= known_grad else None, current=backward_now,
            color=VERMILLION)
        arrow(("x", t), ("h", t))
        arrow(("h", t), ("y", t))
        if ("h", t - 1) in placed:
            arrow(("h", t - 1), ("h", t), label="W_h")
        if ("grad", t - 1) in placed and t - 1 >= known_grad:
            arrow(("grad", t), ("grad", t - 1), color=VERMILLION, label=f"J{_sub(t)}ᵀ")
    x_last = placed[("h", last)][0]
    if last == T:
        loss = _short(fwd.loss) if known_h == T else "?"
        notes.append(dict(x=x_last + 0.75, y=rows["y"], text=f"<b>L</b><br>{loss}", showarrow=False,
                          font={"size": font, "color": BLACK if known_h == T else _UNKNOWN}, bgcolor="white",
                          bordercolor=BLACK, borderwidth=1, borderpad=4))
        placed[("loss", T)] = (x_last + 0.75, rows["y"], *_box_size(f"<b>L</b><br>{loss}", font))
        arrow(("y", T), ("loss", T))
    for x, shown in ((placed[("h", first)][0] - 0.55, first > 1), (x_last + 0.5, last < T)):
        if shown:  # more steps outside the window
            notes.append(dict(x=x, y=rows["h"], text="⋯", showarrow=False, font={"size": font + 8}))
    word = "forward" if phase == "forward" else "backward"
    notes.append(dict(x=placed[("h", t_now)][0], y=rows["y"] + 0.62, text=f"<b>now: {word}, t = {t_now}</b>",
                      showarrow=False, font={"size": font + 1, "color": BLUE if phase == "forward" else VERMILLION}))
    fig = go.Figure(layout={"annotations": notes})
    fig.update_xaxes(visible=False, range=[-0.6 if first == 1 else 0, x_last + (1.25 if last == T else 0.8)])
    fig.update_yaxes(visible=False, range=[-1.2, 3.8])
    height = round((300 + 34 * rnn.hidden_size) * style.height_scale)
    return apply_style(fig, height=height, large=style.large)


def gradient_norms_figure(norms: np.ndarray, *, scale: float, current: int | None = None,
                          style: Style = PLAIN) -> go.Figure:
    """‖∂L/∂h_t‖ against t (1..T) on a log axis, with scale^(T−t)·‖∂L/∂h_T‖ (what W_h alone would do).

    Norms of exactly 0 cannot sit on a log axis: they are left out and a note names their steps.
    Dashed lines mark 1e-6 and 1e6 when the curve passes them, with the first step past each.
    `current` (a time step) gets a larger, outlined marker and a "now" label.
    """
    norms = np.asarray(norms, dtype=float)
    T = len(norms)
    steps = np.arange(1, T + 1)
    shown = np.where(norms > 0, norms, np.nan)
    fig = go.Figure()
    if norms[-1] > 0 and scale > 0:
        # scale^(T−t) · ‖∂L/∂h_T‖, in logs so a large scale over 30 steps cannot overflow.
        log_reference = np.log10(norms[-1]) + (T - steps) * np.log10(scale)
        fig.add_trace(go.Scatter(x=steps, y=10.0 ** np.clip(log_reference, -300, 300), mode="lines",
                                 name=f"{scale:g}^(T−t) × ‖∂L/∂h_T‖ (W_h's scale alone)",
                                 line={"color": GREY, "dash": "dot", "width": style.line_width}))
    fig.add_trace(go.Scatter(x=steps, y=shown, mode="lines+markers", name="‖∂L/∂h_t‖",
                             line={"color": VERMILLION, "width": style.line_width},
                             marker={"size": 8 * style.marker_scale, "symbol": "circle"},
                             hovertemplate="t = %{x}<br>‖∂L/∂h_t‖ = %{y:.3g}<extra></extra>"))
    if current is not None and 1 <= current <= T and norms[current - 1] > 0:
        fig.add_trace(go.Scatter(x=[current], y=[norms[current - 1]], mode="markers+text", name="now",
                                 text=[f"now: t = {current}"], textposition="top center", showlegend=False,
                                 marker={"size": 16 * style.marker_scale, "symbol": "circle-open",
                                         "color": BLACK, "line": {"width": 3}}))
    notes = []
    for limit, text, word, past in ((VANISHED, "10⁻⁶", "vanished: under", norms < VANISHED),
                                    (EXPLODED, "10⁶", "exploded: over", norms > EXPLODED)):
        if (past & (norms > 0)).any():
            fig.add_hline(y=limit, line={"color": BLACK, "dash": "dash", "width": 1}, annotation_text=text,
                          annotation_position="top right")
            notes.append(f"{word} {text} from t = {int(steps[past][-1])} back (the gradient starts at t = {T})")
    if (norms == 0).any():
        zeros = ", ".join(str(int(s)) for s in steps[norms == 0][:8]) + (" …" if (norms == 0).sum() > 8 else "")
        notes.append(f"exactly 0 (not drawn on a log axis) at t = {zeros}")
    if notes:
        low_on_left = norms[0] < norms[-1]  # the note goes where the curve is not
        fig.add_annotation(x=0.01, y=0.98 if low_on_left else 0.02, xref="paper", yref="paper", xanchor="left",
                           yanchor="top" if low_on_left else "bottom",
                           text="<br>".join(notes), showarrow=False, align="left", bgcolor="rgba(255,255,255,0.85)",
                           font={"size": style.small_font_size})
    fig.update_xaxes(title_text="time step t (the gradient flows from right to left)", dtick=1 if T <= 15 else 2,
                     range=[0.5, T + 0.5])
    fig.update_yaxes(title_text="‖∂L/∂h_t‖ (log scale)", type="log", exponentformat="power")
    apply_style(fig, height=round(400 * style.height_scale), large=style.large)
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    if not (norms > 0).any():
        add_message(fig, "Every ∂L/∂h_t is exactly 0: no gradient flows back", large=style.large)
    return fig
