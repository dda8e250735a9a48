"""Plotly figures for the playground's pages.

Every function here is pure: it takes arrays, DataFrames or lists of dicts and returns a
`plotly.graph_objects.Figure`. Nothing trains, caches or imports Streamlit, so each
figure works the same in a notebook.
"""

from playground.figures.network import format_shape, layer_family, network_figure
from playground.figures.style import apply_style
from playground.figures.training import (
    accuracy_figure,
    confusion_figure,
    confusion_matrix,
    curves_figure,
    loss_figure,
    order_misclassified_first,
    predictions_figure,
)

__all__ = [
    "accuracy_figure",
    "apply_style",
    "confusion_figure",
    "confusion_matrix",
    "curves_figure",
    "format_shape",
    "layer_family",
    "loss_figure",
    "network_figure",
    "order_misclassified_first",
    "predictions_figure",
]
