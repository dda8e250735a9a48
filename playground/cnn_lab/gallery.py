"""Famous networks written as playground specs, to tabulate and compare with torchvision's.

Each entry of `ARCHITECTURES` is registered once by `register_architecture`; pages list its keys.
The large ones (AlexNet, VGG-16, ResNet-18) are far above the training cap: they are meant for
`summary_table`, which never allocates weights, not for `models.build`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from playground import models
from playground.registry import Registry


@dataclasses.dataclass(frozen=True)
class Architecture:
    """A well-known network: its spec, where it comes from and how many parameters it should have."""

    name: str
    year: int
    description: str  # two or three sentences for a student
    spec: dict
    paper: str
    torchvision: str | None = None  # the torchvision builder it matches, e.g. "resnet18"
    expected_params: int | None = None
    # Submodules of the torchvision model that the spec reproduces, e.g. ("inception3a",);
    # empty when the spec is the whole model.
    torchvision_parts: tuple[str, ...] = ()
    note: str = ""  # how this version differs from the paper's, when it does


ARCHITECTURES: Registry[Architecture] = Registry("architecture")


def register_architecture(name: str, *, year: int, description: str, paper: str, torchvision: str | None = None,
                          expected_params: int | None = None, torchvision_parts: tuple[str, ...] = (),
                          note: str = ""):
    """Register the spec that the decorated function returns under `name`; a second `name` raises ValueError."""

    def decorator(make_spec: Callable[[], dict]) -> Callable[[], dict]:
        spec = {"name": name, **make_spec()}
        ARCHITECTURES.add(name, Architecture(
            name=name, year=year, description=description, spec=spec, paper=paper, torchvision=torchvision,
            expected_params=expected_params, torchvision_parts=torchvision_parts, note=note))
        return make_spec

    return decorator


def get_architecture(name: str) -> Architecture:
    """The registered architecture called `name`; KeyError listing the known names otherwise."""
    return ARCHITECTURES[name]


def summary_table(name: str) -> list[dict]:
    """The rows of `models.summarize` for architecture `name` (nested layers included), without weights."""
    return models.summarize(get_architecture(name).spec)


def total_params(name: str) -> int:
    """Learnable parameters of architecture `name`, counted from its spec without building it."""
    return sum(row["params"] for row in summary_table(name))


def output_shape(name: str) -> list[int]:
    """The shape of one example's output of architecture `name` (the whole network's, not a nested layer's)."""
    return models.output_shape(get_architecture(name).spec)


# Layers drawn inside the box before them in a diagram (they keep the shape and add at most a few parameters).
_FOLDED = ("relu", "tanh", "batchnorm")


def diagram_rows(name: str) -> list[dict]:
    """The top-level rows of architecture `name` for `figures.network_figure`, activations and batch norm folded.

    A block's box counts the parameters of the layers inside it. A convolution followed by batch
    norm and ReLU becomes one "conv2d" box whose details end in "→ batchnorm → relu", with their
    parameters added up and the last one's output shape: the way papers draw these networks, and
    few enough boxes for their labels to fit across a page.
    """
    rows = []
    for row in summary_table(name):
        if row["depth"] != 0:  # a layer inside a block: its parameters count towards the block's box
            rows[-1] = {**rows[-1], "params": rows[-1]["params"] + row["params"]}
            continue
        if rows and row["type"] in _FOLDED:
            last = rows[-1]
            rows[-1] = {**last, "detail": f"{last.get('detail') or last['type']} → {row['type']}",
                        "output_shape": row["output_shape"], "params": last["params"] + row["params"]}
        else:
            rows.append(dict(row))
    return rows


# ----------------------------------------------------------------------------------------------
# Spec pieces.


def _conv(out_channels: int, kernel_size: int, **more) -> dict:
    return {"type": "conv2d", "out_channels": out_channels, "kernel_size": kernel_size, **more}


def _linear(out_features: int) -> dict:
    return {"type": "linear", "out_features": out_features}


def _conv_bn_relu(out_channels: int, kernel_size: int, **more) -> list[dict]:
    """A convolution without bias, batch norm and ReLU: torchvision's BasicConv2d (GoogLeNet).

    The bias is left out because batch norm's shift does the same job.
    """
    return [_conv(out_channels, kernel_size, bias=False, **more), {"type": "batchnorm"}, {"type": "relu"}]


def _basic_block(out_channels: int, *, stride: int = 1) -> list[dict]:
    """ResNet's basic block (two 3×3 convs with batch norm around a skip), then the ReLU after the sum.

    A strided block changes the shape, so its skip is a strided 1×1 conv without bias plus batch norm,
    as torchvision's `downsample`.
    """
    body = [_conv(out_channels, 3, stride=stride, padding=1, bias=False), {"type": "batchnorm"}, {"type": "relu"},
            _conv(out_channels, 3, padding=1, bias=False), {"type": "batchnorm"}]
    # In ResNet-18 the shape changes exactly in the strided blocks; the others keep an identity skip.
    shortcut = {"shortcut": "conv_bn"} if stride != 1 else {}
    return [{"type": "residual", "layers": body, **shortcut}, {"type": "relu"}]


def _vgg_stage(out_channels: int, convs: int) -> list[dict]:
    layers = []
    for _ in range(convs):
        layers += [_conv(out_channels, 3, padding=1), {"type": "relu"}]
    return [*layers, {"type": "maxpool2d", "kernel_size": 2, "stride": 2}]


# ----------------------------------------------------------------------------------------------
# The gallery, oldest first.


@register_architecture(
    "LeNet-5", year=1998, expected_params=61_706,
    paper="Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, \"Gradient-based learning applied to document "
          "recognition\", Proceedings of the IEEE 86(11), 1998",
    description="One of the first convolutional networks, built to read handwritten digits on bank cheques. "
                "Two rounds of 5×5 filters and 2×2 averaging shrink a 32×32 image to 16 maps of 5×5, and "
                "three dense layers turn them into 10 digit scores. This common modern version connects "
                "every filter to all of its input maps and uses plain averaging, giving 61,706 parameters.")
def _lenet5() -> dict:
    return {"input_shape": [1, 32, 32], "layers": [
        _conv(6, 5), {"type": "tanh"}, {"type": "avgpool2d", "kernel_size": 2},   # 6×28×28 → 6×14×14
        _conv(16, 5), {"type": "tanh"}, {"type": "avgpool2d", "kernel_size": 2},  # 16×10×10 → 16×5×5
        {"type": "flatten"},
        _linear(120), {"type": "tanh"}, _linear(84), {"type": "tanh"}, _linear(10),
    ]}


@register_architecture(
    "AlexNet", year=2012, torchvision="alexnet", expected_params=61_100_840,
    paper="A. Krizhevsky, I. Sutskever and G. E. Hinton, \"ImageNet Classification with Deep Convolutional "
          "Neural Networks\", NeurIPS 2012",
    description="The network that won the 2012 ImageNet challenge by a wide margin and started the deep "
                "learning boom: five convolutions with ReLU, then three huge dense layers with dropout. "
                "This is torchvision's version, with 64 and 192 filters in the first two convolutions "
                "(the original had 96 and 256); almost all of its 61 million parameters sit in the dense layers.",
    note="This is torchvision's single-stream AlexNet: 64-192-384-256-256 filters in its five convolutions, on "
         "224×224 inputs. The 2012 paper's network had 96-256-384-384-256 filters, split into two groups that ran "
         "on two GPUs (the second, fourth and fifth convolutions saw only their own group's maps), on 227×227 "
         "inputs.")
def _alexnet() -> dict:
    # torchvision's AdaptiveAvgPool2d((6, 6)) is left out: a 224×224 input already reaches 256×6×6.
    return {"input_shape": [3, 224, 224], "layers": [
        _conv(64, 11, stride=4, padding=2), {"type": "relu"},      # 64×55×55
        {"type": "maxpool2d", "kernel_size": 3, "stride": 2},       # 64×27×27
        _conv(192, 5, padding=2), {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 3, "stride": 2},       # 192×13×13
        _conv(384, 3, padding=1), {"type": "relu"},
        _conv(256, 3, padding=1), {"type": "relu"},
        _conv(256, 3, padding=1), {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 3, "stride": 2},       # 256×6×6
        {"type": "flatten"},
        {"type": "dropout"}, _linear(4096), {"type": "relu"},
        {"type": "dropout"}, _linear(4096), {"type": "relu"},
        _linear(1000),
    ]}


@register_architecture(
    "VGG-16", year=2014, torchvision="vgg16", expected_params=138_357_544,
    paper="K. Simonyan and A. Zisserman, \"Very Deep Convolutional Networks for Large-Scale Image "
          "Recognition\", ICLR 2015",
    description="VGG showed that depth matters: it uses only 3×3 filters, stacked two or three at a time "
                "between 2×2 max pools, 13 convolutions in all before three dense layers. Two stacked 3×3 "
                "filters see as far as one 5×5 filter but have fewer weights. With 138 million parameters it "
                "is large, and the first dense layer alone holds 103 million of them.")
def _vgg16() -> dict:
    # torchvision's AdaptiveAvgPool2d((7, 7)) is left out: a 224×224 input already reaches 512×7×7.
    features = [*_vgg_stage(64, 2), *_vgg_stage(128, 2), *_vgg_stage(256, 3), *_vgg_stage(512, 3),
                *_vgg_stage(512, 3)]
    classifier = [_linear(4096), {"type": "relu"}, {"type": "dropout"},
                  _linear(4096), {"type": "relu"}, {"type": "dropout"}, _linear(1000)]
    return {"input_shape": [3, 224, 224], "layers": [*features, {"type": "flatten"}, *classifier]}


@register_architecture(
    "ResNet basic block", year=2015, torchvision="resnet18", expected_params=304_128,
    torchvision_parts=("layer1.0", "layer2.0"),
    paper="K. He, X. Zhang, S. Ren and J. Sun, \"Deep Residual Learning for Image Recognition\", CVPR 2016",
    description="A residual block adds its input back to its output, so the two convolutions inside only "
                "have to learn a correction; this is what lets networks grow to hundreds of layers. The "
                "first block keeps 64×56×56; the second halves the size with stride 2 and doubles the "
                "channels, so its skip connection needs a 1×1 convolution with batch norm to match shapes.")
def _resnet_blocks() -> dict:
    return {"input_shape": [64, 56, 56], "layers": [*_basic_block(64), *_basic_block(128, stride=2)]}


@register_architecture(
    "ResNet-18", year=2015, torchvision="resnet18", expected_params=11_689_512,
    paper="K. He, X. Zhang, S. Ren and J. Sun, \"Deep Residual Learning for Image Recognition\", CVPR 2016",
    description="The smallest ResNet from the paper: a 7×7 convolution and a max pool, then eight basic "
                "blocks in four stages of 64, 128, 256 and 512 channels, each stage after the first halving "
                "the image size. A global average pool and one dense layer give 1000 class scores. With 18 "
                "layers it has less than a tenth of VGG-16's parameters.")
def _resnet18() -> dict:
    layers = [_conv(64, 7, stride=2, padding=3, bias=False), {"type": "batchnorm"}, {"type": "relu"},
              {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1}]  # 64×56×56
    for stage, channels in enumerate((64, 128, 256, 512)):
        layers += _basic_block(channels, stride=1 if stage == 0 else 2) + _basic_block(channels)
    layers += [{"type": "avgpool2d", "kernel_size": 7}, {"type": "flatten"}, _linear(1000)]  # 512×7×7 → 512×1×1
    return {"input_shape": [3, 224, 224], "layers": layers}


@register_architecture(
    "GoogLeNet inception block", year=2014, torchvision="googlenet", expected_params=155_872,
    torchvision_parts=("inception3a",),
    paper="C. Szegedy et al., \"Going Deeper with Convolutions\", CVPR 2015",
    description="An inception block runs four stacks side by side on the same 192×28×28 feature maps and "
                "joins their outputs into 256 channels: 1×1 filters; 1×1 then 3×3; 1×1 then another 3×3; and a "
                "3×3 max pool then 1×1. The cheap 1×1 convolutions shrink the channels before the costlier "
                "filters. This follows torchvision's GoogLeNet, which uses 3×3 where the paper's third stack "
                "has 5×5 and puts batch norm after every convolution.")
def _inception_3a() -> dict:
    # torchvision's batch norm uses eps 0.001 here; ours uses torch's default (no effect on the count).
    branches = [
        _conv_bn_relu(64, 1),
        [*_conv_bn_relu(96, 1), *_conv_bn_relu(128, 3, padding=1)],
        [*_conv_bn_relu(16, 1), *_conv_bn_relu(32, 3, padding=1)],
        [{"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1}, *_conv_bn_relu(32, 1)],
    ]
    return {"input_shape": [192, 28, 28], "layers": [
        {"type": "branches", "branches": branches},  # 256×28×28
    ]}
