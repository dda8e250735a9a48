"""Figures of IoU, NMS and precision–recall, tested through their traces."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.figures.style import PRESENTATION, styled
from playground.figures.vision.boxes import iou_figure, nms_figure, pr_curves_figure
from playground.vision import boxes as bx


def test_iou_figure_shades_intersection_and_union_and_names_them():
    a, b = (0, 0, 4, 4), (2, 2, 6, 6)
    fig = iou_figure(a, b, bx.pair_iou(a, b))
    names = [t.name for t in fig.data]
    assert names == ["union (28 px²)", "union", "intersection (4 px²)", "box A (16 px²)", "box B (16 px²)"]
    inner = fig.data[2]
    assert inner.fill == "toself" and list(inner.x) == [2, 4, 4, 2, 2] and list(inner.y) == [2, 2, 4, 4, 2]
    assert fig.data[4].line.dash == "dash" and fig.data[3].line.dash == "solid"
    assert fig.layout.title.text == "IoU = 4 / 28 = 0.143"
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # y downwards
    apart = iou_figure((0, 0, 1, 1), (3, 3, 4, 4), bx.pair_iou((0, 0, 1, 1), (3, 3, 4, 4)))
    assert not any(t.name.startswith("intersection") for t in apart.data)
    assert "IoU = 0 / 2 = 0.000" in apart.layout.title.text


def test_nms_figure_draws_each_state_with_its_own_dash_and_words():
    image = np.zeros((3, 64, 64))
    boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [40, 40, 50, 50], [2, 2, 9, 9]]
    states = ["kept now", "suppressed now", "waiting", "kept", "suppressed"]
    texts = [f"circle {s:.2f}" for s in (0.9, 0.8, 0.5, 0.95, 0.4)]
    fig = nms_figure(image, boxes, texts, states)
    lines = [t for t in fig.data if t.type == "scatter"]
    dash = {t.name: t.line.dash for t in lines}
    assert dash == {"kept now": "solid", "kept": "solid", "suppressed now": "dash", "suppressed": "dash",
                    "waiting": "dot"}
    assert lines[-1].name in ("kept", "kept now")  # kept boxes on top
    labels = {a.text for a in fig.layout.annotations}
    assert labels == {"circle 0.90", "circle 0.80", "circle 0.95"}  # waiting and old suppressed boxes unlabelled
    assert {t.hovertext for t in lines} == set(texts)


def test_pr_curves_figure_one_curve_and_envelope_per_class_with_ap_in_words():
    scenes_boxes = [torch.tensor([[0.0, 0, 10, 10], [20, 20, 30, 30]])]
    truth = [(scenes_boxes[0], torch.tensor([0, 1]))]
    found = [bx.Detections(torch.tensor([[0.0, 0, 10, 10], [40, 40, 50, 50], [20, 20, 30, 31]]),
                           torch.tensor([0.9, 0.8, 0.7]), torch.tensor([0, 0, 1]))]
    curves = bx.precision_recall(found, truth, num_classes=3)
    fig = pr_curves_figure(curves, ["square", "circle", "cross"])
    assert [t.name for t in fig.data] == ["square: AP 1.00", "square: envelope", "circle: AP 1.00",
                                          "circle: envelope"]  # cross has no true box: left out
    assert list(fig.data[0].x) == [1.0, 1.0] and list(fig.data[0].y) == [1.0, 0.5]
    assert list(fig.data[1].y) == [1.0, 1.0, 0.5] and fig.data[1].line.dash == "dot"
    assert fig.data[0].marker.symbol != fig.data[2].marker.symbol
    assert [a.text for a in fig.layout.annotations] == ["square", "circle"]


@pytest.mark.parametrize("make", ["iou", "pr"])
def test_presentation_style_is_larger(make):
    if make == "iou":
        fig = iou_figure((0, 0, 4, 4), (2, 2, 6, 6), bx.pair_iou((0, 0, 4, 4), (2, 2, 6, 6)))
    else:
        found = [bx.Detections(torch.tensor([[0.0, 0, 1, 1]]), torch.tensor([0.5]), torch.tensor([0]))]
        fig = pr_curves_figure(bx.precision_recall(found, [(found[0].boxes, found[0].labels)], num_classes=1), ["a"])
        assert len(fig.data) == 2
    big = styled(fig, PRESENTATION)
    assert big.layout.font.size > fig.layout.font.size
