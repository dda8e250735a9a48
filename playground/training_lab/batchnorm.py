"""Batch normalization (Ioffe & Szegedy, 2015, "Batch Normalization: Accelerating Deep Network
Training by Reducing Internal Covariate Shift"): what it does to each layer's values, and how its
train and eval modes differ.

In train mode a batch-norm layer standardizes each unit with the mean and variance of the current
batch, and keeps running averages of them; in eval mode it uses those running averages instead, so
an example's output no longer depends on the other examples in its batch.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import torch
from torch import nn

_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)

# The comparison's settings: saturating activations first, where batch norm helps most.
ACTIVATIONS = ("sigmoid", "tanh", "relu")
DEPTH_RANGE = (2, 12)  # hidden layers of 64 units
RATES = (0.01, 0.03, 0.1, 0.3)  # plain SGD's learning rates
EPOCH_CHOICES = (5, 10, 20)


def add_batchnorm(spec: dict) -> dict:
    """A copy of `spec` with a batch-norm layer after every linear layer but the last (before its activation)."""
    layers = spec["layers"]
    linear = [i for i, layer in enumerate(layers) if layer["type"] == "linear"]
    hidden = set(linear[:-1])
    out: list[dict] = []
    for i, layer in enumerate(layers):
        out.append(dict(layer))
        if i in hidden:
            out.append({"type": "batchnorm"})
    return {**spec, "layers": out}


def norm_layers(model: nn.Module) -> list[nn.Module]:
    """The batch-norm layers of `model`, input side first."""
    return [m for m in model.modules() if isinstance(m, _NORMS)]


def _flat(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    spec = getattr(model, "spec", None)
    if spec is not None and len(spec["input_shape"]) == 1 and x.dim() > 2:
        return x.reshape(len(x), -1)
    return x


@dataclasses.dataclass
class NormValues:
    """One batch-norm layer's values on a batch: what goes in, what comes out (both (B, units))."""

    layer: int  # 1 for the first batch-norm layer
    before: np.ndarray
    after: np.ndarray


def normalization_values(model: nn.Module, x: torch.Tensor, *, train_mode: bool = True) -> list[NormValues]:
    """Each batch-norm layer's input and output on batch `x` (B, *input_shape), in train mode (batch
    statistics) or eval mode (running statistics). The model's own running statistics are not changed."""
    probe = copy.deepcopy(model)
    probe.train(train_mode)
    found: list[NormValues] = []
    x = _flat(probe, x)
    with torch.no_grad():
        for layer in probe:
            y = layer(x)
            if isinstance(layer, _NORMS):
                found.append(NormValues(len(found) + 1, x.reshape(len(x), -1).numpy(), y.reshape(len(y), -1).numpy()))
            x = y
    return found


def batch_statistics(model: nn.Module, x: torch.Tensor, *, layer: int = 1) -> pd.DataFrame:
    """For batch-norm layer `layer` (1 = first): per unit, the mean and variance of its input on batch `x`
    next to the running mean and variance it keeps for eval mode.

    Columns: unit, batch_mean, running_mean, batch_var, running_var. The batch variance is the biased
    one (divided by B), as train mode normalizes with it.
    """
    values = normalization_values(model, x, train_mode=False)
    if not 1 <= layer <= len(values):
        raise ValueError(f"layer must be from 1 to {len(values)}, got {layer}")
    before = values[layer - 1].before
    norm = norm_layers(model)[layer - 1]
    return pd.DataFrame({
        "unit": np.arange(1, before.shape[1] + 1),
        "batch_mean": before.mean(0),
        "running_mean": norm.running_mean.numpy(),
        "batch_var": before.var(0),
        "running_var": norm.running_var.numpy(),
    })


@dataclasses.dataclass
class ModeOutputs:
    """One example's class probabilities in eval mode and in train mode with two different batches."""

    eval_mode: np.ndarray  # (classes,)
    train_batch_a: np.ndarray  # (classes,), the example in batch a
    train_batch_b: np.ndarray  # (classes,), the same example in batch b

    @property
    def batch_effect(self) -> float:
        """The largest change of any class's probability between the two batches, in train mode."""
        return float(np.abs(self.train_batch_a - self.train_batch_b).max())


def mean_gap(stats: pd.DataFrame) -> float:
    """How far, on average over the units of `batch_statistics`, a batch's mean is from the running mean."""
    return float((stats["batch_mean"] - stats["running_mean"]).abs().mean())


def mode_outputs(model: nn.Module, example: torch.Tensor, batch_a: torch.Tensor, batch_b: torch.Tensor) -> ModeOutputs:
    """The class probabilities for `example` (one input, *input_shape) in eval mode, and in train mode as
    the first member of `batch_a` and of `batch_b` (each (B, *input_shape)): in train mode the answer
    depends on the batch. The model is left as it was (a copy runs in train mode)."""
    probe = copy.deepcopy(model)
    with torch.no_grad():
        probe.eval()
        eval_probs = probe(example[None]).softmax(1)[0]
        probe.train()
        a = probe(torch.cat([example[None], batch_a])).softmax(1)[0]
        b = probe(torch.cat([example[None], batch_b])).softmax(1)[0]
    return ModeOutputs(eval_probs.numpy(), a.numpy(), b.numpy())
