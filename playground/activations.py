"""The element-wise activation functions a student picks by name: one registry that the 2-D
Playground's engine, the trainers and the pages read.

Each entry names the spec layer type that applies it in a built network (`playground.layers`).
Other activation layers a spec may use (GELU, softmax, PReLU) are in `layers.ACTIVATIONS`.
"""

from __future__ import annotations

import dataclasses

from playground.registry import Registry


@dataclasses.dataclass(frozen=True)
class ActivationInfo:
    """One activation function: its label and the layer type that applies it."""

    name: str
    label: str
    layer: str  # the spec's layer type, e.g. {"type": "identity"} for "linear"


ACTIVATIONS: Registry[ActivationInfo] = Registry(
    "activation", entry=lambda name, _, *, label, layer: ActivationInfo(name, label, layer))


def register_activation(name: str, *, label: str, layer: str | None = None) -> None:
    """Register activation `name`, applied in networks by layer type `layer` (default: `name`)."""
    ACTIVATIONS.register(name, label=label, layer=layer or name)(None)


register_activation("tanh", label="tanh")
register_activation("relu", label="ReLU")
register_activation("sigmoid", label="sigmoid")
register_activation("linear", label="linear", layer="identity")
register_activation("leaky_relu", label="leaky ReLU")


def activation_layer(name: str) -> str:
    """The spec layer type that applies activation `name`; KeyError listing the known names if unknown."""
    return ACTIVATIONS[name].layer
