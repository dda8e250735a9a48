"""Training-lab figures, checked through their traces."""

import numpy as np
import pandas as pd

from playground.figures.training_lab import (
    layer_distributions_figure,
    layer_norms_figure,
    race_figure,
    race_loss_figure,
)


def test_race_figure_draws_each_path_up_to_the_step():
    xs, ys = np.linspace(-1, 1, 5), np.linspace(-1, 1, 4)
    values = np.add.outer(ys**2, xs**2)
    path = np.array([[1.0, 1.0], [0.5, 0.5], [0.2, 0.1], [0.0, 0.0]])
    fig = race_figure(xs, ys, values, {"sgd": path, "adam": path * 0.5}, upto=2, minimum=(0.0, 0.0))
    lines = [t for t in fig.data if t.type == "scatter" and t.mode == "lines"]
    assert [t.name for t in lines] == ["sgd", "adam"]
    assert list(lines[0].x) == [1.0, 0.5, 0.2]  # steps 0..2 only
    assert fig.data[0].type == "contour"
    assert any(t.name == "minimum" for t in fig.data) and any(t.name == "start" for t in fig.data)


def test_race_loss_figure_uses_a_log_axis_for_positive_losses():
    fig = race_loss_figure({"sgd": np.array([1.0, 0.5, 0.25])}, upto=1)
    assert list(fig.data[0].y) == [1.0, 0.5]
    assert fig.layout.yaxis.type == "log"
    assert race_loss_figure({"saddle": np.array([1.0, -0.5])}, upto=1).layout.yaxis.type == "linear"


def test_layer_figures_have_one_violin_per_layer_and_bars_per_row():
    fig = layer_distributions_figure([np.zeros(10), np.ones(10)], title="t", value_title="v")
    assert [t.type for t in fig.data] == ["violin", "violin"]
    table = pd.DataFrame({"layer": [1, 2, 3], "grad_norm": [1e-3, 0.0, 2.0]})
    bars = layer_norms_figure(table).data[0]
    assert list(bars.x) == [1, 2, 3] and np.isnan(bars.y[1])  # a zero cannot sit on a log axis


def test_runs_and_sweep_figures():
    from playground.figures.training_lab import runs_figure, sweep_figure

    history = pd.DataFrame({"epoch": [0, 1], "val_acc": [0.1, 0.9]})
    fig = runs_figure({"a": history, "b": history.assign(val_acc=[0.2, 0.5])}, metric="val_acc")
    assert [t.name for t in fig.data] == ["a", "b"] and list(fig.data[1].y) == [0.2, 0.5]
    fig = sweep_figure([0.001, 0.01], [0.5, 0.9], setting="lr", metric="val_acc", log_x=True)
    assert fig.layout.xaxis.type == "log" and list(fig.data[0].y) == [0.5, 0.9]
