"""The trainer registry: generator functions that run a job inside a worker, by name.

Each `yield "step"` lets the worker turn to another job; `yield "epoch"` also marks an epoch
boundary (for single-stepping by epoch). The registry records the module that defines each
trainer; a job's message carries that module's name and the worker imports it, so a trainer from
any importable module (a lab module, a test, a notebook's helper module) runs in the pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from playground.registry import Registry

Trainer = Callable[[Any], Iterator[str]]
TRAINERS: Registry[Trainer] = Registry("trainer")


class TrainingError(RuntimeError):
    """Training stopped for a reason a student can act on (e.g. the loss became NaN)."""


def register_trainer(name: str) -> Callable[[Trainer], Trainer]:
    """Register a trainer generator under `name`, noting its module; duplicates are refused."""

    def decorator(fn: Trainer) -> Trainer:
        TRAINERS.add(name, fn, module=fn.__module__)
        return fn

    return decorator


def trainer_module(name: str) -> str:
    """The module that defines trainer `name`: what a worker imports to find it.

    ValueError when it cannot be imported by name (a trainer defined in `__main__`, e.g. a
    notebook cell or a script run directly)."""
    module = TRAINERS.info[name]["module"] if name in TRAINERS else None
    if module is None:
        raise ValueError(f"unknown trainer {name!r}; known trainers are {', '.join(TRAINERS)}")
    if module == "__main__":
        raise ValueError(f"trainer {name!r} is defined in __main__, which a worker cannot import; "
                         "define it in a module of its own and import it from there")
    return module
