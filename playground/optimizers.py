"""The optimizers a student picks by name: one registry that training, the optimizer race, the
script export and the pages all read.

Each entry names its `torch.optim` class and the keywords that make it what it is ("nesterov" is
SGD with momentum and Nesterov's look-ahead); `make_optimizer` builds it over some parameters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import torch

from playground.registry import Registry


@dataclasses.dataclass(frozen=True)
class OptimizerInfo:
    """One optimizer: its label, its `torch.optim` class name and the keywords it always passes."""

    name: str
    label: str
    torch_class: str  # e.g. "SGD", "Adam": an attribute of torch.optim
    fixed: dict[str, Any]  # e.g. {"nesterov": True}
    uses_momentum: bool  # takes the training setting `momentum`


OPTIMIZERS: Registry[OptimizerInfo] = Registry("optimizer")


def register_optimizer(name: str, *, label: str, torch_class: str, uses_momentum: bool = False, **fixed) -> None:
    """Register optimizer `name` as `torch.optim.<torch_class>(params, **fixed, ...)`; duplicates are refused."""
    if not hasattr(torch.optim, torch_class):
        raise ValueError(f"optimizer {name!r}: torch.optim has no {torch_class!r}")
    OPTIMIZERS.add(name, OptimizerInfo(name, label, torch_class, dict(fixed), uses_momentum))


# In the order they were invented, which is also the order a race page gives them colours.
register_optimizer("sgd", label="SGD", torch_class="SGD")
register_optimizer("momentum", label="SGD with momentum", torch_class="SGD", uses_momentum=True)
register_optimizer("nesterov", label="Nesterov momentum", torch_class="SGD", uses_momentum=True, nesterov=True)
register_optimizer("adagrad", label="Adagrad", torch_class="Adagrad")
register_optimizer("rmsprop", label="RMSprop", torch_class="RMSprop")
register_optimizer("adam", label="Adam", torch_class="Adam")
register_optimizer("adamw", label="AdamW", torch_class="AdamW")

DEFAULT_MOMENTUM = 0.9  # the usual choice (Sutskever et al., 2013); Config.momentum starts here too


def optimizer_keywords(name: str, *, momentum: float = DEFAULT_MOMENTUM, **options) -> dict[str, Any]:
    """The keywords `torch.optim.<class>` gets for optimizer `name`: its fixed ones, the momentum if it
    uses one, then `options` (lr, weight_decay, ...). KeyError listing the known names if unknown."""
    info = OPTIMIZERS[name]
    return {**info.fixed, **({"momentum": momentum} if info.uses_momentum else {}), **options}


def optimizer_class(name: str) -> Callable[..., torch.optim.Optimizer]:
    """`constructor(params, **options)` for optimizer `name`: its torch.optim class with its fixed
    keywords and, where it uses one, the default momentum already given (options win)."""
    info = OPTIMIZERS[name]

    def construct(params, **options) -> torch.optim.Optimizer:
        if info.uses_momentum:
            options.setdefault("momentum", DEFAULT_MOMENTUM)
        return getattr(torch.optim, info.torch_class)(params, **{**info.fixed, **options})

    construct.__name__ = f"make_{name}"
    return construct


def make_optimizer(name: str, params: Iterable, *, lr: float, weight_decay: float = 0.0,
                   momentum: float = DEFAULT_MOMENTUM) -> torch.optim.Optimizer:
    """Optimizer `name` over `params` with learning rate `lr`, weight decay and (where it uses one) momentum."""
    keywords = optimizer_keywords(name, momentum=momentum, lr=lr, weight_decay=weight_decay)
    return getattr(torch.optim, OPTIMIZERS[name].torch_class)(params, **keywords)


def optimizer_code(name: str, *, weight_decay: float = 0.0, momentum: float = DEFAULT_MOMENTUM,
                   params: str = "model.parameters()", lr: str = "LR") -> str:
    """The Python line that makes optimizer `name`, as `make_optimizer` would, for an exported script."""
    keywords = optimizer_keywords(name, momentum=momentum, weight_decay=weight_decay)
    text = ", ".join([params, f"lr={lr}"] + [f"{key}={value!r}" for key, value in keywords.items()])
    return f"torch.optim.{OPTIMIZERS[name].torch_class}({text})"
