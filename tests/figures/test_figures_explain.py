"""Explanation and attack figures, checked through their traces and layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from playground.figures import (
    accuracy_curve_figure,
    adversarial_figure,
    amplification_factor,
    attribution_figure,
    image_figure,
    image_grid_figure,
    localization_figure,
    methods_figure,
    normalize_map,
    series_figure,
)
from playground.figures.explain_attack.explain import OVERLAY_OPACITY
from playground.figures.style import DIVERGING, LARGE_FONT_SIZE, SEQUENTIAL


def _gray(size: int = 28) -> np.ndarray:
    """A (1, size, size) ramp: brightness grows left to right."""
    return np.tile(np.linspace(0.0, 1.0, size), (1, size, 1))


def _rgb(size: int = 32) -> np.ndarray:
    """A (3, size, size) image: pure red everywhere."""
    image = np.zeros((3, size, size))
    image[0] = 1.0
    return image


def _signed_map(size: int) -> np.ndarray:
    """An (size, size) map from -2 to +3: its peak |value| is 3."""
    return np.linspace(-2.0, 3.0, size * size).reshape(size, size)


def _pixels(trace: go.Image) -> np.ndarray:
    return np.asarray(trace.z)


def _texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def _assert_square_pixels(fig: go.Figure) -> None:
    for xaxis in fig.select_xaxes():
        assert xaxis.scaleanchor == (xaxis.anchor or "y") and xaxis.visible is False
    for yaxis in fig.select_yaxes():
        assert yaxis.autorange == "reversed" and yaxis.visible is False


# --- single image ----------------------------------------------------------------------------


def test_image_figure_draws_grayscale_as_equal_channels():
    fig = image_figure(_gray(8), title="input")
    assert [type(t) for t in fig.data] == [go.Image]
    pixels = _pixels(fig.data[0])
    assert pixels.shape == (8, 8, 3)
    np.testing.assert_array_equal(pixels[..., 0], pixels[..., 2])
    assert pixels[0, 0, 0] == 0 and pixels[0, -1, 0] == 255
    assert fig.layout.title.text == "input"
    _assert_square_pixels(fig)


def test_image_figure_keeps_rgb_colours_and_projector_fonts():
    fig = image_figure(_rgb(32), large=True)
    np.testing.assert_array_equal(_pixels(fig.data[0])[5, 5], [255, 0, 0])
    assert fig.layout.font.size == LARGE_FONT_SIZE


def test_image_figure_rejects_other_channel_counts():
    with pytest.raises(ValueError, match="shape"):
        image_figure(np.zeros((2, 8, 8)))


# --- attribution map -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [8, 28, 32])
def test_signed_attribution_is_symmetric_around_zero_over_the_image(size):
    attribution = _signed_map(size)
    fig = attribution_figure(_gray(size), attribution, signed=True)
    # The grayscale image first, underneath; the heatmap on top, see-through.
    assert [type(t) for t in fig.data] == [go.Image, go.Heatmap]
    heatmap = fig.data[1]
    np.testing.assert_allclose(heatmap.z, attribution)
    assert heatmap.colorscale == go.Heatmap(colorscale=DIVERGING).colorscale
    assert (heatmap.zmin, heatmap.zmax, heatmap.zmid) == (-3.0, 3.0, 0.0)
    assert 0 < heatmap.opacity < 1
    assert heatmap.colorbar.thickness <= 12
    assert _pixels(fig.data[0]).shape == (size, size, 3)
    _assert_square_pixels(fig)


def test_unsigned_attribution_runs_from_zero_without_overlay():
    attribution = np.abs(_signed_map(8))
    fig = attribution_figure(_gray(8), attribution, signed=False, overlay=False)
    assert [type(t) for t in fig.data] == [go.Heatmap]
    heatmap = fig.data[0]
    assert heatmap.colorscale == go.Heatmap(colorscale=SEQUENTIAL).colorscale
    assert (heatmap.zmin, heatmap.zmax) == (0.0, 3.0)
    assert heatmap.opacity == 1.0
    _assert_square_pixels(fig)


def test_overlay_shows_an_rgb_image_in_grayscale():
    fig = attribution_figure(_rgb(32), np.zeros((32, 32)), signed=True)
    red = _pixels(fig.data[0])[0, 0]
    # Pure red has luma 0.299 -> 76 of 255, on all three channels.
    np.testing.assert_array_equal(red, [76, 76, 76])
    # An all-zero map still gets a usable, symmetric colour range.
    assert (fig.data[1].zmin, fig.data[1].zmax) == (-1.0, 1.0)


def test_attribution_map_must_match_the_image():
    with pytest.raises(ValueError, match="attribution map"):
        attribution_figure(_gray(28), np.zeros((8, 8)), signed=True)


# --- several methods -------------------------------------------------------------------------


def test_normalize_map_scales_by_its_own_peak():
    np.testing.assert_allclose(normalize_map(np.array([[-4.0, 2.0], [1.0, 0.0]])), [[-1.0, 0.5], [0.25, 0.0]])
    np.testing.assert_array_equal(normalize_map(np.zeros((2, 2))), np.zeros((2, 2)))


def test_methods_figure_puts_the_image_first_then_one_normalised_map_per_method():
    maps = {"Saliency": np.full((28, 28), 1e-4), "Integrated Gradients": _signed_map(28), "Grad-CAM": np.eye(28) * 7}
    signed = {"Saliency": False, "Integrated Gradients": True, "Grad-CAM": False}
    fig = methods_figure(_rgb(28)[:, :, :], maps, signed=signed, columns=2)
    assert _texts(fig) == ["input", "Saliency", "Integrated Gradients", "Grad-CAM"]
    # Input in its own colours, then a grayscale image under each heatmap.
    assert [type(t) for t in fig.data] == [go.Image] + [go.Image, go.Heatmap] * 3
    np.testing.assert_array_equal(_pixels(fig.data[0])[0, 0], [255, 0, 0])
    heatmaps = [t for t in fig.data if isinstance(t, go.Heatmap)]
    assert [h.name for h in heatmaps] == list(maps)
    np.testing.assert_allclose(heatmaps[0].z, np.ones((28, 28)))
    np.testing.assert_allclose(heatmaps[1].z, _signed_map(28) / 3.0)
    np.testing.assert_allclose(heatmaps[2].z, np.eye(28))
    assert [h.coloraxis for h in heatmaps] == ["coloraxis2", "coloraxis", "coloraxis2"]
    assert all(h.opacity == OVERLAY_OPACITY for h in heatmaps)
    # One colour bar per sign type: diverging and symmetric, sequential from zero.
    signed_axis, unsigned_axis = fig.layout.coloraxis, fig.layout.coloraxis2
    assert (signed_axis.cmin, signed_axis.cmax, signed_axis.cmid) == (-1.0, 1.0, 0.0)
    assert signed_axis.colorscale == go.layout.Coloraxis(colorscale=DIVERGING).colorscale
    assert (unsigned_axis.cmin, unsigned_axis.cmax) == (0.0, 1.0)
    assert unsigned_axis.colorscale == go.layout.Coloraxis(colorscale=SEQUENTIAL).colorscale
    # Four panels in two columns: a 2×2 grid.
    assert len(list(fig.select_xaxes())) == 4
    _assert_square_pixels(fig)


def test_methods_figure_without_overlay_and_one_sign_type():
    maps = {name: _signed_map(8) for name in ("a", "b", "c", "d", "e")}
    fig = methods_figure(_gray(8), maps, signed=dict.fromkeys(maps, True), overlay=False, columns=4)
    assert [type(t) for t in fig.data] == [go.Image] + [go.Heatmap] * 5
    assert all(t.opacity == 1.0 for t in fig.data[1:])
    # Six panels, four to a row: two rows of four subplots.
    assert len(list(fig.select_xaxes())) == 8
    assert fig.layout.coloraxis.cmid == 0.0 and "coloraxis2" not in fig.layout.to_plotly_json()


def test_methods_figure_needs_a_sign_for_every_method():
    with pytest.raises(ValueError, match="Grad-CAM"):
        methods_figure(_gray(8), {"Grad-CAM": np.ones((8, 8))}, signed={})


# --- localization ----------------------------------------------------------------------------


def _localization_table(uniform: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": ["Saliency", "Integrated Gradients", "Grad-CAM"],
            "trained": [0.62, 0.71, 0.55],
            "randomized": [0.30, 0.25, 0.40],
            "uniform": uniform,
        }
    )


def test_localization_figure_groups_trained_and_randomized_bars_over_a_uniform_line():
    table = _localization_table([0.22, 0.22, 0.22])
    fig = localization_figure(table)
    assert [type(t) for t in fig.data] == [go.Bar, go.Bar, go.Scatter]
    trained, randomized, uniform = fig.data
    assert [trained.name, randomized.name, uniform.name] == [
        "trained model",
        "randomized model",
        "uniform map (mask area)",
    ]
    assert list(trained.x) == list(table["method"])
    np.testing.assert_allclose(trained.y, table["trained"])
    np.testing.assert_allclose(randomized.y, table["randomized"])
    # One mask area for all methods: one dashed line across the whole plot.
    assert uniform.line.dash == "dash" and uniform.xaxis == "x2"
    np.testing.assert_allclose(uniform.y, [0.22, 0.22])
    assert tuple(uniform.x) == tuple(fig.layout.xaxis2.range) == tuple(fig.layout.xaxis.range) == (-0.5, 2.5)
    assert fig.layout.barmode == "group"
    assert fig.layout.yaxis.title.text == "attribution inside the object"
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.yaxis.range[0] == 0


def test_localization_figure_draws_one_segment_per_method_when_areas_differ():
    fig = localization_figure(_localization_table([0.2, 0.3, 0.4]))
    uniform = fig.data[2]
    assert list(uniform.y) == [0.2, 0.2, None, 0.3, 0.3, None, 0.4, 0.4, None]
    # Segment i is centred on category i.
    assert uniform.x[3] + uniform.x[4] == pytest.approx(2.0)


def test_localization_figure_handles_an_empty_table_and_missing_columns():
    empty = localization_figure(_localization_table([0.2, 0.3, 0.4]).iloc[:0])
    assert len(empty.data) == 0 and _texts(empty) == ["No methods measured yet"]
    with pytest.raises(ValueError, match="uniform"):
        localization_figure(pd.DataFrame({"method": ["a"], "trained": [0.5], "randomized": [0.1]}))


# --- accuracy under attack -------------------------------------------------------------------


def test_accuracy_curve_figure_has_one_line_per_attack_and_a_clean_line():
    fgsm = pd.DataFrame({"epsilon": [0.1, 0.0, 0.2], "accuracy": [0.5, 0.98, 0.2]})
    pgd = pd.DataFrame({"epsilon": [0.0, 0.1, 0.2], "accuracy": [0.98, 0.2, 0.01]})
    fig = accuracy_curve_figure({"FGSM": fgsm, "PGD": pgd}, clean_accuracy=0.98)
    assert [type(t) for t in fig.data] == [go.Scatter] * 3
    assert [t.name for t in fig.data] == ["FGSM", "PGD", "clean accuracy"]
    # Sorted by ε, values as given.
    np.testing.assert_allclose(fig.data[0].x, [0.0, 0.1, 0.2])
    np.testing.assert_allclose(fig.data[0].y, [0.98, 0.5, 0.2])
    np.testing.assert_allclose(fig.data[1].y, pgd["accuracy"])
    assert all("markers" in t.mode for t in fig.data[:2])
    clean = fig.data[2]
    assert clean.line.dash == "dash" and list(clean.y) == [0.98, 0.98] and clean.xaxis == "x2"
    assert fig.layout.xaxis.title.text == "ε (pixel range 0–1)"
    assert fig.layout.yaxis.tickformat == ".0%" and tuple(fig.layout.yaxis.range) == (0, 1.02)


def test_accuracy_curve_figure_without_clean_accuracy_or_curves():
    curve = pd.DataFrame({"epsilon": [0.0, 0.1], "accuracy": [0.9, 0.4]})
    assert [t.name for t in accuracy_curve_figure({"FGSM": curve}).data] == ["FGSM"]
    empty = accuracy_curve_figure({})
    assert len(empty.data) == 0 and _texts(empty) == ["No attacks run yet"]


# --- adversarial example ---------------------------------------------------------------------


def test_amplification_factor_by_hand():
    assert amplification_factor(np.array([0.08, -0.05])) == 12  # 1 / 0.08 = 12.5
    assert amplification_factor(np.array([0.1, -0.1])) == 10
    assert amplification_factor(np.zeros(3)) == 1
    assert amplification_factor(np.array([1.0])) == 1


def test_adversarial_figure_amplifies_the_perturbation_and_says_so():
    original = _gray(8) * 0.5
    perturbation = np.zeros((1, 8, 8))
    perturbation[0, 0, 0], perturbation[0, 1, 1] = 0.08, -0.04
    fig = adversarial_figure(
        original, perturbation, original + perturbation, labels=("original: 7 (98%)", "perturbation", "adversarial")
    )
    assert _texts(fig) == ["original: 7 (98%)", "perturbation ×12", "adversarial"]
    assert [type(t) for t in fig.data] == [go.Image, go.Heatmap, go.Image]
    heatmap = fig.data[1]
    np.testing.assert_allclose(heatmap.z, perturbation[0] * 12)
    np.testing.assert_allclose(heatmap.customdata, perturbation[0])  # hover shows the true δ
    assert heatmap.colorscale == go.Heatmap(colorscale=DIVERGING).colorscale
    assert (heatmap.zmin, heatmap.zmax, heatmap.zmid) == (-1.0, 1.0, 0.0)
    _assert_square_pixels(fig)


def test_adversarial_figure_without_amplify_keeps_the_pixel_range():
    perturbation = np.full((3, 32, 32), 0.03)
    perturbation[1] = -0.03
    fig = adversarial_figure(_rgb(32), perturbation, _rgb(32), labels=("a", "δ", "b"), amplify=False)
    assert _texts(fig) == ["a", "δ", "b"]
    # RGB: the heatmap shows the mean change over the three channels.
    np.testing.assert_allclose(fig.data[1].z, np.full((32, 32), 0.01))
    assert (fig.data[1].zmin, fig.data[1].zmax) == (-1.0, 1.0)
    np.testing.assert_array_equal(_pixels(fig.data[2])[0, 0], [255, 0, 0])


# --- image grid and series -------------------------------------------------------------------


def test_image_grid_figure_lays_out_rows_of_titled_images():
    images = np.random.default_rng(0).random((7, 3, 32, 32))
    titles = [f"class {i}" for i in range(7)]
    fig = image_grid_figure(images, titles, columns=5)
    assert [type(t) for t in fig.data] == [go.Image] * 7
    assert _texts(fig) == titles
    assert len(list(fig.select_xaxes())) == 10  # two rows of five
    np.testing.assert_array_equal(_pixels(fig.data[3]), np.rint(images[3].transpose(1, 2, 0) * 255))
    _assert_square_pixels(fig)


def test_image_grid_figure_takes_grayscale_and_shows_a_note_when_empty():
    fig = image_grid_figure(np.ones((2, 1, 28, 28)), ["a", "b"], columns=5)
    assert len(fig.data) == 2 and len(list(fig.select_xaxes())) == 2
    assert _pixels(fig.data[0]).shape == (28, 28, 3)
    empty = image_grid_figure(np.zeros((0, 1, 28, 28)), [])
    assert len(empty.data) == 0 and _texts(empty) == ["No images"]
    with pytest.raises(ValueError, match="titles"):
        image_grid_figure(np.ones((2, 1, 8, 8)), ["only one"])


def test_series_figure_plots_values_against_steps():
    fig = series_figure([0, 1, 2], [0.1, 0.5, 0.9], y_title="confidence", title="fooling", percent=True)
    assert [type(t) for t in fig.data] == [go.Scatter]
    np.testing.assert_allclose(fig.data[0].x, [0, 1, 2])
    np.testing.assert_allclose(fig.data[0].y, [0.1, 0.5, 0.9])
    assert fig.layout.yaxis.title.text == "confidence" and fig.layout.xaxis.title.text == "step"
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.title.text == "fooling"
    empty = series_figure([], [], y_title="confidence")
    assert _texts(empty) == ["No steps yet"]


def test_an_all_zero_map_is_a_message_not_a_blank_heatmap():
    from playground.figures.explain_attack.explain import ZERO_MAP_NOTE

    image = np.zeros((1, 4, 4))
    maps = {"Saliency": np.arange(16.0).reshape(4, 4), "Grad-CAM": np.zeros((4, 4))}
    fig = methods_figure(image, maps, signed={"Saliency": False, "Grad-CAM": False}, overlay=False)
    heatmaps = [t.name for t in fig.data if t.type == "heatmap"]
    assert heatmaps == ["Saliency"]
    notes = [a for a in fig.layout.annotations if a.text == ZERO_MAP_NOTE]
    assert len(notes) == 1 and notes[0].xref == "x3 domain"  # the third panel: input, Saliency, Grad-CAM


def test_the_change_panel_has_a_colour_bar_in_true_pixel_units():
    original = np.zeros((1, 4, 4))
    delta = np.full((1, 4, 4), 0.08)
    fig = adversarial_figure(original, delta, original + delta, labels=("a", "change", "b"))
    heatmap = next(t for t in fig.data if t.type == "heatmap")
    assert heatmap.showscale is not False
    assert list(heatmap.colorbar.ticktext) == ["−0.0833", "0", "+0.0833"]  # k = 12: the bar's ±1 is ±1/12
    assert heatmap.colorbar.title.text == "change"
