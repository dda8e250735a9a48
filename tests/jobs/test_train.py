"""Tests for playground.jobs.train: learning happens, seeded runs repeat, bad settings fail early, and a
running job can be paused, stepped, resumed and stopped.

Every job runs in the shared two-worker pool (`pool` in conftest.py), on data small enough for a CPU.
"""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from playground import data
from playground.jobs.train import Config, ConfigError, start
from playground.layers import SpecError
from playground.models import preset
from tests.waiting import wait_for

LOSS_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc"]


def _statuses_during(job, seconds: float) -> set[str]:
    """Every status `job` shows while polled for `seconds`."""
    seen, end = set(), time.monotonic() + seconds
    while time.monotonic() < end:
        seen.add(job.status)
        time.sleep(0.002)
    return seen


@pytest.fixture(scope="module")
def reg_plane():
    return data.load("reg_plane")


def _worker_index(pool, job) -> int | None:
    return next((i for i, w in enumerate(pool.workers) if job.id in w.jobs), None)


# ----------------------------------------------------------------------------------------------
# Learning happens


def test_lenet5_reaches_90_percent_on_digits_for_three_seeds(executor, digits):
    spec = preset("lenet5", digits)
    configs = [Config(optimizer="adam", lr=0.01, batch_size=32, epochs=8, seed=seed) for seed in (0, 1, 2)]
    jobs = [start(spec, digits, config, pool=executor) for config in configs]
    for job in jobs:
        assert job.wait(60) == "done", job.error
    for job in jobs:
        history = job.history
        assert list(history["epoch"]) == list(range(9))
        # Baseline: the untrained network guesses (about 1 in 10), so the threshold below means something.
        assert history["val_acc"].iloc[0] < 0.3
        assert history["val_acc"].iloc[-1] >= 0.90, (job.config.seed, history["val_acc"].tolist())
        assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[1]


def test_regressor_halves_the_validation_loss_on_reg_plane(executor, reg_plane):
    job = start(preset("mlp", reg_plane), reg_plane, Config(optimizer="adam", lr=0.01, epochs=10), pool=executor)
    assert job.wait(30) == "done", job.error
    history = job.history
    assert job.trainer == "regressor"
    assert history["train_acc"].isna().all() and history["val_acc"].isna().all()  # no accuracy for regression
    assert history["val_loss"].iloc[-1] <= 0.5 * history["val_loss"].iloc[0]


def test_model_accuracy_matches_the_last_history_row(executor, digits):
    job = start(preset("mlp", digits), digits, Config(epochs=3, seed=4), pool=executor)
    assert job.wait(30) == "done", job.error
    model = job.model()
    assert isinstance(model, nn.Module) and not model.training
    with torch.no_grad():
        predicted = model(digits.x_test).argmax(1)
    accuracy = (predicted == digits.y_test).float().mean().item()
    assert accuracy == pytest.approx(job.history["val_acc"].iloc[-1], abs=1e-6)
    assert job.progress == 1.0


# ----------------------------------------------------------------------------------------------
# Seeded runs repeat


def test_seeded_runs_repeat_even_beside_another_job_in_the_same_worker(pool, digits):
    # Dropout draws from the global random generator: the runs repeat only if each job keeps its own.
    spec = preset("lenet5", digits)
    spec["layers"].insert(-1, {"type": "dropout", "p": 0.3})
    config = Config(batch_size=16, epochs=4, seed=0)
    assert wait_for(lambda: pool.running == 0, 10), "the pool is still busy with another test's jobs"
    shared = start(spec, digits, config, pool=pool)
    alone = start(spec, digits, config, pool=pool)
    other = start(spec, digits, Config(batch_size=16, epochs=4, seed=1), pool=pool)
    # The least busy worker takes each job, so `shared` and `other` share one worker, `alone` has its own.
    assert _worker_index(pool, shared) == _worker_index(pool, other) != _worker_index(pool, alone)
    # Both jobs in the shared worker are under way at one moment, so its slices alternated between them.
    assert wait_for(lambda: shared.rows >= 1 and other.rows >= 1 and not (shared.finished or other.finished),
                     20, every=0.005)
    for job in (shared, alone, other):
        assert job.wait(60) == "done", job.error

    a, b, c = shared.history[LOSS_COLUMNS], alone.history[LOSS_COLUMNS], other.history[LOSS_COLUMNS]
    assert len(a) == 5
    assert a.equals(b)
    assert not a["train_loss"].iloc[1:].equals(c["train_loss"].iloc[1:])
    assert not a["val_loss"].equals(c["val_loss"])


# ----------------------------------------------------------------------------------------------
# Bad settings fail before anything runs


def test_config_validate_names_the_bad_setting():
    with pytest.raises(ConfigError, match=r"^lr must be above 0"):
        Config(lr=-1).validate()
    with pytest.raises(ConfigError, match=r"^batch_size "):
        Config(batch_size=0).validate()
    assert Config(lr=0.5).validate().lr == 0.5


def test_config_from_dict_refuses_unknown_keys_and_round_trips():
    with pytest.raises(ConfigError, match="unknown training setting 'learning_rate'"):
        Config.from_dict({"learning_rate": 0.1})
    config = Config(optimizer="sgd", lr=0.2, epochs=3, seed=7)
    assert Config.from_dict(config.to_dict()) == config


def test_start_refuses_a_spec_that_does_not_fit_the_data(pool):
    xor = data.load("xor")
    ten_classes = preset("mlp", input_shape=[2], outputs=10)
    with pytest.raises(SpecError, match="out_features 2") as caught:
        start(ten_classes, xor, pool=pool)
    assert caught.value.key == "layers"
    with pytest.raises(SpecError, match=r"shape \[1, 8, 8\].*shape \[2\]"):
        start(preset("mlp", input_shape=[1, 8, 8], outputs=2), xor, pool=pool)


def test_start_refuses_a_network_over_the_parameter_cap(pool):
    xor = data.load("xor")
    huge = {"input_shape": [2], "layers": [{"type": "linear", "out_features": 4096},
                                           {"type": "linear", "out_features": 4096},
                                           {"type": "linear", "out_features": 2}]}
    with pytest.raises(SpecError, match="parameters, more than this installation allows"):
        start(huge, xor, pool=pool)


def test_start_refuses_an_unknown_trainer(pool):
    xor = data.load("xor")
    with pytest.raises(ValueError, match="unknown trainer 'nope'"):
        start(preset("mlp", xor), xor, trainer="nope", pool=pool)


# ----------------------------------------------------------------------------------------------
# Failures a student can act on


def test_diverging_loss_fails_the_job_with_advice(executor, reg_plane):
    job = start(preset("mlp", reg_plane), reg_plane, Config(optimizer="sgd", lr=10, loss="mse", epochs=20),
                pool=executor)
    assert job.wait(30) == "failed"
    assert job.error is not None
    assert "The loss became" in job.error
    assert ("inf" in job.error) or ("nan" in job.error)
    assert "at epoch" in job.error
    assert "lower learning rate" in job.error
    assert job.rows < 21  # it stopped early


# ----------------------------------------------------------------------------------------------
# Control while running


def test_pause_step_resume(executor, digits):
    job = start(preset("lenet5", digits), digits, Config(batch_size=4, epochs=6), pool=executor)
    assert wait_for(lambda: job.rows >= 2, 20), job.status  # epoch 1 done

    job.pause()
    # The status reads "paused" at once and stays so, whatever updates were already on their way.
    assert _statuses_during(job, 0.7) == {"paused"}
    rows = job.rows
    time.sleep(1.0)  # longer than two epochs of this job
    assert job.rows == rows and job.status == "paused"
    assert job.model() is not None  # the weights so far were published at the pause

    job.step(1, "epoch")
    assert wait_for(lambda: job.rows == rows + 1, 10)
    assert wait_for(lambda: job.status == "paused", 2)
    time.sleep(0.8)
    assert job.rows == rows + 1 and job.status == "paused"

    job.resume()
    assert job.status == "running"
    assert job.wait(30) == "done", job.error
    assert list(job.history["epoch"]) == list(range(7))


def test_progress_moves_within_an_epoch_and_stop_keeps_the_weights(executor, digits):
    # Batch size 1: an epoch is 1,438 steps, long enough to watch it advance.
    job = start(preset("lenet5", digits), digits, Config(batch_size=1, epochs=3), pool=executor)
    assert wait_for(lambda: job.rows >= 1 and job.progress > 0, 20)
    untrained = {k: v.clone() for k, v in job.model().state_dict().items()}
    first = job.progress
    # Within a second the progress moves on (0.3 s on an idle machine; a worker on a busy one may wait longer).
    assert wait_for(lambda: job.progress > first, 1.0)
    second = job.progress
    assert job.rows == 1, "the first epoch ended too soon to see progress within it"
    assert 0 < first < second < 1 / 3

    job.stop()
    assert job.status == "stopped"
    assert job.wait(10) == "stopped"
    model = job.model()
    assert isinstance(model, nn.Module)
    assert model(digits.x_test[:5]).shape == (5, 10)
    # What it learned during the unfinished epoch is kept.
    assert any(not torch.equal(v, untrained[k]) for k, v in model.state_dict().items())


# ----------------------------------------------------------------------------------------------
# The job trains on exactly the data it was given


def _untrained_loss(spec: dict, dataset, seed: int) -> float:
    """The loss on the training set of the network a seeded job starts from (its epoch-0 row)."""
    import torch.nn.functional as F

    from playground.jobs.supervised import evaluate
    from playground.models import build

    torch.manual_seed(seed)
    model = build(spec)
    return evaluate(model, dataset.x_train, dataset.y_train, F.cross_entropy, "classification")[0]


def test_a_registered_dataset_with_changed_tensors_is_trained_on_as_given(executor, digits):
    import dataclasses

    from playground.jobs.train import checksum, dataset_payload

    noisy_x = digits.x_train + 0.5 * torch.randn(digits.x_train.shape, generator=torch.Generator().manual_seed(1))
    noisy = dataclasses.replace(digits, x_train=noisy_x)  # same name, same ref, other tensors
    assert noisy.ref() == digits.ref() and checksum(noisy) != checksum(digits)
    assert "ref" in dataset_payload(digits) and "ref" not in dataset_payload(noisy)
    spec = preset("mlp", digits)
    jobs = {which: start(spec, ds, Config(epochs=1, seed=3), pool=executor) for which, ds in
            (("noisy", noisy), ("registry", digits))}
    for job in jobs.values():
        assert job.wait(60) == "done", job.error
    seen = {which: float(job.history["train_loss"].iloc[0]) for which, job in jobs.items()}
    expected = {"noisy": _untrained_loss(spec, noisy, 3), "registry": _untrained_loss(spec, digits, 3)}
    assert abs(expected["noisy"] - expected["registry"]) > 1e-3  # the two data sets tell apart
    assert seen["noisy"] == pytest.approx(expected["noisy"], abs=1e-5)
    assert seen["registry"] == pytest.approx(expected["registry"], abs=1e-5)


def test_a_dataset_changed_in_place_is_sent_as_itself():
    from playground.jobs.train import dataset_payload

    own = data.load("digits")
    assert "ref" in dataset_payload(own)
    own.y_train[:5] = 0  # in place: the same tensor object, new contents
    assert dataset_payload(own) == {"dataset": own}


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_data_with_nan_or_inf_fails_the_job_naming_the_data(executor, digits, bad):
    import dataclasses

    x = digits.x_train.clone()
    x[3, 0, 2, 2] = bad
    x[7, 0, 1, 1] = bad
    job = start(preset("mlp", digits), dataclasses.replace(digits, x_train=x), Config(epochs=2), pool=executor)
    assert job.wait(60) == "failed"
    assert "The data contains NaN or infinite values (x_train: 2)" in job.error
    assert "learning rate" not in job.error
    assert job.rows == 0
