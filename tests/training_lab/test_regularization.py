"""Tests for playground.training_lab.regularization: the penalty steps against hand computation, L1's zeros, early
stopping's restored weights, augmentations that move whole pixels, and the side-by-side trainer.

Trainers run in this process through a worker's JobContext (no pool), on one thread. Measured when
these tests were written (seeds 0, 1, 2):
- digits, 200 training examples, 128 ReLU units, Adam 0.003, 30 epochs, rate 0.1: L1 leaves 22 %, 24 %,
  24 % of the weights at |w| ≤ 0.001, L2 0.8 %, 0.6 %, 0.7 %, no penalty about 1 % (after 60 epochs: L1
  43 %, L2 0.5 %); validation accuracy about 0.93 for all three.
- shapes 16 × 16, 100 training examples, 60 epochs: validation accuracy 0.574, 0.586, 0.574 without
  augmentation, 0.645, 0.674, 0.674 with shift + flip.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from playground import data
from playground.figures.training_lab.variants import (
    augmented_examples_figure,
    early_stopping_figure,
    variant_curves_figure,
    weight_histograms_figure,
)
from playground.jobs.train import Config, ConfigError
from playground.jobs.worker import JobContext
from playground.models import build
from playground.training_lab import regularization
from playground.training_lab.regularization import (
    Variant,
    augment,
    evaluate_model,
    histories,
    load_weights,
    mlp_spec,
    near_zero_fraction,
    shrink_weights,
    small_training_set,
    variants_trainer,
    weight_values,
)

pytestmark = pytest.mark.usefixtures("one_thread")
SEEDS = (0, 1, 2)


def run_variants(variants: list[Variant], dataset, config: Config) -> dict:
    """Train `variants` side by side in this process; the series the job sent, by name."""
    ctx = JobContext(1, variants[0].spec, dataset, config, torch.device("cpu"),
                     options={"variants": [v.to_dict() for v in variants]})
    for _ in variants_trainer(ctx):
        pass
    return ctx.take_update()["series"]


@pytest.fixture(scope="module")
def few_digits():
    return small_training_set(data.load("digits"), 200)


# ----------------------------------------------------------------------------------------------
# Penalty steps


def test_shrink_steps_match_hand_computation():
    model = nn.Sequential(nn.Linear(3, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.5, -0.0005, 0.002]]))
        model[0].bias.fill_(0.3)
    shrink_weights(model, l1=0.1, lr=0.01)  # a pull of 0.001 towards zero
    assert torch.allclose(model[0].weight, torch.tensor([[0.499, 0.0, 0.001]]), atol=1e-7)
    assert model[0].weight[0, 1].item() == 0.0  # stopped at zero, not pushed past it
    shrink_weights(model, l2=0.5, lr=0.1)  # × (1 − 0.05)
    assert torch.allclose(model[0].weight, torch.tensor([[0.47405, 0.0, 0.00095]]), atol=1e-7)
    assert model[0].bias.item() == pytest.approx(0.3)  # biases are not penalized


def test_weight_values_and_near_zero_fraction():
    model = build(mlp_spec((4,), input_shape=(3,), outputs=2))
    assert len(weight_values(model)) == 3 * 4 + 4 * 2
    assert near_zero_fraction(np.array([0.0, 0.0005, -0.001, 0.5])) == 0.75


def test_l1_leaves_at_least_twice_as_many_zero_weights_as_l2(few_digits):
    spec = mlp_spec((128,))
    for seed in SEEDS:
        variants = [Variant("L1", spec, l1=0.1), Variant("L2", spec, l2=0.1)]
        if seed == 0:
            variants.append(Variant("none", spec))
        series = run_variants(variants, few_digits, Config(lr=0.003, epochs=30, seed=seed))
        models = {w["variant"]: load_weights(spec, w["state"]) for w in series["weights"]}
        zeros = {name: near_zero_fraction(weight_values(m)) for name, m in models.items()}
        if seed == 0:
            assert zeros["none"] < 0.05  # an unpenalized network has few: the comparison is not trivial
        assert zeros["L1"] >= 2 * zeros["L2"] and zeros["L1"] > 0.15, zeros
        assert evaluate_model(models["L1"], few_digits)["val_acc"] > 0.85  # and it still recognizes digits


# ----------------------------------------------------------------------------------------------
# Early stopping


def test_early_stopping_restores_the_best_epochs_weights():
    xor = data.load("xor", n=200, noise=0.4)
    spec = mlp_spec((128, 128), input_shape=(2,), outputs=2)
    series = run_variants([Variant("net", spec, keep_best=True)], xor, Config(lr=0.01, batch_size=16, epochs=40))
    history = histories(series["rows"])["net"]
    best = series["best"][0]
    assert best["epoch"] == int(history.loc[history["val_loss"].idxmin(), "epoch"])
    assert best["val_loss"] == history["val_loss"].min()
    assert best["epoch"] < 40 and history["val_loss"].iloc[-1] > best["val_loss"] + 0.1  # it did overfit
    weights = {w["kind"]: w for w in series["weights"]}
    restored = evaluate_model(load_weights(spec, weights["best"]["state"]), xor)
    last = evaluate_model(load_weights(spec, weights["last"]["state"]), xor)
    assert restored["val_loss"] == pytest.approx(best["val_loss"], abs=1e-6)
    assert last["val_loss"] == pytest.approx(history["val_loss"].iloc[-1], abs=1e-6)


def test_patience_stops_training_after_that_many_epochs_without_a_new_best():
    xor = data.load("xor", n=200, noise=0.4)
    spec = mlp_spec((128, 128), input_shape=(2,), outputs=2)
    series = run_variants([Variant("net", spec, keep_best=True, patience=5)], xor,
                          Config(lr=0.01, batch_size=16, epochs=100))
    history = histories(series["rows"])["net"]
    assert int(history["epoch"].iloc[-1]) == series["best"][0]["epoch"] + 5 < 100


# ----------------------------------------------------------------------------------------------
# Augmentation


def _shifts(image: torch.Tensor, most: int) -> list[torch.Tensor]:
    """Every whole-pixel shift of `image` (1, H, W) by up to `most` pixels, with black coming in."""
    out = []
    padded = nn.functional.pad(image, (most, most, most, most))
    h, w = image.shape[-2:]
    for dy in range(-most, most + 1):
        for dx in range(-most, most + 1):
            out.append(padded[:, most - dy:most - dy + h, most - dx:most - dx + w])
    return out


def test_shift_moves_whole_pixels_and_flip_mirrors():
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(20, 1, 16, 16)
    shifted = augment(x, ("shift",), generator=generator)
    for original, moved in zip(x, shifted):
        assert any(torch.allclose(moved, s, atol=1e-5) for s in _shifts(original, 2))  # 16 // 8 = 2 pixels
    assert not torch.allclose(shifted, x)
    flipped = augment(x, ("flip",), generator=generator)
    same = [torch.allclose(f, o, atol=1e-5) for f, o in zip(flipped, x)]
    mirrored = [torch.allclose(f, o.flip(-1), atol=1e-5) for f, o in zip(flipped, x)]
    assert all(s or m for s, m in zip(same, mirrored)) and 3 <= sum(mirrored) <= 17


def test_rotation_keeps_the_centre_and_noise_has_the_stated_spread():
    generator = torch.Generator().manual_seed(1)
    x = torch.zeros(8, 1, 16, 16)
    x[:, :, 6:10, 6:10] = 1.0  # a square at the centre
    turned = augment(x, ("rotate",), generator=generator)
    assert torch.all(turned[:, :, 7:9, 7:9] > 0.99)
    assert turned[:, :, :3].abs().max() == 0 and turned.sum().item() == pytest.approx(x.sum().item(), rel=0.1)
    grey = torch.full((64, 1, 16, 16), 0.5)
    noisy = augment(grey, ("noise",), generator=generator)
    assert (noisy - grey).std().item() == pytest.approx(0.1, rel=0.05)
    with pytest.raises(ValueError):
        augment(torch.zeros(4, 64), ("shift",), generator=generator)


def test_shift_and_flip_help_on_few_shapes_over_three_seeds():
    shapes = small_training_set(data.load("shapes", n=800, size=16, test_fraction=0.5), 100)
    spec = mlp_spec((128,), input_shape=(1, 16, 16), outputs=4)
    for seed in SEEDS:
        variants = [Variant("none", spec), Variant("augmented", spec, augment=("shift", "flip"))]
        tables = histories(run_variants(variants, shapes, Config(lr=0.003, epochs=60, seed=seed))["rows"])
        plain, augmented = (tables[n]["val_acc"].tail(5).mean() for n in ("none", "augmented"))
        assert plain < 0.62 and augmented > plain + 0.04, (seed, plain, augmented)


# ----------------------------------------------------------------------------------------------
# Data, variants, figures


def test_small_training_set_is_balanced_and_keeps_the_test_set(few_digits):
    digits = data.load("digits")
    assert len(few_digits.x_train) == 200 and torch.equal(few_digits.x_test, digits.x_test)
    assert set(np.bincount(few_digits.y_train.numpy())) <= {20}
    with pytest.raises(ValueError):
        small_training_set(digits, 0)


def test_variants_are_checked_and_round_trip():
    spec = mlp_spec((8,), input_shape=(2,), outputs=2)
    variant = Variant("a", spec, l1=0.1, augment=("shift",), keep_best=True, patience=3)
    assert Variant.from_dict(variant.to_dict()) == variant.validate()
    for bad in ({"l1": -1}, {"augment": ("blur",)}, {"patience": 0}):
        with pytest.raises(ConfigError):
            Variant("b", spec, **bad).validate()


def test_same_seed_gives_variants_the_same_start_and_batches():
    xor = data.load("xor", n=100)
    spec = mlp_spec((16,), input_shape=(2,), outputs=2)
    series = run_variants([Variant("a", spec), Variant("b", spec)], xor, Config(epochs=3, seed=4))
    tables = histories(series["rows"])
    assert list(tables) == ["a", "b"] and len(tables["a"]) == 4
    assert np.allclose(tables["a"]["val_loss"], tables["b"]["val_loss"])


def test_figures_draw_what_they_are_given():
    history = histories([{"variant": "n", "epoch": e, "train_loss": 1 / (e + 1), "train_acc": 0.5, "val_loss": 1.0,
                          "val_acc": 0.4} for e in range(4)])
    fig = variant_curves_figure({"a": history["n"], "b": history["n"]}, metric="acc", best_epochs={"a": 2})
    assert [t.name for t in fig.data] == ["a, training", "a, validation", "a, best epoch", "b, training",
                                          "b, validation"]
    assert list(fig.data[2].x) == [2]
    hist = weight_histograms_figure({"L1": np.zeros(10), "L2": np.ones(10)}, limit=2.0)
    assert [t.name for t in hist.data] == ["L1", "L2"] and hist.layout.yaxis.type == hist.layout.yaxis2.type == "log"
    assert hist.data[1].xaxis == "x2" and hist.layout.xaxis.range == (-2.0, 2.0)
    early = early_stopping_figure(history["n"], best_epoch=1, stop_epoch=3)
    assert len(early.data) == 3 and list(early.data[2].x) == [1]
    images = augmented_examples_figure(np.zeros((3, 1, 8, 8)), {"shift": np.ones((3, 1, 8, 8))})
    assert images.data[0].z.shape == (18, 27, 3)
    assert list(images.layout.yaxis.ticktext) == ["original", "shift"]


class _VariantsJob:
    """What the live producer reads of a running variants job, set by hand."""

    def __init__(self):
        self.status, self.epoch, self.fraction, self.device = "running", 1, 0.5, "cpu"
        self.where = "cpu"
        self.queue_position = self.error = None
        self.config = Config(epochs=4)
        self.progress = 0.25
        self.rows = []

    def series(self, name):
        return list(self.rows) if name == "rows" else []


def test_the_live_feed_of_a_variants_job_holds_its_numbers_and_every_variants_curves():
    job = _VariantsJob()
    produce = regularization.live_producer(job, lambda tables: {n: f"{len(t)} epochs" for n, t in tables.items()})
    assert "metrics" not in produce() and produce()["status"] == "running"

    def row(variant, epoch, acc):
        return {"variant": variant, "epoch": epoch, "train_acc": acc + 0.1, "val_acc": acc, "train_loss": 1 - acc,
                "val_loss": 1.1 - acc}

    job.rows += [row("plain", 1, 0.3), row("normed", 1, 0.6), row("plain", 2, 0.35)]
    view = produce()
    assert view["metrics"] == {"plain": "2 epochs", "normed": "1 epochs"}
    acc = view["charts"]["acc"]["series"]
    assert [(s["name"], s.get("dash")) for s in acc] == [("plain, training", "dash"), ("plain", None),
                                                         ("normed, training", "dash"), ("normed", None)]
    assert acc[1]["x"] == [1.0, 2.0] and acc[1]["y"] == [0.3, 0.35] and acc[0]["y"] == [0.4, 0.45]
    assert acc[0]["color"] == acc[1]["color"] != acc[2]["color"]  # one colour per variant
    assert view["charts"]["loss"]["series"][3]["y"] == [0.5]
    assert all(s.get("legend", True) is False for s in acc if s.get("dash"))  # the legend names variants once


def test_stopping_epochs_mark_the_kept_epoch_and_an_early_stop_only():
    import pandas as pd

    from playground.training_lab.regularization import stopping_epochs

    history = pd.DataFrame({"epoch": [1, 2, 3, 4], "val_loss": [0.9, 0.4, 0.5, 0.7]})
    assert stopping_epochs(history, None, finished=False, epochs=10) == (2, None)  # lowest so far, still running
    assert stopping_epochs(history, {"epoch": 3}, finished=True, epochs=10) == (3, 4)  # the job's kept weights
    assert stopping_epochs(history, None, finished=True, epochs=4) == (2, None)  # ran every epoch: no stop line


def test_augmented_examples_show_each_kind_alone_then_together_and_repeat_with_the_seed():
    import numpy as np

    from playground.training_lab.regularization import augmented_examples

    images = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    shown = augmented_examples(images, ("flip", "noise"), seed=4)
    assert list(shown) == ["flip", "noise", "flip + noise"]
    assert all(v.shape == (3, 1, 8, 8) for v in shown.values())
    assert augmented_examples(images, (), seed=4) == {}
    assert list(augmented_examples(images, ("flip",), seed=4)) == ["flip"]
    again = augmented_examples(images, ("flip", "noise"), seed=4)
    assert all(np.array_equal(shown[k], again[k]) for k in shown)
    # A flip alone leaves each image either as it was or mirrored left to right.
    for before, after in zip(images.numpy(), shown["flip"]):
        assert np.allclose(after, before) or np.allclose(after, before[..., ::-1])
