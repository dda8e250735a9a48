"""Ready-made network specs, sized to a dataset's input shape and number of outputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playground.registry import Registry

PRESETS: Registry[Callable[[list[int], int], dict]] = Registry("preset")
DESCRIPTIONS: dict[str, str] = {}


def register_preset(name: str, description: str):
    """Register `fn(input_shape, outputs) -> spec` under `name`; duplicates are refused."""

    def decorator(fn):
        PRESETS.add(name, fn, description=description)
        DESCRIPTIONS[name] = description
        return fn

    return decorator


def preset(name: str, dataset: Any = None, *, input_shape: list[int] | None = None,
           outputs: int | None = None) -> dict:
    """The spec of preset `name` for `dataset` (a `Dataset` or a dataset name), or for explicit sizes.

    Raises ValueError for an unknown preset, or one that needs images when the data is flat.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known presets are {', '.join(PRESETS)}")
    if isinstance(dataset, str):
        from playground.data import load  # only when asked by name: keeps this module light

        dataset = load(dataset)
    if dataset is not None:
        input_shape = list(dataset.input_shape)
        outputs = dataset.num_outputs
    if input_shape is None or outputs is None:
        raise ValueError("preset needs a dataset, or both input_shape and outputs")
    return {"input_shape": list(input_shape), "layers": PRESETS[name](list(input_shape), outputs)}


def _need_image(name: str, shape: list[int]) -> None:
    if len(shape) != 3:
        raise ValueError(f"the {name} preset is a convolutional network and needs image data; "
                         f"this data has input shape {shape}. Use the mlp preset.")


@register_preset("mlp", "A multi-layer perceptron: fully connected layers with ReLU between them (a sequence "
                       "is flattened into one long vector first).")
def _mlp(shape: list[int], outputs: int) -> list[dict]:
    if len(shape) == 1 and shape[0] <= 16:
        # Small 2-D problems: the width TensorFlow Playground uses, tanh as its default.
        hidden, act = [8, 8], "tanh"
    else:
        hidden, act = [128, 64], "relu"
    layers = []
    for width in hidden:
        layers += [{"type": "linear", "out_features": width}, {"type": act}]
    return layers + [{"type": "linear", "out_features": outputs}]


@register_preset("lenet5", "LeNet-5: two convolution + pooling stages, then three fully connected layers.")
def _lenet5(shape: list[int], outputs: int) -> list[dict]:
    _need_image("lenet5", shape)
    # LeCun's 5×5 kernels on 28×28 or larger; on tiny 8×8 digits, 3×3 kernels padded to keep the size.
    kernel, pad = (5, 2) if min(shape[1:]) >= 20 else (3, 1)
    return [
        {"type": "conv2d", "out_channels": 6, "kernel_size": kernel, "padding": pad}, {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "conv2d", "out_channels": 16, "kernel_size": kernel, "padding": 0 if kernel == 5 else 1},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "linear", "out_features": 120}, {"type": "relu"},
        {"type": "linear", "out_features": 84}, {"type": "relu"},
        {"type": "linear", "out_features": outputs},
    ]


@register_preset("tiny_vgg", "A small VGG: pairs of 3×3 convolutions, each pair followed by pooling.")
def _tiny_vgg(shape: list[int], outputs: int) -> list[dict]:
    _need_image("tiny_vgg", shape)
    layers = []
    for width in (8, 16):
        for _ in range(2):
            layers += [{"type": "conv2d", "out_channels": width, "kernel_size": 3, "padding": 1}, {"type": "relu"}]
        layers.append({"type": "maxpool2d", "kernel_size": 2})
    return layers + [{"type": "linear", "out_features": outputs}]


def _basic_block(width: int, stride: int) -> dict:
    return {"type": "residual", "layers": [
        {"type": "conv2d", "out_channels": width, "kernel_size": 3, "stride": stride, "padding": 1, "bias": False},
        {"type": "batchnorm"}, {"type": "relu"},
        {"type": "conv2d", "out_channels": width, "kernel_size": 3, "padding": 1, "bias": False},
        {"type": "batchnorm"},
    ]}


@register_preset("tiny_resnet", "A small ResNet: residual blocks with skip connections and batch norm.")
def _tiny_resnet(shape: list[int], outputs: int) -> list[dict]:
    _need_image("tiny_resnet", shape)
    side = min(shape[1:]) // 2  # the second block halves the image
    return [
        {"type": "conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1, "bias": False},
        {"type": "batchnorm"}, {"type": "relu"},
        _basic_block(16, 1), {"type": "relu"},
        _basic_block(32, 2), {"type": "relu"},
        {"type": "avgpool2d", "kernel_size": max(side, 1)},  # global average pooling
        {"type": "linear", "out_features": outputs},
    ]


# ----------------------------------------------------------------------------------------------
# Sequences: small recurrent networks that train within seconds on a CPU.


def _need_sequence(name: str, shape: list[int], rank: int) -> None:
    if len(shape) != rank:
        what = "token ids [T]" if rank == 1 else "sequences [T, F] (time steps × features)"
        raise ValueError(f"the {name} preset is a recurrent network and needs {what}; this data has input "
                         f"shape {shape}. Use the mlp preset.")


@register_preset("lstm_forecaster", "An LSTM reads the window step by step; a linear layer turns its final state "
                                    "into the forecast.")
def _lstm_forecaster(shape: list[int], outputs: int) -> list[dict]:
    _need_sequence("lstm_forecaster", shape, 2)
    return [{"type": "lstm", "hidden_size": 32}, {"type": "linear", "out_features": outputs}]


@register_preset("lstm_adder", "An LSTM whose cell can hold the marked numbers until the end of the sequence, "
                               "then a linear read-out.")
def _lstm_adder(shape: list[int], outputs: int) -> list[dict]:
    _need_sequence("lstm_adder", shape, 2)
    return [{"type": "lstm", "hidden_size": 32}, {"type": "linear", "out_features": outputs}]


@register_preset("gru_recall", "A GRU that must keep the first symbol in its state past every later one.")
def _gru_recall(shape: list[int], outputs: int) -> list[dict]:
    _need_sequence("gru_recall", shape, 2)
    return [{"type": "gru", "hidden_size": 32}, {"type": "linear", "out_features": outputs}]


@register_preset("char_lstm", "A character model: each character id becomes a learned vector (embedding), an "
                              "LSTM reads them, a linear layer scores every possible next character.")
def _char_lstm(shape: list[int], outputs: int) -> list[dict]:
    _need_sequence("char_lstm", shape, 1)
    # One embedding row per class: the classes of a character set are its vocabulary.
    return [{"type": "embedding", "num_embeddings": outputs, "embedding_dim": 16},
            {"type": "lstm", "hidden_size": 64}, {"type": "linear", "out_features": outputs}]


# The preset a dataset starts from when it is picked; others start by the rank of their input shape.
DATASET_PRESETS = {"sine": "lstm_forecaster", "adding": "lstm_adder", "recall": "gru_recall",
                   "characters": "char_lstm"}
_BY_RANK = {1: "mlp", 2: "lstm_forecaster", 3: "lenet5"}


def fits(name: str, input_shape: list[int]) -> bool:
    """True when preset `name` can be built for inputs of `input_shape`."""
    try:
        preset(name, input_shape=list(input_shape), outputs=2)
    except ValueError:
        return False
    return True


def fitting_preset(input_shape: list[int], *, dataset: str | None = None, current: str | None = None) -> str:
    """`current` if it fits `input_shape`, else the preset of `dataset` or one for the shape's rank."""
    if current in PRESETS and fits(current, input_shape):
        return current
    return DATASET_PRESETS.get(dataset) or _BY_RANK.get(len(input_shape), "mlp")
