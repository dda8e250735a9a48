"""The segmentation figures stay readable at 1280×720: the live board's legends are short enough, and the
cost figure's text sits level and readable on the network's sliver of a bar."""

import pandas as pd

from playground.figures.vision import segmentation as figures
from playground.vision.segmentation import CLASS_NAMES, SHOWN, sliding_window_cost


def test_the_mask_legend_fits_in_lines_of_three_names():
    frame = figures.mask_frame(48, SHOWN, CLASS_NAMES)
    lines = [t["text"] for t in frame["texts"] if t["text"] not in ("true", "predicted")]
    # On one line (76 characters at 13 px) it ran past the scene, cutting "4: cross" off at 1280 px.
    assert lines == ["Colours: 0: background (grey)   1: square   2: circle", "3: triangle   4: cross"]
    assert all(len(line) <= 55 for line in lines)
    assert frame["y_range"][0] < min(t["y"] for t in frame["texts"])  # every line inside the scene


def test_the_live_chart_names_are_short():
    history = pd.DataFrame({"epoch": [0, 1], "val_acc": [0.1, 0.9], "miou": [0.01, 0.3]})
    names = [s["name"] for s in figures.score_series(history, {"miou": 0.181})]
    assert names == ["pixel accuracy", "mean IoU", "background only"]
    assert sum(len(n) for n in names) <= 40  # one legend line in a half-width chart (was 66: cut off)


def test_the_cost_bars_text_is_level_and_outside_the_sliver():
    bar = figures.cost_figure(sliding_window_cost(8, size=48)).data[0]
    assert list(bar.textposition) == ["outside", "inside"] and bar.textangle == 0
    assert bar.text[0] == "1 pass: 5.9 M"
    assert figures.cost_figure(sliding_window_cost(8, size=48)).layout.xaxis.dtick == 1  # no "2", "5" ticks
