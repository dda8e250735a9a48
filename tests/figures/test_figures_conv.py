"""Convolution figures, checked through their traces and shapes."""

import numpy as np

from playground.figures.cnn_lab.conv import grid_figure, maps_figure, step_figure


def test_grid_figure_writes_small_grids_numbers_and_outlines_the_window():
    values = np.arange(9.0).reshape(3, 3)
    fig = grid_figure(values, window=(1, 1, 2, 2), blank=np.eye(3, dtype=bool))
    heat = fig.data[0]
    assert heat.text[0][1] == "1" and heat.text[0][0] == ""  # the diagonal is not computed yet
    assert np.isnan(heat.z[1][1]) and heat.z[1][2] == 5
    (rect,) = fig.layout.shapes
    assert (rect.x0, rect.x1, rect.y0, rect.y1) == (0.5, 2.5, 0.5, 2.5)


def test_step_figure_shows_window_kernel_and_products_with_their_sum():
    window, kernel = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, -1.0]])
    fig = step_figure(window, kernel, window * kernel, total=-3.0)
    assert len(fig.data) == 3
    assert fig.data[2].text[1][1] == "-4"
    assert any("sum = -3" in a.text for a in fig.layout.annotations)


def test_maps_figure_scales_each_map_to_its_own_range():
    maps = np.stack([np.full((2, 2), 2.0), np.full((2, 2), -8.0)])
    fig = maps_figure(maps, ["a", "b"])
    assert [(t.zmin, t.zmax) for t in fig.data] == [(-2.0, 2.0), (-8.0, 8.0)]
