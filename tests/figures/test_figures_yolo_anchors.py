"""The YOLO grid and anchor figures, through their traces."""

from __future__ import annotations

import numpy as np
import torch

from playground.figures.style import PRESENTATION
from playground.figures.vision.anchors import anchors_figure
from playground.figures.vision.yolo import yolo_grid_figure
from playground.vision import yolo


def test_yolo_grid_figure_draws_the_grid_the_cell_and_its_box():
    image = np.zeros((3, 64, 64))
    boxes = torch.tensor([[30.0, 12, 50, 28]])
    out = yolo.encode(boxes, torch.tensor([0]), S=4, B=2, C=3, image_size=64)
    found = yolo.cell_boxes(out, 1, 2, S=4, B=2, image_size=64)
    assert [(f.slot, f.confidence) for f in found] == [(0, 1.0)]
    assert yolo.cell_class(out, 1, 2, B=2) == (0, 1.0)
    fig = yolo_grid_figure(image, boxes, ["circle"], S=4, cell=(1, 2), predicted=[(found[0].steps, "box 1")])
    assert fig.data[0].type == "image" and fig.data[0].x0 == 0.5
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert sorted({s.x0 for s in lines if s.x0 == s.x1}) == [16, 32, 48]  # 3 inner lines each way
    cell = next(s for s in fig.layout.shapes if s.type == "rect")
    assert (cell.x0, cell.x1, cell.y0, cell.y1) == (32, 48, 16, 32)
    clicks = next(t for t in fig.data if t.name == "cells (click one)")
    assert len(clicks.x) == 16 and (clicks.x[6], clicks.y[6]) == (40, 24)  # row 1, column 2
    predicted = next(t for t in fig.data if t.name == "box 1")
    assert list(predicted.x) == [30, 50, 50, 30, 30] and list(predicted.y) == [12, 12, 28, 28, 12]
    centre = next(t for t in fig.data if t.name == "box 1: centre")
    assert (centre.x[0], centre.y[0]) == (40, 20) and "centre (40.0, 20.0)" in centre.text[0]
    truth = next(t for t in fig.data if t.name == "ground truth: circle")
    assert truth.line.dash == "dash"
    assert yolo_grid_figure(image, boxes, ["circle"], S=4, cell=(0, 0), style=PRESENTATION).layout.font.size == 20


def test_anchors_figure_says_each_anchors_label_in_words_and_dash():
    image = np.ones((3, 64, 64))
    anchors = torch.tensor([[24.0, 24, 40, 40], [0, 0, 70, 20], [20, 20, 44, 44]])
    fig = anchors_figure(image, anchors, ["16:1:1", "8:1:2", "24:1:1"], torch.tensor([1, 0, -1]),
                         torch.tensor([0.75, 0.0, 0.4]), boxes=torch.tensor([[22.0, 22, 40, 40]]),
                         box_names=["square"], centre=(32, 32))
    by_name = {t.name: t for t in fig.data}
    assert by_name["16:1:1 positive, IoU 0.75"].line.dash == "solid"
    assert by_name["8:1:2 negative, IoU 0.00"].line.dash == "dash"
    assert by_name["24:1:1 ignored, IoU 0.40"].line.dash == "dot"
    assert any(a.text == "16:1:1 (0.75)" for a in fig.layout.annotations)
    assert fig.layout.xaxis.range[1] == 71  # the anchor crossing the right edge stays in view
    names = [t.name for t in fig.data]
    assert names.index("16:1:1 positive, IoU 0.75") > names.index("8:1:2 negative, IoU 0.00")  # drawn on top
