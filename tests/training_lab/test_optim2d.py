"""Tests for playground.training_lab.optim2d: hand-written Adam against torch.optim.Adam, races, surfaces, slices."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from playground.training_lab import optim2d
from playground.training_lab.optim2d import (
    MAX_COORDINATE,
    OPTIMIZERS,
    SURFACES,
    adam_steps,
    network_slice,
    race,
    surface,
    surface_grid,
)


def _torch_adam_points(surf, *, lr, steps, start, betas=(0.9, 0.999), eps=1e-8) -> np.ndarray:
    """Positions after each of `steps` steps of torch.optim.Adam, (steps, 2)."""
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([theta], lr=lr, betas=betas, eps=eps)
    points = []
    for _ in range(steps):
        optimizer.zero_grad()
        surf.fn(theta[0], theta[1]).backward()
        optimizer.step()
        points.append(theta.detach().numpy().copy())
    return np.array(points)


# ---------------------------------------------------------------------------------------------
# Adam by hand
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rosenbrock", "quadratic"])
@pytest.mark.parametrize("lr", [0.01, 0.1])
def test_adam_steps_match_torch_adam_at_every_step(name, lr):
    surf = SURFACES[name]
    states = adam_steps(surf, lr=lr, steps=50)
    expected = _torch_adam_points(surf, lr=lr, steps=50, start=surf.start)
    assert [state.t for state in states] == list(range(1, 51))
    np.testing.assert_allclose(np.array([state.theta for state in states]), expected, rtol=0, atol=1e-6)
    # The trajectory actually moves, so the comparison is not trivially between two still points.
    assert np.linalg.norm(expected[-1] - np.array(surf.start)) > 2 * lr


def test_adam_first_step_by_hand():
    surf = surface("quadratic", condition=10)
    (first,) = adam_steps(surf, lr=0.1, betas=(0.9, 0.999), steps=1, start=(-2.0, 1.0))
    grad = np.array([-2.0, 10.0])  # ∇ 0.5·(x² + 10·y²) = (x, 10·y)
    np.testing.assert_allclose(first.grad, grad)
    np.testing.assert_allclose(first.m, 0.1 * grad)
    np.testing.assert_allclose(first.v, 0.001 * grad**2)
    # After bias correction the first step is lr·sign(g), whatever the gradient's size.
    np.testing.assert_allclose(first.m_hat, grad)
    np.testing.assert_allclose(first.v_hat, grad**2)
    np.testing.assert_allclose(first.step, [-0.1, 0.1], atol=1e-8)
    np.testing.assert_allclose(first.theta, [-1.9, 0.9], atol=1e-8)


def test_race_adam_agrees_with_adam_steps():
    surf = SURFACES["saddle"]
    trajectory = race(surf, {"adam": {"lr": 0.05}}, steps=30)["adam"]
    by_hand = np.array([state.theta for state in adam_steps(surf, lr=0.05, steps=30)])
    np.testing.assert_allclose(trajectory.points[1:], by_hand, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# Races
# ---------------------------------------------------------------------------------------------


def test_momentum_beats_sgd_on_an_ill_conditioned_bowl():
    surf = surface("quadratic", condition=50)
    result = race(surf, {"sgd": {"lr": 0.02}, "momentum": {"lr": 0.02}}, steps=100)
    # Measured: SGD 0.0352 (still crawling along the flat x direction), momentum 8.1e-5.
    assert result["sgd"].losses[-1] > 0.03
    assert result["momentum"].losses[-1] < 1e-3
    assert result["momentum"].losses[-1] < result["sgd"].losses[-1] / 100


def test_adam_gets_near_the_quadratic_minimum():
    surf = surface("quadratic", condition=50)
    trajectory = race(surf, {"adam": {"lr": 0.1}}, steps=100)["adam"]
    assert trajectory.losses[0] == pytest.approx(0.5 * (4 + 50 * 1))  # start (-2, 1)
    assert trajectory.losses[-1] < 1e-3  # measured 2.5e-4
    assert np.linalg.norm(trajectory.points[-1]) < 0.05


def test_all_optimizers_share_start_and_shapes():
    surf = SURFACES["rosenbrock"]
    result = race(surf, {name: {"lr": 1e-4} for name in OPTIMIZERS}, steps=20, start=(0.5, -0.5))
    assert set(result) == set(OPTIMIZERS)
    start_loss = 0.25 + 100 * 0.75**2
    for name, trajectory in result.items():
        assert trajectory.name == name
        assert trajectory.points.shape == (21, 2) and trajectory.losses.shape == (21,)
        np.testing.assert_array_equal(trajectory.points[0], [0.5, -0.5])
        assert trajectory.losses[0] == pytest.approx(start_loss)
        assert trajectory.diverged_at is None
        assert trajectory.losses[-1] < start_loss


def test_sgd_with_too_large_a_step_diverges_and_is_padded():
    surf = SURFACES["quadratic"]  # κ = 10: along y, each SGD step multiplies y by 1 − lr·10 = −4
    trajectory = race(surf, {"sgd": {"lr": 0.5}}, steps=100)["sgd"]
    stop = trajectory.diverged_at
    assert stop == 10  # |y| = 4^10 ≈ 1.05e6 > MAX_COORDINATE first at step 10
    assert trajectory.points.shape == (101, 2) and trajectory.losses.shape == (101,)
    assert np.all(np.isfinite(trajectory.points)) and np.all(np.isfinite(trajectory.losses))
    np.testing.assert_allclose(trajectory.points[:stop, 1], (-4.0) ** np.arange(stop))
    # From the diverging step on, the last good point and its loss repeat.
    assert np.all(trajectory.points[stop:] == trajectory.points[stop - 1])
    assert np.all(trajectory.losses[stop:] == trajectory.losses[stop - 1])
    assert np.abs(trajectory.points).max() <= MAX_COORDINATE


def test_race_refuses_unknown_optimizers():
    with pytest.raises(ValueError, match="lbfgs"):
        race(SURFACES["saddle"], {"lbfgs": {"lr": 0.1}})


# ---------------------------------------------------------------------------------------------
# Surfaces
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_surfaces_agree_on_numpy_and_torch(name):
    surf = SURFACES[name]
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-2, 2, (2, 7, 5))
    from_numpy = surf.fn(x, y)
    from_torch = surf.fn(torch.from_numpy(x), torch.from_numpy(y))
    assert isinstance(from_numpy, np.ndarray) and isinstance(from_torch, torch.Tensor)
    np.testing.assert_allclose(from_numpy, from_torch.numpy(), rtol=1e-12)
    assert surf.description.endswith(".") and surf.label


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_surface_grid_layout(name):
    surf = SURFACES[name]
    xs, ys, z = surface_grid(surf, resolution=30)
    assert xs.shape == (30,) and ys.shape == (30,) and z.shape == (30, 30)
    (xmin, xmax), (ymin, ymax) = surf.extent
    assert (xs[0], xs[-1], ys[0], ys[-1]) == (xmin, xmax, ymin, ymax)
    assert z[4, 7] == pytest.approx(float(surf.fn(xs[7], ys[4])))  # rows follow y
    _, _, logged = surface_grid(surf, resolution=30, log=True)
    assert logged.min() == 0.0
    np.testing.assert_allclose(logged, np.log10(1 + z - z.min()))


def test_rosenbrock_minimum():
    surf = SURFACES["rosenbrock"]
    assert surf.minimum == (1.0, 1.0)
    assert surf.fn(np.float64(1.0), np.float64(1.0)) == 0.0
    _, _, z = surface_grid(surf, resolution=41)
    assert z.min() >= 0.0


def test_saddle_gradient_vanishes_at_origin_and_minimum_is_right():
    surf = SURFACES["saddle"]
    for point in [(0.0, 0.0), surf.minimum]:
        theta = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        value = surf.fn(theta[0], theta[1])
        value.backward()
        np.testing.assert_allclose(theta.grad.numpy(), [0.0, 0.0], atol=1e-12)
    assert float(surf.fn(*torch.tensor(surf.minimum))) == pytest.approx(-1.0)
    # The origin is a saddle, not a minimum: the floor holds further out, but y = ±1 is lower.
    assert surf.fn(0.0, 1.0) < surf.fn(0.0, 0.0) < surf.fn(1.0, 0.0)


def test_quadratic_condition_parameter():
    surf = surface("quadratic", condition=50)
    assert surf.params == {"condition": 50.0}
    assert surf.fn(0.0, 1.0) == 25.0 and surf.fn(1.0, 0.0) == 0.5
    assert SURFACES["quadratic"].params == {"condition": 10.0}
    with pytest.raises(ValueError, match="condition"):
        surface("quadratic", condition=500)
    with pytest.raises(ValueError, match="steepness"):
        surface("quadratic", steepness=3)
    with pytest.raises(ValueError, match="unknown surface"):
        surface("himmelblau")


def test_register_surface_refuses_duplicates():
    with pytest.raises(ValueError, match="already registered"):
        optim2d.register_surface("saddle")(lambda: SURFACES["saddle"])


# ---------------------------------------------------------------------------------------------
# A slice through a trained network
# ---------------------------------------------------------------------------------------------


def _reference_network(theta: torch.Tensor) -> nn.Sequential:
    """The 2-4-2 tanh network as ordinary nn layers, weights copied from the flat vector."""
    network = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(theta, network.parameters())
    return network


def test_network_slice_centre_is_the_trained_loss():
    surf = network_slice(seed=0)
    theta, x, y = optim2d._trained_xor(0)
    logits = _reference_network(theta)(x)
    assert (logits.argmax(dim=1) == y).float().mean() > 0.95  # it really learned XOR
    centre = surf.fn(np.float64(0.0), np.float64(0.0))
    assert float(centre) == pytest.approx(F.cross_entropy(logits, y).item(), abs=1e-5)
    # Torch input keeps the graph, so an optimizer can race on the slice too.
    a = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    surf.fn(a, torch.tensor(0.0, dtype=torch.float64)).backward()
    assert a.grad is not None and math.isfinite(a.grad.item())


def test_network_slice_sits_at_a_minimum():
    surf = network_slice(seed=0)
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-1, 1, (2, 200))
    values = surf.fn(a, b)
    assert values.shape == (200,)
    centre = float(surf.fn(0.0, 0.0))
    assert np.mean(values > centre) > 0.9  # measured: all 200 are higher
    assert surf.extent == ((-1.0, 1.0), (-1.0, 1.0))
    assert network_slice(seed=0).fn(0.5, -0.5) == pytest.approx(float(surf.fn(0.5, -0.5)))  # seeded


def test_network_slice_grid_is_fast():
    import time

    surf = network_slice(seed=0)  # trained and cached by now or here
    begin = time.perf_counter()
    _, _, z = surface_grid(surf, resolution=60)
    assert time.perf_counter() - begin < 1.0
    assert z.shape == (60, 60) and np.all(np.isfinite(z))


def test_race_surfaces_and_their_labels_come_from_the_surface_built():
    from playground.training_lab.optim2d import NETWORK, race_surface, race_surface_label, race_surfaces

    assert race_surfaces() == (*SURFACES, NETWORK)
    assert race_surface_label("quadratic", condition=50) == "Ill-conditioned bowl (κ = 50)"
    bowl = race_surface("quadratic", condition=50)
    assert bowl.fn(0.0, 1.0) == 25.0 and bowl.label == race_surface_label("quadratic", condition=50)
    assert race_surface("rosenbrock", condition=50).label == SURFACES["rosenbrock"].label  # κ shapes only the bowl
