"""Adversarial examples: small changes to an input that change a classifier's answer.

FGSM and PGD come from `captum.robust`; this module gives them the loss our networks need (they
output logits, while Captum's default loss expects probabilities), keeps every result a valid image,
and adds what the playground builds on them: accuracy under attack, fooling a linear classifier by
hand, and the `"adversarial"` trainer that fine-tunes a model on its own adversarial examples.

Shapes: `inputs` are (N, *input_shape), `labels` int64 (N,). Every attack returns a new tensor
shaped like `inputs`, detached, with values in [lower, upper].
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import warnings
from collections.abc import Callable

import pandas as pd
import torch
import torch.nn.functional as F
from captum.robust import FGSM, PGD
from torch import nn

from playground.jobs import placement
from playground.jobs.supervised import predict, supervised_loop
from playground.jobs.train import TrainingError, register_trainer
from playground.registry import Registry

__all__ = ["ATTACKS", "AdversarialOptions", "CURVE_EPSILONS", "NORMS", "TRAINING_EPSILONS", "accuracy_curve",
           "attack_image", "auto_step_size", "change_size", "fgsm", "fool_linear", "linear_direction", "pgd", "predict",
           "prediction", "register_attack"]

NORMS = ("Linf", "L2")
CURVE_EPSILONS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)  # the ε of an accuracy-against-ε curve, 0 = clean
TRAINING_EPSILONS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3)  # the ε offered for adversarial training
_CHUNK = 512  # examples attacked at once by `accuracy_curve` and the trainer's evaluation
# Layers that leave a linear classifier linear: reshaping, dropout (the identity in eval mode), and
# a softmax after the scores, which keeps their order.
_LINEAR_PASSTHROUGH = ("flatten", "dropout", "identity")


def _cross_entropy(outputs: torch.Tensor, target) -> torch.Tensor:
    """Per-example cross-entropy of logits (N, K) against class indices; `target` may be one int for all."""
    if not isinstance(target, torch.Tensor) or target.dim() == 0:
        target = torch.full((len(outputs),), int(target), dtype=torch.long, device=outputs.device)
    # Captum differentiates each example's loss separately, so it needs one value per example.
    return F.cross_entropy(outputs, target, reduction="none")


@contextlib.contextmanager
def _attacking(model: nn.Module):
    """Run `model` in eval mode (dropout off, batch norm frozen), then restore its mode.

    Also silences Captum's notice that it switched on gradients for the inputs: it does so on purpose.
    """
    was_training = model.training
    model.eval()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Input Tensor .* did not already require gradients")
            yield
    finally:
        model.train(was_training)


def _check_epsilon(epsilon: float) -> None:
    if not (isinstance(epsilon, (int, float)) and 0 <= epsilon < math.inf):
        raise ValueError(f"epsilon must be a number from 0, got {epsilon!r}")


def _fgsm_attack(model: nn.Module, loss_func, lower: float, upper: float) -> FGSM:
    attack = FGSM(model, loss_func, lower_bound=lower, upper_bound=upper)
    # Captum leaves a pixel alone where |gradient| <= 1e-6. A confidently classified example has
    # gradients that small everywhere, so it would never be attacked; the method itself has no threshold.
    attack.zero_thresh = 0.0
    return attack


def fgsm(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, epsilon: float, *,
         lower: float = 0.0, upper: float = 1.0) -> torch.Tensor:
    """Untargeted Fast Gradient Sign Method: `clip(x + epsilon * sign(∇x loss(x, labels)), lower, upper)`.

    Goodfellow, Shlens and Szegedy, "Explaining and Harnessing Adversarial Examples", ICLR 2015.
    The loss is cross-entropy on the model's logits. `epsilon` is the largest change of any one value
    (an L∞ bound); epsilon = 0 returns an exact copy of `inputs`.
    """
    _check_epsilon(epsilon)
    if epsilon == 0:
        return inputs.detach().clone()
    with _attacking(model):
        out = _fgsm_attack(model, _cross_entropy, lower, upper).perturb(inputs.detach(), epsilon, labels)
    return out.detach()


def pgd(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor | None, epsilon: float, steps: int,
        step_size: float, target: int | torch.Tensor | None = None, *, norm: str = "Linf", lower: float = 0.0,
        upper: float = 1.0, random_start: bool = False) -> torch.Tensor:
    """Projected Gradient Descent: `steps` FGSM steps of `step_size`, each projected back into the ball.

    Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018.
    Without `target` it raises the loss on `labels` (untargeted); with `target` (one class for all,
    or int64 (N,)) it lowers the loss on the target instead and `labels` may be None.
    The ball has radius `epsilon` in `norm`: "Linf" (every value moves at most epsilon) or "L2"
    (each example's change has Euclidean length at most epsilon). As in Captum, the steps are signed
    gradients for both norms, so with "L2" one step moves sqrt(values per example) * step_size.
    `random_start` begins at a uniformly random point of the ball (seeded by torch's RNG).
    """
    _check_epsilon(epsilon)
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {norm!r}")
    if not (isinstance(steps, int) and steps >= 0):
        raise ValueError(f"steps must be a whole number from 0, got {steps!r}")
    if target is None and labels is None:
        raise ValueError("an untargeted attack needs the labels")
    if epsilon == 0 or (steps == 0 and not random_start):
        return inputs.detach().clone()
    attack = PGD(model, _cross_entropy, lower_bound=lower, upper_bound=upper)
    attack.fgsm.zero_thresh = 0.0  # see _fgsm_attack
    if norm == "L2":
        # Captum 0.9 scales its L2 starting point by a (N,) radius that does not broadcast over a batch.
        attack._random_point = _random_l2_point
    with _attacking(model):
        out = attack.perturb(inputs.detach(), epsilon, step_size, steps, labels if target is None else target,
                             targeted=target is not None, random_start=random_start, norm=norm)
    return out.detach()


def _random_l2_point(center: torch.Tensor, radius: float, norm: str, mask) -> torch.Tensor:
    """A point drawn uniformly from the L2 ball of `radius` around each example of `center` (N, ...)."""
    direction = F.normalize(torch.randn_like(center).flatten(1)).view_as(center)
    # The volume of a d-dimensional ball grows as r^d, so r = radius * U^(1/d) is uniform in it.
    r = radius * torch.rand(len(center), device=center.device) ** (1.0 / center[0].numel())
    return center + r.view(-1, *[1] * (center.dim() - 1)) * direction * mask


# ----------------------------------------------------------------------------------------------
# Attacks by name, for pages that let a student pick one and for `accuracy_curve`.

Attack = Callable[..., torch.Tensor]  # (model, inputs, labels, epsilon, *, steps, step_size, lower, upper)
ATTACKS: Registry[Attack] = Registry("attack")
register_attack = ATTACKS.register  # @register_attack(name): an untargeted attack; duplicates are refused


@register_attack("fgsm")
def _fgsm_by_name(model, inputs, labels, epsilon, *, steps, step_size, lower, upper):
    return fgsm(model, inputs, labels, epsilon, lower=lower, upper=upper)


@register_attack("pgd")
def _pgd_by_name(model, inputs, labels, epsilon, *, steps, step_size, lower, upper):
    # 2.5 * epsilon / steps lets a walk reach the edge of the ball and still turn (Madry et al.).
    step_size = 2.5 * epsilon / max(steps, 1) if step_size is None else step_size
    return pgd(model, inputs, labels, epsilon, steps, step_size, lower=lower, upper=upper)


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters(), torch.empty(0)).device


def _attacked_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, attack: Attack, epsilon: float, *,
                       steps: int = 10, step_size: float | None = None, lower: float = 0.0,
                       upper: float = 1.0) -> float:
    """Fraction of `(x, y)` still classified correctly after `attack` at `epsilon`, in chunks."""
    correct, device = 0, _device_of(model)
    for i in range(0, len(x), _CHUNK):
        xb, yb = x[i:i + _CHUNK].to(device), y[i:i + _CHUNK].to(device)
        adversarial = attack(model, xb, yb, epsilon, steps=steps, step_size=step_size, lower=lower, upper=upper)
        with _attacking(model), torch.no_grad():
            correct += (model(adversarial).argmax(1) == yb).sum().item()
    return correct / max(len(x), 1)


def accuracy_curve(model: nn.Module, dataset, epsilons, method: str = "fgsm", *, n: int | None = None,
                   steps: int = 10, step_size: float | None = None, lower: float = 0.0,
                   upper: float = 1.0) -> pd.DataFrame:
    """Test accuracy under attack for each epsilon: a DataFrame with columns `epsilon`, `accuracy`.

    Uses the first `n` test examples (all when None). `method` names an attack in `ATTACKS`;
    for "pgd", `steps` steps of `step_size` (default 2.5 * epsilon / steps) per epsilon.
    """
    if method not in ATTACKS:
        raise ValueError(f"unknown attack {method!r}; known attacks are {', '.join(ATTACKS)}")
    device = _device_of(model)
    x, y = dataset.x_test[:n].to(device), dataset.y_test[:n].to(device)
    rows = [{"epsilon": float(eps),
             "accuracy": _attacked_accuracy(model, x, y, ATTACKS[method], eps, steps=steps, step_size=step_size,
                                            lower=lower, upper=upper)}
            for eps in epsilons]
    return pd.DataFrame(rows, columns=["epsilon", "accuracy"])


# ----------------------------------------------------------------------------------------------
# Fooling a linear classifier by hand: its score for class k is w[k]·x + b[k], so adding a multiple
# of w[target] - w[source] raises the target's score against the source's as fast as possible.


def _linear_layer(model: nn.Module) -> nn.Linear:
    """The single linear layer of a softmax-regression Network; ValueError for any other model."""
    spec = getattr(model, "spec", None)
    if spec is None or len(spec.get("input_shape", ())) == 0:
        raise ValueError("expected a playground Network built from a spec")
    types = [layer["type"] for layer in spec["layers"]]
    if types.count("linear") != 1:
        raise ValueError(f"expected a linear classifier with exactly one linear layer; this network has {types}")
    at = types.index("linear")
    others_ok = all(t in _LINEAR_PASSTHROUGH for t in types[:at]) and all(
        t in (*_LINEAR_PASSTHROUGH, "softmax") for t in types[at + 1:])
    if not others_ok:
        raise ValueError(f"expected a linear classifier (one linear layer, nothing nonlinear before it); "
                         f"this network has {types}")
    return model[at]


def linear_direction(model: nn.Module, source: int, target: int) -> torch.Tensor:
    """`w[target] - w[source]` of a linear classifier's weights, shaped like one input (C, H, W) or (F,).

    Moving an input along it raises the target's score minus the source's by its squared length per unit.
    ValueError unless `model` is a Network whose only layer with weights is one linear layer.
    """
    layer = _linear_layer(model)
    classes = layer.out_features
    for name, value in (("source", source), ("target", target)):
        if not 0 <= value < classes:
            raise ValueError(f"{name} must be a class from 0 to {classes - 1}, got {value}")
    w = layer.weight.detach()  # (classes, values per input)
    return (w[target] - w[source]).reshape(model.spec["input_shape"]).clone()


def fool_linear(model: nn.Module, image: torch.Tensor, source: int, target: int, alpha: float, *,
                lower: float = 0.0, upper: float = 1.0) -> torch.Tensor:
    """`clip(image + alpha * d / max|d|)` with `d = linear_direction(model, source, target)`.

    The direction is scaled so that its largest entry is 1: `alpha` is then the most any single
    pixel changes, the same L∞ budget as FGSM's epsilon. `image` is one input (C, H, W) or a batch.
    """
    d = linear_direction(model, source, target).to(image.device)
    scale = d.abs().max()
    if scale == 0:
        return image.detach().clone()  # the two classes have the same weights: no direction separates them
    return (image.detach() + alpha * d / scale).clamp(lower, upper)


# ----------------------------------------------------------------------------------------------
# Adversarial training (Goodfellow et al. 2015, section 6; Madry et al. 2018 with one FGSM step).


@dataclasses.dataclass
class AdversarialOptions:
    """Settings of the "adversarial" trainer."""

    epsilon: float = 0.1  # FGSM's L∞ budget: a visible but small change for images in [0, 1]
    mix: float = 0.5  # fraction of each batch replaced by its attack; Goodfellow et al. weigh the two equally

    @classmethod
    def from_dict(cls, options: dict) -> AdversarialOptions:
        """Options from `ctx.options`; TrainingError naming the first bad one.

        Other keys are ignored: pages keep their own notes in a job's options (e.g. where the model came from).
        """
        names = [f.name for f in dataclasses.fields(cls)]
        opts = cls(**{name: options[name] for name in names if name in options})
        for name in names:
            value = getattr(opts, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise TrainingError(f"{name} must be a number from 0 to 1, got {value!r}")
        return opts


@register_trainer("adversarial")
def adversarial(ctx):
    """Fine-tune a trained classifier on batches where a fraction `mix` is replaced by FGSM examples.

    Options: see `AdversarialOptions`. Needs `ctx.init_weights`. The attack is made afresh for
    every batch against the current weights, with values kept in the training inputs' range.
    Reports the classifier's history rows and a series "adversarial_accuracy" of
    {"epoch", "epsilon", "accuracy"}: test accuracy under FGSM at epsilon, from epoch 0 on.
    """
    data, device = ctx.dataset, ctx.device
    if ctx.init_weights is None:
        raise TrainingError("Adversarial training fine-tunes a trained model: start it from that model's weights.")
    if data.task != "classification":
        raise TrainingError("Adversarial training needs a classification dataset.")
    opts = AdversarialOptions.from_dict(ctx.options)
    epsilon, mix = float(opts.epsilon), float(opts.mix)
    # Adversarial inputs stay inside the range the data spans ([0, 1] for images).
    lower, upper = data.x_train.min().item(), data.x_train.max().item()
    # One copy of the data on the device, for the attacks here and the training loop, when it fits.
    ctx.dataset = data = placement.place_dataset(data, device)
    x_test, y_test = data.x_test, data.y_test

    def prepare(model, xb, yb):
        k = round(mix * len(xb))  # batches are shuffled, so the first k are a random subset
        if k and epsilon > 0:
            xb = torch.cat([fgsm(model, xb[:k], yb[:k], epsilon, lower=lower, upper=upper), xb[k:]])
        return xb

    def after_epoch(model, epoch):
        accuracy = _attacked_accuracy(model, x_test, y_test, ATTACKS["fgsm"], epsilon, lower=lower, upper=upper)
        ctx.series("adversarial_accuracy", {"epoch": epoch, "epsilon": epsilon, "accuracy": accuracy})

    yield from supervised_loop(ctx, "classification", prepare=prepare, after_epoch=after_epoch)


@torch.no_grad()
def runner_up(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """The class each input (B, ...) scores second highest: the easiest one to push it into. (B,) long."""
    model.eval()
    return model(inputs).topk(2, dim=1).indices[:, 1]


@torch.no_grad()
def prediction(model: nn.Module, image: torch.Tensor) -> tuple[int, float]:
    """The class one image (1, ...) is given and the model's probability for it, as plain numbers."""
    label, confidence = predict(model, image)
    return int(label[0]), float(confidence[0])


def auto_step_size(epsilon: float, steps: int) -> float:
    """A PGD step that can cross the whole ε-ball within `steps`: 2.5·ε / steps (Madry et al. use 2.5 too)."""
    return 2.5 * epsilon / steps if epsilon else 0.01


def attack_image(model: nn.Module, image: torch.Tensor, label: int, attack: str, epsilon: float, *, steps: int = 20,
                 step_size: float = 0.0, norm: str = "Linf", target: int | None = None) -> torch.Tensor:
    """One image (1, ...) attacked by name ("fgsm" or "pgd"); `step_size` 0 means `auto_step_size`.

    FGSM ignores `steps`, `step_size`, `norm` and `target` (it is one untargeted L∞ step).
    """
    labels = torch.tensor([label])
    if attack == "fgsm":
        return fgsm(model, image, labels, epsilon)
    step_size = step_size or auto_step_size(epsilon, steps)
    return pgd(model, image, labels, epsilon, steps, step_size=step_size, target=target, norm=norm)


def change_size(original: torch.Tensor, adversarial: torch.Tensor, norm: str = "Linf") -> float:
    """How large the change from `original` to `adversarial` is in `norm`: its largest |δ| or its length."""
    delta = (adversarial - original).detach().flatten()
    if norm == "L2":
        return float(delta.norm())
    return float(delta.abs().max()) if delta.numel() else 0.0


def triptych(original: torch.Tensor, adversarial: torch.Tensor):
    """(original, change, adversarial) of one image (1, C, H, W) as NumPy arrays (C, H, W), for a figure."""
    before, after = original.detach()[0].cpu(), adversarial.detach()[0].cpu()
    return before.numpy(), (after - before).numpy(), after.numpy()
