"""Universal approximation: fit a 1-D function with one hidden layer of n units and take the fit apart.

The network is f(x) = Σᵢ vᵢ·g(wᵢ·x + bᵢ) + c with n hidden units. Each term vᵢ·g(wᵢ·x + bᵢ) is one
unit's scaled contribution; their sum plus c is the fit. The theorem (Cybenko, 1989; Hornik, 1991)
says a large enough n gets as close as we like to any continuous function on an interval; `fit`
shows how close n units get in practice.

All 3n + 1 parameters are trained together with the Levenberg–Marquardt method (Marquardt, 1963):
a least-squares variant of Newton's method that, for networks this small, reaches in a few dozen
steps what gradient descent needs thousands for. Hidden units start with random slopes and with
their centres −bᵢ/wᵢ spread over the interval; the output weights start at their least-squares
values. Fits for 2, 4, ..., 32 units on 200 points take about 0.3 s together.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from threadpoolctl import threadpool_limits

from playground.basics.backprop import BackpropError, evaluate

__all__ = ["ACTIVATIONS", "CHOICES", "DOMAIN", "FORMULA", "SIZES", "TARGETS", "Fit", "TargetError", "check_target",
           "fit", "fit_curves", "fit_sizes", "target_values"]

DOMAIN = (-3.0, 3.0)  # the interval x is drawn from
SIZES = (2, 4, 8, 16, 32)  # hidden-layer sizes compared on the page: each twice the one before
POINTS = 200


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# name -> (g, g')
ACTIVATIONS = {
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
}

# name -> (label, formula of x); the formulas use the same reader as the backpropagation page.
TARGETS: dict[str, tuple[str, str]] = {
    "sine": ("sine", "sin(pi * x)"),
    "step": ("step", "0 for x ≤ 0, 1 for x > 0"),
    "abs": ("absolute value", "abs(x)"),
    "bump": ("bump", "exp(-4 * x^2)"),
}


class TargetError(ValueError):
    """A typed target formula that cannot be used, with the reason."""


def target_values(target: str, x: np.ndarray) -> np.ndarray:
    """The target function at x: a name from TARGETS, or a formula of x (e.g. "x^3 - x")."""
    if target == "step":  # comparisons are not part of the formula language
        return np.where(x > 0, 1.0, 0.0)
    formula = TARGETS[target][1] if target in TARGETS else target
    try:
        y = evaluate(formula, {"x": x})
    except BackpropError as e:
        raise TargetError(str(e)) from None
    y = np.broadcast_to(y, x.shape).astype(float)
    if not np.all(np.isfinite(y)):
        raise TargetError(f"the formula is not a finite number everywhere on [{DOMAIN[0]:g}, {DOMAIN[1]:g}]")
    if np.max(np.abs(y)) > 1e6:
        raise TargetError("the formula's values are too large (above a million) to fit")
    return y


@dataclasses.dataclass(frozen=True)
class Fit:
    """A fitted network f(x) = Σᵢ vᵢ·g(wᵢ·x + bᵢ) + c and the data it was fitted to."""

    activation: str
    w: np.ndarray  # (n,) hidden slopes
    b: np.ndarray  # (n,) hidden biases
    v: np.ndarray  # (n,) output weights
    c: float  # output bias
    x: np.ndarray  # (POINTS,) where the target was sampled
    y: np.ndarray  # (POINTS,) target values there

    @property
    def n(self) -> int:
        return len(self.w)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """(n, len(x)): unit i's scaled output vᵢ·g(wᵢ·x + bᵢ)."""
        g, _ = ACTIVATIONS[self.activation]
        return self.v[:, None] * g(np.outer(self.w, x) + self.b[:, None])

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.contributions(x).sum(0) + self.c

    @property
    def rmse(self) -> float:
        """Root-mean-square error on the sampled points."""
        return float(np.sqrt(np.mean((self.predict(self.x) - self.y) ** 2)))


def _features(activation: str, w, b, x):
    g, dg = ACTIVATIONS[activation]
    z = np.outer(x, w) + b  # (points, n)
    return g(z), dg(z)


def fit(target: str, n: int, *, activation: str = "sigmoid", seed: int = 0, steps: int = 100,
        start: Fit | None = None) -> Fit:
    """Fit `n` hidden units to `target` (see `target_values`) on POINTS points of DOMAIN.

    `steps` Levenberg–Marquardt steps on all parameters; 0 leaves the random start, with output
    weights drawn at random too (the untrained network). With `start` (a fit of fewer units), its
    units are kept as they are and n − start.n new ones added with output weight 0, so training
    begins from the smaller network's error and can only lower it. Raises TargetError for an
    unusable formula.
    """
    x = np.linspace(*DOMAIN, POINTS)
    y = target_values(target, x)
    rng = np.random.default_rng([seed, n])
    width = DOMAIN[1] - DOMAIN[0]
    new = n - (start.n if start is not None else 0)
    # Slopes of about 8 units of z across the interval, so a unit bends over a part of it, and each
    # unit's centre at a random place inside the interval.
    w = rng.normal(0, 1, new) * 8 / width
    w = np.where(np.abs(w) < 0.1, 0.1, w)
    b = -w * rng.uniform(*DOMAIN, new)
    if steps == 0:
        return Fit(activation, w, b, rng.normal(0, 1, new), 0.0, x, y)
    with threadpool_limits(1, user_api="blas"):  # tiny matrices: threads only cost time on a busy machine
        if start is not None:
            theta = np.concatenate([start.w, w, start.b, b, start.v, np.zeros(new), [start.c]])
        else:
            h, _ = _features(activation, w, b, x)
            out = np.linalg.lstsq(np.column_stack([h, np.ones_like(x)]), y, rcond=None)[0]
            theta = np.concatenate([w, b, out])
        theta = _levenberg_marquardt(theta, activation, x, y, steps)
    return Fit(activation, theta[:n], theta[n:2 * n], theta[2 * n:3 * n], float(theta[3 * n]), x, y)


def _levenberg_marquardt(theta: np.ndarray, activation: str, x: np.ndarray, y: np.ndarray, steps: int) -> np.ndarray:
    """Up to `steps` accepted-or-rejected LM steps on the squared error; each accepted step lowers it."""
    n = (len(theta) - 1) // 3

    def residual_and_jacobian(theta):
        w, b, v, c = theta[:n], theta[n:2 * n], theta[2 * n:3 * n], theta[3 * n]
        h, dh = _features(activation, w, b, x)
        r = h @ v + c - y
        jac = np.column_stack([dh * v * x[:, None], dh * v, h, np.ones_like(x)])  # d r / d (w, b, v, c)
        return r, jac

    damping = 1e-3
    r, jac = residual_and_jacobian(theta)
    cost = r @ r
    for _ in range(steps):
        a = jac.T @ jac
        try:
            step = np.linalg.solve(a + damping * np.diag(np.diag(a) + 1e-9), -jac.T @ r)
        except np.linalg.LinAlgError:
            damping *= 4
            continue
        candidate = theta + step
        r_new, jac_new = residual_and_jacobian(candidate)
        new_cost = r_new @ r_new
        if np.isfinite(new_cost) and new_cost < cost:
            converged = cost - new_cost < 1e-10 * cost
            theta, r, jac, cost = candidate, r_new, jac_new, new_cost
            damping = max(damping / 3, 1e-9)
            if converged:
                break
        else:
            damping *= 4
            if damping > 1e8:
                break
    return theta


def fit_sizes(target: str, *, sizes=SIZES, activation: str = "sigmoid", seed: int = 0,
              steps: int = 100) -> dict[int, Fit]:
    """A fit for each hidden-layer size in `sizes` (increasing), same target, activation and seed.

    Each size is trained twice, from a fresh random start and from the previous size's network with
    new units added (see `fit`), and the better fit is kept: a larger network is never worse than a
    smaller one, as the theorem's "best possible" error would be. With `steps` = 0 each size is the
    untrained random network.
    """
    fits: dict[int, Fit] = {}
    previous = None
    for n in sizes:
        best = fit(target, n, activation=activation, seed=seed, steps=steps)
        if previous is not None and steps:
            grown = fit(target, n, activation=activation, seed=seed, steps=steps, start=previous)
            best = grown if grown.rmse < best.rmse else best
        fits[n] = previous = best
    return fits


# What the page offers: a named target, or the student's own formula of x.
FORMULA = "formula"
CHOICES = (*TARGETS, FORMULA)


def check_target(target: str) -> None:
    """Raise TargetError when `target` (a name in TARGETS or a formula of x) cannot be fitted on DOMAIN."""
    target_values(target, np.linspace(*DOMAIN, 5))


def fit_curves(fit: Fit, target: str, *, points: int = 400) -> dict[str, np.ndarray]:
    """A fit drawn over DOMAIN: "x" (points,), the "target", each unit's "contributions" (n, points)
    and the network's "prediction"."""
    x = np.linspace(*DOMAIN, points)
    return {"x": x, "target": target_values(target, x), "contributions": fit.contributions(x),
            "prediction": fit.predict(x)}
