"""Tests for playground.cnn_lab.gallery, and for the residual `shortcut` setting it relies on.

The reference is torchvision: its models are built with `weights=None` (nothing is downloaded), their
parameters counted, their stage outputs recorded with forward hooks, and, for the networks small
enough to build here, their weights copied into ours so that both must compute the same outputs.
"""

from __future__ import annotations

import functools
import itertools
import json
import time

import pytest
import torch
import torchvision
from torch import nn

from playground import figures
from playground.checkpoints import checkpoint_bytes, load_checkpoint
from playground.cnn_lab.gallery import ARCHITECTURES, diagram_rows, register_architecture, summary_table, total_params
from playground.cnn_lab.gallery import output_shape as gallery_output_shape
from playground.models import SpecError, build, count_params, output_shape, summarize, validate

COMPARED = [name for name, arch in ARCHITECTURES.items() if arch.torchvision]
SMALL = ["LeNet-5", "ResNet basic block", "GoogLeNet inception block"]


@functools.cache
def _torchvision_model(builder: str) -> nn.Module:
    """torchvision's model with random weights, in eval mode; built once per test session."""
    extra = {"aux_logits": False, "init_weights": False} if builder == "googlenet" else {}
    torch.manual_seed(0)
    return getattr(torchvision.models, builder)(weights=None, **extra).eval()


def _reference(name: str) -> list[nn.Module]:
    """The torchvision modules that architecture `name` reproduces: the whole model or some parts of it."""
    arch = ARCHITECTURES[name]
    model = _torchvision_model(arch.torchvision)
    return [model.get_submodule(part) for part in arch.torchvision_parts] or [model]


def _count(modules: list[nn.Module]) -> int:
    return sum(p.numel() for module in modules for p in module.parameters())


def _copy_weights(sources: list[nn.Module], target: nn.Module) -> None:
    """Copy every parameter and buffer of `sources`, in order, into `target`; their shapes must agree."""
    theirs = [t for module in sources for t in module.state_dict().values()]
    ours = target.state_dict()
    assert [tuple(t.shape) for t in theirs] == [tuple(t.shape) for t in ours.values()]
    target.load_state_dict(dict(zip(ours, theirs, strict=True)))


def _shake_batchnorm(modules: list[nn.Module]) -> None:
    """Give batch norms non-trivial statistics and affine weights, so that copying them is tested."""
    generator = torch.Generator().manual_seed(1)
    for module in modules:
        for bn in module.modules():
            if isinstance(bn, nn.BatchNorm2d):
                n = bn.num_features
                with torch.no_grad():
                    bn.weight.copy_(0.5 + torch.rand(n, generator=generator))
                    bn.bias.copy_(0.2 * torch.randn(n, generator=generator))
                    bn.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
                    bn.running_var.copy_(0.5 + torch.rand(n, generator=generator))


def _hooked_shapes(model: nn.Module, names: list[str], x: torch.Tensor) -> list[list[int]]:
    """The output shape (without the batch) of each submodule in `names` for input `x`."""
    seen = {}
    handles = [model.get_submodule(n).register_forward_hook(
        lambda m, i, out, n=n: seen.__setitem__(n, list(out.shape[1:]))) for n in names]
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return [seen[n] for n in names]


def _top_rows(name: str, layer_type: str) -> list[dict]:
    return [row for row in summary_table(name) if row["depth"] == 0 and row["type"] == layer_type]


# ---------------------------------------------------------------------------------------------------------
# The registry


def test_every_entry_is_complete_and_valid():
    assert list(ARCHITECTURES) == ["LeNet-5", "AlexNet", "VGG-16", "ResNet basic block", "ResNet-18",
                                   "GoogLeNet inception block"]
    for name, arch in ARCHITECTURES.items():
        assert arch.name == name == arch.spec["name"]
        assert 1989 <= arch.year <= 2016 and arch.paper and arch.description.count(". ") >= 1
        assert validate(json.loads(json.dumps(arch.spec))) == validate(arch.spec)
        assert total_params(name) == count_params(arch.spec) == arch.expected_params


def test_registering_a_name_twice_is_refused():
    with pytest.raises(ValueError, match="'LeNet-5' is already registered"):
        register_architecture("LeNet-5", year=1998, description="", paper="")(lambda: {})
    assert ARCHITECTURES["LeNet-5"].expected_params == 61_706


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="known: LeNet-5, AlexNet"):
        summary_table("LeNet-6")


# ---------------------------------------------------------------------------------------------------------
# Parameter counts


def test_lenet5_count_by_hand():
    # conv 1→6 5×5, conv 6→16 5×5, then dense 400→120→84→10, every layer with biases
    by_hand = (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert total_params("LeNet-5") == by_hand == 61_706


@pytest.mark.parametrize("name", COMPARED)
def test_totals_equal_torchvision(name):
    expected = {"AlexNet": 61_100_840, "VGG-16": 138_357_544, "ResNet-18": 11_689_512,
                "ResNet basic block": 73_984 + 230_144, "GoogLeNet inception block": 155_872}
    assert total_params(name) == _count(_reference(name)) == expected[name]


def test_summarize_vgg16_is_fast_and_builds_nothing(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("summarize constructed a module")

    monkeypatch.setattr(nn.Module, "__init__", refuse)
    start = time.perf_counter()
    rows = summary_table("VGG-16")
    assert time.perf_counter() - start < 1.0
    assert sum(row["params"] for row in rows) == 138_357_544


def test_alexnet_is_over_the_default_cap():
    with pytest.raises(SpecError, match="This network has 61,100,840 parameters, more than this installation "
                                        r"allows \(5,000,000\)"):
        build(ARCHITECTURES["AlexNet"].spec)


# ---------------------------------------------------------------------------------------------------------
# Shapes, stage by stage, against torchvision's forward pass


def test_alexnet_stage_shapes():
    stages = _hooked_shapes(_torchvision_model("alexnet"), ["features.2", "features.5", "features", "classifier"],
                            torch.zeros(1, 3, 224, 224))
    assert stages == [[64, 27, 27], [192, 13, 13], [256, 6, 6], [1000]]
    pools = [row["output_shape"] for row in _top_rows("AlexNet", "maxpool2d")]
    assert [*pools, summary_table("AlexNet")[-1]["output_shape"]] == stages


def test_vgg16_stage_shapes():
    pools = [f"features.{i}" for i in (4, 9, 16, 23, 30)]
    stages = _hooked_shapes(_torchvision_model("vgg16"), pools, torch.zeros(1, 3, 224, 224))
    assert stages == [[64, 112, 112], [128, 56, 56], [256, 28, 28], [512, 14, 14], [512, 7, 7]]
    assert [row["output_shape"] for row in _top_rows("VGG-16", "maxpool2d")] == stages


def test_resnet18_stage_shapes():
    names = ["maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
    stages = _hooked_shapes(_torchvision_model("resnet18"), names, torch.zeros(1, 3, 224, 224))
    assert stages[1:5] == [[64, 56, 56], [128, 28, 28], [256, 14, 14], [512, 7, 7]]
    # each stage is two residual blocks: its output is the second one's
    blocks = [row["output_shape"] for row in _top_rows("ResNet-18", "residual")]
    ours = [_top_rows("ResNet-18", "maxpool2d")[0]["output_shape"], *blocks[1::2],
            _top_rows("ResNet-18", "avgpool2d")[0]["output_shape"], summary_table("ResNet-18")[-1]["output_shape"]]
    assert ours == stages


def test_inception_block_output():
    x = torch.zeros(1, 192, 28, 28)
    assert list(_torchvision_model("googlenet").inception3a(x).shape[1:]) == [256, 28, 28]
    spec = ARCHITECTURES["GoogLeNet inception block"].spec
    assert output_shape(spec) == [256, 28, 28]
    branch_ends = [row for row in summary_table("GoogLeNet inception block") if row["type"] == "branches"]
    assert [row["output_shape"] for row in branch_ends] == [[256, 28, 28]]


# ---------------------------------------------------------------------------------------------------------
# Built networks compute what torchvision's do


@pytest.mark.parametrize("name", SMALL)
def test_small_ones_build_and_run(name):
    spec = ARCHITECTURES[name].spec
    network = build(spec).eval()
    assert sum(p.numel() for p in network.parameters()) == total_params(name)
    with torch.no_grad():
        out = network(torch.randn(2, *spec["input_shape"]))
    assert list(out.shape) == [2, *output_shape(spec)]


@pytest.mark.parametrize("name", ["ResNet basic block", "GoogLeNet inception block", "ResNet-18", "AlexNet"])
def test_same_outputs_as_torchvision_with_the_same_weights(name):
    spec = ARCHITECTURES[name].spec
    reference = _reference(name)
    _shake_batchnorm(reference)
    network = build(spec, max_params=100_000_000).eval()
    _copy_weights(reference, network)
    if name == "GoogLeNet inception block":
        for bn in network.modules():
            if isinstance(bn, nn.BatchNorm2d):
                bn.eps = 1e-3  # torchvision's BasicConv2d uses 0.001; it has no parameters, so specs ignore it
    image_shape = [192, 28, 28] if name == "GoogLeNet inception block" else spec["input_shape"]
    x = torch.randn(2, *image_shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = x
        for module in reference:  # the ResNet blocks run one after the other
            expected = module(expected)
        ours = network(x.reshape(2, *spec["input_shape"]))
    torch.testing.assert_close(ours, expected, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------------------------------------
# The residual `shortcut` setting


def _residual(shortcut: str | None, *layers: dict) -> dict:
    block = {"type": "residual", "layers": list(layers)}
    return block if shortcut is None else {**block, "shortcut": shortcut}


STRIDED = {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}


@pytest.mark.parametrize(("shortcut", "projection"), [
    (None, 4 * 8 + 8),            # the default: a 1×1 conv with bias
    ("conv", 4 * 8 + 8),
    ("conv_bn", 4 * 8 + 2 * 8),   # no bias, then batch norm's scale and shift
])
def test_image_projection_counts(shortcut, projection):
    spec = {"input_shape": [4, 8, 8], "layers": [_residual(shortcut, STRIDED)]}
    rows = summarize(spec)
    assert [(r["path"], r["params"]) for r in rows] == [("0", projection), ("0 › 0", 8 * 4 * 9 + 8)]
    network = build(spec).train()
    assert sum(p.numel() for p in network.parameters()) == count_params(spec) == projection + 296
    assert network(torch.randn(3, 4, 8, 8)).shape == (3, 8, 4, 4)


def test_conv_bn_projection_is_a_biasless_strided_conv_then_batchnorm():
    shortcut = build({"input_shape": [4, 8, 8], "layers": [_residual("conv_bn", STRIDED)]})[0].shortcut
    assert isinstance(shortcut, nn.Sequential) and len(shortcut) == 2
    conv, norm = shortcut
    assert isinstance(conv, nn.Conv2d) and conv.bias is None
    assert (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride) == (4, 8, (1, 1), (2, 2))
    assert isinstance(norm, nn.BatchNorm2d) and norm.num_features == 8


def test_conv_bn_projection_on_flat_features():
    spec = {"input_shape": [6], "layers": [_residual("conv_bn", {"type": "linear", "out_features": 3})]}
    linear, norm = build(spec)[0].shortcut
    assert isinstance(linear, nn.Linear) and linear.bias is None and linear.weight.shape == (3, 6)
    assert isinstance(norm, nn.BatchNorm1d) and norm.num_features == 3
    assert count_params(spec) == (6 * 3 + 2 * 3) + (6 * 3 + 3)
    assert sum(p.numel() for p in build(spec).parameters()) == count_params(spec)


def test_conv_bn_with_matching_shapes_keeps_the_identity():
    spec = {"input_shape": [2, 5, 5], "layers": [_residual("conv_bn", {"type": "relu"})]}
    network = build(spec)
    assert isinstance(network[0].shortcut, nn.Identity) and count_params(spec) == 0
    x = torch.randn(1, 2, 5, 5)
    assert torch.equal(network(x), torch.relu(x) + x)


def test_shortcut_default_stays_out_of_validated_specs():
    plain = {"input_shape": [3], "layers": [_residual(None, {"type": "relu"})]}
    assert validate(plain)["layers"][0] == {"type": "residual", "layers": [{"type": "relu"}]}
    assert validate({"input_shape": [3], "layers": [_residual("conv", {"type": "relu"})]}) == validate(plain)
    chosen = {"input_shape": [3], "layers": [_residual("conv_bn", {"type": "relu"})]}
    assert validate(chosen)["layers"][0]["shortcut"] == "conv_bn"


def test_unknown_shortcut_is_refused():
    with pytest.raises(SpecError, match="shortcut must be one of conv, conv_bn; got 'bn'") as info:
        validate({"input_shape": [4, 8, 8], "layers": [_residual("bn", STRIDED)]})
    assert (info.value.path, info.value.key) == ("0", "shortcut")


def test_conv_bn_network_survives_a_checkpoint_round_trip():
    spec = {"input_shape": [4, 8, 8], "layers": [_residual("conv_bn", STRIDED), {"type": "flatten"}]}
    network = build(spec).eval()
    _shake_batchnorm([network])
    loaded, loaded_spec = load_checkpoint(checkpoint_bytes(network, validate(spec)))
    assert loaded_spec == validate(spec)
    x = torch.randn(2, 4, 8, 8)
    with torch.no_grad():
        assert torch.equal(loaded.eval()(x), network(x))


# ---------------------------------------------------------------------------------------------------------
# The gallery's diagrams and outputs


def _overlaps(fig, plot_width: float) -> list[tuple[str, str]]:
    """Neighbouring labels at the same height whose text would overlap when the plot is `plot_width` px wide.

    A character of the 12 px label font is taken as 0.62 × 12 px wide (measured: "maxpool2d" is about
    62 px in Chromium), a little more than it is.
    """
    low, high = fig.layout.xaxis.range
    per_unit = plot_width / (high - low)
    clashes = []
    for trace in fig.data[1:3]:
        size = trace.textfont.size
        by_height: dict[float, list[tuple[float, str]]] = {}
        for x, y, text in zip(trace.x, trace.y, trace.text, strict=True):
            by_height.setdefault(round(y, 6), []).append((x * per_unit, text))
        for labels in by_height.values():
            for (x0, a), (x1, b) in itertools.pairwise(sorted(labels)):
                if x1 - x0 < 0.62 * size * (len(a) + len(b)) / 2:
                    clashes.append((a, b))
        room = (trace.x[0] - low) * per_unit  # from the plot's left edge to the input's label centre
        if room < 0.62 * size * len(trace.text[0]) / 2:
            clashes.append(("left edge", trace.text[0]))
    return clashes


@pytest.mark.parametrize("name", list(ARCHITECTURES))
@pytest.mark.parametrize("page_width", [820, 936])  # the page's content width at 1280 and 1400 px windows
def test_diagram_labels_do_not_overlap(name, page_width):
    fig = figures.network_figure(diagram_rows(name), input_shape=ARCHITECTURES[name].spec["input_shape"],
                                 stagger=True)
    assert _overlaps(fig, page_width - 20) == []  # the figure's margins take 10 px on each side


def test_diagram_rows_fold_activations_and_keep_every_parameter():
    rows = diagram_rows("ResNet-18")
    assert [r["type"] for r in rows] == ["conv2d", "maxpool2d", *["residual"] * 8, "avgpool2d", "flatten", "linear"]
    assert rows[0]["detail"].endswith("→ batchnorm → relu") and rows[0]["output_shape"] == [64, 112, 112]
    assert rows[0]["params"] == 64 * 3 * 49 + 2 * 64  # conv without bias, then batch norm's scale and shift
    assert rows[2]["params"] == _count([_torchvision_model("resnet18").layer1[0]])
    for name in ARCHITECTURES:
        assert sum(r["params"] for r in diagram_rows(name)) == total_params(name)


def test_output_is_the_whole_networks_as_torch_computes_it():
    block = _torchvision_model("googlenet").inception3a
    with torch.no_grad():
        assert list(block(torch.zeros(1, 192, 28, 28)).shape[1:]) == gallery_output_shape("GoogLeNet inception block")
    assert gallery_output_shape("GoogLeNet inception block") == [256, 28, 28]
    assert gallery_output_shape("ResNet basic block") == [128, 28, 28]
    assert gallery_output_shape("AlexNet") == [1000]


def test_alexnet_names_torchvisions_filters_and_the_papers():
    note = ARCHITECTURES["AlexNet"].note
    ours = [row["output_shape"][0] for row in _top_rows("AlexNet", "conv2d")]
    theirs = [m.out_channels for m in _torchvision_model("alexnet").features if isinstance(m, nn.Conv2d)]
    assert ours == theirs == [64, 192, 384, 256, 256]
    assert "single-stream" in note and "-".join(map(str, theirs)) in note and "224×224" in note
    assert "96-256-384-384-256" in note and "two groups" in note and "227×227" in note
