"""How to train: `Config` (optimizer, learning rate, batches, epochs, loss, seed, device) and the
self-checking settings dataclass it is made from. Below `train` and the worker, which both read it."""

from __future__ import annotations

import dataclasses
import math
import numbers

from playground import optimizers

OPTIMIZERS = tuple(optimizers.OPTIMIZERS)  # the optimizer registry's names, for widgets
LOSSES = ("auto", "cross_entropy", "mse")


class ConfigError(ValueError):
    """A training setting out of range, with the setting named."""


def is_int(value) -> bool:
    """A whole number (not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A finite real number (not a bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


class CheckedSettings:
    """A dataclass of settings that checks itself: a subclass lists `checks()`, each
    (ok, setting name, what it must be); `validate` raises ConfigError naming the first that fails."""

    what = "setting"  # how `from_dict` names an unknown key, e.g. "unknown training setting 'x'"

    def checks(self) -> list[tuple[bool, str, str]]:
        return []

    def validate(self):
        """Return self, or raise ConfigError naming the first bad setting."""
        for ok, key, message in self.checks():
            if not ok:
                raise ConfigError(f"{key} {message} (got {getattr(self, key)!r})")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict):
        """Settings from a dict, validated; unknown keys raise ConfigError."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(f"unknown {cls.what} {unknown[0]!r} (known: {', '.join(sorted(names))})")
        return cls(**values).validate()


@dataclasses.dataclass
class Config(CheckedSettings):
    """How to train: optimizer, learning rate, batches, epochs, loss, seed and device."""

    what = "training setting"

    optimizer: str = "adam"
    lr: float = 0.01
    batch_size: int = 32
    epochs: int = 10
    weight_decay: float = 0.0
    momentum: float = 0.9  # used by "momentum" and "nesterov"
    loss: str = "auto"  # cross-entropy for classification, MSE for regression
    seed: int = 0
    device: str = "auto"  # "auto" uses CUDA when the worker has it

    def checks(self) -> list[tuple[bool, str, str]]:
        return [
            (self.optimizer in optimizers.OPTIMIZERS, "optimizer",
             f"must be one of {', '.join(optimizers.OPTIMIZERS)}"),
            (isinstance(self.lr, (int, float)) and 0 < self.lr <= 10, "lr", "must be above 0 and at most 10"),
            (isinstance(self.batch_size, int) and 1 <= self.batch_size <= 65536, "batch_size",
             "must be a whole number from 1 to 65536"),
            (isinstance(self.epochs, int) and 1 <= self.epochs <= 100_000, "epochs",
             "must be a whole number from 1 to 100000"),
            (isinstance(self.weight_decay, (int, float)) and 0 <= self.weight_decay <= 1, "weight_decay",
             "must be from 0 to 1"),
            (isinstance(self.momentum, (int, float)) and 0 <= self.momentum < 1, "momentum", "must be in [0, 1)"),
            (self.loss in LOSSES, "loss", f"must be one of {', '.join(LOSSES)}"),
            (isinstance(self.seed, int) and 0 <= self.seed < 2**32, "seed", "must be a whole number from 0"),
            (self.device in ("auto", "cpu") or str(self.device).startswith("cuda"), "device",
             "must be auto, cpu or cuda"),
        ]
