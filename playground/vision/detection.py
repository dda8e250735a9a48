"""A small YOLO-style detector, trained on the generated scenes: the network, its loss term by term, and AP.

Redmon, Divvala, Girshick and Farhadi, "You Only Look Once: Unified, Real-Time Object Detection" (CVPR 2016).
The network (`detector_spec`, built with `playground.models.build` from ordinary spec layers) is a few
3×3 convolutions with batch norm and leaky ReLU, each followed by 2×2 max pooling, until the 64-pixel
picture is an S×S grid; a last 1×1 convolution gives B·5 + C numbers per cell.

What the raw numbers mean (`activate`): per box slot x, y = sigmoid (the centre's offset in the cell),
√w, √h = sigmoid (so w, h = their squares, fractions of the image), confidence = sigmoid; per cell the C
class probabilities = softmax. `to_output` arranges them as `playground.vision.yolo`'s (S, S, B·5 + C)
output (w, h themselves), so `yolo.decode` reads it.

The loss (`loss_terms`), summed over cells and averaged over pictures, term by term as in the paper:

- coord_xy = λ_coord Σ 1obj (x − x̂)² + (y − ŷ)²;
- coord_wh = λ_coord Σ 1obj (√w − √ŵ)² + (√h − √ĥ)²;
- object = Σ 1obj (confidence − 1)²;
- no_object = λ_noobj Σ 1noobj confidence²;
- classes = Σ over cells with an object of −Σ_c p̂(c) ln p(c), the cross-entropy of the cell's class
  probabilities. The paper uses the squared error here; cross-entropy learns the classes faster in
  the short runs of this page (measured: about twice the mAP after four epochs).

1obj marks the box slot that `yolo.encode` places each box in (the paper takes the slot whose
prediction has the highest IoU with the box; with one object per cell almost always, the encoder's
slot keeps the target fixed and the terms easy to check by hand). λ_coord = 5, λ_noobj = 0.5 (the
paper's). The confidence target is 1, as `yolo.encode` writes it (the paper's IoU of the predicted box
with the true one as target measured no better here: mAP@0.5 0.79, 0.74, 0.73 on seeds 0–2 against 0.74,
0.79, 0.74 at lr 0.005, batch 32).

The `"detector"` trainer runs this in the worker pool (start it with `job_arguments`): history rows
with each term, the total and the test mAP@0.5 every epoch, the current boxes on a few test scenes
(series "boxes"), and the weights. Everything is usable from a shell:
`DetectorTrainer(DetectorOptions(), scene_data(DetectorOptions())).train()`.
"""

from __future__ import annotations

import dataclasses
import math
import time

import torch

from playground.data import Dataset
from playground.jobs.train import CheckedSettings, Config, TrainingError, is_int, is_number, register_trainer
from playground.models import build
from playground.scenes import SCENE_CLASSES, make_scene_split
from playground.vision import boxes as bx
from playground.vision import yolo

__all__ = ["EPOCH_CHOICES", "above", "GRIDS", "LEARNING_RATES", "SCENE_COUNTS", "TERMS", "WIDTHS", "TERM_FORMULAS",
           "DetectorOptions",
           "DetectorTrainer", "Evaluation", "activate", "detections", "detector_spec", "flip_targets",
           "evaluate_outputs", "job_arguments", "job_model", "job_options", "live_producer", "loss_terms", "metrics",
           "predict", "scene_data", "set_confidence_prior", "shown_boxes", "test_truth", "to_output"]

SIZE = 64  # the scenes' side in pixels
GRIDS = (4, 8)
EPOCH_CHOICES = (1, 2, 4, 6, 8, 12, 16, 24)
LEARNING_RATES = (0.001, 0.003, 0.005, 0.01)
WIDTHS = (8, 16, 24, 32)
SCENE_COUNTS = (250, 500, 1000, 1500, 2000, 3000)
TERMS = ("coord_xy", "coord_wh", "object", "no_object", "classes")
TERM_FORMULAS = {
    "coord_xy": "λ_coord · Σ 1obj [(x − x̂)² + (y − ŷ)²]",
    "coord_wh": "λ_coord · Σ 1obj [(√w − √ŵ)² + (√h − √ĥ)²]",
    "object": "Σ 1obj (C − 1)²",
    "no_object": "λ_noobj · Σ 1noobj C²",
    "classes": "Σ cells with an object: −Σ_c p̂(c) · ln p(c)",
}
CONFIDENCE_PRIOR = 0.05  # each slot's confidence at the start (bias ≈ −2.9): most slots are empty
DECODE_THRESHOLD = 0.01  # raw detections: every slot scoring at least this (AP needs the low ones too)
_PAUSE_GAP_S = 0.1


@dataclasses.dataclass
class DetectorOptions(CheckedSettings):
    """Settings of the detector, its data and its training; JSON-able, the options of the "detector" trainer."""

    S: int = 4  # 4×4 cells of 16 pixels: one cell rarely holds two objects (2.6 % of boxes dropped, B = 2)
    B: int = 2
    width: int = 16  # channels of the first layer; doubled after each pooling, up to 4 × width
    epochs: int = 8
    lr: float = 0.005  # Adam, cosine-decayed to 0 over the run: the last epochs settle instead of jumping
    # Batches of 16: twice the updates in the same time (19.8 s of CPU against 19.9 s for batches of 32, one
    # thread, quiet machine). 2,000 scenes × 8 epochs, the confidence started at CONFIDENCE_PRIOR: test mAP@0.5
    # 0.776, 0.778, 0.756 on seeds 0, 1, 2 (0.780, 0.795 on 3, 4); at lr 0.003 0.782, 0.750, 0.768 (0.779,
    # 0.729); batches of 32 at 0.003 from a confidence of 0.5 gave 0.732, 0.732, 0.709 on these 200
    # scenes. 1,000 × 14 epochs (as many batches) reached only 0.66 and 0.64, and 3,000 × 5 no more than
    # 2,000 × 8: more scenes helps up to here, more passes do not.
    batch_size: int = 16
    train_scenes: int = 2000
    # 200, not 100: the same detector scored 0.70 on the first 100 test scenes and 0.77 on the next 100 (seed 4);
    # each epoch's evaluation costs about 0.2 s more.
    test_scenes: int = 200
    data_seed: int = 0  # which scenes; the run's own seed (weights, batches, flips) is the job's
    flip: bool = True  # mirror half of each batch left to right: twice the scenes for free
    lambda_coord: float = 5.0
    lambda_noobj: float = 0.5
    shown: int = 4  # test scenes whose boxes the live board shows

    what = "detector setting"

    def checks(self) -> list[tuple[bool, str, str]]:
        def whole(key, low, high):
            value = getattr(self, key)
            return (is_int(value) and low <= value <= high, key, f"must be a whole number from {low} to {high}")

        return [
            (self.S in GRIDS, "S", f"must be one of {', '.join(map(str, GRIDS))}"),
            whole("B", 1, 3), whole("width", 4, 64), whole("epochs", 1, 200), whole("batch_size", 1, 512),
            whole("train_scenes", 10, 5000), whole("test_scenes", 1, 1000), whole("data_seed", 0, 2**31 - 1),
            whole("shown", 0, 8),
            (is_number(self.lr) and 0 < self.lr <= 1, "lr", "must be above 0 and at most 1"),
            (isinstance(self.flip, bool), "flip", "must be true or false"),
            (is_number(self.lambda_coord) and 0 <= self.lambda_coord <= 100, "lambda_coord", "must be from 0 to 100"),
            (is_number(self.lambda_noobj) and 0 <= self.lambda_noobj <= 100, "lambda_noobj", "must be from 0 to 100"),
        ]


def detector_spec(options: DetectorOptions, *, num_classes: int = len(SCENE_CLASSES)) -> dict:
    """The network as a spec: [3×3 conv, batch norm, leaky ReLU, 2×2 max pool] until SIZE / S, one more
    conv block, then a 1×1 conv to B·5 + C channels: (3, 64, 64) in, (B·5 + C, S, S) out."""
    def block(channels):
        return [{"type": "conv2d", "out_channels": channels, "kernel_size": 3, "padding": 1, "bias": False},
                {"type": "batchnorm"}, {"type": "leaky_relu", "negative_slope": 0.1}]

    layers, channels = [], options.width // 2
    for _ in range(int(math.log2(SIZE // options.S))):
        layers += block(channels) + [{"type": "maxpool2d", "kernel_size": 2}]
        channels = min(channels * 2, 4 * options.width)
    layers += block(channels)
    layers.append({"type": "conv2d", "out_channels": options.B * 5 + num_classes, "kernel_size": 1})
    return {"input_shape": [3, SIZE, SIZE], "layers": layers}


def set_confidence_prior(model, B: int, prior: float = CONFIDENCE_PRIOR) -> None:
    """Start every slot's confidence at `prior` (its output bias = logit(prior)), as detectors commonly do:
    from 0.5, the no-object term of the many empty slots dominates the first updates."""
    last = model[-1]
    with torch.no_grad():
        last.bias[4: B * 5: 5] = math.log(prior / (1 - prior))


# ----------------------------------------------------------------------------------------------
# Output, loss and detections.


def activate(raw: torch.Tensor, B: int) -> tuple[torch.Tensor, ...]:
    """The network's raw (N, B·5 + C, S, S) as (xy (N, S, S, B, 2), √wh (N, S, S, B, 2), confidence
    (N, S, S, B), class probabilities (N, S, S, C)): sigmoids, and a softmax over the classes."""
    r = raw.permute(0, 2, 3, 1)
    slots = r[..., : B * 5].reshape(*r.shape[:3], B, 5)
    return (torch.sigmoid(slots[..., 0:2]), torch.sigmoid(slots[..., 2:4]), torch.sigmoid(slots[..., 4]),
            torch.softmax(r[..., B * 5:], dim=-1))


def to_output(raw: torch.Tensor, B: int) -> torch.Tensor:
    """(N, S, S, B·5 + C) in `yolo.encode`'s layout from the raw (N, B·5 + C, S, S): per slot x, y, w, h
    (√wh squared), confidence; then the class probabilities. `yolo.decode` reads each picture's."""
    xy, root_wh, confidence, classes = activate(raw, B)
    slots = torch.cat([xy, root_wh ** 2, confidence[..., None]], dim=-1)
    return torch.cat([slots.flatten(-2), classes], dim=-1)


def loss_terms(raw: torch.Tensor, target: torch.Tensor, *, B: int, lambda_coord: float = 5.0,
               lambda_noobj: float = 0.5) -> dict[str, torch.Tensor]:
    """The YOLO loss's five terms (see the module docstring), each summed over cells and averaged over
    the N pictures: raw (N, B·5 + C, S, S) from the network, target (N, S, S, B·5 + C) from
    `yolo.encode`. Scalars, keyed by TERMS; their sum is the loss."""
    xy, root_wh, confidence, classes = activate(raw, B)
    slots = target[..., : B * 5].reshape(*target.shape[:3], B, 5)
    responsible = slots[..., 4]  # (N, S, S, B): 1 in each box's slot
    has_object = responsible.amax(dim=-1)  # (N, S, S)
    n = raw.shape[0]
    wh = slots[..., 2:4].clamp(min=0).sqrt()
    return {
        "coord_xy": lambda_coord * (responsible[..., None] * (xy - slots[..., 0:2]) ** 2).sum() / n,
        "coord_wh": lambda_coord * (responsible[..., None] * (root_wh - wh) ** 2).sum() / n,
        "object": (responsible * (confidence - 1) ** 2).sum() / n,
        "no_object": lambda_noobj * ((1 - responsible) * confidence ** 2).sum() / n,
        "classes": -(has_object[..., None] * target[..., B * 5:] * torch.log(classes.clamp(min=1e-12))).sum() / n,
    }


def flip_targets(target: torch.Tensor, B: int) -> torch.Tensor:
    """The targets (N, S, S, B·5 + C) of the pictures mirrored left to right: columns reversed and each
    filled slot's x offset → 1 − x (a centre exactly on a cell edge stays the same box)."""
    out = target.flip(2).clone()
    for slot in range(B):
        filled = out[..., slot * 5 + 4] > 0
        out[..., slot * 5][filled] = 1 - out[..., slot * 5][filled]
    return out


def detections(output: torch.Tensor, *, S: int, B: int, C: int, threshold: float = DECODE_THRESHOLD,
               ) -> list[bx.Detections]:
    """The raw detections (no NMS) of each picture's (S, S, B·5 + C) output in `output` (N, …)."""
    found = []
    for one in output:
        boxes, scores, labels = yolo.decode(one, S=S, B=B, C=C, image_size=SIZE, threshold=threshold)
        found.append(bx.Detections(boxes, scores, labels))
    return found


@dataclasses.dataclass
class Evaluation:
    """A model on the test scenes: raw detections per scene, the PR curves (after NMS at 0.5) and mAP@0.5."""

    raw: list[bx.Detections]
    curves: list[bx.PRCurve]
    map50: float


# ----------------------------------------------------------------------------------------------
# Data and training.


def scene_data(options: DetectorOptions, *, name: str = "scenes") -> Dataset:
    """The generated scenes as a Dataset: images as x, `yolo.encode`'s targets (N, S, S, B·5 + C) as y;
    the first `train_scenes` of `data_seed` to train on, the next `test_scenes` to test. The test scenes'
    true boxes and labels travel in params ("test_boxes", "test_labels": lists), for AP."""
    train, test = make_scene_split(options.train_scenes, options.test_scenes, size=SIZE, seed=options.data_seed)

    def targets(scenes):
        return torch.stack([yolo.encode(b, lab, S=options.S, B=options.B, C=len(scenes.classes), image_size=SIZE)
                            for b, lab in zip(scenes.boxes, scenes.labels, strict=True)])

    params = {"S": options.S, "B": options.B, "train_scenes": options.train_scenes,
              "test_scenes": options.test_scenes, "data_seed": options.data_seed,
              "test_boxes": [b.tolist() for b in test.boxes], "test_labels": [lab.tolist() for lab in test.labels]}
    return Dataset(name=name, x_train=train.images, y_train=targets(train), x_test=test.images, y_test=targets(test),
                   input_shape=(3, SIZE, SIZE), classes=list(train.classes), task="detection", params=params,
                   seed=options.data_seed, description=f"{len(train)} + {len(test)} generated scenes, {SIZE}×{SIZE}")


def test_truth(dataset: Dataset) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The test scenes' true (boxes (k, 4), labels (k,)) per scene, from a `scene_data` Dataset's params."""
    return [(torch.tensor(b, dtype=torch.float32).reshape(-1, 4), torch.tensor(lab, dtype=torch.int64))
            for b, lab in zip(dataset.params["test_boxes"], dataset.params["test_labels"], strict=True)]


class DetectorTrainer:
    """A detector, its optimizer (Adam, cosine-decayed) and the scenes, ready to train batch by batch.

    Weights from torch's generator seeded with `seed`; batch order and flips from a generator of their
    own, so a seed repeats a run."""

    def __init__(self, options: DetectorOptions, dataset: Dataset, *, seed: int = 0, device: str = "cpu"):
        self.options = options.validate()
        self.device = torch.device(device)
        self.classes = list(dataset.classes)
        self.spec = detector_spec(options, num_classes=len(self.classes))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = build(self.spec).to(self.device)
        set_confidence_prior(self.model, options.B)
        self.x = dataset.x_train.to(self.device)
        self.y = dataset.y_train.to(self.device)
        self.y_flipped = flip_targets(self.y, options.B) if options.flip else None
        self.x_test = dataset.x_test.to(self.device)
        self.truth = test_truth(dataset)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=options.lr)
        self.batches_per_epoch = math.ceil(len(self.x) / options.batch_size)
        total = options.epochs * self.batches_per_epoch
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda k: 0.5 * (1 + math.cos(math.pi * min(k, total) / total)))
        self.random = torch.Generator().manual_seed(seed)
        self.epochs_done = 0

    def batches(self):
        """One epoch's batches in a random order: (images, targets), half of them mirrored when `flip`."""
        order = torch.randperm(len(self.x), generator=self.random)
        for start in range(0, len(order), self.options.batch_size):
            index = order[start: start + self.options.batch_size]
            x, y = self.x[index], self.y[index]
            if self.y_flipped is not None:
                mirror = (torch.rand(len(index), generator=self.random) < 0.5).to(self.device)
                x = torch.where(mirror[:, None, None, None], x.flip(-1), x)
                y = torch.where(mirror[:, None, None, None], self.y_flipped[index], y)
            yield x, y

    def step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """One update on a batch; returns its terms and "total" as floats."""
        self.model.train()
        terms = loss_terms(self.model(x), y, B=self.options.B, lambda_coord=self.options.lambda_coord,
                           lambda_noobj=self.options.lambda_noobj)
        total = sum(terms.values())
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.optimizer.step()
        self.schedule.step()
        values = {k: v.item() for k, v in terms.items()}
        values["total"] = sum(values.values())
        if not math.isfinite(values["total"]):
            raise TrainingError(f"The loss became {values['total']} in epoch {self.epochs_done + 1}, so training "
                                "stopped. Try a lower learning rate.")
        return values

    def epoch(self):
        """Train one epoch, yielding each batch's terms; then `epochs_done` counts it."""
        for x, y in self.batches():
            yield self.step(x, y)
        self.epochs_done += 1

    def train(self) -> DetectorTrainer:
        """Every remaining epoch at once (a shell's or a test's way)."""
        while self.epochs_done < self.options.epochs:
            for _ in self.epoch():
                pass
        return self

    @torch.no_grad()
    def outputs(self, images: torch.Tensor | None = None) -> torch.Tensor:
        """(N, S, S, B·5 + C) outputs (`to_output`) of the test scenes, or of `images`, in eval mode, on the CPU."""
        self.model.eval()
        x = self.x_test if images is None else images.to(self.device)
        return to_output(self.model(x), self.options.B).cpu()

    def evaluate(self, nms_threshold: float = 0.5) -> Evaluation:
        """The raw detections on the test scenes, and the PR curves and mAP@0.5 after NMS at `nms_threshold`."""
        return evaluate_outputs(self.outputs(), self.truth, options=self.options, classes=self.classes,
                                nms_threshold=nms_threshold)


@torch.no_grad()
def predict(model, images: torch.Tensor, *, options: DetectorOptions, num_classes: int) -> list[bx.Detections]:
    """A trained network's raw detections (no NMS, score ≥ DECODE_THRESHOLD) on `images` (N, 3, 64, 64)."""
    model.eval()
    outputs = to_output(model(images), options.B)
    return detections(outputs, S=options.S, B=options.B, C=num_classes)


def above(found: bx.Detections, score: float) -> bx.Detections:
    """The detections scoring at least `score`, in their order."""
    return found.take(torch.nonzero(found.scores >= score).flatten())


def evaluate_outputs(outputs: torch.Tensor, truth, *, options: DetectorOptions, classes,
                     nms_threshold: float = 0.5) -> Evaluation:
    """`Evaluation` of outputs (N, S, S, B·5 + C) against truth (per picture (boxes, labels))."""
    raw = detections(outputs, S=options.S, B=options.B, C=len(classes))
    curves = bx.precision_recall(bx.after_nms(raw, nms_threshold), truth, 0.5, num_classes=len(classes))
    return Evaluation(raw, curves, bx.mean_ap(curves))


# ----------------------------------------------------------------------------------------------
# The job.

SHOW_SCORE = 0.25  # boxes the board draws on the shown scenes: after NMS, scoring at least this
_NMS_SHOWN = 0.5


def shown_boxes(output: torch.Tensor, *, options: DetectorOptions, classes) -> list[dict]:
    """What the board draws on each picture of `output` (n, S, S, B·5 + C): the detections after NMS at 0.5
    that score at least SHOW_SCORE, as {"boxes", "scores", "labels"} lists."""
    kept = bx.after_nms(detections(output, S=options.S, B=options.B, C=len(classes), threshold=SHOW_SCORE),
                        _NMS_SHOWN)
    return [{"boxes": d.boxes.tolist(), "scores": d.scores.tolist(), "labels": d.labels.tolist()} for d in kept]


@register_trainer("detector")
def detector(ctx):
    """Train the detector (see the module docstring) epoch by epoch on the job's `scene_data`.

    History rows: epoch (0 untrained), each of TERMS and "total" (means over the epoch's batches; NaN at
    epoch 0), test_map (mAP@0.5 on the test scenes after NMS at 0.5), samples_per_s. Series "shown"
    (once): {"images": (n, 3, 64, 64) uint8, "boxes", "labels"} of the first `options.shown` test scenes;
    series "boxes": {"epoch", "scenes": `shown_boxes`} each epoch. Weights: the network, as a spec build.
    Yields "step" after each batch and "epoch" after each epoch, so Step, pause and stop work.
    """
    options = DetectorOptions.from_dict(ctx.options)
    trainer = DetectorTrainer(options, ctx.dataset, seed=ctx.config.seed, device=str(ctx.device))
    shown = slice(0, options.shown)
    truth = trainer.truth[shown]
    ctx.series("shown", {"images": (ctx.dataset.x_test[shown] * 255).round().to(torch.uint8),
                         "boxes": [b.tolist() for b, _ in truth], "labels": [lab.tolist() for _, lab in truth]})

    def measure(epoch: int, sums: dict | None, count: int, seconds: float) -> None:
        outputs = trainer.outputs()
        found = evaluate_outputs(outputs, trainer.truth, options=options, classes=trainer.classes)
        row = {k: (sums[k] / count if sums else None) for k in (*TERMS, "total")}
        ctx.report(epoch=epoch, **row, test_map=found.map50,
                   samples_per_s=(count and len(trainer.x) / seconds) or None)
        ctx.series("boxes", {"epoch": epoch, "scenes": shown_boxes(outputs[shown], options=options,
                                                                   classes=trainer.classes)})

    measure(0, None, 0, 0.0)
    ctx.progress(1, 0.0)
    ctx.publish(trainer.model, force=True)
    yield "step"
    for epoch in range(1, options.epochs + 1):
        sums, count, began, paused_for = dict.fromkeys((*TERMS, "total"), 0.0), 0, time.perf_counter(), 0.0
        for values in trainer.epoch():
            for k, v in values.items():
                sums[k] += v
            count += 1
            ctx.progress(epoch, count / trainer.batches_per_epoch)
            before = time.perf_counter()
            yield "step"
            gap = time.perf_counter() - before
            paused_for += gap if gap > _PAUSE_GAP_S else 0.0  # time spent paused is not training time
        measure(epoch, sums, count, max(time.perf_counter() - began - paused_for, 1e-9))
        ctx.publish(trainer.model, force=True)
        yield "epoch"


def job_arguments(options: DetectorOptions | None = None, *, seed: int = 0, dataset: Dataset | None = None,
                  device: str = "cpu") -> dict:
    """What `train.start` (or a page's `start_job`) needs to train the detector in the pool: the spec, the
    scenes (`scene_data`, made here unless given), the config and the options. ConfigError for a bad setting."""
    options = (options or DetectorOptions()).validate()
    dataset = dataset if dataset is not None else scene_data(options)
    # A network this small trains faster on one CPU thread than it can be fed to a GPU in batches of 32.
    config = Config(epochs=options.epochs, batch_size=options.batch_size, lr=options.lr, seed=seed, device=device)
    return {"spec": detector_spec(options, num_classes=len(dataset.classes)), "dataset": dataset, "config": config,
            "trainer": "detector", "options": options.to_dict()}


def job_options(job) -> DetectorOptions:
    """The options a "detector" job trains with."""
    return DetectorOptions.from_dict(job.options)


def job_model(job):
    """The job's network as it last published it (CPU, eval mode); None before any weights."""
    model = job.model()
    return model.eval() if model is not None else None


def live_producer(job):
    """A feed's producer for a "detector" job: status, numbers, the loss terms' and mAP's curves, and the
    current boxes on the shown test scenes, computed again only when new rows arrived."""
    from playground.figures.vision.detection import boxes_scene, map_series, term_series
    from playground.jobs import live

    def produce(job) -> dict:
        view = {**live.job_view(job)}
        history = job.history_since(0)
        view["metrics"] = metrics(history)
        view["charts"] = {"terms": {"series": term_series(history)}, "map": {"series": map_series(history)}}
        shown, found = job.series("shown"), job.series("boxes")
        if shown and found:
            classes = list(SCENE_CLASSES)
            view["scenes"] = {f"scene{k}": boxes_scene(shown[0]["images"][k], found[-1]["scenes"][k],
                                                       shown[0]["boxes"][k], shown[0]["labels"][k], classes)
                              for k in range(len(found[-1]["scenes"]))}
        return view

    return live.Cached(job, produce, mark=lambda j: (j.rows, len(j.series("boxes"))))


def metrics(history) -> dict[str, str]:
    """The page's numbers as text: {"Epoch", "Test mAP@0.5", "Loss"} from a "detector" job's history."""
    if not len(history):
        return {"Epoch": "0", "Test mAP@0.5": "–", "Loss": "–"}
    last = history.iloc[-1]
    total = float(last.get("total", math.nan))
    return {"Epoch": f"{int(last['epoch'])}", "Test mAP@0.5": f"{float(last['test_map']):.2f}",
            "Loss": f"{total:.2f}" if math.isfinite(total) else "–"}
