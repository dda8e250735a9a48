"""Anchor boxes, as in Faster R-CNN: fixed shapes at every feature-map location, matched to ground truth by IoU.

Ren, He, Girshick and Sun, "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks"
(NeurIPS 2015). At each location of the backbone's feature map (one every `stride` pixels of the image) sit
A = scales × ratios anchors; the region proposal network predicts, for each, whether it holds an object and
four offsets that move and stretch it onto the object. The paper uses 3 scales (boxes of 128², 256² and 512²
pixels on ~600-pixel images) and 3 aspect ratios (1:2, 1:1, 2:1): 9 anchors per location. Our images are 64
pixels, so the default scales are 8, 16 and 32 pixels, the same fractions of the image roughly.

Training labels (the paper's section 3.1.2): an anchor is *positive* if its IoU with some ground-truth box is
at least 0.7, or if it is (one of) the anchors with the highest IoU for some ground-truth box (so every box gets
an anchor, even when none reaches 0.7); *negative* if its IoU with every ground-truth box is below 0.3; and
ignored otherwise. Here the best anchor of a box counts only when its IoU is above 0 (an anchor that does not
touch the box is no match), and anchors crossing the image's edge are kept (the paper ignores them in training).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from playground.vision.boxes import box_iou

SCALE_CHOICES = (4, 8, 12, 16, 24, 32, 48)  # what a page offers, in pixels
RATIO_CHOICES = (0.25, 0.5, 1.0, 2.0, 4.0)
STRIDE_CHOICES = (4, 8, 16, 32)
SCALES = (8.0, 16.0, 32.0)  # pixels: the side of a square anchor of that scale (its area is scale²)
RATIOS = (0.5, 1.0, 2.0)  # height / width, as Faster R-CNN's 1:2, 1:1, 2:1
POSITIVE_IOU = 0.7
NEGATIVE_IOU = 0.3
POSITIVE, NEGATIVE, IGNORED = 1, 0, -1


def anchor_shapes(scales=SCALES, ratios=RATIOS) -> torch.Tensor:
    """(A, 2) widths and heights in pixels, scale-major (all ratios of the first scale, then the next):
    w = s / √r, h = s·√r, so every anchor of scale s has area s² and height / width = r."""
    shapes = [(s / math.sqrt(r), s * math.sqrt(r)) for s in scales for r in ratios]
    return torch.tensor(shapes, dtype=torch.float64).reshape(-1, 2)


def anchor_names(scales=SCALES, ratios=RATIOS) -> list[str]:
    """Labels of the anchors in `anchor_shapes`' order, "scale:ratio" with the ratio as height:width ("16:1:2")."""
    return [f"{s:g}:{ratio_label(r)}" for s in scales for r in ratios]


def ratio_label(r: float) -> str:
    """A height/width ratio as h:w, e.g. 0.5 → "1:2", 2 → "2:1", 1.5 → "1.5:1"."""
    return f"1:{1 / r:g}" if r < 1 else f"{r:g}:1"


def anchors_at(cx: float, cy: float, scales=SCALES, ratios=RATIOS) -> torch.Tensor:
    """(A, 4) anchors (x1, y1, x2, y2 pixels) centred on (cx, cy)."""
    wh = anchor_shapes(scales, ratios)
    centre = torch.tensor([cx, cy], dtype=torch.float64)
    return torch.cat([centre - wh / 2, centre + wh / 2], dim=1)


def grid_size(image_size: int, stride: int) -> int:
    """How many feature-map locations lie along each side: image_size // stride."""
    return image_size // stride


def location_centre(row: int, col: int, stride: int) -> tuple[float, float]:
    """(x, y) in pixels of feature-map location (`row`, `col`): the centre of its stride × stride patch."""
    return (col + 0.5) * stride, (row + 0.5) * stride


def all_anchors(image_size: int, stride: int, scales=SCALES, ratios=RATIOS) -> torch.Tensor:
    """(G·G·A, 4) anchors over the whole image, G = image_size // stride locations per side; location-major
    (row by row, then the A shapes), so anchor k of location (row, col) is at index (row·G + col)·A + k."""
    if stride < 1 or stride > image_size:
        raise ValueError(f"the stride must be from 1 to the image size, {image_size} (it is {stride})")
    g = grid_size(image_size, stride)
    centres = [location_centre(row, col, stride) for row in range(g) for col in range(g)]
    return torch.cat([anchors_at(cx, cy, scales, ratios) for cx, cy in centres])


@dataclass(frozen=True)
class Match:
    """Anchors matched to ground-truth boxes. For N anchors and M boxes:

    `labels` (N,) int64: 1 positive, 0 negative, −1 ignored; `iou` (N, M) every anchor's IoU with every box;
    `best_box` (N,) the box each anchor overlaps most (−1 with no boxes); `best_iou` (N,) that IoU;
    `best_of_box` (N,) bool: positive as the best anchor of some box (which may be below the threshold).
    """

    labels: torch.Tensor
    iou: torch.Tensor
    best_box: torch.Tensor
    best_iou: torch.Tensor
    best_of_box: torch.Tensor

    @property
    def positives(self) -> int:
        return int((self.labels == POSITIVE).sum())

    @property
    def negatives(self) -> int:
        return int((self.labels == NEGATIVE).sum())

    @property
    def ignored(self) -> int:
        return int((self.labels == IGNORED).sum())


def check_thresholds(positive: float, negative: float) -> list[str]:
    """What is wrong with these IoU thresholds, in words; empty when nothing is."""
    if not 0 < positive <= 1:
        return [f"The positive IoU threshold must be above 0 and at most 1 (it is {positive:g})."]
    if not 0 <= negative <= positive:
        return [f"The negative IoU threshold ({negative:g}) must be from 0 to the positive one ({positive:g})."]
    return []


def match_anchors(anchors: torch.Tensor, boxes: torch.Tensor, *, positive: float = POSITIVE_IOU,
                  negative: float = NEGATIVE_IOU) -> Match:
    """Faster R-CNN's training labels for `anchors` ((N, 4) xyxy) against ground-truth `boxes` ((M, 4) xyxy):
    positive at IoU ≥ `positive` with some box, or as a box's best anchor (ties all count, IoU above 0);
    negative when every IoU is below `negative`; ignored otherwise."""
    problems = check_thresholds(positive, negative)
    if problems:
        raise ValueError(problems[0])
    anchors = torch.as_tensor(anchors, dtype=torch.float64).reshape(-1, 4)
    boxes = torch.as_tensor(boxes, dtype=torch.float64).reshape(-1, 4)
    n = len(anchors)
    if len(boxes) == 0:  # nothing to find: every anchor is background
        return Match(torch.zeros(n, dtype=torch.int64), torch.zeros(n, 0, dtype=torch.float64),
                     torch.full((n,), -1, dtype=torch.int64), torch.zeros(n, dtype=torch.float64),
                     torch.zeros(n, dtype=torch.bool))
    iou = box_iou(anchors, boxes).to(torch.float64)  # (N, M)
    best_iou, best_box = iou.max(dim=1)
    best_per_box = iou.max(dim=0).values  # (M,)
    best_of_box = ((iou == best_per_box[None, :]) & (best_per_box[None, :] > 0)).any(dim=1)
    labels = torch.full((n,), IGNORED, dtype=torch.int64)
    labels[best_iou < negative] = NEGATIVE
    labels[(best_iou >= positive) | best_of_box] = POSITIVE
    return Match(labels, iou, best_box, best_iou, best_of_box)


@dataclass(frozen=True)
class Location:
    """The anchors of one feature-map location and their part of a `Match`: `boxes` (A, 4) xyxy, `labels` (A,),
    `best_iou` (A,) and `best_box` (A,) (the ground-truth box each overlaps most, −1 with none)."""

    centre: tuple[float, float]
    boxes: torch.Tensor
    labels: torch.Tensor
    best_iou: torch.Tensor
    best_box: torch.Tensor


def at_location(match: Match, anchors: torch.Tensor, row: int, col: int, *, image_size: int, stride: int) -> Location:
    """The anchors of location (`row`, `col`) out of `all_anchors(image_size, stride, …)` and their `match`."""
    g = grid_size(image_size, stride)
    if not (0 <= row < g and 0 <= col < g):
        raise ValueError(f"location ({row}, {col}) is outside the {g}×{g} feature map")
    count = len(anchors) // (g * g)
    part = slice((row * g + col) * count, (row * g + col + 1) * count)
    return Location(location_centre(row, col, stride), anchors[part], match.labels[part], match.best_iou[part],
                    match.best_box[part])


def location_rows(location: Location, names: list[str], box_names: list[str]) -> list[dict]:
    """One table row per anchor of `location`: its name, width, height, best IoU, that box and its label."""
    words = {POSITIVE: "positive", NEGATIVE: "negative", IGNORED: "ignored"}
    rows = []
    for k, name in enumerate(names):
        x1, y1, x2, y2 = location.boxes[k].tolist()
        best = int(location.best_box[k])
        rows.append({"anchor (scale:ratio)": name, "width": x2 - x1, "height": y2 - y1,
                     "best IoU": float(location.best_iou[k]),
                     "with box": f"{best + 1}: {box_names[best]}" if best >= 0 else "none",
                     "label": words[int(location.labels[k])]})
    return rows
