"""Tests for playground.figures.sequences.embeddings, through their traces."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from playground.figures.sequences.embeddings import embedding_map_figure, similarity_figure, word2vec_curves_figure
from playground.figures.style import PRESENTATION

RELATIONS = {"gender": "male → female", "capital": "country → capital"}


def test_the_map_labels_every_word_and_joins_each_pair():
    points = np.array([[0.0, 0.0], [1.0, 0.5], [0.0, 2.0], [1.0, 2.5], [3.0, 3.0]])
    words = ["man", "woman", "king", "queen", "crown"]
    fig = embedding_map_figure(points, words, [("man", "woman"), ("king", "queen"), ("boy", "girl")],
                               ends=("male", "female"))
    lines, starts, ends, others = fig.data
    assert lines.mode == "lines" and list(lines.x) == [0.0, 1.0, None, 0.0, 1.0, None]  # boy/girl are not shown
    assert list(lines.y) == [0.0, 0.5, None, 2.0, 2.5, None]
    assert starts.name == "male" and list(starts.text) == ["man", "king"] and starts.marker.symbol == "circle"
    assert ends.name == "female" and list(ends.text) == ["woman", "queen"] and ends.marker.symbol == "diamond"
    assert list(others.text) == ["crown"] and list(others.x) == [3.0]
    assert all("text" in t.mode for t in fig.data[1:])  # labels, not colour alone
    assert fig.layout.yaxis.scaleanchor == "x"  # equal scales: distances are not stretched


def test_the_curves_draw_the_loss_and_each_relations_accuracy():
    history = pd.DataFrame({"epoch": [0, 0.5, 1.0], "loss": [math.nan, 2.0, 1.8],
                            "accuracy_gender": [0.0, 0.5, 1.0], "accuracy_capital": [0.0, 0.25, 0.75],
                            "accuracy_all": [0.0, 0.4, 0.9]})
    fig = word2vec_curves_figure(history, RELATIONS)
    loss, gender, capital, total = fig.data
    assert list(loss.x) == [0.5, 1.0] and list(loss.y) == [2.0, 1.8]
    assert gender.name == "gender (male → female)" and list(gender.y) == [0.0, 0.5, 1.0] and gender.xaxis == "x2"
    assert list(capital.y) == [0.0, 0.25, 0.75] and capital.line.dash != gender.line.dash
    assert total.name == "all questions" and total.line.width > gender.line.width
    empty = word2vec_curves_figure(pd.DataFrame({"epoch": [], "loss": []}), RELATIONS)
    assert any(a.text == "No epochs yet" for a in empty.layout.annotations)


def test_similarities_are_bars_with_their_values_best_first():
    fig = similarity_figure([("queen", 0.81), ("kings", 0.78), ("crown", -0.1)], title="Closest to king",
                            style=PRESENTATION)
    (bars,) = fig.data
    assert list(bars.y) == ["queen", "kings", "crown"] and list(bars.x) == [0.81, 0.78, -0.1]
    assert list(bars.text) == ["+0.81", "+0.78", "-0.10"]
    assert fig.layout.yaxis.autorange == "reversed" and fig.layout.xaxis.range[0] < -0.1
    assert fig.layout.font.size == PRESENTATION.font_size
