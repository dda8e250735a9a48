"""A regression model's test predictions against the true targets."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.figures.style import BLUE, GREY, apply_style, message_figure


def predicted_vs_true_figure(predicted: np.ndarray, true: np.ndarray, *, large: bool = False) -> go.Figure:
    """Each test example as a point (true target, prediction), with the line where they are equal.

    predicted, true: (N,) floats. Returns a figure with two traces: "examples" (markers) and
    "prediction = truth" (a dashed line across the targets' range); an empty set gives a message.
    """
    predicted, true = np.asarray(predicted, dtype=float).ravel(), np.asarray(true, dtype=float).ravel()
    if predicted.size == 0 or predicted.shape != true.shape:
        return message_figure("No test predictions")
    low = float(min(true.min(), predicted.min()))
    high = float(max(true.max(), predicted.max()))
    fig = go.Figure([
        go.Scatter(x=true, y=predicted, mode="markers", name="examples", marker={"color": BLUE, "opacity": 0.5},
                   hovertemplate="true %{x:.3f}<br>predicted %{y:.3f}<extra></extra>"),
        go.Scatter(x=[low, high], y=[low, high], mode="lines", name="prediction = truth",
                   line={"color": GREY, "dash": "dash"}, hoverinfo="skip"),
    ])
    fig.update_xaxes(title_text="true target")
    fig.update_yaxes(title_text="prediction")
    return apply_style(fig, height=360, large=large)
