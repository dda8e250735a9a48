"""Tests for playground.basics.neuron: activations, the decision line, the perceptron rule, XOR with a hidden layer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground.basics import neuron
from playground.figures.basics.lessons import activation_figure, perceptron_figure, xor_hidden_figure


@pytest.mark.parametrize("name, torch_fn", [
    ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu),
    ("leaky_relu", torch.nn.functional.leaky_relu), ("linear", lambda z: z * 1.0)])
def test_activations_and_their_derivatives_match_torch(name, torch_fn):
    z = torch.linspace(-5, 5, 101, dtype=torch.float64, requires_grad=True)  # no point exactly at 0
    torch_fn(z).sum().backward()
    activation = neuron.ACTIVATIONS[name]
    assert np.allclose(activation.fn(z.detach().numpy()), torch_fn(z).detach().numpy(), atol=1e-12)
    assert np.allclose(activation.derivative(z.detach().numpy()), z.grad.numpy(), atol=1e-12)


def test_saturation_starts_where_the_slope_falls_below_a_twentieth_of_its_peak():
    # sigmoid: σ(1 − σ) = 0.25 / 20 at |z| = ln((1 + √(1 − 4·0.0125)) / (1 − √(1 − 4·0.0125))) ≈ 4.36
    root = math.sqrt(1 - 4 * 0.0125)
    edge = math.log((1 + root) / (1 - root))
    (lo1, hi1), (lo2, hi2) = neuron.saturated_intervals("sigmoid")
    assert (lo1, hi2) == (-6, 6)
    assert hi1 == pytest.approx(-edge, abs=0.01) and lo2 == pytest.approx(edge, abs=0.01)
    (_, tanh_hi), _ = neuron.saturated_intervals("tanh")
    assert tanh_hi == pytest.approx(-math.atanh(math.sqrt(0.95)), abs=0.01)  # 1 − tanh² = 0.05
    assert neuron.saturated_intervals("relu") == [(-6.0, pytest.approx(0.0, abs=0.01))]
    assert neuron.saturated_intervals("linear") == []
    assert neuron.saturated_intervals("step") == [(-6.0, 6.0)]


def test_the_neuron_output_grid_and_decision_line():
    xs, ys, out = neuron.neuron_grid(1.0, -1.0, 0.5, "sigmoid", extent=2.0, points=5)
    assert xs.tolist() == [-2, -1, 0, 1, 2]
    assert out[2, 2] == pytest.approx(1 / (1 + math.exp(-0.5)))  # x = (0, 0): z = b
    assert out[0, 4] == pytest.approx(1 / (1 + math.exp(-4.5)))  # x₁ = 2, x₂ = −2: z = 2 + 2 + 0.5
    line = neuron.decision_line(1.0, -1.0, 0.5)
    assert line.tolist() == [[-2.0, -1.5], [1.5, 2.0]]  # x₂ = x₁ + 0.5
    assert np.allclose(line @ np.array([1.0, -1.0]) + 0.5, 0)
    assert neuron.decision_line(0, 0, 1) is None
    assert neuron.decision_line(1, 0, -5) is None  # x₁ = 5 lies outside the square


@pytest.mark.parametrize("gate, epochs", [("AND", 6), ("OR", 4)])
def test_the_perceptron_converges_on_and_and_or(gate, epochs):
    run = neuron.perceptron(gate)
    assert run.converged and run.cycle_from is None and run.epochs == epochs
    w1, w2, b = run.steps[-1].weights
    predictions = (neuron.GATE_INPUTS @ np.array([w1, w2]) + b >= 0).astype(int)
    assert predictions.tolist() == neuron.GATES[gate].astype(int).tolist()
    assert all(s.error == 0 for s in run.steps[-4:])  # the last epoch made no mistake
    assert "Converged" in run.verdict


def test_the_first_perceptron_steps_by_hand():
    first, second = neuron.perceptron("AND").steps[:2]
    # w = 0, b = 0: z = 0 ≥ 0 says 1 for (0, 0), but AND says 0: b ← 0 − 1.
    assert (first.prediction, first.error, first.weights) == (1, -1, (0.0, 0.0, -1.0))
    # (0, 1): z = −1 < 0 says 0, right: nothing changes.
    assert (second.prediction, second.error, second.weights) == (0, 0, (0.0, 0.0, -1.0))


@pytest.mark.parametrize("lr, start", [(1.0, (0.0, 0.0, 0.0)), (0.5, (1.0, -1.0, 0.5)), (0.25, (-2.0, 3.0, 1.0))])
def test_the_perceptron_never_separates_xor(lr, start):
    run = neuron.perceptron("XOR", lr=lr, start=start, max_epochs=1000)
    assert not run.converged
    assert run.cycle_from is not None and run.epochs < 1000  # it found the loop, not the limit
    # Every epoch, including the repeating ones, gets at least one of the four points wrong.
    for epoch in range(1, run.epochs + 1):
        assert any(s.error for s in run.steps if s.epoch == epoch)
    assert "Never converges" in run.verdict


def test_the_hand_set_network_solves_xor_and_merges_two_points():
    net = neuron.hand_xor_network()
    assert net.accuracy() == 1.0
    hidden = neuron.hidden_points(net)
    assert hidden.tolist() == [[0, 0], [1, 0], [1, 0], [1, 1]]  # (OR, AND) of each point


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_trained_hidden_layer_solves_xor(seed):
    net = neuron.xor_network(seed)
    assert net.accuracy() == 1.0
    assert net.losses[-1] < 0.05 < net.losses[0]
    hidden = neuron.hidden_points(net)
    # In the hidden space one line (the output neuron's) puts the classes on opposite sides.
    side = hidden @ net.output_weights + net.output_bias
    assert ((side > 0) == neuron.GATES["XOR"].astype(bool)).all()


def test_without_a_hidden_layer_no_line_fits_xor():
    """The baseline for the test above: the best single line gets at most 3 of 4 XOR points right."""
    best = 0
    for angle in np.linspace(0, 2 * np.pi, 360, endpoint=False):
        for b in np.linspace(-2, 2, 81):
            w = np.array([np.cos(angle), np.sin(angle)])
            best = max(best, int(((neuron.GATE_INPUTS @ w + b >= 0) == neuron.GATES["XOR"]).sum()))
    assert best == 3


def test_figures_show_the_shading_points_and_lines():
    z = np.linspace(-6, 6, 61)
    act = neuron.ACTIVATIONS["sigmoid"]
    fig = activation_figure(z, act.fn(z), act.derivative(z), neuron.saturated_intervals("sigmoid"), label="sigmoid")
    assert len(fig.layout.shapes) == 4  # two saturated intervals, shaded on both panels
    run = neuron.perceptron("AND")
    step = run.steps[-1]
    fig = perceptron_figure(neuron.GATE_INPUTS, neuron.GATES["AND"].astype(int), step.weights,
                            neuron.decision_line(*step.weights, bounds=(-0.5, 1.5)), current=step.point)
    names = [t.name for t in fig.data]
    assert "w₁x₁ + w₂x₂ + b = 0" in names and "point just shown" in names
    assert sum(len(t.x) for t in fig.data if t.name in ("class 0", "class 1")) == 4
    net = neuron.hand_xor_network()
    xs, out = neuron.output_grid(net)
    line = neuron.decision_line(*net.output_weights, net.output_bias, bounds=(-0.3, 1.3))
    fig = xor_hidden_figure(xs, out, neuron.GATE_INPUTS, neuron.hidden_points(net), [0, 1, 1, 0], line,
                            hidden_extent=(-0.3, 1.3))
    assert fig.data[0].z.shape == (81, 81)
    assert "output neuron's line" in [t.name for t in fig.data]
