"""The predicted-vs-true figure of a regression run, and the network diagram's recurrent and embedding boxes."""

from __future__ import annotations

import numpy as np

from playground.figures import layer_family, network_figure
from playground.figures.network import FAMILY_COLORS
from playground.figures.regression import predicted_vs_true_figure


def test_predicted_vs_true_draws_each_example_and_the_line_of_equality():
    fig = predicted_vs_true_figure(np.array([0.5, 1.5, -1.0]), np.array([0.0, 2.0, -1.0]))
    points, line = fig.data
    assert (points.name, line.name) == ("examples", "prediction = truth")
    assert list(points.x) == [0.0, 2.0, -1.0] and list(points.y) == [0.5, 1.5, -1.0]
    assert list(line.x) == list(line.y) == [-1.0, 2.0]  # across both the targets and the predictions
    assert fig.layout.xaxis.title.text == "true target" and fig.layout.yaxis.title.text == "prediction"
    empty = predicted_vs_true_figure(np.zeros(0), np.zeros(0))
    assert "No test predictions" in str(empty.layout.annotations[0].text)


def test_recurrent_and_embedding_layers_have_their_own_family_colour_and_a_label():
    assert [layer_family(t) for t in ("lstm", "GRU", "rnn", "embedding")] == ["recurrent"] * 3 + ["embedding"]
    colours = {FAMILY_COLORS[f] for f in ("recurrent", "embedding")}
    assert len(colours) == 2 and not colours & {c for f, c in FAMILY_COLORS.items() if f not in ("recurrent",
                                                                                                 "embedding")}
    rows = [{"type": "embedding", "output_shape": [32, 16], "params": 880},
            {"type": "lstm", "output_shape": [64], "params": 20992}]
    fig = network_figure(rows, input_shape=[32])
    _, types, shapes = fig.data
    assert list(types.text) == ["input", "embedding", "lstm"]  # the label carries the type, not the colour
    assert list(shapes.text) == ["32", "32×16", "64"]
    fills = [shape.fillcolor for shape in fig.layout.shapes if shape.type == "rect"]
    assert fills[1:] == ["rgba(140,81,10,0.35)", "rgba(136,34,85,0.35)"]  # brown, wine
