"""Tests for playground.basics.tinynet: the same weights as PyTorch step for step, hand-worked values, and learning."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.basics import playground2d as p2
from playground.basics.tinynet import ACTIVATIONS, LEAKY_SLOPE, OPTIMIZERS, TinyNet, Trainer, TrainSettings, add_ones
from playground.models import build

# ---------------------------------------------------------------------------------------------
# The reference: the same network as a playground.models module in float64, trained by torch.optim.


def _torch_optimizer(name: str, params, lr: float):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8)
    return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)


def _torch_run(net: TinyNet, batches, *, loss: str, optimizer: str, lr: float, l1: float, l2: float) -> dict:
    """Train a torch copy of `net` on `batches` [(x (B, F), y (B,))]; its final state dict as NumPy."""
    spec = p2.network_spec(net.sizes[0], list(net.sizes[1:-1]), list(net.activations))
    model = build(spec).double()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    opt = _torch_optimizer(optimizer, model.parameters(), lr)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    for x, y in batches:
        out = model(torch.from_numpy(x))[:, 0]
        target = torch.from_numpy(y)
        if net.output == "sigmoid" and loss == "cross_entropy":
            value = F.binary_cross_entropy_with_logits(out, target)
        elif net.output == "sigmoid":
            value = F.mse_loss(torch.sigmoid(out), target)
        else:
            value = F.mse_loss(out, target)
        value = value + l1 * sum(w.abs().sum() for w in weights) + l2 * 0.5 * sum((w * w).sum() for w in weights)
        opt.zero_grad()
        value.backward()
        opt.step()
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}


def _tiny_run(net: TinyNet, batches, **settings) -> dict:
    trainer = Trainer(net, TrainSettings(**settings))
    for x, y in batches:
        trainer.step(add_ones(x), y[:, None])
    return net.state_dict()


def _batches(n_inputs: int, sizes: list[int], seed: int, *, regression: bool):
    rng = np.random.default_rng(seed)
    batches = []
    for b in sizes:
        x = rng.uniform(-3, 3, (b, n_inputs))
        y = rng.uniform(-1, 1, b) if regression else (rng.uniform(size=b) > 0.5).astype(np.float64)
        batches.append((x, y))
    return batches


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    hidden=st.lists(st.integers(1, 5), min_size=0, max_size=3),
    activation=st.sampled_from(ACTIVATIONS),
    mixed=st.booleans(),
    task_loss=st.sampled_from([("sigmoid", "cross_entropy"), ("sigmoid", "mse"), ("linear", "mse")]),
    optimizer=st.sampled_from(OPTIMIZERS),
    regularizer=st.sampled_from(["none", "l1", "l2"]),
    n_inputs=st.integers(1, 7),
    seed=st.integers(0, 10_000),
)
def test_every_combination_gives_pytorchs_weights(hidden, activation, mixed, task_loss, optimizer, regularizer,
                                                  n_inputs, seed):
    # One activation for all layers, or a different one per layer.
    activations = [ACTIVATIONS[(ACTIVATIONS.index(activation) + i) % len(ACTIVATIONS)] if mixed else activation
                   for i in range(len(hidden))]
    output, loss = task_loss
    net = TinyNet((n_inputs, *hidden, 1), tuple(activations), output=output, seed=seed)
    rate = 0.01
    run = {"loss": loss, "optimizer": optimizer, "lr": 0.05, "l1": rate if regularizer == "l1" else 0.0,
           "l2": rate if regularizer == "l2" else 0.0}
    # Batches of different sizes, as the last batch of an epoch is.
    batches = _batches(n_inputs, [10, 10, 7, 1, 10, 10], seed, regression=output == "linear")
    expected = _torch_run(net.copy(), batches, **run)
    got = _tiny_run(net, batches, **run)
    assert expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], atol=1e-5, rtol=0, err_msg=key)


def test_a_hand_worked_step_of_sgd():
    # 1 input -> 1 tanh neuron -> sigmoid output; w1 = 0.5, b1 = 0, w2 = 2, b2 = 0; x = 1, y = 1.
    net = TinyNet((1, 1, 1), ("tanh",), blocks=[np.array([[0.5], [0.0]]), np.array([[2.0], [0.0]])])
    h = math.tanh(0.5)
    p = 1 / (1 + math.exp(-2 * h))
    assert net.predict(np.array([[1.0]]))[0] == pytest.approx(p)
    Trainer(net, TrainSettings(loss="cross_entropy", optimizer="sgd", lr=1.0)).step(add_ones([[1.0]]), np.ones((1, 1)))
    d2 = p - 1  # ∂L/∂z₂ for sigmoid + cross-entropy
    d1 = d2 * 2.0 * (1 - h * h)  # back through w2 and tanh'
    assert net.blocks[1][0, 0] == pytest.approx(2.0 - d2 * h)
    assert net.blocks[1][1, 0] == pytest.approx(-d2)
    assert net.blocks[0][0, 0] == pytest.approx(0.5 - d1 * 1.0)
    assert net.blocks[0][1, 0] == pytest.approx(-d1)


def test_l1_and_l2_leave_biases_alone_and_shrink_weights():
    blocks = [np.array([[1.0], [1.0]]), np.array([[1.0], [1.0]])]
    for reg in ("l1", "l2"):
        net = TinyNet((1, 1, 1), ("linear",), output="linear", blocks=[b.copy() for b in blocks])
        # Zero input and a target equal to the output: the data gradient is 0, only the penalty acts.
        x, y = add_ones([[0.0]]), np.array([[net.predict(np.array([[0.0]]))[0]]])
        Trainer(net, TrainSettings(loss="mse", lr=0.1, **{reg: 0.5})).step(x, y)
        assert net.blocks[0][0, 0] == pytest.approx(1 - 0.1 * 0.5)  # sign(1)·0.5 and 1·0.5 alike
        assert net.blocks[1][0, 0] == pytest.approx(1 - 0.1 * 0.5)
        assert net.blocks[0][1, 0] == 1.0 and net.blocks[1][1, 0] == 1.0


def test_leaky_relu_keeps_a_small_slope_below_zero():
    blocks = [np.array([[1.0], [0.0]]), np.array([[1.0], [0.0]])]
    net = TinyNet((1, 1, 1), ("leaky_relu",), output="linear", blocks=blocks)
    assert net.predict(np.array([[-2.0], [3.0]])).tolist() == pytest.approx([-2.0 * LEAKY_SLOPE, 3.0])


def test_state_dict_loads_into_the_matching_pytorch_network():
    net = TinyNet((3, 4, 2, 1), ("relu", "sigmoid"), seed=5)
    model = build(p2.network_spec(3, [4, 2], ["relu", "sigmoid"])).double()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(6, 3))
    expected = torch.sigmoid(model(torch.from_numpy(x))[:, 0]).detach().numpy()
    np.testing.assert_allclose(net.predict(x), expected, atol=1e-12)
    again = TinyNet((3, 4, 2, 1), ("relu", "sigmoid"), seed=99)
    again.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(again.params, net.params)


def test_bad_shapes_and_names_are_refused():
    with pytest.raises(ValueError, match="one activation per hidden layer"):
        TinyNet((2, 3, 1), ())
    with pytest.raises(ValueError, match="unknown activation"):
        TinyNet((2, 3, 1), ("swish",))
    with pytest.raises(ValueError, match="cross-entropy needs a sigmoid"):
        Trainer(TinyNet((2, 1), (), output="linear"), TrainSettings(loss="cross_entropy"))


# ---------------------------------------------------------------------------------------------
# Learning


def _accuracy(net: TinyNet, x: np.ndarray, y: np.ndarray) -> float:
    return float(((net.predict(x) > 0.5) == (y > 0.5)).mean())


def _train(name: str, seed: int, epochs: int, hidden: list[int]) -> tuple[float, float]:
    """Test accuracy before and after `epochs` of SGD (lr 0.03, batch 10) on `name` with features x₁, x₂."""
    points = p2.make_points(name, n=400, seed=seed)
    x, y = points.x_train.numpy().astype(np.float64), points.y_train.numpy().astype(np.float64)
    x_test, y_test = points.x_test.numpy(), points.y_test.numpy()
    net = TinyNet((2, *hidden, 1), ("tanh",) * len(hidden), seed=seed)
    before = _accuracy(net, x_test, y_test)
    trainer = Trainer(net, TrainSettings(loss="cross_entropy", optimizer="sgd", lr=0.03))
    xs, ys = add_ones(x), y[:, None]
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(xs))
        for s in range(0, len(xs), 10):
            idx = order[s:s + 10]
            trainer.step(xs[idx], ys[idx])
    return before, _accuracy(net, x_test, y_test)


@pytest.mark.parametrize("name", ["circle", "xor"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_it_learns_circle_and_xor_and_an_untrained_net_does_not(name, seed):
    before, after = _train(name, seed, epochs=150, hidden=[6, 4])
    assert after > 0.9, after
    assert before < 0.75, before  # the same network before training: a coin toss, not a solution
