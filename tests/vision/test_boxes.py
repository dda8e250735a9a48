"""IoU and NMS against torchvision's (exactly, ties and degenerate boxes included); AP by hand and by brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torchvision

from playground.vision import boxes as bx


def random_boxes(generator: torch.Generator, n: int, *, grid: int | None = None) -> torch.Tensor:
    """n boxes (x1 <= x2, y1 <= y2) in a 64-pixel image; on whole multiples of 64/grid when `grid`, so that
    equal coordinates, zero-area boxes, identical boxes and tied IoUs come up often."""
    corners = torch.rand(n, 2, 2, generator=generator) * 64
    if grid:
        corners = (corners / 64 * grid).round() * (64 / grid)
    low, high = corners.min(dim=1).values, corners.max(dim=1).values
    return torch.cat([low, high], dim=1)  # (n, 4): x1, y1, x2, y2


@pytest.mark.parametrize("grid", [None, 8, 3])
def test_iou_equals_torchvisions_exactly(grid):
    generator = torch.Generator().manual_seed(grid or 0)
    for trial in range(40):
        a = random_boxes(generator, int(torch.randint(0, 12, (1,), generator=generator)), grid=grid)
        b = random_boxes(generator, 9, grid=grid)
        if trial % 5 == 0:
            a = torch.cat([a, b[:3], torch.tensor([[5.0, 5.0, 5.0, 9.0]])])  # identical boxes and a zero-area one
        mine, theirs = bx.box_iou(a, b), torchvision.ops.box_iou(a, b)
        assert mine.shape == theirs.shape == (len(a), len(b))
        torch.testing.assert_close(mine, theirs, rtol=0, atol=0, equal_nan=True)
    double = random_boxes(generator, 20).double()
    torch.testing.assert_close(bx.box_iou(double, double), torchvision.ops.box_iou(double, double), rtol=0, atol=0)


def test_iou_by_hand():
    a, b = torch.tensor([[0.0, 0.0, 4.0, 4.0]]), torch.tensor([[2.0, 2.0, 6.0, 6.0], [4.0, 0.0, 8.0, 4.0]])
    # 2×2 shared of 16 + 16 - 4; touching edges share nothing.
    assert bx.box_iou(a.double(), b.double()).tolist() == [[4 / 28, 0.0]]
    pair = bx.pair_iou((0, 0, 4, 4), (2, 2, 6, 6))
    assert (pair.area_a, pair.area_b, pair.intersection, pair.union) == (16, 16, 4, 28)
    assert pair.intersection_box == (2, 2, 4, 4) and pair.iou == pytest.approx(1 / 7, abs=0)
    assert bx.pair_iou((0, 0, 1, 1), (3, 3, 4, 4)).intersection_box is None
    assert bx.box_problems((4, 0, 2, 3)) == ["x2 (2) must be larger than x1 (4): x1 is the left edge, x2 the right."]
    assert len(bx.box_problems((0, 5, 2, 5))) == 1 and bx.box_problems((0, 0, 1, 1)) == []


@pytest.mark.parametrize("grid", [None, 6, 2])
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.7, 1.0])
def test_nms_equals_torchvisions_exactly(grid, threshold):
    generator = torch.Generator().manual_seed(17 + (grid or 0))
    for trial in range(25):
        n = int(torch.randint(0, 40, (1,), generator=generator))
        boxes = random_boxes(generator, n, grid=grid)
        scores = torch.rand(n, generator=generator)
        if trial % 2:  # many equal scores: the order of ties decides which box is kept
            scores = (scores * 3).floor() / 3
        if trial % 3 == 0 and n > 4:
            boxes[1], scores[1] = boxes[0], scores[0]  # an identical box with an identical score
        theirs = torchvision.ops.nms(boxes, scores, threshold)
        mine = bx.nms(boxes, scores, threshold)
        assert mine.dtype == torch.int64 and mine.tolist() == theirs.tolist(), (trial, n)


def test_nms_steps_say_what_each_kept_box_removed():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 9], [20, 20, 30, 30], [21, 20, 30, 30.0]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.95])
    steps = bx.nms_steps(boxes, scores, 0.5)
    assert [s.kept for s in steps] == [4, 0] and steps[0].suppressed == [3] and steps[0].remaining == [0, 1, 2]
    assert steps[0].suppressed_iou == pytest.approx([0.9])
    assert steps[1].suppressed == [1, 2] and steps[1].remaining == []
    assert steps[1].suppressed_iou == pytest.approx([81 / 119, 0.9])
    assert bx.nms_steps(torch.zeros(0, 4), torch.zeros(0), 0.5) == []


def test_jittered_detections_are_valid_and_deterministic():
    truth, labels = torch.tensor([[10.0, 10, 30, 40], [40, 5, 60, 20]]), torch.tensor([1, 3])
    one = bx.jittered_detections(truth, labels, num_classes=4, image_size=64, seed=3)
    two = bx.jittered_detections(truth, labels, num_classes=4, image_size=64, seed=3)
    assert len(one) == 2 * 5 + 2 and torch.equal(one.boxes, two.boxes) and torch.equal(one.scores, two.scores)
    assert (one.boxes[:, 2] > one.boxes[:, 0]).all() and one.boxes.min() >= 0 and one.boxes.max() <= 64
    assert bx.box_iou(one.boxes[:5], truth[:1]).min() > 0.3  # copies of the first box stay near it


def _detections(rows):
    return bx.Detections(torch.tensor([r[0] for r in rows], dtype=torch.float32).reshape(-1, 4),
                         torch.tensor([r[1] for r in rows]), torch.tensor([r[2] for r in rows], dtype=torch.int64))


def test_ap_by_hand():
    """Three true boxes; detections ranked TP, FP, TP, FP, TP (one FP a duplicate of a found box).

    Precision 1, 1/2, 2/3, 2/4, 3/5 at recall 1/3, 1/3, 2/3, 2/3, 1: AP = (1 + 2/3 + 3/5) / 3 = 34/45.
    """
    truth = [(torch.tensor([[0.0, 0, 10, 10], [20, 20, 30, 30]]), torch.tensor([0, 0])),
             (torch.tensor([[5.0, 5, 15, 15]]), torch.tensor([0]))]
    # Ranked: 0.9 finds picture 0's first box; 0.8 is a duplicate of it; 0.7 finds picture 1's box; 0.4 lies
    # where picture 1 has no box; 0.3 finds picture 0's second box.
    found = [_detections([([0, 0, 10, 10], 0.9, 0), ([0, 0, 10, 11], 0.8, 0), ([20, 21, 30, 30], 0.3, 0)]),
             _detections([([5, 5, 15, 14], 0.7, 0), ([20, 20, 30, 30], 0.4, 0)])]
    (curve,) = bx.precision_recall(found, truth, num_classes=1)
    assert curve.true_positive.tolist() == [True, False, True, False, True]
    np.testing.assert_allclose(curve.precision, [1, 1 / 2, 2 / 3, 2 / 4, 3 / 5])
    np.testing.assert_allclose(curve.recall, [1 / 3, 1 / 3, 2 / 3, 2 / 3, 1])
    assert curve.ap == pytest.approx(34 / 45, abs=1e-12) and curve.ground_truths == 3
    assert bx.average_precision(np.array([1.0]), np.array([1.0])) == 1.0


def _brute_force_ap(detections, ground_truth, label, threshold):
    """VOC's matching with plain-float IoU, and AP as the sum over true positives of 1/n times the best
    precision at that rank or below."""
    def iou(a, b):
        w = max(min(a[2], b[2]) - max(a[0], b[0]), 0)
        h = max(min(a[3], b[3]) - max(a[1], b[1]), 0)
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
        return w * h / union if union > 0 else 0.0

    rows = [(float(d.scores[k]), p, d.boxes[k].tolist()) for p, d in enumerate(detections)
            for k in range(len(d)) if int(d.labels[k]) == label]
    rows.sort(key=lambda r: -r[0])  # Python's sort is stable, as the ranking must be
    truths = [[b.tolist() for b, lab in zip(bs, ls, strict=True) if int(lab) == label] for bs, ls in ground_truth]
    count = sum(len(t) for t in truths)
    if not count:
        return math.nan
    used, hits = set(), []
    for _, picture, box in rows:
        overlaps = [iou(box, t) for t in truths[picture]]
        best = max(range(len(overlaps)), key=lambda k: overlaps[k], default=None)
        hit = best is not None and overlaps[best] >= threshold and (picture, best) not in used
        if hit:
            used.add((picture, best))
        hits.append(hit)
    precision = [sum(hits[:k + 1]) / (k + 1) for k in range(len(hits))]
    return sum(max(precision[k:]) / count for k in range(len(hits)) if hits[k])


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.75])
def test_ap_equals_a_brute_force_on_jittered_scenes(threshold):
    from playground.scenes import make_scenes

    scenes = make_scenes(12, size=64, seed=4)
    truth = list(zip(scenes.boxes, scenes.labels, strict=True))
    found = [bx.jittered_detections(b, lab, num_classes=4, image_size=64, seed=i) for i, (b, lab) in enumerate(truth)]
    curves = bx.precision_recall(found, truth, threshold, num_classes=4)
    for label, curve in enumerate(curves):
        want = _brute_force_ap(found, truth, label, threshold)
        assert curve.ap == pytest.approx(want, abs=1e-9), label
        assert 0 < curve.ap < 1
    assert bx.mean_ap(curves) == pytest.approx(np.mean([c.ap for c in curves]))
    empty = bx.precision_recall([found[0]], [(torch.zeros(0, 4), torch.zeros(0, dtype=torch.int64))], num_classes=4)
    assert all(math.isnan(c.ap) for c in empty) and math.isnan(bx.mean_ap(empty))


def test_nms_compares_the_float_iou_with_the_threshold_in_double_precision():
    """IoU 30/100 is 0.30000001 in float32: above a threshold of 0.3 (a double), so torchvision drops the box;
    comparing in float32 (0.3 rounds to the same float) would keep it."""
    boxes, scores = torch.tensor([[0.0, 0, 10, 10], [0, 0, 10, 3]]), torch.tensor([0.9, 0.8])
    assert torchvision.ops.nms(boxes, scores, 0.3).tolist() == bx.nms(boxes, scores, 0.3).tolist() == [0]


def test_the_pages_helpers():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [21, 20, 30, 30.0]])
    found = bx.Detections(boxes, torch.tensor([0.9, 0.8, 0.7, 0.6]), torch.tensor([1, 1, 0, 2]))
    steps = bx.nms_steps(found.boxes, found.scores, 0.5)
    assert bx.states_at_step(steps, 1, 4) == ["kept now", "suppressed now", "waiting", "waiting"]
    assert bx.states_at_step(steps, 2, 4) == ["kept", "suppressed", "kept now", "suppressed now"]
    assert bx.detection_texts(found, ["a", "b", "c"]) == ["#1 b 0.90", "#2 b 0.80", "#3 a 0.70", "#4 c 0.60"]
    (kept,) = bx.after_nms([found], 0.5)
    assert kept.labels.tolist() == [1, 0] and torch.equal(kept.boxes, boxes[[0, 2]])
    many = bx.stand_in_detections([boxes[:1], boxes[2:]], [torch.tensor([0]), torch.tensor([1, 2])], num_classes=3,
                                  image_size=64, seed=5)
    assert [len(d) for d in many] == [1 * 5 + 2, 2 * 5 + 2]
    assert torch.equal(many[1].boxes, bx.jittered_detections(boxes[2:], torch.tensor([1, 2]), num_classes=3,
                                                             image_size=64, seed=6).boxes)
