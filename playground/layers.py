"""The layer types a network spec may use: their settings, output shapes, parameter counts and modules.

A shape never includes the batch dimension: `(features,)` for flat data, `(C, H, W)` for images.
Each layer type is registered once in `LAYERS`; pages list its keys and nothing else.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from playground.registry import Registry

Shape = tuple[int, ...]
REQUIRED = object()


class SpecError(ValueError):
    """A network spec that cannot be built, with the layer and key at fault.

    `index` is the top-level layer index (None for the spec itself), `path` the full
    position for nested layers (e.g. "3 › 1"), `key` the offending setting (or None).
    """

    def __init__(self, message: str, *, index: int | None = None, path: str | None = None,
                 key: str | None = None):
        super().__init__(message)
        self.index = index
        self.path = path
        self.key = key


class _Problem(Exception):
    """Raised inside a layer's shape rule; the walker turns it into a SpecError naming the layer."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting of a layer type: its kind, default and allowed range."""

    kind: str  # "int", "float", "bool", "choice", "shape", "layers", "branches"
    default: Any = REQUIRED
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False  # None is allowed (e.g. a pooling stride that defaults to the kernel size)
    help: str = ""
    # Left out of a validated spec while it holds its default, so specs saved before the setting
    # existed validate to exactly what they did then.
    implicit: bool = False


@dataclasses.dataclass(frozen=True)
class LayerType:
    """How one kind of layer behaves; see `register_layer`."""

    name: str
    family: str
    settings: dict[str, Setting]
    output_shape: Callable[[Shape, dict], Shape]
    count_params: Callable[[Shape, dict], int]
    make: Callable[[Shape, dict], nn.Module]
    describe: Callable[[dict], str]
    help: str


LAYERS: Registry[LayerType] = Registry("layer type")


def register_layer(name: str, *, family: str, settings: dict[str, Setting] | None = None,
                   count_params: Callable[[Shape, dict], int] | None = None,
                   describe: Callable[[dict], str] | None = None, help: str = ""):
    """Register a layer type by decorating its output-shape rule; `make` is attached with `.maker`."""

    def decorator(output_shape):
        holder = {}

        def make(shape, cfg):
            return holder["make"](shape, cfg)

        LAYERS.add(name, LayerType(
            name=name, family=family, settings=settings or {}, output_shape=output_shape,
            count_params=count_params or (lambda shape, cfg: 0), make=make,
            describe=describe or (lambda cfg: ""), help=help))

        def maker(fn):
            holder["make"] = fn
            return fn

        output_shape.maker = maker
        return output_shape

    return decorator


# ----------------------------------------------------------------------------------------------
# Modules that torch lacks in the form a spec needs.


class FlattenLinear(nn.Linear):
    """A linear layer that flattens an image-shaped input first, so weights stay at `.weight`."""

    def forward(self, x):
        return super().forward(x.flatten(1))


class Residual(nn.Module):
    """`body(x) + shortcut(x)`: a skip connection; the shortcut projects when shapes differ."""

    def __init__(self, body: nn.Module, shortcut: nn.Module):
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


class Branches(nn.Module):
    """Parallel stacks on the same input, concatenated along channels (or features)."""

    def __init__(self, branches: list[nn.Module]):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class Unflatten(nn.Module):
    """Reshape flat features back to `(C, H, W)`, for decoders."""

    def __init__(self, shape: Shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


# ----------------------------------------------------------------------------------------------
# Shape helpers.


def _need_image(shape: Shape, what: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise _Problem(f"{what} needs an image-shaped input [C, H, W] but gets {list(shape)}; "
                       "add an 'unflatten' layer first")
    return shape


def _sliding_size(size: int, kernel: int, stride: int, padding: int, dilation: int, key: str) -> int:
    reach = dilation * (kernel - 1) + 1
    if size + 2 * padding < reach:
        span = f"{kernel}" if dilation == 1 else f"{kernel} (reaching {reach} with dilation {dilation})"
        raise _Problem(f"kernel_size {span} is larger than its input ({size} with padding {padding})", key)
    return (size + 2 * padding - reach) // stride + 1


def _int(low=None, high=None, default=REQUIRED, help="", optional=False):
    return Setting("int", default, low, high, optional=optional, help=help)


_BIAS = Setting("bool", True, help="add a learned offset to each output")

# ----------------------------------------------------------------------------------------------
# Dense, convolution and pooling layers.


@register_layer(
    "linear", family="linear",
    settings={"out_features": _int(1, 65536, help="number of output neurons"), "bias": _BIAS},
    count_params=lambda s, c: math.prod(s) * c["out_features"] + (c["out_features"] if c["bias"] else 0),
    describe=lambda c: f"{c['out_features']} neurons",
    help="Every output is a weighted sum of every input. Images are flattened first.")
def _linear_shape(shape, cfg):
    return (cfg["out_features"],)


@_linear_shape.maker
def _make_linear(shape, cfg):
    cls = FlattenLinear if len(shape) != 1 else nn.Linear
    return cls(math.prod(shape), cfg["out_features"], bias=cfg["bias"])


_CONV_SETTINGS = {
    "out_channels": _int(1, 4096, help="number of filters"),
    "kernel_size": _int(1, 64, help="width and height of each filter"),
    "stride": _int(1, 64, 1, help="step between positions"),
    "padding": _int(0, 64, 0, help="rows and columns added around the input"),
    "dilation": _int(1, 32, 1, help="gap between kernel taps"),
    "groups": _int(1, 4096, 1, help="split channels into independent groups"),
    "bias": _BIAS,
    "padding_mode": Setting("choice", "zeros", choices=("zeros", "reflect", "replicate", "circular"),
                            help="what the padding is filled with"),
}


def _conv_params(shape, cfg):
    c_in = shape[0] if len(shape) == 3 else 0
    weights = cfg["out_channels"] * (c_in // max(cfg["groups"], 1)) * cfg["kernel_size"] ** 2
    return weights + (cfg["out_channels"] if cfg["bias"] else 0)


def _describe_conv(cfg):
    text = f"{cfg['out_channels']} filters {cfg['kernel_size']}×{cfg['kernel_size']}"
    for key in ("stride", "padding", "dilation", "groups"):
        if cfg.get(key, 1 if key != "padding" else 0) != (0 if key == "padding" else 1):
            text += f", {key} {cfg[key]}"
    return text


@register_layer("conv2d", family="conv", settings=_CONV_SETTINGS, count_params=_conv_params,
                 describe=_describe_conv,
                 help="Slides small filters over the image; each filter makes one output channel.")
def _conv_shape(shape, cfg):
    c, h, w = _need_image(shape, "conv2d")
    for key, count in (("groups", c), ("groups", cfg["out_channels"])):
        if count % cfg["groups"]:
            raise _Problem(f"groups {cfg['groups']} must divide both the input channels ({c}) "
                           f"and out_channels ({cfg['out_channels']})", key)
    pad = cfg["padding"]
    if cfg["padding_mode"] != "zeros" and pad:
        # torch only reflects/wraps within the image: padding must be smaller than it.
        limit = min(h, w) - (1 if cfg["padding_mode"] == "reflect" else 0)
        if pad > limit:
            raise _Problem(f"{cfg['padding_mode']} padding {pad} is too large for a {h}×{w} input "
                           f"(at most {limit})", "padding")
    args = (cfg["kernel_size"], cfg["stride"], pad, cfg["dilation"], "kernel_size")
    return (cfg["out_channels"], _sliding_size(h, *args), _sliding_size(w, *args))


@_conv_shape.maker
def _make_conv(shape, cfg):
    return nn.Conv2d(shape[0], cfg["out_channels"], cfg["kernel_size"], stride=cfg["stride"],
                     padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"],
                     bias=cfg["bias"], padding_mode=cfg["padding_mode"])


@register_layer(
    "conv_transpose2d", family="conv",
    settings={
        "out_channels": _int(1, 4096, help="number of filters"),
        "kernel_size": _int(1, 64, help="width and height of each filter"),
        "stride": _int(1, 64, 1, help="upsampling factor"),
        "padding": _int(0, 64, 0, help="rows and columns removed from the border"),
        "output_padding": _int(0, 63, 0, help="extra rows and columns on one side"),
        "bias": _BIAS,
    },
    count_params=lambda s, c: (s[0] if len(s) == 3 else 0) * c["out_channels"] * c["kernel_size"] ** 2
    + (c["out_channels"] if c["bias"] else 0),
    describe=lambda c: f"{c['out_channels']} filters {c['kernel_size']}×{c['kernel_size']}, stride {c['stride']}",
    help="The reverse of a strided convolution: spreads each input value over a larger output.")
def _deconv_shape(shape, cfg):
    c, h, w = _need_image(shape, "conv_transpose2d")
    if cfg["output_padding"] >= cfg["stride"]:
        raise _Problem(f"output_padding {cfg['output_padding']} must be smaller than stride {cfg['stride']}",
                       "output_padding")
    sizes = [(n - 1) * cfg["stride"] - 2 * cfg["padding"] + cfg["kernel_size"] + cfg["output_padding"]
             for n in (h, w)]
    if min(sizes) < 1:
        raise _Problem(f"padding {cfg['padding']} removes the whole output", "padding")
    return (cfg["out_channels"], *sizes)


@_deconv_shape.maker
def _make_deconv(shape, cfg):
    return nn.ConvTranspose2d(shape[0], cfg["out_channels"], cfg["kernel_size"], stride=cfg["stride"],
                              padding=cfg["padding"], output_padding=cfg["output_padding"], bias=cfg["bias"])


_POOL_SETTINGS = {
    "kernel_size": _int(1, 64, help="width and height of each window"),
    "stride": _int(1, 64, None, optional=True, help="step between windows (default: the kernel size)"),
    "padding": _int(0, 32, 0, help="rows and columns added around the input"),
}


def _pool_shape(kind):
    def rule(shape, cfg):
        c, h, w = _need_image(shape, kind)
        if cfg["padding"] * 2 > cfg["kernel_size"]:
            raise _Problem(f"padding {cfg['padding']} may be at most half of kernel_size {cfg['kernel_size']}",
                           "padding")
        stride = cfg["stride"] or cfg["kernel_size"]
        args = (cfg["kernel_size"], stride, cfg["padding"], 1, "kernel_size")
        return (c, _sliding_size(h, *args), _sliding_size(w, *args))
    return rule


def _describe_pool(cfg):
    return f"{cfg['kernel_size']}×{cfg['kernel_size']}, stride {cfg['stride'] or cfg['kernel_size']}"


_max_rule = register_layer("maxpool2d", family="pool", settings=_POOL_SETTINGS, describe=_describe_pool,
                           help="Keeps the largest value in each window.")(_pool_shape("maxpool2d"))
_avg_rule = register_layer("avgpool2d", family="pool", settings=_POOL_SETTINGS, describe=_describe_pool,
                           help="Averages each window.")(_pool_shape("avgpool2d"))
_max_rule.maker(lambda s, c: nn.MaxPool2d(c["kernel_size"], c["stride"] or c["kernel_size"], c["padding"]))
_avg_rule.maker(lambda s, c: nn.AvgPool2d(c["kernel_size"], c["stride"] or c["kernel_size"], c["padding"]))


@register_layer(
    "upsample", family="reshape",
    settings={"scale_factor": _int(1, 8, 2, help="how many times larger"),
              "mode": Setting("choice", "nearest", choices=("nearest", "bilinear"), help="how new pixels are filled")},
    describe=lambda c: f"×{c['scale_factor']}, {c['mode']}",
    help="Makes the image larger without learned weights.")
def _upsample_shape(shape, cfg):
    c, h, w = _need_image(shape, "upsample")
    return (c, h * cfg["scale_factor"], w * cfg["scale_factor"])


@_upsample_shape.maker
def _make_upsample(shape, cfg):
    align = False if cfg["mode"] == "bilinear" else None
    return nn.Upsample(scale_factor=cfg["scale_factor"], mode=cfg["mode"], align_corners=align)


# ----------------------------------------------------------------------------------------------
# Normalization, dropout and reshaping.


@register_layer("batchnorm", family="normalization",
                count_params=lambda s, c: 2 * s[0],
                help="Normalizes each channel over the batch, then scales and shifts it.")
def _batchnorm_shape(shape, cfg):
    if len(shape) not in (1, 3):
        raise _Problem(f"batchnorm needs a flat or image-shaped input, got {list(shape)}")
    return shape


@_batchnorm_shape.maker
def _make_batchnorm(shape, cfg):
    return nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])


@register_layer("dropout", family="dropout",
                settings={"p": Setting("float", 0.5, 0.0, 0.99, help="probability of zeroing each value")},
                describe=lambda c: f"p = {c['p']}",
                help="While training, zeroes random values and rescales the rest.")
def _dropout_shape(shape, cfg):
    return shape


_dropout_shape.maker(lambda s, c: nn.Dropout(c["p"]))


@register_layer("flatten", family="reshape", help="Turns an image into one long vector.")
def _flatten_shape(shape, cfg):
    return (math.prod(shape),)


_flatten_shape.maker(lambda s, c: nn.Flatten())


@register_layer("unflatten", family="reshape",
                settings={"shape": Setting("shape", help="[C, H, W] to reshape to")},
                describe=lambda c: "×".join(map(str, c["shape"])),
                help="Turns a vector back into an image, for decoders.")
def _unflatten_shape(shape, cfg):
    target = tuple(cfg["shape"])
    if math.prod(target) != math.prod(shape):
        raise _Problem(f"shape {list(target)} holds {math.prod(target)} values but the input has "
                       f"{math.prod(shape)}", "shape")
    return target


_unflatten_shape.maker(lambda s, c: Unflatten(c["shape"]))

# ----------------------------------------------------------------------------------------------
# Sequences: a sequence's shape is (T, F), T time steps of F features each (batch first); a sequence
# of token ids, the input of an embedding layer, is (T,).


class Embedding(nn.Embedding):
    """`nn.Embedding` that takes token ids stored as floats (datasets keep every input float32)."""

    def forward(self, x):
        ids = x.long()
        exporting = torch.onnx.is_in_onnx_export() or torch.compiler.is_exporting()
        if not exporting and ids.numel() and (ids.min() < 0 or ids.max() >= self.num_embeddings):
            bad = ids.min() if ids.min() < 0 else ids.max()
            raise ValueError(f"token id {int(bad)} is outside the embedding's {self.num_embeddings} tokens "
                             f"(0 to {self.num_embeddings - 1}); raise num_embeddings to the vocabulary size")
        return super().forward(ids)


class Recurrent(nn.Module):
    """An `nn.RNN`, `nn.LSTM` or `nn.GRU` (batch first, at `.rnn`) that returns a tensor only.

    `keep` "all": every step's output, (B, T, D·H). "last": the last layer's final state, (B, D·H);
    for a bidirectional layer that is the forward direction after the last step joined to the
    backward direction after the first, so each direction has read the whole sequence.
    """

    def __init__(self, rnn: nn.RNNBase, keep: str):
        super().__init__()
        self.rnn = rnn
        self.keep = keep

    def forward(self, x):
        out, state = self.rnn(x)
        if self.keep == "all":
            return out
        h = state[0] if isinstance(state, tuple) else state  # (layers·D, B, H)
        directions = 2 if self.rnn.bidirectional else 1
        return h[-directions:].permute(1, 0, 2).reshape(x.shape[0], -1)


def _need_sequence(shape: Shape, what: str) -> tuple[int, int]:
    if len(shape) != 2:
        raise _Problem(f"{what} needs a sequence input [T, F] (time steps × features) but gets {list(shape)}; "
                       "for token ids add an 'embedding' layer first")
    return shape


@register_layer(
    "embedding", family="embedding",
    settings={"num_embeddings": _int(1, 1_000_000, help="how many different tokens (the vocabulary size)"),
              "embedding_dim": _int(1, 4096, help="length of each token's learned vector")},
    count_params=lambda s, c: c["num_embeddings"] * c["embedding_dim"],
    describe=lambda c: f"{c['num_embeddings']} tokens → {c['embedding_dim']} numbers",
    help="Looks up a learned vector for each token id: a sequence of ids becomes a sequence of vectors.")
def _embedding_shape(shape, cfg):
    if len(shape) != 1:
        raise _Problem(f"embedding needs a sequence of token ids [T] but gets {list(shape)}")
    return (shape[0], cfg["embedding_dim"])


_embedding_shape.maker(lambda s, c: Embedding(c["num_embeddings"], c["embedding_dim"]))

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
_RECURRENT_HELP = {
    "rnn": "A plain recurrent layer: each step's state is tanh(W·input + U·previous state + b).",
    "lstm": "A long short-term memory layer: input, forget and output gates guard a cell that can "
            "keep a number for many steps.",
    "gru": "A gated recurrent unit: update and reset gates decide how much of the state to keep.",
}


def _recurrent_settings(kind: str) -> dict[str, Setting]:
    settings = {
        "hidden_size": _int(1, 4096, help="numbers in the state carried from step to step"),
        "num_layers": _int(1, 8, 1, help="recurrent layers stacked, each reading the one below"),
        "bidirectional": Setting("bool", False, help="also read the sequence backwards and join both"),
        "keep": Setting("choice", "last", choices=("last", "all"),
                        help="output only the final state (last) or the output at every step (all)"),
    }
    if kind == "rnn":
        settings["nonlinearity"] = Setting("choice", "tanh", choices=("tanh", "relu"),
                                           help="the activation of the state")
    return settings


def _recurrent_params(kind: str) -> Callable[[Shape, dict], int]:
    def count(shape, cfg):
        if len(shape) != 2:
            return 0
        gates, hidden = _GATES[kind], cfg["hidden_size"]
        directions = 2 if cfg["bidirectional"] else 1
        total, width = 0, shape[1]
        for _ in range(cfg["num_layers"]):
            total += directions * gates * hidden * (width + hidden + 2)
            width = directions * hidden
        return total
    return count


def _recurrent_shape(kind: str):
    def rule(shape, cfg):
        steps, _ = _need_sequence(shape, kind)
        width = cfg["hidden_size"] * (2 if cfg["bidirectional"] else 1)
        return (steps, width) if cfg["keep"] == "all" else (width,)
    return rule


def _recurrent_maker(kind: str):
    def make(shape, cfg):
        cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
        extra = {"nonlinearity": cfg["nonlinearity"]} if kind == "rnn" else {}
        return Recurrent(cls(shape[1], cfg["hidden_size"], num_layers=cfg["num_layers"], batch_first=True,
                             bidirectional=cfg["bidirectional"], **extra), cfg["keep"])
    return make


def _describe_recurrent(cfg):
    text = f"{cfg['hidden_size']} units"
    if cfg["num_layers"] > 1:
        text += f" × {cfg['num_layers']} layers"
    if cfg["bidirectional"]:
        text += ", both ways"
    return text + (", every step" if cfg["keep"] == "all" else ", last step")


for _kind in _GATES:
    register_layer(_kind, family="recurrent", settings=_recurrent_settings(_kind),
                   count_params=_recurrent_params(_kind), describe=_describe_recurrent,
                   help=_RECURRENT_HELP[_kind])(_recurrent_shape(_kind)).maker(_recurrent_maker(_kind))

RECURRENT = tuple(_GATES)

# ----------------------------------------------------------------------------------------------
# Activations. Each use gets its own module instance and none is in-place: attribution methods
# (Guided Backprop, DeepLift) hook every activation separately.

_ACTIVATIONS = {
    "relu": (lambda s, c: nn.ReLU(), "max(0, x)"),
    "sigmoid": (lambda s, c: nn.Sigmoid(), "1 / (1 + e^−x), squashes to (0, 1)"),
    "tanh": (lambda s, c: nn.Tanh(), "squashes to (−1, 1)"),
    "gelu": (lambda s, c: nn.GELU(), "a smooth ReLU"),
    "softmax": (lambda s, c: nn.Softmax(dim=1), "turns scores into probabilities that add up to 1"),
    "identity": (lambda s, c: nn.Identity(), "passes values through unchanged"),
}


def _same_shape(shape, cfg):
    return shape


for _name, (_make, _help) in _ACTIVATIONS.items():
    register_layer(_name, family="activation", help=_help)(lambda s, c: s).maker(_make)

register_layer(
    "leaky_relu", family="activation",
    settings={"negative_slope": Setting("float", 0.01, 0.0, 1.0, help="slope for negative inputs")},
    describe=lambda c: f"slope {c['negative_slope']}", help="like ReLU, with a small slope below zero",
)(_same_shape).maker(lambda s, c: nn.LeakyReLU(c["negative_slope"]))

register_layer(
    "prelu", family="activation",
    settings={"per_channel": Setting("bool", False, help="learn one slope per channel instead of one in all")},
    count_params=lambda s, c: s[0] if c["per_channel"] else 1,
    help="like leaky ReLU, with a learned slope",
)(lambda s, c: s).maker(lambda s, c: nn.PReLU(s[0] if c["per_channel"] else 1))

ACTIVATIONS = tuple(name for name, t in LAYERS.items() if t.family == "activation")

# ----------------------------------------------------------------------------------------------
# Blocks: they hold layers of their own, walked by `playground.models`.


def _projection_stride(shape: Shape, inner: Shape) -> int:
    """The stride of a 1×1 convolution that turns `shape`'s height and width into `inner`'s."""
    for stride in range(1, max(shape[1], shape[2]) + 1):
        if all((size - 1) // stride + 1 == target for size, target in zip(shape[1:], inner[1:])):
            return stride
    raise _Problem(f"the skip connection cannot shrink {shape[1]}×{shape[2]} to {inner[1]}×{inner[2]} "
                   "with a strided 1×1 projection", "layers")


SHORTCUTS = ("conv", "conv_bn")


def check_projection(shape: Shape, inner: Shape, *, shortcut: str = "conv") -> int:
    """Parameters of the projection a skip connection needs from `shape` to `inner` (0 if none).

    `shortcut` "conv": a 1×1 conv (or linear) with bias, in·out + out. "conv_bn": the same without
    bias followed by batch norm, in·out + 2·out, as torchvision's ResNet downsamples.
    """
    if shape == inner:
        return 0
    if len(shape) != len(inner):
        raise _Problem(f"the skip connection cannot join an input of shape {list(shape)} "
                       f"to an output of shape {list(inner)}", "layers")
    if len(shape) == 3:
        _projection_stride(shape, inner)
    if len(shape) == 2:  # sequences (T, F): a linear map of each step's features
        if shape[0] != inner[0]:
            raise _Problem(f"the skip connection cannot join {shape[0]} time steps to {inner[0]}", "layers")
        if shortcut == "conv_bn":
            raise _Problem("a sequence's skip connection projects with a linear layer: use shortcut 'conv'",
                           "shortcut")
        return shape[1] * inner[1] + inner[1]
    return shape[0] * inner[0] + (2 * inner[0] if shortcut == "conv_bn" else inner[0])


def make_projection(shape: Shape, inner: Shape, *, shortcut: str = "conv") -> nn.Module:
    """The module on a skip connection: identity, or a linear / strided 1×1 conv projection.

    With `shortcut` "conv_bn" the projection has no bias and is followed by batch norm, in an
    `nn.Sequential` numbered as torchvision's `downsample` (0: conv, 1: norm).
    """
    if shape == inner:
        return nn.Identity()
    with_norm = shortcut == "conv_bn"
    if len(shape) == 2:  # (T, F) → (T, H): nn.Linear maps the last dimension, step by step
        return nn.Linear(shape[1], inner[1])
    if len(shape) == 1:
        projection: nn.Module = nn.Linear(shape[0], inner[0], bias=not with_norm)
        norm: nn.Module = nn.BatchNorm1d(inner[0])
    else:
        projection = nn.Conv2d(shape[0], inner[0], 1, stride=_projection_stride(shape, inner), bias=not with_norm)
        norm = nn.BatchNorm2d(inner[0])
    return nn.Sequential(projection, norm) if with_norm else projection


register_layer("residual", family="block",
               settings={"layers": Setting("layers", help="the layers the skip connection goes around"),
                         "shortcut": Setting("choice", "conv", choices=SHORTCUTS, implicit=True,
                                             help="projection when shapes differ: a 1×1 conv with bias (conv), "
                                                  "or one without bias followed by batch norm (conv_bn, "
                                                  "as in ResNet)")},
               describe=lambda c: f"{len(c['layers'])} layers + skip",
               help="Adds the block's input to its output (a 1×1 projection matches shapes).")(_same_shape)
register_layer("branches", family="block",
               settings={"branches": Setting("branches", help="parallel stacks of layers")},
               describe=lambda c: f"{len(c['branches'])} parallel stacks",
               help="Runs stacks side by side and stacks their outputs' channels (an inception block).",
               )(_same_shape)

BLOCKS = ("residual", "branches")
