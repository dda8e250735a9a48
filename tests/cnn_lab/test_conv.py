"""Tests for playground.cnn_lab.conv: the course's worked examples, and agreement with PyTorch's own layers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from playground.cnn_lab import conv
from playground.cnn_lab.conv import (
    EXAMPLES,
    KERNEL_DESCRIPTIONS,
    KERNELS,
    PADDING_MODES,
    connectivity_params,
    convolution_params,
    correlate,
    correlate_channels,
    digit,
    explain_output_size,
    filter_bank,
    filter_bank_params,
    fits_evenly,
    fully_connected_params,
    locally_connected_params,
    output_size,
    pad,
    photo,
    pool,
)

TORCH_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(array, dtype=np.float64, order="C"))  # a fresh copy: no negative strides


def _torch_correlate(image, kernel, stride=1, padding=0, dilation=1, *, bias=0.0, mode="zeros") -> np.ndarray:
    """F.conv2d on one (H, W) image and one (kH, kW) kernel, padding done by F.pad as nn.Conv2d does."""
    x = _tensor(image)[None, None]
    if padding:
        x = F.pad(x, (padding,) * 4, mode=TORCH_PAD[mode])
    y = F.conv2d(x, _tensor(kernel)[None, None], torch.tensor([bias], dtype=torch.float64), stride=stride,
                 dilation=dilation)
    return y[0, 0].numpy()


def _integers(rng: np.random.Generator, *shape: int) -> np.ndarray:
    # Whole numbers keep every sum exact in float64, so results can be compared for equality.
    return rng.integers(-5, 6, size=shape).astype(np.float64)


# ---------------------------------------------------------------------------------------------
# The course's worked examples
# ---------------------------------------------------------------------------------------------


def test_box_filter_on_the_square_gives_the_course_values():
    # The filtered image G in the notes, without its blank one-pixel border (a valid 3×3 window has none).
    expected = [
        [0, 10, 20, 30, 30, 30, 20, 10],
        [0, 20, 40, 60, 60, 60, 40, 20],
        [0, 30, 60, 90, 90, 90, 60, 30],
        [0, 30, 50, 80, 80, 90, 60, 30],
        [0, 30, 50, 80, 80, 90, 60, 30],
        [0, 20, 30, 50, 50, 60, 40, 20],
        [10, 20, 30, 30, 30, 30, 20, 10],
        [10, 10, 10, 0, 0, 0, 0, 0],
    ]
    example = EXAMPLES["blurring a square"]
    assert example.image.shape == (10, 10) and example.kernel_name == "box blur 3×3"
    assert np.count_nonzero(example.image == 90) == 25  # the 5×5 square, less its hole, plus the stray pixel
    output, _ = correlate(example.image, KERNELS[example.kernel_name])
    np.testing.assert_allclose(output, expected, atol=1e-9)


def test_diagonal_template_on_the_x_gives_the_course_table_and_peaks_on_the_stroke():
    # The notes print the match scores (sum / 9) cut to two decimals.
    table = np.array([
        [0.77, -0.11, 0.11, 0.33, 0.55, -0.11, 0.33],
        [-0.11, 1.00, -0.11, 0.33, -0.11, 0.11, -0.11],
        [0.11, -0.11, 1.00, -0.33, 0.11, -0.11, 0.55],
        [0.33, 0.33, -0.33, 0.55, -0.33, 0.33, 0.33],
        [0.55, -0.11, 0.11, -0.33, 1.00, -0.11, 0.11],
        [-0.11, 0.11, -0.11, 0.33, -0.11, 1.00, -0.11],
        [0.33, -0.11, 0.55, 0.33, 0.11, -0.11, 0.77],
    ])
    example = EXAMPLES["finding an X"]
    output, _ = correlate(example.image, KERNELS[example.kernel_name])
    np.testing.assert_array_equal(output, np.round(table * 9))
    np.testing.assert_array_equal(np.trunc(output / 9 * 100) / 100, table)
    peaks = {tuple(int(i) for i in p) for p in np.argwhere(output == output.max())}
    assert peaks == {(1, 1), (2, 2), (4, 4), (5, 5)}  # windows lying on the X's top-left to bottom-right stroke
    assert all(example.image[r + 1, c + 1] == 1 for r, c in peaks)  # each centred on a pixel of the X


def test_x_template_peaks_at_the_centre_of_the_x():
    output, _ = correlate(EXAMPLES["finding an X"].image, KERNELS["X template 3×3"])
    assert output[3, 3] == 9 and np.count_nonzero(output == 9) == 1


def test_binary_image_gives_4_at_the_first_position():
    example = EXAMPLES["binary image"]
    output, steps = correlate(example.image, KERNELS[example.kernel_name])
    assert output[0, 0] == 4
    # The notes' first window, with the kernel's weights written as subscripts (×1, ×0, ×1, ...).
    np.testing.assert_array_equal(steps[0].window, [[1, 1, 1], [0, 1, 1], [0, 0, 1]])
    np.testing.assert_array_equal(steps[0].products, [[1, 0, 1], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(output, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])  # worked by hand


def test_curve_detector_scores_6600_on_the_matching_patch_and_0_on_the_other():
    kernel = KERNELS["curve detector 7×7"]
    match, steps = correlate(EXAMPLES["curve patch: match"].image, kernel)
    assert match.shape == (1, 1) and match[0, 0] == 6600
    assert sorted(steps[0].products[steps[0].products != 0]) == [600, 1500, 1500, 1500, 1500]
    other, _ = correlate(EXAMPLES["curve patch: no match"].image, kernel)
    assert other[0, 0] == 0
    assert np.count_nonzero(EXAMPLES["curve patch: no match"].image) > 0  # zero because nothing lines up


def test_sobel_on_the_3x3_patch_gives_2():
    example = EXAMPLES["edge in a 3×3 patch"]
    output, _ = correlate(example.image, KERNELS[example.kernel_name])
    np.testing.assert_array_equal(output, [[2]])


def test_line_and_corner_detectors_fire_on_their_own_pattern():
    for name in ("vertical line 3×3", "horizontal line 3×3", "corner 3×3"):
        kernel = KERNELS[name]
        pattern = np.where(kernel > 0, 1.0, 0.0)  # the bright shape the kernel looks for
        scores = {other: correlate(np.where(KERNELS[other] > 0, 1.0, 0.0), kernel)[0][0, 0]
                  for other in ("vertical line 3×3", "horizontal line 3×3", "corner 3×3")}
        assert scores[name] == pattern.sum() == max(scores.values())


def test_alexnet_first_layer():
    assert output_size(227, 11, stride=4) == 55
    assert fits_evenly(227, 11, 4) and not fits_evenly(224, 11, 4)  # why 224×224 images were padded to 227
    assert filter_bank_params(11, 11, 3, 96, bias=False) == 34_848  # "(11*11*3)*96 = 35K"


def test_parameter_counts_of_the_course():
    # 7 input units, 3 hidden units, each hidden unit looking at 3 neighbouring inputs (stride 2).
    assert connectivity_params(7, 3, stride=2) == {
        "fully connected": 21, "locally connected": 9, "convolution (shared weights)": 3}
    assert filter_bank_params(7, 7, 3, 5, bias=False) == 735  # five 7×7×3 filters
    assert filter_bank_params(7, 7, 3, 5) == 740
    assert filter_bank_params(5, 5, 3, 1, bias=False) == 75  # a 5×5 kernel on an RGB image


# ---------------------------------------------------------------------------------------------
# Output sizes
# ---------------------------------------------------------------------------------------------


def test_output_size_matches_nn_conv2d_over_a_grid():
    checked = refused = 0
    for kernel, stride, padding, dilation in itertools.product(range(1, 8), range(1, 5), range(4), range(1, 4)):
        layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation, bias=False)
        for size in range(1, 21):
            x = torch.zeros(1, 1, size, size)
            fits = dilation * (kernel - 1) + 1 <= size + 2 * padding
            if fits:
                with torch.no_grad():
                    assert layer(x).shape[-1] == output_size(size, kernel, stride, padding, dilation)
                checked += 1
            else:
                with pytest.raises(RuntimeError):
                    layer(x)
                with pytest.raises(ValueError, match="does not fit"):
                    output_size(size, kernel, stride, padding, dilation)
                refused += 1
    assert checked > 5000 and refused > 100


@pytest.mark.parametrize("arguments, message", [
    ((0, 3), "size must be"), ((5, 0), "kernel must be"), ((5, 3, 0), "stride must be"),
    ((5, 3, 1, -1), "padding must be"), ((5, 3, 1, 0, 0), "dilation must be"), ((5.5, 3), "size must be"),
])
def test_output_size_refuses_impossible_settings(arguments, message):
    with pytest.raises(ValueError, match=message):
        output_size(*arguments)


def test_output_size_error_explains_dilation():
    with pytest.raises(ValueError, match=r"dilation 3 spreads its 3 taps over 7 pixels.*4 \+ 2·1 = 6 < 7"):
        output_size(4, 3, 1, 1, 3)


def test_fits_evenly():
    assert fits_evenly(7, 3, 2) and fits_evenly(5, 3, 1, 1)
    assert not fits_evenly(8, 3, 2) and not fits_evenly(2, 3)
    for size, kernel, stride, padding, dilation in itertools.product(range(1, 12), range(1, 5), range(1, 4),
                                                                    range(3), range(1, 3)):
        span = dilation * (kernel - 1) + 1
        if span > size + 2 * padding:
            assert not fits_evenly(size, kernel, stride, padding, dilation)
            continue
        out = output_size(size, kernel, stride, padding, dilation)
        last_column_seen = (out - 1) * stride + span  # one past the last padded column the windows reach
        assert fits_evenly(size, kernel, stride, padding, dilation) == (last_column_seen == size + 2 * padding)


def test_explain_output_size_with_the_users_numbers():
    assert explain_output_size(8, 3, 2, 1) == ("(8 + 2·1 − 3) / 2 + 1 = 4.5 → 4: the last column is never "
                                               "visited, but it is padding, so no pixel is lost.")
    assert explain_output_size(227, 11, 4) == "(227 + 2·0 − 11) / 4 + 1 = 55: the windows fit exactly."
    assert explain_output_size(224, 11, 4) == "(224 + 2·0 − 11) / 4 + 1 = 54.25 → 54: the last column is never visited."
    assert explain_output_size(10, 3, 3) == "(10 + 2·0 − 3) / 3 + 1 ≈ 3.33 → 3: the last column is never visited."
    assert explain_output_size(12, 3, 4, 1, unit="row") == ("(12 + 2·1 − 3) / 4 + 1 = 3.75 → 3: the last 3 rows "
                                                            "are never visited: 2 of the image and 1 of padding.")
    assert explain_output_size(9, 3, 2, dilation=2).startswith("With dilation 2 the kernel spans 2·(3 − 1) + 1 = 5")
    assert "does not fit" in explain_output_size(2, 3)


# ---------------------------------------------------------------------------------------------
# Padding
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", PADDING_MODES)
def test_pad_matches_torch(mode):
    rng = np.random.default_rng(0)
    for height, width, padding in itertools.product(range(1, 6), range(1, 6), range(4)):
        image = _integers(rng, height, width)
        expected_error = (mode == "reflect" and padding >= min(height, width)) or (
            mode == "circular" and padding > min(height, width))
        if expected_error:
            with pytest.raises(ValueError, match=mode):
                pad(image, padding, mode)
            with pytest.raises(RuntimeError):
                F.pad(_tensor(image)[None, None], (padding,) * 4, mode=TORCH_PAD[mode])
            continue
        expected = F.pad(_tensor(image)[None, None], (padding,) * 4, mode=TORCH_PAD[mode])[0, 0].numpy()
        np.testing.assert_array_equal(pad(image, padding, mode), expected)


def test_pad_accepts_torch_name_for_zeros_and_pads_only_the_last_two_axes():
    image = np.ones((2, 3, 4))
    padded = pad(image, 1, "constant")
    assert padded.shape == (2, 5, 6) and padded.sum() == image.sum()
    with pytest.raises(ValueError, match="unknown padding mode 'mirror'"):
        pad(image, 1, "mirror")


# ---------------------------------------------------------------------------------------------
# Correlation and convolution against F.conv2d
# ---------------------------------------------------------------------------------------------


def test_correlate_matches_conv2d_over_a_grid():
    rng = np.random.default_rng(1)
    grid = itertools.product((5, 8), (1, 2, 3), (1, 2, 3), (0, 1, 2), (1, 2), PADDING_MODES)
    for size, k, stride, padding, dilation, mode in grid:
        if dilation * (k - 1) + 1 > size + 2 * padding:
            continue
        image, kernel = _integers(rng, size, size + 1), _integers(rng, k, k)
        output, _ = correlate(image, kernel, stride, padding, dilation, bias=2.0, padding_mode=mode)
        expected = _torch_correlate(image, kernel, stride, padding, dilation, bias=2.0, mode=mode)
        np.testing.assert_array_equal(output, expected)


@st.composite
def _conv_settings(draw):
    kernel_height, kernel_width = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride, padding, dilation = draw(st.integers(1, 3)), draw(st.integers(0, 3)), draw(st.integers(1, 3))
    mode = draw(st.sampled_from(PADDING_MODES))
    # Reflection needs a pixel beyond each edge to mirror; circular padding may not wrap around twice.
    smallest = {"reflect": padding + 1, "circular": max(1, padding)}.get(mode, 1)
    heights = st.integers(max(smallest, dilation * (kernel_height - 1) + 1 - 2 * padding), 12)
    widths = st.integers(max(smallest, dilation * (kernel_width - 1) + 1 - 2 * padding), 12)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    image = _integers(rng, draw(heights), draw(widths))
    kernel = _integers(rng, kernel_height, kernel_width)
    bias = draw(st.integers(-3, 3))
    return image, kernel, stride, padding, dilation, mode, float(bias)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_conv_settings(), st.booleans())
def test_correlate_matches_conv2d_for_any_settings(case, flip):
    image, kernel, stride, padding, dilation, mode, bias = case
    output, steps = correlate(image, kernel, stride, padding, dilation, bias=bias, padding_mode=mode, flip=flip)
    torch_kernel = kernel[::-1, ::-1] if flip else kernel  # true convolution = correlation with a turned kernel
    np.testing.assert_array_equal(output, _torch_correlate(image, torch_kernel, stride, padding, dilation,
                                                           bias=bias, mode=mode))
    _check_steps(output, steps, pad(image, padding, mode), stride, dilation, bias)


def test_convolving_an_impulse_reproduces_the_kernel_and_correlating_turns_it():
    kernel = np.arange(1.0, 10.0).reshape(3, 3)
    impulse = np.zeros((5, 5))
    impulse[2, 2] = 1
    convolved, _ = correlate(impulse, kernel, flip=True)
    correlated, _ = correlate(impulse, kernel)
    np.testing.assert_array_equal(convolved, kernel)
    np.testing.assert_array_equal(correlated, kernel[::-1, ::-1])


def test_correlate_refuses_a_kernel_that_does_not_fit_and_names_the_axis():
    with pytest.raises(ValueError, match="width: a kernel of width 3"):
        correlate(np.ones((5, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"image must be a non-empty \(H, W\) array"):
        correlate(np.ones(5), np.ones((3, 3)))


# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------


def _check_steps(output, steps, padded, stride, dilation, bias):
    height, width = output.shape
    assert len(steps) == height * width
    assert [(s.row, s.col) for s in steps] == [(r, c) for r in range(height) for c in range(width)]
    for step in steps:
        assert (step.top, step.left) == (step.row * stride, step.col * stride)
        kernel_height, kernel_width = step.window.shape
        np.testing.assert_array_equal(
            step.window,
            padded[step.top:step.top + dilation * (kernel_height - 1) + 1:dilation,
                   step.left:step.left + dilation * (kernel_width - 1) + 1:dilation])
        assert step.total == output[step.row, step.col]
        assert step.products.sum() == pytest.approx(step.total - bias)


def test_steps_record_windows_products_and_totals():
    rng = np.random.default_rng(2)
    image, kernel = _integers(rng, 9, 7), _integers(rng, 3, 2)
    output, steps = correlate(image, kernel, stride=2, padding=1, dilation=2, bias=0.5, padding_mode="reflect")
    assert output.shape == (4, 4)
    _check_steps(output, steps, pad(image, 1, "reflect"), 2, 2, 0.5)
    for step in steps:
        np.testing.assert_array_equal(step.products, step.window * kernel)


# ---------------------------------------------------------------------------------------------
# Several channels, several filters
# ---------------------------------------------------------------------------------------------


def test_correlate_channels_adds_up_per_channel_results_and_matches_conv2d():
    rng = np.random.default_rng(3)
    for mode, flip in itertools.product(PADDING_MODES, (False, True)):
        image, kernels = _integers(rng, 3, 7, 6), _integers(rng, 3, 3, 3)
        output, per_channel = correlate_channels(image, kernels, 2, 1, bias=1.0, padding_mode=mode, flip=flip)
        assert per_channel.shape == (3, 4, 3)
        np.testing.assert_array_equal(output, per_channel.sum(axis=0) + 1.0)
        for channel in range(3):
            alone, _ = correlate(image[channel], kernels[channel], 2, 1, padding_mode=mode, flip=flip)
            np.testing.assert_array_equal(per_channel[channel], alone)
        weight = _tensor(kernels[:, ::-1, ::-1] if flip else kernels)[None]
        x = F.pad(_tensor(image)[None], (1,) * 4, mode=TORCH_PAD[mode])
        expected = F.conv2d(x, weight, torch.tensor([1.0], dtype=torch.float64), stride=2)[0, 0].numpy()
        np.testing.assert_array_equal(output, expected)


def test_filter_bank_matches_conv2d():
    rng = np.random.default_rng(4)
    for stride, padding, dilation in itertools.product((1, 2), (0, 2), (1, 2)):
        image, bank, bias = _integers(rng, 3, 9, 8), _integers(rng, 4, 3, 3, 2), _integers(rng, 4)
        maps = filter_bank(image, bank, stride, padding, dilation, bias=bias)
        expected = F.conv2d(_tensor(image)[None], _tensor(bank), _tensor(bias), stride=stride, padding=padding,
                            dilation=dilation)[0].numpy()
        np.testing.assert_array_equal(maps, expected)
    with pytest.raises(ValueError, match="3 channels but each filter has 2"):
        filter_bank(np.ones((3, 5, 5)), np.ones((4, 2, 3, 3)))


def test_filter_bank_of_one_filter_equals_correlate_channels():
    rng = np.random.default_rng(5)
    image, kernels = _integers(rng, 2, 6, 6), _integers(rng, 2, 3, 3)
    output, _ = correlate_channels(image, kernels, flip=True)
    np.testing.assert_array_equal(filter_bank(image, kernels[None], flip=True)[0], output)


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------


def _torch_pool(image, kernel, stride, padding, mode) -> np.ndarray:
    pool_fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    return pool_fn(_tensor(image)[None, None], kernel, stride, padding)[0, 0].numpy()


def test_pool_matches_torch_over_a_grid():
    rng = np.random.default_rng(6)
    for size, kernel, stride, mode in itertools.product((4, 5, 7), (1, 2, 3), (None, 1, 2, 3), ("max", "avg")):
        for padding in range(kernel // 2 + 1):
            image = _integers(rng, size, size + 2)
            output, steps = pool(image, kernel, stride, padding, mode=mode)
            np.testing.assert_allclose(output, _torch_pool(image, kernel, stride, padding, mode), rtol=0,
                                       atol=1e-12)
            assert len(steps) == output.size


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2), st.sampled_from(["max", "avg"]),
       st.integers(0, 8), st.integers(0, 8), st.integers(0, 2**32 - 1))
def test_pool_matches_torch_for_any_settings(kernel, stride, padding, mode, extra_height, extra_width, seed):
    padding = min(padding, kernel // 2)
    smallest = max(1, kernel - 2 * padding)
    image = _integers(np.random.default_rng(seed), smallest + extra_height, smallest + extra_width)
    output, steps = pool(image, kernel, stride, padding, mode=mode)
    np.testing.assert_allclose(output, _torch_pool(image, kernel, stride, padding, mode), rtol=0, atol=1e-12)
    for step in steps:
        summary = step.products.max() if mode == "max" else step.products.mean()
        assert step.total == summary == output[step.row, step.col]
        assert step.products.shape == (kernel, kernel)


def test_max_pool_2x2_by_hand_and_padding_never_wins():
    image = np.array([[1, 3, 2, 1], [4, 2, 0, 1], [5, 1, 7, 8], [0, 2, 6, 3]], dtype=float)
    np.testing.assert_array_equal(pool(image, 2)[0], [[4, 2], [5, 8]])
    np.testing.assert_array_equal(pool(image, 2, mode="avg")[0], [[2.5, 1], [2, 6]])
    negative, steps = pool(-np.ones((3, 3)), 2, padding=1)
    np.testing.assert_array_equal(negative, -np.ones((2, 2)))
    assert np.isneginf(steps[0].window[0, 0])


def test_pool_refuses_bad_settings():
    with pytest.raises(ValueError, match="at most half the kernel"):
        pool(np.ones((6, 6)), 2, padding=2)
    with pytest.raises(ValueError, match="unknown pooling mode 'min'"):
        pool(np.ones((6, 6)), 2, mode="min")
    with pytest.raises(ValueError, match="does not fit"):
        pool(np.ones((2, 2)), 3)


# ---------------------------------------------------------------------------------------------
# Parameter counts
# ---------------------------------------------------------------------------------------------


def test_convolution_params_equal_nn_conv_numel():
    for kernel, in_channels, out_channels, bias in itertools.product((1, 3, (3, 5)), (1, 3), (1, 4, 16), (True, False)):
        layer = nn.Conv2d(in_channels, out_channels, kernel, bias=bias)
        expected = sum(p.numel() for p in layer.parameters())
        assert convolution_params(kernel if isinstance(kernel, tuple) else (kernel, kernel),
                                  in_channels=in_channels, out_channels=out_channels, bias=bias) == expected
    conv1d = nn.Conv1d(2, 3, 5)
    assert convolution_params(5, in_channels=2, out_channels=3) == sum(p.numel() for p in conv1d.parameters())


def test_fully_and_locally_connected_params():
    assert fully_connected_params(7, 3) == sum(p.numel() for p in nn.Linear(7, 3).parameters()) == 24
    assert fully_connected_params(7, 3, bias=False) == 21
    # An 8×8 image, 3×3 windows: 36 positions, each with its own 3·3·2 weights and a bias, for 4 outputs.
    assert locally_connected_params((8, 8), (3, 3), in_channels=2, out_channels=4) == 36 * 4 * (18 + 1)
    assert locally_connected_params(7, 3, stride=2, bias=False) == 9
    with pytest.raises(ValueError, match="different numbers of axes"):
        locally_connected_params((8, 8), 3)


def test_weight_sharing_divides_the_count_by_the_number_of_positions():
    for size, kernel, stride in itertools.product((5, 9, 16), (1, 3), (1, 2)):
        positions = output_size(size, kernel, stride) ** 2
        local = locally_connected_params((size, size), (kernel, kernel), stride=stride, bias=False)
        assert local == positions * convolution_params((kernel, kernel), bias=False)


# ---------------------------------------------------------------------------------------------
# Presets and example inputs
# ---------------------------------------------------------------------------------------------


def test_kernel_presets_are_described_read_only_and_unique():
    assert set(KERNEL_DESCRIPTIONS) == set(KERNELS) and all(KERNEL_DESCRIPTIONS.values())
    for name, kernel in KERNELS.items():
        assert kernel.ndim == 2 and kernel.dtype == np.float64 and not kernel.flags.writeable, name
    with pytest.raises(ValueError, match="'box blur 3×3' is already registered"):
        conv._register_kernel("box blur 3×3", np.ones((3, 3)), "again")


def test_averaging_kernels_sum_to_one_and_edge_kernels_to_zero():
    for name in ("identity 3×3", "box blur 3×3", "box blur 5×5", "Gaussian 3×3", "Gaussian 5×5", "sharpen 3×3"):
        assert KERNELS[name].sum() == pytest.approx(1.0), name
    for name in ("vertical edge 3×3", "horizontal edge 3×3", "Sobel x 3×3", "Sobel y 3×3"):
        assert KERNELS[name].sum() == 0, name
    np.testing.assert_array_equal(KERNELS["Sobel y 3×3"], KERNELS["Sobel x 3×3"].T)


def test_examples_name_known_kernels_and_are_read_only():
    for name, example in EXAMPLES.items():
        assert example.kernel_name in KERNELS and example.description, name
        assert not example.image.flags.writeable
        correlate(example.image, KERNELS[example.kernel_name])  # each kernel fits its example


def test_digit_is_an_8x8_image_scaled_to_0_1():
    image = digit(0)
    assert image.shape == (8, 8) and image.min() == 0 and 0.5 < image.max() <= 1
    assert image[0, 0] == 0 and image[3, 3] == 0  # a zero: dark corners and a dark middle
    with pytest.raises(ValueError, match="between 0 and 1796"):
        digit(1797)


def test_photo_is_a_small_square_in_0_1():
    gray = photo("china.jpg", size=32)
    colour = photo("flower.jpg", size=16, gray=False)
    assert gray.shape == (32, 32) and colour.shape == (3, 16, 16)
    for image in (gray, colour):
        assert 0 <= image.min() < image.max() <= 1
    blurred, _ = correlate(gray, KERNELS["box blur 3×3"], padding=1, padding_mode="replicate")
    assert blurred.shape == gray.shape and np.abs(np.diff(blurred)).mean() < np.abs(np.diff(gray)).mean()
    with pytest.raises(ValueError, match="unknown photo 'lena.png'"):
        photo("lena.png")
    with pytest.raises(ValueError, match="size must be between 1 and 427"):
        photo("china.jpg", size=500)


# ---------------------------------------------------------------------------------------------
# The explorer's walk: every input, kernel and setting gives an output torch agrees with, or a message
# ---------------------------------------------------------------------------------------------


def _explorer_images() -> dict[str, np.ndarray]:
    images = {name: example.image for name, example in EXAMPLES.items()}
    images[conv.DIGIT_INPUT] = digit(0)
    images[conv.OWN] = conv.diagonal_image(3)  # the smallest grid a user can type
    return images


def test_the_curve_detector_gives_6600_and_0_like_torch():
    for name, expected in (("curve patch: match", 6600.0), ("curve patch: no match", 0.0)):
        walk = conv.walk(EXAMPLES[name].image, KERNELS["curve detector 7×7"])
        reference = F.conv2d(torch.tensor(EXAMPLES[name].image)[None, None],
                             torch.tensor(KERNELS["curve detector 7×7"])[None, None])
        assert walk.output.tolist() == [[expected]] == reference[0, 0].tolist()
        assert len(walk.steps) == 1 and walk.window(1) == (0, 0, 7, 7)
        assert not walk.not_yet(1).any()


def test_every_input_kernel_and_setting_matches_torch_or_says_what_to_change():
    images = _explorer_images()
    checked = refused = 0
    for (name, image), kernel_name in itertools.product(images.items(), KERNELS):
        kernel = KERNELS[kernel_name]
        weight = torch.tensor(kernel)[None, None]
        x = torch.tensor(image)[None, None]
        # each setting's smallest and largest value on the page, with every padding mode
        for stride, padding, dilation, mode in itertools.product((1, 4), (0, 1, 3), (1, 3), PADDING_MODES):
            try:
                walk = conv.walk(image, kernel, stride=stride, padding=padding, dilation=dilation, padding_mode=mode)
            except ValueError as e:
                refused += 1
                message = str(e)
                assert "does not fit" in message or "padding must" in message, (name, kernel_name, message)
                if "does not fit" in message:  # the padding it names is enough
                    need = int(message.split("Choose padding ")[1].split()[0])
                    conv.walk(image, kernel, stride=stride, padding=need, dilation=dilation)
                continue
            padded = F.pad(x, (padding,) * 4, mode="constant" if mode == "zeros" else mode)
            expected = F.conv2d(padded, weight, stride=stride, dilation=dilation)[0, 0].numpy()
            np.testing.assert_allclose(walk.output, expected, atol=1e-9)
            assert len(walk.steps) == walk.output.size >= 1
            checked += 1
    assert checked > 2000 and refused > 500


def test_a_kernel_too_large_for_the_input_names_the_padding_that_fits():
    binary = EXAMPLES["binary image"].image
    with pytest.raises(ValueError, match=r"^The 7×7 kernel does not fit in the 5×5 input with padding 0, so there is "
                                         r"no output\. Choose padding 1 or more"):
        conv.walk(binary, KERNELS["curve detector 7×7"])
    with pytest.raises(ValueError, match=r"dilation 2 spreads it over 5×5 pixels\) does not fit in the 3×3 input .* "
                                         r"Choose padding 1 or more"):
        conv.walk(EXAMPLES["edge in a 3×3 patch"].image, KERNELS["Sobel x 3×3"], dilation=2)
    assert conv.walk(binary, KERNELS["curve detector 7×7"], padding=1).output.shape == (1, 1)


def test_a_bank_is_padded_to_its_largest_kernel_and_refuses_a_small_input_with_a_message():
    bank = conv.kernel_bank(["identity 3×3", "box blur 5×5"])
    assert bank.shape == (2, 5, 5) and bank[0, 2, 2] == 1 and bank[0].sum() == 1
    maps = conv.bank_maps(EXAMPLES["binary image"].image, ["identity 3×3", "box blur 5×5"], padding=2)
    np.testing.assert_allclose(maps[0], EXAMPLES["binary image"].image)
    with pytest.raises(ValueError, match="^The 7×7 kernel does not fit in the 5×5 input"):
        conv.bank_maps(EXAMPLES["binary image"].image, ["identity 3×3", "curve detector 7×7"])


def test_channel_maps_add_up_to_the_sum():
    image = np.random.default_rng(0).random((3, 6, 6))
    maps = conv.channel_maps(image, KERNELS["Sobel x 3×3"])
    assert maps.shape == (4, 4, 4)
    np.testing.assert_allclose(maps[3], maps[:3].sum(axis=0))
    reference = F.conv2d(torch.tensor(image)[None], torch.tensor(KERNELS["Sobel x 3×3"]).expand(1, 3, 3, 3))
    np.testing.assert_allclose(maps[3], reference[0, 0].numpy())


def test_each_input_is_meant_for_a_registered_kernel():
    assert conv.INPUTS[:len(EXAMPLES)] == tuple(EXAMPLES)
    for name in conv.INPUTS:
        assert conv.kernel_for(name) in KERNELS
    assert conv.kernel_for("curve patch: match") == "curve detector 7×7"
    assert conv.kernel_for(conv.PHOTO_INPUT) == conv.DEFAULT_KERNEL
