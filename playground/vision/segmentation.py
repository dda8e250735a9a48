"""Semantic segmentation: a small fully convolutional network that gives every pixel a class.

The network (`SegmentationNet`, after Long, Shelhamer & Darrell, "Fully Convolutional Networks for
Semantic Segmentation", 2015, and Ronneberger et al.'s U-Net, 2015) has an encoder of 3×3
convolutions and 2×2 max pooling (48 → 24 → 12 → 6 pixels a side at the default size), a decoder that
upsamples back with transposed convolutions (kernel 2, stride 2: 6 → 12 → 24 → 48), and a 1×1
convolution that turns each pixel's features into 5 class scores (background and the four shapes of
`playground.scenes`). With `skips`, each decoder stage also reads the encoder's feature map of the same
resolution (concatenated), so the fine detail that pooling threw away comes back: the borders get sharp.

Measures: pixel accuracy (the share of pixels given their true class), IoU per class (the pixels
both predicted and true over those either predicted or true), and mean IoU over the classes that
occur in the prediction or the truth somewhere in the whole test set (a class absent from both has
no IoU: 0/0, left out of the mean, as in Pascal VOC's evaluation). Pixel accuracy misleads: the
background is about 90 % of the pixels, so always answering "background" (`background_baseline`)
scores about 0.9 pixel accuracy but a mean IoU of about 0.18.

The sliding-window alternative: a classifier that looks at a patch around one pixel and names its
class needs one forward pass per pixel (H·W: 4,096 for 64×64); the FCN labels all pixels in one
pass, sharing the work of overlapping patches (`sliding_window_cost`). Multiply-adds are counted
from the layer shapes (`count_multiply_adds`).

The `"segmenter"` trainer runs training in the worker pool (start it with `job_arguments`):
history rows each epoch (train_loss: the pixel cross-entropy; val_acc: test pixel accuracy;
miou: test mean IoU), the series "masks" (the predicted masks of the first `SHOWN` test scenes,
as bytes, at epoch 0 and after each epoch), weights of a `SegmentationNet` (read them with
`job_model`). From a shell: `SegmentationTrainer(options, train, test).epoch()`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.checkpoints import state_from_bytes
from playground.data import Dataset
from playground.jobs.train import CheckedSettings, Config, TrainingError, is_int, is_number, register_trainer
from playground.scenes import SCENE_CLASSES, Scenes, make_scene_split

_PAUSE_GAP_S = 0.1  # a longer wait at a step's yield means the job was paused

__all__ = ["CLASS_NAMES", "EPOCHS", "LEARNING_RATES", "SCENE_COUNTS", "SHOWN", "WIDTHS", "PatchClassifier",
           "SegmentationNet", "SegmentationOptions", "SegmentationTrainer", "Scores", "background_baseline",
           "confusion", "count_multiply_adds", "job_arguments", "job_baseline", "job_masks", "job_model",
           "live_producer", "predict", "score_metrics", "scene_data", "scene_dataset", "scores", "sliding_window_cost"]

CLASS_NAMES: tuple[str, ...] = ("background", *SCENE_CLASSES)  # mask value k is CLASS_NAMES[k]
WIDTHS = (4, 8, 12, 16)
EPOCHS = (2, 6, 10, 16, 20, 30)
SCENE_COUNTS = (100, 200, 300, 500, 800)
LEARNING_RATES = (0.002, 0.005, 0.01, 0.02)
N_TEST = 100  # test scenes: enough for a steady mIoU, quick to score after every epoch
SHOWN = 4  # test scenes whose predicted masks the board shows
SCENE_SEED = 0  # the scenes are the same for every run; the run's seed draws the weights and batch order
PATCH = 32  # the sliding-window classifier's patch side: the largest object (27 px at 64) fits in it


# ----------------------------------------------------------------------------------------------
# Settings and the network.


@dataclasses.dataclass
class SegmentationOptions(CheckedSettings):
    """Settings of a segmentation network and its training; JSON-able, the options of the "segmenter" trainer."""

    width: int = 8  # channels at full size (then 2×, 4×, 8× as the maps shrink)
    skips: bool = True
    # 16 epochs at 0.01: test mIoU 0.77-0.81 on seeds 0-4, about 17 s of one core. At 14 epochs and 0.005
    # seeds 1 and 2 stopped at 0.72-0.73; at 0.008 one seed in three left the triangles half learned.
    epochs: int = 16
    lr: float = 0.01  # Adam's starting rate; it falls to 0 along a cosine over the run
    n_train: int = 500  # training scenes; more scenes beat more epochs of fewer at the same cost
    n_test: int = N_TEST
    size: int = 48  # pixels a side: 64 learns as well but takes 1.8× as long a run
    batch_size: int = 8
    # The loss's weight on background pixels (the shapes' weight is 1): background is 90 % of the pixels,
    # and at full weight the network spends many epochs learning "everything is background" first.
    background_weight: float = 0.2

    what = "segmentation setting"

    def checks(self) -> list[tuple[bool, str, str]]:
        def whole(key, low, high):
            value = getattr(self, key)
            return (is_int(value) and low <= value <= high, key, f"must be a whole number from {low} to {high}")

        return [
            whole("width", 1, 64), (isinstance(self.skips, bool), "skips", "must be true or false"),
            whole("epochs", 1, 200), whole("n_train", 1, 5000), whole("n_test", SHOWN, 1000),
            whole("batch_size", 1, 256),
            (is_int(self.size) and 32 <= self.size <= 128 and self.size % 8 == 0, "size",
             "must be a multiple of 8 from 32 to 128 (three poolings halve it three times)"),
            (is_number(self.lr) and 0 < self.lr <= 1, "lr", "must be above 0 and at most 1"),
            (is_number(self.background_weight) and 0 < self.background_weight <= 1, "background_weight",
             "must be above 0 and at most 1"),
        ]


def _conv(c_in: int, c_out: int) -> nn.Sequential:
    """3×3 convolution (size kept), batch normalization, ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU())


class SegmentationNet(nn.Module):
    """Encoder: conv at full size, then (pool, conv) three times, down to an eighth of the size. Decoder:
    three transposed convolutions (kernel 2, stride 2) back up to full size, each followed by a conv
    (the last by the 1×1 conv to the 5 class scores).

    `forward(x (B, 3, H, W))` returns class scores (B, 5, H, W), H and W multiples of 8. Channels: w at full
    size, 2w at half, 4w below. With `skips` each decoder stage concatenates the encoder's map of its size
    to its upsampled input (a U-Net's skip connections)."""

    def __init__(self, width: int = 8, *, skips: bool = True, classes: int = len(CLASS_NAMES)):
        super().__init__()
        w, k = width, 2 if skips else 1  # k: a decoder stage reads twice the channels when it concatenates
        self.skips = skips
        self.enc1, self.enc2, self.enc3, self.middle = _conv(3, w), _conv(w, 2 * w), _conv(2 * w, 4 * w), \
            _conv(4 * w, 8 * w)
        self.pool = nn.MaxPool2d(2)
        self.up3 = nn.ConvTranspose2d(8 * w, 4 * w, 2, stride=2)  # 1/8 → 1/4 size
        self.dec3 = _conv(k * 4 * w, 2 * w)
        self.up2 = nn.ConvTranspose2d(2 * w, 2 * w, 2, stride=2)  # 1/4 → 1/2
        self.dec2 = _conv(k * 2 * w, w)
        self.up1 = nn.ConvTranspose2d(w, w, 2, stride=2)  # 1/2 → full size
        self.head = nn.Conv2d(k * w, classes, 1)

    @classmethod
    def from_options(cls, options: SegmentationOptions) -> SegmentationNet:
        return cls(options.width, skips=options.skips)

    @classmethod
    def from_weights(cls, options: SegmentationOptions, weights: bytes) -> SegmentationNet:
        """The network a job published (`job.weights`), on the CPU, in eval mode."""
        model = cls.from_options(options)
        model.load_state_dict(state_from_bytes(weights))
        return model.eval()

    def _merge(self, up: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = F.relu(up)
        return torch.cat([up, skip], 1) if self.skips else up

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Each picture minus its mean colour: the objects' colours are random, what matters is how they
        # differ from the background (most of the picture), and the network no longer has to learn that.
        e1 = self.enc1(x - x.mean((2, 3), keepdim=True))  # (B, w, H, W)
        e2 = self.enc2(self.pool(e1))  # (B, 2w, H/2, W/2)
        e3 = self.enc3(self.pool(e2))  # (B, 4w, H/4, W/4)
        m = self.middle(self.pool(e3))  # (B, 8w, H/8, W/8)
        d3 = self.dec3(self._merge(self.up3(m), e3))  # (B, 2w, H/4, W/4)
        d2 = self.dec2(self._merge(self.up2(d3), e2))  # (B, w, H/2, W/2)
        return self.head(self._merge(self.up1(d2), e1))  # (B, 5, H, W)


class PatchClassifier(nn.Module):
    """The sliding-window alternative: the same encoder on one patch, averaged over the patch, then a linear
    layer to the class of the patch's centre pixel. `forward(x (B, 3, P, P))` → scores (B, 5)."""

    def __init__(self, width: int = 16, *, classes: int = len(CLASS_NAMES)):
        super().__init__()
        w = width
        self.features = nn.Sequential(_conv(3, w), nn.MaxPool2d(2), _conv(w, 2 * w), nn.MaxPool2d(2),
                                      _conv(2 * w, 4 * w), nn.MaxPool2d(2), _conv(4 * w, 8 * w),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(8 * w, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def count_multiply_adds(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-adds of one forward pass of `model` on one input of `input_shape` (C, H, W), counted from
    the shapes of its convolutions, transposed convolutions and linear layers (biases, activations and
    pooling are left out: they are a few percent).

    Conv2d: each output number takes (C_in / groups) · kh · kw multiply-adds. ConvTranspose2d: each input
    number is multiplied by a (C_out / groups) · kh · kw block of the kernel. Linear: in × out."""
    total = 0

    def count(layer, inputs, output):
        nonlocal total
        if isinstance(layer, nn.ConvTranspose2d):
            kh, kw = layer.kernel_size
            total += inputs[0][0].numel() * layer.out_channels // layer.groups * kh * kw
        elif isinstance(layer, nn.Conv2d):
            kh, kw = layer.kernel_size
            total += output[0].numel() * layer.in_channels // layer.groups * kh * kw
        elif isinstance(layer, nn.Linear):
            total += output[0].numel() * layer.in_features

    hooks = [m.register_forward_hook(count) for m in model.modules()
             if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        for hook in hooks:
            hook.remove()
    return int(total)


def sliding_window_cost(width: int = 16, *, size: int = 64, patch: int = PATCH, skips: bool = True) -> dict:
    """What labelling one size×size picture costs: the FCN in one forward pass, against a patch classifier
    (`PatchClassifier` on a patch×patch window round each pixel) in one pass per pixel.

    Returns {"fcn_passes": 1, "fcn_multiply_adds", "window_passes": size², "window_multiply_adds" (all the
    passes together), "patch_multiply_adds" (one pass), "ratio" (window / fcn multiply-adds)}."""
    fcn = count_multiply_adds(SegmentationNet(width, skips=skips), (3, size, size))
    one = count_multiply_adds(PatchClassifier(width), (3, patch, patch))
    passes = size * size
    return {"fcn_passes": 1, "fcn_multiply_adds": fcn, "window_passes": passes, "patch_multiply_adds": one,
            "window_multiply_adds": passes * one, "ratio": passes * one / fcn}


# ----------------------------------------------------------------------------------------------
# Measures.


def confusion(predicted, truth, classes: int = len(CLASS_NAMES)) -> np.ndarray:
    """The confusion matrix (classes, classes) int64: [t, p] counts pixels of true class t predicted as p.
    `predicted`, `truth`: int arrays or tensors of one shape; truth values outside 0..classes-1 (VOC's
    void) are not counted."""
    p = np.asarray(predicted, dtype=np.int64).ravel()
    t = np.asarray(truth, dtype=np.int64).ravel()
    keep = (t >= 0) & (t < classes)
    return np.bincount(t[keep] * classes + p[keep], minlength=classes * classes).reshape(classes, classes)


@dataclasses.dataclass
class Scores:
    """Pixel accuracy, IoU per class (NaN for a class absent from both prediction and truth) and their mean
    over the classes that have one."""

    pixel_accuracy: float
    iou: np.ndarray  # (classes,) float64
    miou: float

    @classmethod
    def from_confusion(cls, matrix: np.ndarray) -> Scores:
        matrix = np.asarray(matrix, dtype=np.float64)
        both = np.diag(matrix)
        either = matrix.sum(0) + matrix.sum(1) - both  # predicted or true
        with np.errstate(invalid="ignore", divide="ignore"):
            iou = np.where(either > 0, both / either, np.nan)
        present = ~np.isnan(iou)
        return cls(pixel_accuracy=float(both.sum() / max(matrix.sum(), 1)), iou=iou,
                   miou=float(iou[present].mean()) if present.any() else float("nan"))


def scores(predicted, truth, classes: int = len(CLASS_NAMES)) -> Scores:
    """Pixel accuracy, per-class IoU and mIoU of predicted masks against true ones (any shape, counted over all)."""
    return Scores.from_confusion(confusion(predicted, truth, classes))


def background_baseline(truth, classes: int = len(CLASS_NAMES)) -> Scores:
    """The scores of a constant prediction of background (class 0) for every pixel: high pixel accuracy
    (the share of background), a low mIoU (background's IoU is that share; every shape's IoU is 0)."""
    truth = np.asarray(truth)
    return scores(np.zeros_like(truth), truth, classes)


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, *, batch: int = 64) -> torch.Tensor:
    """The class of each pixel (N, H, W) int64 for images (N, 3, H, W): the highest score."""
    model.eval()
    device = next(model.parameters()).device
    parts = [model(images[i:i + batch].to(device)).argmax(1).cpu() for i in range(0, len(images), batch)]
    return torch.cat(parts)


# ----------------------------------------------------------------------------------------------
# Data and training.


@functools.lru_cache(maxsize=4)
def scene_data(n_train: int, n_test: int = N_TEST, size: int = 64) -> tuple[Scenes, Scenes]:
    """(train, test) generated scenes, the same for every run (seed `SCENE_SEED`); made once per process."""
    return make_scene_split(n_train, n_test, size=size, seed=SCENE_SEED)


def scene_dataset(options: SegmentationOptions) -> Dataset:
    """The scenes of `options` as a Dataset: x_* the pictures (N, 3, S, S), y_* the masks (N, S, S) int64."""
    train, test = scene_data(options.n_train, options.n_test, options.size)
    return Dataset(name="scenes", x_train=train.images, y_train=train.masks, x_test=test.images, y_test=test.masks,
                   input_shape=(3, options.size, options.size), classes=list(CLASS_NAMES), task="classification",
                   params={"n_train": options.n_train, "n_test": options.n_test, "size": options.size},
                   seed=SCENE_SEED, description=f"{options.n_train} + {options.n_test} generated scenes")


class SegmentationTrainer:
    """A network, its optimizer (Adam) and the scenes, ready to train epoch by epoch.

    Weights come from torch's generator seeded with `seed`, batch order from a generator of its own, so a
    seed repeats a run. `x_*` (N, 3, S, S) float, `y_*` (N, S, S) int64 masks."""

    def __init__(self, options: SegmentationOptions, x_train, y_train, x_test, y_test, *, seed: int = 0,
                 device: torch.device | str = "cpu"):
        self.options = options.validate()
        self.device = torch.device(device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = SegmentationNet.from_options(options).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=options.lr)
        steps = options.epochs * math.ceil(len(x_train) / options.batch_size)
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, steps)
        self.weight = torch.tensor([options.background_weight] + [1.0] * (len(CLASS_NAMES) - 1), device=self.device)
        self.x_train, self.y_train = x_train.to(self.device), y_train.to(self.device)
        self.x_test, self.y_test = x_test, y_test
        self.random = torch.Generator().manual_seed(seed)
        self.epochs_done = 0

    def batches(self):
        """The index tensors of one epoch's batches, in a fresh random order."""
        order = torch.randperm(len(self.x_train), generator=self.random)
        return order.split(self.options.batch_size)

    def step(self, index: torch.Tensor) -> float:
        """One Adam update on the scenes at `index`; returns the pixel cross-entropy (background pixels
        weighted by `background_weight`, a weighted mean)."""
        self.model.train()
        index = index.to(self.device)
        loss = F.cross_entropy(self.model(self.x_train[index]), self.y_train[index], weight=self.weight)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.schedule.step()
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingError(f"The loss became {value} in epoch {self.epochs_done + 1}, so training stopped. "
                                "Try a lower learning rate.")
        return value

    def epoch(self) -> float:
        """One pass over the training scenes; returns the mean of its batches' losses."""
        losses = [self.step(index) for index in self.batches()]
        self.epochs_done += 1
        return float(np.mean(losses))

    def evaluate(self) -> tuple[Scores, torch.Tensor]:
        """The test scores and the predicted test masks (N, S, S)."""
        predicted = predict(self.model, self.x_test)
        return scores(predicted, self.y_test), predicted


def _mask_bytes(masks: torch.Tensor) -> list[bytes]:
    return [m.to(torch.uint8).numpy().tobytes() for m in masks]


def job_masks(job) -> list[dict]:
    """The series "masks" of a "segmenter" job, decoded: [{"epoch", "masks": (SHOWN, S, S) uint8}, …]."""
    size = SegmentationOptions.from_dict(job.options).size
    return [{"epoch": m["epoch"], "masks": np.stack([np.frombuffer(b, np.uint8).reshape(size, size)
                                                     for b in m["masks"]])}
            for m in job.series("masks")]


def job_arguments(options: SegmentationOptions | None = None, *, seed: int = 0, device: str = "cpu") -> dict:
    """What `train.start` (or a page's `start_job`) needs to train a segmentation network in the pool.

    The job's spec is a stand-in (a 1×1 convolution to the 5 classes) that only shapes the job; its
    weights are a `SegmentationNet`'s (`job_model`). ConfigError for a bad setting."""
    options = (options or SegmentationOptions()).validate()
    spec = {"input_shape": [3, options.size, options.size],
            "layers": [{"type": "conv2d", "out_channels": len(CLASS_NAMES), "kernel_size": 1}]}
    config = Config(epochs=options.epochs, batch_size=options.batch_size, lr=options.lr, seed=seed, device=device)
    return {"spec": spec, "dataset": scene_dataset(options), "config": config, "trainer": "segmenter",
            "options": options.to_dict()}


def job_model(job) -> SegmentationNet | None:
    """The job's network as it last published it; None before any weights."""
    if job.weights is None:
        return None
    return SegmentationNet.from_weights(SegmentationOptions.from_dict(job.options), job.weights)


def job_baseline(job) -> dict | None:
    """The all-background baseline on a "segmenter" job's test scenes, once its trainer has sent it:
    {"pixel_accuracy", "miou", "iou" (a list, None for a class with no IoU)}."""
    sent = job.series("baseline")
    return sent[0] if sent else None


def score_metrics(history) -> dict[str, str]:
    """The page's numbers, as text: {"Epoch", "Pixel accuracy", "Mean IoU"} of the latest test scores."""
    if not len(history) or "miou" not in history:
        return {"Epoch": "0", "Pixel accuracy": "–", "Mean IoU": "–"}
    last = history.iloc[-1]
    return {"Epoch": f"{int(last['epoch']):,}", "Pixel accuracy": f"{last['val_acc']:.1%}",
            "Mean IoU": f"{last['miou']:.2f}"}


def live_producer(job, truth: np.ndarray):
    """A feed's producer for a "segmenter" job: status, the numbers, the curves, and the first SHOWN test
    scenes' true masks `truth` (SHOWN, S, S) over their latest predicted ones; computed again only when a
    new row arrived."""
    from playground.figures.vision.segmentation import mask_scene, score_series
    from playground.jobs import live

    def produce(job) -> dict:
        view = {**live.job_view(job), "unit": "epoch"}
        history = job.history_since(0)
        shown = job_masks(job)
        view["metrics"] = score_metrics(history)
        view["charts"] = {"scores": {"series": score_series(history, job_baseline(job))}}
        view["scenes"] = {"masks": mask_scene(truth, shown[-1]["masks"] if shown else None)}
        return view

    return live.Cached(job, produce, mark=lambda j: (j.rows, len(j.series("masks"))))


@register_trainer("segmenter")
def segmenter(ctx):
    """Train a `SegmentationNet` epoch by epoch (see the module docstring).

    History rows: epoch, train_loss (pixel cross-entropy, mean over the epoch's batches; None at epoch 0),
    val_acc (test pixel accuracy), miou (test mean IoU), samples_per_s (training images a second).
    Series "masks": {"epoch", "masks": [bytes of a (S, S) uint8 mask] for the first SHOWN test scenes},
    at epoch 0 and after every epoch. Weights: the `SegmentationNet`, at least twice a second and at the end.
    """
    options = SegmentationOptions.from_dict(ctx.options)
    data = ctx.dataset
    trainer = SegmentationTrainer(options, data.x_train, data.y_train.long(), data.x_test, data.y_test.long(),
                                  seed=ctx.config.seed, device=ctx.device)

    def report(epoch: int, loss, speed) -> None:
        found, predicted = trainer.evaluate()
        ctx.report(epoch=epoch, train_loss=loss, val_acc=found.pixel_accuracy, miou=found.miou,
                   samples_per_s=speed)
        ctx.series("masks", {"epoch": epoch, "masks": _mask_bytes(predicted[:SHOWN])})

    base = background_baseline(data.y_test)
    ctx.series("baseline", {"pixel_accuracy": base.pixel_accuracy, "miou": base.miou,
                            "iou": [None if np.isnan(v) else float(v) for v in base.iou]})
    report(0, None, None)
    ctx.progress(1, 0.0)
    ctx.publish(trainer.model, force=True)
    yield "step"
    for e in range(1, options.epochs + 1):
        batches = trainer.batches()
        losses, began, paused_for = [], time.perf_counter(), 0.0
        for b, index in enumerate(batches):
            losses.append(trainer.step(index))
            ctx.progress(e, (b + 1) / len(batches))
            ctx.publish(trainer.model)
            before = time.perf_counter()
            yield "step"
            gap = time.perf_counter() - before
            paused_for += gap if gap > _PAUSE_GAP_S else 0.0  # time spent paused is not training time
        trainer.epochs_done += 1
        # The epoch's whole time, the job's own work between steps included (not the pauses).
        seconds = time.perf_counter() - began - paused_for
        report(e, float(np.mean(losses)), len(trainer.x_train) / max(seconds, 1e-9))
        ctx.publish(trainer.model, force=e == options.epochs)
        yield "epoch"
