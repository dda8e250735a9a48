"""Tests for playground.registry and the registries built on it (optimizers, activations, trainers)."""

from __future__ import annotations

import pytest
import torch

from playground import activations, optimizers
from playground.basics import tinynet
from playground.registry import Registry


def test_register_keeps_order_refuses_duplicates_and_returns_the_object():
    reg = Registry("widget")

    @reg.register("b", size=2)
    def b():
        return "b"

    reg.register("a")(len)
    assert list(reg) == ["b", "a"] and reg["b"] is b and b() == "b"
    assert reg.info["b"] == {"size": 2} and len(reg) == 2 and "a" in reg and ["x"] not in reg
    with pytest.raises(ValueError, match="widget 'b' is already registered"):
        reg.register("b")(str)
    with pytest.raises(KeyError, match="unknown widget 'c'; known: b, a"):
        reg["c"]
    assert reg.get("c") is None


def test_entry_builder_copy_and_remove():
    reg = Registry("pair", entry=lambda name, obj, *, label: (name, label, obj))
    reg.register("one", label="One")(1)
    assert reg["one"] == ("one", "One", 1)
    other = reg.copy()
    other.add("two", ("two", "Two", 2))
    assert list(reg) == ["one"] and list(other) == ["one", "two"]
    assert other.remove("two") == ("two", "Two", 2) and list(other) == ["one"]


def test_every_registered_optimizer_builds_and_matches_torch():
    """Each name makes its torch.optim class with the keywords that define it, and one step moves
    a parameter exactly as the same class built by hand does."""
    expected = {"sgd": (torch.optim.SGD, {}), "momentum": (torch.optim.SGD, {"momentum": 0.5}),
                "nesterov": (torch.optim.SGD, {"momentum": 0.5, "nesterov": True}),
                "adagrad": (torch.optim.Adagrad, {}), "rmsprop": (torch.optim.RMSprop, {}),
                "adam": (torch.optim.Adam, {}), "adamw": (torch.optim.AdamW, {})}
    assert list(optimizers.OPTIMIZERS) == list(expected)
    for name, (cls, keywords) in expected.items():
        ours, theirs = torch.tensor([1.0, -2.0], requires_grad=True), torch.tensor([1.0, -2.0], requires_grad=True)
        mine = optimizers.make_optimizer(name, [ours], lr=0.1, weight_decay=0.01, momentum=0.5)
        reference = cls([theirs], lr=0.1, weight_decay=0.01, **keywords)
        assert type(mine) is cls
        for _ in range(2):
            for p, opt in ((ours, mine), (theirs, reference)):
                opt.zero_grad()
                (p**2).sum().backward()
                opt.step()
        assert torch.equal(ours, theirs), name


def test_exported_optimizer_code_builds_the_same_optimizer():
    p = torch.zeros(1, requires_grad=True)
    code = optimizers.optimizer_code("nesterov", weight_decay=0.01, momentum=0.8, params="[p]", lr="0.1")
    assert code == "torch.optim.SGD([p], lr=0.1, nesterov=True, momentum=0.8, weight_decay=0.01)"
    built = eval(code, {"torch": torch, "p": p})
    assert built.defaults["nesterov"] is True and built.defaults["momentum"] == 0.8


def test_activations_registry_is_what_the_engines_read():
    assert tinynet.ACTIVATIONS == tuple(activations.ACTIVATIONS) == ("tanh", "relu", "sigmoid", "linear",
                                                                      "leaky_relu")
    assert activations.activation_layer("linear") == "identity"
    from playground.layers import LAYERS
    assert all(activations.activation_layer(name) in LAYERS for name in activations.ACTIVATIONS)
    assert set(tinynet.OPTIMIZERS) <= set(optimizers.OPTIMIZERS)  # the NumPy engine implements four of them
