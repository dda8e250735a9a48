"""Sweeps: one setting varied, everything else kept."""

import pytest

from playground.jobs.sweep import sweep_configs
from playground.jobs.train import Config, ConfigError


def test_a_sweep_changes_only_its_setting():
    base = Config(epochs=3, lr=0.01, batch_size=16)
    configs = sweep_configs(base, "lr", [0.001, 0.1])
    assert [c.lr for c in configs] == [0.001, 0.1]
    assert all(c.epochs == 3 and c.batch_size == 16 for c in configs)


def test_unsweepable_settings_and_bad_values_are_refused():
    with pytest.raises(ValueError, match="cannot be swept"):
        sweep_configs(Config(), "optimizer", ["sgd"])
    with pytest.raises(ConfigError, match="lr"):
        sweep_configs(Config(), "lr", [-1.0])
