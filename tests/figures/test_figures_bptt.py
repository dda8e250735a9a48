"""Backpropagation-through-time figures, checked through their annotations, traces and axes."""

from __future__ import annotations

import numpy as np

from playground.figures.sequences.bptt import gradient_norms_figure, unrolled_figure
from playground.figures.style import PRESENTATION
from playground.sequences import bptt


def _setup(length: int = 5, hidden: int = 3, **settings):
    rnn = bptt.make_rnn(hidden=hidden, length=length, **settings)
    fwd = bptt.forward(rnn)
    return rnn, fwd, bptt.backward(rnn, fwd)


def _boxes(fig) -> dict[str, dict]:
    """The bordered boxes by their title ("h₂", "∂L/∂h₃", "L")."""
    return {a.text.split("<br>")[0].replace("<b>", "").replace("</b>", ""): a
            for a in fig.layout.annotations if a.borderwidth}


def test_the_unrolled_network_shows_what_is_computed_so_far_and_outlines_the_current_step():
    rnn, fwd, bwd = _setup()
    fig = unrolled_figure(rnn, fwd, bwd, 2)  # forward, t = 2
    boxes = _boxes(fig)
    assert set(boxes) == {"h₀", *(f"{k}{s}" for k in ("x", "h", "y", "∂L/∂h") for s in "₁₂₃₄₅"), "L"}
    assert boxes["h₂"].borderwidth == 4 and boxes["x₂"].borderwidth == 4 and boxes["h₁"].borderwidth == 1
    assert boxes["h₂"].text.split("<br>")[1:] == [f"{v:.3g}".replace("-", "−") for v in fwd.h[2]]
    assert boxes["h₃"].text.endswith("?") and boxes["∂L/∂h₅"].text.endswith("?")
    assert any("now: forward, t = 2" in (a.text or "") for a in fig.layout.annotations)

    fig = unrolled_figure(rnn, fwd, bwd, 7)  # backward, t = 4
    boxes = _boxes(fig)
    assert boxes["∂L/∂h₄"].borderwidth == 4 and boxes["h₄"].borderwidth == 4
    assert boxes["∂L/∂h₄"].text.split("<br>")[1:] == [f"{v:.3g}".replace("-", "−") for v in bwd.dh[3]]
    assert boxes["∂L/∂h₃"].text.endswith("?") and boxes["L"].text.endswith(f"{fwd.loss:.3g}")
    assert [a.text for a in fig.layout.annotations if a.text and "J" in a.text] == ["J₅ᵀ"]
    assert any("now: backward, t = 4" in (a.text or "") for a in fig.layout.annotations)


def test_a_long_sequence_draws_a_window_around_the_current_step():
    rnn, fwd, bwd = _setup(length=30)
    fig = unrolled_figure(rnn, fwd, bwd, 45)  # backward, t = 16
    titles = [t for t in _boxes(fig) if t.startswith("h")]
    assert len(titles) == 6 and "h₁₆" in titles and "h₀" not in titles
    assert sum(a.text == "⋯" for a in fig.layout.annotations) == 2
    fig = unrolled_figure(rnn, fwd, bwd, 1, style=PRESENTATION)  # fewer, larger boxes on a projector
    assert [t for t in _boxes(fig) if t.startswith("h")] == ["h₀", "h₁", "h₂", "h₃", "h₄"]


def test_the_norm_curve_is_on_a_log_axis_with_the_scale_alone_as_reference():
    rnn, fwd, bwd = _setup(length=20, activation="tanh", scale=0.5, seed=0)
    fig = gradient_norms_figure(bwd.norms, scale=0.5, current=14)
    assert fig.layout.yaxis.type == "log"
    reference, curve, now = fig.data
    np.testing.assert_allclose(curve.y, bwd.norms)
    np.testing.assert_allclose(reference.y, bwd.norms[-1] * 0.5 ** (20 - np.arange(1, 21)), rtol=1e-9)
    assert list(now.x) == [14] and now.text == ("now: t = 14",)
    notes = " ".join(a.text for a in fig.layout.annotations if a.text)
    assert "vanished: under 10⁻⁶" in notes  # the curve passes 1e-6 (as the test of vanishing asserts)
    assert any(shape.y0 == 1e-6 for shape in fig.layout.shapes)


def test_exploding_and_zero_norms_are_said_in_words():
    rnn, fwd, bwd = _setup(length=30, activation="linear", scale=2.0, seed=0)
    notes = " ".join(a.text for a in gradient_norms_figure(bwd.norms, scale=2.0).layout.annotations if a.text)
    assert "exploded: over 10⁶" in notes
    fig = gradient_norms_figure(np.array([0.0, 0.0, 0.3, 0.5]), scale=1.0)
    assert np.isnan(fig.data[-1].y[0]) and fig.data[-1].y[2] == 0.3
    assert "exactly 0 (not drawn on a log axis) at t = 1, 2" in " ".join(a.text for a in fig.layout.annotations)
    fig = gradient_norms_figure(np.zeros(4), scale=1.0)
    assert any("no gradient flows back" in (a.text or "") for a in fig.layout.annotations)


def test_presentation_style_is_larger():
    rnn, fwd, bwd = _setup()
    plain, large = unrolled_figure(rnn, fwd, bwd, 3), unrolled_figure(rnn, fwd, bwd, 3, style=PRESENTATION)
    assert large.layout.height > plain.layout.height
    assert _boxes(large)["h₃"].font.size > _boxes(plain)["h₃"].font.size
    norms = gradient_norms_figure(bwd.norms, scale=1.0, style=PRESENTATION)
    assert norms.layout.font.size == PRESENTATION.font_size
