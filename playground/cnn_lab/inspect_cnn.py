"""Looking inside a trained CNN: its kernels, its feature maps, the images that excite a channel,
what happens when channels are switched off, and how accuracy holds up when the input moves.

Every function takes a `Network` built from a spec (`playground.models.build`), so `model[i]` is spec
layer i and `model.spec["layers"][i]["type"]` its type. Images are (C, H, W) float tensors in [0, 1],
batches (N, C, H, W); a `dataset` is a `playground.data.Dataset` and only its test split is used.
Models run in eval mode without gradients; a model that was training is put back in training mode.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from playground.jobs.supervised import predict

__all__ = ["INVARIANCE_KINDS", "LayerOutput", "ablated", "accuracy", "conv_layer_indices", "feature_maps",
           "invariance_curve", "kernels", "top_activating", "transform"]

INVARIANCE_KINDS = ("shift_x", "shift_y", "angle", "scale")
_CHUNK = 256  # test images pushed through the network at once
_ABLATABLE = ("conv2d", "linear")  # layers whose output channels (features) are rows of `.weight`


@dataclasses.dataclass
class LayerOutput:
    """One top-level layer's output for one input.

    `output` is (C, H, W) for image-shaped layers or (F,) for flat ones (no batch dimension).
    `stats` has `mean`, `std` (population, ddof=0), `min`, `max` and `zero_fraction` (the share of
    values exactly 0, e.g. what a ReLU switched off), all over every value of `output`.
    """

    index: int
    type: str
    output: np.ndarray
    stats: dict[str, float]


# ----------------------------------------------------------------------------------------------
# Helpers.


def _layer_type(model: nn.Module, index: int) -> str:
    layers = model.spec["layers"]
    if not 0 <= index < len(layers):
        raise ValueError(f"layer index {index} is out of range: the network has {len(layers)} layers")
    return layers[index]["type"]


@contextlib.contextmanager
def _evaluating(model: nn.Module):
    """Eval mode without gradients for the duration; the model's previous mode is restored after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def _forward_to(model: nn.Module, x: torch.Tensor, index: int) -> torch.Tensor:
    """Output of top-level layer `index` for a batch `x`; the layers after it are not run."""
    for layer in list(model)[:index + 1]:
        x = layer(x)
    return x


def _stats(values: np.ndarray) -> dict[str, float]:
    return {"mean": float(values.mean()), "std": float(values.std()), "min": float(values.min()),
            "max": float(values.max()), "zero_fraction": float((values == 0).mean())}


# ----------------------------------------------------------------------------------------------
# Weights and activations.


def conv_layer_indices(model: nn.Module) -> list[int]:
    """Indices of the top-level conv2d layers, in order (blocks such as residuals are not entered)."""
    return [i for i, layer in enumerate(model.spec["layers"]) if layer["type"] == "conv2d"]


def kernels(model: nn.Module, index: int) -> np.ndarray:
    """The kernels of conv2d layer `index`: a copy of its weight, (out_channels, in_channels / groups, k, k).

    ValueError if layer `index` is not a conv2d layer.
    """
    if _layer_type(model, index) != "conv2d":
        raise ValueError(f"layer {index} is a {_layer_type(model, index)} layer, not conv2d")
    return model[index].weight.detach().cpu().numpy().copy()


def feature_maps(model: nn.Module, x: torch.Tensor) -> list[LayerOutput]:
    """Every top-level layer's output for one input `x` (1, C, H, W), with summary statistics.

    Returns one `LayerOutput` per spec layer, in order; the last is the network's output (logits).
    """
    if x.ndim != 4 or len(x) != 1:
        raise ValueError(f"feature_maps takes one input shaped (1, C, H, W), got {tuple(x.shape)}")
    with _evaluating(model):
        outputs = model.forward_layers(x)
    maps = []
    for i, out in enumerate(outputs):
        values = out[0].cpu().numpy()
        maps.append(LayerOutput(i, model.spec["layers"][i]["type"], values, _stats(values)))
    return maps


def top_activating(model: nn.Module, dataset, index: int, channel: int, *, k: int = 8,
                   n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The test images that excite one channel of layer `index` the most.

    A channel's activation for an image is the mean of its (H, W) map, or the feature itself when the
    layer's output is flat (N, F). Searches the first `n` test images (all when None).
    Returns (indices into `dataset.x_test`, activations), both (min(k, n),), largest first; ties keep
    the lower index first.
    """
    x = dataset.x_test[:n]
    scores = []
    with _evaluating(model):
        for start in range(0, len(x), _CHUNK):
            out = _forward_to(model, x[start:start + _CHUNK], index)
            if not 0 <= channel < out.shape[1]:
                raise ValueError(f"layer {index} has {out.shape[1]} channels; channel {channel} does not exist")
            scores.append(out[:, channel].reshape(len(out), -1).mean(1))
    values = torch.cat(scores).cpu().numpy()
    order = np.argsort(-values, kind="stable")[:k]
    return order, values[order]


# ----------------------------------------------------------------------------------------------
# Moving the input.


def _theta(height: int, width: int, shift: tuple[float, float], angle: float, scale: float) -> torch.Tensor:
    """The (2, 3) matrix `affine_grid` needs: for each output location, where to read in the input.

    Worked out in pixels about the image centre, then converted to the normalised [-1, 1] coordinates of
    `align_corners=False`, where one pixel is 2/W wide and 2/H tall. The forward map is
    p_out = scale · R · p_in + shift, so the grid needs its inverse R⁻¹ (p_out − shift) / scale. With y
    pointing down, R = [[c, s], [−s, c]] turns the picture counter-clockwise on screen for angle > 0.
    """
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    inverse_rotation = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    to_pixels = torch.diag(torch.tensor([width / 2, height / 2], dtype=torch.float64))
    to_normalised = torch.diag(torch.tensor([2 / width, 2 / height], dtype=torch.float64))
    linear = to_normalised @ inverse_rotation @ to_pixels / scale
    offset = -(to_normalised @ inverse_rotation @ torch.tensor(shift, dtype=torch.float64)) / scale
    return torch.cat([linear, offset[:, None]], dim=1).float()


def _transform_batch(x: torch.Tensor, *, shift=(0, 0), angle: float = 0.0, scale: float = 1.0) -> torch.Tensor:
    """`transform` applied to every image of a batch (N, C, H, W)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    n, _, h, w = x.shape
    theta = _theta(h, w, tuple(float(v) for v in shift), float(angle), float(scale)).to(x.device)
    grid = F.affine_grid(theta.expand(n, 2, 3), list(x.shape), align_corners=False)
    return F.grid_sample(x.float(), grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def transform(image: torch.Tensor, *, shift: tuple[float, float] = (0, 0), angle: float = 0.0,
              scale: float = 1.0) -> torch.Tensor:
    """Shift, rotate and scale an image (C, H, W); returns a new (C, H, W) float tensor.

    `shift` = (dx, dy) in pixels (right and down are positive), `angle` in degrees counter-clockwise
    on screen about the image centre, `scale` > 1 enlarges about the centre. Pixels moved outside
    the frame are dropped and uncovered ones become 0; in-between positions are interpolated
    bilinearly. The defaults return the image unchanged.
    """
    image = torch.as_tensor(image)
    if image.ndim != 3:
        raise ValueError(f"transform takes one image shaped (C, H, W), got {tuple(image.shape)}")
    return _transform_batch(image[None], shift=shift, angle=angle, scale=scale)[0]


# ----------------------------------------------------------------------------------------------
# Switching channels off, and measuring the damage.


def ablated(model: nn.Module, index: int, channels) -> nn.Module:
    """A deep copy of `model` in which layer `index` outputs 0 in the given channels.

    Works for conv2d layers (channels are output channels) and linear layers (output features). The
    copy's weights and biases for those channels are set to zero rather than hooking the forward
    pass: a zero filter with a zero bias outputs exactly 0 whatever its input, and the change survives
    `state_dict` and checkpoints. The layers after it still see those zeros, so e.g. a following
    batch norm may turn them into a constant. `model` itself is untouched; an empty `channels` gives
    an identical copy. ValueError for another layer type or a channel that does not exist.
    """
    layer_type = _layer_type(model, index)
    if layer_type not in _ABLATABLE:
        raise ValueError(f"layer {index} is a {layer_type} layer; only {' and '.join(_ABLATABLE)} layers "
                         "have channels to switch off")
    count = model[index].weight.shape[0]
    channels = sorted({int(c) for c in channels})
    bad = [c for c in channels if not 0 <= c < count]
    if bad:
        raise ValueError(f"layer {index} ({layer_type}) has {count} channels (0 to {count - 1}); "
                         f"got {', '.join(map(str, bad))}")
    copied = copy.deepcopy(model)
    layer = copied[index]
    with torch.no_grad():
        layer.weight[channels] = 0
        if layer.bias is not None:
            layer.bias[channels] = 0
    return copied


def accuracy(model: nn.Module, dataset, *, n: int | None = None) -> float:
    """Share of the first `n` test examples (all when None) that the classifier labels correctly."""
    labels, _ = predict(model, dataset.x_test[:n])
    return float((labels == dataset.y_test[:n]).float().mean())


def invariance_curve(model: nn.Module, dataset, *, kind: str, values, n: int = 200) -> pd.DataFrame:
    """Test accuracy as the first `n` test images are all moved by each of `values`.

    `kind` is "shift_x" or "shift_y" (pixels), "angle" (degrees) or "scale" (factor); see `transform`.
    Returns a DataFrame with columns `value` and `accuracy`, one row per value, in the given order.
    """
    if kind not in INVARIANCE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(INVARIANCE_KINDS)}; got {kind!r}")
    x, y = dataset.x_test[:n], dataset.y_test[:n]
    rows = []
    for value in values:
        settings = {"shift_x": {"shift": (value, 0)}, "shift_y": {"shift": (0, value)},
                    "angle": {"angle": value}, "scale": {"scale": value}}[kind]
        labels, _ = predict(model, _transform_batch(x, **settings))
        rows.append({"value": float(value), "accuracy": float((labels == y).float().mean())})
    return pd.DataFrame(rows, columns=["value", "accuracy"])


def spatial_channels(model: nn.Module, input_shape) -> dict[int, int]:
    """The layers whose output is a stack of maps (C, H, W), each with its channel count: {index: C}.

    Found by running one blank input (1, *input_shape) through the network, so no image is needed.
    """
    outputs = feature_maps(model, torch.zeros(1, *input_shape))
    return {o.index: int(o.output.shape[0]) for o in outputs if o.output.ndim == 3}


def first_maps(outputs: list[LayerOutput], index: int, limit: int = 32) -> tuple[np.ndarray, bool]:
    """Layer `index`'s first `limit` maps from `feature_maps` (≤ limit, H, W) and whether any value is negative."""
    maps = next(o for o in outputs if o.index == index).output
    return maps[:limit], bool((maps < 0).any())
