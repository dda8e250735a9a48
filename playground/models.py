"""Network specs: check them, tabulate them and build them into PyTorch modules.

A spec is plain JSON: `{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "out_channels": 6,
"kernel_size": 3}, {"type": "relu"}, ...]}`. `validate` is the one gate: past it, code trusts the spec.
`summarize` never allocates weights, so networks far above the training cap can still be tabulated.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Any

import torch
from torch import nn

from playground.layers import (
    LAYERS,
    REQUIRED,
    Branches,
    Residual,
    Setting,
    Shape,
    SpecError,
    _Problem,
    check_projection,
    make_projection,
)
from playground.presets import PRESETS, preset
from playground.settings import get_settings

# Checkpoints (`playground.checkpoints`) build networks with this module, so it never imports them.
__all__ = ["SpecError", "MAX_LAYERS", "Network", "validate", "summarize", "build", "count_params", "output_shape",
           "preset", "PRESETS", "LAYERS"]

_MAX_DEPTH = 4  # blocks inside blocks inside ...; deeper nesting is almost surely a mistake
MAX_LAYERS = 200  # top-level layers of a spec (a block's own layers count inside it)
_MAX_INPUT_SIDE = 1024
_MAX_INPUT_CHANNELS = 1024  # feature maps deep inside a network, e.g. an inception block's 192


@dataclasses.dataclass
class _Node:
    """One checked layer: its settings with defaults filled in, shapes and own parameter count."""

    index: int
    path: str
    depth: int
    config: dict
    input_shape: Shape
    output_shape: Shape
    params: int
    children: list[list[_Node]]


class Network(nn.Sequential):
    """The module built from a spec: one child per spec layer, so `network[i]` is layer i."""

    def __init__(self, modules: list[nn.Module], spec: dict):
        super().__init__(*modules)
        self.spec = spec

    def forward_layers(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's output for input `x` (B, *input_shape), in order; the last is the output."""
        outputs = []
        for layer in self:
            x = layer(x)
            outputs.append(x)
        return outputs


# ----------------------------------------------------------------------------------------------
# Checking settings.


def _where(path: str, layer_type: str | None) -> str:
    return f"Layer {path}" + (f" ({layer_type})" if layer_type else "")


def _check_value(name: str, setting: Setting, value: Any) -> Any:
    """Return `value` in its canonical form, or raise _Problem saying what is wrong with it."""
    if value is None and setting.optional:
        return None
    kind = setting.kind
    if kind == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Problem(f"{name} must be a whole number, got {value!r}", name)
    elif kind == "float":
        # Compared, not math.isfinite: that overflows on ints beyond a float's range. NaN fails too.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1e308 <= value <= 1e308:
            raise _Problem(f"{name} must be a number, got {value!r}", name)
        value = float(value)
    elif kind == "bool":
        if not isinstance(value, bool):
            raise _Problem(f"{name} must be true or false, got {value!r}", name)
    elif kind == "choice":
        if value not in setting.choices:
            raise _Problem(f"{name} must be one of {', '.join(setting.choices)}; got {value!r}", name)
    elif kind == "shape":
        if (not isinstance(value, (list, tuple)) or len(value) != 3
                or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4096 for v in value)):
            raise _Problem(f"{name} must be three positive whole numbers [C, H, W], got {value!r}", name)
        value = [int(v) for v in value]
    elif kind == "layers":
        if not isinstance(value, list) or not value:
            raise _Problem(f"{name} must be a non-empty list of layers", name)
    elif kind == "branches":
        if (not isinstance(value, list) or not 1 <= len(value) <= 8
                or not all(isinstance(b, list) and b for b in value)):
            raise _Problem(f"{name} must be a list of 1 to 8 non-empty lists of layers", name)
    if setting.low is not None and value < setting.low:
        raise _Problem(f"{name} must be at least {setting.low:g}, got {value}", name)
    if setting.high is not None and value > setting.high:
        raise _Problem(f"{name} must be at most {setting.high:g}, got {value}", name)
    return value


def _check_settings(layer: Any, path: str, index: int) -> tuple[str, dict]:
    """The layer's type and its full settings (defaults filled in); SpecError on any bad key."""
    if not isinstance(layer, dict):
        raise SpecError(f"Layer {path} must be an object like {{\"type\": \"relu\"}}, got {layer!r}",
                        index=index, path=path)
    layer_type = layer.get("type")
    if layer_type is None:
        raise SpecError(f"Layer {path} has no 'type'", index=index, path=path, key="type")
    if not isinstance(layer_type, str) or layer_type not in LAYERS:  # a list or dict is not hashable
        raise SpecError(f"Layer {path}: unknown type {layer_type!r}; known types are {', '.join(LAYERS)}",
                        index=index, path=path, key="type")
    settings = LAYERS[layer_type].settings
    unknown = [k for k in layer if k != "type" and k not in settings]
    if unknown:
        allowed = ", ".join(settings) or "none"
        raise SpecError(f"{_where(path, layer_type)}: unknown key '{unknown[0]}' (allowed keys: {allowed})",
                        index=index, path=path, key=unknown[0])
    config = {"type": layer_type}
    for name, setting in settings.items():
        if name not in layer:
            if setting.default is REQUIRED:
                raise SpecError(f"{_where(path, layer_type)}: missing key '{name}' ({setting.help})",
                                index=index, path=path, key=name)
            config[name] = copy.deepcopy(setting.default)
            continue
        try:
            config[name] = _check_value(name, setting, layer[name])
        except _Problem as p:
            raise SpecError(f"{_where(path, layer_type)}: {p}", index=index, path=path, key=p.key) from None
    return layer_type, config


# ----------------------------------------------------------------------------------------------
# Walking a spec.


def _walk_one(layer: Any, shape: Shape, index: int, path: str, depth: int, limit: int) -> _Node:
    layer_type, config = _check_settings(layer, path, index)
    kind = LAYERS[layer_type]
    children: list[list[_Node]] = []
    try:
        if layer_type in ("residual", "branches"):
            if depth >= _MAX_DEPTH:
                raise _Problem(f"blocks may be nested at most {_MAX_DEPTH} deep")
            stacks = [config["layers"]] if layer_type == "residual" else config["branches"]
            ends = []
            for b, stack in enumerate(stacks):
                prefix = f"{path} › " if layer_type == "residual" else f"{path} › branch {b} › "
                nodes = _walk_list(stack, shape, index, prefix, depth + 1, limit)
                children.append(nodes)
                ends.append(nodes[-1].output_shape)
            out, params = _join(config, shape, ends)
        else:
            out = tuple(kind.output_shape(shape, config))
            params = kind.count_params(shape, config)
    except _Problem as p:
        raise SpecError(f"{_where(path, layer_type)}: {p}", index=index, path=path, key=p.key) from None
    if math.prod(out) > limit:
        raise SpecError(f"{_where(path, layer_type)}: its output holds {math.prod(out):,} values per example, "
                        f"more than the limit of {limit:,}", index=index, path=path)
    return _Node(index, path, depth, config, shape, out, params, children)


def _join(config: dict, shape: Shape, ends: list[Shape]) -> tuple[Shape, int]:
    """Output shape and own parameters of a block (settings `config`) whose stacks end in shapes `ends`."""
    if config["type"] == "residual":
        return ends[0], check_projection(shape, ends[0], shortcut=config["shortcut"])
    if all(len(e) == 3 for e in ends) and len({e[1:] for e in ends}) == 1:
        return (sum(e[0] for e in ends), *ends[0][1:]), 0
    if all(len(e) == 1 for e in ends):
        return (sum(e[0] for e in ends),), 0
    listed = ", ".join(str(list(e)) for e in ends)
    raise _Problem(f"branch outputs {listed} cannot be concatenated: they need the same height and width",
                   "branches")


def _walk_list(layers: list, shape: Shape, index: int | None, prefix: str, depth: int, limit: int) -> list[_Node]:
    nodes = []
    for i, layer in enumerate(layers):
        node = _walk_one(layer, shape, i if index is None else index, f"{prefix}{i}", depth, limit)
        nodes.append(node)
        shape = node.output_shape
    return nodes


def _check_top(spec: Any) -> tuple[Shape, list]:
    if not isinstance(spec, dict):
        raise SpecError("A spec must be an object with 'input_shape' and 'layers'")
    unknown = [k for k in spec if k not in ("input_shape", "layers", "name")]
    if unknown:
        raise SpecError(f"Unknown key '{unknown[0]}' in the spec (allowed: input_shape, layers, name)",
                        key=unknown[0])
    for key in ("input_shape", "layers"):
        if key not in spec:
            raise SpecError(f"The spec has no '{key}'", key=key)
    shape = spec["input_shape"]
    if (not isinstance(shape, (list, tuple)) or len(shape) not in (1, 2, 3)
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in shape)):
        raise SpecError("input_shape must be [features], [T, F] (time steps × features) or [C, H, W] with "
                        f"positive whole numbers, got {shape!r}",
                        key="input_shape")
    if len(shape) == 3 and (shape[0] > _MAX_INPUT_CHANNELS or max(shape[1:]) > _MAX_INPUT_SIDE):
        raise SpecError(f"input_shape {list(shape)} is too large (at most {_MAX_INPUT_CHANNELS} channels "
                        f"and {_MAX_INPUT_SIDE} pixels a side)", key="input_shape")
    if math.prod(shape) > get_settings().max_activation:
        raise SpecError(f"input_shape {list(shape)} is too large", key="input_shape")
    layers = spec["layers"]
    if not isinstance(layers, list) or not layers:
        raise SpecError("'layers' must be a non-empty list: a network needs at least one layer", key="layers")
    if len(layers) > MAX_LAYERS:
        raise SpecError(f"A spec may have at most {MAX_LAYERS} layers, this one has {len(layers):,}", key="layers")
    return tuple(shape), layers


def _walk(spec: Any) -> list[_Node]:
    shape, layers = _check_top(spec)
    return _walk_list(layers, shape, None, "", 0, get_settings().max_activation)


# ----------------------------------------------------------------------------------------------
# Public API.


def validate(spec: Any) -> dict:
    """Check `spec` completely; return a copy with every default filled in, or raise SpecError.

    Settings marked `implicit` (a residual's `shortcut`) are left out while at their default.

    The error message names the layer index (nested layers as "3 › 1") and the key at fault.
    """
    nodes = _walk(spec)
    return {**({"name": spec["name"]} if "name" in spec else {}),
            "input_shape": list(spec["input_shape"]), "layers": [_canonical(n) for n in nodes]}


def _canonical(node: _Node) -> dict:
    settings = LAYERS[node.config["type"]].settings
    config = {key: value for key, value in node.config.items()
              if not (key in settings and settings[key].implicit and value == settings[key].default)}
    if config["type"] == "residual":
        config["layers"] = [_canonical(n) for n in node.children[0]]
    elif config["type"] == "branches":
        config["branches"] = [[_canonical(n) for n in stack] for stack in node.children]
    return config


def output_shape(spec: Any) -> list[int]:
    """The network's output shape for one example, e.g. [10]."""
    return list(_walk(spec)[-1].output_shape)


def _rows(nodes: list[_Node]) -> list[dict]:
    rows = []
    for node in nodes:
        kind = LAYERS[node.config["type"]]
        rows.append({"index": node.index, "path": node.path, "depth": node.depth, "type": node.config["type"],
                     "family": kind.family, "detail": kind.describe(node.config),
                     "input_shape": list(node.input_shape), "output_shape": list(node.output_shape),
                     "params": node.params, "error": None})
        for stack in node.children:
            rows.extend(_rows(stack))
    return rows


def summarize(spec: Any, *, strict: bool = True) -> list[dict]:
    """One row per layer (nested layers follow their block, with `depth` > 0), without building weights.

    Each row has `index`, `path`, `depth`, `type`, `family`, `detail`, `input_shape`, `output_shape`,
    `params` (this layer's own parameters; the rows add up to the built module's count) and `error`.
    With `strict=False` a bad layer gets its message in `error` and the layers after it have
    `output_shape` and `params` None; a spec whose top level is malformed still raises SpecError.
    """
    if strict:
        return _rows(_walk(spec))
    shape, layers = _check_top(spec)
    rows, limit = [], get_settings().max_activation
    for i, layer in enumerate(layers):
        try:
            node = _walk_one(layer, shape, i, str(i), 0, limit)
        except SpecError as e:
            rows.append(_broken_row(i, layer, shape, str(e)))
            rows.extend(_broken_row(j, later, None, None) for j, later in enumerate(layers[i + 1:], i + 1))
            break
        rows.extend(_rows([node]))
        shape = node.output_shape
    return rows


def _broken_row(index: int, layer: Any, shape: Shape | None, error: str | None) -> dict:
    layer_type = layer.get("type") if isinstance(layer, dict) else None
    family = LAYERS[layer_type].family if isinstance(layer_type, str) and layer_type in LAYERS else "unknown"
    return {"index": index, "path": str(index), "depth": 0, "type": str(layer_type), "family": family,
            "detail": "", "input_shape": list(shape) if shape else None, "output_shape": None, "params": None,
            "error": error}


def count_params(spec: Any) -> int:
    """Total learnable parameters of the network `spec` describes, computed without building it."""
    return sum(row["params"] for row in summarize(spec))


def _make(node: _Node) -> nn.Module:
    layer_type = node.config["type"]
    if layer_type == "residual":
        body = nn.Sequential(*[_make(n) for n in node.children[0]])
        shortcut = make_projection(node.input_shape, node.output_shape, shortcut=node.config["shortcut"])
        return Residual(body, shortcut)
    if layer_type == "branches":
        return Branches([nn.Sequential(*[_make(n) for n in stack]) for stack in node.children])
    return LAYERS[layer_type].make(node.input_shape, node.config)


def build(spec: Any, *, max_params: int | None = None) -> Network:
    """Build the spec into a `Network`; SpecError if it is invalid or has more than `max_params`.

    `max_params` defaults to the installation's cap (`Settings.max_params`).
    """
    nodes = _walk(spec)
    cap = get_settings().max_params if max_params is None else max_params
    total = sum(row["params"] for row in _rows(nodes))
    if total > cap:
        raise SpecError(f"This network has {total:,} parameters, more than this installation allows ({cap:,}). "
                        "Make layers narrower or use fewer of them.", key="layers")
    return Network([_make(n) for n in nodes], validate(spec))
