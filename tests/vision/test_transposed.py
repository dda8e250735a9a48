"""Transposed convolution by stamping, checked against torch.nn.functional.conv_transpose2d."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground.vision import transposed as tc

STRIDES, PADDINGS, OUTPUT_PADDINGS = (1, 2, 3), (0, 1, 2), (0, 1, 2)
SETTINGS = list(itertools.product(tc.INPUT_NAMES, tc.KERNEL_NAMES, STRIDES, PADDINGS, OUTPUT_PADDINGS))


def reference(image, kernel, **settings) -> np.ndarray:
    x = torch.tensor(np.asarray(image, dtype=np.float64))[None, None]
    w = torch.tensor(np.asarray(kernel, dtype=np.float64))[None, None]
    return F.conv_transpose2d(x, w, **settings)[0, 0].numpy()


def torch_refuses(image, kernel, **settings) -> bool:
    """Whether torch raises, or returns an empty output (some of its kernels give a 0-row output where
    others raise "Output size is too small"; an empty output has nothing to show, so the walk refuses both)."""
    try:
        return 0 in reference(image, kernel, **settings).shape
    except RuntimeError:
        return True


def test_every_example_setting_matches_conv_transpose2d_or_both_refuse():
    compared = refused = 0
    for input_name, kernel_name, stride, padding, output_padding in SETTINGS:
        image, kernel = tc.INPUTS[input_name], tc.KERNELS[kernel_name]
        settings = {"stride": stride, "padding": padding, "output_padding": output_padding}
        if torch_refuses(image, kernel, **settings):
            with pytest.raises(ValueError):
                tc.walk(image, kernel, **settings)
            refused += 1
            continue
        walk = tc.walk(image, kernel, **settings)
        expected = reference(image, kernel, **settings)
        np.testing.assert_allclose(walk.output, expected, rtol=0, atol=1e-12,
                                   err_msg=f"{input_name} * {kernel_name}, {settings}")
        # The walk's last running canvas, cropped, is the full output; and torch_output agrees.
        top, left, height, width = walk.crop
        np.testing.assert_array_equal(walk.stamps[-1].running[top:top + height, left:left + width], walk.output)
        np.testing.assert_allclose(tc.torch_output(image, kernel, **settings), expected)
        compared += 1
    assert compared > 200 and refused > 50  # both kinds of setting were really tried


@pytest.mark.parametrize("dilation", [2, 3])
def test_dilation_matches_conv_transpose2d(dilation):
    image, kernel = tc.INPUTS["2×2 ramp"], tc.KERNELS["3×3 of ones"]
    for stride, padding in itertools.product((1, 2), (0, 1, 2)):
        settings = {"stride": stride, "padding": padding, "dilation": dilation}
        expected = reference(image, kernel, **settings)
        np.testing.assert_allclose(tc.transposed_convolve(image, kernel, **settings), expected)


def test_the_size_formula_equals_torchs_output_shape():
    for size, kernel, stride, padding, output_padding, dilation in itertools.product(
            (1, 2, 5), (1, 2, 3, 4), (1, 2, 3), (0, 1, 2), (0, 1, 2), (1, 2)):
        x, w = torch.zeros(1, 1, size, size + 1), torch.zeros(1, 1, kernel, kernel)
        settings = {"stride": stride, "padding": padding, "output_padding": output_padding, "dilation": dilation}
        try:
            shape = F.conv_transpose2d(x, w, **settings).shape[-2:]
        except RuntimeError:
            shape = (0, 0)
        if 0 in shape:  # refused, or an empty output (see torch_refuses)
            with pytest.raises(ValueError):
                tc.output_size(size, kernel, **settings)
            continue
        assert (tc.output_size(size, kernel, **settings), tc.output_size(size + 1, kernel, **settings)) == tuple(shape)
        text = tc.explain_output_size(size, kernel, **settings)
        assert text.endswith(f"= {shape[0]}")


def test_the_formula_is_written_with_the_users_numbers():
    assert tc.explain_output_size(3, 3, 2, 1, output_padding=1) == "(3 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 6"
    assert tc.explain_output_size(1, 3, 1, 2).endswith("= −1")


def test_refused_settings_say_why():
    with pytest.raises(ValueError, match=r"smaller than the stride.*at most 1 here"):
        tc.output_size(3, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"nothing would be left.*padding 1 or less"):
        tc.output_size(1, 3, stride=1, padding=2)
    with pytest.raises(ValueError, match="stride must be a whole number of at least 1"):
        tc.output_size(3, 3, stride=0)


def test_overlap_map_equals_conv_transpose2d_of_ones():
    for kernel, stride, padding in itertools.product((1, 2, 3, 4, 5), (1, 2, 3), (0, 1)):
        try:
            expected = reference(np.ones((4, 4)), np.ones((kernel, kernel)), stride=stride, padding=padding)
        except RuntimeError:
            continue
        np.testing.assert_array_equal(tc.overlap_counts((4, 4), kernel, stride, padding), expected)


def test_kernel_3_stride_2_checkerboards_and_kernel_4_does_not():
    uneven = tc.overlap_counts((4, 4), 3, 2, 1, output_padding=1)
    even = tc.overlap_counts((4, 4), 4, 2, 1)
    assert uneven.shape == even.shape == (8, 8)
    np.testing.assert_array_equal(uneven[1:3, 1:3], [[4, 2], [2, 1]])  # 1 or 2 stamps per axis, in turn
    assert set(np.unique(even[1:-1, 1:-1])) == {4}  # 2 stamps per axis everywhere inside
    assert not tc.overlaps_evenly(3, 2) and tc.overlaps_evenly(4, 2)
    assert "checkerboard" in tc.explain_overlap(3, 2) and "no pattern" in tc.explain_overlap(4, 2)


def test_a_single_one_stamps_the_kernel_once_and_stride_spaces_the_stamps():
    kernel = tc.KERNELS["2×2 ramp"]
    np.testing.assert_array_equal(tc.transposed_convolve([[1]], kernel), kernel)
    walk = tc.walk([[1, 2], [3, 4]], [[1]], stride=2)
    np.testing.assert_array_equal(walk.output, [[1, 0, 2], [0, 0, 0], [3, 0, 4]])  # the bed of nails
    assert [walk.window(k) for k in (1, 2, 3, 4)] == [(0, 0, 1, 1), (0, 2, 1, 1), (2, 0, 1, 1), (2, 2, 1, 1)]


def test_the_walk_stamps_value_times_kernel_into_its_window():
    walk = tc.walk(tc.INPUTS["2×2 ramp"], tc.KERNELS["3×3 of ones"], stride=2, padding=1, output_padding=1)
    assert len(walk.stamps) == 4 and walk.canvas.shape == (5, 5) and walk.output.shape == (4, 4)
    second = walk.stamps[1]
    assert (second.row, second.col, second.value, second.top, second.left) == (0, 1, 2.0, 0, 2)
    np.testing.assert_array_equal(second.scaled, np.full((3, 3), 2.0))
    np.testing.assert_array_equal(second.running[0], [1, 1, 3, 2, 2])  # the shared column holds 1 + 2
    np.testing.assert_array_equal(walk.stamps[0].running[0], [1, 1, 1, 0, 0])
    mask = walk.cropped()
    assert mask[0].all() and mask[:, 0].all() and not mask[1:, 1:].any()  # padding 1 crops top and left only here
    assert "canvas rows 0–2, columns 2–4" in walk.explain(2)


def test_output_padding_beyond_the_padding_adds_zero_rows():
    walk = tc.walk([[1, 2]], [[1, 1]], stride=3, output_padding=2)
    np.testing.assert_array_equal(walk.output, reference([[1, 2]], [[1, 1]], stride=3, output_padding=2))
    assert walk.canvas.shape == (3, 7) and not walk.output[1:].any()


def test_bilinear_kernel_doubles_a_flat_input_to_a_flat_output_inside():
    out = tc.transposed_convolve(np.ones((3, 3)), tc.KERNELS["bilinear 4×4"], stride=2, padding=1)
    assert out.shape == (6, 6)
    np.testing.assert_allclose(out[1:-1, 1:-1], 1.0)  # the tent weights of each phase add up to 1
