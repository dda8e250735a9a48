"""Tests for playground.training_lab.initialization: the lecture's claims about vanishing and exploding signals.

All measurements use 10 hidden layers of width 64 on 256 standardized digits (flattened to 64 numbers),
over seeds 0, 1 and 2. Measured when these tests were written (20 seeds for the ranges):
- He/ReLU: last hidden activation std / first's is 0.62, 1.47, 0.92 (0.53 to 1.47 over 20 seeds);
  first layer's gradient norm / output layer's is 0.68, 0.30, 0.33 (0.24 to 0.81).
- small_normal/ReLU: last hidden activation std / first's is below 1e-11.
- small_normal/sigmoid: first layer's gradient norm / output layer's is about 2e-16.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from playground import data
from playground.models import build
from playground.training_lab.initialization import (
    DESCRIPTIONS,
    INITS,
    activation_values,
    deep_mlp_spec,
    gradient_values,
    initialize,
    layer_statistics,
)

SEEDS = (0, 1, 2)
DEPTH, WIDTH = 10, 64
COLUMNS = ["layer", "activation_mean", "activation_std", "saturated", "weight_std", "grad_norm"]


@pytest.fixture(scope="module")
def batch():
    """256 digits flattened to (256, 64), each pixel standardized over the batch, and their labels."""
    digits = data.load("digits")
    x = digits.x_train[:256].reshape(256, -1)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)  # pixels that are always 0 stay 0
    return x, digits.y_train[:256]


def _network(activation: str, scheme: str, seed: int, *, depth: int = DEPTH, width: int = WIDTH):
    return initialize(build(deep_mlp_spec(depth, width, activation)), scheme, seed=seed)


# ----------------------------------------------------------------------------------------------
# The lecture's claims


@pytest.mark.parametrize("seed", SEEDS)
def test_he_keeps_relu_activations_steady(batch, seed):
    stats = layer_statistics(_network("relu", "he", seed), *batch)
    hidden = stats[stats.layer <= DEPTH]
    ratio = hidden.activation_std.iloc[-1] / hidden.activation_std.iloc[0]
    assert 0.5 <= ratio <= 2.0


@pytest.mark.parametrize("seed", SEEDS)
def test_small_normal_makes_relu_activations_vanish(batch, seed):
    stats = layer_statistics(_network("relu", "small_normal", seed), *batch)
    hidden = stats[stats.layer <= DEPTH]
    assert hidden.activation_std.iloc[-1] < 0.1 * hidden.activation_std.iloc[0]
    # Each layer multiplies the std by roughly 0.01 * sqrt(64 / 2) ≈ 0.06, so it falls all the way down.
    assert (np.diff(hidden.activation_std.to_numpy()) < 0).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_small_normal_makes_sigmoid_gradients_vanish(batch, seed):
    stats = layer_statistics(_network("sigmoid", "small_normal", seed), *batch)
    ratio = stats.grad_norm.iloc[0] / stats.grad_norm.iloc[-1]
    assert 0 < ratio < 1e-3  # measured about 2e-16
    # Sigmoid' ≤ 1/4 and weights of std 0.01 shrink the gradient at every step back towards the input.
    assert (np.diff(stats.grad_norm.to_numpy()) > 0).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_he_keeps_relu_gradients_steady(batch, seed):
    stats = layer_statistics(_network("relu", "he", seed), *batch)
    ratio = stats.grad_norm.iloc[0] / stats.grad_norm.iloc[-1]
    assert 0.1 <= ratio <= 10


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_zeros_leave_every_hidden_weight_without_gradient(batch, activation):
    grads = gradient_values(_network(activation, "zeros", 0), *batch)
    assert len(grads) == DEPTH + 1
    for g in grads[:-1]:
        assert np.all(g == 0)
    # The output layer sees sigmoid(0) = 1/2 from every unit, so it does get a gradient, but the same
    # one for every input: its columns are identical, and the symmetry is never broken.
    last = grads[-1].reshape(10, WIDTH)
    if activation == "sigmoid":
        assert np.abs(last).max() > 0
        np.testing.assert_array_equal(last, np.repeat(last[:, :1], WIDTH, axis=1))
    else:
        assert np.all(last == 0)  # relu(0) = tanh(0) = 0


def test_large_normal_saturates_sigmoid(batch):
    stats = layer_statistics(_network("sigmoid", "large_normal", 0), *batch)
    hidden = stats[stats.layer <= DEPTH]
    assert hidden.saturated.mean() > 0.3  # measured 0.45
    small = layer_statistics(_network("sigmoid", "small_normal", 0), *batch)
    assert small[small.layer <= DEPTH].saturated.max() == 0  # sigmoid(≈0) ≈ 1/2, far from both bounds


# ----------------------------------------------------------------------------------------------
# initialize


@pytest.mark.parametrize("scheme", INITS)
def test_initialize_is_reproducible_and_leaves_global_rng_alone(scheme):
    torch.manual_seed(123)
    # Built first and differently: `build` itself draws PyTorch's default weights from the global RNG.
    first, second, other = (build(deep_mlp_spec(3)) for _ in range(3))
    state = torch.get_rng_state()
    initialize(first, scheme, seed=7)
    assert torch.equal(torch.get_rng_state(), state)
    initialize(second, scheme, seed=7)
    for a, b in zip(first.parameters(), second.parameters()):
        assert torch.equal(a, b)
    if scheme != "zeros":
        initialize(other, scheme, seed=8)
        assert not torch.equal(first[0].weight, other[0].weight)


@pytest.mark.parametrize(("scheme", "expected_std"), [
    ("zeros", lambda fan_in, fan_out: 0.0),
    ("small_normal", lambda fan_in, fan_out: 0.01),
    ("large_normal", lambda fan_in, fan_out: 1.0),
    ("xavier", lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))),  # Glorot & Bengio (2010), eq. 12
    ("he", lambda fan_in, fan_out: math.sqrt(2 / fan_in)),  # He et al. (2015), eq. 10
])
def test_initialize_draws_with_the_lectures_std(scheme, expected_std):
    model = build({"input_shape": [400], "layers": [{"type": "linear", "out_features": 300}, {"type": "relu"},
                                                    {"type": "linear", "out_features": 100}]})
    initialize(model, scheme, seed=0)
    for layer in (model[0], model[2]):
        fan_out, fan_in = layer.weight.shape
        assert layer.weight.std().item() == pytest.approx(expected_std(fan_in, fan_out), rel=0.03, abs=1e-12)
        assert layer.weight.mean().item() == pytest.approx(0, abs=0.03 * expected_std(fan_in, fan_out) + 1e-12)
        assert torch.all(layer.bias == 0)


def test_initialize_reaches_convolutions():
    model = build({"input_shape": [1, 8, 8], "layers": [
        {"type": "conv2d", "out_channels": 32, "kernel_size": 3}, {"type": "relu"},
        {"type": "linear", "out_features": 10}]})
    initialize(model, "he", seed=0)
    conv = model[0]
    fan_in = 1 * 3 * 3
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / fan_in), rel=0.1)
    assert torch.all(conv.bias == 0)
    initialize(model, "zeros")
    assert all(torch.all(p == 0) for p in model.parameters())


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="orthogonal"):
        initialize(build(deep_mlp_spec(1)), "orthogonal")


def test_every_scheme_is_described():
    assert set(DESCRIPTIONS) == set(INITS)
    assert all(text.endswith(".") for text in DESCRIPTIONS.values())


# ----------------------------------------------------------------------------------------------
# deep_mlp_spec and the measurements


def test_deep_mlp_spec_has_the_asked_shape():
    spec = deep_mlp_spec(3, 16, "tanh", inputs=2, outputs=4)
    assert spec == {"input_shape": [2], "layers": [
        {"type": "linear", "out_features": 16}, {"type": "tanh"},
        {"type": "linear", "out_features": 16}, {"type": "tanh"},
        {"type": "linear", "out_features": 16}, {"type": "tanh"},
        {"type": "linear", "out_features": 4}]}
    assert build(spec)(torch.zeros(5, 2)).shape == (5, 4)
    with pytest.raises(ValueError, match="gelu"):
        deep_mlp_spec(3, activation="gelu")


def test_measurements_agree_with_a_plain_backward_pass():
    torch.manual_seed(0)
    model = initialize(build(deep_mlp_spec(3, 8, "tanh", inputs=4, outputs=3)), "xavier", seed=1)
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))

    # Reference: the hidden activations by hand, and the gradients from loss.backward().
    hidden, h = [], x
    for i in range(3):
        h = torch.tanh(model[2 * i](h))
        hidden.append(h.detach())
    F.cross_entropy(model(x), y).backward()
    linears = [m for m in model if isinstance(m, nn.Linear)]

    stats = layer_statistics(model, x, y)
    assert list(stats.columns) == COLUMNS
    assert stats.layer.tolist() == [1, 2, 3, 4]
    for row, a in zip(stats.itertuples(), hidden):
        assert row.activation_mean == pytest.approx(a.mean().item(), rel=1e-5)
        assert row.activation_std == pytest.approx(a.std().item(), rel=1e-5)
        assert row.saturated == pytest.approx((a.abs() > 0.98).float().mean().item())
    assert math.isnan(stats.saturated.iloc[-1])  # the output layer has no activation
    for row, layer in zip(stats.itertuples(), linears):
        assert row.grad_norm == pytest.approx(layer.weight.grad.norm().item(), rel=1e-5)
        assert row.weight_std == pytest.approx(layer.weight.std().item(), rel=1e-6)

    values = activation_values(model, x)
    assert [v.shape for v in values] == [(32 * 8,)] * 3
    for v, a in zip(values, hidden):
        np.testing.assert_allclose(v, a.flatten().numpy(), rtol=1e-6)
    grads = gradient_values(model, x, y)
    assert [g.shape for g in grads] == [(8 * 4,), (8 * 8,), (8 * 8,), (3 * 8,)]
    for g, layer in zip(grads, linears):
        np.testing.assert_allclose(g, layer.weight.grad.flatten().numpy(), rtol=1e-5, atol=1e-8)


def test_relu_saturation_counts_dead_outputs():
    model = build(deep_mlp_spec(1, 2, "relu", inputs=1, outputs=2))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0], [-1.0]]))
        model[0].bias.zero_()
    x, y = torch.tensor([[1.0], [2.0], [-3.0]]), torch.tensor([0, 1, 0])
    # Outputs per example: (1, 0), (2, 0), (0, 3): three of the six values are exactly 0.
    assert layer_statistics(model, x, y).saturated.iloc[0] == pytest.approx(0.5)


def test_image_batches_are_flattened_for_flat_networks():
    digits = data.load("digits")
    x, y = digits.x_train[:16], digits.y_train[:16]  # (16, 1, 8, 8)
    model = _network("relu", "he", 0, depth=2)
    flat = layer_statistics(model, x.reshape(16, -1), y)
    images = layer_statistics(model, x, y)
    assert images.equals(flat)
    assert [v.shape for v in activation_values(model, x)] == [(16 * WIDTH,)] * 2


# ----------------------------------------------------------------------------------------------
# As training proceeds (the "layer_snapshots" trainer). Measured when written (10 layers of 64, SGD with
# momentum 0.02, 8 epochs, seed 0): sigmoid/small normal stays at 0.10 validation accuracy with the first
# layer's gradient norm below 1e-15 in every snapshot; ReLU/He reaches 0.95.


def _train_with_snapshots(activation: str, scheme: str, seed: int, epochs: int = 8):
    from safetensors.torch import save

    from playground.jobs.train import Config
    from playground.jobs.worker import JobContext
    from playground.training_lab.initialization import layer_snapshots

    spec = deep_mlp_spec(DEPTH, WIDTH, activation, input_shape=(1, 8, 8))
    start = initialize(build(spec), scheme, seed=seed)
    ctx = JobContext(1, spec, data.load("digits"), Config(optimizer="momentum", lr=0.02, epochs=epochs, seed=seed),
                     torch.device("cpu"), init_weights=save(dict(start.state_dict())), options={"standardize": True})
    for _ in layer_snapshots(ctx):
        pass
    update = ctx.take_update()
    return update["rows"], update["series"]["snapshots"]


@pytest.mark.usefixtures("one_thread")
def test_snapshots_show_sigmoid_stuck_and_relu_he_learning_over_three_seeds():
    from playground.training_lab.initialization import SNAPSHOT_VALUES, norms_over_training, snapshot_table

    for seed in SEEDS:
        rows, snapshots = _train_with_snapshots("sigmoid", "small_normal", seed)
        assert [s["epoch"] for s in snapshots] == list(range(9))  # before training, then after each epoch
        assert rows[-1]["val_acc"] < 0.2
        assert all(snapshot_table(s)["grad_norm"].iloc[0] < 1e-10 for s in snapshots)
        rows, snapshots = _train_with_snapshots("relu", "he", seed)
        assert rows[-1]["val_acc"] > 0.85
        assert len(snapshots[-1]["activations"]) == DEPTH and len(snapshots[-1]["gradients"]) == DEPTH + 1
        assert all(len(a) <= SNAPSHOT_VALUES for a in snapshots[-1]["activations"])
        # the gradient norms move as the network learns: the first snapshot differs from the last
        assert snapshot_table(snapshots[0])["grad_norm"].iloc[0] != snapshot_table(snapshots[-1])["grad_norm"].iloc[0]
    table = norms_over_training(snapshots)
    assert len(table) == 9 * (DEPTH + 1) and list(table.columns) == ["epoch", "layer", "value"]


def test_standardize_centres_each_pixel_and_keeps_shapes():
    from playground.training_lab.initialization import standardize

    digits = data.load("digits")
    standard = standardize(digits)
    assert standard.x_train.shape == digits.x_train.shape and standard.input_shape == (1, 8, 8)
    assert standard.x_train.mean(0).abs().max() < 1e-4
    varying = digits.x_train.std(0) > 0.05
    assert torch.allclose(standard.x_train.std(0)[varying], torch.ones(int(varying.sum())), atol=1e-3)


def test_image_input_spec_flattens_first():
    spec = deep_mlp_spec(3, 8, "tanh", input_shape=(1, 8, 8))
    assert spec["input_shape"] == [1, 8, 8] and spec["layers"][0] == {"type": "flatten"}
    table = layer_statistics(build(spec), torch.randn(16, 1, 8, 8), torch.arange(16) % 10)
    assert list(table["layer"]) == [1, 2, 3, 4]


def test_norms_over_training_figure_draws_one_line_per_layer():
    from playground.figures.training_lab.race import norms_over_training_figure

    table = pd.DataFrame({"epoch": [0, 0, 1, 1], "layer": [1, 2, 1, 2], "value": [1e-3, 0.0, 1e-2, 0.5]})
    fig = norms_over_training_figure(table, current=1)
    assert [t.name for t in fig.data] == ["layer 1", "layer 2"]
    assert np.isnan(fig.data[1].y[0])  # a zero cannot sit on a log axis
    assert fig.layout.yaxis.type == "log" and len(fig.layout.shapes) == 1


def test_describe_change_says_which_way_and_writes_tiny_factors_in_scientific_notation():
    from playground.training_lab.initialization import describe_change

    assert describe_change(2.0, 0.9) == ("fell to ×0.45", "down")
    assert describe_change(1.0, 3.7e-12) == ("fell to ×3.7e-12", "down")
    assert describe_change(0.5, 1e6) == ("grew to ×2e+06", "up")
    assert describe_change(1.0, 1.0) == ("the same (×1)", "off")
    assert describe_change(0.0, 1.0) == (None, "off") and describe_change(float("nan"), 1.0) == (None, "off")


def test_spread_and_gradients_reads_the_hidden_layers_and_the_gradient_ratio():
    import pandas as pd

    from playground.training_lab.initialization import spread_and_gradients

    table = pd.DataFrame({"layer": [1, 2, 3], "activation_std": [2.0, 0.5, 9.0], "grad_norm": [1e-12, 5.0, 4.0]})
    assert spread_and_gradients(table, 2) == (2.0, 0.5, 2.5e-13)  # layer 3 is the output: not a hidden layer
    first, last, ratio = spread_and_gradients(table.assign(grad_norm=[1.0, 1.0, 0.0]), 2)
    assert ratio != ratio  # no output gradient: no ratio
