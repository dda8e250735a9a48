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


@register_preset("mlp", "A multi-layer perceptron: fully connected layers with ReLU between them.")
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
