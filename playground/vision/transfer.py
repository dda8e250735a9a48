"""Transfer learning: a small CNN learns one task, then a second, small task three ways.

Task A is the digits 0–4 and task B the digits 5–9 (scikit-learn's 8 × 8 digits, bundled). Every
picture is one digit, drawn twice as large (16 × 16), scaled by 0.7–1.3, turned by up to 15°, put
anywhere on a 24 × 24 canvas and buried in noise (standard deviation 0.3) (`place`): raw pixels are a
poor guide, so a network must learn strokes that hold wherever and however big they are. That takes
data: pretraining on A sees each of its ~720 training digits at a fresh place every epoch, while task B
has a fixed, small training set (each digit placed once). A `TransferNet` (three convolutions with
batch norm and a global max pool: the features; one linear layer: the head) is pretrained on A
(`pretrain`). Then B is learned from `sizes` training images per class, three ways (`learn`):

- "scratch": fresh random weights, everything trains;
- "finetune": A's features as the start, a new head, everything trains (the features at a lower rate);
- "frozen": A's features kept fixed, only a new head trains.

The test set of B (every B image not in the largest training set) is the same for all ways and sizes.

The `"transfer"` trainer runs this in the worker pool (start it with `job_arguments`). Its history
rows: epoch (a running count of every epoch of the job), way (0 pretraining, 1 scratch, 2
fine-tune, 3 frozen, 4 ResNet-18's features with a new head: one row per size), size (images per
class; 0 while pretraining), way_epoch, train_loss and val_acc
(test accuracy on A while pretraining, on B after). Series "filters": the first layer's filters after
pretraining and after each fine-tuning; series "results": {"way", "size", "accuracy"} as each
training ends. Everything is usable from a shell: `run_transfer(TransferOptions())`.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.jobs.train import CheckedSettings, Config, TrainingError, is_int, is_number, register_trainer

__all__ = ["CANVAS", "EPOCHS", "SIZES", "WAYS", "WAY_LABELS", "Tasks", "TransferNet", "TransferOptions",
           "accuracy", "first_filters", "job_arguments", "learn", "lesson", "live_producer", "make_tasks",
           "place", "pretrain", "results_table", "run_transfer", "start_model"]

WAYS = ("scratch", "finetune", "frozen")
WAY_LABELS = {"scratch": "from scratch", "finetune": "fine-tune everything", "frozen": "frozen features, new head",
              "resnet18": "ResNet-18 (ImageNet) features, new head"}
WAY_CODES = {"pretrain": 0, "scratch": 1, "finetune": 2, "frozen": 3, "resnet18": 4}
RESNET_SIDE = 112  # ResNet-18 reads B's pictures at this size: 4 times faster than 224, as accurate here
RESNET_STEPS = 300  # full-batch Adam steps of the linear head on ResNet-18's features
SIZES = (5, 20, 100)
EPOCHS = {5: 100, 20: 40, 100: 15}  # epochs on B per training-set size: 100 to 240 updates each
CANVAS = 24  # the digits go at a random place on a canvas this wide
DIGIT = 16  # a digit's side on the canvas before its random scale (the 8 × 8 digits drawn twice as large)
SCALE = (0.7, 1.3)  # the random scale of each digit
TURN = 15.0  # the largest random rotation, degrees
CURVE_POINTS = 20  # the most tested epochs (history rows) per way and size
NOISE = 0.3  # standard deviation of the Gaussian noise added to every pixel
A_CLASSES, B_CLASSES = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)


@dataclasses.dataclass
class TransferOptions(CheckedSettings):
    """Settings of a transfer experiment; JSON-able, and the options of the "transfer" trainer."""

    sizes: tuple = SIZES  # training images per class of task B
    ways: tuple = WAYS
    pretrain_epochs: int = 16  # each a fresh placing of A's ~720 digits: 94–99 % test accuracy on A
    pretrain_lr: float = 0.003
    scratch_lr: float = 0.003
    head_lr: float = 0.01  # the new head learns fast; it starts from nothing in every way
    finetune_lr: float = 0.001  # A's features move slowly, so what they know is not wiped out by 25 images
    batch_size: int = 32
    pretrained: bool = True  # False: "pretraining" is skipped, the features are untrained (the control)
    resnet18: bool = False  # also a linear head on ResNet-18's ImageNet features (the weights must be here)
    test_limit: int = 0  # test on only the first this many of B's test pictures (0: all; for quick checks)

    what = "transfer setting"

    def checks(self) -> list[tuple[bool, str, str]]:
        sizes_ok = (isinstance(self.sizes, (list, tuple)) and 1 <= len(self.sizes) <= 3
                    and all(is_int(s) and 1 <= s <= 100 for s in self.sizes))
        ways_ok = isinstance(self.ways, (list, tuple)) and 1 <= len(self.ways) <= 3 and set(self.ways) <= set(WAYS)
        rate = "must be above 0 and at most 1"
        return [
            (sizes_ok, "sizes", "must be 1 to 3 whole numbers from 1 to 100 (images per class)"),
            (ways_ok, "ways", f"must be 1 to 3 of {', '.join(WAYS)}"),
            (is_int(self.pretrain_epochs) and 0 <= self.pretrain_epochs <= 100, "pretrain_epochs",
             "must be a whole number from 0 to 100"),
            (is_int(self.batch_size) and 1 <= self.batch_size <= 512, "batch_size",
             "must be a whole number from 1 to 512"),
            *[(is_number(getattr(self, k)) and 0 < getattr(self, k) <= 1, k, rate)
              for k in ("pretrain_lr", "scratch_lr", "head_lr", "finetune_lr")],
            (isinstance(self.pretrained, bool), "pretrained", "must be true or false"),
            (isinstance(self.resnet18, bool), "resnet18", "must be true or false"),
            (is_int(self.test_limit) and self.test_limit >= 0, "test_limit", "must be a whole number from 0"),
        ]


# ----------------------------------------------------------------------------------------------
# The two tasks.


@dataclasses.dataclass
class Tasks:
    """Task A (train and test) and task B (a pool of 100 training images per class, in a fixed order, and
    the test set). Images (N, 1, CANVAS, CANVAS) float32 in [0, 1]; labels 0–4 within each task. A's
    training digits are kept as the 8 × 8 originals (`a_x`): pretraining places them afresh every epoch."""

    a_x: torch.Tensor  # (N, 1, 8, 8), unplaced
    a_y: torch.Tensor
    a_test_x: torch.Tensor
    a_test_y: torch.Tensor
    b_pool: list[torch.Tensor]  # per class of B: (100, 1, C, C), the first n are the n-per-class training set
    b_test_x: torch.Tensor
    b_test_y: torch.Tensor

    def b_train(self, per_class: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The first `per_class` images of each B class and their labels."""
        x = torch.cat([images[:per_class] for images in self.b_pool])
        y = torch.arange(len(self.b_pool)).repeat_interleave(per_class)
        return x, y


def place(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The 8 × 8 images x (N, 1, 8, 8) each drawn DIGIT pixels wide (bilinear), scaled by a random factor in
    SCALE, turned by a random angle within ±TURN degrees, put at a random place on a CANVAS × CANVAS
    canvas where it fits, plus Gaussian noise (NOISE); clipped to [0, 1]. All drawn from `generator`."""
    n = len(x)
    scale = torch.empty(n).uniform_(*SCALE, generator=generator)
    angle = torch.empty(n).uniform_(-TURN, TURN, generator=generator) * math.pi / 180
    side = DIGIT * scale  # the digit's side on the canvas, pixels
    room = 1 - side / CANVAS  # how far its centre may go from the canvas's centre (normalised coordinates)
    cx = (torch.rand(n, generator=generator) * 2 - 1) * room
    cy = (torch.rand(n, generator=generator) * 2 - 1) * room
    # affine_grid maps canvas coordinates to the digit's: x_in = k R (x_out - c), k = CANVAS / side.
    k = CANVAS / side
    cos, sin = torch.cos(angle) * k, torch.sin(angle) * k
    theta = torch.stack([torch.stack([cos, -sin, -(cos * cx - sin * cy)], 1),
                         torch.stack([sin, cos, -(sin * cx + cos * cy)], 1)], 1)
    grid = F.affine_grid(theta, [n, 1, CANVAS, CANVAS], align_corners=False)
    out = F.grid_sample(x.float(), grid, align_corners=False, padding_mode="zeros")
    out = out + NOISE * torch.randn(out.shape, generator=generator)
    return out.clamp_(0, 1)


def make_tasks(digits, seed: int = 0) -> Tasks:
    """Tasks A (digits 0–4) and B (5–9) from the digits `Dataset` (both its parts, all 1,797 images).

    The seed draws A's test fifth, the order of B's images and every placing and noise: the first 100
    of each B class are its training pool, the rest (about 80 a class) its test set."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.cat([digits.x_train, digits.x_test]).float()
    y = torch.cat([digits.y_train, digits.y_test]).long()
    a = torch.isin(y, torch.tensor(A_CLASSES))
    a_x, a_y = x[a], y[a] - A_CLASSES[0]
    order = torch.randperm(len(a_x), generator=generator)
    cut = len(a_x) // 5
    test, train = order[:cut], order[cut:]
    a_test_x = place(a_x[test], generator)
    pool, test_x, test_y = [], [], []
    for label, digit in enumerate(B_CLASSES):
        images = x[y == digit]
        images = place(images[torch.randperm(len(images), generator=generator)], generator)
        pool.append(images[:100])
        test_x.append(images[100:])
        test_y.append(torch.full((len(images) - 100,), label))
    return Tasks(a_x[train], a_y[train], a_test_x, a_y[test], pool, torch.cat(test_x), torch.cat(test_y))


# ----------------------------------------------------------------------------------------------
# The network and the three ways.


class TransferNet(nn.Module):
    """features: three times conv 3×3 (1→16→32→64) with batch norm and ReLU, max pool 2 after the first
    two, then a global max pool → 64 numbers; head: linear 64 → classes. The global max pool asks "is this
    pattern anywhere?", so a digit's place does not matter."""

    def __init__(self, classes: int = 5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten())
        self.head = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """The share of x (N, 1, C, C) whose highest logit is the label y (N,)."""
    model.eval()
    return float((model(x).argmax(1) == y).float().mean())


def first_filters(model: TransferNet) -> np.ndarray:
    """The first convolution's 16 filters, (16, 3, 3) float64."""
    return model.features[0].weight.detach()[:, 0].double().numpy().copy()


def start_model(way: str, pretrained: TransferNet, seed: int,
                options: TransferOptions | None = None) -> tuple[TransferNet, list[dict]]:
    """A fresh network for `way` and its optimizer's parameter groups.

    Every way draws its weights from torch seeded with `seed`, so the new heads are equal;
    "finetune" and "frozen" then take the pretrained features (a copy). "frozen" turns off the
    features' gradients and trains only the head."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = TransferNet()
    options = options or TransferOptions()
    if way == "scratch":
        return model, [{"params": list(model.parameters()), "lr": options.scratch_lr}]
    model.features.load_state_dict(pretrained.features.state_dict())
    head = {"params": list(model.head.parameters()), "lr": options.head_lr}
    if way == "frozen":
        model.features.requires_grad_(False)
        return model, [head]
    return model, [{"params": list(model.features.parameters()), "lr": options.finetune_lr}, head]


def _epoch(model: nn.Module, optimizer, x: torch.Tensor, y: torch.Tensor, batch_size: int,
           generator: torch.Generator):
    """One epoch of shuffled batches; yields after every batch its loss. Frozen features (no gradients)
    stay in eval mode, so their batch norm keeps A's statistics too."""
    model.train()
    if isinstance(model, TransferNet) and not any(p.requires_grad for p in model.features.parameters()):
        model.features.eval()
    for batch in torch.randperm(len(x), generator=generator).split(batch_size):
        loss = F.cross_entropy(model(x[batch]), y[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        yield loss.item()


def pretrain(tasks: Tasks, options: TransferOptions, seed: int, *, on_epoch=None):
    """Train a `TransferNet` on task A for `options.pretrain_epochs`, A's digits placed afresh every epoch
    (a generator: yields "step" after every batch and calls `on_epoch(epoch, mean loss, test accuracy on
    A)` after every epoch); returns the network. With `options.pretrained` False it returns the untrained
    network at once."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = TransferNet()
    if not options.pretrained:
        return model
    optimizer = torch.optim.Adam(model.parameters(), lr=options.pretrain_lr)
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(1, options.pretrain_epochs + 1):
        losses = []
        images = place(tasks.a_x, generator)
        for loss in _epoch(model, optimizer, images, tasks.a_y, options.batch_size, generator):
            losses.append(loss)
            yield "step"
        if on_epoch is not None:
            on_epoch(epoch, float(np.mean(losses)), accuracy(model, tasks.a_test_x, tasks.a_test_y))
    return model


def learn(way: str, per_class: int, tasks: Tasks, pretrained: TransferNet, options: TransferOptions, seed: int,
          *, on_epoch=None):
    """Learn task B from `per_class` images a class, `way` (a generator like `pretrain`); returns the model.

    Epochs: `EPOCHS[per_class]` (or the nearest size's), so the smallest sets get as many updates as
    make sense. `on_epoch(epoch, mean loss, test accuracy on B)` after every `_every(epochs)`-th epoch and
    the last (at most CURVE_POINTS times: testing every epoch would cost more than the training)."""
    model, groups = start_model(way, pretrained, seed + 1000, options)
    optimizer = torch.optim.Adam(groups)
    x, y = tasks.b_train(per_class)
    generator = torch.Generator().manual_seed(seed + per_class)
    epochs = _epochs(per_class)
    every, losses = _every(epochs), []
    for epoch in range(1, epochs + 1):
        for loss in _epoch(model, optimizer, x, y, options.batch_size, generator):
            losses.append(loss)
            yield "step"
        if on_epoch is not None and (epoch % every == 0 or epoch == epochs):
            on_epoch(epoch, float(np.mean(losses)), accuracy(model, tasks.b_test_x, tasks.b_test_y))
            losses = []
    return model


def _epochs(per_class: int) -> int:
    """Epochs on B for a training set of `per_class` images a class: EPOCHS's, or the nearest size's."""
    return EPOCHS.get(per_class) or EPOCHS[min(EPOCHS, key=lambda s: abs(s - per_class))]


def _every(epochs: int) -> int:
    """Test after every this many epochs (and the last), so a way's curve has at most CURVE_POINTS points."""
    return -(-epochs // CURVE_POINTS)


def resnet_accuracy(tasks: Tasks, sizes, seed: int, *, side: int = RESNET_SIDE) -> dict[int, float]:
    """{size: (test accuracy on B, last training loss)} of a linear head trained on ResNet-18's 512 ImageNet
    features of B's
    `size`-a-class training pictures (read once, at `side` × `side`; standardised with the training set's
    mean and spread). PretrainedUnavailable when the weights are not on this machine."""
    from playground.vision.pretrained import load_resnet18, resnet_features

    model = load_resnet18()
    largest = max(sizes)
    pool = resnet_features(model, torch.cat([p[:largest] for p in tasks.b_pool]), side=side)
    test = resnet_features(model, tasks.b_test_x, side=side)
    out = {}
    for n in sizes:
        x = torch.cat([pool[c * largest:c * largest + n] for c in range(len(tasks.b_pool))])
        y = torch.arange(len(tasks.b_pool)).repeat_interleave(n)
        mean, std = x.mean(0), x.std(0, unbiased=False) + 1e-6
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1000)
            head = nn.Linear(x.shape[1], len(tasks.b_pool))
        optimizer = torch.optim.Adam(head.parameters(), lr=0.01, weight_decay=1e-3)
        for _ in range(RESNET_STEPS):
            loss = F.cross_entropy(head((x - mean) / std), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        out[n] = (accuracy(head, (test - mean) / std, tasks.b_test_y), float(loss))
    return out


def _limit(tasks: Tasks, options: TransferOptions) -> Tasks:
    if options.test_limit:
        order = torch.randperm(len(tasks.b_test_x), generator=torch.Generator().manual_seed(0))[:options.test_limit]
        tasks = dataclasses.replace(tasks, b_test_x=tasks.b_test_x[order], b_test_y=tasks.b_test_y[order])
    return tasks


def _drain(generator):
    """Run a generator to its end and return what it returns."""
    while True:
        try:
            next(generator)
        except StopIteration as done:
            return done.value


def run_transfer(options: TransferOptions | None = None, *, seed: int = 0, digits=None) -> dict:
    """The whole experiment in this process: {"pretrained": the network after A, "models": {(way, size):
    network}, "accuracy": {(way, size): test accuracy on B}, "tasks": the tasks}."""
    from playground.data import load

    options = (options or TransferOptions()).validate()
    tasks = _limit(make_tasks(digits if digits is not None else load("digits", seed=0), seed), options)
    base = _drain(pretrain(tasks, options, seed))
    models = {(w, n): _drain(learn(w, n, tasks, base, options, seed)) for n in options.sizes for w in options.ways}
    scores = {k: accuracy(m, tasks.b_test_x, tasks.b_test_y) for k, m in models.items()}
    if options.resnet18:
        scores |= {("resnet18", n): a for n, (a, _) in resnet_accuracy(tasks, options.sizes, seed).items()}
    return {"pretrained": base, "models": models, "tasks": tasks, "accuracy": scores}


# ----------------------------------------------------------------------------------------------
# What the results say.


def results_table(results: list[dict]) -> dict[str, dict[int, float]]:
    """{way: {size: accuracy}} from the "results" series (the last result of each pair counts)."""
    table: dict[str, dict[int, float]] = {}
    for r in results:
        table.setdefault(r["way"], {})[int(r["size"])] = float(r["accuracy"])
    return table


def lesson(table: dict[str, dict[int, float]]) -> str:
    """The results in words, with their numbers: the gain of fine-tuning over training from scratch at
    the smallest size, and which way wins at each size."""
    sizes = sorted({n for row in table.values() for n in row})
    if not sizes:
        return "No results yet."
    words = []
    for n in sizes:
        here = {w: table[w][n] for w in (*WAYS, "resnet18") if n in table.get(w, {})}
        best = max(here, key=here.get)
        shown = ", ".join(f"{WAY_LABELS[w]} {a:.0%}" for w, a in here.items())
        words.append(f"With {n} images a class: {shown}. Best: {WAY_LABELS[best]}.")
    n = sizes[0]
    if n in table.get("finetune", {}) and n in table.get("scratch", {}):
        gap = 100 * (table["finetune"][n] - table["scratch"][n])
        words.append(f"At {n} a class, starting from the features learned on 0–4 is worth {gap:+.0f} points "
                     "of accuracy over starting from random weights.")
        top = sizes[-1]
        if top != n and top in table["finetune"] and top in table["scratch"]:
            late = 100 * (table["finetune"][top] - table["scratch"][top])
            words.append(f"At {top} a class the gap is {late:+.0f} points: little data → reuse learned features; "
                         "plenty of data → more of the network can learn from it.")
    return " ".join(words)


# ----------------------------------------------------------------------------------------------
# The job.


def _total_epochs(options: TransferOptions) -> int:
    """The history rows a run reports: every pretraining epoch, and each way's tested epochs per size."""
    sizes = sum(-(-_epochs(n) // _every(_epochs(n))) for n in options.sizes)
    resnet = len(options.sizes) if options.resnet18 else 0  # one row per size
    return (options.pretrain_epochs if options.pretrained else 0) + sizes * len(options.ways) + resnet


def job_arguments(options: TransferOptions | None = None, *, seed: int = 0) -> dict:
    """What `train.start` (or a page's `start_job`) needs to run the experiment in the pool. The job's
    spec is a stand-in that only shapes the job; the data is the digits, split by the trainer."""
    from playground.data import load

    options = (options or TransferOptions()).validate()
    spec = {"input_shape": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]}
    # A network this small runs faster on the CPU than it can be fed to a GPU.
    config = Config(epochs=_total_epochs(options), batch_size=options.batch_size, lr=options.head_lr, seed=seed,
                    device="cpu")
    return {"spec": spec, "dataset": load("digits", seed=0), "config": config, "trainer": "transfer",
            "options": options.to_dict()}


def live_producer(job):
    """A feed's producer for a "transfer" job: status, the numbers, and per size a chart of the three ways'
    test accuracy on B against the epoch (plus the pretraining curve)."""
    from playground.figures.vision.transfer import accuracy_series, board_metrics
    from playground.jobs import live

    def produce(job) -> dict:
        view = live.job_view(job)
        history = job.history_since(0)
        options = TransferOptions.from_dict(job.options)
        view["metrics"] = board_metrics(history, results_table(job.series("results")))
        view["charts"] = {f"size{i}": {"series": accuracy_series(history, n)} for i, n in enumerate(options.sizes)}
        view["charts"]["pretrain"] = {"series": accuracy_series(history, 0)}
        return view

    return live.Cached(job, produce, mark=lambda j: (j.rows, len(j.series("results"))))


@register_trainer("transfer")
def transfer(ctx):
    """Pretrain on A, then learn B each way at each size (see the module docstring); yields "step" after
    every batch and "epoch" after every epoch, so stop, pause and step work throughout."""
    options = TransferOptions.from_dict(ctx.options).validate()
    seed = ctx.config.seed
    tasks = _limit(make_tasks(ctx.dataset, seed), options)
    total = _total_epochs(options)
    count = 0

    def reporter(way: str, size: int):
        def on_epoch(epoch: int, loss: float, acc: float) -> None:
            nonlocal count
            count += 1
            ctx.report(epoch=count, way=WAY_CODES[way], size=size, way_epoch=epoch, train_loss=loss, val_acc=acc)
            ctx.progress(count, 1.0)
        return on_epoch

    def run(generator):
        """Pass the generator's "step"s on, and an "epoch" whenever a row was reported."""
        rows = count
        while True:
            try:
                item = next(generator)
            except StopIteration as done:
                if count != rows:
                    yield "epoch"
                return done.value
            if count != rows:  # the batch before this one ended an epoch
                rows = count
                yield "epoch"
            yield item

    started = time.monotonic()
    base = yield from run(pretrain(tasks, options, seed, on_epoch=reporter("pretrain", 0)))
    ctx.series("filters", {"label": "after pretraining on 0–4" if options.pretrained else "untrained",
                           "filters": first_filters(base).tolist()})
    ctx.publish(base, force=True)
    for n in options.sizes:
        for way in options.ways:
            model = yield from run(learn(way, n, tasks, base, options, seed, on_epoch=reporter(way, n)))
            ctx.series("results", {"way": way, "size": n,
                                   "accuracy": accuracy(model, tasks.b_test_x, tasks.b_test_y)})
            if way == "finetune":
                ctx.series("filters", {"label": f"after fine-tuning on {n} a class",
                                       "filters": first_filters(model).tolist()})
            ctx.publish(model, force=True)
    if options.resnet18:
        from playground.vision.pretrained import PretrainedUnavailable

        yield "step"
        try:
            scores = resnet_accuracy(tasks, options.sizes, seed)
        except PretrainedUnavailable as e:
            raise TrainingError(str(e)) from None
        for n, (acc, loss) in scores.items():
            reporter("resnet18", n)(1, loss, acc)
            ctx.series("results", {"way": "resnet18", "size": n, "accuracy": acc})
        yield "epoch"
    ctx.series("seconds", time.monotonic() - started)
    if count != total:  # the plan and the run disagree: a bug, said plainly rather than a wrong bar
        raise TrainingError(f"ran {count} epochs, planned {total}")
