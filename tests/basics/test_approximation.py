"""Tests for playground.basics.approximation: one hidden layer fits 1-D targets better as it grows."""

from __future__ import annotations

import numpy as np
import pytest

from playground.basics import approximation
from playground.basics.approximation import SIZES, TargetError, fit, fit_sizes, target_values
from playground.figures.basics.lessons import approximation_error_figure, approximation_figure


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_doubling_of_the_hidden_layer_lowers_the_error_on_the_sine(seed):
    fits = fit_sizes("sine", seed=seed)
    errors = [fits[n].rmse for n in SIZES]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), errors
    assert errors[0] > 0.3  # two units cannot follow three waves...
    assert errors[-1] < 0.01  # ...thirty-two follow them closely


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_untrained_networks_do_not_improve_with_size(seed):
    """The baseline for the test above: without training, more random units do not mean a better fit."""
    fits = fit_sizes("sine", seed=seed, steps=0)
    errors = [fits[n].rmse for n in SIZES]
    assert not all(later < earlier for earlier, later in zip(errors, errors[1:]))
    assert min(errors) > 0.5


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_other_activations_also_improve_with_size(activation):
    errors = [f.rmse for f in fit_sizes("sine", activation=activation).values()]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), errors


def test_contributions_add_up_to_the_prediction():
    f = fit("bump", 8, seed=3)
    x = np.linspace(-3, 3, 50)
    parts = f.contributions(x)
    assert parts.shape == (8, 50)
    assert np.allclose(parts.sum(0) + f.c, f.predict(x))
    sigmoid = 1 / (1 + np.exp(-(f.w[2] * x + f.b[2])))
    assert np.allclose(parts[2], f.v[2] * sigmoid)  # unit 3: v₃·σ(w₃x + b₃)
    assert f.rmse == pytest.approx(np.sqrt(np.mean((f.predict(f.x) - f.y) ** 2)))


def test_two_relu_units_make_the_absolute_value_exactly():
    best = min(fit("abs", 2, activation="relu", seed=seed).rmse for seed in range(3))
    assert best < 1e-6  # |x| = relu(x) + relu(−x)


def test_a_wider_network_grown_from_a_smaller_one_is_never_worse():
    small = fit("abs", 4, seed=0)
    grown = fit("abs", 8, seed=0, start=small)
    assert grown.rmse < small.rmse  # it starts from the small network's error and trains from there


def test_targets_and_typed_formulas():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    assert np.allclose(target_values("sine", x), np.sin(np.pi * x))
    assert target_values("step", x).tolist() == [0, 0, 1, 1]
    assert target_values("abs", x).tolist() == [2, 0.5, 0.5, 2]
    assert np.allclose(target_values("bump", x), np.exp(-4 * x ** 2))
    assert np.allclose(target_values("x^3 - 4*x", x), x ** 3 - 4 * x)
    assert target_values("2", x).tolist() == [2, 2, 2, 2]  # a constant is broadcast
    f = fit("x^3 - 4*x", 16)
    assert f.rmse < 0.01 * np.ptp(f.y)


@pytest.mark.parametrize("formula, words", [
    ("y + 1", "unknown name 'y'"), ("x +", "could not read"), ("log(x)", "not a finite number"),
    ("exp(10 * x)", "too large"), ("open('f')", "unknown function")])
def test_bad_formulas_say_why(formula, words):
    with pytest.raises(TargetError, match=words):
        target_values(formula, np.linspace(*approximation.DOMAIN, 20))


def test_figures_draw_units_target_and_errors():
    f = fit("sine", 4)
    x = np.linspace(-3, 3, 100)
    fig = approximation_figure(x, target_values("sine", x), f.contributions(x), f.predict(x), n=4)
    assert len(fig.data) == 4 + 2  # one line per unit, the target and the sum
    assert [t.name for t in fig.data[-2:]] == ["target", "network: sum of 4 units + c"]
    assert len(approximation_figure(x, x, f.contributions(x), x, n=4, show_units=False).data) == 2
    fig = approximation_error_figure(SIZES, [0.5, 0.2, 0.1, 0.0, 0.01], selected=8)
    assert fig.layout.yaxis.type == "log" and min(fig.data[0].y) == 1e-12  # zero drawn at the floor
    assert fig.data[1].x == (8,)
