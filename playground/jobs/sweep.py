"""A sweep: the same training run repeated with one setting changed, to see how the result depends on it."""

from __future__ import annotations

import dataclasses

from playground.jobs.train import Config

# Settings a sweep may vary, with the values offered by default.
SWEEPABLE: dict[str, list] = {
    "lr": [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1],
    "batch_size": [8, 16, 32, 64, 128, 256],
    "weight_decay": [0.0, 0.0001, 0.001, 0.01, 0.1],
    "epochs": [1, 2, 5, 10, 20],
    "seed": [0, 1, 2, 3, 4],
}
LOG_SCALE = {"lr", "batch_size", "weight_decay"}  # settings whose values are best plotted on a log axis


def sweep_configs(base: Config, setting: str, values: list) -> list[Config]:
    """One validated Config per value of `setting`, everything else as in `base`.

    Raises ValueError for a setting that is not sweepable, and ConfigError for a bad value.
    """
    if setting not in SWEEPABLE:
        raise ValueError(f"{setting!r} cannot be swept; choose one of {', '.join(SWEEPABLE)}")
    return [dataclasses.replace(base, **{setting: value}).validate() for value in values]

# The values Build & Train offers for these settings (a sweep offers the subsets in SWEEPABLE).
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCH_SIZES = (1, 8, 16, 32, 64, 128, 256, 512)
