"""Run records: the bundled examples, checkpoints of runs, and continuing from trained weights."""

import pytest
import torch

from playground import data, evaluation, models
from playground.checkpoints import read_metadata
from playground.jobs import runs, train


@pytest.fixture(scope="module")
def examples():
    return {record.name: record for record in runs.examples()}


def test_the_examples_ship_small_and_trained(examples):
    assert set(examples) == {"digits LeNet-5", "shapes CNN", "spiral MLP"}
    for path in runs.EXAMPLES_DIR.glob("*.safetensors"):
        assert path.stat().st_size < 1_000_000
    for record in examples.values():
        dataset = record.load_dataset()
        measured = evaluation.accuracy(record.model(), dataset)
        assert measured == pytest.approx(record.final["val_acc"], abs=1e-6)
        assert measured >= 0.9, record.name
        torch.manual_seed(0)
        untrained = evaluation.accuracy(models.build(record.spec), dataset)
        assert untrained < measured - 0.3, record.name  # the baseline: the same network, untrained


def test_an_example_record_round_trips_through_a_checkpoint(examples):
    record = examples["digits LeNet-5"]
    again = runs.RunRecord.from_checkpoint(record.to_checkpoint())
    assert again.spec == record.spec and again.dataset == record.dataset and again.config == record.config
    assert len(again.history) == len(record.history)
    meta = read_metadata(record.to_checkpoint())
    assert meta["dataset"]["name"] == "digits"
    x = record.load_dataset().x_test[:5]
    assert (again.model()(x) == record.model()(x)).all()


def test_continuing_from_trained_weights_starts_where_they_left_off(examples, pool):
    record = examples["digits LeNet-5"]
    dataset = record.load_dataset()
    config = train.Config(epochs=1, seed=3, lr=0.0001)
    fresh = train.start(record.spec, dataset, config, pool=pool)
    continued = train.start(record.spec, dataset, config, init_weights=record.weights, pool=pool)
    assert fresh.wait(60) == "done" and continued.wait(60) == "done"
    assert continued.history["val_acc"].iloc[0] == pytest.approx(record.final["val_acc"], abs=1e-6)
    assert fresh.history["val_acc"].iloc[0] < 0.3  # the baseline: untrained weights


def test_weights_that_do_not_fit_are_refused(examples, pool):
    dataset = data.load("digits")
    other = models.preset("tiny_vgg", dataset)
    with pytest.raises(models.SpecError, match="do not fit"):
        train.start(other, dataset, train.Config(epochs=1), init_weights=examples["digits LeNet-5"].weights, pool=pool)
