"""Autoencoder figures, checked through their traces and layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from playground.figures.latent_space.autoencoders import (
    CLASS_COLORS,
    GRID_NAME,
    POINT_NAME,
    SELECTED_NAME,
    WALK_NAME,
    autoencoder_curves_figure,
    class_style,
    image_strip_figure,
    latent_scatter_figure,
    manifold_figure,
    mosaic,
    pca_scatter_figure,
    reconstruction_figure,
    walk_animation_figure,
)
from playground.figures.style import BLUE, ORANGE, TRAIN_COLOR, VAL_COLOR


def _images(n: int, size: int = 8) -> np.ndarray:
    """n grayscale images, image k filled with k / n."""
    return np.stack([np.full((1, size, size), k / max(n, 1)) for k in range(n)])


def _history(variational: bool) -> pd.DataFrame:
    rows = []
    for epoch in range(4):
        row = {"epoch": epoch, "train_loss": None if epoch == 0 else 1.0 / (epoch + 1), "val_loss": 1.0 / (epoch + 1),
               "train_recon": None if epoch == 0 else 30 - epoch, "val_recon": 31 - epoch,
               "val_mse": 0.2 - 0.04 * epoch, "train_kl": None, "val_kl": None, "beta": None}
        if variational:
            row.update(train_kl=None if epoch == 0 else 1.0 + epoch, val_kl=1.5 + epoch, beta=0.5)
        rows.append(row)
    return pd.DataFrame(rows)


# --- curves ----------------------------------------------------------------------------------


def test_a_vae_shows_its_reconstruction_and_kl_terms_apart():
    fig = autoencoder_curves_figure(_history(variational=True))
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0] == "reconstruction term, nats per image"
    assert titles[1] == "KL term, nats per image (weighted by β = 0.5)"
    assert [(t.name, t.xaxis) for t in fig.data] == [("train", "x"), ("test", "x"), ("train", "x2"), ("test", "x2")]
    assert list(fig.data[1].y) == [31, 30, 29, 28]  # test reconstruction, epoch 0 (untrained) included
    assert list(fig.data[2].y) == [2.0, 3.0, 4.0]  # train KL starts at epoch 1
    assert fig.data[0].line.color == TRAIN_COLOR and fig.data[1].line.color == VAL_COLOR
    assert [t.showlegend for t in fig.data] == [True, True, False, False]


def test_other_kinds_show_their_loss_and_the_test_error():
    fig = autoencoder_curves_figure(_history(variational=False))
    assert [a.text for a in fig.layout.annotations][:2] == ["loss (what training minimizes)",
                                                            "test reconstruction error (MSE per pixel)"]
    assert len(fig.data) == 3
    assert np.allclose(fig.data[2].y, [0.2, 0.16, 0.12, 0.08])
    assert fig.data[2].xaxis == "x2"


def test_no_epochs_yet_gives_a_note_in_both_panels():
    fig = autoencoder_curves_figure(pd.DataFrame())
    assert sum(a.text == "No epochs yet" for a in fig.layout.annotations) == 2


# --- images ----------------------------------------------------------------------------------


def test_a_mosaic_lays_images_out_with_grey_gaps():
    picture = mosaic(_images(3, size=4), columns=2)
    assert picture.shape == (4 + 1 + 4, 4 + 1 + 4, 3) and picture.dtype == np.uint8
    assert (picture[0, 0] == 0).all()  # image 0 is black
    assert (picture[0, 5] == round(255 / 3)).all()  # image 1, right of the gap
    assert (picture[5, 5] == 153).all()  # the empty fourth cell stays grey (0.6)
    assert (picture[4, :] == 153).all() and (picture[:, 4] == 153).all()
    grid = mosaic(_images(6, size=2).reshape(2, 3, 1, 2, 2))
    assert grid.shape == (2 * 2 + 1, 3 * 2 + 2, 3)


def test_reconstructions_sit_under_their_inputs():
    fig = reconstruction_figure(_images(5), _images(5)[::-1], titles=("noisy input", "reconstruction"))
    assert [type(t) for t in fig.data] == [go.Image, go.Image]
    assert [a.text for a in fig.layout.annotations] == ["noisy input", "reconstruction"]
    assert np.asarray(fig.data[0].z).shape == (8, 5 * 8 + 4, 3)
    assert fig.data[0].yaxis == "y" and fig.data[1].yaxis == "y2"
    with pytest.raises(ValueError, match="differ in shape"):
        reconstruction_figure(_images(5), _images(4))


def test_a_strip_labels_each_image():
    fig = image_strip_figure(_images(4), ["0%", "33%", "67%", "100%"])
    assert len(fig.data) == 1 and np.asarray(fig.data[0].z).shape == (8, 4 * 8 + 3, 3)
    assert list(fig.layout.xaxis.ticktext) == ["0%", "33%", "67%", "100%"]
    assert list(fig.layout.xaxis.tickvals) == [3.5, 12.5, 21.5, 30.5]  # the middle of each image
    with pytest.raises(ValueError, match="labels"):
        image_strip_figure(_images(4), ["a"])


def test_the_manifold_is_one_picture_with_the_grid_values_on_its_axes():
    grid = _images(6).reshape(2, 3, 1, 8, 8)
    fig = manifold_figure(grid, [-1.0, 0.0, 1.0], [-0.5, 0.5], axis_titles=("z₁", "z₂"))
    assert len(fig.data) == 1 and np.asarray(fig.data[0].z).shape == (2 * 8 + 1, 3 * 8 + 2, 3)
    assert list(fig.layout.xaxis.ticktext) == ["-1", "0", "1"]
    assert list(fig.layout.yaxis.ticktext) == ["0.5", "-0.5"]  # the top row is the largest y
    assert fig.layout.yaxis.autorange == "reversed"
    with pytest.raises(ValueError, match="need 3 x values"):
        manifold_figure(grid, [0.0, 1.0], [0.0, 1.0])


def test_the_walk_animates_frame_by_frame():
    fig = walk_animation_figure(_images(5), [f"step {k}" for k in range(5)])
    assert len(fig.frames) == 5
    assert [f.name for f in fig.frames] == [f"step {k}" for k in range(5)]
    assert np.array_equal(np.asarray(fig.frames[0].data[0].z), np.asarray(fig.data[0].z))  # starts on step 0
    assert int(np.asarray(fig.frames[4].data[0].z)[0, 0, 0]) == round(255 * 4 / 5)
    assert [s.label for s in fig.layout.sliders[0].steps] == [f"step {k}" for k in range(5)]
    assert fig.layout.updatemenus[0].buttons[0].method == "animate"


# --- maps ------------------------------------------------------------------------------------


def test_the_map_has_a_trace_per_class_then_the_grid_walk_point_and_selection():
    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [3.0, 3.0]])
    labels = np.array([1, 0, 1, 9])
    fig = latent_scatter_figure(points, labels, [str(d) for d in range(10)], indices=[10, 11, 12, 13],
                                grid=([0, 1, 2], [0, 1]), walk=[[0, 0], [1, 1], [2, 2]], chosen=[0.5, 0.25],
                                selected=12)
    names = [t.name for t in fig.data]
    assert names == ["0", "1", "9", GRID_NAME, WALK_NAME, POINT_NAME, SELECTED_NAME]
    one = fig.data[1]
    assert list(one.x) == [0.0, 2.0] and list(one.customdata) == [10, 12]
    assert one.marker.color == ORANGE and one.marker.symbol == "square"
    assert fig.data[0].marker.color == BLUE and fig.data[0].marker.symbol == "circle"
    assert fig.data[2].marker.color == CLASS_COLORS[9] and fig.data[2].marker.symbol == "star-diamond"
    grid = fig.data[3]
    assert len(grid.x) == 6 and 0 < grid.marker.opacity < 0.2  # faint, but visible enough to be clicked
    assert list(zip(grid.x, grid.y)) == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]
    assert list(fig.data[4].x) == [0, 1, 2]
    assert (fig.data[5].x[0], fig.data[5].y[0]) == (0.5, 0.25)
    assert (fig.data[6].x[0], fig.data[6].y[0]) == (2.0, 0.5)  # test image 12
    assert fig.layout.xaxis.title.text == "z₁"


def test_the_ten_digit_classes_each_have_their_own_colour_and_shape_on_both_maps():
    # Classes 0 and 8 once shared one blue; now colour is never the only thing that tells them apart,
    # and never the same for two of ten classes.
    labels = np.arange(10).repeat(3)
    points = np.random.default_rng(0).normal(size=(30, 2))
    classes = [str(d) for d in range(10)]
    for fig in (latent_scatter_figure(points, labels, classes, chosen=[0, 0]),
                pca_scatter_figure(points, points, labels, classes)):
        traces = [t for t in fig.data if t.name in classes and t.showlegend is not False]
        assert [t.name for t in traces] == classes
        colours = [t.marker.color for t in traces]
        symbols = [t.marker.symbol for t in traces]
        assert len(set(colours)) == 10 and len(set(symbols)) == 10, (colours, symbols)
        assert "star" not in symbols  # the chosen point's star stays unique
        assert all(len(t.x) == 3 for t in traces)
    styles = [class_style(label) for label in range(12)]
    assert len({symbol for _, symbol in styles}) == 12  # past ten classes the shapes still differ


def test_the_pca_comparison_puts_both_maps_side_by_side_with_one_legend():
    labels = np.array([0, 1, 1, 2])
    fig = pca_scatter_figure(np.zeros((4, 2)), np.ones((4, 2)), labels, ["a", "b", "c"],
                             titles=("autoencoder", "PCA"))
    assert [a.text for a in fig.layout.annotations] == ["autoencoder", "PCA"]
    assert [(t.name, t.xaxis, t.showlegend) for t in fig.data] == [
        ("a", "x", True), ("b", "x", True), ("c", "x", True), ("a", "x2", False), ("b", "x2", False),
        ("c", "x2", False)]
    assert list(fig.data[4].x) == [1.0, 1.0]
    with pytest.raises(ValueError, match="points"):
        pca_scatter_figure(np.zeros((3, 2)), np.ones((4, 2)), labels, ["a", "b", "c"])
