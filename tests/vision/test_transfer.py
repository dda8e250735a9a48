"""Transfer learning: the three ways do what they say (frozen features stay put, fine-tuning moves them,
scratch starts afresh), pretrained features beat untrained ones when only a head learns, the "transfer"
trainer runs in the pool, streams and stops, and ResNet-18 loads from a local file (or says clearly how
to get it). Figures are tested through their traces."""

import urllib.error

import numpy as np
import pandas as pd
import pytest
import torch

from playground.data import load
from playground.vision import pretrained as pre
from playground.vision import transfer as tl
from tests.waiting import wait_for

SEEDS = (0, 1, 2)
SMALL = dict(sizes=(5,), ways=("scratch", "finetune", "frozen"))


@pytest.fixture(scope="module")
def digits():
    return load("digits", seed=0)


@pytest.fixture(scope="module")
def runs(one_thread, digits):
    """Per seed: the experiment at 5 images a class with pretraining, and with untrained features."""
    out = {}
    for seed in SEEDS:
        trained = tl.run_transfer(tl.TransferOptions(**SMALL), seed=seed, digits=digits)
        untrained = tl.run_transfer(tl.TransferOptions(**SMALL, pretrained=False), seed=seed, digits=digits)
        out[seed] = (trained, untrained)
    return out


def test_the_tasks_have_different_classes_and_a_fixed_test_set(digits):
    tasks = tl.make_tasks(digits, seed=0)
    assert tasks.a_x.shape == (901 - 180, 1, 8, 8)  # A's digits unplaced: pretraining places them every epoch
    assert tasks.a_test_x.shape == (180, 1, tl.CANVAS, tl.CANVAS)
    assert set(tasks.a_y.tolist()) == set(range(5)) and set(tasks.b_test_y.tolist()) == set(range(5))
    assert 0 <= float(tasks.b_test_x.min()) and float(tasks.b_test_x.max()) <= 1
    x5, y5 = tasks.b_train(5)
    assert x5.shape == (25, 1, 24, 24) and y5.tolist() == [c for c in range(5) for _ in range(5)]
    x100, _ = tasks.b_train(100)
    assert torch.equal(x100[:5], x5[:5])  # the smaller training sets are part of the larger ones
    assert len(tasks.b_test_x) == 896 - 500  # every B image not in the largest training set
    again = tl.make_tasks(digits, seed=0)
    assert torch.equal(again.b_test_x, tasks.b_test_x) and not torch.equal(tl.make_tasks(digits, 1).a_x, tasks.a_x)


def test_placing_scales_turns_and_moves_a_digit_and_adds_noise():
    tl_noise = tl.NOISE
    try:
        tl.NOISE = 0.0
        square = torch.ones(400, 1, 8, 8)
        placed = tl.place(square, torch.Generator().manual_seed(0))
    finally:
        tl.NOISE = tl_noise
    ink = placed.flatten(1).sum(1)
    # A 16 × 16 square scaled by 0.7–1.3 covers about 11² to 21² pixels (the edges are blurred by bilinear).
    assert 100 < float(ink.min()) and float(ink.max()) < 21 ** 2 + 20
    rows, cols = torch.arange(tl.CANVAS).float().view(1, -1, 1), torch.arange(tl.CANVAS).float().view(1, 1, -1)
    cy = (placed[:, 0] * rows).flatten(1).sum(1) / ink
    cx = (placed[:, 0] * cols).flatten(1).sum(1) / ink
    assert float(cx.min()) < 8 and float(cx.max()) > 15 and float(cy.min()) < 8 and float(cy.max()) > 15
    # The noise: N(0, 0.3) clipped at 0 has mean 0.3 / sqrt(2π) ≈ 0.120 on an empty canvas.
    blank = tl.place(torch.zeros(50, 1, 8, 8), torch.Generator().manual_seed(1))
    assert float(blank.mean()) == pytest.approx(0.3 / np.sqrt(2 * np.pi), abs=0.005)


@pytest.mark.parametrize("seed", SEEDS)
def test_pretraining_learns_task_a(runs, seed):
    trained, untrained = runs[seed]
    tasks = trained["tasks"]
    assert tl.accuracy(trained["pretrained"], tasks.a_test_x, tasks.a_test_y) > 0.85  # measured 91–98 %
    assert tl.accuracy(untrained["pretrained"], tasks.a_test_x, tasks.a_test_y) < 0.35  # chance is 0.2


def test_frozen_keeps_the_features_fine_tuning_moves_them_scratch_starts_afresh(runs):
    trained, _ = runs[0]
    base = trained["pretrained"].features.state_dict()
    frozen = trained["models"][("frozen", 5)].features.state_dict()
    tuned = trained["models"][("finetune", 5)].features.state_dict()
    assert all(torch.equal(frozen[k], base[k]) for k in base)
    assert all(not torch.equal(tuned[k], base[k]) for k in base)
    assert max(float((tuned[k] - base[k]).abs().max()) for k in base) > 1e-3
    # Scratch starts from fresh weights, not A's: the start is the one every way draws, before A's come in.
    scratch, _ = tl.start_model("scratch", trained["pretrained"], 1000)
    finetune, _ = tl.start_model("finetune", trained["pretrained"], 1000)
    assert not torch.equal(scratch.features[0].weight, base["0.weight"])
    assert torch.equal(finetune.features[0].weight, base["0.weight"])
    assert torch.equal(scratch.head.weight, finetune.head.weight)  # the same new head in every way
    model, groups = tl.start_model("frozen", trained["pretrained"], 1000)
    assert [p for g in groups for p in g["params"]] == list(model.head.parameters())
    assert not any(p.requires_grad for p in model.features.parameters())


@pytest.mark.parametrize("seed", SEEDS)
def test_pretrained_features_beat_untrained_ones_when_only_the_head_learns(runs, seed):
    trained, untrained = runs[seed]
    with_a, without = trained["accuracy"][("frozen", 5)], untrained["accuracy"][("frozen", 5)]
    assert with_a > 0.45 and without < 0.40  # about 53–71 % against 25–32 % (chance: 20 %)
    assert with_a - without > 0.15


def _gaps(runs, which: int) -> dict[int, dict[str, float]]:
    return {s: {w: round(runs[s][which]["accuracy"][(w, 5)], 3) for w in tl.WAYS} for s in SEEDS}


def test_with_five_images_a_class_fine_tuning_beats_scratch_by_ten_points_on_every_seed(runs):
    """The issue's bar. Measured at 5 a class, seeds 0–5: scratch 31–48 %, fine-tune 62–71 %, a gap of 23–37
    points (the digits, moved, scaled, turned and noisy, are too varied to learn from 25 pictures)."""
    numbers = _gaps(runs, 0)
    for row in numbers.values():
        assert row["finetune"] - row["scratch"] >= 0.10, numbers
        assert row["frozen"] - row["scratch"] >= 0.05, numbers


def test_the_same_bar_fails_when_the_features_were_never_pretrained(runs):
    """The baseline: "fine-tuning" untrained features is training from scratch with other learning rates,
    and does not beat scratch by 10 points on any seed (measured −10 to +6)."""
    numbers = _gaps(runs, 1)
    for row in numbers.values():
        assert row["finetune"] - row["scratch"] < 0.10, numbers


def test_the_lesson_states_the_numbers():
    table = {"scratch": {5: 0.65, 100: 0.95}, "finetune": {5: 0.70, 100: 0.91}, "frozen": {5: 0.60, 100: 0.80}}
    text = tl.lesson(table)
    assert "With 5 images a class: from scratch 65%, fine-tune everything 70%, frozen features, new head 60%." in text
    assert "Best: fine-tune everything." in text and "Best: from scratch." in text
    assert "+5 points" in text
    assert "At 100 a class the gap is -4 points" in text
    assert tl.results_table([{"way": "scratch", "size": 5, "accuracy": 0.5}]) == {"scratch": {5: 0.5}}
    assert tl.lesson({}) == "No results yet."


def test_bad_settings_are_refused_by_name():
    with pytest.raises(Exception, match="sizes must be 1 to 3 whole numbers"):
        tl.job_arguments(tl.TransferOptions(sizes=(0,)))
    with pytest.raises(Exception, match="ways must be 1 to 3 of scratch, finetune, frozen"):
        tl.job_arguments(tl.TransferOptions(ways=("magic",)))


def test_the_trainer_runs_in_the_pool_streams_and_stops(pool):
    from playground.jobs import train

    options = tl.TransferOptions(sizes=(5,), pretrain_epochs=2)
    job = train.start(**tl.job_arguments(options, seed=0), pool=pool)
    assert job.wait(60) == "done", job.error
    history = job.history
    assert len(history) == 2 + 3 * tl.CURVE_POINTS == job.config.epochs  # 100 epochs a way, tested every 5th
    assert list(history["way"][:2]) == [0, 0] and set(history["way"][2:]) == {1, 2, 3}
    assert list(history["epoch"]) == list(range(1, len(history) + 1))
    results = tl.results_table(job.series("results"))
    assert set(results) == set(tl.WAYS) and all(0 <= results[w][5] <= 1 for w in tl.WAYS)
    # The last row of each way is the accuracy its result reports.
    for way, code in (("scratch", 1), ("finetune", 2), ("frozen", 3)):
        assert history[history["way"] == code]["val_acc"].iloc[-1] == pytest.approx(results[way][5])
    filters = job.series("filters")
    assert [f["label"] for f in filters] == ["after pretraining on 0–4", "after fine-tuning on 5 a class"]
    assert np.array(filters[0]["filters"]).shape == (16, 3, 3)
    assert list(history[history["way"] == 1]["way_epoch"][:3]) == [5, 10, 15]
    view = tl.live_producer(job)()
    assert set(view["charts"]) == {"size0", "pretrain"} and len(view["charts"]["size0"]["series"]) == 3
    assert view["metrics"]["Fine-tune − scratch (5 a class)"].endswith("points")

    long = train.start(**tl.job_arguments(tl.TransferOptions(pretrain_epochs=100), seed=1), pool=pool)
    assert wait_for(lambda: long.rows >= 2, 30)
    long.stop()
    assert long.wait(10) == "stopped" and long.rows < 100


# ---- ResNet-18 --------------------------------------------------------------------------------------


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)  # torch.hub.get_dir() follows TORCH_HOME again
    return tmp_path


def test_resnet18_loads_locally_saved_weights_and_extracts_its_features(torch_home):
    import torchvision

    file = pre.resnet18_weights_file()
    assert file == torch_home / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    torch.manual_seed(0)
    saved = torchvision.models.resnet18().eval()
    file.parent.mkdir(parents=True)
    torch.save(saved.state_dict(), file)
    model = pre.load_resnet18()
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), saved.state_dict().values()))
    images = torch.rand(3, 1, 12, 12)
    features = pre.resnet_features(model, images, batch_size=2)
    assert features.shape == (3, pre.FEATURES)
    # Independently: torchvision's own forward pass up to the fc layer, on images resized and normalised by hand.
    x = torch.nn.functional.interpolate(images.repeat(1, 3, 1, 1), size=(224, 224), mode="bilinear")
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    x = (x - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
    seen = {}
    saved.fc.register_forward_hook(lambda module, args, out: seen.setdefault("x", args[0]))
    with torch.no_grad():
        saved(x)
    torch.testing.assert_close(features, seen["x"], rtol=1e-4, atol=1e-5)


def test_without_the_file_or_a_network_the_message_names_the_file_and_how_to_get_it(torch_home, monkeypatch):
    with pytest.raises(pre.PretrainedUnavailable) as missing:
        pre.load_resnet18()
    message = str(missing.value)
    folder = torch_home / "hub" / "checkpoints"
    assert f"belong in {folder} as resnet18-f37072fd.pth" in message and "no download was allowed" in message
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in message

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(pre.PretrainedUnavailable, match=r"URLError: <urlopen error no network>.*resnet18-f37072fd"):
        pre.load_resnet18(download=True)


# ---- figures ------------------------------------------------------------------------------------------


def _history():
    rows = [dict(epoch=i + 1, way=0, size=0, way_epoch=i + 1, train_loss=1.0, val_acc=0.5 + 0.1 * i) for i in range(3)]
    for code in (1, 2, 3):
        rows += [dict(epoch=10 * code + e, way=code, size=5, way_epoch=e, train_loss=1.0, val_acc=0.2 * code + 0.01 * e)
                 for e in (1, 2)]
    return pd.DataFrame(rows)


def test_curves_side_by_side_and_filters_figures():
    from playground.figures.vision import transfer as fig

    lines = fig.accuracy_series(_history(), 5)
    assert [s["name"] for s in lines] == ["from scratch", "fine-tune everything", "frozen features, new head"]
    assert lines[2]["y"] == [0.61, 0.62] and lines[0]["x"] == [1, 2]
    curves = fig.curves_figure(_history(), (5,))
    assert len(curves.data) == 3 + 1 and curves.data[-1].name == "pretraining on 0–4"
    filters = [{"label": "after pretraining on 0–4", "filters": np.ones((16, 3, 3)).tolist()},
               {"label": "after fine-tuning on 5 a class", "filters": (-np.ones((16, 3, 3))).tolist()}]
    picture = fig.filters_figure(filters)
    z = np.array(picture.data[0].z, dtype=float)
    assert len(picture.data) == 2 and z.shape == (15, 15)  # a 4 × 4 grid of 3 × 3 filters, blank lines between
    assert np.isnan(z[3]).all() and z[0, 0] == 1 and picture.data[1].zmin == -1 and picture.data[1].zmax == 1
    assert [a.text for a in picture.layout.annotations][:2] == ["after pretraining on 0–4",
                                                               "after fine-tuning on 5 a class"]
    table = fig.results_frame({"scratch": {5: 0.65}, "finetune": {5: 0.7}})
    assert list(table.columns) == ["5 a class"] and table.loc["fine-tune everything", "5 a class"] == "70%"



def test_a_run_with_resnet18_features_reports_its_rows(torch_home, digits):
    """With (here randomly initialised) weights in the hub cache, the run adds the "resnet18" way: a linear
    head on ResNet-18's features, scored on the same test pictures; in the pool it adds one history row a size."""
    import torchvision

    file = pre.resnet18_weights_file()
    file.parent.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18().state_dict(), file)
    options = tl.TransferOptions(sizes=(5,), ways=("frozen",), pretrain_epochs=1, resnet18=True, test_limit=50)
    run = tl.run_transfer(options, seed=0, digits=digits)
    assert len(run["tasks"].b_test_y) == 50 and set(run["accuracy"]) == {("frozen", 5), ("resnet18", 5)}
    assert 0 <= run["accuracy"][("resnet18", 5)] <= 1
    table = tl.results_table([{"way": w, "size": n, "accuracy": a} for (w, n), a in run["accuracy"].items()])
    assert "ResNet-18 (ImageNet) features, new head" in tl.lesson(table)
    assert tl._total_epochs(options) == 1 + tl.CURVE_POINTS + 1


def test_a_run_asking_for_resnet18_without_its_weights_says_how_to_get_them(torch_home, digits):
    options = tl.TransferOptions(sizes=(5,), ways=("frozen",), pretrain_epochs=0, resnet18=True, test_limit=20)
    with pytest.raises(pre.PretrainedUnavailable, match="resnet18-f37072fd.pth"):
        tl.run_transfer(options, seed=0, digits=digits)


def test_the_boards_numbers_fit_a_third_of_a_projected_page():
    """"fine-tune everything, 5 a class" was cut to "fine-tune everyth" in the board's metric at 1280 px."""
    from playground.figures.vision.transfer import board_metrics

    rows = pd.DataFrame([{"way": 0, "size": 0, "epoch": 16, "val_acc": 0.94},
                         {"way": 1, "size": 5, "epoch": 100, "val_acc": 0.32},
                         {"way": 2, "size": 5, "epoch": 3, "val_acc": 0.55}])
    shown = board_metrics(rows, {"scratch": {5: 0.32}, "finetune": {5: 0.66}})
    assert shown == {"Pretraining on 0–4": "94%", "Training now (way · images a class)": "fine-tune · 5",
                     "Fine-tune − scratch (5 a class)": "+34 points"}
    assert all(len(value) <= 13 for value in shown.values())
