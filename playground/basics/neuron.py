"""One artificial neuron: activation functions, its output over the input plane, the perceptron rule, XOR.

A neuron with two inputs computes y = g(w₁·x₁ + w₂·x₂ + b) for an activation g from `ACTIVATIONS`.
`perceptron` replays Rosenblatt's learning rule (Rosenblatt, "The perceptron", 1958) point by point
on AND, OR or XOR: it stops when an epoch makes no mistake, or when the weights at the start of an
epoch repeat, which proves that it would cycle forever (XOR is not linearly separable, Minsky &
Papert, 1969). `xor_network` trains a 2-2-1 network on XOR by gradient descent and `hidden_points`
gives the four points' coordinates in its hidden layer, where one line separates them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

__all__ = ["ACTIVATIONS", "GATES", "SATURATION_FRACTION", "XOR_MODES", "Activation", "PerceptronRun",
           "PerceptronStep", "XorNetwork", "activation_curve", "decision_line", "explain_step", "hand_xor_network",
           "hidden_extent", "hidden_points", "neuron_grid", "output_grid", "perceptron", "saturated_intervals",
           "steps_table", "weight_history", "weights_after", "xor_network", "xor_table"]

LEAKY_SLOPE = 0.01  # PyTorch's default negative slope for leaky ReLU
# A region counts as saturated where the slope is below this fraction of the function's largest
# slope: there a gradient passing through the neuron is cut to a twentieth or less.
SATURATION_FRACTION = 0.05


def _sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@dataclasses.dataclass(frozen=True)
class Activation:
    """An activation function g, its derivative g', and a short description for students."""

    label: str
    fn: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    threshold: float  # the output at z = 0: where the decision line of the plane lies
    description: str


ACTIVATIONS: dict[str, Activation] = {
    "step": Activation("step", lambda z: np.where(np.asarray(z) >= 0, 1.0, 0.0),
                       lambda z: np.zeros_like(np.asarray(z, dtype=float)), 1.0,
                       "0 below zero, 1 from zero on. Its slope is 0 everywhere (and undefined at 0), so "
                       "gradient descent gets no signal: the perceptron rule trains it instead."),
    "sigmoid": Activation("sigmoid", _sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z)), 0.5,
                          "Squashes any number into (0, 1). Its slope is at most 0.25 (at 0) and almost 0 "
                          "for large |z|: a saturated sigmoid barely passes gradients back."),
    "tanh": Activation("tanh", np.tanh, lambda z: 1 - np.tanh(z) ** 2, 0.0,
                       "Squashes into (−1, 1), centred at 0. Slope 1 at 0, but saturates like the sigmoid."),
    "relu": Activation("ReLU", lambda z: np.maximum(z, 0.0), lambda z: np.where(np.asarray(z) > 0, 1.0, 0.0),
                       0.0, "max(0, z). Slope 1 for every positive input, so it never saturates there; "
                            "for negative inputs the slope is exactly 0 (a 'dead' neuron learns nothing)."),
    "leaky_relu": Activation("leaky ReLU", lambda z: np.where(np.asarray(z) > 0, z, LEAKY_SLOPE * np.asarray(z)),
                             lambda z: np.where(np.asarray(z) > 0, 1.0, LEAKY_SLOPE), 0.0,
                             f"Like ReLU, but with slope {LEAKY_SLOPE} below zero: small, yet never 0, so a "
                             "neuron there can still recover."),
    "linear": Activation("linear", lambda z: np.asarray(z, dtype=float),
                         lambda z: np.ones_like(np.asarray(z, dtype=float)), 0.0,
                         "The identity: slope 1 everywhere, never saturates, but a stack of linear neurons "
                         "is still one linear function."),
}


def saturated_intervals(name: str, *, lo: float = -6.0, hi: float = 6.0, points: int = 2401,
                        fraction: float = SATURATION_FRACTION) -> list[tuple[float, float]]:
    """Intervals of z in [lo, hi] where g'(z) < `fraction` × the largest g' on [lo, hi].

    A function with slope 0 everywhere (step) is saturated everywhere. Ends are accurate to the
    grid spacing (hi − lo) / (points − 1).
    """
    z = np.linspace(lo, hi, points)
    slope = np.abs(ACTIVATIONS[name].derivative(z))
    flat = slope < fraction * slope.max() if slope.max() > 0 else np.ones_like(z, dtype=bool)
    intervals, start = [], None
    for k, is_flat in enumerate(flat):
        if is_flat and start is None:
            start = z[k]
        if start is not None and (not is_flat or k == len(z) - 1):
            intervals.append((float(start), float(z[k - 1] if not is_flat else z[k])))
            start = None
    return intervals


def neuron_grid(w1: float, w2: float, b: float, activation: str, *, extent: float = 2.0,
                points: int = 81) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The neuron's output over the square [−extent, extent]²: (xs (points,), ys (points,), out (points, points))."""
    xs = np.linspace(-extent, extent, points)
    x1, x2 = np.meshgrid(xs, xs)
    return xs, xs, ACTIVATIONS[activation].fn(w1 * x1 + w2 * x2 + b)


def decision_line(w1: float, w2: float, b: float, *, extent: float = 2.0,
                  bounds: tuple[float, float] | None = None) -> np.ndarray | None:
    """The two ends of the line w₁x₁ + w₂x₂ + b = 0 inside the square [lo, hi]², (2, 2); None if it misses.

    The square is `bounds` = (lo, hi), or [−extent, extent]² when no bounds are given.
    """
    lo, hi = bounds if bounds is not None else (-extent, extent)
    if w1 == 0 and w2 == 0:
        return None
    ends = []
    for edge in (lo, hi):
        if w2 != 0:  # the line crosses x1 = edge at:
            y = -(w1 * edge + b) / w2
            if lo <= y <= hi:
                ends.append((edge, y))
        if w1 != 0:  # ... and x2 = edge at:
            x = -(w2 * edge + b) / w1
            if lo <= x <= hi:
                ends.append((x, edge))
    unique = sorted({(round(x, 12), round(y, 12)) for x, y in ends})
    if len(unique) < 2:
        return None
    return np.array([unique[0], unique[-1]], dtype=float)


# ----------------------------------------------------------------------------------------------
# The perceptron rule

GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
GATES: dict[str, np.ndarray] = {
    "AND": np.array([0, 0, 0, 1], dtype=float),
    "OR": np.array([0, 1, 1, 1], dtype=float),
    "XOR": np.array([0, 1, 1, 0], dtype=float),
}


@dataclasses.dataclass(frozen=True)
class PerceptronStep:
    """One point shown to the perceptron: its prediction and the update it caused."""

    epoch: int  # 1-based
    point: int  # index into GATE_INPUTS
    x: tuple[float, float]
    target: int
    prediction: int
    weights: tuple[float, float, float]  # (w1, w2, b) after the update

    @property
    def error(self) -> int:
        """target − prediction: +1 pushes the line to include the point, −1 to exclude it, 0 no change."""
        return self.target - self.prediction


@dataclasses.dataclass(frozen=True)
class PerceptronRun:
    """All steps of a run, and why it stopped."""

    gate: str
    start: tuple[float, float, float]
    steps: tuple[PerceptronStep, ...]
    converged: bool  # an epoch without mistakes
    cycle_from: int | None  # the weights at the start of this epoch came back: an endless loop
    epochs: int

    @property
    def verdict(self) -> str:
        if self.converged:
            return (f"Converged after {self.epochs} epochs: one line separates the two classes of "
                    f"{self.gate}, and the last epoch made no mistake.")
        if self.cycle_from == self.epochs:
            return (f"Never converges: epoch {self.epochs} ends with exactly the weights it started with, so "
                    f"the same updates repeat forever. No line separates the classes of {self.gate}.")
        if self.cycle_from is not None:
            return (f"Never converges: after epoch {self.epochs} the weights are back where they were at the "
                    f"start of epoch {self.cycle_from}, so the same updates repeat forever. No line separates "
                    f"the classes of {self.gate}.")
        return f"Stopped after {self.epochs} epochs without converging."


def perceptron(gate: str, *, lr: float = 1.0, start: tuple[float, float, float] = (0.0, 0.0, 0.0),
               max_epochs: int = 100) -> PerceptronRun:
    """Rosenblatt's rule on a gate's four points, in order: w ← w + lr·(t − ŷ)·x, b ← b + lr·(t − ŷ).

    ŷ = 1 if w·x + b ≥ 0 else 0. Stops after an epoch without mistakes (converged), when the weights at
    the start of an epoch equal those at the start of an earlier one (a cycle), or after `max_epochs`.
    """
    targets = GATES[gate]
    w = np.array(start[:2], dtype=float)
    b = float(start[2])
    seen: dict[tuple, int] = {}
    steps = []
    for epoch in range(1, max_epochs + 1):
        state = tuple(np.round([*w, b], 9))
        if state in seen:
            return PerceptronRun(gate, tuple(start), tuple(steps), False, seen[state], epoch - 1)
        seen[state] = epoch
        mistakes = 0
        for k, (x, t) in enumerate(zip(GATE_INPUTS, targets)):
            prediction = int(w @ x + b >= 0)
            error = int(t) - prediction
            if error:
                mistakes += 1
                w = w + lr * error * x
                b = b + lr * error
            steps.append(PerceptronStep(epoch, k, (float(x[0]), float(x[1])), int(t), prediction,
                                        (float(w[0]), float(w[1]), float(b))))
        if mistakes == 0:
            return PerceptronRun(gate, tuple(start), tuple(steps), True, None, epoch)
    return PerceptronRun(gate, tuple(start), tuple(steps), False, None, max_epochs)


# ----------------------------------------------------------------------------------------------
# XOR with one hidden layer


@dataclasses.dataclass(frozen=True)
class XorNetwork:
    """A 2-2-1 network: hidden h = g(W·x + c), output sigmoid(v·h + d) (or a step for `hand_xor_network`)."""

    hidden_weights: np.ndarray  # (2 hidden, 2 inputs)
    hidden_bias: np.ndarray  # (2,)
    output_weights: np.ndarray  # (2,)
    output_bias: float
    activation: str  # of the hidden layer
    output_activation: str = "sigmoid"
    losses: tuple[float, ...] = ()  # cross-entropy loss at each training step (empty when set by hand)
    starts: int = 0  # random starts that training needed (0 when set by hand)

    def hidden(self, x: np.ndarray) -> np.ndarray:
        """(N, 2) inputs -> (N, 2) hidden activations."""
        return ACTIVATIONS[self.activation].fn(x @ self.hidden_weights.T + self.hidden_bias)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(N, 2) inputs -> (N,) outputs in [0, 1]."""
        return ACTIVATIONS[self.output_activation].fn(self.hidden(x) @ self.output_weights + self.output_bias)

    def accuracy(self) -> float:
        """Fraction of the four XOR points classified right (output ≥ 0.5 means 1)."""
        return float(np.mean((self.predict(GATE_INPUTS) >= 0.5) == GATES["XOR"]))


def hand_xor_network() -> XorNetwork:
    """The textbook solution with step neurons: h₁ = OR, h₂ = AND, output = h₁ AND NOT h₂."""
    return XorNetwork(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([-0.5, -1.5]), np.array([1.0, -2.0]), -0.5,
                      "step", output_activation="step")


def xor_network(seed: int = 0, *, activation: str = "tanh", steps: int = 400, lr: float = 0.5) -> XorNetwork:
    """Train a 2-2-1 network (hidden `activation`, sigmoid output) on XOR by full-batch gradient descent.

    Binary cross-entropy loss on the four points, with momentum 0.9; weights start from N(0, 1) with
    `seed`. Two hidden neurons are the fewest that can solve XOR, and with so few a run can get stuck:
    if it does, training restarts from the next random start (up to 10 starts), as one would by hand.
    Runs in about 0.02 s per start. `losses` holds the loss of every step of the successful run.
    """
    rng = np.random.default_rng(seed)
    x, t = GATE_INPUTS, GATES["XOR"]
    g = ACTIVATIONS[activation]
    for start in range(1, 11):
        w = rng.normal(0, 1, (2, 2))
        c = rng.normal(0, 1, 2)
        v = rng.normal(0, 1, 2)
        d = 0.0
        velocity = [np.zeros_like(p) for p in (w, c, v)] + [0.0]
        losses = []
        for _ in range(steps):
            z = x @ w.T + c  # (4, 2)
            h = g.fn(z)
            y = _sigmoid(h @ v + d)  # (4,)
            losses.append(float(-np.mean(t * np.log(y + 1e-12) + (1 - t) * np.log(1 - y + 1e-12))))
            dy = (y - t) / len(t)  # d loss / d output pre-activation, for sigmoid + cross-entropy
            dz = np.outer(dy, v) * g.derivative(z)  # (4, 2)
            grads = [dz.T @ x, dz.sum(0), h.T @ dy, float(dy.sum())]
            params = [w, c, v, d]
            for k in range(4):
                velocity[k] = 0.9 * velocity[k] - lr * grads[k]
                params[k] = params[k] + velocity[k]
            w, c, v, d = params
        net = XorNetwork(w, c, v, float(d), activation, losses=tuple(losses), starts=start)
        if net.accuracy() == 1.0 and losses[-1] < 0.1:
            return net
    return net


def output_grid(network: XorNetwork, *, lo: float = -0.5, hi: float = 1.5,
                points: int = 81) -> tuple[np.ndarray, np.ndarray]:
    """The network's output over the input square [lo, hi]²: (xs (points,), out (points, points))."""
    xs = np.linspace(lo, hi, points)
    x1, x2 = np.meshgrid(xs, xs)
    return xs, network.predict(np.column_stack([x1.ravel(), x2.ravel()])).reshape(x1.shape)


def hidden_points(network: XorNetwork) -> np.ndarray:
    """The four XOR inputs in the hidden layer's coordinates, (4, 2)."""
    return network.hidden(GATE_INPUTS)


# ----------------------------------------------------------------------------------------------
# For the page: curves, tables and the words of a step

XOR_MODES = {"trained": "learned by gradient descent", "hand": "set by hand (OR and AND neurons)"}


def activation_curve(name: str, *, lo: float = -6.0, hi: float = 6.0,
                     points: int = 601) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z (points,) evenly over [lo, hi], the activation g(z) and its slope g'(z) there."""
    z = np.linspace(lo, hi, points)
    activation = ACTIVATIONS[name]
    return z, activation.fn(z), activation.derivative(z)


def weights_after(run: PerceptronRun, k: int) -> tuple[float, float, float]:
    """(w₁, w₂, b) after the first `k` steps of `run` (k = 0: the start)."""
    return run.start if k == 0 else run.steps[k - 1].weights


def weight_history(run: PerceptronRun) -> np.ndarray:
    """(steps + 1, 3): the start, then (w₁, w₂, b) after each step."""
    return np.array([run.start] + [s.weights for s in run.steps], dtype=float)


def steps_table(run: PerceptronRun, k: int) -> list[dict]:
    """The first `k` steps as rows: point, target, prediction, error and the weights after it."""
    return [{"step": n + 1, "epoch": s.epoch, "x₁": s.x[0], "x₂": s.x[1], "t": s.target, "ŷ": s.prediction,
             "t − ŷ": s.error, "w₁": s.weights[0], "w₂": s.weights[1], "b": s.weights[2]}
            for n, s in enumerate(run.steps[:k])]


def explain_step(run: PerceptronRun, k: int, *, number: Callable[[float], str] = "{:g}".format) -> str:
    """What step `k` of the perceptron run did, in markdown (k = 0: where it starts)."""
    last = len(run.steps)
    if k == 0:
        return f"**Step 0 of {last}.** Weights (w₁, w₂, b) = (0, 0, 0). Press **Next** to show the first point."
    step, weights = run.steps[k - 1], run.steps[k - 1].weights
    said = f"w·x + b {'≥' if step.prediction else '<'} 0, so it says {step.prediction}"
    if step.error == 0:
        update = "Right: nothing changes."
    else:
        sign = "+" if step.error > 0 else "−"
        update = (f"Wrong (t − ŷ = {step.error:+d}): w ← w {sign} x = ({number(weights[0])}, "
                  f"{number(weights[1])}), b ← b {sign} 1 = {number(weights[2])}.")
    return (f"**Step {k} of {last}** (epoch {step.epoch}): point x = ({step.x[0]:g}, {step.x[1]:g}), right "
            f"answer t = {step.target}.  \nThe neuron computes {said}.  \n{update}  \n"
            f"Weights now (w₁, w₂, b) = ({', '.join(number(v) for v in weights)}).")


def hidden_extent(network: XorNetwork) -> tuple[float, float]:
    """The range a hidden-layer plot needs: tanh outputs lie in (−1, 1), steps and sigmoids in [0, 1]."""
    return (-1.3, 1.3) if network.activation == "tanh" else (-0.3, 1.3)


def xor_table(network: XorNetwork) -> dict[str, np.ndarray]:
    """The four XOR points: inputs, target, hidden activations and output (rounded to 3 places), by column."""
    hidden = hidden_points(network)
    return {"x₁": GATE_INPUTS[:, 0], "x₂": GATE_INPUTS[:, 1], "XOR": GATES["XOR"].astype(int),
            "h₁": hidden[:, 0].round(3), "h₂": hidden[:, 1].round(3),
            "output": network.predict(GATE_INPUTS).round(3)}
