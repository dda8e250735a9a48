"""Tests for playground.cnn_lab.inspect_cnn on the bundled example CNNs and on hand-made images.

Measured on the bundled models: digits LeNet-5 labels 0.953 of its 359 test images correctly (0.96
of the first 200). Switching off all 6 channels of its first conv layer leaves 0.100 (it answers
one class for everything); switching off one channel leaves 0.705 to 0.953. Moving the first 200
test digits 3 pixels right leaves 0.18, 3 pixels down 0.075. The shapes CNN drops to 0.25 (chance
for its 4 classes) with its first conv layer switched off.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground.cnn_lab import inspect_cnn
from playground.jobs import runs
from playground.models import summarize

EXAMPLES = ("digits LeNet-5", "shapes CNN")


@pytest.fixture(scope="module")
def records():
    """The bundled CNN examples by name, each with its model and dataset."""
    found = {r.name: r for r in runs.examples() if r.name in EXAMPLES}
    return {name: (record, record.model(), record.load_dataset()) for name, record in found.items()}


@pytest.fixture(scope="module")
def digits(records):
    return records["digits LeNet-5"]


# ----------------------------------------------------------------------------------------------
# Kernels and feature maps.


@pytest.mark.parametrize("name", EXAMPLES)
def test_feature_maps_have_the_summarized_shapes_and_true_stats(records, name):
    record, model, data = records[name]
    maps = inspect_cnn.feature_maps(model, data.x_test[:1])
    rows = [row for row in summarize(record.spec) if row["depth"] == 0]
    assert [m.index for m in maps] == list(range(len(rows)))
    assert [m.type for m in maps] == [row["type"] for row in rows]
    assert [list(m.output.shape) for m in maps] == [row["output_shape"] for row in rows]
    for m in maps:
        assert m.stats["mean"] == pytest.approx(np.mean(m.output), abs=1e-6)
        assert m.stats["std"] == pytest.approx(np.std(m.output), abs=1e-6)
        assert m.stats["min"] == np.min(m.output)
        assert m.stats["max"] == np.max(m.output)
        assert m.stats["zero_fraction"] == pytest.approx(np.count_nonzero(m.output == 0) / m.output.size)
    relu = next(m for m in maps if m.type == "relu")
    assert relu.stats["min"] >= 0 and relu.stats["zero_fraction"] > 0  # a ReLU switches some units off
    # The last map is the network's output for that image.
    with torch.no_grad():
        logits = model(data.x_test[:1])[0].numpy()
    np.testing.assert_allclose(maps[-1].output, logits, rtol=1e-5, atol=1e-6)


def test_feature_maps_wants_one_image(digits):
    _, model, data = digits
    with pytest.raises(ValueError, match="one input"):
        inspect_cnn.feature_maps(model, data.x_test[:2])


@pytest.mark.parametrize("name", EXAMPLES)
def test_kernels_are_the_conv_weights(records, name):
    record, model, _ = records[name]
    indices = inspect_cnn.conv_layer_indices(model)
    assert indices == [i for i, layer in enumerate(record.spec["layers"]) if layer["type"] == "conv2d"]
    assert indices[0] == 0
    in_channels = record.spec["input_shape"][0]
    for i in indices:
        w = inspect_cnn.kernels(model, i)
        out_channels, k = record.spec["layers"][i]["out_channels"], record.spec["layers"][i]["kernel_size"]
        assert w.shape == (out_channels, in_channels, k, k)
        np.testing.assert_array_equal(w, model[i].weight.detach().numpy())
        in_channels = out_channels
    with pytest.raises(ValueError, match="not conv2d"):
        inspect_cnn.kernels(model, 1)


# ----------------------------------------------------------------------------------------------
# Top-activating images.


@pytest.mark.parametrize(("index", "channel"), [(0, 2), (3, 5), (8, 7)])
def test_top_activating_matches_brute_force(digits, index, channel):
    _, model, data = digits
    indices, values = inspect_cnn.top_activating(model, data, index, channel, k=8)
    assert indices.shape == values.shape == (8,)
    assert np.all(np.diff(values) <= 0), "largest first"
    with torch.no_grad():
        out = model.forward_layers(data.x_test)[index][:, channel]
    means = out.reshape(len(out), -1).mean(1).numpy()
    np.testing.assert_allclose(values, means[indices], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(values, np.sort(means)[::-1][:8], rtol=1e-5, atol=1e-6)


def test_top_activating_searches_only_the_first_n(digits):
    _, model, data = digits
    indices, _ = inspect_cnn.top_activating(model, data, 0, 0, k=50, n=20)
    assert len(indices) == 20 and sorted(indices) == list(range(20))
    with pytest.raises(ValueError, match="channel 6"):
        inspect_cnn.top_activating(model, data, 0, 6)


# ----------------------------------------------------------------------------------------------
# Transforms.


def test_identity_transform_returns_the_image(digits):
    _, _, data = digits
    image = data.x_test[0]
    torch.testing.assert_close(inspect_cnn.transform(image), image, rtol=0, atol=1e-6)
    rgb = torch.rand(3, 7, 10)  # odd, non-square sizes too
    torch.testing.assert_close(inspect_cnn.transform(rgb, angle=0.0, scale=1.0), rgb, rtol=0, atol=1e-6)


def test_shift_moves_a_pixel_right_and_down():
    image = torch.zeros(1, 8, 8)
    image[0, 3, 3] = 1.0
    moved = inspect_cnn.transform(image, shift=(2, 1))
    expected = torch.zeros(1, 8, 8)
    expected[0, 4, 5] = 1.0  # row 3 + dy, column 3 + dx
    torch.testing.assert_close(moved, expected, rtol=0, atol=1e-6)
    # Shifted off the frame: the pixel is dropped and nothing wraps around.
    assert inspect_cnn.transform(image, shift=(5, 0)).abs().max() < 1e-6


def test_rotation_turns_counter_clockwise_and_four_quarters_are_the_identity():
    image = torch.zeros(1, 8, 8)
    image[0, 3:5, 6] = 1.0  # a bar right of the centre
    turned = inspect_cnn.transform(image, angle=90)
    expected = torch.zeros(1, 8, 8)
    expected[0, 1, 3:5] = 1.0  # now above the centre
    torch.testing.assert_close(turned, expected, rtol=0, atol=1e-5)

    yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    blob = torch.exp(-((xx - 7.5) ** 2 + (yy - 7.5) ** 2) / 8)[None]  # centred between the middle pixels
    result = blob
    for _ in range(4):
        result = inspect_cnn.transform(result, angle=90)
    torch.testing.assert_close(result, blob, rtol=0, atol=1e-5)
    # An arbitrary angle only blurs a symmetric blob a little.
    assert (inspect_cnn.transform(blob, angle=37) - blob).abs().max() < 0.05


def test_scale_grows_about_the_centre():
    yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    disc = (((xx - 7.5) ** 2 + (yy - 7.5) ** 2) <= 16).float()[None]  # radius 4
    bigger = inspect_cnn.transform(disc, scale=2.0)
    assert bigger.sum().item() == pytest.approx(4 * disc.sum().item(), rel=0.1)  # area grows by scale²
    assert torch.allclose(bigger, bigger.flip(1).flip(2), atol=1e-6)  # still centred
    with pytest.raises(ValueError, match="scale"):
        inspect_cnn.transform(disc, scale=0)


# ----------------------------------------------------------------------------------------------
# Ablation and accuracy.


def test_ablating_the_first_conv_layer(digits):
    _, model, data = digits
    baseline = inspect_cnn.accuracy(model, data)
    assert baseline > 0.9  # measured 0.953
    assert inspect_cnn.accuracy(inspect_cnn.ablated(model, 0, []), data) == baseline
    everything = inspect_cnn.accuracy(inspect_cnn.ablated(model, 0, range(6)), data)
    assert everything <= 0.25  # measured 0.100: a blank first layer leaves one answer for every digit
    for channel in range(6):
        one = inspect_cnn.accuracy(inspect_cnn.ablated(model, 0, [channel]), data)
        assert abs(one - baseline) < abs(everything - baseline)  # measured 0.705 to 0.953
    assert inspect_cnn.accuracy(model, data) == baseline, "the original model is untouched"


def test_ablated_channels_output_zeros(digits):
    _, model, data = digits
    copy = inspect_cnn.ablated(model, 0, [1, 4])
    maps = inspect_cnn.feature_maps(copy, data.x_test[:1])[0].output
    original = inspect_cnn.feature_maps(model, data.x_test[:1])[0].output
    assert np.all(maps[[1, 4]] == 0)
    np.testing.assert_array_equal(maps[[0, 2, 3, 5]], original[[0, 2, 3, 5]])
    features = inspect_cnn.ablated(model, 8, [0, 83])  # a linear layer: output features
    logits = inspect_cnn.feature_maps(features, data.x_test[:1])
    assert logits[8].output[[0, 83]].tolist() == [0.0, 0.0] and np.any(logits[8].output != 0)


@pytest.mark.parametrize(("index", "channels", "message"),
                         [(0, [6], "0 to 5"), (0, [-1], "0 to 5"), (1, [0], "relu"), (11, [0], "out of range")])
def test_ablated_refuses_what_does_not_exist(digits, index, channels, message):
    _, model, _ = digits
    with pytest.raises(ValueError, match=message):
        inspect_cnn.ablated(model, index, channels)


def test_accuracy_on_the_first_n(digits):
    _, model, data = digits
    labels = model(data.x_test[:50]).argmax(1)
    assert inspect_cnn.accuracy(model, data, n=50) == pytest.approx((labels == data.y_test[:50]).float().mean())


# ----------------------------------------------------------------------------------------------
# Invariance.


def test_digits_are_not_shift_invariant(digits):
    _, model, data = digits
    clean = inspect_cnn.accuracy(model, data, n=200)
    curve = inspect_cnn.invariance_curve(model, data, kind="shift_x", values=[0, 1, 3], n=200)
    assert list(curve.columns) == ["value", "accuracy"] and curve["value"].tolist() == [0, 1, 3]
    by_value = dict(zip(curve["value"], curve["accuracy"], strict=True))
    assert by_value[0] == clean  # measured 0.96
    assert by_value[3] < by_value[1] < clean  # measured 0.18 < 0.695 < 0.96
    assert by_value[3] < clean - 0.4
    down = inspect_cnn.invariance_curve(model, data, kind="shift_y", values=[3], n=200)
    assert down["accuracy"].iloc[0] < clean - 0.4  # measured 0.075


@pytest.mark.parametrize(("kind", "identity"), [("angle", 0.0), ("scale", 1.0)])
def test_invariance_identity_settings_give_clean_accuracy(digits, kind, identity):
    _, model, data = digits
    curve = inspect_cnn.invariance_curve(model, data, kind=kind, values=[identity], n=100)
    assert curve["accuracy"].iloc[0] == inspect_cnn.accuracy(model, data, n=100)
    assert not math.isnan(curve["accuracy"].iloc[0])


def test_invariance_curve_refuses_unknown_kinds(digits):
    _, model, data = digits
    with pytest.raises(ValueError, match="shift_x"):
        inspect_cnn.invariance_curve(model, data, kind="flip", values=[1])
