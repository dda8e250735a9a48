"""Plotly figures for the playground's pages.

Every function here is pure: it takes arrays, DataFrames or lists of dicts and returns a
`plotly.graph_objects.Figure`. Nothing trains, caches or imports Streamlit, so each
figure works the same in a notebook.
"""

from playground.figures.explain_attack.explain import (
    accuracy_curve_figure,
    adversarial_figure,
    amplification_factor,
    attribution_figure,
    image_figure,
    image_grid_figure,
    localization_figure,
    methods_figure,
    normalize_map,
    series_figure,
)
from playground.figures.network import format_shape, layer_family, network_figure
from playground.figures.style import PLAIN, PRESENTATION, Style, apply_style, styled
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
    "PLAIN",
    "PRESENTATION",
    "Style",
    "accuracy_curve_figure",
    "accuracy_figure",
    "adversarial_figure",
    "amplification_factor",
    "apply_style",
    "attribution_figure",
    "confusion_figure",
    "confusion_matrix",
    "curves_figure",
    "format_shape",
    "image_figure",
    "image_grid_figure",
    "layer_family",
    "localization_figure",
    "loss_figure",
    "methods_figure",
    "network_figure",
    "normalize_map",
    "order_misclassified_first",
    "predictions_figure",
    "series_figure",
    "styled",
]
