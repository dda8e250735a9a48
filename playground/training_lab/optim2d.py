"""Optimizers racing on 2-D loss surfaces: SGD, momentum, Nesterov, Adagrad, RMSprop, Adam and AdamW.

A `Surface` is a loss f(x, y) of two parameters that works elementwise on numpy arrays (for contour
plots) and on torch tensors (for autograd). `race` runs real `torch.optim` optimizers on a 2-element
float64 parameter from one shared start and records where each one goes; `adam_steps` redoes Adam by
hand, one update equation at a time, so a page can show m, v and their bias corrections at every step.
`network_slice` cuts a 2-D plane through the loss of a tiny trained XOR network, so students can see
that a real loss looks like the toy surfaces.

Registered surfaces (`SURFACES`, or `surface(name, **params)` for other parameters):

- "quadratic": 0.5·(x² + κ·y²), a bowl stretched κ times more steeply along y (κ = `condition`).
- "rosenbrock": (1 − x)² + 100·(y − x²)², unscaled; a curved valley with its minimum 0 at (1, 1).
- "saddle": x² − y² + 0.25·y⁴. The quartic floor keeps it bounded below, so it has two minima
  (0, ±√2) with value −1 instead of falling away forever; near the origin it is the plain saddle.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch

from playground.optimizers import OPTIMIZERS as _OPTIMIZERS
from playground.optimizers import optimizer_class
from playground.registry import Registry

__all__ = ["CONDITION_RANGE", "DEFAULT_LRS", "LEARNING_RATES", "MAX_COORDINATE", "NETWORK", "OPTIMIZERS", "SURFACES",
           "AdamState", "Surface", "Trajectory", "adam_steps", "network_slice", "race", "race_surface",
           "race_surface_label", "race_surfaces", "register_surface", "surface", "surface_grid"]

CONDITION_RANGE = (1.0, 100.0)  # κ of the quadratic: 1 is a round bowl, 100 a narrow ravine
# Past this distance from the origin a trajectory counts as diverged: it is far outside every plot,
# and a few more steps would overflow to inf anyway.
MAX_COORDINATE = 1e6

Extent = tuple[tuple[float, float], tuple[float, float]]


@dataclasses.dataclass(frozen=True)
class Surface:
    """A loss of two parameters and what is needed to plot it and start an optimizer on it.

    fn(x, y): elementwise on numpy arrays or torch tensors of one shape; returns the same kind.
    extent: ((xmin, xmax), (ymin, ymax)), the region worth plotting.
    start: the default starting point (x, y). minimum: a known minimiser (x, y), or None.
    """

    name: str
    label: str
    description: str
    fn: Callable
    extent: Extent
    start: tuple[float, float]
    minimum: tuple[float, float] | None = None
    params: dict = dataclasses.field(default_factory=dict)  # what `surface(name, **params)` was given


# name -> factory(**params) -> Surface; SURFACES holds each factory's default Surface.
_FACTORIES: Registry[Callable[..., Surface]] = Registry("surface")
SURFACES: dict[str, Surface] = {}


def register_surface(name: str) -> Callable:
    """Decorator: register a factory `(**params) -> Surface` under `name`; refuses duplicates."""

    def decorate(factory: Callable[..., Surface]) -> Callable[..., Surface]:
        _FACTORIES.add(name, factory)
        SURFACES[name] = factory()
        return factory

    return decorate


def surface(name: str, **params) -> Surface:
    """The registered surface `name` built with `params` (e.g. `surface("quadratic", condition=50)`)."""
    if name not in _FACTORIES:
        raise ValueError(f"unknown surface {name!r}; choose from {sorted(_FACTORIES)}")
    try:
        return _FACTORIES[name](**params)
    except TypeError as error:  # an unknown keyword
        raise ValueError(f"surface {name!r}: {error}") from None


@register_surface("quadratic")
def _quadratic(condition: float = 10.0) -> Surface:
    low, high = CONDITION_RANGE
    if not low <= condition <= high:
        raise ValueError(f"surface 'quadratic': condition must be in [{low:g}, {high:g}], got {condition}")
    kappa = float(condition)
    return Surface(
        name="quadratic", label=f"Ill-conditioned bowl (κ = {kappa:g})",
        description=f"A bowl {kappa:g} times steeper along y than along x: plain gradient descent zig-zags "
                    "across the steep direction while crawling along the flat one.",
        fn=lambda x, y: 0.5 * (x**2 + kappa * y**2),
        extent=((-2.5, 2.5), (-1.5, 1.5)), start=(-2.0, 1.0), minimum=(0.0, 0.0),
        params={"condition": kappa})


@register_surface("rosenbrock")
def _rosenbrock() -> Surface:
    return Surface(
        name="rosenbrock", label="Rosenbrock valley",
        description="A long, curved, nearly flat valley: finding the valley is easy, following it to the "
                    "minimum at (1, 1) is slow.",
        fn=lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        extent=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.5, 2.0), minimum=(1.0, 1.0))


@register_surface("saddle")
def _saddle() -> Surface:
    return Surface(
        name="saddle", label="Saddle point",
        description="Downhill along y but uphill along x: starting just off the ridge, the gradient is tiny "
                    "and an optimizer must notice the slope to escape.",
        fn=lambda x, y: x**2 - y**2 + 0.25 * y**4,
        # Barely off y = 0, where the gradient along y vanishes: escaping takes many steps.
        extent=((-2.0, 2.0), (-2.0, 2.0)), start=(-1.5, 0.01), minimum=(0.0, math.sqrt(2.0)))


# ---------------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------------

# name -> constructor(params, **options): `lr` and any other keyword go to the torch.optim class;
# one per entry of the optimizer registry (`playground.optimizers`), in its order.
OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {name: optimizer_class(name) for name in _OPTIMIZERS}
# The learning rates a race offers: half-decades from far too small to far too large for SGD.
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
# A learning rate that shows each optimizer at its best on the default quadratic; a starting point for sliders.
DEFAULT_LRS = {"sgd": 0.1, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.5, "rmsprop": 0.02, "adam": 0.1,
               "adamw": 0.1}


@dataclasses.dataclass
class Trajectory:
    """Where one optimizer went. points: (steps + 1, 2), start first. losses: (steps + 1,), f at each point.

    diverged_at: the first step whose point or loss was non-finite or beyond MAX_COORDINATE, else None.
    From that step on, `points` and `losses` repeat the last good point and its loss, so both arrays
    stay finite and keep their length.
    """

    name: str
    points: np.ndarray
    losses: np.ndarray
    diverged_at: int | None = None


def _loss_at(surf: Surface, point: np.ndarray) -> float:
    with torch.no_grad():
        return float(surf.fn(*torch.as_tensor(point, dtype=torch.float64)))


def _is_good(point: np.ndarray, loss: float) -> bool:
    return bool(np.all(np.isfinite(point)) and math.isfinite(loss) and np.max(np.abs(point)) <= MAX_COORDINATE)


def _run_one(surf: Surface, name: str, options: dict, steps: int, start: np.ndarray) -> Trajectory:
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = OPTIMIZERS[name]([theta], **options)
    points, losses = [start.copy()], [_loss_at(surf, start)]
    diverged_at = None
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        surf.fn(theta[0], theta[1]).backward()
        optimizer.step()
        point = theta.detach().numpy().copy()
        loss = _loss_at(surf, point)
        if not _is_good(point, loss):
            diverged_at = step
            break
        points.append(point)
        losses.append(loss)
    missing = steps + 1 - len(points)
    points += [points[-1]] * missing
    losses += [losses[-1]] * missing
    return Trajectory(name, np.array(points), np.array(losses), diverged_at)


def race(surf: Surface, optimizers: dict[str, dict], *, steps: int = 100,
         start: tuple[float, float] | None = None) -> dict[str, Trajectory]:
    """Run each optimizer `steps` times on `surf` from the same start; one `Trajectory` per name.

    optimizers: OPTIMIZERS name -> keyword arguments for its torch.optim class, e.g. {"adam": {"lr": 0.1}}.
    start: (x, y), default `surf.start`. Parameters are float64, so runs are reproducible and exact.
    """
    unknown = sorted(set(optimizers) - set(OPTIMIZERS))
    if unknown:
        raise ValueError(f"unknown optimizer(s) {unknown}; choose from {sorted(OPTIMIZERS)}")
    if steps < 0:
        raise ValueError(f"steps must be at least 0, got {steps}")
    first = np.array(surf.start if start is None else start, dtype=np.float64)
    return {name: _run_one(surf, name, dict(options), steps, first) for name, options in optimizers.items()}


def surface_grid(surf: Surface, resolution: int = 120, *, log: bool = False
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f over `surf.extent` for contour plots: xs (R,), ys (R,), Z (R, R) with Z[i, j] = f(xs[j], ys[i]).

    log: return log10(1 + Z − min Z) instead, which shows the floor of steep surfaces like Rosenbrock.
    """
    (xmin, xmax), (ymin, ymax) = surf.extent
    xs, ys = np.linspace(xmin, xmax, resolution), np.linspace(ymin, ymax, resolution)
    z = np.asarray(surf.fn(*np.meshgrid(xs, ys)), dtype=np.float64)  # meshgrid puts y on the rows
    if log:
        z = np.log10(1.0 + z - z.min())
    return xs, ys, z


# ---------------------------------------------------------------------------------------------
# Adam by hand
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class AdamState:
    """One Adam step t ≥ 1; every array is (2,). theta is the point after the step, grad the gradient before it.

    m, v: first and second moment estimates; m_hat, v_hat: the same divided by 1 − β^t; step: what was
    subtracted from theta.
    """

    t: int
    theta: np.ndarray
    grad: np.ndarray
    m: np.ndarray
    v: np.ndarray
    m_hat: np.ndarray
    v_hat: np.ndarray
    step: np.ndarray


def _gradient(surf: Surface, theta: np.ndarray) -> np.ndarray:
    point = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    surf.fn(point[0], point[1]).backward()
    return point.grad.numpy().copy()


def adam_steps(surf: Surface, *, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
               steps: int, start: tuple[float, float] | None = None) -> list[AdamState]:
    """Adam (Kingma & Ba, 2015, Algorithm 1) written out with numpy, one `AdamState` per step.

    g = ∇f(θ); m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; m̂ = m / (1 − β1^t); v̂ = v / (1 − β2^t);
    θ ← θ − lr·m̂ / (√v̂ + eps). Matches `torch.optim.Adam` with the same settings (the tests check it).
    """
    beta1, beta2 = betas
    theta = np.array(surf.start if start is None else start, dtype=np.float64)
    m, v = np.zeros(2), np.zeros(2)
    states = []
    for t in range(1, steps + 1):
        g = _gradient(surf, theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        # Both moments start at 0, so early on they are biased towards 0; dividing by 1 − β^t undoes that.
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        step = lr * m_hat / (np.sqrt(v_hat) + eps)
        theta = theta - step
        states.append(AdamState(t, theta.copy(), g, m.copy(), v.copy(), m_hat, v_hat, step))
    return states


# ---------------------------------------------------------------------------------------------
# A slice through a real network's loss
# ---------------------------------------------------------------------------------------------

_HIDDEN = 4  # a 2-4-2 tanh network: the smallest that reliably learns XOR
_SHAPES = ((_HIDDEN, 2), (_HIDDEN,), (2, _HIDDEN), (2,))  # W1, b1, W2, b2, as in nn.Linear


def _unflatten(theta: torch.Tensor) -> list[torch.Tensor]:
    """theta: (K, P) -> [W1 (K, H, 2), b1 (K, H), W2 (K, 2, H), b2 (K, 2)]."""
    parts, offset = [], 0
    for shape in _SHAPES:
        size = math.prod(shape)
        parts.append(theta[:, offset:offset + size].reshape(-1, *shape))
        offset += size
    return parts


def _mlp_losses(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of K networks at once. theta: (K, P), x: (N, 2), y: (N,) -> (K,)."""
    w1, b1, w2, b2 = _unflatten(theta)
    hidden = torch.tanh(x @ w1.transpose(1, 2) + b1[:, None, :])  # (K, N, H)
    logits = hidden @ w2.transpose(1, 2) + b2[:, None, :]  # (K, N, 2)
    log_probs = torch.log_softmax(logits, dim=-1)
    return -log_probs.gather(-1, y.expand(len(theta), -1)[..., None]).squeeze(-1).mean(dim=1)


@lru_cache(maxsize=4)
def _trained_xor(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Train the 2-4-2 network on XOR with full-batch Adam: (theta* (P,), x_train, y_train), float64."""
    from playground.data import TOY_EXTENT, load  # data is a lower layer; imported here to keep import light

    dataset = load("xor", seed=seed)
    x = dataset.x_train.to(torch.float64) / TOY_EXTENT  # inputs in [-1, 1], where tanh is not saturated
    y = dataset.y_train
    generator = torch.Generator().manual_seed(seed)
    # nn.Linear's default initialisation: uniform in ±1/√fan_in.
    bounds = [1 / math.sqrt(2)] * (_HIDDEN * 2 + _HIDDEN) + [1 / math.sqrt(_HIDDEN)] * (2 * _HIDDEN + 2)
    theta = (torch.rand(len(bounds), generator=generator, dtype=torch.float64) * 2 - 1) * torch.tensor(bounds)
    theta.requires_grad_(True)
    optimizer = torch.optim.Adam([theta], lr=0.05)
    for _ in range(600):
        optimizer.zero_grad()
        _mlp_losses(theta[None], x, y).sum().backward()
        optimizer.step()
    return theta.detach(), x, y


def _filter_normalised_direction(theta: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A Gaussian direction with each neuron's incoming weights scaled to that neuron's weight norm, biases 0.

    Li et al., "Visualizing the Loss Landscape of Neural Nets" (2018): this makes distances along the slice
    comparable to the sizes of the weights themselves.
    """
    direction = torch.randn(theta.shape, generator=generator, dtype=torch.float64)
    parts, weights = _unflatten(direction[None]), _unflatten(theta[None])
    for index in (0, 2):  # W1, W2: one row per neuron
        rows, own = parts[index][0], weights[index][0]
        rows *= own.norm(dim=1, keepdim=True) / rows.norm(dim=1, keepdim=True)
    for index in (1, 3):
        parts[index].zero_()
    return torch.cat([part.reshape(-1) for part in parts])


def network_slice(seed: int = 0) -> Surface:
    """The training loss of a 2-4-2 tanh network trained on XOR, on a plane through its trained weights.

    f(a, b) = loss(θ* + a·d1 + b·d2): θ* are the trained weights (cached per seed), d1 and d2 two seeded,
    filter-normalised random directions, so f(0, 0) is the trained network's training loss.
    fn works on numpy arrays and torch tensors of any shape; a grid is evaluated as one batch.
    """
    theta, x, y = _trained_xor(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    d1 = _filter_normalised_direction(theta, generator)
    d2 = _filter_normalised_direction(theta, generator)

    def fn(a, b):
        is_numpy = not isinstance(a, torch.Tensor)
        a_t, b_t = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
        shape = torch.broadcast_shapes(a_t.shape, b_t.shape)
        a_t, b_t = a_t.expand(shape).reshape(-1, 1), b_t.expand(shape).reshape(-1, 1)
        losses = _mlp_losses(theta + a_t * d1 + b_t * d2, x, y).reshape(shape)
        return losses.detach().numpy() if is_numpy else losses

    return Surface(
        name="network", label=f"XOR network slice (seed {seed})",
        description="The real training loss of a small network that learned XOR, seen along two random "
                    "directions through its trained weights, which sit at the centre.",
        fn=fn, extent=((-1.0, 1.0), (-1.0, 1.0)), start=(-0.8, 0.6), minimum=(0.0, 0.0), params={"seed": seed})


# ---------------------------------------------------------------------------------------------
# What a race runs on: the registered surfaces and the network slice, by name
# ---------------------------------------------------------------------------------------------

NETWORK = "network"  # the slice through a trained XOR network (`network_slice`), offered beside SURFACES
_NETWORK_LABEL = "slice of a small network's loss (XOR)"


def race_surfaces() -> tuple[str, ...]:
    """The names a race can run on: every registered surface, then NETWORK."""
    return (*SURFACES, NETWORK)


def race_surface(name: str, *, condition: float = 10.0, seed: int = 0) -> Surface:
    """The surface `name` of `race_surfaces()`; `condition` shapes the quadratic, `seed` the network slice."""
    if name == NETWORK:
        return network_slice(seed=seed)
    return surface(name, condition=condition) if name == "quadratic" else surface(name)


def race_surface_label(name: str, *, condition: float = 10.0) -> str:
    """The label of `race_surface(name, condition=...)`, without training the network slice to get it."""
    return _NETWORK_LABEL if name == NETWORK else race_surface(name, condition=condition).label
