"""The built-in trainers: `classifier` and `regressor`, plain minibatch training with evaluation.

They run inside a worker (see `playground.jobs.worker`) and talk to it through a `JobContext`.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from playground.checkpoints import state_from_bytes
from playground.jobs import placement
from playground.jobs.trainers import TrainingError, register_trainer
from playground.models import build
from playground.optimizers import make_optimizer as _make_optimizer

_EVAL_CHUNK = 2048  # examples per forward pass when evaluating


def make_optimizer(model: nn.Module, config) -> torch.optim.Optimizer:
    """The optimizer `config.optimizer` names (a `train.Config`), over `model`'s parameters."""
    return _make_optimizer(config.optimizer, model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                           momentum=config.momentum)


def loss_function(task: str, loss: str):
    """`fn(outputs, targets) -> mean loss`: cross-entropy on logits, or squared error.

    For classification with "mse", the softmax of the outputs is compared with one-hot targets.
    """
    if loss == "auto":
        loss = "cross_entropy" if task == "classification" else "mse"
    if loss == "cross_entropy":
        if task != "classification":
            raise TrainingError("Cross-entropy needs classes; use MSE for regression.")
        return F.cross_entropy
    if task == "classification":
        return lambda out, y: F.mse_loss(out.softmax(1), F.one_hot(y, out.shape[1]).to(out.dtype))
    return F.mse_loss


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn, task: str) -> tuple[float, float | None]:
    """Mean loss and accuracy (None for regression) of `model` on `(x, y)` in eval mode.

    `(x, y)` may stay on the CPU while the model is on a GPU: each chunk then moves there in turn."""
    was_training = model.training
    model.eval()
    device = placement.model_device(model)
    total, correct = 0.0, 0
    for i in range(0, len(x), _EVAL_CHUNK):
        out = model(x[i:i + _EVAL_CHUNK].to(device))
        target = y[i:i + _EVAL_CHUNK].to(device)
        total += loss_fn(out, target).item() * len(target)
        if task == "classification":
            correct += (out.argmax(1) == target).sum().item()
    model.train(was_training)
    n = max(len(x), 1)
    return total / n, (correct / n if task == "classification" else None)


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted class and its probability for each row of `x`, from a classifier's logits."""
    model.eval()
    probs = torch.cat([model(x[i:i + _EVAL_CHUNK]).softmax(1) for i in range(0, len(x), _EVAL_CHUNK)])
    confidence, label = probs.max(1)
    return label, confidence


def _batches(n: int, batch_size: int, generator: torch.Generator):
    order = torch.randperm(n, generator=generator)
    starts = list(range(0, n, batch_size))
    # A last batch of one example breaks batch norm in training mode; fold it into the previous one.
    if len(starts) > 1 and n - starts[-1] == 1:
        starts.pop()
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else n
        yield order[start:end]


def check_finite(data) -> None:
    """TrainingError naming each part of `data` that holds NaN or infinite values, and how many.

    A single NaN input makes every loss NaN, which would otherwise read as a diverging run.
    """
    found = []
    for part in ("x_train", "y_train", "x_test", "y_test"):
        values = getattr(data, part)
        if values.is_floating_point():
            bad = int((~torch.isfinite(values)).sum())
            if bad:
                found.append(f"{part}: {bad:,}")
    if found:
        raise TrainingError(f"The data contains NaN or infinite values ({'; '.join(found)}), so the network "
                            "cannot learn from it: remove or fill in those values before training.")


def supervised_loop(ctx, task: str, *, prepare=None, after_epoch=None):
    """The minibatch training loop every supervised trainer shares (a generator for the worker).

    `prepare(model, xb, yb) -> xb` may replace a batch's inputs before the step (e.g. with
    adversarial examples); `after_epoch(model, epoch)` runs after each epoch's row, epoch 0 (the
    untrained evaluation) included. Starts from `ctx.init_weights` when given. The data moves to
    `ctx.device` once, when it fits there (`placement.place`); otherwise each batch moves in turn.
    """
    config, data = ctx.config, ctx.dataset
    device = ctx.device
    check_finite(data)
    torch.manual_seed(config.seed)
    model = build(ctx.spec)
    if ctx.init_weights is not None:
        model.load_state_dict(state_from_bytes(ctx.init_weights))
    model = model.to(device)
    optimizer = make_optimizer(model, config)
    loss_fn = loss_function(task, config.loss)
    (x_train, y_train, x_test, y_test), resident = placement.place(
        (data.x_train, data.y_train, data.x_test, data.y_test), device)
    shuffler = torch.Generator().manual_seed(config.seed)
    n = len(x_train)
    n_batches = max(1, math.ceil(n / config.batch_size))
    started = time.perf_counter()

    val_loss, val_acc = evaluate(model, x_test, y_test, loss_fn, task)
    train_loss, train_acc = evaluate(model, x_train, y_train, loss_fn, task)
    ctx.report(epoch=0, train_loss=train_loss, train_acc=train_acc, val_loss=val_loss, val_acc=val_acc,
               samples_per_s=None, seconds=0.0)
    if after_epoch is not None:
        after_epoch(model, 0)
    ctx.progress(1, 0.0)
    ctx.publish(model, force=True)
    yield "epoch"

    model.train()
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        loss_sum, correct = 0.0, 0
        for b, idx in enumerate(_batches(n, config.batch_size, shuffler)):
            xb, yb = x_train[idx], y_train[idx]
            if not resident:
                xb, yb = placement.to_device(xb, device), placement.to_device(yb, device)
            if prepare is not None:
                xb = prepare(model, xb, yb)
            out = model(xb)
            loss = loss_fn(out, yb)
            value = loss.item()
            if not math.isfinite(value):
                raise TrainingError(f"The loss became {value} at epoch {epoch} (batch {b + 1}), so training "
                                    "stopped. Try a lower learning rate.")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += value * len(idx)
            if task == "classification":
                correct += (out.argmax(1) == yb).sum().item()
            ctx.progress(epoch, (b + 1) / n_batches)
            yield "step"
        seconds = time.perf_counter() - epoch_start
        val_loss, val_acc = evaluate(model, x_test, y_test, loss_fn, task)
        # train_loss and train_acc are over the batches as trained on (prepared ones included).
        ctx.report(epoch=epoch, train_loss=loss_sum / n, train_acc=correct / n if task == "classification" else None,
                   val_loss=val_loss, val_acc=val_acc, samples_per_s=n / max(seconds, 1e-9),
                   seconds=time.perf_counter() - started)
        if after_epoch is not None:
            after_epoch(model, epoch)
        ctx.publish(model, force=True)  # weights at least every epoch
        yield "epoch"


@register_trainer("classifier")
def classifier(ctx):
    """Minibatch training of a classifier with cross-entropy (or MSE on softmax)."""
    yield from supervised_loop(ctx, "classification")


@register_trainer("regressor")
def regressor(ctx):
    """Minibatch training of a regressor with squared error."""
    yield from supervised_loop(ctx, "regression")
