"""The YOLO v1 output, number by number: an S×S grid of cells, each predicting B boxes and C class probabilities.

Redmon, Divvala, Girshick and Farhadi, "You Only Look Once: Unified, Real-Time Object Detection" (CVPR 2016).
The network's last layer gives S·S·(B·5 + C) numbers, read as an (S, S, B·5 + C) tensor. In each cell the
first B·5 numbers are B boxes, each (x, y, w, h, confidence), and the last C are the class probabilities
P(class | object), shared by the cell's boxes. The paper's S = 7, B = 2, C = 20 (PASCAL VOC) give 7×7×30 = 1,470.

Conventions (the paper's, except where said):

- the cell that contains a box's centre is *responsible* for it;
- x, y: the centre's offset inside that cell, in cell widths, in [0, 1);
- w, h: the box's width and height as fractions of the whole image. YOLO v1's network predicts √w and √h
  instead (so that the same error costs more on a small box than on a large one); this module stores w and h
  themselves, so that every number reads directly as a size;
- confidence: 1 in the responsible box slot (the paper's target is the IoU of the prediction with the box,
  which for a perfect prediction is 1), 0 elsewhere; the class probabilities are one-hot;
- a cell holds at most B boxes, all of one class (a cell has one set of class probabilities): boxes are placed
  in the order given; a box whose centre falls in a cell that already has another class, or whose B slots
  are full, is dropped (`assign` says which).

Decoding multiplies, as the paper does at test time, each box's confidence by the cell's class probabilities:
the box's score for a class is confidence × P(class | object).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

SEED_S, SEED_B, SEED_C = 7, 2, 20  # the paper's PASCAL VOC setting: 7×7×30
BOX_FIELDS = ("x", "y", "w", "h", "confidence")


def output_size(S: int, B: int, C: int) -> int:
    """How many numbers YOLO's last layer outputs: S·S·(B·5 + C) (1,470 for the paper's 7, 2, 20)."""
    return S * S * cell_length(B, C)


def cell_length(B: int, C: int) -> int:
    """How many numbers one cell holds: B·5 + C."""
    return B * len(BOX_FIELDS) + C


def cell_layout(B: int, C: int, class_names: list[str] | None = None) -> list[str]:
    """The names of one cell's B·5 + C numbers, in order: "box 1 x", …, "box 1 confidence", "box 2 x", …,
    then "P(<class>)" for each class (`class_names`, else "class 1", "class 2", …)."""
    names = class_names if class_names is not None else [f"class {k + 1}" for k in range(C)]
    if len(names) != C:
        raise ValueError(f"{len(names)} class names for C = {C} classes")
    return [f"box {b + 1} {field}" for b in range(B) for field in BOX_FIELDS] + [f"P({name})" for name in names]


def class_names_for(C: int, names: list[str]) -> list[str]:
    """C class names: `names` first, then "class k" for the rest (a C larger than the data's classes)."""
    names = list(names)[:C]
    return names + [f"class {k + 1}" for k in range(len(names), C)]


def check_grid(S: int, B: int, C: int, *, image_size: int, num_classes: int | None = None) -> list[str]:
    """What is wrong with this S, B, C for images of `image_size` pixels whose labels go up to
    `num_classes` − 1, in words; empty when nothing is."""
    problems = []
    for name, value in (("S", S), ("B", B), ("C", C)):
        if int(value) != value or value < 1:
            problems.append(f"{name} must be a whole number of at least 1 (it is {value}).")
    if not problems and S > image_size:
        problems.append(f"S = {S} cells across a {image_size}-pixel image would make cells under one pixel wide.")
    if not problems and num_classes is not None and C < num_classes:
        problems.append(f"C = {C} class probabilities cannot name the scenes' {num_classes} classes: "
                        f"C must be at least {num_classes}.")
    return problems


@dataclass(frozen=True)
class Assignment:
    """Which cell and box slot holds each ground-truth box.

    `cells[i]` is (row, column, slot) for box i, or None when box i was dropped (its cell held another
    class, or its B slots were full); `dropped` lists those boxes' indices.
    """

    cells: list[tuple[int, int, int] | None]

    @property
    def dropped(self) -> list[int]:
        return [i for i, cell in enumerate(self.cells) if cell is None]


def cell_at(x: float, y: float, *, S: int, image_size: int) -> tuple[int, int]:
    """(row, column) of the cell holding the point (x, y) in pixels; a point on the image's right or bottom
    edge (or past it) belongs to the last cell."""
    cell = image_size / S
    return min(max(int(float(y) // cell), 0), S - 1), min(max(int(float(x) // cell), 0), S - 1)


def responsible_cell(box, *, S: int, image_size: int) -> tuple[int, int]:
    """(row, column) of the cell containing the centre of `box` (x1, y1, x2, y2 in pixels)."""
    return cell_at((float(box[0]) + float(box[2])) / 2, (float(box[1]) + float(box[3])) / 2, S=S,
                   image_size=image_size)


def assign(boxes: torch.Tensor, labels: torch.Tensor, *, S: int, B: int, image_size: int) -> Assignment:
    """Place each box (rows of `boxes`, (k, 4) xyxy pixels; `labels` (k,)) in its responsible cell's next free
    slot, in the order given (see the module's rules for shared cells)."""
    taken: dict[tuple[int, int], tuple[int, int]] = {}  # (row, col) -> (class, slots used)
    cells: list[tuple[int, int, int] | None] = []
    for box, label in zip(boxes.tolist(), labels.tolist(), strict=True):
        row, col = responsible_cell(box, S=S, image_size=image_size)
        klass, used = taken.get((row, col), (label, 0))
        if klass != label or used >= B:
            cells.append(None)
            continue
        taken[(row, col)] = (klass, used + 1)
        cells.append((row, col, used))
    return Assignment(cells)


def encode(boxes: torch.Tensor, labels: torch.Tensor, *, S: int, B: int, C: int, image_size: int) -> torch.Tensor:
    """The (S, S, B·5 + C) target a perfect YOLO outputs for these boxes ((k, 4) xyxy pixels) and labels ((k,)
    ints below C): in each box's responsible cell and slot, x, y (offset in the cell), w, h (fractions of the
    image), confidence 1, and the class one-hot. Empty cells and slots are all zeros. float32."""
    problems = check_grid(S, B, C, image_size=image_size)
    if problems:
        raise ValueError(" ".join(problems))
    boxes = torch.as_tensor(boxes, dtype=torch.float64).reshape(-1, 4)
    labels = torch.as_tensor(labels, dtype=torch.int64).reshape(-1)
    if len(labels) != len(boxes):
        raise ValueError(f"{len(boxes)} boxes but {len(labels)} labels")
    if len(labels) and (labels.min() < 0 or labels.max() >= C):
        raise ValueError(f"labels must be from 0 to C − 1 = {C - 1}; got {labels.tolist()}")
    out = torch.zeros(S, S, cell_length(B, C), dtype=torch.float64)
    cell = image_size / S
    for box, label, place in zip(boxes, labels.tolist(), assign(boxes, labels, S=S, B=B, image_size=image_size).cells,
                                 strict=True):
        if place is None:
            continue
        row, col, slot = place
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        values = [cx / cell - col, cy / cell - row, (box[2] - box[0]) / image_size, (box[3] - box[1]) / image_size, 1.0]
        out[row, col, slot * 5: slot * 5 + 5] = torch.tensor(values, dtype=torch.float64)
        out[row, col, B * 5 + label] = 1.0
    return out.float()


@dataclass(frozen=True)
class CellBox:
    """How one cell's (x, y, w, h) become a box on the image, step by step, in pixels."""

    row: int
    col: int
    cell_size: float  # image_size / S
    origin: tuple[float, float]  # the cell's top-left corner: (col · cell, row · cell)
    centre: tuple[float, float]  # origin + (x, y) · cell
    size: tuple[float, float]  # (w, h) · image_size
    corners: tuple[float, float, float, float]  # centre ∓ size / 2: x1, y1, x2, y2


def cell_box(x: float, y: float, w: float, h: float, *, row: int, col: int, S: int, image_size: int) -> CellBox:
    """The arithmetic from one box slot's (x, y, w, h) in cell (`row`, `col`) to its corners on the image."""
    cell = image_size / S
    ox, oy = col * cell, row * cell
    cx, cy = ox + x * cell, oy + y * cell
    wp, hp = w * image_size, h * image_size
    return CellBox(row, col, cell, (ox, oy), (cx, cy), (wp, hp), (cx - wp / 2, cy - hp / 2, cx + wp / 2, cy + hp / 2))


def explain_cell_box(x: float, y: float, w: float, h: float, steps: CellBox, *, image_size: int) -> list[str]:
    """The arithmetic of `cell_box`, one line a step, with its numbers (pixels, two decimals)."""
    (ox, oy), (cx, cy), (wp, hp), (x1, y1, x2, y2) = steps.origin, steps.centre, steps.size, steps.corners
    c = steps.cell_size
    return [
        f"cell size = image / S = {c:.2f} px; the cell's corner = (column·cell, row·cell) = "
        f"({steps.col}·{c:.2f}, {steps.row}·{c:.2f}) = ({ox:.2f}, {oy:.2f})",
        f"centre = corner + (x, y)·cell = ({ox:.2f} + {x:.2f}·{c:.2f}, {oy:.2f} + {y:.2f}·{c:.2f}) "
        f"= ({cx:.2f}, {cy:.2f})",
        f"size = (w, h)·image = ({w:.3f}·{image_size}, {h:.3f}·{image_size}) = ({wp:.2f}, {hp:.2f})",
        f"corners = centre ∓ size/2: ({x1:.2f}, {y1:.2f}) to ({x2:.2f}, {y2:.2f})",
    ]


@dataclass(frozen=True)
class SlotBox:
    """One box slot of a cell: its slot (from 0), its five numbers, and how they make a box (`steps`)."""

    slot: int
    x: float
    y: float
    w: float
    h: float
    confidence: float
    steps: CellBox


def cell_boxes(output: torch.Tensor, row: int, col: int, *, S: int, B: int, image_size: int) -> list[SlotBox]:
    """The box slots of cell (`row`, `col`) of an (S, S, B·5 + C) output whose confidence is above 0."""
    found = []
    for slot in range(B):
        x, y, w, h, confidence = output[row, col, slot * 5: slot * 5 + 5].tolist()
        if confidence > 0:
            found.append(SlotBox(slot, x, y, w, h, confidence,
                                 cell_box(x, y, w, h, row=row, col=col, S=S, image_size=image_size)))
    return found


def cell_class(output: torch.Tensor, row: int, col: int, *, B: int) -> tuple[int, float]:
    """The most likely class of cell (`row`, `col`) and its probability P(class | object)."""
    probability, index = output[row, col, B * 5:].max(dim=0)
    return int(index), float(probability)


def decode(output: torch.Tensor, *, S: int, B: int, C: int, image_size: int,
           threshold: float = 0.5) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The boxes an (S, S, B·5 + C) output says: every box slot whose score, confidence × the cell's largest
    class probability, is at least `threshold` (in (0, 1]).

    Returns boxes ((n, 4) xyxy pixels, float32), scores ((n,)) and labels ((n,) int64, the cell's most likely
    class), in cell order (row by row, then slot). No non-maximum suppression: that is a separate step.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"the threshold must be above 0 and at most 1 (it is {threshold})")
    output = torch.as_tensor(output, dtype=torch.float64)
    if tuple(output.shape) != (S, S, cell_length(B, C)):
        raise ValueError(f"expected an output of shape ({S}, {S}, {cell_length(B, C)}), got {tuple(output.shape)}")
    probability, label = output[..., B * 5:].max(dim=-1)  # (S, S): the cell's class
    boxes, scores, labels = [], [], []
    for row in range(S):
        for col in range(S):
            for slot in range(B):
                x, y, w, h, confidence = output[row, col, slot * 5: slot * 5 + 5].tolist()
                score = confidence * float(probability[row, col])
                if score >= threshold:
                    boxes.append(cell_box(x, y, w, h, row=row, col=col, S=S, image_size=image_size).corners)
                    scores.append(score)
                    labels.append(int(label[row, col]))
    return (torch.tensor(boxes, dtype=torch.float64).reshape(-1, 4).float(), torch.tensor(scores).float(),
            torch.tensor(labels, dtype=torch.int64))


_MEANING = {"x": "centre's offset across the cell (cell widths)", "y": "centre's offset down the cell (cell heights)",
            "w": "width ÷ image width", "h": "height ÷ image height",
            "confidence": "P(object) × IoU with the object: 1 if this slot holds a box"}


def cell_rows(output: torch.Tensor, row: int, col: int, *, B: int, C: int,
              class_names: list[str] | None = None) -> list[dict]:
    """One cell's B·5 + C numbers of an (S, S, B·5 + C) output as table rows: index (from 1), name (see
    `cell_layout`), value and what it means."""
    names = cell_layout(B, C, class_names)
    meanings = [_MEANING[field] for _ in range(B) for field in BOX_FIELDS]
    meanings += ["P(this class | an object's centre is in the cell)"] * C
    return [{"#": k + 1, "number": name, "value": value, "meaning": meaning}
            for k, (name, value, meaning) in enumerate(zip(names, output[row, col].tolist(), meanings, strict=True))]
