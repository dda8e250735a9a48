"""The page "Anchors" in AppTest: every control, and the matches it shows against a brute force."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from torchvision.ops import box_iou as torchvision_box_iou

from playground.scenes import make_scenes
from playground.vision import anchors
from tests.pages.test_pages import open_with_link

WORDS = {1: "positive", 0: "negative", -1: "ignored"}


def open_anchors(**params) -> AppTest:
    at = open_with_link("pages/anchors.py", params)
    assert not at.exception, [e.value for e in at.exception]
    return at


def brute_force(all_boxes, gt, positive, negative):
    """Faster R-CNN's labels, one anchor-box pair at a time with torchvision's IoU."""
    iou = [[float(torchvision_box_iou(a[None], g[None])) for g in gt.double()] for a in all_boxes.double()]
    best_per_box = [max(column) for column in zip(*iou, strict=True)]
    labels = []
    for row in iou:
        best = max(row)
        is_best = any(abs(v - b) < 1e-12 and b > 0 for v, b in zip(row, best_per_box, strict=True))
        labels.append(1 if best >= positive or is_best else 0 if best < negative else -1)
    return labels


def metric(at, label):
    return int(next(m.value for m in at.metric if m.label == label).replace(",", ""))


@pytest.mark.parametrize("stride", anchors.STRIDE_CHOICES)
def test_the_matches_shown_equal_a_brute_force(stride):
    at = open_anchors(scene=5, stride=stride, row=1, col=0, positive=0.5, negative=0.3)
    gt = make_scenes(1, size=64, seed=5).boxes[0]
    every = anchors.all_anchors(64, stride)
    want = brute_force(every, gt, 0.5, 0.3)
    assert metric(at, "Positive") == want.count(1) and metric(at, "Negative") == want.count(0)
    assert metric(at, "Ignored") == want.count(-1)
    grid = 64 // stride
    start = (1 * grid + 0) * 9
    table = next(d.value for d in at.dataframe if "label" in d.value.columns)
    assert table["label"].tolist() == [WORDS[v] for v in want[start:start + 9]]
    assert table["anchor (scale:ratio)"].tolist() == anchors.anchor_names()
    assert f"{grid} · {grid} · 9 = **{grid * grid * 9:,} anchors**" in "\n".join(m.value for m in at.markdown)


def test_scales_ratios_and_thresholds_change_what_is_shown():
    at = open_anchors()
    assert at.title[0].value == "Anchors" and "= 9 anchors per position**" in at.markdown[0].value
    at.pills(key="anc.scales").set_value([16]).run()
    at.pills(key="anc.ratios").set_value([0.25, 1.0]).run()
    assert not at.exception and "= 2 anchors per position**" in at.markdown[0].value
    table = next(d.value for d in at.dataframe if "label" in d.value.columns)
    assert table["anchor (scale:ratio)"].tolist() == ["16:1:4", "16:1:1"]
    assert table["width"].tolist() == pytest.approx([32.0, 16.0]) and table["height"].tolist() == pytest.approx([8, 16])
    low = metric(at, "Positive")
    at.slider(key="anc.positive").set_value(0.1).run()
    at.slider(key="anc.negative").set_value(0.05).run()
    assert not at.exception and metric(at, "Positive") >= low


def test_bad_combinations_get_messages():
    at = open_anchors()
    at.slider(key="anc.negative").set_value(0.9).run()
    assert not at.exception and any("must be from 0 to the positive one" in e.value for e in at.error)
    at = open_anchors()
    at.pills(key="anc.scales").set_value([]).run()
    assert not at.exception and any("at least one scale" in e.value for e in at.error)
    at = open_anchors(stride=32, row=3)  # the 2×2 map of stride 32 has rows 0 and 1
    assert not at.exception and any("is not from 0 to 1" in w.value for w in at.warning)
    at = open_anchors(scales="8,999")
    assert not at.exception and any("could not be used" in w.value for w in at.warning)
