"""Training-lab figures, checked through their traces."""

import numpy as np
import pandas as pd

from playground.figures.training_lab.race import (
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
    lines = [t for t in fig.data if t.type == "scatter" and t.mode == "lines+markers"]
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
    from playground.figures.training_lab.race import runs_figure, sweep_figure

    history = pd.DataFrame({"epoch": [0, 1], "val_acc": [0.1, 0.9]})
    fig = runs_figure({"a": history, "b": history.assign(val_acc=[0.2, 0.5])}, metric="val_acc")
    assert [t.name for t in fig.data] == ["a", "b"] and list(fig.data[1].y) == [0.2, 0.5]
    fig = sweep_figure([0.001, 0.01], [0.5, 0.9], setting="lr", metric="val_acc", log_x=True)
    assert fig.layout.xaxis.type == "log" and list(fig.data[0].y) == [0.5, 0.9]


def test_each_optimizer_has_its_own_symbol_and_dash_and_a_labelled_end():
    from playground.training_lab.optim2d import OPTIMIZERS

    names = list(OPTIMIZERS)
    xs, ys = np.linspace(-1, 1, 5), np.linspace(-1, 1, 4)
    values = np.add.outer(ys**2, xs**2)
    paths = {name: np.array([[0.9, 0.9], [0.1 * k, -0.1 * k]]) for k, name in enumerate(names)}
    fig = race_figure(xs, ys, values, paths, upto=1, order=names)
    lines = [t for t in fig.data if t.type == "scatter" and t.mode == "lines+markers"]
    assert [t.name for t in lines] == names
    # Seven paths, seven symbols and seven dashes: none depends on colour alone.
    assert len({t.marker.symbol for t in lines}) == 7 and len({t.line.dash for t in lines}) == 7
    ends = [t for t in fig.data if t.type == "scatter" and t.mode == "markers+text"]
    assert [t.text[0] for t in ends] == names
    assert [t.marker.symbol for t in ends] == [t.marker.symbol for t in lines]
    # A name keeps its look whichever others race beside it.
    alone = race_figure(xs, ys, values, {"adam": paths["adam"]}, upto=1, order=names).data[1]
    assert (alone.marker.symbol, alone.line.dash) == (lines[5].marker.symbol, lines[5].line.dash)
    losses = race_loss_figure({n: np.array([1.0, 0.5]) for n in names}, upto=1, order=names).data
    assert len({t.marker.symbol for t in losses}) == 7 and len({t.line.dash for t in losses}) == 7


def test_a_diverged_run_is_named_in_the_legend_and_its_loss_stops_at_its_last_good_step():
    xs, ys = np.linspace(-1, 1, 5), np.linspace(-1, 1, 4)
    values = np.add.outer(ys**2, xs**2)
    far = np.array([[0.5, 0.5], [-5.0, 5.0], [50.0, -50.0], [50.0, -50.0]])  # diverged at step 3, padded
    fig = race_figure(xs, ys, values, {"sgd": far}, upto=3, diverged={"sgd": 3})
    assert fig.data[1].name == "sgd: diverged at step 3"
    end = fig.data[2]
    assert end.text[0] == "sgd (off the plot, diverged)" and (end.x[0], end.y[0]) == (1.0, -1.0)  # at the edge
    loss = race_loss_figure({"sgd": np.array([0.5, 50.0, 5000.0, 5000.0])}, upto=3, diverged={"sgd": 3})
    assert loss.data[0].name == "sgd: diverged at step 3" and list(loss.data[0].y) == [0.5, 50.0, 5000.0]
    assert loss.data[1].marker.symbol == "x" and loss.data[1].hovertext[0] == "sgd diverged at step 3"
    before = race_loss_figure({"sgd": np.array([0.5, 50.0, 5000.0, 5000.0])}, upto=1, diverged={"sgd": 3})
    assert len(before.data) == 1 and list(before.data[0].y) == [0.5, 50.0]  # not there yet: no cross
    assert before.data[0].name == "sgd"  # nor a flag: the step on screen has not diverged
    early = race_figure(xs, ys, values, {"sgd": far}, upto=2, diverged={"sgd": 3})
    assert early.data[1].name == "sgd" and early.data[2].text[0] == "sgd (off the plot)"
