"""A generative adversarial network on the plane: a generator learns to place points like a target's.

Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014. Two small MLPs play a game. The
discriminator D sees real points (from the target distribution) and generated ones and learns to
tell them apart: it outputs the probability that a point is real. The generator G turns random
noise z into points and learns to make D call them real. Each round does `d_steps` updates of D,
then `g_steps` updates of G. D minimises the binary cross-entropy of its verdicts; G minimises
−log D(G(z)), the "non-saturating" form the paper recommends, which gives G useful gradients early
on when D easily rejects its points.

The `"gan2d"` trainer runs this in the worker pool (start it with `job_arguments`). Every round it
reports a history row (D and G losses; every `_DISTANCE_EVERY` rounds also the sliced Wasserstein
distance to the target), and a few times a second a picture in the series "frames": generated
points, the direction G's loss pushes each of them, and D's output over a grid of the plane.
Everything is also usable from a shell: `Gan2d(options, target).train_round()`.

Points are float32 (N, 2) in the square [-EXTENT, EXTENT]².
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.checkpoints import state_from_bytes
from playground.data import Dataset
from playground.jobs.supervised import make_optimizer
from playground.jobs.train import (
    OPTIMIZERS,
    CheckedSettings,
    Config,
    TrainingError,
    is_int,
    is_number,
    register_trainer,
)
from playground.layers import ACTIVATIONS
from playground.models import build
from playground.registry import Registry

__all__ = ["ACTIVATION_CHOICES", "DEFAULT_POINTS", "EXTENT", "LEARNING_RATES", "PLACE_STEP", "ROUNDS",
           "WIDTHS", "toggle_points", "TARGETS", "Gan2d", "GanOptions", "GanPair", "Target", "discriminator_grid",
           "discriminator_spec", "generator_gradients", "generator_spec", "grid_axis", "job_arguments",
           "sample_target", "sliced_wasserstein", "target_dataset"]

EXTENT = 3.0  # the plane shown and sampled: [-EXTENT, EXTENT]²
ACTIVATION_CHOICES = tuple(a for a in ACTIVATIONS if a != "softmax")  # softmax over one unit is constant
MAX_POINTS = 200  # placed points of a "points" target
# What the page offers: learning rates, hidden-layer widths and game lengths; the default target points.
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03)
WIDTHS = (2, 4, 8, 16, 32, 64, 128)
ROUNDS = (500, 1000, 2000, 3000, 5000, 10000, 20000)
DEFAULT_POINTS = [[-1.5, 1.0], [1.5, 1.0], [0.0, -1.5]]
PLACE_STEP = 0.5  # spacing of the spots where a point can be placed, in plane units
_TRAIN_POINTS = 2000  # real points D and G learn from
_EVAL_POINTS = 1000  # a separate sample of the target, and as many generated points, for the distance
_DISTANCE_EVERY = 10  # rounds between distances in the history
_FRAME_EVERY_S = 0.2  # at most this often a picture is sent while running
_PAUSE_GAP_S = 0.1  # a longer wait between two rounds means the job was paused: send the next picture


# ----------------------------------------------------------------------------------------------
# Targets: what the generator should learn to imitate.


def toggle_points(points: list, hits: list) -> list:
    """Placed points after a click or a box on the placing grid: one hit spot turns a point on or off
    there; several add every spot not yet taken (up to MAX_POINTS). Hits snap to the PLACE_STEP grid."""
    points = [list(p) for p in points]
    spots = []
    for x, y in hits:
        xy = [round(float(x) / PLACE_STEP) * PLACE_STEP, round(float(y) / PLACE_STEP) * PLACE_STEP]
        if xy not in spots:  # a placed point lies on a grid dot: both may be picked
            spots.append(xy)
    if len(spots) == 1 and spots[0] in points:
        points.remove(spots[0])
        return points
    return points + [xy for xy in spots if xy not in points][: MAX_POINTS - len(points)]


@dataclasses.dataclass(frozen=True)
class Target:
    """A distribution on the plane: `sample(n, rng, points) -> (n, 2)` float array."""

    name: str
    label: str
    sample: Callable[[int, np.random.Generator, list], np.ndarray]


TARGETS: Registry[Target] = Registry("target", entry=lambda name, sample, label: Target(name, label, sample))


def register_target(name: str, label: str):
    """Register `sample(n, rng, points)` as the target `name`; duplicates are refused."""
    return TARGETS.register(name, label=label)


@register_target("ring", "ring")
def _ring(n: int, rng: np.random.Generator, points: list) -> np.ndarray:
    # Radius 2 with a thin spread: a shape a generator that collapses to one spot clearly misses.
    angle = rng.uniform(0, 2 * math.pi, n)
    radius = 2.0 + 0.1 * rng.standard_normal(n)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1)


@register_target("two_gaussians", "two Gaussians")
def _two_gaussians(n: int, rng: np.random.Generator, points: list) -> np.ndarray:
    centres = np.array([[-1.5, 1.0], [1.5, -1.0]])
    return centres[rng.integers(0, 2, n)] + 0.3 * rng.standard_normal((n, 2))


@register_target("line", "line")
def _line(n: int, rng: np.random.Generator, points: list) -> np.ndarray:
    t = rng.uniform(-1, 1, n)[:, None]
    start, end = np.array([-2.2, -1.6]), np.array([2.2, 1.6])
    along = (start + end) / 2 + t * (end - start) / 2
    normal = np.array([-1.6, 2.2]) / math.hypot(1.6, 2.2)
    return along + 0.05 * rng.standard_normal((n, 1)) * normal


@register_target("points", "your points")
def _placed(n: int, rng: np.random.Generator, points: list) -> np.ndarray:
    # Each placed point is a small blob, so the target has some area the generator can cover.
    centres = np.asarray(points, dtype=float).reshape(-1, 2)
    return centres[rng.integers(0, len(centres), n)] + 0.12 * rng.standard_normal((n, 2))


def sample_target(name: str, n: int, *, seed: int = 0, points: list | None = None) -> np.ndarray:
    """`n` points of target `name` as float32 (n, 2); the same seed gives the same points.

    `points` ([[x, y], ...]) are the centres of the "points" target. ValueError for an unknown name.
    """
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r}; known targets are {', '.join(TARGETS)}")
    rng = np.random.default_rng(seed)
    return TARGETS[name].sample(n, rng, list(points or [])).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Settings.


@dataclasses.dataclass
class GanOptions(CheckedSettings):
    """Settings of a 2-D GAN; JSON-able, and the options of the "gan2d" trainer."""

    target: str = "ring"
    points: list = dataclasses.field(default_factory=list)  # [[x, y], ...] for the "points" target
    noise_dim: int = 2  # as many random numbers as the plane has coordinates
    g_hidden: list = dataclasses.field(default_factory=lambda: [32, 32])  # widths of G's hidden layers
    g_activation: str = "relu"
    d_hidden: list = dataclasses.field(default_factory=lambda: [32, 32])
    d_activation: str = "relu"
    g_optimizer: str = "adam"
    g_lr: float = 0.001  # 0 freezes a network; at 0.002 one of three seeds lost the ring again
    d_optimizer: str = "adam"
    d_lr: float = 0.001
    d_steps: int = 1  # updates of D per round
    g_steps: int = 1  # updates of G per round
    batch_size: int = 128  # real points and generated points per update
    rounds: int = 3000
    grid: int = 41  # heatmap resolution: D's output on grid × grid points (odd: one lies on each axis)
    shown: int = 250  # generated points drawn

    what = "GAN setting"

    def checks(self) -> list[tuple[bool, str, str]]:
        checks = [
            (self.target in TARGETS, "target", f"must be one of {', '.join(TARGETS)}"),
            (isinstance(self.points, list) and len(self.points) <= MAX_POINTS
             and all(isinstance(p, (list, tuple)) and len(p) == 2 and all(is_number(v) and abs(v) <= EXTENT
                                                                            for v in p) for p in self.points),
             "points", f"must be at most {MAX_POINTS} pairs [x, y] inside ±{EXTENT:g}"),
            (self.target != "points" or len(self.points) >= 1, "points",
             "must hold at least one point for the 'your points' target: click the plane to place some"),
            (is_int(self.noise_dim) and 1 <= self.noise_dim <= 64, "noise_dim", "must be a whole number from 1 to 64"),
            (is_int(self.batch_size) and 2 <= self.batch_size <= 4096, "batch_size",
             "must be a whole number from 2 to 4096"),
            (is_int(self.rounds) and 1 <= self.rounds <= 100_000, "rounds", "must be a whole number from 1 to 100000"),
            (is_int(self.grid) and 2 <= self.grid <= 200, "grid", "must be a whole number from 2 to 200"),
            (is_int(self.shown) and 1 <= self.shown <= 2000, "shown", "must be a whole number from 1 to 2000"),
        ]
        for who in ("g", "d"):
            hidden = getattr(self, f"{who}_hidden")
            checks += [
                (isinstance(hidden, list) and len(hidden) <= 8 and all(is_int(w) and 1 <= w <= 512 for w in hidden),
                 f"{who}_hidden", "must be a list of at most 8 widths from 1 to 512"),
                (getattr(self, f"{who}_activation") in ACTIVATION_CHOICES, f"{who}_activation",
                 f"must be one of {', '.join(ACTIVATION_CHOICES)}"),
                (getattr(self, f"{who}_optimizer") in OPTIMIZERS, f"{who}_optimizer",
                 f"must be one of {', '.join(OPTIMIZERS)}"),
                (is_number(getattr(self, f"{who}_lr")) and 0 <= getattr(self, f"{who}_lr") <= 10, f"{who}_lr",
                 "must be from 0 to 10"),
                (is_int(getattr(self, f"{who}_steps")) and 1 <= getattr(self, f"{who}_steps") <= 100,
                 f"{who}_steps", "must be a whole number from 1 to 100"),
            ]
        return checks


def _mlp_spec(inputs: int, hidden: list, activation: str, outputs: int) -> dict:
    layers = []
    for width in hidden:
        layers += [{"type": "linear", "out_features": int(width)}, {"type": activation}]
    return {"input_shape": [inputs], "layers": [*layers, {"type": "linear", "out_features": outputs}]}


def generator_spec(options: GanOptions) -> dict:
    """G as a network spec: noise (noise_dim,) → hidden layers → a point (2,), no squashing at the end."""
    return _mlp_spec(options.noise_dim, options.g_hidden, options.g_activation, 2)


def discriminator_spec(options: GanOptions) -> dict:
    """D as a network spec: a point (2,) → hidden layers → one logit (its sigmoid is P(real))."""
    return _mlp_spec(2, options.d_hidden, options.d_activation, 1)


# ----------------------------------------------------------------------------------------------
# Measuring.


def sliced_wasserstein(a, b, *, directions: int = 90) -> float:
    """The sliced Wasserstein-1 distance between two point clouds on the plane, in plane units.

    Both clouds are projected onto `directions` lines through the origin at evenly spaced angles
    in [0°, 180°); on each line the 1-D Wasserstein distance is the mean gap between matching
    quantiles (exact for clouds of equal size), and the result is the mean over the lines
    (Rabin et al., "Wasserstein Barycenter and its Application to Texture Mixing", 2011).
    Shifting a cloud by a vector v gives |v|·2/π with many directions. a: (n, 2), b: (m, 2).
    """
    a = np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b.detach().cpu() if isinstance(b, torch.Tensor) else b, dtype=np.float64).reshape(-1, 2)
    if not len(a) or not len(b):
        raise ValueError("both point clouds need at least one point")
    angles = np.arange(directions) * math.pi / directions
    lines = np.stack([np.cos(angles), np.sin(angles)], 1)  # (directions, 2), unit vectors
    pa, pb = a @ lines.T, b @ lines.T  # (n, directions), (m, directions)
    if len(a) == len(b):
        gaps = np.sort(pa, 0) - np.sort(pb, 0)
    else:
        levels = (np.arange(max(len(a), len(b))) + 0.5) / max(len(a), len(b))
        gaps = (np.quantile(pa, levels, axis=0, method="inverted_cdf")
                - np.quantile(pb, levels, axis=0, method="inverted_cdf"))
    return float(np.abs(gaps).mean())


def grid_axis(size: int) -> np.ndarray:
    """The `size` coordinates of the heatmap grid along each axis, from -EXTENT to EXTENT."""
    return np.linspace(-EXTENT, EXTENT, size)


@torch.no_grad()
def discriminator_grid(discriminator: nn.Module, size: int) -> np.ndarray:
    """D's probability that a point is real on a size × size grid: float32 (size, size) in [0, 1].

    Row i is y = grid_axis(size)[i], column j is x = grid_axis(size)[j] (as a heatmap draws it).
    """
    axis = torch.as_tensor(grid_axis(size), dtype=torch.float32)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    points = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1)
    device = next(discriminator.parameters()).device
    probability = torch.sigmoid(discriminator(points.to(device))).reshape(size, size)
    return probability.cpu().numpy().astype(np.float32)


def generator_gradients(discriminator: nn.Module, points: torch.Tensor) -> np.ndarray:
    """Where G's loss pushes each generated point: −∂(−log D(x))/∂x, float32 (N, 2).

    G changes its weights so that its points move along these arrows, uphill on D's "real" score;
    they are what GAN Lab draws on each fake point.
    """
    x = points.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = F.binary_cross_entropy_with_logits(discriminator(x), torch.ones(len(x), 1, device=x.device),
                                                  reduction="sum")
        (gradient,) = torch.autograd.grad(loss, x)
    return (-gradient).cpu().numpy().astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Training.


def _optimizer(model: nn.Module, name: str, lr: float) -> torch.optim.Optimizer:
    optimizer = make_optimizer(model, Config(optimizer=name, lr=lr))
    if name in ("adam", "adamw"):
        # β₁ = 0.5, as Radford et al. (DCGAN, 2016) use: with the usual 0.9 the momentum of two networks
        # chasing each other makes them circle round the balance point for longer.
        for group in optimizer.param_groups:
            group["betas"] = (0.5, 0.999)
    return optimizer


class GanPair(nn.Module):
    """G and D in one module, with the number of rounds trained as a buffer: what a job publishes.

    Its state dict holds "generator.*", "discriminator.*" and "rounds".
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.register_buffer("rounds", torch.zeros((), dtype=torch.long))


class Gan2d:
    """G, D, their optimizers and fixed noise, ready to train round by round.

    `target`: float32 (N, 2) real points. Weights are drawn from torch's generator seeded with
    `seed`; minibatches and noise come from a generator of their own, so a seed repeats a run.
    """

    def __init__(self, options: GanOptions, target: torch.Tensor, *, seed: int = 0,
                 device: torch.device | str = "cpu"):
        self.options = options.validate()
        self.device = torch.device(device)
        with torch.random.fork_rng(devices=[]):  # seeded weights, and the caller's random state untouched
            torch.manual_seed(seed)
            self.pair = GanPair(build(generator_spec(options)), build(discriminator_spec(options))).to(self.device)
        self.generator, self.discriminator = self.pair.generator, self.pair.discriminator
        self.g_optimizer = _optimizer(self.generator, options.g_optimizer, options.g_lr)
        self.d_optimizer = _optimizer(self.discriminator, options.d_optimizer, options.d_lr)
        self.target = torch.as_tensor(target, dtype=torch.float32).to(self.device)
        self.random = torch.Generator().manual_seed(seed)
        # Fixed noise for the pictures and the distance, so their points move smoothly between frames.
        self.shown_noise = self.noise(options.shown)
        self.eval_noise = self.noise(_EVAL_POINTS)
        self.last_losses = (math.nan, math.nan)  # D's and G's mean loss in the last round

    @classmethod
    def from_weights(cls, options: GanOptions, target: torch.Tensor, weights: bytes, *, seed: int = 0) -> Gan2d:
        """The GAN as a job published it (`job.weights`), on the CPU, with the job's fixed noise.

        Only the networks and the round count are restored, not the optimizers' running averages:
        enough to draw a picture, not to carry on training exactly as the job would.
        """
        gan = cls(options, target, seed=seed)
        gan.pair.load_state_dict(state_from_bytes(weights))
        return gan

    @property
    def rounds(self) -> int:
        """Rounds trained so far."""
        return int(self.pair.rounds)

    def noise(self, n: int) -> torch.Tensor:
        """n standard normal noise vectors (n, noise_dim)."""
        return torch.randn(n, self.options.noise_dim, generator=self.random).to(self.device)

    def _real_batch(self) -> torch.Tensor:
        index = torch.randint(0, len(self.target), (self.options.batch_size,), generator=self.random)
        return self.target[index.to(self.device)]

    def discriminator_step(self) -> float:
        """One update of D on a batch of real and a batch of generated points; returns D's loss.

        The loss is BCE(D(real), 1) + BCE(D(fake), 0): about 1.39 (2·ln 2) when D cannot tell them apart.
        """
        real = self._real_batch()
        with torch.no_grad():
            fake = self.generator(self.noise(self.options.batch_size))
        logits = self.discriminator(torch.cat([real, fake]))
        labels = torch.cat([torch.ones(len(real), 1), torch.zeros(len(fake), 1)]).to(self.device)
        loss = 2 * F.binary_cross_entropy_with_logits(logits, labels)  # each half's mean, summed
        self.d_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.d_optimizer.step()
        return loss.item()

    def generator_step(self) -> float:
        """One update of G towards points D calls real; returns G's loss −mean log D(G(z)) (ln 2 at a tie)."""
        fake = self.generator(self.noise(self.options.batch_size))
        loss = F.binary_cross_entropy_with_logits(self.discriminator(fake),
                                                  torch.ones(len(fake), 1, device=self.device))
        self.g_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.g_optimizer.step()  # D's gradients from this pass are cleared before D's next step
        return loss.item()

    def train_round(self) -> tuple[float, float]:
        """`d_steps` updates of D, then `g_steps` of G; returns their mean losses (D, G)."""
        for _ in self.steps():
            pass
        return self.last_losses

    def steps(self):
        """The round one update at a time (a generator yielding after each); sets `last_losses`."""
        d_losses, g_losses = [], []
        for _ in range(self.options.d_steps):
            d_losses.append(self.discriminator_step())
            yield
        for _ in range(self.options.g_steps):
            g_losses.append(self.generator_step())
            yield
        self.pair.rounds += 1
        self.last_losses = (float(np.mean(d_losses)), float(np.mean(g_losses)))
        if not all(math.isfinite(v) for v in self.last_losses):
            raise TrainingError(f"The losses became {self.last_losses[0]:.3g} (D) and {self.last_losses[1]:.3g} "
                                f"(G) at round {self.rounds}, so training stopped. Try lower learning rates.")

    @torch.no_grad()
    def sample(self, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Generated points (N, 2) for `noise` (default: the fixed noise of the pictures)."""
        return self.generator(self.shown_noise if noise is None else noise)

    def distance(self, reference: torch.Tensor) -> float:
        """Sliced Wasserstein distance from G's points (fixed noise) to `reference` (M, 2) real points."""
        return sliced_wasserstein(self.sample(self.eval_noise), reference)

    def frame(self, reference: torch.Tensor) -> dict:
        """A picture of now: {"round", "samples" (shown, 2), "arrows" (shown, 2), "grid" (grid, grid),
        "distance", "d_prob_real" (D's mean output on reference points), "d_prob_fake"} (float32 arrays)."""
        samples = self.sample()
        with torch.no_grad():
            fake_prob = torch.sigmoid(self.discriminator(self.sample(self.eval_noise))).mean().item()
            real_prob = torch.sigmoid(self.discriminator(reference.to(self.device))).mean().item()
        return {"round": self.rounds, "samples": samples.cpu().numpy().astype(np.float32),
                "arrows": generator_gradients(self.discriminator, samples),
                "grid": discriminator_grid(self.discriminator, self.options.grid),
                "distance": self.distance(reference), "d_prob_real": real_prob, "d_prob_fake": fake_prob}


def target_dataset(options: GanOptions, *, seed: int = 0) -> Dataset:
    """The target's points as a Dataset: 2,000 to learn from (x_train), 1,000 to measure with (x_test)."""
    options.validate()
    train_points = sample_target(options.target, _TRAIN_POINTS, seed=seed, points=options.points)
    eval_points = sample_target(options.target, _EVAL_POINTS, seed=seed + 1, points=options.points)
    label = TARGETS[options.target].label
    return Dataset(name=f"GAN target: {label}", x_train=torch.from_numpy(train_points),
                   y_train=torch.zeros(len(train_points), 1), x_test=torch.from_numpy(eval_points),
                   y_test=torch.zeros(len(eval_points), 1), input_shape=(2,), classes=[], task="regression",
                   params={"target": options.target, "points": options.points}, seed=seed,
                   description=f"points of the {label} target")


def job_arguments(options: GanOptions, *, seed: int = 0) -> dict:
    """What `train.start` (or a page's `start_job`) needs to run this GAN in the worker pool.

    The job's spec is D's (checked against the parameter cap like any network; G's follows from the
    options). Its weights are a `GanPair`, so read them with `Gan2d.from_weights`, not `job.model()`.
    ConfigError for a bad setting.
    """
    options.validate()
    # Networks this small train faster on the CPU than they can be fed to a GPU.
    config = Config(epochs=options.rounds, batch_size=options.batch_size, seed=seed, device="cpu")
    return {"spec": discriminator_spec(options), "dataset": target_dataset(options, seed=seed), "config": config,
            "trainer": "gan2d", "options": options.to_dict()}


def frame_metrics(frame: dict) -> dict:
    """The page's four numbers for one picture of the game, as text: {"Round", "Distance to the target",
    "D on real points", "D on generated points"}."""
    return {"Round": f"{frame['round']:,}", "Distance to the target": f"{frame['distance']:.3f}",
            "D on real points": f"{frame['d_prob_real']:.0%} real",
            "D on generated points": f"{frame['d_prob_fake']:.0%} real"}


def live_producer(job, shown: dict):
    """A feed's producer for a "gan2d" job: its status, the four numbers, the loss and distance curves
    and the plane, as the page's figures show them; computed again only when a new picture or round
    arrived. `shown`: {"heatmap": bool, "arrows": bool}, read at each computation (the page updates it
    when its check boxes change)."""
    from playground.figures.latent_space.gan2d import gan_series, plane_scene
    from playground.jobs import live

    axis = grid_axis(GanOptions.from_dict(job.options).grid)

    def produce(job) -> dict:
        view = {**live.job_view(job), "unit": "round", "fraction": 0.0}
        frames = job.series("frames")
        if not frames:
            return view
        frame = frames[-1]
        view["metrics"] = frame_metrics(frame)
        view["charts"] = gan_series(job.history_since(0))
        view["scenes"] = {"plane": plane_scene(axis, frame["grid"] if shown.get("heatmap", True) else None,
                                               frame["samples"],
                                               arrows=frame["arrows"] if shown.get("arrows", True) else None)}
        return view

    return live.Cached(job, produce, mark=lambda j: (len(j.series("frames")), j.rows, tuple(sorted(shown.items()))))


@register_trainer("gan2d")
def gan2d(ctx):
    """Train a 2-D GAN round by round (see the module docstring); a round is the job's "epoch".

    History rows: epoch (the round), d_loss, g_loss, and distance (every 10 rounds, NaN between).
    Series "frames": `Gan2d.frame` dicts, at round 0, at most every 0.2 s while running, after a
    pause and at the end. Weights: the `GanPair`, published at least twice a second, at a pause and
    after a single step.
    """
    options = GanOptions.from_dict(ctx.options)
    gan = Gan2d(options, ctx.dataset.x_train, seed=ctx.config.seed, device=ctx.device)
    reference = ctx.dataset.x_test.to(ctx.device)

    def send_frame() -> float:
        ctx.series("frames", gan.frame(reference))
        return time.monotonic()

    last_frame = send_frame()
    ctx.report(epoch=0, d_loss=None, g_loss=None, distance=gan.distance(reference))
    ctx.progress(1, 0.0)
    ctx.publish(gan.pair, force=True)
    last_yield = time.monotonic()
    yield "step"
    for r in range(1, options.rounds + 1):
        waited = time.monotonic() - last_yield > _PAUSE_GAP_S  # paused, or single-stepping
        for _ in gan.steps():
            last_yield = time.monotonic()
            yield "step"
            waited |= time.monotonic() - last_yield > _PAUSE_GAP_S
        d_loss, g_loss = gan.last_losses
        distance = gan.distance(reference) if r % _DISTANCE_EVERY == 0 or r == options.rounds else None
        ctx.report(epoch=r, d_loss=d_loss, g_loss=g_loss, distance=distance)
        ctx.progress(r, 1.0)
        ctx.publish(gan.pair)
        if waited or r == options.rounds or time.monotonic() - last_frame >= _FRAME_EVERY_S:
            last_frame = send_frame()
        last_yield = time.monotonic()
        yield "epoch"
