"""Figures of transposed convolution, tested through their traces and shapes."""

from __future__ import annotations

import numpy as np

from playground.figures.style import PLAIN, PRESENTATION
from playground.figures.vision.transposed import canvas_figure, input_figure, overlap_figure, stamp_figure
from playground.vision import transposed as tc

WALK = tc.walk(tc.INPUTS["2×2 ramp"], tc.KERNELS["3×3 of ones"], stride=2, padding=1)


def boxes(fig) -> list[tuple[float, float, float, float, str | None]]:
    return [(s.x0, s.y0, s.x1, s.y1, s.line.dash) for s in fig.layout.shapes]


def test_input_outlines_the_current_value_and_names_it():
    fig = input_figure(WALK.image, current=(1, 0))
    np.testing.assert_array_equal(fig.data[0].z, [[1, 2], [3, 4]])
    assert [list(row) for row in fig.data[0].text] == [["1", "2"], ["3", "4"]]
    assert boxes(fig) == [(-0.5, 0.5, 0.5, 1.5, None)]  # row 1, column 0
    assert "input: x[1, 0] = 3" in fig.layout.title.text


def test_stamp_shows_the_kernel_and_the_kernel_times_the_value():
    stamp = WALK.stamps[3]
    fig = stamp_figure(WALK.kernel, stamp.value, stamp.scaled)
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    np.testing.assert_array_equal(fig.data[1].z, np.full((3, 3), 4.0))
    assert "× 4 = added to the output" in [a.text for a in fig.layout.annotations]


def test_canvas_outlines_the_window_dashes_the_crop_and_hatches_the_cropped_border():
    fig = canvas_figure(WALK.stamps[1].running, window=WALK.window(2), crop=WALK.crop)
    assert fig.data[0].z.shape == (5, 5)
    assert boxes(fig) == [(0.5, 0.5, 3.5, 3.5, "dash"), (1.5, -0.5, 4.5, 2.5, None)]  # crop 3×3, window cols 2–4
    hatched = [t for t in fig.data if t.type == "scatter"]
    assert len(hatched) == 4 and all(t.fillpattern.shape == "/" for t in hatched)  # above, below, left, right
    assert [t.showlegend for t in hatched] == [True, False, False, False]
    assert hatched[0].name == "padding: cropped away"  # said in text, not only drawn


def test_nothing_hatched_without_padding_and_overlap_counts_written_in_cells():
    fig = canvas_figure(WALK.output)
    assert len(fig.data) == 1 and not fig.layout.shapes
    counts = tc.overlap_counts((4, 4), 3, 2, 1, output_padding=1)
    fig = overlap_figure(counts)
    assert list(fig.data[0].text[1][:3]) == ["2", "4", "2"] and fig.data[0].zmin == 0


def test_presentation_style_is_larger():
    plain, large = (overlap_figure(np.ones((3, 3)), style=s) for s in (PLAIN, PRESENTATION))
    assert large.layout.font.size > plain.layout.font.size and large.layout.height > plain.layout.height
