"""Tests for playground.sequences.memory: the page's promise (at length 50 the LSTM learns the adding problem
and the plain RNN does not; at length 10 all three learn), the mean baseline by hand, the LSTM's gates
against nn.LSTM, and the figures.

The networks train in this process through a worker's JobContext and the "variants" trainer (the job's
own code, no pool), on one thread, with the page's budget (`memory.config`). Each (seed, length) job
trains once in a module fixture.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from playground import data
from playground.figures.sequences.memory import (
    BASELINE_LABEL,
    SCENE_WIDTH,
    gates_figure,
    gates_scene,
    gates_scene_frame,
    mse_curves_figure,
    mse_series,
)
from playground.jobs.worker import JobContext
from playground.live_encoding import picture_values
from playground.sequences import memory
from playground.training_lab.regularization import histories, load_weights, variants_trainer

pytestmark = pytest.mark.usefixtures("one_thread")
SEEDS = (0, 1, 2)


def train_side_by_side(length: int, seed: int, kinds) -> dict:
    """Train the page's networks of `kinds` on the adding problem in this process; the job's update."""
    dataset = data.load("adding", seed=seed, **memory.dataset_params(length))
    chosen = memory.variants(length, kinds)
    ctx = JobContext(1, chosen[0].spec, dataset, memory.config(seed), torch.device("cpu"),
                     options={"variants": [v.to_dict() for v in chosen], "watch": [memory.WATCHED]})
    for _ in variants_trainer(ctx):
        pass
    update = ctx.take_update()
    return {"tables": histories(update["series"]["rows"]), "series": update["series"],
            "latest": update.get("latest", {}), "dataset": dataset}


@pytest.fixture(scope="module")
def runs():
    """(length, seed) -> trained jobs: RNN and LSTM at the promised length, all three at length 10."""
    found = {}
    for seed in SEEDS:
        found[memory.PROMISED_LENGTH, seed] = train_side_by_side(memory.PROMISED_LENGTH, seed, ("rnn", "lstm"))
        found[10, seed] = train_side_by_side(10, seed, ("rnn", "lstm", "gru"))
    return found


def test_at_the_promised_length_the_lstm_learns_and_the_rnn_does_not(runs):
    for seed in SEEDS:
        mse = memory.final_mse(runs[memory.PROMISED_LENGTH, seed]["tables"])
        assert mse["LSTM"] < memory.LEARNED_BELOW, (seed, mse)
        assert mse["RNN"] > memory.NOT_LEARNED_ABOVE, (seed, mse)
        assert memory.verdict(mse["LSTM"]) == "learned the sum"
        assert memory.verdict(mse["RNN"]) != "learned the sum"
    assert memory.PROMISED_LENGTH == 50 and memory.PROMISED_LENGTH in memory.LENGTHS


def test_at_length_10_all_three_learn(runs):
    for seed in SEEDS:
        mse = memory.final_mse(runs[10, seed]["tables"])
        assert set(mse) == {"RNN", "LSTM", "GRU"}
        assert max(mse.values()) < memory.LEARNED_BELOW, (seed, mse)


def test_every_job_ran_the_pages_budget_and_sent_what_the_page_reads(runs):
    for (length, seed), run in runs.items():
        for name, table in run["tables"].items():
            assert list(table["epoch"]) == list(range(memory.EPOCHS + 1)), (length, seed, name)
            assert table["val_loss"].iloc[0] > 0.1  # untrained: no better than the mean
        # The watched LSTM's latest weights are its final ones, the same as the "last" weights series.
        final = next(e for e in run["series"]["weights"] if e["variant"] == "LSTM" and e["kind"] == "last")
        assert run["latest"]["weights: LSTM"] == final["state"]
        assert "weights: RNN" not in run["latest"]
        # The final weights give the reported test MSE.
        model = load_weights(memory.network_spec("lstm", length), final["state"])
        with torch.no_grad():
            mse = float(((model(run["dataset"].x_test) - run["dataset"].y_test) ** 2).mean())
        assert mse == pytest.approx(memory.final_mse(run["tables"])["LSTM"], rel=1e-4)


def test_the_mean_baseline_is_a_sixth_and_fails_the_learned_threshold(runs):
    # Var(U + V) for independent U, V uniform on [0, 1) is 1/12 + 1/12.
    assert memory.MEAN_MSE == pytest.approx(2 / 12)
    for seed in SEEDS:
        dataset = runs[memory.PROMISED_LENGTH, seed]["dataset"]
        mse = memory.mean_prediction_mse(dataset.y_train, dataset.y_test)
        by_hand = np.mean((dataset.y_test.numpy() - dataset.y_train.numpy().mean()) ** 2)
        assert mse == pytest.approx(by_hand, rel=1e-5)
        assert abs(mse - 1 / 6) < 0.02, mse
        assert not mse < memory.LEARNED_BELOW and mse > memory.NOT_LEARNED_ABOVE
        assert memory.verdict(mse) == "no better than the mean"


def test_gates_by_hand_equal_nn_lstms_own_states(runs):
    torch.manual_seed(3)
    lstm = nn.LSTM(2, 5, batch_first=True)
    x = torch.randn(7, 2)
    gates = memory.lstm_gates(lstm, x)
    with torch.no_grad():
        out, (h, c) = lstm(x[None])
    assert gates.hidden.shape == gates.cell.shape == (7, 5)
    assert np.allclose(gates.hidden, out[0].double().numpy(), atol=1e-6)
    assert np.allclose(gates.hidden[-1], h[0, 0].double().numpy(), atol=1e-6)
    assert np.allclose(gates.cell[-1], c[0, 0].double().numpy(), atol=1e-6)
    # Every step's cell state too: run nn.LSTM on each prefix.
    for t in (0, 3):
        with torch.no_grad():
            _, (_, c_t) = lstm(x[None, : t + 1])
        assert np.allclose(gates.cell[t], c_t[0, 0].double().numpy(), atol=1e-6)
    # The gates obey their definitions: in (0, 1), and c_t = f c_{t-1} + i g, h_t = o tanh(c_t).
    for name in ("input", "forget", "output"):
        assert ((getattr(gates, name) > 0) & (getattr(gates, name) < 1)).all()
    previous = np.vstack([np.zeros((1, 5)), gates.cell[:-1]])
    assert np.allclose(gates.cell, gates.forget * previous + gates.input * gates.candidate)
    assert np.allclose(gates.hidden, gates.output * np.tanh(gates.cell))
    # The same on a trained network's LSTM, over a real sequence.
    run = runs[memory.PROMISED_LENGTH, 0]
    final = next(e for e in run["series"]["weights"] if e["variant"] == "LSTM" and e["kind"] == "last")
    trained = memory.lstm_of(load_weights(memory.network_spec("lstm", memory.PROMISED_LENGTH), final["state"]))
    sequence = run["dataset"].x_test[0]
    with torch.no_grad():
        out, _ = trained(sequence[None])
    assert np.allclose(memory.lstm_gates(trained, sequence).hidden, out[0].double().numpy(), atol=1e-6)


def test_marked_steps_describe_and_busiest_units():
    sequence = np.zeros((6, 2))
    sequence[:, 0] = [0.1, 0.25, 0.3, 0.4, 0.5, 0.6]
    sequence[[1, 4], 1] = 1
    assert memory.marked_steps(sequence) == [1, 4]
    assert memory.describe(sequence) == ("6 steps; marked: 0.25 (step 2) and 0.50 (step 5); the target is "
                                         "0.25 + 0.50 = 0.75")
    cell = np.zeros((3, 4))
    cell[:, 2] = [0, 1, 3]
    cell[:, 0] = [0, 0, 0.5]
    gates = memory.Gates(*(np.zeros((3, 4)),) * 4, cell=cell, hidden=np.zeros((3, 4)))
    assert list(memory.busiest_units(gates, 2)) == [0, 2]


def test_specs_data_and_budget():
    spec = memory.network_spec("gru", 25)
    assert spec["input_shape"] == [25, 2] and spec["layers"][0]["type"] == "gru"
    with pytest.raises(ValueError, match="unknown recurrent layer"):
        memory.network_spec("transformer", 25)
    assert [v.name for v in memory.variants(25)] == ["RNN", "LSTM", "GRU"]
    config = memory.config(4)
    assert (config.optimizer, config.lr, config.batch_size, config.epochs, config.seed) == ("adam", 0.01, 16, 10, 4)


def test_curves_figure_draws_each_network_and_the_labelled_baseline(runs):
    tables = runs[10, 0]["tables"]
    fig = mse_curves_figure(tables)
    names = [t.name for t in fig.data]
    assert names == ["RNN, training", "RNN, test", "LSTM, training", "LSTM, test", "GRU, training", "GRU, test",
                     BASELINE_LABEL]
    baseline = fig.data[-1]
    assert list(baseline.y) == [pytest.approx(1 / 6)] * 2 and list(baseline.x) == [0, memory.EPOCHS]
    assert baseline.line.dash == "dot"
    assert any(a.text == BASELINE_LABEL for a in fig.layout.annotations)  # said in text, not by colour alone
    assert list(fig.data[1].y) == pytest.approx(list(tables["RNN"]["val_loss"]))
    live = mse_series(tables)["series"]
    assert [s["name"] for s in live] == [n if "training" in n else n for n in names]
    assert live[-1]["y"] == [pytest.approx(1 / 6, rel=1e-5)] * 2 and live[-1]["dash"] == "dot"
    assert live[0]["dash"] == "dash" and live[0]["legend"] is False
    assert "No epochs yet" in json.dumps(mse_curves_figure({}).to_plotly_json()["layout"]["annotations"])


def test_gates_figure_heatmaps_and_marked_steps():
    dataset = data.load("adding", seed=0, **memory.dataset_params(10))
    sequence = dataset.x_test[0].numpy()
    gates = memory.lstm_gates(nn.LSTM(2, 6), torch.as_tensor(sequence))
    fig = gates_figure(gates, sequence, units=[1, 4])
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert [t.name for t in heatmaps] == ["input gate i", "forget gate f", "output gate o", "cell state c"]
    assert np.asarray(heatmaps[1].z).shape == (2, 10)  # units × time steps
    assert np.allclose(np.asarray(heatmaps[1].z), gates.forget[:, [1, 4]].T)
    assert (heatmaps[0].zmin, heatmaps[0].zmax) == (0, 1) and heatmaps[3].zmin == -heatmaps[3].zmax
    marked = memory.marked_steps(sequence)
    texts = [a.text for a in fig.layout.annotations]
    for t in marked:  # each marked step written above, and ticked "▼t" on the time axis
        assert f"▼ marked: {sequence[t, 0]:.2f}" in texts
        assert f"▼{t + 1}" in fig.layout.xaxis4.ticktext
    assert len([s for s in fig.layout.shapes if s.line.dash == "dash"]) == 4 * len(marked)
    assert math.isclose(fig.layout.height, 720)


def test_live_gates_scene_is_the_figures_heatmaps_in_the_boards_scale():
    sequence = data.load("adding", seed=1, **memory.dataset_params(10)).x_test[3].numpy()
    gates = memory.lstm_gates(nn.LSTM(2, 8), torch.as_tensor(sequence))
    units = [0, 5, 7]
    scene, frame = gates_scene(gates, sequence, units), gates_scene_frame(sequence, len(units))
    images = scene["images"]
    assert [(i["rows"], i["cols"]) for i in images] == [(3, 10)] * 4
    assert all(i["w"] == SCENE_WIDTH for i in images)
    assert images[0]["y"] > images[1]["y"] > images[2]["y"] > images[3]["y"] == 0  # input gate on top
    # A gate g is drawn as 2g - 1 (the board's -1..1 scale), first unit on the top row (row 0 is at the bottom).
    drawn = picture_values(images[1])
    assert np.allclose(drawn[::-1], gates.forget[:, units].T * 2 - 1, atol=0.01)
    cell = picture_values(images[3])[::-1]
    assert np.allclose(cell, gates.cell[:, units].T / np.abs(gates.cell[:, units]).max(), atol=0.01)
    marked = memory.marked_steps(sequence)
    texts = [t["text"] for t in frame["texts"]]
    assert texts[:4] == ["input gate i", "forget gate f", "output gate o", "cell state c"]
    for t in marked:
        assert f"▼{sequence[t, 0]:.2f}" in texts
    assert len(scene["lines"][0]["xy"]) == 4 * 4 * len(marked)  # a line through each heatmap at each marked step
    assert scene["lines"][0]["xy"][0] == pytest.approx((marked[0] + 0.5) * SCENE_WIDTH / 10)
