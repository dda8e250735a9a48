"""Weight initialization, and the vanishing and exploding signals a poor one causes in deep networks.

`initialize` re-draws every linear and convolution weight by one of the schemes in `INITS`.
`layer_statistics` runs one forward and backward pass and tabulates, layer by layer, how the
activations and the weight gradients grow or shrink with depth: the lecture's argument for
Xavier/Glorot (Glorot & Bengio, 2010, "Understanding the difficulty of training deep feedforward
neural networks") and He/Kaiming (He et al., 2015, "Delving Deep into Rectifiers") initialization.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from playground.data import Dataset
from playground.jobs.supervised import supervised_loop
from playground.jobs.train import register_trainer

INITS = ("zeros", "small_normal", "large_normal", "xavier", "he")

DESCRIPTIONS = {
    "zeros": "Every weight is 0, so all neurons in a layer compute the same thing and get the same update: "
             "the symmetry is never broken and the hidden layers never learn.",
    "small_normal": "Weights drawn from a normal distribution with standard deviation 0.01, so signals shrink "
                    "layer after layer until deep activations and gradients vanish.",
    "large_normal": "Weights drawn from a normal distribution with standard deviation 1, so signals grow layer "
                    "after layer until they explode or squash activations like sigmoid and tanh into saturation.",
    "xavier": "Xavier/Glorot: variance 2 / (fan_in + fan_out), which keeps the signal's variance steady through "
              "tanh and sigmoid layers.",
    "he": "He/Kaiming: variance 2 / fan_in, which makes up for ReLU zeroing half its inputs and keeps the "
          "signal's variance steady through ReLU layers.",
}

ACTIVATIONS = ("relu", "tanh", "sigmoid")
DEPTH_RANGE = (2, 20)  # hidden layers: from shallow to deep enough for signals to vanish or explode
WIDTHS = (16, 32, 64, 128, 256)
EPOCH_CHOICES = (4, 8, 12, 20)  # a few epochs on the digits: enough to see the layers change, a minute at most
LEARNING_RATES = (0.005, 0.01, 0.02, 0.05, 0.1)  # for SGD with momentum on standardized digits
SMALL_COLUMNS = ("activation_mean", "activation_std", "grad_norm")  # of layer_statistics: these can vanish


def spread_and_gradients(table: pd.DataFrame, depth: int) -> tuple[float, float, float]:
    """From `layer_statistics`: the activation spread of the first and the last hidden layer (of `depth`),
    and the first layer's weight-gradient norm divided by the output layer's (NaN when that one is 0)."""
    hidden = table[table["layer"] <= depth]  # the last row is the output layer's logits
    g_first, g_last = table["grad_norm"].iloc[0], table["grad_norm"].iloc[-1]
    return (float(hidden["activation_std"].iloc[0]), float(hidden["activation_std"].iloc[-1]),
            float(g_first / g_last) if g_last else float("nan"))


def describe_change(first: float, last: float) -> tuple[str | None, str]:
    """How `last` compares with `first`, in words ("fell to ×0.45"), and the way an arrow should point.

    Returns (text, "up" | "down" | "off"); text is None when there is nothing to compare (`first` is 0
    or either is not a number). Factors are written with 2 significant digits, in scientific notation
    when tiny or huge (×3.2e-17), so no one has to count zeros.
    """
    if not first or first != first or last != last:
        return None, "off"
    ratio = last / first
    if ratio == 1:
        return "the same (×1)", "off"
    return (f"fell to ×{ratio:.2g}", "down") if ratio < 1 else (f"grew to ×{ratio:.2g}", "up")

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)

# How close to its bound an output must be to count as saturated: there the slope is nearly zero
# (sigmoid'(x) < 0.02 beyond 0.98; tanh'(x) < 0.04 beyond 0.98), so almost no gradient flows back.
_SATURATED = {
    nn.Sigmoid: lambda a: (a < 0.02) | (a > 0.98),
    nn.Tanh: lambda a: a.abs() > 0.98,
    nn.ReLU: lambda a: a == 0,  # a "dead" ReLU passes no gradient at all
}


def initialize(model: nn.Module, scheme: str, *, seed: int = 0) -> nn.Module:
    """Re-draw every linear and convolution weight of `model` in place by `scheme`; biases become 0.

    The draws come from a generator seeded with `seed`, so the same seed gives the same weights and
    the global random state is left as it was. Returns `model`. ValueError for an unknown scheme.
    """
    if scheme not in INITS:
        raise ValueError(f"Unknown initialization {scheme!r}; known schemes are {', '.join(INITS)}")
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if not isinstance(module, _WEIGHTED):
                continue
            # Drawn on the CPU, where the generator lives, then copied to the weight's device.
            w = torch.empty(module.weight.shape)
            if scheme == "zeros":
                w.zero_()
            elif scheme == "small_normal":
                nn.init.normal_(w, std=0.01, generator=generator)
            elif scheme == "large_normal":
                nn.init.normal_(w, std=1.0, generator=generator)
            elif scheme == "xavier":
                nn.init.xavier_normal_(w, generator=generator)
            else:
                nn.init.kaiming_normal_(w, nonlinearity="relu", generator=generator)
            module.weight.copy_(w)
            if module.bias is not None:
                module.bias.zero_()
    return model


def deep_mlp_spec(depth: int, width: int = 64, activation: str = "relu", *, inputs: int = 64,
                  outputs: int = 10, input_shape: tuple[int, ...] | None = None) -> dict:
    """A spec of `depth` hidden linear layers of `width` neurons, each followed by `activation`, then
    a linear output layer of `outputs` neurons; the input is flat, `inputs` numbers per example, or
    an image of `input_shape` (e.g. (1, 8, 8)) flattened by a first layer.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    layers: list[dict] = []
    for _ in range(depth):
        layers += [{"type": "linear", "out_features": width}, {"type": activation}]
    layers.append({"type": "linear", "out_features": outputs})
    if input_shape is not None and len(input_shape) > 1:
        return {"input_shape": list(input_shape), "layers": [{"type": "flatten"}, *layers]}
    return {"input_shape": list(input_shape or [inputs]), "layers": layers}


def _flatten_if_needed(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """`x` flattened to (B, features) when the model takes flat inputs, e.g. digits (B, 1, 8, 8) → (B, 64)."""
    spec = getattr(model, "spec", None)
    if spec is not None and len(spec["input_shape"]) == 1 and x.dim() > 2:
        return x.reshape(len(x), -1)
    return x


def _forward(model: nn.Module, x: torch.Tensor) -> tuple[list[tuple[nn.Module, torch.Tensor, nn.Module | None]],
                                                        torch.Tensor]:
    """Run `model` (a sequence of layers) on `x`; one (weighted layer, block output, activation) per
    weighted layer, where a block runs from a weighted layer up to the next one, and the output.
    """
    blocks = []
    x = _flatten_if_needed(model, x)
    for layer in model:
        x = layer(x)
        if isinstance(layer, _WEIGHTED):
            blocks.append([layer, x, None])
        elif blocks:
            blocks[-1][1] = x
            if type(layer) in _SATURATED:
                blocks[-1][2] = layer
    return [tuple(b) for b in blocks], x


def _weight_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """Blocks as in `_forward`, and the cross-entropy loss's gradient for each weighted layer's weight.

    Uses `torch.autograd.grad`, so the model's own `.grad` fields are left untouched.
    """
    with torch.enable_grad():
        blocks, logits = _forward(model, x)
        loss = F.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, [layer.weight for layer, _, _ in blocks])
    return blocks, grads


def activation_values(model: nn.Module, x: torch.Tensor) -> list[np.ndarray]:
    """Each hidden layer's activations on batch `x`, flattened (B * width values), for histograms.

    A hidden layer is every weighted layer but the last, taken after its activation.
    """
    with torch.no_grad():
        blocks, _ = _forward(model, x)
    return [a.flatten().cpu().numpy() for _, a, _ in blocks[:-1]]


def gradient_values(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[np.ndarray]:
    """Each weighted layer's weight gradient of the cross-entropy loss on batch (`x`, `y`), flattened.

    One array per weighted layer, the output layer last.
    """
    _, grads = _weight_gradients(model, x, y)
    return [g.flatten().cpu().numpy() for g in grads]


def layer_statistics(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> pd.DataFrame:
    """One forward and backward pass (cross-entropy) on batch (`x`, `y`), summarized layer by layer.

    One row per weighted layer, `layer` counting from 1 at the input; the last row is the output layer.
    activation_mean, activation_std: of the layer's output after its activation (the logits for the
    output layer). saturated: the fraction of those values that are stuck at a bound, where the slope is
    near zero (sigmoid < 0.02 or > 0.98; tanh |a| > 0.98; ReLU exactly 0); NaN for the output layer and
    for other activations. weight_std: the std of the layer's weight. grad_norm: the L2 norm of the
    loss's gradient with respect to that weight.
    """
    blocks, grads = _weight_gradients(model, x, y)
    rows = []
    for i, ((layer, a, activation), g) in enumerate(zip(blocks, grads), start=1):
        a = a.detach()
        is_saturated = _SATURATED.get(type(activation)) if i < len(blocks) else None
        rows.append({
            "layer": i,
            "activation_mean": a.mean().item(),
            "activation_std": a.std().item(),
            "saturated": is_saturated(a).float().mean().item() if is_saturated else float("nan"),
            "weight_std": layer.weight.detach().std().item(),
            "grad_norm": g.norm().item(),
        })
    return pd.DataFrame(rows, columns=["layer", "activation_mean", "activation_std", "saturated", "weight_std",
                                       "grad_norm"])


# ----------------------------------------------------------------------------------------------
# Watching the layers as training proceeds

SNAPSHOT_EXAMPLES = 256  # the fixed batch every snapshot is measured on
SNAPSHOT_VALUES = 1000  # values kept per layer and snapshot: plenty for a histogram's shape, light to send


def standardize(dataset: Dataset) -> Dataset:
    """`dataset` with every input value (pixel) standardized by the training set's mean and spread at that
    position, as a network's inputs usually are; shapes are kept. Values that never vary stay 0."""
    mean, std = dataset.x_train.mean(0), dataset.x_train.std(0) + 1e-6
    return dataclasses.replace(dataset, name=f"{dataset.name}, standardized", x_train=(dataset.x_train - mean) / std,
                               x_test=(dataset.x_test - mean) / std, params={**dataset.params, "standardized": True})


def _thin(values: np.ndarray, count: int = SNAPSHOT_VALUES) -> np.ndarray:
    """At most `count` of `values`, evenly spaced, as float32."""
    values = np.asarray(values, dtype=np.float32)
    if len(values) > count:
        values = values[np.linspace(0, len(values) - 1, count).astype(int)]
    return values


def snapshot(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, epoch: int) -> dict:
    """The layers of `model` on batch (`x`, `y`) at one moment of training, small enough to send.

    {"epoch", "table": `layer_statistics` as a dict of lists, "activations" and "gradients": one
    float32 array per layer (at most SNAPSHOT_VALUES values each, for histograms)}.
    """
    was_training = model.training
    model.eval()
    table = layer_statistics(model, x, y)
    activations = [_thin(a) for a in activation_values(model, x)]
    gradients = [_thin(g) for g in gradient_values(model, x, y)]
    model.train(was_training)
    return {"epoch": epoch, "table": table.to_dict("list"), "activations": activations, "gradients": gradients}


def snapshot_table(snap: dict) -> pd.DataFrame:
    """A snapshot's per-layer table, as `layer_statistics` returns it."""
    return pd.DataFrame(snap["table"])


def norms_over_training(snapshots: list[dict], column: str = "grad_norm") -> pd.DataFrame:
    """One row per (epoch, layer) with `column` from each snapshot's table: epoch, layer, value."""
    rows = [{"epoch": s["epoch"], "layer": layer, "value": value}
            for s in snapshots for layer, value in zip(s["table"]["layer"], s["table"][column])]
    return pd.DataFrame(rows, columns=["epoch", "layer", "value"])


@register_trainer("layer_snapshots")
def layer_snapshots(ctx):
    """Plain training of a classifier that also sends a `snapshot` of its layers (series "snapshots")
    before training and after every epoch, measured on the first SNAPSHOT_EXAMPLES training examples.

    With `ctx.options["standardize"]` the inputs are standardized first (see `standardize`); done here
    rather than by the caller so that the job carries a reference to a registered dataset, not tensors.
    """
    if ctx.options.get("standardize"):
        ctx.dataset = standardize(ctx.dataset)
    x = ctx.dataset.x_train[:SNAPSHOT_EXAMPLES].to(ctx.device)
    y = ctx.dataset.y_train[:SNAPSHOT_EXAMPLES].to(ctx.device)

    def after_epoch(model, epoch):
        ctx.series("snapshots", snapshot(model, x, y, epoch=epoch))

    yield from supervised_loop(ctx, "classification", after_epoch=after_epoch)
