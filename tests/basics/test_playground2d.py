"""Tests for playground.basics.playground2d (points, features, the `playground2d` trainer) and its figures."""

from __future__ import annotations

import base64
import io
import math
import time

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from playground.basics import playground2d as p2
from playground.basics.tinynet import Trainer, TrainSettings, add_ones
from playground.figures.basics.playground2d import _rgba, loss_curves_figure, network_figure, output_figure
from playground.figures.style import FONT_FAMILY
from playground.jobs import train

SPEC = p2.network_spec(2, [8, 8], ["tanh", "tanh"])


def _spiral(**kwargs):
    return p2.training_dataset(p2.make_points("spiral", n=500, **kwargs), ["x1", "x2"])


def _wait(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _start(pool, dataset, *, epochs: int = 100_000, optimizer: str = "sgd", **kwargs) -> train.TrainingJob:
    config = train.Config(optimizer=optimizer, lr=0.03, batch_size=10, epochs=epochs, loss="cross_entropy", seed=3)
    return train.start(SPEC, dataset, config, trainer="playground2d", pool=pool, **kwargs)


def _replay(net, dataset, epochs: range, seed: int = 3):
    """Train `net` in this process exactly as the trainer does for the given epochs (SGD, lr 0.03, batch 10)."""
    trainer = Trainer(net, TrainSettings(loss="cross_entropy", optimizer="sgd", lr=0.03))
    x, y = add_ones(dataset.x_train.numpy()), dataset.y_train.numpy().astype(np.float64)[:, None]
    for epoch in epochs:
        order = np.random.default_rng([seed, epoch]).permutation(len(x))
        for s in range(0, len(x), 10):
            trainer.step(x[order][s:s + 10], y[order][s:s + 10])
    return net


# ---------------------------------------------------------------------------------------------
# Points and features


def test_features_are_computed_from_the_points():
    points = np.array([[1.0, 2.0], [-0.5, 3.0]])
    values = p2.featurize(points, list(p2.FEATURES))
    np.testing.assert_allclose(values[0], [1, 2, 1, 4, 2, math.sin(1), math.sin(2)])
    np.testing.assert_allclose(values[1], [-0.5, 3, 0.25, 9, -1.5, math.sin(-0.5), math.sin(3)])


def test_added_points_join_training_and_removed_ones_leave():
    base = p2.make_points("circle", n=100, test_fraction=0.5)
    edits = p2.PointEdits().adding(1.0, -2.0, 1).adding(9.0, 0.0, 0)  # the second is clipped to the plot
    edits = edits.removing(0, 0, n=100, test_fraction=0.5).removing(1, 3, n=100, test_fraction=0.5)
    edited = p2.make_points("circle", n=100, test_fraction=0.5, edits=edits)
    assert len(edited.x_train) == len(base.x_train) - 1 + 2
    assert len(edited.x_test) == len(base.x_test) - 1
    assert edited.x_train[-2].tolist() == [1.0, -2.0] and edited.y_train[-2].item() == 1
    assert edited.x_train[-1].tolist() == [6.0, 0.0]
    assert edited.x_train[0].tolist() == base.x_train[1].tolist()  # the first one is gone
    # Removing a shown added point drops it from the added list; the edits survive a round trip.
    shown = len(edited.x_train) - 1
    fewer = edits.removing(0, shown, n=100, test_fraction=0.5)
    assert len(fewer.added) == 1 and fewer.removed == edits.removed
    assert p2.PointEdits.from_dict(edits.to_dict()) == edits
    with pytest.raises(ValueError):
        p2.PointEdits.from_dict({"added": [[99, 0, 1]]})


def test_removing_every_training_point_is_refused():
    edits = p2.PointEdits(removed=tuple((0, i) for i in range(10)))
    with pytest.raises(ValueError, match="Every training point"):
        p2.make_points("xor", n=20, test_fraction=0.5, edits=edits)


def test_history_rows_are_thinned_logarithmically():
    rows = [e for e in range(1, 100_001) if p2.reported_epoch(e)]
    assert rows[:100] == list(range(1, 101))
    assert 110 in rows and 115 not in rows and 2000 in rows and 2050 not in rows
    assert len(rows) < 500


def test_neuron_grids_show_inputs_units_and_the_boundary():
    net = p2.net_from_spec(SPEC, "classification", seed=1)
    grids = p2.neuron_grids(net, ["x1", "x2"], resolution=11)
    assert [g.shape for g in grids] == [(2, 11, 11), (8, 11, 11), (8, 11, 11), (1, 11, 11)]
    np.testing.assert_allclose(grids[0][0][0], np.linspace(-6, 6, 11))  # x₁ grows along a row
    np.testing.assert_allclose(grids[0][1][:, 0], np.linspace(-6, 6, 11))  # x₂ grows down the rows
    p = net.predict(np.array([[-6.0, -6.0]]))[0]
    assert grids[-1][0][0, 0] == pytest.approx(2 * p - 1)


def test_a_weight_edit_changes_only_that_weight():
    net = p2.net_from_spec(SPEC, "classification", seed=1)
    edited = p2.edit_weight(net, 1, 8, 3, 2.5)  # row 8 of layer 1's block: bias of neuron 2.4
    assert edited.blocks[1][8, 3] == 2.5
    assert np.count_nonzero(edited.params != net.params) == 1
    assert p2.weight_label(net, 1, 8, 3, ["x₁", "x₂"]) == "bias of neuron 2.4"
    assert p2.weight_label(net, 0, 1, 0, ["x₁", "x₂"]) == "x₂ → neuron 1.1"
    assert p2.weight_label(net, 2, 0, 0, ["x₁", "x₂"]) == "neuron 2.1 → output"
    again = p2.net_from_weights(SPEC, "classification", p2.weights_of(edited))
    np.testing.assert_array_equal(again.params, edited.params)


# ---------------------------------------------------------------------------------------------
# The trainer in the worker pool


def test_epochs_move_and_the_loss_falls(pool):
    job = _start(pool, _spiral())
    _wait(lambda: job.epoch >= 300 and len(job.series("frame")) >= 2)  # frames come five times a second
    frames = job.series("frame")
    job.stop()
    assert job.status in ("running", "stopped"), job.error
    assert frames and frames[-1]["epoch"] >= 1
    history = job.history
    assert history["epoch"].iloc[0] == 0
    assert history["val_loss"].iloc[-1] < history["val_loss"].iloc[0] - 0.05
    assert "blocks" not in frames[-1]  # every frame's losses are kept, only the newest weights
    assert np.array(job.latest("frame")["blocks"][0]).shape == (3, 8)


def test_pause_then_single_steps_move_one_epoch_each(pool):
    job = _start(pool, _spiral())
    _wait(lambda: job.epoch >= 5)
    job.pause()
    _wait(lambda: job.status == "paused" and job.weights is not None)
    time.sleep(0.3)  # the worker has stopped: nothing moves now
    epoch = job.epoch
    time.sleep(0.3)
    assert job.epoch == epoch
    job.step(1, "epoch")
    _wait(lambda: job.epoch == epoch + 1)
    job.step(1, "epoch")
    _wait(lambda: job.epoch == epoch + 2)
    time.sleep(0.3)
    assert job.epoch == epoch + 2 and job.status == "paused"
    # The published weights are those after that epoch: the page draws the same picture.
    view = p2.frame_of(job, SPEC, _spiral(), "cross_entropy")
    assert view.epoch == epoch + 2 and math.isfinite(view.test_loss)
    job.resume()
    _wait(lambda: job.epoch > epoch + 20)
    job.stop()


def test_an_edited_weight_is_where_training_carries_on(pool):
    dataset = _spiral()
    net = p2.net_from_spec(SPEC, "classification", seed=3)
    edited = p2.edit_weight(net, 0, 0, 0, 4.0)
    job = _start(pool, dataset, epochs=3, init_weights=p2.weights_of(edited), options={"start_epoch": 10})
    assert job.wait(30) == "done", job.error
    assert job.epoch == 13
    got = p2.net_from_weights(SPEC, "classification", job.weights)
    expected = _replay(edited.copy(), dataset, range(11, 14))
    np.testing.assert_allclose(got.params, expected.params, atol=1e-12)
    unedited = _replay(net.copy(), dataset, range(11, 14))
    assert np.abs(got.params - unedited.params).max() > 0.1  # the edit made a difference


def test_carrying_on_repeats_an_unbroken_run(pool):
    dataset = _spiral()
    whole = _start(pool, dataset, epochs=4)
    first = _start(pool, dataset, epochs=2)
    assert whole.wait(30) == "done" and first.wait(30) == "done"
    rest = _start(pool, dataset, epochs=2, init_weights=first.weights, options={"start_epoch": 2})
    assert rest.wait(30) == "done"
    np.testing.assert_array_equal(p2.net_from_weights(SPEC, "classification", rest.weights).params,
                                  p2.net_from_weights(SPEC, "classification", whole.weights).params)


def test_regularization_options_reach_the_trainer(pool):
    dataset = _spiral()
    plain = _start(pool, dataset, epochs=20)
    shrunk = _start(pool, dataset, epochs=20, options={"l2": 0.3})
    assert plain.wait(30) == "done" and shrunk.wait(30) == "done"
    size = [np.abs(p2.net_from_weights(SPEC, "classification", j.weights).params).sum() for j in (plain, shrunk)]
    assert size[1] < 0.7 * size[0]


def test_a_diverging_run_fails_with_advice(pool):
    dataset = p2.training_dataset(p2.make_points("reg_plane", n=200), ["x1_sq", "x2_sq", "x1x2"])
    spec = p2.network_spec(3, [8], ["relu"])
    config = train.Config(optimizer="sgd", lr=10.0, batch_size=1, epochs=1000, loss="mse")
    job = train.start(spec, dataset, config, trainer="playground2d", pool=pool)
    assert job.wait(30) == "failed"
    assert "lower learning rate" in job.error


# ---------------------------------------------------------------------------------------------
# Figures


def test_network_figure_draws_a_picture_per_unit_and_every_link():
    net = p2.net_from_spec(p2.network_spec(3, [4, 2], ["tanh", "relu"]), "classification", seed=0)
    grids = p2.neuron_grids(net, ["x1", "x2", "x1x2"], resolution=7)
    fig = network_figure(grids, net.blocks, ["x₁", "x₂", "x₁x₂"], selected=(0, 1, 2))
    [image] = fig.layout.images  # all pictures on one canvas, sent as one PNG
    assert image.source.startswith("data:image/png;base64,") and image.layer == "below"
    pixels = np.array(Image.open(io.BytesIO(base64.b64decode(image.source.split(",", 1)[1]))))[::-1]  # row 0 at y=0
    assert pixels.shape[2] == 4 and (pixels[..., 3] == 255).sum() == (3 + 4 + 2 + 1) * 7 * 7  # the rest transparent
    assert image.sizex / image.sizey == pytest.approx(pixels.shape[1] / pixels.shape[0])
    for grid in grids:  # each unit's picture appears whole on it, in the blue-white-orange colours
        for picture in grid:
            colours = _rgba(picture)
            matches = [(r, c) for r in range(pixels.shape[0] - 6) for c in range(pixels.shape[1] - 6)
                       if np.array_equal(pixels[r:r + 7, c:c + 7], colours)]
            assert matches
    links = next(t for t in fig.data if t.name == "weights")
    assert len(links.x) == 3 * 4 + 4 * 2 + 2 * 1
    assert [1, 0, 1] in [list(c) for c in links.customdata]
    biases = next(t for t in fig.data if t.name == "biases")
    assert len(biases.x) == 4 + 2 + 1 and list(biases.customdata[0]) == [0, 3, 0]
    # Link widths grow with |weight|: the widest line trace belongs to the largest weight's bin.
    lines = [t for t in fig.data if isinstance(t, go.Scatter) and t.mode == "lines" and t.hoverinfo == "skip"]
    assert max(t.line.width for t in lines[:-1]) > 4 * min(t.line.width for t in lines[:-1])


def test_picture_colours_run_from_blue_through_white_to_orange():
    colours = _rgba(np.array([[-2.0, -1.0, 0.0, 0.5, 1.0, np.nan]]))[0]
    assert colours[0].tolist() == colours[1].tolist() == [0x00, 0x72, 0xB2, 255]  # beyond -1: full blue
    assert colours[2].tolist() == [255, 255, 255, 255]
    assert colours[3].tolist() == [round(255 + (0xE6 - 255) / 2), round(255 + (0x9F - 255) / 2),
                                   round(255 + (0x00 - 255) / 2), 255]
    assert colours[4].tolist() == [0xE6, 0x9F, 0x00, 255]
    assert colours[5][3] == 0  # no value: transparent


def test_figures_keep_the_playground_look_without_plotly_checks():
    fig = loss_curves_figure(np.array([0, 1]), np.array([0.7, 0.5]), np.array([0.8, 0.6]))
    assert fig.layout.height == 260 and fig.layout.xaxis.title.text == "epoch"
    assert fig.layout.font.family == FONT_FAMILY and fig.layout.xaxis.automargin  # from apply_style
    big = loss_curves_figure(np.array([0, 1]), np.array([0.7, 0.5]), np.array([0.8, 0.6]), large=True)
    assert big.layout.font.size > fig.layout.font.size


def test_thin_curve_keeps_the_ends_and_short_curves_whole():
    epochs = np.arange(1000.0)
    thinned, values = p2.thin_curve(epochs, epochs * 2, most=100)
    assert len(thinned) == 100 and thinned[0] == 0 and thinned[-1] == 999
    assert np.array_equal(values, thinned * 2) and np.all(np.diff(thinned) >= 9)
    short, same = p2.thin_curve(epochs[:50], epochs[:50], most=100)
    assert len(short) == 50 and np.array_equal(same, epochs[:50])


def test_output_figure_marks_train_and_test_points_and_adds_a_click_grid():
    grid = np.zeros((5, 5))
    train_points, test_points = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 2.0]])
    fig = output_figure(grid, train_points, np.array([0, 1]), test_points, np.array([1]), task="classification",
                        show_test=True, clickable=10)
    names = [t.name for t in fig.data]
    assert "training data" in names and "test data" in names and "click to add" in names
    clicks = next(t for t in fig.data if t.name == "click to add")
    assert len(clicks.x) == 100
    training = next(t for t in fig.data if t.name == "training data")
    assert list(training.marker.color) == [-1, 1]  # blue and orange ends of the scale
    hidden = output_figure(grid, train_points, np.array([0, 1]), test_points, np.array([1]), task="classification",
                           show_test=False)
    assert "test data" not in [t.name for t in hidden.data]


def test_loss_curves_figure_says_when_there_is_nothing_yet():
    empty = loss_curves_figure(np.array([]), np.array([]), np.array([]))
    assert "No epochs yet" in empty.layout.annotations[0].text
    fig = loss_curves_figure(np.array([0, 1, 2]), np.array([0.7, 0.5, 0.4]), np.array([0.7, 0.6, np.nan]))
    assert list(fig.data[1].y) == [0.7, 0.6]


# ---------------------------------------------------------------------------------------------
# Clicks, the paled background and the speed limit


def test_customdata_is_read_from_a_list_and_from_an_object_keyed_by_position():
    assert p2.customdata_ints([0, 218], 2) == (0, 218)
    assert p2.customdata_ints({"0": 0, "1": 218}, 2) == (0, 218)  # what a click on a data point delivers
    assert p2.customdata_ints({"0": 1.0, "1": 3.0, "2": 2.0}, 3) == (1, 3, 2)
    for bad in (None, [], [0], {"0": 0}, {"a": 1, "b": 2}, [0, "x"], [0.5, 1], "01"):
        assert p2.customdata_ints(bad, 2) is None, bad


def test_a_remove_click_on_a_point_delivered_as_an_object_removes_it():
    from playground.ui.playground2d_view import click_edits

    edits = click_edits(p2.PointEdits(), [{"x": 1.0, "y": 2.0, "customdata": {"0": 0, "1": 218}}], "remove", 0.5, 50)
    assert edits.removed == ((0, 218),)
    points = p2.make_points("circle", n=500, edits=edits)
    assert len(points.x_train) == 249  # 250 training points, one removed
    # An add click away from any point still adds one.
    added = click_edits(edits, [{"x": 1.0, "y": 2.0}], "add1", 0.5, 50)
    assert added.added == ((1.0, 2.0, 1.0),) and added.removed == edits.removed


def test_the_output_background_is_pale_and_the_points_keep_full_colours():
    from playground.figures.basics.playground2d import BACKGROUND_STRENGTH, PALE_BLUE_ORANGE
    from playground.figures.style import BLUE, ORANGE

    assert 0.3 <= BACKGROUND_STRENGTH <= 0.6
    # Independently: each channel moved from white towards the colour by the strength.
    expected = {c: "#" + "".join(f"{round(255 - BACKGROUND_STRENGTH * (255 - int(c[i:i + 2], 16))):02X}"
                                 for i in (1, 3, 5)) for c in (BLUE, ORANGE)}
    assert BLUE == "#0072B2" and ORANGE == "#E69F00"
    if BACKGROUND_STRENGTH == 0.45:  # worked by hand: 255 − 0.45·(255 − channel), rounded
        assert expected == {BLUE: "#8CC0DC", ORANGE: "#F4D48C"}
    fig = output_figure(np.full((5, 5), 1.0), np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1]),
                        np.zeros((0, 2)), np.zeros(0), task="classification")
    heatmap = next(t for t in fig.data if t.type == "heatmap")
    assert [list(c) for c in heatmap.colorscale] == [[0.0, expected[BLUE]], [0.5, "#FFFFFF"], [1.0, expected[ORANGE]]]
    assert [list(c) for c in heatmap.colorscale] == [list(c) for c in PALE_BLUE_ORANGE]
    assert (heatmap.zmin, heatmap.zmax, heatmap.showscale) == (-1, 1, False)
    # The points (and the colour bar) keep the full scale.
    assert [c[1] for c in fig.layout.coloraxis.colorscale] == [BLUE, "#FFFFFF", ORANGE]
    training = next(t for t in fig.data if t.name == "training data")
    assert training.marker.coloraxis == "coloraxis"


def _epochs_in(pool, seconds: float, **options) -> int:
    job = _start(pool, _spiral(), options=options)
    _wait(lambda: job.status == "running" and job.epoch >= 1)
    first, began = job.epoch, time.monotonic()
    time.sleep(seconds)
    done = job.epoch - first
    elapsed = time.monotonic() - began
    job.stop()
    return done / elapsed


def test_the_speed_limit_slows_training_to_a_few_epochs_a_second(pool):
    slow = _epochs_in(pool, 3.0, epochs_per_s=2)
    assert slow <= 3.0, slow  # at most 2 a second (a report may arrive a little late or early)
    assert slow >= 1.0, slow  # and it does move
    full = _epochs_in(pool, 2.0, epochs_per_s=0)
    assert full >= 30, full  # as fast as before: hundreds a second on a quiet machine


def test_a_slow_run_pauses_and_steps_one_epoch(pool):
    job = _start(pool, _spiral(), options={"epochs_per_s": 2})
    _wait(lambda: job.epoch >= 1)
    job.pause()
    _wait(lambda: job.status == "paused")
    time.sleep(0.3)
    at = job.epoch
    job.step(1, "epoch")
    _wait(lambda: job.epoch == at + 1)
    time.sleep(1.0)
    assert job.epoch == at + 1 and job.status == "paused"
    job.stop()


def test_run_curve_joins_past_runs_and_the_current_job(pool):
    job = _start(pool, _spiral(), epochs=50)
    job.wait(30)
    past = [(0, 0.9, 0.9), (1, 0.8, 0.85)]
    epochs, train_loss, test_loss = p2.run_curve(past, None)
    assert list(epochs) == [0, 1] and list(test_loss) == [0.9, 0.85]
    epochs, train_loss, test_loss = p2.run_curve(past, job)
    assert list(epochs[:2]) == [0, 1] and epochs[-1] == 50 and np.all(np.diff(epochs) > 0)
