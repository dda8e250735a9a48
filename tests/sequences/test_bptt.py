"""Backpropagation through time by hand: against torch.autograd, against closed forms, and clipping against torch's."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from playground.sequences import bptt


def run(**settings):
    rnn = bptt.make_rnn(**settings)
    fwd = bptt.forward(rnn)
    return rnn, fwd, bptt.backward(rnn, fwd)


CASES = [dict(hidden=h, length=T, activation=a, scale=s, seed=seed)
         for (h, T, s, seed), a in itertools.product(
             [(2, 3, 0.3, 0), (3, 8, 1.0, 1), (4, 30, 2.5, 2), (2, 17, 1.7, 3), (3, 30, 0.9, 4), (4, 5, 4.0, 5)],
             bptt.ACTIVATION_NAMES)]


@pytest.mark.parametrize("settings", CASES, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_every_gradient_equals_torch_autograd(settings):
    rnn, fwd, bwd = run(**settings)
    ref = bptt.torch_reference(rnn)
    assert fwd.loss == pytest.approx(ref.loss, rel=1e-12)
    assert bptt.difference(bwd.dh, ref.dh) < 1e-9
    assert bptt.difference(bwd.grads, ref.grads) < 1e-9
    for name in bptt.PARAMETERS:
        assert bwd.grads[name].shape == rnn.parameters()[name].shape
        scale = max(1.0, np.abs(ref.grads[name]).max())
        np.testing.assert_allclose(bwd.grads[name], ref.grads[name], rtol=1e-9, atol=1e-12 * scale)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "leaky_relu"])
def test_each_step_jacobian_equals_torch_jacobian_of_one_step(activation):
    rnn, fwd, bwd = run(hidden=3, length=6, activation=activation, scale=1.3, seed=7)
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "leaky_relu": torch.nn.functional.leaky_relu}[activation]
    w_x, w_h, b = (torch.tensor(v) for v in (rnn.w_x, rnn.w_h, rnn.b))
    for t in range(1, rnn.length + 1):
        x = torch.tensor(rnn.xs[t - 1])
        step = lambda h, x=x: act(w_x @ x + w_h @ h + b)  # noqa: E731
        expected = torch.autograd.functional.jacobian(step, torch.tensor(fwd.h[t - 1])).numpy()
        np.testing.assert_allclose(bwd.jacobians[t - 1], expected, rtol=1e-12, atol=1e-14)


def test_a_linear_rnn_sends_back_powers_of_the_recurrent_matrix():
    # With act(a) = a every J_t is W_h, so ∂L/∂h_t = (W_hᵀ)^(T−t) W_yᵀ (y_T − 1).
    rnn, fwd, bwd = run(hidden=3, length=6, activation="linear", scale=1.2, seed=3)
    last = rnn.w_y[0] * (fwd.y[-1] - 1.0)
    for t in range(1, 7):
        np.testing.assert_allclose(bwd.dh[t - 1], np.linalg.matrix_power(rnn.w_h.T, 6 - t) @ last, rtol=1e-12)


def test_the_first_steps_by_hand():
    rnn, fwd, bwd = run(hidden=2, length=3, activation="tanh", scale=0.8, seed=11)
    h1 = np.tanh(rnn.w_x[:, 0] * rnn.xs[0, 0] + rnn.b)  # h_0 = 0
    h2 = np.tanh(rnn.w_x[:, 0] * rnn.xs[1, 0] + rnn.w_h @ h1 + rnn.b)
    np.testing.assert_allclose(fwd.h[1], h1, rtol=1e-14)
    np.testing.assert_allclose(fwd.h[2], h2, rtol=1e-14)
    np.testing.assert_allclose(bwd.jacobians[1], np.diag(1 - h2**2) @ rnn.w_h, rtol=1e-14)
    # ∂L/∂b adds the contributions of every step; W_h's gradient has none from step 1 (h_0 = 0).
    da = bwd.slopes * bwd.dh
    np.testing.assert_allclose(bwd.grads["b"], da.sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(bwd.grads["W_h"], np.outer(da[1], h1) + np.outer(da[2], h2), rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_tanh_with_a_small_recurrent_weight_vanishes(seed):
    # ‖J_t‖ ≤ max tanh′ · ‖W_h‖ ≤ 1 · 0.5, so 19 steps back shrink the gradient by at least 0.5¹⁹ ≈ 1.9e-6.
    _, _, bwd = run(hidden=3, length=20, activation="tanh", scale=0.5, seed=seed)
    ratio = bwd.norms[0] / bwd.norms[-1]
    assert ratio <= 0.5**19 * (1 + 1e-9)
    assert ratio < 1e-3
    assert np.all(bwd.jacobian_norms <= 0.5 + 1e-12)
    assert "vanished" in bptt.verdict(bwd) or "shrinks" in bptt.verdict(bwd)


@pytest.mark.parametrize("seed", range(3))
def test_sigmoid_vanishes_even_at_scale_one(seed):
    # sigmoid′ ≤ ¼: every step back shrinks the gradient at least fourfold.
    _, _, bwd = run(hidden=4, length=12, activation="sigmoid", scale=1.0, seed=seed)
    assert bwd.norms[0] / bwd.norms[-1] <= 0.25**11 * (1 + 1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_a_linear_rnn_with_scale_above_one_explodes_exactly(seed):
    # W_h = 1.5 Q with Q orthogonal: every step back multiplies the length by exactly 1.5.
    _, _, bwd = run(hidden=4, length=20, activation="linear", scale=1.5, seed=seed)
    np.testing.assert_allclose(bwd.norms[:-1] / bwd.norms[1:], 1.5, rtol=1e-10)
    assert bwd.norms[0] / bwd.norms[-1] == pytest.approx(1.5**19, rel=1e-9)  # ≈ 2217 > 1e3
    assert "grows" in bptt.verdict(bwd)
    _, _, bwd = run(hidden=4, length=30, activation="linear", scale=2.0, seed=seed)
    assert "exploded" in bptt.verdict(bwd)


def test_the_recurrent_matrix_has_every_singular_value_at_the_scale_and_nothing_else_changes():
    a, b = bptt.make_rnn(hidden=4, scale=0.7, seed=5), bptt.make_rnn(hidden=4, scale=2.0, seed=5)
    np.testing.assert_allclose(np.linalg.svd(a.w_h, compute_uv=False), 0.7, rtol=1e-12)
    np.testing.assert_allclose(a.w_h / 0.7, b.w_h / 2.0, rtol=1e-12)
    for name in ("w_x", "b", "w_y", "xs"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    longer = bptt.make_rnn(hidden=4, length=20, scale=0.7, seed=5)
    np.testing.assert_array_equal(longer.xs[:8], a.xs)
    assert not np.array_equal(bptt.make_rnn(seed=6).xs, bptt.make_rnn(seed=5).xs)


@pytest.mark.parametrize("settings", [dict(hidden=1), dict(hidden=5), dict(length=2), dict(length=31),
                                      dict(activation="gelu"), dict(scale=float("nan")), dict(scale=-1.0)])
def test_settings_out_of_range_are_refused_with_a_message(settings):
    with pytest.raises(ValueError):
        bptt.make_rnn(**settings)


@pytest.mark.parametrize("max_norm", [0.01, 0.5, 1.0, 3.0, 1e6])
def test_clipping_equals_torch_clip_grad_norm(max_norm):
    rnn, _, bwd = run(hidden=3, length=10, activation="relu", scale=1.8, seed=2)
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in bwd.grads.values()]
    for p, g in zip(params, bwd.grads.values()):
        p.grad = torch.tensor(g)
    total = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
    clipped, before = bptt.clip_by_global_norm(bwd.grads, max_norm)
    assert before == pytest.approx(total, rel=1e-12)
    for p, name in zip(params, bptt.PARAMETERS):
        np.testing.assert_allclose(clipped[name], p.grad.numpy(), rtol=1e-12)
    after = bptt.global_norm(clipped)
    assert after == pytest.approx(min(before, max_norm), rel=1e-5)
    ref = bptt.torch_reference(rnn, max_norm=max_norm)  # the page's reference clips the same way
    assert bptt.difference(clipped, ref.clipped) < 1e-12


def test_clipping_leaves_the_direction_and_the_hidden_state_gradients_alone():
    rnn, _, bwd = run(hidden=3, length=20, activation="linear", scale=1.5, seed=0)
    clipped, before = bptt.clip_by_global_norm(bwd.grads, 1.0)
    assert before > 100
    flat = np.concatenate([g.ravel() for g in bwd.grads.values()])
    flat_clipped = np.concatenate([g.ravel() for g in clipped.values()])
    np.testing.assert_allclose(flat_clipped, flat / (before + 1e-6), rtol=1e-12)


def test_positions_walk_forward_then_back():
    assert [bptt.where(p, 3) for p in range(1, 7)] == [
        ("forward", 1), ("forward", 2), ("forward", 3), ("backward", 3), ("backward", 2), ("backward", 1)]
    with pytest.raises(ValueError):
        bptt.where(7, 3)


def test_step_rows_and_the_explanations_hold_the_same_numbers():
    rnn, fwd, bwd = run(hidden=2, length=4, activation="tanh", scale=1.0, seed=0)
    ref = bptt.torch_reference(rnn)
    forward_rows = bptt.step_rows(rnn, fwd, bwd, ref, 2)
    assert [r["h_t = act(a_t)"] for r in forward_rows] == list(fwd.h[2])
    assert forward_rows[0]["a_t (the sum)"] == pytest.approx(
        forward_rows[0]["W_x·x_t"] + forward_rows[0]["W_h·h_{t−1}"] + forward_rows[0]["b"])
    backward_rows = bptt.step_rows(rnn, fwd, bwd, ref, 6)  # t = 3
    assert [r["∂L/∂h_t (this page)"] for r in backward_rows] == list(bwd.dh[2])
    for row in backward_rows:
        assert row["∂L/∂h_t (torch.autograd)"] == pytest.approx(row["∂L/∂h_t (this page)"], rel=1e-12)
    assert "Backward, step 3" in bptt.explain_step(rnn, fwd, bwd, 6)
    assert bptt.number(bwd.norms[2]) in bptt.explain_step(rnn, fwd, bwd, 6)
    assert "the loss is L" in bptt.explain_step(rnn, fwd, bwd, 4)
    rows = bptt.gradient_rows(bwd, ref, bptt.clip_by_global_norm(bwd.grads, 0.1)[0])
    assert len(rows) == sum(g.size for g in bwd.grads.values())
    assert bptt.number(-0.000123456) == "−0.0001235"
