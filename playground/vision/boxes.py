"""Boxes: intersection over union, non-maximum suppression step by step, and precision, recall and AP.

Boxes are (x1, y1, x2, y2) in pixels, x1 <= x2 and y1 <= y2 (see `playground.scenes` for the pixel
convention). `box_iou` and `nms` give exactly what torchvision.ops.box_iou and torchvision.ops.nms give,
ties and degenerate boxes included: the same float operations in the same order, and the same stable
sort of scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Areas (N,) of boxes (N, 4)."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU (N, M) of boxes a (N, 4) with boxes b (M, 4): intersection area / union area.

    Two boxes of zero area give 0 / 0 = NaN, as torchvision's does.
    """
    top_left = torch.max(a[:, None, :2], b[:, :2])  # (N, M, 2)
    bottom_right = torch.min(a[:, None, 2:], b[:, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    union = box_area(a)[:, None] + box_area(b) - inter
    return inter / union


def box_problems(box) -> list[str]:
    """What is wrong with one typed box (x1, y1, x2, y2): nothing for a box with x1 < x2 and y1 < y2."""
    x1, y1, x2, y2 = (float(v) for v in box)
    problems = []
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        return ["Every corner must be a number."]
    if x2 <= x1:
        problems.append(f"x2 ({x2:g}) must be larger than x1 ({x1:g}): x1 is the left edge, x2 the right.")
    if y2 <= y1:
        problems.append(f"y2 ({y2:g}) must be larger than y1 ({y1:g}): y1 is the top edge, y2 the bottom.")
    return problems


@dataclass(frozen=True)
class PairIoU:
    """Two boxes' areas, their intersection (a box, or None when they do not touch) and union, and the IoU."""

    area_a: float
    area_b: float
    intersection_box: tuple[float, float, float, float] | None
    intersection: float
    union: float
    iou: float


def pair_iou(a, b) -> PairIoU:
    """The IoU of two boxes (4 numbers each) with the areas it is made of; the IoU is box_iou's."""
    ta, tb = torch.tensor([list(a)], dtype=torch.float64), torch.tensor([list(b)], dtype=torch.float64)
    x1, y1 = max(ta[0, 0], tb[0, 0]).item(), max(ta[0, 1], tb[0, 1]).item()
    x2, y2 = min(ta[0, 2], tb[0, 2]).item(), min(ta[0, 3], tb[0, 3]).item()
    inner = (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None
    area_a, area_b = float(box_area(ta)[0]), float(box_area(tb)[0])
    inter = max(x2 - x1, 0.0) * max(y2 - y1, 0.0)
    return PairIoU(area_a=area_a, area_b=area_b, intersection_box=inner, intersection=inter,
                   union=area_a + area_b - inter, iou=float(box_iou(ta, tb)[0, 0]))


# ---------------------------------------------------------------------------------------------------------
# Non-maximum suppression


@dataclass(frozen=True)
class NmsStep:
    """One step of NMS: the best remaining box is kept and every remaining box overlapping it by more than
    the threshold is dropped. Indices are into the boxes given to `nms_steps`."""

    kept: int
    suppressed: list[int]  # in score order
    suppressed_iou: list[float]  # each one's IoU with the kept box
    remaining: list[int] = field(default_factory=list)  # still waiting after this step, in score order


def score_order(scores: torch.Tensor) -> torch.Tensor:
    """Indices of `scores` from highest to lowest; equal scores keep their input order (torchvision's)."""
    return torch.sort(scores, stable=True, descending=True).indices


def nms_steps(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> list[NmsStep]:
    """Greedy NMS (boxes (N, 4), scores (N,)) as its steps, one per kept box, in the order they are kept.

    A box is dropped when its IoU with a kept box is strictly above `iou_threshold` (compared in double
    precision, as torchvision's kernel does).
    """
    if len(boxes) != len(scores):
        raise ValueError(f"{len(boxes)} boxes but {len(scores)} scores")
    areas = box_area(boxes)
    waiting = score_order(scores)
    steps = []
    while len(waiting):
        i, rest = waiting[0], waiting[1:]
        # The kernel's per-pair arithmetic: max/min corners, clamped width and height, then
        # inter / ((area_i + area_j) - inter), all in the boxes' own dtype.
        w = (torch.min(boxes[i, 2], boxes[rest, 2]) - torch.max(boxes[i, 0], boxes[rest, 0])).clamp(min=0)
        h = (torch.min(boxes[i, 3], boxes[rest, 3]) - torch.max(boxes[i, 1], boxes[rest, 1])).clamp(min=0)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        drop = iou.double() > iou_threshold
        waiting = rest[~drop]
        steps.append(NmsStep(kept=int(i), suppressed=rest[drop].tolist(), suppressed_iou=iou[drop].tolist(),
                             remaining=waiting.tolist()))
    return steps


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices (int64) of the boxes greedy NMS keeps, highest score first: torchvision.ops.nms's."""
    return torch.tensor([step.kept for step in nms_steps(boxes, scores, iou_threshold)], dtype=torch.int64)


# ---------------------------------------------------------------------------------------------------------
# Stand-in raw detections, until a trained detector supplies real ones


@dataclass
class Detections:
    """One picture's detections: boxes (K, 4) float32, scores (K,) in [0, 1], labels (K,) int64."""

    boxes: torch.Tensor
    scores: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.boxes)

    def take(self, indices) -> Detections:
        """The detections at `indices`, in that order."""
        index = torch.as_tensor(indices, dtype=torch.int64)
        return Detections(self.boxes[index], self.scores[index], self.labels[index])


def jittered_detections(boxes: torch.Tensor, labels: torch.Tensor, *, num_classes: int, image_size: int,
                        seed: int = 0, per_object: int = 5, false_positives: int = 2) -> Detections:
    """What a detector's raw output looks like, made from ground truth: `per_object` shifted and stretched
    copies of each true box (corners moved by up to about a fifth of its size; the closer the copy, the higher
    its score; one in ten carries a wrong class), plus `false_positives` random boxes with low scores.

    boxes (k, 4), labels (k,) of one picture. Deterministic by seed.
    """
    rng = np.random.default_rng(seed)
    found, scores, classes = [], [], []
    for box, label in zip(boxes.tolist(), labels.tolist(), strict=True):
        w, h = box[2] - box[0], box[3] - box[1]
        confidence = rng.uniform(0.6, 0.95)  # how sure the detector is about this object at best
        for _ in range(per_object):
            shift = rng.normal(0.0, 0.1, 4).clip(-0.25, 0.25)
            found.append([box[0] + shift[0] * w, box[1] + shift[1] * h, box[2] + shift[2] * w, box[3] + shift[3] * h])
            scores.append(confidence * math.exp(-4 * float(np.abs(shift).mean())))
            classes.append(label if rng.uniform() >= 0.1 else int(rng.integers(num_classes)))
    for _ in range(false_positives):
        w, h = rng.uniform(0.1, 0.4, 2) * image_size
        x, y = rng.uniform(0, image_size - w), rng.uniform(0, image_size - h)
        found.append([x, y, x + w, y + h])
        scores.append(rng.uniform(0.05, 0.5))
        classes.append(int(rng.integers(num_classes)))
    found_t = torch.tensor(found, dtype=torch.float32).reshape(-1, 4).clamp(0, image_size)
    return Detections(found_t, torch.tensor(scores, dtype=torch.float32), torch.tensor(classes, dtype=torch.int64))


# ---------------------------------------------------------------------------------------------------------
# Precision, recall and average precision (Pascal VOC's evaluation, 2010 onwards)


@dataclass(frozen=True)
class PRCurve:
    """One class's precision and recall after each of its detections, best score first.

    precision, recall, scores: (D,) floats; true_positive: (D,) bools; ground_truths: how many true
    boxes of the class there are; ap: its average precision (NaN when it has no true box).
    """

    precision: np.ndarray
    recall: np.ndarray
    scores: np.ndarray
    true_positive: np.ndarray
    ground_truths: int
    ap: float


def match_detections(detections: list[Detections], ground_truth, label: int,
                     iou_threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray, int]:
    """Which of class `label`'s detections are true positives, Pascal VOC's way.

    ground_truth: per picture, (boxes (k, 4), labels (k,)). Every detection of the class, over all
    pictures, is taken best score first (ties in input order); it is a true positive when its best IoU
    with the picture's true boxes of the class is at least `iou_threshold` and that box has not been
    found by a higher-scored detection yet, else a false positive. Returns (scores, true_positive,
    number of true boxes), scores sorted from high to low.
    """
    if len(detections) != len(ground_truth):
        raise ValueError(f"{len(detections)} pictures of detections but {len(ground_truth)} of ground truth")
    rows = []  # (score, picture, box)
    for picture, found in enumerate(detections):
        for k in torch.nonzero(found.labels == label).flatten().tolist():
            rows.append((float(found.scores[k]), picture, found.boxes[k]))
    truths = [boxes[labels == label] for boxes, labels in ground_truth]
    taken = [torch.zeros(len(t), dtype=torch.bool) for t in truths]
    order = score_order(torch.tensor([r[0] for r in rows], dtype=torch.float64)).tolist() if rows else []
    scores, hits = np.zeros(len(rows)), np.zeros(len(rows), dtype=bool)
    for rank, k in enumerate(order):
        score, picture, box = rows[k]
        scores[rank] = score
        if len(truths[picture]):
            iou = box_iou(box[None].double(), truths[picture].double())[0]
            best = int(torch.argmax(iou))
            if float(iou[best]) >= iou_threshold and not taken[picture][best]:
                taken[picture][best] = True
                hits[rank] = True
    return scores, hits, sum(len(t) for t in truths)


def average_precision(precision: np.ndarray, recall: np.ndarray) -> float:
    """All-point interpolated AP (Pascal VOC 2010 onwards): the area under precision made non-increasing
    (each point's precision raised to the best precision at any higher recall), summed over the recall
    steps. precision, recall: (D,) after each detection, best score first."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[0.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    steps = np.nonzero(r[1:] != r[:-1])[0]
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def precision_recall(detections: list[Detections], ground_truth, iou_threshold: float = 0.5, *,
                     num_classes: int) -> list[PRCurve]:
    """One PRCurve per class over all pictures; see `match_detections` and `average_precision`."""
    curves = []
    for label in range(num_classes):
        scores, hits, count = match_detections(detections, ground_truth, label, iou_threshold)
        tp = np.cumsum(hits)
        precision = tp / np.arange(1, len(hits) + 1)
        recall = tp / count if count else np.zeros(len(hits))
        ap = average_precision(precision, recall) if count else math.nan
        curves.append(PRCurve(precision, recall, scores, hits, count, ap))
    return curves


def mean_ap(curves: list[PRCurve]) -> float:
    """The mean of the classes' APs, over the classes that have at least one true box (NaN if none has)."""
    values = [c.ap for c in curves if c.ground_truths]
    return float(np.mean(values)) if values else math.nan


# ---------------------------------------------------------------------------------------------------------
# What the page shows


def stand_in_detections(boxes: list[torch.Tensor], labels: list[torch.Tensor], *, num_classes: int,
                        image_size: int, seed: int = 0) -> list[Detections]:
    """`jittered_detections` for each picture (boxes[i] (k_i, 4), labels[i] (k_i,)); picture i uses seed + i."""
    return [jittered_detections(b, lab, num_classes=num_classes, image_size=image_size, seed=seed + i)
            for i, (b, lab) in enumerate(zip(boxes, labels, strict=True))]


def after_nms(detections: list[Detections], iou_threshold: float) -> list[Detections]:
    """Each picture's detections that NMS keeps (all classes together), best score first."""
    return [found.take(nms(found.boxes, found.scores, iou_threshold)) for found in detections]


def states_at_step(steps: list[NmsStep], step: int, count: int) -> list[str]:
    """Each of `count` boxes' state after step `step` (1-based) of `steps`: "kept", "kept now", "suppressed
    now", "suppressed" or "waiting" (the words `nms_figure` draws)."""
    states = ["waiting"] * count
    for number, done in enumerate(steps[:step], start=1):
        states[done.kept] = "kept now" if number == step else "kept"
        for k in done.suppressed:
            states[k] = "suppressed now" if number == step else "suppressed"
    return states


def detection_texts(found: Detections, classes) -> list[str]:
    """"#k class score" for each detection, k counting from 1 in input order."""
    return [f"#{k + 1} {classes[int(label)]} {float(score):.2f}"
            for k, (label, score) in enumerate(zip(found.labels, found.scores, strict=True))]
