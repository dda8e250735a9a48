"""The page "An RNN, step by step" in AppTest: stepping forward and back, the controls, autograd beside it."""

from __future__ import annotations

import numpy as np
import pytest

from playground.sequences import bptt
from tests.pages.test_pages import open_page, texts

MANUAL, AUTOGRAD = "∂L/∂h_t (this page)", "∂L/∂h_t (torch.autograd)"


def step_table(at):
    return next(d.value for d in at.dataframe if "unit" in d.value.columns)


def go_to(at, position: int):
    at.slider(key="rnn.step").set_value(position).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_next_and_back_walk_the_forward_pass_then_the_gradient_back():
    at = open_page("pages/rnn_steps.py")
    assert "Forward, step 1 of 8" in at.info[0].value
    h1 = step_table(at)["h_t = act(a_t)"].to_numpy()
    np.testing.assert_allclose(h1, bptt.forward(bptt.make_rnn()).h[1])
    at.button(key="rnn.next").click().run()
    assert "Forward, step 2 of 8" in at.info[0].value
    at.button(key="rnn.back").click().run()
    assert "Forward, step 1 of 8" in at.info[0].value
    go_to(at, 8)
    assert "the loss is L" in at.info[0].value
    at.button(key="rnn.next").click().run()
    assert "Backward, step 8" in at.info[0].value
    go_to(at, 12)  # backward, t = 5: J_6 shown beside the step's numbers
    assert "Backward, step 5" in at.info[0].value
    table = step_table(at)
    rnn = bptt.make_rnn()
    bwd = bptt.backward(rnn, bptt.forward(rnn))
    np.testing.assert_allclose(table[MANUAL].to_numpy(), bwd.dh[4], rtol=1e-12)
    np.testing.assert_allclose(table[AUTOGRAD].to_numpy(), table[MANUAL].to_numpy(), rtol=1e-9, atol=1e-12)
    jacobian = next(d.value for d in at.dataframe if "h_5[1]" in d.value.columns).to_numpy()
    np.testing.assert_allclose(jacobian, bwd.jacobians[5], rtol=1e-12)
    assert at.success and "within 1e-6" in at.success[0].value


def test_activation_and_scale_show_vanishing_and_exploding():
    at = open_page("pages/rnn_steps.py")
    at.slider(key="rnn.length").set_value(20).run()
    at.slider(key="rnn.scale").set_value(0.5).run()
    assert "vanished" in texts(at) or "shrinks" in texts(at)
    go_to(at, 40)
    tanh_grads = step_table(at)[MANUAL].to_numpy()
    at.selectbox(key="rnn.activation").set_value("linear").run()
    at.slider(key="rnn.scale").set_value(1.5).run()
    assert not at.exception
    assert "grows" in texts(at) and "2217" in texts(at)  # 1.5¹⁹: every step back stretches by 1.5
    linear = step_table(at)
    assert not np.allclose(linear[MANUAL].to_numpy(), tanh_grads)
    np.testing.assert_allclose(linear[AUTOGRAD].to_numpy(), linear[MANUAL].to_numpy(), rtol=1e-9)
    assert "within 1e-6" in at.success[0].value


def test_clipping_scales_the_weight_gradients_to_the_limit_like_clip_grad_norm():
    at = open_page("pages/rnn_steps.py")
    at.selectbox(key="rnn.activation").set_value("linear").run()
    at.slider(key="rnn.scale").set_value(2.0).run()
    at.toggle(key="rnn.clip").set_value(True).run()
    assert not at.exception
    grads = next(d.value for d in at.dataframe if "weight" in d.value.columns)
    clipped = grads["clipped (this page)"].to_numpy()
    assert np.linalg.norm(clipped) == pytest.approx(1.0, rel=1e-5)  # the default limit
    np.testing.assert_allclose(clipped, grads["clipped (clip_grad_norm_)"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(clipped * np.linalg.norm(grads["∂L/∂weight (this page)"]) / np.linalg.norm(clipped),
                               grads["∂L/∂weight (this page)"].to_numpy(), rtol=1e-9)
    assert "after (scaled down)" in texts(at)
