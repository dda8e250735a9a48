"""Dropout (Srivastava et al., 2014, "Dropout: A Simple Way to Prevent Neural Networks from
Overfitting"): which units a mask switches off, and dropout as averaging over many thinned networks.

In train mode every dropout layer zeroes each value with probability p and multiplies the rest by
1 / (1 − p), a new random mask for every example and every pass. In eval mode it passes values
through unchanged, which approximates the average prediction of all the thinned networks.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import torch
from torch import nn

from playground.data import TOY_EXTENT

RATES = (0.1, 0.2, 0.3, 0.5, 0.7)  # dropout probabilities worth comparing: from gentle to most units off
EPOCH_CHOICES = (50, 100, 150)  # on 100 noisy XOR points: long enough for the plain network to memorize them
PASSES_RANGE = (10, 1000)  # train-mode passes averaged: few show the spread, many the mean


def add_dropout(spec: dict, p: float) -> dict:
    """A copy of `spec` with a dropout layer (probability `p`) after every hidden layer's activation,
    that is after each layer that directly follows a linear layer other than the last one."""
    layers = spec["layers"]
    linear = [i for i, layer in enumerate(layers) if layer["type"] == "linear"]
    after = {i + 1 for i in linear[:-1]}
    out: list[dict] = []
    for i, layer in enumerate(layers):
        out.append(dict(layer))
        if i in after:
            out.append({"type": "dropout", "p": float(p)})
    return {**spec, "layers": out}


def gap(history: pd.DataFrame, *, last: int = 5) -> float:
    """Training accuracy minus validation accuracy, averaged over the `last` epochs of `history`:
    how much better the network does on examples it has seen than on new ones."""
    tail = history.iloc[-last:]
    return float((tail["train_acc"] - tail["val_acc"]).mean())


@dataclasses.dataclass
class LayerMask:
    """One dropout layer on one input: its values coming in (units,) and which units the mask kept."""

    layer: int  # 1 for the first dropout layer
    p: float
    values: np.ndarray  # float (units,)
    kept: np.ndarray  # bool (units,)


def switched_off(masks: list[LayerMask]) -> tuple[int, int]:
    """How many hidden units `masks` switched off, and how many units they cover, over all layers."""
    return sum(int((~m.kept).sum()) for m in masks), sum(len(m.kept) for m in masks)


def dropout_masks(model: nn.Module, x: torch.Tensor, *, seed: int = 0) -> list[LayerMask]:
    """Pass one input `x` (*input_shape) through `model` as in training, with masks drawn from `seed`.

    Returns one LayerMask per dropout layer, input side first. The same seed gives the same masks;
    the model itself is not changed and the global random state is not used.
    """
    generator = torch.Generator().manual_seed(seed)
    found: list[LayerMask] = []
    h = x[None]
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, nn.Dropout):
                kept = torch.rand(h.shape, generator=generator) >= layer.p
                found.append(LayerMask(len(found) + 1, layer.p, h[0].flatten().numpy().copy(),
                                       kept[0].flatten().numpy()))
                h = h * kept / (1 - layer.p)
            else:
                h = layer(h)
    return found


@dataclasses.dataclass
class Averaging:
    """Many train-mode (dropout on) predictions for one input, and the single eval-mode one."""

    samples: np.ndarray  # (passes, classes): class probabilities of each pass
    eval_mode: np.ndarray  # (classes,)

    @property
    def mean(self) -> np.ndarray:
        return self.samples.mean(0)

    @property
    def spread(self) -> np.ndarray:
        """The standard deviation of each class's probability over the passes."""
        return self.samples.std(0)

    @property
    def difference(self) -> float:
        """The largest gap between the passes' mean and the eval-mode prediction, over the classes."""
        return float(np.abs(self.mean - self.eval_mode).max())


def average_predictions(model: nn.Module, x: torch.Tensor, *, passes: int = 200, seed: int = 0) -> Averaging:
    """Class probabilities for one input `x` (*input_shape) from `passes` train-mode passes, each with
    its own dropout masks (drawn from `seed`), and from one eval-mode pass. The model is left in eval mode."""
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model.train()
        samples = model(x[None].expand(passes, *x.shape)).softmax(1)  # one mask per row
        model.eval()
        eval_probs = model(x[None]).softmax(1)[0]
    return Averaging(samples.numpy(), eval_probs.numpy())


def probability_grid(model: nn.Module, *, resolution: int = 60, extent: float = TOY_EXTENT,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 2-D classifier's probability of class 1 over a square grid (eval mode).

    Returns xs (resolution,), ys (resolution,) and values (resolution, resolution), row i at ys[i].
    """
    xs = np.linspace(-extent, extent, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, xs)
    points = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1))
    model.eval()
    with torch.no_grad():
        values = model(points).softmax(1)[:, 1].reshape(resolution, resolution).numpy()
    return xs, xs, values
