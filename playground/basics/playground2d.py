"""The 2-D playground: points on a plane, chosen input features, a small network, and its trainer.

The network is a `playground.basics.tinynet.TinyNet`; its spec (for `train.start` and checkpoints) is the
matching `playground.models` spec: a linear layer and an activation layer per hidden layer, then a
linear layer with one output. For classification that output is a logit and the sigmoid belongs to
the loss, as in PyTorch's `BCEWithLogitsLoss`; for regression it is the prediction.

The dataset a job trains on holds the feature values (x₁, x₁², sin x₂, ...) of the points, not the
points themselves, so the worker needs nothing else to train. The trainer `playground2d` reports:

- history rows at log-spaced epochs (every epoch up to 100, then every 10th to 1,000, every 100th
  to 10,000, ...), so that a run of 100,000 epochs stays a few hundred rows;
- frames about five times a second (and when the job's turn in its worker ends): the extra series
  "frame", {"epoch", "train_loss", "test_loss"}, every one kept for the loss curve, and the newest
  frame with "blocks" too, the weights as `TinyNet` stores them (float32 lists), kept alone
  (`job.latest("frame")`: a long run does not pile up weights). A page draws from the newest frame;
  the neurons' pictures over the plane are computed from the weights by `neuron_grids`, which takes
  a few milliseconds, so they also follow a weight the user edits without any job.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import torch

from playground.activations import ACTIVATIONS
from playground.basics import tinynet
from playground.data import TOY_EXTENT, Dataset, _test_count, load
from playground.jobs.train import TrainingError, register_trainer

__all__ = ["ACTIVATION_LAYERS", "CLASSIFICATION_SETS", "DATASETS", "FEATURES", "MAX_HIDDEN_LAYERS",
           "REGRESSION_SETS", "PointEdits", "Snapshot", "edit_weight", "featurize", "frame_of", "make_points",
           "net_from_blocks", "net_from_spec", "net_from_weights", "network_spec", "neuron_grids",
           "snapshot", "training_dataset", "weight_label", "weights_of", "reported_epoch", "curve_points",
           "thin_curve", "customdata_ints", "run_curve", "SPEEDS", "LEARNING_RATES", "REG_RATES",
           "REGULARIZATIONS", "N_POINTS", "MAX_NEURONS", "MAX_NEURONS_ADVANCED", "NAMES"]

CLASSIFICATION_SETS = ("circle", "xor", "gauss", "spiral")
REGRESSION_SETS = ("reg_plane", "reg_gauss")
DATASETS = CLASSIFICATION_SETS + REGRESSION_SETS
MAX_HIDDEN_LAYERS = 6

# The inputs a network may see, after TensorFlow Playground: name -> (label, function of x₁, x₂).
FEATURES: dict[str, tuple[str, object]] = {
    "x1": ("x₁", lambda a, b: a),
    "x2": ("x₂", lambda a, b: b),
    "x1_sq": ("x₁²", lambda a, b: a * a),
    "x2_sq": ("x₂²", lambda a, b: b * b),
    "x1x2": ("x₁x₂", lambda a, b: a * b),
    "sin_x1": ("sin x₁", lambda a, b: np.sin(a)),
    "sin_x2": ("sin x₂", lambda a, b: np.sin(b)),
}
# Each tinynet activation and the `playground.models` layer that computes the same.
ACTIVATION_LAYERS = {name: activation.layer for name, activation in ACTIVATIONS.items()}
_LAYER_ACTIVATIONS = {layer: name for name, layer in ACTIVATION_LAYERS.items()}
FRAME_EVERY_S = 0.2  # five frames a second: a page redraws about three times a second
MIN_FRAME_GAP_S = 0.1
CURVE_POINTS = 300  # a long run's loss curve is thinned to this many points: the same line, less to send
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # TensorFlow Playground's
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
# Training speeds offered, in epochs a second (the trainer's "epochs_per_s"); 0: as fast as it goes.
# The slowest lets a class watch each epoch move the boundary.
SPEEDS = (2, 5, 10, 30, 100, 300, 0)
REGULARIZATIONS = ("none", "l1", "l2")
N_POINTS = 500  # points a generated set has (before the user's edits)
MAX_NEURONS, MAX_NEURONS_ADVANCED = 8, 32  # a hidden layer's width, in the plain and the advanced mode
# How the names of the page's choices read.
NAMES = {"sgd": "SGD", "momentum": "SGD with momentum (0.9)", "rmsprop": "RMSprop", "adam": "Adam",
         "cross_entropy": "cross-entropy", "mse": "squared error (MSE)", "none": "none", "l1": "L1", "l2": "L2",
         "tanh": "tanh", "relu": "ReLU", "sigmoid": "sigmoid", "linear": "linear", "leaky_relu": "leaky ReLU",
         "circle": "circle", "xor": "xor", "gauss": "two clouds", "spiral": "spiral",
         "reg_plane": "plane (regression)", "reg_gauss": "hills (regression)"}


def customdata_ints(data, n: int) -> tuple[int, ...] | None:
    """The `n` whole numbers a clicked point carries as Plotly customdata, or None.

    Streamlit hands a point's customdata on as a list ([0, 218]) or, for a row of a 2-D array, as an
    object keyed by position ({"0": 0, "1": 218}); both are read here. Anything else gives None.
    """
    if isinstance(data, dict):
        try:
            data = [data[str(i)] if str(i) in data else data[i] for i in range(len(data))]
        except KeyError:
            return None
    if not isinstance(data, list | tuple) or len(data) != n:
        return None
    try:
        values = tuple(int(v) for v in data)
    except (TypeError, ValueError):
        return None
    return values if all(float(v) == w for v, w in zip(data, values)) else None


# ----------------------------------------------------------------------------------------------
# Points and features

MAX_EDITS = 2000  # points a link may add or remove: far more than anyone clicks, little to train on
MAX_TARGET = 100  # an added point's label (0 or 1) or target (the regression sets' lie near [-2, 2])


def _numbers(values, n: int) -> bool:
    """Whether `values` is a list of `n` JSON numbers a float can hold (not booleans, not 10**400)."""
    return (isinstance(values, list | tuple) and len(values) == n
            and all(isinstance(v, float) or (isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**53)
                    for v in values))



@dataclasses.dataclass(frozen=True)
class PointEdits:
    """Points a user added (x₁, x₂, label or target; they join the training set) and removed
    (by part, 0 = train and 1 = test, and index in that part of the generated set)."""

    added: tuple[tuple[float, float, float], ...] = ()
    removed: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict:
        return {"added": [list(p) for p in self.added], "removed": [list(r) for r in self.removed]}

    @classmethod
    def from_dict(cls, values: dict) -> PointEdits:
        """From `to_dict`'s output; ValueError saying what is malformed (shapes, kinds, bounds)."""
        if not isinstance(values, dict) or set(values) - {"added", "removed"}:
            raise ValueError('the point edits must be an object {"added": [...], "removed": [...]}')
        added, removed = values.get("added", []), values.get("removed", [])
        if not isinstance(added, list) or not isinstance(removed, list):
            raise ValueError("'added' and 'removed' must be lists")
        if len(added) > MAX_EDITS or len(removed) > MAX_EDITS:
            raise ValueError(f"at most {MAX_EDITS:,} points may be added and {MAX_EDITS:,} removed")
        if not all(_numbers(p, 3) and all(math.isfinite(v) for v in p) for p in added):
            raise ValueError("each added point is [x1, x2, label or target], three finite numbers")
        if any(max(abs(p[0]), abs(p[1])) > TOY_EXTENT for p in added):
            raise ValueError("added points must lie inside the plot")
        if any(abs(p[2]) > MAX_TARGET for p in added):
            raise ValueError(f"an added point's label or target must lie between -{MAX_TARGET} and {MAX_TARGET}")
        if not all(_numbers(r, 2) and r[0] in (0, 1) and float(r[1]).is_integer() and 0 <= r[1] < N_POINTS
                   for r in removed):
            raise ValueError(f"a removed point is named by part 0 or 1 and an index from 0 to {N_POINTS - 1}")
        return cls(tuple((float(a), float(b), float(c)) for a, b, c in added),
                   tuple((int(part), int(i)) for part, i in removed))

    def adding(self, x1: float, x2: float, value: float) -> PointEdits:
        """These edits plus a training point at (x1, x2) with label (0 or 1) or target `value`."""
        x1, x2 = (round(min(max(float(v), -TOY_EXTENT), TOY_EXTENT), 2) for v in (x1, x2))
        return PointEdits((*self.added, (x1, x2, float(value))), self.removed)

    def removing(self, part: int, shown: int, *, n: int, test_fraction: float) -> PointEdits:
        """These edits plus the removal of the `shown`-th point of `part` (0 train, 1 test) as
        `make_points` returns it: kept generated points first, then the added ones."""
        n_test = _test_count(n, test_fraction)
        size = n - n_test if part == 0 else n_test
        kept = [i for i in range(size) if (part, i) not in set(self.removed)]
        if shown < len(kept):
            return PointEdits(self.added, (*self.removed, (part, kept[shown])))
        extra = shown - len(kept)
        if part == 0 and 0 <= extra < len(self.added):
            return PointEdits(self.added[:extra] + self.added[extra + 1:], self.removed)
        return self


def make_points(name: str, *, noise: float = 0.0, test_fraction: float = 0.5, n: int = 500, seed: int = 0,
                edits: PointEdits = PointEdits()) -> Dataset:
    """The 2-D set `name` with the user's edits: points (N, 2) and labels, as a `Dataset`.

    Added points join the training set; removed ones are dropped. Raises DatasetError (bad
    parameters) or ValueError (no training point left).
    """
    base = load(name, seed=seed, n=n, noise=noise, test_fraction=test_fraction)
    removed = {part: {i for p, i in edits.removed if p == part} for part in (0, 1)}
    keep_train = [i for i in range(len(base.x_train)) if i not in removed[0]]
    keep_test = [i for i in range(len(base.x_test)) if i not in removed[1]]
    x_train, y_train = base.x_train[keep_train], base.y_train[keep_train]
    if edits.added:
        points = torch.tensor([p[:2] for p in edits.added], dtype=torch.float32)
        if base.task == "classification":
            labels = torch.tensor([int(p[2] > 0.5) for p in edits.added], dtype=torch.int64)
        else:
            labels = torch.tensor([[p[2]] for p in edits.added], dtype=torch.float32)
        x_train, y_train = torch.cat([x_train, points]), torch.cat([y_train, labels])
    if len(x_train) == 0:
        raise ValueError("Every training point has been removed: add some, or reset the points.")
    return dataclasses.replace(base, x_train=x_train, y_train=y_train, x_test=base.x_test[keep_test],
                               y_test=base.y_test[keep_test])


def featurize(points: np.ndarray, features: list[str]) -> np.ndarray:
    """(N, 2) points -> (N, F) float64 values of the named features, in the order given."""
    points = np.asarray(points, dtype=np.float64)
    a, b = points[:, 0], points[:, 1]
    return np.stack([FEATURES[f][1](a, b) for f in features], axis=1) if len(points) else np.zeros((0, len(features)))


def training_dataset(points: Dataset, features: list[str]) -> Dataset:
    """The dataset a job trains on: the features of each point instead of the point itself."""
    if not features:
        raise ValueError("Choose at least one input feature.")
    x_train = torch.as_tensor(featurize(points.x_train.numpy(), features), dtype=torch.float32)
    x_test = torch.as_tensor(featurize(points.x_test.numpy(), features), dtype=torch.float32)
    # A name outside the dataset registry: the job then carries these tensors instead of a reference.
    values = {f.name: getattr(points, f.name) for f in dataclasses.fields(points)}
    values.update(name=f"{points.name} ({', '.join(features)})", x_train=x_train, x_test=x_test,
                  input_shape=(len(features),))
    return Dataset(**values)


def _targets(dataset: Dataset, part: str) -> np.ndarray:
    """(N, 1) float64 targets: 0/1 labels or numbers."""
    y = getattr(dataset, f"y_{part}").numpy().astype(np.float64)
    return y.reshape(-1, 1)


# ----------------------------------------------------------------------------------------------
# Networks


def network_spec(n_features: int, hidden: list[int], activations: list[str]) -> dict:
    """The `playground.models` spec of a TinyNet: linear + activation per hidden layer, then linear(1)."""
    if len(hidden) != len(activations):
        raise ValueError("one activation per hidden layer")
    layers: list[dict] = []
    for size, name in zip(hidden, activations):
        layers += [{"type": "linear", "out_features": int(size)}, {"type": ACTIVATION_LAYERS[name]}]
    layers.append({"type": "linear", "out_features": 1})
    return {"input_shape": [int(n_features)], "layers": layers}


def _layout(spec: dict) -> tuple[tuple[int, ...], tuple[str, ...]]:
    sizes, activations = [spec["input_shape"][0]], []
    for layer in spec["layers"]:
        if layer["type"] == "linear":
            sizes.append(layer["out_features"])
        else:
            activations.append(_LAYER_ACTIVATIONS[layer["type"]])
    return tuple(sizes), tuple(activations)


def net_from_spec(spec: dict, task: str, *, seed: int = 0) -> tinynet.TinyNet:
    """A freshly initialized TinyNet for `spec` (from `network_spec`): sigmoid output for classification."""
    sizes, activations = _layout(spec)
    return tinynet.TinyNet(sizes, activations, output="sigmoid" if task == "classification" else "linear", seed=seed)


def net_from_blocks(spec: dict, task: str, blocks: list) -> tinynet.TinyNet:
    """A TinyNet for `spec` with the given (n_in + 1, n_out) weight blocks."""
    net = net_from_spec(spec, task)
    net.set_blocks([np.asarray(b, dtype=np.float64) for b in blocks])
    return net


def net_from_weights(spec: dict, task: str, weights: bytes) -> tinynet.TinyNet:
    """A TinyNet for `spec` from safetensors bytes (a job's `weights`)."""
    from safetensors.numpy import load as load_bytes

    net = net_from_spec(spec, task)
    net.load_state_dict(load_bytes(weights))
    return net


def weights_of(net: tinynet.TinyNet) -> bytes:
    """Safetensors bytes of the net's state dict (float64), for `train.start(init_weights=...)`."""
    from safetensors.numpy import save

    return save({k: np.ascontiguousarray(v) for k, v in net.state_dict().items()})


def weight_label(net: tinynet.TinyNet, layer: int, row: int, column: int, input_names: list[str]) -> str:
    """A readable name for block entry (row, column) of `layer`: the link it sits on, or a bias."""
    target = "output" if layer == len(net.blocks) - 1 else f"neuron {layer + 1}.{column + 1}"
    if row == net.sizes[layer]:
        return f"bias of {target}"
    source = input_names[row] if layer == 0 else f"neuron {layer}.{row + 1}"
    return f"{source} → {target}"


def edit_weight(net: tinynet.TinyNet, layer: int, row: int, column: int, value: float) -> tinynet.TinyNet:
    """A copy of `net` with block entry (row, column) of `layer` set to `value` (last row: biases)."""
    if not math.isfinite(value):
        raise ValueError("a weight must be a finite number")
    edited = net.copy()
    edited.blocks[layer][row, column] = value
    return edited


# ----------------------------------------------------------------------------------------------
# What a page draws


def neuron_grids(net: tinynet.TinyNet, features: list[str], *, resolution: int = 25) -> list[np.ndarray]:
    """What each unit computes over the plane [-6, 6]²: one (units, R, R) array per column of the
    diagram, the input features first and the output last. Row r of a picture is x₂ = -6 + 12·r/(R-1).

    The output's picture is its probability mapped to [-1, 1] (2p − 1) for classification, so 0 sits on
    the decision boundary.
    """
    axis = np.linspace(-TOY_EXTENT, TOY_EXTENT, resolution)
    a, b = np.meshgrid(axis, axis)
    inputs = featurize(np.stack([a.ravel(), b.ravel()], axis=1), features)
    columns = [inputs] + net.forward_all(inputs)
    if net.output == "sigmoid":
        columns[-1] = 2 * columns[-1] - 1
    return [c.T.reshape(c.shape[1], resolution, resolution) for c in columns]


@dataclasses.dataclass
class Snapshot:
    """The network at one moment of a run: its epoch, weights and losses."""

    epoch: int
    net: tinynet.TinyNet
    train_loss: float
    test_loss: float


def snapshot(net: tinynet.TinyNet, epoch: int, dataset: Dataset, loss: str) -> Snapshot:
    """`net` with its mean data losses on the training and test parts of `dataset` (feature values)."""
    return Snapshot(epoch, net, _loss(net, dataset, "train", loss), _loss(net, dataset, "test", loss))


def _loss(net: tinynet.TinyNet, dataset: Dataset, part: str, loss: str) -> float:
    x = getattr(dataset, f"x_{part}").numpy()
    if len(x) == 0:
        return math.nan
    return net.loss(x, _targets(dataset, part), loss)


def frame_of(job, spec: dict, dataset: Dataset, loss: str) -> Snapshot | None:
    """The latest state of a `playground2d` job on `dataset` (feature values): its published weights
    when it is paused or over (exact there), otherwise its latest frame. None before anything arrived."""
    if job.status not in ("running", "queued") and job.weights is not None:
        return snapshot(net_from_weights(spec, dataset.task, job.weights), job.epoch, dataset, loss)
    last = job.latest("frame")
    if last is None:
        return None
    return Snapshot(last["epoch"], net_from_blocks(spec, dataset.task, last["blocks"]), last["train_loss"],
                    last["test_loss"])


# ----------------------------------------------------------------------------------------------
# The trainer


def reported_epoch(epoch: int) -> bool:
    """Whether epoch `epoch` gets a history row: all up to 100, then ~90 per factor of ten."""
    if epoch <= 100:
        return True
    return epoch % (10 ** (int(math.log10(epoch)) - 1)) == 0


class _TorchView:
    """What `JobContext.publish` needs: a `state_dict()` of tensors, here views of the TinyNet."""

    def __init__(self, net: tinynet.TinyNet):
        self.net = net

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {k: torch.from_numpy(v) for k, v in self.net.state_dict().items()}


@register_trainer("playground2d")
def playground2d(ctx):
    """Minibatch training of a TinyNet, epoch after epoch, for the 2-D playground.

    Options: "l1", "l2" (regularization rates), "start_epoch" (the epoch count the weights already
    have, when a run carries on from `init_weights`), "frame_every_s", "epochs_per_s" (at most this
    many epochs a second, for watching in slow motion; 0 or absent: as fast as it goes; while it waits
    for the next epoch's turn it sleeps, never past the end of its slice, so other jobs in the worker
    keep theirs). Each epoch's shuffle depends
    only on the seed and the epoch number, so a run that carries on repeats an unbroken one (except
    for the optimizer's running averages, which start again).
    """
    from safetensors.numpy import load as load_bytes

    config, data, options = ctx.config, ctx.dataset, ctx.options
    ctx.device = torch.device("cpu")  # a TinyNet trains in NumPy whatever the config asks: the page shows that
    task = data.task
    loss = config.loss if config.loss != "auto" else ("cross_entropy" if task == "classification" else "mse")
    if loss == "cross_entropy" and task != "classification":
        raise TrainingError("Cross-entropy needs classes; use MSE (squared error) for regression.")
    net = net_from_spec(ctx.spec, task, seed=config.seed)
    if ctx.init_weights is not None:
        net.load_state_dict(load_bytes(ctx.init_weights))
    settings = tinynet.TrainSettings(loss=loss, optimizer=config.optimizer, lr=config.lr,
                                     l1=float(options.get("l1", 0.0)), l2=float(options.get("l2", 0.0)),
                                     momentum=config.momentum)
    trainer = tinynet.Trainer(net, settings)
    x = tinynet.add_ones(data.x_train.numpy())
    y = _targets(data, "train")
    n, batch = len(x), config.batch_size
    start = int(options.get("start_epoch", 0))
    frame_every = float(options.get("frame_every_s", FRAME_EVERY_S))
    rate = float(options.get("epochs_per_s", 0) or 0)
    view = _TorchView(net)
    began = time.perf_counter()

    def send(epoch: int, *, row: bool, frame: bool) -> None:
        current = snapshot(net, epoch, data, loss)
        if row:
            ctx.report(epoch=epoch, train_loss=current.train_loss, train_acc=None, val_loss=current.test_loss,
                       val_acc=None, samples_per_s=None, seconds=time.perf_counter() - began)
        if frame:
            losses = {"epoch": epoch, "train_loss": current.train_loss, "test_loss": current.test_loss}
            ctx.series("frame", losses)  # every frame's losses, for the curve
            ctx.latest("frame", {**losses, "blocks": [b.astype(np.float32).tolist() for b in net.blocks]})

    send(start, row=True, frame=True)
    ctx.progress(start, 1.0)
    ctx.publish(view, force=True)
    last_frame = time.monotonic()
    yield "epoch"
    due = time.monotonic()  # when the next epoch may start, at a limited speed
    for epoch in range(start + 1, start + config.epochs + 1):
        if rate > 0:
            yield from _wait_turn(ctx, due)
            # Behind (a pause, a busy worker): carry on from now rather than catch up in a burst.
            due = max(due, time.monotonic() - 1 / rate) + 1 / rate
        # Seeded by (seed, epoch): the same order whether or not the run was restarted in between.
        order = np.random.default_rng([config.seed, epoch]).permutation(n)
        xs, ys = x[order], y[order]
        for s in range(0, n, batch):
            trainer.step(xs[s:s + batch], ys[s:s + batch])
            yield "step"
        if not np.isfinite(net.params).all():
            raise TrainingError(f"The weights became infinite or NaN at epoch {epoch}, so training stopped. "
                                "Try a lower learning rate.")
        now = time.monotonic()
        # A frame every `frame_every`, and one when this job's turn in the worker ends (the next comes
        # only after every other job's turn), but never two within MIN_FRAME_GAP_S.
        ending = ctx.slice_ending() and now - last_frame >= MIN_FRAME_GAP_S
        frame = now - last_frame >= frame_every or ending or epoch == start + config.epochs
        if frame:
            last_frame = now
        row = reported_epoch(epoch)
        if row or frame:
            send(epoch, row=row, frame=frame)
        ctx.progress(epoch, 1.0)
        ctx.publish(view)
        yield "epoch"

def _wait_turn(ctx, due: float):
    """Sleep until time.monotonic() reaches `due`, in pieces that end with this job's slice (each
    followed by a "wait" yield, so the worker reads its messages and turns to its other jobs)."""
    while (left := due - time.monotonic()) > 0:
        time.sleep(max(0.0, min(left, 0.05, ctx.slice_end - time.perf_counter())))
        yield "wait"


def thin_curve(epochs: np.ndarray, *values: np.ndarray, most: int = 400) -> tuple[np.ndarray, ...]:
    """At most `most` points of a curve, evenly spread over its indices, always with the first and last.

    epochs and each of `values`: (N,) arrays of one curve. Returns them thinned alike; a curve of at
    most `most` points comes back whole. A curve drawn a few hundred pixels wide looks the same.
    """
    if len(epochs) <= most:
        return (epochs, *values)
    keep = np.unique(np.linspace(0, len(epochs) - 1, most).round().astype(int))
    return (epochs[keep], *(v[keep] for v in values))


def run_curve(past: list[tuple[int, float, float]], job=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The loss curve of a network over all its runs: `past` points (epoch, train, test) of runs that
    have ended, then those of `job` (running or paused; None: no job), thinned to CURVE_POINTS."""
    e, t, v = (np.array([p[i] for p in past], dtype=float) for i in range(3))
    if job is not None:
        epochs, train_loss, test_loss = curve_points(job.history, job.series("frame"))
        later = epochs > (e[-1] if len(e) else -1)
        e, t, v = (np.concatenate([a, b[later]]) for a, b in ((e, epochs), (t, train_loss), (v, test_loss)))
    return thin_curve(e, t, v, most=CURVE_POINTS)


def curve_points(history, frames: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epochs, train losses and test losses of a run, sorted by epoch: its history rows (a DataFrame
    with epoch, train_loss, val_loss) and its frames together, one value per epoch."""
    merged = {int(e): (t, v) for e, t, v in zip(history["epoch"], history["train_loss"], history["val_loss"])}
    merged.update({int(f["epoch"]): (f["train_loss"], f["test_loss"]) for f in frames})
    epochs = np.array(sorted(merged), dtype=float)
    values = np.array([merged[int(e)] for e in epochs], dtype=float).reshape(-1, 2)
    return epochs, values[:, 0], values[:, 1]


# ----------------------------------------------------------------------------------------------
# The live view of a run (`playground.jobs.live`): what the browser draws while it trains


def live_producer(job, spec: dict, dataset: Dataset, loss: str, features: list[str],
                  past: list[tuple[int, float, float]], *, start: Snapshot | None = None):
    """A feed's producer for a `playground2d` job: epoch and losses, the loss curve (`past` points of
    earlier runs of this network first), the diagram and the output picture, as the page's figures
    show them; computed again only when a new frame arrived. Before the first frame it shows `start`
    (the weights the run starts from), if given."""
    from playground.figures.basics.playground2d import loss_series, loss_text, network_scene, output_scene
    from playground.jobs import live

    def produce(job) -> dict:
        view = live.job_view(job)
        shot = frame_of(job, spec, dataset, loss) or start
        if shot is None:
            return view
        view["epoch"] = int(shot.epoch)
        view["metrics"] = {"Epoch": f"{shot.epoch:,}", "Training loss": loss_text(shot.train_loss),
                           "Test loss": loss_text(shot.test_loss)}
        view["charts"] = {"loss": loss_series(*run_curve(past, job))}
        grids = neuron_grids(shot.net, features, resolution=21)
        output = neuron_grids(shot.net, features, resolution=51)[-1][0]
        view["scenes"] = {"network": network_scene(grids, shot.net.blocks), "output": output_scene(output)}
        return view

    return live.Cached(job, produce, mark=lambda j: (len(j.series("frame")), j.rows))
