"""A small recurrent network unrolled over time: its forward pass and backpropagation through time (BPTT).

The network (input size 1, hidden size H, sequence length T)::

    a_t = W_x x_t + W_h h_{t-1} + b        h_0 = 0
    h_t = act(a_t)
    y_t = W_y h_t + c
    L   = ½ (y_T − target)²                the loss looks at the last output only

Because only the last step has a loss, the gradient reaching an earlier hidden state is a product of
per-step Jacobians, ∂L/∂h_t = J_{t+1}ᵀ ⋯ J_Tᵀ ∂L/∂h_T with J_t = ∂h_t/∂h_{t−1} = diag(act′(a_t)) W_h,
which is what makes it vanish or explode (Bengio, Simard & Frasconi 1994, "Learning long-term
dependencies with gradient descent is difficult"; Pascanu, Mikolov & Bengio 2013, "On the
difficulty of training recurrent neural networks", which also proposes clipping by the norm).

Everything is computed by hand in float64 with NumPy; `torch_reference` computes the same with
torch.autograd so the two can be shown side by side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import torch

from playground.activations import ACTIVATIONS

MIN_LENGTH, MAX_LENGTH = 3, 30
MIN_HIDDEN, MAX_HIDDEN = 2, 4
TARGET = 1.0  # what the last output should be
VANISHED, EXPLODED = 1e-6, 1e6  # gradient norms past these are called vanished / exploded
PARAMETERS = ("W_x", "W_h", "b", "W_y", "c")


def _sigmoid(a: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(a))  # exp of a negative number only: no overflow for large |a|
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


# name -> (act(a), act′(a) from a and act(a), act′ in words, the torch function)
_FUNCTIONS = {
    "tanh": (np.tanh, lambda a, h: 1 - h * h, "1 − tanh²(a), at most 1", torch.tanh),
    "sigmoid": (_sigmoid, lambda a, h: h * (1 - h), "σ(a)(1 − σ(a)), at most ¼", torch.sigmoid),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a, h: (a > 0).astype(float), "1 where a > 0, else 0",
             torch.relu),
    "linear": (lambda a: a.copy(), lambda a, h: np.ones_like(a), "always 1", lambda a: a),
    "leaky_relu": (lambda a: np.where(a > 0, a, 0.01 * a), lambda a, h: np.where(a > 0, 1.0, 0.01),
                   "1 where a > 0, else 0.01", torch.nn.functional.leaky_relu),
}
# The registry's activations this page knows the derivative of, in the registry's order.
ACTIVATION_NAMES: tuple[str, ...] = tuple(name for name in ACTIVATIONS if name in _FUNCTIONS)


def activation_label(name: str) -> str:
    """The activation's label for a widget ("ReLU", "linear")."""
    return ACTIVATIONS[name].label


def slope_rule(name: str) -> str:
    """The activation's derivative in words ("1 − tanh²(a), at most 1")."""
    return _FUNCTIONS[name][2]


@dataclasses.dataclass(frozen=True)
class RNN:
    """The weights and the input sequence of one small RNN (float64)."""

    w_x: np.ndarray  # (H, 1)
    w_h: np.ndarray  # (H, H): scale × an orthogonal matrix, so every singular value equals the scale
    b: np.ndarray  # (H,)
    w_y: np.ndarray  # (1, H)
    c: np.ndarray  # (1,)
    xs: np.ndarray  # (T, 1) the inputs x_1..x_T
    activation: str
    target: float = TARGET

    @property
    def length(self) -> int:
        return len(self.xs)

    @property
    def hidden_size(self) -> int:
        return len(self.b)

    def parameters(self) -> dict[str, np.ndarray]:
        """The weights by name, in `PARAMETERS` order."""
        return dict(zip(PARAMETERS, (self.w_x, self.w_h, self.b, self.w_y, self.c)))


def make_rnn(*, hidden: int = 3, length: int = 8, activation: str = "tanh", scale: float = 1.0,
             seed: int = 0) -> RNN:
    """A seeded RNN with W_h = `scale` × a fixed orthogonal matrix; ValueError for sizes out of range.

    The orthogonal matrix depends on `seed` and `hidden` only, and the inputs are the first `length`
    of a fixed seeded sequence, so changing the scale or the length changes nothing else.
    """
    if not MIN_HIDDEN <= hidden <= MAX_HIDDEN or not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"hidden size {MIN_HIDDEN}–{MAX_HIDDEN} and length {MIN_LENGTH}–{MAX_LENGTH} only")
    if activation not in _FUNCTIONS:
        raise ValueError(f"unknown activation {activation!r}; one of {', '.join(ACTIVATION_NAMES)}")
    if not np.isfinite(scale) or scale < 0:
        raise ValueError("the scale must be a finite number ≥ 0")
    rng = np.random.default_rng([seed, hidden])
    q, r = np.linalg.qr(rng.standard_normal((hidden, hidden)))
    q = q * np.sign(np.diag(r))  # a unique orthogonal matrix for the seed (QR's signs are arbitrary)
    w_x = rng.normal(0.0, 1.0, (hidden, 1))
    b = rng.normal(0.0, 0.1, hidden)
    w_y = rng.normal(0.0, 1.0, (1, hidden)) / np.sqrt(hidden)
    xs = np.random.default_rng([seed, 0]).normal(0.0, 1.0, (MAX_LENGTH, 1))[:length]
    return RNN(w_x=w_x, w_h=scale * q, b=b, w_y=w_y, c=np.zeros(1), xs=xs, activation=activation)


@dataclasses.dataclass(frozen=True)
class Forward:
    """Every value of the forward pass; index t − 1 holds step t (h also holds h_0 at index 0)."""

    pre: np.ndarray  # (T, H) a_t
    h: np.ndarray  # (T + 1, H) h_0 .. h_T
    y: np.ndarray  # (T,) y_t
    loss: float
    input_part: np.ndarray  # (T, H) W_x x_t
    recurrent_part: np.ndarray  # (T, H) W_h h_{t−1}


def forward(rnn: RNN) -> Forward:
    """Run the RNN over its inputs, keeping every pre-activation, hidden state and output."""
    act = _FUNCTIONS[rnn.activation][0]
    h = [np.zeros(rnn.hidden_size)]
    pre, input_part, recurrent_part = [], [], []
    for x in rnn.xs:
        input_part.append(rnn.w_x @ x)
        recurrent_part.append(rnn.w_h @ h[-1])
        pre.append(input_part[-1] + recurrent_part[-1] + rnn.b)
        h.append(act(pre[-1]))
    hs = np.array(h)
    y = (hs[1:] @ rnn.w_y.T)[:, 0] + rnn.c[0]
    return Forward(pre=np.array(pre), h=hs, y=y, loss=float(0.5 * (y[-1] - rnn.target) ** 2),
                   input_part=np.array(input_part), recurrent_part=np.array(recurrent_part))


@dataclasses.dataclass(frozen=True)
class Backward:
    """Backpropagation through time; index t − 1 holds step t."""

    dh: np.ndarray  # (T, H) ∂L/∂h_t
    slopes: np.ndarray  # (T, H) act′(a_t)
    jacobians: np.ndarray  # (T, H, H) J_t = ∂h_t/∂h_{t−1} = diag(act′(a_t)) W_h
    grads: dict[str, np.ndarray]  # ∂L/∂parameter, shaped as the parameter

    @property
    def norms(self) -> np.ndarray:
        """(T,) ‖∂L/∂h_t‖ (Euclidean)."""
        return np.linalg.norm(self.dh, axis=1)

    @property
    def jacobian_norms(self) -> np.ndarray:
        """(T,) the largest singular value of J_t: how much one step back can stretch a gradient."""
        return np.linalg.norm(self.jacobians, ord=2, axis=(1, 2))


def backward(rnn: RNN, fwd: Forward) -> Backward:
    """∂L/∂h_t for every t, walking from t = T down to 1, and the gradients of every weight."""
    slope = _FUNCTIONS[rnn.activation][1]
    slopes = slope(fwd.pre, fwd.h[1:])
    jacobians = slopes[:, :, None] * rnn.w_h[None]  # row i of W_h times act′(a_t)_i
    T = rnn.length
    error = fwd.y[-1] - rnn.target  # ∂L/∂y_T
    dh = np.zeros_like(fwd.pre)
    dh[T - 1] = error * rnn.w_y[0]
    for t in range(T - 1, 0, -1):  # dh[t - 1] is ∂L/∂h_t; it arrives from step t + 1
        dh[t - 1] = jacobians[t].T @ dh[t]
    da = slopes * dh  # (T, H) ∂L/∂a_t
    grads = {"W_x": da.T @ rnn.xs, "W_h": da.T @ fwd.h[:-1], "b": da.sum(axis=0),
             "W_y": error * fwd.h[-1][None, :], "c": np.array([error])}
    return Backward(dh=dh, slopes=slopes, jacobians=jacobians, grads=grads)


def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    """√(sum of every gradient's squared entries), the norm `clip_grad_norm_` measures."""
    return float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))


def clip_by_global_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> tuple[dict[str, np.ndarray], float]:
    """The gradients scaled down together so their global norm is at most `max_norm`, and the norm before.

    As `torch.nn.utils.clip_grad_norm_`: every gradient is multiplied by min(1, max_norm / (norm + 1e-6)),
    so their directions stay the same; gradients already small enough are left as they are.
    """
    total = global_norm(grads)
    factor = min(1.0, max_norm / (total + 1e-6))
    return {name: g * factor for name, g in grads.items()}, total


@dataclasses.dataclass(frozen=True)
class Reference:
    """The same gradients from torch.autograd; `clipped` after `clip_grad_norm_` (None when not asked)."""

    dh: np.ndarray  # (T, H)
    grads: dict[str, np.ndarray]
    loss: float
    clipped: dict[str, np.ndarray] | None
    total_norm: float  # what clip_grad_norm_ returned (the norm before clipping)


def torch_reference(rnn: RNN, *, max_norm: float | None = None) -> Reference:
    """Rebuild the RNN in torch (float64), call `backward()` on its loss and read every gradient.

    Each h_t keeps its gradient (`retain_grad`), so ∂L/∂h_t comes from autograd as well. With
    `max_norm`, the parameter gradients are then clipped by `torch.nn.utils.clip_grad_norm_`.
    """
    params = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
              for name, value in rnn.parameters().items()}
    act = _FUNCTIONS[rnn.activation][3]
    xs = torch.tensor(rnn.xs, dtype=torch.float64)
    h = torch.zeros(rnn.hidden_size, dtype=torch.float64)
    hs = []
    for x in xs:
        h = act(params["W_x"] @ x + params["W_h"] @ h + params["b"])
        h.retain_grad()
        hs.append(h)
    y = params["W_y"] @ h + params["c"]
    loss = 0.5 * ((y - rnn.target) ** 2).sum()
    loss.backward()
    grads = {name: p.grad.numpy().copy() for name, p in params.items()}
    clipped, total = None, float(torch.sqrt(sum((p.grad ** 2).sum() for p in params.values())))
    if max_norm is not None:
        total = float(torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm))
        clipped = {name: p.grad.numpy().copy() for name, p in params.items()}
    return Reference(dh=np.array([h.grad.numpy() for h in hs]), grads=grads, loss=float(loss.detach()), clipped=clipped,
                     total_norm=total)


def difference(manual, reference) -> float:
    """The largest |manual − reference| / max(1, |reference|) over all entries of two arrays or dicts of arrays.

    Relative for large numbers (an exploding gradient of 10¹² agrees to float64's precision, not to 1e-6
    absolutely), absolute for small ones.
    """
    if isinstance(manual, Mapping):
        return max((difference(manual[k], reference[k]) for k in manual), default=0.0)
    manual, reference = np.asarray(manual, dtype=float), np.asarray(reference, dtype=float)
    return float(np.max(np.abs(manual - reference) / np.maximum(1.0, np.abs(reference)), initial=0.0))


# ---- Walking through it, for a page -------------------------------------------------------------


def number(value: float) -> str:
    """A value with 4 significant digits and a true minus sign."""
    text = f"{value:.4g}"
    return "0" if text == "-0" else text.replace("-", "−").replace("e+", "e")


def where(position: int, length: int) -> tuple[str, int]:
    """("forward", t) for positions 1..T, ("backward", t) for T + 1..2T, walking t from T down to 1."""
    if not 1 <= position <= 2 * length:
        raise ValueError(f"position {position} is not from 1 to {2 * length}")
    if position <= length:
        return "forward", position
    return "backward", 2 * length + 1 - position


def step_rows(rnn: RNN, fwd: Forward, bwd: Backward, ref: Reference, position: int) -> list[dict]:
    """One row per hidden unit with the numbers of the step at `position` (see `where`)."""
    phase, t = where(position, rnn.length)
    rows = []
    for i in range(rnn.hidden_size):
        if phase == "forward":
            rows.append({"unit": i + 1, "W_x·x_t": fwd.input_part[t - 1, i],
                         "W_h·h_{t−1}": fwd.recurrent_part[t - 1, i], "b": rnn.b[i],
                         "a_t (the sum)": fwd.pre[t - 1, i], "h_t = act(a_t)": fwd.h[t, i]})
        else:
            row = {"unit": i + 1}
            if t < rnn.length:
                row["∂L/∂h_{t+1} (arriving)"] = bwd.dh[t, i]
                row["act′(a_{t+1})"] = bwd.slopes[t, i]
            row["∂L/∂h_t (this page)"] = bwd.dh[t - 1, i]
            row["∂L/∂h_t (torch.autograd)"] = ref.dh[t - 1, i]
            rows.append(row)
    return rows


def explain_step(rnn: RNN, fwd: Forward, bwd: Backward, position: int) -> str:
    """What happens at `position`, in words and numbers (markdown)."""
    phase, t = where(position, rnn.length)
    T = rnn.length
    if phase == "forward":
        text = (f"**Forward, step {t} of {T}.** The input x_{t} = {number(rnn.xs[t - 1, 0])} and the previous "
                f"hidden state h_{t - 1} are mixed: a_{t} = W_x·x_{t} + W_h·h_{t - 1} + b, then "
                f"h_{t} = act(a_{t}). The output is y_{t} = W_y·h_{t} + c = **{number(fwd.y[t - 1])}**.")
        if t == T:
            text += (f" This is the last step: the loss is L = ½(y_{T} − {number(rnn.target)})² = "
                     f"**{number(fwd.loss)}**. Press Next to send the gradient back.")
        return text
    if t == T:
        return (f"**Backward, step {T}.** The loss looks at the last output only, so the gradient starts here: "
                f"∂L/∂h_{T} = W_yᵀ·(y_{T} − target) = W_yᵀ·{number(fwd.y[-1] - rnn.target)}, "
                f"of length ‖∂L/∂h_{T}‖ = **{number(bwd.norms[-1])}**.")
    unrolled = (f"J_{T}ᵀ·∂L/∂h_{T}, one Jacobian so far." if t == T - 1
                else f"J_{t + 1}ᵀ ⋯ J_{T}ᵀ·∂L/∂h_{T}, a product of {T - t} Jacobians.")
    return (f"**Backward, step {t}.** ∂L/∂h_{t} = J_{t + 1}ᵀ·∂L/∂h_{t + 1}, where J_{t + 1} = ∂h_{t + 1}/∂h_{t} = "
            f"diag(act′(a_{t + 1}))·W_h. This step's Jacobian stretches a vector by at most "
            f"‖J_{t + 1}‖ = {number(bwd.jacobian_norms[t])}, so the length went from "
            f"{number(bwd.norms[t])} to **{number(bwd.norms[t - 1])}**. Unrolled: ∂L/∂h_{t} = {unrolled}")


def verdict(bwd: Backward) -> str:
    """How much the gradient shrank or grew from the last step back to the first, in one sentence."""
    first, last = bwd.norms[0], bwd.norms[-1]
    T = len(bwd.norms)
    if last == 0:
        return "The loss's gradient is exactly 0 at the last step, so nothing flows back."
    if first == 0:
        return ("‖∂L/∂h_1‖ = 0: the gradient is exactly 0 by the first step. Somewhere on the way back every "
                "unit had act′(a_t) = 0 (a ReLU that was off), and a product with a 0 stays 0.")
    ratio = first / last
    text = f"‖∂L/∂h_1‖ / ‖∂L/∂h_{T}‖ = {number(ratio)}: "
    if ratio < VANISHED:
        return text + "the gradient has **vanished**; the first inputs get almost no say in learning."
    if ratio < 0.5:
        return text + "the gradient **shrinks** going back; early steps learn slowly."
    if ratio > EXPLODED:
        return text + "the gradient has **exploded**; one update step would throw the weights far away."
    if ratio > 2:
        return text + "the gradient **grows** going back; updates become large and erratic."
    return text + "the gradient keeps roughly its size over these steps."


def gradient_rows(bwd: Backward, ref: Reference, clipped: Mapping[str, np.ndarray] | None = None) -> list[dict]:
    """One row per weight entry: this page's gradient, torch.autograd's, and (with clipping) both clipped."""
    rows = []
    for name in PARAMETERS:
        for index in np.ndindex(bwd.grads[name].shape):
            label = name + (f"[{', '.join(str(i + 1) for i in index)}]" if bwd.grads[name].size > 1 else "")
            row = {"weight": label, "∂L/∂weight (this page)": bwd.grads[name][index],
                   "torch.autograd": ref.grads[name][index]}
            if clipped is not None and ref.clipped is not None:
                row["clipped (this page)"] = clipped[name][index]
                row["clipped (clip_grad_norm_)"] = ref.clipped[name][index]
            rows.append(row)
    return rows


@dataclasses.dataclass
class Walk:
    """Everything the step-by-step page shows for one RNN: the forward pass, BPTT by hand, the same
    gradients from torch.autograd, the clipped gradients (None with clipping off) and their total norm
    before clipping, and the largest relative difference between the hand-made and autograd numbers."""

    rnn: RNN
    fwd: Forward
    bwd: Backward
    ref: Reference
    clipped: dict[str, np.ndarray] | None
    total: float | None
    gap: float


def walk(*, hidden: int, length: int, activation: str, scale: float, seed: int,
         max_norm: float | None = None) -> Walk:
    """Build the RNN, run it forward and back by hand and with autograd, clip when `max_norm` is given."""
    rnn = make_rnn(hidden=hidden, length=length, activation=activation, scale=scale, seed=seed)
    fwd = forward(rnn)
    bwd = backward(rnn, fwd)
    ref = torch_reference(rnn, max_norm=max_norm)
    clipped, total = clip_by_global_norm(bwd.grads, max_norm) if max_norm is not None else (None, None)
    gap = max(difference(bwd.dh, ref.dh), difference(bwd.grads, ref.grads),
              difference(clipped, ref.clipped) if clipped is not None else 0.0)
    return Walk(rnn, fwd, bwd, ref, clipped, total, gap)
