"""Faster R-CNN's anchors: their shapes by hand, their count, and matching against a brute force."""

from __future__ import annotations

import math

import pytest
import torch
from torchvision.ops import box_iou as torchvision_box_iou

from playground.vision import anchors


def test_nine_anchors_by_hand():
    shapes = anchors.anchor_shapes()
    assert shapes.shape == (9, 2)
    # Scale 16, ratio 1:2 (h/w = 0.5): w = 16·√2 ≈ 22.63, h = 16/√2 ≈ 11.31; area 256.
    torch.testing.assert_close(shapes[3], torch.tensor([16 * math.sqrt(2), 16 / math.sqrt(2)], dtype=torch.float64))
    torch.testing.assert_close(shapes[4], torch.tensor([16.0, 16.0], dtype=torch.float64))
    torch.testing.assert_close(shapes[8], torch.tensor([32 / math.sqrt(2), 32 * math.sqrt(2)], dtype=torch.float64))
    areas = shapes.prod(dim=1)
    torch.testing.assert_close(areas, torch.tensor([64.0] * 3 + [256.0] * 3 + [1024.0] * 3, dtype=torch.float64))
    torch.testing.assert_close(shapes[:, 1] / shapes[:, 0], torch.tensor([0.5, 1, 2] * 3, dtype=torch.float64))
    assert anchors.anchor_names() == ["8:1:2", "8:1:1", "8:2:1", "16:1:2", "16:1:1", "16:2:1",
                                      "32:1:2", "32:1:1", "32:2:1"]
    assert anchors.anchor_names([10], [1.5]) == ["10:1.5:1"]


def test_anchors_at_a_location_and_over_the_image():
    box = anchors.anchors_at(24, 40, [16], [1.0])
    torch.testing.assert_close(box, torch.tensor([[16.0, 32, 32, 48]], dtype=torch.float64))
    assert anchors.location_centre(2, 1, 16) == (24, 40)
    every = anchors.all_anchors(64, 16)
    assert every.shape == (4 * 4 * 9, 4)
    k = (2 * 4 + 1) * 9  # location (row 2, column 1)
    torch.testing.assert_close(every[k:k + 9], anchors.anchors_at(24, 40))
    with pytest.raises(ValueError, match="stride"):
        anchors.all_anchors(64, 0)


def _brute_force(anchor_boxes, gt, positive, negative):
    """Faster R-CNN's rule, one anchor and one box at a time, with torchvision's IoU."""
    n, m = len(anchor_boxes), len(gt)
    iou = [[float(torchvision_box_iou(anchor_boxes[i:i + 1], gt[j:j + 1])) for j in range(m)] for i in range(n)]
    best_per_box = [max(iou[i][j] for i in range(n)) for j in range(m)]
    labels = []
    for i in range(n):
        best = max(iou[i]) if m else 0.0
        is_best = any(iou[i][j] == best_per_box[j] and best_per_box[j] > 0 for j in range(m))
        labels.append(1 if best >= positive or is_best else 0 if best < negative else -1)
    return labels, iou


@pytest.mark.parametrize("positive,negative", [(0.7, 0.3), (0.5, 0.4), (0.9, 0.1)])
def test_matching_equals_a_brute_force(positive, negative):
    generator = torch.Generator().manual_seed(int(positive * 10 + negative * 100))
    anchor_boxes = anchors.all_anchors(64, 16)
    for _ in range(8):
        m = int(torch.randint(1, 5, (1,), generator=generator))
        corner = torch.rand(m, 2, generator=generator, dtype=torch.float64) * 48
        size = 4 + torch.rand(m, 2, generator=generator, dtype=torch.float64) * 36
        gt = torch.cat([corner, corner + size], 1)
        match = anchors.match_anchors(anchor_boxes, gt, positive=positive, negative=negative)
        want, iou = _brute_force(anchor_boxes, gt, positive, negative)
        assert match.labels.tolist() == want
        torch.testing.assert_close(match.iou, torch.tensor(iou, dtype=torch.float64))
        assert match.positives == want.count(1) and match.negatives == want.count(0)
        assert match.positives >= 1  # every box gets its best anchor


def test_a_box_with_no_anchor_over_the_threshold_still_gets_its_best():
    grid = anchors.anchors_at(32, 32, [16], [1.0])  # one anchor, 24..40
    match = anchors.match_anchors(grid, torch.tensor([[20.0, 20, 36, 36]]))  # IoU 144/368 ≈ 0.39
    assert match.labels.tolist() == [1] and match.best_of_box.tolist() == [True]
    assert match.best_iou.item() == pytest.approx(144 / 368)
    far = anchors.match_anchors(grid, torch.tensor([[0.0, 0, 4, 4]]))  # touches no anchor: no match
    assert far.labels.tolist() == [0]
    empty = anchors.match_anchors(grid, torch.zeros(0, 4))
    assert empty.labels.tolist() == [0] and empty.best_box.tolist() == [-1]


def test_bad_thresholds_say_so():
    assert anchors.check_thresholds(0.7, 0.3) == []
    assert "negative" in anchors.check_thresholds(0.5, 0.6)[0]
    with pytest.raises(ValueError, match="positive IoU threshold"):
        anchors.match_anchors(anchors.anchors_at(0, 0), torch.zeros(0, 4), positive=0)
