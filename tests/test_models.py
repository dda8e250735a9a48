"""Tests for playground.models: hand-counted parameters, shapes against real forward passes, errors."""

from __future__ import annotations

import copy
import json
import math
import time
from collections import Counter

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from playground.layers import LAYERS, REQUIRED
from playground.models import (
    PRESETS,
    Network,
    SpecError,
    build,
    count_params,
    output_shape,
    preset,
    summarize,
    validate,
)
from playground.presets import fits

IMAGE_SHAPES = [[1, 8, 8], [1, 28, 28], [3, 32, 32]]


def _spec(input_shape: list[int], *layers: dict) -> dict:
    return {"input_shape": list(input_shape), "layers": list(layers)}


def _conv(out_channels: int, kernel_size: int, **more) -> dict:
    return {"type": "conv2d", "out_channels": out_channels, "kernel_size": kernel_size, **more}


def _linear(out_features: int, **more) -> dict:
    return {"type": "linear", "out_features": out_features, **more}


def _torch_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _preset_specs() -> list[tuple[str, dict]]:
    """Every preset on every image shape, and the mlp on flat 2-D points too."""
    specs = [(f"{name}-{'x'.join(map(str, shape))}", preset(name, input_shape=shape, outputs=10))
             for name in PRESETS for shape in IMAGE_SHAPES if fits(name, shape)]
    specs.append(("mlp-2", preset("mlp", input_shape=[2], outputs=2)))
    return specs


PRESET_SPECS = _preset_specs()
assert {name.split("-")[0] for name, _ in PRESET_SPECS} >= {"mlp", "lenet5", "tiny_vgg", "tiny_resnet"}


def _modules_by_path(modules: nn.Module, layers: list[dict], prefix: str = "") -> dict[str, nn.Module]:
    """The module built for each summarize row, keyed by the row's `path` (nested blocks included)."""
    found = {}
    for i, (module, layer) in enumerate(zip(modules, layers, strict=True)):
        path = f"{prefix}{i}"
        found[path] = module
        if layer["type"] == "residual":
            found.update(_modules_by_path(module.body, layer["layers"], f"{path} › "))
        elif layer["type"] == "branches":
            for b, (stack, stack_layers) in enumerate(zip(module.branches, layer["branches"], strict=True)):
                found.update(_modules_by_path(stack, stack_layers, f"{path} › branch {b} › "))
    return found


def _assert_summary_matches_forward(spec: dict) -> None:
    """Every row's output shape equals what the built module produces for a batch of two."""
    rows = summarize(spec)
    network = build(spec).eval()
    seen = {}
    for path, module in _modules_by_path(network, network.spec["layers"]).items():
        module.register_forward_hook(lambda m, i, out, path=path: seen.__setitem__(path, list(out.shape)))
    first = spec["layers"][0]
    if first.get("type") == "embedding":  # token ids
        x = torch.randint(0, first["num_embeddings"], (2, *spec["input_shape"])).float()
    else:
        x = torch.randn(2, *spec["input_shape"])
    with torch.no_grad():
        outputs = network.forward_layers(x)
        assert torch.equal(outputs[-1], network(x))
    top = [row for row in rows if row["depth"] == 0]
    assert [[2, *row["output_shape"]] for row in top] == [list(out.shape) for out in outputs]
    assert {row["path"]: [2, *row["output_shape"]] for row in rows} == seen
    assert sum(row["params"] for row in rows) == _torch_count(network) == count_params(spec)
    assert list(outputs[-1].shape[1:]) == output_shape(spec)


# ---------------------------------------------------------------------------------------------------------
# Parameter counts, worked out by hand

HAND_COUNTS = {
    # name: (input shape, layer, parameters)
    "conv 3→6 5×5": ([3, 32, 32], _conv(6, 5), 6 * 3 * 25 + 6),
    "conv without bias": ([3, 32, 32], _conv(6, 5, bias=False), 6 * 3 * 25),
    "conv 2 groups": ([4, 8, 8], _conv(8, 3, groups=2), 8 * (4 // 2) * 9 + 8),
    "depthwise conv": ([4, 8, 8], _conv(4, 3, groups=4), 4 * 1 * 9 + 4),
    "dilated strided conv": ([2, 9, 9], _conv(3, 3, stride=2, dilation=2), 3 * 2 * 9 + 3),
    "linear 400→120": ([400], _linear(120), 400 * 120 + 120),
    "linear on 16×5×5": ([16, 5, 5], _linear(120), 400 * 120 + 120),
    "linear without bias": ([10], _linear(3, bias=False), 30),
    "batchnorm 16 channels": ([16, 4, 4], {"type": "batchnorm"}, 32),
    "batchnorm 10 features": ([10], {"type": "batchnorm"}, 20),
    "prelu shared": ([5, 4, 4], {"type": "prelu"}, 1),
    "prelu per channel": ([5, 4, 4], {"type": "prelu", "per_channel": True}, 5),
    "prelu per feature": ([7], {"type": "prelu", "per_channel": True}, 7),
    "conv_transpose 4→2 3×3": ([4, 5, 5], {"type": "conv_transpose2d", "out_channels": 2, "kernel_size": 3,
                                            "stride": 2}, 4 * 2 * 9 + 2),
    "conv_transpose without bias": ([4, 5, 5], {"type": "conv_transpose2d", "out_channels": 2,
                                                 "kernel_size": 3, "bias": False}, 4 * 2 * 9),
    "maxpool": ([3, 8, 8], {"type": "maxpool2d", "kernel_size": 2}, 0),
    "avgpool": ([3, 8, 8], {"type": "avgpool2d", "kernel_size": 2}, 0),
    "upsample": ([3, 4, 4], {"type": "upsample"}, 0),
    "dropout": ([5], {"type": "dropout"}, 0),
    "flatten": ([3, 4, 4], {"type": "flatten"}, 0),
    "unflatten": ([12], {"type": "unflatten", "shape": [3, 2, 2]}, 0),
    "relu": ([5], {"type": "relu"}, 0),
    "leaky_relu": ([5], {"type": "leaky_relu"}, 0),
    "residual, identity skip": ([4, 6, 6], {"type": "residual", "layers": [_conv(4, 3, padding=1)]},
                                4 * 4 * 9 + 4),
    # body conv 4→8 with stride 2, plus a strided 1×1 projection conv 4→8 with bias
    "residual, conv projection": ([4, 8, 8],
                                  {"type": "residual", "layers": [_conv(8, 3, stride=2, padding=1)]},
                                  (8 * 4 * 9 + 8) + (4 * 8 + 8)),
    "residual, linear projection": ([6], {"type": "residual", "layers": [_linear(3)]}, (6 * 3 + 3) * 2),
    "branches": ([3, 8, 8], {"type": "branches", "branches": [
        [_conv(4, 1)], [_conv(2, 3, padding=1), {"type": "relu"}], [{"type": "maxpool2d", "kernel_size": 3,
                                                                     "stride": 1, "padding": 1}]]},
                 (4 * 3 + 4) + (2 * 3 * 9 + 2)),
}


@pytest.mark.parametrize("name", HAND_COUNTS)
def test_parameter_count_matches_hand_count_and_torch(name):
    input_shape, layer, expected = HAND_COUNTS[name]
    spec = _spec(input_shape, layer)
    assert count_params(spec) == expected
    assert _torch_count(build(spec)) == expected
    _assert_summary_matches_forward(spec)


def test_residual_projection_is_a_strided_one_by_one_conv():
    spec = _spec([4, 8, 8], {"type": "residual", "layers": [_conv(8, 3, stride=2, padding=1)]})
    shortcut = build(spec)[0].shortcut
    assert isinstance(shortcut, nn.Conv2d)
    assert (shortcut.in_channels, shortcut.out_channels) == (4, 8)
    assert shortcut.kernel_size == (1, 1) and shortcut.stride == (2, 2)
    rows = summarize(spec)
    # the block row holds only the projection; its body's conv is the nested row
    assert [(r["path"], r["depth"], r["params"]) for r in rows] == [("0", 0, 40), ("0 › 0", 1, 296)]
    assert rows[0]["output_shape"] == [8, 4, 4]


def test_residual_with_matching_shapes_adds_the_input_unchanged():
    spec = _spec([2, 5, 5], {"type": "residual", "layers": [_conv(2, 3, padding=1)]})
    network = build(spec)
    assert isinstance(network[0].shortcut, nn.Identity)
    body = network[0].body[0]
    x = torch.randn(2, 2, 5, 5)
    assert torch.allclose(network(x), body(x) + x)


def test_branches_concatenate_channels_in_order():
    spec = _spec([3, 8, 8], HAND_COUNTS["branches"][1])
    network = build(spec).eval()
    x = torch.randn(2, 3, 8, 8)
    out = network(x)
    assert output_shape(spec) == [4 + 2 + 3, 8, 8] == list(out.shape[1:])
    stacks = network[0].branches
    assert torch.equal(out[:, :4], stacks[0](x))
    assert torch.equal(out[:, 6:], nn.functional.max_pool2d(x, 3, 1, 1))


@pytest.mark.parametrize("name,spec", PRESET_SPECS, ids=[name for name, _ in PRESET_SPECS])
def test_preset_summary_matches_built_module(name, spec):
    _assert_summary_matches_forward(spec)


# ---------------------------------------------------------------------------------------------------------
# LeNet-5 and VGG-16: published parameter counts

LENET_ROWS = [  # (type, output shape, parameters) on 1×28×28
    ("conv2d", [6, 28, 28], 6 * 1 * 25 + 6),
    ("relu", [6, 28, 28], 0),
    ("maxpool2d", [6, 14, 14], 0),
    ("conv2d", [16, 10, 10], 16 * 6 * 25 + 16),
    ("relu", [16, 10, 10], 0),
    ("maxpool2d", [16, 5, 5], 0),
    ("linear", [120], 16 * 5 * 5 * 120 + 120),
    ("relu", [120], 0),
    ("linear", [84], 120 * 84 + 84),
    ("relu", [84], 0),
    ("linear", [10], 84 * 10 + 10),
]


def test_lenet5_has_the_classic_shapes_and_61706_parameters():
    spec = preset("lenet5", input_shape=[1, 28, 28], outputs=10)
    rows = summarize(spec)
    assert [(r["type"], r["output_shape"], r["params"]) for r in rows] == LENET_ROWS
    assert [r["input_shape"] for r in rows[1:]] == [r["output_shape"] for r in rows[:-1]]
    assert count_params(spec) == 61_706 == _torch_count(build(spec))


def _vgg16() -> dict:
    layers = []
    for width, convs in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(convs):
            layers += [_conv(width, 3, padding=1), {"type": "relu"}]
        layers.append({"type": "maxpool2d", "kernel_size": 2})
    for _ in range(2):
        layers += [_linear(4096), {"type": "relu"}, {"type": "dropout"}]
    return _spec([3, 224, 224], *layers, _linear(1000))


def test_vgg16_is_tabulated_quickly_without_building_weights():
    spec = _vgg16()
    start = time.perf_counter()
    rows = summarize(spec)
    total = count_params(spec)
    assert time.perf_counter() - start < 1.0
    assert total == 138_357_544
    assert rows[-2]["output_shape"] == [4096] and rows[-1]["output_shape"] == [1000]
    pool5 = [r for r in rows if r["type"] == "maxpool2d"][-1]
    assert pool5["output_shape"] == [512, 7, 7]
    assert [r for r in rows if r["type"] == "linear"][0]["params"] == 512 * 7 * 7 * 4096 + 4096


def test_build_refuses_networks_over_the_parameter_cap_before_allocating():
    spec = preset("lenet5", input_shape=[1, 28, 28], outputs=10)
    with pytest.raises(SpecError, match=r"61,706 parameters.*\(1,000\)") as info:
        build(spec, max_params=1000)
    assert info.value.key == "layers"
    assert _torch_count(build(spec, max_params=61_706)) == 61_706
    start = time.perf_counter()
    with pytest.raises(SpecError, match="138,357,544 parameters"):
        build(_vgg16())  # over the installation's default cap of 5 million
    assert time.perf_counter() - start < 1.0


# ---------------------------------------------------------------------------------------------------------
# Output shapes over a grid of sliding-window settings


def _sliding(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output size of a sliding window, written independently of the library: floor division by hand."""
    return math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1


def test_conv_output_shapes_over_a_grid_match_formula_and_torch():
    built = refused = 0
    for kernel in (1, 2, 3, 5):
        for stride in (1, 2, 3):
            for padding in (0, 1, 2):
                for dilation in (1, 2):
                    layer = _conv(3, kernel, stride=stride, padding=padding, dilation=dilation)
                    spec = _spec([2, 5, 9], layer)
                    sizes = [_sliding(n, kernel, stride, padding, dilation) for n in (5, 9)]
                    if min(sizes) < 1:
                        with pytest.raises(SpecError, match="kernel_size") as info:
                            summarize(spec)
                        assert info.value.key == "kernel_size"
                        refused += 1
                        continue
                    assert output_shape(spec) == [3, *sizes]
                    _assert_summary_matches_forward(spec)
                    built += 1
    assert built > 0 and refused > 0


@pytest.mark.parametrize("kind", ["maxpool2d", "avgpool2d"])
def test_pool_output_shapes_over_a_grid_match_formula_and_torch(kind):
    for kernel in (1, 2, 3, 4):
        for stride in (None, 1, 2, 3):
            for padding in range(0, kernel // 2 + 1):
                layer = {"type": kind, "kernel_size": kernel, "stride": stride, "padding": padding}
                spec = _spec([2, 6, 7], layer)
                sizes = [_sliding(n, kernel, stride or kernel, padding) for n in (6, 7)]
                assert output_shape(spec) == [2, *sizes]
                _assert_summary_matches_forward(spec)


def test_conv_transpose_output_shapes_over_a_grid_match_formula_and_torch():
    for kernel in (1, 2, 3, 4):
        for stride in (1, 2, 3):
            for padding in (0, 1):
                for output_padding in range(stride):
                    layer = {"type": "conv_transpose2d", "out_channels": 2, "kernel_size": kernel,
                             "stride": stride, "padding": padding, "output_padding": output_padding}
                    spec = _spec([3, 3, 4], layer)
                    sizes = [(n - 1) * stride - 2 * padding + kernel + output_padding for n in (3, 4)]
                    if min(sizes) < 1:
                        with pytest.raises(SpecError, match="padding"):
                            summarize(spec)
                        continue
                    assert output_shape(spec) == [2, *sizes]
                    _assert_summary_matches_forward(spec)


@pytest.mark.parametrize("mode,pad,ok", [("reflect", 3, True), ("reflect", 4, False), ("circular", 4, True),
                                         ("circular", 5, False), ("replicate", 3, True)])
def test_padding_modes_refuse_padding_torch_cannot_do(mode, pad, ok):
    spec = _spec([1, 4, 6], _conv(2, 3, padding=pad, padding_mode=mode))
    if ok:
        _assert_summary_matches_forward(spec)
    else:
        with pytest.raises(SpecError, match=f"{mode} padding {pad} is too large") as info:
            summarize(spec)
        assert info.value.key == "padding"


# ---------------------------------------------------------------------------------------------------------
# Error messages


def _error(spec) -> SpecError:
    with pytest.raises(SpecError) as info:
        validate(spec)
    # every entry point refuses the same spec with the same message
    for check in (summarize, output_shape, count_params, build):
        with pytest.raises(SpecError) as again:
            check(spec)
        assert str(again.value) == str(info.value)
    return info.value


def test_kernel_larger_than_input_names_the_layer_and_key():
    e = _error(_spec([1, 4, 4], {"type": "relu"}, _conv(2, 5)))
    assert str(e).startswith("Layer 1 (conv2d):")
    assert "kernel_size 5 is larger than its input (4 with padding 0)" in str(e)
    assert (e.index, e.path, e.key) == (1, "1", "kernel_size")


def test_dilated_kernel_reports_its_reach():
    e = _error(_spec([1, 4, 4], _conv(2, 3, dilation=2)))
    assert "kernel_size 3 (reaching 5 with dilation 2)" in str(e)


def test_missing_key_is_named_with_its_help():
    e = _error(_spec([1, 8, 8], {"type": "conv2d", "kernel_size": 3}))
    assert str(e) == "Layer 0 (conv2d): missing key 'out_channels' (number of filters)"
    assert (e.index, e.path, e.key) == (0, "0", "out_channels")


def test_unknown_key_is_named_and_allowed_keys_listed():
    e = _error(_spec([4], _linear(3, units=4)))
    assert str(e) == "Layer 0 (linear): unknown key 'units' (allowed keys: out_features, bias)"
    assert (e.index, e.key) == (0, "units")
    e = _error(_spec([4], {"type": "relu", "inplace": True}))
    assert "unknown key 'inplace' (allowed keys: none)" in str(e)


def test_unknown_type_lists_every_known_type():
    e = _error(_spec([4], {"type": "dense", "units": 3}))
    assert "unknown type 'dense'" in str(e) and (e.index, e.key) == (0, "type")
    assert all(name in str(e) for name in LAYERS)


@pytest.mark.parametrize("layer,key,fragment", [
    (_conv(-3, 3), "out_channels", "out_channels must be at least 1, got -3"),
    (_conv(3, 3, padding=-1), "padding", "padding must be at least 0, got -1"),
    (_conv(3, 0), "kernel_size", "kernel_size must be at least 1, got 0"),
    (_conv(3, 100), "kernel_size", "kernel_size must be at most 64, got 100"),
    (_conv("3", 3), "out_channels", "out_channels must be a whole number, got '3'"),
    (_conv(True, 3), "out_channels", "out_channels must be a whole number, got True"),
    (_conv(2.5, 3), "out_channels", "out_channels must be a whole number, got 2.5"),
    (_conv(None, 3), "out_channels", "out_channels must be a whole number, got None"),
    (_conv(3, 3, bias=1), "bias", "bias must be true or false, got 1"),
    (_conv(3, 3, padding_mode="mirror"), "padding_mode", "padding_mode must be one of zeros, reflect"),
    ({"type": "dropout", "p": "0.5"}, "p", "p must be a number, got '0.5'"),
    ({"type": "dropout", "p": 1.5}, "p", "p must be at most 0.99, got 1.5"),
    ({"type": "dropout", "p": float("nan")}, "p", "p must be a number, got nan"),
    ({"type": "dropout", "p": 10**400}, "p", "p must be a number"),
    ({"type": "leaky_relu", "negative_slope": False}, "negative_slope", "must be a number, got False"),
    ({"type": "maxpool2d", "kernel_size": 2, "padding": 2}, "padding", "may be at most half of kernel_size"),
    ({"type": "conv_transpose2d", "out_channels": 2, "kernel_size": 3, "stride": 2, "output_padding": 2},
     "output_padding", "output_padding 2 must be smaller than stride 2"),
    (_conv(4, 3, groups=2), "groups", "groups 2 must divide both the input channels (3)"),
    ({"type": "residual", "layers": []}, "layers", "layers must be a non-empty list of layers"),
    ({"type": "branches", "branches": [[]]}, "branches", "must be a list of 1 to 8 non-empty lists"),
])
def test_bad_values_name_the_key(layer, key, fragment):
    e = _error(_spec([3, 8, 8], layer))
    assert fragment in str(e)
    assert (e.index, e.key) == (0, key) and str(e).startswith(f"Layer 0 ({layer['type']}): ")


def test_whole_number_floats_are_accepted_as_ints():
    spec = _spec([3, 8, 8], _conv(4.0, 3.0))
    assert validate(spec)["layers"][0]["out_channels"] == 4
    assert type(validate(spec)["layers"][0]["kernel_size"]) is int
    assert output_shape(spec) == [4, 6, 6]


@pytest.mark.parametrize("layer", [{"type": []}, {"type": {"a": 1}}, {"type": 3}, {"type": None}, {}])
def test_odd_type_values_are_spec_errors(layer):
    e = _error(_spec([4], layer))
    assert (e.index, e.key) == (0, "type") and str(e).startswith("Layer 0")


@pytest.mark.parametrize("layer", ["relu", None, 3, ["relu"]])
def test_layers_that_are_not_objects_are_refused(layer):
    e = _error(_spec([4], {"type": "relu"}, layer))
    assert str(e).startswith("Layer 1 must be an object like {\"type\": \"relu\"}")
    assert (e.index, e.path) == (1, "1")


def test_conv_after_flat_input_suggests_unflatten():
    e = _error(_spec([784], _conv(6, 5)))
    assert "conv2d needs an image-shaped input [C, H, W] but gets [784]" in str(e)
    assert "add an 'unflatten' layer first" in str(e)
    assert e.index == 0
    fixed = _spec([784], {"type": "unflatten", "shape": [1, 28, 28]}, _conv(6, 5))
    assert output_shape(fixed) == [6, 24, 24]


def test_unflatten_with_the_wrong_product_says_both_sizes():
    e = _error(_spec([10], {"type": "unflatten", "shape": [1, 3, 3]}))
    assert "shape [1, 3, 3] holds 9 values but the input has 10" in str(e)
    assert e.key == "shape"
    e = _error(_spec([9], {"type": "unflatten", "shape": [1, 3]}))
    assert "three positive whole numbers" in str(e)


def test_residual_whose_shapes_cannot_be_joined():
    e = _error(_spec([4, 8, 8], {"type": "residual", "layers": [{"type": "flatten"}]}))
    assert "cannot join an input of shape [4, 8, 8] to an output of shape [256]" in str(e)
    assert (e.index, e.key) == (0, "layers")
    e = _error(_spec([4, 8, 8], {"type": "residual", "layers": [{"type": "upsample"}]}))
    assert "cannot shrink 8×8 to 16×16" in str(e)


def test_branches_with_different_heights_cannot_be_concatenated():
    layer = {"type": "branches", "branches": [[_conv(2, 1)], [_conv(2, 3)]]}
    e = _error(_spec([1, 8, 8], {"type": "relu"}, layer))
    assert "branch outputs [2, 8, 8], [2, 6, 6] cannot be concatenated" in str(e)
    assert (e.index, e.key) == (1, "branches")
    e = _error(_spec([1, 8, 8], {"type": "branches", "branches": [[{"type": "flatten"}], [_conv(2, 1)]]}))
    assert "cannot be concatenated" in str(e)


def test_nested_errors_give_the_full_path():
    inner = {"type": "residual", "layers": [{"type": "relu"}, _conv(2, 9)]}
    e = _error(_spec([1, 8, 8], {"type": "relu"}, {"type": "relu"}, inner))
    assert str(e).startswith("Layer 2 › 1 (conv2d): kernel_size 9")
    assert (e.index, e.path, e.key) == (2, "2 › 1", "kernel_size")
    branches = {"type": "branches", "branches": [[{"type": "relu"}], [{"type": "relu"}, {"type": "nope"}]]}
    e = _error(_spec([1, 8, 8], {"type": "relu"}, branches))
    assert (e.index, e.path, e.key) == (1, "1 › branch 1 › 1", "type")
    deep = {"type": "residual", "layers": [{"type": "residual", "layers": [_linear(3, width=2)]}]}
    e = _error(_spec([3], deep))
    assert str(e).startswith("Layer 0 › 0 › 0 (linear): unknown key 'width'")
    assert (e.index, e.path, e.key) == (0, "0 › 0 › 0", "width")


def test_blocks_nest_at_most_four_deep():
    layer = {"type": "relu"}
    for _ in range(4):
        layer = {"type": "residual", "layers": [layer]}
    assert output_shape(_spec([3], layer)) == [3]
    e = _error(_spec([3], {"type": "residual", "layers": [layer]}))
    assert "nested at most 4 deep" in str(e)


@pytest.mark.parametrize("spec,fragment,key", [
    ([], "A spec must be an object", None),
    ({"layers": [{"type": "relu"}]}, "The spec has no 'input_shape'", "input_shape"),
    ({"input_shape": [2]}, "The spec has no 'layers'", "layers"),
    (_spec([2]), "'layers' must be a non-empty list", "layers"),
    ({"input_shape": [2], "layers": {"type": "relu"}}, "'layers' must be a non-empty list", "layers"),
    (_spec([2], *[{"type": "relu"}] * 201), "at most 200 layers, this one has 201", "layers"),
    ({"input_shape": [2], "layers": [{"type": "relu"}], "seed": 1}, "Unknown key 'seed'", "seed"),
    (_spec([0], {"type": "relu"}), "input_shape must be [features], [T, F] (time steps × features) or [C, H, W]",
     "input_shape"),
    (_spec([1, 2, 3, 4], {"type": "relu"}), "input_shape must be", "input_shape"),
    ({"input_shape": "28", "layers": [{"type": "relu"}]}, "input_shape must be", "input_shape"),
    (_spec([True], {"type": "relu"}), "input_shape must be", "input_shape"),
    (_spec([2.0], {"type": "relu"}), "input_shape must be", "input_shape"),
    (_spec([1025, 8, 8], {"type": "relu"}), "too large (at most 1024 channels", "input_shape"),
    (_spec([1, 2000, 8], {"type": "relu"}), "too large", "input_shape"),
    (_spec([5_000_000], {"type": "relu"}), "input_shape [5000000] is too large", "input_shape"),
])
def test_top_level_errors(spec, fragment, key):
    e = _error(spec)
    assert fragment in str(e)
    assert e.key == key and e.index is None


def test_huge_activations_are_refused_by_the_layer_that_makes_them():
    spec = _spec([3, 512, 512], _conv(64, 3, padding=1))  # 64 · 512² ≈ 16.8 M values per example
    e = _error(spec)
    assert "its output holds 16,777,216 values per example, more than the limit of 4,000,000" in str(e)
    assert e.index == 0


# ---------------------------------------------------------------------------------------------------------
# Lenient summaries, canonical specs and activations


def test_lenient_summary_marks_the_bad_layer_and_blanks_the_rest():
    spec = _spec([1, 8, 8], _conv(4, 3), {"type": "relu"}, _conv(4, 9), {"type": "flatten"}, _linear(10))
    rows = summarize(spec, strict=False)
    assert [r["index"] for r in rows] == [0, 1, 2, 3, 4]
    assert [r["output_shape"] for r in rows[:2]] == [[4, 6, 6], [4, 6, 6]]
    assert rows[0]["params"] == 4 * 9 + 4 and rows[0]["error"] is None and rows[1]["error"] is None
    assert rows[2]["error"].startswith("Layer 2 (conv2d): kernel_size 9 is larger than its input")
    assert rows[2]["input_shape"] == [4, 6, 6]
    assert rows[2]["output_shape"] is None and rows[2]["params"] is None
    assert all(r["input_shape"] is r["output_shape"] is r["params"] is None for r in rows[3:])
    assert [r["type"] for r in rows] == ["conv2d", "relu", "conv2d", "flatten", "linear"]
    assert all(r["error"] is None for r in rows[3:])
    with pytest.raises(SpecError):
        summarize(spec)


def test_lenient_summary_copes_with_garbage_layers_but_not_a_bad_top_level():
    rows = summarize(_spec([4], {"type": "relu"}, {"type": ["relu"]}, "junk"), strict=False)
    assert rows[0]["error"] is None and "unknown type" in rows[1]["error"]
    assert rows[1]["family"] == rows[2]["family"] == "unknown"
    with pytest.raises(SpecError, match="input_shape"):
        summarize(_spec([0], {"type": "relu"}), strict=False)


def test_lenient_summary_of_a_valid_spec_equals_the_strict_one():
    for _, spec in PRESET_SPECS:
        assert summarize(spec, strict=False) == summarize(spec)


def test_validate_fills_every_default():
    spec = {"name": "demo", "input_shape": [1, 8, 8],
            "layers": [_conv(4, 3), {"type": "maxpool2d", "kernel_size": 2}, {"type": "dropout"},
                       {"type": "residual", "layers": [{"type": "leaky_relu"}]}, _linear(3)]}
    assert validate(spec) == {"name": "demo", "input_shape": [1, 8, 8], "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "stride": 1, "padding": 0, "dilation": 1,
         "groups": 1, "bias": True, "padding_mode": "zeros"},
        {"type": "maxpool2d", "kernel_size": 2, "stride": None, "padding": 0},
        {"type": "dropout", "p": 0.5},
        {"type": "residual", "layers": [{"type": "leaky_relu", "negative_slope": 0.01}]},
        {"type": "linear", "out_features": 3, "bias": True},
    ]}


def test_validate_does_not_change_its_argument():
    spec = _spec([3], {"type": "residual", "layers": [_linear(3)]})
    before = copy.deepcopy(spec)
    validate(spec)
    build(spec)
    assert spec == before


NESTED_SPEC = _spec(
    [3, 8, 8],
    {"type": "branches", "branches": [
        [_conv(4, 3, padding=1)],
        [{"type": "residual", "layers": [_conv(3, 1), {"type": "prelu", "per_channel": True}]}]]},
    {"type": "unflatten", "shape": [7, 4, 16]}, {"type": "avgpool2d", "kernel_size": 2}, _linear(5))


@pytest.mark.parametrize("spec", [s for _, s in PRESET_SPECS] + [NESTED_SPEC])
def test_validate_is_idempotent_and_survives_json(spec):
    canonical = validate(spec)
    assert validate(canonical) == canonical
    assert json.loads(json.dumps(canonical)) == canonical
    assert json.loads(json.dumps(spec)) == spec
    assert validate(json.loads(json.dumps(spec))) == canonical
    assert build(spec).spec == canonical
    assert summarize(canonical) == summarize(spec)


def test_network_indexes_one_module_per_spec_layer():
    network = build(NESTED_SPEC)
    assert isinstance(network, Network) and len(network) == len(NESTED_SPEC["layers"])
    assert isinstance(network[3], nn.Linear) and network[3].out_features == 5
    _assert_summary_matches_forward(NESTED_SPEC)


ACTIVATION_TYPES = [name for name, kind in LAYERS.items() if kind.family == "activation"]


def test_each_activation_is_its_own_module_and_none_is_in_place():
    layers = [{"type": name} for name in ACTIVATION_TYPES for _ in range(2)]
    layers.append({"type": "residual", "layers": [{"type": "relu"}, {"type": "relu"}]})
    network = build(_spec([4], *layers))
    modules = list(network.modules())
    assert len({id(m) for m in modules}) == len(modules)
    assert network[0] is not network[1] and isinstance(network[0], nn.ReLU)
    assert network[0] is not network[-1].body[0]
    with_inplace = [m for m in modules if hasattr(m, "inplace")]
    assert {type(m) for m in with_inplace} >= {nn.ReLU, nn.LeakyReLU}
    assert all(m.inplace is False for m in with_inplace)
    x = torch.randn(2, 4)
    kept = x.clone()
    network(x)
    assert torch.equal(x, kept)


def test_activation_registry_is_complete():
    assert set(ACTIVATION_TYPES) == {"relu", "sigmoid", "tanh", "gelu", "softmax", "identity", "leaky_relu",
                                     "prelu"}


# ---------------------------------------------------------------------------------------------------------
# Random specs: each either builds and runs with the predicted shape, or raises SpecError

SMALL_INTS = {"out_features": 6, "out_channels": 5, "kernel_size": 5, "stride": 3, "padding": 3,
              "dilation": 2, "groups": 4, "output_padding": 2, "scale_factor": 3}

NASTY = [None, True, False, -1, -7, 0, "3", "relu", "", 2.5, -0.5, float("nan"), float("inf"), 10**400,
         -10**400, [], {}, [3], {"type": "relu"}, [[None]]]

GARBAGE = st.recursive(
    st.sampled_from(NASTY) | st.integers(-10, 10**20) | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)


def _values(name: str, setting, layers: st.SearchStrategy) -> st.SearchStrategy:
    """Plausible values for one setting: small and mostly in range."""
    kind = setting.kind
    if kind == "int":
        values = st.integers(int(setting.low), min(int(setting.high), SMALL_INTS.get(name, 4)))
    elif kind == "float":
        values = st.floats(setting.low, setting.high)
    elif kind == "bool":
        values = st.booleans()
    elif kind == "choice":
        values = st.sampled_from(setting.choices)
    elif kind == "shape":
        values = st.lists(st.integers(1, 4), min_size=3, max_size=3)
    elif kind == "layers":
        values = st.lists(layers, min_size=1, max_size=3)
    else:  # branches
        values = st.lists(st.lists(layers, min_size=1, max_size=2), min_size=1, max_size=3)
    return values | st.none() if setting.optional else values


def _layers_of(names: list[str], layers: st.SearchStrategy) -> st.SearchStrategy:
    def one(name):
        settings_ = LAYERS[name].settings
        required = {k: _values(k, s, layers) for k, s in settings_.items() if s.default is REQUIRED}
        optional = {k: _values(k, s, layers) for k, s in settings_.items() if s.default is not REQUIRED}
        return st.fixed_dictionaries({"type": st.just(name), **required}, optional=optional)

    return st.sampled_from(names).flatmap(one)


LEAF_TYPES = [name for name, kind in LAYERS.items() if kind.family != "block"]  # linear first: fits any input
BLOCK_TYPES = [name for name, kind in LAYERS.items() if kind.family == "block"]
# Types that usually fit an image, and types that usually fit flat features: specs made of an image stage
# then a flat stage are mostly valid, so the forward-pass half of the property gets exercised often.
IMAGE_STAGE = ["conv2d", "conv_transpose2d", "maxpool2d", "avgpool2d", "upsample", "batchnorm", "dropout",
               *ACTIVATION_TYPES]
FLAT_STAGE = ["linear", "batchnorm", "dropout", "flatten", *ACTIVATION_TYPES]


def _weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """Draw from one of `choices`, picked with the given integer weights."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


def _mutations(layer: dict) -> st.SearchStrategy:
    """One thing wrong with a plausible layer: a key dropped, added or given a bad value, or a bad type."""
    keys = sorted(layer)
    known = keys + sorted(LAYERS[layer["type"]].settings)
    def setting(key_value):
        return {**layer, key_value[0]: key_value[1]}

    odd_types = ["Linear", "dense", "conv3d", " relu", *NASTY]
    return _weighted(
        (2, st.sampled_from(keys).map(lambda k: {key: v for key, v in layer.items() if key != k})),
        (2, st.tuples(st.sampled_from(known), GARBAGE).map(setting)),
        (3, st.tuples(st.sampled_from(known), st.sampled_from(NASTY)).map(setting)),
        (1, st.tuples(st.text(max_size=6), GARBAGE).map(setting)),
        (3, st.tuples(st.just("type"), st.sampled_from(odd_types)).map(setting)),
        (1, GARBAGE),  # not a layer object at all
    )


def _layer_strategy(names: list[str], depth: int, *, broken: bool = False) -> st.SearchStrategy:
    """Layers of the types `names` or blocks of them, nested at most `depth` deep; with `broken`,
    one layer in three (at any depth) is malformed."""
    leaf = _layers_of(names, st.nothing())
    if depth == 0:
        plausible = leaf
    else:
        block = _layers_of(BLOCK_TYPES, _layer_strategy(names, depth - 1, broken=broken))
        plausible = _weighted((5, leaf), (1, block))
    return _weighted((2, plausible), (1, plausible.flatmap(_mutations))) if broken else plausible


IMAGE_LAYER = _layer_strategy(IMAGE_STAGE, 2)
FLAT_LAYER = _layer_strategy(FLAT_STAGE, 2)
ANY_LAYER = _layer_strategy(LEAF_TYPES, 2)

FLAT_SHAPES = st.builds(lambda n: [n], st.integers(1, 12) | st.sampled_from([16, 18, 27, 32, 36, 48]))
IMAGE_SHAPES_ST = st.tuples(st.integers(1, 4), st.integers(1, 10), st.integers(1, 10)).map(list)
INPUT_SHAPES = FLAT_SHAPES | IMAGE_SHAPES_ST
BAD_INPUT_SHAPES = GARBAGE | st.lists(st.sampled_from(NASTY) | st.integers(-3, 5), min_size=1, max_size=4)


def _spec_of(shapes: st.SearchStrategy, *stages: st.SearchStrategy) -> st.SearchStrategy:
    """Specs on `shapes` whose layers are the stages' lists, one after the other."""
    layers = st.tuples(*stages).map(lambda lists: [layer for stage in lists for layer in stage])
    return st.fixed_dictionaries({"input_shape": shapes, "layers": layers.filter(bool)})


def _decoder_specs(chw: list[int]) -> st.SearchStrategy:
    unflatten = st.just([{"type": "unflatten", "shape": chw}])
    return _spec_of(st.just([math.prod(chw)]), unflatten, st.lists(IMAGE_LAYER, max_size=3))


PLAUSIBLE_SPECS = _weighted(
    (3, _spec_of(IMAGE_SHAPES_ST, st.lists(IMAGE_LAYER, min_size=1, max_size=4),
                 st.lists(FLAT_LAYER, max_size=3))),
    (1, _spec_of(FLAT_SHAPES, st.lists(FLAT_LAYER, min_size=1, max_size=5))),
    (1, st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5)).map(list).flatmap(_decoder_specs)),
    (2, _spec_of(INPUT_SHAPES, st.lists(ANY_LAYER, min_size=1, max_size=6))),
)


def _top_level_mutations(spec: dict) -> st.SearchStrategy:
    """A plausible spec with 'input_shape' or 'layers' set to None or dropped, or an extra key."""
    keys = sorted(spec)
    return st.one_of(
        st.sampled_from(keys).map(lambda k: {**spec, k: None}),
        st.sampled_from(keys).map(lambda k: {key: v for key, v in spec.items() if key != k}),
        st.tuples(st.text(max_size=6), GARBAGE).map(lambda kv: {**spec, kv[0]: kv[1]}),
    )


BROKEN_LAYERS = st.lists(_layer_strategy(LEAF_TYPES, 2, broken=True), min_size=1, max_size=5)
BROKEN_SPECS = _weighted(
    (6, _spec_of(INPUT_SHAPES, BROKEN_LAYERS)),
    (1, st.fixed_dictionaries({"input_shape": BAD_INPUT_SHAPES, "layers": st.lists(ANY_LAYER, max_size=3)})),
    (1, st.fixed_dictionaries({"input_shape": INPUT_SHAPES, "layers": GARBAGE})),
    (3, PLAUSIBLE_SPECS.flatmap(_top_level_mutations)),
    (1, GARBAGE),
)
ALL_SPECS = _weighted((3, PLAUSIBLE_SPECS), (2, BROKEN_SPECS))


def _build_and_run(spec) -> str:
    """'built' if `spec` builds and runs with the predicted shapes, 'refused' if it raises SpecError."""
    try:
        network = build(spec)
    except SpecError as e:
        if "more than this installation allows" not in str(e):
            with pytest.raises(SpecError):
                summarize(spec)
        return "refused"
    network.eval()
    first = spec["layers"][0]
    if first.get("type") == "embedding":  # token ids
        x = torch.randint(0, first["num_embeddings"], (2, *spec["input_shape"])).float()
    else:
        x = torch.randn(2, *spec["input_shape"])
    with torch.no_grad():
        outputs = network.forward_layers(x)
    top = [row for row in summarize(spec) if row["depth"] == 0]
    assert [[2, *row["output_shape"]] for row in top] == [list(out.shape) for out in outputs]
    assert list(outputs[-1].shape[1:]) == output_shape(spec)
    assert count_params(spec) == _torch_count(network)
    assert validate(network.spec) == network.spec
    return "built"


def test_random_specs_build_and_run_or_raise_spec_error():
    outcomes = Counter()

    @settings(deadline=None, derandomize=True, max_examples=300, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(spec=ALL_SPECS)
    def check(spec):
        outcomes[_build_and_run(spec)] += 1

    check()
    # both outcomes are exercised often, so the property is not vacuous
    assert outcomes["built"] >= 60 and outcomes["refused"] >= 60, outcomes
