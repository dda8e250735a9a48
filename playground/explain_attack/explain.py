"""Attribution: which input pixels a network's answer rests on, computed with Captum.

Every method is registered once in `METHODS` and run through one verb, `attribute(model, inputs,
target, method, **options)`, which returns a tensor shaped like `inputs` (B, C, H, W), so pages can
swap methods and `smoothgrad` can wrap any other one. The rest checks the maps: `completeness` (do
Integrated Gradients add up to the output's change?), `randomized` (Adebayo et al.'s sanity check)
and `localization` (how much of a map falls on the object, for datasets that know where it is).

All computation happens on a private copy of the model in eval mode with its parameters frozen: the
caller's module gets no `.grad`, no hooks and no change of mode, even while another thread uses it.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from captum.attr import (
    DeepLift,
    GuidedBackprop,
    IntegratedGradients,
    LayerAttribution,
    LayerGradCam,
    NoiseTunnel,
    Occlusion,
    Saliency,
)
from torch import nn
from torch.nn import functional as F

from playground.layers import Unflatten
from playground.registry import Registry

__all__ = ["BASELINES", "METHODS", "SIGNS", "ExplainError", "MethodInfo", "attribute", "attribution_map",
           "completeness", "conv_layers", "integrated_gradients_sum", "is_blank", "localization", "make_baseline",
           "mask_share", "randomized", "register_method", "to_map"]

BASELINES = ("black", "blur", "noise", "mean")
SIGNS = ("positive", "negative", "absolute")
_MAX_STEPS = 512  # Integrated Gradients runs the model on B × steps images at once
_MAX_SAMPLES = 256
_BATCH = 50  # images per call in `localization`: keeps B × steps within a few thousand images
# `localization` scores thousands of maps. On the shapes CNN these cheaper settings move each
# method's mean mask share by at most about 0.03 (occlusion) and under 0.01 (the others), while
# Occlusion then needs 49 model runs per image instead of 169.
_LOCALIZATION_OPTIONS = {"integrated_gradients": {"steps": 16}, "smoothgrad": {"samples": 8},
                         "occlusion": {"stride": 4}}


class ExplainError(ValueError):
    """An attribution a user asked for that cannot be made: unknown method or option, or a model it does not fit."""


@dataclasses.dataclass(frozen=True)
class _Plan:
    """How to run one method: a Captum attribution, its keyword arguments and a step from its output to the map."""

    attribution: Any  # a captum.attr Attribution with an `attribute` verb
    kwargs: dict
    finish: Callable[[torch.Tensor], torch.Tensor] = lambda a: a


@dataclasses.dataclass(frozen=True)
class MethodInfo:
    """One registered attribution method; see `register_method`.

    `options` are the method's settings with their defaults; `signed` tells whether the sign of an
    attribution means something (evidence for versus against the target), so that a page offers
    the positive and negative parts separately only then.
    """

    name: str
    label: str
    description: str
    paper: str
    options: dict[str, Any]
    signed: bool
    # make(model, inputs, options) -> _Plan, with `model` already a private eval-mode copy.
    make: Callable[[nn.Module, torch.Tensor, dict], _Plan] = dataclasses.field(repr=False, compare=False)


METHODS: Registry[MethodInfo] = Registry("attribution method")


def register_method(name: str, *, label: str, description: str, paper: str, options: dict[str, Any] | None = None,
                    signed: bool = True):
    """Register `make(model, inputs, options) -> _Plan` as attribution method `name`; duplicates are refused."""

    def decorator(make: Callable[[nn.Module, torch.Tensor, dict], _Plan]):
        METHODS.add(name, MethodInfo(name=name, label=label, description=description, paper=paper,
                                     options=dict(options or {}), signed=signed, make=make))
        return make

    return decorator


# ----------------------------------------------------------------------------------------------
# Option checks: each returns the value in canonical form or raises ExplainError naming the option.


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
        raise ExplainError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ExplainError(f"{name} must be from {low} to {high}, got {int(value)}")
    return int(value)


def _baseline_kind(value: Any) -> str:
    if value not in BASELINES:
        raise ExplainError(f"baseline must be one of {', '.join(BASELINES)}; got {value!r}")
    return value


# ----------------------------------------------------------------------------------------------
# The methods.


@register_method(
    "saliency", label="Saliency",
    description="How much the class score changes when each pixel is nudged: the gradient of the score.",
    paper="Simonyan, Vedaldi & Zisserman (2014), Deep Inside Convolutional Networks: Visualising Image "
          "Classification Models and Saliency Maps, ICLR workshop",
)
def _saliency(model, inputs, options):
    return _Plan(Saliency(model), {"abs": False})


@register_method(
    "integrated_gradients", label="Integrated Gradients",
    description="Adds up the gradients along a straight path from a baseline image to the input, so the "
                "pixels' shares add up to how much the score changed.",
    paper="Sundararajan, Taly & Yan (2017), Axiomatic Attribution for Deep Networks, ICML",
    options={"baseline": "black", "steps": 32},
)
def _integrated_gradients(model, inputs, options):
    baseline = make_baseline(inputs, _baseline_kind(options["baseline"]))
    steps = _whole("steps", options["steps"], 1, _MAX_STEPS)
    # The path integral by the midpoint rule, not Captum's default Gauss–Legendre: through ReLUs and
    # max-pools the integrand is piecewise constant, and on the bundled digits and shapes CNNs the
    # midpoint rule left about three quarters of Gauss–Legendre's median completeness gap at 32 and
    # 64 steps, with fewer images off by more than 2%.
    return _Plan(IntegratedGradients(model), {"baselines": baseline, "n_steps": steps, "method": "riemann_middle"})


@register_method(
    "smoothgrad", label="SmoothGrad",
    description="Averages another method's map over many noisy copies of the input, which washes out speckle.",
    paper="Smilkov, Thorat, Kim, Viégas & Wattenberg (2017), SmoothGrad: removing noise by adding noise, "
          "arXiv:1706.03825",
    options={"base": "saliency", "samples": 16, "noise": 0.15},  # 10–20% noise is the paper's sweet spot
    signed=True,  # as its default base, saliency
)
def _smoothgrad(model, inputs, options):
    base = options["base"]
    if base not in METHODS or base == "smoothgrad":
        allowed = ", ".join(m for m in METHODS if m != "smoothgrad")
        raise ExplainError(f"base must be one of {allowed}; got {base!r}")
    samples = _whole("samples", options["samples"], 1, _MAX_SAMPLES)
    noise = options["noise"]
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise <= 1:
        raise ExplainError(f"noise must be a number from 0 to 1 (a fraction of the input range), got {noise!r}")
    inner = METHODS[base].make(model, inputs, dict(METHODS[base].options))  # the base with its defaults
    # The paper sets the noise's standard deviation as a fraction of the input's range (max − min).
    spread = float(inputs.detach().max() - inputs.detach().min()) or 1.0
    return _Plan(NoiseTunnel(inner.attribution),
                 {"nt_type": "smoothgrad", "nt_samples": samples, "nt_samples_batch_size": min(samples, 8),
                  "stdevs": float(noise) * spread, **inner.kwargs},
                 inner.finish)


@register_method(
    "guided_backprop", label="Guided Backpropagation",
    description="A gradient that only lets positive signals flow back through each ReLU, which gives "
                "sharp, edge-like maps.",
    paper="Springenberg, Dosovitskiy, Brox & Riedmiller (2015), Striving for Simplicity: The All "
          "Convolutional Net, ICLR workshop",
)
def _guided_backprop(model, inputs, options):
    return _Plan(GuidedBackprop(model), {})


@register_method(
    "grad_cam", label="Grad-CAM",
    description="Weights a convolution layer's feature maps by how much the class score depends on them, "
                "giving a coarse heat map of the regions the network looked at.",
    paper="Selvaraju, Cogswell, Das, Vedantam, Parikh & Batra (2017), Grad-CAM: Visual Explanations from "
          "Deep Networks via Gradient-based Localization, ICCV",
    options={"layer": None},  # None: the last convolution, whose maps are the most class-specific
    signed=False,  # the paper keeps only the positive part (a ReLU on the weighted sum)
)
def _grad_cam(model, inputs, options):
    layers = conv_layers(model)
    if not layers:
        raise ExplainError("Grad-CAM needs a convolution layer (conv2d) at the top level of the network, "
                           "and this one has none")
    layer = layers[-1] if options["layer"] is None else options["layer"]
    if isinstance(layer, bool) or not isinstance(layer, numbers.Integral) or layer not in layers:
        raise ExplainError(f"layer must be the index of a convolution layer: one of "
                           f"{', '.join(map(str, layers))}; got {layer!r}")
    layer = int(layer)
    channels, size = inputs.shape[1], tuple(inputs.shape[2:])

    def finish(cam: torch.Tensor) -> torch.Tensor:
        # (B, 1, h, w) at the layer's resolution -> (B, C, H, W); each channel holds an equal share,
        # so the channel sum is the heat map itself.
        cam = LayerAttribution.interpolate(cam, size, interpolate_mode="bilinear")
        return cam.expand(-1, channels, -1, -1) / channels

    return _Plan(LayerGradCam(model, model[layer]), {"relu_attributions": True}, finish)


@register_method(
    "occlusion", label="Occlusion",
    description="Covers the image with a black square at every position and records how much the class "
                "score drops.",
    paper="Zeiler & Fergus (2014), Visualizing and Understanding Convolutional Networks, ECCV",
    options={"window": 4, "stride": 2},
)
def _occlusion(model, inputs, options):
    channels, height, width = inputs.shape[1:]
    window = _whole("window", options["window"], 1, min(height, width))
    stride = _whole("stride", options["stride"], 1, min(height, width))
    return _Plan(Occlusion(model), {"sliding_window_shapes": (channels, window, window),
                                    "strides": (channels, stride, stride), "baselines": 0.0,
                                    "perturbations_per_eval": 16})


@register_method(
    "deeplift", label="DeepLIFT",
    description="Compares every neuron with its value on a baseline image and passes the differences back "
                "layer by layer, so the pixels' shares add up to about how much the score changed.",
    paper="Shrikumar, Greenside & Kundaje (2017), Learning Important Features Through Propagating "
          "Activation Differences, ICML",
    options={"baseline": "black"},
)
def _deeplift(model, inputs, options):
    baseline = make_baseline(inputs, _baseline_kind(options["baseline"]))
    unsupported = _without_deeplift_rule(model)
    if unsupported:
        raise ExplainError(f"DeepLIFT does not support this model: Captum's DeepLIFT has no rule for "
                           f"{', '.join(unsupported)}, so it would treat them as linear and its pixels' "
                           "shares would no longer add up to the change of the score. Try Integrated "
                           "Gradients instead.")
    return _Plan(DeepLift(model), {"baselines": baseline})


# Layers DeepLIFT may pass through as they are: linear maps (in eval mode), reshapes and identities.
_LINEAR_LAYERS = (nn.Linear, nn.Conv2d, nn.BatchNorm1d, nn.BatchNorm2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
                  nn.Dropout, nn.Identity, nn.Flatten, Unflatten)
# The nonlinearities Captum's DeepLIFT has a rule for (captum.attr._core.deep_lift.SUPPORTED_NON_LINEAR,
# matched by exact type as Captum does); any other one is silently treated as linear there.
_DEEPLIFT_RULES = (nn.ReLU, nn.ELU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.MaxPool2d, nn.Softmax)


def _without_deeplift_rule(model: nn.Module) -> list[str]:
    """Names ("GELU (layer 1)") of the model's leaf layers that DeepLIFT cannot handle."""
    found = []
    for path, module in model.named_modules():
        if next(module.children(), None) is not None:
            continue  # a block: its own layers are checked one by one; joining them is linear
        if type(module) in _DEEPLIFT_RULES or isinstance(module, _LINEAR_LAYERS):
            continue
        found.append(f"{type(module).__name__} (layer {path.replace('.', ' › ')})")
    return found


# ----------------------------------------------------------------------------------------------
# The verb.


def attribute(model: nn.Module, inputs: torch.Tensor, target: int | torch.Tensor, method: str,
              **options) -> torch.Tensor:
    """Attributions of `model`'s score for class `target` to each input value, with `method`.

    inputs: (B, C, H, W) images. target: a class index, or a LongTensor (B,) of one per image.
    options: the method's settings (`METHODS[method].options` lists them with their defaults).
    Returns a float tensor (B, C, H, W), detached, on the CPU. Raises ExplainError for an unknown
    method or option, a bad option value, or a model the method does not fit.
    """
    info = _method(method)
    unknown = [key for key in options if key not in info.options]
    if unknown:
        allowed = ", ".join(info.options) or "none"
        raise ExplainError(f"{info.label} has no option {unknown[0]!r} (allowed: {allowed})")
    if not isinstance(inputs, torch.Tensor) or inputs.dim() != 4:
        shape = list(inputs.shape) if isinstance(inputs, torch.Tensor) else type(inputs).__name__
        raise ExplainError(f"inputs must be a batch of images (B, C, H, W), got {shape}")
    inputs = inputs.detach().to("cpu", torch.float32).clone().requires_grad_(True)
    private = _private_copy(model)
    target = _target(target, len(inputs), _count_outputs(private, inputs))
    plan = info.make(private, inputs, {**info.options, **options})
    with warnings.catch_warnings(), torch.random.fork_rng(devices=[]):
        # Captum announces every time that DeepLIFT or Guided Backprop hooks the activations; the hooks
        # live on our copy and go with it.
        warnings.filterwarnings("ignore", message="Setting (forward, )?backward hooks")
        torch.manual_seed(0)  # SmoothGrad's noise: the same images give the same map
        try:
            result = plan.attribution.attribute(inputs, target=target, **plan.kwargs)
        except (AssertionError, RuntimeError) as e:
            wrapped = getattr(plan.attribution, "attribution_method", plan.attribution)  # inside NoiseTunnel
            if isinstance(wrapped, DeepLift):
                raise ExplainError(f"DeepLIFT does not support this model: {e}") from e
            raise
    return plan.finish(result).detach().to(torch.float32).contiguous()


def _method(name: Any) -> MethodInfo:
    if not isinstance(name, str) or name not in METHODS:
        raise ExplainError(f"Unknown attribution method {name!r}; known methods are {', '.join(METHODS)}")
    return METHODS[name]


def _target(target: int | torch.Tensor, batch: int, classes: int) -> int | torch.Tensor:
    """`target` checked against a batch of `batch` images and a model with `classes` outputs."""
    if isinstance(target, torch.Tensor) and target.dim() == 0 and not target.is_floating_point():
        target = int(target)  # one class as a 0-d tensor, e.g. from argmax
    if isinstance(target, torch.Tensor):
        if target.shape != (batch,) or target.is_floating_point() or target.dtype == torch.bool:
            raise ExplainError(f"target must be one class index or a LongTensor of one per image ({batch},), "
                               f"got {target.dtype} of shape {list(target.shape)}")
        low, high = int(target.min()), int(target.max())
        if low < 0 or high >= classes:
            raise ExplainError(f"target {low if low < 0 else high} is not a class of this model "
                               f"(it has {classes} outputs)")
        return target.to("cpu", torch.long)
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        raise ExplainError(f"target must be a class index, got {target!r}")
    if not 0 <= target < classes:
        raise ExplainError(f"target {target} is not a class of this model (it has {classes} outputs)")
    return int(target)


def _count_outputs(model: nn.Module, inputs: torch.Tensor) -> int:
    """How many scores `model` gives per image (one run on one image)."""
    with torch.no_grad():
        scores = model(inputs[:1].detach())
    if scores.dim() != 2:
        raise ExplainError(f"attribution needs a model with one score per class, (B, classes); this one "
                           f"gives {list(scores.shape[1:])} per image")
    return scores.shape[1]


def _private_copy(model: nn.Module) -> nn.Module:
    """A frozen eval-mode copy: Captum's hooks and gradients never reach the caller's module."""
    private = copy.deepcopy(model).to("cpu").eval()
    private.requires_grad_(False)
    return private


def conv_layers(model: nn.Module) -> list[int]:
    """Indices of the model's top-level conv2d layers, in order: the layers Grad-CAM can look at."""
    return [i for i, layer in enumerate(model.children()) if isinstance(layer, nn.Conv2d)]


# ----------------------------------------------------------------------------------------------
# Baselines.


def make_baseline(inputs: torch.Tensor, kind: str, *, seed: int = 0) -> torch.Tensor:
    """A reference image for each input (B, C, H, W), shaped like it: what "no signal" looks like.

    "black": zeros. "blur": the input under a strong Gaussian blur (σ = a quarter of the longer side),
    which keeps the colours but removes shapes. "noise": uniform in [0, 1] from a generator seeded
    with `seed`. "mean": every pixel set to its image's mean in that channel. The choice matters
    (Sturmfels, Lundberg & Lee (2020), Visualizing the Impact of Feature Attribution Baselines, Distill).
    """
    inputs = inputs.detach()
    if kind == "black":
        return torch.zeros_like(inputs)
    if kind == "blur":
        return _gaussian_blur(inputs, sigma=max(inputs.shape[-2:]) / 4)
    if kind == "noise":
        generator = torch.Generator().manual_seed(seed)
        return torch.rand(inputs.shape, generator=generator, dtype=inputs.dtype).to(inputs.device)
    if kind == "mean":
        return inputs.mean(dim=(-2, -1), keepdim=True).expand_as(inputs).clone()
    raise ExplainError(f"baseline must be one of {', '.join(BASELINES)}; got {kind!r}")


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """x (B, C, H, W) blurred channel by channel; edges are replicated so borders stay their colour."""
    radius = max(1, math.ceil(3 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    channels = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="replicate")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)  # along W
    return F.conv2d(x, kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)  # along H


# ----------------------------------------------------------------------------------------------
# Checks on the maps.


def completeness(model: nn.Module, inputs: torch.Tensor, target: int | torch.Tensor, attributions: torch.Tensor,
                 baseline: torch.Tensor | str) -> tuple[torch.Tensor, torch.Tensor]:
    """(Sum of each example's attributions, its score change from `baseline` to the input), both (B,).

    Integrated Gradients satisfies sum ≈ change ("completeness", Sundararajan et al. 2017), as
    DeepLIFT does ("summation-to-delta"); a plain gradient does not. `baseline` is a tensor shaped
    like `inputs` or a kind for `make_baseline`.
    """
    inputs = inputs.detach().to("cpu", torch.float32)
    if isinstance(baseline, str):
        baseline = make_baseline(inputs, baseline)
    private = _private_copy(model)
    index = _target(target, len(inputs), _count_outputs(private, inputs))
    index = torch.full((len(inputs),), index) if isinstance(index, int) else index
    with torch.no_grad():
        scores = private(torch.cat([inputs, baseline.detach().to("cpu", torch.float32)]))
    at_input, at_baseline = scores[: len(inputs)], scores[len(inputs):]
    rows = torch.arange(len(inputs))
    change = at_input[rows, index] - at_baseline[rows, index]
    return attributions.detach().to("cpu").flatten(1).sum(1), change


def randomized(model: nn.Module, *, seed: int = 0) -> nn.Module:
    """A copy of `model` with every parameterized layer re-initialized (`reset_parameters`) under `seed`.

    The model-randomization sanity check of Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim (2018),
    Sanity Checks for Saliency Maps, NeurIPS: a map that looks the same for the trained and the
    randomized network cannot be explaining what the network learned. The copy is in eval mode;
    the global random state is left as it was.
    """
    copied = copy.deepcopy(model).eval()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in copied.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    return copied


def to_map(attributions: torch.Tensor, sign: str) -> torch.Tensor:
    """A nonnegative heat map (B, H, W) from attributions (B, C, H, W): their channel sum, then by `sign`.

    "positive": the evidence for the target. "negative": the evidence against it, as magnitudes.
    "absolute": the magnitude of either.
    """
    total = attributions.detach().sum(dim=1)
    if sign == "positive":
        return total.clamp(min=0)
    if sign == "negative":
        return (-total).clamp(min=0)
    if sign == "absolute":
        return total.abs()
    raise ExplainError(f"sign must be one of {', '.join(SIGNS)}; got {sign!r}")


def mask_share(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """The fraction of each nonnegative map's (B, H, W) mass inside its bool mask, (B,).

    masks: (B, H, W) or (B, 1, H, W). A map with no mass at all scores the mask's share of the
    image, which is also what a uniform map scores, so an empty map earns no credit.
    """
    if masks.dim() == 4:
        masks = masks.any(dim=1)
    if masks.shape != maps.shape:
        raise ExplainError(f"masks {list(masks.shape)} do not match maps {list(maps.shape)}")
    maps = maps.detach().double()
    if (maps < 0).any():
        raise ExplainError("mask_share needs nonnegative maps; make them with to_map first")
    inside = masks.to(maps.dtype)
    mass = maps.sum(dim=(1, 2))
    area = inside.mean(dim=(1, 2))
    share = (maps * inside).sum(dim=(1, 2)) / mass.clamp(min=torch.finfo(maps.dtype).tiny)
    return torch.where(mass > 0, share, area).float()


def localization(model: nn.Module, dataset, methods: Sequence[str] | None = None, *, n: int = 200, seed: int = 0,
                 sign: str = "absolute", options: dict[str, dict] | None = None) -> pd.DataFrame:
    """How much of each method's map falls on the object, for the trained and for a randomized model.

    For the first `n` test images (target: the true class), the mean `mask_share` of
    `to_map(attribute(...), sign)` on `model` ("trained") and on `randomized(model, seed=seed)`
    ("randomized"), beside the mean area of the masks ("uniform": what a flat map scores). A method
    that explains the trained network should beat both. `methods` defaults to every method;
    `options` maps a method to its options (by default here Integrated Gradients takes 16 steps,
    SmoothGrad 8 samples and Occlusion a stride of 4, to keep the table quick). Needs
    `dataset.masks_test`; runs in batches of 50 images.

    Returns a DataFrame with columns method, trained, randomized, uniform; one row per method.
    """
    if getattr(dataset, "masks_test", None) is None:
        raise ExplainError(f"The {getattr(dataset, 'name', 'chosen')} dataset does not mark where its objects are "
                           "(no masks), so localization cannot be scored; use the shapes dataset")
    methods = list(METHODS) if methods is None else list(methods)
    for name in methods:
        _method(name)
    if sign not in SIGNS:
        raise ExplainError(f"sign must be one of {', '.join(SIGNS)}; got {sign!r}")
    x, y, masks = dataset.x_test[:n], dataset.y_test[:n], dataset.masks_test[:n]
    models = {"trained": model, "randomized": randomized(model, seed=seed)}
    rows = []
    for name in methods:
        chosen = {**_LOCALIZATION_OPTIONS.get(name, {}), **(options or {}).get(name, {})}
        row = {"method": name}
        for kind, network in models.items():
            shares = [mask_share(to_map(attribute(network, x[i:i + _BATCH], y[i:i + _BATCH], name, **chosen), sign),
                                 masks[i:i + _BATCH])
                      for i in range(0, len(x), _BATCH)]
            row[kind] = float(torch.cat(shares).mean())
        row["uniform"] = float(masks.flatten(1).float().mean())
        rows.append(row)
    return pd.DataFrame(rows, columns=["method", "trained", "randomized", "uniform"])


def attribution_map(model: nn.Module, image: torch.Tensor, target: int, method: str, sign: str,
                    **options) -> np.ndarray:
    """One image's heat map (H, W) as a NumPy array: `to_map(attribute(...), sign)` for image (1, C, H, W)."""
    return to_map(attribute(model, image, target, method, **options), sign)[0].numpy()


def is_blank(attribution_map: np.ndarray) -> bool:
    """Whether a heat map is zero everywhere (e.g. Grad-CAM when no region raises the score): nothing to show."""
    values = np.nan_to_num(np.asarray(attribution_map, dtype=float))
    return not np.any(values)


def integrated_gradients_sum(model: nn.Module, image: torch.Tensor, target: int, *, baseline: str = "black",
                             steps: int = 32) -> tuple[float, float]:
    """(Sum of Integrated Gradients' attributions, the score's change from `baseline`) for one image (1, C, H, W).

    Completeness says the two agree up to the path integral's error, which shrinks with `steps`.
    """
    attributions = attribute(model, image, target, "integrated_gradients", baseline=baseline, steps=steps)
    total, change = completeness(model, image, target, attributions, baseline)
    return float(total[0]), float(change[0])
