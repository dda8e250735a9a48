"""A small-network engine in NumPy: fully connected networks on a few inputs, trained by hand-written
forward, backward and optimizer steps, fast enough for thousands of epochs a second.

PyTorch spends tens of microseconds of Python and dispatch per tiny operation; a 2-8-8-1 network on
a batch of 10 needs only a few dozen of them per step, so plain NumPy on preallocated arrays is
several times faster. The formulas are the lecture's:

- forward, layer l:  z = a_prev · W + b,  a = f(z)
- backward:          δ_L = ∂L/∂z_L;  ∂L/∂W = a_prevᵀ · δ;  ∂L/∂b = Σ_rows δ;  δ_prev = (δ · Wᵀ) ⊙ f'(z_prev)
- L2 adds rate·w to each weight's gradient (the penalty ½·rate·Σw²), L1 adds rate·sign(w)
  (the penalty rate·Σ|w|); biases are not regularized.
- SGD: w ← w − η·g.  Momentum: v ← μ·v + g, w ← w − η·v (PyTorch's form).
  RMSprop: s ← α·s + (1−α)·g², w ← w − η·g / (√s + ε).
  Adam (Kingma & Ba, 2015): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − η·m̂ / (√v̂ + ε) with
  m̂ = m / (1−β₁ᵗ), v̂ = v / (1−β₂ᵗ).

Storage: every layer's weights and bias live in one flat float64 array, layer l as a block shaped
(n_in + 1, n_out) whose last row is the bias. An input batch carries a column of ones, so one
matrix product computes z = a·W + b and one computes both ∂L/∂W and ∂L/∂b; an optimizer step is a
handful of operations on the whole flat array. `state_dict` / `from_state_dict` convert to PyTorch's
layout (`weight` shaped (n_out, n_in)) under the layer numbering of `playground.models`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from playground import activations

__all__ = ["ACTIVATIONS", "LOSSES", "OPTIMIZERS", "OUTPUTS", "LEAKY_SLOPE", "TinyNet", "TrainSettings", "data_loss",
           "Trainer", "add_ones", "init_params"]

ACTIVATIONS = tuple(activations.ACTIVATIONS)  # the activation registry: this engine computes each of them
OUTPUTS = ("sigmoid", "linear")  # a probability for classification, a number for regression
LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
LEAKY_SLOPE = 0.01  # PyTorch's default negative slope


def add_ones(x: np.ndarray) -> np.ndarray:
    """(N, F) inputs -> (N, F + 1) float64 with a last column of ones (the bias input)."""
    x = np.asarray(x, dtype=np.float64)
    return np.concatenate([x, np.ones((len(x), 1))], axis=1)


def init_params(sizes: tuple[int, ...], rng: np.random.Generator) -> list[np.ndarray]:
    """Fresh (n_in + 1, n_out) blocks, weights and biases uniform in ±1/√n_in (PyTorch's nn.Linear default)."""
    blocks = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / math.sqrt(n_in)
        blocks.append(rng.uniform(-bound, bound, (n_in + 1, n_out)))
    return blocks


def _activate(name: str, z: np.ndarray, out: np.ndarray) -> None:
    """out = f(z), elementwise; `out` may be a strided view."""
    if name == "tanh":
        np.tanh(z, out=out)
    elif name == "relu":
        np.maximum(z, 0.0, out=out)
    elif name == "sigmoid":
        # σ(z) = ½·tanh(z/2) + ½: never overflows, unlike 1 / (1 + e^−z) for large negative z.
        np.multiply(z, 0.5, out=out)
        np.tanh(out, out=out)
        np.multiply(out, 0.5, out=out)
        np.add(out, 0.5, out=out)
    elif name == "leaky_relu":
        np.maximum(z, z * LEAKY_SLOPE, out=out)  # a temporary, so that `out` may be `z` itself
    else:
        out[...] = z


class TinyNet:
    """A fully connected network: `sizes` (n_inputs, hidden..., 1), one activation per hidden layer.

    `params` is the flat float64 array; `blocks[l]` the (n_in + 1, n_out) view of layer l (last row: bias).
    """

    def __init__(self, sizes: tuple[int, ...], activations: tuple[str, ...], *, output: str = "sigmoid",
                 blocks: list[np.ndarray] | None = None, seed: int = 0):
        sizes, activations = tuple(int(s) for s in sizes), tuple(activations)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least an input and an output size, all positive; got {sizes}")
        if len(activations) != len(sizes) - 2:
            raise ValueError(f"one activation per hidden layer: {len(sizes) - 2} needed, got {len(activations)}")
        for name in activations:
            if name not in ACTIVATIONS:
                raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}")
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")
        self.sizes, self.activations, self.output = sizes, activations, output
        shapes = [(n_in + 1, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.offsets = np.cumsum([0] + [a * b for a, b in shapes]).tolist()
        self.params = np.zeros(self.offsets[-1])
        self.blocks = [self.params[o:o + a * b].reshape(a, b) for o, (a, b) in zip(self.offsets, shapes)]
        # 1 where a parameter is a weight, 0 where it is a bias: regularization skips biases.
        self.weight_mask = np.ones_like(self.params)
        for block in self._views(self.weight_mask):
            block[-1] = 0.0
        self.set_blocks(blocks if blocks is not None else init_params(sizes, np.random.default_rng(seed)))

    def _views(self, flat: np.ndarray) -> list[np.ndarray]:
        return [flat[o:o + b.size].reshape(b.shape) for o, b in zip(self.offsets, self.blocks)]

    @property
    def layer_functions(self) -> tuple[str, ...]:
        """The function each layer applies: the hidden activations, then the output's."""
        return (*self.activations, self.output)

    def set_blocks(self, blocks: list[np.ndarray]) -> None:
        """Copy (n_in + 1, n_out) blocks into the parameters."""
        if len(blocks) != len(self.blocks):
            raise ValueError(f"{len(self.blocks)} layers expected, got {len(blocks)}")
        for mine, new in zip(self.blocks, blocks):
            new = np.asarray(new, dtype=np.float64)
            if new.shape != mine.shape:
                raise ValueError(f"a layer block must have shape {mine.shape}, got {new.shape}")
            mine[...] = new

    def copy(self) -> TinyNet:
        return TinyNet(self.sizes, self.activations, output=self.output, blocks=[b.copy() for b in self.blocks])

    # -- PyTorch's layout -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """{"0.weight": (n_out, n_in), "0.bias": (n_out,), "2.weight": ...}: the keys of the
        `playground.models` network with a linear layer and an activation layer per hidden layer."""
        state = {}
        for k, block in enumerate(self.blocks):
            state[f"{2 * k}.weight"] = block[:-1].T.copy()
            state[f"{2 * k}.bias"] = block[-1].copy()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Set the parameters from a `state_dict`-shaped mapping (NumPy arrays or tensors)."""
        blocks = []
        for k in range(len(self.blocks)):
            weight = np.asarray(state[f"{2 * k}.weight"], dtype=np.float64)
            bias = np.asarray(state[f"{2 * k}.bias"], dtype=np.float64)
            blocks.append(np.vstack([weight.T, bias[None, :]]))
        self.set_blocks(blocks)

    # -- evaluation ---------------------------------------------------------------------------------

    def forward_all(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's output for (N, n_inputs) inputs: a list of (N, n_l) arrays, the output last."""
        a = np.asarray(x, dtype=np.float64)
        outputs = []
        for block, name in zip(self.blocks, self.layer_functions):
            z = a @ block[:-1] + block[-1]
            _activate(name, z, z)
            outputs.append(z)
            a = z
        return outputs

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(N,) outputs: the probability of class 1, or the predicted number."""
        return self.forward_all(x)[-1][:, 0]

    def loss(self, x: np.ndarray, y: np.ndarray, loss: str) -> float:
        """Mean data loss (no regularization) on (N, n_inputs) inputs and (N,) targets."""
        return data_loss(self.predict(x), y, loss)


def data_loss(prediction: np.ndarray, y: np.ndarray, loss: str) -> float:
    """Mean binary cross-entropy of probabilities, or mean squared error; (N,) arrays in."""
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if loss == "cross_entropy":
        p = np.clip(prediction, 1e-12, 1 - 1e-12)  # PyTorch clamps log terms at −100; this is as safe
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))
    return float(np.mean((prediction - y) ** 2))


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """How a `Trainer` updates the network."""

    loss: str = "cross_entropy"
    optimizer: str = "sgd"
    lr: float = 0.03
    l1: float = 0.0  # rate of the penalty rate·Σ|w|
    l2: float = 0.0  # rate of the penalty ½·rate·Σw²
    momentum: float = 0.9
    rmsprop_alpha: float = 0.99  # PyTorch's default
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8

    def validate(self) -> TrainSettings:
        """Return self, or raise ValueError naming the first bad setting."""
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if not (0 < self.lr <= 10):
            raise ValueError(f"learning rate must be above 0 and at most 10, got {self.lr}")
        if self.l1 < 0 or self.l2 < 0:
            raise ValueError("regularization rates cannot be negative")
        return self


class Trainer:
    """Minibatch updates of a `TinyNet` in place, with buffers kept between steps.

    `step(x, y)` takes a batch of (B, n_inputs + 1) inputs whose last column is ones (see `add_ones`)
    and (B, 1) float64 targets, and returns nothing: the loss is not needed to update.
    """

    def __init__(self, net: TinyNet, settings: TrainSettings):
        self.net, self.settings = net, settings.validate()
        if settings.loss == "cross_entropy" and net.output != "sigmoid":
            raise ValueError("cross-entropy needs a sigmoid output (a probability)")
        n = net.params.size
        self.grad = np.zeros(n)
        self.grad_blocks = net._views(self.grad)
        self._tmp = np.zeros(n)
        self._m = np.zeros(n)  # momentum's velocity, RMSprop's and Adam's first moment
        self._v = np.zeros(n)  # Adam's second moment, RMSprop's running square
        self.t = 0  # optimizer steps taken
        self._buffers: dict[int, tuple] = {}
        self._w_views = [b[:-1] for b in net.blocks]  # weights without the bias row, for δ·Wᵀ

    def _batch_buffers(self, b: int) -> tuple:
        """Preallocated arrays for a batch of `b`: layer outputs with a ones column, and deltas."""
        if b not in self._buffers:
            sizes = self.net.sizes
            # acts[l]: input of layer l, (b, n_l + 1), last column ones.
            acts = [np.ones((b, n + 1)) for n in sizes[:-1]]
            zs = [np.zeros((b, n)) for n in sizes[1:]]
            deltas = [np.zeros((b, n)) for n in sizes[1:]]
            scratch = [np.zeros((b, n)) for n in sizes[1:]]
            views = [a[:, :-1] for a in acts]
            self._buffers[b] = (acts, zs, deltas, scratch, views, np.zeros((b, sizes[-1])))
        return self._buffers[b]

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        """One update on the batch (x: (B, n_inputs + 1) with ones last, y: (B, 1))."""
        b = x.shape[0]
        acts, zs, deltas, scratch, views, out = self._batch_buffers(b)
        net = self.net
        blocks, functions = net.blocks, net.layer_functions
        last = len(blocks) - 1
        acts = [x, *acts[1:]]  # the batch itself is layer 0's input (its ones column included)
        # Forward: z_k = a_k · W_k (bias included), a_{k+1} = f(z_k).
        for k in range(last):
            np.dot(acts[k], blocks[k], out=zs[k])
            _activate(functions[k], zs[k], views[k + 1])
        np.dot(acts[last], blocks[last], out=zs[last])
        _activate(functions[last], zs[last], out)
        # ∂L/∂z at the output, for the mean loss over the batch.
        delta = deltas[last]
        np.subtract(out, y, out=delta)
        if self.settings.loss == "mse":
            np.multiply(delta, 2.0 / b, out=delta)
            if net.output == "sigmoid":  # chain through σ'(z) = σ(1 − σ)
                s = scratch[last]
                np.subtract(1.0, out, out=s)
                np.multiply(s, out, out=s)
                np.multiply(delta, s, out=delta)
        else:  # sigmoid + cross-entropy: ∂L/∂z = (p − y) / B
            np.multiply(delta, 1.0 / b, out=delta)
        # Backward: ∂L/∂W_k = a_kᵀ · δ_k, δ_{k−1} = (δ_k · W_kᵀ) ⊙ f'(z_{k−1}).
        for k in range(last, -1, -1):
            np.dot(acts[k].T, deltas[k], out=self.grad_blocks[k])
            if k == 0:
                break
            previous = deltas[k - 1]
            np.dot(deltas[k], self._w_views[k].T, out=previous)
            self._times_derivative(functions[k - 1], previous, zs[k - 1], views[k], scratch[k - 1])
        self._regularize()
        self._update()

    @staticmethod
    def _times_derivative(name: str, delta: np.ndarray, z: np.ndarray, a: np.ndarray, s: np.ndarray) -> None:
        """delta ⊙= f'(z), using the layer's output a = f(z) where that is cheaper."""
        if name == "tanh":  # 1 − a²
            np.multiply(a, a, out=s)
            np.subtract(1.0, s, out=s)
            np.multiply(delta, s, out=delta)
        elif name == "relu":  # 1 where z > 0, else 0 (PyTorch's choice at 0)
            np.greater(z, 0.0, out=s)
            np.multiply(delta, s, out=delta)
        elif name == "sigmoid":  # a (1 − a)
            np.subtract(1.0, a, out=s)
            np.multiply(s, a, out=s)
            np.multiply(delta, s, out=delta)
        elif name == "leaky_relu":  # 1 where z > 0, else the slope
            np.greater(z, 0.0, out=s)
            np.multiply(s, 1.0 - LEAKY_SLOPE, out=s)
            np.add(s, LEAKY_SLOPE, out=s)
            np.multiply(delta, s, out=delta)

    def _regularize(self) -> None:
        settings, params, grad, tmp = self.settings, self.net.params, self.grad, self._tmp
        mask = self.net.weight_mask
        if settings.l2:
            np.multiply(params, settings.l2, out=tmp)
            np.multiply(tmp, mask, out=tmp)
            np.add(grad, tmp, out=grad)
        if settings.l1:
            np.sign(params, out=tmp)
            np.multiply(tmp, settings.l1, out=tmp)
            np.multiply(tmp, mask, out=tmp)
            np.add(grad, tmp, out=grad)

    def _update(self) -> None:
        settings, params, g, tmp, m, v = self.settings, self.net.params, self.grad, self._tmp, self._m, self._v
        lr = settings.lr
        self.t += 1
        name = settings.optimizer
        if name == "sgd":
            np.multiply(g, lr, out=tmp)
        elif name == "momentum":
            np.multiply(m, settings.momentum, out=m)
            np.add(m, g, out=m)
            np.multiply(m, lr, out=tmp)
        elif name == "rmsprop":
            alpha = settings.rmsprop_alpha
            np.multiply(v, alpha, out=v)
            np.multiply(g, g, out=tmp)
            np.multiply(tmp, 1.0 - alpha, out=tmp)
            np.add(v, tmp, out=v)
            np.sqrt(v, out=tmp)
            np.add(tmp, settings.eps, out=tmp)
            np.divide(g, tmp, out=tmp)
            np.multiply(tmp, lr, out=tmp)
        else:  # adam
            beta1, beta2 = settings.betas
            np.multiply(m, beta1, out=m)
            np.multiply(g, 1.0 - beta1, out=tmp)
            np.add(m, tmp, out=m)
            np.multiply(v, beta2, out=v)
            np.multiply(g, g, out=tmp)
            np.multiply(tmp, 1.0 - beta2, out=tmp)
            np.add(v, tmp, out=v)
            # η·m̂ / (√v̂ + ε) with m̂ = m / (1 − β₁ᵗ) and √v̂ = √v / √(1 − β₂ᵗ).
            correction1 = 1.0 - beta1 ** self.t
            root_correction2 = math.sqrt(1.0 - beta2 ** self.t)
            np.sqrt(v, out=tmp)
            np.multiply(tmp, 1.0 / root_correction2, out=tmp)
            np.add(tmp, settings.eps, out=tmp)
            np.divide(m, tmp, out=tmp)
            np.multiply(tmp, lr / correction1, out=tmp)
        np.subtract(params, tmp, out=params)
