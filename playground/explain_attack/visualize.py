"""Images a trained network "wants" to see, found by gradient ascent on the input.

Simonyan, Vedaldi and Zisserman, "Deep Inside Convolutional Networks: Visualising Image
Classification Models and Saliency Maps", ICLR 2014 workshop: start from a blank image and change
its pixels, with the weights fixed, to raise one class's score. Jitter and blur (as in Yosinski et
al., "Understanding Neural Networks Through Deep Visualization", 2015) keep the result from being
high-frequency noise.

Two trainers run this in the worker pool, never in the web server: `"class_visualization"` (class
scores, or one channel of a layer) and `"fooling_image"` (noise pushed until the network is sure it
sees a class). Both report pictures as the job's extra series "images". The per-step functions are
plain and testable from a shell.

Shapes: images are (N, C, H, W) with values in [0, 1].
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.transforms.v2 import functional as TF

from playground.checkpoints import state_from_bytes
from playground.jobs.train import TrainingError, is_int, register_trainer
from playground.models import build, output_shape

__all__ = ["ClassImageOptions", "FoolingOptions", "channel_images_step", "class_images_step", "blur_images"]

GOALS = ("classes", "channel", "fool")  # what the page can make pictures for
STEP_SIZES = (0.01, 0.03, 0.05, 0.1, 0.3, 1.0)  # the page's choices of ascent step
L2_PENALTIES = (0.0, 0.001, 0.01, 0.1)
# What the page offers (the trainer takes more).
PAGE_LIMITS = {"steps": (10, 1000), "jitter": (0, 4), "blur": (0.0, 1.0)}
_REPORT_EVERY = 10  # steps between pictures sent to the caller


# ----------------------------------------------------------------------------------------------
# One step of gradient ascent on the input.


def blur_images(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of each channel with standard deviation `sigma` pixels (0 returns `images`)."""
    if sigma <= 0:
        return images
    # Three sigmas each side, but the reflected padding must stay inside the image.
    radius = min(math.ceil(3 * sigma), min(images.shape[-2:]) - 1)
    if radius < 1:
        return images
    size = 2 * radius + 1
    return TF.gaussian_blur(images, [size, size], [float(sigma), float(sigma)])


def _ascent_step(score: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, *, lr: float, l2: float,
                 jitter: int, blur: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Move `images` along the gradient of `score(x) - l2 * |x|²` (one value per image).

    The image is rolled by a random offset of up to `jitter` pixels for the gradient and rolled
    back after, so no feature can rely on an exact position. Returns the new images, blurred by
    `blur` and clamped to [0, 1], and the scores (N,) of the jittered images before the step.
    """
    dy, dx = torch.randint(-jitter, jitter + 1, (2,)).tolist() if jitter > 0 else (0, 0)
    x = torch.roll(images.detach(), shifts=(dy, dx), dims=(-2, -1)).requires_grad_(True)
    with torch.enable_grad():
        scores = score(x)
        objective = scores - l2 * x.pow(2).flatten(1).sum(1)
        (gradient,) = torch.autograd.grad(objective.sum(), x)  # each image's gradient is its own
    x = torch.roll(x.detach() + lr * gradient, shifts=(-dy, -dx), dims=(-2, -1))
    return blur_images(x, blur).clamp(0.0, 1.0), scores.detach()


@contextlib.contextmanager
def _eval_mode(model: nn.Module):
    """Run `model` in eval mode (no dropout, frozen batch norm), then restore its mode."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _class_scores(model: nn.Module, classes: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    rows = torch.arange(len(classes))
    return lambda x: model(x)[rows, classes]


def class_images_step(model: nn.Module, images: torch.Tensor, classes, *, lr: float, l2: float, jitter: int,
                      blur: float) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of gradient ascent raising the score (logit) of class `classes[i]` in image i.

    The objective is `score - l2 * |x|²`; the gradient is taken on the image rolled by up to
    `jitter` pixels (random, from torch's RNG), the step is `lr` times the gradient, then the image
    is blurred with sigma `blur` (0: no blur) and clamped to [0, 1].
    Returns (new images (N, C, H, W), scores (N,) of the jittered images before the step).
    """
    classes = torch.as_tensor(classes, dtype=torch.long, device=images.device).reshape(-1)
    with _eval_mode(model):
        return _ascent_step(_class_scores(model, classes), images, lr=lr, l2=l2, jitter=jitter, blur=blur)


def _layer_output(model: nn.Module, x: torch.Tensor, layer: int) -> torch.Tensor:
    """The output of top-level layer `layer` of a Network (an nn.Sequential) for input `x`."""
    for i, module in enumerate(model):
        x = module(x)
        if i == layer:
            return x
    raise ValueError(f"layer must be from 0 to {len(model) - 1}, got {layer}")


def _channel_scores(model: nn.Module, layer: int, channels: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    rows = torch.arange(len(channels))

    def score(x):
        out = _layer_output(model, x, layer)
        means = out.flatten(2).mean(2) if out.dim() > 2 else out  # (N, channels) or (N, features)
        return means[rows, channels]

    return score


def channel_images_step(model: nn.Module, images: torch.Tensor, layer: int, channels, *, lr: float, l2: float,
                        jitter: int, blur: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Like `class_images_step`, raising the mean activation of channel `channels[i]` of `model[layer]`.

    For a conv layer the score is the channel's mean over its height and width; for a linear layer
    (or any flat output) it is the one unit.
    """
    channels = torch.as_tensor(channels, dtype=torch.long, device=images.device).reshape(-1)
    with _eval_mode(model):
        return _ascent_step(_channel_scores(model, layer, channels), images, lr=lr, l2=l2, jitter=jitter, blur=blur)


# ----------------------------------------------------------------------------------------------
# Options, read once from `ctx.options`.


def _from_options(cls, options: dict):
    """`cls` from the keys of `options` it knows; pages keep their own notes beside them, which are ignored."""
    return cls(**{f.name: options[f.name] for f in dataclasses.fields(cls) if f.name in options})


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise TrainingError(message)


@dataclasses.dataclass
class ClassImageOptions:
    """Settings of the "class_visualization" trainer."""

    classes: list[int] | None = None  # None: every class
    steps: int = 200
    lr: float = 0.03  # 0.1 overshoots with jitter on digits: 7 of 10 classes after 100 steps, not 9 or 10
    l2: float = 0.01  # keeps pixels from growing where they barely matter
    jitter: int = 1  # pixels; one is a lot on an 8×8 digit
    blur: float = 0.3  # sigma in pixels; 0 turns blurring off
    layer: int | None = None  # with `channel`: show a channel of this top-level layer instead of a class
    channel: int | list[int] | None = None  # None with a layer: every channel of it

    @classmethod
    def from_dict(cls, options: dict) -> ClassImageOptions:
        opts = _from_options(cls, options)
        _check(is_int(opts.steps) and 1 <= opts.steps <= 100_000, "steps must be a whole number from 1 to 100000")
        for name in ("lr", "l2", "blur"):
            value = getattr(opts, name)
            _check(isinstance(value, (int, float)) and 0 <= value <= 100, f"{name} must be a number from 0 to 100")
        _check(is_int(opts.jitter) and 0 <= opts.jitter <= 16, "jitter must be a whole number from 0 to 16")
        _check(opts.classes is None or (isinstance(opts.classes, list) and opts.classes
                                        and all(is_int(c) for c in opts.classes)),
               "classes must be a non-empty list of class numbers")
        _check(opts.channel is None or opts.layer is not None, "channel needs a layer")
        return opts


@dataclasses.dataclass
class FoolingOptions:
    """Settings of the "fooling_image" trainer."""

    target: int = 0
    steps: int = 300
    lr: float = 0.05  # Adam's step on pixels in [0, 1]
    threshold: float = 0.99  # stop once the network gives the target this probability

    @classmethod
    def from_dict(cls, options: dict) -> FoolingOptions:
        opts = _from_options(cls, options)
        _check(is_int(opts.target), "target must be a class number")
        _check(is_int(opts.steps) and 1 <= opts.steps <= 100_000, "steps must be a whole number from 1 to 100000")
        _check(isinstance(opts.lr, (int, float)) and 0 < opts.lr <= 10, "lr must be above 0 and at most 10")
        _check(isinstance(opts.threshold, (int, float)) and 0 < opts.threshold < 1,
               "threshold must be between 0 and 1")
        return opts


# ----------------------------------------------------------------------------------------------
# Trainers.


def _trained_model(ctx) -> nn.Module:
    """The network with the job's starting weights, in eval mode, weights frozen."""
    if ctx.init_weights is None:
        raise TrainingError("This needs a trained model: start it from that model's weights.")
    if len(ctx.spec["input_shape"]) != 3:
        raise TrainingError("Pictures need a network with image inputs [C, H, W].")
    model = build(ctx.spec)
    model.load_state_dict(state_from_bytes(ctx.init_weights))
    model = model.to(ctx.device).eval()
    model.requires_grad_(False)  # only the image changes
    return model


def _progress(ctx, fraction: float) -> None:
    """Report `fraction` of the whole job spread over `config.epochs`, so `job.progress` reads right."""
    epochs = ctx.config.epochs
    epoch = min(int(fraction * epochs) + 1, epochs)
    ctx.progress(epoch, fraction * epochs - (epoch - 1))


def _pictures(images: torch.Tensor) -> np.ndarray:
    return images.detach().to("cpu", torch.float32).numpy().copy()


def _targets(ctx, opts: ClassImageOptions, model: nn.Module) -> tuple[list[int], Callable]:
    """The classes (or channels) to draw, one image each, and the score function that rates them."""
    if opts.layer is None:
        classes = output_shape(ctx.spec)[0]
        wanted = list(range(classes)) if opts.classes is None else [int(c) for c in opts.classes]
        _check(all(0 <= c < classes for c in wanted), f"classes must be from 0 to {classes - 1}")
        return wanted, lambda ids: _class_scores(model, ids)
    _check(is_int(opts.layer) and 0 <= opts.layer < len(model), f"layer must be from 0 to {len(model) - 1}")
    probe = _layer_output(model, torch.zeros(1, *ctx.spec["input_shape"], device=ctx.device), opts.layer)
    channels = probe.shape[1]
    if opts.channel is None:
        wanted = list(range(channels))
    else:
        wanted = opts.channel if isinstance(opts.channel, list) else [opts.channel]
    _check(all(is_int(c) and 0 <= c < channels for c in wanted),
           f"channel must be from 0 to {channels - 1} for layer {opts.layer}")
    return [int(c) for c in wanted], lambda ids: _channel_scores(model, opts.layer, ids)


@register_trainer("class_visualization")
def class_visualization(ctx):
    """Gradient ascent from faint noise towards each class's score (or a layer channel's activation).

    Options: see `ClassImageOptions`. Every 10 steps (and at step 0 and the last step) appends to the
    series "images" {"step", "images": float32 (n, C, H, W), "scores": n floats} with the scores of
    the un-jittered images; targets are `classes` in order (or the channels). Ends with one history
    row: epoch 1, train_loss = minus the mean final score.
    """
    opts = ClassImageOptions.from_dict(ctx.options)
    model = _trained_model(ctx)
    wanted, make_score = _targets(ctx, opts, model)
    ids = torch.tensor(wanted, dtype=torch.long, device=ctx.device)
    score = make_score(ids)
    generator = torch.Generator().manual_seed(ctx.config.seed)
    # Faint noise around mid-grey: the ascent can push each pixel up or down from there.
    images = (0.5 + 0.05 * torch.randn(len(wanted), *ctx.spec["input_shape"], generator=generator))
    images = images.clamp(0, 1).to(ctx.device)

    def send(step: int) -> torch.Tensor:
        with torch.no_grad():
            current = score(images)
        ctx.series("images", {"step": step, "images": _pictures(images), "scores": current.tolist()})
        return current

    send(0)
    _progress(ctx, 0.0)
    for step in range(1, opts.steps + 1):
        images, _ = _ascent_step(score, images, lr=opts.lr, l2=opts.l2, jitter=opts.jitter, blur=opts.blur)
        if step % _REPORT_EVERY == 0 or step == opts.steps:
            final = send(step)
            _progress(ctx, step / opts.steps)
        yield "step"
    ctx.report(epoch=1, train_loss=-final.mean().item(), train_acc=None, val_loss=None, val_acc=None,
               samples_per_s=None, seconds=None)
    yield "epoch"


@register_trainer("fooling_image")
def fooling_image(ctx):
    """Uniform noise changed until the network gives class `target` at least `threshold` probability.

    Nguyen, Yosinski and Clune, "Deep Neural Networks are Easily Fooled", CVPR 2015 (their
    gradient-ascent variant). Adam on the pixels lowers the cross-entropy towards the target; pixels
    stay in [0, 1]. Every 10 steps, at step 0 and at the end appends to the series "images"
    {"step", "images": float32 (1, C, H, W), "scores": [target logit], "confidence": probability};
    stops early once the threshold is reached. Ends with one history row: epoch 1, train_loss = the
    final cross-entropy, train_acc = 1.0 if the threshold was reached, else 0.0.
    """
    opts = FoolingOptions.from_dict(ctx.options)
    model = _trained_model(ctx)
    classes = output_shape(ctx.spec)[0]
    _check(0 <= opts.target < classes, f"target must be a class from 0 to {classes - 1}")
    generator = torch.Generator().manual_seed(ctx.config.seed)
    image = torch.rand(1, *ctx.spec["input_shape"], generator=generator).to(ctx.device).requires_grad_(True)
    target = torch.tensor([opts.target], device=ctx.device)
    optimizer = torch.optim.Adam([image], lr=opts.lr)

    def send(step: int) -> tuple[float, float]:
        with torch.no_grad():
            logits = model(image)
            confidence = logits.softmax(1)[0, opts.target].item()
        ctx.series("images", {"step": step, "images": _pictures(image), "scores": [logits[0, opts.target].item()],
                              "confidence": confidence})
        return confidence, F.cross_entropy(logits, target).item()

    confidence, loss = send(0)
    _progress(ctx, 0.0)
    for step in range(1, opts.steps + 1):
        if confidence >= opts.threshold:
            break
        with torch.enable_grad():
            step_loss = F.cross_entropy(model(image), target)
        optimizer.zero_grad(set_to_none=True)
        step_loss.backward()
        optimizer.step()
        with torch.no_grad():
            image.clamp_(0, 1)
            confidence = model(image).softmax(1)[0, opts.target].item()
        if step % _REPORT_EVERY == 0 or step == opts.steps or confidence >= opts.threshold:
            confidence, loss = send(step)
            _progress(ctx, step / opts.steps)
        yield "step"
    ctx.report(epoch=1, train_loss=loss, train_acc=float(confidence >= opts.threshold), val_loss=None,
               val_acc=None, samples_per_s=None, seconds=None)
    yield "epoch"
