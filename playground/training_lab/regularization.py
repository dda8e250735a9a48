"""Regularization: weight penalties (L1, L2), early stopping and data augmentation, and the trainer
that trains several variants of one network side by side on the same data and seed to compare them.

The penalties are applied as a shrink step after every optimizer step (a proximal step, as in
ISTA: Beck & Teboulle, 2009), so their effect is easy to state: L2 shrinks every weight by the same
fraction, L1 moves every weight towards zero by the same amount and stops it at zero. That is why
L1 leaves many weights at exactly zero and L2 leaves them small but not zero. Early stopping keeps
the weights of the epoch with the lowest validation loss (Prechelt, 1998, "Early stopping - but when?").
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from playground.data import Dataset
from playground.jobs import placement
from playground.jobs.supervised import evaluate, loss_function, supervised_loop
from playground.jobs.train import ConfigError, register_trainer

AUGMENTATIONS = ("shift", "flip", "rotate", "noise")
AUGMENTATION_HELP = {
    "shift": "move the image by up to one pixel in each direction",
    "flip": "mirror the image left to right, half the time",
    "rotate": "turn the image by up to 15 degrees either way",
    "noise": "add random noise (standard deviation 0.1) to every pixel",
}
MAX_ANGLE_DEGREES = 15.0
NOISE_STD = 0.1
# The Regularization page's three experiments and their settings.
EXPERIMENTS = ("Weight penalties", "Early stopping", "Data augmentation")
# What each experiment shows, in a few sentences for its page.
INTRODUCTIONS = {
    "Weight penalties":
        "After every step, **L2** shrinks each weight by the same *fraction* (large weights lose most); **L1** "
        "moves each weight towards zero by the same *amount* and stops it at zero, so weights that matter little "
        "end up exactly 0. The same network (one hidden layer of 128 ReLU units) trains on 200 digits with no "
        "penalty, L1 and L2 at the same rate.",
    "Early stopping":
        "Trained long enough on a small, noisy set, a network starts learning the noise: its validation loss "
        "falls, then rises again. Early stopping watches the validation loss after every epoch, keeps a copy of "
        "the best weights, and puts them back at the end.",
    "Data augmentation":
        "With only 100 training images of shapes at random places, a network learns those 100 pictures rather "
        "than what a square or a circle looks like. Augmentation shows it a new, randomly altered copy of each "
        "image every time, as if there were many more.",
}
PENALTY_RATES = (0.01, 0.03, 0.1, 0.3)  # λ for L1 and L2: from barely visible to most weights at zero
PATIENCE_RANGE = (1, 50)  # epochs without a new best validation loss before early stopping gives up
NEAR_ZERO = 1e-3  # a weight this close to 0 does (almost) nothing: |w| · |x| ≤ 0.001 for pixels in [0, 1]
_WEIGHTED = (nn.Linear, nn.Conv2d)


@dataclasses.dataclass
class Variant:
    """One network to train in a side-by-side comparison, and how to regularize it.

    l1, l2: penalty rates; after every step each weight (not bias) is shrunk by lr·l2·w (L2) and
    moved towards 0 by lr·l1, stopping at 0 (L1). augment: names from AUGMENTATIONS, applied to each
    training batch. keep_best: remember the weights of the epoch with the lowest validation loss.
    patience: with keep_best, stop once this many epochs pass without a new best (None: never stop).
    """

    name: str
    spec: dict
    l1: float = 0.0
    l2: float = 0.0
    augment: tuple[str, ...] = ()
    keep_best: bool = False
    patience: int | None = None

    def validate(self) -> Variant:
        """Return self, or raise ConfigError naming the bad setting."""
        from playground.models import validate

        self.spec = validate(self.spec)
        for key in ("l1", "l2"):
            value = getattr(self, key)
            if not (isinstance(value, (int, float)) and 0 <= value <= 10):
                raise ConfigError(f"{self.name}: {key} must be from 0 to 10 (got {value!r})")
        unknown = [a for a in self.augment if a not in AUGMENTATIONS]
        if unknown:
            raise ConfigError(f"{self.name}: unknown augmentation {unknown[0]!r} (known: {', '.join(AUGMENTATIONS)})")
        if self.patience is not None and not (isinstance(self.patience, int) and self.patience >= 1):
            raise ConfigError(f"{self.name}: patience must be a whole number from 1 (got {self.patience!r})")
        return self

    def to_dict(self) -> dict:
        values = dataclasses.asdict(self)
        values["augment"] = list(self.augment)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> Variant:
        values = dict(values)
        values["augment"] = tuple(values.get("augment", ()))
        return cls(**values).validate()


def mlp_spec(hidden: tuple[int, ...] = (128, 128), activation: str = "relu", *, input_shape=(1, 8, 8),
             outputs: int = 10) -> dict:
    """A spec: flatten the input, then a linear layer and `activation` per entry of `hidden`, then a
    linear output layer of `outputs` neurons (the digits' ten classes by default)."""
    layers: list[dict] = [{"type": "flatten"}] if len(input_shape) > 1 else []
    for width in hidden:
        layers += [{"type": "linear", "out_features": int(width)}, {"type": activation}]
    layers.append({"type": "linear", "out_features": outputs})
    return {"input_shape": list(input_shape), "layers": layers}


def small_training_set(dataset: Dataset, n_train: int, *, seed: int = 0) -> Dataset:
    """`dataset` with only `n_train` training examples (as even across classes as it can), the same test set.

    Few examples are easy to memorize, so a network overfits them: the setting where regularization helps.
    """
    if not 1 <= n_train <= len(dataset.x_train):
        raise ValueError(f"n_train must be from 1 to {len(dataset.x_train)}, got {n_train}")
    rng = np.random.default_rng(seed)
    labels = dataset.y_train.numpy()
    # Round-robin over the classes, each shuffled, so every class gets its share.
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    order = [members[k] for k in range(max(map(len, per_class))) for members in per_class if k < len(members)]
    keep = torch.as_tensor(np.sort(order[:n_train]))
    return dataclasses.replace(dataset, name=f"{dataset.name}, {n_train} training examples",
                               x_train=dataset.x_train[keep], y_train=dataset.y_train[keep],
                               params={**dataset.params, "n_train": n_train, "subset_seed": seed},
                               masks_train=None if dataset.masks_train is None else dataset.masks_train[keep])


# ----------------------------------------------------------------------------------------------
# Penalties


@torch.no_grad()
def shrink_weights(model: nn.Module, *, l1: float = 0.0, l2: float = 0.0, lr: float) -> None:
    """One penalty step on every linear and convolution weight of `model`, in place (biases are left alone).

    L2: w ← w · (1 − lr·l2), the step that minimizes (l2/2)·w² by gradient descent.
    L1: w ← sign(w) · max(|w| − lr·l1, 0), the proximal step of l1·|w|: a fixed pull towards zero
    that stops at zero instead of overshooting, so small weights become exactly 0.
    """
    for module in model.modules():
        if not isinstance(module, _WEIGHTED):
            continue
        w = module.weight
        if l2:
            w.mul_(1 - lr * l2)
        if l1:
            w.copy_(w.sign() * (w.abs() - lr * l1).clamp_min(0))


def weight_values(model: nn.Module) -> np.ndarray:
    """Every linear and convolution weight of `model` (no biases), flattened into one array."""
    parts = [m.weight.detach().flatten().cpu() for m in model.modules() if isinstance(m, _WEIGHTED)]
    return torch.cat(parts).numpy() if parts else np.zeros(0, dtype=np.float32)


def near_zero_fraction(weights: np.ndarray, *, tol: float = NEAR_ZERO) -> float:
    """The fraction of `weights` with |w| ≤ `tol`."""
    weights = np.asarray(weights)
    return float(np.mean(np.abs(weights) <= tol)) if weights.size else float("nan")


def weight_table(models: dict[str, nn.Module], dataset: Dataset) -> pd.DataFrame:
    """One row per network: the fraction of its weights within NEAR_ZERO of 0, its largest |w| and its
    validation accuracy on `dataset`, to compare what L1 and L2 did to the same network."""
    rows = []
    for name, model in models.items():
        weights = weight_values(model)
        rows.append({"network": name, "weights near 0 (|w| ≤ 0.001)": near_zero_fraction(weights),
                     "largest |w|": float(np.abs(weights).max()) if weights.size else float("nan"),
                     "validation accuracy": evaluate_model(model, dataset)["val_acc"]})
    return pd.DataFrame(rows)


def stopping_epochs(history: pd.DataFrame, best: dict | None, *, finished: bool, epochs: int
                    ) -> tuple[int, int | None]:
    """Where an early-stopping run's figure marks its epochs: (best, stopped).

    best: the epoch whose weights were kept (`best`, the job's "best" entry), else the lowest validation
    loss so far; stopped: the last epoch when training ended before `epochs`, else None.
    """
    best_epoch = best["epoch"] if best else int(history.loc[history["val_loss"].idxmin(), "epoch"])
    stopped = int(history["epoch"].iloc[-1])
    return best_epoch, stopped if finished and stopped < epochs else None


def restored_and_last(job, restored: nn.Module, last: nn.Module) -> dict[str, nn.Module]:
    """An early-stopping job's two networks named by their epochs: {"restored (epoch 12)": restored,
    "last (epoch 27)": last}, the restored one being the weights kept at the lowest validation loss."""
    last_epoch = int(histories(job.series("rows"))["network"]["epoch"].iloc[-1])
    return {f"restored (epoch {job.series('best')[0]['epoch']})": restored, f"last (epoch {last_epoch})": last}


# ----------------------------------------------------------------------------------------------
# Augmentation


def augment(x: torch.Tensor, kinds, *, generator: torch.Generator) -> torch.Tensor:
    """Randomly transformed copies of images `x` (B, C, H, W) in [0, 1]; `kinds` from AUGMENTATIONS.

    Shift (whole pixels, up to max(1, H // 8)), flip (left-right, each image with probability 1/2)
    and rotate (up to ±15°) are one affine map per image, resampled bilinearly with black outside;
    noise adds N(0, 0.1²) to each pixel. The result is clipped to [0, 1].
    """
    kinds = set(kinds)
    if not kinds:
        return x
    if x.dim() != 4:
        raise ValueError(f"augmentation needs images (B, C, H, W), got shape {list(x.shape)}")
    b, _, h, w = x.shape
    if kinds & {"shift", "flip", "rotate"}:
        # Random numbers are drawn on the CPU generator and moved, so a seed gives the same images anywhere.
        angle = torch.zeros(b)
        if "rotate" in kinds:
            angle = (torch.rand(b, generator=generator) * 2 - 1) * math.radians(MAX_ANGLE_DEGREES)
        sign = torch.ones(b)
        if "flip" in kinds:
            sign = torch.where(torch.rand(b, generator=generator) < 0.5, -1.0, 1.0)
        shift = torch.zeros(b, 2)
        if "shift" in kinds:
            most = max(1, h // 8)
            pixels = torch.randint(-most, most + 1, (b, 2), generator=generator).float()
            shift = pixels * torch.tensor([2.0 / w, 2.0 / h])  # in grid units, where the image spans [-1, 1]
        cos, sin = torch.cos(angle), torch.sin(angle)
        # The grid maps each output position to where it reads from in the input.
        theta = torch.stack([torch.stack([cos * sign, -sin, -shift[:, 0]], 1),
                             torch.stack([sin * sign, cos, -shift[:, 1]], 1)], 1).to(x)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if "noise" in kinds:
        x = x + NOISE_STD * torch.randn(x.shape, generator=generator).to(x)
    return x.clamp(0, 1)


# ----------------------------------------------------------------------------------------------
# Training variants side by side


class _VariantContext:
    """What `supervised_loop` needs from a job context, for one variant: rows and weights go to the
    job's extra series under the variant's name instead of its main history."""

    def __init__(self, ctx, variant: Variant, *, drives_progress: bool):
        self._ctx = ctx
        self.variant = variant
        self.spec = variant.spec
        self.config = ctx.config
        self.dataset = ctx.dataset
        self.device = ctx.device
        self.init_weights = None
        self.pending: dict | None = None
        self._drives_progress = drives_progress

    def report(self, **row) -> None:
        self.pending = row  # completed by `after_epoch`, which sees the model

    def progress(self, epoch: int, fraction: float) -> None:
        if self._drives_progress:
            self._ctx.progress(epoch, fraction)

    def publish(self, module, *, force: bool = False) -> None:
        # Each variant's weights are sent once, at its end, as a series. A variant named in the job's
        # "watch" option also offers its latest weights every epoch (job.latest("weights: <name>")), so a
        # page can look inside it while it trains.
        if self.variant.name in self._ctx.options.get("watch", ()):
            self._ctx.latest(f"weights: {self.variant.name}", _state_bytes(module))


def _state_bytes(model: nn.Module) -> bytes:
    from safetensors.torch import save

    return save({k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()})


def _variant_run(ctx, variant: Variant, *, drives_progress: bool):
    """A generator that trains one variant through `supervised_loop` and reports it as series.

    Series: "rows" gets one dict per epoch (the variant's name under "variant"; train_loss and
    train_acc measured in eval mode on the clean training set at the epoch's end, so dropout and
    augmentation do not colour them); "weights" gets {"variant", "kind": "last" or "best", "epoch",
    "state": safetensors bytes} at the end; "best" gets {"variant", "epoch", "val_loss"} with keep_best.
    """
    vctx = _VariantContext(ctx, variant, drives_progress=drives_progress)
    config, data = ctx.config, ctx.dataset
    task = data.task
    loss_fn = loss_function(task, config.loss)
    x_train, y_train = data.x_train, data.y_train  # on the device already when they fit (`variants_trainer`)
    generator = torch.Generator().manual_seed(config.seed)
    best = {"epoch": None, "val_loss": math.inf, "state": None}
    state = {"model": None, "since_best": 0, "epoch": 0}

    def prepare(model, xb, yb):
        if variant.l1 or variant.l2:
            shrink_weights(model, l1=variant.l1, l2=variant.l2, lr=config.lr)
        return augment(xb, variant.augment, generator=generator) if variant.augment else xb

    def after_epoch(model, epoch):
        row = dict(vctx.pending or {}, variant=variant.name)
        if epoch > 0:
            row["train_loss"], row["train_acc"] = evaluate(model, x_train, y_train, loss_fn, task)
        ctx.series("rows", row)
        state["model"], state["epoch"] = model, epoch
        if variant.keep_best and row["val_loss"] < best["val_loss"]:
            best.update(epoch=epoch, val_loss=row["val_loss"], state=copy.deepcopy(model.state_dict()))
            state["since_best"] = 0
        else:
            state["since_best"] += 1

    for what in supervised_loop(vctx, task, prepare=prepare if variant.l1 or variant.l2 or variant.augment else None,
                                after_epoch=after_epoch):
        yield what
        if variant.keep_best and variant.patience is not None and state["since_best"] >= variant.patience:
            break
    model = state["model"]
    ctx.series("weights", {"variant": variant.name, "kind": "last", "epoch": state["epoch"],
                           "state": _state_bytes(model)})
    if variant.keep_best and best["state"] is not None:
        model.load_state_dict(best["state"])
        ctx.series("weights", {"variant": variant.name, "kind": "best", "epoch": best["epoch"],
                               "state": _state_bytes(model)})
        ctx.series("best", {"variant": variant.name, "epoch": best["epoch"], "val_loss": best["val_loss"]})


@register_trainer("variants")
def variants_trainer(ctx):
    """Train each variant in `ctx.options["variants"]` (Variant dicts) on the job's data and config,
    taking turns batch by batch, all from the same seed: the same first weights wherever their layers
    match, and the same order of batches.

    `ctx.options["n_train"]` trains on only that many training examples (`small_training_set`, with
    `ctx.options["subset_seed"]`); the subset is taken here so that the job carries a reference to a
    registered dataset rather than tensors.
    """
    variants = [Variant.from_dict(v) for v in ctx.options.get("variants", ())]
    if not variants:
        raise ConfigError("no variants to train")
    if ctx.options.get("n_train"):
        ctx.dataset = small_training_set(ctx.dataset, int(ctx.options["n_train"]),
                                         seed=int(ctx.options.get("subset_seed", 0)))
    # One copy of the data on the device for all the variants (they train side by side), when it fits.
    ctx.dataset = placement.place_dataset(ctx.dataset, ctx.device)
    runs = [_variant_run(ctx, v, drives_progress=k == len(variants) - 1) for k, v in enumerate(variants)]
    while runs:
        what = "step"
        for run in list(runs):
            try:
                what = next(run)
            except StopIteration:
                runs.remove(run)
        yield what


def histories(rows: list[dict]) -> dict[str, pd.DataFrame]:
    """The "rows" series of a variants job as one history table per variant, in order of first appearance."""
    tables: dict[str, list[dict]] = {}
    for row in rows:
        tables.setdefault(row["variant"], []).append(row)
    return {name: pd.DataFrame(found).drop(columns="variant") for name, found in tables.items()}


def live_producer(job, metrics: Callable[[dict[str, pd.DataFrame]], dict[str, str]]):
    """A feed's producer for a "variants" job: its status, `metrics(histories)` (label -> text) and the
    accuracy and loss charts of every variant so far ("acc", "loss"); computed again only when new rows
    arrived."""
    from playground.figures.training_lab.variants import variant_series
    from playground.jobs import live

    def produce(job) -> dict:
        view = live.job_view(job)
        tables = histories(job.series("rows"))
        if tables:
            view["metrics"] = metrics(tables)
            view["charts"] = {m: variant_series(tables, metric=m) for m in ("acc", "loss")}
        return view

    return live.Cached(job, produce, mark=lambda j: len(j.series("rows")))


def load_weights(spec: dict, state: bytes) -> nn.Module:
    """The network `spec` builds, with the weights `state` (safetensors bytes), in eval mode on the CPU."""
    from playground.checkpoints import state_from_bytes
    from playground.models import build

    model = build(spec)
    model.load_state_dict(state_from_bytes(state))
    return model.eval()


def variant_models(job, variants: list[Variant], *, kind: str = "last") -> dict[str, nn.Module]:
    """The finished variants' models from a variants job (`kind` "last" or "best"), by name."""
    specs = {v.name: v.spec for v in variants}
    return {entry["variant"]: load_weights(specs[entry["variant"]], entry["state"])
            for entry in job.series("weights") if entry["kind"] == kind and entry["variant"] in specs}


def evaluate_model(model: nn.Module, dataset: Dataset) -> dict[str, float]:
    """Validation loss and accuracy of a classifier on `dataset`'s test set (eval mode, cross-entropy)."""
    loss, acc = evaluate(model, dataset.x_test, dataset.y_test, F.cross_entropy, dataset.task)
    return {"val_loss": loss, "val_acc": acc}


def augmented_examples(images: torch.Tensor, kinds, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Randomly augmented copies of `images` (B, C, H, W) to show: each of `kinds` alone (when there are
    several), then all of them together, keyed by name ("shift", "shift + flip"); {} for no kinds.
    Seeded, so the same `seed` shows the same copies."""
    kinds = tuple(kinds)
    shown = {}
    for kind in kinds if len(kinds) > 1 else ():
        shown[kind] = augment(images, (kind,), generator=torch.Generator().manual_seed(seed)).numpy()
    if kinds:
        generator = torch.Generator().manual_seed(seed + 10_000)
        shown[" + ".join(kinds)] = augment(images, kinds, generator=generator).numpy()
    return shown
