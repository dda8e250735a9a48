"""Weight initialization, and the vanishing and exploding signals a poor one causes in deep networks.

`initialize` re-draws every linear and convolution weight by one of the schemes in `INITS`.
`layer_statistics` runs one forward and backward pass and tabulates, layer by layer, how the
activations and the weight gradients grow or shrink with depth: the lecture's argument for
Xavier/Glorot (Glorot & Bengio, 2010, "Understanding the difficulty of training deep feedforward
neural networks") and He/Kaiming (He et al., 2015, "Delving Deep into Rectifiers") initialization.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

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
                  outputs: int = 10) -> dict:
    """A spec of `depth` hidden linear layers of `width` neurons, each followed by `activation`, then
    a linear output layer of `outputs` neurons; the input is flat, `inputs` numbers per example.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    layers: list[dict] = []
    for _ in range(depth):
        layers += [{"type": "linear", "out_features": width}, {"type": activation}]
    layers.append({"type": "linear", "out_features": outputs})
    return {"input_shape": [inputs], "layers": layers}


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
