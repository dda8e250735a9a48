"""Tests for playground.presets: specs sized to each dataset, hand-counted, and trainable."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from playground import data
from playground.models import build, count_params, summarize
from playground.presets import DESCRIPTIONS, PRESETS, preset, register_preset

IMAGE_SHAPES = [[1, 8, 8], [1, 28, 28], [3, 32, 32]]
SEQUENCE_PRESETS = ["lstm_forecaster", "lstm_adder", "gru_recall", "char_lstm"]
IMAGE_PRESETS = [name for name in PRESETS if name not in SEQUENCE_PRESETS]
CASES = ([(name, shape) for name in IMAGE_PRESETS for shape in IMAGE_SHAPES] + [("mlp", [2]), ("mlp", [784])]
         + [(name, [12, 3]) for name in SEQUENCE_PRESETS[:3]])


def _layer_types(spec: dict) -> list[str]:
    return [layer["type"] for layer in spec["layers"]]


def test_registry_holds_the_presets_with_descriptions():
    assert list(PRESETS) == ["mlp", "lenet5", "tiny_vgg", "tiny_resnet"] + SEQUENCE_PRESETS
    assert set(DESCRIPTIONS) == set(PRESETS) and all(DESCRIPTIONS.values())


def test_register_refuses_a_duplicate_name():
    with pytest.raises(ValueError, match="'mlp' is already registered"):
        register_preset("mlp", "again")(lambda shape, outputs: [])


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown preset 'alexnet'; known presets are mlp, lenet5, tiny_vgg, "
                                         "tiny_resnet, lstm_forecaster"):
        preset("alexnet", input_shape=[2], outputs=2)


def test_preset_needs_a_dataset_or_both_sizes():
    with pytest.raises(ValueError, match="needs a dataset, or both input_shape and outputs"):
        preset("mlp", input_shape=[2])
    with pytest.raises(ValueError, match="needs a dataset"):
        preset("mlp")


@pytest.mark.parametrize("name", ["lenet5", "tiny_vgg", "tiny_resnet"])
def test_conv_preset_on_flat_data_suggests_the_mlp(name):
    message = (rf"the {name} preset is a convolutional network and needs image data; "
               r"this data has input shape \[2\]\. Use the mlp preset\.")
    with pytest.raises(ValueError, match=message):
        preset(name, "xor")


def test_preset_by_dataset_name_takes_its_shape_and_outputs():
    spec = preset("mlp", "circle")  # 2-D points, two classes
    assert spec == {"input_shape": [2], "layers": [
        {"type": "linear", "out_features": 8}, {"type": "tanh"},
        {"type": "linear", "out_features": 8}, {"type": "tanh"},
        {"type": "linear", "out_features": 2}]}
    assert count_params(spec) == (2 * 8 + 8) + (8 * 8 + 8) + (8 * 2 + 2)
    assert preset("mlp", "reg_plane")["layers"][-1] == {"type": "linear", "out_features": 1}


def test_preset_by_dataset_object_equals_preset_by_name():
    digits = data.load("digits")
    spec = preset("lenet5", digits)
    assert spec == preset("lenet5", "digits") == preset("lenet5", input_shape=[1, 8, 8], outputs=10)
    assert spec["input_shape"] == [1, 8, 8] and spec["layers"][-1]["out_features"] == 10


def test_mlp_widens_for_large_inputs():
    spec = preset("mlp", input_shape=[784], outputs=10)
    assert _layer_types(spec) == ["linear", "relu", "linear", "relu", "linear"]
    assert count_params(spec) == (784 * 128 + 128) + (128 * 64 + 64) + (64 * 10 + 10)


def test_lenet5_on_tiny_digits_keeps_the_size_with_padded_three_by_three_kernels():
    rows = summarize(preset("lenet5", input_shape=[1, 8, 8], outputs=10))
    assert [r["output_shape"] for r in rows] == [[6, 8, 8], [6, 8, 8], [6, 4, 4], [16, 4, 4], [16, 4, 4],
                                                 [16, 2, 2], [120], [120], [84], [84], [10]]
    assert [r["params"] for r in rows if r["params"]] == [6 * 9 + 6, 16 * 6 * 9 + 16, 64 * 120 + 120,
                                                          120 * 84 + 84, 84 * 10 + 10]


def test_tiny_vgg_count_by_hand_on_cifar_sized_input():
    spec = preset("tiny_vgg", input_shape=[3, 32, 32], outputs=10)
    convs = (8 * 3 * 9 + 8) + (8 * 8 * 9 + 8) + (16 * 8 * 9 + 16) + (16 * 16 * 9 + 16)
    head = 16 * 8 * 8 * 10 + 10  # two poolings: 32 → 16 → 8
    assert count_params(spec) == convs + head == 14_546


def test_tiny_resnet_count_by_hand_on_cifar_sized_input():
    spec = preset("tiny_resnet", input_shape=[3, 32, 32], outputs=10)
    stem = 16 * 3 * 9 + 2 * 16  # conv without bias, batchnorm
    block1 = 2 * (16 * 16 * 9 + 2 * 16)  # identity skip
    block2 = (32 * 16 * 9 + 2 * 32) + (32 * 32 * 9 + 2 * 32) + (16 * 32 + 32)  # strided 1×1 projection
    head = 32 * 10 + 10
    assert count_params(spec) == stem + block1 + block2 + head == 19_962


@pytest.mark.parametrize("shape", IMAGE_SHAPES + [[1, 7, 9]])
def test_tiny_resnet_pools_globally_to_one_pixel(shape):
    rows = summarize(preset("tiny_resnet", input_shape=shape, outputs=3))
    top = [r for r in rows if r["depth"] == 0]
    assert top[-2]["type"] == "avgpool2d" and top[-2]["output_shape"] == [32, 1, 1]
    assert top[-1]["output_shape"] == [3]


@pytest.mark.parametrize("name,shape", CASES, ids=[f"{n}-{'x'.join(map(str, s))}" for n, s in CASES])
def test_every_preset_builds_and_one_sgd_step_lowers_the_loss(name, shape):
    torch.manual_seed(0)
    network = build(preset(name, input_shape=shape, outputs=10))
    x, y = torch.randn(8, *shape), torch.randint(0, 10, (8,))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(network.parameters(), lr=1e-3)
    before = [p.detach().clone() for p in network.parameters()]

    network.train()
    loss = loss_fn(network(x), y)
    optimizer.zero_grad()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in network.parameters())
    optimizer.step()

    assert all(not torch.equal(a, b) for a, b in zip(before, network.parameters(), strict=True))
    with torch.no_grad():
        after = loss_fn(network(x), y)  # same batch, same mode: a small step downhill lowers the loss
    assert after < loss


def test_mlp_preset_learns_xor():
    torch.manual_seed(0)
    dataset = data.load("xor", seed=0)
    network = build(preset("mlp", dataset))
    optimizer = torch.optim.Adam(network.parameters(), lr=0.03)
    for _ in range(300):
        optimizer.zero_grad()
        nn.functional.cross_entropy(network(dataset.x_train), dataset.y_train).backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (network(dataset.x_test).argmax(1) == dataset.y_test).float().mean().item()
    assert accuracy > 0.9


# ---------------------------------------------------------------------------------------------------------
# Sequence presets


def test_sequence_presets_count_what_torch_counts_and_refuse_other_data():
    spec = preset("char_lstm", input_shape=[32], outputs=55)
    assert _layer_types(spec) == ["embedding", "lstm", "linear"]
    lstm = sum(p.numel() for p in nn.LSTM(16, 64).parameters())
    assert count_params(spec) == 55 * 16 + lstm + 64 * 55 + 55
    assert count_params(preset("gru_recall", "recall")) == sum(p.numel() for p in nn.GRU(4, 32).parameters()) + 132
    with pytest.raises(ValueError, match=r"lstm_forecaster preset is a recurrent network and needs sequences "
                                         r"\[T, F\] \(time steps × features\); this data has input shape \[1, 8, 8\]"):
        preset("lstm_forecaster", "digits")
    with pytest.raises(ValueError, match=r"char_lstm preset .* needs token ids \[T\]; .* shape \[30, 1\]"):
        preset("char_lstm", "sine")


def test_a_new_dataset_starts_from_its_own_preset_and_a_chosen_preset_is_kept_where_it_fits():
    from playground.presets import fitting_preset

    assert [fitting_preset(list(data.DATASETS[name].loader(0, **{**data.DATASETS[name].defaults, "n": 40}).input_shape),
                           dataset=name) for name in data.names("sequence")] == [
        "lstm_forecaster", "lstm_adder", "gru_recall", "char_lstm"]
    assert fitting_preset([2], dataset="xor") == "mlp"
    assert fitting_preset([1, 8, 8], dataset="digits", current="tiny_vgg") == "tiny_vgg"
    assert fitting_preset([1, 8, 8], dataset="digits", current="gru_recall") == "lenet5"
    assert fitting_preset([30, 1], dataset="sine", current="gru_recall") == "gru_recall"
    assert fitting_preset([30, 1], dataset="sine", current="tiny_resnet") == "lstm_forecaster"
    assert fitting_preset([32], dataset="characters", current="lstm_adder") == "char_lstm"
    assert fitting_preset([5, 2], dataset="my_table", current="lenet5") == "lstm_forecaster"


@pytest.fixture(scope="module")
def sine_forecaster():
    """The LSTM forecaster after 8 epochs of Adam on a small sine set, and that set."""
    torch.manual_seed(0)
    dataset = data.load("sine", seed=0, n=600)
    network = build(preset("lstm_forecaster", dataset))
    optimizer = torch.optim.Adam(network.parameters(), lr=0.01)
    generator = torch.Generator().manual_seed(0)
    for _ in range(8):
        for index in torch.randperm(len(dataset.x_train), generator=generator).split(32):
            optimizer.zero_grad()
            nn.functional.mse_loss(network(dataset.x_train[index]), dataset.y_train[index]).backward()
            optimizer.step()
    return network.eval(), dataset


def test_the_lstm_forecaster_learns_the_sine_within_seconds(sine_forecaster):
    network, dataset = sine_forecaster
    with torch.no_grad():
        mse = nn.functional.mse_loss(network(dataset.x_test), dataset.y_test).item()
    variance = dataset.y_test.var().item()
    assert mse < 0.1 * variance  # predicting the mean would score the variance
