"""Datasets a network can learn from: 2-D toy sets, small generated images, digits and torchvision sets.

Every dataset is registered once in `DATASETS` and made by `load(name, seed=..., **params)`. The same
name, parameters and seed always give the same tensors: all randomness comes from a local
`numpy.random.default_rng(seed)`, never from a global generator.

Shapes never include the batch dimension in `input_shape`: `(2,)` for the 2-D sets, `(C, H, W)` for
images. Inputs are float32; classification labels are int64 class indices, regression targets are
float32 shaped (N, 1).
"""

from __future__ import annotations

import collections
import dataclasses
import inspect
import math
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from playground.registry import Registry
from playground.settings import get_settings

__all__ = ["DATASETS", "MAX_SEED", "MAX_SHAPES", "MAX_SHAPES_PIXELS", "MAX_TEST_IMAGES", "MAX_TOY_NOISE",
           "MAX_SEQUENCE_LENGTH", "MAX_SEQUENCE_VALUES",
           "MAX_TOY_POINTS", "MAX_TRAIN_IMAGES", "RECALL_SYMBOLS", "SHAPE_CLASSES", "TASKS", "TOY_CLASSES",
           "TOY_EXTENT", "Dataset", "MAX_TEXT_CHARS",
           "adding_arrays", "character_arrays", "recall_arrays", "sine_arrays",
           "DatasetCache", "DatasetError", "DatasetInfo", "draw_shapes", "load", "names", "register_dataset"]

TASKS = ("classification", "regression")
# Names of the two classes of every 2-D classification set: label 0 is blue, label 1 is orange.
TOY_CLASSES = ["blue", "orange"]
SHAPE_CLASSES = ["square", "circle", "triangle", "cross"]
# The 2-D sets live in this square, [-TOY_EXTENT, TOY_EXTENT]², so plots can share one frame.
TOY_EXTENT = 6.0
MAX_TOY_NOISE = 0.5
# Upper bounds on what a builder makes, whoever asks (a page, a link, a checkpoint's metadata), so that
# no parameter can make the server build and keep a dataset of any size. At the bounds a set takes
# well under a second to make and at most about 40 MB.
MAX_SEED = 2**63 - 1  # numpy's generators take any integer; this keeps seeds JSON- and int64-safe
MAX_TOY_POINTS = 10_000  # 2-D points: far more than a plot shows or a lesson needs
MAX_SHAPES = 20_000
# Pixels of all generated shapes together (n × size²): 8 M pixels are 32 MB of float32 images and
# 8 MB of masks, e.g. 10,000 shapes of 28 × 28 or 1,950 of 64 × 64.
MAX_SHAPES_PIXELS = 8_000_000
# torchvision's sets have at most 60,000 training and 10,000 test images: larger subsamples are
# refused before any file is opened or downloaded.
MAX_TRAIN_IMAGES = 60_000
MAX_TEST_IMAGES = 10_000


class DatasetError(ValueError):
    """A dataset that cannot be made: unknown name or parameter, a bad value, or missing files."""


@dataclasses.dataclass
class Dataset:
    """A train/test split with everything needed to remake it (`ref()`).

    x_*: float32, (N, *input_shape). y_*: int64 (N,) for classification, float32 (N, 1) for regression.
    masks_*: bool, shaped like x_*, the pixels of the drawn object (only for generated shapes).
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    input_shape: tuple[int, ...]
    classes: list[str]  # class names, index = label; [] for regression
    task: str  # "classification" or "regression"
    params: dict  # every parameter used, defaults filled in; JSON-able
    seed: int
    masks_train: torch.Tensor | None = None
    masks_test: torch.Tensor | None = None
    description: str = ""

    @property
    def num_outputs(self) -> int:
        """How many numbers a network must output: one per class, or one for regression."""
        return len(self.classes) if self.task == "classification" else 1

    @property
    def is_image(self) -> bool:
        """True for (C, H, W) inputs."""
        return len(self.input_shape) == 3

    def ref(self) -> dict:
        """What remakes this dataset: `load(ref["name"], seed=ref["seed"], **ref["params"])`."""
        return {"name": self.name, "seed": self.seed, "params": dict(self.params)}

    @property
    def nbytes(self) -> int:
        """Bytes held by its tensors (inputs, labels and masks of both parts)."""
        tensors = (self.x_train, self.y_train, self.x_test, self.y_test, self.masks_train, self.masks_test)
        return sum(t.element_size() * t.nelement() for t in tensors if t is not None)


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """One registered dataset; see `register_dataset`.

    `loader(seed, **params)` returns a `Dataset`; `defaults` are its keyword-only parameters.
    """

    name: str
    loader: Callable[..., Dataset]
    task: str
    kind: str  # "toy2d", "image" or "sequence"
    description: str
    defaults: dict[str, Any]
    offline: bool = True  # False when the files may have to be downloaded


DATASETS: Registry[DatasetInfo] = Registry("dataset")


def register_dataset(name: str, *, task: str, kind: str, description: str, offline: bool = True):
    """Register a loader `loader(seed, *, param=default, ...) -> Dataset` under `name`.

    The loader's keyword-only parameters, each with a default, are the dataset's parameters.
    Raises ValueError for a name already taken or an unknown task.
    """
    if task not in TASKS:
        raise ValueError(f"Dataset {name!r}: task must be one of {', '.join(TASKS)}, got {task!r}")

    def decorator(loader: Callable[..., Dataset]) -> Callable[..., Dataset]:
        DATASETS.add(name, DatasetInfo(name=name, loader=loader, task=task, kind=kind, description=description,
                                       defaults=_keyword_defaults(loader), offline=offline))
        return loader

    return decorator


def _keyword_defaults(loader: Callable) -> dict[str, Any]:
    """The keyword-only parameters of `loader` and their defaults; each must have one."""
    defaults = {}
    for parameter in inspect.signature(loader).parameters.values():
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        if parameter.default is inspect.Parameter.empty:
            raise ValueError(f"Dataset parameter {parameter.name!r} of {loader.__name__} needs a default")
        defaults[parameter.name] = parameter.default
    return defaults


def names(kind: str | None = None) -> list[str]:
    """Registered dataset names in registration order, optionally only those of one kind."""
    return [name for name, info in DATASETS.items() if kind is None or info.kind == kind]


def load(name: str, *, seed: int = 0, **params) -> Dataset:
    """Make dataset `name` with `params` over its defaults; DatasetError for anything a user got wrong."""
    if not isinstance(name, str) or name not in DATASETS:
        raise DatasetError(f"Unknown dataset {name!r}; known datasets are {', '.join(DATASETS)}")
    info = DATASETS[name]
    unknown = sorted(set(params) - set(info.defaults))
    if unknown:
        allowed = ", ".join(info.defaults) or "none"
        raise DatasetError(f"Dataset {name!r} has no parameter {unknown[0]!r} (allowed: {allowed})")
    seed = _check_int("seed", seed, low=0, high=MAX_SEED)
    return info.loader(seed, **{**info.defaults, **params})


class DatasetCache:
    """Datasets kept for reuse, least recently used dropped first, bounded in count and in bytes.

    Safe to share between threads (a server's sessions): each key is made once at a time, and
    different keys are made in parallel. A dataset larger than `max_bytes` on its own is returned
    but not kept. Keep the datasets read-only: every holder shares them.
    """

    def __init__(self, *, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max(0, int(max_entries)), max(0, int(max_bytes))
        self._entries: collections.OrderedDict[Hashable, Dataset] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[Hashable, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    @property
    def nbytes(self) -> int:
        """Bytes held by the kept datasets together."""
        with self._lock:
            return sum(d.nbytes for d in self._entries.values())

    def get(self, key: Hashable, make: Callable[[], Dataset]) -> Dataset:
        """The dataset kept under `key`, or `make()`'s, kept if it fits. Exceptions of `make` pass through."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:  # a second caller of the same key waits for the first one's dataset
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key]
            try:
                dataset = make()
            finally:
                with self._lock:
                    self._making.pop(key, None)
            self._keep(key, dataset)
            return dataset

    def _keep(self, key: Hashable, dataset: Dataset) -> None:
        size = dataset.nbytes
        if size > self.max_bytes or self.max_entries == 0:
            return
        with self._lock:
            self._entries[key] = dataset
            total = sum(d.nbytes for d in self._entries.values())
            while len(self._entries) > self.max_entries or total > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                total -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# ---------------------------------------------------------------------------------------------------------
# Parameter checks: each returns the value as a plain Python number so `params` stays JSON-able.


def _check_int(param: str, value: Any, *, low: int, high: int | None = None) -> int:
    """`value` as an int in [low, high]; DatasetError otherwise (also for ints too large for a float)."""
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    whole = is_number and (isinstance(value, (int, np.integer)) or float(value).is_integer())
    if not whole:
        raise DatasetError(f"{param} must be a whole number, got {_short(value)}")
    value = int(value)
    if value < low or (high is not None and value > high):
        limits = f"between {low:,} and {high:,}" if high is not None else f"at least {low:,}"
        raise DatasetError(f"{param} must be {limits}, got {_short(value)}")
    return value


def _short(value: Any) -> str:
    """`repr(value)`, cut short: a hostile value may be millions of characters long."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and abs(int(value)) < 10**30:
        return f"{int(value):,}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."



def _check_float(param: str, value: Any, *, low: float, high: float, open_ends: bool = False) -> float:
    """`value` as a float in [low, high], or in (low, high) when `open_ends`; DatasetError otherwise."""
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if is_number and isinstance(value, (int, np.integer)) and abs(int(value)) > 2**53:
        is_number = False  # too large to be a float exactly; far outside every range here anyway
    if not is_number or not math.isfinite(value):
        raise DatasetError(f"{param} must be a number, got {_short(value)}")
    value = float(value)
    outside = (value <= low or value >= high) if open_ends else (value < low or value > high)
    if outside:
        ends = "both excluded" if open_ends else "both included"
        raise DatasetError(f"{param} must be between {low:g} and {high:g} ({ends}), got {value:g}")
    return value


def _check_optional_count(param: str, value: Any, *, high: int) -> int | None:
    """None, or a count from 1 to `high`."""
    return None if value is None else _check_int(param, value, low=1, high=high)


# ---------------------------------------------------------------------------------------------------------
# Splitting


def _test_count(n: int, test_fraction: float) -> int:
    """How many of `n` samples go to the test set: at least one, and at least one left to train on."""
    return min(max(int(n * test_fraction + 0.5), 1), n - 1)


def _shuffle_split(n: int, test_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random (train_indices, test_indices) of range(n)."""
    order = rng.permutation(n)
    n_test = _test_count(n, test_fraction)
    return order[n_test:], order[:n_test]


def _stratified_split(labels: np.ndarray, test_fraction: float,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random (train_indices, test_indices) that keep each class's share in both parts.

    labels: (N,) ints. Each sample gets its relative position within its own shuffled class; the
    test set takes the lowest positions, so every class is represented in proportion to its size
    and the test set has exactly `_test_count` samples, even when a class has a single sample.
    """
    n = len(labels)
    order = rng.permutation(n)
    shuffled = labels[order]
    rank = np.empty(n, dtype=np.float64)
    counts = np.zeros(n, dtype=np.float64)
    for label in np.unique(shuffled):
        members = np.flatnonzero(shuffled == label)
        rank[members] = np.arange(len(members))
        counts[members] = len(members)
    by_position = order[np.argsort((rank + 0.5) / counts, kind="stable")]
    n_test = _test_count(n, test_fraction)
    return by_position[n_test:], by_position[:n_test]


def _split_dataset(name: str, x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray, *,
                   classes: list[str], task: str, params: dict, seed: int, description: str,
                   masks: np.ndarray | None = None) -> Dataset:
    """A Dataset from whole arrays and the indices of each part; converts dtypes per the task.

    x: (N, *input_shape) floats. y: (N,) class indices or (N,) targets. masks: like x, or None.
    """
    if task == "classification":
        targets = torch.as_tensor(y, dtype=torch.int64)
    else:
        targets = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
    inputs = torch.as_tensor(x, dtype=torch.float32)
    mask_tensor = None if masks is None else torch.as_tensor(masks, dtype=torch.bool)
    train_t, test_t = torch.as_tensor(train), torch.as_tensor(test)
    return Dataset(
        name=name, x_train=inputs[train_t], y_train=targets[train_t], x_test=inputs[test_t],
        y_test=targets[test_t], input_shape=tuple(inputs.shape[1:]), classes=classes, task=task,
        params=params, seed=seed, description=description,
        masks_train=None if mask_tensor is None else mask_tensor[train_t],
        masks_test=None if mask_tensor is None else mask_tensor[test_t],
    )


# ---------------------------------------------------------------------------------------------------------
# 2-D toy sets, after TensorFlow Playground's (playground.tensorflow.org). Each generator takes
# (n, noise, rng) and returns points (n, 2) and labels (n,): class indices or regression targets.
#
# Noise follows TensorFlow Playground: for circle, xor and the regression sets a point stays where it
# was drawn but its label is read at a position shifted by up to noise × the data's radius. Every
# point stays inside the plot, and classes mix only near their boundary. Random numbers are drawn
# even when noise is 0, so a seed places the same points at every noise level: moving a noise slider
# changes labels, not positions.


def _circle_points(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Blue: a disc of radius 2. Orange: a ring from radius 3 to 5. Half the points each."""
    labels = (np.arange(n) >= n // 2).astype(np.int64)
    inner, outer = np.where(labels == 0, 0.0, 3.0), np.where(labels == 0, 2.0, 5.0)
    # Uniform in area rather than in radius, so the disc is not crowded at its centre.
    radius = np.sqrt(rng.uniform(inner**2, outer**2))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    points = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    shifted = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    # The boundary sits in the middle of the empty gap between disc and ring.
    return points, (np.hypot(shifted[:, 0], shifted[:, 1]) > 2.5).astype(np.int64)


def _xor_points(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Blue where x1 and x2 have the same sign, orange where they differ; half the points each."""
    labels = (np.arange(n) >= n // 2).astype(np.int64)
    # At least 0.3 from each axis, so the noise-free classes are separated by a visible margin.
    magnitude = rng.uniform(0.3, 5.0, (n, 2))
    sign1 = rng.choice([-1.0, 1.0], n)
    sign2 = np.where(labels == 0, sign1, -sign1)
    points = magnitude * np.stack([sign1, sign2], axis=1)
    shifted = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    return points, (shifted[:, 0] * shifted[:, 1] < 0).astype(np.int64)


def _gauss_points(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Blue: a blob around (2, 2). Orange: a blob around (-2, -2). Noise widens both until they overlap."""
    labels = (np.arange(n) >= n // 2).astype(np.int64)
    centres = np.where(labels[:, None] == 0, 2.0, -2.0)
    # Variance grows linearly from 0.5 (clearly apart) to 4 (heavily overlapping) over the noise range.
    variance = 0.5 + 3.5 * noise / MAX_TOY_NOISE
    return centres + rng.normal(0.0, math.sqrt(variance), (n, 2)), labels


def _spiral_points(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of 1.75 turns out to radius 5; orange is blue turned by half a turn."""
    labels = (np.arange(n) >= n // 2).astype(np.int64)
    t = rng.uniform(0.0, 1.0, n)  # how far along its arm each point lies
    angle = 1.75 * 2 * np.pi * t + np.pi * labels
    points = 5.0 * t[:, None] * np.stack([np.sin(angle), np.cos(angle)], axis=1)
    # Arms are about 1.4 apart, so a jitter of up to ±1 (noise 0.5) makes them overlap.
    return points + rng.uniform(-1.0, 1.0, (n, 2)) * 2.0 * noise, labels


def _plane_values(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A tilted plane: target (x1 + x2) / 12, from -1 at (-6, -6) to 1 at (6, 6)."""
    points = rng.uniform(-TOY_EXTENT, TOY_EXTENT, (n, 2))
    shifted = points + rng.uniform(-TOY_EXTENT, TOY_EXTENT, (n, 2)) * noise
    return points, shifted.sum(axis=1) / (2 * TOY_EXTENT)


# Six bumps of alternating sign on a 3 × 2 grid: (x1 centre, x2 centre, sign).
_BUMPS = np.array([[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
                   [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]])
# Wide enough to fill the plane between bumps, narrow enough that neighbours barely overlap.
_BUMP_WIDTH = 1.2


def _bump_values(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A sum of positive and negative Gaussian bumps; targets in [-1, 1]."""
    points = rng.uniform(-TOY_EXTENT, TOY_EXTENT, (n, 2))
    shifted = points + rng.uniform(-TOY_EXTENT, TOY_EXTENT, (n, 2)) * noise
    squared_distance = ((shifted[:, None, :] - _BUMPS[None, :, :2]) ** 2).sum(axis=2)  # (n, bumps)
    heights = np.exp(-squared_distance / (2 * _BUMP_WIDTH**2)) @ _BUMPS[:, 2]
    return points, np.clip(heights, -1.0, 1.0)


def _register_toy2d(name: str, generate: Callable, *, task: str, description: str) -> None:
    """Register a 2-D set drawn by `generate(n, noise, rng) -> (points, labels)`."""

    def load_toy2d(seed: int, *, n: int = 500, noise: float = 0.0, test_fraction: float = 0.5) -> Dataset:
        n = _check_int("n", n, low=4, high=MAX_TOY_POINTS)
        noise = _check_float("noise", noise, low=0.0, high=MAX_TOY_NOISE)
        test_fraction = _check_float("test_fraction", test_fraction, low=0.0, high=1.0, open_ends=True)
        rng = np.random.default_rng(seed)
        points, labels = generate(n, noise, rng)
        train, test = _shuffle_split(n, test_fraction, rng)
        return _split_dataset(
            name, points, labels, train, test, task=task, seed=seed, description=description,
            classes=list(TOY_CLASSES) if task == "classification" else [],
            params={"n": n, "noise": noise, "test_fraction": test_fraction},
        )

    load_toy2d.__name__ = f"load_{name}"
    load_toy2d.__doc__ = f"The 2-D set {name!r}: {description}"
    register_dataset(name, task=task, kind="toy2d", description=description)(load_toy2d)


_register_toy2d("circle", _circle_points, task="classification",
                description="Blue points fill a disc; orange points form a ring around it. "
                            "No straight line separates them.")
_register_toy2d("xor", _xor_points, task="classification",
                description="Blue where both coordinates have the same sign, orange where they differ: "
                            "the four quadrants, like the XOR of two bits.")
_register_toy2d("gauss", _gauss_points, task="classification",
                description="Two clouds of points around (2, 2) and (-2, -2); one straight line separates "
                            "them. Noise widens the clouds until they overlap.")
_register_toy2d("spiral", _spiral_points, task="classification",
                description="Two spirals wound into each other, the hardest of the 2-D sets.")
_register_toy2d("reg_plane", _plane_values, task="regression",
                description="Predict a number that rises steadily from -1 in the lower left corner "
                            "to 1 in the upper right: a tilted plane.")
_register_toy2d("reg_gauss", _bump_values, task="regression",
                description="Predict a surface of six hills and valleys: positive and negative bumps "
                            "on a 3 × 2 grid.")


# ---------------------------------------------------------------------------------------------------------
# Small image sets that need no download


@register_dataset("digits", task="classification", kind="image",
                  description="1,797 handwritten digits, 8 × 8 pixels each, from scikit-learn: "
                              "small enough to train on in seconds.")
def load_digits(seed: int, *, test_fraction: float = 0.2) -> Dataset:
    """scikit-learn's bundled digits: x (N, 1, 8, 8) in [0, 1], labels 0..9, stratified split."""
    # Imported on use: scikit-learn takes about a second to import.
    from sklearn.datasets import load_digits as sklearn_digits

    test_fraction = _check_float("test_fraction", test_fraction, low=0.0, high=1.0, open_ends=True)
    bunch = sklearn_digits()
    x = bunch.images[:, None, :, :] / 16.0  # pixel values are counts from 0 to 16
    labels = bunch.target.astype(np.int64)
    train, test = _stratified_split(labels, test_fraction, np.random.default_rng(seed))
    return _split_dataset("digits", x, labels, train, test, classes=[str(d) for d in range(10)],
                          task="classification", params={"test_fraction": test_fraction}, seed=seed,
                          description=DATASETS["digits"].description)


def _square_mask(dx: np.ndarray, dy: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Pixels of an axis-aligned square of half-side s; dx, dy are offsets from its centre."""
    return (np.abs(dx) <= s) & (np.abs(dy) <= s)


def _circle_mask(dx: np.ndarray, dy: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Pixels of a disc of radius s."""
    return dx**2 + dy**2 <= s**2


def _triangle_mask(dx: np.ndarray, dy: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Pixels of a triangle pointing up: apex at dy = -s (rows grow downwards), base 2s wide at dy = s."""
    return (dy <= s) & (np.abs(dx) <= (dy + s) / 2)


def _cross_mask(dx: np.ndarray, dy: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Pixels of a plus sign with arms of half-length s and half-width s / 3."""
    w = s / 3
    return ((np.abs(dx) <= w) & (np.abs(dy) <= s)) | ((np.abs(dy) <= w) & (np.abs(dx) <= s))


# Same order as SHAPE_CLASSES.
_SHAPE_MASKS = [_square_mask, _circle_mask, _triangle_mask, _cross_mask]


def draw_shapes(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Bool masks (N, size, size), one filled shape per image, class `labels[i]` of SHAPE_CLASSES.

    Each shape has a random half-extent between 15% and 35% of the image (at least 3 pixels) and a
    random centre chosen so that the whole shape lies inside the image.
    """
    n = len(labels)
    # Below a half-extent of 3 pixels a triangle rounds to a blob that looks like a square.
    half = rng.uniform(max(0.15 * size, 3.0), 0.35 * size, n)
    # Pixel centres run from 0 to size - 1; the shape spans centre ± half.
    cx = rng.uniform(half, size - 1 - half)
    cy = rng.uniform(half, size - 1 - half)
    grid = np.arange(size, dtype=np.float64)
    dx = grid[None, None, :] - cx[:, None, None]  # (N, 1, size)
    dy = grid[None, :, None] - cy[:, None, None]  # (N, size, 1)
    s = half[:, None, None]
    masks = np.zeros((n, size, size), dtype=bool)
    for label, make_mask in enumerate(_SHAPE_MASKS):
        chosen = labels == label
        masks[chosen] = make_mask(dx[chosen], dy[chosen], s[chosen])
    return masks


@register_dataset("shapes", task="classification", kind="image",
                  description="Single white squares, circles, triangles and crosses on a dark, noisy "
                              "background, at random places and sizes.")
def load_shapes(seed: int, *, n: int = 2000, size: int = 28, noise: float = 0.05,
                test_fraction: float = 0.2) -> Dataset:
    """Generated 1-channel images (N, 1, size, size) in [0, 1], balanced classes, with each shape's mask."""
    n = _check_int("n", n, low=4, high=MAX_SHAPES)
    size = _check_int("size", size, low=16, high=64)
    if n * size * size > MAX_SHAPES_PIXELS:
        raise DatasetError(f"n × size² must be at most {MAX_SHAPES_PIXELS:,} pixels (e.g. n up to "
                           f"{MAX_SHAPES_PIXELS // (size * size):,} at size {size}), got {n:,} × {size}² = "
                           f"{n * size * size:,}")
    noise = _check_float("noise", noise, low=0.0, high=1.0)
    test_fraction = _check_float("test_fraction", test_fraction, low=0.0, high=1.0, open_ends=True)
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(SHAPE_CLASSES)).astype(np.int64)
    masks = draw_shapes(labels, size, rng)
    # Shapes differ a little in brightness so that a network cannot rely on one exact pixel value.
    brightness = rng.uniform(0.8, 1.0, n).astype(np.float32)
    images = np.where(masks, brightness[:, None, None], np.float32(0.0))
    images += noise * rng.standard_normal(images.shape, dtype=np.float32)
    np.clip(images, 0.0, 1.0, out=images)
    train, test = _stratified_split(labels, test_fraction, rng)
    return _split_dataset("shapes", images[:, None], labels, train, test, classes=list(SHAPE_CLASSES),
                          task="classification", seed=seed, masks=masks[:, None],
                          params={"n": n, "size": size, "noise": noise, "test_fraction": test_fraction},
                          description=DATASETS["shapes"].description)


# ---------------------------------------------------------------------------------------------------------
# torchvision sets: read from `data_dir`, downloaded there once when missing.


def _expected_files(dataset_class: type, root: Path) -> tuple[Path, list[str], str]:
    """Where torchvision reads `dataset_class` under `root`: the folder, its files, and what else works."""
    if hasattr(dataset_class, "base_folder"):  # CIFAR: python pickles in one folder
        files = [name for name, _ in dataset_class.train_list + dataset_class.test_list]
        archive = f"or put {dataset_class.filename} in {root}"
        return root / dataset_class.base_folder, files + [dataset_class.meta["filename"]], archive
    # MNIST and its relatives: torchvision reads uncompressed idx files and unpacks its .gz archives itself.
    files = [Path(filename).stem for filename, _ in dataset_class.resources]
    return root / dataset_class.__name__ / "raw", files, "(their .gz archives work too)"


def _open_torchvision(dataset_class: type, root: Path, *, train: bool, label: str):
    """The torchvision dataset, downloading it into `root` if missing; DatasetError if that fails."""
    try:
        return dataset_class(root, train=train, download=False)
    except RuntimeError:
        pass  # torchvision's way of saying files are missing (or fail their checksum): a download fixes both
    # Broad on purpose: a damaged file or a failed download surfaces as URLError, HTTPException,
    # RuntimeError, tarfile errors and more, and whichever it is, the user needs the same advice.
    except Exception as e:
        raise _files_error(dataset_class, root, label, e) from e
    try:
        return dataset_class(root, train=train, download=True)
    except Exception as e:
        raise _files_error(dataset_class, root, label, e) from e


def _files_error(dataset_class: type, root: Path, label: str, error: Exception) -> DatasetError:
    """What went wrong reading `dataset_class` under `root`, where its files belong, and how to get them."""
    folder, files, alternative = _expected_files(dataset_class, root)
    # torchvision's download message lists each mirror it tried; its last line holds the actual failure.
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    cause = lines[-1] if lines else "no details"
    return DatasetError(
        f"{label} could not be read or downloaded ({type(error).__name__}: {cause}). "
        f"It belongs in {folder}: {', '.join(files)}. Either run once with internet access so it is "
        f"downloaded there, or copy torchvision's {label} files into {folder} {alternative}. "
        f"To keep datasets elsewhere, pass data_dir or set PLAYGROUND_DATA_DIR."
    )


def _subsample(count: int, n: int | None, rng: np.random.Generator, *, param: str, label: str) -> np.ndarray:
    """Indices of `n` random samples out of `count`, or all of them in order when n is None."""
    if n is None:
        return np.arange(count)
    if n > count:
        raise DatasetError(f"{param}={n} is more than the {count} samples {label} has")
    return rng.permutation(count)[:n]


def _torchvision_images(ds, indices: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (n, C, H, W) float32 in [0, 1] and labels (n,) int64 of a torchvision dataset."""
    index = torch.as_tensor(indices, dtype=torch.int64)
    if isinstance(ds.data, np.ndarray):  # CIFAR keeps (N, H, W, C) uint8 arrays
        pixels = torch.from_numpy(ds.data)[index].permute(0, 3, 1, 2)
    else:  # MNIST keeps (N, H, W) uint8 tensors
        pixels = ds.data[index].unsqueeze(1)
    x = pixels.to(torch.float32).div_(255.0).contiguous()
    return x, torch.as_tensor(ds.targets, dtype=torch.int64)[index]


def _register_torchvision(name: str, class_name: str, *, label: str, description: str) -> None:
    """Register torchvision's `class_name` dataset under `name`; `label` is its human name."""

    def load_torchvision(seed: int, *, n_train: int | None = None, n_test: int | None = None,
                         data_dir: str | None = None) -> Dataset:
        import torchvision  # imported on use: only these datasets need it

        n_train = _check_optional_count("n_train", n_train, high=MAX_TRAIN_IMAGES)
        n_test = _check_optional_count("n_test", n_test, high=MAX_TEST_IMAGES)
        # Keep data_dir as given (usually None), so that a ref made here still works on another machine.
        data_dir = None if data_dir is None else str(data_dir)
        root = Path(data_dir if data_dir is not None else get_settings().data_dir).expanduser()
        dataset_class = getattr(torchvision.datasets, class_name)
        train_ds = _open_torchvision(dataset_class, root, train=True, label=label)
        test_ds = _open_torchvision(dataset_class, root, train=False, label=label)
        rng = np.random.default_rng(seed)
        train_index = _subsample(len(train_ds), n_train, rng, param="n_train",
                                 label=f"{label}'s training set")
        test_index = _subsample(len(test_ds), n_test, rng, param="n_test", label=f"{label}'s test set")
        x_train, y_train = _torchvision_images(train_ds, train_index)
        x_test, y_test = _torchvision_images(test_ds, test_index)
        return Dataset(name=name, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                       input_shape=tuple(x_train.shape[1:]), classes=list(train_ds.classes),
                       task="classification", seed=seed, description=description,
                       params={"n_train": n_train, "n_test": n_test, "data_dir": data_dir})

    load_torchvision.__name__ = f"load_{name}"
    load_torchvision.__doc__ = f"torchvision's {label}: images (N, C, H, W) in [0, 1], its own split."
    register_dataset(name, task="classification", kind="image", description=description,
                     offline=False)(load_torchvision)


_register_torchvision("mnist", "MNIST", label="MNIST",
                      description="70,000 handwritten digits, 28 × 28 grey pixels: the classic first "
                                  "image set.")
_register_torchvision("fashion_mnist", "FashionMNIST", label="Fashion-MNIST",
                      description="70,000 photos of clothes and shoes in ten kinds, 28 × 28 grey pixels: "
                                  "harder than digits.")
_register_torchvision("cifar10", "CIFAR10", label="CIFAR-10",
                      description="60,000 small colour photos, 32 × 32 pixels, of planes, cars, birds, "
                                  "cats and six other kinds of thing.")


# ---------------------------------------------------------------------------------------------------------
# Sequences: inputs (N, T, F), T time steps of F features (batch first), for recurrent layers.

MAX_SEQUENCE_LENGTH = 500
MAX_SEQUENCE_VALUES = 4_000_000  # n × length × features: 16 MB of float32
RECALL_SYMBOLS = ["A", "B", "C", "D"]


def _check_sequence_size(n: int, length: int, features: int) -> None:
    if n * length * features > MAX_SEQUENCE_VALUES:
        raise DatasetError(f"n × length × features must be at most {MAX_SEQUENCE_VALUES:,} numbers, got "
                           f"{n:,} × {length:,} × {features} = {n * length * features:,}")


def sine_arrays(n: int, length: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Windows x (n, length, 1) of s(t) = sin(ωt) + ½ sin(2.7ωt + φ) + noise; y (n,) the value after each."""
    omega, phase = 2 * math.pi / 25, rng.uniform(0, 2 * math.pi)
    starts = rng.uniform(0, 1000, n)
    t = starts[:, None] + np.arange(length + 1)[None, :]
    signal = np.sin(omega * t) + 0.5 * np.sin(2.7 * omega * t + phase)
    signal += noise * rng.standard_normal(signal.shape)
    return signal[:, :length, None], signal[:, length]


def adding_arrays(n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x (n, length, 2): [value in [0, 1), marker 0/1], one marker in each half; y (n,) the marked values' sum."""
    values = rng.uniform(0.0, 1.0, (n, length))
    half = length // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, length, n)
    markers = np.zeros((n, length))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    return np.stack([values, markers], axis=2), values[rows, first] + values[rows, second]


def recall_arrays(n: int, length: int, symbols: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x (n, length, symbols) one-hot symbols; y (n,) int64 the first step's symbol, balanced."""
    labels = rng.permutation(np.arange(n) % symbols).astype(np.int64)
    sequence = rng.integers(0, symbols, (n, length))
    sequence[:, 0] = labels
    return np.eye(symbols, dtype=np.float32)[sequence], labels


def character_arrays(text: str, n: int, length: int,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """x (n, length) float32 character ids of windows of `text`; y (n,) the id after each; the classes.

    The classes are the text's distinct characters, sorted: an id is a character's place there.
    """
    classes = sorted(set(text))
    ids = np.searchsorted(np.array(classes), np.array(list(text)))
    # One window ends before an occurrence of each character (a rare capital too), so that every
    # class is some window's target; the other windows start anywhere.
    sure = [rng.choice(where) - length for c in range(len(classes))
            if len(where := np.flatnonzero(ids[length:] == c) + length)]
    starts = rng.permutation(np.concatenate([sure, rng.integers(0, len(text) - length, n)])[:n].astype(np.int64))
    windows = ids[starts[:, None] + np.arange(length + 1)[None, :]]  # (n, length + 1)
    return windows[:, :length].astype(np.float32), windows[:, length], classes


@register_dataset("sine", task="regression", kind="sequence",
                  description="Forecasting: the last `length` values of a noisy sum of two sine waves; the "
                              "target is the value one step after the window.")
def load_sine(seed: int, *, n: int = 2000, length: int = 30, noise: float = 0.05,
              test_fraction: float = 0.2) -> Dataset:
    """Windows (N, length, 1) of s(t) = sin(ωt) + ½ sin(2.7ωt + φ) + noise, each at a random start."""
    n = _check_int("n", n, low=4, high=20_000)
    length = _check_int("length", length, low=2, high=MAX_SEQUENCE_LENGTH)
    _check_sequence_size(n, length, 1)
    noise = _check_float("noise", noise, low=0.0, high=MAX_TOY_NOISE)
    test_fraction = _check_float("test_fraction", test_fraction, low=0.0, high=1.0, open_ends=True)
    rng = np.random.default_rng(seed)
    x, y = sine_arrays(n, length, noise, rng)
    train, test = _shuffle_split(n, test_fraction, rng)
    return _split_dataset("sine", x, y, train, test, classes=[],
                          task="regression", seed=seed, description=DATASETS["sine"].description,
                          params={"n": n, "length": length, "noise": noise, "test_fraction": test_fraction})


@register_dataset("adding", task="regression", kind="sequence",
                  description="The adding problem (Hochreiter & Schmidhuber, 1997): each step holds a random "
                              "number and a marker; the target is the sum of the two marked numbers, one in "
                              "each half of the sequence. Predicting the mean scores an MSE of about 0.167.")
def load_adding(seed: int, *, n: int = 4000, length: int = 50, test_fraction: float = 0.2) -> Dataset:
    """Inputs (N, length, 2): [value in [0, 1), marker 0/1]; targets the sum of the two marked values."""
    n = _check_int("n", n, low=4, high=20_000)
    length = _check_int("length", length, low=2, high=MAX_SEQUENCE_LENGTH)
    _check_sequence_size(n, length, 2)
    test_fraction = _check_float("test_fraction", test_fraction, low=0.0, high=1.0, open_ends=True)
    rng = np.random.default_rng(seed)
    x, y = adding_arrays(n, length, rng)
    train, test = _shuffle_split(n, test_fraction, rng)
    return _split_dataset("adding", x, y, train, test, classes=[],
                          task="regression", seed=seed, description=DATASETS["adding"].description,
                          params={"n": n, "length": length, "test_fraction": test_fraction})


@register_dataset("recall", task="classification", kind="sequence",
                  description="Recall: a sequence of symbols (A–D, one-hot); the class is the first symbol, "
                              "which must be remembered past every later one. Guessing scores 25 %.")
def load_recall(seed: int, *, n: int = 4000, length: int = 20, test_fraction: float = 0.2) -> Dataset:
    """Inputs (N, length, 4), one symbol a step; labels the index of the first step's symbol."""
    n = _check_int("n", n, low=4, high=20_000)
    length = _check_int("length", length, low=1, high=MAX_SEQUENCE_LENGTH)
    symbols = len(RECALL_SYMBOLS)
    _check_sequence_size(n, length, symbols)
    test_fraction = _check_float("test_fraction", test_fraction, low=0.0, high=1.0, open_ends=True)
    rng = np.random.default_rng(seed)
    x, labels = recall_arrays(n, length, symbols, rng)
    train, test = _stratified_split(labels, test_fraction, rng)
    return _split_dataset("recall", x, labels, train, test,
                          classes=list(RECALL_SYMBOLS), task="classification", seed=seed,
                          description=DATASETS["recall"].description,
                          params={"n": n, "length": length, "test_fraction": test_fraction})


MAX_TEXT_CHARS = 100_000  # characters of the default text a `characters` set is cut from


@register_dataset("characters", task="classification", kind="sequence",
                  description="Next character: windows of `length` characters of the project's own simple "
                              "English (as ids, one a step; the classes are the characters in sorted order); "
                              "the class is the character that follows the window.")
def load_characters(seed: int, *, n: int = 4000, length: int = 32, chars: int = 20_000,
                    test_fraction: float = 0.2) -> Dataset:
    """Inputs (N, length): character ids stored as float32; labels the id of the next character.

    The text is `playground.text.default_text(seed, chars)`; the classes are its distinct characters,
    sorted, so an id is the character's position there. Windows start at random positions.
    """
    n = _check_int("n", n, low=4, high=20_000)
    length = _check_int("length", length, low=1, high=MAX_SEQUENCE_LENGTH)
    chars = _check_int("chars", chars, low=1_000, high=MAX_TEXT_CHARS)
    _check_sequence_size(n, length, 1)
    if length >= chars // 2:
        raise DatasetError(f"length must be less than half of chars ({chars:,}), got {length:,}")
    test_fraction = _check_float("test_fraction", test_fraction, low=0.0, high=1.0, open_ends=True)
    from playground.text import default_text  # the grammar is only needed for this set

    rng = np.random.default_rng(seed)
    x, y, classes = character_arrays(default_text(seed, chars), n, length, rng)
    train, test = _shuffle_split(n, test_fraction, rng)
    return _split_dataset("characters", x, y, train, test,
                          classes=classes, task="classification", seed=seed,
                          description=DATASETS["characters"].description,
                          params={"n": n, "length": length, "chars": chars, "test_fraction": test_fraction})
